//! Signing in to the refund desk, under `/api/v1/desk`: sign-in, the session, sign-out, and
//! choosing a password from a set-up link.
//!
//! A session is an `HttpOnly`, `SameSite=Strict` cookie (`Secure` when the server's public URL
//! is https); the answer carries the CSRF token the desk then echoes in `X-CSRF-Token`.
//! Sign-in is rate limited per client, per client and account, and per account: a guesser
//! spends their own budgets first, and only many addresses together can slow an account down.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use refund_api::{DeskSession, MerchantBrief, Problem, SetUp, SignIn, StaffView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::budget::Budget;
use super::extract::{ClientAddr, DESK_COOKIE, JsonBody, MerchantAuth, client_key, desk_token};
use crate::error::ApiError;
use crate::service::staff::{IDLE_TIMEOUT, Opened, Who};
use crate::store::{DeskSessionRow, Merchant, StaffRow};

/// Sign-in budgets: per client a burst of 10 then one every 6 seconds; per client and account
/// a burst of 5 then one a minute; per account, from everywhere, a burst of 20 then one every
/// 3 minutes.
pub struct SignInLimiter {
    clients: Budget,
    client_accounts: Budget,
    accounts: Budget,
}

impl Default for SignInLimiter {
    fn default() -> SignInLimiter {
        SignInLimiter {
            clients: Budget::new(10, 6),
            client_accounts: Budget::new(5, 60),
            accounts: Budget::new(20, 180),
        }
    }
}

impl SignInLimiter {
    fn check(&self, client: &str, email: &str) -> Result<(), u64> {
        self.clients.take(client.to_owned())?;
        self.client_accounts.take(format!("{client}|{email}"))?;
        self.accounts.take(email.to_owned())
    }

    pub fn retain_recent(&self) {
        self.clients.retain_recent();
        self.client_accounts.retain_recent();
        self.accounts.retain_recent();
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in))
        .routes(routes!(session, sign_out))
        .routes(routes!(set_up))
}

pub fn staff_view(staff: &StaffRow) -> StaffView {
    StaffView {
        id: staff.id.clone(),
        email: staff.email.clone(),
        name: staff.name.clone(),
        role: staff.role,
        active: staff.active,
        set_up: staff.password_hash.is_some(),
        created_at: staff.created_at,
    }
}

async fn desk_session(
    state: &AppState,
    session: &DeskSessionRow,
    merchant: &Merchant,
) -> Result<DeskSession, ApiError> {
    Ok(DeskSession {
        staff: staff_view(&session.staff),
        merchant: MerchantBrief {
            id: merchant.id.clone(),
            name: merchant.name.clone(),
            auto_assign: state.service.store().auto_assign(&merchant.id).await?,
        },
        csrf_token: session.csrf_token.clone(),
        idle_timeout_seconds: IDLE_TIMEOUT.num_seconds(),
    })
}

fn cookie(state: &AppState, value: String, clear: bool) -> String {
    let mut cookie = Cookie::build((DESK_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.public_url.starts_with("https://"))
        .build();
    if clear {
        cookie.make_removal();
    }
    cookie.to_string()
}

/// The answer to a sign-in or a set-up: the session, and its cookie.
async fn opened(state: &AppState, opened: Opened) -> Result<Response, ApiError> {
    let merchant = state
        .service
        .store()
        .merchant_by_id(&opened.session.staff.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("a staff member without a merchant"))?;
    let body = desk_session(state, &opened.session, &merchant).await?;
    Ok((
        [(header::SET_COOKIE, cookie(state, opened.token, false))],
        Json(body),
    )
        .into_response())
}

/// Signs a staff member in; the session is a cookie.
#[utoipa::path(
    post,
    path = "/sign-in",
    tag = "desk",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = DeskSession,
            headers(("Set-Cookie" = String, description = "The session: HttpOnly, SameSite=Strict"))),
        (status = 401, description = "`sign_in_failed` (the same whether the e-mail or the password is wrong)", body = refund_api::ErrorBody),
        (status = 429, description = "`too_many_sign_ins`; `Retry-After` says when to try again", body = refund_api::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(peer): ClientAddr,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    let client = client_key(peer, &headers, state.settings.trust_forwarded_for);
    let email = body.email.trim().to_lowercase();
    state
        .sign_ins
        .check(&client, &email)
        .map_err(|retry_after| Problem::TooManySignIns { retry_after })?;
    let session = state.service.sign_in(&email, &body.password).await?;
    opened(&state, session).await
}

/// The signed-in staff member, their merchant and the session's CSRF token.
#[utoipa::path(
    get,
    path = "/session",
    tag = "desk",
    security(("desk_session" = [])),
    responses(
        (status = 200, description = "The session", body = DeskSession),
        (status = 401, description = "`unauthorized` (no session), `desk_session_ended`", body = refund_api::ErrorBody),
    ),
)]
pub async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<DeskSession>, ApiError> {
    let token = desk_token(&headers).ok_or(Problem::Unauthorized)?;
    let signed = state.service.desk_session(&token).await?;
    Ok(Json(
        desk_session(&state, &signed.session, &signed.merchant).await?,
    ))
}

/// Ends the session.
#[utoipa::path(
    delete,
    path = "/session",
    tag = "desk",
    security(("desk_session" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "`unauthorized`, `desk_session_ended`", body = refund_api::ErrorBody),
        (status = 403, description = "`csrf_token_invalid`", body = refund_api::ErrorBody),
    ),
)]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MerchantAuth,
) -> Result<Response, ApiError> {
    // Only a desk session can sign out (and the extractor checked its CSRF token).
    let (Who::Staff(_), Some(token)) = (&auth.who, desk_token(&headers)) else {
        return Err(Problem::Unauthorized.into());
    };
    state.service.sign_out(&token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie(&state, String::new(), true))],
    )
        .into_response())
}

/// Chooses a password with a set-up link, and signs in.
#[utoipa::path(
    post,
    path = "/set-up",
    tag = "desk",
    request_body = SetUp,
    responses(
        (status = 200, description = "The password is set and the session cookie too", body = DeskSession),
        (status = 401, description = "`set_up_link_invalid`", body = refund_api::ErrorBody),
        (status = 422, description = "`weak_password`", body = refund_api::ErrorBody),
    ),
)]
pub async fn set_up(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SetUp>,
) -> Result<Response, ApiError> {
    let session = state.service.set_up(&body.token, &body.password).await?;
    opened(&state, session).await
}
