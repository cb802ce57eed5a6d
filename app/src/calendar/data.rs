//! The release calendar: a month grid with each event on its day (and each
//! unmet plan on its planned day, apart from the facts), a year of stays
//! in states as bars, and the lifecycle of each release across years with
//! its planned stretches. Pure; built from the `EventLog`.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};

use crate::model::plans::{self, PlanQuery, PlanStatus, PlanView};
use crate::model::{Dist, Event, EventLog, Release, State, Timestamp};

/// One event placed on the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Event id, for the link.
    pub id: i64,
    /// Dist.
    pub dist: Dist,
    /// Release.
    pub release: Release,
    /// State.
    pub state: State,
    /// Entered or left.
    pub reached: bool,
    /// When.
    pub at: Timestamp,
    /// Whether it was retracted (shown struck through).
    pub retracted: bool,
}

/// A day cell of the month grid.
#[derive(Debug, Clone, PartialEq)]
pub struct DayCell {
    /// The date.
    pub date: NaiveDate,
    /// Its events, in time order.
    pub events: Vec<CalendarEvent>,
    /// Plans not met yet (upcoming or overdue) whose current date falls on
    /// it, in time order.
    pub planned: Vec<PlanView>,
}

/// A month as weeks (Monday first); `None` pads days of other months.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthGrid {
    /// First day of the month.
    pub first: NaiveDate,
    /// Weeks of seven cells.
    pub weeks: Vec<[Option<DayCell>; 7]>,
}

/// The first day of the month after `first`.
pub fn next_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 { (first.year() + 1, 1) } else { (first.year(), first.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first)
}

/// The first day of the month before `first`.
pub fn previous_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 1 { (first.year() - 1, 12) } else { (first.year(), first.month() - 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first)
}

fn start_of(date: NaiveDate) -> Timestamp {
    date.and_time(NaiveTime::MIN).and_utc()
}

/// Events with `from <= at < to`, of `dist` when given, in time order.
pub fn events_between(log: &EventLog, dist: Option<&Dist>, from: Timestamp, to: Timestamp) -> Vec<CalendarEvent> {
    let mut out: Vec<CalendarEvent> = log
        .events()
        .iter()
        .filter(|e| e.at >= from && e.at < to && dist.is_none_or(|d| &e.dist == d))
        .map(|e: &Event| CalendarEvent {
            id: e.id,
            dist: e.dist.clone(),
            release: e.release.clone(),
            state: e.state.clone(),
            reached: e.reached,
            at: e.at,
            retracted: log.retraction_of(e.id).is_some(),
        })
        .collect();
    out.sort_by_key(|e| (e.at, e.id));
    out
}

/// The grid of the month starting at `first`, with its events and the
/// plans unmet at `now` (overdue after `grace`).
pub fn month_grid(
    log: &EventLog,
    dist: Option<&Dist>,
    first: NaiveDate,
    now: Timestamp,
    grace: chrono::Duration,
) -> MonthGrid {
    let after = next_month(first);
    let events = events_between(log, dist, start_of(first), start_of(after));
    let query = PlanQuery {
        dist: dist.cloned(),
        since: Some(start_of(first)),
        until: Some(start_of(after) - Duration::nanoseconds(1)),
        ..PlanQuery::default()
    };
    let planned: Vec<PlanView> = plans::list(log, &query, now, grace)
        .into_iter()
        .filter(|v| matches!(v.status, PlanStatus::Upcoming | PlanStatus::Overdue))
        .collect();
    let lead = first.weekday().num_days_from_monday() as usize;
    let days = (after - first).num_days() as usize;
    let mut cells: Vec<Option<DayCell>> = vec![None; lead];
    for offset in 0..days {
        let date = first + Duration::days(offset as i64);
        let on_day = events.iter().filter(|e| e.at.date_naive() == date).cloned().collect();
        let plans_on_day = planned.iter().filter(|v| v.plan.at.date_naive() == date).cloned().collect();
        cells.push(Some(DayCell { date, events: on_day, planned: plans_on_day }));
    }
    while !cells.len().is_multiple_of(7) {
        cells.push(None);
    }
    let weeks = cells.chunks(7).map(|w| std::array::from_fn(|i| w[i].clone())).collect();
    MonthGrid { first, weeks }
}

