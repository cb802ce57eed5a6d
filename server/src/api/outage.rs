//! Fail fast while the database is down. A connection that is refused
//! makes sqlx retry until the pool's acquire timeout (3 s), so without
//! this every write during an outage would hang 3 s before its `503`.
//! Once one write has been answered `503`, the next writes first try a
//! round trip on a fresh connection outside the pool (refused at once
//! while the database is down, at most [`PROBE_TIMEOUT`] otherwise) and
//! answer `503` if it fails;
//! the first round trip that succeeds ends the outage. Reads never go
//! through here: they are answered from memory.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;
use crate::route_class::RouteClass;
use crate::store::Store;

/// How long a write waits for the database while it is known to be down.
/// Long enough for a healthy pool under load, short enough to fail fast.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Whether the last write found the database unavailable.
#[derive(Debug, Default)]
pub struct DatabaseHealth {
    down: AtomicBool,
}

impl DatabaseHealth {
    /// Whether the last write found the database unavailable (the next
    /// one probes it again).
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }
}

/// Middleware state: the store to probe and what the last write found.
pub type FailFastState = (Store, Arc<DatabaseHealth>);

/// Writes of the JSON API (`/api/...` and `/event`, any method but GET,
/// HEAD, OPTIONS) answer `503 unavailable` within [`PROBE_TIMEOUT`] while
/// the database is down; everything else passes untouched.
pub async fn fail_fast(State((store, health)): State<FailFastState>, request: Request, next: Next) -> Response {
    let api_write = !request.method().is_safe() && RouteClass::of_path(request.uri().path()).is_json_api();
    if !api_write {
        return next.run(request).await;
    }
    if health.down.load(Ordering::Relaxed) {
        match tokio::time::timeout(PROBE_TIMEOUT, store.probe()).await {
            Ok(Ok(())) => health.down.store(false, Ordering::Relaxed),
            Ok(Err(e)) => return ApiError::Unavailable(Box::new(e)).into_response(),
            Err(_) => {
                return ApiError::Unavailable(format!("no answer from the database within {PROBE_TIMEOUT:?}").into())
                    .into_response()
            }
        }
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        health.down.store(true, Ordering::Relaxed);
    }
    response
}
