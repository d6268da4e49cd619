//! The HTTP edge: the merchant API (secret key), the shopper API (publishable key in the path
//! plus a session token bound to one order), operations endpoints, the API's document and its
//! reference page. Handlers extract, call the service, and map its answer; every body is a
//! type of the contract (`refund-api`).
//!
//! Every API route is registered through `utoipa-axum`, so the router and the OpenAPI document
//! come from the same registration and cannot drift apart.

pub mod assets;
mod budget;
pub mod demo;
mod desk;
mod extract;
mod merchant;
pub mod openapi;
mod ops;
mod shopper;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use chrono::{DateTime, Utc};
use refund_api::{DeadlineView, DeskFacts, MessageView, Problem, RequestView, Thread};
use refund_core::Quote;
use utoipa_axum::router::OpenApiRouter;

pub use desk::SignInLimiter;
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
    pub sign_ins: Arc<SignInLimiter>,
}

/// The API and its pages (without the widget's files, which the binary adds), and the API's
/// document.
pub fn router(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (api, document) = OpenApiRouter::with_openapi(openapi::document())
        .nest("/api/v1/merchant", merchant::router())
        .nest("/api/v1/desk", desk::router())
        .nest("/api/v1/shops/{pk}", shopper::router(&state))
        .merge(ops::router())
        .split_for_parts();
    let document = openapi::complete(document);
    let router = api
        .merge(openapi::router(document.clone()))
        .route("/", axum::routing::get(demo::demo_store))
        .route(
            "/demo/pictures/{name}",
            axum::routing::get(demo::demo_picture),
        )
        .fallback(|| async { ApiError::from(Problem::UnknownEndpoint) })
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(crate::error::catch_panics())
        .layer(axum::middleware::from_fn(crate::error::localize))
        .route_layer(axum::middleware::from_fn(ops::track))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    (router, document)
}

/// Applies deadlines, forgets refilled rate-limit budgets and ended desk sessions every
/// `interval`, until dropped.
pub async fn run_background(state: AppState, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        state.lookups.retain_recent();
        state.sign_ins.retain_recent();
        if let Err(e) = state.service.forget_stale_sessions().await {
            tracing::error!(error = %e, "forgetting stale desk sessions failed");
        }
        match state.service.sweep_deadlines().await {
            Ok(0) => {}
            Ok(moved) => tracing::info!(moved, "deadlines applied"),
            Err(e) => tracing::error!(error = %e, "deadline sweep failed"),
        }
    }
}

/// Whose view of a request: the shopper's leaves out who on the merchant's side did what and
/// what only staff see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Shopper,
    Desk,
}

/// A request as `side` sees it, with the deadline counted from `now`.
pub fn view(
    request: &StoredRequest,
    mut history: Vec<crate::store::AuditEvent>,
    now: DateTime<Utc>,
    side: Side,
) -> RequestView<Quote> {
    let p = &request.progress;
    let said = |field: &str| request.body.get(field);
    let desk = (side == Side::Desk).then(|| DeskFacts {
        customer_email: request.customer_email.clone(),
        note: said("note")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_owned(),
        goods_intact: said("goods_intact")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
        policy_version: request.policy_version,
        assignee: request.assignee.clone(),
    });
    if side == Side::Shopper {
        for event in &mut history {
            event.by = None;
            event.detail.assignee = None;
        }
        // Who works the request is the desk's business.
        history.retain(|e| e.action != "assign");
    }
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
            overdue: at <= now,
        }),
        carrier: p.carrier.clone(),
        tracking_number: p.tracking_number.clone(),
        reject_reason: p.reject_reason.clone(),
        reject_reason_text: p.reject_text.clone(),
        lines: request.lines.clone(),
        return_to: p.return_to.clone(),
        payout: p.payout.clone(),
        unread: match side {
            Side::Shopper => request.unread.shopper,
            Side::Desk => request.unread.desk,
        },
        desk,
        history,
    }
}

/// A request's thread as `side` sees it: the shopper does not see which staff member wrote.
pub async fn thread(
    state: &AppState,
    request: &StoredRequest,
    side: Side,
) -> Result<Thread, ApiError> {
    let rows = state.service.store().messages(&request.id).await?;
    let unread = match side {
        Side::Shopper => request.unread.shopper,
        Side::Desk => request.unread.desk,
    };
    Ok(Thread {
        messages: rows
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                author: m.author,
                by: m.by.filter(|_| side == Side::Desk),
                body: m.body,
                photos: m.photos,
                asks_for_photos: m.asks_for_photos,
                at: m.at,
            })
            .collect(),
        unread,
    })
}

/// A request with its whole history, as `side` sees it.
pub async fn view_with_history(
    state: &AppState,
    request: &StoredRequest,
    side: Side,
) -> Result<RequestView<Quote>, ApiError> {
    let history = state.service.store().events(&request.id).await?;
    Ok(view(request, history, state.service.now(), side))
}
