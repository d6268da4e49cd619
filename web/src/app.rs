//! The widget's screens: find the order, see it and choose, follow a request. Components stay
//! thin: they read [`crate::model`] and call [`crate::api`].

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_core::messages::{self, Lang};
use wasm_bindgen::JsCast;

use crate::api::{Api, ApiError};
use crate::dom;
use crate::form::RequestForm;
use crate::model::{Delivery, Loaded, OrderResponse, RequestView};
use crate::status::RequestScreen;
use crate::texts::texts;

/// The attributes of `<refund-widget>`.
#[derive(Clone, Debug)]
pub struct Config {
    pub merchant: String,
    pub order_token: Option<String>,
    pub api_base: String,
}

/// What every screen needs: the language, the API, and the element to dispatch events from.
#[derive(Clone, Copy)]
pub struct Env {
    pub lang: RwSignal<Lang>,
    pub api: Api,
    pub merchant: StoredValue<String>,
    host: StoredValue<Option<web_sys::EventTarget>, LocalStorage>,
    /// The shopper has touched or focused the widget. Until then nothing takes the focus, which
    /// would scroll the store's page to the widget on its own.
    engaged: StoredValue<bool>,
}

impl Env {
    pub fn new(config: &Config, lang: RwSignal<Lang>, host: Option<web_sys::EventTarget>) -> Env {
        Env {
            lang,
            api: Api::new(
                &config.api_base,
                &config.merchant,
                config.order_token.clone(),
                lang.into(),
            ),
            merchant: StoredValue::new(config.merchant.clone()),
            host: StoredValue::new_local(host),
            engaged: StoredValue::new(false),
        }
    }

    /// Moves the focus to `node` after the next paint, so keyboard and screen-reader users
    /// follow the screen; only once the shopper has engaged with the widget, and never away
    /// from elsewhere on the store's page.
    pub fn focus<E>(&self, node: NodeRef<E>)
    where
        E: leptos::tachys::html::element::ElementType,
        E::Output: JsCast + Clone + 'static,
    {
        self.focus_found(move || {
            node.try_get_untracked()
                .flatten()
                .map(|element| element.unchecked_into())
        });
    }

    /// Like [`Env::focus`], for an element found when the time comes.
    pub fn focus_found(&self, find: impl FnOnce() -> Option<web_sys::HtmlElement> + 'static) {
        let env = *self;
        dom::focus_later(find, move || {
            env.engaged.try_get_value().unwrap_or(false)
                && env
                    .host
                    .try_with_value(|host| dom::focus_is_ours(host.as_ref()))
                    .unwrap_or(false)
        });
    }

    pub fn t(&self) -> &'static crate::texts::Texts {
        texts(self.lang.get())
    }

    /// One of the widget's words, following the language. Every such word on every screen is
    /// this one closure type, so Leptos's renderer for it is compiled once rather than once per
    /// word: the widget's download is what every shopper pays for.
    pub fn text(
        self,
        pick: fn(&crate::texts::Texts) -> &'static str,
    ) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        let lang = self.lang;
        move || pick(texts(lang.get()))
    }

    /// Like [`Env::text`], for the status view's words ([`crate::texts::DeskTexts`]).
    pub fn desk_text(
        self,
        pick: fn(&crate::texts::DeskTexts) -> &'static str,
    ) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        let lang = self.lang;
        move || pick(crate::texts::desk_texts(lang.get()))
    }

    /// The status view's words for the thread, the return address and the payout.
    pub fn d(&self) -> &'static crate::texts::DeskTexts {
        crate::texts::desk_texts(self.lang.get())
    }

    pub fn emit(&self, name: &str, detail: impl serde::Serialize) {
        self.host
            .with_value(|host| dom::emit(host.as_ref(), name, &detail));
    }

    /// The message to show for a failed call.
    pub fn error_text(&self, error: &ApiError) -> String {
        let t = texts(self.lang.get_untracked());
        match error {
            ApiError::Network => t.network_error.to_owned(),
            ApiError::Server { head, .. } if head.message.is_empty() => t.server_error.to_owned(),
            ApiError::Server { head, .. } => head.message.clone(),
        }
    }
}

