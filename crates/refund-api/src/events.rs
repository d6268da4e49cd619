//! Events out: what the merchant's systems learn, as webhooks (signed as the Standard Webhooks
//! specification says) and from the events feed, and the webhook endpoints that receive them.

use chrono::{DateTime, Utc};
use refund_core::wire::DecimalStr;
use refund_core::{Currency, Reason, RequestKind, State};
use serde::{Deserialize, Serialize};

use crate::{ActedBy, Author, PayoutRecord};

/// What happened. A webhook endpoint subscribes to some of these (or to all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "request.submitted")]
    RequestSubmitted,
    #[serde(rename = "request.approved")]
    RequestApproved,
    #[serde(rename = "request.rejected")]
    RequestRejected,
    #[serde(rename = "request.cancelled")]
    RequestCancelled,
    #[serde(rename = "request.return_shipped")]
    RequestReturnShipped,
    #[serde(rename = "request.received")]
    RequestReceived,
    /// A payout was recorded: the money must (or did) go back, as `data.payout` says.
    #[serde(rename = "request.refunded")]
    RequestRefunded,
    #[serde(rename = "request.exchanged")]
    RequestExchanged,
    #[serde(rename = "request.closed")]
    RequestClosed,
    /// A message in a request's thread, from either side.
    #[serde(rename = "message.created")]
    MessageCreated,
    /// One of the merchant's endpoints was turned off: it answered 410, or failed for days.
    #[serde(rename = "endpoint.disabled")]
    EndpointDisabled,
}

impl EventType {
    pub const ALL: [EventType; 11] = [
        EventType::RequestSubmitted,
        EventType::RequestApproved,
        EventType::RequestRejected,
        EventType::RequestCancelled,
        EventType::RequestReturnShipped,
        EventType::RequestReceived,
        EventType::RequestRefunded,
        EventType::RequestExchanged,
        EventType::RequestClosed,
        EventType::MessageCreated,
        EventType::EndpointDisabled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventType::RequestSubmitted => "request.submitted",
            EventType::RequestApproved => "request.approved",
            EventType::RequestRejected => "request.rejected",
            EventType::RequestCancelled => "request.cancelled",
            EventType::RequestReturnShipped => "request.return_shipped",
            EventType::RequestReceived => "request.received",
            EventType::RequestRefunded => "request.refunded",
            EventType::RequestExchanged => "request.exchanged",
            EventType::RequestClosed => "request.closed",
            EventType::MessageCreated => "message.created",
            EventType::EndpointDisabled => "endpoint.disabled",
        }
    }

    pub fn from_code(code: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The event a request's move into `state` raises.
    pub fn of_state(state: State) -> EventType {
        match state {
            State::Submitted => EventType::RequestSubmitted,
            State::Approved => EventType::RequestApproved,
            State::Rejected => EventType::RequestRejected,
            State::Cancelled => EventType::RequestCancelled,
            State::ReturnShipped => EventType::RequestReturnShipped,
            State::Received => EventType::RequestReceived,
            State::Refunded => EventType::RequestRefunded,
            State::Exchanged => EventType::RequestExchanged,
            State::Closed => EventType::RequestClosed,
        }
    }
}

/// One event, as a webhook's body and in the events feed. Its `id` is the webhook's
/// `webhook-id`: a receiver that already processed it may ignore a second delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub timestamp: DateTime<Utc>,
    pub data: EventData,
}

/// What the event is about: a request as it stands after the change, and what the change
/// carried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<EventRequest>,
    /// `message.created`: the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<EventMessage>,
    /// `endpoint.disabled`: the endpoint and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<DisabledEndpoint>,
    /// Who on the merchant's side took the step, when someone did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActedBy>,
}

/// A request, in brief: enough to route it; the merchant API has the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRequest {
    pub id: String,
    pub number: String,
    pub order_number: String,
    pub state: State,
    pub kind: RequestKind,
    pub reason: Reason,
    pub currency: Currency,
    /// The recorded quote's total.
    pub total: DecimalStr,
    /// The rejection as the shopper reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    /// `request.refunded`: what was paid back, per payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout: Option<PayoutRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventMessage {
    pub id: String,
    pub author: Author,
    pub body: String,
    #[serde(default)]
    pub photos: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisabledEndpoint {
    pub id: String,
    pub url: String,
    pub reason: DisabledReason,
}

/// Why an endpoint is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DisabledReason {
    /// The merchant turned it off.
    Merchant,
    /// It answered 410 Gone.
    Gone,
    /// Its deliveries failed for about three days.
    Failing,
}

/// A page of the events feed, oldest first. Ask again with `after=next` for what follows;
/// `next` is the same cursor when nothing new has happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventPage {
    pub events: Vec<Event>,
    pub next: String,
}

/// `GET /api/v1/merchant/events`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct EventQuery {
    /// The `next` of the previous page; from the beginning when absent.
    pub after: Option<String>,
    /// At most this many events (1–100, default 50).
    pub limit: Option<u32>,
}

/// A webhook endpoint as the merchant sees it (the secret only once, when created or rotated).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    /// The event types it receives; empty: all of them.
    pub types: Vec<EventType>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<DisabledReason>,
    /// Since when its deliveries fail, while they do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::option")
    )]
    pub failing_since: Option<DateTime<Utc>>,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub created_at: DateTime<Utc>,
}

/// A new endpoint, or a rotated secret: the signing secret (`whsec_…`) is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointSecret {
    pub endpoint: EndpointView,
    pub secret: String,
    /// During a rotation, the old secret keeps signing too until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::option")
    )]
    pub old_secret_until: Option<DateTime<Utc>>,
}

/// `POST /api/v1/merchant/webhooks`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewEndpoint {
    /// `https://…` (or `http://`); redirects are not followed.
    pub url: String,
    /// The event types to receive; empty or absent: all.
    #[serde(default)]
    pub types: Vec<EventType>,
}

/// `PATCH /api/v1/merchant/webhooks/{id}`: what to change.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointChange {
    pub url: Option<String>,
    pub types: Option<Vec<EventType>>,
    /// Turning an endpoint back on resumes its waiting deliveries.
    pub enabled: Option<bool>,
}

/// One delivery of an event to an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub state: DeliveryState,
    pub attempts: Vec<AttemptView>,
    /// When it will be tried next, while it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::option")
    )]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeliveryState {
    /// Waiting for its (next) attempt.
    Pending,
    Delivered,
    /// Its attempts ran out, or its endpoint answered 410.
    Failed,
}

/// One attempt: the answer's status (none when no answer came), how long it took, the start of
/// the answer's body, or what went wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptView {
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "refund_core::rfc3339::deserialize")
    )]
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub excerpt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An endpoint's deliveries, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryLog {
    pub deliveries: Vec<DeliveryView>,
}

/// `POST /api/v1/merchant/webhooks/{id}/rotate`: the new secret; the old one keeps signing
/// beside it for `overlap_hours` (default 24, at most 168).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rotation {
    pub overlap_hours: Option<u32>,
}
