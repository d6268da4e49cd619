//! The SQLite store: one file in the data directory, WAL journal, `synchronous = FULL` so an
//! acknowledged submission survives a crash. Every write that depends on what it read runs in a
//! `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock up front: concurrent writers
//! queue (up to the busy timeout) instead of failing halfway.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use refund_core::wire::{OrderWire, PolicyWire};
use refund_core::{DeadlineKind, Quote, Reason, RequestKind, State};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection, SqlitePool};

use super::*;

/// An idempotency key held this long without an answer belongs to a submission that died.
const ABANDONED_AFTER: TimeDelta = TimeDelta::seconds(60);

pub struct SqliteStore {
    pool: SqlitePool,
    /// Writers in this process queue here and are woken as soon as the previous one commits,
    /// instead of polling SQLite's lock with growing sleeps while holding a pooled connection.
    /// `BEGIN IMMEDIATE` still guards against writers in other processes.
    write: tokio::sync::Mutex<()>,
}

fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(ApiError::internal)
}

fn opt_ts(text: Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.as_deref().map(parse_ts).transpose()
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(ApiError::internal)
}

/// A unit enum's snake_case name, as serde writes it.
fn code<T: Serialize>(value: &T) -> Result<String, ApiError> {
    match serde_json::to_value(value).map_err(ApiError::internal)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(ApiError::internal(format!("not a unit enum: {other}"))),
    }
}

fn from_code<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(ApiError::internal)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore, sqlx::Error> {
        SqliteStore::connect(SqliteStore::options(path)).await
    }

    /// The connection settings of the store's file (public so the load benchmark's raw-SQLite
    /// baseline uses exactly the same ones).
    pub fn options(path: &Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
    }

    async fn connect(options: SqliteConnectOptions) -> Result<SqliteStore, sqlx::Error> {
        // One connection first switches the file to WAL (which needs the file to itself) and
        // migrates it; only then may the pool's connections race to open it.
        let mut first = options.connect().await?;
        sqlx::migrate!("migrations/sqlite").run(&mut first).await?;
        first.close().await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            write: tokio::sync::Mutex::new(()),
        })
    }
}

impl SqliteStore {
    /// A write transaction: this process's writer turn, then SQLite's write lock up front.
    async fn write(
        &self,
    ) -> Result<
        (
            tokio::sync::MutexGuard<'_, ()>,
            sqlx::Transaction<'static, sqlx::Sqlite>,
        ),
        sqlx::Error,
    > {
        let turn = self.write.lock().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok((turn, tx))
    }
}

fn merchant_row(row: &SqliteRow) -> Result<Merchant, ApiError> {
    Ok(Merchant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        publishable_key: row.try_get("publishable_key")?,
        signing_secret: row.try_get("signing_secret")?,
        allowed_origins: from_json(&row.try_get::<String, _>("allowed_origins")?)?,
    })
}

const REQUEST_COLUMNS: &str = "r.id, r.number, r.merchant_id, r.order_id, o.number AS order_number, r.kind, \
     r.reason, r.body, r.quote, r.policy_version, r.evidence, r.state, r.submitted_at, r.last_event_at, \
     r.approved_at, r.shipped_back_at, r.deadline_kind, r.deadline_at, r.carrier, r.tracking_number, \
     r.reject_reason";

