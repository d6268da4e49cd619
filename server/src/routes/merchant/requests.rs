//! The merchant's requests: the list, one with its history, the decisions, the payouts, the
//! evidence, and statistics.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use refund_api::{
    Problem, RefundPaid, Rejection, RequestPage, RequestQuery, RequestView, Stats, StatsQuery,
};
use refund_core::{Actor, Event};

use crate::error::ApiError;
use crate::routes::extract::{JsonBody, MerchantAuth, QueryArgs};
use crate::routes::shopper::image_response;
use crate::routes::{AppState, act, view, view_with_history};
use crate::store::{Merchant, RequestFilter};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

fn encode_cursor(at: DateTime<Utc>, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.to_rfc3339()))
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, String), ApiError> {
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(Problem::InvalidCursor)?;
    let (at, id) = text.split_once('|').ok_or(Problem::InvalidCursor)?;
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| Problem::InvalidCursor)?
        .to_utc();
    Ok((at, id.to_owned()))
}

/// Requests, newest first, filtered by state, reason and submission time, a page at a time.
#[utoipa::path(
    get,
    path = "/requests",
    tag = "merchant",
    params(RequestQuery),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "A page of requests (without their history)", body = RequestPage),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = refund_api::ErrorBody),
    ),
)]
pub async fn list_requests(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    QueryArgs(q): QueryArgs<RequestQuery>,
) -> Result<Json<RequestPage>, ApiError> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::InvalidQuery {
            detail: format!("limit must be between 1 and {MAX_PAGE}"),
        }
        .into());
    }
    let filter = RequestFilter {
        state: q.state,
        reason: q.reason,
        from: q.from,
        to: q.to,
        before: q
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()?,
        limit: limit + 1,
    };
    let mut found = state.service.store().list_requests(&m.id, &filter).await?;
    let next_cursor = if found.len() > limit as usize {
        found.truncate(limit as usize);
        found
            .last()
            .map(|r| encode_cursor(r.progress.submitted_at, &r.id))
    } else {
        None
    };
    let now = state.service.now();
    Ok(Json(RequestPage {
        requests: found.iter().map(|r| view(r, Vec::new(), now)).collect(),
        next_cursor,
    }))
}

#[utoipa::path(
    get,
    path = "/requests/{id}",
    tag = "merchant",
    params(("id" = String, Path, description = "The request's id")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The request with its whole history", body = RequestView)),
)]
pub async fn get_request(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    let request = state
        .service
        .store()
        .request(&m.id, &id)
        .await?
        .ok_or(Problem::NotFound)?;
    Ok(Json(view_with_history(&state, &request).await?))
}

async fn merchant_act(
    state: &AppState,
    m: &Merchant,
    id: &str,
    event: Event,
) -> Result<Json<RequestView>, ApiError> {
    act(state, &m.id, id, Actor::Merchant, event).await
}

#[utoipa::path(
    post,
    path = "/requests/{id}/approve",
    tag = "merchant",
    params(("id" = String, Path, description = "The request's id")),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The approved request", body = RequestView),
        (status = 409, description = "`transition_not_allowed`: not waiting for a decision", body = refund_api::ErrorBody),
    ),
)]
pub async fn approve(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(&state, &m, &id, Event::Approve).await
}

/// Rejects a submitted request; the reason is shown to the shopper.
#[utoipa::path(
    post,
    path = "/requests/{id}/reject",
    tag = "merchant",
    params(("id" = String, Path, description = "The request's id")),
    request_body = Rejection,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The rejected request", body = RequestView),
        (status = 409, description = "`transition_not_allowed`", body = refund_api::ErrorBody),
        (status = 422, description = "`invalid_text`: the reason is empty or too long", body = refund_api::ErrorBody),
    ),
)]
pub async fn reject(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Rejection>,
) -> Result<Json<RequestView>, ApiError> {
    let event = Event::Reject {
        reason: body.reason,
    };
    merchant_act(&state, &m, &id, event).await
}

/// Confirms the returned goods arrived.
#[utoipa::path(
    post,
    path = "/requests/{id}/receipt",
    tag = "merchant",
    params(("id" = String, Path, description = "The request's id")),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The request, now `received`", body = RequestView),
        (status = 409, description = "`transition_not_allowed`", body = refund_api::ErrorBody),
    ),
)]
pub async fn confirm_receipt(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(&state, &m, &id, Event::ConfirmReceipt).await
}

/// Completes an exchange after the goods came back.
#[utoipa::path(
    post,
    path = "/requests/{id}/exchange",
    tag = "merchant",
    params(("id" = String, Path, description = "The request's id")),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The request, now `exchanged`", body = RequestView),
        (status = 409, description = "`transition_not_allowed`", body = refund_api::ErrorBody),
    ),
)]
pub async fn complete_exchange(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(&state, &m, &id, Event::CompleteExchange).await
}

/// Records the refund paid out, per payment: exactly the request's split.
#[utoipa::path(
    post,
    path = "/requests/{id}/refund",
    tag = "merchant",
    params(("id" = String, Path, description = "The request's id")),
    request_body = RefundPaid,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The request, now `refunded`", body = RequestView),
        (status = 409, description = "`transition_not_allowed`", body = refund_api::ErrorBody),
        (status = 422, description = "`payout_mismatch`, with the `expected` payouts", body = refund_api::ErrorBody),
    ),
)]
pub async fn record_refund(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RefundPaid>,
) -> Result<Json<RequestView>, ApiError> {
    let request = state
        .service
        .record_refund(&m.id, &id, body.payouts)
        .await?;
    Ok(Json(view_with_history(&state, &request).await?))
}

#[utoipa::path(
    get,
    path = "/evidence/{id}",
    tag = "merchant",
    params(("id" = String, Path, description = "The image's id")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The image", content_type = "image/*", body = Vec<u8>)),
)]
pub async fn get_evidence(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let evidence = state
        .service
        .store()
        .evidence(&m.id, &id)
        .await?
        .ok_or(Problem::NotFound)?;
    Ok(image_response(evidence))
}

/// Requests, units and money by reason and by SKU, for requests submitted in `[from, to)`.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "merchant",
    params(StatsQuery),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "Counts and amounts by reason and by SKU", body = Stats),
        (status = 400, description = "`invalid_query`", body = refund_api::ErrorBody),
    ),
)]
pub async fn stats(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    QueryArgs(q): QueryArgs<StatsQuery>,
) -> Result<Json<Stats>, ApiError> {
    Ok(Json(state.service.stats(&m.id, q.from, q.to).await?))
}
