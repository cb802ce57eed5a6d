//! The Atom feed and the iCalendar export through the real router, read
//! back by the parsers people's software uses (Python's `feedparser` and
//! `icalendar` from PyPI, in a virtual environment under `target/`):
//! entries and their words, stable ids, dates, escaping of hostile text,
//! retractions and corrections, filters, limits and conditional GET.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Timelike, Utc};
use common::{sqlite_db, Response, TestApp};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// the parsers

/// Python with feedparser and icalendar from PyPI.
fn parsers() -> Option<PathBuf> {
    common::python::venv("feeds-venv", "feedparser, icalendar", &["feedparser>=6,<7", "icalendar>=6,<8"])
}

/// What the Python parser made of `document` (`kind`: `atom` or `ics`).
fn parse(python: &Path, kind: &str, document: &[u8]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parse_feeds.py");
    let mut child = Command::new(python)
        .arg(&script)
        .arg(kind)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the parser");
    child.stdin.take().expect("stdin").write_all(document).expect("write the document");
    let out = child.wait_with_output().expect("parser output");
    assert!(out.status.success(), "the {kind} parser failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("parser JSON")
}

async fn python() -> Option<PathBuf> {
    tokio::task::spawn_blocking(parsers).await.expect("venv task")
}

// ---------------------------------------------------------------------------
// helpers

/// Where the feed tests' app is public, and who mints its ids.
const PUBLIC: &str = "https://tracker.example.org/";
const AUTHORITY: &str = "tracker.example.org";

/// An app public at [`PUBLIC`] whose ids are minted by [`AUTHORITY`].
async fn feed_app(db: &common::TestDb) -> TestApp {
    let mut settings = TestApp::default_settings();
    settings.auth.public_url = url::Url::parse(PUBLIC).unwrap();
    settings.feed_authority = server::settings::FeedAuthority::parse(AUTHORITY).unwrap();
    TestApp::start_with(db, settings).await
}

const HOSTILE_NOTE: &str = "<script>alert(1)</script> & \"quotes\" ; commas, back\\slash\nsecond line";

async fn record(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post_json("/api/v1/events", Some(token), &body.to_string()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn retract(app: &TestApp, token: &str, id: i64, reason: &str) -> Value {
    let r = app
        .post_json(&format!("/api/v1/events/{id}/retract"), Some(token), &json!({ "reason": reason }).to_string())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn get_with(app: &TestApp, uri: &str, headers: &[(header::HeaderName, &str)]) -> Response {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap_or_else(|| panic!("not a date: {v}")).parse().unwrap_or_else(|e| panic!("{e}: {v}"))
}

fn link<'a>(links: &'a Value, rel: &str) -> &'a Value {
    links
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == rel)
        .unwrap_or_else(|| panic!("no {rel} link in {links}"))
}

fn entry_ids(feed: &Value) -> Vec<String> {
    feed["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

fn header_of(r: &Response, name: header::HeaderName) -> String {
    r.headers.get(&name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name}")).to_owned()
}

// ---------------------------------------------------------------------------
// Atom

#[tokio::test]
async fn atom_entries_read_back_with_words_dates_links_and_escaping() {
    let Some(python) = python().await else { return };
    let db = sqlite_db();
    let app = feed_app(&db).await;
    let token = app.token("releng-bot").await;
    let e1 = record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "43", "state": "branched", "reached": true,
        "at": "2025-08-12T00:00:00Z", "note": HOSTILE_NOTE, "link": "https://example.org/log?a=1&b=<2>"}),
    )
    .await;
    let e2 = record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "44", "state": "beta-freeze", "reached": false,
        "at": "2026-02-10T14:00:00Z"}),
    )
    .await;
    let e3 = record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "R&D<1>", "state": "<script>s&t</script>",
        "reached": true, "at": "2026-01-05T08:30:00Z"}),
    )
    .await;
    let r1 = retract(&app, &token, 1, "<b>wrong</b> & day").await;

    let response = app.get("/feed.atom").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(header_of(&response, header::CONTENT_TYPE).starts_with("application/atom+xml"));
    let raw = response.text();
    assert!(!raw.contains("<script>"), "raw markup in the feed: {raw}");
    assert!(!raw.contains("<b>wrong"), "{raw}");
    let feed = parse(&python, "atom", &response.bytes);
    assert_eq!(feed["bozo"], false, "{}", feed["bozo_exception"]);
    assert_eq!(feed["version"], "atom10");
    assert_eq!(feed["feed"]["id"], "tag:tracker.example.org,2026:feed");
    assert_eq!(feed["feed"]["title"], "releasetracker: all events");
    assert_eq!(link(&feed["feed"]["links"], "self")["href"], "https://tracker.example.org/feed.atom");
    assert_eq!(
        instant(&feed["feed"]["updated"]),
        instant(&r1["recorded_at"]),
        "the feed is as new as its newest entry"
    );

    // Newest recorded first: the retraction, then the events backwards.
    assert_eq!(
        entry_ids(&feed),
        [
            "tag:tracker.example.org,2026:retraction/1",
            "tag:tracker.example.org,2026:event/3",
            "tag:tracker.example.org,2026:event/2",
            "tag:tracker.example.org,2026:event/1",
        ]
    );
    let entries = feed["entries"].as_array().unwrap();
    let (retraction, hostile, left, first) = (&entries[0], &entries[1], &entries[2], &entries[3]);

    assert_eq!(first["title"], "Fedora 43 entered branched");
    assert_eq!(instant(&first["updated"]), instant(&e1["recorded_at"]), "updated = when recorded");
    assert_eq!(instant(&first["published"]), instant(&json!("2025-08-12T00:00:00Z")), "published = at");
    assert_eq!(first["author"], "releng-bot");
    assert_eq!(first["content"][0], HOSTILE_NOTE, "the note reads back as written");
    let summary = first["summary"].as_str().unwrap();
    assert!(summary.contains("it was not in branched before"), "{summary}");
    assert_eq!(link(&first["links"], "alternate")["href"], "https://tracker.example.org/events/1");
    assert_eq!(link(&first["links"], "related")["href"], "https://example.org/log?a=1&b=<2>");

    assert_eq!(left["title"], "Fedora 44 left beta-freeze");
    let summary = left["summary"].as_str().unwrap();
    assert!(summary.contains("it was not in beta-freeze before, so nothing changed"), "{summary}");
    assert_eq!(instant(&left["updated"]), instant(&e2["recorded_at"]));
    assert_eq!(left["content"], json!([]), "no note, no content");

    assert_eq!(hostile["title"], "Fedora R&D<1> entered <script>s&t</script>", "hostile names read back as text");
    assert_eq!(instant(&hostile["published"]), instant(&e3["at"]));

    assert_eq!(retraction["title"], "Retracted: Fedora 43 entered branched");
    assert_eq!(
        link(&retraction["links"], "alternate")["href"],
        "https://tracker.example.org/events/1",
        "points at what it retracts"
    );
    assert_eq!(retraction["content"][0], "<b>wrong</b> & day");
    assert!(retraction["summary"].as_str().unwrap().contains("Event #1"));
    assert!(retraction["summary"].as_str().unwrap().contains("Reason: <b>wrong</b> & day"));
    assert_eq!(instant(&retraction["updated"]), instant(&r1["recorded_at"]));

    // Stable: the same bytes on the next request and after a restart.
    assert_eq!(app.get("/feed.atom").await.bytes, response.bytes);
    let restarted = feed_app(&db).await;
    assert_eq!(restarted.get("/feed.atom").await.bytes, response.bytes);
}

