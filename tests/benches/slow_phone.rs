//! How the widget loads on a slow phone: headless Chromium with its CPU slowed 4× and a
//! 1.6 Mbps / 150 ms network, cache off, opening a demo order from the demo store page. Prints,
//! per run and as medians, the milliseconds from navigation to
//! - the widget's first visible content (its skeleton, or whatever it draws first),
//! - the first rendered order line,
//! - and, after choosing a reason, from a click on + to the live quote's total.
//!
//! `cargo bench -p refund-e2e --bench slow_phone` (runs: `SLOW_PHONE_RUNS`, default 5). A
//! measurement, not a test: it asserts nothing about time.

use refund_e2e::browser::Driver;
use refund_e2e::server::TestServer;
use serde_json::{Value, json};

/// Installed before the page's own scripts: notes when the widget first shows anything and
/// when its first order line appears, checking once per frame.
/// The shopper scrolls to the widget (which loads once it is near the viewport) as soon as the
/// page is there.
const WATCH: &str = "window.__rw = {};
document.addEventListener('DOMContentLoaded', () => document.querySelector('refund-widget').scrollIntoView());
(function watch() {
  const root = document.querySelector('refund-widget')?.shadowRoot;
  const now = performance.now();
  if (root) {
    const shown = [...root.children].some((e) => e.tagName !== 'STYLE' && e.getBoundingClientRect().height > 0);
    if (shown && !__rw.first) __rw.first = now;
    if (root.querySelector('li.rw-line') && !__rw.line) __rw.line = now;
  }
  if (!__rw.line) requestAnimationFrame(watch);
})();";

/// Chooses a reason, then clicks + on the first line and answers the milliseconds until the
/// frame with the quote's total is drawn.
const CLICK_TO_QUOTE: &str = "const done = arguments[0];
const root = document.querySelector('refund-widget').shadowRoot;
const reason = root.querySelector('select[name=reason]');
reason.value = 'changed_mind';
reason.dispatchEvent(new Event('change', { bubbles: true }));
requestAnimationFrame(() => requestAnimationFrame(() => {
  const start = performance.now();
  root.querySelector('li.rw-line button.rw-inc').click();
  // Until the frame that shows the total has been drawn.
  (function wait() {
    if (root.querySelector('section.rw-summary .rw-total'))
      requestAnimationFrame(() => setTimeout(() => done(performance.now() - start)));
    else requestAnimationFrame(wait);
  })();
}));";

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = std::env::var("SLOW_PHONE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let server = TestServer::start().await;
    let driver = Driver::start().await;
    let browser = driver.session(&server.origin, "slow-phone").await;
    browser.set_viewport(360, 740).await;
    browser
        .throttle_network(150, 1_600_000 / 8, 750_000 / 8)
        .await;
    browser
        .cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true }))
        .await;
    browser
        .cdp("Emulation.setCPUThrottlingRate", json!({ "rate": 4 }))
        .await;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": WATCH }),
        )
        .await;

    let (mut first, mut line, mut quote) = (Vec::new(), Vec::new(), Vec::new());
    println!("run  first content  first line  click to quote (ms)");
    for run in 1..=runs {
        // An unshipped order: a reason and one + are enough for a quote with a total.
        browser.goto("order=DEMO-1005&lang=en").await;
        browser
            .wait_for("the first order line", "window.__rw && window.__rw.line")
            .await;
        let seen = browser.js("return window.__rw;", vec![]).await;
        let ms = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
        let clicked = browser
            .client()
            .execute_async(CLICK_TO_QUOTE, vec![])
            .await
            .unwrap_or_else(|e| panic!("clicking +: {e}"));
        println!(
            "{run:>3}  {:>13.0}  {:>10.0}  {:>14.0}",
            ms(&seen["first"]),
            ms(&seen["line"]),
            ms(&clicked)
        );
        first.push(ms(&seen["first"]));
        line.push(ms(&seen["line"]));
        quote.push(ms(&clicked));
    }
    println!(
        "median  first content {:.0} ms, first line {:.0} ms, click to quote {:.0} ms",
        median(first),
        median(line),
        median(quote)
    );
}
