//! The rows of Debian's distro-info-data format (`version,codename,series,
//! created,release,eol`) computed from the log and the properties, and the
//! configuration mapping its date columns to states. Writing the CSV is
//! the server's job; this is the pure part.

use std::collections::{BTreeMap, BTreeSet};

use super::log::EventLog;
use super::name::{Dist, Release, State, ValidationError};
use super::plans::TransitionKey;
use super::time::Timestamp;

/// The header of the export, in distro-info-data's order.
pub const COLUMNS: [&str; 6] = ["version", "codename", "series", "created", "release", "eol"];

/// The later support phases distro-info-data knows (Debian: `eol-lts`,
/// `eol-elts`; Ubuntu: `eol-server`, `eol-esm`, `eol-legacy`), in the
/// order they follow `eol`. Each is recorded as entering a state of the
/// same name (`import-history`) and exported as the column of that name
/// when some release of the dist has it.
pub const PHASE_COLUMNS: [&str; 5] = ["eol-lts", "eol-elts", "eol-server", "eol-esm", "eol-legacy"];

/// Which state each date column reports: the date a release first
/// entered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateStates {
    /// `created`: default `development`.
    pub created: State,
    /// `release`: default `stable`.
    pub release: State,
    /// `eol`: default `eol`.
    pub eol: State,
    /// The unnumbered releases that end the table, in this order (default
    /// `sid`, `experimental`, as distro-info expects). Numbered releases
    /// come first in natural order, other unnumbered ones between.
    pub last: Vec<Release>,
}

fn state(name: &str) -> State {
    State::parse(name).unwrap_or_else(|_| unreachable!("constant state names are valid"))
}

impl Default for DateStates {
    /// The states `import-history` produces from distro-info-data, so an
    /// import followed by an export gives the source dates back.
    fn default() -> Self {
        let release = |name: &str| Release::parse(name).unwrap_or_else(|_| unreachable!("constant names are valid"));
        Self {
            created: state("development"),
            release: state("stable"),
            eol: state("eol"),
            last: vec![release("sid"), release("experimental")],
        }
    }
}

/// The mapping of every dist: defaults, overridden per dist and column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistroInfoConfig {
    per_dist: BTreeMap<Dist, DateStates>,
}

impl DistroInfoConfig {
    /// Parses `DIST.COLUMN=STATE` entries separated by commas, e.g.
    /// `debian.release=released,ubuntu.eol=end-of-life`; an empty text
    /// keeps the defaults. COLUMN is `created`, `release` or `eol`; and
    /// `DIST.last=REL+REL` sets the unnumbered releases that end the table
    /// (`debian.last=sid+experimental`, the default; empty: none).
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let field = "distro_info_states";
        let mut out = Self::default();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = |why: &str| ValidationError::new(field, format!("`{entry}`: {why}"));
            let (target, state_name) = entry.split_once('=').ok_or_else(|| bad("expected DIST.COLUMN=STATE"))?;
            let (dist, column) = target.rsplit_once('.').ok_or_else(|| bad("expected DIST.COLUMN=STATE"))?;
            let dist = Dist::parse(dist).map_err(|e| bad(&e.to_string()))?;
            if column == "last" {
                let releases = state_name.split('+').filter(|r| !r.is_empty()).map(Release::parse);
                let last = releases.collect::<Result<Vec<_>, _>>().map_err(|e| bad(&e.to_string()))?;
                out.per_dist.entry(dist).or_default().last = last;
                continue;
            }
            let state_name = State::parse(state_name).map_err(|e| bad(&e.to_string()))?;
            let states = out.per_dist.entry(dist).or_default();
            match column {
                "created" => states.created = state_name,
                "release" => states.release = state_name,
                "eol" => states.eol = state_name,
                _ => return Err(bad("the column must be created, release, eol or last")),
            }
        }
        Ok(out)
    }

    /// The mapping of one dist.
    pub fn states(&self, dist: &Dist) -> DateStates {
        self.per_dist.get(dist).cloned().unwrap_or_default()
    }
}

/// One row of the export; empty strings for what is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistroInfoRow {
    /// The `version` property.
    pub version: String,
    /// The `codename` property.
    pub codename: String,
    /// The `series` property.
    pub series: String,
    /// First entry into the `created` state, `YYYY-MM-DD` (UTC); while it
    /// lies ahead, the planned day.
    pub created: String,
    /// First entry into the `release` state.
    pub release: String,
    /// First entry into the `eol` state.
    pub eol: String,
    /// The later phases ([`PHASE_COLUMNS`] the dist has), in order.
    pub phases: Vec<String>,
}

impl DistroInfoRow {
    /// The six cells, in [`COLUMNS`] order.
    pub fn cells(&self) -> [&str; 6] {
        [&self.version, &self.codename, &self.series, &self.created, &self.release, &self.eol]
    }

