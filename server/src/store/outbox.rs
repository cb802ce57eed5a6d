//! The outbox of the message bus, as SQL: rows written in the same
//! transaction as each event, retraction and plan revision (see
//! `Store::insert_events`), rows announcing an overdue plan or an audit
//! finding written at most once per key ([`Store::announce_once`]),
//! claimed in id order by the publisher and marked sent after the broker's
//! confirm. Nothing here knows AMQP; that lives in `crate::bus`.

use app::model::audit::Finding;
use app::model::event::{EventRecord, RetractionRecord};
use app::model::plans::{PlanRecord, PlanView};
use app::model::Timestamp;
use sqlx::{PgPool, Postgres, SqlitePool, Transaction};

use super::{Store, StoreError};

/// Key of the PostgreSQL advisory lock held by the instance that is
/// publishing. One publisher at a time keeps messages in commit order even
/// with several servers on one database; the others skip a round.
const PUBLISH_LOCK_KEY: i64 = 0x7274_6f75_7462; // "rtoutb"

/// Adds the outbox row of a new event or retraction; run inside the
/// transaction that stores it.
pub(super) const INSERT_OUTBOX: &str =
    "INSERT INTO outbox (kind, ref_id, message_id, created_at, body) VALUES ($1, $2, $3, $4, $5)";

const SELECT_OUTBOX: &str =
    "SELECT id, kind, ref_id, message_id, created_at, sent_at, attempts, last_error, body FROM outbox";

/// Renders the body of an outbox row inside the transaction that writes
/// it, so a message says what was true at its commit however long it
/// waits for the broker. The format is the bus's
/// (`crate::bus::message::Bodies`); the store only keeps the bytes.
pub trait RenderBody: Send + Sync + std::fmt::Debug {
    /// The body of a new event's message.
    fn event(&self, event: &EventRecord) -> Result<String, serde_json::Error>;
    /// The body of a retraction's message; `event` is the retracted event
    /// as it reads with the retraction.
    fn retraction(&self, retraction: &RetractionRecord, event: &EventRecord) -> Result<String, serde_json::Error>;
    /// The body of a new plan revision's message.
    fn plan(&self, plan: &PlanRecord) -> Result<String, serde_json::Error>;
    /// The body of an overdue plan's message: the key's plan as
    /// `GET /api/v1/plans` shows it.
    fn plan_overdue(&self, plan: &PlanView) -> Result<String, serde_json::Error>;
    /// The body of a new audit finding's message; `bodhi` is the audited
    /// source and `checked_at` the run that found it.
    fn audit_drift(&self, finding: &Finding, bodhi: &str, checked_at: Timestamp) -> Result<String, serde_json::Error>;
}

/// A body that cannot be rendered fails its write (nothing is stored).
pub(super) fn unrenderable(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("cannot render a message body: {e}"))
}

/// A new message id: a random UUID, drawn once when the row is written and
/// reused for every delivery of that message.
pub(super) fn new_message_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What an outbox row announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    /// A new event; `ref_id` is the event id.
    Event,
    /// A retraction; `ref_id` is the retraction id.
    Retraction,
    /// A plan revision (new, moved or cancelled); `ref_id` is its id.
    Plan,
    /// A plan found overdue; `ref_id` is the id of the revision that is
    /// overdue, so each key and revision is announced once.
    PlanOverdue,
    /// A new disagreement with Bodhi; `ref_id` identifies the finding
    /// ([`finding_ref`]), so each is announced once.
    AuditDrift,
}

impl OutboxKind {
    /// The value stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Event => "event",
            OutboxKind::Retraction => "retraction",
            OutboxKind::Plan => "plan",
            OutboxKind::PlanOverdue => "plan_overdue",
            OutboxKind::AuditDrift => "audit_drift",
        }
    }

    fn parse(value: &str) -> Result<Self, StoreError> {
        match value {
            "event" => Ok(OutboxKind::Event),
            "retraction" => Ok(OutboxKind::Retraction),
            "plan" => Ok(OutboxKind::Plan),
            "plan_overdue" => Ok(OutboxKind::PlanOverdue),
            "audit_drift" => Ok(OutboxKind::AuditDrift),
            other => Err(StoreError::Corrupt(format!("unknown outbox kind `{other}`"))),
        }
    }
}

