//! Order snapshots, and the signed links that open them for the shopper.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::TimeDelta;
use refund_api::{Link, LinkRequest, MerchantOrderView, OrderSaved, Problem};
use refund_core::Order;
use refund_core::wire::{DecimalStr, OrderWire};

use crate::auth::{Claims, TokenKind, sign};
use crate::error::ApiError;
use crate::routes::AppState;
use crate::routes::extract::{JsonBody, Manage, MerchantAuth, Read, Work};

const DEFAULT_LINK_TTL: i64 = 7 * 86_400;
const MIN_LINK_TTL: i64 = 60;
const MAX_LINK_TTL: i64 = 30 * 86_400;

/// Creates or updates an order snapshot. Payments must add up to lines − discounts + shipping;
/// once the order has requests, only its status and times may change.
#[utoipa::path(
    put,
    path = "/orders/{number}",
    tag = "merchant",
    params(("number" = String, Path, description = "The order number; the same as the body's", example = "DEMO-1001")),
    request_body = OrderWire,
    security(("merchant_key" = [])),
    responses(
        (status = 201, description = "Created", body = OrderSaved),
        (status = 200, description = "Updated", body = OrderSaved),
        (status = 409, description = "`order_locked`: lines, prices, discounts or payments changed after a request", body = refund_api::ErrorBody),
        (status = 422, description = "`order_number_mismatch`, or the engine's input codes (`payments_mismatch`, `discounts_exceed_goods`, …), with `field`", body = refund_api::ErrorBody),
    ),
)]
pub async fn put_order(
    State(state): State<AppState>,
    auth: MerchantAuth<Manage>,
    Path(number): Path<String>,
    JsonBody(order): JsonBody<OrderWire>,
) -> Result<(StatusCode, Json<OrderSaved>), ApiError> {
    let m = &auth.merchant;
    if order.number != number {
        return Err(Problem::OrderNumberMismatch.into());
    }
    let domain = Order::new(&order)?;
    let order = domain.to_wire();
    let created = state.service.put_order(&m.id, &order).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(OrderSaved {
            order,
            flags: domain.flags().to_vec(),
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/orders/{number}",
    tag = "merchant",
    params(("number" = String, Path, description = "The order number", example = "DEMO-1001")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The order with its flags, ledger, what is left to refund and its requests", body = MerchantOrderView)),
)]
pub async fn get_order(
    State(state): State<AppState>,
    auth: MerchantAuth<Read>,
    Path(number): Path<String>,
) -> Result<Json<MerchantOrderView>, ApiError> {
    let m = &auth.merchant;
    let stored = state
        .service
        .store()
        .order(&m.id, &number)
        .await?
        .ok_or(Problem::NotFound)?;
    let (order, requests, ledger) = state.service.order_state(&stored).await?;
    let left = ledger
        .left_to_refund(&order)
        .ok_or_else(|| ApiError::internal("the ledger exceeds the order"))?;
    Ok(Json(MerchantOrderView {
        order: stored.wire,
        flags: order.flags().to_vec(),
        ledger: ledger.to_wire(&order),
        left_to_refund: DecimalStr(left.amount()),
        requests: requests.into_iter().map(|r| r.id).collect(),
    }))
}

/// Signs a shopper link for one order (HMAC-SHA256 over merchant, order number and expiry).
#[utoipa::path(
    post,
    path = "/orders/{number}/links",
    tag = "merchant",
    params(("number" = String, Path, description = "The order number", example = "DEMO-1001")),
    request_body = LinkRequest,
    security(("merchant_key" = [])),
    responses(
        (status = 200, description = "The link's token, expiry and page URL", body = Link),
        (status = 422, description = "`invalid_ttl`", body = refund_api::ErrorBody),
    ),
)]
pub async fn create_link(
    State(state): State<AppState>,
    auth: MerchantAuth<Work>,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<LinkRequest>,
) -> Result<Json<Link>, ApiError> {
    let m = &auth.merchant;
    state
        .service
        .store()
        .order(&m.id, &number)
        .await?
        .ok_or(Problem::NotFound)?;
    let ttl = body.ttl_seconds.unwrap_or(DEFAULT_LINK_TTL);
    if !(MIN_LINK_TTL..=MAX_LINK_TTL).contains(&ttl) {
        return Err(Problem::InvalidTtl {
            min: MIN_LINK_TTL,
            max: MAX_LINK_TTL,
        }
        .into());
    }
    let expires_at = state.service.now() + TimeDelta::seconds(ttl);
    let token = sign(
        &m.signing_secret,
        &Claims {
            kind: TokenKind::Link,
            m: m.id.clone(),
            o: number,
            exp: expires_at.timestamp(),
        },
    );
    let url = format!(
        "{}/refund?merchant={}&token={token}",
        state.settings.public_url, m.publishable_key
    );
    Ok(Json(Link {
        token,
        expires_at,
        url,
    }))
}
