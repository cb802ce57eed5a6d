//! Drop-in exports for consumers of older Fedora services: the release
//! aliases packit's `fedora-distro-aliases` derives from Bodhi, and the
//! collections list of the retired pkgdb that GNOME Software still reads.
//! Pure mapping from the log at an instant and a configured reading of
//! state names; the HTTP side lives in `server/src/api/compat.rs`.

use std::collections::{BTreeMap, BTreeSet};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::log::EventLog;
use super::name::{Dist, Release, State};
use super::time::Timestamp;

/// How the freeform states of the log map onto the fixed vocabularies of
/// Bodhi and pkgdb. Configuration, with Fedora's conventions as defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatMapping {
    /// The dist whose releases are Fedora's (`fedora`).
    pub fedora: Dist,
    /// The dist whose releases are EPEL's (`epel`).
    pub epel: Dist,
    /// States meaning "released and supported" (Bodhi `current`, pkgdb
    /// `Active`).
    pub stable: BTreeSet<State>,
    /// States meaning "not released yet" (Bodhi `pending`, pkgdb `Under
    /// Development`). They win over stable states: a release that is both
    /// `active` and `branched` is in development.
    pub development: BTreeSet<State>,
    /// Development states that Bodhi calls `frozen` rather than `pending`.
    /// A release in one of them counts as in development.
    pub frozen: BTreeSet<State>,
    /// States meaning "end of life" (Bodhi `archived`, pkgdb `EOL`).
    pub eol: BTreeSet<State>,
}

/// Parses a list of constant state names.
fn states(names: &[&str]) -> BTreeSet<State> {
    names.iter().filter_map(|n| State::parse(n).ok()).collect()
}

impl Default for CompatMapping {
    /// Fedora's conventions: what `import-history` records (`stable`,
    /// `eol`), DESIGN.md's vocabulary (`active`, `development`,
    /// `branched`) and Bodhi's own state names.
    fn default() -> Self {
        Self {
            fedora: Dist::parse("fedora").unwrap_or_else(|_| unreachable!("constant dist names are valid")),
            epel: Dist::parse("epel").unwrap_or_else(|_| unreachable!("constant dist names are valid")),
            stable: states(&["active", "current", "stable"]),
            development: states(&["branched", "development", "pending"]),
            frozen: states(&["beta-freeze", "final-freeze", "frozen"]),
            eol: states(&["archived", "eol"]),
        }
    }
}

/// Where a release stands, in Bodhi's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Not released yet (`pending`).
    Pending,
    /// Not released yet, in a freeze (`frozen`).
    Frozen,
    /// Released and supported (`current`).
    Current,
    /// End of life (`archived`).
    Archived,
}

impl Phase {
    /// Bodhi's name of the phase.
    pub fn bodhi(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Frozen => "frozen",
            Self::Current => "current",
            Self::Archived => "archived",
        }
    }

    /// pkgdb's collection status.
    pub fn pkgdb(self) -> &'static str {
        match self {
            Self::Pending | Self::Frozen => "Under Development",
            Self::Current => "Active",
            Self::Archived => "EOL",
        }
    }

    fn is_development(self) -> bool {
        matches!(self, Self::Pending | Self::Frozen)
    }
}

impl CompatMapping {
    /// The phase of a release in `states`, or `None` when none of them is
    /// mapped (such a release is left out of the exports).
    pub fn phase<'a>(&self, states: impl IntoIterator<Item = &'a State> + Clone) -> Option<Phase> {
        let any = |set: &BTreeSet<State>| states.clone().into_iter().any(|s| set.contains(s));
        if any(&self.frozen) {
            Some(Phase::Frozen)
        } else if any(&self.development) {
            Some(Phase::Pending)
        } else if any(&self.stable) {
            Some(Phase::Current)
        } else if any(&self.eol) {
            Some(Phase::Archived)
        } else {
            None
        }
    }
}

/// Which product a release belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Product {
    Fedora,
    Epel,
}

/// Rawhide's release id by convention (DESIGN.md §1).
pub const RAWHIDE: &str = "0";

/// A release of Fedora or EPEL with its phase at the instant asked about.
#[derive(Debug, Clone)]
struct Classified {
    product: Product,
    dist: Dist,
    release: Release,
    phase: Phase,
    /// A number even for Rawhide: the highest other Fedora release plus one.
    version_number: String,
    /// The number before the first dot of `version_number` (`10` for `10.1`).
    major: u64,
}