#[derive(Clone)]
enum Screen {
    Loading,
    Lookup(Option<String>),
    Failed(String),
    Order(Arc<Loaded>),
    Request(Arc<Loaded>, Box<RequestView>),
}

#[component]
pub fn App(
    config: Config,
    lang: RwSignal<Lang>,
    #[prop(optional, into)] host: Option<web_sys::EventTarget>,
) -> impl IntoView {
    let env = Env::new(&config, lang, host);
    let screen = RwSignal::new(Screen::Loading);
    let root = NodeRef::<leptos::html::Div>::new();
    // What the shopper typed to look the order up, kept for when the session expires and the
    // lookup form comes back.
    let typed = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    // Set when the shopper asked for the next screen. Focus then moves to it, so keyboard and
    // screen-reader users follow; not on page load, which would scroll the store's page.
    let follow = StoredValue::new(false);
    Effect::new(move |_| {
        if screen.with(|s| matches!(s, Screen::Loading)) || !follow.get_value() {
            return;
        }
        follow.set_value(false);
        env.focus_found(move || {
            let root = root.try_get_untracked().flatten()?;
            let target = root.query_selector(".rw-focus").ok().flatten()?;
            Some(target.unchecked_into())
        });
    });

    // Opens the order: the order view of the session there is, or a session from the link
    // token, which brings the order view with it.
    let open = move || {
        screen.set(Screen::Loading);
        spawn_local(async move {
            let answer = if env.api.has_session() {
                env.api.order().await
            } else if env.api.has_token() {
                env.api.open_from_token().await
            } else {
                screen.set(Screen::Lookup(None));
                return;
            };
            screen.set(order_screen(env, answer));
        });
    };
    let reopen = move || {
        follow.set_value(true);
        open();
    };
    // The lookup opened a session, and its order came with it.
    let found = move |order: OrderResponse| {
        follow.set_value(true);
        screen.set(order_screen(env, Ok(order)));
    };
    // A looked-up session that expired mid-way: ask for the order again (the draft is kept).
    Effect::new(move |_| {
        if env.api.lost.get() {
            follow.set_value(true);
            env.api.lost.set(false);
            env.api.forget_session();
            let message = texts(env.lang.get_untracked()).session_expired.to_owned();
            screen.set(Screen::Lookup(Some(message)));
        }
    });
    // A failure message is in the language it arrived in; after a switch, try again so the
    // screen speaks one language.
    on_language_change(env, move || {
        if screen.with_untracked(|s| matches!(s, Screen::Failed(_))) {
            open();
        }
    });
    let show_request = move |loaded: Arc<Loaded>, view: RequestView| {
        screen.set(Screen::Request(loaded, Box::new(view)));
    };
    open();

    view! {
        <div class="rw" lang=move || env.lang.get().tag() node_ref=root
            on:pointerdown=move |_| env.engaged.set_value(true)
            on:focusin=move |_| env.engaged.set_value(true)>
            <header class="rw-head">
                <h2>{env.text(|t| t.title)}</h2>
                <button
                    type="button"
                    class="rw-lang"
                    lang=move || if env.lang.get() == Lang::ZhCn { "en" } else { "zh-CN" }
                    aria-label=env.text(|t| t.switch_label)
                    on:click=move |_| env.lang.update(|l| *l = if *l == Lang::ZhCn { Lang::En } else { Lang::ZhCn })
                >
                    {env.text(|t| t.switch_to)}
                </button>
            </header>
            {move || match screen.get() {
                // `rw-booting`: the loader keeps its skeleton up until this is gone.
                Screen::Loading => view! { <p class="rw-loading rw-booting" role="status">{env.text(|t| t.loading)}</p> }.into_any(),
                Screen::Lookup(message) => view! { <Lookup env message typed on_found=found /> }.into_any(),
                Screen::Failed(message) => view! {
                    <div class="rw-error" role="alert">
                        <p>{message}</p>
                        <button type="button" class="rw-focus" on:click=move |_| reopen()>{env.text(|t| t.retry)}</button>
                    </div>
                }.into_any(),
                Screen::Order(loaded) => view! {
                    <OrderScreen env loaded on_open=show_request on_reload=reopen />
                }.into_any(),
                Screen::Request(loaded, request) => view! {
                    <RequestScreen env loaded=loaded request=*request on_back=reopen />
                }.into_any(),
            }}
        </div>
    }
}

