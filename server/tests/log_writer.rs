//! The log writer on both databases: every kind of write is committed with
//! its outbox rows (or, for properties and imports, without any, as
//! before), caught up into the projection and announced to the bus; its
//! refusals are the documented `WriteError` variants; concurrent writes
//! are stored exactly once, idempotent replays not at all.

mod common;

use std::sync::Arc;
use std::time::Duration;

use app::model::event::EventInput;
use app::model::properties::PropertySet;
use app::model::{Dist, NewEvent, NewRetraction, Release};
use chrono::Utc;
use common::*;
use server::bus::Bus;
use server::log::{Import, LogWriter, WriteError};
use server::projection::Projection;
use server::store::{Actor, OutboxKind, Store, WriteKey};

/// A writer over `db` with a bus of its own, to see it woken.
struct Fixture {
    store: Store,
    projection: Arc<Projection>,
    bus: Arc<Bus>,
    writer: LogWriter,
}

impl Fixture {
    async fn start(db: &TestDb) -> Self {
        let store = Store::connect(&db.url).await.expect("connect");
        let projection = Projection::load(&store).await.expect("load");
        let bus: Arc<Bus> = Arc::default();
        let writer = LogWriter::start(store.clone(), projection.clone(), bus.clone());
        Self { store, projection, bus, writer }
    }

    /// Forgets a wake-up left by earlier writes.
    async fn quiet_bus(&self) {
        let _ = tokio::time::timeout(Duration::from_millis(20), self.bus.woken()).await;
    }

    /// Whether the bus was woken (now, or within a second).
    async fn bus_woken(&self) -> bool {
        tokio::time::timeout(Duration::from_secs(1), self.bus.woken()).await.is_ok()
    }

    async fn stored_events(&self) -> usize {
        self.store.events_after(0, 100_000).await.expect("events").len()
    }

    async fn outbox(&self) -> Vec<(OutboxKind, i64)> {
        self.store.outbox_after(0, 100_000).await.expect("outbox").into_iter().map(|e| (e.kind, e.ref_id)).collect()
    }
}

fn editor() -> Actor {
    Actor { name: "releng-bot".into(), source: "api".into() }
}

fn event(release: &str, state: &str, reached: bool, at: &str) -> NewEvent {
    EventInput {
        dist: Some("fedora".into()),
        release: Some(release.into()),
        state: Some(state.into()),
        reached: Some(reached),
        at: Some(at.into()),
        note: None,
        link: None,
    }
    .validate(Utc::now())
    .expect("valid event")
}

fn reason(text: &str) -> NewRetraction {
    NewRetraction::parse(Some(text)).expect("valid reason")
}

/// Runs `story` on SQLite, then on PostgreSQL when it is reachable.
macro_rules! on_both_databases {
    ($sqlite:ident, $postgres:ident, $story:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            $story(sqlite_db()).await;
        }

        #[tokio::test]
        async fn $postgres() {
            match postgres_db().await {
                Some(db) => $story(db).await,
                None => eprintln!("SKIPPED {}: no PostgreSQL", stringify!($postgres)),
            }
        }
    };
}

