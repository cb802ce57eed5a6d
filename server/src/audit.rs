//! The audit against Bodhi: fetches every page of Bodhi's `/releases/`
//! and compares it with the log (`app::model::audit`) — once
//! (`releasetracker audit`, printing the findings) or periodically in
//! `serve` (`--audit-bodhi-url`), keeping the last report for `/audit`,
//! `GET /api/v1/audit` and `/status`, and announcing new drift on the bus
//! (`audit.drift`). An audit never writes the log: no event, no plan.

use std::sync::RwLock;
use std::time::Duration;

use app::model::audit::{audit, AuditReport, BodhiPage, BodhiRelease, Finding};
use app::model::compat::CompatMapping;
use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::projection::Projection;
use crate::state::AppState;
use crate::store::Store;

/// Most pages read from Bodhi (it has about 3 at 100 rows a page).
const MAX_PAGES: u32 = 50;
/// Longest wait for one page.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// Every release Bodhi lists under `base` (`{base}/releases/?page=N`).
pub async fn fetch_releases(base: &url::Url) -> Result<Vec<BodhiRelease>, String> {
    let client = reqwest::Client::builder()
        .timeout(PAGE_TIMEOUT)
        .user_agent(concat!("releasetracker/", env!("CARGO_PKG_VERSION"), " (audit)"))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let releases_url = base.join("releases/").map_err(|e| format!("Bodhi URL: {e}"))?;
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let mut url = releases_url.clone();
        url.query_pairs_mut().append_pair("rows_per_page", "100").append_pair("page", &page.to_string());
        let response = client.get(url.clone()).send().await.map_err(|e| format!("cannot read {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let body = response.bytes().await.map_err(|e| format!("cannot read {url}: {e}"))?;
        let parsed: BodhiPage =
            serde_json::from_slice(&body).map_err(|e| format!("{url} is not Bodhi's releases list: {e}"))?;
        out.extend(parsed.releases);
        let pages = parsed.pages.unwrap_or(1);
        if page >= pages || page >= MAX_PAGES {
            return Ok(out);
        }
        page += 1;
    }
}

/// The findings of Bodhi at `base` against `store`'s log as of `at`.
pub async fn findings(store: &Store, base: &url::Url, at: Option<&str>) -> Result<Vec<Finding>, String> {
    let at = match at {
        Some(text) => app::model::parse_at(text).map_err(|e| format!("--at: {}", e.message))?,
        None => Utc::now(),
    };
    let releases = fetch_releases(base).await?;
    let projection = Projection::load(store).await.map_err(|e| format!("cannot read the log: {e}"))?;
    let log = projection.read();
    Ok(audit(&releases, &log, &CompatMapping::default(), at))
}

/// `releasetracker audit`: one finding per line as JSON on stdout; an
/// error (exit status 1) when any is not Bodhi's expected lag.
pub async fn run(store: &Store, base: &url::Url, at: Option<&str>) -> Result<(), String> {
    let found = findings(store, base, at).await?;
    for f in &found {
        println!("{}", serde_json::to_string(f).map_err(|e| e.to_string())?);
    }
    let drift = found.iter().filter(|f| !f.expected_lag).count();
    match drift {
        0 => Ok(()),
        n => Err(format!("{n} findings: Bodhi and the tracker disagree (nothing was changed)")),
    }
}

/// The periodic audit's source and its last report, shared by the pages
/// and the API.
#[derive(Debug)]
pub struct AuditState {
    source: Option<url::Url>,
    report: RwLock<AuditReport>,
}

impl AuditState {
    /// An audit of `source` (none: the periodic audit is off) that has not
    /// run yet.
    pub fn new(source: Option<url::Url>) -> Self {
        let report = AuditReport { source: source.as_ref().map(|u| u.to_string()), ..AuditReport::default() };
        Self { source, report: RwLock::new(report) }
    }

    /// The Bodhi it reads, if the periodic audit is on.
    pub fn source(&self) -> Option<&url::Url> {
        self.source.as_ref()
    }

    /// The last report.
    pub fn report(&self) -> AuditReport {
        // A poisoned lock still holds a whole report (it is replaced in
        // one assignment), so reading it is safe.
        self.report.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Keeps a run's outcome; answers the findings that the previous
    /// report did not have.
    fn record(&self, outcome: Result<Vec<Finding>, String>) -> Vec<Finding> {
        let mut report = self.report.write().unwrap_or_else(|e| e.into_inner());
        match outcome {
            Ok(findings) => {
                let new = findings.iter().filter(|f| !report.findings.contains(f)).cloned().collect();
                report.findings = findings;
                report.checked_at = Some(Utc::now());
                report.error = None;
                new
            }
            Err(error) => {
                report.error = Some(error);
                Vec::new()
            }
        }
    }
}

/// One run of the periodic audit against the live log: keeps the report
/// and logs every new disagreement (one warning each). Answers how many
/// findings are new, or why the run failed.
pub async fn run_once(state: &AppState) -> Result<usize, String> {
    let Some(source) = state.audit.source() else { return Ok(0) };
    let outcome = match fetch_releases(source).await {
        Ok(releases) => Ok(audit(&releases, &state.projection.read(), &state.compat, Utc::now())),
        Err(e) => Err(e),
    };
    let failed = outcome.as_ref().err().cloned();
    let new = state.audit.record(outcome);
    if let Some(error) = failed {
        crate::metrics::audit_failed();
        tracing::warn!(%error, bodhi = %source, "the audit against Bodhi failed; the last report stays");
        return Err(error);
    }
    for f in &new {
        if f.expected_lag {
            tracing::info!(kind = ?f.kind, dist = %f.dist, release = %f.release, "audit: {} (expected lag)", f.message);
        } else {
            tracing::warn!(kind = ?f.kind, dist = %f.dist, release = %f.release, "audit: {}", f.message);
        }
    }
    // Drift goes on the bus (`audit.drift`); Bodhi lagging in the branch
    // window is expected and would only be noise there.
    let drift: Vec<Finding> = new.iter().filter(|f| !f.expected_lag).cloned().collect();
    crate::metrics::audit_found(drift.len(), new.len() - drift.len());
    let checked_at = state.audit.report().checked_at.unwrap_or_else(Utc::now);
    if let Err(e) = state.writer.announce_findings(&drift, source.as_str(), checked_at).await {
        // The findings stay on /audit; only their message is missing, and
        // it is not retried (the next run sees nothing new).
        tracing::warn!(error = %crate::log::with_cause(&e), "could not announce the audit's new findings on the bus");
    }
    Ok(new.len())
}

/// The periodic audit: a run now, then one every `interval`, until `stop`.
pub async fn follow(state: AppState, interval: Duration, stop: CancellationToken) {
    crate::periodic::every(interval, stop, || async {
        // A failure is logged by `run_once` and kept for the report.
        let _ = run_once(&state).await;
    })
    .await;
}
