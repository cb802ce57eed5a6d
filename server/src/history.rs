//! `import-history`: turns public release-history tables (Fedora's, and
//! distro-info-data's Debian and Ubuntu CSVs) into events, each linked to
//! its source, into plans for the dates that lie ahead, and into release
//! properties (Fedora: `name`, `codename`; Debian/Ubuntu: `version`,
//! `codename`, `series`). A re-run reconciles with the table as it is now:
//! what it no longer says is retracted (never deleted), what it says now
//! is recorded, and what people recorded is never touched.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use app::model::distro_info::PHASE_COLUMNS;
use app::model::event::{Retraction, FUTURE_TOLERANCE};
use app::model::plans::{Plan, TransitionKey};
use app::model::properties::{check_value, PropertyLog};
use app::model::{Dist, Event, EventLog, PropertyChange, Release, State, Timestamp};
use chrono::{NaiveDate, NaiveTime};

use crate::log::{with_cause, Import, LogWriter};
use crate::store::Store;

/// Who the imported events are recorded by.
const IMPORTER: &str = "import-history";

/// A fact read from a table, before it becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// Release id.
    pub release: Release,
    /// State.
    pub state: State,
    /// Entered or left.
    pub reached: bool,
    /// When (midnight UTC of the table's date).
    pub at: Timestamp,
    /// Where the date comes from.
    pub link: &'static str,
    /// A line for the event's note.
    pub note: String,
    /// The table announces this date rather than reports it (Fedora's
    /// EOLs not marked actual): a plan until someone confirms it.
    pub announced: bool,
}

const FEDORA_GA: &str = "https://endoflife.date/fedora";
const FEDORA_EOL: &str = "https://docs.fedoraproject.org/en-US/releases/eol/";
/// The tables as Debian ships them (`data/` holds distro-info-data
/// 0.58+deb12u7; links of events imported earlier keep their version).
const DEBIAN: &str = "https://sources.debian.org/src/distro-info-data/0.58%2Bdeb12u7/debian.csv/";
const UBUNTU: &str = "https://sources.debian.org/src/distro-info-data/0.58%2Bdeb12u7/ubuntu.csv/";

fn date(field: &str, value: &str, line: usize) -> Result<Option<Timestamp>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|d| Some(d.and_time(NaiveTime::MIN).and_utc()))
        .map_err(|_| format!("line {line}: {field}: `{value}` is not a date (YYYY-MM-DD)"))
}

fn state(name: &str) -> State {
    State::parse(name).unwrap_or_else(|_| unreachable!("constant state names are valid"))
}

/// Adds the facts of one release's life: development from `created` to
/// `release`, stable from `release` to `eol`, eol from `eol` on.
fn lifecycle(
    out: &mut Vec<Fact>,
    release: &Release,
    created: Option<Timestamp>,
    ga: Option<Timestamp>,
    eol: Option<Timestamp>,
    links: (&'static str, &'static str),
    file: &str,
) {
    let mut fact = |state_name: &str, reached: bool, at: Timestamp, link: &'static str, what: &str| {
        out.push(Fact {
            release: release.clone(),
            state: state(state_name),
            reached,
            at,
            link,
            note: format!("Imported from {file}: {what}."),
            announced: false,
        });
    };
    if let Some(at) = created {
        fact("development", true, at, links.0, "development opened");
        if let Some(ga) = ga {
            fact("development", false, ga, links.0, "released");
        }
    }
    if let Some(at) = ga {
        fact("stable", true, at, links.0, "released");
        if let Some(eol) = eol {
            fact("stable", false, eol, links.1, "end of life");
        }
    }
    if let Some(at) = eol {
        fact("eol", true, at, links.1, "end of life");
    }
}

