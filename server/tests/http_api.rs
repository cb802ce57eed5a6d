//! The JSON API driven through the real router: recording, the log and its
//! cursors, one event, retraction, dists, views with time travel, ETags and
//! gzip, health.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;

#[tokio::test]
async fn record_then_read_every_view() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("releng-bot").await;

    let r = app
        .post_json("/api/v1/events", Some(&token), &event_body("44", "branched", true, "2026-02-10T14:00:00Z"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let e = r.json();
    assert_eq!(r.headers[header::LOCATION], format!("/api/v1/events/{}", e["id"]));
    assert_eq!(e["dist"], "fedora");
    assert_eq!(e["release"], "44");
    assert_eq!(e["at"], "2026-02-10T14:00:00Z");
    assert_eq!(e["recorded_by"], "releng-bot");
    assert_eq!(e["source"], "api");
    assert_eq!(e["was_in_state"], false);
    assert_eq!(e["changed"], true);
    assert!(e["retraction"].is_null());

    // A repeat is kept and flagged as no change.
    let r = app
        .post_json("/api/v1/events", Some(&token), &event_body("44", "branched", true, "2026-02-11T00:00:00Z"))
        .await;
    assert_eq!(r.json()["changed"], false);
    assert_eq!(r.json()["was_in_state"], true);

    for (release, state, at) in [
        ("0", "rawhide", "2026-01-01T00:00:00Z"),
        ("10", "branched", "2026-01-01T00:00:00Z"),
        ("9", "eol", "2026-01-01T00:00:00Z"),
    ] {
        let r = app.post_json("/api/v1/events", Some(&token), &event_body(release, state, true, at)).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }

    let r = app.get("/api/v1/views/fedora/states-by-release").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), r#"{"0":["rawhide"],"9":["eol"],"10":["branched"],"44":["branched"]}"#);
    let r = app.get("/api/v1/views/fedora/releases-by-state").await;
    assert_eq!(r.text(), r#"{"branched":["10","44"],"eol":["9"],"rawhide":["0"]}"#);

    // Time travel: before F44 branched, and with a date meaning end of day.
    let r = app.get("/api/v1/views/fedora/releases-by-state?at=2026-02-09").await;
    assert_eq!(r.text(), r#"{"branched":["10"],"eol":["9"],"rawhide":["0"]}"#);
    let r = app.get("/api/v1/views/fedora/releases-by-state?at=2026-02-10T13:59:59Z").await;
    assert!(!r.text().contains("44"));
    let r = app.get("/api/v1/views/fedora/releases-by-state?at=2026-02-10T15:00:00%2B01:00").await;
    assert!(r.text().contains("44"), "14:00Z equals 15:00+01:00: {}", r.text());

    let r = app.get("/api/v1/views/fedora/detailed").await;
    let d = r.json();
    assert_eq!(d["44"]["branched"]["in"], true);
    assert_eq!(d["44"]["branched"]["entered"], "2026-02-10T14:00:00Z");
    assert_eq!(d["44"]["branched"]["history"].as_array().unwrap().len(), 1);
    // Narrowed to one state: the same entries, only those.
    let r = app.get("/api/v1/views/fedora/detailed?state=branched").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let narrowed = r.json();
    assert_eq!(narrowed.as_object().unwrap().keys().collect::<Vec<_>>(), ["10", "44"]);
    assert_eq!(narrowed["44"], serde_json::json!({"branched": d["44"]["branched"]}));
    let r = app.get("/api/v1/views/fedora/detailed?state=branched&at=2026-02-09&with=properties").await;
    assert_eq!(r.json().as_object().unwrap().keys().collect::<Vec<_>>(), ["10"]);
    assert!(r.json()["10"]["states"]["branched"].is_object(), "{}", r.text());
    assert_eq!(app.get("/api/v1/views/fedora/detailed?state=nosuch").await.text(), "{}");
    let r = app.get("/api/v1/views/fedora/detailed?state=%20branched").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "state", "{}", r.text());
    let r = app.get("/api/v1/views/fedora/releases/44").await;
    assert_eq!(r.json()["branched"]["history"][0]["entered_by"], e["id"]);
    let r = app.get("/api/v1/views/fedora/releases/10?state=eol").await;
    assert_eq!(r.text(), "{}");
    assert_eq!(app.get("/api/v1/views/fedora/releases/45").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/views/debian/detailed").await.error_code(), "not_found");
    assert_eq!(app.get("/api/v1/views/fedora/nonsense").await.status, StatusCode::NOT_FOUND);

    let r = app.get("/api/v1/dists").await;
    let dists = r.json();
    assert_eq!(dists["dists"][0]["dist"], "fedora");
    assert_eq!(dists["dists"][0]["releases"], serde_json::json!(["0", "9", "10", "44"]));
    assert_eq!(dists["dists"][0]["states"], serde_json::json!(["branched", "eol", "rawhide"]));
}

#[tokio::test]
async fn form_style_posts_for_shell_scripts() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("sh").await;
    let req = Request::post("/event?dist=fedora&release=44&state=beta-freeze&reached=1&note=from%20a%20script")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["note"], "from a script");
    assert_eq!(r.json()["reached"], true);

    let req = Request::post("/event")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("dist=fedora&release=44&state=beta-freeze&reached=false"))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["reached"], false);
    assert_eq!(r.json()["changed"], true);
    assert_eq!(app.get("/api/v1/views/fedora/states-by-release").await.text(), "{}");
}

