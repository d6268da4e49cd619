//! Quoting a request: eligibility, every amount component, the total and the payment split
//! (PRODUCT.md §5 and §6).
//!
//! The quote is the one thing both the browser and the server compute from the same inputs, and
//! its JSON must come out byte for byte the same on both. It is therefore plain data in a fixed
//! order: lines in request order, components in rule order, the split in payment order.
//!
//! Choices where the brief is silent:
//! - Amounts are computed for every line that is not itself ineligible; a blocking request code
//!   (say, missing evidence) leaves the amounts in place so the shopper sees what they would get.
//! - An item amount is `C(r + k) − refunded_so_far`, clamped to what the line has left, rather
//!   than `C(r + k) − C(r)`: the two agree while no request was cancelled, and the first cannot
//!   pay a cent too much after one was.
//! - Deductions are applied in the order the brief lists them; each is cut to what is left of the
//!   running total, so the components always sum to the total exactly.
//! - Return shipping and restocking fees apply to `return_and_refund` only: a `refund_only`
//!   shopper sends nothing back, so there is nothing to ship or restock.
//! - Lost free shipping and a lost 满减 discount are charged, once per order, to the first
//!   shopper-fault request after which the goods kept fall below the threshold, counting units
//!   returned for a seller-fault reason as kept (the seller's mistakes are not the shopper's to
//!   pay for). That request owes it whatever the zero floor leaves of it: when earlier
//!   deductions already took the whole refund, the component is recorded at `0.00`, which
//!   settles it, so a later request is never charged it again (issue 10). "Once" is judged on
//!   live requests: if the request that settled it is cancelled, the next one that keeps below
//!   the threshold owes it.
//! - The missing-gift deduction applies to `return_and_refund` only (a `refund_only` shopper keeps
//!   both the item and the gift), when this request completes the parent line, for each gift unit
//!   not returned, once per gift line. A gift sent back later is taken back at its price (zero)
//!   with no credit: a credit would outlive the request that paid the deduction if that request
//!   were cancelled. The merchant settles such a case by hand.
//! - Orders with no refund left (`refund_limit`) get a negative component so the sum still holds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::eligibility::{
    Code, Outcome, exchange_codes, line_codes, outcome_of, request_blockers, unshipped_refund_only,
};
use crate::error::InputError;
use crate::ledger::Ledger;
use crate::money::{Currency, Money, allocate};
use crate::order::{LineIndex, Order};
use crate::policy::{Policy, PolicyAmounts, ThresholdMode};
use crate::request::{Fault, Reason, RefundRequest, RequestKind};
use crate::wire::{DecimalStr, DiscountKind, PaymentMethod, VariantWire};

/// What the engine needs from outside besides the order, policy, ledger and request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    /// The instant the request is judged at; the engine has no clock of its own.
    pub now: DateTime<Utc>,
    /// How many requests this shopper made in the last 30 days, for the auto-approval rule.
    pub recent_requests: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    pub policy_version: u32,
    pub currency: Currency,
    pub kind: RequestKind,
    pub reason: Reason,
    /// The verdict on the whole request: `eligible` means approved by rule on submission.
    pub outcome: Outcome,
    pub lines: Vec<QuoteLine>,
    /// Request-level codes (see [`crate::eligibility`]).
    pub codes: Vec<Code>,
    /// Signed amount components; they sum to `total`.
    pub components: Vec<Component>,
    pub total: DecimalStr,
    pub split: Vec<SplitLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteLine {
    pub line_id: String,
    pub quantity: u32,
    pub outcome: Outcome,
    pub codes: Vec<Code>,
    /// `exchange` only: the variant the shopper wants instead, as the order listed it then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_for: Option<VariantWire>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Component {
    Item {
        line_id: String,
        quantity: u32,
        amount: DecimalStr,
    },
    ShippingRefund {
        amount: DecimalStr,
    },
    ReturnShippingFee {
        amount: DecimalStr,
    },
    RestockingFee {
        amount: DecimalStr,
        percent: DecimalStr,
    },
    LostFreeShipping {
        amount: DecimalStr,
        threshold: DecimalStr,
    },
    LostThresholdDiscount {
        amount: DecimalStr,
        discount_id: String,
        threshold: DecimalStr,
    },
    MissingGift {
        amount: DecimalStr,
        line_id: String,
        units: u32,
    },
    RefundLimit {
        amount: DecimalStr,
    },
}

impl Component {
    pub fn amount(&self) -> DecimalStr {
        match self {
            Component::Item { amount, .. }
            | Component::ShippingRefund { amount }
            | Component::ReturnShippingFee { amount }
            | Component::RestockingFee { amount, .. }
            | Component::LostFreeShipping { amount, .. }
            | Component::LostThresholdDiscount { amount, .. }
            | Component::MissingGift { amount, .. }
            | Component::RefundLimit { amount } => *amount,
        }
    }

