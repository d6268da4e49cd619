//! Eligibility (PRODUCT.md §5): stable codes with their parameters, and the rules that raise them.
//!
//! Codes are split by where they come from. *Line codes* depend on one line with the chosen kind
//! and reason (order status, quantity, delivery state, windows, final sale, category, waiver), so
//! the widget can show for every line whether it can come back and why not. *Request codes*
//! depend on the request as a whole (kind or reason disabled, evidence, note, intact goods,
//! order flags, review thresholds, auto-approval). Each code is either blocking
//! ([`Outcome::Ineligible`]) or sends the request to a person ([`Outcome::NeedsReview`]).
//!
//! Choices where the brief is silent:
//! - `refund_only` before shipment skips every reason-based rule, evidence included (there is
//!   nothing to photograph yet); a disabled kind or reason and a missing note still apply.
//! - `refund_only` after shipment but before delivery needs review unless the reason is
//!   `not_received` (the parcel is on its way back or lost; a person decides).
//! - The quality window is counted like the no-reason window, from the day after delivery; it
//!   does not apply to `not_received`, which is refused outright once delivered.
//! - `not_received_after_days` counts whole 24-hour days from the shipping instant.
//! - The intact-goods confirmation is asked only when goods travel back (return or exchange).
//! - Auto-approval codes are reported only when nothing else already blocks or needs review.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::ledger::Ledger;
use crate::order::{LineIndex, Order, OrderFlag};
use crate::policy::Policy;
use crate::request::{Fault, Reason, RefundRequest, RequestKind, RequestLine};
use crate::wire::{DecimalStr, OrderStatus};

/// The verdict on a line or a request. Ordered from best to worst, so the verdict of several
/// codes is the maximum of theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// Allowed, and (for a whole request) approved by rule without waiting for the merchant.
    Eligible,
    /// Allowed, but a person at the merchant decides.
    NeedsReview,
    /// Not allowed as asked; the codes say what to change.
    Ineligible,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Code {
    OrderUnpaid,
    OrderCancelled,
    QuantityZero,
    QuantityExceedsAvailable {
        requested: u32,
        available: u32,
    },
    /// Goods must be delivered before they can be sent back.
    NotDelivered {
        kind: RequestKind,
    },
    /// `not_received` on a delivered order.
    AlreadyDelivered,
    NotReceivedTooEarly {
        available_from: DateTime<FixedOffset>,
    },
    NoReasonWindowClosed {
        days: u32,
        last_day: NaiveDate,
    },
    QualityWindowClosed {
        days: u32,
        last_day: NaiveDate,
    },
    FinalSale,
    ExcludedCategory {
        category: String,
    },
    NoReasonWaived,
    IntactConfirmationMissing,
    EvidenceRequired {
        required: u32,
        provided: u32,
    },
    NoteRequired,
    KindDisabled {
        kind: RequestKind,
    },
    ReasonDisabled {
        reason: Reason,
    },
    /// 退款不退货 on a delivered order above the merchant's keep-the-item threshold.
    KeepItemReview {
        threshold: DecimalStr,
    },
    InTransitReview,
    ExchangeReview,
    /// An exchange of a line that lists variants, with none chosen yet.
    ExchangeChoiceMissing,
    /// The variant chosen for an exchange is out of stock.
    VariantOutOfStock {
        sku: String,
    },
    /// An exchange of a line whose every listed variant is out of stock.
    NothingToExchangeFor,
    OrderFlagged {
        flag: OrderFlag,
    },
    AboveReviewCap {
        cap: DecimalStr,
    },
    /// The merchant has no auto-approval for this order's currency.
    ManualReview,
    AutoApproveAmountExceeded {
        max: DecimalStr,
    },
    AutoApproveReasonExcluded {
        reason: Reason,
    },
    AutoApproveRecentRequests {
        count: u32,
        max: u32,
    },
}

impl Code {
    pub fn outcome(&self) -> Outcome {
        match self {
            Code::KeepItemReview { .. }
            | Code::InTransitReview
            | Code::ExchangeReview
            | Code::OrderFlagged { .. }
            | Code::AboveReviewCap { .. }
            | Code::ManualReview
            | Code::AutoApproveAmountExceeded { .. }
            | Code::AutoApproveReasonExcluded { .. }
            | Code::AutoApproveRecentRequests { .. } => Outcome::NeedsReview,
            _ => Outcome::Ineligible,
        }
    }

