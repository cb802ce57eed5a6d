//! The AppStream export (`GET /api/v1/compat/appstream/{dist}.metainfo.xml`):
//! a dist as an AppStream `operating-system` component with one `<release>`
//! per release, what GNOME Software reads to offer upgrades and to warn of
//! an end of life. The dates are those of the endoflife.date export
//! ([`super::endoflife::cycles`]): actual where known, planned otherwise.
//! Pure: the XML itself is written by the server.

use std::collections::BTreeMap;

use super::compat::{is_numeric, CompatMapping, RAWHIDE};
use super::describe::{dist_title, release_label};
use super::endoflife::{cycles, day};
use super::name::{Dist, Release};
use super::properties::PropertySet;
use super::time::Timestamp;
use super::EventLog;

/// The dist properties that override the component's header fields, by
/// the AppStream element they fill.
pub const HEADER_PROPERTIES: [(&str, &str); 7] = [
    ("id", "appstream-id"),
    ("name", "appstream-name"),
    ("summary", "appstream-summary"),
    ("description", "appstream-description"),
    ("homepage", "appstream-homepage"),
    ("developer_name", "appstream-developer-name"),
    ("metadata_license", "appstream-metadata-license"),
];

/// The release property whose value becomes a release's `<description>`.
pub const RELEASE_DESCRIPTION_PROPERTY: &str = "appstream-description";

/// The metadata licence when neither a default nor a property names one:
/// the licence of Fedora's own file.
const DEFAULT_METADATA_LICENSE: &str = "MIT";

/// The component: its header and its releases, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metainfo {
    /// The component id (`org.fedoraproject.fedora`).
    pub id: String,
    /// `<name>`.
    pub name: String,
    /// `<summary>`.
    pub summary: String,
    /// One paragraph of `<description>`, if any.
    pub description: Option<String>,
    /// `<url type="homepage">`, if any.
    pub homepage: Option<String>,
    /// `<metadata_license>` (an SPDX expression).
    pub metadata_license: String,
    /// `<developer_name>`, if any.
    pub developer_name: Option<String>,
    /// The releases: Rawhide first, then by version, newest first.
    pub releases: Vec<MetainfoRelease>,
}

/// A `<release>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetainfoRelease {
    /// `version`: the release id, `Rawhide` for release `"0"`.
    pub version: String,
    /// `type`.
    pub kind: ReleaseType,
    /// `date`: when it was (or is planned to be) released, `YYYY-MM-DD`;
    /// for Rawhide, or a release in development whose release is not
    /// planned yet, the day it first entered any state. AppStream requires
    /// a date (Fedora's own file writes `date=""` for Rawhide, which
    /// `appstreamcli validate` refuses), so a release with none of these is
    /// left out.
    pub date: String,
    /// `date_eol`: when its life ends (or ended), actual else planned.
    pub date_eol: Option<String>,
    /// One paragraph of `<description>`, if any.
    pub description: Option<String>,
}

/// AppStream's release types that apply to a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseType {
    /// Released: it entered a stable state on or before the instant.
    Stable,
    /// Not released (yet), or Rawhide.
    Development,
}

impl ReleaseType {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::Development => "development",
        }
    }
}

/// The header fields Fedora's own file has (travier/fedora-appstream-metadata),
/// the defaults for the dist the compatibility mapping reads as Fedora.
fn fedora_defaults() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("id", "org.fedoraproject.fedora"),
        ("name", "Fedora Linux"),
        ("summary", "Fedora Linux distribution from the Fedora Project"),
        (
            "description",
            "Fedora creates an innovative, free, and open source platform for hardware, clouds, and \
             containers that enables software developers and community members to build tailored \
             solutions for their users.",
        ),
        ("homepage", "https://fedoraproject.org/"),
        ("developer_name", "The Fedora Project"),
        ("metadata_license", DEFAULT_METADATA_LICENSE),
    ])
}

/// Rawhide's description in Fedora's file.
const FEDORA_RAWHIDE: &str = "This is the current version for Rawhide, which is a continuous rolling development \
     branch. No releases are ever made directly from Rawhide, and it never freezes. There is no guarantee of \
     stability. Rawhide is intended for initial testing of the very latest code under active development.";

/// The header of `dist`: each field from its `appstream-*` dist property,
/// else Fedora's value (for the Fedora dist), else one derived from the
/// dist (`name` property or title, the dist name as id).
fn header(dist: &Dist, is_fedora: bool, properties: &PropertySet) -> BTreeMap<&'static str, String> {
    let defaults = if is_fedora { fedora_defaults() } else { BTreeMap::new() };
    let mut out: BTreeMap<&'static str, String> = HEADER_PROPERTIES
        .iter()
        .filter_map(|(field, key)| {
            let value = properties.get(*key).cloned().or_else(|| defaults.get(field).map(|v| (*v).to_owned()))?;
            Some((*field, value))
        })
        .collect();
    let name = out.get("name").cloned().or_else(|| properties.get("name").cloned()).unwrap_or_else(|| dist_title(dist));
    out.entry("id").or_insert_with(|| dist.to_string());
    out.entry("summary").or_insert_with(|| format!("{name} releases and their end of life"));
    out.entry("metadata_license").or_insert_with(|| DEFAULT_METADATA_LICENSE.to_owned());
    out.insert("name", name);
    out
}

