//! The request lifecycle (PRODUCT.md §7) as a pure state machine.
//!
//! ```text
//! submitted ──approve (rule | merchant | deadline)──▶ approved
//!     │  ├──reject (merchant, reason)──▶ rejected
//!     │  └──cancel (shopper)──▶ cancelled
//! approved ──ship_back (shopper, carrier + tracking)──▶ return_shipped      [return, exchange]
//!     ├──close (deadline: ship-back time over)──▶ closed                   [return, exchange]
//!     └──record_refund (merchant)──▶ refunded                              [refund_only]
//! return_shipped ──confirm_receipt (merchant | deadline)──▶ received
//! received ──record_refund (merchant)──▶ refunded                          [return_and_refund]
//!          └──complete_exchange (merchant)──▶ exchanged                    [exchange]
//! ```
//!
//! `exchanged` is not in the brief: an exchange moves no money, so it cannot end in `refunded`.
//! Deadlines are computed from the policy passed in: pass the version the request was judged
//! under (the server stores it with the request), so a later policy change cannot shorten a
//! running deadline.
//! A `deadline` actor may only act once the matching deadline has passed, and no event may be
//! dated before the last one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::policy::Policy;
use crate::request::RequestKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum State {
    Submitted,
    Approved,
    Rejected,
    Cancelled,
    ReturnShipped,
    Received,
    Refunded,
    Exchanged,
    Closed,
}

impl State {
    pub const ALL: [State; 9] = [
        State::Submitted,
        State::Approved,
        State::Rejected,
        State::Cancelled,
        State::ReturnShipped,
        State::Received,
        State::Refunded,
        State::Exchanged,
        State::Closed,
    ];

    /// No event leaves this state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Rejected | State::Cancelled | State::Refunded | State::Exchanged | State::Closed
        )
    }

    /// Whether a request in this state still holds units and money on its order. Rejected,
    /// cancelled and closed requests release them; refunded ones keep them for good.
    pub fn holds_ledger(self) -> bool {
        !matches!(
            self,
            State::Rejected | State::Cancelled | State::Closed | State::Exchanged
        )
    }

    pub fn code(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Cancelled => "cancelled",
            State::ReturnShipped => "return_shipped",
            State::Received => "received",
            State::Refunded => "refunded",
            State::Exchanged => "exchanged",
            State::Closed => "closed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Actor {
    Shopper,
    Merchant,
    Rule,
    Deadline,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    Approve,
    Reject {
        reason: String,
    },
    Cancel,
    ShipBack {
        carrier: String,
        tracking_number: String,
    },
    ConfirmReceipt,
    RecordRefund,
    CompleteExchange,
    Close,
}

impl Event {
    pub fn code(&self) -> &'static str {
        match self {
            Event::Approve => "approve",
            Event::Reject { .. } => "reject",
            Event::Cancel => "cancel",
            Event::ShipBack { .. } => "ship_back",
            Event::ConfirmReceipt => "confirm_receipt",
            Event::RecordRefund => "record_refund",
            Event::CompleteExchange => "complete_exchange",
            Event::Close => "close",
        }
    }
}

