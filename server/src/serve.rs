//! `releasetracker serve`: opens the store, loads the projection, follows
//! other instances' writes, publishes the outbox to the message bus (when
//! a broker is configured) and serves until SIGTERM or Ctrl-C, letting
//! in-flight requests (writes included) finish.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::auth::config::AuthSettings;
use crate::bus::{BusConfig, Publisher};
use crate::config::ServeArgs;
use crate::projection::Projection;
use crate::settings::Settings;
use crate::state::AppState;
use crate::store::Store;

/// How often expired sessions are deleted.
const SESSION_SWEEP: Duration = Duration::from_secs(3600);

/// How long shutdown waits for the publisher's round in flight.
const PUBLISHER_GRACE: Duration = Duration::from_secs(5);

/// Runs the server until a shutdown signal.
pub async fn run(args: ServeArgs, database: &str) -> Result<(), String> {
    let started = Instant::now();
    let bus_config = BusConfig::from_args(&args.bus, args.poll_interval())
        .map_err(|e| format!("invalid message bus settings: {e}"))?;
    let compat = args.compat.mapping().map_err(|e| format!("invalid compatibility mapping: {e}"))?;
    let distro_info = app::model::distro_info::DistroInfoConfig::parse(&args.distro_info_states)
        .map_err(|e| format!("invalid --distro-info-states: {e}"))?;
    let store = Store::connect(database).await.map_err(|e| format!("cannot open the database: {e}"))?;
    let projection = Projection::load(&store).await.map_err(|e| format!("cannot load the log: {e}"))?;
    let events = projection.read().len();
    tracing::info!(
        database = %store.describe(),
        events,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "log loaded"
    );

    let listener =
        tokio::net::TcpListener::bind(args.bind).await.map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    // Before the router is built: it counts requests only when metrics are on.
    let metrics = match args.metrics_bind {
        Some(addr) => {
            let handle = crate::metrics::install()?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr} (--metrics-bind): {e}"))?;
            Some((listener, handle))
        }
        None => None,
    };
    let auth = AuthSettings::from_args(&args.auth, args.bind).map_err(|e| format!("invalid login settings: {e}"))?;
    let login_line = match &auth.oidc {
        Some(oidc) => format!("login via {} (editors: {})", oidc.issuer, auth.editor_groups.join(", ")),
        None => "login off (no OIDC_ISSUER_URL); writes need API tokens".to_owned(),
    };
    let options = crate::leptos_options(&args.site_root, args.bind);
    let state = AppState::with_settings(
        store.clone(),
        projection.clone(),
        options,
        Settings {
            auth,
            compat,
            distro_info,
            feed_authority: args.feed_authority.clone(),
            limits: args.limits.limits(),
            plan_grace: chrono::Duration::from_std(args.plan_grace)
                .map_err(|_| "--plan-grace is too long".to_owned())?,
            audit_bodhi: args.audit_bodhi_url.clone(),
            streams: crate::settings::StreamSettings {
                max_open: args.max_streams as usize,
                keep_alive: args.stream_keep_alive,
            },
            webhooks: crate::webhooks::WebhookSettings::from(&args.webhooks),
        },
    )?;
    if let Some(provider) = &state.login {
        // Checked now so a wrong issuer shows at start; a provider that is
        // down only delays logins (discovery is retried at each one).
        if let Err(e) = provider.discover().await {
            tracing::warn!(error = %e, issuer = provider.issuer(), "identity provider not reachable yet");
        }
    }
    let sweeper = tokio::spawn(tower_sessions::session_store::ExpiredDeletion::continuously_delete_expired(
        state.sessions.clone(),
        SESSION_SWEEP,
    ));

    let stop = CancellationToken::new();
    // Other instances' commits: announced by PostgreSQL at once, polled
    // for as well in case an announcement is lost.
    let nudge = std::sync::Arc::<tokio::sync::Notify>::default();
    tokio::spawn({
        let (store, nudge, stop) = (store.clone(), nudge.clone(), stop.clone());
        async move { store.listen_for_writes(nudge, stop).await }
    });
    let follower = tokio::spawn(projection.clone().follow(store.clone(), args.poll_interval(), nudge, stop.clone()));
    tokio::spawn(crate::bus::track_backlog(store.clone(), state.bus.clone(), args.poll_interval() * 4, stop.clone()));
    tokio::spawn(crate::log::follow_overdue(
        state.writer.clone(),
        state.plan_grace,
        args.overdue_check_interval,
        stop.clone(),
    ));
    if state.audit.source().is_some() {
        tokio::spawn(crate::audit::follow(state.clone(), args.audit_interval, stop.clone()));
    }
    let webhooks_line = match state.webhooks.key() {
        Ok(_) if state.webhooks.settings().policy.allow_private => "webhooks on (private targets allowed)",
        Ok(_) => "webhooks on",
        Err(_) => "webhooks off (no WEBHOOK_KEY)",
    };
    let deliverer = tokio::spawn(crate::webhooks::deliver::run(
        store.clone(),
        state.webhooks.clone(),
        state.writer.in_flight(),
        projection.subscribe(),
        args.poll_interval(),
        stop.clone(),
    ));
    let bus_line = match &bus_config {
        Some(config) => format!("publishing to {}", config.describe()),
        None => "publishing off (no AMQP_URL); messages wait in the outbox".to_owned(),
    };
    let publisher = bus_config.map(|config| {
        let publisher = Publisher::new(store.clone(), projection.clone(), state.bus.clone(), config);
        tokio::spawn(publisher.run(stop.clone()))
    });

    tracing::info!(
        "releasetracker listening on http://{} (public URL: {}, database: {}, site files: {}, message bus: {}, {}, {})",
        args.bind,
        state.auth.public_url,
        store.describe(),
        args.site_root,
        bus_line,
        login_line,
        webhooks_line
    );
    let metrics_server = metrics.map(|(listener, handle)| {
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        tracing::info!("metrics on http://{addr}/metrics");
        tokio::spawn(crate::metrics::upkeep(handle.clone(), stop.clone()));
        let app = crate::metrics::router(state.clone(), handle);
        let stop = stop.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        })
    });
    let header_read_timeout = state.limits.header_read_timeout;
    let streams = state.streams.clone();
    let app = crate::router(state);
    let shutdown = async move {
        shutdown_signal().await;
        // Open streams would hold the graceful shutdown for its whole
        // grace period: they end now, their clients reconnect elsewhere.
        streams.close();
    };
    crate::listen::serve(listener, app, header_read_timeout, shutdown).await;
    stop.cancel();
    sweeper.abort();
    if let Some(metrics) = metrics_server {
        let _ = metrics.await;
    }
    let _ = follower.await;
    // Attempts in flight are cut short; their leases are dropped at the
    // next start (SQLite) or expire (PostgreSQL), and they are sent again
    // under the same webhook-id.
    if tokio::time::timeout(PUBLISHER_GRACE, deliverer).await.is_err() {
        tracing::warn!("the webhook deliverer did not stop in time");
    }
    if let Some(mut publisher) = publisher {
        // It finishes the round in flight; a round stuck on an unanswering
        // broker is cut short (its rows stay pending for the next start).
        if tokio::time::timeout(PUBLISHER_GRACE, &mut publisher).await.is_err() {
            publisher.abort();
            tracing::warn!("the message bus publisher did not stop in time; pending messages go out at the next start");
        }
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