impl Classified {
    fn is_rawhide(&self) -> bool {
        self.product == Product::Fedora && self.release.as_str() == RAWHIDE
    }
}

/// Whether a release id is a version number (`"41"`, `"10.1"`): only those
/// have Bodhi and pkgdb counterparts (ELN and named streams do not).
pub fn is_numeric(release: &Release) -> bool {
    let text = release.as_str();
    !text.is_empty() && text.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// The numeric releases of `dist` that are in a mapped state at `at`,
/// ordered by version (Rawhide last).
fn classify(log: &EventLog, mapping: &CompatMapping, dist: &Dist, product: Product, at: Timestamp) -> Vec<Classified> {
    let Some(by_release) = log.states_by_release(dist, at) else {
        return Vec::new();
    };
    // Rawhide's number follows the newest numbered release known by then.
    let next_number = log
        .detailed(dist, at)
        .unwrap_or_default()
        .keys()
        .filter(|r| is_numeric(r) && r.as_str() != RAWHIDE)
        .filter_map(|r| r.as_str().split('.').next().and_then(|major| major.parse::<u64>().ok()))
        .max()
        .map_or(1, |n| n.saturating_add(1));
    let mut out: Vec<Classified> = by_release
        .iter()
        .filter(|(release, _)| is_numeric(release))
        .filter_map(|(release, states)| {
            let phase = mapping.phase(states.iter())?;
            let rawhide = product == Product::Fedora && release.as_str() == RAWHIDE;
            let version_number = if rawhide { next_number.to_string() } else { release.to_string() };
            // A major number beyond 64 bits names no Bodhi release: left out.
            let major = version_number.split('.').next()?.parse::<u64>().ok()?;
            Some(Classified { product, dist: dist.clone(), release: release.clone(), phase, version_number, major })
        })
        .collect();
    // Natural order of the releases, except that Rawhide is the newest.
    out.sort_by(|a, b| a.is_rawhide().cmp(&b.is_rawhide()).then_with(|| a.release.cmp(&b.release)));
    out
}

/// One release as `fedora-distro-aliases` describes it (its `Distro`
/// object: Bodhi's release fields plus `product`, `namever` and
/// `version_number`), with our own `dist` and `release` added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AliasRelease {
    /// Bodhi's release name: `F41`, `EPEL-9`; `Rawhide` for Rawhide.
    #[cfg_attr(feature = "ssr", schema(example = "F41"))]
    pub name: String,
    /// `Fedora 41`, `Fedora EPEL 9`, `Fedora Rawhide`.
    pub long_name: String,
    /// `41`, `10.1`; `rawhide` for Rawhide.
    pub version: String,
    /// The version as a number even for Rawhide (the newest numbered
    /// Fedora release known at that instant, plus one).
    pub version_number: String,
    /// Bodhi's state: `current` (stable), `pending` or `frozen` (in development).
    #[cfg_attr(feature = "ssr", schema(example = "current"))]
    pub state: String,
    /// The dist-git branch: `f41`, `epel9`, `rawhide`.
    pub branch: String,
    /// Bodhi's update id prefix: `FEDORA` or `FEDORA-EPEL`.
    pub id_prefix: String,
    /// `fedora` or `epel`.
    pub product: String,
    /// Name and version, as mock chroots start: `fedora-41`, `epel-9`, `fedora-rawhide`.
    #[cfg_attr(feature = "ssr", schema(example = "fedora-41"))]
    pub namever: String,
    /// The number before the first dot of `version_number`: `41`, `10`
    /// for EPEL `10.1`, Rawhide's number for Rawhide.
    #[cfg_attr(feature = "ssr", schema(example = 41))]
    pub major_version: u64,
    /// The dist of this release in releasetracker.
    pub dist: Dist,
    /// The release id in releasetracker (`"0"` for Rawhide).
    pub release: Release,
}

