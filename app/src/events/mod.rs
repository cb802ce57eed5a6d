//! The event log (`/events`, with filters and pages) and the page of one
//! event (`/events/{id}`), with its retraction.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::links;
use crate::model::describe;
use crate::model::event::EventRecord;
use crate::model::time::format as rfc3339;
use crate::model::{LogFilter, LogQuery};
use crate::ui::format::{release_title, verb, when};
use crate::ui::{param, query, query_pairs, set_status, ErrorPage, InputError, NotFound};

/// Events per page of the log.
const PAGE: usize = 50;

/// A table of events, newest first as given; retracted ones struck through.
#[component]
pub fn EventTable(events: Vec<EventRecord>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="empty">"No events."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Events">
            <table class="events">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Release"</th>
                        <th scope="col">"Change"</th>
                        <th scope="col">"Recorded by"</th>
                        <th scope="col">"Event"</th>
                    </tr>
                </thead>
                <tbody>
                    {events.into_iter().map(|e| {
                        let retracted = e.retraction.is_some();
                        view! {
                            <tr class:retracted=retracted data-id=e.id data-live-key=e.id>
                                <td><time datetime=rfc3339(&e.at)>{when(&e.at)}</time></td>
                                <td><a href=links::release(&e.dist, &e.release)>{release_title(&e.dist, &e.release)}</a></td>
                                <td>
                                    {format!("{} {}", verb(e.reached), e.state)}
                                    {(!e.changed).then(|| view! { <span class="badge">"no change"</span> })}
                                    {retracted.then(|| view! { <span class="badge">"retracted"</span> })}
                                </td>
                                <td>{format!("{} ({})", e.recorded_by, e.source)}</td>
                                <td><a href=links::event(e.id)>{format!("#{}", e.id)}</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Reads the filters and the page of `/events` from the query string:
/// the log's filters as every reader of the log reads them, and
/// `before_id`.
fn filters() -> Result<(LogFilter, Option<i64>), String> {
    let pairs = query_pairs();
    let filter =
        LogFilter::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|e| e.to_string())?;
    let before_id = query("before_id")
        .map(|v| v.parse::<i64>().map_err(|_| "before_id: must be a number".to_owned()))
        .transpose()?;
    Ok((filter, before_id))
}

/// `/events`: the log, newest first, with filters and pages.
#[component]
pub fn EventLogPage() -> impl IntoView {
    let log = match crate::server_data::log() {
        Ok(log) => log,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    let ((filter, before_id), error) = match filters() {
        Ok(f) => (f, None),
        Err(e) => {
            set_status(400);
            ((LogFilter::default(), None), Some(format!("Could not read the filters: {e}")))
        }
    };
    let (page, dists, cursor) = {
        let log = log.read();
        (log.query(&LogQuery { before_id, ..filter.log_query(PAGE) }), log.dists(), log.end_cursor())
    };
    let older = page.next_before_id.map(|id| links::events_filtered(&filter, Some(id)));
    let chosen = query("dist");
    // The newest page follows the log; older pages stay still.
    let live = (before_id.is_none() && error.is_none())
        .then(|| view! { <crate::ui::islands::LiveUpdates stream=links::api_stream(&filter, &cursor)/> });
    view! {
        <Title text="Event log · releasetracker"/>
        <h1>"Event log"</h1>
        {error.map(|message| view! { <InputError message/> })}
        <form class="filters" method="get" action=links::events()>
            <label>"Dist "
                <select name="dist">
                    <option value="">"all"</option>
                    {dists.into_iter().map(|d| {
                        let name = d.dist.to_string();
                        let selected = chosen.as_deref() == Some(name.as_str());
                        view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Release " <input type="text" name="release" value=query("release") size="8"/></label>
            <label>"State " <input type="text" name="state" value=query("state") size="12"/></label>
            <label>"From " <input type="date" name="since" value=query("since")/></label>
            <label>"To " <input type="date" name="until" value=query("until")/></label>
            <button type="submit">"Filter"</button>
        </form>
        {live}
        <div data-live="log">
            <EventTable events=page.events/>
        </div>
        <nav class="pager" aria-label="Pages">
            {before_id.map(|_| view! { <a href=links::events()>"Newest"</a> })}
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
