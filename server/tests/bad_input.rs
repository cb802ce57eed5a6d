//! Malformed and hostile requests: each gets the documented JSON error with
//! a 4xx status and leaves the database and the projection unchanged.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;

/// Sends `request` and checks status, error code, and that nothing changed.
async fn refused(app: &TestApp, request: Request<Body>, status: StatusCode, code: &str) -> serde_json::Value {
    let before_db = app.stored_events().await;
    let before_log = app.get("/api/v1/events?limit=1000").await.bytes;
    let r = app.send(request).await;
    assert_eq!(r.status, status, "body: {}", r.text());
    assert_eq!(r.error_code(), code, "body: {}", r.text());
    let text = r.text().to_lowercase();
    for leak in ["select ", "insert ", "sqlite", "/work/", "/tmp/", "panicked", "stack backtrace"] {
        assert!(!text.contains(leak), "response leaks `{leak}`: {text}");
    }
    assert_eq!(app.stored_events().await, before_db, "database changed");
    assert_eq!(app.get("/api/v1/events?limit=1000").await.bytes, before_log, "projection changed");
    r.json()
}

fn post(uri: &str, token: Option<&str>, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut req = Request::post(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(c) = content_type {
        req = req.header(header::CONTENT_TYPE, c);
    }
    req.body(body.into()).unwrap()
}

fn json(token: &str, body: &str) -> Request<Body> {
    post("/api/v1/events", Some(token), Some("application/json"), body.to_owned())
}

#[tokio::test]
async fn malformed_and_invalid_events_are_refused() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("t").await;
    // One good event so "unchanged" is not trivially empty.
    app.post_json("/api/v1/events", Some(&t), &event_body("44", "branched", true, "2026-02-10T14:00:00Z")).await;

    refused(&app, json(&t, "{not json"), StatusCode::BAD_REQUEST, "malformed_request").await;
    refused(&app, json(&t, ""), StatusCode::BAD_REQUEST, "malformed_request").await;
    refused(&app, json(&t, "[1,2]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let e = refused(
        &app,
        json(&t, r#"{"dist":"fedora","release":44,"state":"x","reached":true}"#),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(e["error"]["field"], "release");
    let e = refused(
        &app,
        json(&t, r#"{"dist":"fedora","release":"44","state":"x","reached":"yes"}"#),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(e["error"]["field"], "reached");
    let e = refused(
        &app,
        json(&t, r#"{"dist":"fedora","release":"44","reached":true}"#),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(e["error"]["field"], "state");
    let e = refused(
        &app,
        json(&t, r#"{"dist":"fedora","release":"44","state":"x","reached":true,"colour":"red"}"#),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert!(e["error"]["message"].as_str().unwrap().contains("colour"));

    let long = "x".repeat(129);
    let body = serde_json::json!({"dist":"fedora","release":"44","state": long,"reached":true}).to_string();
    let e = refused(&app, json(&t, &body), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(e["error"]["field"], "state");
    for hostile in ["fe\u{0}dora", "fe\u{1b}[31mdora", " fedora", "fedora\n", ""] {
        let body = serde_json::json!({"dist": hostile,"release":"44","state":"x","reached":true}).to_string();
        let e = refused(&app, json(&t, &body), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        assert_eq!(e["error"]["field"], "dist", "{hostile:?}");
    }
    for (at, why) in [
        ("yesterday", "unparsable"),
        ("2026-02-30T00:00:00Z", "no such day"),
        ("2999-01-01T00:00:00Z", "future"),
        ("-99999-01-01T00:00:00Z", "absurd"),
    ] {
        let body = serde_json::json!({"dist":"fedora","release":"44","state":"x","reached":true,"at":at}).to_string();
        let e = refused(&app, json(&t, &body), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        assert_eq!(e["error"]["field"], "at", "{why}");
    }
    let body =
        serde_json::json!({"dist":"fedora","release":"44","state":"x","reached":true,"link":"javascript:alert(1)"})
            .to_string();
    assert_eq!(
        refused(&app, json(&t, &body), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["error"]["field"],
        "link"
    );
    let body = serde_json::json!({"dist":"fedora","release":"44","state":"x","reached":true,"note":"n".repeat(2001)})
        .to_string();
    assert_eq!(
        refused(&app, json(&t, &body), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["error"]["field"],
        "note"
    );

    // Invalid UTF-8 in a JSON string.
    let mut raw = br#"{"dist":"fedora","release":"44","state":""#.to_vec();
    raw.extend_from_slice(&[0xff, 0xfe]);
    raw.extend_from_slice(br#"","reached":true}"#);
    refused(
        &app,
        post("/api/v1/events", Some(&t), Some("application/json"), raw),
        StatusCode::BAD_REQUEST,
        "malformed_request",
    )
    .await;
    // Deeply nested JSON is refused without a crash, whatever its depth.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    refused(&app, json(&t, &deep), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    refused(&app, json(&t, &deep), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let deep = format!(
        r#"{{"dist":"fedora","release":"44","state":"x","reached":true,"note":{}{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    refused(&app, json(&t, &deep), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
}

#[tokio::test]
async fn oversized_bodies_and_wrong_media_types() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("t").await;
    let big = serde_json::json!({"dist":"fedora","release":"44","state":"x","reached":true,"note":"n".repeat(70_000)})
        .to_string();
    refused(&app, json(&t, &big), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let form = format!("dist=fedora&release=44&state=x&reached=1&note={}", "n".repeat(70_000));
    refused(
        &app,
        post("/event", Some(&t), Some("application/x-www-form-urlencoded"), form),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    refused(
        &app,
        post("/api/v1/events", Some(&t), Some("text/plain"), "{}"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    refused(
        &app,
        post("/api/v1/events", Some(&t), None, "{}"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    refused(
        &app,
        post("/event?dist=fedora", Some(&t), Some("application/json"), "{}"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn form_posts_are_validated_like_json() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("t").await;
    let e = refused(
        &app,
        post("/event?dist=fedora&release=44&state=x&reached=maybe", Some(&t), None, ""),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(e["error"]["field"], "reached");
    let e = refused(
        &app,
        post("/event?dist=fedora&release=44&reached=1", Some(&t), None, ""),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(e["error"]["field"], "state");
    refused(
        &app,
        post("/event?dist=a&dist=b&release=1&state=x&reached=1", Some(&t), None, ""),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    refused(
        &app,
        post("/event?dist=fedora&release=44&state=x&reached=1&drop=table", Some(&t), None, ""),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    refused(
        &app,
        post("/event?dist=fedora%00&release=44&state=x&reached=1", Some(&t), None, ""),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
}

#[tokio::test]
async fn writes_need_a_valid_token() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let good = event_body("44", "branched", true, "2026-02-10T14:00:00Z");
    let r = refused(
        &app,
        post("/api/v1/events", None, Some("application/json"), good.clone()),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert!(r["error"]["message"].as_str().unwrap().contains("Bearer"));
    refused(&app, json("rt_not-a-real-token", &good), StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let mut basic = post("/api/v1/events", None, Some("application/json"), good.clone());
    basic.headers_mut().insert(header::AUTHORIZATION, "Basic dXNlcjpwYXNz".parse().unwrap());
    refused(&app, basic, StatusCode::UNAUTHORIZED, "unauthenticated").await;

    // Revoked.
    let t = app.token("gone").await;
    app.store.revoke_token("gone", chrono::Utc::now()).await.unwrap();
    refused(&app, json(&t, &good), StatusCode::UNAUTHORIZED, "unauthenticated").await;
    refused(
        &app,
        post("/event?dist=fedora&release=1&state=x&reached=1", Some(&t), None, ""),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;

    // Expired.
    let (expired, hash) = server::auth::new_token();
    let past = chrono::Utc::now() - chrono::Duration::days(1);
    app.store.create_token("old", &hash, past - chrono::Duration::days(1), Some(past), None).await.unwrap();
    let r = refused(&app, json(&expired, &good), StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert!(r["error"]["message"].as_str().unwrap().contains("expired"));
    refused(
        &app,
        post("/api/v1/events/1/retract", Some(&expired), Some("application/json"), r#"{"reason":"x"}"#),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;

    // The token list shows use, never secrets.
    let live = app.token("live").await;
    assert_eq!(app.post_json("/api/v1/events", Some(&live), &good).await.status, StatusCode::CREATED);
    let tokens = app.store.list_tokens().await.unwrap();
    assert!(tokens.iter().find(|r| r.name == "live").unwrap().last_used_at.is_some());
}

#[tokio::test]
async fn retraction_errors() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("t").await;
    let id = app
        .post_json("/api/v1/events", Some(&t), &event_body("44", "branched", true, "2026-02-10T14:00:00Z"))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let retract = |id: &str, body: &str| {
        post(&format!("/api/v1/events/{id}/retract"), Some(&t), Some("application/json"), body.to_owned())
    };
    refused(&app, retract("999", r#"{"reason":"x"}"#), StatusCode::NOT_FOUND, "not_found").await;
    refused(&app, retract("-1", r#"{"reason":"x"}"#), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    refused(&app, retract("abc", r#"{"reason":"x"}"#), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    refused(
        &app,
        retract("99999999999999999999999", r#"{"reason":"x"}"#),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let e = refused(&app, retract(&id.to_string(), r#"{}"#), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(e["error"]["field"], "reason");
    refused(&app, retract(&id.to_string(), r#"{"reason":"   "}"#), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
        .await;
    assert_eq!(app.send(retract(&id.to_string(), r#"{"reason":"typo"}"#)).await.status, StatusCode::CREATED);
    refused(&app, retract(&id.to_string(), r#"{"reason":"again"}"#), StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn bad_reads_get_json_errors() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("t").await;
    app.post_json("/api/v1/events", Some(&t), &event_body("44", "branched", true, "2026-02-10T14:00:00Z")).await;
    for (uri, status, code) in [
        ("/api/v1/views/fedora/states-by-release?at=tomorrow", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/views/fedora/states-by-release?at=2021-13-01", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/views/fedora/states-by-release?when=now", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/events?limit=0", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/events?limit=100000", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/events?limit=-5", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/events?before_id=abc", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/events?after_id=99999999999999999999999", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/events?since=soon", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/events/0", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ("/api/v1/events/12345", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/nothing-here", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/views/%20fedora/detailed", StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, status, "{uri}: {}", r.text());
        assert_eq!(r.error_code(), code, "{uri}");
    }
    let r = app.get("/api/v1/events?limit=0").await.json();
    assert_eq!(r["error"]["field"], "limit");
    // Negative ids are harmless cursors, not errors.
    assert_eq!(app.get("/api/v1/events?before_id=-5").await.json()["events"].as_array().unwrap().len(), 0);

    let r = app.send(Request::delete("/api/v1/events").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.error_code(), "method_not_allowed");
    let r = app.send(Request::get("/api/v1/events/1/retract").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}