/// Reads a table: Fedora's (`release,name,codename,release_date,eol_date,...`)
/// or distro-info-data's (`version,codename,series,created,release,eol,...`).
pub fn parse(text: &str, file: &str) -> Result<Vec<Fact>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("cannot read the header: {e}"))?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let fedora = column("release_date").is_some();
    let ubuntu = file.contains("ubuntu");
    let mut out = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let get = |name: &str| column(name).and_then(|i| record.get(i)).unwrap_or("").trim();
        if fedora {
            let release = Release::parse(get("release")).map_err(|e| format!("line {line}: {e}"))?;
            let ga = date("release_date", get("release_date"), line)?;
            let eol = date("eol_date", get("eol_date"), line)?;
            let eol_link = if get("eol_source").contains("docs.fedoraproject.org") { FEDORA_EOL } else { FEDORA_GA };
            let first = out.len();
            lifecycle(&mut out, &release, None, ga, eol, (FEDORA_GA, eol_link), file);
            // Only the docs' table reports EOLs that happened ("(actual)");
            // endoflife.date's are announced.
            if !get("eol_source").contains("(actual)") {
                for fact in out[first..].iter_mut().filter(|f| Some(f.at) == eol && f.link == eol_link) {
                    fact.announced = true;
                    fact.note = fact.note.replace("end of life.", "end of life as announced, not yet confirmed.");
                }
            }
        } else {
            // "22.04 LTS" is release 22.04; unnumbered streams (sid) go by series.
            let version = get("version").trim_end_matches(" LTS");
            let id = if version.is_empty() { get("series") } else { version };
            let release = Release::parse(id).map_err(|e| format!("line {line}: {e}"))?;
            let link = if ubuntu { UBUNTU } else { DEBIAN };
            lifecycle(
                &mut out,
                &release,
                date("created", get("created"), line)?,
                date("release", get("release"), line)?,
                date("eol", get("eol"), line)?,
                (link, link),
                file,
            );
            // The later support phases, each a state of the column's name.
            for column in PHASE_COLUMNS {
                if let Some(at) = date(column, get(column), line)? {
                    out.push(Fact {
                        release: release.clone(),
                        state: state(column),
                        reached: true,
                        at,
                        link,
                        note: format!("Imported from {file}: {column}."),
                        announced: false,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// A property read from a table, before it becomes a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyFact {
    /// Release id.
    pub release: Release,
    /// Key: `name`, `codename`, `version` or `series`.
    pub key: &'static str,
    /// Value as the table has it (`version` keeps `"22.04 LTS"`).
    pub value: String,
    /// The row's first date (created, else release): when the value is
    /// taken to be known; `None` when the row has no date.
    pub known_from: Option<Timestamp>,
}

/// Reads the properties of a table (see [`parse`] for the formats);
/// empty cells give no property.
pub fn parse_properties(text: &str) -> Result<Vec<PropertyFact>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("cannot read the header: {e}"))?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let fedora = column("release_date").is_some();
    let mut out = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let get = |name: &str| column(name).and_then(|i| record.get(i)).unwrap_or("").trim();
        let (release, keys, known_from) = if fedora {
            (get("release").to_owned(), &["name", "codename"][..], date("release_date", get("release_date"), line)?)
        } else {
            let version = get("version").trim_end_matches(" LTS");
            let id = if version.is_empty() { get("series") } else { version };
            let first = match date("created", get("created"), line)? {
                Some(at) => Some(at),
                None => date("release", get("release"), line)?,
            };
            (id.to_owned(), &["version", "codename", "series"][..], first)
        };
        let release = Release::parse(&release).map_err(|e| format!("line {line}: {e}"))?;
        for &key in keys {
            let value = get(key);
            if value.is_empty() {
                continue;
            }
            check_value(key, value).map_err(|e| format!("line {line}: {e}"))?;
            out.push(PropertyFact { release: release.clone(), key, value: value.to_owned(), known_from });
        }
    }
    Ok(out)
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// New events stored.
    pub added: usize,
    /// Facts already in the log.
    pub present: usize,
    /// Facts dated in the future (plans, not facts yet).
    pub planned: usize,
    /// Plan revisions stored (new plans, moved dates, cancellations).
    pub plans: usize,
    /// Imported events retracted because the table no longer says them.
    pub retracted: usize,
    /// Property changes stored.
    pub properties: usize,
    /// Where the table and what people recorded disagree: left as people
    /// recorded it, in words (for an editor to decide).
    pub disagreements: Vec<String>,
}

/// The transition of a fact or an event, without its date.
type Key = (Release, State, bool);

/// Whether an import recorded this (and so a later import may retract it).
fn imported(recorded_by: &str, source: &str) -> bool {
    recorded_by == IMPORTER && source == "import"
}

fn words(key: &Key) -> String {
    let (release, state, reached) = key;
    format!("{release} {} {state}", if *reached { "entered" } else { "left" })
}

fn dates(at: &[Timestamp]) -> String {
    at.iter().map(|t| t.date_naive().to_string()).collect::<Vec<_>>().join(" and ")
}

/// What an import writes, before ids are given: the reconciliation of
/// `facts` (the whole table) with `log` for `dist` at `now`.
#[derive(Debug, Default)]
struct Reconciled {
    events: Vec<Fact>,
    /// Event ids to retract, with the reason.
    retractions: Vec<(i64, String)>,
    /// New revisions: the key, its date, cancelled, note, link.
    plans: Vec<(Key, Timestamp, bool, String, &'static str)>,
    present: usize,
    planned: usize,
    disagreements: Vec<String>,
}

/// Compares the table with the log. Past dates are facts: one already
/// recorded (by anyone) is left alone; a transition people recorded on
/// another date is a disagreement, not a second event; otherwise it is
/// recorded. Imported events the table no longer says are retracted, the
/// reason naming the old and the new date and the file. Future dates are
/// plans: a new revision where the current plan (if an import's) differs;
/// an imported plan the table no longer dates is cancelled.
fn reconcile(log: &EventLog, dist: &Dist, facts: Vec<Fact>, now: Timestamp, file: &str) -> Reconciled {
    let mut out = Reconciled::default();
    let horizon = now + FUTURE_TOLERANCE;
    // A date ahead, or one the table only announces, is a plan.
    let plan_only = |f: &Fact| f.at > horizon || f.announced;
    // What the table says, per transition: its dates, and whether each is
    // only a plan.
    let mut said: BTreeMap<Key, Vec<(Timestamp, bool)>> = BTreeMap::new();
    for f in &facts {
        said.entry((f.release.clone(), f.state.clone(), f.reached)).or_default().push((f.at, plan_only(f)));
    }
    // What the log holds, live, per transition.
    let mut live: BTreeMap<Key, Vec<&Event>> = BTreeMap::new();
    for e in log.events().iter().filter(|e| &e.dist == dist && log.retraction_of(e.id).is_none()) {
        live.entry((e.release.clone(), e.state.clone(), e.reached)).or_default().push(e);
    }
    let mut recorded: HashSet<(Key, Timestamp)> = HashSet::new();
    for fact in facts {
        let key: Key = (fact.release.clone(), fact.state.clone(), fact.reached);
        let events = live.get(&key).map(Vec::as_slice).unwrap_or_default();
        if plan_only(&fact) {
            out.planned += 1;
            let transition =
                TransitionKey { dist: dist.clone(), release: key.0.clone(), state: key.1.clone(), reached: key.2 };
            let people: Vec<&&Event> = events.iter().filter(|e| !imported(&e.recorded_by, &e.source)).collect();
            if people.iter().any(|e| e.at == fact.at) {
                // Someone confirmed the announced date.
                out.present += 1;
                continue;
            }
            if !people.is_empty() {
                out.disagreements.push(format!(
                    "{file} plans {} for {}, but it was recorded on {}; left as recorded",
                    words(&key),
                    fact.at.date_naive(),
                    dates(&people.iter().map(|e| e.at).collect::<Vec<_>>())
                ));
                continue;
            }
            match log.plans().current(&transition) {
                Some(p) if p.at == fact.at && !p.cancelled => out.present += 1,
                Some(p) if !imported(&p.recorded_by, &p.source) => {
                    if p.at != fact.at || p.cancelled {
                        out.disagreements.push(format!(
                            "{file} plans {} for {}, but {} planned it{}; left as planned",
                            words(&key),
                            fact.at.date_naive(),
                            p.recorded_by,
                            if p.cancelled {
                                " and cancelled it".to_owned()
                            } else {
                                format!(" for {}", p.at.date_naive())
                            }
                        ));
                    }
                }
                _ => out.plans.push((key, fact.at, false, fact.note.clone(), fact.link)),
            }
            continue;
        }
        if events.iter().any(|e| e.at == fact.at) || !recorded.insert((key.clone(), fact.at)) {
            out.present += 1;
            continue;
        }
        let people: Vec<Timestamp> =
            events.iter().filter(|e| !imported(&e.recorded_by, &e.source)).map(|e| e.at).collect();
        if !people.is_empty() {
            out.disagreements.push(format!(
                "{file} says {} on {}, but it was recorded on {}; left as recorded",
                words(&key),
                fact.at.date_naive(),
                dates(&people)
            ));
            continue;
        }
        out.events.push(fact);
    }
    // Imported events the table no longer says.
    for (key, events) in &live {
        let now_said = said.get(key).map(Vec::as_slice).unwrap_or_default();
        let facts: Vec<Timestamp> = now_said.iter().filter(|(_, plan)| !plan).map(|(at, _)| *at).collect();
        let plans: Vec<Timestamp> = now_said.iter().filter(|(_, plan)| *plan).map(|(at, _)| *at).collect();
        for e in events.iter().filter(|e| imported(&e.recorded_by, &e.source)) {
            if facts.contains(&e.at) {
                continue;
            }
            let instead = if !facts.is_empty() {
                format!("it now says {}", dates(&facts))
            } else if !plans.is_empty() {
                format!("it now only plans {} (announced or ahead, not a fact yet)", dates(&plans))
            } else {
                "it no longer gives a date".to_owned()
            };
            out.retractions
                .push((e.id, format!("Superseded by {file}: {} on {} — {instead}.", words(key), e.at.date_naive())));
        }
    }
    // Imported plans, still open, that the table no longer dates ahead.
    let plans = log.plans();
    for plan in plans.keys().filter_map(|k| plans.current(k)).filter(|p| &p.key.dist == dist && !p.cancelled) {
        if !imported(&plan.recorded_by, &plan.source) {
            continue;
        }
        let key: Key = (plan.key.release.clone(), plan.key.state.clone(), plan.key.reached);
        if !said.contains_key(&key) {
            let reason = format!("{file} no longer dates {} (it planned {})", words(&key), plan.at.date_naive());
            out.plans.push((key, plan.at, true, reason, ""));
        }
    }
    out
}

/// Imports `file` as events and plans of `dist`, in one transaction,
/// reconciling with what earlier imports recorded (see [`reconcile`]).
/// Written through `writer`, which also serves the reads of what is stored.
pub async fn import(writer: &LogWriter, dist: &Dist, file: &Path, now: Timestamp) -> Result<Summary, String> {
    let store = writer.store();
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let facts = parse(&text, &name).map_err(|e| format!("{name}: {e}"))?;
    // The writer's projection was loaded from the store it writes to.
    let plan = reconcile(&writer.projection().read(), dist, facts, now, &name);

    let (mut next_id, mut next_retraction) = store.max_ids().await.map_err(|e| e.to_string())?;
    let mut next_plan = store.max_plan_id().await.map_err(|e| e.to_string())?;
    let who: Arc<str> = Arc::from(IMPORTER);
    let source: Arc<str> = Arc::from("import");
    let mut events = Vec::new();
    for fact in plan.events {
        next_id += 1;
        events.push(Event {
            id: next_id,
            dist: dist.clone(),
            release: fact.release,
            state: fact.state,
            reached: fact.reached,
            at: fact.at,
            recorded_at: now,
            recorded_by: who.clone(),
            source: source.clone(),
            note: Some(fact.note),
            link: Some(fact.link.to_owned()),
            corrects: None,
        });
    }
    let retractions: Vec<Retraction> = plan
        .retractions
        .into_iter()
        .map(|(event_id, reason)| {
            next_retraction += 1;
            Retraction {
                id: next_retraction,
                event_id,
                reason,
                recorded_at: now,
                recorded_by: who.clone(),
                source: source.clone(),
            }
        })
        .collect();
    let plans: Vec<Plan> = plan
        .plans
        .into_iter()
        .map(|((release, state, reached), at, cancelled, note, link)| {
            next_plan += 1;
            Plan {
                id: next_plan,
                key: TransitionKey { dist: dist.clone(), release, state, reached },
                at,
                cancelled,
                note: Some(note),
                link: (!link.is_empty()).then(|| link.to_owned()),
                recorded_at: now,
                recorded_by: who.clone(),
                source: source.clone(),
            }
        })
        .collect();
    let changes = property_changes(store, dist, &text, now).await.map_err(|e| format!("{name}: {e}"))?;
    let summary = Summary {
        added: events.len(),
        present: plan.present,
        planned: plan.planned,
        plans: plans.len(),
        retracted: retractions.len(),
        properties: changes.len(),
        disagreements: plan.disagreements,
    };
    let import = Import { events, retractions, properties: changes, plans };
    writer.import(&import).await.map_err(|e| format!("nothing was imported: {}", with_cause(&e)))?;
    Ok(summary)
}

/// The property changes an import of `text` adds. A key never set is set
/// as of the row's first date (so `?at=` before it shows nothing, like
/// the events); a key whose latest value came from an import and differs
/// from the table is updated as of `now`; a key an editor set or removed
/// last is left alone, and equal values add nothing — so a second run
/// adds nothing.
async fn property_changes(
    store: &Store,
    dist: &Dist,
    text: &str,
    now: Timestamp,
) -> Result<Vec<PropertyChange>, String> {
    let facts = parse_properties(text)?;
    let mut stored = PropertyLog::new();
    let mut after = 0;
    loop {
        let batch = store.property_changes_after(after, 10_000).await.map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for change in batch.into_iter().filter(|c| &c.dist == dist) {
            stored.apply(change).map_err(|e| e.to_string())?;
        }
    }
    let mut next_id = store.max_property_id().await.map_err(|e| e.to_string())?;
    let who: Arc<str> = Arc::from(IMPORTER);
    let source: Arc<str> = Arc::from("import");
    let mut out = Vec::new();
    for fact in facts {
        let at = match stored.latest_change(dist, Some(&fact.release), fact.key) {
            None => fact.known_from.filter(|t| *t <= now + FUTURE_TOLERANCE).unwrap_or(now),
            Some(latest) if latest.value.as_deref() == Some(fact.value.as_str()) => continue,
            Some(latest) if &*latest.source != "import" => continue,
            Some(_) => now,
        };
        next_id += 1;
        let change = PropertyChange {
            id: next_id,
            dist: dist.clone(),
            release: Some(fact.release),
            key: fact.key.to_owned(),
            value: Some(fact.value),
            at,
            recorded_at: now,
            recorded_by: who.clone(),
            source: source.clone(),
        };
        // Applied here too, so a table naming a release twice updates
        // instead of setting twice.
        stored.apply(change.clone()).map_err(|e| e.to_string())?;
        out.push(change);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fedora_rows_become_stable_and_eol() {
        let text = "release,name,codename,release_date,eol_date,eol_source,maintained_for_days\n\
                    41,Fedora Linux 41,,2024-10-29,2025-12-15,docs.fedoraproject.org/en-US/releases/eol (actual),412\n";
        let facts = parse(text, "fedora-releases.csv").unwrap();
        let summary: Vec<String> =
            facts.iter().map(|f| format!("{} {} {}", f.state, f.reached, app::model::time::format(&f.at))).collect();
        assert_eq!(
            summary,
            vec![
                "stable true 2024-10-29T00:00:00Z",
                "stable false 2025-12-15T00:00:00Z",
                "eol true 2025-12-15T00:00:00Z"
            ]
        );
        assert_eq!(facts[0].link, FEDORA_GA);
        assert_eq!(facts[2].link, FEDORA_EOL);
        assert!(facts.iter().all(|f| !f.announced), "the docs' table reports what happened");
        // endoflife.date's EOLs are announced: plans until confirmed.
        let text = "release,name,codename,release_date,eol_date,eol_source,maintained_for_days\n\
                    42,Fedora Linux 42,Adams,2025-04-15,2026-05-27,\"endoflife.date eol (release newer than the docs EOL-table snapshot)\",\n";
        let facts = parse(text, "fedora-releases.csv").unwrap();
        let announced: Vec<(&str, bool)> = facts.iter().map(|f| (f.state.as_str(), f.announced)).collect();
        assert_eq!(announced, [("stable", false), ("stable", true), ("eol", true)]);
        assert!(facts[2].note.contains("as announced, not yet confirmed"));
    }

    #[test]
    fn distro_info_rows_have_development_and_their_later_phases() {
        let text = "version,codename,series,created,release,eol,eol-server,eol-esm\n\
                    6.06 LTS,Dapper Drake,dapper,2005-10-12,2006-06-01,2009-07-14,2011-06-01\n\
                    ,Sid,sid,1993-08-16\n";
        let facts = parse(text, "ubuntu.csv").unwrap();
        assert_eq!(facts[0].release.as_str(), "6.06");
        assert_eq!(facts.len(), 5 + 1 + 1);
        let server = &facts[5];
        assert_eq!((server.state.as_str(), server.reached), ("eol-server", true));
        assert_eq!(app::model::time::format(&server.at), "2011-06-01T00:00:00Z");
        assert_eq!(facts[6].release.as_str(), "sid");
        assert_eq!(facts[6].state.as_str(), "development");
        assert!(facts.iter().all(|f| f.link == UBUNTU));
    }

    #[test]
    fn properties_keep_the_table_text() {
        let text = "version,codename,series,created,release,eol\n\
                    22.04 LTS,Jammy Jellyfish,jammy,2021-10-14,2022-04-21,2027-06-01\n\
                    ,Sid,sid,1993-08-16\n";
        let facts = parse_properties(text).unwrap();
        let got: Vec<(&str, &str, &str)> =
            facts.iter().map(|f| (f.release.as_str(), f.key, f.value.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("22.04", "version", "22.04 LTS"),
                ("22.04", "codename", "Jammy Jellyfish"),
                ("22.04", "series", "jammy"),
                ("sid", "codename", "Sid"),
                ("sid", "series", "sid"),
            ]
        );
        assert_eq!(app::model::time::format(&facts[0].known_from.unwrap()), "2021-10-14T00:00:00Z");
        let fedora = "release,name,codename,release_date,eol_date\n42,Fedora Linux 42,Adams,2025-04-15,\n";
        let facts = parse_properties(fedora).unwrap();
        assert_eq!(facts.iter().map(|f| f.key).collect::<Vec<_>>(), vec!["name", "codename"]);
    }

    #[test]
    fn bad_dates_name_the_line() {
        let text = "version,codename,series,created,release,eol\n1.0,X,x,2001-02-30,,\n";
        assert!(parse(text, "debian.csv").unwrap_err().starts_with("line 2: created"));
    }
}
