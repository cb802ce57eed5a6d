//! The state matrix of a dist at an instant: releases as rows (Rawhide on
//! top, then newest first), states as columns, and when each membership
//! began. Pure; built from the `EventLog`.

use serde::{Deserialize, Serialize};

use crate::model::{Dist, EventLog, Release, State, Timestamp};

/// The matrix of one dist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    /// The dist.
    pub dist: Dist,
    /// Columns: every state the dist's releases had by the instant.
    pub states: Vec<State>,
    /// Rows, Rawhide first, then releases newest first.
    pub rows: Vec<MatrixRow>,
}

/// One release's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixRow {
    /// The release.
    pub release: Release,
    /// Per column: `Some(since)` when the release is in that state.
    pub cells: Vec<Option<Timestamp>>,
    /// Per column: the event that began the current stay, if in.
    #[serde(default)]
    pub entered_by: Vec<Option<i64>>,
}

/// Builds the matrix of `dist` at `at`; `None` for an unknown dist.
pub fn matrix(log: &EventLog, dist: &Dist, at: Timestamp) -> Option<Matrix> {
    let detailed = log.detailed(dist, at)?;
    let mut states: Vec<State> = detailed.values().flat_map(|d| d.keys().cloned()).collect();
    states.sort();
    states.dedup();
    let mut rows: Vec<MatrixRow> = detailed
        .iter()
        .map(|(release, detail)| MatrixRow {
            release: release.clone(),
            cells: states.iter().map(|s| detail.get(s).filter(|d| d.is_in).and_then(|d| d.entered)).collect(),
            entered_by: states
                .iter()
                .map(|s| detail.get(s).filter(|d| d.is_in).and_then(|d| d.history.last()).map(|i| i.entered_by))
                .collect(),
        })
        .collect();
    rows.reverse();
    // Rawhide ("0") is the newest of all in practice, though it sorts first.
    if let Some(pos) = rows.iter().position(|r| r.release.as_str() == "0") {
        let rawhide = rows.remove(pos);
        rows.insert(0, rawhide);
    }
    Some(Matrix { dist: dist.clone(), states, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::fedora_log as log;
    use crate::model::time::parse_timestamp;

    #[test]
    fn rawhide_on_top_then_newest_first() {
        let log = log(&[
            ("9", "stable", true, "2020-01-01T00:00:00Z"),
            ("0", "rawhide", true, "2020-01-01T00:00:00Z"),
            ("10", "stable", true, "2021-01-01T00:00:00Z"),
            ("9", "stable", false, "2021-06-01T00:00:00Z"),
            ("9", "eol", true, "2021-06-01T00:00:00Z"),
        ]);
        let dist = Dist::parse("fedora").unwrap();
        let m = matrix(&log, &dist, parse_timestamp("at", "2022-01-01T00:00:00Z").unwrap()).unwrap();
        let order: Vec<&str> = m.rows.iter().map(|r| r.release.as_str()).collect();
        assert_eq!(order, vec!["0", "10", "9"]);
        let states: Vec<&str> = m.states.iter().map(State::as_str).collect();
        assert_eq!(states, vec!["eol", "rawhide", "stable"]);
        assert_eq!(m.rows[2].cells[0], Some(parse_timestamp("at", "2021-06-01T00:00:00Z").unwrap()));
        assert_eq!(m.rows[2].cells[2], None);

        // Time travel: in 2020 only 9 and Rawhide existed, 9 was stable.
        let m = matrix(&log, &dist, parse_timestamp("at", "2020-06-01T00:00:00Z").unwrap()).unwrap();
        let order: Vec<&str> = m.rows.iter().map(|r| r.release.as_str()).collect();
        assert_eq!(order, vec!["0", "9"]);
        assert!(m.rows[1].cells.iter().any(Option::is_some));
    }
}
