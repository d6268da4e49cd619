//! The server's rules around the core: building domain values from stored rows, deciding
//! submissions, moving requests through their lifecycle, and the deadline sweep.
//!
//! The server never trusts the browser: every quote here is recomputed from the stored order,
//! the merchant's current policy and the order's live requests.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use refund_core::wire::{DecimalStr, OrderWire, PolicyWire, RequestLineWire, RequestWire};
use refund_core::{
    Actor, Code, Context, Event, Ledger, Lifecycle, Order, Outcome, Policy, Quote, Reason,
    RefundRequest, RequestKind, SplitLine, quote,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clock::Clock;
use crate::error::{ApiError, Text};
use crate::store::{
    AuditEvent, NewRequest, Progress, Store, StoredOrder, StoredRequest, SubmitView,
};

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub public_url: String,
    pub lookup_limiter: Arc<crate::routes::shopper::LookupLimiter>,
    /// Whether `X-Forwarded-For` comes from a trusted reverse proxy.
    pub trust_forwarded_for: bool,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// A merchant's policy as the engine needs it; version 0 is the brief's defaults, in force until
/// the merchant sets one.
pub fn policy_of(stored: Option<(u32, PolicyWire)>) -> Result<Policy, ApiError> {
    let wire = match stored {
        Some((version, wire)) => PolicyWire { version, ..wire },
        None => PolicyWire {
            version: 0,
            ..PolicyWire::default()
        },
    };
    Policy::new(&wire).map_err(ApiError::internal)
}

pub async fn policy_version(
    state: &AppState,
    merchant_id: &str,
    version: u32,
) -> Result<Policy, ApiError> {
    if version == 0 {
        return policy_of(None);
    }
    let wire = state
        .store
        .policy(merchant_id, version)
        .await?
        .ok_or_else(|| ApiError::internal(format!("policy version {version} missing")))?;
    policy_of(Some((version, wire)))
}

/// An order as stored was checked when it was pushed; failing now is a server fault.
pub fn order_of(stored: &StoredOrder) -> Result<Order, ApiError> {
    Order::new(&stored.wire).map_err(ApiError::internal)
}

/// The order's ledger: what its requests that still hold units or money consumed.
fn ledger_of(order: &Order, requests: &[StoredRequest]) -> Result<Ledger, ApiError> {
    let live = requests
        .iter()
        .filter(|r| r.progress.state.holds_ledger())
        .map(|r| &r.quote);
    Ledger::from_quotes(order, live).map_err(ApiError::internal)
}

/// An order with its requests and the ledger they make, read for a view or a quote.
pub async fn order_state(
    state: &AppState,
    stored: &StoredOrder,
) -> Result<(Order, Vec<StoredRequest>, Ledger), ApiError> {
    let order = order_of(stored)?;
    let requests = state.store.requests_for_order(&stored.id).await?;
    let ledger = ledger_of(&order, &requests)?;
    Ok((order, requests, ledger))
}

/// A shopper's request as the widget sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopperRequest {
    #[schema(value_type = String, example = "return_and_refund")]
    pub kind: RequestKind,
    #[schema(value_type = String, example = "size_mismatch")]
    pub reason: Reason,
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<RequestLineWire>,
    #[serde(default)]
    pub note: String,
    /// Ids of evidence images uploaded for this order.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The shopper confirms returned goods are intact (商品完好).
    #[serde(default)]
    pub goods_intact: bool,
    /// The total the shopper saw; a different total on the server means their view was stale.
    /// Required to submit, ignored when quoting.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "81.10")]
    pub expected_total: Option<DecimalStr>,
    /// The verdict the shopper saw: approved by rule (`eligible`) or waiting for review
    /// (`needs_review`). Optional; when sent, a different verdict on the server is a stale view.
    /// Skipped when absent, so a body without it hashes as it did before the field existed and
    /// an idempotency key claimed then still replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "eligible")]
    pub expected_outcome: Option<Outcome>,
    /// Where the shopper saw the money going back, exactly as the quote's `split`. Optional;
    /// when sent, a different split on the server is a stale view, even at the same total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub expected_split: Option<Vec<SplitLine>>,
}

impl ShopperRequest {
    fn wire(&self, evidence_files: u32) -> RequestWire {
        RequestWire {
            kind: self.kind,
            reason: self.reason,
            lines: self.lines.clone(),
            note: self.note.clone(),
            evidence_files,
            goods_intact: self.goods_intact,
        }
    }
}

