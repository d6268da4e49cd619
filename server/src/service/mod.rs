//! The server's rules and workflows around the core: building domain values from stored rows,
//! submissions, lifecycle transitions, the deadline sweep, order and policy updates, statistics.
//!
//! The server never trusts the browser: every quote here is recomputed from the stored order,
//! the merchant's current policy and the order's live requests. Each workflow that writes runs
//! in one store transaction ([`Tx`]) and commits once; when a concurrent transaction on another
//! instance wins a race the store reports a conflict, and the workflow runs again from the
//! start. Inside a transaction everything is read through it: on PostgreSQL a second pooled
//! connection taken while one is held could wait for ever behind transactions that hold the
//! rest of the pool and wait for this one's locks.

pub mod desk;
pub mod dispatch;
pub mod emails;
pub mod events;
mod lifecycle;
mod merchants;
pub mod staff;
mod submit;

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use refund_api::{Problem, ShopperRequest};
use refund_core::wire::PolicyWire;
use refund_core::{
    Context, InputError, Ledger, LifecycleError, Order, Policy, Quote, RefundRequest, State, quote,
};

pub use lifecycle::Step;
pub use merchants::{CreatedMerchant, check_order_update, create_merchant, put_order, put_policy};
pub use submit::Sent;

use crate::cache::Caches;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::store::{OrderSnapshot, Store, StoreError, StoredOrder, StoredRequest, Tx};

/// The rules and workflows, over a store, a clock and this instance's caches.
#[derive(Clone)]
pub struct Service {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    caches: Arc<Caches>,
    /// Where shoppers reach this server: the links in their e-mails.
    public_url: Arc<str>,
    /// Whether webhook endpoints may be on loopback or private networks (tests, development).
    allow_private: bool,
    /// Wakes the dispatcher when a change with events has committed.
    outbox: Arc<tokio::sync::Notify>,
}

/// The states whose requests hold units or money of their order (the ledger's requests).
static LIVE: LazyLock<Vec<State>> = LazyLock::new(|| {
    State::ALL
        .into_iter()
        .filter(|s| s.holds_ledger())
        .collect()
});

/// How far back a shopper's requests count towards the auto-approval limit. Every request of
/// the window counts, rejected ones too (a run of refused claims is what the limit is for),
/// except those the shopper cancelled before a decision: the stores count them in SQL
/// (`recent` of an order snapshot).
const RECENT_WINDOW: TimeDelta = TimeDelta::days(30);

fn invalid_query(detail: impl Into<String>) -> ApiError {
    Problem::InvalidQuery {
        detail: detail.into(),
    }
    .into()
}

/// A query's timestamp, if given, in the years the system keeps; past them the stores' text and
/// timestamp comparisons would silently find nothing, or fail.
fn query_time(name: &str, at: Option<DateTime<Utc>>) -> Result<(), ApiError> {
    match at {
        Some(at) if !refund_core::in_supported_years(at) => Err(invalid_query(format!(
            "{name} must fall in the years 1970 to 9999"
        ))),
        _ => Ok(()),
    }
}

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

