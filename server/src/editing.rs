//! The server side of the browser's editing forms: implements the
//! [`EditBackend`] the app's server functions call, with the signed-in
//! editor of the request's session as the author of every write. Writes
//! of the log go through the log writer.

use app::error::AppError;
use app::model::event::{EventInput, EventRecord};
use app::model::plans::{CancelInput, PlanInput, PlanRecord};
use app::model::time::format as rfc3339;
use app::model::webhooks::{CreatedWebhook, Delivery, Subscription, SubscriptionInput, WebhookAction, WebhookDetail};
use app::model::NewRetraction;
use app::server_data::ssr::{EditBackend, Pending};
use app::server_data::{CreatedToken, Flash, TokenInfo};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use chrono::Utc;
use leptos::prelude::use_context;
use tower_sessions::Session;

use crate::api::error::ApiError;
use crate::auth::session::{reveal_cookie, SessionUser, FLASH, USER};
use crate::auth::{new_token, session_editor, Identity};
use crate::log::WriteError;
use crate::state::AppState;
use crate::store::StoreError;
use crate::webhooks::manage;

/// Longest a personal token may live, in days: group membership is only
/// re-read at login, so tokens must not outlive it by years.
const MAX_TOKEN_DAYS: i64 = 365;

/// The backend, over the application state.
pub struct EditingBackend(pub AppState);

/// Turns an API error (of sign-in checks and token rows) into what the
/// form shows; internal causes are logged here, once.
fn for_form(e: ApiError) -> AppError {
    match e {
        ApiError::Malformed(m) => AppError::Request(m),
        ApiError::InvalidInput { field, message } => AppError::Invalid { field, message },
        ApiError::Unauthenticated(_) => {
            AppError::SignedOut("you are signed out (or your session expired): sign in again".into())
        }
        ApiError::Forbidden(m) => AppError::Forbidden(m),
        ApiError::NotFound(m) => AppError::NotFound(m),
        ApiError::Conflict(m) => AppError::Conflict(m),
        ApiError::PayloadTooLarge(_) | ApiError::UnsupportedMediaType(_) => AppError::Request(e.to_string()),
        ApiError::Unavailable(cause) | ApiError::InDoubt(cause) => {
            tracing::warn!(error = %cause, "form write: database unavailable");
            AppError::Unavailable
        }
        ApiError::Internal(cause) => {
            tracing::error!(error = %cause, "form write failed");
            AppError::Internal
        }
    }
}

impl From<WriteError> for AppError {
    /// What the editing form shows of a failed write of the log, with the
    /// messages and statuses the JSON API gives; internal causes are logged
    /// here, once.
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid { field, message } => AppError::Invalid { field, message },
            WriteError::KeyReused { .. } => {
                AppError::Invalid { field: Some("Idempotency-Key".into()), message: e.to_string() }
            }
            WriteError::NotFound(m) => AppError::NotFound(m),
            WriteError::Conflict(m) => AppError::Conflict(m),
            WriteError::Unavailable(cause) | WriteError::InDoubt(cause) => {
                tracing::warn!(error = %cause, "form write: database unavailable");
                AppError::Unavailable
            }
            WriteError::Internal(cause) => {
                tracing::error!(error = %cause, "form write failed");
                AppError::Internal
            }
        }
    }
}

/// Deliveries a subscription's page lists.
const WEBHOOK_PAGE_DELIVERIES: i64 = 100;

/// Hands a new secret to the page a plain form post redirects to (`page`),
/// in a short-lived cookie for that page alone: a flash would keep it in
/// the session store.
fn reveal(state: &AppState, secret: &str, page: &str) {
    let cookie = reveal_cookie(secret, page, state.auth.https());
    match (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        (Some(response), Ok(value)) => response.append_header(header::SET_COOKIE, value),
        _ => tracing::warn!("cannot hand the new secret to the next page"),
    }
}

fn store_error(e: StoreError) -> AppError {
    for_form(ApiError::from(e))
}

/// The signed-in editor of the request.
fn editor(parts: &Parts) -> Result<Identity, AppError> {
    session_editor(parts).map_err(for_form)
}

/// The signed-in editor's session record (for the token owner).
fn session_user(parts: &Parts) -> Result<SessionUser, AppError> {
    editor(parts)?;
    parts
        .extensions
        .get::<crate::auth::session::CurrentUser>()
        .and_then(|u| u.0.clone())
        .ok_or_else(|| AppError::SignedOut("sign in again".into()))
}

impl EditBackend for EditingBackend {
    fn record<'a>(&'a self, parts: &'a Parts, input: EventInput) -> Pending<'a, EventRecord> {
        Box::pin(async move {
            let who = editor(parts)?;
            let event = input.validate(Utc::now())?;
            Ok(self.0.writer.record(event, who.actor()).await?)
        })
    }

    fn retract<'a>(&'a self, parts: &'a Parts, id: i64, reason: Option<String>) -> Pending<'a, EventRecord> {
        Box::pin(async move {
            let who = editor(parts)?;
            let retraction = NewRetraction::parse(reason.as_deref())?;
            let result = self.0.writer.retract(id, retraction, who.actor()).await?;
            Ok(result.event)
        })
    }

