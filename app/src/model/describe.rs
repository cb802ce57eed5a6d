//! Events and plans in words, for people: "Fedora 44 entered branched — it
//! was not in branched before", "Plan moved: Fedora 45 enters branched on
//! 2026-08-18 (was 2026-08-11)". The one place these sentences are
//! written, so the pages, the forms, the Atom feed and the calendar say the
//! same thing.
//! Pure text; no Leptos and no HTML (callers escape).

use chrono::{NaiveTime, Timelike};

use super::event::EventRecord;
use super::plans::PlanRecord;
use super::{Dist, Release, State, Timestamp};

/// How an event names its release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// As recorded, `fedora 44`: what an editor just typed (the forms echo it).
    AsRecorded,
    /// As people call them, `Fedora 44`, `Fedora Rawhide` (pages, feeds).
    Titles,
}

/// A dist as a title: `fedora` → `Fedora`, `fedora-coreos` → `Fedora-coreos`.
pub fn dist_title(dist: &Dist) -> String {
    let mut chars = dist.as_str().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A release as people call it: release `"0"` is Rawhide.
pub fn release_label(release: &Release) -> String {
    if release.as_str() == "0" {
        "Rawhide".to_owned()
    } else {
        release.to_string()
    }
}

/// `Fedora 44`, `Fedora Rawhide`.
pub fn release_title(dist: &Dist, release: &Release) -> String {
    format!("{} {}", dist_title(dist), release_label(release))
}

/// An instant for people: the date alone at midnight UTC, else date and
/// minutes (seconds when they matter), always in UTC.
pub fn when(t: &Timestamp) -> String {
    let time = t.time();
    if time == NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else if time.second() == 0 && time.nanosecond() == 0 {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

/// "entered" or "left".
pub fn verb(reached: bool) -> &'static str {
    if reached {
        "entered"
    } else {
        "left"
    }
}

/// The release of `e`, named as `names` says.
fn subject(e: &EventRecord, names: Names) -> String {
    match names {
        Names::AsRecorded => format!("{} {}", e.dist, e.release),
        Names::Titles => release_title(&e.dist, &e.release),
    }
}

/// What the release was before, and whether the event changed anything:
/// "it was not in branched before", "it was in branched before", or with
/// ", so nothing changed" for a repeated event.
pub fn before(reached: bool, was_in_state: bool, state: &str) -> String {
    match (reached, was_in_state) {
        (true, false) => format!("it was not in {state} before"),
        (true, true) => format!("it was already in {state} before, so nothing changed"),
        (false, true) => format!("it was in {state} before"),
        (false, false) => format!("it was not in {state} before, so nothing changed"),
    }
}

/// The headline of an event: "Fedora 44 entered branched".
pub fn headline(e: &EventRecord) -> String {
    format!("{} {} {}", subject(e, Names::Titles), verb(e.reached), e.state)
}

/// The change without its release: "entered branched — it was not in
/// branched before".
pub fn change(e: &EventRecord) -> String {
    format!("{} {} — {}", verb(e.reached), e.state, before(e.reached, e.was_in_state, e.state.as_str()))
}

/// An event in one sentence: "Fedora 44 entered branched — it was not in
/// branched before" (or `fedora 44 ...` with [`Names::AsRecorded`]).
pub fn event(e: &EventRecord, names: Names) -> String {
    format!("{} {}", subject(e, names), change(e))
}

/// An event with its instant and the correction it belongs to, for feeds
/// and calendars, whose entries never change once written: "Fedora 44
/// entered branched at 2026-02-10 — it was not in branched before. It
/// corrects event #3, retracted with it."
pub fn event_in_full(e: &EventRecord) -> String {
    let mut sentence = format!(
        "{} {} {} at {} — {}.",
        subject(e, Names::Titles),
        verb(e.reached),
        e.state,
        when(&e.at),
        before(e.reached, e.was_in_state, e.state.as_str())
    );
    if let Some(old) = e.corrects {
        sentence.push_str(&format!(" It corrects event #{old}, retracted with it."));
    }
    // Not `corrected_by`: it comes later, and a feed entry never changes.
    sentence
}

/// A retraction, named by the event it retracts: "Retracted: Fedora 44
/// entered branched".
pub fn retraction(e: &EventRecord, names: Names) -> String {
    format!("Retracted: {} {} {}", subject(e, names), verb(e.reached), e.state)
}

/// A planned transition: "Fedora 45 enters branched".
pub fn planned(dist: &Dist, release: &Release, state: &State, reached: bool) -> String {
    format!("{} {} {state}", release_title(dist, release), if reached { "enters" } else { "leaves" })
}

/// A plan revision as a headline: "Planned: Fedora 45 enters branched on
/// 2026-08-11", "Plan moved: … on 2026-08-18 (was 2026-08-11)", "Plan
/// cancelled: Fedora 45 enters branched (was planned for 2026-08-18)".
pub fn plan_revision(r: &PlanRecord) -> String {
    let what = planned(&r.dist, &r.release, &r.state, r.reached);
    match (r.cancelled, r.previous_at) {
        (true, _) => format!("Plan cancelled: {what} (was planned for {})", when(&r.at)),
        (false, Some(previous)) => format!("Plan moved: {what} on {} (was {})", when(&r.at), when(&previous)),
        (false, None) => format!("Planned: {what} on {}", when(&r.at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::parse_timestamp;

    fn record(release: &str, reached: bool, was_in_state: bool) -> EventRecord {
        let at = parse_timestamp("at", "2026-02-10T00:00:00Z").unwrap();
        EventRecord {
            id: 7,
            dist: Dist::parse("fedora").unwrap(),
            release: Release::parse(release).unwrap(),
            state: crate::model::State::parse("branched").unwrap(),
            reached,
            at,
            recorded_at: at,
            recorded_by: "bot".into(),
            source: "api".into(),
            note: None,
            link: None,
            was_in_state,
            changed: reached != was_in_state,
            retraction: None,
            corrects: None,
            corrected_by: None,
        }
    }

    #[test]
    fn names_and_instants_read_well() {
        assert_eq!(dist_title(&Dist::parse("fedora").unwrap()), "Fedora");
        assert_eq!(release_label(&Release::parse("0").unwrap()), "Rawhide");
        assert_eq!(release_label(&Release::parse("44").unwrap()), "44");
        let t = |s| parse_timestamp("at", s).unwrap();
        assert_eq!(when(&t("2026-02-10T00:00:00Z")), "2026-02-10");
        assert_eq!(when(&t("2026-02-10T14:00:00Z")), "2026-02-10 14:00 UTC");
        assert_eq!(when(&t("2026-02-10T14:00:05.5Z")), "2026-02-10 14:00:05 UTC");
    }

    #[test]
    fn events_read_as_one_sentence_everywhere() {
        let e = record("44", true, false);
        assert_eq!(event(&e, Names::Titles), "Fedora 44 entered branched — it was not in branched before");
        assert_eq!(event(&e, Names::AsRecorded), "fedora 44 entered branched — it was not in branched before");
        assert_eq!(headline(&e), "Fedora 44 entered branched");
        assert_eq!(change(&e), "entered branched — it was not in branched before");
        assert_eq!(event_in_full(&e), "Fedora 44 entered branched at 2026-02-10 — it was not in branched before.");
        assert_eq!(retraction(&record("0", true, false), Names::Titles), "Retracted: Fedora Rawhide entered branched");
        assert_eq!(change(&record("44", false, true)), "left branched — it was in branched before");
        assert_eq!(
            change(&record("44", false, false)),
            "left branched — it was not in branched before, so nothing changed"
        );
        assert_eq!(
            change(&record("44", true, true)),
            "entered branched — it was already in branched before, so nothing changed"
        );
        let corrected = EventRecord { corrects: Some(3), ..record("44", true, false) };
        assert!(event_in_full(&corrected).ends_with(" It corrects event #3, retracted with it."));
    }
}
