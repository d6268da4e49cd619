//! A recorded request: its number, state, items, timeline, the running deadline counting down,
//! and what the shopper can do next (cancel before a decision, send the goods to the return
//! address and enter the shipment after approval), what was paid out, and the thread with the
//! merchant.

use std::sync::Arc;

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_core::messages;

use crate::app::{Alert, Env, RequiredField};
use crate::dom;
use crate::form::breakdown_view;
use crate::model::{self, Carrier, Loaded, RequestView};
use crate::thread::ThreadCard;

/// How often an open request is re-read while the shopper watches it.
const POLL_SECONDS: u32 = 15;

/// What the host page hears of a request (events `refund-submitted` and `refund-status`; README,
/// "Embed the widget"): the amount only when it was just submitted.
#[derive(serde::Serialize)]
pub struct Announced<'a> {
    pub request_id: &'a str,
    pub number: &'a str,
    pub state: refund_core::State,
    pub order_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<refund_core::wire::DecimalStr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<refund_core::Currency>,
}

impl<'a> Announced<'a> {
    /// `view` as the host page hears of it; with its amount when it was just submitted.
    pub fn of(view: &'a RequestView, with_amount: bool) -> Announced<'a> {
        Announced {
            request_id: &view.id,
            number: &view.number,
            state: view.state,
            order_number: &view.order_number,
            total: with_amount.then_some(view.quote.total),
            currency: with_amount.then_some(view.quote.currency),
        }
    }
}

#[component]
pub fn RequestScreen(
    env: Env,
    loaded: Arc<Loaded>,
    request: RequestView,
    on_back: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let request = RwSignal::new(request);
    let data = StoredValue::new(loaded);
    let clock = data.with_value(|l| l.clock);
    let now = RwSignal::new(clock.now(dom::browser_now()));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let ship_error = RwSignal::new(None::<String>);
    // Why the last re-read failed, while it has not succeeded since.
    let unread = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let carrier = RwSignal::new(None::<Carrier>);
    let other_carrier = RwSignal::new(String::new());
    let tracking = RwSignal::new(String::new());
    // Whether the return address went onto the clipboard (`None` before any try).
    let copied = RwSignal::new(None::<bool>);
    // Counts successful re-reads, so the thread is read again with the request.
    let polled = RwSignal::new(0u32);
    let lang = env.lang;
    let heading = NodeRef::<leptos::html::H3>::new();

    let announce = move |view: &RequestView| {
        env.emit("refund-status", Announced::of(view, false));
    };
    request.with_untracked(announce);

    // Re-reads the request. The screen may be gone when the answer comes (the shopper went
    // back), so the signal is only touched if it still exists. A failed background poll says
    // nothing while the request is on screen; it is shown when the shopper asked, or when the
    // history has never arrived.
    let refresh = move |asked: bool| {
        let id = request.with_untracked(|r| r.id.clone());
        spawn_local(async move {
            let view = match env.api.request(&id).await {
                Ok(view) => view,
                Err(e) => {
                    let unseen = request
                        .try_with_untracked(|r| r.history.is_empty())
                        .unwrap_or(false);
                    if asked || unseen {
                        unread.try_set(Some(env.error_text(&e)));
                    }
                    return;
                }
            };
            unread.try_set(None);
            polled.try_update(|n| *n = n.wrapping_add(1));
            let changed = request.try_with_untracked(|r| *r != view);
            if changed == Some(true) {
                if request.try_with_untracked(|r| r.state != view.state) == Some(true) {
                    announce(&view);
                }
                request.try_set(view);
            }
        });
    };
    let hidden = || {
        web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden())
    };

    // The answer to a submission carries no history yet; the stored request has it.
    refresh(false);

