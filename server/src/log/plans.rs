//! Plans: a new revision of a transition's plan, or its cancellation
//! (no outbox rows yet: plans are not announced on the bus). Plans are a
//! table of their own; nothing written here changes what the log says
//! happened.

use app::model::plans::{NewPlan, PlanRecord, TransitionKey};

use super::{now, LogWriter, WriteError};
use crate::store::{Actor, PlanWrite, StoreError};

impl LogWriter {
    /// Stores `plan` as the next revision of its key and answers it as
    /// `GET /api/v1/views/{dist}/schedule` shows revisions.
    pub async fn plan(&self, plan: NewPlan, actor: Actor) -> Result<PlanRecord, WriteError> {
        self.write_plan(PlanWrite::Plan(plan), actor).await
    }

    /// Cancels the plan of `key` ([`WriteError::NotFound`] when it has
    /// none); the cancelling revision keeps the date it cancels and has
    /// `reason` as its note.
    pub async fn cancel_plan(
        &self,
        key: TransitionKey,
        reason: String,
        actor: Actor,
    ) -> Result<PlanRecord, WriteError> {
        self.write_plan(PlanWrite::Cancel(key, reason), actor).await
    }

    async fn write_plan(&self, write: PlanWrite, actor: Actor) -> Result<PlanRecord, WriteError> {
        let shared = &self.0;
        let id = shared.store.insert_plan(&write, &actor, now()).await.map_err(|e| match (e, &write) {
            (StoreError::NotFound, PlanWrite::Cancel(key, _)) => WriteError::NotFound(format!(
                "no plan for {} {} {} {}",
                key.dist,
                key.release,
                if key.reached { "entering" } else { "leaving" },
                key.state
            )),
            (other, _) => other.into(),
        })?;
        let caught_up = shared.projection.catch_up(&shared.store).await;
        shared.bus.wake();
        caught_up?;
        let record = shared.projection.read().plans().record(id);
        let record = record.ok_or_else(|| WriteError::internal(format!("plan {id} missing after commit")))?;
        tracing::info!(dist = %record.dist, release = %record.release, state = %record.state, revision = record.revision, cancelled = record.cancelled, "plan recorded");
        Ok(record)
    }
}
