//! A merchant's refund policy (PRODUCT.md §4.2) and the time windows it defines.
//!
//! Windows are counted in the merchant's time zone (a fixed UTC offset): a window of `d` days
//! after delivery starts the day after delivery and ends at the end of the `d`-th day, so the
//! last instant inside is 23:59:59.999… local time and midnight is the first instant outside.

use litemap::LiteMap;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::messages::Lang;
use crate::money::{Currency, Money};
use crate::request::{Reason, RequestKind, clip};
use crate::wire::{AutoApproveWire, DecimalStr, PolicyAmountsWire, PolicyWire, ReasonSettingsWire};

/// Upper bound for every day count in a policy (ten years), so date arithmetic cannot overflow.
pub const MAX_DAYS: u32 = 3650;
const MAX_LABEL_CHARS: usize = 40;
const MAX_CATEGORIES: usize = 100;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ThresholdMode {
    /// The 满减 discount stays spread over all lines; a return gives back each line's share.
    #[default]
    Prorate,
    /// A return that drops the kept goods below the threshold loses the discount on them.
    Resettle,
}

/// Money settings of a policy for one currency. All zero / absent by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyAmounts {
    pub return_shipping_fee: Money,
    pub standard_shipping_fee: Money,
    pub free_shipping_threshold: Option<Money>,
    pub keep_item_threshold: Money,
    pub auto_approve_max: Option<Money>,
    pub review_cap: Option<Money>,
}

