//! Editing in the browser: the "record an event" page, the retract and
//! correct forms of an event's page (islands: they submit without a page
//! load when JavaScript runs, and as plain form posts when it does not),
//! and the server functions behind them (`api`).

pub mod api;

use std::collections::BTreeMap;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::account::{echo_of, viewer, CsrfField, FlashNotice, NotEditor};
use crate::error::AppError;
use crate::links;
use crate::model::event::EventRecord;
use crate::model::{parse_reached, ReachedWords};
use crate::ui::{query, ErrorPage};
use api::{CorrectEvent, RecordEvent, Recorded, RetractEvent};

/// What a form shows as its problem: the field at fault and the message.
type Problem = Option<(Option<String>, String)>;

/// The problem of the last submission, else the one echoed by the server
/// after a plain form post.
fn problem_of(result: Option<Result<Recorded, AppError>>, initial: &Problem) -> Problem {
    match result {
        Some(Err(e)) => Some((e.field().map(str::to_owned), e.to_string())),
        Some(Ok(_)) => None,
        None => initial.clone(),
    }
}

/// One labelled text field with its error, if it has one.
#[component]
fn TextField(
    form: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] list: &'static str,
    #[prop(optional)] kind: &'static str,
    value: Option<String>,
    problem: Signal<Problem>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let error_id = format!("{id}-error");
    let error = move || problem.get().filter(|(f, _)| f.as_deref() == Some(name)).map(|(_, m)| m);
    let kind = if kind.is_empty() { "text" } else { kind };
    view! {
        <div class="field">
            <label for=id.clone()>{label}{(!hint.is_empty()).then(|| view! { <span class="hint">{hint}</span> })}</label>
            {if kind == "textarea" {
                view! {
                    <textarea id=id.clone() name=name aria-invalid=move || error().is_some().then_some("true")
                        aria-describedby=error_id.clone() maxlength="2000">{value.clone().unwrap_or_default()}</textarea>
                }.into_any()
            } else {
                view! {
                    <input id=id.clone() name=name type=kind value=value.clone().unwrap_or_default()
                        list=(!list.is_empty()).then_some(list) autocomplete="off"
                        aria-invalid=move || error().is_some().then_some("true") aria-describedby=error_id.clone()/>
                }.into_any()
            }}
            <p class="field-error" id=error_id.clone() role="alert">{error}</p>
        </div>
    }
}

/// The fields of an event (dist, release, state, entered/left, when, note,
/// link), filled with `values`.
#[component]
fn EventFields(form: &'static str, values: BTreeMap<String, String>, problem: Signal<Problem>) -> impl IntoView {
    let v = move |k: &str| values.get(k).cloned();
    let left = v("reached").is_some_and(|r| parse_reached(&r, ReachedWords::Form) == Some(false));
    let reached_error = move || problem.get().filter(|(f, _)| f.as_deref() == Some("reached")).map(|(_, m)| m);
    view! {
        <TextField form name="dist" label="Dist" hint="e.g. fedora" list="known-dists" value=v("dist") problem/>
        <TextField form name="release" label="Release" hint="e.g. 44; Rawhide is 0" list="known-releases" value=v("release") problem/>
        <TextField form name="state" label="State" hint="e.g. branched" list="known-states" value=v("state") problem/>
        <div class="field">
            <label for=format!("{form}-reached")>"Change"</label>
            <select id=format!("{form}-reached") name="reached">
                <option value="true" selected=!left>"entered the state"</option>
                <option value="false" selected=left>"left the state"</option>
            </select>
            <p class="field-error" role="alert">{reached_error}</p>
        </div>
        <TextField form name="at" label="When (UTC)" hint="empty: now; a past time is fine, the future is not" kind="datetime-local" value=v("at") problem/>
        <TextField form name="note" label="Note" hint="optional" kind="textarea" value=v("note") problem/>
        <TextField form name="link" label="Link" hint="optional: a meeting log, an announcement (http or https)" kind="url" value=v("link") problem/>
    }
}

/// The message of a problem that no field shows.
fn general_error(problem: Problem) -> Option<String> {
    problem.filter(|(f, _)| f.is_none()).map(|(_, m)| m)
}

/// The record form. An island: with JavaScript it submits in place and
/// keeps what was typed; without, it is a plain POST.
#[island]
pub fn RecordForm(csrf: String, values: BTreeMap<String, String>, initial: Problem) -> impl IntoView {
    let action = ServerAction::<RecordEvent>::new();
    let result = action.value();
    let problem = Signal::derive(move || problem_of(result.get(), &initial));
    view! {
        <ActionForm action=action attr:class="edit-form" attr:id="record-form">
            <CsrfField token=csrf/>
            <EventFields form="record" values problem/>
            <p class="error" role="alert">{move || general_error(problem.get())}</p>
            <button type="submit" disabled=move || action.pending().get()>"Record the event"</button>
        </ActionForm>
        <Outcome result=result.into()/>
    }
}

/// The success line after an in-place submission.
#[component]
fn Outcome(result: Signal<Option<Result<Recorded, AppError>>>) -> impl IntoView {
    move || {
        result.get().and_then(Result::ok).map(|r| {
            view! {
                <p class="notice" role="status">
                    {r.summary.clone()} ". " <a href=links::event(r.id)>{format!("Event #{}", r.id)}</a>
                </p>
            }
        })
    }
}

