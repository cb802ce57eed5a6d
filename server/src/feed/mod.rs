//! Feeds for people's readers and calendars: the Atom feed of the log
//! (`/feed.atom`, `/dists/{dist}/feed.atom`) and the iCalendar export
//! (`/calendar.ics`). The documents are built from the in-memory log;
//! conditional GET (`ETag`, `Last-Modified`, `304`) lives here. No JSON
//! API and no HTML pages live here.

pub mod atom;
pub mod ical;

use app::links;
use app::model::describe::{dist_title, release_title};
use app::model::{FilterText, LogFilter, LogQuery, Timestamp};
use axum::extract::{Path, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::ApiQuery;
use crate::api::openapi::answers;
use crate::state::AppState;

/// Entries in a feed unless `?limit=` says otherwise, and the most it may ask.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

/// Routes of the feed and the calendar with their OpenAPI descriptions;
/// `api::routes` merges them, so their errors get the API's JSON shape.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(atom_feed)).routes(routes!(dist_atom_feed)).routes(routes!(calendar))
}

/// Query of the feeds and the calendar: the filters of the event log
/// (`GET /api/v1/events`) and, for the feeds, a limit.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    dist: Option<String>,
    release: Option<String>,
    state: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
}

/// The query of `GET /feed.atom`, for its description only (the handler
/// reads [`FeedParams`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct FeedQuery {
    /// Only this dist, e.g. `fedora`.
    dist: Option<String>,
    /// Only this release, e.g. `44`.
    release: Option<String>,
    /// Only this state, e.g. `branched`.
    state: Option<String>,
    /// Only events with `at` at or after this (RFC 3339, or `YYYY-MM-DD`: the start of that day).
    since: Option<String>,
    /// Only events with `at` at or before this (RFC 3339, or `YYYY-MM-DD`: the end of that day).
    until: Option<String>,
    /// How many entries, 1–500 (default 100): the newest.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// The query of `GET /dists/{dist}/feed.atom`, for its description only:
/// the dist is in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct DistFeedQuery {
    /// Only this release, e.g. `44`.
    release: Option<String>,
    /// Only this state, e.g. `branched`.
    state: Option<String>,
    /// Only events with `at` at or after this (RFC 3339, or `YYYY-MM-DD`: the start of that day).
    since: Option<String>,
    /// Only events with `at` at or before this (RFC 3339, or `YYYY-MM-DD`: the end of that day).
    until: Option<String>,
    /// How many entries, 1–500 (default 100): the newest.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// The query of `GET /calendar.ics`, for its description only: a calendar
/// holds every event that passes the filters, so there is no `limit`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct CalendarQuery {
    /// Only this dist, e.g. `fedora`.
    dist: Option<String>,
    /// Only this release, e.g. `44`.
    release: Option<String>,
    /// Only this state, e.g. `branched`.
    state: Option<String>,
    /// Only events with `at` at or after this (RFC 3339, or `YYYY-MM-DD`: the start of that day).
    since: Option<String>,
    /// Only events with `at` at or before this (RFC 3339, or `YYYY-MM-DD`: the end of that day).
    until: Option<String>,
}

/// What a feed or calendar shows: the log's filters and a page size.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The filters, read as every reader of the log reads them.
    pub filter: LogFilter,
    /// How many entries.
    pub limit: usize,
}

