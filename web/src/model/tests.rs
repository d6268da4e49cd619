//! The widget's decisions, checked natively against a realistic order: what is offered, what each
//! line says, what the live quote is, and what a submission carries.

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use refund_api::{DeadlineView, PayoutRecord, ReturnTo, Thread};
use refund_core::messages::Lang;
use refund_core::{Code, Currency, Outcome, Reason, RequestKind, State, messages};
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
fn a_draft_is_stored_as_an_earlier_widget_stored_it_so_an_update_loses_no_choice() {
    let stored = r#"{"kind":"exchange","reason":"size_mismatch","quantities":{"L3":1,"L1":2},"exchange_for":{"L1":"TEE-L"},"note":"","evidence":[],"goods_intact":true,"idempotency_key":null,"pending":null}"#;
    let d: Draft = serde_json::from_str(stored).unwrap();
    assert_eq!(
        (d.quantity("L1"), d.quantity("L3"), d.quantity("L2")),
        (2, 1, 0)
    );
    assert_eq!(d.exchange_for.get("L1").map(String::as_str), Some("TEE-L"));
    let written = serde_json::to_value(&d).unwrap();
    assert_eq!(written["quantities"], json!({"L1": 2, "L3": 1}));
    assert_eq!(written["exchange_for"], json!({"L1": "TEE-L"}));
    let mut cleared = d.clone();
    cleared.set_quantity("L1", 0, 3);
    cleared.set_exchange("L1", "");
    assert_eq!(
        serde_json::to_value(&cleared).unwrap()["quantities"],
        json!({"L3": 1})
    );
    assert!(cleared.exchange_for.is_empty());
    let empty: Draft = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, Draft::default());
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
        let read_back = l.recorded_breakdown(&recorded, &[], lang);
        assert!(live.rows.len() >= 3, "several components: {:?}", live.rows);
        assert_eq!(read_back.rows, live.rows);
        assert_eq!((read_back.total, read_back.split), (live.total, live.split));
    }
}

/// A recorded return of two T-shirts, with `fields` over the defaults.
fn recorded(fields: serde_json::Value) -> RequestView {
    serde_json::from_value(recorded_json(fields)).unwrap()
}

/// [`recorded`] as the server writes it.
fn recorded_json(fields: serde_json::Value) -> serde_json::Value {
    let mut view = json!({
        "id": "r1", "number": "RF1", "order_number": "T-1", "kind": "return_and_refund",
        "reason": "quality_issue", "state": "approved", "submitted_at": now(), "deadline": null,
        "quote": {"currency": "CNY", "total": "147.63", "split": [],
                  "components": [{"code": "item", "line_id": "L1", "quantity": 2, "amount": "147.63"}]}
    });
    for (key, value) in fields.as_object().unwrap() {
        view[key] = value.clone();
    }
    view
}

fn thread(messages: serde_json::Value) -> Thread {
    serde_json::from_value(json!({"messages": messages, "unread": 0})).unwrap()
}

#[test]
fn the_order_lists_the_shoppers_requests_newest_first() {
    let first = recorded_json(json!({"id": "r1", "number": "RF1"}));
    let later = now() + TimeDelta::hours(1);
    let second = recorded_json(json!({"id": "r2", "number": "RF2", "submitted_at": later}));
    let response: OrderResponse = serde_json::from_value(json!({
        "order": order_json(true), "policy": policy(), "ledger": {}, "recent_requests": 0,
        "server_time": now(), "requests": [first, second]
    }))
    .unwrap();
    let loaded = Loaded::new(response, now()).unwrap();
    let numbers: Vec<&str> = loaded.requests.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, ["RF2", "RF1"]);
}

