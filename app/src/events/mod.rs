//! The event log (`/events`, with filters and pages) and the page of one
//! event (`/events/{id}`), with its retraction.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::links;
use crate::model::describe;
use crate::model::event::EventRecord;
use crate::model::time::format as rfc3339;
use crate::model::{LogFilter, LogQuery};
use crate::ui::format::{dist_title, release_label, release_title, verb, when};
use crate::ui::{param, query_pairs, set_status, ErrorPage, InputError, NotFound};

pub mod rows;
pub mod vocabulary;

use vocabulary::{Spelled, Unknown};

/// Events per page of the log.
const PAGE: usize = 50;

/// A table of events in the order given, a release's move between states
/// at one instant in one row; retracted ones struck through. Provenance
/// (who recorded it, from where) is on each event's page.
#[component]
pub fn EventTable(
    events: Vec<EventRecord>,
    /// Whether to show the release column (not on a release's own page).
    #[prop(default = true)]
    show_release: bool,
) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="empty">"No events."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Events">
            <table class="events">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        {show_release.then(|| view! { <th scope="col">"Release"</th> })}
                        <th scope="col">"Change"</th>
                        <th scope="col">"Event"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows::rows(events).into_iter().filter_map(|row| {
                        let first = row.first()?.clone();
                        let retracted = row.retracted();
                        let ids: Vec<String> = row.events.iter().map(|e| e.id.to_string()).collect();
                        Some(view! {
                            <tr class:retracted=retracted data-id=first.id data-live-key=first.id data-ids=ids.join(" ")>
                                <td class="when"><time datetime=rfc3339(&first.at)>{when(&first.at)}</time></td>
                                {show_release.then(|| view! {
                                    <td class="release"><a href=links::release(&first.dist, &first.release)>{release_title(&first.dist, &first.release)}</a></td>
                                })}
                                <td class="change">
                                    {row.change()}
                                    {row.unchanged().then(|| view! { <span class="badge">"no change"</span> })}
                                    {retracted.then(|| view! { <span class="badge">"retracted"</span> })}
                                </td>
                                <td class="ids">{row.events.iter().rev().map(|e| view! {
                                    <a href=links::event(e.id) title=format!("{} {}", verb(e.reached), e.state)>{format!("#{}", e.id)}</a>
                                }).collect_view()}</td>
                            </tr>
                        })
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// What the query string of `/events` asks for.
struct Asked {
    /// The filters, respelled as the log spells them.
    spelled: Spelled,
    /// `order=recorded`: recording order instead of when things happened.
    recorded: bool,
    /// The last event of the page before.
    before_id: Option<i64>,
}

/// Reads `/events`'s query string; a bad `order` or `before_id` is an
/// error in words.
fn asked(dists: &[crate::model::log::DistSummary]) -> Result<Asked, String> {
    let pairs = query_pairs();
    let last = |key: &str| pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let recorded = match last("order") {
        None | Some("happened") => false,
        Some("recorded") => true,
        Some(_) => return Err("order: must be `happened` or `recorded`".to_owned()),
    };
    let before_id = last("before_id")
        .map(|v| v.parse::<i64>().map_err(|_| "before_id: must be a number".to_owned()))
        .transpose()?;
    let spelled = vocabulary::respell(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), dists);
    Ok(Asked { spelled, recorded, before_id })
}

/// Answers with a redirect to `href` when the current query string says
/// something else: empty fields of the form, another spelling, unknown
/// keys. Returns whether it did.
fn canonicalize(href: &str) -> bool {
    let mut now = query_pairs();
    let target = href.split_once('?').map_or("", |(_, q)| q);
    let mut want: Vec<(String, String)> = url::form_urlencoded::parse(target.as_bytes()).into_owned().collect();
    now.sort();
    want.sort();
    if now == want {
        return false;
    }
    // A plain 302 whatever the client accepts (leptos_axum's `redirect`
    // answers non-browsers with a header for its own client instead).
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(location)) =
        (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(href))
    {
        options.insert_header(http::header::LOCATION, location);
        options.set_status(http::StatusCode::FOUND);
    }
    true
}

