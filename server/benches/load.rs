//! Load benchmark: the real app over real loopback HTTP/1.1, against baselines measured in the
//! same run, so the ratios say how far the refund logic is from "axum alone" and "the database
//! alone".
//!
//! `cargo bench -p refund-server --bench load` runs it on SQLite; with
//! `REFUND_BENCH_POSTGRES_URL` (a cluster where it may create databases) on PostgreSQL too.
//! `cargo xtask bench` starts a throwaway PostgreSQL and runs both.
//!
//! Every scenario is 64 concurrent clients for at most `MAX_REQUESTS` requests or `MAX_TIME`,
//! whichever comes first:
//!
//! - `quote`: `POST /api/v1/shops/{pk}/quote`, each client on its own order.
//! - `submit`: `POST /api/v1/shops/{pk}/requests`, a real submission with a fresh
//!   Idempotency-Key: key, decision, request, audit trail and answer in one durable commit.
//! - On PostgreSQL both again with three app instances (each its own pool and caches) on one
//!   database, the clients spread over them.
//! - `axum JSON echo`: a bare router echoing the same body: the HTTP stack's ceiling here.
//! - `raw insert`: sqlx single-row inserts, one transaction each, with the store's settings
//!   (SQLite: WAL, `synchronous = FULL`, `BEGIN IMMEDIATE`; PostgreSQL:
//!   `synchronous_commit = on`): each database's durable-commit ceiling on this disk.
//!
//! Clients and servers share one tokio runtime (the machine has 2 cores), exactly as they share
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
use refund_server::store::sqlite::SqliteStore;
use refund_server::store::{Database, Store};
use serde_json::{Value, json};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
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
    name: String,
    requests: usize,
    errors: usize,
    first_error: Option<String>,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs one worker future per client, all against the same budget, and summarises them. The
/// clock includes the whole run: throughput is completed requests over wall time.
async fn measure<Fut>(name: String, workers: impl FnOnce(Arc<Budget>) -> Vec<Fut>) -> Row
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

/// Serves a router on a fresh loopback port the way `main.rs` does.
async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let limits = refund_server::http::Limits::default();
    tokio::spawn(refund_server::http::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
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

/// The app on one database: its instances' addresses, and the shoppers set up on it.
struct Deployment {
    instances: Vec<SocketAddr>,
    pk: String,
    merchant_auth: String,
    shoppers: Arc<Vec<String>>,
    numbers: Vec<String>,
    /// What one unit's quote totals: submissions send exactly it.
    total: String,
}

/// Starts one app instance per store (all on the same database) and sets up the merchant,
/// its policy and `CLIENTS` orders with a shopper session each, over HTTP on the first.
async fn deploy(stores: Vec<Arc<dyn Store>>) -> Deployment {
    let mut instances = Vec::new();
    for store in &stores {
        let (router, _) = refund_server::app(
            store.clone(),
            Arc::new(SystemClock),
            refund_server::Settings::new("http://127.0.0.1"),
        );
        instances.push(serve(router).await);
    }
    let created = create_merchant(stores[0].as_ref(), "Load", Vec::new(), Utc::now())
        .await
        .expect("merchant");
    let pk = created.merchant.publishable_key;
    let merchant_auth = format!("Bearer {}", created.secret_key);
    let merchant = [(header::AUTHORIZATION.as_str(), merchant_auth.as_str())];
    let mut setup = connect(instances[0]).await;
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
    let mut numbers = Vec::new();
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
        let link = expect(
            &mut setup,
            StatusCode::OK,
            Method::POST,
            &format!("/api/v1/merchant/orders/{number}/links"),
            &merchant,
            Some(&json!({})),
        )
        .await
        .expect("link");
        let session = expect(
            &mut setup,
            StatusCode::OK,
            Method::POST,
            &format!("/api/v1/shops/{pk}/session"),
            &[],
            Some(&json!({"token": link["token"]})),
        )
        .await
        .expect("session");
        let token = session["session"].as_str().expect("session token");
        shoppers.push(format!("Bearer {token}"));
        numbers.push(number);
    }
    let shown = expect(
        &mut setup,
        StatusCode::OK,
        Method::POST,
        &format!("/api/v1/shops/{pk}/quote"),
        &[(header::AUTHORIZATION.as_str(), &shoppers[0])],
        Some(&one_unit("0")),
    )
    .await
    .expect("quote");
    assert_eq!(shown["outcome"], "eligible", "setup quote: {shown}");
    Deployment {
        instances,
        pk,
        merchant_auth,
        shoppers: Arc::new(shoppers),
        numbers,
        total: shown["total"].as_str().expect("total").to_owned(),
    }
}