fn unknown_evidence(id: &str) -> ApiError {
    ApiError::unprocessable(
        "unknown_evidence",
        Text::new(
            format!("凭证“{id}”不存在或已被使用，请重新上传。"),
            format!("Evidence \"{id}\" is unknown or already used; upload it again."),
        ),
    )
    .field("evidence")
}

/// Quotes a shopper's request exactly as a submission would be judged.
pub fn quote_for(
    order: &Order,
    policy: &Policy,
    ledger: &Ledger,
    body: &ShopperRequest,
    evidence_files: u32,
    context: Context,
) -> Result<Quote, ApiError> {
    let request = RefundRequest::new(order, &body.wire(evidence_files))?;
    Ok(quote(order, policy, ledger, &request, context)?)
}

/// Decides a submission inside the store's transaction.
pub fn decide(
    view: &SubmitView,
    body: &ShopperRequest,
    now: DateTime<Utc>,
) -> Result<NewRequest, ApiError> {
    let order = order_of(&view.order)?;
    let policy = policy_of(view.policy.clone())?;
    let ledger = Ledger::from_quotes(&order, &view.live_quotes).map_err(ApiError::internal)?;
    for id in &body.evidence {
        if !view.free_evidence.contains(id) {
            return Err(unknown_evidence(id));
        }
    }
    let mut evidence: Vec<String> = Vec::with_capacity(body.evidence.len());
    for id in &body.evidence {
        if evidence.contains(id) {
            return Err(ApiError::unprocessable(
                "duplicate_evidence",
                Text::new(
                    format!("凭证“{id}”重复出现，每张图片只能提交一次。"),
                    format!("Evidence \"{id}\" is listed twice; list each image once."),
                ),
            )
            .field("evidence"));
        }
        evidence.push(id.clone());
    }
    let files = u32::try_from(evidence.len()).unwrap_or(u32::MAX);
    let context = Context {
        now,
        recent_requests: view.recent_requests,
    };
    let quote = quote_for(&order, &policy, &ledger, body, files, context)?;
    let short = quote.lines.iter().any(|l| {
        l.codes
            .iter()
            .any(|c| matches!(c, Code::QuantityExceedsAvailable { .. }))
    });
    if short {
        let left = ledger
            .left_to_refund(&order)
            .ok_or_else(|| ApiError::internal("ledger exceeds the order"))?;
        return Err(ApiError::conflict(
            "not_enough_left",
            Text::new(
                format!("所选数量已超出可退数量（可能已有其他申请），订单剩余可退 {left}。"),
                format!("Some quantities are no longer available (another request took them); {left} is left to refund on this order."),
            ),
        )
        .details(json!({ "left_to_refund": left.to_string(), "quote": quote })));
    }
    if quote.outcome == Outcome::Ineligible {
        return Err(ApiError::unprocessable(
            "request_ineligible",
            Text::new(
                "该申请不符合退款条件，请查看各商品的原因。",
                "This request is not eligible; see the reason on each line.",
            ),
        )
        .details(json!({ "quote": quote })));
    }
    let Some(expected) = body.expected_total else {
        return Err(ApiError::unprocessable(
            "expected_total_required",
            Text::new(
                "请附上您看到的退款金额。",
                "Send the total you were shown as expected_total.",
            ),
        )
        .field("expected_total"));
    };
    let stale = if expected.0 != quote.total.0 {
        Some(Text::new(
            format!("退款金额已更新为 {}，请确认后再提交。", quote.total.0),
            format!(
                "The refund is now {}; please check it and submit again.",
                quote.total.0
            ),
        ))
    } else if body.expected_outcome.is_some_and(|o| o != quote.outcome)
        || body
            .expected_split
            .as_ref()
            .is_some_and(|s| *s != quote.split)
    {
        Some(Text::new(
            "退款的审核方式或退回的支付方式已有变化，请确认后再提交。",
            "How the refund is reviewed or paid back has changed; please check it and submit again.",
        ))
    } else {
        None
    };
    if let Some(message) = stale {
        return Err(ApiError::conflict("stale_quote", message).details(json!({ "quote": quote })));
    }

    // The engine keeps every quote within what is left; recording it on a copy of the ledger
    // checks that again before anything is written, so no bug can commit an over-refund.
    ledger
        .clone()
        .record(&order, &quote)
        .map_err(|e| ApiError::internal(format!("quote does not fit its ledger: {e}")))?;
    let mut lifecycle = Lifecycle::submitted(body.kind, now);
    let mut events = vec![AuditEvent {
        actor: Actor::Shopper,
        action: "submit".to_owned(),
        before: None,
        after: lifecycle.state(),
        at: now,
        detail: json!({ "total": quote.total, "outcome": quote.outcome }),
    }];
    if quote.outcome == Outcome::Eligible {
        let approved = lifecycle.apply(&Event::Approve, Actor::Rule, now, &policy)?;
        events.push(audit(
            &lifecycle,
            &approved,
            Actor::Rule,
            &Event::Approve,
            now,
            json!({}),
        ));
        lifecycle = approved;
    }
    Ok(NewRequest {
        id: crate::auth::random_key("rq_", 12),
        kind: body.kind,
        reason: body.reason,
        body: serde_json::to_value(body).map_err(ApiError::internal)?,
        policy_version: policy.version(),
        evidence,
        progress: progress(&lifecycle, &policy, None),
        events,
        quote,
    })
}

