//! `EventWriter`: group commit for new events. Requests queue their event;
//! one task takes everything queued, stores it in a single transaction
//! (one disk sync for the lot, outbox rows included), wakes the bus
//! publisher, brings the projection up to date, and answers each request. Under load this turns many small commits into a
//! few large ones; alone, a write goes straight through.

use std::sync::Arc;

use app::model::time::to_stored_precision;
use app::model::NewEvent;
use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

use crate::bus::Bus;
use crate::projection::Projection;
use crate::store::{Actor, Store, StoreError};

/// Most events committed together.
const MAX_BATCH: usize = 256;
/// Requests that may wait in the queue before senders wait too.
const QUEUE_DEPTH: usize = 4096;

/// The answer to one queued write: the event's id, or the batch's failure.
pub type WriteResult = Result<i64, Arc<StoreError>>;

struct Job {
    event: NewEvent,
    actor: Actor,
    reply: oneshot::Sender<WriteResult>,
}

/// Handle on the writer task; cheap to clone.
#[derive(Clone, Debug)]
pub struct EventWriter {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("event", &self.event).finish()
    }
}

impl EventWriter {
    /// Starts the writer task. It ends when every handle is dropped, after
    /// answering everything queued — so a graceful shutdown loses nothing.
    pub fn start(store: Store, projection: Arc<Projection>, bus: Arc<Bus>) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(store, projection, bus, jobs));
        Self { queue }
    }

    /// Stores an event and returns its id once it is committed and visible
    /// in the projection.
    pub async fn write(&self, event: NewEvent, actor: Actor) -> WriteResult {
        let (reply, answer) = oneshot::channel();
        let gone = || Arc::new(StoreError::Unavailable(sqlx::Error::PoolClosed));
        self.queue.send(Job { event, actor, reply }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(store: Store, projection: Arc<Projection>, bus: Arc<Bus>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let rows: Vec<(NewEvent, Actor)> = batch.iter().map(|j| (j.event.clone(), j.actor.clone())).collect();
        let stored = store.insert_events(&rows, to_stored_precision(Utc::now())).await;
        if stored.is_ok() {
            // The outbox rows are committed with the events.
            bus.wake();
        }
        let result = match stored {
            Ok(ids) => match projection.catch_up(&store).await {
                Ok(_) => Ok(ids),
                // Committed, but not yet visible: the follower will apply
                // it; the requests still learn their ids.
                Err(e) => {
                    tracing::warn!(error = %e, "committed events not yet in the projection");
                    Ok(ids)
                }
            },
            Err(e) => Err(Arc::new(e)),
        };
        if batch.len() > 1 {
            tracing::debug!(events = batch.len(), "group commit");
        }
        match result {
            Ok(ids) => {
                for (job, id) in batch.drain(..).zip(ids) {
                    let _ = job.reply.send(Ok(id));
                }
            }
            Err(e) => {
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}
