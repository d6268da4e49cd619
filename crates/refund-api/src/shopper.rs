//! Bodies of the shopper API, under `/api/v1/shops/{publishable_key}`.

use chrono::{DateTime, Utc};
use refund_core::wire::{
    DecimalStr, LedgerWire, OrderWire, PolicyWire, RequestLineWire, RequestWire,
};
use refund_core::{Outcome, Reason, RequestKind, SplitLine};
use serde::{Deserialize, Serialize};

use crate::RequestView;

/// How a shopper opens a session: the merchant's signed link, or the order number and the
/// email it was placed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SessionRequest {
    Link {
        /// The `token` of a link from `POST /api/v1/merchant/orders/{number}/links`.
        token: String,
    },
    Lookup {
        order_number: String,
        email: String,
    },
}

/// A session for one order, with the order as `GET /order` would answer it, so a client shows
/// it without another round trip.
// `O` lets a client read the order view as it reads `GET /order`'s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse<O = OrderView> {
    /// The bearer token of every other shopper call.
    pub session: String,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub expires_at: DateTime<Utc>,
    pub order_number: String,
    /// What `GET /order` answers for this session, as of its opening.
    pub order: O,
}

/// `GET /order`: everything a client needs to quote locally with the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "Q: Deserialize<'de>, D: Deserialize<'de> + Default"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView<Q = refund_core::Quote, D = crate::EventDetail> {
    pub order: OrderWire,
    /// The policy in force (version 0: the defaults, until the merchant sets one).
    pub policy: PolicyWire,
    /// What the order's live requests consumed.
    pub ledger: LedgerWire,
    /// The shopper's requests at this merchant in the last 30 days (auto-approval counts them).
    pub recent_requests: u32,
    /// The server's clock: windows and deadlines are judged by it.
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub server_time: DateTime<Utc>,
    /// The order's requests, oldest first, without their history.
    pub requests: Vec<RequestView<Q, D>>,
}

/// A shopper's request, to quote or to submit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopperRequest {
    pub kind: RequestKind,
    pub reason: Reason,
    pub lines: Vec<RequestLineWire>,
    #[serde(default)]
    pub note: String,
    /// Ids of evidence images uploaded for this order.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The shopper confirms returned goods are intact (商品完好).
    #[serde(default)]
    pub goods_intact: bool,
    /// The total the shopper saw; a different total on the server means their view was stale.
    /// Required to submit, ignored when quoting.
    #[serde(default)]
    pub expected_total: Option<DecimalStr>,
    /// The verdict the shopper saw: approved by rule (`eligible`) or waiting for review
    /// (`needs_review`). Optional; when sent, a different verdict on the server is a stale view.
    /// Skipped when absent, so a body without it hashes as it did before the field existed and
    /// an idempotency key used then still replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_outcome: Option<Outcome>,
    /// Where the shopper saw the money going back, exactly as the quote's `split`. Optional;
    /// when sent, a different split on the server is a stale view, even at the same total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_split: Option<Vec<SplitLine>>,
}

impl ShopperRequest {
    /// What the engine judges: the request with the number of evidence files it has.
    pub fn wire(&self, evidence_files: u32) -> RequestWire {
        RequestWire {
            kind: self.kind,
            reason: self.reason,
            lines: self.lines.clone(),
            note: self.note.clone(),
            evidence_files,
            goods_intact: self.goods_intact,
        }
    }
}

/// The return parcel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shipment {
    #[cfg_attr(feature = "openapi", schema(example = "SF Express"))]
    pub carrier: String,
    #[cfg_attr(feature = "openapi", schema(example = "SF1234567890"))]
    pub tracking_number: String,
}

/// An uploaded evidence image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Uploaded {
    /// List it in the submission's `evidence`.
    pub id: String,
    /// `image/jpeg`, `image/png` or `image/webp`, from the bytes.
    pub content_type: String,
    pub bytes: u64,
}
