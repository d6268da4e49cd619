//! Rate-limit budgets kept in memory, per key, by each server instance.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A burst of calls per key, refilled at a steady rate.
pub struct Budget(DefaultKeyedRateLimiter<String>);

impl Budget {
    /// `burst` calls at once, then one every `seconds`.
    pub fn new(burst: u32, seconds: u64) -> Budget {
        let quota = Quota::with_period(Duration::from_secs(seconds.max(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Budget(RateLimiter::keyed(quota))
    }

    /// Takes one call from `key`'s budget, or says in how many seconds to try again.
    pub fn take(&self, key: String) -> Result<(), u64> {
        self.0.check_key(&key).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    /// Forgets budgets that have refilled, so spoofed keys cannot pile up.
    pub fn retain_recent(&self) {
        self.0.retain_recent();
    }
}