#[test]
fn a_request_lists_its_items_by_title() {
    let lines = json!([
        {"line_id": "L1", "sku": "TEE", "title": "T恤", "quantity": 2},
        {"line_id": "L3", "sku": "SOCKS", "title": "袜子", "quantity": 1}
    ]);
    let cases = [
        (json!({"lines": lines}), Lang::ZhCn, "T恤 × 2、袜子 × 1"),
        (json!({"lines": lines}), Lang::En, "T恤 × 2, 袜子 × 1"),
        // An older server sends no lines: nothing to list (the breakdown still names them).
        (json!({}), Lang::En, ""),
    ];
    for (fields, lang, expected) in cases {
        let view = recorded(fields.clone());
        assert_eq!(requested_items(&view, lang), expected, "{fields} {lang:?}");
    }
}

#[test]
fn a_rejection_from_a_template_reads_in_the_shoppers_language_else_as_the_merchant_wrote_it() {
    let template = json!({"zh-CN": "超过退货期限", "en": "Past the return window"});
    let cases = [
        (
            json!({"reject_reason": "超过退货期限", "reject_reason_text": template}),
            Lang::En,
            Some("Past the return window"),
        ),
        (
            json!({"reject_reason": "超过退货期限", "reject_reason_text": template}),
            Lang::ZhCn,
            Some("超过退货期限"),
        ),
        // A template with only one language falls back to the other.
        (
            json!({"reject_reason_text": {"zh-CN": "图片不清晰", "en": ""}}),
            Lang::En,
            Some("图片不清晰"),
        ),
        (json!({"reject_reason": "Worn"}), Lang::ZhCn, Some("Worn")),
        (json!({"reject_reason": "  "}), Lang::En, None),
        (json!({}), Lang::En, None),
    ];
    for (fields, lang, expected) in cases {
        let view = recorded(fields.clone());
        assert_eq!(
            rejection(&view, lang).as_deref(),
            expected,
            "{fields} {lang:?}"
        );
    }
}

#[test]
fn the_return_address_shows_while_the_goods_are_to_go_back_or_on_their_way() {
    let to = json!({"recipient": "王仓管", "phone": "0571-8888 0000", "address": "杭州市余杭区仓前街道 1 号", "instructions": "请勿到付"});
    let cases = [
        ("return_and_refund", "approved", true),
        ("exchange", "approved", true),
        ("return_and_refund", "return_shipped", true),
        ("return_and_refund", "received", false),
        ("return_and_refund", "refunded", false),
        ("refund_only", "approved", false),
    ];
    for (kind, state, shown) in cases {
        let view = recorded(json!({"kind": kind, "state": state, "return_to": to}));
        assert_eq!(return_address(&view).is_some(), shown, "{kind} {state}");
    }
    let view = recorded(json!({}));
    assert_eq!(return_address(&view), None, "no address given");
}

#[test]
fn the_address_copies_as_one_line_that_courier_apps_take() {
    let to: ReturnTo = serde_json::from_value(json!({
        "recipient": " 王仓管 ", "phone": "13800000000", "address": "杭州市余杭区仓前街道 1 号"
    }))
    .unwrap();
    assert_eq!(
        address_to_copy(&to),
        "王仓管 13800000000 杭州市余杭区仓前街道 1 号"
    );
}

#[test]
fn a_listed_carrier_is_sent_in_both_languages_and_other_sends_what_was_typed() {
    let cases = [
        (
            Some(Carrier::Sf),
            "",
            " SF123 ",
            Some(("顺丰速运 SF Express", "SF123")),
        ),
        (
            Some(Carrier::ChinaPost),
            "",
            "EA1",
            Some(("中国邮政 China Post / EMS", "EA1")),
        ),
        (
            Some(Carrier::Jt),
            "ignored",
            "JT9",
            Some(("极兔速递 J&T Express", "JT9")),
        ),
        (
            Some(Carrier::Other),
            " 德邦快递 ",
            "DPK1",
            Some(("德邦快递", "DPK1")),
        ),
        (Some(Carrier::Other), "  ", "DPK1", None),
        (None, "", "SF123", None),
        (Some(Carrier::Zto), "", "  ", None),
    ];
    for (carrier, other, tracking, expected) in cases {
        let sent = shipment(carrier, other, tracking);
        assert_eq!(
            sent.as_ref().map(|(c, t)| (c.as_str(), t.as_str())),
            expected,
            "{carrier:?} {other:?} {tracking:?}"
        );
    }
    for carrier in Carrier::ALL {
        assert_eq!(Carrier::from_code(carrier.code()), Some(carrier));
        for lang in Lang::ALL {
            assert!(!carrier.label(lang).is_empty(), "{carrier:?} {lang:?}");
        }
    }
    assert_eq!(
        Carrier::from_code(""),
        None,
        "the placeholder chooses nothing"
    );
}

