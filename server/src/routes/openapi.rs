//! The API described as OpenAPI 3.1, served at `/api/openapi.json`.

use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{merchant, ops, shopper};

/// Every error: a stable code, a message that says what to fix, and the field when there is one.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorResponse {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    #[schema(example = "payments_mismatch")]
    code: String,
    message: String,
    field: Option<String>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            let mut scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
            scheme.description = Some(description.to_owned());
            SecurityScheme::Http(scheme)
        };
        components.add_security_scheme("merchant_key", bearer("The merchant's secret key, sk_…"));
        components.add_security_scheme(
            "shopper_session",
            bearer("A session token from POST /api/v1/shops/{pk}/session, bound to one order"),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Refund validator",
        description = "Self-service refunds: the merchant API (secret key) and the shopper API (publishable key in the path and a session bound to one order). Money is always a decimal string. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}` in the language of Accept-Language (zh-CN or en)."
    ),
    paths(
        merchant::get_policy, merchant::put_policy, merchant::put_order, merchant::get_order,
        merchant::create_link, merchant::list_requests, merchant::get_request, merchant::approve,
        merchant::reject, merchant::confirm_receipt, merchant::complete_exchange,
        merchant::record_refund, merchant::get_evidence, merchant::stats,
        shopper::open_session, shopper::order_view, shopper::quote, shopper::submit,
        shopper::get_request, shopper::cancel, shopper::ship_back, shopper::upload_evidence,
        shopper::get_evidence, shopper::delete_evidence, ops::healthz, ops::metrics,
    ),
    components(schemas(ErrorResponse, crate::service::ShopperRequest)),
    modifiers(&Security),
)]
struct Api;

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/api/openapi.json", get(|| async { Json(Api::openapi()) }))
}
