//! Who may use the desk: staff accounts, sign-in, sessions, CSRF, roles, throttling.

use crate::helpers::*;

fn peer(last: u8) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([10, 0, 0, last], 40000))
}

#[tokio::test]
async fn staff_choose_a_password_with_their_link_and_then_sign_in_with_it() {
    let app = TestApp::new().await;
    let owner = app.staff("owner").await;
    let signed = app.sign_in_from(peer(1), &owner.email, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert_eq!(signed.body["staff"]["role"], "owner");
    assert_eq!(signed.body["staff"]["set_up"], true);
    assert_eq!(signed.body["merchant"]["name"], "Demo");
    let me = app
        .desk_call(
            Some(&Desk::from_reply(&signed, &owner.email)),
            "GET",
            "/api/v1/desk/session",
            None,
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["staff"]["email"], owner.email);
}

#[tokio::test]
async fn a_set_up_link_works_once_and_needs_a_long_enough_password() {
    let app = TestApp::new().await;
    let invited = app
        .merchant(
            "POST",
            "/staff",
            Some(json!({"email": "New.Agent@Shop.Example ", "name": "New", "role": "agent"})),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED);
    assert_eq!(invited.body["staff"]["email"], "new.agent@shop.example");
    assert_eq!(invited.body["staff"]["set_up"], false);
    let token = invited.body["url"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    let set_up = |password: &str| {
        let body = json!({"token": token, "password": password});
        app.desk_call(None, "POST", "/api/v1/desk/set-up", Some(body))
    };
    assert_error(
        &set_up("short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    );
    assert_eq!(set_up(PASSWORD).await.status, StatusCode::OK);
    assert_error(
        &set_up(PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "set_up_link_invalid",
    );
    let taken = app
        .merchant(
            "POST",
            "/staff",
            Some(json!({"email": "new.agent@shop.example", "name": "Again", "role": "viewer"})),
        )
        .await;
    assert_error(&taken, StatusCode::CONFLICT, "email_taken");
}

#[tokio::test]
async fn a_wrong_email_and_a_wrong_password_get_the_same_answer() {
    let app = TestApp::new().await;
    let agent = app.staff("agent").await;
    let wrong_password = app
        .sign_in_from(peer(1), &agent.email, "not the password")
        .await;
    let wrong_email = app
        .sign_in_from(peer(2), "nobody@shop.example", PASSWORD)
        .await;
    assert_error(&wrong_password, StatusCode::UNAUTHORIZED, "sign_in_failed");
    assert_eq!(wrong_password.raw, wrong_email.raw);
    assert!(wrong_password.headers.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_strict() {
    let app = TestApp::new().await;
    let agent = app.staff("agent").await;
    let signed = app.sign_in_from(peer(1), &agent.email, PASSWORD).await;
    let cookie = signed.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("refund_desk="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "the test server is plain http: {cookie}"
    );
}

#[tokio::test]
async fn a_secure_server_marks_the_session_cookie_secure() {
    let app = TestApp::with_settings(refund_server::Settings::new("https://refunds.example")).await;
    let agent = app.staff("agent").await;
    let signed = app.sign_in_from(peer(1), &agent.email, PASSWORD).await;
    let cookie = signed.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn state_changes_with_a_session_need_its_csrf_token_but_reads_do_not() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "k").await;
    let agent = app.staff("agent").await;
    let forged = Desk {
        csrf: String::new(),
        ..agent.clone()
    };
    assert_eq!(
        app.desk(&forged, "GET", "/requests", None).await.status,
        StatusCode::OK
    );
    let approve = format!("/requests/{id}/approve");
    assert_error(
        &app.desk(&forged, "POST", &approve, None).await,
        StatusCode::FORBIDDEN,
        "csrf_token_invalid",
    );
    let wrong = Desk {
        csrf: "0".repeat(64),
        ..agent.clone()
    };
    assert_error(
        &app.desk(&wrong, "POST", &approve, None).await,
        StatusCode::FORBIDDEN,
        "csrf_token_invalid",
    );
    assert_eq!(
        app.desk(&agent, "POST", &approve, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_session_ends_after_two_idle_hours_but_not_while_in_use() {
    let app = TestApp::new().await;
    let agent = app.staff("agent").await;
    for _ in 0..3 {
        app.clock.advance(TimeDelta::minutes(100));
        assert_eq!(
            app.desk(&agent, "GET", "/requests", None).await.status,
            StatusCode::OK
        );
    }
    app.clock
        .advance(TimeDelta::hours(2) + TimeDelta::seconds(1));
    assert_error(
        &app.desk(&agent, "GET", "/requests", None).await,
        StatusCode::UNAUTHORIZED,
        "desk_session_ended",
    );
}

#[tokio::test]
async fn a_session_ends_twelve_hours_after_sign_in_however_busy() {
    let app = TestApp::new().await;
    let agent = app.staff("agent").await;
    for _ in 0..12 {
        app.clock.advance(TimeDelta::minutes(59));
        assert_eq!(
            app.desk(&agent, "GET", "/requests", None).await.status,
            StatusCode::OK
        );
    }
    app.clock.advance(TimeDelta::minutes(13));
    assert_error(
        &app.desk(&agent, "GET", "/requests", None).await,
        StatusCode::UNAUTHORIZED,
        "desk_session_ended",
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let app = TestApp::new().await;
    let agent = app.staff("agent").await;
    let out = app
        .desk_call(Some(&agent), "DELETE", "/api/v1/desk/session", None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let cleared = out.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_error(
        &app.desk(&agent, "GET", "/requests", None).await,
        StatusCode::UNAUTHORIZED,
        "desk_session_ended",
    );
}

#[tokio::test]
async fn sign_in_is_throttled_per_client_and_account_with_a_retry_after() {
    let app = TestApp::new().await;
    let agent = app.staff("agent").await;
    for _ in 0..5 {
        let wrong = app
            .sign_in_from(peer(1), &agent.email, "guess guess guess")
            .await;
        assert_error(&wrong, StatusCode::UNAUTHORIZED, "sign_in_failed");
    }
    let throttled = app.sign_in_from(peer(1), &agent.email, PASSWORD).await;
    assert_error(
        &throttled,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_sign_ins",
    );
    let wait: u64 = throttled.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    // The guesser's budget is theirs: the agent, elsewhere, signs in.
    assert_eq!(
        app.sign_in_from(peer(2), &agent.email, PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_client_trying_many_accounts_is_throttled_too() {
    let app = TestApp::new().await;
    let mut last = None;
    for n in 0..11 {
        last = Some(
            app.sign_in_from(peer(9), &format!("guess{n}@shop.example"), PASSWORD)
                .await,
        );
    }
    assert_error(
        &last.unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_sign_ins",
    );
}

#[tokio::test]
async fn a_viewer_reads_everything_and_changes_nothing() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "k").await;
    let viewer = app.staff("viewer").await;
    for path in [
        "/requests".to_owned(),
        "/requests/counts".to_owned(),
        format!("/requests/{id}"),
        format!("/requests/{id}/messages"),
        "/orders/A1001".to_owned(),
        "/policy".to_owned(),
        "/staff".to_owned(),
        "/reply-templates".to_owned(),
        "/return-addresses".to_owned(),
        "/stats?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z".to_owned(),
    ] {
        let read = app.desk(&viewer, "GET", &path, None).await;
        assert_eq!(read.status, StatusCode::OK, "{path}: {:?}", read.body);
    }
    for (method, path, body) in [
        ("POST", format!("/requests/{id}/approve"), None),
        (
            "POST",
            format!("/requests/{id}/reject"),
            Some(json!({"reason": "no"})),
        ),
        (
            "POST",
            "/requests/approve".to_owned(),
            Some(json!({"ids": [id]})),
        ),
        (
            "POST",
            format!("/requests/{id}/assign"),
            Some(json!({"staff_id": viewer.id})),
        ),
        (
            "POST",
            format!("/requests/{id}/messages"),
            Some(json!({"body": "hello"})),
        ),
        ("POST", "/orders/A1001/links".to_owned(), Some(json!({}))),
        ("PUT", "/policy".to_owned(), Some(json!({}))),
        (
            "POST",
            "/staff".to_owned(),
            Some(json!({"email": "x@y.example", "name": "X", "role": "owner"})),
        ),
        (
            "PUT",
            "/desk-settings".to_owned(),
            Some(json!({"auto_assign": false})),
        ),
    ] {
        let refused = app.desk(&viewer, method, &path, body).await;
        assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    }
    let still = app.merchant("GET", &format!("/requests/{id}"), None).await;
    assert_eq!(still.body["state"], "submitted", "nothing changed");
}

#[tokio::test]
async fn an_agent_works_requests_but_manages_neither_staff_nor_settings() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "k").await;
    let agent = app.staff("agent").await;
    let approved = app
        .desk(&agent, "POST", &format!("/requests/{id}/approve"), None)
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    for (method, path, body) in [
        ("PUT", "/policy", json!({})),
        (
            "POST",
            "/staff",
            json!({"email": "x@y.example", "name": "X", "role": "owner"}),
        ),
        (
            "POST",
            "/reply-templates",
            json!({"title": "t", "text": {"zh-CN": "a", "en": "b"}}),
        ),
        ("PUT", "/orders/A1001", order("A1001")),
    ] {
        assert_error(
            &app.desk(&agent, method, path, Some(body)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
}

#[tokio::test]
async fn staff_see_nothing_of_another_merchant() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.submitted(&session, one_mug_changed_mind(), "k").await;
    let other = app.other_merchant("Other").await;
    let invited = app
        .merchant_as(
            &other.secret_key,
            "POST",
            "/staff",
            Some(json!({"email": "boss@other.example", "name": "Boss", "role": "owner"})),
        )
        .await;
    let token = invited.body["url"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap();
    let set = app
        .desk_call(
            None,
            "POST",
            "/api/v1/desk/set-up",
            Some(json!({"token": token, "password": PASSWORD})),
        )
        .await;
    let boss = Desk::from_reply(&set, "boss@other.example");
    assert_error(
        &app.desk(&boss, "GET", &format!("/requests/{id}"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.desk(&boss, "POST", &format!("/requests/{id}/approve"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.desk(&boss, "GET", &format!("/requests/{id}/messages"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let listed = app.desk(&boss, "GET", "/requests", None).await;
    assert_eq!(listed.body["requests"], json!([]));
    let mine = app.staff("agent").await;
    let handed = app
        .desk(
            &boss,
            "POST",
            &format!("/requests/{id}/assign"),
            Some(json!({"staff_id": mine.id})),
        )
        .await;
    assert_eq!(handed.status, StatusCode::NOT_FOUND, "{:?}", handed.body);
}

#[tokio::test]
async fn a_store_keeps_an_active_owner_and_a_deactivated_member_is_signed_out_at_once() {
    let app = TestApp::new().await;
    let owner = app.staff("owner").await;
    let demote = app
        .desk(
            &owner,
            "PATCH",
            &format!("/staff/{}", owner.id),
            Some(json!({"role": "agent"})),
        )
        .await;
    assert_error(&demote, StatusCode::CONFLICT, "last_owner");
    let agent = app.staff("agent").await;
    let off = app
        .desk(
            &owner,
            "PATCH",
            &format!("/staff/{}", agent.id),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    assert_eq!(off.body["active"], false);
    assert_error(
        &app.desk(&agent, "GET", "/requests", None).await,
        StatusCode::UNAUTHORIZED,
        "desk_session_ended",
    );
    assert_error(
        &app.sign_in_from(peer(3), &agent.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "sign_in_failed",
    );
}

#[tokio::test]
async fn an_owner_can_send_a_new_set_up_link_when_a_password_is_forgotten() {
    let app = TestApp::new().await;
    let agent = app.staff("agent").await;
    let link = app
        .merchant("POST", &format!("/staff/{}/set-up-link", agent.id), None)
        .await;
    assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
    let token = link.body["url"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap();
    let body = json!({"token": token, "password": "a brand new password"});
    let set = app
        .desk_call(None, "POST", "/api/v1/desk/set-up", Some(body))
        .await;
    assert_eq!(set.status, StatusCode::OK);
    assert_error(
        &app.sign_in_from(peer(4), &agent.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "sign_in_failed",
    );
    assert_eq!(
        app.sign_in_from(peer(4), &agent.email, "a brand new password")
            .await
            .status,
        StatusCode::OK
    );
}
