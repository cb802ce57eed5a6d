//! A PostgreSQL outage, the short CI version of `scripts/reliability
//! db-outage`: the app reaches its database through a proxy that the test
//! closes. While it is closed, writes answer `503 unavailable` with
//! `Retry-After` — after the first, within the fail-fast probe's time —,
//! reads answer from memory, `/readyz` says 503; once it is open again
//! writes succeed without a restart and the log holds exactly the writes
//! that got a 201. (The broker outage is in bus.rs.)

use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};

mod common;

use common::proxy::Proxy;
use common::{event_body, pg_admin_url, postgres_db, TestApp};

#[tokio::test]
async fn database_outage_fails_writes_fast_and_keeps_reads() {
    let Some(db) = postgres_db().await else { return };
    let proxy = Proxy::start(&pg_admin_url()).await;
    let via = db.at(proxy.url(&db.url));
    let app = TestApp::start(&via).await;
    let token = app.token("outage").await;
    let mut created = 0;

    let r =
        app.post_json("/api/v1/events", Some(&token), &event_body("40", "active", true, "2026-01-01T00:00:00Z")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    created += 1;
    let view_before = app.get("/api/v1/views/fedora/states-by-release").await;
    assert_eq!(view_before.status, StatusCode::OK);

    proxy.cut().await;
    let mut took = Vec::new();
    for i in 0..4 {
        let started = Instant::now();
        let r = app
            .post_json(
                "/api/v1/events",
                Some(&token),
                &event_body("41", &format!("s{i}"), true, "2026-01-01T00:00:00Z"),
            )
            .await;
        took.push(started.elapsed());
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
        assert_eq!(r.error_code(), "unavailable");
        assert!(r.headers.contains_key(header::RETRY_AFTER), "no Retry-After");
        assert!(
            !r.text().to_lowercase().contains("sqlx") && !r.text().contains("127.0.0.1"),
            "internals: {}",
            r.text()
        );
    }
    eprintln!("503 after {took:?}");
    // The first waits for the pool (3 s); the others fail fast.
    assert!(took[0] < Duration::from_secs(5), "first 503 after {:?}", took[0]);
    for t in &took[1..] {
        assert!(*t < Duration::from_millis(600), "a write during the outage took {t:?}");
    }

    let view = app.get("/api/v1/views/fedora/states-by-release").await;
    assert_eq!(view.status, StatusCode::OK, "views answer from memory");
    assert_eq!(view.bytes, view_before.bytes);
    assert_eq!(app.get("/api/v1/events?dist=fedora").await.status, StatusCode::OK);
    assert_eq!(app.get("/").await.status, StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.error_code(), "unavailable");

    proxy.restore().await;
    let started = Instant::now();
    loop {
        let r = app
            .post_json("/api/v1/events", Some(&token), &event_body("42", "active", true, "2026-01-01T00:00:00Z"))
            .await;
        if r.status == StatusCode::CREATED {
            created += 1;
            break;
        }
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
        assert!(started.elapsed() < Duration::from_secs(15), "writes did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("recovered {:?} after the database came back", started.elapsed());
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let view = app.get("/api/v1/views/fedora/states-by-release").await.json();
    assert_eq!(view, serde_json::json!({"40": ["active"], "42": ["active"]}));
    assert_eq!(app.stored_events().await, (created, 0), "exactly the acknowledged writes are stored");
}

/// The database vanishes right after a write committed, before the server
/// has read the event back: the write is still answered `201` once the
/// database returns (never `503` for a committed event, which would invite
/// a duplicate), and it is stored once.
#[tokio::test]
async fn a_write_committed_just_before_an_outage_is_answered_201() {
    let Some(db) = postgres_db().await else { return };
    let proxy = Proxy::start(&pg_admin_url()).await;
    let via = db.at(proxy.url(&db.url));
    let app = TestApp::start(&via).await;
    let token = app.token("outage").await;

    let body = event_body("43", "active", true, "2026-01-01T00:00:00Z");
    let r =
        write_through_a_cut(&proxy, Proxy::cut_after_next_commit, app.post_json("/api/v1/events", Some(&token), &body))
            .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["release"], "43");
    assert_eq!(app.stored_events().await, (1, 0));
    let view = app.get("/api/v1/views/fedora/states-by-release").await.json();
    assert_eq!(view, serde_json::json!({"43": ["active"]}));
}

/// Sends `write` with the proxy armed by `arm` to cut the database away
/// around the server's next `COMMIT`, and brings the database back 7 s after
/// the cut — longer than two pool timeouts, so the server cannot just retry
/// its way through.
async fn write_through_a_cut<F: std::future::Future<Output = common::Response>>(
    proxy: &Proxy,
    arm: impl FnOnce(&Proxy),
    write: F,
) -> common::Response {
    arm(proxy);
    let restore = async {
        let started = Instant::now();
        while !proxy.tripped() {
            assert!(started.elapsed() < Duration::from_secs(10), "no COMMIT went through the proxy");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_secs(7)).await;
        proxy.restore().await;
    };
    let (r, ()) = tokio::join!(write, restore);
    r
}

/// The connection dies while `COMMIT` is in flight, after the database got
/// it: the server cannot know the outcome, so it waits for the database and
/// looks the transaction up (by its outbox message ids). The event and the
/// retraction committed, so both are answered `201` — a `503` would invite a
/// retry and a duplicate — and each is stored once.
#[tokio::test]
async fn a_write_whose_commit_got_no_answer_is_answered_201_when_it_committed() {
    let Some(db) = postgres_db().await else { return };
    let proxy = Proxy::start(&pg_admin_url()).await;
    let app = TestApp::start(&db.at(proxy.url(&db.url))).await;
    let token = app.token("outage").await;

    let body = event_body("43", "active", true, "2026-01-01T00:00:00Z");
    let r = write_through_a_cut(
        &proxy,
        |p| p.cut_when_next_commit_is_sent(true),
        app.post_json("/api/v1/events", Some(&token), &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["release"], "43");
    let id = r.json()["id"].as_i64().expect("id");
    assert_eq!(app.stored_events().await, (1, 0));

    let uri = format!("/api/v1/events/{id}/retract");
    let r = write_through_a_cut(
        &proxy,
        |p| p.cut_when_next_commit_is_sent(true),
        app.post_json(&uri, Some(&token), r#"{"reason":"in doubt"}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["reason"], "in doubt");
    assert_eq!(app.stored_events().await, (1, 1));
    let view = app.get("/api/v1/views/fedora/states-by-release").await.json();
    assert_eq!(view, serde_json::json!({}));
}

/// The same cut, but the `COMMIT` never reached the database, which rolls
/// the transaction back: once the database answers again the server knows
/// nothing was stored and says so (`503`), and nothing is stored.
#[tokio::test]
async fn a_write_whose_commit_never_arrived_is_answered_503_and_not_stored() {
    let Some(db) = postgres_db().await else { return };
    let proxy = Proxy::start(&pg_admin_url()).await;
    let app = TestApp::start(&db.at(proxy.url(&db.url))).await;
    let token = app.token("outage").await;

    let body = event_body("43", "active", true, "2026-01-01T00:00:00Z");
    let r = write_through_a_cut(
        &proxy,
        |p| p.cut_when_next_commit_is_sent(false),
        app.post_json("/api/v1/events", Some(&token), &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert_eq!(r.error_code(), "unavailable");
    assert_eq!(app.stored_events().await, (0, 0));
    // The next write goes through as usual.
    let r = app.post_json("/api/v1/events", Some(&token), &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(app.stored_events().await, (1, 0));
}
