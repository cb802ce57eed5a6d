//! Browser logins against a real OpenID provider on loopback: the login
//! flow (state, nonce, PKCE, `client_secret_post`, groups from UserInfo,
//! Ipsilon's `amr: "[]"`), session rotation and logout, CSRF, and who may
//! write through which door.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::oidc::{sign_in_at_provider, Provider, CLIENT_ID, CLIENT_SECRET};
use common::{event_body, sqlite_db, Response, TestApp, TestDb};
use server::auth::config::{AuthSettings, ClientAuth, OidcSettings, FEDORA_SCOPES};
use server::auth::session::COOKIE_NAME;

const PUBLIC: &str = "http://127.0.0.1:3999";

fn settings(issuer: &str) -> AuthSettings {
    let mut s = AuthSettings::without_login(url::Url::parse(&format!("{PUBLIC}/")).unwrap());
    s.oidc = Some(OidcSettings {
        issuer: url::Url::parse(issuer).unwrap(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        scopes: FEDORA_SCOPES.split(' ').map(str::to_owned).collect(),
        client_auth: ClientAuth::Post,
    });
    s
}

/// A browser: our session cookie, and its CSRF token once signed in.
#[derive(Default, Clone)]
struct Browser {
    cookie: Option<String>,
}

impl Browser {
    async fn send(&mut self, app: &TestApp, mut req: Request<Body>) -> Response {
        if let Some(c) = &self.cookie {
            req.headers_mut().insert(header::COOKIE, format!("{COOKIE_NAME}={c}").parse().unwrap());
        }
        let res = app.send(req).await;
        for v in res.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            if let Some(rest) = v.strip_prefix(&format!("{COOKIE_NAME}=")) {
                let value = rest.split(';').next().unwrap().to_owned();
                self.cookie = (!value.is_empty() && !v.contains("Max-Age=0")).then_some(value);
            }
        }
        res
    }

    async fn get(&mut self, app: &TestApp, uri: &str) -> Response {
        self.send(app, Request::get(uri).header(header::ACCEPT, "text/html").body(Body::empty()).unwrap()).await
    }

    /// A same-origin form post, as a browser without JavaScript sends it.
    async fn form(&mut self, app: &TestApp, uri: &str, fields: &[(&str, &str)], accept_html: bool) -> Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let accept = if accept_html { "text/html,application/xhtml+xml" } else { "application/json" };
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, accept)
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, PUBLIC)
            .body(Body::from(body))
            .unwrap();
        self.send(app, req).await
    }

    async fn json(&mut self, app: &TestApp, uri: &str, body: &str, csrf: Option<&str>) -> Response {
        self.json_as(app, "POST", uri, body, csrf).await
    }

    /// A same-origin JSON request, as a script in the page sends it.
    async fn json_as(&mut self, app: &TestApp, method: &str, uri: &str, body: &str, csrf: Option<&str>) -> Response {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header("sec-fetch-site", "same-origin");
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        self.send(app, req.body(Body::from(body.to_owned())).unwrap()).await
    }

    /// Signs in as `user` through the provider; answers the redirect target.
    async fn sign_in(&mut self, app: &TestApp, user: &str, next: &str) -> String {
        let start = self.get(app, &format!("/login?next={}", urlencode(next))).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.text());
        let authorize = location(&start);
        let back = sign_in_at_provider(&authorize, user).await;
        let path = back.strip_prefix(PUBLIC).expect("back to our public URL").to_owned();
        let done = self.get(app, &path).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "callback: {}", done.text());
        location(&done)
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn location(r: &Response) -> String {
    r.headers.get(header::LOCATION).expect("Location").to_str().unwrap().to_owned()
}

/// The CSRF token of the signed-in page (`name="csrf_token" value="…"`).
fn csrf_of(page: &Response) -> String {
    let text = page.text();
    let at = text.find("name=\"csrf_token\" value=\"").expect("a CSRF field") + 25;
    text[at..at + 64].to_owned()
}

async fn app_with_provider(db: &TestDb, extra: &[&str]) -> Option<(TestApp, Provider)> {
    let provider = Provider::start(&format!("{PUBLIC}/auth/callback"), extra).await?;
    let app = TestApp::start_with_auth(db, settings(&provider.issuer)).await;
    Some((app, provider))
}

