//! Wire types: exactly what crosses JSON, with serde and nothing else.
//!
//! Every struct rejects unknown fields, money is a decimal string (`"19.90"`, never a float),
//! times are RFC 3339, and maps are JSON objects. None of these types is trusted: the domain
//! types ([`crate::Order`], [`crate::Policy`], [`crate::RefundRequest`], [`crate::Ledger`]) are
//! built from them through checked constructors.

use chrono::{DateTime, Utc};
use litemap::LiteMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::parse_decimal;
use crate::policy::ThresholdMode;
use crate::request::{Reason, RequestKind};

/// A decimal number carried as a JSON string. Deserialising accepts only a string of plain
/// decimal form (`"-12.50"`); JSON numbers are refused so no amount ever passes through a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "19.90")
)]
pub struct DecimalStr(pub Decimal);

impl Serialize for DecimalStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DecimalStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DecimalStr;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a decimal amount as a string, like \"19.90\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DecimalStr, E> {
                parse_decimal(v)
                    .map(DecimalStr)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl From<Decimal> for DecimalStr {
    fn from(value: Decimal) -> Self {
        DecimalStr(value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrderStatus {
    Paid,
    Unpaid,
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentMethod {
    Alipay,
    WechatPay,
    Card,
    BankTransfer,
    Points,
    StoreCredit,
    GiftCard,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 7] = [
        PaymentMethod::Alipay,
        PaymentMethod::WechatPay,
        PaymentMethod::Card,
        PaymentMethod::BankTransfer,
        PaymentMethod::Points,
        PaymentMethod::StoreCredit,
        PaymentMethod::GiftCard,
    ];

    /// Points, store credit and gift-card balance come back in kind, not as cash.
    pub fn refunds_in_kind(self) -> bool {
        matches!(
            self,
            PaymentMethod::Points | PaymentMethod::StoreCredit | PaymentMethod::GiftCard
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DiscountKind {
    /// A plain coupon.
    Coupon,
    /// 满减: spend `threshold`, get `amount` off.
    Threshold,
}

/// An order snapshot as the merchant pushes it (PRODUCT.md §4.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderWire {
    pub number: String,
    pub currency: String,
    pub customer_email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub status: OrderStatus,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "crate::rfc3339::deserialize")
    )]
    pub placed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "crate::rfc3339::option")
    )]
    pub paid_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "crate::rfc3339::option")
    )]
    pub shipped_at: Option<DateTime<Utc>>,
    /// 签收: absent while the shopper has not received the goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "crate::rfc3339::option")
    )]
    pub delivered_at: Option<DateTime<Utc>>,
    pub lines: Vec<LineWire>,
    #[serde(default)]
    pub discounts: Vec<DiscountWire>,
    /// Shipping actually charged; `"0.00"` when free shipping applied.
    pub shipping_fee: DecimalStr,
    pub payments: Vec<PaymentWire>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineWire {
    pub id: String,
    pub sku: String,
    pub title: String,
    pub unit_price: DecimalStr,
    pub quantity: u32,
    #[serde(default)]
    pub line_discount: DecimalStr,
    /// Tax included in the price; informational only.
    #[serde(default)]
    pub tax_included: DecimalStr,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub final_sale: bool,
    /// The shopper confirmed at purchase that this item is excluded from no-reason returns.
    #[serde(default)]
    pub no_reason_waived: bool,
    /// Set when this line is a free gift attached to another line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift: Option<GiftWire>,
    /// A picture of the product (an absolute `https:` or `http:` address), shown to the shopper
    /// next to the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// What this line can be exchanged for (换货), in the order the shopper sees them. Empty: an
    /// exchange replaces the item with the same one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchange_variants: Vec<VariantWire>,
}