#[tokio::test]
async fn log_filters_cursors_and_change_feed() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("t").await;
    for i in 1..=7 {
        let release = if i % 2 == 0 { "40" } else { "41" };
        let at = format!("2026-01-0{i}T00:00:00Z");
        app.post_json("/api/v1/events", Some(&token), &event_body(release, "active", true, &at)).await;
    }
    let r = app.get("/api/v1/events?limit=3").await.json();
    let ids: Vec<i64> = r["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![7, 6, 5]);
    assert_eq!(r["next_before_id"], 5);
    let r = app.get("/api/v1/events?limit=3&before_id=5").await.json();
    assert_eq!(r["events"][0]["id"], 4);

    let r = app.get("/api/v1/events?release=40").await.json();
    assert_eq!(r["events"].as_array().unwrap().len(), 3);
    assert!(r.get("next_before_id").is_none());
    let r = app.get("/api/v1/events?since=2026-01-03&until=2026-01-04").await.json();
    let ids: Vec<i64> = r["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![4, 3]);

    // Change feed: oldest first from after_id, and the cursor to continue.
    let r = app.get("/api/v1/events?after_id=2&limit=2").await.json();
    let ids: Vec<i64> = r["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![3, 4]);
    assert_eq!(r["next_after_id"], 4);
    let r = app.get("/api/v1/events?after_id=7").await.json();
    assert_eq!(r["events"].as_array().unwrap().len(), 0);
    assert_eq!(r["next_after_id"], 7);
}

#[tokio::test]
async fn retraction_removes_the_event_from_views_and_is_shown() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("t").await;
    let id = app
        .post_json("/api/v1/events", Some(&token), &event_body("44", "branched", true, "2026-02-10T14:00:00Z"))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = app.post_json(&format!("/api/v1/events/{id}/retract"), Some(&token), r#"{"reason":"wrong release"}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let body = r.json();
    assert_eq!(body["event_id"], id);
    assert_eq!(body["reason"], "wrong release");
    assert_eq!(body["event"]["retraction"]["reason"], "wrong release");

    let one = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(one["retraction"]["recorded_by"], "t");
    assert_eq!(app.get("/api/v1/views/fedora/states-by-release").await.text(), "{}");
    // The retracted event stays in the log.
    assert_eq!(app.get("/api/v1/events").await.json()["events"][0]["id"], id);
}

#[tokio::test]
async fn etags_give_304_and_bodies_are_gzipped() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("t").await;
    app.post_json("/api/v1/events", Some(&token), &event_body("44", "branched", true, "2026-02-10T14:00:00Z")).await;
    let r = app.get("/api/v1/views/fedora/releases-by-state").await;
    let etag = r.headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(r.headers[header::CACHE_CONTROL].to_str().unwrap().contains("no-cache"));
    let req = Request::get("/api/v1/views/fedora/releases-by-state")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.bytes.is_empty());

    // A new event changes the answer, so the old tag no longer matches.
    app.post_json("/api/v1/events", Some(&token), &event_body("45", "branched", true, "2026-02-10T14:00:00Z")).await;
    let req = Request::get("/api/v1/views/fedora/releases-by-state")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::OK);

    let req = Request::get("/api/v1/events").header(header::ACCEPT_ENCODING, "gzip").body(Body::empty()).unwrap();
    let r = app.send(req).await;
    assert_eq!(r.headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn health_readiness_and_the_home_page() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    assert_eq!(app.get("/healthz").await.json()["status"], "ok");
    let r = app.get("/readyz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["database"], "ok");

    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<h1>Release states</h1>"), "{html}");
    assert!(html.contains("/pkg/releasetracker.js"), "hydration script missing");
    assert!(html.contains("<leptos-island"), "the date picker island is missing");

    app.store.close().await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error_code(), "unavailable");
    // Reads keep answering from memory while the database is gone.
    assert_eq!(app.get("/api/v1/events").await.status, StatusCode::OK);
}
