//! The iCalendar export (RFC 5545): one `VEVENT` per event of the log, for
//! calendar applications that subscribe to `/calendar.ics`. A retracted
//! event stays, with `STATUS:CANCELLED` and a higher `SEQUENCE`, so a
//! subscribed calendar follows a correction (the old `UID` is cancelled,
//! the corrected event arrives with a new one) instead of silently losing
//! an entry. Planned transitions (DESIGN.md §7) are VEVENTs too, one per
//! transition key: `TENTATIVE` at the current plan's date with a
//! `SEQUENCE` that grows with each revision, `CONFIRMED` at the actual time
//! once met, `CANCELLED` when cancelled — so a subscribed calendar moves
//! with the slips. Built with the `icalendar` crate, which escapes and folds.

use app::model::describe::{self, when, Names};
use app::model::event::EventRecord;
use app::model::plans::{self, PlanQuery, PlanStatus, PlanView};
use app::model::Timestamp;
use chrono::{NaiveTime, TimeZone};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use super::{event_page, Document, Selection};
use crate::api::error::ApiError;
use crate::state::AppState;

/// A text value as RFC 5545 lets it through: line breaks of any kind
/// (`\r\n`, a lone `\r`) become `\n`, which the writer escapes, and
/// other control characters are dropped. A bare carriage return would end
/// the content line for lenient clients, so a note could otherwise add
/// components of its own.
fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

/// `text` escaped as a TEXT value (RFC 5545 §3.3.11), for the properties
/// the `icalendar` crate writes verbatim (`NAME`).
fn escaped(value: &str) -> String {
    text(value).replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n")
}

/// How often subscribed calendars should look again.
const REFRESH_HOURS: i64 = 1;

/// `Last-Modified` of a calendar with no events (fixed, like the feed's).
fn empty_calendar_modified() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default()
}

/// When the calendar's copy of `e` last changed: its retraction, if any,
/// else its recording.
fn revised_at(e: &EventRecord) -> Timestamp {
    e.retraction.as_ref().map_or(e.recorded_at, |r| r.recorded_at)
}

/// The `VEVENT` of one event. Transitions are instants: one at midnight
/// UTC is a date (the usual way history is recorded, and how calendars
/// show all-day items); any other is a timed event without duration.
fn vevent(state: &AppState, e: &EventRecord) -> Event {
    let mut description = describe::event_in_full(e);
    description.push_str(&format!("\nRecorded by {} ({}) at {}.", e.recorded_by, e.source, when(&e.recorded_at)));
    if let Some(note) = &e.note {
        description.push_str(&format!("\n\n{note}"));
    }
    if let Some(link) = &e.link {
        description.push_str(&format!("\n\n{link}"));
    }
    let mut event = Event::new();
    let mut summary = describe::headline(e);
    if let Some(r) = &e.retraction {
        summary = describe::retraction(e, Names::Titles);
        let corrected = e.corrected_by.map(|new| format!(" (corrected by event #{new})")).unwrap_or_default();
        description = format!(
            "Retracted{corrected} by {} at {}: {}\n\n{description}",
            r.recorded_by,
            when(&r.recorded_at),
            r.reason
        );
        event.status(EventStatus::Cancelled).sequence(1);
    } else {
        event.status(EventStatus::Confirmed).sequence(0);
    }
    if e.at.time() == NaiveTime::MIN {
        event.starts(e.at.date_naive());
    } else {
        event.starts(e.at);
    }
    event
        .uid(&format!("event-{}@{}", e.id, state.feed_authority))
        .timestamp(revised_at(e))
        .created(e.recorded_at)
        .last_modified(revised_at(e))
        .summary(&text(&summary))
        .description(&text(&description))
        .url(&event_page(state, e.id))
        .categories([e.dist.as_str(), e.state.as_str()])
        .done()
}