/// One message waiting for (or done with) the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Position in the one order all messages go out in.
    pub id: i64,
    /// Event or retraction.
    pub kind: OutboxKind,
    /// The event or retraction id.
    pub ref_id: i64,
    /// The AMQP `message_id`, the same on every delivery.
    pub message_id: String,
    /// When the write that produced it was committed.
    pub created_at: Timestamp,
    /// When the broker confirmed it; `None` while pending.
    pub sent_at: Option<Timestamp>,
    /// Publish attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// The message body as rendered at commit; `None` only for rows
    /// written before bodies were stored.
    pub body: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    kind: String,
    ref_id: i64,
    message_id: String,
    created_at: Timestamp,
    sent_at: Option<Timestamp>,
    attempts: i64,
    last_error: Option<String>,
    body: Option<String>,
}

impl TryFrom<OutboxRow> for OutboxEntry {
    type Error = StoreError;

    fn try_from(r: OutboxRow) -> Result<Self, StoreError> {
        Ok(OutboxEntry {
            id: r.id,
            kind: OutboxKind::parse(&r.kind)?,
            ref_id: r.ref_id,
            message_id: r.message_id,
            created_at: r.created_at,
            sent_at: r.sent_at,
            attempts: r.attempts,
            last_error: r.last_error,
            body: r.body,
        })
    }
}

fn entries(rows: Vec<OutboxRow>) -> Result<Vec<OutboxEntry>, StoreError> {
    rows.into_iter().map(OutboxEntry::try_from).collect()
}

/// The two updates of `settle` on an open transaction of either dialect.
macro_rules! mark {
    ($tx:expr, $db:ty, $sent:expr, $unsent:expr, $failure:expr, $at:expr) => {{
        if !$sent.is_empty() {
            let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE outbox SET sent_at = ");
            q.push_bind($at).push(", attempts = attempts + 1, last_error = NULL WHERE id IN (");
            let mut ids = q.separated(", ");
            for id in $sent {
                ids.push_bind(*id);
            }
            q.push(")").build().execute(&mut *$tx).await?;
        }
        if let (Some(error), false) = ($failure, $unsent.is_empty()) {
            let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE outbox SET attempts = attempts + 1, last_error = ");
            q.push_bind(error).push(" WHERE id IN (");
            let mut ids = q.separated(", ");
            for id in $unsent {
                ids.push_bind(*id);
            }
            q.push(")").build().execute(&mut *$tx).await?;
        }
    }};
}

/// What keeps a claim exclusive until it is settled.
#[derive(Debug)]
enum Hold {
    /// SQLite has one publisher per process and no row locks: nothing is
    /// held, so writers never wait for the broker.
    Sqlite(SqlitePool),
    /// The open transaction holding the publish lock and the row locks;
    /// dropping it (a crash) rolls back and leaves the rows pending.
    Postgres(Transaction<'static, Postgres>),
}

/// Pending rows claimed for one publish round, oldest first. Settle it with
/// [`OutboxClaim::settle`]; dropping it unsettled leaves every row pending.
#[derive(Debug)]
pub struct OutboxClaim {
    entries: Vec<OutboxEntry>,
    hold: Hold,
}

impl OutboxClaim {
    /// The claimed rows, in the order they must be published.
    pub fn entries(&self) -> &[OutboxEntry] {
        &self.entries
    }

