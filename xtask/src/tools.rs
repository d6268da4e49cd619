//! Installers for the tools the build and the tests need, for a Debian machine that starts with
//! only the Rust toolchain.
//!
//! Each `ensure_*` function is idempotent: it checks what is present and prints
//! `==> <tool> already installed (<version>)`, or prints `==> installing <tool> ...`, installs it
//! and checks again. Cargo-installed tools land in `$CARGO_HOME/bin` (see [`cargo_bin_dir`]);
//! Debian packages come from `apt-get`, run directly as root or through `sudo` otherwise.
//! Versions are pinned where they must match something: Trunk (see `../shared/TOOLCHAIN.md`) and
//! wasm-bindgen-cli (must equal the `wasm-bindgen` crate in `Cargo.lock`, exactly).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{run, step, workspace_root};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Trunk 0.22 needs a newer rustc than these machines have.
pub const TRUNK_VERSION: &str = "0.21.14";

/// Where the Debian packages put the browser and its driver.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Set once `apt-get update` has run in this process.
static APT_UPDATED: AtomicBool = AtomicBool::new(false);

pub fn ensure_wasm_target() -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"])
        .ok_or("could not run `rustup target list --installed`: is rustup installed?")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        step(&format!("{WASM_TARGET} target already installed"));
        return Ok(());
    }
    step(&format!("installing the {WASM_TARGET} target"));
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// Trunk, exactly [`TRUNK_VERSION`], from crates.io (`cargo install --locked`).
pub fn ensure_trunk() -> Result<(), String> {
    let present = tool_version("trunk");
    if present.as_deref() == Some(TRUNK_VERSION) {
        step(&format!("trunk already installed ({TRUNK_VERSION})"));
        return Ok(());
    }
    let crate_spec = format!("trunk@{TRUNK_VERSION}");
    let mut args = vec!["install", "--locked", crate_spec.as_str()];
    if present.is_some() || in_cargo_bin(&["trunk"]) {
        args.push("--force");
    }
    step(&match &present {
        Some(other) => {
            format!("installing trunk {TRUNK_VERSION} in place of {other} (about 6 minutes)")
        }
        None => format!("installing trunk {TRUNK_VERSION} (about 6 minutes)"),
    });
    cargo_install(&args)?;
    verify_installed("trunk", tool_version("trunk"), TRUNK_VERSION)
}

/// wasm-bindgen-cli (`wasm-bindgen` and `wasm-bindgen-test-runner`) at exactly the version of
/// the `wasm-bindgen` crate in `Cargo.lock`.
pub fn ensure_wasm_bindgen() -> Result<(), String> {
    let lock_path = workspace_root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| format!("could not read {}: {e}", lock_path.display()))?;
    let wanted = wasm_bindgen_version_from_lock(&lock)
        .map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let present = tool_version("wasm-bindgen");
    let runner = find_on_path("wasm-bindgen-test-runner");
    if present.as_deref() == Some(wanted.as_str()) && runner.is_some() {
        step(&format!("wasm-bindgen-cli already installed ({wanted})"));
        return Ok(());
    }
    let version_arg = format!("={wanted}");
    // No `--locked`: the registry lacks a crate its lock file pins (see TOOLCHAIN.md).
    let mut args = vec![
        "install",
        "wasm-bindgen-cli",
        "--version",
        version_arg.as_str(),
    ];
    // `--force` replaces another version, or binaries cargo does not know it installed.
    if present.is_some()
        || in_cargo_bin(&["wasm-bindgen", "wasm-bindgen-test-runner", "wasm2es6js"])
    {
        args.push("--force");
    }
    step(&match &present {
        Some(other) if other != &wanted => {
            format!("installing wasm-bindgen-cli {wanted} in place of {other} (about 2 minutes)")
        }
        Some(_) => {
            format!(
                "installing wasm-bindgen-cli {wanted} (wasm-bindgen-test-runner is missing; about 2 minutes)"
            )
        }
        None => format!("installing wasm-bindgen-cli {wanted} (about 2 minutes)"),
    });
    cargo_install(&args)?;
    verify_installed("wasm-bindgen", tool_version("wasm-bindgen"), &wanted)?;
    if find_on_path("wasm-bindgen-test-runner").is_none() {
        return Err(format!(
            "installed wasm-bindgen-cli {wanted} but wasm-bindgen-test-runner is not on PATH"
        ));
    }
    Ok(())
}

