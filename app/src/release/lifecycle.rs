//! A release's life in one line: "Released 2024-04-23 · End of life
//! 2025-05-13 · supported 12.7 months", with the planned dates while they
//! lie ahead. Pure.

use crate::matrix::data::StateClass;
use crate::model::plans::{PlanStatus, ScheduleEntry};
use crate::model::views::ReleaseDetail;
use crate::model::Timestamp;
use crate::ui::format::day;

/// When a release was (or is planned to be) released and end its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// First entry into a supported state (stable, active, lts, ...).
    pub released: Option<Timestamp>,
    /// First entry into an end state (eol, archived, ...).
    pub ended: Option<Timestamp>,
    /// The open plan for a supported state, while unreleased.
    pub planned_release: Option<Timestamp>,
    /// The open plan for an end state, while not ended.
    pub planned_end: Option<Timestamp>,
}

/// Calendar months from `from` to `to`: whole months, then the rest as a
/// share of the month that follows (23 April to 13 May next year is 12
/// months and 20 of 30 days: 12.7).
fn months(from: Timestamp, to: Timestamp) -> f64 {
    use chrono::Months;
    let mut whole = 0u32;
    while from.checked_add_months(Months::new(whole + 1)).is_some_and(|t| t <= to) {
        whole += 1;
    }
    let start = from.checked_add_months(Months::new(whole)).unwrap_or(from);
    let end = from.checked_add_months(Months::new(whole + 1)).unwrap_or(to);
    let span = (end - start).num_seconds().max(1) as f64;
    f64::from(whole) + (to - start).num_seconds() as f64 / span
}

/// The earliest first entry into a state of `class`.
fn first_entry(detail: &ReleaseDetail, class: StateClass) -> Option<Timestamp> {
    detail
        .iter()
        .filter(|(state, _)| StateClass::of(state) == class)
        .filter_map(|(_, d)| d.history.first().map(|i| i.entered))
        .min()
}

/// The earliest open plan to enter a state of `class`.
fn open_plan(schedule: &[ScheduleEntry], class: StateClass) -> Option<Timestamp> {
    schedule
        .iter()
        .filter(|e| matches!(e.view.status, PlanStatus::Upcoming | PlanStatus::Overdue))
        .filter(|e| e.view.plan.reached && StateClass::of(&e.view.plan.state) == class)
        .map(|e| e.view.plan.at)
        .min()
}

impl Lifecycle {
    /// Reads a release's life from its states and its schedule.
    pub fn of(detail: &ReleaseDetail, schedule: &[ScheduleEntry]) -> Self {
        let released = first_entry(detail, StateClass::Supported);
        let ended = first_entry(detail, StateClass::Ended);
        Self {
            released,
            ended,
            planned_release: released.is_none().then(|| open_plan(schedule, StateClass::Supported)).flatten(),
            planned_end: ended.is_none().then(|| open_plan(schedule, StateClass::Ended)).flatten(),
        }
    }

    /// The line, as of `at`; `None` when nothing is known.
    pub fn line(&self, at: Timestamp) -> Option<String> {
        let mut parts = Vec::new();
        match (self.released, self.planned_release) {
            (Some(r), _) => parts.push(format!("Released {}", day(&r))),
            (None, Some(p)) => parts.push(format!("Release planned for {}", day(&p))),
            (None, None) => {}
        }
        match (self.ended, self.planned_end) {
            (Some(e), _) => parts.push(format!("End of life {}", day(&e))),
            (None, Some(p)) => parts.push(format!("End of life planned for {}", day(&p))),
            (None, None) => {}
        }
        match (self.released, self.ended, self.planned_end) {
            (Some(r), Some(e), _) if e >= r => parts.push(format!("supported {:.1} months", months(r, e))),
            (Some(r), None, Some(p)) if p >= r => {
                parts.push(format!(
                    "supported {:.1} months so far of {:.1} planned",
                    months(r, at.max(r)),
                    months(r, p)
                ));
            }
            (Some(r), None, None) => parts.push(format!("supported {:.1} months so far", months(r, at.max(r)))),
            _ => {}
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::fedora_log;
    use crate::model::time::parse_timestamp;
    use crate::model::{Dist, Release};

    fn at(s: &str) -> Timestamp {
        parse_timestamp("at", s).unwrap()
    }

    fn detail(events: &[(&str, &str, bool, &str)], when: &str) -> ReleaseDetail {
        let log = fedora_log(events);
        log.release_detail(&Dist::parse("fedora").unwrap(), &Release::parse("40").unwrap(), at(when)).unwrap()
    }

    #[test]
    fn an_ended_release_says_how_long_it_was_supported() {
        let d = detail(
            &[
                ("40", "branched", true, "2024-02-13T00:00:00Z"),
                ("40", "stable", true, "2024-04-23T00:00:00Z"),
                ("40", "stable", false, "2025-05-13T00:00:00Z"),
                ("40", "eol", true, "2025-05-13T00:00:00Z"),
            ],
            "2026-01-01T00:00:00Z",
        );
        let line = Lifecycle::of(&d, &[]).line(at("2026-01-01T00:00:00Z"));
        assert_eq!(line.as_deref(), Some("Released 2024-04-23 · End of life 2025-05-13 · supported 12.7 months"));
    }

    #[test]
    fn a_supported_release_counts_so_far_and_time_travel_sees_less() {
        let events = [
            ("40", "stable", true, "2024-04-23T00:00:00Z"),
            ("40", "stable", false, "2025-05-13T00:00:00Z"),
            ("40", "eol", true, "2025-05-13T00:00:00Z"),
        ];
        let then = "2024-10-23T00:00:00Z";
        let line = Lifecycle::of(&detail(&events, then), &[]).line(at(then));
        assert_eq!(line.as_deref(), Some("Released 2024-04-23 · supported 6.0 months so far"));
    }

    #[test]
    fn nothing_known_is_no_line() {
        let d = detail(&[("40", "branched", true, "2024-02-13T00:00:00Z")], "2024-03-01T00:00:00Z");
        assert!((months(at("2024-01-31T00:00:00Z"), at("2024-03-01T00:00:00Z")) - 1.03).abs() < 0.01);
        assert_eq!(Lifecycle::of(&d, &[]).line(at("2024-03-01T00:00:00Z")), None);
    }
}
