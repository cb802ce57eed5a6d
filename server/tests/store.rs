//! One story on both databases: write through the API (events,
//! retractions, properties), restart (rebuild the projection from the
//! log) and get identical views; a second instance
//! on the same PostgreSQL sees the first one's writes; export → import →
//! export is byte-identical; an import with a bad line stores nothing.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use server::commands;
use server::jsonl;
use server::projection::Projection;
use tokio_util::sync::CancellationToken;

const VIEWS: [&str; 10] = [
    "/api/v1/views/fedora/states-by-release",
    "/api/v1/views/fedora/releases-by-state",
    "/api/v1/views/fedora/detailed",
    "/api/v1/views/fedora/releases/44",
    "/api/v1/views/fedora/detailed?at=2026-02-10",
    "/api/v1/events?limit=1000",
    "/api/v1/dists/fedora/releases/44/properties",
    "/api/v1/dists/fedora/releases/44/properties/history",
    "/api/v1/dists/fedora/properties/history",
    "/api/v1/views/fedora/detailed?with=properties",
];

async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for v in VIEWS {
        let r = app.get(v).await;
        assert_eq!(r.status, StatusCode::OK, "{v}: {}", r.text());
        out.push(r.text());
    }
    out
}

/// Writes a small but tricky history: backdated events, equal timestamps,
/// a retraction, notes and links with markup.
async fn write_history(app: &TestApp) {
    let t = app.token("story").await;
    let events = [
        ("44", "branched", true, "2026-02-10T14:00:00Z"),
        ("44", "beta-freeze", true, "2026-02-10T14:00:00Z"),
        ("44", "beta-freeze", false, "2026-03-10T00:00:00Z"),
        ("43", "stable", true, "2025-10-28T00:00:00Z"),
        ("0", "rawhide", true, "2020-01-01T00:00:00Z"),
        ("44", "branched", true, "2026-01-01T00:00:00Z"), // backdated, before the first
    ];
    for (release, state, reached, at) in events {
        let r = app.post_json("/api/v1/events", Some(&t), &event_body(release, state, reached, at)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let body = serde_json::json!({"dist":"fedora","release":"44","state":"eol","reached":true,
        "note":"<script>alert('x')</script> & \"quotes\"\nsecond line","link":"https://example.org/a?b=1&c=<d>"})
    .to_string();
    let r = app.post_json("/api/v1/events", Some(&t), &body).await;
    let id = r.json()["id"].as_i64().unwrap();
    let r = app.post_json(&format!("/api/v1/events/{id}/retract"), Some(&t), r#"{"reason":"not yet ✓"}"#).await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Properties: set, change, remove; one of the dist itself.
    for body in [r#"{"name":"Fedora Linux 44","branch":"f44"}"#, r#"{"name":"Fedora Linux 44 <\"β\">"}"#] {
        let r = app.put_json("/api/v1/dists/fedora/releases/44/properties", Some(&t), body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = app.put_json("/api/v1/dists/fedora/properties", Some(&t), r#"{"name":"Fedora"}"#).await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn restart_gives_identical_views(db: TestDb) {
    let first = TestApp::start(&db).await;
    write_history(&first).await;
    let before = snapshot(&first).await;
    first.store.close().await;
    drop(first);
    let second = TestApp::start(&db).await;
    assert_eq!(snapshot(&second).await, before);
    assert_eq!(second.state.projection.read().len(), 7);
}

#[tokio::test]
async fn restart_sqlite() {
    restart_gives_identical_views(sqlite_db()).await;
}

#[tokio::test]
async fn restart_postgres() {
    if let Some(db) = postgres_db().await {
        restart_gives_identical_views(db).await;
    }
}

async fn export_text(db: &TestDb) -> String {
    // The CLI writes to stdout; the same lines are built here from the store.
    let store = server::store::Store::connect(&db.url).await.unwrap();
    let mut lines = String::new();
    store
        .for_each_event_after(0, |e| {
            lines.push_str(&serde_json::to_string(&jsonl::Line::from(&e)).unwrap());
            lines.push('\n');
            Ok(())
        })
        .await
        .unwrap();
    for r in store.retractions_after(0, i64::MAX).await.unwrap() {
        lines.push_str(&serde_json::to_string(&jsonl::Line::from(&r)).unwrap());
        lines.push('\n');
    }
    for c in store.property_changes_after(0, i64::MAX).await.unwrap() {
        lines.push_str(&serde_json::to_string(&jsonl::Line::from(&c)).unwrap());
        lines.push('\n');
    }
    store.close().await;
    lines
}

async fn round_trip(source: TestDb, target: TestDb) {
    let app = TestApp::start(&source).await;
    write_history(&app).await;
    let views = snapshot(&app).await;
    let exported = export_text(&source).await;
    // 7 events, 1 retraction, 5 property changes (2 set, 1 changed, 1
    // removed, 1 of the dist).
    assert_eq!(exported.lines().count(), 13);
    assert!(
        exported.contains(r#"{"type":"property","id":5,"dist":"fedora","release":null,"key":"name","value":"Fedora","#),
        "{exported}"
    );
    assert!(exported.contains(r#""key":"branch","value":null,"#), "{exported}");

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &exported).unwrap();
    let store = server::store::Store::connect(&target.url).await.unwrap();
    commands::import(&store, file.path()).await.unwrap();
    store.close().await;
    assert_eq!(export_text(&target).await, exported, "export → import → export differs");
    let imported = TestApp::start(&target).await;
    assert_eq!(snapshot(&imported).await, views);

    // Importing the same file again conflicts on ids and stores nothing.
    let err = commands::import(&imported.store, file.path()).await.unwrap_err();
    assert!(err.contains("line 1"), "{err}");
    assert_eq!(imported.stored_events().await, (7, 1));
    assert_eq!(imported.stored_property_changes().await, 5);
    // New writes after an import continue the id sequences.
    let t = imported.token("after").await;
    let r = imported.put_json("/api/v1/dists/fedora/properties", Some(&t), r#"{"name":"Fedora Linux"}"#).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(imported.stored_property_changes().await, 6);

    // A file whose third line is bad stores nothing at all.
    let bad = "{\"type\":\"event\",\"dist\":\"x\",\"release\":\"1\",\"state\":\"a\",\"reached\":true,\"at\":\"2020-01-01T00:00:00Z\"}\n\
               {\"type\":\"event\",\"dist\":\"x\",\"release\":\"2\",\"state\":\"a\",\"reached\":true,\"at\":\"2020-01-01T00:00:00Z\"}\n\
               {\"type\":\"event\",\"dist\":\"x\",\"release\":\"3\",\"state\":\"a\",\"reached\":1,\"at\":\"2020-01-01T00:00:00Z\"}\n";
    std::fs::write(file.path(), bad).unwrap();
    let err = commands::import(&imported.store, file.path()).await.unwrap_err();
    assert!(err.starts_with("line 3:"), "{err}");
    assert_eq!(imported.stored_events().await, (7, 1));
}

#[tokio::test]
async fn export_import_sqlite_to_sqlite() {
    round_trip(sqlite_db(), sqlite_db()).await;
}

#[tokio::test]
async fn export_import_between_sqlite_and_postgres() {
    let (Some(a), Some(b)) = (postgres_db().await, postgres_db().await) else { return };
    round_trip(sqlite_db(), a).await;
    round_trip(b, sqlite_db()).await;
}

#[tokio::test]
async fn two_instances_on_one_postgres_see_each_other_within_a_second() {
    let Some(db) = postgres_db().await else { return };
    let a = TestApp::start(&db).await;
    let b = TestApp::start(&db).await;
    let stop = CancellationToken::new();
    for app in [&a, &b] {
        let projection: std::sync::Arc<Projection> = app.state.projection.clone();
        tokio::spawn(projection.follow(
            app.store.clone(),
            Duration::from_millis(200),
            Default::default(),
            stop.clone(),
        ));
    }
    let t = a.token("a").await;
    let r = a.post_json("/api/v1/events", Some(&t), &event_body("44", "branched", true, "2026-02-10T14:00:00Z")).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = b.post_json("/api/v1/events", Some(&t), &event_body("45", "rawhide", true, "2026-02-10T14:00:00Z")).await;
    assert_eq!(r.status, StatusCode::CREATED);
    // B wrote after A, so B's catch-up on its own write already includes A's.
    assert_eq!(b.get("/api/v1/views/fedora/states-by-release").await.text(), r#"{"44":["branched"],"45":["rawhide"]}"#);
    let started = std::time::Instant::now();
    loop {
        if a.get("/api/v1/views/fedora/states-by-release").await.text() == r#"{"44":["branched"],"45":["rawhide"]}"# {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "A did not see B's write within a second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
}

/// A transaction whose commit is in doubt is found (or not) by the outbox
/// message ids it wrote: all of them stored gives the ids in order, none
/// gives `None`, a mix is corrupt data, never a guess.
async fn committed_refs_settle_a_commit_in_doubt(db: TestDb) {
    let app = TestApp::start(&db).await;
    let t = app.token("doubt").await;
    for release in ["40", "41"] {
        let r = app
            .post_json("/api/v1/events", Some(&t), &event_body(release, "active", true, "2026-01-01T00:00:00Z"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let r = app.post_json("/api/v1/events/1/retract", Some(&t), r#"{"reason":"test"}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let outbox = app.store.outbox_after(0, 10).await.expect("outbox");
    let ids: Vec<String> = outbox.iter().map(|e| e.message_id.clone()).collect();
    assert_eq!(outbox.iter().map(|e| e.ref_id).collect::<Vec<_>>(), [1, 2, 1], "events 1, 2, retraction 1");

    assert_eq!(app.store.committed_refs(&ids[..2]).await.expect("refs"), Some(vec![1, 2]));
    assert_eq!(app.store.committed_refs(&ids[2..]).await.expect("refs"), Some(vec![1]));
    let unknown = vec![uuid::Uuid::new_v4().to_string(), uuid::Uuid::new_v4().to_string()];
    assert_eq!(app.store.committed_refs(&unknown).await.expect("refs"), None);
    let mixed = vec![ids[0].clone(), unknown[0].clone()];
    assert!(matches!(app.store.committed_refs(&mixed).await, Err(server::store::StoreError::Corrupt(_))));
}

#[tokio::test]
async fn commit_in_doubt_sqlite() {
    committed_refs_settle_a_commit_in_doubt(sqlite_db()).await;
}

#[tokio::test]
async fn commit_in_doubt_postgres() {
    if let Some(db) = postgres_db().await {
        committed_refs_settle_a_commit_in_doubt(db).await;
    }
}

/// Disabling a person revokes their tokens in one transaction and marks
/// them disabled and not an editor; a later login keeps them so; enabling
/// lets them back, on both databases.
async fn disable_and_enable(store: server::store::Store) {
    use server::store::{UserKey, UserLogin};
    let now = chrono::Utc::now();
    let key = UserKey { issuer: "https://id.example.org/".into(), subject: "1001".into() };
    let login = UserLogin {
        key: key.clone(),
        nickname: "alice".into(),
        groups: vec!["releng".into()],
        is_editor: true,
        at: now,
    };
    store.record_login(&login).await.unwrap();
    store.create_token("alice/laptop", "hash-1", now, None, Some(&key)).await.unwrap();
    store.create_token("alice/ci", "hash-2", now, None, Some(&key)).await.unwrap();
    store.create_token("service", "hash-3", now, None, None).await.unwrap();

    let done = store.disable_users("alice", now).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].key.clone(), done[0].tokens_revoked), (key.clone(), 2));
    let standing = store.user_standing(&key).await.unwrap().unwrap();
    assert!(standing.disabled_at.is_some() && !standing.is_editor);
    let tokens = store.list_tokens().await.unwrap();
    assert!(tokens.iter().filter(|t| t.name.starts_with("alice/")).all(|t| t.revoked_at.is_some()));
    assert!(tokens.iter().find(|t| t.name == "service").unwrap().revoked_at.is_none(), "others keep theirs");
    assert!(store.disable_users("alice", now).await.unwrap().is_empty(), "already disabled");

    // A login while disabled does not make an editor again.
    store.record_login(&login).await.unwrap();
    assert!(!store.user_standing(&key).await.unwrap().unwrap().is_editor);
    assert_eq!(store.enable_users("alice").await.unwrap(), 1);
    assert!(store.user_standing(&key).await.unwrap().unwrap().disabled_at.is_none());
    store.record_login(&login).await.unwrap();
    assert!(store.user_standing(&key).await.unwrap().unwrap().is_editor);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn disable_and_enable_sqlite() {
    let db = sqlite_db();
    disable_and_enable(server::store::Store::connect(&db.url).await.unwrap()).await;
}

#[tokio::test]
async fn disable_and_enable_postgres() {
    let Some(db) = postgres_db().await else { return };
    disable_and_enable(server::store::Store::connect(&db.url).await.unwrap()).await;
}
