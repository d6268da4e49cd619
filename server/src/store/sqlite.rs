//! The SQLite store: one file in the data directory, WAL journal, `synchronous = FULL` so an
//! acknowledged write survives a crash.
//!
//! **One writer, group commit.** SQLite has one write lock. Write transactions here run one at a
//! time, in turn, on one connection inside a `BEGIN IMMEDIATE` transaction; each runs in a
//! savepoint of it, so its own failure undoes only its own writes. Its `commit` releases the
//! savepoint and then waits until the [`Committer`] has committed the enclosing transaction with
//! one `COMMIT` (one fsync) for every write transaction that finished in the meantime: nothing is
//! acknowledged before it is durable, and concurrent submissions share the cost of the sync. Should
//! that `COMMIT` fail, every transaction of the group gets the error and none is acknowledged.
//! Write transactions see the work of those before them in the group, exactly as if each had been
//! committed on its own; readers on other connections see only what is committed.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use refund_core::State;
use refund_core::wire::{OrderWire, PolicyWire};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{
    ConnectOptions, Connection, Executor, QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool,
};

use super::outbox;
use super::rows::{
    self, Columns, Dialect, MERCHANT_COLUMNS, REQUEST_COLUMNS, REQUEST_FROM, STAFF_COLUMNS, code,
    to_json,
};
use super::*;

pub struct SqliteStore {
    pool: SqlitePool,
    writer: Arc<Writer>,
    /// The committer task, started in the runtime of the first write (and again should that
    /// runtime have stopped, as each test's does).
    committer: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The writing side: whose turn it is, the open transaction, and who waits for its commit.
struct Writer {
    /// Write transactions queue here, first come first served (tokio's mutex is fair), instead
    /// of polling SQLite's lock with growing sleeps. `BEGIN IMMEDIATE` still guards against
    /// writers in other processes.
    turn: Arc<tokio::sync::Mutex<Group>>,
    /// Wakes the committer when a write transaction ends.
    ended: tokio::sync::Notify,
}

/// The enclosing transaction and the write transactions waiting for it to commit.
#[derive(Default)]
struct Group {
    /// A connection inside `BEGIN IMMEDIATE`, while a group is open.
    conn: Option<PoolConnection<Sqlite>>,
    waiting: Vec<tokio::sync::oneshot::Sender<Result<(), String>>>,
}

impl Group {
    fn conn(&mut self) -> StoreResult<&mut SqliteConnection> {
        self.conn
            .as_deref_mut()
            .ok_or_else(|| StoreError::Database("the write transaction was closed".to_owned()))
    }

    /// Commits the enclosing transaction and tells everyone waiting how it went; on failure
    /// the connection is closed, which rolls everything back.
    async fn commit(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let result = conn
            .execute("COMMIT")
            .await
            .map(drop)
            .map_err(|e| e.to_string());
        if result.is_err() {
            drop(conn.detach());
        }
        for waiter in self.waiting.drain(..) {
            let _ = waiter.send(result.clone());
        }
    }

    /// Gives up the enclosing transaction: nothing in it is kept, and those waiting are told.
    fn abandon(&mut self, cause: &str) {
        if let Some(conn) = self.conn.take() {
            // Closing the connection rolls back whatever it holds.
            drop(conn.detach());
        }
        for waiter in self.waiting.drain(..) {
            let _ = waiter.send(Err(format!("the write transaction failed: {cause}")));
        }
    }
}

impl Writer {
    /// Commits each group once the write transactions queued before the committer are done.
    async fn committer(self: Arc<Writer>) {
        loop {
            self.ended.notified().await;
            self.turn.lock().await.commit().await;
        }
    }
}

fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Columns for SqliteRow {
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
        parse_ts(&self.text(column)?)
    }
    fn opt_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.opt_text(column)?.as_deref().map(parse_ts).transpose()
    }
    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>> {
        Ok(self.try_get(column)?)
    }
    fn flag(&self, column: &str) -> StoreResult<bool> {
        Ok(self.try_get::<i64, _>(column)? != 0)
    }
}

impl Dialect for Sqlite {
    type Time = String;
    fn time(at: DateTime<Utc>) -> String {
        ts(at)
    }
    const NO_DEADLINE: &'static str = "'9999-12-31T23:59:59.999999Z'";
}

fn parse_ts(text: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(corrupt)
}

fn to_u32(value: i64) -> StoreResult<u32> {
    u32::try_from(value).map_err(corrupt)
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
        let writer = Arc::new(Writer {
            turn: Arc::new(tokio::sync::Mutex::new(Group::default())),
            ended: tokio::sync::Notify::new(),
        });
        Ok(SqliteStore {
            pool,
            writer,
            committer: std::sync::Mutex::new(None),
        })
    }
}

async fn merchant_where<'e>(
    on: impl sqlx::Executor<'e, Database = Sqlite>,
    column: &str,
    value: &str,
) -> StoreResult<Option<Merchant>> {
    let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE {column} = ?");
    let row = sqlx::query(&sql).bind(value).fetch_optional(on).await?;
    row.as_ref().map(rows::merchant).transpose()
}

