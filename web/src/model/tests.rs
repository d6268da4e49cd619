//! The widget's decisions, checked natively against a realistic order: what is offered, what each
//! line says, what the live quote is, and what a submission carries.

use chrono::{DateTime, TimeDelta, Utc};
use refund_core::messages::Lang;
use refund_core::{Code, Currency, Outcome, Reason, RequestKind, messages};
use serde_json::json;

use super::*;

fn now() -> DateTime<Utc> {
    "2026-11-20T04:00:00Z".parse().unwrap()
}

/// Delivered two days ago: a T-shirt ×3 with a coupon, a final-sale mug ×2 and socks.
fn order_json(delivered: bool) -> serde_json::Value {
    let mut order = json!({
        "number": "T-1", "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-14T04:00:00Z", "paid_at": "2026-11-14T04:00:00Z",
        "lines": [
            {"id": "L1", "sku": "TEE", "title": "T恤", "unit_price": "79.00", "quantity": 3, "category": "apparel"},
            {"id": "L2", "sku": "MUG", "title": "马克杯", "unit_price": "19.00", "quantity": 2, "category": "home", "final_sale": true},
            {"id": "L3", "sku": "SOCKS", "title": "袜子", "unit_price": "29.90", "quantity": 1, "category": "apparel"}
        ],
        "discounts": [{"id": "NEW20", "kind": "coupon", "amount": "20.00"}],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "284.90"}]
    });
    if delivered {
        order["shipped_at"] = json!("2026-11-15T04:00:00Z");
        order["delivered_at"] = json!("2026-11-18T04:00:00Z");
    }
    order
}

fn loaded_with(
    order: serde_json::Value,
    policy: serde_json::Value,
    ledger: serde_json::Value,
) -> Loaded {
    let response: OrderResponse = serde_json::from_value(json!({
        "order": order, "policy": policy, "ledger": ledger, "recent_requests": 0,
        "server_time": now(), "requests": []
    }))
    .unwrap();
    Loaded::new(response, now()).unwrap()
}

fn policy() -> serde_json::Value {
    json!({"utc_offset": "+08:00", "amounts": {"CNY": {"return_shipping_fee": "8.00"}}})
}

fn loaded() -> Loaded {
    loaded_with(order_json(true), policy(), json!({}))
}

fn draft(kind: RequestKind, reason: Option<Reason>, lines: &[(&str, u32)]) -> Draft {
    Draft {
        kind: Some(kind),
        reason,
        quantities: lines.iter().map(|(id, q)| ((*id).to_owned(), *q)).collect(),
        goods_intact: true,
        ..Draft::default()
    }
}

