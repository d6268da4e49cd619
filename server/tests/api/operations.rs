//! Health, metrics, the widget's files, the API document.

use crate::helpers::*;
use http_body_util::BodyExt;
use tower::ServiceExt;

fn get(uri: &str, bearer: Option<&str>) -> Request<Body> {
    let mut request = Request::get(uri);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn health_answers_and_metrics_are_exposed_only_as_the_operator_says() {
    let app = TestApp::new().await;
    assert_eq!(app.send(get("/healthz", None)).await.status, StatusCode::OK);
    assert_error(
        &app.send(get("/metrics", None)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    let mut settings = refund_server::Settings::new("http://refunds.test");
    settings.metrics = refund_server::MetricsAccess::Token("scrape-me".to_owned());
    let app = TestApp::with_settings(settings).await;
    let session = app.session("A1001").await;
    app.submit(&session, one_shirt("99.00"), "m").await;
    for wrong in [None, Some("guess")] {
        assert_error(
            &app.send(get("/metrics", wrong)).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
    }
    let metrics = app.send(get("/metrics", Some("scrape-me"))).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = String::from_utf8(metrics.raw).unwrap();
    assert!(text.contains("refund_requests_submitted_total"));
    assert!(
        text.contains("route=\"/api/v1/shops/{pk}/requests\""),
        "{text}"
    );

    let mut settings = refund_server::Settings::new("http://refunds.test");
    settings.metrics = refund_server::MetricsAccess::Public;
    let app = TestApp::with_settings(settings).await;
    assert_eq!(app.send(get("/metrics", None)).await.status, StatusCode::OK);
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
    let router: axum::Router = refund_server::routes::assets::router(dir.path(), dir.path());
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
    for path in [
        "/api/v1/shops/{pk}/requests",
        "/api/v1/merchant/requests",
        "/api/v1/desk/sign-in",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let submit = &paths["/api/v1/shops/{pk}/requests"]["post"];
    assert_eq!(submit["security"][0]["shopper_session"], json!([]));
    assert!(submit["responses"]["409"].is_object());
    let schemes = &doc.body["components"]["securitySchemes"];
    assert!(schemes["merchant_key"].is_object());
    assert_eq!(schemes["desk_session"]["in"], "cookie");
    let list = &paths["/api/v1/merchant/requests"]["get"];
    assert_eq!(
        list["security"],
        json!([{"merchant_key": []}, {"desk_session": []}]),
        "staff reach every merchant operation with their session"
    );
}
