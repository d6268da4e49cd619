//! What handlers take from a request, every rejection in the one error shape: the caller's
//! identity (a merchant's secret key, a shopper's session, the shop in the path, the client's
//! address) and the body or query, parsed strictly.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use std::marker::PhantomData;

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum_extra::extract::cookie::CookieJar;
use refund_api::{Permission, Problem};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::auth::{TokenError, TokenKind, bearer, verify};
use crate::error::ApiError;
use crate::service::recent_since;
use crate::service::staff::{Caller, Who};
use crate::store::{Merchant, OrderSnapshot};

/// The cookie that carries a desk session's token.
pub const DESK_COOKIE: &str = "refund_desk";
/// The header a desk session's state-changing calls echo its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a merchant API call needs of its caller ([`Permission`]), as a type.
pub trait Need {
    const PERMISSION: Permission;
}

/// Reading.
pub enum Read {}
/// Working requests.
pub enum Work {}
/// Managing staff and settings.
pub enum Manage {}

impl Need for Read {
    const PERMISSION: Permission = Permission::Read;
}
impl Need for Work {
    const PERMISSION: Permission = Permission::Work;
}
impl Need for Manage {
    const PERMISSION: Permission = Permission::Manage;
}

/// A caller of the merchant API allowed to do what `P` covers: a machine with the secret key
/// (`Authorization: Bearer sk_…`), which may do everything, or a staff member signed in to the
/// desk (the session cookie; `X-CSRF-Token` on every call but a read), as their role allows.
pub struct MerchantAuth<P: Need = Read> {
    pub caller: Caller,
    need: PhantomData<P>,
}

impl<P: Need> std::ops::Deref for MerchantAuth<P> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<P: Need> FromRequestParts<AppState> for MerchantAuth<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = match bearer(&parts.headers) {
            Some(key) => Caller {
                merchant: state
                    .service
                    .merchant_by_secret_key(key)
                    .await?
                    .filter(|_| key.starts_with("sk_"))
                    .ok_or(Problem::Unauthorized)?,
                who: Who::ApiKey,
            },
            None => {
                let token = desk_token(&parts.headers).ok_or(Problem::Unauthorized)?;
                let signed = state.service.desk_session(&token).await?;
                let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
                let echoed = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| {
                        bool::from(v.as_bytes().ct_eq(signed.session.csrf_token.as_bytes()))
                    });
                if !safe && !echoed {
                    return Err(Problem::CsrfTokenInvalid.into());
                }
                Caller {
                    merchant: signed.merchant,
                    who: Who::Staff(signed.session.staff),
                }
            }
        };
        caller.require(P::PERMISSION)?;
        Ok(MerchantAuth {
            caller,
            need: PhantomData,
        })
    }
}

/// The desk session token in the request's cookies.
pub fn desk_token(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(DESK_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// The request's path before nesting stripped the `/api/v1/shops/{pk}` prefix.
pub fn full_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or(parts.uri.path(), |original| original.0.path())
}

pub fn publishable_key_of(path: &str) -> Option<&str> {
    path.strip_prefix("/api/v1/shops/")?.split('/').next()
}

/// The merchant named by the publishable key in the path.
pub struct Shop(pub Merchant);

impl FromRequestParts<AppState> for Shop {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = publishable_key_of(full_path(parts)).ok_or(Problem::NotFound)?;
        let merchant = state
            .service
            .merchant_by_publishable_key(key)
            .await?
            .ok_or(Problem::NotFound)?;
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
        let token = bearer(&parts.headers).ok_or(Problem::Unauthorized)?;
        let now = state.service.now();
        let claims = verify(&merchant.signing_secret, token, TokenKind::Session, now)
            .ok()
            .filter(|c| c.m == merchant.id)
            .ok_or(Problem::SessionInvalid)?;
        let order = state
            .service
            .store()
            .order_snapshot(&merchant.id, &claims.o, recent_since(now))
            .await?
            .ok_or(Problem::NotFound)?;
        Ok(Session { merchant, order })
    }
}

/// A link token's refusal, saying "expired" only of a genuine one.
pub fn link_refused(error: TokenError) -> Problem {
    match error {
        TokenError::Expired => Problem::LinkExpired,
        TokenError::Invalid => Problem::LinkInvalid,
    }
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
pub fn client_key(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trust_forwarded_for: bool,
) -> String {
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

/// A JSON body: an object, sent as `application/json`, of exactly the fields `T` takes.
///
/// serde would also read a struct from a JSON array, field by field in order; only objects
/// are accepted, so `[]` is never a policy with every default.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
        if !json {
            return Err(Problem::JsonRequired.into());
        }
        let RawBody(bytes) = RawBody::from_request(request, state).await?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Err(Problem::InvalidBody {
                detail: "expected a JSON object".to_owned(),
            }
            .into());
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let detail = e.to_string();
            if e.inner().is_data() {
                Problem::InvalidBody { detail }
            } else {
                Problem::MalformedJson { detail }
            }
        })?;
        deserializer.end().map_err(|e| Problem::MalformedJson {
            detail: e.to_string(),
        })?;
        Ok(JsonBody(value))
    }
}

/// A JSON body that may be absent: no body (or an empty one) reads as `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let declared = request.headers().contains_key(header::CONTENT_TYPE)
            || request
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_some_and(|v| v.as_bytes() != b"0");
        if !declared {
            return Ok(OptionalJson(T::default()));
        }
        JsonBody::from_request(request, state)
            .await
            .map(|JsonBody(value)| OptionalJson(value))
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
                    Problem::BodyTooLarge
                } else {
                    Problem::UnreadableBody
                }
                .into()
            })
    }
}

/// A query string, with rejections in the one error shape.
pub struct QueryArgs<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryArgs<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(QueryArgs(value)),
            Err(rejection) => Err(Problem::InvalidQuery {
                detail: rejection.body_text(),
            }
            .into()),
        }
    }
}
