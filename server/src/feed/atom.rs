//! The Atom 1.0 feed (RFC 4287): one entry per event, per retraction and
//! per plan revision, newest recorded first, built with `atom_syndication`
//! (which escapes every value). Entries never change once written: a
//! correction is a new entry (the retraction), a slip a new revision, so
//! readers that keep old entries stay right.

use app::links;
use app::model::describe::{self, when, Names};
use app::model::event::{EventRecord, RetractionRecord};
use app::model::plans::{Plan, PlanRecord};
use app::model::{Activity, LogQuery, Timestamp};
use atom_syndication::{Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text};
use chrono::TimeZone;

use super::{absolute, event_page, with_query, Document, Selection};
use crate::api::error::ApiError;
use crate::state::AppState;

/// `updated` of a feed with no entries: a fixed instant, so an empty feed
/// keeps its `ETag` and `Last-Modified`.
fn empty_feed_updated() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default()
}

fn fixed(t: &Timestamp) -> FixedDateTime {
    t.fixed_offset()
}

/// Drops the characters XML 1.0 cannot carry (U+FFFE, U+FFFF and the C0
/// controls other than tab and line breaks); validation already refuses
/// most, this keeps the document well-formed whatever the log holds.
fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            !matches!(c, '\u{FFFE}' | '\u{FFFF}')
                && (!c.is_control() || matches!(c, '\t' | '\n' | '\r') || c > '\u{1F}')
        })
        .collect()
}

fn person(name: &str) -> Person {
    Person { name: xml_text(name), ..Person::default() }
}

fn link(href: String, rel: &str, mime_type: Option<&str>, title: Option<String>) -> Link {
    Link { href, rel: rel.to_owned(), mime_type: mime_type.map(str::to_owned), title, ..Link::default() }
}

fn plain(text: String) -> Text {
    Text::plain(xml_text(&text))
}

/// The entry of an event.
fn event_entry(state: &AppState, e: &EventRecord) -> Entry {
    let mut links = vec![link(event_page(state, e.id), "alternate", Some("text/html"), None)];
    if let Some(href) = &e.link {
        links.push(link(xml_text(href), "related", None, None));
    }
    let mut summary = describe::event_in_full(e);
    summary.push_str(&format!(" Recorded by {} ({}).", e.recorded_by, e.source));
    let mut entry = Entry {
        id: state.feed_authority.tag(&format!("event/{}", e.id)),
        title: plain(describe::headline(e)),
        updated: fixed(&e.recorded_at),
        published: Some(fixed(&e.at)),
        authors: vec![person(&e.recorded_by)],
        links,
        summary: Some(plain(summary)),
        ..Entry::default()
    };
    if let Some(note) = &e.note {
        entry.content =
            Some(Content { value: Some(xml_text(note)), content_type: Some("text".to_owned()), ..Content::default() });
    }
    entry
}

