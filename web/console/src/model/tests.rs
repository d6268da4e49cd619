//! The desk's logic, as specifications.

use refund_api::{
    AttemptView, DeliveryLog, DeliveryState, DeliveryView, DisabledReason, EndpointSecret,
    EndpointView, EventType, Role,
};
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

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn endpoint(enabled: bool, reason: Option<DisabledReason>) -> EndpointView {
    EndpointView {
        id: "we_1".into(),
        url: "https://shop.example/hooks".into(),
        types: Vec::new(),
        enabled,
        disabled_reason: reason,
        failing_since: None,
        created_at: at("2026-11-20T02:00:00Z"),
    }
}

#[test]
fn times_read_on_the_staff_members_clock_to_the_second() {
    let instant = at("2026-11-20T02:03:04Z");
    assert_eq!(format_time(instant, 480), "2026-11-20 10:03:04");
    assert_eq!(format_time(instant, -300), "2026-11-19 21:03:04");
}

#[test]
fn ticking_no_event_type_subscribes_to_all_and_ticked_ones_go_in_the_contracts_order() {
    let mut choice = TypeChoice::default();
    assert_eq!(choice.types(), Vec::<EventType>::new());
    choice.set(EventType::MessageCreated, true);
    choice.set(EventType::RequestSubmitted, true);
    choice.set(EventType::RequestRefunded, true);
    choice.set(EventType::RequestRefunded, false);
    choice.set(EventType::RequestSubmitted, true);
    assert!(choice.has(EventType::MessageCreated));
    assert!(!choice.has(EventType::RequestRefunded));
    assert_eq!(
        choice.types(),
        vec![EventType::RequestSubmitted, EventType::MessageCreated]
    );
    let body = new_endpoint("  https://shop.example/hooks \n", &choice);
    assert_eq!(body.url, "https://shop.example/hooks");
    assert_eq!(body.types, choice.types());
    assert_eq!(
        serde_json::to_value(new_endpoint("https://a.example", &TypeChoice::default())).unwrap(),
        serde_json::json!({"url": "https://a.example", "types": []})
    );
}

#[test]
fn an_endpoints_events_read_as_all_or_as_their_codes() {
    assert_eq!(subscribed(&[]), Subscribed::All);
    assert_eq!(
        subscribed(&[
            EventType::MessageCreated,
            EventType::RequestApproved,
            EventType::MessageCreated
        ]),
        Subscribed::Only(vec!["request.approved", "message.created"])
    );
}

#[test]
fn an_endpoint_is_on_or_off_with_the_reason_it_was_turned_off() {
    assert_eq!(endpoint_status(&endpoint(true, None)), EndpointStatus::On);
    for reason in [
        DisabledReason::Merchant,
        DisabledReason::Gone,
        DisabledReason::Failing,
    ] {
        assert_eq!(
            endpoint_status(&endpoint(false, Some(reason))),
            EndpointStatus::Off(reason)
        );
    }
    assert_eq!(
        endpoint_status(&endpoint(false, None)),
        EndpointStatus::Off(DisabledReason::Merchant)
    );
}

#[test]
fn the_switch_turns_an_endpoint_off_or_back_on_and_changes_nothing_else() {
    let off = switch(&endpoint(true, None));
    assert_eq!((off.enabled, off.url, off.types), (Some(false), None, None));
    // Also one the server turned off: it failed for days, or answered 410.
    for reason in [DisabledReason::Failing, DisabledReason::Gone] {
        assert_eq!(switch(&endpoint(false, Some(reason))).enabled, Some(true));
    }
}

#[test]
fn an_answer_for_an_endpoint_replaces_it_in_the_list_or_joins_it_last() {
    let mut list = vec![endpoint(true, None)];
    let mut second = endpoint(true, None);
    second.id = "we_2".into();
    put_endpoint(&mut list, second.clone());
    put_endpoint(&mut list, endpoint(false, Some(DisabledReason::Merchant)));
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, "we_1");
    assert!(!list[0].enabled);
    assert_eq!(list[1], second);
}

#[test]
fn a_secret_is_shown_with_its_endpoint_and_after_a_rotation_until_when_the_old_one_signs() {
    let until = at("2026-11-21T02:00:00Z");
    let answer = EndpointSecret {
        endpoint: endpoint(true, None),
        secret: "whsec_c2VjcmV0".into(),
        old_secret_until: Some(until),
    };
    let added = ShownSecret::added(&EndpointSecret {
        old_secret_until: None,
        ..answer.clone()
    });
    assert_eq!(
        (
            added.endpoint_id.as_str(),
            added.url.as_str(),
            added.secret.as_str(),
            added.rotated,
            added.old_until
        ),
        (
            "we_1",
            "https://shop.example/hooks",
            "whsec_c2VjcmV0",
            false,
            None
        )
    );
    let rotated = ShownSecret::rotated(&answer);
    assert!(rotated.rotated);
    assert_eq!(rotated.old_until, Some(until));
}

