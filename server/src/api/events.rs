//! The event log over HTTP: record (JSON and the form/query style for shell
//! scripts), list with filters and cursors, read one, retract.

use app::model::event::{EventInput, EventRecord};
use app::model::{
    parse_reached as read_reached, FilterText, LogFilter, LogPage, LogQuery, NewRetraction, ReachedWords,
};
use axum::extract::{Path, Request, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;

use super::cache::json_response;
use super::error::{ApiError, ErrorBody};
use super::extract::{body_bytes, decode_pairs, ApiJson, ApiQuery};
use super::idempotency;
use super::openapi::answers;
use crate::auth::Editor;
use crate::log::{Recorded, RetractionResult};
use crate::state::AppState;

/// Default and largest page of the log.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

/// Records `input` for `who`, once per idempotency key when `headers`
/// carry one, and answers `201` with the event and its `Location` (marked
/// `Idempotent-Replayed` when an earlier request with the key stored it).
async fn record(
    state: &AppState,
    who: &crate::auth::Identity,
    headers: &HeaderMap,
    input: EventInput,
) -> Result<Response, ApiError> {
    let key = idempotency::key(headers)?;
    let at_given = input.at.as_deref().is_some_and(|at| !at.is_empty());
    let event = input.validate(Utc::now())?;
    let key = key.map(|k| idempotency::write_key(k, &event, at_given));
    let Recorded { event: record, replayed } = state.writer.record_once(event, who.actor(), key).await?;
    let location = app::links::api_event(record.id);
    let mut response = (StatusCode::CREATED, [(header::LOCATION, location)], Json(record)).into_response();
    if replayed {
        response.headers_mut().extend([idempotency::replayed_header()]);
    }
    Ok(response)
}

/// `POST /api/v1/events`: records an event from a JSON body.
#[utoipa::path(
    post,
    path = "/events",
    tag = "events",
    operation_id = "create_event",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional, 1–255 visible ASCII characters (no spaces), unique per request for this caller, e.g. a UUID. A request repeated with the same key (after a timeout or a 503) answers the event the first one stored, with `Idempotent-Replayed: true`, instead of storing it again; the same key with a different request is refused (422). Keys belong to the caller (token or login).")),
    request_body(content = EventInput, description = "The event; `dist`, `release`, `state` and `reached` are required, unknown fields are refused.",
        example = json!({"dist": "fedora", "release": "44", "state": "branched", "reached": true, "at": "2026-02-10T14:00:00Z"})),
    security(("bearer" = [])),
    responses(
        (status = 201, description = answers::EVENT_STORED, body = EventRecord,
            headers(("Location" = String, description = "`/api/v1/events/{id}`"),
                ("Idempotent-Replayed" = String, description = "`true` when the answer repeats an earlier request with the same `Idempotency-Key`"))),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "A field is missing or breaks a rule, or the `Idempotency-Key` is malformed or was used for a different request; `field` names it", body = ErrorBody),
    )
)]
pub async fn create(
    AxumState(state): AxumState<AppState>,
    Editor(who): Editor,
    headers: HeaderMap,
    ApiJson(input): ApiJson<EventInput>,
) -> Result<Response, ApiError> {
    record(&state, &who, &headers, input).await
}

/// Reads `reached` the way shell scripts write it (the core's reading).
fn parse_reached(value: &str) -> Result<bool, ApiError> {
    read_reached(value, ReachedWords::Script)
        .ok_or_else(|| ApiError::invalid("reached", "reached: must be 1, 0, true or false"))
}