#[tokio::test]
async fn atom_filters_limits_and_bad_parameters() {
    let Some(python) = python().await else { return };
    let db = sqlite_db();
    let app = feed_app(&db).await;
    let token = app.token("releng-bot").await;
    // An empty log still makes a valid feed, with a fixed `updated`.
    let empty = parse(&python, "atom", &app.get("/feed.atom").await.bytes);
    assert_eq!(empty["bozo"], false, "{}", empty["bozo_exception"]);
    assert_eq!(empty["entries"], json!([]));
    assert_eq!(instant(&empty["feed"]["updated"]), instant(&json!("2026-01-01T00:00:00Z")));

    for i in 0..103 {
        let state = if i % 2 == 0 { "branched" } else { "beta-freeze" };
        record(
            &app,
            &token,
            json!({"dist": "fedora", "release": format!("{}", 100 + i), "state": state, "reached": true,
            "at": format!("2025-01-01T00:{:02}:{:02}Z", i / 60, i % 60)}),
        )
        .await;
    }
    for release in ["13", "14"] {
        record(&app, &token, json!({"dist": "debian", "release": release, "state": "stable", "reached": true, "at": "2025-06-10T00:00:00Z"})).await;
    }
    let count = |feed: &Value| feed["entries"].as_array().unwrap().len();
    let all = parse(&python, "atom", &app.get("/feed.atom").await.bytes);
    assert_eq!(count(&all), 100, "default limit");
    assert_eq!(entry_ids(&all)[0], "tag:tracker.example.org,2026:event/105");
    assert_eq!(count(&parse(&python, "atom", &app.get("/feed.atom?limit=500").await.bytes)), 105);
    assert_eq!(count(&parse(&python, "atom", &app.get("/feed.atom?limit=1").await.bytes)), 1);

    let debian = parse(&python, "atom", &app.get("/feed.atom?dist=debian").await.bytes);
    assert_eq!(
        entry_ids(&debian),
        ["tag:tracker.example.org,2026:event/105", "tag:tracker.example.org,2026:event/104"]
    );
    assert_eq!(debian["feed"]["title"], "releasetracker: Debian");
    assert_eq!(debian["feed"]["id"], "tag:tracker.example.org,2026:feed?dist=debian");
    let per_dist = app.get("/dists/debian/feed.atom").await;
    assert_eq!(per_dist.status, StatusCode::OK);
    let per_dist = parse(&python, "atom", &per_dist.bytes);
    assert_eq!(entry_ids(&per_dist), entry_ids(&debian));
    assert_eq!(per_dist["feed"]["id"], debian["feed"]["id"], "one id per selection, whichever URL");
    assert_eq!(link(&per_dist["feed"]["links"], "self")["href"], "https://tracker.example.org/dists/debian/feed.atom");

    let branched = parse(&python, "atom", &app.get("/feed.atom?state=branched&limit=500&dist=fedora").await.bytes);
    assert_eq!(
        link(&branched["feed"]["links"], "self")["href"],
        "https://tracker.example.org/feed.atom?dist=fedora&state=branched&limit=500"
    );
    assert_eq!(count(&branched), 52);
    assert!(branched["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["title"].as_str().unwrap().ends_with("entered branched")));
    let one = parse(&python, "atom", &app.get("/dists/fedora/feed.atom?release=150").await.bytes);
    assert_eq!(entry_ids(&one), ["tag:tracker.example.org,2026:event/51"]);
    assert_eq!(count(&parse(&python, "atom", &app.get("/feed.atom?dist=nowhere").await.bytes)), 0);
    // The log's date filters, on `at`: the debian events are on 2025-06-10.
    let june = parse(&python, "atom", &app.get("/feed.atom?since=2025-06-01&until=2025-06-30").await.bytes);
    assert_eq!(entry_ids(&june), entry_ids(&debian));
    assert_eq!(june["feed"]["id"], "tag:tracker.example.org,2026:feed?since=2025-06-01&until=2025-06-30");

    for bad in [
        "limit=0",
        "limit=501",
        "limit=-1",
        "limit=abc",
        "colour=red",
        "state=%20x",
        "since=yesterday",
        "until=2026-13-01",
    ] {
        let r = app.get(&format!("/feed.atom?{bad}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.text());
        assert_eq!(r.error_code(), "invalid_input", "{bad}");
    }
    // A dist name that needs encoding in a path.
    record(
        &app,
        &token,
        json!({"dist": "my dist/ü", "release": "1", "state": "beta", "reached": true, "at": "2025-07-01T00:00:00Z"}),
    )
    .await;
    let odd = app.get("/dists/my%20dist%2F%C3%BC/feed.atom?limit=3").await;
    assert_eq!(odd.status, StatusCode::OK, "{}", odd.text());
    let odd = parse(&python, "atom", &odd.bytes);
    assert_eq!(entry_ids(&odd), ["tag:tracker.example.org,2026:event/106"]);
    assert_eq!(
        link(&odd["feed"]["links"], "self")["href"],
        "https://tracker.example.org/dists/my%20dist%2F%C3%BC/feed.atom?limit=3"
    );
    let r = app.get("/dists/debian/feed.atom?dist=fedora").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the dist is in the path");
    let r = app.get("/dists/nowhere/feed.atom").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");
    let r = app.send(Request::post("/feed.atom").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.error_code(), "method_not_allowed");
}

// ---------------------------------------------------------------------------
// conditional GET

async fn check_conditional_get(app: &TestApp, token: &str, uri: &str) {
    let first = app.get(uri).await;
    assert_eq!(first.status, StatusCode::OK, "{uri}");
    let etag = header_of(&first, header::ETAG);
    assert!(etag.starts_with("W/\""), "weak ETag: {etag}");
    let modified = header_of(&first, header::LAST_MODIFIED);

    let r = get_with(app, uri, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{uri}: If-None-Match");
    assert!(r.bytes.is_empty());
    assert_eq!(header_of(&r, header::ETAG), etag);
    let r = get_with(app, uri, &[(header::IF_MODIFIED_SINCE, &modified)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{uri}: If-Modified-Since {modified}");
    let later = (chrono::DateTime::parse_from_rfc2822(&modified).unwrap() + chrono::Duration::days(1))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    assert_eq!(get_with(app, uri, &[(header::IF_MODIFIED_SINCE, &later)]).await.status, StatusCode::NOT_MODIFIED);
    let earlier = (chrono::DateTime::parse_from_rfc2822(&modified).unwrap() - chrono::Duration::hours(1))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    assert_eq!(
        get_with(app, uri, &[(header::IF_MODIFIED_SINCE, &earlier)]).await.status,
        StatusCode::OK,
        "{uri}: older copy"
    );
    // If-None-Match decides when both are sent.
    let r = get_with(app, uri, &[(header::IF_NONE_MATCH, "W/\"other\""), (header::IF_MODIFIED_SINCE, &later)]).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: a stale ETag wins over the date");
    assert_eq!(get_with(app, uri, &[(header::IF_MODIFIED_SINCE, "garbage")]).await.status, StatusCode::OK);

    // A new event: a new ETag, and the old copy is no longer current.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    record(app, token, json!({"dist": "fedora", "release": "45", "state": "branched", "reached": true})).await;
    let r = get_with(app, uri, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: changed");
    assert_ne!(header_of(&r, header::ETAG), etag);
    let r = get_with(app, uri, &[(header::IF_MODIFIED_SINCE, &modified)]).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: modified since {modified}");
}

#[tokio::test]
async fn feed_and_calendar_answer_304_to_current_copies() {
    let db = sqlite_db();
    let app = feed_app(&db).await;
    let token = app.token("releng-bot").await;
    record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "44", "state": "branched", "reached": true, "at": "2026-02-10T14:00:00Z"}),
    )
    .await;
    check_conditional_get(&app, &token, "/feed.atom").await;
    check_conditional_get(&app, &token, "/dists/fedora/feed.atom?state=branched").await;
    check_conditional_get(&app, &token, "/calendar.ics").await;
}

// ---------------------------------------------------------------------------
// iCalendar

fn vevent<'a>(calendar: &'a Value, uid: &str) -> &'a Value {
    calendar["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uid"] == uid)
        .unwrap_or_else(|| panic!("no {uid} in {calendar}"))
}

#[tokio::test]
async fn calendar_cancels_retracted_events_and_adds_corrections() {
    let Some(python) = python().await else { return };
    let db = sqlite_db();
    let app = feed_app(&db).await;
    let token = app.token("releng-bot").await;
    let e1 = record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "44", "state": "branched", "reached": true,
        "at": "2026-02-10T00:00:00Z", "note": HOSTILE_NOTE, "link": "https://example.org/meeting?a=1&b=2"}),
    )
    .await;
    record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "43", "state": "beta-freeze", "reached": false,
        "at": "2025-09-02T14:30:00Z"}),
    )
    .await;
    record(
        &app,
        &token,
        json!({"dist": "debian", "release": "13", "state": "stable", "reached": true, "at": "2025-08-09T00:00:00Z"}),
    )
    .await;

    let response = app.get("/calendar.ics").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(header_of(&response, header::CONTENT_TYPE).starts_with("text/calendar"));
    assert!(response.text().contains("\r\n"), "RFC 5545 lines end in CRLF");
    let calendar = parse(&python, "ics", &response.bytes);
    assert_eq!(calendar["version"], "2.0");
    assert!(calendar["prodid"].as_str().unwrap().starts_with("-//releasetracker//"));
    assert_eq!(calendar["events"].as_array().unwrap().len(), 3);
    let branched = vevent(&calendar, "event-1@tracker.example.org");
    assert_eq!(branched["summary"], "Fedora 44 entered branched");
    assert_eq!(branched["status"], "CONFIRMED");
    assert_eq!(branched["sequence"], 0);
    assert_eq!(branched["dtstart"], json!({"kind": "date", "value": "2026-02-10"}), "midnight UTC: all day");
    assert_eq!(branched["url"], "https://tracker.example.org/events/1");
    assert_eq!(branched["categories"], json!(["fedora", "branched"]));
    let description = branched["description"].as_str().unwrap();
    assert!(description.contains(HOSTILE_NOTE), "the note reads back as written: {description}");
    assert!(description.contains("it was not in branched before"), "{description}");
    assert!(description.contains("https://example.org/meeting?a=1&b=2"));
    assert_eq!(instant(&json!(branched["dtstamp"]["value"])), instant(&e1["recorded_at"]).with_nanosecond(0).unwrap());
    let timed = vevent(&calendar, "event-2@tracker.example.org");
    assert_eq!(timed["dtstart"], json!({"kind": "datetime", "value": "2025-09-02T14:30:00+00:00"}));
    assert_eq!(timed["summary"], "Fedora 43 left beta-freeze");

    // A correction: the wrong date is retracted, the right one recorded.
    let r = retract(&app, &token, 1, "wrong day; it was the 11th").await;
    record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "44", "state": "branched", "reached": true, "at": "2026-02-11T00:00:00Z"}),
    )
    .await;
    let calendar = parse(&python, "ics", &app.get("/calendar.ics").await.bytes);
    assert_eq!(calendar["events"].as_array().unwrap().len(), 4, "the cancelled event stays");
    let cancelled = vevent(&calendar, "event-1@tracker.example.org");
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["sequence"], 1, "increased, so calendars take the change");
    assert_eq!(cancelled["summary"], "Retracted: Fedora 44 entered branched");
    assert!(cancelled["description"].as_str().unwrap().contains("wrong day; it was the 11th"));
    assert_eq!(instant(&json!(cancelled["dtstamp"]["value"])), instant(&r["recorded_at"]).with_nanosecond(0).unwrap());
    let corrected = vevent(&calendar, "event-4@tracker.example.org");
    assert_eq!(corrected["status"], "CONFIRMED");
    assert_eq!(corrected["dtstart"]["value"], "2026-02-11");
    assert_eq!(vevent(&calendar, "event-2@tracker.example.org")["sequence"], 0, "others unchanged");

    // Filters.
    let debian = parse(&python, "ics", &app.get("/calendar.ics?dist=debian").await.bytes);
    let uids: Vec<&str> = debian["events"].as_array().unwrap().iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(uids, ["event-3@tracker.example.org"]);
    assert_eq!(debian["name"], "releasetracker: Debian");
    let branched = parse(&python, "ics", &app.get("/calendar.ics?dist=fedora&state=branched").await.bytes);
    assert_eq!(branched["events"].as_array().unwrap().len(), 2);
    assert_eq!(parse(&python, "ics", &app.get("/calendar.ics?state=nothing").await.bytes)["events"], json!([]));
    let since = parse(&python, "ics", &app.get("/calendar.ics?since=2026-01-01").await.bytes);
    assert_eq!(since["events"].as_array().unwrap().len(), 2, "the retracted and the corrected event");
    for bad in ["limit=5", "state=", "dist=%20fedora", "x=1", "until=never"] {
        let r = app.get(&format!("/calendar.ics?{bad}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.text());
        assert_eq!(r.error_code(), "invalid_input");
    }
}

// ---------------------------------------------------------------------------
// corrections and the public URL

#[tokio::test]
async fn corrections_name_each_other_in_the_feed_and_the_calendar() {
    let Some(python) = python().await else { return };
    let db = sqlite_db();
    let app = feed_app(&db).await;
    let token = app.token("releng-bot").await;
    record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "44", "state": "branched", "reached": true, "at": "2026-02-10T00:00:00Z"}),
    )
    .await;
    // A correction as the editing form makes it: retraction and new event
    // in one transaction, the new one naming the old in `corrects`.
    let fixed: app::model::EventInput = serde_json::from_value(json!({"dist": "fedora", "release": "44",
        "state": "branched", "reached": true, "at": "2026-02-11T00:00:00Z"}))
    .unwrap();
    let who = server::auth::Identity::ApiToken { id: 1, name: "releng-bot".into() };
    let (retraction, corrected) = app
        .state
        .writer
        .correct(
            1,
            app::model::NewRetraction::parse(Some("wrong day")).unwrap(),
            fixed.validate(Utc::now()).unwrap(),
            who.actor(),
        )
        .await
        .expect("correction");
    assert_eq!(corrected.corrects, Some(1));

    let feed = parse(&python, "atom", &app.get("/feed.atom").await.bytes);
    assert!(!feed["bozo"].as_bool().unwrap(), "{feed}");
    let entry = |id: &str| {
        feed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {feed}"))
            .clone()
    };
    let new = entry(&format!("tag:tracker.example.org,2026:event/{}", corrected.id));
    assert!(new["summary"].as_str().unwrap().contains("It corrects event #1, retracted with it."), "{new}");
    let old = entry(&format!("tag:tracker.example.org,2026:retraction/{}", retraction.retraction.id));
    let summary = old["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("Corrected by event #{}.", corrected.id)) && summary.contains("Reason: wrong day"),
        "{old}"
    );
    // The old event's own entry never changes.
    let first = entry("tag:tracker.example.org,2026:event/1");
    assert!(!first["summary"].as_str().unwrap().contains("orrect"), "{first}");

    let calendar = parse(&python, "ics", &app.get("/calendar.ics").await.bytes);
    let cancelled = vevent(&calendar, "event-1@tracker.example.org");
    assert_eq!(cancelled["status"], "CANCELLED");
    assert!(
        cancelled["description"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Retracted (corrected by event #{}) by releng-bot", corrected.id)),
        "{cancelled}"
    );
    let new = vevent(&calendar, &format!("event-{}@tracker.example.org", corrected.id));
    assert!(new["description"].as_str().unwrap().contains("It corrects event #1"), "{new}");
}

#[tokio::test]
async fn links_stay_below_a_public_url_with_a_path() {
    let Some(python) = python().await else { return };
    let db = sqlite_db();
    // As written by an operator: no final slash; the state adds it.
    let mut settings = TestApp::default_settings();
    settings.auth.public_url = url::Url::parse("https://example.org/releases").unwrap();
    let app = TestApp::start_with(&db, settings).await;
    assert_eq!(app.state.auth.public_url.as_str(), "https://example.org/releases/");
    assert_eq!(app.state.auth.absolute("/auth/callback"), "https://example.org/releases/auth/callback");
    let token = app.token("releng-bot").await;
    record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "44", "state": "branched", "reached": true, "at": "2026-02-10T00:00:00Z"}),
    )
    .await;
    let feed = parse(&python, "atom", &app.get("/dists/fedora/feed.atom").await.bytes);
    assert_eq!(link(&feed["feed"]["links"], "self")["href"], "https://example.org/releases/dists/fedora/feed.atom");
    assert_eq!(link(&feed["entries"][0]["links"], "alternate")["href"], "https://example.org/releases/events/1");
    // The default authority is Fedora's, whatever the public URL.
    assert_eq!(feed["entries"][0]["id"], "tag:releasetracker.fedoraproject.org,2026:event/1");
    let calendar = parse(&python, "ics", &app.get("/calendar.ics").await.bytes);
    assert_eq!(
        vevent(&calendar, "event-1@releasetracker.fedoraproject.org")["url"],
        "https://example.org/releases/events/1"
    );
}

