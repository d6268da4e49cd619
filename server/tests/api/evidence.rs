//! Evidence photos: real images only, within limits, shown only to their owners.

use crate::helpers::*;

#[tokio::test]
async fn evidence_must_be_a_real_image_within_limits_and_is_shown_only_to_its_owners() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let uploaded = app.upload(&session, PNG.to_vec()).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{:?}", uploaded.body);
    let id = uploaded.body["id"].as_str().unwrap().to_owned();
    assert_error(
        &app.upload(&session, b"<svg onload=alert(1)>".to_vec())
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not_an_image",
    );
    // At most 5 MiB: exactly that is taken, one byte more is not.
    let mut largest = PNG.to_vec();
    largest.resize(5 * 1024 * 1024, 0);
    assert_eq!(
        app.upload(&session, largest.clone()).await.status,
        StatusCode::CREATED
    );
    largest.push(0);
    assert_error(
        &app.upload(&session, largest).await,
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
    let submitted = app.submit(&session, body.clone(), "ev").await;
    assert_eq!(
        submitted.status,
        StatusCode::CREATED,
        "{:?}",
        submitted.body
    );
    assert_eq!(submitted.body["evidence"], json!([id]));
    let reused = app.submit(&session, body, "ev-2").await;
    assert_error(
        &reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_evidence",
    );

    // Two are uploaded already (the submitted one and the 5 MiB one): seven more make nine.
    for _ in 2..9 {
        assert_eq!(
            app.upload(&session, PNG.to_vec()).await.status,
            StatusCode::CREATED
        );
    }
    assert_error(
        &app.upload(&session, PNG.to_vec()).await,
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
        let uploaded = app.upload(&session, PNG.to_vec()).await;
        assert_eq!(uploaded.status, StatusCode::CREATED);
        ids.push(uploaded.body["id"].as_str().unwrap().to_owned());
    }
    assert_error(
        &app.upload(&session, PNG.to_vec()).await,
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
        app.upload(&session, PNG.to_vec()).await.status,
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
    let submitted = app.submit(&session, body, "ev-del").await;
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
async fn evidence_listed_twice_or_from_another_order_is_refused() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    let id = app.upload(&session, PNG.to_vec()).await.body["id"]
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
    let twice = app.submit(&session, body.clone(), "d1").await;
    assert_error(
        &twice,
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate_evidence",
    );

    app.merchant("PUT", "/orders/B2002", Some(order("B2002")))
        .await;
    let other = app.session("B2002").await;
    body["evidence"] = json!([id]);
    let foreign = app.submit(&other, body, "d2").await;
    assert_error(
        &foreign,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_evidence",
    );
}