#[test]
fn a_recorded_carrier_reads_in_the_shoppers_language_when_it_is_one_of_the_list() {
    let cases = [
        ("顺丰速运 SF Express", Lang::En, "SF Express"),
        ("顺丰速运 SF Express", Lang::ZhCn, "顺丰速运"),
        ("京东物流 JD Logistics", Lang::ZhCn, "京东物流"),
        ("德邦快递", Lang::En, "德邦快递"),
        ("SF Express", Lang::ZhCn, "SF Express"),
    ];
    for (recorded, lang, expected) in cases {
        assert_eq!(
            carrier_shown(recorded, lang),
            expected,
            "{recorded} {lang:?}"
        );
    }
}

#[test]
fn a_payout_shows_each_payment_when_it_usually_arrives_the_deduction_and_the_reference() {
    let mut order = order_json(true);
    order["payments"] =
        json!([{"method": "alipay", "amount": "200.00"}, {"method": "points", "amount": "84.90"}]);
    let l = loaded_with(order, policy(), json!({}));
    let record: PayoutRecord = serde_json::from_value(json!({
        "payouts": [{"payment": 0, "amount": "120.00"}, {"payment": 1, "amount": "7.63"}, {"payment": 7, "amount": "0.00"}],
        "total": "127.63",
        "deduction": {"amount": "20.00", "reason": "吊牌已剪"},
        "reference": " 2026112022001 "
    }))
    .unwrap();
    let zh = l.payout(&record, Lang::ZhCn);
    assert_eq!(
        zh.rows,
        [
            (
                "支付宝".to_owned(),
                "¥120.00".to_owned(),
                "通常 1 个工作日内到账"
            ),
            ("积分".to_owned(), "¥7.63".to_owned(), "已退回您的账户"),
            ("付款 8".to_owned(), "¥0.00".to_owned(), ""),
        ]
    );
    assert_eq!(
        zh.deduction,
        Some(("-¥20.00".to_owned(), "吊牌已剪".to_owned()))
    );
    assert_eq!(zh.total, "¥127.63");
    assert_eq!(zh.reference.as_deref(), Some("2026112022001"));
    let en = l.payout(&record, Lang::En);
    assert_eq!(
        en.rows[0],
        (
            "Alipay".to_owned(),
            "CN¥120.00".to_owned(),
            "usually arrives within 1 business day"
        )
    );
    assert_eq!(en.rows[2].0, "Payment 8");
    assert_eq!(en.total, "CN¥127.63");

    let plain: PayoutRecord = serde_json::from_value(json!({
        "payouts": [{"payment": 0, "amount": "147.63"}], "total": "147.63", "reference": ""
    }))
    .unwrap();
    let shown = l.payout(&plain, Lang::En);
    assert_eq!((shown.deduction, shown.reference), (None, None));
}

