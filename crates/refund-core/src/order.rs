//! The order snapshot (PRODUCT.md §4.1), checked once when it is built.
//!
//! Construction rejects what cannot be a real order (payments that do not add up, over-precise or
//! negative amounts, zero quantities, dangling gifts, duplicate ids) and flags what is suspicious
//! but real (a discount used outside its window, a non-stackable discount combined with another).
//! It also does the per-order arithmetic once: each line's net, its share of every order-level
//! discount and what was paid for it, so quoting never repeats it.

use litemap::LiteMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::money::{Currency, Money, allocate};
use crate::request::clip;
use crate::wire::{
    DecimalStr, DiscountKind, DiscountWire, GiftWire, LineWire, OrderStatus, OrderWire,
    PaymentMethod, PaymentWire, VariantWire,
};

pub const MAX_LINES: usize = 1000;
pub const MAX_QUANTITY: u32 = 100_000;
pub const MAX_DISCOUNTS: usize = 20;
pub const MAX_PAYMENTS: usize = 20;
pub const MAX_VARIANTS: usize = 50;
const MAX_URL_CHARS: usize = 2048;
const MAX_ID_CHARS: usize = 64;
const MAX_TEXT_CHARS: usize = 500;

/// The position of a line in its order. Only an [`Order`] hands these out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineIndex(usize);

impl LineIndex {
    pub fn get(self) -> usize {
        self.0
    }
}

/// Something about an order that is accepted but sends every request on it to manual review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrderFlag {
    /// The discount was applied to an order placed outside its validity window (折扣有效期).
    DiscountOutsideValidity { discount_id: String },
    /// A non-stackable discount was combined with another discount (折扣重叠). A non-stackable
    /// discount may not be combined with any other, stackable or not.
    NonStackableCombined { discount_ids: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gift {
    parent: LineIndex,
    unit_value: Money,
}

impl Gift {
    pub fn parent(&self) -> LineIndex {
        self.parent
    }

    /// What one unit of the gift is worth.
    pub fn unit_value(&self) -> Money {
        self.unit_value
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    id: String,
    sku: String,
    title: String,
    unit_price: Money,
    quantity: u32,
    line_discount: Money,
    tax_included: Money,
    category: String,
    final_sale: bool,
    no_reason_waived: bool,
    gift: Option<Gift>,
    image_url: Option<String>,
    variants: Vec<Variant>,
    net: Money,
    allocated: Money,
    paid: Money,
}

/// A variant a line can be exchanged for (换货).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    sku: String,
    title: String,
    in_stock: bool,
}

impl Variant {
    pub fn sku(&self) -> &str {
        &self.sku
    }
    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn in_stock(&self) -> bool {
        self.in_stock
    }
}

impl Line {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn sku(&self) -> &str {
        &self.sku
    }
    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn unit_price(&self) -> Money {
        self.unit_price
    }
    pub fn quantity(&self) -> u32 {
        self.quantity
    }
    pub fn line_discount(&self) -> Money {
        self.line_discount
    }
    pub fn tax_included(&self) -> Money {
        self.tax_included
    }
    pub fn category(&self) -> &str {
        &self.category
    }
    pub fn final_sale(&self) -> bool {
        self.final_sale
    }
    pub fn no_reason_waived(&self) -> bool {
        self.no_reason_waived
    }
    pub fn gift(&self) -> Option<&Gift> {
        self.gift.as_ref()
    }
    pub fn is_gift(&self) -> bool {
        self.gift.is_some()
    }
    /// A picture of the product: an absolute `http(s)` address.
    pub fn image_url(&self) -> Option<&str> {
        self.image_url.as_deref()
    }
    /// What the line can be exchanged for; empty when an exchange replaces it with the same item.
    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }
    /// The listed variant with this SKU.
    pub fn variant(&self, sku: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.sku == sku.trim())
    }
    /// `unit_price × quantity − line_discount` (§6 rule 1).
    pub fn net(&self) -> Money {
        self.net
    }
    /// The sum of this line's shares of the order-level discounts (§6 rule 2, one allocation per
    /// discount; see `keep_within_nets`).
    pub fn allocated_discount(&self) -> Money {
        self.allocated
    }
    /// `line_net − allocated`: what the shopper paid for the whole line.
    pub fn paid(&self) -> Money {
        self.paid
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discount {
    id: String,
    kind: DiscountKind,
    amount: Money,
    threshold: Option<Money>,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    stackable: bool,
    /// This discount alone, allocated over the lines in proportion to `line_net` (zero on gifts),
    /// then kept within each line's net.
    shares: Vec<Money>,
}

impl Discount {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn kind(&self) -> DiscountKind {
        self.kind
    }
    pub fn amount(&self) -> Money {
        self.amount
    }
    /// The spend threshold of a 满减 discount.
    pub fn threshold(&self) -> Option<Money> {
        self.threshold
    }
    pub fn stackable(&self) -> bool {
        self.stackable
    }
    /// This discount's own allocation to `line`: part of the line's allocated discount, and what
    /// a lost 满减 in resettle mode takes back.
    pub fn share_of(&self, line: LineIndex) -> Money {
        self.shares[line.0]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payment {
    method: PaymentMethod,
    amount: Money,
}

impl Payment {
    pub fn method(&self) -> PaymentMethod {
        self.method
    }
    pub fn amount(&self) -> Money {
        self.amount
    }
}

/// A consistent order snapshot. See the module docs for what construction guarantees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    number: String,
    currency: Currency,
    customer_email: String,
    customer_id: Option<String>,
    status: OrderStatus,
    placed_at: DateTime<Utc>,
    paid_at: Option<DateTime<Utc>>,
    shipped_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    lines: Vec<Line>,
    discounts: Vec<Discount>,
    shipping_fee: Money,
    payments: Vec<Payment>,
    flags: Vec<OrderFlag>,
    total_paid: Money,
    index: LiteMap<String, LineIndex>,
}

pub(crate) fn text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, InputError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(InputError::Required {
            field: field.to_owned(),
        });
    }
    if value.chars().count() > max {
        return Err(InputError::TooLong {
            field: field.to_owned(),
            max,
        });
    }
    Ok(value.to_owned())
}

