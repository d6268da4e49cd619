//! What the checked constructors refuse, and with which typed error; and what the wire format
//! itself refuses before any constructor runs.

use refund_core::wire::{OrderWire, PolicyWire, RequestWire};
use refund_core::{InputError, Lang, Order, OrderFlag, Policy, RefundRequest, messages};
use serde_json::{Value, json};

fn base_order() -> Value {
    json!({
        "number": "A1001",
        "currency": "CNY",
        "customer_email": "li.lei@example.com",
        "status": "paid",
        "placed_at": "2026-11-01T10:00:00+08:00",
        "shipped_at": "2026-11-02T10:00:00+08:00",
        "lines": [
            {"id": "L1", "sku": "SHIRT", "title": "Shirt", "unit_price": "99.00", "quantity": 2},
            {"id": "L2", "sku": "MUG", "title": "Mug", "unit_price": "50.00", "quantity": 1}
        ],
        "shipping_fee": "10.00",
        "payments": [{"method": "alipay", "amount": "258.00"}]
    })
}

fn patched(patch: Value) -> Value {
    let mut order = base_order();
    for (key, value) in patch.as_object().unwrap() {
        order[key] = value.clone();
    }
    order
}

fn build(order: Value) -> Result<Order, InputError> {
    let wire: OrderWire = serde_json::from_value(order).expect("well-formed wire order");
    Order::new(&wire)
}

/// (what is wrong, patch, error code, field)
fn check(cases: &[(&str, Value, &str, Option<&str>)]) {
    for (name, patch, code, field) in cases {
        let error = build(patched(patch.clone())).expect_err(name);
        assert_eq!(error.code(), *code, "{name}: {error}");
        assert_eq!(error.field(), *field, "{name}: {error}");
    }
}

#[test]
fn the_base_order_is_consistent() {
    let order = build(base_order()).unwrap();
    assert_eq!(order.total_paid().to_string(), "258.00");
    assert!(order.flags().is_empty());
}