#[test]
fn a_passed_payout_deadline_says_the_merchant_is_late_and_is_not_polled_for() {
    let deadline = |kind: &str, at: DateTime<Utc>| -> DeadlineView {
        serde_json::from_value(json!({"kind": kind, "at": at})).unwrap()
    };
    let past = now() - TimeDelta::minutes(1);
    let future = now() + TimeDelta::minutes(1);
    // (kind, at, overdue payout, moves the request on)
    let cases = [
        ("payout", past, true, false),
        ("payout", future, false, false),
        ("review", past, false, true),
        ("ship_back", future, false, false),
        ("receipt", past, false, true),
    ];
    for (kind, at, overdue, moves) in cases {
        let d = deadline(kind, at);
        assert_eq!(
            (payout_overdue(&d, now()), deadline_moves(&d, now())),
            (overdue, moves),
            "{kind} {at}"
        );
    }
}

#[test]
fn the_timeline_leaves_messages_to_the_thread() {
    let view = recorded(json!({"history": [
        {"actor": "shopper", "action": "submit", "after": "submitted", "at": now()},
        {"actor": "merchant", "action": "message", "before": "submitted", "after": "submitted", "at": now()},
        {"actor": "merchant", "action": "approve", "before": "submitted", "after": "approved", "at": now()},
        {"actor": "shopper", "action": "message", "before": "approved", "after": "approved", "at": now()}
    ]}));
    let actions: Vec<&str> = timeline_steps(&view.history)
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["submit", "approve"]);
}

#[test]
fn the_thread_reads_oldest_first_with_the_shoppers_own_messages_told_apart() {
    let t = thread(json!([
        {"id": "m2", "author": "shopper", "body": "<b>已寄出</b>", "photos": ["ev_2"], "at": "2026-11-20T03:00:00Z"},
        {"id": "m1", "author": "merchant", "body": "请补充照片", "asks_for_photos": true, "at": "2026-11-20T02:00:00Z"},
        {"id": "m3", "author": "merchant", "body": "收到", "at": "2026-11-20T05:00:00Z"}
    ]));
    let rows = message_rows(&t);
    let shown: Vec<(&str, bool, bool)> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.mine, r.asks_for_photos))
        .collect();
    assert_eq!(
        shown,
        [
            ("m1", false, true),
            ("m2", true, false),
            ("m3", false, false)
        ]
    );
    assert_eq!(rows[1].body, "<b>已寄出</b>", "the body is kept as text");
    assert_eq!(rows[1].photos, ["ev_2"]);
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    assert_eq!(
        message_meta(&rows[0], beijing, Lang::ZhCn),
        "商家 · 2026年11月20日 10:00"
    );
    assert_eq!(
        message_meta(&rows[1], beijing, Lang::En),
        "You · 20 Nov 2026, 11:00"
    );
}

#[test]
fn photos_are_asked_for_until_the_shopper_answers_with_some() {
    let ask = json!({"id": "m1", "author": "merchant", "body": "请补充照片", "asks_for_photos": true, "at": "2026-11-20T02:00:00Z"});
    let cases = [
        (json!([]), false),
        (json!([ask]), true),
        // Words alone do not answer it.
        (
            json!([ask, {"id": "m2", "author": "shopper", "body": "好的", "at": "2026-11-20T03:00:00Z"}]),
            true,
        ),
        (
            json!([ask, {"id": "m2", "author": "shopper", "body": "", "photos": ["ev_1"], "at": "2026-11-20T03:00:00Z"}]),
            false,
        ),
        // Only the merchant's latest message counts.
        (
            json!([ask, {"id": "m2", "author": "merchant", "body": "已收到", "at": "2026-11-20T03:00:00Z"}]),
            false,
        ),
        // The shopper cannot ask for photos.
        (
            json!([{"id": "m0", "author": "shopper", "body": "x", "asks_for_photos": true, "at": "2026-11-20T01:00:00Z"}]),
            false,
        ),
    ];
    for (messages, asked) in cases {
        assert_eq!(photos_asked(&thread(messages.clone())), asked, "{messages}");
    }
}