    // A one-second tick for the countdown, and a re-read every POLL_SECONDS (and when the
    // deadline passes) while the request is still open.
    let ticks = StoredValue::new(0u32);
    let interval = Interval::new(1_000, move || {
        now.set(clock.now(dom::browser_now()));
        let open = request.with_untracked(|r| !r.state.is_final());
        let due = request.with_untracked(|r| {
            r.deadline
                .as_ref()
                .is_some_and(|d| model::deadline_moves(d, now.get_untracked()))
        });
        let tick = ticks.get_value().wrapping_add(1);
        ticks.set_value(tick);
        if open
            && !hidden()
            && (tick.is_multiple_of(POLL_SECONDS) || (due && tick.is_multiple_of(3)))
        {
            refresh(false);
        }
    });
    let interval = StoredValue::new_local(Some(interval));
    on_cleanup(move || interval.update_value(|i| drop(i.take())));

    let act = move |action: Action| {
        if busy.get_untracked() {
            return;
        }
        let id = request.with_untracked(|r| r.id.clone());
        let shipment = model::shipment(
            carrier.get_untracked(),
            &other_carrier.get_untracked(),
            &tracking.get_untracked(),
        );
        // The shipment form shows its own errors, next to its fields.
        let said = if action == Action::Ship {
            ship_error
        } else {
            error
        };
        if action == Action::Ship && shipment.is_none() {
            said.set(Some(env.t().ship_missing.to_owned()));
            return;
        }
        let (c, t) = shipment.unwrap_or_default();
        busy.set(true);
        error.set(None);
        ship_error.set(None);
        spawn_local(async move {
            let answer = match action {
                Action::Cancel => env.api.cancel(&id).await,
                Action::Ship => env.api.ship(&id, &c, &t).await,
            };
            match answer {
                Ok(view) => {
                    announce(&view);
                    request.try_set(view);
                    confirming.try_set(false);
                    // The button pressed is gone; the shopper lands on the request's new state.
                    env.focus(heading);
                }
                Err(e) => {
                    said.try_set(Some(env.error_text(&e)));
                }
            }
            busy.try_set(false);
        });
    };