/// The entry of a retraction: it names and links the event it retracts.
fn retraction_entry(state: &AppState, r: &RetractionRecord, e: &EventRecord) -> Entry {
    let mut summary = format!(
        "Event #{} ({} at {}) was retracted by {} ({}): it no longer counts in any view.",
        e.id,
        describe::headline(e),
        when(&e.at),
        r.recorded_by,
        r.source,
    );
    // A correction writes the retraction and the new event together, so
    // this is known when the entry first appears.
    if let Some(new) = e.corrected_by {
        summary.push_str(&format!(" Corrected by event #{new}."));
    }
    summary.push_str(&format!(" Reason: {}", r.reason));
    Entry {
        id: state.feed_authority.tag(&format!("retraction/{}", r.id)),
        title: plain(describe::retraction(e, Names::Titles)),
        updated: fixed(&r.recorded_at),
        published: Some(fixed(&r.recorded_at)),
        authors: vec![person(&r.recorded_by)],
        links: vec![link(
            event_page(state, e.id),
            "alternate",
            Some("text/html"),
            Some(xml_text(&format!("Event #{}", e.id))),
        )],
        summary: Some(plain(summary)),
        content: Some(Content {
            value: Some(xml_text(&r.reason)),
            content_type: Some("text".to_owned()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

/// The entry of a plan revision: a new plan, a moved date or a
/// cancellation, linking the release page (where the schedule is).
fn plan_entry(state: &AppState, r: &PlanRecord) -> Entry {
    let mut links =
        vec![link(absolute(state, &links::release(&r.dist, &r.release)), "alternate", Some("text/html"), None)];
    if let Some(href) = &r.link {
        links.push(link(xml_text(href), "related", None, None));
    }
    let headline = describe::plan_revision(r);
    let summary = format!(
        "{headline}. Revision {} of this plan, recorded by {} ({}); a plan is not a fact.",
        r.revision, r.recorded_by, r.source
    );
    let mut entry = Entry {
        id: state.feed_authority.tag(&format!("plan/{}", r.id)),
        title: plain(headline),
        updated: fixed(&r.recorded_at),
        published: Some(fixed(&r.recorded_at)),
        authors: vec![person(&r.recorded_by)],
        links,
        summary: Some(plain(summary)),
        ..Entry::default()
    };
    if let Some(note) = &r.note {
        entry.content =
            Some(Content { value: Some(xml_text(note)), content_type: Some("text".to_owned()), ..Content::default() });
    }
    entry
}

/// Whether a plan revision passes the feed's filters (`since`/`until` on
/// its planned date, as `GET /api/v1/plans` reads them).
fn plan_matches(q: &LogQuery, p: &Plan) -> bool {
    q.dist.as_ref().is_none_or(|d| &p.key.dist == d)
        && q.release.as_ref().is_none_or(|r| &p.key.release == r)
        && q.state.as_ref().is_none_or(|s| &p.key.state == s)
        && q.since.is_none_or(|s| p.at >= s)
        && q.until.is_none_or(|u| p.at <= u)
}

/// The feed of `selection`, served at `self_path` (path and query, for
/// its self link).
pub fn feed(state: &AppState, selection: &Selection, self_path: &str) -> Result<Document, ApiError> {
    let query = selection.log_query();
    let (activity, plans) = {
        let log = state.projection.read();
        (log.activity(&query), log.plans().newest(query.limit, |p| plan_matches(&query, p)))
    };
    let mut dated: Vec<(Timestamp, Entry)> = activity
        .iter()
        .map(|a| {
            let entry = match a {
                Activity::Event(e) => event_entry(state, e),
                Activity::Retraction { retraction, event } => retraction_entry(state, retraction, event),
            };
            (a.recorded_at(), entry)
        })
        .chain(plans.iter().map(|r| (r.recorded_at, plan_entry(state, r))))
        .collect();
    // Newest recorded first (stable: the log's own order among equals).
    dated.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    dated.truncate(query.limit);
    let updated = dated.iter().map(|(t, _)| *t).max().unwrap_or_else(empty_feed_updated);
    let entries: Vec<Entry> = dated.into_iter().map(|(_, e)| e).collect();
    let filters = selection.filters_query();
    let title = match selection.describe() {
        Some(what) => format!("releasetracker: {what}"),
        None => "releasetracker: all events".to_owned(),
    };
    let feed = Feed {
        // One id per set of filters, whichever URL serves it.
        id: state.feed_authority.tag(&with_query("feed", &filters)),
        title: plain(title),
        subtitle: Some(plain("Release-cycle events, their retractions and plan revisions, newest first.".to_owned())),
        updated: fixed(&updated),
        authors: vec![person("releasetracker")],
        links: vec![
            link(absolute(state, self_path), "self", Some("application/atom+xml"), None),
            link(
                absolute(state, &links::events_filtered(&selection.filter, None)),
                "alternate",
                Some("text/html"),
                None,
            ),
        ],
        generator: Some(Generator {
            value: "releasetracker".to_owned(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        entries,
        lang: Some("en".to_owned()),
        ..Feed::default()
    };
    let body = feed.write_to(Vec::new()).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(Document { content_type: "application/atom+xml; charset=utf-8", body, last_modified: updated })
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn xml_text_keeps_line_breaks_and_drops_what_xml_cannot_hold() {
        assert_eq!(xml_text("a\tb\nc<&>"), "a\tb\nc<&>");
        assert_eq!(xml_text("a\u{1}b\u{FFFF}c\u{85}"), "abc\u{85}");
    }
}
