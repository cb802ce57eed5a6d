//! The OpenAPI 3.1 description of the API, `GET /api/v1/openapi.json`.
//! Paths come from the `#[utoipa::path]` annotations of the handlers that
//! `api::routes()` registers with `routes!`, so a route cannot be served
//! without being described; this module adds what is global to the
//! document (title, version, the bearer scheme, tags).

use std::sync::Arc;

use app::model::name::{MAX_LINK_CHARS, MAX_NAME_CHARS, MAX_NOTE_CHARS};
use app::model::properties::{MAX_KEY_CHARS, MAX_PROPERTIES};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Extension;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::cache::Encoded;
use super::error::ApiError;

/// Descriptions of answers that many operations share, written once.
pub mod answers {
    /// `304` of a JSON read.
    pub const NOT_MODIFIED: &str = "Not modified (`If-None-Match` matched the `ETag`)";
    /// `304` of a feed, which also honours `If-Modified-Since`.
    pub const NOT_MODIFIED_SINCE: &str =
        "Not modified (`If-None-Match` matched the `ETag`, or nothing changed since `If-Modified-Since`)";
    /// `400` of a JSON write.
    pub const NOT_JSON: &str = "The body is not JSON";
    /// `401` of a write that only API tokens make.
    pub const NO_TOKEN: &str = "No valid API token";
    /// `401` of a write that API tokens and browser sessions make.
    pub const NO_TOKEN_OR_SESSION: &str = "No valid API token or session";
    /// `403` of every write.
    pub const NOT_AN_EDITOR: &str = "Not an editor";
    /// `415` of a JSON write.
    pub const NOT_JSON_CONTENT_TYPE: &str = "Not `Content-Type: application/json`";
    /// `404` of a view of a dist nobody recorded.
    pub const UNKNOWN_DIST: &str = "No events for this dist";
    /// `404` of an event id nobody recorded.
    pub const UNKNOWN_EVENT: &str = "No such event";
    /// `404` of a dist's properties.
    pub const DIST_WITHOUT_RECORDS: &str = "The dist has neither events nor property changes";
    /// `404` of a release's properties.
    pub const RELEASE_WITHOUT_RECORDS: &str = "The release has neither events nor property changes";
    /// `200` of a replaced property set.
    pub const PROPERTIES_REPLACED: &str = "The set as it now is, keys alphabetical; only differences were recorded";
    /// `201` of a recorded event (JSON or form style).
    pub const EVENT_STORED: &str = "Stored; `Location` names it. With an `Idempotency-Key` used before for the same \
        request: the event that request stored, nothing stored again";
}

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
        (name = "plans", description = "The schedule beside the facts: planned transitions, their revisions (slips) and cancellations, met by events. Plans never change facts."),
        (name = "audit", description = "Where Bodhi and the tracker disagree, as the periodic audit last found. Read only: an audit never changes a fact."),
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

/// A string schema with these limits.
fn text(min: Option<usize>, max: usize, pattern: String) -> Schema {
    ObjectBuilder::new().schema_type(Type::String).min_length(min).max_length(Some(max)).pattern(Some(pattern)).into()
}

/// A dist, release or state name (DESIGN.md §1): 1–128 characters, no
/// control characters, no white space at either end.
fn name_schema() -> Schema {
    text(Some(1), MAX_NAME_CHARS, format!("^[^{CONTROL}{SPACE}](?:[^{CONTROL}]*[^{CONTROL}{SPACE}])?$"))
}

/// A note: at most 2,000 characters, tab and line breaks allowed.
fn note_schema() -> Schema {
    text(None, MAX_NOTE_CHARS, format!("^[^{TEXT_CONTROL}]*$"))
}

/// A reason (of a retraction or a cancelled plan): a note with at least
/// one character that is not white space.
fn reason_schema() -> Schema {
    text(None, MAX_NOTE_CHARS, format!("^[^{TEXT_CONTROL}]*[^{TEXT_CONTROL}{SPACE}\\t\\n\\r][^{TEXT_CONTROL}]*$"))
}

