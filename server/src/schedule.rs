//! `import-schedule`: a release's published schedule (an iCalendar file such
//! as Fedora's `f-NN-key.ics`) becomes plans, one per milestone a mapping
//! names. Names drift between releases, so the mapping matches loosely;
//! what it does not map is reported, never an error. A re-run records a
//! new revision only where a date moved. Plans only: nothing here writes
//! or changes an event.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use app::model::plans::{Plan, PlanInput, TransitionKey};
use app::model::{Dist, EventLog, Release, State, Timestamp};
use chrono::{NaiveDate, NaiveTime};
use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
use regex::Regex;

use crate::log::{with_cause, Import, LogWriter};

/// Who the plans are recorded by.
const IMPORTER: &str = "import-schedule";

/// Fedora's milestones, the mapping used without `--mapping`: the first
/// alternative of a line that matches is the preferred one (a "Public
/// Availability" day wins over the early target, which wins over target #1).
pub const DEFAULT_MAPPING: &str = "\
# Fedora's key milestones (f-NN-key.ics). One rule per line:
#   [enter|leave] STATE, [enter|leave] STATE ... = PATTERN | PATTERN ...
# An EOL is leaving stable and entering eol, as import-history records it.
branched = branch*from rawhide
beta = beta*public availability | beta*early target date | beta*target date #1
stable = final*public availability | final*early target date | final*target date #1
eol, leave stable = {release} eol | end of life
";

/// One line of a mapping: milestones matching its patterns plan its
/// transitions.
#[derive(Debug, Clone)]
struct Rule {
    /// `(state, reached)`, at least one.
    transitions: Vec<(State, bool)>,
    /// The alternatives, in order of preference.
    patterns: Vec<Regex>,
}

/// How milestone names map onto transitions of one release.
#[derive(Debug, Clone)]
pub struct Mapping {
    rules: Vec<Rule>,
}

/// The regex of one pattern: case-insensitive, `*` any text, white space
/// any white space, `{release}` the release id, matched as whole words
/// anywhere in the summary.
fn pattern_regex(pattern: &str, release: &Release) -> Result<Regex, String> {
    let pattern = pattern.split_whitespace().collect::<Vec<_>>().join(" ");
    if pattern.chars().all(|c| c == '*') {
        return Err(format!("the pattern `{pattern}` would match every milestone"));
    }
    let mut source = String::from("(?i)");
    if pattern.starts_with(|c: char| c.is_alphanumeric() || c == '{') {
        source.push_str(r"\b");
    }
    for (i, part) in pattern.split('*').enumerate() {
        if i > 0 {
            source.push_str(".*?");
        }
        let mut rest = part;
        while let Some(open) = rest.find('{') {
            source.push_str(&literal(&rest[..open]));
            let close = rest[open..].find('}').map(|c| open + c).ok_or("an unclosed `{` (only {release} is known)")?;
            match &rest[open + 1..close] {
                "release" => source.push_str(&regex::escape(release.as_str())),
                other => return Err(format!("unknown placeholder {{{other}}} (only {{release}} is known)")),
            }
            rest = &rest[close + 1..];
        }
        source.push_str(&literal(rest));
    }
    if pattern.ends_with(|c: char| c.is_alphanumeric() || c == '}') {
        source.push_str(r"\b");
    }
    Regex::new(&source).map_err(|e| format!("the pattern `{pattern}` is unusable: {e}"))
}

/// Literal text of a pattern, its white space matching any white space.
fn literal(text: &str) -> String {
    text.split(' ').map(regex::escape).collect::<Vec<_>>().join(r"\s+")
}

