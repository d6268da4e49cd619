//! API tests against the real router, each with a fresh database (SQLite, or PostgreSQL with
//! `REFUND_TEST_BACKEND=postgres`: see `support`) and a clock the test moves.

mod support;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, TimeDelta, Utc};
use http_body_util::BodyExt;
use refund_server::clock::ManualClock;
use refund_server::service::{AppState, create_merchant, sweep_deadlines};
use refund_server::store::Store;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Shop {
    pk: String,
    sk: String,
}

struct TestApp {
    router: Router,
    state: AppState,
    clock: Arc<ManualClock>,
    shop: Shop,
    _db: support::TestDb,
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-06T12:00:00+08:00")
        .unwrap()
        .to_utc()
}

/// A delivered order: a shirt line of 3 at 99.00, a mug at 50.00, 10.00 shipping, 357.00 paid.
fn order(number: &str) -> Value {
    json!({
        "number": number,
        "currency": "CNY",
        "customer_email": "li.lei@example.com",
        "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00",
        "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "L1", "sku": "SHIRT-M", "title": "Oxford shirt", "unit_price": "99.00", "quantity": 3, "category": "apparel"},
            {"id": "L2", "sku": "MUG", "title": "Mug", "unit_price": "50.00", "quantity": 1, "category": "home"}
        ],
        "shipping_fee": "10.00",
        "payments": [{"method": "alipay", "amount": "357.00"}]
    })
}

fn policy() -> Value {
    json!({
        "reasons": {"quality_issue": {"evidence_required": false}},
        "auto_approve": {"reasons": ["quality_issue", "not_received"], "max_recent_requests": 100},
        "amounts": {"CNY": {"auto_approve_max": "200.00", "return_shipping_fee": "8.00"}}
    })
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
    raw: Vec<u8>,
}

