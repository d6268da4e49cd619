//! The refund policy: one version after another; requests keep the version they were judged
//! under.

use axum::Json;
use axum::extract::State;
use refund_core::wire::PolicyWire;

use crate::error::ApiError;
use crate::routes::AppState;
use crate::routes::extract::{JsonBody, Manage, MerchantAuth, Read};
use crate::service::policy_of;

#[utoipa::path(
    get,
    path = "/policy",
    tag = "merchant",
    security(("merchant_key" = [])),
    responses((status = 200, description = "The policy in force (version 0: the defaults, until one is set)", body = PolicyWire)),
)]
pub async fn get_policy(
    State(state): State<AppState>,
    auth: MerchantAuth<Read>,
) -> Result<Json<PolicyWire>, ApiError> {
    let m = &auth.merchant;
    Ok(Json(state.service.current_policy(&m.id).await?.to_wire()))
}

/// Sets the policy; every change is a new version (the body's `version` is ignored).
#[utoipa::path(
    put,
    path = "/policy",
    tag = "merchant",
    request_body = PolicyWire,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The stored policy, with its new version", body = PolicyWire),
        (status = 422, description = "The engine's input codes (`invalid_utc_offset`, `invalid_percent`, `unknown_currency`, …), with `field`", body = refund_api::ErrorBody),
    ),
)]
pub async fn put_policy(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    JsonBody(policy): JsonBody<PolicyWire>,
) -> Result<Json<PolicyWire>, ApiError> {
    let m = &auth.merchant;
    let version = state.service.put_policy(&m.id, &policy).await?;
    Ok(Json(policy_of(Some((version, policy)))?.to_wire()))
}
