//! The core's share of the widget's download, measured by `cargo xtask core-size`.
//!
//! One export does what the widget asks of the core on every change: read the order view the
//! server sends (in the browser, as the widget does: the browser's `JSON.parse`, then
//! `browser-json`), build the domain types, quote, and put the verdict and every component
//! into words in the shopper's language. No Leptos and no widget code, so its size is the floor
//! under any widget that quotes in the browser with this core.

use refund_core::messages::{self, Lang};
use refund_core::wire::QuoteInput;
use refund_core::{Context, Ledger, Order, Policy, RefundRequest, quote};
use wasm_bindgen::prelude::wasm_bindgen;

/// The quote for `input` as the shopper reads it, or why the input was refused.
#[wasm_bindgen]
pub fn explain(input: &str, lang: &str) -> String {
    let lang = Lang::from_tag(lang).unwrap_or(Lang::ZhCn);
    let Some(input) = read(input) else {
        return "unreadable input".to_owned();
    };
    let quoted = Order::new(&input.order).and_then(|order| {
        let policy = Policy::new(&input.policy)?;
        let ledger = Ledger::from_wire(&order, &input.ledger)?;
        let request = RefundRequest::new(&order, &input.request)?;
        let context = Context {
            now: input.now,
            recent_requests: input.recent_requests,
        };
        quote(&order, &policy, &ledger, &request, context)
    });
    let quote = match quoted {
        Ok(quote) => quote,
        Err(error) => return messages::input_error(&error, lang),
    };
    let currency = quote.currency;
    let mut words = vec![
        messages::outcome_label(quote.outcome, lang).to_owned(),
        messages::format_money(quote.total.0, currency, lang),
    ];
    words.extend(
        quote
            .codes
            .iter()
            .map(|c| messages::code_message(c, lang, currency)),
    );
    words.extend(
        quote
            .lines
            .iter()
            .flat_map(|l| &l.codes)
            .map(|c| messages::code_message(c, lang, currency)),
    );
    words.extend(
        quote
            .components
            .iter()
            .map(|c| messages::component_message(c, lang, currency)),
    );
    words.extend(quote.split.iter().map(|s| {
        format!(
            "{} {}",
            messages::method_label(s.method, lang),
            messages::format_money(s.amount.0, currency, lang)
        )
    }));
    words.join("\n")
}

#[cfg(target_arch = "wasm32")]
fn read(json: &str) -> Option<QuoteInput> {
    browser_json::from_json(json)
}

/// Natively (the tests below) there is no browser to parse the JSON.
#[cfg(not(target_arch = "wasm32"))]
fn read(json: &str) -> Option<QuoteInput> {
    serde_json::from_str(json).ok()
}

/// The measured export really runs the quote path, so what `cargo xtask core-size` weighs is the
/// core's work in the widget and not an early exit.
#[cfg(test)]
mod tests {
    use serde_json::json;

    fn input(line: &str, quantity: u32) -> String {
        json!({
            "order": {
                "number": "T-1", "currency": "CNY", "customer_email": "a@example.com",
                "status": "paid", "placed_at": "2026-11-14T04:00:00Z",
                "paid_at": "2026-11-14T04:00:00Z", "shipped_at": "2026-11-15T04:00:00Z",
                "delivered_at": "2026-11-18T04:00:00Z",
                "lines": [{"id": "L1", "sku": "TEE", "title": "T恤", "unit_price": "79.00",
                           "quantity": 3, "category": "apparel"}],
                "shipping_fee": "0.00",
                "payments": [{"method": "alipay", "amount": "237.00"}]
            },
            "policy": {"utc_offset": "+08:00", "amounts": {"CNY": {"return_shipping_fee": "8.00"}}},
            "ledger": {},
            "request": {"kind": "return_and_refund", "reason": "size_mismatch", "goods_intact": true,
                        "lines": [{"line_id": line, "quantity": quantity}]},
            "now": "2026-11-20T04:00:00Z",
            "recent_requests": 0
        })
        .to_string()
    }

    #[test]
    fn a_quote_is_explained_in_the_shoppers_language() {
        let en = super::explain(&input("L1", 2), "en");
        assert!(
            en.contains("CN¥150.00") && en.contains("price you actually paid"),
            "{en}"
        );
        let zh = super::explain(&input("L1", 2), "zh-CN");
        assert!(zh.contains("¥150.00") && zh.contains("支付宝"), "{zh}");
    }

    #[test]
    fn an_ineligible_quote_and_refused_input_both_say_why() {
        let ineligible = super::explain(&input("L1", 4), "en");
        assert!(ineligible.contains("at most 3 more"), "{ineligible}");
        let refused = super::explain(&input("L9", 1), "en");
        assert!(refused.contains("L9"), "{refused}");
        assert_eq!(super::explain("{", "en"), "unreadable input");
    }
}