static SELECT_ENDPOINTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM webhook_endpoints e WHERE e.merchant_id = ?",
        outbox::ENDPOINT_COLUMNS.replace("{json}", "")
    )
});

/// `SELECT` of every request column, `FROM` the request with its order and assignee.
static SELECT_REQUESTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM {REQUEST_FROM}",
        REQUEST_COLUMNS.replace("{json}", "")
    )
});

async fn fetch_request(
    conn: &mut SqliteConnection,
    merchant_id: &str,
    id: &str,
) -> StoreResult<Option<StoredRequest>> {
    let sql = format!("{} WHERE r.merchant_id = ? AND r.id = ?", *SELECT_REQUESTS);
    let row = sqlx::query(&sql)
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rows::request).transpose()
}

async fn order_snapshot(
    conn: &mut SqliteConnection,
    merchant_id: &str,
    number: &str,
    since: DateTime<Utc>,
) -> StoreResult<Option<OrderSnapshot>> {
    let row = sqlx::query(
        "SELECT o.id, o.merchant_id, o.body, o.version, o.customer_email, \
           (SELECT MAX(version) FROM policies p WHERE p.merchant_id = o.merchant_id) AS policy_version, \
           (SELECT COUNT(*) FROM requests r WHERE r.merchant_id = o.merchant_id \
              AND r.customer_email = o.customer_email AND r.submitted_at >= ? \
              AND r.state <> 'cancelled') AS recent \
         FROM orders o WHERE o.merchant_id = ? AND o.number = ?",
    )
    .bind(ts(since))
    .bind(merchant_id)
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(rows::snapshot).transpose()
}

/// `?, ?, …` for `n` values.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

async fn live_quotes(
    conn: &mut SqliteConnection,
    order_id: &str,
    states: &[State],
) -> StoreResult<LiveQuotes> {
    // One statement, so the version and the quotes are of the same moment.
    let sql = format!(
        "SELECT o.version, r.quote FROM orders o \
         LEFT JOIN requests r ON r.order_id = o.id AND r.state IN ({}) \
         WHERE o.id = ? ORDER BY r.submitted_at, r.id",
        placeholders(states.len())
    );
    let mut query = sqlx::query(&sql);
    for state in states {
        query = query.bind(state.code());
    }
    rows::live_quotes(&query.bind(order_id).fetch_all(&mut *conn).await?)
}

async fn policy(
    conn: &mut SqliteConnection,
    merchant_id: &str,
    version: u32,
) -> StoreResult<Option<PolicyWire>> {
    let body: Option<String> =
        sqlx::query_scalar("SELECT body FROM policies WHERE merchant_id = ? AND version = ?")
            .bind(merchant_id)
            .bind(i64::from(version))
            .fetch_optional(&mut *conn)
            .await?;
    body.as_deref()
        .map(|b| serde_json::from_str(b).map_err(corrupt))
        .transpose()
}

fn deadline_columns(progress: &Progress) -> StoreResult<(Option<String>, Option<String>)> {
    Ok(match progress.deadline {
        Some((kind, at)) => (Some(code(&kind)?), Some(ts(at))),
        None => (None, None),
    })
}

async fn insert_events(
    conn: &mut SqliteConnection,
    request_id: &str,
    events: &[AuditEvent],
) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        rows.push((
            code(&event.actor)?,
            to_json(&event.detail)?,
            ts(event.at),
            event.by.as_ref().map(to_json).transpose()?,
            event,
        ));
    }
    let mut sql = QueryBuilder::<Sqlite>::new(
        "INSERT INTO audit (request_id, actor, action, before_state, after_state, detail, at, by_who) ",
    );
    sql.push_values(rows, |mut row, (actor, detail, at, by, event)| {
        row.push_bind(request_id)
            .push_bind(actor)
            .push_bind(event.action.clone())
            .push_bind(event.before.map(|s| s.code()))
            .push_bind(event.after.code())
            .push_bind(detail)
            .push_bind(at)
            .push_bind(by);
    });
    sql.build().execute(conn).await?;
    Ok(())
}

/// Attaches free images of the request's order to it; a conflict when one is no longer free.
async fn attach_evidence(
    conn: &mut SqliteConnection,
    request: &StoredRequest,
    ids: &[String],
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE evidence SET request_id = ? WHERE order_id = ? AND request_id IS NULL AND id IN ({})",
        placeholders(ids.len())
    );
    let mut query = sqlx::query(&sql).bind(&request.id).bind(&request.order_id);
    for id in ids {
        query = query.bind(id);
    }
    let attached = query.execute(conn).await?.rows_affected();
    if attached != ids.len() as u64 {
        return Err(StoreError::Conflict(
            "evidence is no longer free to attach".to_owned(),
        ));
    }
    Ok(())
}

