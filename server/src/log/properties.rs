//! Property changes: an editor replaces the property set of a dist or a
//! release; only the differences are stored (no outbox rows: properties are
//! not announced on the bus).

use app::model::properties::{validate_set, PropertySet};
use app::model::{Dist, Release};

use super::{now, LogWriter, WriteError};
use crate::store::Actor;

impl LogWriter {
    /// Replaces the property set of `dist` (`release: None`) or of one of
    /// its releases with `wanted`, checked here ([`WriteError::Invalid`]
    /// names the key at fault). Returns the set as it now is.
    pub async fn replace_properties(
        &self,
        dist: &Dist,
        release: Option<&Release>,
        wanted: PropertySet,
        actor: Actor,
    ) -> Result<PropertySet, WriteError> {
        let wanted = validate_set(wanted)?;
        let shared = &self.0;
        let _counted = shared.in_flight.enter();
        let started = std::time::Instant::now();
        let stored = shared.store.replace_properties(dist, release, &wanted, &actor, now()).await?;
        if stored > 0 {
            crate::metrics::committed(crate::metrics::WriteKind::Property, stored, started.elapsed());
            let caught_up = shared.projection.catch_up(&shared.store).await;
            shared.bus.wake();
            caught_up?;
            tracing::info!(%dist, release = release.map(Release::as_str), changes = stored, "properties changed");
        }
        Ok(shared.projection.read().properties().latest(dist, release))
    }
}
