//! The merchant API, under `/api/v1/merchant`, authenticated by the secret key
//! (`Authorization: Bearer sk_…`); every object is scoped to its merchant, and another
//! merchant's ids answer 404.

mod orders;
mod policy;
mod requests;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(policy::get_policy, policy::put_policy))
        .routes(routes!(orders::put_order, orders::get_order))
        .routes(routes!(orders::create_link))
        .routes(routes!(requests::list_requests))
        .routes(routes!(requests::get_request))
        .routes(routes!(requests::approve))
        .routes(routes!(requests::reject))
        .routes(routes!(requests::confirm_receipt))
        .routes(routes!(requests::record_refund))
        .routes(routes!(requests::complete_exchange))
        .routes(routes!(requests::get_evidence))
        .routes(routes!(requests::stats))
}