    crate::app::clear_on_language_change(env, error);
    crate::app::clear_on_language_change(env, ship_error);
    crate::app::clear_on_language_change(env, copied);
    let copy = move |text: String| {
        let Some(done) = dom::copy_text(&text) else {
            copied.set(Some(false));
            return;
        };
        spawn_local(async move {
            let ok = wasm_bindgen_futures::JsFuture::from(done).await.is_ok();
            copied.try_set(Some(ok));
        });
    };
    // A failed re-read is asked again after a switch, so its message comes in the new language.
    crate::app::on_language_change(env, move || {
        if unread.get_untracked().is_some() {
            unread.set(None);
            refresh(true);
        }
    });
    // Focus moves to the request, so keyboard and screen-reader users land on its number.
    env.focus(heading);
    let cancel_button = NodeRef::<leptos::html::Button>::new();
    let confirm_button = NodeRef::<leptos::html::Button>::new();
    let confirm = move |asking: bool| {
        confirming.set(asking);
        env.focus(if asking {
            confirm_button
        } else {
            cancel_button
        });
    };
    let offset = dom::browser_offset();
    view! {
        <section class="rw-card rw-status">
            <h3 class="rw-status-title" tabindex="-1" node_ref=heading>{move || {
                let submitted = request.with(|r| r.state == refund_core::State::Submitted);
                if submitted { env.t().submitted } else { env.t().your_request }
            }}</h3>
            <p class="rw-number-line">
                <span>{env.text(|t| t.request_number)}</span>
                <strong class="rw-request-number">{move || request.with(|r| r.number.clone())}</strong>
            </p>
            <p>
                <span class="rw-muted">{env.text(|t| t.status)} " "</span>
                <span class=move || format!("rw-badge rw-state rw-state-{}", request.with(|r| r.state.code()))>
                    {move || messages::state_label(request.with(|r| r.state), lang.get())}
                </span>
            </p>
            <p class="rw-muted">
                {move || request.with(|r| format!("{} · {}",
                    messages::kind_label(r.kind, lang.get()),
                    data.with_value(|l| l.reason_label(r.reason, lang.get()))))}
            </p>
            {move || Some(request.with(|r| model::requested_items(r, lang.get()))).filter(|items| !items.is_empty()).map(|items| view! {
                <p class="rw-items"><span class="rw-muted">{env.d().items}{env.t().colon}</span>{items}</p>
            })}
            {move || request.with(|r| r.deadline.clone()).filter(|_| request.with(|r| !r.state.is_final())).map(|d| view! {
                <div class="rw-deadline" role="timer" aria-live="off">
                    <span>{move || messages::deadline_label(d.kind, lang.get())}</span>
                    {move || if model::payout_overdue(&d, now.get()) {
                        view! { <strong class="rw-overdue">{env.d().payout_overdue}</strong> }.into_any()
                    } else {
                        view! { <strong class="rw-countdown">{model::format_remaining((d.at - now.get()).num_seconds(), lang.get())}</strong> }.into_any()
                    }}
                </div>
            })}
            {move || request.with(|r| model::rejection(r, lang.get())).map(|reason| view! {
                <p class="rw-rejected"><strong>{env.text(|t| t.rejected_because)} {env.text(|t| t.colon)}</strong>{reason}</p>
            })}
            {move || request.with(|r| r.carrier.clone().zip(r.tracking_number.clone())).map(|(c, t)| view! {
                <p class="rw-shipment"><span class="rw-muted">{env.text(|t| t.shipped_with)} {env.text(|t| t.colon)}</span>{model::carrier_shown(&c, lang.get())} " " {t}</p>
            })}
        </section>

        // Plain text inside: the card is built again when the language, the request or the
        // copy's outcome changes (in place, so the button keeps the focus).
        {move || request.with(|r| model::return_address(r).cloned()).map(|to| {
            let (d, t) = (env.d(), env.t());
            let line = model::address_to_copy(&to);
            let copied = copied.get();
            view! {
                <section class="rw-card rw-return">
                    <h3>{d.return_title}</h3>
                    <p class="rw-address rw-copyable"><strong>{to.recipient}</strong> " " {to.phone}<br />{to.address}</p>
                    {to.instructions.filter(|i| !i.trim().is_empty()).map(|i| view! {
                        <p class="rw-instructions"><strong>{d.instructions}{t.colon}</strong>{i}</p>
                    })}
                    <button type="button" class="rw-secondary rw-copy" on:click=move |_| copy(line.clone())>
                        {if copied == Some(true) { d.copied } else { d.copy }}
                    </button>
                    <p class="rw-muted" role="status" hidden=copied != Some(false)>{d.copy_failed}</p>
                </section>
            }
        })}

        <Show when=move || request.with(RequestView::awaits_shipment)>
            <form class="rw-card rw-ship" on:submit=move |ev| { ev.prevent_default(); act(Action::Ship); } novalidate>
                <h3>{env.text(|t| t.ship_title)}</h3>
                <label class="rw-field">
                    <span>{env.text(|t| t.carrier)}</span>
                    <select name="carrier" required
                        aria-invalid=move || (ship_error.with(Option::is_some) && carrier.with(Option::is_none)).to_string()
                        aria-describedby=move || ship_error.with(Option::is_some).then_some("rw-ship-error")
                        on:change=move |ev| carrier.set(Carrier::from_code(&event_target_value(&ev)))>
                        <option value="" selected=move || carrier.with(Option::is_none)>{env.desk_text(|d| d.choose_carrier)}</option>
                        {Carrier::ALL.into_iter().map(|c| view! {
                            <option value=c.code() selected=move || carrier.get() == Some(c)>{move || c.label(lang.get())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || carrier.get() == Some(Carrier::Other)>
                    <RequiredField label=env.desk_text(|d| d.other_carrier) name="carrier_other" value=other_carrier
                        error=ship_error error_id="rw-ship-error" />
                </Show>
                <RequiredField label=env.text(|t| t.tracking) name="tracking_number" value=tracking
                    error=ship_error error_id="rw-ship-error" />
                <Alert message=ship_error id="rw-ship-error" />
                <button type="submit" class="rw-primary" disabled=move || busy.get()>{env.text(|t| t.ship_submit)}</button>
            </form>
        </Show>

        {move || request.with(|r| r.payout.clone()).map(|record| {
            let paid = data.with_value(|l| l.payout(&record, lang.get()));
            view! {
                <section class="rw-card rw-payout">
                    <h3>{env.d().paid_title}</h3>
                    <ul class="rw-split rw-payouts">
                        {paid.rows.into_iter().map(|(method, amount, arrives)| view! {
                            <li><span>{method}<small class="rw-muted rw-arrives">{arrives}</small></span><span class="rw-split-amount">{amount}</span></li>
                        }).collect_view()}
                    </ul>
                    {paid.deduction.map(|(amount, reason)| view! {
                        <dl class="rw-components">
                            <div class="rw-component rw-deduction">
                                <dt>{env.d().deduction}<small>{reason}</small></dt>
                                <dd class="rw-negative">{amount}</dd>
                            </div>
                        </dl>
                    })}
                    <p class="rw-total-line">
                        <span>{env.d().paid_total}</span>
                        <strong class="rw-total rw-paid-total">{paid.total}</strong>
                    </p>
                    {paid.reference.map(|reference| view! {
                        <p class="rw-muted rw-reference">{env.d().reference} {env.t().colon}<span class="rw-copyable">{reference}</span></p>
                    })}
                </section>
            }
        })}

        <ThreadCard env request polled />

        {move || request.with(|r| match model::next_step(r, lang.get()) {
            Some(next) => view! {
                <section class="rw-card rw-next">
                    <h3>{env.d().what_now}</h3>
                    <p>{next}</p>
                </section>
            }.into_any(),
            None => view! {
                <section class="rw-card">
                    <h3>{env.t().summary}</h3>
                    {data.with_value(|l| breakdown_view(
                        env,
                        l.recorded_breakdown(&r.quote, &r.lines, lang.get()),
                        model::shows_money(r),
                        false,
                    ))}
                </section>
            }.into_any(),
        })}

        <section class="rw-card">
            <h3>{env.text(|t| t.timeline)}</h3>
            // The answer to a submission has no history yet: say so until the re-read brings it,
            // and offer to try again when it fails.
            {move || match unread.get() {
                Some(message) => view! {
                    <div class="rw-error" role="alert">
                        <p>{message}</p>
                        <button type="button" class="rw-secondary" on:click=move |_| refresh(true)>{env.text(|t| t.retry)}</button>
                    </div>
                }.into_any(),
                None if request.with(|r| r.history.is_empty()) => view! {
                    <p class="rw-loading" role="status">{env.text(|t| t.loading)}</p>
                }.into_any(),
                None => ().into_any(),
            }}
            <ol class="rw-timeline">
                {move || request.with(|r| model::timeline_steps(&r.history).cloned().collect::<Vec<_>>()).into_iter().map(|e| view! {
                    <li>
                        // The submission itself reads as such, not as the state it leads to.
                        <strong>{if e.action == "submit" { env.t().sent.to_owned() } else { messages::state_label(e.after, lang.get()).to_owned() }}</strong>
                        <span class="rw-muted">{messages::actor_label(e.actor, lang.get())} " · " {model::format_time(e.at, offset, lang.get())}</span>
                    </li>
                }).collect_view()}
            </ol>
        </section>

        <Alert message=error />

        <div class="rw-actions">
            <Show when=move || request.with(RequestView::can_cancel)>
                <Show when=move || confirming.get()
                    fallback=move || view! {
                        <button type="button" class="rw-secondary rw-cancel" node_ref=cancel_button
                            on:click=move |_| confirm(true)>{env.text(|t| t.cancel)}</button>
                    }>
                    <button type="button" class="rw-danger rw-cancel-confirm" node_ref=confirm_button
                        disabled=move || busy.get()
                        on:click=move |_| act(Action::Cancel)>
                        {move || if busy.get() { env.t().cancelling } else { env.t().cancel_confirm }}
                    </button>
                    <button type="button" class="rw-secondary rw-keep" disabled=move || busy.get()
                        on:click=move |_| confirm(false)>{env.text(|t| t.keep_request)}</button>
                </Show>
            </Show>
            <button type="button" class="rw-link rw-back" on:click=move |_| on_back()>{env.text(|t| t.back_to_order)}</button>
        </div>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Cancel,
    Ship,
}
