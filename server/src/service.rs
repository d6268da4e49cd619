//! The server's rules and workflows around the core: building domain values from stored rows,
//! submissions, lifecycle transitions, the deadline sweep, order and policy updates.
//!
//! The server never trusts the browser: every quote here is recomputed from the stored order,
//! the merchant's current policy and the order's live requests. Each workflow that writes runs
//! in one store transaction ([`Tx`]) and commits once; when a concurrent transaction on another
//! instance wins a race the store reports a conflict, and the workflow runs again from the start.

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use refund_core::wire::{DecimalStr, OrderWire, PolicyWire, RequestLineWire, RequestWire};
use refund_core::{
    Actor, Code, Context, Event, InputError, Ledger, Lifecycle, LifecycleError, Order, Outcome,
    Policy, Quote, Reason, RefundRequest, RequestKind, SplitLine, State, quote,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cache::Caches;
use crate::clock::Clock;
use crate::error::{ApiError, Text};
use crate::store::{
    Answer, AuditEvent, Evidence, Merchant, NewMerchant, OrderSnapshot, Progress, Store,
    StoreError, StoredOrder, StoredRequest, Submission, Tx,
};

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub caches: Arc<Caches>,
    pub public_url: String,
    pub lookup_limiter: Arc<crate::routes::shopper::LookupLimiter>,
    /// Whether `X-Forwarded-For` comes from a trusted reverse proxy.
    pub trust_forwarded_for: bool,
}

impl AppState {
    /// The current time, to the microsecond: what both databases keep, so what a workflow
    /// answers equals what is read back later.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }
}

/// The states whose requests hold units or money of their order (the ledger's requests).
static LIVE: LazyLock<Vec<State>> = LazyLock::new(|| {
    State::ALL
        .into_iter()
        .filter(|s| s.holds_ledger())
        .collect()
});

/// How far back a shopper's requests count towards the auto-approval limit.
const RECENT_WINDOW: TimeDelta = TimeDelta::days(30);

/// The start of the window of a shopper's recent requests, seen from `now`.
pub fn recent_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - RECENT_WINDOW
}

/// How often a workflow runs again after losing a race to a concurrent transaction.
const ATTEMPTS: usize = 3;

/// Why one attempt of a workflow stopped: a conflict worth another attempt, or an answer.
enum Stop {
    Retry(StoreError),
    Fail(ApiError),
}

impl From<StoreError> for Stop {
    fn from(error: StoreError) -> Stop {
        match error {
            StoreError::Conflict(_) => Stop::Retry(error),
            other => Stop::Fail(other.into()),
        }
    }
}

impl From<ApiError> for Stop {
    fn from(error: ApiError) -> Stop {
        Stop::Fail(error)
    }
}

impl From<InputError> for Stop {
    fn from(error: InputError) -> Stop {
        Stop::Fail(error.into())
    }
}

impl From<LifecycleError> for Stop {
    fn from(error: LifecycleError) -> Stop {
        Stop::Fail(error.into())
    }
}

/// Runs `attempt` until it does not stop on a conflict, at most [`ATTEMPTS`] times.
async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Stop>>,
{
    let mut last = None;
    for _ in 0..ATTEMPTS {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(Stop::Fail(error)) => return Err(error),
            Err(Stop::Retry(conflict)) => {
                tracing::debug!(%conflict, "concurrent transaction won; trying again");
                last = Some(conflict);
            }
        }
    }
    Err(last.map_or_else(|| ApiError::internal("no attempt made"), ApiError::from))
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

