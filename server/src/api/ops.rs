//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::error::ApiError;
use crate::state::AppState;

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`: the process is up and answering.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and the projection is loaded;
/// `503` with the error shape otherwise. Also reports the outbox of the
/// message bus (backlog, counters, last error): a broker that is down
/// delays messages but leaves the server ready.
pub async fn readyz(AxumState(state): AxumState<AppState>) -> Response {
    // Counting pending rows is the database round trip.
    let ping = tokio::time::timeout(READY_TIMEOUT, state.store.outbox_pending()).await;
    match ping {
        Ok(Ok(pending)) => {
            let bus = state.bus.status();
            let log = state.projection.read();
            Json(json!({
                "status": "ready",
                "database": "ok",
                "events": log.len(),
                "last_event_id": log.last_event_id(),
                "outbox": {
                    "pending": pending,
                    "publishing": bus.publishing,
                    "connected": bus.connected,
                    "sent": bus.sent,
                    "failed": bus.failed,
                    "last_error": bus.last_error.as_ref().map(|e| &e.message),
                    "last_error_at": bus.last_error.as_ref().map(|e| app::model::time::format(&e.at)),
                },
            }))
            .into_response()
        }
        Ok(Err(e)) => ApiError::Unavailable(Box::new(e)).into_response(),
        Err(_) => ApiError::Unavailable("no answer from the database within 2 s".into()).into_response(),
    }
}
