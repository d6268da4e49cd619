//! Rows into values, once for both backends: each backend selects the same columns, and
//! [`Columns`] reads them as the same Rust types (SQLite keeps times as RFC 3339 text and JSON
//! as text; PostgreSQL as `timestamptz` and `jsonb`, selected as `::text`).

use chrono::{DateTime, Utc};
use refund_core::{DeadlineKind, Quote, Reason, RequestKind, State};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;

/// The columns of one row, by name.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> StoreResult<String>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>>;
    fn opt_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>>;
    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>>;

    fn json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<T> {
        serde_json::from_str(&self.text(column)?).map_err(corrupt)
    }
    fn code<T: DeserializeOwned>(&self, column: &str) -> StoreResult<T> {
        from_code(&self.text(column)?)
    }
    fn opt_code<T: DeserializeOwned>(&self, column: &str) -> StoreResult<Option<T>> {
        self.opt_text(column)?.as_deref().map(from_code).transpose()
    }
    fn small(&self, column: &str) -> StoreResult<u32> {
        u32::try_from(self.int(column)?).map_err(corrupt)
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(corrupt)
}

/// A unit enum's snake_case name, as serde writes it.
pub(crate) fn code<T: Serialize>(value: &T) -> StoreResult<String> {
    match serde_json::to_value(value).map_err(corrupt)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(corrupt(format!("not a unit enum: {other}"))),
    }
}

fn from_code<T: DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(corrupt)
}

pub(crate) const MERCHANT_COLUMNS: &str =
    "id, name, publishable_key, signing_secret, allowed_origins";

pub(crate) fn merchant(row: &impl Columns) -> StoreResult<Merchant> {
    Ok(Merchant {
        id: row.text("id")?,
        name: row.text("name")?,
        publishable_key: row.text("publishable_key")?,
        signing_secret: row.text("signing_secret")?,
        allowed_origins: row.json("allowed_origins")?,
    })
}

pub(crate) fn order(row: &impl Columns) -> StoreResult<StoredOrder> {
    Ok(StoredOrder {
        id: row.text("id")?,
        merchant_id: row.text("merchant_id")?,
        wire: row.json("body")?,
        version: row.int("version")?,
    })
}

/// An order row with `customer_email`, `policy_version` and `recent`.
pub(crate) fn snapshot(row: &impl Columns) -> StoreResult<OrderSnapshot> {
    Ok(OrderSnapshot {
        order: order(row)?,
        email: row.text("customer_email")?,
        policy_version: row
            .opt_int("policy_version")?
            .map(|v| u32::try_from(v).map_err(corrupt))
            .transpose()?,
        recent_requests: row.small("recent")?,
    })
}

pub(crate) fn request(row: &impl Columns) -> StoreResult<StoredRequest> {
    let deadline = match (
        row.opt_code::<DeadlineKind>("deadline_kind")?,
        row.opt_time("deadline_at")?,
    ) {
        (Some(kind), Some(at)) => Some((kind, at)),
        _ => None,
    };
    Ok(StoredRequest {
        id: row.text("id")?,
        number: row.text("number")?,
        merchant_id: row.text("merchant_id")?,
        order_id: row.text("order_id")?,
        order_number: row.text("order_number")?,
        kind: row.code::<RequestKind>("kind")?,
        reason: row.code::<Reason>("reason")?,
        body: row.json("body")?,
        quote: row.json::<Quote>("quote")?,
        policy_version: row.small("policy_version")?,
        evidence: row.json("evidence")?,
        progress: Progress {
            state: row.code::<State>("state")?,
            submitted_at: row.time("submitted_at")?,
            last_event_at: row.time("last_event_at")?,
            approved_at: row.opt_time("approved_at")?,
            shipped_back_at: row.opt_time("shipped_back_at")?,
            deadline,
            carrier: row.opt_text("carrier")?,
            tracking_number: row.opt_text("tracking_number")?,
            reject_reason: row.opt_text("reject_reason")?,
        },
    })
}

pub(crate) fn event(row: &impl Columns) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        actor: row.code("actor")?,
        action: row.text("action")?,
        before: row.opt_code("before_state")?,
        after: row.code("after_state")?,
        detail: row.json("detail")?,
        at: row.time("at")?,
    })
}

pub(crate) fn evidence(row: &impl Columns) -> StoreResult<Evidence> {
    Ok(Evidence {
        id: row.text("id")?,
        merchant_id: row.text("merchant_id")?,
        order_id: row.text("order_id")?,
        content_type: row.text("content_type")?,
        bytes: row.bytes("bytes")?,
    })
}

/// A row of `reason`/`sku`, `currency`, `requests`, `units`, `live`, `amount_minor`.
pub(crate) fn stats_group(row: &impl Columns) -> StoreResult<StatsGroup> {
    Ok(StatsGroup {
        reason: row.opt_code("reason")?,
        sku: row.opt_text("sku")?,
        currency: row.text("currency")?,
        requests: row.small("requests")?,
        units: row.small("units")?,
        live: row.small("live")?,
        amount_minor: row.int("amount_minor")?,
    })
}

pub(crate) fn key_record(row: &impl Columns) -> StoreResult<KeyRecord> {
    let status = row
        .opt_int("status")?
        .ok_or_else(|| corrupt("an idempotency key without its answer"))?;
    Ok(KeyRecord {
        body_hash: row.text("body_hash")?,
        answer: Answer {
            status: u16::try_from(status).map_err(corrupt)?,
            body: row
                .opt_text("response")?
                .ok_or_else(|| corrupt("an idempotency key without its answer"))?,
        },
    })
}

/// The quotes of a `version, quote` result (a left join: no quote when there are none).
pub(crate) fn live_quotes<R: Columns>(rows: &[R]) -> StoreResult<LiveQuotes> {
    let version = rows
        .first()
        .ok_or(StoreError::NotFound("order"))?
        .int("version")?;
    let quotes = rows
        .iter()
        .filter_map(|row| row.opt_text("quote").transpose())
        .map(|quote| serde_json::from_str(&quote?).map_err(corrupt))
        .collect::<StoreResult<_>>()?;
    Ok(LiveQuotes { version, quotes })
}