/// Property changes have no outbox rows (they are not on the bus) and
/// never had: the writer keeps it so, but catches the projection up and
/// wakes the publisher like every write that stored something.
async fn property_changes(db: TestDb) {
    let f = Fixture::start(&db).await;
    let fedora = Dist::parse("fedora").unwrap();
    let f44 = Release::parse("44").unwrap();
    f.quiet_bus().await;
    let wanted = PropertySet::from([
        ("codename".to_owned(), "Heisenbug".to_owned()),
        ("name".to_owned(), "Fedora 44".to_owned()),
    ]);
    let set = f.writer.replace_properties(&fedora, Some(&f44), wanted.clone(), editor()).await.expect("stored");
    assert_eq!(set, wanted);
    assert_eq!(f.projection.read().properties().latest(&fedora, Some(&f44)), set, "projection caught up");
    assert!(f.bus_woken().await, "a property change wakes the publisher");
    assert!(f.outbox().await.is_empty(), "property changes are not announced on the bus");
    assert_eq!(f.store.property_changes_after(0, 100).await.unwrap().len(), 2);

    // The same set again stores nothing, so there is nothing to announce.
    f.quiet_bus().await;
    f.writer.replace_properties(&fedora, Some(&f44), wanted, editor()).await.expect("no change");
    assert_eq!(f.store.property_changes_after(0, 100).await.unwrap().len(), 2);
    assert!(!f.bus_woken().await, "nothing stored, nothing to wake for");

    // The writer checks the set itself and names the culprit.
    let bad = PropertySet::from([("Not A Key".to_owned(), "x".to_owned())]);
    match f.writer.replace_properties(&fedora, None, bad, editor()).await {
        Err(WriteError::Invalid { field, .. }) => assert!(field.is_some(), "the key is named"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(f.store.property_changes_after(0, 100).await.unwrap().len(), 2);
}
on_both_databases!(property_changes_sqlite, property_changes_postgres, property_changes);

/// A retraction: unknown event is `NotFound`, the first one is stored with
/// its outbox row and seen in the projection, a second is a `Conflict`.
async fn retractions(db: TestDb) {
    let f = Fixture::start(&db).await;
    let stored = f.writer.record(event("44", "branched", true, "2026-02-10T00:00:00Z"), editor()).await.unwrap();
    assert!(matches!(
        f.writer.retract(stored.id + 100, reason("no such event"), editor()).await,
        Err(WriteError::NotFound(_))
    ));
    f.quiet_bus().await;
    let result = f.writer.retract(stored.id, reason("wrong release"), editor()).await.expect("retracted");
    assert_eq!(result.event.id, stored.id);
    assert_eq!(result.retraction.event_id, stored.id);
    assert_eq!(result.retraction.reason, "wrong release");
    assert!(f.bus_woken().await, "a retraction wakes the publisher");
    assert_eq!(f.outbox().await, [(OutboxKind::Event, stored.id), (OutboxKind::Retraction, result.retraction.id)]);
    let log = f.projection.read().event_record(stored.id).expect("in the projection");
    assert_eq!(log.retraction.map(|r| r.id), Some(result.retraction.id), "projection caught up");

    match f.writer.retract(stored.id, reason("again"), editor()).await {
        Err(WriteError::Conflict(message)) => assert!(message.contains("already retracted"), "{message}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(f.outbox().await.len(), 2, "a refused retraction writes nothing");
}
on_both_databases!(retractions_sqlite, retractions_postgres, retractions);

/// A correction stores the retraction and the corrected event together;
/// when it is refused (the event is retracted already) neither is stored.
async fn corrections(db: TestDb) {
    let f = Fixture::start(&db).await;
    let wrong = f.writer.record(event("44", "branched", true, "2026-02-10T00:00:00Z"), editor()).await.unwrap();
    f.quiet_bus().await;
    let (retraction, corrected) = f
        .writer
        .correct(wrong.id, reason("wrong day"), event("44", "branched", true, "2026-02-11T00:00:00Z"), editor())
        .await
        .expect("corrected");
    assert!(f.bus_woken().await);
    assert_eq!(retraction.event.id, wrong.id);
    assert_eq!(corrected.corrects, Some(wrong.id));
    assert_eq!(f.stored_events().await, 2);
    assert_eq!(
        f.outbox().await,
        [
            (OutboxKind::Event, wrong.id),
            (OutboxKind::Retraction, retraction.retraction.id),
            (OutboxKind::Event, corrected.id)
        ]
    );
    assert!(f.projection.read().event_record(corrected.id).is_some(), "projection caught up");

    let refused = f
        .writer
        .correct(wrong.id, reason("again"), event("44", "branched", true, "2026-02-12T00:00:00Z"), editor())
        .await;
    assert!(matches!(refused, Err(WriteError::Conflict(_))), "{refused:?}");
    assert_eq!(f.stored_events().await, 2, "the corrected event of a refused correction is not stored");
    assert_eq!(f.outbox().await.len(), 3);
}
on_both_databases!(corrections_sqlite, corrections_postgres, corrections);

/// Many tasks writing at once (group commit): every event is stored once,
/// with one outbox row, and answered with its own id.
async fn concurrent_events(db: TestDb) {
    let f = Fixture::start(&db).await;
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let writer = f.writer.clone();
            tokio::spawn(async move {
                let e = event(&format!("{i}"), "active", true, "2026-01-01T00:00:00Z");
                writer.record(e, editor()).await.expect("stored")
            })
        })
        .collect();
    let mut ids = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let record = task.await.expect("task");
        assert_eq!(record.release.as_str(), i.to_string(), "each request gets its own event back");
        ids.push(record.id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 64, "distinct ids");
    assert_eq!(f.stored_events().await, 64, "each stored exactly once");
    let outbox = f.outbox().await;
    assert_eq!(outbox.len(), 64);
    assert!(outbox.iter().all(|(kind, id)| *kind == OutboxKind::Event && ids.binary_search(id).is_ok()));
    assert_eq!(f.projection.read().len(), 64, "projection caught up");
}
on_both_databases!(concurrent_events_sqlite, concurrent_events_postgres, concurrent_events);

/// An idempotency key: a repeat answers the stored event without storing
/// it again (also when the repeats race), the key with another request is
/// `KeyReused`.
async fn idempotent_replays(db: TestDb) {
    let f = Fixture::start(&db).await;
    let key = |k: &str, fingerprint: &str| Some(WriteKey { key: k.into(), fingerprint: fingerprint.into() });
    let e = || event("44", "beta", true, "2026-03-01T00:00:00Z");
    let first = f.writer.record_once(e(), editor(), key("k1", "request-a")).await.expect("stored");
    assert!(!first.replayed);
    let again = f.writer.record_once(e(), editor(), key("k1", "request-a")).await.expect("replayed");
    assert!(again.replayed);
    assert_eq!(again.event.id, first.event.id);
    match f.writer.record_once(e(), editor(), key("k1", "request-b")).await {
        Err(WriteError::KeyReused { event_id }) => assert_eq!(event_id, first.event.id),
        other => panic!("expected KeyReused, got {other:?}"),
    }
    // The same key belongs to each caller: another caller stores anew.
    let other = Actor { name: "someone-else".into(), source: "api".into() };
    let theirs = f.writer.record_once(e(), other, key("k1", "request-a")).await.expect("stored");
    assert!(!theirs.replayed);
    assert_eq!(f.stored_events().await, 2);

    // Racing repeats of one new request: one stores, the others replay it.
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let writer = f.writer.clone();
            tokio::spawn(async move {
                let e = event("45", "beta", true, "2026-03-01T00:00:00Z");
                let k = Some(WriteKey { key: "k2".into(), fingerprint: "request-c".into() });
                writer.record_once(e, editor(), k).await.expect("answered")
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1, "exactly one stored");
    assert!(answers.iter().all(|a| a.event.id == answers[0].event.id), "all answer the same event");
    assert_eq!(f.stored_events().await, 3);
    assert_eq!(f.outbox().await.len(), 3, "replays add no messages");
}
on_both_databases!(idempotent_replays_sqlite, idempotent_replays_postgres, idempotent_replays);

/// The importers' bulk write: everything or nothing, no outbox rows (as
/// before), and the projection caught up.
async fn imports(db: TestDb) {
    let f = Fixture::start(&db).await;
    let recorded = f.writer.record(event("43", "active", true, "2025-10-28T00:00:00Z"), editor()).await.unwrap();
    let text = format!(
        "{{\"type\":\"event\",\"id\":{},\"dist\":\"fedora\",\"release\":\"41\",\"state\":\"active\",\
         \"reached\":true,\"at\":\"2024-10-29T00:00:00Z\",\"recorded_at\":\"2024-10-29T00:00:00Z\",\
         \"recorded_by\":\"import\",\"source\":\"import\"}}\n",
        recorded.id + 1
    );
    let parsed = server::jsonl::parse_all(&text, (recorded.id, 0, 0, 0), Utc::now(), |_| false).expect("parsed");
    let import = Import {
        events: parsed.events,
        retractions: parsed.retractions,
        properties: parsed.properties,
        plans: parsed.plans,
    };
    f.writer.import(&import).await.expect("imported");
    assert_eq!(f.stored_events().await, 2);
    assert_eq!(f.outbox().await, [(OutboxKind::Event, recorded.id)], "imports are not news for the bus");
    assert!(f.projection.read().event_record(recorded.id + 1).is_some(), "projection caught up");

    // The same ids again: refused, and nothing of it stored.
    assert!(f.writer.import(&import).await.is_err());
    assert_eq!(f.stored_events().await, 2);
}
on_both_databases!(imports_sqlite, imports_postgres, imports);

/// The body of each outbox row is fixed at commit and says exactly what
/// the write answered: a pseudo-random story of backdated events, ties,
/// retractions and corrections, each checked against the writer's answer
/// right after its commit, then against the log as it now reads (where
/// later writes changed `changed` and `retraction`, the bodies did not).
async fn bodies_fixed_at_commit(db: TestDb) {
    let f = Fixture::start(&db).await;
    let body = |row: &server::store::OutboxEntry| {
        let mut v: serde_json::Value = serde_json::from_str(row.body.as_deref().expect("a body")).expect("JSON");
        v.as_object_mut().expect("object").remove("url");
        v
    };
    let store = &f.store;
    let last_rows = |n: usize| async move {
        let rows = store.outbox_after(0, 100_000).await.expect("outbox");
        rows[rows.len() - n..].to_vec()
    };
    let mut seed: u64 = 0x5eed;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut live: Vec<i64> = Vec::new();
    let mut changed_since = 0;
    for _ in 0..120 {
        let release = ["44", "45"][next(2) as usize];
        let state = ["branched", "beta"][next(2) as usize];
        let at = format!("2026-02-{:02}T00:00:00Z", 1 + next(6));
        let e = event(release, state, next(3) != 0, &at);
        match next(10) {
            0 if !live.is_empty() => {
                let id = live.swap_remove(next(live.len() as u64) as usize);
                let r = f.writer.retract(id, reason("story"), editor()).await.expect("retracted");
                assert_eq!(body(&last_rows(1).await[0]), serde_json::to_value(&r).unwrap());
            }
            1 if !live.is_empty() => {
                let id = live.swap_remove(next(live.len() as u64) as usize);
                let (r, fixed) = f.writer.correct(id, reason("fix"), e, editor()).await.expect("corrected");
                let rows = last_rows(2).await;
                assert_eq!(body(&rows[0]), serde_json::to_value(&r).unwrap(), "the retraction names its correction");
                assert_eq!(body(&rows[1]), serde_json::to_value(&fixed).unwrap());
                live.push(fixed.id);
            }
            _ => {
                let answer = f.writer.record(e, editor()).await.expect("recorded");
                assert_eq!(body(&last_rows(1).await[0]), serde_json::to_value(&answer).unwrap());
                live.push(answer.id);
            }
        }
    }
    // Later writes changed how earlier events read; their bodies stayed.
    let rows = f.store.outbox_after(0, 100_000).await.expect("outbox");
    for row in rows.iter().filter(|r| r.kind == OutboxKind::Event) {
        let now = serde_json::to_value(f.projection.read().event_record(row.ref_id).unwrap()).unwrap();
        if now != body(row) {
            changed_since += 1;
        }
    }
    assert!(changed_since > 10, "the story should change how earlier events read ({changed_since})");

    // Group commit: concurrent writes to one timeline, in one or a few
    // batches; each body's membership counts exactly the events committed
    // before it, batch neighbours included.
    let before = rows.len();
    let tasks: Vec<_> = (0..48)
        .map(|i| {
            let writer = f.writer.clone();
            let e = event("46", "active", i % 3 != 0, &format!("2026-03-01T00:{:02}:00Z", (i * 7) % 10));
            tokio::spawn(async move { writer.record(e, editor()).await.expect("stored") })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    let rows = f.store.outbox_after(0, 100_000).await.expect("outbox");
    let log = f.projection.read();
    for row in &rows[before..] {
        let me = log.event(row.ref_id).expect("stored");
        let mut then = app::model::EventLog::new();
        for e in log.events().iter().filter(|e| e.id <= me.id && e.release.as_str() == "46") {
            then.apply_event(e.clone()).unwrap();
        }
        let b = body(row);
        assert_eq!(b["was_in_state"], then.was_in_state(me), "event {}", me.id);
        assert_eq!(b["changed"], then.was_in_state(me) != me.reached);
    }
}
on_both_databases!(bodies_fixed_at_commit_sqlite, bodies_fixed_at_commit_postgres, bodies_fixed_at_commit);
