//! Load benchmark: the real app over real loopback HTTP/1.1, against two baselines measured in the
//! same run, so the ratios say how far the refund logic is from "axum alone" and "SQLite alone".
//!
//! `cargo bench -p refund-server --bench load`
//!
//! Four scenarios, each 64 concurrent clients for at most `MAX_REQUESTS` requests or `MAX_TIME`,
//! whichever comes first (the whole run stops by itself in well under a minute):
//!
//! 1. `POST /api/v1/shops/{pk}/quote` — reads the order, policy and requests, quotes.
//! 2. `POST /api/v1/shops/{pk}/requests` — a real submission: idempotency claim, then the decision
//!    inside a `BEGIN IMMEDIATE` transaction, each a durable (`synchronous = FULL`) commit.
//! 3. A bare axum router echoing the same JSON body: the HTTP stack's ceiling on this machine.
//! 4. Raw sqlx single-row inserts, one `BEGIN IMMEDIATE` transaction each, with the store's
//!    settings: SQLite's durable-commit ceiling on this disk.
//!
//! Clients and server share one tokio runtime (the machine has 2 cores), exactly as they share
//! the CPU; every address is on 127.0.0.1.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode, header};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{TimeDelta, Utc};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper_util::rt::TokioIo;
use refund_server::clock::SystemClock;
use refund_server::service::create_merchant;
use refund_server::store::Store;
use refund_server::store::sqlite::SqliteStore;
use serde_json::{Value, json};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::net::{TcpListener, TcpStream};

const CLIENTS: usize = 64;
const MAX_REQUESTS: usize = 100_000;
const MAX_TIME: Duration = Duration::from_secs(10);
/// Units on each order's one line: far more than one client can submit in `MAX_TIME`, so every
/// submission (1 unit) is eligible and none fails for lack of units.
const UNITS: u32 = 100_000;

// ---------------------------------------------------------------------------------------------
// Measuring

/// The shared stop condition: at most `MAX_REQUESTS` started, nothing started after `MAX_TIME`.
struct Budget {
    started: AtomicUsize,
    deadline: Instant,
}

impl Budget {
    fn take(&self) -> bool {
        Instant::now() < self.deadline
            && self.started.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS
    }
}

/// One client's results. Errors count in the latencies too: a fast failure must not hide.
#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

impl Samples {
    /// Times one operation; `Err` is a transport failure or an unexpected status.
    async fn record(&mut self, op: impl Future<Output = Result<(), String>>) {
        let start = Instant::now();
        let result = op.await;
        self.latencies.push(start.elapsed());
        if let Err(e) = result {
            self.errors += 1;
            self.first_error.get_or_insert(e);
        }
    }
}

