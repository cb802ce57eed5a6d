//! The JSON API (DESIGN.md §2): routes, and the middleware that gives every
//! error under it the one documented shape.

pub mod cache;
pub mod error;
pub mod events;
pub mod extract;
pub mod ops;
pub mod properties;
pub mod views;

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;
use error::{error_response, ApiError};

/// Routes under `/api/v1`, plus the script-style `POST /event`.
pub fn router() -> Router<AppState> {
    let v1 = Router::new()
        .route("/events", get(events::list).post(events::create))
        .route("/events/{id}", get(events::one))
        .route("/events/{id}/retract", post(events::retract))
        .route("/dists", get(views::dists))
        .route("/views/{dist}/releases/{release}", get(views::release_view))
        .route("/views/{dist}/{view}", get(views::dist_view))
        .merge(properties::router())
        .fallback(not_found);
    Router::new()
        .nest("/api/v1", v1)
        .route("/event", post(events::create_from_form))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .layer(middleware::from_fn(errors_as_json))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route".into())
}

/// Rewrites error responses that have no body of ours (405 from the
/// router, 413/408/429 from tower layers) into the documented JSON shape.
async fn errors_as_json(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this method is not allowed here"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests; slow down"),
        s if s.is_server_error() => ("internal", "internal error"),
        _ => ("bad_request", "the request was not understood"),
    };
    let mut fixed = error_response(status, code, message.into(), None);
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            fixed.headers_mut().insert(name, v.clone());
        }
    }
    fixed
}
