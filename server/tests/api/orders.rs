//! Order snapshots: updates, freezing, the demo seed.

use crate::helpers::*;

#[tokio::test]
async fn lines_and_prices_freeze_once_a_request_exists_but_delivery_can_change() {
    let app = TestApp::new().await;
    let session = app.session("A1001").await;
    app.submit(&session, one_shirt("99.00"), "f").await;
    let mut repriced = order("A1001");
    repriced["lines"][1]["unit_price"] = json!("40.00");
    repriced["payments"][0]["amount"] = json!("347.00");
    assert_error(
        &app.merchant("PUT", "/orders/A1001", Some(repriced)).await,
        StatusCode::CONFLICT,
        "order_locked",
    );
    let mut redelivered = order("A1001");
    redelivered["delivered_at"] = json!("2026-11-05T09:00:00+08:00");
    assert_eq!(
        app.merchant("PUT", "/orders/A1001", Some(redelivered))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_demo_seed_is_idempotent_and_its_orders_are_usable() {
    let db = crate::support::fresh().await;
    let store = db.open().await;
    let first = refund_server::seed::seed_demo(store.as_ref(), vec![], start())
        .await
        .unwrap();
    let again =
        refund_server::seed::seed_demo(store.as_ref(), vec![], start() + TimeDelta::days(1))
            .await
            .unwrap();
    assert_eq!(first, again);
    assert_eq!(store.current_policy(&first.id).await.unwrap().unwrap().0, 1);
    for number in [
        "DEMO-1001",
        "DEMO-1002",
        "DEMO-1003",
        "DEMO-1004",
        "DEMO-1005",
        "DEMO-2001",
    ] {
        let order = store.order(&first.id, number).await.unwrap().unwrap();
        assert!(refund_core::Order::new(&order.wire).is_ok(), "{number}");
    }
}
