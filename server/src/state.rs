//! `AppState`: what every handler shares (store, projection, bus handle,
//! Leptos options), and the two writes of the log — record and retract —
//! which commit to the store (with their outbox rows), bring the projection
//! up to date and wake the bus publisher.

use std::sync::Arc;

use app::model::compat::CompatMapping;
use app::model::distro_info::DistroInfoConfig;
use app::model::event::{EventRecord, RetractionRecord};
use app::model::time::to_stored_precision;
use app::model::{NewEvent, NewRetraction};
use axum::extract::FromRef;
use chrono::Utc;
use leptos::config::LeptosOptions;
use tokio::sync::Mutex;

use crate::api::cache::ViewCache;
use crate::api::error::ApiError;
use crate::auth::config::AuthSettings;
use crate::auth::oidc::Provider;
use crate::auth::Identity;
use crate::bus::Bus;
use crate::feed::FeedAuthority;
use crate::limits::Limits;
use crate::projection::Projection;
use crate::store::{Appended, EventToAppend, SessionBackend, Store, WriteKey};
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
    /// Login settings: public URL, editor groups, session lifetimes.
    pub auth: Arc<AuthSettings>,
    /// The identity provider, when login is configured.
    pub login: Option<Arc<Provider>>,
    /// Where browser sessions live (the same database).
    pub sessions: SessionBackend,
    /// How states read in Bodhi's and pkgdb's words (`/api/v1/compat/...`).
    pub compat: CompatMapping,
    /// Which states the date columns of the distro-info export report.
    pub distro_info: DistroInfoConfig,
    /// Who mints feed entry and calendar ids (`--feed-authority`).
    pub feed_authority: FeedAuthority,
    /// Rate limits, timeout and concurrency limit (`--write-rate-limit`, ...).
    pub limits: Limits,
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

impl FromRef<AppState> for Arc<AuthSettings> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// A stored retraction with the event it retracts.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RetractionResult {
    /// The retraction.
    #[serde(flatten)]
    pub retraction: RetractionRecord,
    /// The retracted event, as it reads now.
    pub event: EventRecord,
}

/// How long a committed write waits for a database that went away before
/// its event could be read back into the projection.
const READ_BACK_PATIENCE: std::time::Duration = crate::in_doubt::PATIENCE;

/// The clock, at the precision the log stores.
fn now() -> app::model::Timestamp {
    to_stored_precision(Utc::now())
}

/// What `serve` configures beyond the store and the site: logins, the
/// compatibility exports (Bodhi/pkgdb and distro-info), the feeds and the
/// abuse limits.
/// [`Settings::defaults`] is what tests and tools use.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Public URL, identity provider, editor groups, session lifetimes.
    pub auth: AuthSettings,
    /// How states read in Bodhi's and pkgdb's words.
    pub compat: CompatMapping,
    /// Which states the date columns of the distro-info export report.
    pub distro_info: DistroInfoConfig,
    /// Who mints feed entry and calendar ids (`--feed-authority`).
    pub feed_authority: FeedAuthority,
    /// Rate limits, timeout and concurrency limit. The rate limits apply
    /// only to requests with a peer address (served ones), so routers
    /// driven in-process are never rate limited.
    pub limits: Limits,
}

impl Settings {
    /// Login off, default mappings, feed authority and limits, served at
    /// `public_url`.
    pub fn defaults(public_url: url::Url) -> Self {
        Self {
            auth: AuthSettings::without_login(public_url),
            compat: CompatMapping::default(),
            distro_info: DistroInfoConfig::default(),
            feed_authority: FeedAuthority::default(),
            limits: Limits::default(),
        }
    }
}

impl AppState {
    /// Builds the state around an open store and its loaded projection, and
    /// starts the writer task (so it needs a Tokio runtime). The bus handle
    /// starts idle; `serve` attaches a publisher to it.
    ///
    /// Everything else at its default ([`Settings::defaults`]), with the
    /// site address as the public URL.
    pub fn new(store: Store, projection: Arc<Projection>, leptos_options: LeptosOptions) -> Result<Self, String> {
        let public = url::Url::parse(&format!("http://{}/", leptos_options.site_addr))
            .map_err(|e| format!("public URL: {e}"))?;
        Self::with_settings(store, projection, leptos_options, Settings::defaults(public))
    }

    /// As [`Self::new`], with these settings.
    pub fn with_settings(
        store: Store,
        projection: Arc<Projection>,
        leptos_options: LeptosOptions,
        settings: Settings,
    ) -> Result<Self, String> {
        let Settings { mut auth, compat, distro_info, feed_authority, limits } = settings;
        // Links are joined below the public URL, so however the settings
        // were made, its path must end with `/` (and it must be usable).
        auth.public_url = crate::auth::config::check_public_url(auth.public_url)?;
        let login = match &auth.oidc {
            Some(oidc) => {
                let redirect = auth.absolute(crate::auth::routes::CALLBACK_PATH);
                Some(Arc::new(Provider::new(oidc.clone(), &redirect)?))
            }
            None => None,
        };
        let sessions = store.session_store().map_err(|e| e.to_string())?;
        let bus: Arc<Bus> = Arc::default();
        let writer = EventWriter::start(store.clone(), projection.clone(), bus.clone());
        Ok(Self(Arc::new(Shared {
            store,
            projection,
            views: Arc::default(),
            bus,
            leptos_options,
            auth: Arc::new(auth),
            login,
            sessions,
            compat,
            distro_info,
            feed_authority,
            limits,
            writer,
            write_lock: Arc::default(),
        })))
    }

