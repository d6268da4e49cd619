//! Storage, behind one interface so another database can be added without touching handlers.
//!
//! The store knows rows, not rules: every decision that needs the refund engine is made by a
//! closure the service passes in, which the store runs *inside* its write transaction, so what
//! the decision read (the order's live requests) cannot change before what it decided is written.
//! Money is stored as decimal strings inside the quote JSON and as integer minor units for sums,
//! never as floats.

pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use refund_core::wire::{OrderWire, PolicyWire};
use refund_core::{Actor, DeadlineKind, Quote, Reason, RequestKind, State};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub type StoreResult<T> = Result<T, ApiError>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merchant {
    pub id: String,
    pub name: String,
    pub publishable_key: String,
    pub signing_secret: String,
    /// Web origins allowed to call the shopper API from a browser.
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct NewMerchant {
    pub merchant: Merchant,
    pub secret_key_hash: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredOrder {
    pub id: String,
    pub merchant_id: String,
    pub wire: OrderWire,
}

/// What the submit decision sees, read inside the write transaction.
#[derive(Clone, Debug)]
pub struct SubmitView {
    pub order: StoredOrder,
    /// The merchant's current policy, if one was ever set.
    pub policy: Option<(u32, PolicyWire)>,
    /// Quotes of the order's requests that still hold units or money.
    pub live_quotes: Vec<Quote>,
    /// Requests by the same customer at this merchant in the last 30 days.
    pub recent_requests: u32,
    /// Evidence uploaded for this order and not yet attached to a request.
    pub free_evidence: Vec<String>,
}

/// A request to insert, as the decision made it.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub id: String,
    pub kind: RequestKind,
    pub reason: Reason,
    pub body: serde_json::Value,
    pub quote: Quote,
    pub policy_version: u32,
    pub evidence: Vec<String>,
    pub progress: Progress,
    /// The audit trail of the submission itself (submitted, and approved when a rule did).
    pub events: Vec<AuditEvent>,
}

/// The mutable part of a request's lifecycle, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub state: State,
    pub submitted_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub shipped_back_at: Option<DateTime<Utc>>,
    pub deadline: Option<(DeadlineKind, DateTime<Utc>)>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub reject_reason: Option<String>,
}

/// One audit row: who did what, the state before and after, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub actor: Actor,
    pub action: String,
    pub before: Option<State>,
    pub after: State,
    pub at: DateTime<Utc>,
    pub detail: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct StoredRequest {
    pub id: String,
    pub number: String,
    pub merchant_id: String,
    pub order_id: String,
    pub order_number: String,
    pub kind: RequestKind,
    pub reason: Reason,
    pub body: serde_json::Value,
    pub quote: Quote,
    pub policy_version: u32,
    pub evidence: Vec<String>,
    pub progress: Progress,
}

/// What a stored idempotency key says about a new submission with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its earlier attempt was abandoned) and is now held by this submission,
    /// under this claim: only the holder may answer or release the key.
    Fresh { claim: String },
    /// The same key finished before: replay its answer.
    Replay { status: u16, body: String },
    /// The same key with a different body.
    Mismatch,
    /// The same key is being processed right now.
    InProgress,
}

#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    pub state: Option<State>,
    pub reason: Option<Reason>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only requests submitted before the one with this id (cursor pagination, newest first).
    pub before: Option<(DateTime<Utc>, String)>,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub id: String,
    pub merchant_id: String,
    pub order_id: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The decision run inside a submission's transaction.
pub type Decide = Box<dyn FnOnce(&SubmitView) -> Result<NewRequest, ApiError> + Send>;
/// Renders the stored answer to a submission (status and body), kept for idempotent replays.
pub type Respond = Box<dyn FnOnce(&StoredRequest) -> (u16, String) + Send>;
/// The decision run inside a transition's transaction: the new progress and its audit event.
pub type Advance =
    Box<dyn FnOnce(&StoredRequest) -> Result<(Progress, AuditEvent), ApiError> + Send>;
