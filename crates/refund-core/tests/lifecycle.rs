//! The request lifecycle (PRODUCT.md §7): every allowed transition, and every other
//! (state, event, actor) combination refused.

use chrono::{DateTime, TimeDelta, Utc};
use refund_core::wire::PolicyWire;
use refund_core::{
    Actor, DeadlineKind, Event, Lifecycle, LifecycleError, Policy, RequestKind, State,
};

const KINDS: [RequestKind; 3] = RequestKind::ALL;
const ACTORS: [Actor; 4] = [
    Actor::Shopper,
    Actor::Merchant,
    Actor::Rule,
    Actor::Deadline,
];
const RETURNS: &[RequestKind] = &[RequestKind::ReturnAndRefund, RequestKind::Exchange];
const ALL_KINDS: &[RequestKind] = &KINDS;

/// One allowed transition: (kinds, from, event, actors allowed, to).
type Rule = (
    &'static [RequestKind],
    State,
    Event,
    &'static [Actor],
    State,
);

/// The specification.
fn allowed() -> Vec<Rule> {
    vec![
        (
            ALL_KINDS,
            State::Submitted,
            Event::Approve,
            &[Actor::Rule, Actor::Merchant, Actor::Deadline],
            State::Approved,
        ),
        (
            ALL_KINDS,
            State::Submitted,
            reject(),
            &[Actor::Merchant],
            State::Rejected,
        ),
        (
            ALL_KINDS,
            State::Submitted,
            Event::Cancel,
            &[Actor::Shopper],
            State::Cancelled,
        ),
        (
            RETURNS,
            State::Approved,
            ship_back(),
            &[Actor::Shopper],
            State::ReturnShipped,
        ),
        (
            RETURNS,
            State::Approved,
            Event::Close,
            &[Actor::Deadline],
            State::Closed,
        ),
        (
            &[RequestKind::RefundOnly],
            State::Approved,
            Event::RecordRefund,
            &[Actor::Merchant],
            State::Refunded,
        ),
        (
            RETURNS,
            State::ReturnShipped,
            Event::ConfirmReceipt,
            &[Actor::Merchant, Actor::Deadline],
            State::Received,
        ),
        (
            &[RequestKind::ReturnAndRefund],
            State::Received,
            Event::RecordRefund,
            &[Actor::Merchant],
            State::Refunded,
        ),
        (
            &[RequestKind::Exchange],
            State::Received,
            Event::CompleteExchange,
            &[Actor::Merchant],
            State::Exchanged,
        ),
    ]
}

fn reject() -> Event {
    Event::Reject {
        reason: "Photos show the item was used".to_owned(),
    }
}

fn ship_back() -> Event {
    Event::ShipBack {
        carrier: "SF Express".to_owned(),
        tracking_number: "SF1234567890".to_owned(),
    }
}

fn events() -> Vec<Event> {
    vec![
        Event::Approve,
        reject(),
        Event::Cancel,
        ship_back(),
        Event::ConfirmReceipt,
        Event::RecordRefund,
        Event::CompleteExchange,
        Event::Close,
    ]
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-06T12:00:00+08:00")
        .unwrap()
        .with_timezone(&Utc)
}

fn policy() -> Policy {
    Policy::new(&PolicyWire::default()).unwrap()
}

/// A far-off instant at which every deadline has passed.
fn much_later(l: &Lifecycle) -> DateTime<Utc> {
    l.submitted_at() + TimeDelta::days(365)
}

/// Every state a request of `kind` can reach, with the lifecycle that is in it. Each step is
/// taken 30 days after the request, so deadline events are due too.
fn reachable(kind: RequestKind) -> Vec<Lifecycle> {
    let policy = policy();
    let mut found = vec![Lifecycle::submitted(kind, t0())];
    let mut i = 0;
    while i < found.len() {
        let current = found[i].clone();
        for event in events() {
            for actor in ACTORS {
                let when = current.submitted_at() + TimeDelta::days(30 * (i as i64 + 1));
                if let Ok(next) = current.apply(&event, actor, when, &policy)
                    && !found.iter().any(|f| f.state() == next.state())
                {
                    found.push(next);
                }
            }
        }
        i += 1;
    }
    found
}

#[test]
fn every_state_is_reachable_for_the_kinds_it_belongs_to() {
    let states = |kind| {
        let mut s: Vec<&str> = reachable(kind).iter().map(|l| l.state().code()).collect();
        s.sort();
        s
    };
    assert_eq!(
        states(RequestKind::RefundOnly),
        ["approved", "cancelled", "refunded", "rejected", "submitted"]
    );
    assert_eq!(
        states(RequestKind::ReturnAndRefund),
        [
            "approved",
            "cancelled",
            "closed",
            "received",
            "refunded",
            "rejected",
            "return_shipped",
            "submitted"
        ]
    );
    assert_eq!(
        states(RequestKind::Exchange),
        [
            "approved",
            "cancelled",
            "closed",
            "exchanged",
            "received",
            "rejected",
            "return_shipped",
            "submitted"
        ]
    );
}

