//! `EventLog`: the in-memory projection of the append-only log. It holds
//! every event and retraction in id order and one membership timeline per
//! (dist, release, state), so views and log pages need no database.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::event::{Event, EventId, EventRecord, Retraction, RetractionRecord};
use super::membership::{Entry, Timeline};
use super::name::{Dist, Release, State};
use super::plans::{Plan, PlanLog, PlanOutOfOrder};
use super::properties::{OutOfOrder, PropertyChange, PropertyLog};
use super::time::Timestamp;

/// Timelines of one dist, releases in natural order, states alphabetical.
pub(crate) type DistIndex = BTreeMap<Release, BTreeMap<State, Timeline>>;

/// Why the projection refused to apply a record. These mean the stored log
/// is inconsistent (or was fed out of order), never bad client input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// Events must arrive in increasing id order.
    #[error("event {0} arrived after event {1}")]
    OutOfOrder(EventId, EventId),
    /// A retraction names an event the log does not have.
    #[error("retraction {0} names unknown event {1}")]
    UnknownEvent(i64, EventId),
    /// An event can be retracted once.
    #[error("event {0} is already retracted")]
    AlreadyRetracted(EventId),
}

/// Filters and cursor of a log page (`GET /api/v1/events`).
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// Only this dist.
    pub dist: Option<Dist>,
    /// Only this release.
    pub release: Option<Release>,
    /// Only this state.
    pub state: Option<State>,
    /// Only events with `at >= since`.
    pub since: Option<Timestamp>,
    /// Only events with `at <= until`.
    pub until: Option<Timestamp>,
    /// Only ids below this (newest-first paging).
    pub before_id: Option<EventId>,
    /// Only ids above this; turns the page into oldest-first (change feed).
    pub after_id: Option<EventId>,
    /// Page size.
    pub limit: usize,
}

impl LogQuery {
    /// Whether `event` passes the filters (`dist`, `release`, `state`,
    /// `since`, `until`); the cursor and the limit are not filters.
    pub fn matches(&self, e: &Event) -> bool {
        self.dist.as_ref().is_none_or(|d| &e.dist == d)
            && self.release.as_ref().is_none_or(|r| &e.release == r)
            && self.state.as_ref().is_none_or(|s| &e.state == s)
            && self.since.is_none_or(|t| e.at >= t)
            && self.until.is_none_or(|t| e.at <= t)
    }
}

/// Something that was recorded in the log: an event, or the retraction
/// of one. The Atom feed lists both, newest first.
#[derive(Debug, Clone)]
pub enum Activity {
    /// An event was recorded.
    Event(EventRecord),
    /// An event was retracted.
    Retraction {
        /// The retraction.
        retraction: RetractionRecord,
        /// The event it retracts, as it reads now.
        event: EventRecord,
    },
}

impl Activity {
    /// When it was recorded.
    pub fn recorded_at(&self) -> Timestamp {
        match self {
            Self::Event(e) => e.recorded_at,
            Self::Retraction { retraction, .. } => retraction.recorded_at,
        }
    }

    /// Orders newest first: by recording time, then a retraction after the
    /// event it retracts (it can share its instant), then by id.
    fn newest_first_key(&self) -> (Timestamp, u8, i64) {
        match self {
            Self::Event(e) => (e.recorded_at, 0, e.id),
            Self::Retraction { retraction, .. } => (retraction.recorded_at, 1, retraction.id),
        }
    }
}

/// One page of the log.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LogPage {
    /// The events, newest first (or oldest first with `after_id`).
    pub events: Vec<EventRecord>,
    /// Newest-first paging: the `before_id` of the next page, `null` at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub next_before_id: Option<EventId>,
    /// Change feed: the `after_id` to poll with next (the last id seen).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub next_after_id: Option<EventId>,
}

/// A dist with the releases and states it has ever had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DistSummary {
    /// The dist.
    pub dist: Dist,
    /// Its releases, in natural order.
    pub releases: Vec<Release>,
    /// Its states, alphabetical.
    pub states: Vec<State>,
}

/// The projection. Apply records in id order; ask anything.
#[derive(Debug, Default)]
pub struct EventLog {
    events: Vec<Event>,
    retractions: Vec<Retraction>,
    retraction_of: HashMap<EventId, usize>,
    corrected_by: HashMap<EventId, EventId>,
    pub(crate) dists: BTreeMap<Dist, DistIndex>,
    people: HashSet<Arc<str>>,
    version: u64,
    max_at: Option<Timestamp>,
    properties: PropertyLog,
    plans: PlanLog,
}

