//! The desk's work on requests besides decisions: assignment and the thread with the shopper;
//! and the merchant's reply templates and return addresses.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use refund_api::{
    AddressBody, Assignment, Author, NewMessage, Problem, ReplyTemplate, RequestView,
    ReturnAddress, TemplateBody, Thread,
};

use crate::error::ApiError;
use crate::routes::extract::{JsonBody, Manage, MerchantAuth, Read, Work};
use crate::routes::{AppState, Side, thread, view_with_history};
use crate::service::desk::{check_address, check_template};
use crate::store::{DeskList, StoredRequest};

async fn request_of(
    state: &AppState,
    auth: &MerchantAuth<impl crate::routes::extract::Need>,
    id: &str,
) -> Result<StoredRequest, ApiError> {
    Ok(state
        .service
        .store()
        .request(&auth.merchant.id, id)
        .await?
        .ok_or(Problem::NotFound)?)
}

/// Assigns a request to an active agent or owner (an agent takes one with their own id), or
/// to nobody.
#[utoipa::path(
    post,
    path = "/requests/{id}/assign",
    tag = "desk",
    params(("id" = String, Path, description = "The request's id")),
    request_body = Assignment,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The request, assigned", body = RequestView),
        (status = 422, description = "`invalid_assignee`", body = refund_api::ErrorBody),
    ),
)]
pub async fn assign(
    State(state): State<AppState>,
    auth: MerchantAuth<Work>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Assignment>,
) -> Result<Json<RequestView>, ApiError> {
    let request = state
        .service
        .assign(&auth, &id, body.staff_id.as_deref())
        .await?;
    Ok(Json(view_with_history(&state, &request, Side::Desk).await?))
}

/// The request's thread with the shopper (协商), oldest first, with who wrote each message.
#[utoipa::path(
    get,
    path = "/requests/{id}/messages",
    tag = "desk",
    params(("id" = String, Path, description = "The request's id")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The thread, and how many of the shopper's messages are unread", body = Thread)),
)]
pub async fn messages(
    State(state): State<AppState>,
    auth: MerchantAuth<Read>,
    Path(id): Path<String>,
) -> Result<Json<Thread>, ApiError> {
    let request = request_of(&state, &auth, &id).await?;
    Ok(Json(thread(&state, &request, Side::Desk).await?))
}

/// Writes to the shopper about the request, or asks for more photos.
#[utoipa::path(
    post,
    path = "/requests/{id}/messages",
    tag = "desk",
    params(("id" = String, Path, description = "The request's id")),
    request_body = NewMessage,
    security(("merchant_key" = [])),
    responses(
        (status = 201, description = "The thread with the new message", body = Thread),
        (status = 422, description = "`text_length`, `not_your_side`", body = refund_api::ErrorBody),
    ),
)]
pub async fn post_message(
    State(state): State<AppState>,
    auth: MerchantAuth<Work>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NewMessage>,
) -> Result<(StatusCode, Json<Thread>), ApiError> {
    let request = request_of(&state, &auth, &id).await?;
    state
        .service
        .post_message(&request, Author::Merchant, Some(auth.acted_by()), &body)
        .await?;
    let request = request_of(&state, &auth, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(thread(&state, &request, Side::Desk).await?),
    ))
}

/// Marks the shopper's messages on the request read by the desk.
#[utoipa::path(
    post,
    path = "/requests/{id}/messages/read",
    tag = "desk",
    params(("id" = String, Path, description = "The request's id")),
    security(("merchant_key" = [])),
    responses((status = 204, description = "Read")),
)]
pub async fn read_messages(
    State(state): State<AppState>,
    auth: MerchantAuth<Read>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let request = request_of(&state, &auth, &id).await?;
    state
        .service
        .store()
        .mark_read(&request.id, Author::Merchant)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/reply-templates",
    tag = "desk",
    security(("merchant_key" = [])),
    responses((status = 200, description = "The merchant's reply templates, oldest first", body = Vec<ReplyTemplate>)),
)]
pub async fn list_templates(
    State(state): State<AppState>,
    auth: MerchantAuth,
) -> Result<Json<Vec<ReplyTemplate>>, ApiError> {
    Ok(Json(state.service.templates(&auth.merchant.id).await?))
}

