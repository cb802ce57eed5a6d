//! `LogWriter`: the one way into the log. Every write — new events (group
//! commit, idempotency keys), retractions and corrections, property
//! changes, the importers' bulk writes — is checked, committed in one
//! transaction with its outbox rows, applied to the projection, and wakes
//! the bus publisher. Nothing else in the server writes the log; handlers
//! and commands translate [`WriteError`] at their edge.

mod error;
mod events;
mod import;
mod in_doubt;
mod plans;
mod properties;
mod retractions;

use std::sync::Arc;

use app::model::time::to_stored_precision;
use chrono::Utc;
use tokio::sync::Mutex;

pub use app::model::event::RetractionResult;
pub use error::{with_cause, Cause, WriteError};
pub use events::Recorded;
pub use import::Import;
pub use plans::{follow_overdue, OverdueAnnounced};

use crate::bus::Bus;
use crate::projection::Projection;
use crate::store::Store;

/// Handle on the writer; cheap to clone. Its group-commit task ends when
/// the last handle is dropped, after answering everything queued.
#[derive(Clone, Debug)]
pub struct LogWriter(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    store: Store,
    projection: Arc<Projection>,
    bus: Arc<Bus>,
    /// The group-commit queue of new events.
    events: events::EventQueue,
    /// Serialises this instance's retractions (each reads, then writes).
    retractions: Mutex<()>,
    /// Writes of the log under way: background work that shares SQLite's
    /// one write lock (the webhook deliverer) gives way while there are any.
    in_flight: WritesInFlight,
}

/// How many writes of the log are under way on this instance; cheap to
/// clone (one shared counter).
#[derive(Clone, Debug, Default)]
pub struct WritesInFlight(Arc<std::sync::atomic::AtomicUsize>);

impl WritesInFlight {
    /// The writes under way now.
    pub fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts one write until the guard is dropped.
    fn enter(&self) -> InFlight {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight(self.0.clone())
    }
}

/// One write under way ([`WritesInFlight::enter`]).
struct InFlight(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The clock, at the precision the log stores.
fn now() -> app::model::Timestamp {
    to_stored_precision(Utc::now())
}

impl LogWriter {
    /// A writer over `store` that keeps `projection` up to date and wakes
    /// `bus` after each commit. Starts the group-commit task, so it needs a
    /// Tokio runtime.
    pub fn start(store: Store, projection: Arc<Projection>, bus: Arc<Bus>) -> Self {
        let events = events::EventQueue::start(store.clone(), projection.clone(), bus.clone());
        Self(Arc::new(Shared {
            store,
            projection,
            bus,
            events,
            retractions: Mutex::default(),
            in_flight: WritesInFlight::default(),
        }))
    }

    /// A writer for a one-shot command (`import`, `import-history`): the
    /// projection loaded from `store`, a bus nobody listens to (a running
    /// server sees the writes by polling the log).
    pub async fn open(store: Store) -> Result<Self, WriteError> {
        let projection = Projection::load(&store).await?;
        Ok(Self::start(store, projection, Arc::default()))
    }

    /// The database written to; for reads only.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The writes under way on this instance.
    pub fn in_flight(&self) -> WritesInFlight {
        self.0.in_flight.clone()
    }

    /// The projection this writer keeps up to date.
    pub fn projection(&self) -> &Arc<Projection> {
        &self.0.projection
    }
}
