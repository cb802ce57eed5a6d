//! Property tests: for random logs (backdated events, equal timestamps,
//! retractions at random moments), the incrementally maintained projection
//! answers every view exactly as a naive recomputation from scratch.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use chrono::Duration;
use proptest::prelude::*;

use super::*;
use crate::model::event::{Event, Retraction};
use crate::model::membership::Interval;

const RELEASES: [&str; 5] = ["0", "2", "10", "10.1", "eln"];
const STATES: [&str; 3] = ["active", "branched", "eol"];
const DISTS: [&str; 2] = ["fedora", "epel"];

#[derive(Debug, Clone)]
enum Op {
    Record { dist: usize, release: usize, state: usize, reached: bool, minute: i64 },
    Retract(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..DISTS.len(), 0..RELEASES.len(), 0..STATES.len(), any::<bool>(), 0i64..12)
            .prop_map(|(dist, release, state, reached, minute)| Op::Record { dist, release, state, reached, minute }),
        1 => any::<usize>().prop_map(Op::Retract),
    ]
}

fn base() -> Timestamp {
    time::parse_timestamp("at", "2026-01-01T00:00:00Z").unwrap()
}

/// The log as a plain list, recomputed from scratch on every question.
#[derive(Default)]
struct Naive {
    events: Vec<Event>,
    retracted: HashSet<i64>,
}

impl Naive {
    fn live<'a>(&'a self, dist: &'a str, release: &'a str, state: &'a str) -> Vec<&'a Event> {
        let mut v: Vec<&Event> = self
            .events
            .iter()
            .filter(|e| !self.retracted.contains(&e.id))
            .filter(|e| e.dist.as_str() == dist && e.release.as_str() == release && e.state.as_str() == state)
            .collect();
        v.sort_by_key(|e| (e.at, e.id));
        v
    }

    fn is_in(&self, dist: &str, release: &str, state: &str, t: Timestamp) -> bool {
        self.live(dist, release, state).into_iter().rfind(|e| e.at <= t).is_some_and(|e| e.reached)
    }

    fn was_in_state(&self, e: &Event) -> bool {
        self.live(e.dist.as_str(), e.release.as_str(), e.state.as_str())
            .into_iter()
            .rfind(|o| (o.at, o.id) < (e.at, e.id))
            .is_some_and(|o| o.reached)
    }

    fn history(&self, dist: &str, release: &str, state: &str, t: Timestamp) -> Vec<Interval> {
        let mut out: Vec<Interval> = Vec::new();
        let mut inside = false;
        for e in self.live(dist, release, state).into_iter().filter(|e| e.at <= t) {
            match (inside, e.reached) {
                (false, true) => out.push(Interval { entered: e.at, entered_by: e.id, left: None, left_by: None }),
                (true, false) => {
                    let last = out.len() - 1;
                    out[last].left = Some(e.at);
                    out[last].left_by = Some(e.id);
                }
                _ => {}
            }
            inside = e.reached;
        }
        out
    }

    fn states_by_release(&self, dist: &str, t: Timestamp) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in RELEASES {
            for s in STATES {
                if self.is_in(dist, r, s, t) {
                    out.entry(r.to_owned()).or_default().insert(s.to_owned());
                }
            }
        }
        out.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
    }
}

fn as_strings<K: ToString, V: ToString>(m: &BTreeMap<K, Vec<V>>) -> BTreeMap<String, Vec<String>> {
    m.iter().map(|(k, v)| (k.to_string(), v.iter().map(ToString::to_string).collect())).collect()
}

fn build(ops: &[Op]) -> (EventLog, Naive) {
    let mut log = EventLog::new();
    let mut naive = Naive::default();
    let mut next_retraction = 1;
    for op in ops {
        match op {
            Op::Record { dist, release, state, reached, minute } => {
                let id = naive.events.len() as i64 + 1;
                let e = Event {
                    id,
                    dist: Dist::parse(DISTS[*dist]).unwrap(),
                    release: Release::parse(RELEASES[*release]).unwrap(),
                    state: State::parse(STATES[*state]).unwrap(),
                    reached: *reached,
                    at: base() + Duration::minutes(*minute),
                    recorded_at: base() + Duration::hours(1) + Duration::seconds(id),
                    recorded_by: Arc::from("test"),
                    source: Arc::from("api"),
                    note: None,
                    link: None,
                    corrects: None,
                };
                log.apply_event(e.clone()).unwrap();
                naive.events.push(e);
            }
            Op::Retract(pick) => {
                let open: Vec<i64> =
                    naive.events.iter().map(|e| e.id).filter(|id| !naive.retracted.contains(id)).collect();
                if open.is_empty() {
                    continue;
                }
                let event_id = open[pick % open.len()];
                log.apply_retraction(Retraction {
                    id: next_retraction,
                    event_id,
                    reason: "test".into(),
                    recorded_at: base(),
                    recorded_by: Arc::from("test"),
                    source: Arc::from("api"),
                })
                .unwrap();
                next_retraction += 1;
                naive.retracted.insert(event_id);
            }
        }
    }
    (log, naive)
}

