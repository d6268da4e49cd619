//! The real binary: an acknowledged submission survives `kill -9`, and SIGTERM stops it cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(data: &std::path::Path, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refund-server"))
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "serve",
            "--demo",
            "--bind",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--deadline-interval", "3600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The demo keys are printed before the server listens; then wait for /healthz.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(port, "GET", "/healthz", &[], None).is_none() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// A minimal HTTP/1.1 client: status and JSON body, or `None` when nothing listens.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let (_, payload) = response.split_once("\r\n\r\n")?;
    Some((status, serde_json::from_str(payload).unwrap_or(Value::Null)))
}

const SK: &str = "Bearer sk_test_demo_not_for_production";

#[test]
fn an_acknowledged_submission_survives_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(data.path(), port);
    let (status, link) = http(
        port,
        "POST",
        "/api/v1/merchant/orders/DEMO-1005/links",
        &[("Authorization", SK)],
        Some(&json!({})),
    )
    .unwrap();
    assert_eq!(status, 200);
    let (_, session) = http(
        port,
        "POST",
        "/api/v1/shops/pk_test_demo/session",
        &[],
        Some(&json!({"token": link["token"]})),
    )
    .unwrap();
    let bearer = format!("Bearer {}", session["session"].as_str().unwrap());
    let body = json!({"kind": "refund_only", "reason": "ordered_by_mistake", "lines": [{"line_id": "L1", "quantity": 1}], "expected_total": "89.00"});
    let (status, submitted) = http(
        port,
        "POST",
        "/api/v1/shops/pk_test_demo/requests",
        &[("Authorization", &bearer), ("Idempotency-Key", "durable-1")],
        Some(&body),
    )
    .unwrap();
    assert_eq!(status, 201, "{submitted}");
    server.kill().unwrap();
    server.wait().unwrap();

    let mut server = start(data.path(), port);
    let id = submitted["id"].as_str().unwrap();
    let (status, stored) = http(
        port,
        "GET",
        &format!("/api/v1/merchant/requests/{id}"),
        &[("Authorization", SK)],
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(stored["quote"]["total"], "89.00");
    assert_eq!(stored["number"], submitted["number"]);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(data.path(), port);
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = server.try_wait().unwrap() {
            assert!(exit.success(), "{exit}");
            break;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}
