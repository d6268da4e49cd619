//! The session's order: everything to quote locally, and a quote computed here.

use axum::Json;
use axum::extract::State;
use refund_api::{OrderView, ShopperRequest};
use refund_core::Quote;

use crate::error::ApiError;
use crate::routes::extract::{JsonBody, Session};
use crate::routes::{AppState, Side, view};
use crate::store::OrderSnapshot;

/// Everything the widget needs to quote locally: the order, the policy in force, what earlier
/// requests consumed, the shopper's recent request count, and the requests so far.
#[utoipa::path(
    get,
    path = "/order",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo")),
    security(("shopper_session" = [])),
    responses((status = 200, description = "The order, its policy and ledger, and its requests", body = OrderView)),
)]
pub async fn order_view(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(shopper_view(&state, session.order).await?))
}

/// The order as its shopper sees it: what `GET /order` answers, and `POST /session` with the
/// session it opens.
pub(crate) async fn shopper_view(
    state: &AppState,
    snapshot: OrderSnapshot,
) -> Result<OrderView, ApiError> {
    let quoting = state.service.quoting(&snapshot).await?;
    let requests = state
        .service
        .store()
        .requests_for_order(&snapshot.order.id)
        .await?;
    let now = quoting.context.now;
    Ok(OrderView {
        order: snapshot.order.wire,
        policy: quoting.policy.to_wire(),
        ledger: quoting.ledger.to_wire(&quoting.order),
        recent_requests: snapshot.recent_requests,
        server_time: now,
        requests: requests
            .iter()
            .map(|r| view(r, Vec::new(), now, Side::Shopper))
            .collect(),
    })
}

/// Quotes a request without recording anything: the same computation a submission makes.
#[utoipa::path(
    post,
    path = "/quote",
    tag = "shopper",
    params(("pk" = String, Path, description = "The merchant's publishable key", example = "pk_test_demo")),
    request_body = ShopperRequest,
    security(("shopper_session" = [])),
    responses((status = 200, description = "The quote: every line's verdict, every amount component, the total and the split", body = Quote)),
)]
pub async fn quote(
    State(state): State<AppState>,
    session: Session,
    JsonBody(body): JsonBody<ShopperRequest>,
) -> Result<Json<Quote>, ApiError> {
    let quoting = state.service.quoting(&session.order).await?;
    let files = u32::try_from(body.evidence.len()).unwrap_or(u32::MAX);
    Ok(Json(quoting.quote(&body, files)?))
}