/// Which clock is running on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeadlineKind {
    /// The merchant must decide; when it passes the request is approved.
    Review,
    /// The shopper must ship the goods back; when it passes the request is closed.
    ShipBack,
    /// The merchant must confirm receipt; when it passes the goods count as received.
    Receipt,
    /// The merchant must pay the refund out (after approving a refund-only request, or once
    /// returned goods were received). The server moves no money, so when it passes the request
    /// is overdue; its state does not change.
    Payout,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "crate::rfc3339::deserialize")
    )]
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}",
    crate::messages::lifecycle_error(self, crate::messages::Lang::En)
)]
pub enum LifecycleError {
    /// The event cannot happen in the current state (or for this kind of request).
    NotAllowed {
        state: State,
        event: &'static str,
        kind: RequestKind,
    },
    /// This actor may not cause this event.
    WrongActor { actor: Actor, event: &'static str },
    /// A deadline actor acted before the deadline passed.
    DeadlineNotReached { deadline: DateTime<Utc> },
    /// A text the event needs is empty or too long.
    InvalidText { field: &'static str, max: usize },
    /// The event is dated before the request's last event.
    OutOfOrder { last: DateTime<Utc> },
}

impl LifecycleError {
    /// Every code [`LifecycleError::code`] gives, for documenting an API's errors.
    pub const CODES: &[&str] = &[
        "transition_not_allowed",
        "actor_not_allowed",
        "deadline_not_reached",
        "invalid_text",
        "event_out_of_order",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::NotAllowed { .. } => "transition_not_allowed",
            LifecycleError::WrongActor { .. } => "actor_not_allowed",
            LifecycleError::DeadlineNotReached { .. } => "deadline_not_reached",
            LifecycleError::InvalidText { .. } => "invalid_text",
            LifecycleError::OutOfOrder { .. } => "event_out_of_order",
        }
    }
}

pub const MAX_REJECT_REASON_CHARS: usize = 500;
pub const MAX_TRACKING_CHARS: usize = 64;

/// Where a request stands, with the instants its deadlines are counted from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    kind: RequestKind,
    state: State,
    submitted_at: DateTime<Utc>,
    last_event_at: DateTime<Utc>,
    approved_at: Option<DateTime<Utc>>,
    shipped_back_at: Option<DateTime<Utc>>,
}

impl Lifecycle {
    pub fn submitted(kind: RequestKind, at: DateTime<Utc>) -> Lifecycle {
        Lifecycle {
            kind,
            state: State::Submitted,
            submitted_at: at,
            last_event_at: at,
            approved_at: None,
            shipped_back_at: None,
        }
    }

    /// Rebuilds a lifecycle from stored fields, refusing combinations no sequence of events can
    /// produce (a state the kind cannot reach, or an instant missing or present where it must not).
    pub fn restore(
        kind: RequestKind,
        state: State,
        submitted_at: DateTime<Utc>,
        last_event_at: DateTime<Utc>,
        approved_at: Option<DateTime<Utc>>,
        shipped_back_at: Option<DateTime<Utc>>,
    ) -> Option<Lifecycle> {
        let returns = kind.returns_goods();
        let reachable = match state {
            State::ReturnShipped | State::Received | State::Closed => returns,
            State::Exchanged => kind == RequestKind::Exchange,
            State::Refunded => kind != RequestKind::Exchange,
            _ => true,
        };
        let approved = !matches!(state, State::Submitted | State::Rejected | State::Cancelled);
        let shipped = matches!(
            state,
            State::ReturnShipped | State::Received | State::Exchanged
        ) || state == State::Refunded && returns;
        let ordered = [
            Some(submitted_at),
            approved_at,
            shipped_back_at,
            Some(last_event_at),
        ]
        .into_iter()
        .flatten()
        .is_sorted();
        (reachable
            && approved == approved_at.is_some()
            && shipped == shipped_back_at.is_some()
            && ordered)
            .then_some(Lifecycle {
                kind,
                state,
                submitted_at,
                last_event_at,
                approved_at,
                shipped_back_at,
            })
    }

    pub fn kind(&self) -> RequestKind {
        self.kind
    }

    pub fn last_event_at(&self) -> DateTime<Utc> {
        self.last_event_at
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn submitted_at(&self) -> DateTime<Utc> {
        self.submitted_at
    }
    pub fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.approved_at
    }
    pub fn shipped_back_at(&self) -> Option<DateTime<Utc>> {
        self.shipped_back_at
    }

    /// The deadline running in the current state, if any. `None` also when the deadline would
    /// fall outside the representable range of dates.
    pub fn running_deadline(&self, policy: &Policy) -> Option<Deadline> {
        let (kind, at) = match self.state {
            State::Submitted => (
                DeadlineKind::Review,
                policy.review_deadline(self.submitted_at)?,
            ),
            State::Approved if self.kind.returns_goods() => (
                DeadlineKind::ShipBack,
                policy.ship_back_deadline(self.approved_at?)?,
            ),
            State::ReturnShipped => (
                DeadlineKind::Receipt,
                policy.receipt_deadline(self.shipped_back_at?)?,
            ),
            State::Approved if self.kind == RequestKind::RefundOnly => (
                DeadlineKind::Payout,
                policy.payout_deadline(self.approved_at?)?,
            ),
            // Nothing happens in `received` but the receipt itself, so the last event is it.
            State::Received if self.kind != RequestKind::Exchange => (
                DeadlineKind::Payout,
                policy.payout_deadline(self.last_event_at)?,
            ),
            _ => return None,
        };
        Some(Deadline { kind, at })
    }