/// `wasm-opt`, from Debian's `binaryen` package.
pub fn ensure_binaryen() -> Result<(), String> {
    if let Some(version) = output("wasm-opt", &["--version"]) {
        step(&format!(
            "binaryen already installed ({})",
            first_line(&version)
        ));
        return Ok(());
    }
    step("installing binaryen (wasm-opt) with apt-get");
    apt_install(&["binaryen"])?;
    match output("wasm-opt", &["--version"]) {
        Some(_) => Ok(()),
        None => Err("installed binaryen but `wasm-opt --version` still fails".to_owned()),
    }
}

/// Chinese glyphs for the browser, so zh-CN screenshots show text rather than empty boxes.
const CJK_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// Chromium and chromedriver, from Debian's `chromium` and `chromium-driver` packages, with
/// `fonts-noto-cjk` for Chinese text.
pub fn ensure_chromium() -> Result<(), String> {
    let present = || {
        chromium_path().is_some()
            && default_chromedriver_path().is_some()
            && Path::new(CJK_FONT).is_file()
    };
    if present() {
        let version = chromium_path()
            .and_then(|path| output(&path.to_string_lossy(), &["--version"]))
            .map(|v| first_line(&v).to_owned())
            .unwrap_or_else(|| "version unknown".to_owned());
        step(&format!(
            "chromium, chromedriver and CJK fonts already installed ({version})"
        ));
        return Ok(());
    }
    step("installing chromium, chromium-driver and fonts-noto-cjk with apt-get");
    apt_install(&["chromium", "chromium-driver", "fonts-noto-cjk"])?;
    if present() {
        Ok(())
    } else {
        Err(format!(
            "installed chromium and chromium-driver but {CHROMIUM} or {CHROMEDRIVER} is still missing"
        ))
    }
}

/// The chromedriver the browser tests should use: `$CHROMEDRIVER` if set, else
/// `/usr/bin/chromedriver`, else `chromedriver` on PATH.
pub fn chromedriver_path() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CHROMEDRIVER").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    default_chromedriver_path().ok_or_else(|| {
        format!(
            "no chromedriver at {CHROMEDRIVER} or on PATH: install Debian's chromium-driver, or set CHROMEDRIVER"
        )
    })
}

fn default_chromedriver_path() -> Option<PathBuf> {
    Some(PathBuf::from(CHROMEDRIVER))
        .filter(|p| is_executable(p))
        .or_else(|| find_on_path("chromedriver"))
}

fn chromium_path() -> Option<PathBuf> {
    Some(PathBuf::from(CHROMIUM))
        .filter(|p| is_executable(p))
        .or_else(|| find_on_path("chromium"))
}

/// Where `cargo install` puts binaries: `$CARGO_INSTALL_ROOT/bin`, else `$CARGO_HOME/bin`, else
/// `~/.cargo/bin`.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    let nonempty = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(root) = nonempty("CARGO_INSTALL_ROOT") {
        return Some(PathBuf::from(root).join("bin"));
    }
    if let Some(home) = nonempty("CARGO_HOME") {
        return Some(PathBuf::from(home).join("bin"));
    }
    nonempty("HOME").map(|home| PathBuf::from(home).join(".cargo").join("bin"))
}

/// Whether any of `binaries` is already in [`cargo_bin_dir`] (then `cargo install` needs
/// `--force` to overwrite it).
fn in_cargo_bin(binaries: &[&str]) -> bool {
    cargo_bin_dir().is_some_and(|bin| binaries.iter().any(|name| bin.join(name).exists()))
}

/// `$PATH` with [`cargo_bin_dir`] in front, or `None` when it is already on `$PATH` (or
/// unknown). `main` puts this in the process environment before anything runs, so every child
/// process finds the tools `cargo install` puts there.
pub fn path_with_cargo_bin() -> Option<OsString> {
    let bin = cargo_bin_dir()?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&path).any(|dir| dir == bin) {
        return None;
    }
    let dirs = std::iter::once(bin).chain(std::env::split_paths(&path).collect::<Vec<_>>());
    std::env::join_paths(dirs).ok()
}