/// A policy version of a merchant (`None` or 0: the defaults), from the cache when it can be,
/// else read through `tx` when there is one.
///
/// Inside a transaction everything is read through it: on PostgreSQL a second connection
/// taken from the pool while one is held could wait for ever behind transactions that hold
/// the rest of the pool and wait for this one's locks.
async fn policy(
    state: &AppState,
    merchant_id: &str,
    version: Option<u32>,
    tx: Option<&mut Box<dyn Tx>>,
) -> Result<Arc<Policy>, ApiError> {
    let Some(version) = version.filter(|v| *v > 0) else {
        return Ok(Arc::new(policy_of(None)?));
    };
    if let Some(policy) = state.caches.policy(merchant_id, version) {
        return Ok(policy);
    }
    let wire = match tx {
        Some(tx) => tx.policy(merchant_id, version).await?,
        None => state.store.policy(merchant_id, version).await?,
    }
    .ok_or_else(|| ApiError::internal(format!("policy version {version} missing")))?;
    let policy = Arc::new(policy_of(Some((version, wire)))?);
    state
        .caches
        .keep_policy(merchant_id, version, policy.clone());
    Ok(policy)
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

/// The ledger of `stored` at its version: from the cache, or from its live requests read in
/// `tx` (under the order's lock; see [`policy`]) or, outside a transaction, from the store.
async fn ledger_at(
    state: &AppState,
    order: &Order,
    stored: &StoredOrder,
    tx: Option<&mut Box<dyn Tx>>,
) -> Result<Arc<Ledger>, ApiError> {
    if let Some(ledger) = state.caches.ledger(&stored.id, stored.version) {
        return Ok(ledger);
    }
    let live = match tx {
        Some(tx) => tx.live_quotes(&stored.id, &LIVE).await?,
        None => state.store.live_quotes(&stored.id, &LIVE).await?,
    };
    let ledger = Arc::new(Ledger::from_quotes(order, &live.quotes).map_err(ApiError::internal)?);
    // Requests read at another version than the order's (a write in between, outside a
    // transaction) are newer than the order read: good for this answer, not for the cache.
    if live.version == stored.version {
        state
            .caches
            .keep_ledger(&stored.id, stored.version, ledger.clone());
    }
    Ok(ledger)
}

/// An order with its requests and the ledger they make, read for a merchant's view.
pub async fn order_state(
    state: &AppState,
    stored: &StoredOrder,
) -> Result<(Order, Vec<StoredRequest>, Ledger), ApiError> {
    let order = order_of(stored)?;
    let requests = state.store.requests_for_order(&stored.id).await?;
    let ledger = ledger_of(&order, &requests)?;
    Ok((order, requests, ledger))
}

/// What a shopper's quote is computed from: the order, its ledger and the policy in force.
pub struct Quoting {
    pub order: Order,
    pub ledger: Arc<Ledger>,
    pub policy: Arc<Policy>,
    pub context: Context,
}

/// The quoting inputs of a session's order, as read with it.
pub async fn quoting(state: &AppState, snapshot: &OrderSnapshot) -> Result<Quoting, ApiError> {
    let order = order_of(&snapshot.order)?;
    let ledger = ledger_at(state, &order, &snapshot.order, None).await?;
    let policy = policy(
        state,
        &snapshot.order.merchant_id,
        snapshot.policy_version,
        None,
    )
    .await?;
    Ok(Quoting {
        order,
        ledger,
        policy,
        context: Context {
            now: state.now(),
            recent_requests: snapshot.recent_requests,
        },
    })
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

/// A submission as the engine judged it, before it is numbered and stored.
struct Decision {
    quote: Quote,
    policy_version: u32,
    evidence: Vec<String>,
    progress: Progress,
    /// The audit trail of the submission itself (submitted, and approved when a rule did).
    events: Vec<AuditEvent>,
    /// The order's ledger with this request recorded.
    ledger: Ledger,
}

/// Decides a submission against the order as locked: its ledger, the policy in force, the
/// shopper's recent requests and the order's free evidence.
fn decide(
    quoting: &Quoting,
    free_evidence: &[String],
    body: &ShopperRequest,
) -> Result<Decision, ApiError> {
    let Quoting {
        order,
        ledger,
        policy,
        context,
    } = quoting;
    let now = context.now;
    let mut evidence: Vec<String> = Vec::with_capacity(body.evidence.len());
    for id in &body.evidence {
        if !free_evidence.contains(id) {
            return Err(unknown_evidence(id));
        }
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
    let quote = quote_for(order, policy, ledger, body, files, *context)?;
    let short = quote.lines.iter().any(|l| {
        l.codes
            .iter()
            .any(|c| matches!(c, Code::QuantityExceedsAvailable { .. }))
    });
    if short {
        let left = ledger
            .left_to_refund(order)
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
    let mut recorded = Ledger::clone(ledger);
    recorded
        .record(order, &quote)
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
        let approved = lifecycle.apply(&Event::Approve, Actor::Rule, now, policy)?;
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
    Ok(Decision {
        policy_version: policy.version(),
        evidence,
        progress: progress(&lifecycle, policy, None),
        events,
        ledger: recorded,
        quote,
    })
}

/// A request's number: the day it was submitted and the store's sequence number for it.
fn request_number(at: DateTime<Utc>, seq: u64) -> String {
    format!("RF{}{seq:06}", at.format("%Y%m%d"))
}

fn key_reused() -> ApiError {
    ApiError::unprocessable(
        "idempotency_key_reused",
        Text::new(
            "该 Idempotency-Key 已用于另一份不同的申请，请为新申请使用新的值。",
            "This Idempotency-Key was used for a different request; use a new key for a new request.",
        ),
    )
}

/// Submits a shopper's request under an idempotency key, in one transaction and one commit:
/// the key, the decision against the order's live requests, the request, its audit trail and
/// the answer, rendered by `render`, which a retry with the same key and body gets back byte
/// for byte. The same key with another body is refused; a concurrent duplicate waits for the
/// first and replays its answer. A submission that fails records nothing, key included.
pub async fn submit(
    state: &AppState,
    merchant: &Merchant,
    order_number: &str,
    key: &str,
    body: &ShopperRequest,
    render: impl Fn(&StoredRequest) -> String,
) -> Result<Answer, ApiError> {
    let hash = crate::auth::sha256_hex(
        &serde_json::to_vec(&(order_number, body)).map_err(ApiError::internal)?,
    );
    retrying(|| submit_once(state, merchant, order_number, key, &hash, body, &render)).await
}

async fn submit_once(
    state: &AppState,
    merchant: &Merchant,
    order_number: &str,
    key: &str,
    hash: &str,
    body: &ShopperRequest,
    render: &impl Fn(&StoredRequest) -> String,
) -> Result<Answer, Stop> {
    let mut tx = state.store.begin().await?;
    if let Some(earlier) = tx.claim_key(&merchant.id, key).await? {
        return if earlier.body_hash == hash {
            Ok(earlier.answer)
        } else {
            Err(key_reused().into())
        };
    }
    let now = state.now();
    let snapshot = tx
        .lock_order(&merchant.id, order_number, recent_since(now))
        .await?
        .ok_or_else(ApiError::not_found)?;
    let order = order_of(&snapshot.order)?;
    let quoting = Quoting {
        ledger: ledger_at(state, &order, &snapshot.order, Some(&mut tx)).await?,
        policy: policy(state, &merchant.id, snapshot.policy_version, Some(&mut tx)).await?,
        context: Context {
            now,
            recent_requests: snapshot.recent_requests,
        },
        order,
    };
    let free_evidence = if body.evidence.is_empty() {
        Vec::new()
    } else {
        tx.free_evidence(&snapshot.order.id).await?
    };
    let decision = decide(&quoting, &free_evidence, body)?;
    let seq = tx.next_request_seq(&merchant.id).await?;
    let request = StoredRequest {
        id: crate::auth::random_key("rq_", 12),
        number: request_number(now, seq),
        merchant_id: merchant.id.clone(),
        order_id: snapshot.order.id.clone(),
        order_number: snapshot.order.wire.number.clone(),
        kind: body.kind,
        reason: body.reason,
        body: serde_json::to_value(body).map_err(ApiError::internal)?,
        quote: decision.quote,
        policy_version: decision.policy_version,
        evidence: decision.evidence,
        progress: decision.progress,
    };
    let answer = Answer {
        status: 201,
        body: render(&request),
    };
    let version = tx
        .record_submission(&Submission {
            request: &request,
            customer_email: &snapshot.email,
            events: &decision.events,
            key,
            body_hash: hash,
            answer: &answer,
            at: now,
        })
        .await?;
    tx.commit().await?;
    state
        .caches
        .keep_ledger(&request.order_id, version, Arc::new(decision.ledger));
    metrics::counter!("refund_requests_submitted_total").increment(1);
    Ok(answer)
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

/// A request moved on by `event`: its new progress and the audit row that says so.
fn transition(
    current: &StoredRequest,
    policy: &Policy,
    actor: Actor,
    event: &Event,
    now: DateTime<Utc>,
    detail: serde_json::Value,
) -> Result<(Progress, AuditEvent), ApiError> {
    let lifecycle = lifecycle_of(current)?;
    let next = lifecycle.apply(event, actor, now, policy)?;
    Ok((
        progress(&next, policy, Some((&current.progress, event))),
        audit(&lifecycle, &next, actor, event, now, detail),
    ))
}

/// Applies `event` by `actor` to a request, atomically with its audit row. `check` sees the
/// current request (locked) first and may refuse (e.g. payouts that do not match the quote).
pub async fn act(
    state: &AppState,
    merchant_id: &str,
    request_id: &str,
    actor: Actor,
    event: Event,
    detail: serde_json::Value,
    check: impl Fn(&StoredRequest) -> Result<(), ApiError>,
) -> Result<StoredRequest, ApiError> {
    retrying(|| async {
        let mut tx = state.store.begin().await?;
        let current = tx
            .lock_request(merchant_id, request_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        check(&current)?;
        let policy = policy(
            state,
            merchant_id,
            Some(current.policy_version),
            Some(&mut tx),
        )
        .await?;
        let (progress, row) = transition(
            &current,
            &policy,
            actor,
            &event,
            state.now(),
            detail.clone(),
        )?;
        tx.record_transition(&current, &progress, &row).await?;
        tx.commit().await?;
        Ok(StoredRequest {
            progress,
            ..current
        })
    })
    .await
}

/// Deadlines applied per transaction by the sweep.
const SWEEP_BATCH: u32 = 100;

/// Applies every deadline that has passed; returns how many requests moved.
///
/// Each batch of due requests is claimed in one transaction (on PostgreSQL, rows another
/// instance's sweep holds are skipped), so every deadline is applied exactly once.
pub async fn sweep_deadlines(state: &AppState) -> Result<usize, ApiError> {
    let now = state.now();
    let mut moved = 0;
    loop {
        let (claimed, applied) = retrying(|| sweep_batch(state, now)).await?;
        moved += applied;
        // A batch that moved nothing holds only rows that cannot move: stop rather than spin.
        if claimed < SWEEP_BATCH as usize || applied == 0 {
            return Ok(moved);
        }
    }
}

/// One batch of the sweep: how many due requests it claimed and how many it moved.
async fn sweep_batch(state: &AppState, now: DateTime<Utc>) -> Result<(usize, usize), Stop> {
    let mut tx = state.store.begin().await?;
    let due = tx.lock_due(now, SWEEP_BATCH).await?;
    let mut applied = 0;
    for request in &due {
        // One broken row must not hold back every other deadline: log it and go on.
        let step = async {
            let policy = policy(
                state,
                &request.merchant_id,
                Some(request.policy_version),
                Some(&mut tx),
            )
            .await?;
            let Some(event) = lifecycle_of(request)?.due_event(&policy, now) else {
                return Ok(None);
            };
            transition(request, &policy, Actor::Deadline, &event, now, json!({})).map(Some)
        };
        match step.await {
            Ok(Some((progress, row))) => {
                tx.record_transition(request, &progress, &row).await?;
                applied += 1;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(request = %request.id, error = %e, "deadline failed"),
        }
    }
    tx.commit().await?;
    Ok((due.len(), applied))
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

/// Creates or replaces an order snapshot; true when it was created. Once the order has
/// requests, only its status and times may change ([`check_order_update`]).
pub async fn put_order(
    store: &dyn Store,
    merchant_id: &str,
    order: &OrderWire,
    at: DateTime<Utc>,
) -> Result<bool, ApiError> {
    retrying(|| async {
        let mut tx = store.begin().await?;
        let stored = tx.lock_order(merchant_id, &order.number, at).await?;
        let created = match stored {
            Some(stored) => {
                let id = &stored.order.id;
                let has_requests = tx.order_has_requests(id).await?;
                check_order_update(Some(&stored.order.wire), has_requests, order)?;
                tx.update_order(id, order, at).await?;
                false
            }
            // Two first pushes of one order race on its unique number: the loser's insert is
            // a conflict, and its next attempt updates the winner's row.
            None => {
                let id = crate::auth::random_key("ord_", 12);
                tx.insert_order(merchant_id, &id, order, at).await?;
                true
            }
        };
        tx.commit().await?;
        Ok(created)
    })
    .await
}

/// Stores a policy as the merchant's next version; returns the version.
pub async fn put_policy(
    store: &dyn Store,
    merchant_id: &str,
    policy: &PolicyWire,
    at: DateTime<Utc>,
) -> Result<u32, ApiError> {
    Policy::new(policy)?;
    retrying(|| async {
        let mut tx = store.begin().await?;
        let version = tx.insert_policy(merchant_id, policy, at).await?;
        tx.commit().await?;
        Ok(version)
    })
    .await
}

/// Adds an evidence image to its order unless the order already has `max_per_order`.
pub async fn add_evidence(
    state: &AppState,
    evidence: &Evidence,
    max_per_order: u32,
) -> Result<bool, ApiError> {
    retrying(|| async {
        let mut tx = state.store.begin().await?;
        if !tx.lock_order_id(&evidence.order_id).await? {
            return Err(ApiError::not_found().into());
        }
        let added = tx
            .add_evidence(evidence, max_per_order, state.now())
            .await?;
        tx.commit().await?;
        Ok(added)
    })
    .await
}

/// The merchant whose publishable key this is.
pub async fn merchant_by_publishable_key(
    state: &AppState,
    key: &str,
) -> Result<Option<Merchant>, ApiError> {
    let cache_key = format!("pk:{key}");
    if let Some(merchant) = state.caches.merchant(&cache_key) {
        return Ok(Some(merchant));
    }
    let found = state.store.merchant_by_publishable_key(key).await?;
    if let Some(merchant) = &found {
        state.caches.keep_merchant(cache_key, merchant.clone());
    }
    Ok(found)
}

/// The merchant whose secret key this is (looked up by its hash; the key itself is not kept).
pub async fn merchant_by_secret_key(
    state: &AppState,
    key: &str,
) -> Result<Option<Merchant>, ApiError> {
    let hash = crate::auth::sha256_hex(key.as_bytes());
    let cache_key = format!("sk:{hash}");
    if let Some(merchant) = state.caches.merchant(&cache_key) {
        return Ok(Some(merchant));
    }
    let found = state.store.merchant_by_secret_hash(&hash).await?;
    if let Some(merchant) = &found {
        state.caches.keep_merchant(cache_key, merchant.clone());
    }
    Ok(found)
}

/// A merchant just created, with the secret key that is shown once and stored only hashed.
pub struct CreatedMerchant {
    pub merchant: Merchant,
    pub secret_key: String,
}

pub async fn create_merchant(
    store: &dyn Store,
    name: &str,
    allowed_origins: Vec<String>,
    at: DateTime<Utc>,
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
    let merchant = Merchant {
        id: crate::auth::random_key("m_", 8),
        name: name.to_owned(),
        publishable_key: crate::auth::random_key("pk_live_", 12),
        signing_secret: crate::auth::random_key("whsec_", 24),
        allowed_origins,
    };
    store
        .create_merchant(
            NewMerchant {
                merchant: merchant.clone(),
                secret_key_hash: crate::auth::sha256_hex(secret_key.as_bytes()),
            },
            at,
        )
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