/// The screen for the order view the server answered with.
fn order_screen(env: Env, answer: Result<OrderResponse, ApiError>) -> Screen {
    match answer {
        Ok(response) => match Loaded::new(response, dom::browser_now()) {
            Ok(loaded) => Screen::Order(Arc::new(loaded)),
            Err(error) => Screen::Failed(messages::input_error(&error, env.lang.get_untracked())),
        },
        Err(error) => Screen::Failed(env.error_text(&error)),
    }
}

/// Runs `changed` whenever the shopper switches language (not when the effect first runs).
pub fn on_language_change(env: Env, changed: impl Fn() + 'static) {
    Effect::new(move |previous: Option<Lang>| {
        let now = env.lang.get();
        if previous.is_some_and(|p| p != now) {
            changed();
        }
        now
    });
}

/// A required text field with its label. While `error` is shown it points at it (`error_id`),
/// and it is marked invalid if it is still empty.
#[component]
pub fn RequiredField(
    label: impl Fn() -> &'static str + Send + Sync + 'static,
    name: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<String>>,
    error_id: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <label class="rw-field">
            <span>{label}</span>
            <input name=name type=input_type autocomplete=autocomplete required
                aria-invalid=move || {
                    (error.with(Option::is_some) && value.with(|v| v.trim().is_empty())).to_string()
                }
                aria-describedby=move || error.with(Option::is_some).then_some(error_id)
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev)) />
        </label>
    }
}

/// A failure message while there is one. Every screen's messages share this one view, which
/// keeps the widget's download smaller than a `Show` for each; `id` lets a field point at it.
#[component]
pub fn Alert(
    message: RwSignal<Option<String>>,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    move || {
        message
            .get()
            .map(|text| view! { <p class="rw-error" id=id role="alert">{text}</p> })
    }
}

/// Clears a message when the language changes, so a screen never mixes two languages.
pub fn clear_on_language_change<T: Send + Sync + 'static>(env: Env, message: RwSignal<Option<T>>) {
    on_language_change(env, move || message.set(None));
}