    /// Appends an event and answers it as `GET /api/v1/events/{id}` would.
    pub async fn record_event(&self, event: NewEvent, who: &Identity) -> Result<EventRecord, ApiError> {
        self.record_event_once(event, who, None).await.map(|(record, _)| record)
    }

    /// As [`Self::record_event`], with the caller's idempotency key: a
    /// request repeated with the same key answers the event the first one
    /// stored (and `true`: replayed) instead of storing it again; the same
    /// key with a different request is refused (422).
    pub async fn record_event_once(
        &self,
        event: NewEvent,
        who: &Identity,
        key: Option<WriteKey>,
    ) -> Result<(EventRecord, bool), ApiError> {
        let (id, replayed) = match self.writer.write(EventToAppend { event, actor: who.actor(), key }).await? {
            Appended::Stored(id) => (id, false),
            Appended::Replayed(id) => (id, true),
            Appended::KeyReused(id) => {
                return Err(ApiError::invalid(
                    "Idempotency-Key",
                    format!("this idempotency key was used before for a different request (event {id})"),
                ))
            }
        };
        // Committed: from here on the answer must be 201. A 503 would be
        // a lie that invites a retry and a duplicate, so when the database
        // went away between the commit and reading the event back, wait for
        // it to return (the client may give up first: an unanswered write
        // may or may not be stored, an answered one is what it says).
        let started = std::time::Instant::now();
        while self.projection.read().event(id).is_none() {
            match self.projection.catch_up(&self.store).await {
                Ok(_) if self.projection.read().event(id).is_none() => {
                    return Err(ApiError::Internal(format!("event {id} missing after commit").into()));
                }
                Ok(_) => {}
                Err(e) if started.elapsed() < READ_BACK_PATIENCE => {
                    tracing::warn!(error = %e, event = id, "committed; waiting for the database to read it back");
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(e) => {
                    return Err(ApiError::Internal(format!("event {id} committed but not read back: {e}").into()));
                }
            }
        }
        let log = self.projection.read();
        let record = log
            .event_record(id)
            .ok_or_else(|| ApiError::Internal(format!("event {id} missing after commit").into()))?;
        Ok((record, replayed))
    }

    /// Retracts an event; 404 if unknown, 409 if already retracted.
    pub async fn retract_event(
        &self,
        event_id: i64,
        retraction: NewRetraction,
        who: &Identity,
    ) -> Result<RetractionResult, ApiError> {
        self.retract(event_id, retraction, None, who).await.map(|(r, _)| r)
    }

    /// Corrects an event: retracts it and records `fixed` in one
    /// transaction; the new event names the old one in `corrects`. 404 if
    /// unknown, 409 if already retracted.
    pub async fn correct_event(
        &self,
        event_id: i64,
        retraction: NewRetraction,
        fixed: NewEvent,
        who: &Identity,
    ) -> Result<(RetractionResult, EventRecord), ApiError> {
        let (result, corrected) = self.retract(event_id, retraction, Some(&fixed), who).await?;
        let corrected = corrected.ok_or_else(|| ApiError::Internal("correction missing after commit".into()))?;
        Ok((result, corrected))
    }

    async fn retract(
        &self,
        event_id: i64,
        retraction: NewRetraction,
        fixed: Option<&NewEvent>,
        who: &Identity,
    ) -> Result<(RetractionResult, Option<EventRecord>), ApiError> {
        let _serialised = self.write_lock.lock().await;
        let stored = match self.store.insert_retraction(event_id, &retraction.reason, &who.actor(), now(), fixed).await
        {
            Err(doubt @ crate::store::StoreError::InDoubt { .. }) => {
                crate::in_doubt::settle(&self.store, doubt).await.and_then(|planned| match planned[..] {
                    [Appended::Stored(id)] => Ok((id, None)),
                    [Appended::Stored(id), Appended::Stored(corrected)] => Ok((id, Some(corrected))),
                    _ => Err(crate::store::StoreError::Corrupt(format!("a retraction settled as {planned:?}"))),
                })
            }
            other => other,
        };
        let (id, corrected_id) = stored.map_err(|e| match e {
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
        let event =
            log.event_record(event_id).ok_or_else(|| ApiError::Internal(format!("event {event_id} missing").into()))?;
        let corrected = match corrected_id {
            None => None,
            Some(id) => Some(
                log.event_record(id)
                    .ok_or_else(|| ApiError::Internal(format!("event {id} missing after commit").into()))?,
            ),
        };
        Ok((RetractionResult { retraction: RetractionRecord::from(stored), event }, corrected))
    }
}
