//! The store's webhook endpoints, for owners: the list, adding one (its signing secret shown
//! once), turning one off and on, rotating its secret, deleting it, and its delivery log with
//! "send again". What each line says comes from `model`; the words from `texts`.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_api::{DeliveryState, EndpointView, ErrorCode, EventType};

use crate::app::{Env, Problem, run};
use crate::model::{
    Answer, DeliveryLine, EndpointStatus, ShownSecret, Subscribed, TypeChoice, delivery_lines,
    endpoint_status, format_time, log_waits, new_endpoint, put_endpoint, subscribed, switch,
};
use crate::texts::{delivery_state_label, disabled_label, event_label, texts};

/// How often an open delivery log reads itself again while a delivery in it waits.
const LOG_REFRESH_MS: u64 = 2_000;

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    format_time(at, -(js_sys::Date::new_0().get_timezone_offset() as i32))
}

#[component]
pub fn Webhooks() -> impl IntoView {
    let env = expect_context::<Env>();
    let list = RwSignal::new(Vec::<EndpointView>::new());
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let secret = RwSignal::new(None::<ShownSecret>);
    let heading = NodeRef::<html::H2>::new();
    run(
        env,
        busy,
        error,
        async move { env.api.endpoints().await },
        move |l| {
            list.set(l);
            loaded.set(true);
        },
    );
    view! {
        <section class="rd-card rd-webhooks" aria-labelledby="rd-webhooks-title">
            <h2 id="rd-webhooks-title" tabindex="-1" node_ref=heading>{move || env.t().webhooks}</h2>
            <p class="rd-muted">{move || env.t().webhooks_intro}</p>
            {move || secret.get().map(|shown| view! { <SecretBox shown secret /> })}
            <Show when=move || loaded.get() && list.with(Vec::is_empty)>
                <p class="rd-empty">{move || env.t().no_endpoints}</p>
            </Show>
            <ul class="rd-endpoints">
                <For
                    each=move || list.with(|l| l.iter().map(|e| e.id.clone()).collect::<Vec<_>>())
                    key=|id| id.clone()
                    children=move |id: String| view! { <Endpoint id list secret heading /> }
                />
            </ul>
            <AddEndpoint list secret />
            <Problem error />
        </section>
    }
}

/// The signing secret, once: with a copy button, until when an old one still signs, and how a
/// receiver verifies a delivery. Closing it forgets the secret.
#[component]
fn SecretBox(shown: ShownSecret, secret: RwSignal<Option<ShownSecret>>) -> impl IntoView {
    let env = expect_context::<Env>();
    let field = NodeRef::<html::Input>::new();
    let copied = RwSignal::new(None::<bool>);
    // The owner's attention goes to the secret at once (and a screen reader reads its label).
    Effect::new(move |_| {
        if let Some(input) = field.get() {
            let _ = input.focus();
            input.select();
        }
    });
    let value = shown.secret.clone();
    let copy = move |_| {
        let text = value.clone();
        spawn_local(async move {
            let done = match web_sys::window() {
                Some(window) => {
                    let promise = window.navigator().clipboard().write_text(&text);
                    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
                }
                None => false,
            };
            if !done && let Some(input) = field.get_untracked() {
                input.select();
            }
            copied.set(Some(done));
        });
    };
    let rotated = shown.rotated;
    let old_until = shown.old_until;
    view! {
        <div class="rd-secret" role="region" aria-labelledby="rd-secret-title">
            <h3 id="rd-secret-title">
                {move || if rotated { env.t().new_secret_title } else { env.t().secret_title }}
            </h3>
            <p>{move || env.t().secret_for}" "<code class="rd-link-out">{shown.url.clone()}</code></p>
            <p id="rd-secret-once" class="rd-secret-once"><strong>{move || env.t().secret_once}</strong></p>
            <div class="rd-secret-row">
                <input type="text" class="rd-secret-value" readonly spellcheck="false" autocomplete="off"
                    node_ref=field prop:value=shown.secret.clone()
                    aria-label=move || env.t().secret_title aria-describedby="rd-secret-once"
                    on:focus=move |_| { if let Some(input) = field.get_untracked() { input.select(); } } />
                <button type="button" class="rd-copy" on:click=copy>{move || env.t().copy}</button>
                <span class="rd-muted" role="status">
                    {move || copied.get().map(|ok| if ok { env.t().copied } else { env.t().copy_failed })}
                </span>
            </div>
            {old_until.map(|until| view! {
                <p class="rd-secret-old">{move || env.t().old_secret_until}" "<time>{when(until)}</time></p>
            })}
            <h4>{move || env.t().verify_title}</h4>
            <ul class="rd-verify">
                <li><code>"webhook-id"</code>": "{move || env.t().verify_id}</li>
                <li><code>"webhook-timestamp"</code>": "{move || env.t().verify_timestamp}</li>
                <li><code>"webhook-signature"</code>": "{move || env.t().verify_signature}</li>
            </ul>
            <p>{move || env.t().verify_library}</p>
            <button type="button" class="rd-primary rd-secret-done" on:click=move |_| secret.set(None)>
                {move || env.t().secret_saved}
            </button>
        </div>
    }
}

