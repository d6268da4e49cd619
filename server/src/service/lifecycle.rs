//! Moving requests on: the actors' steps and the deadlines nobody met.

use chrono::{DateTime, Utc};
use refund_api::{ActedBy, Bilingual, EventDetail, HistoryEvent, PayoutRecord, Problem, ReturnTo};
use refund_core::{Actor, Event, Lifecycle, Policy, State};

use super::events::Happened;
use super::{Service, Stop, retrying};
use crate::error::ApiError;
use crate::store::{Progress, StoreError, StoredRequest, Tx};

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
        by: None,
        detail,
    }
}

/// One step on a request: who takes it, what happens, and what it records besides the state.
#[derive(Clone, Debug)]
pub struct Step {
    pub actor: Actor,
    pub event: Event,
    /// On the merchant's side, who took it.
    pub by: Option<ActedBy>,
    pub detail: EventDetail,
    /// Set on approval: where the goods go back.
    pub return_to: Option<ReturnTo>,
    /// Set on a rejection from a template: the reason in both languages.
    pub reject_text: Option<Bilingual>,
    /// Set when the payout is recorded.
    pub payout: Option<PayoutRecord>,
}

impl Step {
    pub fn new(actor: Actor, event: Event, by: Option<ActedBy>) -> Step {
        Step {
            actor,
            event,
            by,
            detail: EventDetail::default(),
            return_to: None,
            reject_text: None,
            payout: None,
        }
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
        reject_text: None,
        return_to: None,
        payout: None,
    };
    if let Some((before, event)) = previous {
        p.carrier = before.carrier.clone();
        p.tracking_number = before.tracking_number.clone();
        p.reject_reason = before.reject_reason.clone();
        p.reject_text = before.reject_text.clone();
        p.return_to = before.return_to.clone();
        p.payout = before.payout.clone();
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

/// A request moved on by `step`: its new progress and the audit row that says so.
fn transition(
    current: &StoredRequest,
    policy: &Policy,
    step: &Step,
    now: DateTime<Utc>,
) -> Result<(Progress, HistoryEvent), ApiError> {
    let lifecycle = lifecycle_of(current)?;
    let next = lifecycle.apply(&step.event, step.actor, now, policy)?;
    let mut progress = progress(&next, policy, Some((&current.progress, &step.event)));
    if step.return_to.is_some() {
        progress.return_to.clone_from(&step.return_to);
    }
    if step.reject_text.is_some() {
        progress.reject_text.clone_from(&step.reject_text);
    }
    if step.payout.is_some() {
        progress.payout.clone_from(&step.payout);
    }
    let mut row = audit(
        &lifecycle,
        &next,
        step.actor,
        &step.event,
        now,
        step.detail.clone(),
    );
    row.by.clone_from(&step.by);
    Ok((progress, row))
}

impl Service {
    /// The event of a transition, when it changed the request's state.
    async fn raise_move(
        &self,
        tx: &mut Box<dyn Tx>,
        before: State,
        after: &StoredRequest,
        by: Option<&ActedBy>,
    ) -> Result<(), StoreError> {
        if before == after.progress.state {
            return Ok(());
        }
        self.raise(
            tx,
            Happened::Moved {
                request: after,
                state: after.progress.state,
                by,
                mail: true,
            },
        )
        .await
    }
}

/// Deadlines applied per transaction by the sweep.
const SWEEP_BATCH: u32 = 100;

impl Service {
    /// Takes `step` on a request of `merchant_id`, atomically with its audit row. `check`
    /// sees the current request (locked) first and may refuse.
    pub async fn act(
        &self,
        merchant_id: &str,
        request_id: &str,
        step: Step,
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
            let (progress, row) = transition(&current, &policy, &step, self.now())?;
            tx.record_transition(&current, &progress, &row).await?;
            let before = current.progress.state;
            let moved = StoredRequest {
                progress,
                ..current
            };
            self.raise_move(&mut tx, before, &moved, step.by.as_ref())
                .await?;
            self.commit(tx).await?;
            Ok(moved)
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
                    &Step::new(Actor::Deadline, event, None),
                    now,
                )
                .map(Some)
            };
            match step.await {
                Ok(Some((progress, row))) => {
                    tx.record_transition(request, &progress, &row).await?;
                    let moved = StoredRequest {
                        progress,
                        ..request.clone()
                    };
                    self.raise_move(&mut tx, request.progress.state, &moved, None)
                        .await?;
                    applied += 1;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(request = %request.id, error = %e, "deadline failed"),
            }
        }
        self.commit(tx).await?;
        Ok((due.len(), applied))
    }
}
