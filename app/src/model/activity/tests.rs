//! Tests of the activity model: cursors, order, filters, and paging that
//! misses and repeats nothing (property tests against a naive reading).

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::model::plans::{Plan, TransitionKey};
use crate::model::time::parse_timestamp;
use crate::model::{Event, PropertyChange, Retraction};

fn name<T>(parse: fn(&str) -> Result<T, ValidationError>, s: &str) -> T {
    parse(s).expect("test names are valid")
}

fn time(seconds: i64) -> Timestamp {
    parse_timestamp("at", "2026-01-01T00:00:00Z").expect("valid") + chrono::Duration::seconds(seconds)
}

/// One record of a generated log, in recording order.
#[derive(Debug, Clone)]
enum Op {
    Event { release: u8, state: u8 },
    Retract { nth_event: usize },
    Property { release: Option<u8> },
    Plan { release: u8, state: u8 },
}

const RELEASES: [&str; 3] = ["42", "43", "10/1"];
const STATES: [&str; 2] = ["branched", "stable"];

/// What a naive reader knows of each applied record.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    kind: &'static str,
    id: i64,
    recorded_at: Timestamp,
    release: Option<u8>,
    state: Option<u8>,
}

fn rank(kind: &str) -> u8 {
    match kind {
        "event" => 0,
        "retraction" => 1,
        "property" => 2,
        _ => 3,
    }
}

/// Applies `ops` with recording times from `steps` (each 0 or 1 second
/// after the previous, so ties happen) and returns the naive record.
fn build(ops: &[Op], steps: &[bool]) -> (EventLog, Vec<Seen>) {
    let mut log = EventLog::new();
    let mut seen = Vec::new();
    let (mut events, mut retracted) = (Vec::<(i64, u8, u8)>::new(), Vec::<i64>::new());
    let (mut pid, mut lid, mut rid) = (0, 0, 0);
    let mut clock = 0;
    for (op, step) in ops.iter().zip(steps.iter().cycle()) {
        clock += i64::from(*step);
        let at = time(clock);
        let by: Arc<str> = Arc::from("t");
        match *op {
            Op::Event { release, state } => {
                let id = events.len() as i64 + 1;
                log.apply_event(Event {
                    id,
                    dist: name(Dist::parse, "fedora"),
                    release: name(Release::parse, RELEASES[release as usize]),
                    state: name(State::parse, STATES[state as usize]),
                    reached: true,
                    at,
                    recorded_at: at,
                    recorded_by: by.clone(),
                    source: by,
                    note: None,
                    link: None,
                    corrects: None,
                })
                .expect("in order");
                events.push((id, release, state));
                seen.push(Seen { kind: "event", id, recorded_at: at, release: Some(release), state: Some(state) });
            }
            Op::Retract { nth_event } => {
                let Some(&(event_id, release, state)) =
                    events.iter().filter(|(id, ..)| !retracted.contains(id)).nth(nth_event % events.len().max(1))
                else {
                    continue;
                };
                rid += 1;
                log.apply_retraction(Retraction {
                    id: rid,
                    event_id,
                    reason: "wrong".into(),
                    recorded_at: at,
                    recorded_by: by.clone(),
                    source: by,
                })
                .expect("a known event, once");
                retracted.push(event_id);
                seen.push(Seen {
                    kind: "retraction",
                    id: rid,
                    recorded_at: at,
                    release: Some(release),
                    state: Some(state),
                });
            }
            Op::Property { release } => {
                pid += 1;
                log.apply_property(PropertyChange {
                    id: pid,
                    dist: name(Dist::parse, "fedora"),
                    release: release.map(|r| name(Release::parse, RELEASES[r as usize])),
                    key: "eol".into(),
                    value: Some(format!("v{pid}")),
                    at,
                    recorded_at: at,
                    recorded_by: by.clone(),
                    source: by,
                })
                .expect("in order");
                seen.push(Seen { kind: "property", id: pid, recorded_at: at, release, state: None });
            }
            Op::Plan { release, state } => {
                lid += 1;
                log.apply_plan(Plan {
                    id: lid,
                    key: TransitionKey {
                        dist: name(Dist::parse, "fedora"),
                        release: name(Release::parse, RELEASES[release as usize]),
                        state: name(State::parse, STATES[state as usize]),
                        reached: true,
                    },
                    at,
                    cancelled: false,
                    note: None,
                    link: None,
                    recorded_at: at,
                    recorded_by: by.clone(),
                    source: by,
                })
                .expect("in order");
                seen.push(Seen { kind: "plan", id: lid, recorded_at: at, release: Some(release), state: Some(state) });
            }
        }
    }
    seen.sort_by_key(|s| (s.recorded_at, rank(s.kind), s.id));
    (log, seen)
}

fn id_of(change: &Change) -> i64 {
    match change {
        Change::Event(e) => e.id,
        Change::Retraction(r) => r.retraction.id,
        Change::Property(p) => p.change.id,
        Change::Plan(p) => p.id,
    }
}