/// A step on an endpoint that asks first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asking {
    Rotate,
    Delete,
}

#[component]
fn Endpoint(
    id: String,
    list: RwSignal<Vec<EndpointView>>,
    secret: RwSignal<Option<ShownSecret>>,
    heading: NodeRef<html::H2>,
) -> impl IntoView {
    let env = expect_context::<Env>();
    let id = StoredValue::new(id);
    let endpoint =
        Memo::new(move |_| list.with(|l| l.iter().find(|e| e.id == id.get_value()).cloned()));
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let asking = RwSignal::new(None::<Asking>);
    let log_open = RwSignal::new(false);
    let log_id = format!("rd-log-{}", id.get_value());
    let (rotate_button, delete_button, confirm_button) = (
        NodeRef::<html::Button>::new(),
        NodeRef::<html::Button>::new(),
        NodeRef::<html::Button>::new(),
    );
    // A question takes the focus to its confirmation; leaving it gives the focus back to the
    // button that asked.
    Effect::new(move |_| {
        if let Some(button) = confirm_button.get() {
            let _ = button.focus();
        }
    });
    let cancel = move || {
        let back = match asking.get_untracked() {
            Some(Asking::Rotate) => rotate_button,
            Some(Asking::Delete) => delete_button,
            None => return,
        };
        asking.set(None);
        if let Some(button) = back.get_untracked() {
            let _ = button.focus();
        }
    };
    // Buttons stay enabled while a call runs (a focused button that turns disabled drops the
    // keyboard's focus); a second press meanwhile does nothing.
    let toggle = move |_| {
        if busy.get_untracked() {
            return;
        }
        let Some(change) = endpoint.with_untracked(|e| e.as_ref().map(switch)) else {
            return;
        };
        run(
            env,
            busy,
            error,
            async move { env.api.change_endpoint(&id.get_value(), &change).await },
            move |e| list.update(|l| put_endpoint(l, e)),
        );
    };
    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        let Some(step) = asking.get_untracked() else {
            return;
        };
        let eid = id.get_value();
        match step {
            Asking::Rotate => run(
                env,
                busy,
                error,
                async move { env.api.rotate_secret(&eid).await },
                move |answer| {
                    asking.set(None);
                    secret.set(Some(ShownSecret::rotated(&answer)));
                    list.update(|l| put_endpoint(l, answer.endpoint));
                },
            ),
            Asking::Delete => run(
                env,
                busy,
                error,
                async move { env.api.delete_endpoint(&eid).await },
                move |()| {
                    let gone = id.get_value();
                    if secret.with_untracked(|s| s.as_ref().is_some_and(|s| s.endpoint_id == gone))
                    {
                        secret.set(None);
                    }
                    // The row goes away with its buttons: the focus goes to the section.
                    if let Some(h) = heading.get_untracked() {
                        let _ = h.focus();
                    }
                    list.update(|l| l.retain(|e| e.id != gone));
                },
            ),
        }
    };
    let field = move |f: fn(&EndpointView) -> String| {
        move || endpoint.with(|e| e.as_ref().map(f).unwrap_or_default())
    };
    let url = field(|e| e.url.clone());
    let status = move || endpoint.with(|e| e.as_ref().map(endpoint_status));
    let on = move || status() == Some(EndpointStatus::On);
    view! {
        <li class="rd-endpoint" data-endpoint=id.get_value()>
            <p class="rd-endpoint-head">
                <code class="rd-endpoint-url">{url}</code>
                <span class="rd-endpoint-status" class:rd-on=on class:rd-off=move || !on()>
                    {move || {
                        let lang = env.lang.get();
                        let t = texts(lang);
                        match status() {
                            Some(EndpointStatus::Off(reason)) => format!("{}: {}", t.endpoint_off, disabled_label(reason, lang)),
                            _ => t.endpoint_on.to_owned(),
                        }
                    }}
                </span>
            </p>
            <p class="rd-muted rd-endpoint-types">
                {move || env.t().event_types}": "
                {move || match endpoint.with(|e| e.as_ref().map(|e| subscribed(&e.types))) {
                    Some(Subscribed::Only(codes)) => codes.join(", "),
                    _ => env.t().all_events.to_owned(),
                }}
            </p>
            {move || endpoint.with(|e| e.as_ref().and_then(|e| e.failing_since)).map(|since| view! {
                <p class="rd-soon rd-failing">{move || env.t().failing_since}" "<time>{when(since)}</time></p>
            })}
            <div class="rd-actions" role="group" aria-label=move || format!("{} · {}", env.t().endpoint_actions, url())>
                <button type="button" class="rd-switch" aria-busy=move || busy.get().to_string() on:click=toggle>
                    {move || if on() { env.t().turn_off } else { env.t().turn_on }}
                </button>
                <button type="button" class="rd-rotate" node_ref=rotate_button
                    aria-expanded=move || (asking.get() == Some(Asking::Rotate)).to_string()
                    on:click=move |_| asking.set(Some(Asking::Rotate))>
                    {move || env.t().rotate_secret}
                </button>
                <button type="button" class="rd-delete" node_ref=delete_button
                    aria-expanded=move || (asking.get() == Some(Asking::Delete)).to_string()
                    on:click=move |_| asking.set(Some(Asking::Delete))>
                    {move || env.t().delete}
                </button>
                <button type="button" class="rd-show-log" aria-controls={
                    let log_id = log_id.clone();
                    move || log_open.get().then(|| log_id.clone())
                }
                    aria-expanded=move || log_open.get().to_string()
                    on:click=move |_| log_open.update(|o| *o = !*o)>
                    {move || if log_open.get() { env.t().hide_deliveries } else { env.t().deliveries }}
                </button>
            </div>
            {move || asking.get().map(|step| {
                let t = texts(env.lang.get());
                let (question, label, class) = match step {
                    Asking::Rotate => (t.rotate_confirm, t.rotate_secret, "rd-primary rd-confirm-action"),
                    Asking::Delete => (t.delete_confirm, t.delete, "rd-danger rd-confirm-action"),
                };
                view! {
                    <div class="rd-confirm-box" on:keydown=move |ev| if ev.key() == "Escape" { cancel() }>
                        <p class="rd-confirm" role="alert">{question}</p>
                        <button type="button" class=class node_ref=confirm_button
                            aria-busy=move || busy.get().to_string() on:click=confirm>{t.confirm}" · "{label}</button>
                        <button type="button" on:click=move |_| cancel()>{t.cancel}</button>
                    </div>
                }
            })}
            <Problem error />
            <Show when=move || log_open.get()>
                <Deliveries id=id.get_value() log_id=log_id.clone() />
            </Show>
        </li>
    }
}