impl AliasRelease {
    /// `c` as the library describes it. `holds_major_branch`: `c` is the
    /// newest active EPEL release of its major version, whose dist-git
    /// branch is the bare major (`epel10`, as in Bodhi) while older minor
    /// versions keep `epel10.0`, `epel10.1`.
    fn of(c: &Classified, holds_major_branch: bool) -> Self {
        let v = c.release.as_str();
        let (name, long_name, version, branch, id_prefix, product, namever) = match c.product {
            Product::Fedora if c.is_rawhide() => (
                "Rawhide".to_owned(),
                "Fedora Rawhide".to_owned(),
                "rawhide".to_owned(),
                "rawhide".to_owned(),
                "FEDORA",
                "fedora",
                "fedora-rawhide".to_owned(),
            ),
            Product::Fedora => (
                format!("F{v}"),
                format!("Fedora {v}"),
                v.to_owned(),
                format!("f{v}"),
                "FEDORA",
                "fedora",
                format!("fedora-{v}"),
            ),
            Product::Epel => (
                format!("EPEL-{v}"),
                format!("Fedora EPEL {v}"),
                v.to_owned(),
                if holds_major_branch { format!("epel{}", c.major) } else { format!("epel{v}") },
                "FEDORA-EPEL",
                "epel",
                format!("epel-{v}"),
            ),
        };
        Self {
            name,
            long_name,
            version,
            version_number: c.version_number.clone(),
            state: c.phase.bodhi().to_owned(),
            branch,
            id_prefix: id_prefix.to_owned(),
            product: product.to_owned(),
            namever,
            major_version: c.major,
            dist: c.dist.clone(),
            release: c.release.clone(),
        }
    }
}

/// `GET /api/v1/compat/fedora-aliases`: the alias sets of
/// `fedora_distro_aliases.get_distro_aliases()` (version 1.8), each a list
/// of releases ordered by version (Rawhide last); besides the named ones,
/// `epel-{major}-all`, `epel-{major}-branched` and `epel-{major}` for each
/// EPEL major version from 10 on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FedoraAliases {
    /// Every Fedora release that is stable or in development.
    #[serde(rename = "fedora-all")]
    pub fedora_all: Vec<AliasRelease>,
    /// The stable Fedora releases.
    #[serde(rename = "fedora-stable")]
    pub fedora_stable: Vec<AliasRelease>,
    /// The Fedora releases in development, Rawhide included.
    #[serde(rename = "fedora-development")]
    pub fedora_development: Vec<AliasRelease>,
    /// The newest release that is not Rawhide: the branched one while
    /// there is one, else the newest stable (a list of at most one).
    #[serde(rename = "fedora-latest")]
    pub fedora_latest: Vec<AliasRelease>,
    /// The newest stable release (a list of at most one).
    #[serde(rename = "fedora-latest-stable")]
    pub fedora_latest_stable: Vec<AliasRelease>,
    /// Every release with its own dist-git branch: the stable ones and
    /// those in development except Rawhide.
    #[serde(rename = "fedora-branched")]
    pub fedora_branched: Vec<AliasRelease>,
    /// Every EPEL release that is stable or in development.
    #[serde(rename = "epel-all")]
    pub epel_all: Vec<AliasRelease>,
    /// `epel-{major}-all`, `epel-{major}-branched` and `epel-{major}` for
    /// each EPEL major version that has minor versions (10 and later).
    #[serde(flatten)]
    #[cfg_attr(feature = "ssr", schema(value_type = BTreeMap<String, Vec<AliasRelease>>))]
    pub epel_majors: EpelMajors,
}

/// The first EPEL major version with minor versions (`10.0`, `10.1`); the
/// library makes per-major aliases from there on, and so do we.
pub const FIRST_EPEL_MAJOR_WITH_MINORS: u64 = 10;

/// The aliases of one EPEL major version with minor versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpelMajorAliases {
    /// The major version (`10`).
    pub major: u64,
    /// `epel-{major}-all`: its active minor versions, by version.
    pub all: Vec<AliasRelease>,
    /// `epel-{major}-branched`: those with a branch of their own
    /// (`epel10.0`): every one but the newest.
    pub branched: Vec<AliasRelease>,
    /// `epel-{major}`: the one on the major's branch (`epel10`): the newest
    /// (a list of one).
    pub current: Vec<AliasRelease>,
}

/// The per-major EPEL aliases, by major version. Serialized as the
/// library's dictionary entries in its order: for each major,
/// `epel-{major}-all`, `epel-{major}-branched`, `epel-{major}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpelMajors(pub Vec<EpelMajorAliases>);

