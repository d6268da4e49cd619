//! The shopper API, under `/api/v1/shops/{publishable_key}`, by resource.
//!
//! A shopper first opens a session for one order, with the merchant's signed link token or with
//! the order number and email; every other call carries that session token
//! (`Authorization: Bearer …`) and can only see that order and its requests.

mod evidence;
mod order;
mod requests;
mod session;

use axum::extract::DefaultBodyLimit;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use evidence::{MAX_IMAGE_BYTES, image_response, sniff_image};
pub use session::LookupLimiter;

use super::AppState;
use super::extract::{full_path, publishable_key_of};

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session::open_session))
        .routes(routes!(order::order_view))
        .routes(routes!(order::quote))
        .routes(routes!(requests::submit))
        .routes(routes!(requests::get_request))
        .routes(routes!(requests::cancel))
        .routes(routes!(requests::ship_back))
        .routes(routes!(requests::messages, requests::post_message))
        .routes(routes!(requests::read_messages))
        .routes(routes!(evidence::upload_evidence).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES)))
        .routes(routes!(evidence::get_evidence, evidence::delete_evidence))
        // Inside the CORS layer, so a store's page can read the 500 a panic becomes.
        .layer(crate::error::catch_panics())
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
                    match state.service.merchant_by_publishable_key(&key).await {
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
