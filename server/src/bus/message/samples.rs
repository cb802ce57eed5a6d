//! The sample messages shared with the Python schema package: built here
//! from a fixed log with the real message builder, kept in
//! `messages/tests/samples/`, and read by the package's tests
//! (`messages/tests/`). This test fails when the files differ from what
//! the builder makes; `UPDATE_MESSAGE_SAMPLES=1` rewrites them.

use std::path::PathBuf;
use std::sync::Arc;

use app::model::audit::{Finding, FindingKind};
use app::model::plans::{evaluate, Plan, TransitionKey};
use app::model::{Dist, Event, EventLog, Release, Retraction, State, Timestamp};
use lapin::types::AMQPValue;
use serde_json::{json, Map, Value};

use super::{build, Bodies, Topics};
use crate::store::{OutboxEntry, OutboxKind, RenderBody};

fn at(s: &str) -> Timestamp {
    app::model::time::parse_timestamp("at", s).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn event(id: i64, release: &str, state: &str, reached: bool, when: &str, by: &str, source: &str) -> Event {
    Event {
        id,
        dist: Dist::parse("fedora").unwrap(),
        release: Release::parse(release).unwrap(),
        state: State::parse(state).unwrap(),
        reached,
        at: at(when),
        recorded_at: at("2026-02-10T14:03:12.520Z"),
        recorded_by: Arc::from(by),
        source: Arc::from(source),
        note: None,
        link: None,
        corrects: None,
    }
}

fn key(release: &str, state: &str) -> TransitionKey {
    TransitionKey {
        dist: Dist::parse("fedora").unwrap(),
        release: Release::parse(release).unwrap(),
        state: State::parse(state).unwrap(),
        reached: true,
    }
}

fn plan(id: i64, key: TransitionKey, when: &str, cancelled: bool, note: Option<&str>, by: &str) -> Plan {
    Plan {
        id,
        key,
        at: at(when),
        cancelled,
        note: note.map(str::to_owned),
        link: None,
        recorded_at: at("2026-02-10T14:03:12.520Z"),
        recorded_by: Arc::from(by),
        source: Arc::from(if by == "import" { "import" } else { "web" }),
    }
}

/// Events by a signed-in editor, a personal token, a service token and an
/// import; a repeated event; a retraction. Plans: F45's branching planned,
/// then moved; F44's Beta planned and cancelled; F43's EOL planned and
/// never met.
fn log() -> EventLog {
    let mut log = EventLog::new();
    let mut branched = event(1, "44", "branched", true, "2026-02-10T14:00:00Z", "alice", "web");
    branched.note = Some("Branched on schedule; see the meeting log.\nSecond line.".into());
    branched.link = Some("https://meetbot.fedoraproject.org/fedora-meeting/2026-02-10/".into());
    log.apply_event(branched).unwrap();
    log.apply_event(event(2, "43", "beta-freeze", false, "2025-09-02T14:30:00Z", "bob/laptop", "api")).unwrap();
    log.apply_event(event(3, "0", "active", true, "2026-02-10T00:00:00Z", "releng-bot", "api")).unwrap();
    log.apply_event(event(4, "44", "branched", true, "2026-02-11T00:00:00Z", "import", "import")).unwrap();
    log.apply_event(event(5, "42", "stable", true, "2025-04-15T00:00:00Z", "releng-bot", "api")).unwrap();
    log.apply_retraction(Retraction {
        id: 1,
        event_id: 5,
        reason: "wrong release: it was 42's GA date".into(),
        recorded_at: at("2026-02-10T15:00:00Z"),
        recorded_by: Arc::from("alice"),
        source: Arc::from("web"),
    })
    .unwrap();
    let link = "https://fedorapeople.org/groups/schedule/f-45/f-45-key-tasks.html";
    let mut first = plan(1, key("45", "branched"), "2026-08-11T00:00:00Z", false, None, "alice");
    first.link = Some(link.into());
    log.apply_plan(first).unwrap();
    log.apply_plan(plan(
        2,
        key("45", "branched"),
        "2026-08-18T00:00:00Z",
        false,
        Some("Mass rebuild ran late."),
        "alice",
    ))
    .unwrap();
    log.apply_plan(plan(3, key("44", "beta"), "2026-03-10T14:00:00Z", false, None, "bob")).unwrap();
    log.apply_plan(plan(4, key("44", "beta"), "2026-03-10T14:00:00Z", true, Some("No Beta this cycle."), "bob"))
        .unwrap();
    log.apply_plan(plan(5, key("43", "eol"), "2026-12-09T00:00:00Z", false, None, "import")).unwrap();
    log
}

/// The samples: file name → (outbox kind, id). Plan revisions, overdue
/// plans and findings are sent with the body stored at commit only; here
/// it is rendered from the log above.
const SAMPLES: [(&str, OutboxKind, i64); 10] = [
    ("event-entered-by-person", OutboxKind::Event, 1),
    ("event-left-by-personal-token", OutboxKind::Event, 2),
    ("event-rawhide-by-service", OutboxKind::Event, 3),
    ("event-repeated-import", OutboxKind::Event, 4),
    ("retraction", OutboxKind::Retraction, 1),
    ("plan-new", OutboxKind::Plan, 1),
    ("plan-moved", OutboxKind::Plan, 2),
    ("plan-cancelled", OutboxKind::Plan, 4),
    ("plan-overdue", OutboxKind::PlanOverdue, 5),
    ("audit-drift", OutboxKind::AuditDrift, 1),
];

/// The body a writer stores for the rows that always carry one.
fn stored_body(kind: OutboxKind, id: i64, log: &EventLog, bodies: &Bodies) -> Option<String> {
    match kind {
        OutboxKind::Event | OutboxKind::Retraction => None,
        OutboxKind::Plan => Some(bodies.plan(&log.plans().record(id).unwrap()).unwrap()),
        OutboxKind::PlanOverdue => {
            let key = log.plans().record(id).map(|r| TransitionKey {
                dist: r.dist,
                release: r.release,
                state: r.state,
                reached: r.reached,
            });
            let view = evaluate(log, &key.unwrap(), at("2026-12-11T00:00:00Z"), chrono::Duration::days(1)).unwrap();
            Some(bodies.plan_overdue(&view).unwrap())
        }
        OutboxKind::AuditDrift => {
            let finding = Finding {
                kind: FindingKind::Eol,
                dist: "fedora".into(),
                release: "42".into(),
                bodhi_name: "F42".into(),
                bodhi: Some("2026-05-13".into()),
                ours: Some("2026-05-20".into()),
                expected_lag: false,
                message: "Bodhi's end of life for F42 is 2026-05-13, the tracker's is 2026-05-20".into(),
            };
            Some(bodies.audit_drift(&finding, "https://bodhi.fedoraproject.org/", at("2026-02-10T14:03:12Z")).unwrap())
        }
    }
}

fn header_json(value: &AMQPValue) -> Value {
    match value {
        AMQPValue::LongString(s) => json!(s.to_string()),
        AMQPValue::LongInt(i) => json!(i),
        AMQPValue::Boolean(b) => json!(b),
        other => json!(format!("{other:?}")),
    }
}

fn sample(kind: OutboxKind, id: i64) -> Value {
    let entry = OutboxEntry {
        id,
        kind,
        ref_id: id,
        message_id: format!("00000000-0000-4000-8000-{id:012}"),
        created_at: at("2026-02-10T14:03:12.520Z"),
        sent_at: None,
        attempts: 0,
        last_error: None,
        body: None,
    };
    let bodies = Bodies::new(url::Url::parse("https://releasetracker.fedoraproject.org/").unwrap());
    let log = log();
    let entry = OutboxEntry { body: stored_body(kind, id, &log, &bodies), ..entry };
    let m = build(&entry, &log, &Topics::new("org.fedoraproject.prod").unwrap(), &bodies).unwrap();
    let headers: Map<String, Value> = m
        .properties
        .headers()
        .as_ref()
        .map(|h| h.inner().iter().map(|(k, v)| (k.to_string(), header_json(v))).collect())
        .unwrap_or_default();
    json!({
        "topic": m.routing_key.as_str(),
        "id": m.properties.message_id().as_ref().map(|s| s.as_str()),
        "headers": headers,
        "body": serde_json::from_slice::<Value>(&m.body).unwrap(),
    })
}

#[test]
fn the_shared_samples_are_what_the_builder_makes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../messages/tests/samples");
    let update = std::env::var("UPDATE_MESSAGE_SAMPLES").is_ok_and(|v| v == "1");
    for (name, kind, id) in SAMPLES {
        let made = serde_json::to_string_pretty(&sample(kind, id)).unwrap() + "\n";
        let path = dir.join(format!("{name}.json"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &made).unwrap();
            continue;
        }
        let kept = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_MESSAGE_SAMPLES=1 writes it)", path.display()));
        assert_eq!(kept, made, "{name}: the sample differs from the message (UPDATE_MESSAGE_SAMPLES=1 rewrites it)");
    }
}
