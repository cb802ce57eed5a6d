//! Properties of dists and releases over HTTP (read, replace, audit) and
//! the distro-info CSV export computed from the log and the properties.
//! Reads answer from the projection; writes go through the log writer.
//!
//! The export is published as `/api/v1/compat/distro-info/{dist}.csv`, but
//! axum 0.8's router (matchit 0.8) takes a parameter only as a whole path
//! segment — it refuses `{dist}.csv` — so the export is served at `{file}`
//! with `.csv` stripped here, and its description is moved to the
//! published path by [`describe_as_published`].

use app::model::distro_info::{inert_cell, COLUMNS};
use app::model::properties::{PropertyHistoryEntry, PropertySet};
use app::model::{Dist, Release};
use axum::extract::{Path, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::cache::json_response;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::openapi::answers;
use super::views::AtParam;
use crate::auth::Editor;
use crate::state::AppState;

/// Where the router serves the export (`{file}` is `{dist}.csv`).
const DISTRO_INFO_SERVED: &str = "/api/v1/compat/distro-info/{file}";
/// Where the export is published, and described in the OpenAPI document.
pub const DISTRO_INFO_PUBLISHED: &str = "/api/v1/compat/distro-info/{dist}.csv";

/// Moves the export's description from the path the router serves to the
/// published one, keeping the order of the paths. Both name the same URLs.
pub fn describe_as_published(doc: &mut utoipa::openapi::OpenApi) {
    doc.paths.paths = std::mem::take(&mut doc.paths.paths)
        .into_iter()
        .map(
            |(path, item)| {
                if path == DISTRO_INFO_SERVED {
                    (DISTRO_INFO_PUBLISHED.to_owned(), item)
                } else {
                    (path, item)
                }
            },
        )
        .collect();
}

/// A property set, request and response of `PUT`/`GET .../properties`:
/// `{"codename": "Bookworm", "version": "12"}`, keys alphabetical.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(
    value_type = BTreeMap<String, String>,
    example = json!({"codename": "Bookworm", "series": "bookworm", "version": "12"})
)]
pub struct Properties(pub PropertySet);

/// Body of `GET .../properties/history`: every change, in the order the
/// changes take effect (`at`, then `id`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PropertyHistory {
    /// The changes with their old and new values.
    pub changes: Vec<PropertyHistoryEntry>,
}

/// `?` of the history: nothing yet, but unknown parameters are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// 404 unless the dist (or release) has an event or a property change.
fn known(state: &AppState, dist: &Dist, release: Option<&Release>) -> Result<(), ApiError> {
    let log = state.projection.read();
    let found = match release {
        None => log.has_dist(dist) || log.properties().has_dist(dist),
        Some(r) => log.has_release(dist, r) || log.properties().has(dist, Some(r)),
    };
    if found {
        return Ok(());
    }
    Err(ApiError::NotFound(match release {
        None => format!("nothing recorded for dist `{dist}`"),
        Some(r) => format!("nothing recorded for release `{r}` of `{dist}`"),
    }))
}

fn read_set(
    state: &AppState,
    headers: &HeaderMap,
    dist: &Dist,
    release: Option<&Release>,
    query: &AtParam,
) -> Result<Response, ApiError> {
    let at = query.instant()?;
    known(state, dist, release)?;
    let set = state.projection.read().properties().set_at(dist, release, at);
    json_response(headers, &Properties(set))
}

async fn replace(
    state: &AppState,
    who: &Editor,
    dist: &Dist,
    release: Option<&Release>,
    wanted: Properties,
) -> Result<Response, ApiError> {
    let set = state.writer.replace_properties(dist, release, wanted.0, who.0.actor()).await?;
    Ok((StatusCode::OK, axum::Json(Properties(set))).into_response())
}

fn history(
    state: &AppState,
    headers: &HeaderMap,
    dist: &Dist,
    release: Option<&Release>,
) -> Result<Response, ApiError> {
    known(state, dist, release)?;
    let changes = state.projection.read().properties().history(dist, release);
    json_response(headers, &PropertyHistory { changes })
}