#[tokio::test]
async fn login_sends_state_nonce_and_pkce_and_rotates_the_session() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut browser = Browser::default();
    let start = browser.get(&app, "/login?next=/events").await;
    let authorize = url::Url::parse(&location(&start)).unwrap();
    let q: BTreeMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16 && q["code_challenge"].len() >= 43);
    assert!(q["scope"].contains("https://id.fedoraproject.org/scope/groups"));
    let planted = browser.cookie.clone().expect("a session for the login in progress");

    let back = sign_in_at_provider(authorize.as_str(), "editor").await;
    let done = browser.get(&app, back.strip_prefix(PUBLIC).unwrap()).await;
    assert_eq!(location(&done), "/events");
    let rotated = browser.cookie.clone().unwrap();
    assert_ne!(planted, rotated, "the session id changes at login");
    let cookie = done.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "not Secure over http");

    let page = browser.get(&app, "/").await;
    assert!(page.text().contains("Signed in as <strong>editor</strong>"), "{}", page.text());
    // The id from before the login is worth nothing (no fixation).
    let mut attacker = Browser { cookie: Some(planted) };
    assert!(!attacker.get(&app, "/").await.text().contains("Signed in as"));
    // The callback works once.
    let replay = browser.get(&app, back.strip_prefix(PUBLIC).unwrap()).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_callback_refuses_a_foreign_state_and_next_stays_on_site() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut browser = Browser::default();
    let start = browser.get(&app, "/login").await;
    let back = sign_in_at_provider(&location(&start), "editor").await;
    let forged = back.replace("state=", "state=x");
    let res = browser.get(&app, forged.strip_prefix(PUBLIC).unwrap()).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(!res.text().contains("state="), "no echo of the request");

    for next in ["//evil.example/x", "https://evil.example/", "/\\evil.example"] {
        let mut b = Browser::default();
        assert_eq!(b.sign_in(&app, "editor", next).await, "/", "{next}");
    }
    // Tabs and escapes that browsers turn into `//evil.example`.
    for next in ["/\t/evil.example", "/%09/evil.example", "/%2F/evil.example", "/%5Cevil.example"] {
        let mut b = Browser::default();
        assert_eq!(b.sign_in(&app, "editor", next).await, "/", "{next}");
    }
    let mut b = Browser::default();
    assert_eq!(b.sign_in(&app, "editor", "/dists/fedora?at=2021-03-01").await, "/dists/fedora?at=2021-03-01");
}

#[tokio::test]
async fn ipsilon_amr_string_does_not_break_login() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &["--amr-string"]).await else { return };
    let mut browser = Browser::default();
    assert_eq!(browser.sign_in(&app, "editor", "/").await, "/");
    assert!(browser.get(&app, "/").await.text().contains("Signed in as <strong>editor</strong>"));
}

#[tokio::test]
async fn basic_client_auth_is_refused_by_a_fedora_like_provider() {
    // The provider accepts only client_secret_post: a client configured
    // for Basic cannot log in, which shows the default really posts.
    let db = sqlite_db();
    let Some(provider) = Provider::start(&format!("{PUBLIC}/auth/callback"), &[]).await else { return };
    let mut s = settings(&provider.issuer);
    s.oidc.as_mut().unwrap().client_auth = ClientAuth::Basic;
    let app = TestApp::start_with_auth(&db, s).await;
    let mut browser = Browser::default();
    let start = browser.get(&app, "/login").await;
    let back = sign_in_at_provider(&location(&start), "editor").await;
    let res = browser.get(&app, back.strip_prefix(PUBLIC).unwrap()).await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY);
    assert!(!browser.get(&app, "/").await.text().contains("Signed in as"));
}