    /// The event a deadline causes once it has passed at `now`, if any.
    pub fn due_event(&self, policy: &Policy, now: DateTime<Utc>) -> Option<Event> {
        let deadline = self.running_deadline(policy)?;
        if now < deadline.at {
            return None;
        }
        Some(match deadline.kind {
            DeadlineKind::Review => Event::Approve,
            DeadlineKind::ShipBack => Event::Close,
            DeadlineKind::Receipt => Event::ConfirmReceipt,
            DeadlineKind::Payout => return None,
        })
    }

    /// Applies `event` caused by `actor` at `at`, or says why it cannot happen.
    pub fn apply(
        &self,
        event: &Event,
        actor: Actor,
        at: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<Lifecycle, LifecycleError> {
        if at < self.last_event_at {
            return Err(LifecycleError::OutOfOrder {
                last: self.last_event_at,
            });
        }
        let returns = self.kind.returns_goods();
        let (next, allowed): (Option<State>, &[Actor]) = match (self.state, event) {
            (State::Submitted, Event::Approve) => (
                Some(State::Approved),
                &[Actor::Rule, Actor::Merchant, Actor::Deadline],
            ),
            (State::Submitted, Event::Reject { .. }) => (Some(State::Rejected), &[Actor::Merchant]),
            (State::Submitted, Event::Cancel) => (Some(State::Cancelled), &[Actor::Shopper]),
            (State::Approved, Event::ShipBack { .. }) if returns => {
                (Some(State::ReturnShipped), &[Actor::Shopper])
            }
            (State::Approved, Event::Close) if returns => (Some(State::Closed), &[Actor::Deadline]),
            (State::Approved, Event::RecordRefund) if self.kind == RequestKind::RefundOnly => {
                (Some(State::Refunded), &[Actor::Merchant])
            }
            (State::ReturnShipped, Event::ConfirmReceipt) => {
                (Some(State::Received), &[Actor::Merchant, Actor::Deadline])
            }
            (State::Received, Event::RecordRefund) if self.kind == RequestKind::ReturnAndRefund => {
                (Some(State::Refunded), &[Actor::Merchant])
            }
            (State::Received, Event::CompleteExchange) if self.kind == RequestKind::Exchange => {
                (Some(State::Exchanged), &[Actor::Merchant])
            }
            _ => (None, &[]),
        };
        let Some(next) = next else {
            return Err(LifecycleError::NotAllowed {
                state: self.state,
                event: event.code(),
                kind: self.kind,
            });
        };
        if !allowed.contains(&actor) {
            return Err(LifecycleError::WrongActor {
                actor,
                event: event.code(),
            });
        }
        if actor == Actor::Deadline {
            match self.running_deadline(policy) {
                Some(deadline) if at >= deadline.at => {}
                Some(deadline) => {
                    return Err(LifecycleError::DeadlineNotReached {
                        deadline: deadline.at,
                    });
                }
                None => {
                    return Err(LifecycleError::NotAllowed {
                        state: self.state,
                        event: event.code(),
                        kind: self.kind,
                    });
                }
            }
        }
        match event {
            Event::Reject { reason } => check_text("reason", reason, MAX_REJECT_REASON_CHARS)?,
            Event::ShipBack {
                carrier,
                tracking_number,
            } => {
                check_text("carrier", carrier, MAX_TRACKING_CHARS)?;
                check_text("tracking_number", tracking_number, MAX_TRACKING_CHARS)?;
            }
            _ => {}
        }
        let mut lifecycle = self.clone();
        lifecycle.state = next;
        lifecycle.last_event_at = at;
        match next {
            State::Approved => lifecycle.approved_at = Some(at),
            State::ReturnShipped => lifecycle.shipped_back_at = Some(at),
            _ => {}
        }
        Ok(lifecycle)
    }
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), LifecycleError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(LifecycleError::InvalidText { field, max });
    }
    Ok(())
}
