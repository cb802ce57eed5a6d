//! The read views of a dist — states-by-release, releases-by-state,
//! detailed, one release — with `?at=` time travel, and the list of dists.
//! All answered from the projection, with ETags.

use app::model::{parse_at, Dist, Release, Timestamp};
use axum::extract::{Path, State as AxumState};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::cache::{json_response, Encoded};
use super::error::ApiError;
use super::extract::ApiQuery;
use crate::state::AppState;

/// `?at=` of every view.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtParam {
    at: Option<String>,
    /// `properties`: answer `{"properties": {...}, "states": {...}}` per
    /// release (`detailed` and `releases/{release}` only); opt-in so the
    /// published shapes stay as they are.
    with: Option<String>,
}

/// A release's detailed view with its properties (`?with=properties`).
#[derive(Debug, Serialize)]
pub struct ReleaseWithProperties {
    /// The release's properties as of `at`.
    pub properties: app::model::PropertySet,
    /// The detailed view of the release, as without `with`.
    pub states: app::model::views::ReleaseDetail,
}

impl AtParam {
    /// Whether `?with=properties` was asked for, on a view that takes it.
    fn with_properties(&self, view_takes_it: bool) -> Result<bool, ApiError> {
        match self.with.as_deref() {
            None => Ok(false),
            Some("properties") if view_takes_it => Ok(true),
            Some("properties") => Err(ApiError::invalid("with", "with: only `detailed` and `releases/{release}` take `with=properties`")),
            Some(_) => Err(ApiError::invalid("with", "with: the only value is `properties`")),
        }
    }

    fn instant(&self) -> Result<Timestamp, ApiError> {
        Ok(match &self.at {
            Some(text) => parse_at(text)?,
            None => Utc::now(),
        })
    }

    /// Whether the answer may come from (and go to) the cache: a question
    /// about "now" when no event lies ahead of the clock.
    fn cacheable(&self, log: &app::model::EventLog, at: Timestamp) -> bool {
        self.at.is_none() && self.with.is_none() && log.max_at().is_none_or(|latest| latest <= at)
    }
}

fn unknown_dist(dist: &Dist) -> ApiError {
    ApiError::NotFound(format!("no events for dist `{dist}`"))
}

/// `GET /api/v1/views/{dist}/{view}` for the three dist-wide views.
pub async fn dist_view(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path((dist, view)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    let at = params.instant()?;
    // Unknown views fall through to their 404 below.
    let with_properties = params.with_properties(!matches!(view.as_str(), "states-by-release" | "releases-by-state"))?;
    let log = state.projection.read();
    let cacheable = params.cacheable(&log, at);
    let key = format!("{dist}\n{view}");
    if cacheable {
        if let Some(hit) = state.views.get(&key, log.version()) {
            return Ok(hit.respond(&headers));
        }
    }
    let encoded = match view.as_str() {
        "states-by-release" => Encoded::of(&log.states_by_release(&dist, at).ok_or_else(|| unknown_dist(&dist))?)?,
        "releases-by-state" => Encoded::of(&log.releases_by_state(&dist, at).ok_or_else(|| unknown_dist(&dist))?)?,
        "detailed" if with_properties => {
            let detailed = log.detailed(&dist, at).ok_or_else(|| unknown_dist(&dist))?;
            let properties = log.properties();
            let combined: std::collections::BTreeMap<Release, ReleaseWithProperties> = detailed
                .into_iter()
                .map(|(release, states)| {
                    let properties = properties.set_at(&dist, Some(&release), at);
                    (release, ReleaseWithProperties { properties, states })
                })
                .collect();
            Encoded::of(&combined)?
        }
        "detailed" => Encoded::of(&log.detailed(&dist, at).ok_or_else(|| unknown_dist(&dist))?)?,
        _ => {
            return Err(ApiError::NotFound(
                "no such view; try states-by-release, releases-by-state or detailed".into(),
            ))
        }
    };
    if cacheable {
        state.views.put(key, log.version(), encoded.clone());
    }
    Ok(encoded.respond(&headers))
}

/// `GET /api/v1/views/{dist}/releases/{release}`: the detailed view of one
/// release.
pub async fn release_view(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path((dist, release)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    let release = Release::parse(&release)?;
    let at = params.instant()?;
    let with_properties = params.with_properties(true)?;
    let log = state.projection.read();
    if !log.has_dist(&dist) {
        return Err(unknown_dist(&dist));
    }
    let v = log
        .release_detail(&dist, &release, at)
        .ok_or_else(|| ApiError::NotFound(format!("no events for release `{release}` of `{dist}`")))?;
    if with_properties {
        let properties = log.properties().set_at(&dist, Some(&release), at);
        return json_response(&headers, &ReleaseWithProperties { properties, states: v });
    }
    json_response(&headers, &v)
}

/// Body of `GET /api/v1/dists`.
#[derive(Serialize)]
struct Dists {
    dists: Vec<app::model::log::DistSummary>,
}

/// `GET /api/v1/dists`: every dist with its releases and states.
pub async fn dists(AxumState(state): AxumState<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let dists = state.projection.read().dists();
    json_response(&headers, &Dists { dists })
}