#[test]
fn orders_that_cannot_be_real_are_refused_with_a_typed_error_naming_the_field() {
    check(&[
        (
            "payments that do not add up",
            json!({"payments": [{"method": "alipay", "amount": "250.00"}]}),
            "payments_mismatch",
            Some("payments"),
        ),
        (
            "a negative price",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "-1.00", "quantity": 1}]}),
            "negative_amount",
            Some("lines[0].unit_price"),
        ),
        (
            "a price finer than a fen",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "9.999", "quantity": 1}]}),
            "too_many_decimals",
            Some("lines[0].unit_price"),
        ),
        (
            "yen with decimals",
            json!({"currency": "JPY", "shipping_fee": "0.5"}),
            "too_many_decimals",
            Some("shipping_fee"),
        ),
        (
            "quantity zero",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "1.00", "quantity": 0}]}),
            "quantity_zero",
            Some("lines[0].quantity"),
        ),
        (
            "a product picture that is not a web address",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "248.00", "quantity": 1,
                              "image_url": "javascript:alert(1)"}]}),
            "invalid_url",
            Some("lines[0].image_url"),
        ),
        (
            "a product picture whose address has a wide character where the scheme would end",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "248.00", "quantity": 1,
                              "image_url": "https:/图片.example.com/a.jpg"}]}),
            "invalid_url",
            Some("lines[0].image_url"),
        ),
        (
            "a product picture whose address breaks out of an attribute",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "248.00", "quantity": 1,
                              "image_url": "https://cdn.example.com/a.jpg\" onerror=\"x"}]}),
            "invalid_url",
            Some("lines[0].image_url"),
        ),
        (
            "an exchange variant listed twice",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "248.00", "quantity": 1,
                              "exchange_variants": [
                                  {"sku": "S-L", "title": "Large", "in_stock": true},
                                  {"sku": "S-L", "title": "Large again", "in_stock": false}]}]}),
            "duplicate_id",
            Some("lines[0].exchange_variants"),
        ),
        (
            "an exchange variant without a title",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "248.00", "quantity": 1,
                              "exchange_variants": [{"sku": "S-L", "title": " ", "in_stock": true}]}]}),
            "required",
            Some("lines[0].exchange_variants[0].title"),
        ),
        (
            "an unknown currency",
            json!({"currency": "XTS"}),
            "unknown_currency",
            Some("currency"),
        ),
        (
            "a gift pointing at a missing line",
            json!({"lines": [
                {"id": "L1", "sku": "S", "title": "T", "unit_price": "248.00", "quantity": 1},
                {"id": "G", "sku": "G", "title": "Gift", "unit_price": "0.00", "quantity": 1,
                 "gift": {"of": "L9", "unit_value": "5.00"}}
            ]}),
            "gift_parent_missing",
            Some("lines[1].gift.of"),
        ),
        (
            "a gift of a gift",
            json!({"lines": [
                {"id": "L1", "sku": "S", "title": "T", "unit_price": "248.00", "quantity": 1},
                {"id": "G1", "sku": "G", "title": "Gift", "unit_price": "0.00", "quantity": 1,
                 "gift": {"of": "G2", "unit_value": "5.00"}},
                {"id": "G2", "sku": "G", "title": "Gift", "unit_price": "0.00", "quantity": 1,
                 "gift": {"of": "L1", "unit_value": "5.00"}}
            ]}),
            "gift_of_gift",
            Some("lines[1].gift.of"),
        ),
        (
            "a gift that costs money",
            json!({"lines": [
                {"id": "L1", "sku": "S", "title": "T", "unit_price": "240.00", "quantity": 1},
                {"id": "G", "sku": "G", "title": "Gift", "unit_price": "8.00", "quantity": 1,
                 "gift": {"of": "L1", "unit_value": "5.00"}}
            ]}),
            "gift_not_free",
            Some("lines[1].unit_price"),
        ),
        (
            "duplicate line ids",
            json!({"lines": [
                {"id": "L1", "sku": "S", "title": "T", "unit_price": "124.00", "quantity": 1},
                {"id": "L1", "sku": "S", "title": "T", "unit_price": "124.00", "quantity": 1}
            ]}),
            "duplicate_id",
            Some("lines"),
        ),
        (
            "a line discount above the line's price",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "10.00", "quantity": 1,
                              "line_discount": "10.01"}]}),
            "line_discount_exceeds_price",
            Some("lines[0].line_discount"),
        ),
        (
            "discounts above the goods",
            json!({"lines": [{"id": "L1", "sku": "S", "title": "T", "unit_price": "10.00", "quantity": 1}],
                   "discounts": [{"id": "BIG", "kind": "coupon", "amount": "10.01"}],
                   "payments": [{"method": "alipay", "amount": "9.99"}]}),
            "discounts_exceed_goods",
            Some("discounts"),
        ),
        (
            "a threshold discount without its threshold",
            json!({"discounts": [{"id": "T", "kind": "threshold", "amount": "10.00"}],
                   "payments": [{"method": "alipay", "amount": "248.00"}]}),
            "required",
            Some("discounts[0].threshold"),
        ),
        ("no lines", json!({"lines": []}), "required", Some("lines")),
        (
            "no email",
            json!({"customer_email": " "}),
            "required",
            Some("customer_email"),
        ),
        (
            "delivered before shipped",
            json!({"delivered_at": "2026-11-01T12:00:00+08:00"}),
            "time_out_of_order",
            Some("delivered_at"),
        ),
        (
            "a date past the year 9999",
            json!({"shipped_at": "+10000-01-01T00:00:00Z"}),
            "time_out_of_range",
            Some("shipped_at"),
        ),
        (
            "delivered but never shipped",
            json!({"shipped_at": null, "delivered_at": "2026-11-03T12:00:00+08:00"}),
            "required",
            Some("shipped_at"),
        ),
    ]);
}

#[test]
fn suspicious_discounts_are_accepted_but_flagged() {
    let order = build(patched(json!({
        "discounts": [
            {"id": "EXPIRED", "kind": "coupon", "amount": "5.00", "valid_until": "2026-10-31T23:59:59+08:00"},
            {"id": "SOLO", "kind": "coupon", "amount": "3.00", "stackable": false}
        ],
        "payments": [{"method": "alipay", "amount": "250.00"}]
    })))
    .unwrap();
    assert_eq!(
        order.flags(),
        [
            OrderFlag::DiscountOutsideValidity {
                discount_id: "EXPIRED".to_owned()
            },
            OrderFlag::NonStackableCombined {
                discount_ids: vec!["EXPIRED".to_owned(), "SOLO".to_owned()]
            }
        ]
    );
}

