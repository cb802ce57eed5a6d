//! Prometheus metrics (docs/operations.md, "Metrics and alerts"): the
//! recorder (the `metrics` facade with the Prometheus exporter), the
//! request layer, the figures read at scrape time, and the `/metrics`
//! router that `serve` runs on its own address (`--metrics-bind`), never
//! on the public one. Without `--metrics-bind` no recorder is installed and
//! every `metrics::` call in the server is a no-op.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{Request, State as AxumState};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::route_class::{classify, RouteClass};
use crate::state::AppState;

/// Longest a scrape waits for the database before it reports it as not
/// ready (and keeps the last database figures).
const SCRAPE_DB_TIMEOUT: Duration = Duration::from_millis(500);

/// Latency buckets, in seconds: from half a millisecond (a cached view)
/// to ten seconds (a write waiting out a database outage).
const SECONDS_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How often histogram samples are folded into buckets when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Group-commit batch sizes (the queue takes at most 256 at a time).
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// What writes are counted as (`kind` label of the write metrics).
#[derive(Debug, Clone, Copy)]
pub enum WriteKind {
    /// A new event.
    Event,
    /// A retraction (with its correction, if any).
    Retraction,
    /// A property change.
    Property,
    /// A plan revision.
    Plan,
}

impl WriteKind {
    fn label(self) -> &'static str {
        match self {
            WriteKind::Event => "event",
            WriteKind::Retraction => "retraction",
            WriteKind::Property => "property",
            WriteKind::Plan => "plan",
        }
    }
}

/// Counts `n` committed writes of `kind` that took `took` from the
/// transaction's start to its commit.
pub fn committed(kind: WriteKind, n: usize, took: Duration) {
    counter!("releasetracker_writes_committed_total", "kind" => kind.label()).increment(n as u64);
    histogram!("releasetracker_write_duration_seconds", "kind" => kind.label()).record(took.as_secs_f64());
}

/// Records the size of one group commit of new events.
pub fn batch(size: usize) {
    histogram!("releasetracker_group_commit_batch_size").record(size as f64);
}

/// Counts what the periodic audit newly found.
pub fn audit_found(drift: usize, expected_lag: usize) {
    counter!("releasetracker_audit_new_findings_total", "class" => "drift").increment(drift as u64);
    counter!("releasetracker_audit_new_findings_total", "class" => "expected_lag").increment(expected_lag as u64);
}

/// Counts a failed run of the periodic audit.
pub fn audit_failed() {
    counter!("releasetracker_audit_failures_total").increment(1);
}

/// Counts webhook attempts by outcome.
pub fn webhook_attempts(delivered: u64, failed: u64) {
    counter!("releasetracker_webhook_attempts_total", "outcome" => "delivered").increment(delivered);
    counter!("releasetracker_webhook_attempts_total", "outcome" => "failed").increment(failed);
}

/// Sets the webhook gauges from the deliverer's last count.
pub fn webhook_health(h: &crate::store::WebhookHealth) {
    gauge!("releasetracker_webhook_subscriptions", "state" => "active").set(h.active as f64);
    gauge!("releasetracker_webhook_subscriptions", "state" => "disabled").set(h.disabled as f64);
    gauge!("releasetracker_webhook_subscriptions", "state" => "failing").set(h.failing_subscriptions as f64);
    gauge!("releasetracker_webhook_deliveries_waiting").set(h.backlog as f64);
    let age = h.oldest_waiting.map(|t| (Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0).unwrap_or(0.0);
    gauge!("releasetracker_webhook_oldest_waiting_seconds").set(age);
    gauge!("releasetracker_release_actions_failing").set(h.actions_failing as f64);
}

/// The recorder of the process, once installed.
static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Whether this process records metrics (`--metrics-bind` was given):
/// routers built after it count their requests.
pub fn enabled() -> bool {
    HANDLE.get().is_some_and(Result::is_ok)
}

/// The process's recorder, installed on first use; the same handle after.
/// Fails only if another recorder was installed first.
pub fn install() -> Result<PrometheusHandle, String> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_batch_size".into()), &BATCH_BUCKETS))
                .and_then(|b| b.install_recorder())
                .map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
            describe();
            gauge!("process_start_time_seconds").set(Utc::now().timestamp() as f64);
            // Counters an alert takes `increase()` of exist from the start,
            // so that their first rise is seen.
            audit_found(0, 0);
            counter!("releasetracker_audit_failures_total").increment(0);
            webhook_attempts(0, 0);
            webhook_health(&crate::store::WebhookHealth::default());
            Ok(handle)
        })
        .clone()
}

