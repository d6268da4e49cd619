//! The merchant API, authenticated by the secret key: `Authorization: Bearer sk_…`.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use refund_core::wire::{DecimalStr, OrderWire, PolicyWire};
use refund_core::{Actor, Event, Order, Reason, State as RequestState};
use serde::Deserialize;
use serde_json::json;

use super::openapi::ErrorResponse;
use super::{RequestView, request_view};
use crate::auth::{Claims, TokenKind, sign};
use crate::error::{ApiError, JsonBody, QueryArgs, Text};
use crate::service::{self, AppState};
use crate::store::{Merchant, RequestFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/policy", get(get_policy).put(put_policy))
        .route("/orders/{number}", put(put_order).get(get_order))
        .route("/orders/{number}/links", post(create_link))
        .route("/requests", get(list_requests))
        .route("/requests/{id}", get(get_request))
        .route("/requests/{id}/approve", post(approve))
        .route("/requests/{id}/reject", post(reject))
        .route("/requests/{id}/receipt", post(confirm_receipt))
        .route("/requests/{id}/refund", post(record_refund))
        .route("/requests/{id}/exchange", post(complete_exchange))
        .route("/evidence/{id}", get(get_evidence))
        .route("/stats", get(stats))
}

/// The merchant whose secret key the request carries.
pub struct MerchantAuth(pub Merchant);

impl FromRequestParts<AppState> for MerchantAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|k| k.starts_with("sk_"))
            .ok_or_else(ApiError::unauthorized)?;
        let merchant = service::merchant_by_secret_key(state, key)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(MerchantAuth(merchant))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/merchant/policy",
    tag = "merchant",
    security(("merchant_key" = [])),
    responses((status = 200, description = "The policy", body = Object)),
    description = "The policy in force (version 0 is the defaults until one is set)."
)]
async fn get_policy(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
) -> Result<Json<PolicyWire>, ApiError> {
    let policy = service::policy_of(state.store.current_policy(&m.id).await?)?;
    Ok(Json(policy.to_wire()))
}

/// Sets the policy; every change is a new version, and requests keep the version they were
/// judged under.
#[utoipa::path(
    put,
    path = "/api/v1/merchant/policy",
    tag = "merchant",
    request_body = Object,
    security(("merchant_key" = [])),
    responses((status = 200, description = "The stored policy with its new version", body = Object)),
    description = "Sets the policy; each change is a new version."
)]
async fn put_policy(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    JsonBody(policy): JsonBody<PolicyWire>,
) -> Result<Json<PolicyWire>, ApiError> {
    let version = service::put_policy(state.store.as_ref(), &m.id, &policy, state.now()).await?;
    let stored = service::policy_of(Some((version, policy)))?;
    Ok(Json(stored.to_wire()))
}