impl Mapping {
    /// Reads a mapping for `release`. Lines: `[enter|leave] STATE, ... =
    /// PATTERN | PATTERN ...` (`enter` when left out); `#` starts a comment
    /// line; blank lines are skipped. Errors name the line.
    pub fn parse(text: &str, release: &Release) -> Result<Self, String> {
        let mut rules = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let n = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((left, right)) = line.split_once('=') else {
                return Err(format!("line {n}: expected `[enter|leave] STATE = PATTERN | PATTERN ...`"));
            };
            let transitions = left
                .split(',')
                .map(|one| {
                    let one = one.trim();
                    let (reached, name) = match one.split_once(char::is_whitespace) {
                        Some((verb, rest)) if verb.eq_ignore_ascii_case("enter") => (true, rest.trim()),
                        Some((verb, rest)) if verb.eq_ignore_ascii_case("leave") => (false, rest.trim()),
                        _ => (true, one),
                    };
                    let state = State::parse(name).map_err(|e| format!("line {n}: the state: {}", e.message))?;
                    Ok((state, reached))
                })
                .collect::<Result<Vec<_>, String>>()?;
            let patterns = right
                .split('|')
                .map(str::trim)
                .map(|p| {
                    if p.is_empty() {
                        Err(format!("line {n}: an empty pattern"))
                    } else {
                        pattern_regex(p, release).map_err(|e| format!("line {n}: {e}"))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            rules.push(Rule { transitions, patterns });
        }
        if rules.is_empty() {
            return Err("no rules (lines `[enter|leave] STATE = PATTERN`)".into());
        }
        Ok(Self { rules })
    }

    /// The transitions `summary` plans and the preference of the pattern
    /// that matched (0 is the most preferred): the first rule that matches.
    fn map(&self, summary: &str) -> Option<(&[(State, bool)], usize)> {
        self.rules.iter().find_map(|rule| {
            let preference = rule.patterns.iter().position(|p| p.is_match(summary))?;
            Some((rule.transitions.as_slice(), preference))
        })
    }
}

/// A VEVENT of the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// Its SUMMARY, unescaped.
    pub summary: String,
    /// The day it starts: a DATE as is; a DATE-TIME by its own day (UTC
    /// for a `Z` time, the local day for one with TZID or floating), since
    /// a schedule's milestones are days.
    pub day: NaiveDate,
    /// The line of its `BEGIN:VEVENT` in the file.
    pub line: usize,
    /// Its URL, if it has one.
    pub link: Option<String>,
}

/// Clips a piece of input for an error message: one line, no control
/// characters, at most 60 characters.
fn clip(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).take(60).collect();
    if text.chars().count() > 60 {
        format!("{clean}…")
    } else {
        clean
    }
}

/// Checks the shape the parser needs, so that a broken file is refused
/// with the line at fault (the parser's own errors count the lines of the
/// unfolded text and name where the component began, not the bad line):
/// every content line is `NAME[;PARAM=...]:VALUE`, and BEGIN/END nest.
fn check_lines(lines: &[&str]) -> Result<(), String> {
    let mut open: Vec<(String, usize)> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let n = index + 1;
        // Folded continuations and blank lines carry no name.
        if line.starts_with([' ', '\t']) || line.trim().is_empty() {
            continue;
        }
        let name_end = line.find([':', ';']).unwrap_or(line.len());
        let name = &line[..name_end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || !line.contains(':') {
            return Err(format!("line {n}: not an iCalendar content line (NAME:VALUE): `{}`", clip(line)));
        }
        let value = line.split_once(':').map_or("", |(_, v)| v).trim().to_ascii_uppercase();
        if name.eq_ignore_ascii_case("BEGIN") {
            open.push((value, n));
        } else if name.eq_ignore_ascii_case("END") {
            match open.pop() {
                Some((begun, _)) if begun == value => {}
                Some((begun, at)) => {
                    return Err(format!("line {n}: END:{value} inside BEGIN:{begun} (line {at})"));
                }
                None => return Err(format!("line {n}: END:{value} without BEGIN")),
            }
        }
    }
    match open.last() {
        Some((begun, at)) => Err(format!("the file ends inside BEGIN:{begun} (line {at})")),
        None => Ok(()),
    }
}