impl TestApp {
    async fn new() -> TestApp {
        let db = support::fresh().await;
        let store: Arc<dyn Store> = db.open().await;
        let clock = Arc::new(ManualClock::new(start()));
        let (router, state) = refund_server::app(
            store.clone(),
            clock.clone(),
            refund_server::Settings::new("http://refunds.test"),
        );
        let created = create_merchant(
            store.as_ref(),
            "Demo",
            vec!["https://shop.example".to_owned()],
            start(),
        )
        .await
        .unwrap();
        let app = TestApp {
            router,
            state,
            clock,
            shop: Shop {
                pk: created.merchant.publishable_key,
                sk: created.secret_key,
            },
            _db: db,
        };
        assert_eq!(
            app.merchant("PUT", "/policy", Some(policy())).await.status,
            StatusCode::OK
        );
        assert_eq!(
            app.merchant("PUT", "/orders/A1001", Some(order("A1001")))
                .await
                .status,
            StatusCode::CREATED
        );
        app
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let raw = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            raw,
        }
    }

    fn request(
        method: &str,
        uri: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> axum::http::request::Builder {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(token) = bearer {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        builder
    }

    async fn merchant(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.merchant_as(&self.shop.sk, method, path, body).await
    }

    async fn merchant_as(&self, key: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        let uri = format!("/api/v1/merchant{path}");
        let builder = TestApp::request(method, &uri, Some(key), body.clone());
        self.send(
            builder
                .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
                .unwrap(),
        )
        .await
    }

    async fn shopper(
        &self,
        session: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Reply {
        let uri = format!("/api/v1/shops/{}{path}", self.shop.pk);
        let mut builder = TestApp::request(method, &uri, Some(session), body.clone());
        if let Some(key) = key {
            builder = builder.header("idempotency-key", key);
        }
        self.send(
            builder
                .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
                .unwrap(),
        )
        .await
    }

    async fn open(&self, body: Value) -> Reply {
        let uri = format!("/api/v1/shops/{}/session", self.shop.pk);
        let builder = TestApp::request("POST", &uri, None, Some(body.clone()));
        self.send(builder.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A shopper session for `number`, through a signed link.
    async fn session(&self, number: &str) -> String {
        let link = self
            .merchant("POST", &format!("/orders/{number}/links"), Some(json!({})))
            .await;
        assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
        let opened = self.open(json!({"token": link.body["token"]})).await;
        assert_eq!(opened.status, StatusCode::OK, "{:?}", opened.body);
        opened.body["session"].as_str().unwrap().to_owned()
    }
}

fn request_body(kind: &str, reason: &str, lines: Value, expected_total: &str) -> Value {
    json!({
        "kind": kind, "reason": reason, "lines": lines, "goods_intact": true,
        "expected_total": expected_total
    })
}

fn one_shirt(expected_total: &str) -> Value {
    request_body(
        "return_and_refund",
        "quality_issue",
        json!([{"line_id": "L1", "quantity": 1}]),
        expected_total,
    )
}

fn assert_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.body["error"]["code"], code, "{:?}", reply.body);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn a_shopper_quotes_then_submits_and_a_rule_approves_it_with_an_audit_trail() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let view = app.shopper(&session, "GET", "/order", None, None).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.body["order"]["number"], "A1001");
    assert_eq!(view.body["policy"]["version"], 1);

    let quote = app
        .shopper(&session, "POST", "/quote", Some(one_shirt("0")), None)
        .await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    assert_eq!(quote.body["total"], "99.00");
    assert_eq!(quote.body["outcome"], "eligible");

    let submitted = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("k-1"),
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::CREATED,
        "{:?}",
        submitted.body
    );
    assert_eq!(submitted.body["state"], "approved");
    assert_eq!(submitted.body["quote"]["policy_version"], 1);
    let id = submitted.body["id"].as_str().unwrap();
    assert!(
        submitted.body["number"]
            .as_str()
            .unwrap()
            .starts_with("RF20261106")
    );

    let status = app
        .shopper(&session, "GET", &format!("/requests/{id}"), None, None)
        .await;
    let history: Vec<(&str, &str)> = status.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["after"].as_str().unwrap()))
        .collect();
    assert_eq!(history, [("shopper", "submitted"), ("rule", "approved")]);
    assert_eq!(status.body["deadline"]["kind"], "ship_back");
    assert_eq!(status.body["deadline"]["seconds_left"], 7 * 86_400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_simultaneous_submissions_never_refund_more_than_was_paid() {
    let app = Arc::new(TestApp::new().await);
    let session = app.session("A1001").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = app.clone();
        let session = session.clone();
        // Every one asks for 2 of the 3 shirts: at most one can win.
        let body = request_body(
            "return_and_refund",
            "quality_issue",
            json!([{"line_id": "L1", "quantity": 2}]),
            "198.00",
        );
        tasks.push(tokio::spawn(async move {
            app.shopper(
                &session,
                "POST",
                "/requests",
                Some(body),
                Some(&format!("race-{i}")),
            )
            .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => {
                assert_eq!(
                    reply.body["error"]["code"], "not_enough_left",
                    "{:?}",
                    reply.body
                );
                assert_eq!(reply.body["error"]["left_to_refund"], "159.00");
            }
            other => panic!("unexpected {other}: {:?}", reply.body),
        }
    }
    assert_eq!(won, 1);
    let order = app.merchant("GET", "/orders/A1001", None).await;
    assert_eq!(order.body["left_to_refund"], "159.00");
    assert_eq!(order.body["requests"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn idempotency_replays_the_first_answer_and_refuses_reuse_for_another_body() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let first = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("same"),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    app.clock.advance(TimeDelta::minutes(5));
    let again = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("same"),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        again.raw, first.raw,
        "the replay is byte for byte the first answer"
    );

    let other = request_body(
        "return_and_refund",
        "quality_issue",
        json!([{"line_id": "L2", "quantity": 1}]),
        "50.00",
    );
    let reused = app
        .shopper(&session, "POST", "/requests", Some(other), Some("same"))
        .await;
    assert_error(
        &reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );

    let missing = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            None,
        )
        .await;
    assert_error(
        &missing,
        StatusCode::BAD_REQUEST,
        "idempotency_key_required",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicates_sent_while_the_first_is_in_flight_wait_and_replay_its_answer() {
    let app = Arc::new(TestApp::new().await);
    let session = app.session("A1001").await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, session) = (app.clone(), session.clone());
            tokio::spawn(async move {
                app.shopper(
                    &session,
                    "POST",
                    "/requests",
                    Some(one_shirt("99.00")),
                    Some("twice"),
                )
                .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        answers.push(reply.raw);
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "every duplicate gets the first answer byte for byte"
    );
    let order = app.merchant("GET", "/orders/A1001", None).await;
    assert_eq!(order.body["requests"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_submission_leaves_its_key_free_for_the_retry() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let stale = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("98.00")),
            Some("retry"),
        )
        .await;
    assert_error(&stale, StatusCode::CONFLICT, "stale_quote");
    assert_eq!(
        stale.body["error"]["quote"]["total"], "99.00",
        "the fresh quote comes with the answer"
    );
    let retried = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("retry"),
        )
        .await;
    assert_eq!(retried.status, StatusCode::CREATED, "{:?}", retried.body);
}

#[tokio::test]
async fn a_changed_verdict_or_split_at_the_same_total_is_a_stale_view_too() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let quote = app
        .shopper(&session, "POST", "/quote", Some(one_shirt("0")), None)
        .await;
    assert_eq!(quote.body["outcome"], "eligible");
    let seen = |outcome: &str, split: Value| {
        let mut body = one_shirt("99.00");
        body["expected_outcome"] = json!(outcome);
        body["expected_split"] = split;
        body
    };
    let mut moved_split = quote.body["split"].clone();
    moved_split[0]["amount"] = json!("98.00");
    moved_split
        .as_array_mut()
        .unwrap()
        .push(json!({"payment": 9, "method": "points", "amount": "1.00", "in_kind": true}));
    for (case, body) in [
        (
            "told it would wait for review",
            seen("needs_review", quote.body["split"].clone()),
        ),
        (
            "told part would come back as points",
            seen("eligible", moved_split),
        ),
    ] {
        let stale = app
            .shopper(&session, "POST", "/requests", Some(body), Some(case))
            .await;
        assert_error(&stale, StatusCode::CONFLICT, "stale_quote");
        assert_eq!(stale.body["error"]["quote"], quote.body, "{case}");
    }
    let current = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(seen("eligible", quote.body["split"].clone())),
            Some("as seen"),
        )
        .await;
    assert_eq!(current.status, StatusCode::CREATED, "{:?}", current.body);
    assert_eq!(current.body["state"], "approved");
}

#[tokio::test]
async fn ineligible_requests_are_refused_with_the_reasons_per_line() {
    let app = TestApp::new().await;
    app.clock.advance(TimeDelta::days(30));
    let session = app.session("A1001").await;
    let late = request_body(
        "return_and_refund",
        "changed_mind",
        json!([{"line_id": "L2", "quantity": 1}]),
        "0.00",
    );
    let reply = app
        .shopper(&session, "POST", "/requests", Some(late), Some("late"))
        .await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request_ineligible",
    );
    assert_eq!(
        reply.body["error"]["quote"]["lines"][0]["codes"][0]["code"],
        "no_reason_window_closed"
    );
}

