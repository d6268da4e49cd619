//! Typed errors for input that cannot become a domain value.
//!
//! Each error has a stable code, the field it is about (a JSON path into the input) and a message
//! in every supported language from [`crate::messages`]; `Display` is the English message.

use crate::messages::{Lang, input_error};
use crate::money::Currency;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", input_error(self, Lang::En))]
pub enum InputError {
    UnknownCurrency {
        code: String,
    },
    NegativeAmount {
        field: String,
        value: String,
    },
    AmountTooLarge {
        field: String,
        value: String,
    },
    TooManyDecimals {
        field: String,
        value: String,
        currency: Currency,
        exponent: u32,
    },
    Required {
        field: String,
    },
    TooLong {
        field: String,
        max: usize,
    },
    TooMany {
        field: String,
        max: usize,
    },
    OutOfRange {
        field: String,
        min: u64,
        max: u64,
    },
    InvalidEmail,
    /// Not an absolute `https:` or `http:` address.
    InvalidUrl {
        field: String,
    },
    TimeBefore {
        field: String,
        before: String,
    },
    DuplicateId {
        field: String,
        id: String,
    },
    QuantityZero {
        field: String,
    },
    QuantityTooLarge {
        field: String,
        max: u32,
    },
    LineDiscountExceedsPrice {
        field: String,
    },
    GiftParentMissing {
        field: String,
        parent: String,
    },
    GiftOfGift {
        field: String,
    },
    GiftNotFree {
        field: String,
    },
    NotAllowed {
        field: String,
    },
    DiscountsExceedGoods {
        discounts: String,
        goods: String,
    },
    PaymentsMismatch {
        expected: String,
        paid: String,
    },
    InvalidUtcOffset {
        value: String,
    },
    InvalidPercent {
        field: String,
        value: String,
    },
    UnknownLanguage {
        tag: String,
    },
    EmptyRequest,
    UnknownLine {
        line_id: String,
    },
    DuplicateRequestLine {
        line_id: String,
    },
    /// An exchange names a variant its line does not list.
    UnknownVariant {
        line_id: String,
        sku: String,
    },
    LedgerInconsistent {
        field: String,
    },
    /// A ledger or request built for one order was used with another.
    OrderMismatch,
    /// A timestamp outside 1970 to 9999.
    TimeOutOfRange {
        field: String,
    },
    Overflow,
}

impl InputError {
    /// The stable snake_case code.
    /// Every code [`InputError::code`] gives, for documenting an API's errors.
    pub const CODES: &[&str] = &[
        "unknown_currency",
        "negative_amount",
        "amount_too_large",
        "too_many_decimals",
        "required",
        "too_long",
        "too_many",
        "out_of_range",
        "invalid_email",
        "invalid_url",
        "time_out_of_order",
        "duplicate_id",
        "quantity_zero",
        "quantity_too_large",
        "line_discount_exceeds_price",
        "gift_parent_missing",
        "gift_of_gift",
        "gift_not_free",
        "field_not_allowed",
        "discounts_exceed_goods",
        "payments_mismatch",
        "invalid_utc_offset",
        "invalid_percent",
        "unknown_language",
        "request_empty",
        "unknown_line",
        "duplicate_request_line",
        "unknown_variant",
        "ledger_inconsistent",
        "order_mismatch",
        "time_out_of_range",
        "amount_overflow",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            InputError::UnknownCurrency { .. } => "unknown_currency",
            InputError::NegativeAmount { .. } => "negative_amount",
            InputError::AmountTooLarge { .. } => "amount_too_large",
            InputError::TooManyDecimals { .. } => "too_many_decimals",
            InputError::Required { .. } => "required",
            InputError::TooLong { .. } => "too_long",
            InputError::TooMany { .. } => "too_many",
            InputError::OutOfRange { .. } => "out_of_range",
            InputError::InvalidEmail => "invalid_email",
            InputError::InvalidUrl { .. } => "invalid_url",
            InputError::TimeBefore { .. } => "time_out_of_order",
            InputError::DuplicateId { .. } => "duplicate_id",
            InputError::QuantityZero { .. } => "quantity_zero",
            InputError::QuantityTooLarge { .. } => "quantity_too_large",
            InputError::LineDiscountExceedsPrice { .. } => "line_discount_exceeds_price",
            InputError::GiftParentMissing { .. } => "gift_parent_missing",
            InputError::GiftOfGift { .. } => "gift_of_gift",
            InputError::GiftNotFree { .. } => "gift_not_free",
            InputError::NotAllowed { .. } => "field_not_allowed",
            InputError::DiscountsExceedGoods { .. } => "discounts_exceed_goods",
            InputError::PaymentsMismatch { .. } => "payments_mismatch",
            InputError::InvalidUtcOffset { .. } => "invalid_utc_offset",
            InputError::InvalidPercent { .. } => "invalid_percent",
            InputError::UnknownLanguage { .. } => "unknown_language",
            InputError::EmptyRequest => "request_empty",
            InputError::UnknownLine { .. } => "unknown_line",
            InputError::DuplicateRequestLine { .. } => "duplicate_request_line",
            InputError::UnknownVariant { .. } => "unknown_variant",
            InputError::LedgerInconsistent { .. } => "ledger_inconsistent",
            InputError::OrderMismatch => "order_mismatch",
            InputError::TimeOutOfRange { .. } => "time_out_of_range",
            InputError::Overflow => "amount_overflow",
        }
    }

    /// The input field the error is about, as a path (`"lines[2].unit_price"`), when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            InputError::NegativeAmount { field, .. }
            | InputError::AmountTooLarge { field, .. }
            | InputError::TooManyDecimals { field, .. }
            | InputError::Required { field }
            | InputError::TooLong { field, .. }
            | InputError::TooMany { field, .. }
            | InputError::OutOfRange { field, .. }
            | InputError::TimeBefore { field, .. }
            | InputError::DuplicateId { field, .. }
            | InputError::QuantityZero { field }
            | InputError::QuantityTooLarge { field, .. }
            | InputError::LineDiscountExceedsPrice { field }
            | InputError::GiftParentMissing { field, .. }
            | InputError::GiftOfGift { field }
            | InputError::GiftNotFree { field }
            | InputError::NotAllowed { field }
            | InputError::InvalidPercent { field, .. }
            | InputError::LedgerInconsistent { field }
            | InputError::InvalidUrl { field }
            | InputError::TimeOutOfRange { field } => Some(field),
            InputError::UnknownCurrency { .. } => Some("currency"),
            InputError::InvalidEmail => Some("customer_email"),
            InputError::DiscountsExceedGoods { .. } => Some("discounts"),
            InputError::PaymentsMismatch { .. } => Some("payments"),
            InputError::InvalidUtcOffset { .. } => Some("utc_offset"),
            InputError::EmptyRequest
            | InputError::UnknownLine { .. }
            | InputError::DuplicateRequestLine { .. }
            | InputError::UnknownVariant { .. } => Some("lines"),
            InputError::UnknownLanguage { .. }
            | InputError::OrderMismatch
            | InputError::Overflow => None,
        }
    }
}
