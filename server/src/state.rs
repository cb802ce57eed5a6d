//! `AppState`: what every handler shares (store, projection, bus handle,
//! Leptos options), and the two writes of the log — record and retract —
//! which commit to the store (with their outbox rows), bring the projection
//! up to date and wake the bus publisher.

use std::sync::Arc;

use app::model::event::{EventRecord, RetractionRecord};
use app::model::distro_info::DistroInfoConfig;
use app::model::{NewEvent, NewRetraction};
use app::model::time::to_stored_precision;
use axum::extract::FromRef;
use chrono::Utc;
use leptos::config::LeptosOptions;
use tokio::sync::Mutex;

use crate::api::cache::ViewCache;
use crate::api::error::ApiError;
use crate::auth::Identity;
use crate::bus::Bus;
use crate::projection::Projection;
use crate::store::Store;
use crate::writer::EventWriter;

/// Shared by every handler. One `Arc`, because axum clones the state for
/// every request.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    /// The database.
    pub store: Store,
    /// The in-memory log that answers reads.
    pub projection: Arc<Projection>,
    /// Encoded views for "now", until the log changes.
    pub views: Arc<ViewCache>,
    /// Wakes the message bus publisher and holds its counters.
    pub bus: Arc<Bus>,
    /// Site files and addresses for Leptos.
    pub leptos_options: LeptosOptions,
    /// Which states the date columns of the distro-info export report.
    pub distro_info: DistroInfoConfig,
    /// Group-commits new events.
    writer: EventWriter,
    /// Serialises this instance's retractions.
    write_lock: Arc<Mutex<()>>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Self {
        state.store.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// A stored retraction with the event it retracts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RetractionResult {
    /// The retraction.
    #[serde(flatten)]
    pub retraction: RetractionRecord,
    /// The retracted event, as it reads now.
    pub event: EventRecord,
}

/// The clock, at the precision the log stores.
fn now() -> app::model::Timestamp {
    to_stored_precision(Utc::now())
}

impl AppState {
    /// Builds the state around an open store and its loaded projection, and
    /// starts the writer task (so it needs a Tokio runtime). The bus handle
    /// starts idle; `serve` attaches a publisher to it.
    pub fn new(store: Store, projection: Arc<Projection>, leptos_options: LeptosOptions) -> Self {
        Self::with_distro_info(store, projection, leptos_options, DistroInfoConfig::default())
    }

    /// [`AppState::new`] with a distro-info mapping other than the defaults.
    pub fn with_distro_info(
        store: Store,
        projection: Arc<Projection>,
        leptos_options: LeptosOptions,
        distro_info: DistroInfoConfig,
    ) -> Self {
        let bus: Arc<Bus> = Arc::default();
        let writer = EventWriter::start(store.clone(), projection.clone(), bus.clone());
        Self(Arc::new(Shared {
            store,
            projection,
            views: Arc::default(),
            bus,
            leptos_options,
            distro_info,
            writer,
            write_lock: Arc::default(),
        }))
    }

    /// Appends an event and answers it as `GET /api/v1/events/{id}` would.
    pub async fn record_event(&self, event: NewEvent, who: &Identity) -> Result<EventRecord, ApiError> {
        let id = self.writer.write(event, who.actor()).await?;
        if self.projection.read().event(id).is_none() {
            // The writer could not read its own commit back; try once more.
            self.projection.catch_up(&self.store).await?;
        }
        let log = self.projection.read();
        log.event_record(id)
            .ok_or_else(|| ApiError::Internal(format!("event {id} missing after commit").into()))
    }

    /// Retracts an event; 404 if unknown, 409 if already retracted.
    pub async fn retract_event(
        &self,
        event_id: i64,
        retraction: NewRetraction,
        who: &Identity,
    ) -> Result<RetractionResult, ApiError> {
        let _serialised = self.write_lock.lock().await;
        let id = self
            .store
            .insert_retraction(event_id, &retraction.reason, &who.actor(), now())
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound => ApiError::NotFound(format!("no event {event_id}")),
                other => other.into(),
            })?;
        let caught_up = self.projection.catch_up(&self.store).await;
        self.bus.wake();
        caught_up?;
        let log = self.projection.read();
        let stored = log
            .retraction(id)
            .ok_or_else(|| ApiError::Internal(format!("retraction {id} missing after commit").into()))?;
        let event = log
            .event_record(event_id)
            .ok_or_else(|| ApiError::Internal(format!("event {event_id} missing").into()))?;
        Ok(RetractionResult { retraction: RetractionRecord::from(stored), event })
    }
}
