//! The OpenAPI 3.1 description of the API, `GET /api/v1/openapi.json`.
//! Paths come from the `#[utoipa::path]` annotations of the handlers that
//! `api::routes()` registers with `routes!`, so a route cannot be served
//! without being described; this module adds what is global to the
//! document (title, version, the bearer scheme, tags).

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use super::cache::Encoded;
use super::error::ApiError;

/// The name of the security scheme of writes (`security(("bearer" = []))`).
pub const BEARER: &str = "bearer";

/// The parts of the document that no handler carries.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "releasetracker",
        description = "The source of truth for Linux distribution release cycles: events \
            (dist, release, state, reached, at), retractions, and views as of any instant. \
            Reads are public; writes need `Authorization: Bearer <api token>`. Every error \
            answers `{\"error\": {\"code\", \"message\", \"field\"?}}`. The contract in prose \
            is docs/api.md.",
        license(name = "MIT", identifier = "MIT"),
    ),
    modifiers(&BearerScheme),
    // Named in the descriptions of `?with=properties`, which no response
    // schema references.
    components(schemas(super::views::ReleaseWithProperties)),
    tags(
        (name = "events", description = "The append-only log: record, list, read, retract."),
        (name = "views", description = "Membership of releases in states as of any instant (`?at=`)."),
        (name = "properties", description = "Audited properties of dists and releases (`codename`, `version`, ...) as of any instant."),
        (name = "compat", description = "Drop-in exports in the shapes older Fedora and Debian consumers read."),
        (name = "feeds", description = "The log for feed readers (Atom) and calendars (iCalendar)."),
        (name = "operations", description = "Liveness, readiness and this description."),
    )
)]
struct Root;

/// Adds the bearer token scheme that writes require.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("An API token from `releasetracker token create`.".into());
        components.add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    }
}

/// The root of the document, before the routes' paths are merged in.
pub fn base() -> Document {
    let mut doc = Root::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// Control characters (`char::is_control`: C0, DEL, C1) for patterns.
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
/// What `str::trim` removes besides control characters (Unicode White_Space).
const SPACE: &str = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Controls a note or a reason may not hold (tab, LF and CR are allowed).
const TEXT_CONTROL: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";

/// A dist, release or state name as JSON Schema (DESIGN.md §1): 1–128
/// characters, no control characters, no white space at either end.
fn name_schema() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": app::model::name::MAX_NAME_CHARS,
           "pattern": format!("^[^{CONTROL}{SPACE}](?:[^{CONTROL}]*[^{CONTROL}{SPACE}])?$")})
}

/// A provenance link: an absolute http(s) URL without white space.
fn link_schema() -> Value {
    json!({"type": "string", "format": "uri", "maxLength": app::model::name::MAX_LINK_CHARS,
           "pattern": format!("^[Hh][Tt][Tt][Pp][Ss]?://[a-z0-9.-]+(?:[/?#][^{CONTROL}{SPACE}]*)?$")})
}

/// An instant of a query (`at`, `since`, `until`): a date or an RFC 3339 timestamp.
fn instant_schema() -> Value {
    json!({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})
}

/// Writes the rules the handlers enforce into the document, so that
/// clients (and generated requests) know what is refused: utoipa
/// describes names, instants, notes and property keys as plain strings.
/// Found by schemathesis, whose valid-by-the-document requests got 422.
pub fn describe_rules(doc: &mut Document) {
    let Ok(mut v) = serde_json::to_value(&*doc) else { return };
    if let Some(paths) = v["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for op in item.values_mut() {
                for param in op["parameters"].as_array_mut().into_iter().flatten() {
                    let schema = match param["name"].as_str() {
                        Some("dist" | "release" | "state") => name_schema(),
                        Some("at" | "since" | "until") => instant_schema(),
                        Some("note") => json!({"type": "string", "maxLength": app::model::name::MAX_NOTE_CHARS,
                                               "pattern": format!("^[^{TEXT_CONTROL}]*$")}),
                        Some("link") => link_schema(),
                        Some("reached") => json!({"type": "string", "enum": ["1", "0", "true", "false"]}),
                        _ => continue,
                    };
                    param["schema"] = schema;
                }
            }
        }
    }
    let schemas = &mut v["components"]["schemas"];
    if let Some(input) = schemas.get_mut("EventInput") {
        for field in ["dist", "release", "state"] {
            input["properties"][field] = name_schema();
        }
        // An empty `at` means "now", as from an HTML form.
        input["properties"]["at"] = json!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "maxLength": 0}, {"type": "null"}]});
        input["properties"]["link"] = json!({"anyOf": [link_schema(), {"type": "null"}]});
        input["properties"]["note"] = json!({"type": ["string", "null"], "maxLength": app::model::name::MAX_NOTE_CHARS,
                                             "pattern": format!("^[^{TEXT_CONTROL}]*$")});
    }
    if let Some(body) = schemas.get_mut("RetractBody") {
        body["properties"]["reason"] = json!({"type": "string", "maxLength": app::model::name::MAX_NOTE_CHARS,
            "pattern": format!("^[^{TEXT_CONTROL}]*[^{TEXT_CONTROL}{SPACE}\\t\\n\\r][^{TEXT_CONTROL}]*$")});
    }
    if let Some(properties) = schemas.get_mut("Properties") {
        properties["propertyNames"] = json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"});
        properties["additionalProperties"] = name_schema();
        properties["maxProperties"] = json!(app::model::properties::MAX_PROPERTIES);
    }
    if let Ok(described) = serde_json::from_value(v) {
        *doc = described;
    }
}

/// The finished document, encoded once when the router is built.
#[derive(Clone)]
pub struct Description(pub Arc<Encoded>);

impl Description {
    /// Encodes `doc`; the document is made of our own types, so failing
    /// to encode it is a bug caught by the tests.
    pub fn new(doc: &Document) -> Result<Self, ApiError> {
        Ok(Self(Arc::new(Encoded::of(doc)?)))
    }
}

/// `GET /api/v1/openapi.json`: this API described in OpenAPI 3.1.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    operation_id = "openapi",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = serde_json::Value),
        (status = 304, description = "Not modified (`If-None-Match` matched the `ETag`)"),
    )
)]
pub async fn openapi_json(Extension(description): Extension<Description>, headers: HeaderMap) -> Response {
    description.0.respond(&headers)
}
