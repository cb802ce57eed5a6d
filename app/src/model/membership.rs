//! Membership of one (dist, release, state): the non-retracted events in
//! `(at, id)` order, and what they say at any instant — in or not, and the
//! intervals spent in the state.

use serde::Serialize;

use super::event::EventId;
use super::time::{self, Timestamp};

/// One non-retracted event of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// When it happened.
    pub at: Timestamp,
    /// Its id, which breaks ties on `at`.
    pub id: EventId,
    /// Entered or left.
    pub reached: bool,
}

/// The events of one (dist, release, state), kept sorted by `(at, id)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    entries: Vec<Entry>,
}

/// A stretch of time spent in a state: entered by one event, left by a
/// later one (or still open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Interval {
    /// When the release entered the state.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub entered: Timestamp,
    /// The event that entered it.
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub entered_by: EventId,
    /// When it left, if it did (by the instant asked about).
    #[serde(serialize_with = "time::wire::option::serialize")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub left: Option<Timestamp>,
    /// The event that left it.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub left_by: Option<EventId>,
}

impl Timeline {
    /// Adds an event, keeping the order (backdated events land in place).
    pub fn insert(&mut self, entry: Entry) {
        let pos = self.entries.partition_point(|e| (e.at, e.id) < (entry.at, entry.id));
        self.entries.insert(pos, entry);
    }

    /// The events, in `(at, id)` order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Removes the event with this id (its retraction). Returns whether it
    /// was there.
    pub fn remove(&mut self, at: Timestamp, id: EventId) -> bool {
        let pos = self.entries.partition_point(|e| (e.at, e.id) < (at, id));
        if self.entries.get(pos).is_some_and(|e| e.id == id) {
            self.entries.remove(pos);
            true
        } else {
            false
        }
    }

    /// Whether the release is in the state at `t`: the last event with
    /// `at <= t` entered it.
    pub fn is_in(&self, t: Timestamp) -> bool {
        let pos = self.entries.partition_point(|e| e.at <= t);
        pos > 0 && self.entries[pos - 1].reached
    }

    /// Membership just before the event `(at, id)`: the last event ordered
    /// before it entered the state. Works for retracted events too, which
    /// are no longer in the timeline.
    pub fn was_in_before(&self, at: Timestamp, id: EventId) -> bool {
        let pos = self.entries.partition_point(|e| (e.at, e.id) < (at, id));
        pos > 0 && self.entries[pos - 1].reached
    }

    /// Whether any event happened at or before `t`.
    pub fn known_at(&self, t: Timestamp) -> bool {
        self.entries.first().is_some_and(|e| e.at <= t)
    }

    /// The intervals spent in the state as of `t`; an interval still open at
    /// `t` has no `left`. Repeated events (no change) are skipped.
    pub fn intervals(&self, t: Timestamp) -> Vec<Interval> {
        let mut out: Vec<Interval> = Vec::new();
        let mut inside = false;
        for e in self.entries.iter().take_while(|e| e.at <= t) {
            if e.reached && !inside {
                out.push(Interval { entered: e.at, entered_by: e.id, left: None, left_by: None });
            } else if !e.reached && inside {
                if let Some(open) = out.last_mut() {
                    open.left = Some(e.at);
                    open.left_by = Some(e.id);
                }
            }
            inside = e.reached;
        }
        out
    }

    /// Number of non-retracted events.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no non-retracted event is left.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        time::parse_timestamp("at", s).unwrap()
    }

    #[test]
    fn ties_on_at_are_broken_by_id() {
        let mut tl = Timeline::default();
        let at = t("2026-01-01T00:00:00Z");
        tl.insert(Entry { at, id: 2, reached: false });
        tl.insert(Entry { at, id: 1, reached: true });
        assert!(!tl.is_in(at), "id 2 (left) is the last at that instant");
        assert!(tl.was_in_before(at, 2));
        assert!(!tl.was_in_before(at, 1));
    }

    #[test]
    fn backdated_events_and_intervals() {
        let mut tl = Timeline::default();
        tl.insert(Entry { at: t("2026-03-01T00:00:00Z"), id: 1, reached: false });
        tl.insert(Entry { at: t("2026-01-01T00:00:00Z"), id: 2, reached: true });
        tl.insert(Entry { at: t("2026-02-01T00:00:00Z"), id: 3, reached: true });
        assert!(tl.is_in(t("2026-02-15T00:00:00Z")));
        assert!(!tl.is_in(t("2026-03-01T00:00:00Z")));
        let iv = tl.intervals(t("2027-01-01T00:00:00Z"));
        assert_eq!(iv.len(), 1);
        assert_eq!(iv[0].entered_by, 2);
        assert_eq!(iv[0].left_by, Some(1));
        let open = tl.intervals(t("2026-02-15T00:00:00Z"));
        assert_eq!(open[0].left, None);
        assert!(tl.remove(t("2026-01-01T00:00:00Z"), 2));
        assert!(!tl.remove(t("2026-01-01T00:00:00Z"), 2));
        assert_eq!(tl.intervals(t("2027-01-01T00:00:00Z"))[0].entered_by, 3);
    }
}
