//! The endoflife.date export (`GET /api/v1/compat/endoflife-date/{dist}`):
//! a dist's release cycles in the shape of endoflife.date's API v1
//! product answer, so tools written for endoflife.date can point at the
//! tracker. Dates come from what happened where known and from plans
//! otherwise (an EOL that is still ahead is a plan). [`cycles`], the dates
//! themselves, also feeds the AppStream export (`appstream.rs`). Pure.

use serde::Serialize;

use super::compat::CompatMapping;
use super::name::{Dist, Release, State};
use super::order::natural_cmp;
use super::plans::{self, PlanQuery, PlanStatus};
use super::properties::PropertySet;
use super::time::Timestamp;
use super::EventLog;

/// The schema version of endoflife.date's API v1 this follows.
pub const SCHEMA_VERSION: &str = "1.2.0";

/// The answer: `{schema_version, result: {...}}` as endoflife.date's API.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndOfLifeAnswer {
    /// endoflife.date's API schema version.
    pub schema_version: &'static str,
    /// The product.
    pub result: EndOfLifeProduct,
}

/// A product (a dist).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndOfLifeProduct {
    /// The dist's name.
    pub name: String,
    /// Its title (`Fedora`).
    pub label: String,
    /// Always `os`.
    pub category: &'static str,
    /// Release cycles, newest first.
    pub releases: Vec<EndOfLifeRelease>,
}

/// One release cycle, with endoflife.date's field names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EndOfLifeRelease {
    /// The release (`42`).
    pub name: String,
    /// The `codename` property, if set.
    pub codename: Option<String>,
    /// For people: `42`, or `24.04 'Noble Numbat' (LTS)`.
    pub label: String,
    /// When it was released (entered a stable state), or is planned to be;
    /// `YYYY-MM-DD`.
    pub release_date: Option<String>,
    /// Whether the `lts` property says so (`true`, `yes`).
    pub is_lts: bool,
    /// Whether its end of life is behind.
    pub is_eol: bool,
    /// When it reaches (or reached) end of life: the actual date, else the
    /// plan; `YYYY-MM-DD`.
    pub eol_from: Option<String>,
    /// Released and not at end of life.
    pub is_maintained: bool,
    /// The latest version of the cycle: the release itself.
    pub latest: Option<EndOfLifeLatest>,
}

/// The latest version of a cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndOfLifeLatest {
    /// Its name.
    pub name: String,
    /// Its release date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// No link is known.
    pub link: Option<String>,
}

/// A timestamp's day, `YYYY-MM-DD` (UTC), as both exports write dates.
pub fn day(t: &Timestamp) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The first time `release` entered one of `states`, actually; else the
/// earliest unmet, uncancelled plan to enter one.
fn first_entry(
    log: &EventLog,
    dist: &Dist,
    release: &Release,
    states: &std::collections::BTreeSet<State>,
    now: Timestamp,
) -> (Option<Timestamp>, bool) {
    let actual = log
        .release_detail(dist, release, now)
        .into_iter()
        .flat_map(|detail| detail.into_iter())
        .filter(|(state, _)| states.contains(state))
        .filter_map(|(_, d)| d.history.first().map(|i| i.entered))
        .min();
    if actual.is_some() {
        return (actual, true);
    }
    let query = PlanQuery { dist: Some(dist.clone()), release: Some(release.clone()), ..PlanQuery::default() };
    let planned = plans::list(log, &query, now, plans::DEFAULT_GRACE)
        .into_iter()
        .filter(|v| v.plan.reached && states.contains(&v.plan.state))
        .filter(|v| matches!(v.status, PlanStatus::Upcoming | PlanStatus::Overdue))
        .map(|v| v.plan.at)
        .min();
    (planned, false)
}

/// A release cycle's key dates at an instant: what the exports that carry
/// the future (endoflife.date's shape, AppStream's metainfo) are made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// The release.
    pub release: Release,
    /// When it first entered a stable state (as the mapping says), actually;
    /// else the earliest open plan to do so.
    pub released: Option<Timestamp>,
    /// When it first entered an end-of-life state, actually; else the
    /// earliest open plan to do so.
    pub eol: Option<Timestamp>,
    /// The release's properties at the instant.
    pub properties: PropertySet,
}

/// The cycles of `dist` at `now`, newest release first (natural order):
/// every release with an event by then or a plan; `None` when the dist has
/// neither events nor plans.
pub fn cycles(log: &EventLog, dist: &Dist, mapping: &CompatMapping, now: Timestamp) -> Option<Vec<Cycle>> {
    let mut releases: Vec<Release> = log.detailed(dist, now).map(|d| d.into_keys().collect()).unwrap_or_default();
    for key in log.plans().keys().filter(|k| &k.dist == dist) {
        if !releases.contains(&key.release) {
            releases.push(key.release.clone());
        }
    }
    if releases.is_empty() && !log.has_dist(dist) {
        return None;
    }
    releases.sort_by(|a, b| natural_cmp(b.as_str(), a.as_str()));
    Some(
        releases
            .into_iter()
            .map(|release| {
                let properties = log.properties().set_at(dist, Some(&release), now);
                let (released, _) = first_entry(log, dist, &release, &mapping.stable, now);
                let (eol, _) = first_entry(log, dist, &release, &mapping.eol, now);
                Cycle { release, released, eol, properties }
            })
            .collect(),
    )
}

