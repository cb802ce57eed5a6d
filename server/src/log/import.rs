//! Bulk writes of the importers (`import` of JSON Lines, `import-history`):
//! events, retractions, property changes and plans with their ids, in one
//! transaction, without outbox rows — restoring or moving history is not
//! news for the bus.

use app::model::plans::Plan;
use app::model::{Event, PropertyChange, Retraction};

use super::{LogWriter, WriteError};

/// What an importer adds to the log, ids included (above those stored).
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// New events, in id order.
    pub events: Vec<Event>,
    /// New retractions, in id order.
    pub retractions: Vec<Retraction>,
    /// New property changes, in id order.
    pub properties: Vec<PropertyChange>,
    /// New plan revisions, in id order.
    pub plans: Vec<Plan>,
}

impl LogWriter {
    /// Stores everything of `import` or nothing, then brings the
    /// projection up to date. An error means nothing was stored.
    pub async fn import(&self, import: &Import) -> Result<(), WriteError> {
        let shared = &self.0;
        shared.store.import_all(&import.events, &import.retractions, &import.properties, &import.plans).await?;
        shared.bus.wake();
        if let Err(e) = shared.projection.catch_up(&shared.store).await {
            // Stored all the same: the follower will apply it.
            tracing::warn!(error = %e, "imported, but not yet in the projection");
        }
        Ok(())
    }
}