impl PolicyAmounts {
    fn none(currency: Currency) -> PolicyAmounts {
        PolicyAmounts {
            return_shipping_fee: Money::zero(currency),
            standard_shipping_fee: Money::zero(currency),
            free_shipping_threshold: None,
            keep_item_threshold: Money::zero(currency),
            auto_approve_max: None,
            review_cap: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ReasonSettings {
    enabled: bool,
    evidence_required: bool,
    labels: LiteMap<Lang, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoApprove {
    reasons: Vec<Reason>,
    max_recent_requests: u32,
}

impl AutoApprove {
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }
    pub fn max_recent_requests(&self) -> u32 {
        self.max_recent_requests
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    version: u32,
    offset: FixedOffset,
    no_reason_days: u32,
    quality_days: u32,
    not_received_after_days: Option<u32>,
    excluded_categories: Vec<String>,
    kinds: Vec<RequestKind>,
    reasons: LiteMap<Reason, ReasonSettings>,
    min_evidence_files: u32,
    restocking_fee_percent: Decimal,
    missing_gift_deduction: bool,
    threshold_mode: ThresholdMode,
    refund_shipping_on_seller_fault: bool,
    review_hours: u32,
    ship_back_days: u32,
    receipt_days: u32,
    payout_days: u32,
    auto_approve: Option<AutoApprove>,
    amounts: LiteMap<Currency, PolicyAmounts>,
}

/// A count of days (or files) up to [`MAX_DAYS`].
fn days(field: &str, value: u32) -> Result<u32, InputError> {
    if value > MAX_DAYS {
        return Err(InputError::OutOfRange {
            field: field.to_owned(),
            min: 0,
            max: u64::from(MAX_DAYS),
        });
    }
    Ok(value)
}

impl Policy {
    pub fn new(wire: &PolicyWire) -> Result<Policy, InputError> {
        let offset: FixedOffset =
            wire.utc_offset
                .parse()
                .map_err(|_| InputError::InvalidUtcOffset {
                    value: clip(&wire.utc_offset),
                })?;
        let percent = wire.restocking_fee_percent.0;
        if percent.is_sign_negative() && !percent.is_zero()
            || percent > Decimal::ONE_HUNDRED
            || percent.normalize().scale() > 2
        {
            return Err(InputError::InvalidPercent {
                field: "restocking_fee_percent".to_owned(),
                value: percent.to_string(),
            });
        }
        if wire.excluded_categories.len() > MAX_CATEGORIES {
            return Err(InputError::TooMany {
                field: "excluded_categories".to_owned(),
                max: MAX_CATEGORIES,
            });
        }
        if wire.review_hours == 0 || wire.review_hours > MAX_DAYS * 24 {
            return Err(InputError::OutOfRange {
                field: "review_hours".to_owned(),
                min: 1,
                max: u64::from(MAX_DAYS) * 24,
            });
        }
        for (field, value) in [
            ("ship_back_days", wire.ship_back_days),
            ("receipt_days", wire.receipt_days),
            ("payout_days", wire.payout_days),
            ("min_evidence_files", wire.min_evidence_files),
        ] {
            if value == 0 {
                return Err(InputError::OutOfRange {
                    field: field.to_owned(),
                    min: 1,
                    max: u64::from(MAX_DAYS),
                });
            }
        }
        let mut kinds = Vec::new();
        for kind in RequestKind::ALL {
            if wire.kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        let mut reasons = LiteMap::new();
        for reason in Reason::ALL {
            let settings = wire.reasons.get(&reason).cloned().unwrap_or_default();
            reasons.insert(reason, reason_settings(reason, &settings)?);
        }
        let mut amounts = LiteMap::new();
        for (code, a) in &wire.amounts {
            let currency = Currency::from_code(code)?;
            amounts.insert(currency, policy_amounts(currency, a)?);
        }
        Ok(Policy {
            version: wire.version,
            offset,
            no_reason_days: days("no_reason_days", wire.no_reason_days)?,
            quality_days: days("quality_days", wire.quality_days)?,
            not_received_after_days: wire
                .not_received_after_days
                .map(|d| days("not_received_after_days", d))
                .transpose()?,
            excluded_categories: wire
                .excluded_categories
                .iter()
                .map(|c| c.trim().to_owned())
                .collect(),
            kinds,
            reasons,
            min_evidence_files: days("min_evidence_files", wire.min_evidence_files)?,
            restocking_fee_percent: percent,
            missing_gift_deduction: wire.missing_gift_deduction,
            threshold_mode: wire.threshold_mode,
            refund_shipping_on_seller_fault: wire.refund_shipping_on_seller_fault,
            review_hours: wire.review_hours,
            ship_back_days: days("ship_back_days", wire.ship_back_days)?,
            receipt_days: days("receipt_days", wire.receipt_days)?,
            payout_days: days("payout_days", wire.payout_days)?,
            auto_approve: wire
                .auto_approve
                .as_ref()
                .map(|a: &AutoApproveWire| AutoApprove {
                    reasons: a.reasons.clone(),
                    max_recent_requests: a.max_recent_requests,
                }),
            amounts,
        })
    }

    /// The wire form; `Policy::new(&policy.to_wire())` gives back an equal policy.
    pub fn to_wire(&self) -> PolicyWire {
        let dec = |m: Money| DecimalStr(m.amount());
        PolicyWire {
            version: self.version,
            utc_offset: self.offset.to_string(),
            no_reason_days: self.no_reason_days,
            quality_days: self.quality_days,
            not_received_after_days: self.not_received_after_days,
            excluded_categories: self.excluded_categories.clone(),
            kinds: self.kinds.clone(),
            reasons: self
                .reasons
                .iter()
                .map(|(reason, s)| {
                    (
                        *reason,
                        ReasonSettingsWire {
                            disabled: !s.enabled,
                            evidence_required: Some(s.evidence_required),
                            labels: s
                                .labels
                                .iter()
                                .map(|(lang, label)| (lang.tag().to_owned(), label.clone()))
                                .collect(),
                        },
                    )
                })
                .collect(),
            min_evidence_files: self.min_evidence_files,
            restocking_fee_percent: DecimalStr(self.restocking_fee_percent),
            missing_gift_deduction: self.missing_gift_deduction,
            threshold_mode: self.threshold_mode,
            refund_shipping_on_seller_fault: self.refund_shipping_on_seller_fault,
            review_hours: self.review_hours,
            ship_back_days: self.ship_back_days,
            receipt_days: self.receipt_days,
            payout_days: self.payout_days,
            auto_approve: self.auto_approve.as_ref().map(|a| AutoApproveWire {
                reasons: a.reasons.clone(),
                max_recent_requests: a.max_recent_requests,
            }),
            amounts: self
                .amounts
                .iter()
                .map(|(currency, a)| {
                    (
                        currency.code().to_owned(),
                        PolicyAmountsWire {
                            return_shipping_fee: dec(a.return_shipping_fee),
                            standard_shipping_fee: dec(a.standard_shipping_fee),
                            free_shipping_threshold: a.free_shipping_threshold.map(dec),
                            keep_item_threshold: dec(a.keep_item_threshold),
                            auto_approve_max: a.auto_approve_max.map(dec),
                            review_cap: a.review_cap.map(dec),
                        },
                    )
                })
                .collect(),
        }
    }

    pub fn version(&self) -> u32 {
        self.version
    }
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }
    pub fn no_reason_days(&self) -> u32 {
        self.no_reason_days
    }
    pub fn quality_days(&self) -> u32 {
        self.quality_days
    }
    pub fn not_received_after_days(&self) -> Option<u32> {
        self.not_received_after_days
    }
    pub fn is_excluded_category(&self, category: &str) -> bool {
        self.excluded_categories.iter().any(|c| c == category)
    }
    pub fn kind_enabled(&self, kind: RequestKind) -> bool {
        self.kinds.contains(&kind)
    }
    pub fn reason_enabled(&self, reason: Reason) -> bool {
        self.reasons.get(&reason).is_some_and(|s| s.enabled)
    }
    pub fn evidence_required(&self, reason: Reason) -> bool {
        self.reasons
            .get(&reason)
            .is_some_and(|s| s.evidence_required)
    }
    /// The merchant's own label for a reason, when they renamed it.
    pub fn reason_label(&self, reason: Reason, lang: Lang) -> Option<&str> {
        self.reasons
            .get(&reason)?
            .labels
            .get(&lang)
            .map(String::as_str)
    }
    pub fn min_evidence_files(&self) -> u32 {
        self.min_evidence_files
    }
    pub fn restocking_fee_percent(&self) -> Decimal {
        self.restocking_fee_percent
    }
    pub fn missing_gift_deduction(&self) -> bool {
        self.missing_gift_deduction
    }
    pub fn threshold_mode(&self) -> ThresholdMode {
        self.threshold_mode
    }
    pub fn refund_shipping_on_seller_fault(&self) -> bool {
        self.refund_shipping_on_seller_fault
    }
    pub fn auto_approve(&self) -> Option<&AutoApprove> {
        self.auto_approve.as_ref()
    }
    /// The money settings for `currency`; a currency the policy does not list has none.
    pub fn amounts(&self, currency: Currency) -> PolicyAmounts {
        self.amounts
            .get(&currency)
            .cloned()
            .unwrap_or_else(|| PolicyAmounts::none(currency))
    }

    /// The last local day of a window of `days` days that starts the day after `from`.
    pub fn window_last_day(&self, from: DateTime<Utc>, days: u32) -> Option<NaiveDate> {
        from.naive_utc()
            .checked_add_offset(self.offset)?
            .date()
            .checked_add_days(Days::new(u64::from(days)))
    }

    /// The first instant outside a window of `days` days that starts the day after `from`:
    /// local midnight after its last day.
    pub fn window_end(&self, from: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
        let day_after = self
            .window_last_day(from, days)?
            .checked_add_days(Days::new(1))?;
        let local = day_after.and_hms_opt(0, 0, 0)?;
        Some(
            local
                .and_local_timezone(self.offset)
                .single()?
                .with_timezone(&Utc),
        )
    }

    /// When the merchant's review time runs out for a request submitted at `submitted_at`.
    pub fn review_deadline(&self, submitted_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        submitted_at.checked_add_signed(TimeDelta::try_hours(i64::from(self.review_hours))?)
    }

    /// When the shopper's time to ship goods back runs out after approval.
    pub fn ship_back_deadline(&self, approved_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        approved_at.checked_add_signed(TimeDelta::try_days(i64::from(self.ship_back_days))?)
    }

    /// When the merchant's time to confirm receipt runs out after the shopper shipped.
    pub fn receipt_deadline(&self, shipped_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        shipped_at.checked_add_signed(TimeDelta::try_days(i64::from(self.receipt_days))?)
    }

    /// When the merchant's time to pay out runs out, counted from approval (refund only) or
    /// from receipt of the returned goods.
    pub fn payout_deadline(&self, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        from.checked_add_signed(TimeDelta::try_days(i64::from(self.payout_days))?)
    }
}

fn reason_settings(
    reason: Reason,
    wire: &ReasonSettingsWire,
) -> Result<ReasonSettings, InputError> {
    let mut labels = LiteMap::new();
    for (tag, label) in &wire.labels {
        let lang =
            Lang::from_tag(tag).ok_or_else(|| InputError::UnknownLanguage { tag: clip(tag) })?;
        let field = format!("reasons.{}.labels.{}", reason.code(), lang.tag());
        labels.insert(
            lang,
            crate::order::text(&field, label, MAX_LABEL_CHARS, true)?,
        );
    }
    Ok(ReasonSettings {
        enabled: !wire.disabled,
        evidence_required: wire
            .evidence_required
            .unwrap_or(reason.evidence_by_default()),
        labels,
    })
}

fn policy_amounts(
    currency: Currency,
    wire: &PolicyAmountsWire,
) -> Result<PolicyAmounts, InputError> {
    let field = |name: &str| format!("amounts.{}.{name}", currency.code());
    let money = |value: DecimalStr, name: &str| Money::parse_input(value.0, currency, &field(name));
    let optional =
        |value: Option<DecimalStr>, name: &str| value.map(|v| money(v, name)).transpose();
    Ok(PolicyAmounts {
        return_shipping_fee: money(wire.return_shipping_fee, "return_shipping_fee")?,
        standard_shipping_fee: money(wire.standard_shipping_fee, "standard_shipping_fee")?,
        free_shipping_threshold: optional(wire.free_shipping_threshold, "free_shipping_threshold")?,
        keep_item_threshold: money(wire.keep_item_threshold, "keep_item_threshold")?,
        auto_approve_max: optional(wire.auto_approve_max, "auto_approve_max")?,
        review_cap: optional(wire.review_cap, "review_cap")?,
    })
}
