//! The API as outside clients see it, against a live server: schemathesis (from PyPI) derives
//! requests from the OpenAPI document with every check on, and a TypeScript client generated
//! from the document (openapi-typescript and openapi-fetch, from npm, pinned in
//! `tests/api-client/package-lock.json`) must type-check and run a merchant's integration.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::{apt_install, ensure_npm_packages, find_on_path, output};
use crate::{run, step, target_dir, workspace_root};

const SCHEMATHESIS: &str = "4.32.5";
const DEMO_SECRET_KEY: &str = "sk_test_demo_not_for_production";
const DEMO_PUBLISHABLE_KEY: &str = "pk_test_demo";

/// A server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `method path` with a JSON body on loopback: the status and the body, or `None` when
/// nothing answers.
fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let (_, payload) = response.split_once("\r\n\r\n")?;
    Some((status, payload.to_owned()))
}

/// The string value of `"key": "…"` in a flat JSON text.
fn json_string(text: &str, key: &str) -> Option<String> {
    let start = text.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_owned())
}

/// The number value of `"key": 12` in a JSON text (the first one).
fn json_number(text: &str, key: &str) -> Option<u64> {
    let start = text.find(&format!("\"{key}\":"))? + key.len() + 3;
    let digits: String = text[start..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// The debug server on a fresh SQLite file with the demo merchant, once it answers.
fn start_server(data: &Path) -> Result<(Server, u16), String> {
    let port = free_port()?;
    let binary = target_dir().join("debug").join("refund-server");
    let child = Command::new(&binary)
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--demo", "--deadline-interval", "3600", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", binary.display()))?;
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(port, "GET", "/healthz", "").is_none() {
        if Instant::now() > deadline {
            return Err("the server did not start".to_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((server, port))
}

/// Python 3: schemathesis runs on it, and the server's tests check webhook signatures with its
/// `hmac`, an implementation independent of ours.
pub fn ensure_python() -> Result<PathBuf, String> {
    if find_on_path("python3").is_none() {
        step("installing Python 3 with apt-get");
        apt_install(&["python3", "python3-venv"])?;
    }
    find_on_path("python3").ok_or_else(|| "python3 did not install".to_owned())
}

/// schemathesis in a virtual environment under the target directory.
fn ensure_schemathesis() -> Result<PathBuf, String> {
    let venv = target_dir().join("api-clients").join("venv");
    let bin = venv.join("bin").join("schemathesis");
    let version = output(bin.to_str().unwrap_or_default(), &["--version"]);
    if version.as_deref().is_some_and(|v| v.contains(SCHEMATHESIS)) {
        step(&format!("schemathesis already installed ({SCHEMATHESIS})"));
        return Ok(bin);
    }
    step(&format!("installing schemathesis {SCHEMATHESIS} from PyPI"));
    let python = ensure_python()?;
    if run(Command::new(&python).arg("-m").arg("venv").arg(&venv)).is_err() {
        // Debian splits venv out of its python3.
        apt_install(&["python3-venv"])?;
        run(Command::new(&python).arg("-m").arg("venv").arg(&venv))?;
    }
    run(Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("schemathesis=={SCHEMATHESIS}")))?;
    Ok(bin)
}

/// Generates the client from the live document, type-checks the integration, runs it.
fn typescript_client(dir: &Path, port: u16) -> Result<(), String> {
    let url = format!("http://127.0.0.1:{port}");
    let npx = |args: &[&str]| {
        run(Command::new("npx")
            .args(args)
            .current_dir(dir)
            .env("REFUND_URL", &url)
            .env("REFUND_SECRET_KEY", DEMO_SECRET_KEY)
            .env("REFUND_PUBLISHABLE_KEY", DEMO_PUBLISHABLE_KEY))
    };
    npx(&[
        "openapi-typescript",
        &format!("{url}/api/openapi.json"),
        "-o",
        "src/schema.d.ts",
    ])?;
    npx(&["tsc", "--noEmit"])?;
    npx(&["tsx", "src/integration.ts"])
}

/// schemathesis over every operation, as the merchant (secret key) and as a shopper (a
/// session for a demo order), every check on.
fn schemathesis(bin: &Path, port: u16, work: &Path) -> Result<(), String> {
    let (status, body) = http(
        port,
        "POST",
        &format!("/api/v1/shops/{DEMO_PUBLISHABLE_KEY}/session"),
        r#"{"order_number": "DEMO-1001", "email": "demo@example.com"}"#,
    )
    .ok_or("the server did not answer the session")?;
    let session = json_string(&body, "session")
        .filter(|_| status == 200)
        .ok_or_else(|| format!("no shopper session: {status} {body}"))?;
    // Valid by the schema but refused by a rule the schema cannot state (payments that do not
    // add up, an unknown cursor, bytes that are not an image): a 400, 409, 415 or 422 with a
    // catalog code is the right answer there, so those count as accepting schema-valid data.
    let config = format!(
        r#"base-url = "http://127.0.0.1:{port}"
request-timeout = 10
seed = 42

[generation]
max-examples = 50
database = "none"

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "415", "422", "429"]

[auth.openapi.merchant_key]
bearer = "{DEMO_SECRET_KEY}"

[auth.openapi.shopper_session]
bearer = "{session}"
"#
    );
    let config_path = work.join("schemathesis.toml");
    std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
    let report = work.join("schemathesis.json");
    let outcome = run(Command::new(bin)
        .arg("--config-file")
        .arg(&config_path)
        .arg("run")
        .arg(format!("http://127.0.0.1:{port}/api/openapi.json"))
        .args(["--workers", "1", "--report", "json", "--report-json-path"])
        .arg(&report)
        .current_dir(work));
    let figures = std::fs::read_to_string(&report).unwrap_or_default();
    step(&format!(
        "schemathesis: {} operations tested, {} test cases, {} with failures",
        json_number(&figures, "tested").unwrap_or(0),
        json_number(&figures, "generated").unwrap_or(0),
        json_number(&figures, "with_failures").unwrap_or(0),
    ));
    outcome
}

/// Both clients against one live server on the demo data.
pub fn check_api() -> Result<(), String> {
    let client = workspace_root().join("tests").join("api-client");
    let schemathesis_bin = ensure_schemathesis()?;
    ensure_npm_packages(&client, "the TypeScript client's packages")?;
    let work = target_dir().join("api-clients").join("run");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let (server, port) = start_server(&work.join("data"))?;
    typescript_client(&client, port)?;
    schemathesis(&schemathesis_bin, port, &work)?;
    drop(server);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_string_and_a_number_out_of_json_text() {
        let text = r#"{"session":"abc.def","n":{"tested": 26, "generated":2923}}"#;
        assert_eq!(json_string(text, "session").as_deref(), Some("abc.def"));
        assert_eq!(json_number(text, "tested"), Some(26));
        assert_eq!(json_number(text, "generated"), Some(2923));
        assert_eq!(json_number(text, "missing"), None);
    }
}
