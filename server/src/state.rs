//! `AppState`: the handles every handler shares — store, projection, view
//! cache, bus, the log writer, login and the settings `serve` made. No
//! writes happen here: they go through [`LogWriter`] (`crate::log`).

use std::sync::Arc;

use app::model::compat::CompatMapping;
use app::model::distro_info::DistroInfoConfig;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::api::cache::ViewCache;
use crate::api::stream::Streams;
use crate::auth::config::AuthSettings;
use crate::auth::oidc::Provider;
use crate::bus::Bus;
use crate::log::LogWriter;
use crate::projection::Projection;
use crate::settings::{FeedAuthority, Limits, Settings};
use crate::store::{SessionBackend, Store};
use crate::webhooks::Webhooks;

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
    /// How long past its date an unmet plan waits before it is overdue.
    pub plan_grace: chrono::Duration,
    /// The one way into the log: every write goes through it.
    pub writer: LogWriter,
    /// The periodic audit against Bodhi and its last report.
    pub audit: Arc<crate::audit::AuditState>,
    /// The open streams of `GET /api/v1/stream`: their limit, and the
    /// signal that ends them all at shutdown.
    pub streams: Arc<Streams>,
    /// The webhooks' settings, the deliverer's wake-up call and its counts.
    pub webhooks: Arc<Webhooks>,
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
        let Settings {
            mut auth,
            compat,
            distro_info,
            feed_authority,
            limits,
            plan_grace,
            audit_bodhi,
            streams,
            webhooks,
        } = settings;
        // Links are joined below the public URL, so however the settings
        // were made, its path must end with `/` (and it must be usable).
        auth.public_url = crate::auth::config::check_public_url(auth.public_url)?;
        let login = match &auth.oidc {
            Some(oidc) => {
                let redirect = auth.absolute(crate::auth::config::CALLBACK_PATH);
                Some(Arc::new(Provider::new(oidc.clone(), &redirect)?))
            }
            None => None,
        };
        let sessions = store.session_store().map_err(|e| e.to_string())?;
        let bus = Arc::new(Bus::new(auth.public_url.clone()));
        let writer = LogWriter::start(store.clone(), projection.clone(), bus.clone());
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
            plan_grace,
            writer,
            audit: Arc::new(crate::audit::AuditState::new(audit_bodhi)),
            streams: Arc::new(Streams::new(streams)),
            webhooks: Arc::new(Webhooks::new(webhooks)),
        })))
    }
}
