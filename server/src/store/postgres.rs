//! The PostgreSQL store, for several server instances on one database.
//!
//! Transactions run at `READ COMMITTED`; what must not happen twice is guarded by row locks and
//! unique keys, never by anything held in one process:
//! - a submission inserts its idempotency key first: a concurrent duplicate blocks on that
//!   row until the first transaction ends, then reads its committed answer (or takes the key
//!   over if it rolled back);
//! - it then locks its order row (`FOR UPDATE`), so the live requests it decides against cannot
//!   change before it commits, on any instance;
//! - transitions lock their request row, and the deadline sweep claims due rows with
//!   `FOR UPDATE SKIP LOCKED`, so two instances never apply the same deadline;
//! - request numbers come from one sequence (no lock), merchant-unique by the unique index.
//!
//! Acknowledged writes are durable with the server's `synchronous_commit = on` (the default).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use refund_core::State;
use refund_core::wire::{OrderWire, PolicyWire};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};

use super::outbox;
use super::rows::{
    self, Columns, Dialect, MERCHANT_COLUMNS, REQUEST_COLUMNS, REQUEST_FROM, STAFF_COLUMNS, code,
    to_json,
};
use super::*;

impl Columns for PgRow {
    fn text(&self, column: &str) -> StoreResult<String> {
        Ok(self.try_get(column)?)
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        Ok(self.try_get(column)?)
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        Ok(self.try_get(column)?)
    }
    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        Ok(self.try_get(column)?)
    }
    fn opt_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self.try_get(column)?)
    }
    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>> {
        Ok(self.try_get(column)?)
    }
    fn flag(&self, column: &str) -> StoreResult<bool> {
        Ok(self.try_get(column)?)
    }
}

impl Dialect for Postgres {
    type Time = DateTime<Utc>;
    fn time(at: DateTime<Utc>) -> DateTime<Utc> {
        at
    }
    const NO_DEADLINE: &'static str = "'infinity'::timestamptz";
}

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url`, a `postgres://` URL, and brings the schema up to date.
    pub async fn open(url: &str, max_connections: u32) -> Result<PgStore, sqlx::Error> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .connect_with(options)
            .await?;
        // Instances starting together migrate one at a time: sqlx holds an advisory lock.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// The pool, for the load benchmark's raw-insert baseline.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

static SELECT_ENDPOINTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM webhook_endpoints e WHERE e.merchant_id = $1",
        outbox::ENDPOINT_COLUMNS.replace("{json}", "::text")
    )
});

/// `SELECT` of every request column, `FROM` the request with its order and assignee.
static SELECT_REQUESTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM {REQUEST_FROM}",
        REQUEST_COLUMNS.replace("{json}", "::text")
    )
});

const SNAPSHOT_COLUMNS: &str = "SELECT o.id, o.merchant_id, o.body::text AS body, o.version, \
       o.customer_email, \
       (SELECT MAX(version) FROM policies p WHERE p.merchant_id = o.merchant_id) AS policy_version, \
       (SELECT COUNT(*) FROM requests r WHERE r.merchant_id = o.merchant_id \
          AND r.customer_email = o.customer_email AND r.submitted_at >= $1 \
          AND r.state <> 'cancelled') AS recent";
const SNAPSHOT_FROM: &str = "FROM orders o WHERE o.merchant_id = $2 AND o.number = $3";

async fn merchant_where<'e>(
    on: impl sqlx::Executor<'e, Database = Postgres>,
    column: &str,
    value: &str,
) -> StoreResult<Option<Merchant>> {
    let sql = format!(
        "SELECT {}, allowed_origins::text AS allowed_origins FROM merchants WHERE {column} = $1",
        MERCHANT_COLUMNS.replace(", allowed_origins", "")
    );
    let row = sqlx::query(&sql).bind(value).fetch_optional(on).await?;
    row.as_ref().map(rows::merchant).transpose()
}

async fn fetch_request(
    conn: &mut PgConnection,
    merchant_id: &str,
    id: &str,
    lock: &str,
) -> StoreResult<Option<StoredRequest>> {
    let sql = format!(
        "{} WHERE r.merchant_id = $1 AND r.id = $2 {lock}",
        *SELECT_REQUESTS
    );
    let row = sqlx::query(&sql)
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rows::request).transpose()
}

async fn snapshot(
    conn: &mut PgConnection,
    merchant_id: &str,
    number: &str,
    since: DateTime<Utc>,
) -> StoreResult<Option<OrderSnapshot>> {
    let row = sqlx::query(&format!("{SNAPSHOT_COLUMNS} {SNAPSHOT_FROM}"))
        .bind(since)
        .bind(merchant_id)
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rows::snapshot).transpose()
}

const EVENT_SELECT: &str = "SELECT request_id, actor, action, before_state, after_state, \
     detail::text AS detail, at, by_who::text AS by_who FROM audit";

/// The column of the last message `reader`'s side has read.
fn read_column(reader: Author) -> &'static str {
    match reader {
        Author::Shopper => "shopper_read_seq",
        Author::Merchant => "desk_read_seq",
    }
}

fn state_codes(states: &[State]) -> Vec<&'static str> {
    states.iter().map(|s| s.code()).collect()
}

async fn live_quotes(
    conn: &mut PgConnection,
    order_id: &str,
    states: &[State],
) -> StoreResult<LiveQuotes> {
    // One statement, so the version and the quotes are of the same moment.
    let found = sqlx::query(
        "SELECT o.version, r.quote::text AS quote FROM orders o \
         LEFT JOIN requests r ON r.order_id = o.id AND r.state = ANY($1) \
         WHERE o.id = $2 ORDER BY r.submitted_at, r.id",
    )
    .bind(state_codes(states))
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    rows::live_quotes(&found)
}