#[tokio::test]
async fn a_merchant_who_does_not_answer_in_time_is_treated_as_approving() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    // changed_mind is not auto-approved by this policy: the merchant must review.
    let body = request_body(
        "return_and_refund",
        "changed_mind",
        json!([{"line_id": "L2", "quantity": 1}]),
        "42.00",
    );
    let submitted = app
        .shopper(&session, "POST", "/requests", Some(body), Some("review"))
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::CREATED,
        "{:?}",
        submitted.body
    );
    assert_eq!(submitted.body["state"], "submitted");
    assert_eq!(submitted.body["deadline"]["kind"], "review");
    let id = submitted.body["id"].as_str().unwrap();

    app.clock
        .advance(TimeDelta::hours(48) - TimeDelta::seconds(1));
    assert_eq!(sweep_deadlines(&app.state).await.unwrap(), 0);
    app.clock.advance(TimeDelta::seconds(1));
    assert_eq!(sweep_deadlines(&app.state).await.unwrap(), 1);

    // Sessions are short-lived: the shopper comes back through the link.
    let session = app.session("A1001").await;
    let status = app
        .shopper(&session, "GET", &format!("/requests/{id}"), None, None)
        .await;
    assert_eq!(status.body["state"], "approved");
    let last = status.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"], "deadline");
    assert_eq!(last["action"], "approve");

    // Then the shopper has 7 days to ship back, or the request closes.
    app.clock.advance(TimeDelta::days(7));
    assert_eq!(sweep_deadlines(&app.state).await.unwrap(), 1);
    let session = app.session("A1001").await;
    let closed = app
        .shopper(&session, "GET", &format!("/requests/{id}"), None, None)
        .await;
    assert_eq!(closed.body["state"], "closed");
    assert_eq!(closed.body["deadline"], Value::Null);
}

#[tokio::test]
async fn the_full_return_path_ends_refunded_with_payouts_matching_the_split() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let submitted = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("full"),
        )
        .await;
    let id = submitted.body["id"].as_str().unwrap().to_owned();
    let shipped = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{id}/shipment"),
            Some(json!({"carrier": "SF Express", "tracking_number": "SF123"})),
            None,
        )
        .await;
    assert_eq!(shipped.status, StatusCode::OK, "{:?}", shipped.body);
    assert_eq!(shipped.body["state"], "return_shipped");
    assert_eq!(shipped.body["tracking_number"], "SF123");
    let received = app
        .merchant("POST", &format!("/requests/{id}/receipt"), None)
        .await;
    assert_eq!(received.body["state"], "received");
    let wrong = app
        .merchant(
            "POST",
            &format!("/requests/{id}/refund"),
            Some(json!({"payouts": [{"payment": 0, "amount": "100.00"}]})),
        )
        .await;
    assert_error(&wrong, StatusCode::UNPROCESSABLE_ENTITY, "payout_mismatch");
    let refunded = app
        .merchant(
            "POST",
            &format!("/requests/{id}/refund"),
            Some(json!({"payouts": [{"payment": 0, "amount": "99.00"}]})),
        )
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    assert_eq!(refunded.body["state"], "refunded");
    let actions: Vec<&str> = refunded.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "submit",
            "approve",
            "ship_back",
            "confirm_receipt",
            "record_refund"
        ]
    );
    let again = app
        .merchant("POST", &format!("/requests/{id}/approve"), None)
        .await;
    assert_error(&again, StatusCode::CONFLICT, "transition_not_allowed");
}

