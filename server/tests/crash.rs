//! `kill -9` during a stream of writes, the short CI version of
//! `scripts/reliability crash`: after a few rounds of killing and
//! restarting the real binary, every event that got a `201` is stored as it
//! was answered, nothing else is (requests without an answer may or may
//! not be), and the view equals a recomputation from the log (DESIGN.md §1).
//! SQLite always, PostgreSQL when it is there.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

use common::{free_port, http, postgres_db, sqlite_db};

const BIN: &str = env!("CARGO_BIN_EXE_releasetracker");
const ROUNDS: usize = 4;
const WRITERS: usize = 4;
const DIST: &str = "crash";

/// A server process, killed with SIGKILL when dropped.
struct Server {
    child: Child,
}

impl Server {
    async fn start(db: &str, port: u16) -> Self {
        let child = Command::new(BIN)
            .args(["--database", db, "--log-level", "error", "serve", "--bind", &format!("127.0.0.1:{port}")])
            // Bursts from one address on purpose: no per-client write limit.
            .args(["--write-rate-limit", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start releasetracker");
        let server = Self { child };
        let started = Instant::now();
        while !matches!(http(port, "GET", "/healthz", "", "").await, Ok((200, _))) {
            assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server
    }

    fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What became of one request.
enum Outcome {
    /// Nothing listened: the request never left.
    NotSent,
    /// Sent, but the connection died before an answer.
    NoAnswer,
    Answered(u16, String),
}

async fn post(port: u16, token: &str, body: &str) -> Outcome {
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return Outcome::NotSent;
    };
    let request = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut raw = Vec::new();
    if stream.write_all(request.as_bytes()).await.is_err() || stream.read_to_end(&mut raw).await.is_err() {
        return Outcome::NoAnswer;
    }
    let text = String::from_utf8_lossy(&raw);
    match text.split(' ').nth(1).and_then(|s| s.parse().ok()) {
        Some(status) => {
            Outcome::Answered(status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
        }
        None => Outcome::NoAnswer,
    }
}

#[derive(Default)]
struct Ledger {
    /// id → the event as the 201 answered it.
    acked: BTreeMap<i64, Value>,
    /// Notes of requests that got no answer.
    unanswered: BTreeSet<String>,
    /// Answers other than 201.
    other: Vec<(u16, String)>,
}

/// The body of writer `w`'s `k`-th event: a few releases and states so
/// events pile up on the same timelines; some back-dated to whole seconds
/// so that ties on `at` (broken by id) occur.
fn body(w: usize, k: usize) -> String {
    let states = ["active", "branched", "beta-freeze", "eol"];
    let mut v = serde_json::json!({
        "dist": DIST,
        "release": ((w * 7 + k) % 5).to_string(),
        "state": states[(w + k * 3) % states.len()],
        "reached": !k.is_multiple_of(3),
        "note": format!("w{w}-{k}"),
    });
    if k % 4 == 1 {
        v["at"] = format!("2024-01-01T00:00:{:02}Z", k % 7).into();
    }
    v.to_string()
}

async fn all_events(port: u16) -> Vec<Value> {
    let mut events = Vec::new();
    let mut before = String::new();
    loop {
        let (status, text) = http(port, "GET", &format!("/api/v1/events?dist={DIST}&limit=1000{before}"), "", "")
            .await
            .expect("GET events");
        assert_eq!(status, 200, "{text}");
        let page: Value = serde_json::from_str(&text).expect("JSON");
        events.extend(page["events"].as_array().expect("events").iter().cloned());
        match page["next_before_id"].as_i64() {
            Some(id) => before = format!("&before_id={id}"),
            None => break,
        }
    }
    events
}

/// Where an event stands on its timeline: (`at`, `id`).
type Rank = (DateTime<FixedOffset>, i64);

/// DESIGN.md §1, naively: a release is in a state when the last
/// non-retracted event of (release, state) by (`at`, `id`) has reached=true.
fn recompute(events: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut last: BTreeMap<(String, String), (Rank, bool)> = BTreeMap::new();
    for e in events {
        if !e["retraction"].is_null() {
            continue;
        }
        let at = DateTime::parse_from_rfc3339(e["at"].as_str().expect("at")).expect("RFC 3339");
        let rank = (at, e["id"].as_i64().expect("id"));
        let key = (e["release"].as_str().expect("release").to_owned(), e["state"].as_str().expect("state").to_owned());
        if last.get(&key).is_none_or(|(r, _)| rank > *r) {
            last.insert(key, (rank, e["reached"].as_bool().expect("reached")));
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((release, state), (_, reached)) in last {
        if reached {
            out.entry(release).or_default().push(state);
        }
    }
    out
}

async fn kill_during_writes(db: &str) {
    let out = Command::new(BIN).args(["--database", db, "token", "create", "--name", "crash"]).output().expect("token");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).expect("UTF-8").lines().last().expect("token line").to_owned();
    let port = free_port();
    let mut server = Server::start(db, port).await;

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (ledger, stop, token) = (ledger.clone(), stop.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                let outcome = post(port, &token, &body(w, k)).await;
                let mut ledger = ledger.lock().expect("lock");
                match outcome {
                    Outcome::NotSent => {
                        drop(ledger);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    Outcome::NoAnswer => {
                        ledger.unanswered.insert(format!("w{w}-{k}"));
                    }
                    Outcome::Answered(201, text) => {
                        let v: Value = serde_json::from_str(&text).expect("201 body");
                        ledger.acked.insert(v["id"].as_i64().expect("id"), v);
                    }
                    Outcome::Answered(status, text) => ledger.other.push((status, text)),
                }
                k += 1;
            }
        }));
    }
    for round in 0..ROUNDS {
        tokio::time::sleep(Duration::from_millis(150 + rand::random::<u64>() % 350)).await;
        server.kill9();
        eprintln!("round {round}: killed");
        server = Server::start(db, port).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.expect("writer");
    }

    // Every writer has ended: take the ledger out rather than hold its
    // lock across the reads below.
    let ledger = std::mem::take(&mut *ledger.lock().expect("lock"));
    assert!(ledger.other.is_empty(), "answers other than 201: {:?}", &ledger.other[..ledger.other.len().min(5)]);
    assert!(ledger.acked.len() > 20, "only {} writes acknowledged", ledger.acked.len());
    let stored = all_events(port).await;
    let by_id: BTreeMap<i64, &Value> = stored.iter().map(|e| (e["id"].as_i64().expect("id"), e)).collect();
    for (id, answered) in &ledger.acked {
        let Some(e) = by_id.get(id) else { panic!("acknowledged event {id} is missing") };
        for field in ["dist", "release", "state", "reached", "at", "note", "recorded_at", "recorded_by", "source"] {
            assert_eq!(e[field], answered[field], "event {id}: {field} differs from the 201");
        }
    }
    let acked_notes: BTreeSet<&str> = ledger.acked.values().map(|e| e["note"].as_str().expect("note")).collect();
    let mut notes = BTreeSet::new();
    let mut unanswered_stored = 0;
    for e in &stored {
        let note = e["note"].as_str().expect("note");
        assert!(notes.insert(note), "{note} stored twice");
        if !acked_notes.contains(note) {
            assert!(
                ledger.unanswered.contains(note),
                "event {} ({note}) was stored but nobody got a 201 for it",
                e["id"]
            );
            unanswered_stored += 1;
        }
    }
    eprintln!(
        "{ROUNDS} kills: {} acknowledged, {} without answer ({unanswered_stored} of them stored), {} stored",
        ledger.acked.len(),
        ledger.unanswered.len(),
        stored.len()
    );
    let (status, view) =
        http(port, "GET", &format!("/api/v1/views/{DIST}/states-by-release"), "", "").await.expect("view");
    assert_eq!(status, 200, "{view}");
    let view: BTreeMap<String, Vec<String>> = serde_json::from_str(&view).expect("view JSON");
    assert_eq!(view, recompute(&stored), "the view differs from a recomputation from the log");
}

#[tokio::test]
async fn kill_9_during_writes_loses_nothing_acknowledged_sqlite() {
    let db = sqlite_db();
    kill_during_writes(&db.url).await;
}

#[tokio::test]
async fn kill_9_during_writes_loses_nothing_acknowledged_postgres() {
    let Some(db) = postgres_db().await else { return };
    kill_during_writes(&db.url).await;
}
