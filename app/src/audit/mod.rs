//! `/audit`: where Bodhi and the tracker disagree, as the server's
//! periodic audit last found (`--audit-bodhi-url`). The server supplies
//! the report through [`AuditSource`] (in `server_data`); this module only
//! shows it. An audit never changes a fact: an editor decides what to do.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::links;
use crate::model::audit::{Finding, FindingKind};
use crate::model::{Dist, Release};
pub use crate::server_data::AuditSource;
use crate::ui::format::when;
use crate::ui::ErrorPage;

fn kind_words(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Missing => "missing here",
        FindingKind::State => "phase",
        FindingKind::Eol => "end of life",
    }
}

/// One finding as a table row; the release links to its page when its
/// names are valid (they come from the log or from Bodhi's version).
fn row(f: &Finding) -> impl IntoView {
    let release = match (Dist::parse(&f.dist), Release::parse(&f.release)) {
        (Ok(d), Ok(r)) => view! { <a href=links::release(&d, &r)>{format!("{} {}", f.dist, f.release)}</a> }.into_any(),
        _ => format!("{} {}", f.dist, f.release).into_any(),
    };
    view! {
        <tr data-kind=kind_words(f.kind) data-lag=f.expected_lag.to_string()>
            <td>{kind_words(f.kind)}</td>
            <td>{release}</td>
            <td>{f.bodhi_name.clone()}</td>
            <td>{f.bodhi.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{f.ours.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{if f.expected_lag { "expected (Bodhi lags in the branch window)" } else { "drift" }}</td>
        </tr>
    }
}

/// `/audit`.
#[component]
pub fn AuditPage() -> impl IntoView {
    let report = match crate::server_data::audit_report() {
        Ok(report) => report,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    let summary = match (&report.source, &report.checked_at) {
        (None, _) => "The periodic audit is off: the server runs it when started with --audit-bodhi-url. \
                      `releasetracker audit --bodhi-url URL` runs it once."
            .to_owned(),
        (Some(source), None) => format!("Auditing against {source}: the first run has not finished yet."),
        (Some(source), Some(at)) => format!("Compared with {source} {}.", when(at)),
    };
    let drift = report.findings.iter().filter(|f| !f.expected_lag).count();
    view! {
        <Title text="Audit against Bodhi · releasetracker"/>
        <h1>"Audit against Bodhi"</h1>
        <p>{summary}</p>
        <p>"Bodhi is what Fedora's tools read today. Where it and the tracker disagree, an editor decides which one is right; the audit itself never changes the log. The same report, for machines: "
            <a href=links::api_audit()>"/api/v1/audit"</a> "."</p>
        {report.error.clone().map(|e| view! { <p class="form-error" role="alert">"The last run failed: " <span class="text">{e}</span></p> })}
        {if report.findings.is_empty() {
            view! { <p data-findings="0">{if report.checked_at.is_some() { "No disagreements." } else { "No findings." }}</p> }.into_any()
        } else {
            view! {
                <p data-findings=report.findings.len().to_string()>{format!("{} findings, {drift} of them drift.", report.findings.len())}</p>
                <div class="table-scroll" tabindex="0" role="region" aria-label="Findings">
                    <table class="audit">
                        <thead><tr>
                            <th scope="col">"About"</th>
                            <th scope="col">"Release"</th>
                            <th scope="col">"In Bodhi"</th>
                            <th scope="col">"Bodhi says"</th>
                            <th scope="col">"Tracker says"</th>
                            <th scope="col">"Kind"</th>
                        </tr></thead>
                        <tbody>{report.findings.iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
    .into_any()
}