/// A note (or a retraction reason) with raw line breaks cannot end the
/// content line and add components; the calendar's name, built from the
/// query, is escaped; long lines are folded at 75 octets without cutting
/// a character.
#[tokio::test]
async fn calendar_text_cannot_add_components_and_long_lines_fold() {
    let Some(python) = python().await else { return };
    let db = sqlite_db();
    let app = feed_app(&db).await;
    let token = app.token("releng-bot").await;
    let injection = "before\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:injected@evil.example\r\nSUMMARY:injected\rEND:VEVENT\rBEGIN:VEVENT\rUID:injected-2@evil.example\nafter";
    let long = "Ünïcödé ".repeat(40);
    let dist = "odd;dist,x";
    record(&app, &token, json!({"dist": dist, "release": "1", "state": "stable", "reached": true, "at": "2026-02-10T00:00:00Z", "note": injection})).await;
    record(&app, &token, json!({"dist": dist, "release": "2", "state": "stable", "reached": true, "at": "2026-02-11T00:00:00Z", "note": long})).await;
    retract(&app, &token, 2, "wrong\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR").await;

    let response = app.get("/calendar.ics?dist=odd%3Bdist%2Cx").await;
    assert_eq!(response.status, StatusCode::OK);
    let raw = String::from_utf8(response.bytes.clone()).expect("folding keeps UTF-8 whole");
    let lines = |content: &str| raw.split("\r\n").filter(|l| *l == content).count();
    assert_eq!(lines("BEGIN:VEVENT"), 2, "{raw}");
    assert_eq!(lines("BEGIN:VCALENDAR"), 1, "{raw}");
    assert!(!raw.replace("\r\n", "").contains(['\r', '\n']), "a line break outside CRLF: {raw:?}");
    for line in raw.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let calendar = parse(&python, "ics", &response.bytes);
    let events = calendar["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{calendar}");
    assert!(events.iter().all(|e| !e["uid"].as_str().unwrap().contains("injected")), "{calendar}");
    let first = vevent(&calendar, "event-1@tracker.example.org");
    assert!(first["description"].as_str().unwrap().contains("before\nEND:VEVENT\nBEGIN:VEVENT"), "{first}");
    let second = vevent(&calendar, "event-2@tracker.example.org");
    assert!(second["description"].as_str().unwrap().contains(long.trim_end()), "{second}");
    assert!(second["description"].as_str().unwrap().contains("wrong\nEND:VCALENDAR"), "{second}");
    // The name comes from the query: escaped as TEXT, not written raw.
    assert_eq!(lines("NAME:releasetracker: Odd\\;dist\\,x"), 1, "{raw}");
}

