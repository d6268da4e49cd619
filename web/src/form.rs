//! The request form: kind, reason, lines, details and evidence, with the live quote beside them.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_core::messages;
use refund_core::{Outcome, RequestKind};

use crate::api::ApiError;
use crate::app::Env;
use crate::dom;
use crate::model::{self, Breakdown, Draft, LiveQuote, Loaded, PhotoUse, RequestView};
use crate::photos::{PhotoSet, Photos};
use refund_api::{ErrorCode, ShopperRequest};

pub type SubmitFuture = Pin<Box<dyn Future<Output = Result<RequestView, ApiError>>>>;
/// How the form sends a submission; the real one posts to the API, tests count calls.
pub type SubmitFn = Rc<dyn Fn(ShopperRequest, String) -> SubmitFuture>;

pub fn api_submit(env: Env) -> SubmitFn {
    Rc::new(move |body, key| Box::pin(async move { env.api.submit(&body, &key).await }))
}

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Editing,
    Sending,
    /// No definite answer: the request may or may not be recorded. The form is locked and a
    /// retry sends the same body under the same idempotency key, so it is recorded once.
    Unconfirmed,
    /// The server computed another total (the order or policy changed since the page loaded);
    /// the form now shows the fresh quote and the next submit confirms it.
    Stale,
    Failed(String),
}

/// How often the live quote is recomputed while the form stays open: windows close on time.
const REQUOTE_MS: u32 = 60_000;

