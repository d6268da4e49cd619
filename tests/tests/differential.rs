//! The core compiled to wasm (the widget's code built as it ships, plus the `quote_json` export
//! the shipped build leaves out, in Chromium) quotes exactly like the native core (the
//! server's): for thousands of generated (order, policy, ledger, request, now) cases,
//! `quote_json` answers the same bytes on both sides. A shopper is shown what the server records.
//!
//! Cases come from a small seeded generator, so every run checks the same cases and a failure
//! names the input that differed. They cover currencies with 0, 2 and 3 decimals, coupons and
//! spend-and-save discounts, gifts, final sale, split payments with points, every kind and reason,
//! earlier requests, and times around the windows' edges in +08:00; a few are deliberately
//! inconsistent so the error codes are compared too.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};
use refund_core::wire::{
    AutoApproveWire, DecimalStr, DiscountKind, DiscountWire, GiftWire, LedgerWire, LineUsageWire,
    LineWire, OrderStatus, OrderWire, PaymentMethod, PaymentWire, PolicyAmountsWire, PolicyWire,
    QuoteInput, ReasonSettingsWire, RequestLineWire, RequestWire, VariantWire,
};
use refund_core::{
    Context, Currency, Ledger, Order, Outcome, Policy, Reason, RefundRequest, RequestKind,
    ThresholdMode, quote,
};
use refund_e2e::flow_serving;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// How many cases; `E2E_DIFFERENTIAL_CASES` overrides it.
const CASES: usize = 4000;
/// Cases per WebDriver call: large enough to be quick, small enough for the command's limits.
const BATCH: usize = 250;
const SEED: u64 = 0x5EED_2026_1124;

/// SplitMix64: tiny, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `lo..hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo < hi);
        lo + (self.next() % (hi - lo) as u64) as i64
    }
    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize].clone()
    }
}

/// Mostly ordinary goods; `perishable` is excluded from no-reason returns by default.
const CATEGORIES: [&str; 8] = [
    "apparel",
    "apparel",
    "apparel",
    "home",
    "home",
    "books",
    "books",
    "perishable",
];

fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("+08:00")
}

/// A local time in +08:00.
fn local(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    date.and_time(time)
        .and_local_timezone(china())
        .single()
        .expect("a fixed offset has no gaps")
        .to_utc()
}

fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china()).date_naive()
}

fn hms(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).expect("a valid time")
}

/// Times of day that sit on an edge: local midnight, UTC midnight (08:00 local), the last second.
fn edgy_time(rng: &mut Rng) -> NaiveTime {
    match rng.range(0, 7) {
        0 => hms(0, 0, 0),
        1 => hms(0, 0, 1),
        2 => hms(7, 59, 59),
        3 => hms(8, 0, 0),
        4 => hms(23, 59, 59),
        _ => hms(
            rng.range(0, 24) as u32,
            rng.range(0, 60) as u32,
            rng.range(0, 60) as u32,
        ),
    }
}

fn money(minor: i64, currency: Currency) -> DecimalStr {
    DecimalStr(Decimal::new(minor, currency.exponent()))
}

fn price(rng: &mut Rng, currency: Currency) -> i64 {
    let unit = 10i64.pow(currency.exponent());
    match rng.range(0, 4) {
        // A few minor units spread over several units: rounding bites.
        0 => rng.range(0, 8),
        1 => rng.range(1, 500) * unit,
        _ => rng.range(1, 60_000) * unit / 100 + rng.range(0, unit.max(2)),
    }
}

