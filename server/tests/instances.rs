//! Three real server processes on one PostgreSQL database, as behind a load balancer: no
//! over-refund however submissions spread, one request per idempotency key across instances,
//! and each deadline applied once while every instance sweeps.
//!
//! PostgreSQL only (SQLite is one file on one machine): skipped, saying so, when
//! `REFUND_TEST_POSTGRES_URL` is unset; `cargo xtask test` always sets it.

mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use support::server::{SK, Server, shopper_session};

fn cluster() -> Option<support::TestDb> {
    let Some(admin) = support::postgres_url() else {
        eprintln!("skipped: set REFUND_TEST_POSTGRES_URL (cargo xtask test does) to run it");
        return None;
    };
    Some(runtime().block_on(support::fresh_postgres(&admin)))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// Three instances on `db`; the first seeds the demo merchant before the others start.
fn three(db: &support::TestDb, deadline_interval: &str) -> Vec<Server> {
    let args = ["--deadline-interval", deadline_interval];
    let first = Server::start(db, true, &args);
    let mut servers = vec![first];
    servers.extend((0..2).map(|_| Server::start(db, false, &args)));
    servers
}

/// A delivered order of three units at 99.00, shipped free.
fn order(number: &str) -> Value {
    let now = Utc::now();
    json!({
        "number": number, "currency": "CNY", "customer_email": format!("{number}@example.com"),
        "status": "paid", "placed_at": now - TimeDelta::days(3),
        "shipped_at": now - TimeDelta::days(2), "delivered_at": now - TimeDelta::days(1),
        "lines": [{"id": "L1", "sku": "SHIRT", "title": "Shirt", "unit_price": "99.00", "quantity": 3}],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "297.00"}]
    })
}

fn push_order(server: &Server, number: &str) {
    let (status, body) = server
        .call(
            "PUT",
            &format!("/api/v1/merchant/orders/{number}"),
            &[("Authorization", SK)],
            Some(&order(number)),
        )
        .unwrap();
    assert_eq!(status, 201, "{body}");
}

/// A refund-only request for `units` shirts, with the total the server quotes for it.
fn request(server: &Server, session: &str, units: u32) -> Value {
    let mut body = json!({"kind": "refund_only", "reason": "ordered_by_mistake",
                          "lines": [{"line_id": "L1", "quantity": units}]});
    let (status, quote) = server
        .call(
            "POST",
            "/api/v1/shops/pk_test_demo/quote",
            &[("Authorization", session)],
            Some(&body),
        )
        .unwrap();
    assert_eq!(status, 200, "{quote}");
    body["expected_total"] = quote["total"].clone();
    body
}

fn submit(port: u16, session: &str, key: &str, body: &Value) -> (u16, Value) {
    support::server::http(
        port,
        "POST",
        "/api/v1/shops/pk_test_demo/requests",
        &[("Authorization", session), ("Idempotency-Key", key)],
        Some(body),
    )
    .expect("an answer")
}

