//! The schedule on the pages: a release's planned transitions beside what
//! happened (first planned, current plan, actual, slip, and each plan's
//! revisions), and the next planned transitions (with, for editors, the
//! overdue ones) at the top of the state matrix, and the editors' forms
//! that plan, move and cancel transitions. Plans are drawn apart
//! from facts: they are expectations, never shown as states.

pub mod api;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

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
pub fn ScheduleTable(entries: Vec<ScheduleEntry>, forms: Option<PlanForms>) -> impl IntoView {
    let plan_form = forms.clone().map(|forms| view! { <PlanForm forms/> });
    let table = (!entries.is_empty()).then(|| {
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
                                    <td><span class=format!("badge plan-{status}")>{status}</span>
                                        {forms.clone().filter(|_| matches!(v.status, PlanStatus::Upcoming | PlanStatus::Overdue))
                                            .map(|forms| view! { <CancelPlanForm forms view=v.clone()/> })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
    });
    view! { {table}{plan_form} }
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

/// What an editor's plan forms need: the release, and their CSRF token.
#[derive(Debug, Clone)]
pub struct PlanForms {
    /// The release's dist.
    pub dist: Dist,
    /// The release.
    pub release: Release,
    /// The signed-in editor's CSRF token.
    pub csrf: String,
}

/// Hidden fields naming a release (and the CSRF token).
fn hidden(forms: &PlanForms) -> impl IntoView {
    view! {
        <input type="hidden" name="csrf_token" value=forms.csrf.clone()/>
        <input type="hidden" name="dist" value=forms.dist.to_string()/>
        <input type="hidden" name="release" value=forms.release.to_string()/>
    }
}

/// The form that plans a transition of the release, or moves its plan (a
/// plan for a transition that has one becomes its next revision). A plain
/// form: it works without JavaScript.
#[component]
pub fn PlanForm(forms: PlanForms) -> impl IntoView {
    let echo = crate::account::echo_of("plan");
    let value = |key: &str| echo.as_ref().and_then(|e| e.value(key)).unwrap_or_default();
    let error = echo.as_ref().map(|e| e.message.clone());
    let open = echo.is_some();
    let (state, at, note, link) = (value("state"), value("at"), value("note"), value("link"));
    let leaving = value("reached") == "left";
    view! {
        <details class="plan-form" open=open>
            <summary>"Plan a transition, or move a plan"</summary>
            <form method="post" action=api::PlanTransition::url() class="edit-form" id="plan-form">
                {hidden(&forms)}
                <div class="field">
                    <label for="plan-state">"State" <span class="hint">"e.g. branched, beta-freeze, stable, eol"</span></label>
                    <input id="plan-state" name="state" value=state required autocomplete="off"/>
                </div>
                <div class="field">
                    <label for="plan-reached">"Transition"</label>
                    <select id="plan-reached" name="reached">
                        <option value="entered" selected=!leaving>"enters the state"</option>
                        <option value="left" selected=leaving>"leaves the state"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="plan-at">"Planned for (UTC)" <span class="hint">"a date, or date and time"</span></label>
                    <input id="plan-at" name="at" type="datetime-local" value=at required/>
                </div>
                <div class="field">
                    <label for="plan-note">"Note" <span class="hint">"optional; why it moved"</span></label>
                    <input id="plan-note" name="note" value=note/>
                </div>
                <div class="field">
                    <label for="plan-link">"Link" <span class="hint">"optional; the schedule it comes from"</span></label>
                    <input id="plan-link" name="link" type="url" value=link/>
                </div>
                <p class="error" role="alert">{error}</p>
                <button type="submit">"Save plan"</button>
            </form>
        </details>
    }
}

/// Cancels one planned transition, with a reason.
#[component]
fn CancelPlanForm(forms: PlanForms, view: PlanView) -> impl IntoView {
    let reached = if view.plan.reached { "entered" } else { "left" };
    let name = format!("cancel-plan-{}-{reached}", view.plan.state);
    let echo = crate::account::echo_of(&name);
    let id = format!("reason-{}-{reached}", view.plan.id);
    let open = echo.is_some();
    let typed = echo.as_ref().and_then(|e| e.value("reason")).unwrap_or_default();
    view! {
        <details class="cancel-plan" open=open>
            <summary>"Cancel…"</summary>
            <form method="post" action=api::CancelPlan::url() class="inline-form">
                {hidden(&forms)}
                <input type="hidden" name="state" value=view.plan.state.to_string()/>
                <input type="hidden" name="reached" value=reached/>
                <label for=id.clone()>"Reason"</label>
                <input id=id name="reason" required value=typed/>
                <button type="submit" class="danger">"Cancel plan"</button>
                {echo.map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
            </form>
        </details>
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
