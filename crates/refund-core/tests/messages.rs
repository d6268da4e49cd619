//! The catalog speaks both languages completely, and formats money the way shoppers read it.

use chrono::{DateTime, NaiveDate};
use refund_core::messages::{
    code_message, component_message, format_money, input_error, kind_label, lifecycle_error,
    reason_label, state_label,
};
use refund_core::wire::DecimalStr;
use refund_core::{
    Actor, Code, Component, Currency, InputError, Lang, LifecycleError, OrderFlag, Reason,
    RequestKind, State,
};
use rust_decimal::Decimal;

fn money(text: &str) -> DecimalStr {
    DecimalStr(text.parse().unwrap())
}

/// One of every code, with parameters.
fn every_code() -> Vec<Code> {
    let day = NaiveDate::from_ymd_opt(2026, 11, 11).unwrap();
    vec![
        Code::OrderUnpaid,
        Code::OrderCancelled,
        Code::QuantityZero,
        Code::QuantityExceedsAvailable {
            requested: 3,
            available: 0,
        },
        Code::QuantityExceedsAvailable {
            requested: 3,
            available: 2,
        },
        Code::NotDelivered {
            kind: RequestKind::ReturnAndRefund,
        },
        Code::AlreadyDelivered,
        Code::NotReceivedTooEarly {
            available_from: DateTime::parse_from_rfc3339("2026-11-07T10:00:00+08:00").unwrap(),
        },
        Code::NoReasonWindowClosed {
            days: 7,
            last_day: day,
        },
        Code::QualityWindowClosed {
            days: 15,
            last_day: day,
        },
        Code::FinalSale,
        Code::ExcludedCategory {
            category: "perishable".to_owned(),
        },
        Code::NoReasonWaived,
        Code::IntactConfirmationMissing,
        Code::EvidenceRequired {
            required: 1,
            provided: 0,
        },
        Code::NoteRequired,
        Code::KindDisabled {
            kind: RequestKind::Exchange,
        },
        Code::ReasonDisabled {
            reason: Reason::Other,
        },
        Code::KeepItemReview {
            threshold: money("20.00"),
        },
        Code::InTransitReview,
        Code::ExchangeReview,
        Code::ExchangeChoiceMissing,
        Code::VariantOutOfStock {
            sku: "SHIRT-XL".to_owned(),
        },
        Code::NothingToExchangeFor,
        Code::OrderFlagged {
            flag: OrderFlag::DiscountOutsideValidity {
                discount_id: "NEW10".to_owned(),
            },
        },
        Code::OrderFlagged {
            flag: OrderFlag::NonStackableCombined {
                discount_ids: vec!["A".to_owned(), "B".to_owned()],
            },
        },
        Code::AboveReviewCap {
            cap: money("5000.00"),
        },
        Code::ManualReview,
        Code::AutoApproveAmountExceeded {
            max: money("200.00"),
        },
        Code::AutoApproveReasonExcluded {
            reason: Reason::QualityIssue,
        },
        Code::AutoApproveRecentRequests { count: 3, max: 3 },
    ]
}

fn every_component() -> Vec<Component> {
    vec![
        Component::Item {
            line_id: "L1".to_owned(),
            quantity: 2,
            amount: money("198.00"),
        },
        Component::ShippingRefund {
            amount: money("10.00"),
        },
        Component::ReturnShippingFee {
            amount: money("-8.00"),
        },
        Component::RestockingFee {
            amount: money("-9.90"),
            percent: money("10"),
        },
        Component::LostFreeShipping {
            amount: money("-10.00"),
            threshold: money("99.00"),
        },
        Component::LostThresholdDiscount {
            amount: money("-18.00"),
            discount_id: "200-30".to_owned(),
            threshold: money("200.00"),
        },
        Component::LostFreeShipping {
            amount: money("0.00"),
            threshold: money("99.00"),
        },
        Component::LostThresholdDiscount {
            amount: money("0.00"),
            discount_id: "200-30".to_owned(),
            threshold: money("200.00"),
        },
        Component::MissingGift {
            amount: money("-20.00"),
            line_id: "G".to_owned(),
            units: 1,
        },
        Component::RefundLimit {
            amount: money("-0.01"),
        },
    ]
}

