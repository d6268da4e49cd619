//! The merchant's requests: the list, one with its history, the decisions, the payouts, the
//! evidence, and statistics.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use refund_api::{
    Approval, BatchApproval, BatchResult, Problem, QueueCounts, RefundPaid, Rejection, RequestPage,
    RequestQuery, RequestView, Stats, StatsQuery,
};
use refund_core::{Actor, Event};

use crate::error::{ApiError, lang_of};
use crate::routes::extract::{JsonBody, MerchantAuth, OptionalJson, QueryArgs, Work};
use crate::routes::shopper::image_response;
use crate::routes::{AppState, Side, view, view_with_history};
use crate::service::Step;
use crate::store::StoredRequest;

/// Requests a page at a time: by queue tab, state, reason, kind, assignee, total and
/// submission time, or found by request number, order number or e-mail; each with its history.
#[utoipa::path(
    get,
    path = "/requests",
    tag = "merchant",
    params(RequestQuery),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "A page of requests with their history, in the order asked", body = RequestPage),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = refund_api::ErrorBody),
    ),
)]
pub async fn list_requests(
    State(state): State<AppState>,
    auth: MerchantAuth,
    QueryArgs(q): QueryArgs<RequestQuery>,
) -> Result<Json<RequestPage>, ApiError> {
    let (found, next_cursor) = state.service.queue(&auth, &q).await?;
    let histories = state.service.histories(&found).await?;
    let now = state.service.now();
    Ok(Json(RequestPage {
        requests: found
            .iter()
            .zip(histories)
            .map(|(r, history)| view(r, history, now, Side::Desk))
            .collect(),
        next_cursor,
    }))
}

/// How many requests each queue tab holds, under the list's filters (`tab`, `sort`, `cursor`
/// and `limit` aside), and how many are overdue.
#[utoipa::path(
    get,
    path = "/requests/counts",
    tag = "merchant",
    params(RequestQuery),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "Requests per tab", body = QueueCounts),
        (status = 400, description = "`invalid_query`", body = refund_api::ErrorBody),
    ),
)]
pub async fn counts(
    State(state): State<AppState>,
    auth: MerchantAuth,
    QueryArgs(q): QueryArgs<RequestQuery>,
) -> Result<Json<QueueCounts>, ApiError> {
    Ok(Json(state.service.queue_counts(&auth, &q).await?))
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
    auth: MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    let request = state
        .service
        .store()
        .request(&auth.merchant.id, &id)
        .await?
        .ok_or(Problem::NotFound)?;
    desk_view(&state, &request).await
}

async fn desk_view(
    state: &AppState,
    request: &StoredRequest,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(view_with_history(state, request, Side::Desk).await?))
}

/// Takes a step that needs nothing but the event.
async fn merchant_act(
    state: &AppState,
    auth: &MerchantAuth<Work>,
    id: &str,
    event: Event,
) -> Result<Json<RequestView>, ApiError> {
    let step = Step::new(Actor::Merchant, event, Some(auth.acted_by()));
    let request = state
        .service
        .act(&auth.merchant.id, id, step, |_| Ok(()))
        .await?;
    desk_view(state, &request).await
}

#[utoipa::path(
    post,
    path = "/requests/{id}/approve",
    tag = "merchant",
    params(("id" = String, Path, description = "The request's id")),
    request_body(content = Option<Approval>, description = "Optional: for a return, the address the goods go back to"),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The approved request", body = RequestView),
        (status = 409, description = "`transition_not_allowed`: not waiting for a decision", body = refund_api::ErrorBody),
        (status = 422, description = "`unknown_return_address` (also for instructions without an address, or an address for a request that sends nothing back), `text_length`", body = refund_api::ErrorBody),
    ),
)]
pub async fn approve(
    State(state): State<AppState>,
    auth: MerchantAuth<Work>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<Approval>,
) -> Result<Json<RequestView>, ApiError> {
    let request = state.service.approve(&auth, &id, &body).await?;
    desk_view(&state, &request).await
}

/// Approves several requests that wait for a decision, each on its own: what became of each.
#[utoipa::path(
    post,
    path = "/requests/approve",
    tag = "merchant",
    request_body = BatchApproval,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "Each request's state, and for those not approved, why", body = BatchResult),
        (status = 422, description = "`invalid_batch`", body = refund_api::ErrorBody),
    ),
)]
pub async fn approve_batch(
    State(state): State<AppState>,
    auth: MerchantAuth<Work>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BatchApproval>,
) -> Result<Json<BatchResult>, ApiError> {
    let results = state
        .service
        .approve_batch(&auth, &body.ids, lang_of(&headers))
        .await?;
    Ok(Json(BatchResult { results }))
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
        (status = 422, description = "`invalid_text`: the reason is empty or too long; `one_rejection_reason`, `unknown_template`", body = refund_api::ErrorBody),
    ),
)]
pub async fn reject(
    State(state): State<AppState>,
    auth: MerchantAuth<Work>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Rejection>,
) -> Result<Json<RequestView>, ApiError> {
    let request = state.service.reject(&auth, &id, &body).await?;
    desk_view(&state, &request).await
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
    auth: MerchantAuth<Work>,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(&state, &auth, &id, Event::ConfirmReceipt).await
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
    auth: MerchantAuth<Work>,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(&state, &auth, &id, Event::CompleteExchange).await
}

/// Records the refund paid out, per payment: the request's split, or less with a deduction
/// the shopper is shown.
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
        (status = 422, description = "`payout_mismatch`, with the `expected` payouts; `invalid_deduction`, `text_length`", body = refund_api::ErrorBody),
    ),
)]
pub async fn record_refund(
    State(state): State<AppState>,
    auth: MerchantAuth<Work>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RefundPaid>,
) -> Result<Json<RequestView>, ApiError> {
    let request = state.service.record_refund(&auth, &id, &body).await?;
    desk_view(&state, &request).await
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
    auth: MerchantAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let evidence = state
        .service
        .store()
        .evidence(&auth.merchant.id, &id)
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
    auth: MerchantAuth,
    QueryArgs(q): QueryArgs<StatsQuery>,
) -> Result<Json<Stats>, ApiError> {
    Ok(Json(
        state.service.stats(&auth.merchant.id, q.from, q.to).await?,
    ))
}
