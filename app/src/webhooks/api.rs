//! The server functions of the webhook pages: list, one with its delivery
//! log, create (the secret shown once), the actions on a subscription
//! (pause, resume, ping, rotate, delete, redeliver), and an event's
//! release actions. Every form is a plain form post that works without
//! JavaScript; the server does the work through the editing backend.

// A server function takes one argument per form field; the macro's
// generated client function does not carry a function-level `allow`.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::webhooks::{CreatedWebhook, Delivery, Subscription, WebhookDetail};
#[cfg(feature = "ssr")]
use crate::model::webhooks::{SubscriptionInput, WebhookAction, WebhookFilter, WebhookKind};

/// Every subscription (editors).
#[server(prefix = "/ui", endpoint = "webhook_list")]
pub async fn webhook_list() -> Result<Vec<Subscription>, AppError> {
    use crate::server_data::ssr::context;
    let (backend, parts) = context()?;
    backend.0.webhooks(&parts).await
}

/// One subscription with its delivery log (editors).
#[server(prefix = "/ui", endpoint = "load_webhook")]
pub async fn load_webhook(id: i64) -> Result<WebhookDetail, AppError> {
    use crate::server_data::ssr::context;
    let (backend, parts) = context()?;
    backend.0.webhook(&parts, id).await
}

/// The deliveries an event triggered.
#[server(prefix = "/ui", endpoint = "event_actions")]
pub async fn event_actions(id: i64) -> Result<Vec<Delivery>, AppError> {
    use crate::server_data::ssr::context;
    let (backend, _) = context()?;
    backend.0.event_actions(id).await
}

/// Splits a comma-separated field into names.
#[cfg(feature = "ssr")]
fn names(field: &Option<String>) -> Vec<String> {
    field.as_deref().unwrap_or("").split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect()
}

/// The fields of the subscription form, as typed.
#[cfg(feature = "ssr")]
struct FormFields {
    url: Option<String>,
    description: Option<String>,
    dists: Option<String>,
    releases: Option<String>,
    states: Option<String>,
    reached: Option<String>,
    kinds: [Option<String>; 3],
    required: Option<String>,
}

#[cfg(feature = "ssr")]
impl FormFields {
    /// What to echo back into a refused form.
    fn values(&self) -> std::collections::BTreeMap<String, String> {
        crate::account::api::form_values(&[
            ("url", &self.url),
            ("description", &self.description),
            ("dists", &self.dists),
            ("releases", &self.releases),
            ("states", &self.states),
            ("reached", &self.reached),
        ])
    }

    /// The subscription the form asks for (`active` is left to the caller).
    fn input(self) -> Result<SubscriptionInput, AppError> {
        let reached = match self.reached.as_deref() {
            Some("entered") => Some(true),
            Some("left") => Some(false),
            Some("") | Some("both") | None => None,
            Some(other) => {
                return Err(AppError::Invalid {
                    field: Some("reached".into()),
                    message: format!("reached: `{other}` is not entered, left or both"),
                })
            }
        };
        let kinds =
            WebhookKind::ALL.into_iter().zip(&self.kinds).filter_map(|(k, v)| v.is_some().then_some(k)).collect();
        Ok(SubscriptionInput {
            url: self.url,
            description: Some(self.description.unwrap_or_default()),
            filter: Some(WebhookFilter {
                dists: names(&self.dists),
                releases: names(&self.releases),
                states: names(&self.states),
                reached,
                kinds,
            }),
            active: None,
            required: Some(self.required.is_some()),
        })
    }
}

