//! Plans: the schedule beside the facts (DESIGN.md §7). A plan says when a
//! transition `(dist, release, state, reached)` is expected; plans are
//! append-only revisions per transition key (a cancellation is a revision
//! too), and each key is met by the first event that really made the
//! transition. Here: the input rules, the stored revisions, [`PlanLog`] and
//! the evaluation of a key against the event log (met, cancelled, overdue,
//! upcoming; slip). No I/O lives here, and nothing here changes a fact.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::event::EventId;
use super::log::EventLog;
use super::name::{check_link, check_text, Dist, Release, State, ValidationError};
use super::order::natural_cmp;
use super::time::{self, Timestamp};

/// Default grace period: a plan is overdue once its date is more than a
/// day past without the transition recorded.
pub const DEFAULT_GRACE: chrono::Duration = chrono::Duration::days(1);

/// A plan as a client sends it (`POST /api/v1/plans`): every field checked
/// by [`PlanInput::validate`].
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// The dist.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, example = "fedora"))]
    pub dist: Option<String>,
    /// The release.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, example = "45"))]
    pub release: Option<String>,
    /// The state.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, example = "branched"))]
    pub state: Option<String>,
    /// Enter (`true`) or leave (`false`).
    #[cfg_attr(feature = "ssr", schema(value_type = bool, required = true))]
    pub reached: Option<bool>,
    /// When it is expected (RFC 3339); past dates are allowed (a plan
    /// recorded late).
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true, format = DateTime))]
    pub at: Option<String>,
    /// Optional note.
    pub note: Option<String>,
    /// Optional link to the schedule it comes from.
    pub link: Option<String>,
}

/// A cancellation as a client sends it (`POST /api/v1/plans/cancel`).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// The dist.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true))]
    pub dist: Option<String>,
    /// The release.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true))]
    pub release: Option<String>,
    /// The state.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true))]
    pub state: Option<String>,
    /// Enter (`true`) or leave (`false`).
    #[cfg_attr(feature = "ssr", schema(value_type = bool, required = true))]
    pub reached: Option<bool>,
    /// Why; kept as the cancelling revision's note.
    #[cfg_attr(feature = "ssr", schema(value_type = String, required = true))]
    pub reason: Option<String>,
}

fn required<'a>(field: &'static str, value: &'a Option<String>) -> Result<&'a str, ValidationError> {
    value.as_deref().ok_or_else(|| ValidationError::new(field, "is required"))
}

fn key_of(
    dist: &Option<String>,
    release: &Option<String>,
    state: &Option<String>,
    reached: Option<bool>,
) -> Result<TransitionKey, ValidationError> {
    Ok(TransitionKey {
        dist: Dist::parse(required("dist", dist)?)?,
        release: Release::parse(required("release", release)?)?,
        state: State::parse(required("state", state)?)?,
        reached: reached.ok_or_else(|| ValidationError::new("reached", "is required (true or false)"))?,
    })
}

impl PlanInput {
    /// The checked plan.
    pub fn validate(self) -> Result<NewPlan, ValidationError> {
        let key = key_of(&self.dist, &self.release, &self.state, self.reached)?;
        let at = time::parse_timestamp("at", required("at", &self.at)?)?;
        let note = self.note.filter(|n| !n.is_empty());
        if let Some(note) = &note {
            check_text("note", note, false)?;
        }
        let link = self.link.filter(|l| !l.is_empty());
        if let Some(link) = &link {
            check_link("link", link)?;
        }
        Ok(NewPlan { key, at, cancelled: false, note, link })
    }
}

impl CancelInput {
    /// The key to cancel and the reason.
    pub fn validate(self) -> Result<(TransitionKey, String), ValidationError> {
        let key = key_of(&self.dist, &self.release, &self.state, self.reached)?;
        let reason = required("reason", &self.reason)?;
        check_text("reason", reason, true)?;
        Ok((key, reason.to_owned()))
    }
}

/// What a plan is about: a release entering or leaving a state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransitionKey {
    /// The dist.
    pub dist: Dist,
    /// The release.
    pub release: Release,
    /// The state.
    pub state: State,
    /// Enter (`true`) or leave (`false`).
    pub reached: bool,
}