#[tokio::test]
async fn who_may_write_through_which_door() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let seed = app.token("seed").await;
    let first =
        app.post_json("/api/v1/events", Some(&seed), &event_body("40", "active", true, "2024-01-01T00:00:00Z")).await;
    assert_eq!(first.status, StatusCode::CREATED);

    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let csrf = csrf_of(&editor.get(&app, "/events/new").await);
    let mut viewer = Browser::default();
    viewer.sign_in(&app, "viewer", "/").await;
    let viewer_page = viewer.get(&app, "/events/new").await;
    assert_eq!(viewer_page.status, StatusCode::FORBIDDEN);
    assert!(viewer_page.text().contains("not in an editor group (releng)"));
    let mut anonymous = Browser::default();

    let body = event_body("41", "active", true, "2024-02-01T00:00:00Z");
    // JSON API: a session needs the CSRF header; tokens need nothing else.
    assert_eq!(anonymous.json(&app, "/api/v1/events", &body, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(viewer.json(&app, "/api/v1/events", &body, Some(&csrf)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(editor.json(&app, "/api/v1/events", &body, None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        editor.json(&app, "/api/v1/events", &body, Some("0".repeat(64).as_str())).await.status,
        StatusCode::FORBIDDEN
    );
    let made = editor.json(&app, "/api/v1/events", &body, Some(&csrf)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    assert_eq!(made.json()["recorded_by"], "editor");
    assert_eq!(made.json()["source"], "web");

    // Forms (server functions), as a page with JavaScript posts them.
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("dist", "fedora"),
        ("release", "42"),
        ("state", "active"),
        ("reached", "true"),
    ];
    let no_token = [("dist", "fedora"), ("release", "42"), ("state", "active"), ("reached", "true")];
    assert_eq!(anonymous.form(&app, "/ui/record_event", &no_token, false).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(viewer.form(&app, "/ui/record_event", &fields, false).await.status, StatusCode::FORBIDDEN);
    assert_eq!(editor.form(&app, "/ui/record_event", &no_token, false).await.status, StatusCode::FORBIDDEN);
    let ok = editor.form(&app, "/ui/record_event", &fields, false).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert!(ok.text().contains("42 entered active"), "{}", ok.text());

    // Cross-site, even with the right token.
    let cross = Request::post("/ui/record_event")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
        .unwrap();
    assert_eq!(editor.send(&app, cross).await.status, StatusCode::FORBIDDEN);
    let foreign_origin = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, "https://evil.example")
        .header("x-csrf-token", &csrf)
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(editor.send(&app, foreign_origin).await.status, StatusCode::FORBIDDEN);
    // No state-changing server function answers GET.
    let get = editor.get(&app, "/ui/record_event?dist=fedora&release=43&state=active&reached=true").await;
    assert!(get.status.is_client_error(), "{}", get.status);

    // Retract and correct, each door.
    let id = first.json()["id"].as_i64().unwrap();
    let retract_fields = [("csrf_token", csrf.as_str()), ("id", "999999"), ("reason", "typo")];
    assert_eq!(viewer.form(&app, "/ui/retract_event", &retract_fields, false).await.status, StatusCode::FORBIDDEN);
    assert_eq!(editor.form(&app, "/ui/retract_event", &retract_fields, false).await.status, StatusCode::NOT_FOUND);
    let id_text = id.to_string();
    let correct = [
        ("csrf_token", csrf.as_str()),
        ("id", id_text.as_str()),
        ("reason", "wrong release"),
        ("dist", "fedora"),
        ("release", "39"),
        ("state", "active"),
        ("reached", "true"),
        ("at", "2024-01-01T00:00"),
    ];
    let corrected = editor.form(&app, "/ui/correct_event", &correct, false).await;
    assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.text());
    let old = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(old["retraction"]["reason"], "wrong release");
    let new_id = old["corrected_by"].as_i64().expect("linked to its correction");
    let new = app.get(&format!("/api/v1/events/{new_id}")).await.json();
    assert_eq!(new["corrects"], id);
    assert_eq!(new["release"], "39");
    assert_eq!(new["at"], "2024-01-01T00:00:00Z");
    // Correcting again is a conflict and changes nothing.
    let before = app.stored_events().await;
    assert_eq!(editor.form(&app, "/ui/correct_event", &correct, false).await.status, StatusCode::CONFLICT);
    assert_eq!(app.stored_events().await, before);

    // Logout is a POST with the token; afterwards the cookie is worthless.
    let old_cookie = editor.cookie.clone();
    assert_eq!(editor.form(&app, "/logout", &[("csrf_token", "nope")], true).await.status, StatusCode::FORBIDDEN);
    let out = editor.form(&app, "/logout", &[("csrf_token", csrf.as_str())], true).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let mut stale = Browser { cookie: old_cookie };
    assert_eq!(stale.json(&app, "/api/v1/events", &body, Some(&csrf)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn properties_are_written_by_signed_in_editors_too() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let csrf = csrf_of(&editor.get(&app, "/events/new").await);
    let mut viewer = Browser::default();
    viewer.sign_in(&app, "viewer", "/").await;
    let uri = "/api/v1/dists/fedora/releases/44/properties";
    let body = r#"{"codename":"Heisenbug"}"#;

    assert_eq!(Browser::default().json_as(&app, "PUT", uri, body, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(viewer.json_as(&app, "PUT", uri, body, Some(&csrf)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(editor.json_as(&app, "PUT", uri, body, None).await.status, StatusCode::FORBIDDEN, "CSRF token needed");
    assert_eq!(app.stored_property_changes().await, 0);
    let put = editor.json_as(&app, "PUT", uri, body, Some(&csrf)).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    assert_eq!(put.json(), serde_json::json!({"codename": "Heisenbug"}));
    let changes = app.get(&format!("{uri}/history")).await.json()["changes"].clone();
    assert_eq!((changes[0]["recorded_by"].as_str(), changes[0]["source"].as_str()), (Some("editor"), Some("web")));
    let dist =
        editor.json_as(&app, "PUT", "/api/v1/dists/fedora/properties", r#"{"name":"Fedora Linux"}"#, Some(&csrf)).await;
    assert_eq!(dist.status, StatusCode::OK, "{}", dist.text());
}

#[tokio::test]
async fn plain_form_posts_redirect_and_keep_what_was_typed() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let csrf = csrf_of(&editor.get(&app, "/events/new").await);
    let bad = [
        ("csrf_token", csrf.as_str()),
        ("dist", "fedora"),
        ("release", "44"),
        ("state", "branched"),
        ("reached", "true"),
        ("at", "2999-01-01T00:00"),
        ("note", "F44 <branch> & freeze"),
    ];
    let refused = editor.form(&app, "/ui/record_event", &bad, true).await;
    assert_eq!(refused.status, StatusCode::FOUND);
    assert_eq!(location(&refused), "/events/new");
    let page = editor.get(&app, "/events/new").await.text();
    assert!(page.contains("lies more than five minutes in the future"), "the error is shown");
    assert!(page.contains("id=\"record-at-error\""), "next to its field");
    assert!(page.contains("F44 &lt;branch&gt; &amp; freeze"), "what was typed is kept, escaped");
    assert_eq!(app.stored_events().await, (0, 0), "nothing stored");
    // Shown once.
    assert!(!editor.get(&app, "/events/new").await.text().contains("five minutes in the future"));

    let good = [
        ("csrf_token", csrf.as_str()),
        ("dist", "fedora"),
        ("release", "44"),
        ("state", "branched"),
        ("reached", "true"),
    ];
    let done = editor.form(&app, "/ui/record_event", &good, true).await;
    assert_eq!(done.status, StatusCode::FOUND);
    let to = location(&done);
    assert!(to.starts_with("/events/"), "{to}");
    let event_page = editor.get(&app, &to).await.text();
    assert!(
        event_page.contains("Recorded: fedora 44 entered branched — it was not in branched before."),
        "{event_page}"
    );
    assert!(event_page.contains("by editor (web)"));
}

#[tokio::test]
async fn personal_tokens_work_until_revoked_or_the_owner_leaves_the_group() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let page = editor.get(&app, "/account/tokens").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page);
    let made = editor
        .form(
            &app,
            "/ui/create_token",
            &[("csrf_token", csrf.as_str()), ("name", "laptop"), ("expires_in_days", "30")],
            false,
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text());
    let token = made.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(made.json()["name"], "editor/laptop");
    let bad_days = editor
        .form(
            &app,
            "/ui/create_token",
            &[("csrf_token", csrf.as_str()), ("name", "x"), ("expires_in_days", "9999")],
            false,
        )
        .await;
    assert_eq!(bad_days.status, StatusCode::UNPROCESSABLE_ENTITY);

    let body = event_body("44", "branched", true, "2026-02-10T14:00:00Z");
    let res = app.post_json("/api/v1/events", Some(&token), &body).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["recorded_by"], "editor/laptop");
    let listed = editor.get(&app, "/account/tokens").await.text();
    assert!(listed.contains("editor/laptop") && !listed.contains(&token), "listed, secret never shown again");
    assert!(app.store.list_tokens().await.unwrap().iter().all(|t| t.name != token), "only the hash is stored");

    // The owner loses the group: the token stops working.
    let owner = app.store.list_tokens().await.unwrap().into_iter().find(|t| t.name == "editor/laptop").unwrap();
    let key = server::store::UserKey {
        issuer: owner.owner_issuer.clone().unwrap(),
        subject: owner.owner_subject.clone().unwrap(),
    };
    let demoted = server::store::UserLogin {
        key: key.clone(),
        nickname: "editor".into(),
        groups: vec![],
        is_editor: false,
        at: chrono::Utc::now(),
    };
    app.store.record_login(&demoted).await.unwrap();
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &body).await.status, StatusCode::FORBIDDEN);
    app.store.record_login(&server::store::UserLogin { is_editor: true, ..demoted }).await.unwrap();

    // Revoked: 401. Someone else cannot revoke it.
    let id = owner.id.to_string();
    let mut viewer = Browser::default();
    viewer.sign_in(&app, "viewer", "/").await;
    let viewer_csrf = csrf_of(&viewer.get(&app, "/").await);
    assert_eq!(
        viewer
            .form(&app, "/ui/revoke_token", &[("csrf_token", viewer_csrf.as_str()), ("id", id.as_str())], false)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let revoked =
        editor.form(&app, "/ui/revoke_token", &[("csrf_token", csrf.as_str()), ("id", id.as_str())], false).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &body).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout() {
    let db = sqlite_db();
    let Some(provider) = Provider::start(&format!("{PUBLIC}/auth/callback"), &[]).await else { return };
    let mut s = settings(&provider.issuer);
    s.idle_timeout = Duration::from_secs(1);
    let app = TestApp::start_with_auth(&db, s).await;
    let mut browser = Browser::default();
    browser.sign_in(&app, "editor", "/").await;
    assert!(browser.get(&app, "/").await.text().contains("Signed in as"));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(!browser.get(&app, "/").await.text().contains("Signed in as"));
}

#[tokio::test]
async fn sessions_end_after_their_lifetime() {
    let db = sqlite_db();
    let Some(provider) = Provider::start(&format!("{PUBLIC}/auth/callback"), &[]).await else { return };
    let mut s = settings(&provider.issuer);
    s.lifetime = Duration::from_secs(1);
    let app = TestApp::start_with_auth(&db, s).await;
    let mut browser = Browser::default();
    browser.sign_in(&app, "editor", "/").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(!browser.get(&app, "/").await.text().contains("Signed in as"));
}

#[tokio::test]
async fn sessions_live_in_postgresql_too() {
    let Some(db) = common::postgres_db().await else { return };
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let csrf = csrf_of(&editor.get(&app, "/events/new").await);
    let made = editor
        .json(&app, "/api/v1/events", &event_body("44", "branched", true, "2026-02-10T14:00:00Z"), Some(&csrf))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
}

#[tokio::test]
async fn without_a_provider_login_says_so() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let res = app.get("/login").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.text().contains("no identity provider configured"));
    assert!(!app.get("/").await.text().contains("Sign in"));
}

/// Who knocks, in the write matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Anonymous,
    ViewerSession,
    EditorSession,
    EditorSessionWithoutCsrf,
    Token,
    ExpiredToken,
    RevokedToken,
}

#[tokio::test]
async fn the_write_matrix_every_door_times_every_caller() {
    use Caller::*;
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let seed = app.token("seed").await;
    let valid = app.token("valid").await;
    let (expired, hash) = server::auth::new_token();
    let past = chrono::Utc::now() - chrono::Duration::days(1);
    app.store.create_token("expired", &hash, past - chrono::Duration::days(1), Some(past), None).await.unwrap();
    let revoked = app.token("revoked").await;
    app.store.revoke_token("revoked", chrono::Utc::now()).await.unwrap();
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let editor_csrf = csrf_of(&editor.get(&app, "/events/new").await);
    let mut viewer = Browser::default();
    viewer.sign_in(&app, "viewer", "/").await;
    let viewer_csrf = csrf_of(&viewer.get(&app, "/").await);

    let expected = |caller: Caller, ok: StatusCode| match caller {
        Anonymous | ExpiredToken | RevokedToken => StatusCode::UNAUTHORIZED,
        ViewerSession | EditorSessionWithoutCsrf => StatusCode::FORBIDDEN,
        EditorSession | Token => ok,
    };
    let callers =
        [Anonymous, ViewerSession, EditorSession, EditorSessionWithoutCsrf, Token, ExpiredToken, RevokedToken];
    let mut checked = 0;
    for (n, caller) in callers.into_iter().enumerate() {
        // A fresh event to retract for each caller.
        let target = app
            .post_json(
                "/api/v1/events",
                Some(&seed),
                &event_body(&format!("r{n}"), "active", true, "2024-01-01T00:00:00Z"),
            )
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let doors: [(&str, String, String, StatusCode); 5] = [
            (
                "POST",
                "/api/v1/events".into(),
                event_body(&format!("w{n}"), "active", true, "2024-02-01T00:00:00Z"),
                StatusCode::CREATED,
            ),
            (
                "POST",
                format!("/event?dist=fedora&release=f{n}&state=active&reached=1"),
                String::new(),
                StatusCode::CREATED,
            ),
            ("POST", format!("/api/v1/events/{target}/retract"), r#"{"reason":"matrix"}"#.into(), StatusCode::CREATED),
            (
                "PUT",
                format!("/api/v1/dists/fedora/releases/r{n}/properties"),
                r#"{"codename":"Matrix"}"#.into(),
                StatusCode::OK,
            ),
            ("PUT", "/api/v1/dists/fedora/properties".into(), format!(r#"{{"name":"Fedora {n}"}}"#), StatusCode::OK),
        ];
        for (method, uri, body, ok) in doors {
            let before = (app.stored_events().await, app.stored_property_changes().await);
            let mut req = Request::builder().method(method).uri(&uri).header(header::CONTENT_TYPE, "application/json");
            let token = match caller {
                Token => Some(&valid),
                ExpiredToken => Some(&expired),
                RevokedToken => Some(&revoked),
                _ => None,
            };
            if let Some(t) = token {
                req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            req = req.header("sec-fetch-site", "same-origin");
            let csrf = match caller {
                EditorSession => Some(editor_csrf.as_str()),
                ViewerSession => Some(viewer_csrf.as_str()),
                _ => None,
            };
            if let Some(c) = csrf {
                req = req.header("x-csrf-token", c);
            }
            let req = req.body(Body::from(body)).unwrap();
            let res = match caller {
                ViewerSession => viewer.send(&app, req).await,
                EditorSession | EditorSessionWithoutCsrf => editor.send(&app, req).await,
                _ => app.send(req).await,
            };
            let want = expected(caller, ok);
            assert_eq!(res.status, want, "{caller:?} {method} {uri}: {}", res.text());
            if !want.is_success() {
                res.error_code();
                let after = (app.stored_events().await, app.stored_property_changes().await);
                assert_eq!(before, after, "{caller:?} {method} {uri} stored something");
            }
            checked += 1;
        }
        // The forms' server functions need a signed-in editor: tokens do not open them.
        let fields = [
            ("csrf_token", editor_csrf.as_str()),
            ("dist", "fedora"),
            ("release", "s"),
            ("state", "active"),
            ("reached", "true"),
        ];
        let res = match caller {
            EditorSession => editor.form(&app, "/ui/record_event", &fields, false).await,
            EditorSessionWithoutCsrf => editor.form(&app, "/ui/record_event", &fields[1..], false).await,
            ViewerSession => {
                let mut f = fields;
                f[0].1 = viewer_csrf.as_str();
                viewer.form(&app, "/ui/record_event", &f, false).await
            }
            _ => {
                let body = serde_urlencoded::to_string(&fields[1..]).unwrap();
                let mut req =
                    Request::post("/ui/record_event").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                if let Some(t) = match caller {
                    Token => Some(&valid),
                    ExpiredToken => Some(&expired),
                    RevokedToken => Some(&revoked),
                    _ => None,
                } {
                    req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
                }
                app.send(req.body(Body::from(body)).unwrap()).await
            }
        };
        let want = match caller {
            EditorSession => StatusCode::OK,
            ViewerSession | EditorSessionWithoutCsrf => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        assert_eq!(res.status, want, "{caller:?} /ui/record_event: {}", res.text());
        checked += 1;
    }
    assert_eq!(checked, 42);
}

/// Seconds from now until the expiry of every stored session (SQLite).
async fn session_lifetimes(db: &TestDb) -> Vec<i64> {
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    let expiries: Vec<i64> = sqlx::query_scalar("SELECT CAST(strftime('%s', expiry_date) AS INTEGER) FROM sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    let now = chrono::Utc::now().timestamp();
    expiries.into_iter().map(|e| e - now).collect()
}

#[tokio::test]
async fn a_strangers_login_keeps_a_session_only_while_the_login_may_finish() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut browser = Browser::default();
    let start = browser.get(&app, "/login?next=/events").await;
    assert!(start.status.is_redirection(), "{}", start.status);
    let lifetimes = session_lifetimes(&db).await;
    assert_eq!(lifetimes.len(), 1, "{lifetimes:?}");
    assert!(lifetimes[0] <= 600, "an anonymous login's session lives {} s", lifetimes[0]);

    // Signed in, the session gets the idle timeout of a signed-in person.
    let back = sign_in_at_provider(&location(&start), "editor").await;
    browser.get(&app, back.strip_prefix(PUBLIC).unwrap()).await;
    let lifetimes = session_lifetimes(&db).await;
    assert_eq!(lifetimes.len(), 1, "{lifetimes:?}");
    assert!(lifetimes[0] > 7 * 3600, "a signed-in session lives {} s", lifetimes[0]);
}

#[tokio::test]
async fn over_https_the_session_cookie_has_the_host_prefix() {
    let db = sqlite_db();
    let Some(provider) = Provider::start("https://tracker.example.org/auth/callback", &[]).await else { return };
    let mut auth = settings(&provider.issuer);
    auth.public_url = url::Url::parse("https://tracker.example.org/").unwrap();
    let app = TestApp::start_with_auth(&db, auth).await;
    let start = app.get("/login").await;
    let cookie = start.headers.get(header::SET_COOKIE).expect("a session cookie").to_str().unwrap();
    assert!(cookie.starts_with("__Host-releasetracker_session="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn a_nickname_the_log_would_refuse_as_a_name_cannot_sign_in() {
    let db = sqlite_db();
    let long = "x".repeat(129);
    let account = format!("{long}:2001:releng");
    let Some((app, _p)) = app_with_provider(&db, &["--account", &account]).await else { return };
    let mut browser = Browser::default();
    let start = browser.get(&app, "/login").await;
    let back = sign_in_at_provider(&location(&start), &long).await;
    let done = browser.get(&app, back.strip_prefix(PUBLIC).unwrap()).await;
    assert_eq!(done.status, StatusCode::BAD_GATEWAY);
    assert!(done.text().contains("Login failed"), "{}", done.text());
    assert!(!done.text().contains(&long), "no echo of the provider's value");
    let who = browser.get(&app, "/account/tokens").await;
    assert!(!who.text().contains(&long), "not signed in");
}

/// Signs `editor` in and makes a personal token named `label`.
async fn editor_with_token(app: &TestApp, label: &str) -> (Browser, String) {
    let mut editor = Browser::default();
    editor.sign_in(app, "editor", "/").await;
    let csrf = csrf_of(&editor.get(app, "/account/tokens").await);
    let made = editor.form(app, "/ui/create_token", &[("csrf_token", csrf.as_str()), ("name", label)], false).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text());
    (editor, made.json()["token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_disabled_person_loses_sessions_and_tokens_at_once_and_cannot_sign_in() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let (mut editor, token) = editor_with_token(&app, "laptop").await;
    let body = event_body("44", "branched", true, "2026-02-10T14:00:00Z");
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &body).await.status, StatusCode::CREATED);
    assert!(editor.get(&app, "/account/tokens").await.text().contains("editor/laptop"), "signed in");
    let csrf = csrf_of(&editor.get(&app, "/").await);

    let done = app.store.disable_users("editor", chrono::Utc::now()).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].tokens_revoked, 1);
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &body).await.status, StatusCode::UNAUTHORIZED);
    // The session ends at its next request: signed out, and no write.
    let page = editor.get(&app, "/account/tokens").await.text();
    assert!(!page.contains("editor/laptop"), "the session still shows the person");
    assert!(!editor.get(&app, "/").await.text().contains("name=\"csrf_token\""), "signed out");
    let write = editor
        .form(
            &app,
            "/ui/record_event",
            &[
                ("csrf_token", csrf.as_str()),
                ("dist", "fedora"),
                ("release", "44"),
                ("state", "x"),
                ("reached", "true"),
            ],
            false,
        )
        .await;
    assert_ne!(write.status, StatusCode::OK, "{}", write.text());
    // Signing in again is refused while disabled.
    let mut again = Browser::default();
    let start = again.get(&app, "/login").await;
    let back = sign_in_at_provider(&location(&start), "editor").await;
    let refused = again.get(&app, back.strip_prefix(PUBLIC).unwrap()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text().contains("Account disabled"));
    assert!(!app.store.user_standing(&done[0].key).await.unwrap().unwrap().is_editor);

    // Enabled: a sign-in that finds the groups makes them an editor again.
    assert_eq!(app.store.enable_users("editor").await.unwrap(), 1);
    let (_, fresh) = editor_with_token(&app, "desktop").await;
    assert_eq!(app.post_json("/api/v1/events", Some(&fresh), &body).await.status, StatusCode::CREATED);
    assert_eq!(
        app.post_json("/api/v1/events", Some(&token), &body).await.status,
        StatusCode::UNAUTHORIZED,
        "stays revoked"
    );
}

#[tokio::test]
async fn personal_tokens_write_only_while_a_recent_sign_in_confirms_the_editor() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let (_, token) = editor_with_token(&app, "cron").await;
    let body = event_body("44", "branched", true, "2026-02-10T14:00:00Z");
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &body).await.status, StatusCode::CREATED);
    // The last sign-in 31 days ago: longer than the default 30 days.
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(31);
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE nickname = 'editor'")
        .bind(long_ago)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let refused = app.post_json("/api/v1/events", Some(&token), &body).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.json()["error"]["message"].as_str().unwrap().contains("sign in again"), "{}", refused.text());
    // A sign-in confirms it again.
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &body).await.status, StatusCode::CREATED);
}