fn request_row(row: &SqliteRow) -> Result<StoredRequest, ApiError> {
    let deadline = match (
        row.try_get::<Option<String>, _>("deadline_kind")?,
        row.try_get::<Option<String>, _>("deadline_at")?,
    ) {
        (Some(kind), Some(at)) => Some((from_code::<DeadlineKind>(&kind)?, parse_ts(&at)?)),
        _ => None,
    };
    Ok(StoredRequest {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        merchant_id: row.try_get("merchant_id")?,
        order_id: row.try_get("order_id")?,
        order_number: row.try_get("order_number")?,
        kind: from_code::<RequestKind>(&row.try_get::<String, _>("kind")?)?,
        reason: from_code::<Reason>(&row.try_get::<String, _>("reason")?)?,
        body: from_json(&row.try_get::<String, _>("body")?)?,
        quote: from_json::<Quote>(&row.try_get::<String, _>("quote")?)?,
        policy_version: u32::try_from(row.try_get::<i64, _>("policy_version")?)
            .map_err(ApiError::internal)?,
        evidence: from_json(&row.try_get::<String, _>("evidence")?)?,
        progress: Progress {
            state: from_code::<State>(&row.try_get::<String, _>("state")?)?,
            submitted_at: parse_ts(&row.try_get::<String, _>("submitted_at")?)?,
            last_event_at: parse_ts(&row.try_get::<String, _>("last_event_at")?)?,
            approved_at: opt_ts(row.try_get("approved_at")?)?,
            shipped_back_at: opt_ts(row.try_get("shipped_back_at")?)?,
            deadline,
            carrier: row.try_get("carrier")?,
            tracking_number: row.try_get("tracking_number")?,
            reject_reason: row.try_get("reject_reason")?,
        },
    })
}

async fn fetch_request(
    conn: &mut SqliteConnection,
    merchant_id: &str,
    id: &str,
) -> StoreResult<Option<StoredRequest>> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM requests r JOIN orders o ON o.id = r.order_id \
         WHERE r.merchant_id = ? AND r.id = ?"
    );
    let row = sqlx::query(&sql)
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(request_row).transpose()
}

