//! The refund validator server: the authority of the product (PRODUCT.md §7, §8, §10).
//!
//! It never trusts the browser: every quote is recomputed with `refund-core` from the server's
//! own order snapshot and the merchant's policy, and every accepted request is recorded with its
//! quote, policy version and audit trail in one transaction.

pub mod auth;
pub mod cache;
pub mod clock;
pub mod deliver;
pub mod error;
pub mod http;
pub mod routes;
pub mod seed;
pub mod service;
pub mod store;

use std::sync::Arc;

use axum::Router;

use crate::clock::Clock;
use crate::routes::AppState;
use crate::service::Service;
use crate::store::Store;

/// What a deployment decides about the server.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The URL shoppers reach the server at, for refund links.
    pub public_url: String,
    /// Whether requests come through a reverse proxy whose `X-Forwarded-For` can be trusted.
    pub trust_forwarded_for: bool,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// Whether webhook endpoints may be on loopback or private networks.
    pub allow_private_webhooks: bool,
}

/// Who may read `/metrics`: by default nobody (it answers 404), so a server reachable from the
/// internet does not publish its traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MetricsAccess {
    #[default]
    Off,
    /// Anyone who reaches the server: for a private network.
    Public,
    /// Requests with `Authorization: Bearer <token>`: for a scraper on the internet.
    Token(String),
}

impl Settings {
    pub fn new(public_url: impl Into<String>) -> Settings {
        Settings {
            public_url: public_url.into(),
            trust_forwarded_for: false,
            metrics: MetricsAccess::Off,
            allow_private_webhooks: false,
        }
    }
}

/// Builds the application around a store and a clock.
pub fn app(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> (Router, AppState) {
    metrics_handle();
    let state = AppState {
        service: Service::new(store, clock)
            .with_public_url(&settings.public_url)
            .allowing_private_endpoints(settings.allow_private_webhooks),
        settings: Arc::new(settings),
        lookups: Arc::default(),
        sign_ins: Arc::default(),
    };
    let (router, _) = routes::router(state.clone());
    (router, state)
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding test); ours then
        // renders only what it saw, which is still valid output.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}
