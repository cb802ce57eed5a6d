//! The schedule on the pages: a release's planned transitions beside what
//! happened (first planned, current plan, actual, slip, and each plan's
//! revisions), and the next planned transitions (with, for editors, the
//! overdue ones) at the top of the state matrix. Plans are drawn apart
//! from facts: they are expectations, never shown as states.

use leptos::prelude::*;

use crate::links;
use crate::model::plans::{self, PlanQuery, PlanStatus, PlanView, ScheduleEntry};
use crate::model::{Dist, EventLog, Release, Timestamp};
use crate::ui::format::{release_title, when};

/// How many upcoming transitions the matrix page lists.
const UPCOMING: usize = 8;

/// "enters branched" / "leaves beta-freeze".
fn transition(view: &PlanView) -> String {
    format!("{} {}", if view.plan.reached { "enters" } else { "leaves" }, view.plan.state)
}

/// "+7.0 days" / "−2.5 days" / "on time".
fn slip(days: f64) -> String {
    if days == 0.0 {
        "on time".to_owned()
    } else if days > 0.0 {
        format!("{days:.1} days late")
    } else {
        format!("{:.1} days early", -days)
    }
}

fn status_word(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Met => "met",
        PlanStatus::Cancelled => "cancelled",
        PlanStatus::Overdue => "overdue",
        PlanStatus::Upcoming => "planned",
    }
}

/// The schedule of one release, from `log` at `now`; empty when it has no
/// plans.
pub fn release_schedule(
    log: &EventLog,
    dist: &Dist,
    release: &Release,
    now: Timestamp,
    grace: chrono::Duration,
) -> Vec<ScheduleEntry> {
    plans::schedule(log, dist, now, grace)
        .into_iter()
        .find(|r| &r.release == release)
        .map(|r| r.plans)
        .unwrap_or_default()
}

/// A release's schedule table, with each plan's revisions folded below.
#[component]
pub fn ScheduleTable(entries: Vec<ScheduleEntry>) -> impl IntoView {
    (!entries.is_empty()).then(|| {
        view! {
            <h2>"Schedule"</h2>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Schedule">
                <table class="schedule">
                    <thead><tr>
                        <th scope="col">"Transition"</th>
                        <th scope="col">"First planned"</th>
                        <th scope="col">"Current plan"</th>
                        <th scope="col">"Actual"</th>
                        <th scope="col">"Slip"</th>
                        <th scope="col">"Status"</th>
                    </tr></thead>
                    <tbody>
                        {entries.into_iter().map(|entry| {
                            let v = entry.view;
                            let status = status_word(v.status);
                            view! {
                                <tr class=format!("plan {status}") data-state=v.plan.state.to_string() data-status=status>
                                    <th scope="row">{transition(&v)}</th>
                                    <td>{when(&v.first_at)}</td>
                                    <td>{when(&v.plan.at)}
                                        {(entry.history.len() > 1).then(|| view! {
                                            <details>
                                                <summary>{format!("{} revisions", entry.history.len())}</summary>
                                                <ol>{entry.history.iter().map(|r| view! {
                                                    <li>{if r.cancelled { format!("cancelled ({})", when(&r.recorded_at)) } else { format!("{} (recorded {})", when(&r.at), when(&r.recorded_at)) }}
                                                        {r.note.clone().map(|n| view! { " — " <span class="text">{n}</span> })}</li>
                                                }).collect_view()}</ol>
                                            </details>
                                        })}
                                    </td>
                                    <td>{match (v.actual, v.event_id) {
                                        (Some(at), Some(id)) => view! { <a href=links::event(id)>{when(&at)}</a> }.into_any(),
                                        _ => view! { <span>"—"</span> }.into_any(),
                                    }}</td>
                                    <td>{slip(v.slip_days)}</td>
                                    <td><span class=format!("badge plan-{status}")>{status}</span></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
    })
}

/// The next planned transitions, and for editors the overdue ones: a list
/// each, or nothing when there are none.
#[component]
pub fn UpcomingPlans(digest: PlanDigest, editor: bool) -> impl IntoView {
    let PlanDigest { upcoming, overdue } = digest;
    let item = |v: PlanView| {
        let href = links::release(&v.plan.dist, &v.plan.release);
        let label = format!("{} {}", release_title(&v.plan.dist, &v.plan.release), transition(&v));
        view! { <li><a href=href>{label}</a> " — " {when(&v.plan.at)}</li> }
    };
    let overdue = (editor && !overdue.is_empty()).then(|| {
        view! {
            <section class="plans overdue" aria-labelledby="overdue-plans">
                <h2 id="overdue-plans">"Overdue"</h2>
                <p>"Planned, past their date, and not recorded: record the event, or move or cancel the plan."</p>
                <ul>{overdue.into_iter().map(item).collect_view()}</ul>
            </section>
        }
    });
    let upcoming = (!upcoming.is_empty()).then(|| {
        view! {
            <section class="plans upcoming" aria-labelledby="upcoming-plans">
                <h2 id="upcoming-plans">"Upcoming"</h2>
                <ul>{upcoming.into_iter().map(item).collect_view()}</ul>
            </section>
        }
    });
    view! { {overdue}{upcoming} }
}

/// What [`UpcomingPlans`] shows, read from the log while it is held.
#[derive(Debug, Clone, Default)]
pub struct PlanDigest {
    /// The next upcoming transitions, soonest first.
    pub upcoming: Vec<PlanView>,
    /// Overdue ones, oldest first.
    pub overdue: Vec<PlanView>,
}

impl PlanDigest {
    /// The plans of `dist` (or every dist) as they stand at `now`.
    pub fn read(log: &EventLog, dist: Option<&Dist>, now: Timestamp, grace: chrono::Duration) -> Self {
        let query = |status| PlanQuery { dist: dist.cloned(), status: Some(status), ..PlanQuery::default() };
        let mut upcoming = plans::list(log, &query(PlanStatus::Upcoming), now, grace);
        upcoming.truncate(UPCOMING);
        Self { upcoming, overdue: plans::list(log, &query(PlanStatus::Overdue), now, grace) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_read_as_words() {
        assert_eq!(slip(0.0), "on time");
        assert_eq!(slip(7.0), "7.0 days late");
        assert_eq!(slip(-2.5), "2.5 days early");
    }
}
