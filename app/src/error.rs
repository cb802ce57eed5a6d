//! `AppError`: what pages and server functions fail with, as the browser
//! sees it. Internal causes are logged on the server and never sent. The
//! JSON API has its own error (`ApiError` in the server); this one is the
//! app's.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a form can fail with, as the browser sees it. Internal causes are
/// logged on the server and never sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 422: a field is missing or invalid.
    #[error("{message}")]
    Invalid {
        /// The field at fault, if one.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// 401: not signed in (or the session expired).
    #[error("{0}")]
    SignedOut(String),
    /// 403: signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such event or token.
    #[error("{0}")]
    NotFound(String),
    /// 409: e.g. the event is already retracted.
    #[error("{0}")]
    Conflict(String),
    /// 503: the database is unreachable or busy.
    #[error("the service cannot save right now; try again in a moment")]
    Unavailable,
    /// 500: a fault on our side, logged.
    #[error("something went wrong on our side; it has been logged")]
    Internal,
    /// 400: the request itself could not be read.
    #[error("the form could not be read: {0}")]
    Request(String),
    /// 500: the server did not provide something pages need (a wiring
    /// fault of the server, shown as a page instead of a panic).
    #[error("The server did not provide {0}.")]
    Unprovided(String),
}

impl AppError {
    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 422,
            AppError::SignedOut(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Unavailable => 503,
            AppError::Internal | AppError::Unprovided(_) => 500,
            AppError::Request(_) => 400,
        }
    }

    /// The field at fault, if the error names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}

impl From<crate::model::ValidationError> for AppError {
    fn from(e: crate::model::ValidationError) -> Self {
        AppError::Invalid { field: Some(e.field.to_string()), message: e.message.to_string() }
    }
}
