//! A throwaway PostgreSQL cluster for the tests and the benchmark.
//!
//! Debian's `postgresql` package provides the server (installed when missing). The cluster lives
//! in a new temporary directory, listens on a free port on 127.0.0.1 only, trusts local
//! connections (nothing else can reach it), and is stopped and deleted when [`Cluster`] drops.
//! `initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user that
//! the package creates, and its commands run through `runuser`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::{apt_install, find_on_path, is_root};
use crate::{run, step};

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub url: String,
}

/// The directory of `pg_ctl` and `initdb`: the newest `/usr/lib/postgresql/*/bin`, or where
/// `pg_ctl` is on PATH.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).or_else(|| {
        let pg_ctl = find_on_path("pg_ctl")?;
        let initdb = pg_ctl.parent()?.join("initdb");
        initdb
            .is_file()
            .then(|| pg_ctl.parent().map(Path::to_path_buf))?
    })
}

/// The PostgreSQL server binaries, from Debian's `postgresql` package.
pub fn ensure_postgres() -> Result<PathBuf, String> {
    if let Some(bin) = server_bin() {
        step(&format!("postgresql already installed ({})", bin.display()));
        return Ok(bin);
    }
    step("installing postgresql with apt-get");
    apt_install(&["postgresql"])?;
    server_bin().ok_or_else(|| "installed postgresql but found no pg_ctl".to_owned())
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

impl Cluster {
    /// Creates and starts a new cluster.
    pub fn start() -> Result<Cluster, String> {
        let bin = ensure_postgres()?;
        let dir = std::env::temp_dir().join(format!(
            "refund-postgres-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("could not create {}: {e}", dir.display()))?;
        let mut cluster = Cluster {
            url: String::new(),
            dir,
            bin,
        };
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&cluster.dir))
            .map_err(|e| format!("{e} (the postgresql package creates that user)"))?;
        }
        let data = cluster.dir.join("data");
        cluster.pg(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        let port = free_port()?;
        // Each test creates a database, which PostgreSQL writes through the WAL; a small WAL is
        // recycled at checkpoints instead of growing to the default gigabyte.
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 \
             -c max_wal_size=64MB -c min_wal_size=32MB",
            cluster.dir.display()
        );
        cluster.pg(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                cluster.dir.join("log").as_os_str(),
                "-w".as_ref(),
                "-o".as_ref(),
                options.as_ref(),
                "start".as_ref(),
            ],
        )?;
        step(&format!("PostgreSQL listening on 127.0.0.1:{port}"));
        cluster.url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        Ok(cluster)
    }

    /// Runs one of the server's programs, as the `postgres` user when we are root.
    fn pg(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let program = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command
            .args(args)
            .current_dir(&self.dir)
            .stdout(std::process::Stdio::null());
        run(&mut command)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.is_dir() {
            let stopped = self.pg(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-m".as_ref(),
                    "immediate".as_ref(),
                    "stop".as_ref(),
                ],
            );
            if let Err(e) = stopped {
                eprintln!("xtask: could not stop PostgreSQL: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