fn every_input_error() -> Vec<InputError> {
    let field = || "lines[0].unit_price".to_owned();
    vec![
        InputError::UnknownCurrency {
            code: "XTS".to_owned(),
        },
        InputError::NegativeAmount {
            field: field(),
            value: "-1".to_owned(),
        },
        InputError::AmountTooLarge {
            field: field(),
            value: "1e13".to_owned(),
        },
        InputError::TooManyDecimals {
            field: field(),
            value: "1.999".to_owned(),
            currency: Currency::Cny,
            exponent: 2,
        },
        InputError::Required { field: field() },
        InputError::TooLong {
            field: field(),
            max: 64,
        },
        InputError::TooMany {
            field: field(),
            max: 1000,
        },
        InputError::OutOfRange {
            field: field(),
            min: 0,
            max: 3650,
        },
        InputError::InvalidEmail,
        InputError::InvalidUrl {
            field: "lines[0].image_url".to_owned(),
        },
        InputError::UnknownVariant {
            line_id: "L1".to_owned(),
            sku: "SHIRT-XXL".to_owned(),
        },
        InputError::TimeBefore {
            field: "delivered_at".to_owned(),
            before: "shipped_at".to_owned(),
        },
        InputError::DuplicateId {
            field: "lines".to_owned(),
            id: "L1".to_owned(),
        },
        InputError::QuantityZero { field: field() },
        InputError::QuantityTooLarge {
            field: field(),
            max: 100_000,
        },
        InputError::LineDiscountExceedsPrice { field: field() },
        InputError::GiftParentMissing {
            field: field(),
            parent: "L9".to_owned(),
        },
        InputError::GiftOfGift { field: field() },
        InputError::GiftNotFree { field: field() },
        InputError::NotAllowed { field: field() },
        InputError::DiscountsExceedGoods {
            discounts: "10".to_owned(),
            goods: "9".to_owned(),
        },
        InputError::PaymentsMismatch {
            expected: "10".to_owned(),
            paid: "9".to_owned(),
        },
        InputError::InvalidUtcOffset {
            value: "Beijing".to_owned(),
        },
        InputError::InvalidPercent {
            field: field(),
            value: "101".to_owned(),
        },
        InputError::UnknownLanguage {
            tag: "fr".to_owned(),
        },
        InputError::EmptyRequest,
        InputError::UnknownLine {
            line_id: "L9".to_owned(),
        },
        InputError::DuplicateRequestLine {
            line_id: "L1".to_owned(),
        },
        InputError::LedgerInconsistent {
            field: "payments".to_owned(),
        },
        InputError::OrderMismatch,
        InputError::TimeOutOfRange { field: field() },
        InputError::Overflow,
    ]
}

fn every_lifecycle_error() -> Vec<LifecycleError> {
    let at = DateTime::parse_from_rfc3339("2026-11-08T12:00:00Z")
        .unwrap()
        .to_utc();
    vec![
        LifecycleError::NotAllowed {
            state: State::Refunded,
            event: "cancel",
            kind: RequestKind::RefundOnly,
        },
        LifecycleError::WrongActor {
            actor: Actor::Shopper,
            event: "approve",
        },
        LifecycleError::DeadlineNotReached { deadline: at },
        LifecycleError::InvalidText {
            field: "reason",
            max: 500,
        },
        LifecycleError::OutOfOrder { last: at },
    ]
}

fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Chinese text is Chinese, English text has no Chinese in it, and no placeholder is left.
fn assert_bilingual(zh: &str, en: &str, what: &str) {
    assert!(has_cjk(zh), "{what}: zh-CN text has no Chinese: {zh}");
    assert!(!has_cjk(en), "{what}: en text has Chinese in it: {en}");
    assert!(!en.contains("(s)"), "{what}: English counts in words: {en}");
    for text in [zh, en] {
        assert!(
            !text.contains('{') && !text.contains('}'),
            "{what}: unfilled placeholder in {text}"
        );
    }
}

#[test]
fn every_eligibility_code_has_a_message_in_both_languages() {
    let codes = every_code();
    let mut names: Vec<&str> = codes.iter().map(Code::name).collect();
    names.dedup();
    assert_eq!(names.len(), 29, "the list above covers every code");
    for code in &codes {
        let zh = code_message(code, Lang::ZhCn, Currency::Cny);
        let en = code_message(code, Lang::En, Currency::Cny);
        assert_bilingual(&zh, &en, code.name());
    }
}

#[test]
fn every_amount_component_is_explained_in_both_languages() {
    for component in every_component() {
        let zh = component_message(&component, Lang::ZhCn, Currency::Cny);
        let en = component_message(&component, Lang::En, Currency::Cny);
        assert_bilingual(&zh, &en, component.name());
    }
}

#[test]
fn a_deduction_charged_on_a_refund_without_return_does_not_speak_of_a_return() {
    // Lost free shipping and a lost 满减 are charged on refund-only requests too (an order in
    // transit): their words must fit either kind.
    for component in every_component() {
        if matches!(
            component,
            Component::LostFreeShipping { .. } | Component::LostThresholdDiscount { .. }
        ) {
            let zh = component_message(&component, Lang::ZhCn, Currency::Cny);
            let en = component_message(&component, Lang::En, Currency::Cny);
            assert!(!zh.contains("退货"), "{zh}");
            assert!(!en.to_lowercase().contains("return"), "{en}");
        }
    }
}

#[test]
fn english_counts_one_and_many_in_words() {
    let one = Component::Item {
        line_id: "L1".to_owned(),
        quantity: 1,
        amount: money("10.00"),
    };
    assert!(component_message(&one, Lang::En, Currency::Cny).starts_with("1 item at"));
}