async fn insert_event(
    conn: &mut SqliteConnection,
    request_id: &str,
    event: &AuditEvent,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit (request_id, actor, action, before_state, after_state, detail, at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(request_id)
    .bind(code(&event.actor)?)
    .bind(&event.action)
    .bind(event.before.map(|s| s.code()))
    .bind(event.after.code())
    .bind(to_json(&event.detail)?)
    .bind(ts(event.at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn count_recent(
    conn: &mut SqliteConnection,
    merchant_id: &str,
    email: &str,
    since: DateTime<Utc>,
) -> StoreResult<u32> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM requests WHERE merchant_id = ? AND customer_email = ? AND submitted_at >= ?",
    )
    .bind(merchant_id)
    .bind(email)
    .bind(ts(since))
    .fetch_one(&mut *conn)
    .await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

fn deadline_columns(progress: &Progress) -> Result<(Option<String>, Option<String>), ApiError> {
    Ok(match progress.deadline {
        Some((kind, at)) => (Some(code(&kind)?), Some(ts(at))),
        None => (None, None),
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_merchant(&self, new: NewMerchant) -> StoreResult<()> {
        let m = &new.merchant;
        sqlx::query(
            "INSERT INTO merchants (id, name, publishable_key, secret_key_hash, signing_secret, allowed_origins, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&m.id)
        .bind(&m.name)
        .bind(&m.publishable_key)
        .bind(&new.secret_key_hash)
        .bind(&m.signing_secret)
        .bind(to_json(&m.allowed_origins)?)
        .bind(ts(Utc::now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn merchant_by_secret_hash(&self, hash: &str) -> StoreResult<Option<Merchant>> {
        let row = sqlx::query("SELECT * FROM merchants WHERE secret_key_hash = ?")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(merchant_row).transpose()
    }

    async fn merchant_by_publishable_key(&self, key: &str) -> StoreResult<Option<Merchant>> {
        let row = sqlx::query("SELECT * FROM merchants WHERE publishable_key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(merchant_row).transpose()
    }

    async fn merchant_by_name(&self, name: &str) -> StoreResult<Option<Merchant>> {
        let row = sqlx::query("SELECT * FROM merchants WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(merchant_row).transpose()
    }

    async fn merchant(&self, id: &str) -> StoreResult<Option<Merchant>> {
        let row = sqlx::query("SELECT * FROM merchants WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(merchant_row).transpose()
    }

    async fn put_policy(
        &self,
        merchant_id: &str,
        mut policy: PolicyWire,
        at: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let (_turn, mut tx) = self.write().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM policies WHERE merchant_id = ?")
                .bind(merchant_id)
                .fetch_one(&mut *tx)
                .await?;
        let version = u32::try_from(last.unwrap_or(0) + 1).map_err(ApiError::internal)?;
        policy.version = version;
        sqlx::query(
            "INSERT INTO policies (merchant_id, version, body, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(merchant_id)
        .bind(i64::from(version))
        .bind(to_json(&policy)?)
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn current_policy(&self, merchant_id: &str) -> StoreResult<Option<(u32, PolicyWire)>> {
        let row = sqlx::query("SELECT version, body FROM policies WHERE merchant_id = ? ORDER BY version DESC LIMIT 1")
            .bind(merchant_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let version =
                u32::try_from(row.try_get::<i64, _>("version")?).map_err(ApiError::internal)?;
            Ok((version, from_json(&row.try_get::<String, _>("body")?)?))
        })
        .transpose()
    }

    async fn policy(&self, merchant_id: &str, version: u32) -> StoreResult<Option<PolicyWire>> {
        let body: Option<String> =
            sqlx::query_scalar("SELECT body FROM policies WHERE merchant_id = ? AND version = ?")
                .bind(merchant_id)
                .bind(i64::from(version))
                .fetch_optional(&self.pool)
                .await?;
        body.as_deref().map(from_json).transpose()
    }

    async fn put_order(
        &self,
        merchant_id: &str,
        order: OrderWire,
        check: CheckOrder,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (_turn, mut tx) = self.write().await?;
        let existing =
            sqlx::query("SELECT id, body FROM orders WHERE merchant_id = ? AND number = ?")
                .bind(merchant_id)
                .bind(&order.number)
                .fetch_optional(&mut *tx)
                .await?;
        let (id, stored) = match &existing {
            Some(row) => (
                Some(row.try_get::<String, _>("id")?),
                Some(from_json::<OrderWire>(&row.try_get::<String, _>("body")?)?),
            ),
            None => (None, None),
        };
        let has_requests = match &id {
            Some(id) => {
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM requests WHERE order_id = ?")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?
                    > 0
            }
            None => false,
        };
        check(stored.as_ref(), has_requests)?;
        let email = order.customer_email.trim().to_lowercase();
        let created = match id {
            Some(id) => {
                sqlx::query(
                    "UPDATE orders SET body = ?, customer_email = ?, updated_at = ? WHERE id = ?",
                )
                .bind(to_json(&order)?)
                .bind(email)
                .bind(ts(at))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                false
            }
            None => {
                sqlx::query(
                    "INSERT INTO orders (id, merchant_id, number, customer_email, body, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(crate::auth::random_key("ord_", 12))
                .bind(merchant_id)
                .bind(&order.number)
                .bind(email)
                .bind(to_json(&order)?)
                .bind(ts(at))
                .bind(ts(at))
                .execute(&mut *tx)
                .await?;
                true
            }
        };
        tx.commit().await?;
        Ok(created)
    }

    async fn order(&self, merchant_id: &str, number: &str) -> StoreResult<Option<StoredOrder>> {
        let row = sqlx::query(
            "SELECT id, merchant_id, body FROM orders WHERE merchant_id = ? AND number = ?",
        )
        .bind(merchant_id)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(StoredOrder {
                id: row.try_get("id")?,
                merchant_id: row.try_get("merchant_id")?,
                wire: from_json(&row.try_get::<String, _>("body")?)?,
            })
        })
        .transpose()
    }

    async fn order_email(&self, merchant_id: &str, number: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT customer_email FROM orders WHERE merchant_id = ? AND number = ?",
        )
        .bind(merchant_id)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn claim_key(
        &self,
        merchant_id: &str,
        key: &str,
        body_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Claim> {
        let (_turn, mut tx) = self.write().await?;
        let row = sqlx::query("SELECT body_hash, status, response, created_at FROM idempotency WHERE merchant_id = ? AND key = ?")
            .bind(merchant_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        let claim = match row {
            Some(row) if row.try_get::<String, _>("body_hash")? != body_hash => Claim::Mismatch,
            Some(row) => match (
                row.try_get::<Option<i64>, _>("status")?,
                row.try_get::<Option<String>, _>("response")?,
            ) {
                (Some(status), Some(body)) => Claim::Replay {
                    status: u16::try_from(status).map_err(ApiError::internal)?,
                    body,
                },
                _ if parse_ts(&row.try_get::<String, _>("created_at")?)? + ABANDONED_AFTER > at => {
                    Claim::InProgress
                }
                _ => {
                    let claim = crate::auth::random_key("claim_", 12);
                    sqlx::query(
                        "UPDATE idempotency SET created_at = ?, claim = ? WHERE merchant_id = ? AND key = ?",
                    )
                    .bind(ts(at))
                    .bind(&claim)
                    .bind(merchant_id)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                    Claim::Fresh { claim }
                }
            },
            None => {
                let claim = crate::auth::random_key("claim_", 12);
                sqlx::query("INSERT INTO idempotency (merchant_id, key, body_hash, created_at, claim) VALUES (?, ?, ?, ?, ?)")
                    .bind(merchant_id)
                    .bind(key)
                    .bind(body_hash)
                    .bind(ts(at))
                    .bind(&claim)
                    .execute(&mut *tx)
                    .await?;
                Claim::Fresh { claim }
            }
        };
        tx.commit().await?;
        Ok(claim)
    }

    async fn release_key(&self, merchant_id: &str, key: &str, claim: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM idempotency WHERE merchant_id = ? AND key = ? AND claim = ? AND status IS NULL")
            .bind(merchant_id)
            .bind(key)
            .bind(claim)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn submit(
        &self,
        merchant_id: &str,
        order_number: &str,
        key: &str,
        claim: &str,
        at: DateTime<Utc>,
        decide: Decide,
        respond: Respond,
    ) -> StoreResult<(u16, String)> {
        let (_turn, mut tx) = self.write().await?;
        let order_row = sqlx::query("SELECT id, merchant_id, customer_email, body FROM orders WHERE merchant_id = ? AND number = ?")
            .bind(merchant_id)
            .bind(order_number)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let order = StoredOrder {
            id: order_row.try_get("id")?,
            merchant_id: order_row.try_get("merchant_id")?,
            wire: from_json(&order_row.try_get::<String, _>("body")?)?,
        };
        let email: String = order_row.try_get("customer_email")?;
        let policy = sqlx::query("SELECT version, body FROM policies WHERE merchant_id = ? ORDER BY version DESC LIMIT 1")
            .bind(merchant_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| {
                let version = u32::try_from(row.try_get::<i64, _>("version")?).map_err(ApiError::internal)?;
                Ok::<_, ApiError>((version, from_json::<PolicyWire>(&row.try_get::<String, _>("body")?)?))
            })
            .transpose()?;
        let mut live_quotes = Vec::new();
        for row in sqlx::query(
            "SELECT state, quote FROM requests WHERE order_id = ? ORDER BY submitted_at, id",
        )
        .bind(&order.id)
        .fetch_all(&mut *tx)
        .await?
        {
            let state: State = from_code(&row.try_get::<String, _>("state")?)?;
            if state.holds_ledger() {
                live_quotes.push(from_json::<Quote>(&row.try_get::<String, _>("quote")?)?);
            }
        }
        let recent = count_recent(&mut tx, merchant_id, &email, at - TimeDelta::days(30)).await?;
        let free_evidence: Vec<String> =
            sqlx::query_scalar("SELECT id FROM evidence WHERE order_id = ? AND request_id IS NULL ORDER BY created_at, id")
                .bind(&order.id)
                .fetch_all(&mut *tx)
                .await?;
        let view = SubmitView {
            order,
            policy,
            live_quotes,
            recent_requests: recent,
            free_evidence,
        };
        let new = decide(&view)?;

        let seq: i64 = sqlx::query_scalar(
            "UPDATE merchants SET request_seq = request_seq + 1 WHERE id = ? RETURNING request_seq",
        )
        .bind(merchant_id)
        .fetch_one(&mut *tx)
        .await?;
        let number = format!("RF{}{seq:06}", at.format("%Y%m%d"));
        let total_minor = new.quote.total.0.mantissa();
        let (deadline_kind, deadline_at) = deadline_columns(&new.progress)?;
        sqlx::query(
            "INSERT INTO requests (id, merchant_id, order_id, number, customer_email, kind, reason, body, quote, \
             total_minor, currency, policy_version, evidence, state, submitted_at, last_event_at, approved_at, \
             shipped_back_at, deadline_kind, deadline_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new.id)
        .bind(merchant_id)
        .bind(&view.order.id)
        .bind(&number)
        .bind(&email)
        .bind(new.kind.code())
        .bind(new.reason.code())
        .bind(to_json(&new.body)?)
        .bind(to_json(&new.quote)?)
        .bind(i64::try_from(total_minor).map_err(ApiError::internal)?)
        .bind(new.quote.currency.code())
        .bind(i64::from(new.policy_version))
        .bind(to_json(&new.evidence)?)
        .bind(new.progress.state.code())
        .bind(ts(new.progress.submitted_at))
        .bind(ts(new.progress.last_event_at))
        .bind(new.progress.approved_at.map(ts))
        .bind(new.progress.shipped_back_at.map(ts))
        .bind(deadline_kind)
        .bind(deadline_at)
        .execute(&mut *tx)
        .await?;
        for evidence in &new.evidence {
            let attached = sqlx::query(
                "UPDATE evidence SET request_id = ? WHERE id = ? AND order_id = ? AND request_id IS NULL",
            )
            .bind(&new.id)
            .bind(evidence)
            .bind(&view.order.id)
            .execute(&mut *tx)
            .await?;
            if attached.rows_affected() != 1 {
                return Err(ApiError::internal(format!(
                    "evidence {evidence} could not be attached"
                )));
            }
        }
        for event in &new.events {
            insert_event(&mut tx, &new.id, event).await?;
        }
        let stored = fetch_request(&mut tx, merchant_id, &new.id)
            .await?
            .ok_or_else(|| ApiError::internal("inserted request vanished"))?;
        let (status, body) = respond(&stored);
        let answered = sqlx::query(
            "UPDATE idempotency SET status = ?, response = ? \
             WHERE merchant_id = ? AND key = ? AND claim = ? AND status IS NULL",
        )
        .bind(i64::from(status))
        .bind(&body)
        .bind(merchant_id)
        .bind(key)
        .bind(claim)
        .execute(&mut *tx)
        .await?;
        if answered.rows_affected() != 1 {
            // Another attempt took this key over as abandoned: it alone may answer it, so this
            // one records nothing (the transaction rolls back when dropped).
            return Err(ApiError::key_in_progress());
        }
        tx.commit().await?;
        Ok((status, body))
    }

    async fn request(&self, merchant_id: &str, id: &str) -> StoreResult<Option<StoredRequest>> {
        let mut conn = self.pool.acquire().await?;
        fetch_request(&mut conn, merchant_id, id).await
    }

    async fn requests_for_order(&self, order_id: &str) -> StoreResult<Vec<StoredRequest>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM requests r JOIN orders o ON o.id = r.order_id \
             WHERE r.order_id = ? ORDER BY r.submitted_at, r.id"
        );
        let rows = sqlx::query(&sql)
            .bind(order_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(request_row).collect()
    }

    async fn list_requests(
        &self,
        merchant_id: &str,
        filter: &RequestFilter,
    ) -> StoreResult<Vec<StoredRequest>> {
        let mut sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM requests r JOIN orders o ON o.id = r.order_id WHERE r.merchant_id = ?"
        );
        if filter.state.is_some() {
            sql.push_str(" AND r.state = ?");
        }
        if filter.reason.is_some() {
            sql.push_str(" AND r.reason = ?");
        }
        if filter.from.is_some() {
            sql.push_str(" AND r.submitted_at >= ?");
        }
        if filter.to.is_some() {
            sql.push_str(" AND r.submitted_at < ?");
        }
        if filter.before.is_some() {
            sql.push_str(" AND (r.submitted_at < ? OR (r.submitted_at = ? AND r.id < ?))");
        }
        sql.push_str(" ORDER BY r.submitted_at DESC, r.id DESC LIMIT ?");
        let mut query = sqlx::query(&sql).bind(merchant_id);
        if let Some(state) = filter.state {
            query = query.bind(state.code());
        }
        if let Some(reason) = filter.reason {
            query = query.bind(reason.code());
        }
        if let Some(from) = filter.from {
            query = query.bind(ts(from));
        }
        if let Some(to) = filter.to {
            query = query.bind(ts(to));
        }
        if let Some((at, id)) = &filter.before {
            query = query.bind(ts(*at)).bind(ts(*at)).bind(id.clone());
        }
        let rows = query
            .bind(i64::from(filter.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(request_row).collect()
    }

    async fn recent_requests(
        &self,
        merchant_id: &str,
        email: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let mut conn = self.pool.acquire().await?;
        count_recent(&mut conn, merchant_id, &email.trim().to_lowercase(), since).await
    }

    async fn events(&self, request_id: &str) -> StoreResult<Vec<AuditEvent>> {
        let rows = sqlx::query("SELECT actor, action, before_state, after_state, detail, at FROM audit WHERE request_id = ? ORDER BY seq")
            .bind(request_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEvent {
                    actor: from_code(&row.try_get::<String, _>("actor")?)?,
                    action: row.try_get("action")?,
                    before: row
                        .try_get::<Option<String>, _>("before_state")?
                        .as_deref()
                        .map(from_code)
                        .transpose()?,
                    after: from_code(&row.try_get::<String, _>("after_state")?)?,
                    detail: from_json(&row.try_get::<String, _>("detail")?)?,
                    at: parse_ts(&row.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    async fn advance(
        &self,
        merchant_id: &str,
        id: &str,
        advance: Advance,
    ) -> StoreResult<StoredRequest> {
        let (_turn, mut tx) = self.write().await?;
        let current = fetch_request(&mut tx, merchant_id, id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let (progress, event) = advance(&current)?;
        let (deadline_kind, deadline_at) = deadline_columns(&progress)?;
        sqlx::query(
            "UPDATE requests SET state = ?, last_event_at = ?, approved_at = ?, shipped_back_at = ?, \
             deadline_kind = ?, deadline_at = ?, carrier = ?, tracking_number = ?, reject_reason = ? WHERE id = ?",
        )
        .bind(progress.state.code())
        .bind(ts(progress.last_event_at))
        .bind(progress.approved_at.map(ts))
        .bind(progress.shipped_back_at.map(ts))
        .bind(deadline_kind)
        .bind(deadline_at)
        .bind(&progress.carrier)
        .bind(&progress.tracking_number)
        .bind(&progress.reject_reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, id, &event).await?;
        let updated = fetch_request(&mut tx, merchant_id, id)
            .await?
            .ok_or_else(|| ApiError::internal("updated request vanished"))?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT merchant_id, id FROM requests WHERE deadline_at <= ? ORDER BY deadline_at LIMIT ?")
            .bind(ts(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("merchant_id")?, row.try_get("id")?)))
            .collect()
    }

    async fn add_evidence(
        &self,
        evidence: Evidence,
        max_per_order: u32,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (_turn, mut tx) = self.write().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM evidence WHERE order_id = ?")
            .bind(&evidence.order_id)
            .fetch_one(&mut *tx)
            .await?;
        if count >= i64::from(max_per_order) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO evidence (id, merchant_id, order_id, content_type, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&evidence.id)
        .bind(&evidence.merchant_id)
        .bind(&evidence.order_id)
        .bind(&evidence.content_type)
        .bind(&evidence.bytes)
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_free_evidence(
        &self,
        merchant_id: &str,
        order_id: &str,
        id: &str,
    ) -> StoreResult<bool> {
        let (_turn, mut tx) = self.write().await?;
        let deleted = sqlx::query(
            "DELETE FROM evidence WHERE merchant_id = ? AND order_id = ? AND id = ? AND request_id IS NULL",
        )
        .bind(merchant_id)
        .bind(order_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    }

    async fn evidence(&self, merchant_id: &str, id: &str) -> StoreResult<Option<Evidence>> {
        let row = sqlx::query("SELECT id, merchant_id, order_id, content_type, bytes FROM evidence WHERE merchant_id = ? AND id = ?")
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Evidence {
                id: row.try_get("id")?,
                merchant_id: row.try_get("merchant_id")?,
                order_id: row.try_get("order_id")?,
                content_type: row.try_get("content_type")?,
                bytes: row.try_get("bytes")?,
            })
        })
        .transpose()
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
