//! The desk's logic, as specifications.

use refund_api::Role;
use refund_core::wire::{DecimalStr, PaymentMethod};
use refund_core::{Currency, Quote, RequestKind, SplitLine, State};
use rust_decimal::Decimal;

use super::*;

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[test]
fn the_address_bar_names_the_queue_a_request_the_settings_or_a_set_up_link() {
    for (hash, route) in [
        ("", Route::Queue),
        ("#/queue", Route::Queue),
        ("#/nonsense", Route::Queue),
        ("#/requests/rq_1", Route::Request("rq_1".to_owned())),
        ("#/requests/", Route::Queue),
        ("#/settings", Route::Settings),
        ("#/set-up?token=su_abc", Route::SetUp("su_abc".to_owned())),
    ] {
        assert_eq!(Route::parse(hash), route, "{hash}");
        if !matches!(hash, "" | "#/nonsense" | "#/requests/") {
            assert_eq!(Route::parse(&route.hash()), route);
        }
    }
}

#[test]
fn the_queue_query_carries_the_tab_and_every_filter_set() {
    let filters = Filters {
        tab: QueueTab::ToFinish,
        reason: Some(Reason::QualityIssue),
        kind: Some(RequestKind::RefundOnly),
        assignee: Assignee::Mine,
        min_total: " 10.5 ".to_owned(),
        max_total: "abc".to_owned(),
        from: "2026-11-01".to_owned(),
        to: "2026-11-30".to_owned(),
        search: String::new(),
    };
    assert_eq!(
        filters.list_query(Some("c+/="), 50, 480),
        "reason=quality_issue&kind=refund_only&assignee=me&min_total=10.5\
         &from=2026-10-31T16%3A00%3A00Z&to=2026-11-30T16%3A00%3A00Z&tab=to_finish&limit=50&cursor=c%2B%2F%3D"
    );
    assert_eq!(
        filters.counts_query(480),
        "reason=quality_issue&kind=refund_only&assignee=me&min_total=10.5\
         &from=2026-10-31T16%3A00%3A00Z&to=2026-11-30T16%3A00%3A00Z"
    );
}

#[test]
fn a_search_looks_in_every_tab() {
    let filters = Filters {
        search: " RF20261106000042 ".to_owned(),
        ..Filters::default()
    };
    assert_eq!(
        filters.list_query(None, 20, 0),
        "q=RF20261106000042&limit=20"
    );
}

#[test]
fn each_role_may_take_only_its_steps_and_only_those_the_state_allows() {
    use Step::*;
    let cases: &[(Role, State, RequestKind, &[Step])] = &[
        (Role::Viewer, State::Submitted, RequestKind::RefundOnly, &[]),
        (
            Role::Viewer,
            State::Received,
            RequestKind::ReturnAndRefund,
            &[],
        ),
        (
            Role::Agent,
            State::Submitted,
            RequestKind::RefundOnly,
            &[Approve, Reject],
        ),
        (
            Role::Owner,
            State::Submitted,
            RequestKind::Exchange,
            &[Approve, Reject],
        ),
        (
            Role::Agent,
            State::Approved,
            RequestKind::RefundOnly,
            &[RecordRefund],
        ),
        (
            Role::Agent,
            State::Approved,
            RequestKind::ReturnAndRefund,
            &[],
        ),
        (
            Role::Agent,
            State::ReturnShipped,
            RequestKind::Exchange,
            &[ConfirmReceipt],
        ),
        (
            Role::Agent,
            State::Received,
            RequestKind::ReturnAndRefund,
            &[RecordRefund],
        ),
        (
            Role::Agent,
            State::Received,
            RequestKind::Exchange,
            &[CompleteExchange],
        ),
        (Role::Owner, State::Refunded, RequestKind::RefundOnly, &[]),
        (Role::Agent, State::Rejected, RequestKind::RefundOnly, &[]),
    ];
    for (role, state, kind, expected) in cases {
        assert_eq!(
            steps(*role, *state, *kind),
            *expected,
            "{role:?} {state:?} {kind:?}"
        );
    }
}

fn deadline(seconds_left: i64, overdue: bool) -> DeadlineView {
    DeadlineView {
        kind: refund_core::DeadlineKind::Review,
        at: chrono::DateTime::UNIX_EPOCH,
        seconds_left,
        overdue,
    }
}

#[test]
fn countdowns_run_down_from_when_the_view_was_read_and_mark_the_pressing_ones() {
    assert_eq!(seconds_left(&deadline(100, false), 30), 70);
    assert_eq!(seconds_left(&deadline(100, false), 300), 0);
    assert_eq!(urgency(&deadline(7 * 3600, false), 0), Urgency::Calm);
    assert_eq!(urgency(&deadline(7 * 3600, false), 3601), Urgency::Soon);
    assert_eq!(urgency(&deadline(10, false), 10), Urgency::Overdue);
    assert_eq!(urgency(&deadline(0, true), 0), Urgency::Overdue);
}