    fn correct<'a>(
        &'a self,
        parts: &'a Parts,
        id: i64,
        reason: Option<String>,
        input: EventInput,
    ) -> Pending<'a, EventRecord> {
        Box::pin(async move {
            let who = editor(parts)?;
            let retraction = NewRetraction::parse(reason.as_deref())?;
            let fixed = input.validate(Utc::now())?;
            let (_, corrected) = self.0.writer.correct(id, retraction, fixed, who.actor()).await?;
            Ok(corrected)
        })
    }

    fn plan<'a>(&'a self, parts: &'a Parts, input: PlanInput) -> Pending<'a, PlanRecord> {
        Box::pin(async move {
            let who = editor(parts)?;
            let plan = input.validate()?;
            Ok(self.0.writer.plan(plan, who.actor()).await?)
        })
    }

    fn cancel_plan<'a>(&'a self, parts: &'a Parts, input: CancelInput) -> Pending<'a, PlanRecord> {
        Box::pin(async move {
            let who = editor(parts)?;
            let (key, reason) = input.validate()?;
            Ok(self.0.writer.cancel_plan(key, reason, who.actor()).await?)
        })
    }

    fn tokens<'a>(&'a self, parts: &'a Parts) -> Pending<'a, Vec<TokenInfo>> {
        Box::pin(async move {
            let user = session_user(parts)?;
            let rows = self.0.store.tokens_of(&user.key).await.map_err(store_error)?;
            Ok(rows
                .into_iter()
                .map(|r| TokenInfo {
                    id: r.id,
                    name: r.name,
                    created_at: rfc3339(&r.created_at),
                    expires_at: r.expires_at.as_ref().map(rfc3339),
                    last_used_at: r.last_used_at.as_ref().map(rfc3339),
                    revoked_at: r.revoked_at.as_ref().map(rfc3339),
                })
                .collect())
        })
    }

    fn create_token<'a>(
        &'a self,
        parts: &'a Parts,
        name: Option<String>,
        expires_in_days: Option<String>,
    ) -> Pending<'a, CreatedToken> {
        Box::pin(async move {
            let user = session_user(parts)?;
            let label = name.unwrap_or_default();
            // The same rules as dist names: short, printable, no spaces at
            // the ends. Stored as `nickname/label`, so names never collide
            // between people and the log shows whose script wrote.
            app::model::Dist::parse(label.trim()).map_err(|e| AppError::Invalid {
                field: Some("name".into()),
                message: format!("name {}", e.message),
            })?;
            let days: i64 = match expires_in_days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => 90,
                Some(d) => {
                    d.parse().ok().filter(|d| (1..=MAX_TOKEN_DAYS).contains(d)).ok_or_else(|| AppError::Invalid {
                        field: Some("expires_in_days".into()),
                        message: format!("must be a whole number of days from 1 to {MAX_TOKEN_DAYS}"),
                    })?
                }
            };
            let name = format!("{}/{}", user.nickname, label.trim());
            let (token, hash) = new_token();
            let now = Utc::now();
            self.0
                .store
                .create_token(&name, &hash, now, Some(now + chrono::Duration::days(days)), Some(&user.key))
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => AppError::Invalid {
                        field: Some("name".into()),
                        message: "you already have an active token with this name".into(),
                    },
                    other => store_error(other),
                })?;
            tracing::info!(token = %name, "personal API token created");
            if app::server_data::ssr::plain_form_post(parts) {
                reveal(&self.0, &token, &app::links::account_tokens());
            }
            Ok(CreatedToken { name, token })
        })
    }

    fn revoke_token<'a>(&'a self, parts: &'a Parts, id: i64) -> Pending<'a, String> {
        Box::pin(async move {
            let user = session_user(parts)?;
            let name = self.0.store.revoke_token_of(&user.key, id, Utc::now()).await.map_err(|e| match e {
                StoreError::NotFound => AppError::NotFound("you have no active token with this id".into()),
                other => store_error(other),
            })?;
            tracing::info!(token = %name, "personal API token revoked");
            Ok(name)
        })
    }

    fn webhooks<'a>(&'a self, parts: &'a Parts) -> Pending<'a, Vec<Subscription>> {
        Box::pin(async move {
            editor(parts)?;
            Ok(manage::list(&self.0.store).await?)
        })
    }

    fn webhook<'a>(&'a self, parts: &'a Parts, id: i64) -> Pending<'a, WebhookDetail> {
        Box::pin(async move {
            editor(parts)?;
            let subscription = manage::get(&self.0.store, id).await?;
            let deliveries = manage::deliveries(&self.0.store, id, WEBHOOK_PAGE_DELIVERIES).await?;
            Ok(WebhookDetail { subscription, deliveries })
        })
    }

    fn create_webhook<'a>(&'a self, parts: &'a Parts, input: SubscriptionInput) -> Pending<'a, CreatedWebhook> {
        Box::pin(async move {
            let who = editor(parts)?;
            let created = manage::create(&self.0.store, &self.0.webhooks, input, &who.actor().name).await?;
            let id = created.subscription.id;
            if app::server_data::ssr::plain_form_post(parts) {
                reveal(&self.0, &created.secret, &app::links::webhook(id));
            }
            Ok(CreatedWebhook { id, secret: created.secret })
        })
    }

    fn update_webhook<'a>(&'a self, parts: &'a Parts, id: i64, input: SubscriptionInput) -> Pending<'a, String> {
        Box::pin(async move {
            let who = editor(parts)?;
            let s = manage::update(&self.0.store, &self.0.webhooks, id, input, &who.actor().name).await?;
            Ok(format!("Saved: {} receives {}.", s.url, s.filter.describe()))
        })
    }

    fn webhook_action<'a>(&'a self, parts: &'a Parts, id: i64, action: WebhookAction) -> Pending<'a, String> {
        Box::pin(async move {
            let who = editor(parts)?;
            let name = who.actor().name;
            let (store, hooks) = (&self.0.store, &self.0.webhooks);
            let notice = match action {
                WebhookAction::Pause | WebhookAction::Resume => {
                    let active = action == WebhookAction::Resume;
                    let input = SubscriptionInput { active: Some(active), ..Default::default() };
                    manage::update(store, hooks, id, input, &name).await?;
                    if active {
                        "Resumed: deliveries go out again."
                    } else {
                        "Paused: deliveries wait until it is resumed."
                    }
                    .to_owned()
                }
                WebhookAction::Ping => {
                    manage::ping(store, hooks, id).await?;
                    "Sent a test delivery (webhook.ping); the delivery log shows how it went.".to_owned()
                }
                WebhookAction::Rotate => {
                    let rotated = manage::rotate(store, hooks, id, &name).await?;
                    if app::server_data::ssr::plain_form_post(parts) {
                        reveal(&self.0, &rotated.secret, &app::links::webhook(id));
                    }
                    format!(
                        "Rotated the secret; the previous one signs too until {}. Copy the new one now, it is not shown again:",
                        rfc3339(&rotated.previous_secret_until)
                    )
                }
                WebhookAction::Delete => {
                    manage::delete(store, id, &name).await?;
                    format!("Deleted subscription #{id} and its delivery log.")
                }
                WebhookAction::Redeliver(delivery) => {
                    manage::redeliver(store, hooks, Some(id), delivery).await?;
                    format!("Delivery {delivery} goes out again.")
                }
                WebhookAction::RedeliverFailedSince(since) => {
                    let n = manage::redeliver_failed(store, hooks, id, since).await?;
                    format!("{n} failed deliveries since {} go out again.", rfc3339(&since))
                }
            };
            Ok(notice)
        })
    }

    fn event_actions<'a>(&'a self, id: i64) -> Pending<'a, Vec<Delivery>> {
        Box::pin(async move { Ok(manage::actions_of_event(&self.0.store, id).await?) })
    }

    fn flash<'a>(&'a self, parts: &'a Parts, flash: Flash) -> Pending<'a, ()> {
        Box::pin(async move {
            let Some(session) = parts.extensions.get::<Session>() else {
                return Ok(());
            };
            // Only a signed-in session keeps a flash: no session rows for
            // strangers posting forms.
            if matches!(session.get::<SessionUser>(USER).await, Ok(Some(_))) {
                if let Err(e) = session.insert(FLASH, flash).await {
                    tracing::warn!(error = %e, "cannot store the flash");
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed write shows in the form with the status and words the JSON
    /// API gives for it (and as the translation through `ApiError` did).
    #[test]
    fn write_errors_show_in_forms_as_in_the_api() {
        let api_status =
            |e: WriteError| axum::response::IntoResponse::into_response(ApiError::from(e)).status().as_u16();
        let both = |make: &dyn Fn() -> WriteError| (AppError::from(make()), api_status(make()));
        let (form, api) = both(&|| WriteError::Invalid { field: Some("state".into()), message: "bad".into() });
        assert_eq!((form.status(), form.field(), form.to_string()), (api, Some("state"), "bad".to_owned()));
        let (form, api) = both(&|| WriteError::NotFound("no event 3".into()));
        assert_eq!((form, api), (AppError::NotFound("no event 3".into()), 404));
        let (form, api) = both(&|| WriteError::Conflict("event 3 is already retracted".into()));
        assert_eq!((form, api), (AppError::Conflict("event 3 is already retracted".into()), 409));
        let (form, api) = both(&|| WriteError::Unavailable("down".into()));
        assert_eq!((form, api), (AppError::Unavailable, 503));
        let (form, api) = both(&|| WriteError::InDoubt("cut".into()));
        assert_eq!((form, api), (AppError::Unavailable, 503));
        let (form, api) = both(&|| WriteError::Internal("bug".into()));
        assert_eq!((form, api), (AppError::Internal, 500));
        let (form, api) = both(&|| WriteError::KeyReused { event_id: 4 });
        assert_eq!((form.status(), form.field()), (api, Some("Idempotency-Key")));
    }
}
