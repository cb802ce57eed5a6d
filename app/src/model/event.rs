//! Events and retractions: the raw input a client sends, its validated form,
//! the stored record and the wire record (with `was_in_state`/`changed`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::name::{check_link, check_text, Dist, Release, State, ValidationError};
use super::time::{self, Timestamp};

/// Monotonic id of a stored event (or of a retraction, in its own sequence).
pub type EventId = i64;

/// How far ahead of the clock an event's `at` may lie (clock skew between a
/// script's machine and ours); beyond that it is a plan, not an event.
pub const FUTURE_TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);

/// What a client sends to record an event, before validation. Every field is
/// optional here so that a missing one is reported by name.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// The dist, e.g. `fedora`.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, example = "fedora"))]
    pub dist: Option<String>,
    /// The release, e.g. `"44"`.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, example = "44"))]
    pub release: Option<String>,
    /// The state, e.g. `branched`.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, example = "branched"))]
    pub state: Option<String>,
    /// `true`: entered the state; `false`: left it.
    #[cfg_attr(feature = "ssr", schema(value_type = bool, required = true))]
    pub reached: Option<bool>,
    /// When it happened (RFC 3339); defaults to now. At most five minutes
    /// in the future.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub at: Option<String>,
    /// Free text, at most 2,000 characters.
    pub note: Option<String>,
    /// Provenance, an http(s) URL.
    pub link: Option<String>,
}

fn required<'a>(field: &'static str, value: &'a Option<String>) -> Result<&'a str, ValidationError> {
    value.as_deref().ok_or_else(|| ValidationError::new(field, "is required"))
}

/// Treats an empty optional text as absent, the way HTML forms send it.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

impl EventInput {
    /// Validates every field against DESIGN.md §1; `now` is the clock used
    /// for the default `at` and for refusing the future.
    pub fn validate(self, now: Timestamp) -> Result<NewEvent, ValidationError> {
        let dist = Dist::parse(required("dist", &self.dist)?)?;
        let release = Release::parse(required("release", &self.release)?)?;
        let state = State::parse(required("state", &self.state)?)?;
        let reached = self.reached.ok_or_else(|| ValidationError::new("reached", "is required (true or false)"))?;
        let now = time::to_stored_precision(now);
        let at = match non_empty(self.at) {
            None => now,
            Some(text) => time::parse_timestamp("at", &text)?,
        };
        if at > now + FUTURE_TOLERANCE {
            return Err(ValidationError::new(
                "at",
                "lies more than five minutes in the future; record transitions when they happen",
            ));
        }
        let note = non_empty(self.note);
        if let Some(note) = &note {
            check_text("note", note, false)?;
        }
        let link = non_empty(self.link);
        if let Some(link) = &link {
            check_link("link", link)?;
        }
        Ok(NewEvent { dist, release, state, reached, at, note, link })
    }
}

/// A validated event, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The dist.
    pub dist: Dist,
    /// The release.
    pub release: Release,
    /// The state.
    pub state: State,
    /// Entered (`true`) or left (`false`).
    pub reached: bool,
    /// When it happened.
    pub at: Timestamp,
    /// Optional note.
    pub note: Option<String>,
    /// Optional provenance link.
    pub link: Option<String>,
}

/// A validated retraction reason, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRetraction {
    /// Why the event is retracted.
    pub reason: String,
}

impl NewRetraction {
    /// Validates a reason: required, at most 2,000 characters.
    pub fn parse(reason: Option<&str>) -> Result<Self, ValidationError> {
        let reason = reason.ok_or_else(|| ValidationError::new("reason", "is required"))?;
        check_text("reason", reason, true)?;
        Ok(Self { reason: reason.to_owned() })
    }
}

/// A stored event: the append-only log's unit of truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Monotonic id.
    pub id: EventId,
    /// The dist.
    pub dist: Dist,
    /// The release.
    pub release: Release,
    /// The state.
    pub state: State,
    /// Entered (`true`) or left (`false`).
    pub reached: bool,
    /// When it happened.
    pub at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Login or token name of whoever recorded it.
    pub recorded_by: Arc<str>,
    /// Where it came from: `api`, `web`, `import`.
    pub source: Arc<str>,
    /// Optional note.
    pub note: Option<String>,
    /// Optional provenance link.
    pub link: Option<String>,
    /// The event this one corrects (retracted in the same transaction).
    pub corrects: Option<EventId>,
}

/// A stored retraction of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// Monotonic id (its own sequence).
    pub id: i64,
    /// The retracted event.
    pub event_id: EventId,
    /// Why.
    pub reason: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: Arc<str>,
    /// Where it came from.
    pub source: Arc<str>,
}

/// A retraction as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetractionRecord {
    /// Retraction id.
    pub id: i64,
    /// The retracted event's id.
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub event_id: EventId,
    /// Why.
    pub reason: String,
    /// When it was recorded.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub recorded_at: Timestamp,
    /// Who recorded it.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub recorded_by: Arc<str>,
    /// Where it came from.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub source: Arc<str>,
}

