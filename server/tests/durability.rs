//! The real binary on this run's database (SQLite, or PostgreSQL with
//! `REFUND_TEST_BACKEND=postgres`): no acknowledged submission is lost to `kill -9` under load,
//! a retry of one whose answer the crash swallowed records or replays at once, and SIGTERM stops
//! the server cleanly.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use support::server::{SK, Server, free_port, shopper_session};

/// One line of many units at 1.00, delivered yesterday (the server runs on the real clock).
fn socks(number: &str) -> Value {
    let now = Utc::now();
    json!({
        "number": number, "currency": "CNY", "customer_email": "load@example.com", "status": "paid",
        "placed_at": now - TimeDelta::days(3), "shipped_at": now - TimeDelta::days(2),
        "delivered_at": now - TimeDelta::days(1),
        "lines": [{"id": "L1", "sku": "SOCK", "title": "Socks", "unit_price": "1.00", "quantity": 100000}],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "100000.00"}]
    })
}

fn fresh_db() -> support::TestDb {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(support::fresh())
}

#[test]
fn nothing_acknowledged_is_lost_to_kill_9_under_load_and_a_retry_records_or_replays_at_once() {
    let db = fresh_db();
    let port = free_port();
    let mut server = Server::start_on(&db, port, true, &["--deadline-interval", "3600"]);
    let (status, _) = server
        .call(
            "PUT",
            "/api/v1/merchant/orders/SOCKS-1",
            &[("Authorization", SK)],
            Some(&socks("SOCKS-1")),
        )
        .unwrap();
    assert_eq!(status, 201);
    let session = shopper_session(&server, "SOCKS-1");
    let mut body = json!({"kind": "refund_only", "reason": "ordered_by_mistake",
                          "lines": [{"line_id": "L1", "quantity": 1}]});
    let (_, quote) = server
        .call(
            "POST",
            "/api/v1/shops/pk_test_demo/quote",
            &[("Authorization", &session)],
            Some(&body),
        )
        .unwrap();
    body["expected_total"] = quote["total"].clone();
    let body = Arc::new(body);

    // Eight clients submit one unit at a time, each with a new key, until the server dies.
    let crashed = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (body, session, crashed, acknowledged) = (
                body.clone(),
                session.clone(),
                crashed.clone(),
                acknowledged.clone(),
            );
            std::thread::spawn(move || {
                let mut answered = Vec::new();
                let mut unanswered = Vec::new();
                for n in 0.. {
                    let key = format!("c{client}-{n}");
                    let reply = support::server::http(
                        port,
                        "POST",
                        "/api/v1/shops/pk_test_demo/requests",
                        &[("Authorization", &session), ("Idempotency-Key", &key)],
                        Some(&body),
                    );
                    match reply {
                        Some((201, view)) => {
                            acknowledged.fetch_add(1, Ordering::Relaxed);
                            answered.push((key, view["id"].as_str().unwrap().to_owned()));
                        }
                        Some((status, view)) => panic!("{status} under load: {view}"),
                        None => {
                            unanswered.push(key);
                            if crashed.load(Ordering::Relaxed) {
                                break;
                            }
                        }
                    }
                }
                (answered, unanswered)
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.load(Ordering::Relaxed) < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    crashed.store(true, Ordering::Relaxed);
    server.kill();
    let mut answered = Vec::new();
    let mut unanswered = Vec::new();
    for client in clients {
        let (a, u) = client.join().unwrap();
        answered.extend(a);
        unanswered.extend(u);
    }
    assert!(answered.len() >= 50, "only {} acknowledged", answered.len());

    let server = Server::start_on(&db, port, false, &["--deadline-interval", "3600"]);
    for (_, id) in &answered {
        let (status, stored) = server
            .call(
                "GET",
                &format!("/api/v1/merchant/requests/{id}"),
                &[("Authorization", SK)],
                None,
            )
            .unwrap();
        assert_eq!(status, 200, "acknowledged request {id} was lost");
        assert_eq!(stored["quote"]["total"], body["expected_total"]);
    }
    // A retry of a submission whose answer was lost: recorded now, or replayed if the crash
    // came after its commit; never "in progress".
    let session = shopper_session(&server, "SOCKS-1");
    for key in &unanswered {
        let (status, view) = server
            .call(
                "POST",
                "/api/v1/shops/pk_test_demo/requests",
                &[("Authorization", &session), ("Idempotency-Key", key)],
                Some(&body),
            )
            .unwrap();
        assert_eq!(status, 201, "retry of {key}: {view}");
    }
    let (_, order) = server
        .call(
            "GET",
            "/api/v1/merchant/orders/SOCKS-1",
            &[("Authorization", SK)],
            None,
        )
        .unwrap();
    assert_eq!(
        order["requests"].as_array().unwrap().len(),
        answered.len() + unanswered.len(),
        "one request per key: nothing lost, nothing twice"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let db = fresh_db();
    let mut server = Server::start(&db, true, &[]);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server stops within 10 s of SIGTERM");
    assert!(exit.success(), "{exit}");
}

#[test]
fn migrate_brings_a_fresh_database_up_to_date_and_is_idempotent() {
    let db = fresh_db();
    for _ in 0..2 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_refund-server"))
            .args(db.args())
            .arg("migrate")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    }
    let server = Server::start(&db, true, &[]);
    let (status, _) = server
        .call(
            "GET",
            "/api/v1/merchant/policy",
            &[("Authorization", SK)],
            None,
        )
        .unwrap();
    assert_eq!(status, 200);
}
