//! How long one quote takes for a 10-line and a 100-line order, and how long reading an order
//! (`Order::new`, which the server runs on every request) takes up to the largest order accepted,
//! with its line ids in order and in reverse, and reading the largest policy the API takes with
//! its keys in reverse.
//!
//! `cargo bench -p refund-core --bench quote`. The order has a coupon and a 满减 discount, two
//! payments and an earlier request on every line; the request returns one unit of every line for
//! a shopper-fault reason, so every rule runs (allocation, cumulative rounding, deductions, split).

use chrono::{DateTime, TimeDelta, Utc};
use refund_core::wire::{
    DecimalStr, DiscountKind, DiscountWire, LineWire, OrderStatus, OrderWire, PaymentMethod,
    PaymentWire, PolicyAmountsWire, PolicyWire, RequestLineWire, RequestWire,
};
use refund_core::{
    Context, Ledger, Order, Outcome, Policy, Reason, RefundRequest, RequestKind, quote,
};
use rust_decimal::Decimal;

fn main() {
    divan::main();
}

fn cents(minor: i64) -> DecimalStr {
    DecimalStr(Decimal::new(minor, 2))
}

fn placed() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-01T10:00:00+08:00")
        .unwrap()
        .to_utc()
}

struct Fixture {
    wire: OrderWire,
    order: Order,
    policy: Policy,
    ledger: Ledger,
    request: RefundRequest,
    context: Context,
}

fn fixture(lines: usize) -> Fixture {
    fixture_with_ids(lines, |i| format!("L{i}"))
}

/// The bench order with line `i` named `id(i)`.
fn fixture_with_ids(lines: usize, id: fn(usize) -> String) -> Fixture {
    let line_wires: Vec<LineWire> = (0..lines)
        .map(|i| LineWire {
            id: id(i),
            sku: format!("SKU-{i}"),
            title: format!("Item {i}"),
            unit_price: cents(1_999 + 137 * i as i64),
            quantity: 3,
            line_discount: cents(50),
            tax_included: cents(0),
            category: "apparel".to_owned(),
            final_sale: false,
            no_reason_waived: false,
            gift: None,
            image_url: None,
            exchange_variants: Vec::new(),
        })
        .collect();
    let goods: i64 = (0..lines as i64).map(|i| (1_999 + 137 * i) * 3 - 50).sum();
    let (coupon, threshold) = (1_000, goods / 10);
    let total = goods - coupon - threshold + 800;
    let wire = OrderWire {
        number: "BENCH".to_owned(),
        currency: "CNY".to_owned(),
        customer_email: "bench@example.com".to_owned(),
        customer_id: None,
        status: OrderStatus::Paid,
        placed_at: placed(),
        paid_at: Some(placed()),
        shipped_at: Some(placed() + TimeDelta::days(1)),
        delivered_at: Some(placed() + TimeDelta::days(3)),
        lines: line_wires,
        discounts: vec![
            DiscountWire {
                id: "COUPON".to_owned(),
                kind: DiscountKind::Coupon,
                amount: cents(coupon),
                threshold: None,
                valid_from: None,
                valid_until: None,
                stackable: true,
            },
            DiscountWire {
                id: "MANJIAN".to_owned(),
                kind: DiscountKind::Threshold,
                amount: cents(threshold),
                threshold: Some(cents(goods / 2)),
                valid_from: None,
                valid_until: None,
                stackable: true,
            },
        ],
        shipping_fee: cents(800),
        payments: vec![
            PaymentWire {
                method: PaymentMethod::Alipay,
                amount: cents(total - 1_234),
            },
            PaymentWire {
                method: PaymentMethod::Points,
                amount: cents(1_234),
            },
        ],
    };
    let order = Order::new(&wire).expect("bench order is consistent");
    let cny = PolicyAmountsWire {
        return_shipping_fee: cents(800),
        standard_shipping_fee: cents(1_000),
        free_shipping_threshold: Some(cents(9_900)),
        ..PolicyAmountsWire::default()
    };
    let amounts = [("CNY".to_owned(), cny)].into_iter().collect();
    let policy = Policy::new(&PolicyWire {
        restocking_fee_percent: DecimalStr(Decimal::new(5, 0)),
        threshold_mode: refund_core::ThresholdMode::Resettle,
        amounts,
        ..PolicyWire::default()
    })
    .unwrap();
    let context = Context {
        now: placed() + TimeDelta::days(5),
        recent_requests: 0,
    };
    let one_of_each = |kind, reason| {
        let wire = RequestWire {
            kind,
            reason,
            lines: (0..lines)
                .map(|i| RequestLineWire {
                    line_id: id(i),
                    quantity: 1,
                    exchange_for: None,
                })
                .collect(),
            note: String::new(),
            evidence_files: 1,
            goods_intact: true,
        };
        RefundRequest::new(&order, &wire).unwrap()
    };
    let mut ledger = Ledger::new(&order);
    let earlier = quote(
        &order,
        &policy,
        &ledger,
        &one_of_each(RequestKind::ReturnAndRefund, Reason::QualityIssue),
        context,
    )
    .unwrap();
    ledger.record(&order, &earlier).unwrap();
    let request = one_of_each(RequestKind::ReturnAndRefund, Reason::SizeMismatch);
    let check = quote(&order, &policy, &ledger, &request, context).unwrap();
    assert_ne!(check.outcome, Outcome::Ineligible);
    Fixture {
        wire,
        order,
        policy,
        ledger,
        request,
        context,
    }
}

#[divan::bench(args = [10, 100])]
fn quote_order(bencher: divan::Bencher, lines: usize) {
    let f = fixture(lines);
    bencher.bench(|| quote(&f.order, &f.policy, &f.ledger, &f.request, f.context).unwrap());
}

#[divan::bench(args = [10, 100, refund_core::MAX_LINES])]
fn read_order(bencher: divan::Bencher, lines: usize) {
    let f = fixture(lines);
    bencher.bench(|| Order::new(&f.wire).unwrap());
}

/// The line index is a sorted Vec: ids that arrive in reverse order are its worst case.
#[divan::bench(args = [refund_core::MAX_LINES])]
fn read_order_with_ids_in_reverse(bencher: divan::Bencher, lines: usize) {
    let f = fixture_with_ids(lines, |i| format!("L{:06}", 999_999 - i));
    bencher.bench(|| Order::new(&f.wire).unwrap());
}

/// A wire map's worst case: a policy as large as the API takes (64 KiB) whose keys arrive in
/// reverse order. Reading must stay far from quadratic.
#[divan::bench]
fn read_a_64_kib_policy_with_its_keys_in_reverse(bencher: divan::Bencher) {
    let keys: Vec<String> = (0..6_000)
        .rev()
        .map(|i| format!(r#""{i:04}":{{}}"#))
        .collect();
    let text = format!(r#"{{"amounts":{{{}}}}}"#, keys.join(","));
    assert!(text.len() <= 64 * 1024);
    bencher.bench(|| serde_json::from_str::<PolicyWire>(&text).unwrap());
}

#[divan::bench(args = [10, 100])]
fn quote_and_serialize(bencher: divan::Bencher, lines: usize) {
    let f = fixture(lines);
    bencher.bench(|| {
        let q = quote(&f.order, &f.policy, &f.ledger, &f.request, f.context).unwrap();
        serde_json::to_vec(&q).unwrap()
    });
}