#[test]
fn every_error_code_is_listed_for_the_api_document() {
    for error in every_input_error() {
        assert!(
            InputError::CODES.contains(&error.code()),
            "{}",
            error.code()
        );
    }
    for error in every_lifecycle_error() {
        assert!(
            LifecycleError::CODES.contains(&error.code()),
            "{}",
            error.code()
        );
    }
    assert_eq!(InputError::CODES.len(), every_input_error().len());
    assert_eq!(LifecycleError::CODES.len(), every_lifecycle_error().len());
}

#[test]
fn every_error_has_a_message_in_both_languages() {
    for error in every_input_error() {
        assert_bilingual(
            &input_error(&error, Lang::ZhCn),
            &input_error(&error, Lang::En),
            error.code(),
        );
        assert_eq!(error.to_string(), input_error(&error, Lang::En));
    }
    for error in every_lifecycle_error() {
        assert_bilingual(
            &lifecycle_error(&error, Lang::ZhCn),
            &lifecycle_error(&error, Lang::En),
            error.code(),
        );
    }
}

#[test]
fn every_label_exists_in_both_languages() {
    for reason in Reason::ALL {
        assert_bilingual(
            reason_label(reason, Lang::ZhCn),
            reason_label(reason, Lang::En),
            reason.code(),
        );
    }
    for kind in RequestKind::ALL {
        assert_bilingual(
            kind_label(kind, Lang::ZhCn),
            kind_label(kind, Lang::En),
            kind.code(),
        );
    }
    for state in State::ALL {
        assert_bilingual(
            state_label(state, Lang::ZhCn),
            state_label(state, Lang::En),
            state.code(),
        );
    }
}

#[test]
fn parameters_are_filled_in() {
    let code = Code::QuantityExceedsAvailable {
        requested: 3,
        available: 2,
    };
    assert_eq!(
        code_message(&code, Lang::ZhCn, Currency::Cny),
        "最多还可申请 2 件，您选择了 3 件。"
    );
    assert_eq!(
        code_message(&code, Lang::En, Currency::Cny),
        "You can request at most 2 more, but chose 3."
    );
    let window = Code::NoReasonWindowClosed {
        days: 7,
        last_day: NaiveDate::from_ymd_opt(2026, 11, 11).unwrap(),
    };
    assert_eq!(
        code_message(&window, Lang::ZhCn, Currency::Cny),
        "7 天无理由退换期已于 2026年11月11日 结束。"
    );
    assert_eq!(
        code_message(&window, Lang::En, Currency::Cny),
        "The 7-day no-reason return period ended on 11 Nov 2026."
    );
    let cap = Code::AboveReviewCap { cap: money("5000") };
    assert_eq!(
        code_message(&cap, Lang::En, Currency::Jpy),
        "Refunds above ¥5,000 are reviewed by the merchant."
    );
}

#[test]
fn a_threshold_deduction_settled_at_zero_says_it_is_not_charged_later() {
    let settled = Component::LostFreeShipping {
        amount: money("0.00"),
        threshold: money("20.00"),
    };
    assert_eq!(
        component_message(&settled, Lang::En, Currency::Cny),
        "What you keep falls below the CN¥20.00 free-shipping threshold; the refund is already down to zero, so the shipping is not deducted now or on a later request."
    );
    let charged = Component::LostFreeShipping {
        amount: money("-5.00"),
        threshold: money("20.00"),
    };
    assert!(component_message(&charged, Lang::En, Currency::Cny).ends_with("is deducted."));
}

#[test]
fn money_is_formatted_per_language_and_currency() {
    let cases = [
        ("1234.5", Currency::Cny, Lang::ZhCn, "¥1,234.50"),
        ("1234.5", Currency::Cny, Lang::En, "CN¥1,234.50"),
        ("-5.98", Currency::Cny, Lang::ZhCn, "-¥5.98"),
        ("19.9", Currency::Usd, Lang::En, "$19.90"),
        ("19.9", Currency::Eur, Lang::En, "€19.90"),
        ("1990", Currency::Jpy, Lang::En, "¥1,990"),
        ("1990", Currency::Jpy, Lang::ZhCn, "JP¥1,990"),
        ("1.25", Currency::Kwd, Lang::En, "KWD 1.250"),
        ("0", Currency::Cny, Lang::En, "CN¥0.00"),
        ("1000000", Currency::Krw, Lang::En, "₩1,000,000"),
    ];
    for (amount, currency, lang, expected) in cases {
        let amount: Decimal = amount.parse().unwrap();
        assert_eq!(format_money(amount, currency, lang), expected);
    }
}

#[test]
fn browser_language_preferences_pick_chinese_or_english() {
    assert_eq!(Lang::negotiate(["zh-Hans-CN", "en"]), Lang::ZhCn);
    assert_eq!(Lang::negotiate(["fr-FR", "en-GB"]), Lang::En);
    assert_eq!(Lang::negotiate(["fr-FR"]), Lang::En);
    assert_eq!(Lang::negotiate(["zh_TW"]), Lang::ZhCn);
}