/// One entry of a day: a release's events at one instant, so that a move
/// from one state to another reads as one ("Fedora 40: beta → stable").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The first event (its release and instant are the entry's; its id
    /// is the link's).
    pub first: CalendarEvent,
    /// Every event of the entry, by id.
    pub ids: Vec<i64>,
    /// States left.
    pub left: Vec<State>,
    /// States entered.
    pub entered: Vec<State>,
    /// Retracted (a retracted event is never merged).
    pub retracted: bool,
}

/// Groups a day's events (in time order) into entries: neighbours of one
/// release and instant become one, retracted events stay alone.
pub fn transitions(events: &[CalendarEvent]) -> Vec<Transition> {
    let mut out: Vec<Transition> = Vec::new();
    for e in events {
        let joins = |t: &Transition| {
            !t.retracted && !e.retracted && t.first.dist == e.dist && t.first.release == e.release && t.first.at == e.at
        };
        let side = |t: &mut Transition| {
            t.ids.push(e.id);
            if e.reached {
                t.entered.push(e.state.clone())
            } else {
                t.left.push(e.state.clone())
            }
        };
        match out.last_mut() {
            Some(t) if joins(t) => side(t),
            _ => {
                let mut t = Transition {
                    first: e.clone(),
                    ids: Vec::new(),
                    left: Vec::new(),
                    entered: Vec::new(),
                    retracted: e.retracted,
                };
                side(&mut t);
                out.push(t);
            }
        }
    }
    out
}

/// The instants of the last event before `from` and of the first at or
/// after `to` (retracted ones do not count), of `dist` when given: where
/// "previous event" and "next event" lead from a page showing `from..to`.
pub fn nearest_events(
    log: &EventLog,
    dist: Option<&Dist>,
    from: Timestamp,
    to: Timestamp,
) -> (Option<Timestamp>, Option<Timestamp>) {
    let mut before: Option<Timestamp> = None;
    let mut after: Option<Timestamp> = None;
    for e in log.events().iter().filter(|e| dist.is_none_or(|d| &e.dist == d)) {
        if log.retraction_of(e.id).is_some() {
            continue;
        }
        if e.at < from && before.is_none_or(|b| e.at > b) {
            before = Some(e.at);
        }
        if e.at >= to && after.is_none_or(|a| e.at < a) {
            after = Some(e.at);
        }
    }
    (before, after)
}

/// One row of the year chart: a release's stays in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearRow {
    /// Dist.
    pub dist: Dist,
    /// Release.
    pub release: Release,
    /// State.
    pub state: State,
    /// Stays overlapping the year, clipped to it: (from, to, still in at
    /// the end of the shown span).
    pub bars: Vec<(Timestamp, Timestamp, bool)>,
}

/// The stays overlapping `[from, to)`, as of `now` (open stays end at
/// `min(now, to)`), for `dist` or every dist.
pub fn year_rows(log: &EventLog, dist: Option<&Dist>, from: Timestamp, to: Timestamp, now: Timestamp) -> Vec<YearRow> {
    let until = now.min(to);
    let mut rows = Vec::new();
    let dists: Vec<Dist> = log.dists().into_iter().map(|d| d.dist).filter(|d| dist.is_none_or(|x| x == d)).collect();
    for d in dists {
        let Some(detailed) = log.detailed(&d, until) else { continue };
        // Newest releases first, like the matrix.
        for (release, states) in detailed.iter().rev() {
            for (state, detail) in states {
                let bars: Vec<(Timestamp, Timestamp, bool)> = detail
                    .history
                    .iter()
                    .filter_map(|i| {
                        let end = i.left.unwrap_or(until);
                        (i.entered < to && end >= from).then(|| (i.entered.max(from), end.min(to), i.left.is_none()))
                    })
                    .collect();
                if !bars.is_empty() {
                    rows.push(YearRow { dist: d.clone(), release: release.clone(), state: state.clone(), bars });
                }
            }
        }
    }
    rows
}

/// A stretch of one state on the lifecycle chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Start, clipped to the chart.
    pub from: Timestamp,
    /// End, clipped to the chart (an open stay ends now).
    pub to: Timestamp,
    /// Planned, not a fact: from an unmet plan (upcoming or overdue).
    pub planned: bool,
    /// It goes on past `to` (an open stay, or a plan with no planned end).
    pub open: bool,
}