#[tokio::test]
async fn a_rejection_needs_a_reason_the_shopper_then_sees() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let body = request_body(
        "return_and_refund",
        "changed_mind",
        json!([{"line_id": "L2", "quantity": 1}]),
        "42.00",
    );
    let id = app
        .shopper(&session, "POST", "/requests", Some(body), Some("r"))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let blank = app
        .merchant(
            "POST",
            &format!("/requests/{id}/reject"),
            Some(json!({"reason": " "})),
        )
        .await;
    assert_error(&blank, StatusCode::UNPROCESSABLE_ENTITY, "invalid_text");
    let rejected = app
        .merchant(
            "POST",
            &format!("/requests/{id}/reject"),
            Some(json!({"reason": "Worn"})),
        )
        .await;
    assert_eq!(rejected.body["state"], "rejected");
    let seen = app
        .shopper(&session, "GET", &format!("/requests/{id}"), None, None)
        .await;
    assert_eq!(seen.body["reject_reason"], "Worn");
    // A rejected request gives its units back.
    let retry = request_body(
        "return_and_refund",
        "quality_issue",
        json!([{"line_id": "L2", "quantity": 1}]),
        "50.00",
    );
    let reply = app
        .shopper(&session, "POST", "/requests", Some(retry), Some("r2"))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}

#[tokio::test]
async fn shoppers_can_cancel_only_before_a_decision() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let body = request_body(
        "return_and_refund",
        "changed_mind",
        json!([{"line_id": "L2", "quantity": 1}]),
        "42.00",
    );
    let id = app
        .shopper(&session, "POST", "/requests", Some(body), Some("c"))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancelled = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{id}/cancel"),
            None,
            None,
        )
        .await;
    assert_eq!(cancelled.body["state"], "cancelled");
    let auto = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("c2"),
        )
        .await;
    let id = auto.body["id"].as_str().unwrap();
    let late = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{id}/cancel"),
            None,
            None,
        )
        .await;
    assert_error(&late, StatusCode::CONFLICT, "transition_not_allowed");
}

#[tokio::test]
async fn every_object_is_scoped_to_its_merchant_and_order() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("s"),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let other = create_merchant(app.state.store.as_ref(), "Other", vec![], start())
        .await
        .unwrap();
    let foreign = app
        .merchant_as(&other.secret_key, "GET", &format!("/requests/{id}"), None)
        .await;
    assert_error(&foreign, StatusCode::NOT_FOUND, "not_found");
    let foreign_order = app
        .merchant_as(&other.secret_key, "GET", "/orders/A1001", None)
        .await;
    assert_error(&foreign_order, StatusCode::NOT_FOUND, "not_found");

    app.merchant("PUT", "/orders/B2002", Some(order("B2002")))
        .await;
    let other_session = app.session("B2002").await;
    let cross = app
        .shopper(
            &other_session,
            "GET",
            &format!("/requests/{id}"),
            None,
            None,
        )
        .await;
    assert_error(&cross, StatusCode::NOT_FOUND, "not_found");

    let no_key = app
        .merchant_as("sk_live_nope", "GET", "/requests", None)
        .await;
    assert_error(&no_key, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn tampered_and_expired_links_are_refused() {
    let app = TestApp::new().await;
    let link = app
        .merchant(
            "POST",
            "/orders/A1001/links",
            Some(json!({"ttl_seconds": 3600})),
        )
        .await;
    let token = link.body["token"].as_str().unwrap().to_owned();
    let (payload, signature) = token.split_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{payload}.{flipped}{}", &signature[1..]);
    assert_error(
        &app.open(json!({"token": tampered})).await,
        StatusCode::UNAUTHORIZED,
        "link_invalid",
    );
    app.clock.advance(TimeDelta::hours(1));
    assert_error(
        &app.open(json!({"token": token})).await,
        StatusCode::UNAUTHORIZED,
        "link_expired",
    );
    let bad_session = app
        .shopper("not-a-session", "GET", "/order", None, None)
        .await;
    assert_error(&bad_session, StatusCode::UNAUTHORIZED, "session_invalid");
}

#[tokio::test]
async fn the_lookup_answers_alike_for_missing_orders_and_wrong_emails_and_is_rate_limited() {
    let app = TestApp::new().await;
    let found = app
        .open(json!({"order_number": "A1001", "email": " Li.Lei@example.com "}))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    let wrong_email = app
        .open(json!({"order_number": "A1001", "email": "someone@example.com"}))
        .await;
    let missing = app
        .open(json!({"order_number": "Z9999", "email": "li.lei@example.com"}))
        .await;
    assert_error(&wrong_email, StatusCode::NOT_FOUND, "order_not_found");
    assert_eq!(
        wrong_email.raw, missing.raw,
        "a miss reveals nothing about whether the order exists"
    );
    let mut limited = None;
    for _ in 0..12 {
        let reply = app
            .open(json!({"order_number": "Z9999", "email": "x@example.com"}))
            .await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(reply);
            break;
        }
    }
    assert_error(
        &limited.expect("the lookup is rate limited"),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_lookups",
    );
}

