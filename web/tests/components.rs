//! Component tests in headless Chromium (`cargo test -p refund-widget --target
//! wasm32-unknown-unknown`, run by `cargo xtask test`): the real components, mounted on a page,
//! clicked like a shopper would.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use refund_core::messages::{self, Lang};
use refund_core::{Code, Currency};
use refund_widget::app::{App, Config, Env};
use refund_widget::form::{RequestForm, SubmitFn};
use refund_widget::model::{Loaded, OrderResponse};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Delivered: T-shirts ×3 with a 20.00 coupon, a final-sale mug ×2, socks.
fn loaded(number: &str) -> Arc<Loaded> {
    loaded_with(
        number,
        serde_json::json!({"utc_offset": "+08:00", "amounts": {"CNY": {"return_shipping_fee": "8.00"}}}),
    )
}

/// The same order under another policy.
fn loaded_with(number: &str, policy: serde_json::Value) -> Arc<Loaded> {
    let json = serde_json::json!({
        "order": {
            "number": number, "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
            "placed_at": "2026-11-14T04:00:00Z", "paid_at": "2026-11-14T04:00:00Z",
            "shipped_at": "2026-11-15T04:00:00Z", "delivered_at": "2026-11-18T04:00:00Z",
            "lines": [
                {"id": "L1", "sku": "TEE", "title": "T恤", "unit_price": "79.00", "quantity": 3},
                {"id": "L2", "sku": "MUG", "title": "马克杯", "unit_price": "19.00", "quantity": 2, "final_sale": true},
                {"id": "L3", "sku": "SOCKS", "title": "袜子", "unit_price": "29.90", "quantity": 1}
            ],
            "discounts": [{"id": "NEW20", "kind": "coupon", "amount": "20.00"}],
            "shipping_fee": "0.00",
            "payments": [{"method": "alipay", "amount": "284.90"}]
        },
        "policy": policy,
        "ledger": {}, "recent_requests": 0, "server_time": "2026-11-20T04:00:00Z", "requests": []
    });
    let response: OrderResponse = serde_json::from_value(json).unwrap();
    // The page's clock is irrelevant: the widget judges at the server's time.
    let now = chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap();
    Arc::new(Loaded::new(response, now).unwrap())
}

fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn env(lang: Lang) -> Env {
    let config = Config {
        merchant: "pk_test_components".to_owned(),
        order_token: None,
        api_base: "http://127.0.0.1:9".to_owned(),
    };
    Env::new(&config, RwSignal::new(lang), None)
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// Mounts the request form on a page with nothing stored; `submit` is what a submission calls.
fn mount_form(number: &str, lang: Lang, submit: SubmitFn) -> web_sys::HtmlElement {
    storage().clear().unwrap();
    mount_form_again(number, lang, submit)
}

/// Mounts the request form as a reload would, with whatever the last one stored.
fn mount_form_again(number: &str, lang: Lang, submit: SubmitFn) -> web_sys::HtmlElement {
    mount_loaded(loaded(number), lang, submit)
}

fn mount_loaded(loaded: Arc<Loaded>, lang: Lang, submit: SubmitFn) -> web_sys::HtmlElement {
    let root = container();
    let env = env(lang);
    leptos::mount::mount_to(root.clone(), move || {
        view! { <RequestForm env loaded submit on_submitted=|_| () on_reload=|| () /> }
    })
    .forget();
    root
}

fn never_called() -> SubmitFn {
    Rc::new(|_, _| panic!("nothing is submitted in this test"))
}

/// Lets the reactive system flush its effects into the DOM.
async fn settle() {
    gloo_timers::future::TimeoutFuture::new(20).await;
}

fn find(root: &web_sys::HtmlElement, selector: &str) -> web_sys::HtmlElement {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .unchecked_into()
}

fn text(root: &web_sys::HtmlElement, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

fn choose(root: &web_sys::HtmlElement, selector: &str, value: &str) {
    let select: web_sys::HtmlSelectElement = find(root, selector).unchecked_into();
    select.set_value(value);
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
}

fn click(root: &web_sys::HtmlElement, selector: &str) {
    find(root, selector).click();
}

#[wasm_bindgen_test]
async fn the_quote_follows_every_quantity_change_without_asking_the_server() {
    let root = mount_form("C-1", Lang::ZhCn, never_called());
    settle().await;
    click(&root, "input[name=kind][value=return_and_refund]");
    choose(&root, "select[name=reason]", "size_mismatch");
    settle().await;
    click(&root, "input[name=goods_intact]");
    assert!(text(&root, ".rw-summary").contains("请选择要退的商品和数量"));

    click(&root, "li[data-line=L1] .rw-inc");
    settle().await;
    // One T-shirt: round(221.45 / 3) = 73.82, minus 8.00 return shipping.
    assert_eq!(text(&root, ".rw-total"), "¥65.82");

    click(&root, "li[data-line=L1] .rw-inc");
    settle().await;
    assert_eq!(text(&root, ".rw-total"), "¥139.63");
    assert_eq!(
        text(&root, ".rw-component[data-code=return_shipping_fee] dd"),
        "-¥8.00"
    );

    click(&root, "li[data-line=L1] .rw-dec");
    settle().await;
    assert_eq!(text(&root, ".rw-total"), "¥65.82");
    let announced = find(&root, ".rw-announce");
    assert_eq!(
        announced.get_attribute("aria-live").as_deref(),
        Some("polite"),
        "changes are announced politely"
    );
    assert!(
        announced
            .text_content()
            .unwrap_or_default()
            .ends_with("¥65.82")
    );
}

#[wasm_bindgen_test]
async fn a_final_sale_line_cannot_be_chosen_for_a_no_reason_return_and_says_why() {
    let root = mount_form("C-2", Lang::En, never_called());
    settle().await;
    click(&root, "input[name=kind][value=return_and_refund]");
    choose(&root, "select[name=reason]", "changed_mind");
    settle().await;

    let line = find(&root, "li[data-line=L2]");
    assert!(line.class_list().contains("rw-disabled"));
    let more: web_sys::HtmlButtonElement = find(&root, "li[data-line=L2] .rw-inc").unchecked_into();
    assert!(more.disabled());
    for stepper in [".rw-inc", ".rw-dec"] {
        assert_eq!(
            find(&root, &format!("li[data-line=L2] {stepper}"))
                .get_attribute("aria-disabled")
                .as_deref(),
            Some("true"),
            "a stepper that cannot be used says so to assistive technology too"
        );
    }
    assert_eq!(
        text(&root, "li[data-line=L2] .rw-codes li"),
        messages::code_message(&Code::FinalSale, Lang::En, Currency::Cny)
    );
    more.click();
    settle().await;
    let quantity: web_sys::HtmlInputElement =
        find(&root, "li[data-line=L2] .rw-qty").unchecked_into();
    assert_eq!(quantity.value(), "0");
    assert!(text(&root, ".rw-summary").contains("Choose the items"));

    // The same line is fine for a quality problem, which is the seller's fault.
    choose(&root, "select[name=reason]", "quality_issue");
    settle().await;
    assert!(
        !find(&root, "li[data-line=L2]")
            .class_list()
            .contains("rw-disabled")
    );
}

#[wasm_bindgen_test]
async fn the_language_switch_turns_every_word_of_the_screen() {
    let root = container();
    let config = Config {
        merchant: "pk_test_components".to_owned(),
        order_token: None,
        api_base: "http://127.0.0.1:9".to_owned(),
    };
    let lang = RwSignal::new(Lang::En);
    leptos::mount::mount_to(root.clone(), move || view! { <App config lang /> }).forget();
    settle().await;
    assert_eq!(text(&root, ".rw-lookup h3"), "Find your order");
    assert_eq!(text(&root, ".rw-lang"), "中文");

    click(&root, ".rw-lang");
    settle().await;
    assert_eq!(text(&root, ".rw-lookup h3"), "查找订单");
    assert_eq!(text(&root, ".rw-lookup button[type=submit]"), "查找订单");
    assert_eq!(text(&root, ".rw-lang"), "English");
    // What is rendered, not the stylesheet inside the widget.
    let screen = find(&root, ".rw").inner_text();
    assert!(
        !screen
            .chars()
            .any(|c| c.is_ascii_alphabetic() && !"English".contains(c)),
        "no English left on the Chinese screen: {screen}"
    );
}

#[wasm_bindgen_test]
async fn a_second_click_while_submitting_sends_nothing_more() {
    let calls = Rc::new(Cell::new(0u32));
    let counted = calls.clone();
    let submit: SubmitFn = Rc::new(move |_, _| {
        counted.set(counted.get() + 1);
        Box::pin(std::future::pending())
    });
    let root = mount_form("C-3", Lang::En, submit);
    settle().await;
    click(&root, "input[name=kind][value=refund_only]");
    choose(&root, "select[name=reason]", "changed_mind");
    click(&root, "li[data-line=L3] .rw-inc");
    settle().await;

    click(&root, ".rw-submit");
    click(&root, ".rw-submit");
    settle().await;
    click(&root, ".rw-submit");
    settle().await;
    assert_eq!(calls.get(), 1);
    let button: web_sys::HtmlButtonElement = find(&root, ".rw-submit").unchecked_into();
    assert!(button.disabled());
    assert_eq!(button.text_content().as_deref(), Some("Submitting…"));
}

#[wasm_bindgen_test]
async fn a_recorded_request_leaves_no_draft_behind_to_send_again() {
    let submit: SubmitFn = Rc::new(|body, _| {
        Box::pin(async move {
            Ok(serde_json::from_value(serde_json::json!({
                "id": "req_1", "number": "RF1", "order_number": "C-5",
                "kind": body.kind, "reason": body.reason, "state": "approved",
                "submitted_at": "2026-11-20T04:00:00Z", "deadline": null,
                "quote": {"currency": "CNY", "total": body.expected_total,
                          "components": [], "split": []}
            }))
            .unwrap())
        })
    });
    let root = mount_form("C-5", Lang::En, submit);
    settle().await;
    click(&root, "input[name=kind][value=refund_only]");
    choose(&root, "select[name=reason]", "changed_mind");
    click(&root, "li[data-line=L3] .rw-inc");
    settle().await;
    click(&root, ".rw-submit");
    settle().await;
    settle().await;

    let key = refund_widget::model::draft_key("pk_test_components", "C-5");
    assert_eq!(storage().get_item(&key).unwrap(), None, "the draft is gone");
    // Reopening the order starts from an empty form, not from the request just recorded.
    let again = mount_form_again("C-5", Lang::En, never_called());
    settle().await;
    let reason: web_sys::HtmlSelectElement = find(&again, "select[name=reason]").unchecked_into();
    assert_eq!(reason.value(), "");
    let quantity: web_sys::HtmlInputElement =
        find(&again, "li[data-line=L3] input.rw-qty").unchecked_into();
    assert_eq!(quantity.value(), "0");
}

#[wasm_bindgen_test]
async fn a_reason_no_line_can_go_back_for_says_so_instead_of_asking_for_items() {
    // Delivered two days ago, under a one-day no-reason window.
    storage().clear().unwrap();
    let policy = serde_json::json!({"utc_offset": "+08:00", "no_reason_days": 1,
                                    "amounts": {"CNY": {"return_shipping_fee": "8.00"}}});
    let root = mount_loaded(loaded_with("C-6", policy), Lang::En, never_called());
    settle().await;
    assert!(
        root.query_selector("select[name=reason] option[value=not_received]")
            .unwrap()
            .is_none(),
        "a delivered order is not offered 'not received'"
    );
    click(&root, "input[name=kind][value=refund_only]");
    // The window is closed and the mug is final sale: a change of mind leaves nothing.
    choose(&root, "select[name=reason]", "changed_mind");
    settle().await;
    assert_eq!(
        text(&root, ".rw-summary .rw-hint"),
        refund_widget::texts::EN.no_lines_for_choice
    );
    choose(&root, "select[name=reason]", "quality_issue");
    settle().await;
    assert_eq!(
        text(&root, ".rw-summary .rw-hint"),
        refund_widget::texts::EN.need_lines
    );
}
