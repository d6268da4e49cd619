//! The server under test, in-process: a fresh SQLite file, a [`ManualClock`] the test moves, the
//! demo merchant and orders, the built widget under `/widget/`, the outbox's dispatcher (webhook
//! endpoints may be on loopback here), and a switch that drops the connection of a submission
//! after the server has recorded it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use refund_server::clock::ManualClock;
use refund_server::routes::AppState;
use refund_server::seed::{DEMO_SECRET_KEY, seed_demo};
use refund_server::store::Store;
use refund_server::store::sqlite::SqliteStore;
use serde_json::Value;

/// Where the built widget is: `REFUND_WIDGET_DIR`, or `<workspace>/dist`.
pub fn widget_dir() -> PathBuf {
    built_dir(
        "REFUND_WIDGET_DIR",
        "dist",
        "refund-widget.js",
        "build the widget first: cargo xtask widget",
    )
}

/// Where the widget built with its test export is (`cargo xtask test` builds it):
/// `REFUND_DIFFERENTIAL_DIR`, or `<workspace>/dist-differential`.
pub fn differential_dir() -> PathBuf {
    built_dir(
        "REFUND_DIFFERENTIAL_DIR",
        "dist-differential",
        "refund-widget.js",
        "build the widget with its test export first: \
         trunk build --release --features differential --dist dist-differential",
    )
}

/// Where the built refund desk is: `REFUND_CONSOLE_DIR`, or `<workspace>/dist-console`.
pub fn console_dir() -> PathBuf {
    built_dir(
        "REFUND_CONSOLE_DIR",
        "dist-console",
        "index.html",
        "build the desk first: cargo xtask widget",
    )
}

/// A build's directory: `var`, or `<workspace>/<default>`; it must hold `file`, else `how` says
/// how to build it.
fn built_dir(var: &str, default: &str, file: &str, how: &str) -> PathBuf {
    let dir = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_dir().join(default));
    assert!(
        dir.join(file).is_file(),
        "no {file} in {}: {how}",
        dir.display()
    );
    dir
}

/// The server's clock when a test starts. Fixed, so every run sees the same dates; the demo
/// orders are seeded relative to it.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00+08:00")
        .expect("a valid RFC 3339 time")
        .to_utc()
}

