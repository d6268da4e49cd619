//! The message catalog: one `zh-CN` and one `en` text for every code, component, label and error,
//! with its parameters filled in, so the widget and the server always say the same thing.
//!
//! Money is formatted per language and currency the way `Intl.NumberFormat` does for these
//! locales (`¥19.90` in zh-CN, `CN¥19.90` in en, no decimals for JPY), with thousands separators.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::eligibility::{Code, Outcome};
use crate::error::InputError;
use crate::lifecycle::{Actor, DeadlineKind, LifecycleError, State};
use crate::money::Currency;
use crate::order::OrderFlag;
use crate::quote::Component;
use crate::request::{Reason, RequestKind};
use crate::wire::PaymentMethod;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Reads a BCP 47 tag leniently: any `zh…` is Chinese, any `en…` English.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language of a browser's preference list, English when none is.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Lang {
        preferred
            .into_iter()
            .find_map(Lang::from_tag)
            .unwrap_or(Lang::En)
    }
}

fn pick(lang: Lang, zh: String, en: String) -> String {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

fn symbol(currency: Currency, lang: Lang) -> &'static str {
    match (currency, lang) {
        (Currency::Cny, Lang::ZhCn) => "¥",
        (Currency::Cny, Lang::En) => "CN¥",
        (Currency::Usd, Lang::ZhCn) => "US$",
        (Currency::Usd, Lang::En) => "$",
        (Currency::Eur, _) => "€",
        (Currency::Gbp, _) => "£",
        (Currency::Hkd, _) => "HK$",
        (Currency::Twd, _) => "NT$",
        (Currency::Sgd, _) => "SGD ",
        (Currency::Jpy, Lang::ZhCn) => "JP¥",
        (Currency::Jpy, Lang::En) => "¥",
        (Currency::Krw, _) => "₩",
        (Currency::Kwd, _) => "KWD ",
        (Currency::Bhd, _) => "BHD ",
    }
}

