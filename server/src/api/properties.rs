//! Properties of dists and releases over HTTP (read, replace, audit) and
//! the distro-info CSV export computed from the log and the properties.
//! Reads answer from the projection; writes go to the store and then
//! bring the projection up to date.

use app::model::distro_info::COLUMNS;
use app::model::properties::{validate_set, PropertyError, PropertyHistoryEntry, PropertySet};
use app::model::time::to_stored_precision;
use app::model::{parse_at, Dist, Release, Timestamp};
use axum::extract::{Path, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::cache::json_response;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::Editor;
use crate::state::AppState;

/// Routes under `/api/v1` for properties and the distro-info export.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dists/{dist}/properties", get(dist_properties).put(replace_dist_properties))
        .route("/dists/{dist}/properties/history", get(dist_history))
        .route(
            "/dists/{dist}/releases/{release}/properties",
            get(release_properties).put(replace_release_properties),
        )
        .route("/dists/{dist}/releases/{release}/properties/history", get(release_history))
        .route("/compat/distro-info/{file}", get(distro_info_csv))
}

/// A property set, request and response of `PUT`/`GET .../properties`:
/// `{"codename": "Bookworm", "version": "12"}`, keys alphabetical.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Properties(pub PropertySet);

/// Body of `GET .../properties/history`: every change, in the order the
/// changes take effect (`at`, then `id`).
#[derive(Debug, Clone, Serialize)]
pub struct PropertyHistory {
    /// The changes with their old and new values.
    pub changes: Vec<PropertyHistoryEntry>,
}

/// `?at=` of the property reads and the export.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    /// RFC 3339, or `YYYY-MM-DD` meaning the end of that day (UTC).
    pub at: Option<String>,
}

impl AtQuery {
    fn instant(&self) -> Result<Timestamp, ApiError> {
        Ok(match &self.at {
            Some(text) => parse_at(text)?,
            None => Utc::now(),
        })
    }
}

/// `?` of the history: nothing yet, but unknown parameters are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

impl From<PropertyError> for ApiError {
    fn from(e: PropertyError) -> Self {
        ApiError::InvalidInput { message: e.to_string(), field: e.field }
    }
}

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

fn read_set(state: &AppState, headers: &HeaderMap, dist: &Dist, release: Option<&Release>, query: &AtQuery) -> Result<Response, ApiError> {
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
    let wanted = validate_set(wanted.0)?;
    let now = to_stored_precision(Utc::now());
    let stored = state.store.replace_properties(dist, release, &wanted, &who.0.actor(), now).await?;
    if stored > 0 {
        state.projection.catch_up(&state.store).await?;
        tracing::info!(%dist, release = release.map(Release::as_str), changes = stored, "properties changed");
    }
    let set = state.projection.read().properties().latest(dist, release);
    Ok((StatusCode::OK, axum::Json(Properties(set))).into_response())
}

fn history(state: &AppState, headers: &HeaderMap, dist: &Dist, release: Option<&Release>) -> Result<Response, ApiError> {
    known(state, dist, release)?;
    let changes = state.projection.read().properties().history(dist, release);
    json_response(headers, &PropertyHistory { changes })
}

/// `GET /api/v1/dists/{dist}/properties?at=`: the dist's own properties.
pub async fn dist_properties(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    read_set(&state, &headers, &dist, None, &query)
}

/// `PUT /api/v1/dists/{dist}/properties`: replaces the dist's properties.
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
pub async fn release_properties(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path((dist, release)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<Response, ApiError> {
    let (dist, release) = (Dist::parse(&dist)?, Release::parse(&release)?);
    read_set(&state, &headers, &dist, Some(&release), &query)
}

/// `PUT /api/v1/dists/{dist}/releases/{release}/properties`.
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
pub async fn release_history(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path((dist, release)): Path<(String, String)>,
    ApiQuery(_): ApiQuery<NoQuery>,
) -> Result<Response, ApiError> {
    let (dist, release) = (Dist::parse(&dist)?, Release::parse(&release)?);
    history(&state, &headers, &dist, Some(&release))
}

/// `GET /api/v1/compat/distro-info/{dist}.csv?at=`: the dist in the CSV
/// format of Debian's distro-info-data.
pub async fn distro_info_csv(
    AxumState(state): AxumState<AppState>,
    Path(file): Path<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<Response, ApiError> {
    let Some(name) = file.strip_suffix(".csv") else {
        return Err(ApiError::NotFound("the export is at /api/v1/compat/distro-info/{dist}.csv".into()));
    };
    let dist = Dist::parse(name)?;
    let at = query.instant()?;
    let columns = state.distro_info.states(&dist);
    let rows = state
        .projection
        .read()
        .distro_info(&dist, at, &columns)
        .ok_or_else(|| ApiError::NotFound(format!("nothing recorded for dist `{dist}`")))?;
    // distro-info-data ends lines with `\n`, not the CRLF of RFC 4180.
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let internal = |e: csv::Error| ApiError::Internal(Box::new(e));
    writer.write_record(COLUMNS).map_err(internal)?;
    for row in &rows {
        writer.write_record(row.cells()).map_err(internal)?;
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