#[test]
fn stackable_discounts_inside_their_window_raise_no_flag() {
    let order = build(patched(json!({
        "discounts": [
            {"id": "A", "kind": "coupon", "amount": "5.00", "stackable": true,
             "valid_from": "2026-11-01T00:00:00+08:00", "valid_until": "2026-11-01T23:59:59+08:00"},
            {"id": "B", "kind": "threshold", "amount": "3.00", "threshold": "200.00", "stackable": true}
        ],
        "payments": [{"method": "alipay", "amount": "250.00"}]
    })))
    .unwrap();
    assert!(order.flags().is_empty());
}

#[test]
fn the_wire_refuses_floats_unknown_fields_and_exotic_number_forms() {
    let mut float = base_order();
    float["shipping_fee"] = json!(10.0);
    assert!(serde_json::from_value::<OrderWire>(float).is_err());
    let mut unknown = base_order();
    unknown["coupon_code"] = json!("X");
    assert!(serde_json::from_value::<OrderWire>(unknown).is_err());
    for text in ["1e2", "+10.00", " 10.00", "10,00", "0x10", "NaN"] {
        let mut exotic = base_order();
        exotic["shipping_fee"] = json!(text);
        assert!(
            serde_json::from_value::<OrderWire>(exotic).is_err(),
            "{text}"
        );
    }
    assert!(serde_json::from_value::<PolicyWire>(json!({"refund_everything": true})).is_err());
}

