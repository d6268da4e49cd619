//! Project automation, so a fresh machine with only the Rust toolchain needs one command.
//!
//! `cargo xtask test` installs what the tests need (idempotently: present tools are skipped)
//! and runs every test. Each step prints what it does before doing it.

use std::process::{Command, ExitCode};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Crates that ship inside the shopper's download and so must build for the browser.
const WASM_CRATES: &[&str] = &["refund-core"];

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("test") => test(),
        Some("run") => run_product(),
        _ => {
            eprintln!(
                "usage: cargo xtask test    install what the tests need, then run every test"
            );
            eprintln!(
                "       cargo xtask run     start the server on ./data with the demo merchant"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn test() -> Result<(), String> {
    ensure_wasm_target()?;
    step("running every test in the workspace");
    cargo(&["test", "--workspace", "--all-targets"])?;
    cargo(&["test", "--workspace", "--doc"])?;
    for krate in WASM_CRATES {
        step(&format!("building {krate} for {WASM_TARGET}"));
        cargo(&[
            "build",
            "--package",
            krate,
            "--target",
            WASM_TARGET,
            "--profile",
            "wasm",
        ])?;
    }
    step("all tests passed");
    Ok(())
}

/// Builds the server in release mode and runs it on a SQLite file under `./data`, seeding the
/// demo merchant and orders (idempotently) and printing their keys and the URL to open.
fn run_product() -> Result<(), String> {
    step("building the server (release)");
    cargo(&["build", "--release", "--package", "refund-server"])?;
    let bind = std::env::var("REFUND_BIND").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    step(&format!(
        "starting on http://{bind} with data in ./data (Ctrl-C stops it)"
    ));
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    run(
        Command::new(format!("{target}/release/refund-server")).args([
            "--data-dir",
            "data",
            "serve",
            "--demo",
            "--bind",
            &bind,
        ]),
    )
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"])?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        step(&format!("{WASM_TARGET} target already installed"));
        return Ok(());
    }
    step(&format!("installing the {WASM_TARGET} target"));
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn step(message: &str) {
    println!("==> {message}");
}

fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run(Command::new(cargo).args(args))
}

fn run(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed with {status}"))
    }
}

fn output(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {} failed with {}",
            args.join(" "),
            out.status
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{program} printed non-UTF-8 output: {e}"))
}
