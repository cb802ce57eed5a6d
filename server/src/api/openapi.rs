//! The OpenAPI 3.1 description of the API, `GET /api/v1/openapi.json`.
//! Paths come from the `#[utoipa::path]` annotations of the handlers that
//! `api::routes()` registers with `routes!`, so a route cannot be served
//! without being described; this module adds what is global to the
//! document (title, version, the bearer scheme, tags).

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use axum::Extension;
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