/// Help texts and units, as `# HELP` lines.
fn describe() {
    describe_counter!(
        "releasetracker_http_requests_total",
        "HTTP requests answered, by route class (api, page, feed, health, login, script_event, other_api), method and status"
    );
    describe_histogram!(
        "releasetracker_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (compression included), by route class"
    );
    describe_counter!(
        "releasetracker_writes_committed_total",
        "Writes of the log committed, by kind (event, retraction, property, plan)"
    );
    describe_histogram!(
        "releasetracker_write_duration_seconds",
        Unit::Seconds,
        "Time from a write's start to its commit, by kind (a group commit counts once)"
    );
    describe_histogram!("releasetracker_group_commit_batch_size", "New events committed together in one transaction");
    describe_gauge!("releasetracker_projection_events", "Events in this instance's in-memory projection");
    describe_gauge!("releasetracker_projection_last_event_id", "Highest event id in this instance's projection");
    describe_gauge!(
        "releasetracker_projection_lag_events",
        "Events in the database that this instance's projection does not hold yet"
    );
    describe_gauge!(
        "releasetracker_projection_lag_seconds",
        Unit::Seconds,
        "How long the oldest event this instance has not applied has been in the database (0 when caught up)"
    );
    describe_gauge!("releasetracker_outbox_pending_messages", "Messages waiting in the outbox for the broker");
    describe_gauge!(
        "releasetracker_outbox_oldest_pending_age_seconds",
        Unit::Seconds,
        "Age of the oldest message waiting in the outbox (0 when none waits)"
    );
    describe_gauge!("releasetracker_bus_publishing", "1 when a broker is configured and this instance publishes");
    describe_gauge!("releasetracker_bus_connected", "1 while the publisher holds a connection to the broker");
    describe_counter!("releasetracker_bus_messages_sent_total", "Messages confirmed by the broker");
    describe_counter!(
        "releasetracker_bus_publish_failures_total",
        "Messages whose publish attempt failed (each is retried)"
    );
    describe_counter!(
        "releasetracker_bus_errors_total",
        "Broker connections refused or lost and publish rounds that failed, by kind (connect, timeout, amqp, nacked, disconnected, store, message)"
    );
    describe_gauge!("releasetracker_plans_overdue", "Plans overdue now (unmet, date more than the grace period past)");
    describe_gauge!(
        "releasetracker_plans_overdue_oldest_seconds",
        Unit::Seconds,
        "How long the longest-overdue plan has been overdue (0 when none is)"
    );
    describe_gauge!(
        "releasetracker_audit_findings",
        "Findings of the last successful audit against Bodhi, by class (drift, expected_lag)"
    );
    describe_counter!(
        "releasetracker_audit_new_findings_total",
        "Findings that were new in an audit run, by class (drift, expected_lag)"
    );
    describe_counter!(
        "releasetracker_audit_failures_total",
        "Audit runs that failed (Bodhi unreachable or unreadable)"
    );
    describe_gauge!(
        "releasetracker_audit_last_success_timestamp_seconds",
        Unit::Seconds,
        "When the last successful audit ran (Unix time; absent before the first)"
    );
    describe_gauge!("releasetracker_streams_open", "Open GET /api/v1/stream connections");
    describe_gauge!("releasetracker_streams_max", "Most streams open at once (--max-streams)");
    describe_gauge!("releasetracker_ready", "1 when the database answered this scrape in time (as /readyz)");
    describe_gauge!("releasetracker_db_pool_connections", "Database connections of the pool, by state (active, idle)");
    describe_gauge!("releasetracker_db_pool_max_connections", "Most database connections the pool opens");
    describe_counter!(
        "releasetracker_webhook_attempts_total",
        "Webhook delivery attempts, by outcome (delivered: 2xx; failed: anything else)"
    );
    describe_gauge!(
        "releasetracker_webhook_subscriptions",
        "Webhook subscriptions: active, disabled by the server (410 or retries exhausted), active with a failing delivery"
    );
    describe_gauge!("releasetracker_webhook_deliveries_waiting", "Webhook deliveries pending or failing");
    describe_gauge!(
        "releasetracker_webhook_oldest_waiting_seconds",
        Unit::Seconds,
        "Age of the oldest webhook delivery still waiting (0 when none waits)"
    );
    describe_gauge!(
        "releasetracker_release_actions_failing",
        "Deliveries of required release actions that are failing or were given up"
    );
    describe_gauge!("process_resident_memory_bytes", Unit::Bytes, "Resident memory of the process");
    describe_gauge!("process_start_time_seconds", Unit::Seconds, "When the process started (Unix time)");
}