#[test]
fn the_thread_section_shows_what_is_known_of_the_thread() {
    let empty = thread(json!([]));
    let one = thread(json!([{"id": "m1", "author": "merchant", "body": "你好", "at": now()}]));
    let cases = [
        (false, Some(&one), false, ThreadShown::Closed),
        (true, None, false, ThreadShown::Loading),
        (true, None, true, ThreadShown::Failed),
        (true, Some(&empty), false, ThreadShown::Empty),
        (true, Some(&one), false, ThreadShown::Messages),
        // A failed re-read keeps what was read before on screen.
        (true, Some(&one), true, ThreadShown::Messages),
    ];
    for (open, thread, failed, expected) in cases {
        assert_eq!(
            thread_shown(open, thread, failed),
            expected,
            "{open} {failed}"
        );
    }
}

#[test]
fn the_unread_badge_shows_until_the_thread_is_open() {
    let cases = [
        (0, false, None),
        (2, false, Some("2")),
        (2, true, None),
        (99, false, Some("99")),
        (150, false, Some("99+")),
    ];
    for (unread, open, expected) in cases {
        assert_eq!(
            unread_badge(unread, open).as_deref(),
            expected,
            "{unread} {open}"
        );
    }
    assert_eq!(crate::texts::unread_label("1", Lang::En), "1 new message");
    assert_eq!(crate::texts::unread_label("3", Lang::En), "3 new messages");
    assert_eq!(crate::texts::unread_label("3", Lang::ZhCn), "3 条新消息");
}

#[test]
fn a_reply_is_checked_as_the_server_checks_it_before_it_is_sent() {
    let photos = |n: usize| (0..n).map(|i| format!("ev_{i}")).collect::<Vec<_>>();
    let long = "好".repeat(2001);
    let longest = "好".repeat(2000);
    let cases = [
        ("  好的  ", 0, false, Ok("好的")),
        ("", 1, false, Ok("")),
        ("   ", 0, false, Err(ReplyProblem::Empty)),
        ("好的", 1, true, Err(ReplyProblem::Uploading)),
        (long.as_str(), 0, false, Err(ReplyProblem::TooLong)),
        (longest.as_str(), 0, false, Ok(longest.as_str())),
        ("看图", 5, false, Ok("看图")),
        ("看图", 6, false, Err(ReplyProblem::TooManyPhotos)),
    ];
    for (body, count, uploading, expected) in cases {
        let answer = reply(body, photos(count), uploading);
        assert_eq!(
            answer.as_ref().map(|m| m.body.as_str()).map_err(|p| *p),
            expected,
            "{count} {uploading}"
        );
        if let Ok(message) = answer {
            assert_eq!(message.photos, photos(count));
            assert!(
                !message.asks_for_photos,
                "only the merchant asks for photos"
            );
        }
    }
    for problem in [
        ReplyProblem::Uploading,
        ReplyProblem::Empty,
        ReplyProblem::TooLong,
        ReplyProblem::TooManyPhotos,
    ] {
        assert_ne!(
            reply_problem_text(problem, Lang::ZhCn),
            reply_problem_text(problem, Lang::En),
            "{problem:?} is said in each language"
        );
    }
}

#[test]
fn a_message_whose_answer_was_lost_is_found_in_the_thread_and_not_sent_again() {
    let sent = reply(" 已寄出 ", vec!["ev_1".to_owned()], false).unwrap();
    let before = json!({"id": "m1", "author": "shopper", "body": "已寄出", "photos": ["ev_1"], "at": "2026-11-20T01:00:00Z"});
    let after = json!({"id": "m2", "author": "shopper", "body": "已寄出", "photos": ["ev_1"], "at": "2026-11-20T02:00:00Z"});
    let by_merchant = json!({"id": "m2", "author": "merchant", "body": "已寄出", "photos": ["ev_1"], "at": "2026-11-20T02:00:00Z"});
    let cases = [
        (json!([before]), 1, false),
        (json!([before, after]), 1, true),
        (json!([before, by_merchant]), 1, false),
        (json!([after]), 0, true),
    ];
    for (messages, known, expected) in cases {
        assert_eq!(
            delivered(&thread(messages.clone()), &sent, known),
            expected,
            "{messages} {known}"
        );
    }
}

