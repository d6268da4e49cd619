//! The real `refund-server` binary as a child process, and a minimal HTTP/1.1 client for it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::TestDb;

/// The demo merchant's secret key, as a bearer header value.
pub const SK: &str = "Bearer sk_test_demo_not_for_production";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process; killed with SIGKILL when dropped.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Server {
    /// Starts the binary on `db` at a free port (seeding the demo merchant when `demo`), with
    /// `extra` arguments to `serve`, and waits until `/healthz` answers.
    pub fn start(db: &TestDb, demo: bool, extra: &[&str]) -> Server {
        Server::start_on(db, free_port(), demo, extra)
    }

    pub fn start_on(db: &TestDb, port: u16, demo: bool, extra: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_refund-server"));
        command
            .args(db.args())
            .args(["serve", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if demo {
            command.arg("--demo");
        }
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while http(port, "GET", "/healthz", &[], None).is_none() {
            if let Some(exit) = child.try_wait().unwrap() {
                panic!("the server exited at start: {exit}");
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { port, child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and wait until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself; `None` if it is still running after `within`.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                return Some(exit);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Option<(u16, Value)> {
        http(self.port, method, path, headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Status and JSON body, or `None` when nothing listens or the connection broke.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
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

/// A shopper session for a demo-merchant order, through a signed link: the bearer header value.
pub fn shopper_session(server: &Server, order_number: &str) -> String {
    let (status, link) = server
        .call(
            "POST",
            &format!("/api/v1/merchant/orders/{order_number}/links"),
            &[("Authorization", SK)],
            Some(&serde_json::json!({})),
        )
        .unwrap();
    assert_eq!(status, 200, "{link}");
    let (status, session) = server
        .call(
            "POST",
            "/api/v1/shops/pk_test_demo/session",
            &[],
            Some(&serde_json::json!({"token": link["token"]})),
        )
        .unwrap();
    assert_eq!(status, 200, "{session}");
    format!("Bearer {}", session["session"].as_str().unwrap())
}
