//! Metrics as an operator's Prometheus sees them: the real binary with
//! `--metrics-bind`, scraped over HTTP and parsed by the reference Python
//! client's parser (`prometheus_client` from PyPI); every documented metric
//! present, counters moving after writes, retractions, plans and a broker
//! outage; nothing on the public address. And the shipped alert rules,
//! checked and unit-tested by `promtool` (Debian's prometheus package).

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::broker::broker;
use common::proxy::Proxy;
use common::{free_port, http};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_releasetracker");

/// Every metric docs/operations.md documents, by its sample name.
const DOCUMENTED: [&str; 25] = [
    "releasetracker_http_requests_total",
    "releasetracker_http_request_duration_seconds_bucket",
    "releasetracker_writes_committed_total",
    "releasetracker_write_duration_seconds_bucket",
    "releasetracker_group_commit_batch_size_bucket",
    "releasetracker_projection_events",
    "releasetracker_projection_last_event_id",
    "releasetracker_projection_lag_events",
    "releasetracker_projection_lag_seconds",
    "releasetracker_outbox_pending_messages",
    "releasetracker_outbox_oldest_pending_age_seconds",
    "releasetracker_bus_publishing",
    "releasetracker_bus_connected",
    "releasetracker_bus_messages_sent_total",
    "releasetracker_bus_publish_failures_total",
    "releasetracker_plans_overdue",
    "releasetracker_plans_overdue_oldest_seconds",
    "releasetracker_audit_new_findings_total",
    "releasetracker_audit_failures_total",
    "releasetracker_ready",
    "releasetracker_db_pool_connections",
    "releasetracker_db_pool_max_connections",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "releasetracker_write_duration_seconds_count",
];

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Python with `prometheus_client` from PyPI.
fn parser() -> Option<PathBuf> {
    common::python::venv("prometheus-client-venv", "prometheus_client", &["prometheus-client>=0.20,<1"])
}

/// A scrape, parsed: sample name → [(labels, value)].
type Samples = BTreeMap<String, Vec<(BTreeMap<String, String>, f64)>>;