fn order(rng: &mut Rng) -> OrderWire {
    let currency = rng.pick(&[
        Currency::Cny,
        Currency::Cny,
        Currency::Jpy,
        Currency::Kwd,
        Currency::Usd,
    ]);
    let placed_day =
        NaiveDate::from_ymd_opt(2026, 11, 1).expect("a date") + Days::new(rng.range(0, 20) as u64);
    let placed_at = local(placed_day, edgy_time(rng));
    let paid_at = placed_at + TimeDelta::minutes(rng.range(0, 120));
    let (shipped_at, delivered_at) = match rng.range(0, 10) {
        0 => (None, None),
        1 => (Some(paid_at + TimeDelta::hours(rng.range(1, 72))), None),
        _ => {
            let shipped = paid_at + TimeDelta::hours(rng.range(1, 72));
            let day = local_date(shipped) + Days::new(rng.range(1, 5) as u64);
            (Some(shipped), Some(local(day, edgy_time(rng))))
        }
    };

    let mut lines: Vec<LineWire> = Vec::new();
    for i in 0..rng.range(1, 7) {
        let parents: Vec<String> = lines
            .iter()
            .filter(|l| l.gift.is_none())
            .map(|l| l.id.clone())
            .collect();
        let gift = i > 0 && !parents.is_empty() && rng.percent(25);
        let quantity = rng.range(1, 6) as u32;
        let unit_price = if gift { 0 } else { price(rng, currency) };
        let gross = unit_price * i64::from(quantity);
        let line_discount = if !gift && rng.percent(30) {
            gross * rng.range(0, 40) / 100
        } else {
            0
        };
        lines.push(LineWire {
            id: format!("L{}", i + 1),
            sku: format!("SKU-{i}"),
            title: format!("Item {i}"),
            unit_price: money(unit_price, currency),
            quantity,
            line_discount: money(line_discount, currency),
            tax_included: money(0, currency),
            category: rng.pick(&CATEGORIES).to_owned(),
            final_sale: !gift && rng.percent(8),
            no_reason_waived: !gift && rng.percent(5),
            gift: gift.then(|| GiftWire {
                of: rng.pick(&parents),
                unit_value: money(price(rng, currency) / 5, currency),
            }),
            image_url: None,
            // Some lines can be exchanged for other sizes, some of them sold out.
            exchange_variants: if rng.percent(25) {
                (0..rng.range(1, 4))
                    .map(|v| VariantWire {
                        sku: format!("SKU-{i}-V{v}"),
                        title: format!("Item {i}, variant {v}"),
                        in_stock: rng.percent(70),
                    })
                    .collect()
            } else {
                Vec::new()
            },
        });
    }
    let minor = |d: DecimalStr| -> i64 {
        let mut v = d.0;
        v.rescale(currency.exponent());
        i64::try_from(v.mantissa()).expect("small amounts")
    };
    let goods: i64 = lines
        .iter()
        .filter(|l| l.gift.is_none())
        .map(|l| minor(l.unit_price) * i64::from(l.quantity) - minor(l.line_discount))
        .sum();

    let mut discounts = Vec::new();
    let mut discount_total = 0;
    for i in 0..rng.pick(&[0, 0, 1, 1, 2, 3]) {
        let threshold = rng.percent(40);
        let amount = goods * rng.range(0, 300) / 1000;
        discount_total += amount;
        let valid_until = rng.percent(8).then(|| placed_at - TimeDelta::days(1));
        discounts.push(DiscountWire {
            id: format!("D{i}"),
            kind: if threshold {
                DiscountKind::Threshold
            } else {
                DiscountKind::Coupon
            },
            amount: money(amount, currency),
            threshold: threshold.then(|| money(goods * rng.range(5, 11) / 10, currency)),
            valid_from: None,
            valid_until,
            stackable: rng.percent(50),
        });
    }
    let shipping = if rng.percent(35) {
        0
    } else {
        price(rng, currency) / 4
    };
    let total = goods - discount_total + shipping;
    let mut payments = Vec::new();
    let count = rng.pick(&[1, 1, 2, 2, 3]);
    let mut given = 0;
    for j in 0..count {
        let amount = if j + 1 == count {
            total - given
        } else {
            total * rng.range(1, 100) / 100 / (count - j)
        };
        given += amount;
        payments.push(PaymentWire {
            method: rng.pick(&PaymentMethod::ALL),
            amount: money(amount, currency),
        });
    }
    if payments.iter().any(|p| p.amount.0 <= Decimal::ZERO) && total > 0 {
        payments = vec![PaymentWire {
            method: rng.pick(&PaymentMethod::ALL),
            amount: money(total, currency),
        }];
    }
    OrderWire {
        number: format!("D-{}", rng.range(1000, 10_000)),
        currency: currency.code().to_owned(),
        customer_email: "shopper@example.com".to_owned(),
        customer_id: None,
        status: match rng.range(0, 40) {
            0 => OrderStatus::Unpaid,
            1 => OrderStatus::Cancelled,
            _ => OrderStatus::Paid,
        },
        placed_at,
        paid_at: Some(paid_at),
        shipped_at,
        delivered_at,
        lines,
        discounts,
        shipping_fee: money(shipping, currency),
        payments,
    }
}

