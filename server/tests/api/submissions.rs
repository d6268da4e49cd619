//! Submitting: quote, decide, record; never more than was paid; stale views; auto-approval.

use crate::helpers::*;

#[tokio::test]
async fn a_shopper_quotes_then_submits_and_a_rule_approves_it_with_an_audit_trail() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let view = app.shopper(&session, "GET", "/order", None, None).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.body["order"]["number"], "A1001");
    assert_eq!(view.body["policy"]["version"], 1);

    let quote = app.quote(&session, one_shirt("0")).await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    assert_eq!(quote.body["total"], "99.00");
    assert_eq!(quote.body["outcome"], "eligible");

    let submitted = app.submit(&session, one_shirt("99.00"), "k-1").await;
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

    let status = app.shopper_request(&session, id).await;
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
            app.submit(&session, body, &format!("race-{i}")).await
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
    let order = app.order_view("A1001").await;
    assert_eq!(order.body["left_to_refund"], "159.00");
    assert_eq!(order.body["requests"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_changed_verdict_or_split_at_the_same_total_is_a_stale_view_too() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let quote = app.quote(&session, one_shirt("0")).await;
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
        let stale = app.submit(&session, body, case).await;
        assert_error(&stale, StatusCode::CONFLICT, "stale_quote");
        assert_eq!(stale.body["error"]["quote"], quote.body, "{case}");
    }
    let current = app
        .submit(
            &session,
            seen("eligible", quote.body["split"].clone()),
            "as seen",
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
    let reply = app.submit(&session, late, "late").await;
    assert_line_refused(&reply, "no_reason_window_closed");
}

#[tokio::test]
async fn requests_the_shopper_cancelled_do_not_count_towards_the_recent_request_limit() {
    let app = TestApp::new().await;
    let mut strict = policy();
    strict["auto_approve"]["max_recent_requests"] = json!(1);
    app.merchant("PUT", "/policy", Some(strict)).await;
    let session = app.session("A1001").await;
    let waiting = app.submitted(&session, one_mug_changed_mind(), "mug").await;
    let view = app.shopper(&session, "GET", "/order", None, None).await;
    assert_eq!(view.body["recent_requests"], 1);
    let cancelled = app.cancel(&session, &waiting).await;
    assert_eq!(cancelled.body["state"], "cancelled", "{:?}", cancelled.body);
    let view = app.shopper(&session, "GET", "/order", None, None).await;
    assert_eq!(view.body["recent_requests"], 0);
    let next = app.submit(&session, one_shirt("99.00"), "shirt").await;
    assert_eq!(next.body["state"], "approved", "{:?}", next.body);
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
    let first = app.submit(&session, one_shirt("99.00"), "f1").await;
    assert_eq!(first.body["state"], "approved");
    let view = app.shopper(&session, "GET", "/order", None, None).await;
    assert_eq!(view.body["recent_requests"], 1);
    let second = app.submit(&session, one_shirt("99.00"), "f2").await;
    assert_eq!(second.body["state"], "submitted", "{:?}", second.body);
    assert_eq!(
        second.body["quote"]["codes"][0]["code"],
        "auto_approve_recent_requests"
    );
    assert_eq!(second.body["quote"]["policy_version"], 2);
}
