//! `import-schedule` over the real Fedora history (`import-history fedora
//! data/fedora-releases.csv`) with schedules modelled on Fedora's
//! `f-44-key.ics` (`tests/data/schedule/`: the schedule before the release,
//! then after both slips with the public-availability days and drifted
//! names): plans per mapped milestone, a moved date as a new revision, an
//! unchanged one writing nothing, events never touched, what was not mapped
//! reported; bad input refused by the binary with the file and line named
//! and nothing written. On SQLite and PostgreSQL.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use app::model::{Dist, Release};
use chrono::Utc;
use common::*;
use serde_json::Value;
use server::schedule::Summary;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schedule").join(name)
}

/// Imports `file` for fedora 44 in-process, as the command does.
async fn import(db: &TestDb, file: &Path) -> Summary {
    let store = server::store::Store::connect(&db.url).await.unwrap();
    let writer = server::log::LogWriter::open(store.clone()).await.unwrap();
    let (fedora, f44) = (Dist::parse("fedora").unwrap(), Release::parse("44").unwrap());
    let summary = server::schedule::import(&writer, &fedora, &f44, file, None, Utc::now()).await.unwrap();
    drop(writer);
    store.close().await;
    summary
}

/// Fedora 44's current plans as `GET /api/v1/plans` answers them, by state:
/// `(state, at day, revisions, status)`, the state as `leave STATE` for a
/// plan to leave it.
async fn plans_of_44(db: &TestDb) -> Vec<(String, String, u64, String)> {
    let app = TestApp::start(db).await;
    let v = app.get("/api/v1/plans?dist=fedora&release=44").await.json();
    let mut rows: Vec<(String, String, u64, String)> = v
        .as_array()
        .or_else(|| v["plans"].as_array())
        .unwrap_or_else(|| panic!("plans: {v}"))
        .iter()
        .map(|p| {
            (
                format!("{}{}", if p["reached"] == true { "" } else { "leave " }, p["state"].as_str().unwrap()),
                p["at"].as_str().unwrap()[..10].to_owned(),
                p["revisions"].as_u64().unwrap(),
                p["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.sort();
    app.store.close().await;
    rows
}

fn row(state: &str, at: &str, revisions: u64, status: &str) -> (String, String, u64, String) {
    (state.to_owned(), at.to_owned(), revisions, status.to_owned())
}

/// Events, retractions and plan revisions stored, straight from the database.
async fn stored(db: &TestDb) -> (usize, usize, i64) {
    let store = server::store::Store::connect(&db.url).await.unwrap();
    let events = store.events_after(0, i64::MAX).await.unwrap().len();
    let retractions = store.retractions_after(0, i64::MAX).await.unwrap().len();
    let plans = store.max_plan_id().await.unwrap();
    store.close().await;
    (events, retractions, plans)
}

/// Runs the binary; answers (success, stdout, stderr).
async fn releasetracker(db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["--database".to_owned(), db.url.clone(), "import-schedule".to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_releasetracker")).args(all).output().expect("run releasetracker")
    })
    .await
    .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn schedule_story(db: TestDb) {
    {
        let store = server::store::Store::connect(&db.url).await.unwrap();
        let writer = server::log::LogWriter::open(store.clone()).await.unwrap();
        let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/fedora-releases.csv");
        server::history::import(&writer, &Dist::parse("fedora").unwrap(), &csv, Utc::now()).await.unwrap();
        drop(writer);
        store.close().await;
    }
    // import-history plans 44's announced EOL (2027-06-02).
    assert_eq!(
        plans_of_44(&db).await,
        [row("eol", "2027-06-02", 1, "upcoming"), row("leave stable", "2027-06-02", 1, "upcoming")]
    );
    let (events, retractions, plans) = stored(&db).await;

    // The schedule before the release.
    let first = import(&db, &data("f-44-key.ics")).await;
    assert_eq!(
        first.added,
        [
            "44 entering beta on 2026-03-10 (“Beta Release Early Target date”, line 56)",
            "44 entering branched on 2026-02-03 (“Branch Fedora Linux 44 from Rawhide”, line 41)",
            "44 entering stable on 2026-04-14 (“Final Release Early Target date”, line 75)",
        ]
    );
    // The schedule's EOL supersedes the one import-history planned (both
    // of its transitions).
    assert_eq!(
        first.moved,
        [
            "44 entering eol from 2027-06-02 to 2027-05-19 (“Fedora Linux 44 EOL”, line 94)",
            "44 leaving stable from 2027-06-02 to 2027-05-19 (“Fedora Linux 44 EOL”, line 94)",
        ]
    );
    assert_eq!(first.unchanged, 0);
    assert_eq!(
        first.not_mapped,
        [
            "line 25: “Change Checkpoint: Proposal submission deadline (Changes requiring infrastructure changes)”",
            "line 33: “Mass Rebuild”",
            "line 49: “Beta Freeze (starts at 14:00 UTC)”",
            "line 63: “Beta Release Target date #1” (44 entering beta comes from “Beta Release Early Target date”, line 56)",
            "line 69: “Final Freeze (starts at 14:00 UTC)”",
            "line 82: “Final Release Target date #1” (44 entering stable comes from “Final Release Early Target date”, line 75)",
            "line 88: “Fedora Linux 42 EOL” (about release 42, not 44)",
        ]
    );
    // 44 came out on 2026-04-28 (a fact of the CSV): its stable plan is met.
    assert_eq!(
        plans_of_44(&db).await,
        [
            row("beta", "2026-03-10", 1, "overdue"),
            row("branched", "2026-02-03", 1, "overdue"),
            row("eol", "2027-05-19", 2, "upcoming"),
            row("leave stable", "2027-05-19", 2, "upcoming"),
            row("stable", "2026-04-14", 1, "met"),
        ]
    );
    assert_eq!(stored(&db).await, (events, retractions, plans + 5), "plans only; no event touched");

    // The same file again: nothing is written.
    let again = import(&db, &data("f-44-key.ics")).await;
    assert_eq!((again.written(), again.unchanged), (0, 5));
    assert_eq!(stored(&db).await.2, plans + 5);

    // After both slips: the public-availability days win; branched and the
    // EOL did not move and write nothing.
    let later = import(&db, &data("f-44-key-after-ga.ics")).await;
    assert_eq!(
        later.moved,
        [
            "44 entering beta from 2026-03-10 to 2026-03-17 (“Beta Release Public Availability”, line 68)",
            "44 entering stable from 2026-04-14 to 2026-04-28 (“Final Release (GA) Public Availability”, line 80)",
        ]
    );
    assert_eq!((later.added.len(), later.unchanged), (0, 3));
    assert!(later.not_mapped.iter().any(|l| l.contains("“Fedora Linux 42 End of Life” (about release 42, not 44)")));
    assert_eq!(
        plans_of_44(&db).await,
        [
            row("beta", "2026-03-17", 2, "overdue"),
            row("branched", "2026-02-03", 1, "overdue"),
            row("eol", "2027-05-19", 2, "upcoming"),
            row("leave stable", "2027-05-19", 2, "upcoming"),
            row("stable", "2026-04-28", 2, "met"),
        ]
    );
    assert_eq!(stored(&db).await, (events, retractions, plans + 7));
    assert_eq!(import(&db, &data("f-44-key-after-ga.ics")).await.written(), 0);

    // The slip history: the stable plan's revisions, the first one kept.
    let app = TestApp::start(&db).await;
    let v = app.get("/api/v1/views/fedora/schedule").await.json();
    let text = v.to_string();
    assert!(text.contains("Imported from f-44-key.ics (line 75): “Final Release Early Target date”."), "{text}");
    assert!(text.contains("https://fedorapeople.org/groups/schedule/f-44/f-44-key-tasks.html"), "{text}");
    let stable: Vec<&Value> = v
        .as_array()
        .or_else(|| v["releases"].as_array())
        .into_iter()
        .flatten()
        .flat_map(|r| r["plans"].as_array().or_else(|| r["keys"].as_array()).into_iter().flatten())
        .filter(|k| k["release"] == "44" && k["state"] == "stable" && k["reached"] == true)
        .collect();
    let k = stable.first().unwrap_or_else(|| panic!("no plan for 44 entering stable in {text}"));
    // Met on 2026-04-28, first planned for 2026-04-14.
    assert_eq!((k["slip_days"].as_f64(), k["first_at"].as_str()), (Some(14.0), Some("2026-04-14T00:00:00Z")), "{k}");
    assert_eq!(k["history"].as_array().map(Vec::len), Some(2), "{k}");
    app.store.close().await;

    // The binary: a custom mapping, what it did not map printed.
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("milestones.txt");
    std::fs::write(&mapping, "# freezes too\nenter beta-freeze = beta freeze\nfinal-freeze = final freeze\n").unwrap();
    let ics = data("f-44-key-after-ga.ics");
    let ics = ics.to_str().unwrap();
    let (ok, out, err) = releasetracker(&db, &["fedora", "44", ics, "--mapping", mapping.to_str().unwrap()]).await;
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("2 plan revisions for fedora 44: 2 new, 0 moved; 0 unchanged; 9 milestones not mapped."),
        "{out}"
    );
    assert!(
        out.contains("new: 44 entering beta-freeze on 2026-02-17 (“Beta Freeze (starts at 14:00 UTC)”, line 49)"),
        "{out}"
    );
    assert!(out.contains("not mapped: line 41: “Branch Fedora Linux 44 from Rawhide”"), "{out}");
    let after_cli = stored(&db).await;
    assert_eq!(after_cli, (events, retractions, plans + 9));

    // Bad input: a clear message naming the file (and line), exit status
    // non-zero, nothing written.
    let bad_map = dir.path().join("bad-map.txt");
    std::fs::write(&bad_map, "branched = branch*from rawhide\nbeta: beta release\n").unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/fedora-releases.csv");
    let truncated = dir.path().join("truncated.ics");
    std::fs::write(&truncated, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Branch\r\nDTSTART;VALUE=DATE:2026-02-03\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").unwrap();
    let missing = dir.path().join("nope.ics");
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["fedora".into(), "44".into(), missing.display().to_string()],
            format!("cannot read {}", missing.display()),
        ),
        (
            vec!["fedora".into(), "44".into(), csv.display().to_string()],
            format!(
                "{}: line 1: not an iCalendar file: expected BEGIN:VCALENDAR, found `release,name,codename",
                csv.display()
            ),
        ),
        (
            vec!["fedora".into(), "44".into(), truncated.display().to_string()],
            format!(
                "{}: line 2: the DTSTART `2026-02-03` of “Branch” is neither a DATE nor a DATE-TIME",
                truncated.display()
            ),
        ),
        (
            vec!["fedora".into(), "44".into(), ics.into(), "--mapping".into(), bad_map.display().to_string()],
            format!("{}: line 2: expected `[enter|leave] STATE = PATTERN", bad_map.display()),
        ),
        (vec!["fedroa".into(), "44".into(), ics.into()], "unknown dist `fedroa`".into()),
        (vec!["fedora".into(), " 44".into(), ics.into()], "invalid release".into()),
        (vec!["".into(), "44".into(), ics.into()], "invalid dist".into()),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, out, err) = releasetracker(&db, &args).await;
        assert!(!ok, "{args:?} succeeded: {out}");
        assert!(err.contains(&expected), "{args:?}: expected {expected:?} in: {err}");
        assert_eq!(stored(&db).await, after_cli, "{args:?} wrote something");
    }
}

#[tokio::test]
async fn import_schedule_on_sqlite() {
    schedule_story(sqlite_db()).await;
}

#[tokio::test]
async fn import_schedule_on_postgres() {
    match postgres_db().await {
        Some(db) => schedule_story(db).await,
        None => eprintln!("SKIPPED import_schedule_on_postgres: no PostgreSQL"),
    }
}