/// Builds an event input from `key=value` pairs (query string and/or an
/// urlencoded body), refusing unknown and repeated keys.
fn input_from_pairs(pairs: Vec<(String, String)>) -> Result<EventInput, ApiError> {
    let mut input = EventInput::default();
    for (key, value) in pairs {
        let slot = match key.as_str() {
            "dist" => &mut input.dist,
            "release" => &mut input.release,
            "state" => &mut input.state,
            "at" => &mut input.at,
            "note" => &mut input.note,
            "link" => &mut input.link,
            "reached" => {
                if input.reached.replace(parse_reached(&value)?).is_some() {
                    return Err(ApiError::invalid("reached", "reached: given more than once"));
                }
                continue;
            }
            _ => {
                return Err(ApiError::InvalidInput {
                    field: Some(key.clone()),
                    message: format!("unknown parameter `{}`", key.chars().take(40).collect::<String>()),
                })
            }
        };
        if slot.replace(value).is_some() {
            return Err(ApiError::invalid(key.clone(), format!("{key}: given more than once")));
        }
    }
    Ok(input)
}

/// The parameters of `POST /event`, for its description only: the handler
/// reads the raw pairs so that it can refuse unknown and repeated keys.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct FormParams {
    /// The dist, e.g. `fedora`.
    dist: String,
    /// The release, e.g. `44`.
    release: String,
    /// The state, e.g. `branched`.
    state: String,
    /// `1`, `0`, `true` or `false`.
    reached: String,
    /// When it happened (RFC 3339); defaults to now.
    at: Option<String>,
    /// Free text, at most 2,000 characters.
    note: Option<String>,
    /// Provenance, an http(s) URL.
    link: Option<String>,
}

/// `POST /event?dist=&release=&state=&reached=1`: the same as
/// [`create`] for shell scripts; parameters may also come as an
/// `application/x-www-form-urlencoded` body.
#[utoipa::path(
    post,
    path = "/event",
    tag = "events",
    operation_id = "create_event_from_form",
    params(FormParams, ("Idempotency-Key" = Option<String>, Header, description = "Optional, 1–255 visible ASCII characters (no spaces), unique per request for this caller, e.g. a UUID. A request repeated with the same key (after a timeout or a 503) answers the event the first one stored, with `Idempotent-Replayed: true`, instead of storing it again; the same key with a different request is refused (422). Keys belong to the caller (token or login).")),
    request_body(content = Option<String>, content_type = "application/x-www-form-urlencoded",
        description = "Optional: the same parameters as a form body instead of (or besides) the query string."),
    security(("bearer" = [])),
    responses(
        (status = 201, description = answers::EVENT_STORED, body = EventRecord,
            headers(("Location" = String, description = "`/api/v1/events/{id}`"),
                ("Idempotent-Replayed" = String, description = "`true` when the answer repeats an earlier request with the same `Idempotency-Key`"))),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 415, description = "A body that is not a form", body = ErrorBody),
        (status = 422, description = "A parameter is missing, repeated, unknown or breaks a rule, or the `Idempotency-Key` is malformed or was used for a different request", body = ErrorBody),
    )
)]
pub async fn create_from_form(
    AxumState(state): AxumState<AppState>,
    Editor(who): Editor,
    request: Request,
) -> Result<Response, ApiError> {
    let query = request.uri().query().unwrap_or("").to_owned();
    let form_body = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let headers = request.headers().clone();
    let body = body_bytes(request, &()).await?;
    if !body.is_empty() && !form_body {
        return Err(ApiError::UnsupportedMediaType(
            "send parameters in the query string or as application/x-www-form-urlencoded".into(),
        ));
    }
    let mut pairs = decode_pairs(query.as_bytes())?;
    pairs.extend(decode_pairs(&body)?);
    record(&state, &who, &headers, input_from_pairs(pairs)?).await
}

/// Query parameters of `GET /api/v1/events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    /// Only this dist.
    dist: Option<String>,
    /// Only this release.
    release: Option<String>,
    /// Only this state.
    state: Option<String>,
    /// Only events with `at` at or after this (RFC 3339, or `YYYY-MM-DD`: the start of that day).
    since: Option<String>,
    /// Only events with `at` at or before this (RFC 3339, or `YYYY-MM-DD`: the end of that day).
    until: Option<String>,
    /// Newest-first paging: only ids below this (the `next_before_id` of the previous page).
    before_id: Option<i64>,
    /// Change feed: only ids above this, oldest first.
    after_id: Option<i64>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The page size of a list: `limit` (1–1000), 100 when absent.
