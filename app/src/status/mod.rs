//! `/status`: how this server is doing — the log, and the message bus's
//! outbox backlog, sent and failed publishes and the last error — for the
//! operators who run it. The server supplies the figures through
//! [`StatusSource`]; this module only shows them.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::Timestamp;
use crate::ui::format::when;

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
}

/// Where the page gets its figures: provided by the server as context.
#[derive(Clone)]
pub struct StatusSource(pub Arc<dyn Fn() -> ServiceStatus + Send + Sync>);

/// `/status`.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = use_context::<StatusSource>().map(|source| (source.0)()).unwrap_or_default();
    let bus = match (status.publishing, status.connected) {
        (false, _) => "off (no AMQP_URL): messages wait in the outbox",
        (true, true) => "publishing, connected to the broker",
        (true, false) => "publishing, not connected to the broker (retrying)",
    };
    view! {
        <Title text="Status · releasetracker"/>
        <h1>"Status"</h1>
        <dl class="event status">
            <dt>"Event log"</dt>
            <dd>{format!("{} events, last id {}", status.events, status.last_event_id)}</dd>
            <dt>"Message bus"</dt>
            <dd data-bus=if status.publishing { "on" } else { "off" }>{bus}</dd>
            <dt>"Outbox backlog"</dt>
            <dd data-backlog=status.backlog.map(|(n, _)| n.to_string())>{match &status.backlog {
                Some((n, at)) => format!("{n} messages waiting (counted {})", when(at)),
                None => "not counted yet".to_owned(),
            }}</dd>
            <dt>"Publishes since start"</dt>
            <dd>{format!("{} sent, {} failed", status.sent, status.failed)}</dd>
            <dt>"Last publish error"</dt>
            <dd class="text">{match &status.last_error {
                Some((message, at)) => format!("{} — {message}", when(at)),
                None => "none".to_owned(),
            }}</dd>
        </dl>
        <p>"The same figures, for machines: " <a href="/readyz">"/readyz"</a> "."</p>
    }
}
