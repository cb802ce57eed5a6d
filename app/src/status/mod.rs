//! `/status`: how this server is doing — the log, the message bus's
//! outbox backlog, sent and failed publishes and the last error, and the
//! planned transitions that are overdue, the audit against Bodhi — for the
//! operators who run it. The server supplies the figures through
//! [`StatusSource`] (in `server_data`); this module only shows them.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::links;
pub use crate::server_data::{ServiceStatus, StatusSource};
use crate::ui::format::when;
use crate::ui::ErrorPage;

/// `/status`.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = match crate::server_data::service_status() {
        Ok(status) => status,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    // Optional: a server without the audit source still shows its status.
    let audit = crate::server_data::audit_report().ok();
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
            <dt>"Webhooks"</dt>
            <dd data-actions-failing=status.webhooks.map(|w| w.actions_failing.to_string())>{match status.webhooks {
                None => "off (no WEBHOOK_KEY)".into_any(),
                Some(w) if !w.counted => "not counted yet".into_any(),
                Some(w) => view! {
                    {format!(
                        "{} active, {} failing, {} disabled subscriptions; {} deliveries waiting; release actions: {} failing, {} not yet succeeded — ",
                        w.active, w.failing, w.disabled, w.waiting, w.actions_failing, w.actions_unsettled
                    )}
                    <a href=links::webhooks()>"webhooks"</a>
                }.into_any(),
            }}</dd>
            <dt>"Overdue plans"</dt>
            <dd data-overdue=status.overdue.len().to_string()>{if status.overdue.is_empty() {
                "none".into_any()
            } else {
                view! {
                    <ul>{status.overdue.iter().map(|(dist, release, state, reached, at)| view! {
                        <li>{format!("{dist} {release} {} {state}: planned for {}", if *reached { "entering" } else { "leaving" }, when(at))}</li>
                    }).collect_view()}</ul>
                }.into_any()
            }}</dd>
            <dt>"Audit against Bodhi"</dt>
            <dd data-audit=audit.as_ref().map(|a| a.findings.len().to_string())>{match &audit {
                None => "not available".into_any(),
                Some(a) if a.source.is_none() => view! { "off (no --audit-bodhi-url) — " <a href=links::audit()>"about the audit"</a> }.into_any(),
                Some(a) => {
                    let drift = a.findings.iter().filter(|f| !f.expected_lag).count();
                    let words = match (&a.checked_at, &a.error) {
                        (None, None) => "first run pending".to_owned(),
                        (checked, error) => format!(
                            "{} findings ({drift} drift){}{}",
                            a.findings.len(),
                            checked.as_ref().map(|t| format!(", compared {}", when(t))).unwrap_or_default(),
                            error.as_ref().map(|e| format!("; the last run failed: {e}")).unwrap_or_default(),
                        ),
                    };
                    view! { <a href=links::audit()>{words}</a> }.into_any()
                }
            }}</dd>
        </dl>
        <p>"The same figures, for machines: " <a href=links::readyz()>"/readyz"</a> "."</p>
    }
    .into_any()
}
