//! A request's life: decisions, deadlines, returns, payouts, cancellation.

use crate::helpers::*;

#[tokio::test]
async fn a_merchant_who_does_not_answer_in_time_is_treated_as_approving() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    // changed_mind is not auto-approved by this policy: the merchant must review.
    let body = one_mug_changed_mind();
    let submitted = app.submit(&session, body, "review").await;
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
    assert_eq!(app.sweep().await, 0);
    app.clock.advance(TimeDelta::seconds(1));
    assert_eq!(app.sweep().await, 1);

    // Sessions are short-lived: the shopper comes back through the link.
    let session = app.session("A1001").await;
    let status = app.shopper_request(&session, id).await;
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
    assert_eq!(app.sweep().await, 1);
    let session = app.session("A1001").await;
    let closed = app.shopper_request(&session, id).await;
    assert_eq!(closed.body["state"], "closed");
    assert_eq!(closed.body["deadline"], Value::Null);
}

#[tokio::test]
async fn the_full_return_path_ends_refunded_with_payouts_matching_the_split() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let submitted = app.submit(&session, one_shirt("99.00"), "full").await;
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
    let received = app.decide(&id, "receipt", None).await;
    assert_eq!(received.body["state"], "received");
    let wrong = app
        .decide(
            &id,
            "refund",
            Some(json!({"payouts": [{"payment": 0, "amount": "100.00"}]})),
        )
        .await;
    assert_error(&wrong, StatusCode::UNPROCESSABLE_ENTITY, "payout_mismatch");
    let refunded = app
        .decide(
            &id,
            "refund",
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
    let again = app.decide(&id, "approve", None).await;
    assert_error(&again, StatusCode::CONFLICT, "transition_not_allowed");
}

#[tokio::test]
async fn a_rejection_needs_a_reason_the_shopper_then_sees() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let body = one_mug_changed_mind();
    let id = app.submitted(&session, body, "r").await;
    let blank = app
        .decide(&id, "reject", Some(json!({"reason": " "})))
        .await;
    assert_error(&blank, StatusCode::UNPROCESSABLE_ENTITY, "invalid_text");
    let rejected = app
        .decide(&id, "reject", Some(json!({"reason": "Worn"})))
        .await;
    assert_eq!(rejected.body["state"], "rejected");
    let seen = app.shopper_request(&session, &id).await;
    assert_eq!(seen.body["reject_reason"], "Worn");
    // A rejected request gives its units back.
    let retry = request_body(
        "return_and_refund",
        "quality_issue",
        json!([{"line_id": "L2", "quantity": 1}]),
        "50.00",
    );
    let reply = app.submit(&session, retry, "r2").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}

#[tokio::test]
async fn shoppers_can_cancel_only_before_a_decision() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let body = one_mug_changed_mind();
    let id = app.submitted(&session, body, "c").await;
    let cancelled = app.cancel(&session, &id).await;
    assert_eq!(cancelled.body["state"], "cancelled");
    let auto = app.submit(&session, one_shirt("99.00"), "c2").await;
    let id = auto.body["id"].as_str().unwrap();
    let late = app.cancel(&session, id).await;
    assert_error(&late, StatusCode::CONFLICT, "transition_not_allowed");
}

#[tokio::test]
async fn goods_count_as_received_when_the_merchant_does_not_confirm_in_time() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let submitted = app.submit(&session, one_shirt("99.00"), "rc").await;
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
    assert_eq!(app.sweep().await, 1);
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