#[test]
fn the_wires_maps_are_objects_written_in_key_order_and_read_with_a_repeated_keys_last_value() {
    let text = r#"{"amounts": {"USD": {"return_shipping_fee": "1.00"}, "CNY": {}},
        "reasons": {"size_mismatch": {"labels": {"zh-CN": "尺码", "en": "Size", "en": "Fit"}},
                    "changed_mind": {"disabled": true}}}"#;
    let policy: PolicyWire = serde_json::from_str(text).unwrap();
    let written = serde_json::to_string(&policy).unwrap();
    // In the keys' order: currency codes and language tags alphabetically.
    let amounts = written
        .find(r#""amounts":{"CNY""#)
        .zip(written.find(r#""USD""#));
    assert!(amounts.is_some_and(|(cny, usd)| cny < usd), "{written}");
    assert!(
        written.contains(r#""labels":{"en":"Fit","zh-CN":"尺码"}"#),
        "{written}"
    );
    assert_eq!(
        serde_json::from_str::<PolicyWire>(&written).unwrap(),
        policy
    );
    for not_an_object in [
        json!({"amounts": []}),
        json!({"reasons": [["changed_mind", {}]]}),
    ] {
        assert!(serde_json::from_value::<PolicyWire>(not_an_object).is_err());
    }
    assert_eq!(
        serde_json::to_value(PolicyWire::default()).unwrap()["amounts"],
        json!({})
    );
}

#[test]
fn requests_must_name_known_lines_once_each() {
    let order = build(base_order()).unwrap();
    let request = |lines: Value| -> Result<RefundRequest, InputError> {
        let wire: RequestWire = serde_json::from_value(
            json!({"kind": "refund_only", "reason": "changed_mind", "lines": lines}),
        )
        .unwrap();
        RefundRequest::new(&order, &wire)
    };
    assert_eq!(request(json!([])).unwrap_err().code(), "request_empty");
    assert_eq!(
        request(json!([{"line_id": "L9", "quantity": 1}]))
            .unwrap_err()
            .code(),
        "unknown_line"
    );
    assert_eq!(
        request(json!([{"line_id": "L1", "quantity": 1}, {"line_id": "L1", "quantity": 1}]))
            .unwrap_err()
            .code(),
        "duplicate_request_line"
    );
}

#[test]
fn an_exchange_may_name_only_a_variant_its_line_lists_and_other_kinds_none() {
    let order = build(patched(json!({"lines": [
        {"id": "L1", "sku": "S-M", "title": "Shirt, M", "unit_price": "248.00", "quantity": 1,
         "image_url": "https://cdn.example.com/shirt.jpg",
         "exchange_variants": [{"sku": "S-L", "title": "Shirt, L", "in_stock": true}]}
    ]})))
    .unwrap();
    let line = order.get_line(order.line_index("L1").unwrap()).unwrap();
    assert_eq!(line.image_url(), Some("https://cdn.example.com/shirt.jpg"));
    assert_eq!(line.variant("S-L").map(|v| v.title()), Some("Shirt, L"));
    let request = |kind: &str, exchange_for: &str| -> Result<RefundRequest, InputError> {
        let wire: RequestWire = serde_json::from_value(json!({
            "kind": kind, "reason": "size_mismatch",
            "lines": [{"line_id": "L1", "quantity": 1, "exchange_for": exchange_for}]
        }))
        .unwrap();
        RefundRequest::new(&order, &wire)
    };
    let chosen = request("exchange", "S-L").unwrap();
    assert_eq!(
        chosen.lines()[0].variant(&order).map(|v| v.sku()),
        Some("S-L")
    );
    let unknown = request("exchange", "S-XXL").unwrap_err();
    assert_eq!(
        (unknown.code(), unknown.field()),
        ("unknown_variant", Some("lines"))
    );
    let misplaced = request("return_and_refund", "S-L").unwrap_err();
    assert_eq!(
        (misplaced.code(), misplaced.field()),
        ("field_not_allowed", Some("lines[0].exchange_for"))
    );
}

#[test]
fn policies_refuse_impossible_settings() {
    let policy = |value: Value| Policy::new(&serde_json::from_value::<PolicyWire>(value).unwrap());
    assert_eq!(
        policy(json!({"utc_offset": "Beijing"})).unwrap_err().code(),
        "invalid_utc_offset"
    );
    assert_eq!(
        policy(json!({"restocking_fee_percent": "100.01"}))
            .unwrap_err()
            .code(),
        "invalid_percent"
    );
    assert_eq!(
        policy(json!({"no_reason_days": 4000})).unwrap_err().code(),
        "out_of_range"
    );
    assert_eq!(
        policy(json!({"review_hours": 0})).unwrap_err().code(),
        "out_of_range"
    );
    assert_eq!(
        policy(json!({"amounts": {"JPY": {"return_shipping_fee": "8.50"}}}))
            .unwrap_err()
            .code(),
        "too_many_decimals"
    );
    assert_eq!(
        policy(json!({"reasons": {"other": {"labels": {"fr": "Autre"}}}}))
            .unwrap_err()
            .code(),
        "unknown_language"
    );
}

#[test]
fn every_error_says_what_to_fix_in_both_languages() {
    let error = build(patched(
        json!({"payments": [{"method": "alipay", "amount": "250.00"}]}),
    ))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Payments add up to 250.00, but lines − discounts + shipping is 258.00."
    );
    assert_eq!(
        messages::input_error(&error, Lang::ZhCn),
        "支付合计 250.00 与订单应付 258.00（商品 − 优惠 + 运费）不符。"
    );
}

#[test]
fn a_ledger_or_request_built_for_another_order_is_refused_not_misread() {
    use refund_core::{Context, Ledger, quote};
    let small = build(base_order()).unwrap();
    let big = build(patched(json!({
        "lines": [
            {"id": "L1", "sku": "SHIRT", "title": "Shirt", "unit_price": "99.00", "quantity": 2},
            {"id": "L2", "sku": "MUG", "title": "Mug", "unit_price": "50.00", "quantity": 1},
            {"id": "L3", "sku": "PEN", "title": "Pen", "unit_price": "5.00", "quantity": 1}
        ],
        "payments": [{"method": "alipay", "amount": "263.00"}]
    })))
    .unwrap();
    let policy = Policy::new(&PolicyWire::default()).unwrap();
    let wire: RequestWire = serde_json::from_value(
        json!({"kind": "return_and_refund", "reason": "quality_issue", "lines": [{"line_id": "L3", "quantity": 1}]}),
    )
    .unwrap();
    let request = RefundRequest::new(&big, &wire).unwrap();
    let context = Context {
        now: small.placed_at(),
        recent_requests: 0,
    };
    let error = quote(&small, &policy, &Ledger::new(&big), &request, context).unwrap_err();
    assert_eq!(error.code(), "order_mismatch");
    let error = quote(&small, &policy, &Ledger::new(&small), &request, context).unwrap_err();
    assert_eq!(error.code(), "order_mismatch");
}
