//! The live stream (`GET /api/v1/stream`) and its polling form
//! (`GET /api/v1/activity`) against the real binary over TCP: order and
//! kinds, filters, resume by `Last-Event-ID` and `?after=` across a
//! restart, keep-alive comments, the open-stream limit, shutdown that is
//! not held up, a Python SSE client (`httpx-sse`), and two instances on
//! one PostgreSQL.

use std::time::{Duration, Instant};

mod common;

use common::served::{token, Served};
use common::sse::{Arrived, SseStream};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);

async fn send(s: &Served, method: &str, path: &str, token: &str, body: Value) -> Value {
    let client = reqwest::Client::new();
    let request = match method {
        "POST" => client.post(s.url(path)),
        _ => client.put(s.url(path)),
    };
    let answer = request
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("send");
    let status = answer.status();
    let json: Value = serde_json::from_str(&answer.text().await.expect("a body")).expect("JSON");
    assert!(status.is_success(), "{method} {path}: {status} {json}");
    json
}

async fn event(s: &Served, token: &str, release: &str, state: &str, at: &str) -> i64 {
    let body = json!({"dist": "fedora", "release": release, "state": state, "reached": true, "at": at});
    send(s, "POST", "/api/v1/events", token, body).await["id"].as_i64().expect("an id")
}

async fn get(s: &Served, path: &str) -> (u16, Value) {
    let answer = reqwest::get(s.url(path)).await.expect("GET");
    let status = answer.status().as_u16();
    (status, serde_json::from_str(&answer.text().await.unwrap_or_default()).unwrap_or(Value::Null))
}

/// The `(id, kind)` of the next `n` messages.
async fn take(stream: &mut SseStream, n: usize) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for i in 0..n {
        let got = stream.message(WAIT).await;
        out.push(got.unwrap_or_else(|| panic!("message {} of {n} did not arrive; had {out:?}", i + 1)));
    }
    out
}

fn kinds(messages: &[(String, String, Value)]) -> Vec<&str> {
    messages.iter().map(|(_, kind, _)| kind.as_str()).collect()
}

#[tokio::test]
async fn the_stream_follows_the_log_in_order_and_resumes_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let token = token(&db, "stream-test");
    // A request timeout of 1 s: the streams below live far longer.
    let flags = ["--stream-keep-alive", "1s", "--max-streams", "2", "--max-concurrent-requests", "1"];
    let flags = [&flags[..], &["--request-timeout", "1s"]].concat();
    let server = Served::start(&db, &flags).await;

    let (mut all, headers) =
        SseStream::open(&server.url("/api/v1/stream"), &[("accept-encoding", "gzip, br")]).await.expect("a stream");
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["x-accel-buffering"], "no");
    assert_eq!(headers["cache-control"], "no-store");
    // Compression would hold messages back until its buffer fills.
    assert!(headers.get("content-encoding").is_none(), "{headers:?}");
    let (mut stable, _) =
        SseStream::open(&server.url("/api/v1/stream?state=stable"), &[]).await.expect("a filtered stream");

    // Beyond --max-streams: refused with Retry-After, in the API's shape.
    let refused = reqwest::get(server.url("/api/v1/stream")).await.expect("answered");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "5");
    let body: Value = serde_json::from_str(&refused.text().await.expect("a body")).expect("JSON");
    assert_eq!(body["error"]["code"], "unavailable");
    // Open streams take no request slot: --max-concurrent-requests is 1,
    // two streams are open, and a request still goes through.
    assert_eq!(get(&server, "/api/v1/dists").await.0, 200);

    // Idle: keep-alive comments (every second here; 15 s by default).
    match all.next(Duration::from_secs(3)).await {
        Some(Arrived::Comment(_)) => {}
        other => panic!("expected a keep-alive comment, got {other:?}"),
    }

    let branched = event(&server, &token, "44", "branched", "2026-02-10T14:00:00Z").await;
    let started = Instant::now();
    let first = take(&mut all, 1).await;
    assert!(started.elapsed() < Duration::from_secs(1), "an event took {:?} to arrive", started.elapsed());
    let stable_id = event(&server, &token, "44", "stable", "2026-04-14T14:00:00Z").await;
    send(&server, "POST", &format!("/api/v1/events/{branched}/retract"), &token, json!({"reason": "wrong day"})).await;
    send(&server, "PUT", "/api/v1/dists/fedora/releases/44/properties", &token, json!({"codename": "none"})).await;
    let plan =
        json!({"dist": "fedora", "release": "45", "state": "branched", "reached": true, "at": "2026-08-11T14:00:00Z"});
    send(&server, "POST", "/api/v1/plans", &token, plan).await;

    let mut seen = first;
    seen.extend(take(&mut all, 4).await);
    assert_eq!(kinds(&seen), ["event", "event", "retraction", "property", "plan"]);
    assert_eq!(seen[0].2["id"], branched);
    assert_eq!(seen[1].2["id"], stable_id);
    assert_eq!(seen[2].2["event_id"], branched);
    assert_eq!(seen[2].2["event"]["retraction"]["reason"], "wrong day");
    assert_eq!(seen[3].2["release"], "44");
    assert_eq!(seen[3].2["key"], "codename");
    assert_eq!(seen[3].2["new"], "none");
    assert_eq!(seen[4].2["release"], "45");
    assert_eq!(seen[4].2["revision"], 1);
    let ids: Vec<&str> = seen.iter().map(|(id, ..)| id.as_str()).collect();
    assert_eq!(ids, ["1.0.0.0", "2.0.0.0", "2.1.0.0", "2.1.1.0", "2.1.1.1"]);

    // The filtered stream saw only the stable event.
    let only = take(&mut stable, 1).await;
    assert_eq!(only[0].2["id"], stable_id);
    assert!(stable.message(Duration::from_millis(300)).await.is_none(), "the filter lets nothing else through");

    // The polling form gives the same cursors and data.
    let (status, page) = get(&server, "/api/v1/activity?after=0&limit=3").await;
    assert_eq!(status, 200, "{page}");
    let cursors: Vec<&str> =
        page["items"].as_array().expect("items").iter().map(|i| i["cursor"].as_str().unwrap_or("")).collect();
    assert_eq!(cursors, ids[..3]);
    assert_eq!(page["items"][1]["data"], seen[1].2);
    assert_eq!(page["next_after"], "2.1.0.0");
    assert_eq!(page["more"], true);
    let (_, rest) = get(&server, "/api/v1/activity?after=2.1.0.0").await;
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(rest["more"], false);
    let (status, bad) = get(&server, "/api/v1/activity?after=2.1").await;
    assert_eq!((status, bad["error"]["field"].as_str()), (422, Some("after")), "{bad}");
    let (status, bad) = get(&server, "/api/v1/stream?after=-1").await;
    assert_eq!((status, bad["error"]["code"].as_str()), (422, Some("invalid_input")), "{bad}");

    // SIGTERM with two streams open: they end cleanly, shutdown is prompt.
    let took = server.stop();
    assert!(took < Duration::from_secs(5), "shutdown took {took:?} with streams open");
    assert!(all.ended(WAIT).await, "the stream ended cleanly");

    // Restarted: resume after the second message; nothing missed, nothing
    // repeated; Last-Event-ID wins over ?after= (EventSource keeps the URL).
    let server = Served::start(&db, &flags).await;
    let (mut resumed, _) = SseStream::open(&server.url("/api/v1/stream?after=0"), &[("last-event-id", &seen[1].0)])
        .await
        .expect("a stream");
    let (mut from_after, _) =
        SseStream::open(&server.url(&format!("/api/v1/stream?after={}", seen[3].0)), &[]).await.expect("a stream");
    let again = take(&mut resumed, 3).await;
    assert_eq!(again, seen[2..]);
    assert_eq!(take(&mut from_after, 1).await, seen[4..]);
    let later = event(&server, &token, "45", "branched", "2026-08-11T15:00:00Z").await;
    let next = take(&mut resumed, 1).await;
    assert_eq!((next[0].0.as_str(), next[0].2["id"].as_i64()), ("3.1.1.1", Some(later)));
    assert_eq!(take(&mut from_after, 1).await, next);
    drop(resumed);
    drop(from_after);
    // A closed stream frees its slot (noticed at the next keep-alive).
    let started = Instant::now();
    let mut open = Vec::new();
    while open.len() < 2 {
        match SseStream::open(&server.url("/api/v1/stream"), &[]).await {
            Ok(s) => open.push(s),
            Err((503, _)) if started.elapsed() < WAIT => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("slots were not freed: {e:?}"),
        }
    }
    server.stop();
}

