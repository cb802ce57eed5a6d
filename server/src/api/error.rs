//! `ApiError`: the one error type of the JSON API. Every variant answers
//! `{"error": {"code", "message", "field"?}}` with its status; internal
//! causes are logged here, once, and never sent to the client.

use app::model::ValidationError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::log::WriteError;
use crate::store::StoreError;

/// An error answered by the JSON API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `malformed_request`: the body or query cannot be parsed at all.
    #[error("{0}")]
    Malformed(String),
    /// 422 `invalid_input`: parsed, but a field is missing, of the wrong
    /// type or breaks a rule.
    #[error("{message}")]
    InvalidInput {
        /// The offending field, when one is to blame.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// 401 `unauthenticated`: no valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403 `forbidden`: authenticated, but not allowed to write.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`.
    #[error("{0}")]
    NotFound(String),
    /// 409 `conflict`: contradicts stored data (e.g. retracting twice).
    #[error("{0}")]
    Conflict(String),
    /// 413 `payload_too_large`.
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 415 `unsupported_media_type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 503 `unavailable`: the database cannot be reached; retry later.
    #[error("the database is unavailable; retry later")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// 503 `timeout`: the connection to the database broke while a write
    /// was being committed, and the database did not come back in time to
    /// say whether it was: the write may be stored. Check before repeating
    /// it, or repeat it with its `Idempotency-Key`.
    #[error("the database did not tell in time whether the write was stored; check before repeating it, or repeat it with its Idempotency-Key")]
    InDoubt(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// 500 `internal`: a bug or an unexpected failure; details only in logs.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The body of every error response: `{"error": {"code", "message", "field"?}}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `malformed_request`, `invalid_input`,
    /// `unauthenticated`, `forbidden`, `not_found`, `method_not_allowed`,
    /// `conflict`, `payload_too_large`, `unsupported_media_type`,
    /// `rate_limited`, `unavailable`, `internal`, ...
    #[schema(example = "invalid_input")]
    pub code: String,
    /// A sentence for people; never SQL, paths or stack traces.
    #[schema(example = "state: must not be empty")]
    pub message: String,
    /// The offending field, when one is to blame (nested paths such as `[0]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "state")]
    pub field: Option<String>,
}

impl ApiError {
    /// A validation failure of one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput { field: Some(field.into()), message: message.into() }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request"),
            Self::InvalidInput { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            Self::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::InDoubt(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// Builds an error response from parts; also used for errors raised by
/// middleware (rate limits, timeouts) so every error has one shape.
pub fn error_response(status: StatusCode, code: &str, message: String, field: Option<&str>) -> Response {
    let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message, field: field.map(str::to_owned) } };
    let json = serde_json::to_vec(&body)
        .unwrap_or_else(|_| b"{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}".to_vec());
    let mut response = (status, json).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            Self::Internal(cause) => tracing::error!(error = %cause, "request failed"),
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            Self::InDoubt(cause) => tracing::error!(error = %cause, "a write may or may not be stored"),
            _ => {}
        }
        let field = match &self {
            Self::InvalidInput { field, .. } => field.as_deref(),
            _ => None,
        };
        let mut response = error_response(status, code, self.to_string(), field);
        if matches!(self, Self::Unauthenticated(_)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if matches!(self, Self::Unavailable(_) | Self::InDoubt(_)) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::invalid(e.field, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    /// As a write's failure would answer (reads fail the same ways).
    fn from(e: StoreError) -> Self {
        WriteError::from(e).into()
    }
}

impl From<WriteError> for ApiError {
    /// The status each outcome of a write of the log answers.
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid { field, message } => Self::InvalidInput { field, message },
            WriteError::KeyReused { .. } => Self::invalid("Idempotency-Key", e.to_string()),
            WriteError::NotFound(message) => Self::NotFound(message),
            WriteError::Conflict(message) => Self::Conflict(message),
            WriteError::Unavailable(cause) => Self::Unavailable(cause),
            WriteError::InDoubt(cause) => Self::InDoubt(cause),
            WriteError::Internal(cause) => Self::Internal(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each outcome of a write answers the status, code, message and field
    /// the handlers answered before the writer had an error of its own.
    #[test]
    fn write_errors_answer_as_before() {
        let cases = [
            (
                WriteError::Invalid { field: Some("state".into()), message: "state: must not be empty".into() },
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "state: must not be empty",
                Some("state"),
            ),
            (
                WriteError::KeyReused { event_id: 7 },
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "this idempotency key was used before for a different request (event 7)",
                Some("Idempotency-Key"),
            ),
            (WriteError::NotFound("no event 9".into()), StatusCode::NOT_FOUND, "not_found", "no event 9", None),
            (WriteError::Conflict("retracted".into()), StatusCode::CONFLICT, "conflict", "retracted", None),
            (
                WriteError::Unavailable("down".into()),
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is unavailable; retry later",
                None,
            ),
            (WriteError::InDoubt("cut".into()), StatusCode::SERVICE_UNAVAILABLE, "timeout", "", None),
            (WriteError::Internal("bug".into()), StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error", None),
        ];
        for (write, status, code, message, field) in cases {
            let api = ApiError::from(write);
            assert_eq!(api.status_and_code(), (status, code), "{api:?}");
            if !message.is_empty() {
                assert_eq!(api.to_string(), message);
            }
            let api_field = match &api {
                ApiError::InvalidInput { field, .. } => field.as_deref(),
                _ => None,
            };
            assert_eq!(api_field, field);
        }
    }
}