/// Reads the VEVENTs of an iCalendar file (folded lines, DATE and DATE-TIME
/// values, TZID and UTC). VEVENTs without SUMMARY come back with an empty
/// one (reported as not mapped). Errors name the line.
pub fn parse_calendar(text: &str) -> Result<Vec<Milestone>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    match lines.iter().enumerate().find(|(_, l)| !l.trim().is_empty()) {
        Some((_, l)) if l.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR") => {}
        Some((i, l)) => {
            return Err(format!("line {}: not an iCalendar file: expected BEGIN:VCALENDAR, found `{}`", i + 1, clip(l)))
        }
        None => return Err("not an iCalendar file: it is empty".into()),
    }
    check_lines(&lines)?;
    // Where each VEVENT begins, in file order, for the messages.
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim().eq_ignore_ascii_case("BEGIN:VEVENT"))
        .map(|(i, _)| i + 1)
        .collect();
    let unfolded = icalendar::parser::unfold(text);
    // The parser counts the lines of the text with its folded lines
    // joined; the message says so.
    let parsed = icalendar::parser::read_calendar(&unfolded).map_err(|e| {
        format!(
            "not valid iCalendar (lines counted with folded lines joined): {}",
            e.split_whitespace().collect::<Vec<_>>().join(" ")
        )
    })?;
    let calendar = icalendar::Calendar::from(parsed);
    let mut out = Vec::new();
    let events = calendar.components.iter().filter_map(|c| match c {
        CalendarComponent::Event(e) => Some(e),
        _ => None,
    });
    for (index, event) in events.enumerate() {
        let line = starts.get(index).copied().unwrap_or(0);
        let summary = event.get_summary().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
        let named = if summary.is_empty() { "a VEVENT".to_owned() } else { format!("“{}”", clip(&summary)) };
        let Some(raw) = event.property_value("DTSTART") else {
            return Err(format!("line {line}: {named} has no DTSTART"));
        };
        let day = match event.get_start() {
            Some(DatePerhapsTime::Date(d)) => d,
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t.date_naive(),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Floating(t))) => t.date(),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, .. })) => date_time.date(),
            None => {
                return Err(format!(
                    "line {line}: the DTSTART `{}` of {named} is neither a DATE nor a DATE-TIME",
                    clip(raw)
                ))
            }
        };
        let link = event.property_value("URL").map(str::to_owned);
        out.push(Milestone { summary, day, line, link });
    }
    if out.is_empty() {
        return Err("no VEVENT in the calendar: no milestones to import".into());
    }
    Ok(out)
}

/// A milestone mapped to a transition.
#[derive(Debug, Clone)]
struct Mapped {
    key: TransitionKey,
    preference: usize,
    milestone: Milestone,
}

/// The number a summary gives a release of `dist` ("Fedora Linux 42 EOL"
/// → 42), if it names one.
fn named_release(dist: &Dist, summary: &str) -> Option<String> {
    let source = format!(r"(?i)\b{}(?:\s+linux|\s+core)?\s+(\d+(?:\.\d+)*)\b", regex::escape(dist.as_str()));
    let regex = Regex::new(&source).ok()?;
    regex.captures(summary).map(|c| c[1].to_owned())
}

/// The plans the milestones make: per transition, the milestone of the
/// most preferred pattern (then the earliest); everything else is reported
/// in words. A milestone naming another release of the dist is not ours.
fn map_milestones(
    dist: &Dist,
    release: &Release,
    mapping: &Mapping,
    milestones: Vec<Milestone>,
) -> (Vec<Mapped>, Vec<String>) {
    let mut chosen: BTreeMap<TransitionKey, Mapped> = BTreeMap::new();
    let mut not_mapped: Vec<(usize, String)> = Vec::new();
    let mut passed_over = Vec::new();
    for m in milestones {
        if m.summary.is_empty() {
            not_mapped.push((m.line, format!("line {}: a VEVENT without SUMMARY", m.line)));
            continue;
        }
        if let Some(other) = named_release(dist, &m.summary).filter(|n| n != release.as_str()) {
            not_mapped
                .push((m.line, format!("line {}: “{}” (about release {other}, not {release})", m.line, m.summary)));
            continue;
        }
        let Some((transitions, preference)) = mapping.map(&m.summary) else {
            not_mapped.push((m.line, format!("line {}: “{}”", m.line, m.summary)));
            continue;
        };
        for (state, reached) in transitions {
            let key =
                TransitionKey { dist: dist.clone(), release: release.clone(), state: state.clone(), reached: *reached };
            let candidate = Mapped { key: key.clone(), preference, milestone: m.clone() };
            match chosen.get(&key) {
                Some(held) if (held.preference, held.milestone.day) <= (preference, candidate.milestone.day) => {
                    passed_over.push((candidate, held.milestone.clone()))
                }
                _ => {
                    if let Some(held) = chosen.insert(key, candidate.clone()) {
                        passed_over.push((held, candidate.milestone));
                    }
                }
            }
        }
    }
    for (m, winner) in passed_over {
        not_mapped.push((
            m.milestone.line,
            format!(
                "line {}: “{}” ({} comes from “{}”, line {})",
                m.milestone.line,
                m.milestone.summary,
                words(&m.key),
                winner.summary,
                winner.line
            ),
        ));
    }
    // In file order, as people read the file.
    not_mapped.sort_by_key(|(line, _)| *line);
    (chosen.into_values().collect(), not_mapped.into_iter().map(|(_, text)| text).collect())
}

