//! The drop-in exports over the real Fedora history (`import-history
//! fedora data/fedora-releases.csv`) plus Rawhide and a branched release
//! recorded through the API: packit's alias sets, pkgdb's collections, time
//! travel and errors, on SQLite and PostgreSQL. (The comparison with the
//! real `fedora-distro-aliases` over Bodhi captures is in
//! `fedora_aliases_library.rs`.)

mod common;

use std::path::Path;

use axum::http::StatusCode;
use chrono::Utc;
use common::*;
use serde_json::Value;

async fn app_with_fedora(db: &TestDb) -> TestApp {
    let store = server::store::Store::connect(&db.url).await.unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/fedora-releases.csv");
    let fedora = app::model::Dist::parse("fedora").unwrap();
    let writer = server::log::LogWriter::open(store.clone()).await.unwrap();
    server::history::import(&writer, &fedora, &data, Utc::now()).await.unwrap();
    drop(writer);
    store.close().await;
    let app = TestApp::start(db).await;
    // Rawhide is release "0" and always in development; 42 branched from
    // it on 2025-02-04 (neither is in the CSV).
    let token = app.token("releng-bot").await;
    for (release, state, at) in
        [("0", "development", "2003-01-01T00:00:00Z"), ("42", "branched", "2025-02-04T00:00:00Z")]
    {
        let r = app.post_json("/api/v1/events", Some(&token), &event_body(release, state, true, at)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    app
}

fn namevers(v: &Value, alias: &str) -> Vec<String> {
    v[alias]
        .as_array()
        .unwrap_or_else(|| panic!("no {alias} in {v}"))
        .iter()
        .map(|r| r["namever"].as_str().unwrap().to_owned())
        .collect()
}

async fn check_aliases(app: &TestApp) {
    let r = app.get("/api/v1/compat/fedora-aliases?at=2025-01-01").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(namevers(&v, "fedora-stable"), ["fedora-40", "fedora-41"]);
    assert_eq!(namevers(&v, "fedora-development"), ["fedora-rawhide"]);
    assert_eq!(namevers(&v, "fedora-all"), ["fedora-40", "fedora-41", "fedora-rawhide"]);
    assert_eq!(namevers(&v, "fedora-branched"), ["fedora-40", "fedora-41"]);
    assert_eq!(namevers(&v, "fedora-latest"), ["fedora-41"]);
    assert_eq!(namevers(&v, "fedora-latest-stable"), ["fedora-41"]);
    assert_eq!(v["epel-all"], serde_json::json!([]));
    // Each release is a fedora-distro-aliases `Distro`.
    let f41 = &v["fedora-stable"][1];
    for (key, value) in [
        ("name", "F41"),
        ("long_name", "Fedora 41"),
        ("version", "41"),
        ("version_number", "41"),
        ("state", "current"),
        ("branch", "f41"),
        ("id_prefix", "FEDORA"),
        ("product", "fedora"),
        ("dist", "fedora"),
        ("release", "41"),
    ] {
        assert_eq!(f41[key], value, "{key} in {f41}");
    }
    let rawhide = &v["fedora-development"][0];
    assert_eq!(rawhide["version"], "rawhide");
    assert_eq!(rawhide["branch"], "rawhide");
    assert_eq!(rawhide["state"], "pending");
    // Fedora 41 was the newest release then, so Rawhide was 42.
    assert_eq!(rawhide["version_number"], "42");

    // During the branching window of 42.
    let v = app.get("/api/v1/compat/fedora-aliases?at=2025-03-01").await.json();
    assert_eq!(namevers(&v, "fedora-development"), ["fedora-42", "fedora-rawhide"]);
    assert_eq!(namevers(&v, "fedora-branched"), ["fedora-40", "fedora-41", "fedora-42"]);
    assert_eq!(namevers(&v, "fedora-latest"), ["fedora-42"]);
    assert_eq!(namevers(&v, "fedora-latest-stable"), ["fedora-41"]);

    // Long ago: Fedora Core 5 and 6 were the stable ones.
    let v = app.get("/api/v1/compat/fedora-aliases?at=2007-01-01").await.json();
    assert_eq!(namevers(&v, "fedora-stable"), ["fedora-5", "fedora-6"]);
}

async fn check_pkgdb(app: &TestApp) {
    let r = app.get("/api/v1/compat/pkgdb-collections?at=2025-01-01").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let rows: Vec<(String, String)> = v["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["version"].as_str().unwrap().to_owned(), c["status"].as_str().unwrap().to_owned()))
        .collect();
    // Every Fedora that reached EOL by then is listed as such (1–39), then
    // the two stable ones and Rawhide.
    assert_eq!(rows.len(), 39 + 2 + 1, "{rows:?}");
    assert!(rows[..39].iter().all(|(_, s)| s == "EOL"), "{rows:?}");
    assert_eq!(rows[0].0, "1");
    assert_eq!(
        &rows[38..],
        [
            ("39".to_owned(), "EOL".to_owned()),
            ("40".to_owned(), "Active".to_owned()),
            ("41".to_owned(), "Active".to_owned()),
            ("devel".to_owned(), "Under Development".to_owned()),
        ]
    );
    let f41 = &v["collections"][40];
    for (key, value) in [("name", "Fedora"), ("branchname", "f41"), ("koji_name", "f41"), ("dist_tag", ".fc41")] {
        assert_eq!(f41[key], value, "{key} in {f41}");
    }
    assert_eq!(f41["allow_retire"], false);
    assert_eq!(v["collections"][41]["dist_tag"], ".fc42");
    assert_eq!(v["collections"][41]["branchname"], "rawhide");

    let v = app.get("/api/v1/compat/pkgdb-collections?at=2025-03-01").await.json();
    let f42 = v["collections"].as_array().unwrap().iter().find(|c| c["version"] == "42").expect("42 listed").clone();
    assert_eq!(f42["status"], "Under Development");
    assert_eq!(f42["allow_retire"], true);
}

async fn check_errors_and_caching(app: &TestApp) {
    for uri in ["/api/v1/compat/fedora-aliases?at=yesterday", "/api/v1/compat/pkgdb-collections?at=2021-13-01"] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
        assert_eq!(r.error_code(), "invalid_input");
        assert_eq!(r.json()["error"]["field"], "at");
    }
    let r = app.get("/api/v1/compat/pkgdb-collections?colour=red").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_input");
    // Now: answered, with an ETag.
    let r = app.get("/api/v1/compat/fedora-aliases").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.contains_key(axum::http::header::ETAG));
}

#[tokio::test]
async fn exports_over_the_real_fedora_history_on_sqlite() {
    let db = sqlite_db();
    let app = app_with_fedora(&db).await;
    check_aliases(&app).await;
    check_pkgdb(&app).await;
    check_errors_and_caching(&app).await;
}

#[tokio::test]
async fn exports_over_the_real_fedora_history_on_postgres() {
    let Some(db) = postgres_db().await else { return };
    let app = app_with_fedora(&db).await;
    check_aliases(&app).await;
    check_pkgdb(&app).await;
}

#[tokio::test]
async fn epel_and_a_custom_mapping() {
    let db = sqlite_db();
    // An operator who records Bodhi-like states in a dist named `el-extras`.
    let mapping = app::model::compat::CompatMapping {
        epel: app::model::Dist::parse("el-extras").unwrap(),
        stable: ["ga"].iter().map(|s| app::model::State::parse(s).unwrap()).collect(),
        ..Default::default()
    };
    let app =
        TestApp::start_with(&db, server::settings::Settings { compat: mapping, ..TestApp::default_settings() }).await;
    let token = app.token("releng-bot").await;
    for (release, state) in [("9", "ga"), ("10.1", "ga"), ("10.2", "pending"), ("8", "eol")] {
        let body = serde_json::json!({"dist": "el-extras", "release": release, "state": state, "reached": true, "at": "2025-06-01T00:00:00Z"});
        let r = app.post_json("/api/v1/events", Some(&token), &body.to_string()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let v = app.get("/api/v1/compat/fedora-aliases").await.json();
    assert_eq!(namevers(&v, "epel-all"), ["epel-9", "epel-10.1", "epel-10.2"]);
    assert_eq!(v["epel-all"][0]["name"], "EPEL-9");
    assert_eq!(v["epel-all"][0]["branch"], "epel9");
    assert_eq!(v["epel-all"][0]["id_prefix"], "FEDORA-EPEL");
    assert_eq!(v["epel-all"][2]["state"], "pending");
    // 10.2 is the newest EPEL 10 minor: on `epel10`, as in Bodhi; 10.1 has
    // branched off it.
    let branches: Vec<&str> = v["epel-all"].as_array().unwrap().iter().map(|r| r["branch"].as_str().unwrap()).collect();
    assert_eq!(branches, ["epel9", "epel10.1", "epel10"]);
    assert_eq!(namevers(&v, "epel-10-all"), ["epel-10.1", "epel-10.2"]);
    assert_eq!(namevers(&v, "epel-10-branched"), ["epel-10.1"]);
    assert_eq!(namevers(&v, "epel-10"), ["epel-10.2"]);
    assert_eq!(v["epel-10"][0]["major_version"], 10);
    assert!(v.get("epel-9").is_none(), "EPEL 9 has no minor versions: {v}");
    assert_eq!(v["fedora-all"], serde_json::json!([]));
    let v = app.get("/api/v1/compat/pkgdb-collections").await.json();
    let rows: Vec<(&str, &str, &str)> = v["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["version"].as_str().unwrap(), c["status"].as_str().unwrap(), c["dist_tag"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            ("8", "EOL", ".el8"),
            ("9", "Active", ".el9"),
            ("10.1", "Active", ".el10_1"),
            ("10.2", "Under Development", ".el10_2")
        ]
    );
    assert!(v["collections"].as_array().unwrap().iter().all(|c| c["name"] == "Fedora EPEL"));
}

/// The endoflife.date export over the real Fedora history equals
/// endoflife.date's own product file (its `releaseDate` and `eol` for
/// every release whose dates are past), and a planned EOL fills the
/// future.
async fn endoflife_date_matches_endoflife_date(db: TestDb) {
    let app = app_with_fedora(&db).await;
    let token = app.token("releng").await;
    let plan = serde_json::json!({"dist": "fedora", "release": "45", "state": "stable", "reached": true,
                                  "at": "2027-04-20T00:00:00Z"});
    assert_eq!(app.post_json("/api/v1/plans", Some(&token), &plan.to_string()).await.status, StatusCode::CREATED);
    let r = app.get("/api/v1/compat/endoflife-date/fedora?at=2026-11-30").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ours = r.json();
    assert_eq!(ours["schema_version"], "1.2.0");
    let releases = ours["result"]["releases"].as_array().unwrap();
    let find = |name: &str| releases.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no {name}"));
    // endoflife.date's product file: `releaseCycle`, `releaseDate`, `eol`.
    // The shared data lies beside the checkout (`../shared`), as on these machines and in CI.
    let md = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/reference/endoflife.date/fedora.md"),
    );
    let Ok(md) = md else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "endoflife.date's fedora.md is missing");
        eprintln!("SKIPPED: endoflife.date's fedora.md not found");
        return;
    };
    let mut compared = 0;
    let mut cycle = None;
    let mut release_date = None;
    for line in md.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("- releaseCycle: ") {
            cycle = Some(v.trim_matches('"').to_owned());
        } else if let Some(v) = line.strip_prefix("releaseDate: ") {
            release_date = Some(v.to_owned());
        } else if let (Some(v), Some(c), Some(d)) = (line.strip_prefix("eol: "), &cycle, &release_date) {
            if v < "2026-11-30" {
                let r = find(c);
                assert_eq!(r["releaseDate"].as_str(), Some(d.as_str()), "F{c} releaseDate");
                assert_eq!(r["eolFrom"].as_str(), Some(v), "F{c} eolFrom");
                assert_eq!((r["isEol"].as_bool(), r["isMaintained"].as_bool()), (Some(true), Some(false)), "F{c}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 30, "only {compared} releases compared");
    // 45 has only a plan: its release date is the planned one.
    assert_eq!(
        (find("45")["releaseDate"].as_str(), find("45")["isMaintained"].as_bool()),
        (Some("2027-04-20"), Some(false))
    );
    assert_eq!(find("42")["codename"], "Adams");
    assert_eq!(app.get("/api/v1/compat/endoflife-date/nothing").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/compat/endoflife-date/fedora?at=soon").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn endoflife_date_matches_endoflife_date_on_sqlite() {
    endoflife_date_matches_endoflife_date(sqlite_db()).await;
}

#[tokio::test]
async fn endoflife_date_matches_endoflife_date_on_postgres() {
    match postgres_db().await {
        Some(db) => endoflife_date_matches_endoflife_date(db).await,
        None => eprintln!("SKIPPED endoflife_date_matches_endoflife_date_on_postgres: no PostgreSQL"),
    }
}

/// Fedora's real metainfo file (an old snapshot: Rawhide and F30–F36).
fn reference_metainfo() -> Option<std::path::PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/reference/fedora-appstream-metadata/org.fedoraproject.fedora.metainfo.xml");
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "Fedora's metainfo file is missing");
    eprintln!("SKIPPED: Fedora's metainfo file not found at {}", path.display());
    None
}

/// What Python's `xml.etree` reads in a metainfo file (`parse_metainfo.py`).
fn parse_metainfo(path: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parse_metainfo.py");
    let out = std::process::Command::new("python3").arg(&script).arg(path).output().expect("run python3");
    assert!(out.status.success(), "xml.etree refused {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("parser JSON")
}

/// `appstreamcli validate --no-net` on `path`, when AppStream's tool is
/// installed (Debian's `appstream`; `scripts/test` installs it). Its
/// output on failure.
fn appstreamcli_validate(path: &Path) -> Option<Result<(), String>> {
    match std::process::Command::new("appstreamcli").args(["validate", "--no-net", "--pedantic"]).arg(path).output() {
        Ok(out) => Some(if out.status.success() {
            Ok(())
        } else {
            Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
        }),
        Err(_) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "appstreamcli is required with CI=true");
            eprintln!("SKIPPED: appstreamcli validation (install Debian's `appstream`)");
            None
        }
    }
}