struct Row {
    name: &'static str,
    requests: usize,
    errors: usize,
    first_error: Option<String>,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs one worker future per client, all against the same budget, and summarises them. The
/// clock includes the whole run: throughput is completed requests over wall time.
async fn measure<Fut>(name: &'static str, workers: impl FnOnce(Arc<Budget>) -> Vec<Fut>) -> Row
where
    Fut: Future<Output = Samples> + Send + 'static,
{
    let budget = Arc::new(Budget {
        started: AtomicUsize::new(0),
        deadline: Instant::now() + MAX_TIME,
    });
    let start = Instant::now();
    let handles: Vec<_> = workers(budget).into_iter().map(tokio::spawn).collect();
    let mut all = Samples::default();
    for handle in handles {
        let s = handle.await.expect("a client task panicked");
        all.latencies.extend(s.latencies);
        all.errors += s.errors;
        if all.first_error.is_none() {
            all.first_error = s.first_error;
        }
    }
    let elapsed = start.elapsed();
    all.latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((all.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        all.latencies.get(i).copied().unwrap_or_default()
    };
    Row {
        name,
        requests: all.latencies.len(),
        errors: all.errors,
        first_error: all.first_error.take(),
        per_second: all.latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client: one hyper connection per client, kept alive for the whole scenario.

type Conn = SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Conn {
    let stream = TcpStream::connect(addr).await.expect("connect");
    // Requests go out as one write anyway; this only rules out Nagle delays on the client side.
    stream.set_nodelay(true).expect("nodelay");
    let (send, connection) = handshake(TokioIo::new(stream)).await.expect("handshake");
    // The connection task drives the socket; it ends when `send` is dropped.
    tokio::spawn(connection);
    send
}

/// One connection per client, opened before a scenario's clock starts.
async fn connect_all(addr: SocketAddr) -> Vec<Conn> {
    let mut conns = Vec::new();
    for _ in 0..CLIENTS {
        conns.push(connect(addr).await);
    }
    conns
}

/// Sends one request and reads the whole response body (so the connection can be reused).
async fn call(
    conn: &mut Conn,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<(StatusCode, Bytes), String> {
    conn.ready().await.map_err(|e| e.to_string())?;
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "127.0.0.1");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let bytes = match body {
        Some(b) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Bytes::from(b.to_string())
        }
        None => Bytes::new(),
    };
    let request = request.body(Full::new(bytes)).map_err(|e| e.to_string())?;
    let response = conn
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

/// `call`, failing unless the status is `expected`.
async fn expect(
    conn: &mut Conn,
    expected: StatusCode,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Value, String> {
    let (status, bytes) = call(conn, method.clone(), path, headers, body).await?;
    if status != expected {
        return Err(format!(
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("{path}: not JSON: {e}"))
}

/// Serves a router on a fresh loopback port the way `main.rs` does (with connect info).
async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    addr
}

// ---------------------------------------------------------------------------------------------
// Setup: one merchant, a policy, 64 orders, 64 shopper sessions.

/// Auto-approves `quality_issue` without evidence, as `tests/api.rs` does. The recent-request
/// limit is raised so every submission takes the same path (auto-approval) all run long; with
/// the tests' 100, a client passing 100 submissions would switch to manual review midway.
fn policy() -> Value {
    json!({
        "reasons": {"quality_issue": {"evidence_required": false}},
        "auto_approve": {"reasons": ["quality_issue"], "max_recent_requests": 1_000_000},
        "amounts": {"CNY": {"auto_approve_max": "200.00", "return_shipping_fee": "8.00"}}
    })
}

/// A delivered order with one line of `UNITS` units at 1.00, dated relative to the real clock so
/// it stays inside the quality window, and one shopper (email) per order.
fn order(number: &str, n: usize) -> Value {
    let now = Utc::now();
    let paid = format!("{UNITS}.00");
    json!({
        "number": number,
        "currency": "CNY",
        "customer_email": format!("shopper{n}@example.com"),
        "status": "paid",
        "placed_at": now - TimeDelta::days(3),
        "shipped_at": now - TimeDelta::days(2),
        "delivered_at": now - TimeDelta::days(1),
        "lines": [{"id": "L1", "sku": "SOCK", "title": "Socks", "unit_price": "1.00",
                   "quantity": UNITS, "category": "apparel"}],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": paid}]
    })
}

fn one_unit(expected_total: &str) -> Value {
    json!({
        "kind": "return_and_refund", "reason": "quality_issue",
        "lines": [{"line_id": "L1", "quantity": 1}], "goods_intact": true,
        "expected_total": expected_total
    })
}

struct Shopper {
    number: String,
    auth: String,
}

// ---------------------------------------------------------------------------------------------
// The raw SQLite baseline.

/// Opens a pool with the store's own settings (`SqliteStore::options`: WAL, `synchronous = FULL`,
/// a 30 s busy timeout), 8 connections, the first connection switching the file to WAL alone.
async fn raw_pool(path: &std::path::Path) -> sqlx::SqlitePool {
    let options = SqliteStore::options(path);
    let mut first = options.connect().await.expect("open raw db");
    sqlx::query(
        "CREATE TABLE rows (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL)",
    )
    .execute(&mut first)
    .await
    .expect("create table");
    first.close().await.expect("close");
    SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .connect_with(options)
        .await
        .expect("raw pool")
}

async fn raw_insert(pool: &sqlx::SqlitePool, key: &str, body: &str) -> Result<(), String> {
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("INSERT INTO rows (key, body) VALUES (?, ?)")
        .bind(key)
        .bind(body)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it, and
    // a minute of load is not a test.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load benchmark skipped: run it with `cargo bench -p refund-server --bench load`");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("refunds.db"))
            .await
            .expect("open store"),
    );
    let (router, _state) = refund_server::app(
        store.clone(),
        Arc::new(SystemClock),
        refund_server::Settings::new("http://127.0.0.1"),
    );
    let app = serve(router).await;
    let echo =
        serve(Router::new().route("/echo", post(|Json(v): Json<Value>| async { Json(v) }))).await;

    // Setup, over HTTP on one connection.
    let created = create_merchant(store.as_ref(), "Load", Vec::new())
        .await
        .expect("merchant");
    let pk = created.merchant.publishable_key;
    let sk = format!("Bearer {}", created.secret_key);
    let merchant = [(header::AUTHORIZATION.as_str(), sk.as_str())];
    let mut setup = connect(app).await;
    expect(
        &mut setup,
        StatusCode::OK,
        Method::PUT,
        "/api/v1/merchant/policy",
        &merchant,
        Some(&policy()),
    )
    .await
    .expect("policy");
    let mut shoppers = Vec::new();
    for n in 0..CLIENTS {
        let number = format!("LOAD{n:03}");
        let path = format!("/api/v1/merchant/orders/{number}");
        expect(
            &mut setup,
            StatusCode::CREATED,
            Method::PUT,
            &path,
            &merchant,
            Some(&order(&number, n)),
        )
        .await
        .expect("order");
        let link_path = format!("/api/v1/merchant/orders/{number}/links");
        let link = expect(
            &mut setup,
            StatusCode::OK,
            Method::POST,
            &link_path,
            &merchant,
            Some(&json!({})),
        )
        .await
        .expect("link");
        let session_path = format!("/api/v1/shops/{pk}/session");
        let session = expect(
            &mut setup,
            StatusCode::OK,
            Method::POST,
            &session_path,
            &[],
            Some(&json!({"token": link["token"]})),
        )
        .await
        .expect("session");
        let token = session["session"].as_str().expect("session token");
        shoppers.push(Shopper {
            number,
            auth: format!("Bearer {token}"),
        });
    }
    // The total a shopper would be shown for one unit: submissions must send exactly it.
    let quote_path = format!("/api/v1/shops/{pk}/quote");
    let shown = expect(
        &mut setup,
        StatusCode::OK,
        Method::POST,
        &quote_path,
        &[(header::AUTHORIZATION.as_str(), &shoppers[0].auth)],
        Some(&one_unit("0")),
    )
    .await
    .expect("quote");
    assert_eq!(shown["outcome"], "eligible", "setup quote: {shown}");
    let total = shown["total"].as_str().expect("total").to_owned();

    let shoppers = Arc::new(shoppers);
    let mut rows = Vec::new();

    // (1) Quote: each client quotes its own order.
    let conns = connect_all(app).await;
    let body = Arc::new(one_unit("0"));
    rows.push(
        measure("POST quote", |budget| {
            conns
                .into_iter()
                .enumerate()
                .map(|(i, mut conn)| {
                    let (budget, body, shoppers, path) = (
                        budget.clone(),
                        body.clone(),
                        shoppers.clone(),
                        quote_path.clone(),
                    );
                    async move {
                        let auth = [(header::AUTHORIZATION.as_str(), shoppers[i].auth.as_str())];
                        let mut s = Samples::default();
                        while budget.take() {
                            s.record(async {
                                let q = expect(
                                    &mut conn,
                                    StatusCode::OK,
                                    Method::POST,
                                    &path,
                                    &auth,
                                    Some(&body),
                                )
                                .await?;
                                Some(&q["outcome"])
                                    .filter(|o| *o == "eligible")
                                    .map(drop)
                                    .ok_or(format!("quote: {q}"))
                            })
                            .await;
                        }
                        s
                    }
                })
                .collect()
        })
        .await,
    );

    // (2) Submit: one unit per submission, a fresh Idempotency-Key each, the total shown above.
    // Each client submits on its own order, so an order collects ~100 requests in the run, and
    // each submission re-reads that order's whole history: later submissions cost a bit more.
    let conns = connect_all(app).await;
    let body = Arc::new(one_unit(&total));
    let submit_path = format!("/api/v1/shops/{pk}/requests");
    rows.push(
        measure("POST submit", |budget| {
            conns
                .into_iter()
                .enumerate()
                .map(|(i, mut conn)| {
                    let (budget, body, shoppers, path) = (
                        budget.clone(),
                        body.clone(),
                        shoppers.clone(),
                        submit_path.clone(),
                    );
                    async move {
                        let mut s = Samples::default();
                        for seq in 0.. {
                            if !budget.take() {
                                break;
                            }
                            let key = format!("load-{i}-{seq}");
                            let headers = [
                                (header::AUTHORIZATION.as_str(), shoppers[i].auth.as_str()),
                                ("idempotency-key", key.as_str()),
                            ];
                            s.record(async {
                                let r = expect(
                                    &mut conn,
                                    StatusCode::CREATED,
                                    Method::POST,
                                    &path,
                                    &headers,
                                    Some(&body),
                                )
                                .await?;
                                Some(&r["state"])
                                    .filter(|st| *st == "approved")
                                    .map(drop)
                                    .ok_or(format!("submit: {r}"))
                            })
                            .await;
                        }
                        s
                    }
                })
                .collect()
        })
        .await,
    );

    // (3) Baseline: the same JSON body through a bare axum router.
    let conns = connect_all(echo).await;
    let body = Arc::new(one_unit(&total));
    rows.push(
        measure("axum JSON echo", |budget| {
            conns
                .into_iter()
                .map(|mut conn| {
                    let (budget, body) = (budget.clone(), body.clone());
                    async move {
                        let mut s = Samples::default();
                        while budget.take() {
                            s.record(async {
                                let v = expect(
                                    &mut conn,
                                    StatusCode::OK,
                                    Method::POST,
                                    "/echo",
                                    &[],
                                    Some(&body),
                                )
                                .await?;
                                (v == *body)
                                    .then_some(())
                                    .ok_or_else(|| "echo differs".to_owned())
                            })
                            .await;
                        }
                        s
                    }
                })
                .collect()
        })
        .await,
    );

    // (4) Baseline: durable single-row inserts on a separate file, same settings, no HTTP.
    let pool = raw_pool(&dir.path().join("raw.db")).await;
    let row_body = Arc::new(one_unit(&total).to_string());
    rows.push(
        measure("raw SQLite insert", |budget| {
            (0..CLIENTS)
                .map(|i| {
                    let (budget, pool, row_body) = (budget.clone(), pool.clone(), row_body.clone());
                    async move {
                        let mut s = Samples::default();
                        for seq in 0.. {
                            if !budget.take() {
                                break;
                            }
                            s.record(raw_insert(&pool, &format!("raw-{i}-{seq}"), &row_body))
                                .await;
                        }
                        s
                    }
                })
                .collect()
        })
        .await,
    );

    // Integrity after load: the server holds exactly the requests it acknowledged with 201.
    let mut stored = 0;
    for shopper in shoppers.iter() {
        let path = format!("/api/v1/merchant/orders/{}", shopper.number);
        let view = expect(
            &mut setup,
            StatusCode::OK,
            Method::GET,
            &path,
            &merchant,
            None,
        )
        .await
        .expect("order view");
        stored += view["requests"].as_array().map_or(0, Vec::len);
    }
    // An error here is any non-201 (or a 201 not auto-approved), so this is a lower bound.
    let acknowledged = rows[1].requests - rows[1].errors;

    println!();
    println!(
        "{CLIENTS} clients, at most {MAX_REQUESTS} requests or {} s per scenario, loopback HTTP/1.1 keep-alive",
        MAX_TIME.as_secs()
    );
    println!(
        "{:<20} {:>9} {:>7} {:>10} {:>9} {:>9}",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for r in &rows {
        println!(
            "{:<20} {:>9} {:>7} {:>10.0} {:>9.2} {:>9.2}",
            r.name,
            r.requests,
            r.errors,
            r.per_second,
            ms(r.p50),
            ms(r.p99)
        );
    }
    let (quote, submit, echo, raw) = (&rows[0], &rows[1], &rows[2], &rows[3]);
    println!(
        "quote / echo:        throughput {:.3}, p50 latency {:.1}x",
        quote.per_second / echo.per_second,
        ms(quote.p50) / ms(echo.p50)
    );
    println!(
        "submit / raw insert: throughput {:.3}, p50 latency {:.1}x",
        submit.per_second / raw.per_second,
        ms(submit.p50) / ms(raw.p50)
    );
    println!("submissions acknowledged 201: {acknowledged}, requests stored: {stored}");
    for r in &rows {
        if let Some(e) = &r.first_error {
            println!("first error in {}: {e}", r.name);
        }
    }
    if submit.errors > 0 || stored != acknowledged {
        println!("BUG: submissions failed under load or the store disagrees with the 201s");
    }
}
