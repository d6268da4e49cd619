//! The webhook sender on real loopback sockets: what an answer looks like in the delivery log,
//! redirects never followed, private addresses never reached, slow receivers cut off.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, LOCATION, USER_AGENT};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use refund_server::deliver::http::{Attempt, Sender, check_url};
use tokio::net::TcpListener;

/// A request as the receiver saw it.
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Received>>>;

/// A receiver on a loopback port that answers every request with `respond(path)` and logs it.
async fn receiver(respond: fn(&str) -> Response<Full<Bytes>>) -> (SocketAddr, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let log = Log::default();
    let shared = log.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = shared.clone();
            let service = service_fn(move |request: Request<Incoming>| {
                let log = log.clone();
                async move {
                    let path = request.uri().path().to_owned();
                    let headers = request.headers().clone();
                    let body = request.into_body().collect().await.unwrap().to_bytes();
                    let answer = respond(&path);
                    log.lock().unwrap().push(Received {
                        path,
                        headers,
                        body,
                    });
                    Ok::<_, Infallible>(answer)
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    (address, log)
}

/// A port that accepts connections and never says a word.
async fn silent() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            held.push(listener.accept().await.unwrap());
        }
    });
    (address, task)
}

fn answer(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

async fn post(sender: &Sender, url: &str) -> Attempt {
    let url = check_url(url).unwrap();
    let headers = [("webhook-id", "msg_1".to_owned())];
    sender.post(&url, &headers, br#"{"a":1}"#.to_vec()).await
}

#[tokio::test]
async fn an_answer_is_recorded_with_its_status_and_body() {
    let (address, log) = receiver(|_| answer(StatusCode::OK, "thanks")).await;
    let sender = Sender::new(true);
    let attempt = post(&sender, &format!("http://{address}/hooks")).await;
    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.excerpt, "thanks");
    assert_eq!(attempt.error, None);
    assert!(attempt.latency < Duration::from_secs(5));

    let log = log.lock().unwrap();
    let [request] = log.as_slice() else {
        panic!("{} requests", log.len())
    };
    assert_eq!(request.path, "/hooks");
    assert_eq!(request.body.as_ref(), br#"{"a":1}"#);
    assert_eq!(request.headers[CONTENT_TYPE], "application/json");
    assert_eq!(request.headers[USER_AGENT], "refund-validator-webhooks/1");
    assert_eq!(request.headers["webhook-id"], "msg_1");
}

#[tokio::test]
async fn a_content_type_given_by_the_caller_is_replaced_by_json() {
    let (address, log) = receiver(|_| answer(StatusCode::NO_CONTENT, "")).await;
    let url = check_url(&format!("http://{address}/")).unwrap();
    let headers = [("Content-Type", "text/plain".to_owned())];
    let attempt = Sender::new(true).post(&url, &headers, b"{}".to_vec()).await;
    assert_eq!(attempt.status, Some(204));
    let log = log.lock().unwrap();
    let types: Vec<_> = log[0].headers.get_all(CONTENT_TYPE).iter().collect();
    assert_eq!(types, ["application/json"]);
}

#[tokio::test]
async fn a_redirect_is_recorded_and_never_followed() {
    let (address, log) = receiver(|path| {
        let mut response = answer(StatusCode::FOUND, "moved");
        if path == "/hooks" {
            response
                .headers_mut()
                .insert(LOCATION, "/elsewhere".parse().unwrap());
        }
        response
    })
    .await;
    let attempt = post(&Sender::new(true), &format!("http://{address}/hooks")).await;
    assert_eq!(attempt.status, Some(302));
    assert_eq!(attempt.excerpt, "moved");
    assert_eq!(attempt.error, None);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let paths: Vec<String> = log.lock().unwrap().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/hooks"]);
}

#[tokio::test]
async fn loopback_addresses_are_refused_before_anything_is_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sender = Sender::new(false);
    for url in [
        format!("http://127.0.0.1:{port}/hooks"),
        format!("http://localhost:{port}/hooks"),
        format!("http://[::ffff:127.0.0.1]:{port}/hooks"),
    ] {
        let attempt = post(&sender, &url).await;
        assert_eq!(attempt.status, None, "{url}");
        let error = attempt.error.unwrap_or_default();
        assert!(error.contains("refused address"), "{url}: {error}");
    }
    let nothing = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(nothing.is_err(), "the receiver was reached");
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_cut_off_by_the_timeout() {
    let (address, task) = silent().await;
    let sender = Sender::with_timeout(true, Duration::from_millis(300));
    let attempt = post(&sender, &format!("http://{address}/hooks")).await;
    task.abort();
    assert_eq!(attempt.status, None);
    assert_eq!(
        attempt.error.as_deref(),
        Some("timed out waiting for the answer")
    );
    assert!(attempt.latency >= Duration::from_millis(300));
    assert!(attempt.latency < Duration::from_secs(5));
}

#[tokio::test]
async fn a_closed_port_is_reported_as_a_refused_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let attempt = post(&Sender::new(true), &format!("http://{address}/hooks")).await;
    assert_eq!(attempt.status, None);
    let error = attempt.error.unwrap_or_default();
    assert!(
        error.starts_with("could not connect") && error.to_lowercase().contains("refused"),
        "{error}"
    );
}

#[tokio::test]
async fn only_the_first_kilobyte_of_a_huge_answer_is_kept() {
    let (address, _) = receiver(|_| answer(StatusCode::OK, vec![b'x'; 1_000_000])).await;
    let attempt = post(&Sender::new(true), &format!("http://{address}/hooks")).await;
    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.excerpt, "x".repeat(1_024));
    assert_eq!(attempt.error, None);
}