/// Only a valid API token exempts a request from the CSRF check: a made-up
/// `Authorization` header on a cross-site form post with the session
/// cookie must not let the form's server function act for the session.
#[tokio::test]
async fn a_made_up_authorization_header_does_not_skip_the_csrf_check() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let fields = [("dist", "fedora"), ("release", "44"), ("state", "csrf-probe"), ("reached", "true")];
    let forged = Request::post("/ui/record_event")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .header(header::AUTHORIZATION, "Bearer made-up")
        .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
        .unwrap();
    let res = editor.send(&app, forged).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
    assert_eq!(app.stored_events().await.0, 0, "nothing was written for the session");

    // A real token still needs no CSRF token, even with the cookie.
    let token = app.token("script").await;
    let scripted = Request::post("/api/v1/events")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(event_body("44", "branched", true, "2026-02-10T14:00:00Z")))
        .unwrap();
    assert_eq!(editor.send(&app, scripted).await.status, StatusCode::CREATED);
}

/// A token made without JavaScript: the secret reaches the next page in a
/// short-lived cookie for that page alone, is shown there once, and is
/// never written to the session store (where a flash would keep it).
#[tokio::test]
async fn a_new_token_secret_never_enters_the_session_store() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let csrf = csrf_of(&editor.get(&app, "/account/tokens").await);
    let made = editor
        .form(
            &app,
            "/ui/create_token",
            &[("csrf_token", csrf.as_str()), ("name", "nojs"), ("expires_in_days", "7")],
            true,
        )
        .await;
    assert_eq!(made.status, StatusCode::FOUND, "{}", made.text());
    assert_eq!(location(&made), "/account/tokens");
    let set = made
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("releasetracker_new_token="))
        .expect("the secret's cookie");
    for attribute in ["Path=/account/tokens", "HttpOnly", "SameSite=Strict", "Max-Age=300"] {
        assert!(set.contains(attribute), "{set}");
    }
    let secret = set["releasetracker_new_token=".len()..].split(';').next().unwrap().to_owned();
    assert!(secret.starts_with("rt_") && secret.len() == 67, "{secret}");

    // Not in any session row, in any encoding the store might use.
    let server::store::Store::Sqlite(pool) = &app.store else { unreachable!("sqlite_db") };
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT data FROM sessions").fetch_all(pool).await.unwrap();
    assert!(!rows.is_empty());
    let hex_part = &secret[3..];
    for data in &rows {
        assert!(!data.windows(hex_part.len()).any(|w| w == hex_part.as_bytes()), "the secret is in a session row");
    }

    // The page it redirects to shows it once, and clears the cookie.
    let page = |cookie: Option<&str>| {
        let mut cookies = format!("{COOKIE_NAME}={}", editor.cookie.clone().unwrap());
        if let Some(c) = cookie {
            cookies.push_str(&format!("; releasetracker_new_token={c}"));
        }
        Request::get("/account/tokens")
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, cookies)
            .body(Body::empty())
            .unwrap()
    };
    let shown = app.send(page(Some(&secret))).await;
    assert_eq!(shown.status, StatusCode::OK);
    let text = shown.text();
    assert!(text.contains("Created token editor/nojs. Copy it now, it is not shown again:"), "{text}");
    assert!(text.contains(&format!("<code class=\"secret\">{secret}</code>")), "the secret is shown");
    let cleared = shown.headers.get_all(header::SET_COOKIE).iter().any(|v| {
        let v = v.to_str().unwrap();
        v.starts_with("releasetracker_new_token=;") && v.contains("Max-Age=0") && v.contains("Path=/account/tokens")
    });
    assert!(cleared, "the cookie is cleared");
    let again = app.send(page(None)).await.text();
    assert!(!again.contains(&secret), "shown once");

    // The token works; a cookie that is not a token shows nothing.
    let body = event_body("44", "branched", true, "2026-02-10T14:00:00Z");
    assert_eq!(app.post_json("/api/v1/events", Some(&secret), &body).await.status, StatusCode::CREATED);
    let planted = app.send(page(Some("<script>alert(1)</script>"))).await.text();
    assert!(!planted.contains("alert(1)") && !planted.contains("class=\"secret\""));
}

