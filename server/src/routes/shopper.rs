//! The shopper API, under `/api/v1/shops/{publishable_key}`.
//!
//! A shopper first opens a session for one order, with the merchant's signed link token or with
//! the order number and email; every other call carries that session token
//! (`Authorization: Bearer …`) and can only see that order and its requests. The lookup answers
//! the same way whether or not the order exists, and is rate limited per client.

use std::net::SocketAddr;
use std::num::NonZeroU32;

use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, OriginalUri, Path, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::TimeDelta;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use refund_core::{Actor, Event};
use serde::Deserialize;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::openapi::ErrorResponse;
use super::{RequestView, request_view};
use crate::auth::{Claims, TokenKind, peek, random_key, sha256_hex, sign, verify};
use crate::error::{ApiError, JsonBody, Text, too_large};
use crate::service::{self, AppState, ShopperRequest};
use crate::store::{Answer, Evidence, Merchant, OrderSnapshot, StoredRequest};

/// Evidence images: at most this many bytes each and this many per order.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_IMAGES_PER_ORDER: u32 = 9;
/// How long a shopper session lasts.
const SESSION_TTL: TimeDelta = TimeDelta::hours(2);

pub type LookupLimiter = DefaultKeyedRateLimiter<String>;

/// Order lookups allowed per client and merchant: a burst of 10, then one every 6 seconds.
pub fn lookup_limiter() -> LookupLimiter {
    RateLimiter::keyed(
        Quota::per_minute(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN)),
    )
}

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/session", post(open_session))
        .route("/order", get(order_view))
        .route("/quote", post(quote))
        .route("/requests", post(submit))
        .route("/requests/{id}", get(get_request))
        .route("/requests/{id}/cancel", post(cancel))
        .route("/requests/{id}/shipment", post(ship_back))
        .route(
            "/evidence",
            post(upload_evidence).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES + 1)),
        )
        .route("/evidence/{id}", get(get_evidence).delete(delete_evidence))
        .layer(cors(state))
}

/// CORS only for the origins the merchant configured. The publishable key is in the path, so
/// even a preflight (which carries no credentials) names the merchant.
fn cors(state: &AppState) -> CorsLayer {
    let state = state.clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(
            move |origin: HeaderValue, parts: &Parts| {
                let state = state.clone();
                let key = publishable_key_of(full_path(parts)).map(str::to_owned);
                async move {
                    let (Some(key), Ok(origin)) = (key, origin.to_str()) else {
                        return false;
                    };
                    match service::merchant_by_publishable_key(&state, &key).await {
                        Ok(Some(m)) => m.allowed_origins.iter().any(|o| o == origin),
                        _ => false,
                    }
                }
            },
        ))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT_LANGUAGE,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// The request's path before nesting stripped the `/api/v1/shops/{pk}` prefix.
fn full_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or(parts.uri.path(), |original| original.0.path())
}

fn publishable_key_of(path: &str) -> Option<&str> {
    path.strip_prefix("/api/v1/shops/")?.split('/').next()
}

/// The merchant named by the publishable key in the path.
pub struct Shop(pub Merchant);

impl FromRequestParts<AppState> for Shop {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = publishable_key_of(full_path(parts)).ok_or_else(ApiError::not_found)?;
        let merchant = service::merchant_by_publishable_key(state, key)
            .await?
            .ok_or_else(ApiError::not_found)?;
        Ok(Shop(merchant))
    }
}

/// A shopper's session: one order of one merchant, read with what a quote needs around it.
pub struct Session {
    pub merchant: Merchant,
    pub order: OrderSnapshot,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Shop(merchant) = Shop::from_request_parts(parts, state).await?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let claims = verify(
            &merchant.signing_secret,
            token,
            TokenKind::Session,
            state.now(),
        )
        .filter(|c| c.m == merchant.id)
        .ok_or_else(expired_session)?;
        let order = state
            .store
            .order_snapshot(&merchant.id, &claims.o, service::recent_since(state.now()))
            .await?
            .ok_or_else(ApiError::not_found)?;
        Ok(Session { merchant, order })
    }
}

fn expired_session() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "session_invalid",
        Text::new(
            "会话无效或已过期，请重新打开退款链接或查询订单。",
            "Your session is invalid or has expired; open the refund link or look up the order again.",
        ),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, untagged)]
enum SessionBody {
    Link { token: String },
    Lookup { order_number: String, email: String },
}