fn audit(
    before: &Lifecycle,
    after: &Lifecycle,
    actor: Actor,
    event: &Event,
    at: DateTime<Utc>,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        actor,
        action: event.code().to_owned(),
        before: Some(before.state()),
        after: after.state(),
        at,
        detail,
    }
}

/// The stored form of a lifecycle, keeping the texts of `previous` unless `event` sets them.
fn progress(
    lifecycle: &Lifecycle,
    policy: &Policy,
    previous: Option<(&Progress, &Event)>,
) -> Progress {
    let mut p = Progress {
        state: lifecycle.state(),
        submitted_at: lifecycle.submitted_at(),
        last_event_at: lifecycle.last_event_at(),
        approved_at: lifecycle.approved_at(),
        shipped_back_at: lifecycle.shipped_back_at(),
        deadline: lifecycle.running_deadline(policy).map(|d| (d.kind, d.at)),
        carrier: None,
        tracking_number: None,
        reject_reason: None,
    };
    if let Some((before, event)) = previous {
        p.carrier = before.carrier.clone();
        p.tracking_number = before.tracking_number.clone();
        p.reject_reason = before.reject_reason.clone();
        match event {
            Event::Reject { reason } => p.reject_reason = Some(reason.trim().to_owned()),
            Event::ShipBack {
                carrier,
                tracking_number,
            } => {
                p.carrier = Some(carrier.trim().to_owned());
                p.tracking_number = Some(tracking_number.trim().to_owned());
            }
            _ => {}
        }
    }
    p
}

fn lifecycle_of(request: &StoredRequest) -> Result<Lifecycle, ApiError> {
    let p = &request.progress;
    Lifecycle::restore(
        request.kind,
        p.state,
        p.submitted_at,
        p.last_event_at,
        p.approved_at,
        p.shipped_back_at,
    )
    .ok_or_else(|| {
        ApiError::internal(format!(
            "request {} has an impossible stored lifecycle",
            request.id
        ))
    })
}

