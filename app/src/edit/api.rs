//! The server functions behind the editing forms: record, retract and
//! correct events, and manage personal API tokens. The server supplies
//! the work through [`ssr::Editing`] (it knows sessions and the store);
//! these functions turn form fields into core input, and after a plain
//! (JavaScript-free) form post leave a flash and redirect.

use leptos::prelude::*;
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
            AppError::Internal => 500,
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

/// A recorded (or corrected) event, for the form to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The new event's id.
    pub id: i64,
    /// "44 entered branched — it was not in branched before".
    pub summary: String,
}

/// A personal API token as its owner sees it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Row id.
    pub id: i64,
    /// Name, recorded with every write made with it.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, if it expires.
    pub expires_at: Option<String>,
    /// RFC 3339, if ever used.
    pub last_used_at: Option<String>,
    /// RFC 3339, if revoked.
    pub revoked_at: Option<String>,
}

/// A token just created: the secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    /// Its name.
    pub name: String,
    /// The secret; only its hash is stored.
    pub token: String,
}

/// Server-side plumbing: the backend the server provides as context.
#[cfg(feature = "ssr")]
pub mod ssr {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use http::request::Parts;

    use super::{AppError, CreatedToken, TokenInfo};
    use crate::account::Flash;
    use crate::model::event::{EventInput, EventRecord};

    /// A boxed answer of the backend.
    pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

    /// What the server does for the forms. Every method checks that the
    /// request's session belongs to an editor (CSRF is checked before).
    pub trait EditBackend: Send + Sync + 'static {
        /// Records an event; the stored record.
        fn record<'a>(&'a self, parts: &'a Parts, input: EventInput) -> Pending<'a, EventRecord>;
        /// Retracts an event; its record, with the retraction.
        fn retract<'a>(&'a self, parts: &'a Parts, id: i64, reason: Option<String>) -> Pending<'a, EventRecord>;
        /// Retracts an event and records the fixed one in one transaction;
        /// the new record.
        fn correct<'a>(
            &'a self,
            parts: &'a Parts,
            id: i64,
            reason: Option<String>,
            input: EventInput,
        ) -> Pending<'a, EventRecord>;
        /// The signed-in editor's tokens.
        fn tokens<'a>(&'a self, parts: &'a Parts) -> Pending<'a, Vec<TokenInfo>>;
        /// Creates a personal token.
        fn create_token<'a>(
            &'a self,
            parts: &'a Parts,
            name: Option<String>,
            expires_in_days: Option<String>,
        ) -> Pending<'a, CreatedToken>;
        /// Revokes one of the signed-in editor's tokens; its name.
        fn revoke_token<'a>(&'a self, parts: &'a Parts, id: i64) -> Pending<'a, String>;
        /// Leaves a flash for the next page of this session.
        fn flash<'a>(&'a self, parts: &'a Parts, flash: Flash) -> Pending<'a, ()>;
    }

    /// The backend, as Leptos context.
    #[derive(Clone)]
    pub struct Editing(pub Arc<dyn EditBackend>);

    /// The backend and the request, or `Internal` if the server did not
    /// provide them.
    pub fn context() -> Result<(Editing, Parts), AppError> {
        let backend = leptos::prelude::use_context::<Editing>().ok_or(AppError::Internal)?;
        let parts = leptos::prelude::use_context::<Parts>().ok_or(AppError::Internal)?;
        Ok((backend, parts))
    }

    /// Whether this is a plain HTML form post (no JavaScript): then the
    /// answer is a redirect, not data.
    pub fn plain_form_post(parts: &Parts) -> bool {
        parts.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    }
}