/// Whether `at` lies in the years 1970 to 9999, which every timestamp the system takes must:
/// dates computed from it stay representable, and stored as RFC 3339 text they sort as time.
pub fn in_supported_years(at: DateTime<Utc>) -> bool {
    (1970..=9999).contains(&at.year())
}

fn in_range(field: &str, value: Option<DateTime<Utc>>) -> Result<(), InputError> {
    let Some(value) = value else { return Ok(()) };
    if in_supported_years(value) {
        Ok(())
    } else {
        Err(InputError::TimeOutOfRange {
            field: field.to_owned(),
        })
    }
}

fn after(
    field: &str,
    value: Option<DateTime<Utc>>,
    earlier_field: &str,
    earlier: Option<DateTime<Utc>>,
) -> Result<(), InputError> {
    match (value, earlier) {
        (Some(v), Some(e)) if v < e => Err(InputError::TimeBefore {
            field: field.to_owned(),
            before: earlier_field.to_owned(),
        }),
        _ => Ok(()),
    }
}

impl Order {
    pub fn new(wire: &OrderWire) -> Result<Order, InputError> {
        let currency = Currency::from_code(&wire.currency)?;
        let money = |value: DecimalStr, field: &str| Money::parse_input(value.0, currency, field);
        let number = text("number", &wire.number, MAX_ID_CHARS, true)?;
        let customer_email = text("customer_email", &wire.customer_email, 254, true)?;
        if !customer_email.contains('@') {
            return Err(InputError::InvalidEmail);
        }
        let customer_id = match &wire.customer_id {
            Some(id) => Some(text("customer_id", id, MAX_ID_CHARS, true)?),
            None => None,
        };
        in_range("placed_at", Some(wire.placed_at))?;
        in_range("paid_at", wire.paid_at)?;
        in_range("shipped_at", wire.shipped_at)?;
        in_range("delivered_at", wire.delivered_at)?;
        after("paid_at", wire.paid_at, "placed_at", Some(wire.placed_at))?;
        after(
            "shipped_at",
            wire.shipped_at,
            "placed_at",
            Some(wire.placed_at),
        )?;
        after(
            "delivered_at",
            wire.delivered_at,
            "shipped_at",
            wire.shipped_at,
        )?;
        if wire.delivered_at.is_some() && wire.shipped_at.is_none() {
            return Err(InputError::Required {
                field: "shipped_at".to_owned(),
            });
        }

        if wire.lines.is_empty() {
            return Err(InputError::Required {
                field: "lines".to_owned(),
            });
        }
        if wire.lines.len() > MAX_LINES {
            return Err(InputError::TooMany {
                field: "lines".to_owned(),
                max: MAX_LINES,
            });
        }
        let mut index = LiteMap::new();
        for (i, line) in wire.lines.iter().enumerate() {
            let id = text(&format!("lines[{i}].id"), &line.id, MAX_ID_CHARS, true)?;
            if index.insert(id, LineIndex(i)).is_some() {
                return Err(InputError::DuplicateId {
                    field: "lines".to_owned(),
                    id: clip(&line.id),
                });
            }
        }
        let mut lines = Vec::with_capacity(wire.lines.len());
        for (i, line) in wire.lines.iter().enumerate() {
            lines.push(build_line(i, line, &wire.lines, &index, &money)?);
        }

        if wire.discounts.len() > MAX_DISCOUNTS {
            return Err(InputError::TooMany {
                field: "discounts".to_owned(),
                max: MAX_DISCOUNTS,
            });
        }
        let weights: Vec<Money> = lines
            .iter()
            .map(|l| {
                if l.is_gift() {
                    Money::zero(currency)
                } else {
                    l.net
                }
            })
            .collect();
        let goods = Money::sum(currency, weights.iter().copied()).ok_or(InputError::Overflow)?;
        let mut discounts: Vec<Discount> = Vec::with_capacity(wire.discounts.len());
        for (i, d) in wire.discounts.iter().enumerate() {
            let discount = build_discount(i, d, &weights, &money)?;
            if discounts.iter().any(|other| other.id == discount.id) {
                return Err(InputError::DuplicateId {
                    field: "discounts".to_owned(),
                    id: clip(&d.id),
                });
            }
            discounts.push(discount);
        }
        let discount_total =
            Money::sum(currency, discounts.iter().map(|d| d.amount)).ok_or(InputError::Overflow)?;
        if discount_total.minor() > goods.minor() {
            return Err(InputError::DiscountsExceedGoods {
                discounts: discount_total.to_string(),
                goods: goods.to_string(),
            });
        }
        keep_within_nets(&mut discounts, &weights)?;
        for (i, line) in lines.iter_mut().enumerate() {
            line.allocated = Money::sum(currency, discounts.iter().map(|d| d.shares[i]))
                .ok_or(InputError::Overflow)?;
            line.paid = line
                .net
                .checked_sub(line.allocated)
                .ok_or(InputError::Overflow)?;
        }

        let shipping_fee = money(wire.shipping_fee, "shipping_fee")?;
        if wire.payments.len() > MAX_PAYMENTS {
            return Err(InputError::TooMany {
                field: "payments".to_owned(),
                max: MAX_PAYMENTS,
            });
        }
        let payments = wire
            .payments
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Ok(Payment {
                    method: p.method,
                    amount: money(p.amount, &format!("payments[{i}].amount"))?,
                })
            })
            .collect::<Result<Vec<_>, InputError>>()?;
        let lines_net =
            Money::sum(currency, lines.iter().map(|l| l.net)).ok_or(InputError::Overflow)?;
        let expected = lines_net
            .checked_sub(discount_total)
            .and_then(|m| m.checked_add(shipping_fee))
            .ok_or(InputError::Overflow)?;
        let total_paid =
            Money::sum(currency, payments.iter().map(|p| p.amount)).ok_or(InputError::Overflow)?;
        if total_paid != expected {
            return Err(InputError::PaymentsMismatch {
                expected: expected.to_string(),
                paid: total_paid.to_string(),
            });
        }

        let flags = flags(&discounts, wire.placed_at);
        Ok(Order {
            number,
            currency,
            customer_email,
            customer_id,
            status: wire.status,
            placed_at: wire.placed_at,
            paid_at: wire.paid_at,
            shipped_at: wire.shipped_at,
            delivered_at: wire.delivered_at,
            lines,
            discounts,
            shipping_fee,
            payments,
            flags,
            total_paid,
            index,
        })
    }

    /// The wire form; `Order::new(&order.to_wire())` gives back an equal order.
    pub fn to_wire(&self) -> OrderWire {
        let dec = |m: Money| DecimalStr(m.amount());
        OrderWire {
            number: self.number.clone(),
            currency: self.currency.code().to_owned(),
            customer_email: self.customer_email.clone(),
            customer_id: self.customer_id.clone(),
            status: self.status,
            placed_at: self.placed_at,
            paid_at: self.paid_at,
            shipped_at: self.shipped_at,
            delivered_at: self.delivered_at,
            lines: self
                .lines
                .iter()
                .map(|l| LineWire {
                    id: l.id.clone(),
                    sku: l.sku.clone(),
                    title: l.title.clone(),
                    unit_price: dec(l.unit_price),
                    quantity: l.quantity,
                    line_discount: dec(l.line_discount),
                    tax_included: dec(l.tax_included),
                    category: l.category.clone(),
                    final_sale: l.final_sale,
                    no_reason_waived: l.no_reason_waived,
                    gift: l.gift.as_ref().map(|g| GiftWire {
                        of: self.lines[g.parent.0].id.clone(),
                        unit_value: dec(g.unit_value),
                    }),
                    image_url: l.image_url.clone(),
                    exchange_variants: l
                        .variants
                        .iter()
                        .map(|v| VariantWire {
                            sku: v.sku.clone(),
                            title: v.title.clone(),
                            in_stock: v.in_stock,
                        })
                        .collect(),
                })
                .collect(),
            discounts: self
                .discounts
                .iter()
                .map(|d| DiscountWire {
                    id: d.id.clone(),
                    kind: d.kind,
                    amount: dec(d.amount),
                    threshold: d.threshold.map(dec),
                    valid_from: d.valid_from,
                    valid_until: d.valid_until,
                    stackable: d.stackable,
                })
                .collect(),
            shipping_fee: dec(self.shipping_fee),
            payments: self
                .payments
                .iter()
                .map(|p| PaymentWire {
                    method: p.method,
                    amount: dec(p.amount),
                })
                .collect(),
        }
    }

    pub fn number(&self) -> &str {
        &self.number
    }
    pub fn currency(&self) -> Currency {
        self.currency
    }
    pub fn customer_email(&self) -> &str {
        &self.customer_email
    }
    pub fn customer_id(&self) -> Option<&str> {
        self.customer_id.as_deref()
    }
    pub fn status(&self) -> OrderStatus {
        self.status
    }
    pub fn placed_at(&self) -> DateTime<Utc> {
        self.placed_at
    }
    pub fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.paid_at
    }
    pub fn shipped_at(&self) -> Option<DateTime<Utc>> {
        self.shipped_at
    }
    pub fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.delivered_at
    }
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }
    /// The line at `index`; `None` for an index from another order.
    pub fn get_line(&self, index: LineIndex) -> Option<&Line> {
        self.lines.get(index.0)
    }
    /// The line at an index already checked against this order.
    pub(crate) fn line(&self, index: LineIndex) -> &Line {
        &self.lines[index.0]
    }
    pub fn line_indices(&self) -> impl Iterator<Item = LineIndex> + use<> {
        (0..self.lines.len()).map(LineIndex)
    }
    pub fn line_index(&self, id: &str) -> Option<LineIndex> {
        self.index.get(id).copied()
    }
    pub fn discounts(&self) -> &[Discount] {
        &self.discounts
    }
    pub fn shipping_fee(&self) -> Money {
        self.shipping_fee
    }
    pub fn payments(&self) -> &[Payment] {
        &self.payments
    }
    /// What the shopper paid in total: the sum of the payments.
    pub fn total_paid(&self) -> Money {
        self.total_paid
    }
    pub fn flags(&self) -> &[OrderFlag] {
        &self.flags
    }
}