/// Checks an order update against the stored order and whether it has requests.
pub type CheckOrder = Box<dyn FnOnce(Option<&OrderWire>, bool) -> Result<(), ApiError> + Send>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_merchant(&self, merchant: NewMerchant) -> StoreResult<()>;
    async fn merchant_by_secret_hash(&self, hash: &str) -> StoreResult<Option<Merchant>>;
    async fn merchant_by_publishable_key(&self, key: &str) -> StoreResult<Option<Merchant>>;
    async fn merchant_by_name(&self, name: &str) -> StoreResult<Option<Merchant>>;
    async fn merchant(&self, id: &str) -> StoreResult<Option<Merchant>>;

    /// Stores a new policy version (one more than the last) and returns it.
    async fn put_policy(
        &self,
        merchant_id: &str,
        policy: PolicyWire,
        at: DateTime<Utc>,
    ) -> StoreResult<u32>;
    async fn current_policy(&self, merchant_id: &str) -> StoreResult<Option<(u32, PolicyWire)>>;
    async fn policy(&self, merchant_id: &str, version: u32) -> StoreResult<Option<PolicyWire>>;

    /// Creates or replaces an order; `check` sees the stored one first. True when created.
    async fn put_order(
        &self,
        merchant_id: &str,
        order: OrderWire,
        check: CheckOrder,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn order(&self, merchant_id: &str, number: &str) -> StoreResult<Option<StoredOrder>>;
    /// The customer email of an order, normalised (trimmed, lower case), for the lookup.
    async fn order_email(&self, merchant_id: &str, number: &str) -> StoreResult<Option<String>>;

    /// Holds an idempotency key for a submission, or says why it cannot be held.
    async fn claim_key(
        &self,
        merchant_id: &str,
        key: &str,
        body_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Claim>;
    /// Lets a key go after a submission that recorded nothing.
    async fn release_key(&self, merchant_id: &str, key: &str, claim: &str) -> StoreResult<()>;
    /// Decides and records a submission atomically, storing `decide`'s answer under the key.
    #[allow(clippy::too_many_arguments)]
    async fn submit(
        &self,
        merchant_id: &str,
        order_number: &str,
        key: &str,
        claim: &str,
        at: DateTime<Utc>,
        decide: Decide,
        respond: Respond,
    ) -> StoreResult<(u16, String)>;

    async fn request(&self, merchant_id: &str, id: &str) -> StoreResult<Option<StoredRequest>>;
    async fn requests_for_order(&self, order_id: &str) -> StoreResult<Vec<StoredRequest>>;
    async fn list_requests(
        &self,
        merchant_id: &str,
        filter: &RequestFilter,
    ) -> StoreResult<Vec<StoredRequest>>;
    /// Requests by the customer with this email at this merchant submitted since `since`.
    async fn recent_requests(
        &self,
        merchant_id: &str,
        email: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u32>;
    async fn events(&self, request_id: &str) -> StoreResult<Vec<AuditEvent>>;
    /// Moves a request on atomically, with its audit row.
    async fn advance(
        &self,
        merchant_id: &str,
        id: &str,
        advance: Advance,
    ) -> StoreResult<StoredRequest>;
    /// Requests whose running deadline has passed at `now`: (merchant id, request id).
    async fn due(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<(String, String)>>;

    async fn add_evidence(
        &self,
        evidence: Evidence,
        max_per_order: u32,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn evidence(&self, merchant_id: &str, id: &str) -> StoreResult<Option<Evidence>>;
    /// Deletes an image of this order that no request uses yet; false when there is none.
    async fn delete_free_evidence(
        &self,
        merchant_id: &str,
        order_id: &str,
        id: &str,
    ) -> StoreResult<bool>;

    /// Liveness of the database, for `/healthz`.
    async fn ping(&self) -> StoreResult<()>;
}