/// One state of a release on the lifecycle chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// The state.
    pub state: State,
    /// Its stretches, in time order.
    pub spans: Vec<Span>,
}

/// One release on the lifecycle chart: a lane per state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRow {
    /// Dist.
    pub dist: Dist,
    /// Release.
    pub release: Release,
    /// Lanes, by when each state was first entered (or planned).
    pub lanes: Vec<Lane>,
}

/// The lifecycle of each release overlapping `[from, to)` as of `now`:
/// its actual stays (an open one ends now), and where plans say more is
/// ahead, planned stretches — from now to a planned leaving of a state it
/// is in, or from a planned entering to the planned leaving (open when
/// none is planned). Newest releases first, per dist.
pub fn lifecycle_rows(
    log: &EventLog,
    dist: Option<&Dist>,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    grace: Duration,
) -> Vec<LifecycleRow> {
    use std::collections::{BTreeMap, HashMap};
    let clip = |a: Timestamp, b: Timestamp, planned: bool, open: bool| {
        (a < to && b > from && a < b).then(|| Span { from: a.max(from), to: b.min(to), planned, open: open || b > to })
    };
    let mut dists: Vec<Dist> = log.dists().into_iter().map(|d| d.dist).collect();
    for key in log.plans().keys() {
        if !dists.contains(&key.dist) {
            dists.push(key.dist.clone());
        }
    }
    dists.sort();
    let mut rows = Vec::new();
    for d in dists.into_iter().filter(|d| dist.is_none_or(|x| x == d)) {
        // Per release and state: actual stays, and the unmet plans.
        // Per state: its stretches, and when it was first entered (or planned).
        type Lanes = BTreeMap<State, (Vec<Span>, Option<Timestamp>)>;
        let mut releases: BTreeMap<Release, Lanes> = BTreeMap::new();
        // Lookups only: hashing a name is cheaper than comparing release
        // names in natural order, which a BTreeMap does at every level.
        let mut inside: HashMap<(Release, State), bool> = HashMap::new();
        for (release, states) in log.detailed(&d, now).unwrap_or_default() {
            for (state, detail) in states {
                let spans: Vec<Span> = detail
                    .history
                    .iter()
                    .filter_map(|i| clip(i.entered, i.left.unwrap_or(now), false, i.left.is_none()))
                    .collect();
                let first = detail.history.first().map(|i| i.entered);
                inside.insert((release.clone(), state.clone()), detail.is_in);
                releases.entry(release.clone()).or_default().insert(state, (spans, first));
            }
        }
        let query = PlanQuery { dist: Some(d.clone()), ..PlanQuery::default() };
        let mut enter: HashMap<(Release, State), Timestamp> = HashMap::new();
        let mut leave: HashMap<(Release, State), Timestamp> = HashMap::new();
        for v in plans::list(log, &query, now, grace) {
            if !matches!(v.status, PlanStatus::Upcoming | PlanStatus::Overdue) {
                continue;
            }
            let key = (v.plan.release.clone(), v.plan.state.clone());
            if v.plan.reached {
                enter.insert(key, v.plan.at)
            } else {
                leave.insert(key, v.plan.at)
            };
        }
        let keys: std::collections::HashSet<(Release, State)> = enter.keys().chain(leave.keys()).cloned().collect();
        for key in keys {
            let is_in = inside.get(&key).copied().unwrap_or(false);
            let end = leave.get(&key).copied();
            let span = match (is_in, enter.get(&key)) {
                // In it now: planned from now to the planned leaving.
                (true, _) => end.filter(|e| *e > now).and_then(|e| clip(now, e, true, false)),
                (false, Some(start)) => clip(*start, end.unwrap_or(to), true, end.is_none()),
                (false, None) => None,
            };
            let entry = releases.entry(key.0.clone()).or_default().entry(key.1.clone()).or_default();
            if entry.1.is_none() {
                entry.1 = enter.get(&key).copied();
            }
            entry.0.extend(span);
        }
        for (release, states) in releases.into_iter().rev() {
            let mut lanes: Vec<(Option<Timestamp>, Lane)> = states
                .into_iter()
                .filter(|(_, (spans, _))| !spans.is_empty())
                .map(|(state, (mut spans, first))| {
                    spans.sort_by_key(|s| s.from);
                    (first, Lane { state, spans })
                })
                .collect();
            if lanes.is_empty() {
                continue;
            }
            lanes.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.state.cmp(&b.1.state)));
            rows.push(LifecycleRow {
                dist: d.clone(),
                release,
                lanes: lanes.into_iter().map(|(_, lane)| lane).collect(),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::fedora_log;
    use crate::model::time::parse_timestamp;

    fn t(s: &str) -> Timestamp {
        parse_timestamp("at", s).unwrap()
    }

    #[test]
    fn a_move_on_one_day_is_one_entry_and_retractions_stay_apart() {
        let mut log = fedora_log(&[
            ("40", "beta", false, "2024-04-23T00:00:00Z"),
            ("40", "stable", true, "2024-04-23T00:00:00Z"),
            ("39", "stable", true, "2024-04-23T00:00:00Z"),
            ("39", "stable", true, "2024-04-23T00:00:00Z"),
        ]);
        log.apply_retraction(crate::model::event::Retraction {
            id: 1,
            event_id: 4,
            reason: "twice".into(),
            recorded_at: t("2024-04-24T00:00:00Z"),
            recorded_by: std::sync::Arc::from("t"),
            source: std::sync::Arc::from("api"),
        })
        .unwrap();
        let day = events_between(&log, None, t("2024-04-23T00:00:00Z"), t("2024-04-24T00:00:00Z"));
        let entries = transitions(&day);
        let shown: Vec<(&str, Vec<i64>, usize, usize, bool)> = entries
            .iter()
            .map(|e| (e.first.release.as_str(), e.ids.clone(), e.left.len(), e.entered.len(), e.retracted))
            .collect();
        assert_eq!(
            shown,
            vec![("40", vec![1, 2], 1, 1, false), ("39", vec![3], 0, 1, false), ("39", vec![4], 0, 1, true)]
        );
    }

    #[test]
    fn nearest_events_skip_the_shown_range_and_retractions() {
        let log = log();
        let (before, after) = nearest_events(&log, None, t("2026-03-01T00:00:00Z"), t("2026-04-01T00:00:00Z"));
        assert_eq!(before, Some(t("2026-02-10T14:00:00Z")));
        assert_eq!(after, Some(t("2026-04-28T00:00:00Z")));
        let (before, after) = nearest_events(&log, None, t("2000-01-01T00:00:00Z"), t("2000-02-01T00:00:00Z"));
        assert_eq!(before, None);
        assert_eq!(after, Some(t("2025-10-28T00:00:00Z")), "the earliest, not the first recorded");
    }

    fn log() -> EventLog {
        fedora_log(&[
            ("44", "branched", true, "2026-02-10T14:00:00Z"),
            ("44", "branched", false, "2026-04-28T00:00:00Z"),
            ("44", "stable", true, "2026-04-28T00:00:00Z"),
            ("43", "stable", true, "2025-10-28T00:00:00Z"),
        ])
    }

    #[test]
    fn month_grid_places_events_on_their_days() {
        let feb = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        let now = NaiveDate::from_ymd_opt(2026, 2, 20).unwrap().and_time(NaiveTime::MIN).and_utc();
        let mut log = log();
        let key = crate::model::plans::TransitionKey {
            dist: Dist::parse("fedora").unwrap(),
            release: Release::parse("45").unwrap(),
            state: State::parse("branched").unwrap(),
            reached: true,
        };
        for (id, day) in [(1, 24), (2, 25)] {
            log.apply_plan(crate::model::plans::Plan {
                id,
                key: key.clone(),
                at: NaiveDate::from_ymd_opt(2026, 2, day).unwrap().and_time(NaiveTime::MIN).and_utc(),
                cancelled: false,
                note: None,
                link: None,
                recorded_at: now,
                recorded_by: std::sync::Arc::from("releng"),
                source: std::sync::Arc::from("api"),
            })
            .unwrap();
        }
        let grid = month_grid(&log, None, feb, now, crate::model::plans::DEFAULT_GRACE);
        // February 2026 starts on a Sunday: six blank cells first.
        assert!(grid.weeks[0][..6].iter().all(Option::is_none));
        assert_eq!(grid.weeks[0][6].as_ref().unwrap().date, feb);
        let cells: Vec<&DayCell> = grid.weeks.iter().flatten().flatten().collect();
        assert_eq!(cells.len(), 28);
        let tenth = cells.iter().find(|c| c.date.day() == 10).unwrap();
        assert_eq!(tenth.events.len(), 1);
        assert_eq!(tenth.events[0].state.as_str(), "branched");
        // The plan on its current day only (it moved from the 24th).
        let planned: Vec<u32> = cells.iter().filter(|c| !c.planned.is_empty()).map(|c| c.date.day()).collect();
        assert_eq!(planned, [25]);
        assert!(cells.iter().all(|c| c.planned.iter().all(|p| p.status == PlanStatus::Upcoming)));
        assert_eq!(
            next_month(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(
            previous_month(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
        );
    }

    #[test]
    fn lifecycle_rows_draw_facts_and_plans_apart() {
        let mut log = log();
        let plan = |id, release: &str, state: &str, reached, at: &str| crate::model::plans::Plan {
            id,
            key: crate::model::plans::TransitionKey {
                dist: Dist::parse("fedora").unwrap(),
                release: Release::parse(release).unwrap(),
                state: State::parse(state).unwrap(),
                reached,
            },
            at: t(at),
            cancelled: false,
            note: None,
            link: None,
            recorded_at: t("2026-01-01T00:00:00Z"),
            recorded_by: std::sync::Arc::from("releng"),
            source: std::sync::Arc::from("api"),
        };
        // 43 leaves stable on 2026-12-09 (planned), 45 is only planned,
        // and a plan already met (44 entering stable) adds nothing.
        for p in [
            plan(1, "43", "stable", false, "2026-12-09T00:00:00Z"),
            plan(2, "45", "branched", true, "2027-02-09T00:00:00Z"),
            plan(3, "45", "branched", false, "2027-04-20T00:00:00Z"),
            plan(4, "44", "stable", true, "2026-04-21T00:00:00Z"),
        ] {
            log.apply_plan(p).unwrap();
        }
        let now = t("2026-11-22T00:00:00Z");
        let rows = lifecycle_rows(
            &log,
            None,
            t("2021-01-01T00:00:00Z"),
            t("2029-01-01T00:00:00Z"),
            now,
            crate::model::plans::DEFAULT_GRACE,
        );
        let labels: Vec<&str> = rows.iter().map(|r| r.release.as_str()).collect();
        assert_eq!(labels, ["45", "44", "43"]);
        let lane =
            |row: &LifecycleRow, state: &str| row.lanes.iter().find(|l| l.state.as_str() == state).cloned().unwrap();
        let planned = lane(&rows[0], "branched");
        assert_eq!(
            planned.spans,
            [Span { from: t("2027-02-09T00:00:00Z"), to: t("2027-04-20T00:00:00Z"), planned: true, open: false }]
        );
        assert_eq!(rows[1].lanes.iter().map(|l| l.state.as_str()).collect::<Vec<_>>(), ["branched", "stable"]);
        assert!(lane(&rows[1], "stable").spans.iter().all(|s| !s.planned), "a met plan draws nothing");
        let stable43 = lane(&rows[2], "stable");
        assert_eq!(
            stable43.spans,
            [
                Span { from: t("2025-10-28T00:00:00Z"), to: now, planned: false, open: true },
                Span { from: now, to: t("2026-12-09T00:00:00Z"), planned: true, open: false },
            ]
        );
        // A narrower range clips, and drops releases outside it.
        let rows = lifecycle_rows(
            &log,
            None,
            t("2027-01-01T00:00:00Z"),
            t("2028-01-01T00:00:00Z"),
            now,
            crate::model::plans::DEFAULT_GRACE,
        );
        assert_eq!(rows.iter().map(|r| r.release.as_str()).collect::<Vec<_>>(), ["45"]);
    }

    #[test]
    fn year_rows_clip_stays_to_the_year() {
        let rows =
            year_rows(&log(), None, t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z"), t("2026-11-22T00:00:00Z"));
        let labels: Vec<String> = rows.iter().map(|r| format!("{} {}", r.release, r.state)).collect();
        assert_eq!(labels, vec!["44 branched", "44 stable", "43 stable"]);
        assert_eq!(rows[0].bars, vec![(t("2026-02-10T14:00:00Z"), t("2026-04-28T00:00:00Z"), false)]);
        // 43 was stable before the year began: the bar starts on Jan 1 and is still open.
        assert_eq!(rows[2].bars, vec![(t("2026-01-01T00:00:00Z"), t("2026-11-22T00:00:00Z"), true)]);
    }
}