/// A variant a line can be exchanged for: another size or colour at the same price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariantWire {
    pub sku: String,
    pub title: String,
    /// Out-of-stock variants are shown but cannot be chosen.
    pub in_stock: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GiftWire {
    /// The id of the line this gift came with.
    pub of: String,
    /// What one unit of the gift is worth, deducted when the gift is kept but its parent returned.
    pub unit_value: DecimalStr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscountWire {
    pub id: String,
    pub kind: DiscountKind,
    pub amount: DecimalStr,
    /// The spend threshold of a `threshold` discount (满减); absent for coupons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<DecimalStr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "crate::rfc3339::option")
    )]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "crate::rfc3339::option")
    )]
    pub valid_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub stackable: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentWire {
    pub method: PaymentMethod,
    pub amount: DecimalStr,
}

/// A merchant's refund policy (PRODUCT.md §4.2). Every field has the brief's default, so `{}` is
/// a valid policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyWire {
    pub version: u32,
    /// The merchant's time zone as a fixed offset, `"+08:00"`.
    pub utc_offset: String,
    pub no_reason_days: u32,
    pub quality_days: u32,
    /// `not_received` is allowed only this many days after shipping, when set.
    pub not_received_after_days: Option<u32>,
    pub excluded_categories: Vec<String>,
    pub kinds: Vec<RequestKind>,
    #[serde(with = "object")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            value_type = std::collections::BTreeMap<Reason, ReasonSettingsWire>,
            default = json!({})
        )
    )]
    pub reasons: LiteMap<Reason, ReasonSettingsWire>,
    pub min_evidence_files: u32,
    pub restocking_fee_percent: DecimalStr,
    pub missing_gift_deduction: bool,
    pub threshold_mode: ThresholdMode,
    pub refund_shipping_on_seller_fault: bool,
    pub review_hours: u32,
    pub ship_back_days: u32,
    pub receipt_days: u32,
    /// Days the merchant has to pay a refund out after approving it (refund only) or after the
    /// goods came back: 7 by default, the limit of China's consumer-protection rules.
    pub payout_days: u32,
    pub auto_approve: Option<AutoApproveWire>,
    /// Money settings per currency code; a currency not listed has no fees, no thresholds, no
    /// auto-approval and no cap.
    #[serde(with = "object")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            value_type = std::collections::BTreeMap<String, PolicyAmountsWire>,
            default = json!({})
        )
    )]
    pub amounts: LiteMap<String, PolicyAmountsWire>,
}

impl Default for PolicyWire {
    fn default() -> Self {
        PolicyWire {
            version: 1,
            utc_offset: "+08:00".to_owned(),
            no_reason_days: 7,
            quality_days: 15,
            not_received_after_days: None,
            excluded_categories: [
                "custom_made",
                "perishable",
                "digital_unsealed",
                "periodical",
            ]
            .map(str::to_owned)
            .to_vec(),
            kinds: vec![
                RequestKind::RefundOnly,
                RequestKind::ReturnAndRefund,
                RequestKind::Exchange,
            ],
            reasons: LiteMap::new(),
            min_evidence_files: 1,
            restocking_fee_percent: DecimalStr::default(),
            missing_gift_deduction: true,
            threshold_mode: ThresholdMode::Prorate,
            refund_shipping_on_seller_fault: true,
            review_hours: 48,
            ship_back_days: 7,
            receipt_days: 10,
            payout_days: 7,
            auto_approve: None,
            amounts: LiteMap::new(),
        }
    }
}