/// Ends a form's server function. For a plain form post: on success a
/// notice and a redirect to `done`, on failure the typed values and the
/// error for the form page `back`. With JavaScript, the result as is.
#[cfg(feature = "ssr")]
async fn answer<T>(
    form: &str,
    values: std::collections::BTreeMap<String, String>,
    back: &str,
    result: Result<T, AppError>,
    done: impl FnOnce(&T) -> (String, String),
) -> Result<T, AppError> {
    use crate::account::{Flash, FormEcho};
    use ssr::*;

    let (backend, parts) = context()?;
    if let Err(e) = &result {
        crate::ui::set_status(e.status());
    }
    if !plain_form_post(&parts) {
        return result;
    }
    let (flash, to) = match &result {
        Ok(value) => {
            let (to, notice) = done(value);
            (Flash { notice: Some(notice), form: None }, to)
        }
        Err(e) => (
            Flash {
                notice: None,
                form: Some(FormEcho {
                    form: form.to_owned(),
                    values,
                    field: e.field().map(str::to_owned),
                    message: e.to_string(),
                }),
            },
            back.to_owned(),
        ),
    };
    // A lost flash only loses the message; the write itself is done.
    let _ = backend.0.flash(&parts, flash).await;
    leptos_axum::redirect(&to);
    result
}

/// `"true"`/`"1"` entered, `"false"`/`"0"` left.
#[cfg(feature = "ssr")]
fn reached(value: Option<&str>) -> Result<Option<bool>, AppError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some("true" | "1" | "entered") => Ok(Some(true)),
        Some("false" | "0" | "left") => Ok(Some(false)),
        Some(_) => Err(AppError::Invalid { field: Some("reached".into()), message: "must be entered or left".into() }),
    }
}

/// A `datetime-local` value (`2026-02-10T14:00`, no zone) means UTC;
/// anything else is passed on for the core to read.
#[cfg(feature = "ssr")]
fn at_from_form(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).map(|v| {
        let local = v.len() == 16 && v.as_bytes().get(10) == Some(&b'T');
        let local_seconds = v.len() == 19 && v.as_bytes().get(10) == Some(&b'T');
        if local {
            format!("{v}:00Z")
        } else if local_seconds {
            format!("{v}Z")
        } else {
            v
        }
    })
}

/// The values of fields, to echo back into a refused form.
#[cfg(feature = "ssr")]
fn event_values(fields: &[(&str, &Option<String>)]) -> std::collections::BTreeMap<String, String> {
    fields.iter().filter_map(|(k, v)| v.as_ref().map(|v| ((*k).to_owned(), v.clone()))).collect()
}

/// The event fields of the record and correct forms, as typed.
#[cfg(feature = "ssr")]
struct EventFields {
    dist: Option<String>,
    release: Option<String>,
    state: Option<String>,
    reached: Option<String>,
    at: Option<String>,
    note: Option<String>,
    link: Option<String>,
}

#[cfg(feature = "ssr")]
impl EventFields {
    /// What was typed, to echo back.
    fn values(&self) -> std::collections::BTreeMap<String, String> {
        event_values(&[
            ("dist", &self.dist),
            ("release", &self.release),
            ("state", &self.state),
            ("reached", &self.reached),
            ("at", &self.at),
            ("note", &self.note),
            ("link", &self.link),
        ])
    }

    /// The core's input (validated later, by the core).
    fn input(self) -> Result<crate::model::event::EventInput, AppError> {
        Ok(crate::model::event::EventInput {
            dist: self.dist,
            release: self.release,
            state: self.state,
            reached: reached(self.reached.as_deref())?,
            at: at_from_form(self.at),
            note: self.note,
            link: self.link,
        })
    }
}

/// "44 entered branched — it was not in branched before".
pub fn describe(e: &crate::model::event::EventRecord) -> String {
    let verb = if e.reached { "entered" } else { "left" };
    let before = match (e.reached, e.was_in_state) {
        (true, false) => format!("it was not in {} before", e.state),
        (true, true) => format!("it was already in {}, so nothing changed", e.state),
        (false, true) => format!("it was in {} before", e.state),
        (false, false) => format!("it was not in {}, so nothing changed", e.state),
    };
    format!("{} {} {verb} {} — {before}", e.dist, e.release, e.state)
}

