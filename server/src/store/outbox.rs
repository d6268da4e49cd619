//! The outbox's rows: events, webhook endpoints and their deliveries, e-mails. Which event
//! goes to which endpoint or shopper, and when to try again, is the service's to decide.

use chrono::{DateTime, Utc};
use refund_api::{DeliveryState, DisabledReason, EventType};

use super::rows::Columns;
use super::{StoreResult, corrupt};

/// An event to record in the transaction of its change, and the endpoints it goes to.
#[derive(Clone, Debug)]
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub merchant_id: &'a str,
    pub request_id: Option<&'a str>,
    pub kind: EventType,
    /// The JSON every delivery sends.
    pub body: &'a str,
    pub at: DateTime<Utc>,
    pub endpoints: &'a [String],
}

/// A webhook endpoint, secrets included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRow {
    pub id: String,
    pub merchant_id: String,
    pub url: String,
    pub types: Vec<EventType>,
    pub enabled: bool,
    pub disabled_reason: Option<DisabledReason>,
    /// `whsec_…`.
    pub secret: String,
    /// During a rotation, the secret that still signs beside the new one, until then.
    pub old_secret: Option<(String, DateTime<Utc>)>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The columns [`endpoint`] reads.
pub(crate) const ENDPOINT_COLUMNS: &str = "e.id, e.merchant_id, e.url, e.types{json} AS types, \
     e.enabled, e.disabled_reason, e.secret, e.old_secret, e.old_secret_until, e.failing_since, \
     e.created_at";

pub(crate) fn endpoint(row: &impl Columns) -> StoreResult<EndpointRow> {
    Ok(EndpointRow {
        id: row.text("id")?,
        merchant_id: row.text("merchant_id")?,
        url: row.text("url")?,
        types: row.json("types")?,
        enabled: row.flag("enabled")?,
        disabled_reason: row.opt_code("disabled_reason")?,
        secret: row.text("secret")?,
        old_secret: match (
            row.opt_text("old_secret")?,
            row.opt_time("old_secret_until")?,
        ) {
            (Some(secret), Some(until)) => Some((secret, until)),
            _ => None,
        },
        failing_since: row.opt_time("failing_since")?,
        created_at: row.time("created_at")?,
    })
}

/// A delivery a dispatcher claimed: what to send where.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub seq: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    pub event_id: String,
    pub body: String,
    pub endpoint: EndpointRow,
}

pub(crate) fn due_delivery(row: &impl Columns) -> StoreResult<DueDelivery> {
    Ok(DueDelivery {
        seq: row.int("delivery_seq")?,
        attempts: row.small("attempts")?,
        event_id: row.text("event_id")?,
        body: row.text("event_body")?,
        endpoint: endpoint(row)?,
    })
}

/// One attempt's outcome, as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRow {
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub excerpt: String,
    pub error: Option<String>,
}

pub(crate) fn attempt(row: &impl Columns) -> StoreResult<AttemptRow> {
    Ok(AttemptRow {
        at: row.time("at")?,
        status: row
            .opt_int("status")?
            .map(|s| u16::try_from(s).map_err(corrupt))
            .transpose()?,
        latency_ms: u64::try_from(row.int("latency_ms")?).map_err(corrupt)?,
        excerpt: row.text("excerpt")?,
        error: row.opt_text("error")?,
    })
}

/// What becomes of a delivery after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryNext {
    Delivered,
    Retry(DateTime<Utc>),
    Failed,
}

/// A delivery in an endpoint's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    pub seq: i64,
    pub event_id: String,
    pub kind: EventType,
    pub state: DeliveryState,
    pub next_at: DateTime<Utc>,
    pub attempts: Vec<AttemptRow>,
}

/// An e-mail to send, written with the change it tells of.
#[derive(Clone, Debug)]
pub struct NewEmail<'a> {
    pub merchant_id: &'a str,
    pub event_seq: Option<i64>,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub at: DateTime<Utc>,
}

/// An e-mail a dispatcher claimed.
#[derive(Clone, Debug)]
pub struct DueEmail {
    pub seq: i64,
    pub attempts: u32,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub(crate) fn due_email(row: &impl Columns) -> StoreResult<DueEmail> {
    Ok(DueEmail {
        seq: row.int("seq")?,
        attempts: row.small("attempts")?,
        to: row.text("to_addr")?,
        subject: row.text("subject")?,
        text: row.text("text_body")?,
        html: row.text("html_body")?,
    })
}

/// What becomes of an e-mail after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailNext {
    Sent,
    Retry(DateTime<Utc>, String),
    Failed(String),
}

/// The columns [`delivery_log`] reads: a delivery, its event, and one of its attempts (none
/// when it has none yet), deliveries newest first and attempts in order.
pub(crate) const DELIVERY_LOG: &str = "SELECT d.seq AS delivery_seq, ev.id AS event_id, \
     ev.type AS type, d.state, d.next_at, a.at, a.status, a.latency_ms, a.excerpt, a.error \
     FROM (SELECT * FROM deliveries WHERE endpoint_id = {endpoint} ORDER BY seq DESC LIMIT {limit}) d \
     JOIN events ev ON ev.seq = d.event_seq \
     LEFT JOIN delivery_attempts a ON a.delivery_seq = d.seq \
     ORDER BY d.seq DESC, a.seq";

pub(crate) fn delivery_log<R: Columns>(rows: &[R]) -> StoreResult<Vec<DeliveryRow>> {
    let mut log: Vec<DeliveryRow> = Vec::new();
    for row in rows {
        let seq = row.int("delivery_seq")?;
        if log.last().is_none_or(|d| d.seq != seq) {
            let kind = row.text("type")?;
            log.push(DeliveryRow {
                seq,
                event_id: row.text("event_id")?,
                kind: EventType::from_code(&kind)
                    .ok_or_else(|| corrupt(format!("event type {kind}")))?,
                state: row.code("state")?,
                next_at: row.time("next_at")?,
                attempts: Vec::new(),
            });
        }
        if row.opt_time("at")?.is_some()
            && let Some(delivery) = log.last_mut()
        {
            delivery.attempts.push(attempt(row)?);
        }
    }
    Ok(log)
}

/// A delivery state as stored.
pub(crate) fn delivery_state(next: DeliveryNext) -> &'static str {
    match next {
        DeliveryNext::Delivered => "delivered",
        DeliveryNext::Retry(_) => "pending",
        DeliveryNext::Failed => "failed",
    }
}

/// An e-mail's state as stored, when it is to be tried again and the last error.
pub(crate) fn email_state(next: &EmailNext) -> (&'static str, Option<DateTime<Utc>>, Option<&str>) {
    match next {
        EmailNext::Sent => ("sent", None, None),
        EmailNext::Retry(at, error) => ("pending", Some(*at), Some(error.as_str())),
        EmailNext::Failed(error) => ("failed", None, Some(error.as_str())),
    }
}
