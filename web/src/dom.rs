//! Thin browser plumbing: the clock, randomness, storage and the host element's DOM events.

use chrono::{DateTime, FixedOffset, Offset, Utc};
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

/// `value` as JSON text, written by the browser's JSON.stringify; `None` serialises as `null`,
/// as serde_json would write it.
pub fn to_json<T: Serialize>(value: &T) -> Option<String> {
    js_sys::JSON::stringify(&to_js(value)?).ok()?.as_string()
}

/// `value` as a plain JavaScript value (objects for structs and maps).
pub fn to_js<T: Serialize>(value: &T) -> Option<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    browser_json::from_json(&storage()?.get_item(key).ok()??)
}

/// Saves quietly: private browsing or a full quota must not break the form.
pub fn save<T: Serialize>(key: &str, value: &T) {
    if let (Some(storage), Some(text)) = (storage(), to_json(value)) {
        let _ = storage.set_item(key, &text);
    }
}

pub fn forget(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
}

/// Puts `text` on the clipboard; `None` where the page may not (an `http:` store page has no
/// `navigator.clipboard`). Looked up by name so a missing API is an answer, not an exception.
pub fn copy_text(text: &str) -> Option<js_sys::Promise> {
    use wasm_bindgen::JsCast;
    let navigator = web_sys::window()?.navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .ok()
        .filter(|c| c.is_object())?;
    let write: js_sys::Function = js_sys::Reflect::get(&clipboard, &"writeText".into())
        .ok()?
        .dyn_into()
        .ok()?;
    write.call1(&clipboard, &text.into()).ok()?.dyn_into().ok()
}

/// Dispatches a DOM event from the `<refund-widget>` element that crosses the shadow boundary.
pub fn emit(host: Option<&web_sys::EventTarget>, name: &str, detail: &impl Serialize) {
    let Some(host) = host else { return };
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&to_js(detail).unwrap_or(JsValue::NULL));
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&event);
    }
}

/// Focuses what `find` returns once the browser has painted the change under way, if `may`
/// still agrees then (the answer that moved the screen can come long after the click).
pub fn focus_later(
    find: impl FnOnce() -> Option<web_sys::HtmlElement> + 'static,
    may: impl FnOnce() -> bool + 'static,
) {
    leptos::prelude::request_animation_frame(move || {
        if may()
            && let Some(element) = find()
        {
            let _ = element.focus();
        }
    });
}

/// Whether the focus is in the widget (the page sees its host element) or nowhere (the body, as
/// after the focused button was removed): moving it then takes nothing from the store's page.
pub fn focus_is_ours(host: Option<&web_sys::EventTarget>) -> bool {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let Some(active) = document.active_element() else {
        return true;
    };
    let is = |node: Option<&web_sys::Node>| node.is_some_and(|n| n.is_same_node(Some(&active)));
    let body = document.body();
    is(body.as_ref().map(|b| b.as_ref())) || is(host.and_then(|h| h.dyn_ref::<web_sys::Node>()))
}
