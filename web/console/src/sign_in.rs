//! Signing in, and choosing a password from a set-up link.

use leptos::prelude::*;
use refund_api::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};

use crate::app::{Env, Problem, run};
use crate::model::Route;

#[component]
pub fn SignInForm() -> impl IntoView {
    let env = expect_context::<Env>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let ended = env.api.signed_out.get_untracked();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (e, p) = (email.get_untracked(), password.get_untracked());
        run(
            env,
            busy,
            error,
            async move { env.api.sign_in(&e, &p).await },
            move |session| {
                env.api.keep(&session);
                password.set(String::new());
                env.me.set(Some(session));
            },
        );
    };
    view! {
        <form class="rd-card rd-sign-in" on:submit=submit>
            <h1>{move || env.t().sign_in_title}</h1>
            {ended.then(|| view! { <p class="rd-note">{move || env.t().session_ended}</p> })}
            <label>
                {move || env.t().email}
                <input type="email" name="email" autocomplete="username" required
                    prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) />
            </label>
            <label>
                {move || env.t().password}
                <input type="password" name="password" autocomplete="current-password" required
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
            </label>
            <Problem error />
            <button type="submit" class="rd-primary" disabled=busy>
                {move || if busy.get() { env.t().signing_in } else { env.t().sign_in }}
            </button>
        </form>
    }
}

#[component]
pub fn SetUpForm(token: String) -> impl IntoView {
    let env = expect_context::<Env>();
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = password.get_untracked();
        if p != repeat.get_untracked() {
            error.set(Some(env.t().passwords_differ.to_owned()));
            return;
        }
        let token = token.get_value();
        run(
            env,
            busy,
            error,
            async move { env.api.set_up(&token, &p).await },
            move |session| {
                env.api.keep(&session);
                env.me.set(Some(session));
                env.go(Route::Queue);
            },
        );
    };
    view! {
        <form class="rd-card rd-sign-in" on:submit=submit>
            <h1>{move || env.t().set_up_title}</h1>
            <p>{move || env.t().set_up_intro}</p>
            <label>
                {move || env.t().new_password}
                <input type="password" name="new-password" autocomplete="new-password" required
                    minlength=PASSWORD_MIN_CHARS maxlength=PASSWORD_MAX_CHARS
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
                <small>{move || env.t().password_rule}</small>
            </label>
            <label>
                {move || env.t().repeat_password}
                <input type="password" name="repeat-password" autocomplete="new-password" required
                    prop:value=repeat on:input=move |ev| repeat.set(event_target_value(&ev)) />
            </label>
            <Problem error />
            <button type="submit" class="rd-primary" disabled=busy>{move || env.t().set_up}</button>
        </form>
    }
}
