//! New events: group commit and the read-back after it. Requests queue
//! their event; one task takes everything queued, stores it in a single
//! transaction (one disk sync for the lot, outbox rows included), wakes
//! the bus publisher, brings the projection up to date, and answers each
//! request. Under load this turns many small commits into a few large
//! ones; alone, a write goes straight through. The read-back of one batch
//! overlaps the commit of the next. A batch whose commit got no
//! answer is settled aside (`super::in_doubt`) before its requests are
//! answered.

use std::sync::Arc;

use app::model::event::EventRecord;
use app::model::NewEvent;
use tokio::sync::{mpsc, oneshot};

use super::{in_doubt, now, LogWriter, WriteError};
use crate::bus::Bus;
use crate::projection::Projection;
use crate::store::{Actor, Appended, EventToAppend, Store, StoreError, WriteKey};

/// Most events committed together.
const MAX_BATCH: usize = 256;
/// Requests that may wait in the queue before senders wait too.
const QUEUE_DEPTH: usize = 4096;

/// How long a committed write waits for a database that went away before
/// its event could be read back into the projection.
const READ_BACK_PATIENCE: std::time::Duration = in_doubt::PATIENCE;

/// The answer to one queued write: what became of it, or the batch's failure.
type Outcome = Result<Appended, Arc<StoreError>>;

/// Where the answer to one queued write goes.
type Reply = oneshot::Sender<Outcome>;

struct Job {
    row: EventToAppend,
    reply: Reply,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("event", &self.row.event).finish()
    }
}

/// The queue of the group-commit task; the task ends when the queue is
/// dropped, after answering everything queued — so a graceful shutdown
/// loses nothing.
#[derive(Debug)]
pub(super) struct EventQueue(mpsc::Sender<Job>);

impl EventQueue {
    /// Starts the group-commit task (so it needs a Tokio runtime).
    pub(super) fn start(store: Store, projection: Arc<Projection>, bus: Arc<Bus>) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(store, projection, bus, jobs));
        Self(queue)
    }

    /// Queues `row` and waits for its batch to be committed.
    async fn write(&self, row: EventToAppend) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let gone = || Arc::new(StoreError::Unavailable(sqlx::Error::PoolClosed));
        self.0.send(Job { row, reply }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// A new event as stored, and whether the answer repeats an earlier
/// request with the same idempotency key.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The event, as `GET /api/v1/events/{id}` answers it.
    pub event: EventRecord,
    /// `true` when an earlier request with the same key stored it.
    pub replayed: bool,
}

impl LogWriter {
    /// Appends an event and answers it as `GET /api/v1/events/{id}` would.
    pub async fn record(&self, event: NewEvent, actor: Actor) -> Result<EventRecord, WriteError> {
        self.record_once(event, actor, None).await.map(|r| r.event)
    }

    /// As [`Self::record`], with the caller's idempotency key: a request
    /// repeated with the same key answers the event the first one stored
    /// (`replayed`) instead of storing it again; the same key with a
    /// different request is [`WriteError::KeyReused`].
    pub async fn record_once(
        &self,
        event: NewEvent,
        actor: Actor,
        key: Option<WriteKey>,
    ) -> Result<Recorded, WriteError> {
        let _counted = self.0.in_flight.enter();
        let (id, replayed) = match self.0.events.write(EventToAppend { event, actor, key }).await? {
            Appended::Stored(id) => (id, false),
            Appended::Replayed(id) => (id, true),
            Appended::KeyReused(event_id) => return Err(WriteError::KeyReused { event_id }),
        };
        let event = self.read_back(id).await?;
        Ok(Recorded { event, replayed })
    }

    /// Event `id`, committed, from the projection. From here on the answer
    /// must be a success: a 503 would be a lie that invites a retry and a
    /// duplicate, so when the database went away between the commit and
    /// reading the event back, wait for it to return (the client may give
    /// up first: an unanswered write may or may not be stored, an answered
    /// one is what it says).
    async fn read_back(&self, id: i64) -> Result<EventRecord, WriteError> {
        let started = std::time::Instant::now();
        while self.0.projection.read().event(id).is_none() {
            match self.0.projection.catch_up(&self.0.store).await {
                Ok(_) if self.0.projection.read().event(id).is_none() => {
                    return Err(WriteError::internal(format!("event {id} missing after commit")));
                }
                Ok(_) => {}
                Err(e) if started.elapsed() < READ_BACK_PATIENCE => {
                    tracing::warn!(error = %e, event = id, "committed; waiting for the database to read it back");
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(e) => {
                    return Err(WriteError::internal(format!("event {id} committed but not read back: {e}")));
                }
            }
        }
        self.0
            .projection
            .read()
            .event_record(id)
            .ok_or_else(|| WriteError::internal(format!("event {id} missing after commit")))
    }
}

async fn run(store: Store, projection: Arc<Projection>, bus: Arc<Bus>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if batch.len() > 1 {
            tracing::debug!(events = batch.len(), "group commit");
        }
        let (rows, replies): (Vec<EventToAppend>, Vec<Reply>) = batch.drain(..).map(|j| (j.row, j.reply)).unzip();
        let started = std::time::Instant::now();
        match store.insert_events(&rows, now(), bus.bodies()).await {
            Ok(appended) => {
                let stored = appended.iter().filter(|a| matches!(a, Appended::Stored(_))).count();
                crate::metrics::batch(rows.len());
                crate::metrics::committed(crate::metrics::WriteKind::Event, stored, started.elapsed());
                // Reading the batch back runs beside the next batch's
                // commit rather than before it: the writer's loop holds the
                // database's write lock, so everything it waits for outside
                // a transaction is time no write can commit.
                let (store, projection, bus) = (store.clone(), projection.clone(), bus.clone());
                tokio::spawn(async move { committed(&store, &projection, &bus, appended, replies).await });
            }
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