/// A policy for `currency`, with thresholds scaled to the order's `goods` (in minor units) so
/// that they matter.
fn policy(rng: &mut Rng, currency: Currency, goods: i64) -> PolicyWire {
    let mut policy = PolicyWire {
        utc_offset: if rng.percent(80) {
            "+08:00".to_owned()
        } else {
            rng.pick(&["+00:00", "-05:00", "+05:45", "+14:00"])
                .to_owned()
        },
        no_reason_days: rng.pick(&[7, 7, 7, 0, 1, 15]),
        quality_days: rng.pick(&[15, 15, 3, 30]),
        not_received_after_days: rng.percent(30).then(|| rng.range(1, 10) as u32),
        min_evidence_files: rng.range(1, 4) as u32,
        restocking_fee_percent: DecimalStr(
            rng.pick(&["0", "0", "0", "5", "10", "12.5", "33.33"])
                .parse()
                .expect("a percent"),
        ),
        missing_gift_deduction: rng.percent(70),
        threshold_mode: if rng.percent(50) {
            ThresholdMode::Resettle
        } else {
            ThresholdMode::Prorate
        },
        refund_shipping_on_seller_fault: rng.percent(75),
        ..PolicyWire::default()
    };
    if rng.percent(10) {
        policy.excluded_categories = vec![rng.pick(&CATEGORIES).to_owned()];
    }
    if rng.percent(15) {
        let dropped = rng.pick(&RequestKind::ALL);
        policy.kinds.retain(|k| *k != dropped);
    }
    if rng.percent(20) {
        let reason = rng.pick(&Reason::ALL);
        policy.reasons.insert(
            reason,
            ReasonSettingsWire {
                disabled: rng.percent(50),
                evidence_required: rng.percent(50).then(|| rng.percent(50)),
                labels: [("en".to_owned(), "Renamed".to_owned())]
                    .into_iter()
                    .collect(),
            },
        );
    }
    if rng.percent(70) {
        policy.auto_approve = Some(AutoApproveWire {
            reasons: Reason::ALL
                .into_iter()
                .filter(|_| rng.percent(70))
                .collect(),
            max_recent_requests: rng.range(0, 7) as u32,
        });
    }
    let mut currencies = vec![currency];
    if rng.percent(15) {
        currencies.clear();
    }
    if rng.percent(30) {
        currencies.push(rng.pick(&[Currency::Cny, Currency::Jpy, Currency::Kwd]));
    }
    for c in currencies {
        let unit = 10i64.pow(c.exponent());
        policy.amounts.insert(
            c.code().to_owned(),
            PolicyAmountsWire {
                return_shipping_fee: money(rng.range(0, 20) * unit, c),
                standard_shipping_fee: money(rng.range(0, 20) * unit, c),
                free_shipping_threshold: rng
                    .percent(60)
                    .then(|| money(goods * rng.range(3, 11) / 10, c)),
                keep_item_threshold: money(rng.range(0, 50) * unit, c),
                auto_approve_max: rng.percent(80).then(|| money(rng.range(0, 3000) * unit, c)),
                review_cap: rng.percent(20).then(|| money(rng.range(0, 2000) * unit, c)),
            },
        );
    }
    policy
}

