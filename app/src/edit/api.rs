//! The server functions behind the editing forms: record, retract and
//! correct events. The server supplies the work through the editing
//! backend (`server_data::ssr::Editing`: it knows sessions and the store);
//! these functions turn form fields into core input, and after a plain
//! (JavaScript-free) form post leave a flash and redirect (`account::api`).

// A server function takes one argument per form field, so that the forms
// work without JavaScript; the browser-side stubs `#[server]` generates
// do not carry the functions' own `allow`.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::account::api::{answer, form_values};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::links;
#[cfg(feature = "ssr")]
use crate::model::describe::{self, Names};
#[cfg(feature = "ssr")]
use crate::model::{parse_reached, ReachedWords};

/// A recorded (or corrected) event, for the form to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The new event's id.
    pub id: i64,
    /// "44 entered branched — it was not in branched before".
    pub summary: String,
}

/// The form's `reached`: `true`/`1`/`entered` or `false`/`0`/`left`
/// (the core's reading); empty is absent, for the core to refuse.
#[cfg(feature = "ssr")]
pub(crate) fn reached(value: Option<&str>) -> Result<Option<bool>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse_reached(v, ReachedWords::Form).map(Some).ok_or_else(|| AppError::Invalid {
            field: Some("reached".into()),
            message: "must be entered or left".into(),
        }),
    }
}

/// A `datetime-local` value (`2026-02-10T14:00`, no zone) or a bare date
/// (`2026-02-10`, its midnight) means UTC; anything else is passed on for
/// the core to read.
#[cfg(feature = "ssr")]
pub(crate) fn at_from_form(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).map(|v| {
        let local = v.len() == 16 && v.as_bytes().get(10) == Some(&b'T');
        let local_seconds = v.len() == 19 && v.as_bytes().get(10) == Some(&b'T');
        let date = v.len() == 10 && v.as_bytes().get(4) == Some(&b'-') && v.as_bytes().get(7) == Some(&b'-');
        if date {
            format!("{v}T00:00:00Z")
        } else if local {
            format!("{v}:00Z")
        } else if local_seconds {
            format!("{v}Z")
        } else {
            v
        }
    })
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
        form_values(&[
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

/// Records an event from the form.
///
/// Every state-changing function takes `csrf_token`: the CSRF middleware
/// checks it before the function runs; naming it here keeps it in the body
/// that `ActionForm` rebuilds from these arguments.
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
    use crate::server_data::ssr::context;

    let fields = EventFields { dist, release, state, reached, at, note, link };
    let values = fields.values();
    let result = async {
        let (backend, parts) = context()?;
        let record = backend.0.record(&parts, fields.input()?).await?;
        Ok(Recorded { id: record.id, summary: describe::event(&record, Names::AsRecorded) })
    }
    .await;
    let back = links::new_event(links::Prefill::default());
    answer("record", values, &back, result, |r: &Recorded| (links::event(r.id), format!("Recorded: {}.", r.summary)))
        .await
}

/// Retracts an event, with a reason.
#[server(prefix = "/ui", endpoint = "retract_event")]
pub async fn retract_event(csrf_token: Option<String>, id: i64, reason: Option<String>) -> Result<Recorded, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use crate::server_data::ssr::context;

    let values = form_values(&[("reason", &reason)]);
    let result = async {
        let (backend, parts) = context()?;
        let record = backend.0.retract(&parts, id, reason).await?;
        Ok(Recorded { id: record.id, summary: describe::retraction(&record, Names::AsRecorded) })
    }
    .await;
    answer(&format!("retract-{id}"), values, &links::event(id), result, |r: &Recorded| {
        (links::event(r.id), format!("{}.", r.summary))
    })
    .await
}

/// Corrects an event: retracts it and records the fixed values.
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
    use crate::server_data::ssr::context;

    let fields = EventFields { dist, release, state, reached, at, note, link };
    let mut values = fields.values();
    values.extend(form_values(&[("reason", &reason)]));
    let result = async {
        let (backend, parts) = context()?;
        let record = backend.0.correct(&parts, id, reason, fields.input()?).await?;
        Ok(Recorded { id: record.id, summary: describe::event(&record, Names::AsRecorded) })
    }
    .await;
    answer(&format!("correct-{id}"), values, &links::event(id), result, |r: &Recorded| {
        (links::event(r.id), format!("Corrected: {}.", r.summary))
    })
    .await
}