/// Adds a reply template, written in both languages.
#[utoipa::path(
    post,
    path = "/reply-templates",
    tag = "desk",
    request_body = TemplateBody,
    security(("merchant_key" = [])),
    responses(
        (status = 201, description = "The template", body = ReplyTemplate),
        (status = 422, description = "`text_length`", body = refund_api::ErrorBody),
    ),
)]
pub async fn add_template(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    JsonBody(body): JsonBody<TemplateBody>,
) -> Result<(StatusCode, Json<ReplyTemplate>), ApiError> {
    let template = put_template(&state, &auth, None, &body).await?;
    Ok((StatusCode::CREATED, Json(template)))
}

async fn put_template(
    state: &AppState,
    auth: &MerchantAuth<Manage>,
    id: Option<&str>,
    body: &TemplateBody,
) -> Result<ReplyTemplate, ApiError> {
    let body = check_template(body)?;
    let json = serde_json::to_string(&body).map_err(ApiError::internal)?;
    let id = state
        .service
        .put_desk_item(&auth.merchant.id, DeskList::Templates, id, &json)
        .await?;
    Ok(ReplyTemplate {
        id,
        title: body.title,
        text: body.text,
    })
}

#[utoipa::path(
    put,
    path = "/reply-templates/{id}",
    tag = "desk",
    params(("id" = String, Path, description = "The template's id")),
    request_body = TemplateBody,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The template", body = ReplyTemplate),
        (status = 422, description = "`text_length`", body = refund_api::ErrorBody),
    ),
)]
pub async fn update_template(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TemplateBody>,
) -> Result<Json<ReplyTemplate>, ApiError> {
    Ok(Json(put_template(&state, &auth, Some(&id), &body).await?))
}

/// Removes a template; rejections that used it keep their text.
#[utoipa::path(
    delete,
    path = "/reply-templates/{id}",
    tag = "desk",
    params(("id" = String, Path, description = "The template's id")),
    security(("merchant_key" = [])),
    responses((status = 204, description = "Removed")),
)]
pub async fn delete_template(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .service
        .delete_desk_item(&auth.merchant.id, DeskList::Templates, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/return-addresses",
    tag = "desk",
    security(("merchant_key" = [])),
    responses((status = 200, description = "The merchant's return addresses, oldest first", body = Vec<ReturnAddress>)),
)]
pub async fn list_addresses(
    State(state): State<AppState>,
    auth: MerchantAuth,
) -> Result<Json<Vec<ReturnAddress>>, ApiError> {
    Ok(Json(state.service.addresses(&auth.merchant.id).await?))
}

async fn put_address(
    state: &AppState,
    auth: &MerchantAuth<Manage>,
    id: Option<&str>,
    body: &AddressBody,
) -> Result<ReturnAddress, ApiError> {
    let body = check_address(body)?;
    let json = serde_json::to_string(&body).map_err(ApiError::internal)?;
    let id = state
        .service
        .put_desk_item(&auth.merchant.id, DeskList::Addresses, id, &json)
        .await?;
    Ok(ReturnAddress::new(id, body))
}

/// Adds a return address to the address book.
#[utoipa::path(
    post,
    path = "/return-addresses",
    tag = "desk",
    request_body = AddressBody,
    security(("merchant_key" = [])),
    responses(
        (status = 201, description = "The address", body = ReturnAddress),
        (status = 422, description = "`text_length`", body = refund_api::ErrorBody),
    ),
)]
pub async fn add_address(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    JsonBody(body): JsonBody<AddressBody>,
) -> Result<(StatusCode, Json<ReturnAddress>), ApiError> {
    let address = put_address(&state, &auth, None, &body).await?;
    Ok((StatusCode::CREATED, Json(address)))
}

#[utoipa::path(
    put,
    path = "/return-addresses/{id}",
    tag = "desk",
    params(("id" = String, Path, description = "The address's id")),
    request_body = AddressBody,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The address", body = ReturnAddress),
        (status = 422, description = "`text_length`", body = refund_api::ErrorBody),
    ),
)]
pub async fn update_address(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AddressBody>,
) -> Result<Json<ReturnAddress>, ApiError> {
    Ok(Json(put_address(&state, &auth, Some(&id), &body).await?))
}

/// Removes an address; approvals that used it keep it.
#[utoipa::path(
    delete,
    path = "/return-addresses/{id}",
    tag = "desk",
    params(("id" = String, Path, description = "The address's id")),
    security(("merchant_key" = [])),
    responses((status = 204, description = "Removed")),
)]
pub async fn delete_address(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .service
        .delete_desk_item(&auth.merchant.id, DeskList::Addresses, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
