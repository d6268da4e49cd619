//! The refund desk end to end: the real server, the real console (and the real widget beside
//! it) in headless Chromium, staff signed in as the demo's owner, agents and viewer. The states
//! the widget reaches only through the desk (a conversation, a rejection, a return, a payout)
//! are checked with axe-core as the shopper's flows are.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, StatusCode};
use refund_core::Quote;
use refund_core::messages::{Lang, format_money};
use refund_e2e::browser::js_str;
use refund_e2e::desk::{Desk, ENTER, ESCAPE};
use refund_e2e::{Amounts, Browser, Driver, TestServer, flow_with_sessions, photo};
use refund_server::seed::DEMO_STAFF_PASSWORD;
use refund_widget::texts::desk_texts;
use serde_json::{Value, json};

const OWNER: &str = "owner@demo.example";
const LI: &str = "li@demo.example";
const WANG: &str = "wang@demo.example";
const VIEWER: &str = "viewer@demo.example";

/// The demo's policy without automatic approval, so every request waits for the desk.
async fn review_everything(server: &TestServer) {
    let (status, body) = server
        .merchant(
            Method::PUT,
            "/policy",
            Some(json!({"utc_offset": "+08:00",
                        "amounts": {"CNY": {"return_shipping_fee": "8.00"}}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A change-of-mind return of one unit of `line` on a demo order; the recorded request.
async fn returned(server: &TestServer, order: &str, line: &str) -> Value {
    server
        .shopper_submits(
            order,
            json!({"kind": "return_and_refund", "reason": "changed_mind", "goods_intact": true,
                   "lines": [{"line_id": line, "quantity": 1}]}),
        )
        .await
}

async fn signed_in(driver: &Driver, server: &TestServer, flow: &'static str, who: &str) -> Desk {
    let desk = Desk::new(driver.session_in(&server.origin, flow, who).await);
    desk.sign_in(who, DEMO_STAFF_PASSWORD).await;
    desk
}

fn number(request: &Value) -> String {
    request["number"]
        .as_str()
        .expect("a request number")
        .to_owned()
}

#[tokio::test]
async fn an_agent_approves_three_waiting_requests_at_once_and_sees_each_result() {
    flow_with_sessions("desk-batch", |server: Arc<TestServer>, driver: Arc<Driver>| async move {
        review_everything(&server).await;
        let mut numbers = Vec::new();
        for order in ["DEMO-1001", "DEMO-1002", "DEMO-1003"] {
            numbers.push(number(&returned(&server, order, "L1").await));
        }
        let desk = signed_in(&driver, &server, "desk-batch", LI).await;
        desk.use_lang("zh-CN").await;
        let shown: Vec<&str> = numbers.iter().map(String::as_str).collect();
        desk.wait_for_queue(&shown).await;
        desk.wait_for_text("待处理").await;
        desk.js(
            "document.querySelectorAll('.rd-row input[type=checkbox]').forEach(b => { if (!b.checked) b.click(); });",
            vec![],
        )
        .await;
        desk.click(".rd-batch", "(3)").await;
        desk.wait_for(
            "three approvals",
            "document.querySelectorAll('.rd-results li:not(.rd-failed)').length === 3",
        )
        .await;
        desk.wait_for_queue(&[]).await;
        desk.open_tab(1).await;
        desk.wait_for(
            "three requests awaiting their parcels",
            "document.querySelectorAll('.rd-row').length === 3",
        )
        .await;
        for order in ["DEMO-1001", "DEMO-1002", "DEMO-1003"] {
            let request = server.only_request_of(order).await;
            assert_eq!(request["state"], "approved");
            let last = request["history"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(last["by"]["name"], "客服小李 Li", "{last}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_viewer_sees_every_request_and_can_change_nothing() {
    flow_with_sessions(
        "desk-viewer",
        |server: Arc<TestServer>, driver: Arc<Driver>| async move {
            review_everything(&server).await;
            let request = returned(&server, "DEMO-1001", "L1").await;
            let desk = signed_in(&driver, &server, "desk-viewer", VIEWER).await;
            desk.use_lang("en").await;
            desk.wait_for_queue(&[&number(&request)]).await;
            assert!(
                !desk
                    .js("return !!document.querySelector('.rd-batch');", vec![])
                    .await
                    .as_bool()
                    .unwrap(),
                "a viewer has no batch approval"
            );
            desk.open_request(&number(&request)).await;
            desk.wait_for_text("Your role can only look.").await;
            let controls = desk
                .js(
                    "return {steps: document.querySelectorAll('.rd-steps button').length, \
                         write: !!document.querySelector('.rd-write'), \
                         assign: document.querySelector('.rd-assign select').disabled};",
                    vec![],
                )
                .await;
            assert_eq!(
                controls,
                json!({"steps": 0, "write": false, "assign": true})
            );
            desk.click(".rd-nav a", "Settings").await;
            desk.wait_for_text("Your role can only look.").await;
            assert_eq!(
                desk.js(
                    "return document.querySelectorAll('.rd-main form').length;",
                    vec![]
                )
                .await,
                json!(0),
                "no form to invite, add templates or addresses"
            );
            assert_eq!(
                desk.count(".rd-webhooks").await,
                0,
                "webhooks are the owner's alone"
            );
            let still = server.only_request_of("DEMO-1001").await;
            assert_eq!(still["state"], "submitted");
        },
    )
    .await;
}

#[tokio::test]
async fn two_agents_deciding_one_request_at_once_apply_one_decision_and_the_other_is_told() {
    flow_with_sessions(
        "desk-race",
        |server: Arc<TestServer>, driver: Arc<Driver>| async move {
            review_everything(&server).await;
            let request = returned(&server, "DEMO-1001", "L1").await;
            let n = number(&request);
            let li = signed_in(&driver, &server, "desk-race", LI).await;
            let wang = signed_in(&driver, &server, "desk-race", WANG).await;
            for desk in [&li, &wang] {
                desk.use_lang("en").await;
                desk.wait_for_queue(&[&n]).await;
                desk.open_request(&n).await;
            }
            // Both have the request open, waiting for a decision; Li approves first.
            li.take_step("Approve").await;
            li.wait_for(
                "the approval",
                "document.querySelector('.rd-head h1').textContent.includes('Approved')",
            )
            .await;
            wang.click(".rd-steps button", "Reject").await;
            wang.type_into(".rd-step-form textarea", "Worn").await;
            wang.click(".rd-next-step", "Reject").await;
            wang.click(".rd-confirm-step", "Reject").await;
            wang.wait_for_text("Someone else (or a deadline) acted on this request meanwhile")
                .await;
            wang.wait_for(
                "the request as it stands",
                "document.querySelector('.rd-head h1').textContent.includes('Approved')",
            )
            .await;
            let decided = server.only_request_of("DEMO-1001").await;
            assert_eq!(decided["state"], "approved");
            let decisions = decided["history"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "approve" || e["action"] == "reject")
                .count();
            assert_eq!(decisions, 1);
        },
    )
    .await;
}

#[tokio::test]
async fn the_queue_and_a_request_are_photographed_at_desk_and_tablet_widths_in_both_languages() {
    flow_with_sessions(
        "desk-pictures",
        |server: Arc<TestServer>, driver: Arc<Driver>| async move {
            review_everything(&server).await;
            let first = returned(&server, "DEMO-1001", "L2").await;
            returned(&server, "DEMO-1002", "L1").await;
            server
                .shopper_submits(
                    "DEMO-1003",
                    json!({"kind": "refund_only", "reason": "changed_mind", "note": "不想要了",
                       "lines": [{"line_id": "L1", "quantity": 1}]}),
                )
                .await;
            let desk = signed_in(&driver, &server, "desk-pictures", OWNER).await;
            for lang in ["zh-CN", "en"] {
                desk.use_lang(lang).await;
                desk.click(".rd-nav a", "").await;
                desk.wait_for(
                    "three rows",
                    "document.querySelectorAll('.rd-row').length === 3",
                )
                .await;
                for width in [1280, 1024] {
                    desk.screenshot(&format!("desk-queue-{lang}-{width}"), width)
                        .await;
                }
                desk.open_request(&number(&first)).await;
                desk.wait_for(
                    "the order's lines",
                    "document.querySelectorAll('.rd-card table').length >= 2",
                )
                .await;
                for width in [1280, 1024] {
                    desk.screenshot(&format!("desk-request-{lang}-{width}"), width)
                        .await;
                }
            }
        },
    )
    .await;
}

/// The shopper's browser, its own profile, beside the desk's.
async fn shopper(driver: &Driver, server: &TestServer, flow: &'static str) -> Browser {
    driver.session_in(&server.origin, flow, "shopper").await
}

/// Waits until every photo in `scope` (inside the widget) is uploaded.
async fn photos_uploaded(shopper: &Browser, scope: &str, count: usize) {
    shopper
        .wait_for(
            &format!("{count} photo(s) uploaded in {scope}"),
            &format!(
                "root.querySelectorAll({0}).length === {count} && !root.querySelector({1})",
                js_str(&format!("{scope} li.rw-thumb")),
                js_str(&format!("{scope} li.rw-thumb progress")),
            ),
        )
        .await;
}

/// The widget's text inside `selector`, once it contains `text`.
async fn widget_shows(shopper: &Browser, selector: &str, text: &str) {
    shopper
        .wait_for(
            &format!("{selector} to say {text:?}"),
            &format!(
                "root.querySelector({0}) && root.querySelector({0}).textContent.includes({1})",
                js_str(selector),
                js_str(text)
            ),
        )
        .await;
}

#[tokio::test]
async fn a_quality_claim_is_talked_through_with_photos_and_approved_while_the_shopper_watches() {
    flow_with_sessions(
        "desk-quality",
        |server: Arc<TestServer>, driver: Arc<Driver>| async move {
            review_everything(&server).await;
            let shopper = shopper(&driver, &server, "desk-quality").await;
            shopper.open_order("DEMO-1002", "zh-CN").await;
            shopper.choose_kind("return_and_refund").await;
            shopper.choose_reason("quality_issue").await;
            shopper.set_quantity("L1", 1).await;
            let first = photo();
            shopper
                .send_file(".rw-evidence input[type=file]", first.path())
                .await;
            photos_uploaded(&shopper, ".rw-evidence", 1).await;
            shopper.accessibility_checked("the form with an uploaded photo").await;
            shopper.wait_for_quote().await;
            let number = shopper.submit().await;

            // The agent finds it on top of the queue, its countdown running, and its photo.
            let desk = signed_in(&driver, &server, "desk-quality", LI).await;
            desk.use_lang("en").await;
            desk.wait_for_queue(&[&number]).await;
            let row = desk
                .js(
                    "return document.querySelector('.rd-row').textContent;",
                    vec![],
                )
                .await;
            let row = row.as_str().unwrap_or_default();
            assert!(row.contains(&number), "{row}");
            assert!(
                row.contains("h ") || row.contains("d "),
                "the row counts down the decision's deadline: {row}"
            );
            desk.open_request(&number).await;
            desk.wait_for(
                "the shopper's photo",
                "document.querySelectorAll('.rd-thumb img').length === 1",
            )
            .await;
            desk.type_into(".rd-write textarea", "Please add a photo of the seam.")
                .await;
            desk.js(
                "document.querySelector('.rd-write input[type=checkbox]').click();",
                vec![],
            )
            .await;
            desk.click(".rd-write button", "Send").await;
            desk.wait_for(
                "the message in the thread",
                "document.querySelectorAll('.rd-msg-desk').length === 1",
            )
            .await;

            // The shopper sees it unread, reads it, answers with another photo.
            shopper.open_order("DEMO-1002", "zh-CN").await;
            widget_shows(
                &shopper,
                &format!("li.rw-request-item[data-request=\"{number}\"] .rw-unread"),
                "1",
            )
            .await;
            shopper.reopen_request("DEMO-1002", "zh-CN", &number).await;
            shopper.click(".rw-thread-toggle").await;
            widget_shows(&shopper, ".rw-msg-merchant", "Please add a photo of the seam.")
                .await;
            widget_shows(&shopper, ".rw-thread .rw-asks", desk_texts(Lang::ZhCn).asks_photos)
                .await;
            shopper
                .type_into("textarea[name=message]", "已补充线头的照片")
                .await;
            let second = photo();
            shopper
                .send_file(".rw-thread input[type=file]", second.path())
                .await;
            photos_uploaded(&shopper, ".rw-reply", 1).await;
            shopper.click("button.rw-send").await;
            widget_shows(&shopper, ".rw-msg-mine", "已补充线头的照片").await;
            shopper.accessibility_checked("the conversation with the merchant").await;
            assert!(
                !shopper.exists(".rw-thread-toggle .rw-unread").await,
                "the message was read"
            );

            // The desk's page reads the answer by itself; the agent approves.
            desk.wait_for(
                "the shopper's answer with its photo",
                "[...document.querySelectorAll('.rd-msg-shopper')].some(m => m.textContent.includes('已补充线头的照片') && m.querySelector('img'))",
            )
            .await;
            desk.wait_for(
                "both photos in the gallery",
                "document.querySelectorAll('.rd-thumb img').length === 2",
            )
            .await;
            desk.take_step("Approve").await;
            desk.wait_for(
                "the approval",
                "document.querySelector('.rd-head h1').textContent.includes('Approved')",
            )
            .await;

            // The widget, still open, shows the approval and where the parcel goes.
            shopper
                .wait_for(
                    "the approval in the widget",
                    "root.querySelector('.rw-status .rw-state-approved')",
                )
                .await;
            widget_shows(&shopper, ".rw-return", "文一西路 969 号").await;
            shopper.accessibility_checked("an approved return and where to send it").await;
            assert!(
                shopper.exists("form.rw-ship select[name=carrier]").await,
                "the shopper is asked for the parcel, with a list of carriers"
            );

            let request = server.only_request_of("DEMO-1002").await;
            assert_eq!(request["state"], "approved");
            let (status, thread) = server
                .merchant(
                    Method::GET,
                    &format!("/requests/{}/messages", request["id"].as_str().unwrap()),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{thread}");
            let messages = thread["messages"].as_array().unwrap();
            assert_eq!(messages.len(), 2, "{thread}");
            assert_eq!(messages[0]["by"]["name"], "客服小李 Li", "{thread}");
            assert_eq!(messages[1]["author"], "shopper");
            assert_eq!(messages[1]["photos"].as_array().map(Vec::len), Some(1));
        },
    )
    .await;
}

#[tokio::test]
async fn a_rejection_from_a_template_reaches_the_widget_in_the_shoppers_language() {
    flow_with_sessions(
        "desk-reject",
        |server: Arc<TestServer>, driver: Arc<Driver>| async move {
            review_everything(&server).await;
            let request = returned(&server, "DEMO-1001", "L1").await;
            let n = number(&request);
            let desk = signed_in(&driver, &server, "desk-reject", WANG).await;
            desk.use_lang("en").await;
            desk.wait_for_queue(&[&n]).await;
            desk.open_request(&n).await;
            desk.click(".rd-steps button", "Reject").await;
            desk.choose(".rd-step-form select", "Unclear photos").await;
            desk.click(".rd-next-step", "Reject").await;
            desk.click(".rd-confirm-step", "Reject").await;
            desk.wait_for(
                "the rejection",
                "document.querySelector('.rd-head h1').textContent.includes('Rejected')",
            )
            .await;

            let shopper = shopper(&driver, &server, "desk-reject").await;
            shopper.reopen_request("DEMO-1001", "zh-CN", &n).await;
            assert_eq!(shopper.shown_state().await, "rejected");
            widget_shows(&shopper, ".rw-rejected", "照片无法看清问题").await;
            shopper.accessibility_checked("a rejection").await;
            shopper.toggle_lang().await;
            widget_shows(
                &shopper,
                ".rw-rejected",
                "The photos do not show the problem",
            )
            .await;
            let said = shopper.text(".rw-rejected").await;
            assert!(!said.contains("照片"), "one language at a time: {said}");
            assert!(
                !shopper.exists(".rw-total").await,
                "no amount reads as coming for a rejected request"
            );
            widget_shows(&shopper, ".rw-next", "send a new one").await;
        },
    )
    .await;
}

#[tokio::test]
async fn a_return_goes_all_the_way_to_a_recorded_payout_that_both_screens_show_to_the_cent() {
    flow_with_sessions(
        "desk-return",
        |server: Arc<TestServer>, driver: Arc<Driver>| async move {
            review_everything(&server).await;
            let request = returned(&server, "DEMO-1003", "L1").await;
            let n = number(&request);
            let quote: Quote =
                serde_json::from_value(request["quote"].clone()).expect("the recorded quote");
            let desk = signed_in(&driver, &server, "desk-return", LI).await;
            desk.use_lang("en").await;
            desk.wait_for_queue(&[&n]).await;
            desk.open_request(&n).await;
            desk.click(".rd-steps button", "Approve").await;
            desk.choose(".rd-step-form select", "Hangzhou warehouse").await;
            desk.type_into(".rd-step-form textarea", "请在包裹内附上申请编号")
                .await;
            desk.click(".rd-next-step", "Approve").await;
            desk.click(".rd-confirm-step", "Approve").await;
            desk.wait_for(
                "the approval",
                "document.querySelector('.rd-head h1').textContent.includes('Approved')",
            )
            .await;

            // The shopper reads where to send it and sends it with a listed carrier.
            let shopper = shopper(&driver, &server, "desk-return").await;
            shopper.reopen_request("DEMO-1003", "en", &n).await;
            widget_shows(&shopper, ".rw-return", "演示商店退货组").await;
            widget_shows(&shopper, ".rw-return .rw-instructions", "请在包裹内附上申请编号").await;
            shopper
                .js(
                    "const s = root.querySelector('form.rw-ship select[name=carrier]'); \
                     s.value = 'sf'; s.dispatchEvent(new Event('change', {bubbles: true}));",
                    vec![],
                )
                .await;
            shopper
                .type_into("form.rw-ship input[name=tracking_number]", "SF1234567890")
                .await;
            shopper.click("form.rw-ship button[type=submit]").await;
            shopper
                .wait_for(
                    "the parcel on its way",
                    "root.querySelector('.rw-status .rw-state-return_shipped')",
                )
                .await;
            widget_shows(&shopper, ".rw-shipment", "SF Express").await;
            shopper.accessibility_checked("the parcel on its way").await;

            // The desk sees the parcel, confirms receipt and records the prefilled payout.
            desk.wait_for(
                "the parcel on the desk",
                "document.querySelector('.rd-head h1').textContent.includes('Sent back')",
            )
            .await;
            desk.wait_for_text("SF1234567890").await;
            desk.take_step("Confirm receipt").await;
            desk.wait_for(
                "the receipt",
                "document.querySelector('.rd-head h1').textContent.includes('Received by the merchant')",
            )
            .await;
            desk.click(".rd-steps button", "Record payout").await;
            desk.type_into(".rd-step-form input[maxlength='100']", "ALIPAY-RF-778899")
                .await;
            desk.click(".rd-next-step", "Record payout").await;
            desk.click(".rd-confirm-step", "Record payout").await;
            desk.wait_for(
                "the payout",
                "document.querySelector('.rd-head h1').textContent.includes('Refunded')",
            )
            .await;

            let recorded = server.only_request_of("DEMO-1003").await;
            assert_eq!(recorded["state"], "refunded");
            assert_eq!(recorded["payout"]["total"], request["quote"]["total"]);
            let split: Vec<&Value> = quote_split(&request);
            let paid: Vec<&Value> = recorded["payout"]["payouts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| &p["amount"])
                .collect();
            assert_eq!(paid, split, "the payout is the quote's split");

            // Both screens show the recorded amounts to the cent.
            let total = format_money(quote.total.0, quote.currency, Lang::En);
            desk.wait_for_text(&format!("Paid out: {total}")).await;
            shopper
                .wait_for(
                    "the refund in the widget",
                    "root.querySelector('.rw-status .rw-state-refunded')",
                )
                .await;
            widget_shows(&shopper, ".rw-payout .rw-paid-total", &total).await;
            let rows = shopper.texts(".rw-payout .rw-split-amount").await;
            let expected: Vec<String> = quote
                .split
                .iter()
                .map(|s| format_money(s.amount.0, quote.currency, Lang::En))
                .collect();
            assert_eq!(rows, expected);
            assert_eq!(
                shopper.shown_amounts("section.rw-status ~ section").await,
                Amounts::of(&quote, Lang::En)
            );
            widget_shows(&shopper, ".rw-payout .rw-reference", "ALIPAY-RF-778899").await;
            shopper.accessibility_checked("the recorded payout").await;
        },
    )
    .await;
}

fn quote_split(request: &Value) -> Vec<&Value> {
    request["quote"]["split"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["amount"])
        .collect()
}

/// One webhook as a store's system received it.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: Vec<u8>,
}

/// A store's system on loopback: takes webhooks at `/hooks`, answers 200, keeps what came.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the receiver answers; the delivery log shows its start.
const RECEIVED: &str = r#"{"received": true}"#;

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let url = format!(
            "http://{}/hooks",
            listener.local_addr().expect("a bound address")
        );
        let got = Arc::new(Mutex::new(Vec::new()));
        let keep = got.clone();
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let keep = keep.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    keep.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp").parse().unwrap_or_default(),
                        signature: header("webhook-signature"),
                        body: body.to_vec(),
                    });
                    (StatusCode::OK, RECEIVED)
                }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, got, task }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Whether `received` is signed, as Standard Webhooks says, with the secret written `secret`.
fn signed_with(received: &Received, secret: &str) -> bool {
    use refund_server::deliver::sign::{Secret, verify};
    let secret = Secret::parse(secret).expect("a whsec_ secret");
    verify(
        &secret,
        &received.id,
        received.timestamp,
        &received.body,
        &received.signature,
    )
}

/// The demo merchant's endpoints, as the merchant API lists them.
async fn endpoints(server: &TestServer) -> Vec<Value> {
    server
        .merchant_get("/webhooks")
        .await
        .as_array()
        .expect("a list of endpoints")
        .clone()
}

#[tokio::test]
async fn an_owner_adds_a_webhook_endpoint_sees_its_secret_once_follows_its_deliveries_and_deletes_it()
 {
    flow_with_sessions(
        "desk-webhooks",
        |server: Arc<TestServer>, driver: Arc<Driver>| async move {
            let receiver = Receiver::start().await;
            let desk = signed_in(&driver, &server, "desk-webhooks", OWNER).await;
            desk.use_lang("en").await;
            desk.open_settings().await;
            desk.wait_for_text("No webhook endpoints yet.").await;

            // What the server says of a URL it refuses is shown by the field.
            desk.add_webhook("ftp://example.com/hooks", &[]).await;
            desk.wait_for(
                "the URL's problem by the field",
                "document.querySelector('#rd-webhook-url-error') \
                 && document.querySelector('#rd-webhook-url-error').textContent.includes('https://') \
                 && document.querySelector('input[name=webhook-url]').getAttribute('aria-invalid') === 'true'",
            )
            .await;
            assert!(endpoints(&server).await.is_empty());

            // Added for one event type: its secret, once, with how to verify a delivery.
            desk.add_webhook(&receiver.url, &["request.submitted"]).await;
            let secret = desk.shown_secret().await;
            for text in [
                "it is shown only this once and will not be shown again",
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature",
            ] {
                desk.wait_for_text(text).await;
            }
            assert!(
                desk.has_focus(".rd-secret-value").await,
                "the secret takes the focus"
            );
            desk.click(".rd-copy", "Copy").await;
            // Headless Chromium may refuse the clipboard: then the desk says how to copy by hand.
            desk.wait_for(
                "the copy's outcome",
                "['Copied.', 'Could not copy; select the secret and copy it by hand.'].includes(\
                 document.querySelector('.rd-secret-row [role=status]').textContent.trim())",
            )
            .await;
            assert_eq!(desk.count("#rd-webhook-url-error").await, 0);
            let listed = endpoints(&server).await;
            assert_eq!(listed.len(), 1, "{listed:?}");
            assert_eq!(listed[0]["url"], json!(receiver.url));
            assert_eq!(listed[0]["types"], json!(["request.submitted"]));
            assert_eq!(listed[0]["enabled"], json!(true));
            assert!(
                !listed[0].to_string().contains(&secret),
                "the list never carries the secret"
            );
            assert_eq!(
                desk.text_of(".rd-endpoint .rd-endpoint-url").await,
                receiver.url
            );
            assert!(
                desk.text_of(".rd-endpoint .rd-endpoint-types")
                    .await
                    .ends_with("request.submitted")
            );
            desk.click(".rd-secret-done", "").await;
            desk.wait_for(
                "the secret gone for good",
                &format!(
                    "!document.querySelector('.rd-secret') && !document.body.innerHTML.includes({})",
                    js_str(&secret)
                ),
            )
            .await;

            // Off, and on again, from the keyboard: the button keeps the focus.
            desk.press(".rd-endpoint .rd-switch", ENTER).await;
            desk.wait_for_text("Off: turned off by the store").await;
            assert!(desk.has_focus(".rd-endpoint .rd-switch").await);
            let off = endpoints(&server).await;
            assert_eq!(
                (&off[0]["enabled"], &off[0]["disabled_reason"]),
                (&json!(false), &json!("merchant"))
            );
            assert_eq!(desk.text_of(".rd-endpoint .rd-switch").await, "Turn on");
            desk.press(".rd-endpoint .rd-switch", ENTER).await;
            desk.wait_for(
                "the endpoint on",
                "document.querySelector('.rd-endpoint .rd-endpoint-status').textContent.trim() === 'On'",
            )
            .await;
            assert!(desk.has_focus(".rd-endpoint .rd-switch").await);
            assert_eq!(endpoints(&server).await[0]["enabled"], json!(true));

            // Nothing sent yet; a shopper's request makes the first delivery.
            desk.click(".rd-endpoint .rd-show-log", "Deliveries").await;
            desk.wait_for_text("Nothing has been sent to this endpoint yet.")
                .await;
            let request = returned(&server, "DEMO-1001", "L1").await;
            desk.click(".rd-refresh", "Refresh").await;
            desk.wait_for(
                "a delivered attempt answered 200",
                "document.querySelectorAll('.rd-delivery').length === 1 \
                 && document.querySelectorAll('.rd-delivery[data-state=delivered] .rd-attempt[data-status=\"200\"]').length === 1",
            )
            .await;
            assert_eq!(
                desk.text_of(".rd-delivery .rd-event-type").await,
                "request.submitted"
            );
            assert_eq!(desk.text_of(".rd-delivery .rd-state").await, "Delivered");
            assert_eq!(desk.text_of(".rd-attempt .rd-excerpt").await, RECEIVED);
            let got = receiver.received();
            assert_eq!(got.len(), 1, "{got:?}");
            assert!(
                signed_with(&got[0], &secret),
                "signed with the secret shown"
            );
            let event: Value = serde_json::from_slice(&got[0].body).expect("a JSON event");
            assert_eq!(event["type"], "request.submitted");
            assert_eq!(event["id"], json!(got[0].id));
            assert_eq!(event["data"]["request"]["number"], json!(number(&request)));
            assert_eq!(
                desk.text_of(".rd-delivery .rd-event-id").await,
                got[0].id
            );

            // Sent again: a second attempt of the same event.
            desk.click(".rd-redeliver", "Send again").await;
            desk.wait_for(
                "a second attempt answered 200",
                "document.querySelectorAll('.rd-delivery[data-state=delivered] .rd-attempt[data-status=\"200\"]').length === 2",
            )
            .await;
            desk.wait_for_text("Queued to send again").await;
            let got = receiver.received();
            assert_eq!(got.len(), 2, "{got:?}");
            assert_eq!(got[1].id, got[0].id, "the same event, to dedupe by");
            assert!(signed_with(&got[1], &secret));

            // A rotation asks first; the new secret is shown once, and the old one keeps
            // signing beside it until the time shown.
            desk.click(".rd-endpoint .rd-rotate", "Rotate secret").await;
            desk.wait_for_text("keeps signing beside it for 24 hours")
                .await;
            desk.click(".rd-confirm-action", "Rotate secret").await;
            desk.wait_for_text("New signing secret").await;
            let rotated = desk.shown_secret().await;
            assert_ne!(rotated, secret);
            desk.wait_for_text("The old secret keeps signing beside the new one until")
                .await;
            desk.click(".rd-redeliver", "Send again").await;
            desk.wait_for(
                "a third attempt answered 200",
                "document.querySelectorAll('.rd-attempt[data-status=\"200\"]').length === 3",
            )
            .await;
            let got = receiver.received();
            assert_eq!(got.len(), 3, "{got:?}");
            assert!(signed_with(&got[2], &rotated), "signed with the new secret");
            assert!(signed_with(&got[2], &secret), "and, for now, the old one");

            for lang in ["en", "zh-CN"] {
                desk.use_lang(lang).await;
                desk.wait_for(
                    "the log in the language",
                    &format!(
                        "document.querySelector('.rd-delivery .rd-state').textContent.trim() === {}",
                        js_str(if lang == "en" { "Delivered" } else { "已送达" })
                    ),
                )
                .await;
                for width in [1280, 1024] {
                    desk.screenshot(&format!("desk-webhooks-{lang}-{width}"), width)
                        .await;
                }
            }
            desk.click(".rd-secret-done", "").await;

            // Deleting asks first too; Escape takes the question back.
            desk.press(".rd-endpoint .rd-delete", ENTER).await;
            desk.wait_for_text("删除该地址及其投递记录？").await;
            assert!(
                desk.has_focus(".rd-confirm-action").await,
                "the confirmation takes the focus"
            );
            desk.press(".rd-confirm-action", ESCAPE).await;
            desk.wait_for("the question gone", "!document.querySelector('.rd-confirm-box')")
                .await;
            assert!(desk.has_focus(".rd-endpoint .rd-delete").await);
            assert_eq!(endpoints(&server).await.len(), 1);
            desk.click(".rd-endpoint .rd-delete", "删除").await;
            desk.wait_for_text("删除该地址及其投递记录？").await;
            desk.click(".rd-confirm-action", "删除").await;
            desk.wait_for(
                "no endpoint left",
                "!document.querySelector('.rd-endpoint')",
            )
            .await;
            desk.wait_for_text("还没有 Webhook 地址。").await;
            assert!(endpoints(&server).await.is_empty());
        },
    )
    .await;
}