/// The first time `release` entered any state, by `now`.
fn first_seen(log: &EventLog, dist: &Dist, release: &Release, now: Timestamp) -> Option<Timestamp> {
    log.release_detail(dist, release, now)?.values().filter_map(|d| d.history.first().map(|i| i.entered)).min()
}

/// The component of `dist` at `now`; `None` when the dist has neither
/// events nor plans. Only releases named by a version (`42`, `24.04`) and
/// Rawhide are listed: an AppStream release version is compared with
/// os-release's `VERSION_ID`, which `eln` or `sid` never is.
pub fn metainfo(log: &EventLog, dist: &Dist, mapping: &CompatMapping, now: Timestamp) -> Option<Metainfo> {
    let cycles = cycles(log, dist, mapping, now)?;
    let is_fedora = dist == &mapping.fedora;
    let mut header = header(dist, is_fedora, &log.properties().set_at(dist, None, now));
    let mut take = |field: &str| header.remove(field);
    let mut releases: Vec<MetainfoRelease> = cycles
        .into_iter()
        .filter(|c| is_numeric(&c.release))
        .filter_map(|c| {
            let rawhide = c.release.as_str() == RAWHIDE;
            // Rawhide is never released: a stable entry would be a mistake.
            let released = c.released.filter(|_| !rawhide);
            let date = released.or_else(|| first_seen(log, dist, &c.release, now))?;
            let description = c
                .properties
                .get(RELEASE_DESCRIPTION_PROPERTY)
                .cloned()
                .or_else(|| (rawhide && is_fedora).then(|| FEDORA_RAWHIDE.to_owned()));
            Some(MetainfoRelease {
                version: release_label(&c.release),
                kind: if released.is_some_and(|t| t <= now) { ReleaseType::Stable } else { ReleaseType::Development },
                date: day(&date),
                date_eol: c.eol.as_ref().filter(|_| !rawhide).map(day),
                description,
            })
        })
        .collect();
    // Newest first, as in Fedora's file: Rawhide, then the versions.
    releases.sort_by_key(|r| r.version != "Rawhide");
    Some(Metainfo {
        id: take("id").unwrap_or_default(),
        name: take("name").unwrap_or_default(),
        summary: take("summary").unwrap_or_default(),
        description: take("description"),
        homepage: take("homepage"),
        metadata_license: take("metadata_license").unwrap_or_default(),
        developer_name: take("developer_name"),
        releases,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::fixtures::{dist_log, fedora_log};
    use crate::model::plans::{Plan, TransitionKey};
    use crate::model::time::parse_timestamp;
    use crate::model::{PropertyChange, Release, State};

    fn t(s: &str) -> Timestamp {
        parse_timestamp("at", s).unwrap()
    }

    fn plan(log: &mut EventLog, id: i64, dist: &str, release: &str, state: &str, at: &str) {
        log.apply_plan(Plan {
            id,
            key: TransitionKey {
                dist: Dist::parse(dist).unwrap(),
                release: Release::parse(release).unwrap(),
                state: State::parse(state).unwrap(),
                reached: true,
            },
            at: t(at),
            cancelled: false,
            note: None,
            link: None,
            recorded_at: t("2025-01-01T00:00:00Z"),
            recorded_by: Arc::from("releng"),
            source: Arc::from("import"),
        })
        .unwrap();
    }

    fn property(log: &mut EventLog, id: i64, dist: &str, release: Option<&str>, key: &str, value: &str) {
        log.apply_property(PropertyChange {
            id,
            dist: Dist::parse(dist).unwrap(),
            release: release.map(|r| Release::parse(r).unwrap()),
            key: key.to_owned(),
            value: Some(value.to_owned()),
            at: t("2000-01-01T00:00:00Z"),
            recorded_at: t("2000-01-01T00:00:00Z"),
            recorded_by: Arc::from("editor"),
            source: Arc::from("api"),
        })
        .unwrap();
    }

    fn rows(m: &Metainfo) -> Vec<(&str, &str, &str, Option<&str>)> {
        m.releases
            .iter()
            .map(|r| (r.version.as_str(), r.kind.as_str(), r.date.as_str(), r.date_eol.as_deref()))
            .collect()
    }

    #[test]
    fn fedora_releases_newest_first_with_actual_then_planned_dates() {
        let mut log = fedora_log(&[
            ("0", "development", true, "2003-01-01T00:00:00Z"),
            ("41", "stable", true, "2024-10-29T00:00:00Z"),
            ("41", "stable", false, "2025-12-15T00:00:00Z"),
            ("41", "eol", true, "2025-12-15T00:00:00Z"),
            ("42", "stable", true, "2025-04-15T00:00:00Z"),
            ("43", "branched", true, "2025-08-12T00:00:00Z"),
            ("eln", "development", true, "2020-01-01T00:00:00Z"),
        ]);
        // 41's EOL was planned for a day before the one it happened on.
        plan(&mut log, 1, "fedora", "41", "eol", "2025-11-19T00:00:00Z");
        plan(&mut log, 2, "fedora", "42", "eol", "2026-05-13T00:00:00Z");
        plan(&mut log, 3, "fedora", "43", "stable", "2025-10-28T00:00:00Z");
        plan(&mut log, 4, "fedora", "44", "eol", "2027-05-19T00:00:00Z");
        let fedora = Dist::parse("fedora").unwrap();
        let m = metainfo(&log, &fedora, &CompatMapping::default(), t("2025-09-01T00:00:00Z")).unwrap();
        assert_eq!(
            (m.id.as_str(), m.name.as_str(), m.developer_name.as_deref(), m.metadata_license.as_str()),
            ("org.fedoraproject.fedora", "Fedora Linux", Some("The Fedora Project"), "MIT")
        );
        assert_eq!(m.homepage.as_deref(), Some("https://fedoraproject.org/"));
        assert_eq!(
            rows(&m),
            [
                // Never released: dated by when it began.
                ("Rawhide", "development", "2003-01-01", None),
                ("43", "development", "2025-10-28", None),
                ("42", "stable", "2025-04-15", Some("2026-05-13")),
                // Its EOL is still ahead: the plan's day.
                ("41", "stable", "2024-10-29", Some("2025-11-19")),
            ],
            "eln is no version; 44 (only an EOL plan, no release date) cannot be dated"
        );
        assert!(m.releases[0].description.as_deref().unwrap().starts_with("This is the current version for Rawhide"));
        assert_eq!(m.releases[1].description, None);
        // Once 43 is out, it is stable with its actual date.
        log.apply_event(crate::model::Event {
            id: 100,
            dist: fedora.clone(),
            release: Release::parse("43").unwrap(),
            state: State::parse("stable").unwrap(),
            reached: true,
            at: t("2025-10-28T00:00:00Z"),
            recorded_at: t("2025-10-28T00:00:00Z"),
            recorded_by: Arc::from("t"),
            source: Arc::from("api"),
            note: None,
            link: None,
            corrects: None,
        })
        .unwrap();
        let m = metainfo(&log, &fedora, &CompatMapping::default(), t("2025-11-01T00:00:00Z")).unwrap();
        assert_eq!(rows(&m)[1], ("43", "stable", "2025-10-28", None));
        // Once 41's EOL happened (later than planned), the actual day wins.
        let m = metainfo(&log, &fedora, &CompatMapping::default(), t("2026-01-01T00:00:00Z")).unwrap();
        assert_eq!(rows(&m)[3], ("41", "stable", "2024-10-29", Some("2025-12-15")));
        assert!(metainfo(&log, &Dist::parse("debian").unwrap(), &CompatMapping::default(), t("2025-11-01T00:00:00Z"))
            .is_none());
    }

    #[test]
    fn header_fields_come_from_dist_properties_else_from_the_dist() {
        let mut log = dist_log(
            "debian",
            &[
                ("12", "stable", true, "2023-06-10T00:00:00Z"),
                ("13", "stable", true, "2025-08-09T00:00:00Z"),
                ("sid", "development", true, "1993-08-16T00:00:00Z"),
            ],
        );
        let debian = Dist::parse("debian").unwrap();
        let at = t("2025-09-01T00:00:00Z");
        let m = metainfo(&log, &debian, &CompatMapping::default(), at).unwrap();
        assert_eq!((m.id.as_str(), m.name.as_str()), ("debian", "Debian"));
        assert_eq!(m.summary, "Debian releases and their end of life");
        assert_eq!((m.description.as_deref(), m.developer_name.as_deref(), m.homepage.as_deref()), (None, None, None));
        assert_eq!(m.releases.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(), ["13", "12"]);

        property(&mut log, 1, "debian", None, "name", "Debian GNU/Linux");
        property(&mut log, 2, "debian", None, "appstream-id", "org.debian.debian");
        property(&mut log, 3, "debian", None, "appstream-developer-name", "The Debian Project <&>");
        property(&mut log, 4, "debian", Some("13"), RELEASE_DESCRIPTION_PROPERTY, "Trixie");
        let m = metainfo(&log, &debian, &CompatMapping::default(), at).unwrap();
        assert_eq!((m.id.as_str(), m.name.as_str()), ("org.debian.debian", "Debian GNU/Linux"));
        assert_eq!(m.summary, "Debian GNU/Linux releases and their end of life");
        assert_eq!(m.developer_name.as_deref(), Some("The Debian Project <&>"));
        assert_eq!(m.releases[0].description.as_deref(), Some("Trixie"));

        // A property overrides Fedora's own value too.
        let mut log = fedora_log(&[("42", "stable", true, "2025-04-15T00:00:00Z")]);
        property(&mut log, 1, "fedora", None, "appstream-name", "Fedora");
        let m = metainfo(&log, &Dist::parse("fedora").unwrap(), &CompatMapping::default(), at).unwrap();
        assert_eq!((m.name.as_str(), m.id.as_str()), ("Fedora", "org.fedoraproject.fedora"));
    }
}