/// `¥1,234.50`, `-CN¥5.98`, `¥1,990` (JPY in en), `KWD 1.250`.
pub fn format_money(amount: Decimal, currency: Currency, lang: Lang) -> String {
    let mut value = amount;
    value.rescale(currency.exponent());
    let text = value.abs().to_string();
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 8);
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if value.is_sign_negative() && !value.is_zero() {
        "-"
    } else {
        ""
    };
    match frac {
        Some(frac) => format!("{sign}{}{grouped}.{frac}", symbol(currency, lang)),
        None => format!("{sign}{}{grouped}", symbol(currency, lang)),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2026年11月20日` / `20 Nov 2026`.
pub fn format_date(date: NaiveDate, lang: Lang) -> String {
    let month = date.month0() as usize;
    pick(
        lang,
        format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        format!("{} {} {}", date.day(), MONTHS[month], date.year()),
    )
}

/// `2026年11月20日 14:05 (UTC+08:00)` / `20 Nov 2026, 14:05 (UTC+08:00)`: a time in someone
/// else's zone (the merchant's), so it says which.
pub fn format_datetime(at: DateTime<FixedOffset>, lang: Lang) -> String {
    format!(
        "{} (UTC{})",
        format_local(at.naive_local(), lang),
        at.offset()
    )
}

/// `2026年11月20日 14:05` / `20 Nov 2026, 14:05`: a time in the reader's own zone.
pub fn format_local(at: NaiveDateTime, lang: Lang) -> String {
    let time = format!("{:02}:{:02}", at.hour(), at.minute());
    let date = format_date(at.date(), lang);
    let sep = if lang == Lang::En { "," } else { "" };
    format!("{date}{sep} {time}")
}

pub fn reason_label(reason: Reason, lang: Lang) -> &'static str {
    let (zh, en) = match reason {
        Reason::NotReceived => ("未收到货", "Not received"),
        Reason::QualityIssue => ("质量问题", "Quality issue"),
        Reason::DamagedInTransit => ("运输损坏", "Damaged in transit"),
        Reason::WrongItem => ("发错货", "Wrong item sent"),
        Reason::NotAsDescribed => ("与描述不符", "Not as described"),
        Reason::SizeMismatch => ("尺码不合适", "Size doesn't fit"),
        Reason::ChangedMind => ("不喜欢/七天无理由", "Changed my mind (no-reason return)"),
        Reason::OrderedByMistake => ("拍错/多拍", "Ordered by mistake"),
        Reason::Other => ("其他", "Other"),
    };
    if lang == Lang::ZhCn { zh } else { en }
}

pub fn kind_label(kind: RequestKind, lang: Lang) -> &'static str {
    let (zh, en) = match kind {
        RequestKind::RefundOnly => ("仅退款", "Refund only"),
        RequestKind::ReturnAndRefund => ("退货退款", "Return and refund"),
        RequestKind::Exchange => ("换货", "Exchange"),
    };
    if lang == Lang::ZhCn { zh } else { en }
}

pub fn state_label(state: State, lang: Lang) -> &'static str {
    let (zh, en) = match state {
        State::Submitted => ("待商家处理", "Waiting for the merchant"),
        State::Approved => ("已同意", "Approved"),
        State::Rejected => ("已拒绝", "Rejected"),
        State::Cancelled => ("已撤销", "Cancelled"),
        State::ReturnShipped => ("已寄回", "Sent back"),
        State::Received => ("商家已收货", "Received by the merchant"),
        State::Refunded => ("退款成功", "Refunded"),
        State::Exchanged => ("换货完成", "Exchanged"),
        State::Closed => ("已关闭", "Closed"),
    };
    if lang == Lang::ZhCn { zh } else { en }
}

pub fn actor_label(actor: Actor, lang: Lang) -> &'static str {
    let (zh, en) = match actor {
        Actor::Shopper => ("买家", "You"),
        Actor::Merchant => ("商家", "The merchant"),
        Actor::Rule => ("系统自动", "Automatically"),
        Actor::Deadline => ("超时自动", "Deadline passed"),
    };
    if lang == Lang::ZhCn { zh } else { en }
}

pub fn outcome_label(outcome: Outcome, lang: Lang) -> &'static str {
    let (zh, en) = match outcome {
        Outcome::Eligible => ("可退", "Eligible"),
        Outcome::NeedsReview => ("需商家审核", "Needs the merchant's review"),
        Outcome::Ineligible => ("不可退", "Not eligible"),
    };
    if lang == Lang::ZhCn { zh } else { en }
}

pub fn deadline_label(kind: DeadlineKind, lang: Lang) -> &'static str {
    let (zh, en) = match kind {
        DeadlineKind::Review => (
            "商家处理剩余时间，超时将自动同意",
            "Time left for the merchant to decide; after it, the request is approved",
        ),
        DeadlineKind::ShipBack => (
            "寄回剩余时间，超时申请将关闭",
            "Time left to send the goods back; after it, the request closes",
        ),
        DeadlineKind::Receipt => (
            "商家确认收货剩余时间，超时将自动确认",
            "Time left for the merchant to confirm receipt; after it, receipt is confirmed",
        ),
        DeadlineKind::Payout => (
            "商家退款剩余时间",
            "Time left for the merchant to pay the refund",
        ),
    };
    if lang == Lang::ZhCn { zh } else { en }
}

pub fn method_label(method: PaymentMethod, lang: Lang) -> &'static str {
    let (zh, en) = match method {
        PaymentMethod::Alipay => ("支付宝", "Alipay"),
        PaymentMethod::WechatPay => ("微信支付", "WeChat Pay"),
        PaymentMethod::Card => ("银行卡", "Card"),
        PaymentMethod::BankTransfer => ("银行转账", "Bank transfer"),
        PaymentMethod::Points => ("积分", "Points"),
        PaymentMethod::StoreCredit => ("店铺余额", "Store credit"),
        PaymentMethod::GiftCard => ("礼品卡", "Gift card"),
    };
    if lang == Lang::ZhCn { zh } else { en }
}

/// The brief's default excluded categories by name; any other category by its code.
fn category_label(category: &str, lang: Lang) -> String {
    let (zh, en) = match category {
        "custom_made" => ("定制商品", "Custom-made items"),
        "perishable" => ("生鲜易腐商品", "Perishable goods"),
        "digital_unsealed" => ("已拆封的数字商品", "Unsealed digital goods"),
        "periodical" => ("报刊杂志", "Newspapers and magazines"),
        other => {
            return pick(
                lang,
                format!("该类商品（{other}）"),
                format!("Items in category \"{other}\""),
            );
        }
    };
    pick(lang, zh.to_owned(), en.to_owned())
}

fn flag_message(flag: &OrderFlag, lang: Lang) -> String {
    match flag {
        OrderFlag::DiscountOutsideValidity { discount_id } => pick(
            lang,
            format!("订单使用的优惠「{discount_id}」不在有效期内，需商家人工审核。"),
            format!(
                "The order used discount \"{discount_id}\" outside its validity period, so the merchant reviews it."
            ),
        ),
        OrderFlag::NonStackableCombined { discount_ids } => pick(
            lang,
            format!(
                "订单叠加了不可叠加的优惠（{}），需商家人工审核。",
                discount_ids.join("、")
            ),
            format!(
                "The order combined discounts that cannot be combined ({}), so the merchant reviews it.",
                discount_ids.join(", ")
            ),
        ),
    }
}

/// `1 item`, `3 items`: English counts without "(s)".
fn count_of(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The message for an eligibility code as the shopper reads it: the merchant's fraud rule
/// (how many recent requests stop automatic approval, and the shopper's count) is the
/// merchant's to know, so a request over it only says that the store reviews it.
pub fn shopper_code_message(code: &Code, lang: Lang, currency: Currency) -> String {
    match code {
        Code::AutoApproveRecentRequests { .. } => pick(
            lang,
            "本次申请需商家审核。".into(),
            "The store reviews this request before approving it.".into(),
        ),
        other => code_message(other, lang, currency),
    }
}

/// The message for an eligibility code, as the merchant reads it; `currency` formats its money
/// parameters.
pub fn code_message(code: &Code, lang: Lang, currency: Currency) -> String {
    let money = |d: Decimal| format_money(d, currency, lang);
    match code {
        Code::OrderUnpaid => pick(
            lang,
            "订单尚未付款，无法申请退款。".into(),
            "This order has not been paid, so there is nothing to refund.".into(),
        ),
        Code::OrderCancelled => pick(
            lang,
            "订单已取消，无法申请退款。".into(),
            "This order was cancelled, so there is nothing to refund.".into(),
        ),
        Code::QuantityZero => pick(
            lang,
            "请至少选择 1 件。".into(),
            "Choose at least 1 item.".into(),
        ),
        Code::QuantityExceedsAvailable {
            requested,
            available: 0,
        } => pick(
            lang,
            format!("该商品已全部退款或在处理中，无法再申请（您选择了 {requested} 件）。"),
            format!(
                "All units of this item are already refunded or in a request (you chose {requested})."
            ),
        ),
        Code::QuantityExceedsAvailable {
            requested,
            available,
        } => pick(
            lang,
            format!("最多还可申请 {available} 件，您选择了 {requested} 件。"),
            format!("You can request at most {available} more, but chose {requested}."),
        ),
        Code::NotDelivered { kind } => pick(
            lang,
            format!("订单尚未签收，暂不能申请{}。", kind_label(*kind, lang)),
            format!(
                "The order has not been delivered yet, so \"{}\" is not possible.",
                kind_label(*kind, lang)
            ),
        ),
        Code::AlreadyDelivered => pick(
            lang,
            "订单已签收，不能以“未收到货”为由申请。".into(),
            "The order shows as delivered, so \"Not received\" cannot be used.".into(),
        ),
        Code::NotReceivedTooEarly { available_from } => pick(
            lang,
            format!(
                "包裹仍在配送中，{} 起可申请“未收到货”。",
                format_datetime(*available_from, lang)
            ),
            format!(
                "The parcel is still on its way; \"Not received\" is possible from {}.",
                format_datetime(*available_from, lang)
            ),
        ),
        Code::NoReasonWindowClosed { days, last_day } => pick(
            lang,
            format!(
                "{days} 天无理由退换期已于 {} 结束。",
                format_date(*last_day, lang)
            ),
            format!(
                "The {days}-day no-reason return period ended on {}.",
                format_date(*last_day, lang)
            ),
        ),
        Code::QualityWindowClosed { days, last_day } => pick(
            lang,
            format!(
                "签收后 {days} 天的质量问题售后期已于 {} 结束。",
                format_date(*last_day, lang)
            ),
            format!(
                "The {days}-day period for quality problems ended on {}.",
                format_date(*last_day, lang)
            ),
        ),
        Code::FinalSale => pick(
            lang,
            "该商品为特价清仓商品，不支持无理由退换。".into(),
            "This item was a final sale and cannot be returned without a fault.".into(),
        ),
        Code::ExcludedCategory { category } => pick(
            lang,
            format!("{}不支持无理由退货。", category_label(category, lang)),
            format!(
                "{} cannot be returned without a fault.",
                category_label(category, lang)
            ),
        ),
        Code::NoReasonWaived => pick(
            lang,
            "购买时您已确认该商品不支持无理由退换。".into(),
            "You agreed at purchase that this item has no no-reason return.".into(),
        ),
        Code::IntactConfirmationMissing => pick(
            lang,
            "请确认退回的商品完好、不影响二次销售。".into(),
            "Please confirm the goods you send back are intact and unused.".into(),
        ),
        Code::EvidenceRequired { required, provided } => pick(
            lang,
            format!("该原因需要上传至少 {required} 张照片作为凭证（已上传 {provided} 张）。"),
            format!(
                "This reason needs at least {} as evidence ({provided} added).",
                count_of(*required, "photo", "photos")
            ),
        ),
        Code::NoteRequired => pick(
            lang,
            "选择“其他”时请填写说明。".into(),
            "Please describe the problem when choosing \"Other\".".into(),
        ),
        Code::KindDisabled { kind } => pick(
            lang,
            format!("商家未开通“{}”服务。", kind_label(*kind, lang)),
            format!("This store does not offer \"{}\".", kind_label(*kind, lang)),
        ),
        Code::ReasonDisabled { reason } => pick(
            lang,
            format!("商家不支持以“{}”为由申请。", reason_label(*reason, lang)),
            format!(
                "This store does not accept \"{}\" as a reason.",
                reason_label(*reason, lang)
            ),
        ),
        Code::KeepItemReview { threshold } => pick(
            lang,
            format!(
                "已签收订单仅退款且金额超过 {}，需商家审核。",
                money(threshold.0)
            ),
            format!(
                "A refund without returning delivered goods above {} is reviewed by the merchant.",
                money(threshold.0)
            ),
        ),
        Code::InTransitReview => pick(
            lang,
            "包裹已发出，仅退款需商家审核。".into(),
            "The parcel is already on its way, so the merchant reviews a refund-only request."
                .into(),
        ),
        Code::ExchangeReview => pick(
            lang,
            "换货申请由商家审核。".into(),
            "Exchanges are reviewed by the merchant.".into(),
        ),
        Code::ExchangeChoiceMissing => pick(
            lang,
            "请选择要换成的款式。".into(),
            "Choose what to exchange it for.".into(),
        ),
        Code::VariantOutOfStock { sku } => pick(
            lang,
            format!("款式“{sku}”已无库存，请换一个。"),
            format!("\"{sku}\" is out of stock; choose another."),
        ),
        Code::NothingToExchangeFor => pick(
            lang,
            "可换的款式均已无库存。".into(),
            "Everything this item can be exchanged for is out of stock.".into(),
        ),
        Code::OrderFlagged { flag } => flag_message(flag, lang),
        Code::AboveReviewCap { cap } => pick(
            lang,
            format!("退款金额超过 {}，需商家审核。", money(cap.0)),
            format!(
                "Refunds above {} are reviewed by the merchant.",
                money(cap.0)
            ),
        ),
        Code::ManualReview => pick(
            lang,
            "商家将审核您的申请。".into(),
            "The merchant will review your request.".into(),
        ),
        Code::AutoApproveAmountExceeded { max } => pick(
            lang,
            format!("金额超过 {} 的申请由商家审核。", money(max.0)),
            format!(
                "Requests above {} are reviewed by the merchant.",
                money(max.0)
            ),
        ),
        Code::AutoApproveReasonExcluded { reason } => pick(
            lang,
            format!("以“{}”为由的申请由商家审核。", reason_label(*reason, lang)),
            format!(
                "Requests for \"{}\" are reviewed by the merchant.",
                reason_label(*reason, lang)
            ),
        ),
        Code::AutoApproveRecentRequests { count, max } => pick(
            lang,
            format!("您近 30 天已有 {count} 次申请（自动同意上限 {max} 次），本次需商家审核。"),
            format!(
                "You made {count} requests in the last 30 days (automatic approval stops at {max}), so the merchant reviews this one."
            ),
        ),
    }
}

/// One sentence explaining an amount component.
pub fn component_message(component: &Component, lang: Lang, currency: Currency) -> String {
    let money = |d: Decimal| format_money(d, currency, lang);
    match component {
        Component::Item { quantity, .. } => pick(
            lang,
            format!("{quantity} 件商品按实付金额退款（已扣除分摊的订单优惠）。"),
            format!(
                "{} at the price you actually paid, after order discounts.",
                count_of(*quantity, "item", "items")
            ),
        ),
        Component::ShippingRefund { .. } => pick(
            lang,
            "整单退回，运费一并退还。".into(),
            "Everything comes back, so the shipping you paid is refunded too.".into(),
        ),
        Component::ReturnShippingFee { .. } => pick(
            lang,
            "非商品问题退货，由您承担退货运费。".into(),
            "For a return that is not the seller's fault, you pay the return shipping.".into(),
        ),
        Component::RestockingFee { percent, .. } => pick(
            lang,
            format!(
                "非商品质量问题退货，收取商品退款金额 {}% 的退货手续费。",
                percent.0
            ),
            format!(
                "For a return that is not the seller's fault, a restocking fee of {}% of the items is charged.",
                percent.0
            ),
        ),
        Component::LostFreeShipping { threshold, amount } if amount.0.is_zero() => pick(
            lang,
            format!(
                "本次申请后您保留的商品未满包邮门槛 {}；退款已扣至 0，运费不再另扣，以后的申请也不会再扣。",
                money(threshold.0)
            ),
            format!(
                "What you keep falls below the {} free-shipping threshold; the refund is already down to zero, so the shipping is not deducted now or on a later request.",
                money(threshold.0)
            ),
        ),
        Component::LostFreeShipping { threshold, .. } => pick(
            lang,
            format!(
                "本次申请后您保留的商品未满包邮门槛 {}，扣除原先免收的运费。",
                money(threshold.0)
            ),
            format!(
                "What you keep falls below the {} free-shipping threshold, so the shipping you didn't pay is deducted.",
                money(threshold.0)
            ),
        ),
        Component::LostThresholdDiscount {
            threshold, amount, ..
        } if amount.0.is_zero() => pick(
            lang,
            format!(
                "本次申请后您保留的商品未满满减门槛 {}；退款已扣至 0，满减优惠不再另扣，以后的申请也不会再扣。",
                money(threshold.0)
            ),
            format!(
                "What you keep falls below the {} spend-and-save threshold; the refund is already down to zero, so that discount is not deducted now or on a later request.",
                money(threshold.0)
            ),
        ),
        Component::LostThresholdDiscount { threshold, .. } => pick(
            lang,
            format!(
                "本次申请后您保留的商品未满满减门槛 {}，扣除其享受的满减优惠。",
                money(threshold.0)
            ),
            format!(
                "What you keep falls below the {} spend-and-save threshold, so that discount on it is deducted.",
                money(threshold.0)
            ),
        ),
        Component::MissingGift { units, .. } => pick(
            lang,
            format!("主商品全部退回但赠品未退回（{units} 件），扣除赠品价值。"),
            format!(
                "The item is returned but {} not, so the gift's value is deducted.",
                match units {
                    1 => "its free gift is".to_owned(),
                    n => format!("{n} free gifts are"),
                }
            ),
        ),
        Component::RefundLimit { .. } => pick(
            lang,
            "退款总额不能超过订单剩余可退金额。".into(),
            "Refunds can never exceed what is left of what you paid.".into(),
        ),
    }
}

pub fn input_error(error: &InputError, lang: Lang) -> String {
    match error {
        InputError::UnknownCurrency { code } => pick(
            lang,
            format!("不支持的币种“{code}”，请使用 ISO 4217 代码，如 CNY。"),
            format!("Unknown currency \"{code}\"; use an ISO 4217 code such as CNY."),
        ),
        InputError::NegativeAmount { field, value } => pick(
            lang,
            format!("{field} 不能为负数（收到 {value}）。"),
            format!("{field} cannot be negative (got {value})."),
        ),
        InputError::AmountTooLarge { field, value } => pick(
            lang,
            format!("{field} 金额过大（收到 {value}）。"),
            format!("{field} is too large (got {value})."),
        ),
        InputError::TooManyDecimals {
            field,
            value,
            currency,
            exponent,
        } => pick(
            lang,
            format!("{field} 的小数位超过 {currency} 允许的 {exponent} 位（收到 {value}）。"),
            format!("{field} has more decimals than {currency} allows ({exponent}); got {value}."),
        ),
        InputError::Required { field } => pick(
            lang,
            format!("缺少 {field}。"),
            format!("{field} is required."),
        ),
        InputError::TooLong { field, max } => pick(
            lang,
            format!("{field} 过长，最多 {max} 个字符。"),
            format!("{field} is too long; at most {max} characters."),
        ),
        InputError::TooMany { field, max } => pick(
            lang,
            format!("{field} 最多 {max} 项。"),
            format!("{field} has too many entries; at most {max}."),
        ),
        InputError::OutOfRange { field, min, max } => pick(
            lang,
            format!("{field} 必须在 {min} 到 {max} 之间。"),
            format!("{field} must be between {min} and {max}."),
        ),
        InputError::InvalidEmail => pick(
            lang,
            "customer_email 不是有效的邮箱地址。".into(),
            "customer_email is not an email address.".into(),
        ),
        InputError::InvalidUrl { field } => pick(
            lang,
            format!("{field} 须是以 https:// 或 http:// 开头的完整网址。"),
            format!("{field} must be a full address starting with https:// or http://."),
        ),
        InputError::TimeBefore { field, before } => pick(
            lang,
            format!("{field} 不能早于 {before}。"),
            format!("{field} cannot be earlier than {before}."),
        ),
        InputError::DuplicateId { field, id } => pick(
            lang,
            format!("{field} 中的 id “{id}” 重复。"),
            format!("The id \"{id}\" appears twice in {field}."),
        ),
        InputError::QuantityZero { field } => pick(
            lang,
            format!("{field} 必须至少为 1。"),
            format!("{field} must be at least 1."),
        ),
        InputError::QuantityTooLarge { field, max } => pick(
            lang,
            format!("{field} 最多为 {max}。"),
            format!("{field} can be at most {max}."),
        ),
        InputError::LineDiscountExceedsPrice { field } => pick(
            lang,
            format!("{field} 超过了该行商品总价。"),
            format!("{field} is more than the line's price times its quantity."),
        ),
        InputError::GiftParentMissing { field, parent } => pick(
            lang,
            format!("{field} 指向不存在的商品行“{parent}”。"),
            format!("{field} names line \"{parent}\", which is not in the order."),
        ),
        InputError::GiftOfGift { field } => pick(
            lang,
            format!("{field} 必须指向另一条非赠品的商品行。"),
            format!("{field} must name another line that is not itself a gift."),
        ),
        InputError::GiftNotFree { field } => pick(
            lang,
            format!("赠品行的实付金额必须为 0（{field}）。"),
            format!("A gift line must cost nothing after its line discount ({field})."),
        ),
        InputError::NotAllowed { field } => pick(
            lang,
            format!("此处不允许 {field}。"),
            format!("{field} is not allowed here."),
        ),
        InputError::DiscountsExceedGoods { discounts, goods } => pick(
            lang,
            format!("订单优惠 {discounts} 超过了商品金额 {goods}。"),
            format!("Order discounts ({discounts}) are more than the goods cost ({goods})."),
        ),
        InputError::PaymentsMismatch { expected, paid } => pick(
            lang,
            format!("支付合计 {paid} 与订单应付 {expected}（商品 − 优惠 + 运费）不符。"),
            format!("Payments add up to {paid}, but lines − discounts + shipping is {expected}."),
        ),
        InputError::InvalidUtcOffset { value } => pick(
            lang,
            format!("时区偏移“{value}”无效，请使用如 +08:00 的格式。"),
            format!("\"{value}\" is not a UTC offset; use a form like +08:00."),
        ),
        InputError::InvalidPercent { field, value } => pick(
            lang,
            format!("{field} 必须是 0 到 100 之间、最多两位小数的百分比（收到 {value}）。"),
            format!(
                "{field} must be a percentage from 0 to 100 with at most 2 decimals (got {value})."
            ),
        ),
        InputError::UnknownLanguage { tag } => pick(
            lang,
            format!("不支持的语言“{tag}”，请使用 zh-CN 或 en。"),
            format!("Unsupported language \"{tag}\"; use zh-CN or en."),
        ),
        InputError::EmptyRequest => pick(
            lang,
            "请至少选择一件商品。".into(),
            "Choose at least one item.".into(),
        ),
        InputError::UnknownLine { line_id } => pick(
            lang,
            format!("订单中没有商品行“{line_id}”。"),
            format!("The order has no line \"{line_id}\"."),
        ),
        InputError::DuplicateRequestLine { line_id } => pick(
            lang,
            format!("商品行“{line_id}”重复出现，请合并为一行。"),
            format!("Line \"{line_id}\" appears twice; give it once with the total quantity."),
        ),
        InputError::UnknownVariant { line_id, sku } => pick(
            lang,
            format!("商品行“{line_id}”不能换成“{sku}”，请从可换的款式中选择。"),
            format!(
                "Line \"{line_id}\" cannot be exchanged for \"{sku}\"; choose one of the variants it lists."
            ),
        ),
        InputError::LedgerInconsistent { field } => pick(
            lang,
            format!("退款记录与订单不一致（{field}）。"),
            format!("The refund history does not fit the order ({field})."),
        ),
        InputError::OrderMismatch => pick(
            lang,
            "退款记录或申请与订单不匹配，请刷新后重试。".into(),
            "The refund history or request belongs to another version of the order; reload and try again.".into(),
        ),
        InputError::TimeOutOfRange { field } => pick(
            lang,
            format!("{field} 必须在 1970 年到 9999 年之间。"),
            format!("{field} must be between the years 1970 and 9999."),
        ),
        InputError::Overflow => pick(
            lang,
            "金额超出可计算范围。".into(),
            "An amount is too large to compute.".into(),
        ),
    }
}

fn event_label(event: &str, lang: Lang) -> &'static str {
    let (zh, en) = match event {
        "approve" => ("同意", "approve"),
        "reject" => ("拒绝", "reject"),
        "cancel" => ("撤销", "cancel"),
        "ship_back" => ("填写退货物流", "enter the return shipment"),
        "confirm_receipt" => ("确认收货", "confirm receipt"),
        "record_refund" => ("记录退款", "record the refund"),
        "complete_exchange" => ("完成换货", "complete the exchange"),
        _ => ("关闭", "close"),
    };
    if lang == Lang::ZhCn { zh } else { en }
}

pub fn lifecycle_error(error: &LifecycleError, lang: Lang) -> String {
    match error {
        LifecycleError::NotAllowed { state, event, kind } => pick(
            lang,
            format!(
                "{}申请当前状态为“{}”，不能{}。",
                kind_label(*kind, lang),
                state_label(*state, lang),
                event_label(event, lang)
            ),
            format!(
                "A \"{}\" request that is \"{}\" cannot {}.",
                kind_label(*kind, lang),
                state_label(*state, lang),
                event_label(event, lang)
            ),
        ),
        LifecycleError::WrongActor { actor, event } => pick(
            lang,
            format!(
                "{}无权{}。",
                actor_label(*actor, lang),
                event_label(event, lang)
            ),
            format!(
                "{} may not {}.",
                actor_label(*actor, lang),
                event_label(event, lang)
            ),
        ),
        LifecycleError::DeadlineNotReached { deadline } => {
            let at = format_datetime(deadline.fixed_offset(), lang);
            pick(
                lang,
                format!("期限 {at} 尚未到达。"),
                format!("The deadline ({at}) has not passed yet."),
            )
        }
        LifecycleError::InvalidText { field, max } => {
            let (zh, en) = match *field {
                "reason" => ("拒绝理由", "The rejection reason"),
                "carrier" => ("快递公司", "The carrier"),
                _ => ("运单号", "The tracking number"),
            };
            pick(
                lang,
                format!("请填写{zh}（最多 {max} 个字符）。"),
                format!("{en} is required, at most {max} characters."),
            )
        }
        LifecycleError::OutOfOrder { last } => {
            let at = format_datetime(last.fixed_offset(), lang);
            pick(
                lang,
                format!("事件时间早于上一事件（{at}）。"),
                format!("The event is dated before the previous one ({at})."),
            )
        }
    }
}
