//! The three views of a dist at any instant: states-by-release,
//! releases-by-state and detailed (with the intervals of each state).
//! Maps iterate releases naturally and states alphabetically, so equal
//! data serialises to byte-equal JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use super::log::EventLog;
use super::membership::{Interval, Timeline};
use super::name::{Dist, Release, State};
use super::time::{self, Timestamp};

/// `{"34": ["active", "branched"]}`: the states each release is in.
pub type StatesByRelease = BTreeMap<Release, Vec<State>>;
/// `{"branched": ["34"]}`: the releases in each state.
pub type ReleasesByState = BTreeMap<State, Vec<Release>>;
/// Per release, per state: the detail of membership.
pub type Detailed = BTreeMap<Release, ReleaseDetail>;
/// Per state: the detail of one release's membership.
pub type ReleaseDetail = BTreeMap<State, StateDetail>;

/// One release's membership of one state, as of an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StateDetail {
    /// Whether the release is in the state.
    #[serde(rename = "in")]
    pub is_in: bool,
    /// When it last entered the state, if ever.
    #[serde(serialize_with = "time::wire::option::serialize")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub entered: Option<Timestamp>,
    /// When it last left the state, if it is out after having been in.
    #[serde(serialize_with = "time::wire::option::serialize")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub left: Option<Timestamp>,
    /// Every stay in the state, oldest first.
    pub history: Vec<Interval>,
}

impl StateDetail {
    fn of(timeline: &Timeline, at: Timestamp) -> Self {
        let history = timeline.intervals(at);
        let last = history.last();
        Self { is_in: timeline.is_in(at), entered: last.map(|i| i.entered), left: last.and_then(|i| i.left), history }
    }
}

impl EventLog {
    /// The states each release of `dist` is in at `at`. Releases in no
    /// state are left out. `None` for a dist the log has never seen.
    pub fn states_by_release(&self, dist: &Dist, at: Timestamp) -> Option<StatesByRelease> {
        let index = self.dists.get(dist)?;
        let mut out = StatesByRelease::new();
        for (release, states) in index {
            let inside: Vec<State> = states.iter().filter(|(_, tl)| tl.is_in(at)).map(|(s, _)| s.clone()).collect();
            if !inside.is_empty() {
                out.insert(release.clone(), inside);
            }
        }
        Some(out)
    }

    /// The releases of `dist` in each state at `at`. States without a
    /// release are left out. `None` for an unknown dist.
    pub fn releases_by_state(&self, dist: &Dist, at: Timestamp) -> Option<ReleasesByState> {
        let index = self.dists.get(dist)?;
        let mut out = ReleasesByState::new();
        // Releases are visited in natural order, so each list comes out sorted.
        for (release, states) in index {
            for (state, tl) in states {
                if tl.is_in(at) {
                    out.entry(state.clone()).or_default().push(release.clone());
                }
            }
        }
        Some(out)
    }

    /// The detail of one release at `at`: every state it had an event for
    /// by then. `None` when the dist or release is unknown.
    pub fn release_detail(&self, dist: &Dist, release: &Release, at: Timestamp) -> Option<ReleaseDetail> {
        let states = self.dists.get(dist)?.get(release)?;
        Some(
            states
                .iter()
                .filter(|(_, tl)| tl.known_at(at))
                .map(|(s, tl)| (s.clone(), StateDetail::of(tl, at)))
                .collect(),
        )
    }

    /// As [`Self::detailed`], narrowed to one state: every release of
    /// `dist` that had an event for `state` by `at`, with that state alone.
    /// Costs only what it answers, so a script asking for, say, every
    /// release's `eol` need not have the whole view built.
    pub fn detailed_in(&self, dist: &Dist, state: &State, at: Timestamp) -> Option<Detailed> {
        let index = self.dists.get(dist)?;
        Some(
            index
                .iter()
                .filter_map(|(release, states)| {
                    let timeline = states.get(state).filter(|tl| tl.known_at(at))?;
                    Some((release.clone(), ReleaseDetail::from([(state.clone(), StateDetail::of(timeline, at))])))
                })
                .collect(),
        )
    }

    /// The detail of every release of `dist` that had an event by `at`.
    pub fn detailed(&self, dist: &Dist, at: Timestamp) -> Option<Detailed> {
        let index = self.dists.get(dist)?;
        let mut out = Detailed::new();
        for release in index.keys() {
            if let Some(detail) = self.release_detail(dist, release, at) {
                if !detail.is_empty() {
                    out.insert(release.clone(), detail);
                }
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests;
