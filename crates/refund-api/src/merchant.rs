//! Bodies of the merchant API, under `/api/v1/merchant` (secret key).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use refund_core::wire::{DecimalStr, LedgerWire, OrderWire};
use refund_core::{OrderFlag, Reason, RequestKind, State};
use serde::{Deserialize, Serialize};

use crate::{Deduction, Payout, QueueSort, QueueTab, RequestView};

/// An order as stored, with what the engine flagged on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderSaved {
    pub order: OrderWire,
    /// Accepted but suspicious: every request on a flagged order goes to manual review.
    pub flags: Vec<OrderFlag>,
}

/// An order with where its refunds stand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantOrderView {
    pub order: OrderWire,
    pub flags: Vec<OrderFlag>,
    /// What the order's live requests consumed.
    pub ledger: LedgerWire,
    /// What is still refundable: paid minus refunded and promised.
    pub left_to_refund: DecimalStr,
    /// Ids of the order's requests, oldest first.
    pub requests: Vec<String>,
}

/// `POST /orders/{number}/links`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkRequest {
    /// How long the link works, in seconds: 60 to 2592000 (30 days); 7 days when absent.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 60, maximum = 2592000, example = 604800)
    )]
    pub ttl_seconds: Option<i64>,
}

/// A signed link to one order's refund page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    /// Pass it to the widget's `order-token` attribute.
    pub token: String,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub expires_at: DateTime<Utc>,
    /// The server's standalone refund page for the order.
    pub url: String,
}

/// Filters of `GET /requests` (and of `GET /requests/counts`, which ignores `tab`, `sort`,
/// `cursor` and `limit`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct RequestQuery {
    /// One of the queue's tabs.
    pub tab: Option<QueueTab>,
    pub state: Option<State>,
    pub reason: Option<Reason>,
    pub kind: Option<RequestKind>,
    /// A staff id, `me` (the signed-in staff member) or `none` (unassigned).
    pub assignee: Option<String>,
    /// Totals at least this much.
    pub min_total: Option<DecimalStr>,
    /// Totals at most this much.
    pub max_total: Option<DecimalStr>,
    /// A request number (RF…), an order number or a shopper's e-mail, exactly.
    pub q: Option<String>,
    /// `deadline` (soonest first) or `newest`; by default the tab's.
    pub sort: Option<QueueSort>,
    /// Submitted at or after (RFC 3339).
    #[cfg_attr(
        target_arch = "wasm32",
        serde(default, deserialize_with = "refund_core::rfc3339::option")
    )]
    pub from: Option<DateTime<Utc>>,
    /// Submitted before (RFC 3339).
    #[cfg_attr(
        target_arch = "wasm32",
        serde(default, deserialize_with = "refund_core::rfc3339::option")
    )]
    pub to: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200; 50 when absent.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// A page of requests, in the order asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestPage<Q = refund_core::Quote> {
    pub requests: Vec<RequestView<Q>>,
    /// Pass it as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// `POST /requests/{id}/reject`: a reason written out, or one of the merchant's reply
/// templates (whose text the shopper then reads in their language); exactly one of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejection {
    /// Shown to the shopper; 1 to 500 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "The photos show wear from use.")
    )]
    pub reason: Option<String>,
    #[serde(default)]
    pub template_id: Option<String>,
}

/// `POST /requests/{id}/refund`: what was paid out, per payment. Without a deduction it must
/// be exactly the request's split; with one, each payment gets at most its share of the split
/// and the payouts add up to the total less the deduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundPaid {
    pub payouts: Vec<Payout>,
    /// For goods that came back damaged by the shopper: what is kept back, and why.
    #[serde(default)]
    pub deduction: Option<Deduction>,
    /// The payment provider's reference for the refund; at most 100 characters.
    #[serde(default)]
    pub reference: Option<String>,
}

/// The period of `GET /stats`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct StatsQuery {
    /// Submitted at or after (RFC 3339).
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub from: DateTime<Utc>,
    /// Submitted before (RFC 3339).
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub to: DateTime<Utc>,
}

/// Requests submitted in `[from, to)`, by reason and by SKU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub from: DateTime<Utc>,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub to: DateTime<Utc>,
    pub by_reason: BTreeMap<Reason, Tally>,
    pub by_sku: BTreeMap<String, Tally>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    /// Requests submitted in the period, whatever became of them.
    pub requests: u64,
    /// Units asked for.
    pub units: u64,
    /// Money refunded or still promised (requests not rejected, cancelled or closed), by
    /// currency code.
    pub amounts: BTreeMap<String, DecimalStr>,
}