#[test]
fn a_message_takes_fewer_photos_than_a_request() {
    let cases = [
        (PhotoUse::Request, 8, Ok(())),
        (PhotoUse::Request, 9, Err(FileProblem::TooMany)),
        (PhotoUse::Message, 4, Ok(())),
        (PhotoUse::Message, 5, Err(FileProblem::TooMany)),
    ];
    for (purpose, already, expected) in cases {
        assert_eq!(
            check_photo(purpose, "image/png", 1.0, already),
            expected,
            "{purpose:?} {already}"
        );
    }
}

#[test]
fn a_shopper_over_the_stores_recent_request_limit_reads_only_that_the_store_reviews_it() {
    let mut policy = policy();
    policy["auto_approve"] = json!({"reasons": ["size_mismatch"], "max_recent_requests": 5});
    policy["amounts"]["CNY"]["auto_approve_max"] = json!("500.00");
    let response: OrderResponse = serde_json::from_value(json!({
        "order": order_json(true), "policy": policy, "ledger": {}, "recent_requests": 6,
        "server_time": now(), "requests": []
    }))
    .unwrap();
    let l = Loaded::new(response, now()).unwrap();
    let d = draft(
        RequestKind::ReturnAndRefund,
        Some(Reason::SizeMismatch),
        &[("L1", 1)],
    );
    let LiveQuote::Ready(quote) = l.quote(&d, now()) else {
        panic!("the draft is complete");
    };
    assert_eq!(quote.outcome, Outcome::NeedsReview);
    for lang in [Lang::ZhCn, Lang::En] {
        let notes = l.breakdown(&quote, lang).notes.join(" ");
        assert_eq!(
            notes,
            messages::shopper_code_message(
                &Code::AutoApproveRecentRequests { count: 6, max: 5 },
                lang,
                Currency::Cny
            )
        );
        assert!(
            !notes.contains('6') && !notes.contains('5') && !notes.contains("30"),
            "neither the count nor the rule: {notes}"
        );
    }
}

#[test]
fn a_delivered_order_offers_no_not_received_and_starts_as_a_return() {
    let check = |delivered: bool, kind: RequestKind, not_received: bool| {
        let l = loaded_with(order_json(delivered), policy(), json!({}));
        let offered: Vec<Reason> = l.reasons(Lang::En).into_iter().map(|(r, _)| r).collect();
        assert_eq!(
            offered.contains(&Reason::NotReceived),
            not_received,
            "delivered={delivered}: {offered:?}"
        );
        assert_eq!(
            Draft::for_order(&l).kind,
            Some(kind),
            "delivered={delivered}"
        );
    };
    check(true, RequestKind::ReturnAndRefund, false);
    check(false, RequestKind::RefundOnly, true);
}

#[test]
fn a_saved_not_received_draft_loses_its_reason_once_the_order_is_delivered() {
    let before = loaded_with(order_json(false), policy(), json!({}));
    let mut saved = Draft::for_order(&before);
    saved.reason = Some(Reason::NotReceived);
    let fitted = saved.fitted(&loaded());
    assert_eq!(fitted.reason, None);
}

