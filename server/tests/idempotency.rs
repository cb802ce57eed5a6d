//! The `Idempotency-Key` header of event writes, on SQLite and PostgreSQL:
//! a request repeated with its key answers the event the first one stored
//! and stores nothing (also when the repeats arrive at once, and after a
//! restart); the same key with another request is refused; keys belong to
//! their caller; malformed keys are refused with nothing stored.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;

const KEY: &str = "8e03978e-40d5-43e8-bc93-6894a57f9324";

/// `POST /api/v1/events` with `body`, the token and the key.
fn keyed_json(token: &str, key: &str, body: &str) -> Request<Body> {
    Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("Idempotency-Key", key)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn replayed(r: &Response) -> bool {
    r.headers.get("idempotent-replayed").is_some_and(|v| v == "true")
}

async fn keys_make_writes_safe_to_repeat(db: TestDb) {
    let app = TestApp::start(&db).await;
    let token = app.token("script").await;
    let other = app.token("other-script").await;
    // No `at`: "now", whenever the retry comes.
    let body = r#"{"dist":"fedora","release":"44","state":"branched","reached":true,"note":"first"}"#;

    let first = app.send(keyed_json(&token, KEY, body)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    assert!(!replayed(&first));
    let again = app.send(keyed_json(&token, KEY, body)).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
    assert!(replayed(&again), "the repeat is marked");
    assert_eq!(again.json(), first.json(), "the same event, as stored");
    assert_eq!(again.headers[header::LOCATION], first.headers[header::LOCATION]);
    // Through the shell-style door: the same key space.
    let form = app
        .send(
            Request::post("/event?dist=fedora&release=44&state=branched&reached=1&note=first")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header("Idempotency-Key", KEY)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(form.status, StatusCode::CREATED, "{}", form.text());
    assert!(replayed(&form) && form.json()["id"] == first.json()["id"]);
    assert_eq!(app.stored_events().await, (1, 0));

    // The same key for something else: refused, naming the header.
    let changed = body.replace("first", "second");
    let r = app.send(keyed_json(&token, KEY, &changed)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.error_code(), "invalid_input");
    assert_eq!(r.json()["error"]["field"], "Idempotency-Key");
    // Another caller's key space is its own.
    let r = app.send(keyed_json(&other, KEY, &changed)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(!replayed(&r));
    assert_eq!(app.stored_events().await, (2, 0));

    // Twenty repeats at once (one group commit, or several): one event.
    let concurrent = serde_json::json!({"dist":"fedora","release":"45","state":"development","reached":true,
        "at":"2026-02-11T00:00:00Z"})
    .to_string();
    let answers =
        futures_util::future::join_all((0..20).map(|_| app.send(keyed_json(&token, "burst-1", &concurrent)))).await;
    let ids: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
            r.json()["id"].as_i64().expect("id")
        })
        .collect();
    assert_eq!(ids.len(), 1, "one event for twenty repeats: {ids:?}");
    assert_eq!(answers.iter().filter(|r| !replayed(r)).count(), 1, "exactly one answer is not a replay");
    assert_eq!(app.stored_events().await, (3, 0));
    let outbox = app.store.outbox_after(0, 100).await.expect("outbox");
    assert_eq!(outbox.len(), 3, "one message per stored event");

    // Without a key, a repeat is a new event (marked `changed: false`).
    let r = app.post_json("/api/v1/events", Some(&token), &concurrent).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["changed"], false);
    assert_eq!(app.stored_events().await, (4, 0));

    // Malformed keys: refused, nothing stored.
    let long = "k".repeat(256);
    for bad in ["", "two words", "\"two words\"", long.as_str()] {
        let r = app.send(keyed_json(&token, bad, body)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], "Idempotency-Key");
    }
    let mut twice = keyed_json(&token, "a", body);
    twice.headers_mut().append("Idempotency-Key", "b".parse().unwrap());
    assert_eq!(app.send(twice).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A key with an invalid event: the event's error, and the key stays unused.
    let r =
        app.send(keyed_json(&token, "unused", r#"{"dist":"fedora","release":"44","state":"","reached":true}"#)).await;
    assert_eq!(r.json()["error"]["field"], "state");
    let r = app.send(keyed_json(&token, "unused", body)).await;
    assert!(!replayed(&r), "a refused request does not use up its key");
    assert_eq!(app.stored_events().await, (5, 0));

    // Keys with injection strings are just keys: stored, matched verbatim.
    for (i, hostile) in
        ["'OR'1'='1", "\"';--", "<script>alert(1)</script>", "$1::text", "%00", "\\x00"].iter().enumerate()
    {
        let event =
            serde_json::json!({"dist":"fedora","release":format!("h{i}"),"state":"active","reached":true}).to_string();
        let r = app.send(keyed_json(&token, hostile, &event)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{hostile}: {}", r.text());
        assert!(!replayed(&r), "{hostile}");
        let r = app.send(keyed_json(&token, hostile, &event)).await;
        assert!(replayed(&r), "{hostile} again");
    }
    assert_eq!(app.stored_events().await, (11, 0));

    // Keys are kept in the database: a restarted server still knows them.
    drop(app);
    let app = TestApp::start(&db).await;
    let r = app.send(keyed_json(&token, KEY, body)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(replayed(&r) && r.json()["id"] == first.json()["id"]);
    assert_eq!(app.stored_events().await, (11, 0));
}

#[tokio::test]
async fn idempotency_keys_sqlite() {
    keys_make_writes_safe_to_repeat(sqlite_db()).await;
}

#[tokio::test]
async fn idempotency_keys_postgres() {
    if let Some(db) = postgres_db().await {
        keys_make_writes_safe_to_repeat(db).await;
    }
}