/// `GET /api/v1/dists/{dist}/properties?at=`: the dist's own properties.
#[utoipa::path(
    get,
    path = "/dists/{dist}/properties",
    tag = "properties",
    operation_id = "dist_properties",
    params(("dist" = String, Path, description = "The dist, e.g. `debian`"), AtParam),
    responses(
        (status = 200, description = "The dist's own set as of `at`, keys alphabetical; `{}` when none was set by then", body = Properties),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = answers::DIST_WITHOUT_RECORDS, body = ErrorBody),
        (status = 422, description = "`at` or the dist is unreadable, or an unknown parameter", body = ErrorBody),
    )
)]
pub async fn dist_properties(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
    ApiQuery(query): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    read_set(&state, &headers, &dist, None, &query)
}

/// `PUT /api/v1/dists/{dist}/properties`: replaces the dist's properties.
#[utoipa::path(
    put,
    path = "/dists/{dist}/properties",
    tag = "properties",
    operation_id = "replace_dist_properties",
    params(("dist" = String, Path, description = "The dist, e.g. `debian`; it need not have events yet")),
    request_body(content = Properties, description = "The whole set: keys left out are removed, `{}` removes all.",
        example = json!({"name": "Fedora Linux"})),
    security(("bearer" = [])),
    responses(
        (status = 200, description = answers::PROPERTIES_REPLACED, body = Properties),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN_OR_SESSION, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "A key or value breaks a rule (`field` names the key), over 32 keys, not an object of strings, or a bad dist", body = ErrorBody),
    )
)]
pub async fn replace_dist_properties(
    AxumState(state): AxumState<AppState>,
    who: Editor,
    Path(dist): Path<String>,
    ApiJson(wanted): ApiJson<Properties>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    replace(&state, &who, &dist, None, wanted).await
}

/// `GET /api/v1/dists/{dist}/properties/history`.
#[utoipa::path(
    get,
    path = "/dists/{dist}/properties/history",
    tag = "properties",
    operation_id = "dist_properties_history",
    params(("dist" = String, Path, description = "The dist, e.g. `debian`")),
    responses(
        (status = 200, description = "Every change of the dist's own properties, in the order they take effect (`at`, then `id`)", body = PropertyHistory),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = answers::DIST_WITHOUT_RECORDS, body = ErrorBody),
        (status = 422, description = "The dist is unreadable, or a query parameter was given", body = ErrorBody),
    )
)]
pub async fn dist_history(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    history(&state, &headers, &dist, None)
}

/// `GET /api/v1/dists/{dist}/releases/{release}/properties?at=`.
#[utoipa::path(
    get,
    path = "/dists/{dist}/releases/{release}/properties",
    tag = "properties",
    operation_id = "release_properties",
    params(
        ("dist" = String, Path, description = "The dist, e.g. `debian`"),
        ("release" = String, Path, description = "The release, e.g. `12`"),
        AtParam,
    ),
    responses(
        (status = 200, description = "The release's set as of `at`, keys alphabetical; `{}` when none was set by then", body = Properties),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = answers::RELEASE_WITHOUT_RECORDS, body = ErrorBody),
        (status = 422, description = "`at`, the dist or the release is unreadable, or an unknown parameter", body = ErrorBody),
    )
)]
pub async fn release_properties(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path((dist, release)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let (dist, release) = (Dist::parse(&dist)?, Release::parse(&release)?);
    read_set(&state, &headers, &dist, Some(&release), &query)
}

/// `PUT /api/v1/dists/{dist}/releases/{release}/properties`.
#[utoipa::path(
    put,
    path = "/dists/{dist}/releases/{release}/properties",
    tag = "properties",
    operation_id = "replace_release_properties",
    params(
        ("dist" = String, Path, description = "The dist, e.g. `debian`"),
        ("release" = String, Path, description = "The release, e.g. `12`; it need not have events yet"),
    ),
    request_body(content = Properties, description = "The whole set: keys left out are removed, `{}` removes all.",
        example = json!({"codename": "Heisenbug", "name": "Fedora Linux 44"})),
    security(("bearer" = [])),
    responses(
        (status = 200, description = answers::PROPERTIES_REPLACED, body = Properties),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN_OR_SESSION, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "A key or value breaks a rule (`field` names the key), over 32 keys, not an object of strings, or a bad dist or release", body = ErrorBody),
    )
)]
pub async fn replace_release_properties(
    AxumState(state): AxumState<AppState>,
    who: Editor,
    Path((dist, release)): Path<(String, String)>,
    ApiJson(wanted): ApiJson<Properties>,
) -> Result<Response, ApiError> {
    let (dist, release) = (Dist::parse(&dist)?, Release::parse(&release)?);
    replace(&state, &who, &dist, Some(&release), wanted).await
}

