//! The rows of the event log as people read them: a release that leaves
//! one state and enters another at the same instant is one row
//! ("development → stable"), not two. Pure.

use crate::matrix::data::state_label;
use crate::model::event::EventRecord;

/// One row: events of one release at one instant, newest recorded first.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    /// At least one event; all of one dist, release and instant.
    pub events: Vec<EventRecord>,
}

impl LogRow {
    /// The row's first event (the newest recorded): its release and
    /// instant are the row's.
    pub fn first(&self) -> Option<&EventRecord> {
        self.events.first()
    }

    /// Whether the row's event is retracted (a retracted event is never
    /// merged, so this is the row's state).
    pub fn retracted(&self) -> bool {
        self.events.iter().any(|e| e.retraction.is_some())
    }

    /// Whether no event of the row changed anything (recorded again).
    pub fn unchanged(&self) -> bool {
        self.events.iter().all(|e| !e.changed)
    }

    /// The change in words: `stable → eol` for a move, `entered stable`
    /// or `left beta` for one side.
    pub fn change(&self) -> String {
        // Oldest recorded first reads in the order it was written down.
        let names = |reached: bool| {
            self.events.iter().rev().filter(|e| e.reached == reached).map(|e| state_label(&e.state)).collect::<Vec<_>>()
        };
        let (left, entered) = (names(false), names(true));
        match (left.is_empty(), entered.is_empty()) {
            (false, false) => format!("{} → {}", left.join(", "), entered.join(", ")),
            (true, _) => format!("entered {}", entered.join(", ")),
            (false, true) => format!("left {}", left.join(", ")),
        }
    }
}

/// Whether `e` joins the row that `row` is: same release and instant, and
/// both count as changes (retracted and repeated events stand alone, so
/// their badges stay with them).
fn joins(row: &LogRow, e: &EventRecord) -> bool {
    let plain = |e: &EventRecord| e.retraction.is_none() && e.changed;
    row.events.iter().all(plain)
        && plain(e)
        && row.first().is_some_and(|f| f.dist == e.dist && f.release == e.release && f.at == e.at)
}

/// Groups a page of events (in the page's order) into rows: neighbours
/// of one release and instant become one row.
pub fn rows(events: Vec<EventRecord>) -> Vec<LogRow> {
    let mut rows: Vec<LogRow> = Vec::new();
    for e in events {
        match rows.last_mut() {
            Some(row) if joins(row, &e) => row.events.push(e),
            _ => rows.push(LogRow { events: vec![e] }),
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::dist_log;
    use crate::model::LogQuery;

    fn page(events: &[(&str, &str, bool, &str)]) -> Vec<EventRecord> {
        dist_log("ubuntu", events).query_happened(&LogQuery { limit: 50, ..Default::default() }).events
    }

    #[test]
    fn a_move_at_one_instant_is_one_row() {
        let rows = rows(page(&[
            ("24.04", "development", true, "2023-10-12T00:00:00Z"),
            ("24.04", "development", false, "2024-04-25T00:00:00Z"),
            ("24.04", "stable", true, "2024-04-25T00:00:00Z"),
            ("23.10", "stable", true, "2023-10-12T00:00:00Z"),
        ]));
        let shown: Vec<(String, String, usize)> = rows
            .iter()
            .map(|r| (r.first().map(|e| e.release.to_string()).unwrap_or_default(), r.change(), r.events.len()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("24.04".to_owned(), "development → stable".to_owned(), 2),
                ("23.10".to_owned(), "entered stable".to_owned(), 1),
                ("24.04".to_owned(), "entered development".to_owned(), 1),
            ]
        );
    }

    #[test]
    fn other_releases_and_instants_stay_apart() {
        let rows = rows(page(&[
            ("24.04", "beta-freeze", false, "2024-04-11T00:00:00Z"),
            ("23.10", "stable", false, "2024-04-11T00:00:00Z"),
            ("24.04", "release-freeze", true, "2024-04-12T00:00:00Z"),
        ]));
        let changes: Vec<String> = rows.iter().map(LogRow::change).collect();
        assert_eq!(changes, vec!["entered release freeze", "left stable", "left beta freeze"]);
    }

    #[test]
    fn repeated_events_keep_their_own_row() {
        let rows = rows(page(&[
            ("24.04", "stable", true, "2024-04-25T00:00:00Z"),
            ("24.04", "stable", true, "2024-04-25T00:00:00Z"),
        ]));
        assert_eq!(rows.len(), 2);
        assert!(rows[0].unchanged(), "the later one changed nothing");
        assert!(!rows[1].unchanged());
    }
}
