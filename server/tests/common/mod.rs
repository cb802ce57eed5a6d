//! Shared test fixtures: a store on SQLite (always) or PostgreSQL (when
//! reachable; required with `CI=true`), the real router, and request helpers.

#![allow(dead_code)]

pub mod broker;
pub mod oidc;
pub mod proxy;
pub mod python;
pub mod served;
pub mod sse;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use server::projection::Projection;
use server::store::Store;
use server::AppState;
use tower::ServiceExt;

/// Where the tests find PostgreSQL; the tests create and drop their own
/// databases next to this one.
pub fn pg_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database for one test, removed when dropped (SQLite: its directory).
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let admin = pg_admin_url();
            // Best effort, on a thread of its own: Drop cannot be async.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&pool)
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

impl TestDb {
    /// The same database reached at another URL (through a proxy); the
    /// returned handle owns nothing, `self` still drops the database.
    pub fn at(&self, url: String) -> TestDb {
        TestDb { url, _dir: None, pg_name: None }
    }
}

/// A fresh SQLite file.
pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    TestDb { url, _dir: Some(dir), pg_name: None }
}

/// A fresh PostgreSQL database, or `None` (with a loud notice) when the
/// server is not reachable. With `CI=true` an unreachable server fails.
pub async fn postgres_db() -> Option<TestDb> {
    let admin = pg_admin_url();
    let pool = match sqlx::PgPool::connect(&admin).await {
        Ok(p) => p,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL at {admin} is required with CI=true: {e}");
            }
            eprintln!("SKIPPED: PostgreSQL not reachable at {admin} ({e}); set TEST_POSTGRES_URL");
            return None;
        }
    };
    let name = format!("rt_test_{}", hex::encode(rand::random::<[u8; 6]>()));
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    Some(TestDb { url: format!("{base}/{name}"), _dir: None, pg_name: Some(name) })
}

/// The public URL of test apps.
pub const PUBLIC_URL: &str = "http://127.0.0.1:3999/";

/// An app on `db`: store, projection loaded from it, router.
pub struct TestApp {
    pub store: Store,
    pub state: AppState,
    pub router: Router,
}

impl TestApp {
    pub async fn start(db: &TestDb) -> Self {
        let store = Store::connect(&db.url).await.expect("connect");
        let projection: Arc<Projection> = Projection::load(&store).await.expect("load");
        let options = server::leptos_options("target/site", "127.0.0.1:0".parse().unwrap());
        let state = AppState::new(store.clone(), projection, options).expect("state");
        let router = server::router(state.clone());
        Self { store, state, router }
    }

    /// An app with these settings.
    pub async fn start_with(db: &TestDb, settings: server::settings::Settings) -> Self {
        let store = Store::connect(&db.url).await.expect("connect");
        let projection: Arc<Projection> = Projection::load(&store).await.expect("load");
        let options = server::leptos_options("target/site", "127.0.0.1:0".parse().unwrap());
        let state = AppState::with_settings(store.clone(), projection, options, settings).expect("state");
        let router = server::router(state.clone());
        Self { store, state, router }
    }

    /// Settings at their defaults, public at `PUBLIC_URL`.
    pub fn default_settings() -> server::settings::Settings {
        server::settings::Settings::defaults(url::Url::parse(PUBLIC_URL).expect("URL"))
    }

    /// An app with these login settings.
    pub async fn start_with_auth(db: &TestDb, auth: server::auth::config::AuthSettings) -> Self {
        Self::start_with(db, server::settings::Settings { auth, ..Self::default_settings() }).await
    }

    /// Creates an API token and returns its secret.
    pub async fn token(&self, name: &str) -> String {
        let (token, hash) = server::auth::new_token();
        self.store.create_token(name, &hash, chrono::Utc::now(), None, None).await.expect("token");
        token
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let response = self.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        // A stream never ends: its body is left unread here (tests of the
        // stream read it over TCP, see `sse`).
        let streaming =
            headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let bytes = if streaming {
            Vec::new()
        } else {
            response.into_body().collect().await.expect("body").to_bytes().to_vec()
        };
        Response { status, headers, bytes }
    }

    pub async fn get(&self, uri: &str) -> Response {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn post_json(&self, uri: &str, token: Option<&str>, body: &str) -> Response {
        let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(req.body(Body::from(body.to_owned())).unwrap()).await
    }

    pub async fn put_json(&self, uri: &str, token: Option<&str>, body: &str) -> Response {
        let mut req = Request::put(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(req.body(Body::from(body.to_owned())).unwrap()).await
    }

    /// Number of property changes, straight from the database.
    pub async fn stored_property_changes(&self) -> usize {
        self.store.property_changes_after(0, i64::MAX).await.unwrap().len()
    }

    /// Number of rows in the log, straight from the database.
    pub async fn stored_events(&self) -> (usize, usize) {
        let events = self.store.events_after(0, i64::MAX).await.unwrap().len();
        let retractions = self.store.retractions_after(0, i64::MAX).await.unwrap().len();
        (events, retractions)
    }
}

/// A collected response.
pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts the documented error shape and returns the code.
    pub fn error_code(&self) -> String {
        let v = self.json();
        let code = v["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {v}"));
        assert!(v["error"]["message"].is_string(), "no message in {v}");
        code.to_owned()
    }
}

/// A valid event body for `release` and `state`.
pub fn event_body(release: &str, state: &str, reached: bool, at: &str) -> String {
    serde_json::json!({"dist": "fedora", "release": release, "state": state, "reached": reached, "at": at}).to_string()
}

/// A minimal HTTP/1.1 client for tests against a real server process: one
/// request per connection; answers the status and the body.
pub async fn http(port: u16, method: &str, path: &str, token: &str, body: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {text:?}")))?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