#[tokio::test]
async fn cors_is_allowed_only_for_the_merchants_origins() {
    let app = TestApp::new().await;
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri(format!("/api/v1/shops/{}/quote", app.shop.pk))
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization,content-type",
            )
            .body(Body::empty())
            .unwrap()
    };
    let allowed = app.send(preflight("https://shop.example")).await;
    assert_eq!(
        allowed
            .headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .unwrap(),
        "https://shop.example"
    );
    let refused = app.send(preflight("https://evil.example")).await;
    assert!(
        refused
            .headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[tokio::test]
async fn bad_input_gets_a_json_4xx_that_says_what_to_fix_never_a_500() {
    let app = TestApp::new().await;
    let big = json!({"padding": "x".repeat(70 * 1024)});
    assert_error(
        &app.merchant("PUT", "/orders/A1001", Some(big)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    );
    let uri = "/api/v1/merchant/orders/A1001";
    let malformed = TestApp::request("PUT", uri, Some(&app.shop.sk), Some(json!({})))
        .body(Body::from("{not json"))
        .unwrap();
    assert_error(
        &app.send(malformed).await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    );
    let mut unknown = order("A1001");
    unknown["coupon"] = json!("X");
    assert_error(
        &app.merchant("PUT", "/orders/A1001", Some(unknown)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );
    let mut mismatch = order("A1001");
    mismatch["payments"] = json!([{"method": "alipay", "amount": "1.00"}]);
    let reply = app.merchant("PUT", "/orders/A1001", Some(mismatch)).await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "payments_mismatch",
    );
    assert_eq!(reply.body["error"]["field"], "payments");
    let nowhere = app
        .send(Request::get("/api/v1/nowhere").body(Body::empty()).unwrap())
        .await;
    assert_error(&nowhere, StatusCode::NOT_FOUND, "not_found");
    let wrong_method = app.merchant("DELETE", "/policy", None).await;
    assert_error(
        &wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    let bad_path = app.merchant("GET", "/requests/%FF", None).await;
    assert_error(&bad_path, StatusCode::BAD_REQUEST, "invalid_request");
    let bad_filter = app.merchant("GET", "/requests?state=lost", None).await;
    assert_error(&bad_filter, StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn errors_speak_the_clients_language() {
    let app = TestApp::new().await;
    let request = Request::builder()
        .method("GET")
        .uri("/api/v1/merchant/requests")
        .header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.8")
        .body(Body::empty())
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("密钥")
    );
}

#[tokio::test]
async fn lines_and_prices_freeze_once_a_request_exists_but_delivery_can_change() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    app.shopper(
        &session,
        "POST",
        "/requests",
        Some(one_shirt("99.00")),
        Some("f"),
    )
    .await;
    let mut repriced = order("A1001");
    repriced["lines"][1]["unit_price"] = json!("40.00");
    repriced["payments"][0]["amount"] = json!("347.00");
    assert_error(
        &app.merchant("PUT", "/orders/A1001", Some(repriced)).await,
        StatusCode::CONFLICT,
        "order_locked",
    );
    let mut redelivered = order("A1001");
    redelivered["delivered_at"] = json!("2026-11-05T09:00:00+08:00");
    assert_eq!(
        app.merchant("PUT", "/orders/A1001", Some(redelivered))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn merchants_list_requests_by_filter_a_page_at_a_time() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    for i in 0..3 {
        let body = request_body(
            "return_and_refund",
            "quality_issue",
            json!([{"line_id": "L1", "quantity": 1}]),
            "99.00",
        );
        assert_eq!(
            app.shopper(
                &session,
                "POST",
                "/requests",
                Some(body),
                Some(&format!("p{i}"))
            )
            .await
            .status,
            StatusCode::CREATED
        );
        app.clock.advance(TimeDelta::minutes(1));
    }
    let body = request_body(
        "return_and_refund",
        "changed_mind",
        json!([{"line_id": "L2", "quantity": 1}]),
        "42.00",
    );
    app.shopper(&session, "POST", "/requests", Some(body), Some("p3"))
        .await;

    let first = app
        .merchant("GET", "/requests?reason=quality_issue&limit=2", None)
        .await;
    assert_eq!(first.body["requests"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .merchant(
            "GET",
            &format!("/requests?reason=quality_issue&limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(second.body["requests"].as_array().unwrap().len(), 1);
    assert_eq!(second.body["next_cursor"], Value::Null);
    let submitted = app.merchant("GET", "/requests?state=submitted", None).await;
    assert_eq!(submitted.body["requests"].as_array().unwrap().len(), 1);
    assert_eq!(submitted.body["requests"][0]["reason"], "changed_mind");
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload(app: &TestApp, session: &str, bytes: Vec<u8>) -> Reply {
    let uri = format!("/api/v1/shops/{}/evidence", app.shop.pk);
    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {session}"))
        .header(header::CONTENT_TYPE, "image/png")
        .body(Body::from(bytes))
        .unwrap();
    app.send(request).await
}

#[tokio::test]
async fn evidence_must_be_a_real_image_within_limits_and_is_shown_only_to_its_owners() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let uploaded = upload(&app, &session, PNG.to_vec()).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{:?}", uploaded.body);
    let id = uploaded.body["id"].as_str().unwrap().to_owned();
    assert_error(
        &upload(&app, &session, b"<svg onload=alert(1)>".to_vec()).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not_an_image",
    );
    let mut huge = PNG.to_vec();
    huge.resize(6 * 1024 * 1024, 0);
    assert_error(
        &upload(&app, &session, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    );

    let mine = app
        .shopper(&session, "GET", &format!("/evidence/{id}"), None, None)
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.headers.get(header::CONTENT_TYPE).unwrap(), "image/png");
    assert_eq!(mine.raw, PNG);
    let merchant = app.merchant("GET", &format!("/evidence/{id}"), None).await;
    assert_eq!(merchant.status, StatusCode::OK);
    app.merchant("PUT", "/orders/B2002", Some(order("B2002")))
        .await;
    let other_session = app.session("B2002").await;
    assert_error(
        &app.shopper(
            &other_session,
            "GET",
            &format!("/evidence/{id}"),
            None,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Evidence counts towards a quality claim and is attached to the request.
    let mut body = request_body(
        "return_and_refund",
        "not_as_described",
        json!([{"line_id": "L2", "quantity": 1}]),
        "50.00",
    );
    body["evidence"] = json!([id]);
    let submitted = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(body.clone()),
            Some("ev"),
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::CREATED,
        "{:?}",
        submitted.body
    );
    assert_eq!(submitted.body["evidence"], json!([id]));
    let reused = app
        .shopper(&session, "POST", "/requests", Some(body), Some("ev-2"))
        .await;
    assert_error(
        &reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_evidence",
    );

    for _ in 1..9 {
        assert_eq!(
            upload(&app, &session, PNG.to_vec()).await.status,
            StatusCode::CREATED
        );
    }
    assert_error(
        &upload(&app, &session, PNG.to_vec()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_images",
    );
}

#[tokio::test]
async fn a_photo_removed_before_submitting_frees_its_place_but_a_submitted_one_stays() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let mut ids = Vec::new();
    for _ in 0..9 {
        let uploaded = upload(&app, &session, PNG.to_vec()).await;
        assert_eq!(uploaded.status, StatusCode::CREATED);
        ids.push(uploaded.body["id"].as_str().unwrap().to_owned());
    }
    assert_error(
        &upload(&app, &session, PNG.to_vec()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_images",
    );

    let removed = app
        .shopper(
            &session,
            "DELETE",
            &format!("/evidence/{}", ids[8]),
            None,
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_error(
        &app.shopper(
            &session,
            "GET",
            &format!("/evidence/{}", ids[8]),
            None,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(
        upload(&app, &session, PNG.to_vec()).await.status,
        StatusCode::CREATED,
        "the removed photo's place is free again"
    );

    // Once a request uses a photo it is part of that request's record.
    let mut body = request_body(
        "return_and_refund",
        "not_as_described",
        json!([{"line_id": "L2", "quantity": 1}]),
        "50.00",
    );
    body["evidence"] = json!([ids[0]]);
    let submitted = app
        .shopper(&session, "POST", "/requests", Some(body), Some("ev-del"))
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::CREATED,
        "{:?}",
        submitted.body
    );
    assert_error(
        &app.shopper(
            &session,
            "DELETE",
            &format!("/evidence/{}", ids[0]),
            None,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Another order's session cannot delete this order's photos.
    app.merchant("PUT", "/orders/B2002", Some(order("B2002")))
        .await;
    let other = app.session("B2002").await;
    assert_error(
        &app.shopper(
            &other,
            "DELETE",
            &format!("/evidence/{}", ids[1]),
            None,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let app = TestApp::new().await;
    let health = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(health.status, StatusCode::OK);
    let session = app.session("A1001").await;
    app.shopper(
        &session,
        "POST",
        "/requests",
        Some(one_shirt("99.00")),
        Some("m"),
    )
    .await;
    let metrics = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = String::from_utf8(metrics.raw).unwrap();
    assert!(text.contains("refund_requests_submitted_total"));
    assert!(
        text.contains("route=\"/api/v1/shops/{pk}/requests\""),
        "{text}"
    );
}

#[tokio::test]
async fn statistics_count_requests_and_amounts_by_reason_and_sku() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    app.shopper(
        &session,
        "POST",
        "/requests",
        Some(one_shirt("99.00")),
        Some("s1"),
    )
    .await;
    let mug = request_body(
        "return_and_refund",
        "changed_mind",
        json!([{"line_id": "L2", "quantity": 1}]),
        "42.00",
    );
    let id = app
        .shopper(&session, "POST", "/requests", Some(mug), Some("s2"))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.shopper(
        &session,
        "POST",
        &format!("/requests/{id}/cancel"),
        None,
        None,
    )
    .await;
    let stats = app
        .merchant(
            "GET",
            "/stats?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
            None,
        )
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{:?}", stats.body);
    assert_eq!(
        stats.body["by_reason"]["quality_issue"],
        json!({"requests": 1, "units": 1, "amounts": {"CNY": "99.00"}})
    );
    // A cancelled request counts as asked for, but no money.
    assert_eq!(
        stats.body["by_reason"]["changed_mind"],
        json!({"requests": 1, "units": 1, "amounts": {}})
    );
    assert_eq!(stats.body["by_sku"]["SHIRT-M"]["amounts"]["CNY"], "99.00");
    let empty = app
        .merchant(
            "GET",
            "/stats?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z",
            None,
        )
        .await;
    assert_eq!(empty.body["by_reason"], json!({}));
}

#[tokio::test]
async fn the_demo_seed_is_idempotent_and_its_orders_are_usable() {
    let db = support::fresh().await;
    let store = db.open().await;
    let first = refund_server::seed::seed_demo(store.as_ref(), vec![], start())
        .await
        .unwrap();
    let again =
        refund_server::seed::seed_demo(store.as_ref(), vec![], start() + TimeDelta::days(1))
            .await
            .unwrap();
    assert_eq!(first, again);
    assert_eq!(store.current_policy(&first.id).await.unwrap().unwrap().0, 1);
    for number in [
        "DEMO-1001",
        "DEMO-1002",
        "DEMO-1003",
        "DEMO-1004",
        "DEMO-1005",
        "DEMO-2001",
    ] {
        let order = store.order(&first.id, number).await.unwrap().unwrap();
        assert!(refund_core::Order::new(&order.wire).is_ok(), "{number}");
    }
}

#[tokio::test]
async fn widget_files_are_served_compressed_with_cache_lifetimes_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = vec![0u8; 4096];
    std::fs::write(
        dir.path().join("refund-widget-3f9a0c2d1b7e4a55_bg.wasm"),
        &wasm,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("refund-widget.js"),
        "export {}; ".repeat(200),
    )
    .unwrap();
    let router: Router = refund_server::routes::assets::router(dir.path());
    let get = |path: &str| {
        Request::get(path)
            .header(header::ACCEPT_ENCODING, "br, gzip")
            .body(Body::empty())
            .unwrap()
    };
    let wasm_reply = router
        .clone()
        .oneshot(get("/widget/refund-widget-3f9a0c2d1b7e4a55_bg.wasm"))
        .await
        .unwrap();
    assert_eq!(wasm_reply.status(), StatusCode::OK);
    assert_eq!(
        wasm_reply.headers()[header::CONTENT_TYPE],
        "application/wasm"
    );
    assert_eq!(wasm_reply.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(
        wasm_reply.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let loader = router
        .clone()
        .oneshot(get("/widget/refund-widget.js"))
        .await
        .unwrap();
    assert_eq!(loader.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(
        loader.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let page = router
        .clone()
        .oneshot(Request::get("/refund").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8(html.to_vec()).unwrap();
    assert!(
        html.contains("<refund-widget") || html.contains("\"refund-widget\""),
        "the page embeds the widget"
    );
    assert!(html.contains("/widget/refund-widget.js"));
    let missing = router.oneshot(get("/widget/nope.js")).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_api_is_described_as_openapi_3_1() {
    let app = TestApp::new().await;
    let doc = app
        .send(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 23, "{:?}", paths.keys().collect::<Vec<_>>());
    let submit = &paths["/api/v1/shops/{pk}/requests"]["post"];
    assert_eq!(submit["security"][0]["shopper_session"], json!([]));
    assert!(submit["responses"]["409"].is_object());
    assert!(doc.body["components"]["securitySchemes"]["merchant_key"].is_object());
}

#[tokio::test]
async fn frequent_requesters_lose_automatic_approval() {
    let app = TestApp::new().await;
    let mut strict = policy();
    strict["auto_approve"]["max_recent_requests"] = json!(1);
    assert_eq!(
        app.merchant("PUT", "/policy", Some(strict)).await.body["version"],
        2
    );
    let session = app.session("A1001").await;
    let first = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("f1"),
        )
        .await;
    assert_eq!(first.body["state"], "approved");
    let view = app.shopper(&session, "GET", "/order", None, None).await;
    assert_eq!(view.body["recent_requests"], 1);
    let second = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("f2"),
        )
        .await;
    assert_eq!(second.body["state"], "submitted", "{:?}", second.body);
    assert_eq!(
        second.body["quote"]["codes"][0]["code"],
        "auto_approve_recent_requests"
    );
    assert_eq!(second.body["quote"]["policy_version"], 2);
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_escape_the_lookup_limit() {
    let app = TestApp::new().await;
    let mut limited = false;
    for i in 0..12 {
        let uri = format!("/api/v1/shops/{}/session", app.shop.pk);
        let body = json!({"order_number": "Z9999", "email": "x@example.com"});
        let request = TestApp::request("POST", &uri, None, Some(body.clone()))
            .header("x-forwarded-for", format!("10.0.0.{i}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        if app.send(request).await.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "X-Forwarded-For is not trusted unless configured");
}

#[tokio::test]
async fn evidence_listed_twice_or_from_another_order_is_refused() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = upload(&app, &session, PNG.to_vec()).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = request_body(
        "return_and_refund",
        "not_as_described",
        json!([{"line_id": "L2", "quantity": 1}]),
        "50.00",
    );
    body["evidence"] = json!([id, id]);
    let twice = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(body.clone()),
            Some("d1"),
        )
        .await;
    assert_error(
        &twice,
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate_evidence",
    );

    app.merchant("PUT", "/orders/B2002", Some(order("B2002")))
        .await;
    let other = app.session("B2002").await;
    body["evidence"] = json!([id]);
    let foreign = app
        .shopper(&other, "POST", "/requests", Some(body), Some("d2"))
        .await;
    assert_error(
        &foreign,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_evidence",
    );
}

#[tokio::test]
async fn a_session_works_only_with_its_own_merchant_and_only_as_a_session() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let other = create_merchant(app.state.store.as_ref(), "Other", vec![], start())
        .await
        .unwrap();
    let uri = format!("/api/v1/shops/{}/order", other.merchant.publishable_key);
    let request = TestApp::request("GET", &uri, Some(&session), None)
        .body(Body::empty())
        .unwrap();
    assert_error(
        &app.send(request).await,
        StatusCode::UNAUTHORIZED,
        "session_invalid",
    );
    let link = app
        .merchant("POST", "/orders/A1001/links", Some(json!({})))
        .await;
    let as_session = app
        .shopper(
            link.body["token"].as_str().unwrap(),
            "GET",
            "/order",
            None,
            None,
        )
        .await;
    assert_error(&as_session, StatusCode::UNAUTHORIZED, "session_invalid");
    app.clock.advance(TimeDelta::hours(2));
    assert_error(
        &app.shopper(&session, "GET", "/order", None, None).await,
        StatusCode::UNAUTHORIZED,
        "session_invalid",
    );
}

#[tokio::test]
async fn another_orders_session_cannot_cancel_or_ship_and_another_merchant_cannot_decide() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let body = request_body(
        "return_and_refund",
        "changed_mind",
        json!([{"line_id": "L2", "quantity": 1}]),
        "42.00",
    );
    let id = app
        .shopper(&session, "POST", "/requests", Some(body), Some("x"))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.merchant("PUT", "/orders/B2002", Some(order("B2002")))
        .await;
    let other = app.session("B2002").await;
    for path in ["cancel", "shipment"] {
        let body = (path == "shipment").then(|| json!({"carrier": "SF", "tracking_number": "1"}));
        let reply = app
            .shopper(
                &other,
                "POST",
                &format!("/requests/{id}/{path}"),
                body,
                None,
            )
            .await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
    let stranger = create_merchant(app.state.store.as_ref(), "Stranger", vec![], start())
        .await
        .unwrap();
    for path in ["approve", "receipt", "exchange"] {
        let reply = app
            .merchant_as(
                &stranger.secret_key,
                "POST",
                &format!("/requests/{id}/{path}"),
                None,
            )
            .await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
    let still = app.merchant("GET", &format!("/requests/{id}"), None).await;
    assert_eq!(still.body["state"], "submitted");
}

#[tokio::test]
async fn goods_count_as_received_when_the_merchant_does_not_confirm_in_time() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let submitted = app
        .shopper(
            &session,
            "POST",
            "/requests",
            Some(one_shirt("99.00")),
            Some("rc"),
        )
        .await;
    let id = submitted.body["id"].as_str().unwrap().to_owned();
    let shipment = json!({"carrier": "SF Express", "tracking_number": "SF9"});
    let shipped = app
        .shopper(
            &session,
            "POST",
            &format!("/requests/{id}/shipment"),
            Some(shipment),
            None,
        )
        .await;
    assert_eq!(shipped.body["deadline"]["kind"], "receipt");
    app.clock.advance(TimeDelta::days(10));
    assert_eq!(sweep_deadlines(&app.state).await.unwrap(), 1);
    let seen = app.merchant("GET", &format!("/requests/{id}"), None).await;
    assert_eq!(seen.body["state"], "received");
    let last = seen.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["actor"].as_str(), last["action"].as_str()),
        (Some("deadline"), Some("confirm_receipt"))
    );
}
