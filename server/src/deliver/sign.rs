//! Webhook signatures as the Standard Webhooks specification defines them: the HMAC-SHA256 of
//! `{id}.{timestamp}.{body}` under the endpoint's secret, sent as `v1,<base64>` in the
//! `webhook-signature` header. The id and timestamp are signed with the body, so a receiver can
//! refuse a replayed or re-dated delivery.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// How a secret is written for people: the specification's prefix, then standard base64.
const PREFIX: &str = "whsec_";

/// The signature scheme's identifier (symmetric HMAC-SHA256).
const VERSION: &str = "v1,";

/// The specification asks for at least 24 random bytes.
const GENERATED_BYTES: usize = 24;

/// An endpoint's signing key.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

/// Why a written secret is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a signing secret starts with `whsec_`")]
    Prefix,
    #[error("the signing secret is empty")]
    Empty,
    #[error("the signing secret is not standard base64 after `whsec_`")]
    Base64,
}

impl Secret {
    /// A fresh random secret.
    pub fn generate() -> Secret {
        let mut key = vec![0u8; GENERATED_BYTES];
        getrandom::fill(&mut key).expect("the operating system's random source is available");
        Secret(key)
    }

    /// Reads a secret written as `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let encoded = text.strip_prefix(PREFIX).ok_or(SecretError::Prefix)?;
        if encoded.is_empty() {
            return Err(SecretError::Empty);
        }
        let key = STANDARD.decode(encoded).map_err(|_| SecretError::Base64)?;
        Ok(Secret(key))
    }

    /// The secret as `whsec_<base64>`, the form shown to the merchant and stored.
    pub fn encoded(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

/// Keeps the key out of logs and panic messages.
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// `v1,<base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn sign(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "{VERSION}{}",
        STANDARD.encode(secret.mac(id, timestamp, body))
    )
}

/// The `webhook-signature` header: one signature per secret, space-separated, so that during a
/// rotation receivers holding either the new or the old secret accept the delivery.
pub fn signature_header(secrets: &[&Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|secret| sign(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether any `v1` signature in `header` is `secret`'s for this delivery. Compared in constant
/// time, so a forger cannot learn a signature byte by byte from response times.
pub fn verify(secret: &Secret, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let expected = secret.mac(id, timestamp, body);
    header
        .split(' ')
        .filter_map(|signature| signature.strip_prefix(VERSION))
        .filter_map(|encoded| STANDARD.decode(encoded).ok())
        .any(|given| bool::from(given.ct_eq(&expected)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const VECTOR_TIMESTAMP: i64 = 1614265330;
    const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn the_published_test_vector_is_reproduced_and_verified() {
        let secret = Secret::parse(VECTOR_SECRET).unwrap();
        assert_eq!(
            sign(&secret, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY),
            VECTOR_SIGNATURE
        );
        assert!(verify(
            &secret,
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_BODY,
            VECTOR_SIGNATURE
        ));
    }

    #[test]
    fn a_generated_secret_survives_encoding_and_parsing() {
        let secret = Secret::generate();
        let encoded = secret.encoded();
        assert!(encoded.starts_with("whsec_"));
        let parsed = Secret::parse(&encoded).unwrap();
        assert_eq!(parsed.encoded(), encoded);
        assert_eq!(
            sign(&parsed, "msg_1", 1, b"{}"),
            sign(&secret, "msg_1", 1, b"{}")
        );
    }

    #[test]
    fn two_generated_secrets_differ() {
        assert_ne!(Secret::generate().encoded(), Secret::generate().encoded());
    }

    #[test]
    fn malformed_secrets_are_refused() {
        fn check(text: &str, expected: SecretError) {
            assert_eq!(Secret::parse(text).unwrap_err(), expected, "{text:?}");
        }
        check("", SecretError::Prefix);
        check("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SecretError::Prefix);
        check("whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SecretError::Prefix);
        check("whsec_", SecretError::Empty);
        check("whsec_not base64!", SecretError::Base64);
        check("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", SecretError::Base64);
        check(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-_",
            SecretError::Base64,
        );
    }

    #[test]
    fn the_debug_form_never_shows_the_key() {
        let secret = Secret::parse(VECTOR_SECRET).unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }

    #[test]
    fn during_a_rotation_either_secret_verifies_the_header() {
        let new = Secret::generate();
        let old = Secret::generate();
        let header = signature_header(&[&new, &old], "msg_1", 1_700_000_000, b"{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(verify(&new, "msg_1", 1_700_000_000, b"{}", &header));
        assert!(verify(&old, "msg_1", 1_700_000_000, b"{}", &header));
        assert!(!verify(
            &Secret::generate(),
            "msg_1",
            1_700_000_000,
            b"{}",
            &header
        ));
    }

    #[test]
    fn a_change_to_the_body_timestamp_or_id_is_refused() {
        let secret = Secret::parse(VECTOR_SECRET).unwrap();
        let check = |id: &str, timestamp: i64, body: &[u8], header: &str, expected: bool| {
            let verified = verify(&secret, id, timestamp, body, header);
            assert_eq!(verified, expected, "{id} {timestamp} {header}");
        };
        let (id, at, body, header) = (VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY, VECTOR_SIGNATURE);
        check(id, at, body, header, true);
        check(id, at, br#"{"test":2432232314}"#, header, false);
        check(id, at + 1, body, header, false);
        check("msg_p5jXN8AQM9LWM0D4loKWxJel", at, body, header, false);
        // Only `v1` signatures count, and a truncated one never matches.
        check(id, at, body, &header.replacen("v1,", "v1a,", 1), false);
        check(id, at, body, &header[..20], false);
        check(id, at, body, "", false);
    }
}