/// The `VEVENT` of a transition key's plan. Its `UID` is the first
/// revision's id, which never changes for the key.
fn planned_vevent(state: &AppState, v: &PlanView, first_id: i64) -> Event {
    let p = &v.plan;
    let what = describe::planned(&p.dist, &p.release, &p.state, p.reached);
    let mut event = Event::new();
    let (summary, start, status, bump) = match (v.status, v.actual) {
        (PlanStatus::Met, Some(actual)) => {
            (format!("{what} (as planned for {})", when(&v.first_at)), actual, EventStatus::Confirmed, 1)
        }
        (PlanStatus::Cancelled, _) => (format!("Cancelled: {what}"), p.at, EventStatus::Cancelled, 0),
        _ => (format!("Planned: {what}"), p.at, EventStatus::Tentative, 0),
    };
    let mut description = format!(
        "{what}: planned for {} (first planned for {}; revision {}; slip {:.1} days).",
        when(&p.at),
        when(&v.first_at),
        p.revision,
        v.slip_days
    );
    if let Some(note) = &p.note {
        description.push_str(&format!(
            "

{note}"
        ));
    }
    if let Some(link) = &p.link {
        description.push_str(&format!(
            "

{link}"
        ));
    }
    if start.time() == NaiveTime::MIN {
        event.starts(start.date_naive());
    } else {
        event.starts(start);
    }
    let url = match v.event_id {
        Some(id) => event_page(state, id),
        None => super::absolute(state, &app::links::release(&p.dist, &p.release)),
    };
    event
        .uid(&format!("plan-{first_id}@{}", state.feed_authority))
        .status(status)
        .sequence(p.revision - 1 + bump)
        .timestamp(p.recorded_at)
        .last_modified(p.recorded_at)
        .summary(&text(&summary))
        .description(&text(&description))
        .url(&url)
        .categories([p.dist.as_str(), p.state.as_str(), "planned"])
        .done()
}

/// The calendar of every event that passes the filters of `selection`,
/// oldest first, then the plans that pass them (by planned date).
pub fn calendar(state: &AppState, selection: &Selection) -> Result<Document, ApiError> {
    let query = selection.log_query();
    let records: Vec<EventRecord> = {
        let log = state.projection.read();
        log.events().iter().filter(|e| query.matches(e)).map(|e| log.record(e)).collect()
    };
    let planned: Vec<(PlanView, i64)> = {
        let log = state.projection.read();
        let plan_query = PlanQuery {
            dist: query.dist.clone(),
            release: query.release.clone(),
            state: query.state.clone(),
            status: None,
            since: query.since,
            until: query.until,
        };
        plans::list(&log, &plan_query, chrono::Utc::now(), state.plan_grace)
            .into_iter()
            .filter_map(|v| {
                let key = plans::TransitionKey {
                    dist: v.plan.dist.clone(),
                    release: v.plan.release.clone(),
                    state: v.plan.state.clone(),
                    reached: v.plan.reached,
                };
                let first = log.plans().history(&key).first().map(|r| r.id)?;
                Some((v, first))
            })
            .collect()
    };
    let last_modified = records
        .iter()
        .map(revised_at)
        .chain(planned.iter().map(|(v, _)| v.plan.recorded_at))
        .max()
        .unwrap_or_else(empty_calendar_modified);
    let name = match selection.describe() {
        Some(what) => format!("releasetracker: {what}"),
        None => "releasetracker".to_owned(),
    };
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            format!("-//releasetracker//releasetracker {}//EN", env!("CARGO_PKG_VERSION")),
        ))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("NAME", escaped(&name)))
        // The crate escapes this one itself.
        .append_property(Property::new("X-WR-CALNAME", text(&name)))
        .description("Release-cycle events (retracted ones are cancelled) and planned transitions (tentative).")
        .ttl(&chrono::Duration::hours(REFRESH_HOURS));
    for record in &records {
        calendar.push(vevent(state, record));
    }
    for (view, first) in &planned {
        calendar.push(planned_vevent(state, view, *first));
    }
    let body = calendar.done().to_string().into_bytes();
    Ok(Document { content_type: "text/calendar; charset=utf-8", body, last_modified })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_keep_no_carriage_return_or_control_character() {
        assert_eq!(text("a\r\nEND:VEVENT\rb\nc\u{7}\td"), "a\nEND:VEVENT\nb\nc\td");
        assert_eq!(escaped("releasetracker: a;b,c\\d\r\ne"), "releasetracker: a\\;b\\,c\\\\d\\ne");
    }
}
