//! The state matrix pages (`/` and `/dists/{dist}`): one table per dist,
//! releases × states, as of now or `?at=`.

pub mod data;

use leptos::prelude::*;
use leptos_meta::{Link, Title};

use crate::links;
use crate::model::{Dist, LogFilter, State};
use crate::schedule::{PlanDigest, UpcomingPlans};
use crate::ui::format::{dist_title, release_label, when};
use crate::ui::islands::{AtPicker, LiveUpdates};
use crate::ui::{param, AsOf, AsOfBanner, ErrorPage, InputError, NotFound};
use data::{matrix, state_label, Matrix, MatrixRow, StateClass, Summary};

/// `/` (every dist) and `/dists/{dist}` (one).
#[component]
pub fn MatrixPage() -> impl IntoView {
    let dist_param = param("dist");
    let as_of = AsOf::from_query();
    let log = match crate::server_data::log() {
        Ok(log) => log,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    let (matrices, digest, cursor, first): (Vec<Matrix>, PlanDigest, _, _) = {
        let log = log.read();
        // The future only beside the present: an "as of" page stays in its past.
        let digest = match (&as_of.label(), &dist_param) {
            (None, Some(raw)) => Dist::parse(raw)
                .map(|d| PlanDigest::read(&log, Some(&d), as_of.at, crate::server_data::plan_grace()))
                .unwrap_or_default(),
            (None, None) => PlanDigest::read(&log, None, as_of.at, crate::server_data::plan_grace()),
            (Some(_), _) => PlanDigest::default(),
        };
        let matrices: Vec<Matrix> = match &dist_param {
            Some(raw) => Dist::parse(raw).ok().and_then(|d| matrix(&log, &d, as_of.at)).into_iter().collect(),
            // Dists whose every event was retracted have nothing to show.
            None => log
                .dists()
                .iter()
                .filter_map(|d| matrix(&log, &d.dist, as_of.at))
                .filter(|m| !(m.rows.is_empty() && m.ended.is_empty()))
                .collect(),
        };
        // An empty page of the past: say when the record starts (a scan,
        // but only on this rare page).
        let first = (matrices.is_empty() && as_of.given.is_some())
            .then(|| log.events().iter().filter(|e| log.retraction_of(e.id).is_none()).map(|e| e.at).min())
            .flatten();
        (matrices, digest, log.end_cursor(), first)
    };
    if let (Some(raw), true) = (&dist_param, matrices.is_empty()) {
        return view! { <NotFound what=format!("No events were recorded for the dist “{raw}”.")/> }.into_any();
    }
    // The dist as found (a dist page with no matrix was answered above).
    let path = match (&dist_param, matrices.first()) {
        (Some(_), Some(m)) => links::dist(&m.dist),
        _ => links::home(),
    };
    let heading = match matrices.first() {
        Some(m) if dist_param.is_some() => format!("{} release states", dist_title(&m.dist)),
        _ => "Release states".to_owned(),
    };
    let empty = matrices.is_empty();
    // Only a page about now follows the log.
    let live = as_of.label().is_none().then(|| {
        let dist = matrices.first().filter(|_| dist_param.is_some()).map(|m| m.dist.clone());
        let filter = LogFilter { dist, ..Default::default() };
        view! { <LiveUpdates stream=links::api_stream(&filter, &cursor)/> }
    });
    // A dist's page also offers the feed of that dist alone.
    let dist_feed = dist_param.as_ref().and(matrices.first()).map(|m| {
        let href = links::dist_feed(&m.dist, &LogFilter::default(), None);
        let title = format!("releasetracker: {}", dist_title(&m.dist));
        view! {
            <Link rel="alternate" type_="application/atom+xml" title=title.clone() href=href.clone()/>
            <p class="feeds"><a href=href type="application/atom+xml">{format!("Atom feed of {}", dist_title(&m.dist))}</a></p>
        }
    });
    view! {
        <Title text=format!("{heading} · releasetracker")/>
        <h1>{heading}</h1>
        {as_of.error.clone().map(|message| view! { <InputError message/> })}
        <AsOfBanner as_of=as_of.label() now_href=path.clone()/>
        <AtPicker action=path at=as_of.input_value()/>
        {live}
        <div data-live="matrix">
            {match (empty, first) {
                (false, _) => None,
                (true, Some(first)) => Some(view! {
                    <p class="empty">{format!("Nothing was recorded before {}.", crate::ui::format::day(&first))}</p>
                }.into_any()),
                (true, None) => Some(view! {
                    <p class="empty">"No events yet. Scripts post them to " <code>"POST /api/v1/events"</code> "."</p>
                }.into_any()),
            }}
            <UpcomingPlans digest editor=crate::account::viewer().editor().is_some()/>
            {matrices.into_iter().map(|m| view! { <MatrixTable matrix=m at=as_of.given.clone()/> }).collect_view()}
        </div>
        {dist_feed}
    }
    .into_any()
}

/// One dist's table: a summary line, the releases not at their end, a
/// legend, and the ended ones folded behind a "Show N" disclosure (a plain
/// `details`: no JavaScript needed).
#[component]
fn MatrixTable(matrix: Matrix, at: Option<String>) -> impl IntoView {
    let dist = matrix.dist.clone();
    let title = dist_title(&dist);
    let heading_id = format!("matrix-{dist}");
    let labelled_by = heading_id.clone();
    let states = matrix.states.clone();
    let mut classes: Vec<StateClass> = states.iter().map(StateClass::of).collect();
    classes.dedup();
    let mut legend: Vec<StateClass> = Vec::new();
    for c in classes {
        if !legend.contains(&c) {
            legend.push(c);
        }
    }
    let ended = matrix.ended;
    let ended_count = ended.len();
    let ended_table = (ended_count > 0).then(|| {
        let summary = if ended_count == 1 {
            "Show 1 release at its end of life or in no state".to_owned()
        } else {
            format!("Show {ended_count} releases at their end of life or in no state")
        };
        view! {
            <details class="ended">
                <summary>{summary}</summary>
                <StateTable dist=dist.clone() states=states.clone() rows=ended label=format!("{title}: ended releases") at=at.clone()/>
            </details>
        }
    });
    view! {
        <section class="matrix" aria-labelledby=labelled_by data-dist=dist.to_string()>
            <h2 id=heading_id>
                <a href=links::with_at(links::dist(&dist), at.as_deref())>{title.clone()}</a>
            </h2>
            <SummaryLine dist=dist.clone() summary=matrix.summary at=at.clone()/>
            <StateTable dist=dist.clone() states=states.clone() rows=matrix.rows label=format!("{title}: release states") at=at.clone()/>
            <p class="legend">
                {legend.into_iter().map(|c| view! {
                    <span class=format!("legend-item {}", c.css())><span aria-hidden="true">{c.icon()}</span> {c.label()}</span>
                }).collect_view()}
                <span class="legend-item">"Dates: when the release entered the state."</span>
            </p>
            {ended_table}
        </section>
    }
}

/// "Now: stable 43, 42 · branched 44 · rawhide 0. Last change: …"
#[component]
fn SummaryLine(dist: Dist, summary: Summary, at: Option<String>) -> impl IntoView {
    let now = summary
        .now
        .iter()
        .map(|(state, releases)| {
            format!("{} {}", state_label(state), releases.iter().map(release_label).collect::<Vec<_>>().join(", "))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let last = summary.last_change.map(|(t, release, state, entered)| {
        let verb = if entered { "entered" } else { "left" };
        view! {
            " Last change: " <a href=links::with_at(links::release(&dist, &release), at.as_deref())>{release_label(&release)}</a>
            {format!(" {verb} {} on {}.", state_label(&state), crate::ui::format::day(&t))}
        }
    });
    view! {
        <p class="summary" data-summary=dist.to_string()>
            {(!now.is_empty()).then(|| view! { <strong>"Now: "</strong> {format!("{now}.")} })}
            {last}
        </p>
    }
}

/// A table of releases × states.
#[component]
fn StateTable(
    dist: Dist,
    states: Vec<State>,
    rows: Vec<MatrixRow>,
    label: String,
    at: Option<String>,
) -> impl IntoView {
    let caption = label.clone();
    view! {
        // Focusable: at phone width the table scrolls sideways, and
        // keyboard users must be able to scroll it too.
        <div class="table-scroll" tabindex="0" role="region" aria-label=label.clone()>
            <table>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Release"</th>
                        {states.iter().map(|s| view! { <th scope="col" class=StateClass::of(s).css()>{state_label(s)}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let key = links::release(&dist, &row.release);
                        let href = links::with_at(key.clone(), at.as_deref());
                        let label = release_label(&row.release);
                        let by = row.entered_by.into_iter().chain(std::iter::repeat(None));
                        let cells = row.cells.into_iter().zip(by).zip(states.clone()).map(|((cell, by), state)| {
                            match cell {
                                Some(since) => {
                                    let class = StateClass::of(&state);
                                    view! {
                                        <td class=format!("in {}", class.css()) data-state=state.to_string() data-in="true" title=format!("in {state} since {}", when(&since))>
                                            <span aria-hidden="true">{class.icon()}</span>
                                            <span class="visually-hidden">{format!("in {} since ", state_label(&state))}</span>
                                            <time datetime=crate::model::time::format(&since)>{crate::ui::format::day(&since)}</time>
                                            {by.map(|id| view! { <crate::webhooks::ActionFlag event=id/> })}
                                        </td>
                                    }.into_any()
                                }
                                None => view! { <td data-state=state.to_string() data-in="false"></td> }.into_any(),
                            }
                        }).collect_view();
                        view! {
                            <tr data-release=row.release.to_string() data-live-key=key>
                                <th scope="row"><a href=href>{label}</a>
                                    {row.lts.then(|| view! { " " <span class="badge">"LTS"</span> })}
                                    {row.codename.map(|c| view! { " " <span class="codename">{c}</span> })}</th>
                                {cells}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
