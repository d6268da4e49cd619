//! The API described as OpenAPI 3.1, served at `/api/openapi.json`, and an interactive
//! reference rendered from it at `/api/docs` (Swagger UI, embedded in the binary at build time:
//! nothing is fetched from a CDN).
//!
//! Operations, bodies and their own errors come from the handlers' annotations; [`complete`]
//! adds the errors every operation of a kind can answer with (a body that is not JSON, a missing
//! key, a fault of ours), so the document lists every status and code a client can meet.

use axum::Router;
use axum::routing::get;
use refund_api::ErrorCode;
use refund_core::{InputError, LifecycleError};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::AppState;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut Document) {
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
        let mut desk = ApiKeyValue::new(super::extract::DESK_COOKIE);
        desk.description = Some(
            "A staff member's desk session, from POST /api/v1/desk/sign-in; every call but a read also sends the session's `csrf_token` as `X-CSRF-Token`".to_owned(),
        );
        components
            .add_security_scheme("desk_session", SecurityScheme::ApiKey(ApiKey::Cookie(desk)));
        components.add_security_scheme(
            "metrics_token",
            bearer("The operator's metrics token, when the server was given one"),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Refund validator",
        description = "Self-service refunds: the merchant API (secret key) and the shopper API (publishable key in the path and a session bound to one order).\n\nMoney is always a decimal string at the currency's precision (`\"19.90\"`), times are RFC 3339. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}` in the language of `Accept-Language` (zh-CN or en); the codes are listed on each operation and in the `ErrorCode` schema, and the engine's input and lifecycle codes in `ErrorDetail.code`.",
        license(name = "Proprietary")
    ),
    // Query parameters' enums: utoipa refers to them from parameters but gathers only bodies'.
    components(schemas(
        refund_api::ErrorBody,
        refund_api::ErrorDetail,
        ErrorCode,
        refund_api::QueueTab,
        refund_api::QueueSort
    )),
    tags(
        (name = "merchant", description = "The merchant's systems: orders, policy, links, requests, statistics. `Authorization: Bearer sk_…`."),
        (name = "shopper", description = "The shopper's widget: a session for one order, its quote, its requests and evidence."),
        (name = "desk", description = "The refund desk: staff sign-in, staff, assignment, the thread with the shopper, reply templates, return addresses. Staff call the merchant API with their session cookie, as their role allows (owner: everything; agent: work requests; viewer: read)."),
        (name = "events", description = "Events out: webhook endpoints (signed as the Standard Webhooks specification says: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` with the endpoint's `whsec_` secret), their delivery logs and redelivery, and the events feed. Owners manage endpoints; anyone who may read requests may read the feed."),
        (name = "operations", description = "Health and metrics."),
    ),
    modifiers(&Security),
)]
struct Api;

/// The document's frame: info, tags, security schemes and the error schemas.
pub fn document() -> Document {
    Api::openapi()
}

/// Serves the document and the reference page.
pub fn router(document: Document) -> Router<AppState> {
    let json = serde_json::to_vec(&document).unwrap_or_default();
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        json,
                    )
                }
            }),
        )
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .config(utoipa_swagger_ui::Config::from("/api/openapi.json")),
        )
}

fn codes(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn error_response(description: String) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
        .into()
}

/// Adds `codes` under `status`: a new response, or more codes on the handler's own.
fn add(operation: &mut Operation, status: u16, description: String) {
    let responses = &mut operation.responses.responses;
    match responses.get_mut(&status.to_string()) {
        Some(RefOr::T(existing)) => {
            existing.description = format!("{}; {description}", existing.description);
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            responses.insert(status.to_string(), error_response(description));
        }
    }
}

/// Every error an operation can meet beyond its own: by whether it takes a JSON body, has
/// path parameters (an unknown one is `not_found`) or needs credentials.
pub fn complete(mut document: Document) -> Document {
    let engine_input = codes(InputError::CODES);
    let engine_lifecycle = codes(LifecycleError::CODES);
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let json_body = operation
                .request_body
                .as_ref()
                .is_some_and(|body| body.content.contains_key("application/json"));
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let merchant = operation.security.as_ref().is_some_and(|s| {
                serde_json::to_value(s).is_ok_and(|v| v.to_string().contains("\"merchant_key\""))
            });
            if merchant && let Some(security) = operation.security.as_mut() {
                // Staff call every merchant operation with their desk session instead.
                security.push(SecurityRequirement::new(
                    "desk_session",
                    Vec::<String>::new(),
                ));
                add(operation, 401, codes(&["desk_session_ended"]));
                add(operation, 403, codes(&["forbidden", "csrf_token_invalid"]));
            }
            let path_params = operation.parameters.as_ref().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Path)
            });
            add(operation, 400, codes(&["invalid_request"]));
            if json_body {
                add(
                    operation,
                    400,
                    codes(&["malformed_json", "unreadable_body"]),
                );
                add(operation, 413, codes(&["body_too_large"]));
                add(operation, 415, codes(&["json_required"]));
                add(
                    operation,
                    422,
                    format!(
                        "`invalid_body` (not an object, a missing or unknown field, a wrong type); the engine's input codes: {engine_input}"
                    ),
                );
            }
            if secured {
                add(operation, 401, codes(&["unauthorized", "session_invalid"]));
            }
            if path_params {
                add(operation, 404, codes(&["not_found"]));
            }
            add(operation, 414, codes(&["uri_too_long"]));
            add(operation, 431, codes(&["headers_too_large"]));
            add(operation, 500, codes(&["internal"]));
        }
    }
    if let Some(info) = document.info.description.as_mut() {
        info.push_str(&format!(
            "\n\nThe engine's lifecycle codes (409, or 422 for `invalid_text`): {engine_lifecycle}."
        ));
    }
    document
}
