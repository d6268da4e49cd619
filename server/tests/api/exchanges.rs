//! Exchanges (换货): the order lists what each line can be exchanged for, the shopper names one,
//! and the choice is carried into the quote, the recorded request and its history.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, assert_line_refused, order, request_body};

/// A1001 again, its shirts with a picture and exchangeable for an L (in stock) or an XL (sold
/// out).
fn exchangeable() -> Value {
    let mut body = order("A1001");
    body["lines"][0]["image_url"] = json!("https://cdn.shop.example/shirt.jpg");
    body["lines"][0]["exchange_variants"] = json!([
        {"sku": "SHIRT-L", "title": "Oxford shirt, L", "in_stock": true},
        {"sku": "SHIRT-XL", "title": "Oxford shirt, XL", "in_stock": false}
    ]);
    body
}

fn exchange(line: Value) -> Value {
    request_body("exchange", "size_mismatch", json!([line]), "0.00")
}

async fn with_variants() -> (TestApp, String) {
    let app = TestApp::new().await;
    let pushed = app
        .merchant("PUT", "/orders/A1001", Some(exchangeable()))
        .await;
    assert_eq!(pushed.status, StatusCode::OK, "{:?}", pushed.body);
    let session = app.session("A1001").await;
    (app, session)
}

#[tokio::test]
async fn the_variant_a_shopper_picks_reaches_the_quote_the_desk_and_the_history() {
    let (app, session) = with_variants().await;
    let seen = app.order_view("A1001").await;
    assert_eq!(
        seen.body["order"]["lines"][0]["exchange_variants"][1]["sku"],
        "SHIRT-XL"
    );
    assert_eq!(
        seen.body["order"]["lines"][0]["image_url"],
        "https://cdn.shop.example/shirt.jpg"
    );

    let body = exchange(json!({"line_id": "L1", "quantity": 1, "exchange_for": "SHIRT-L"}));
    let quoted = app.quote(&session, body.clone()).await;
    assert_eq!(quoted.status, StatusCode::OK, "{:?}", quoted.body);
    assert_eq!(quoted.body["lines"][0]["exchange_for"]["sku"], "SHIRT-L");

    let id = app.submitted(&session, body, "exchange-1").await;
    let desk = app.merchant("GET", &format!("/requests/{id}"), None).await;
    let line = &desk.body["lines"][0];
    assert_eq!(
        (
            &line["sku"],
            &line["exchange_for"]["sku"],
            &line["exchange_for"]["title"]
        ),
        (
            &json!("SHIRT-M"),
            &json!("SHIRT-L"),
            &json!("Oxford shirt, L")
        )
    );
    let submitted = &desk.body["history"][0];
    assert_eq!(submitted["action"], "submit");
    assert_eq!(
        submitted["detail"]["exchanges"][0]["exchange_for"]["sku"],
        "SHIRT-L"
    );
    let shopper = app.shopper_request(&session, &id).await;
    assert_eq!(shopper.body["lines"][0]["exchange_for"]["sku"], "SHIRT-L");
}

#[tokio::test]
async fn an_exchange_without_a_choice_or_for_a_sold_out_variant_is_refused_per_line() {
    let (app, session) = with_variants().await;
    for (line, code) in [
        (
            json!({"line_id": "L1", "quantity": 1}),
            "exchange_choice_missing",
        ),
        (
            json!({"line_id": "L1", "quantity": 1, "exchange_for": "SHIRT-XL"}),
            "variant_out_of_stock",
        ),
    ] {
        let reply = app.submit(&session, exchange(line), code).await;
        assert_line_refused(&reply, code);
    }
    // The mug lists no variants: it is exchanged for the same item.
    let same = exchange(json!({"line_id": "L2", "quantity": 1}));
    assert_eq!(
        app.submit(&session, same, "same-mug").await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_variant_the_line_does_not_list_or_one_named_outside_an_exchange_is_a_malformed_request()
{
    let (app, session) = with_variants().await;
    let unknown = exchange(json!({"line_id": "L1", "quantity": 1, "exchange_for": "SHIRT-XXL"}));
    assert_error(
        &app.quote(&session, unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_variant",
    );
    let misplaced = request_body(
        "return_and_refund",
        "size_mismatch",
        json!([{"line_id": "L1", "quantity": 1, "exchange_for": "SHIRT-L"}]),
        "91.00",
    );
    let reply = app.quote(&session, misplaced).await;
    assert_error(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_not_allowed",
    );
    assert_eq!(reply.body["error"]["field"], "lines[0].exchange_for");
}

#[tokio::test]
async fn a_product_picture_must_be_a_web_address() {
    let app = TestApp::new().await;
    let mut body = exchangeable();
    body["lines"][0]["image_url"] = json!("javascript:alert(1)");
    let reply = app.merchant("PUT", "/orders/A1001", Some(body)).await;
    assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "invalid_url");
    assert_eq!(reply.body["error"]["field"], "lines[0].image_url");
}