#[test]
fn a_request_that_ended_without_a_refund_shows_no_amount_but_what_to_do_next() {
    let check = |state: State, kind: RequestKind, money: bool, next: Option<&str>| {
        let view: RequestView = serde_json::from_value(json!({
            "id": "rq_1", "number": "RF1", "order_number": "T-1", "kind": kind, "reason": "changed_mind",
            "state": state, "submitted_at": now(),
            "quote": {"currency": "CNY", "total": "79.00", "components": [], "split": []},
            "history": []
        }))
        .unwrap();
        assert_eq!(shows_money(&view), money, "{state:?} {kind:?}");
        assert_eq!(next_step(&view, Lang::En), next, "{state:?}");
    };
    let en = crate::texts::desk_texts(Lang::En);
    check(
        State::Rejected,
        RequestKind::RefundOnly,
        false,
        Some(en.rejected_next),
    );
    check(
        State::Cancelled,
        RequestKind::ReturnAndRefund,
        false,
        Some(en.cancelled_next),
    );
    check(
        State::Closed,
        RequestKind::ReturnAndRefund,
        false,
        Some(en.closed_next),
    );
    check(State::Submitted, RequestKind::ReturnAndRefund, true, None);
    check(State::Refunded, RequestKind::RefundOnly, true, None);
    check(State::Approved, RequestKind::Exchange, false, None);
}

#[test]
fn a_step_left_in_the_form_reads_as_almost_there_and_a_refusal_as_not_eligible() {
    let l = loaded();
    let quote_of = |d: &Draft| match l.quote(d, now()) {
        LiveQuote::Ready(quote) => *quote,
        other => panic!("the draft is complete: {other:?}"),
    };
    // A no-reason return without the intact-goods confirmation: a step to finish.
    let mut unconfirmed = draft(
        RequestKind::ReturnAndRefund,
        Some(Reason::ChangedMind),
        &[("L1", 1)],
    );
    unconfirmed.goods_intact = false;
    let steps_only = quote_of(&unconfirmed);
    assert_eq!(steps_only.outcome, Outcome::Ineligible);
    assert!(to_finish(&steps_only), "{:?}", steps_only.codes);
    assert!(l.breakdown(&steps_only, Lang::En).to_finish);

    // Once the rules refuse anything, on the request or on a line, it is a refusal.
    let mut refused = steps_only.clone();
    refused.codes.push(Code::KindDisabled {
        kind: RequestKind::ReturnAndRefund,
    });
    assert!(!to_finish(&refused));
    let mut line_refused = steps_only;
    line_refused.lines[0].outcome = Outcome::Ineligible;
    line_refused.lines[0].codes.push(Code::FinalSale);
    assert!(!to_finish(&line_refused));
    let eligible = quote_of(&draft(
        RequestKind::ReturnAndRefund,
        Some(Reason::SizeMismatch),
        &[("L1", 1)],
    ));
    assert!(!to_finish(&eligible), "nothing is left to finish");
}

/// The delivered order whose T-shirt can be exchanged for an L (in stock) or an XL (sold out),
/// with a picture.
fn exchangeable() -> Loaded {
    let mut order = order_json(true);
    order["lines"][0]["image_url"] = json!("https://cdn.example.com/tee.jpg");
    order["lines"][0]["exchange_variants"] = json!([
        {"sku": "TEE-L", "title": "T恤 L", "in_stock": true},
        {"sku": "TEE-XL", "title": "T恤 XL", "in_stock": false}
    ]);
    loaded_with(order, policy(), json!({}))
}

