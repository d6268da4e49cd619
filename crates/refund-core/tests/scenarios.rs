//! Scenario table for the refund engine: each case is an order, a policy, the requests already
//! recorded on it, one new request and the exact quote expected, written in the compact form
//! [`render`] produces. Amounts are worked out by hand from PRODUCT.md §6 in each case's comment.

use chrono::{DateTime, Utc};
use refund_core::wire::{OrderWire, PolicyWire, RequestWire};
use refund_core::{Context, Ledger, Order, Policy, Quote, RefundRequest, quote};
use serde_json::{Value, json};

struct Case {
    name: &'static str,
    order: Value,
    policy: Value,
    /// Requests recorded before, in order, each quoted at `now`.
    history: Vec<Value>,
    /// Positions in `history` of requests cancelled after all of them were recorded.
    cancelled: &'static [usize],
    /// A ledger received over the wire, used instead of `history`.
    ledger: Option<Value>,
    request: Value,
    now: &'static str,
    recent_requests: u32,
    expect: &'static str,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            name: "",
            order: base_order(),
            policy: json!({}),
            history: vec![],
            cancelled: &[],
            ledger: None,
            request: json!({}),
            now: "2026-11-06T12:00:00+08:00",
            recent_requests: 0,
            expect: "",
        }
    }
}

/// Delivered order in CNY: two shirts at 99.00 (one line of 3), a mug at 50.00, 10.00 shipping,
/// paid 357.00 by Alipay. Shipped 11-02, delivered 11-04 15:00 in +08:00.
fn base_order() -> Value {
    json!({
        "number": "A1001",
        "currency": "CNY",
        "customer_email": "li.lei@example.com",
        "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00",
        "paid_at": "2026-11-01T10:01:00+08:00",
        "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "L1", "sku": "SHIRT-M", "title": "Oxford shirt", "unit_price": "99.00", "quantity": 3, "category": "apparel"},
            {"id": "L2", "sku": "MUG", "title": "Mug", "unit_price": "50.00", "quantity": 1, "category": "home"}
        ],
        "shipping_fee": "10.00",
        "payments": [{"method": "alipay", "amount": "357.00"}]
    })
}

/// RFC 7386 merge patch, so each case states only what differs from the base.
fn merge(mut base: Value, patch: Value) -> Value {
    merge_into(&mut base, patch);
    base
}