fn query(release: Option<u8>, state: Option<u8>) -> LogQuery {
    LogQuery {
        release: release.map(|r| name(Release::parse, RELEASES[r as usize])),
        state: state.map(|s| name(State::parse, STATES[s as usize])),
        ..LogQuery::default()
    }
}

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3u8, 0..2u8).prop_map(|(release, state)| Op::Event { release, state }),
        1 => (0..8usize).prop_map(|nth_event| Op::Retract { nth_event }),
        1 => proptest::option::of(0..3u8).prop_map(|release| Op::Property { release }),
        1 => (0..3u8, 0..2u8).prop_map(|(release, state)| Op::Plan { release, state }),
    ]
}

proptest! {
    /// Paging from the beginning with any page size, any filter, gives
    /// exactly the matching records once each, oldest recorded first; and
    /// every item's cursor resumes at the very next one.
    #[test]
    fn paging_misses_and_repeats_nothing(
        ops in proptest::collection::vec(ops(), 0..60),
        steps in proptest::collection::vec(any::<bool>(), 1..8),
        limit in 1..7usize,
        release in proptest::option::of(0..3u8),
        state in proptest::option::of(0..2u8),
    ) {
        let (log, seen) = build(&ops, &steps);
        let q = query(release, state);
        let expected: Vec<(&str, i64)> = seen
            .iter()
            .filter(|s| release.is_none_or(|r| s.release == Some(r)) && state.is_none_or(|x| s.state == Some(x)))
            .map(|s| (s.kind, s.id))
            .collect();
        let mut got = Vec::new();
        let mut cursor = Cursor::default();
        let mut all_items = Vec::new();
        loop {
            let page = log.activity_after(cursor, &q, limit);
            prop_assert!(page.next_after.covers(&cursor));
            prop_assert!(page.items.len() <= limit);
            got.extend(page.items.iter().map(|i| (i.change.kind(), id_of(&i.change))));
            all_items.extend(page.items);
            cursor = page.next_after;
            if !page.more {
                break;
            }
        }
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(cursor, log.end_cursor());
        for pair in all_items.windows(2) {
            let next = log.activity_after(pair[0].cursor, &q, 1);
            prop_assert_eq!(next.items.first(), Some(&pair[1]));
        }
        if let Some(last) = all_items.last() {
            prop_assert!(log.activity_after(last.cursor, &q, 5).items.is_empty());
        }
    }

    /// A cursor reads back as written.
    #[test]
    fn cursors_read_back(e in 0..i64::MAX, r in 0..i64::MAX, p in 0..i64::MAX, l in 0..i64::MAX) {
        let c = Cursor { events: e, retractions: r, properties: p, plans: l };
        prop_assert_eq!(Cursor::parse("after", &c.to_string()), Ok(c));
    }
}

#[test]
fn cursor_parsing_refuses_what_it_did_not_give_out() {
    assert_eq!(Cursor::parse("after", "0"), Ok(Cursor::default()));
    assert_eq!(Cursor::parse("after", "1.2.3.4"), Ok(Cursor { events: 1, retractions: 2, properties: 3, plans: 4 }));
    for bad in [
        "",
        "1",
        "1.2.3",
        "1.2.3.4.5",
        "-1.0.0.0",
        "+1.0.0.0",
        "1..2.3",
        " 1.2.3.4",
        "a.b.c.d",
        "99999999999999999999.0.0.0",
    ] {
        let err = Cursor::parse("after", bad).expect_err(bad);
        assert_eq!(err.field, "after", "{bad}");
    }
}

#[test]
fn records_read_as_the_api_answers_them() {
    let (log, _) = build(
        &[Op::Event { release: 0, state: 0 }, Op::Retract { nth_event: 0 }, Op::Property { release: Some(1) }],
        &[true],
    );
    let page = log.activity_after(Cursor::default(), &LogQuery::default(), 10);
    let json = serde_json::to_value(&page).expect("encodes");
    assert_eq!(json["items"][0]["kind"], "event");
    assert_eq!(json["items"][0]["cursor"], "1.0.0.0");
    // The event reads as it does now: retracted.
    assert_eq!(json["items"][0]["data"]["retraction"]["id"], 1);
    assert_eq!(json["items"][1]["kind"], "retraction");
    assert_eq!(json["items"][1]["cursor"], "1.1.0.0");
    assert_eq!(json["items"][1]["data"]["event_id"], 1);
    assert_eq!(json["items"][1]["data"]["event"]["id"], 1);
    assert_eq!(json["items"][2]["kind"], "property");
    assert_eq!(json["items"][2]["data"]["dist"], "fedora");
    assert_eq!(json["items"][2]["data"]["release"], "43");
    assert_eq!(json["items"][2]["data"]["key"], "eol");
    assert_eq!(json["items"][2]["data"]["old"], serde_json::Value::Null);
    assert_eq!(json["items"][2]["data"]["new"], "v1");
    assert_eq!(json["next_after"], "1.1.1.0");
    assert_eq!(json["more"], false);
    let data: serde_json::Value =
        serde_json::from_str(&page.items[2].change.data_json().expect("encodes")).expect("JSON");
    assert_eq!(data, json["items"][2]["data"]);
}
