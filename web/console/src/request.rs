//! One request: the order as the server holds it, what was asked and what it comes to, the
//! shopper's words and photos, their other requests, the timeline, the conversation, and the
//! steps the staff member may take.

use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_api::{
    Approval, MerchantOrderView, NewMessage, Permission, Rejection, ReplyTemplate, ReturnAddress,
    StaffView, Thread,
};
use refund_core::Quote;
use refund_core::messages::{
    Lang, component_message, deadline_label, format_money, kind_label, method_label, reason_label,
    state_label,
};

use crate::api::ApiError;
use crate::app::{Env, Problem, run};
use crate::model::{
    PayoutForm, PayoutProblem, Request, Route, Step, Urgency, exchanged_for, exchanges_line,
    format_left, seconds_left, steps, urgency, who,
};
use crate::texts::{action_label, texts};

fn local(at: chrono::DateTime<chrono::Utc>) -> String {
    let offset = -(js_sys::Date::new_0().get_timezone_offset() as i32) * 60;
    let offset = chrono::FixedOffset::east_opt(offset)
        .unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero offset"));
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn evidence_url(id: &str) -> String {
    format!(
        "/api/v1/merchant/evidence/{}",
        String::from(js_sys::encode_uri_component(id))
    )
}

#[component]
pub fn RequestPage(id: String) -> impl IntoView {
    let env = expect_context::<Env>();
    let id = StoredValue::new(id);
    let request = RwSignal::new(None::<Request>);
    let order = RwSignal::new(None::<MerchantOrderView>);
    let thread = RwSignal::new(Thread::default());
    let earlier = RwSignal::new(Vec::<Request>::new());
    let staff = RwSignal::new(Vec::<StaffView>::new());
    let templates = RwSignal::new(Vec::<ReplyTemplate>::new());
    let addresses = RwSignal::new(Vec::<ReturnAddress>::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let read_at = RwSignal::new(js_sys::Date::now());
    let now = RwSignal::new(js_sys::Date::now());
    // The message being written outlives the page's redraws when the request changes.
    let draft = Draft {
        body: RwSignal::new(String::new()),
        ask: RwSignal::new(false),
    };

    let reload = move || {
        let rid = id.get_value();
        run(
            env,
            busy,
            error,
            async move {
                let r = env.api.request(&rid).await?;
                let t = env.api.thread(&rid).await?;
                Ok((r, t))
            },
            move |(r, t)| {
                let unread = r.unread;
                let number = r.order_number.clone();
                let email = r.desk.as_ref().map(|d| d.customer_email.clone());
                let rid = r.id.clone();
                request.set(Some(r));
                thread.set(t);
                read_at.set(js_sys::Date::now());
                spawn_local(async move {
                    if unread > 0 {
                        let _ = env.api.mark_read(&rid).await;
                    }
                    if let Ok(o) = env.api.order(&number).await {
                        order.set(Some(o));
                    }
                    if let Some(email) = email {
                        let query = format!(
                            "q={}&limit=20",
                            String::from(js_sys::encode_uri_component(&email))
                        );
                        if let Ok(page) = env.api.requests(&query).await {
                            earlier
                                .set(page.requests.into_iter().filter(|o| o.id != rid).collect());
                        }
                    }
                });
            },
        );
    };
    reload();
    spawn_local(async move {
        if let Ok(list) = env.api.staff().await {
            staff.set(list);
        }
        if let Ok(list) = env.api.templates().await {
            templates.set(list);
        }
        if let Ok(list) = env.api.addresses().await {
            addresses.set(list);
        }
    });
    // The countdowns tick each second; the request and its thread are read again every
    // REFRESH_SECONDS, so a shopper's answer or another agent's step shows without a reload.
    let seconds = StoredValue::new(0u32);
    let tick = set_interval_with_handle(
        move || {
            now.set(js_sys::Date::now());
            seconds.update_value(|s| *s = s.wrapping_add(1));
            if seconds.get_value().is_multiple_of(REFRESH_SECONDS) && !busy.get_untracked() {
                refresh(env, id.get_value(), request, thread, read_at);
            }
        },
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(handle) = tick {
            handle.clear();
        }
    });
    // A step's answer: the request as it is now. A conflict means someone else (or a deadline)
    // got there first: show it as it stands, and say so.
    let settle = move |answer: Result<Request, ApiError>| match answer {
        Ok(r) => {
            request.set(Some(r));
            read_at.set(js_sys::Date::now());
            notice.set(None);
        }
        Err(e) => {
            let conflict = e.is_conflict();
            error.set(Some(env.error_text(&e)));
            if conflict {
                notice.set(Some(env.t().changed_meanwhile.to_owned()));
                reload_request(env, id.get_value(), request, read_at);
            }
        }
    };
    let elapsed = move || ((now.get() - read_at.get()) / 1000.0).floor() as i64;

    view! {
        <p><a href=Route::Queue.hash()>{move || "← ".to_owned() + env.t().back}</a></p>
        <Problem error />
        <Show when=move || notice.with(Option::is_some)>
            <p class="rd-note" role="status">{move || notice.get()}</p>
        </Show>
        {move || request.get().map(|r| {
            let lang = env.lang.get();
            let t = texts(lang);
            let currency = r.quote.currency;
            let deadline = r.deadline.clone();
            // The gallery alone follows the thread, so a new message leaves the rest as it is.
            let evidence = r.evidence.clone();
            let gallery = move || {
                let photos: Vec<String> = evidence.iter().cloned()
                    .chain(thread.with(|t| t.messages.iter().flat_map(|m| m.photos.clone()).collect::<Vec<_>>()))
                    .collect();
                view! { <Photos photos /> }
            };
            view! {
                <div class="rd-request">
                    <section class="rd-card rd-head">
                        <h1>{r.number.clone()}" · "{state_label(r.state, lang)}</h1>
                        <p>
                            {kind_label(r.kind, lang)}" · "{reason_label(r.reason, lang)}" · "
                            <strong>{format_money(r.quote.total.0, currency, lang)}</strong>
                        </p>
                        {deadline.map(|d| {
                            let kind = d.kind;
                            let d2 = d.clone();
                            view! {
                                <p class=move || match urgency(&d2, elapsed()) {
                                    Urgency::Overdue => "rd-overdue",
                                    Urgency::Soon => "rd-soon",
                                    Urgency::Calm => "",
                                }>
                                    {deadline_label(kind, lang)}": "
                                    {move || {
                                        let left = seconds_left(&d, elapsed());
                                        if left == 0 { texts(env.lang.get()).overdue.to_owned() } else { format_left(left, env.lang.get()) }
                                    }}
                                </p>
                            }
                        })}
                        <p>{t.col_order}": "{r.order_number.clone()}" · "{t.shopper}": "{r.desk.as_ref().map(|d| d.customer_email.clone())}</p>
                        <Assign request=r.clone() staff request_signal=request settle />
                    </section>
                    <div class="rd-columns">
                        <div class="rd-left">
                            <Requested request=r.clone() order />
                            <Amounts quote=r.quote.clone() />
                            <Said request=r.clone() />
                            {gallery}
                            <OrderCard order />
                            <Earlier earlier />
                        </div>
                        <div class="rd-right">
                            <Decide request=r.clone() templates addresses busy error settle />
                            <Conversation request_id=r.id.clone() thread draft />
                            <Timeline request=r.clone() />
                        </div>
                    </div>
                </div>
            }
        })}
    }
}

/// A message to the shopper, being written.
#[derive(Clone, Copy)]
struct Draft {
    body: RwSignal<String>,
    ask: RwSignal<bool>,
}

/// How often an open request is read again.
const REFRESH_SECONDS: u32 = 10;

/// Reads the request and its thread again, quietly: a failure leaves the page as it was, and
/// the shopper's new messages are marked read as they show.
fn refresh(
    env: Env,
    id: String,
    request: RwSignal<Option<Request>>,
    thread: RwSignal<Thread>,
    read_at: RwSignal<f64>,
) {
    spawn_local(async move {
        let (Ok(r), Ok(t)) = (env.api.request(&id).await, env.api.thread(&id).await) else {
            return;
        };
        let unread = r.unread;
        // The unread count is not shown here (the messages are read as they show), so it
        // alone is no reason to draw the page again.
        let changed = request.try_with_untracked(|old| {
            old.as_ref().is_none_or(|old| {
                *old != Request {
                    unread: old.unread,
                    ..r.clone()
                }
            })
        });
        if changed == Some(true) {
            request.try_set(Some(r));
        }
        if thread.try_with_untracked(|old| *old != t) == Some(true) {
            thread.try_set(t);
        }
        read_at.try_set(js_sys::Date::now());
        if unread > 0 {
            let _ = env.api.mark_read(&id).await;
        }
    });
}

fn reload_request(
    env: Env,
    id: String,
    request: RwSignal<Option<Request>>,
    read_at: RwSignal<f64>,
) {
    spawn_local(async move {
        if let Ok(r) = env.api.request(&id).await {
            request.set(Some(r));
            read_at.set(js_sys::Date::now());
        }
    });
}

#[component]
fn Assign(
    request: Request,
    staff: RwSignal<Vec<StaffView>>,
    request_signal: RwSignal<Option<Request>>,
    settle: impl Fn(Result<Request, ApiError>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let env = expect_context::<Env>();
    let id = StoredValue::new(request.id.clone());
    let current = request.desk.as_ref().and_then(|d| d.assignee.clone());
    let current_id = StoredValue::new(current.as_ref().map(|a| a.id.clone()).unwrap_or_default());
    let assign = move |staff_id: Option<String>| {
        spawn_local(async move {
            settle(env.api.assign(&id.get_value(), staff_id).await);
        });
    };
    let me = move || env.me.with(|m| m.as_ref().map(|m| m.staff.id.clone()));
    let _ = request_signal;
    view! {
        <p class="rd-assign">
            <label>
                {move || env.t().assignee}" "
                <select disabled=move || !env.may(Permission::Work) on:change=move |ev| {
                    let value = event_target_value(&ev);
                    assign((!value.is_empty()).then_some(value));
                }>
                    <option value="" selected=current_id.with_value(String::is_empty)>{move || env.t().unassigned}</option>
                    {move || staff.get().into_iter()
                        .filter(|s| s.active && s.role != refund_api::Role::Viewer)
                        .map(|s| {
                            let chosen = current_id.with_value(|c| *c == s.id);
                            view! { <option value=s.id.clone() selected=chosen>{s.name.clone()}</option> }
                        }).collect_view()}
                </select>
            </label>
            <Show when=move || env.may(Permission::Work) && me().is_some_and(|m| current_id.with_value(|c| *c != m))>
                <button type="button" on:click=move |_| assign(me())>{move || env.t().take}</button>
            </Show>
        </p>
    }
}

#[component]
fn Requested(request: Request, order: RwSignal<Option<MerchantOrderView>>) -> impl IntoView {
    let env = expect_context::<Env>();
    let lines = request.lines.clone();
    let currency = request.quote.currency;
    view! {
        <section class="rd-card">
            <h2>{move || env.t().requested}</h2>
            <table class="rd-table">
                <thead><tr>
                    <th scope="col">{move || env.t().item}</th>
                    <th scope="col">{move || env.t().sku}</th>
                    <th scope="col" class="rd-num">{move || env.t().quantity}</th>
                    <th scope="col" class="rd-num">{move || env.t().col_amount}</th>
                </tr></thead>
                <tbody>
                    {lines.into_iter().map(|l| {
                        let line_id = l.line_id.clone();
                        let price = move || order.with(|o| o.as_ref().and_then(|o| o.order.lines.iter().find(|x| x.id == line_id).map(|x| x.unit_price.0)));
                        view! {
                            <tr>
                                <td>{l.title.clone()}
                                    {exchanged_for(&l).map(|to| view! { <span class="rd-exchange">{to}</span> })}
                                </td>
                                <td>{l.sku.clone()}</td>
                                <td class="rd-num">{l.quantity}</td>
                                <td class="rd-num">{move || price().map(|p| format_money(p, currency, env.lang.get()))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Amounts(quote: Quote) -> impl IntoView {
    let env = expect_context::<Env>();
    let quote = StoredValue::new(quote);
    view! {
        <section class="rd-card">
            <h2>{move || env.t().amounts}</h2>
            <p class="rd-muted">{move || env.t().as_told}</p>
            {move || {
                let lang = env.lang.get();
                let q = quote.get_value();
                view! {
                    <table class="rd-table rd-amounts">
                        <tbody>
                            {q.components.iter().map(|c| view! {
                                <tr><td>{component_message(c, lang, q.currency)}</td></tr>
                            }).collect_view()}
                            <tr class="rd-total"><td>{texts(lang).total}": "{format_money(q.total.0, q.currency, lang)}</td></tr>
                        </tbody>
                    </table>
                    <h3>{texts(lang).split}</h3>
                    <ul>
                        {q.split.iter().map(|s| view! {
                            <li>{method_label(s.method, lang)}": "{format_money(s.amount.0, q.currency, lang)}</li>
                        }).collect_view()}
                    </ul>
                }
            }}
        </section>
    }
}

#[component]
fn Said(request: Request) -> impl IntoView {
    let env = expect_context::<Env>();
    let desk = request.desk.clone();
    let lang = env.lang.get_untracked();
    view! {
        <section class="rd-card">
            <h2>{move || env.t().note}</h2>
            {desk.map(|d| {
                let note = if d.note.is_empty() { texts(lang).no_note.to_owned() } else { d.note.clone() };
                view! {
                    <p class="rd-quote">{note}</p>
                    <p>{if d.goods_intact { texts(lang).intact_yes } else { texts(lang).intact_no }}</p>
                    <p>{texts(lang).policy_version}": "{d.policy_version}</p>
                }
            })}
            {request.return_to.clone().map(|to| view! {
                <p><strong>{texts(lang).return_to}": "</strong>{to.recipient}" "{to.phone}" "{to.address}{to.instructions.map(|i| format!(" · {i}"))}</p>
            })}
            {request.tracking_number.clone().map(|n| view! {
                <p><strong>{texts(lang).shipment}": "</strong>{request.carrier.clone()}" "{n}</p>
            })}
            {request.reject_reason.clone().map(|reason| view! {
                <p><strong>{texts(lang).rejected_because}": "</strong>{reason}</p>
            })}
            {request.payout.clone().map(|p| view! {
                <p><strong>{texts(lang).paid_out}": "</strong>{format_money(p.total.0, request.quote.currency, lang)}
                    {p.deduction.map(|d| format!(" · {}: {} ({})", texts(lang).deduction, format_money(d.amount.0, request.quote.currency, lang), d.reason))}
                    {p.reference.map(|r| format!(" · {r}"))}
                </p>
            })}
        </section>
    }
}

#[component]
fn Photos(photos: Vec<String>) -> impl IntoView {
    let env = expect_context::<Env>();
    let count = photos.len();
    let photos = StoredValue::new(photos);
    let open = RwSignal::new(None::<usize>);
    let step = move |delta: isize| {
        open.update(|o| {
            if let Some(i) = o {
                *i = (*i as isize + delta).rem_euclid(count.max(1) as isize) as usize;
            }
        })
    };
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if open.get_untracked().is_none() {
            return;
        }
        match ev.key().as_str() {
            "Escape" => open.set(None),
            "ArrowRight" => step(1),
            "ArrowLeft" => step(-1),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    view! {
        <section class="rd-card">
            <h2>{move || env.t().photos}</h2>
            {(count == 0).then(|| view! { <p>{move || env.t().no_photos}</p> })}
            <div class="rd-thumbs">
                {photos.get_value().into_iter().enumerate().map(|(i, photo)| view! {
                    <button type="button" class="rd-thumb" on:click=move |_| open.set(Some(i))
                        aria-label=move || format!("{} {}", env.t().photos, i + 1)>
                        <img src=evidence_url(&photo) alt="" loading="lazy" />
                    </button>
                }).collect_view()}
            </div>
            <Show when=move || open.get().is_some()>
                <div class="rd-viewer" role="dialog" aria-modal="true" aria-label=move || env.t().photos>
                    <img src=move || open.get().and_then(|i| photos.with_value(|p| p.get(i).cloned())).map(|p| evidence_url(&p)).unwrap_or_default()
                        alt=move || format!("{} {}/{}", env.t().photos, open.get().unwrap_or(0) + 1, count) />
                    <div class="rd-viewer-bar">
                        <button type="button" on:click=move |_| step(-1)>{move || env.t().previous}</button>
                        <span>{move || format!("{}/{}", open.get().unwrap_or(0) + 1, count)}</span>
                        <button type="button" on:click=move |_| step(1)>{move || env.t().next}</button>
                        <button type="button" class="rd-close" autofocus on:click=move |_| open.set(None)>{move || env.t().close}</button>
                    </div>
                </div>
            </Show>
        </section>
    }
}

#[component]
fn OrderCard(order: RwSignal<Option<MerchantOrderView>>) -> impl IntoView {
    let env = expect_context::<Env>();
    move || {
        order.get().map(|o| {
            let lang = env.lang.get();
            let t = texts(lang);
            let currency = refund_core::Currency::from_code(&o.order.currency).ok();
            let money = move |amount: rust_decimal::Decimal| match currency {
                Some(c) => format_money(amount, c, lang),
                None => amount.to_string(),
            };
            view! {
                <section class="rd-card">
                    <h2>{t.order}" "{o.order.number.clone()}</h2>
                    <table class="rd-table">
                        <tbody>
                            {o.order.lines.iter().map(|l| view! {
                                <tr>
                                    <td>{l.title.clone()}</td>
                                    <td>{l.sku.clone()}</td>
                                    <td class="rd-num">{l.quantity}</td>
                                    <td class="rd-num">{money(l.unit_price.0)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <ul>
                        {o.order.payments.iter().map(|p| view! {
                            <li>{method_label(p.method, lang)}": "{money(p.amount.0)}</li>
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}

#[component]
fn Earlier(earlier: RwSignal<Vec<Request>>) -> impl IntoView {
    let env = expect_context::<Env>();
    view! {
        <section class="rd-card">
            <h2>{move || env.t().earlier}</h2>
            {move || {
                let lang = env.lang.get();
                let list = earlier.get();
                if list.is_empty() {
                    return view! { <p>{texts(lang).no_earlier}</p> }.into_any();
                }
                view! {
                    <ul>
                        {list.into_iter().map(|r| view! {
                            <li>
                                <a href=Route::Request(r.id.clone()).hash()>{r.number.clone()}</a>
                                " · "{state_label(r.state, lang)}" · "{reason_label(r.reason, lang)}" · "
                                {format_money(r.quote.total.0, r.quote.currency, lang)}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Timeline(request: Request) -> impl IntoView {
    let env = expect_context::<Env>();
    let history = request.history.clone();
    view! {
        <section class="rd-card">
            <h2>{move || env.t().timeline}</h2>
            <ol class="rd-timeline">
                {move || {
                    let lang = env.lang.get();
                    history.iter().map(|e| view! {
                        <li>
                            <time>{local(e.at)}</time>" "
                            <strong>{action_label(&e.action, lang)}</strong>" · "
                            {who(e.actor, e.by.as_ref(), lang)}
                            {(e.before != Some(e.after)).then(|| format!(" → {}", state_label(e.after, lang)))}
                            {exchanges_line(&e.detail.exchanges).map(|line| view! { <span class="rd-exchange">{line}</span> })}
                        </li>
                    }).collect_view()
                }}
            </ol>
        </section>
    }
}

#[component]
fn Conversation(request_id: String, thread: RwSignal<Thread>, draft: Draft) -> impl IntoView {
    let env = expect_context::<Env>();
    let id = StoredValue::new(request_id);
    let Draft { body, ask } = draft;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let message = NewMessage {
            body: body.get_untracked(),
            photos: Vec::new(),
            asks_for_photos: ask.get_untracked(),
        };
        run(
            env,
            busy,
            error,
            async move { env.api.write(&id.get_value(), &message).await },
            move |t| {
                thread.set(t);
                body.set(String::new());
                ask.set(false);
            },
        );
    };
    view! {
        <section class="rd-card">
            <h2>{move || env.t().thread}</h2>
            <ol class="rd-thread" aria-live="polite">
                {move || {
                    let lang = env.lang.get();
                    let t = thread.get();
                    if t.messages.is_empty() {
                        return view! { <li class="rd-empty">{texts(lang).no_messages}</li> }.into_any();
                    }
                    t.messages.into_iter().map(|m| {
                        let mine = m.author == refund_api::Author::Merchant;
                        let name = if mine {
                            who(refund_core::Actor::Merchant, m.by.as_ref(), lang)
                        } else {
                            texts(lang).you.to_owned()
                        };
                        view! {
                            <li class=if mine { "rd-msg rd-msg-desk" } else { "rd-msg rd-msg-shopper" }>
                                <p class="rd-msg-head"><strong>{name}</strong>" · "<time>{local(m.at)}</time></p>
                                <p class="rd-msg-body">{m.body.clone()}</p>
                                {m.asks_for_photos.then(|| view! { <p class="rd-note">{texts(lang).asked_for_photos}</p> })}
                                <div class="rd-thumbs">
                                    {m.photos.iter().map(|p| view! { <img src=evidence_url(p) alt="" class="rd-mini" /> }).collect_view()}
                                </div>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ol>
            <Show when=move || env.may(Permission::Work)>
                <form class="rd-write" on:submit=send>
                    <label class="rd-visually-hidden" for="rd-write">{move || env.t().write}</label>
                    <textarea id="rd-write" rows="3" maxlength="2000" placeholder=move || env.t().write
                        prop:value=body on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                    <label class="rd-check">
                        <input type="checkbox" prop:checked=ask on:change=move |ev| ask.set(event_target_checked(&ev)) />
                        {move || env.t().ask_for_photos}
                    </label>
                    <Problem error />
                    <button type="submit" class="rd-primary" disabled=busy>{move || env.t().send}</button>
                </form>
            </Show>
        </section>
    }
}

/// Which step's form is open, and whether it waits for the confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Open {
    step: Step,
    confirming: bool,
}

fn payout_problem(problem: &PayoutProblem, lang: Lang, currency: refund_core::Currency) -> String {
    let t = texts(lang);
    match problem {
        PayoutProblem::NotAnAmount { .. } => t.not_an_amount.to_owned(),
        PayoutProblem::OverSplit { .. } => t.over_split.to_owned(),
        PayoutProblem::NotTheSplit => t.not_the_split.to_owned(),
        PayoutProblem::BadDeduction => t.bad_deduction.to_owned(),
        PayoutProblem::ReasonRequired => t.reason_required.to_owned(),
        PayoutProblem::DoesNotAddUp { expected } => {
            format!(
                "{} {}",
                t.does_not_add_up,
                format_money(*expected, currency, lang)
            )
        }
    }
}

#[component]
fn Decide(
    request: Request,
    templates: RwSignal<Vec<ReplyTemplate>>,
    addresses: RwSignal<Vec<ReturnAddress>>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    settle: impl Fn(Result<Request, ApiError>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let env = expect_context::<Env>();
    let available = steps(env.role(), request.state, request.kind);
    let id = StoredValue::new(request.id.clone());
    let returns = request.kind.returns_goods();
    let open = RwSignal::new(None::<Open>);
    let address = RwSignal::new(None::<String>);
    let instructions = RwSignal::new(String::new());
    let template = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let payout = RwSignal::new(PayoutForm::prefill(&request.quote));
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if address.get_untracked().is_none()
            && let Some(first) = addresses.with(|a| a.first().map(|a| a.id.clone()))
        {
            address.set(Some(first));
        }
    });
    let take = move |step: Step| {
        let rid = id.get_value();
        busy.set(true);
        error.set(None);
        let approval = Approval {
            return_address_id: address.get_untracked().filter(|_| returns),
            instructions: Some(instructions.get_untracked())
                .filter(|i| returns && !i.trim().is_empty()),
        };
        let rejection = if template.get_untracked().is_empty() {
            Rejection {
                reason: Some(reason.get_untracked()),
                template_id: None,
            }
        } else {
            Rejection {
                reason: None,
                template_id: Some(template.get_untracked()),
            }
        };
        let paid = payout.with_untracked(PayoutForm::validate);
        spawn_local(async move {
            let answer = match step {
                Step::Approve => env.api.approve(&rid, &approval).await,
                Step::Reject => env.api.reject(&rid, &rejection).await,
                Step::ConfirmReceipt => env.api.confirm_receipt(&rid).await,
                Step::CompleteExchange => env.api.complete_exchange(&rid).await,
                Step::RecordRefund => match paid {
                    Ok(paid) => env.api.record_refund(&rid, &paid).await,
                    Err(_) => return busy.set(false),
                },
            };
            open.set(None);
            busy.set(false);
            settle(answer);
        });
    };
    let label = move |step: Step| {
        let t = env.t();
        match step {
            Step::Approve => t.approve,
            Step::Reject => t.reject,
            Step::ConfirmReceipt => t.confirm_receipt,
            Step::RecordRefund => t.record_refund,
            Step::CompleteExchange => t.complete_exchange,
        }
    };
    let currency = request.quote.currency;
    // Checks the form first; then asks for the confirmation of a step that cannot be undone.
    let ask = move |step: Step| {
        if step == Step::RecordRefund
            && let Err(p) = payout.with_untracked(PayoutForm::validate)
        {
            problem.set(Some(payout_problem(&p, env.lang.get_untracked(), currency)));
            return;
        }
        problem.set(None);
        open.set(Some(Open {
            step,
            confirming: true,
        }));
    };
    let has_steps = !available.is_empty();
    view! {
        <section class="rd-card rd-decide">
            <h2 class="rd-visually-hidden">{move || env.t().confirm}</h2>
            {(!has_steps).then(|| view! {
                <p>{move || if env.may(Permission::Work) { env.t().no_steps } else { env.t().read_only }}</p>
            })}
            <div class="rd-steps">
                {available.iter().map(|step| {
                    let step = *step;
                    view! {
                        <button type="button" class=if step == Step::Reject { "rd-danger" } else { "rd-primary" }
                            aria-expanded=move || open.get().is_some_and(|o| o.step == step).to_string()
                            on:click=move |_| open.set(Some(Open { step, confirming: false }))>
                            {move || label(step)}
                        </button>
                    }
                }).collect_view()}
            </div>
            {move || open.get().map(|o| {
                let lang = env.lang.get();
                let t = texts(lang);
                let form = match o.step {
                    Step::Approve if returns => view! {
                        <label>{t.choose_address}
                            <select on:change=move |ev| { let v = event_target_value(&ev); address.set((!v.is_empty()).then_some(v)); }>
                                {addresses.get().into_iter().map(|a| {
                                    let chosen = address.get_untracked().as_deref() == Some(a.id.as_str());
                                    view! { <option value=a.id.clone() selected=chosen>{format!("{} · {}", a.label, a.address)}</option> }
                                }).collect_view()}
                                <option value="">{t.no_address}</option>
                            </select>
                        </label>
                        <label>{t.instructions}
                            <textarea rows="2" maxlength="500" prop:value=instructions on:input=move |ev| instructions.set(event_target_value(&ev))></textarea>
                        </label>
                    }.into_any(),
                    Step::Reject => view! {
                        <label>{t.choose_template}
                            <select on:change=move |ev| template.set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                {templates.get().into_iter().map(|tpl| view! {
                                    <option value=tpl.id.clone()>{format!("{} · {}", tpl.title, tpl.text.pick(lang))}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label>{t.write_reason}
                            <textarea rows="3" maxlength="500" disabled=move || !template.get().is_empty()
                                prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                        </label>
                    }.into_any(),
                    Step::RecordRefund => view! { <PayoutFields payout /> }.into_any(),
                    _ => ().into_any(),
                };
                view! {
                    <div class="rd-step-form">
                        {form}
                        {move || problem.get().map(|p| view! { <p class="rd-error" role="alert">{p}</p> })}
                        {if o.confirming {
                            view! {
                                <p class="rd-confirm" role="alert">{t.cannot_undo}</p>
                                <button type="button" class="rd-primary rd-confirm-step" disabled=busy on:click=move |_| take(o.step)>{t.confirm}" · "{label(o.step)}</button>
                                <button type="button" on:click=move |_| open.set(None)>{t.cancel}</button>
                            }.into_any()
                        } else {
                            view! {
                                <button type="button" class="rd-primary rd-next-step" on:click=move |_| ask(o.step)>{label(o.step)}</button>
                                <button type="button" on:click=move |_| open.set(None)>{t.cancel}</button>
                            }.into_any()
                        }}
                    </div>
                }
            })}
            <Problem error />
        </section>
    }
}

#[component]
fn PayoutFields(payout: RwSignal<PayoutForm>) -> impl IntoView {
    let env = expect_context::<Env>();
    view! {
        <p>{move || env.t().payout_hint}</p>
        {move || payout.with(|p| p.rows.clone()).into_iter().enumerate().map(|(i, row)| view! {
            <label>{move || method_label(row.method, env.lang.get())}
                <input type="text" inputmode="decimal" prop:value=row.amount.clone()
                    on:change=move |ev| payout.update(|p| p.rows[i].amount = event_target_value(&ev)) />
            </label>
        }).collect_view()}
        <label>{move || env.t().deduction}
            <input type="text" inputmode="decimal" prop:value=move || payout.with(|p| p.deduction.clone())
                on:change=move |ev| payout.update(|p| p.deduction = event_target_value(&ev)) />
        </label>
        <button type="button" on:click=move |_| payout.update(PayoutForm::spread_deduction)>{move || env.t().spread}</button>
        <label>{move || env.t().deduction_reason}
            <input type="text" maxlength="500" prop:value=move || payout.with(|p| p.deduction_reason.clone())
                on:change=move |ev| payout.update(|p| p.deduction_reason = event_target_value(&ev)) />
        </label>
        <label>{move || env.t().reference}
            <input type="text" maxlength="100" prop:value=move || payout.with(|p| p.reference.clone())
                on:change=move |ev| payout.update(|p| p.reference = event_target_value(&ev)) />
        </label>
    }
}
