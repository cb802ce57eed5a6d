//! Test fixtures: small logs written as tables. Compiled for tests only.

use std::sync::Arc;

use super::time::parse_timestamp;
use super::{Dist, Event, EventLog, Release, State};

/// A log of `fedora` events `(release, state, reached, at)`, ids from 1 in
/// the order given.
pub fn fedora_log(events: &[(&str, &str, bool, &str)]) -> EventLog {
    dist_log("fedora", events)
}

/// A log of events `(release, state, reached, at)` of one dist, ids from 1
/// in the order given.
pub fn dist_log(dist: &str, events: &[(&str, &str, bool, &str)]) -> EventLog {
    let mut log = EventLog::new();
    for (i, (release, state, reached, at)) in events.iter().enumerate() {
        let at = parse_timestamp("at", at).expect("fixture timestamps are valid");
        log.apply_event(Event {
            id: i as i64 + 1,
            dist: Dist::parse(dist).expect("fixture names are valid"),
            release: Release::parse(release).expect("fixture names are valid"),
            state: State::parse(state).expect("fixture names are valid"),
            reached: *reached,
            at,
            recorded_at: at,
            recorded_by: Arc::from("t"),
            source: Arc::from("api"),
            note: None,
            link: None,
            corrects: None,
        })
        .expect("fixture events are in id order");
    }
    log
}
