//! HTTP routes: the merchant API (secret key), the shopper API (publishable key in the path plus
//! a session token bound to one order) and operations endpoints.

pub mod assets;
pub mod demo;
pub mod merchant;
pub mod openapi;
pub mod ops;
pub mod shopper;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use chrono::{DateTime, Utc};
use refund_core::{DeadlineKind, Quote, Reason, RequestKind, State};
use serde::Serialize;

use crate::service::AppState;
use crate::store::{AuditEvent, StoredRequest};

/// JSON bodies larger than this are refused with 413.
pub const JSON_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1/merchant", merchant::router())
        .nest("/api/v1/shops/{pk}", shopper::router(&state))
        .merge(ops::router())
        .merge(openapi::router())
        .route("/", axum::routing::get(demo::demo_store))
        .fallback(|| async { crate::error::ApiError::not_found() })
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(axum::middleware::from_fn(crate::error::localize))
        .route_layer(axum::middleware::from_fn(ops::track))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[derive(Clone, Debug, Serialize)]
pub struct DeadlineView {
    pub kind: DeadlineKind,
    pub at: DateTime<Utc>,
    pub seconds_left: i64,
}

/// A request as both the shopper and the merchant see it.
#[derive(Clone, Debug, Serialize)]
pub struct RequestView {
    pub id: String,
    pub number: String,
    pub order_number: String,
    pub kind: RequestKind,
    pub reason: Reason,
    pub state: State,
    pub quote: Quote,
    pub evidence: Vec<String>,
    pub submitted_at: DateTime<Utc>,
    pub deadline: Option<DeadlineView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    pub history: Vec<AuditEvent>,
}

impl RequestView {
    pub fn new(
        request: &StoredRequest,
        history: Vec<AuditEvent>,
        now: DateTime<Utc>,
    ) -> RequestView {
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
}

pub async fn request_view(
    state: &AppState,
    request: &StoredRequest,
) -> Result<RequestView, crate::error::ApiError> {
    let history = state.store.events(&request.id).await?;
    Ok(RequestView::new(request, history, state.now()))
}
