//! A webhook receiver on loopback: records every delivery (headers and body, when it came)
//! and answers with the statuses it is told to, then 200.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// One delivery as it arrived.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
    pub body: String,
    pub at: Instant,
    /// The wall clock when it came, to set against the event's `timestamp`.
    pub received_at: chrono::DateTime<chrono::Utc>,
}

impl Delivery {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON event")
    }

    /// From the event's commit (its `timestamp`, taken in the transaction) to its arrival.
    pub fn latency(&self) -> chrono::TimeDelta {
        let at: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(self.json()["timestamp"].clone()).expect("a timestamp");
        self.received_at - at
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Delivery>>,
    answers: Mutex<VecDeque<u16>>,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    shared.received.lock().unwrap().push(Delivery {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp").parse().unwrap_or_default(),
        signature: header("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
        received_at: chrono::Utc::now(),
    });
    let status = shared.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, shared, task }
    }

    /// The next deliveries are answered with `statuses`, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.shared.answers.lock().unwrap().extend(statuses);
    }

    pub fn received(&self) -> Vec<Delivery> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until at least `count` deliveries came.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} deliveries came",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Verifies a delivery's signature with Python's own `hmac`, an implementation independent of
/// the server's: the Standard Webhooks scheme, `v1,` + base64(HMAC-SHA256(key, id.ts.body)).
pub fn python_verifies(secret: &str, delivery: &Delivery) -> bool {
    const SCRIPT: &str = r#"
import base64, hashlib, hmac, sys
secret, msg_id, ts, header = sys.argv[1:5]
body = sys.stdin.buffer.read()
key = base64.b64decode(secret.removeprefix("whsec_"))
mac = hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256)
expected = "v1," + base64.b64encode(mac.digest()).decode()
given = header.split(" ")
sys.exit(0 if any(hmac.compare_digest(expected, g) for g in given) else 1)
"#;
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(secret)
        .arg(&delivery.id)
        .arg(delivery.timestamp.to_string())
        .arg(&delivery.signature)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 checks the signatures (cargo xtask test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(delivery.body.as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}
