//! The activity of the log after a cursor: everything it records —
//! events, retractions, property changes and plan revisions — in the order
//! they were recorded, each with the cursor that resumes after it. What
//! `GET /api/v1/activity` pages through and `GET /api/v1/stream` pushes.
//!
//! The four kinds have id sequences of their own, so a cursor is the last
//! id seen of each (`E.R.P.L`); it only grows, one part per change. Since
//! every sequence is read in id order, a cursor misses and repeats
//! nothing, whatever order the kinds interleave in.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::event::{EventRecord, RetractionRecord, RetractionResult};
use super::log::{EventLog, LogQuery};
use super::name::{Dist, Release, State, ValidationError};
use super::plans::PlanRecord;
use super::properties::PropertyHistoryEntry;
use super::time::Timestamp;

/// Most records looked at (matching or not) for one page, so a narrow
/// filter over a long log answers promptly; the page then says `more`.
pub const MAX_SCANNED: usize = 100_000;

/// Where a reader of the activity stands: the last id it has seen of each
/// kind. Written `E.R.P.L` (events, retractions, properties, plans); `0`
/// is the beginning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Cursor {
    /// Last event id seen.
    pub events: i64,
    /// Last retraction id seen.
    pub retractions: i64,
    /// Last property change id seen.
    pub properties: i64,
    /// Last plan revision id seen.
    pub plans: i64,
}

impl Cursor {
    /// Reads a cursor as the API gives it out (`E.R.P.L`, or `0` for the
    /// beginning); `field` names the parameter in the error.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, ValidationError> {
        let refuse =
            || ValidationError::new(field, "must be a cursor from this API (four numbers joined by dots), or 0");
        if text == "0" {
            return Ok(Self::default());
        }
        let mut parts = text.split('.').map(|p| {
            // Digits only: no sign, no spaces, nothing an i64 cannot hold.
            if p.is_empty() || p.len() > 19 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(refuse());
            }
            p.parse::<i64>().map_err(|_| refuse())
        });
        let mut next = || parts.next().unwrap_or_else(|| Err(refuse()));
        let cursor = Self { events: next()?, retractions: next()?, properties: next()?, plans: next()? };
        match parts.next() {
            None => Ok(cursor),
            Some(_) => Err(refuse()),
        }
    }

    /// Whether `self` has seen everything `other` has (part by part).
    pub fn covers(&self, other: &Self) -> bool {
        self.events >= other.events
            && self.retractions >= other.retractions
            && self.properties >= other.properties
            && self.plans >= other.plans
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}.{}", self.events, self.retractions, self.properties, self.plans)
    }
}

impl FromStr for Cursor {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("after", s)
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A property change as the activity shows it: its history line with the
/// dist and release it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PropertyChangeRecord {
    /// The dist.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub dist: Dist,
    /// The release; `null` for a property of the dist itself.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub release: Option<Release>,
    /// The change, as `GET .../properties/history` lists it.
    #[serde(flatten)]
    pub change: PropertyHistoryEntry,
}

/// One thing the log recorded, with the JSON the API answers for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "data", rename_all = "lowercase")]
pub enum Change {
    /// An event was recorded (as `GET /api/v1/events/{id}` answers it).
    Event(EventRecord),
    /// An event was retracted (as the retraction's `POST` answered).
    Retraction(RetractionResult),
    /// A property of a dist or release changed.
    Property(PropertyChangeRecord),
    /// A plan revision was recorded (as `GET /api/v1/plans` lists it).
    Plan(PlanRecord),
}

impl Change {
    /// The kind, as the stream's `event:` field and `kind` name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Event(_) => "event",
            Self::Retraction(_) => "retraction",
            Self::Property(_) => "property",
            Self::Plan(_) => "plan",
        }
    }

    /// The JSON of the record alone (the stream's `data:`).
    pub fn data_json(&self) -> Result<String, serde_json::Error> {
        match self {
            Self::Event(r) => serde_json::to_string(r),
            Self::Retraction(r) => serde_json::to_string(r),
            Self::Property(r) => serde_json::to_string(r),
            Self::Plan(r) => serde_json::to_string(r),
        }
    }
}

/// One change and the cursor that resumes right after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityItem {
    /// Resume after this change with `?after=` (or `Last-Event-ID`).
    pub cursor: Cursor,
    /// What happened.
    #[serde(flatten)]
    pub change: Change,
}

/// A page of activity, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityPage {
    /// The changes that pass the filters.
    pub items: Vec<ActivityItem>,
    /// The cursor to poll with next: past everything looked at, the
    /// changes that did not pass the filters included.
    pub next_after: Cursor,
    /// Whether more is recorded already (poll again at once).
    pub more: bool,
}

/// The four kinds, in the order a tie on recording time is broken: a
/// retraction after the event it may retract (a correction records both
/// at one instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// An event.
    Event,
    /// A retraction.
    Retraction,
    /// A property change.
    Property,
    /// A plan revision.
    Plan,
}

impl ChangeKind {
    /// The kind as the stream's `event:` field and `kind` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Retraction => "retraction",
            Self::Property => "property",
            Self::Plan => "plan",
        }
    }
}

/// One recorded change by kind and id, without its record: what a reader
/// that encodes a change once for many streams keys it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChangeRef {
    /// Its kind.
    pub kind: ChangeKind,
    /// Its id, in the sequence of its kind.
    pub id: i64,
}

