//! The read views of a dist — states-by-release, releases-by-state,
//! detailed, one release — with `?at=` time travel, and the list of dists.
//! All answered from the projection, with ETags.

use std::collections::BTreeMap;

use app::model::log::DistSummary;
use app::model::views::StateDetail;
use app::model::{parse_at, Dist, Release, State, Timestamp};
use axum::extract::{Path, State as AxumState};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::cache::{json_response, Encoded};
use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::openapi::answers;
use crate::state::AppState;

/// `?at=` of every view.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AtParam {
    /// The instant to answer for: RFC 3339, or `YYYY-MM-DD` meaning the end
    /// of that day in UTC. Default: now.
    #[param(example = "2025-01-01")]
    at: Option<String>,
}

impl AtParam {
    /// The instant asked about (now when absent); 422 when unreadable.
    pub fn instant(&self) -> Result<Timestamp, ApiError> {
        Ok(match &self.at {
            Some(text) => parse_at(text)?,
            None => Utc::now(),
        })
    }

    /// Whether the answer may come from (and go to) the cache: a question
    /// about "now" when no event lies ahead of the clock.
    fn cacheable(&self, log: &app::model::EventLog, at: Timestamp) -> bool {
        self.at.is_none() && log.max_at().is_none_or(|latest| latest <= at)
    }
}

/// What `?with=` may add to a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum With {
    /// The release's properties as of `at`.
    Properties,
}

/// `?at=&with=&state=` of `detailed` and `releases/{release}`, the views
/// that can carry properties and be narrowed to a state. The other views
/// take [`AtParam`], so `with` there is an unknown parameter (422,
/// `field: "with"`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DetailParams {
    /// The instant to answer for: RFC 3339, or `YYYY-MM-DD` meaning the end
    /// of that day in UTC. Default: now.
    #[param(example = "2025-01-01")]
    at: Option<String>,
    /// `properties`: answer `{"properties": {...}, "states": {...}}` per
    /// release instead of the states alone; opt-in, so the published shape
    /// stays as it is.
    #[param(inline)]
    with: Option<With>,
    /// Only this state: each release with this state alone, and only the
    /// releases that had an event for it (e.g. `eol` for every release's
    /// end of life). Answers the same shape, smaller.
    #[param(example = "eol")]
    state: Option<String>,
}

/// What [`DetailParams`] ask for, checked.
struct DetailAsked {
    at: AtParam,
    with_properties: bool,
    state: Option<State>,
}

impl DetailParams {
    /// The `?at=` part, whether properties were asked for, and the state to
    /// narrow to (422 when unreadable).
    fn split(self) -> Result<DetailAsked, ApiError> {
        Ok(DetailAsked {
            at: AtParam { at: self.at },
            with_properties: self.with == Some(With::Properties),
            state: self.state.as_deref().map(State::parse).transpose()?,
        })
    }
}

/// A release's detailed view with its properties (`?with=properties`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReleaseWithProperties {
    /// The release's properties as of `at`, keys alphabetical.
    #[schema(value_type = BTreeMap<String, String>)]
    pub properties: app::model::PropertySet,
    /// The detailed view of the release, as without `with`.
    #[schema(value_type = BTreeMap<String, StateDetail>)]
    pub states: app::model::views::ReleaseDetail,
}

fn unknown_dist(dist: &Dist) -> ApiError {
    ApiError::NotFound(format!("no events for dist `{dist}`"))
}

/// The three dist-wide views.
#[derive(Debug, Clone, Copy)]
enum View {
    StatesByRelease,
    ReleasesByState,
    Detailed,
}

/// Answers one dist-wide view, from the cache when asked about "now".
fn dist_view(
    state: &AppState,
    headers: &HeaderMap,
    dist: &str,
    view: View,
    params: &AtParam,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(dist)?;
    let at = params.instant()?;
    let log = state.projection.read();
    let cacheable = params.cacheable(&log, at);
    let key = format!("{dist}\n{view:?}");
    if cacheable {
        if let Some(hit) = state.views.get(&key, log.version(), at) {
            return Ok(hit.respond(headers));
        }
    }
    let encoded = match view {
        View::StatesByRelease => Encoded::of(&log.states_by_release(&dist, at).ok_or_else(|| unknown_dist(&dist))?)?,
        View::ReleasesByState => Encoded::of(&log.releases_by_state(&dist, at).ok_or_else(|| unknown_dist(&dist))?)?,
        View::Detailed => Encoded::of(&log.detailed(&dist, at).ok_or_else(|| unknown_dist(&dist))?)?,
    };
    if cacheable {
        state.views.put(key, log.version(), None, encoded.clone());
    }
    Ok(encoded.respond(headers))
}

/// `detailed` with `?state=` or `?with=properties`: narrowed to one state,
/// and each release's states with its properties. Not cached: the cache
/// keys only the plain views.
fn detailed_narrowed(
    state: &AppState,
    headers: &HeaderMap,
    dist: &str,
    asked: &DetailAsked,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(dist)?;
    let at = asked.at.instant()?;
    let log = state.projection.read();
    let detailed = match &asked.state {
        Some(only) => log.detailed_in(&dist, only, at),
        None => log.detailed(&dist, at),
    }
    .ok_or_else(|| unknown_dist(&dist))?;
    if !asked.with_properties {
        return json_response(headers, &detailed);
    }
    let properties = log.properties();
    let combined: BTreeMap<Release, ReleaseWithProperties> = detailed
        .into_iter()
        .map(|(release, states)| {
            let properties = properties.set_at(&dist, Some(&release), at);
            (release, ReleaseWithProperties { properties, states })
        })
        .collect();
    json_response(headers, &combined)
}

