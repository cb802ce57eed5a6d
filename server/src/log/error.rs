//! `WriteError`: what a write of the log can come to besides success, one
//! variant per outcome. The edges translate it: into `ApiError` for the
//! JSON API (`crate::api::error`), into `AppError` for the editing forms
//! (`crate::editing`).

use std::sync::Arc;

use app::model::properties::PropertyError;
use app::model::ValidationError;

use crate::store::StoreError;

/// A cause that is logged where the error becomes a response, never sent.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why a write of the log was not stored (or may not have been).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// 422 `invalid_input`: the write breaks a rule of the model; `field`
    /// names the culprit when one is to blame.
    #[error("{message}")]
    Invalid {
        /// The offending field or property key.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// 404 `not_found`: the event to retract or correct does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 409 `conflict`: contradicts what is stored, e.g. the event is
    /// already retracted.
    #[error("{0}")]
    Conflict(String),
    /// 422 `invalid_input` on `Idempotency-Key`: the key was used before
    /// for a different request, which stored this event.
    #[error("this idempotency key was used before for a different request (event {event_id})")]
    KeyReused {
        /// The event the first request with the key stored.
        event_id: i64,
    },
    /// 503 `unavailable`: the database cannot be reached; nothing was
    /// stored, retry later.
    #[error("the database is unavailable; retry later")]
    Unavailable(#[source] Cause),
    /// 503 `timeout`: the connection broke while the write was being
    /// committed and the database did not come back in time to tell
    /// whether it was stored: the write may be stored.
    #[error("the database did not tell in time whether the write was stored")]
    InDoubt(#[source] Cause),
    /// 500 `internal`: a bug or an unexpected failure; details only in logs.
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl WriteError {
    /// An internal failure described by `message` (logged, never sent).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into().into())
    }
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound("not found".into()),
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::Unavailable(_) => Self::Unavailable(Box::new(e)),
            StoreError::InDoubt { .. } => Self::InDoubt(Box::new(e)),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<Arc<StoreError>> for WriteError {
    /// A failure shared by a batch of writes: each request reports it.
    fn from(e: Arc<StoreError>) -> Self {
        match &*e {
            StoreError::Unavailable(_) => Self::Unavailable(Box::new(e)),
            StoreError::InDoubt { .. } => Self::InDoubt(Box::new(e)),
            _ => Self::Internal(Box::new(e)),
        }
    }
}

impl From<ValidationError> for WriteError {
    fn from(e: ValidationError) -> Self {
        Self::Invalid { field: Some(e.field.to_owned()), message: e.to_string() }
    }
}

impl From<PropertyError> for WriteError {
    fn from(e: PropertyError) -> Self {
        Self::Invalid { message: e.to_string(), field: e.field }
    }
}

/// `error` and the chain of its causes, `: `-separated: the one-line
/// reason of a command (which has nobody to hide causes from).
pub fn with_cause(error: &WriteError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
