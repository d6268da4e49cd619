//! The entry points the loader script calls once the wasm is fetched.

use leptos::prelude::*;
use refund_core::messages::Lang;
use refund_widget::app::{App, Config};
use wasm_bindgen::prelude::*;

fn main() {}

/// A mounted widget, so the host element can pass on attribute changes and take it down.
#[wasm_bindgen]
pub struct Widget {
    lang: RwSignal<Lang>,
    /// The mounted view; dropping it unmounts it and stops its timers.
    mounted: Option<Box<dyn std::any::Any>>,
}

#[wasm_bindgen]
impl Widget {
    /// Follows the element's `lang` attribute; an unknown tag keeps the current language.
    pub fn set_lang(&self, tag: &str) {
        if let Some(lang) = Lang::from_tag(tag) {
            self.lang.set(lang);
        }
    }

    /// Removes the widget from the page: called when the element leaves the document.
    pub fn unmount(&mut self) {
        self.mounted.take();
    }
}

/// The widget's stylesheet, which the loader adopts into the shadow root (no inline `<style>`,
/// so a store's Content-Security-Policy need not allow inline styles).
#[wasm_bindgen]
pub fn widget_css() -> String {
    refund_widget::STYLE.to_owned()
}

/// Renders the widget into `container` (inside the element's shadow root). `host` is the
/// `<refund-widget>` element the DOM events are dispatched from.
#[wasm_bindgen]
pub fn mount(
    container: web_sys::HtmlElement,
    host: web_sys::HtmlElement,
    merchant: String,
    order_token: Option<String>,
    lang: Option<String>,
    api_base: String,
) -> Widget {
    let lang = lang
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or_else(browser_lang);
    let lang = RwSignal::new(lang);
    let config = Config {
        merchant,
        order_token: order_token.filter(|t| !t.is_empty()),
        api_base,
    };
    let host: web_sys::EventTarget = host.into();
    let mounted = leptos::mount::mount_to(container, move || view! { <App config lang host /> });
    Widget {
        lang,
        mounted: Some(Box::new(mounted)),
    }
}

/// The first of the browser's languages the widget speaks.
fn browser_lang() -> Lang {
    let languages = web_sys::window()
        .map(|w| w.navigator().languages().to_vec())
        .unwrap_or_default();
    let tags: Vec<String> = languages.iter().filter_map(|v| v.as_string()).collect();
    Lang::negotiate(tags.iter().map(String::as_str))
}

/// The core quoting from JSON to JSON, for the differential test against the native build; only
/// in the test's own build (feature `differential`), not in what shoppers download.
#[cfg(feature = "differential")]
#[wasm_bindgen]
pub fn quote_json(input: &str) -> String {
    refund_widget::quote_json(input)
}
