//! Moving requests on: the actors' steps and the deadlines nobody met.

use chrono::{DateTime, Utc};
use refund_api::{EventDetail, HistoryEvent, Problem};
use refund_core::{Actor, Event, Lifecycle, Policy};

use super::{Service, Stop, retrying};
use crate::error::ApiError;
use crate::store::{Progress, StoredRequest};

/// The audit row of a step from `before` to `after`.
pub(super) fn audit(
    before: &Lifecycle,
    after: &Lifecycle,
    actor: Actor,
    event: &Event,
    at: DateTime<Utc>,
    detail: EventDetail,
) -> HistoryEvent {
    HistoryEvent {
        actor,
        action: event.code().to_owned(),
        before: Some(before.state()),
        after: after.state(),
        at,
        detail,
    }
}

/// The stored form of a lifecycle, keeping the texts of `previous` unless `event` sets them.
pub(super) fn progress(
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
    detail: EventDetail,
) -> Result<(Progress, HistoryEvent), ApiError> {
    let lifecycle = lifecycle_of(current)?;
    let next = lifecycle.apply(event, actor, now, policy)?;
    Ok((
        progress(&next, policy, Some((&current.progress, event))),
        audit(&lifecycle, &next, actor, event, now, detail),
    ))
}

/// Deadlines applied per transaction by the sweep.
const SWEEP_BATCH: u32 = 100;

impl Service {
    /// Applies `event` by `actor` to a request of `merchant_id`, atomically with its audit
    /// row. `check` sees the current request (locked) first and may refuse; `detail` is
    /// recorded with the step.
    pub async fn act(
        &self,
        merchant_id: &str,
        request_id: &str,
        actor: Actor,
        event: Event,
        detail: EventDetail,
        check: impl Fn(&StoredRequest) -> Result<(), ApiError>,
    ) -> Result<StoredRequest, ApiError> {
        retrying(|| async {
            let mut tx = self.store.begin().await?;
            let current = tx
                .lock_request(merchant_id, request_id)
                .await?
                .ok_or(Problem::NotFound)?;
            check(&current)?;
            let policy = self
                .policy(merchant_id, Some(current.policy_version), Some(&mut tx))
                .await?;
            let (progress, row) =
                transition(&current, &policy, actor, &event, self.now(), detail.clone())?;
            tx.record_transition(&current, &progress, &row).await?;
            tx.commit().await?;
            Ok(StoredRequest {
                progress,
                ..current
            })
        })
        .await
    }

    /// Applies every deadline that has passed; returns how many requests moved.
    ///
    /// Each batch of due requests is claimed in one transaction (on PostgreSQL, rows another
    /// instance's sweep holds are skipped), so every deadline is applied exactly once.
    pub async fn sweep_deadlines(&self) -> Result<usize, ApiError> {
        let now = self.now();
        let mut moved = 0;
        loop {
            let (claimed, applied) = retrying(|| self.sweep_batch(now)).await?;
            moved += applied;
            // A batch that moved nothing holds only rows that cannot move: stop, not spin.
            if claimed < SWEEP_BATCH as usize || applied == 0 {
                return Ok(moved);
            }
        }
    }

    /// One batch of the sweep: how many due requests it claimed and how many it moved.
    async fn sweep_batch(&self, now: DateTime<Utc>) -> Result<(usize, usize), Stop> {
        let mut tx = self.store.begin().await?;
        let due = tx.lock_due(now, SWEEP_BATCH).await?;
        let mut applied = 0;
        for request in &due {
            // One broken row must not hold back every other deadline: log it and go on.
            let step = async {
                let policy = self
                    .policy(
                        &request.merchant_id,
                        Some(request.policy_version),
                        Some(&mut tx),
                    )
                    .await?;
                let Some(event) = lifecycle_of(request)?.due_event(&policy, now) else {
                    return Ok(None);
                };
                transition(
                    request,
                    &policy,
                    Actor::Deadline,
                    &event,
                    now,
                    EventDetail::default(),
                )
                .map(Some)
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
}