/// A page of activity as references: [`EventLog::activity_after`] without
/// building the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefPage {
    /// The changes that pass the filters, each with the cursor after it.
    pub items: Vec<(Cursor, ChangeRef)>,
    /// As [`ActivityPage::next_after`].
    pub next_after: Cursor,
    /// As [`ActivityPage::more`].
    pub more: bool,
}

impl EventLog {
    /// The cursor past everything applied so far.
    pub fn end_cursor(&self) -> Cursor {
        Cursor {
            events: self.last_event_id(),
            retractions: self.last_retraction_id(),
            properties: self.properties().last_id(),
            plans: self.plans().last_id(),
        }
    }

    /// Up to `limit` changes recorded after `after` that pass the filters
    /// of `q` (`dist`, `release`, `state`, `since`, `until`; cursors and
    /// the limit of `q` are ignored), oldest recorded first.
    ///
    /// A property change has no state: a `state` filter leaves them all
    /// out, and a `release` filter those of the dist itself. A retraction
    /// passes when its event does; a plan by its transition and date.
    pub fn activity_after(&self, after: Cursor, q: &LogQuery, limit: usize) -> ActivityPage {
        let RefPage { items, next_after, more } = self.activity_refs_after(after, q, limit);
        let items = items
            .into_iter()
            .filter_map(|(cursor, r)| Some(ActivityItem { cursor, change: self.change(r)? }))
            .collect();
        ActivityPage { items, next_after, more }
    }

    /// The change `r` refers to, as the API shows it now.
    pub fn change(&self, r: ChangeRef) -> Option<Change> {
        match r.kind {
            ChangeKind::Event => self.event_record(r.id).map(Change::Event),
            ChangeKind::Retraction => {
                let retraction = self.retraction(r.id)?;
                let event = self.event_record(retraction.event_id)?;
                Some(Change::Retraction(RetractionResult { retraction: RetractionRecord::from(retraction), event }))
            }
            ChangeKind::Property => self.properties().entry(r.id).map(|(c, change)| {
                Change::Property(PropertyChangeRecord { dist: c.dist.clone(), release: c.release.clone(), change })
            }),
            ChangeKind::Plan => self.plans().record(r.id).map(Change::Plan),
        }
    }

    /// [`Self::activity_after`] as references.
    pub fn activity_refs_after(&self, after: Cursor, q: &LogQuery, limit: usize) -> RefPage {
        let limit = limit.max(1);
        let events = &self.events()[self.events().partition_point(|e| e.id <= after.events)..];
        let retractions = &self.retractions()[self.retractions().partition_point(|r| r.id <= after.retractions)..];
        let changes = self.properties().changes();
        let properties = &changes[changes.partition_point(|c| c.id <= after.properties)..];
        let plans = &self.plans().all()[self.plans().all().partition_point(|p| p.id <= after.plans)..];
        let (mut e, mut r, mut p, mut l) = (0, 0, 0, 0);
        let mut cursor = after;
        let mut items = Vec::new();
        let mut scanned = 0;
        while items.len() < limit && scanned < MAX_SCANNED {
            let heads = [
                events.get(e).map(|x| (x.recorded_at, ChangeKind::Event, x.id)),
                retractions.get(r).map(|x| (x.recorded_at, ChangeKind::Retraction, x.id)),
                properties.get(p).map(|x| (x.recorded_at, ChangeKind::Property, x.id)),
                plans.get(l).map(|x| (x.recorded_at, ChangeKind::Plan, x.id)),
            ];
            let Some((_, kind, id)) = heads.into_iter().flatten().min() else { break };
            scanned += 1;
            let passed = match kind {
                ChangeKind::Event => {
                    let event = &events[e];
                    e += 1;
                    cursor.events = id;
                    passes(q, &event.dist, Some(&event.release), Some(&event.state), event.at)
                }
                ChangeKind::Retraction => {
                    let retraction = &retractions[r];
                    r += 1;
                    cursor.retractions = id;
                    self.event(retraction.event_id)
                        .is_some_and(|ev| passes(q, &ev.dist, Some(&ev.release), Some(&ev.state), ev.at))
                }
                ChangeKind::Property => {
                    let c = &properties[p];
                    p += 1;
                    cursor.properties = id;
                    passes(q, &c.dist, c.release.as_ref(), None, c.at)
                }
                ChangeKind::Plan => {
                    let plan = &plans[l];
                    l += 1;
                    cursor.plans = id;
                    let k = &plan.key;
                    passes(q, &k.dist, Some(&k.release), Some(&k.state), plan.at)
                }
            };
            if passed {
                items.push((cursor, ChangeRef { kind, id }));
            }
        }
        let more = e < events.len() || r < retractions.len() || p < properties.len() || l < plans.len();
        RefPage { items, next_after: cursor, more }
    }
}

/// Whether a record about `dist`/`release`/`state` taking effect `at`
/// passes the filters of `q`; a record without a release or state does
/// not pass a filter on it.
fn passes(q: &LogQuery, dist: &Dist, release: Option<&Release>, state: Option<&State>, at: Timestamp) -> bool {
    q.dist.as_ref().is_none_or(|d| d == dist)
        && q.release.as_ref().is_none_or(|want| release == Some(want))
        && q.state.as_ref().is_none_or(|want| state == Some(want))
        && q.since.is_none_or(|t| at >= t)
        && q.until.is_none_or(|t| at <= t)
}

#[cfg(test)]
mod tests;
