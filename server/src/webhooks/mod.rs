//! Webhooks (DESIGN.md §8): signed deliveries per Standard Webhooks 1.0
//! to the subscriptions editors configure, derived from the outbox so
//! nothing committed is lost, retried with back-off, logged per attempt,
//! and shown as release actions on event pages. The SQL is in
//! `crate::store` (`webhooks`), the pure rules in `app::model::webhooks`.

pub mod deliver;
pub mod manage;
pub mod seal;
pub mod sign;
pub mod target;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::model::webhooks::{DeliveryState, RetrySchedule};
use clap::Args;
use tokio::sync::Notify;

pub use seal::SealKey;
pub use sign::SigningSecret;
pub use target::TargetPolicy;

use crate::store::WebhookHealth;

/// Flags of the webhooks (part of `serve`).
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// The key subscription secrets are encrypted with: 32 random bytes in
    /// base64 (`openssl rand -base64 32`), the same on every instance.
    /// Unset: webhooks are off (the API says so) and nothing is delivered.
    #[arg(long, env = "WEBHOOK_KEY", hide_env_values = true)]
    pub webhook_key: Option<SealKey>,

    /// Allow plain `http` targets and private addresses (loopback, RFC
    /// 1918, link-local): for tests and closed networks only.
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,

    /// The waits between attempts; after the last a delivery is given up
    /// and its subscription disabled.
    #[arg(long, env = "WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,14h,20h,24h", value_parser = RetrySchedule::parse)]
    pub webhook_retry_schedule: RetrySchedule,

    /// How long delivered and given-up deliveries stay in the delivery log.
    #[arg(long, env = "WEBHOOK_RETENTION", default_value = "30d", value_parser = humantime::parse_duration)]
    pub webhook_retention: Duration,

    /// How long the previous secret keeps signing after a rotation.
    #[arg(long, env = "WEBHOOK_ROTATION_GRACE", default_value = "24h", value_parser = humantime::parse_duration)]
    pub webhook_rotation_grace: Duration,
}

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The sealing key; `None`: webhooks are off.
    pub key: Option<SealKey>,
    /// Where targets may point.
    pub policy: TargetPolicy,
    /// The waits between attempts.
    pub schedule: RetrySchedule,
    /// How long settled deliveries are kept.
    pub retention: Duration,
    /// How long a rotated-out secret keeps signing.
    pub rotation_grace: Duration,
    /// How long a receiver may take to answer.
    pub timeout: Duration,
}

/// How long a receiver may take to answer before the attempt fails.
pub const RECEIVER_TIMEOUT: Duration = Duration::from_secs(15);

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            key: None,
            policy: TargetPolicy { allow_private: false },
            schedule: RetrySchedule::default(),
            retention: Duration::from_secs(30 * 86_400),
            rotation_grace: Duration::from_secs(86_400),
            timeout: RECEIVER_TIMEOUT,
        }
    }
}

impl From<&WebhookArgs> for WebhookSettings {
    fn from(args: &WebhookArgs) -> Self {
        Self {
            key: args.webhook_key.clone(),
            policy: TargetPolicy { allow_private: args.webhook_allow_private },
            schedule: args.webhook_retry_schedule.clone(),
            retention: args.webhook_retention,
            rotation_grace: args.webhook_rotation_grace,
            timeout: RECEIVER_TIMEOUT,
        }
    }
}

/// What the server shares with the deliverer: its settings, a wake-up
/// call, its counters and the last counts from the database.
#[derive(Debug, Default)]
pub struct Webhooks {
    settings: WebhookSettings,
    wake: Notify,
    delivered: AtomicU64,
    failed: AtomicU64,
    health: Mutex<Option<WebhookHealth>>,
    unsettled: Mutex<Arc<HashMap<i64, DeliveryState>>>,
}

impl Webhooks {
    /// A handle with these settings.
    pub fn new(settings: WebhookSettings) -> Self {
        Self { settings, ..Self::default() }
    }

    /// The settings.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// The sealing key, or the reason webhooks are off.
    pub fn key(&self) -> Result<&SealKey, &'static str> {
        self.settings
            .key
            .as_ref()
            .ok_or("webhooks are off on this server: the operator has not set WEBHOOK_KEY (see docs/deployment.md)")
    }

    /// Asks the deliverer to look for work now (after a write, a redelivery).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Attempts that succeeded and failed since start.
    pub fn counts(&self) -> (u64, u64) {
        (self.delivered.load(Ordering::Relaxed), self.failed.load(Ordering::Relaxed))
    }

    pub(crate) fn count(&self, delivered: u64, failed: u64) {
        self.delivered.fetch_add(delivered, Ordering::Relaxed);
        self.failed.fetch_add(failed, Ordering::Relaxed);
    }

    /// The counts last read from the database (`None` before the first).
    pub fn health(&self) -> Option<WebhookHealth> {
        self.health.lock().map(|h| *h).unwrap_or_default()
    }

    /// Events whose required actions have not all succeeded, with the
    /// worst state among them, as last read.
    pub fn unsettled(&self) -> Arc<HashMap<i64, DeliveryState>> {
        self.unsettled.lock().map(|u| u.clone()).unwrap_or_default()
    }

    pub(crate) fn set_health(&self, health: WebhookHealth, unsettled: HashMap<i64, DeliveryState>) {
        if let Ok(mut h) = self.health.lock() {
            *h = Some(health);
        }
        if let Ok(mut u) = self.unsettled.lock() {
            *u = Arc::new(unsettled);
        }
    }
}
