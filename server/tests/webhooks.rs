//! Webhooks (DESIGN.md §8) against the real binary over TCP and real
//! receivers on loopback: retries under one `webhook-id` with signatures
//! the `standardwebhooks` library from PyPI verifies, filters, `410 Gone`,
//! retries running out, `kill -9` while deliveries are pending, two
//! instances on one PostgreSQL, the address guard, pings, rotation and
//! redelivery, and the event's release actions.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use common::served::{token, Served};
use serde_json::{json, Value};

/// A sealing key for the tests (32 bytes of 7, base64).
const KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
const WAIT: Duration = Duration::from_secs(20);

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    headers: HashMap<String, String>,
    body: String,
}

/// What a receiver answers: `fail_first` attempts of each id get
/// `fail_status` (with `location` as `Location`, if set), later ones 204;
/// `delay` before every answer.
#[derive(Debug, Clone)]
struct Behaviour {
    fail_first: usize,
    fail_status: u16,
    delay: Duration,
    location: Option<String>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self { fail_first: 0, fail_status: 500, delay: Duration::ZERO, location: None }
    }
}

/// A webhook receiver on loopback that records every request.
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(behaviour: Behaviour) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), behaviour).await
    }

    async fn start_on(addr: SocketAddr, behaviour: Behaviour) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let record = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let record = record.clone();
                let behaviour = behaviour.clone();
                async move {
                    tokio::time::sleep(behaviour.delay).await;
                    let headers: HashMap<String, String> = headers
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    let id = headers.get("webhook-id").cloned().unwrap_or_default();
                    let mut got = record.lock().unwrap();
                    let before = got.iter().filter(|r| r.id == id).count();
                    got.push(Received { id, headers, body });
                    if before < behaviour.fail_first {
                        let status = StatusCode::from_u16(behaviour.fail_status).unwrap();
                        let location = behaviour.location.clone().unwrap_or_default();
                        (status, [(axum::http::header::LOCATION, location)], "not now").into_response()
                    } else {
                        StatusCode::NO_CONTENT.into_response()
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the receiver");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, got }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests with distinct ids arrived; answers them all.
    async fn wait_for_ids(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            if ids.len() >= n {
                return got;
            }
            assert!(started.elapsed() < WAIT, "{} of {n} deliveries arrived: {got:?}", ids.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn hooks_flags(schedule: &str) -> Vec<String> {
    vec![
        "--webhook-key".into(),
        KEY.into(),
        "--webhook-allow-private".into(),
        "--webhook-retry-schedule".into(),
        schedule.into(),
        "--poll-interval-ms".into(),
        "50".into(),
    ]
}

async fn serve(db: &str, schedule: &str) -> Served {
    let flags = hooks_flags(schedule);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    Served::start(db, &flags).await
}

async fn call(s: &Served, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method.parse().unwrap(), s.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    let answer = request.send().await.expect("send");
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn subscribe(s: &Served, token: &str, body: Value) -> (i64, String) {
    let (status, created) = call(s, "POST", "/api/v1/webhooks", token, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().expect("the secret, once").to_owned();
    assert!(secret.starts_with("whsec_"));
    (created["id"].as_i64().unwrap(), secret)
}

async fn event(s: &Served, token: &str, release: &str, state: &str, reached: bool) -> i64 {
    let body =
        json!({"dist": "fedora", "release": release, "state": state, "reached": reached, "at": "2026-11-10T14:00:00Z"});
    let (status, answer) = call(s, "POST", "/api/v1/events", token, Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_i64().unwrap()
}

/// Checks every request with the `standardwebhooks` library; answers the
/// types it verified. `None` when the library cannot be installed (the
/// helper says so; with CI=true it fails).
fn verify_with_library(secret: &str, got: &[Received]) -> Option<Vec<String>> {
    let python = common::python::venv("standardwebhooks", "standardwebhooks", &["standardwebhooks==1.0.0"])?;
    let items: Vec<Value> =
        got.iter().map(|r| json!({"secret": secret, "headers": r.headers, "body": r.body})).collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/verify_webhooks.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(Value::from(items).to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect())
}

async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < WAIT, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_under_one_id_that_the_library_verifies() {
    let db = common::sqlite_db();
    let t = token(&db.url, "releng");
    let receiver = Receiver::start(Behaviour { fail_first: 2, ..Default::default() }).await;
    let s = serve(&db.url, "100ms,100ms,100ms").await;
    let (sub, secret) = subscribe(
        &s,
        &t,
        json!({"url": receiver.url(), "description": "Announcement", "required": true,
               "filter": {"dists": ["fedora"], "states": ["stable"], "reached": true}}),
    )
    .await;
    let id = event(&s, &t, "45", "stable", true).await;
    wait_until("the third attempt arrived", || {
        let n = receiver.received().len();
        async move { n >= 3 }
    })
    .await;
    // Give the server time to record the third outcome.
    wait_until("the delivery is recorded as delivered", || {
        let s = &s;
        let t = t.clone();
        async move {
            let (_, log) = call(s, "GET", &format!("/api/v1/webhooks/{sub}/deliveries"), &t, None).await;
            log["items"][0]["state"] == "delivered"
        }
    })
    .await;
    let got = receiver.received();
    assert_eq!(got.len(), 3, "two failures and a success: {got:?}");
    assert!(got.iter().all(|r| r.id == got[0].id), "one webhook-id on every attempt");
    assert!(got[0].id.starts_with("msg_"));
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "event.reached");
    assert_eq!(body["data"]["id"], id);
    assert_eq!(body["data"]["release"], "45");
    let (_, api_event) = call(&s, "GET", &format!("/api/v1/events/{id}"), &t, None).await;
    for field in ["id", "dist", "release", "state", "reached", "at", "recorded_by"] {
        assert_eq!(body["data"][field], api_event[field], "data is the event as the API shows it ({field})");
    }
    if let Some(verdicts) = verify_with_library(&secret, &got) {
        assert_eq!(verdicts, vec!["ok event.reached"; 3]);
        // A wrong secret is refused by the same library.
        let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let refused = verify_with_library(other, &got[..1]).unwrap();
        assert!(refused[0].starts_with("bad"), "{refused:?}");
    }
    let (_, log) = call(&s, "GET", &format!("/api/v1/webhooks/{sub}/deliveries"), &t, None).await;
    let delivery = &log["items"][0];
    assert_eq!(delivery["attempts"], 3);
    let statuses: Vec<Value> = delivery["log"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, vec![json!(500), json!(500), json!(204)]);
    assert_eq!(delivery["log"][0]["excerpt"], "not now");
    assert_eq!(delivery["log"][0]["error"], "the receiver answered 500");
    // The event's release actions, for everyone, without the answers.
    let actions = reqwest::get(s.url(&format!("/api/v1/events/{id}/actions"))).await.unwrap().text().await.unwrap();
    let actions: Value = serde_json::from_str(&actions).unwrap();
    assert_eq!(actions["items"][0]["state"], "delivered");
    assert_eq!(actions["items"][0]["subscription"], "Announcement");
    assert_eq!(actions["items"][0]["required"], true);
    assert_eq!(actions["items"][0]["log"][0]["excerpt"], Value::Null);
    // The event page shows it too.
    let page = reqwest::get(s.url(&format!("/events/{id}"))).await.unwrap().text().await.unwrap();
    assert!(page.contains("Announcement") && page.contains("delivered"), "the event page lists the action");
}

#[tokio::test]
async fn filters_decide_who_receives_what() {
    let db = common::sqlite_db();
    let t = token(&db.url, "releng");
    let (stable, branched, everything) = (
        Receiver::start(Behaviour::default()).await,
        Receiver::start(Behaviour::default()).await,
        Receiver::start(Behaviour::default()).await,
    );
    let s = serve(&db.url, "100ms").await;
    subscribe(
        &s,
        &t,
        json!({"url": stable.url(), "filter": {"states": ["stable"], "reached": true, "kinds": ["event"]}}),
    )
    .await;
    subscribe(&s, &t, json!({"url": branched.url(), "filter": {"releases": ["44"], "states": ["branched"]}})).await;
    subscribe(&s, &t, json!({"url": everything.url()})).await;
    event(&s, &t, "45", "stable", true).await;
    let left = event(&s, &t, "43", "stable", false).await;
    event(&s, &t, "44", "branched", true).await;
    event(&s, &t, "45", "branched", true).await;
    let (status, _) =
        call(&s, "POST", &format!("/api/v1/events/{left}/retract"), &t, Some(json!({"reason": "typo"}))).await;
    assert_eq!(status, 201);
    let all = everything.wait_for_ids(5).await;
    let types: Vec<String> = all
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types.iter().filter(|t| *t == "event.retracted").count(), 1, "{types:?}");
    assert_eq!(types.iter().filter(|t| *t == "event.left").count(), 1, "{types:?}");
    stable.wait_for_ids(1).await;
    branched.wait_for_ids(1).await;
    // Nothing more is on its way to the narrow ones.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let releases = |r: &Receiver| -> Vec<(String, String)> {
        r.received()
            .iter()
            .map(|x| {
                let v: Value = serde_json::from_str(&x.body).unwrap();
                (v["type"].as_str().unwrap().to_owned(), v["data"]["release"].as_str().unwrap().to_owned())
            })
            .collect()
    };
    assert_eq!(releases(&stable), vec![("event.reached".to_owned(), "45".to_owned())]);
    assert_eq!(releases(&branched), vec![("event.reached".to_owned(), "44".to_owned())]);
}

#[tokio::test]
async fn gone_disables_at_once_and_exhausted_retries_disable_with_a_reason() {
    let db = common::sqlite_db();
    let t = token(&db.url, "releng");
    let gone = Receiver::start(Behaviour { fail_first: usize::MAX, fail_status: 410, ..Default::default() }).await;
    let down = Receiver::start(Behaviour { fail_first: usize::MAX, fail_status: 503, ..Default::default() }).await;
    // A redirect is a failure and is not followed (to `elsewhere`).
    let elsewhere = Receiver::start(Behaviour::default()).await;
    let redirect = Receiver::start(Behaviour {
        fail_first: usize::MAX,
        fail_status: 307,
        location: Some(elsewhere.url()),
        ..Default::default()
    })
    .await;
    let s = serve(&db.url, "50ms,50ms").await;
    let (gone_id, _) = subscribe(&s, &t, json!({"url": gone.url()})).await;
    let (down_id, _) = subscribe(&s, &t, json!({"url": down.url()})).await;
    let (redirect_id, _) = subscribe(&s, &t, json!({"url": redirect.url()})).await;
    event(&s, &t, "45", "stable", true).await;
    for (id, reason) in [(gone_id, "410 Gone"), (down_id, "after 3 attempts"), (redirect_id, "answered 307")] {
        wait_until("the subscription is disabled", || {
            let (s, t) = (&s, t.clone());
            async move { call(s, "GET", &format!("/api/v1/webhooks/{id}"), &t, None).await.1["active"] == false }
        })
        .await;
        let (_, sub) = call(&s, "GET", &format!("/api/v1/webhooks/{id}"), &t, None).await;
        assert!(sub["disabled_reason"].as_str().unwrap().contains(reason), "{sub}");
    }
    assert_eq!(gone.received().len(), 1, "410 is not retried");
    assert_eq!(down.received().len(), 3, "the first attempt and one per step");
    assert_eq!(redirect.received().len(), 3, "a redirect fails like any other answer");
    assert!(elsewhere.received().is_empty(), "redirects are not followed");
    // Nothing goes to a disabled subscription; making it active clears the reason.
    event(&s, &t, "46", "stable", true).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(gone.received().len(), 1);
    let (status, sub) =
        call(&s, "PATCH", &format!("/api/v1/webhooks/{gone_id}"), &t, Some(json!({"active": true}))).await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(sub["disabled_reason"], Value::Null);
    // "Redeliver all failed since": the given-up delivery goes again.
    let (status, n) = call(
        &s,
        "POST",
        &format!("/api/v1/webhooks/{down_id}/redeliver-failed"),
        &t,
        Some(json!({"since": "2020-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!((status, n["redelivered"].as_i64()), (202, Some(1)));
    call(&s, "PATCH", &format!("/api/v1/webhooks/{down_id}"), &t, Some(json!({"active": true}))).await;
    wait_until("the redelivery arrived", || {
        let n = down.received().len();
        async move { n > 3 }
    })
    .await;
}

#[tokio::test]
async fn nothing_is_lost_or_doubled_when_the_server_is_killed_with_deliveries_pending() {
    let db = common::sqlite_db();
    let t = token(&db.url, "releng");
    // The receiver is down first: deliveries pile up, failing.
    let port = common::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // Long enough that the first run gives nothing up.
    let s = serve(&db.url, "2s,2s,2s,2s").await;
    subscribe(&s, &t, json!({"url": format!("http://{addr}/hook")})).await;
    const N: usize = 20;
    for i in 0..N {
        event(&s, &t, &format!("{}", 100 + i), "stable", true).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(s); // SIGKILL
    let receiver = Receiver::start_on(addr, Behaviour { delay: Duration::from_millis(30), ..Default::default() }).await;
    // A second run, killed while it delivers, then a third.
    let s = serve(&db.url, "300ms,300ms,300ms,300ms").await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    drop(s);
    let s = serve(&db.url, "300ms,300ms,300ms,300ms").await;
    let got = receiver.wait_for_ids(N).await;
    let mut releases: Vec<String> = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["data"]["release"].as_str().unwrap().to_owned())
        .collect();
    releases.sort();
    releases.dedup();
    assert_eq!(releases.len(), N, "every event arrived");
    // Deduplicated by id, each event arrived once: one id per event.
    let mut by_release: HashMap<String, Vec<String>> = HashMap::new();
    for r in &got {
        let release = serde_json::from_str::<Value>(&r.body).unwrap()["data"]["release"].as_str().unwrap().to_owned();
        by_release.entry(release).or_default().push(r.id.clone());
    }
    for (release, mut ids) in by_release {
        ids.dedup();
        assert_eq!(ids.len(), 1, "release {release} arrived under one id");
    }
    drop(s);
}

#[tokio::test]
async fn two_instances_on_postgres_deliver_each_once() {
    let Some(db) = common::postgres_db().await else { return };
    let t = token(&db.url, "releng");
    let receiver = Receiver::start(Behaviour::default()).await;
    let a = serve(&db.url, "100ms").await;
    let b = serve(&db.url, "100ms").await;
    subscribe(&a, &t, json!({"url": receiver.url()})).await;
    const N: usize = 30;
    for i in 0..N {
        let s = if i % 2 == 0 { &a } else { &b };
        event(s, &t, &format!("{}", 200 + i), "stable", true).await;
    }
    let got = receiver.wait_for_ids(N).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_after = receiver.received();
    assert_eq!(got.len(), N, "no delivery twice");
    assert_eq!(got_after.len(), N, "none later either");
}

#[tokio::test]
async fn the_address_guard_refuses_private_targets_unless_allowed() {
    let db = common::sqlite_db();
    let t = token(&db.url, "releng");
    let s = Served::start(&db.url, &["--webhook-key", KEY]).await;
    for (url, why) in [
        ("http://hooks.example.org/x", "https://"),
        ("https://127.0.0.1/x", "private address"),
        ("https://[::1]/x", "private address"),
        ("https://localhost/hook", "resolves to 127.0.0.1, a private address"),
        ("https://10.1.2.3/x", "private address"),
    ] {
        let (status, answer) = call(&s, "POST", "/api/v1/webhooks", &t, Some(json!({"url": url}))).await;
        assert_eq!(status, 422, "{url}: {answer}");
        assert_eq!(answer["error"]["field"], "url");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{url}: {message}");
    }
    let (_, list) = call(&s, "GET", "/api/v1/webhooks", &t, None).await;
    assert_eq!(list["items"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn without_a_key_webhooks_are_off_and_say_so() {
    let db = common::sqlite_db();
    let t = token(&db.url, "releng");
    let s = Served::start(&db.url, &[]).await;
    let (status, answer) =
        call(&s, "POST", "/api/v1/webhooks", &t, Some(json!({"url": "https://hooks.example.org/"}))).await;
    assert_eq!(status, 409);
    assert!(answer["error"]["message"].as_str().unwrap().contains("WEBHOOK_KEY"), "{answer}");
    let (status, _) = call(&s, "GET", "/api/v1/webhooks", "", None).await;
    assert_eq!(status, 401, "editors only");
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named() {
    let db = common::sqlite_db();
    let t = token(&db.url, "releng");
    let s = serve(&db.url, "100ms").await;
    for (body, field) in [
        (json!({}), "url"),
        (json!({"url": "https://a.example/", "filter": {"dists": [""]}}), "filter.dists"),
        (json!({"url": "https://a.example/", "description": "x".repeat(300)}), "description"),
    ] {
        let (status, answer) = call(&s, "POST", "/api/v1/webhooks", &t, Some(body.clone())).await;
        assert_eq!((status, answer["error"]["field"].as_str()), (422, Some(field)), "{body}: {answer}");
    }
    let (status, _) =
        call(&s, "POST", "/api/v1/webhooks", &t, Some(json!({"url": "https://a.example/", "colour": 1}))).await;
    assert_eq!(status, 422, "unknown fields are refused");
    let (status, _) = call(&s, "GET", "/api/v1/webhooks/99", &t, None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&s, "GET", "/api/v1/webhooks/x", &t, None).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn pings_rotation_and_redelivery() {
    let db = common::sqlite_db();
    let t = token(&db.url, "releng");
    let receiver = Receiver::start(Behaviour::default()).await;
    let s = serve(&db.url, "100ms").await;
    let (sub, old_secret) = subscribe(&s, &t, json!({"url": receiver.url(), "description": "ping me"})).await;
    let (status, queued) = call(&s, "POST", &format!("/api/v1/webhooks/{sub}/ping"), &t, None).await;
    assert_eq!(status, 202, "{queued}");
    let got = receiver.wait_for_ids(1).await;
    let ping: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!((ping["type"].as_str(), ping["data"]["subscription"].as_i64()), (Some("webhook.ping"), Some(sub)));
    // Rotation: both secrets sign during the grace period.
    let (status, rotated) = call(&s, "POST", &format!("/api/v1/webhooks/{sub}/rotate"), &t, None).await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    event(&s, &t, "45", "stable", true).await;
    let got = receiver.wait_for_ids(2).await;
    let last = got.last().unwrap().clone();
    assert_eq!(last.headers["webhook-signature"].split(' ').count(), 2, "two signatures during the grace period");
    for secret in [&new_secret, &old_secret] {
        if let Some(verdicts) = verify_with_library(secret, std::slice::from_ref(&last)) {
            assert_eq!(verdicts, vec!["ok event.reached"]);
        }
    }
    // Redelivery: the same id again.
    let (_, log) = call(&s, "GET", &format!("/api/v1/webhooks/{sub}/deliveries"), &t, None).await;
    let delivery = log["items"][0]["id"].as_i64().unwrap();
    let (status, _) =
        call(&s, "POST", &format!("/api/v1/webhooks/{sub}/deliveries/{delivery}/redeliver"), &t, None).await;
    assert_eq!(status, 202);
    wait_until("the redelivery arrived", || {
        let n = receiver.received().len();
        async move { n >= 3 }
    })
    .await;
    let got = receiver.received();
    assert_eq!(got[2].id, got[1].id, "a redelivery keeps its webhook-id");
    let (status, _) = call(&s, "POST", &format!("/api/v1/webhooks/{sub}/deliveries/999/redeliver"), &t, None).await;
    assert_eq!(status, 404);
    // Deleting forgets it.
    let (status, _) = call(&s, "DELETE", &format!("/api/v1/webhooks/{sub}"), &t, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&s, "GET", &format!("/api/v1/webhooks/{sub}"), &t, None).await;
    assert_eq!(status, 404);
}
