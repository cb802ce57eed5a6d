//! Plans through the real router on SQLite and PostgreSQL (DESIGN.md §7):
//! revisions and cancellations, met by events and un-met by retractions,
//! status and slip in `GET /api/v1/plans` and the schedule view, the
//! bad-input matrix (the documented error, nothing stored), a restart, and
//! that plans never change a fact.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};

fn plan(release: &str, state: &str, at: &str) -> String {
    json!({"dist": "fedora", "release": release, "state": state, "reached": true, "at": at,
           "link": "https://fedorapeople.org/groups/schedule/f-45/f-45-key.ics"})
    .to_string()
}

async fn plans(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/plans{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json().as_array().cloned().unwrap_or_default()
}

async fn story(db: TestDb) {
    let app = TestApp::start(&db).await;
    let token = app.token("releng").await;
    let before = app.get("/api/v1/views/fedora/states-by-release").await;

    // A plan and a slip: revision 2 names the date it moves from.
    let first = app.post_json("/api/v1/plans", Some(&token), &plan("45", "branched", "2026-02-10T14:00:00Z")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let first = first.json();
    assert_eq!(
        (first["revision"].as_i64(), first["previous_at"].clone(), first["cancelled"].clone()),
        (Some(1), Value::Null, json!(false))
    );
    assert_eq!(first["recorded_by"], "releng");
    let moved =
        app.post_json("/api/v1/plans", Some(&token), &plan("45", "branched", "2026-02-17T14:00:00Z")).await.json();
    assert_eq!((moved["revision"].as_i64(), moved["previous_at"].as_str()), (Some(2), Some("2026-02-10T14:00:00Z")));
    // A plan far ahead, and one for the past that nobody met: overdue.
    app.post_json("/api/v1/plans", Some(&token), &plan("45", "stable", "2099-04-20T14:00:00Z")).await;
    app.post_json("/api/v1/plans", Some(&token), &plan("44", "stable", "2020-04-20T14:00:00Z")).await;

    let listed = plans(&app, "").await;
    assert_eq!(listed.len(), 3, "one per key: {listed:?}");
    let branched = listed.iter().find(|p| p["state"] == "branched").unwrap();
    assert_eq!(branched["revisions"], 2);
    assert_eq!(branched["first_at"], "2026-02-10T14:00:00Z");
    assert_eq!(branched["slip_days"], 7.0);
    assert_eq!(branched["status"], "overdue");
    assert_eq!(branched["actual"], Value::Null);
    assert_eq!(plans(&app, "?status=upcoming").await.len(), 1);
    assert_eq!(plans(&app, "?status=overdue&release=44").await.len(), 1);
    assert_eq!(plans(&app, "?since=2030-01-01").await.len(), 1);
    assert_eq!(plans(&app, "?until=2026-12-31&state=branched").await.len(), 1);

    // The event that makes the transition meets the plan; its retraction
    // un-meets it.
    let event = app
        .post_json("/api/v1/events", Some(&token), &event_body("45", "branched", true, "2026-02-18T02:24:00Z"))
        .await;
    assert_eq!(event.status, StatusCode::CREATED);
    let event_id = event.json()["id"].as_i64().unwrap();
    let met = plans(&app, "?state=branched").await;
    assert_eq!((met[0]["status"].as_str(), met[0]["event_id"].as_i64()), (Some("met"), Some(event_id)));
    assert_eq!(met[0]["actual"], "2026-02-18T02:24:00Z");
    assert_eq!(met[0]["slip_days"], 7.5);
    let retract = json!({"reason": "wrong release"}).to_string();
    let r = app.post_json(&format!("/api/v1/events/{event_id}/retract"), Some(&token), &retract).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(plans(&app, "?state=branched").await[0]["status"], "overdue");

    // Cancelled: the date stays, the reason is the note; 404 without a plan.
    let cancel =
        json!({"dist": "fedora", "release": "45", "state": "stable", "reached": true, "reason": "no 45"}).to_string();
    let c = app.post_json("/api/v1/plans/cancel", Some(&token), &cancel).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.text());
    let c = c.json();
    assert_eq!(
        (c["cancelled"].clone(), c["note"].clone(), c["at"].clone()),
        (json!(true), json!("no 45"), json!("2099-04-20T14:00:00Z"))
    );
    assert_eq!(plans(&app, "?status=cancelled").await.len(), 1);
    let none =
        json!({"dist": "fedora", "release": "46", "state": "stable", "reached": true, "reason": "x"}).to_string();
    let r = app.post_json("/api/v1/plans/cancel", Some(&token), &none).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found".to_owned()));

    // The schedule: per release in natural order, keys with their history.
    let schedule = app.get("/api/v1/views/fedora/schedule").await.json();
    let releases: Vec<&str> = schedule.as_array().unwrap().iter().map(|r| r["release"].as_str().unwrap()).collect();
    assert_eq!(releases, ["44", "45"]);
    let f45 = &schedule[1]["plans"];
    assert_eq!(f45[0]["state"], "branched");
    assert_eq!(f45[0]["history"].as_array().unwrap().len(), 2);
    assert_eq!(f45[1]["history"][1]["cancelled"], true);
    assert_eq!(app.get("/api/v1/views/debian/schedule").await.json(), json!([]));

    // Bad input: the documented error naming the field, nothing stored.
    let stored = plans(&app, "").await;
    let cases = [
        (r#"{"dist":"fedora","release":"45","state":"beta","reached":true}"#, "at"),
        (r#"{"dist":"fedora","release":"45","state":"beta","reached":true,"at":"next week"}"#, "at"),
        (r#"{"dist":"fedora","release":"45","state":"beta","at":"2030-01-01"}"#, "reached"),
        (r#"{"dist":"","release":"45","state":"beta","reached":true,"at":"2030-01-01T00:00:00Z"}"#, "dist"),
        (
            r#"{"dist":"fedora","release":"45","state":"beta","reached":true,"at":"2030-01-01T00:00:00Z","link":"ftp://x"}"#,
            "link",
        ),
        (
            r#"{"dist":"fedora","release":"45","state":"beta","reached":true,"at":"2030-01-01T00:00:00Z","when":"x"}"#,
            "when",
        ),
    ];
    for (body, field) in cases {
        let r = app.post_json("/api/v1/plans", Some(&token), body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], field, "{body}");
    }
    let r = app.post_json("/api/v1/plans", Some(&token), "{").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.post_json("/api/v1/plans", None, &plan("45", "beta", "2030-01-01T00:00:00Z")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .post_json(
            "/api/v1/plans/cancel",
            Some(&token),
            r#"{"dist":"fedora","release":"45","state":"beta","reached":true}"#,
        )
        .await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    assert_eq!(app.get("/api/v1/plans?status=late").await.json()["error"]["field"], "status");
    assert_eq!(app.get("/api/v1/plans?colour=red").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(plans(&app, "").await, stored, "nothing stored by a refused write");

    // Pages: the home page lists what is upcoming (the overdue list is for
    // editors); a release with plans and no events has a page whose
    // schedule shows slip and status; notes are escaped.
    let hostile = json!({"dist": "fedora", "release": "46", "state": "branched", "reached": true,
                         "at": "2099-08-01T00:00:00Z", "note": "<script>alert(1)</script>"})
    .to_string();
    assert_eq!(app.post_json("/api/v1/plans", Some(&token), &hostile).await.status, StatusCode::CREATED);
    let moved = hostile.replace("2099-08-01", "2099-08-08");
    assert_eq!(app.post_json("/api/v1/plans", Some(&token), &moved).await.status, StatusCode::CREATED);
    let home = app.get("/").await.text();
    assert!(home.contains("id=\"upcoming-plans\""), "{home}");
    assert!(home.contains("Fedora 46 enters branched"), "{home}");
    assert!(!home.contains("id=\"overdue-plans\""), "overdue plans are listed for editors only");
    let page = app.get("/dists/fedora/releases/46").await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.text();
    assert!(page.contains("<h2>Schedule</h2>") && page.contains("data-status=\"planned\""), "{page}");
    assert!(page.contains("7.0 days late") && page.contains("2 revisions"), "{page}");
    assert!(!page.contains("<script>alert(1)") && page.contains("&lt;script&gt;alert(1)"), "escaped");
    let f45 = app.get("/dists/fedora/releases/45").await.text();
    assert!(f45.contains("data-status=\"overdue\"") && f45.contains("data-status=\"cancelled\""), "{f45}");
    // The month calendar shows unmet plans on their day, apart from facts.
    let month = app.get("/calendar?year=2099&month=8&dist=fedora").await.text();
    assert!(month.contains("<li data-status=\"upcoming\" class=\"planned\">"), "{month}");
    assert!(month.contains("Planned: Fedora 46 enters branched"), "{month}");
    let february = app.get("/calendar?year=2026&month=2&dist=fedora").await.text();
    assert!(february.contains("Overdue: Fedora 45 enters branched"), "{february}");
    // An "as of" page stays in its past: no upcoming list.
    assert!(!app.get("/?at=2025-01-01").await.text().contains("upcoming-plans"));

    // Plans never change a fact: the views are what the events say.
    let after = app.get("/api/v1/views/fedora/states-by-release").await;
    let facts: Value = after.json();
    assert_eq!(facts.get("45"), None, "the retracted event was the only fact about 45");
    assert_eq!(before.status, StatusCode::NOT_FOUND, "no facts before: {}", before.text());

    // A restart reads the plans back.
    let listed = plans(&app, "").await;
    app.store.close().await;
    let again = TestApp::start(&db).await;
    let reread = plans(&again, "").await;
    let strip = |v: &[Value]| -> Vec<Value> {
        v.iter()
            .map(|p| {
                let mut p = p.clone();
                p.as_object_mut().unwrap().remove("status");
                p
            })
            .collect()
    };
    assert_eq!(strip(&reread), strip(&listed));
}

#[tokio::test]
async fn plans_on_sqlite() {
    story(sqlite_db()).await;
}

#[tokio::test]
async fn plans_on_postgres() {
    match postgres_db().await {
        Some(db) => story(db).await,
        None => eprintln!("SKIPPED plans_on_postgres: no PostgreSQL"),
    }
}

/// A JSON body without its `url`, and that url.
fn without_url(body: &str) -> (Value, String) {
    let mut v: Value = serde_json::from_str(body).expect("JSON body");
    let url = v.as_object_mut().and_then(|o| o.remove("url")).and_then(|u| u.as_str().map(str::to_owned));
    (v, url.expect("a url"))
}

async fn outbox(app: &TestApp, kind: server::store::OutboxKind) -> Vec<server::store::OutboxEntry> {
    let rows = app.store.outbox_after(0, 1000).await.expect("outbox");
    rows.into_iter().filter(|r| r.kind == kind).collect()
}

/// What the bus hears of plans and audits (DESIGN.md §7): each plan
/// revision in its write's transaction with the API's answer as body; an
/// overdue plan once per key and revision however many instances look
/// (also at the same moment); an audit finding once.
async fn announcements(db: TestDb) {
    use server::store::OutboxKind;
    let app = TestApp::start(&db).await;
    let other = TestApp::start(&db).await; // a second instance on the same database
    let token = app.token("releng").await;
    let grace = chrono::Duration::days(1);

    let first = app.post_json("/api/v1/plans", Some(&token), &plan("45", "branched", "2026-08-11T00:00:00Z")).await;
    let moved = app.post_json("/api/v1/plans", Some(&token), &plan("45", "branched", "2026-08-18T00:00:00Z")).await;
    let cancel = json!({"dist": "fedora", "release": "45", "state": "branched", "reached": true, "reason": "gone"});
    let cancelled = app.post_json("/api/v1/plans/cancel", Some(&token), &cancel.to_string()).await;
    assert_eq!(cancelled.status, StatusCode::CREATED, "{}", cancelled.text());
    // Refused writes leave no message.
    let refused = app.post_json("/api/v1/plans", Some(&token), &plan("45", "", "2026-08-18T00:00:00Z")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = json!({"dist": "fedora", "release": "99", "state": "x", "reached": true, "reason": "r"});
    assert_eq!(
        app.post_json("/api/v1/plans/cancel", Some(&token), &unknown.to_string()).await.status,
        StatusCode::NOT_FOUND
    );

    let rows = outbox(&app, OutboxKind::Plan).await;
    assert_eq!(rows.len(), 3, "one message per revision: {rows:?}");
    for (row, answer) in rows.iter().zip([first, moved, cancelled]) {
        let (body, url) = without_url(row.body.as_deref().expect("stored with its body"));
        assert_eq!(body, answer.json(), "the body is the API's answer");
        assert_eq!(row.ref_id, answer.json()["id"].as_i64().unwrap());
        assert!(url.starts_with("http://") && url.ends_with("/dists/fedora/releases/45"), "{url}");
    }

    // Nothing overdue yet (the plan was cancelled); then a plan in the past.
    let mut seen = server::log::OverdueAnnounced::default();
    let now = chrono::Utc::now();
    assert_eq!(app.state.writer.announce_overdue(now, grace, &mut seen).await.unwrap(), 0);
    let late = app.post_json("/api/v1/plans", Some(&token), &plan("44", "stable", "2020-04-20T14:00:00Z")).await.json();
    other.state.projection.catch_up(&other.store).await.unwrap();
    // Both instances look at the same moment: one message.
    let (mut a, mut b) = (Default::default(), Default::default());
    let (x, y) = tokio::join!(
        app.state.writer.announce_overdue(now, grace, &mut a),
        other.state.writer.announce_overdue(now, grace, &mut b)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 1, "one plan.overdue per key and revision");
    // Later rounds, a restarted instance: nothing new.
    assert_eq!(app.state.writer.announce_overdue(now, grace, &mut a).await.unwrap(), 0);
    let mut fresh = server::log::OverdueAnnounced::default();
    assert_eq!(other.state.writer.announce_overdue(now, grace, &mut fresh).await.unwrap(), 0);
    let rows = outbox(&app, OutboxKind::PlanOverdue).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].ref_id, late["id"].as_i64().unwrap());
    let (body, url) = without_url(rows[0].body.as_deref().unwrap());
    let listed = plans(&app, "?status=overdue").await;
    assert_eq!(body, listed[0], "the body is the plan as GET /api/v1/plans lists it");
    assert!(url.ends_with("/dists/fedora/releases/44"), "{url}");
    // A new revision that is overdue too is announced again, once.
    app.post_json("/api/v1/plans", Some(&token), &plan("44", "stable", "2020-04-27T14:00:00Z")).await;
    assert_eq!(app.state.writer.announce_overdue(now, grace, &mut a).await.unwrap(), 1);
    assert_eq!(app.state.writer.announce_overdue(now, grace, &mut a).await.unwrap(), 0);
    // An event that meets it: nothing more to announce.
    let met =
        app.post_json("/api/v1/events", Some(&token), &event_body("44", "stable", true, "2020-04-28T00:00:00Z")).await;
    assert_eq!(met.status, StatusCode::CREATED);
    assert_eq!(app.state.writer.announce_overdue(now, grace, &mut fresh).await.unwrap(), 0);
    assert_eq!(outbox(&app, OutboxKind::PlanOverdue).await.len(), 2);

    // Audit findings: each distinct one once, from whichever instance.
    let finding = app::model::audit::Finding {
        kind: app::model::audit::FindingKind::State,
        dist: "fedora".into(),
        release: "44".into(),
        bodhi_name: "F44".into(),
        bodhi: Some("current".into()),
        ours: Some("branched".into()),
        expected_lag: false,
        message: "Bodhi says F44 is current, the tracker says fedora 44 is branched".into(),
    };
    let bodhi = "https://bodhi.example.org/";
    assert_eq!(app.state.writer.announce_findings(std::slice::from_ref(&finding), bodhi, now).await.unwrap(), 1);
    assert_eq!(other.state.writer.announce_findings(std::slice::from_ref(&finding), bodhi, now).await.unwrap(), 0);
    let rows = outbox(&app, OutboxKind::AuditDrift).await;
    assert_eq!(rows.len(), 1);
    let (body, url) = without_url(rows[0].body.as_deref().unwrap());
    assert_eq!(body["message"], finding.message);
    assert_eq!(body["bodhi_url"], bodhi);
    assert!(url.starts_with("http://") && url.ends_with("/audit"), "{url}");

    // None of it is a fact.
    let facts = app.get("/api/v1/views/fedora/states-by-release").await.json();
    assert_eq!(facts, json!({"44": ["stable"]}));
}

#[tokio::test]
async fn announcements_on_sqlite() {
    announcements(sqlite_db()).await;
}

#[tokio::test]
async fn announcements_on_postgres() {
    match postgres_db().await {
        Some(db) => announcements(db).await,
        None => eprintln!("SKIPPED announcements_on_postgres: no PostgreSQL"),
    }
}

/// Migration 0009 rebuilds SQLite's outbox to allow the new kinds: rows
/// written before it keep their ids, message ids, state and bodies, and
/// later rows continue the ids.
#[tokio::test]
async fn the_outbox_rebuild_keeps_its_rows() {
    use sqlx::Row;
    let db = sqlite_db();
    let options: sqlx::sqlite::SqliteConnectOptions =
        db.url.parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap().create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let migrator = sqlx::migrate!("../migrations/sqlite");
    for m in migrator.iter().filter(|m| m.version < 9) {
        sqlx::raw_sql(&m.sql).execute(&pool).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO outbox (kind, ref_id, message_id, created_at, sent_at, attempts, last_error, body) VALUES \
         ('event', 1, 'm-1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 1, NULL, '{\"id\":1}'), \
         ('retraction', 1, 'm-2', '2026-01-01T00:00:00Z', NULL, 3, 'broker down', NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let nine = migrator.iter().find(|m| m.version == 9).expect("migration 0009");
    sqlx::raw_sql(&nine.sql).execute(&pool).await.unwrap();
    let rows = sqlx::query("SELECT id, kind, message_id, sent_at, attempts, last_error, body FROM outbox ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    /// id, kind, message_id, sent_at, attempts, last_error, body
    type Columns = (i64, String, String, Option<String>, i64, Option<String>, Option<String>);
    let read: Vec<Columns> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6))).collect();
    assert_eq!(
        read,
        vec![
            (1, "event".into(), "m-1".into(), Some("2026-01-01T00:00:01Z".into()), 1, None, Some("{\"id\":1}".into())),
            (2, "retraction".into(), "m-2".into(), None, 3, Some("broker down".into()), None),
        ]
    );
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (kind, ref_id, message_id, created_at) VALUES ('plan_overdue', 5, 'm-3', 'x') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(id, 3);
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(pending, 2);
    assert!(sqlx::query(
        "INSERT INTO outbox (kind, ref_id, message_id, created_at) VALUES ('nonsense', 1, 'm-4', 'x')"
    )
    .execute(&pool)
    .await
    .is_err());
}

/// The schedule view is kept for "now" (bench: 1,000 keys answer in
/// microseconds instead of milliseconds), yet an upcoming plan still turns
/// overdue on time, and a write shows at once.
#[tokio::test]
async fn the_cached_schedule_follows_the_clock_and_the_log() {
    use chrono::{Duration, SecondsFormat, Utc};
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("releng").await;
    let status = |v: &Value| v[0]["plans"][0]["status"].as_str().unwrap_or_default().to_owned();
    // Due in two seconds: the plan's date plus the default grace of a day.
    let due = Utc::now() - Duration::days(1) + Duration::seconds(2);
    let at = due.to_rfc3339_opts(SecondsFormat::Secs, true);
    let r = app.post_json("/api/v1/plans", Some(&token), &plan("45", "branched", &at)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let first = app.get("/api/v1/views/fedora/schedule").await;
    assert_eq!(status(&first.json()), "upcoming");
    let again = app.get("/api/v1/views/fedora/schedule").await;
    assert_eq!(again.bytes, first.bytes, "the same answer while nothing changes");
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(status(&app.get("/api/v1/views/fedora/schedule").await.json()), "overdue", "turned overdue on time");
    let met = Utc::now() - Duration::seconds(1);
    let body = event_body("45", "branched", true, &met.to_rfc3339_opts(SecondsFormat::Millis, true));
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &body).await.status, StatusCode::CREATED);
    assert_eq!(status(&app.get("/api/v1/views/fedora/schedule").await.json()), "met", "a write shows at once");
    // An unknown dist is answered, and not kept.
    assert_eq!(app.get("/api/v1/views/nowhere/schedule").await.json(), json!([]));
}