/// A provenance link: an absolute http(s) URL without white space.
fn link_schema() -> Schema {
    // No `format: uri`: links may be IRIs (non-ASCII), which the server accepts.
    text(None, MAX_LINK_CHARS, format!("^[Hh][Tt][Tt][Pp][Ss]?://[a-z0-9.-]+(?:[/?#][^{CONTROL}{SPACE}]*)?$"))
}

fn formatted(format: KnownFormat) -> Schema {
    ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(format))).into()
}

/// The empty string.
fn empty_string() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)).into()
}

/// `schema`, or the empty string (an absent value in a form).
fn or_empty(schema: Schema) -> Schema {
    AnyOfBuilder::new().item(schema).item(empty_string()).into()
}

/// An instant of a query (`at`, `since`, `until`): a date or an RFC 3339 timestamp.
fn instant_schema() -> Schema {
    AnyOfBuilder::new().item(formatted(KnownFormat::Date)).item(formatted(KnownFormat::DateTime)).into()
}

/// Writes the rules the handlers enforce into the document, so that
/// clients (and generated requests) know what is refused: utoipa
/// describes names, instants, notes and property keys as plain strings.
/// Found by schemathesis, whose requests valid by the document got 422.
pub fn describe_rules(doc: &mut Document) {
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            // The form of shell scripts: `at` is a timestamp, and empty
            // values mean "not given", as HTML forms send them.
            let form = op.operation_id.as_deref() == Some("create_event_from_form");
            for param in op.parameters.iter_mut().flatten() {
                let schema = match param.name.as_str() {
                    "dist" | "release" | "state" => name_schema(),
                    "at" if form => or_empty(formatted(KnownFormat::DateTime)),
                    "at" | "since" | "until" => instant_schema(),
                    "note" => note_schema(),
                    "link" if form => or_empty(link_schema()),
                    "link" => link_schema(),
                    "Idempotency-Key" => text(Some(1), super::idempotency::MAX_LEN, "^[!-~]+$".into()),
                    "status" => ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(["met", "cancelled", "overdue", "upcoming"]))
                        .into(),
                    "reached" => ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(["1", "0", "true", "false"]))
                        .into(),
                    _ => continue,
                };
                param.schema = Some(RefOr::T(schema));
            }
        }
    }
    // `?with=properties` answers `ReleaseWithProperties` per release (or
    // one of them), which the annotations can only say in words.
    for (path, per_release) in
        [("/api/v1/views/{dist}/detailed", true), ("/api/v1/views/{dist}/releases/{release}", false)]
    {
        let Some(op) = doc.paths.paths.get_mut(path).and_then(|item| item.get.as_mut()) else { continue };
        let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else { continue };
        let Some(content) = ok.content.get_mut("application/json") else { continue };
        let Some(plain) = content.schema.take() else { continue };
        let with: RefOr<Schema> = if per_release {
            RefOr::T(
                ObjectBuilder::new().additional_properties(Some(Ref::from_schema_name("ReleaseWithProperties"))).into(),
            )
        } else {
            RefOr::Ref(Ref::from_schema_name("ReleaseWithProperties"))
        };
        content.schema = Some(RefOr::T(AnyOfBuilder::new().item(plain).item(with).into()));
    }
    let Some(components) = doc.components.as_mut() else { return };
    if let Some(RefOr::T(Schema::Object(input))) = components.schemas.get_mut("EventInput") {
        for field in ["dist", "release", "state"] {
            input.properties.insert(field.into(), RefOr::T(name_schema()));
        }
        // An empty `at` means "now", as from an HTML form.
        let empty = empty_string();
        let null: Schema = ObjectBuilder::new().schema_type(Type::Null).into();
        let at = AnyOfBuilder::new().item(formatted(KnownFormat::DateTime)).item(empty).item(null.clone());
        input.properties.insert("at".into(), RefOr::T(at.into()));
        let note = AnyOfBuilder::new().item(note_schema()).item(null.clone());
        input.properties.insert("note".into(), RefOr::T(note.into()));
        let link = AnyOfBuilder::new().item(link_schema()).item(empty_string()).item(null);
        input.properties.insert("link".into(), RefOr::T(link.into()));
    }
    if let Some(RefOr::T(Schema::Object(input))) = components.schemas.get_mut("PlanInput") {
        for field in ["dist", "release", "state"] {
            input.properties.insert(field.into(), RefOr::T(name_schema()));
        }
        input.properties.insert("at".into(), RefOr::T(formatted(KnownFormat::DateTime)));
        let null: Schema = ObjectBuilder::new().schema_type(Type::Null).into();
        let note = AnyOfBuilder::new().item(note_schema()).item(empty_string()).item(null.clone());
        input.properties.insert("note".into(), RefOr::T(note.into()));
        let link = AnyOfBuilder::new().item(link_schema()).item(empty_string()).item(null);
        input.properties.insert("link".into(), RefOr::T(link.into()));
    }
    if let Some(RefOr::T(Schema::Object(input))) = components.schemas.get_mut("CancelInput") {
        for field in ["dist", "release", "state"] {
            input.properties.insert(field.into(), RefOr::T(name_schema()));
        }
        input.properties.insert("reason".into(), RefOr::T(reason_schema()));
    }
    if let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut("RetractBody") {
        body.properties.insert("reason".into(), RefOr::T(reason_schema()));
    }
    if let Some(RefOr::T(Schema::Object(properties))) = components.schemas.get_mut("Properties") {
        properties.property_names = Some(Box::new(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(format!("^[a-z0-9][a-z0-9_-]{{0,{}}}$", MAX_KEY_CHARS - 1)))
                .into(),
        ));
        properties.additional_properties = Some(Box::new(AdditionalProperties::RefOr(RefOr::T(name_schema()))));
        properties.max_properties = Some(MAX_PROPERTIES);
    }
}

