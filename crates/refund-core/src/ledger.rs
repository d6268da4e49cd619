//! What earlier requests on an order consumed: the state every new quote starts from.
//!
//! A ledger counts refunded requests and open ones alike (units and money promised to an open
//! request cannot be promised twice). The server rebuilds it by [`Ledger::record`]ing the quotes of
//! the order's live requests; the widget receives it as [`LedgerWire`]. Either way it is checked
//! against the order, so no ledger can claim more than the order holds.

use crate::eligibility::Outcome;
use crate::error::InputError;
use crate::money::Money;
use crate::order::{LineIndex, Order};
use crate::quote::{Component, Quote};
use crate::request::{Fault, RequestKind};
use crate::wire::{DecimalStr, DiscountKind, LedgerWire, LineUsageWire};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineUsage {
    /// Units refunded or in an open refund request.
    pub refunded_units: u32,
    /// Of those, units refunded for a seller-fault reason: they count as kept when judging
    /// whether a shopper's return lost the order a threshold (PRODUCT.md §6 rule 5).
    pub seller_fault_units: u32,
    /// Units in an open exchange.
    pub held_units: u32,
    /// Item money refunded or requested for this line.
    pub refunded_amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ledger {
    /// Lines, discounts and payments of the order this ledger was built for.
    shape: (usize, usize, usize),
    lines: Vec<LineUsage>,
    shipping_refunded: bool,
    lost_free_shipping_charged: bool,
    thresholds_charged: Vec<bool>,
    /// Gift units whose value was deducted because the gift was kept.
    gift_units_charged: Vec<u32>,
    payments: Vec<Money>,
}

fn inconsistent(field: impl Into<String>) -> InputError {
    InputError::LedgerInconsistent {
        field: field.into(),
    }
}

impl Ledger {
    /// The ledger of an order nothing was refunded or requested from yet.
    pub fn new(order: &Order) -> Ledger {
        let zero = Money::zero(order.currency());
        Ledger {
            shape: shape(order),
            lines: vec![
                LineUsage {
                    refunded_units: 0,
                    seller_fault_units: 0,
                    held_units: 0,
                    refunded_amount: zero,
                };
                order.lines().len()
            ],
            shipping_refunded: false,
            lost_free_shipping_charged: false,
            thresholds_charged: vec![false; order.discounts().len()],
            gift_units_charged: vec![0; order.lines().len()],
            payments: vec![zero; order.payments().len()],
        }
    }

    /// Rebuilds the ledger from the quotes of an order's live requests.
    pub fn from_quotes<'a>(
        order: &Order,
        quotes: impl IntoIterator<Item = &'a Quote>,
    ) -> Result<Ledger, InputError> {
        let mut ledger = Ledger::new(order);
        for quote in quotes {
            ledger.record(order, quote)?;
        }
        Ok(ledger)
    }

    /// Adds a recorded request's quote. Refuses, and leaves the ledger unchanged, when the quote
    /// does not fit the order or what is left of it.
    pub fn record(&mut self, order: &Order, quote: &Quote) -> Result<(), InputError> {
        if quote.currency != order.currency() {
            return Err(inconsistent("currency"));
        }
        if quote.outcome == Outcome::Ineligible {
            return Err(inconsistent("outcome"));
        }
        if !self.fits(order) {
            return Err(InputError::OrderMismatch);
        }
        let mut next = self.clone();
        let money = |value: DecimalStr, field: &str| {
            Money::parse_input(value.0, order.currency(), field).map_err(|_| inconsistent(field))
        };
        for line in quote
            .lines
            .iter()
            .filter(|l| l.outcome != Outcome::Ineligible)
        {
            let index = order
                .line_index(&line.line_id)
                .ok_or_else(|| inconsistent("lines.line_id"))?;
            if line.quantity == 0 || line.quantity > next.available(order, index) {
                return Err(inconsistent("lines.quantity"));
            }
            let usage = &mut next.lines[index.get()];
            if quote.kind == RequestKind::Exchange {
                usage.held_units += line.quantity;
            } else {
                usage.refunded_units += line.quantity;
                if quote.reason.fault() == Fault::Seller {
                    usage.seller_fault_units += line.quantity;
                }
            }
        }
        for component in &quote.components {
            match component {
                Component::Item {
                    line_id, amount, ..
                } => {
                    let index = order
                        .line_index(line_id)
                        .ok_or_else(|| inconsistent("components.line_id"))?;
                    let usage = &mut next.lines[index.get()];
                    usage.refunded_amount = usage
                        .refunded_amount
                        .checked_add(money(*amount, "components.amount")?)
                        .filter(|m| m.minor() <= order.line(index).paid().minor())
                        .ok_or_else(|| inconsistent("components.amount"))?;
                }
                Component::ShippingRefund { .. } => next.shipping_refunded = true,
                Component::LostFreeShipping { .. } => next.lost_free_shipping_charged = true,
                Component::LostThresholdDiscount { discount_id, .. } => {
                    let d = order
                        .discounts()
                        .iter()
                        .position(|d| d.id() == discount_id)
                        .ok_or_else(|| inconsistent("components.discount_id"))?;
                    next.thresholds_charged[d] = true;
                }
                Component::MissingGift {
                    line_id,
                    units,
                    amount,
                } => {
                    let index = order
                        .line_index(line_id)
                        .filter(|i| order.line(*i).is_gift())
                        .ok_or_else(|| inconsistent("components.line_id"))?;
                    let charged = &mut next.gift_units_charged[index.get()];
                    *charged = charged
                        .checked_add(*units)
                        .filter(|c| {
                            *c <= order.line(index).quantity() && !amount.0.is_sign_positive()
                        })
                        .ok_or_else(|| inconsistent("components.units"))?;
                }
                Component::ReturnShippingFee { .. }
                | Component::RestockingFee { .. }
                | Component::RefundLimit { .. } => {}
            }
        }
        for split in &quote.split {
            let j = usize::try_from(split.payment).map_err(|_| inconsistent("split.payment"))?;
            let payment = order
                .payments()
                .get(j)
                .ok_or_else(|| inconsistent("split.payment"))?;
            next.payments[j] = next.payments[j]
                .checked_add(money(split.amount, "split.amount")?)
                .filter(|m| m.minor() <= payment.amount().minor())
                .ok_or_else(|| inconsistent("split.amount"))?;
        }
        *self = next;
        Ok(())
    }

    /// Checks a ledger received over the wire against its order.
    pub fn from_wire(order: &Order, wire: &LedgerWire) -> Result<Ledger, InputError> {
        let mut ledger = Ledger::new(order);
        for (id, usage) in &wire.lines {
            let index = order
                .line_index(id)
                .ok_or_else(|| inconsistent(format!("lines.{}", crate::request::clip(id))))?;
            let line = order.line(index);
            let amount =
                Money::parse_input(usage.refunded_amount.0, order.currency(), "refunded_amount")
                    .map_err(|_| inconsistent("lines.refunded_amount"))?;
            let units = usage.refunded_units.checked_add(usage.held_units);
            if units.is_none_or(|u| u > line.quantity())
                || usage.seller_fault_units > usage.refunded_units
                || amount.minor() > line.paid().minor()
            {
                return Err(inconsistent(format!("lines.{}", line.id())));
            }
            ledger.lines[index.get()] = LineUsage {
                refunded_units: usage.refunded_units,
                seller_fault_units: usage.seller_fault_units,
                held_units: usage.held_units,
                refunded_amount: amount,
            };
        }
        ledger.shipping_refunded = wire.shipping_refunded;
        ledger.lost_free_shipping_charged = wire.lost_free_shipping_charged;
        for id in &wire.threshold_discounts_charged {
            let d = order
                .discounts()
                .iter()
                .position(|d| d.id() == id && d.kind() == DiscountKind::Threshold)
                .ok_or_else(|| inconsistent("threshold_discounts_charged"))?;
            ledger.thresholds_charged[d] = true;
        }
        for (id, units) in &wire.gift_units_charged {
            let index = order
                .line_index(id)
                .filter(|i| order.line(*i).is_gift() && *units <= order.line(*i).quantity())
                .ok_or_else(|| inconsistent("gift_units_charged"))?;
            ledger.gift_units_charged[index.get()] = *units;
        }
        if !wire.payments.is_empty() && wire.payments.len() != order.payments().len() {
            return Err(inconsistent("payments"));
        }
        for (j, used) in wire.payments.iter().enumerate() {
            let used = Money::parse_input(used.0, order.currency(), "payments")
                .map_err(|_| inconsistent("payments"))?;
            if used.minor() > order.payments()[j].amount().minor() {
                return Err(inconsistent("payments"));
            }
            ledger.payments[j] = used;
        }
        Ok(ledger)
    }

    pub fn to_wire(&self, order: &Order) -> LedgerWire {
        LedgerWire {
            lines: order
                .line_indices()
                .map(|i| (i, self.lines[i.get()]))
                .filter(|(_, u)| {
                    u.refunded_units > 0 || u.held_units > 0 || !u.refunded_amount.is_zero()
                })
                .map(|(i, u)| {
                    (
                        order.line(i).id().to_owned(),
                        LineUsageWire {
                            refunded_units: u.refunded_units,
                            seller_fault_units: u.seller_fault_units,
                            held_units: u.held_units,
                            refunded_amount: DecimalStr(u.refunded_amount.amount()),
                        },
                    )
                })
                .collect(),
            shipping_refunded: self.shipping_refunded,
            lost_free_shipping_charged: self.lost_free_shipping_charged,
            threshold_discounts_charged: order
                .discounts()
                .iter()
                .zip(&self.thresholds_charged)
                .filter(|(_, charged)| **charged)
                .map(|(d, _)| d.id().to_owned())
                .collect(),
            gift_units_charged: order
                .line_indices()
                .filter(|i| self.gift_units_charged[i.get()] > 0)
                .map(|i| {
                    (
                        order.line(i).id().to_owned(),
                        self.gift_units_charged[i.get()],
                    )
                })
                .collect(),
            payments: self
                .payments
                .iter()
                .map(|m| DecimalStr(m.amount()))
                .collect(),
        }
    }

    /// Whether this ledger was built for an order shaped like `order`.
    pub fn fits(&self, order: &Order) -> bool {
        self.shape == shape(order)
    }

    /// What earlier requests consumed of `line`; nothing for a line the ledger does not know.
    pub fn usage(&self, line: LineIndex) -> LineUsage {
        self.lines.get(line.get()).copied().unwrap_or(LineUsage {
            refunded_units: 0,
            seller_fault_units: 0,
            held_units: 0,
            refunded_amount: Money::zero(crate::money::Currency::Cny),
        })
    }

    /// Units of `line` that can still be requested.
    pub fn available(&self, order: &Order, line: LineIndex) -> u32 {
        let usage = self.usage(line);
        order
            .get_line(line)
            .map_or(0, |l| l.quantity())
            .saturating_sub(usage.refunded_units)
            .saturating_sub(usage.held_units)
    }

    pub fn shipping_refunded(&self) -> bool {
        self.shipping_refunded
    }
    pub fn lost_free_shipping_charged(&self) -> bool {
        self.lost_free_shipping_charged
    }
    pub fn threshold_charged(&self, discount: usize) -> bool {
        self.thresholds_charged
            .get(discount)
            .copied()
            .unwrap_or(false)
    }
    /// Gift units of `line` whose value is currently deducted.
    pub fn gift_units_charged(&self, line: LineIndex) -> u32 {
        self.gift_units_charged
            .get(line.get())
            .copied()
            .unwrap_or(0)
    }
    /// What was refunded or requested from the order's `j`-th payment.
    pub fn payment_used(&self, j: usize) -> Option<Money> {
        self.payments.get(j).copied()
    }

    /// What the order still has to refund: what was paid minus what was refunded or requested.
    pub fn left_to_refund(&self, order: &Order) -> Option<Money> {
        let used = Money::sum(order.currency(), self.payments.iter().copied())?;
        order.total_paid().checked_sub(used)
    }
}

fn shape(order: &Order) -> (usize, usize, usize) {
    (
        order.lines().len(),
        order.discounts().len(),
        order.payments().len(),
    )
}
