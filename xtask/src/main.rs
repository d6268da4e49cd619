//! Project automation, so a fresh machine with only the Rust toolchain needs one command.
//!
//! `cargo xtask test` installs what the tests need (idempotently: present tools are skipped)
//! and runs every test; `cargo xtask run` installs what the build needs, builds the widget and
//! the server, and starts the server. Each step prints what it does before doing it and how long
//! it took after. Both run from the workspace root, wherever they are started.

mod clients;
mod postgres;
mod tools;
mod widget;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use tools::{
    WASM_TARGET, chromedriver_path, ensure_axe, ensure_binaryen, ensure_chromium, ensure_trunk,
    ensure_wasm_bindgen, ensure_wasm_target,
};

/// Crates that must build for the browser: what ships in the shopper's download, and the two
/// that weigh its floors.
const WASM_CRATES: &[&str] = &["refund-core", "refund-core-size", "leptos-floor"];

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let task: fn(&mut Steps) -> Result<(), String> = match task.as_deref() {
        Some("test") => test,
        Some("run") => run_product,
        Some("widget") => widget_only,
        Some("core-size") => core_size,
        Some("bench") => bench,
        _ => {
            eprintln!(
                "usage: cargo xtask test    install what the tests need, then run every test"
            );
            eprintln!(
                "       cargo xtask run     build the widget and the server, then start the server on ./data with the demo merchant"
            );
            eprintln!("       cargo xtask widget  build the widget (release) into ./dist");
            eprintln!(
                "       cargo xtask core-size  measure the core's share of the widget's download, and Leptos's"
            );
            eprintln!(
                "       cargo xtask bench   run the load benchmark on SQLite and a throwaway PostgreSQL"
            );
            return ExitCode::from(2);
        }
    };
    if let Err(message) = prepare_environment() {
        eprintln!("xtask: {message}");
        return ExitCode::FAILURE;
    }
    let mut steps = Steps::default();
    let result = task(&mut steps);
    steps.summary(result.is_ok());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Puts `$CARGO_HOME/bin` on PATH (so children find what `cargo install` installs), makes
/// `CARGO_TARGET_DIR` absolute, and moves to the workspace root.
fn prepare_environment() -> Result<(), String> {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .filter(|dir| dir.is_relative())
        .map(std::path::absolute)
        .transpose()
        .map_err(|e| format!("could not resolve CARGO_TARGET_DIR: {e}"))?;
    let path = tools::path_with_cargo_bin();
    // SAFETY: called first thing in `main`, before any other thread exists.
    unsafe {
        if let Some(dir) = target_dir {
            std::env::set_var("CARGO_TARGET_DIR", dir);
        }
        if let Some(path) = path {
            std::env::set_var("PATH", path);
        }
    }
    let root = workspace_root();
    std::env::set_current_dir(&root).map_err(|e| {
        format!(
            "could not change to the workspace root {}: {e}",
            root.display()
        )
    })
}

