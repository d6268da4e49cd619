//! Storage: rows and locking, behind one interface that SQLite and PostgreSQL both implement.
//!
//! The store knows rows, not rules. Workflows that read and then write (a submission, a
//! transition, the deadline sweep, an order or policy update) run in a write transaction, a
//! [`Tx`], that the service drives with primitive operations and commits once; the rules they
//! apply (the refund engine, which states hold money, the request number format, the 30-day
//! window) live in the service and the core. Dropping a `Tx` without committing rolls it back.
//!
//! What each backend's locking rests on:
//! - **SQLite**: every write transaction is `BEGIN IMMEDIATE`, SQLite's one write lock taken up
//!   front, so write transactions run one at a time and "lock" operations are plain reads.
//! - **PostgreSQL**: `READ COMMITTED` with row locks. A submission locks its order row
//!   (`SELECT … FOR UPDATE`), so two submissions for one order run one after the other on any
//!   number of instances; its idempotency key is inserted first, so a concurrent duplicate waits
//!   on that row and then reads the committed answer; transitions lock their request row; the
//!   deadline sweep claims due rows with `FOR UPDATE SKIP LOCKED`.
//!
//! Every write that changes a request, or an order's body, also raises the order's `version`
//! in the same transaction. The version is what the service's ledger cache is keyed on, so an
//! order read at a version always has the ledger computed from the requests of that version.
//!
//! Money is stored as decimal strings inside JSON (quotes, orders, policies) and as integer
//! minor units where SQL sums it, never as floats.

mod outbox;
pub mod postgres;
mod rows;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use refund_api::{
    ActedBy, Author, Bilingual, PayoutRecord, RequestedLine, ReturnTo, Role, StaffBrief,
};
use refund_core::messages::Lang;
use refund_core::wire::{OrderWire, PolicyWire};
use refund_core::{DeadlineKind, Quote, Reason, RequestKind, State};

pub use outbox::{
    AttemptRow, DeliveryNext, DeliveryRow, DueDelivery, DueEmail, EmailNext, EndpointRow, NewEmail,
    NewEvent,
};

/// Which database a server uses.
#[derive(Clone, Debug)]
pub enum Database {
    /// The embedded default: one file.
    Sqlite(std::path::PathBuf),
    /// A `postgres://` URL, shared by any number of instances.
    Postgres { url: String, max_connections: u32 },
}

/// Opens the database and brings its schema up to date.
pub async fn open(database: &Database) -> Result<std::sync::Arc<dyn Store>, sqlx::Error> {
    Ok(match database {
        Database::Sqlite(path) => std::sync::Arc::new(sqlite::SqliteStore::open(path).await?),
        Database::Postgres {
            url,
            max_connections,
        } => std::sync::Arc::new(postgres::PgStore::open(url, *max_connections).await?),
    })
}

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row the operation needs does not exist.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A concurrent transaction got there first (a unique key taken, a deadlock or
    /// serialization failure); the workflow may run again from the start.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed, or a stored row cannot be read back.
    #[error("database: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            // Deadlocks (40P01) and serialization failures (40001) on PostgreSQL: the
            // transaction was rolled back and may simply run again.
            sqlx::Error::Database(db)
                if db.code().is_some_and(|c| c == "40P01" || c == "40001") =>
            {
                StoreError::Conflict(db.message().to_owned())
            }
            _ => StoreError::Database(error.to_string()),
        }
    }
}

pub(crate) fn corrupt(cause: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("unreadable row: {cause}"))
}

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
    /// Raised by every change to the order or its requests.
    pub version: i64,
}

/// An order with what a quote needs around it, read in one statement.
#[derive(Clone, Debug)]
pub struct OrderSnapshot {
    pub order: StoredOrder,
    /// The customer's email, normalised (trimmed, lower case).
    pub email: String,
    /// The merchant's current policy version, if one was ever set.
    pub policy_version: Option<u32>,
    /// Requests by the same customer at this merchant submitted since the `since` asked for.
    pub recent_requests: u32,
}

/// The quotes of an order's requests in some states, and the order version they belong to.
#[derive(Clone, Debug)]
pub struct LiveQuotes {
    pub version: i64,
    pub quotes: Vec<Quote>,
}