fn merchant_get(server: &Server, path: &str) -> Value {
    let (status, body) = server
        .call(
            "GET",
            &format!("/api/v1/merchant{path}"),
            &[("Authorization", SK)],
            None,
        )
        .unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[test]
fn fifty_rounds_of_fifty_simultaneous_over_asking_submissions_on_three_instances_refund_once_each()
{
    let Some(db) = cluster() else { return };
    let servers = three(&db, "3600");
    let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    for round in 0..50 {
        let number = format!("RACE-{round:02}");
        push_order(&servers[round % 3], &number);
        let session = shopper_session(&servers[round % 3], &number);
        // Each asks for 2 of the 3 shirts: at most one can have them.
        let body = Arc::new(request(&servers[0], &session, 2));
        let start = Arc::new(Barrier::new(50));
        let racers: Vec<_> = (0..50)
            .map(|i| {
                let (body, session, start) = (body.clone(), session.clone(), start.clone());
                let port = ports[i % 3];
                std::thread::spawn(move || {
                    start.wait();
                    submit(port, &session, &format!("race-{round}-{i}"), &body)
                })
            })
            .collect();
        let mut won = 0;
        for racer in racers {
            match racer.join().unwrap() {
                (201, _) => won += 1,
                (409, reply) => assert_eq!(
                    reply["error"]["code"], "not_enough_left",
                    "round {round}: {reply}"
                ),
                (status, reply) => panic!("round {round}: {status} {reply}"),
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one submission wins");
        let view = merchant_get(&servers[(round + 1) % 3], &format!("/orders/{number}"));
        assert_eq!(view["requests"].as_array().unwrap().len(), 1);
        assert_eq!(view["left_to_refund"], "99.00", "round {round}: {view}");
    }
}

#[test]
fn one_idempotency_key_sent_to_two_instances_at_once_records_one_request() {
    let Some(db) = cluster() else { return };
    let servers = three(&db, "3600");
    for attempt in 0..20 {
        let number = format!("TWICE-{attempt:02}");
        push_order(&servers[0], &number);
        let session = shopper_session(&servers[0], &number);
        let body = Arc::new(request(&servers[0], &session, 1));
        let start = Arc::new(Barrier::new(2));
        let senders: Vec<_> = [servers[1].port, servers[2].port]
            .into_iter()
            .map(|port| {
                let (body, session, start) = (body.clone(), session.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    submit(port, &session, &format!("one-key-{attempt}"), &body)
                })
            })
            .collect();
        let answers: Vec<(u16, Value)> = senders.into_iter().map(|s| s.join().unwrap()).collect();
        assert_eq!(answers[0].0, 201, "{:?}", answers[0].1);
        assert_eq!(answers[0], answers[1], "both get the one answer");
        let view = merchant_get(&servers[0], &format!("/orders/{number}"));
        assert_eq!(view["requests"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn a_deadline_that_falls_due_while_three_instances_sweep_is_applied_once() {
    let Some(db) = cluster() else { return };
    let servers = three(&db, "1");
    // 150 requests waiting for review (more than one sweep batch), one unit each.
    let mut ids = Vec::new();
    for n in 0..50 {
        let number = format!("LATE-{n:02}");
        push_order(&servers[n % 3], &number);
        let session = shopper_session(&servers[n % 3], &number);
        for unit in 0..3 {
            // Quoted anew each time: keeping the last shirt loses the free shipping.
            let body = request(&servers[0], &session, 1);
            let key = format!("late-{n}-{unit}");
            let (status, view) = submit(servers[unit].port, &session, &key, &body);
            assert_eq!(status, 201, "{view}");
            assert_eq!(view["state"], "submitted", "{view}");
            ids.push(view["id"].as_str().unwrap().to_owned());
        }
    }
    // Time passes: the merchant's 48 hours to answer are over for all of them at once.
    let Some(url) = (match &db.database {
        refund_server::store::Database::Postgres { url, .. } => Some(url.clone()),
        refund_server::store::Database::Sqlite(_) => None,
    }) else {
        unreachable!("instances run on PostgreSQL")
    };
    runtime().block_on(async {
        let mut conn = PgConnection::connect(&url).await.unwrap();
        sqlx::query(
            "UPDATE requests SET submitted_at = submitted_at - interval '49 hours', \
             last_event_at = last_event_at - interval '49 hours', \
             deadline_at = deadline_at - interval '49 hours'",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    for id in &ids {
        loop {
            let view = merchant_get(&servers[0], &format!("/requests/{id}"));
            if view["state"] == "approved" {
                let by_deadline: Vec<&Value> = view["history"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["actor"] == "deadline")
                    .collect();
                assert_eq!(by_deadline.len(), 1, "{id}: {}", view["history"]);
                assert_eq!(by_deadline[0]["action"], "approve");
                break;
            }
            assert!(Instant::now() < deadline, "{id} was never approved: {view}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The outbox with three dispatchers on one database: 1,000 messages written through the
/// three instances reach a receiver on loopback, none lost, each request's in the order they
/// were written. At least once allows duplicates; they are counted and reported.
#[test]
fn a_thousand_events_reach_the_receiver_through_three_dispatchers_in_order_per_request() {
    let Some(db) = cluster() else { return };
    let rt = runtime();
    let receiver = rt.block_on(support::webhooks::Receiver::start());
    let args = ["--deadline-interval", "5", "--allow-private-webhooks"];
    let mut servers = vec![Server::start(&db, true, &args)];
    servers.extend((0..2).map(|_| Server::start(&db, false, &args)));
    let (status, body) = servers[0]
        .call(
            "POST",
            "/api/v1/merchant/webhooks",
            &[("Authorization", SK)],
            Some(&json!({"url": receiver.url, "types": ["message.created"]})),
        )
        .unwrap();
    assert_eq!(status, 201, "{body}");

    const REQUESTS: usize = 10;
    const MESSAGES: usize = 100;
    let ids: Vec<String> = (0..REQUESTS)
        .map(|n| {
            let number = format!("OUT-{n}");
            push_order(&servers[0], &number);
            let session = shopper_session(&servers[0], &number);
            let body = request(&servers[0], &session, 1);
            let (status, made) = submit(servers[0].port, &session, &format!("k{n}"), &body);
            assert_eq!(status, 201, "{made}");
            made["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (r, id) in ids.iter().enumerate() {
            let servers = &servers;
            scope.spawn(move || {
                for m in 0..MESSAGES {
                    let server = &servers[(r + m) % servers.len()];
                    let (status, body) = server
                        .call(
                            "POST",
                            &format!("/api/v1/merchant/requests/{id}/messages"),
                            &[("Authorization", SK)],
                            Some(&json!({"body": m.to_string()})),
                        )
                        .unwrap();
                    assert_eq!(status, 201, "{body}");
                }
            });
        }
    });
    let written = started.elapsed();
    let total = REQUESTS * MESSAGES;
    let got = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let got = receiver.received();
            let distinct: std::collections::HashSet<&str> =
                got.iter().map(|d| d.id.as_str()).collect();
            if distinct.len() >= total || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let drained = started.elapsed();
    let mut seen = std::collections::HashSet::new();
    let mut next = std::collections::HashMap::<String, usize>::new();
    let mut duplicates = 0;
    for delivery in &got {
        if !seen.insert(delivery.id.clone()) {
            duplicates += 1;
            continue;
        }
        let event = delivery.json();
        let request = event["data"]["request"]["id"].as_str().unwrap().to_owned();
        let n: usize = event["data"]["message"]["body"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let expected = next.entry(request.clone()).or_default();
        assert_eq!(n, *expected, "request {request}'s messages arrive in order");
        *expected += 1;
    }
    assert_eq!(seen.len(), total, "every event delivered");
    let loaded = percentiles(&got);

    // Then one message at a time, as a quiet store writes them: the latency of an idle outbox.
    let quiet = 50;
    for m in 0..quiet {
        let (status, body) = servers[m % servers.len()]
            .call(
                "POST",
                &format!("/api/v1/merchant/requests/{}/messages", ids[0]),
                &[("Authorization", SK)],
                Some(&json!({"body": (MESSAGES + m).to_string()})),
            )
            .unwrap();
        assert_eq!(status, 201, "{body}");
        std::thread::sleep(Duration::from_millis(40));
    }
    let all = rt.block_on(receiver.wait_for(got.len() + quiet, Duration::from_secs(60)));
    let idle = percentiles(&all[got.len()..]);
    eprintln!(
        "{total} events through 3 dispatchers: written in {written:?}, all received {drained:?} \
         after the first write ({:.0} events/s end to end), {duplicates} duplicates; commit to \
         receipt p50/p99 {loaded:?} under that load, {idle:?} one at a time",
        total as f64 / drained.as_secs_f64()
    );
}

/// The median and 99th percentile of the deliveries' latencies, in milliseconds.
fn percentiles(deliveries: &[support::webhooks::Delivery]) -> (i64, i64) {
    let mut ms: Vec<i64> = deliveries
        .iter()
        .map(|d| d.latency().num_milliseconds())
        .collect();
    ms.sort_unstable();
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}