/// One connection per client, client `i` to instance `i mod n`.
async fn connect_spread(instances: &[SocketAddr]) -> Vec<Conn> {
    let mut conns = Vec::new();
    for i in 0..CLIENTS {
        conns.push(connect(instances[i % instances.len()]).await);
    }
    conns
}

/// One request of a load scenario, and what its answer must be.
struct Call {
    path: Arc<String>,
    headers: Vec<(&'static str, String)>,
    body: Arc<Value>,
    status: StatusCode,
    /// Whether the answer is right, beyond its status.
    check: fn(&Value, &Value) -> bool,
}

/// `CLIENTS` clients on `instances` (client `i` on instance `i mod n`), each sending its
/// `seq`-th request as `call(i, seq)` says, until the budget runs out.
async fn http_load(
    name: String,
    instances: &[SocketAddr],
    call: impl Fn(usize, usize) -> Call + Clone + Send + 'static,
) -> Row {
    let conns = connect_spread(instances).await;
    measure(name, |budget| {
        conns
            .into_iter()
            .enumerate()
            .map(|(i, mut conn)| {
                let (budget, call) = (budget.clone(), call.clone());
                async move {
                    let mut s = Samples::default();
                    for seq in 0.. {
                        if !budget.take() {
                            break;
                        }
                        let c = call(i, seq);
                        let headers: Vec<(&str, &str)> =
                            c.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                        s.record(async {
                            let answer = expect(
                                &mut conn,
                                c.status,
                                Method::POST,
                                &c.path,
                                &headers,
                                Some(&c.body),
                            )
                            .await?;
                            (c.check)(&answer, &c.body)
                                .then_some(())
                                .ok_or(format!("{}: {answer}", c.path))
                        })
                        .await;
                    }
                    s
                }
            })
            .collect()
    })
    .await
}

/// Quotes: each client quotes one unit of its own order.
async fn quote_load(name: String, d: &Deployment) -> Row {
    let (body, path) = (
        Arc::new(one_unit("0")),
        Arc::new(format!("/api/v1/shops/{}/quote", d.pk)),
    );
    let shoppers = d.shoppers.clone();
    http_load(name, &d.instances, move |i, _| Call {
        path: path.clone(),
        headers: vec![(header::AUTHORIZATION.as_str(), shoppers[i].clone())],
        body: body.clone(),
        status: StatusCode::OK,
        check: |quote, _| quote["outcome"] == "eligible",
    })
    .await
}

/// Submissions: one unit each, a fresh Idempotency-Key each, the total shown at setup. Each
/// client submits on its own order, so an order collects its requests over the run.
async fn submit_load(name: String, d: &Deployment) -> Row {
    let (body, path) = (
        Arc::new(one_unit(&d.total)),
        Arc::new(format!("/api/v1/shops/{}/requests", d.pk)),
    );
    let shoppers = d.shoppers.clone();
    http_load(name, &d.instances, move |i, seq| Call {
        path: path.clone(),
        headers: vec![
            (header::AUTHORIZATION.as_str(), shoppers[i].clone()),
            ("idempotency-key", format!("load-{i}-{seq}")),
        ],
        body: body.clone(),
        status: StatusCode::CREATED,
        check: |request, _| request["state"] == "approved",
    })
    .await
}

/// After load: the database holds exactly the requests acknowledged with 201.
async fn count_stored(d: &Deployment) -> usize {
    let mut conn = connect(d.instances[0]).await;
    let merchant = [(header::AUTHORIZATION.as_str(), d.merchant_auth.as_str())];
    let mut stored = 0;
    for number in &d.numbers {
        let view = expect(
            &mut conn,
            StatusCode::OK,
            Method::GET,
            &format!("/api/v1/merchant/orders/{number}"),
            &merchant,
            None,
        )
        .await
        .expect("order view");
        stored += view["requests"].as_array().map_or(0, Vec::len);
    }
    stored
}

/// Quote and submit on a deployment; checks the store against the acknowledgements.
async fn app_load(label: &str, stores: Vec<Arc<dyn Store>>, rows: &mut Vec<Row>) {
    let d = deploy(stores).await;
    rows.push(quote_load(format!("{label} quote"), &d).await);
    let submit = submit_load(format!("{label} submit"), &d).await;
    // An error is any non-201 (or a 201 not auto-approved), so this is a lower bound.
    let acknowledged = submit.requests - submit.errors;
    let stored = count_stored(&d).await;
    println!("{label}: submissions acknowledged 201: {acknowledged}, requests stored: {stored}");
    if submit.errors > 0 || stored != acknowledged {
        println!(
            "BUG: {label}: submissions failed under load or the store disagrees with the 201s"
        );
    }
    rows.push(submit);
}

// ---------------------------------------------------------------------------------------------
// The raw-insert baselines.

/// Durable single-row inserts from `CLIENTS` clients, one transaction each.
async fn raw_load<F, Fut>(name: String, insert: F) -> Row
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    measure(name, |budget| {
        (0..CLIENTS)
            .map(|i| {
                let (budget, insert) = (budget.clone(), insert.clone());
                async move {
                    let mut s = Samples::default();
                    for seq in 0.. {
                        if !budget.take() {
                            break;
                        }
                        s.record(insert(format!("raw-{i}-{seq}"))).await;
                    }
                    s
                }
            })
            .collect()
    })
    .await
}