/// A request as stored; the service builds it for a new submission.
#[derive(Clone, Debug)]
pub struct StoredRequest {
    pub id: String,
    pub number: String,
    pub merchant_id: String,
    pub order_id: String,
    pub order_number: String,
    /// The order's customer e-mail, normalised.
    pub customer_email: String,
    pub kind: RequestKind,
    pub reason: Reason,
    pub body: serde_json::Value,
    pub quote: Quote,
    pub policy_version: u32,
    pub evidence: Vec<String>,
    /// The requested lines named as the order names them (read with the order).
    pub lines: Vec<RequestedLine>,
    pub assignee: Option<StaffBrief>,
    /// Messages each side has not read yet.
    pub unread: Unread,
    pub progress: Progress,
    /// The shopper's language when they sent it: their e-mails speak it.
    pub lang: Lang,
}

/// A quote's lines with the SKU and title `name` gives each line id (empty when it has none).
pub fn name_lines<'a>(
    quote: &Quote,
    name: impl Fn(&str) -> Option<(&'a str, &'a str)>,
) -> Vec<RequestedLine> {
    quote
        .lines
        .iter()
        .map(|line| {
            let (sku, title) = name(&line.line_id).unwrap_or_default();
            RequestedLine {
                line_id: line.line_id.clone(),
                sku: sku.to_owned(),
                title: title.to_owned(),
                quantity: line.quantity,
                exchange_for: line.exchange_for.clone(),
            }
        })
        .collect()
}

/// Messages in a request's thread that each side has not read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unread {
    /// Written by the merchant's side, unread by the shopper.
    pub shopper: u32,
    /// Written by the shopper, unread by the merchant's staff.
    pub desk: u32,
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
    pub reject_text: Option<Bilingual>,
    pub return_to: Option<ReturnTo>,
    pub payout: Option<PayoutRecord>,
}

/// One audit row: who did what, the state before and after, when; shown as it is stored.
pub use refund_api::HistoryEvent as AuditEvent;

/// What an idempotency key holds: the hash of the body it was first used with and the answer
/// given then (stored in the same transaction as the request it recorded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    pub body_hash: String,
    pub answer: Answer,
}

/// A stored answer, replayed byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// One group of the statistics: a reason's requests or a SKU's lines, in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsGroup {
    pub reason: Option<Reason>,
    pub sku: Option<String>,
    pub currency: String,
    /// Requests (for a reason), or request lines (for a SKU).
    pub requests: u64,
    /// A sum of quantities, each up to `u32::MAX`: wider than any one of them.
    pub units: u64,
    /// How many of those still hold money (a sum of zero still counts as an amount).
    pub live: u64,
    /// Totals (for a reason) or item amounts (for a SKU) of live requests, in minor units.
    pub amount_minor: i64,
}

/// Everything a submission writes, in one transaction.
#[derive(Clone, Copy, Debug)]
pub struct Submission<'a> {
    pub request: &'a StoredRequest,
    /// The audit trail of the submission itself (submitted, and approved when a rule did).
    pub events: &'a [AuditEvent],
    pub assignee: Option<&'a str>,
    pub key: &'a str,
    pub body_hash: &'a str,
    pub answer: &'a Answer,
    pub at: DateTime<Utc>,
}

/// Which requests a list or a count takes.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    /// Only these (state, kind) pairs (a queue tab), when set.
    pub pairs: Option<Vec<(State, RequestKind)>>,
    pub state: Option<State>,
    pub reason: Option<Reason>,
    pub kind: Option<RequestKind>,
    pub assignee: Option<AssigneeFilter>,
    /// Totals at least / at most this much in the request's currency.
    pub min_total: Option<rust_decimal::Decimal>,
    pub max_total: Option<rust_decimal::Decimal>,
    /// A request number, an order number or a (normalised) customer e-mail, exactly.
    pub search: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    Staff(String),
}

/// One page of a list: its order, where the previous page ended, and how many.
#[derive(Clone, Debug)]
pub struct Page {
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub limit: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Running deadline soonest first, then those without one; oldest submission first.
    Deadline,
    /// Newest submission first.
    Newest,
}

/// The sort key of the last request of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub deadline_at: Option<DateTime<Utc>>,
    pub submitted_at: DateTime<Utc>,
    pub id: String,
}

/// Requests of one (state, kind), and how many of them are past their running deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueGroup {
    pub state: State,
    pub kind: RequestKind,
    pub requests: u32,
    pub overdue: u32,
}