/// Overrides for one reason. A reason absent from the policy is enabled with its default evidence
/// rule and the catalog's labels.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonSettingsWire {
    pub disabled: bool,
    pub evidence_required: Option<bool>,
    /// The merchant's own labels, by language tag (`"zh-CN"`, `"en"`).
    #[serde(with = "object")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = std::collections::BTreeMap<String, String>, default = json!({}))
    )]
    pub labels: LiteMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoApproveWire {
    pub reasons: Vec<Reason>,
    /// Auto-approve only while the shopper has fewer than this many requests in 30 days.
    pub max_recent_requests: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyAmountsWire {
    pub return_shipping_fee: DecimalStr,
    pub standard_shipping_fee: DecimalStr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_shipping_threshold: Option<DecimalStr>,
    pub keep_item_threshold: DecimalStr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_approve_max: Option<DecimalStr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_cap: Option<DecimalStr>,
}

/// What the shopper asks for (PRODUCT.md §4.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestWire {
    pub kind: RequestKind,
    pub reason: Reason,
    pub lines: Vec<RequestLineWire>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub evidence_files: u32,
    /// The shopper confirms returned goods are intact (商品完好).
    #[serde(default)]
    pub goods_intact: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestLineWire {
    pub line_id: String,
    pub quantity: u32,
    /// `exchange` only: the SKU of the variant (one of the line's `exchange_variants`) the
    /// shopper wants instead. Required when the line lists variants, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_for: Option<String>,
}

/// What earlier requests on an order already consumed: refunded requests and open ones alike.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerWire {
    #[serde(with = "object")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = std::collections::BTreeMap<String, LineUsageWire>, default = json!({}))
    )]
    pub lines: LiteMap<String, LineUsageWire>,
    pub shipping_refunded: bool,
    pub lost_free_shipping_charged: bool,
    pub threshold_discounts_charged: Vec<String>,
    /// Gift units, by gift line id, whose value is deducted because the gift was kept.
    #[serde(with = "object")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = std::collections::BTreeMap<String, u32>, default = json!({}))
    )]
    pub gift_units_charged: LiteMap<String, u32>,
    /// Amount refunded or requested from each payment, in the order's payment order.
    pub payments: Vec<DecimalStr>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineUsageWire {
    /// Units refunded or in an open refund request.
    pub refunded_units: u32,
    /// Of those, units refunded for a seller-fault reason.
    pub seller_fault_units: u32,
    /// Units in an open exchange.
    pub held_units: u32,
    /// Item money refunded or requested for this line.
    pub refunded_amount: DecimalStr,
}

/// Everything one quote needs, as one JSON document: the shape the differential test sends
/// through the shipped widget (`quote_json`) and `core-size` weighs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    pub order: OrderWire,
    pub policy: PolicyWire,
    pub ledger: LedgerWire,
    pub request: RequestWire,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "crate::rfc3339::deserialize")
    )]
    pub now: DateTime<Utc>,
    pub recent_requests: u32,
}

/// A map as a JSON object, for `#[serde(with = "refund_core::wire::object")]`: written in key
/// order, read with the last value of a repeated key (as a `BTreeMap` would be). The maps are
/// `LiteMap`s, sorted Vecs: usually a few entries, at most a ledger's line ids, and in the
/// browser a B-tree's code and serde's own map reader cost the widget 6.4 KB gzip (README,
/// "Widget size").
pub mod object {
    use std::fmt;
    use std::marker::PhantomData;

    use litemap::LiteMap;
    use serde::de::{MapAccess, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        map: &LiteMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_map(map.iter())
    }

    pub fn deserialize<'de, D, K, V>(deserializer: D) -> Result<LiteMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
            type Value = LiteMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }

            // Natively (the server, reading what merchants send) the entries are sorted once,
            // keeping a repeated key's last value: inserting them one by one into the sorted
            // Vec costs quadratic time for keys out of order, 31 ms instead of 0.5 ms for a
            // 64 KiB policy (bench `read_a_64_kib_policy_with_its_keys_in_reverse`). In the
            // browser the answers come from the server in key order (bar integer-like keys,
            // which `JSON.parse` lists first: at most an order's 1,000 line ids, milliseconds),
            // and inserting keeps a sort's code (7 KB gzip) out of every shopper's download.
            #[cfg(not(target_arch = "wasm32"))]
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LiteMap<K, V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(entries.into_iter().collect())
            }

            #[cfg(target_arch = "wasm32")]
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LiteMap<K, V>, A::Error> {
                let mut entries = LiteMap::new();
                while let Some((key, value)) = map.next_entry()? {
                    entries.insert(key, value);
                }
                Ok(entries)
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}
