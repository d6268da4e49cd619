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
    fn flag(&self, column: &str) -> StoreResult<bool>;

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
    fn count(&self, column: &str) -> StoreResult<u64> {
        u64::try_from(self.int(column)?).map_err(corrupt)
    }
    fn opt_json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<Option<T>> {
        self.opt_text(column)?
            .map(|text| serde_json::from_str(&text).map_err(corrupt))
            .transpose()
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

/// The names of an order's lines, read from its body without the rest of it.
#[derive(serde::Deserialize)]
struct OrderLines {
    lines: Vec<LineName>,
}

#[derive(serde::Deserialize)]
struct LineName {
    id: String,
    sku: String,
    title: String,
}

/// The quote's lines named as the order (its JSON body) names them.
fn requested_lines(quote: &Quote, order_body: &str) -> StoreResult<Vec<RequestedLine>> {
    let order: OrderLines = serde_json::from_str(order_body).map_err(corrupt)?;
    Ok(name_lines(quote, |id| {
        order
            .lines
            .iter()
            .find(|l| l.id == id)
            .map(|l| (l.sku.as_str(), l.title.as_str()))
    }))
}

/// The columns [`request`] reads, over [`REQUEST_FROM`]; `{json}` is how a backend selects
/// a JSON column as text.
pub(crate) const REQUEST_COLUMNS: &str = "r.id, r.number, r.merchant_id, r.order_id, \
     o.number AS order_number, o.body{json} AS order_body, r.customer_email, r.kind, r.reason, \
     r.body{json} AS body, r.quote{json} AS quote, r.policy_version, r.evidence{json} AS evidence, \
     r.state, r.submitted_at, r.last_event_at, r.approved_at, r.shipped_back_at, r.deadline_kind, \
     r.deadline_at, r.carrier, r.tracking_number, r.reject_reason, r.reject_text{json} AS reject_text, \
     r.return_to{json} AS return_to, r.payout{json} AS payout, r.assignee, s.name AS assignee_name, r.lang, \
     (SELECT COUNT(*) FROM messages m WHERE m.request_id = r.id AND m.author = 'merchant' \
        AND m.seq > r.shopper_read_seq) AS unread_shopper, \
     (SELECT COUNT(*) FROM messages m WHERE m.request_id = r.id AND m.author = 'shopper' \
        AND m.seq > r.desk_read_seq) AS unread_desk";

/// What [`REQUEST_COLUMNS`] select from.
pub(crate) const REQUEST_FROM: &str =
    "requests r JOIN orders o ON o.id = r.order_id LEFT JOIN staff s ON s.id = r.assignee";

pub(crate) fn request(row: &impl Columns) -> StoreResult<StoredRequest> {
    let deadline = match (
        row.opt_code::<DeadlineKind>("deadline_kind")?,
        row.opt_time("deadline_at")?,
    ) {
        (Some(kind), Some(at)) => Some((kind, at)),
        _ => None,
    };
    let quote = row.json::<Quote>("quote")?;
    Ok(StoredRequest {
        id: row.text("id")?,
        number: row.text("number")?,
        merchant_id: row.text("merchant_id")?,
        order_id: row.text("order_id")?,
        order_number: row.text("order_number")?,
        customer_email: row.text("customer_email")?,
        kind: row.code::<RequestKind>("kind")?,
        reason: row.code::<Reason>("reason")?,
        body: row.json("body")?,
        lines: requested_lines(&quote, &row.text("order_body")?)?,
        quote,
        policy_version: row.small("policy_version")?,
        evidence: row.json("evidence")?,
        assignee: match (row.opt_text("assignee")?, row.opt_text("assignee_name")?) {
            (Some(id), Some(name)) => Some(StaffBrief { id, name }),
            _ => None,
        },
        unread: Unread {
            shopper: row.small("unread_shopper")?,
            desk: row.small("unread_desk")?,
        },
        lang: Lang::from_tag(&row.text("lang")?).unwrap_or(Lang::ZhCn),
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
            reject_text: row.opt_json("reject_text")?,
            return_to: row.opt_json("return_to")?,
            payout: row.opt_json("payout")?,
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
        by: row.opt_json("by_who")?,
    })
}

/// The columns [`staff`] reads.
pub(crate) const STAFF_COLUMNS: &str =
    "id, merchant_id, email, name, role, active, password_hash, created_at";

pub(crate) fn staff(row: &impl Columns) -> StoreResult<StaffRow> {
    Ok(StaffRow {
        id: row.text("id")?,
        merchant_id: row.text("merchant_id")?,
        email: row.text("email")?,
        name: row.text("name")?,
        role: row.code("role")?,
        active: row.flag("active")?,
        password_hash: row.opt_text("password_hash")?,
        created_at: row.time("created_at")?,
    })
}

/// `columns` (a list like [`STAFF_COLUMNS`]) of the table aliased `alias`.
pub(crate) fn prefixed(alias: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A session row: `csrf_token`, `session_created_at`, `last_seen_at` and the staff columns.
pub(crate) fn desk_session(row: &impl Columns) -> StoreResult<DeskSessionRow> {
    Ok(DeskSessionRow {
        csrf_token: row.text("csrf_token")?,
        created_at: row.time("session_created_at")?,
        last_seen_at: row.time("last_seen_at")?,
        staff: staff(row)?,
    })
}

pub(crate) fn message(row: &impl Columns) -> StoreResult<MessageRow> {
    Ok(MessageRow {
        id: row.text("id")?,
        author: row.code("author")?,
        by: row.opt_json("by_who")?,
        body: row.text("body")?,
        photos: row.json("photos")?,
        asks_for_photos: row.flag("asks_for_photos")?,
        at: row.time("at")?,
    })
}

/// A row of `state`, `kind`, `requests`, `overdue`.
pub(crate) fn queue_group(row: &impl Columns) -> StoreResult<QueueGroup> {
    Ok(QueueGroup {
        state: row.code("state")?,
        kind: row.code("kind")?,
        requests: row.small("requests")?,
        overdue: row.small("overdue")?,
    })
}

/// What the SQL of both backends differs in, for the statements written once.
pub(crate) trait Dialect: sqlx::Database {
    /// How a time is bound.
    type Time: for<'q> sqlx::Encode<'q, Self> + sqlx::Type<Self> + Send + 'static;
    fn time(at: DateTime<Utc>) -> Self::Time;
    /// A time after every deadline, for sorting requests without one last.
    const NO_DEADLINE: &'static str;
}

/// Appends the filter's conditions (after a `WHERE r.merchant_id = …`).
pub(crate) fn push_filter<DB: Dialect>(sql: &mut sqlx::QueryBuilder<'_, DB>, filter: &RequestFilter)
where
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if let Some(pairs) = &filter.pairs {
        sql.push(" AND (");
        if pairs.is_empty() {
            sql.push("FALSE");
        }
        for (i, (state, kind)) in pairs.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(r.state = ")
                .push_bind(state.code().to_owned())
                .push(" AND r.kind = ")
                .push_bind(kind.code().to_owned())
                .push(")");
        }
        sql.push(")");
    }
    if let Some(state) = filter.state {
        sql.push(" AND r.state = ")
            .push_bind(state.code().to_owned());
    }
    if let Some(reason) = filter.reason {
        sql.push(" AND r.reason = ")
            .push_bind(reason.code().to_owned());
    }
    if let Some(kind) = filter.kind {
        sql.push(" AND r.kind = ").push_bind(kind.code().to_owned());
    }
    match &filter.assignee {
        Some(AssigneeFilter::Nobody) => {
            sql.push(" AND r.assignee IS NULL");
        }
        Some(AssigneeFilter::Staff(id)) => {
            sql.push(" AND r.assignee = ").push_bind(id.clone());
        }
        None => {}
    }
    // Totals are kept in minor units, whose size depends on the currency.
    for (bound, op, round) in [
        (
            filter.min_total,
            ">=",
            rust_decimal::RoundingStrategy::ToPositiveInfinity,
        ),
        (
            filter.max_total,
            "<=",
            rust_decimal::RoundingStrategy::ToNegativeInfinity,
        ),
    ] {
        let Some(bound) = bound else { continue };
        sql.push(" AND (FALSE");
        for currency in refund_core::Currency::ALL {
            let minor = bound
                .checked_mul(rust_decimal::Decimal::from(10i64.pow(currency.exponent())))
                .map(|m| m.round_dp_with_strategy(0, round))
                .and_then(|m| i64::try_from(m).ok())
                .unwrap_or(if bound.is_sign_positive() {
                    i64::MAX
                } else {
                    i64::MIN
                });
            sql.push(" OR (r.currency = ")
                .push_bind(currency.code().to_owned())
                .push(format!(" AND r.total_minor {op} "))
                .push_bind(minor)
                .push(")");
        }
        sql.push(")");
    }
    if let Some(search) = &filter.search {
        sql.push(" AND (r.number = ")
            .push_bind(search.clone())
            .push(" OR o.number = ")
            .push_bind(search.clone())
            .push(" OR r.customer_email = ")
            .push_bind(search.trim().to_lowercase())
            .push(")");
    }
    if let Some(from) = filter.from {
        sql.push(" AND r.submitted_at >= ")
            .push_bind(DB::time(from));
    }
    if let Some(to) = filter.to {
        sql.push(" AND r.submitted_at < ").push_bind(DB::time(to));
    }
}

/// Appends where the page starts (after the filter), its order and its limit.
pub(crate) fn push_page<DB: Dialect>(sql: &mut sqlx::QueryBuilder<'_, DB>, page: &Page)
where
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let deadline = format!("COALESCE(r.deadline_at, {})", DB::NO_DEADLINE);
    match (page.sort, &page.after) {
        (Sort::Deadline, Some(after)) => {
            sql.push(format!(" AND ({deadline}, r.submitted_at, r.id) > ("));
            match after.deadline_at {
                Some(at) => sql.push_bind(DB::time(at)),
                None => sql.push(DB::NO_DEADLINE),
            };
            sql.push(", ")
                .push_bind(DB::time(after.submitted_at))
                .push(", ")
                .push_bind(after.id.clone())
                .push(")");
        }
        (Sort::Newest, Some(after)) => {
            sql.push(" AND (r.submitted_at, r.id) < (")
                .push_bind(DB::time(after.submitted_at))
                .push(", ")
                .push_bind(after.id.clone())
                .push(")");
        }
        (_, None) => {}
    }
    match page.sort {
        Sort::Deadline => sql.push(format!(" ORDER BY {deadline}, r.submitted_at, r.id LIMIT ")),
        Sort::Newest => sql.push(" ORDER BY r.submitted_at DESC, r.id DESC LIMIT "),
    };
    sql.push_bind(i64::from(page.limit));
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
        requests: row.count("requests")?,
        units: row.count("units")?,
        live: row.count("live")?,
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
