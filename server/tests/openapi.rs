//! The OpenAPI description against the real router: it is a valid OpenAPI
//! 3.1 document (checked by the reference Python validator), every
//! operation it describes answers with a status it documents, and every
//! route that docs/api.md names — and every non-page URL the docs list —
//! is described in it.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::Value;

/// The operations of a document: `(METHOD, path template)`.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn docs_api_md() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/api.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `` `METHOD /path` `` written in docs/api.md, query strings cut off.
fn routes_in_docs(text: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for chunk in text.split('`').skip(1).step_by(2) {
        let mut words = chunk.split_whitespace();
        let (Some(method), Some(path)) = (words.next(), words.next()) else { continue };
        if ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method) && path.starts_with('/') {
            let path = path.split('?').next().unwrap_or(path);
            out.insert((method.to_owned(), path.to_owned()));
        }
    }
    out
}

/// Fills a path template with values that exist in the test log.
fn concrete(template: &str, event_id: i64) -> String {
    template
        .replace("{dist}", "fedora")
        .replace("{release}", "44")
        .replace("{id}", &event_id.to_string())
        .replace("{delivery}", "1")
}

async fn app_with_an_event() -> (TestDb, TestApp, String) {
    let db = sqlite_db();
    // Webhooks on, so that their routes answer as they do in service.
    let key = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".parse().expect("a key");
    // Private targets allowed: no name is resolved (the tests have no DNS).
    let webhooks = server::webhooks::WebhookSettings {
        key: Some(key),
        policy: server::webhooks::TargetPolicy { allow_private: true },
        ..Default::default()
    };
    let app = TestApp::start_with(&db, server::settings::Settings { webhooks, ..TestApp::default_settings() }).await;
    let token = app.token("releng-bot").await;
    let r = app
        .post_json("/api/v1/events", Some(&token), &event_body("44", "branched", true, "2026-02-10T14:00:00Z"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Subscription 1 with delivery 1 (a ping), for the webhook routes.
    let r = app.post_json("/api/v1/webhooks", Some(&token), r#"{"url": "https://hooks.example.org/a"}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app.post_json("/api/v1/webhooks/1/ping", Some(&token), "").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    (db, app, token)
}

/// A plausible request for one documented operation.
async fn request(app: &TestApp, token: &str, method: &str, template: &str, op: &Value) -> Request<Body> {
    // A retraction needs an event of its own that is not retracted yet;
    // a deletion a subscription of its own.
    let event_id = if template.ends_with("/retract") {
        let r = app
            .post_json("/api/v1/events", Some(token), &event_body("44", "pre-beta", true, "2026-02-11T00:00:00Z"))
            .await;
        r.json()["id"].as_i64().expect("id")
    } else if method == "DELETE" && template == "/api/v1/webhooks/{id}" {
        let r = app.post_json("/api/v1/webhooks", Some(token), r#"{"url": "https://hooks.example.org/b"}"#).await;
        r.json()["id"].as_i64().expect("id")
    } else {
        1
    };
    let mut uri = concrete(template, event_id);
    // Required query parameters get values fit for their names.
    let required: Vec<&str> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query" && p["required"] == true)
        .filter_map(|p| p["name"].as_str())
        .collect();
    if !required.is_empty() {
        let pairs: Vec<String> = required
            .iter()
            .map(|name| {
                let value = match *name {
                    "dist" => "fedora",
                    "release" => "45",
                    "state" => "branched",
                    "reached" => "1",
                    other => panic!("no plausible value for the query parameter `{other}`; add one here"),
                };
                format!("{name}={value}")
            })
            .collect();
        uri = format!("{uri}?{}", pairs.join("&"));
    }
    let mut builder =
        Request::builder().method(method).uri(&uri).header(header::AUTHORIZATION, format!("Bearer {token}"));
    // A JSON body is the example the description gives for it.
    let body = match op["requestBody"]["content"].get("application/json") {
        Some(json_body) => {
            let example = json_body["example"].clone();
            assert!(
                !example.is_null(),
                "{method} {template}: give its JSON body an example (`request_body(..., example = json!(...))`)"
            );
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(example.to_string())
        }
        None => Body::empty(),
    };
    builder.body(body).expect("request")
}

#[tokio::test]
async fn every_described_operation_answers_with_a_documented_status() {
    let (_db, app, token) = app_with_an_event().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    let ops = operations(&doc);
    assert!(ops.len() >= 14, "too few operations: {ops:?}");
    for (method, template) in &ops {
        let op = &doc["paths"][template][method.to_lowercase()];
        let req = request(&app, &token, method, template, op).await;
        let uri = req.uri().to_string();
        let response = app.send(req).await;
        let status = response.status;
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri} answered {status}: {}",
            response.text()
        );
        assert!(status.is_success(), "{method} {uri} answered {status}: {}", response.text());
        assert!(
            op["responses"].get(status.as_str()).is_some(),
            "{method} {template}: status {status} is not among its documented responses"
        );
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()) && op["operationId"].is_string(),
            "{method} {template}: give it a tag and an operation_id"
        );
        // Writes need a token; so do the webhook subscriptions (they are
        // editors' business, their URLs not public); other reads none.
        let guarded = method != "GET" || template.starts_with("/api/v1/webhooks");
        assert_eq!(op.get("security").is_some(), guarded, "{method} {template}: writes need security, reads none");
        if guarded && method == "GET" {
            let anonymous = Request::builder().uri(&uri).body(Body::empty()).expect("request");
            assert_eq!(app.send(anonymous).await.status, StatusCode::UNAUTHORIZED, "GET {uri} without a token");
        }
    }
}