impl EventLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bumped by every applied record: equal versions mean equal answers.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The latest `at` of any event. While the clock is past it, answers
    /// for "now" only change when a record is applied.
    pub fn max_at(&self) -> Option<Timestamp> {
        self.max_at
    }

    /// The highest event id applied, 0 when empty.
    pub fn last_event_id(&self) -> EventId {
        self.events.last().map_or(0, |e| e.id)
    }

    /// The highest retraction id applied, 0 when none.
    pub fn last_retraction_id(&self) -> i64 {
        self.retractions.last().map_or(0, |r| r.id)
    }

    /// Number of events, retracted ones included.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    fn intern(&mut self, s: &Arc<str>) -> Arc<str> {
        if let Some(existing) = self.people.get(s) {
            return existing.clone();
        }
        self.people.insert(s.clone());
        s.clone()
    }

    /// Applies a stored event. Ids must increase.
    pub fn apply_event(&mut self, mut event: Event) -> Result<(), ApplyError> {
        let last = self.last_event_id();
        if event.id <= last {
            return Err(ApplyError::OutOfOrder(event.id, last));
        }
        event.recorded_by = self.intern(&event.recorded_by);
        event.source = self.intern(&event.source);
        // Share one allocation per distinct name across the whole log.
        if let Some((k, _)) = self.dists.get_key_value(&event.dist) {
            event.dist.intern_from(k);
        }
        let index = self.dists.entry(event.dist.clone()).or_default();
        if let Some((k, _)) = index.get_key_value(&event.release) {
            event.release.intern_from(k);
        }
        let states = index.entry(event.release.clone()).or_default();
        if let Some((k, _)) = states.get_key_value(&event.state) {
            event.state.intern_from(k);
        }
        states.entry(event.state.clone()).or_default().insert(Entry {
            at: event.at,
            id: event.id,
            reached: event.reached,
        });
        self.max_at = self.max_at.max(Some(event.at));
        if let Some(corrected) = event.corrects {
            self.corrected_by.insert(corrected, event.id);
        }
        self.events.push(event);
        self.version += 1;
        Ok(())
    }

    /// Applies a stored property change. Its ids must increase (a sequence
    /// of their own, apart from events).
    pub fn apply_property(&mut self, mut change: PropertyChange) -> Result<(), OutOfOrder> {
        change.recorded_by = self.intern(&change.recorded_by);
        change.source = self.intern(&change.source);
        self.properties.apply(change)?;
        self.version += 1;
        Ok(())
    }

    /// The properties of dists and releases.
    pub fn properties(&self) -> &PropertyLog {
        &self.properties
    }

    /// Applies a stored plan revision (ids increase, a sequence of their
    /// own). Plans never change what the log says happened.
    pub fn apply_plan(&mut self, mut plan: Plan) -> Result<(), PlanOutOfOrder> {
        plan.recorded_by = self.intern(&plan.recorded_by);
        plan.source = self.intern(&plan.source);
        self.plans.apply(plan)?;
        self.version += 1;
        Ok(())
    }

    /// The plans: every revision by transition key.
    pub fn plans(&self) -> &PlanLog {
        &self.plans
    }

    /// Applies a stored retraction: the event stops counting everywhere.
    pub fn apply_retraction(&mut self, mut retraction: Retraction) -> Result<(), ApplyError> {
        let Some(pos) = self.position(retraction.event_id) else {
            return Err(ApplyError::UnknownEvent(retraction.id, retraction.event_id));
        };
        if self.retraction_of.contains_key(&retraction.event_id) {
            return Err(ApplyError::AlreadyRetracted(retraction.event_id));
        }
        let event = &self.events[pos];
        if let Some(tl) = self
            .dists
            .get_mut(&event.dist)
            .and_then(|d| d.get_mut(&event.release))
            .and_then(|r| r.get_mut(&event.state))
        {
            tl.remove(event.at, event.id);
        }
        retraction.recorded_by = self.intern(&retraction.recorded_by);
        retraction.source = self.intern(&retraction.source);
        self.retraction_of.insert(retraction.event_id, self.retractions.len());
        self.retractions.push(retraction);
        self.version += 1;
        Ok(())
    }

    fn position(&self, id: EventId) -> Option<usize> {
        self.events.binary_search_by_key(&id, |e| e.id).ok()
    }

    pub(crate) fn timeline(&self, dist: &Dist, release: &Release, state: &State) -> Option<&Timeline> {
        self.dists.get(dist)?.get(release)?.get(state)
    }

    /// The stored event with this id.
    pub fn event(&self, id: EventId) -> Option<&Event> {
        self.position(id).map(|p| &self.events[p])
    }

    /// The retraction of this event, if any.
    pub fn retraction_of(&self, id: EventId) -> Option<&Retraction> {
        self.retraction_of.get(&id).map(|&i| &self.retractions[i])
    }

    /// The retraction with this retraction id.
    pub fn retraction(&self, id: i64) -> Option<&Retraction> {
        self.retractions.binary_search_by_key(&id, |r| r.id).ok().map(|p| &self.retractions[p])
    }

    /// Membership just before `event`, at its own `at`.
    pub fn was_in_state(&self, event: &Event) -> bool {
        self.timeline(&event.dist, &event.release, &event.state).is_some_and(|tl| tl.was_in_before(event.at, event.id))
    }

    /// The wire record of a stored event.
    pub fn record(&self, event: &Event) -> EventRecord {
        EventRecord::new(
            event,
            self.was_in_state(event),
            self.retraction_of(event.id).map(RetractionRecord::from),
            self.corrected_by.get(&event.id).copied(),
        )
    }

    /// The wire record of the event with this id.
    pub fn event_record(&self, id: EventId) -> Option<EventRecord> {
        self.event(id).map(|e| self.record(e))
    }

    /// Every stored event, in id order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Every stored retraction, in id order.
    pub fn retractions(&self) -> &[Retraction] {
        &self.retractions
    }

    /// A page of the log; see [`LogQuery`].
    pub fn query(&self, q: &LogQuery) -> LogPage {
        let matches = |e: &&Event| q.matches(e);
        let lo = q.after_id.map_or(0, |a| self.events.partition_point(|e| e.id <= a));
        let hi = q.before_id.map_or(self.events.len(), |b| self.events.partition_point(|e| e.id < b));
        let range = self.events.get(lo..hi.max(lo)).unwrap_or(&[]);
        let limit = q.limit.max(1);
        if let Some(after) = q.after_id {
            let picked: Vec<&Event> = range.iter().filter(matches).take(limit).collect();
            let next = picked.last().map_or(after, |e| e.id);
            LogPage {
                events: picked.into_iter().map(|e| self.record(e)).collect(),
                next_before_id: None,
                next_after_id: Some(next),
            }
        } else {
            let picked: Vec<&Event> = range.iter().rev().filter(matches).take(limit + 1).collect();
            let more = picked.len() > limit;
            let events: Vec<EventRecord> = picked.into_iter().take(limit).map(|e| self.record(e)).collect();
            let next = if more { events.last().map(|e| e.id) } else { None };
            LogPage { events, next_before_id: next, next_after_id: None }
        }
    }

    /// A page of the log in the order things happened: newest `at` first,
    /// and among events of one instant the later recorded first. The
    /// cursor `q.before_id` names the last event of the previous page (an
    /// event never moves, so its id says where the page ends); an unknown
    /// cursor answers an empty page. `q.after_id` is not used.
    ///
    /// One pass over the log keeps the `limit + 1` greatest keys, so a
    /// page costs O(n log limit) without a second index in memory.
    pub fn query_happened(&self, q: &LogQuery) -> LogPage {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let limit = q.limit.max(1);
        let below = match q.before_id {
            None => None,
            Some(id) => match self.event(id) {
                Some(e) => Some((e.at, e.id)),
                None => return LogPage { events: Vec::new(), next_before_id: None, next_after_id: None },
            },
        };
        // A min-heap of the greatest keys seen: its top is the one to drop.
        let mut heap: BinaryHeap<Reverse<(Timestamp, EventId, usize)>> = BinaryHeap::with_capacity(limit + 2);
        for (index, e) in self.events.iter().enumerate() {
            let key = (e.at, e.id);
            if below.is_some_and(|b| key >= b) || !q.matches(e) {
                continue;
            }
            if heap.len() <= limit {
                heap.push(Reverse((e.at, e.id, index)));
            } else if heap.peek().is_some_and(|Reverse(top)| (top.0, top.1) < key) {
                heap.pop();
                heap.push(Reverse((e.at, e.id, index)));
            }
        }
        let more = heap.len() > limit;
        // `into_sorted_vec` of `Reverse` keys is greatest key first.
        let events: Vec<EventRecord> = heap
            .into_sorted_vec()
            .into_iter()
            .take(limit)
            .filter_map(|Reverse((_, _, i))| self.events.get(i))
            .map(|e| self.record(e))
            .collect();
        let next = if more { events.last().map(|e| e.id) } else { None };
        LogPage { events, next_before_id: next, next_after_id: None }
    }

    /// The newest `q.limit` events and retractions whose event passes the
    /// filters of `q` (cursors are ignored), newest recorded first.
    pub fn activity(&self, q: &LogQuery) -> Vec<Activity> {
        let limit = q.limit.max(1);
        // Ids follow recording order, so the newest `limit` of each kind
        // hold the newest `limit` of both; the merge sorts them by time.
        let events =
            self.events.iter().rev().filter(|e| q.matches(e)).take(limit).map(|e| Activity::Event(self.record(e)));
        let retractions = self
            .retractions
            .iter()
            .rev()
            .filter_map(|r| self.event(r.event_id).filter(|e| q.matches(e)).map(|e| (r, e)))
            .take(limit)
            .map(|(r, e)| Activity::Retraction { retraction: RetractionRecord::from(r), event: self.record(e) });
        let mut all: Vec<Activity> = events.chain(retractions).collect();
        all.sort_by_key(|a| std::cmp::Reverse(a.newest_first_key()));
        all.truncate(limit);
        all
    }

    /// Every dist with all releases and states it has had.
    pub fn dists(&self) -> Vec<DistSummary> {
        self.dists
            .iter()
            .map(|(dist, index)| {
                let states: std::collections::BTreeSet<&State> = index.values().flat_map(|s| s.keys()).collect();
                DistSummary {
                    dist: dist.clone(),
                    releases: index.keys().cloned().collect(),
                    states: states.into_iter().cloned().collect(),
                }
            })
            .collect()
    }

    /// Whether this release of `dist` has any event.
    pub fn has_release(&self, dist: &Dist, release: &Release) -> bool {
        self.dists.get(dist).is_some_and(|d| d.contains_key(release))
    }

    /// Whether this dist has any event.
    pub fn has_dist(&self, dist: &Dist) -> bool {
        self.dists.contains_key(dist)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::fixtures::fedora_log;
    use crate::model::time::parse_timestamp;

    fn ids(activity: &[Activity]) -> Vec<String> {
        activity
            .iter()
            .map(|a| match a {
                Activity::Event(e) => format!("e{}", e.id),
                Activity::Retraction { retraction, event } => format!("r{}:{}", retraction.id, event.id),
            })
            .collect()
    }

    /// Pages in happened order, followed by their cursors, list every
    /// matching event once, newest `at` first, ties later-recorded first.
    #[test]
    fn happened_order_pages_through_every_event_by_instant() {
        // Recorded out of order, as imports and corrections are.
        let log = fedora_log(&[
            ("40", "stable", true, "2024-04-23T00:00:00Z"),
            ("39", "stable", true, "2023-11-07T00:00:00Z"),
            ("39", "stable", false, "2024-11-26T00:00:00Z"),
            ("39", "eol", true, "2024-11-26T00:00:00Z"),
            ("41", "stable", true, "2024-10-29T00:00:00Z"),
        ]);
        let mut seen = Vec::new();
        let mut before_id = None;
        loop {
            let page = log.query_happened(&LogQuery { before_id, limit: 2, ..Default::default() });
            assert!(page.events.len() <= 2);
            seen.extend(page.events.iter().map(|e| e.id));
            match page.next_before_id {
                Some(id) => before_id = Some(id),
                None => break,
            }
        }
        assert_eq!(seen, vec![4, 3, 5, 1, 2]);
        let only_stable = log.query_happened(&LogQuery {
            state: Some(State::parse("stable").unwrap()),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(only_stable.events.iter().map(|e| e.id).collect::<Vec<_>>(), vec![3, 5, 1, 2]);
        assert_eq!(only_stable.next_before_id, None);
        let unknown = log.query_happened(&LogQuery { before_id: Some(99), limit: 10, ..Default::default() });
        assert!(unknown.events.is_empty());
    }

    #[test]
    fn activity_merges_events_and_retractions_newest_first_with_filters() {
        let mut log = fedora_log(&[
            ("43", "branched", true, "2025-08-01T00:00:00Z"),
            ("44", "branched", true, "2026-02-10T14:00:00Z"),
            ("44", "beta-freeze", true, "2026-03-01T00:00:00Z"),
        ]);
        log.apply_retraction(Retraction {
            id: 1,
            event_id: 2,
            reason: "wrong day".into(),
            // Recorded between events 2 and 3.
            recorded_at: parse_timestamp("at", "2026-02-20T00:00:00Z").unwrap(),
            recorded_by: Arc::from("t"),
            source: Arc::from("api"),
        })
        .unwrap();
        let all = LogQuery { limit: 10, ..LogQuery::default() };
        assert_eq!(ids(&log.activity(&all)), ["e3", "r1:2", "e2", "e1"]);
        let two = LogQuery { limit: 2, ..LogQuery::default() };
        assert_eq!(ids(&log.activity(&two)), ["e3", "r1:2"]);
        let branched = LogQuery { state: Some(State::parse("branched").unwrap()), limit: 10, ..LogQuery::default() };
        assert_eq!(ids(&log.activity(&branched)), ["r1:2", "e2", "e1"]);
        let f43 = LogQuery { release: Some(Release::parse("43").unwrap()), limit: 10, ..LogQuery::default() };
        assert_eq!(ids(&log.activity(&f43)), ["e1"]);
        let Activity::Retraction { event, .. } = &log.activity(&branched)[0] else { panic!("a retraction first") };
        assert!(event.retraction.is_some(), "the retracted event reads as retracted");
    }
}
