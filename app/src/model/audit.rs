//! The audit against Bodhi: what Bodhi's `/releases/` says about Fedora
//! and EPEL releases, compared with what the log says (the phase of each
//! release under the compatibility mapping, and its end of life, actual or
//! planned). Findings only: nothing here writes anything, and an audit
//! never changes a fact. Pure; the server fetches Bodhi.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::compat::{CompatMapping, Phase};
use super::name::{Dist, Release};
use super::plans::{self, PlanQuery, PlanStatus};
use super::time::Timestamp;
use super::EventLog;

/// One release as Bodhi's `/releases/` lists it (the fields the audit reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BodhiRelease {
    /// `F42`, `EPEL-10.1`, `F42C`, `ELN`.
    pub name: String,
    /// `42`, `10.1`.
    pub version: String,
    /// `FEDORA`, `FEDORA-EPEL`, `FEDORA-CONTAINER`, ...
    pub id_prefix: String,
    /// `f42`, `rawhide`, `epel10`.
    pub branch: String,
    /// `pending`, `frozen`, `current`, `archived`.
    pub state: String,
    /// The end of life Bodhi knows, `YYYY-MM-DD`.
    #[serde(default)]
    pub eol: Option<String>,
}

/// One page of Bodhi's `/releases/`.
#[derive(Debug, Clone, Deserialize)]
pub struct BodhiPage {
    /// The releases on this page.
    pub releases: Vec<BodhiRelease>,
    /// This page's number.
    #[serde(default)]
    pub page: Option<u32>,
    /// How many pages there are.
    #[serde(default)]
    pub pages: Option<u32>,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// Bodhi knows a release the log does not.
    Missing,
    /// The phases differ (`pending` here, `current` there).
    State,
    /// The end-of-life dates differ.
    Eol,
}

/// One disagreement between Bodhi and the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Finding {
    /// What about.
    pub kind: FindingKind,
    /// Our dist.
    pub dist: String,
    /// Our release.
    pub release: String,
    /// Bodhi's name for it.
    pub bodhi_name: String,
    /// What Bodhi says (a state, or a date).
    pub bodhi: Option<String>,
    /// What the log says.
    pub ours: Option<String>,
    /// Bodhi is known to lag here (the branch window: the release still
    /// has Rawhide's branch), so this is expected, not drift.
    pub expected_lag: bool,
    /// In words.
    pub message: String,
}

/// The audit as the server last ran it (`GET /api/v1/audit`, `/audit`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditReport {
    /// The Bodhi the periodic audit reads (`--audit-bodhi-url`); `null`
    /// when the periodic audit is off.
    pub source: Option<String>,
    /// When the last successful run compared (RFC 3339); `null` before it.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub checked_at: Option<Timestamp>,
    /// Why the last run failed, if it did (the findings stay the last
    /// successful run's).
    pub error: Option<String>,
    /// The disagreements the last successful run found.
    pub findings: Vec<Finding>,
}

/// Which Bodhi releases are audited: Fedora's and EPEL's own, not their
/// container, flatpak or modular twins, nor ELN.
fn audited(r: &BodhiRelease, mapping: &CompatMapping) -> Option<Dist> {
    match r.id_prefix.as_str() {
        "FEDORA" if r.name != "ELN" && r.version.chars().all(|c| c.is_ascii_digit()) => Some(mapping.fedora.clone()),
        "FEDORA-EPEL" if !r.name.to_ascii_lowercase().contains("next") => Some(mapping.epel.clone()),
        _ => None,
    }
}

/// The release's end of life in the log: entering an end-of-life state,
/// actually, else the current unmet plan to.
fn our_eol(
    log: &EventLog,
    dist: &Dist,
    release: &Release,
    mapping: &CompatMapping,
    at: Timestamp,
) -> Option<NaiveDate> {
    let actual = log
        .release_detail(dist, release, at)
        .into_iter()
        .flat_map(|d| d.into_iter())
        .filter(|(s, _)| mapping.eol.contains(s))
        .filter_map(|(_, d)| d.history.first().map(|i| i.entered))
        .min();
    let planned = || {
        let query = PlanQuery { dist: Some(dist.clone()), release: Some(release.clone()), ..PlanQuery::default() };
        plans::list(log, &query, at, plans::DEFAULT_GRACE)
            .into_iter()
            .filter(|v| v.plan.reached && mapping.eol.contains(&v.plan.state))
            .filter(|v| matches!(v.status, PlanStatus::Upcoming | PlanStatus::Overdue))
            .map(|v| v.plan.at)
            .min()
    };
    actual.or_else(planned).map(|t| t.date_naive())
}

