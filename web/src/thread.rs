//! A request's thread with the merchant (协商): closed behind its heading, with the number of
//! unread messages, until the shopper opens it; then the messages, oldest first, and a reply
//! box with photos. What it shows is decided by [`crate::model`].

use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_api::Thread;

use crate::app::{Alert, Env};
use crate::dom;
use crate::model::{self, PhotoUse, RequestView, ThreadShown};
use crate::photos::{PhotoSet, Photos};
use crate::texts;

#[component]
pub fn ThreadCard(
    env: Env,
    request: RwSignal<RequestView>,
    /// Counts the status view's re-reads: an open thread is read again with each.
    polled: RwSignal<u32>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let thread = RwSignal::new(None::<Thread>);
    // Why the last read failed, while none has succeeded since.
    let failed = RwSignal::new(None::<String>);
    let text = RwSignal::new(String::new());
    let photos = PhotoSet::restored(&[]);
    let sending = RwSignal::new(false);
    let send_error = RwSignal::new(None::<String>);
    let reply_box = NodeRef::<leptos::html::Textarea>::new();
    let id = move || request.with_untracked(|r| r.id.clone());
    let lang = env.lang;

    // Reads the thread; while it is open, the merchant's messages are then marked read.
    let load = move || {
        let id = id();
        spawn_local(async move {
            match env.api.thread(&id).await {
                Ok(fresh) => {
                    let unread = fresh.unread;
                    failed.try_set(None);
                    thread.try_set(Some(fresh));
                    if unread > 0
                        && open.try_get_untracked() == Some(true)
                        && env.api.mark_read(&id).await.is_ok()
                    {
                        request.try_update(|r| r.unread = 0);
                    }
                }
                Err(e) => {
                    failed.try_set(Some(env.error_text(&e)));
                }
            }
        });
    };
    Effect::new(move |previous: Option<()>| {
        polled.track();
        if previous.is_some() && open.get_untracked() {
            load();
        }
    });
    crate::app::clear_on_language_change(env, send_error);
    crate::app::on_language_change(env, move || {
        if failed.get_untracked().is_some() {
            failed.set(None);
            load();
        }
    });
    // Photos uploaded for a message never sent would count towards the order's limit.
    on_cleanup(move || env.api.delete_evidence_soon(photos.ids()));

    let toggle = move |_| {
        let opening = !open.get_untracked();
        open.set(opening);
        if opening {
            load();
        }
    };
    let asked = Memo::new(move |_| thread.with(|t| t.as_ref().is_some_and(model::photos_asked)));
    let rows = Memo::new(move |_| thread.with(|t| t.as_ref().map(model::message_rows)));

    let send = move || {
        if sending.get_untracked() {
            return;
        }
        let message = match model::reply(&text.get_untracked(), photos.ids(), photos.uploading()) {
            Ok(message) => message,
            Err(problem) => {
                send_error.set(Some(
                    model::reply_problem_text(problem, lang.get_untracked()).to_owned(),
                ));
                env.focus(reply_box);
                return;
            }
        };
        let known = thread.with_untracked(|t| t.as_ref().map_or(0, |t| t.messages.len()));
        sending.set(true);
        send_error.set(None);
        let id = id();
        spawn_local(async move {
            let answer = match env.api.post_message(&id, &message).await {
                // No answer: the message may be in the thread already; never send it twice.
                Err(e) if e.maybe_done() => match env.api.thread(&id).await {
                    Ok(fresh) if model::delivered(&fresh, &message, known) => Ok(fresh),
                    _ => Err(e),
                },
                answer => answer,
            };
            match answer {
                Ok(fresh) => {
                    thread.try_set(Some(fresh));
                    text.try_set(String::new());
                    photos.clear();
                }
                Err(e) => {
                    send_error.try_set(Some(env.error_text(&e)));
                }
            }
            sending.try_set(false);
            // The button was disabled while sending, which took the focus from it.
            env.focus(reply_box);
        });
    };

    let offset = dom::browser_offset();
    view! {
        <section class="rw-card rw-thread">
            <button type="button" class="rw-thread-toggle" aria-controls="rw-thread-body"
                aria-expanded=move || open.get().to_string() on:click=toggle>
                <span>{env.desk_text(|d| d.thread)}</span>
                {move || model::unread_badge(request.with(|r| r.unread), open.get()).map(|n| view! {
                    <span class="rw-badge rw-unread" aria-label=texts::unread_label(&n, lang.get())>{n.clone()}</span>
                })}
            </button>
            <Show when=move || open.get()>
            <div id="rw-thread-body">
                {move || {
                    let shown = thread.with(|t| model::thread_shown(open.get(), t.as_ref(), failed.with(Option::is_some)));
                    let said = match shown {
                        ThreadShown::Loading => env.t().loading,
                        ThreadShown::Empty => env.d().thread_empty,
                        _ => "",
                    };
                    view! {
                        <p class="rw-muted rw-thread-state" role="status" hidden=said.is_empty()>{said}</p>
                        <div class="rw-error" role="alert" hidden=shown != ThreadShown::Failed>
                            <p>{failed.get()}</p>
                            <button type="button" class="rw-secondary" on:click=move |_| load()>{env.t().retry}</button>
                        </div>
                    }
                }}
                <ol class="rw-messages">
                    // Built again when the messages or the language change; text, never
                    // markup: Leptos sets a message's body as a text node.
                    {move || {
                        let lang = lang.get();
                        let asks = env.d().asks_photos;
                        rows.get().unwrap_or_default().into_iter().map(|m| {
                            let (no_body, no_photos) = (m.body.is_empty(), m.photos.is_empty());
                            view! {
                            <li class=if m.mine { "rw-msg rw-msg-mine" } else { "rw-msg rw-msg-merchant" }>
                                <p class="rw-msg-meta rw-muted">{model::message_meta(&m, offset, lang)}</p>
                                {m.asks_for_photos.then_some(view! { <p class="rw-asks">{asks}</p> })}
                                <p class="rw-msg-body" hidden=no_body>{m.body}</p>
                                <ul class="rw-thumbs" hidden=no_photos>
                                    {m.photos.into_iter().map(|id| view! { <ThreadPhoto env id /> }).collect_view()}
                                </ul>
                            </li>
                        }}).collect_view()
                    }}
                </ol>
                <form class="rw-reply" novalidate on:submit=move |ev| { ev.prevent_default(); send(); }>
                    <Show when=move || asked.get()>
                        <p class="rw-asks" role="status">{env.desk_text(|d| d.asks_photos)}</p>
                    </Show>
                    <label class="rw-field">
                        <span>{env.desk_text(|d| d.reply)}</span>
                        <textarea name="message" rows="3" node_ref=reply_box
                            placeholder=env.desk_text(|d| d.reply_placeholder)
                            aria-invalid=move || send_error.with(Option::is_some).to_string()
                            aria-describedby=move || send_error.with(Option::is_some).then_some("rw-reply-error")
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    </label>
                    <Photos env photos purpose=PhotoUse::Message prominent=asked />
                    <Alert message=send_error id="rw-reply-error" />
                    <button type="submit" class="rw-primary rw-send" disabled=move || sending.get()>
                        {move || if sending.get() { env.d().sending } else { env.d().send }}
                    </button>
                </form>
            </div>
            </Show>
        </section>
    }
}

/// A photo of the thread: fetched with the session (an `<img>` cannot send it), shown from an
/// object URL that goes with it.
#[component]
fn ThreadPhoto(env: Env, id: String) -> impl IntoView {
    let url = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Ok(src) = env.api.photo_url(&id).await
            && let Some(src) = url.try_set(Some(src)).flatten()
        {
            // The thread was closed before the photo came.
            let _ = web_sys::Url::revoke_object_url(&src);
        }
    });
    on_cleanup(move || {
        if let Some(Some(src)) = url.try_get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&src);
        }
    });
    view! {
        <li class="rw-thumb">
            <a href=move || url.get() target="_blank" rel="noopener">
                <img src=move || url.get() alt=env.desk_text(|d| d.photo) />
            </a>
        </li>
    }
}
