//! The release page (`/dists/{dist}/releases/{release}`): the states a
//! release is in, its schedule (plans beside what happened), its
//! properties and its dist's, every stay per state with the events that
//! made it, and its events.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::account::FlashNotice;
use crate::events::EventTable;
use crate::links;
use crate::model::event::EventRecord;
use crate::model::views::ReleaseDetail;
use crate::model::{Dist, LogFilter, LogQuery, PropertySet, Release};
use crate::schedule::{release_schedule, PlanForms, ScheduleTable};
use crate::ui::format::{dist_title, release_title, when};
use crate::ui::islands::{AtPicker, LiveUpdates};
use crate::ui::{param, AsOf, AsOfBanner, ErrorPage, InputError, NotFound};

pub mod lifecycle;

use lifecycle::Lifecycle;

/// Most events listed on a release page.
const EVENT_LIMIT: usize = 500;

/// `/dists/{dist}/releases/{release}`.
#[component]
pub fn ReleasePage() -> impl IntoView {
    let (Some(raw_dist), Some(raw_release)) = (param("dist"), param("release")) else {
        return view! { <NotFound/> }.into_any();
    };
    let (Ok(dist), Ok(release)) = (Dist::parse(&raw_dist), Release::parse(&raw_release)) else {
        return view! { <NotFound/> }.into_any();
    };
    let as_of = AsOf::from_query();
    let log = match crate::server_data::log() {
        Ok(log) => log,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    let (found, schedule, cursor, order, neighbours) = {
        let log = log.read();
        // The dist's states in the order its releases go through them.
        let order = log
            .detailed(&dist, as_of.at)
            .map(|detailed| crate::matrix::data::state_order(&log, &dist, &detailed, as_of.at))
            .unwrap_or_default();
        // Rawhide ("0") is nobody's neighbour: it is always the newest.
        let releases: Vec<Release> = log
            .dists()
            .into_iter()
            .find(|d| d.dist == dist)
            .map(|d| d.releases.into_iter().filter(|r| r.as_str() != "0").collect())
            .unwrap_or_default();
        let neighbours = releases
            .iter()
            .position(|r| r == &release)
            .map(|i| (i.checked_sub(1).and_then(|p| releases.get(p).cloned()), releases.get(i + 1).cloned()))
            .unwrap_or_default();
        let schedule = release_schedule(&log, &dist, &release, as_of.at, crate::server_data::plan_grace());
        let properties = log.properties().set_at(&dist, Some(&release), as_of.at);
        let dist_properties = log.properties().set_at(&dist, None, as_of.at);
        let detail = log.release_detail(&dist, &release, as_of.at);
        // A release with plans but no events yet still has a page.
        let detail = detail.or_else(|| (!schedule.is_empty()).then(ReleaseDetail::default));
        let found: Option<(ReleaseDetail, Vec<EventRecord>, PropertySet, PropertySet)> = detail.map(|detail| {
            let query = LogQuery {
                dist: Some(dist.clone()),
                release: Some(release.clone()),
                until: Some(as_of.at),
                limit: EVENT_LIMIT,
                ..Default::default()
            };
            (detail, log.query_happened(&query).events, properties, dist_properties)
        });
        (found, schedule, log.end_cursor(), order, neighbours)
    };
    let Some((detail, events, properties, dist_properties)) = found else {
        return view! { <NotFound what=format!("No events were recorded for {}.", release_title(&dist, &release))/> }
            .into_any();
    };
    let title = release_title(&dist, &release);
    let path = links::release(&dist, &release);
    let life = Lifecycle::of(&detail, &schedule).line(as_of.at);
    let at_given = as_of.given.clone();
    let neighbour = {
        let dist = dist.clone();
        move |r: Option<Release>, rel: &'static str, text: fn(String) -> String| {
            r.map(|r| {
                let href = links::with_at(links::release(&dist, &r), at_given.as_deref());
                view! { <a href=href rel=rel>{text(release_title(&dist, &r))}</a> }
            })
        }
    };
    let (previous, next) = neighbours;
    let previous = neighbour(previous, "prev", |t| format!("← {t}"));
    let next = neighbour(next, "next", |t| format!("{t} →"));
    let mut detail: Vec<_> = detail.into_iter().collect();
    detail.sort_by_key(|(state, _)| order.iter().position(|s| s == state).unwrap_or(usize::MAX));
    // The events listed end at the page's moment: none that counts, then
    // the release had not started.
    let not_started = events.iter().all(|e| e.retraction.is_some());
    // Only the page about now follows the log.
    let live = as_of.label().is_none().then(|| {
        let filter = LogFilter { dist: Some(dist.clone()), release: Some(release.clone()), ..Default::default() };
        view! { <LiveUpdates stream=links::api_stream(&filter, &cursor)/> }
    });
    let current: Vec<String> = detail
        .iter()
        .filter(|(_, d)| d.is_in)
        .map(|(s, d)| format!("{s} (since {})", d.entered.as_ref().map(when).unwrap_or_default()))
        .collect();
    view! {
        <Title text=format!("{title} · releasetracker")/>
        <p class="breadcrumb"><a href=links::with_at(links::dist(&dist), as_of.given.as_deref())>{dist_title(&dist)}</a></p>
        <h1>{title.clone()}</h1>
        {life.map(|line| view! { <p class="lifecycle">{line}</p> })}
        <nav class="neighbours" aria-label="Other releases">
            {previous}
            {next}
        </nav>
        <FlashNotice/>
        {as_of.error.clone().map(|message| view! { <InputError message/> })}
        <AsOfBanner as_of=as_of.label() now_href=path.clone()/>
        <AtPicker action=path at=as_of.input_value()/>
        {live}
        <p class="current" data-live="release-now">
            {if current.is_empty() {
                match as_of.label() {
                    // Before its first event, a release had not started.
                    Some(day) if not_started => format!("Not started yet on {day}."),
                    _ => "In no state.".to_owned(),
                }
            } else {
                format!("In {}.", current.join(", "))
            }}
        </p>
        {crate::account::viewer().editor().is_some().then(|| {
            let href = links::new_event(links::Prefill { dist: Some(&dist), release: Some(&release), ..Default::default() });
            view! { <p><a href=href>"Record an event for this release"</a></p> }
        })}
        <ScheduleTable entries=schedule forms=crate::account::viewer().editor().map(|e| PlanForms {
            dist: dist.clone(),
            release: release.clone(),
            csrf: e.csrf.clone(),
        })/>
        {(!properties.is_empty() || !dist_properties.is_empty()).then(|| view! {
            <h2>"Properties"</h2>
            <PropertyTable caption=format!("Set for {title}") properties/>
            <PropertyTable caption=format!("Set for every {} release", dist_title(&dist)) properties=dist_properties/>
        })}
        <div data-live="release-history">
            <h2>"History by state"</h2>
            {detail.into_iter().map(|(state, d)| view! {
                <section class="state-history" data-state=state.to_string() data-live-key=state.to_string()>
                    <h3>{state.to_string()} {d.is_in.then(|| view! { <span class="badge">"now"</span> })}</h3>
                    <table>
                        <thead><tr><th scope="col">"Entered"</th><th scope="col">"Left"</th></tr></thead>
                        <tbody>
                            {d.history.into_iter().map(|i| view! {
                                <tr>
                                    <td><a href=links::event(i.entered_by)>{when(&i.entered)}</a>
                                        <crate::webhooks::ActionFlag event=i.entered_by/></td>
                                    <td>{match (i.left, i.left_by) {
                                        (Some(left), Some(by)) => view! { <a href=links::event(by)>{when(&left)}</a> <crate::webhooks::ActionFlag event=by/> }.into_any(),
                                        _ => view! { <span>"—"</span> }.into_any(),
                                    }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
            }).collect_view()}
            <h2>"Events"</h2>
            <EventTable events show_release=false/>
        </div>
    }
    .into_any()
}

/// A table of properties (key, value), or nothing when there are none.
#[component]
fn PropertyTable(caption: String, properties: PropertySet) -> impl IntoView {
    (!properties.is_empty()).then(|| {
        view! {
            <table class="properties">
                <caption>{caption}</caption>
                <tbody>
                    {properties.into_iter().map(|(key, value)| {
                        let label = key.clone();
                        view! { <tr data-key=key><th scope="row">{label}</th><td>{value}</td></tr> }
                    }).collect_view()}
                </tbody>
            </table>
        }
    })
}
