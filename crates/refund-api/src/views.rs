//! What both APIs show of a request.

use chrono::{DateTime, Utc};
use refund_core::wire::{DecimalStr, VariantWire};
use refund_core::{
    Actor, Component, Currency, DeadlineKind, Outcome, Reason, RequestKind, SplitLine, State,
};
use serde::{Deserialize, Serialize};

use crate::{ActedBy, Bilingual, Deduction, ReturnTo, StaffBrief};

/// A request as the shopper and the merchant see it. A client that shows amounts and steps
/// only reads it as `RequestView<QuoteSummary, IgnoredAny>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "Q: Deserialize<'de>, D: Deserialize<'de> + Default"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestView<Q = refund_core::Quote, D = EventDetail> {
    pub id: String,
    /// The request number (申请号) the shopper quotes: `RF` + date + sequence.
    #[cfg_attr(feature = "openapi", schema(example = "RF20261106000042"))]
    pub number: String,
    pub order_number: String,
    pub kind: RequestKind,
    pub reason: Reason,
    pub state: State,
    /// The quote the request was recorded with.
    pub quote: Q,
    /// Ids of the evidence images.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub evidence: Vec<String>,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub submitted_at: DateTime<Utc>,
    /// The deadline running now, if any.
    pub deadline: Option<DeadlineView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// Why the merchant rejected it, shown to the shopper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    /// The rejection in both languages, when it came from a reply template: show the
    /// shopper's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason_text: Option<Bilingual>,
    /// The requested lines, with the order's titles and SKUs.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub lines: Vec<RequestedLine>,
    /// Where the goods go back, once the merchant approved a return with an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<ReturnTo>,
    /// What was paid out, once recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout: Option<PayoutRecord>,
    /// Messages in the thread the reader has not read.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub unread: u32,
    /// The merchant's view only: what the shopper said, and who works the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk: Option<DeskFacts>,
    /// Every step, oldest first.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub history: Vec<HistoryEvent<D>>,
}

/// One requested line, as the order names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestedLine {
    pub line_id: String,
    pub sku: String,
    pub title: String,
    pub quantity: u32,
    /// `exchange` only: the variant the shopper wants instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_for: Option<VariantWire>,
}

/// What only the merchant's staff see of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeskFacts {
    /// The shopper's e-mail (the order's).
    pub customer_email: String,
    /// The shopper's note.
    pub note: String,
    /// The shopper confirmed the goods are intact (商品完好).
    pub goods_intact: bool,
    /// The policy version the request was judged under.
    pub policy_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<StaffBrief>,
}

/// A payout as recorded: per payment, the total, and any stated deduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutRecord {
    pub payouts: Vec<Payout>,
    pub total: DecimalStr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deduction: Option<Deduction>,
    /// The payment provider's reference, if the merchant gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl<Q, D> RequestView<Q, D> {
    /// The shopper may cancel until the merchant (or a rule) decides.
    pub fn can_cancel(&self) -> bool {
        self.state == State::Submitted
    }

    /// Goods go back once the request is approved, for the kinds that send goods back.
    pub fn awaits_shipment(&self) -> bool {
        self.state == State::Approved && self.kind.returns_goods()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineView {
    pub kind: DeadlineKind,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub at: DateTime<Utc>,
    /// Seconds from the server's now to `at`, never negative.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub seconds_left: i64,
    /// The deadline has passed and nothing moved the request on: a payout is late.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub overdue: bool,
}

/// One step of a request: who did what, the state before and after, when, and what it
/// recorded (`D`: [`EventDetail`]; a client that does not show it reads `IgnoredAny`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "D: Deserialize<'de> + Default"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEvent<D = EventDetail> {
    pub actor: Actor,
    /// The event (`submit`, `approve`, `reject`, `cancel`, `ship_back`, `confirm_receipt`,
    /// `record_refund`, `complete_exchange`, `close`), or a step that leaves the state as it
    /// is: `assign`, `message`.
    #[cfg_attr(feature = "openapi", schema(example = "approve"))]
    pub action: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub before: Option<State>,
    pub after: State,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub at: DateTime<Utc>,
    /// For the merchant's steps, who took it (absent in the shopper's view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActedBy>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub detail: D,
}

/// What a step recorded besides its state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventDetail {
    /// `submit`: the total recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<DecimalStr>,
    /// `submit`: the verdict at submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// `record_refund`: what was paid out, per payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payouts: Option<Vec<Payout>>,
    /// `record_refund`: a deduction stated to the shopper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deduction: Option<Deduction>,
    /// `assign`: who the request went to (absent: nobody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<StaffBrief>,
    /// `submit` of an exchange: each line and the variant asked for instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<RequestedLine>,
}

/// Money paid back through one of the order's payments.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payout {
    /// The payment's position in the order's payments.
    pub payment: u32,
    pub amount: DecimalStr,
}

/// A recorded quote read for its amounts only (not its eligibility codes): what a client that
/// shows a request needs. Deserialises from the server's whole [`refund_core::Quote`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct QuoteSummary {
    pub currency: Currency,
    pub total: DecimalStr,
    pub components: Vec<ComponentSummary>,
    pub split: Vec<SplitLine>,
}

/// One amount component as recorded; the fields a component does not have are absent.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ComponentSummary {
    code: String,
    amount: DecimalStr,
    #[serde(default)]
    line_id: Option<String>,
    #[serde(default)]
    quantity: Option<u32>,
    #[serde(default)]
    percent: Option<DecimalStr>,
    #[serde(default)]
    threshold: Option<DecimalStr>,
    #[serde(default)]
    discount_id: Option<String>,
    #[serde(default)]
    units: Option<u32>,
}

impl ComponentSummary {
    /// The engine's component, to word it with the engine's catalog; `None` for a code this
    /// build does not know (a newer server), which is then left out rather than mis-explained.
    pub fn component(&self) -> Option<Component> {
        let amount = self.amount;
        Some(match self.code.as_str() {
            "item" => Component::Item {
                line_id: self.line_id.clone()?,
                quantity: self.quantity?,
                amount,
            },
            "shipping_refund" => Component::ShippingRefund { amount },
            "return_shipping_fee" => Component::ReturnShippingFee { amount },
            "restocking_fee" => Component::RestockingFee {
                amount,
                percent: self.percent?,
            },
            "lost_free_shipping" => Component::LostFreeShipping {
                amount,
                threshold: self.threshold?,
            },
            "lost_threshold_discount" => Component::LostThresholdDiscount {
                amount,
                discount_id: self.discount_id.clone()?,
                threshold: self.threshold?,
            },
            "missing_gift" => Component::MissingGift {
                amount,
                line_id: self.line_id.clone()?,
                units: self.units?,
            },
            "refund_limit" => Component::RefundLimit { amount },
            _ => return None,
        })
    }
}
