//! Headless Chromium through chromedriver, and the widget's DOM contract: every query runs inside
//! the open shadow root of `<refund-widget>`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// How long any condition may take before the test fails. Generous: a cold wasm compile on a
/// busy 2-core machine, not a performance budget.
pub const PATIENCE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// The widths every flow is photographed at.
pub const SCREENSHOT_WIDTHS: [u32; 2] = [360, 1280];
/// The viewport flows run in between screenshots.
const DEFAULT_VIEWPORT: (u32, u32) = (1280, 1000);

const CHROME_ARGS: [&str; 8] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// One browser at a time: the machines have 2 cores, and a flow's waits are only reliable when
/// it is not fighting another Chromium for them.
static BROWSERS: Semaphore = Semaphore::const_new(1);

/// A chromedriver process on a free loopback port, in its own process group so that it and the
/// Chromium it starts can be killed together.
pub struct Driver {
    child: Child,
    url: String,
    profile: tempfile::TempDir,
    _turn: SemaphorePermit<'static>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // The group this harness created for chromedriver (its pid): chromedriver and any
        // Chromium it left behind. Nothing else is in it.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver (`CHROMEDRIVER`, default `/usr/bin/chromedriver`) once it is this
    /// test's turn, and waits until it answers.
    pub async fn start() -> Driver {
        let turn = BROWSERS.acquire().await.expect("the browser semaphore");
        let binary =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        let profile = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                profile.path().join("chromedriver.log").display()
            ))
            // Chromium's own temporary directories go with the profile: a Chromium killed at
            // the end of a flow leaves them behind.
            .env("TMPDIR", profile.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {binary} (set CHROMEDRIVER or install chromium-driver): {e}")
            });
        let url = format!("http://127.0.0.1:{port}");
        let mut driver = Driver {
            child,
            url,
            profile,
            _turn: turn,
        };
        driver.wait_until_ready().await;
        driver
    }

    async fn wait_until_ready(&mut self) {
        let address = self.url.trim_start_matches("http://").to_owned();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if tokio::net::TcpStream::connect(&address).await.is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited with {status}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {address}:\n{}",
                self.log()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// The end of chromedriver's log, for failure messages.
    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.profile.path().join("chromedriver.log"))
            .unwrap_or_default();
        let start = log.len().saturating_sub(4000);
        let start = (start..log.len())
            .find(|&i| log.is_char_boundary(i))
            .unwrap_or(log.len());
        log[start..].to_owned()
    }

    /// A new headless Chromium session with a fresh profile. `flow` names the screenshots.
    pub async fn session(&self, origin: &str, flow: &'static str) -> Browser {
        self.session_in(origin, flow, "chromium").await
    }

    /// A session with a profile of its own, `profile`: its cookies are not another session's,
    /// as two people at two computers.
    pub async fn session_in(&self, origin: &str, flow: &'static str, profile: &str) -> Browser {
        let user_data = self.profile.path().join(profile);
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", user_data.display()));
        let mut options = json!({ "args": args });
        if let Ok(binary) = std::env::var("CHROME") {
            options["binary"] = json!(binary);
        }
        let capabilities = json!({ "browserName": "chrome", "goog:chromeOptions": options });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("capabilities are an object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| {
                panic!("no Chromium session from chromedriver: {e}\n{}", self.log())
            });
        let browser = Browser {
            client,
            origin: origin.to_owned(),
            flow,
        };
        browser
            .set_viewport(DEFAULT_VIEWPORT.0, DEFAULT_VIEWPORT.1)
            .await;
        browser
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// chromedriver's passage to the DevTools protocol: `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Sets `root` to the widget's shadow root (or null) for the script that follows.
const PRELUDE: &str = "const host = document.querySelector('refund-widget'); \
                       const root = host && host.shadowRoot;";

/// One browser session on the demo store of one test server.
#[derive(Clone)]
pub struct Browser {
    client: Client,
    origin: String,
    flow: &'static str,
}

