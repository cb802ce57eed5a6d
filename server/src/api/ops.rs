//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Body of `GET /healthz`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: &'static str,
}

/// Body of `GET /readyz`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Always `ready` (otherwise the answer is a 503 error).
    #[schema(example = "ready")]
    status: &'static str,
    /// Always `ok`.
    #[schema(example = "ok")]
    database: &'static str,
    /// Events in the log, retracted ones included.
    events: usize,
    /// The highest event id, 0 when the log is empty.
    last_event_id: i64,
    /// The message bus outbox.
    outbox: Outbox,
}

/// The message bus part of [`Readiness`].
#[derive(Serialize, utoipa::ToSchema)]
pub struct Outbox {
    /// Messages waiting to be published.
    pending: i64,
    /// Whether a broker is configured and the publisher runs.
    publishing: bool,
    /// Whether the publisher holds a connection to the broker.
    connected: bool,
    /// Messages confirmed by the broker since start.
    sent: u64,
    /// Failed publish attempts since start (each is retried).
    failed: u64,
    /// The last failure, until a later round succeeds.
    last_error: Option<String>,
    /// When it happened (RFC 3339).
    last_error_at: Option<String>,
}

/// `GET /healthz`: the process is up and answering.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "healthz",
    responses((status = 200, description = "The process runs", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `GET /readyz`: the database answers and the projection is loaded;
/// `503` with the error shape otherwise. Also reports the outbox of the
/// message bus (backlog, counters, last error): a broker that is down
/// delays messages but leaves the server ready.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready to serve; the outbox of the message bus", body = Readiness),
        (status = 503, description = "The database does not answer within 2 s", body = ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
pub async fn readyz(AxumState(state): AxumState<AppState>) -> Response {
    // Counting pending rows is the database round trip.
    let ping = tokio::time::timeout(READY_TIMEOUT, state.store.outbox_pending()).await;
    match ping {
        Ok(Ok(pending)) => {
            let bus = state.bus.status();
            let log = state.projection.read();
            Json(Readiness {
                status: "ready",
                database: "ok",
                events: log.len(),
                last_event_id: log.last_event_id(),
                outbox: Outbox {
                    pending,
                    publishing: bus.publishing,
                    connected: bus.connected,
                    sent: bus.sent,
                    failed: bus.failed,
                    last_error: bus.last_error.as_ref().map(|e| e.message.clone()),
                    last_error_at: bus.last_error.as_ref().map(|e| app::model::time::format(&e.at)),
                },
            })
            .into_response()
        }
        Ok(Err(e)) => ApiError::Unavailable(Box::new(e)).into_response(),
        Err(_) => ApiError::Unavailable("no answer from the database within 2 s".into()).into_response(),
    }
}