impl Serialize for EpelMajors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len() * 3))?;
        for m in &self.0 {
            map.serialize_entry(&format!("epel-{}-all", m.major), &m.all)?;
            map.serialize_entry(&format!("epel-{}-branched", m.major), &m.branched)?;
            map.serialize_entry(&format!("epel-{}", m.major), &m.current)?;
        }
        map.end()
    }
}

/// Groups the active EPEL releases (by version) of the majors that have
/// minor versions. Membership goes by branch, as in the library: a release
/// with a dot in its branch has branched off the major's branch.
fn epel_majors(epel_all: &[AliasRelease]) -> EpelMajors {
    let mut by_major: BTreeMap<u64, Vec<AliasRelease>> = BTreeMap::new();
    for r in epel_all.iter().filter(|r| r.major_version >= FIRST_EPEL_MAJOR_WITH_MINORS) {
        by_major.entry(r.major_version).or_default().push(r.clone());
    }
    EpelMajors(
        by_major
            .into_iter()
            .map(|(major, all)| {
                let (branched, current) = all.iter().cloned().partition(|r| r.branch.contains('.'));
                EpelMajorAliases { major, all, branched, current }
            })
            .collect(),
    )
}

/// The aliases as of `at`.
pub fn fedora_aliases(log: &EventLog, mapping: &CompatMapping, at: Timestamp) -> FedoraAliases {
    let active = |c: &&Classified| c.phase != Phase::Archived;
    let fedora = classify(log, mapping, &mapping.fedora, Product::Fedora, at);
    let epel = classify(log, mapping, &mapping.epel, Product::Epel, at);
    let pick = |filter: &dyn Fn(&Classified) -> bool| -> Vec<AliasRelease> {
        fedora.iter().filter(active).filter(|c| filter(c)).map(|c| AliasRelease::of(c, false)).collect()
    };
    let stable = pick(&|c| c.phase == Phase::Current);
    let branched_devel = pick(&|c| c.phase.is_development() && !c.is_rawhide());
    let latest = branched_devel.last().or(stable.last()).cloned().into_iter().collect();
    let latest_stable = stable.last().cloned().into_iter().collect();
    // Stable releases sort before those in development, as in Bodhi.
    let mut branched = stable.clone();
    branched.extend(branched_devel);
    // The newest active release of each EPEL major (the last one by
    // version) holds the major's branch: it is where new minor versions
    // are developed. Archived ones are not listed, so they cannot hold it.
    let epel: Vec<&Classified> = epel.iter().filter(active).collect();
    let newest_of_major: BTreeMap<u64, &Release> = epel.iter().map(|c| (c.major, &c.release)).collect();
    let epel_all: Vec<AliasRelease> =
        epel.iter().map(|c| AliasRelease::of(c, newest_of_major.get(&c.major) == Some(&&c.release))).collect();
    FedoraAliases {
        fedora_all: pick(&|_| true),
        fedora_development: pick(&|c| c.phase.is_development()),
        fedora_stable: stable,
        fedora_latest: latest,
        fedora_latest_stable: latest_stable,
        fedora_branched: branched,
        epel_majors: epel_majors(&epel_all),
        epel_all,
    }
}

/// One collection in the shape of pkgdb's `/api/collections/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PkgdbCollection {
    /// pkgdb allowed retiring packages only on branches in development.
    pub allow_retire: bool,
    /// The dist-git branch: `f41`, `epel9`, `rawhide`.
    pub branchname: String,
    /// The RPM dist tag: `.fc41`, `.el9`, `.el10_1`.
    pub dist_tag: String,
    /// The koji tag: `f41`, `epel9`, `rawhide`.
    pub koji_name: String,
    /// `Fedora` or `Fedora EPEL`; GNOME Software compares it with the
    /// `NAME` of os-release.
    #[cfg_attr(feature = "ssr", schema(example = "Fedora"))]
    pub name: String,
    /// `Active`, `Under Development` or `EOL`.
    #[cfg_attr(feature = "ssr", schema(example = "Active"))]
    pub status: String,
    /// `41`, `10.1`; `devel` for Rawhide (as pkgdb had it).
    pub version: String,
}

