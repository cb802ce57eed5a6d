//! The message bus (DESIGN.md §3): fedora-messaging compatible AMQP
//! messages for every event and retraction, sent from the outbox by a
//! publisher task with publisher confirms. Writes only wake the publisher
//! through [`Bus`]; nothing on the write path talks to the broker.

pub mod config;
pub mod message;
pub mod publisher;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use app::model::Timestamp;
use serde::Serialize;
use tokio::sync::Notify;

pub use config::{AmqpUrl, BusArgs, BusConfig, BusConfigError};
pub use publisher::Publisher;

/// What the rest of the server shares with the publisher: a wake-up call
/// after each commit, and the publisher's counters for `/readyz`. Exists
/// (and counts nothing) when publishing is off.
#[derive(Debug, Default)]
pub struct Bus {
    wake: Notify,
    publishing: AtomicBool,
    connected: AtomicBool,
    sent: AtomicU64,
    failed: AtomicU64,
    last_error: Mutex<Option<LastError>>,
    backlog: Mutex<Option<(i64, Timestamp)>>,
    bodies: message::Bodies,
}

/// The most recent publishing failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastError {
    /// What went wrong (never a secret).
    pub message: String,
    /// When.
    #[serde(with = "app::model::time::wire")]
    pub at: Timestamp,
}

/// A copy of the publisher's state at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BusStatus {
    /// Whether a broker is configured and the publisher runs.
    pub publishing: bool,
    /// Whether it holds an open connection to the broker.
    pub connected: bool,
    /// Messages confirmed by the broker since this process started.
    pub sent: u64,
    /// Messages whose publish attempt failed since this process started
    /// (each is retried, so a message may count here and then in `sent`).
    pub failed: u64,
    /// The last failure, until a later round succeeds.
    pub last_error: Option<LastError>,
}

impl Bus {
    /// A bus whose message bodies link event pages under `public_url`.
    pub fn new(public_url: url::Url) -> Self {
        Self { bodies: message::Bodies::new(public_url), ..Self::default() }
    }

    /// How message bodies are rendered: by the writers when they store an
    /// outbox row, by the publisher for rows stored without a body.
    pub fn bodies(&self) -> &message::Bodies {
        &self.bodies
    }

    /// Tells the publisher that rows were committed. Never blocks; a wake
    /// while it is busy is kept for its next wait.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves at the next [`Bus::wake`] (or at once for a kept one).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// The current counters.
    pub fn status(&self) -> BusStatus {
        BusStatus {
            publishing: self.publishing.load(Ordering::Relaxed),
            connected: self.connected.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            last_error: self.last_error.lock().map(|e| e.clone()).unwrap_or_default(),
        }
    }

    pub(crate) fn set_publishing(&self, on: bool) {
        self.publishing.store(on, Ordering::Relaxed);
    }

    pub(crate) fn set_connected(&self, on: bool) {
        self.connected.store(on, Ordering::Relaxed);
    }

    /// Counts a round: `sent` confirmed, `failed` not.
    pub(crate) fn count(&self, sent: u64, failed: u64) {
        self.sent.fetch_add(sent, Ordering::Relaxed);
        self.failed.fetch_add(failed, Ordering::Relaxed);
    }

    pub(crate) fn set_error(&self, message: String, at: Timestamp) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(LastError { message, at });
        }
    }

    /// The outbox backlog as last counted by [`track_backlog`].
    pub fn backlog(&self) -> Option<(i64, Timestamp)> {
        self.backlog.lock().map(|b| *b).unwrap_or_default()
    }

    pub(crate) fn clear_error(&self) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = None;
        }
    }
}

/// Counts the outbox backlog every `interval` until `stop`, for the status
/// page (which cannot wait for the database while it renders).
pub async fn track_backlog(
    store: crate::store::Store,
    bus: std::sync::Arc<Bus>,
    interval: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => match store.outbox_pending().await {
                Ok(n) => {
                    if let Ok(mut backlog) = bus.backlog.lock() {
                        *backlog = Some((n, chrono::Utc::now()));
                    }
                }
                Err(e) => tracing::debug!(error = %e, "could not count the outbox backlog"),
            },
        }
    }
}
