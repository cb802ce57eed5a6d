//! Abuse limits against the real router and a real `serve` process: the
//! body limit on every route, per-client rate limits on writes and logins
//! (with trusted proxies), the request timeout and the concurrency limit.
//! Each limit is configured tiny, so nothing depends on hammering or timing.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use common::{event_body, sqlite_db, TestApp};
use server::settings::{Limits, Rate};

const BIN: &str = env!("CARGO_BIN_EXE_releasetracker");

/// 100 KiB: over the 64 KiB limit.
fn huge() -> String {
    format!(r#"{{"dist":"fedora","release":"40","state":"{}"}}"#, "x".repeat(100 * 1024))
}

fn settings(limits: Limits) -> server::settings::Settings {
    server::settings::Settings { limits, ..TestApp::default_settings() }
}

/// A request from `peer` (as `serve` would attach it).
fn from(peer: &str, method: Method, uri: &str, token: Option<&str>, body: Body) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let mut req = req.body(body).unwrap();
    let addr: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

fn retry_after(r: &common::Response) -> u64 {
    r.headers
        .get(header::RETRY_AFTER)
        .unwrap_or_else(|| panic!("no Retry-After on {}", r.status))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn assert_text(r: &common::Response, status: StatusCode) {
    assert_eq!(r.status, status, "{}", r.text());
    let ct = r.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/plain"), "{ct}");
    assert!(!r.text().is_empty());
}

#[tokio::test]
async fn oversized_bodies_are_refused_on_every_route() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("limits").await;
    let body = huge();
    let routes = [
        (Method::POST, "/api/v1/events", true),
        (Method::PUT, "/api/v1/dists/fedora/releases/40/properties", true),
        (Method::PUT, "/api/v1/dists/fedora/properties", true),
        (Method::POST, "/event", true),
        (Method::POST, "/ui/record_event", false),
        (Method::POST, "/logout", false),
    ];
    for (method, uri, api) in routes {
        // Declared length (refused before reading) and chunked (read up to
        // the limit), with and without a token.
        for declared in [true, false] {
            let mut req = Request::builder()
                .method(method.clone())
                .uri(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            if declared {
                req = req.header(header::CONTENT_LENGTH, body.len());
            }
            let chunks: Vec<Result<Bytes, std::io::Error>> =
                body.as_bytes().chunks(8192).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
            let r = app.send(req.body(Body::from_stream(futures_util::stream::iter(chunks))).unwrap()).await;
            if api {
                assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{method} {uri}: {}", r.text());
                assert_eq!(r.error_code(), "payload_too_large", "{method} {uri}");
            } else {
                assert_text(&r, StatusCode::PAYLOAD_TOO_LARGE);
            }
        }
    }
    // A form post to a server function, as a browser sends it.
    let form = format!("dist=fedora&release=40&state={}", "x".repeat(100 * 1024));
    let r = app
        .send(
            Request::post("/ui/record_event")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    assert_text(&r, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.stored_events().await, (0, 0), "nothing stored");
    assert_eq!(app.stored_property_changes().await, 0);
    // Just under the limit still goes through.
    let ok = event_body("40", "branched", true, "2024-02-13T00:00:00Z");
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &ok).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn writes_are_limited_per_client_and_reads_are_not() {
    let db = sqlite_db();
    let limits = Limits { writes: Rate { per_minute: 1, burst: 2 }, ..Limits::default() };
    let app = TestApp::start_with(&db, settings(limits)).await;
    // Without a valid token (here: a guessed one) the address's budget
    // applies; the writes it lets through are then refused as unauthenticated.
    let guess = format!("rt_{}", "0".repeat(64));
    let write = |peer: &str, i: u32| {
        from(
            peer,
            Method::POST,
            "/api/v1/events",
            Some(&guess),
            Body::from(event_body("40", &format!("s{i}"), true, "2024-02-13T00:00:00Z")),
        )
    };
    let a = "192.0.2.1:40000";
    for i in 0..2 {
        assert_eq!(app.send(write(a, i)).await.status, StatusCode::UNAUTHORIZED);
    }
    let refused = app.send(write(a, 2)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_code(), "rate_limited");
    assert!(refused.text().contains("too many requests from your address"), "{}", refused.text());
    // One a minute: the next one is due in up to 60 s.
    assert!((1..=60).contains(&retry_after(&refused)), "{}", retry_after(&refused));
    // Another port of the same address is the same client.
    assert_eq!(app.send(write("192.0.2.1:40001", 3)).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Every state-changing method and path counts: PUT, DELETE, forms,
    // server functions, /logout.
    let put = from(a, Method::PUT, "/api/v1/dists/fedora/properties", Some(&guess), Body::from("{}"));
    assert_eq!(app.send(put).await.error_code(), "rate_limited");
    let delete = from(a, Method::DELETE, "/api/v1/events/1", None, Body::empty());
    assert_eq!(app.send(delete).await.status, StatusCode::TOO_MANY_REQUESTS);
    let form = from(a, Method::POST, "/event", None, Body::from("dist=fedora"));
    assert_eq!(app.send(form).await.error_code(), "rate_limited");
    for path in ["/ui/record_event", "/logout"] {
        let r = app.send(from(a, Method::POST, path, None, Body::from("dist=fedora"))).await;
        assert_text(&r, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry_after(&r) >= 1);
    }
    // Reads are never limited.
    for _ in 0..50 {
        let r = app.send(from(a, Method::GET, "/api/v1/events", None, Body::empty())).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(app.send(from(a, Method::GET, "/", None, Body::empty())).await.status, StatusCode::OK);
    // Other clients, IPv4 and IPv6, are not affected.
    assert_eq!(app.send(write("192.0.2.2:40000", 4)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(write("[2001:db8:1::1]:40000", 5)).await.status, StatusCode::UNAUTHORIZED);
    // ... but the rest of that IPv6 /64 is the same client.
    assert_eq!(app.send(write("[2001:db8:1::2]:40000", 6)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(write("[2001:db8:1::3]:40000", 7)).await.status, StatusCode::TOO_MANY_REQUESTS);
    // A valid token spends its identity's budget, not the address's: the
    // exhausted address still writes with one.
    let token = app.token("limits").await;
    for i in 8..12 {
        let body = Body::from(event_body("40", &format!("s{i}"), true, "2024-02-13T00:00:00Z"));
        assert_eq!(
            app.send(from(a, Method::POST, "/api/v1/events", Some(&token), body)).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(app.stored_events().await, (4, 0));
    assert_eq!(app.stored_property_changes().await, 0);
}

/// Writes with a valid API token are limited per identity — the owner of
/// personal tokens, or the service token — wherever they come from; a
/// release engineer's plain loop of 200 events passes under the defaults.
#[tokio::test]
async fn token_writes_are_limited_per_identity() {
    let db = sqlite_db();
    let limits = Limits {
        writes: Rate { per_minute: 1, burst: 1 },
        token_writes: Rate { per_minute: 1, burst: 3 },
        ..Limits::default()
    };
    let app = TestApp::start_with(&db, settings(limits)).await;
    let bot = app.token("releng-bot").await;
    let other = app.token("other-bot").await;
    let post = |peer: &str, token: &str, i: u32| {
        from(
            peer,
            Method::POST,
            "/api/v1/events",
            Some(token),
            Body::from(event_body("40", &format!("t{i}"), true, "2024-02-13T00:00:00Z")),
        )
    };
    // Three (the burst) from three addresses: one identity, one budget.
    for (i, peer) in ["192.0.2.1:1", "192.0.2.2:1", "[2001:db8::1]:1"].into_iter().enumerate() {
        assert_eq!(app.send(post(peer, &bot, i as u32)).await.status, StatusCode::CREATED);
    }
    let refused = app.send(post("192.0.2.3:1", &bot, 3)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text().contains("too many writes with your API token"), "{}", refused.text());
    assert!((1..=60).contains(&retry_after(&refused)));
    // Another identity, from the same address, has its own budget.
    assert_eq!(app.send(post("192.0.2.1:1", &other, 4)).await.status, StatusCode::CREATED);
    // A revoked token is no identity: the address's strict budget applies.
    app.store.revoke_token("other-bot", chrono::Utc::now()).await.unwrap();
    assert_eq!(app.send(post("192.0.2.9:1", &other, 5)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(post("192.0.2.9:1", &other, 6)).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.stored_events().await, (4, 0));

    // The defaults: a plain loop, no retries, 200 real events, one address.
    let db = sqlite_db();
    let app = TestApp::start_with(&db, settings(Limits::default())).await;
    let token = app.token("releng").await;
    for i in 0..200 {
        let r = app.send(post("192.0.2.1:1", &token, i)).await;
        assert_eq!(r.status, StatusCode::CREATED, "event {i}: {}", r.text());
    }
    // Guessing tokens from one address stays under the strict limit.
    let mut guessed = Vec::new();
    let started = Instant::now();
    for i in 0..300 {
        let guess = format!("rt_{i:064x}");
        guessed.push(
            app.send(from("192.0.2.50:1", Method::POST, "/api/v1/events", Some(&guess), Body::from("{}"))).await.status,
        );
    }
    // The default burst of 120, plus 10 a second while the loop ran.
    let allowed = guessed.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refills = (started.elapsed().as_secs_f64() * 10.0).ceil() as usize + 1;
    assert!((120..=120 + refills).contains(&allowed), "{allowed} guesses answered, {refills} refills");
    assert_eq!(guessed.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 300 - allowed);
}

#[tokio::test]
async fn logins_have_their_own_stricter_limit() {
    let db = sqlite_db();
    let limits = Limits {
        writes: Rate { per_minute: 1000, burst: 1000 },
        logins: Rate { per_minute: 1, burst: 2 },
        ..Limits::default()
    };
    let app = TestApp::start_with(&db, settings(limits)).await;
    let a = "198.51.100.7:5000";
    for path in ["/login", "/auth/callback?code=x&state=y"] {
        let r = app.send(from(a, Method::GET, path, None, Body::empty())).await;
        assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS, "{path}");
    }
    for path in ["/login", "/auth/callback?code=x&state=y"] {
        let r = app.send(from(a, Method::GET, path, None, Body::empty())).await;
        assert_text(&r, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry_after(&r) >= 1);
    }
    // Other pages, writes and other clients are not affected.
    assert_eq!(app.send(from(a, Method::GET, "/", None, Body::empty())).await.status, StatusCode::OK);
    let token = app.token("limits").await;
    let body = event_body("40", "branched", true, "2024-02-13T00:00:00Z");
    let r = app.send(from(a, Method::POST, "/api/v1/events", Some(&token), Body::from(body))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app.send(from("198.51.100.8:5000", Method::GET, "/login", None, Body::empty())).await;
    assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    let db = sqlite_db();
    let limits = Limits {
        writes: Rate { per_minute: 1, burst: 1 },
        trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
        ..Limits::default()
    };
    let app = TestApp::start_with(&db, settings(limits)).await;
    // Without a token, so the per-address limit applies (allowed writes
    // are then refused as unauthenticated, refused ones as too many).
    let post = |peer: &str, forwarded: &str| {
        let mut req = from(peer, Method::POST, "/api/v1/events", None, Body::from("{}"));
        req.headers_mut().insert("x-forwarded-for", forwarded.parse().unwrap());
        req
    };
    // Behind the trusted proxy, each forwarded client has its own budget;
    // what a client put in front of the proxy's entry is not believed.
    assert_eq!(app.send(post("10.0.0.1:1", "203.0.113.1")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(post("10.0.0.1:1", "203.0.113.2")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(post("10.0.0.1:1", "9.9.9.9, 203.0.113.1")).await.status, StatusCode::TOO_MANY_REQUESTS);
    // From anyone else the header is ignored: changing it does not help.
    assert_eq!(app.send(post("192.0.2.9:1", "203.0.113.3")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(post("192.0.2.9:1", "203.0.113.4")).await.status, StatusCode::TOO_MANY_REQUESTS);
}

/// A body that sends nothing until released: the request stays in flight.
/// `entered` fires once the server starts reading it.
fn held_body(entered: tokio::sync::oneshot::Sender<()>, release: tokio::sync::oneshot::Receiver<()>) -> Body {
    let stream = futures_util::stream::once(async move {
        let _ = entered.send(());
        let _ = release.await;
        Ok::<_, std::io::Error>(Bytes::from_static(b"{}"))
    });
    Body::from_stream(stream)
}

#[tokio::test]
async fn slow_requests_time_out_with_503() {
    let db = sqlite_db();
    let limits = Limits { request_timeout: Some(Duration::from_millis(300)), ..Limits::default() };
    let app = TestApp::start_with(&db, settings(limits)).await;
    let token = app.token("limits").await;
    for (path, api) in [("/api/v1/events", true), ("/ui/record_event", false)] {
        let (entered, _entered) = tokio::sync::oneshot::channel();
        let (_release, release) = tokio::sync::oneshot::channel::<()>();
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(held_body(entered, release))
            .unwrap();
        let started = Instant::now();
        let r = app.send(req).await;
        assert!(started.elapsed() >= Duration::from_millis(300));
        if api {
            assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(r.error_code(), "timeout");
        } else {
            assert_text(&r, StatusCode::SERVICE_UNAVAILABLE);
        }
        assert!(retry_after(&r) >= 1);
    }
    assert_eq!(app.stored_events().await, (0, 0));
    // Quick requests are untouched.
    assert_eq!(app.get("/api/v1/events").await.status, StatusCode::OK);
}

#[tokio::test]
async fn requests_over_the_concurrency_limit_are_shed() {
    let db = sqlite_db();
    let limits = Limits { max_concurrent: Some(1), request_timeout: None, ..Limits::default() };
    let app = TestApp::start_with(&db, settings(limits)).await;
    let (entered, is_in) = tokio::sync::oneshot::channel();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let held = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/json")
        .body(held_body(entered, released))
        .unwrap();
    let router = app.router.clone();
    let first = tokio::spawn(async move {
        use tower::ServiceExt;
        router.oneshot(held).await.map(|r| r.status())
    });
    is_in.await.expect("the held request is being served");
    for (path, api) in [("/api/v1/events", true), ("/healthz", true), ("/", false)] {
        let r = app.get(path).await;
        if api {
            assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert_eq!(r.error_code(), "unavailable");
        } else {
            assert_text(&r, StatusCode::SERVICE_UNAVAILABLE);
        }
        assert!(retry_after(&r) >= 1);
    }
    // The views are read from memory and pass no global limit (the
    // per-client one still counts them).
    assert_eq!(app.get("/api/v1/dists").await.status, StatusCode::OK);
    release.send(()).unwrap();
    // Served once released (no token: refused by authentication).
    assert_eq!(first.await.unwrap().unwrap(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/events").await.status, StatusCode::OK);
}

// ---- a real `serve` process: the peer address is the client ----

/// One HTTP/1.1 request from `local` (a loopback address of the client's
/// choosing) to the server; answers status, headers (lowercase) and body.
async fn request_from(
    local: &str,
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test]
async fn serve_limits_each_peer_address() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("l.db").display());
    let out = Command::new(BIN).args(["--database", &db, "token", "create", "--name", "l"]).output().unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().lines().last().unwrap().trim().to_owned();
    let port = common::free_port();
    let mut server = Command::new(BIN)
        .args(["--database", &db, "--log-level", "warn", "serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--write-rate-limit", "1", "--write-burst", "2"])
        .args(["--token-write-rate-limit", "1", "--token-write-burst", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while common::http(port, "GET", "/healthz", "", "").await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let body = |i: u32| event_body("40", &format!("s{i}"), true, "2024-02-13T00:00:00Z");
    // Without a valid token: the address's budget.
    let guess = format!("rt_{}", "f".repeat(64));
    for i in 0..2 {
        assert_eq!(request_from("127.0.0.1", port, "POST", "/api/v1/events", &guess, &body(i)).await.0, 401);
    }
    let (status, head, answer) = request_from("127.0.0.1", port, "POST", "/api/v1/events", &guess, &body(2)).await;
    assert_eq!(status, 429, "{answer}");
    assert!(head.contains("\r\nretry-after: "), "{head}");
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    // Reads from the limited client, and writes from another loopback
    // address, go through.
    for _ in 0..20 {
        assert_eq!(request_from("127.0.0.1", port, "GET", "/api/v1/events", "", "").await.0, 200);
    }
    assert_eq!(request_from("127.0.0.2", port, "POST", "/api/v1/events", &guess, &body(3)).await.0, 401);
    // With the valid token: the identity's budget, from the limited
    // address too, and shared between addresses.
    for i in 0..3 {
        assert_eq!(request_from("127.0.0.1", port, "POST", "/api/v1/events", &token, &body(10 + i)).await.0, 201);
    }
    assert_eq!(request_from("127.0.0.4", port, "POST", "/api/v1/events", &token, &body(13)).await.0, 429);

    // How fast a flood is refused (figures for docs/reliability-limits.md).
    let flood = 2000;
    let t = Instant::now();
    let mut refused = 0;
    for i in 0..flood {
        if request_from("127.0.0.1", port, "POST", "/api/v1/events", &guess, &body(100 + i)).await.0 == 429 {
            refused += 1;
        }
    }
    let elapsed = t.elapsed();
    eprintln!(
        "flood: {refused}/{flood} refused with 429 in {elapsed:?} ({:.0} requests/s, {:?} each, one connection each)",
        flood as f64 / elapsed.as_secs_f64(),
        elapsed / flood
    );
    assert!(refused >= flood - 2, "at most a refill or two in the flood");
    assert_eq!(request_from("127.0.0.3", port, "POST", "/api/v1/events", &guess, &body(4)).await.0, 401);

    // SIGTERM still stops the server cleanly with the limit layers on.
    assert!(Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap().success());
    assert!(server.wait().unwrap().success());
    let export = Command::new(BIN).args(["--database", &db, "export"]).output().unwrap();
    let stored = String::from_utf8(export.stdout).unwrap().lines().count() as u32;
    // The token's burst, plus a refill a slow run may have let through.
    assert!((3..=4).contains(&stored), "{stored} events stored");
}

/// A `GET` whose body never finishes is answered at once: only methods
/// that take a body have it read, so a trickled body cannot hold a slot.
#[tokio::test]
async fn a_get_with_a_never_ending_body_is_answered_at_once() {
    let db = sqlite_db();
    let app = TestApp::start_with(&db, settings(Limits::default())).await;
    for uri in ["/api/v1/events", "/", "/healthz", "/feed.atom"] {
        let endless = futures_util::stream::pending::<Result<Bytes, std::io::Error>>();
        let req = Request::get(uri).body(Body::from_stream(endless)).unwrap();
        let answered = tokio::time::timeout(Duration::from_secs(5), app.send(req)).await;
        let r = answered.unwrap_or_else(|_| panic!("GET {uri} waited for its body"));
        assert_eq!(r.status, StatusCode::OK, "GET {uri}");
    }
}

/// One address holding its share of slow requests is refused more (429),
/// while another address is served; the share comes back as they finish.
#[tokio::test]
async fn one_address_cannot_take_every_slot() {
    use tower::ServiceExt;
    let db = sqlite_db();
    let limits = Limits { max_per_client: Some(2), request_timeout: None, writes: Rate::OFF, ..Limits::default() };
    let app = TestApp::start_with(&db, settings(limits)).await;
    let mut held = Vec::new();
    let mut releases = Vec::new();
    for _ in 0..2 {
        let (entered, is_in) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let req = from("192.0.2.7:4000", Method::POST, "/api/v1/events", None, held_body(entered, released));
        let router = app.router.clone();
        held.push(tokio::spawn(async move { router.oneshot(req).await.map(|r| r.status()) }));
        is_in.await.expect("held");
        releases.push(release);
    }
    let refused = app.send(from("192.0.2.7:4001", Method::GET, "/api/v1/events", None, Body::empty())).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_code(), "rate_limited");
    assert!(retry_after(&refused) >= 1);
    let other = app.send(from("198.51.100.9:4000", Method::GET, "/api/v1/events", None, Body::empty())).await;
    assert_eq!(other.status, StatusCode::OK, "another address is served");
    for release in releases {
        release.send(()).unwrap();
    }
    for h in held {
        assert_eq!(h.await.unwrap().unwrap(), StatusCode::UNAUTHORIZED, "served once released (no token)");
    }
    let again = app.send(from("192.0.2.7:4002", Method::GET, "/api/v1/events", None, Body::empty())).await;
    assert_eq!(again.status, StatusCode::OK, "the slots came back");
}

/// A client that sends its request head slowly, or not at all, loses the
/// connection after the header-read timeout; complete requests on other
/// connections (and on the same one, kept alive) are served as before.
#[tokio::test]
async fn a_trickled_request_head_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("h.db").display());
    let port = common::free_port();
    let mut server = Command::new(BIN)
        .args(["--database", &db, "--log-level", "warn", "serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--header-read-timeout", "1s"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while common::http(port, "GET", "/healthz", "", "").await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect = move || tokio::net::TcpStream::connect(("127.0.0.1", port));

    // Nothing at all; half a head, then silence; a head trickled a byte at
    // a time.
    let mut mute = connect().await.unwrap();
    let mut silent = connect().await.unwrap();
    silent.write_all(b"GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\n").await.unwrap();
    let trickled = tokio::spawn(async move {
        let mut stream = connect().await.unwrap();
        let t = Instant::now();
        for byte in b"GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".iter().cycle() {
            if stream.write_all(&[*byte]).await.is_err() || t.elapsed() > Duration::from_secs(10) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        t.elapsed()
    });
    let t = Instant::now();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(8), silent.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "a half-sent head kept its connection for 8 s");
    assert!(t.elapsed() >= Duration::from_millis(900), "cut before the timeout: {:?}", t.elapsed());
    let answer = String::from_utf8_lossy(&rest);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    let closed = tokio::time::timeout(Duration::from_secs(2), mute.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "a connection that sent nothing was kept");
    let trickle = trickled.await.unwrap();
    assert!(trickle < Duration::from_secs(8), "a trickled head kept its connection for {trickle:?}");

    // Meanwhile, and after, whole requests are answered; a kept-alive
    // connection idle for less than the timeout serves its next request.
    let mut kept = connect().await.unwrap();
    for _ in 0..2 {
        kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 512];
        let n = kept.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(common::http(port, "GET", "/healthz", "", "").await.unwrap().0, 200);

    assert!(Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap().success());
    assert!(server.wait().unwrap().success());
}
