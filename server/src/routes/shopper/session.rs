//! Opening a session: from a signed link, or by looking the order up by number and email.
//!
//! The lookup answers the same way whether or not the order exists, and is rate limited per
//! client and per client and order: guessing costs every guesser its own budget, and nobody's
//! guesses can lock the rightful shopper out of their order. (A guesser with many addresses
//! gets many budgets; an email address is not a PIN, so that buys little.) Each server
//! instance keeps its own budgets.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::TimeDelta;
use refund_api::{Problem, SessionRequest, SessionResponse};

use crate::auth::{Claims, TokenKind, sha256_hex, sign, verify};
use crate::error::ApiError;
use crate::routes::AppState;
use crate::routes::budget::Budget;
use crate::routes::extract::{ClientAddr, JsonBody, Shop, client_key, link_refused};
use crate::routes::shopper::order::shopper_view;
use crate::service::recent_since;

/// How long a shopper session lasts.
const SESSION_TTL: TimeDelta = TimeDelta::hours(2);

/// The lookup's budgets: per client, a burst of 10 then one every 6 seconds; per client and
/// order, a burst of 5 then one a minute.
pub struct LookupLimiter {
    clients: Budget,
    client_orders: Budget,
}

impl Default for LookupLimiter {
    fn default() -> LookupLimiter {
        LookupLimiter {
            clients: Budget::new(10, 6),
            client_orders: Budget::new(5, 60),
        }
    }
}

impl LookupLimiter {
    /// Takes one lookup from both budgets, or says in how many seconds to try again.
    fn check(&self, merchant: &str, client: &str, order: &str) -> Result<(), u64> {
        self.clients.take(format!("{merchant}|{client}"))?;
        self.client_orders
            .take(format!("{merchant}|{client}|{order}"))
    }

    /// Forgets budgets that have refilled, so spoofed keys cannot pile up.
    pub fn retain_recent(&self) {
        self.clients.retain_recent();
        self.client_orders.retain_recent();
    }
}

/// Opens a session for one order, from a signed link token or from order number + email.
#[utoipa::path(
    post,
    path = "/session",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo")),
    request_body = SessionRequest,
    responses(
        (status = 200, description = "A session for the order", body = SessionResponse),
        (status = 401, description = "`link_invalid`, `link_expired`", body = refund_api::ErrorBody),
        (status = 404, description = "`order_not_found` (the same whether the order or the email is wrong), `not_found` (no such shop)", body = refund_api::ErrorBody),
        (status = 429, description = "`too_many_lookups`; `Retry-After` says when to try again", body = refund_api::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
pub async fn open_session(
    State(state): State<AppState>,
    Shop(merchant): Shop,
    headers: HeaderMap,
    ClientAddr(peer): ClientAddr,
    JsonBody(body): JsonBody<SessionRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let now = state.service.now();
    let order_number = match body {
        SessionRequest::Link { token } => {
            let claims = verify(&merchant.signing_secret, &token, TokenKind::Link, now)
                .map_err(link_refused)?;
            if claims.m != merchant.id {
                return Err(Problem::LinkInvalid.into());
            }
            claims.o
        }
        SessionRequest::Lookup {
            order_number,
            email,
        } => {
            let client = client_key(peer, &headers, state.settings.trust_forwarded_for);
            let number = order_number.trim();
            state
                .lookups
                .check(&merchant.id, &client, number)
                .map_err(|retry_after| Problem::TooManyLookups { retry_after })?;
            // The same work whether or not the order exists: one indexed read of the stored,
            // normalised email (or a stand-in), one hash each, one comparison.
            let stored = state
                .service
                .store()
                .order_email(&merchant.id, number)
                .await?;
            let exists = stored.is_some();
            let expected = sha256_hex(stored.as_deref().unwrap_or("\u{0}no order").as_bytes());
            let given = sha256_hex(email.trim().to_lowercase().as_bytes());
            if !(exists & (expected == given)) {
                return Err(Problem::OrderNotFound.into());
            }
            number.to_owned()
        }
    };
    let snapshot = state
        .service
        .store()
        .order_snapshot(&merchant.id, &order_number, recent_since(now))
        .await?
        .ok_or(Problem::NotFound)?;
    let order = shopper_view(&state, snapshot).await?;
    let expires_at = now + SESSION_TTL;
    let session = sign(
        &merchant.signing_secret,
        &Claims {
            kind: TokenKind::Session,
            m: merchant.id.clone(),
            o: order_number.clone(),
            exp: expires_at.timestamp(),
        },
    );
    Ok(Json(SessionResponse {
        session,
        expires_at,
        order_number,
        order,
    }))
}