#[component]
fn Deliveries(id: String, log_id: String) -> impl IntoView {
    let env = expect_context::<Env>();
    let id = StoredValue::new(id);
    let lines = RwSignal::new(Vec::<DeliveryLine>::new());
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Reading the log (also by itself) and sending again are apart: a poll never holds up
    // "send again".
    let loading = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let sent_again = RwSignal::new(false);
    let load = move || {
        run(
            env,
            loading,
            error,
            async move { env.api.deliveries(&id.get_value()).await },
            move |log| {
                lines.set(delivery_lines(&log));
                loaded.set(true);
            },
        )
    };
    load();
    // While something waits to be sent (a redelivery too), the log follows it by itself.
    let poll = set_interval_with_handle(
        move || {
            if !loading.get_untracked() && lines.with_untracked(|l| log_waits(l)) {
                load();
            }
        },
        std::time::Duration::from_millis(LOG_REFRESH_MS),
    )
    .ok();
    on_cleanup(move || {
        if let Some(handle) = poll {
            handle.clear();
        }
    });
    let again = move |event_id: String| {
        if sending.get_untracked() {
            return;
        }
        run(
            env,
            sending,
            error,
            async move { env.api.redeliver(&id.get_value(), &event_id).await },
            move |()| {
                sent_again.set(true);
                load();
            },
        );
    };
    view! {
        <div class="rd-deliveries" id=log_id.clone() role="region" aria-labelledby=format!("{log_id}-title")>
            <div class="rd-deliveries-bar">
                <h3 id=format!("{log_id}-title")>{move || env.t().deliveries}</h3>
                <button type="button" class="rd-refresh" aria-busy=move || loading.get().to_string()
                    on:click=move |_| if !loading.get_untracked() { sent_again.set(false); load(); }>{move || env.t().refresh}</button>
                <span class="rd-muted" role="status">{move || sent_again.get().then(|| env.t().sent_again)}</span>
            </div>
            <Show when=move || loaded.get() && lines.with(Vec::is_empty)>
                <p class="rd-empty">{move || env.t().no_deliveries}</p>
            </Show>
            <ol class="rd-delivery-list">
                <For
                    each=move || lines.with(|l| l.iter().map(|d| d.event_id.clone()).collect::<Vec<_>>())
                    key=|event_id| event_id.clone()
                    children=move |event_id: String| {
                        let eid = StoredValue::new(event_id);
                        let line = Memo::new(move |_| {
                            lines.with(|l| l.iter().find(|d| d.event_id == eid.get_value()).cloned())
                        });
                        view! { <Delivery line again=move || again(eid.get_value()) /> }
                    }
                />
            </ol>
            <Problem error />
        </div>
    }
}