async fn bump_version(conn: &mut SqliteConnection, order_id: &str) -> StoreResult<i64> {
    sqlx::query_scalar("UPDATE orders SET version = version + 1 WHERE id = ? RETURNING version")
        .bind(order_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("order"))
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        {
            let mut committer = self
                .committer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if committer.as_ref().is_none_or(|task| task.is_finished()) {
                *committer = Some(tokio::spawn(self.writer.clone().committer()));
            }
        }
        let mut group = self.writer.turn.clone().lock_owned().await;
        if group.conn.is_none() {
            let mut conn = self.pool.acquire().await?;
            conn.execute("BEGIN IMMEDIATE").await?;
            group.conn = Some(conn);
        }
        if let Err(e) = group.conn()?.execute("SAVEPOINT tx").await {
            group.abandon(&e.to_string());
            return Err(e.into());
        }
        Ok(Box::new(SqliteTx {
            group: Some(group),
            writer: self.writer.clone(),
        }))
    }

    async fn create_merchant(&self, new: NewMerchant, at: DateTime<Utc>) -> StoreResult<()> {
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
        .bind(ts(at))
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
        let row = sqlx::query("SELECT version, body FROM policies WHERE merchant_id = ? ORDER BY version DESC LIMIT 1")
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
            "SELECT id, merchant_id, body, version FROM orders WHERE merchant_id = ? AND number = ?",
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
        order_snapshot(&mut conn, merchant_id, number, since).await
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

    async fn live_quotes(&self, order_id: &str, states: &[State]) -> StoreResult<LiveQuotes> {
        let mut conn = self.pool.acquire().await?;
        live_quotes(&mut conn, order_id, states).await
    }

    async fn request(&self, merchant_id: &str, id: &str) -> StoreResult<Option<StoredRequest>> {
        let mut conn = self.pool.acquire().await?;
        fetch_request(&mut conn, merchant_id, id).await
    }

    async fn requests_for_order(&self, order_id: &str) -> StoreResult<Vec<StoredRequest>> {
        let sql = format!(
            "{} WHERE r.order_id = ? ORDER BY r.submitted_at, r.id",
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
            QueryBuilder::<Sqlite>::new(format!("{} WHERE r.merchant_id = ", *SELECT_REQUESTS));
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
        let mut sql = QueryBuilder::<Sqlite>::new(
            "SELECT r.state, r.kind, COUNT(*) AS requests, \
             COALESCE(SUM(r.deadline_at <= ",
        );
        sql.push_bind(ts(now))
            .push("), 0) AS overdue FROM requests r JOIN orders o ON o.id = r.order_id WHERE r.merchant_id = ")
            .push_bind(merchant_id.to_owned());
        rows::push_filter(&mut sql, filter);
        sql.push(" GROUP BY r.state, r.kind");
        let found = sql.build().fetch_all(&self.pool).await?;
        found.iter().map(rows::queue_group).collect()
    }

    async fn events(&self, request_id: &str) -> StoreResult<Vec<AuditEvent>> {
        let found = sqlx::query("SELECT actor, action, before_state, after_state, detail, at, by_who FROM audit WHERE request_id = ? ORDER BY seq")
            .bind(request_id)
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::event).collect()
    }

    async fn events_of(&self, request_ids: &[String]) -> StoreResult<Vec<(String, AuditEvent)>> {
        if request_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT request_id, actor, action, before_state, after_state, detail, at, by_who \
             FROM audit WHERE request_id IN ({}) ORDER BY seq",
            placeholders(request_ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in request_ids {
            query = query.bind(id);
        }
        let found = query.fetch_all(&self.pool).await?;
        found
            .iter()
            .map(|row| Ok((row.text("request_id")?, rows::event(row)?)))
            .collect()
    }

    async fn messages(&self, request_id: &str) -> StoreResult<Vec<MessageRow>> {
        let found = sqlx::query(
            "SELECT id, author, by_who, body, photos, asks_for_photos, at FROM messages \
             WHERE request_id = ? ORDER BY seq",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::message).collect()
    }

    async fn mark_read(&self, request_id: &str, reader: Author) -> StoreResult<()> {
        let column = match reader {
            Author::Shopper => "shopper_read_seq",
            Author::Merchant => "desk_read_seq",
        };
        sqlx::query(&format!(
            "UPDATE requests SET {column} = \
             (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE request_id = ?1) WHERE id = ?1"
        ))
        .bind(request_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn staff_by_email(&self, email: &str) -> StoreResult<Option<StaffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE email = ?"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::staff).transpose()
    }

    async fn staff(&self, merchant_id: &str, id: &str) -> StoreResult<Option<StaffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE merchant_id = ? AND id = ?"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::staff).transpose()
    }

    async fn list_staff(&self, merchant_id: &str) -> StoreResult<Vec<StaffRow>> {
        let found = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE merchant_id = ? ORDER BY created_at, id"
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
            "SELECT {STAFF_COLUMNS} FROM staff WHERE setup_hash = ? AND setup_expires_at > ?"
        ))
        .bind(setup_hash)
        .bind(ts(now))
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
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(staff_id)
        .bind(csrf_token)
        .bind(ts(at))
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<DeskSessionRow>> {
        let sql = format!(
            "SELECT d.csrf_token, d.created_at AS session_created_at, d.last_seen_at, {} \
             FROM desk_sessions d JOIN staff s ON s.id = d.staff_id WHERE d.token_hash = ?",
            rows::prefixed("s", STAFF_COLUMNS)
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::desk_session).transpose()
    }

    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE desk_sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(ts(at))
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM desk_sessions WHERE token_hash = ?")
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
            sqlx::query("DELETE FROM desk_sessions WHERE last_seen_at < ? OR created_at < ?")
                .bind(ts(idle_before))
                .bind(ts(opened_before))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn set_auto_assign(&self, merchant_id: &str, on: bool) -> StoreResult<()> {
        sqlx::query("UPDATE merchants SET auto_assign = ? WHERE id = ?")
            .bind(on)
            .bind(merchant_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn auto_assign(&self, merchant_id: &str) -> StoreResult<bool> {
        let on: Option<bool> = sqlx::query_scalar("SELECT auto_assign FROM merchants WHERE id = ?")
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
            "SELECT id, body FROM {} WHERE merchant_id = ? ORDER BY created_at, id",
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
            "SELECT body FROM {} WHERE merchant_id = ? AND id = ?",
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
            "INSERT INTO {} (id, merchant_id, body, created_at) VALUES (?, ?, ?, ?)",
            list.table()
        ))
        .bind(id)
        .bind(merchant_id)
        .bind(body)
        .bind(ts(at))
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
            "UPDATE {} SET body = ? WHERE merchant_id = ? AND id = ?",
            list.table()
        ))
        .bind(body)
        .bind(merchant_id)
        .bind(id)
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
            "DELETE FROM {} WHERE merchant_id = ? AND id = ?",
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
        let marks = placeholders(live.len());
        let sql = format!(
            "SELECT r.reason AS reason, NULL AS sku, r.currency AS currency, COUNT(*) AS requests, \
               COALESCE(SUM((SELECT SUM(json_extract(l.value, '$.quantity')) \
                 FROM json_each(r.quote, '$.lines') l)), 0) AS units, \
               COALESCE(SUM(r.state IN ({marks})), 0) AS live, \
               COALESCE(SUM(CASE WHEN r.state IN ({marks}) THEN r.total_minor ELSE 0 END), 0) AS amount_minor \
             FROM requests r WHERE r.merchant_id = ? AND r.submitted_at >= ? AND r.submitted_at < ? \
             GROUP BY r.reason, r.currency \
             UNION ALL \
             SELECT NULL, COALESCE((SELECT json_extract(ol.value, '$.sku') FROM json_each(o.body, '$.lines') ol \
                 WHERE json_extract(ol.value, '$.id') = json_extract(l.value, '$.line_id')), ''), \
               r.currency, COUNT(*), COALESCE(SUM(json_extract(l.value, '$.quantity')), 0), \
               COALESCE(SUM(r.state IN ({marks})), 0), \
               COALESCE(SUM(CASE WHEN r.state IN ({marks}) THEN \
                 (SELECT COALESCE(SUM(CAST(REPLACE(json_extract(c.value, '$.amount'), '.', '') AS INTEGER)), 0) \
                  FROM json_each(r.quote, '$.components') c \
                  WHERE json_extract(c.value, '$.code') = 'item' \
                    AND json_extract(c.value, '$.line_id') = json_extract(l.value, '$.line_id')) \
                 ELSE 0 END), 0) \
             FROM requests r JOIN orders o ON o.id = r.order_id, json_each(r.quote, '$.lines') l \
             WHERE r.merchant_id = ? AND r.submitted_at >= ? AND r.submitted_at < ? \
             GROUP BY 2, r.currency"
        );
        let mut query = sqlx::query(&sql);
        for _ in 0..2 {
            for _ in 0..2 {
                for state in live {
                    query = query.bind(state.code());
                }
            }
            query = query.bind(merchant_id).bind(ts(from)).bind(ts(to));
        }
        let found = query.fetch_all(&self.pool).await?;
        found.iter().map(rows::stats_group).collect()
    }

    async fn evidence(&self, merchant_id: &str, id: &str) -> StoreResult<Option<Evidence>> {
        let row = sqlx::query("SELECT id, merchant_id, order_id, content_type, bytes FROM evidence WHERE merchant_id = ? AND id = ?")
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
            "DELETE FROM evidence WHERE merchant_id = ? AND order_id = ? AND id = ? AND request_id IS NULL",
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
        // One writer: events commit in seq order, so a cursor never skips one.
        let found = sqlx::query(
            "SELECT seq, body FROM events WHERE merchant_id = ? AND seq > ? ORDER BY seq LIMIT ?",
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
        let found = sqlx::query(&format!("{} AND e.id = ?", *SELECT_ENDPOINTS))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found.as_ref().map(outbox::endpoint).transpose()
    }

    async fn deliveries(&self, endpoint_id: &str, limit: u32) -> StoreResult<Vec<DeliveryRow>> {
        let sql = outbox::DELIVERY_LOG
            .replace("{endpoint}", "?")
            .replace("{limit}", "?");
        let found = sqlx::query(&sql)
            .bind(endpoint_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        outbox::delivery_log(&found)
    }
}

/// Holds the outbox rows `seqs` of `table` for a dispatcher until `until`.
async fn lease(
    conn: &mut SqliteConnection,
    table: &str,
    seqs: impl Iterator<Item = i64>,
    until: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = format!("UPDATE {table} SET lease_until = ? WHERE seq = ?");
    for seq in seqs {
        sqlx::query(&sql)
            .bind(ts(until))
            .bind(seq)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A write transaction: a savepoint in the group's enclosing transaction, with the turn.
pub struct SqliteTx {
    /// Held until the transaction ends; `None` once it has.
    group: Option<tokio::sync::OwnedMutexGuard<Group>>,
    writer: Arc<Writer>,
}

impl SqliteTx {
    /// The connection, set from `begin` until the transaction ends by `commit` or drop.
    fn conn(&mut self) -> StoreResult<&mut SqliteConnection> {
        self.group
            .as_deref_mut()
            .ok_or_else(|| StoreError::Database("the write transaction has ended".to_owned()))?
            .conn()
    }
}

/// Undoes this transaction's writes and passes the turn on. SQLite may have rolled back the
/// enclosing transaction by itself after a severe error (a full disk, say): then there is no
/// savepoint left, and the whole group fails.
async fn roll_back(mut group: tokio::sync::OwnedMutexGuard<Group>, writer: Arc<Writer>) {
    let undone = match group.conn() {
        Ok(conn) => conn
            .execute("ROLLBACK TO tx; RELEASE tx")
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(cause) = undone {
        group.abandon(&cause);
    }
    drop(group);
    writer.ended.notify_one();
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        let Some(mut group) = self.group.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(roll_back(group, self.writer.clone()));
            }
            Err(_) => group.abandon("the runtime stopped"),
        }
    }
}

#[async_trait]
impl Tx for SqliteTx {
    async fn claim_key(&mut self, merchant_id: &str, key: &str) -> StoreResult<Option<KeyRecord>> {
        // The write lock is held: nobody else can claim the key before this transaction ends.
        let row = sqlx::query(
            "SELECT body_hash, status, response FROM idempotency WHERE merchant_id = ? AND key = ?",
        )
        .bind(merchant_id)
        .bind(key)
        .fetch_optional(self.conn()?)
        .await?;
        row.as_ref().map(rows::key_record).transpose()
    }

    async fn lock_order(
        &mut self,
        merchant_id: &str,
        number: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<OrderSnapshot>> {
        order_snapshot(self.conn()?, merchant_id, number, since).await
    }

    async fn lock_order_id(&mut self, order_id: &str) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM orders WHERE id = ?")
            .bind(order_id)
            .fetch_optional(self.conn()?)
            .await?;
        Ok(found.is_some())
    }

    async fn order_has_requests(&mut self, order_id: &str) -> StoreResult<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM requests WHERE order_id = ? LIMIT 1")
                .bind(order_id)
                .fetch_optional(self.conn()?)
                .await?;
        Ok(found.is_some())
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(merchant_id)
        .bind(&order.number)
        .bind(order.customer_email.trim().to_lowercase())
        .bind(to_json(order)?)
        .bind(ts(at))
        .bind(ts(at))
        .execute(self.conn()?)
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
            "UPDATE orders SET body = ?, customer_email = ?, updated_at = ?, version = version + 1 WHERE id = ?",
        )
        .bind(to_json(order)?)
        .bind(order.customer_email.trim().to_lowercase())
        .bind(ts(at))
        .bind(order_id)
        .execute(self.conn()?)
        .await?;
        Ok(())
    }

    async fn live_quotes(&mut self, order_id: &str, states: &[State]) -> StoreResult<LiveQuotes> {
        live_quotes(self.conn()?, order_id, states).await
    }

    async fn policy(&mut self, merchant_id: &str, version: u32) -> StoreResult<Option<PolicyWire>> {
        policy(self.conn()?, merchant_id, version).await
    }

    async fn insert_policy(
        &mut self,
        merchant_id: &str,
        policy: &PolicyWire,
        at: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO policies (merchant_id, version, body, created_at) \
             SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3 FROM policies WHERE merchant_id = ?1 \
             RETURNING version",
        )
        .bind(merchant_id)
        .bind(to_json(policy)?)
        .bind(ts(at))
        .fetch_one(self.conn()?)
        .await?;
        to_u32(version)
    }

    async fn free_evidence(&mut self, order_id: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM evidence WHERE order_id = ? AND request_id IS NULL ORDER BY created_at, id",
        )
        .bind(order_id)
        .fetch_all(self.conn()?)
        .await?)
    }

    async fn add_evidence(
        &mut self,
        evidence: &Evidence,
        max_per_order: u32,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM evidence WHERE order_id = ?")
            .bind(&evidence.order_id)
            .fetch_one(self.conn()?)
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
        .execute(self.conn()?)
        .await?;
        Ok(true)
    }

    async fn next_request_seq(&mut self, merchant_id: &str) -> StoreResult<u64> {
        // A counter per merchant: writes are serialised, so it has no gaps.
        let seq: i64 = sqlx::query_scalar(
            "UPDATE merchants SET request_seq = request_seq + 1 WHERE id = ? RETURNING request_seq",
        )
        .bind(merchant_id)
        .fetch_optional(self.conn()?)
        .await?
        .ok_or(StoreError::NotFound("merchant"))?;
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
        let (deadline_kind, deadline_at) = deadline_columns(p)?;
        sqlx::query(
            "INSERT INTO requests (id, merchant_id, order_id, number, customer_email, kind, reason, body, quote, \
             total_minor, currency, policy_version, evidence, state, submitted_at, last_event_at, approved_at, \
             shipped_back_at, deadline_kind, deadline_at, assignee, lang) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .bind(ts(p.submitted_at))
        .bind(ts(p.last_event_at))
        .bind(p.approved_at.map(ts))
        .bind(p.shipped_back_at.map(ts))
        .bind(deadline_kind)
        .bind(deadline_at)
        .bind(assignee)
        .bind(request.lang.tag())
        .execute(self.conn()?)
        .await?;
        attach_evidence(self.conn()?, request, &request.evidence).await?;
        insert_events(self.conn()?, &request.id, events).await?;
        sqlx::query(
            "INSERT INTO idempotency (merchant_id, key, body_hash, status, response, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&request.merchant_id)
        .bind(key)
        .bind(body_hash)
        .bind(i64::from(answer.status))
        .bind(&answer.body)
        .bind(ts(at))
        .execute(self.conn()?)
        .await?;
        bump_version(self.conn()?, &request.order_id).await
    }

    async fn lock_request(
        &mut self,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<Option<StoredRequest>> {
        fetch_request(self.conn()?, merchant_id, id).await
    }

    async fn lock_due(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRequest>> {
        // A payout deadline moves nothing when it passes: the sweep leaves it alone.
        let sql = format!(
            "{} WHERE r.deadline_at <= ? AND r.deadline_kind <> 'payout' \
             ORDER BY r.deadline_at LIMIT ?",
            *SELECT_REQUESTS
        );
        let found = sqlx::query(&sql)
            .bind(ts(now))
            .bind(i64::from(limit))
            .fetch_all(self.conn()?)
            .await?;
        let mut due = found
            .iter()
            .map(rows::request)
            .collect::<StoreResult<Vec<_>>>()?;
        due.sort_by(|a, b| a.order_id.cmp(&b.order_id));
        Ok(due)
    }

    async fn record_transition(
        &mut self,
        request: &StoredRequest,
        progress: &Progress,
        event: &AuditEvent,
    ) -> StoreResult<i64> {
        let (deadline_kind, deadline_at) = deadline_columns(progress)?;
        sqlx::query(
            "UPDATE requests SET state = ?, last_event_at = ?, approved_at = ?, shipped_back_at = ?, \
             deadline_kind = ?, deadline_at = ?, carrier = ?, tracking_number = ?, reject_reason = ?, \
             reject_text = ?, return_to = ?, payout = ? WHERE id = ?",
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
        .bind(progress.reject_text.as_ref().map(to_json).transpose()?)
        .bind(progress.return_to.as_ref().map(to_json).transpose()?)
        .bind(progress.payout.as_ref().map(to_json).transpose()?)
        .bind(&request.id)
        .execute(self.conn()?)
        .await?;
        insert_events(self.conn()?, &request.id, std::slice::from_ref(event)).await?;
        bump_version(self.conn()?, &request.order_id).await
    }

    async fn assign(
        &mut self,
        request: &StoredRequest,
        staff_id: Option<&str>,
        event: &AuditEvent,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE requests SET assignee = ? WHERE id = ?")
            .bind(staff_id)
            .bind(&request.id)
            .execute(self.conn()?)
            .await?;
        insert_events(self.conn()?, &request.id, std::slice::from_ref(event)).await
    }

    async fn next_assignee(
        &mut self,
        merchant_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StaffBrief>> {
        let row = sqlx::query(
            "UPDATE staff SET last_assigned_at = ?1 WHERE id = ( \
               SELECT s.id FROM staff s JOIN merchants m ON m.id = s.merchant_id \
               WHERE s.merchant_id = ?2 AND m.auto_assign AND s.active AND s.role = 'agent' \
               ORDER BY s.last_assigned_at IS NOT NULL, s.last_assigned_at, s.created_at, s.id LIMIT 1) \
             RETURNING id, name",
        )
        .bind(ts(at))
        .bind(merchant_id)
        .fetch_optional(self.conn()?)
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
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO messages (id, request_id, author, by_who, body, photos, asks_for_photos, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        )
        .bind(&message.id)
        .bind(&request.id)
        .bind(code(&message.author)?)
        .bind(message.by.as_ref().map(to_json).transpose()?)
        .bind(&message.body)
        .bind(to_json(&message.photos)?)
        .bind(message.asks_for_photos)
        .bind(ts(message.at))
        .fetch_one(self.conn()?)
        .await?;
        attach_evidence(self.conn()?, request, &message.photos).await?;
        let column = match message.author {
            Author::Shopper => "shopper_read_seq",
            Author::Merchant => "desk_read_seq",
        };
        sqlx::query(&format!("UPDATE requests SET {column} = ? WHERE id = ?"))
            .bind(seq)
            .bind(&request.id)
            .execute(self.conn()?)
            .await?;
        insert_events(self.conn()?, &request.id, std::slice::from_ref(event)).await
    }

    async fn lock_staff(&mut self, merchant_id: &str, id: &str) -> StoreResult<Option<StaffRow>> {
        // The write lock is held already.
        let row = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE merchant_id = ? AND id = ?"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(self.conn()?)
        .await?;
        row.as_ref().map(rows::staff).transpose()
    }

    async fn insert_staff(&mut self, staff: &StaffRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO staff (id, merchant_id, email, name, role, active, password_hash, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&staff.id)
        .bind(&staff.merchant_id)
        .bind(&staff.email)
        .bind(&staff.name)
        .bind(staff.role.code())
        .bind(staff.active)
        .bind(&staff.password_hash)
        .bind(ts(staff.created_at))
        .execute(self.conn()?)
        .await?;
        Ok(())
    }

    async fn update_staff(&mut self, staff: &StaffRow) -> StoreResult<()> {
        sqlx::query("UPDATE staff SET name = ?, role = ?, active = ? WHERE id = ?")
            .bind(&staff.name)
            .bind(staff.role.code())
            .bind(staff.active)
            .bind(&staff.id)
            .execute(self.conn()?)
            .await?;
        Ok(())
    }

    async fn active_owners(&mut self, merchant_id: &str) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff WHERE merchant_id = ? AND role = 'owner' AND active",
        )
        .bind(merchant_id)
        .fetch_one(self.conn()?)
        .await?;
        to_u32(n)
    }

    async fn set_setup(
        &mut self,
        staff_id: &str,
        setup_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE staff SET setup_hash = ?, setup_expires_at = ? WHERE id = ?")
            .bind(setup_hash)
            .bind(ts(expires_at))
            .bind(staff_id)
            .execute(self.conn()?)
            .await?;
        Ok(())
    }

    async fn set_password(&mut self, staff_id: &str, password_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE staff SET password_hash = ?, setup_hash = NULL, setup_expires_at = NULL WHERE id = ?",
        )
        .bind(password_hash)
        .bind(staff_id)
        .execute(self.conn()?)
        .await?;
        Ok(())
    }

    async fn delete_sessions_of(&mut self, staff_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM desk_sessions WHERE staff_id = ?")
            .bind(staff_id)
            .execute(self.conn()?)
            .await?;
        Ok(())
    }

    async fn tx_merchant(&mut self, id: &str) -> StoreResult<Option<Merchant>> {
        merchant_where(self.conn()?, "id", id).await
    }

    async fn tx_endpoints(&mut self, merchant_id: &str) -> StoreResult<Vec<EndpointRow>> {
        let found = sqlx::query(&SELECT_ENDPOINTS)
            .bind(merchant_id)
            .fetch_all(self.conn()?)
            .await?;
        found.iter().map(outbox::endpoint).collect()
    }

    async fn insert_event(&mut self, event: &NewEvent<'_>) -> StoreResult<i64> {
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO events (id, merchant_id, request_id, type, body, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        )
        .bind(event.id)
        .bind(event.merchant_id)
        .bind(event.request_id)
        .bind(event.kind.code())
        .bind(event.body)
        .bind(ts(event.at))
        .fetch_one(self.conn()?)
        .await?;
        for endpoint in event.endpoints {
            sqlx::query(
                "INSERT INTO deliveries (endpoint_id, event_seq, request_id, state, attempts, next_at) \
                 VALUES (?, ?, ?, 'pending', 0, ?)",
            )
            .bind(endpoint)
            .bind(seq)
            .bind(event.request_id)
            .bind(ts(event.at))
            .execute(self.conn()?)
            .await?;
        }
        Ok(seq)
    }

    async fn insert_email(&mut self, email: &NewEmail<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO emails (merchant_id, event_seq, to_addr, subject, text_body, html_body, \
             state, attempts, next_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?)",
        )
        .bind(email.merchant_id)
        .bind(email.event_seq)
        .bind(email.to)
        .bind(email.subject)
        .bind(email.text)
        .bind(email.html)
        .bind(ts(email.at))
        .execute(self.conn()?)
        .await?;
        Ok(())
    }

    async fn claim_deliveries(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        let found = sqlx::query(&format!(
            "SELECT d.seq AS delivery_seq, d.attempts, ev.id AS event_id, ev.body AS event_body, {} \
             FROM deliveries d JOIN events ev ON ev.seq = d.event_seq \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.state = 'pending' AND d.next_at <= ?1 \
               AND (d.lease_until IS NULL OR d.lease_until <= ?1) AND e.enabled = 1 \
               AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = d.endpoint_id \
                 AND p.request_id = d.request_id AND p.state = 'pending' AND p.event_seq < d.event_seq) \
             ORDER BY d.event_seq LIMIT ?2",
            outbox::ENDPOINT_COLUMNS.replace("{json}", "")
        ))
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(self.conn()?)
        .await?;
        let due = found
            .iter()
            .map(outbox::due_delivery)
            .collect::<StoreResult<Vec<_>>>()?;
        lease(
            self.conn()?,
            "deliveries",
            due.iter().map(|d| d.seq),
            lease_until,
        )
        .await?;
        Ok(due)
    }

    async fn finish_delivery(
        &mut self,
        seq: i64,
        attempt: &AttemptRow,
        next: DeliveryNext,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO delivery_attempts (delivery_seq, at, status, latency_ms, excerpt, error) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(seq)
        .bind(ts(attempt.at))
        .bind(attempt.status.map(i64::from))
        .bind(i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX))
        .bind(&attempt.excerpt)
        .bind(&attempt.error)
        .execute(self.conn()?)
        .await?;
        let next_at = match next {
            DeliveryNext::Retry(at) => at,
            DeliveryNext::Delivered | DeliveryNext::Failed => attempt.at,
        };
        sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, state = ?, next_at = ?, \
             lease_until = NULL WHERE seq = ?",
        )
        .bind(outbox::delivery_state(next))
        .bind(ts(next_at))
        .bind(seq)
        .execute(self.conn()?)
        .await?;
        Ok(())
    }

    async fn save_endpoint(&mut self, endpoint: &EndpointRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, types, enabled, disabled_reason, \
               secret, old_secret, old_secret_until, failing_since, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
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
        .bind(endpoint.old_secret.as_ref().map(|(_, until)| ts(*until)))
        .bind(endpoint.failing_since.map(ts))
        .bind(ts(endpoint.created_at))
        .execute(self.conn()?)
        .await?;
        Ok(())
    }

    async fn lock_endpoint(
        &mut self,
        merchant_id: &str,
        id: &str,
    ) -> StoreResult<Option<EndpointRow>> {
        // The write lock is held already.
        let found = sqlx::query(&format!("{} AND e.id = ?", *SELECT_ENDPOINTS))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(self.conn()?)
            .await?;
        found.as_ref().map(outbox::endpoint).transpose()
    }

    async fn delete_endpoint(&mut self, merchant_id: &str, id: &str) -> StoreResult<bool> {
        let owned: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = ? AND id = ?",
        )
        .bind(merchant_id)
        .bind(id)
        .fetch_one(self.conn()?)
        .await?;
        if owned == 0 {
            return Ok(false);
        }
        for sql in [
            "DELETE FROM delivery_attempts WHERE delivery_seq IN \
               (SELECT seq FROM deliveries WHERE endpoint_id = ?)",
            "DELETE FROM deliveries WHERE endpoint_id = ?",
            "DELETE FROM webhook_endpoints WHERE id = ?",
        ] {
            sqlx::query(sql).bind(id).execute(self.conn()?).await?;
        }
        Ok(true)
    }

    async fn redeliver(
        &mut self,
        merchant_id: &str,
        endpoint_id: &str,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // `WHERE true` lets SQLite read the upsert's ON CONFLICT after a SELECT.
        let changed = sqlx::query(
            "INSERT INTO deliveries (endpoint_id, event_seq, request_id, state, attempts, next_at) \
             SELECT ?, seq, request_id, 'pending', 0, ? FROM events \
             WHERE merchant_id = ? AND id = ? AND true \
             ON CONFLICT (endpoint_id, event_seq) DO UPDATE SET state = 'pending', \
               next_at = excluded.next_at, lease_until = NULL",
        )
        .bind(endpoint_id)
        .bind(ts(now))
        .bind(merchant_id)
        .bind(event_id)
        .execute(self.conn()?)
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
            "SELECT seq, attempts, to_addr, subject, text_body, html_body FROM emails \
             WHERE state = 'pending' AND next_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) \
             ORDER BY seq LIMIT ?2",
        )
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(self.conn()?)
        .await?;
        let due = found
            .iter()
            .map(outbox::due_email)
            .collect::<StoreResult<Vec<_>>>()?;
        lease(
            self.conn()?,
            "emails",
            due.iter().map(|e| e.seq),
            lease_until,
        )
        .await?;
        Ok(due)
    }

    async fn finish_email(&mut self, seq: i64, next: &EmailNext) -> StoreResult<()> {
        let (state, next_at, error) = outbox::email_state(next);
        sqlx::query(
            "UPDATE emails SET state = ?, attempts = attempts + 1, next_at = COALESCE(?, next_at), \
             last_error = COALESCE(?, last_error), lease_until = NULL WHERE seq = ?",
        )
        .bind(state)
        .bind(next_at.map(ts))
        .bind(error)
        .bind(seq)
        .execute(self.conn()?)
        .await?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        let mut group = self
            .group
            .take()
            .ok_or_else(|| StoreError::Database("the write transaction has ended".to_owned()))?;
        if let Err(e) = group.conn()?.execute("RELEASE tx").await {
            group.abandon(&e.to_string());
            return Err(e.into());
        }
        let (done, committed) = tokio::sync::oneshot::channel();
        group.waiting.push(done);
        drop(group);
        self.writer.ended.notify_one();
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(cause)) => Err(StoreError::Database(cause)),
            Err(_) => Err(StoreError::Database(
                "the write transaction ended without a commit".to_owned(),
            )),
        }
    }
}