/// `GET /api/v1/views/{dist}/states-by-release`.
#[utoipa::path(
    get,
    path = "/views/{dist}/states-by-release",
    tag = "views",
    operation_id = "states_by_release",
    params(("dist" = String, Path, description = "The dist, e.g. `fedora`"), AtParam),
    responses(
        (status = 200, description = "Per release (natural order), the states it is in (alphabetical); releases in no state are left out",
            body = BTreeMap<String, Vec<String>>,
            example = json!({"0": ["active", "development"], "34": ["active", "branched"]})),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = answers::UNKNOWN_DIST, body = ErrorBody),
        (status = 422, description = "`at` or the dist is unreadable", body = ErrorBody),
    )
)]
pub async fn states_by_release(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
    ApiQuery(params): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    dist_view(&state, &headers, &dist, View::StatesByRelease, &params)
}

/// `GET /api/v1/views/{dist}/releases-by-state`.
#[utoipa::path(
    get,
    path = "/views/{dist}/releases-by-state",
    tag = "views",
    operation_id = "releases_by_state",
    params(("dist" = String, Path, description = "The dist, e.g. `fedora`"), AtParam),
    responses(
        (status = 200, description = "Per state (alphabetical), the releases in it (natural order); states without releases are left out",
            body = BTreeMap<String, Vec<String>>,
            example = json!({"active": ["0", "33", "34"], "branched": ["34"]})),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = answers::UNKNOWN_DIST, body = ErrorBody),
        (status = 422, description = "`at` or the dist is unreadable", body = ErrorBody),
    )
)]
pub async fn releases_by_state(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
    ApiQuery(params): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    dist_view(&state, &headers, &dist, View::ReleasesByState, &params)
}

/// `GET /api/v1/views/{dist}/detailed`.
#[utoipa::path(
    get,
    path = "/views/{dist}/detailed",
    tag = "views",
    operation_id = "detailed",
    params(("dist" = String, Path, description = "The dist, e.g. `fedora`"), DetailParams),
    responses(
        (status = 200, description = "Per release, per state it had an event for by `at`: `in`, `entered`, `left` and every stay. \
            With `?state=`, only that state, and only the releases that had an event for it. \
            With `?with=properties`, per release a `ReleaseWithProperties`: `{\"properties\": {...}, \"states\": {...}}`",
            body = BTreeMap<String, BTreeMap<String, StateDetail>>),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = answers::UNKNOWN_DIST, body = ErrorBody),
        (status = 422, description = "`at`, `with`, `state` or the dist is unreadable", body = ErrorBody),
    )
)]
pub async fn detailed(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
    ApiQuery(params): ApiQuery<DetailParams>,
) -> Result<Response, ApiError> {
    let asked = params.split()?;
    if asked.with_properties || asked.state.is_some() {
        return detailed_narrowed(&state, &headers, &dist, &asked);
    }
    dist_view(&state, &headers, &dist, View::Detailed, &asked.at)
}

/// `GET /api/v1/views/{dist}/releases/{release}`: the detailed view of one
/// release.
#[utoipa::path(
    get,
    path = "/views/{dist}/releases/{release}",
    tag = "views",
    operation_id = "release_view",
    params(
        ("dist" = String, Path, description = "The dist, e.g. `fedora`"),
        ("release" = String, Path, description = "The release, e.g. `44` (`0` is Rawhide)"),
        DetailParams,
    ),
    responses(
        (status = 200, description = "Per state the release had an event for by `at`: `in`, `entered`, `left` and every stay \
            (with `?state=`, that state alone). With `?with=properties` a `ReleaseWithProperties` instead: `{\"properties\": {...}, \"states\": {...}}`",
            body = BTreeMap<String, StateDetail>),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = "No events for this dist or release", body = ErrorBody),
        (status = 422, description = "`at`, `with`, `state`, the dist or the release is unreadable", body = ErrorBody),
    )
)]
pub async fn release_view(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path((dist, release)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<DetailParams>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    let release = Release::parse(&release)?;
    let asked = params.split()?;
    let at = asked.at.instant()?;
    let log = state.projection.read();
    if !log.has_dist(&dist) {
        return Err(unknown_dist(&dist));
    }
    let mut v = log
        .release_detail(&dist, &release, at)
        .ok_or_else(|| ApiError::NotFound(format!("no events for release `{release}` of `{dist}`")))?;
    if let Some(only) = &asked.state {
        v.retain(|state, _| state == only);
    }
    if asked.with_properties {
        let properties = log.properties().set_at(&dist, Some(&release), at);
        return json_response(&headers, &ReleaseWithProperties { properties, states: v });
    }
    json_response(&headers, &v)
}

/// Body of `GET /api/v1/dists`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Dists {
    /// Every dist, alphabetical.
    dists: Vec<DistSummary>,
}

/// `GET /api/v1/dists`: every dist with its releases and states.
#[utoipa::path(
    get,
    path = "/dists",
    tag = "views",
    operation_id = "dists",
    responses(
        (status = 200, description = "Every dist with every release and state it has ever had", body = Dists),
        (status = 304, description = answers::NOT_MODIFIED),
    )
)]
pub async fn dists(AxumState(state): AxumState<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let dists = state.projection.read().dists();
    json_response(&headers, &Dists { dists })
}
