//! The JSON API (DESIGN.md §2): routes, their OpenAPI description, and the
//! middleware that gives every error under it the one documented shape.
//!
//! Every route is registered through [`routes`] with `routes!`, which takes
//! its path and methods from the handler's `#[utoipa::path]`: a route
//! cannot be served without being described in `/api/v1/openapi.json`.
//!
//! To add a route: annotate the handler with `#[utoipa::path(get, path =
//! "/things/{id}", tag = "...", operation_id = "...", params(...),
//! responses((status = 200, body = Thing), (status = 404, body =
//! ErrorBody)))]` (writes also `request_body(content = T, example =
//! json!(...))` and `security(("bearer" = []))`; non-JSON answers give
//! `content_type`), derive `utoipa::ToSchema` on its wire types
//! (`#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]` in `app`), and
//! add `.routes(routes!(module::handler))` below — one `routes!` per path,
//! with the path relative to `/api/v1` in `v1` or absolute at the top
//! level. Then name it as `` `GET /path` `` in docs/api.md;
//! `server/tests/openapi.rs` checks both directions.

pub mod audit;
pub mod cache;
pub mod compat;
pub mod error;
pub mod events;
pub mod extract;
pub mod idempotency;
pub mod openapi;
pub mod ops;
pub mod outage;
pub mod plans;
pub mod properties;
pub mod stream;
pub mod views;
pub mod webhooks;

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::{Extension, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use error::{error_response, ApiError};

/// Every route of the API with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    let mut api = served_routes().merge(streamed_routes()).merge(read_routes());
    properties::describe_as_published(api.get_openapi_mut());
    compat::describe_as_published(api.get_openapi_mut());
    openapi::describe_rules(api.get_openapi_mut());
    openapi::describe_limits(api.get_openapi_mut());
    api
}

/// The routes that hold their connection open: `GET /api/v1/stream`.
/// Served apart ([`stream_router`]) so that the request timeout and the
/// concurrency limits do not count them; `--max-streams` limits them.
fn streamed_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream::stream))
}

/// The public reads answered from memory: the views and the list of
/// dists. Served apart ([`read_router`]) past the
/// layers they never use — sessions, CSRF, the outage check, body limits,
/// write rate limits — so that they cost what a static file costs.
fn read_routes() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(views::dists))
        .routes(routes!(views::states_by_release))
        .routes(routes!(views::releases_by_state))
        .routes(routes!(views::detailed))
        .routes(routes!(views::release_view));
    OpenApiRouter::new().nest("/api/v1", v1)
}

/// Every other route. Paths in `v1` are relative to `/api/v1`; one
/// `routes!` per path (it registers all the handlers it is given under
/// each of their paths).
fn served_routes() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(events::list, events::create))
        .routes(routes!(stream::activity))
        .routes(routes!(events::one))
        .routes(routes!(events::retract))
        .routes(routes!(properties::release_properties, properties::replace_release_properties))
        .routes(routes!(properties::release_history))
        .routes(routes!(properties::dist_properties, properties::replace_dist_properties))
        .routes(routes!(properties::dist_history))
        .routes(routes!(plans::list, plans::create))
        .routes(routes!(plans::cancel))
        .routes(routes!(plans::schedule))
        .routes(routes!(audit::report))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::one, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::ping))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(webhooks::redeliver_failed))
        .routes(routes!(webhooks::event_actions))
        .routes(routes!(compat::fedora_aliases_export))
        .routes(routes!(compat::pkgdb_collections_export))
        .routes(routes!(compat::endoflife_date_export))
        // Served at `{file}`, described at `{dist}.metainfo.xml` (see `compat`).
        .routes(routes!(compat::appstream_metainfo))
        // Served at `{file}`, described at `{dist}.csv` (see `properties`).
        .routes(routes!(properties::distro_info_csv))
        .routes(routes!(openapi::openapi_json))
        // Unknown paths under /api/v1 answer in the API's error shape (the
        // pages' fallback would answer HTML).
        .fallback(not_found);
    OpenApiRouter::with_openapi(openapi::base())
        .nest("/api/v1", v1)
        .routes(routes!(events::create_from_form))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        // The Atom feeds and the calendar: not JSON, but described too.
        .merge(crate::feed::routes())
}

/// The OpenAPI document of [`routes`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// Routes under `/api/v1`, plus the script-style `POST /event`, the health
/// checks and the feeds, with the description served at
/// `/api/v1/openapi.json`.
pub fn router() -> Router<AppState> {
    let (router, _) = served_routes().split_for_parts();
    // Our own types always encode; the tests fetch the document.
    let description = openapi::Description::new(&openapi()).expect("the OpenAPI document encodes as JSON");
    router.layer(Extension(description)).layer(middleware::from_fn(errors_as_json))
}

/// The routes of [`read_routes`], with the API's error shape.
pub fn read_router() -> Router<AppState> {
    let (router, _) = read_routes().split_for_parts();
    router.layer(middleware::from_fn(errors_as_json))
}

/// The routes of [`streamed_routes`], with the API's error shape.
pub fn stream_router() -> Router<AppState> {
    let (router, _) = streamed_routes().split_for_parts();
    router.layer(middleware::from_fn(errors_as_json))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route".into())
}

/// Rewrites error responses that have no body of ours (405 from the
/// router, 413/408/429 from tower layers) into the documented JSON shape.
pub async fn errors_as_json(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
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
