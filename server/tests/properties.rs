//! Properties of dists and releases through the real router on SQLite and
//! PostgreSQL: authentication, the bad-input matrix (nothing stored),
//! replace semantics, time travel, the audit, `?with=properties` on the
//! views, restarts, two instances; and the distro-info export checked
//! against the real distro-info-data tables it was imported from.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use common::*;
use serde_json::{json, Value};
use server::projection::Projection;
use tokio_util::sync::CancellationToken;

const RELEASE: &str = "/api/v1/dists/debian/releases/12/properties";
const DIST: &str = "/api/v1/dists/debian/properties";

async fn story(db: TestDb) {
    let app = TestApp::start(&db).await;
    let t = app.token("releng").await;

    // Nothing recorded yet: 404 for reads.
    assert_eq!(app.get(RELEASE).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{RELEASE}/history")).await.error_code(), "not_found");

    // Anonymous and unknown tokens are refused before the body is read.
    let body = r#"{"codename":"Bookworm","version":"12"}"#;
    let r = app.put_json(RELEASE, None, body).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "unauthenticated");
    assert_eq!(app.put_json(RELEASE, Some("rt_nope"), body).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.stored_property_changes().await, 0);

    // Bad input: the documented error, naming the field, nothing stored.
    let many: BTreeMap<String, String> = (0..33).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let many = serde_json::to_string(&many).unwrap();
    let long = json!({ "codename": "x".repeat(129) }).to_string();
    let cases: Vec<(&str, &str, StatusCode, &str, Option<&str>)> = vec![
        (RELEASE, r#"{"Code Name":"x"}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("Code Name")),
        (RELEASE, r#"{"codename":" Bookworm"}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("codename")),
        (RELEASE, r#"{"codename":""}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("codename")),
        (RELEASE, r#"{"codename":"a\u0007b"}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("codename")),
        (RELEASE, &long, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("codename")),
        (RELEASE, r#"{"codename":12}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("codename")),
        (RELEASE, r#"{"codename":null}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("codename")),
        (RELEASE, r#"{"ok":"x","_bad":"y"}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("_bad")),
        (RELEASE, &many, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", None),
        (RELEASE, r#"["codename"]"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", None),
        (RELEASE, r#""Bookworm""#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", None),
        (RELEASE, r#"{"codename":"#, StatusCode::BAD_REQUEST, "malformed_request", None),
        (RELEASE, "", StatusCode::BAD_REQUEST, "malformed_request", None),
        (
            "/api/v1/dists/debian/releases/%2012/properties",
            body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            Some("release"),
        ),
        ("/api/v1/dists/%20debian/properties", body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", Some("dist")),
    ];
    for (uri, body, status, code, field) in cases {
        let r = app.put_json(uri, Some(&t), body).await;
        assert_eq!(r.status, status, "{uri} {body}: {}", r.text());
        assert_eq!(r.error_code(), code, "{body}");
        assert_eq!(r.json()["error"]["field"].as_str(), field, "{body}: {}", r.text());
    }
    let form = Request::put(RELEASE)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Bearer {t}"))
        .body(Body::from("codename=x"))
        .unwrap();
    assert_eq!(app.send(form).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(app.stored_property_changes().await, 0, "refused writes store nothing");

    // A valid PUT answers the new set; repeating it records nothing.
    let r = app.put_json(RELEASE, Some(&t), body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.text(), r#"{"codename":"Bookworm","version":"12"}"#);
    assert_eq!(app.put_json(RELEASE, Some(&t), body).await.status, StatusCode::OK);
    assert_eq!(app.stored_property_changes().await, 2);
    let between = Utc::now();
    tokio::time::sleep(Duration::from_millis(5)).await;

    // Replace: codename changes, version goes, series arrives.
    let r = app.put_json(RELEASE, Some(&t), r#"{"codename":"Bookworm ✓","series":"bookworm"}"#).await;
    assert_eq!(r.json(), json!({"codename": "Bookworm ✓", "series": "bookworm"}));
    assert_eq!(app.stored_property_changes().await, 5);
    let now = app.get(RELEASE).await;
    assert_eq!(now.status, StatusCode::OK);
    assert!(now.headers.contains_key("etag"));
    assert_eq!(now.json(), json!({"codename": "Bookworm ✓", "series": "bookworm"}));

    // Time travel.
    let at = app::model::time::format(&between);
    assert_eq!(app.get(&format!("{RELEASE}?at={at}")).await.json(), json!({"codename": "Bookworm", "version": "12"}));
    assert_eq!(app.get(&format!("{RELEASE}?at=2000-01-01")).await.json(), json!({}));
    let r = app.get(&format!("{RELEASE}?at=yesterday")).await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("at")));
    assert_eq!(app.get(&format!("{RELEASE}?when=now")).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The audit: old and new values, who and through what.
    let history = app.get(&format!("{RELEASE}/history")).await.json();
    let changes = history["changes"].as_array().unwrap();
    let brief: Vec<(String, Value, Value)> =
        changes.iter().map(|c| (c["key"].as_str().unwrap().to_owned(), c["old"].clone(), c["new"].clone())).collect();
    assert_eq!(
        brief,
        vec![
            ("codename".into(), Value::Null, json!("Bookworm")),
            ("version".into(), Value::Null, json!("12")),
            ("codename".into(), json!("Bookworm"), json!("Bookworm ✓")),
            ("series".into(), Value::Null, json!("bookworm")),
            ("version".into(), json!("12"), Value::Null),
        ]
    );
    assert!(changes.iter().all(|c| c["recorded_by"] == "releng" && c["source"] == "api" && c["at"].is_string()));

    // Dist-level properties stand apart from the release's.
    assert_eq!(app.get(DIST).await.json(), json!({}), "known through its release");
    let r = app.put_json(DIST, Some(&t), r#"{"name":"Debian GNU/Linux"}"#).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.get(DIST).await.json(), json!({"name": "Debian GNU/Linux"}));
    assert_eq!(app.get(RELEASE).await.json()["name"], Value::Null);
    assert_eq!(app.get(&format!("{DIST}/history")).await.json()["changes"].as_array().unwrap().len(), 1);
    assert_eq!(app.put_json(DIST, Some(&t), "{}").await.json(), json!({}));
    assert_eq!(app.get(&format!("{DIST}/history")).await.json()["changes"][1]["new"], Value::Null);

    // The views keep their shape; `?with=properties` adds the properties.
    let e = app
        .post_json(
            "/api/v1/events",
            Some(&t),
            &json!({"dist":"debian","release":"12","state":"stable","reached":true,"at":"2023-06-10T00:00:00Z"})
                .to_string(),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED);
    let plain = app.get("/api/v1/views/debian/detailed").await.json();
    assert!(plain["12"]["stable"]["in"].as_bool().unwrap());
    assert!(plain["12"].get("properties").is_none());
    let with = app.get("/api/v1/views/debian/detailed?with=properties").await.json();
    assert_eq!(with["12"]["properties"], json!({"codename": "Bookworm ✓", "series": "bookworm"}));
    assert_eq!(with["12"]["states"], plain["12"]);
    let one = app.get("/api/v1/views/debian/releases/12?with=properties").await.json();
    assert_eq!(one["states"], plain["12"]);
    let past = app.get(&format!("/api/v1/views/debian/releases/12?with=properties&at={at}")).await.json();
    assert_eq!(past["properties"], json!({"codename": "Bookworm", "version": "12"}));
    assert_eq!(app.get("/api/v1/views/debian/nope?with=properties").await.status, StatusCode::NOT_FOUND);
    for bad in ["/api/v1/views/debian/detailed?with=nope", "/api/v1/views/debian/states-by-release?with=properties"] {
        let r = app.get(bad).await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("with")),
            "{bad}"
        );
    }

    // A restart rebuilds the same answers from the database.
    let answers = [
        RELEASE,
        DIST,
        "/api/v1/dists/debian/releases/12/properties/history",
        "/api/v1/views/debian/detailed?with=properties",
    ];
    let mut before = Vec::new();
    for uri in answers {
        before.push(app.get(uri).await.text());
    }
    app.store.close().await;
    drop(app);
    let again = TestApp::start(&db).await;
    for (uri, text) in answers.iter().zip(before) {
        assert_eq!(again.get(uri).await.text(), text, "{uri}");
    }
}

#[tokio::test]
async fn story_sqlite() {
    story(sqlite_db()).await;
}

#[tokio::test]
async fn story_postgres() {
    if let Some(db) = postgres_db().await {
        story(db).await;
    }
}

#[tokio::test]
async fn two_instances_on_one_postgres_see_each_others_properties() {
    let Some(db) = postgres_db().await else { return };
    let a = TestApp::start(&db).await;
    let b = TestApp::start(&db).await;
    let stop = CancellationToken::new();
    for app in [&a, &b] {
        let projection: std::sync::Arc<Projection> = app.state.projection.clone();
        tokio::spawn(projection.follow(
            app.store.clone(),
            Duration::from_millis(100),
            Default::default(),
            stop.clone(),
        ));
    }
    let t = a.token("a").await;
    assert_eq!(a.put_json(RELEASE, Some(&t), r#"{"codename":"Bookworm"}"#).await.status, StatusCode::OK);
    // B edits the same release next: its diff is against the database, so
    // the audit shows A's value as the old one, even before B polled.
    let r = b.put_json(RELEASE, Some(&t), r#"{"codename":"Bookworm","series":"bookworm"}"#).await;
    assert_eq!(r.json(), json!({"codename": "Bookworm", "series": "bookworm"}));
    assert_eq!(b.stored_property_changes().await, 2, "B recorded only the new key");
    let started = std::time::Instant::now();
    while a.get(RELEASE).await.json() != json!({"codename": "Bookworm", "series": "bookworm"}) {
        assert!(started.elapsed() < Duration::from_secs(1), "A did not see B's change within a second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
}

/// The source rows of a distro-info-data table: release id → the six
/// columns (dates ahead included: the export writes them from plans).
fn source_rows(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let cells: Vec<String> = (0..6).map(|i| record.get(i).unwrap_or("").to_owned()).collect();
        let version = cells[0].trim_end_matches(" LTS");
        let id = if version.is_empty() { cells[2].clone() } else { version.to_owned() };
        out.insert(id, cells);
    }
    out
}

async fn import(app: &TestApp, dist: &str, file: &str) -> server::history::Summary {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let dist = app::model::Dist::parse(dist).unwrap();
    server::history::import(
        &app.state.writer,
        &dist,
        &data.join(file),
        app::model::time::to_stored_precision(Utc::now()),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn distro_info_export_gives_back_the_imported_tables() {
    let db = sqlite_db();
    let setup = TestApp::start(&db).await;
    for (dist, file) in [("debian", "debian.csv"), ("ubuntu", "ubuntu.csv")] {
        let summary = import(&setup, dist, file).await;
        assert!(summary.properties > 50, "{dist}: {summary:?}");
    }
    setup.store.close().await;
    drop(setup);
    let app = TestApp::start(&db).await;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");

    for (dist, file) in [("debian", "debian.csv"), ("ubuntu", "ubuntu.csv")] {
        let r = app.get(&format!("/api/v1/compat/distro-info/{dist}.csv")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
        let text = r.text();
        // Every column, every phase, distro-info's row order, the same
        // bytes: the export is the table it was imported from.
        let source = std::fs::read_to_string(data.join(file)).unwrap();
        assert_eq!(text, source, "{dist}: the export differs from the source");
    }

    // As of a past day: only what had happened by then.
    let past = app.get("/api/v1/compat/distro-info/debian.csv?at=2005-01-01").await.text();
    let rows = source_rows(&past);
    assert_eq!(rows["3.0"], ["3.0", "Woody", "woody", "2000-08-15", "2002-07-19", ""]);
    assert_eq!(rows["3.1"], ["3.1", "Sarge", "sarge", "2002-07-19", "", ""]);
    assert!(!rows.contains_key("4.0"), "Etch was created in 2005-06");

    // Errors keep the JSON shape.
    assert_eq!(app.get("/api/v1/compat/distro-info/nope.csv").await.error_code(), "not_found");
    assert_eq!(app.get("/api/v1/compat/distro-info/debian.json").await.error_code(), "not_found");
    assert_eq!(app.get("/api/v1/compat/distro-info/debian.csv?at=soon").await.error_code(), "invalid_input");

    // Importing again changes nothing; an editor's value survives it.
    let t = app.token("editor").await;
    let r = app
        .put_json(
            "/api/v1/dists/debian/releases/12/properties",
            Some(&t),
            r#"{"codename":"Bookworm (edited)","version":"12"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let stored = app.stored_property_changes().await;
    for (dist, file) in [("debian", "debian.csv"), ("ubuntu", "ubuntu.csv")] {
        let summary = import(&app, dist, file).await;
        assert_eq!((summary.added, summary.properties), (0, 0), "{dist}");
    }
    assert_eq!(app.stored_property_changes().await, stored);
    app.state.projection.catch_up(&app.store).await.unwrap();
    let text = app.get("/api/v1/compat/distro-info/debian.csv").await.text();
    assert!(text.contains("\n12,Bookworm (edited),,2021-08-14,2023-06-10,"), "{text}");
}

#[tokio::test]
async fn distro_info_columns_follow_the_configuration() {
    let db = sqlite_db();
    let base = TestApp::start(&db).await;
    import(&base, "debian", "debian.csv").await;
    base.store.close().await;
    drop(base);
    let distro_info = app::model::distro_info::DistroInfoConfig::parse("debian.eol=stable").unwrap();
    let app = TestApp::start_with(&db, server::settings::Settings { distro_info, ..TestApp::default_settings() }).await;
    let text = app.get("/api/v1/compat/distro-info/debian.csv").await.text();
    // `eol` now reports when stable was first entered: the release date.
    assert!(text.contains("\n3.0,Woody,woody,2000-08-15,2002-07-19,2002-07-19\n"), "{text}");
}

/// axum 0.8 cannot route a segment that is only partly a parameter
/// (`{dist}.csv`), so the export is routed as `{file}`: the published URL
/// must still answer, other names must not, and the OpenAPI document must
/// describe the published path only.
#[tokio::test]
async fn distro_info_answers_and_is_described_at_dist_dot_csv() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("t").await;
    let e = app
        .post_json(
            "/api/v1/events",
            Some(&t),
            &json!({"dist":"debian","release":"12","state":"stable","reached":true,"at":"2023-06-10T00:00:00Z"})
                .to_string(),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED);
    let r = app.get("/api/v1/compat/distro-info/debian.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    // `version` is the property of that name, not the release: unset here;
    // as in distro-info-data, the empty cells at a row's end are left out.
    assert_eq!(r.text(), "version,codename,series,created,release,eol\n,,,,2023-06-10\n");
    for other in ["debian", "debian.json", "debian.csv.gz", "ubuntu.csv"] {
        let r = app.get(&format!("/api/v1/compat/distro-info/{other}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found".to_owned()), "{other}");
    }
    assert_eq!(app.get("/api/v1/compat/distro-info/bad%01name.csv").await.status, StatusCode::UNPROCESSABLE_ENTITY);

    let doc = serde_json::to_value(server::api::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(!paths.keys().any(|p| p.contains("{file}")), "the routing detail stays out of the document");
    let op = &paths["/api/v1/compat/distro-info/{dist}.csv"]["get"];
    assert!(op["responses"]["200"]["content"]["text/csv"].is_object(), "{op}");
    let names: Vec<&str> = op["parameters"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["dist", "at"]);
}

/// A property that a spreadsheet would run as a formula is written with a
/// leading `'` in the CSV export.
#[tokio::test]
async fn distro_info_cells_that_look_like_formulas_are_inert() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("releng").await;
    let r = app
        .put_json(
            "/api/v1/dists/spreadsheet/releases/1/properties",
            Some(&t),
            r#"{"codename":"=HYPERLINK(\"http://evil.example\",\"x\")","series":"@SUM(A1)","version":"-1+1"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text = app.get("/api/v1/compat/distro-info/spreadsheet.csv").await.text();
    // Rows are as long as their last non-empty cell, like distro-info-data's.
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let row = reader.records().next().expect("one row").expect("CSV");
    assert_eq!(&row[0], "'-1+1", "{text}");
    assert_eq!(&row[1], "'=HYPERLINK(\"http://evil.example\",\"x\")", "{text}");
    assert_eq!(&row[2], "'@SUM(A1)", "{text}");
    // The JSON read keeps the value as recorded.
    let json = app.get("/api/v1/dists/spreadsheet/releases/1/properties").await.json();
    assert_eq!(json["series"], "@SUM(A1)");
}

/// Every date of a distro-info-data table.
fn table_dates(text: &str) -> Vec<chrono::NaiveDate> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        for cell in record.unwrap().iter().skip(3) {
            if let Ok(d) = chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
                out.push(d);
            }
        }
    }
    out
}

/// The open plans of a dist: (release, state, reached, at, status).
async fn open_plans(app: &TestApp, dist: &str) -> Vec<(String, String, bool, String, String)> {
    let plans = app.get(&format!("/api/v1/plans?dist={dist}")).await.json();
    let mut out: Vec<_> = plans
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] != "cancelled")
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_owned();
            (s("release"), s("state"), p["reached"].as_bool().unwrap(), s("at"), s("status"))
        })
        .collect();
    out.sort();
    out
}

/// Re-importing a corrected upstream table (distro-info-data 0.60, kept in
/// `tests/data/`, then Debian's current 0.58+deb12u7 in `data/`, with
/// moved dates and new releases)
/// leaves the log saying what the new table says at every instant, as a
/// fresh import of the new table does: superseded transitions are
/// retracted (kept, with a reason naming old, new and the file), future
/// dates are plans, a third run changes nothing, and what people recorded
/// is never retracted by an import.
async fn reimport_reconciles(db_old_then_new: TestDb, db_new: TestDb) {
    let now = app::model::parse_at("2026-12-01T00:00:00Z").unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let a = TestApp::start(&db_old_then_new).await;
    let b = TestApp::start(&db_new).await;
    let run = |app: &TestApp, dist: &'static str, file: std::path::PathBuf| {
        let writer = app.state.writer.clone();
        async move {
            let dist = app::model::Dist::parse(dist).unwrap();
            server::history::import(&writer, &dist, &file, now).await.unwrap()
        }
    };
    for dist in ["debian", "ubuntu"] {
        let old = manifest.join(format!("tests/data/distro-info-0.60/{dist}.csv"));
        let new = manifest.join(format!("../data/{dist}.csv"));
        let first = run(&a, dist, old.clone()).await;
        assert!(first.added > 50 && first.retracted == 0, "{dist}: {first:?}");
        let second = run(&a, dist, new.clone()).await;
        let fresh = run(&b, dist, new.clone()).await;
        assert!(second.disagreements.is_empty() && fresh.disagreements.is_empty(), "{second:?}");
        if dist == "debian" {
            // Potato's EOL and Bookworm's moved, Forky's creation moved.
            assert!(second.retracted >= 4, "{second:?}");
        }
        let third = run(&a, dist, new.clone()).await;
        assert_eq!((third.added, third.retracted, third.plans, third.properties), (0, 0, 0, 0), "{dist}: {third:?}");

        // The views at every instant of both tables (and the days around).
        let mut instants: Vec<chrono::NaiveDate> = table_dates(&std::fs::read_to_string(&old).unwrap());
        instants.extend(table_dates(&std::fs::read_to_string(&new).unwrap()));
        instants.sort();
        instants.dedup();
        for day in &instants {
            for d in [*day - chrono::Days::new(1), *day, *day + chrono::Days::new(1)] {
                let uri = format!("/api/v1/views/{dist}/states-by-release?at={d}T12:00:00Z");
                assert_eq!(a.get(&uri).await.json(), b.get(&uri).await.json(), "{uri}");
            }
        }
        assert_eq!(open_plans(&a, dist).await, open_plans(&b, dist).await, "{dist}: plans");
        let export = a.get(&format!("/api/v1/compat/distro-info/{dist}.csv")).await.text();
        assert_eq!(export, std::fs::read_to_string(&new).unwrap(), "{dist}: the export is the new table");
    }
    // Retracted, not deleted: the log keeps both, with the reason.
    let (events_a, retractions_a) = a.stored_events().await;
    let (events_b, retractions_b) = b.stored_events().await;
    assert_eq!(retractions_b, 0);
    assert_eq!(events_a - retractions_a, events_b, "the same live events");
    let bookworm = a.get("/api/v1/events?dist=debian&release=12&state=stable&limit=10").await.json();
    let reason = bookworm["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["retraction"]["reason"].as_str().map(str::to_owned))
        .expect("the superseded end of Bookworm's stable stay is retracted");
    assert!(
        reason.contains("2026-06-10") && reason.contains("2026-07-11") && reason.contains("Superseded by debian.csv"),
        "{reason}"
    );
    // Duke (15) is only a plan: its creation lies ahead.
    let duke = open_plans(&a, "debian").await;
    assert!(
        duke.contains(&("15".into(), "development".into(), true, "2027-08-01T00:00:00Z".into(), "upcoming".into())),
        "{duke:?}"
    );

    // People's records are never retracted by an import: an editor moves
    // Potato's EOL by a day; the next import reports it and leaves it.
    let t = a.token("editor").await;
    let potato = a.get("/api/v1/events?dist=debian&release=2.2&state=eol").await.json();
    let id = potato["events"].as_array().unwrap().iter().find(|e| e["retraction"].is_null()).unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = a
        .post_json(&format!("/api/v1/events/{id}/retract"), Some(&t), r#"{"reason":"the security team's last DSA"}"#)
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let fix =
        json!({"dist": "debian", "release": "2.2", "state": "eol", "reached": true, "at": "2003-06-29T00:00:00Z"});
    let r = a.post_json("/api/v1/events", Some(&t), &fix.to_string()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let rerun = run(&a, "debian", manifest.join("../data/debian.csv")).await;
    assert_eq!((rerun.added, rerun.retracted), (0, 0), "{rerun:?}");
    assert_eq!(rerun.disagreements.len(), 1, "{rerun:?}");
    assert!(rerun.disagreements[0].contains("2.2 entered eol on 2003-06-30"), "{rerun:?}");
    let at = a.get("/api/v1/views/debian/states-by-release?at=2003-06-29T12:00:00Z").await.json();
    assert!(at["2.2"].as_array().unwrap().iter().any(|s| s == "eol"), "{at}");
}

#[tokio::test]
async fn reimport_reconciles_on_sqlite() {
    reimport_reconciles(sqlite_db(), sqlite_db()).await;
}

#[tokio::test]
async fn reimport_reconciles_on_postgres() {
    match (postgres_db().await, postgres_db().await) {
        (Some(a), Some(b)) => reimport_reconciles(a, b).await,
        _ => eprintln!("SKIPPED reimport_reconciles_on_postgres: no PostgreSQL"),
    }
}

/// Fedora's table reports the EOLs that happened (the docs' table, marked
/// actual) and announces the others (endoflife.date's): an announced EOL
/// is a plan until an editor confirms it, even once its day has passed —
/// then it is overdue — and a re-run after the confirmation is quiet.
#[tokio::test]
async fn fedora_announced_eols_are_plans_until_confirmed() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let now = app::model::parse_at("2026-12-01T00:00:00Z").unwrap();
    let fedora = app::model::Dist::parse("fedora").unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/fedora-releases.csv");
    let first = server::history::import(&app.state.writer, &fedora, &file, now).await.unwrap();
    assert_eq!(first.planned, 6, "42–44 leave stable and enter eol as announced: {first:?}");
    let plans = app.get("/api/v1/plans?dist=fedora&release=42").await.json();
    let got: Vec<(String, bool, String)> = plans
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["state"].as_str().unwrap().to_owned(),
                p["reached"].as_bool().unwrap(),
                p["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, [("stable".into(), false, "overdue".into()), ("eol".into(), true, "overdue".into())]);
    let view = app.get("/api/v1/views/fedora/states-by-release?at=2026-06-01").await.json();
    assert_eq!(view["42"], json!(["stable"]), "an announced EOL is not a fact");
    assert_eq!(view["41"], json!(["eol"]), "41's EOL is the docs' actual one");

    // An editor confirms 42's EOL on the announced day.
    let t = app.token("releng").await;
    for (state, reached) in [("stable", false), ("eol", true)] {
        let body = json!({"dist": "fedora", "release": "42", "state": state, "reached": reached, "at": "2026-05-27T00:00:00Z"});
        assert_eq!(app.post_json("/api/v1/events", Some(&t), &body.to_string()).await.status, StatusCode::CREATED);
    }
    let met = app.get("/api/v1/plans?dist=fedora&release=42&status=met").await.json();
    assert_eq!(met.as_array().unwrap().len(), 2, "{met}");
    let again = server::history::import(&app.state.writer, &fedora, &file, now).await.unwrap();
    assert_eq!((again.added, again.retracted, again.plans), (0, 0, 0), "{again:?}");
    assert!(again.disagreements.is_empty(), "{again:?}");
}

/// Debian's own distro-info library (`python3-distro-info`, behind
/// `debian-distro-info` and `ubuntu-distro-info`) gives the same answer to
/// every question of its API — at every date of the tables, the days
/// around them and each quarter from 1993 to 2031 — from our export as from
/// the table it was imported from, for both tables in both versions
/// (distro-info-data 0.60 and the current 0.58+deb12u7).
#[tokio::test]
async fn distro_info_library_answers_the_same_from_the_export() {
    let python = Path::new("/usr/bin/python3");
    let has_library = std::process::Command::new(python)
        .args(["-c", "import distro_info"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_library {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "python3-distro-info is required with CI=true");
        eprintln!("SKIPPED distro_info_library_answers_the_same_from_the_export: apt-get install python3-distro-info");
        return;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = manifest.join("tests/distro_info_library.py");
    for source in [manifest.join("tests/data/distro-info-0.60"), manifest.join("../data")] {
        let db = sqlite_db();
        let app = TestApp::start(&db).await;
        let now = app::model::time::to_stored_precision(Utc::now());
        let exported = tempfile::tempdir().unwrap();
        for dist in ["debian", "ubuntu"] {
            let name = app::model::Dist::parse(dist).unwrap();
            let file = source.join(format!("{dist}.csv"));
            server::history::import(&app.state.writer, &name, &file, now).await.unwrap();
            let csv = app.get(&format!("/api/v1/compat/distro-info/{dist}.csv")).await.text();
            std::fs::write(exported.path().join(format!("{dist}.csv")), csv).unwrap();
        }
        let (script, from, to) = (script.clone(), source.clone(), exported.path().to_owned());
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(python).arg(script).arg(from).arg(to).output().unwrap()
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let differences = report["differences"].as_object().unwrap();
        assert!(report["questions"].as_u64().unwrap() > 10_000, "{report}");
        assert!(
            differences.is_empty(),
            "{}: {} of {} answers differ, e.g. {:?}",
            source.display(),
            differences.len(),
            report["questions"],
            differences.iter().take(10).collect::<Vec<_>>()
        );
    }
}
