//! `EventWriter`: group commit for new events. Requests queue their event;
//! one task takes everything queued, stores it in a single transaction
//! (one disk sync for the lot, outbox rows included), wakes the bus
//! publisher, brings the projection up to date, and answers each request.
//! Under load this turns many small commits into a few large ones; alone, a
//! write goes straight through. A batch whose commit got no answer is
//! settled aside (`crate::in_doubt`) before its requests are answered.

use std::sync::Arc;

use app::model::time::to_stored_precision;
use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

use crate::bus::Bus;
use crate::in_doubt;
use crate::projection::Projection;
use crate::store::{Appended, EventToAppend, Store, StoreError};

/// Most events committed together.
const MAX_BATCH: usize = 256;
/// Requests that may wait in the queue before senders wait too.
const QUEUE_DEPTH: usize = 4096;

/// The answer to one queued write: what became of it, or the batch's failure.
pub type WriteResult = Result<Appended, Arc<StoreError>>;

/// Where the answer to one queued write goes.
type Reply = oneshot::Sender<WriteResult>;

struct Job {
    row: EventToAppend,
    reply: Reply,
}

/// Handle on the writer task; cheap to clone.
#[derive(Clone, Debug)]
pub struct EventWriter {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("event", &self.row.event).finish()
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

    /// Stores an event (unless its idempotency key says it is stored
    /// already) and answers once it is committed and visible in the
    /// projection.
    pub async fn write(&self, row: EventToAppend) -> WriteResult {
        let (reply, answer) = oneshot::channel();
        let gone = || Arc::new(StoreError::Unavailable(sqlx::Error::PoolClosed));
        self.queue.send(Job { row, reply }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(store: Store, projection: Arc<Projection>, bus: Arc<Bus>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if batch.len() > 1 {
            tracing::debug!(events = batch.len(), "group commit");
        }
        let (rows, replies): (Vec<EventToAppend>, Vec<Reply>) = batch.drain(..).map(|j| (j.row, j.reply)).unzip();
        match store.insert_events(&rows, to_stored_precision(Utc::now())).await {
            Ok(appended) => committed(&store, &projection, &bus, appended, replies).await,
            // Settled aside, so that the batches behind it are not held up
            // (while the database is away they fail at once anyway).
            Err(doubt @ StoreError::InDoubt { .. }) => {
                let (store, projection, bus) = (store.clone(), projection.clone(), bus.clone());
                tokio::spawn(async move {
                    match in_doubt::settle(&store, doubt).await {
                        Ok(appended) => committed(&store, &projection, &bus, appended, replies).await,
                        Err(e) => fail(replies, e),
                    }
                });
            }
            Err(e) => fail(replies, e),
        }
    }
}

/// Announces committed events (the outbox rows are committed with them),
/// brings the projection up to date and answers each request.
async fn committed(store: &Store, projection: &Projection, bus: &Bus, appended: Vec<Appended>, replies: Vec<Reply>) {
    bus.wake();
    if let Err(e) = projection.catch_up(store).await {
        // Committed, but not yet visible: the follower will apply it; the
        // requests still learn their ids (and wait for the read-back).
        tracing::warn!(error = %e, "committed events not yet in the projection");
    }
    for (reply, outcome) in replies.into_iter().zip(appended) {
        let _ = reply.send(Ok(outcome));
    }
}

/// Answers every request of a batch that was not stored with its failure.
fn fail(replies: Vec<Reply>, error: StoreError) {
    let error = Arc::new(error);
    for reply in replies {
        let _ = reply.send(Err(error.clone()));
    }
}
