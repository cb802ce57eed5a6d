//! The state matrix of a dist at an instant: releases as rows (Rawhide on
//! top, then newest first), states as columns in the order releases go
//! through them, when each membership began, a one-line summary of now,
//! and the releases whose life has ended apart (the page folds them).
//! Pure; built from the `EventLog`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Dist, EventLog, Release, State, Timestamp};

/// The matrix of one dist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    /// The dist.
    pub dist: Dist,
    /// Columns: every state the dist's releases had by the instant, in
    /// lifecycle order ([`lifecycle_order`]).
    pub states: Vec<State>,
    /// Rows of releases in at least one state that has not ended (Rawhide
    /// first, then newest first).
    pub rows: Vec<MatrixRow>,
    /// Rows of releases whose every current state is an end
    /// ([`StateClass::Ended`]), or that are in none any more: newest first.
    pub ended: Vec<MatrixRow>,
    /// What is where now, and the last change.
    pub summary: Summary,
}

/// One release's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixRow {
    /// The release.
    pub release: Release,
    /// Its codename (a property), if it has one.
    #[serde(default)]
    pub codename: Option<String>,
    /// Whether it is a long-term support release (its `version` property
    /// says `LTS`, as distro-info's tables do).
    #[serde(default)]
    pub lts: bool,
    /// Per column: `Some(since)` when the release is in that state.
    pub cells: Vec<Option<Timestamp>>,
    /// Per column: the event that began the current stay, if in.
    #[serde(default)]
    pub entered_by: Vec<Option<i64>>,
}

/// What kind of stage a state is, for its colour, icon and legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StateClass {
    /// Before release: development, branched, beta, freezes, rawhide.
    Prerelease,
    /// Released and supported: stable, active, lts.
    Supported,
    /// The end: eol, archived, obsolete.
    Ended,
    /// Anything else.
    Other,
}

impl StateClass {
    /// The class of a state, by its name's words.
    pub fn of(state: &State) -> Self {
        let name = state.as_str().to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
        if has(&["eol", "end-of-life", "end of life", "archived", "obsolete", "unsupported", "retired", "dead"]) {
            StateClass::Ended
        } else if has(&["stable", "active", "supported", "lts", "released", "maintained", "esm", "security"]) {
            StateClass::Supported
        } else if has(&[
            "rawhide",
            "develop",
            "branch",
            "alpha",
            "beta",
            "rc",
            "freeze",
            "testing",
            "unstable",
            "preview",
            "experimental",
            "pre",
        ]) {
            StateClass::Prerelease
        } else {
            StateClass::Other
        }
    }

    /// The CSS class of cells in a state of this class.
    pub fn css(self) -> &'static str {
        match self {
            StateClass::Prerelease => "state-prerelease",
            StateClass::Supported => "state-supported",
            StateClass::Ended => "state-ended",
            StateClass::Other => "state-other",
        }
    }

    /// The icon of a cell (beside its date; the legend says what it means).
    pub fn icon(self) -> &'static str {
        match self {
            StateClass::Prerelease => "◐",
            StateClass::Supported => "●",
            StateClass::Ended => "○",
            StateClass::Other => "◆",
        }
    }

    /// The class in words, for the legend.
    pub fn label(self) -> &'static str {
        match self {
            StateClass::Prerelease => "before release",
            StateClass::Supported => "released, supported",
            StateClass::Ended => "end of life",
            StateClass::Other => "other",
        }
    }
}

/// A state's name for people: `beta-freeze` reads "beta freeze" (other
/// characters stay as they are: the name is the dist's own).
pub fn state_label(state: &State) -> String {
    state.as_str().replace('-', " ")
}

/// What is where now, and the last change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Per state that has not ended, in lifecycle order, the releases in
    /// it (newest first); states nobody is in are left out.
    pub now: Vec<(State, Vec<Release>)>,
    /// The latest transition by the instant: when, which release, which
    /// state, and whether it entered (or left) it.
    pub last_change: Option<(Timestamp, Release, State, bool)>,
}