fn order_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "order_not_found",
        Text::new(
            "未找到与该订单号和邮箱匹配的订单，请检查后重试。",
            "No order matches this order number and email; check both and try again.",
        ),
    )
}

/// The peer address, when the server was started with connection info.
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// Who is asking, for rate limiting: the peer address, or, behind a trusted reverse proxy, the
/// address that proxy appended last to `X-Forwarded-For` (earlier hops are the client's to forge).
fn client_key(peer: Option<SocketAddr>, headers: &HeaderMap, trust_forwarded_for: bool) -> String {
    let forwarded = || {
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_owned())
    };
    trust_forwarded_for
        .then(forwarded)
        .flatten()
        .or_else(|| peer.map(|a| a.ip().to_string()))
        .unwrap_or_default()
}

/// Opens a session for one order, from a signed link token or from order number + email.
#[utoipa::path(
    post,
    path = "/api/v1/shops/{pk}/session",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key")),
    request_body = Object,
    responses((status = 200, description = "session, expires_at, order_number", body = Object), (status = 404, description = "No such order for this email (same answer either way)", body = ErrorResponse), (status = 429, description = "Too many lookups", body = ErrorResponse)),
    description = "Opens a session for one order: `{\"token\": \"<link token>\"}` or `{\"order_number\", \"email\"}`."
)]
async fn open_session(
    State(state): State<AppState>,
    Shop(merchant): Shop,
    headers: HeaderMap,
    ClientAddr(peer): ClientAddr,
    JsonBody(body): JsonBody<SessionBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let now = state.now();
    let order_number = match body {
        SessionBody::Link { token } => {
            let claims = verify(&merchant.signing_secret, &token, TokenKind::Link, now)
                .filter(|c| c.m == merchant.id)
                .ok_or_else(|| {
                    let expired = peek(&token).is_some_and(|c| c.exp <= now.timestamp());
                    ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        if expired {
                            "link_expired"
                        } else {
                            "link_invalid"
                        },
                        if expired {
                            Text::new(
                                "退款链接已过期，请联系商家获取新链接。",
                                "This refund link has expired; ask the store for a new one.",
                            )
                        } else {
                            Text::new(
                                "退款链接无效，请使用商家提供的完整链接。",
                                "This refund link is not valid; use the full link the store sent.",
                            )
                        },
                    )
                })?;
            state
                .store
                .order(&merchant.id, &claims.o)
                .await?
                .ok_or_else(ApiError::not_found)?;
            claims.o
        }
        SessionBody::Lookup {
            order_number,
            email,
        } => {
            let client = client_key(peer, &headers, state.trust_forwarded_for);
            let number = order_number.trim();
            // Per client, and per order number so guesses spread over many addresses stay capped.
            let limited = state
                .lookup_limiter
                .check_key(&format!("{}|ip|{client}", merchant.id))
                .is_err()
                || state
                    .lookup_limiter
                    .check_key(&format!("{}|order|{number}", merchant.id))
                    .is_err();
            if limited {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_lookups",
                    Text::new(
                        "查询过于频繁，请稍后再试。",
                        "Too many lookups; please wait a minute and try again.",
                    ),
                ));
            }
            // The same work whether or not the order exists: one indexed read of the stored,
            // normalised email (or a stand-in), one hash each, one comparison.
            let stored = state.store.order_email(&merchant.id, number).await?;
            let exists = stored.is_some();
            let expected = sha256_hex(stored.as_deref().unwrap_or("\u{0}no order").as_bytes());
            let given = sha256_hex(email.trim().to_lowercase().as_bytes());
            if !(exists & (expected == given)) {
                return Err(order_not_found());
            }
            number.to_owned()
        }
    };
    let expires_at = now + SESSION_TTL;
    let token = sign(
        &merchant.signing_secret,
        &Claims {
            kind: TokenKind::Session,
            m: merchant.id.clone(),
            o: order_number.clone(),
            exp: expires_at.timestamp(),
        },
    );
    Ok(Json(
        json!({ "session": token, "expires_at": expires_at, "order_number": order_number }),
    ))
}

