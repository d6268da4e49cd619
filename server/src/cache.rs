//! What each server instance keeps in memory, and why no entry can be wrong with several
//! instances on one database.
//!
//! - **Policies** by (merchant, version): a stored policy version never changes (a change is a
//!   new version), so an entry is true forever. Which version is *current* is always read from
//!   the database, with the order.
//! - **Ledgers** by (order, version): every write that changes an order or its requests raises
//!   the order's version in the same transaction (see [`crate::store`]), so the ledger computed
//!   from the requests read together with a version is the ledger of that version, forever. An
//!   instance that sees a newer version misses and reads the requests again.
//! - **Merchants** by key: merchants are never changed through the API; an entry still expires
//!   after [`MERCHANT_TTL`], so a change made in the database reaches every instance in a minute.
//!   Unknown keys are not remembered.
//!
//! Each cache holds a bounded number of entries and forgets the least used.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use refund_core::{Ledger, Policy};

use crate::store::Merchant;

pub const MERCHANT_TTL: Duration = Duration::from_secs(60);

pub struct Caches {
    policies: Cache<(String, u32), Arc<Policy>>,
    ledgers: Cache<(String, i64), Arc<Ledger>>,
    merchants: Cache<String, (Instant, Merchant)>,
}

impl Default for Caches {
    fn default() -> Caches {
        Caches {
            policies: Cache::new(1_000),
            ledgers: Cache::new(20_000),
            merchants: Cache::new(1_000),
        }
    }
}

impl Caches {
    pub fn policy(&self, merchant_id: &str, version: u32) -> Option<Arc<Policy>> {
        self.policies.get(&(merchant_id.to_owned(), version))
    }

    pub fn keep_policy(&self, merchant_id: &str, version: u32, policy: Arc<Policy>) {
        self.policies
            .insert((merchant_id.to_owned(), version), policy);
    }

    pub fn ledger(&self, order_id: &str, version: i64) -> Option<Arc<Ledger>> {
        self.ledgers.get(&(order_id.to_owned(), version))
    }

    /// Remembers the ledger of `order_id` at `version`: only a ledger computed from requests
    /// read in the same statement (or transaction) as that version.
    pub fn keep_ledger(&self, order_id: &str, version: i64, ledger: Arc<Ledger>) {
        self.ledgers.insert((order_id.to_owned(), version), ledger);
    }

    /// A merchant by a key (`pk:…` or `sk:…`, namespaced by the caller), if still fresh.
    pub fn merchant(&self, key: &str) -> Option<Merchant> {
        self.merchants
            .get(key)
            .filter(|(at, _)| at.elapsed() < MERCHANT_TTL)
            .map(|(_, merchant)| merchant)
    }

    pub fn keep_merchant(&self, key: String, merchant: Merchant) {
        self.merchants.insert(key, (Instant::now(), merchant));
    }
}
