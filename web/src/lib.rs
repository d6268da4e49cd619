//! The refund widget: a Leptos (client-side rendered) app that runs `refund-core` in the browser,
//! so the shopper sees the same eligibility and amounts the server will record.
//!
//! [`model`] holds the logic (plain Rust, unit-tested natively); [`app`], [`form`], [`status`]
//! (with its thread with the merchant) and [`photos`] are thin components over it; [`api`]
//! talks to the shopper API. `main.rs` exports the
//! entry points the loader script (`web/loader.js`) calls.

pub mod api;
pub mod app;
mod dom;
pub mod form;
pub mod model;
pub mod photos;
pub mod status;
pub mod texts;
mod thread;

use refund_core::wire::QuoteInput;
use refund_core::{Context, Ledger, Order, Policy, RefundRequest, quote};

/// The widget's stylesheet, placed inside its shadow root so the store's CSS cannot reach it.
pub const STYLE: &str = include_str!("widget.css");

/// Quotes from JSON to JSON: the quote serialised as the server serialises it, or
/// `{"error":"<code>"}`, so a test can check that this build of the core answers byte for byte
/// like the native one.
pub fn quote_json(input: &str) -> String {
    let answer = serde_json::from_str::<QuoteInput>(input)
        .map_err(|_| "unreadable_input".to_owned())
        .and_then(|input| {
            let order = Order::new(&input.order).map_err(|e| e.code().to_owned())?;
            let policy = Policy::new(&input.policy).map_err(|e| e.code().to_owned())?;
            let ledger =
                Ledger::from_wire(&order, &input.ledger).map_err(|e| e.code().to_owned())?;
            let request =
                RefundRequest::new(&order, &input.request).map_err(|e| e.code().to_owned())?;
            let context = Context {
                now: input.now,
                recent_requests: input.recent_requests,
            };
            quote(&order, &policy, &ledger, &request, context).map_err(|e| e.code().to_owned())
        });
    answer
        .and_then(|quote| serde_json::to_string(&quote).map_err(|_| "unserialisable".to_owned()))
        .unwrap_or_else(|code| serde_json::json!({ "error": code }).to_string())
}