fn words(key: &TransitionKey) -> String {
    format!("{} {} {}", key.release, if key.reached { "entering" } else { "leaving" }, key.state)
}

/// What an import did, in words.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Plans for transitions that had none (or whose plan was cancelled).
    pub added: Vec<String>,
    /// Plans whose date moved: a new revision each.
    pub moved: Vec<String>,
    /// Milestones whose plan already has their date: nothing written.
    pub unchanged: usize,
    /// Milestones the mapping does not map, or that lost to a preferred
    /// one for the same transition.
    pub not_mapped: Vec<String>,
    /// Transitions whose current plan a person recorded on another date:
    /// left as planned.
    pub disagreements: Vec<String>,
}

impl Summary {
    /// Plan revisions written.
    pub fn written(&self) -> usize {
        self.added.len() + self.moved.len()
    }
}

fn midnight(day: NaiveDate) -> Timestamp {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Compares the mapped milestones with the current plans: a new revision
/// where there is no plan, a cancelled one, or one an import made on
/// another day; nothing where the day is the same; a person's plan on
/// another day is left alone (a disagreement).
fn reconcile(log: &EventLog, mapped: &[Mapped], file: &str, summary: &mut Summary) -> Vec<(Mapped, Timestamp)> {
    let mut out = Vec::new();
    for m in mapped {
        let at = midnight(m.milestone.day);
        let what =
            format!("{} on {} (“{}”, line {})", words(&m.key), m.milestone.day, m.milestone.summary, m.milestone.line);
        match log.plans().current(&m.key) {
            Some(p) if !p.cancelled && p.at == at => summary.unchanged += 1,
            Some(p) if &*p.source != "import" && !p.cancelled => summary.disagreements.push(format!(
                "{file} plans {what}, but {} planned it for {}; left as planned",
                p.recorded_by,
                p.at.date_naive()
            )),
            Some(p) if !p.cancelled => {
                summary.moved.push(format!(
                    "{} from {} to {} (“{}”, line {})",
                    words(&m.key),
                    p.at.date_naive(),
                    m.milestone.day,
                    m.milestone.summary,
                    m.milestone.line
                ));
                out.push((m.clone(), at));
            }
            _ => {
                summary.added.push(what);
                out.push((m.clone(), at));
            }
        }
    }
    out
}

/// Imports the schedule `file` as plans of `dist` `release`, mapped by the
/// mapping file `mapping` (Fedora's [`DEFAULT_MAPPING`] without one), in
/// one transaction through `writer`. Any error means nothing was written.
pub async fn import(
    writer: &LogWriter,
    dist: &Dist,
    release: &Release,
    file: &Path,
    mapping: Option<&Path>,
    now: Timestamp,
) -> Result<Summary, String> {
    let name = |p: &Path| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let mapping = match mapping {
        Some(path) => Mapping::parse(&read(path)?, release).map_err(|e| format!("{}: {e}", path.display()))?,
        None => Mapping::parse(DEFAULT_MAPPING, release).map_err(|e| format!("the default mapping: {e}"))?,
    };
    let file_name = name(file);
    let milestones = parse_calendar(&read(file)?).map_err(|e| format!("{}: {e}", file.display()))?;
    let (mapped, not_mapped) = map_milestones(dist, release, &mapping, milestones);
    let mut summary = Summary { not_mapped, ..Summary::default() };
    let writes = {
        let log = writer.projection().read();
        if !log.has_dist(dist) && !log.plans().keys().any(|k| &k.dist == dist) {
            return Err(format!(
                "unknown dist `{dist}`: nothing is recorded or planned for it (is the name right? record a first event or plan to start one)"
            ));
        }
        reconcile(&log, &mapped, &file_name, &mut summary)
    };
    if writes.is_empty() {
        return Ok(summary);
    }
    let mut next_plan = writer.store().max_plan_id().await.map_err(|e| e.to_string())?;
    let who: Arc<str> = Arc::from(IMPORTER);
    let source: Arc<str> = Arc::from("import");
    let mut plans = Vec::new();
    for (m, at) in writes {
        // Checked by the same rules as a plan sent to the API.
        let link = m.milestone.link.filter(|l| app::model::name::check_link("link", l).is_ok());
        let checked = PlanInput {
            dist: Some(dist.to_string()),
            release: Some(release.to_string()),
            state: Some(m.key.state.to_string()),
            reached: Some(m.key.reached),
            at: Some(app::model::time::format(&at)),
            note: Some(format!("Imported from {file_name} (line {}): “{}”.", m.milestone.line, m.milestone.summary)),
            link,
        }
        .validate()
        .map_err(|e| format!("{}: line {}: {e}", file.display(), m.milestone.line))?;
        next_plan += 1;
        plans.push(Plan {
            id: next_plan,
            key: checked.key,
            at: checked.at,
            cancelled: false,
            note: checked.note,
            link: checked.link,
            recorded_at: now,
            recorded_by: who.clone(),
            source: source.clone(),
        });
    }
    let import = Import { plans, ..Import::default() };
    writer.import(&import).await.map_err(|e| format!("nothing was imported: {}", with_cause(&e)))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(id: &str) -> Release {
        Release::parse(id).unwrap()
    }

    /// The first transition a summary maps to, and the preference.
    fn mapped(mapping: &Mapping, summary: &str) -> Option<(String, bool, usize)> {
        mapping.map(summary).map(|(t, p)| (t[0].0.to_string(), t[0].1, p))
    }

    #[test]
    fn the_default_mapping_reads_fedoras_milestone_names_loosely() {
        let m = Mapping::parse(DEFAULT_MAPPING, &release("44")).unwrap();
        let cases = [
            ("Branch Fedora Linux 44 from Rawhide", Some(("branched", 0))),
            ("Branch Fedora 44 from   rawhide", Some(("branched", 0))),
            ("Beta Release Public Availability", Some(("beta", 0))),
            ("Beta Release Early Target date", Some(("beta", 1))),
            ("Beta Release Target date #1", Some(("beta", 2))),
            ("Final Release (GA) Public Availability", Some(("stable", 0))),
            ("Final Release Public Availability (GA)", Some(("stable", 0))),
            ("Final Release Early Target date", Some(("stable", 1))),
            ("Fedora Linux 44 EOL", Some(("eol", 0))),
            ("End of Life", Some(("eol", 1))),
            ("Beta Freeze (starts at 14:00 UTC)", None),
            ("Mass Rebuild", None),
            ("Fedora Linux 144 EOL", None),
            ("Rebranching", None),
        ];
        let (eol, _) = m.map("Fedora Linux 44 EOL").unwrap();
        assert_eq!(eol.iter().map(|(s, r)| (s.as_str(), *r)).collect::<Vec<_>>(), [("eol", true), ("stable", false)]);
        for (summary, expected) in cases {
            assert_eq!(mapped(&m, summary), expected.map(|(s, p)| (s.to_owned(), true, p)), "{summary}");
        }
    }

    #[test]
    fn mapping_files_enter_and_leave_and_bad_lines_are_named() {
        let text =
            "# mine\n\nenter final freeze = final*freeze\nleave  development, enter ga = *public availability*\n";
        let m = Mapping::parse(text, &release("44")).unwrap();
        assert_eq!(mapped(&m, "Final Freeze (starts at 1400 UTC)"), Some(("final freeze".into(), true, 0)));
        assert_eq!(mapped(&m, "Beta Release Public Availability"), Some(("development".into(), false, 0)));
        assert_eq!(m.map("Final Release Public Availability").unwrap().0[1], (State::parse("ga").unwrap(), true));
        for (text, error) in [
            ("branched branch*from rawhide", "line 1: expected"),
            ("# c\n = branch", "line 2: the state"),
            ("eol, = eol", "line 1: the state"),
            ("beta = beta | ", "line 1: an empty pattern"),
            ("beta = *", "line 1: the pattern `*` would match every milestone"),
            ("eol = {version} eol", "line 1: unknown placeholder {version}"),
            ("eol = {release eol", "line 1: an unclosed"),
            ("# nothing\n", "no rules"),
        ] {
            let e = Mapping::parse(text, &release("44")).unwrap_err();
            assert!(e.starts_with(error), "{text:?}: {e}");
        }
    }

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
        BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:Branch Fedora Linux 44 \r\n from Rawhide\r\nDTSTART;VALUE=DATE:20260203\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:2\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:Final Freeze\\, starts\r\nDTSTART:20260331T230000Z\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:3\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:Beta Freeze\r\nDTSTART;TZID=America/New_York:20260217T233000\r\nEND:VEVENT\r\n\
        END:VCALENDAR\r\n";

    #[test]
    fn calendars_unfold_and_read_dates_and_date_times_by_their_day() {
        let got = parse_calendar(ICS).unwrap();
        let rows: Vec<(&str, String, usize)> =
            got.iter().map(|m| (m.summary.as_str(), m.day.to_string(), m.line)).collect();
        assert_eq!(
            rows,
            [
                ("Branch Fedora Linux 44 from Rawhide", "2026-02-03".to_owned(), 4),
                ("Final Freeze, starts", "2026-03-31".to_owned(), 11),
                // The local day, not the UTC one (which is the 18th).
                ("Beta Freeze", "2026-02-17".to_owned(), 17),
            ]
        );
    }

    #[test]
    fn bad_calendars_name_the_line() {
        for (text, error) in [
            ("", "not an iCalendar file: it is empty"),
            ("\nrelease,name\n44,x\n", "line 2: not an iCalendar file: expected BEGIN:VCALENDAR, found `release,name`"),
            ("BEGIN:VCALENDAR\nEND:VCALENDAR\n", "no VEVENT"),
            (
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nthis is not a property\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                "line 3: not an iCalendar content line (NAME:VALUE): `this is not a property`",
            ),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VCALENDAR\n",
                "line 4: END:VCALENDAR inside BEGIN:VEVENT (line 2)",
            ),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\n", "the file ends inside BEGIN:VEVENT (line 2)"),
            ("BEGIN:VCALENDAR\nEND:VEVENT\n", "line 2: END:VEVENT inside BEGIN:VCALENDAR (line 1)"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:X\nEND:VEVENT\nEND:VCALENDAR\n", "line 2: “X” has no DTSTART"),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:X\nDTSTART:next tuesday\nEND:VEVENT\nEND:VCALENDAR\n",
                "line 2: the DTSTART `next tuesday` of “X” is neither",
            ),
        ] {
            let e = parse_calendar(text).unwrap_err();
            assert!(e.starts_with(error), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_preferred_milestone_wins_and_other_releases_are_not_ours() {
        let ms = |rows: &[(&str, &str, usize)]| -> Vec<Milestone> {
            rows.iter()
                .map(|(s, d, l)| Milestone {
                    summary: (*s).to_owned(),
                    day: NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap(),
                    line: *l,
                    link: None,
                })
                .collect()
        };
        let fedora = Dist::parse("fedora").unwrap();
        let m = Mapping::parse(DEFAULT_MAPPING, &release("44")).unwrap();
        let (mapped, not_mapped) = map_milestones(
            &fedora,
            &release("44"),
            &m,
            ms(&[
                ("Final Release Target date #1", "2026-04-21", 30),
                ("Final Release Early Target date", "2026-04-14", 20),
                ("Fedora Linux 42 EOL", "2026-05-13", 40),
                ("Fedora Linux 44 EOL", "2027-05-19", 50),
                ("Mass Rebuild", "2026-01-14", 10),
            ]),
        );
        let got: Vec<(String, String)> =
            mapped.iter().map(|m| (m.key.state.to_string(), m.milestone.day.to_string())).collect();
        assert_eq!(
            got,
            [
                ("eol".to_owned(), "2027-05-19".to_owned()),
                ("stable".to_owned(), "2027-05-19".to_owned()),
                ("stable".to_owned(), "2026-04-14".to_owned())
            ]
        );
        assert_eq!(
            not_mapped,
            [
                "line 10: “Mass Rebuild”",
                "line 30: “Final Release Target date #1” (44 entering stable comes from “Final Release Early Target date”, line 20)",
                "line 40: “Fedora Linux 42 EOL” (about release 42, not 44)",
            ]
        );
    }
}