/// The first executable file called `name` in a `$PATH` directory.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The exact version of the `wasm-bindgen` package in a `Cargo.lock`.
pub fn wasm_bindgen_version_from_lock(lock: &str) -> Result<String, String> {
    let mut versions = package_versions(lock, "wasm-bindgen");
    let mut seen = Vec::new();
    versions.retain(|v| {
        let new = !seen.contains(v);
        seen.push(v.clone());
        new
    });
    match versions.as_slice() {
        [] => Err("no `wasm-bindgen` package in the lock file".to_owned()),
        [one] => Ok(one.clone()),
        several => Err(format!(
            "several `wasm-bindgen` versions in the lock file ({}); wasm-bindgen-cli can match only one",
            several.join(", ")
        )),
    }
}

/// The versions of every `[[package]]` named `name` in a `Cargo.lock`, in file order.
fn package_versions(lock: &str, name: &str) -> Vec<String> {
    let mut versions = Vec::new();
    let mut current_name: Option<String> = None;
    let mut current_version: Option<String> = None;
    let mut flush = |n: &mut Option<String>, v: &mut Option<String>| {
        if let (Some(n), Some(v)) = (n.take(), v.take())
            && n == name
        {
            versions.push(v);
        }
    };
    for line in lock.lines().map(str::trim) {
        if line.starts_with('[') {
            // `[[package]]` opens a block; any other table (`[metadata]`, …) ends it.
            flush(&mut current_name, &mut current_version);
            current_name = None;
            current_version = None;
        } else if let Some(value) = toml_string(line, "name") {
            current_name = Some(value);
        } else if let Some(value) = toml_string(line, "version") {
            current_version = Some(value);
        }
    }
    flush(&mut current_name, &mut current_version);
    versions
}

/// The value of `key = "value"`, if `line` is that.
fn toml_string(line: &str, key: &str) -> Option<String> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    let value = rest.strip_prefix('"')?.strip_suffix('"')?;
    Some(value.to_owned())
}

/// The version a `<tool> --version` run prints (`trunk 0.21.14` → `0.21.14`), or `None` when
/// the tool is missing or fails.
fn tool_version(program: &str) -> Option<String> {
    let out = output(program, &["--version"])?;
    parse_version_output(&out, program).map(str::to_owned)
}

/// The word after the program's name in `--version` output (`wasm-bindgen 0.2.130`).
fn parse_version_output<'a>(out: &'a str, program: &str) -> Option<&'a str> {
    out.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next()? == program).then_some(())?;
        words.next()
    })
}

fn verify_installed(program: &str, found: Option<String>, wanted: &str) -> Result<(), String> {
    match found {
        Some(v) if v == wanted => Ok(()),
        found => {
            let location = find_on_path(program)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "nothing".to_owned());
            let bin = cargo_bin_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "$CARGO_HOME/bin".to_owned());
            Err(format!(
                "installed {program} {wanted} into {bin}, but PATH finds {location} (version {}); \
                 remove it or put {bin} first on PATH",
                found.as_deref().unwrap_or("unknown")
            ))
        }
    }
}

fn cargo_install(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run(Command::new(cargo).args(args)).map_err(|e| {
        format!("{e}\n(could not install from crates.io; check that crates.io is reachable)")
    })
}

/// `apt-get install -y <packages>`, after one `apt-get update` per process, as root or with
/// `sudo`.
pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    let manual = format!(
        "`apt-get update && apt-get install -y {}` as root",
        packages.join(" ")
    );
    if find_on_path("apt-get").is_none() {
        return Err(format!(
            "apt-get not found: this installer needs Debian or Ubuntu; install the equivalent of {manual}"
        ));
    }
    let sudo = if is_root() {
        false
    } else if find_on_path("sudo").is_some() {
        true
    } else {
        return Err(format!(
            "not running as root and sudo is not installed: run {manual}, then run this again"
        ));
    };
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            let mut c = Command::new("sudo");
            // sudo drops most of the environment, so the setting goes through `env`.
            c.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        } else {
            let mut c = Command::new("apt-get");
            c.env("DEBIAN_FRONTEND", "noninteractive");
            c
        };
        command.args(args);
        run(&mut command).map_err(|e| format!("{e}\n(to install by hand, run {manual})"))
    };
    if !APT_UPDATED.load(Ordering::Relaxed) {
        step("apt-get update");
        apt(&["update"])?;
        APT_UPDATED.store(true, Ordering::Relaxed);
    }
    let mut args = vec!["install", "-y"];
    args.extend_from_slice(packages);
    apt(&args)
}