/// A staff account as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRow {
    pub id: String,
    pub merchant_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// Argon2id, as a PHC string; `None` until set up.
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A desk session with its staff member, as read on every call.
#[derive(Clone, Debug)]
pub struct DeskSessionRow {
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub staff: StaffRow,
}

/// The merchant's lists the desk keeps: each item an id and a JSON body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeskList {
    /// `refund_api::TemplateBody`.
    Templates,
    /// `refund_api::AddressBody`.
    Addresses,
}

impl DeskList {
    fn table(self) -> &'static str {
        match self {
            DeskList::Templates => "reply_templates",
            DeskList::Addresses => "return_addresses",
        }
    }
}

/// One message of a thread, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRow {
    pub id: String,
    pub author: Author,
    pub by: Option<ActedBy>,
    pub body: String,
    pub photos: Vec<String>,
    pub asks_for_photos: bool,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub id: String,
    pub merchant_id: String,
    pub order_id: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Reads, and the start of write transactions.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Starts a write transaction.
    async fn begin(&self) -> StoreResult<Box<dyn Tx>>;

    async fn create_merchant(&self, merchant: NewMerchant, at: DateTime<Utc>) -> StoreResult<()>;
    async fn merchant_by_secret_hash(&self, hash: &str) -> StoreResult<Option<Merchant>>;
    async fn merchant_by_publishable_key(&self, key: &str) -> StoreResult<Option<Merchant>>;
    async fn merchant_by_name(&self, name: &str) -> StoreResult<Option<Merchant>>;
    async fn merchant_by_id(&self, id: &str) -> StoreResult<Option<Merchant>>;

    async fn current_policy(&self, merchant_id: &str) -> StoreResult<Option<(u32, PolicyWire)>>;
    async fn policy(&self, merchant_id: &str, version: u32) -> StoreResult<Option<PolicyWire>>;

    async fn order(&self, merchant_id: &str, number: &str) -> StoreResult<Option<StoredOrder>>;
    /// The order with the current policy version and the customer's requests since `since`.
    async fn order_snapshot(
        &self,
        merchant_id: &str,
        number: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<OrderSnapshot>>;
    /// The customer email of an order, normalised (trimmed, lower case), for the lookup.
    async fn order_email(&self, merchant_id: &str, number: &str) -> StoreResult<Option<String>>;
    /// The quotes of the order's requests in `states`, with the order's version, in one read.
    async fn live_quotes(&self, order_id: &str, states: &[State]) -> StoreResult<LiveQuotes>;

    async fn request(&self, merchant_id: &str, id: &str) -> StoreResult<Option<StoredRequest>>;
    async fn requests_for_order(&self, order_id: &str) -> StoreResult<Vec<StoredRequest>>;
    async fn list_requests(
        &self,
        merchant_id: &str,
        filter: &RequestFilter,
        page: &Page,
    ) -> StoreResult<Vec<StoredRequest>>;
    /// How many requests the filter takes, by (state, kind), with how many are overdue at `now`.
    async fn queue_counts(
        &self,
        merchant_id: &str,
        filter: &RequestFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<QueueGroup>>;
    async fn events(&self, request_id: &str) -> StoreResult<Vec<AuditEvent>>;
    /// The audit rows of several requests, each request's oldest first.
    async fn events_of(&self, request_ids: &[String]) -> StoreResult<Vec<(String, AuditEvent)>>;
    /// A request's thread, oldest first.
    async fn messages(&self, request_id: &str) -> StoreResult<Vec<MessageRow>>;
    /// Marks every message of the thread read by `reader`'s side.
    async fn mark_read(&self, request_id: &str, reader: Author) -> StoreResult<()>;

    async fn staff_by_email(&self, email: &str) -> StoreResult<Option<StaffRow>>;
    async fn staff(&self, merchant_id: &str, id: &str) -> StoreResult<Option<StaffRow>>;
    async fn list_staff(&self, merchant_id: &str) -> StoreResult<Vec<StaffRow>>;
    /// The staff member whose unexpired set-up link has this hash.
    async fn staff_by_setup(
        &self,
        setup_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<StaffRow>>;
    async fn insert_session(
        &self,
        token_hash: &str,
        staff_id: &str,
        csrf_token: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn session(&self, token_hash: &str) -> StoreResult<Option<DeskSessionRow>>;
    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Forgets sessions idle since before `idle_before` or opened before `opened_before`.
    async fn delete_stale_sessions(
        &self,
        idle_before: DateTime<Utc>,
        opened_before: DateTime<Utc>,
    ) -> StoreResult<u64>;
    async fn set_auto_assign(&self, merchant_id: &str, on: bool) -> StoreResult<()>;
    async fn auto_assign(&self, merchant_id: &str) -> StoreResult<bool>;

    /// A merchant's templates or addresses, oldest first: (id, JSON body).
    async fn desk_items(
        &self,
        list: DeskList,
        merchant_id: &str,
    ) -> StoreResult<Vec<(String, String)>>;
    async fn desk_item(
        &self,
        list: DeskList,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<Option<String>>;
    async fn insert_desk_item(
        &self,
        list: DeskList,
        merchant_id: &str,
        id: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// False when there is no such item.
    async fn update_desk_item(
        &self,
        list: DeskList,
        merchant_id: &str,
        id: &str,
        body: &str,
    ) -> StoreResult<bool>;
    /// False when there is no such item.
    async fn delete_desk_item(
        &self,
        list: DeskList,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<bool>;
    /// Requests submitted in `[from, to)`, counted and summed by reason and by SKU, per
    /// currency; money only for requests in `live` states.
    async fn stats(
        &self,
        merchant_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        live: &[State],
    ) -> StoreResult<Vec<StatsGroup>>;

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

    /// The merchant's events after `after` (a feed cursor), oldest first: `(seq, body)`. On
    /// PostgreSQL only events no running transaction can still precede.
    async fn events_after(
        &self,
        merchant_id: &str,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, String)>>;
    async fn endpoints(&self, merchant_id: &str) -> StoreResult<Vec<EndpointRow>>;
    async fn endpoint(&self, merchant_id: &str, id: &str) -> StoreResult<Option<EndpointRow>>;
    /// An endpoint's latest deliveries, newest first, with their attempts.
    async fn deliveries(&self, endpoint_id: &str, limit: u32) -> StoreResult<Vec<DeliveryRow>>;
}

/// A write transaction. Nothing it wrote is visible to others, or durable, until `commit`.
#[async_trait]
pub trait Tx: Send {
    /// What the key holds if it was used before. If not, the key is this transaction's until it
    /// ends: a concurrent transaction claiming it waits, then sees this one's answer.
    async fn claim_key(&mut self, merchant_id: &str, key: &str) -> StoreResult<Option<KeyRecord>>;
    /// Reads and locks the order (with its snapshot) until the transaction ends.
    async fn lock_order(
        &mut self,
        merchant_id: &str,
        number: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<OrderSnapshot>>;
    /// Locks the order with this id; false when there is none.
    async fn lock_order_id(&mut self, order_id: &str) -> StoreResult<bool>;
    async fn order_has_requests(&mut self, order_id: &str) -> StoreResult<bool>;
    async fn insert_order(
        &mut self,
        merchant_id: &str,
        id: &str,
        order: &OrderWire,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn update_order(
        &mut self,
        order_id: &str,
        order: &OrderWire,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn live_quotes(&mut self, order_id: &str, states: &[State]) -> StoreResult<LiveQuotes>;
    async fn policy(&mut self, merchant_id: &str, version: u32) -> StoreResult<Option<PolicyWire>>;
    /// Stores the policy as the merchant's next version and returns that version.
    async fn insert_policy(
        &mut self,
        merchant_id: &str,
        policy: &PolicyWire,
        at: DateTime<Utc>,
    ) -> StoreResult<u32>;

    /// Evidence of the order that no request uses yet.
    async fn free_evidence(&mut self, order_id: &str) -> StoreResult<Vec<String>>;
    /// Adds an image to an order that has fewer than `max_per_order`; false when it is full.
    /// The caller holds the order's lock.
    async fn add_evidence(
        &mut self,
        evidence: &Evidence,
        max_per_order: u32,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// A number not given to any other request of this merchant, increasing.
    async fn next_request_seq(&mut self, merchant_id: &str) -> StoreResult<u64>;
    /// Records a submission: the request (attaching its evidence, all of it free images of its
    /// order), its audit trail, and the answer under the key this transaction claimed. Returns
    /// the order's new version.
    async fn record_submission(&mut self, submission: &Submission<'_>) -> StoreResult<i64>;
    /// Reads and locks a request until the transaction ends.
    async fn lock_request(
        &mut self,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<Option<StoredRequest>>;
    /// Claims up to `limit` requests whose running deadline has passed at `now` and that no
    /// other transaction holds, ordered by order id (so order rows are locked in one order).
    async fn lock_due(&mut self, now: DateTime<Utc>, limit: u32)
    -> StoreResult<Vec<StoredRequest>>;
    /// Stores a request's new progress with the audit row that says why; returns the order's
    /// new version.
    async fn record_transition(
        &mut self,
        request: &StoredRequest,
        progress: &Progress,
        event: &AuditEvent,
    ) -> StoreResult<i64>;
    /// Assigns a request (or leaves it unassigned), with its audit row.
    async fn assign(
        &mut self,
        request: &StoredRequest,
        staff_id: Option<&str>,
        event: &AuditEvent,
    ) -> StoreResult<()>;
    /// The active agent of the merchant assigned longest ago (marked as assigned at `at`), when
    /// the merchant hands requests out automatically.
    async fn next_assignee(
        &mut self,
        merchant_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StaffBrief>>;
    /// Adds a message to a request's thread, attaching its photos (free images of the order),
    /// with its audit row; the writer's side has then read the whole thread.
    async fn insert_message(
        &mut self,
        request: &StoredRequest,
        message: &MessageRow,
        event: &AuditEvent,
    ) -> StoreResult<()>;

    /// Reads a staff member with their merchant's row locked, so staff changes of a merchant
    /// run one at a time.
    async fn lock_staff(&mut self, merchant_id: &str, id: &str) -> StoreResult<Option<StaffRow>>;
    /// Inserts a staff member; a conflict when the e-mail is taken.
    async fn insert_staff(&mut self, staff: &StaffRow) -> StoreResult<()>;
    async fn update_staff(&mut self, staff: &StaffRow) -> StoreResult<()>;
    /// Active owners of the merchant.
    async fn active_owners(&mut self, merchant_id: &str) -> StoreResult<u32>;
    async fn set_setup(
        &mut self,
        staff_id: &str,
        setup_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Sets the password and uses up the set-up link.
    async fn set_password(&mut self, staff_id: &str, password_hash: &str) -> StoreResult<()>;
    async fn delete_sessions_of(&mut self, staff_id: &str) -> StoreResult<()>;

    async fn tx_merchant(&mut self, id: &str) -> StoreResult<Option<Merchant>>;
    /// The merchant's webhook endpoints, read in this transaction.
    async fn tx_endpoints(&mut self, merchant_id: &str) -> StoreResult<Vec<EndpointRow>>;
    /// Records an event and a pending delivery of it to each of `event.endpoints`; returns
    /// the event's seq.
    async fn insert_event(&mut self, event: &NewEvent<'_>) -> StoreResult<i64>;
    async fn insert_email(&mut self, email: &NewEmail<'_>) -> StoreResult<()>;
    /// Claims up to `limit` due deliveries of enabled endpoints until `lease_until`: each the
    /// earliest pending one of its (endpoint, request), none another dispatcher holds.
    async fn claim_deliveries(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>>;
    /// Records an attempt and what becomes of its delivery, and lets the delivery go.
    async fn finish_delivery(
        &mut self,
        seq: i64,
        attempt: &AttemptRow,
        next: DeliveryNext,
    ) -> StoreResult<()>;
    /// Inserts or updates an endpoint.
    async fn save_endpoint(&mut self, endpoint: &EndpointRow) -> StoreResult<()>;
    /// Reads an endpoint and holds it until the transaction ends.
    async fn lock_endpoint(
        &mut self,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<Option<EndpointRow>>;
    /// Deletes an endpoint with its deliveries and their attempts.
    async fn delete_endpoint(&mut self, merchant_id: &str, id: &str) -> StoreResult<bool>;
    /// Makes the delivery of the merchant's event `event_id` to `endpoint_id` due at `now`,
    /// creating it when the event was never sent there; false when there is no such event.
    async fn redeliver(
        &mut self,
        merchant_id: &str,
        endpoint_id: &str,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Claims up to `limit` due e-mails until `lease_until`.
    async fn claim_emails(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueEmail>>;
    async fn finish_email(&mut self, seq: i64, next: &EmailNext) -> StoreResult<()>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;
}