#[test]
fn exactly_the_specified_transitions_are_allowed_and_everything_else_is_refused() {
    let policy = policy();
    let spec = allowed();
    let mut checked = 0;
    for kind in KINDS {
        for from in reachable(kind) {
            for event in events() {
                for actor in ACTORS {
                    let when = much_later(&from);
                    let result = from.apply(&event, actor, when, &policy);
                    let rule = spec.iter().find(|(kinds, state, e, _, _)| {
                        kinds.contains(&kind) && *state == from.state() && e.code() == event.code()
                    });
                    let context = format!(
                        "{kind:?} {:?} --{}/{actor:?}-->",
                        from.state(),
                        event.code()
                    );
                    match (rule, result) {
                        (Some((_, _, _, actors, to)), Ok(next)) if actors.contains(&actor) => {
                            assert_eq!(next.state(), *to, "{context}");
                        }
                        (Some(_), Err(LifecycleError::WrongActor { .. })) => {}
                        (None, Err(LifecycleError::NotAllowed { state, .. })) => {
                            assert_eq!(state, from.state(), "{context}");
                        }
                        (rule, result) => panic!("{context} gave {result:?} under rule {rule:?}"),
                    }
                    checked += 1;
                }
            }
        }
    }
    // 5 + 8 + 8 reachable states × 8 events × 4 actors.
    assert_eq!(checked, 21 * 8 * 4);
}

#[test]
fn final_states_accept_no_event() {
    let policy = policy();
    for kind in KINDS {
        for l in reachable(kind).into_iter().filter(|l| l.state().is_final()) {
            for event in events() {
                for actor in ACTORS {
                    assert!(l.apply(&event, actor, much_later(&l), &policy).is_err());
                }
            }
        }
    }
}

#[test]
fn a_merchant_who_does_not_answer_in_time_is_treated_as_approving() {
    let policy = policy();
    let l = Lifecycle::submitted(RequestKind::ReturnAndRefund, t0());
    let deadline = l.running_deadline(&policy).unwrap();
    assert_eq!(deadline.kind, DeadlineKind::Review);
    assert_eq!(deadline.at, t0() + TimeDelta::hours(48));
    let early = deadline.at - TimeDelta::seconds(1);
    assert_eq!(l.due_event(&policy, early), None);
    assert_eq!(
        l.apply(&Event::Approve, Actor::Deadline, early, &policy),
        Err(LifecycleError::DeadlineNotReached {
            deadline: deadline.at
        })
    );
    assert_eq!(l.due_event(&policy, deadline.at), Some(Event::Approve));
    let approved = l
        .apply(&Event::Approve, Actor::Deadline, deadline.at, &policy)
        .unwrap();
    assert_eq!(approved.state(), State::Approved);
    assert_eq!(approved.approved_at(), Some(deadline.at));
}

#[test]
fn a_shopper_who_does_not_ship_back_in_time_has_the_request_closed() {
    let policy = policy();
    let approved = Lifecycle::submitted(RequestKind::ReturnAndRefund, t0())
        .apply(
            &Event::Approve,
            Actor::Merchant,
            t0() + TimeDelta::hours(1),
            &policy,
        )
        .unwrap();
    let deadline = approved.running_deadline(&policy).unwrap();
    assert_eq!(deadline.kind, DeadlineKind::ShipBack);
    assert_eq!(deadline.at, t0() + TimeDelta::hours(1) + TimeDelta::days(7));
    assert_eq!(approved.due_event(&policy, deadline.at), Some(Event::Close));
    let closed = approved
        .apply(&Event::Close, Actor::Deadline, deadline.at, &policy)
        .unwrap();
    assert_eq!(closed.state(), State::Closed);
    assert_eq!(closed.running_deadline(&policy), None);
}

#[test]
fn goods_count_as_received_when_the_merchant_does_not_confirm_in_time() {
    let policy = policy();
    let shipped = Lifecycle::submitted(RequestKind::Exchange, t0())
        .apply(&Event::Approve, Actor::Rule, t0(), &policy)
        .and_then(|l| {
            l.apply(
                &ship_back(),
                Actor::Shopper,
                t0() + TimeDelta::days(1),
                &policy,
            )
        })
        .unwrap();
    let deadline = shipped.running_deadline(&policy).unwrap();
    assert_eq!(deadline.kind, DeadlineKind::Receipt);
    assert_eq!(deadline.at, t0() + TimeDelta::days(11));
    assert!(matches!(
        shipped.apply(
            &Event::ConfirmReceipt,
            Actor::Deadline,
            deadline.at - TimeDelta::seconds(1),
            &policy
        ),
        Err(LifecycleError::DeadlineNotReached { .. })
    ));
    let received = shipped
        .apply(
            &Event::ConfirmReceipt,
            Actor::Deadline,
            deadline.at,
            &policy,
        )
        .unwrap();
    assert_eq!(received.state(), State::Received);
}