/// `GET /api/v1/compat/pkgdb-collections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PkgdbCollections {
    /// Fedora's collections by version (Rawhide last), then EPEL's.
    pub collections: Vec<PkgdbCollection>,
}

/// The collections as of `at`: every numbered Fedora and EPEL release in a
/// mapped state, EOL ones included (GNOME Software needs them to tell its
/// users that their release is no longer supported).
pub fn pkgdb_collections(log: &EventLog, mapping: &CompatMapping, at: Timestamp) -> PkgdbCollections {
    let fedora = classify(log, mapping, &mapping.fedora, Product::Fedora, at);
    let epel = classify(log, mapping, &mapping.epel, Product::Epel, at);
    let collections = fedora
        .iter()
        .chain(epel.iter())
        .map(|c| {
            let v = c.release.as_str();
            let (name, version, branch, dist_tag) = match c.product {
                Product::Fedora if c.is_rawhide() => {
                    ("Fedora", "devel".to_owned(), "rawhide".to_owned(), format!(".fc{}", c.version_number))
                }
                Product::Fedora => ("Fedora", v.to_owned(), format!("f{v}"), format!(".fc{v}")),
                // EPEL 10 minor versions tag as `.el10_1`.
                Product::Epel => {
                    ("Fedora EPEL", v.to_owned(), format!("epel{v}"), format!(".el{}", v.replace('.', "_")))
                }
            };
            PkgdbCollection {
                allow_retire: c.phase.is_development(),
                koji_name: branch.clone(),
                branchname: branch,
                dist_tag,
                name: name.to_owned(),
                status: c.phase.pkgdb().to_owned(),
                version,
            }
        })
        .collect();
    PkgdbCollections { collections }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::*;

    fn names(list: &[AliasRelease]) -> Vec<&str> {
        list.iter().map(|r| r.namever.as_str()).collect()
    }

    #[test]
    fn states_map_to_phases_with_development_first() {
        let m = CompatMapping::default();
        let s = |names: &[&str]| names.iter().map(|n| State::parse(n).unwrap()).collect::<Vec<_>>();
        assert_eq!(m.phase(&s(&["active", "branched"])), Some(Phase::Pending));
        assert_eq!(m.phase(&s(&["active", "beta-freeze", "branched"])), Some(Phase::Frozen));
        assert_eq!(m.phase(&s(&["stable"])), Some(Phase::Current));
        assert_eq!(m.phase(&s(&["eol"])), Some(Phase::Archived));
        assert_eq!(m.phase(&s(&["pre-beta"])), None);
    }

    #[test]
    fn numeric_releases_only() {
        for (id, numeric) in [("41", true), ("10.1", true), ("0", true), ("eln", false), ("10.", false), ("1a", false)]
        {
            assert_eq!(is_numeric(&Release::parse(id).unwrap()), numeric, "{id}");
        }
    }

    fn branching_window() -> EventLog {
        fedora_log(&[
            ("39", "stable", true, "2023-11-07T00:00:00Z"),
            ("39", "stable", false, "2024-11-26T00:00:00Z"),
            ("39", "eol", true, "2024-11-26T00:00:00Z"),
            ("40", "stable", true, "2024-04-23T00:00:00Z"),
            ("41", "stable", true, "2024-10-29T00:00:00Z"),
            ("0", "development", true, "2020-01-01T00:00:00Z"),
            ("42", "branched", true, "2025-02-04T00:00:00Z"),
            ("42", "beta-freeze", true, "2025-02-18T00:00:00Z"),
            ("eln", "development", true, "2020-01-01T00:00:00Z"),
        ])
    }

    #[test]
    fn aliases_follow_fedora_distro_aliases() {
        let log = branching_window();
        let at = crate::model::parse_at("2025-03-01").unwrap();
        let a = fedora_aliases(&log, &CompatMapping::default(), at);
        assert_eq!(names(&a.fedora_all), ["fedora-40", "fedora-41", "fedora-42", "fedora-rawhide"]);
        assert_eq!(names(&a.fedora_stable), ["fedora-40", "fedora-41"]);
        assert_eq!(names(&a.fedora_development), ["fedora-42", "fedora-rawhide"]);
        assert_eq!(names(&a.fedora_branched), ["fedora-40", "fedora-41", "fedora-42"]);
        assert_eq!(names(&a.fedora_latest), ["fedora-42"]);
        assert_eq!(names(&a.fedora_latest_stable), ["fedora-41"]);
        assert!(a.epel_all.is_empty());
        let rawhide = a.fedora_all.last().unwrap();
        assert_eq!((rawhide.version.as_str(), rawhide.version_number.as_str()), ("rawhide", "43"));
        assert_eq!((rawhide.branch.as_str(), rawhide.release.as_str()), ("rawhide", "0"));
        assert_eq!((rawhide.major_version, a.fedora_stable[1].major_version), (43, 41));
        assert_eq!(a.epel_majors, EpelMajors::default());
        assert_eq!(a.fedora_development[0].state, "frozen");
        assert_eq!(a.fedora_stable[0].name, "F40");

        // Before branching, the latest is the newest stable release.
        let a = fedora_aliases(&log, &CompatMapping::default(), crate::model::parse_at("2025-01-01").unwrap());
        assert_eq!(names(&a.fedora_latest), ["fedora-41"]);
        assert_eq!(names(&a.fedora_development), ["fedora-rawhide"]);
    }

    fn epel_at(events: &[(&str, &str, bool, &str)], at: &str) -> FedoraAliases {
        fedora_aliases(&dist_log("epel", events), &CompatMapping::default(), crate::model::parse_at(at).unwrap())
    }

    fn branches(list: &[AliasRelease]) -> Vec<&str> {
        list.iter().map(|r| r.branch.as_str()).collect()
    }

    #[test]
    fn the_newest_epel_minor_holds_the_major_branch() {
        // As in Bodhi after EPEL 10.2 was created: 10.0 and 10.1 have
        // branched off `epel10`, which now builds for 10.2.
        let a = epel_at(
            &[
                ("8", "stable", true, "2019-08-01T00:00:00Z"),
                ("9", "stable", true, "2022-06-01T00:00:00Z"),
                ("10.0", "stable", true, "2025-05-01T00:00:00Z"),
                ("10.1", "stable", true, "2025-11-01T00:00:00Z"),
                ("10.2", "stable", true, "2026-05-01T00:00:00Z"),
            ],
            "2026-06-01",
        );
        assert_eq!(names(&a.epel_all), ["epel-8", "epel-9", "epel-10.0", "epel-10.1", "epel-10.2"]);
        assert_eq!(branches(&a.epel_all), ["epel8", "epel9", "epel10.0", "epel10.1", "epel10"]);
        assert_eq!(a.epel_majors.0.len(), 1, "EPEL 8 and 9 have no minor versions");
        let ten = &a.epel_majors.0[0];
        assert_eq!(ten.major, 10);
        assert_eq!(names(&ten.all), ["epel-10.0", "epel-10.1", "epel-10.2"]);
        assert_eq!(names(&ten.branched), ["epel-10.0", "epel-10.1"]);
        assert_eq!(names(&ten.current), ["epel-10.2"]);
        let newest = &ten.current[0];
        assert_eq!(
            (newest.name.as_str(), newest.long_name.as_str(), newest.version.as_str(), newest.major_version),
            ("EPEL-10.2", "Fedora EPEL 10.2", "10.2", 10)
        );
        assert_eq!(a.epel_all[1].major_version, 9);

        // Half a year earlier, 10.1 was the newest and held `epel10`.
        let a = epel_at(
            &[
                ("10.0", "stable", true, "2025-05-01T00:00:00Z"),
                ("10.1", "stable", true, "2025-11-01T00:00:00Z"),
                ("10.2", "stable", true, "2026-05-01T00:00:00Z"),
            ],
            "2026-01-01",
        );
        assert_eq!(branches(&a.epel_all), ["epel10.0", "epel10"]);
        assert_eq!(names(&a.epel_majors.0[0].current), ["epel-10.1"]);
    }

    #[test]
    fn minors_in_development_and_at_end_of_life() {
        // 10.0 in development alone: it is on `epel10`, nothing branched.
        let a = epel_at(&[("10.0", "development", true, "2024-10-01T00:00:00Z")], "2024-11-01");
        assert_eq!(branches(&a.epel_all), ["epel10"]);
        assert_eq!(a.epel_all[0].state, "pending");
        let ten = &a.epel_majors.0[0];
        assert_eq!((names(&ten.all), names(&ten.current)), (vec!["epel-10.0"], vec!["epel-10.0"]));
        assert!(ten.branched.is_empty());

        // A minor at its end of life is in no alias and does not hold the
        // branch; a newer one in development does.
        let a = epel_at(
            &[
                ("10.0", "stable", true, "2025-05-01T00:00:00Z"),
                ("10.0", "stable", false, "2026-05-01T00:00:00Z"),
                ("10.0", "eol", true, "2026-05-01T00:00:00Z"),
                ("10.1", "stable", true, "2025-11-01T00:00:00Z"),
                ("10.2", "development", true, "2026-01-01T00:00:00Z"),
            ],
            "2026-06-01",
        );
        assert_eq!(names(&a.epel_all), ["epel-10.1", "epel-10.2"]);
        let ten = &a.epel_majors.0[0];
        assert_eq!(names(&ten.branched), ["epel-10.1"]);
        assert_eq!(names(&ten.current), ["epel-10.2"]);
        assert_eq!(ten.current[0].state, "pending");

        // No EPEL 10 yet: no per-major aliases at all.
        let a = epel_at(&[("9", "stable", true, "2022-06-01T00:00:00Z")], "2023-01-01");
        assert_eq!(a.epel_majors, EpelMajors::default());
        assert_eq!(branches(&a.epel_all), ["epel9"]);
    }

    #[test]
    fn majors_group_apart_and_serialize_in_the_library_order() {
        let a = epel_at(
            &[
                ("9", "stable", true, "2022-06-01T00:00:00Z"),
                ("10.1", "stable", true, "2025-11-01T00:00:00Z"),
                ("10.2", "stable", true, "2026-05-01T00:00:00Z"),
                ("11.0", "development", true, "2026-05-01T00:00:00Z"),
            ],
            "2026-06-01",
        );
        assert_eq!(branches(&a.epel_all), ["epel9", "epel10.1", "epel10", "epel11"]);
        let json = serde_json::to_string(&a).unwrap();
        let keys = [
            "fedora-all",
            "fedora-stable",
            "fedora-development",
            "fedora-latest",
            "fedora-latest-stable",
            "fedora-branched",
            "epel-all",
            "epel-10-all",
            "epel-10-branched",
            "epel-10",
            "epel-11-all",
            "epel-11-branched",
            "epel-11",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| json.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("no {k} in {json}")))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "keys out of order in {json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v.as_object().unwrap().len(), keys.len());
        assert_eq!(v["epel-11"][0]["namever"], "epel-11.0");
        assert_eq!(v["epel-11-branched"], serde_json::json!([]));
        assert_eq!(v["epel-10"][0]["major_version"], 10);
    }

    #[test]
    fn absurd_release_numbers_are_left_out_without_panicking() {
        let log = fedora_log(&[
            ("41", "stable", true, "2024-10-29T00:00:00Z"),
            ("18446744073709551615", "stable", true, "2024-10-29T00:00:00Z"),
            ("99999999999999999999999", "stable", true, "2024-10-29T00:00:00Z"),
            ("0", "development", true, "2020-01-01T00:00:00Z"),
        ]);
        let a = fedora_aliases(&log, &CompatMapping::default(), crate::model::parse_at("2025-01-01").unwrap());
        // u64::MAX itself fits (one more does not: left out), and Rawhide's
        // number saturates there instead of overflowing.
        assert_eq!(names(&a.fedora_stable), ["fedora-41", "fedora-18446744073709551615"]);
        assert_eq!(names(&a.fedora_development), ["fedora-rawhide"]);
        assert_eq!(a.fedora_development[0].major_version, u64::MAX);
    }

    #[test]
    fn pkgdb_lists_eol_too() {
        let log = branching_window();
        let c = pkgdb_collections(&log, &CompatMapping::default(), crate::model::parse_at("2025-03-01").unwrap());
        let rows: Vec<(&str, &str, &str)> =
            c.collections.iter().map(|c| (c.version.as_str(), c.status.as_str(), c.dist_tag.as_str())).collect();
        assert_eq!(
            rows,
            [
                ("39", "EOL", ".fc39"),
                ("40", "Active", ".fc40"),
                ("41", "Active", ".fc41"),
                ("42", "Under Development", ".fc42"),
                ("devel", "Under Development", ".fc43"),
            ]
        );
    }
}
