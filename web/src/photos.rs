//! Photos chosen, checked, uploaded with progress, previewed and removed: the request form's
//! evidence and the photos of a message to the merchant, one component for both.

use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_core::messages::Lang;
use wasm_bindgen::JsCast;

use crate::app::Env;
use crate::model::{self, FileProblem, PhotoUse};

#[derive(Clone, Debug, PartialEq)]
pub enum UploadState {
    Uploading(u32),
    Done(String),
    /// Why, in the language it was said in (after a language switch only the generic "upload
    /// failed" shows, so the screen never mixes languages), and whether trying again can help.
    Failed {
        said_in: Lang,
        message: String,
        retry: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Upload {
    local: u32,
    name: String,
    preview: Option<String>,
    state: UploadState,
}

/// The photos of one form: what is shown, and the files behind them for a retry.
#[derive(Clone, Copy)]
pub struct PhotoSet {
    pub uploads: RwSignal<Vec<Upload>>,
    files: StoredValue<Vec<(u32, web_sys::File)>, LocalStorage>,
}

impl PhotoSet {
    /// Photos uploaded before a reload: only their ids survive, and the shopper knows each by
    /// its place.
    pub fn restored(ids: &[String]) -> PhotoSet {
        PhotoSet {
            uploads: RwSignal::new(
                ids.iter()
                    .zip(0u32..)
                    .map(|(id, local)| Upload {
                        local,
                        name: format!("#{}", local + 1),
                        preview: None,
                        state: UploadState::Done(id.clone()),
                    })
                    .collect(),
            ),
            files: StoredValue::new_local(Vec::new()),
        }
    }

    /// Whether a photo is still on its way up.
    pub fn uploading(&self) -> bool {
        self.uploads.with(|u| {
            u.iter()
                .any(|u| matches!(u.state, UploadState::Uploading(_)))
        })
    }

    /// The ids of the photos uploaded, in the order chosen (none once the form is gone).
    pub fn ids(&self) -> Vec<String> {
        self.uploads
            .try_with_untracked(|u| {
                u.iter()
                    .filter_map(|u| match &u.state {
                        UploadState::Done(id) => Some(id.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets every photo (they went out with a message); the server keeps them.
    pub fn clear(&self) {
        self.uploads.try_set(Vec::new());
        self.files.try_set_value(Vec::new());
    }
}

fn set_state(uploads: RwSignal<Vec<Upload>>, local: u32, state: UploadState) {
    uploads.update(|u| {
        if let Some(upload) = u.iter_mut().find(|x| x.local == local) {
            upload.state = state;
        }
    });
}

/// The photo list and its "add photos" control. `on_change` hears each id once it is uploaded
/// (`true`) and once its photo is removed (`false`).
#[component]
pub fn Photos(
    env: Env,
    photos: PhotoSet,
    purpose: PhotoUse,
    #[prop(optional)] on_change: Option<Callback<(String, bool)>>,
    /// How many photos the rules need, when they need any.
    #[prop(optional, into)]
    needed: Signal<Option<u32>>,
    /// Someone asked for photos: adding them is the main thing to do here.
    #[prop(optional, into)]
    prominent: Signal<bool>,
) -> impl IntoView {
    let PhotoSet { uploads, files } = photos;
    let problem = RwSignal::new(None::<FileProblem>);
    let add_input = NodeRef::<leptos::html::Input>::new();
    let next_local = StoredValue::new(1000u32);
    let previews = StoredValue::new(Vec::<String>::new());
    on_cleanup(move || {
        for url in previews.get_value() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });
    let tell = move |id: String, added: bool| {
        if let Some(on_change) = on_change {
            on_change.run((id, added));
        }
    };
    let start = move |local: u32| {
        let Some(file) =
            files.with_value(|f| f.iter().find(|(l, _)| *l == local).map(|(_, f)| f.clone()))
        else {
            return;
        };
        set_state(uploads, local, UploadState::Uploading(0));
        spawn_local(async move {
            let result = env
                .api
                .upload(&file, move |pct| {
                    set_state(uploads, local, UploadState::Uploading(pct.min(99)))
                })
                .await;
            match result {
                Ok(id) => {
                    // A photo removed while it uploaded stays out of what is sent.
                    let kept = uploads
                        .try_with_untracked(|u| u.iter().any(|x| x.local == local))
                        .unwrap_or(false);
                    if kept {
                        set_state(uploads, local, UploadState::Done(id.clone()));
                        tell(id, true);
                    } else {
                        env.api.delete_evidence(&id).await;
                    }
                }
                Err(error) => set_state(
                    uploads,
                    local,
                    UploadState::Failed {
                        said_in: env.lang.get_untracked(),
                        message: env.error_text(&error),
                        // The server refused this file (not an image, too large): a retry
                        // would be refused again.
                        retry: error.maybe_done(),
                    },
                ),
            }
        });
    };

    let on_pick = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(list) = input.files() else { return };
        problem.set(None);
        for i in 0..list.length() {
            let Some(file) = list.get(i) else { continue };
            let count = uploads.with_untracked(Vec::len);
            if let Err(p) = model::check_photo(purpose, &file.type_(), file.size(), count) {
                problem.set(Some(p));
                continue;
            }
            let local = next_local.get_value();
            next_local.set_value(local + 1);
            let preview = web_sys::Url::create_object_url_with_blob(&file).ok();
            if let Some(url) = &preview {
                previews.update_value(|p| p.push(url.clone()));
            }
            uploads.update(|u| {
                u.push(Upload {
                    local,
                    name: file.name(),
                    preview,
                    state: UploadState::Uploading(0),
                })
            });
            files.update_value(|f| f.push((local, file)));
            start(local);
        }
        input.set_value("");
    };

    let remove = move |local: u32| {
        let mut removed = None;
        uploads.update(|u| {
            if let Some(pos) = u.iter().position(|x| x.local == local) {
                removed = Some(u.remove(pos));
            }
        });
        if let Some(upload) = removed {
            if let Some(url) = &upload.preview {
                let _ = web_sys::Url::revoke_object_url(url);
            }
            if let UploadState::Done(id) = upload.state {
                tell(id.clone(), false);
                spawn_local(async move { env.api.delete_evidence(&id).await });
            }
        }
        files.update_value(|f| f.retain(|(l, _)| *l != local));
        // The remove button is gone with its photo; the shopper goes on from "add photos".
        env.focus(add_input);
    };

    let message = purpose == PhotoUse::Message;
    view! {
        <div class="rw-evidence">
            <span class="rw-label" class:rw-sr=message>{env.text(|t| t.photos)}</span>
            <Show when=move || needed.get().is_some()>
                <p class="rw-required">{move || format!("{}{}", env.t().photos_required, env.t().parens(&needed.get().unwrap_or(1).to_string()))}</p>
            </Show>
            <ul class="rw-thumbs" hidden=move || uploads.with(Vec::is_empty)>
                <For each=move || uploads.get() key=|u| u.local let:upload>
                    {
                        let local = upload.local;
                        let name = upload.name.clone();
                        let state = Memo::new(move |_| uploads.with(|u| {
                            u.iter().find(|x| x.local == local).map(|x| x.state.clone())
                        }));
                        let failed = move || matches!(state.get(), Some(UploadState::Failed { .. }));
                        // A file the browser cannot draw (or the server refused) shows a small
                        // placeholder, never a broken picture.
                        let undrawable = RwSignal::new(false);
                        let preview = upload.preview.clone();
                        let alt = name.clone();
                        view! {
                            <li class="rw-thumb" class:rw-failed=failed>
                                {move || match preview.clone().filter(|_| !failed() && !undrawable.get()) {
                                    Some(src) => view! { <img src=src alt=alt.clone() on:error=move |_| undrawable.set(true) /> }.into_any(),
                                    None => view! { <span class="rw-thumb-placeholder" aria-hidden="true">"🖼"</span> }.into_any(),
                                }}
                                <span class="rw-thumb-state">
                                    {move || match state.get() {
                                        Some(UploadState::Uploading(pct)) => view! {
                                            <progress max="100" value=pct.to_string() aria-label=env.t().uploading></progress>
                                        }.into_any(),
                                        Some(UploadState::Done(_)) => view! { <span>{env.t().uploaded}</span> }.into_any(),
                                        Some(UploadState::Failed { said_in, message, retry }) => view! {
                                            <span role="alert">{env.t().upload_failed}
                                                {(said_in == env.lang.get()).then(|| format!("{}{message}", env.t().colon))}</span>
                                            {retry.then(|| view! {
                                                <button type="button" class="rw-link" on:click=move |_| start(local)>{env.t().retry}</button>
                                            })}
                                        }.into_any(),
                                        None => ().into_any(),
                                    }}
                                </span>
                                <button type="button" class="rw-remove"
                                    aria-label=move || format!("{}{}{}", env.t().remove, env.t().colon, name)
                                    on:click=move |_| remove(local)>"×"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <label class="rw-add-photos" class:rw-prominent=move || prominent.get()>
                <span>{env.text(|t| t.add_photos)}</span>
                <input type="file" node_ref=add_input accept=model::IMAGE_TYPES.join(",") multiple on:change=on_pick />
            </label>
            <small class="rw-muted">{move || if message { env.d().message_photos_hint } else { env.t().photos_hint }}</small>
            <Show when=move || problem.get().is_some()>
                <p class="rw-error" role="alert">{move || match problem.get() {
                    Some(FileProblem::NotAnImage) => env.t().not_an_image,
                    Some(FileProblem::TooLarge) => env.t().too_large,
                    Some(FileProblem::TooMany) if message => env.d().message_too_many,
                    Some(FileProblem::TooMany) => env.t().too_many,
                    None => "",
                }}</p>
            </Show>
        </div>
    }
}