const SHOPPER_FAULT: [Reason; 4] = [
    Reason::SizeMismatch,
    Reason::ChangedMind,
    Reason::OrderedByMistake,
    Reason::Other,
];
const SELLER_FAULT: [Reason; 5] = [
    Reason::NotReceived,
    Reason::QualityIssue,
    Reason::DamagedInTransit,
    Reason::WrongItem,
    Reason::NotAsDescribed,
];

/// Requests on `order`, choosing from what `ledger` has left, mostly for a reason that is the
/// shopper's fault or not as `shopper` says; sometimes too many units or an unknown line, to
/// compare how both sides refuse them.
fn request(rng: &mut Rng, order: &Order, ledger: Option<&Ledger>, shopper: bool) -> RequestWire {
    // Mostly money back: that is where the amounts are.
    let kind = rng.pick(&[
        RequestKind::ReturnAndRefund,
        RequestKind::ReturnAndRefund,
        RequestKind::ReturnAndRefund,
        RequestKind::RefundOnly,
        RequestKind::RefundOnly,
        RequestKind::Exchange,
    ]);
    let mut lines: Vec<RequestLineWire> = Vec::new();
    for _ in 0..rng.pick(&[1, 1, 1, 2, 3]) {
        let index = order
            .line_indices()
            .nth(rng.range(0, order.lines().len() as i64) as usize)
            .expect("an index");
        let line = order.get_line(index).expect("a line");
        if lines.iter().any(|l| l.line_id == line.id()) {
            continue;
        }
        let available = ledger.map_or(line.quantity(), |l| l.available(order, index));
        let quantity = match rng.range(0, 40) {
            _ if available == 0 && rng.percent(80) => continue,
            0 => available + 1,
            1 => 0,
            _ => rng.range(1, i64::from(available.max(1)) + 1) as u32,
        };
        // An exchange mostly names one of the line's variants, in stock or not.
        let variants = line.variants();
        let exchange_for =
            (kind == RequestKind::Exchange && !variants.is_empty() && rng.percent(80)).then(|| {
                variants[rng.range(0, variants.len() as i64) as usize]
                    .sku()
                    .to_owned()
            });
        lines.push(RequestLineWire {
            line_id: line.id().to_owned(),
            quantity,
            exchange_for,
        });
    }
    if ledger.is_some() && rng.percent(2) {
        lines.push(RequestLineWire {
            line_id: "NOPE".to_owned(),
            quantity: 1,
            exchange_for: None,
        });
    }
    RequestWire {
        kind,
        reason: match (rng.percent(90), shopper) {
            (true, true) => rng.pick(&SHOPPER_FAULT),
            (true, false) => rng.pick(&SELLER_FAULT),
            (false, _) => rng.pick(&Reason::ALL),
        },
        lines,
        note: if rng.percent(85) {
            "It arrived like this.".to_owned()
        } else {
            String::new()
        },
        evidence_files: if rng.percent(80) {
            3
        } else {
            rng.range(0, 3) as u32
        },
        goods_intact: rng.percent(90),
    }
}

/// When the case is quoted: mostly inside or on the edges of the window that applies (the
/// no-reason window for a shopper's fault, the quality window otherwise), counted in local days
/// of +08:00 from delivery; otherwise some time after the order.
fn now(rng: &mut Rng, order: &OrderWire, policy: &PolicyWire, shopper: bool) -> DateTime<Utc> {
    match order.delivered_at {
        Some(delivered) if rng.percent(90) => {
            let days = if shopper {
                policy.no_reason_days
            } else {
                policy.quality_days
            };
            let last_day = local_date(delivered) + Days::new(u64::from(days));
            let day = match rng.range(0, 5) {
                0 => last_day,
                1 => last_day + Days::new(1),
                // Well inside the window.
                _ => last_day - Days::new(rng.range(1, i64::from(days.max(1)) + 1) as u64),
            };
            let midnight = local(day + Days::new(1), hms(0, 0, 0));
            match rng.range(0, 4) {
                0 => midnight - TimeDelta::seconds(1),
                1 => midnight,
                2 => midnight + TimeDelta::seconds(1),
                _ => local(day, edgy_time(rng)),
            }
        }
        _ => order.placed_at + TimeDelta::hours(rng.range(0, 24 * 25)),
    }
}