#[component]
fn Delivery(
    line: Memo<Option<DeliveryLine>>,
    again: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let env = expect_context::<Env>();
    let read =
        move |f: fn(&DeliveryLine) -> String| line.with(|l| l.as_ref().map(f).unwrap_or_default());
    let state = move || line.with(|l| l.as_ref().map(|l| l.state));
    let state_code = move || match state() {
        Some(DeliveryState::Delivered) => "delivered",
        Some(DeliveryState::Failed) => "failed",
        _ => "pending",
    };
    view! {
        <li class="rd-delivery" data-event=move || read(|l| l.event_id.clone()) data-state=state_code>
            <div class="rd-delivery-head">
                <code class="rd-event-type" title=move || line.with(|l| l.as_ref().map(|l| event_label(l.kind, env.lang.get())))>{move || read(|l| l.code.to_owned())}</code>
                <span class=move || format!("rd-state rd-state-{}", state_code())>
                    {move || state().map(|s| delivery_state_label(s, env.lang.get()))}
                </span>
                {move || line.with(|l| l.as_ref().and_then(|l| l.next_at)).map(|at| view! {
                    <span class="rd-muted">{move || env.t().next_attempt}" "<time>{when(at)}</time></span>
                })}
                <span class="rd-muted rd-event-id">{move || read(|l| l.event_id.clone())}</span>
                <button type="button" class="rd-redeliver" on:click=move |_| again()
                    aria-label=move || format!("{}: {} {}", env.t().send_again, read(|l| l.code.to_owned()), read(|l| l.event_id.clone()))>
                    {move || env.t().send_again}
                </button>
            </div>
            {move || {
                let t = texts(env.lang.get());
                let attempts = line.with(|l| l.as_ref().map(|l| l.attempts.clone()).unwrap_or_default());
                if attempts.is_empty() {
                    return view! { <p class="rd-muted">{t.no_attempts}</p> }.into_any();
                }
                view! {
                    <table class="rd-table rd-attempts">
                        <caption class="rd-visually-hidden">{t.attempts}</caption>
                        <thead><tr>
                            <th scope="col" class="rd-num">{t.col_attempt}</th>
                            <th scope="col">{t.col_time}</th>
                            <th scope="col">{t.col_answer}</th>
                            <th scope="col" class="rd-num">{t.col_latency}</th>
                            <th scope="col">{t.col_excerpt}</th>
                        </tr></thead>
                        <tbody>
                            {attempts.into_iter().enumerate().map(|(i, a)| {
                                let (answer, ok, status) = match a.answer {
                                    Answer::Status { code, ok } => (code.to_string(), ok, code.to_string()),
                                    Answer::NoAnswer => (t.no_answer.to_owned(), false, String::new()),
                                };
                                view! {
                                    <tr class="rd-attempt" data-status=status>
                                        <td class="rd-num">{i + 1}</td>
                                        <td><time>{when(a.at)}</time></td>
                                        <td>
                                            <span class="rd-answer" class:rd-ok=ok class:rd-overdue=!ok>{answer}</span>
                                            {a.error.map(|e| view! { <span class="rd-attempt-error">{e}</span> })}
                                        </td>
                                        <td class="rd-num">{a.latency}</td>
                                        <td><code class="rd-excerpt">{a.excerpt}</code></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </li>
    }
}

/// The form that adds an endpoint: its URL (the server's complaint about it right below) and
/// the event types it receives.
#[component]
fn AddEndpoint(
    list: RwSignal<Vec<EndpointView>>,
    secret: RwSignal<Option<ShownSecret>>,
) -> impl IntoView {
    let env = expect_context::<Env>();
    let url = RwSignal::new(String::new());
    let choice = RwSignal::new(TypeChoice::default());
    let url_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let body = new_endpoint(&url.get_untracked(), &choice.get_untracked());
        busy.set(true);
        url_error.set(None);
        error.set(None);
        spawn_local(async move {
            match env.api.add_endpoint(&body).await {
                Ok(answer) => {
                    secret.set(Some(ShownSecret::added(&answer)));
                    list.update(|l| put_endpoint(l, answer.endpoint));
                    url.set(String::new());
                    choice.set(TypeChoice::default());
                }
                Err(e) if e.is(ErrorCode::InvalidWebhookUrl) => {
                    url_error.set(Some(env.error_text(&e)))
                }
                Err(e) => error.set(Some(env.error_text(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="rd-stack rd-webhook-form" on:submit=add>
            <h3>{move || env.t().new_endpoint}</h3>
            <label>{move || env.t().endpoint_url}
                <input type="url" name="webhook-url" required maxlength="2000" autocomplete="url"
                    placeholder="https://example.com/webhooks/refunds"
                    aria-invalid=move || url_error.with(Option::is_some).to_string()
                    aria-describedby="rd-webhook-url-error"
                    prop:value=url on:input=move |ev| url.set(event_target_value(&ev)) />
            </label>
            {move || url_error.get().map(|e| view! {
                <p id="rd-webhook-url-error" class="rd-error rd-field-error" role="alert">{e}</p>
            })}
            <fieldset class="rd-types" aria-describedby="rd-types-hint">
                <legend>{move || env.t().event_types}</legend>
                <p id="rd-types-hint" class="rd-muted rd-types-hint">{move || env.t().types_hint}</p>
                {EventType::ALL.into_iter().map(|kind| view! {
                    <label class="rd-check">
                        <input type="checkbox" name="webhook-type" value=kind.code()
                            prop:checked=move || choice.with(|c| c.has(kind))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                choice.update(|c| c.set(kind, on));
                            } />
                        <span>{move || event_label(kind, env.lang.get())}" "<code>{kind.code()}</code></span>
                    </label>
                }).collect_view()}
            </fieldset>
            <button type="submit" class="rd-primary" aria-busy=move || busy.get().to_string()>{move || env.t().add_endpoint}</button>
            <Problem error />
        </form>
    }
}