fn build_line(
    i: usize,
    line: &LineWire,
    all: &[LineWire],
    index: &LiteMap<String, LineIndex>,
    money: &impl Fn(DecimalStr, &str) -> Result<Money, InputError>,
) -> Result<Line, InputError> {
    let field = |name: &str| format!("lines[{i}].{name}");
    if line.quantity == 0 {
        return Err(InputError::QuantityZero {
            field: field("quantity"),
        });
    }
    if line.quantity > MAX_QUANTITY {
        return Err(InputError::QuantityTooLarge {
            field: field("quantity"),
            max: MAX_QUANTITY,
        });
    }
    let unit_price = money(line.unit_price, &field("unit_price"))?;
    let line_discount = money(line.line_discount, &field("line_discount"))?;
    let gross = unit_price
        .checked_mul(line.quantity)
        .ok_or(InputError::Overflow)?;
    let net = gross
        .checked_sub(line_discount)
        .ok_or(InputError::Overflow)?;
    if net.is_negative() {
        return Err(InputError::LineDiscountExceedsPrice {
            field: field("line_discount"),
        });
    }
    let gift = match &line.gift {
        None => None,
        Some(g) => {
            let parent = *index
                .get(g.of.trim())
                .ok_or_else(|| InputError::GiftParentMissing {
                    field: field("gift.of"),
                    parent: clip(&g.of),
                })?;
            if parent.0 == i || all[parent.0].gift.is_some() {
                return Err(InputError::GiftOfGift {
                    field: field("gift.of"),
                });
            }
            if !net.is_zero() {
                return Err(InputError::GiftNotFree {
                    field: field("unit_price"),
                });
            }
            Some(Gift {
                parent,
                unit_value: money(g.unit_value, &field("gift.unit_value"))?,
            })
        }
    };
    let currency = unit_price.currency();
    Ok(Line {
        id: line.id.trim().to_owned(),
        sku: text(&field("sku"), &line.sku, MAX_ID_CHARS * 2, true)?,
        title: text(&field("title"), &line.title, MAX_TEXT_CHARS, true)?,
        unit_price,
        quantity: line.quantity,
        line_discount,
        tax_included: money(line.tax_included, &field("tax_included"))?,
        category: text(&field("category"), &line.category, MAX_ID_CHARS, false)?,
        final_sale: line.final_sale,
        no_reason_waived: line.no_reason_waived,
        gift,
        image_url: match &line.image_url {
            Some(url) => Some(web_address(&field("image_url"), url)?),
            None => None,
        },
        variants: variants(&field("exchange_variants"), &line.exchange_variants)?,
        net,
        allocated: Money::zero(currency),
        paid: net,
    })
}