/// What earlier requests consumed: recorded by the native core from requests it quoted, so it
/// is consistent with the order. Sometimes a hand-made ledger that may not be.
fn ledger(rng: &mut Rng, order: &Order, policy: &PolicyWire, now: DateTime<Utc>) -> Ledger {
    let mut ledger = Ledger::new(order);
    let Ok(policy) = Policy::new(policy) else {
        return ledger;
    };
    let context = Context {
        now,
        recent_requests: 0,
    };
    for _ in 0..rng.pick(&[0, 0, 1, 1, 2, 3]) {
        let shopper = rng.percent(50);
        let wire = request(rng, order, Some(&ledger), shopper);
        let Ok(earlier) = RefundRequest::new(order, &wire) else {
            continue;
        };
        if let Ok(q) = quote(order, &policy, &ledger, &earlier, context)
            && q.outcome != Outcome::Ineligible
        {
            // Recorded when it fits, as the server would; a refusal leaves the ledger as it was.
            let _ = ledger.record(order, &q);
        }
    }
    ledger
}

fn case(rng: &mut Rng) -> QuoteInput {
    let mut order_wire = order(rng);
    let currency = Currency::from_code(&order_wire.currency).expect("a known currency");
    let goods = order_wire
        .lines
        .iter()
        .map(|l| l.unit_price.0 * Decimal::from(l.quantity) - l.line_discount.0)
        .sum::<Decimal>()
        * Decimal::from(10i64.pow(currency.exponent()));
    let goods = i64::try_from(goods.trunc().mantissa()).unwrap_or(0);
    let policy = policy(rng, currency, goods);
    let shopper = rng.percent(60);
    let now = now(rng, &order_wire, &policy, shopper);
    let recent_requests = rng.pick(&[0, 0, 0, 1, 2, 3, 7]);
    let (ledger, request) = match Order::new(&order_wire) {
        Ok(order) => {
            let ledger = ledger(rng, &order, &policy, now);
            let mut wire = ledger.to_wire(&order);
            if rng.percent(3) {
                // Hand-made and possibly impossible: more units than were bought.
                wire.lines.insert(
                    order
                        .get_line(order.line_indices().next().expect("a line"))
                        .expect("a line")
                        .id()
                        .to_owned(),
                    LineUsageWire {
                        refunded_units: rng.range(0, 8) as u32,
                        refunded_amount: money(rng.range(0, 10_000), currency),
                        ..LineUsageWire::default()
                    },
                );
            }
            (wire, request(rng, &order, Some(&ledger), shopper))
        }
        // The generator made an order the core refuses; both sides must refuse it alike.
        Err(_) => (
            LedgerWire::default(),
            RequestWire {
                kind: RequestKind::RefundOnly,
                reason: Reason::QualityIssue,
                lines: vec![RequestLineWire {
                    line_id: "L1".to_owned(),
                    quantity: 1,
                    exchange_for: None,
                }],
                note: String::new(),
                evidence_files: 1,
                goods_intact: true,
            },
        ),
    };
    if rng.percent(2) {
        // Inconsistent on purpose: payments that do not add up.
        if let Some(p) = order_wire.payments.first_mut() {
            p.amount.0 += Decimal::new(1, currency.exponent());
        }
    }
    QuoteInput {
        order: order_wire,
        policy,
        ledger,
        request,
        now,
        recent_requests,
    }
}

