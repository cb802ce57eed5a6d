//! CSRF protection for every state-changing request that carries the
//! session cookie: the browser's `Sec-Fetch-Site` / `Origin` must name this
//! site, and the request must carry the session's synchronizer token (form
//! field `csrf_token`, or header `X-CSRF-Token` for scripts in the page).
//! Requests with a valid API token carry no ambient authority and are
//! exempt; any other `Authorization` header exempts nothing.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::config::AuthSettings;
use super::session::{has_session_cookie, CurrentUser};
use crate::api::error::ApiError;
use crate::route_class::RouteClass;
use crate::store::Store;

/// The form field of the token.
pub const FORM_FIELD: &str = "csrf_token";
/// The header of the token.
pub const HEADER: &str = "x-csrf-token";

/// The middleware; runs after `load_viewer`.
pub async fn protect(
    State((auth, store)): State<(Arc<AuthSettings>, Store)>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || !has_session_cookie(&request) {
        return next.run(request).await;
    }
    // A script with a token of its own needs no CSRF token. A header that
    // names no valid token must not switch the check off: handlers that
    // act for the session (the forms' server functions) ignore it.
    let request = if request.headers().contains_key(header::AUTHORIZATION) {
        let (mut parts, body) = request.into_parts();
        let valid = super::bearer_is_valid(&mut parts, &store).await;
        let request = Request::from_parts(parts, body);
        if valid {
            return next.run(request).await;
        }
        request
    } else {
        request
    };
    if let Err(why) = same_site(request.headers(), &auth.origin()) {
        tracing::warn!(path = %request.uri().path(), why, "cross-site request refused");
        return refuse(&request, "This request came from another site and was refused.");
    }
    let Some(expected) = request.extensions().get::<CurrentUser>().and_then(|u| u.0.as_ref()).map(|u| u.csrf.clone())
    else {
        // A cookie without a signed-in person carries no authority; the
        // handler answers as for anyone signed out.
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let mut given = parts.headers.get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = if given.is_none() && is_form(&parts.headers) {
        let Ok(bytes) = to_bytes(body, crate::api::extract::BODY_LIMIT).await else {
            return ApiError::PayloadTooLarge(crate::api::extract::BODY_LIMIT).into_response();
        };
        given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| fields.into_iter().find(|(k, _)| k == FORM_FIELD).map(|(_, v)| v));
        Body::from(bytes)
    } else {
        body
    };
    let request = Request::from_parts(parts, body);
    match given {
        Some(token) if same_token(&token, &expected) => next.run(request).await,
        _ => {
            tracing::warn!(path = %request.uri().path(), "request without a valid CSRF token refused");
            refuse(
                &request,
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            )
        }
    }
}

/// `Sec-Fetch-Site` when the browser sends it, else `Origin` when present.
/// Requests with neither (old browsers, scripts) still need the token.
fn same_site(headers: &HeaderMap, origin: &str) -> Result<(), &'static str> {
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
            _ => Err("Sec-Fetch-Site is not same-origin"),
        };
    }
    match headers.get(header::ORIGIN) {
        Some(o) if o.as_bytes() == origin.as_bytes() => Ok(()),
        Some(_) => Err("Origin is not this site"),
        None => Ok(()),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Compares hashes, so the time taken says nothing about the token.
fn same_token(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// 403: JSON for the API, a short page for browsers.
fn refuse(request: &Request, message: &'static str) -> Response {
    // Only the v1 API and `/event` ever answered this refusal in JSON.
    if matches!(RouteClass::of_path(request.uri().path()), RouteClass::Api | RouteClass::ScriptEvent) {
        return ApiError::Forbidden(message.into()).into_response();
    }
    super::routes::message_page(StatusCode::FORBIDDEN, "Refused", message)
}