#[test]
fn time_left_reads_in_the_staff_members_language() {
    for (seconds, zh, en) in [
        (2 * 86_400 + 3 * 3600 + 59, "2天3小时", "2 d 3 h"),
        (5 * 3600 + 12 * 60, "5小时12分", "5 h 12 min"),
        (61, "1分钟", "1 min"),
        (40, "40秒", "40 s"),
    ] {
        assert_eq!(format_left(seconds, Lang::ZhCn), zh);
        assert_eq!(format_left(seconds, Lang::En), en);
    }
}

fn quote(split: &[(&str, PaymentMethod)]) -> Quote {
    let total: Decimal = split.iter().map(|(a, _)| dec(a)).sum();
    serde_json::from_value(serde_json::json!({
        "policy_version": 1, "currency": "CNY", "kind": "return_and_refund",
        "reason": "quality_issue", "outcome": "eligible", "lines": [], "codes": [],
        "components": [], "total": total.to_string(),
        "split": split.iter().enumerate().map(|(i, (a, m))| SplitLine {
            payment: i as u32, method: *m, amount: DecimalStr(dec(a)), in_kind: false,
        }).collect::<Vec<_>>(),
    }))
    .unwrap()
}

#[test]
fn the_payout_form_starts_as_the_split_and_sends_it_unchanged() {
    let form = PayoutForm::prefill(&quote(&[
        ("90.00", PaymentMethod::Alipay),
        ("9.00", PaymentMethod::Points),
    ]));
    assert_eq!(form.currency, Currency::Cny);
    let paid = form.validate().unwrap();
    assert_eq!(
        paid.payouts,
        vec![
            Payout {
                payment: 0,
                amount: DecimalStr(dec("90.00"))
            },
            Payout {
                payment: 1,
                amount: DecimalStr(dec("9.00"))
            },
        ]
    );
    assert_eq!(paid.deduction, None);
    assert_eq!(paid.reference, None);
}

#[test]
fn the_payout_form_refuses_what_the_server_would() {
    let base = PayoutForm::prefill(&quote(&[
        ("90.00", PaymentMethod::Alipay),
        ("9.00", PaymentMethod::Points),
    ]));
    let with = |f: &dyn Fn(&mut PayoutForm)| {
        let mut form = base.clone();
        f(&mut form);
        form.validate()
    };
    assert_eq!(
        with(&|f| f.rows[0].amount = "90.001".into()),
        Err(PayoutProblem::NotAnAmount { payment: 0 })
    );
    assert_eq!(
        with(&|f| f.rows[1].amount = "-1".into()),
        Err(PayoutProblem::NotAnAmount { payment: 1 })
    );
    assert_eq!(
        with(&|f| f.rows[0].amount = "90.01".into()),
        Err(PayoutProblem::OverSplit { payment: 0 })
    );
    assert_eq!(
        with(&|f| f.rows[0].amount = "80.00".into()),
        Err(PayoutProblem::NotTheSplit)
    );
    assert_eq!(
        with(&|f| f.deduction = "99.00".into()),
        Err(PayoutProblem::BadDeduction)
    );
    assert_eq!(
        with(&|f| f.deduction = "0".into()),
        Err(PayoutProblem::BadDeduction)
    );
    assert_eq!(
        with(&|f| f.deduction = "10".into()),
        Err(PayoutProblem::ReasonRequired)
    );
    assert_eq!(
        with(&|f| {
            f.deduction = "10".into();
            f.deduction_reason = "划痕".into();
        }),
        Err(PayoutProblem::DoesNotAddUp {
            expected: dec("89.00")
        })
    );
}

#[test]
fn a_deduction_is_taken_from_the_last_payments_first_and_then_adds_up() {
    let mut form = PayoutForm::prefill(&quote(&[
        ("90.00", PaymentMethod::Alipay),
        ("9.00", PaymentMethod::Points),
    ]));
    form.deduction = "12.50".into();
    form.deduction_reason = " 退回商品有划痕 ".into();
    form.reference = "ALI-1".into();
    form.spread_deduction();
    assert_eq!(
        (form.rows[0].amount.as_str(), form.rows[1].amount.as_str()),
        ("86.50", "0.00")
    );
    let paid = form.validate().unwrap();
    assert_eq!(
        paid.deduction,
        Some(Deduction {
            amount: DecimalStr(dec("12.50")),
            reason: "退回商品有划痕".into()
        })
    );
    assert_eq!(paid.reference.as_deref(), Some("ALI-1"));
}

#[test]
fn the_timeline_names_staff_the_api_key_or_the_actor() {
    let staff = ActedBy::Staff {
        id: "st_1".into(),
        name: "客服小李".into(),
    };
    assert_eq!(who(Actor::Merchant, Some(&staff), Lang::En), "客服小李");
    assert_eq!(
        who(Actor::Merchant, Some(&ActedBy::ApiKey), Lang::En),
        "API key"
    );
    assert_eq!(who(Actor::Deadline, None, Lang::En), "Deadline");
    assert_eq!(who(Actor::Shopper, None, Lang::ZhCn), "顾客");
}