/// An absolute `https:`/`http:` address without spaces or quotes: safe to put in an `src`.
fn web_address(field: &str, url: &str) -> Result<String, InputError> {
    let url = text(field, url, MAX_URL_CHARS, true)?;
    // Compared as bytes: a wide character where the scheme would end is no char boundary to
    // slice a `str` at.
    let scheme_ok = ["https://", "http://"].iter().any(|scheme| {
        url.len() > scheme.len()
            && url.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
    });
    let clean = !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>'));
    if scheme_ok && clean {
        Ok(url)
    } else {
        Err(InputError::InvalidUrl {
            field: field.to_owned(),
        })
    }
}

fn variants(field: &str, wire: &[VariantWire]) -> Result<Vec<Variant>, InputError> {
    if wire.len() > MAX_VARIANTS {
        return Err(InputError::TooMany {
            field: field.to_owned(),
            max: MAX_VARIANTS,
        });
    }
    let mut variants: Vec<Variant> = Vec::with_capacity(wire.len());
    for (i, v) in wire.iter().enumerate() {
        let sku = text(&format!("{field}[{i}].sku"), &v.sku, MAX_ID_CHARS * 2, true)?;
        if variants.iter().any(|other| other.sku == sku) {
            return Err(InputError::DuplicateId {
                field: field.to_owned(),
                id: clip(&sku),
            });
        }
        variants.push(Variant {
            sku,
            title: text(
                &format!("{field}[{i}].title"),
                &v.title,
                MAX_TEXT_CHARS,
                true,
            )?,
            in_stock: v.in_stock,
        });
    }
    Ok(variants)
}