impl Selection {
    /// Validates the parameters, as the event log does.
    fn parse(params: FeedParams) -> Result<Self, ApiError> {
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid("limit", format!("limit: must be between 1 and {MAX_LIMIT}")));
        }
        let filter = LogFilter::parse(FilterText {
            dist: params.dist.as_deref(),
            release: params.release.as_deref(),
            state: params.state.as_deref(),
            since: params.since.as_deref(),
            until: params.until.as_deref(),
        })?;
        Ok(Self { filter, limit })
    }

    /// The log query with these filters.
    pub fn log_query(&self) -> LogQuery {
        self.filter.log_query(self.limit)
    }

    /// The filters as a query string (`dist=fedora&state=branched`), in a
    /// fixed order: what a feed's id is made of.
    pub fn filters_query(&self) -> String {
        links::query_string(self.filter.pairs(true))
    }

    /// The limit, when a URL must repeat it (not the default).
    fn given_limit(&self) -> Option<usize> {
        (self.limit != DEFAULT_LIMIT).then_some(self.limit)
    }

    /// In words, for titles: `Fedora`, `release 44, state branched`.
    pub fn describe(&self) -> Option<String> {
        let f = &self.filter;
        let mut parts = Vec::new();
        match (&f.dist, &f.release) {
            (Some(d), Some(r)) => parts.push(release_title(d, r)),
            (Some(d), None) => parts.push(dist_title(d)),
            (None, Some(r)) => parts.push(format!("release {r}")),
            (None, None) => {}
        }
        if let Some(s) = &f.state {
            parts.push(format!("state {s}"));
        }
        if let Some(b) = &f.since {
            parts.push(format!("since {}", b.given));
        }
        if let Some(b) = &f.until {
            parts.push(format!("until {}", b.given));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// Absolute URL of `path` (a path of the site, from `app::links`) under
/// the public URL.
pub fn absolute(state: &AppState, path: &str) -> String {
    match state.auth.public_url.join(path.trim_start_matches('/')) {
        Ok(url) => url.to_string(),
        // Paths here are ours and always join; keep the link relative
        // rather than fail the whole document.
        Err(_) => format!("/{}", path.trim_start_matches('/')),
    }
}

/// `base?query`, or `base` alone for an empty query (feed ids).
pub fn with_query(base: &str, query: &str) -> String {
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// The page of one event, absolute.
pub fn event_page(state: &AppState, id: i64) -> String {
    absolute(state, &links::event(id))
}

/// A document ready to send, with what conditional requests compare.
pub struct Document {
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub body: Vec<u8>,
    /// The newest change the document shows (`Last-Modified`).
    pub last_modified: Timestamp,
}

/// `Last-Modified`/`If-Modified-Since` format (RFC 9110 IMF-fixdate).
fn http_date(t: &Timestamp) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Reads an IMF-fixdate; other (obsolete) forms count as absent.
fn parse_http_date(raw: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc2822(raw.trim()).ok().map(|t| t.with_timezone(&Utc))
}

impl Document {
    /// Answers the document, or `304` when the client's copy is current:
    /// `If-None-Match` decides when present, else `If-Modified-Since`
    /// (RFC 9110 §13.2.2).
    pub fn respond(self, request: &HeaderMap) -> Response {
        let etag = crate::api::cache::etag_of(&self.body);
        let last_modified = http_date(&self.last_modified);
        let fresh = if request.contains_key(header::IF_NONE_MATCH) {
            crate::api::cache::matches(request, &etag)
        } else {
            request
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date)
                // HTTP dates have whole seconds.
                .is_some_and(|since| self.last_modified.timestamp() <= since.timestamp())
        };
        let mut headers = HeaderMap::new();
        let mut set = |name, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        set(header::ETAG, etag);
        set(header::LAST_MODIFIED, last_modified);
        set(header::CACHE_CONTROL, "public, no-cache".to_owned());
        if fresh {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        set(header::CONTENT_TYPE, self.content_type.to_owned());
        (StatusCode::OK, headers, self.body).into_response()
    }
}

/// `GET /feed.atom?dist=&release=&state=&since=&until=&limit=`.
#[utoipa::path(
    get,
    path = "/feed.atom",
    tag = "feeds",
    operation_id = "atom_feed",
    params(FeedQuery),
    responses(
        (status = 200, description = "An Atom feed (RFC 4287) of the newest events, retractions and plan revisions that pass the filters, newest first; entry ids (`tag:AUTHORITY,2026:event/N`, `.../retraction/N`, `.../plan/N`) never change", content_type = "application/atom+xml", body = String),
        (status = 304, description = answers::NOT_MODIFIED_SINCE),
        (status = 422, description = "A filter or `limit` is invalid, or an unknown parameter was given", body = ErrorBody),
    )
)]
pub async fn atom_feed(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Response, ApiError> {
    let selection = Selection::parse(params)?;
    let path = links::feed(&selection.filter, selection.given_limit());
    Ok(atom::feed(&state, &selection, &path)?.respond(&headers))
}

/// `GET /dists/{dist}/feed.atom?release=&state=&since=&until=&limit=`: 404
/// for a dist without events, like its page.
#[utoipa::path(
    get,
    path = "/dists/{dist}/feed.atom",
    tag = "feeds",
    operation_id = "dist_atom_feed",
    params(("dist" = String, Path, description = "The dist, e.g. `fedora`"), DistFeedQuery),
    responses(
        (status = 200, description = "The Atom feed of one dist: as `GET /feed.atom?dist=...`, with the dist's page as its link", content_type = "application/atom+xml", body = String),
        (status = 304, description = answers::NOT_MODIFIED_SINCE),
        (status = 404, description = "No events of this dist", body = ErrorBody),
        (status = 422, description = "A filter or `limit` is invalid, `dist` was given in the query too, or an unknown parameter was given", body = ErrorBody),
    )
)]
pub async fn dist_atom_feed(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Response, ApiError> {
    if params.dist.is_some() {
        return Err(ApiError::invalid("dist", "dist: already given in the path"));
    }
    let selection = Selection::parse(FeedParams { dist: Some(dist.clone()), ..params })?;
    let known = selection.filter.dist.as_ref().filter(|d| state.projection.read().has_dist(d));
    let Some(known) = known else {
        return Err(ApiError::NotFound(format!("no dist {}", dist.chars().take(40).collect::<String>())));
    };
    let path = links::dist_feed(known, &selection.filter, selection.given_limit());
    Ok(atom::feed(&state, &selection, &path)?.respond(&headers))
}

/// `GET /calendar.ics?dist=&release=&state=&since=&until=`: every event
/// that passes the filters (a calendar has no limit).
#[utoipa::path(
    get,
    path = "/calendar.ics",
    tag = "feeds",
    operation_id = "calendar",
    params(CalendarQuery),
    responses(
        (status = 200, description = "An iCalendar (RFC 5545) of every event that passes the filters, one `VEVENT` per event (a date when it happened at midnight UTC, else an instant) with UID `event-N@AUTHORITY`; a retracted event stays, with `STATUS:CANCELLED`; then one per planned transition key (UID `plan-N@AUTHORITY`, `STATUS:TENTATIVE` with a `SEQUENCE` that grows with each revision, `CONFIRMED` at the actual time once met, `CANCELLED` when cancelled)", content_type = "text/calendar", body = String),
        (status = 304, description = answers::NOT_MODIFIED_SINCE),
        (status = 422, description = "A filter is invalid, `limit` was given, or an unknown parameter was given", body = ErrorBody),
    )
)]
pub async fn calendar(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Response, ApiError> {
    if params.limit.is_some() {
        return Err(ApiError::invalid("limit", "limit: the calendar holds every event; filter it instead"));
    }
    let selection = Selection::parse(params)?;
    Ok(ical::calendar(&state, &selection)?.respond(&headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip() {
        let t: Timestamp = "2026-02-10T14:00:05.25Z".parse().unwrap();
        let text = http_date(&t);
        assert_eq!(text, "Tue, 10 Feb 2026 14:00:05 GMT");
        assert_eq!(parse_http_date(&text).unwrap().timestamp(), t.timestamp());
        assert!(parse_http_date("yesterday").is_none());
    }

    #[test]
    fn limits_are_bounded() {
        let limit = |limit| FeedParams { limit, ..FeedParams::default() };
        assert_eq!(Selection::parse(limit(None)).unwrap().limit, DEFAULT_LIMIT);
        assert!(Selection::parse(limit(Some(0))).is_err());
        assert!(Selection::parse(limit(Some(MAX_LIMIT + 1))).is_err());
        assert!(Selection::parse(FeedParams { dist: Some(" x".into()), ..FeedParams::default() }).is_err());
        let until = Selection::parse(FeedParams { until: Some("2026-02-10".into()), ..FeedParams::default() }).unwrap();
        assert_eq!(until.filters_query(), "until=2026-02-10");
        assert!(Selection::parse(FeedParams { since: Some("yesterday".into()), ..FeedParams::default() }).is_err());
    }
}
