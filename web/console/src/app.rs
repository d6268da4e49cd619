//! The desk's frame: who is signed in, where the address bar points, the language.

use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_api::{DeskSession, Permission, Role};
use refund_core::messages::Lang;

use crate::api::{Api, ApiError};
use crate::model::Route;
use crate::queue::Queue;
use crate::request::RequestPage;
use crate::settings::Settings;
use crate::sign_in::{SetUpForm, SignInForm};
use crate::texts::{Texts, role_label, texts};

const LANG_KEY: &str = "refund-desk-lang";

/// What every page needs.
#[derive(Clone, Copy)]
pub struct Env {
    pub lang: RwSignal<Lang>,
    pub api: Api,
    pub me: RwSignal<Option<DeskSession>>,
    pub route: RwSignal<Route>,
}

impl Env {
    pub fn t(&self) -> &'static Texts {
        texts(self.lang.get())
    }

    pub fn error_text(&self, error: &ApiError) -> String {
        let t = texts(self.lang.get_untracked());
        match error {
            ApiError::Network => t.network_error.to_owned(),
            ApiError::Server { head, .. } if head.message.is_empty() => t.server_error.to_owned(),
            ApiError::Server { head, .. } => head.message.clone(),
        }
    }

    /// The signed-in staff member's role (a viewer's, until known).
    pub fn role(&self) -> Role {
        self.me
            .with(|me| me.as_ref().map(|m| m.staff.role))
            .unwrap_or(Role::Viewer)
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.role().may(permission)
    }

    pub fn go(&self, route: Route) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&route.hash());
        }
        self.route.set(route);
    }
}

fn current_route() -> Route {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Route::parse(&hash)
}

fn stored_lang() -> Option<Lang> {
    use gloo_storage::Storage;
    gloo_storage::LocalStorage::get::<String>(LANG_KEY)
        .ok()
        .and_then(|tag| Lang::from_tag(&tag))
}

fn browser_lang() -> Lang {
    let languages = web_sys::window()
        .map(|w| w.navigator().languages().to_vec())
        .unwrap_or_default();
    let tags: Vec<String> = languages.iter().filter_map(|v| v.as_string()).collect();
    Lang::negotiate(tags.iter().map(String::as_str))
}

#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(stored_lang().unwrap_or_else(browser_lang));
    let env = Env {
        lang,
        api: Api::new(lang.into()),
        me: RwSignal::new(None),
        route: RwSignal::new(current_route()),
    };
    provide_context(env);
    let checked = RwSignal::new(false);
    let _hash = window_event_listener(leptos::ev::hashchange, move |_| {
        env.route.set(current_route());
    });
    Effect::new(move |_| {
        let tag = lang.get().tag();
        use gloo_storage::Storage;
        let _ = gloo_storage::LocalStorage::set(LANG_KEY, tag);
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", tag);
        }
    });
    // Whether the cookie still holds a session.
    spawn_local(async move {
        match env.api.session().await {
            Ok(session) => {
                env.api.keep(&session);
                env.me.set(Some(session));
            }
            // No session yet is not one that ended.
            Err(_) => env.api.signed_out.set(false),
        }
        checked.set(true);
    });
    Effect::new(move |_| {
        if env.api.signed_out.get() {
            env.me.set(None);
        }
    });
    move || {
        if !checked.get() {
            return view! { <p class="rd-loading">{move || env.t().loading}</p> }.into_any();
        }
        if let Route::SetUp(token) = env.route.get() {
            return view! { <SetUpForm token /> }.into_any();
        }
        if env.me.with(Option::is_none) {
            return view! { <SignInForm /> }.into_any();
        }
        view! { <Signed /> }.into_any()
    }
}

#[component]
fn Signed() -> impl IntoView {
    let env = expect_context::<Env>();
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = env.api.sign_out().await;
            env.me.set(None);
        });
    };
    let toggle = move |_| {
        env.lang.update(|l| {
            *l = if *l == Lang::ZhCn {
                Lang::En
            } else {
                Lang::ZhCn
            }
        })
    };
    let me = move || env.me.get();
    view! {
        <header class="rd-top">
            <span class="rd-brand">{move || env.t().app_name}</span>
            <span class="rd-merchant">{move || me().map(|m| m.merchant.name)}</span>
            <nav class="rd-nav">
                <a href="#/queue" class:rd-current=move || !matches!(env.route.get(), Route::Settings)>
                    {move || env.t().queue}
                </a>
                <a href="#/settings" class:rd-current=move || matches!(env.route.get(), Route::Settings)>
                    {move || env.t().settings}
                </a>
            </nav>
            <span class="rd-me">
                {move || me().map(|m| format!("{} · {}", m.staff.name, role_label(m.staff.role, env.lang.get())))}
            </span>
            <button type="button" class="rd-link" on:click=toggle>{move || env.t().other_lang}</button>
            <button type="button" class="rd-link" on:click=sign_out>{move || env.t().sign_out}</button>
        </header>
        <main class="rd-main">
            {move || match env.route.get() {
                Route::Request(id) => view! { <RequestPage id /> }.into_any(),
                Route::Settings => view! { <Settings /> }.into_any(),
                _ => view! { <Queue /> }.into_any(),
            }}
        </main>
    }
}

/// A failed call's message, or nothing.
#[component]
pub fn Problem(error: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || error.with(Option::is_some)>
            <p class="rd-error" role="alert">{move || error.get()}</p>
        </Show>
    }
}

/// Runs `call`, keeping `busy` on meanwhile and the error's message in `error`.
pub fn run<T: 'static>(
    env: Env,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    call: impl std::future::Future<Output = Result<T, ApiError>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        match call.await {
            Ok(value) => done(value),
            Err(e) => error.set(Some(env.error_text(&e))),
        }
        busy.set(false);
    });
}