    /// A step the shopper finishes in the form (confirm the goods are intact, add photos,
    /// write a note), not a refusal by the rules: shown as what is left to do.
    pub fn is_step(&self) -> bool {
        matches!(
            self,
            Code::IntactConfirmationMissing
                | Code::EvidenceRequired { .. }
                | Code::NoteRequired
                | Code::ExchangeChoiceMissing
        )
    }

    /// The stable snake_case code, as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Code::OrderUnpaid => "order_unpaid",
            Code::OrderCancelled => "order_cancelled",
            Code::QuantityZero => "quantity_zero",
            Code::QuantityExceedsAvailable { .. } => "quantity_exceeds_available",
            Code::NotDelivered { .. } => "not_delivered",
            Code::AlreadyDelivered => "already_delivered",
            Code::NotReceivedTooEarly { .. } => "not_received_too_early",
            Code::NoReasonWindowClosed { .. } => "no_reason_window_closed",
            Code::QualityWindowClosed { .. } => "quality_window_closed",
            Code::FinalSale => "final_sale",
            Code::ExcludedCategory { .. } => "excluded_category",
            Code::NoReasonWaived => "no_reason_waived",
            Code::IntactConfirmationMissing => "intact_confirmation_missing",
            Code::EvidenceRequired { .. } => "evidence_required",
            Code::NoteRequired => "note_required",
            Code::KindDisabled { .. } => "kind_disabled",
            Code::ReasonDisabled { .. } => "reason_disabled",
            Code::KeepItemReview { .. } => "keep_item_review",
            Code::InTransitReview => "in_transit_review",
            Code::ExchangeReview => "exchange_review",
            Code::ExchangeChoiceMissing => "exchange_choice_missing",
            Code::VariantOutOfStock { .. } => "variant_out_of_stock",
            Code::NothingToExchangeFor => "nothing_to_exchange_for",
            Code::OrderFlagged { .. } => "order_flagged",
            Code::AboveReviewCap { .. } => "above_review_cap",
            Code::ManualReview => "manual_review",
            Code::AutoApproveAmountExceeded { .. } => "auto_approve_amount_exceeded",
            Code::AutoApproveReasonExcluded { .. } => "auto_approve_reason_excluded",
            Code::AutoApproveRecentRequests { .. } => "auto_approve_recent_requests",
        }
    }
}

/// The verdict of a set of codes: the worst of them, or eligible when there are none.
pub fn outcome_of<'a>(codes: impl IntoIterator<Item = &'a Code>) -> Outcome {
    codes
        .into_iter()
        .map(Code::outcome)
        .max()
        .unwrap_or(Outcome::Eligible)
}

/// Whether the reason-based rules are skipped: 未发货仅退款 is eligible whatever the reason.
/// Whether `reason` can be given for this order at all as it stands: "not received" cannot be
/// said of a delivered order (every line would be refused with `AlreadyDelivered`).
pub fn reason_fits(order: &Order, reason: Reason) -> bool {
    !(reason == Reason::NotReceived && order.delivered_at().is_some())
}

pub(crate) fn unshipped_refund_only(order: &Order, kind: RequestKind) -> bool {
    kind == RequestKind::RefundOnly && order.shipped_at().is_none()
}

