//! Evidence photos: uploaded one at a time before submitting, listed in the submission.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use refund_api::{Problem, Uploaded};

use crate::auth::random_key;
use crate::error::ApiError;
use crate::routes::AppState;
use crate::routes::extract::{RawBody, Session};
use crate::store::Evidence;

/// Evidence images: at most this many bytes each and this many per order.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_IMAGES_PER_ORDER: u32 = 9;

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

/// Uploads one evidence image (the raw bytes as the body). Returns its id, to list in the
/// submission's `evidence`.
#[utoipa::path(
    post,
    path = "/evidence",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo")),
    request_body(
        content(("image/jpeg"), ("image/png"), ("image/webp")),
        description = "A JPEG, PNG or WebP image, at most 5 MiB (5242880 bytes); its type is read from its bytes, not from Content-Type",
    ),
    security(("shopper_session" = [])),
    responses(
        (status = 201, description = "Stored", body = Uploaded),
        (status = 413, description = "`body_too_large`: over 5 MiB", body = refund_api::ErrorBody),
        (status = 415, description = "`not_an_image`", body = refund_api::ErrorBody),
        (status = 422, description = "`too_many_images`: 9 per order", body = refund_api::ErrorBody),
    ),
)]
pub async fn upload_evidence(
    State(state): State<AppState>,
    session: Session,
    RawBody(bytes): RawBody,
) -> Result<Response, ApiError> {
    let content_type = sniff_image(&bytes).ok_or(Problem::NotAnImage)?;
    let evidence = Evidence {
        id: random_key("ev_", 12),
        merchant_id: session.merchant.id.clone(),
        order_id: session.order.order.id.clone(),
        content_type: content_type.to_owned(),
        bytes: bytes.to_vec(),
    };
    if !state
        .service
        .add_evidence(&evidence, MAX_IMAGES_PER_ORDER)
        .await?
    {
        return Err(Problem::TooManyImages {
            max: MAX_IMAGES_PER_ORDER,
        }
        .into());
    }
    Ok((
        StatusCode::CREATED,
        Json(Uploaded {
            id: evidence.id,
            content_type: content_type.to_owned(),
            bytes: bytes.len() as u64,
        }),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/evidence/{id}",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"), ("id" = String, Path, description = "The image's id")),
    security(("shopper_session" = [])),
    responses((status = 200, description = "The image", content_type = "image/*", body = Vec<u8>)),
)]
pub async fn get_evidence(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let evidence = state
        .service
        .store()
        .evidence(&session.merchant.id, &id)
        .await?
        .filter(|e| e.order_id == session.order.order.id)
        .ok_or(Problem::NotFound)?;
    Ok(image_response(evidence))
}

/// Deletes an image the shopper removed before submitting, so it no longer counts towards the
/// order's limit. Images a request already uses stay: they are part of its record.
#[utoipa::path(
    delete,
    path = "/evidence/{id}",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo"), ("id" = String, Path, description = "The image's id")),
    security(("shopper_session" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`: no unused image of this order with this id", body = refund_api::ErrorBody),
    ),
)]
pub async fn delete_evidence(
    State(state): State<AppState>,
    session: Session,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let deleted = state
        .service
        .store()
        .delete_free_evidence(&session.merchant.id, &session.order.order.id, &id)
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::NotFound.into())
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