/// The order releases go through `states`: each release's states ranked by
/// when it first entered them, averaged over the releases; ties by name.
pub fn lifecycle_order(detailed: &crate::model::views::Detailed, states: &[State]) -> Vec<State> {
    let mut ranks: BTreeMap<&State, (f64, u32)> = BTreeMap::new();
    for detail in detailed.values() {
        let mut firsts: Vec<(Timestamp, &State)> =
            detail.iter().filter_map(|(s, d)| d.history.first().map(|i| (i.entered, s))).collect();
        firsts.sort();
        let n = firsts.len().max(1) as f64;
        for (rank, (_, state)) in firsts.into_iter().enumerate() {
            let r = ranks.entry(state).or_insert((0.0, 0));
            // Normalised, so a release that went through few states weighs
            // like one that went through many.
            r.0 += rank as f64 / n;
            r.1 += 1;
        }
    }
    let mut out: Vec<State> = states.to_vec();
    let mean = |s: &State| ranks.get(s).map(|(sum, n)| sum / f64::from((*n).max(1))).unwrap_or(f64::MAX);
    out.sort_by(|a, b| mean(a).total_cmp(&mean(b)).then_with(|| a.cmp(b)));
    out
}

/// The dist property that sets its states' order by hand: names
/// separated by commas (`rawhide, branched, beta-freeze, stable, eol`).
pub const STATE_ORDER_KEY: &str = "state_order";