async fn policy(
    conn: &mut PgConnection,
    merchant_id: &str,
    version: u32,
) -> StoreResult<Option<PolicyWire>> {
    let body: Option<String> = sqlx::query_scalar(
        "SELECT body::text FROM policies WHERE merchant_id = $1 AND version = $2",
    )
    .bind(merchant_id)
    .bind(i64::from(version))
    .fetch_optional(&mut *conn)
    .await?;
    body.as_deref()
        .map(|b| serde_json::from_str(b).map_err(corrupt))
        .transpose()
}

/// Audit rows as one array per column, for `UNNEST`.
struct AuditColumns {
    actors: Vec<String>,
    actions: Vec<String>,
    befores: Vec<Option<&'static str>>,
    afters: Vec<&'static str>,
    details: Vec<String>,
    ats: Vec<DateTime<Utc>>,
    bys: Vec<Option<String>>,
}

impl AuditColumns {
    fn of(events: &[AuditEvent]) -> StoreResult<AuditColumns> {
        Ok(AuditColumns {
            actors: events
                .iter()
                .map(|e| code(&e.actor))
                .collect::<StoreResult<_>>()?,
            actions: events.iter().map(|e| e.action.clone()).collect(),
            befores: events.iter().map(|e| e.before.map(|s| s.code())).collect(),
            afters: events.iter().map(|e| e.after.code()).collect(),
            details: events
                .iter()
                .map(|e| to_json(&e.detail))
                .collect::<StoreResult<_>>()?,
            ats: events.iter().map(|e| e.at).collect(),
            bys: events
                .iter()
                .map(|e| e.by.as_ref().map(to_json).transpose())
                .collect::<StoreResult<_>>()?,
        })
    }
}