/// `GET /api/v1/dists/{dist}/releases/{release}/properties/history`.
#[utoipa::path(
    get,
    path = "/dists/{dist}/releases/{release}/properties/history",
    tag = "properties",
    operation_id = "release_properties_history",
    params(
        ("dist" = String, Path, description = "The dist, e.g. `debian`"),
        ("release" = String, Path, description = "The release, e.g. `12`"),
    ),
    responses(
        (status = 200, description = "Every change of the release's properties, in the order they take effect (`at`, then `id`)", body = PropertyHistory),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = answers::RELEASE_WITHOUT_RECORDS, body = ErrorBody),
        (status = 422, description = "The dist or the release is unreadable, or a query parameter was given", body = ErrorBody),
    )
)]
pub async fn release_history(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path((dist, release)): Path<(String, String)>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    let (dist, release) = (Dist::parse(&dist)?, Release::parse(&release)?);
    history(&state, &headers, &dist, Some(&release))
}

// Served at `{file}`, described at `{dist}.csv` (see the module's note).
/// `GET /api/v1/compat/distro-info/{dist}.csv?at=`: the dist in the CSV
/// format of Debian's distro-info-data.
#[utoipa::path(
    get,
    path = "/compat/distro-info/{file}",
    tag = "compat",
    operation_id = "distro_info_csv",
    params(
        ("dist" = String, Path, description = "The dist, e.g. `debian` (the URL ends in `debian.csv`)", example = "debian"),
        AtParam,
    ),
    responses(
        (status = 200, description = "The header `version,codename,series,created,release,eol` plus the later phases the dist has (`eol-lts`, `eol-elts`, `eol-server`, `eol-esm`, `eol-legacy`), and one row per release in distro-info's order, empty cells at a row's end left out, lines ending in LF",
            content_type = "text/csv", body = String,
            example = "version,codename,series,created,release,eol,eol-lts,eol-elts\n12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-07-11,2028-06-30,2033-06-30\n"),
        (status = 404, description = "The dist has neither events nor properties, or the name does not end in `.csv`", body = ErrorBody),
        (status = 422, description = "`at` or the dist is unreadable, or an unknown parameter", body = ErrorBody),
    )
)]
pub async fn distro_info_csv(
    AxumState(state): AxumState<AppState>,
    Path(file): Path<String>,
    ApiQuery(query): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let Some(name) = file.strip_suffix(".csv") else {
        return Err(ApiError::NotFound("the export is at /api/v1/compat/distro-info/{dist}.csv".into()));
    };
    let dist = Dist::parse(name)?;
    let at = query.instant()?;
    let columns = state.distro_info.states(&dist);
    let (phases, rows) = {
        let log = state.projection.read();
        let rows = log
            .distro_info(&dist, at, &columns)
            .ok_or_else(|| ApiError::NotFound(format!("nothing recorded for dist `{dist}`")))?;
        (log.distro_info_phases(&dist), rows)
    };
    // distro-info-data ends lines with `\n`, not the CRLF of RFC 4180,
    // and leaves out the empty cells at the end of a row.
    let mut writer =
        csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).flexible(true).from_writer(Vec::new());
    let internal = |e: csv::Error| ApiError::Internal(Box::new(e));
    writer.write_record(COLUMNS.iter().chain(phases.iter())).map_err(internal)?;
    for row in &rows {
        writer.write_record(row.written_cells().into_iter().map(|c| inert_cell(c).into_owned())).map_err(internal)?;
    }
    let body = writer.into_inner().map_err(|e| ApiError::Internal(e.to_string().into()))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache")),
        ],
        body,
    )
        .into_response())
}