/// A checked revision, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// Its transition.
    pub key: TransitionKey,
    /// When it is expected (a cancellation keeps the date it cancels).
    pub at: Timestamp,
    /// Whether this revision cancels the plan.
    pub cancelled: bool,
    /// Note (for a cancellation: the reason).
    pub note: Option<String>,
    /// Link.
    pub link: Option<String>,
}

/// A stored revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Monotonic id (a sequence of its own).
    pub id: i64,
    /// Its transition.
    pub key: TransitionKey,
    /// When it is expected.
    pub at: Timestamp,
    /// Whether this revision cancels the plan.
    pub cancelled: bool,
    /// Note (for a cancellation: the reason).
    pub note: Option<String>,
    /// Link.
    pub link: Option<String>,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: Arc<str>,
    /// Through what: `api`, `web`, `import`.
    pub source: Arc<str>,
}

/// A revision as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanRecord {
    /// Revision id.
    pub id: i64,
    /// The dist.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub dist: Dist,
    /// The release.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub release: Release,
    /// The state.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub state: State,
    /// Enter or leave.
    pub reached: bool,
    /// When it is expected.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// 1 for the first plan of its key, then 2, 3, ...
    pub revision: u32,
    /// The date the previous revision expected.
    #[serde(serialize_with = "time::wire::option::serialize")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub previous_at: Option<Timestamp>,
    /// Whether this revision cancels the plan.
    pub cancelled: bool,
    /// When it was recorded.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub recorded_at: Timestamp,
    /// Who recorded it.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub recorded_by: Arc<str>,
    /// Through what.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub source: Arc<str>,
    /// Note (for a cancellation: the reason).
    pub note: Option<String>,
    /// Link.
    pub link: Option<String>,
}

/// Where a transition key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PlanStatus {
    /// An event made the transition.
    Met,
    /// The current revision cancels it.
    Cancelled,
    /// Unmet, and the plan's date is more than the grace period past.
    Overdue,
    /// Unmet, and not yet due.
    Upcoming,
}

impl PlanStatus {
    /// Parses `?status=`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "met" => Ok(Self::Met),
            "cancelled" => Ok(Self::Cancelled),
            "overdue" => Ok(Self::Overdue),
            "upcoming" => Ok(Self::Upcoming),
            _ => Err(ValidationError::new("status", "must be one of met, cancelled, overdue, upcoming")),
        }
    }

    /// The word, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Cancelled => "cancelled",
            Self::Overdue => "overdue",
            Self::Upcoming => "upcoming",
        }
    }
}

/// A key's current plan with how it stands (`GET /api/v1/plans`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanView {
    /// The current revision.
    #[serde(flatten)]
    pub plan: PlanRecord,
    /// Where it stands.
    pub status: PlanStatus,
    /// When the transition happened, once met.
    #[serde(serialize_with = "time::wire::option::serialize")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub actual: Option<Timestamp>,
    /// The event that met it.
    pub event_id: Option<EventId>,
    /// Actual (or, while unmet, the current plan) minus the first
    /// revision's date, in days, one decimal; positive is late.
    pub slip_days: f64,
    /// The first revision's date.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub first_at: Timestamp,
    /// How many revisions the key has.
    pub revisions: u32,
}

/// A key's revisions as far as its status needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct Revisions {
    /// The first revision's date.
    pub first_at: Timestamp,
    /// The current revision, as the API shows it.
    pub current: PlanRecord,
    /// How many revisions there are.
    pub count: u32,
}

/// A plan that is not in id order, or names no key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plan {0} is out of order (after {1})")]
pub struct PlanOutOfOrder(pub i64, pub i64);

/// Every stored revision, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanLog {
    plans: Vec<Plan>,
    by_key: BTreeMap<TransitionKey, Vec<usize>>,
}

impl PlanLog {
    /// The highest id applied (0 when none).
    pub fn last_id(&self) -> i64 {
        self.plans.last().map_or(0, |p| p.id)
    }

    /// Every revision, in id order.
    pub fn all(&self) -> &[Plan] {
        &self.plans
    }

