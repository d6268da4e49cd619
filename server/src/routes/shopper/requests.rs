//! The session's requests: submit, read, cancel, ship back.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use refund_api::{Author, NewMessage, Problem, RequestView, Shipment, ShopperRequest, Thread};
use refund_core::{Actor, Event};

use crate::error::ApiError;
use crate::routes::extract::{JsonBody, Session};
use crate::routes::{AppState, Side, thread, view, view_with_history};
use crate::service::{Sent, Step};
use crate::store::StoredRequest;

const MAX_KEY_CHARS: usize = 255;

/// Submits a request. Needs an `Idempotency-Key`: the same key and body replay the first answer
/// (a duplicate still in flight waits for it), and the same key with another body is refused.
#[utoipa::path(
    post,
    path = "/requests",
    tag = "shopper",
    params(
        ("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"),
        ("Idempotency-Key" = String, Header, description = "Unique per new request (1 to 255 characters); reuse it to retry"),
    ),
    request_body = ShopperRequest,
    security(("shopper_session" = [])),
    responses(
        (status = 201, description = "The recorded request (or, for a retry, the first answer again)", body = RequestView),
        (status = 400, description = "`idempotency_key_required`", body = refund_api::ErrorBody),
        (status = 409, description = "`stale_quote` (with the fresh `quote`), `not_enough_left` (with `left_to_refund` and `quote`), `concurrent_update`", body = refund_api::ErrorBody),
        (status = 422, description = "`request_ineligible` (with `quote`), `expected_total_required`, `idempotency_key_reused`, `unknown_evidence`, `duplicate_evidence`", body = refund_api::ErrorBody),
    ),
)]
pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ShopperRequest>,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_CHARS)
        .ok_or(Problem::IdempotencyKeyRequired)?;
    let answer = state
        .service
        .submit(
            &session.merchant,
            Sent {
                order_number: &session.order.order.wire.number,
                key,
                body: &body,
                lang: crate::error::lang_of(&headers),
            },
            |stored: &StoredRequest| {
                let shown = view(
                    stored,
                    Vec::new(),
                    stored.progress.submitted_at,
                    Side::Shopper,
                );
                serde_json::to_string(&shown).unwrap_or_default()
            },
        )
        .await?;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    Ok((
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response())
}

/// A request of the session's order, or 404 for any other.
async fn own_request(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<StoredRequest, ApiError> {
    Ok(state
        .service
        .store()
        .request(&session.merchant.id, id)
        .await?
        .filter(|r| r.order_id == session.order.order.id)
        .ok_or(Problem::NotFound)?)
}

#[utoipa::path(
    get,
    path = "/requests/{id}",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"), ("id" = String, Path, description = "The request's id")),
    security(("shopper_session" = [])),
    responses((status = 200, description = "The request with its history and running deadline", body = RequestView)),
)]
pub async fn get_request(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<RequestView>, ApiError> {
    let request = own_request(&state, &session, &id).await?;
    Ok(Json(
        view_with_history(&state, &request, Side::Shopper).await?,
    ))
}

async fn shopper_act(
    state: &AppState,
    session: &Session,
    id: &str,
    event: Event,
) -> Result<Json<RequestView>, ApiError> {
    own_request(state, session, id).await?;
    let request = state
        .service
        .act(
            &session.merchant.id,
            id,
            Step::new(Actor::Shopper, event, None),
            |_| Ok(()),
        )
        .await?;
    Ok(Json(
        view_with_history(state, &request, Side::Shopper).await?,
    ))
}

/// The request's thread with the merchant (协商), oldest first.
#[utoipa::path(
    get,
    path = "/requests/{id}/messages",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"), ("id" = String, Path, description = "The request's id")),
    security(("shopper_session" = [])),
    responses((status = 200, description = "The thread, and how many of the merchant's messages are unread", body = Thread)),
)]
pub async fn messages(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Thread>, ApiError> {
    let request = own_request(&state, &session, &id).await?;
    Ok(Json(thread(&state, &request, Side::Shopper).await?))
}

/// Writes to the merchant about the request, with photos uploaded for the order if any.
#[utoipa::path(
    post,
    path = "/requests/{id}/messages",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"), ("id" = String, Path, description = "The request's id")),
    request_body = NewMessage,
    security(("shopper_session" = [])),
    responses(
        (status = 201, description = "The thread with the new message", body = Thread),
        (status = 409, description = "`concurrent_update`", body = refund_api::ErrorBody),
        (status = 422, description = "`text_length`, `unknown_evidence`, `duplicate_evidence`, `too_many_images`, `not_your_side`", body = refund_api::ErrorBody),
    ),
)]
pub async fn post_message(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<NewMessage>,
) -> Result<(StatusCode, Json<Thread>), ApiError> {
    let request = own_request(&state, &session, &id).await?;
    state
        .service
        .post_message(&request, Author::Shopper, None, &body)
        .await?;
    let request = own_request(&state, &session, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(thread(&state, &request, Side::Shopper).await?),
    ))
}

/// Marks the merchant's messages on the request read.
#[utoipa::path(
    post,
    path = "/requests/{id}/messages/read",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"), ("id" = String, Path, description = "The request's id")),
    security(("shopper_session" = [])),
    responses((status = 204, description = "Read")),
)]
pub async fn read_messages(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let request = own_request(&state, &session, &id).await?;
    state
        .service
        .store()
        .mark_read(&request.id, Author::Shopper)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels a request before the merchant decides.
#[utoipa::path(
    post,
    path = "/requests/{id}/cancel",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"), ("id" = String, Path, description = "The request's id")),
    security(("shopper_session" = [])),
    responses(
        (status = 200, description = "The cancelled request", body = RequestView),
        (status = 409, description = "`transition_not_allowed` (already decided)", body = refund_api::ErrorBody),
    ),
)]
pub async fn cancel(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<RequestView>, ApiError> {
    shopper_act(&state, &session, &id, Event::Cancel).await
}

/// Enters the return parcel's carrier and tracking number, once the request is approved.
#[utoipa::path(
    post,
    path = "/requests/{id}/shipment",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"), ("id" = String, Path, description = "The request's id")),
    request_body = Shipment,
    security(("shopper_session" = [])),
    responses(
        (status = 200, description = "The request, now `return_shipped`", body = RequestView),
        (status = 409, description = "`transition_not_allowed`", body = refund_api::ErrorBody),
        (status = 422, description = "`invalid_text` (empty or too long), with `field`", body = refund_api::ErrorBody),
    ),
)]
pub async fn ship_back(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<Shipment>,
) -> Result<Json<RequestView>, ApiError> {
    let event = Event::ShipBack {
        carrier: body.carrier,
        tracking_number: body.tracking_number,
    };
    shopper_act(&state, &session, &id, event).await
}
