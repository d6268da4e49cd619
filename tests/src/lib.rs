//! The harness of the end-to-end tests: the real server started in-process on a free loopback
//! port (fresh SQLite file, injected clock, the built widget), headless Chromium driven through
//! chromedriver, and helpers that speak the widget's DOM contract.
//!
//! A flow is written as
//! `refund_e2e::flow("name", |server, browser| async move { … }).await`: it gets its own server
//! and browser session, and the browser is closed even when the flow panics.
//!
//! Run with `cargo test -p refund-e2e` after `cargo xtask widget` and `npm ci --prefix tests/axe`
//! (`cargo xtask test` does both). Settings, all optional: `REFUND_WIDGET_DIR` (the built
//! widget, default `<workspace>/dist`), `CHROMEDRIVER` (default `/usr/bin/chromedriver`),
//! `CHROME` (the browser binary, when chromedriver should not pick it), `REFUND_AXE_JS`
//! (axe-core's `axe.min.js`, default `tests/axe/node_modules/axe-core/axe.min.js`),
//! `E2E_DIFFERENTIAL_CASES` (default 4000). Screenshots of every flow, at 360 and 1280 px wide in
//! both languages, are written to `<target>/e2e-screenshots/`, and each of those views is checked
//! with axe-core.

pub mod browser;
pub mod desk;
pub mod server;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use refund_core::Quote;
use refund_core::messages::{Lang, format_money};
use serde::Deserialize;

pub use browser::{Browser, Driver};
pub use server::TestServer;

/// The workspace root (this crate lives in `<workspace>/tests`).
pub fn workspace_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set, `<workspace>/target` otherwise.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_dir().join(dir),
        None => workspace_dir().join("target"),
    }
}

/// A tiny valid PNG (1×1, transparent): the server sniffs uploads, so it must be a real image.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// A photo as a phone would pick it: [`PNG`] in a temporary `.png` file, gone when dropped.
pub fn photo() -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .expect("a temporary file");
    std::fs::write(file.path(), PNG).expect("the photo written");
    file
}

/// Runs one flow against a fresh server and a fresh browser session. Flows take turns on the
/// browser (see [`Driver::start`]), and the session is closed before a panic is passed on, so a
/// failing flow leaves no Chromium behind.
pub async fn flow<F, Fut>(name: &'static str, body: F)
where
    F: FnOnce(Arc<TestServer>, Browser) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    flow_serving(server::widget_dir(), name, body).await;
}

/// [`flow`] against a server whose widget files come from `widget_dir`.
pub async fn flow_serving<F, Fut>(widget_dir: std::path::PathBuf, name: &'static str, body: F)
where
    F: FnOnce(Arc<TestServer>, Browser) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Held here too, so the server outlives the flow even when the flow does not use it.
    let server = Arc::new(TestServer::serving(widget_dir).await);
    let driver = Driver::start().await;
    let browser = driver.session(&server.origin, name).await;
    let client = browser.client().clone();
    let outcome = tokio::spawn(body(server.clone(), browser)).await;
    // Ends Chromium cleanly; should that fail, dropping the driver kills its process group.
    let _ = client.close().await;
    drop(driver);
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("flow {name} did not finish: {error}"),
        }
    }
}

/// Runs one flow that opens its own browser sessions (a shopper and staff members side by side,
/// each with a profile of their own) against a fresh server. Every session ends with the driver.
pub async fn flow_with_sessions<F, Fut>(name: &'static str, body: F)
where
    F: FnOnce(Arc<TestServer>, Arc<Driver>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let server = Arc::new(TestServer::start().await);
    let driver = Arc::new(Driver::start().await);
    let outcome = tokio::spawn(body(server.clone(), driver.clone())).await;
    drop(driver);
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("flow {name} did not finish: {error}"),
        }
    }
}

/// The money a quote panel shows, as text: `(component code, amount)` in order, the total, and
/// the split's amounts in order.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Amounts {
    pub components: Vec<(String, String)>,
    pub total: String,
    pub split: Vec<String>,
}

impl Amounts {
    /// What a quote must look like on screen in `lang`, formatted by the core's own formatter.
    pub fn of(quote: &Quote, lang: Lang) -> Amounts {
        let money =
            |amount: refund_core::wire::DecimalStr| format_money(amount.0, quote.currency, lang);
        Amounts {
            components: quote
                .components
                .iter()
                .map(|c| (c.name().to_owned(), money(c.amount())))
                .collect(),
            total: money(quote.total),
            split: quote.split.iter().map(|s| money(s.amount)).collect(),
        }
    }
}