fn build_discount(
    i: usize,
    d: &DiscountWire,
    weights: &[Money],
    money: &impl Fn(DecimalStr, &str) -> Result<Money, InputError>,
) -> Result<Discount, InputError> {
    let field = |name: &str| format!("discounts[{i}].{name}");
    let amount = money(d.amount, &field("amount"))?;
    let threshold = match (d.kind, d.threshold) {
        (DiscountKind::Threshold, Some(t)) => Some(money(t, &field("threshold"))?),
        (DiscountKind::Threshold, None) => {
            return Err(InputError::Required {
                field: field("threshold"),
            });
        }
        (DiscountKind::Coupon, Some(_)) => {
            return Err(InputError::NotAllowed {
                field: field("threshold"),
            });
        }
        (DiscountKind::Coupon, None) => None,
    };
    in_range(&field("valid_from"), d.valid_from)?;
    in_range(&field("valid_until"), d.valid_until)?;
    after(
        &field("valid_until"),
        d.valid_until,
        &field("valid_from"),
        d.valid_from,
    )?;
    let goods =
        Money::sum(amount.currency(), weights.iter().copied()).ok_or(InputError::Overflow)?;
    if amount.minor() > goods.minor() {
        return Err(InputError::DiscountsExceedGoods {
            discounts: amount.to_string(),
            goods: goods.to_string(),
        });
    }
    Ok(Discount {
        id: text(&field("id"), &d.id, MAX_ID_CHARS, true)?,
        kind: d.kind,
        amount,
        threshold,
        valid_from: d.valid_from,
        valid_until: d.valid_until,
        stackable: d.stackable,
        shares: allocate(amount, weights).ok_or(InputError::Overflow)?,
    })
}

