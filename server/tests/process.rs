//! The real binary: token CLI, serve, SIGTERM during a burst of writes
//! (every 201 is stored, nothing else), export, and clean failures.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{free_port, http};

const BIN: &str = env!("CARGO_BIN_EXE_releasetracker");

fn cli(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(["--database", db, "--log-level", "warn"]).args(args).output().expect("run releasetracker")
}

#[tokio::test]
async fn cli_serve_sigterm_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());

    let out = cli(&db, &["token", "create", "--name", "proc"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().to_owned();
    assert!(token.starts_with("rt_") && token.len() == 67, "{stdout}");

    let again = cli(&db, &["token", "create", "--name", "proc"]);
    assert!(!again.status.success());
    let err = String::from_utf8(again.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("active token named `proc`"), "{err}");

    let list = String::from_utf8(cli(&db, &["token", "list"]).stdout).unwrap();
    assert!(list.contains("proc") && list.contains("active"), "{list}");
    assert!(!list.contains(&token[3..]), "the list must not show secrets");

    let port = free_port();
    let mut server = Command::new(BIN)
        .args(["--database", &db, "--log-level", "warn", "serve", "--bind", &format!("127.0.0.1:{port}")])
        // 16 writers on one address: the point is the burst, not the limit.
        .args(["--write-rate-limit", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while http(port, "GET", "/healthz", "", "").await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A burst of writers; SIGTERM arrives in the middle of it.
    let mut writers = Vec::new();
    for w in 0..16 {
        let token = token.clone();
        writers.push(tokio::spawn(async move {
            let mut created = Vec::new();
            for i in 0..400 {
                let body = format!(r#"{{"dist":"fedora","release":"{w}","state":"s{i}","reached":true}}"#);
                match http(port, "POST", "/api/v1/events", &token, &body).await {
                    Ok((201, body)) => {
                        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                        created.push(v["id"].as_i64().unwrap());
                    }
                    Ok((status, body)) => panic!("unexpected {status}: {body}"),
                    Err(_) => break, // the listener closed: shutdown began
                }
            }
            created
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kill = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let mut acknowledged = BTreeSet::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    let status = server.wait().unwrap();
    assert!(status.success(), "server exit: {status:?}");
    assert!(!acknowledged.is_empty(), "no write got through before SIGTERM");

    let export = cli(&db, &["export"]);
    assert!(export.status.success());
    let stored: BTreeSet<i64> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_i64().unwrap())
        .collect();
    assert_eq!(stored, acknowledged, "every acknowledged write, and nothing else, is stored");

    assert!(cli(&db, &["token", "revoke", "proc"]).status.success());
    let gone = cli(&db, &["token", "revoke", "proc"]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no active token"));
}

#[test]
fn failures_exit_non_zero_with_one_line() {
    let out = cli("postgres://nobody@127.0.0.1:1/none", &["export"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.starts_with("releasetracker: cannot open the database"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("f.db").display());
    let out = cli(&db, &["import", "/nonexistent/file.jsonl"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    // A bad distro-info mapping stops `serve` before it listens.
    let out = cli(&db, &["serve", "--bind", "127.0.0.1:0", "--distro-info-states", "debian.ga=stable"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let last = err.trim().lines().last().unwrap_or_default();
    assert!(last.contains("invalid --distro-info-states") && last.contains("created, release, eol or last"), "{err}");
}

#[test]
fn cli_history_export_import_keeps_properties() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("sqlite://{}", dir.path().join("a.db").display());
    let second = format!("sqlite://{}", dir.path().join("b.db").display());
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/debian.csv");
    let out = cli(&first, &["import-history", "debian", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("property changes"));
    let exported = cli(&first, &["export"]);
    assert!(exported.status.success());
    let text = String::from_utf8(exported.stdout).unwrap();
    let properties = text.lines().filter(|l| l.starts_with(r#"{"type":"property","#)).count();
    assert!(properties > 50, "{properties} property lines");
    // Plans travel too: a plan, its slip and a cancellation, written as
    // export writes them, after the plans import-history made of the
    // table's future dates.
    let base = text.lines().filter(|l| l.starts_with(r#"{"type":"plan","#)).count();
    let plans = [
        format!(
            r#"{{"type":"plan","id":{id},"dist":"debian","release":"14","state":"stable","reached":true,"at":"2027-06-12T00:00:00Z","cancelled":false,"note":null,"link":"https://wiki.debian.org/DebianForky","recorded_at":"2026-11-30T10:00:00Z","recorded_by":"releng","source":"api"}}"#,
            id = base + 1
        ),
        format!(
            r#"{{"type":"plan","id":{id},"dist":"debian","release":"14","state":"stable","reached":true,"at":"2027-07-10T00:00:00Z","cancelled":false,"note":"freeze slipped","link":null,"recorded_at":"2026-12-01T09:30:00.250Z","recorded_by":"releng","source":"web"}}"#,
            id = base + 2
        ),
        format!(
            r#"{{"type":"plan","id":{id},"dist":"debian","release":"15","state":"testing","reached":true,"at":"2027-07-11T00:00:00Z","cancelled":true,"note":"no date yet","link":null,"recorded_at":"2026-12-01T09:31:00Z","recorded_by":"releng","source":"api"}}"#,
            id = base + 3
        ),
    ];
    let text = format!("{text}{}\n", plans.join("\n"));
    let file = dir.path().join("log.jsonl");
    std::fs::write(&file, &text).unwrap();
    let out = cli(&second, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(&format!("{properties} property changes and {} plan revisions", base + 3)));
    let again = cli(&second, &["export"]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text, "export → import → export differs");
    // Importing the same plans again is refused whole, naming the line.
    let out = cli(&second, &["import", file.to_str().unwrap()]);
    assert!(!out.status.success());
}

/// Operators' tokens expire after 90 days unless asked otherwise; `user`
/// lists, disables and enables people, failing with one line for unknown
/// nicknames.
#[test]
fn operator_tokens_expire_by_default_and_people_can_be_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("u.db").display());
    let text = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).into_owned();

    let default = cli(&db, &["token", "create", "--name", "ci"]);
    assert!(default.status.success());
    let in_90_days = (chrono::Utc::now() + chrono::Duration::days(90)).format("%Y-%m-%d").to_string();
    assert!(text(&default).contains(&format!("expires: {in_90_days}")), "{}", text(&default));
    let forever = cli(&db, &["token", "create", "--name", "rotated-elsewhere", "--no-expiry"]);
    assert!(text(&forever).contains("expires: never"), "{}", text(&forever));
    let both = cli(&db, &["token", "create", "--name", "x", "--no-expiry", "--expires-in-days", "3"]);
    assert!(!both.status.success());

    let list = cli(&db, &["user", "list"]);
    assert!(list.status.success());
    assert!(text(&list).starts_with("NICKNAME"), "{}", text(&list));
    for command in ["disable", "enable"] {
        let out = cli(&db, &["user", command, "nobody"]);
        assert!(!out.status.success(), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("`nobody`"), "{err}");
    }
}
