//! Who sees what: merchant scoping, links and sessions, the lookup and its limits, CORS.

use crate::helpers::*;

#[tokio::test]
async fn every_object_is_scoped_to_its_merchant_and_order() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_shirt("99.00"), "s").await;

    let other = app.other_merchant("Other").await;
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
async fn a_session_works_only_with_its_own_merchant_and_only_as_a_session() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let other = app.other_merchant("Other").await;
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
    let body = one_mug_changed_mind();
    let id = app.submitted(&session, body, "x").await;
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
    let stranger = app.other_merchant("Stranger").await;
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
async fn a_stranger_cannot_lock_the_owner_out_of_the_order_lookup() {
    let app = TestApp::new().await;
    let stranger: std::net::SocketAddr = "203.0.113.7:40000".parse().unwrap();
    let owner: std::net::SocketAddr = "198.51.100.2:40000".parse().unwrap();
    let mut limited = None;
    for _ in 0..20 {
        let reply = app
            .lookup_from(
                stranger,
                json!({"order_number": "A1001", "email": "guess@example.com"}),
            )
            .await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(reply);
            break;
        }
    }
    let limited = limited.expect("guessing is limited");
    assert_error(&limited, StatusCode::TOO_MANY_REQUESTS, "too_many_lookups");
    let wait: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1, "Retry-After says how long to wait");
    assert_eq!(limited.body["error"]["retry_after"], wait);
    // Meanwhile the rightful shopper, elsewhere, opens the order at once.
    let mine = app
        .lookup_from(
            owner,
            json!({"order_number": "A1001", "email": "li.lei@example.com"}),
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
}

#[tokio::test]
async fn a_forged_link_is_invalid_whatever_expiry_it_claims() {
    use base64::Engine;
    let app = TestApp::new().await;
    let claims = json!({"kind": "link", "m": "m_x", "o": "A1001", "exp": 1});
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = format!("{payload}.AAAA");
    let reply = app.open(json!({"token": forged})).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "link_invalid");
}

#[tokio::test]
async fn a_session_comes_with_its_order_as_get_order_answers_it() {
    let app = TestApp::new().await;
    let earlier = app.session("A1001").await;
    app.submitted(&earlier, one_shirt("99.00"), "s").await;
    let link = app
        .merchant("POST", "/orders/A1001/links", Some(json!({})))
        .await;
    let opened = app.open(json!({"token": link.body["token"]})).await;
    assert_eq!(opened.status, StatusCode::OK, "{:?}", opened.body);
    let session = opened.body["session"].as_str().unwrap();
    let order = app.shopper(session, "GET", "/order", None, None).await;
    assert_eq!(order.status, StatusCode::OK);
    assert_eq!(opened.body["order"], order.body);
    assert_eq!(order.body["requests"].as_array().unwrap().len(), 1);

    let looked_up = app
        .open(json!({"order_number": "A1001", "email": "li.lei@example.com"}))
        .await;
    assert_eq!(looked_up.status, StatusCode::OK, "{:?}", looked_up.body);
    assert_eq!(looked_up.body["order"], order.body);
}
