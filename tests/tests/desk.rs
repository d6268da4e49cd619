//! The refund desk end to end: the real server, the real console (and the real widget beside
//! it) in headless Chromium, staff signed in as the demo's owner, agents and viewer.

use std::sync::Arc;

use axum::http::Method;
use refund_e2e::desk::Desk;
use refund_e2e::{Driver, TestServer, flow_with_sessions};
use refund_server::seed::DEMO_STAFF_PASSWORD;
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
