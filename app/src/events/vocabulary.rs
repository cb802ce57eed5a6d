//! The event log's filters as people type them: `Stable` for `stable`,
//! `F40` or `Fedora 40` for release `40`, `rawhide` for Fedora's `0`,
//! `beta freeze` for `beta-freeze`. Each typed value is matched against
//! the names the log holds; what matches nothing is reported with the
//! names that would. Pure.

use crate::matrix::data::state_label;
use crate::model::describe::release_label;
use crate::model::log::DistSummary;

/// A typed value the log does not know, with the names it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The parameter: `dist`, `release` or `state`.
    pub key: &'static str,
    /// What was typed.
    pub given: String,
    /// The names the log holds for this parameter (within the chosen dist).
    pub known: Vec<String>,
}

/// The filters' text, in the log's own spelling where it knows the name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spelled {
    /// `dist`, `release`, `state`, `since`, `until` with values; empty
    /// values are gone.
    pub pairs: Vec<(&'static str, String)>,
    /// Values that match nothing the log holds (kept as typed in `pairs`).
    pub unknown: Vec<Unknown>,
}

impl Spelled {
    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }
}

/// The known name that `typed` means, by the first rule that finds one:
/// the same text, the same text in any case, the same as people write
/// it (`label`), then without a leading word (`F40`, `Fedora 40`).
fn find<'a>(typed: &str, names: &'a [String], label: impl Fn(&str) -> String) -> Option<&'a String> {
    let typed = typed.trim();
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    names
        .iter()
        .find(|n| n.as_str() == typed)
        .or_else(|| names.iter().find(|n| same(n, typed)))
        .or_else(|| names.iter().find(|n| same(&label(n), typed)))
        .or_else(|| {
            let rest = typed.trim_start_matches(|c: char| c.is_alphabetic()).trim_start_matches([' ', '-', '_']);
            (rest.len() < typed.len() && rest.starts_with(|c: char| c.is_ascii_digit()))
                .then(|| names.iter().find(|n| same(n, rest)))
                .flatten()
        })
}

/// Respells the filters of `pairs` (a query string's, in order; the last
/// of a repeated key counts) against the dists the log holds. Keys other
/// than the five filters are not read.
pub fn respell<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>, dists: &[DistSummary]) -> Spelled {
    let mut typed: [Option<&str>; 5] = [None; 5];
    const KEYS: [&str; 5] = ["dist", "release", "state", "since", "until"];
    for (key, value) in pairs {
        if let Some(i) = KEYS.iter().position(|k| *k == key) {
            typed[i] = Some(value.trim()).filter(|v| !v.is_empty());
        }
    }
    let [dist, release, state, since, until] = typed;
    let mut out = Spelled::default();
    let dist_names: Vec<String> = dists.iter().map(|d| d.dist.to_string()).collect();
    let chosen = dist.and_then(|d| find(d, &dist_names, str::to_owned).cloned());
    if let Some(d) = dist {
        out.pairs.push(("dist", chosen.clone().unwrap_or_else(|| d.to_owned())));
        if chosen.is_none() {
            out.unknown.push(Unknown { key: "dist", given: d.to_owned(), known: dist_names.clone() });
        }
    }
    // Within the chosen dist when there is one, else across all.
    let scope: Vec<&DistSummary> =
        dists.iter().filter(|d| chosen.as_deref().is_none_or(|c| d.dist.as_str() == c)).collect();
    let mut names = |key: &'static str, typed: Option<&str>, known: Vec<String>, label: &dyn Fn(&str) -> String| {
        let Some(typed) = typed else { return };
        let mut known = known;
        known.dedup();
        match find(typed, &known, label) {
            Some(name) => out.pairs.push((key, name.clone())),
            None => {
                out.pairs.push((key, typed.to_owned()));
                out.unknown.push(Unknown { key, given: typed.to_owned(), known });
            }
        }
    };
    let mut releases: Vec<String> = Vec::new();
    for r in scope.iter().flat_map(|d| d.releases.iter()) {
        let r = r.to_string();
        if !releases.contains(&r) {
            releases.push(r);
        }
    }
    names("release", release, releases, &|r: &str| {
        crate::model::Release::parse(r).map(|r| release_label(&r)).unwrap_or_default()
    });
    let mut states: Vec<String> = scope.iter().flat_map(|d| d.states.iter().map(ToString::to_string)).collect();
    states.sort();
    names("state", state, states, &|s: &str| {
        crate::model::State::parse(s).map(|s| state_label(&s)).unwrap_or_default()
    });
    out.pairs.extend(since.map(|v| ("since", v.to_owned())));
    out.pairs.extend(until.map(|v| ("until", v.to_owned())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::dist_log;

    fn dists() -> Vec<DistSummary> {
        let mut fedora = dist_log(
            "fedora",
            &[
                ("40", "stable", true, "2024-04-23T00:00:00Z"),
                ("0", "rawhide", true, "2024-04-23T00:00:00Z"),
                ("41", "beta-freeze", true, "2024-09-01T00:00:00Z"),
            ],
        )
        .dists();
        fedora.extend(dist_log("ubuntu", &[("24.04", "stable", true, "2024-04-25T00:00:00Z")]).dists());
        fedora
    }

    fn spelled(query: &[(&str, &str)]) -> Spelled {
        respell(query.iter().copied(), &dists())
    }

    #[test]
    fn people_spelling_finds_the_log_names() {
        let s = spelled(&[("dist", "Fedora"), ("release", "F40"), ("state", "Stable"), ("since", "")]);
        assert_eq!(s.pairs, vec![("dist", "fedora".into()), ("release", "40".into()), ("state", "stable".into())]);
        assert!(s.unknown.is_empty());
        let s = spelled(&[("dist", "fedora"), ("release", "Fedora 40"), ("state", "beta freeze")]);
        assert_eq!(s.get("release"), Some("40"));
        assert_eq!(s.get("state"), Some("beta-freeze"));
        assert_eq!(spelled(&[("release", "rawhide")]).get("release"), Some("0"));
        assert_eq!(spelled(&[("release", "24.04")]).get("release"), Some("24.04"));
    }

    #[test]
    fn empty_values_are_dropped_and_bounds_kept() {
        let s = spelled(&[("dist", ""), ("release", " "), ("state", ""), ("since", "2021-01-01"), ("until", "")]);
        assert_eq!(s.pairs, vec![("since", "2021-01-01".into())]);
    }

    #[test]
    fn unknown_values_list_what_is_known_in_the_chosen_dist() {
        let s = spelled(&[("dist", "ubuntu"), ("release", "F40"), ("state", "frozen")]);
        assert_eq!(s.get("release"), Some("F40"), "kept as typed");
        assert_eq!(
            s.unknown,
            vec![
                Unknown { key: "release", given: "F40".into(), known: vec!["24.04".into()] },
                Unknown { key: "state", given: "frozen".into(), known: vec!["stable".into()] },
            ]
        );
        let s = spelled(&[("dist", "arch")]);
        assert_eq!(s.unknown[0].known, vec!["fedora".to_owned(), "ubuntu".to_owned()]);
    }

    #[test]
    fn a_letter_prefix_needs_digits_after_it() {
        // `stable` must not lose its letters and match something shorter.
        let s = spelled(&[("release", "rc")]);
        assert_eq!(s.unknown.len(), 1);
    }
}
