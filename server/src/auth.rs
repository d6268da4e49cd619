//! Keys and signed tokens.
//!
//! A merchant has a publishable key (`pk_…`, safe in a web page), a secret key (`sk_…`, stored
//! only as its SHA-256) and a signing secret for order links. Tokens are
//! `base64url(claims JSON) "." base64url(HMAC-SHA256(secret, claims))`, checked in constant time
//! and refused once expired. A link token (signed by the merchant's backend) is exchanged for a
//! session token bound to one order; both carry the merchant id, the order number and an expiry.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// `prefix` followed by `bytes` random bytes in hex.
pub fn random_key(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Signed by the merchant's backend, put in the refund link.
    Link,
    /// Issued by this server to a shopper for one order.
    Session,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    pub kind: TokenKind,
    /// Merchant id.
    pub m: String,
    /// Order number.
    pub o: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

pub fn sign(secret: &str, claims: &Claims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// Why a token is refused. Expiry is only ever said of a token whose signature is good, so a
/// forger learns nothing from the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not signed with the secret, not of the expected kind, or not a token at all.
    Invalid,
    /// Genuine, but past its expiry.
    Expired,
}

/// The claims of a token signed with `secret`, of `kind`, not expired at `now`.
pub fn verify(
    secret: &str,
    token: &str,
    kind: TokenKind,
    now: DateTime<Utc>,
) -> Result<Claims, TokenError> {
    let (payload, signature) = token.split_once('.').ok_or(TokenError::Invalid)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Invalid)?;
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| TokenError::Invalid)?;
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::Invalid)?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or(TokenError::Invalid)?;
    if claims.kind != kind {
        Err(TokenError::Invalid)
    } else if claims.exp <= now.timestamp() {
        Err(TokenError::Expired)
    } else {
        Ok(claims)
    }
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive
/// (RFC 9110 §11.1).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            kind: TokenKind::Link,
            m: "m_1".to_owned(),
            o: "A1001".to_owned(),
            exp,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        let token = sign("secret", &claims(1_001));
        assert_eq!(
            verify("secret", &token, TokenKind::Link, now),
            Ok(claims(1_001))
        );
        let later = DateTime::from_timestamp(1_001, 0).unwrap();
        assert_eq!(
            verify("secret", &token, TokenKind::Link, later),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tampered_tokens_wrong_secrets_and_wrong_kinds_are_refused() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        let token = sign("secret", &claims(2_000));
        let invalid = Err(TokenError::Invalid);
        assert_eq!(verify("other", &token, TokenKind::Link, now), invalid);
        assert_eq!(verify("secret", &token, TokenKind::Session, now), invalid);
        let forged = sign(
            "secret",
            &Claims {
                o: "A9999".to_owned(),
                ..claims(2_000)
            },
        );
        let (_, signature) = token.split_once('.').unwrap();
        let (payload, _) = forged.split_once('.').unwrap();
        assert_eq!(
            verify(
                "secret",
                &format!("{payload}.{signature}"),
                TokenKind::Link,
                now
            ),
            invalid
        );
        assert_eq!(verify("secret", "garbage", TokenKind::Link, now), invalid);
    }

    #[test]
    fn a_forged_token_is_invalid_whatever_expiry_it_claims() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        let forged = sign("not the secret", &claims(10));
        assert_eq!(
            verify("secret", &forged, TokenKind::Link, now),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let mut headers = axum::http::HeaderMap::new();
        for value in ["Bearer sk_1", "bearer sk_1", "BEARER  sk_1"] {
            headers.insert(axum::http::header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(bearer(&headers), Some("sk_1"), "{value}");
        }
        headers.insert(
            axum::http::header::AUTHORIZATION,
            "Basic sk_1".parse().unwrap(),
        );
        assert_eq!(bearer(&headers), None);
    }
}
