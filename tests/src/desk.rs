//! The refund desk's DOM contract, for flows that work requests the way staff do: sign in,
//! open a queue tab, open a request, take a step, read what the page says; and for the owner's
//! settings: add a webhook endpoint, read its secret.

use fantoccini::Locator;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::browser::{Browser, PATIENCE, js_str};

/// WebDriver's Enter key, for [`Desk::press`].
pub const ENTER: &str = "\u{E007}";
/// WebDriver's Escape key.
pub const ESCAPE: &str = "\u{E00C}";

/// One staff member's browser on the desk.
pub struct Desk {
    browser: Browser,
}

impl Desk {
    pub fn new(browser: Browser) -> Desk {
        Desk { browser }
    }

    pub fn browser(&self) -> &Browser {
        &self.browser
    }

    /// Runs `body` on the desk's page and returns what it returns.
    pub async fn js(&self, body: &str, args: Vec<Value>) -> Value {
        self.browser
            .client()
            .execute(body, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{body}"))
    }

    /// Polls `condition` (a JS expression over `document`) until it is truthy.
    pub async fn wait_for(&self, what: &str, condition: &str) -> Value {
        let script = format!("try {{ return ({condition}); }} catch (e) {{ return null; }}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self.js(&script, vec![]).await;
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out waiting for {what} ({condition})\nthe desk shows:\n{}",
                    self.page_text().await
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        self.wait_for(
            &format!("the text {text:?}"),
            &format!("document.body.innerText.includes({})", js_str(text)),
        )
        .await;
    }

    /// Everything the page shows, for failure messages.
    pub async fn page_text(&self) -> String {
        self.js("return document.body.innerText;", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Clicks the first enabled `selector` whose text contains `text` (any text when empty),
    /// as a person would, once there is one.
    pub async fn click(&self, selector: &str, text: &str) {
        let find = format!(
            "[...document.querySelectorAll({})].find(e => !e.disabled && e.textContent.includes({}))",
            js_str(selector),
            js_str(text)
        );
        self.wait_for(&format!("{selector} {text:?} to be enabled"), &find)
            .await;
        let marked = format!("{find}.setAttribute('data-e2e-click', '1'); return true;");
        self.js(&marked, vec![]).await;
        let element = self
            .browser
            .client()
            .find(Locator::Css("[data-e2e-click]"))
            .await
            .unwrap_or_else(|e| panic!("{selector} {text:?}: {e}"));
        self.js(
            "document.querySelector('[data-e2e-click]').removeAttribute('data-e2e-click');",
            vec![],
        )
        .await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {selector} {text:?}: {e}"));
    }

    /// Types `text` into `selector` with the keyboard.
    pub async fn type_into(&self, selector: &str, text: &str) {
        self.wait_for(
            selector,
            &format!("document.querySelector({})", js_str(selector)),
        )
        .await;
        let element = self
            .browser
            .client()
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"));
        element
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clearing {selector}: {e}"));
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {selector}: {e}"));
        // Fields that commit on change do so when they lose the focus.
        self.js(
            "document.querySelector(arguments[0]).dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(selector)],
        )
        .await;
    }

    /// Presses `key` ([`ENTER`], [`ESCAPE`]) on `selector`, as someone on the keyboard would
    /// (WebDriver focuses it first).
    pub async fn press(&self, selector: &str, key: &str) {
        self.wait_for(
            selector,
            &format!("document.querySelector({})", js_str(selector)),
        )
        .await;
        self.browser
            .client()
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
            .send_keys(key)
            .await
            .unwrap_or_else(|e| panic!("pressing {key:?} on {selector}: {e}"));
    }

    /// Whether the keyboard's focus is on the first `selector`.
    pub async fn has_focus(&self, selector: &str) -> bool {
        self.js(
            "return document.activeElement === document.querySelector(arguments[0]);",
            vec![json!(selector)],
        )
        .await
            == json!(true)
    }

    /// Chooses the option of `selector` whose text contains `text`.
    pub async fn choose(&self, selector: &str, text: &str) {
        let find = format!(
            "document.querySelector({0}) && [...document.querySelector({0}).options].find(o => o.textContent.includes({1}))",
            js_str(selector),
            js_str(text)
        );
        self.wait_for(&format!("{selector} to offer {text:?}"), &find)
            .await;
        self.js(
            &format!(
                "const s = document.querySelector({}); s.value = ({find}).value; \
                 s.dispatchEvent(new Event('change', {{bubbles: true}}));",
                js_str(selector)
            ),
            vec![],
        )
        .await;
    }

    /// Opens the desk and signs in.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let url = format!("{}/console/", self.browser.origin());
        self.browser
            .client()
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
        self.wait_for("the sign-in form", "document.querySelector('.rd-sign-in')")
            .await;
        self.type_into("input[name=email]", email).await;
        self.type_into("input[name=password]", password).await;
        self.click(".rd-sign-in button[type=submit]", "").await;
        self.wait_for("the queue", "document.querySelector('.rd-queue table')")
            .await;
    }

    /// Switches the desk's language to `tag` (`zh-CN` or `en`).
    pub async fn use_lang(&self, tag: &str) {
        let current = self
            .js("return document.documentElement.lang;", vec![])
            .await;
        if current.as_str() != Some(tag) {
            self.click(".rd-top .rd-link", "").await;
            self.wait_for(
                &format!("the desk in {tag}"),
                &format!("document.documentElement.lang === {}", js_str(tag)),
            )
            .await;
        }
    }

    /// Opens a queue tab by its position (0: needs a decision … 5: all) and waits for its rows.
    pub async fn open_tab(&self, index: usize) {
        self.js(
            "document.querySelectorAll('.rd-tab')[arguments[0]].click();",
            vec![json!(index)],
        )
        .await;
        self.wait_for(
            "the tab to be chosen",
            &format!(
                "document.querySelectorAll('.rd-tab')[{index}].getAttribute('aria-selected') === 'true'"
            ),
        )
        .await;
    }

    /// Waits until the queue's rows are exactly `numbers`, in any order: requests submitted at
    /// one instant of the test clock have equal deadlines, and the queue then orders them by id.
    pub async fn wait_for_queue(&self, numbers: &[&str]) {
        let mut sorted = numbers.to_vec();
        sorted.sort_unstable();
        self.wait_for(
            &format!("the queue to show {numbers:?}"),
            &format!(
                "JSON.stringify([...document.querySelectorAll('.rd-row td a')].map(a => a.textContent.trim()).sort()) === {}",
                js_str(&serde_json::to_string(&sorted).expect("numbers as JSON"))
            ),
        )
        .await;
    }

    /// Opens the request with `number` from the queue.
    pub async fn open_request(&self, number: &str) {
        self.click(".rd-row td a", number).await;
        self.wait_for(
            &format!("request {number}"),
            &format!(
                "document.querySelector('.rd-head h1') && document.querySelector('.rd-head h1').textContent.includes({})",
                js_str(number)
            ),
        )
        .await;
    }

    /// Takes a step on the open request: its button, then (when asked) the confirmation.
    pub async fn take_step(&self, label: &str) {
        self.click(".rd-steps button", label).await;
        self.click(".rd-next-step", label).await;
        self.click(".rd-confirm-step", label).await;
    }

    /// Opens the settings from the top bar.
    pub async fn open_settings(&self) {
        self.click(".rd-nav a[href='#/settings']", "").await;
        self.wait_for(
            "the settings",
            "location.hash === '#/settings' && document.querySelector('.rd-main h1') && document.querySelector('.rd-main .rd-card')",
        )
        .await;
    }

    /// How many elements match `selector` now.
    pub async fn count(&self, selector: &str) -> u64 {
        self.js(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(selector)],
        )
        .await
        .as_u64()
        .unwrap_or_default()
    }

    /// The text of the first `selector`, once there is one.
    pub async fn text_of(&self, selector: &str) -> String {
        let find = format!("document.querySelector({})", js_str(selector));
        self.wait_for(selector, &find).await;
        self.js(&format!("return {find}.textContent.trim();"), vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Adds a webhook endpoint in the settings: its URL typed in, `types` (event codes) ticked,
    /// the form sent. What the desk answers is for the caller to read.
    pub async fn add_webhook(&self, url: &str, types: &[&str]) {
        self.type_into("input[name=webhook-url]", url).await;
        for code in types {
            let selector = format!("input[name=webhook-type][value={}]", js_str(code));
            let ticked = self
                .js(
                    "return document.querySelector(arguments[0]).checked;",
                    vec![json!(selector)],
                )
                .await;
            if ticked != json!(true) {
                self.click(&selector, "").await;
            }
        }
        self.click(".rd-webhook-form button[type=submit]", "").await;
    }

    /// The signing secret the desk shows once (`whsec_…`), when it does.
    pub async fn shown_secret(&self) -> String {
        self.wait_for(
            "the signing secret",
            "document.querySelector('.rd-secret-value') && document.querySelector('.rd-secret-value').value.startsWith('whsec_')",
        )
        .await;
        self.js(
            "return document.querySelector('.rd-secret-value').value;",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The open request's state as its heading says it.
    pub async fn heading(&self) -> String {
        self.js(
            "return document.querySelector('.rd-head h1').textContent.trim();",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Saves the page as it is, `width` pixels wide, as `<target>/e2e-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str, width: u32) {
        self.browser.set_viewport(width, 900).await;
        let height = self
            .js(
                "return Math.ceil(document.documentElement.scrollHeight);",
                vec![],
            )
            .await
            .as_u64()
            .unwrap_or(900);
        let height = u32::try_from(height).unwrap_or(900).clamp(600, 8000);
        self.browser.set_viewport(width, height).await;
        let overflow = self
            .js(
                "return document.documentElement.scrollWidth > window.innerWidth + 1;",
                vec![],
            )
            .await;
        assert_eq!(
            overflow,
            json!(false),
            "{name}: the desk is wider than {width} px"
        );
        self.browser.next_frame_viewport().await;
        self.browser.screenshot(name).await;
        self.browser.set_viewport(1280, 1000).await;
    }
}