/// The filters for a title: "Fedora 40, stable, from 2021-01-01".
fn describe_filter(filter: &LogFilter) -> String {
    let mut parts = Vec::new();
    match (&filter.dist, &filter.release) {
        (Some(d), Some(r)) => parts.push(release_title(d, r)),
        (Some(d), None) => parts.push(dist_title(d)),
        (None, Some(r)) => parts.push(format!("release {}", release_label(r))),
        (None, None) => {}
    }
    parts.extend(filter.state.as_ref().map(crate::matrix::data::state_label));
    parts.extend(filter.since.as_ref().map(|b| format!("from {}", b.given)));
    parts.extend(filter.until.as_ref().map(|b| format!("to {}", b.given)));
    parts.join(", ")
}

/// A value the log does not know, and the ones it does.
#[component]
fn UnknownValue(unknown: Unknown) -> impl IntoView {
    let what = match unknown.key {
        "dist" => "dist",
        "release" => "release",
        _ => "state",
    };
    let known = if unknown.known.is_empty() { "none yet".to_owned() } else { unknown.known.join(", ") };
    view! {
        <p class="notice unknown" data-key=unknown.key>
            {format!("No {what} is called “{}”. Known: {known}.", unknown.given)}
        </p>
    }
}

/// `/events`: the log, newest first by when things happened (or by when
/// they were recorded), with filters and pages.
#[component]
pub fn EventLogPage() -> impl IntoView {
    let log = match crate::server_data::log() {
        Ok(log) => log,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    let dists = log.read().dists();
    let read = asked(&dists).and_then(|a| {
        let pairs = a.spelled.pairs.iter().map(|(k, v)| (*k, v.as_str()));
        let filter = LogFilter::from_pairs(pairs).map_err(|e| e.to_string())?;
        Ok((a, filter))
    });
    let (asked, filter, error) = match read {
        Ok((a, f)) => (Some(a), f, None),
        Err(e) => {
            set_status(400);
            (None, LogFilter::default(), Some(format!("Could not read the filters: {e}")))
        }
    };
    let (recorded, before_id) = asked.as_ref().map_or((false, None), |a| (a.recorded, a.before_id));
    if error.is_none() && canonicalize(&links::events_in_order(&filter, recorded, before_id)) {
        return view! { <p>"Moved to the link with the filters as the log spells them."</p> }.into_any();
    }
    let unknown = asked.map(|a| a.spelled.unknown).unwrap_or_default();
    let (page, cursor) = {
        let log = log.read();
        let query = LogQuery { before_id, ..filter.log_query(PAGE) };
        let page = if recorded { log.query(&query) } else { log.query_happened(&query) };
        (page, log.end_cursor())
    };
    let older = page.next_before_id.map(|id| links::events_in_order(&filter, recorded, Some(id)));
    let newest = before_id.map(|_| links::events_in_order(&filter, recorded, None));
    let other_order = links::events_in_order(&filter, !recorded, None);
    let described = describe_filter(&filter);
    let title = if described.is_empty() {
        "Event log · releasetracker".to_owned()
    } else {
        format!("Event log: {described} · releasetracker")
    };
    // The datalists offer the names within the chosen dist, else all.
    let scope: Vec<_> = dists.iter().filter(|d| filter.dist.as_ref().is_none_or(|c| &d.dist == c)).collect();
    let mut releases: Vec<String> = Vec::new();
    for r in scope.iter().flat_map(|d| d.releases.iter().rev()) {
        let r = r.to_string();
        if !releases.contains(&r) {
            releases.push(r);
        }
    }
    let mut states: Vec<String> = scope.iter().flat_map(|d| d.states.iter().map(ToString::to_string)).collect();
    states.sort();
    states.dedup();
    let chosen = filter.dist.as_ref().map(ToString::to_string);
    let text = |v: Option<String>| v.unwrap_or_default();
    // The newest page follows the log; older pages stay still.
    let live = (before_id.is_none() && error.is_none())
        .then(|| view! { <crate::ui::islands::LiveUpdates stream=links::api_stream(&filter, &cursor)/> });
    view! {
        <Title text=title/>
        <h1>"Event log"</h1>
        {(!described.is_empty()).then(|| view! { <p class="filtered">{format!("Showing {described}.")}</p> })}
        {error.map(|message| view! { <InputError message/> })}
        <form class="filters" method="get" action=links::events()>
            <label>"Dist "
                <select name="dist">
                    <option value="">"all"</option>
                    {dists.iter().map(|d| {
                        let name = d.dist.to_string();
                        let selected = chosen.as_deref() == Some(name.as_str());
                        view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Release "
                <input type="text" name="release" list="known-releases" value=text(filter.release.as_ref().map(ToString::to_string)) size="8"/>
            </label>
            <datalist id="known-releases">
                {releases.into_iter().map(|r| view! { <option value=r/> }).collect_view()}
            </datalist>
            <label>"State "
                <input type="text" name="state" list="known-states" value=text(filter.state.as_ref().map(ToString::to_string)) size="12"/>
            </label>
            <datalist id="known-states">
                {states.into_iter().map(|s| view! { <option value=s/> }).collect_view()}
            </datalist>
            <label>"From " <input type="date" name="since" value=text(filter.since.as_ref().map(|b| b.given.clone()))/></label>
            <label>"To " <input type="date" name="until" value=text(filter.until.as_ref().map(|b| b.given.clone()))/></label>
            {recorded.then(|| view! { <input type="hidden" name="order" value="recorded"/> })}
            <button type="submit">"Filter"</button>
        </form>
        <p class="order">
            {if recorded {
                view! { "Newest recorded first · " <a href=other_order>"Sort by when it happened"</a> }.into_any()
            } else {
                view! { "Newest first by when it happened · " <a href=other_order>"Sort by when it was recorded"</a> }.into_any()
            }}
        </p>
        {unknown.into_iter().map(|unknown| view! { <UnknownValue unknown/> }).collect_view()}
        {live}
        <div data-live="log">
            <EventTable events=page.events/>
        </div>
        <nav class="pager" aria-label="Pages">
            {newest.map(|href| view! { <a href=href>"Newest"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older events"</a> })}
        </nav>
    }
    .into_any()
}

/// `/events/{id}`: who recorded an event, when, why, and its retraction.
#[component]
pub fn EventPage() -> impl IntoView {
    let id = param("id").and_then(|v| v.parse::<i64>().ok());
    let log = match crate::server_data::log() {
        Ok(log) => log,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    let Some(e) = id.and_then(|id| log.read().event_record(id)) else {
        return view! { <NotFound what="There is no event with this number.".to_owned()/> }.into_any();
    };
    let title = describe::headline(&e);
    view! {
        <Title text=format!("Event #{} · releasetracker", e.id)/>
        <h1>{title}</h1>
        <crate::account::FlashNotice/>
        {e.corrected_by.map(|id| view! {
            <p class="notice">"Corrected by " <a href=links::event(id)>{format!("event #{id}")}</a> "."</p>
        })}
        {e.corrects.map(|id| view! {
            <p class="notice">"This event corrects " <a href=links::event(id)>{format!("event #{id}")}</a> "."</p>
        })}
        {e.retraction.as_ref().map(|r| view! {
            <section class="retraction" role="note">
                <h2>"Retracted"</h2>
                <p>{format!("Retracted by {} ({}) on {}:", r.recorded_by, r.source, when(&r.recorded_at))}</p>
                <blockquote class="text">{r.reason.clone()}</blockquote>
                <p>"This event no longer counts in any view."</p>
            </section>
        })}
        <dl class="event">
            <dt>"Event"</dt><dd>{format!("#{}", e.id)} " · " <a href=links::api_event(e.id)>"JSON"</a></dd>
            <dt>"Release"</dt><dd><a href=links::release(&e.dist, &e.release)>{release_title(&e.dist, &e.release)}</a></dd>
            <dt>"Change"</dt><dd>{describe::change(&e)}
                {(!e.changed).then(|| view! { <span class="badge">"no change"</span> })}</dd>
            <dt>"When"</dt><dd><time datetime=rfc3339(&e.at)>{when(&e.at)}</time></dd>
            <dt>"Recorded"</dt><dd>{format!("{} by {} ({})", when(&e.recorded_at), e.recorded_by, e.source)}</dd>
            {e.note.clone().map(|note| view! { <dt>"Note"</dt><dd class="text">{note}</dd> })}
            {e.link.clone().map(|link| view! { <dt>"Link"</dt><dd><a href=link.clone() rel="nofollow noopener noreferrer">{link.clone()}</a></dd> })}
        </dl>
        <crate::webhooks::EventActions event=e.id/>
        <crate::edit::EventEditing event=e.clone()/>
    }
    .into_any()
}
