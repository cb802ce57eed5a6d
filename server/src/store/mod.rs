//! `Store`: the append-only log, its retractions, property changes, the
//! outbox of the message bus and API tokens in SQLite or PostgreSQL. The only module that speaks SQL. Both dialects run the
//! same statements (`$n` placeholders work in both); the backend is chosen
//! from the database URL.

mod notify;
mod rows;

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use app::model::event::{EventRecord, RetractionRecord};
use app::model::{Event, NewEvent, PropertyChange, Retraction, Timestamp};
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use rows::TokenRow;
use rows::{EventRow, RetractionRow};

/// Key of the PostgreSQL advisory lock that serialises writes, so ids
/// become visible in commit order and pollers reading "id > last" miss
/// nothing.
const WRITE_LOCK_KEY: i64 = 0x7265_6c74_726b; // "reltrk"

/// What every PostgreSQL write of the log runs first: takes the write lock
/// ([`WRITE_LOCK_KEY`], `$1`) and announces the write on [`LOG_CHANNEL`],
/// delivered at commit (and never on rollback), in one round trip.
const LOCK_FOR_WRITE: &str = "SELECT pg_advisory_xact_lock($1), pg_notify('releasetracker_log', '')";

/// The PostgreSQL notification channel on which every commit to the log is
/// announced, so other instances catch up at once instead of at their
/// next poll (see [`Store::listen_for_writes`]).
pub const LOG_CHANNEL: &str = "releasetracker_log";

/// Rows per INSERT statement during import (well under both dialects'
/// bind-parameter limits).
const IMPORT_BATCH: usize = 1000;

/// What can go wrong in the store, by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist (404).
    #[error("not found")]
    NotFound,
    /// The write contradicts what is stored, e.g. a second retraction (409).
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached or timed out (503).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Stored data that does not pass the model's rules.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Any other database failure (500, logged).
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The connection failed while `COMMIT` was in flight: the transaction
    /// may or may not have committed. [`Store::committed_refs`] finds out by
    /// its outbox message ids once the database answers again (503 until
    /// then; see `crate::log::in_doubt`).
    #[error("commit outcome unknown: {source}")]
    InDoubt {
        /// What broke the connection.
        #[source]
        source: sqlx::Error,
        /// The outbox message ids of the rows it wrote, in order.
        message_ids: Vec<String>,
        /// What the transaction did, which holds if it committed.
        planned: Vec<Appended>,
    },
}

/// What one write of a transaction came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored under this id.
    Stored(i64),
    /// Not stored again: the caller's idempotency key was used before, for
    /// the same request, which stored this event.
    Replayed(i64),
    /// Not stored: the caller's idempotency key was used before for a
    /// different request (which stored this event).
    KeyReused(i64),
}

/// An idempotency key a caller sent with a write (`Idempotency-Key`),
/// with a digest of the request it came with. Keys belong to their caller
/// (the actor's name): two callers may use the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteKey {
    /// The key as the caller sent it.
    pub key: String,
    /// A digest of what the request asked for, so that a key used again for
    /// something else is told apart from a retry.
    pub fingerprint: String,
}

/// One event to append: what, who, and the caller's idempotency key.
#[derive(Debug, Clone)]
pub struct EventToAppend {
    /// The event.
    pub event: NewEvent,
    /// Who records it.
    pub actor: Actor,
    /// The caller's idempotency key, if it sent one.
    pub key: Option<WriteKey>,
}

/// The error of a failed `COMMIT`. An error the database itself answered
/// (a constraint, a serialization failure) means nothing was committed;
/// anything else (the connection died, a timeout) leaves the outcome
/// unknown.
fn commit_failed(e: sqlx::Error, message_ids: Vec<String>, planned: Vec<Appended>) -> StoreError {
    match e {
        sqlx::Error::Database(_) => e.into(),
        source => StoreError::InDoubt { source, message_ids, planned },
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                StoreError::Unavailable(e)
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict("that value already exists".into())
            }
            _ => StoreError::Database(e),
        }
    }
}

/// The database behind the log.
#[derive(Clone, Debug)]
pub enum Store {
    /// The embedded default.
    Sqlite(SqlitePool),
    /// For several instances and larger installations.
    Postgres(PgPool),
}