fn instants() -> Vec<Timestamp> {
    let mut v: Vec<Timestamp> = (0..13).map(|m| base() + Duration::minutes(m)).collect();
    v.extend((0..13).map(|m| base() + Duration::minutes(m) - Duration::microseconds(1)));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn views_equal_a_naive_recomputation(ops in prop::collection::vec(op(), 0..60)) {
        let (log, naive) = build(&ops);
        for dist_name in DISTS {
            let dist = Dist::parse(dist_name).unwrap();
            for t in instants() {
                let Some(sbr) = log.states_by_release(&dist, t) else {
                    prop_assert!(naive.events.iter().all(|e| e.dist.as_str() != dist_name));
                    continue;
                };
                let expected = naive.states_by_release(dist_name, t);
                prop_assert_eq!(as_strings(&sbr), expected.clone());

                let mut inverted: BTreeMap<String, Vec<String>> = BTreeMap::new();
                let mut releases: Vec<&String> = expected.keys().collect();
                releases.sort_by(|a, b| crate::model::order::natural_cmp(a, b));
                for r in releases {
                    for s in &expected[r] {
                        inverted.entry(s.clone()).or_default().push(r.clone());
                    }
                }
                prop_assert_eq!(as_strings(&log.releases_by_state(&dist, t).unwrap()), inverted);

                let detailed = log.detailed(&dist, t).unwrap();
                for r in RELEASES {
                    for s in STATES {
                        let known = naive.live(dist_name, r, s).iter().any(|e| e.at <= t);
                        let got = detailed
                            .get(&Release::parse(r).unwrap())
                            .and_then(|d| d.get(&State::parse(s).unwrap()));
                        prop_assert_eq!(got.is_some(), known);
                        if let Some(detail) = got {
                            let history = naive.history(dist_name, r, s, t);
                            prop_assert_eq!(detail.is_in, naive.is_in(dist_name, r, s, t));
                            prop_assert_eq!(detail.entered, history.last().map(|i| i.entered));
                            prop_assert_eq!(detail.left, history.last().and_then(|i| i.left));
                            prop_assert_eq!(&detail.history, &history);
                        }
                    }
                }
                // Narrowed to a state: the full view's entries of that state.
                for s in STATES {
                    let state = State::parse(s).unwrap();
                    let narrowed = log.detailed_in(&dist, &state, t).unwrap();
                    let expected: Detailed = detailed
                        .iter()
                        .filter_map(|(r, d)| Some((r.clone(), ReleaseDetail::from([(state.clone(), d.get(&state)?.clone())]))))
                        .collect();
                    prop_assert_eq!(narrowed, expected);
                }
            }
        }
        for e in &naive.events {
            let record = log.event_record(e.id).unwrap();
            prop_assert_eq!(record.was_in_state, naive.was_in_state(e));
            prop_assert_eq!(record.changed, record.was_in_state != e.reached);
            prop_assert_eq!(record.retraction.is_some(), naive.retracted.contains(&e.id));
        }
    }

    #[test]
    fn log_pages_cover_every_event_once(ops in prop::collection::vec(op(), 0..60), limit in 1usize..7) {
        let (log, naive) = build(&ops);
        let mut seen = Vec::new();
        let mut q = crate::model::LogQuery { limit, ..Default::default() };
        loop {
            let page = log.query(&q);
            seen.extend(page.events.iter().map(|e| e.id));
            match page.next_before_id {
                Some(b) => q.before_id = Some(b),
                None => break,
            }
        }
        let mut all: Vec<i64> = naive.events.iter().map(|e| e.id).collect();
        all.reverse();
        prop_assert_eq!(seen, all.clone());

        let mut fed = Vec::new();
        let mut q = crate::model::LogQuery { limit, after_id: Some(0), ..Default::default() };
        loop {
            let page = log.query(&q);
            if page.events.is_empty() { break; }
            fed.extend(page.events.iter().map(|e| e.id));
            q.after_id = page.next_after_id;
        }
        all.reverse();
        prop_assert_eq!(fed, all);
    }
}

#[test]
fn out_of_order_and_double_retraction_are_refused() {
    let (mut log, _) = build(&[Op::Record { dist: 0, release: 0, state: 0, reached: true, minute: 0 }]);
    let mut e = log.event(1).unwrap().clone();
    assert!(log.apply_event(e.clone()).is_err());
    e.id = 2;
    log.apply_event(e).unwrap();
    let r = Retraction {
        id: 1,
        event_id: 2,
        reason: "x".into(),
        recorded_at: base(),
        recorded_by: Arc::from("t"),
        source: Arc::from("api"),
    };
    log.apply_retraction(r.clone()).unwrap();
    assert!(log.apply_retraction(Retraction { id: 2, ..r.clone() }).is_err());
    assert!(log.apply_retraction(Retraction { id: 3, event_id: 99, ..r }).is_err());
}

#[test]
fn json_is_sorted_naturally_and_alphabetically() {
    let ops: Vec<Op> = [(4, 1), (2, 0), (3, 2), (0, 0), (2, 2)]
        .into_iter()
        .map(|(release, state)| Op::Record { dist: 0, release, state, reached: true, minute: 1 })
        .collect();
    let (log, _) = build(&ops);
    let dist = Dist::parse("fedora").unwrap();
    let t = base() + Duration::days(1);
    let json = serde_json::to_string(&log.states_by_release(&dist, t).unwrap()).unwrap();
    assert_eq!(json, r#"{"0":["active"],"10":["active","eol"],"10.1":["eol"],"eln":["branched"]}"#);
    let json = serde_json::to_string(&log.releases_by_state(&dist, t).unwrap()).unwrap();
    assert_eq!(json, r#"{"active":["0","10"],"branched":["eln"],"eol":["10","10.1"]}"#);
}