/// Fetches our metainfo at `query` into `dir` under Fedora's file name.
async fn our_metainfo(app: &TestApp, query: &str, dir: &Path) -> std::path::PathBuf {
    let r = app.get(&format!("/api/v1/compat/appstream/fedora.metainfo.xml{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[axum::http::header::CONTENT_TYPE], "application/xml; charset=utf-8");
    let path = dir.join("org.fedoraproject.fedora.metainfo.xml");
    std::fs::write(&path, &r.bytes).unwrap();
    path
}

/// The AppStream export over the real Fedora history against Fedora's own
/// metainfo file: the same header, the same releases in the same order
/// with the same types, and the same dates except where the reference
/// wrote a schedule date that reality then missed (each such case is
/// listed in `fedora-eol-planned-vs-actual.csv`: ours must be the actual
/// day, theirs the planned one). Plans fill what is ahead; text is escaped;
/// appstreamcli accepts the file.
async fn appstream_matches_fedoras_metainfo(db: TestDb) {
    let app = app_with_fedora(&db).await;
    let Some(reference) = reference_metainfo() else { return };
    let theirs = parse_metainfo(&reference);
    let dir = tempfile::tempdir().unwrap();
    // The snapshot: F36 out, F34 not yet at its end of life (2022-06-07).
    let path = our_metainfo(&app, "?at=2022-05-20", dir.path()).await;
    let ours = parse_metainfo(&path);
    for key in ["tag", "type", "id", "name", "summary", "description", "homepage", "metadata_license", "developer_name"]
    {
        assert_eq!(ours[key], theirs[key], "{key}");
    }
    // The schedule-vs-actual cases documented beside the reference.
    let known =
        std::fs::read_to_string(reference.parent().unwrap().join("../fedora-eol-planned-vs-actual.csv")).unwrap();
    let slipped = |release: &str, milestone: &str, theirs: &str, ours: &str| {
        known.lines().any(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f.len() > 4
                && (f[0], f[1], f[2], f[4]) == (release, milestone, theirs, ours)
                && f[3].contains("fedora-appstream-metadata")
        })
    };
    let releases = |v: &Value| v["releases"].as_array().unwrap().clone();
    let (ours_r, theirs_r) = (releases(&ours), releases(&theirs));
    let versions = |list: &[Value]| list.iter().map(|r| r["version"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let covered: Vec<String> = versions(&theirs_r);
    // Ours lists every release back to Fedora Core 1. (42–44 have plans
    // already, their announced EOLs, but nothing dates them in 2022.)
    assert_eq!(
        versions(&ours_r),
        ["Rawhide".to_owned()].into_iter().chain((1..=36).rev().map(|n| n.to_string())).collect::<Vec<_>>()
    );
    // The releases both cover, in the same order (newest first, Rawhide on top).
    let ours_r: Vec<Value> =
        ours_r.into_iter().filter(|r| covered.iter().any(|v| r["version"] == v.as_str())).collect();
    assert_eq!(versions(&ours_r), covered);
    let (mut same, mut explained) = (0, 0);
    for (o, t) in ours_r.iter().zip(&theirs_r) {
        let v = t["version"].as_str().unwrap();
        assert_eq!(o["type"], t["type"], "type of {v}");
        if v == "Rawhide" {
            // Fedora writes `date=""`, which appstreamcli refuses; ours is
            // the day Rawhide began in the log.
            assert_eq!((t["date"].as_str(), t["date_eol"].as_str()), (Some(""), Some("")));
            assert_eq!((o["date"].as_str(), &o["date_eol"]), (Some("2003-01-01"), &Value::Null));
            assert_eq!(o["description"], t["description"], "Rawhide's description");
            continue;
        }
        for (attr, milestone) in [("date", "ga"), ("date_eol", "eol")] {
            let (their, our) = (t[attr].as_str().unwrap_or_default(), o[attr].as_str().unwrap_or_default());
            if their == our {
                same += 1;
            } else {
                assert!(
                    slipped(v, milestone, their, our),
                    "F{v} {attr}: ours {our:?}, theirs {their:?}, not a known slip"
                );
                explained += 1;
            }
        }
    }
    // F30–F35 release dates and the empty EOLs of F34–F36 agree; F36's
    // release date and the EOLs of F30–F33 are the schedule's in their file.
    assert_eq!((same, explained), (6 + 3, 1 + 4));
    let f = |v: &str| ours_r.iter().find(|r| r["version"] == v).unwrap().clone();
    assert_eq!((f("36")["date"].as_str(), f("33")["date_eol"].as_str()), (Some("2022-05-10"), Some("2021-11-30")));
    if let Some(valid) = appstreamcli_validate(&path) {
        valid.unwrap_or_else(|e| panic!("appstreamcli refuses our file: {e}"));
    }

    // Later: the announced EOLs are plans and fill date_eol; a planned
    // release is in development with its planned date.
    let token = app.token("releng").await;
    let plan = serde_json::json!({"dist": "fedora", "release": "45", "state": "stable", "reached": true,
                                  "at": "2027-04-20T00:00:00Z"});
    assert_eq!(app.post_json("/api/v1/plans", Some(&token), &plan.to_string()).await.status, StatusCode::CREATED);
    // Header texts from dist properties, escaped.
    let props = serde_json::json!({"appstream-developer-name": "Fedora <Project> & \"friends\""});
    let r = app.put_json("/api/v1/dists/fedora/properties", Some(&token), &props.to_string()).await;
    assert!(r.status.is_success(), "{}", r.text());
    let path = our_metainfo(&app, "?at=2026-11-30", dir.path()).await;
    let ours = parse_metainfo(&path);
    let rows: Vec<(String, String, Value, Value)> = ours["releases"].as_array().unwrap()[..5]
        .iter()
        .map(|r| {
            (
                r["version"].as_str().unwrap().into(),
                r["type"].as_str().unwrap().into(),
                r["date"].clone(),
                r["date_eol"].clone(),
            )
        })
        .collect();
    let row = |v: &str, t: &str, d: Option<&str>, e: Option<&str>| {
        (v.to_owned(), t.to_owned(), serde_json::json!(d), serde_json::json!(e))
    };
    assert_eq!(
        rows,
        [
            row("Rawhide", "development", Some("2003-01-01"), None),
            row("45", "development", Some("2027-04-20"), None),
            row("44", "stable", Some("2026-04-28"), Some("2027-06-02")),
            row("43", "stable", Some("2025-10-28"), Some("2026-12-09")),
            row("42", "stable", Some("2025-04-15"), Some("2026-05-27")),
        ]
    );
    if let Some(valid) = appstreamcli_validate(&path) {
        valid.unwrap_or_else(|e| panic!("appstreamcli refuses our file: {e}"));
    }
    // The property takes effect when it is recorded: now.
    assert_eq!(ours["developer_name"], "The Fedora Project");
    let path = our_metainfo(&app, "", dir.path()).await;
    let ours = parse_metainfo(&path);
    assert_eq!(ours["developer_name"], "Fedora <Project> & \"friends\"");
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("<developer_name>Fedora &lt;Project&gt; &amp; &quot;friends&quot;</developer_name>"), "{raw}");
    if let Some(valid) = appstreamcli_validate(&path) {
        valid.unwrap_or_else(|e| panic!("appstreamcli refuses our file: {e}"));
    }

    // Errors in the API's JSON shape; conditional GET.
    let r = app.get("/api/v1/compat/appstream/nothing.metainfo.xml").await;
    assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found".to_owned()));
    let r = app.get("/api/v1/compat/appstream/fedora.xml").await;
    assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found".to_owned()));
    let r = app.get("/api/v1/compat/appstream/fedora.metainfo.xml?at=soon").await;
    assert_eq!((r.status, r.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".to_owned()));
    let r = app.get("/api/v1/compat/appstream/fedora.metainfo.xml").await;
    let etag = r.headers[axum::http::header::ETAG].clone();
    let again = app
        .send(
            axum::http::Request::get("/api/v1/compat/appstream/fedora.metainfo.xml")
                .header(axum::http::header::IF_NONE_MATCH, etag)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn appstream_matches_fedoras_metainfo_on_sqlite() {
    appstream_matches_fedoras_metainfo(sqlite_db()).await;
}

#[tokio::test]
async fn appstream_matches_fedoras_metainfo_on_postgres() {
    match postgres_db().await {
        Some(db) => appstream_matches_fedoras_metainfo(db).await,
        None => eprintln!("SKIPPED appstream_matches_fedoras_metainfo_on_postgres: no PostgreSQL"),
    }
}

/// Serves Bodhi captures on loopback: `/releases/?page=N` answers the N-th
/// file. Returns the base URL.
async fn fake_bodhi(pages: &'static [&'static str]) -> url::Url {
    fake_bodhi_with_switch(pages).await.0
}

/// As [`fake_bodhi`], with a switch that makes it answer `500` instead.
async fn fake_bodhi_with_switch(
    pages: &'static [&'static str],
) -> (url::Url, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use axum::extract::Query;
    use axum::response::IntoResponse;
    use std::sync::atomic::Ordering;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bodhi-releases-api");
    let bodies: Vec<String> = pages.iter().map(|p| std::fs::read_to_string(dir.join(p)).unwrap()).collect();
    let broken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let switch = broken.clone();
    let router = axum::Router::new().route(
        "/releases/",
        axum::routing::get(move |Query(q): Query<std::collections::HashMap<String, String>>| {
            let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let body = bodies.get(page - 1).cloned().unwrap_or_default();
            let broken = switch.load(Ordering::SeqCst);
            async move {
                if broken {
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
                ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap(), broken)
}

/// The audit against a loopback Bodhi serving real captures: agreements
/// (an actual EOL, a planned one, Rawhide on Rawhide's branch) pass, real
/// disagreements are found (Bodhi's early EOL for 41, 42 frozen while the
/// tracker records no freeze), twins and ELN are skipped, all pages are
/// read, and nothing is written.
async fn audit_against_bodhi(db: TestDb) {
    let app = app_with_fedora(&db).await;
    let token = app.token("releng").await;
    for (release, at) in [("40", "2025-05-13T00:00:00Z"), ("41", "2025-12-15T00:00:00Z")] {
        let plan = serde_json::json!({"dist": "fedora", "release": release, "state": "eol", "reached": true, "at": at});
        assert_eq!(app.post_json("/api/v1/plans", Some(&token), &plan.to_string()).await.status, StatusCode::CREATED);
    }
    let before = app.stored_events().await;
    let plans_before = app.get("/api/v1/plans").await.json();
    let bodhi = fake_bodhi(&["bodhi-f42-post-branch-window.json"]).await;
    let found = server::audit::findings(&app.store, &bodhi, Some("2025-03-01")).await.expect("audit");
    let summary: Vec<(String, String, Option<String>, Option<String>)> = found
        .iter()
        .map(|f| {
            (
                serde_json::to_value(f.kind).unwrap().as_str().unwrap().to_owned(),
                f.release.clone(),
                f.bodhi.clone(),
                f.ours.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("eol".to_owned(), "41".to_owned(), Some("2025-11-11".to_owned()), Some("2025-12-15".to_owned())),
            ("state".to_owned(), "42".to_owned(), Some("frozen".to_owned()), Some("pending".to_owned())),
        ],
        "{found:#?}"
    );
    // Two pages are read as one list.
    let paged = fake_bodhi(&["bodhi-page-1.json", "bodhi-page-2.json"]).await;
    let found = server::audit::findings(&app.store, &paged, Some("2024-09-20")).await.expect("audit");
    assert!(found.iter().any(|f| f.bodhi_name.starts_with("EPEL")), "page 2's EPEL releases were read: {found:#?}");
    assert!(found.iter().all(|f| !f.bodhi_name.ends_with('C') && f.bodhi_name != "ELN"));
    // The CLI: one JSON line per finding, exit status 1, nothing written.
    // Waited for off the runtime, which serves the loopback Bodhi meanwhile.
    let args = ["--database", &db.url, "audit", "--bodhi-url", bodhi.as_str(), "--at", "2025-03-01"].map(str::to_owned);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_releasetracker")).args(args).output().unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}\n{stderr}");
    assert!(stderr.contains("2 findings"), "{stderr}");
    assert_eq!(app.stored_events().await, before, "an audit writes nothing");
    // A Bodhi that answers garbage is a clear error.
    let bad = url::Url::parse("http://127.0.0.1:1/").unwrap();
    assert!(server::audit::findings(&app.store, &bad, None).await.unwrap_err().contains("cannot read"));

    // The periodic audit of `serve`: before its first run, after it, and
    // after a failed run (the last good findings stay, with the error).
    let off = app.get("/api/v1/audit").await.json();
    assert_eq!(off, serde_json::json!({"source": null, "checked_at": null, "error": null, "findings": []}));
    assert!(app.get("/audit").await.text().contains("The periodic audit is off"));
    let (bodhi, broken) = fake_bodhi_with_switch(&["bodhi-f42-post-branch-window.json"]).await;
    let settings = server::settings::Settings { audit_bodhi: Some(bodhi.clone()), ..TestApp::default_settings() };
    let live = TestApp::start_with(&db, settings).await;
    assert_eq!(live.get("/api/v1/audit").await.json()["checked_at"], Value::Null);
    let expected = server::audit::findings(&app.store, &bodhi, None).await.expect("audit");
    assert!(!expected.is_empty());
    assert_eq!(server::audit::run_once(&live.state).await, Ok(expected.len()), "every finding is new");
    let report = live.get("/api/v1/audit").await.json();
    assert_eq!(report["source"], bodhi.as_str());
    assert!(report["checked_at"].is_string());
    assert_eq!(report["findings"], serde_json::to_value(&expected).unwrap());
    assert_eq!(server::audit::run_once(&live.state).await, Ok(0), "the same findings are not new again");
    // Drift (not expected lag) is announced on the bus, once per finding,
    // also by a second instance or after a restart.
    let drift: Vec<_> = expected.iter().filter(|f| !f.expected_lag).collect();
    assert!(!drift.is_empty(), "the capture holds drift: {expected:?}");
    let announced = |store: server::store::Store| async move {
        let rows = store.outbox_after(0, 10_000).await.expect("outbox");
        rows.into_iter().filter(|r| r.kind == server::store::OutboxKind::AuditDrift).collect::<Vec<_>>()
    };
    let rows = announced(live.store.clone()).await;
    assert_eq!(rows.len(), drift.len(), "{rows:?}");
    for (row, finding) in rows.iter().zip(&drift) {
        let body: Value = serde_json::from_str(row.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["message"], finding.message.as_str());
        assert_eq!(body["bodhi_url"], bodhi.as_str());
    }
    let again = TestApp::start_with(
        &db,
        server::settings::Settings { audit_bodhi: Some(bodhi.clone()), ..TestApp::default_settings() },
    )
    .await;
    assert_eq!(server::audit::run_once(&again.state).await, Ok(expected.len()), "new to this instance");
    assert_eq!(announced(live.store.clone()).await.len(), drift.len(), "but not announced twice");
    let page = live.get("/audit").await.text();
    assert!(page.contains(&format!(r#"data-findings="{}""#, expected.len())), "{page}");
    assert!(page.contains("<td>F41</td>"), "{page}");
    let status = live.get("/status").await.text();
    assert!(status.contains(&format!(r#"data-audit="{}""#, expected.len())), "{status}");
    broken.store(true, std::sync::atomic::Ordering::SeqCst);
    let error = server::audit::run_once(&live.state).await.unwrap_err();
    assert!(error.contains("500"), "{error}");
    let report = live.get("/api/v1/audit").await.json();
    assert_eq!(report["findings"], serde_json::to_value(&expected).unwrap(), "the last good findings stay");
    assert!(report["error"].as_str().unwrap().contains("500"));
    assert!(live.get("/audit").await.text().contains("The last run failed"));
    assert_eq!(app.stored_events().await, before, "an audit writes no event");
    assert_eq!(app.get("/api/v1/plans").await.json(), plans_before, "nor a plan");
}

#[tokio::test]
async fn audit_against_bodhi_on_sqlite() {
    audit_against_bodhi(sqlite_db()).await;
}

#[tokio::test]
async fn audit_against_bodhi_on_postgres() {
    match postgres_db().await {
        Some(db) => audit_against_bodhi(db).await,
        None => eprintln!("SKIPPED audit_against_bodhi_on_postgres: no PostgreSQL"),
    }
}