/// Inserts one event row and its outbox row within the transaction
/// `$tx`, the row's message body rendered by `$bodies` from what the
/// transaction sees (so it is fixed at commit); evaluates to the new id.
/// A macro because the transaction's type differs per database.
macro_rules! insert_event {
    ($tx:expr, $bodies:expr, $e:expr, $actor:expr, $recorded_at:expr, $corrects:expr, $message_id:expr) => {{
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO events (dist_name, release_name, state_name, reached, happened_at, \
             recorded_at, recorded_by, source, note, link, corrects) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind($e.dist.as_str())
        .bind($e.release.as_str())
        .bind($e.state.as_str())
        .bind($e.reached)
        .bind($e.at)
        .bind($recorded_at)
        .bind(&$actor.name)
        .bind(&$actor.source)
        .bind($e.note.as_deref())
        .bind($e.link.as_deref())
        .bind($corrects)
        .fetch_one($tx)
        .await?;
        let event = Event {
            id,
            dist: $e.dist.clone(),
            release: $e.release.clone(),
            state: $e.state.clone(),
            reached: $e.reached,
            at: $e.at,
            recorded_at: $recorded_at,
            recorded_by: std::sync::Arc::from($actor.name.as_str()),
            source: std::sync::Arc::from($actor.source.as_str()),
            note: $e.note.clone(),
            link: $e.link.clone(),
            corrects: $corrects,
        };
        let was = was_in_state!($tx, &event);
        let body = $bodies.event(&EventRecord::new(&event, was, None, None)).map_err(outbox::unrenderable)?;
        sqlx::query(outbox::INSERT_OUTBOX)
            .bind(OutboxKind::Event.as_str())
            .bind(id)
            .bind($message_id)
            .bind($recorded_at)
            .bind(Some(body))
            .execute($tx)
            .await?;
        id
    }};
}

/// Membership just before `$event` as the transaction `$tx` sees it: the
/// latest unretracted event of its release and state ordered before it
/// (by time, then id) entered the state. The same rule as the log's
/// `Timeline::was_in_before`, in SQL, so a body rendered inside the
/// transaction says what `GET /api/v1/events/{id}` answers right after.
macro_rules! was_in_state {
    ($tx:expr, $event:expr) => {{
        let before: Option<bool> = sqlx::query_scalar(
            "SELECT e.reached FROM events e \
             WHERE e.dist_name = $1 AND e.release_name = $2 AND e.state_name = $3 \
               AND (e.happened_at < $4 OR (e.happened_at = $4 AND e.id < $5)) \
               AND NOT EXISTS (SELECT 1 FROM retractions r WHERE r.event_id = e.id) \
             ORDER BY e.happened_at DESC, e.id DESC LIMIT 1",
        )
        .bind($event.dist.as_str())
        .bind($event.release.as_str())
        .bind($event.state.as_str())
        .bind($event.at)
        .bind($event.id)
        .fetch_optional($tx)
        .await?;
        before.unwrap_or(false)
    }};
}

/// Runs the same body against whichever pool the store has.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

mod accounts;
mod outbox;
mod plans;
mod properties;
mod webhooks;

pub use accounts::{Disabled, SessionBackend, UserKey, UserListing, UserLogin, UserStanding};

pub use outbox::{finding_ref, OutboxClaim, OutboxEntry, OutboxKind, RenderBody};
pub use plans::PlanWrite;
pub use webhooks::{millis, AttemptRecord, DueDelivery, StoredSubscription, SubscriptionFields, WebhookHealth};

/// Who recorded a write and through what (`api`, `web`, `import`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Login or token name.
    pub name: String,
    /// Channel of the write.
    pub source: String,
}