#[test]
fn an_approved_refund_only_request_waits_for_the_payout_which_no_deadline_forces() {
    let policy = policy();
    let approved = Lifecycle::submitted(RequestKind::RefundOnly, t0())
        .apply(&Event::Approve, Actor::Rule, t0(), &policy)
        .unwrap();
    let deadline = approved.running_deadline(&policy).unwrap();
    assert_eq!(deadline.kind, DeadlineKind::Payout);
    assert_eq!(deadline.at, t0() + TimeDelta::days(7));
    assert_eq!(approved.due_event(&policy, much_later(&approved)), None);
}

#[test]
fn returned_goods_start_the_payout_clock_when_received_but_an_exchange_has_none() {
    let policy = policy();
    for (kind, payout) in [
        (RequestKind::ReturnAndRefund, true),
        (RequestKind::Exchange, false),
    ] {
        let received_at = t0() + TimeDelta::days(3);
        let received = Lifecycle::submitted(kind, t0())
            .apply(&Event::Approve, Actor::Merchant, t0(), &policy)
            .and_then(|l| {
                l.apply(
                    &ship_back(),
                    Actor::Shopper,
                    t0() + TimeDelta::days(1),
                    &policy,
                )
            })
            .and_then(|l| {
                l.apply(
                    &Event::ConfirmReceipt,
                    Actor::Merchant,
                    received_at,
                    &policy,
                )
            })
            .unwrap();
        let deadline = received.running_deadline(&policy);
        assert_eq!(
            deadline.map(|d| (d.kind, d.at)),
            payout.then_some((DeadlineKind::Payout, received_at + TimeDelta::days(7))),
            "{kind:?}"
        );
        assert_eq!(received.due_event(&policy, much_later(&received)), None);
    }
}

#[test]
fn a_rejection_needs_a_reason_and_a_shipment_needs_carrier_and_tracking() {
    let policy = policy();
    let l = Lifecycle::submitted(RequestKind::ReturnAndRefund, t0());
    let blank = Event::Reject {
        reason: "  ".to_owned(),
    };
    assert!(matches!(
        l.apply(&blank, Actor::Merchant, t0(), &policy),
        Err(LifecycleError::InvalidText {
            field: "reason",
            ..
        })
    ));
    let approved = l
        .apply(&Event::Approve, Actor::Merchant, t0(), &policy)
        .unwrap();
    let no_tracking = Event::ShipBack {
        carrier: "SF Express".to_owned(),
        tracking_number: String::new(),
    };
    assert!(matches!(
        approved.apply(&no_tracking, Actor::Shopper, t0(), &policy),
        Err(LifecycleError::InvalidText {
            field: "tracking_number",
            ..
        })
    ));
}

#[test]
fn events_cannot_be_dated_before_the_previous_one() {
    let policy = policy();
    let l = Lifecycle::submitted(RequestKind::RefundOnly, t0());
    assert_eq!(
        l.apply(
            &Event::Cancel,
            Actor::Shopper,
            t0() - TimeDelta::seconds(1),
            &policy
        ),
        Err(LifecycleError::OutOfOrder { last: t0() })
    );
}

#[test]
fn requests_that_ended_without_money_release_what_they_held() {
    let holds: Vec<(&str, bool)> = State::ALL
        .iter()
        .map(|s| (s.code(), s.holds_ledger()))
        .collect();
    assert_eq!(
        holds,
        [
            ("submitted", true),
            ("approved", true),
            ("rejected", false),
            ("cancelled", false),
            ("return_shipped", true),
            ("received", true),
            ("refunded", true),
            ("exchanged", false),
            ("closed", false),
        ]
    );
}

#[test]
fn a_stored_lifecycle_restores_exactly_when_some_sequence_of_events_could_produce_it() {
    for kind in KINDS {
        for l in reachable(kind) {
            let restored = Lifecycle::restore(
                kind,
                l.state(),
                l.submitted_at(),
                l.last_event_at(),
                l.approved_at(),
                l.shipped_back_at(),
            );
            assert_eq!(restored.as_ref(), Some(&l), "{kind:?} {:?}", l.state());
        }
    }
    let t = t0();
    assert_eq!(
        Lifecycle::restore(
            RequestKind::RefundOnly,
            State::ReturnShipped,
            t,
            t,
            Some(t),
            Some(t)
        ),
        None
    );
    assert_eq!(
        Lifecycle::restore(
            RequestKind::ReturnAndRefund,
            State::Approved,
            t,
            t,
            None,
            None
        ),
        None
    );
    assert_eq!(
        Lifecycle::restore(
            RequestKind::Exchange,
            State::Refunded,
            t,
            t,
            Some(t),
            Some(t)
        ),
        None
    );
    let earlier = t - TimeDelta::seconds(1);
    assert_eq!(
        Lifecycle::restore(
            RequestKind::RefundOnly,
            State::Approved,
            t,
            t,
            Some(earlier),
            None
        ),
        None
    );
}
