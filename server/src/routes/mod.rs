//! The HTTP edge: the merchant API (secret key), the shopper API (publishable key in the path
//! plus a session token bound to one order), operations endpoints, the API's document and its
//! reference page. Handlers extract, call the service, and map its answer; every body is a
//! type of the contract (`refund-api`).
//!
//! Every API route is registered through `utoipa-axum`, so the router and the OpenAPI document
//! come from the same registration and cannot drift apart.

pub mod assets;
pub mod demo;
mod extract;
mod merchant;
pub mod openapi;
mod ops;
mod shopper;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use chrono::{DateTime, Utc};
use refund_api::{DeadlineView, Problem, RequestView};
use refund_core::Quote;
use utoipa_axum::router::OpenApiRouter;

pub use extract::{ClientAddr, client_key};
pub use shopper::{LookupLimiter, MAX_IMAGE_BYTES, sniff_image};

use crate::Settings;
use crate::error::ApiError;
use crate::service::Service;
use crate::store::StoredRequest;

/// JSON bodies larger than this are refused with 413.
pub const JSON_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub settings: Arc<Settings>,
    pub lookups: Arc<LookupLimiter>,
}

/// The API and its pages (without the widget's files, which the binary adds), and the API's
/// document.
pub fn router(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (api, document) = OpenApiRouter::with_openapi(openapi::document())
        .nest("/api/v1/merchant", merchant::router())
        .nest("/api/v1/shops/{pk}", shopper::router(&state))
        .merge(ops::router())
        .split_for_parts();
    let document = openapi::complete(document);
    let router = api
        .merge(openapi::router(document.clone()))
        .route("/", axum::routing::get(demo::demo_store))
        .fallback(|| async { ApiError::from(Problem::UnknownEndpoint) })
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(axum::middleware::from_fn(crate::error::localize))
        .route_layer(axum::middleware::from_fn(ops::track))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    (router, document)
}

/// Applies deadlines and forgets refilled lookup budgets every `interval`, until dropped.
pub async fn run_background(state: AppState, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        state.lookups.retain_recent();
        match state.service.sweep_deadlines().await {
            Ok(0) => {}
            Ok(moved) => tracing::info!(moved, "deadlines applied"),
            Err(e) => tracing::error!(error = %e, "deadline sweep failed"),
        }
    }
}

/// A request as both APIs show it, with the deadline counted from `now`.
pub fn view(
    request: &StoredRequest,
    history: Vec<crate::store::AuditEvent>,
    now: DateTime<Utc>,
) -> RequestView<Quote> {
    let p = &request.progress;
    RequestView {
        id: request.id.clone(),
        number: request.number.clone(),
        order_number: request.order_number.clone(),
        kind: request.kind,
        reason: request.reason,
        state: p.state,
        quote: request.quote.clone(),
        evidence: request.evidence.clone(),
        submitted_at: p.submitted_at,
        deadline: p.deadline.map(|(kind, at)| DeadlineView {
            kind,
            at,
            seconds_left: (at - now).num_seconds().max(0),
        }),
        carrier: p.carrier.clone(),
        tracking_number: p.tracking_number.clone(),
        reject_reason: p.reject_reason.clone(),
        history,
    }
}

/// Moves a request of `merchant_id` on by `event` and shows it with its whole history.
pub async fn act(
    state: &AppState,
    merchant_id: &str,
    id: &str,
    actor: refund_core::Actor,
    event: refund_core::Event,
) -> Result<axum::Json<RequestView<Quote>>, ApiError> {
    let request = state
        .service
        .act(
            merchant_id,
            id,
            actor,
            event,
            refund_api::EventDetail::default(),
            |_| Ok(()),
        )
        .await?;
    Ok(axum::Json(view_with_history(state, &request).await?))
}

/// A request with its whole history.
pub async fn view_with_history(
    state: &AppState,
    request: &StoredRequest,
) -> Result<RequestView<Quote>, ApiError> {
    let history = state.service.store().events(&request.id).await?;
    Ok(view(request, history, state.service.now()))
}
