//! How pages and server functions reach what the server provides: the
//! event log, the status figures, the editing backend, the request and
//! what the server attached to it (the visitor, the flash). The server
//! provides these as Leptos context (`server/src/lib.rs::router`); every
//! accessor here answers `AppError::Unprovided` instead of panicking when
//! one is missing, and pages show that as an error page. Also here: the
//! plain types the server and the pages exchange. This module imports only
//! the core and the error, so every page may use it.

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::use_context;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{SharedLog, Timestamp};

/// The figures the page shows, read when it renders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceStatus {
    /// Events in the log (retracted included).
    pub events: usize,
    /// Highest event id.
    pub last_event_id: i64,
    /// Whether a broker is configured and the publisher runs.
    pub publishing: bool,
    /// Whether the publisher holds a connection to the broker.
    pub connected: bool,
    /// Messages not yet confirmed by the broker, and when that was counted.
    pub backlog: Option<(i64, Timestamp)>,
    /// Messages confirmed since start.
    pub sent: u64,
    /// Failed publish attempts since start.
    pub failed: u64,
    /// The last publishing error and when it happened.
    pub last_error: Option<(String, Timestamp)>,
    /// Planned transitions that are overdue: (dist, release, state,
    /// reached, planned at), oldest first.
    pub overdue: Vec<(String, String, String, bool, Timestamp)>,
    /// Webhooks: `None` when they are off (no key).
    pub webhooks: Option<WebhookStatus>,
}

/// How the webhooks stand, as the deliverer last counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookStatus {
    /// Whether it has counted yet.
    pub counted: bool,
    /// Subscriptions that deliver.
    pub active: i64,
    /// Subscriptions the server disabled.
    pub disabled: i64,
    /// Active subscriptions with a failing delivery.
    pub failing: i64,
    /// Deliveries waiting.
    pub waiting: i64,
    /// Required release actions failing or given up.
    pub actions_failing: i64,
    /// Required release actions not yet succeeded (pending included).
    pub actions_unsettled: i64,
}

/// Where the page gets its figures: provided by the server as context.
#[derive(Clone)]
pub struct StatusSource(pub Arc<dyn Fn() -> ServiceStatus + Send + Sync>);

/// Where the audit page gets the last audit report: provided by the
/// server as context.
#[derive(Clone)]
pub struct AuditSource(pub Arc<dyn Fn() -> crate::model::audit::AuditReport + Send + Sync>);

/// Left in the session by a plain (no JavaScript) form post, shown once
/// by the next page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// A notice such as "Recorded: 44 entered branched".
    pub notice: Option<String>,
    /// The form that was refused, with what was typed.
    pub form: Option<FormEcho>,
    /// A new API token's secret, shown once under the notice. Never
    /// stored with the session: a short-lived cookie for the tokens page
    /// alone carries it from the form post to that page.
    #[serde(skip)]
    pub secret: Option<String>,
}

/// A refused form: which one, its values, and the problem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormEcho {
    /// Which form (`record`, `correct-17`, `retract-17`, `token`).
    pub form: String,
    /// Field name to the text the user typed.
    pub values: BTreeMap<String, String>,
    /// The field at fault, if one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl FormEcho {
    /// The typed value of a field.
    pub fn value(&self, field: &str) -> Option<String> {
        self.values.get(field).cloned()
    }
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

/// A value the server provided as context, or `Unprovided` naming `what`.
fn provided<T: Clone + Send + Sync + 'static>(what: &str) -> Result<T, AppError> {
    use_context::<T>().ok_or_else(|| AppError::Unprovided(what.to_owned()))
}

/// The process's event log (server side).
pub fn log() -> Result<SharedLog, AppError> {
    provided::<SharedLog>("the event log")
}

/// How long past its date an unmet plan waits before it is overdue, as
/// the server provides it (`--plan-grace`).
#[derive(Debug, Clone, Copy)]
pub struct PlanGrace(pub chrono::Duration);

/// The server's plan grace period, or the default where none is provided.
pub fn plan_grace() -> chrono::Duration {
    use_context::<PlanGrace>().map_or(crate::model::plans::DEFAULT_GRACE, |g| g.0)
}

/// The figures of the status page, read now (server side).
pub fn service_status() -> Result<ServiceStatus, AppError> {
    provided::<StatusSource>("the status figures").map(|source| (source.0)())
}

