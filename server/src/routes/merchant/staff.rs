//! The merchant's staff and the desk's settings: who works the desk, as what.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use refund_api::{DeskSettings, NewStaff, SetUpLink, StaffChange, StaffView};

use crate::error::ApiError;
use crate::routes::AppState;
use crate::routes::desk::staff_view;
use crate::routes::extract::{JsonBody, Manage, MerchantAuth};
use crate::service::staff::setup_url;
use crate::store::StaffRow;

fn link(
    state: &AppState,
    (staff, token, expires_at): (StaffRow, String, chrono::DateTime<chrono::Utc>),
) -> SetUpLink {
    SetUpLink {
        staff: staff_view(&staff),
        url: setup_url(&state.settings.public_url, &token),
        expires_at,
    }
}

/// The merchant's staff, oldest first.
#[utoipa::path(
    get,
    path = "/staff",
    tag = "desk",
    security(("merchant_key" = [])),
    responses((status = 200, description = "Every staff member, active or not", body = Vec<StaffView>)),
)]
pub async fn list_staff(
    State(state): State<AppState>,
    auth: MerchantAuth,
) -> Result<Json<Vec<StaffView>>, ApiError> {
    let staff = state.service.store().list_staff(&auth.merchant.id).await?;
    Ok(Json(staff.iter().map(staff_view).collect()))
}

/// Invites a staff member: the answer's set-up link (shown once) lets them choose a password.
#[utoipa::path(
    post,
    path = "/staff",
    tag = "desk",
    request_body = NewStaff,
    security(("merchant_key" = [])),
    responses(
        (status = 201, description = "The new staff member and their set-up link", body = SetUpLink),
        (status = 403, description = "`forbidden`: only owners manage staff", body = refund_api::ErrorBody),
        (status = 409, description = "`email_taken`", body = refund_api::ErrorBody),
        (status = 422, description = "`invalid_email`, `text_length`", body = refund_api::ErrorBody),
    ),
)]
pub async fn invite(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    JsonBody(body): JsonBody<NewStaff>,
) -> Result<(StatusCode, Json<SetUpLink>), ApiError> {
    let added = state.service.add_staff(&auth.merchant.id, &body).await?;
    Ok((StatusCode::CREATED, Json(link(&state, added))))
}

/// Renames a staff member, changes their role, or (de)activates them.
#[utoipa::path(
    patch,
    path = "/staff/{id}",
    tag = "desk",
    params(("id" = String, Path, description = "The staff member's id")),
    request_body = StaffChange,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The staff member as changed", body = StaffView),
        (status = 409, description = "`last_owner`: the store keeps at least one active owner", body = refund_api::ErrorBody),
        (status = 422, description = "`text_length`", body = refund_api::ErrorBody),
    ),
)]
pub async fn change(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<StaffChange>,
) -> Result<Json<StaffView>, ApiError> {
    let staff = state
        .service
        .change_staff(&auth.merchant.id, &id, &body)
        .await?;
    Ok(Json(staff_view(&staff)))
}

/// A new set-up link for a staff member (to set a forgotten password); the old one stops working.
#[utoipa::path(
    post,
    path = "/staff/{id}/set-up-link",
    tag = "desk",
    params(("id" = String, Path, description = "The staff member's id")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The link, shown once", body = SetUpLink)),
)]
pub async fn set_up_link(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(id): Path<String>,
) -> Result<Json<SetUpLink>, ApiError> {
    let added = state.service.new_setup_link(&auth.merchant.id, &id).await?;
    Ok(Json(link(&state, added)))
}

#[utoipa::path(
    get,
    path = "/desk-settings",
    tag = "desk",
    security(("merchant_key" = [])),
    responses((status = 200, description = "The desk's settings", body = DeskSettings)),
)]
pub async fn get_settings(
    State(state): State<AppState>,
    auth: MerchantAuth,
) -> Result<Json<DeskSettings>, ApiError> {
    Ok(Json(DeskSettings {
        auto_assign: state.service.store().auto_assign(&auth.merchant.id).await?,
    }))
}

/// Turns the automatic assignment of new requests on or off.
#[utoipa::path(
    put,
    path = "/desk-settings",
    tag = "desk",
    request_body = DeskSettings,
    security(("merchant_key" = [])),
    responses((status = 200, description = "The desk's settings", body = DeskSettings)),
)]
pub async fn put_settings(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    JsonBody(body): JsonBody<DeskSettings>,
) -> Result<Json<DeskSettings>, ApiError> {
    state
        .service
        .store()
        .set_auto_assign(&auth.merchant.id, body.auto_assign)
        .await?;
    Ok(Json(body))
}
