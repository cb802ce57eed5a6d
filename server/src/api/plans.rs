//! Plans over HTTP (DESIGN.md §7): record a revision, cancel a key, list
//! the current plan of every key with how it stands, and a dist's
//! schedule. Writes go through the log writer; nothing here changes a fact.

use app::model::plans::{self, CancelInput, PlanInput, PlanQuery, PlanRecord, PlanStatus, PlanView, ReleaseSchedule};
use app::model::{Dist, FilterText, LogFilter};
use axum::extract::{Path, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;

use super::cache::{json_response, Encoded};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::openapi::answers;
use crate::auth::Editor;
use crate::state::AppState;

/// `POST /api/v1/plans`: a new revision of a transition's plan.
#[utoipa::path(
    post,
    path = "/plans",
    tag = "plans",
    operation_id = "create_plan",
    request_body(content = PlanInput, description = "The plan; `dist`, `release`, `state`, `reached` and `at` are required (`at` may lie in the future or the past), unknown fields are refused. A plan for a key that has one becomes its next revision.",
        example = json!({"dist": "fedora", "release": "45", "state": "branched", "reached": true, "at": "2026-08-11T14:00:00Z", "link": "https://fedorapeople.org/groups/schedule/f-45/f-45-key.ics"})),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The stored revision", body = PlanRecord),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "A field is missing or breaks a rule; `field` names it", body = ErrorBody),
    )
)]
pub async fn create(
    AxumState(state): AxumState<AppState>,
    Editor(who): Editor,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<Response, ApiError> {
    let plan = input.validate()?;
    let record = state.writer.plan(plan, who.actor()).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, app::links::api_plans())], Json(record)).into_response())
}

/// `POST /api/v1/plans/cancel`: cancels a transition's plan.
#[utoipa::path(
    post,
    path = "/plans/cancel",
    tag = "plans",
    operation_id = "cancel_plan",
    request_body(content = CancelInput, description = "The key and why; all fields are required.",
        example = json!({"dist": "fedora", "release": "45", "state": "branched", "reached": true, "reason": "Branching moved to the next release"})),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The cancelling revision (it keeps the date it cancels; the reason is its `note`)", body = PlanRecord),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "The key has no plan", body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "A field is missing or breaks a rule; `field` names it", body = ErrorBody),
    )
)]
pub async fn cancel(
    AxumState(state): AxumState<AppState>,
    Editor(who): Editor,
    ApiJson(input): ApiJson<CancelInput>,
) -> Result<Response, ApiError> {
    let (key, reason) = input.validate()?;
    let record = state.writer.cancel_plan(key, reason, who.actor()).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, app::links::api_plans())], Json(record)).into_response())
}

/// Query parameters of `GET /api/v1/plans`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanParams {
    /// Only this dist.
    dist: Option<String>,
    /// Only this release.
    release: Option<String>,
    /// Only this state.
    state: Option<String>,
    /// Only keys in this status: `met`, `cancelled`, `overdue` or `upcoming`.
    status: Option<String>,
    /// Only plans whose current date is at or after this (RFC 3339, or `YYYY-MM-DD`).
    since: Option<String>,
    /// Only plans whose current date is at or before this (RFC 3339, or `YYYY-MM-DD`: the end of that day).
    until: Option<String>,
}

impl PlanParams {
    fn into_query(self) -> Result<PlanQuery, ApiError> {
        let filter = LogFilter::parse(FilterText {
            dist: self.dist.as_deref(),
            release: self.release.as_deref(),
            state: self.state.as_deref(),
            since: self.since.as_deref(),
            until: self.until.as_deref(),
        })?;
        let status = self.status.as_deref().map(PlanStatus::parse).transpose()?;
        Ok(PlanQuery {
            dist: filter.dist,
            release: filter.release,
            state: filter.state,
            status,
            since: filter.since.map(|b| b.at),
            until: filter.until.map(|b| b.at),
        })
    }
}

/// `GET /api/v1/plans`: the current plan of every key, by planned date.
#[utoipa::path(
    get,
    path = "/plans",
    tag = "plans",
    operation_id = "list_plans",
    params(PlanParams),
    responses(
        (status = 200, description = "The current revision of each selected key with `status`, `actual`, `event_id`, `slip_days`, `first_at` and `revisions`, by planned date", body = Vec<PlanView>),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 422, description = "A filter is unreadable or unknown; `field` names it", body = ErrorBody),
    )
)]
pub async fn list(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<PlanParams>,
) -> Result<Response, ApiError> {
    let query = params.into_query()?;
    let views = plans::list(&state.projection.read(), &query, Utc::now(), state.plan_grace);
    json_response(&headers, &views)
}

/// `GET /api/v1/views/{dist}/schedule`: per release, its plans.
#[utoipa::path(
    get,
    path = "/views/{dist}/schedule",
    tag = "plans",
    operation_id = "schedule",
    params(("dist" = String, Path, description = "The dist, e.g. `fedora`")),
    responses(
        (status = 200, description = "Per release (natural order) its keys by planned date, each as in `GET /api/v1/plans` with `history`, every revision oldest first; empty when the dist has no plans", body = Vec<ReleaseSchedule>),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 422, description = "The dist is unreadable", body = ErrorBody),
    )
)]
pub async fn schedule(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    let now = Utc::now();
    let log = state.projection.read();
    // Statuses depend on the clock: an answer holds while the log is the
    // same, no event lies ahead (its meeting a plan would need the clock
    // to pass it) and no upcoming plan has turned overdue. Only dists the
    // log knows are kept, so the cache stays bounded.
    let cacheable = log.max_at().is_none_or(|latest| latest <= now)
        && (log.has_dist(&dist) || log.plans().keys().any(|k| k.dist == dist));
    let key = format!("{dist}\nschedule");
    if cacheable {
        if let Some(hit) = state.views.get(&key, log.version(), now) {
            return Ok(hit.respond(&headers));
        }
    }
    let schedule = plans::schedule(&log, &dist, now, state.plan_grace);
    let encoded = Encoded::of(&schedule)?;
    if cacheable {
        let until = schedule
            .iter()
            .flat_map(|release| &release.plans)
            .filter(|entry| entry.view.status == PlanStatus::Upcoming)
            .map(|entry| entry.view.plan.at + state.plan_grace)
            .min();
        state.views.put(key, log.version(), until, encoded.clone());
    }
    Ok(encoded.respond(&headers))
}