/// Records an event from the form.
///
/// Every state-changing function takes `csrf_token`: the CSRF middleware
/// checks it before the function runs; naming it here keeps it in the body
/// that `ActionForm` rebuilds from these arguments.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/ui", endpoint = "record_event")]
pub async fn record_event(
    csrf_token: Option<String>,
    dist: Option<String>,
    release: Option<String>,
    state: Option<String>,
    reached: Option<String>,
    at: Option<String>,
    note: Option<String>,
    link: Option<String>,
) -> Result<Recorded, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use ssr::*;

    let fields = EventFields { dist, release, state, reached, at, note, link };
    let values = fields.values();
    let result = async {
        let (backend, parts) = context()?;
        let record = backend.0.record(&parts, fields.input()?).await?;
        Ok(Recorded { id: record.id, summary: describe(&record) })
    }
    .await;
    answer("record", values, "/events/new", result, |r: &Recorded| {
        (format!("/events/{}", r.id), format!("Recorded: {}.", r.summary))
    })
    .await
}

/// Retracts an event, with a reason.
#[server(prefix = "/ui", endpoint = "retract_event")]
pub async fn retract_event(csrf_token: Option<String>, id: i64, reason: Option<String>) -> Result<Recorded, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use ssr::*;

    let values = event_values(&[("reason", &reason)]);
    let result = async {
        let (backend, parts) = context()?;
        let record = backend.0.retract(&parts, id, reason).await?;
        Ok(Recorded {
            id: record.id,
            summary: format!("{} {} {} event {} retracted", record.dist, record.release, record.state, record.id),
        })
    }
    .await;
    answer(&format!("retract-{id}"), values, &format!("/events/{id}"), result, |r: &Recorded| {
        (format!("/events/{}", r.id), format!("Retracted: {}.", r.summary))
    })
    .await
}

/// Corrects an event: retracts it and records the fixed values.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/ui", endpoint = "correct_event")]
pub async fn correct_event(
    csrf_token: Option<String>,
    id: i64,
    reason: Option<String>,
    dist: Option<String>,
    release: Option<String>,
    state: Option<String>,
    reached: Option<String>,
    at: Option<String>,
    note: Option<String>,
    link: Option<String>,
) -> Result<Recorded, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use ssr::*;

    let fields = EventFields { dist, release, state, reached, at, note, link };
    let mut values = fields.values();
    values.extend(event_values(&[("reason", &reason)]));
    let result = async {
        let (backend, parts) = context()?;
        let record = backend.0.correct(&parts, id, reason, fields.input()?).await?;
        Ok(Recorded { id: record.id, summary: describe(&record) })
    }
    .await;
    answer(&format!("correct-{id}"), values, &format!("/events/{id}"), result, |r: &Recorded| {
        (format!("/events/{}", r.id), format!("Corrected: {}.", r.summary))
    })
    .await
}

/// The signed-in editor's tokens.
#[server(prefix = "/ui", endpoint = "my_tokens")]
pub async fn my_tokens() -> Result<Vec<TokenInfo>, AppError> {
    use ssr::*;
    let (backend, parts) = context()?;
    backend.0.tokens(&parts).await
}

/// Creates a personal API token.
#[server(prefix = "/ui", endpoint = "create_token")]
pub async fn create_token(
    csrf_token: Option<String>,
    name: Option<String>,
    expires_in_days: Option<String>,
) -> Result<CreatedToken, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use ssr::*;

    let values = event_values(&[("name", &name), ("expires_in_days", &expires_in_days)]);
    let result = async {
        let (backend, parts) = context()?;
        backend.0.create_token(&parts, name, expires_in_days).await
    }
    .await;
    answer("token", values, "/account/tokens", result, |t: &CreatedToken| {
        (
            "/account/tokens".to_owned(),
            format!("Created token {}. Copy it now, it is not shown again: {}", t.name, t.token),
        )
    })
    .await
}

/// Revokes one of the signed-in editor's tokens.
#[server(prefix = "/ui", endpoint = "revoke_token")]
pub async fn revoke_token(csrf_token: Option<String>, id: i64) -> Result<String, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use ssr::*;

    let result = async {
        let (backend, parts) = context()?;
        backend.0.revoke_token(&parts, id).await
    }
    .await;
    answer("revoke", Default::default(), "/account/tokens", result, |name: &String| {
        ("/account/tokens".to_owned(), format!("Revoked token {name}."))
    })
    .await
}
