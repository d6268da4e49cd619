//! The dispatcher: sends what the outbox holds. Each round claims due deliveries and e-mails
//! for a lease (on PostgreSQL, rows another instance holds are skipped, so any number of
//! instances dispatch side by side), sends them outside any transaction, and records each
//! outcome. A crash between sending and recording leaves the lease to run out and the item to
//! be sent again: delivery is at least once, and receivers dedupe by `webhook-id`.
//!
//! Webhooks: a 2xx is delivered; 410 Gone disables the endpoint (the merchant is told with an
//! `endpoint.disabled` event); anything else, a timeout or a refused address is tried again on
//! the backoff schedule, and a delivery whose schedule runs out (about three days) disables its
//! endpoint the same way. Deliveries of one request reach an endpoint in the order they
//! happened: a later one waits while an earlier one is pending.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use refund_api::DisabledReason;

use super::Service;
use super::events::Happened;
use crate::deliver::backoff::{Jitter, next_attempt};
use crate::deliver::http::Sender;
use crate::deliver::mail::{Email, MailError, Mailer};
use crate::deliver::sign::{Secret, signature_header};
use crate::store::{AttemptRow, DeliveryNext, DueDelivery, EmailNext, StoreError};

/// Items claimed per round.
const BATCH: u32 = 50;
/// How long a claim holds an item: longer than a send can take (10 s timeout).
const LEASE: TimeDelta = TimeDelta::seconds(60);
/// How long an idle dispatcher waits before looking again when nothing wakes it (another
/// instance's commits do not).
const IDLE: Duration = Duration::from_millis(250);
/// Sends in flight at once per round.
const PARALLEL: usize = 8;

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
    pub emails: usize,
}

impl Round {
    /// Whether the round found anything to do (another may find more: deliveries of one
    /// request go one round after the other).
    pub fn worked(&self) -> bool {
        self.delivered + self.retried + self.failed + self.emails > 0
    }
}

/// Sends webhooks and e-mails for a service.
#[derive(Clone)]
pub struct Dispatcher {
    service: Service,
    sender: Sender,
    mailer: Arc<Mailer>,
}

impl Dispatcher {
    pub fn new(service: Service, sender: Sender, mailer: Arc<Mailer>) -> Dispatcher {
        Dispatcher {
            service,
            sender,
            mailer,
        }
    }