/// The request layer: counts every answer and times it, by route class,
/// method and status. Installed (outside every limit, so refusals count
/// too) only when metrics are on.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let class = class_label(classify(request.method(), request.uri().path()));
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let took = started.elapsed().as_secs_f64();
    // Looking a metric up by name and labels hashes them every time, which
    // cost the cached views 15 % of their rate in bench; each worker
    // thread keeps the handles it has used instead.
    REQUEST_HANDLES.with(|handles| {
        let mut handles = handles.borrow_mut();
        handles
            .counters
            .entry((class, method, status))
            .or_insert_with(|| {
                counter!("releasetracker_http_requests_total", "class" => class, "method" => method, "status" => status.to_string())
            })
            .increment(1);
        handles
            .latencies
            .entry(class)
            .or_insert_with(|| histogram!("releasetracker_http_request_duration_seconds", "class" => class))
            .record(took);
    });
    response
}

/// The request metrics' handles one thread has used, by their labels.
#[derive(Default)]
struct RequestHandles {
    counters: std::collections::HashMap<(&'static str, &'static str, u16), metrics::Counter>,
    latencies: std::collections::HashMap<&'static str, metrics::Histogram>,
}

thread_local! {
    static REQUEST_HANDLES: std::cell::RefCell<RequestHandles> = std::cell::RefCell::default();
}

/// Keeps the recorder's memory bounded between scrapes: histogram samples
/// wait in buffers until an upkeep folds them into their buckets.
pub async fn upkeep(handle: PrometheusHandle, stop: tokio_util::sync::CancellationToken) {
    crate::periodic::every(UPKEEP_INTERVAL, stop, || async { handle.run_upkeep() }).await;
}

fn class_label(class: RouteClass) -> &'static str {
    match class {
        RouteClass::Api => "api",
        RouteClass::OtherApi => "other_api",
        RouteClass::ScriptEvent => "script_event",
        RouteClass::Feed => "feed",
        RouteClass::Health => "health",
        RouteClass::Login => "login",
        RouteClass::Page => "page",
    }
}

/// Methods as a bounded label: anything unusual is `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The router of the metrics address: `GET /metrics` only.
pub fn router(state: AppState, handle: PrometheusHandle) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state((state, handle))
}

/// `GET /metrics`: refreshes what is read at scrape time, then renders.
async fn scrape(AxumState((state, handle)): AxumState<(AppState, PrometheusHandle)>) -> Response {
    refresh(&state).await;
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}