#[test]
fn an_exchange_asks_which_variant_and_carries_the_choice_into_the_quote_and_the_request() {
    let l = exchangeable();
    let mut d = draft(
        RequestKind::Exchange,
        Some(Reason::SizeMismatch),
        &[("L1", 1)],
    );
    let rows = l.rows(&d, now(), Lang::En);
    assert_eq!(
        rows[0].image_url.as_deref(),
        Some("https://cdn.example.com/tee.jpg")
    );
    let listed: Vec<(&str, bool)> = rows[0]
        .variants
        .iter()
        .map(|v| (v.sku.as_str(), v.in_stock))
        .collect();
    assert_eq!(listed, [("TEE-L", true), ("TEE-XL", false)]);
    assert!(rows[2].variants.is_empty(), "the socks list none");

    // Not chosen yet: a step left to do, said next to the line's name, not a refusal.
    let LiveQuote::Ready(quote) = l.quote(&d, now()) else {
        panic!("the draft is complete");
    };
    assert!(to_finish(&quote));
    let b = l.breakdown(&quote, Lang::En);
    assert!(
        b.notes
            .iter()
            .any(|n| n == "T恤: Choose what to exchange it for."),
        "{:?}",
        b.notes
    );

    // A sold-out variant cannot be chosen: the draft's pick is not sent.
    d.set_exchange("L1", "TEE-XL");
    assert_eq!(l.rows(&d, now(), Lang::En)[0].exchange_for, None);
    assert!(matches!(l.quote(&d, now()), LiveQuote::Ready(q) if to_finish(&q)));

    d.set_exchange("L1", "TEE-L");
    let wire = l.request_wire(&d, now()).unwrap();
    assert_eq!(wire.lines[0].exchange_for.as_deref(), Some("TEE-L"));
    let LiveQuote::Ready(quote) = l.quote(&d, now()) else {
        panic!("the draft is complete");
    };
    assert_eq!(quote.outcome, Outcome::NeedsReview);
    assert_eq!(l.breakdown(&quote, Lang::En).exchanges, ["T恤 × 1 → T恤 L"]);

    // Another kind sends no variant, and the list is not offered.
    d.kind = Some(RequestKind::ReturnAndRefund);
    assert!(l.rows(&d, now(), Lang::En)[0].variants.is_empty());
    assert_eq!(
        l.request_wire(&d, now()).unwrap().lines[0].exchange_for,
        None
    );
}

#[test]
fn a_recorded_exchange_says_what_comes_instead() {
    let l = exchangeable();
    let r = recorded(json!({
        "kind": "exchange",
        "lines": [{"line_id": "L1", "sku": "TEE", "title": "T恤", "quantity": 1,
                   "exchange_for": {"sku": "TEE-L", "title": "T恤 L", "in_stock": true}}]
    }));
    let b = l.recorded_breakdown(&r.quote, &r.lines, Lang::ZhCn);
    assert_eq!(b.exchanges, ["T恤 × 1 → T恤 L"]);
}

#[test]
fn the_order_says_until_when_a_no_reason_return_is_possible_naming_the_merchants_zone_only_when_it_differs()
 {
    // Delivered 11-18 04:00 UTC (12:00 at +08:00); seven days: the last day is 25 Nov at +08:00.
    let l = loaded();
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    assert_eq!(
        l.no_reason_window(now(), beijing, Lang::En).as_deref(),
        Some("No-reason returns until 25 Nov 2026, 23:59")
    );
    assert_eq!(
        l.no_reason_window(now(), FixedOffset::east_opt(0).unwrap(), Lang::ZhCn)
            .as_deref(),
        Some("无理由退货可申请至 2026年11月25日 23:59 (UTC+08:00)")
    );
    let later = now() + TimeDelta::days(6);
    assert_eq!(
        l.no_reason_window(later, beijing, Lang::En).as_deref(),
        Some("No-reason returns ended 25 Nov 2026, 23:59")
    );
    // Not delivered yet, or no such returns at this store: nothing to say.
    let in_transit = loaded_with(order_json(false), policy(), json!({}));
    assert_eq!(in_transit.no_reason_window(now(), beijing, Lang::En), None);
    let none = loaded_with(
        order_json(true),
        json!({"utc_offset": "+08:00", "reasons": {"changed_mind": {"disabled": true}}}),
        json!({}),
    );
    assert_eq!(none.no_reason_window(now(), beijing, Lang::En), None);
}

#[test]
fn the_shoppers_own_times_carry_no_zone_label() {
    let at: DateTime<Utc> = "2026-11-20T06:05:00Z".parse().unwrap();
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    assert_eq!(format_time(at, beijing, Lang::En), "20 Nov 2026, 14:05");
    assert_eq!(format_time(at, beijing, Lang::ZhCn), "2026年11月20日 14:05");
}