    /// Every cell (the six, then the phases), without the empty ones at
    /// the end, as distro-info-data writes its rows.
    pub fn written_cells(&self) -> Vec<&str> {
        let mut cells: Vec<&str> = self.cells().into_iter().chain(self.phases.iter().map(String::as_str)).collect();
        while cells.last().is_some_and(|c| c.is_empty()) {
            cells.pop();
        }
        cells
    }
}

/// Where a release's row goes: numbered releases in natural order (what
/// the source tables do), then other unnumbered ones, then `last` in its
/// order — by default Debian's `sid` and `experimental`, as distro-info
/// expects (it reads the second-to-last development row as `devel`).
fn row_rank(release: &Release, last: &[Release]) -> usize {
    match last.iter().position(|l| l == release) {
        Some(i) => 2 + i,
        None if release.as_str().starts_with(|c: char| c.is_ascii_digit()) => 0,
        None => 1,
    }
}

/// A cell as the CSV export writes it: a value that a spreadsheet would
/// take for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) gets a leading `'`, so opening the export runs
/// nothing. No real distro-info value starts so: dates, versions and
/// codenames pass unchanged.
pub fn inert_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

impl EventLog {
    /// The later-phase columns ([`PHASE_COLUMNS`]) that some release of
    /// `dist` has: a state of that name, entered or planned.
    pub fn distro_info_phases(&self, dist: &Dist) -> Vec<&'static str> {
        let index = self.dists.get(dist);
        PHASE_COLUMNS
            .into_iter()
            .filter(|column| {
                let Ok(state) = State::parse(column) else { return false };
                index.is_some_and(|releases| releases.values().any(|states| states.contains_key(&state)))
                    || self.plans().keys().any(|k| &k.dist == dist && k.state == state)
            })
            .collect()
    }

    /// The distro-info rows of `dist` as of `at`: one per release that had
    /// an event or a property by then, numbered ones in natural order,
    /// then `sid`, `experimental` (see `row_rank`). `None` when the dist
    /// has neither events nor properties.
    pub fn distro_info(&self, dist: &Dist, at: Timestamp, states: &DateStates) -> Option<Vec<DistroInfoRow>> {
        let index = self.dists.get(dist);
        let properties = self.properties();
        if index.is_none() && !properties.has_dist(dist) {
            return None;
        }
        let mut releases: BTreeSet<&Release> = properties.releases(dist).collect();
        if let Some(index) = index {
            releases.extend(index.iter().filter(|(_, s)| s.values().any(|tl| tl.known_at(at))).map(|(r, _)| r));
        }
        // The day it first entered the state; else, as distro-info-data
        // itself fills dates ahead, the day a plan (as recorded by `at`,
        // not cancelled) expects it.
        let first_entered = |release: &Release, state: &State| -> String {
            let actual = self.timeline(dist, release, state).and_then(|tl| tl.intervals(at).first().map(|i| i.entered));
            let planned = || {
                let key =
                    TransitionKey { dist: dist.clone(), release: release.clone(), state: state.clone(), reached: true };
                self.plans()
                    .history(&key)
                    .into_iter()
                    .rfind(|r| r.recorded_at <= at)
                    .filter(|r| !r.cancelled)
                    .map(|r| r.at)
            };
            actual.or_else(planned).map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()
        };
        let phases = self.distro_info_phases(dist);
        let mut releases: Vec<&Release> = releases.into_iter().collect();
        releases.sort_by_key(|r| row_rank(r, &states.last));
        let rows = releases
            .into_iter()
            .filter_map(|release| {
                let props = properties.set_at(dist, Some(release), at);
                let row = DistroInfoRow {
                    version: props.get("version").cloned().unwrap_or_default(),
                    codename: props.get("codename").cloned().unwrap_or_default(),
                    series: props.get("series").cloned().unwrap_or_default(),
                    created: first_entered(release, &states.created),
                    release: first_entered(release, &states.release),
                    eol: first_entered(release, &states.eol),
                    phases: phases
                        .iter()
                        .map(|c| State::parse(c).map(|s| first_entered(release, &s)).unwrap_or_default())
                        .collect(),
                };
                // A release known only by properties set later than `at`.
                (row.cells().iter().any(|c| !c.is_empty())).then_some(row)
            })
            .collect();
        Some(rows)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::fixtures::fedora_log;

    #[test]
    fn formulas_are_made_inert_and_real_values_pass() {
        for bad in ["=HYPERLINK(\"http://evil\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(inert_cell(bad), format!("'{bad}"));
        }
        for good in ["12", "Bookworm", "bookworm", "2023-06-10", "", "10.1", "Sid"] {
            assert_eq!(inert_cell(good), good);
        }
    }
    use crate::model::properties::PropertyChange;
    use crate::model::time::parse_timestamp;

    #[test]
    fn config_overrides_per_dist_and_column() {
        let config = DistroInfoConfig::parse("debian.release=released, my.dist.eol=gone").unwrap();
        let debian = config.states(&Dist::parse("debian").unwrap());
        assert_eq!(debian.release.as_str(), "released");
        assert_eq!(debian.created.as_str(), "development");
        assert_eq!(config.states(&Dist::parse("my.dist").unwrap()).eol.as_str(), "gone");
        assert_eq!(config.states(&Dist::parse("ubuntu").unwrap()), DateStates::default());
        assert_eq!(DistroInfoConfig::parse("").unwrap(), DistroInfoConfig::default());
        let order = DistroInfoConfig::parse("debian.last=experimental+sid,ubuntu.last=").unwrap();
        let names = |dist: &str| -> Vec<String> {
            order.states(&Dist::parse(dist).unwrap()).last.iter().map(ToString::to_string).collect()
        };
        assert_eq!(names("debian"), ["experimental", "sid"]);
        assert!(names("ubuntu").is_empty());
        assert_eq!(names("fedora"), ["sid", "experimental"], "the default");
        for bad in ["debian", "debian=stable", "debian.ga=stable", "debian.eol= x", ".eol=x", "debian.last=sid+ x"] {
            assert_eq!(DistroInfoConfig::parse(bad).unwrap_err().field, "distro_info_states", "{bad}");
        }
    }

    #[test]
    fn rows_use_first_entries_and_properties_as_of_the_instant() {
        let mut log = fedora_log(&[
            ("10", "development", true, "2019-01-01T10:00:00Z"),
            ("10", "development", false, "2020-01-01T00:00:00Z"),
            ("10", "stable", true, "2020-01-01T00:00:00Z"),
            ("9", "stable", true, "2018-01-01T00:00:00Z"),
            ("9", "development", true, "2017-05-01T00:00:00Z"),
            // Re-entering does not move the first date.
            ("9", "development", false, "2018-01-01T00:00:00Z"),
            ("9", "development", true, "2018-02-01T00:00:00Z"),
        ]);
        let at = |s: &str| parse_timestamp("at", s).unwrap();
        log.apply_property(PropertyChange {
            id: 1,
            dist: Dist::parse("fedora").unwrap(),
            release: Some(Release::parse("10").unwrap()),
            key: "codename".into(),
            value: Some("Ten, \"quoted\"".into()),
            at: at("2019-06-01T00:00:00Z"),
            recorded_at: at("2019-06-01T00:00:00Z"),
            recorded_by: Arc::from("me"),
            source: Arc::from("api"),
        })
        .unwrap();
        let fedora = Dist::parse("fedora").unwrap();
        let rows = log.distro_info(&fedora, at("2030-01-01T00:00:00Z"), &DateStates::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells(), ["", "", "", "2017-05-01", "2018-01-01", ""]);
        assert_eq!(rows[1].cells(), ["", "Ten, \"quoted\"", "", "2019-01-01", "2020-01-01", ""]);
        let past = log.distro_info(&fedora, at("2019-03-01T00:00:00Z"), &DateStates::default()).unwrap();
        assert_eq!(past[1].cells(), ["", "", "", "2019-01-01", "", ""]);
        let early = log.distro_info(&fedora, at("2017-01-01T00:00:00Z"), &DateStates::default()).unwrap();
        assert!(early.is_empty());
        assert!(log
            .distro_info(&Dist::parse("debian").unwrap(), at("2030-01-01T00:00:00Z"), &DateStates::default())
            .is_none());
    }

    #[test]
    fn rows_end_with_the_configured_unnumbered_releases() {
        // Each release's creation day tells its row.
        let log = fedora_log(&[
            ("experimental", "development", true, "1993-08-17T00:00:00Z"),
            ("sid", "development", true, "1993-08-16T00:00:00Z"),
            ("rawhide-next", "development", true, "1993-08-18T00:00:00Z"),
            ("10", "development", true, "2019-01-01T00:00:00Z"),
            ("9", "development", true, "2017-05-01T00:00:00Z"),
        ]);
        let fedora = Dist::parse("fedora").unwrap();
        let at = parse_timestamp("at", "2030-01-01T00:00:00Z").unwrap();
        let order = |states: &DateStates| -> Vec<String> {
            log.distro_info(&fedora, at, states).unwrap().iter().map(|r| r.created.clone()).collect()
        };
        // Natural order would put experimental before sid.
        assert_eq!(
            order(&DateStates::default()),
            ["2017-05-01", "2019-01-01", "1993-08-18", "1993-08-16", "1993-08-17"],
            "9, 10, rawhide-next, sid, experimental"
        );
        let config = DistroInfoConfig::parse("fedora.last=experimental+sid").unwrap();
        assert_eq!(
            order(&config.states(&fedora)),
            ["2017-05-01", "2019-01-01", "1993-08-18", "1993-08-17", "1993-08-16"],
            "9, 10, rawhide-next, experimental, sid"
        );
    }
}