pub(super) fn page_limit(limit: Option<i64>) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("limit: must be between 1 and {MAX_LIMIT}")));
    }
    Ok(limit as usize)
}

impl LogParams {
    fn into_query(self) -> Result<LogQuery, ApiError> {
        let limit = page_limit(self.limit)?;
        let filter = LogFilter::parse(FilterText {
            dist: self.dist.as_deref(),
            release: self.release.as_deref(),
            state: self.state.as_deref(),
            since: self.since.as_deref(),
            until: self.until.as_deref(),
        })?;
        Ok(LogQuery { before_id: self.before_id, after_id: self.after_id, ..filter.log_query(limit) })
    }
}

/// `GET /api/v1/events`: a page of the log, newest first; with `after_id`,
/// oldest first from there (a change feed).
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    operation_id = "list_events",
    params(LogParams),
    responses(
        (status = 200, description = "A page of the log", body = LogPage),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 422, description = "A filter is unreadable or unknown; `field` names it", body = ErrorBody),
    )
)]
pub async fn list(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<LogParams>,
) -> Result<Response, ApiError> {
    let query = params.into_query()?;
    let page = state.projection.read().query(&query);
    json_response(&headers, &page)
}

/// Parses an event id from the path.
fn event_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid("id", "id: must be a positive integer"))
}

/// `GET /api/v1/events/{id}`: one event with its retraction, if any.
#[utoipa::path(
    get,
    path = "/events/{id}",
    tag = "events",
    operation_id = "get_event",
    params(("id" = i64, Path, description = "The event id", minimum = 1)),
    responses(
        (status = 200, description = "The event, with its retraction or `null`", body = EventRecord),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = answers::UNKNOWN_EVENT, body = ErrorBody),
        (status = 422, description = "The id is not a positive integer", body = ErrorBody),
    )
)]
pub async fn one(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = event_id(&id)?;
    let record =
        state.projection.read().event_record(id).ok_or_else(|| ApiError::NotFound(format!("no event {id}")))?;
    json_response(&headers, &record)
}

/// Body of a retraction.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetractBody {
    /// Why the event is retracted (required, at most 2,000 characters).
    #[schema(value_type = String, required = true)]
    reason: Option<String>,
}

/// `POST /api/v1/events/{id}/retract`: retracts an event, with a reason.
#[utoipa::path(
    post,
    path = "/events/{id}/retract",
    tag = "events",
    operation_id = "retract_event",
    params(("id" = i64, Path, description = "The event to retract", minimum = 1)),
    request_body(content = RetractBody, example = json!({"reason": "recorded for the wrong release"})),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The retraction and the event as it now reads", body = RetractionResult),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = answers::UNKNOWN_EVENT, body = ErrorBody),
        (status = 409, description = "The event is already retracted", body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "No reason, or a bad id", body = ErrorBody),
    )
)]
pub async fn retract(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    Editor(who): Editor,
    ApiJson(body): ApiJson<RetractBody>,
) -> Result<Response, ApiError> {
    let id = event_id(&id)?;
    let retraction = NewRetraction::parse(body.reason.as_deref())?;
    let result = state.writer.retract(id, retraction, who.actor()).await?;
    Ok((StatusCode::CREATED, Json(result)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    #[test]
    fn form_pairs_accept_script_style_booleans() {
        let input = input_from_pairs(pairs("dist=fedora&release=44&state=branched&reached=1")).unwrap();
        assert_eq!(input.reached, Some(true));
        let input = input_from_pairs(pairs("reached=false")).unwrap();
        assert_eq!(input.reached, Some(false));
    }

    #[test]
    fn form_pairs_refuse_unknown_repeated_and_bad_values() {
        assert!(matches!(input_from_pairs(pairs("colour=red")), Err(ApiError::InvalidInput { .. })));
        assert!(input_from_pairs(pairs("dist=a&dist=b")).is_err());
        assert!(input_from_pairs(pairs("reached=yes")).is_err());
    }
}
