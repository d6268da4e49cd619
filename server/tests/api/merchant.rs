//! The merchant's reading: lists, filters and pages, statistics.

use crate::helpers::*;

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
            app.submit(&session, body, &format!("p{i}")).await.status,
            StatusCode::CREATED
        );
        app.clock.advance(TimeDelta::minutes(1));
    }
    let body = one_mug_changed_mind();
    app.submit(&session, body, "p3").await;

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

#[tokio::test]
async fn statistics_count_requests_and_amounts_by_reason_and_sku() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    app.submit(&session, one_shirt("99.00"), "s1").await;
    let mug = one_mug_changed_mind();
    let id = app.submitted(&session, mug, "s2").await;
    app.cancel(&session, &id).await;
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
    for far in ["to=%2B10000-01-01T00:00:00Z", "from=-0001-01-01T00:00:00Z"] {
        let period = if far.starts_with("to") {
            format!("/stats?from=2026-11-01T00:00:00Z&{far}")
        } else {
            format!("/stats?{far}&to=2026-12-01T00:00:00Z")
        };
        let refused = app.merchant("GET", &period, None).await;
        assert_error(&refused, StatusCode::BAD_REQUEST, "invalid_query");
    }
}
