//! The message bus against the real RabbitMQ: messages in commit order with
//! fedora-messaging's properties, on SQLite and PostgreSQL; broker outages
//! (through a TCP proxy we can cut) that never block writes nor lose
//! messages; crashes between publish and confirm (in-process and with
//! SIGKILL) that redeliver with the same `message_id`; two instances on one
//! PostgreSQL; and the real Python fedora-messaging client reading what we
//! send.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::broker::{broker, fast_config, unique_prefix, Received, RunningPublisher, TestQueue};
use common::{free_port, http, postgres_db, sqlite_db, TestApp, TestDb};
use lapin::types::AMQPValue;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// helpers

/// An event body; `i` makes each one distinct and later than the last.
fn event(i: usize) -> String {
    let states = ["branched", "beta", "active", "development"];
    json!({
        "dist": "fedora",
        "release": format!("{}", 40 + i % 5),
        "state": states[i % states.len()],
        "reached": i % 3 != 2,
        "at": format!("2026-03-01T{:02}:{:02}:00Z", (i / 60) % 24, i % 60),
        "note": format!("step {i} — ünïcode"),
        "link": if i % 2 == 1 { Value::Null } else { Value::from(format!("https://pagure.io/releng/issue/{i}")) },
    })
    .to_string()
}

/// Records event `i`; returns the 201 body.
async fn write(app: &TestApp, token: &str, i: usize) -> Value {
    let r = app.post_json("/api/v1/events", Some(token), &event(i)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// Retracts an event; returns the 201 body.
async fn retract(app: &TestApp, token: &str, id: i64) -> Value {
    let body = json!({"reason": format!("wrong date on {id}")}).to_string();
    let r = app.post_json(&format!("/api/v1/events/{id}/retract"), Some(token), &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn readyz(app: &TestApp) -> Value {
    let r = app.get("/readyz").await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Polls `/readyz` until `check` holds on its `outbox` part.
async fn wait_outbox(app: &TestApp, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let outbox = readyz(app).await["outbox"].clone();
        if check(&outbox) {
            return outbox;
        }
        assert!(started.elapsed() < WAIT, "timed out waiting for {what}; outbox: {outbox}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The topic word a record should go out under.
fn expected_kind(body: &Value) -> &'static str {
    if body.get("event").is_some() {
        "retracted"
    } else if body["reached"] == true {
        "reached"
    } else {
        "left"
    }
}

fn long_string(v: Option<&AMQPValue>) -> Option<String> {
    match v {
        Some(AMQPValue::LongString(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// Everything DESIGN.md §3 and docs/messages.md promise about one message.
fn assert_fedora_messaging_properties(m: &Received, prefix: &str, users: &[&str]) {
    let p = &m.properties;
    assert!(m.routing_key.starts_with(&format!("{prefix}.releasetracker.event.")), "{}", m.routing_key);
    assert_eq!(p.content_type().as_ref().map(|s| s.as_str()), Some("application/json"));
    assert_eq!(p.content_encoding().as_ref().map(|s| s.as_str()), Some("utf-8"));
    assert_eq!(*p.delivery_mode(), Some(2));
    let id = m.message_id();
    let uuid = uuid::Uuid::parse_str(&id).unwrap_or_else(|_| panic!("message_id {id} is not a UUID"));
    assert_eq!(uuid.get_version_num(), 4);
    let schema = if m.kind() == "retracted" { "releasetracker.retraction.v1" } else { "releasetracker.event.v1" };
    assert_eq!(long_string(m.header("fedora_messaging_schema")).as_deref(), Some(schema));
    // An AMQP integer, never a string: fedora-messaging drops anything else.
    assert_eq!(m.header("fedora_messaging_severity"), Some(&AMQPValue::LongInt(20)));
    assert_eq!(m.header("priority"), Some(&AMQPValue::LongInt(0)));
    let sent_at = long_string(m.header("sent-at")).expect("sent-at is a string");
    chrono::DateTime::parse_from_rfc3339(&sent_at).unwrap_or_else(|_| panic!("sent-at {sent_at} is not RFC 3339"));
    assert!(sent_at.ends_with("+00:00"), "{sent_at}");
    for user in users {
        assert_eq!(m.header(&format!("fedora_messaging_user_{user}")), Some(&AMQPValue::Boolean(true)), "user {user}");
    }
    let body = m.json();
    assert!(body.is_object());
}

// ---------------------------------------------------------------------------
// (a) publish and consume

async fn messages_in_commit_order(db: TestDb) {
    let Some(url) = broker().await else { return };
    let app = TestApp::start(&db).await;
    let token = app.token("releng-bot").await;
    let prefix = unique_prefix();
    let mut queue = TestQueue::bind(&url, &prefix).await;
    let publisher = RunningPublisher::start(&app, fast_config(&url, &prefix));

    // One at a time: each body is byte for byte what the API serves now.
    let mut first_ids = Vec::new();
    for i in 0..4 {
        let created = write(&app, &token, i).await;
        let id = created["id"].as_i64().unwrap();
        first_ids.push(id);
        let m = queue.next(WAIT).await.expect("a message per event");
        let served = app.get(&format!("/api/v1/events/{id}")).await;
        // Byte for byte the API's answer, with `url` after its last member.
        let url = m.json()["url"].as_str().expect("url").to_owned();
        let mut expected = served.bytes[..served.bytes.len() - 1].to_vec();
        expected.extend_from_slice(format!(",\"url\":\"{url}\"}}").as_bytes());
        assert_eq!(m.body, expected, "body = GET /api/v1/events/{id} + url");
        assert_eq!(m.answer(), created);
        assert_eq!(m.kind(), expected_kind(&created));
        assert_fedora_messaging_properties(&m, &prefix, &["releng-bot"]);
    }
    let retraction = retract(&app, &token, first_ids[0]).await;
    let m = queue.next(WAIT).await.expect("a message per retraction");
    assert_eq!(m.kind(), "retracted");
    assert_eq!(m.answer(), retraction, "body = the retract endpoint's answer");
    assert_fedora_messaging_properties(&m, &prefix, &["releng-bot"]);

    // A burst, events and retractions interleaved, without waiting.
    let mut expected = Vec::new();
    for i in 4..34 {
        expected.push(write(&app, &token, i).await);
        if i == 10 || i == 20 {
            expected.push(retract(&app, &token, first_ids[if i == 10 { 1 } else { 2 }]).await);
        }
    }
    let received = queue.take(expected.len(), WAIT).await;
    for (m, body) in received.iter().zip(&expected) {
        assert_eq!(m.kind(), expected_kind(body), "topic of {body}");
        assert_eq!(&m.answer(), body, "commit order and body");
        assert_fedora_messaging_properties(m, &prefix, &["releng-bot"]);
    }
    assert!(queue.quiet(Duration::from_millis(300)).await.is_none(), "one message per record, no more");

    // The ids on the wire are the ones stored, one per row, in row order.
    let rows = app.store.outbox_after(0, 1000).await.unwrap();
    assert_eq!(rows.len(), 5 + expected.len());
    let stored: Vec<&str> = rows[5..].iter().map(|r| r.message_id.as_str()).collect();
    let sent: Vec<String> = received.iter().map(Received::message_id).collect();
    assert_eq!(stored, sent);
    assert!(rows.iter().all(|r| r.sent_at.is_some() && r.attempts == 1 && r.last_error.is_none()));
    let unique: BTreeSet<&str> = rows.iter().map(|r| r.message_id.as_str()).collect();
    assert_eq!(unique.len(), rows.len());

    let outbox = wait_outbox(&app, "an empty outbox", |o| o["pending"] == 0).await;
    assert_eq!(outbox["sent"], rows.len());
    assert_eq!(outbox["failed"], 0);
    assert_eq!(outbox["publishing"], true);
    assert_eq!(outbox["connected"], true);
    assert_eq!(outbox["last_error"], Value::Null);
    publisher.stop().await;
    assert_eq!(readyz(&app).await["outbox"]["publishing"], false);
    queue.close().await;
}

#[tokio::test]
async fn messages_in_commit_order_sqlite() {
    messages_in_commit_order(sqlite_db()).await;
}

#[tokio::test]
async fn messages_in_commit_order_postgres() {
    if let Some(db) = postgres_db().await {
        messages_in_commit_order(db).await;
    }
}

// ---------------------------------------------------------------------------
// a TCP proxy in front of the broker, to cut and mute

/// Forwards 127.0.0.1:`port` to the broker. `cut` closes the port and
/// every connection (the broker seems gone); `mute` holds back the
/// broker's replies (confirms never arrive) while publishes still pass.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    muted: Arc<AtomicBool>,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(broker_url: &str) -> Self {
        let url = url::Url::parse(broker_url).unwrap();
        let host = url.host_str().unwrap().trim_matches(['[', ']']).to_owned();
        let upstream = tokio::net::lookup_host((host.as_str(), url.port().unwrap_or(5672)))
            .await
            .unwrap()
            .next()
            .expect("broker address");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Self { port, upstream, muted: Arc::default(), tasks: Arc::default() };
        proxy.serve(listener);
        proxy
    }

    /// The broker URL with the proxy's address.
    fn url(&self, broker_url: &str) -> String {
        let mut url = url::Url::parse(broker_url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url.to_string()
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, muted, tasks) = (self.upstream, self.muted.clone(), self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else { continue };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                    let _ = server_write.shutdown().await;
                });
                let muted = muted.clone();
                let down = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        while muted.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                while muted.load(Ordering::SeqCst) {
                                    tokio::time::sleep(Duration::from_millis(5)).await;
                                }
                                if client_write.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = client_write.shutdown().await;
                });
                let mut tasks = tasks.lock().unwrap();
                tasks.push(up.abort_handle());
                tasks.push(down.abort_handle());
            }
        });
        self.tasks.lock().unwrap().push(accept.abort_handle());
    }

    /// The broker vanishes: port closed, connections dropped.
    async fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
        // Let the aborted tasks drop their sockets.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// The broker is back on the same port.
    async fn restore(&self) {
        let started = Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if started.elapsed() < WAIT => {
                    eprintln!("rebinding proxy port {}: {e}", self.port);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot rebind proxy port {}: {e}", self.port),
            }
        };
        self.serve(listener);
    }

    fn mute(&self, on: bool) {
        self.muted.store(on, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------
// (b) broker outage

/// Reads messages until every id in `want` has arrived (duplicates
/// allowed), then a little longer for stragglers. Returns them all.
async fn collect_until(queue: &mut TestQueue, want: &BTreeSet<(String, i64)>, within: Duration) -> Vec<Received> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut seen = BTreeSet::new();
    while !want.is_subset(&seen) {
        let left = within.saturating_sub(started.elapsed());
        match queue.next(left.max(Duration::from_millis(1))).await {
            Some(m) => {
                seen.insert(record_key(&m));
                got.push(m);
            }
            None => {
                let missing: Vec<_> = want.difference(&seen).collect();
                panic!("after {within:?}, {} messages missing: {missing:?}", missing.len());
            }
        }
    }
    while let Some(m) = queue.next(Duration::from_millis(300)).await {
        got.push(m);
    }
    got
}

/// (kind, id) of the record a message announces.
fn record_key(m: &Received) -> (String, i64) {
    let kind = if m.kind() == "retracted" { "retraction" } else { "event" };
    (kind.to_owned(), m.json()["id"].as_i64().unwrap())
}

/// Every record arrived, duplicates carry the stored message_id, and
/// first deliveries are in commit order.
async fn assert_complete_and_ordered(app: &TestApp, received: &[Received], want: &BTreeSet<(String, i64)>) {
    let rows = app.store.outbox_after(0, 10_000).await.unwrap();
    let stored: BTreeMap<(String, i64), (i64, String)> =
        rows.iter().map(|r| ((r.kind.as_str().to_owned(), r.ref_id), (r.id, r.message_id.clone()))).collect();
    let mut first_seen = Vec::new();
    let mut seen = BTreeSet::new();
    let mut bodies: BTreeMap<String, &[u8]> = BTreeMap::new();
    for m in received {
        let key = record_key(m);
        let (row, message_id) = stored.get(&key).unwrap_or_else(|| panic!("unknown record {key:?}"));
        assert_eq!(&m.message_id(), message_id, "a duplicate of {key:?} with another message_id");
        let first = *bodies.entry(m.message_id()).or_insert(&m.body);
        assert_eq!(first, &m.body[..], "a redelivery of {key:?} with other bytes");
        if seen.insert(key) {
            first_seen.push(*row);
        }
    }
    assert_eq!(&seen, want, "exactly the records written");
    assert!(first_seen.windows(2).all(|w| w[0] < w[1]), "first deliveries out of order: {first_seen:?}");
}

async fn outage(db: TestDb) {
    let Some(url) = broker().await else { return };
    let proxy = Proxy::start(&url).await;
    let app = TestApp::start(&db).await;
    let token = app.token("releng-bot").await;
    let prefix = unique_prefix();
    let mut queue = TestQueue::bind(&url, &prefix).await;
    let publisher = RunningPublisher::start(&app, fast_config(&proxy.url(&url), &prefix));
    let mut want = BTreeSet::new();
    let mut written = 0;

    for _ in 0..5 {
        want.insert(("event".to_owned(), write(&app, &token, written).await["id"].as_i64().unwrap()));
        written += 1;
    }
    let early = queue.take(5, WAIT).await;
    wait_outbox(&app, "5 confirmed", |o| o["pending"] == 0).await;

    // The broker is gone: every write still succeeds at once.
    proxy.cut().await;
    for _ in 0..20 {
        let started = Instant::now();
        want.insert(("event".to_owned(), write(&app, &token, written).await["id"].as_i64().unwrap()));
        written += 1;
        assert!(started.elapsed() < Duration::from_secs(2), "a write waited for the broker");
    }
    let outbox = wait_outbox(&app, "the publisher to notice", |o| !o["last_error"].is_null()).await;
    assert_eq!(outbox["connected"], false);
    // A class of failure, not the broker's address or the OS's words.
    let error = outbox["last_error"].as_str().unwrap();
    let classes = [
        "cannot connect to the broker",
        "the connection to the broker was lost",
        "publishing failed (AMQP error)",
        "the broker did not answer in time",
    ];
    assert!(classes.iter().any(|c| error.starts_with(c)), "{error}");
    assert!(!error.contains("127.0.0.1") && !error.contains("os error"), "{error}");
    assert_eq!(wait_outbox(&app, "20 pending", |o| o["pending"] == 20).await["pending"], 20);

    // Back, then gone again in the middle of a stream of writes.
    proxy.restore().await;
    for step in 0..40 {
        if step == 10 {
            proxy.cut().await;
        }
        if step == 25 {
            proxy.restore().await;
        }
        let started = Instant::now();
        let created = write(&app, &token, written).await;
        written += 1;
        want.insert(("event".to_owned(), created["id"].as_i64().unwrap()));
        if step % 7 == 3 {
            let r = retract(&app, &token, created["id"].as_i64().unwrap()).await;
            want.insert(("retraction".to_owned(), r["id"].as_i64().unwrap()));
        }
        assert!(started.elapsed() < Duration::from_secs(2), "a write waited for the broker");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let already: BTreeSet<(String, i64)> = early.iter().map(record_key).collect();
    let rest: BTreeSet<(String, i64)> = want.difference(&already).cloned().collect();
    let mut received = early;
    received.extend(collect_until(&mut queue, &rest, Duration::from_secs(30)).await);
    assert_complete_and_ordered(&app, &received, &want).await;
    let outbox = wait_outbox(&app, "an empty outbox", |o| o["pending"] == 0 && o["last_error"].is_null()).await;
    assert_eq!(outbox["connected"], true);
    assert!(outbox["sent"].as_u64().unwrap() >= want.len() as u64, "{outbox}");
    let duplicates = received.len() - want.len();
    eprintln!(
        "outage: {} records, {} deliveries ({duplicates} duplicates), outbox {outbox}",
        want.len(),
        received.len()
    );
    publisher.stop().await;
    queue.close().await;
}

#[tokio::test]
async fn broker_outage_delays_but_never_loses_sqlite() {
    outage(sqlite_db()).await;
}

#[tokio::test]
async fn broker_outage_delays_but_never_loses_postgres() {
    if let Some(db) = postgres_db().await {
        outage(db).await;
    }
}

// ---------------------------------------------------------------------------
// (c) crashes

/// Rows written while publishing is off wait in the outbox and go out,
/// in order, from the next publisher on that database — each with the body
/// fixed at its commit, whatever was recorded in the meantime.
#[tokio::test]
async fn rows_written_with_publishing_off_go_out_after_restart() {
    let Some(url) = broker().await else { return };
    let db = sqlite_db();
    let prefix = unique_prefix();
    let mut queue = TestQueue::bind(&url, &prefix).await;
    let mut expected = Vec::new();
    {
        let app = TestApp::start(&db).await;
        let token = app.token("releng-bot").await;
        for i in 0..4 {
            expected.push(write(&app, &token, i).await);
        }
        assert_eq!(expected[1]["changed"], true);
        // A backdated event: F41 was in beta before event 1 entered it, so
        // event 1 now reads as a repeat...
        let backdated = json!({"dist": "fedora", "release": "41", "state": "beta", "reached": true,
                               "at": "2026-02-01T00:00:00Z"});
        let r = app.post_json("/api/v1/events", Some(&token), &backdated.to_string()).await;
        assert_eq!(r.status, 201, "{}", r.text());
        expected.push(r.json());
        let id = expected[1]["id"].as_i64().unwrap();
        assert_eq!(app.get(&format!("/api/v1/events/{id}")).await.json()["changed"], false);
        // ...and event 0 is retracted.
        let first = expected[0]["id"].as_i64().unwrap();
        expected.push(retract(&app, &token, first).await);
        let outbox = readyz(&app).await["outbox"].clone();
        assert_eq!(
            outbox,
            json!({"pending": 6, "publishing": false, "connected": false, "sent": 0, "failed": 0, "last_error": null, "last_error_at": null})
        );
        app.store.close().await;
    }
    assert!(queue.quiet(Duration::from_millis(200)).await.is_none(), "nothing is published without a broker");

    let app = TestApp::start(&db).await;
    let publisher = RunningPublisher::start(&app, fast_config(&url, &prefix));
    let received = queue.take(6, WAIT).await;
    // Every message says what its write's 201 said: event 1 `changed: true`
    // and event 0 not yet retracted (its `.retracted` message follows),
    // although the API now answers otherwise for both.
    assert_eq!(received.len(), 6);
    for (m, body) in received.iter().zip(&expected) {
        assert_eq!(&m.answer(), body);
        assert_eq!(m.kind(), expected_kind(body));
    }
    assert_eq!(received[1].json()["changed"], true);
    assert_eq!(received[0].json()["retraction"], Value::Null);
    let rows = app.store.outbox_after(0, 100).await.unwrap();
    let ids: Vec<String> = received.iter().map(Received::message_id).collect();
    assert_eq!(ids, rows.iter().map(|r| r.message_id.clone()).collect::<Vec<_>>());
    // The bodies are the stored ones, byte for byte.
    for (m, row) in received.iter().zip(&rows) {
        assert_eq!(Some(m.body.as_slice()), row.body.as_deref().map(str::as_bytes));
    }
    assert!(queue.quiet(Duration::from_millis(300)).await.is_none());
    publisher.stop().await;
    queue.close().await;
}

/// What reached the broker before a crash: at least one message, then
/// whatever else comes within 300 ms.
async fn in_flight_messages(queue: &mut TestQueue) -> Vec<Received> {
    let mut got = queue.take(1, WAIT).await;
    while let Some(m) = queue.next(Duration::from_millis(300)).await {
        got.push(m);
    }
    got
}

/// The messages sent before the crash went out again first, with the same
/// message_id, topic and body.
fn assert_redelivered(before: &[Received], after: &[Received]) {
    assert!(!before.is_empty() && before.len() <= after.len());
    for (a, b) in before.iter().zip(after) {
        assert_eq!(a.message_id(), b.message_id(), "a redelivery keeps its message_id");
        assert_eq!(a.routing_key, b.routing_key);
        assert_eq!(a.body, b.body);
    }
}

/// The publisher dies after the broker got a message but before its
/// confirm arrived: the row is still pending, and the next publisher sends
/// it again with the same message_id and body, then the rows behind it.
async fn crash_between_publish_and_confirm(db: TestDb) {
    let Some(url) = broker().await else { return };
    let proxy = Proxy::start(&url).await;
    let prefix = unique_prefix();
    let mut queue = TestQueue::bind(&url, &prefix).await;
    let mut created = Vec::new();
    let in_flight: Vec<Received>;
    {
        let app = TestApp::start(&db).await;
        let token = app.token("releng-bot").await;
        let publisher = RunningPublisher::start(&app, fast_config(&proxy.url(&url), &prefix));
        wait_outbox(&app, "a connection", |o| o["connected"] == true).await;
        proxy.mute(true);
        for i in 0..3 {
            created.push(write(&app, &token, i).await);
        }
        // The first commit woke the publisher: its round (the first row,
        // or more if they were committed before the claim) reached the
        // broker and waits for confirms that never come.
        in_flight = in_flight_messages(&mut queue).await;
        for (m, body) in in_flight.iter().zip(&created) {
            assert_eq!(&m.answer(), body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(readyz(&app).await["outbox"]["pending"], 3, "nothing is sent before its confirm");
        publisher.kill().await;
        proxy.cut().await;
        app.store.close().await;
    }
    let app = TestApp::start(&db).await;
    assert_eq!(app.store.outbox_pending().await.unwrap(), 3);
    let publisher = RunningPublisher::start(&app, fast_config(&url, &prefix));
    let again = queue.take(3, WAIT).await;
    assert_redelivered(&in_flight, &again);
    for (m, body) in again.iter().zip(&created) {
        assert_eq!(&m.answer(), body);
    }
    let rows = app.store.outbox_after(0, 10).await.unwrap();
    assert_eq!(
        again.iter().map(Received::message_id).collect::<Vec<_>>(),
        rows.iter().map(|r| r.message_id.clone()).collect::<Vec<_>>()
    );
    wait_outbox(&app, "an empty outbox", |o| o["pending"] == 0).await;
    assert!(queue.quiet(Duration::from_millis(300)).await.is_none());
    publisher.stop().await;
    queue.close().await;
}

#[tokio::test]
async fn crash_between_publish_and_confirm_sqlite() {
    crash_between_publish_and_confirm(sqlite_db()).await;
}

#[tokio::test]
async fn crash_between_publish_and_confirm_postgres() {
    if let Some(db) = postgres_db().await {
        crash_between_publish_and_confirm(db).await;
    }
}

// ---------------------------------------------------------------------------
// the real binary, killed with SIGKILL between commit and confirm

const BIN: &str = env!("CARGO_BIN_EXE_releasetracker");

/// A child process that is killed when the test ends, passed or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Like [`Killed`], for a child whose output is collected at the end.
struct KilledUnlessTaken(Option<std::process::Child>);

impl KilledUnlessTaken {
    fn take(mut self) -> std::process::Child {
        self.0.take().expect("child")
    }
}

impl Drop for KilledUnlessTaken {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `releasetracker serve` publishing to `amqp_url`; waits until its
/// publisher is connected.
async fn serve(db: &str, port: u16, amqp_url: &str, prefix: &str) -> Killed {
    let child = Command::new(BIN)
        .args(["--database", db, "--log-level", "warn", "serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--poll-interval-ms", "100", "--amqp-topic-prefix", prefix])
        // Bursts of writes from one address are what these tests make.
        .args(["--write-rate-limit", "0"])
        .env("AMQP_URL", amqp_url)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start releasetracker");
    let child = Killed(child);
    let started = Instant::now();
    loop {
        if let Ok((200, body)) = http(port, "GET", "/readyz", "", "").await {
            let v: Value = serde_json::from_str(&body).unwrap();
            if v["outbox"]["connected"] == true {
                return child;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "server did not start and connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sigkill_between_commit_and_confirm_redelivers_after_restart() {
    let Some(url) = broker().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let out = Command::new(BIN).args(["--database", &db, "token", "create", "--name", "releng-bot"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_owned();

    let proxy = Proxy::start(&url).await;
    let prefix = unique_prefix();
    let mut queue = TestQueue::bind(&url, &prefix).await;
    let port = free_port();
    let mut server = serve(&db, port, &proxy.url(&url), &prefix).await;
    proxy.mute(true);
    let mut created = Vec::new();
    for i in 0..3 {
        let (status, body) = http(port, "POST", "/api/v1/events", &token, &event(i)).await.unwrap();
        assert_eq!(status, 201, "{body}");
        created.push(serde_json::from_str::<Value>(&body).unwrap());
    }
    // The first round is out, unconfirmed; the other rows wait behind it.
    let in_flight = in_flight_messages(&mut queue).await;
    let (_, ready) = http(port, "GET", "/readyz", "", "").await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&ready).unwrap()["outbox"]["pending"], 3, "{ready}");
    server.0.kill().expect("SIGKILL");
    server.0.wait().unwrap();
    proxy.cut().await;

    let server = serve(&db, port, &url, &prefix).await;
    let again = queue.take(3, WAIT).await;
    assert_redelivered(&in_flight, &again);
    for (m, body) in again.iter().zip(&created) {
        assert_eq!(&m.answer(), body);
    }
    assert!(queue.quiet(Duration::from_millis(300)).await.is_none());
    let (_, ready) = http(port, "GET", "/readyz", "", "").await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&ready).unwrap()["outbox"]["pending"], 0, "{ready}");
    drop(server);
    queue.close().await;
}

// ---------------------------------------------------------------------------
// two instances on one PostgreSQL

#[tokio::test]
async fn two_instances_on_one_postgres_send_each_message_once_in_order() {
    let Some(url) = broker().await else { return };
    let Some(db) = postgres_db().await else { return };
    let prefix = unique_prefix();
    let mut queue = TestQueue::bind(&url, &prefix).await;
    let a = TestApp::start(&db).await;
    let b = TestApp::start(&db).await;
    let token = a.token("releng-bot").await;
    let pa = RunningPublisher::start(&a, fast_config(&url, &prefix));
    let pb = RunningPublisher::start(&b, fast_config(&url, &prefix));
    let mut ids = Vec::new();
    for i in 0..40 {
        let app = if i % 2 == 0 { &a } else { &b };
        ids.push(write(app, &token, i).await["id"].as_i64().unwrap());
    }
    let received = queue.take(40, WAIT).await;
    let got: Vec<i64> = received.iter().map(|m| m.json()["id"].as_i64().unwrap()).collect();
    assert_eq!(got, ids, "each once, in commit order");
    assert!(queue.quiet(Duration::from_millis(500)).await.is_none(), "no message twice");
    let sent_a = a.state.bus.status().sent;
    let sent_b = b.state.bus.status().sent;
    assert_eq!(sent_a + sent_b, 40);
    eprintln!("instance a sent {sent_a}, instance b sent {sent_b}");
    pa.stop().await;
    pb.stop().await;
    queue.close().await;
}

// ---------------------------------------------------------------------------
// amqps:// through a TLS terminator with a private CA

/// Makes a CA and a certificate for 127.0.0.1 and localhost signed by it,
/// with the openssl command. Returns (ca.pem, cert.pem, key.pem).
fn private_ca(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let run = |args: &str| -> Result<(), String> {
        let out = Command::new("openssl")
            .args(args.split_whitespace())
            .current_dir(dir)
            .output()
            .map_err(|e| format!("openssl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("openssl {args}: {}", String::from_utf8_lossy(&out.stderr)))
        }
    };
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    run(&format!("req -x509 {ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=rt-test-CA"))?;
    run(&format!("req {ec} -keyout key.pem -out leaf.csr -subj /CN=localhost"))?;
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| e.to_string())?;
    run("x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 1 -extfile leaf.ext")?;
    // A client certificate from the same CA, for brokers that require one.
    run(&format!("req {ec} -keyout client-key.pem -out client.csr -subj /CN=releasetracker-publisher"))?;
    std::fs::write(dir.join("client.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
        .map_err(|e| e.to_string())?;
    run(
        "x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 1 -extfile client.ext",
    )?;
    Ok((dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem")))
}

/// [`private_ca`], or `None` (said loudly) when openssl is missing; with
/// `CI=true` that is a failure.
fn certificates_or_skip(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    match private_ca(dir) {
        Ok(files) => Some(files),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("openssl is required with CI=true: {e}"),
        Err(e) => {
            eprintln!("SKIPPED: cannot make test certificates ({e})");
            None
        }
    }
}

/// Starts `tls_terminator.py` in front of the broker at `url` with the
/// server certificate `cert`/`key` (and, with `client_ca`, requiring a
/// client certificate signed by it); the terminator and its `amqps://` URL.
fn tls_terminator(url: &str, cert: &Path, key: &Path, client_ca: Option<&Path>) -> (Killed, String) {
    let upstream = url::Url::parse(url).unwrap().port().unwrap_or(5672).to_string();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls_terminator.py");
    let mut terminator = Killed(
        Command::new("python3")
            .arg(&script)
            .args([cert, key])
            .arg(&upstream)
            .args(client_ca)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the TLS terminator"),
    );
    let mut port = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(terminator.0.stdout.as_mut().unwrap()), &mut port)
        .unwrap();
    let mut tls_url = url::Url::parse(url).unwrap();
    tls_url.set_scheme("amqps").unwrap();
    tls_url.set_port(Some(port.trim().parse().expect("terminator port"))).unwrap();
    (terminator, tls_url.to_string())
}

#[tokio::test]
async fn amqps_with_a_private_ca() {
    let Some(url) = broker().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some((ca, cert, key)) = certificates_or_skip(dir.path()) else { return };
    let (_terminator, tls_url) = tls_terminator(&url, &cert, &key, None);

    // Without the CA the certificate is refused; writes go on regardless.
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("releng-bot").await;
    let prefix = unique_prefix();
    let mut queue = TestQueue::bind(&url, &prefix).await;
    let untrusting = RunningPublisher::start(&app, fast_config(&tls_url, &prefix));
    let first = write(&app, &token, 0).await;
    let outbox = wait_outbox(&app, "a TLS failure", |o| !o["last_error"].is_null()).await;
    let error = outbox["last_error"].as_str().unwrap().to_owned();
    assert!(outbox["last_error_at"].is_string(), "{outbox}");
    eprintln!("without the CA: {error}");
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(!error.contains("guest:guest"), "{error}");
    untrusting.stop().await;

    let config = fast_config(&tls_url, &prefix).with_ca_file(&ca).unwrap();
    let trusting = RunningPublisher::start(&app, config);
    let second = write(&app, &token, 1).await;
    let received = queue.take(2, WAIT).await;
    assert_eq!(received[0].answer(), first);
    assert_eq!(received[1].answer(), second);
    wait_outbox(&app, "an empty outbox", |o| o["pending"] == 0 && o["connected"] == true).await;
    trusting.stop().await;
    queue.close().await;
}

/// Fedora's brokers authenticate publishers by TLS client certificate:
/// without one the connection is refused and messages wait; with
/// `--amqp-client-cert`/`--amqp-client-key` they are delivered.
#[tokio::test]
async fn amqps_with_a_client_certificate() {
    let Some(url) = broker().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some((ca, cert, key)) = certificates_or_skip(dir.path()) else { return };
    let (client_cert, client_key) = (dir.path().join("client.pem"), dir.path().join("client-key.pem"));
    let (_terminator, tls_url) = tls_terminator(&url, &cert, &key, Some(&ca));

    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("releng-bot").await;
    let prefix = unique_prefix();
    let mut queue = TestQueue::bind(&url, &prefix).await;
    let anonymous = RunningPublisher::start(&app, fast_config(&tls_url, &prefix).with_ca_file(&ca).unwrap());
    let first = write(&app, &token, 0).await;
    let outbox = wait_outbox(&app, "a refused connection", |o| !o["last_error"].is_null()).await;
    assert_eq!(outbox["connected"], false, "{outbox}");
    assert_eq!(outbox["pending"], 1, "{outbox}");
    eprintln!("without a client certificate: {}", outbox["last_error"]);
    anonymous.stop().await;
    assert!(queue.quiet(Duration::from_millis(300)).await.is_none(), "nothing got through without a certificate");

    let config = fast_config(&tls_url, &prefix)
        .with_ca_file(&ca)
        .unwrap()
        .with_client_certificate(&client_cert, &client_key)
        .unwrap();
    let identified = RunningPublisher::start(&app, config);
    let second = write(&app, &token, 1).await;
    let received = queue.take(2, WAIT).await;
    assert_eq!(received[0].answer(), first);
    assert_eq!(received[1].answer(), second);
    wait_outbox(&app, "an empty outbox", |o| o["pending"] == 0 && o["connected"] == true).await;
    identified.stop().await;
    queue.close().await;
}

// ---------------------------------------------------------------------------
// (d) the real fedora-messaging client

/// Python with fedora-messaging from PyPI.
fn fedora_messaging_python() -> Option<PathBuf> {
    common::python::venv("fedora-messaging-venv", "fedora_messaging.api", &["fedora-messaging>=3.9,<4"])
}

#[tokio::test]
async fn the_python_fedora_messaging_client_reads_our_messages() {
    let Some(url) = broker().await else { return };
    let Some(python) = tokio::task::spawn_blocking(fedora_messaging_python).await.unwrap() else { return };
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("releng-bot").await;
    let prefix = unique_prefix();

    // The consumer's configuration, as an operator would write it.
    let dir = tempfile::tempdir().unwrap();
    let queue = format!("rt-interop-{}", &prefix[7..]);
    let config = dir.path().join("fedora-messaging.toml");
    std::fs::write(
        &config,
        format!(
            r#"amqp_url = "{url}"

[client_properties]
app = "releasetracker interoperability test"

[queues.{queue}]
durable = false
auto_delete = true
exclusive = false
arguments = {{}}

[[bindings]]
queue = "{queue}"
exchange = "amq.topic"
routing_keys = ["{prefix}.releasetracker.event.*", "{prefix}.releasetracker.plan.*"]
"#
        ),
    )
    .unwrap();
    let expected_count = 6;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fedora_messaging_consume.py");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/message-schema.json");
    // The script stops itself after 60 s, so waiting for it cannot hang.
    let consumer = Command::new(&python)
        .arg(&script)
        .args([expected_count.to_string(), "60".to_owned()])
        .arg(&schema)
        .env("FEDORA_MESSAGING_CONF", &config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Python consumer");
    let consumer = KilledUnlessTaken(Some(consumer));

    // Publish only once its queue exists, or the messages would go nowhere.
    // (The queue is not exclusive so that this probe may look at it.)
    let started = Instant::now();
    let probe = common::broker::connect(&url).await.unwrap();
    loop {
        let channel = probe.create_channel().await.unwrap();
        let declared = channel
            .queue_declare(
                queue.as_str().into(),
                lapin::options::QueueDeclareOptions { passive: true, ..Default::default() },
                lapin::types::FieldTable::default(),
            )
            .await;
        if declared.is_ok_and(|q| q.consumer_count() > 0) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the Python consumer never started consuming");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = probe.close(200, "OK".into()).await;

    let publisher = RunningPublisher::start(&app, fast_config(&url, &prefix));
    let mut expected = Vec::new();
    for i in 0..3 {
        expected.push(write(&app, &token, i).await);
        // Settle each body before the next write changes the log.
        wait_outbox(&app, "the message to go out", |o| o["pending"] == 0).await;
    }
    expected.push(retract(&app, &token, expected[1]["id"].as_i64().unwrap()).await);
    // A plan and its cancellation (`plan.changed`).
    let plan = json!({"dist": "fedora", "release": "45", "state": "branched", "reached": true,
                      "at": "2026-08-11T00:00:00Z", "note": "from the schedule"});
    let r = app.post_json("/api/v1/plans", Some(&token), &plan.to_string()).await;
    assert_eq!(r.status, axum::http::StatusCode::CREATED, "{}", r.text());
    expected.push(r.json());
    let cancel = json!({"dist": "fedora", "release": "45", "state": "branched", "reached": true, "reason": "moot"});
    expected.push(app.post_json("/api/v1/plans/cancel", Some(&token), &cancel.to_string()).await.json());

    let consumer = consumer.take();
    let out = tokio::task::spawn_blocking(move || consumer.wait_with_output()).await.unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("fedora-messaging logged:\n{stderr}");
    assert!(out.status.success(), "consumer failed: {stderr}");
    for bad in ["misbehaving", "Traceback", "ValidationError", "ERROR"] {
        assert!(!stderr.contains(bad), "fedora-messaging complained ({bad}): {stderr}");
    }
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), expected_count, "{lines:?}");
    let rows = app.store.outbox_after(0, 100).await.unwrap();
    assert_eq!(rows.len(), expected_count);
    for ((got, body), row) in lines.iter().zip(&expected).zip(&rows) {
        let is_plan = body.get("revision").is_some();
        let topic = if is_plan {
            format!("{prefix}.releasetracker.plan.changed")
        } else {
            format!("{prefix}.releasetracker.event.{}", expected_kind(body))
        };
        assert_eq!(got["topic"], topic);
        let mut got_body = got["body"].clone();
        let url = got_body.as_object_mut().and_then(|b| b.remove("url")).expect("a url");
        let page = if is_plan {
            "/dists/fedora/releases/45".to_owned()
        } else {
            format!("/events/{}", body.get("event").unwrap_or(body)["id"].as_i64().unwrap())
        };
        assert!(url.as_str().is_some_and(|u| u.ends_with(&page)), "{url}");
        assert_eq!(&got_body, body);
        assert_eq!(got["severity"], 20);
        assert_eq!(got["id"], row.message_id.as_str());
        let sent_at = got["sent_at"].as_str().expect("sent-at parsed as a string");
        assert_eq!(sent_at, server::bus::message::sent_at(&row.created_at));
        let schema = if is_plan {
            "releasetracker.plan.v1"
        } else if body.get("event").is_some() {
            "releasetracker.retraction.v1"
        } else {
            "releasetracker.event.v1"
        };
        assert_eq!(got["schema"], schema);
        assert_eq!(got["priority"], 0);
        assert_eq!(got["headers"]["fedora_messaging_user_releng-bot"], true);
    }
    publisher.stop().await;
}
