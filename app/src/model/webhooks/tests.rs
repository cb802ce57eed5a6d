//! Tests of the webhook core: filters against real bodies, input checks,
//! the retry schedule and the payload.

use std::time::Duration;

use proptest::prelude::*;

use super::*;

const EVENT: &str =
    r#"{"id":12,"dist":"fedora","release":"45","state":"stable","reached":true,"at":"2026-11-10T14:00:00Z"}"#;
const LEFT: &str =
    r#"{"id":13,"dist":"fedora","release":"43","state":"stable","reached":false,"at":"2026-11-10T14:00:00Z"}"#;
const RETRACTION: &str = r#"{"id":3,"event_id":12,"reason":"typo","event":{"id":12,"dist":"fedora","release":"45","state":"stable","reached":true}}"#;
const PLAN: &str = r#"{"id":7,"dist":"ubuntu","release":"26.04","state":"stable","reached":true,"at":"2026-04-23T00:00:00Z","revision":2}"#;

fn filter(json: &str) -> WebhookFilter {
    serde_json::from_str::<WebhookFilter>(json).unwrap().validate().unwrap()
}

#[test]
fn subjects_are_read_from_each_kind_of_body() {
    let e = Subject::of(Announcement::Event, EVENT).unwrap();
    assert_eq!((e.kind, e.event_type, e.event_id), (WebhookKind::Event, "event.reached", Some(12)));
    assert_eq!(Subject::of(Announcement::Event, LEFT).unwrap().event_type, "event.left");
    let r = Subject::of(Announcement::Retraction, RETRACTION).unwrap();
    assert_eq!(
        (r.kind, r.event_type, r.event_id, r.release.as_str()),
        (WebhookKind::Retraction, "event.retracted", Some(12), "45")
    );
    let p = Subject::of(Announcement::Plan, PLAN).unwrap();
    assert_eq!(
        (p.kind, p.event_type, p.event_id, p.dist.as_str()),
        (WebhookKind::Plan, "plan.changed", None, "ubuntu")
    );
    assert_eq!(Subject::of(Announcement::PlanOverdue, PLAN).unwrap().event_type, "plan.overdue");
    assert_eq!(Subject::of(Announcement::Event, "{}"), None);
}