#[derive(Default, Debug)]
struct Tally {
    quotes: usize,
    by_outcome: BTreeMap<String, usize>,
    by_currency: BTreeMap<String, usize>,
    by_kind: BTreeMap<String, usize>,
    by_reason: BTreeMap<String, usize>,
    /// Quotes with at least one component of each code.
    by_component: BTreeMap<String, usize>,
    errors: BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, answer: &str) {
        let value: Value = serde_json::from_str(answer).expect("quote_json answers JSON");
        if let Some(code) = value.get("error").and_then(Value::as_str) {
            *self.errors.entry(code.to_owned()).or_default() += 1;
            return;
        }
        self.quotes += 1;
        for (map, field) in [
            (&mut self.by_outcome, "outcome"),
            (&mut self.by_currency, "currency"),
            (&mut self.by_kind, "kind"),
            (&mut self.by_reason, "reason"),
        ] {
            let key = value[field].as_str().unwrap_or("?").to_owned();
            *map.entry(key).or_default() += 1;
        }
        let mut codes: Vec<&str> = value["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["code"].as_str())
            .collect();
        codes.dedup();
        for code in codes {
            *self.by_component.entry(code.to_owned()).or_default() += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasm_core_in_the_browser_quotes_byte_for_byte_like_the_native_core() {
    // The shipped widget leaves `quote_json` out; this build of the same code exports it.
    let dir = refund_e2e::server::differential_dir();
    flow_serving(dir, "differential", |_server, browser| async move {
        let cases = std::env::var("E2E_DIFFERENTIAL_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES);
        let mut rng = Rng(SEED);
        let inputs: Vec<String> = (0..cases)
            .map(|_| serde_json::to_string(&case(&mut rng)).expect("a case serialises"))
            .collect();
        let native: Vec<String> = inputs
            .iter()
            .map(|i| refund_widget::quote_json(i))
            .collect();

        // The widget's module, loaded the way the loader does it.
        browser.goto("lang=en").await;
        let loaded = browser
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 import('/widget/refund-widget.js')
                     .then(({ load }) => load())
                     .then((m) => { window.refundCore = m; done(true); },
                           (e) => done(String(e)));",
                vec![],
            )
            .await
            .expect("loading the widget's wasm");
        assert_eq!(loaded, Value::Bool(true), "the wasm did not load: {loaded}");

        let mut wasm: Vec<String> = Vec::with_capacity(cases);
        for batch in inputs.chunks(BATCH) {
            let answers = browser
                .js(
                    "return arguments[0].map((input) => window.refundCore.quote_json(input));",
                    vec![json!(batch)],
                )
                .await;
            let answers: Vec<String> = serde_json::from_value(answers).expect("a string per input");
            assert_eq!(answers.len(), batch.len());
            wasm.extend(answers);
        }

        let differ: Vec<usize> = (0..cases).filter(|&i| native[i] != wasm[i]).collect();
        for &i in differ.iter().take(3) {
            eprintln!(
                "case {i} differs\ninput:  {}\nnative: {}\nwasm:   {}\n",
                inputs[i], native[i], wasm[i]
            );
        }
        assert!(
            differ.is_empty(),
            "{} of {cases} cases quote differently in wasm (first ones above)",
            differ.len()
        );

        let mut tally = Tally::default();
        native.iter().for_each(|answer| tally.add(answer));
        println!(
            "{cases} cases, {} quotes, identical in wasm and natively: {tally:#?}",
            tally.quotes
        );
        // Not vacuous: most cases are real quotes, over every currency, kind and reason.
        assert!(tally.quotes * 2 >= cases, "too few quotes: {tally:#?}");
        for currency in ["CNY", "JPY", "KWD"] {
            assert!(
                tally.by_currency.get(currency).copied().unwrap_or(0) >= 50,
                "{tally:#?}"
            );
        }
        for kind in RequestKind::ALL {
            assert!(tally.by_kind.contains_key(kind.code()), "{tally:#?}");
        }
        for reason in Reason::ALL {
            assert!(tally.by_reason.contains_key(reason.code()), "{tally:#?}");
        }
        for outcome in ["eligible", "needs_review", "ineligible"] {
            assert!(tally.by_outcome.contains_key(outcome), "{tally:#?}");
        }
        for component in [
            "item",
            "shipping_refund",
            "return_shipping_fee",
            "restocking_fee",
            "lost_free_shipping",
            "lost_threshold_discount",
            "missing_gift",
        ] {
            assert!(tally.by_component.contains_key(component), "{tally:#?}");
        }
    })
    .await;
}