/// The codes for refunding `quantity` units of `line` with this kind and reason at `now`.
/// Empty means the line is eligible.
#[allow(clippy::too_many_arguments)]
pub fn line_codes(
    order: &Order,
    policy: &Policy,
    ledger: &Ledger,
    kind: RequestKind,
    reason: Reason,
    line: LineIndex,
    quantity: u32,
    now: DateTime<Utc>,
) -> Vec<Code> {
    let mut codes = Vec::new();
    match order.status() {
        OrderStatus::Paid => {}
        OrderStatus::Unpaid => codes.push(Code::OrderUnpaid),
        OrderStatus::Cancelled => codes.push(Code::OrderCancelled),
    }
    let available = ledger.available(order, line);
    if quantity == 0 {
        codes.push(Code::QuantityZero);
    } else if quantity > available {
        codes.push(Code::QuantityExceedsAvailable {
            requested: quantity,
            available,
        });
    }
    let delivered = order.delivered_at();
    if kind.returns_goods() && delivered.is_none() {
        codes.push(Code::NotDelivered { kind });
    }
    let variants = order.line(line).variants();
    if kind == RequestKind::Exchange
        && !variants.is_empty()
        && variants.iter().all(|v| !v.in_stock())
    {
        codes.push(Code::NothingToExchangeFor);
    }
    if reason == Reason::NotReceived {
        if delivered.is_some() {
            codes.push(Code::AlreadyDelivered);
        } else if let (Some(shipped), Some(days)) =
            (order.shipped_at(), policy.not_received_after_days())
        {
            let from =
                TimeDelta::try_days(i64::from(days)).and_then(|d| shipped.checked_add_signed(d));
            if let Some(from) = from.filter(|from| now < *from) {
                codes.push(Code::NotReceivedTooEarly {
                    available_from: from.with_timezone(&policy.offset()),
                });
            }
        }
    }
    if unshipped_refund_only(order, kind) {
        return codes;
    }
    let fault = reason.fault();
    if let Some(delivered) = delivered {
        let window = match fault {
            Fault::Shopper => Some((policy.no_reason_days(), true)),
            Fault::Seller if reason != Reason::NotReceived => Some((policy.quality_days(), false)),
            Fault::Seller => None,
        };
        if let Some((days, no_reason)) = window {
            // A window whose end cannot be represented is treated as closed: refusing is the safe
            // side for money, and no real date is that far away.
            let closed = policy
                .window_end(delivered, days)
                .is_none_or(|end| now >= end);
            if closed {
                let last_day = policy
                    .window_last_day(delivered, days)
                    .unwrap_or(NaiveDate::MAX);
                codes.push(if no_reason {
                    Code::NoReasonWindowClosed { days, last_day }
                } else {
                    Code::QualityWindowClosed { days, last_day }
                });
            }
        }
    }
    if fault == Fault::Shopper {
        let l = order.line(line);
        if l.final_sale() {
            codes.push(Code::FinalSale);
        }
        if policy.is_excluded_category(l.category()) {
            codes.push(Code::ExcludedCategory {
                category: l.category().to_owned(),
            });
        }
        if l.no_reason_waived() {
            codes.push(Code::NoReasonWaived);
        }
    }
    codes
}

/// What an exchange of a line that lists variants still lacks: a choice, or one in stock. A line
/// that lists none is exchanged for the same item.
pub(crate) fn exchange_codes(order: &Order, requested: RequestLine) -> Option<Code> {
    let line = order.line(requested.line());
    if line.variants().is_empty() {
        return None;
    }
    match requested.variant(order) {
        None => Some(Code::ExchangeChoiceMissing),
        Some(v) if !v.in_stock() => Some(Code::VariantOutOfStock {
            sku: v.sku().to_owned(),
        }),
        Some(_) => None,
    }
}

/// The blocking request-level codes: what the shopper must change or add before submitting.
pub(crate) fn request_blockers(
    order: &Order,
    policy: &Policy,
    request: &RefundRequest,
) -> Vec<Code> {
    let (kind, reason) = (request.kind(), request.reason());
    let mut codes = Vec::new();
    if !policy.kind_enabled(kind) {
        codes.push(Code::KindDisabled { kind });
    }
    if !policy.reason_enabled(reason) {
        codes.push(Code::ReasonDisabled { reason });
    }
    if policy.evidence_required(reason)
        && !unshipped_refund_only(order, kind)
        && request.evidence_files() < policy.min_evidence_files()
    {
        codes.push(Code::EvidenceRequired {
            required: policy.min_evidence_files(),
            provided: request.evidence_files(),
        });
    }
    if reason.needs_note() && request.note().is_empty() {
        codes.push(Code::NoteRequired);
    }
    if reason.fault() == Fault::Shopper && kind.returns_goods() && !request.goods_intact() {
        codes.push(Code::IntactConfirmationMissing);
    }
    codes
}