    /// Applies a stored revision; ids must increase.
    pub fn apply(&mut self, plan: Plan) -> Result<(), PlanOutOfOrder> {
        if plan.id <= self.last_id() {
            return Err(PlanOutOfOrder(plan.id, self.last_id()));
        }
        self.by_key.entry(plan.key.clone()).or_default().push(self.plans.len());
        self.plans.push(plan);
        Ok(())
    }

    /// Whether `key` has a plan.
    pub fn has(&self, key: &TransitionKey) -> bool {
        self.by_key.contains_key(key)
    }

    /// The current revision of `key`.
    pub fn current(&self, key: &TransitionKey) -> Option<&Plan> {
        self.by_key.get(key).and_then(|r| r.last()).map(|&i| &self.plans[i])
    }

    /// The revision history of `key`, oldest first, as the API shows it.
    pub fn history(&self, key: &TransitionKey) -> Vec<PlanRecord> {
        let mut previous = None;
        let mut out = Vec::new();
        for (n, &i) in self.by_key.get(key).map(Vec::as_slice).unwrap_or_default().iter().enumerate() {
            let p = &self.plans[i];
            out.push(record(p, n as u32 + 1, previous));
            previous = Some(p.at);
        }
        out
    }

    /// What [`evaluate`] needs of `key`'s revisions, without building
    /// them all: see [`Revisions`].
    pub fn revisions(&self, key: &TransitionKey) -> Option<Revisions> {
        self.by_key.get(key).and_then(|indices| self.revisions_of(indices))
    }

    fn revisions_of(&self, indices: &[usize]) -> Option<Revisions> {
        let n = indices.len();
        let first_at = self.plans[*indices.first()?].at;
        let previous_at = n.checked_sub(2).map(|i| self.plans[indices[i]].at);
        Some(Revisions {
            first_at,
            current: record(&self.plans[indices[n - 1]], n as u32, previous_at),
            count: n as u32,
        })
    }

    /// Every key that `keep` selects with what [`evaluate`] needs of its
    /// revisions, in key order; one pass, no lookups.
    pub fn all_revisions(
        &self,
        keep: impl Fn(&TransitionKey) -> bool,
    ) -> impl Iterator<Item = (&TransitionKey, Revisions)> {
        self.by_key
            .iter()
            .filter(move |(key, _)| keep(key))
            .filter_map(|(key, indices)| Some((key, self.revisions_of(indices)?)))
    }

    /// The revision with this id, as the API shows it.
    pub fn record(&self, id: i64) -> Option<PlanRecord> {
        let plan = self.plans.binary_search_by_key(&id, |p| p.id).ok().map(|i| &self.plans[i])?;
        self.history(&plan.key).into_iter().find(|r| r.id == id)
    }

    /// The newest `limit` revisions that `keep` selects, newest recorded
    /// first, as the API shows them.
    pub fn newest(&self, limit: usize, keep: impl Fn(&Plan) -> bool) -> Vec<PlanRecord> {
        self.plans.iter().rev().filter(|p| keep(p)).take(limit).filter_map(|p| self.record(p.id)).collect()
    }

    /// Every key with a plan, in key order.
    pub fn keys(&self) -> impl Iterator<Item = &TransitionKey> {
        self.by_key.keys()
    }
}

fn record(p: &Plan, revision: u32, previous_at: Option<Timestamp>) -> PlanRecord {
    PlanRecord {
        id: p.id,
        dist: p.key.dist.clone(),
        release: p.key.release.clone(),
        state: p.key.state.clone(),
        reached: p.key.reached,
        at: p.at,
        revision,
        previous_at,
        cancelled: p.cancelled,
        recorded_at: p.recorded_at,
        recorded_by: p.recorded_by.clone(),
        source: p.source.clone(),
        note: p.note.clone(),
        link: p.link.clone(),
    }
}

