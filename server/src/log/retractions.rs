//! Retractions and corrections: a retraction (with its outbox row), or a
//! retraction and the corrected event in one transaction. This instance's
//! retractions are serialised, since each reads before it writes.

use app::model::event::{EventRecord, RetractionRecord, RetractionResult};
use app::model::{NewEvent, NewRetraction};

use super::{in_doubt, now, LogWriter, WriteError};
use crate::store::{Actor, Appended, StoreError};

impl LogWriter {
    /// Retracts an event: [`WriteError::NotFound`] if unknown,
    /// [`WriteError::Conflict`] if already retracted.
    pub async fn retract(
        &self,
        event_id: i64,
        retraction: NewRetraction,
        actor: Actor,
    ) -> Result<RetractionResult, WriteError> {
        self.retract_and_record(event_id, retraction, None, actor).await.map(|(r, _)| r)
    }

    /// Corrects an event: retracts it and records `fixed` in one
    /// transaction; the new event names the old one in `corrects`. The
    /// same errors as [`Self::retract`].
    pub async fn correct(
        &self,
        event_id: i64,
        retraction: NewRetraction,
        fixed: NewEvent,
        actor: Actor,
    ) -> Result<(RetractionResult, EventRecord), WriteError> {
        let (result, corrected) = self.retract_and_record(event_id, retraction, Some(&fixed), actor).await?;
        let corrected = corrected.ok_or_else(|| WriteError::internal("correction missing after commit"))?;
        Ok((result, corrected))
    }

    async fn retract_and_record(
        &self,
        event_id: i64,
        retraction: NewRetraction,
        fixed: Option<&NewEvent>,
        actor: Actor,
    ) -> Result<(RetractionResult, Option<EventRecord>), WriteError> {
        let _counted = self.0.in_flight.enter();
        let shared = &self.0;
        let _serialised = shared.retractions.lock().await;
        let started = std::time::Instant::now();
        let stored = match shared
            .store
            .insert_retraction(event_id, &retraction.reason, &actor, now(), fixed, shared.bus.bodies())
            .await
        {
            Err(doubt @ StoreError::InDoubt { .. }) => {
                in_doubt::settle(&shared.store, doubt).await.and_then(|planned| match planned[..] {
                    [Appended::Stored(id)] => Ok((id, None)),
                    [Appended::Stored(id), Appended::Stored(corrected)] => Ok((id, Some(corrected))),
                    _ => Err(StoreError::Corrupt(format!("a retraction settled as {planned:?}"))),
                })
            }
            other => other,
        };
        let (id, corrected_id) = stored.map_err(|e| match e {
            StoreError::NotFound => WriteError::NotFound(format!("no event {event_id}")),
            other => other.into(),
        })?;
        crate::metrics::committed(crate::metrics::WriteKind::Retraction, 1, started.elapsed());
        let caught_up = shared.projection.catch_up(&shared.store).await;
        shared.bus.wake();
        caught_up?;
        let log = shared.projection.read();
        let stored =
            log.retraction(id).ok_or_else(|| WriteError::internal(format!("retraction {id} missing after commit")))?;
        let event =
            log.event_record(event_id).ok_or_else(|| WriteError::internal(format!("event {event_id} missing")))?;
        let corrected = match corrected_id {
            None => None,
            Some(id) => Some(
                log.event_record(id).ok_or_else(|| WriteError::internal(format!("event {id} missing after commit")))?,
            ),
        };
        Ok((RetractionResult { retraction: RetractionRecord::from(stored), event }, corrected))
    }
}