/// Applies `event` by `actor` to a request, atomically with its audit row. `check` sees the
/// current request first and may refuse (e.g. payouts that do not match the quote).
pub async fn act(
    state: &AppState,
    merchant_id: &str,
    request_id: &str,
    actor: Actor,
    event: Event,
    detail: serde_json::Value,
    check: impl FnOnce(&StoredRequest) -> Result<(), ApiError> + Send + 'static,
) -> Result<StoredRequest, ApiError> {
    let current = state
        .store
        .request(merchant_id, request_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let policy = policy_version(state, merchant_id, current.policy_version).await?;
    let now = state.now();
    state
        .store
        .advance(
            merchant_id,
            request_id,
            Box::new(move |current: &StoredRequest| {
                check(current)?;
                let lifecycle = lifecycle_of(current)?;
                let next = lifecycle.apply(&event, actor, now, &policy)?;
                let progress = progress(&next, &policy, Some((&current.progress, &event)));
                Ok((
                    progress,
                    audit(&lifecycle, &next, actor, &event, now, detail),
                ))
            }),
        )
        .await
}

/// Applies every deadline that has passed; returns how many requests moved.
pub async fn sweep_deadlines(state: &AppState) -> Result<usize, ApiError> {
    let now = state.now();
    let mut moved = 0;
    for (merchant_id, id) in state.store.due(now, 500).await? {
        // One broken row must not stop every other deadline: log it and go on.
        match apply_deadline(state, &merchant_id, &id, now).await {
            Ok(true) => moved += 1,
            Ok(false) => {}
            // Someone acted between the read and the write; the next sweep sees the new state.
            Err(e) if e.status.is_client_error() => {
                tracing::info!(request = %id, error = %e, "deadline skipped")
            }
            Err(e) => tracing::error!(request = %id, error = %e, "deadline failed"),
        }
    }
    Ok(moved)
}

/// Applies the deadline due on one request; false when none is due any more.
async fn apply_deadline(
    state: &AppState,
    merchant_id: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let Some(request) = state.store.request(merchant_id, id).await? else {
        return Ok(false);
    };
    let policy = policy_version(state, merchant_id, request.policy_version).await?;
    let Some(event) = lifecycle_of(&request)?.due_event(&policy, now) else {
        return Ok(false);
    };
    act(
        state,
        merchant_id,
        id,
        Actor::Deadline,
        event,
        json!({}),
        |_| Ok(()),
    )
    .await?;
    Ok(true)
}

/// Checks a pushed order against the stored one: once a request exists, only the status and the
/// shipping and delivery times may change.
pub fn check_order_update(
    stored: Option<&OrderWire>,
    has_requests: bool,
    new: &OrderWire,
) -> Result<(), ApiError> {
    let Some(stored) = stored.filter(|_| has_requests) else {
        return Ok(());
    };
    let comparable = OrderWire {
        status: stored.status,
        paid_at: stored.paid_at,
        shipped_at: stored.shipped_at,
        delivered_at: stored.delivered_at,
        ..new.clone()
    };
    if &comparable == stored {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "order_locked",
            Text::new(
                "该订单已有退款申请，商品、价格、优惠和支付不可再修改；只能更新状态、发货和签收时间。",
                "This order has refund requests, so its lines, prices, discounts and payments can no longer change; only its status, shipping and delivery times can.",
            ),
        ))
    }
}

/// A merchant just created, with the secret key that is shown once and stored only hashed.
pub struct CreatedMerchant {
    pub merchant: crate::store::Merchant,
    pub secret_key: String,
}

pub async fn create_merchant(
    store: &dyn Store,
    name: &str,
    allowed_origins: Vec<String>,
) -> Result<CreatedMerchant, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::unprocessable(
            "required",
            Text::new("请提供商家名称。", "A merchant name is required."),
        )
        .field("name"));
    }
    let secret_key = crate::auth::random_key("sk_live_", 24);
    let merchant = crate::store::Merchant {
        id: crate::auth::random_key("m_", 8),
        name: name.to_owned(),
        publishable_key: crate::auth::random_key("pk_live_", 12),
        signing_secret: crate::auth::random_key("whsec_", 24),
        allowed_origins,
    };
    store
        .create_merchant(crate::store::NewMerchant {
            merchant: merchant.clone(),
            secret_key_hash: crate::auth::sha256_hex(secret_key.as_bytes()),
        })
        .await?;
    Ok(CreatedMerchant {
        merchant,
        secret_key,
    })
}

/// Sweeps deadlines every `interval` until the task is dropped.
pub async fn run_deadlines(state: AppState, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // Forget rate-limit buckets that have refilled, so spoofed keys cannot pile up.
        state.lookup_limiter.retain_recent();
        match sweep_deadlines(&state).await {
            Ok(0) => {}
            Ok(moved) => tracing::info!(moved, "deadlines applied"),
            Err(e) => tracing::error!(error = %e, "deadline sweep failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ShopperRequest;

    #[test]
    fn a_body_without_the_seen_verdict_and_split_hashes_as_it_did_before_they_existed() {
        // The idempotency hash is taken over the re-serialised body; a key claimed by an older
        // client must still match its retry.
        let before = r#"{"kind":"refund_only","reason":"changed_mind","lines":[{"line_id":"L1","quantity":1}],"note":"","evidence":[],"goods_intact":false,"expected_total":"89.00"}"#;
        let body: ShopperRequest = serde_json::from_str(before).unwrap();
        assert_eq!(serde_json::to_string(&body).unwrap(), before);
    }
}