/// The first event that made `key`'s transition by `now`: the first
/// non-retracted event of its timeline, in `(at, id)` order, that changed
/// membership in the key's direction (so a view as of a past instant does
/// not count transitions that came later).
pub fn meeting_event(log: &EventLog, key: &TransitionKey, now: Timestamp) -> Option<(Timestamp, EventId)> {
    let timeline = log.timeline(&key.dist, &key.release, &key.state)?;
    let mut inside = false;
    for e in timeline.entries().iter().take_while(|e| e.at <= now) {
        if e.reached != inside {
            if e.reached == key.reached {
                return Some((e.at, e.id));
            }
            inside = e.reached;
        }
    }
    None
}

/// Days from `from` to `to`, one decimal.
fn days_between(from: Timestamp, to: Timestamp) -> f64 {
    let seconds = (to - from).num_milliseconds() as f64 / 1000.0;
    (seconds / 86_400.0 * 10.0).round() / 10.0
}

/// How `key` stands at `now`, with `grace` before an unmet plan is
/// overdue; `None` when it has no plan.
pub fn evaluate(log: &EventLog, key: &TransitionKey, now: Timestamp, grace: chrono::Duration) -> Option<PlanView> {
    Some(evaluate_revisions(log, key, log.plans().revisions(key)?, now, grace))
}

/// [`evaluate`] with the key's revisions at hand.
fn evaluate_revisions(
    log: &EventLog,
    key: &TransitionKey,
    revisions: Revisions,
    now: Timestamp,
    grace: chrono::Duration,
) -> PlanView {
    let Revisions { first_at, current, count } = revisions;
    let met = meeting_event(log, key, now);
    let status = match met {
        Some(_) => PlanStatus::Met,
        None if current.cancelled => PlanStatus::Cancelled,
        None if current.at + grace < now => PlanStatus::Overdue,
        None => PlanStatus::Upcoming,
    };
    let slip_days = days_between(first_at, met.map_or(current.at, |(at, _)| at));
    PlanView {
        status,
        actual: met.map(|(at, _)| at),
        event_id: met.map(|(_, id)| id),
        slip_days,
        first_at,
        revisions: count,
        plan: current,
    }
}

/// Which plans `GET /api/v1/plans` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanQuery {
    /// Only this dist.
    pub dist: Option<Dist>,
    /// Only this release.
    pub release: Option<Release>,
    /// Only this state.
    pub state: Option<State>,
    /// Only keys in this status.
    pub status: Option<PlanStatus>,
    /// Only plans whose current date is at or after this.
    pub since: Option<Timestamp>,
    /// Only plans whose current date is at or before this.
    pub until: Option<Timestamp>,
}

/// The current plan of every key `query` selects, by planned date (then
/// key), evaluated at `now`.
pub fn list(log: &EventLog, query: &PlanQuery, now: Timestamp, grace: chrono::Duration) -> Vec<PlanView> {
    let mut out: Vec<PlanView> = log
        .plans()
        .all_revisions(|k| {
            query.dist.as_ref().is_none_or(|d| &k.dist == d)
                && query.release.as_ref().is_none_or(|r| &k.release == r)
                && query.state.as_ref().is_none_or(|s| &k.state == s)
        })
        .map(|(k, revisions)| evaluate_revisions(log, k, revisions, now, grace))
        .filter(|v| query.status.is_none_or(|s| v.status == s))
        .filter(|v| query.since.is_none_or(|t| v.plan.at >= t))
        .filter(|v| query.until.is_none_or(|t| v.plan.at <= t))
        .collect();
    out.sort_by(|a, b| a.plan.at.cmp(&b.plan.at).then(a.plan.id.cmp(&b.plan.id)));
    out
}

/// One key of a release's schedule, with its revision history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScheduleEntry {
    /// The key's current plan and how it stands.
    #[serde(flatten)]
    pub view: PlanView,
    /// Every revision, oldest first.
    pub history: Vec<PlanRecord>,
}

/// A release's schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReleaseSchedule {
    /// The release.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub release: Release,
    /// Its keys, by planned date.
    pub plans: Vec<ScheduleEntry>,
}