    /// The stable snake_case code, as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Component::Item { .. } => "item",
            Component::ShippingRefund { .. } => "shipping_refund",
            Component::ReturnShippingFee { .. } => "return_shipping_fee",
            Component::RestockingFee { .. } => "restocking_fee",
            Component::LostFreeShipping { .. } => "lost_free_shipping",
            Component::LostThresholdDiscount { .. } => "lost_threshold_discount",
            Component::MissingGift { .. } => "missing_gift",
            Component::RefundLimit { .. } => "refund_limit",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SplitLine {
    /// The payment's position in the order's payments.
    pub payment: u32,
    pub method: PaymentMethod,
    pub amount: DecimalStr,
    /// Comes back as points, store credit or gift-card balance rather than cash.
    pub in_kind: bool,
}

/// Quotes `request` on `order` under `policy`, given what earlier requests consumed.
///
/// Fails only on arithmetic overflow, which the input bounds make unreachable; it never panics.
pub fn quote(
    order: &Order,
    policy: &Policy,
    ledger: &Ledger,
    request: &RefundRequest,
    context: Context,
) -> Result<Quote, InputError> {
    if !ledger.fits(order) || !request.fits(order) {
        return Err(InputError::OrderMismatch);
    }
    let (kind, reason) = (request.kind(), request.reason());
    let mut lines = Vec::with_capacity(request.lines().len());
    let mut counted = Vec::with_capacity(request.lines().len());
    for requested in request.lines() {
        let mut codes = line_codes(
            order,
            policy,
            ledger,
            kind,
            reason,
            requested.line(),
            requested.quantity(),
            context.now,
        );
        if kind == RequestKind::Exchange {
            codes.extend(exchange_codes(order, *requested));
        }
        let outcome = outcome_of(&codes);
        if outcome != Outcome::Ineligible {
            counted.push((requested.line(), requested.quantity()));
        }
        lines.push(QuoteLine {
            line_id: order.line(requested.line()).id().to_owned(),
            quantity: requested.quantity(),
            outcome,
            codes,
            exchange_for: requested.variant(order).map(|v| VariantWire {
                sku: v.sku().to_owned(),
                title: v.title().to_owned(),
                in_stock: v.in_stock(),
            }),
        });
    }

    let currency = order.currency();
    let amounts = policy.amounts(currency);
    let priced = if kind == RequestKind::Exchange {
        Priced::nothing(currency)
    } else {
        price(order, policy, &amounts, ledger, request, &counted)?
    };

    let mut codes = request_blockers(order, policy, request);
    codes.extend(
        order
            .flags()
            .iter()
            .cloned()
            .map(|flag| Code::OrderFlagged { flag }),
    );
    let shipped = order.shipped_at().is_some();
    let delivered = order.delivered_at().is_some();
    match kind {
        RequestKind::Exchange => codes.push(Code::ExchangeReview),
        RequestKind::RefundOnly
            if delivered && priced.items.minor() > amounts.keep_item_threshold.minor() =>
        {
            codes.push(Code::KeepItemReview {
                threshold: DecimalStr(amounts.keep_item_threshold.amount()),
            });
        }
        RequestKind::RefundOnly if shipped && !delivered && reason != Reason::NotReceived => {
            codes.push(Code::InTransitReview);
        }
        _ => {}
    }
    if let Some(cap) = amounts.review_cap
        && priced.total.minor() > cap.minor()
    {
        codes.push(Code::AboveReviewCap {
            cap: DecimalStr(cap.amount()),
        });
    }
    let line_outcome = lines
        .iter()
        .map(|l| l.outcome)
        .max()
        .unwrap_or(Outcome::Eligible);
    if line_outcome == Outcome::Eligible && codes.is_empty() {
        codes.extend(auto_approval(
            policy,
            &amounts,
            reason,
            priced.total,
            context,
        ));
    }
    let outcome = line_outcome.max(outcome_of(&codes));

    Ok(Quote {
        policy_version: policy.version(),
        currency,
        kind,
        reason,
        outcome,
        lines,
        codes,
        components: priced.components,
        total: DecimalStr(priced.total.amount()),
        split: priced.split,
    })
}

fn auto_approval(
    policy: &Policy,
    amounts: &PolicyAmounts,
    reason: Reason,
    total: Money,
    context: Context,
) -> Option<Code> {
    let (Some(rule), Some(max)) = (policy.auto_approve(), amounts.auto_approve_max) else {
        return Some(Code::ManualReview);
    };
    if total.minor() > max.minor() {
        Some(Code::AutoApproveAmountExceeded {
            max: DecimalStr(max.amount()),
        })
    } else if !rule.reasons().contains(&reason) {
        Some(Code::AutoApproveReasonExcluded { reason })
    } else if context.recent_requests >= rule.max_recent_requests() {
        Some(Code::AutoApproveRecentRequests {
            count: context.recent_requests,
            max: rule.max_recent_requests(),
        })
    } else {
        None
    }
}

struct Priced {
    items: Money,
    total: Money,
    components: Vec<Component>,
    split: Vec<SplitLine>,
}

impl Priced {
    fn nothing(currency: Currency) -> Priced {
        Priced {
            items: Money::zero(currency),
            total: Money::zero(currency),
            components: Vec::new(),
            split: Vec::new(),
        }
    }
}

const OVERFLOW: InputError = InputError::Overflow;

fn dec(m: Money) -> DecimalStr {
    DecimalStr(m.amount())
}

fn price(
    order: &Order,
    policy: &Policy,
    amounts: &PolicyAmounts,
    ledger: &Ledger,
    request: &RefundRequest,
    counted: &[(LineIndex, u32)],
) -> Result<Priced, InputError> {
    let currency = order.currency();
    let zero = Money::zero(currency);
    // Units refunded or requested per line before and after this request.
    let before: Vec<u32> = order
        .line_indices()
        .map(|i| ledger.usage(i).refunded_units)
        .collect();
    let mut after = before.clone();
    for &(line, k) in counted {
        after[line.get()] = after[line.get()].checked_add(k).ok_or(OVERFLOW)?;
    }

    let mut tally = Tally {
        total: zero,
        components: Vec::new(),
    };
    for &(index, k) in counted {
        let line = order.line(index);
        let usage = ledger.usage(index);
        let left = line
            .paid()
            .checked_sub(usage.refunded_amount)
            .ok_or(OVERFLOW)?;
        let units = after[index.get()];
        let item = if units == line.quantity() {
            left
        } else {
            let cumulative = line.paid().share(units, line.quantity()).ok_or(OVERFLOW)?;
            cumulative
                .checked_sub(usage.refunded_amount)
                .ok_or(OVERFLOW)?
                .max(zero)
        };
        tally.add(
            item,
            Component::Item {
                line_id: line.id().to_owned(),
                quantity: k,
                amount: dec(item),
            },
        )?;
    }
    let items = tally.total;

    let shipped = order.shipped_at().is_some();
    let fault = request.reason().fault();
    let everything_back = order
        .line_indices()
        .all(|i| order.line(i).is_gift() || after[i.get()] == order.line(i).quantity());
    if everything_back
        && !ledger.shipping_refunded()
        && !order.shipping_fee().is_zero()
        && (!shipped || fault == Fault::Seller && policy.refund_shipping_on_seller_fault())
    {
        tally.add(
            order.shipping_fee(),
            Component::ShippingRefund {
                amount: dec(order.shipping_fee()),
            },
        )?;
    }

    let returns = request.kind() == RequestKind::ReturnAndRefund;
    if fault == Fault::Shopper && shipped && !unshipped_refund_only(order, request.kind()) {
        if returns {
            tally.deduct(amounts.return_shipping_fee, |amount| {
                Component::ReturnShippingFee { amount }
            })?;
            let percent = policy.restocking_fee_percent();
            tally.deduct(items.percent(percent).ok_or(OVERFLOW)?, |amount| {
                Component::RestockingFee {
                    amount,
                    percent: DecimalStr(percent),
                }
            })?;
        }
        // Units refunded for the seller's fault count as kept: a threshold the seller's mistakes
        // lost is not the shopper's to pay for.
        let shopper_refunded: Vec<u32> = order
            .line_indices()
            .map(|i| after[i.get()].saturating_sub(ledger.usage(i).seller_fault_units))
            .collect();
        let nothing = vec![0; after.len()];
        let falls_below = |threshold: Money, amount: &dyn Fn(LineIndex) -> Money| {
            let bought = kept_total(order, &nothing, amount)?;
            let kept = kept_total(order, &shopper_refunded, amount)?;
            Ok::<_, InputError>(
                bought.minor() >= threshold.minor() && kept.minor() < threshold.minor(),
            )
        };
        if let Some(threshold) = amounts.free_shipping_threshold
            && !ledger.lost_free_shipping_charged()
            && order.shipping_fee().is_zero()
            && falls_below(threshold, &|i| order.line(i).paid())?
        {
            tally.settle(amounts.standard_shipping_fee, |amount| {
                Component::LostFreeShipping {
                    amount,
                    threshold: dec(threshold),
                }
            })?;
        }
        if policy.threshold_mode() == ThresholdMode::Resettle {
            for (d, discount) in order.discounts().iter().enumerate() {
                let Some(threshold) = discount.threshold() else {
                    continue;
                };
                if discount.kind() == DiscountKind::Threshold
                    && !ledger.threshold_charged(d)
                    && falls_below(threshold, &|i| order.line(i).net())?
                {
                    let lost = kept_total(order, &after, &|i| discount.share_of(i))?;
                    tally.settle(lost, |amount| Component::LostThresholdDiscount {
                        amount,
                        discount_id: discount.id().to_owned(),
                        threshold: dec(threshold),
                    })?;
                }
            }
        }
        if returns && policy.missing_gift_deduction() {
            for gift_index in order.line_indices() {
                let gift_line = order.line(gift_index);
                let Some(gift) = gift_line.gift() else {
                    continue;
                };
                let parent = order.line(gift.parent());
                let p = gift.parent().get();
                let completes_parent =
                    before[p] < parent.quantity() && after[p] == parent.quantity();
                let kept = gift_line.quantity().saturating_sub(after[gift_index.get()]);
                if completes_parent && kept > 0 && ledger.gift_units_charged(gift_index) == 0 {
                    let value = gift.unit_value().checked_mul(kept).ok_or(OVERFLOW)?;
                    tally.deduct(value, |amount| Component::MissingGift {
                        amount,
                        line_id: gift_line.id().to_owned(),
                        units: kept,
                    })?;
                }
            }
        }
    }

    let lefts: Vec<Money> = order
        .payments()
        .iter()
        .enumerate()
        .map(|(j, p)| {
            p.amount()
                .checked_sub(ledger.payment_used(j).ok_or(InputError::OrderMismatch)?)
                .ok_or(OVERFLOW)
        })
        .collect::<Result<_, _>>()?;
    let left = Money::sum(currency, lefts.iter().copied()).ok_or(OVERFLOW)?;
    let over = tally.total.checked_sub(left).ok_or(OVERFLOW)?;
    tally.deduct(over, |amount| Component::RefundLimit { amount })?;
    let shares = allocate(tally.total, &lefts).ok_or(OVERFLOW)?;
    let split = order
        .payments()
        .iter()
        .zip(shares)
        .enumerate()
        .filter(|(_, (_, share))| !share.is_zero())
        .map(|(j, (payment, share))| SplitLine {
            payment: u32::try_from(j).unwrap_or(u32::MAX),
            method: payment.method(),
            amount: dec(share),
            in_kind: payment.method().refunds_in_kind(),
        })
        .collect();

    Ok(Priced {
        items,
        total: tally.total,
        components: tally.components,
        split,
    })
}

/// The kept part of a per-line amount over non-gift lines, given units refunded per line: for each
/// line, `amount − round(amount × units / quantity)` (§6, "kept").
fn kept_total(
    order: &Order,
    units: &[u32],
    amount: &dyn Fn(LineIndex) -> Money,
) -> Result<Money, InputError> {
    let mut kept = Money::zero(order.currency());
    for i in order.line_indices() {
        let line = order.line(i);
        if line.is_gift() {
            continue;
        }
        let whole = amount(i);
        let refunded = whole
            .share(units[i.get()], line.quantity())
            .ok_or(OVERFLOW)?;
        kept = kept
            .checked_add(whole.checked_sub(refunded).ok_or(OVERFLOW)?)
            .ok_or(OVERFLOW)?;
    }
    Ok(kept)
}

/// The running total and the components that make it up, so they always agree.
struct Tally {
    total: Money,
    components: Vec<Component>,
}

impl Tally {
    fn add(&mut self, amount: Money, component: Component) -> Result<(), InputError> {
        self.total = self.total.checked_add(amount).ok_or(OVERFLOW)?;
        self.components.push(component);
        Ok(())
    }