/// The npm packages of `dir`, exactly as its `package-lock.json` says (`npm ci`), installing
/// Node.js and npm with apt when missing. Skipped while npm's record of what it installed
/// (`node_modules/.package-lock.json`) is no older than the lock. `what` names them in the log.
pub fn ensure_npm_packages(dir: &Path, what: &str) -> Result<(), String> {
    let installed = dir.join("node_modules").join(".package-lock.json");
    let lock = dir.join("package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&installed).is_some_and(|i| modified(&lock).is_some_and(|l| i >= l)) {
        step(&format!("{what} already installed"));
        return Ok(());
    }
    if find_on_path("npm").is_none() {
        step("installing Node.js and npm with apt-get");
        apt_install(&["nodejs", "npm"])?;
    }
    step(&format!("installing {what} (npm ci in {})", dir.display()));
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir))
}

/// axe-core, pinned in `tests/axe/package-lock.json`, for the end-to-end tests' accessibility
/// checks: the path of its `axe.min.js`.
pub fn ensure_axe() -> Result<PathBuf, String> {
    let dir = workspace_root().join("tests").join("axe");
    ensure_npm_packages(&dir, "axe-core")?;
    let script = dir.join("node_modules").join("axe-core").join("axe.min.js");
    if script.is_file() {
        Ok(script)
    } else {
        Err(format!(
            "npm ci left no {}: remove {} and run this again",
            script.display(),
            dir.join("node_modules").display()
        ))
    }
}

pub fn is_root() -> bool {
    output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0")
}

/// What `program args` prints on stdout, or `None` if it cannot start or fails.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "abc"
dependencies = [
 "cfg-if",
 "wasm-bindgen-macro",
]

[[package]]
name = "zzz"
version = "1.0.0"
"#;

    #[test]
    fn finds_wasm_bindgen_in_the_lock_file() {
        assert_eq!(wasm_bindgen_version_from_lock(LOCK).unwrap(), "0.2.130");
    }

    #[test]
    fn version_before_name_is_still_read() {
        let lock = "[[package]]\nversion = \"0.2.99\"\nname = \"wasm-bindgen\"\n";
        assert_eq!(wasm_bindgen_version_from_lock(lock).unwrap(), "0.2.99");
    }

    #[test]
    fn missing_or_ambiguous_wasm_bindgen_is_an_error() {
        assert!(
            wasm_bindgen_version_from_lock("[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n")
                .is_err()
        );
        let two = format!("{LOCK}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.100\"\n");
        let err = wasm_bindgen_version_from_lock(&two).unwrap_err();
        assert!(err.contains("0.2.130, 0.2.100"), "{err}");
    }

    #[test]
    fn the_workspace_lock_file_parses() {
        let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).unwrap();
        let version = wasm_bindgen_version_from_lock(&lock).unwrap();
        assert!(version.starts_with("0.2."), "{version}");
    }

    #[test]
    fn parses_version_output() {
        assert_eq!(
            parse_version_output("trunk 0.21.14\n", "trunk"),
            Some("0.21.14")
        );
        assert_eq!(
            parse_version_output("wasm-bindgen 0.2.130\n", "wasm-bindgen"),
            Some("0.2.130")
        );
        assert_eq!(parse_version_output("trunk 0.22.0", "wasm-bindgen"), None);
        assert_eq!(parse_version_output("", "trunk"), None);
    }

    #[test]
    fn reads_toml_strings() {
        assert_eq!(
            toml_string(r#"name = "wasm-bindgen""#, "name").as_deref(),
            Some("wasm-bindgen")
        );
        assert_eq!(toml_string(r#"name="x""#, "name").as_deref(), Some("x"));
        assert_eq!(toml_string(r#"names = "x""#, "name"), None);
        assert_eq!(toml_string("dependencies = [", "name"), None);
    }
}
