//! The state matrix pages (`/` and `/dists/{dist}`): one table per dist,
//! releases × states, as of now or `?at=`.

pub mod data;

use leptos::prelude::*;
use leptos_meta::{Link, Title};

use crate::links;
use crate::model::{Dist, LogFilter};
use crate::schedule::{PlanDigest, UpcomingPlans};
use crate::ui::format::{dist_title, release_label, when};
use crate::ui::islands::{AtPicker, LiveUpdates};
use crate::ui::{param, AsOf, AsOfBanner, ErrorPage, InputError, NotFound};
use data::{matrix, Matrix};

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
                .filter(|m| !m.rows.is_empty())
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
            {matrices.into_iter().map(|m| view! { <MatrixTable matrix=m/> }).collect_view()}
        </div>
        {dist_feed}
    }
    .into_any()
}

/// One dist's table.
#[component]
fn MatrixTable(matrix: Matrix) -> impl IntoView {
    let dist = matrix.dist.clone();
    let title = dist_title(&dist);
    let heading_id = format!("matrix-{dist}");
    let labelled_by = heading_id.clone();
    let states = matrix.states.clone();
    view! {
        <section class="matrix" aria-labelledby=labelled_by data-dist=dist.to_string()>
            <h2 id=heading_id>
                <a href=links::dist(&dist)>{title.clone()}</a>
            </h2>
            // Focusable: at phone width the table scrolls sideways, and
            // keyboard users must be able to scroll it too.
            <div class="table-scroll" tabindex="0" role="region" aria-label=format!("{title}: release states")>
                <table>
                    <caption class="visually-hidden">{format!("{title}: releases and the states they are in")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Release"</th>
                            {states.iter().map(|s| view! { <th scope="col">{s.to_string()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {matrix.rows.into_iter().map(|row| {
                            let href = links::release(&dist, &row.release);
                            let key = href.clone();
                            let label = release_label(&row.release);
                            let by = row.entered_by.into_iter().chain(std::iter::repeat(None));
                            let cells = row.cells.into_iter().zip(by).zip(states.clone()).map(|((cell, by), state)| {
                                match cell {
                                    Some(since) => view! {
                                        <td class="in" data-state=state.to_string() data-in="true" title=format!("in {state} since {}", when(&since))>
                                            <span aria-hidden="true">"●"</span>
                                            <span class="visually-hidden">{format!("in {state} since ")}</span>
                                            <time datetime=crate::model::time::format(&since)>{crate::ui::format::day(&since)}</time>
                                            {by.map(|id| view! { <crate::webhooks::ActionFlag event=id/> })}
                                        </td>
                                    }.into_any(),
                                    None => view! { <td data-state=state.to_string() data-in="false"></td> }.into_any(),
                                }
                            }).collect_view();
                            view! {
                                <tr data-release=row.release.to_string() data-live-key=key>
                                    <th scope="row"><a href=href>{label}</a></th>
                                    {cells}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
