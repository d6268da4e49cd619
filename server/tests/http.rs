//! The connection layer on real sockets: slow and idle clients are cut off, one address cannot
//! take every connection, and what the HTTP parser refuses by itself still gets the API's
//! error shape.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use refund_server::clock::SystemClock;
use refund_server::http::{Limits, serve};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// The app on a loopback port with `limits`.
async fn start(limits: Limits) -> (SocketAddr, support::TestDb) {
    let db = support::fresh().await;
    let store = db.open().await;
    let (router, _) = refund_server::app(
        store,
        Arc::new(SystemClock),
        refund_server::Settings::new("http://127.0.0.1"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, router, limits, std::future::pending()));
    (addr, db)
}

/// A connection to `server` from the loopback address `from` (127.0.0.x).
async fn connect_from(from: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(server).await.unwrap()
}

/// Sends `request` and reads the whole answer (the server closes after it).
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> (u16, Value) {
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

/// Whether the server closed `stream` within `within` (a read ends or fails).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(within, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_cannot_take_every_connection() {
    let limits = Limits {
        max_connections: 100,
        per_client: 20,
        header_timeout: Duration::from_millis(500),
    };
    let (server, _db) = start(limits).await;
    // Sixty connections that send a request line and headers but never the blank line.
    let mut slow = Vec::new();
    for _ in 0..60 {
        let mut stream = connect_from("127.0.0.1", server).await;
        let _ = stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
            .await;
        slow.push(stream);
    }
    // Someone else is served meanwhile.
    let mut other = connect_from("127.0.0.2", server).await;
    let (status, _) = exchange(
        &mut other,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    // Beyond its share, a client's connections were closed at once; the others when their
    // headers did not arrive in time.
    for stream in &mut slow {
        assert!(
            closed_within(stream, Duration::from_secs(30)).await,
            "a slow connection stayed open"
        );
    }
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let limits = Limits {
        header_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let (server, _db) = start(limits).await;
    let mut stream = connect_from("127.0.0.1", server).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let n = stream.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut stream, Duration::from_secs(30)).await);
}

#[tokio::test]
async fn what_the_parser_refuses_gets_the_error_shape() {
    let (server, _db) = start(Limits::default()).await;
    let long_path = format!(
        "GET /api/v1/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let mut headers = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..200 {
        headers.push_str(&format!("X-Header-{i}: {i}\r\n"));
    }
    headers.push_str("\r\n");
    for (request, status, code) in [
        (long_path.as_bytes(), 414, "uri_too_long"),
        (headers.as_bytes(), 431, "headers_too_large"),
        (&b"NOT A REQUEST\r\n\r\n"[..], 400, "invalid_request"),
    ] {
        let mut stream = connect_from("127.0.0.1", server).await;
        let (got, body) = exchange(&mut stream, request).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}