const RAW_TABLE: &str =
    "CREATE TABLE rows (id BIGINT PRIMARY KEY, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL)";

/// SQLite with the store's own settings (`SqliteStore::options`: WAL, `synchronous = FULL`, a
/// 30 s busy timeout), 8 connections, the first connection switching the file to WAL alone.
async fn raw_sqlite(path: &std::path::Path, body: Arc<String>) -> Row {
    let options = SqliteStore::options(path);
    let mut first = options.connect().await.expect("open raw db");
    sqlx::query(&RAW_TABLE.replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY"))
        .execute(&mut first)
        .await
        .expect("create table");
    first.close().await.expect("close");
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .connect_with(options)
        .await
        .expect("raw pool");
    raw_load("SQLite raw insert".to_owned(), move |key| {
        let (pool, body) = (pool.clone(), body.clone());
        async move {
            let mut tx = pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query("INSERT INTO rows (key, body) VALUES (?, ?)")
                .bind(key)
                .bind(body.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())
        }
    })
    .await
}

/// PostgreSQL with a pool the size of one instance's (16), `synchronous_commit = on`.
async fn raw_postgres(url: &str, body: Arc<String>) -> Row {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(url)
        .await
        .expect("raw pool");
    sqlx::query("SET synchronous_commit = on")
        .execute(&pool)
        .await
        .expect("synchronous_commit");
    let on: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(&pool)
        .await
        .expect("show synchronous_commit");
    assert_eq!(on, "on", "the server's default must be durable commits");
    sqlx::query(&RAW_TABLE.replace("BIGINT PRIMARY KEY", "BIGSERIAL PRIMARY KEY"))
        .execute(&pool)
        .await
        .expect("create table");
    raw_load("PostgreSQL raw insert".to_owned(), move |key| {
        let (pool, body) = (pool.clone(), body.clone());
        async move {
            let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
            sqlx::query("INSERT INTO rows (key, body) VALUES ($1, $2)")
                .bind(key)
                .bind(body.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())
        }
    })
    .await
}

/// A new, empty database in the cluster at `admin_url`; its URL.
async fn fresh_postgres(admin_url: &str, name: &str) -> String {
    let mut admin = PgConnection::connect(admin_url).await.expect("PostgreSQL");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create");
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    format!("{base}/{name}")
}

async fn postgres_stores(url: &str, instances: usize) -> Vec<Arc<dyn Store>> {
    let mut stores = Vec::new();
    for _ in 0..instances {
        let database = Database::Postgres {
            url: url.to_owned(),
            max_connections: 16,
        };
        stores.push(
            refund_server::store::open(&database)
                .await
                .expect("open store"),
        );
    }
    stores
}

// ---------------------------------------------------------------------------------------------

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it, and
    // minutes of load are not a test.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load benchmark skipped: run it with `cargo bench -p refund-server --bench load`");
        return;
    }
    let postgres = std::env::var("REFUND_BENCH_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = Vec::new();

    let sqlite: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("refunds.db"))
            .await
            .expect("open store"),
    );
    app_load("SQLite", vec![sqlite], &mut rows).await;
    if let Some(admin) = &postgres {
        for instances in [1, 3] {
            let url = fresh_postgres(admin, &format!("refund_bench_{instances}")).await;
            let label = format!("PostgreSQL x{instances}");
            app_load(&label, postgres_stores(&url, instances).await, &mut rows).await;
        }
    } else {
        println!("PostgreSQL skipped: set REFUND_BENCH_POSTGRES_URL, or run `cargo xtask bench`");
    }

    // Baselines: the same JSON body through a bare axum router, and raw durable inserts.
    let echo =
        serve(Router::new().route("/echo", post(|Json(v): Json<Value>| async { Json(v) }))).await;
    let (body, path) = (Arc::new(one_unit("1.00")), Arc::new("/echo".to_owned()));
    rows.push(
        http_load("axum JSON echo".to_owned(), &[echo], move |_, _| Call {
            path: path.clone(),
            headers: Vec::new(),
            body: body.clone(),
            status: StatusCode::OK,
            check: |echoed, sent| echoed == sent,
        })
        .await,
    );
    let row_body = Arc::new(one_unit("1.00").to_string());
    rows.push(raw_sqlite(&dir.path().join("raw.db"), row_body.clone()).await);
    if let Some(admin) = &postgres {
        let url = fresh_postgres(admin, "refund_bench_raw").await;
        rows.push(raw_postgres(&url, row_body).await);
    }

    println!();
    println!(
        "{CLIENTS} clients, at most {MAX_REQUESTS} requests or {} s per scenario, loopback HTTP/1.1 keep-alive",
        MAX_TIME.as_secs()
    );
    println!(
        "{:<28} {:>9} {:>7} {:>10} {:>9} {:>9}",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for r in &rows {
        println!(
            "{:<28} {:>9} {:>7} {:>10.0} {:>9.2} {:>9.2}",
            r.name,
            r.requests,
            r.errors,
            r.per_second,
            ms(r.p50),
            ms(r.p99)
        );
    }
    let find = |name: &str| rows.iter().find(|r| r.name == name);
    let echo = find("axum JSON echo").expect("echo row");
    for r in rows.iter().filter(|r| r.name.ends_with(" quote")) {
        println!(
            "{:<28} throughput {:.3} of the echo",
            r.name,
            r.per_second / echo.per_second
        );
    }
    for r in rows.iter().filter(|r| r.name.ends_with(" submit")) {
        let raw = if r.name.starts_with("SQLite") {
            find("SQLite raw insert")
        } else {
            find("PostgreSQL raw insert")
        };
        if let Some(raw) = raw {
            println!(
                "{:<28} throughput {:.3} of {}",
                r.name,
                r.per_second / raw.per_second,
                raw.name
            );
        }
    }
    for r in &rows {
        if let Some(e) = &r.first_error {
            println!("first error in {}: {e}", r.name);
        }
    }
}