fn total(live: &LiveQuote) -> String {
    match live {
        LiveQuote::Ready(quote) => quote.total.0.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn goods_can_only_be_sent_back_once_they_have_arrived() {
    let cases = [
        (
            true,
            json!({}),
            vec![
                RequestKind::RefundOnly,
                RequestKind::ReturnAndRefund,
                RequestKind::Exchange,
            ],
        ),
        (false, json!({}), vec![RequestKind::RefundOnly]),
        (
            true,
            json!({"kinds": ["refund_only", "return_and_refund"]}),
            vec![RequestKind::RefundOnly, RequestKind::ReturnAndRefund],
        ),
    ];
    for (delivered, policy, expected) in cases {
        let mut policy = policy;
        policy["utc_offset"] = json!("+08:00");
        let l = loaded_with(order_json(delivered), policy.clone(), json!({}));
        assert_eq!(l.kinds(), expected, "delivered={delivered} policy={policy}");
    }
}

#[test]
fn each_line_says_whether_it_can_go_back_and_why_not() {
    let l = loaded();
    let final_sale = messages::code_message(&Code::FinalSale, Lang::En, Currency::Cny);
    // (reason, line, selectable, outcome, the line's first message)
    type Case<'a> = (Option<Reason>, &'a str, bool, Outcome, Option<&'a str>);
    let cases: [Case; 5] = [
        (
            Some(Reason::ChangedMind),
            "L2",
            false,
            Outcome::Ineligible,
            Some(final_sale.as_str()),
        ),
        (
            Some(Reason::QualityIssue),
            "L2",
            true,
            Outcome::Eligible,
            None,
        ),
        (
            Some(Reason::ChangedMind),
            "L1",
            true,
            Outcome::Eligible,
            None,
        ),
        // Before a reason is chosen, a line shows how the kindest reason treats it.
        (None, "L2", true, Outcome::Eligible, None),
        (None, "L1", true, Outcome::Eligible, None),
    ];
    for (reason, line, selectable, outcome, message) in cases {
        let d = draft(RequestKind::ReturnAndRefund, reason, &[(line, 1)]);
        let rows = l.rows(&d, now(), Lang::En);
        let row = rows.iter().find(|r| r.id == line).unwrap();
        assert_eq!(row.selectable, selectable, "{reason:?} {line}");
        assert_eq!(row.outcome, outcome, "{reason:?} {line}");
        assert_eq!(
            row.messages.first().map(String::as_str),
            message,
            "{reason:?} {line}"
        );
        assert_eq!(row.chosen, u32::from(selectable), "{reason:?} {line}");
    }
}

#[test]
fn a_line_already_refunded_has_nothing_left_to_choose() {
    let l = loaded_with(
        order_json(true),
        policy(),
        json!({"lines": {"L3": {"refunded_units": 1, "refunded_amount": "27.90"}}, "payments": ["27.90"]}),
    );
    let d = draft(
        RequestKind::ReturnAndRefund,
        Some(Reason::SizeMismatch),
        &[("L3", 1)],
    );
    let row = l
        .rows(&d, now(), Lang::En)
        .into_iter()
        .find(|r| r.id == "L3")
        .unwrap();
    assert_eq!((row.available, row.selectable, row.chosen), (0, false, 0));
    assert_eq!(
        row.messages,
        ["All units of this item are already refunded or in a request."],
        "nothing about a quantity the shopper never chose"
    );
}

#[test]
fn quantities_are_capped_at_what_is_left() {
    let mut d = Draft::default();
    d.set_quantity("L1", 5, 3);
    assert_eq!(d.quantity("L1"), 3);
    d.set_quantity("L1", 0, 3);
    assert_eq!(d.quantity("L1"), 0);
    assert!(
        d.quantities.is_empty(),
        "a zero quantity leaves no entry behind"
    );
}

#[test]
fn the_live_quote_guides_until_the_draft_is_complete_then_follows_every_change() {
    let l = loaded();
    let cases = [
        (Draft::default(), "NeedKind"),
        (
            draft(RequestKind::ReturnAndRefund, None, &[("L1", 1)]),
            "NeedReason",
        ),
        (
            draft(
                RequestKind::ReturnAndRefund,
                Some(Reason::SizeMismatch),
                &[],
            ),
            "NeedLines",
        ),
        // The T-shirts' share of the 20.00 coupon is 15.55 (largest remainder over 304.90), so
        // the line paid 221.45; 2 of 3 units are round(221.45 × 2/3) = 147.63, minus 8.00
        // return shipping for a shopper-fault return.
        (
            draft(
                RequestKind::ReturnAndRefund,
                Some(Reason::SizeMismatch),
                &[("L1", 2)],
            ),
            "139.63",
        ),
        (
            draft(
                RequestKind::ReturnAndRefund,
                Some(Reason::SizeMismatch),
                &[("L1", 3)],
            ),
            "213.45",
        ),
        // A final-sale line is left out of a no-reason return, whatever its quantity says.
        (
            draft(
                RequestKind::ReturnAndRefund,
                Some(Reason::SizeMismatch),
                &[("L1", 3), ("L2", 2)],
            ),
            "213.45",
        ),
        // A quality problem is the seller's fault: the mug's 38.00 less its 2.49 coupon share,
        // with no return shipping charged.
        (
            draft(
                RequestKind::ReturnAndRefund,
                Some(Reason::QualityIssue),
                &[("L2", 2)],
            ),
            "35.51",
        ),
    ];
    for (d, expected) in cases {
        let live = l.quote(&d, now());
        let shown = match &live {
            LiveQuote::NeedKind => "NeedKind".to_owned(),
            LiveQuote::NeedReason => "NeedReason".to_owned(),
            LiveQuote::NeedLines => "NeedLines".to_owned(),
            other => total(other),
        };
        assert_eq!(shown, expected, "{d:?}");
    }
}

#[test]
fn a_submission_carries_the_total_verdict_and_split_the_shopper_saw_and_only_choosable_lines() {
    let l = loaded();
    let mut d = draft(
        RequestKind::ReturnAndRefund,
        Some(Reason::SizeMismatch),
        &[("L1", 2), ("L2", 1)],
    );
    d.note = "  too small  ".to_owned();
    d.evidence = vec!["ev_1".to_owned()];
    let LiveQuote::Ready(quote) = l.quote(&d, now()) else {
        panic!("the draft is complete");
    };
    let submission = l.submission(&d, now(), &quote).unwrap();
    assert_eq!(submission.expected_total, Some(quote.total));
    assert_eq!(submission.expected_outcome, Some(quote.outcome));
    assert_eq!(submission.expected_split.as_ref(), Some(&quote.split));
    assert_eq!(submission.lines.len(), 1);
    assert_eq!(
        (
            submission.lines[0].line_id.as_str(),
            submission.lines[0].quantity
        ),
        ("L1", 2)
    );
    assert_eq!(submission.note, "too small");
    assert_eq!(submission.evidence, vec!["ev_1".to_owned()]);
}

#[test]
fn every_retry_sends_the_unanswered_submission_again_under_the_same_key() {
    let l = loaded();
    let mut d = draft(
        RequestKind::ReturnAndRefund,
        Some(Reason::SizeMismatch),
        &[("L1", 2)],
    );
    let LiveQuote::Ready(quote) = l.quote(&d, now()) else {
        panic!("the draft is complete");
    };
    let first_body = l.submission(&d, now(), &quote).unwrap();
    let (sent, key) = d.begin_submit(first_body.clone(), || "k1".to_owned());
    assert_eq!((&sent, key.as_str()), (&first_body, "k1"));

    // The shopper changed a quantity while the answer was lost, then reloaded the page.
    d.set_quantity("L1", 3, 3);
    let mut restored: Draft = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
    let LiveQuote::Ready(changed) = l.quote(&restored, now()) else {
        panic!("the draft is complete");
    };
    let new_body = l.submission(&restored, now(), &changed).unwrap();
    let (again, same_key) = restored.begin_submit(new_body.clone(), || "k2".to_owned());
    assert_eq!(
        (&again, same_key.as_str()),
        (&first_body, "k1"),
        "the first attempt is repeated"
    );

    restored.settle();
    let (next, next_key) = restored.begin_submit(new_body.clone(), || "k3".to_owned());
    assert_eq!(
        (&next, next_key.as_str()),
        (&new_body, "k3"),
        "after an answer, a new request"
    );
}

#[test]
fn an_unanswered_body_stored_by_an_earlier_widget_is_resent_byte_for_byte() {
    // Stored before submissions carried the verdict and split the shopper saw.
    let stored = r#"{"kind":"return_and_refund","reason":"size_mismatch","lines":[{"line_id":"L1","quantity":2}],"note":"","evidence":[],"goods_intact":true,"expected_total":"198.00"}"#;
    let body: ShopperRequest = serde_json::from_str(stored).unwrap();
    assert_eq!(serde_json::to_string(&body).unwrap(), stored);
}

#[test]
fn a_restored_draft_drops_choices_the_order_no_longer_offers() {
    let l = loaded_with(
        order_json(true),
        json!({"utc_offset": "+08:00", "kinds": ["refund_only"], "reasons": {"changed_mind": {"disabled": true}}}),
        json!({}),
    );
    let d = draft(
        RequestKind::Exchange,
        Some(Reason::ChangedMind),
        &[("L1", 1)],
    )
    .fitted(&l);
    assert_eq!((d.kind, d.reason), (Some(RequestKind::RefundOnly), None));
    assert_eq!(
        d.quantity("L1"),
        1,
        "quantities stay; each line judges them"
    );
}

#[test]
fn the_form_asks_for_the_intact_confirmation_and_photos_only_when_the_rules_do() {
    let l = loaded();
    let cases = [
        (
            RequestKind::ReturnAndRefund,
            Reason::SizeMismatch,
            true,
            None,
        ),
        (
            RequestKind::ReturnAndRefund,
            Reason::QualityIssue,
            false,
            Some(1),
        ),
        (RequestKind::RefundOnly, Reason::ChangedMind, false, None),
        (RequestKind::Exchange, Reason::OrderedByMistake, true, None),
    ];
    for (kind, reason, intact, photos) in cases {
        let d = draft(kind, Some(reason), &[("L1", 1)]);
        assert_eq!(l.needs_intact(&d), intact, "{kind:?} {reason:?}");
        assert_eq!(l.evidence_needed(&d), photos, "{kind:?} {reason:?}");
    }
}

#[test]
fn the_breakdown_explains_every_component_in_the_shoppers_language() {
    let l = loaded();
    let d = draft(
        RequestKind::ReturnAndRefund,
        Some(Reason::SizeMismatch),
        &[("L1", 2)],
    );
    let LiveQuote::Ready(quote) = l.quote(&d, now()) else {
        panic!("the draft is complete");
    };
    let zh = l.breakdown(&quote, Lang::ZhCn);
    let en = l.breakdown(&quote, Lang::En);
    let codes: Vec<&str> = zh.rows.iter().map(|r| r.code).collect();
    assert_eq!(codes, ["item", "return_shipping_fee"]);
    assert_eq!(zh.rows[0].label, "T恤 × 2");
    assert_eq!(
        (zh.rows[1].amount.as_str(), zh.rows[1].negative),
        ("-¥8.00", true)
    );
    assert_eq!(en.rows[1].label, "Return shipping");
    assert_eq!(en.total, "CN¥139.63");
    assert_eq!(zh.total, "¥139.63");
    assert!(zh.rows.iter().all(|r| !r.explanation.is_empty()));
    assert_eq!(en.split.len(), 1);
    assert_eq!(en.split[0].method, "Alipay");
}

#[test]
fn files_are_checked_before_any_upload() {
    let mb = 1024.0 * 1024.0;
    let cases = [
        ("image/jpeg", 1.0 * mb, 0, Ok(())),
        ("image/webp", 5.0 * mb, 8, Ok(())),
        ("image/gif", 1.0, 0, Err(FileProblem::NotAnImage)),
        ("application/pdf", 1.0, 0, Err(FileProblem::NotAnImage)),
        ("image/png", 5.0 * mb + 1.0, 0, Err(FileProblem::TooLarge)),
        ("image/png", 1.0, 9, Err(FileProblem::TooMany)),
    ];
    for (mime, bytes, already, expected) in cases {
        assert_eq!(
            check_file(mime, bytes, already),
            expected,
            "{mime} {bytes} {already}"
        );
    }
}

#[test]
fn time_left_reads_in_days_then_counts_down_to_the_second() {
    let cases = [
        (2 * 86_400 + 3 * 3_600 + 59, Lang::ZhCn, "2天 3小时"),
        (2 * 86_400 + 3 * 3_600 + 59, Lang::En, "2 d 3 h"),
        (5 * 3_600 + 7 * 60 + 9, Lang::En, "05:07:09"),
        (59, Lang::ZhCn, "00:00:59"),
        (-30, Lang::En, "00:00:00"),
    ];
    for (seconds, lang, expected) in cases {
        assert_eq!(
            format_remaining(seconds, lang),
            expected,
            "{seconds} {lang:?}"
        );
    }
}

#[test]
fn windows_are_judged_on_the_servers_clock_not_the_phones() {
    let phone = now() - TimeDelta::days(30);
    let clock = ServerClock::new(now(), phone);
    assert_eq!(
        clock.now(phone + TimeDelta::seconds(5)),
        now() + TimeDelta::seconds(5)
    );
}

#[test]
fn recorded_requests_say_what_the_shopper_can_still_do() {
    let request = |state: &str, kind: &str| -> RequestView {
        serde_json::from_value(json!({
            "id": "r1", "number": "R-1", "order_number": "T-1", "kind": kind, "reason": "size_mismatch", "state": state,
            "submitted_at": now(), "deadline": null, "history": [],
            "quote": {"policy_version": 0, "currency": "CNY", "kind": kind, "reason": "size_mismatch",
                      "outcome": "needs_review", "lines": [], "codes": [{"code": "manual_review"}],
                      "components": [], "total": "0.00", "split": []}
        }))
        .unwrap()
    };
    let cases = [
        ("submitted", "return_and_refund", true, false),
        ("approved", "return_and_refund", false, true),
        ("approved", "refund_only", false, false),
        ("approved", "exchange", false, true),
        ("rejected", "return_and_refund", false, false),
    ];
    for (state, kind, cancel, ship) in cases {
        let r = request(state, kind);
        assert_eq!(
            (r.can_cancel(), r.awaits_shipment()),
            (cancel, ship),
            "{state} {kind}"
        );
    }
}

#[test]
fn a_recorded_quote_reads_back_into_the_same_breakdown_the_shopper_saw() {
    let l = loaded_with(
        order_json(true),
        json!({"utc_offset": "+08:00", "restocking_fee_percent": "10",
               "amounts": {"CNY": {"return_shipping_fee": "8.00", "free_shipping_threshold": "99.00",
                                   "standard_shipping_fee": "10.00"}}}),
        json!({}),
    );
    let d = draft(
        RequestKind::ReturnAndRefund,
        Some(Reason::ChangedMind),
        &[("L1", 3)],
    );
    let LiveQuote::Ready(quote) = l.quote(&d, now()) else {
        panic!("the draft is complete");
    };
    let recorded: QuoteSummary =
        serde_json::from_str(&serde_json::to_string(&quote).unwrap()).unwrap();
    for lang in Lang::ALL {
        let live = l.breakdown(&quote, lang);
        let read_back = l.recorded_breakdown(&recorded, lang);
        assert!(live.rows.len() >= 3, "several components: {:?}", live.rows);
        assert_eq!(read_back.rows, live.rows);
        assert_eq!((read_back.total, read_back.split), (live.total, live.split));
    }
}
