//! What the server's tests share: a fresh database for each test, on either backend.
//!
//! The conformance suite is the same test code on both databases: with
//! `REFUND_TEST_BACKEND=postgres`, each test gets a database of its own in the PostgreSQL
//! cluster at `REFUND_TEST_POSTGRES_URL` (`cargo xtask test` starts a throwaway one and runs the
//! suite both ways); otherwise each test gets a fresh SQLite file.

#![allow(dead_code)] // each test file uses its own part of this module

pub mod server;
pub mod smtp;
pub mod webhooks;

use std::sync::Arc;

use refund_server::store::{Database, Store};
use sqlx::{Connection, PgConnection};

/// A database for one test; a SQLite file, or a PostgreSQL database, lives as long as this does.
pub struct TestDb {
    pub database: Database,
    /// The cluster's admin address and the database's name, to drop it with the test: a run
    /// creates hundreds, and kept they would fill the disk.
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Dropped on a thread of its own: this may run inside a test's runtime, which cannot
        // block on another future.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin)
                    .await
                    .map_err(|e| e.to_string())?;
                // FORCE ends the connections a test's server may still hold.
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop the test database: {error}");
        }
    }
}

impl TestDb {
    pub async fn open(&self) -> Arc<dyn Store> {
        refund_server::store::open(&self.database)
            .await
            .expect("the test database opens")
    }

    /// How the real binary is pointed at this database.
    pub fn args(&self) -> Vec<String> {
        match &self.database {
            Database::Sqlite(path) => vec![
                "--data-dir".to_owned(),
                path.parent().unwrap().display().to_string(),
            ],
            Database::Postgres { url, .. } => vec!["--database-url".to_owned(), url.clone()],
        }
    }
}

/// Whether the conformance suite runs on PostgreSQL in this run.
pub fn on_postgres() -> bool {
    std::env::var("REFUND_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The PostgreSQL cluster tests may create databases in, when there is one.
pub fn postgres_url() -> Option<String> {
    std::env::var("REFUND_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A fresh database on this run's backend.
pub async fn fresh() -> TestDb {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    if on_postgres() {
        let admin = postgres_url()
            .expect("REFUND_TEST_BACKEND=postgres needs REFUND_TEST_POSTGRES_URL (cargo xtask test sets both)");
        fresh_postgres(&admin).await
    } else {
        let dir = tempfile::tempdir().unwrap();
        TestDb {
            database: Database::Sqlite(dir.path().join("refunds.db")),
            postgres: None,
            _dir: dir,
        }
    }
}

/// A fresh, empty PostgreSQL database in the cluster at `admin_url`.
pub async fn fresh_postgres(admin_url: &str) -> TestDb {
    let name = refund_server::auth::random_key("refund_test_", 8);
    let mut admin = PgConnection::connect(admin_url)
        .await
        .expect("the test PostgreSQL cluster answers");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("a test database");
    admin.close().await.ok();
    TestDb {
        database: Database::Postgres {
            url: with_database(admin_url, &name),
            max_connections: 16,
        },
        postgres: Some((admin_url.to_owned(), name)),
        _dir: tempfile::tempdir().unwrap(),
    }
}

/// `url` pointing at database `name` instead.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}