/// Everything the widget needs to quote locally: the order, the policy in force, what earlier
/// requests consumed, the shopper's recent request count, and the requests so far.
#[utoipa::path(
    get,
    path = "/api/v1/shops/{pk}/order",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key")),
    security(("shopper_session" = [])),
    responses((status = 200, description = "The order view", body = Object)),
    description = "The order, policy, ledger and requests, to quote locally."
)]
async fn order_view(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<serde_json::Value>, ApiError> {
    let quoting = service::quoting(&state, &session.order).await?;
    let requests = state
        .store
        .requests_for_order(&session.order.order.id)
        .await?;
    let now = quoting.context.now;
    let views: Vec<RequestView> = requests
        .iter()
        .map(|r| RequestView::new(r, Vec::new(), now))
        .collect();
    Ok(Json(json!({
        "order": session.order.order.wire,
        "policy": quoting.policy.to_wire(),
        "ledger": quoting.ledger.to_wire(&quoting.order),
        "recent_requests": session.order.recent_requests,
        "server_time": now,
        "requests": views,
    })))
}

/// Quotes a request without recording anything: the same computation a submission makes.
#[utoipa::path(
    post,
    path = "/api/v1/shops/{pk}/quote",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key")),
    request_body = ShopperRequest,
    security(("shopper_session" = [])),
    responses((status = 200, description = "The quote", body = Object)),
    description = "Quotes a request without recording it."
)]
async fn quote(
    State(state): State<AppState>,
    session: Session,
    JsonBody(body): JsonBody<ShopperRequest>,
) -> Result<Json<refund_core::Quote>, ApiError> {
    let q = service::quoting(&state, &session.order).await?;
    let files = u32::try_from(body.evidence.len()).unwrap_or(u32::MAX);
    Ok(Json(service::quote_for(
        &q.order, &q.policy, &q.ledger, &body, files, q.context,
    )?))
}

const MAX_KEY_CHARS: usize = 255;

/// Submits a request. Needs an `Idempotency-Key`: the same key and body replay the first answer
/// (a duplicate still in flight waits for it), and the same key with another body is refused.
#[utoipa::path(
    post,
    path = "/api/v1/shops/{pk}/requests",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key"), ("Idempotency-Key" = String, Header, description = "Unique per new request; reuse it to retry")),
    request_body = ShopperRequest,
    security(("shopper_session" = [])),
    responses((status = 201, description = "The recorded request", body = Object), (status = 409, description = "stale_quote (with the fresh quote), not_enough_left, or concurrent_update (try again)", body = ErrorResponse), (status = 422, description = "Ineligible, or the key was used for another body", body = ErrorResponse)),
    description = "Submits a request."
)]
async fn submit(
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
        .ok_or_else(|| {
            ApiError::bad_request(
                "idempotency_key_required",
                Text::new(
                    "提交需要 Idempotency-Key 请求头（每次新申请一个唯一值，重试时沿用）。",
                    "Submitting needs an Idempotency-Key header: a unique value per new request, reused on retry.",
                ),
            )
        })?
        .to_owned();
    let answer = service::submit(
        &state,
        &session.merchant,
        &session.order.order.wire.number,
        &key,
        &body,
        |stored: &StoredRequest| {
            let view = RequestView::new(stored, Vec::new(), stored.progress.submitted_at);
            serde_json::to_string(&view).unwrap_or_default()
        },
    )
    .await?;
    Ok(stored_response(answer))
}

fn stored_response(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response()
}

/// A request of the session's order, or 404 for any other.
async fn own_request(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<StoredRequest, ApiError> {
    state
        .store
        .request(&session.merchant.id, id)
        .await?
        .filter(|r| r.order_id == session.order.order.id)
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(
    get,
    path = "/api/v1/shops/{pk}/requests/{id}",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key"), ("id" = String, Path)),
    security(("shopper_session" = [])),
    responses((status = 200, description = "The request", body = Object)),
    description = "A request of this order with its history and running deadline."
)]
async fn get_request(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<RequestView>, ApiError> {
    let request = own_request(&state, &session, &id).await?;
    Ok(Json(request_view(&state, &request).await?))
}

async fn shopper_act(
    state: &AppState,
    session: &Session,
    id: &str,
    event: Event,
) -> Result<Json<RequestView>, ApiError> {
    own_request(state, session, id).await?;
    let request = service::act(
        state,
        &session.merchant.id,
        id,
        Actor::Shopper,
        event,
        json!({}),
        |_| Ok(()),
    )
    .await?;
    Ok(Json(request_view(state, &request).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/shops/{pk}/requests/{id}/cancel",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key"), ("id" = String, Path)),
    security(("shopper_session" = [])),
    responses((status = 200, description = "The request", body = Object)),
    description = "Cancels a request before the merchant decides."
)]
async fn cancel(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<RequestView>, ApiError> {
    shopper_act(&state, &session, &id, Event::Cancel).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShipmentBody {
    carrier: String,
    tracking_number: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/shops/{pk}/requests/{id}/shipment",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key"), ("id" = String, Path)),
    request_body = Object,
    security(("shopper_session" = [])),
    responses((status = 200, description = "The request", body = Object)),
    description = "Enters the return shipment: `{\"carrier\", \"tracking_number\"}`."
)]
async fn ship_back(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ShipmentBody>,
) -> Result<Json<RequestView>, ApiError> {
    let event = Event::ShipBack {
        carrier: body.carrier,
        tracking_number: body.tracking_number,
    };
    shopper_act(&state, &session, &id, event).await
}