/// `GET /api/v1/views/{dist}/schedule`: per release, in natural order, the
/// keys by planned date with their histories.
pub fn schedule(log: &EventLog, dist: &Dist, now: Timestamp, grace: chrono::Duration) -> Vec<ReleaseSchedule> {
    let query = PlanQuery { dist: Some(dist.clone()), ..PlanQuery::default() };
    let mut out: Vec<ReleaseSchedule> = Vec::new();
    for view in list(log, &query, now, grace) {
        let key = TransitionKey {
            dist: view.plan.dist.clone(),
            release: view.plan.release.clone(),
            state: view.plan.state.clone(),
            reached: view.plan.reached,
        };
        let entry = ScheduleEntry { history: log.plans().history(&key), view };
        match out.iter_mut().find(|r| r.release == key.release) {
            Some(release) => release.plans.push(entry),
            None => out.push(ReleaseSchedule { release: key.release, plans: vec![entry] }),
        }
    }
    out.sort_by(|a, b| natural_cmp(a.release.as_str(), b.release.as_str()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Event, Retraction};
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        time::parse_timestamp("at", s).unwrap()
    }

    fn day(d: i64) -> Timestamp {
        t("2026-01-01T00:00:00Z") + chrono::Duration::days(d)
    }

    fn key(state: &str, reached: bool) -> TransitionKey {
        TransitionKey {
            dist: Dist::parse("fedora").unwrap(),
            release: Release::parse("45").unwrap(),
            state: State::parse(state).unwrap(),
            reached,
        }
    }

    fn plan(id: i64, key: &TransitionKey, at: Timestamp, cancelled: bool) -> Plan {
        Plan {
            id,
            key: key.clone(),
            at,
            cancelled,
            note: cancelled.then(|| "moved".to_owned()),
            link: None,
            recorded_at: day(0),
            recorded_by: Arc::from("releng"),
            source: Arc::from("api"),
        }
    }

    fn event(id: i64, key: &TransitionKey, reached: bool, at: Timestamp) -> Event {
        Event {
            id,
            dist: key.dist.clone(),
            release: key.release.clone(),
            state: key.state.clone(),
            reached,
            at,
            recorded_at: at,
            recorded_by: Arc::from("releng"),
            source: Arc::from("api"),
            note: None,
            link: None,
            corrects: None,
        }
    }

    #[test]
    fn revisions_slip_and_a_meeting_event_meets() {
        let k = key("branched", true);
        let mut log = EventLog::new();
        log.apply_plan(plan(1, &k, day(10), false)).unwrap();
        let v = evaluate(&log, &k, day(5), DEFAULT_GRACE).unwrap();
        assert_eq!((v.status, v.revisions, v.slip_days, v.plan.revision), (PlanStatus::Upcoming, 1, 0.0, 1));
        assert_eq!(v.plan.previous_at, None);
        // Moved a week later: the slip counts from the first date.
        log.apply_plan(plan(2, &k, day(17), false)).unwrap();
        let v = evaluate(&log, &k, day(5), DEFAULT_GRACE).unwrap();
        assert_eq!((v.revisions, v.slip_days, v.plan.previous_at, v.first_at), (2, 7.0, Some(day(10)), day(10)));
        // Past its date by more than the grace: overdue; within it: upcoming.
        assert_eq!(
            evaluate(&log, &k, day(17) + chrono::Duration::hours(12), DEFAULT_GRACE).unwrap().status,
            PlanStatus::Upcoming
        );
        assert_eq!(evaluate(&log, &k, day(19), DEFAULT_GRACE).unwrap().status, PlanStatus::Overdue);
        // Met 18.5 days after the first plan.
        log.apply_event(event(1, &k, true, day(18) + chrono::Duration::hours(12))).unwrap();
        let v = evaluate(&log, &k, day(30), DEFAULT_GRACE).unwrap();
        assert_eq!((v.status, v.event_id, v.slip_days), (PlanStatus::Met, Some(1), 8.5));
        assert_eq!(v.actual, Some(day(18) + chrono::Duration::hours(12)));
        // Retracted: unmet again, and overdue.
        log.apply_retraction(Retraction {
            id: 1,
            event_id: 1,
            reason: "wrong".into(),
            recorded_at: day(20),
            recorded_by: Arc::from("releng"),
            source: Arc::from("api"),
        })
        .unwrap();
        assert_eq!(evaluate(&log, &k, day(30), DEFAULT_GRACE).unwrap().status, PlanStatus::Overdue);
        // Cancelled (keeping the date), then planned again.
        log.apply_plan(plan(3, &k, day(17), true)).unwrap();
        assert_eq!(evaluate(&log, &k, day(30), DEFAULT_GRACE).unwrap().status, PlanStatus::Cancelled);
        log.apply_plan(plan(4, &k, day(40), false)).unwrap();
        let v = evaluate(&log, &k, day(30), DEFAULT_GRACE).unwrap();
        assert_eq!((v.status, v.revisions, v.slip_days), (PlanStatus::Upcoming, 4, 30.0));
        let history = log.plans().history(&k);
        assert_eq!(
            history.iter().map(|r| (r.revision, r.cancelled)).collect::<Vec<_>>(),
            [(1, false), (2, false), (3, true), (4, false)]
        );
        assert_eq!(log.plans().record(3).map(|r| r.revision), Some(3));
        assert!(log.apply_plan(plan(4, &k, day(1), false)).is_err(), "ids must increase");
    }

    #[test]
    fn a_repeated_event_does_not_meet_and_leaving_is_its_own_key() {
        let enter = key("beta", true);
        let leave = key("beta", false);
        let mut log = EventLog::new();
        log.apply_plan(plan(1, &enter, day(10), false)).unwrap();
        log.apply_plan(plan(2, &leave, day(20), false)).unwrap();
        // Entered on day 3, entered again on day 12 (a repeat), left on 21.
        log.apply_event(event(1, &enter, true, day(3))).unwrap();
        log.apply_event(event(2, &enter, true, day(12))).unwrap();
        log.apply_event(event(3, &enter, false, day(21))).unwrap();
        let v = evaluate(&log, &enter, day(30), DEFAULT_GRACE).unwrap();
        assert_eq!((v.event_id, v.slip_days), (Some(1), -7.0), "the first real transition, early");
        let v = evaluate(&log, &leave, day(30), DEFAULT_GRACE).unwrap();
        assert_eq!((v.status, v.event_id), (PlanStatus::Met, Some(3)));
        // Listing: by planned date; filters by status and date.
        let all = list(&log, &PlanQuery::default(), day(30), DEFAULT_GRACE);
        assert_eq!(all.iter().map(|v| v.plan.id).collect::<Vec<_>>(), [1, 2]);
        let q = PlanQuery { until: Some(day(15)), ..PlanQuery::default() };
        assert_eq!(list(&log, &q, day(30), DEFAULT_GRACE).len(), 1);
        let q = PlanQuery { status: Some(PlanStatus::Overdue), ..PlanQuery::default() };
        assert!(list(&log, &q, day(30), DEFAULT_GRACE).is_empty());
        let s = schedule(&log, &Dist::parse("fedora").unwrap(), day(30), DEFAULT_GRACE);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].plans.len(), 2);
        assert_eq!(s[0].plans[0].history.len(), 1);
    }

    #[test]
    fn input_is_checked() {
        let ok = PlanInput {
            dist: Some("fedora".into()),
            release: Some("45".into()),
            state: Some("branched".into()),
            reached: Some(true),
            at: Some("2030-01-01T00:00:00Z".into()),
            note: Some(String::new()),
            link: None,
        };
        let plan = ok.clone().validate().unwrap();
        assert_eq!((plan.at, plan.note, plan.cancelled), (t("2030-01-01T00:00:00Z"), None, false));
        let field = |input: PlanInput| input.validate().unwrap_err().field;
        assert_eq!(field(PlanInput { at: None, ..ok.clone() }), "at");
        assert_eq!(field(PlanInput { at: Some("soon".into()), ..ok.clone() }), "at");
        assert_eq!(field(PlanInput { reached: None, ..ok.clone() }), "reached");
        assert_eq!(field(PlanInput { link: Some("javascript:x".into()), ..ok.clone() }), "link");
        assert_eq!(field(PlanInput { state: Some(" x".into()), ..ok }), "state");
        let cancel = CancelInput {
            dist: Some("fedora".into()),
            release: Some("45".into()),
            state: Some("branched".into()),
            reached: Some(true),
            reason: None,
        };
        assert_eq!(cancel.clone().validate().unwrap_err().field, "reason");
        assert!(CancelInput { reason: Some("moved".into()), ..cancel }.validate().is_ok());
        assert_eq!(PlanStatus::parse("overdue"), Ok(PlanStatus::Overdue));
        assert!(PlanStatus::parse("late").is_err());
    }

    /// `(plan, day, cancel)` or `(event, day, reached)` or a retraction of
    /// the n-th event, on one of two keys' timelines.
    #[derive(Debug, Clone)]
    enum Op {
        Plan(bool, i64, bool),
        Event(bool, i64, bool),
        Retract(usize),
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<bool>(), 0i64..30, proptest::bool::weighted(0.2)).prop_map(|(s, d, c)| Op::Plan(s, d, c)),
            (any::<bool>(), 0i64..30, any::<bool>()).prop_map(|(s, d, r)| Op::Event(s, d, r)),
            (0usize..20).prop_map(Op::Retract),
        ]
    }

    proptest! {
        /// For random plans, events and retractions in random order, every
        /// key's status and slip equal a naive recomputation from scratch.
        #[test]
        fn status_and_slip_equal_a_naive_recomputation(ops in proptest::collection::vec(arb_op(), 0..40), now in 0i64..35) {
            let states = ["beta", "final"];
            let mut log = EventLog::new();
            let (mut plans, mut events, mut retracted) = (Vec::new(), Vec::new(), Vec::new());
            for op in ops {
                match op {
                    Op::Plan(s, d, cancelled) => {
                        let k = key(states[usize::from(s)], true);
                        let p = plan(plans.len() as i64 + 1, &k, day(d), cancelled);
                        log.apply_plan(p.clone()).unwrap();
                        plans.push(p);
                    }
                    Op::Event(s, d, reached) => {
                        let e = event(events.len() as i64 + 1, &key(states[usize::from(s)], true), reached, day(d));
                        log.apply_event(e.clone()).unwrap();
                        events.push(e);
                    }
                    Op::Retract(n) => {
                        if let Some(e) = events.get(n).filter(|e| !retracted.contains(&e.id)) {
                            log.apply_retraction(Retraction { id: retracted.len() as i64 + 1, event_id: e.id, reason: "r".into(),
                                recorded_at: day(0), recorded_by: Arc::from("x"), source: Arc::from("api") }).unwrap();
                            retracted.push(e.id);
                        }
                    }
                }
            }
            for state in states {
                let k = key(state, true);
                let mine: Vec<&Plan> = plans.iter().filter(|p| p.key == k).collect();
                let got = evaluate(&log, &k, day(now), DEFAULT_GRACE);
                let Some(last) = mine.last() else {
                    prop_assert!(got.is_none());
                    continue;
                };
                // Naive: walk the live events in (at, id) order, tracking membership.
                let mut live: Vec<&Event> = events
                    .iter()
                    .filter(|e| e.state == k.state && !retracted.contains(&e.id) && e.at <= day(now))
                    .collect();
                live.sort_by_key(|e| (e.at, e.id));
                let mut inside = false;
                let mut met = None;
                for e in live {
                    if e.reached != inside && e.reached && met.is_none() {
                        met = Some((e.at, e.id));
                    }
                    inside = e.reached;
                }
                let status = if met.is_some() {
                    PlanStatus::Met
                } else if last.cancelled {
                    PlanStatus::Cancelled
                } else if last.at + DEFAULT_GRACE < day(now) {
                    PlanStatus::Overdue
                } else {
                    PlanStatus::Upcoming
                };
                let end = met.map_or(last.at, |(at, _)| at);
                let slip = ((end - mine[0].at).num_seconds() as f64 / 86_400.0 * 10.0).round() / 10.0;
                let got = got.unwrap();
                prop_assert_eq!(got.status, status);
                prop_assert_eq!(got.event_id, met.map(|(_, id)| id));
                prop_assert_eq!(got.slip_days, slip);
                prop_assert_eq!(got.revisions as usize, mine.len());
                prop_assert_eq!(got.first_at, mine[0].at);
            }
        }
    }
}
