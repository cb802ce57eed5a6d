//! The releasetracker server: configuration, the JSON API, storage and the
//! Leptos pages, assembled into one axum router, and the message bus
//! publisher. The only crate that knows infrastructure (SQL, AMQP, HTTP
//! plumbing).

pub mod api;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod commands;
pub mod config;
pub mod editing;
pub mod feed;
pub mod history;
pub mod jsonl;
pub mod limits;
pub mod listen;
pub mod log;
pub mod metrics;
pub mod periodic;
pub mod projection;
pub mod route_class;
pub mod schedule;
pub mod security_headers;
pub mod serve;
pub mod settings;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod webhooks;

use app::{shell, App};
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use state::AppState;

/// Leptos options for a site served from `site_root` at `addr`. Built here
/// rather than read from Cargo.toml so the binary runs outside cargo-leptos.
pub fn leptos_options(site_root: &str, addr: std::net::SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("releasetracker")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

/// The figures of the `/status` page, read from the projection and the bus.
fn status_source(state: &AppState) -> app::server_data::StatusSource {
    let state = state.clone();
    app::server_data::StatusSource(std::sync::Arc::new(move || {
        let (events, last_event_id, overdue) = {
            let log = state.projection.read();
            let query = app::model::plans::PlanQuery {
                status: Some(app::model::plans::PlanStatus::Overdue),
                ..Default::default()
            };
            let overdue = app::model::plans::list(&log, &query, chrono::Utc::now(), state.plan_grace)
                .into_iter()
                .map(|v| {
                    let p = v.plan;
                    (p.dist.to_string(), p.release.to_string(), p.state.to_string(), p.reached, p.at)
                })
                .collect();
            (log.len(), log.last_event_id(), overdue)
        };
        let bus = state.bus.status();
        app::server_data::ServiceStatus {
            events,
            last_event_id,
            publishing: bus.publishing,
            connected: bus.connected,
            backlog: state.bus.backlog(),
            sent: bus.sent,
            failed: bus.failed,
            last_error: bus.last_error.map(|e| (e.message, e.at)),
            overdue,
            webhooks: state.webhooks.key().ok().map(|_| {
                let h = state.webhooks.health();
                let c = h.unwrap_or_default();
                app::server_data::WebhookStatus {
                    counted: h.is_some(),
                    active: c.active,
                    disabled: c.disabled,
                    failing: c.failing_subscriptions,
                    waiting: c.backlog,
                    actions_failing: c.actions_failing,
                    actions_unsettled: c.actions_unsettled,
                }
            }),
        }
    }))
}

/// The whole application: API, pages, static files, and the layers every
/// request passes (tracing, compression, rate limits, load shedding,
/// timeout, body limit).
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let log = state.projection.shared();
    let status = status_source(&state);
    let grace = app::server_data::PlanGrace(state.plan_grace);
    let audit = {
        let audit = state.audit.clone();
        app::server_data::AuditSource(std::sync::Arc::new(move || audit.report()))
    };
    let actions = {
        let webhooks = state.webhooks.clone();
        app::server_data::ActionsSource(std::sync::Arc::new(move || webhooks.unsettled()))
    };
    let editing = app::server_data::ssr::Editing(std::sync::Arc::new(editing::EditingBackend(state.clone())));
    let sessions = auth::session::layer(state.sessions.clone(), &state.auth);
    let limits = state.limits.clone();
    // What the last API write found of the database: the outage check
    // answers from it, and the rate limits skip token lookups while down.
    let health = std::sync::Arc::<api::outage::DatabaseHealth>::default();
    let context = move || {
        leptos::context::provide_context(log.clone());
        leptos::context::provide_context(status.clone());
        leptos::context::provide_context(grace);
        leptos::context::provide_context(audit.clone());
        leptos::context::provide_context(actions.clone());
        leptos::context::provide_context(editing.clone());
        security_headers::for_leptos_page();
    };
    let router = Router::new()
        .merge(api::router())
        .merge(auth::routes::router())
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        // The fallback renders the app too (its router matches paths the
        // route list does not, such as `/events/`), so it needs the same
        // context: without it a page answers 500 ("The server did not provide ...").
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        // Innermost first: CSRF needs the person that `load_viewer` reads
        // from the session that the session layer loads.
        .layer(middleware::from_fn_with_state((state.auth.clone(), state.store.clone()), auth::csrf::protect))
        .layer(middleware::from_fn_with_state((state.auth.clone(), state.store.clone()), auth::session::load_viewer))
        .layer(sessions)
        // Outside the session layer: an API write during a database outage
        // is answered before anything else waits for the database.
        .layer(middleware::from_fn_with_state((state.store.clone(), health.clone()), api::outage::fail_fast))
        .layer(DefaultBodyLimit::max(api::extract::BODY_LIMIT))
        // Every route, server functions and /logout included.
        .layer(middleware::from_fn(limits::limit_body));
    // Added innermost first: the timeout covers reading the body; load is
    // shed before the timeout starts; refused writes never take a slot.
    let router = match limits.request_timeout {
        Some(after) => router.layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(limits::overload_answer))
                .layer(tower::timeout::TimeoutLayer::new(after)),
        ),
        None => router,
    };
    let router = match limits.max_concurrent {
        // Global: `Router::layer` wraps each route on its own, and a plain
        // concurrency limit would be per route.
        Some(max) => router.layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(limits::overload_answer))
                .layer(tower::load_shed::LoadShedLayer::new())
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(max)),
        ),
        None => router,
    };
    let router = match limits::RateLimits::new(&limits, state.store.clone(), health) {
        Some(rates) => router.layer(middleware::from_fn_with_state(rates, limits::rate_limit)),
        None => router,
    };
    // Outside the global concurrency limit: a client over its share is
    // refused before it can take a global slot.
    // One table of requests in progress per client, for reads and the rest.
    let slots = limits::ClientSlots::new(&limits);
    let router = match slots.clone() {
        Some(slots) => router.layer(middleware::from_fn_with_state(slots, limits::limit_per_client)),
        None => router,
    };
    // The stream holds its connection open: outside the request timeout
    // and the concurrency limits, which would count it for its lifetime
    // (`--max-streams` limits streams instead).
    let router = router.merge(api::stream_router());
    // Public reads from memory (the views) pass only
    // the per-client limit on requests in progress, so that no one client
    // can take the machine, and the layers below (security headers,
    // compression, tracing, metrics): no session, CSRF, outage check or
    // body limit, none of which a read uses.
    let reads = match slots {
        Some(slots) => api::read_router().layer(middleware::from_fn_with_state(slots, limits::limit_per_client)),
        None => api::read_router(),
    };
    let router = router.merge(reads);
    let headers = security_headers::SecurityHeaders { https: state.auth.public_url.scheme() == "https" };
    // Outside every limit: their refusals carry the headers too.
    let router = router.layer(middleware::from_fn_with_state(headers, security_headers::add));
    let router = router.layer(CompressionLayer::new()).layer(TraceLayer::new_for_http()).with_state(state);
    // Around everything, limits and compression included, so that refusals
    // are counted; once for the whole router (`Router::layer` would wrap
    // every route); only when metrics are on, so they cost nothing otherwise.
    if metrics::enabled() {
        Router::new().fallback_service(router).layer(middleware::from_fn(metrics::track))
    } else {
        router
    }
}