fn merge_into(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    base.remove(&key);
                } else {
                    merge_into(base.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        (base, patch) => *base = patch,
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn quote_json(
    order: &Order,
    policy: &Policy,
    ledger: &Ledger,
    request: &Value,
    context: Context,
) -> Quote {
    let wire: RequestWire = serde_json::from_value(request.clone()).expect("request JSON");
    let request = RefundRequest::new(order, &wire).expect("request fits the order");
    quote(order, policy, ledger, &request, context).expect("quote")
}

/// The quote in a compact, line-per-fact form.
fn render(q: &Quote) -> String {
    let mut out = vec![format!("outcome {}", json_str(&q.outcome))];
    for line in &q.lines {
        let codes: Vec<String> = line.codes.iter().map(|c| c.name().to_owned()).collect();
        let mut text = format!(
            "line {} x{} {}",
            line.line_id,
            line.quantity,
            json_str(&line.outcome)
        );
        if let Some(variant) = &line.exchange_for {
            text.push_str(&format!(" for {}", variant.sku));
        }
        if !codes.is_empty() {
            text.push_str(&format!(": {}", codes.join(", ")));
        }
        out.push(text);
    }
    if !q.codes.is_empty() {
        let codes: Vec<&str> = q.codes.iter().map(|c| c.name()).collect();
        out.push(format!("codes {}", codes.join(", ")));
    }
    for c in &q.components {
        let detail = match c {
            refund_core::Component::Item {
                line_id, quantity, ..
            } => format!(" {line_id} x{quantity}"),
            refund_core::Component::LostThresholdDiscount { discount_id, .. } => {
                format!(" {discount_id}")
            }
            refund_core::Component::MissingGift { line_id, units, .. } => {
                format!(" {line_id} x{units}")
            }
            _ => String::new(),
        };
        out.push(format!("{}{detail} {}", c.name(), c.amount().0));
    }
    out.push(format!("total {}", q.total.0));
    for s in &q.split {
        out.push(format!("split {} {}", json_str(&s.method), s.amount.0));
    }
    out.join("\n")
}

fn json_str<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn check(case: Case) {
    let expect = case.expect;
    check_against(case, expect);
}

fn check_against(case: Case, expect: &str) {
    let order_wire: OrderWire = serde_json::from_value(case.order).expect("order JSON");
    let order = Order::new(&order_wire).unwrap_or_else(|e| panic!("{}: order: {e}", case.name));
    let policy_wire: PolicyWire = serde_json::from_value(case.policy).expect("policy JSON");
    let policy = Policy::new(&policy_wire).unwrap_or_else(|e| panic!("{}: policy: {e}", case.name));
    let context = Context {
        now: at(case.now),
        recent_requests: case.recent_requests,
    };
    let mut ledger = Ledger::new(&order);
    let mut recorded = Vec::new();
    for earlier in &case.history {
        let q = quote_json(&order, &policy, &ledger, earlier, context);
        ledger
            .record(&order, &q)
            .unwrap_or_else(|e| panic!("{}: recording history: {e}\n{}", case.name, render(&q)));
        recorded.push(q);
    }
    if !case.cancelled.is_empty() {
        let live = recorded
            .iter()
            .enumerate()
            .filter(|(i, _)| !case.cancelled.contains(i))
            .map(|(_, q)| q);
        ledger = Ledger::from_quotes(&order, live).expect("live requests fit the order");
    }
    if let Some(wire) = case.ledger {
        let wire: refund_core::wire::LedgerWire =
            serde_json::from_value(wire).expect("ledger JSON");
        ledger = Ledger::from_wire(&order, &wire).expect("ledger fits the order");
    }
    let q = quote_json(&order, &policy, &ledger, &case.request, context);
    let expected: Vec<&str> = expect.trim().lines().map(str::trim).collect();
    assert_eq!(render(&q), expected.join("\n"), "case: {}", case.name);
    let sum: rust_decimal::Decimal = q.components.iter().map(|c| c.amount().0).sum();
    assert_eq!(sum, q.total.0, "{}: components sum to the total", case.name);
    let split: rust_decimal::Decimal = q.split.iter().map(|s| s.amount.0).sum();
    assert_eq!(
        split, q.total.0,
        "{}: the split sums to the total",
        case.name
    );
}

fn req(kind: &str, reason: &str, lines: &[(&str, u32)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(id, q)| json!({"line_id": id, "quantity": q}))
        .collect();
    let mut r = json!({"kind": kind, "reason": reason, "lines": lines});
    if reason == "other" {
        r["note"] = json!("colour differs from the photo");
    }
    if [
        "quality_issue",
        "damaged_in_transit",
        "wrong_item",
        "not_as_described",
    ]
    .contains(&reason)
    {
        r["evidence_files"] = json!(1);
    }
    if [
        "size_mismatch",
        "changed_mind",
        "ordered_by_mistake",
        "other",
    ]
    .contains(&reason)
    {
        r["goods_intact"] = json!(true);
    }
    r
}

fn with(mut request: Value, patch: Value) -> Value {
    merge_into(&mut request, patch);
    request
}

/// Auto-approval for everyday amounts, so cases that should pass come out `eligible`.
fn auto() -> Value {
    json!({
        "auto_approve": {"reasons": ["not_received", "quality_issue", "damaged_in_transit", "wrong_item",
                                      "not_as_described", "size_mismatch", "changed_mind", "ordered_by_mistake", "other"],
                         "max_recent_requests": 3},
        "amounts": {"CNY": {"auto_approve_max": "500.00"}, "JPY": {"auto_approve_max": "50000"},
                    "KWD": {"auto_approve_max": "500.000"}}
    })
}

fn unshipped() -> Value {
    merge(
        base_order(),
        json!({"shipped_at": null, "delivered_at": null}),
    )
}

fn in_transit() -> Value {
    merge(base_order(), json!({"delivered_at": null}))
}

#[test]
fn a_seller_fault_return_of_one_unit_is_refunded_at_its_share_and_auto_approved() {
    // 297.00 / 3 units = 99.00 a unit; no deductions on seller fault.
    check(Case {
        name: "seller fault, one unit",
        policy: auto(),
        request: req("return_and_refund", "quality_issue", &[("L1", 1)]),
        expect: "
            outcome eligible
            line L1 x1 eligible
            item L1 x1 99.00
            total 99.00
            split alipay 99.00",
        ..Case::default()
    });
}

#[test]
fn without_auto_approval_every_request_waits_for_the_merchant() {
    check(Case {
        name: "manual review",
        request: req("return_and_refund", "quality_issue", &[("L1", 1)]),
        expect: "
            outcome needs_review
            line L1 x1 eligible
            codes manual_review
            item L1 x1 99.00
            total 99.00
            split alipay 99.00",
        ..Case::default()
    });
}

#[test]
fn auto_approval_stops_above_its_amount_for_excluded_reasons_and_for_frequent_requesters() {
    let policy = merge(
        auto(),
        json!({"amounts": {"CNY": {"auto_approve_max": "98.99"}}}),
    );
    check(Case {
        name: "amount above the auto-approval maximum",
        policy,
        request: req("return_and_refund", "quality_issue", &[("L1", 1)]),
        expect: "
            outcome needs_review
            line L1 x1 eligible
            codes auto_approve_amount_exceeded
            item L1 x1 99.00
            total 99.00
            split alipay 99.00",
        ..Case::default()
    });
    check(Case {
        name: "reason outside the auto-approval set",
        policy: merge(
            auto(),
            json!({"auto_approve": {"reasons": ["not_received"], "max_recent_requests": 3}}),
        ),
        request: req("return_and_refund", "quality_issue", &[("L1", 1)]),
        expect: "
            outcome needs_review
            line L1 x1 eligible
            codes auto_approve_reason_excluded
            item L1 x1 99.00
            total 99.00
            split alipay 99.00",
        ..Case::default()
    });
    check(Case {
        name: "three requests in 30 days already",
        policy: auto(),
        recent_requests: 3,
        request: req("return_and_refund", "quality_issue", &[("L1", 1)]),
        expect: "
            outcome needs_review
            line L1 x1 eligible
            codes auto_approve_recent_requests
            item L1 x1 99.00
            total 99.00
            split alipay 99.00",
        ..Case::default()
    });
}

#[test]
fn unpaid_and_cancelled_orders_cannot_be_refunded() {
    check(Case {
        name: "unpaid",
        order: merge(unshipped(), json!({"status": "unpaid"})),
        request: req("refund_only", "ordered_by_mistake", &[("L2", 1)]),
        expect: "
            outcome ineligible
            line L2 x1 ineligible: order_unpaid
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "cancelled",
        order: merge(unshipped(), json!({"status": "cancelled"})),
        request: req("refund_only", "ordered_by_mistake", &[("L2", 1)]),
        expect: "
            outcome ineligible
            line L2 x1 ineligible: order_cancelled
            total 0.00",
        ..Case::default()
    });
}

#[test]
fn quantities_must_be_at_least_one_and_at_most_what_is_left() {
    check(Case {
        name: "quantity zero",
        request: req("return_and_refund", "quality_issue", &[("L1", 0)]),
        expect: "
            outcome ineligible
            line L1 x0 ineligible: quantity_zero
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "more than what is left after an open request",
        history: vec![req("return_and_refund", "quality_issue", &[("L1", 2)])],
        request: req("return_and_refund", "quality_issue", &[("L1", 2)]),
        expect: "
            outcome ineligible
            line L1 x2 ineligible: quantity_exceeds_available
            total 0.00",
        ..Case::default()
    });
}

#[test]
fn goods_must_be_delivered_before_they_can_be_returned_or_exchanged() {
    check(Case {
        name: "return before delivery",
        order: in_transit(),
        request: req("return_and_refund", "size_mismatch", &[("L1", 1)]),
        expect: "
            outcome ineligible
            line L1 x1 ineligible: not_delivered
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "exchange before delivery",
        order: in_transit(),
        request: req("exchange", "size_mismatch", &[("L1", 1)]),
        expect: "
            outcome ineligible
            line L1 x1 ineligible: not_delivered
            codes exchange_review
            total 0.00",
        ..Case::default()
    });
}

#[test]
fn not_received_is_refused_once_delivered_and_before_the_waiting_days_after_shipping() {
    check(Case {
        name: "not received on a delivered order",
        request: req("refund_only", "not_received", &[("L2", 1)]),
        expect: "
            outcome ineligible
            line L2 x1 ineligible: already_delivered
            total 0.00",
        ..Case::default()
    });
    // Shipped 11-02 10:00 +08:00; waiting 5 days means from 11-07 10:00 +08:00.
    let policy = merge(auto(), json!({"not_received_after_days": 5}));
    check(Case {
        name: "not received too early",
        order: in_transit(),
        policy: policy.clone(),
        now: "2026-11-07T09:59:59+08:00",
        request: req("refund_only", "not_received", &[("L2", 1)]),
        expect: "
            outcome ineligible
            line L2 x1 ineligible: not_received_too_early
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "not received once the waiting days passed",
        order: in_transit(),
        policy,
        now: "2026-11-07T10:00:00+08:00",
        request: req("refund_only", "not_received", &[("L2", 1)]),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}

#[test]
fn the_no_reason_window_ends_at_local_midnight_after_its_last_day() {
    // Delivered 11-04 15:00 +08:00: the 7 days are 11-05 … 11-11.
    check(Case {
        name: "last second inside the window",
        policy: auto(),
        now: "2026-11-11T23:59:59+08:00",
        request: req("return_and_refund", "changed_mind", &[("L2", 1)]),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
    check(Case {
        name: "first second outside the window",
        policy: auto(),
        now: "2026-11-12T00:00:00+08:00",
        request: req("return_and_refund", "changed_mind", &[("L2", 1)]),
        expect: "
            outcome ineligible
            line L2 x1 ineligible: no_reason_window_closed
            total 0.00",
        ..Case::default()
    });
    // 11-04 20:00 UTC is already 11-05 04:00 in +08:00, so the window runs to 11-12.
    check(Case {
        name: "delivery day is the merchant's local day, not the UTC day",
        order: merge(
            base_order(),
            json!({"delivered_at": "2026-11-04T20:00:00Z"}),
        ),
        policy: auto(),
        now: "2026-11-12T23:59:59+08:00",
        request: req("return_and_refund", "changed_mind", &[("L2", 1)]),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}

#[test]
fn seller_fault_reasons_have_their_own_longer_window() {
    // 15 days after 11-04: the last day is 11-19.
    check(Case {
        name: "quality window closed",
        now: "2026-11-20T00:00:00+08:00",
        request: req("return_and_refund", "quality_issue", &[("L2", 1)]),
        expect: "
            outcome ineligible
            line L2 x1 ineligible: quality_window_closed
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "quality issue after the no-reason window but inside its own",
        policy: auto(),
        now: "2026-11-19T23:59:59+08:00",
        request: req("return_and_refund", "quality_issue", &[("L2", 1)]),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}

#[test]
fn final_sale_excluded_categories_and_waived_lines_refuse_shopper_fault_but_not_seller_fault() {
    let order = merge(
        base_order(),
        json!({"lines": [
            {"id": "L1", "sku": "SHIRT-M", "title": "Oxford shirt", "unit_price": "99.00", "quantity": 3,
             "category": "apparel", "final_sale": true},
            {"id": "L2", "sku": "CAKE", "title": "Cake", "unit_price": "50.00", "quantity": 1,
             "category": "perishable", "no_reason_waived": true}
        ]}),
    );
    check(Case {
        name: "shopper fault",
        order: order.clone(),
        request: req("return_and_refund", "changed_mind", &[("L1", 1), ("L2", 1)]),
        expect: "
            outcome ineligible
            line L1 x1 ineligible: final_sale
            line L2 x1 ineligible: excluded_category, no_reason_waived
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "seller fault",
        order,
        policy: auto(),
        request: req("return_and_refund", "wrong_item", &[("L1", 1), ("L2", 1)]),
        expect: "
            outcome eligible
            line L1 x1 eligible
            line L2 x1 eligible
            item L1 x1 99.00
            item L2 x1 50.00
            total 149.00
            split alipay 149.00",
        ..Case::default()
    });
}

#[test]
fn missing_confirmation_evidence_or_note_blocks_the_request_but_still_shows_the_amount() {
    check(Case {
        name: "intact goods not confirmed",
        request: with(
            req("return_and_refund", "size_mismatch", &[("L2", 1)]),
            json!({"goods_intact": false}),
        ),
        expect: "
            outcome ineligible
            line L2 x1 eligible
            codes intact_confirmation_missing
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
    check(Case {
        name: "no photo for a quality issue",
        request: with(
            req("return_and_refund", "quality_issue", &[("L2", 1)]),
            json!({"evidence_files": 0}),
        ),
        expect: "
            outcome ineligible
            line L2 x1 eligible
            codes evidence_required
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
    check(Case {
        name: "other without a note",
        request: with(
            req("return_and_refund", "other", &[("L2", 1)]),
            json!({"note": "   "}),
        ),
        expect: "
            outcome ineligible
            line L2 x1 eligible
            codes note_required
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}

#[test]
fn kinds_and_reasons_the_merchant_disabled_are_refused() {
    check(Case {
        name: "disabled kind and reason",
        policy: json!({"kinds": ["refund_only"], "reasons": {"quality_issue": {"disabled": true}}}),
        request: req("return_and_refund", "quality_issue", &[("L2", 1)]),
        expect: "
            outcome ineligible
            line L2 x1 eligible
            codes kind_disabled, reason_disabled
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}

#[test]
fn keeping_delivered_goods_needs_review_above_the_keep_the_item_threshold() {
    let policy = merge(
        auto(),
        json!({"amounts": {"CNY": {"keep_item_threshold": "50.00"}}}),
    );
    check(Case {
        name: "at the threshold",
        policy: policy.clone(),
        request: req("refund_only", "damaged_in_transit", &[("L2", 1)]),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
    check(Case {
        name: "above the threshold",
        policy,
        request: req("refund_only", "damaged_in_transit", &[("L1", 1)]),
        expect: "
            outcome needs_review
            line L1 x1 eligible
            codes keep_item_review
            item L1 x1 99.00
            total 99.00
            split alipay 99.00",
        ..Case::default()
    });
}

#[test]
fn refund_only_while_the_parcel_travels_needs_review_unless_it_is_not_received() {
    check(Case {
        name: "in transit, changed mind",
        order: in_transit(),
        policy: auto(),
        request: req("refund_only", "changed_mind", &[("L2", 1)]),
        expect: "
            outcome needs_review
            line L2 x1 eligible
            codes in_transit_review
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}

#[test]
fn exchanges_move_no_money_and_are_always_reviewed() {
    check(Case {
        name: "exchange",
        policy: auto(),
        request: req("exchange", "size_mismatch", &[("L1", 1)]),
        expect: "
            outcome needs_review
            line L1 x1 eligible
            codes exchange_review
            total 0.00",
        ..Case::default()
    });
}

/// The base order whose shirts can be exchanged for an L (in stock) or an XL (sold out).
fn exchangeable(l_in_stock: bool) -> Value {
    merge(
        base_order(),
        json!({"lines": [
            {"id": "L1", "sku": "SHIRT-M", "title": "Oxford shirt", "unit_price": "99.00", "quantity": 3,
             "category": "apparel",
             "exchange_variants": [
                 {"sku": "SHIRT-L", "title": "Oxford shirt, L", "in_stock": l_in_stock},
                 {"sku": "SHIRT-XL", "title": "Oxford shirt, XL", "in_stock": false}]},
            {"id": "L2", "sku": "MUG", "title": "Mug", "unit_price": "50.00", "quantity": 1, "category": "home"}
        ]}),
    )
}

fn exchange_for(sku: &str) -> Value {
    let mut r = req("exchange", "size_mismatch", &[("L1", 1)]);
    r["lines"][0]["exchange_for"] = json!(sku);
    r
}

#[test]
fn an_exchange_names_an_in_stock_variant_when_the_line_lists_any() {
    check(Case {
        name: "variant chosen",
        order: exchangeable(true),
        policy: auto(),
        request: exchange_for("SHIRT-L"),
        expect: "
            outcome needs_review
            line L1 x1 eligible for SHIRT-L
            codes exchange_review
            total 0.00",
        ..Case::default()
    });
    // Choosing is a step left to do, not a refusal.
    check(Case {
        name: "no variant chosen",
        order: exchangeable(true),
        policy: auto(),
        request: req("exchange", "size_mismatch", &[("L1", 1)]),
        expect: "
            outcome ineligible
            line L1 x1 ineligible: exchange_choice_missing
            codes exchange_review
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "sold-out variant chosen",
        order: exchangeable(true),
        policy: auto(),
        request: exchange_for("SHIRT-XL"),
        expect: "
            outcome ineligible
            line L1 x1 ineligible for SHIRT-XL: variant_out_of_stock
            codes exchange_review
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "every variant sold out",
        order: exchangeable(false),
        policy: auto(),
        request: req("exchange", "size_mismatch", &[("L1", 1)]),
        expect: "
            outcome ineligible
            line L1 x1 ineligible: nothing_to_exchange_for, exchange_choice_missing
            codes exchange_review
            total 0.00",
        ..Case::default()
    });
    // A line that lists no variants is exchanged for the same item.
    check(Case {
        name: "nothing listed",
        order: exchangeable(true),
        policy: auto(),
        request: req("exchange", "size_mismatch", &[("L2", 1)]),
        expect: "
            outcome needs_review
            line L2 x1 eligible
            codes exchange_review
            total 0.00",
        ..Case::default()
    });
}

#[test]
fn flagged_orders_send_every_request_to_review_naming_the_flag() {
    // Two coupons, one not stackable, one used before its validity began.
    let order = merge(
        base_order(),
        json!({
            "discounts": [
                {"id": "NEW10", "kind": "coupon", "amount": "10.00", "valid_from": "2026-11-02T00:00:00+08:00"},
                {"id": "VIP5", "kind": "coupon", "amount": "5.00", "stackable": true}
            ],
            "payments": [{"method": "alipay", "amount": "342.00"}]
        }),
    );
    check(Case {
        name: "flagged order",
        order,
        policy: auto(),
        request: req("return_and_refund", "quality_issue", &[("L2", 1)]),
        // 15.00 of discounts over nets 297.00 and 50.00: L2 gets 15 × 50 / 347 = 2.161… → 2.16.
        expect: "
            outcome needs_review
            line L2 x1 eligible
            codes order_flagged, order_flagged
            item L2 x1 47.84
            total 47.84
            split alipay 47.84",
        ..Case::default()
    });
}

#[test]
fn refunds_above_the_cap_are_always_reviewed() {
    check(Case {
        name: "above the cap",
        policy: merge(
            auto(),
            json!({"amounts": {"CNY": {"review_cap": "100.00"}}}),
        ),
        request: req("return_and_refund", "quality_issue", &[("L1", 2)]),
        expect: "
            outcome needs_review
            line L1 x2 eligible
            codes above_review_cap
            item L1 x2 198.00
            total 198.00
            split alipay 198.00",
        ..Case::default()
    });
}

#[test]
fn one_line_refunded_over_three_requests_adds_up_exactly_to_what_was_paid_for_it() {
    // 100.00 for 3 units: C(1) = 33.33, C(2) = 66.67, C(3) = 100.00.
    let order = merge(
        base_order(),
        json!({
            "lines": [{"id": "L1", "sku": "TEA", "title": "Tea", "unit_price": "100.00", "quantity": 3, "line_discount": "200.00"},
                      {"id": "L2", "sku": "MUG", "title": "Mug", "unit_price": "50.00", "quantity": 1}],
            "payments": [{"method": "alipay", "amount": "160.00"}]
        }),
    );
    let one = req("return_and_refund", "quality_issue", &[("L1", 1)]);
    for (history, expected) in [(0, "33.33"), (1, "33.34"), (2, "33.33")] {
        let expect = format!(
            "outcome eligible
             line L1 x1 eligible
             item L1 x1 {expected}
             total {expected}
             split alipay {expected}"
        );
        let case = Case {
            name: "one unit at a time",
            order: order.clone(),
            policy: auto(),
            history: vec![one.clone(); history],
            request: one.clone(),
            ..Case::default()
        };
        check_against(case, &expect);
    }
}

#[test]
fn an_order_coupon_is_split_by_largest_remainder_with_ties_to_the_earlier_line() {
    // 10.00 over three lines of 100.00: 3.33 each and the left-over cent to the first line.
    let order = json!({
        "number": "C1", "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "A", "sku": "A", "title": "A", "unit_price": "100.00", "quantity": 1},
            {"id": "B", "sku": "B", "title": "B", "unit_price": "100.00", "quantity": 1},
            {"id": "C", "sku": "C", "title": "C", "unit_price": "100.00", "quantity": 1}
        ],
        "discounts": [{"id": "SAVE10", "kind": "coupon", "amount": "10.00"}],
        "shipping_fee": "0.00",
        "payments": [{"method": "wechat_pay", "amount": "290.00"}]
    });
    check(Case {
        name: "coupon with a remainder",
        order,
        policy: auto(),
        request: req("return_and_refund", "quality_issue", &[("A", 1), ("B", 1)]),
        expect: "
            outcome eligible
            line A x1 eligible
            line B x1 eligible
            item A x1 96.66
            item B x1 96.67
            total 193.33
            split wechat_pay 193.33",
        ..Case::default()
    });
}

/// 满200减30 over a 150.00 coat and a 100.00 scarf: the coat carries 18.00 of it, the scarf 12.00.
fn threshold_order() -> Value {
    json!({
        "number": "T1", "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "COAT", "sku": "COAT", "title": "Coat", "unit_price": "150.00", "quantity": 1},
            {"id": "SCARF", "sku": "SCARF", "title": "Scarf", "unit_price": "100.00", "quantity": 1}
        ],
        "discounts": [{"id": "200-30", "kind": "threshold", "amount": "30.00", "threshold": "200.00"}],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "220.00"}]
    })
}

#[test]
fn a_threshold_discount_is_prorated_by_default() {
    check(Case {
        name: "满减 prorate",
        order: threshold_order(),
        policy: auto(),
        request: req("return_and_refund", "changed_mind", &[("SCARF", 1)]),
        expect: "
            outcome eligible
            line SCARF x1 eligible
            item SCARF x1 88.00
            total 88.00
            split alipay 88.00",
        ..Case::default()
    });
}

#[test]
fn in_resettle_mode_dropping_below_the_threshold_loses_the_discount_on_the_kept_goods() {
    // Kept: the coat, 150.00 < 200.00, so its 18.00 share of the discount is taken back.
    check(Case {
        name: "满减 resettle",
        order: threshold_order(),
        policy: merge(auto(), json!({"threshold_mode": "resettle"})),
        request: req("return_and_refund", "changed_mind", &[("SCARF", 1)]),
        expect: "
            outcome eligible
            line SCARF x1 eligible
            item SCARF x1 88.00
            lost_threshold_discount 200-30 -18.00
            total 70.00
            split alipay 70.00",
        ..Case::default()
    });
    check(Case {
        name: "满减 resettle on a seller-fault return takes nothing back",
        order: threshold_order(),
        policy: merge(auto(), json!({"threshold_mode": "resettle"})),
        request: req("return_and_refund", "wrong_item", &[("SCARF", 1)]),
        expect: "
            outcome eligible
            line SCARF x1 eligible
            item SCARF x1 88.00
            total 88.00
            split alipay 88.00",
        ..Case::default()
    });
}

#[test]
fn falling_below_the_free_shipping_threshold_costs_the_standard_shipping_once() {
    // Shipped free because 120.00 ≥ 99.00; keeping 60.00 loses it: 10.00 standard shipping.
    let order = json!({
        "number": "F1", "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "A", "sku": "A", "title": "A", "unit_price": "60.00", "quantity": 1},
            {"id": "B", "sku": "B", "title": "B", "unit_price": "30.00", "quantity": 2}
        ],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "120.00"}]
    });
    let policy = merge(
        auto(),
        json!({"amounts": {"CNY": {"free_shipping_threshold": "99.00", "standard_shipping_fee": "10.00"}}}),
    );
    check(Case {
        name: "lost free shipping",
        order: order.clone(),
        policy: policy.clone(),
        request: req("return_and_refund", "changed_mind", &[("B", 1)]),
        expect: "
            outcome eligible
            line B x1 eligible
            item B x1 30.00
            lost_free_shipping -10.00
            total 20.00
            split alipay 20.00",
        ..Case::default()
    });
    check(Case {
        name: "charged once per order",
        order,
        policy,
        history: vec![req("return_and_refund", "changed_mind", &[("B", 1)])],
        request: req("return_and_refund", "changed_mind", &[("B", 1)]),
        expect: "
            outcome eligible
            line B x1 eligible
            item B x1 30.00
            total 30.00
            split alipay 30.00",
        ..Case::default()
    });
}

/// A 200.00 kettle with a free gift worth 20.00 a unit.
fn gift_order() -> Value {
    json!({
        "number": "G1", "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "KETTLE", "sku": "K", "title": "Kettle", "unit_price": "200.00", "quantity": 1},
            {"id": "GIFT", "sku": "G", "title": "Tea sampler", "unit_price": "0.00", "quantity": 1,
             "gift": {"of": "KETTLE", "unit_value": "20.00"}}
        ],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "200.00"}]
    })
}

#[test]
fn returning_an_item_without_its_free_gift_deducts_the_gift_value() {
    check(Case {
        name: "gift kept",
        order: gift_order(),
        policy: auto(),
        request: req("return_and_refund", "changed_mind", &[("KETTLE", 1)]),
        expect: "
            outcome eligible
            line KETTLE x1 eligible
            item KETTLE x1 200.00
            missing_gift GIFT x1 -20.00
            total 180.00
            split alipay 180.00",
        ..Case::default()
    });
    check(Case {
        name: "gift returned too",
        order: gift_order(),
        policy: auto(),
        request: req(
            "return_and_refund",
            "changed_mind",
            &[("KETTLE", 1), ("GIFT", 1)],
        ),
        expect: "
            outcome eligible
            line KETTLE x1 eligible
            line GIFT x1 eligible
            item KETTLE x1 200.00
            item GIFT x1 0.00
            total 200.00
            split alipay 200.00",
        ..Case::default()
    });
}

#[test]
fn shopper_fault_returns_pay_return_shipping_and_restocking_seller_fault_returns_do_not() {
    // 99.00 − 8.00 return shipping − 10% of 99.00 (9.90) = 81.10.
    let policy = merge(
        auto(),
        json!({"restocking_fee_percent": "10", "amounts": {"CNY": {"return_shipping_fee": "8.00"}}}),
    );
    check(Case {
        name: "shopper fault",
        policy: policy.clone(),
        request: req("return_and_refund", "size_mismatch", &[("L1", 1)]),
        expect: "
            outcome eligible
            line L1 x1 eligible
            item L1 x1 99.00
            return_shipping_fee -8.00
            restocking_fee -9.90
            total 81.10
            split alipay 81.10",
        ..Case::default()
    });
    check(Case {
        name: "seller fault",
        policy,
        request: req("return_and_refund", "not_as_described", &[("L1", 1)]),
        expect: "
            outcome eligible
            line L1 x1 eligible
            item L1 x1 99.00
            total 99.00
            split alipay 99.00",
        ..Case::default()
    });
}

#[test]
fn deductions_never_push_the_total_below_zero() {
    // A 5.00 item with an 8.00 return fee: the fee is cut to 5.00 and the total is 0.00.
    let order = merge(
        base_order(),
        json!({"lines": [{"id": "PEN", "sku": "PEN", "title": "Pen", "unit_price": "5.00", "quantity": 1}],
               "payments": [{"method": "alipay", "amount": "15.00"}]}),
    );
    check(Case {
        name: "fee larger than the item",
        order,
        policy: merge(
            auto(),
            json!({"amounts": {"CNY": {"return_shipping_fee": "8.00"}}}),
        ),
        request: req("return_and_refund", "changed_mind", &[("PEN", 1)]),
        expect: "
            outcome eligible
            line PEN x1 eligible
            item PEN x1 5.00
            return_shipping_fee -5.00
            total 0.00",
        ..Case::default()
    });
}

#[test]
fn shipping_comes_back_when_the_last_line_returns_for_a_seller_fault_reason() {
    check(Case {
        name: "last line, seller fault",
        policy: auto(),
        history: vec![req("return_and_refund", "quality_issue", &[("L1", 3)])],
        request: req("return_and_refund", "quality_issue", &[("L2", 1)]),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            shipping_refund 10.00
            total 60.00
            split alipay 60.00",
        ..Case::default()
    });
    check(Case {
        name: "last line, shopper fault",
        policy: auto(),
        history: vec![req("return_and_refund", "quality_issue", &[("L1", 3)])],
        request: req("return_and_refund", "changed_mind", &[("L2", 1)]),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}

#[test]
fn refund_only_before_shipment_is_eligible_whatever_the_reason_and_returns_everything() {
    check(Case {
        name: "未发货仅退款",
        order: unshipped(),
        policy: auto(),
        request: req("refund_only", "changed_mind", &[("L1", 3), ("L2", 1)]),
        expect: "
            outcome eligible
            line L1 x3 eligible
            line L2 x1 eligible
            item L1 x3 297.00
            item L2 x1 50.00
            shipping_refund 10.00
            total 357.00
            split alipay 357.00",
        ..Case::default()
    });
    check(Case {
        name: "未发货仅退款 for a reason that would need a photo later",
        order: unshipped(),
        policy: auto(),
        request: with(
            req("refund_only", "quality_issue", &[("L2", 1)]),
            json!({"evidence_files": 0}),
        ),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}

#[test]
fn yen_amounts_have_no_minor_unit() {
    // 3 × ¥1,000 with a ¥100 coupon: ¥2,900 paid for the line; one unit is round(966.67) = 967.
    let order = json!({
        "number": "J1", "currency": "JPY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+09:00", "shipped_at": "2026-11-02T10:00:00+09:00",
        "delivered_at": "2026-11-04T15:00:00+09:00",
        "lines": [{"id": "CUP", "sku": "CUP", "title": "Cup", "unit_price": "1000", "quantity": 3}],
        "discounts": [{"id": "Y100", "kind": "coupon", "amount": "100"}],
        "shipping_fee": "500",
        "payments": [{"method": "card", "amount": "3400"}]
    });
    check(Case {
        name: "JPY",
        order,
        policy: merge(auto(), json!({"utc_offset": "+09:00"})),
        request: req("return_and_refund", "quality_issue", &[("CUP", 1)]),
        expect: "
            outcome eligible
            line CUP x1 eligible
            item CUP x1 967
            total 967
            split card 967",
        ..Case::default()
    });
}

#[test]
fn dinar_amounts_have_three_decimals() {
    // Nets 3.750 and 2.000; a 0.100 coupon gives 0.065 and 0.035 (the larger remainder gets the
    // left-over fils), so the cups cost 3.685 and one is round(1.22833…) = 1.228.
    let order = json!({
        "number": "K1", "currency": "KWD", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+03:00", "shipped_at": "2026-11-02T10:00:00+03:00",
        "delivered_at": "2026-11-04T15:00:00+03:00",
        "lines": [
            {"id": "CUP", "sku": "CUP", "title": "Cup", "unit_price": "1.250", "quantity": 3},
            {"id": "POT", "sku": "POT", "title": "Pot", "unit_price": "2.000", "quantity": 1}
        ],
        "discounts": [{"id": "K100", "kind": "coupon", "amount": "0.100"}],
        "shipping_fee": "0.500",
        "payments": [{"method": "card", "amount": "6.150"}]
    });
    check(Case {
        name: "KWD",
        order,
        policy: merge(auto(), json!({"utc_offset": "+03:00"})),
        request: req(
            "return_and_refund",
            "quality_issue",
            &[("CUP", 1), ("POT", 1)],
        ),
        expect: "
            outcome eligible
            line CUP x1 eligible
            line POT x1 eligible
            item CUP x1 1.228
            item POT x1 1.965
            total 3.193
            split card 3.193",
        ..Case::default()
    });
}

#[test]
fn a_refund_is_split_across_alipay_and_points_in_proportion_to_what_each_has_left() {
    // 99.00 over 300.00 + 57.00: 83.193… and 15.806…; the left-over cent goes to the larger
    // remainder, points. Points come back as points.
    let order = merge(
        base_order(),
        json!({"payments": [{"method": "alipay", "amount": "300.00"}, {"method": "points", "amount": "57.00"}]}),
    );
    check(Case {
        name: "alipay + points",
        order,
        policy: auto(),
        request: req("return_and_refund", "quality_issue", &[("L1", 1)]),
        expect: "
            outcome eligible
            line L1 x1 eligible
            item L1 x1 99.00
            total 99.00
            split alipay 83.19
            split points 15.81",
        ..Case::default()
    });
}

#[test]
fn after_a_cancellation_a_line_never_refunds_a_cent_more_or_less_than_was_paid() {
    // 5 pins that cost 0.01 together: C(1) = C(2) = 0.00 and C(3) = 0.01, so the third pin
    // refunded took the cent. With the first two requests cancelled, one pin holds 0.01, and the
    // next pin would be C(2) − 0.01 < 0: it is 0.00, and the rest of the line then adds up to
    // exactly the 0.01 paid.
    let order = merge(
        base_order(),
        json!({"lines": [{"id": "PIN", "sku": "PIN", "title": "Pin", "unit_price": "0.01", "quantity": 5,
                          "line_discount": "0.04", "category": "apparel"}],
               "payments": [{"method": "alipay", "amount": "10.01"}]}),
    );
    let one = req("return_and_refund", "quality_issue", &[("PIN", 1)]);
    check(Case {
        name: "cancelled requests leave a unit that took the rounding cent",
        order: order.clone(),
        policy: auto(),
        history: vec![one.clone(), one.clone(), one.clone()],
        cancelled: &[0, 1],
        request: one.clone(),
        expect: "
            outcome eligible
            line PIN x1 eligible
            item PIN x1 0.00
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "the rest of the line after the cancellation",
        order,
        policy: auto(),
        history: vec![one.clone(), one.clone(), one.clone()],
        cancelled: &[0, 1],
        request: req("return_and_refund", "quality_issue", &[("PIN", 4)]),
        expect: "
            outcome eligible
            line PIN x4 eligible
            item PIN x4 0.00
            shipping_refund 10.00
            total 10.00
            split alipay 10.00",
        ..Case::default()
    });
}

#[test]
fn a_deduction_dropped_with_a_cancelled_request_is_charged_to_the_next_return_that_keeps_below() {
    // Free shipping at 99.00 on A 60.00 + B 2 × 30.00. R1 (B×1) takes the 10.00; R2 (A) is not
    // charged again while R1 stands. When R1 is cancelled, the next return of B keeps 30.00 of
    // goods, below the threshold, so it pays the 10.00 nobody pays otherwise.
    let order = json!({
        "number": "F2", "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "A", "sku": "A", "title": "A", "unit_price": "60.00", "quantity": 1},
            {"id": "B", "sku": "B", "title": "B", "unit_price": "30.00", "quantity": 2}
        ],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "120.00"}]
    });
    check(Case {
        name: "deduction after a cancellation",
        order,
        policy: merge(
            auto(),
            json!({"amounts": {"CNY": {"free_shipping_threshold": "99.00", "standard_shipping_fee": "10.00"}}}),
        ),
        history: vec![
            req("return_and_refund", "changed_mind", &[("B", 1)]),
            req("return_and_refund", "changed_mind", &[("A", 1)]),
        ],
        cancelled: &[0],
        request: req("return_and_refund", "changed_mind", &[("B", 1)]),
        expect: "
            outcome eligible
            line B x1 eligible
            item B x1 30.00
            lost_free_shipping -10.00
            total 20.00
            split alipay 20.00",
        ..Case::default()
    });
}

#[test]
fn a_threshold_lost_through_the_sellers_fault_is_not_charged_to_the_shopper() {
    // 110.00 of goods shipped free (threshold 99.00). A wrong item (A, 60.00) came back first;
    // the shopper now returns D (10.00). Counting A as kept, the shopper's own returns leave
    // 100.00, so nothing is deducted although only 40.00 of goods remain.
    let order = json!({
        "number": "F3", "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "A", "sku": "A", "title": "A", "unit_price": "60.00", "quantity": 1},
            {"id": "B", "sku": "B", "title": "B", "unit_price": "40.00", "quantity": 1},
            {"id": "D", "sku": "D", "title": "D", "unit_price": "10.00", "quantity": 1}
        ],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "110.00"}]
    });
    check(Case {
        name: "seller-fault return first",
        order,
        policy: merge(
            auto(),
            json!({"amounts": {"CNY": {"free_shipping_threshold": "99.00", "standard_shipping_fee": "10.00"}}}),
        ),
        history: vec![req("return_and_refund", "wrong_item", &[("A", 1)])],
        request: req("return_and_refund", "changed_mind", &[("D", 1)]),
        expect: "
            outcome eligible
            line D x1 eligible
            item D x1 10.00
            total 10.00
            split alipay 10.00",
        ..Case::default()
    });
}

#[test]
fn a_lost_threshold_discount_is_charged_once_per_order() {
    // The scarf's return took back the coat's 18.00 share; returning the coat later does not
    // charge it again, and the coat comes back at what was paid for it, 132.00.
    check(Case {
        name: "满减 resettle, second return",
        order: threshold_order(),
        policy: merge(auto(), json!({"threshold_mode": "resettle"})),
        history: vec![req("return_and_refund", "changed_mind", &[("SCARF", 1)])],
        request: req("return_and_refund", "changed_mind", &[("COAT", 1)]),
        expect: "
            outcome eligible
            line COAT x1 eligible
            item COAT x1 132.00
            total 132.00
            split alipay 132.00",
        ..Case::default()
    });
}

/// One line A of 10.00 × `units`, shipped free, paid in full by Alipay.
fn one_line_order(units: u32, discounts: Value) -> Value {
    let paid = rust_decimal::Decimal::new(1000 * i64::from(units), 2)
        - discounts
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                d["amount"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            })
            .sum::<rust_decimal::Decimal>();
    merge(
        base_order(),
        json!({"lines": [{"id": "A", "sku": "A", "title": "A", "unit_price": "10.00", "quantity": units}],
               "discounts": discounts, "shipping_fee": "0.00",
               "payments": [{"method": "alipay", "amount": paid.to_string()}]}),
    )
}

#[test]
fn a_lost_free_shipping_absorbed_by_the_zero_floor_is_settled_and_not_charged_again() {
    // Free shipping at 20.00 on A 10.00 × 2. Returning one unit keeps 10.00: this request owes
    // the 5.00 standard shipping, but the 10.00 return fee already took the whole 10.00, so the
    // floor absorbs it. It is settled all the same (a zero component records the crossing), and
    // keeping the second unit later costs nothing more.
    let policy = |fee: &str| {
        merge(
            auto(),
            json!({"amounts": {"CNY": {"free_shipping_threshold": "20.00", "standard_shipping_fee": "5.00",
                                       "return_shipping_fee": fee, "keep_item_threshold": "100.00"}}}),
        )
    };
    let first = req("return_and_refund", "changed_mind", &[("A", 1)]);
    check(Case {
        name: "the crossing request, fee 10.00",
        order: one_line_order(2, json!([])),
        policy: policy("10.00"),
        request: first.clone(),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 10.00
            return_shipping_fee -10.00
            lost_free_shipping 0.00
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "the next request, fee 10.00",
        order: one_line_order(2, json!([])),
        policy: policy("10.00"),
        history: vec![first.clone()],
        request: req("refund_only", "changed_mind", &[("A", 1)]),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 10.00
            total 10.00
            split alipay 10.00",
        ..Case::default()
    });
    // One cent less of return fee leaves a cent of the lost free shipping to take: the same
    // settlement, and the same 10.00 for the second unit.
    check(Case {
        name: "the crossing request, fee 9.99",
        order: one_line_order(2, json!([])),
        policy: policy("9.99"),
        request: first.clone(),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 10.00
            return_shipping_fee -9.99
            lost_free_shipping -0.01
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "the next request, fee 9.99",
        order: one_line_order(2, json!([])),
        policy: policy("9.99"),
        history: vec![first],
        request: req("refund_only", "changed_mind", &[("A", 1)]),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 10.00
            total 10.00
            split alipay 10.00",
        ..Case::default()
    });
}

#[test]
fn a_lost_threshold_discount_absorbed_by_the_zero_floor_is_settled_and_not_charged_again() {
    // 满30减3 on A 10.00 × 3 in resettle mode: each unit paid 9.00. Returning one keeps 20.00,
    // below 30.00, so this request owes the kept units' 2.00 of the discount; the 9.00 return
    // fee leaves nothing to take it from. The next unit, kept, comes back at its 9.00.
    let order = one_line_order(
        3,
        json!([{"id": "30-3", "kind": "threshold", "amount": "3.00", "threshold": "30.00"}]),
    );
    let policy = |fee: &str| {
        merge(
            auto(),
            json!({"threshold_mode": "resettle",
                   "amounts": {"CNY": {"return_shipping_fee": fee, "keep_item_threshold": "100.00"}}}),
        )
    };
    let first = req("return_and_refund", "changed_mind", &[("A", 1)]);
    check(Case {
        name: "the crossing request, fee 9.00",
        order: order.clone(),
        policy: policy("9.00"),
        request: first.clone(),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 9.00
            return_shipping_fee -9.00
            lost_threshold_discount 30-3 0.00
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "the next request, fee 9.00",
        order: order.clone(),
        policy: policy("9.00"),
        history: vec![first.clone()],
        request: req("refund_only", "changed_mind", &[("A", 1)]),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 9.00
            total 9.00
            split alipay 9.00",
        ..Case::default()
    });
    check(Case {
        name: "the crossing request, fee 8.99",
        order: order.clone(),
        policy: policy("8.99"),
        request: first.clone(),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 9.00
            return_shipping_fee -8.99
            lost_threshold_discount 30-3 -0.01
            total 0.00",
        ..Case::default()
    });
    check(Case {
        name: "the next request, fee 8.99",
        order,
        policy: policy("8.99"),
        history: vec![first],
        request: req("refund_only", "changed_mind", &[("A", 1)]),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 9.00
            total 9.00
            split alipay 9.00",
        ..Case::default()
    });
}

#[test]
fn an_absorbed_deduction_whose_request_is_cancelled_is_owed_by_the_next_request_that_keeps_below() {
    // The request that settled the lost free shipping at 0.00 is cancelled: the next one that
    // keeps below the threshold owes it again, as for a deduction that was taken in money.
    check(Case {
        name: "absorbed, then cancelled",
        order: one_line_order(2, json!([])),
        policy: merge(
            auto(),
            json!({"amounts": {"CNY": {"free_shipping_threshold": "20.00", "standard_shipping_fee": "5.00",
                                       "return_shipping_fee": "10.00", "keep_item_threshold": "100.00"}}}),
        ),
        history: vec![req("return_and_refund", "changed_mind", &[("A", 1)])],
        cancelled: &[0],
        request: req("refund_only", "changed_mind", &[("A", 1)]),
        expect: "
            outcome eligible
            line A x1 eligible
            item A x1 10.00
            lost_free_shipping -5.00
            total 5.00
            split alipay 5.00",
        ..Case::default()
    });
}

#[test]
fn with_several_discounts_each_is_allocated_on_its_own_and_a_lost_one_costs_exactly_its_share() {
    // A 10.00, B 50.00, C 30.00; 满90减9.04 and a 9.01 coupon, resettle mode. Each discount is
    // allocated by largest remainder on its own: 满减 1.01 / 5.02 / 3.01, coupon 1.00 / 5.01 /
    // 3.00, so B paid 39.97 and C 23.99. Returning B and C keeps A (10.00 < 90.00): its 1.01 of
    // the 满减 goes, and the shopper has paid 71.95 − 62.95 = 9.00 for A, its price less its
    // share of the coupon alone. (One allocation of the 18.05 together would give B 10.03 and
    // C 6.02, refund 62.94, and charge a cent more for A.)
    let order = json!({
        "number": "M1", "currency": "CNY", "customer_email": "a@example.com", "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-02T10:00:00+08:00",
        "delivered_at": "2026-11-04T15:00:00+08:00",
        "lines": [
            {"id": "A", "sku": "A", "title": "A", "unit_price": "10.00", "quantity": 1},
            {"id": "B", "sku": "B", "title": "B", "unit_price": "50.00", "quantity": 1},
            {"id": "C", "sku": "C", "title": "C", "unit_price": "30.00", "quantity": 1}
        ],
        "discounts": [
            {"id": "90-9.04", "kind": "threshold", "amount": "9.04", "threshold": "90.00", "stackable": true},
            {"id": "COUPON", "kind": "coupon", "amount": "9.01", "stackable": true}
        ],
        "shipping_fee": "0.00",
        "payments": [{"method": "alipay", "amount": "71.95"}]
    });
    check(Case {
        name: "two discounts, resettle",
        order,
        policy: merge(auto(), json!({"threshold_mode": "resettle"})),
        request: req("return_and_refund", "changed_mind", &[("B", 1), ("C", 1)]),
        expect: "
            outcome eligible
            line B x1 eligible
            line C x1 eligible
            item B x1 39.97
            item C x1 23.99
            lost_threshold_discount 90-9.04 -1.01
            total 62.95
            split alipay 62.95",
        ..Case::default()
    });
}

#[test]
fn a_gift_sent_back_after_its_value_was_deducted_is_neither_charged_again_nor_credited() {
    check(Case {
        name: "gift returned later",
        order: gift_order(),
        policy: auto(),
        history: vec![req("return_and_refund", "changed_mind", &[("KETTLE", 1)])],
        request: req("return_and_refund", "changed_mind", &[("GIFT", 1)]),
        expect: "
            outcome eligible
            line GIFT x1 eligible
            item GIFT x1 0.00
            total 0.00",
        ..Case::default()
    });
}

#[test]
fn refunds_stop_at_what_the_order_has_left() {
    // The ledger says 300.00 of the 357.00 already went back (say, a refund recorded by hand):
    // a 99.00 item can only bring back the 57.00 left.
    check(Case {
        name: "cap at what is left",
        policy: auto(),
        ledger: Some(json!({"payments": ["300.00"]})),
        request: req("return_and_refund", "quality_issue", &[("L1", 1)]),
        expect: "
            outcome eligible
            line L1 x1 eligible
            item L1 x1 99.00
            refund_limit -42.00
            total 57.00
            split alipay 57.00",
        ..Case::default()
    });
}

#[test]
fn the_split_follows_what_each_payment_has_left_and_ties_go_to_the_earlier_payment() {
    // After the mug (50.00 → 42.02 + 7.98), alipay has 257.98 left and points 49.02, so the next
    // 99.00 splits 83.19 / 15.81.
    let order = merge(
        base_order(),
        json!({"payments": [{"method": "alipay", "amount": "300.00"}, {"method": "points", "amount": "57.00"}]}),
    );
    check(Case {
        name: "split after an earlier request",
        order,
        policy: auto(),
        history: vec![req("return_and_refund", "quality_issue", &[("L2", 1)])],
        request: req("return_and_refund", "quality_issue", &[("L1", 1)]),
        expect: "
            outcome eligible
            line L1 x1 eligible
            item L1 x1 99.00
            total 99.00
            split alipay 83.19
            split points 15.81",
        ..Case::default()
    });
    // 0.05 over two equal payments: 0.025 each, the odd cent to the first.
    let pens = merge(
        base_order(),
        json!({"lines": [{"id": "PEN", "sku": "PEN", "title": "Pen", "unit_price": "0.05", "quantity": 400}],
               "shipping_fee": "0.00",
               "payments": [{"method": "card", "amount": "10.00"}, {"method": "gift_card", "amount": "10.00"}]}),
    );
    check(Case {
        name: "tie between payments",
        order: pens,
        policy: auto(),
        request: req("return_and_refund", "quality_issue", &[("PEN", 1)]),
        expect: "
            outcome eligible
            line PEN x1 eligible
            item PEN x1 0.05
            total 0.05
            split card 0.03
            split gift_card 0.02",
        ..Case::default()
    });
}

#[test]
fn exact_halves_round_away_from_zero() {
    // 0.01 for 2 units: the first unit is round(0.005) = 0.01, the second gets nothing left.
    let order = merge(
        base_order(),
        json!({"lines": [{"id": "PIN", "sku": "PIN", "title": "Pin", "unit_price": "0.01", "quantity": 2,
                          "line_discount": "0.01"}],
               "payments": [{"method": "alipay", "amount": "10.01"}]}),
    );
    check(Case {
        name: "C(1) of 0.01 over 2 units",
        order: order.clone(),
        policy: auto(),
        request: req("return_and_refund", "quality_issue", &[("PIN", 1)]),
        expect: "
            outcome eligible
            line PIN x1 eligible
            item PIN x1 0.01
            total 0.01
            split alipay 0.01",
        ..Case::default()
    });
    // 12.5% of 0.04 is 0.005: the restocking fee is 0.01.
    let order = merge(
        base_order(),
        json!({"lines": [{"id": "PIN", "sku": "PIN", "title": "Pin", "unit_price": "0.04", "quantity": 1}],
               "payments": [{"method": "alipay", "amount": "10.04"}]}),
    );
    check(Case {
        name: "restocking fee of half a fen",
        order,
        policy: merge(auto(), json!({"restocking_fee_percent": "12.5"})),
        request: req("return_and_refund", "changed_mind", &[("PIN", 1)]),
        expect: "
            outcome eligible
            line PIN x1 eligible
            item PIN x1 0.04
            restocking_fee -0.01
            total 0.03
            split alipay 0.03",
        ..Case::default()
    });
}

#[test]
fn refund_only_takes_no_return_fees() {
    // Keeping delivered goods: nothing is shipped back or restocked.
    check(Case {
        name: "refund only, shopper fault",
        policy: merge(
            auto(),
            json!({"restocking_fee_percent": "10", "amounts": {"CNY": {"return_shipping_fee": "8.00", "keep_item_threshold": "100.00", "auto_approve_max": "500.00"}}}),
        ),
        request: req("refund_only", "changed_mind", &[("L2", 1)]),
        expect: "
            outcome eligible
            line L2 x1 eligible
            item L2 x1 50.00
            total 50.00
            split alipay 50.00",
        ..Case::default()
    });
}