/// An editor plans, moves and cancels a transition with the release
/// page's plain forms (no JavaScript): each post redirects back with a
/// notice; a refused one echoes what was typed with the error; the plans
/// are the editor's, through `web`.
#[tokio::test]
async fn editors_plan_move_and_cancel_with_plain_forms() {
    let db = sqlite_db();
    let Some((app, _p)) = app_with_provider(&db, &[]).await else { return };
    let token = app.token("releng-bot").await;
    let body = event_body("45", "development", true, "2026-02-10T00:00:00Z");
    assert_eq!(app.post_json("/api/v1/events", Some(&token), &body).await.status, StatusCode::CREATED);
    let mut editor = Browser::default();
    editor.sign_in(&app, "editor", "/").await;
    let page = editor.get(&app, "/dists/fedora/releases/45").await;
    let text = page.text();
    assert!(text.contains("Plan a transition, or move a plan") && text.contains("action=\"/ui/plan_transition\""));
    let csrf = csrf_of(&page);
    let plan = |at: &'static str, note: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("dist", "fedora".to_owned()),
            ("release", "45".to_owned()),
            ("state", "branched".to_owned()),
            ("reached", "entered".to_owned()),
            ("at", at.to_owned()),
            ("note", note.to_owned()),
            ("link", String::new()),
        ]
    };
    let fields = |v: &[(&'static str, String)]| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    for (at, note) in [("2099-08-11T14:00", ""), ("2099-08-18", "slipped")] {
        let f = fields(&plan(at, note));
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = editor.form(&app, "/ui/plan_transition", &f, true).await;
        assert_eq!(done.status, StatusCode::FOUND, "{}", done.text());
        assert_eq!(location(&done), "/dists/fedora/releases/45");
    }
    let after = editor.get(&app, "/dists/fedora/releases/45").await.text();
    assert!(after.contains("Planned: Fedora 45 enters branched on 2099-08-18 (revision 2)."), "{after}");
    let plans = app.get("/api/v1/plans").await.json();
    assert_eq!(plans[0]["revisions"], 2);
    assert_eq!((plans[0]["recorded_by"].as_str(), plans[0]["source"].as_str()), (Some("editor"), Some("web")));
    assert_eq!(plans[0]["note"], "slipped");

    // Refused: the error beside the form, what was typed kept, nothing stored.
    let f = fields(&plan("next week", "typed"));
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = editor.form(&app, "/ui/plan_transition", &f, true).await;
    assert_eq!(refused.status, StatusCode::FOUND);
    let back = editor.get(&app, "/dists/fedora/releases/45").await.text();
    assert!(back.contains("value=\"next week\"") && back.contains("value=\"typed\""), "{back}");
    assert!(back.contains("class=\"error\">`next week` is not an RFC 3339 timestamp"), "{back}");
    assert_eq!(app.get("/api/v1/plans").await.json()[0]["revisions"], 2);

    // Cancelled with a reason, from the row's form.
    let cancel = [
        ("csrf_token", csrf.as_str()),
        ("dist", "fedora"),
        ("release", "45"),
        ("state", "branched"),
        ("reached", "entered"),
        ("reason", "no branching for 45"),
    ];
    let done = editor.form(&app, "/ui/cancel_plan", &cancel, true).await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.text());
    let page = editor.get(&app, "/dists/fedora/releases/45").await.text();
    assert!(page.contains("Cancelled the plan: Fedora 45 enters branched."), "{page}");
    assert_eq!(app.get("/api/v1/plans").await.json()[0]["status"], "cancelled");
    // Without the CSRF token: refused, nothing stored.
    let forged: Vec<(&str, &str)> = cancel.iter().filter(|(k, _)| *k != "csrf_token").copied().collect();
    assert_eq!(editor.form(&app, "/ui/cancel_plan", &forged, true).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/plans").await.json()[0]["revisions"], 3);
}