#[async_trait]
impl Store for PgStore {
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        Ok(Box::new(PgTx {
            tx: self.pool.begin().await?,
            seq: None,
        }))
    }

    async fn create_merchant(&self, new: NewMerchant, at: DateTime<Utc>) -> StoreResult<()> {
        let m = &new.merchant;
        sqlx::query(
            "INSERT INTO merchants (id, name, publishable_key, secret_key_hash, signing_secret, allowed_origins, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)",
        )
        .bind(&m.id)
        .bind(&m.name)
        .bind(&m.publishable_key)
        .bind(&new.secret_key_hash)
        .bind(&m.signing_secret)
        .bind(to_json(&m.allowed_origins)?)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn merchant_by_secret_hash(&self, hash: &str) -> StoreResult<Option<Merchant>> {
        merchant_where(&self.pool, "secret_key_hash", hash).await
    }

    async fn merchant_by_publishable_key(&self, key: &str) -> StoreResult<Option<Merchant>> {
        merchant_where(&self.pool, "publishable_key", key).await
    }

    async fn merchant_by_name(&self, name: &str) -> StoreResult<Option<Merchant>> {
        merchant_where(&self.pool, "name", name).await
    }

    async fn merchant_by_id(&self, id: &str) -> StoreResult<Option<Merchant>> {
        merchant_where(&self.pool, "id", id).await
    }

    async fn current_policy(&self, merchant_id: &str) -> StoreResult<Option<(u32, PolicyWire)>> {
        let row = sqlx::query(
            "SELECT version, body::text AS body FROM policies WHERE merchant_id = $1 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(merchant_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((row.small("version")?, row.json("body")?)))
            .transpose()
    }

    async fn policy(&self, merchant_id: &str, version: u32) -> StoreResult<Option<PolicyWire>> {
        let mut conn = self.pool.acquire().await?;
        policy(&mut conn, merchant_id, version).await
    }

    async fn order(&self, merchant_id: &str, number: &str) -> StoreResult<Option<StoredOrder>> {
        let row = sqlx::query(
            "SELECT id, merchant_id, body::text AS body, version FROM orders \
             WHERE merchant_id = $1 AND number = $2",
        )
        .bind(merchant_id)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::order).transpose()
    }

    async fn order_snapshot(
        &self,
        merchant_id: &str,
        number: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<OrderSnapshot>> {
        let mut conn = self.pool.acquire().await?;
        snapshot(&mut conn, merchant_id, number, since).await
    }

    async fn order_email(&self, merchant_id: &str, number: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT customer_email FROM orders WHERE merchant_id = $1 AND number = $2",
        )
        .bind(merchant_id)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn live_quotes(&self, order_id: &str, states: &[State]) -> StoreResult<LiveQuotes> {
        let mut conn = self.pool.acquire().await?;
        live_quotes(&mut conn, order_id, states).await
    }

    async fn request(&self, merchant_id: &str, id: &str) -> StoreResult<Option<StoredRequest>> {
        let mut conn = self.pool.acquire().await?;
        fetch_request(&mut conn, merchant_id, id, "").await
    }

    async fn requests_for_order(&self, order_id: &str) -> StoreResult<Vec<StoredRequest>> {
        let sql = format!(
            "{} WHERE r.order_id = $1 ORDER BY r.submitted_at, r.id",
            *SELECT_REQUESTS
        );
        let found = sqlx::query(&sql)
            .bind(order_id)
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::request).collect()
    }

    async fn list_requests(
        &self,
        merchant_id: &str,
        filter: &RequestFilter,
        page: &Page,
    ) -> StoreResult<Vec<StoredRequest>> {
        let mut sql =
            QueryBuilder::<Postgres>::new(format!("{} WHERE r.merchant_id = ", *SELECT_REQUESTS));
        sql.push_bind(merchant_id.to_owned());
        rows::push_filter(&mut sql, filter);
        rows::push_page(&mut sql, page);
        let found = sql.build().fetch_all(&self.pool).await?;
        found.iter().map(rows::request).collect()
    }

    async fn queue_counts(
        &self,
        merchant_id: &str,
        filter: &RequestFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<QueueGroup>> {
        let mut sql = QueryBuilder::<Postgres>::new(
            "SELECT r.state, r.kind, COUNT(*) AS requests, COUNT(*) FILTER (WHERE r.deadline_at <= ",
        );
        sql.push_bind(now)
            .push(") AS overdue FROM requests r JOIN orders o ON o.id = r.order_id WHERE r.merchant_id = ")
            .push_bind(merchant_id.to_owned());
        rows::push_filter(&mut sql, filter);
        sql.push(" GROUP BY r.state, r.kind");
        let found = sql.build().fetch_all(&self.pool).await?;
        found.iter().map(rows::queue_group).collect()
    }

    async fn events(&self, request_id: &str) -> StoreResult<Vec<AuditEvent>> {
        let found = sqlx::query(&format!(
            "{EVENT_SELECT} WHERE request_id = $1 ORDER BY seq"
        ))
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::event).collect()
    }

    async fn events_of(&self, request_ids: &[String]) -> StoreResult<Vec<(String, AuditEvent)>> {
        let found = sqlx::query(&format!(
            "{EVENT_SELECT} WHERE request_id = ANY($1) ORDER BY seq"
        ))
        .bind(request_ids)
        .fetch_all(&self.pool)
        .await?;
        found
            .iter()
            .map(|row| Ok((row.text("request_id")?, rows::event(row)?)))
            .collect()
    }

    async fn messages(&self, request_id: &str) -> StoreResult<Vec<MessageRow>> {
        let found = sqlx::query(
            "SELECT id, author, by_who::text AS by_who, body, photos::text AS photos, \
             asks_for_photos, at FROM messages WHERE request_id = $1 ORDER BY seq",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::message).collect()
    }

    async fn mark_read(&self, request_id: &str, reader: Author) -> StoreResult<()> {
        let column = read_column(reader);
        sqlx::query(&format!(
            "UPDATE requests SET {column} = \
             (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE request_id = $1) WHERE id = $1"
        ))
        .bind(request_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn staff_by_email(&self, email: &str) -> StoreResult<Option<StaffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::staff).transpose()
    }

    async fn staff(&self, merchant_id: &str, id: &str) -> StoreResult<Option<StaffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::staff).transpose()
    }

    async fn list_staff(&self, merchant_id: &str) -> StoreResult<Vec<StaffRow>> {
        let found = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE merchant_id = $1 ORDER BY created_at, id"
        ))
        .bind(merchant_id)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::staff).collect()
    }

    async fn staff_by_setup(
        &self,
        setup_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<StaffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE setup_hash = $1 AND setup_expires_at > $2"
        ))
        .bind(setup_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::staff).transpose()
    }

    async fn insert_session(
        &self,
        token_hash: &str,
        staff_id: &str,
        csrf_token: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO desk_sessions (token_hash, staff_id, csrf_token, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(token_hash)
        .bind(staff_id)
        .bind(csrf_token)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<DeskSessionRow>> {
        let sql = format!(
            "SELECT d.csrf_token, d.created_at AS session_created_at, d.last_seen_at, {} \
             FROM desk_sessions d JOIN staff s ON s.id = d.staff_id WHERE d.token_hash = $1",
            rows::prefixed("s", STAFF_COLUMNS)
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::desk_session).transpose()
    }

    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE desk_sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM desk_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_stale_sessions(
        &self,
        idle_before: DateTime<Utc>,
        opened_before: DateTime<Utc>,
    ) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM desk_sessions WHERE last_seen_at < $1 OR created_at < $2")
                .bind(idle_before)
                .bind(opened_before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn set_auto_assign(&self, merchant_id: &str, on: bool) -> StoreResult<()> {
        sqlx::query("UPDATE merchants SET auto_assign = $2 WHERE id = $1")
            .bind(merchant_id)
            .bind(on)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn auto_assign(&self, merchant_id: &str) -> StoreResult<bool> {
        let on: Option<bool> =
            sqlx::query_scalar("SELECT auto_assign FROM merchants WHERE id = $1")
                .bind(merchant_id)
                .fetch_optional(&self.pool)
                .await?;
        on.ok_or(StoreError::NotFound("merchant"))
    }

    async fn desk_items(
        &self,
        list: DeskList,
        merchant_id: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        let found = sqlx::query(&format!(
            "SELECT id, body::text AS body FROM {} WHERE merchant_id = $1 ORDER BY created_at, id",
            list.table()
        ))
        .bind(merchant_id)
        .fetch_all(&self.pool)
        .await?;
        found
            .iter()
            .map(|row| Ok((row.text("id")?, row.text("body")?)))
            .collect()
    }

    async fn desk_item(
        &self,
        list: DeskList,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT body::text FROM {} WHERE merchant_id = $1 AND id = $2",
            list.table()
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn insert_desk_item(
        &self,
        list: DeskList,
        merchant_id: &str,
        id: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO {} (id, merchant_id, body, created_at) VALUES ($1, $2, $3::jsonb, $4)",
            list.table()
        ))
        .bind(id)
        .bind(merchant_id)
        .bind(body)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn update_desk_item(
        &self,
        list: DeskList,
        merchant_id: &str,
        id: &str,
        body: &str,
    ) -> StoreResult<bool> {
        let updated = sqlx::query(&format!(
            "UPDATE {} SET body = $3::jsonb WHERE merchant_id = $1 AND id = $2",
            list.table()
        ))
        .bind(merchant_id)
        .bind(id)
        .bind(body)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn delete_desk_item(
        &self,
        list: DeskList,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<bool> {
        let deleted = sqlx::query(&format!(
            "DELETE FROM {} WHERE merchant_id = $1 AND id = $2",
            list.table()
        ))
        .bind(merchant_id)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(deleted == 1)
    }

    async fn stats(
        &self,
        merchant_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        live: &[State],
    ) -> StoreResult<Vec<StatsGroup>> {
        // Amounts are summed in minor units: every amount is written at its currency's
        // precision, so dropping the point gives them ("99.00" is 9900 fen).
        let found = sqlx::query(
            "SELECT r.reason AS reason, NULL AS sku, r.currency AS currency, COUNT(*) AS requests, \
               COALESCE(SUM((SELECT SUM((l->>'quantity')::bigint) \
                 FROM jsonb_array_elements(r.quote->'lines') l)), 0)::bigint AS units, \
               COUNT(*) FILTER (WHERE r.state = ANY($1)) AS live, \
               COALESCE(SUM(CASE WHEN r.state = ANY($1) THEN r.total_minor ELSE 0 END), 0)::bigint \
                 AS amount_minor \
             FROM requests r WHERE r.merchant_id = $2 AND r.submitted_at >= $3 AND r.submitted_at < $4 \
             GROUP BY r.reason, r.currency \
             UNION ALL \
             SELECT NULL, COALESCE((SELECT ol->>'sku' FROM jsonb_array_elements(o.body->'lines') ol \
                 WHERE ol->>'id' = l->>'line_id'), ''), \
               r.currency, COUNT(*), COALESCE(SUM((l->>'quantity')::bigint), 0)::bigint, \
               COUNT(*) FILTER (WHERE r.state = ANY($1)), \
               COALESCE(SUM(CASE WHEN r.state = ANY($1) THEN \
                 (SELECT COALESCE(SUM(REPLACE(c->>'amount', '.', '')::bigint), 0) \
                  FROM jsonb_array_elements(r.quote->'components') c \
                  WHERE c->>'code' = 'item' AND c->>'line_id' = l->>'line_id') \
                 ELSE 0 END), 0)::bigint \
             FROM requests r JOIN orders o ON o.id = r.order_id, jsonb_array_elements(r.quote->'lines') l \
             WHERE r.merchant_id = $2 AND r.submitted_at >= $3 AND r.submitted_at < $4 \
             GROUP BY 2, r.currency",
        )
        .bind(state_codes(live))
        .bind(merchant_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::stats_group).collect()
    }

    async fn evidence(&self, merchant_id: &str, id: &str) -> StoreResult<Option<Evidence>> {
        let row = sqlx::query(
            "SELECT id, merchant_id, order_id, content_type, bytes FROM evidence \
             WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::evidence).transpose()
    }

    async fn delete_free_evidence(
        &self,
        merchant_id: &str,
        order_id: &str,
        id: &str,
    ) -> StoreResult<bool> {
        let deleted = sqlx::query(
            "DELETE FROM evidence WHERE merchant_id = $1 AND order_id = $2 AND id = $3 AND request_id IS NULL",
        )
        .bind(merchant_id)
        .bind(order_id)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(deleted == 1)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn events_after(
        &self,
        merchant_id: &str,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, String)>> {
        // Sequence values are taken before commit: an event is only read once every
        // transaction that could still commit a smaller seq has ended.
        let found = sqlx::query(
            "SELECT seq, body::text AS body FROM events \
             WHERE merchant_id = $1 AND seq > $2 AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY seq LIMIT $3",
        )
        .bind(merchant_id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        found
            .iter()
            .map(|row| Ok((row.int("seq")?, row.text("body")?)))
            .collect()
    }

    async fn endpoints(&self, merchant_id: &str) -> StoreResult<Vec<EndpointRow>> {
        let found = sqlx::query(&format!(
            "{} ORDER BY e.created_at, e.id",
            *SELECT_ENDPOINTS
        ))
        .bind(merchant_id)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(outbox::endpoint).collect()
    }

    async fn endpoint(&self, merchant_id: &str, id: &str) -> StoreResult<Option<EndpointRow>> {
        let found = sqlx::query(&format!("{} AND e.id = $2", *SELECT_ENDPOINTS))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found.as_ref().map(outbox::endpoint).transpose()
    }

    async fn deliveries(&self, endpoint_id: &str, limit: u32) -> StoreResult<Vec<DeliveryRow>> {
        let sql = outbox::DELIVERY_LOG
            .replace("{endpoint}", "$1")
            .replace("{limit}", "$2");
        let found = sqlx::query(&sql)
            .bind(endpoint_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        outbox::delivery_log(&found)
    }
}

async fn insert_event(
    conn: &mut PgConnection,
    request_id: &str,
    event: &AuditEvent,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit (request_id, actor, action, before_state, after_state, detail, at, by_who) \
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb)",
    )
    .bind(request_id)
    .bind(code(&event.actor)?)
    .bind(&event.action)
    .bind(event.before.map(|s| s.code()))
    .bind(event.after.code())
    .bind(to_json(&event.detail)?)
    .bind(event.at)
    .bind(event.by.as_ref().map(to_json).transpose()?)
    .execute(conn)
    .await?;
    Ok(())
}

pub struct PgTx {
    tx: sqlx::Transaction<'static, Postgres>,
    /// A request number taken with the order's lock.
    seq: Option<i64>,
}

#[async_trait]
impl Tx for PgTx {
    async fn claim_key(&mut self, merchant_id: &str, key: &str) -> StoreResult<Option<KeyRecord>> {
        // Inserting the key takes it; a concurrent transaction that inserted it first makes this
        // statement wait for its end, and then do nothing if it committed.
        let taken = sqlx::query(
            "INSERT INTO idempotency (merchant_id, key, body_hash, created_at) \
             VALUES ($1, $2, '', now()) ON CONFLICT DO NOTHING",
        )
        .bind(merchant_id)
        .bind(key)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if taken == 1 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT body_hash, status, response FROM idempotency WHERE merchant_id = $1 AND key = $2",
        )
        .bind(merchant_id)
        .bind(key)
        .fetch_one(&mut *self.tx)
        .await?;
        rows::key_record(&row).map(Some)
    }

    async fn lock_order(
        &mut self,
        merchant_id: &str,
        number: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<OrderSnapshot>> {
        // The row lock, the snapshot and the next request number in one round trip. After
        // waiting for the lock, the order's own columns are its latest committed version; the
        // policy version and the recent-request count are as of the statement's start (a
        // policy published or a request of the same customer recorded while it waited counts
        // from the next submission on). The number is taken whether or not it is used: numbers
        // have gaps.
        let sql = format!(
            "{SNAPSHOT_COLUMNS}, nextval('request_numbers') AS seq {SNAPSHOT_FROM} FOR UPDATE OF o"
        );
        let row = sqlx::query(&sql)
            .bind(since)
            .bind(merchant_id)
            .bind(number)
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        self.seq = Some(row.try_get("seq")?);
        rows::snapshot(&row).map(Some)
    }

    async fn lock_order_id(&mut self, order_id: &str) -> StoreResult<bool> {
        let locked: Option<String> =
            sqlx::query_scalar("SELECT id FROM orders WHERE id = $1 FOR UPDATE")
                .bind(order_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        Ok(locked.is_some())
    }

    async fn order_has_requests(&mut self, order_id: &str) -> StoreResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM requests WHERE order_id = $1)")
                .bind(order_id)
                .fetch_one(&mut *self.tx)
                .await?,
        )
    }

    async fn insert_order(
        &mut self,
        merchant_id: &str,
        id: &str,
        order: &OrderWire,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO orders (id, merchant_id, number, customer_email, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6)",
        )
        .bind(id)
        .bind(merchant_id)
        .bind(&order.number)
        .bind(order.customer_email.trim().to_lowercase())
        .bind(to_json(order)?)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn update_order(
        &mut self,
        order_id: &str,
        order: &OrderWire,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE orders SET body = $2::jsonb, customer_email = $3, updated_at = $4, \
             version = version + 1 WHERE id = $1",
        )
        .bind(order_id)
        .bind(to_json(order)?)
        .bind(order.customer_email.trim().to_lowercase())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn live_quotes(&mut self, order_id: &str, states: &[State]) -> StoreResult<LiveQuotes> {
        live_quotes(&mut self.tx, order_id, states).await
    }

    async fn policy(&mut self, merchant_id: &str, version: u32) -> StoreResult<Option<PolicyWire>> {
        policy(&mut self.tx, merchant_id, version).await
    }

    async fn insert_policy(
        &mut self,
        merchant_id: &str,
        policy: &PolicyWire,
        at: DateTime<Utc>,
    ) -> StoreResult<u32> {
        // Two instances computing the same next version collide on the primary key: the loser
        // gets a conflict and the service runs it again.
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO policies (merchant_id, version, body, created_at) \
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2::jsonb, $3 FROM policies WHERE merchant_id = $1 \
             RETURNING version",
        )
        .bind(merchant_id)
        .bind(to_json(policy)?)
        .bind(at)
        .fetch_one(&mut *self.tx)
        .await?;
        u32::try_from(version).map_err(corrupt)
    }

    async fn free_evidence(&mut self, order_id: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM evidence WHERE order_id = $1 AND request_id IS NULL ORDER BY created_at, id",
        )
        .bind(order_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    async fn add_evidence(
        &mut self,
        evidence: &Evidence,
        max_per_order: u32,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let added = sqlx::query(
            "INSERT INTO evidence (id, merchant_id, order_id, content_type, bytes, created_at) \
             SELECT $1, $2, $3, $4, $5, $6 \
             WHERE (SELECT COUNT(*) FROM evidence WHERE order_id = $3) < $7",
        )
        .bind(&evidence.id)
        .bind(&evidence.merchant_id)
        .bind(&evidence.order_id)
        .bind(&evidence.content_type)
        .bind(&evidence.bytes)
        .bind(at)
        .bind(i64::from(max_per_order))
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(added == 1)
    }

    async fn next_request_seq(&mut self, _merchant_id: &str) -> StoreResult<u64> {
        let seq = match self.seq.take() {
            Some(seq) => seq,
            None => {
                sqlx::query_scalar("SELECT nextval('request_numbers')")
                    .fetch_one(&mut *self.tx)
                    .await?
            }
        };
        u64::try_from(seq).map_err(corrupt)
    }

    async fn record_submission(&mut self, submission: &Submission<'_>) -> StoreResult<i64> {
        let Submission {
            request,
            events,
            assignee,
            key,
            body_hash,
            answer,
            at,
        } = *submission;
        let p = &request.progress;
        let deadline_kind = p.deadline.map(|(kind, _)| code(&kind)).transpose()?;
        let audit = AuditColumns::of(events)?;
        // One statement, one round trip: the request, its audit trail, its evidence, the answer
        // under its key, and the order's new version. Foreign keys are checked at its end.
        let row = sqlx::query(
            "WITH request AS ( \
               INSERT INTO requests (id, merchant_id, order_id, number, customer_email, kind, reason, body, \
                 quote, total_minor, currency, policy_version, evidence, state, submitted_at, last_event_at, \
                 approved_at, shipped_back_at, deadline_kind, deadline_at, assignee, lang) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13::jsonb, $14, $15, \
                 $16, $17, $18, $19, $20, $33, $35)), \
             events AS ( \
               INSERT INTO audit (request_id, actor, action, before_state, after_state, detail, at, by_who) \
               SELECT $1, * FROM UNNEST($21::text[], $22::text[], $23::text[], $24::text[], \
                 $25::text[]::jsonb[], $26::timestamptz[], $34::text[]::jsonb[])), \
             attached AS ( \
               UPDATE evidence SET request_id = $1 \
               WHERE order_id = $3 AND request_id IS NULL AND id = ANY($27) RETURNING id), \
             answer AS ( \
               UPDATE idempotency SET body_hash = $28, status = $29, response = $30, created_at = $31 \
               WHERE merchant_id = $2 AND key = $32) \
             UPDATE orders SET version = version + 1 WHERE id = $3 \
             RETURNING version, (SELECT COUNT(*) FROM attached) AS attached",
        )
        .bind(&request.id)
        .bind(&request.merchant_id)
        .bind(&request.order_id)
        .bind(&request.number)
        .bind(&request.customer_email)
        .bind(request.kind.code())
        .bind(request.reason.code())
        .bind(to_json(&request.body)?)
        .bind(to_json(&request.quote)?)
        .bind(i64::try_from(request.quote.total.0.mantissa()).map_err(corrupt)?)
        .bind(request.quote.currency.code())
        .bind(i64::from(request.policy_version))
        .bind(to_json(&request.evidence)?)
        .bind(p.state.code())
        .bind(p.submitted_at)
        .bind(p.last_event_at)
        .bind(p.approved_at)
        .bind(p.shipped_back_at)
        .bind(deadline_kind)
        .bind(p.deadline.map(|(_, at)| at))
        .bind(audit.actors)
        .bind(audit.actions)
        .bind(audit.befores)
        .bind(audit.afters)
        .bind(audit.details)
        .bind(audit.ats)
        .bind(&request.evidence)
        .bind(body_hash)
        .bind(i64::from(answer.status))
        .bind(&answer.body)
        .bind(at)
        .bind(key)
        .bind(assignee)
        .bind(audit.bys)
        .bind(request.lang.tag())
        .fetch_optional(&mut *self.tx)
        .await?
        .ok_or(StoreError::NotFound("order"))?;
        if row.try_get::<i64, _>("attached")? != request.evidence.len() as i64 {
            return Err(StoreError::Conflict(
                "evidence is no longer free to attach".to_owned(),
            ));
        }
        Ok(row.try_get("version")?)
    }

    async fn record_transition(
        &mut self,
        request: &StoredRequest,
        progress: &Progress,
        event: &AuditEvent,
    ) -> StoreResult<i64> {
        let deadline_kind = progress.deadline.map(|(kind, _)| code(&kind)).transpose()?;
        Ok(sqlx::query_scalar(
            "WITH progress AS ( \
               UPDATE requests SET state = $2, last_event_at = $3, approved_at = $4, shipped_back_at = $5, \
                 deadline_kind = $6, deadline_at = $7, carrier = $8, tracking_number = $9, reject_reason = $10, \
                 reject_text = $19::jsonb, return_to = $20::jsonb, payout = $21::jsonb \
               WHERE id = $1), \
             event AS ( \
               INSERT INTO audit (request_id, actor, action, before_state, after_state, detail, at, by_who) \
               VALUES ($1, $11, $12, $13, $14, $15::jsonb, $16, $18::jsonb)) \
             UPDATE orders SET version = version + 1 WHERE id = $17 RETURNING version",
        )
        .bind(&request.id)
        .bind(progress.state.code())
        .bind(progress.last_event_at)
        .bind(progress.approved_at)
        .bind(progress.shipped_back_at)
        .bind(deadline_kind)
        .bind(progress.deadline.map(|(_, at)| at))
        .bind(&progress.carrier)
        .bind(&progress.tracking_number)
        .bind(&progress.reject_reason)
        .bind(code(&event.actor)?)
        .bind(&event.action)
        .bind(event.before.map(|s| s.code()))
        .bind(event.after.code())
        .bind(to_json(&event.detail)?)
        .bind(event.at)
        .bind(&request.order_id)
        .bind(event.by.as_ref().map(to_json).transpose()?)
        .bind(progress.reject_text.as_ref().map(to_json).transpose()?)
        .bind(progress.return_to.as_ref().map(to_json).transpose()?)
        .bind(progress.payout.as_ref().map(to_json).transpose()?)
        .fetch_optional(&mut *self.tx)
        .await?
        .ok_or(StoreError::NotFound("order"))?)
    }

    async fn lock_request(
        &mut self,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<Option<StoredRequest>> {
        fetch_request(&mut self.tx, merchant_id, id, "FOR UPDATE OF r").await
    }

    async fn lock_due(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRequest>> {
        // A payout deadline moves nothing when it passes: the sweep leaves it alone.
        let sql = format!(
            "{} WHERE r.deadline_at <= $1 AND r.deadline_kind <> 'payout' \
             ORDER BY r.deadline_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
            *SELECT_REQUESTS
        );
        let found = sqlx::query(&sql)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await?;
        let mut due = found
            .iter()
            .map(rows::request)
            .collect::<StoreResult<Vec<_>>>()?;
        due.sort_by(|a, b| a.order_id.cmp(&b.order_id));
        Ok(due)
    }

    async fn assign(
        &mut self,
        request: &StoredRequest,
        staff_id: Option<&str>,
        event: &AuditEvent,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE requests SET assignee = $2 WHERE id = $1")
            .bind(&request.id)
            .bind(staff_id)
            .execute(&mut *self.tx)
            .await?;
        insert_event(&mut self.tx, &request.id, event).await
    }

    async fn next_assignee(
        &mut self,
        merchant_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StaffBrief>> {
        // The agent's row is locked so two instances hand out in turn; one already taken by a
        // concurrent submission is skipped rather than waited for.
        let row = sqlx::query(
            "UPDATE staff SET last_assigned_at = $1 WHERE id = ( \
               SELECT s.id FROM staff s JOIN merchants m ON m.id = s.merchant_id \
               WHERE s.merchant_id = $2 AND m.auto_assign AND s.active AND s.role = 'agent' \
               ORDER BY s.last_assigned_at NULLS FIRST, s.created_at, s.id LIMIT 1 \
               FOR UPDATE OF s SKIP LOCKED) \
             RETURNING id, name",
        )
        .bind(at)
        .bind(merchant_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|row| {
            Ok(StaffBrief {
                id: row.text("id")?,
                name: row.text("name")?,
            })
        })
        .transpose()
    }

    async fn insert_message(
        &mut self,
        request: &StoredRequest,
        message: &MessageRow,
        event: &AuditEvent,
    ) -> StoreResult<()> {
        let column = read_column(message.author);
        let attached: i64 = sqlx::query_scalar(&format!(
            "WITH message AS ( \
               INSERT INTO messages (id, request_id, author, by_who, body, photos, asks_for_photos, at) \
               VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7, $8) RETURNING seq), \
             attached AS ( \
               UPDATE evidence SET request_id = $2 \
               WHERE order_id = $9 AND request_id IS NULL AND id = ANY($10) RETURNING id), \
             read AS ( \
               UPDATE requests SET {column} = (SELECT seq FROM message) WHERE id = $2) \
             SELECT COUNT(*) FROM attached"
        ))
        .bind(&message.id)
        .bind(&request.id)
        .bind(code(&message.author)?)
        .bind(message.by.as_ref().map(to_json).transpose()?)
        .bind(&message.body)
        .bind(to_json(&message.photos)?)
        .bind(message.asks_for_photos)
        .bind(message.at)
        .bind(&request.order_id)
        .bind(&message.photos)
        .fetch_one(&mut *self.tx)
        .await?;
        if attached != message.photos.len() as i64 {
            return Err(StoreError::Conflict(
                "evidence is no longer free to attach".to_owned(),
            ));
        }
        insert_event(&mut self.tx, &request.id, event).await
    }

    async fn lock_staff(&mut self, merchant_id: &str, id: &str) -> StoreResult<Option<StaffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM merchants m JOIN staff s ON s.merchant_id = m.id \
             WHERE m.id = $1 AND s.id = $2 FOR UPDATE OF m",
            rows::prefixed("s", STAFF_COLUMNS)
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(rows::staff).transpose()
    }

    async fn insert_staff(&mut self, staff: &StaffRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO staff (id, merchant_id, email, name, role, active, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&staff.id)
        .bind(&staff.merchant_id)
        .bind(&staff.email)
        .bind(&staff.name)
        .bind(staff.role.code())
        .bind(staff.active)
        .bind(&staff.password_hash)
        .bind(staff.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn update_staff(&mut self, staff: &StaffRow) -> StoreResult<()> {
        sqlx::query("UPDATE staff SET name = $2, role = $3, active = $4 WHERE id = $1")
            .bind(&staff.id)
            .bind(&staff.name)
            .bind(staff.role.code())
            .bind(staff.active)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn active_owners(&mut self, merchant_id: &str) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff WHERE merchant_id = $1 AND role = 'owner' AND active",
        )
        .bind(merchant_id)
        .fetch_one(&mut *self.tx)
        .await?;
        u32::try_from(n).map_err(corrupt)
    }

    async fn set_setup(
        &mut self,
        staff_id: &str,
        setup_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE staff SET setup_hash = $2, setup_expires_at = $3 WHERE id = $1")
            .bind(staff_id)
            .bind(setup_hash)
            .bind(expires_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn set_password(&mut self, staff_id: &str, password_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE staff SET password_hash = $2, setup_hash = NULL, setup_expires_at = NULL WHERE id = $1",
        )
        .bind(staff_id)
        .bind(password_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn delete_sessions_of(&mut self, staff_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM desk_sessions WHERE staff_id = $1")
            .bind(staff_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn tx_merchant(&mut self, id: &str) -> StoreResult<Option<Merchant>> {
        merchant_where(&mut *self.tx, "id", id).await
    }

    async fn tx_endpoints(&mut self, merchant_id: &str) -> StoreResult<Vec<EndpointRow>> {
        let found = sqlx::query(&SELECT_ENDPOINTS)
            .bind(merchant_id)
            .fetch_all(&mut *self.tx)
            .await?;
        found.iter().map(outbox::endpoint).collect()
    }

    async fn insert_event(&mut self, event: &NewEvent<'_>) -> StoreResult<i64> {
        let seq: i64 = sqlx::query_scalar(
            "WITH event AS ( \
               INSERT INTO events (id, merchant_id, request_id, type, body, created_at) \
               VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING seq), \
             delivery AS ( \
               INSERT INTO deliveries (endpoint_id, event_seq, request_id, state, attempts, next_at) \
               SELECT endpoint, (SELECT seq FROM event), $3, 'pending', 0, $6 FROM UNNEST($7::text[]) AS endpoint) \
             SELECT seq FROM event",
        )
        .bind(event.id)
        .bind(event.merchant_id)
        .bind(event.request_id)
        .bind(event.kind.code())
        .bind(event.body)
        .bind(event.at)
        .bind(event.endpoints)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(seq)
    }

    async fn insert_email(&mut self, email: &NewEmail<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO emails (merchant_id, event_seq, to_addr, subject, text_body, html_body, \
             state, attempts, next_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7)",
        )
        .bind(email.merchant_id)
        .bind(email.event_seq)
        .bind(email.to)
        .bind(email.subject)
        .bind(email.text)
        .bind(email.html)
        .bind(email.at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn claim_deliveries(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        // A delivery another dispatcher holds is skipped, not waited for; one whose earlier
        // sibling (same endpoint and request) is still pending waits its turn.
        let found = sqlx::query(&format!(
            "WITH due AS ( \
               SELECT d.seq FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
               WHERE d.state = 'pending' AND d.next_at <= $1 \
                 AND (d.lease_until IS NULL OR d.lease_until <= $1) AND e.enabled \
                 AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = d.endpoint_id \
                   AND p.request_id = d.request_id AND p.state = 'pending' AND p.event_seq < d.event_seq) \
               ORDER BY d.event_seq LIMIT $3 FOR UPDATE OF d SKIP LOCKED), \
             claimed AS ( \
               UPDATE deliveries d SET lease_until = $2 FROM due WHERE d.seq = due.seq \
               RETURNING d.seq, d.attempts, d.event_seq, d.endpoint_id) \
             SELECT c.seq AS delivery_seq, c.attempts, ev.id AS event_id, ev.body::text AS event_body, {} \
             FROM claimed c JOIN events ev ON ev.seq = c.event_seq \
             JOIN webhook_endpoints e ON e.id = c.endpoint_id ORDER BY c.event_seq",
            outbox::ENDPOINT_COLUMNS.replace("{json}", "::text")
        ))
        .bind(now)
        .bind(lease_until)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await?;
        found.iter().map(outbox::due_delivery).collect()
    }

    async fn finish_delivery(
        &mut self,
        seq: i64,
        attempt: &AttemptRow,
        next: DeliveryNext,
    ) -> StoreResult<()> {
        let next_at = match next {
            DeliveryNext::Retry(at) => at,
            DeliveryNext::Delivered | DeliveryNext::Failed => attempt.at,
        };
        sqlx::query(
            "WITH attempt AS ( \
               INSERT INTO delivery_attempts (delivery_seq, at, status, latency_ms, excerpt, error) \
               VALUES ($1, $2, $3, $4, $5, $6)) \
             UPDATE deliveries SET attempts = attempts + 1, state = $7, next_at = $8, \
               lease_until = NULL WHERE seq = $1",
        )
        .bind(seq)
        .bind(attempt.at)
        .bind(attempt.status.map(i64::from))
        .bind(i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX))
        .bind(&attempt.excerpt)
        .bind(&attempt.error)
        .bind(outbox::delivery_state(next))
        .bind(next_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn save_endpoint(&mut self, endpoint: &EndpointRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, types, enabled, disabled_reason, \
               secret, old_secret, old_secret_until, failing_since, created_at) \
             VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (id) DO UPDATE SET url = excluded.url, types = excluded.types, \
               enabled = excluded.enabled, disabled_reason = excluded.disabled_reason, \
               secret = excluded.secret, old_secret = excluded.old_secret, \
               old_secret_until = excluded.old_secret_until, failing_since = excluded.failing_since",
        )
        .bind(&endpoint.id)
        .bind(&endpoint.merchant_id)
        .bind(&endpoint.url)
        .bind(to_json(&endpoint.types)?)
        .bind(endpoint.enabled)
        .bind(endpoint.disabled_reason.as_ref().map(code).transpose()?)
        .bind(&endpoint.secret)
        .bind(endpoint.old_secret.as_ref().map(|(s, _)| s.as_str()))
        .bind(endpoint.old_secret.as_ref().map(|(_, until)| *until))
        .bind(endpoint.failing_since)
        .bind(endpoint.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn lock_endpoint(
        &mut self,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<Option<EndpointRow>> {
        let found = sqlx::query(&format!("{} AND e.id = $2 FOR UPDATE", *SELECT_ENDPOINTS))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        found.as_ref().map(outbox::endpoint).transpose()
    }

    async fn delete_endpoint(&mut self, merchant_id: &str, id: &str) -> StoreResult<bool> {
        let deleted: i64 = sqlx::query_scalar(
            "WITH attempts AS ( \
               DELETE FROM delivery_attempts WHERE delivery_seq IN (SELECT d.seq FROM deliveries d \
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.merchant_id = $1 AND e.id = $2)), \
             deliveries AS ( \
               DELETE FROM deliveries WHERE endpoint_id IN \
                 (SELECT id FROM webhook_endpoints WHERE merchant_id = $1 AND id = $2)), \
             endpoint AS ( \
               DELETE FROM webhook_endpoints WHERE merchant_id = $1 AND id = $2 RETURNING id) \
             SELECT COUNT(*) FROM endpoint",
        )
        .bind(merchant_id)
        .bind(id)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(deleted == 1)
    }

    async fn redeliver(
        &mut self,
        merchant_id: &str,
        endpoint_id: &str,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let changed = sqlx::query(
            "INSERT INTO deliveries (endpoint_id, event_seq, request_id, state, attempts, next_at) \
             SELECT $1, seq, request_id, 'pending', 0, $2 FROM events WHERE merchant_id = $3 AND id = $4 \
             ON CONFLICT (endpoint_id, event_seq) DO UPDATE SET state = 'pending', \
               next_at = excluded.next_at, lease_until = NULL",
        )
        .bind(endpoint_id)
        .bind(now)
        .bind(merchant_id)
        .bind(event_id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(changed > 0)
    }

    async fn claim_emails(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueEmail>> {
        let found = sqlx::query(
            "WITH due AS ( \
               SELECT seq FROM emails WHERE state = 'pending' AND next_at <= $1 \
                 AND (lease_until IS NULL OR lease_until <= $1) \
               ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE emails m SET lease_until = $2 FROM due WHERE m.seq = due.seq \
             RETURNING m.seq, m.attempts, m.to_addr, m.subject, m.text_body, m.html_body",
        )
        .bind(now)
        .bind(lease_until)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await?;
        found.iter().map(outbox::due_email).collect()
    }

    async fn finish_email(&mut self, seq: i64, next: &EmailNext) -> StoreResult<()> {
        let (state, next_at, error) = outbox::email_state(next);
        sqlx::query(
            "UPDATE emails SET state = $1, attempts = attempts + 1, next_at = COALESCE($2, next_at), \
             last_error = COALESCE($3, last_error), lease_until = NULL WHERE seq = $4",
        )
        .bind(state)
        .bind(next_at)
        .bind(error)
        .bind(seq)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