#[component]
pub fn RequestForm(
    env: Env,
    loaded: Arc<Loaded>,
    submit: SubmitFn,
    on_submitted: impl Fn(RequestView) + 'static,
    on_reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let storage_key = StoredValue::new(model::draft_key(
        &env.merchant.get_value(),
        loaded.order.number(),
    ));
    let initial = dom::load::<Draft>(&storage_key.get_value())
        .map_or_else(|| Draft::for_order(&loaded), |d| d.fitted(&loaded));
    let photos = PhotoSet::restored(&initial.evidence);
    let phase = RwSignal::new(if initial.pending.is_some() {
        Phase::Unconfirmed
    } else {
        Phase::Editing
    });
    let draft = RwSignal::new(initial);
    let submit = StoredValue::new_local(submit);
    let on_submitted = StoredValue::new_local(Rc::new(on_submitted) as Rc<dyn Fn(RequestView)>);
    let data = RwSignal::new(loaded.clone());
    let lang = env.lang;
    let locked = move || matches!(phase.get(), Phase::Sending | Phase::Unconfirmed);
    let submit_button = NodeRef::<leptos::html::Button>::new();

    let requote = RwSignal::new(0u32);
    let ticker = gloo_timers::callback::Interval::new(REQUOTE_MS, move || {
        requote.update(|n| *n = n.wrapping_add(1));
    });
    let ticker = StoredValue::new_local(Some(ticker));
    on_cleanup(move || ticker.update_value(|t| drop(t.take())));

    let now = move || data.with_untracked(|l| l.clock.now(dom::browser_now()));
    let rows = Memo::new(move |_| {
        requote.track();
        data.with(|l| l.rows(&draft.get(), now(), lang.get()))
    });
    let live = Memo::new(move |_| {
        requote.track();
        data.with(|l| l.quote(&draft.get(), now()))
    });
    // Once the server has recorded the request the draft is spent: the save below must not
    // write it back after the answer removed it, or a reload would offer it again.
    let spent = StoredValue::new(false);
    Effect::new(move |_| {
        draft.with(|d| {
            if !spent.get_value() {
                storage_key.with_value(|key| dom::save(key, d));
            }
        })
    });
    // A notice about the last answer no longer applies once the shopper changes anything.
    let choices = Memo::new(move |_| draft.with(Draft::choices));
    Effect::new(move |previous: Option<()>| {
        choices.track();
        if previous.is_some() && matches!(phase.get_untracked(), Phase::Stale | Phase::Failed(_)) {
            phase.set(Phase::Editing);
        }
    });
    // A failure message is in the language it arrived in; drop it after a switch.
    crate::app::on_language_change(env, move || {
        if matches!(phase.get_untracked(), Phase::Failed(_)) {
            phase.set(Phase::Editing);
        }
    });

    let pending_uploads = move || photos.uploading();
    // Re-reads the order (what is left, the policy) after the server saw it differently.
    let refresh_order = move || {
        spawn_local(async move {
            if let Ok(response) = env.api.order().await
                && let Ok(fresh) = Loaded::new(response, dom::browser_now())
            {
                data.try_set(Arc::new(fresh));
            }
        });
    };

    let send = move || {
        if phase.get_untracked() == Phase::Sending {
            return;
        }
        if pending_uploads() {
            phase.set(Phase::Failed(env.t().wait_uploads.to_owned()));
            return;
        }
        let fresh = match live.get_untracked() {
            LiveQuote::Ready(quote) if quote.outcome != Outcome::Ineligible => {
                data.with_untracked(|l| l.submission(&draft.get_untracked(), now(), &quote))
            }
            _ => None,
        };
        let Some(body) = fresh.or_else(|| draft.with_untracked(|d| d.pending.clone())) else {
            return;
        };
        let mut attempt = None;
        draft.update(|d| attempt = Some(d.begin_submit(body, dom::random_key)));
        let Some((body, key)) = attempt else { return };
        phase.set(Phase::Sending);
        let storage_key = storage_key.get_value();
        spawn_local(async move {
            let answer = submit.with_value(|f| f(body, key)).await;
            if !matches!(&answer, Err(e) if e.maybe_done()) {
                // A definite answer: whatever comes next is a new submission. The form may be
                // gone by now (the shopper went elsewhere), so only the storage is certain.
                if draft.try_update(Draft::settle).is_none() {
                    dom::forget(&storage_key);
                }
            }
            let recorded = answer.is_ok()
                || matches!(&answer, Err(e) if e.is(ErrorCode::IdempotencyKeyReused));
            if recorded {
                spent.try_set_value(true);
            }
            match answer {
                Ok(view) => {
                    dom::forget(&storage_key);
                    env.emit(
                        "refund-submitted",
                        crate::status::Announced::of(&view, true),
                    );
                    phase.try_set(Phase::Editing);
                    on_submitted.try_with_value(|f| f(view));
                }
                Err(error) if error.maybe_done() => {
                    phase.try_set(Phase::Unconfirmed);
                }
                Err(error) if error.is(ErrorCode::IdempotencyKeyReused) => {
                    // An earlier attempt under this key was recorded: show the order as it is
                    // now, with that request in its list, rather than send a second one.
                    dom::forget(&storage_key);
                    on_reload();
                }
                Err(error @ ApiError::Server { .. }) => {
                    let stale = [
                        ErrorCode::StaleQuote,
                        ErrorCode::NotEnoughLeft,
                        ErrorCode::RequestIneligible,
                    ]
                    .into_iter()
                    .any(|code| error.is(code));
                    if stale {
                        refresh_order();
                    }
                    phase.try_set(if error.is(ErrorCode::StaleQuote) {
                        Phase::Stale
                    } else {
                        Phase::Failed(env.error_text(&error))
                    });
                }
                Err(ApiError::Network) => {
                    phase.try_set(Phase::Unconfirmed);
                }
            }
            // The button was disabled while sending, which took the focus from it; give it
            // back so a keyboard user can confirm or retry from where they were.
            env.focus(submit_button);
        });
    };
    // A submission whose answer was lost before a reload is sent again at once, under its
    // key: the server answers with the request it recorded, or records it now, never twice.
    if phase.get_untracked() == Phase::Unconfirmed {
        send();
    }

    let note_needed = move || draft.with(|d| d.reason.is_some_and(refund_core::Reason::needs_note));
    let kinds = loaded.kinds();
    let no_kinds = kinds.is_empty();
    let nothing_left = rows.with_untracked(|r| r.iter().all(|row| row.available == 0));
    let line_ids: Vec<String> =
        rows.with_untracked(|r| r.iter().map(|row| row.id.clone()).collect());

    let summary_box = NodeRef::<leptos::html::Section>::new();
    if nothing_left {
        return view! { <p class="rw-card rw-empty">{env.text(|t| t.nothing_left)}</p> }.into_any();
    }
    view! {
        <form class="rw-form" on:submit=|ev| ev.prevent_default() novalidate>
            <fieldset class="rw-card" disabled=locked>
                <legend>{env.text(|t| t.step_kind)}</legend>
                {(!no_kinds).then(|| view! {
                    <div class="rw-kinds">
                        {kinds.iter().map(|&kind| view! {
                            <label class="rw-choice">
                                <input type="radio" name="kind" value=kind.code()
                                    prop:checked=move || draft.with(|d| d.kind == Some(kind))
                                    on:change=move |_| draft.update(|d| d.kind = Some(kind)) />
                                <span>{move || messages::kind_label(kind, lang.get())}</span>
                            </label>
                        }).collect_view()}
                    </div>
                })}
                {no_kinds.then(|| view! {
                    <p class="rw-muted">{env.text(|t| t.no_kinds)}</p>
                })}
            </fieldset>

            <fieldset class="rw-card" disabled=locked>
                <legend>{env.text(|t| t.step_reason)}</legend>
                <label class="rw-field">
                    <span class="rw-sr">{env.text(|t| t.step_reason)}</span>
                    <select name="reason"
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            let reason = refund_core::Reason::ALL.into_iter().find(|r| r.code() == value);
                            draft.update(|d| d.reason = reason);
                        }>
                        <option value="" selected=move || draft.with(|d| d.reason.is_none())>{env.text(|t| t.choose_reason)}</option>
                        {move || data.with(|l| l.reasons(lang.get())).into_iter().map(|(reason, label)| view! {
                            <option value=reason.code() selected=move || draft.with(|d| d.reason == Some(reason))>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
            </fieldset>

            <fieldset class="rw-card" disabled=locked>
                <legend>{env.text(|t| t.step_items)}</legend>
                <ul class="rw-lines">
                    {line_ids.into_iter().map(|id| view! { <LineItem env rows draft id /> }).collect_view()}
                </ul>
            </fieldset>

            <fieldset class="rw-card" disabled=locked>
                <legend>{env.text(|t| t.step_details)}</legend>
                <label class="rw-field">
                    <span>{env.text(|t| t.note)}</span>
                    <textarea name="note" rows="3" maxlength="500"
                        required=note_needed
                        aria-required=move || note_needed().to_string()
                        placeholder=move || if note_needed() { env.t().note_placeholder_required } else { env.t().note_placeholder }
                        prop:value=move || draft.with(|d| d.note.clone())
                        on:input=move |ev| draft.update(|d| d.note = event_target_value(&ev))></textarea>
                </label>
                <Photos env photos purpose=PhotoUse::Request
                    on_change=Callback::new(move |(id, added): (String, bool)| draft.update(|d| {
                        if added { d.evidence.push(id) } else { d.evidence.retain(|e| *e != id) }
                    }))
                    needed=Signal::derive(move || data.with(|l| l.evidence_needed(&draft.get()))) />
                <Show when=move || data.with(|l| l.needs_intact(&draft.get()))>
                    <label class="rw-check">
                        <input type="checkbox" name="goods_intact"
                            prop:checked=move || draft.with(|d| d.goods_intact)
                            on:change=move |ev| draft.update(|d| d.goods_intact = event_target_checked(&ev)) />
                        <span>{env.text(|t| t.intact)}</span>
                    </label>
                </Show>
            </fieldset>

            <section class="rw-card rw-summary" node_ref=summary_box tabindex="-1">
                <h3>{env.text(|t| t.summary)}</h3>
                {move || {
                    let none_choosable = rows.with(|r| r.iter().all(|row| !row.selectable));
                    data.with(|l| summary(env, l, live.get(), none_choosable))
                }}
            </section>
            // Screen readers hear the verdict and total after each change, not the whole table.
            <p class="rw-sr rw-announce" aria-live="polite">{move || data.with(|l| announcement(env, l, &live.get()))}</p>

            {move || match phase.get() {
                Phase::Unconfirmed => view! { <p class="rw-error" role="alert">{env.t().submit_unconfirmed}</p> }.into_any(),
                Phase::Failed(message) => view! { <p class="rw-error" role="alert">{message}</p> }.into_any(),
                Phase::Stale => view! {
                    <div class="rw-stale" role="alert">
                        <strong>{env.t().stale_title}</strong>
                        <p>{env.t().stale_check}</p>
                    </div>
                }.into_any(),
                Phase::Editing | Phase::Sending => ().into_any(),
            }}

            <button type="button" class="rw-primary rw-submit" node_ref=submit_button
                disabled=move || match phase.get() {
                    Phase::Sending => true,
                    Phase::Unconfirmed => false,
                    _ => !matches!(live.get(), LiveQuote::Ready(ref q) if q.outcome != Outcome::Ineligible),
                }
                on:click=move |_| send()>
                {move || match phase.get() {
                    Phase::Sending => env.t().submitting,
                    Phase::Unconfirmed => env.t().retry,
                    Phase::Stale => env.t().confirm_new_amount,
                    _ => env.t().submit,
                }}
            </button>

            // On a phone the breakdown is far below the lines: the verdict and total stay in
            // view while the shopper chooses (the live region above announces them).
            <div class="rw-sticky" hidden=move || !matches!(live.get(), LiveQuote::Ready(_))>
                <span class="rw-sticky-text">{move || data.with(|l| announcement(env, l, &live.get()))}</span>
                <button type="button" class="rw-link" on:click=move |_| {
                    if let Some(summary) = summary_box.get_untracked() {
                        summary.scroll_into_view();
                    }
                    env.focus(summary_box);
                }>{env.text(|t| t.see_details)}</button>
            </div>
        </form>
    }
    .into_any()
}

#[component]
fn LineItem(
    env: Env,
    rows: Memo<Vec<model::LineRow>>,
    draft: RwSignal<Draft>,
    id: String,
) -> impl IntoView {
    let key = id.clone();
    let row = Memo::new(move |_| rows.with(|rs| rs.iter().find(|r| r.id == key).cloned()));
    let field = |f: fn(&model::LineRow) -> String| {
        move || row.with(|r| r.as_ref().map(f).unwrap_or_default())
    };
    let selectable = move || row.with(|r| r.as_ref().is_some_and(|r| r.selectable));
    let chosen = move || row.with(|r| r.as_ref().map_or(0, |r| r.chosen));
    let chosen_untracked = move || row.with_untracked(|r| r.as_ref().map_or(0, |r| r.chosen));
    let available = move || row.with(|r| r.as_ref().map_or(0, |r| r.available));
    let line = StoredValue::new(id.clone());
    let set = move |quantity: u32| {
        let available = available();
        line.with_value(|line| draft.update(|d| d.set_quantity(line, quantity, available)));
    };
    let title = field(|r| r.title.clone());
    let input_id = format!("rw-qty-{id}");
    view! {
        <li class="rw-line" data-line=id.clone()
            class:rw-disabled=move || !selectable()
            class:rw-selected=move || { chosen() > 0 }>
            // The title says what it is: the picture is decoration, and one that fails to load
            // is removed rather than shown broken.
            {row.with_untracked(|r| r.as_ref().and_then(|r| r.image_url.clone())).map(|src| view! {
                <img class="rw-line-img" src=src alt="" width="48" height="48" loading="lazy"
                    on:error=|ev| { event_target::<web_sys::Element>(&ev).remove() } />
            })}
            <div class="rw-line-info">
                <strong class="rw-line-title">{title}</strong>
                <Show when=move || row.with(|r| r.as_ref().is_some_and(|r| r.gift))>
                    <span class="rw-badge">{env.text(|t| t.gift)}</span>
                </Show>
                <span class="rw-muted rw-line-meta">
                    {field(|r| r.sku.clone())} " · " {field(|r| r.unit_price.clone())}
                    " · " {env.text(|t| t.ordered)} " " {move || row.with(|r| r.as_ref().map_or(0, |r| r.ordered))}
                    " · " {env.text(|t| t.left)} " " {available}
                </span>
                // Empty lists are hidden, so screen readers do not announce them.
                <ul class=move || format!("rw-codes rw-{}", row.with(|r| r.as_ref().map_or("eligible", |r| outcome_class(r.outcome))))
                    hidden=move || row.with(|r| r.as_ref().is_none_or(|r| r.messages.is_empty()))>
                    {move || row.with(|r| r.as_ref().map(|r| r.messages.clone()).unwrap_or_default())
                        .into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                </ul>
            </div>
            <div class="rw-stepper" role="group" aria-label=move || format!("{}{}{}", env.t().quantity, env.t().colon, title())>
                // At a bound the button is only marked disabled, so it keeps the focus.
                <button type="button" class="rw-dec"
                    aria-label=move || format!("{}{}{}", env.t().decrease, env.t().colon, title())
                    disabled=move || !selectable()
                    aria-disabled=move || (!selectable() || chosen() == 0).to_string()
                    on:click=move |_| { if chosen() > 0 { set(chosen() - 1) } }>"−"</button>
                <label class="rw-sr" for=input_id.clone()>{move || format!("{}{}{}", env.t().quantity, env.t().colon, title())}</label>
                <input id=input_id type="number" inputmode="numeric" min="0" class="rw-qty"
                    max=move || available().to_string()
                    disabled=move || !selectable()
                    prop:value=move || chosen().to_string()
                    on:change=move |ev| {
                        set(event_target_value(&ev).trim().parse().unwrap_or(0));
                        // The draft caps what was typed; show the capped number, which is
                        // what the quote uses, even when the draft did not change.
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        input.set_value(&chosen_untracked().to_string());
                    } />
                <button type="button" class="rw-inc"
                    aria-label=move || format!("{}{}{}", env.t().increase, env.t().colon, title())
                    disabled=move || !selectable()
                    aria-disabled=move || (!selectable() || chosen() >= available()).to_string()
                    on:click=move |_| { if chosen() < available() { set(chosen() + 1) } }>"+"</button>
            </div>
            <Show when=move || (chosen() > 0) && row.with(|r| r.as_ref().is_some_and(|r| !r.variants.is_empty()))>
                <label class="rw-field rw-variant">
                    <span>{env.text(|t| t.exchange_for)}</span>
                    <select name="exchange_for" on:change=move |ev| {
                        let sku = event_target_value(&ev);
                        line.with_value(|line| draft.update(|d| d.set_exchange(line, &sku)));
                    }>
                        <option value="" selected=move || row.with(|r| r.as_ref().is_none_or(|r| r.exchange_for.is_none()))>
                            {env.text(|t| t.choose_variant)}
                        </option>
                        {move || row.with(|r| r.as_ref().map(|r| (r.variants.clone(), r.exchange_for.clone())))
                            .map(|(variants, current)| variants.into_iter().map(|v| {
                                let selected = current.as_deref() == Some(v.sku.as_str());
                                let label = if v.in_stock {
                                    v.title
                                } else {
                                    format!("{}{}", v.title, env.t().parens(env.t().out_of_stock))
                                };
                                view! { <option value=v.sku disabled=!v.in_stock selected=selected>{label}</option> }
                            }).collect_view())}
                    </select>
                </label>
            </Show>
        </li>
    }
}

/// One sentence for screen readers: the verdict and the total, or what is still missing.
fn announcement(env: Env, loaded: &Loaded, live: &LiveQuote) -> String {
    let t = env.t();
    let lang = env.lang.get();
    match live {
        LiveQuote::Ready(quote) if model::to_finish(quote) => t.to_finish.to_owned(),
        LiveQuote::Ready(quote) if quote.outcome == Outcome::Ineligible => {
            messages::outcome_label(quote.outcome, lang).to_owned()
        }
        LiveQuote::Ready(quote) => format!(
            "{} · {} {}",
            messages::outcome_label(quote.outcome, lang),
            t.total,
            loaded.money(quote.total, lang)
        ),
        LiveQuote::NeedKind => t.need_kind.to_owned(),
        LiveQuote::NeedReason => t.need_reason.to_owned(),
        LiveQuote::NeedLines => t.need_lines.to_owned(),
        LiveQuote::Invalid(error) => messages::input_error(error, lang),
    }
}

fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Eligible => "eligible",
        Outcome::NeedsReview => "review",
        Outcome::Ineligible => "ineligible",
    }
}

/// The live quote panel: guidance until the draft is complete, then every component explained.
/// `none_choosable`: the kind and reason leave no line that can go back.
fn summary(env: Env, loaded: &Loaded, live: LiveQuote, none_choosable: bool) -> AnyView {
    let t = env.t();
    let lang = env.lang.get();
    match live {
        LiveQuote::NeedLines if none_choosable => {
            view! { <p class="rw-muted rw-hint">{t.no_lines_for_choice}</p> }.into_any()
        }
        LiveQuote::NeedKind => view! { <p class="rw-muted rw-hint">{t.need_kind}</p> }.into_any(),
        LiveQuote::NeedReason => {
            view! { <p class="rw-muted rw-hint">{t.need_reason}</p> }.into_any()
        }
        LiveQuote::NeedLines => view! { <p class="rw-muted rw-hint">{t.need_lines}</p> }.into_any(),
        LiveQuote::Invalid(error) => {
            view! { <p class="rw-error">{messages::input_error(&error, lang)}</p> }.into_any()
        }
        // A refused request gets nothing back, so no amount is shown next to the refusal.
        LiveQuote::Ready(quote) => breakdown_view(
            env,
            loaded.breakdown(&quote, lang),
            quote.kind != RequestKind::Exchange && quote.outcome != Outcome::Ineligible,
            true,
        ),
    }
}

/// One quote explained: the components, the total, the split (not for an exchange, which
/// moves no money), and the reasons behind the verdict (the verdict itself only for a live
/// quote; a recorded request shows its state instead).
pub fn breakdown_view(env: Env, b: Breakdown, show_money: bool, with_verdict: bool) -> AnyView {
    let t = env.t();
    let lang = env.lang.get();
    let outcome = b.outcome;
    let no_notes = b.notes.is_empty();
    let no_exchanges = b.exchanges.is_empty();
    let (class, verdict) = if b.to_finish {
        ("todo", t.to_finish)
    } else {
        (
            outcome_class(outcome),
            messages::outcome_label(outcome, lang),
        )
    };
    view! {
        <div class="rw-breakdown">
            {with_verdict.then(|| view! {
                <p class=format!("rw-verdict rw-{class}")>{verdict}</p>
            })}
            <ul class="rw-notes" hidden=no_notes>
                {b.notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
            <ul class="rw-exchanges" hidden=no_exchanges>
                {b.exchanges.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
            </ul>
            {show_money.then(|| view! {
            <dl class="rw-components">
                {b.rows.iter().map(|row| view! {
                    <div class="rw-component" data-code=row.code>
                        <dt>{row.label.clone()}<small>{row.explanation.clone()}</small></dt>
                        <dd class:rw-negative=row.negative>{row.amount.clone()}</dd>
                    </div>
                }).collect_view()}
            </dl>
            <p class="rw-total-line">
                <span>{t.total}</span>
                <strong class="rw-total">{b.total.clone()}</strong>
            </p>
            <ul class="rw-split">
                {b.split.iter().map(|s| view! {
                    <li>
                        <span>{t.refunded_to} " · " {s.method.clone()}
                            {s.in_kind.then(|| t.parens(t.in_kind))}</span>
                        <span class="rw-split-amount">{s.amount.clone()}</span>
                    </li>
                }).collect_view()}
            </ul>
            })}
        </div>
    }
    .into_any()
}