/// The endoflife.date answer for `dist` at `now`; `None` when the dist has
/// neither events nor plans.
pub fn endoflife_date(log: &EventLog, dist: &Dist, mapping: &CompatMapping, now: Timestamp) -> Option<EndOfLifeAnswer> {
    let out = cycles(log, dist, mapping, now)?
        .into_iter()
        .map(|Cycle { release, released, eol, properties }| {
            let is_eol = eol.is_some_and(|t| t <= now);
            let codename = properties.get("codename").cloned();
            let is_lts =
                properties.get("lts").is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "yes"));
            let mut label = release.to_string();
            if let Some(c) = &codename {
                label.push_str(&format!(" '{c}'"));
            }
            if is_lts {
                label.push_str(" (LTS)");
            }
            let release_date = released.as_ref().map(day);
            EndOfLifeRelease {
                name: release.to_string(),
                codename,
                label,
                release_date: release_date.clone(),
                is_lts,
                is_eol,
                eol_from: eol.as_ref().map(day),
                is_maintained: released.is_some_and(|t| t <= now) && !is_eol,
                latest: Some(EndOfLifeLatest { name: release.to_string(), date: release_date, link: None }),
            }
        })
        .collect();
    Some(EndOfLifeAnswer {
        schema_version: SCHEMA_VERSION,
        result: EndOfLifeProduct {
            name: dist.to_string(),
            label: super::describe::dist_title(dist),
            category: "os",
            releases: out,
        },
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::fixtures::fedora_log;
    use crate::model::plans::{Plan, TransitionKey};
    use crate::model::time::parse_timestamp;

    fn t(s: &str) -> Timestamp {
        parse_timestamp("at", s).unwrap()
    }

    #[test]
    fn actual_dates_then_plans() {
        let mut log = fedora_log(&[
            ("42", "stable", true, "2025-04-15T00:00:00Z"),
            ("42", "stable", false, "2025-12-15T00:00:00Z"),
            ("42", "eol", true, "2025-12-15T00:00:00Z"),
            ("43", "stable", true, "2025-10-28T00:00:00Z"),
            ("44", "branched", true, "2026-02-10T00:00:00Z"),
        ]);
        let key = |release: &str, state: &str| TransitionKey {
            dist: Dist::parse("fedora").unwrap(),
            release: Release::parse(release).unwrap(),
            state: State::parse(state).unwrap(),
            reached: true,
        };
        for (id, (release, state, at)) in [
            ("43", "eol", "2026-12-09T00:00:00Z"),
            ("44", "stable", "2026-04-28T00:00:00Z"),
            ("42", "eol", "2026-01-01T00:00:00Z"),
        ]
        .into_iter()
        .enumerate()
        {
            log.apply_plan(Plan {
                id: id as i64 + 1,
                key: key(release, state),
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
        let fedora = Dist::parse("fedora").unwrap();
        let answer = endoflife_date(&log, &fedora, &CompatMapping::default(), t("2026-03-01T00:00:00Z")).unwrap();
        assert_eq!(answer.result.label, "Fedora");
        let releases = &answer.result.releases;
        assert_eq!(releases.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["44", "43", "42"]);
        // 44: planned release, not yet maintained.
        assert_eq!((releases[0].release_date.as_deref(), releases[0].is_maintained), (Some("2026-04-28"), false));
        // 43: released, EOL planned ahead.
        assert_eq!(
            (releases[1].eol_from.as_deref(), releases[1].is_eol, releases[1].is_maintained),
            (Some("2026-12-09"), false, true)
        );
        // 42: the actual EOL wins over the plan it met.
        assert_eq!(
            (releases[2].eol_from.as_deref(), releases[2].is_eol, releases[2].is_maintained),
            (Some("2025-12-15"), true, false)
        );
        // Past its planned EOL, 43 reads as end of life.
        let later = endoflife_date(&log, &fedora, &CompatMapping::default(), t("2027-01-01T00:00:00Z")).unwrap();
        assert!(later.result.releases[1].is_eol && !later.result.releases[1].is_maintained);
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["schema_version"], "1.2.0");
        assert!(
            json["result"]["releases"][0].get("releaseDate").is_some()
                && json["result"]["releases"][0].get("eolFrom").is_some()
        );
        assert!(endoflife_date(
            &log,
            &Dist::parse("debian").unwrap(),
            &CompatMapping::default(),
            t("2026-03-01T00:00:00Z")
        )
        .is_none());
    }
}
