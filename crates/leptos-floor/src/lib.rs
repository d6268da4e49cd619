//! What any widget built like ours downloads before its first screen, measured by
//! `cargo xtask core-size` beside the core's share: Leptos (client-side rendered) with each
//! runtime piece the refund widget uses once (a signal, a memo, an effect, an input, a click, a
//! list, screens swapped as type-erased views, a fetch with gloo-net read by browser-json), and
//! none of its screens, words or rules. The widget's download less this floor and less the
//! core's share is what its own screens cost.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::wasm_bindgen;

#[derive(Clone, serde::Deserialize)]
struct Item {
    name: String,
    quantity: u32,
}

#[derive(Clone)]
enum Screen {
    Loading,
    Failed,
    Items(Vec<Item>),
}

#[component]
fn Floor() -> impl IntoView {
    let screen = RwSignal::new(Screen::Loading);
    let chosen = RwSignal::new(0u32);
    let typed = RwSignal::new(String::new());
    let doubled = Memo::new(move |_| chosen.get() * 2);
    Effect::new(move |_| typed.track());
    spawn_local(async move {
        let items = async {
            let answer = gloo_net::http::Request::get("items").send().await.ok()?;
            browser_json::from_json::<Vec<Item>>(&answer.text().await.ok()?)
        };
        screen.set(items.await.map_or(Screen::Failed, Screen::Items));
    });
    view! {
        <div class="floor">
            <input prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev)) />
            <button on:click=move |_| chosen.update(|c| *c += 1)>{move || doubled.get()}</button>
            {move || match screen.get() {
                Screen::Loading => view! { <p>"…"</p> }.into_any(),
                Screen::Failed => view! { <p class="error">"!"</p> }.into_any(),
                Screen::Items(items) => view! {
                    <ul>{items.into_iter().map(|i| view! { <li>{i.name} " " {i.quantity}</li> }).collect_view()}</ul>
                }.into_any(),
            }}
        </div>
    }
}

/// Draws the floor's one screen into `container`.
#[wasm_bindgen]
pub fn mount(container: web_sys::HtmlElement) {
    leptos::mount::mount_to(container, Floor).forget();
}