/// Whether a database URL names PostgreSQL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Store {
    /// Connects (creating the SQLite file if needed) and applies migrations.
    /// `url` is `postgres://...`, `sqlite://path` or a plain file path.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = if is_postgres_url(url) {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(3))
                .connect_with(options)
                .await
                .map_err(StoreError::Unavailable)?;
            sqlx::migrate!("../migrations/postgres").run(&pool).await?;
            Store::Postgres(pool)
        } else {
            let url = if url.starts_with("sqlite:") { url.to_owned() } else { format!("sqlite://{url}") };
            // FULL in WAL mode syncs the log at every commit, so a `201`
            // survives power loss as well as a crash; the group commit of
            // new events keeps that to one sync per batch of writes.
            let options = SqliteConnectOptions::from_str(&url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(3))
                .connect_with(options)
                .await
                .map_err(StoreError::Unavailable)?;
            sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
            Store::Sqlite(pool)
        };
        Ok(store)
    }

    /// Connections of the pool: (open, idle, most allowed).
    pub fn pool_use(&self) -> (u32, u32, u32) {
        match self {
            Store::Sqlite(pool) => (pool.size(), pool.num_idle() as u32, pool.options().get_max_connections()),
            Store::Postgres(pool) => (pool.size(), pool.num_idle() as u32, pool.options().get_max_connections()),
        }
    }

    /// When the oldest event with an id above `after` was recorded (`None`
    /// when there is none): how long an instance whose projection stops at
    /// `after` has been behind the database.
    pub async fn first_recorded_after(&self, after: i64) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<Timestamp> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT recorded_at FROM events WHERE id > $1 ORDER BY id LIMIT 1")
                .bind(after)
                .fetch_optional(pool)
                .await?
        });
        Ok(at)
    }

    /// Says which database this is, without secrets: for start-up logs.
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(pool) => {
                let options = pool.connect_options();
                format!("SQLite file {}", options.get_filename().display())
            }
            Store::Postgres(pool) => {
                let o = pool.connect_options();
                format!("PostgreSQL {}:{}/{}", o.get_host(), o.get_port(), o.get_database().unwrap_or("(default)"))
            }
        }
    }

    /// Closes every connection; in-flight queries finish first.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    /// A round trip to the database, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// A round trip on a connection of its own, outside the pool: while the
    /// database refuses connections this fails at once, where the pool
    /// would retry until its acquire timeout. For failing fast during an
    /// outage (`api::outage`). SQLite has no server to lose: a pool ping.
    pub async fn probe(&self) -> Result<(), StoreError> {
        use sqlx::{ConnectOptions, Connection};
        match self {
            Store::Postgres(pool) => {
                let mut connection = pool.connect_options().connect().await.map_err(StoreError::Unavailable)?;
                connection.ping().await.map_err(StoreError::Unavailable)?;
                // The probe's own connection; the pool makes its own again.
                let _ = connection.close().await;
                Ok(())
            }
            Store::Sqlite(_) => self.ping().await,
        }
    }

    /// Appends events in one transaction (one commit for the whole batch),
    /// each with its outbox row, so the message bus hears of every committed
    /// event and of nothing else; answers what became of each, in order.
    /// All are stored or none. An event whose caller's idempotency key was
    /// used before (in the log or earlier in the batch) is not stored again:
    /// [`Appended::Replayed`], or [`Appended::KeyReused`] when the key came
    /// with a different request. Never touches the broker.
    /// [`StoreError::InDoubt`] when the connection failed during the commit.
    pub async fn insert_events(
        &self,
        batch: &[EventToAppend],
        recorded_at: Timestamp,
        bodies: &dyn RenderBody,
    ) -> Result<Vec<Appended>, StoreError> {
        // Keys are looked up before rows are written: on SQLite the
        // transaction must hold the write lock from the start (see
        // `insert_retraction`).
        let begin = if matches!(self, Store::Sqlite(_)) { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let mut message_ids = Vec::with_capacity(batch.len());
        let mut planned = Vec::with_capacity(batch.len());
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            if matches!(self, Store::Postgres(_)) {
                sqlx::query(LOCK_FOR_WRITE).bind(WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            // Keys stored earlier in this batch: (owner, key) -> (fingerprint, event).
            let mut in_batch: HashMap<(&str, &str), (&str, i64)> = HashMap::new();
            for row in batch {
                if let Some(key) = &row.key {
                    let owner = row.actor.name.as_str();
                    let earlier = match in_batch.get(&(owner, key.key.as_str())) {
                        Some(&(fingerprint, id)) => Some((fingerprint.to_owned(), id)),
                        None => sqlx::query_as::<_, (String, i64)>(
                            "SELECT fingerprint, event_id FROM idempotency_keys WHERE owner = $1 AND client_key = $2",
                        )
                        .bind(owner)
                        .bind(&key.key)
                        .fetch_optional(&mut *tx)
                        .await?,
                    };
                    if let Some((fingerprint, id)) = earlier {
                        planned.push(if fingerprint == key.fingerprint { Appended::Replayed(id) } else { Appended::KeyReused(id) });
                        continue;
                    }
                }
                let message_id = outbox::new_message_id();
                let id = insert_event!(&mut *tx, bodies, &row.event, &row.actor, recorded_at, None::<i64>, &message_id);
                message_ids.push(message_id);
                if let Some(key) = &row.key {
                    sqlx::query(
                        "INSERT INTO idempotency_keys (owner, client_key, fingerprint, event_id, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&row.actor.name)
                    .bind(&key.key)
                    .bind(&key.fingerprint)
                    .bind(id)
                    .bind(recorded_at)
                    .execute(&mut *tx)
                    .await?;
                    in_batch.insert((row.actor.name.as_str(), key.key.as_str()), (key.fingerprint.as_str(), id));
                }
                planned.push(Appended::Stored(id));
            }
            if let Err(e) = tx.commit().await {
                return Err(commit_failed(e, message_ids, planned));
            }
        });
        Ok(planned)
    }

    /// Retracts an event, with its outbox row in the same transaction;
    /// returns the retraction's id. With a `correction`, the corrected
    /// event is stored in that same transaction (naming the retracted one
    /// in `corrects`) and its id returned too. `NotFound` for an unknown
    /// event, `Conflict` when it is already retracted, `InDoubt` when the
    /// connection failed during the commit.
    pub async fn insert_retraction(
        &self,
        event_id: i64,
        reason: &str,
        actor: &Actor,
        recorded_at: Timestamp,
        correction: Option<&NewEvent>,
        bodies: &dyn RenderBody,
    ) -> Result<(i64, Option<i64>), StoreError> {
        // This transaction reads before it writes. A deferred SQLite
        // transaction would then fail at once with SQLITE_BUSY if another
        // connection (the bus publisher marking rows sent) wrote in between;
        // IMMEDIATE takes the write lock first and waits its turn instead.
        let begin = if matches!(self, Store::Sqlite(_)) { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let mut message_ids = vec![outbox::new_message_id()];
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            if matches!(self, Store::Postgres(_)) {
                sqlx::query(LOCK_FOR_WRITE).bind(WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            let row: Option<EventRow> = sqlx::query_as(rows::SELECT_EVENT)
                .bind(event_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(StoreError::NotFound);
            };
            let retracted = Event::try_from(row)?;
            let already: Option<i64> = sqlx::query_scalar("SELECT id FROM retractions WHERE event_id = $1")
                .bind(event_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(r) = already {
                return Err(StoreError::Conflict(format!("event {event_id} is already retracted (retraction {r})")));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO retractions (event_id, reason, recorded_at, recorded_by, source) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(event_id)
            .bind(reason)
            .bind(recorded_at)
            .bind(&actor.name)
            .bind(&actor.source)
            .fetch_one(&mut *tx)
            .await?;
            // The retraction's row goes first (its message precedes the
            // correction's); its body names the correction, so it is
            // rendered once that is stored.
            sqlx::query(outbox::INSERT_OUTBOX)
                .bind(OutboxKind::Retraction.as_str())
                .bind(id)
                .bind(&message_ids[0])
                .bind(recorded_at)
                .bind(None::<String>)
                .execute(&mut *tx)
                .await?;
            let corrected = match correction {
                None => None,
                Some(e) => {
                    let message_id = outbox::new_message_id();
                    let new_id = insert_event!(&mut *tx, bodies, e, actor, recorded_at, Some(event_id), &message_id);
                    message_ids.push(message_id);
                    Some(new_id)
                }
            };
            let retraction = RetractionRecord {
                id,
                event_id,
                reason: reason.to_owned(),
                recorded_at,
                recorded_by: std::sync::Arc::from(actor.name.as_str()),
                source: std::sync::Arc::from(actor.source.as_str()),
            };
            let was = was_in_state!(&mut *tx, &retracted);
            let event = EventRecord::new(&retracted, was, Some(retraction.clone()), corrected);
            let body = bodies.retraction(&retraction, &event).map_err(outbox::unrenderable)?;
            sqlx::query("UPDATE outbox SET body = $1 WHERE kind = $2 AND ref_id = $3")
                .bind(body)
                .bind(OutboxKind::Retraction.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if let Err(e) = tx.commit().await {
                let planned = std::iter::once(id).chain(corrected).map(Appended::Stored).collect();
                return Err(commit_failed(e, message_ids, planned));
            }
            (id, corrected)
        });
        Ok(id)
    }

    /// What became of a transaction whose commit is in doubt
    /// ([`StoreError::InDoubt`]): the ids of the rows (events or
    /// retractions) whose outbox rows carry `message_ids`, in order, if it
    /// committed; `None` if it did not. The outbox keeps its rows after
    /// sending, and a transaction commits all of them or none.
    pub async fn committed_refs(&self, message_ids: &[String]) -> Result<Option<Vec<i64>>, StoreError> {
        let mut refs = Vec::with_capacity(message_ids.len());
        for message_id in message_ids {
            let found: Option<i64> = with_pool!(self, pool => {
                sqlx::query_scalar("SELECT ref_id FROM outbox WHERE message_id = $1")
                    .bind(message_id)
                    .fetch_optional(pool)
                    .await?
            });
            refs.push(found);
        }
        match refs.iter().filter(|r| r.is_some()).count() {
            0 => Ok(None),
            n if n == refs.len() => Ok(Some(refs.into_iter().flatten().collect())),
            n => Err(StoreError::Corrupt(format!("{n} of {} rows of one transaction are stored", refs.len()))),
        }
    }

    /// Events with id above `after`, in id order, at most `limit`.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        match self {
            // One JSON column per row: sqlx copies every SQLite value it hands
            // over, and at a million rows that per-column cost dominated
            // start-up (see docs/benchmarks.md).
            Store::Sqlite(pool) => {
                let rows: Vec<(i64, String)> =
                    sqlx::query_as(rows::SELECT_EVENTS_AFTER_PACKED).bind(after).bind(limit).fetch_all(pool).await?;
                rows.into_iter().map(|(id, packed)| rows::unpack_event(id, &packed)).collect()
            }
            Store::Postgres(pool) => {
                let rows: Vec<EventRow> =
                    sqlx::query_as(rows::SELECT_EVENTS_AFTER).bind(after).bind(limit).fetch_all(pool).await?;
                rows.into_iter().map(Event::try_from).collect()
            }
        }
    }

    /// Streams every event with id above `after` into `apply`, in id order,
    /// without holding the whole result in memory.
    pub async fn for_each_event_after(
        &self,
        after: i64,
        mut apply: impl FnMut(Event) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut rows = sqlx::query_as::<_, EventRow>(rows::SELECT_EVENTS_AFTER)
                .bind(after)
                .bind(i64::MAX)
                .fetch(pool);
            while let Some(row) = rows.try_next().await? {
                apply(Event::try_from(row)?)?;
            }
        });
        Ok(())
    }

    /// Retractions with id above `after`, in id order, at most `limit`.
    pub async fn retractions_after(&self, after: i64, limit: i64) -> Result<Vec<Retraction>, StoreError> {
        let rows: Vec<RetractionRow> = with_pool!(self, pool => {
            sqlx::query_as(rows::SELECT_RETRACTIONS_AFTER).bind(after).bind(limit).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Retraction::from).collect())
    }

    /// The highest event and retraction ids stored (0 when none).
    pub async fn max_ids(&self) -> Result<(i64, i64), StoreError> {
        let ids = with_pool!(self, pool => {
            let e: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events").fetch_one(pool).await?;
            let r: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM retractions").fetch_one(pool).await?;
            (e.unwrap_or(0), r.unwrap_or(0))
        });
        Ok(ids)
    }

    /// Writes events, retractions, property changes and plans with their ids, all
    /// in one transaction: either everything is stored or nothing. Imports
    /// add no outbox rows: restoring or moving history is not news for the
    /// bus. Called by `crate::log::LogWriter::import` only.
    pub async fn import_all(
        &self,
        events: &[Event],
        retractions: &[Retraction],
        property_changes: &[PropertyChange],
        plans: &[app::model::plans::Plan],
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if matches!(self, Store::Postgres(_)) {
                sqlx::query(LOCK_FOR_WRITE).bind(WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            for chunk in events.chunks(IMPORT_BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO events (id, dist_name, release_name, state_name, reached, happened_at, \
                     recorded_at, recorded_by, source, note, link, corrects) ",
                );
                q.push_values(chunk, |mut b, e| {
                    b.push_bind(e.id)
                        .push_bind(e.dist.as_str())
                        .push_bind(e.release.as_str())
                        .push_bind(e.state.as_str())
                        .push_bind(e.reached)
                        .push_bind(e.at)
                        .push_bind(e.recorded_at)
                        .push_bind(&*e.recorded_by)
                        .push_bind(&*e.source)
                        .push_bind(e.note.as_deref())
                        .push_bind(e.link.as_deref())
                        .push_bind(e.corrects);
                });
                q.build().execute(&mut *tx).await?;
            }
            for chunk in retractions.chunks(IMPORT_BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO retractions (id, event_id, reason, recorded_at, recorded_by, source) ",
                );
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.id)
                        .push_bind(r.event_id)
                        .push_bind(&r.reason)
                        .push_bind(r.recorded_at)
                        .push_bind(&*r.recorded_by)
                        .push_bind(&*r.source);
                });
                q.build().execute(&mut *tx).await?;
            }
            for chunk in property_changes.chunks(IMPORT_BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO property_changes (id, dist_name, release_name, prop_key, value, happened_at, \
                     recorded_at, recorded_by, source) ",
                );
                q.push_values(chunk, |mut b, c| {
                    b.push_bind(c.id)
                        .push_bind(c.dist.as_str())
                        .push_bind(properties::release_name(c.release.as_ref()))
                        .push_bind(c.key.as_str())
                        .push_bind(c.value.as_deref())
                        .push_bind(c.at)
                        .push_bind(c.recorded_at)
                        .push_bind(&*c.recorded_by)
                        .push_bind(&*c.source);
                });
                q.build().execute(&mut *tx).await?;
            }
            for chunk in plans.chunks(IMPORT_BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO plans (id, dist_name, release_name, state_name, reached, planned_at, \
                     cancelled, note, link, recorded_at, recorded_by, source) ",
                );
                q.push_values(chunk, |mut b, p| {
                    b.push_bind(p.id)
                        .push_bind(p.key.dist.as_str())
                        .push_bind(p.key.release.as_str())
                        .push_bind(p.key.state.as_str())
                        .push_bind(p.key.reached)
                        .push_bind(p.at)
                        .push_bind(p.cancelled)
                        .push_bind(p.note.as_deref())
                        .push_bind(p.link.as_deref())
                        .push_bind(p.recorded_at)
                        .push_bind(&*p.recorded_by)
                        .push_bind(&*p.source);
                });
                q.build().execute(&mut *tx).await?;
            }
            if matches!(self, Store::Postgres(_)) {
                // Explicit ids do not move PostgreSQL's sequences; SQLite's
                // AUTOINCREMENT follows by itself.
                for table in ["events", "retractions", "property_changes", "plans"] {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         GREATEST((SELECT MAX(id) FROM {table}), 1))"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores a new API token (its hash only), owned by a person when it
    /// was made on the tokens page. `Conflict` when an active token already
    /// has that name.
    pub async fn create_token(
        &self,
        name: &str,
        token_hash: &str,
        created_at: Timestamp,
        expires_at: Option<Timestamp>,
        owner: Option<&UserKey>,
    ) -> Result<i64, StoreError> {
        let id = with_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO api_tokens (name, token_hash, created_at, expires_at, owner_issuer, owner_subject) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(name)
            .bind(token_hash)
            .bind(created_at)
            .bind(expires_at)
            .bind(owner.map(|o| o.issuer.as_str()))
            .bind(owner.map(|o| o.subject.as_str()))
            .fetch_one(pool)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("an active token named `{name}` exists")),
                other => other,
            })?
        });
        Ok(id)
    }

    /// Every token, newest first (hashes are not returned).
    pub async fn list_tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let rows = with_pool!(self, pool => {
            sqlx::query_as(&format!("{} ORDER BY id DESC", rows::SELECT_TOKENS)).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Revokes the active token with this name; `NotFound` if none.
    pub async fn revoke_token(&self, name: &str, at: Timestamp) -> Result<(), StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                .bind(at)
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if done == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// The token with this hash, revoked or not.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRow>, StoreError> {
        let row = with_pool!(self, pool => {
            sqlx::query_as(&format!("{} WHERE token_hash = $1", rows::SELECT_TOKENS))
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
        });
        Ok(row)
    }

    /// Records that a token was used.
    pub async fn touch_token(&self, id: i64, at: Timestamp) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