pub struct TestServer {
    /// `http://127.0.0.1:PORT`: the demo store page, the API and the widget files.
    pub origin: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    cut: Arc<Cut>,
    http: Client<HttpConnector, Full<Bytes>>,
    task: tokio::task::JoinHandle<()>,
    dispatcher: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
        self.dispatcher.abort();
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::serving(widget_dir()).await
    }

    /// A server whose widget files come from `widget_dir`.
    pub async fn serving(widget_dir: PathBuf) -> TestServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&dir.path().join("refunds.db"))
                .await
                .expect("a fresh SQLite store"),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let port = listener.local_addr().expect("a bound address").port();
        let origin = format!("http://127.0.0.1:{port}");
        let clock = Arc::new(ManualClock::new(start_time()));
        // The page and the API share the origin; it is still the merchant's allowed origin, as
        // a real store's would be.
        seed_demo(store.as_ref(), vec![origin.clone()], start_time())
            .await
            .expect("the demo merchant and orders");
        // Webhook endpoints may be on loopback: flows point them at receivers they start.
        let mut settings = refund_server::Settings::new(origin.clone());
        settings.allow_private_webhooks = true;
        let (router, state) = refund_server::app(store, clock.clone(), settings);
        // The outbox is sent as the binary sends it: webhooks for real, e-mails only logged.
        let dispatcher = tokio::spawn(
            refund_server::service::dispatch::Dispatcher::new(
                state.service.clone(),
                refund_server::deliver::http::Sender::new(true),
                Arc::new(
                    refund_server::deliver::mail::Mailer::from_settings(
                        None,
                        "Refunds <no-reply@localhost>",
                    )
                    .expect("a logging mailer"),
                ),
            )
            .run(),
        );
        let cut = Arc::new(Cut::default());
        let router: Router = router
            .merge(refund_server::routes::assets::router(
                &widget_dir,
                &console_dir(),
            ))
            .layer(axum::middleware::from_fn_with_state(
                cut.clone(),
                cut_after_commit,
            ));
        // Served as the binary serves it: connection limits, header timeout and all.
        let task = tokio::spawn(async move {
            let limits = refund_server::http::Limits::default();
            if let Err(e) =
                refund_server::http::serve(listener, router, limits, std::future::pending()).await
            {
                eprintln!("test server stopped: {e}");
            }
        });
        TestServer {
            origin,
            state,
            clock,
            cut,
            http: Client::builder(TokioExecutor::new()).build_http(),
            task,
            dispatcher,
            _dir: dir,
        }
    }

    /// Calls the merchant API with the demo merchant's secret key; the status and the JSON body.
    pub async fn merchant(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let bearer = format!("Bearer {DEMO_SECRET_KEY}");
        self.call(
            method,
            &format!("/api/v1/merchant{path}"),
            &bearer,
            None,
            body,
        )
        .await
    }

    /// Calls `path` on the server with `authorization` (and an idempotency key); the status and
    /// the JSON body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        authorization: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let uri = format!("{}{path}", self.origin);
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(&uri)
            .header("authorization", authorization);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let bytes = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(bytes))
            .expect("a well-formed request");
        let response = self
            .http
            .request(request)
            .await
            .unwrap_or_else(|e| panic!("{uri}: {e}"));
        let status = response.status().as_u16();
        let raw = response
            .into_body()
            .collect()
            .await
            .expect("a response body")
            .to_bytes();
        let json = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&raw)
                .unwrap_or_else(|e| panic!("{uri} answered {status} with non-JSON ({e}): {raw:?}"))
        };
        (status, json)
    }

    /// Records a request for a demo order as its shopper would, through the shopper API: a
    /// session from a signed link, a quote, then the submission at the quoted total. `body` is
    /// the request without `expected_total`; the answer is the recorded request.
    pub async fn shopper_submits(&self, order: &str, mut body: Value) -> Value {
        let (status, link) = self
            .merchant(
                Method::POST,
                &format!("/orders/{order}/links"),
                Some(serde_json::json!({})),
            )
            .await;
        assert_eq!(status, 200, "a link for {order}: {link}");
        let shop = format!(
            "/api/v1/shops/{}",
            refund_server::seed::DEMO_PUBLISHABLE_KEY
        );
        let (status, session) = self
            .call(
                Method::POST,
                &format!("{shop}/session"),
                "",
                None,
                Some(serde_json::json!({"token": link["token"]})),
            )
            .await;
        assert_eq!(status, 200, "a session for {order}: {session}");
        let bearer = format!("Bearer {}", session["session"].as_str().expect("a session"));
        let (status, quote) = self
            .call(
                Method::POST,
                &format!("{shop}/quote"),
                &bearer,
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 200, "a quote for {order}: {quote}");
        body["expected_total"] = quote["total"].clone();
        static KEYS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let key = format!("e2e-{}", KEYS.fetch_add(1, Ordering::Relaxed));
        let (status, request) = self
            .call(
                Method::POST,
                &format!("{shop}/requests"),
                &bearer,
                Some(&key),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "a request on {order}: {request}");
        request
    }

    /// GET on the merchant API, which must answer 200.
    pub async fn merchant_get(&self, path: &str) -> Value {
        let (status, body) = self.merchant(Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Every request recorded on an order, as the merchant API shows them (with their history).
    pub async fn requests_of(&self, order: &str) -> Vec<Value> {
        let order = self.merchant_get(&format!("/orders/{order}")).await;
        let ids: Vec<String> = order["requests"]
            .as_array()
            .expect("the order's request ids")
            .iter()
            .map(|id| id.as_str().expect("a request id").to_owned())
            .collect();
        let mut requests = Vec::new();
        for id in ids {
            requests.push(self.merchant_get(&format!("/requests/{id}")).await);
        }
        requests
    }

    /// The one request recorded on an order.
    pub async fn only_request_of(&self, order: &str) -> Value {
        let mut requests = self.requests_of(order).await;
        assert_eq!(
            requests.len(),
            1,
            "{order} should have exactly one request: {requests:#?}"
        );
        requests.remove(0)
    }

    /// Runs the deadline sweep once; how many requests it moved on.
    pub async fn sweep(&self) -> usize {
        self.state
            .service
            .sweep_deadlines()
            .await
            .expect("a deadline sweep")
    }

    /// While on, every shopper submission (`POST /api/v1/shops/…/requests`) runs to the end,
    /// so the server records it, and then its connection is dropped before any byte of the
    /// answer is written: the worst case of a network drop during submit.
    pub fn cut_submissions(&self, on: bool) {
        self.cut.armed.store(on, Ordering::SeqCst);
    }

    /// The statuses the server had answered to the submissions whose connection was cut.
    pub fn cut_statuses(&self) -> Vec<u16> {
        self.cut
            .statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[derive(Default)]
struct Cut {
    armed: AtomicBool,
    statuses: Mutex<Vec<u16>>,
}

/// The panic payload that drops a connection on purpose; the panic hook stays quiet about it.
struct ConnectionCut;

fn quiet_about_cuts() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<ConnectionCut>().is_none() {
                default(info);
            }
        }));
    });
}

fn is_submission(request: &Request<Body>) -> bool {
    let path = request.uri().path();
    request.method() == Method::POST
        && path.starts_with("/api/v1/shops/")
        && path.ends_with("/requests")
}

/// Panicking in the response future makes the connection's task end, so hyper closes the socket
/// without writing an answer: the browser sees the connection drop after the server committed.
async fn cut_after_commit(State(cut): State<Arc<Cut>>, request: Request, next: Next) -> Response {
    let target = is_submission(&request);
    let response = next.run(request).await;
    if target && cut.armed.load(Ordering::SeqCst) {
        cut.statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(response.status().as_u16());
        quiet_about_cuts();
        std::panic::panic_any(ConnectionCut);
    }
    response
}
