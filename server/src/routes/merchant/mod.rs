//! The merchant API, under `/api/v1/merchant`, for machines with the secret key
//! (`Authorization: Bearer sk_…`) and for staff signed in to the desk (a session cookie), as
//! their role allows; every object is scoped to its merchant, and another merchant's ids
//! answer 404.

mod desk;
mod orders;
mod policy;
mod requests;
mod staff;
mod webhooks;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(policy::get_policy, policy::put_policy))
        .routes(routes!(orders::put_order, orders::get_order))
        .routes(routes!(orders::create_link))
        .routes(routes!(requests::list_requests))
        .routes(routes!(requests::counts))
        .routes(routes!(requests::get_request))
        .routes(routes!(requests::approve))
        .routes(routes!(requests::approve_batch))
        .routes(routes!(requests::reject))
        .routes(routes!(requests::confirm_receipt))
        .routes(routes!(requests::record_refund))
        .routes(routes!(requests::complete_exchange))
        .routes(routes!(requests::get_evidence))
        .routes(routes!(requests::stats))
        .routes(routes!(desk::assign))
        .routes(routes!(desk::messages, desk::post_message))
        .routes(routes!(desk::read_messages))
        .routes(routes!(desk::list_templates, desk::add_template))
        .routes(routes!(desk::update_template, desk::delete_template))
        .routes(routes!(desk::list_addresses, desk::add_address))
        .routes(routes!(desk::update_address, desk::delete_address))
        .routes(routes!(staff::list_staff, staff::invite))
        .routes(routes!(staff::change))
        .routes(routes!(staff::set_up_link))
        .routes(routes!(staff::get_settings, staff::put_settings))
        .routes(routes!(webhooks::events))
        .routes(routes!(webhooks::list_endpoints, webhooks::add_endpoint))
        .routes(routes!(
            webhooks::change_endpoint,
            webhooks::delete_endpoint
        ))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
}
