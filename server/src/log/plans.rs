//! Plans: a new revision of a transition's plan, or its cancellation,
//! each announced on the bus (`plan.changed`); and the announcement of
//! plans that became overdue (`plan.overdue`, once per key and revision
//! across instances). Plans are a table of their own; nothing written here
//! changes what the log says happened.

use std::collections::HashSet;

use app::model::audit::Finding;
use app::model::plans::{list, NewPlan, PlanQuery, PlanRecord, PlanStatus, PlanView, TransitionKey};
use app::model::Timestamp;

use super::{now, with_cause, LogWriter, WriteError};
use crate::store::{finding_ref, Actor, OutboxKind, PlanWrite, RenderBody, StoreError};

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
        let _counted = self.0.in_flight.enter();
        let shared = &self.0;
        let started = std::time::Instant::now();
        let id = shared.store.insert_plan(&write, &actor, now(), shared.bus.bodies()).await.map_err(|e| {
            match (e, &write) {
                (StoreError::NotFound, PlanWrite::Cancel(key, _)) => WriteError::NotFound(format!(
                    "no plan for {} {} {} {}",
                    key.dist,
                    key.release,
                    if key.reached { "entering" } else { "leaving" },
                    key.state
                )),
                (other, _) => other.into(),
            }
        })?;
        crate::metrics::committed(crate::metrics::WriteKind::Plan, 1, started.elapsed());
        let caught_up = shared.projection.catch_up(&shared.store).await;
        shared.bus.wake();
        caught_up?;
        let record = shared.projection.read().plans().record(id);
        let record = record.ok_or_else(|| WriteError::internal(format!("plan {id} missing after commit")))?;
        tracing::info!(dist = %record.dist, release = %record.release, state = %record.state, revision = record.revision, cancelled = record.cancelled, "plan recorded");
        Ok(record)
    }
}

/// Which overdue revisions this instance has already seen announced, so a
/// round only asks the database about new ones.
#[derive(Debug, Default)]
pub struct OverdueAnnounced(HashSet<i64>);

impl LogWriter {
    /// Announces (`plan.overdue`) every plan overdue at `now` whose current
    /// revision has not been announced, by this instance or another: the
    /// outbox keeps one row per revision, so each key and revision goes out
    /// once. Answers how many this call announced.
    pub async fn announce_overdue(
        &self,
        now: Timestamp,
        grace: chrono::Duration,
        seen: &mut OverdueAnnounced,
    ) -> Result<usize, WriteError> {
        let shared = &self.0;
        let query = PlanQuery { status: Some(PlanStatus::Overdue), ..PlanQuery::default() };
        let overdue: Vec<PlanView> = {
            let log = shared.projection.read();
            list(&log, &query, now, grace).into_iter().filter(|v| !seen.0.contains(&v.plan.id)).collect()
        };
        let mut announced = 0;
        for view in overdue {
            let body = shared.bus.bodies().plan_overdue(&view).map_err(|e| WriteError::internal(e.to_string()))?;
            if shared.store.announce_once(OutboxKind::PlanOverdue, view.plan.id, &body, now).await? {
                announced += 1;
                tracing::info!(dist = %view.plan.dist, release = %view.plan.release, state = %view.plan.state, revision = view.plan.revision, "plan overdue");
            }
            seen.0.insert(view.plan.id);
        }
        if announced > 0 {
            shared.bus.wake();
        }
        Ok(announced)
    }

    /// Announces (`audit.drift`) each of `findings` that has not been
    /// announced before, by this instance or another. Answers how many
    /// this call announced.
    pub async fn announce_findings(
        &self,
        findings: &[Finding],
        bodhi: &str,
        checked_at: Timestamp,
    ) -> Result<usize, WriteError> {
        let shared = &self.0;
        let mut announced = 0;
        for finding in findings {
            let body = shared
                .bus
                .bodies()
                .audit_drift(finding, bodhi, checked_at)
                .map_err(|e| WriteError::internal(e.to_string()))?;
            if shared.store.announce_once(OutboxKind::AuditDrift, finding_ref(finding), &body, checked_at).await? {
                announced += 1;
            }
        }
        if announced > 0 {
            shared.bus.wake();
        }
        Ok(announced)
    }
}

/// The overdue announcer of `serve`: a round every `interval` until `stop`.
/// A failed round (the database away) is logged and retried at the next.
pub async fn follow_overdue(
    writer: LogWriter,
    grace: chrono::Duration,
    interval: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let seen = tokio::sync::Mutex::new(OverdueAnnounced::default());
    crate::periodic::every(interval, stop, || async {
        let mut seen = seen.lock().await;
        if let Err(e) = writer.announce_overdue(now(), grace, &mut seen).await {
            tracing::warn!(error = %with_cause(&e), "could not announce overdue plans; trying again later");
        }
    })
    .await;
}
