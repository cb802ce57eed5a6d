//! SQL of the plans (migration 0008): append-only revisions per transition
//! key, like the events. A cancellation is a revision too; it keeps the
//! date it cancels, so it is written in a transaction that reads the key's
//! current revision under the write lock. Each revision gets its outbox
//! row (`plan.changed`) in that transaction.

use std::sync::Arc;

use app::model::plans::{NewPlan, Plan, PlanRecord, TransitionKey};
use app::model::{Dist, Release, State, Timestamp};

use super::outbox::{self, OutboxKind, RenderBody, INSERT_OUTBOX};
use super::{Actor, Store, StoreError, LOCK_FOR_WRITE, WRITE_LOCK_KEY};

const SELECT_PLANS_AFTER: &str = "SELECT id, dist_name, release_name, state_name, reached, planned_at, \
     cancelled, note, link, recorded_at, recorded_by, source FROM plans WHERE id > $1 ORDER BY id LIMIT $2";

const INSERT_PLAN: &str = "INSERT INTO plans (dist_name, release_name, state_name, reached, planned_at, \
     cancelled, note, link, recorded_at, recorded_by, source) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    dist_name: String,
    release_name: String,
    state_name: String,
    reached: bool,
    planned_at: Timestamp,
    cancelled: bool,
    note: Option<String>,
    link: Option<String>,
    recorded_at: Timestamp,
    recorded_by: String,
    source: String,
}

impl TryFrom<PlanRow> for Plan {
    type Error = StoreError;

    fn try_from(r: PlanRow) -> Result<Self, StoreError> {
        let corrupt = |e: app::model::ValidationError| StoreError::Corrupt(format!("plan {}: {e}", r.id));
        Ok(Plan {
            id: r.id,
            key: TransitionKey {
                dist: Dist::parse(&r.dist_name).map_err(corrupt)?,
                release: Release::parse(&r.release_name).map_err(corrupt)?,
                state: State::parse(&r.state_name).map_err(corrupt)?,
                reached: r.reached,
            },
            at: r.planned_at,
            cancelled: r.cancelled,
            note: r.note,
            link: r.link,
            recorded_at: r.recorded_at,
            recorded_by: Arc::from(r.recorded_by),
            source: Arc::from(r.source),
        })
    }
}

/// What a plan write asks for.
#[derive(Debug, Clone)]
pub enum PlanWrite {
    /// A new revision with this date (the first, or a move).
    Plan(NewPlan),
    /// A cancelling revision of this key, with the reason.
    Cancel(TransitionKey, String),
}

impl Store {
    /// Stores one revision with its outbox row and returns its id. A
    /// cancellation of a key that has no plan is [`StoreError::NotFound`];
    /// it keeps the date of the revision it cancels.
    pub async fn insert_plan(
        &self,
        write: &PlanWrite,
        actor: &Actor,
        now: Timestamp,
        bodies: &dyn RenderBody,
    ) -> Result<i64, StoreError> {
        // Reads before it writes: take the write lock first (see
        // `insert_retraction`).
        let begin = if matches!(self, Store::Sqlite(_)) { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            if matches!(self, Store::Postgres(_)) {
                sqlx::query(LOCK_FOR_WRITE).bind(WRITE_LOCK_KEY).execute(&mut *tx).await?;
            }
            let key = match write {
                PlanWrite::Plan(plan) => &plan.key,
                PlanWrite::Cancel(key, _) => key,
            };
            let (revisions, previous_at): (i64, Option<Timestamp>) = sqlx::query_as(
                "SELECT COUNT(*), (SELECT planned_at FROM plans WHERE dist_name = $1 AND release_name = $2 \
                 AND state_name = $3 AND reached = $4 ORDER BY id DESC LIMIT 1) \
                 FROM plans WHERE dist_name = $1 AND release_name = $2 AND state_name = $3 AND reached = $4",
            )
            .bind(key.dist.as_str())
            .bind(key.release.as_str())
            .bind(key.state.as_str())
            .bind(key.reached)
            .fetch_one(&mut *tx)
            .await?;
            let plan = match write {
                PlanWrite::Plan(plan) => NewPlan { cancelled: false, ..plan.clone() },
                PlanWrite::Cancel(key, reason) => {
                    let Some(at) = previous_at else { return Err(StoreError::NotFound) };
                    NewPlan { key: key.clone(), at, cancelled: true, note: Some(reason.clone()), link: None }
                }
            };
            let id: i64 = sqlx::query_scalar(INSERT_PLAN)
                .bind(plan.key.dist.as_str())
                .bind(plan.key.release.as_str())
                .bind(plan.key.state.as_str())
                .bind(plan.key.reached)
                .bind(plan.at)
                .bind(plan.cancelled)
                .bind(plan.note.as_deref())
                .bind(plan.link.as_deref())
                .bind(now)
                .bind(&actor.name)
                .bind(&actor.source)
                .fetch_one(&mut *tx)
                .await?;
            let record = PlanRecord {
                id,
                dist: plan.key.dist.clone(),
                release: plan.key.release.clone(),
                state: plan.key.state.clone(),
                reached: plan.key.reached,
                at: plan.at,
                revision: u32::try_from(revisions + 1).unwrap_or(u32::MAX),
                previous_at,
                cancelled: plan.cancelled,
                recorded_at: now,
                recorded_by: Arc::from(actor.name.as_str()),
                source: Arc::from(actor.source.as_str()),
                note: plan.note.clone(),
                link: plan.link.clone(),
            };
            let body = bodies.plan(&record).map_err(outbox::unrenderable)?;
            sqlx::query(INSERT_OUTBOX)
                .bind(OutboxKind::Plan.as_str())
                .bind(id)
                .bind(outbox::new_message_id())
                .bind(now)
                .bind(body)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The highest plan id stored (0 when none).
    pub async fn max_plan_id(&self) -> Result<i64, StoreError> {
        let id: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(id) FROM plans").fetch_one(pool).await?
        });
        Ok(id.unwrap_or(0))
    }

    /// Plan revisions with id above `after`, in id order, at most `limit`.
    pub async fn plans_after(&self, after: i64, limit: i64) -> Result<Vec<Plan>, StoreError> {
        let rows: Vec<PlanRow> = with_pool!(self, pool => {
            sqlx::query_as(SELECT_PLANS_AFTER).bind(after).bind(limit).fetch_all(pool).await?
        });
        rows.into_iter().map(Plan::try_from).collect()
    }
}
