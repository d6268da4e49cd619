//! Thin browser plumbing: the clock, randomness, storage and the host element's DOM events.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use gloo_storage::{LocalStorage, Storage};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

/// The browser's clock; the widget corrects it by the server's offset before judging anything.
pub fn browser_now() -> DateTime<Utc> {
    // Milliseconds since the epoch fit an i64 exactly; this is a time, never money.
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// The shopper's own UTC offset, for showing times.
pub fn browser_offset() -> FixedOffset {
    let minutes_west = js_sys::Date::new_0().get_timezone_offset() as i32;
    FixedOffset::west_opt(minutes_west * 60).unwrap_or_else(|| Utc.fix())
}

/// 128 random bits as hex, for idempotency keys. `getRandomValues` works in any context, unlike
/// `randomUUID`, which an `http:` store page would not have.
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    LocalStorage::get(key).ok()
}

/// Saves quietly: private browsing or a full quota must not break the form.
pub fn save<T: Serialize>(key: &str, value: &T) {
    let _ = LocalStorage::set(key, value);
}

pub fn forget(key: &str) {
    LocalStorage::delete(key);
}

/// Dispatches a DOM event from the `<refund-widget>` element that crosses the shadow boundary.
pub fn emit(host: Option<&web_sys::EventTarget>, name: &str, detail: &serde_json::Value) {
    let Some(host) = host else { return };
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&js_sys::JSON::parse(&detail.to_string()).unwrap_or(JsValue::NULL));
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&event);
    }
}

/// Focuses `node` once the browser has painted the change that is under way; nothing if the
/// element is gone by then. Moves keyboard and screen-reader users along with the screen.
pub fn focus_later<E>(node: leptos::prelude::NodeRef<E>)
where
    E: leptos::tachys::html::element::ElementType,
    E::Output: wasm_bindgen::JsCast + Clone + 'static,
{
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    request_animation_frame(move || {
        if let Some(Some(element)) = node.try_get_untracked() {
            let _ = element.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
    });
}