#[test]
fn filters_match_by_every_field_they_name() {
    let stable_entered = filter(r#"{"dists":["fedora"],"states":["stable"],"reached":true,"kinds":["event"]}"#);
    assert!(stable_entered.matches(&Subject::of(Announcement::Event, EVENT).unwrap()));
    assert!(!stable_entered.matches(&Subject::of(Announcement::Event, LEFT).unwrap()), "left, not entered");
    assert!(!stable_entered.matches(&Subject::of(Announcement::Retraction, RETRACTION).unwrap()), "kind");
    assert!(!stable_entered.matches(&Subject::of(Announcement::Plan, PLAN).unwrap()), "kind and dist");
    let everything = WebhookFilter::default();
    for (kind, body) in [
        (Announcement::Event, EVENT),
        (Announcement::Retraction, RETRACTION),
        (Announcement::Plan, PLAN),
        (Announcement::PlanOverdue, PLAN),
    ] {
        assert!(everything.matches(&Subject::of(kind, body).unwrap()));
    }
    let releases = filter(r#"{"releases":["44","45"]}"#);
    assert!(releases.matches(&Subject::of(Announcement::Event, EVENT).unwrap()));
    assert!(!releases.matches(&Subject::of(Announcement::Event, LEFT).unwrap()));
}

#[test]
fn filters_refuse_bad_names_and_unknown_fields() {
    let e = serde_json::from_str::<WebhookFilter>(r#"{"dists":[""]}"#).unwrap().validate().unwrap_err();
    assert_eq!(e.field, "filter.dists");
    assert!(serde_json::from_str::<WebhookFilter>(r#"{"dist":["fedora"]}"#).is_err());
    assert!(serde_json::from_str::<WebhookFilter>(r#"{"kinds":["audit"]}"#).is_err());
    let f = filter(r#"{"dists":["fedora","fedora"]}"#);
    assert_eq!(f.dists, vec!["fedora".to_owned()]);
    assert_eq!(f.describe(), "fedora");
    assert_eq!(WebhookFilter::default().describe(), "everything");
}

#[test]
fn urls_must_be_absolute_http_without_credentials() {
    assert!(check_url("https://hooks.example.org/releng").is_ok());
    assert!(check_url("http://127.0.0.1:8080/x").is_ok(), "the server decides about plain http");
    for (bad, why) in [
        ("", "is required"),
        ("hooks.example.org", "is not a URL"),
        ("ftp://example.org/", "https://"),
        ("https://user:pw@example.org/", "password"),
        ("https://example.org/#x", "fragment"),
    ] {
        let e = check_url(bad).unwrap_err();
        assert_eq!(e.field, "url");
        assert!(e.message.contains(why), "{bad}: {}", e.message);
    }
}

#[test]
fn a_change_keeps_what_it_does_not_name() {
    let current =
        SubscriptionInput { url: Some("https://a.example/".into()), ..Default::default() }.validate_new().unwrap();
    assert!(current.active && !current.required);
    let paused = SubscriptionInput { active: Some(false), ..Default::default() }.apply_to(&current).unwrap();
    assert_eq!((paused.url.as_str(), paused.active), ("https://a.example/", false));
    let e =
        SubscriptionInput { description: Some("x".repeat(201)), ..Default::default() }.apply_to(&current).unwrap_err();
    assert_eq!(e.field, "description");
}

#[test]
fn the_default_schedule_retries_for_about_three_days() {
    let s = RetrySchedule::default();
    assert_eq!(s.attempts(), 10);
    let total: Duration = s.steps().iter().sum();
    assert!(total > Duration::from_secs(3 * 86_400) && total < Duration::from_secs(4 * 86_400), "{total:?}");
    assert_eq!(s.next(1, 0.0, None), Some(Duration::from_secs(5)));
    assert_eq!(s.next(9, 0.0, None), Some(Duration::from_secs(24 * 3600)));
    assert_eq!(s.next(10, 0.0, None), None, "the tenth attempt was the last");
    assert_eq!(s.next(0, 0.0, None), None);
}

#[test]
fn retry_after_is_honoured_when_longer_and_capped() {
    let s = RetrySchedule::parse("1s,2s").unwrap();
    assert_eq!(s.next(1, 0.0, Some(Duration::from_secs(30))), Some(Duration::from_secs(30)));
    assert_eq!(s.next(1, 0.0, Some(Duration::from_millis(10))), Some(Duration::from_secs(1)));
    assert_eq!(s.next(1, 0.0, Some(Duration::from_secs(10 * 86_400))), Some(MAX_RETRY_AFTER));
}

#[test]
fn schedules_are_read_strictly() {
    assert_eq!(
        RetrySchedule::parse("200ms, 1s,2m").unwrap().steps(),
        &[Duration::from_millis(200), Duration::from_secs(1), Duration::from_secs(120)]
    );
    for bad in ["", "5", "5x", "0s", "8d", "-1s", "1s,,2s"] {
        assert!(RetrySchedule::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn outcomes_follow_the_status_code() {
    assert_eq!(outcome(Some(204), None), Outcome::Delivered);
    assert_eq!(outcome(Some(410), None), Outcome::Gone);
    assert_eq!(outcome(Some(302), None), Outcome::Failed { retry_after: None }, "redirects fail");
    let wait = Some(Duration::from_secs(9));
    assert_eq!(outcome(Some(429), wait), Outcome::Failed { retry_after: wait });
    assert_eq!(outcome(Some(500), wait), Outcome::Failed { retry_after: None });
    assert_eq!(outcome(None, None), Outcome::Failed { retry_after: None });
}

#[test]
fn the_payload_carries_the_body_byte_for_byte() {
    let at = crate::model::time::parse_timestamp("at", "2026-11-10T14:00:00Z").unwrap();
    let p = payload("event.reached", &at, EVENT);
    assert!(p.ends_with(&format!(",\"data\":{EVENT}}}")));
    let v: serde_json::Value = serde_json::from_str(&p).unwrap();
    assert_eq!(v["type"], "event.reached");
    assert_eq!(v["timestamp"], "2026-11-10T14:00:00Z");
    assert_eq!(v["data"]["release"], "45");
}

proptest! {
    /// Jitter keeps every wait within a fifth of its step, and never
    /// shortens what a receiver asked for.
    #[test]
    fn jitter_stays_within_a_fifth(step in 1u64..1_000_000, jitter in -2.0f64..2.0, asked in proptest::option::of(0u64..2_000_000)) {
        let s = RetrySchedule::parse(&format!("{step}ms")).unwrap();
        let asked = asked.map(Duration::from_millis);
        let wait = s.next(1, jitter, asked).unwrap();
        let step = Duration::from_millis(step);
        prop_assert!(wait >= step.mul_f64(0.8) - Duration::from_micros(1));
        match asked {
            Some(a) => prop_assert!(wait >= a.min(MAX_RETRY_AFTER)),
            None => prop_assert!(wait <= step.mul_f64(1.2) + Duration::from_micros(1)),
        }
    }

    /// A filter naming exactly a subject's fields matches it, and changing
    /// any one field of the subject makes it miss.
    #[test]
    fn a_filter_matches_what_it_names(dist in "[a-z]{1,6}", release in "[0-9]{1,3}", state in "[a-z]{1,8}", reached: bool) {
        let f = WebhookFilter { dists: vec![dist.clone()], releases: vec![release.clone()], states: vec![state.clone()], reached: Some(reached), kinds: vec![WebhookKind::Event] };
        let s = Subject { kind: WebhookKind::Event, event_type: "event.reached", dist, release, state, reached, event_id: Some(1) };
        prop_assert!(f.matches(&s));
        let other_way = Subject { reached: !reached, ..s.clone() };
        let other_dist = Subject { dist: format!("{}x", s.dist), ..s.clone() };
        let other_kind = Subject { kind: WebhookKind::Plan, ..s.clone() };
        for miss in [other_way, other_dist, other_kind] {
            prop_assert!(!f.matches(&miss));
        }
    }
}