/// `states` (in lifecycle order) with those named in `order` first, in
/// its order; names the dist does not have are ignored, states it leaves
/// out follow in lifecycle order.
pub fn configured_order(order: &str, states: Vec<State>) -> Vec<State> {
    let mut out: Vec<State> = Vec::with_capacity(states.len());
    for name in order.split(',').map(str::trim) {
        if let Some(s) = states.iter().find(|s| s.as_str() == name) {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out.extend(states.into_iter().filter(|s| !out.contains(s)).collect::<Vec<_>>());
    out
}

/// The states of `dist` at `at` (every state its releases had, from
/// `detailed`), in lifecycle order or as its `state_order` property sets.
pub fn state_order(log: &EventLog, dist: &Dist, detailed: &crate::model::views::Detailed, at: Timestamp) -> Vec<State> {
    let mut states: Vec<State> = detailed.values().flat_map(|d| d.keys().cloned()).collect();
    states.sort();
    states.dedup();
    let states = lifecycle_order(detailed, &states);
    match log.properties().set_at(dist, None, at).get(STATE_ORDER_KEY) {
        Some(order) => configured_order(order, states),
        None => states,
    }
}

/// Builds the matrix of `dist` at `at`; `None` for an unknown dist.
pub fn matrix(log: &EventLog, dist: &Dist, at: Timestamp) -> Option<Matrix> {
    let detailed = log.detailed(dist, at)?;
    let states = state_order(log, dist, &detailed, at);
    let properties = log.properties();
    let mut rows: Vec<MatrixRow> = detailed
        .iter()
        .map(|(release, detail)| {
            let props = properties.set_at(dist, Some(release), at);
            MatrixRow {
                release: release.clone(),
                codename: props.get("codename").cloned(),
                lts: props.get("version").is_some_and(|v| v.ends_with("LTS")),
                cells: states.iter().map(|s| detail.get(s).filter(|d| d.is_in).and_then(|d| d.entered)).collect(),
                entered_by: states
                    .iter()
                    .map(|s| detail.get(s).filter(|d| d.is_in).and_then(|d| d.history.last()).map(|i| i.entered_by))
                    .collect(),
            }
        })
        .collect();
    rows.reverse();
    // Rawhide ("0") is the newest of all in practice, though it sorts first.
    if let Some(pos) = rows.iter().position(|r| r.release.as_str() == "0") {
        let rawhide = rows.remove(pos);
        rows.insert(0, rawhide);
    }
    let ended_row = |row: &MatrixRow| {
        !row.cells.iter().zip(&states).any(|(cell, state)| cell.is_some() && StateClass::of(state) != StateClass::Ended)
    };
    let (ended, rows): (Vec<MatrixRow>, Vec<MatrixRow>) = rows.into_iter().partition(ended_row);
    let now = states
        .iter()
        .enumerate()
        .filter(|(_, s)| StateClass::of(s) != StateClass::Ended)
        .map(|(i, s)| (s.clone(), rows.iter().filter(|r| r.cells[i].is_some()).map(|r| r.release.clone()).collect()))
        .filter(|(_, releases): &(State, Vec<Release>)| !releases.is_empty())
        .collect();
    let last_change = detailed
        .iter()
        .flat_map(|(release, detail)| {
            detail.iter().flat_map(move |(state, d)| {
                d.history.iter().flat_map(move |i| {
                    std::iter::once((i.entered, i.entered_by, release, state, true))
                        .chain(i.left.zip(i.left_by).map(|(t, by)| (t, by, release, state, false)))
                })
            })
        })
        .max_by_key(|(t, by, ..)| (*t, *by))
        .map(|(t, _, release, state, entered)| (t, release.clone(), state.clone(), entered));
    Some(Matrix { dist: dist.clone(), states, rows, ended, summary: Summary { now, last_change } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::fedora_log as log;
    use crate::model::time::parse_timestamp;

    fn at(s: &str) -> Timestamp {
        parse_timestamp("at", s).unwrap()
    }

    #[test]
    fn rawhide_on_top_then_newest_first_and_ended_apart() {
        let log = log(&[
            ("9", "stable", true, "2020-01-01T00:00:00Z"),
            ("0", "rawhide", true, "2020-01-01T00:00:00Z"),
            ("10", "stable", true, "2021-01-01T00:00:00Z"),
            ("9", "stable", false, "2021-06-01T00:00:00Z"),
            ("9", "eol", true, "2021-06-01T00:00:00Z"),
        ]);
        let dist = Dist::parse("fedora").unwrap();
        let m = matrix(&log, &dist, at("2022-01-01T00:00:00Z")).unwrap();
        let order: Vec<&str> = m.rows.iter().map(|r| r.release.as_str()).collect();
        assert_eq!(order, vec!["0", "10"]);
        let ended: Vec<&str> = m.ended.iter().map(|r| r.release.as_str()).collect();
        assert_eq!(ended, vec!["9"], "only at its end: folded");
        let eol = m.states.iter().position(|s| s.as_str() == "eol").unwrap();
        assert_eq!(m.ended[0].cells[eol], Some(at("2021-06-01T00:00:00Z")));
        assert_eq!(
            m.summary.last_change.as_ref().map(|c| (c.1.as_str(), c.2.as_str(), c.3)),
            Some(("9", "eol", true)),
            "the later-recorded of two at one instant"
        );
        let now: Vec<(&str, Vec<&str>)> =
            m.summary.now.iter().map(|(s, r)| (s.as_str(), r.iter().map(Release::as_str).collect())).collect();
        assert!(now.contains(&("stable", vec!["10"])) && now.contains(&("rawhide", vec!["0"])), "{now:?}");

        // Time travel: in 2020 only 9 and Rawhide existed, 9 was stable.
        let m = matrix(&log, &dist, at("2020-06-01T00:00:00Z")).unwrap();
        let order: Vec<&str> = m.rows.iter().map(|r| r.release.as_str()).collect();
        assert_eq!(order, vec!["0", "9"]);
        assert!(m.ended.is_empty());
    }

    #[test]
    fn states_come_in_the_order_releases_go_through_them() {
        let mut events = Vec::new();
        let days = ["01", "02", "03", "04", "05"];
        for (n, release) in ["40", "41", "42"].iter().enumerate() {
            for (i, state) in ["branched", "beta", "stable", "eol"].iter().enumerate() {
                events.push((*release, *state, true, format!("202{n}-01-{}T00:00:00Z", days[i])));
            }
        }
        let events: Vec<(&str, &str, bool, &str)> =
            events.iter().map(|(r, s, b, t)| (*r, *s, *b, t.as_str())).collect();
        let log = log(&events);
        let m = matrix(&log, &Dist::parse("fedora").unwrap(), at("2030-01-01T00:00:00Z")).unwrap();
        let states: Vec<&str> = m.states.iter().map(State::as_str).collect();
        assert_eq!(states, vec!["branched", "beta", "stable", "eol"], "not alphabetical");
    }

    #[test]
    fn a_dist_property_sets_the_order_by_hand() {
        let names = |v: &[State]| v.iter().map(State::as_str).map(str::to_owned).collect::<Vec<_>>();
        let states: Vec<State> =
            ["branched", "beta", "stable", "eol"].iter().map(|s| State::parse(s).unwrap()).collect();
        let ordered = configured_order(" stable , nosuch, branched", states);
        assert_eq!(names(&ordered), vec!["stable", "branched", "beta", "eol"]);
    }

    #[test]
    fn state_classes_follow_the_names() {
        let class = |s: &str| StateClass::of(&State::parse(s).unwrap());
        assert_eq!(class("eol"), StateClass::Ended);
        assert_eq!(class("stable"), StateClass::Supported);
        assert_eq!(class("lts"), StateClass::Supported);
        assert_eq!(class("beta-freeze"), StateClass::Prerelease);
        assert_eq!(class("rawhide"), StateClass::Prerelease);
        assert_eq!(class("development"), StateClass::Prerelease);
        assert_eq!(class("mystery"), StateClass::Other);
        assert_eq!(state_label(&State::parse("beta-freeze").unwrap()), "beta freeze");
    }
}