/// The retract form of an event's page.
#[island]
pub fn RetractForm(csrf: String, id: i64, reason: Option<String>, initial: Problem) -> impl IntoView {
    let action = ServerAction::<RetractEvent>::new();
    let result = action.value();
    let problem = Signal::derive(move || problem_of(result.get(), &initial));
    view! {
        <ActionForm action=action attr:class="edit-form" attr:id="retract-form">
            <CsrfField token=csrf/>
            <input type="hidden" name="id" value=id/>
            <TextField form="retract" name="reason" label="Reason" hint="required; shown with the retraction" kind="textarea" value=reason problem/>
            <p class="error" role="alert">{move || general_error(problem.get())}</p>
            <button type="submit" class="danger" disabled=move || action.pending().get()>"Retract this event"</button>
        </ActionForm>
        {move || result.get().and_then(Result::ok).map(|_| view! {
            <p class="notice" role="status">"Retracted. " <a href=links::event(id)>"Reload the event"</a></p>
        })}
    }
}

/// The correct form of an event's page: a reason and the fixed values.
#[island]
pub fn CorrectForm(csrf: String, id: i64, values: BTreeMap<String, String>, initial: Problem) -> impl IntoView {
    let action = ServerAction::<CorrectEvent>::new();
    let result = action.value();
    let problem = Signal::derive(move || problem_of(result.get(), &initial));
    let reason = values.get("reason").cloned();
    view! {
        <ActionForm action=action attr:class="edit-form" attr:id="correct-form">
            <CsrfField token=csrf/>
            <input type="hidden" name="id" value=id/>
            <TextField form="correct" name="reason" label="Reason for the correction" hint="required" kind="textarea" value=reason problem/>
            <EventFields form="correct" values problem/>
            <p class="error" role="alert">{move || general_error(problem.get())}</p>
            <button type="submit" disabled=move || action.pending().get()>"Correct this event"</button>
        </ActionForm>
        <Outcome result=result.into()/>
    }
}

/// `<datalist>`s of the dists, releases and states already known, for
/// suggestions while typing (free text stays allowed).
#[component]
pub fn Suggestions() -> impl IntoView {
    let log = match crate::server_data::log() {
        Ok(log) => log,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    let dists = log.read().dists();
    let mut releases: Vec<String> = dists.iter().flat_map(|d| d.releases.iter().map(|r| r.to_string())).collect();
    releases.sort_by(|a, b| crate::model::order::natural_cmp(a, b));
    releases.dedup();
    let mut states: Vec<String> = dists.iter().flat_map(|d| d.states.iter().map(|s| s.to_string())).collect();
    states.sort();
    states.dedup();
    let options = |items: Vec<String>| items.into_iter().map(|i| view! { <option value=i/> }).collect_view();
    view! {
        <datalist id="known-dists">{options(dists.iter().map(|d| d.dist.to_string()).collect())}</datalist>
        <datalist id="known-releases">{options(releases)}</datalist>
        <datalist id="known-states">{options(states)}</datalist>
    }
    .into_any()
}

/// `/events/new`: the record form, for editors.
#[component]
pub fn NewEventPage() -> impl IntoView {
    let viewer = viewer();
    let body = match viewer.editor() {
        Some(editor) => {
            let echo = echo_of("record");
            let values: BTreeMap<String, String> = match &echo {
                Some(e) => e.values.clone(),
                // Links such as "record an event for this release" prefill.
                None => ["dist", "release", "state", "reached"]
                    .into_iter()
                    .filter_map(|k| query(k).map(|v| (k.to_owned(), v)))
                    .collect(),
            };
            let initial = echo.map(|e| (e.field, e.message));
            view! {
                <Suggestions/>
                <RecordForm csrf=editor.csrf.clone() values initial/>
            }
            .into_any()
        }
        None => {
            crate::ui::set_status(if viewer.user.is_some() { 403 } else { 401 });
            view! { <NotEditor viewer/> }.into_any()
        }
    };
    view! {
        <Title text="Record an event · releasetracker"/>
        <h1>"Record an event"</h1>
        <FlashNotice/>
        {body}
    }
}

/// The editing part of an event's page: retract and correct, for editors
/// and events not yet retracted.
#[component]
pub fn EventEditing(event: EventRecord) -> impl IntoView {
    let viewer = viewer();
    let Some(editor) = viewer.editor() else {
        return ().into_any();
    };
    if event.retraction.is_some() {
        return ().into_any();
    }
    let id = event.id;
    let retract_echo = echo_of(&format!("retract-{id}"));
    let correct_echo = echo_of(&format!("correct-{id}"));
    let values: BTreeMap<String, String> = match &correct_echo {
        Some(e) => e.values.clone(),
        None => [
            ("dist", event.dist.to_string()),
            ("release", event.release.to_string()),
            ("state", event.state.to_string()),
            ("reached", event.reached.to_string()),
            ("at", event.at.format("%Y-%m-%dT%H:%M").to_string()),
            ("note", event.note.clone().unwrap_or_default()),
            ("link", event.link.clone().unwrap_or_default()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    };
    let (retract_open, correct_open) = (retract_echo.is_some(), correct_echo.is_some());
    view! {
        <section class="editing" aria-labelledby="editing-title">
            <h2 id="editing-title">"Fix this event"</h2>
            <Suggestions/>
            <details open=retract_open>
                <summary>"Retract it"</summary>
                <p>"The event stays in the log, marked as retracted, and stops counting in every view."</p>
                <RetractForm csrf=editor.csrf.clone() id
                    reason=retract_echo.as_ref().and_then(|e| e.value("reason"))
                    initial=retract_echo.map(|e| (e.field, e.message))/>
            </details>
            <details open=correct_open>
                <summary>"Correct it"</summary>
                <p>"Retracts this event and records the fixed one, linked to each other."</p>
                <CorrectForm csrf=editor.csrf.clone() id values initial=correct_echo.map(|e| (e.field, e.message))/>
            </details>
        </section>
    }
    .into_any()
}
