//! Bad input: the one error shape, a code from the catalog, the field, the caller's language.

use crate::helpers::*;

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
    assert_error(&nowhere, StatusCode::NOT_FOUND, "unknown_endpoint");
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
async fn a_json_array_is_never_read_as_an_object() {
    let app = TestApp::new().await;
    let before = app.merchant("GET", "/policy", None).await;
    for body in [json!([]), json!([0, "+09:00", 30])] {
        let reply = app.merchant("PUT", "/policy", Some(body)).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    }
    assert_eq!(
        app.merchant("GET", "/policy", None).await.body,
        before.body,
        "the policy is untouched"
    );
    let link = app
        .merchant("POST", "/orders/A1001/links", Some(json!([604800])))
        .await;
    assert_error(&link, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let session = app.session("A1001").await;
    let quote = app
        .quote(&session, json!(["refund_only", "changed_mind", []]))
        .await;
    assert_error(&quote, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
}

#[tokio::test]
async fn a_body_that_is_not_json_says_so_and_names_where_it_breaks() {
    let app = TestApp::new().await;
    let uri = "/api/v1/merchant/policy";
    let text = TestApp::request("PUT", uri, Some(&app.shop.sk), None)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    assert_error(
        &app.send(text).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "json_required",
    );
    let wrong_type = app
        .merchant("PUT", "/policy", Some(json!({"review_hours": "two days"})))
        .await;
    assert_error(
        &wrong_type,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );
    let message = wrong_type.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("review_hours"), "{message}");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::new().await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let request = Request::get("/api/v1/merchant/policy")
            .header(header::AUTHORIZATION, format!("{scheme} {}", app.shop.sk))
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(request).await.status, StatusCode::OK, "{scheme}");
    }
}
