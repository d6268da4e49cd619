//! `refund-server`: serve, create a merchant, or seed the demo.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use refund_server::MetricsAccess;
use refund_server::clock::SystemClock;
use refund_server::http::Limits;
use refund_server::seed::seed_demo;
use refund_server::store::{Database, Store};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(version, about = "The refund validator server")]
struct Cli {
    /// Where the SQLite database lives (unless --database-url is given).
    #[arg(long, env = "REFUND_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,
    /// A `postgres://` URL: use PostgreSQL, which any number of instances can share, instead
    /// of the SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Connections each instance keeps to PostgreSQL.
    #[arg(
        long,
        env = "REFUND_DB_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    db_connections: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        #[arg(long, env = "REFUND_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// The URL shoppers reach this server at, for refund links.
        #[arg(long, env = "REFUND_PUBLIC_URL")]
        public_url: Option<String>,
        /// How often deadlines are checked, in seconds.
        #[arg(long, env = "REFUND_DEADLINE_INTERVAL", default_value_t = 5)]
        deadline_interval: u64,
        /// The widget's build directory, served under /widget/.
        #[arg(long, env = "REFUND_WIDGET_DIR", default_value = "dist")]
        widget_dir: PathBuf,
        /// The refund desk's build directory, served under /console/.
        #[arg(long, env = "REFUND_CONSOLE_DIR", default_value = "dist-console")]
        console_dir: PathBuf,
        /// Seed the demo merchant and orders (idempotent) before serving, and print its keys.
        #[arg(long)]
        demo: bool,
        /// Trust `X-Forwarded-For` (only behind a reverse proxy that sets it).
        #[arg(long, env = "REFUND_TRUST_FORWARDED_FOR")]
        trust_forwarded_for: bool,
        /// Serve `/metrics` to anyone who reaches the server (for a private network).
        #[arg(long, env = "REFUND_METRICS_PUBLIC", conflicts_with = "metrics_token")]
        metrics_public: bool,
        /// Serve `/metrics` to requests with `Authorization: Bearer <token>`. Without this or
        /// `--metrics-public`, `/metrics` answers 404.
        #[arg(long, env = "REFUND_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Connections held at once; more are closed at once (keep it under the file limit).
        #[arg(long, env = "REFUND_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections)]
        max_connections: usize,
        /// Connections held at once from one address (raise it behind a reverse proxy).
        #[arg(long, env = "REFUND_MAX_CONNECTIONS_PER_CLIENT", default_value_t = Limits::default().per_client)]
        max_connections_per_client: usize,
        /// The SMTP relay shoppers' e-mails go through (`smtp://host:25`, `smtps://user:pass@host`,
        /// `smtp://host:587?tls=required`). Without one, e-mails are written to the log.
        #[arg(long, env = "REFUND_SMTP_URL", hide_env_values = true)]
        smtp_url: Option<String>,
        /// Who the e-mails come from.
        #[arg(
            long,
            env = "REFUND_MAIL_FROM",
            default_value = "Refunds <no-reply@localhost>"
        )]
        mail_from: String,
        /// Let webhook endpoints be on loopback and private networks (development and tests;
        /// never where merchants configure endpoints from the internet).
        #[arg(long, env = "REFUND_ALLOW_PRIVATE_WEBHOOKS")]
        allow_private_webhooks: bool,
    },
    /// Create the demo merchant and orders where missing, and print the merchant's keys.
    SeedDemo {
        /// A web origin allowed to embed the widget (repeatable).
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// Bring the database's schema up to date and exit (serving does it too).
    Migrate,
    /// Create a staff account for the desk and print the link with which they choose a
    /// password.
    CreateStaff {
        /// The merchant's name.
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        email: String,
        /// Shown in the desk; the e-mail's local part when absent.
        #[arg(long)]
        name: Option<String>,
        /// owner, agent or viewer.
        #[arg(long, default_value = "owner", value_parser = ["owner", "agent", "viewer"])]
        role: String,
        /// The URL staff reach this server at, for the link.
        #[arg(
            long,
            env = "REFUND_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// Create a merchant and print its id and keys.
    CreateMerchant {
        #[arg(long)]
        name: String,
        /// A web origin allowed to embed the widget (repeatable).
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr (stdout carries what commands print), coloured only on a terminal.
    let stderr = std::io::stderr();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&stderr))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("refund-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn open(cli: &Cli) -> Result<Arc<dyn Store>, String> {
    let database = match &cli.database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Database::Postgres {
                url: url.clone(),
                max_connections: cli.db_connections.max(1),
            }
        }
        Some(_) => {
            return Err("--database-url must be a postgres:// URL (SQLite uses --data-dir)".into());
        }
        None => {
            std::fs::create_dir_all(&cli.data_dir)
                .map_err(|e| format!("cannot create {}: {e}", cli.data_dir.display()))?;
            Database::Sqlite(cli.data_dir.join("refunds.db"))
        }
    };
    refund_server::store::open(&database)
        .await
        .map_err(|e| match &database {
            Database::Sqlite(path) => format!("cannot open {}: {e}", path.display()),
            // The URL may carry a password: name the database kind only.
            Database::Postgres { .. } => format!("cannot open the PostgreSQL database: {e}"),
        })
}