#[component]
fn Lookup(
    env: Env,
    message: Option<String>,
    /// The order number and email, owned by the app so they outlive this form.
    typed: (RwSignal<String>, RwSignal<String>),
    on_found: impl Fn(OrderResponse) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let (number, email) = typed;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(message);
    clear_on_language_change(env, error);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (n, e) = (number.get_untracked(), email.get_untracked());
        if n.trim().is_empty() || e.trim().is_empty() {
            error.set(Some(env.t().lookup_missing.to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match env.api.open_with_lookup(n.trim(), e.trim()).await {
                Ok(order) => on_found(order),
                Err(e) => error.set(Some(env.error_text(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="rw-card rw-lookup" on:submit=submit novalidate>
            <h3 class="rw-focus" tabindex="-1">{env.text(|t| t.lookup_title)}</h3>
            <p class="rw-muted">{env.text(|t| t.lookup_intro)}</p>
            <RequiredField label=env.text(|t| t.order_number) name="order_number" value=number
                error error_id="rw-lookup-error" />
            <RequiredField label=env.text(|t| t.email) name="email" value=email
                error error_id="rw-lookup-error" input_type="email" autocomplete="email" />
            <Alert message=error id="rw-lookup-error" />
            <button type="submit" class="rw-primary" disabled=move || busy.get()>
                {move || if busy.get() { env.t().finding } else { env.t().find_order }}
            </button>
        </form>
    }
}

#[component]
fn OrderScreen(
    env: Env,
    loaded: Arc<Loaded>,
    on_open: impl Fn(Arc<Loaded>, RequestView) + Copy + Send + Sync + 'static,
    on_reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let order = &loaded.order;
    let currency = order.currency();
    let number = order.number().to_owned();
    let paid = order.total_paid().amount();
    let delivery = loaded.delivery();
    let requests = loaded.requests.clone();
    let for_list = loaded.clone();
    let opening = RwSignal::new(None::<String>);
    let list_error = RwSignal::new(None::<String>);
    clear_on_language_change(env, list_error);
    let open_request = move |loaded: Arc<Loaded>, id: String| {
        opening.set(Some(id.clone()));
        spawn_local(async move {
            match env.api.request(&id).await {
                Ok(view) => on_open(loaded, view),
                Err(e) => list_error.set(Some(env.error_text(&e))),
            }
            opening.set(None);
        });
    };
    view! {
        <section class="rw-card rw-order rw-focus" tabindex="-1">
            <div class="rw-order-head">
                <div>
                    <span class="rw-muted">{env.text(|t| t.order)}</span>
                    " "
                    <strong class="rw-order-number">{number}</strong>
                </div>
                <span class=move || format!("rw-badge rw-{}", match delivery { Delivery::NotShipped => "pending", Delivery::InTransit => "transit", Delivery::Delivered => "ok" })>
                    {move || match delivery {
                        Delivery::NotShipped => env.t().not_shipped,
                        Delivery::InTransit => env.t().in_transit,
                        Delivery::Delivered => env.t().delivered,
                    }}
                </span>
            </div>
            <p class="rw-muted">
                {env.text(|t| t.paid)} " "
                <strong>{move || messages::format_money(paid, currency, env.lang.get())}</strong>
            </p>
            {
                let window = loaded.clone();
                let now = window.clock.now(crate::dom::browser_now());
                let shopper = crate::dom::browser_offset();
                move || window.no_reason_window(now, shopper, env.lang.get()).map(|text| view! {
                    <p class="rw-muted rw-window">{text}</p>
                })
            }
        </section>
        {(!requests.is_empty()).then(|| view! {
            <section class="rw-card rw-requests">
                <h3>{env.text(|t| t.your_requests)}</h3>
                <ul>
                    {requests.iter().map(|r| {
                        let id = r.id.clone();
                        let state = r.state;
                        let kind = r.kind;
                        let total = r.quote.total;
                        let loaded = for_list.clone();
                        let money = for_list.clone();
                        let busy_id = id.clone();
                        let view_number = r.number.clone();
                        let request = r.clone();
                        let unread = crate::model::unread_badge(r.unread, false);
                        view! {
                            <li class="rw-request-item" data-request=r.number.clone()>
                                <span class="rw-request-number">{r.number.clone()}</span>
                                <span>{move || messages::kind_label(kind, env.lang.get())}</span>
                                <span>{move || money.money(total, env.lang.get())}</span>
                                <span class=format!("rw-badge rw-state-{}", state.code())>{move || messages::state_label(state, env.lang.get())}</span>
                                {unread.map(|n| view! {
                                    <span class="rw-badge rw-unread" aria-label=move || crate::texts::unread_label(&n, env.lang.get())>{n.clone()}</span>
                                })}
                                <span class="rw-muted rw-request-lines">{move || crate::model::requested_items(&request, env.lang.get())}</span>
                                <button type="button" class="rw-link"
                                    aria-label=move || format!("{} {}", env.t().view, view_number)
                                    disabled=move || opening.get().as_deref() == Some(busy_id.as_str())
                                    on:click=move |_| open_request(loaded.clone(), id.clone())>
                                    {env.text(|t| t.view)}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <Alert message=list_error />
            </section>
        })}
        <RequestForm env loaded=loaded.clone()
            submit=crate::form::api_submit(env)
            on_submitted=move |view: RequestView| on_open(loaded.clone(), view)
            on_reload />
    }
}
