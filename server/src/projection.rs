//! `Projection`: the server's in-memory `EventLog`, rebuilt from the store
//! on start and brought up to date after every commit — its own and, by
//! polling, those of other instances sharing the database.

use std::sync::Arc;
use std::time::Duration;

use std::sync::RwLockReadGuard;

use app::model::{EventLog, SharedLog};
use tokio::sync::{watch, Mutex, Notify};
use tokio_util::sync::CancellationToken;

use crate::store::{Store, StoreError};

/// Rows fetched per round when catching up.
const CATCH_UP_BATCH: i64 = 10_000;
/// Rows fetched per round when loading the whole log.
const LOAD_BATCH: i64 = 20_000;

/// The projection, the lock that serialises catching up, and the signal
/// its readers (the streams) wait on.
#[derive(Debug)]
pub struct Projection {
    log: SharedLog,
    catching_up: Mutex<()>,
    /// The log's version after each round that applied something.
    changed: watch::Sender<u64>,
}

impl Default for Projection {
    fn default() -> Self {
        Self::new(EventLog::new())
    }
}

impl Projection {
    /// Loads the whole log from the store.
    pub async fn load(store: &Store) -> Result<Arc<Self>, StoreError> {
        // Reading and applying overlap: one task fetches batches while this
        // one applies the previous batch.
        let (batches, mut arriving) = tokio::sync::mpsc::channel::<Vec<app::model::Event>>(2);
        let reader = tokio::spawn({
            let store = store.clone();
            async move {
                let mut last = 0;
                loop {
                    let batch = store.events_after(last, LOAD_BATCH).await?;
                    let full = batch.len() as i64 == LOAD_BATCH;
                    last = batch.last().map_or(last, |e| e.id);
                    if batches.send(batch).await.is_err() || !full {
                        return Ok::<(), StoreError>(());
                    }
                }
            }
        });
        let mut log = EventLog::new();
        while let Some(batch) = arriving.recv().await {
            for e in batch {
                log.apply_event(e).map_err(|err| StoreError::Corrupt(err.to_string()))?;
            }
        }
        reader.await.map_err(|e| StoreError::Corrupt(format!("log reader failed: {e}")))??;
        let projection = Arc::new(Self::new(log));
        projection.catch_up(store).await?;
        Ok(projection)
    }

    fn new(log: EventLog) -> Self {
        let version = log.version();
        Self { log: SharedLog::new(log), catching_up: Mutex::default(), changed: watch::channel(version).0 }
    }

    /// Wakes when a round of catching up applied something (the value is
    /// the log's version then); what streams wait on.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Read access to the log; hold it briefly, never across an `await`.
    pub fn read(&self) -> RwLockReadGuard<'_, EventLog> {
        self.log.read()
    }

    /// A handle on the log for the pages.
    pub fn shared(&self) -> SharedLog {
        self.log.clone()
    }

    /// Applies every event, retraction and property change stored since
    /// the last call.
    /// Returns how many records were applied.
    pub async fn catch_up(&self, store: &Store) -> Result<usize, StoreError> {
        let _one_at_a_time = self.catching_up.lock().await;
        let applied = self.apply_new(store).await;
        if applied.as_ref().is_ok_and(|&n| n > 0) {
            self.changed.send_replace(self.log.read().version());
        }
        applied
    }

    async fn apply_new(&self, store: &Store) -> Result<usize, StoreError> {
        let mut applied = 0;
        loop {
            let (last_event, last_retraction, last_property, last_plan) = {
                let log = self.log.read();
                (log.last_event_id(), log.last_retraction_id(), log.properties().last_id(), log.plans().last_id())
            };
            let events = store.events_after(last_event, CATCH_UP_BATCH).await?;
            let retractions = store.retractions_after(last_retraction, CATCH_UP_BATCH).await?;
            let properties = store.property_changes_after(last_property, CATCH_UP_BATCH).await?;
            let plans = store.plans_after(last_plan, CATCH_UP_BATCH).await?;
            if events.is_empty() && retractions.is_empty() && properties.is_empty() && plans.is_empty() {
                return Ok(applied);
            }
            let more = [events.len(), properties.len(), plans.len()].iter().any(|&n| n as i64 == CATCH_UP_BATCH);
            let mut log = self.log.write();
            // Plans stand alone too: they name no event.
            for p in plans {
                log.apply_plan(p).map_err(|err| StoreError::Corrupt(err.to_string()))?;
                applied += 1;
            }
            // Property changes stand alone (they name no event), so they
            // apply in any order relative to events.
            for p in properties {
                log.apply_property(p).map_err(|err| StoreError::Corrupt(err.to_string()))?;
                applied += 1;
            }
            for e in events {
                log.apply_event(e).map_err(|err| StoreError::Corrupt(err.to_string()))?;
                applied += 1;
            }
            for r in retractions {
                // A retraction of an event committed after our events query
                // waits for the next round, which will have its event.
                if r.event_id > log.last_event_id() {
                    break;
                }
                log.apply_retraction(r).map_err(|err| StoreError::Corrupt(err.to_string()))?;
                applied += 1;
            }
            if !more {
                return Ok(applied);
            }
        }
    }

    /// Polls the store every `interval`, and whenever `nudge` is notified,
    /// until `stop`, so writes of other instances show up here.
    pub async fn follow(
        self: Arc<Self>,
        store: Store,
        interval: Duration,
        nudge: Arc<Notify>,
        stop: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = nudge.notified() => self.poll(&store).await,
                _ = tick.tick() => self.poll(&store).await,
            }
        }
    }

    async fn poll(&self, store: &Store) {
        match self.catch_up(store).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(applied = n, "caught up with the log"),
            Err(e) => tracing::warn!(error = %e, "could not poll the log"),
        }
    }
}