    /// Records the outcome of the round: the first `confirmed` rows were
    /// acknowledged by the broker and are sent; with `failure`, the rest
    /// were not and keep the error for the next attempt.
    pub async fn settle(self, confirmed: usize, failure: Option<&str>, at: Timestamp) -> Result<(), StoreError> {
        let confirmed = confirmed.min(self.entries.len());
        let (sent, unsent) = self.entries.split_at(confirmed);
        let sent: Vec<i64> = sent.iter().map(|e| e.id).collect();
        let unsent: Vec<i64> = if failure.is_some() { unsent.iter().map(|e| e.id).collect() } else { Vec::new() };
        match self.hold {
            Hold::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                mark!(tx, sqlx::Sqlite, &sent, &unsent, failure, at);
                tx.commit().await?;
            }
            Hold::Postgres(mut tx) => {
                mark!(tx, Postgres, &sent, &unsent, failure, at);
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// The outbox `ref_id` of an audit finding: the first eight bytes of the
/// SHA-256 of what identifies it (kind, dist, release, Bodhi's name, both
/// values), as a non-negative integer. Every instance computes the same
/// one, so a finding seen by several is announced once; the same
/// disagreement found again after it went away is not announced again.
pub fn finding_ref(finding: &Finding) -> i64 {
    use sha2::{Digest, Sha256};
    let identity = serde_json::json!([
        finding.kind,
        finding.dist,
        finding.release,
        finding.bodhi_name,
        finding.bodhi,
        finding.ours
    ]);
    let digest = Sha256::digest(identity.to_string().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) >> 1) as i64
}

impl Store {
    /// Adds an outbox row of `kind` for `ref_id` unless one exists (from
    /// this instance or another): answers whether it did. For
    /// announcements that no write carries — an overdue plan, an audit
    /// finding — and that must go out once however many instances notice.
    pub async fn announce_once(
        &self,
        kind: OutboxKind,
        ref_id: i64,
        body: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO outbox (kind, ref_id, message_id, created_at, body) VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (kind, ref_id) DO NOTHING";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Under the log's write lock, like every other outbox row: ids
            // then commit in order, which the webhook fan-out's cursor
            // ("id > last") relies on.
            if matches!(self, Store::Postgres(_)) {
                sqlx::query(super::LOCK_FOR_WRITE).bind(super::WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            let n = sqlx::query(sql)
                .bind(kind.as_str())
                .bind(ref_id)
                .bind(new_message_id())
                .bind(at)
                .bind(body)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            n
        });
        Ok(done == 1)
    }

    /// Claims up to `limit` pending rows, oldest first. On PostgreSQL the
    /// rows stay locked (`FOR UPDATE SKIP LOCKED`) until the claim is
    /// settled or dropped, and an instance that finds another one
    /// publishing gets an empty claim, so each message goes out once and in
    /// order. On SQLite the caller must be the only publisher.
    pub async fn claim_outbox(&self, limit: i64) -> Result<OutboxClaim, StoreError> {
        match self {
            Store::Sqlite(pool) => {
                let rows: Vec<OutboxRow> =
                    sqlx::query_as(&format!("{SELECT_OUTBOX} WHERE sent_at IS NULL ORDER BY id LIMIT $1"))
                        .bind(limit)
                        .fetch_all(pool)
                        .await?;
                Ok(OutboxClaim { entries: entries(rows)?, hold: Hold::Sqlite(pool.clone()) })
            }
            Store::Postgres(pool) => claim_postgres(pool, limit).await,
        }
    }

    /// How many rows wait for the broker.
    pub async fn outbox_pending(&self) -> Result<i64, StoreError> {
        let n = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetch_one(pool).await?
        });
        Ok(n)
    }

    /// Outbox rows with id above `after`, sent or not, in id order, at most
    /// `limit`: for audits and tests.
    pub async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows: Vec<OutboxRow> = with_pool!(self, pool => {
            sqlx::query_as(&format!("{SELECT_OUTBOX} WHERE id > $1 ORDER BY id LIMIT $2"))
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        entries(rows)
    }
}

async fn claim_postgres(pool: &PgPool, limit: i64) -> Result<OutboxClaim, StoreError> {
    let mut tx = pool.begin().await?;
    let ours: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)").bind(PUBLISH_LOCK_KEY).fetch_one(&mut *tx).await?;
    let rows: Vec<OutboxRow> = if ours {
        // SKIP LOCKED on top of the lock: a row is never handed to two
        // publishers, whatever else locks it.
        sqlx::query_as(&format!("{SELECT_OUTBOX} WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
    } else {
        Vec::new()
    };
    Ok(OutboxClaim { entries: entries(rows)?, hold: Hold::Postgres(tx) })
}

impl Store {
    /// When the oldest message still waiting for the broker was written
    /// (`None` when none waits): how far the bus is behind.
    pub async fn oldest_pending_outbox(&self) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<Timestamp> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT created_at FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 1")
                .fetch_optional(pool)
                .await?
        });
        Ok(at)
    }
}