/// Caps each line's discounts at its net (§6 rule 2 with several discounts).
///
/// Each discount is allocated on its own, and a line's allocated discount is the sum of its
/// shares: `line_paid` is then the line's net less every discount's own share of it, and a 满减
/// lost in resettle mode costs exactly the share that `line_paid` subtracted. (One allocation of
/// the discounts' sum would round differently, and keeping a line could cost a cent more than
/// its price less its other discounts.)
///
/// One allocation never gives a line more than its net, but rounding up in several can, by a
/// minor unit per discount, when the discounts nearly cover the goods. Such excess units move,
/// last discount first, to the earliest lines with room, so that every discount keeps its
/// amount and no line is paid less than nothing. Room always exists, since the discounts
/// together never exceed the goods.
fn keep_within_nets(discounts: &mut [Discount], nets: &[Money]) -> Result<(), InputError> {
    let mut room: Vec<i128> = nets
        .iter()
        .enumerate()
        .map(|(i, net)| net.minor() - discounts.iter().map(|d| d.shares[i].minor()).sum::<i128>())
        .collect();
    for over in 0..nets.len() {
        for discount in discounts.iter_mut().rev() {
            while room[over] < 0 && !discount.shares[over].is_zero() {
                let to = room
                    .iter()
                    .position(|r| *r > 0)
                    .ok_or(InputError::Overflow)?;
                let moved = (-room[over])
                    .min(room[to])
                    .min(discount.shares[over].minor());
                let currency = discount.amount.currency();
                let shift = |share: Money, by: i128| {
                    Money::from_minor(share.minor() + by, currency).ok_or(InputError::Overflow)
                };
                discount.shares[over] = shift(discount.shares[over], -moved)?;
                discount.shares[to] = shift(discount.shares[to], moved)?;
                room[over] += moved;
                room[to] -= moved;
            }
        }
    }
    Ok(())
}

fn flags(discounts: &[Discount], placed_at: DateTime<Utc>) -> Vec<OrderFlag> {
    let mut flags: Vec<OrderFlag> = discounts
        .iter()
        .filter(|d| {
            d.valid_from.is_some_and(|from| placed_at < from)
                || d.valid_until.is_some_and(|until| placed_at > until)
        })
        .map(|d| OrderFlag::DiscountOutsideValidity {
            discount_id: d.id.clone(),
        })
        .collect();
    if discounts.len() > 1 && discounts.iter().any(|d| !d.stackable) {
        flags.push(OrderFlag::NonStackableCombined {
            discount_ids: discounts.iter().map(|d| d.id.clone()).collect(),
        });
    }
    flags
}