/// Adds to every operation the answers of the limits that guard every
/// route (`crate::limits`), which no handler annotation names: `503`
/// (`unavailable` when the server sheds load or the database is away,
/// `timeout` after the request timeout), and on writes `413` and `429`
/// (per-client rate limit). Each in the one error shape, the `503` and
/// `429` with `Retry-After`. An operation that describes one of these
/// statuses itself keeps its own words.
pub fn describe_limits(doc: &mut Document) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::{ContentBuilder, ResponseBuilder};
    let answer = |description: &str, retry_after: bool| {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let mut response = ResponseBuilder::new().description(description).content("application/json", content);
        if retry_after {
            let seconds = HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
                .description(Some("Seconds to wait before retrying"))
                .build();
            response = response.header("Retry-After", seconds);
        }
        RefOr::T(response.build())
    };
    for item in doc.paths.paths.values_mut() {
        let reads = [&mut item.get].into_iter().flatten().map(|op| (op, false));
        let writes = [&mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
            .into_iter()
            .flatten()
            .map(|op| (op, true));
        for (op, write) in reads.chain(writes) {
            let responses = &mut op.responses.responses;
            responses.entry("503".into()).or_insert_with(|| {
                answer("The server is busy (`unavailable`), the request took longer than the request timeout (`timeout`), or the database is unavailable; retry later", true)
            });
            if write {
                responses.entry("413".into()).or_insert_with(|| answer("Body over 64 KiB", false));
                responses.entry("429".into()).or_insert_with(|| {
                    answer("Too many writes from this client (`rate_limited`); retry after `Retry-After` seconds", true)
                });
            }
        }
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
        (status = 304, description = answers::NOT_MODIFIED),
    )
)]
pub async fn openapi_json(Extension(description): Extension<Description>, headers: HeaderMap) -> Response {
    description.0.respond(&headers)
}