/// The last audit report (server side).
pub fn audit_report() -> Result<crate::model::audit::AuditReport, AppError> {
    provided::<AuditSource>("the audit report").map(|source| (source.0)())
}

/// Events whose required release actions have not all succeeded, with the
/// worst state among them: provided by the server as context.
#[derive(Clone)]
pub struct ActionsSource(
    pub Arc<dyn Fn() -> Arc<std::collections::HashMap<i64, crate::model::webhooks::DeliveryState>> + Send + Sync>,
);

/// The events with unsettled release actions (empty when the server
/// provides none, e.g. in the browser).
pub fn unsettled_actions() -> Arc<std::collections::HashMap<i64, crate::model::webhooks::DeliveryState>> {
    use_context::<ActionsSource>().map(|source| (source.0)()).unwrap_or_default()
}

/// What the server attached to the request being rendered (the visitor,
/// the flash); `None` in the browser or when it attached none.
pub fn from_request<T: Clone + Send + Sync + 'static>() -> Option<T> {
    #[cfg(feature = "ssr")]
    if let Ok(parts) = ssr::request() {
        return parts.extensions.get::<T>().cloned();
    }
    None
}

/// The path and query of the request being rendered (`/events?dist=x`),
/// server side; `None` in the browser.
pub fn request_path() -> Option<String> {
    #[cfg(feature = "ssr")]
    if let Ok(parts) = ssr::request() {
        return Some(parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned());
    }
    None
}

/// Server-side plumbing: the request and the editing backend.
#[cfg(feature = "ssr")]
pub mod ssr {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use http::request::Parts;

    use super::{provided, AppError, CreatedToken, Flash, TokenInfo};
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
        /// Plans a transition (a new revision of its key).
        fn plan<'a>(
            &'a self,
            parts: &'a Parts,
            input: crate::model::plans::PlanInput,
        ) -> Pending<'a, crate::model::plans::PlanRecord>;
        /// Cancels a transition's plan.
        fn cancel_plan<'a>(
            &'a self,
            parts: &'a Parts,
            input: crate::model::plans::CancelInput,
        ) -> Pending<'a, crate::model::plans::PlanRecord>;
        /// Every webhook subscription (editors).
        fn webhooks<'a>(&'a self, parts: &'a Parts) -> Pending<'a, Vec<crate::model::webhooks::Subscription>>;
        /// One subscription with its newest deliveries (editors).
        fn webhook<'a>(&'a self, parts: &'a Parts, id: i64) -> Pending<'a, crate::model::webhooks::WebhookDetail>;
        /// Creates a subscription; its id and secret (editors).
        fn create_webhook<'a>(
            &'a self,
            parts: &'a Parts,
            input: crate::model::webhooks::SubscriptionInput,
        ) -> Pending<'a, crate::model::webhooks::CreatedWebhook>;
        /// Changes subscription `id`; a notice saying so (editors).
        fn update_webhook<'a>(
            &'a self,
            parts: &'a Parts,
            id: i64,
            input: crate::model::webhooks::SubscriptionInput,
        ) -> Pending<'a, String>;
        /// Does `action` to subscription `id`; a notice saying what was done
        /// (editors).
        fn webhook_action<'a>(
            &'a self,
            parts: &'a Parts,
            id: i64,
            action: crate::model::webhooks::WebhookAction,
        ) -> Pending<'a, String>;
        /// The deliveries an event triggered (its release actions), for everyone.
        fn event_actions<'a>(&'a self, id: i64) -> Pending<'a, Vec<crate::model::webhooks::Delivery>>;
        /// Leaves a flash for the next page of this session.
        fn flash<'a>(&'a self, parts: &'a Parts, flash: Flash) -> Pending<'a, ()>;
    }

    /// The backend, as Leptos context.
    #[derive(Clone)]
    pub struct Editing(pub Arc<dyn EditBackend>);

    /// The request being rendered or served.
    pub fn request() -> Result<Parts, AppError> {
        provided::<Parts>("the request")
    }

    /// The editing backend and the request, for the server functions.
    pub fn context() -> Result<(Editing, Parts), AppError> {
        Ok((provided::<Editing>("the editing backend")?, request()?))
    }

    /// Whether this is a plain HTML form post (no JavaScript): then the
    /// answer is a redirect, not data.
    pub fn plain_form_post(parts: &Parts) -> bool {
        parts.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    }
}