async fn scrape(python: &Path, port: u16) -> Samples {
    let (status, text) = http(port, "GET", "/metrics", "", "").await.expect("scrape");
    assert_eq!(status, 200, "{text}");
    let mut child = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parse_metrics.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the parser");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("feed the parser");
    let out = child.wait_with_output().expect("parser output");
    assert!(
        out.status.success(),
        "prometheus_client refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let families: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut samples = Samples::new();
    for family in families.as_object().expect("families").values() {
        assert!(!family["help"].as_str().unwrap_or_default().is_empty(), "every family has HELP: {family}");
        for sample in family["samples"].as_array().expect("samples") {
            let labels = sample[1]
                .as_object()
                .expect("labels")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let value = sample[2].as_f64().expect("value");
            samples.entry(sample[0].as_str().expect("name").to_owned()).or_default().push((labels, value));
        }
    }
    samples
}

/// The sum of `name`'s samples whose labels include all of `want`.
fn value(samples: &Samples, name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .get(name)
        .into_iter()
        .flatten()
        .filter(|(labels, _)| want.iter().all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|(_, v)| v)
        .sum()
}

fn token(db: &str) -> String {
    let out = Command::new(BIN).args(["--database", db, "token", "create", "--name", "releng-bot"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_owned()
}

async fn wait_for(python: &Path, port: u16, what: &str, ok: impl Fn(&Samples) -> bool) -> Samples {
    let started = Instant::now();
    // The server may still be starting.
    while http(port, "GET", "/metrics", "", "").await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the metrics address never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    loop {
        let samples = scrape(python, port).await;
        if ok(&samples) {
            return samples;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{what} never showed in the metrics: {samples:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_scrape_reads_every_documented_metric_and_counters_move() {
    let Some(python) = tokio::task::spawn_blocking(parser).await.unwrap() else { return };
    let Some(amqp) = broker().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("m.db").display());
    let token = token(&db);
    let proxy = Proxy::start(&amqp).await;
    let (port, metrics_port) = (free_port(), free_port());
    let child = Command::new(BIN)
        .args(["--database", &db, "--log-level", "warn", "serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--metrics-bind", &format!("127.0.0.1:{metrics_port}"), "--poll-interval-ms", "100"])
        .args(["--write-rate-limit", "0", "--amqp-topic-prefix", "org.example.metrics"])
        .args(["--overdue-check-interval", "300ms"])
        .env("AMQP_URL", proxy.url(&amqp))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start releasetracker");
    let _server = Killed(child);
    let connected = wait_for(&python, metrics_port, "a broker connection", |s| {
        value(s, "releasetracker_bus_connected", &[]) == 1.0
    })
    .await;

    // Not on the public address.
    let (status, _) = http(port, "GET", "/metrics", "", "").await.unwrap();
    assert_eq!(status, 404, "metrics are not public");

    // Writes of every kind, and a refused one.
    let before = connected;
    let mut ids = Vec::new();
    for (release, at) in [("44", "2026-02-10T14:00:00Z"), ("45", "2026-08-11T00:00:00Z")] {
        let body = json!({"dist": "fedora", "release": release, "state": "branched", "reached": true, "at": at});
        let (status, answer) = http(port, "POST", "/api/v1/events", &token, &body.to_string()).await.unwrap();
        assert_eq!(status, 201, "{answer}");
        ids.push(serde_json::from_str::<Value>(&answer).unwrap()["id"].as_i64().unwrap());
    }
    let retract = json!({"reason": "typo"}).to_string();
    let (status, _) =
        http(port, "POST", &format!("/api/v1/events/{}/retract", ids[1]), &token, &retract).await.unwrap();
    assert_eq!(status, 201);
    let plan =
        json!({"dist": "fedora", "release": "46", "state": "branched", "reached": true, "at": "2020-02-10T00:00:00Z"});
    let (status, _) = http(port, "POST", "/api/v1/plans", &token, &plan.to_string()).await.unwrap();
    assert_eq!(status, 201);
    let (status, _) = http(port, "POST", "/api/v1/events", &token, "{\"dist\": \"\"}").await.unwrap();
    assert_eq!(status, 422);

    let after = wait_for(&python, metrics_port, "the writes", |s| {
        value(s, "releasetracker_bus_messages_sent_total", &[]) >= 5.0
            && value(s, "releasetracker_plans_overdue", &[]) == 1.0
    })
    .await;
    for name in DOCUMENTED {
        assert!(after.contains_key(name), "{name} missing from the scrape: {:?}", after.keys().collect::<Vec<_>>());
    }
    let moved = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    assert_eq!(moved("releasetracker_writes_committed_total", &[("kind", "event")]), 2.0);
    assert_eq!(moved("releasetracker_writes_committed_total", &[("kind", "retraction")]), 1.0);
    assert_eq!(moved("releasetracker_writes_committed_total", &[("kind", "plan")]), 1.0);
    assert_eq!(moved("releasetracker_write_duration_seconds_count", &[("kind", "event")]), 2.0);
    assert_eq!(moved("releasetracker_group_commit_batch_size_count", &[]), 2.0);
    let api = |method: &'static str, status: &'static str| [("class", "api"), ("method", method), ("status", status)];
    assert_eq!(moved("releasetracker_http_requests_total", &api("POST", "201")), 4.0);
    assert_eq!(moved("releasetracker_http_requests_total", &api("POST", "422")), 1.0);
    assert!(moved("releasetracker_http_request_duration_seconds_count", &[("class", "api")]) >= 5.0);
    assert_eq!(value(&after, "releasetracker_projection_events", &[]), 2.0);
    assert_eq!(value(&after, "releasetracker_projection_lag_events", &[]), 0.0);
    assert_eq!(value(&after, "releasetracker_ready", &[]), 1.0);
    assert_eq!(
        moved("releasetracker_bus_messages_sent_total", &[]),
        5.0,
        "2 events, a retraction, a plan and (from the overdue check of serve) its plan.overdue, once"
    );
    assert!(value(&after, "releasetracker_plans_overdue_oldest_seconds", &[]) > 86_400.0 * 365.0);
    assert!(value(&after, "process_resident_memory_bytes", &[]) > 1_000_000.0);
    assert!(value(&after, "releasetracker_db_pool_max_connections", &[]) >= 1.0);

    // A broker outage: messages wait, failures count, nothing is lost.
    proxy.cut().await;
    let body = json!({"dist": "fedora", "release": "47", "state": "branched", "reached": true});
    let (status, _) = http(port, "POST", "/api/v1/events", &token, &body.to_string()).await.unwrap();
    assert_eq!(status, 201, "a broker outage never blocks a write");
    let down = wait_for(&python, metrics_port, "the outage", |s| {
        value(s, "releasetracker_bus_connected", &[]) == 0.0
            && value(s, "releasetracker_bus_errors_total", &[]) > value(&after, "releasetracker_bus_errors_total", &[])
            && value(s, "releasetracker_outbox_pending_messages", &[]) >= 1.0
    })
    .await;
    assert!(value(&down, "releasetracker_outbox_oldest_pending_age_seconds", &[]) >= 0.0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let waiting = scrape(&python, metrics_port).await;
    assert!(value(&waiting, "releasetracker_outbox_oldest_pending_age_seconds", &[]) >= 1.0, "{waiting:?}");
    proxy.restore().await;
    let back = wait_for(&python, metrics_port, "the broker's return", |s| {
        value(s, "releasetracker_outbox_pending_messages", &[]) == 0.0
            && value(s, "releasetracker_bus_connected", &[]) == 1.0
    })
    .await;
    assert_eq!(value(&back, "releasetracker_outbox_oldest_pending_age_seconds", &[]), 0.0);
    assert_eq!(value(&back, "releasetracker_bus_messages_sent_total", &[]), 6.0, "nothing lost, nothing twice");
}

/// Debian's promtool: on the PATH, or unpacked by `scripts/test` under
/// `target/tools` (`ensure_promtool`).
fn promtool() -> Option<PathBuf> {
    let unpacked = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools/prometheus/usr/bin/promtool");
    if unpacked.is_file() {
        return Some(unpacked);
    }
    let on_path = Command::new("promtool").arg("--version").output().is_ok_and(|o| o.status.success());
    if on_path {
        return Some(PathBuf::from("promtool"));
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("promtool is required with CI=true (scripts/test unpacks Debian's prometheus package)");
    }
    eprintln!("SKIPPED: no promtool (scripts/test unpacks it from Debian's prometheus package)");
    None
}

#[test]
fn the_alert_rules_pass_promtool() {
    let Some(promtool) = promtool() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/prometheus");
    for args in [["check", "rules", "releasetracker-alerts.yml"], ["test", "rules", "releasetracker-alerts.test.yml"]] {
        let out = Command::new(&promtool).args(args).current_dir(&dir).output().expect("run promtool");
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