    /// Runs rounds until the process ends: at once when a local change committed events,
    /// else every [`IDLE`].
    pub async fn run(self) {
        loop {
            let wake = self.service.outbox.clone();
            let woken = wake.notified();
            match self.round().await {
                Ok(round) if round.worked() => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "dispatching failed"),
            }
            let _ = tokio::time::timeout(IDLE, woken).await;
        }
    }

    /// One round: every due delivery and e-mail it can claim, sent and recorded.
    pub async fn round(&self) -> Result<Round, StoreError> {
        let mut round = Round::default();
        let now = self.service.now();
        let mut tx = self.service.store.begin().await?;
        let deliveries = tx.claim_deliveries(now, now + LEASE, BATCH).await?;
        let emails = tx.claim_emails(now, now + LEASE, BATCH).await?;
        tx.commit().await?;

        for chunk in deliveries.chunks(PARALLEL) {
            let mut sending = tokio::task::JoinSet::new();
            for delivery in chunk {
                let (me, delivery) = (self.clone(), delivery.clone());
                sending.spawn(async move {
                    let attempt = me.send(&delivery).await;
                    me.settle(&delivery, attempt).await
                });
            }
            while let Some(done) = sending.join_next().await {
                match done.map_err(|e| StoreError::Database(e.to_string()))?? {
                    DeliveryNext::Delivered => round.delivered += 1,
                    DeliveryNext::Retry(_) => round.retried += 1,
                    DeliveryNext::Failed => round.failed += 1,
                }
            }
        }
        for email in emails {
            let answer = self
                .mailer
                .send(&Email {
                    to: email.to.clone(),
                    subject: email.subject.clone(),
                    text: email.text.clone(),
                    html: email.html.clone(),
                })
                .await;
            let now = self.service.now();
            let next = match answer {
                Ok(()) => EmailNext::Sent,
                Err(MailError::Transient(why)) => {
                    match next_attempt(email.attempts + 1, now, Jitter::random()) {
                        Some(at) => EmailNext::Retry(at, why),
                        None => EmailNext::Failed(why),
                    }
                }
                Err(other) => EmailNext::Failed(other.to_string()),
            };
            if let EmailNext::Failed(why) = &next {
                tracing::warn!(email = email.seq, error = %why, "e-mail given up");
            }
            let mut tx = self.service.store.begin().await?;
            tx.finish_email(email.seq, &next).await?;
            tx.commit().await?;
            round.emails += 1;
        }
        Ok(round)
    }

    /// One attempt at a delivery, signed with the endpoint's secret (and, during a
    /// rotation, with the old one too).
    async fn send(&self, delivery: &DueDelivery) -> (DateTime<Utc>, crate::deliver::http::Attempt) {
        let at = self.service.now();
        let timestamp = at.timestamp();
        let endpoint = &delivery.endpoint;
        let mut secrets = Vec::new();
        if let Ok(secret) = Secret::parse(&endpoint.secret) {
            secrets.push(secret);
        }
        if let Some((old, until)) = &endpoint.old_secret
            && *until > at
            && let Ok(secret) = Secret::parse(old)
        {
            secrets.push(secret);
        }
        let body = delivery.body.as_bytes();
        let signature = signature_header(
            &secrets.iter().collect::<Vec<_>>(),
            &delivery.event_id,
            timestamp,
            body,
        );
        let headers = [
            ("webhook-id", delivery.event_id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        let attempt = match endpoint.url.parse() {
            Ok(url) => self.sender.post(&url, &headers, body.to_vec()).await,
            Err(_) => crate::deliver::http::Attempt {
                status: None,
                latency: Duration::ZERO,
                excerpt: String::new(),
                error: Some("the endpoint's URL does not parse".to_owned()),
            },
        };
        (at, attempt)
    }

    /// Records an attempt: delivered, tried again later, or given up (disabling the
    /// endpoint when it answered 410 or failed for the whole schedule).
    async fn settle(
        &self,
        delivery: &DueDelivery,
        (at, attempt): (DateTime<Utc>, crate::deliver::http::Attempt),
    ) -> Result<DeliveryNext, StoreError> {
        let now = self.service.now();
        let status = attempt.status;
        let (next, disable) = match status {
            Some(200..=299) => (DeliveryNext::Delivered, None),
            Some(410) => (DeliveryNext::Failed, Some(DisabledReason::Gone)),
            _ => match next_attempt(delivery.attempts + 1, now, Jitter::random()) {
                Some(when) => (DeliveryNext::Retry(when), None),
                None => (DeliveryNext::Failed, Some(DisabledReason::Failing)),
            },
        };
        let row = AttemptRow {
            at,
            status,
            latency_ms: u64::try_from(attempt.latency.as_millis()).unwrap_or(u64::MAX),
            excerpt: attempt.excerpt,
            error: attempt.error,
        };
        let mut tx = self.service.store.begin().await?;
        tx.finish_delivery(delivery.seq, &row, next).await?;
        let endpoint = &delivery.endpoint;
        if let Some(mut current) = tx
            .lock_endpoint(&endpoint.merchant_id, &endpoint.id)
            .await?
        {
            let failing_since = match next {
                DeliveryNext::Delivered => None,
                _ => current.failing_since.or(Some(at)),
            };
            let disabled = disable.filter(|_| current.enabled);
            if current.failing_since != failing_since || disabled.is_some() {
                current.failing_since = failing_since;
                if let Some(reason) = disabled {
                    current.enabled = false;
                    current.disabled_reason = Some(reason);
                }
                tx.save_endpoint(&current).await?;
            }
            // Saved first, so the notice goes to the merchant's other endpoints only.
            if let Some(reason) = disabled {
                tracing::warn!(endpoint = %current.id, ?reason, "webhook endpoint disabled");
                self.service
                    .raise(
                        &mut tx,
                        Happened::Disabled {
                            endpoint: &current,
                            reason,
                        },
                    )
                    .await?;
            }
        }
        tx.commit().await?;
        metrics::counter!("refund_webhook_attempts_total", "outcome" => match next {
            DeliveryNext::Delivered => "delivered",
            DeliveryNext::Retry(_) => "retry",
            DeliveryNext::Failed => "failed",
        })
        .increment(1);
        Ok(next)
    }
}