/// Sets the gauges that describe the state rather than count happenings.
async fn refresh(state: &AppState) {
    let now = Utc::now();
    let (events, last_id, overdue) = {
        let log = state.projection.read();
        let query =
            app::model::plans::PlanQuery { status: Some(app::model::plans::PlanStatus::Overdue), ..Default::default() };
        let overdue: Vec<_> = app::model::plans::list(&log, &query, now, state.plan_grace)
            .into_iter()
            .map(|v| v.plan.at + state.plan_grace)
            .collect();
        (log.len(), log.last_event_id(), overdue)
    };
    gauge!("releasetracker_projection_events").set(events as f64);
    gauge!("releasetracker_projection_last_event_id").set(last_id as f64);
    gauge!("releasetracker_plans_overdue").set(overdue.len() as f64);
    gauge!("releasetracker_streams_open").set(state.streams.open() as f64);
    gauge!("releasetracker_streams_max").set(state.streams.max_open() as f64);
    let oldest = overdue.iter().min().map_or(0.0, |since| seconds_since(*since, now));
    gauge!("releasetracker_plans_overdue_oldest_seconds").set(oldest);

    let bus = state.bus.status();
    gauge!("releasetracker_bus_publishing").set(f64::from(u8::from(bus.publishing)));
    gauge!("releasetracker_bus_connected").set(f64::from(u8::from(bus.connected)));
    counter!("releasetracker_bus_messages_sent_total").absolute(bus.sent);
    counter!("releasetracker_bus_publish_failures_total").absolute(bus.failed);

    let report = state.audit.report();
    if let Some(checked) = report.checked_at {
        let drift = report.findings.iter().filter(|f| !f.expected_lag).count();
        gauge!("releasetracker_audit_findings", "class" => "drift").set(drift as f64);
        gauge!("releasetracker_audit_findings", "class" => "expected_lag").set((report.findings.len() - drift) as f64);
        gauge!("releasetracker_audit_last_success_timestamp_seconds").set(checked.timestamp() as f64);
    }

    let (open, idle, max) = state.store.pool_use();
    gauge!("releasetracker_db_pool_connections", "state" => "active").set(f64::from(open.saturating_sub(idle)));
    gauge!("releasetracker_db_pool_connections", "state" => "idle").set(f64::from(idle));
    gauge!("releasetracker_db_pool_max_connections").set(f64::from(max));
    if let Some(bytes) = resident_memory() {
        gauge!("process_resident_memory_bytes").set(bytes as f64);
    }

    let from_database = async {
        let pending = state.store.outbox_pending().await?;
        let oldest = state.store.oldest_pending_outbox().await?;
        let (max_event, _) = state.store.max_ids().await?;
        let behind_since = state.store.first_recorded_after(last_id).await?;
        Ok::<_, crate::store::StoreError>((pending, oldest, max_event, behind_since))
    };
    match tokio::time::timeout(SCRAPE_DB_TIMEOUT, from_database).await {
        Ok(Ok((pending, oldest, max_event, behind_since))) => {
            gauge!("releasetracker_ready").set(1.0);
            gauge!("releasetracker_outbox_pending_messages").set(pending as f64);
            gauge!("releasetracker_outbox_oldest_pending_age_seconds")
                .set(oldest.map_or(0.0, |at| seconds_since(at, now)));
            gauge!("releasetracker_projection_lag_events").set((max_event - last_id).max(0) as f64);
            gauge!("releasetracker_projection_lag_seconds").set(behind_since.map_or(0.0, |at| seconds_since(at, now)));
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "metrics: the database did not answer the scrape");
            gauge!("releasetracker_ready").set(0.0);
        }
        Err(_) => gauge!("releasetracker_ready").set(0.0),
    }
}

fn seconds_since(at: app::model::Timestamp, now: app::model::Timestamp) -> f64 {
    ((now - at).num_milliseconds().max(0) as f64) / 1000.0
}

/// Resident memory from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_memory() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // The page size is 4 KiB on every platform Fedora deploys this on.
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_bounded() {
        assert_eq!(method_label(&Method::from_bytes(b"PROPFIND").unwrap()), "other");
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(class_label(classify(&Method::GET, "/api/v1/events")), "api");
        assert_eq!(class_label(classify(&Method::GET, "/feed.atom")), "feed");
        assert_eq!(class_label(classify(&Method::GET, "/dists/fedora")), "page");
    }

    #[test]
    fn resident_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident_memory().is_some_and(|b| b > 1_000_000));
        }
    }
}
