//! The audit against Bodhi over HTTP: the last report of the periodic
//! audit (`--audit-bodhi-url`). Read only; an audit never changes a fact.

use app::model::audit::AuditReport;
use axum::extract::State as AxumState;
use axum::http::HeaderMap;
use axum::response::Response;

use super::cache::json_response;
use super::error::ApiError;
use super::openapi::answers;
use crate::state::AppState;

/// `GET /api/v1/audit`: the last audit report.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    operation_id = "audit",
    responses(
        (status = 200, description = "The Bodhi the periodic audit reads (`null`: off), when it last compared, the last run's error if it failed, and the findings of the last successful run: each with `kind` (`missing`, `state`, `eol`), our `dist` and `release`, `bodhi_name`, what Bodhi says (`bodhi`), what the log says (`ours`), `expected_lag` (Bodhi lags in the branch window) and a `message`", body = AuditReport),
        (status = 304, description = answers::NOT_MODIFIED),
    )
)]
pub async fn report(AxumState(state): AxumState<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    json_response(&headers, &state.audit.report())
}