/// Planned transitions in the calendar, read by the real `icalendar`: one
/// VEVENT per key, tentative with a SEQUENCE that grows with each
/// revision, confirmed at the actual time once met, cancelled when
/// cancelled; a plan's note cannot add components.
#[tokio::test]
async fn calendar_carries_plans_that_move_with_their_slips() {
    let Some(python) = python().await else { return };
    let db = sqlite_db();
    let app = feed_app(&db).await;
    let token = app.token("releng-bot").await;
    let plan = |release: &str, state: &str, at: &str, note: &str| {
        json!({"dist": "fedora", "release": release, "state": state, "reached": true, "at": at, "note": note})
            .to_string()
    };
    let post = |body: String| {
        let app = &app;
        let token = token.clone();
        async move {
            let r = app.post_json("/api/v1/plans", Some(&token), &body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
            r.json()
        }
    };
    let first = post(plan("45", "branched", "2026-08-11T00:00:00Z", "")).await;
    post(plan("45", "branched", "2026-08-18T00:00:00Z", "slipped a week")).await;
    let final_plan =
        post(plan("45", "stable", "2026-10-20T14:00:00Z", "a\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil")).await;
    let met = post(plan("44", "stable", "2026-04-14T00:00:00Z", "")).await;
    record(
        &app,
        &token,
        json!({"dist": "fedora", "release": "44", "state": "stable", "reached": true, "at": "2026-04-21T14:00:00Z"}),
    )
    .await;
    let gone = post(plan("46", "branched", "2027-02-01T00:00:00Z", "")).await;
    let cancel = json!({"dist": "fedora", "release": "46", "state": "branched", "reached": true, "reason": "no 46"});
    assert_eq!(
        app.post_json("/api/v1/plans/cancel", Some(&token), &cancel.to_string()).await.status,
        StatusCode::CREATED
    );

    let body = app.get("/calendar.ics?dist=fedora").await;
    assert_eq!(body.status, StatusCode::OK);
    let calendar = parse(&python, "ics", &body.bytes);
    let uid = |v: &Value| format!("plan-{}@{AUTHORITY}", v["id"]);
    let moved = vevent(&calendar, &uid(&first));
    assert_eq!((moved["status"].as_str(), moved["sequence"].as_i64()), (Some("TENTATIVE"), Some(1)));
    assert_eq!(moved["dtstart"], json!({"kind": "date", "value": "2026-08-18"}));
    assert!(moved["summary"].as_str().unwrap().starts_with("Planned: Fedora 45 enters branched"), "{moved}");
    assert!(moved["categories"].as_array().unwrap().contains(&json!("planned")));
    assert!(moved["description"].as_str().unwrap().contains("slipped a week"));
    let timed = vevent(&calendar, &uid(&final_plan));
    assert_eq!(timed["dtstart"]["kind"], "datetime");
    assert!(timed["description"].as_str().unwrap().contains("END:VEVENT"), "the note stays text");
    let confirmed = vevent(&calendar, &uid(&met));
    assert_eq!((confirmed["status"].as_str(), confirmed["sequence"].as_i64()), (Some("CONFIRMED"), Some(1)));
    assert_eq!(confirmed["dtstart"]["value"], "2026-04-21T14:00:00+00:00");
    let cancelled = vevent(&calendar, &uid(&gone));
    assert_eq!((cancelled["status"].as_str(), cancelled["sequence"].as_i64()), (Some("CANCELLED"), Some(1)));
    // One VEVENT per event and per plan key; the note added none.
    let events = calendar["events"].as_array().unwrap();
    assert_eq!(events.len(), 1 + 4, "{calendar}");
    assert!(events.iter().all(|e| e["uid"] != "evil"));
    // Filters apply to plans too.
    let only_45 = parse(&python, "ics", &app.get("/calendar.ics?release=45").await.bytes);
    assert_eq!(only_45["events"].as_array().unwrap().len(), 2);

    // The Atom feed has an entry per revision, in words, newest first.
    let atom = parse(&python, "atom", &app.get("/feed.atom?dist=fedora").await.bytes);
    assert_eq!(atom["bozo"], false, "{atom}");
    let entries = atom["entries"].as_array().unwrap();
    let entry = |id: &Value| {
        entries
            .iter()
            .find(|e| e["id"].as_str().unwrap().ends_with(&format!(":plan/{id}")))
            .unwrap_or_else(|| panic!("no entry for plan {id}: {atom}"))
    };
    assert_eq!(entry(&first["id"])["title"], "Planned: Fedora 45 enters branched on 2026-08-11");
    let second_id = first["id"].as_i64().unwrap() + 1;
    let slipped = entry(&json!(second_id));
    assert_eq!(slipped["title"], "Plan moved: Fedora 45 enters branched on 2026-08-18 (was 2026-08-11)");
    assert_eq!(slipped["content"][0], "slipped a week");
    assert!(slipped["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["href"] == format!("{PUBLIC}dists/fedora/releases/45")));
    let hostile = entry(&final_plan["id"]);
    assert_eq!(
        hostile["content"][0],
        "a\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil".replace("\r\n", "\n"),
        "read back as text"
    );
    let cancelled_id = gone["id"].as_i64().unwrap() + 1;
    let cancelled = entry(&json!(cancelled_id));
    assert_eq!(cancelled["title"], "Plan cancelled: Fedora 46 enters branched (was planned for 2027-02-01)");
    assert_eq!(cancelled["content"][0], "no 46");
    assert!(entries[0]["id"].as_str().unwrap().ends_with(&format!(":plan/{cancelled_id}")), "newest first");
    // Filtered like the events: release 45 has its three revisions.
    let only_45 = parse(&python, "atom", &app.get("/feed.atom?release=45").await.bytes);
    let plan_entries =
        only_45["entries"].as_array().unwrap().iter().filter(|e| e["id"].as_str().unwrap().contains(":plan/")).count();
    assert_eq!(plan_entries, 3, "{only_45}");
}