impl Browser {
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn flow(&self) -> &'static str {
        self.flow
    }

    /// Sends one Chrome DevTools Protocol command (`Network.emulateNetworkConditions`, ...)
    /// through chromedriver and returns its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp {
                cmd: cmd.to_owned(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Makes the network as slow as a phone's: `latency_ms` per request, and the given
    /// throughputs in bytes per second.
    pub async fn throttle_network(&self, latency_ms: u32, download: u32, upload: u32) {
        self.cdp("Network.enable", json!({})).await;
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": latency_ms,
                   "downloadThroughput": download, "uploadThroughput": upload}),
        )
        .await;
    }

    /// The network at full speed again.
    pub async fn unthrottle_network(&self) {
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": 0,
                   "downloadThroughput": -1, "uploadThroughput": -1}),
        )
        .await;
    }

    /// Runs `body` with `root` bound to the widget's shadow root and returns what it returns.
    pub async fn js(&self, body: &str, args: Vec<Value>) -> Value {
        let script = format!("{PRELUDE}\n{body}");
        self.client
            .execute(&script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{body}"))
    }

    /// Polls `condition` (a JS expression over `root`) until it is truthy, and returns its value.
    pub async fn wait_for(&self, what: &str, condition: &str) -> Value {
        let script =
            format!("{PRELUDE}\ntry {{ return ({condition}); }} catch (e) {{ return null; }}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self
                .client
                .execute(&script, vec![])
                .await
                .unwrap_or_else(|e| panic!("waiting for {what}: {e}"));
            if truthy(&value) {
                return value;
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out waiting for {what} ({condition})\nthe widget shows:\n{}",
                    self.widget_text().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `selector` matches inside the widget.
    pub async fn wait_for_selector(&self, selector: &str) {
        self.wait_for(
            selector,
            &format!("root && root.querySelector({})", js_str(selector)),
        )
        .await;
    }

    /// Whether `selector` matches inside the widget right now.
    pub async fn exists(&self, selector: &str) -> bool {
        truthy(
            &self
                .js(
                    "return !!(root && root.querySelector(arguments[0]));",
                    vec![json!(selector)],
                )
                .await,
        )
    }

    /// The rendered text of the first match of `selector` (waits for it to exist).
    pub async fn text(&self, selector: &str) -> String {
        self.wait_for_selector(selector).await;
        self.js(
            "return root.querySelector(arguments[0]).textContent.trim();",
            vec![json!(selector)],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The texts of every match of `selector`.
    pub async fn texts(&self, selector: &str) -> Vec<String> {
        let value = self
            .js(
                "return root ? [...root.querySelectorAll(arguments[0])].map(e => e.textContent.trim()) : [];",
                vec![json!(selector)],
            )
            .await;
        serde_json::from_value(value).expect("a list of strings")
    }

    /// Everything the widget shows, for failure messages.
    pub async fn widget_text(&self) -> String {
        let value = self
            .js(
                "if (!root) return '(no widget shadow root)';
                 const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                 const parts = [];
                 while (walk.nextNode()) {
                     if (walk.currentNode.parentElement.closest('style')) continue;
                     const text = walk.currentNode.textContent.trim();
                     if (text) parts.push(text);
                 }
                 return parts.join(' | ');",
                vec![],
            )
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The element matching `selector` inside the widget, once it exists.
    pub async fn element(&self, selector: &str) -> Element {
        self.wait_for_selector(selector).await;
        let host = self
            .client
            .find(Locator::Css("refund-widget"))
            .await
            .expect("the refund-widget element");
        let root = host.shadow_root().await.expect("the widget's shadow root");
        root.find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector} in the widget: {e}"))
    }

    /// Clicks `selector` like a shopper would, once it exists and is enabled. It is scrolled to
    /// the middle of the screen first, as a shopper scrolls to what they tap: at the bottom
    /// edge, where WebDriver would scroll it, the sticky total bar covers it.
    pub async fn click(&self, selector: &str) {
        self.wait_for(
            &format!("{selector} to be enabled"),
            &format!(
                "root && root.querySelector({0}) && !root.querySelector({0}).disabled",
                js_str(selector)
            ),
        )
        .await;
        self.js(
            "root.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
            vec![json!(selector)],
        )
        .await;
        self.element(selector)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {selector}: {e}"));
    }

    /// Opens the demo store page with `query` (e.g. `order=DEMO-1001&lang=en`).
    pub async fn goto(&self, query: &str) {
        let url = format!("{}/?{query}", self.origin);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// Opens one demo order through its signed link and waits for its request form (or its list
    /// of requests when nothing is left to ask for).
    pub async fn open_order(&self, order: &str, lang: &str) {
        self.goto(&format!("order={order}&lang={lang}")).await;
        self.wait_for(
            &format!("order {order} to be shown"),
            &format!(
                "root && root.querySelector('.rw-order-number') && \
                 root.querySelector('.rw-order-number').textContent.trim() === {} && \
                 (root.querySelector('.rw-form') || root.querySelector('.rw-empty'))",
                js_str(order)
            ),
        )
        .await;
    }

    /// The widget's current language tag (`zh-CN` or `en`).
    pub async fn lang(&self) -> String {
        self.wait_for(
            "the widget to render",
            "root && root.querySelector('.rw[lang]')",
        )
        .await;
        self.js(
            "return root.querySelector('.rw').getAttribute('lang');",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Switches the language with the widget's own button.
    pub async fn toggle_lang(&self) {
        let before = self.lang().await;
        self.click(".rw-lang").await;
        self.wait_for(
            "the language to switch",
            &format!(
                "root.querySelector('.rw').getAttribute('lang') !== {}",
                js_str(&before)
            ),
        )
        .await;
    }

    /// Chooses the kind of request (`refund_only`, `return_and_refund`, `exchange`).
    pub async fn choose_kind(&self, kind: &str) {
        let selector = format!("input[name=kind][value={kind}]");
        self.click(&selector).await;
        self.wait_for(
            &format!("{kind} to be chosen"),
            &format!("root.querySelector({}).checked", js_str(&selector)),
        )
        .await;
    }

    /// Chooses the reason from the select, by its code.
    pub async fn choose_reason(&self, reason: &str) {
        let select = self.element("select[name=reason]").await;
        select
            .select_by_value(reason)
            .await
            .unwrap_or_else(|e| panic!("choosing the reason {reason}: {e}"));
        self.wait_for(
            &format!("{reason} to be chosen"),
            &format!(
                "root.querySelector('select[name=reason]').value === {}",
                js_str(reason)
            ),
        )
        .await;
    }

    /// Sets a line's quantity with its + button, one click at a time, as a shopper would.
    pub async fn set_quantity(&self, line: &str, quantity: u32) {
        let base = format!("li.rw-line[data-line={line}]");
        let qty = format!("{base} input.rw-qty");
        loop {
            let now: u32 = self
                .js(
                    "return root.querySelector(arguments[0]).value;",
                    vec![json!(qty)],
                )
                .await
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("a numeric quantity");
            if now == quantity {
                return;
            }
            let button = if now < quantity { "rw-inc" } else { "rw-dec" };
            self.click(&format!("{base} button.{button}")).await;
            self.wait_for(
                &format!("{line}'s quantity to change from {now}"),
                &format!("root.querySelector({}).value !== '{now}'", js_str(&qty)),
            )
            .await;
        }
    }

    /// Types `text` into the input matching `selector`.
    pub async fn type_into(&self, selector: &str, text: &str) {
        self.element(selector)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {selector}: {e}"));
    }

    /// Gives a file to the input matching `selector`, as the file picker would.
    pub async fn send_file(&self, selector: &str, path: &Path) {
        let path = path.to_str().expect("a UTF-8 path");
        self.element(selector)
            .await
            .send_keys(path)
            .await
            .unwrap_or_else(|e| panic!("sending {path} to {selector}: {e}"));
    }

    /// Waits until the live quote is on screen (the verdict is shown) and the submit button can
    /// be pressed.
    pub async fn wait_for_quote(&self) {
        self.wait_for_selector("section.rw-summary .rw-verdict")
            .await;
        self.wait_for(
            "the submit button to be enabled",
            "!root.querySelector('button.rw-submit').disabled",
        )
        .await;
    }

    /// Submits the form and waits for the status view; returns the request number.
    pub async fn submit(&self) -> String {
        self.click("button.rw-submit").await;
        self.wait_for_selector("section.rw-status strong.rw-request-number")
            .await;
        self.text("strong.rw-request-number").await
    }

    /// Reloads the order page and opens one of its requests from the list.
    pub async fn reopen_request(&self, order: &str, lang: &str, number: &str) {
        self.open_order(order, lang).await;
        self.click(&format!(
            "li.rw-request-item[data-request=\"{number}\"] button.rw-link"
        ))
        .await;
        self.wait_for(
            &format!("request {number} to be shown"),
            &format!(
                "root.querySelector('section.rw-status .rw-request-number') && \
                 root.querySelector('section.rw-status .rw-request-number').textContent.trim() === {}",
                js_str(number)
            ),
        )
        .await;
    }

    /// The request's state as the status view shows it (from the `rw-state-<state>` class).
    pub async fn shown_state(&self) -> String {
        self.wait_for_selector(".rw-status .rw-state").await;
        self.js(
            "return [...root.querySelector('.rw-status .rw-state').classList]
                 .find(c => c.startsWith('rw-state-')).slice('rw-state-'.length);",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The amounts a quote panel shows: every component's code and amount text, the total and
    /// the split, read from the first `.rw-breakdown` inside `scope`.
    pub async fn shown_amounts(&self, scope: &str) -> crate::Amounts {
        self.wait_for_selector(&format!("{scope} .rw-breakdown strong.rw-total"))
            .await;
        let value = self
            .js(
                "const b = root.querySelector(arguments[0] + ' .rw-breakdown');
                 const text = (e) => e.textContent.trim();
                 return {
                     components: [...b.querySelectorAll('.rw-component')]
                         .map(c => [c.dataset.code, text(c.querySelector('dd'))]),
                     total: text(b.querySelector('strong.rw-total')),
                     split: [...b.querySelectorAll('.rw-split-amount')].map(text),
                 };",
                vec![json!(scope)],
            )
            .await;
        serde_json::from_value(value).expect("the amounts on screen")
    }

    /// The host page's log of the widget's DOM events.
    pub async fn events(&self) -> String {
        self.js(
            "return document.getElementById('events').textContent;",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Saves the widget as it is now at every width of [`SCREENSHOT_WIDTHS`] in both languages,
    /// as `<target>/e2e-screenshots/<flow>-<lang>-<width>.png`, and checks each of those views
    /// as [`Browser::accessibility_checked`] does.
    pub async fn screenshots(&self) {
        self.every_view("the photographed view", true).await;
    }

    /// Checks the widget as it is now with axe-core in both languages at every width of
    /// [`SCREENSHOT_WIDTHS`], and fails listing every violation of impact serious or critical,
    /// each with the flow, `state` (what the screen shows), language and width.
    ///
    /// axe-core runs on the whole demo store page, the widget's open shadow root included: the
    /// page is clean (axe-core leaves its hostile theme's gradient for a person to review rather
    /// than calling it a violation), so nothing needs leaving out, and the rules about a page
    /// as a whole (its language, its title, `aria-hidden` on its body) run too. The widget is
    /// wholly in the viewport while axe-core runs, so colour contrast is judged on what a
    /// shopper sees.
    pub async fn accessibility_checked(&self, state: &str) {
        self.every_view(state, false).await;
    }

    /// Shows the widget whole at every width in both languages, photographs each view when
    /// `photograph`, checks each with axe-core, then puts the language and the viewport back
    /// as they were. Fails after all four views, so one failure lists everything found.
    async fn every_view(&self, state: &str, photograph: bool) {
        let first = self.lang().await;
        let mut violations = Vec::new();
        for round in 0..2 {
            if round == 1 {
                self.toggle_lang().await;
            }
            let lang = self.lang().await;
            for width in SCREENSHOT_WIDTHS {
                self.show_whole_widget(width).await;
                if photograph {
                    self.screenshot(&format!("{}-{lang}-{width}", self.flow))
                        .await;
                }
                let view = format!("{} ({state}), {lang}, {width} px", self.flow);
                violations.extend(self.accessibility_violations(&view).await);
            }
        }
        if self.lang().await != first {
            self.toggle_lang().await;
        }
        self.set_viewport(DEFAULT_VIEWPORT.0, DEFAULT_VIEWPORT.1)
            .await;
        assert!(
            violations.is_empty(),
            "axe-core finds {} serious or critical accessibility violation(s); fix the widget \
             (or the demo store page), not the rules:\n\n{}",
            violations.len(),
            violations.join("\n\n")
        );
    }

    /// What axe-core finds of impact serious or critical on the page now, one described rule
    /// broken per entry, each introduced by `view`.
    async fn accessibility_violations(&self, view: &str) -> Vec<String> {
        let loaded = self
            .client
            .execute("return typeof axe !== 'undefined';", vec![])
            .await
            .unwrap_or_else(|e| panic!("looking for axe-core: {e}"));
        // Once per page load: the script is over half a megabyte.
        if !truthy(&loaded) {
            self.client
                .execute(axe_source(), vec![])
                .await
                .unwrap_or_else(|e| panic!("injecting axe-core: {e}"));
        }
        let value = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                     .then((r) => done(r.violations), (e) => done({ error: String(e) }));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("running axe-core: {e}"));
        if let Some(error) = value.get("error") {
            panic!("axe-core failed: {error}");
        }
        let found: Vec<AxeViolation> =
            serde_json::from_value(value).expect("axe-core's list of violations");
        found
            .into_iter()
            .filter(|v| matches!(v.impact.as_deref(), Some("serious" | "critical")))
            .map(|v| v.describe(view))
            .collect()
    }

    /// Makes the viewport exactly `width` pixels wide and as tall as the widget, and scrolls to
    /// it, so the whole widget shows as a shopper's screen of that width would show it.
    async fn show_whole_widget(&self, width: u32) {
        self.set_viewport(width, 800).await;
        let height = self
            .js(
                "return Math.ceil(host.getBoundingClientRect().height);",
                vec![],
            )
            .await
            .as_u64()
            .expect("the widget's height");
        // Within what Chromium will capture in one picture.
        let height = u32::try_from(height).unwrap_or(u32::MAX).clamp(200, 12_000);
        self.set_viewport(width, height).await;
        self.js("host.scrollIntoView({ block: 'start' });", vec![])
            .await;
        // Nothing may stick out sideways: a shopper on a narrow phone would have to scroll.
        let overflow = self
            .js(
                "const edge = host.getBoundingClientRect().right + 1;
                 return [...root.querySelectorAll('*')]
                     .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > edge)
                     .map((e) => e.tagName.toLowerCase() + '.' + [...e.classList].join('.')
                                 + ' ' + Math.round(e.getBoundingClientRect().right - edge + 1) + 'px');",
                vec![],
            )
            .await;
        assert_eq!(
            overflow,
            json!([]),
            "{}: at {width} px, these stick out of the widget",
            self.flow
        );
        self.next_frame_viewport().await;
    }

    /// Saves the viewport as it is now as `<target>/e2e-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let dir = crate::target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot: {e}"));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// Makes the page's viewport (not the window) `width` × `height` CSS pixels and waits for
    /// the layout to settle.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        let mut window = (width, height);
        for _ in 0..3 {
            self.client
                .set_window_size(window.0, window.1)
                .await
                .unwrap_or_else(|e| panic!("resizing the window: {e}"));
            let inner = self.next_frame_viewport().await;
            if inner == (width, height) {
                return;
            }
            // The window's frame takes some room: grow the window by what is missing.
            window = (
                (window.0 + width).saturating_sub(inner.0),
                (window.1 + height).saturating_sub(inner.1),
            );
        }
        let inner = self.next_frame_viewport().await;
        assert_eq!(
            inner,
            (width, height),
            "the viewport could not be set to {width}×{height}"
        );
    }

    /// The viewport's size once the browser has laid out and painted the next frame.
    pub async fn next_frame_viewport(&self) -> (u32, u32) {
        let value = self
            .client
            .execute_async(
                "const done = arguments[0];
                 requestAnimationFrame(() => requestAnimationFrame(() =>
                     done([window.innerWidth, window.innerHeight])));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("waiting for a frame: {e}"));
        let size: (u32, u32) = serde_json::from_value(value).expect("the viewport size");
        size
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A JS string literal for `s`.
pub fn js_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// One rule axe-core found broken, as `axe.run` reports it.
#[derive(Deserialize)]
struct AxeViolation {
    id: String,
    impact: Option<String>,
    help: String,
    #[serde(rename = "helpUrl")]
    help_url: String,
    nodes: Vec<AxeNode>,
}

/// An element that breaks the rule: its selector path (one list per shadow root crossed), its
/// markup, and axe-core's account of what is wrong with it.
#[derive(Deserialize)]
struct AxeNode {
    target: Value,
    html: String,
    #[serde(rename = "failureSummary")]
    failure_summary: Option<String>,
}

impl AxeViolation {
    fn describe(&self, view: &str) -> String {
        let mut text = format!(
            "{view}: {} ({}): {}\n  {}",
            self.id,
            self.impact.as_deref().unwrap_or("?"),
            self.help,
            self.help_url
        );
        for node in &self.nodes {
            text.push_str(&format!("\n  - {}\n    {}", node.target, node.html));
            if let Some(summary) = &node.failure_summary {
                for line in summary.lines() {
                    text.push_str(&format!("\n    {}", line.trim()));
                }
            }
        }
        text
    }
}

/// axe-core's script, read once: `REFUND_AXE_JS` (set by `cargo xtask test`), else the copy
/// `npm ci` puts under `tests/axe/`.
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = std::env::var_os("REFUND_AXE_JS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("axe/node_modules/axe-core/axe.min.js")
            });
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "no axe-core at {} ({e}): install it with `cargo xtask test` or \
                 `npm ci --prefix tests/axe`, or point REFUND_AXE_JS at an axe.min.js",
                path.display()
            )
        })
    })
}