#[tokio::test]
async fn every_route_the_docs_name_is_described_and_the_other_way_round() {
    let doc = server::api::openapi();
    let doc = serde_json::to_value(&doc).unwrap();
    let described = operations(&doc);
    let documented = routes_in_docs(&docs_api_md());
    let undescribed: Vec<_> = documented.difference(&described).collect();
    assert!(
        undescribed.is_empty(),
        "docs/api.md names routes the OpenAPI document lacks (annotate the handler with #[utoipa::path] \
         and register it with routes! in server/src/api/mod.rs): {undescribed:?}"
    );
    let unmentioned: Vec<_> = described.difference(&documented).collect();
    assert!(unmentioned.is_empty(), "docs/api.md should name these routes as `METHOD /path`: {unmentioned:?}");
}

/// The last resort against a route served without a description: every
/// URL in docs/api.md that answers something other than a web page must
/// be a described path.
#[tokio::test]
async fn every_non_page_url_in_the_docs_is_described() {
    let (_db, app, _token) = app_with_an_event().await;
    let doc = serde_json::to_value(server::api::openapi()).unwrap();
    let described: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let text = docs_api_md();
    let mut checked = 0;
    for chunk in text.split('`').skip(1).step_by(2) {
        let path = chunk.split_whitespace().last().unwrap_or("");
        let path = path.split('?').next().unwrap_or(path);
        if !path.starts_with('/') || path.contains("...") || path.contains('*') {
            continue;
        }
        let r = app.get(&concrete(path, 1)).await;
        let html = r
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if r.status == StatusCode::NOT_FOUND || html {
            continue;
        }
        checked += 1;
        assert!(
            described.contains(path),
            "{path} answers {} ({:?}) but is not in the OpenAPI document",
            r.status,
            r.headers.get(header::CONTENT_TYPE)
        );
    }
    assert!(checked >= 8, "only {checked} URLs checked; is docs/api.md readable?");
}

/// The `/api` overview page names every described route.
#[tokio::test]
async fn the_api_page_lists_every_described_route() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let html = app.get("/api").await.text();
    let doc = serde_json::to_value(server::api::openapi()).unwrap();
    for (method, path) in operations(&doc) {
        let row = format!("<td>{method}</td><td><code>{path}");
        assert!(html.contains(&row), "the /api page lacks {method} {path}");
    }
}

#[test]
fn api_routes_are_registered_only_through_routes_macro() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains(".route(") && !code.contains(".route_service("),
                "{}:{}: register API routes with `.routes(routes!(handler))` so they are described",
                path.display(),
                n + 1
            );
        }
    }
}

#[tokio::test]
async fn the_document_is_cached_like_every_read() {
    let (_db, app, _token) = app_with_an_event().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/json");
    let etag = r.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = app
        .send(Request::get("/api/v1/openapi.json").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap())
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // The views are maps keyed by release or state.
    let view = &doc["paths"]["/api/v1/views/{dist}/states-by-release"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    assert_eq!(view["type"], "object");
    assert!(view["additionalProperties"].is_object(), "{view}");
    // Errors are described with the one error shape.
    let not_found = &doc["paths"]["/api/v1/events/{id}"]["get"]["responses"]["404"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(not_found, "#/components/schemas/ErrorBody");
    // A method not described is refused in the error shape.
    let r = app.send(Request::builder().method(Method::DELETE).uri("/api/v1/dists").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.error_code(), "method_not_allowed");
}

/// Python with `openapi-spec-validator` from PyPI.
fn validator_python() -> Option<PathBuf> {
    common::python::venv("openapi-validator-venv", "openapi_spec_validator", &["openapi-spec-validator>=0.7,<0.8"])
}

#[tokio::test]
async fn the_document_passes_the_reference_validator() {
    let (_db, app, _token) = app_with_an_event().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    // Kept under the target directory for a look after the test.
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("openapi.json");
    std::fs::write(&file, &r.bytes).unwrap();
    let Some(python) = tokio::task::spawn_blocking(validator_python).await.unwrap() else { return };
    let out = Command::new(python)
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import OpenAPIV31SpecValidator\n\
             spec = json.load(open(sys.argv[1]))\n\
             errors = [f'{list(e.path)}: {e.message}' for e in OpenAPIV31SpecValidator(spec).iter_errors()]\n\
             print('\\n'.join(errors))\n\
             sys.exit(1 if errors else 0)",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the OpenAPI document is not valid:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
