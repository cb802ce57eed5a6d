//! The security headers through the real router: every answer has
//! `nosniff` and a referrer policy; every page a Content-Security-Policy
//! whose nonce is the one on the page's inline scripts; HSTS only on https
//! sites; `no-store` on the token page.

mod common;

use axum::http::{header, StatusCode};
use common::*;

fn header_of(res: &Response, name: header::HeaderName) -> Option<String> {
    res.headers.get(name).map(|v| v.to_str().expect("ASCII header").to_owned())
}

#[tokio::test]
async fn every_answer_is_nosniff_with_a_referrer_policy() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let token = app.token("script").await;
    let created = app
        .post_json("/api/v1/events", Some(&token), &event_body("44", "branched", true, "2026-02-10T14:00:00Z"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let refused =
        app.post_json("/api/v1/events", None, &event_body("44", "branched", true, "2026-02-10T14:00:00Z")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let mut answers = vec![("POST 201", created), ("POST 401", refused)];
    for path in [
        "/",
        "/events/1",
        "/no/such/page",
        "/api/v1/events",
        "/api/v1/nothing",
        "/feed.atom",
        "/calendar.ics",
        "/healthz",
    ] {
        answers.push((path, app.get(path).await));
    }
    for (what, res) in &answers {
        assert_eq!(header_of(res, header::X_CONTENT_TYPE_OPTIONS).as_deref(), Some("nosniff"), "{what}");
        assert_eq!(header_of(res, header::REFERRER_POLICY).as_deref(), Some("same-origin"), "{what}");
        // Served over http here: no HSTS.
        assert_eq!(header_of(res, header::STRICT_TRANSPORT_SECURITY), None, "{what}");
    }
}

#[tokio::test]
async fn pages_allow_only_their_own_and_nonced_scripts_and_no_framing() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    for path in ["/", "/events", "/calendar", "/no/such/page"] {
        let res = app.get(path).await;
        let policy = header_of(&res, header::CONTENT_SECURITY_POLICY).unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"));
        let html = res.text();
        // Every inline script of the page carries the policy's nonce.
        let scripts: Vec<&str> = html.split("<script").skip(1).collect();
        assert!(!scripts.is_empty(), "{path}: the hydration script is missing");
        for script in scripts {
            let tag = script.split('>').next().unwrap_or_default();
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "{path}: script without the nonce: <script{tag}>");
        }
    }
    // Each page gets a nonce of its own.
    let a = header_of(&app.get("/").await, header::CONTENT_SECURITY_POLICY);
    let b = header_of(&app.get("/").await, header::CONTENT_SECURITY_POLICY);
    assert_ne!(a, b);
}

#[tokio::test]
async fn https_sites_ask_for_hsts_and_the_token_page_is_not_stored() {
    let db = sqlite_db();
    let settings = server::settings::Settings::defaults(url::Url::parse("https://releases.example.org/").unwrap());
    let app = TestApp::start_with(&db, settings).await;
    let res = app.get("/").await;
    assert_eq!(header_of(&res, header::STRICT_TRANSPORT_SECURITY).as_deref(), Some("max-age=31536000"));
    let tokens = app.get("/account/tokens").await;
    assert_eq!(header_of(&tokens, header::CACHE_CONTROL).as_deref(), Some("no-store"));
    assert!(header_of(&res, header::CACHE_CONTROL).as_deref() != Some("no-store"), "ordinary pages may be cached");
}