#[utoipa::path(
    put,
    path = "/api/v1/merchant/orders/{number}",
    tag = "merchant",
    params(("number" = String, Path, description = "Order number")),
    request_body = Object,
    security(("merchant_key" = [])),
    responses((status = 201, description = "Created", body = Object), (status = 200, description = "Updated", body = Object), (status = 409, description = "Lines, prices, discounts or payments changed after a request exists", body = ErrorResponse)),
    description = "Creates or updates an order snapshot."
)]
async fn put_order(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(number): Path<String>,
    JsonBody(order): JsonBody<OrderWire>,
) -> Result<Response, ApiError> {
    if order.number != number {
        return Err(ApiError::unprocessable(
            "order_number_mismatch",
            Text::new(
                "路径中的订单号与请求内容中的 number 不一致。",
                "The order number in the path and the body's number differ.",
            ),
        )
        .field("number"));
    }
    let domain = Order::new(&order)?;
    let flags = domain.flags().to_vec();
    let wire = domain.to_wire();
    let created = service::put_order(state.store.as_ref(), &m.id, &wire, state.now()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "order": wire, "flags": flags })).into_response(),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/merchant/orders/{number}",
    tag = "merchant",
    params(("number" = String, Path, description = "Order number")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The order", body = Object)),
    description = "An order with its flags, ledger, what is left to refund and its requests."
)]
async fn get_order(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(number): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let stored = state
        .store
        .order(&m.id, &number)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (order, requests, ledger) = service::order_state(&state, &stored).await?;
    Ok(Json(json!({
        "order": stored.wire,
        "flags": order.flags(),
        "ledger": ledger.to_wire(&order),
        "left_to_refund": ledger.left_to_refund(&order).map(|m| m.to_string()),
        "requests": requests.iter().map(|r| &r.id).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    /// How long the link works, in seconds (default 7 days, at most 30 days).
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

const MAX_LINK_TTL: i64 = 30 * 86_400;

/// Signs a shopper link for one order (HMAC-SHA256 over merchant, order number and expiry).
#[utoipa::path(
    post,
    path = "/api/v1/merchant/orders/{number}/links",
    tag = "merchant",
    params(("number" = String, Path, description = "Order number")),
    request_body = Object,
    security(("merchant_key" = [])),
    responses((status = 200, description = "token, expires_at and url", body = Object)),
    description = "Signs a shopper link for the order (`{\"ttl_seconds\": 604800}`, default 7 days)."
)]
async fn create_link(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .store
        .order(&m.id, &number)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let ttl = body.ttl_seconds.unwrap_or(7 * 86_400);
    if !(60..=MAX_LINK_TTL).contains(&ttl) {
        return Err(ApiError::unprocessable(
            "invalid_ttl",
            Text::new(
                "ttl_seconds 必须在 60 到 2592000 之间。",
                "ttl_seconds must be between 60 and 2592000.",
            ),
        )
        .field("ttl_seconds"));
    }
    let expires_at = state.now() + TimeDelta::seconds(ttl);
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
        state.public_url, m.publishable_key
    );
    Ok(Json(
        json!({ "token": token, "expires_at": expires_at, "url": url }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<RequestState>,
    reason: Option<Reason>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    cursor: Option<String>,
    limit: Option<u32>,
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request(
        "invalid_cursor",
        Text::new(
            "cursor 无效，请使用上一页返回的 next_cursor。",
            "Invalid cursor; pass the next_cursor of the previous page.",
        ),
    )
    .field("cursor")
}

fn encode_cursor(at: DateTime<Utc>, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.to_rfc3339()))
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, String), ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let (at, id) = text.split_once('|').ok_or_else(bad_cursor)?;
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| bad_cursor())?
        .to_utc();
    Ok((at, id.to_owned()))
}

/// Requests, newest first, filtered by state, reason and submission time, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/merchant/requests",
    tag = "merchant",
    params(("state" = Option<String>, Query, description = "submitted, approved, …"), ("reason" = Option<String>, Query), ("from" = Option<String>, Query, description = "RFC 3339, inclusive"), ("to" = Option<String>, Query, description = "RFC 3339, exclusive"), ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"), ("limit" = Option<u32>, Query, description = "1 to 200, default 50")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "requests and next_cursor", body = Object)),
    description = "Requests, newest first, a page at a time."
)]
async fn list_requests(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    QueryArgs(q): QueryArgs<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let filter = RequestFilter {
        state: q.state,
        reason: q.reason,
        from: q.from,
        to: q.to,
        before: q.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: limit + 1,
    };
    let mut found = state.store.list_requests(&m.id, &filter).await?;
    let next_cursor = if found.len() > limit as usize {
        found.truncate(limit as usize);
        found
            .last()
            .map(|r| encode_cursor(r.progress.submitted_at, &r.id))
    } else {
        None
    };
    let now = state.now();
    let requests: Vec<RequestView> = found
        .iter()
        .map(|r| RequestView::new(r, Vec::new(), now))
        .collect();
    Ok(Json(
        json!({ "requests": requests, "next_cursor": next_cursor }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/merchant/requests/{id}",
    tag = "merchant",
    params(("id" = String, Path)),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The request", body = Object)),
    description = "One request with its full history."
)]
async fn get_request(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    let request = state
        .store
        .request(&m.id, &id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(request_view(&state, &request).await?))
}

async fn merchant_act(
    state: &AppState,
    m: &Merchant,
    id: &str,
    event: Event,
) -> Result<Json<RequestView>, ApiError> {
    let request = service::act(state, &m.id, id, Actor::Merchant, event, json!({}), |_| {
        Ok(())
    })
    .await?;
    Ok(Json(request_view(state, &request).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/merchant/requests/{id}/approve",
    tag = "merchant",
    params(("id" = String, Path)),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The request", body = Object)),
    description = "Approves a submitted request."
)]
async fn approve(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(&state, &m, &id, Event::Approve).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    /// Shown to the shopper.
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/merchant/requests/{id}/reject",
    tag = "merchant",
    params(("id" = String, Path)),
    request_body = Object,
    security(("merchant_key" = [])),
    responses((status = 200, description = "The request", body = Object)),
    description = "Rejects a submitted request; `{\"reason\": \"…\"}` is shown to the shopper."
)]
async fn reject(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RejectBody>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(
        &state,
        &m,
        &id,
        Event::Reject {
            reason: body.reason,
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/merchant/requests/{id}/receipt",
    tag = "merchant",
    params(("id" = String, Path)),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The request", body = Object)),
    description = "Confirms the returned goods arrived."
)]
async fn confirm_receipt(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(&state, &m, &id, Event::ConfirmReceipt).await
}

#[utoipa::path(
    post,
    path = "/api/v1/merchant/requests/{id}/exchange",
    tag = "merchant",
    params(("id" = String, Path)),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The request", body = Object)),
    description = "Completes an exchange after receipt."
)]
async fn complete_exchange(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    merchant_act(&state, &m, &id, Event::CompleteExchange).await
}

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Payout {
    /// The payment's position in the order's payments.
    payment: u32,
    amount: DecimalStr,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    payouts: Vec<Payout>,
}

/// Records the refund paid out, per payment. It must be exactly the quote's split: that is what
/// the shopper was promised and what the order's ledger already counts.
#[utoipa::path(
    post,
    path = "/api/v1/merchant/requests/{id}/refund",
    tag = "merchant",
    params(("id" = String, Path)),
    request_body = Object,
    security(("merchant_key" = [])),
    responses((status = 200, description = "The request", body = Object), (status = 422, description = "Payouts differ from the split", body = ErrorResponse)),
    description = "Records the payout per payment (`{\"payouts\": [{\"payment\": 0, \"amount\": \"99.00\"}]}`); must equal the quote's split."
)]
async fn record_refund(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RefundBody>,
) -> Result<Json<RequestView>, ApiError> {
    let mut payouts = body.payouts;
    payouts.sort();
    let detail = json!({ "payouts": payouts });
    let check = move |current: &crate::store::StoredRequest| {
        let mut expected: Vec<Payout> = current
            .quote
            .split
            .iter()
            .map(|s| Payout {
                payment: s.payment,
                amount: s.amount,
            })
            .collect();
        expected.sort();
        if expected == payouts {
            Ok(())
        } else {
            let split = serde_json::to_value(&expected).unwrap_or_default();
            Err(ApiError::unprocessable(
                "payout_mismatch",
                Text::new(
                    "退款明细必须与申请确认的各支付方式金额完全一致。",
                    "The payouts must be exactly the request's split across payments.",
                ),
            )
            .field("payouts")
            .details(json!({ "expected": split })))
        }
    };
    let request = service::act(
        &state,
        &m.id,
        &id,
        Actor::Merchant,
        Event::RecordRefund,
        detail,
        check,
    )
    .await?;
    Ok(Json(request_view(&state, &request).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/merchant/evidence/{id}",
    tag = "merchant",
    params(("id" = String, Path)),
    security(("merchant_key" = [])),
    responses((status = 200, description = "The image", content_type = "image/*")),
    description = "An evidence image."
)]
async fn get_evidence(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let evidence = state
        .store
        .evidence(&m.id, &id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(super::shopper::image_response(evidence))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

#[derive(Default, serde::Serialize)]
struct Tally {
    /// Requests submitted in the period, whatever became of them.
    requests: u32,
    /// Units asked for.
    units: u32,
    /// Money refunded or still promised (requests not rejected, cancelled or closed), by currency.
    amounts: std::collections::BTreeMap<String, DecimalStr>,
}

/// Counts and amounts by reason and by SKU for requests submitted in `[from, to)`.
#[utoipa::path(
    get,
    path = "/api/v1/merchant/stats",
    tag = "merchant",
    params(("from" = String, Query, description = "RFC 3339, inclusive"), ("to" = String, Query, description = "RFC 3339, exclusive")),
    security(("merchant_key" = [])),
    responses((status = 200, description = "by_reason and by_sku", body = Object)),
    description = "Requests, units and money by reason and by SKU."
)]
async fn stats(
    State(state): State<AppState>,
    MerchantAuth(m): MerchantAuth,
    QueryArgs(q): QueryArgs<StatsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    use std::collections::BTreeMap;
    let mut by_reason: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut by_sku: BTreeMap<String, Tally> = BTreeMap::new();
    let mut skus: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut filter = RequestFilter {
        from: Some(q.from),
        to: Some(q.to),
        limit: 500,
        ..RequestFilter::default()
    };
    loop {
        let page = state.store.list_requests(&m.id, &filter).await?;
        for r in &page {
            let counts = r.progress.state.holds_ledger();
            let currency = r.quote.currency.code().to_owned();
            if !skus.contains_key(&r.order_number) {
                let order = state
                    .store
                    .order(&m.id, &r.order_number)
                    .await?
                    .ok_or_else(ApiError::not_found)?;
                let map = order
                    .wire
                    .lines
                    .iter()
                    .map(|l| (l.id.clone(), l.sku.clone()))
                    .collect();
                skus.insert(r.order_number.clone(), map);
            }
            let reason = by_reason.entry(r.reason.code()).or_default();
            reason.requests += 1;
            if counts {
                reason.amounts.entry(currency.clone()).or_default().0 += r.quote.total.0;
            }
            for line in &r.quote.lines {
                reason.units += line.quantity;
                let sku = skus[&r.order_number]
                    .get(&line.line_id)
                    .cloned()
                    .unwrap_or_default();
                let tally = by_sku.entry(sku).or_default();
                tally.requests += 1;
                tally.units += line.quantity;
                if counts {
                    let item: rust_decimal::Decimal = r
                        .quote
                        .components
                        .iter()
                        .filter_map(|c| match c {
                            refund_core::Component::Item {
                                line_id, amount, ..
                            } if *line_id == line.line_id => Some(amount.0),
                            _ => None,
                        })
                        .sum();
                    tally.amounts.entry(currency.clone()).or_default().0 += item;
                }
            }
        }
        match page.last() {
            Some(last) if page.len() == filter.limit as usize => {
                filter.before = Some((last.progress.submitted_at, last.id.clone()))
            }
            _ => break,
        }
    }
    Ok(Json(
        json!({ "from": q.from, "to": q.to, "by_reason": by_reason, "by_sku": by_sku }),
    ))
}
