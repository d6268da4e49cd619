//! One request per Idempotency-Key: replays, reuse for another body, duplicates in flight, failed attempts.

use crate::helpers::*;

#[tokio::test]
async fn idempotency_replays_the_first_answer_and_refuses_reuse_for_another_body() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let first = app.submit(&session, one_shirt("99.00"), "same").await;
    assert_eq!(first.status, StatusCode::CREATED);
    app.clock.advance(TimeDelta::minutes(5));
    let again = app.submit(&session, one_shirt("99.00"), "same").await;
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
    let reused = app.submit(&session, other, "same").await;
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
            tokio::spawn(async move { app.submit(&session, one_shirt("99.00"), "twice").await })
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
    let order = app.order_view("A1001").await;
    assert_eq!(order.body["requests"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_submission_leaves_its_key_free_for_the_retry() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let stale = app.submit(&session, one_shirt("98.00"), "retry").await;
    assert_error(&stale, StatusCode::CONFLICT, "stale_quote");
    assert_eq!(
        stale.body["error"]["quote"]["total"], "99.00",
        "the fresh quote comes with the answer"
    );
    let retried = app.submit(&session, one_shirt("99.00"), "retry").await;
    assert_eq!(retried.status, StatusCode::CREATED, "{:?}", retried.body);
}