async fn run(cli: Cli) -> Result<(), String> {
    let store = open(&cli).await?;
    match cli.command {
        Command::Migrate => {
            println!("the database schema is up to date");
            Ok(())
        }
        Command::CreateMerchant { name, origins } => {
            let created = refund_server::service::create_merchant(
                store.as_ref(),
                &name,
                origins,
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("merchant_id      {}", created.merchant.id);
            println!("publishable_key  {}", created.merchant.publishable_key);
            println!("secret_key       {}", created.secret_key);
            println!("signing_secret   {}", created.merchant.signing_secret);
            Ok(())
        }
        Command::CreateStaff {
            merchant,
            email,
            name,
            role,
            public_url,
        } => {
            let service =
                refund_server::service::Service::new(store.clone(), Arc::new(SystemClock));
            let found = store
                .merchant_by_name(&merchant)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no merchant named {merchant:?}"))?;
            let role: refund_api::Role = serde_json::from_value(serde_json::Value::String(role))
                .map_err(|e| e.to_string())?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let (staff, token, expires_at) = service
                .add_staff(&found.id, &refund_api::NewStaff { email, name, role })
                .await
                .map_err(|e| e.to_string())?;
            println!("staff_id         {}", staff.id);
            println!("role             {}", staff.role.code());
            println!(
                "set-up link      {}",
                refund_server::service::staff::setup_url(&public_url, &token)
            );
            println!("link expires     {expires_at}");
            Ok(())
        }
        Command::SeedDemo { origins } => {
            let merchant = seed_demo(store.as_ref(), origins, chrono::Utc::now())
                .await
                .map_err(|e| e.to_string())?;
            print_demo(&merchant, None);
            Ok(())
        }
        Command::Serve {
            bind,
            public_url,
            deadline_interval,
            widget_dir,
            console_dir,
            demo,
            trust_forwarded_for,
            metrics_public,
            metrics_token,
            max_connections,
            max_connections_per_client,
            smtp_url,
            mail_from,
            allow_private_webhooks,
        } => {
            let mailer = refund_server::deliver::mail::Mailer::from_settings(
                smtp_url.as_deref(),
                &mail_from,
            )
            .map_err(|e| format!("cannot send e-mail: {e}"))?;
            let public_url = public_url.unwrap_or_else(|| format!("http://{bind}"));
            if demo {
                let merchant =
                    seed_demo(store.as_ref(), vec![public_url.clone()], chrono::Utc::now())
                        .await
                        .map_err(|e| e.to_string())?;
                print_demo(&merchant, Some(&public_url));
            }
            let (router, state) = refund_server::app(
                store,
                Arc::new(SystemClock),
                refund_server::Settings {
                    public_url: public_url.clone(),
                    trust_forwarded_for,
                    allow_private_webhooks,
                    metrics: match (metrics_token, metrics_public) {
                        (Some(token), _) => MetricsAccess::Token(token),
                        (None, true) => MetricsAccess::Public,
                        (None, false) => MetricsAccess::Off,
                    },
                },
            );
            let router = router.merge(refund_server::routes::assets::router(
                &widget_dir,
                &console_dir,
            ));
            let service = state.service.clone();
            let sweeper = tokio::spawn(refund_server::routes::run_background(
                state,
                Duration::from_secs(deadline_interval.max(1)),
            ));
            let dispatcher = tokio::spawn(
                refund_server::service::dispatch::Dispatcher::new(
                    service,
                    refund_server::deliver::http::Sender::new(allow_private_webhooks),
                    Arc::new(mailer),
                )
                .run(),
            );
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
            tracing::info!(%public_url, "serving");
            let limits = Limits {
                max_connections: max_connections.max(1),
                per_client: max_connections_per_client.max(1),
                ..Limits::default()
            };
            refund_server::http::serve(listener, router, limits, shutdown())
                .await
                .map_err(|e| e.to_string())?;
            sweeper.abort();
            dispatcher.abort();
            tracing::info!("stopped");
            Ok(())
        }
    }
}

fn print_demo(merchant: &refund_server::store::Merchant, url: Option<&str>) {
    println!("demo merchant     {}", merchant.id);
    println!("publishable_key   {}", merchant.publishable_key);
    println!("secret_key        {}", refund_server::seed::DEMO_SECRET_KEY);
    println!("demo orders       DEMO-1001 … DEMO-1005, DEMO-2001 (email demo@example.com)");
    println!(
        "refund desk       sign in as {} (or li@ / wang@ / viewer@demo.example), password {}",
        refund_server::seed::DEMO_STAFF[0].0,
        refund_server::seed::DEMO_STAFF_PASSWORD
    );
    if let Some(url) = url {
        println!("demo store        {url}/   (open this)");
        println!("refund desk       {url}/console/");
        println!(
            "refund page       {url}/refund?merchant={}",
            merchant.publishable_key
        );
    }
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the server stops.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