impl From<Problem> for Stop {
    fn from(problem: Problem) -> Stop {
        Stop::Fail(problem.into())
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

/// What a shopper's quote is computed from: the order, its ledger and the policy in force.
pub struct Quoting {
    pub order: Order,
    pub ledger: Arc<Ledger>,
    pub policy: Arc<Policy>,
    pub context: Context,
}

impl Quoting {
    /// Quotes a shopper's request exactly as a submission would be judged.
    pub fn quote(&self, body: &ShopperRequest, evidence_files: u32) -> Result<Quote, ApiError> {
        let request = RefundRequest::new(&self.order, &body.wire(evidence_files))?;
        Ok(quote(
            &self.order,
            &self.policy,
            &self.ledger,
            &request,
            self.context,
        )?)
    }
}

impl Service {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Service {
        Service {
            store,
            clock,
            caches: Arc::default(),
            public_url: Arc::from("http://127.0.0.1:8080"),
            allow_private: false,
            outbox: Arc::default(),
        }
    }

    /// The server's public URL, for links sent out.
    pub fn with_public_url(mut self, url: &str) -> Service {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    /// Lets webhook endpoints be on loopback and private networks: for tests and development,
    /// never for a server merchants configure from the internet.
    pub fn allowing_private_endpoints(mut self, allow: bool) -> Service {
        self.allow_private = allow;
        self
    }

    /// Commits a transaction that raised events, and wakes the dispatcher.
    async fn commit(&self, tx: Box<dyn Tx>) -> Result<(), StoreError> {
        tx.commit().await?;
        self.outbox.notify_waiters();
        Ok(())
    }

    /// The store, for reading single rows; anything that decides or writes is a method here.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The current time, to the microsecond: what both databases keep, so what a workflow
    /// answers equals what is read back later.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }

    /// A policy version of a merchant (`None` or 0: the defaults), from the cache when it can
    /// be, else read through `tx` when there is one.
    async fn policy(
        &self,
        merchant_id: &str,
        version: Option<u32>,
        tx: Option<&mut Box<dyn Tx>>,
    ) -> Result<Arc<Policy>, ApiError> {
        let Some(version) = version.filter(|v| *v > 0) else {
            return Ok(Arc::new(policy_of(None)?));
        };
        if let Some(policy) = self.caches.policy(merchant_id, version) {
            return Ok(policy);
        }
        let wire = match tx {
            Some(tx) => tx.policy(merchant_id, version).await?,
            None => self.store.policy(merchant_id, version).await?,
        }
        .ok_or_else(|| ApiError::internal(format!("policy version {version} missing")))?;
        let policy = Arc::new(policy_of(Some((version, wire)))?);
        self.caches
            .keep_policy(merchant_id, version, policy.clone());
        Ok(policy)
    }

    /// The policy a merchant has in force now.
    pub async fn current_policy(&self, merchant_id: &str) -> Result<Policy, ApiError> {
        policy_of(self.store.current_policy(merchant_id).await?)
    }

    /// The ledger of `stored` at its version: from the cache, or from its live requests read
    /// in `tx` (under the order's lock) or, outside a transaction, from the store.
    async fn ledger_at(
        &self,
        order: &Order,
        stored: &StoredOrder,
        tx: Option<&mut Box<dyn Tx>>,
    ) -> Result<Arc<Ledger>, ApiError> {
        if let Some(ledger) = self.caches.ledger(&stored.id, stored.version) {
            return Ok(ledger);
        }
        let live = match tx {
            Some(tx) => tx.live_quotes(&stored.id, &LIVE).await?,
            None => self.store.live_quotes(&stored.id, &LIVE).await?,
        };
        let ledger =
            Arc::new(Ledger::from_quotes(order, &live.quotes).map_err(ApiError::internal)?);
        // Requests read at another version than the order's (a write in between, outside a
        // transaction) are newer than the order read: good for this answer, not for the cache.
        if live.version == stored.version {
            self.caches
                .keep_ledger(&stored.id, stored.version, ledger.clone());
        }
        Ok(ledger)
    }

    /// The quoting inputs of a session's order, as read with it.
    pub async fn quoting(&self, snapshot: &OrderSnapshot) -> Result<Quoting, ApiError> {
        let order = order_of(&snapshot.order)?;
        let ledger = self.ledger_at(&order, &snapshot.order, None).await?;
        let policy = self
            .policy(&snapshot.order.merchant_id, snapshot.policy_version, None)
            .await?;
        Ok(Quoting {
            order,
            ledger,
            policy,
            context: Context {
                now: self.now(),
                recent_requests: snapshot.recent_requests,
            },
        })
    }

    /// An order with its requests and the ledger they make, for a merchant's view.
    pub async fn order_state(
        &self,
        stored: &StoredOrder,
    ) -> Result<(Order, Vec<StoredRequest>, Ledger), ApiError> {
        let order = order_of(stored)?;
        let requests = self.store.requests_for_order(&stored.id).await?;
        let ledger = ledger_of(&order, &requests)?;
        Ok((order, requests, ledger))
    }
}