fn test(steps: &mut Steps) -> Result<(), String> {
    let root = workspace_root();
    let e2e = root.join("tests").join("Cargo.toml").is_file();

    steps.run("checking the tools", || {
        ensure_wasm_target()?;
        ensure_trunk()?;
        ensure_wasm_bindgen()?;
        ensure_binaryen()?;
        ensure_chromium()?;
        clients::ensure_python().map(drop)
    })?;

    let mut cluster = None;
    steps.run("starting a throwaway PostgreSQL", || {
        cluster = Some(postgres::Cluster::start()?);
        Ok(())
    })?;
    let postgres_url = cluster.as_ref().map(|c| c.url.clone()).unwrap_or_default();
    // SAFETY: no other thread exists; every test run below inherits the cluster's address.
    unsafe { std::env::set_var("REFUND_TEST_POSTGRES_URL", &postgres_url) };
    // A test run builds each crate once: incremental artefacts would only add gigabytes to the
    // target directory of a clean clone, whose disk is not ours to fill.
    if std::env::var_os("CARGO_INCREMENTAL").is_none() {
        // SAFETY: as above.
        unsafe { std::env::set_var("CARGO_INCREMENTAL", "0") };
    }

    steps.run("running every native test in the workspace", || {
        // The end-to-end tests need the built widget and a browser: they run on their own below.
        let exclude: &[&str] = if e2e {
            &["--exclude", "refund-e2e"]
        } else {
            &[]
        };
        cargo(&[&["test", "--workspace", "--all-targets"], exclude].concat())?;
        cargo(&[&["test", "--workspace", "--doc"], exclude].concat())
    })?;

    steps.run(
        "running the server's conformance suite on PostgreSQL",
        || {
            run(cargo_command(&[
                "test",
                "--package",
                "refund-server",
                "--test",
                "api",
                "--test",
                "durability",
            ])
            .env("REFUND_TEST_BACKEND", "postgres"))
        },
    )?;
    // Nothing after this step uses PostgreSQL; its files go now rather than at the end.
    drop(cluster.take());

    steps.run("checking the API with outside clients", clients::check_api)?;

    steps.run("building the widget and the desk (release)", || {
        build_widget()?.map_or(Ok(()), |sizes| widget::check_sizes(&sizes))
    })?;
    steps.run(
        "building the widget with its test export (release)",
        build_differential,
    )?;

    if root.join("web").join("tests").is_dir() {
        steps.run("running the widget's browser tests", || {
            let chromedriver = chromedriver_path()?;
            // The test runner's files and the profiles of the Chromium it starts go to a
            // directory of ours, emptied afterwards: Chromium killed at the end leaves them.
            let scratch = target_dir().join("tmp").join("widget-browser-tests");
            std::fs::create_dir_all(&scratch)
                .map_err(|e| format!("could not create {}: {e}", scratch.display()))?;
            let outcome = run(cargo_command(&[
                "test",
                "--package",
                "refund-widget",
                "--package",
                "browser-json",
                "--target",
                WASM_TARGET,
            ])
            .env("CHROMEDRIVER", chromedriver)
            .env("TMPDIR", &scratch));
            let _ = std::fs::remove_dir_all(&scratch);
            outcome
        })?;
    } else {
        step("no web/tests yet, skipping the widget's browser tests");
    }

    if e2e {
        steps.run("running the end-to-end tests", || {
            let chromedriver = chromedriver_path()?;
            let axe = ensure_axe()?;
            run(cargo_command(&["test", "--package", "refund-e2e"])
                .env("CHROMEDRIVER", chromedriver)
                .env("REFUND_AXE_JS", axe)
                .env("REFUND_WIDGET_DIR", root.join("dist"))
                .env("REFUND_DIFFERENTIAL_DIR", root.join("dist-differential"))
                .env("REFUND_CONSOLE_DIR", root.join("dist-console")))
        })?;
    } else {
        step("no tests/Cargo.toml yet, skipping the end-to-end tests");
    }

    for krate in WASM_CRATES {
        steps.run(&format!("building {krate} for {WASM_TARGET}"), || {
            cargo(&[
                "build",
                "--package",
                krate,
                "--target",
                WASM_TARGET,
                "--profile",
                "wasm",
            ])
        })?;
    }
    step("all tests passed");
    Ok(())
}

/// The load benchmark, on SQLite and on a throwaway PostgreSQL cluster.
fn bench(steps: &mut Steps) -> Result<(), String> {
    let mut cluster = None;
    steps.run("starting a throwaway PostgreSQL", || {
        cluster = Some(postgres::Cluster::start()?);
        Ok(())
    })?;
    let url = cluster.as_ref().map(|c| c.url.clone()).unwrap_or_default();
    steps.run("running the load benchmark", || {
        run(
            cargo_command(&["bench", "--package", "refund-server", "--bench", "load"])
                .env("REFUND_BENCH_POSTGRES_URL", url),
        )
    })
}

/// Builds the widget in release mode into `dist/` with Trunk, offline (so Trunk uses the
/// wasm-bindgen and wasm-opt on PATH instead of downloading them), and says how its sizes
/// stand against their limits. Skipped while the workspace has no `Trunk.toml`.
pub fn build_widget() -> Result<Option<widget::Sizes>, String> {
    let root = workspace_root();
    if !root.join("Trunk.toml").is_file() {
        step("no Trunk.toml yet, skipping the widget build");
        return Ok(None);
    }
    trunk(&root, &["build", "--release"])?;
    widget::optimise(&root.join("dist"))?;
    let mut sizes = widget::precompress(&root.join("dist"))?;
    sizes.console_gz = Some(build_console(&root)?);
    Ok(Some(sizes))
}

/// Builds the widget as it ships but with `quote_json` exported, into `dist-differential/`,
/// for the differential test: the shipped build leaves the export and its serialisers out.
fn build_differential() -> Result<(), String> {
    let root = workspace_root();
    trunk(
        &root,
        &[
            "build",
            "--release",
            "--features",
            "differential",
            "--dist",
            "dist-differential",
        ],
    )?;
    widget::optimise(&root.join("dist-differential"))
}

/// Runs Trunk in the workspace without network: it uses the tools the xtask installed.
fn trunk(root: &Path, args: &[&str]) -> Result<(), String> {
    run(Command::new("trunk")
        .args(args)
        .current_dir(root)
        .env("TRUNK_OFFLINE", "true"))
}

/// Builds the refund desk in release mode into `dist-console/`, as the widget is built, and
/// returns its download, gzip.
fn build_console(root: &Path) -> Result<usize, String> {
    trunk(
        root,
        &["--config", "web/console/Trunk.toml", "build", "--release"],
    )?;
    let dist = root.join("dist-console");
    widget::optimise(&dist)?;
    widget::precompress_console(&dist)
}

