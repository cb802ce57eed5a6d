//! `SharedLog`: the one `EventLog` of a server process, shared between the
//! JSON API and the pages. Reads and writes are short and never cross an
//! `await`, so a plain `RwLock` fits; a panic while holding it cannot leave
//! the log half-applied (records are applied whole), so poisoning is ignored.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::log::EventLog;

/// A cheaply cloned handle on the process's log.
#[derive(Debug, Clone, Default)]
pub struct SharedLog(Arc<RwLock<EventLog>>);

impl SharedLog {
    /// Wraps a loaded log.
    pub fn new(log: EventLog) -> Self {
        Self(Arc::new(RwLock::new(log)))
    }

    /// Read access; do not hold it across an `await`.
    pub fn read(&self) -> RwLockReadGuard<'_, EventLog> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Write access; do not hold it across an `await`.
    pub fn write(&self) -> RwLockWriteGuard<'_, EventLog> {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
