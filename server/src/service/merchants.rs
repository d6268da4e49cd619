//! The merchant's side: merchants, orders, policies, evidence, payouts and statistics.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use refund_api::{Problem, Stats, Tally};
use refund_core::wire::{OrderWire, PolicyWire};
use refund_core::{Currency, Policy, Reason};
use rust_decimal::Decimal;

use super::{LIVE, Service, query_time, retrying};
use crate::error::ApiError;
use crate::store::{Evidence, Merchant, NewMerchant, StatsGroup, Store};

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
        Err(Problem::OrderLocked.into())
    }
}

/// A merchant just created, with the secret key that is shown once and stored only hashed.
pub struct CreatedMerchant {
    pub merchant: Merchant,
    pub secret_key: String,
}

impl Service {
    /// Creates or replaces an order snapshot; true when it was created. Once the order has
    /// requests, only its status and times may change ([`check_order_update`]).
    pub async fn put_order(&self, merchant_id: &str, order: &OrderWire) -> Result<bool, ApiError> {
        put_order(self.store(), merchant_id, order, self.now()).await
    }

    /// Stores a policy as the merchant's next version; returns the version.
    pub async fn put_policy(
        &self,
        merchant_id: &str,
        policy: &PolicyWire,
    ) -> Result<u32, ApiError> {
        put_policy(self.store(), merchant_id, policy, self.now()).await
    }

    /// Adds an evidence image to its order unless the order already has `max_per_order`.
    pub async fn add_evidence(
        &self,
        evidence: &Evidence,
        max_per_order: u32,
    ) -> Result<bool, ApiError> {
        retrying(|| async {
            let mut tx = self.store.begin().await?;
            if !tx.lock_order_id(&evidence.order_id).await? {
                return Err(Problem::NotFound.into());
            }
            let added = tx.add_evidence(evidence, max_per_order, self.now()).await?;
            tx.commit().await?;
            Ok(added)
        })
        .await
    }

    /// The merchant whose publishable key this is.
    pub async fn merchant_by_publishable_key(
        &self,
        key: &str,
    ) -> Result<Option<Merchant>, ApiError> {
        let cache_key = format!("pk:{key}");
        if let Some(merchant) = self.caches.merchant(&cache_key) {
            return Ok(Some(merchant));
        }
        let found = self.store.merchant_by_publishable_key(key).await?;
        if let Some(merchant) = &found {
            self.caches.keep_merchant(cache_key, merchant.clone());
        }
        Ok(found)
    }

    /// The merchant whose secret key this is (looked up by its hash; the key is not kept).
    pub async fn merchant_by_secret_key(&self, key: &str) -> Result<Option<Merchant>, ApiError> {
        let hash = crate::auth::sha256_hex(key.as_bytes());
        let cache_key = format!("sk:{hash}");
        if let Some(merchant) = self.caches.merchant(&cache_key) {
            return Ok(Some(merchant));
        }
        let found = self.store.merchant_by_secret_hash(&hash).await?;
        if let Some(merchant) = &found {
            self.caches.keep_merchant(cache_key, merchant.clone());
        }
        Ok(found)
    }

    /// Requests submitted in `[from, to)`, by reason and by SKU: counted and summed by the
    /// database. Money counts for requests that still hold it (not rejected, cancelled or
    /// closed).
    pub async fn stats(
        &self,
        merchant_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Stats, ApiError> {
        query_time("from", Some(from))?;
        query_time("to", Some(to))?;
        let groups = self.store.stats(merchant_id, from, to, &LIVE).await?;
        let mut by_reason: BTreeMap<Reason, Tally> = BTreeMap::new();
        let mut by_sku: BTreeMap<String, Tally> = BTreeMap::new();
        // Groups of one reason or SKU in several currencies add up; a shopper's cancelled
        // requests still count, so the sums are checked rather than trusted.
        let overflow = || ApiError::internal("a stats tally overflowed");
        for StatsGroup {
            reason,
            sku,
            currency,
            requests,
            units,
            live,
            amount_minor,
        } in groups
        {
            let tally = match (reason, sku) {
                (Some(reason), _) => by_reason.entry(reason).or_default(),
                (None, Some(sku)) => by_sku.entry(sku).or_default(),
                (None, None) => continue,
            };
            tally.requests = tally.requests.checked_add(requests).ok_or_else(overflow)?;
            tally.units = tally.units.checked_add(units).ok_or_else(overflow)?;
            if live == 0 {
                continue;
            }
            let exponent = Currency::from_code(&currency)
                .map_err(ApiError::internal)?
                .exponent();
            let amount = tally.amounts.entry(currency).or_default();
            amount.0 += Decimal::new(amount_minor, exponent);
        }
        // Sums keep the currency's precision, so "0" reads "0.00" like every other amount.
        for tally in by_reason.values_mut().chain(by_sku.values_mut()) {
            for (code, amount) in &mut tally.amounts {
                if let Ok(currency) = Currency::from_code(code) {
                    amount.0.rescale(currency.exponent());
                }
            }
        }
        Ok(Stats {
            from,
            to,
            by_reason,
            by_sku,
        })
    }
}

/// [`Service::put_order`], for seeding without a service.
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

/// [`Service::put_policy`], for seeding without a service.
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

/// Creates a merchant with new keys; the secret key is returned once and stored only hashed.
pub async fn create_merchant(
    store: &dyn Store,
    name: &str,
    allowed_origins: Vec<String>,
    at: DateTime<Utc>,
) -> Result<CreatedMerchant, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Problem::NameRequired.into());
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