/// Builds the widget; sizes over their limits fail the tests but only get a warning here, so
/// they never stop anyone from running the product.
fn build_widget_warning_on_size() -> Result<(), String> {
    if let Some(sizes) = build_widget()?
        && let Err(message) = widget::check_sizes(&sizes)
    {
        step(&format!("warning: {message}"));
    }
    Ok(())
}

/// What building the widget needs: the wasm target, Trunk, wasm-bindgen and wasm-opt.
fn ensure_widget_tools() -> Result<(), String> {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen()?;
    ensure_binaryen()
}

fn widget_only(steps: &mut Steps) -> Result<(), String> {
    steps.run("checking the tools", ensure_widget_tools)?;
    steps.run(
        "building the widget and the desk (release)",
        build_widget_warning_on_size,
    )
}

/// Builds `refund-core-size` (the core's work in the widget, and nothing else) and
/// `leptos-floor` (Leptos and the widget's runtime pieces, and nothing of ours) as the widget is
/// built, and prints their sizes: the two floors under the widget's download.
fn core_size(steps: &mut Steps) -> Result<(), String> {
    steps.run("checking the tools", || {
        ensure_wasm_target()?;
        ensure_wasm_bindgen()?;
        ensure_binaryen()
    })?;
    for (package, what) in [
        ("refund-core-size", "the core in the browser"),
        ("leptos-floor", "Leptos and the widget's plumbing alone"),
    ] {
        steps.run(&format!("measuring {what}"), || {
            cargo(&[
                "build",
                "--package",
                package,
                "--lib",
                "--target",
                WASM_TARGET,
                "--profile",
                "wasm",
            ])?;
            let name = package.replace('-', "_");
            let wasm = target_dir()
                .join(WASM_TARGET)
                .join("wasm")
                .join(format!("{name}.wasm"));
            widget::weigh(&wasm, &target_dir().join(package), what)
        })?;
    }
    Ok(())
}

/// Builds the widget and the server in release mode and runs the server on a SQLite file under
/// `./data`, serving the widget from `./dist`, seeding the demo merchant and orders
/// (idempotently) and printing their keys and the URL to open.
fn run_product(steps: &mut Steps) -> Result<(), String> {
    steps.run("checking the tools", ensure_widget_tools)?;
    steps.run(
        "building the widget and the desk (release)",
        build_widget_warning_on_size,
    )?;
    steps.run("building the server (release)", || {
        cargo(&["build", "--release", "--package", "refund-server"])
    })?;
    let bind = std::env::var("REFUND_BIND").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    step(&format!(
        "starting on http://{bind} with data in ./data (Ctrl-C stops it)"
    ));
    let server = target_dir().join("release").join("refund-server");
    run(Command::new(server).args([
        "--data-dir",
        "data",
        "serve",
        "--demo",
        "--bind",
        &bind,
        "--widget-dir",
        "dist",
        "--console-dir",
        "dist-console",
    ]))
}

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time too, which survives moving the checkout.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

/// Cargo's target directory (`CARGO_TARGET_DIR`, made absolute at start-up, else `target/`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The steps run so far and how long each took.
#[derive(Default)]
struct Steps {
    started: Option<Instant>,
    done: Vec<(String, Duration)>,
}

impl Steps {
    /// Prints `==> <name>`, runs `body`, then prints how long it took.
    fn run(&mut self, name: &str, body: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        self.started.get_or_insert_with(Instant::now);
        step(name);
        let start = Instant::now();
        let result = body();
        let took = start.elapsed();
        let outcome = if result.is_ok() { "done" } else { "failed" };
        step(&format!("{name}: {outcome} in {}", format_duration(took)));
        self.done.push((name.to_owned(), took));
        result
    }

    /// Prints each step's wall time and the total.
    fn summary(&self, ok: bool) {
        let Some(started) = self.started else { return };
        step("step times:");
        for (name, took) in &self.done {
            println!("    {:>7}  {name}", format_duration(*took));
        }
        let outcome = if ok { "done" } else { "failed" };
        step(&format!(
            "{outcome} in {}",
            format_duration(started.elapsed())
        ));
    }
}

/// `0.4s`, `12s`, `3m12s`, `1h02m03s`.
fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..10 => format!("{:.1}s", duration.as_secs_f64()),
        10..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m{:02}s", secs / 3600, secs / 60 % 60, secs % 60),
    }
}

pub fn step(message: &str) {
    println!("==> {message}");
}

fn cargo_command(args: &[&str]) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(args);
    command
}

fn cargo(args: &[&str]) -> Result<(), String> {
    run(&mut cargo_command(args))
}

pub fn run(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed with {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations() {
        assert_eq!(format_duration(Duration::from_millis(400)), "0.4s");
        assert_eq!(format_duration(Duration::from_secs(12)), "12s");
        assert_eq!(format_duration(Duration::from_secs(192)), "3m12s");
        assert_eq!(format_duration(Duration::from_secs(3723)), "1h02m03s");
    }
}