#[tokio::test]
async fn a_python_sse_client_reads_the_stream() {
    let Some(python) = common::python::venv("venv-sse", "httpx_sse", &["httpx==0.28.1", "httpx-sse==0.4.1"]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let token = token(&db, "python");
    let server = Served::start(&db, &[]).await;
    event(&server, &token, "43", "stable", "2025-10-28T14:00:00Z").await;
    event(&server, &token, "44", "branched", "2026-02-10T14:00:00Z").await;
    send(&server, "POST", "/api/v1/events/1/retract", &token, json!({"reason": "test"})).await;

    let script = r#"
import json, sys, httpx
from httpx_sse import connect_sse
url, last = sys.argv[1], sys.argv[2]
out = []
with httpx.Client(timeout=10) as client:
    with connect_sse(client, "GET", url, headers={"Last-Event-ID": last}) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            out.append({"id": sse.id, "event": sse.event, "data": sse.json()})
            if len(out) == 2:
                break
print(json.dumps(out))
"#;
    let output = tokio::process::Command::new(&python)
        .args(["-c", script, &server.url("/api/v1/stream"), "1.0.0.0"])
        .output()
        .await
        .expect("run python");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let read: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(read[0]["id"], "2.0.0.0");
    assert_eq!(read[0]["event"], "event");
    assert_eq!(read[0]["data"]["release"], "44");
    assert_eq!(read[1]["id"], "2.1.0.0");
    assert_eq!(read[1]["event"], "retraction");
    assert_eq!(read[1]["data"]["event"]["id"], 1);
    server.stop();
}

#[tokio::test]
async fn a_write_on_one_instance_reaches_the_streams_of_another_within_a_second() {
    let Some(db) = common::postgres_db().await else { return };
    let token = token(&db.url, "two");
    // Polling every minute: only PostgreSQL's announcement can be this fast.
    let flags = ["--poll-interval-ms", "60000"];
    let writer = Served::start(&db.url, &flags).await;
    let reader = Served::start(&db.url, &flags).await;
    let (mut stream, _) = SseStream::open(&reader.url("/api/v1/stream"), &[]).await.expect("a stream");
    let mut slowest = Duration::ZERO;
    for (i, release) in ["41", "42", "43"].iter().enumerate() {
        let started = Instant::now();
        let id = event(&writer, &token, release, "stable", "2025-01-01T00:00:00Z").await;
        let (cursor, kind, data) = stream.message(Duration::from_secs(2)).await.expect("the write arrived");
        slowest = slowest.max(started.elapsed());
        assert_eq!((kind.as_str(), data["id"].as_i64()), ("event", Some(id)));
        assert_eq!(cursor, format!("{}.0.0.0", i + 1));
    }
    assert!(slowest < Duration::from_secs(1), "a write took {slowest:?} to reach the other instance's stream");
    writer.stop();
    reader.stop();
}