impl From<&Retraction> for RetractionRecord {
    fn from(r: &Retraction) -> Self {
        Self {
            id: r.id,
            event_id: r.event_id,
            reason: r.reason.clone(),
            recorded_at: r.recorded_at,
            recorded_by: r.recorded_by.clone(),
            source: r.source.clone(),
        }
    }
}

/// A stored retraction with the event it retracts: the body of
/// `POST /api/v1/events/{id}/retract`, of the bus message and of a
/// `retraction` in the activity stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetractionResult {
    /// The retraction.
    #[serde(flatten)]
    pub retraction: RetractionRecord,
    /// The retracted event, as it reads now.
    pub event: EventRecord,
}

/// An event as the API, the feed and the bus show it: the stored fields,
/// the derived `was_in_state` and `changed`, and its retraction if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventRecord {
    /// Monotonic id.
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub id: EventId,
    /// The dist.
    pub dist: Dist,
    /// The release.
    pub release: Release,
    /// The state.
    pub state: State,
    /// Entered (`true`) or left (`false`).
    pub reached: bool,
    /// When it happened.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// When it was recorded.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub recorded_at: Timestamp,
    /// Who recorded it.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub recorded_by: Arc<str>,
    /// Where it came from: `api`, `web`, `import`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub source: Arc<str>,
    /// Optional note.
    pub note: Option<String>,
    /// Optional provenance link.
    pub link: Option<String>,
    /// Membership just before this event, at its own `at`.
    pub was_in_state: bool,
    /// `was_in_state != reached`.
    pub changed: bool,
    /// The retraction of this event, if it was retracted.
    pub retraction: Option<RetractionRecord>,
    /// The event this one corrects; absent for ordinary events, so the
    /// shape of those stays as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrects: Option<EventId>,
    /// The event that corrected this one, if it was corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_by: Option<EventId>,
}

impl EventRecord {
    /// The wire record of `event`, given what the log knows around it:
    /// membership just before it, its retraction and its correction. The
    /// log builds it from memory; the store builds the same inside the
    /// transaction that writes an event, for the message body.
    pub fn new(
        event: &Event,
        was_in_state: bool,
        retraction: Option<RetractionRecord>,
        corrected_by: Option<EventId>,
    ) -> Self {
        EventRecord {
            id: event.id,
            dist: event.dist.clone(),
            release: event.release.clone(),
            state: event.state.clone(),
            reached: event.reached,
            at: event.at,
            recorded_at: event.recorded_at,
            recorded_by: event.recorded_by.clone(),
            source: event.source.clone(),
            note: event.note.clone(),
            link: event.link.clone(),
            was_in_state,
            changed: was_in_state != event.reached,
            retraction,
            corrects: event.corrects,
            corrected_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        time::parse_timestamp("at", "2026-02-10T14:00:00Z").unwrap()
    }

    fn input() -> EventInput {
        EventInput {
            dist: Some("fedora".into()),
            release: Some("44".into()),
            state: Some("branched".into()),
            reached: Some(true),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_at_to_now_and_drops_empty_texts() {
        let e = EventInput { note: Some(String::new()), ..input() }.validate(now()).unwrap();
        assert_eq!(e.at, now());
        assert_eq!(e.note, None);
    }

    #[test]
    fn missing_fields_are_named() {
        let e = EventInput { state: None, ..input() }.validate(now()).unwrap_err();
        assert_eq!(e.field, "state");
        let e = EventInput { reached: None, ..input() }.validate(now()).unwrap_err();
        assert_eq!(e.field, "reached");
    }

    #[test]
    fn future_is_refused_but_small_skew_is_not() {
        let soon = EventInput { at: Some("2026-02-10T14:04:59Z".into()), ..input() };
        assert!(soon.validate(now()).is_ok());
        let later = EventInput { at: Some("2026-02-10T14:05:01Z".into()), ..input() };
        assert_eq!(later.validate(now()).unwrap_err().field, "at");
        let past = EventInput { at: Some("2001-01-01T00:00:00Z".into()), ..input() };
        assert!(past.validate(now()).is_ok());
    }

    #[test]
    fn bad_link_and_unknown_fields() {
        let e = EventInput { link: Some("javascript:x".into()), ..input() }.validate(now());
        assert_eq!(e.unwrap_err().field, "link");
        assert!(serde_json::from_str::<EventInput>(r#"{"dist":"f","colour":1}"#).is_err());
    }

    #[test]
    fn retraction_needs_a_reason() {
        assert_eq!(NewRetraction::parse(None).unwrap_err().field, "reason");
        assert!(NewRetraction::parse(Some("")).is_err());
        assert!(NewRetraction::parse(Some("typo")).is_ok());
    }
}