/// The image types evidence may be, recognised by their first bytes, never by name or header.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A raw request body whose rejections use the one error shape.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state)
            .await
            .map(RawBody)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::bad_request(
                        "unreadable_body",
                        Text::new("无法读取上传内容。", "The upload could not be read."),
                    )
                }
            })
    }
}

/// Uploads one evidence image (the raw bytes as the body). Returns its id, to list in the
/// submission's `evidence`.
#[utoipa::path(
    post,
    path = "/api/v1/shops/{pk}/evidence",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key")),
    security(("shopper_session" = [])),
    responses((status = 201, description = "id, content_type, bytes", body = Object), (status = 413, description = "Too large", body = ErrorResponse), (status = 415, description = "Not an image", body = ErrorResponse)),
    description = "Uploads one JPEG, PNG or WebP image (raw body, at most 5 MB, 9 per order)."
)]
async fn upload_evidence(
    State(state): State<AppState>,
    session: Session,
    RawBody(bytes): RawBody,
) -> Result<Response, ApiError> {
    let content_type = sniff_image(&bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_an_image",
            Text::new(
                "只能上传 JPEG、PNG 或 WebP 图片。",
                "Only JPEG, PNG or WebP images can be uploaded.",
            ),
        )
    })?;
    let evidence = Evidence {
        id: random_key("ev_", 12),
        merchant_id: session.merchant.id.clone(),
        order_id: session.order.order.id.clone(),
        content_type: content_type.to_owned(),
        bytes: bytes.to_vec(),
    };
    let id = evidence.id.clone();
    if !service::add_evidence(&state, &evidence, MAX_IMAGES_PER_ORDER).await? {
        return Err(ApiError::unprocessable(
            "too_many_images",
            Text::new(
                format!("每个订单最多上传 {MAX_IMAGES_PER_ORDER} 张图片。"),
                format!("At most {MAX_IMAGES_PER_ORDER} images can be uploaded per order."),
            ),
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "content_type": content_type, "bytes": bytes.len() })),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/shops/{pk}/evidence/{id}",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key"), ("id" = String, Path)),
    security(("shopper_session" = [])),
    responses((status = 200, description = "The image", content_type = "image/*")),
    description = "An evidence image of this order."
)]
async fn get_evidence(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let evidence = state
        .store
        .evidence(&session.merchant.id, &id)
        .await?
        .filter(|e| e.order_id == session.order.order.id)
        .ok_or_else(ApiError::not_found)?;
    Ok(image_response(evidence))
}

/// Deletes an image the shopper removed before submitting, so it no longer counts towards the
/// order's limit. Images a request already uses stay: they are part of its record.
#[utoipa::path(
    delete,
    path = "/api/v1/shops/{pk}/evidence/{id}",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key"), ("id" = String, Path)),
    security(("shopper_session" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such unused image of this order", body = ErrorResponse)),
    description = "Deletes an uploaded image that no request uses yet."
)]
async fn delete_evidence(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let deleted = state
        .store
        .delete_free_evidence(&session.merchant.id, &session.order.order.id, &id)
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// An evidence image, never cached by shared caches and never sniffed as anything else.
pub fn image_response(evidence: Evidence) -> Response {
    (
        [
            (header::CONTENT_TYPE, evidence.content_type),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        evidence.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::sniff_image;

    #[test]
    fn images_are_recognised_by_their_bytes_not_their_names() {
        assert_eq!(
            sniff_image(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some("image/jpeg")
        );
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff_image(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(
            sniff_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(sniff_image(b""), None);
    }
}