/// Compares Bodhi's releases with the log as of `at`.
pub fn audit(bodhi: &[BodhiRelease], log: &EventLog, mapping: &CompatMapping, at: Timestamp) -> Vec<Finding> {
    let mut findings = Vec::new();
    for r in bodhi {
        let Some(dist) = audited(r, mapping) else { continue };
        // Bodhi's Rawhide is our release 0, whatever number Bodhi gives it.
        let rawhide = r.branch == "rawhide";
        let name = if rawhide && dist == mapping.fedora { "0" } else { r.version.as_str() };
        let Ok(release) = Release::parse(name) else { continue };
        let finding = |kind, bodhi: Option<String>, ours: Option<String>, expected_lag, message: String| Finding {
            kind,
            dist: dist.to_string(),
            release: release.to_string(),
            bodhi_name: r.name.clone(),
            bodhi,
            ours,
            expected_lag,
            message,
        };
        let detail = log.release_detail(&dist, &release, at);
        let states: Vec<_> =
            detail.iter().flat_map(|d| d.iter()).filter(|(_, d)| d.is_in).map(|(s, _)| s.clone()).collect();
        let phase: Option<Phase> = mapping.phase(&states);
        match phase {
            None if detail.is_none() => findings.push(finding(
                FindingKind::Missing,
                Some(r.state.clone()),
                None,
                false,
                format!("Bodhi lists {} ({}), the tracker has no {dist} {release}", r.name, r.state),
            )),
            ours if ours.map(Phase::bodhi) != Some(r.state.as_str()) => {
                // In the branch window Bodhi still treats the branched
                // release as Rawhide: the numbered release is in development.
                let numbered = Release::parse(&r.version).ok();
                let lag = rawhide
                    && numbered.is_some_and(|n| {
                        let s: Vec<_> = log
                            .release_detail(&dist, &n, at)
                            .iter()
                            .flat_map(|d| d.iter())
                            .filter(|(_, d)| d.is_in)
                            .map(|(s, _)| s.clone())
                            .collect();
                        matches!(mapping.phase(&s), Some(Phase::Pending | Phase::Frozen))
                    });
                let ours = ours.map(|p| p.bodhi().to_owned());
                findings.push(finding(
                    FindingKind::State,
                    Some(r.state.clone()),
                    ours.clone(),
                    lag,
                    format!(
                        "Bodhi says {} is {}, the tracker says {dist} {release} is {}",
                        r.name,
                        r.state,
                        ours.as_deref().unwrap_or("in no mapped state")
                    ),
                ));
            }
            _ => {}
        }
        if let Some(bodhi_eol) = r.eol.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) {
            let ours = our_eol(log, &dist, &release, mapping, at);
            if ours != Some(bodhi_eol) {
                findings.push(finding(
                    FindingKind::Eol,
                    Some(bodhi_eol.to_string()),
                    ours.map(|d| d.to_string()),
                    false,
                    format!(
                        "Bodhi's end of life for {} is {bodhi_eol}, the tracker's is {}",
                        r.name,
                        ours.map_or("unknown".to_owned(), |d| d.to_string())
                    ),
                ));
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::fedora_log;
    use crate::model::time::parse_timestamp;

    fn bodhi(name: &str, version: &str, prefix: &str, branch: &str, state: &str, eol: Option<&str>) -> BodhiRelease {
        BodhiRelease {
            name: name.into(),
            version: version.into(),
            id_prefix: prefix.into(),
            branch: branch.into(),
            state: state.into(),
            eol: eol.map(Into::into),
        }
    }

    #[test]
    fn agreements_pass_and_disagreements_are_found() {
        let log = fedora_log(&[
            ("0", "development", true, "2003-01-01T00:00:00Z"),
            ("40", "stable", true, "2024-04-23T00:00:00Z"),
            ("41", "stable", true, "2024-10-29T00:00:00Z"),
            ("41", "stable", false, "2025-12-15T00:00:00Z"),
            ("41", "eol", true, "2025-12-15T00:00:00Z"),
            ("42", "branched", true, "2025-02-04T00:00:00Z"),
        ]);
        let at = parse_timestamp("at", "2025-02-05T00:00:00Z").unwrap();
        let releases = [
            bodhi("F40", "40", "FEDORA", "f40", "current", None),
            bodhi("F40C", "40", "FEDORA-CONTAINER", "f40", "pending", None),
            bodhi("ELN", "eln", "FEDORA", "eln", "pending", None),
            // The day after branching: Bodhi still has F42 on Rawhide's branch.
            bodhi("F42", "42", "FEDORA", "rawhide", "pending", None),
            // Bodhi's EOL for 41 is not ours (ours is still ahead, unknown).
            bodhi("F41", "41", "FEDORA", "f41", "current", Some("2025-11-11")),
            bodhi("F39", "39", "FEDORA", "f39", "archived", None),
        ];
        let found = audit(&releases, &log, &CompatMapping::default(), at);
        let summary: Vec<(FindingKind, &str, bool)> =
            found.iter().map(|f| (f.kind, f.release.as_str(), f.expected_lag)).collect();
        assert_eq!(summary, [(FindingKind::Eol, "41", false), (FindingKind::Missing, "39", false)], "{found:#?}");
        assert!(found[0].message.contains("2025-11-11"));
        // Later, 41 reached its EOL on another day than Bodhi says; and
        // Bodhi's F42 lags: the tracker's Rawhide is pending, but so is
        // its 42 — F42 with branch rawhide compares with release 0.
        let later = parse_timestamp("at", "2026-01-01T00:00:00Z").unwrap();
        let found = audit(&releases[3..5], &log, &CompatMapping::default(), later);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            (found[0].kind, found[0].ours.as_deref(), found[0].expected_lag),
            (FindingKind::State, Some("archived"), false)
        );
        assert_eq!((found[1].kind, found[1].ours.as_deref()), (FindingKind::Eol, Some("2025-12-15")));
    }
}
