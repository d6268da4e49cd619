//! Events out for the merchant's systems: webhook endpoints (signed as the Standard Webhooks
//! specification says), their delivery logs, and the events feed for those who prefer pulling.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use refund_api::{
    DeliveryLog, EndpointChange, EndpointSecret, EndpointView, EventPage, EventQuery, NewEndpoint,
    Rotation,
};

use crate::error::ApiError;
use crate::routes::AppState;
use crate::routes::extract::{JsonBody, Manage, MerchantAuth, OptionalJson, QueryArgs, Read};

/// The merchant's events, oldest first, from a cursor: every state change, message and
/// payout, and endpoints turned off. Each is the body its webhooks carry.
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    params(EventQuery),
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "A page of events and the cursor to ask from next", body = EventPage),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = refund_api::ErrorBody),
    ),
)]
pub async fn events(
    State(state): State<AppState>,
    auth: MerchantAuth<Read>,
    QueryArgs(q): QueryArgs<EventQuery>,
) -> Result<Json<EventPage>, ApiError> {
    Ok(Json(
        state
            .service
            .events_feed(&auth.merchant.id, q.after.as_deref(), q.limit)
            .await?,
    ))
}

/// The merchant's webhook endpoints.
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "events",
    security(("merchant_key" = [])),
    responses((status = 200, description = "The endpoints, oldest first", body = [EndpointView])),
)]
pub async fn list_endpoints(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
) -> Result<Json<Vec<EndpointView>>, ApiError> {
    Ok(Json(state.service.endpoints(&auth.merchant.id).await?))
}

/// Subscribes an endpoint. Its signing secret (`whsec_…`) is in this answer only: every
/// delivery carries `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64
/// HMAC-SHA256 of id.timestamp.body>`, which any Standard Webhooks library verifies.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "events",
    request_body = NewEndpoint,
    security(("merchant_key" = [])),
    responses(
        (status = 201, description = "The endpoint and its signing secret", body = EndpointSecret),
        (status = 422, description = "`invalid_webhook_url`, `too_many_endpoints`", body = refund_api::ErrorBody),
    ),
)]
pub async fn add_endpoint(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    JsonBody(body): JsonBody<NewEndpoint>,
) -> Result<(StatusCode, Json<EndpointSecret>), ApiError> {
    let created = state.service.add_endpoint(&auth.merchant.id, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes an endpoint's URL or event types, or turns it off or back on (its waiting
/// deliveries then resume).
#[utoipa::path(
    patch,
    path = "/webhooks/{id}",
    tag = "events",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body = EndpointChange,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The endpoint", body = EndpointView),
        (status = 422, description = "`invalid_webhook_url`", body = refund_api::ErrorBody),
    ),
)]
pub async fn change_endpoint(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<EndpointChange>,
) -> Result<Json<EndpointView>, ApiError> {
    Ok(Json(
        state
            .service
            .change_endpoint(&auth.merchant.id, &id, &body)
            .await?,
    ))
}

/// Removes an endpoint and its delivery log.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "events",
    params(("id" = String, Path, description = "The endpoint's id")),
    security(("merchant_key" = [])),
    responses((status = 204, description = "Removed")),
)]
pub async fn delete_endpoint(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .service
        .remove_endpoint(&auth.merchant.id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret, shown once; the old one keeps signing beside it for the overlap
/// (24 hours unless asked otherwise, at most 168), so receivers can switch without a gap.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate",
    tag = "events",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body(content = Option<Rotation>, description = "Optional"),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The endpoint and its new secret", body = EndpointSecret)),
)]
pub async fn rotate(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<Rotation>,
) -> Result<Json<EndpointSecret>, ApiError> {
    let hours = body.overlap_hours;
    Ok(Json(
        state
            .service
            .rotate_secret(&auth.merchant.id, &id, hours)
            .await?,
    ))
}

/// The endpoint's latest deliveries (50), newest first, each with its attempts: status,
/// latency, the start of the answer, or what went wrong.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    tag = "events",
    params(("id" = String, Path, description = "The endpoint's id")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The delivery log", body = DeliveryLog)),
)]
pub async fn deliveries(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
) -> Result<Json<DeliveryLog>, ApiError> {
    Ok(Json(
        state.service.delivery_log(&auth.merchant.id, &id).await?,
    ))
}

/// Sends an event to the endpoint again, now (also one it never got, or one given up).
#[utoipa::path(
    post,
    path = "/webhooks/{id}/events/{event_id}/redeliver",
    tag = "events",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
        ("event_id" = String, Path, description = "The event's id (`evt_…`)"),
    ),
    security(("merchant_key" = [])),
    responses((status = 204, description = "Queued; the delivery log shows the attempt")),
)]
pub async fn redeliver(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path((id, event_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .service
        .redeliver(&auth.merchant.id, &id, &event_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