#[test]
fn an_excerpt_is_one_line_of_text_cut_short_with_an_ellipsis() {
    assert_eq!(excerpt("", 10), "");
    assert_eq!(excerpt("  {\"ok\":\n\t true}\r\n", 40), "{\"ok\": true}");
    assert_eq!(
        excerpt("<b>bold</b>", 40),
        "<b>bold</b>",
        "markup stays text"
    );
    assert_eq!(excerpt("abcdefghij", 10), "abcdefghij");
    assert_eq!(excerpt("abcdefghijk", 10), "abcdefghij…");
    assert_eq!(
        excerpt("abcd efghijk", 5),
        "abcd…",
        "no space before the ellipsis"
    );
    assert_eq!(excerpt("已收到，谢谢！多余的字", 6), "已收到，谢谢…");
    assert_eq!(excerpt("a\u{0}b", 10), "a b");
}

#[test]
fn latency_reads_in_milliseconds_then_seconds() {
    assert_eq!(format_latency(0), "0 ms");
    assert_eq!(format_latency(999), "999 ms");
    assert_eq!(format_latency(1234), "1.2 s");
    assert_eq!(format_latency(10_000), "10.0 s");
}

fn attempt(status: Option<u16>, error: Option<&str>) -> AttemptView {
    AttemptView {
        at: at("2026-11-20T02:00:05Z"),
        status,
        latency_ms: 42,
        excerpt: "  ok \n".into(),
        error: error.map(str::to_owned),
    }
}

#[test]
fn an_attempt_reads_as_its_status_or_no_answer_with_what_went_wrong() {
    let ok = attempt_line(&attempt(Some(204), None));
    assert_eq!(
        ok.answer,
        Answer::Status {
            code: 204,
            ok: true
        }
    );
    assert_eq!(
        (ok.error, ok.latency.as_str(), ok.excerpt.as_str()),
        (None, "42 ms", "ok")
    );
    assert_eq!(
        attempt_line(&attempt(Some(302), None)).answer,
        Answer::Status {
            code: 302,
            ok: false
        },
        "a redirect is not followed, so it does not deliver"
    );
    assert_eq!(attempt_line(&attempt(Some(503), Some(" "))).error, None);
    let none = attempt_line(&attempt(None, Some("timed out after 10 s")));
    assert_eq!(none.answer, Answer::NoAnswer);
    assert_eq!(none.error.as_deref(), Some("timed out after 10 s"));
}

#[test]
fn a_delivery_says_where_it_stands_and_the_log_refreshes_itself_while_one_waits() {
    let pending = DeliveryView {
        event_id: "evt_2".into(),
        kind: EventType::RequestApproved,
        state: DeliveryState::Pending,
        attempts: vec![attempt(Some(500), None)],
        next_attempt_at: Some(at("2026-11-20T02:01:05Z")),
    };
    let delivered = DeliveryView {
        event_id: "evt_1".into(),
        kind: EventType::RequestSubmitted,
        state: DeliveryState::Delivered,
        attempts: vec![attempt(None, Some("refused")), attempt(Some(200), None)],
        // Only a waiting delivery has a next attempt, whatever the answer carries.
        next_attempt_at: Some(at("2026-11-20T02:01:05Z")),
    };
    let log = DeliveryLog {
        deliveries: vec![pending.clone(), delivered.clone()],
    };
    let lines = delivery_lines(&log);
    assert_eq!(
        lines
            .iter()
            .map(|d| (d.event_id.as_str(), d.code, d.state, d.next_at))
            .collect::<Vec<_>>(),
        vec![
            (
                "evt_2",
                "request.approved",
                DeliveryState::Pending,
                Some(at("2026-11-20T02:01:05Z"))
            ),
            ("evt_1", "request.submitted", DeliveryState::Delivered, None),
        ]
    );
    assert_eq!(
        lines[1]
            .attempts
            .iter()
            .map(|a| a.answer)
            .collect::<Vec<_>>(),
        vec![
            Answer::NoAnswer,
            Answer::Status {
                code: 200,
                ok: true
            }
        ],
        "attempts oldest first"
    );
    assert!(log_waits(&lines));
    assert!(!log_waits(&lines[1..]));
    assert!(!log_waits(&[]));
}

#[test]
fn an_exchange_reads_as_each_line_and_the_variant_asked_for_instead() {
    let line = |id: &str, to: Option<(&str, &str)>| RequestedLine {
        line_id: id.to_owned(),
        sku: format!("{id}-M"),
        title: format!("Shirt {id}"),
        quantity: 1,
        exchange_for: to.map(|(sku, title)| refund_core::wire::VariantWire {
            sku: sku.to_owned(),
            title: title.to_owned(),
            in_stock: true,
        }),
    };
    let lines = [line("A", Some(("A-L", "Shirt A, L"))), line("B", None)];
    assert_eq!(
        exchanged_for(&lines[0]).as_deref(),
        Some("→ Shirt A, L (A-L)")
    );
    assert_eq!(exchanged_for(&lines[1]), None);
    assert_eq!(
        exchanges_line(&lines).as_deref(),
        Some("Shirt A × 1 → Shirt A, L (A-L)")
    );
    assert_eq!(exchanges_line(&lines[1..]), None);
}
