//! `/api`: the JSON API at a glance, for people who find it from the
//! footer. The full contract lives in `docs/api.md`.

use leptos::prelude::*;
use leptos_meta::Title;

/// One documented route: method, path, what it does.
const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/views/{dist}/states-by-release", "the states each release is in; ?at= for any past moment"),
    ("GET", "/api/v1/views/{dist}/releases-by-state", "the releases in each state; ?at="),
    ("GET", "/api/v1/views/{dist}/detailed", "per release and state: in, entered, left, and every stay; ?at="),
    ("GET", "/api/v1/views/{dist}/releases/{release}", "the detailed view of one release; ?at="),
    ("GET", "/api/v1/dists", "every dist with its releases and states"),
    ("GET", "/api/v1/events", "the log, newest first; dist, release, state, since, until, limit, before_id; after_id for a change feed"),
    ("GET", "/api/v1/events/{id}", "one event with its retraction"),
    ("GET", "/api/v1/activity", "everything recorded after a cursor (events, retractions, property changes, plans), oldest first; the log's filters, after, limit"),
    ("GET", "/api/v1/stream", "the same as Server-Sent Events, as it happens; the log's filters, after or Last-Event-ID to resume"),
    ("POST", "/api/v1/events", "record an event (JSON, API token)"),
    ("POST", "/event?dist=&release=&state=&reached=1", "the same for shell scripts"),
    ("POST", "/api/v1/events/{id}/retract", "retract an event with a reason (API token)"),
    ("GET", "/api/v1/dists/{dist}/releases/{release}/properties", "a release's properties (codename, version, ...); ?at="),
    ("PUT", "/api/v1/dists/{dist}/releases/{release}/properties", "replace a release's properties (JSON object of strings; API token)"),
    ("GET", "/api/v1/dists/{dist}/releases/{release}/properties/history", "every change of a release's properties: key, old, new, at, who"),
    ("GET", "/api/v1/dists/{dist}/properties", "the dist's own properties; ?at="),
    ("PUT", "/api/v1/dists/{dist}/properties", "replace the dist's own properties (API token)"),
    ("GET", "/api/v1/dists/{dist}/properties/history", "every change of the dist's own properties"),
    ("POST", "/api/v1/plans", "plan a transition: a new revision of its key (JSON with a future or past at; API token)"),
    ("POST", "/api/v1/plans/cancel", "cancel a transition's plan with a reason (API token)"),
    ("GET", "/api/v1/plans", "the current plan of every transition with status (met, cancelled, overdue, upcoming), actual, slip_days"),
    ("GET", "/api/v1/views/{dist}/schedule", "per release its plans with every revision"),
    ("GET", "/api/v1/audit", "the last report of the periodic audit against Bodhi: source, checked_at, error, findings"),
    ("POST", "/api/v1/webhooks", "subscribe a URL to signed webhooks (Standard Webhooks); the secret is answered once (editors)"),
    ("GET", "/api/v1/webhooks", "every webhook subscription, without secrets (editors)"),
    ("GET", "/api/v1/webhooks/{id}", "one subscription (editors)"),
    ("PATCH", "/api/v1/webhooks/{id}", "change, pause or resume a subscription (editors)"),
    ("DELETE", "/api/v1/webhooks/{id}", "delete a subscription and its delivery log (editors)"),
    ("POST", "/api/v1/webhooks/{id}/rotate", "a new secret; the previous one signs too for a grace period (editors)"),
    ("POST", "/api/v1/webhooks/{id}/ping", "queue a test delivery, webhook.ping (editors)"),
    ("GET", "/api/v1/webhooks/{id}/deliveries", "the delivery log: every attempt with status, latency, error (editors)"),
    ("POST", "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", "send one delivery again, same webhook-id (editors)"),
    ("POST", "/api/v1/webhooks/{id}/redeliver-failed", "send every failed delivery since a time again (editors)"),
    ("GET", "/api/v1/events/{id}/actions", "the release actions (webhook deliveries) an event triggered and how each went"),
    ("GET", "/api/v1/compat/fedora-aliases", "fedora-all, fedora-stable, ... as packit's fedora-distro-aliases has them; ?at="),
    ("GET", "/api/v1/compat/pkgdb-collections", "Fedora and EPEL releases in the shape of pkgdb's collections (GNOME Software); ?at="),
    ("GET", "/api/v1/compat/endoflife-date/{dist}", "the dist's release cycles in endoflife.date's API v1 shape (actual dates, plans for what is ahead); ?at="),
    ("GET", "/api/v1/compat/distro-info/{dist}.csv", "the dist in Debian's distro-info-data CSV format; ?at="),
    ("GET", "/api/v1/compat/appstream/{dist}.metainfo.xml", "the dist as an AppStream operating-system component, releases with date and date_eol (GNOME Software); ?at="),
    ("GET", "/feed.atom", "Atom feed of events and retractions for feed readers; dist, release, state, since, until, limit"),
    ("GET", "/dists/{dist}/feed.atom", "the Atom feed of one dist"),
    ("GET", "/calendar.ics", "iCalendar of every event for calendar applications (retracted ones cancelled); dist, release, state, since, until"),
    ("GET", "/api/v1/openapi.json", "this API described in OpenAPI 3.1"),
    ("GET", "/healthz", "the process is up"),
    ("GET", "/readyz", "the database answers; the message bus outbox"),
];

/// The API overview page.
#[component]
pub fn ApiDocsPage() -> impl IntoView {
    view! {
        <Title text="JSON API · releasetracker"/>
        <h1>"JSON API"</h1>
        <p>
            "Reads are public; writes need " <code>"Authorization: Bearer <token>"</code>
            " (tokens come from " <code>"releasetracker token create"</code> "). Every view answers with an "
            <code>"ETag"</code> " and honours " <code>"If-None-Match"</code> ". Errors have one shape: "
            <code>"{\"error\": {\"code\", \"message\", \"field\"}}"</code> "."
        </p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="API routes">
            <table>
                <thead><tr><th scope="col">"Method"</th><th scope="col">"Path"</th><th scope="col">"What"</th></tr></thead>
                <tbody>
                    {ROUTES.iter().map(|(method, path, what)| view! {
                        <tr><td>{*method}</td><td><code>{*path}</code></td><td>{*what}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p>
            "The machine-readable description, generated from the code: "
            <a href=crate::links::api_openapi()>"/api/v1/openapi.json"</a>
            " (OpenAPI 3.1, for client generators and API explorers)."
        </p>
        <h2>"Example"</h2>
        <pre class="text"><code>{"curl -s -X POST http://HOST/api/v1/events \\\n  -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n  -d '{\"dist\":\"fedora\",\"release\":\"44\",\"state\":\"branched\",\"reached\":true}'\ncurl -s http://HOST/api/v1/views/fedora/releases-by-state?at=2026-02-10"}</code></pre>
        <p>"The whole contract, with every field and error, is " <code>"docs/api.md"</code> " in the source."</p>
    }
}