    /// Takes `amount` off the total, cut to what is left of it; a deduction that takes nothing
    /// (zero, or nothing left) leaves no component.
    fn deduct(
        &mut self,
        amount: Money,
        component: impl FnOnce(DecimalStr) -> Component,
    ) -> Result<(), InputError> {
        let taken = amount.min(self.total);
        if taken.is_negative() || taken.is_zero() {
            return Ok(());
        }
        self.total = self.total.checked_sub(taken).ok_or(OVERFLOW)?;
        self.components.push(component(dec(taken.negated())));
        Ok(())
    }

    /// Charges a once-per-order deduction this request owes: takes what it can of `amount`, and
    /// records the component even when the zero floor left nothing to take. The ledger counts
    /// the deduction as charged when its component is present, so an absorbed one is settled
    /// by this request rather than charged again to a later one. Owing nothing records nothing.
    fn settle(
        &mut self,
        amount: Money,
        component: impl FnOnce(DecimalStr) -> Component,
    ) -> Result<(), InputError> {
        if amount.is_negative() || amount.is_zero() {
            return Ok(());
        }
        let taken = amount.min(self.total).max(Money::zero(amount.currency()));
        self.total = self.total.checked_sub(taken).ok_or(OVERFLOW)?;
        self.components.push(component(dec(taken.negated())));
        Ok(())
    }
}
