//! The server functions behind the plan forms on a release page: plan a
//! transition (a new revision of its key) and cancel a plan. The server
//! does the work through the editing backend; after a plain form post
//! they leave a flash and redirect to the release page, like the event
//! forms.

// One argument per form field, so that the forms work without JavaScript.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::account::api::{answer, form_values};
#[cfg(feature = "ssr")]
use crate::edit::api::{at_from_form, reached as reached_from_form};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::links;

/// A stored plan revision, for the form to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Planned {
    /// Dist, for the redirect.
    pub dist: String,
    /// Release, for the redirect.
    pub release: String,
    /// "Planned: Fedora 45 enters branched on 2026-08-11 (revision 2)".
    pub summary: String,
}

#[cfg(feature = "ssr")]
fn summary(record: &crate::model::plans::PlanRecord) -> Planned {
    use crate::model::describe::{planned, when};
    let what = planned(&record.dist, &record.release, &record.state, record.reached);
    let summary = if record.cancelled {
        format!("Cancelled the plan: {what}")
    } else {
        format!("Planned: {what} on {} (revision {})", when(&record.at), record.revision)
    };
    Planned { dist: record.dist.to_string(), release: record.release.to_string(), summary }
}

/// The release page a plan form returns to.
#[cfg(feature = "ssr")]
fn release_page(dist: &Option<String>, release: &Option<String>) -> String {
    match (dist.as_deref().map(crate::model::Dist::parse), release.as_deref().map(crate::model::Release::parse)) {
        (Some(Ok(d)), Some(Ok(r))) => links::release(&d, &r),
        _ => links::home(),
    }
}

/// Plans a transition (or moves its plan: a new revision).
#[server(prefix = "/ui", endpoint = "plan_transition")]
pub async fn plan_transition(
    csrf_token: Option<String>,
    dist: Option<String>,
    release: Option<String>,
    state: Option<String>,
    reached: Option<String>,
    at: Option<String>,
    note: Option<String>,
    link: Option<String>,
) -> Result<Planned, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use crate::server_data::ssr::context;

    let values =
        form_values(&[("state", &state), ("reached", &reached), ("at", &at), ("note", &note), ("link", &link)]);
    let back = release_page(&dist, &release);
    let result = async {
        let (backend, parts) = context()?;
        let input = crate::model::plans::PlanInput {
            dist,
            release,
            state,
            reached: reached_from_form(reached.as_deref())?,
            at: at_from_form(at),
            note,
            link,
        };
        Ok(summary(&backend.0.plan(&parts, input).await?))
    }
    .await;
    answer("plan", values, &back, result, |p: &Planned| (back.clone(), format!("{}.", p.summary))).await
}

/// Cancels a transition's plan, with a reason.
#[server(prefix = "/ui", endpoint = "cancel_plan")]
pub async fn cancel_plan(
    csrf_token: Option<String>,
    dist: Option<String>,
    release: Option<String>,
    state: Option<String>,
    reached: Option<String>,
    reason: Option<String>,
) -> Result<Planned, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use crate::server_data::ssr::context;

    let form =
        format!("cancel-plan-{}-{}", state.as_deref().unwrap_or_default(), reached.as_deref().unwrap_or_default());
    let values = form_values(&[("reason", &reason)]);
    let back = release_page(&dist, &release);
    let result = async {
        let (backend, parts) = context()?;
        let input = crate::model::plans::CancelInput {
            dist,
            release,
            state,
            reached: reached_from_form(reached.as_deref())?,
            reason,
        };
        Ok(summary(&backend.0.cancel_plan(&parts, input).await?))
    }
    .await;
    answer(&form, values, &back, result, |p: &Planned| (back.clone(), format!("{}.", p.summary))).await
}