/// Creates a subscription from the form: one argument per form field, as
/// server functions take them.
#[server(prefix = "/ui", endpoint = "create_webhook")]
pub async fn create_webhook(
    csrf_token: Option<String>,
    url: Option<String>,
    description: Option<String>,
    dists: Option<String>,
    releases: Option<String>,
    states: Option<String>,
    reached: Option<String>,
    kind_event: Option<String>,
    kind_retraction: Option<String>,
    kind_plan: Option<String>,
    required: Option<String>,
) -> Result<CreatedWebhook, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use crate::account::api::answer;
    use crate::server_data::ssr::context;

    let form = FormFields {
        url,
        description,
        dists,
        releases,
        states,
        reached,
        kinds: [kind_event, kind_retraction, kind_plan],
        required,
    };
    let values = form.values();
    let result = async {
        let input = SubscriptionInput { active: Some(true), ..form.input()? };
        let (backend, parts) = context()?;
        backend.0.create_webhook(&parts, input).await
    }
    .await;
    let list = crate::links::webhooks();
    answer("webhook", values, &list, result, |c: &CreatedWebhook| {
        (crate::links::webhook(c.id), "Created the subscription. Copy its secret now, it is not shown again:".into())
    })
    .await
}

/// Changes a subscription's URL, description, filter and whether it is
/// required, from the form on its page.
#[server(prefix = "/ui", endpoint = "update_webhook")]
pub async fn update_webhook(
    csrf_token: Option<String>,
    id: i64,
    url: Option<String>,
    description: Option<String>,
    dists: Option<String>,
    releases: Option<String>,
    states: Option<String>,
    reached: Option<String>,
    kind_event: Option<String>,
    kind_retraction: Option<String>,
    kind_plan: Option<String>,
    required: Option<String>,
) -> Result<String, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use crate::account::api::answer;
    use crate::server_data::ssr::context;

    let form = FormFields {
        url,
        description,
        dists,
        releases,
        states,
        reached,
        kinds: [kind_event, kind_retraction, kind_plan],
        required,
    };
    let values = form.values();
    let result = async {
        let input = form.input()?;
        let (backend, parts) = context()?;
        backend.0.update_webhook(&parts, id, input).await
    }
    .await;
    let page = crate::links::webhook(id);
    answer("webhook-edit", values, &page, result, |notice: &String| (page.clone(), notice.clone())).await
}

/// Does one thing to a subscription: `action` is `pause`, `resume`,
/// `ping`, `rotate`, `delete`, `redeliver` (with `delivery`) or
/// `redeliver_failed` (with `since`, a day or a time); `back` is the page
/// to return to (the subscription's by default, or an event's).
#[server(prefix = "/ui", endpoint = "act_on_webhook")]
pub async fn act_on_webhook(
    csrf_token: Option<String>,
    id: i64,
    action: String,
    delivery: Option<i64>,
    since: Option<String>,
    back: Option<i64>,
) -> Result<String, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use crate::account::api::answer;
    use crate::server_data::ssr::context;

    let page = match back {
        Some(event) => crate::links::event(event),
        None => crate::links::webhook(id),
    };
    let result = async {
        let action = match (action.as_str(), delivery) {
            ("pause", _) => WebhookAction::Pause,
            ("resume", _) => WebhookAction::Resume,
            ("ping", _) => WebhookAction::Ping,
            ("rotate", _) => WebhookAction::Rotate,
            ("delete", _) => WebhookAction::Delete,
            ("redeliver", Some(d)) => WebhookAction::Redeliver(d),
            ("redeliver_failed", _) => {
                let since = since.as_deref().map(str::trim).unwrap_or("");
                let since = if since.len() == 10 { format!("{since}T00:00:00Z") } else { since.to_owned() };
                WebhookAction::RedeliverFailedSince(
                    crate::model::time::parse_timestamp("since", &since)
                        .map_err(|e| AppError::Invalid { field: Some("since".into()), message: e.to_string() })?,
                )
            }
            _ => return Err(AppError::Request(format!("unknown action `{action}`"))),
        };
        let deleted = action == WebhookAction::Delete;
        let (backend, parts) = context()?;
        backend.0.webhook_action(&parts, id, action).await.map(|notice| (notice, deleted))
    }
    .await;
    let to = page.clone();
    answer("webhook-action", Default::default(), &page, result, move |(notice, deleted): &(String, bool)| {
        let to = if *deleted { crate::links::webhooks() } else { to };
        (to, notice.clone())
    })
    .await
    .map(|(notice, _)| notice)
}
