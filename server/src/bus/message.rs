//! What goes on the wire for one outbox row: routing key, JSON body and
//! AMQP properties, exactly as fedora-messaging's `Message` sets them
//! (DESIGN.md §3 and §7, docs/messages.md), so its consumers accept our
//! messages. Pure: reads the in-memory log, never the network.

use app::model::audit::Finding;
use app::model::event::{EventRecord, RetractionRecord};
use app::model::plans::{PlanRecord, PlanView};
use app::model::{EventLog, Timestamp};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::BasicProperties;
use serde::{Deserialize, Serialize};

use crate::log::RetractionResult;
use crate::store::{OutboxEntry, OutboxKind, RenderBody};

/// `fedora_messaging_schema` of event messages (topics `.reached`, `.left`).
pub const EVENT_SCHEMA: &str = "releasetracker.event.v1";
/// `fedora_messaging_schema` of retraction messages (topic `.retracted`).
pub const RETRACTION_SCHEMA: &str = "releasetracker.retraction.v1";
/// `fedora_messaging_schema` of plan revisions (topic `plan.changed`).
pub const PLAN_SCHEMA: &str = "releasetracker.plan.v1";
/// `fedora_messaging_schema` of overdue plans (topic `plan.overdue`).
pub const PLAN_OVERDUE_SCHEMA: &str = "releasetracker.plan_overdue.v1";
/// `fedora_messaging_schema` of audit findings (topic `audit.drift`).
pub const AUDIT_DRIFT_SCHEMA: &str = "releasetracker.audit_drift.v1";
/// The Python package that defines our schemas for fedora-messaging
/// (`messages/` in this repository), named as fedora-messaging names a
/// distribution: consumers without it are told what to install.
pub const SCHEMA_PACKAGE: &str = "releasetracker_messages";
/// fedora-messaging's `INFO`; it drops messages whose severity is not an
/// integer in {10, 20, 30, 40}.
pub const SEVERITY_INFO: i32 = 20;
/// AMQP delivery mode "persistent".
const PERSISTENT: u8 = 2;
/// Header prefix fedora-messaging uses for the users a message concerns.
const USER_HEADER: &str = "fedora_messaging_user_";

/// The routing keys, built once from the configured prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
    /// An event with `reached: true`.
    pub reached: ShortString,
    /// An event with `reached: false`.
    pub left: ShortString,
    /// A retraction.
    pub retracted: ShortString,
    /// A plan revision: new, moved or cancelled.
    pub plan_changed: ShortString,
    /// A plan that became overdue.
    pub plan_overdue: ShortString,
    /// A new disagreement with Bodhi.
    pub audit_drift: ShortString,
}

impl Topics {
    /// `{prefix}.releasetracker.event.{reached,left,retracted}`,
    /// `{prefix}.releasetracker.plan.{changed,overdue}` and
    /// `{prefix}.releasetracker.audit.drift`; `None` if a key would exceed
    /// AMQP's 255 bytes.
    pub fn new(prefix: &str) -> Option<Self> {
        let key = |suffix: &str| ShortString::try_new(format!("{prefix}.releasetracker.{suffix}")).ok();
        Some(Self {
            prefix: prefix.to_owned(),
            reached: key("event.reached")?,
            left: key("event.left")?,
            retracted: key("event.retracted")?,
            plan_changed: key("plan.changed")?,
            plan_overdue: key("plan.overdue")?,
            audit_drift: key("audit.drift")?,
        })
    }

    /// The configured prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// One message ready for `basic_publish`.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// The topic.
    pub routing_key: ShortString,
    /// UTF-8 JSON object.
    pub body: Vec<u8>,
    /// Content type and encoding, persistence, id and headers.
    pub properties: BasicProperties,
}

/// Why a row cannot become a message (yet).
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The event or retraction is not in the in-memory log: the projection
    /// is behind, or the database holds an outbox row without its record
    /// (or, for the kinds that always store one, without its body).
    #[error("{kind} {id} is not in the log")]
    Missing {
        /// `event`, `retraction`, or the outbox kind of a row without body.
        kind: &'static str,
        /// Its id.
        id: i64,
    },
    /// The body could not be rendered, or a stored one read.
    #[error("cannot render or read the body: {0}")]
    Encode(#[from] serde_json::Error),
}

/// `sent-at` as fedora-messaging writes it (Python's `isoformat()` of an
/// aware UTC time without microseconds). It is the commit time of the
/// write, so a redelivery carries the same value.
pub fn sent_at(t: &Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Renders message bodies: the JSON the API answers for the event (or the
/// retraction with its event), plus `url`, the absolute address of the
/// event's page, so that consumers (and the schema package's `url`) can
/// link it without knowing where the tracker runs.
#[derive(Debug, Clone, Default)]
pub struct Bodies {
    /// The public URL the event pages hang under; without one (one-shot
    /// commands, which queue no messages) bodies carry no `url`.
    public_url: Option<url::Url>,
}

/// A body: the API's JSON with the event page's address after it.
#[derive(Serialize)]
struct WithUrl<'a, T> {
    #[serde(flatten)]
    answer: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

impl Bodies {
    /// Bodies whose `url` lies under `public_url` (whose path ends in `/`).
    pub fn new(public_url: url::Url) -> Self {
        Self { public_url: Some(public_url) }
    }

    fn url(&self, event: i64) -> Option<String> {
        self.page(&app::links::event(event))
    }

    /// The absolute address of a page of the site (`href` from
    /// `app::links`).
    fn page(&self, href: &str) -> Option<String> {
        let base = self.public_url.as_ref()?;
        Some(format!("{}{}", base.as_str().trim_end_matches('/'), href))
    }
}

/// The body of an `audit.drift` message: the finding as `GET
/// /api/v1/audit` lists it, the Bodhi audited and when.
#[derive(Serialize)]
struct DriftBody<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    bodhi_url: &'a str,
    #[serde(with = "app::model::time::wire")]
    checked_at: Timestamp,
}

impl RenderBody for Bodies {
    fn event(&self, event: &EventRecord) -> Result<String, serde_json::Error> {
        serde_json::to_string(&WithUrl { answer: event, url: self.url(event.id) })
    }

    fn retraction(&self, retraction: &RetractionRecord, event: &EventRecord) -> Result<String, serde_json::Error> {
        let result = RetractionResult { retraction: retraction.clone(), event: event.clone() };
        serde_json::to_string(&WithUrl { answer: &result, url: self.url(event.id) })
    }

    fn plan(&self, plan: &PlanRecord) -> Result<String, serde_json::Error> {
        serde_json::to_string(&WithUrl {
            answer: plan,
            url: self.page(&app::links::release(&plan.dist, &plan.release)),
        })
    }

    fn plan_overdue(&self, plan: &PlanView) -> Result<String, serde_json::Error> {
        let url = self.page(&app::links::release(&plan.plan.dist, &plan.plan.release));
        serde_json::to_string(&WithUrl { answer: plan, url })
    }

    fn audit_drift(&self, finding: &Finding, bodhi: &str, checked_at: Timestamp) -> Result<String, serde_json::Error> {
        let body = DriftBody { finding, bodhi_url: bodhi, checked_at };
        serde_json::to_string(&WithUrl { answer: &body, url: self.page(&app::links::audit()) })
    }
}

/// What the envelope needs from a stored body: the topic and the people
/// concerned are facts of the record, so they are read from the very bytes
/// that go out.
#[derive(Deserialize)]
struct Envelope {
    reached: Option<bool>,
    /// Absent from audit findings: no one recorded them.
    recorded_by: Option<String>,
    event: Option<EnvelopeEvent>,
}

#[derive(Deserialize)]
struct EnvelopeEvent {
    recorded_by: String,
}

/// Builds the message of `entry`: its stored body, byte for byte, as
/// rendered when the row was written. Rows written before bodies were
/// stored are rendered from the log as it stands.
pub fn build(
    entry: &OutboxEntry,
    log: &EventLog,
    topics: &Topics,
    bodies: &Bodies,
) -> Result<OutgoingMessage, MessageError> {
    let body = match &entry.body {
        Some(body) => body.clone().into_bytes(),
        None => render_from_log(entry, log, bodies)?,
    };
    let envelope: Envelope = serde_json::from_slice(&body)?;
    let (routing_key, schema) = match entry.kind {
        OutboxKind::Event if envelope.reached == Some(false) => (&topics.left, EVENT_SCHEMA),
        OutboxKind::Event => (&topics.reached, EVENT_SCHEMA),
        OutboxKind::Retraction => (&topics.retracted, RETRACTION_SCHEMA),
        OutboxKind::Plan => (&topics.plan_changed, PLAN_SCHEMA),
        OutboxKind::PlanOverdue => (&topics.plan_overdue, PLAN_OVERDUE_SCHEMA),
        OutboxKind::AuditDrift => (&topics.audit_drift, AUDIT_DRIFT_SCHEMA),
    };
    // For a retraction both the editor who retracted and the one whose
    // event it was are concerned; fedora-messaging filters notifications
    // on them.
    let mut users: Vec<String> = envelope.recorded_by.into_iter().collect();
    if let Some(event) = envelope.event {
        if !users.contains(&event.recorded_by) {
            users.push(event.recorded_by);
        }
    }
    Ok(OutgoingMessage {
        routing_key: routing_key.clone(),
        body,
        properties: properties(&entry.message_id, schema, &entry.created_at, &users),
    })
}

/// The body of a row stored without one, from the log as it stands.
fn render_from_log(entry: &OutboxEntry, log: &EventLog, bodies: &Bodies) -> Result<Vec<u8>, MessageError> {
    let text = match entry.kind {
        OutboxKind::Event => {
            let record =
                log.event_record(entry.ref_id).ok_or(MessageError::Missing { kind: "event", id: entry.ref_id })?;
            bodies.event(&record)?
        }
        OutboxKind::Retraction => {
            let missing = MessageError::Missing { kind: "retraction", id: entry.ref_id };
            let retraction = log.retraction(entry.ref_id).ok_or(missing)?;
            let event = log
                .event_record(retraction.event_id)
                .ok_or(MessageError::Missing { kind: "event", id: retraction.event_id })?;
            bodies.retraction(&RetractionRecord::from(retraction), &event)?
        }
        // Written with their body from the start (migration 0009).
        kind @ (OutboxKind::Plan | OutboxKind::PlanOverdue | OutboxKind::AuditDrift) => {
            return Err(MessageError::Missing { kind: kind.as_str(), id: entry.ref_id })
        }
    };
    Ok(text.into_bytes())
}

/// The AMQP properties fedora-messaging's `Message._build_properties`
/// produces (version 3.x), with our id, schema and users.
fn properties(message_id: &str, schema: &str, created_at: &Timestamp, users: &[String]) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert(ShortString::from("fedora_messaging_schema"), AMQPValue::LongString(LongString::from(schema)));
    headers.insert(
        ShortString::from("fedora_messaging_schema_package"),
        AMQPValue::LongString(LongString::from(SCHEMA_PACKAGE)),
    );
    headers.insert(ShortString::from("fedora_messaging_severity"), AMQPValue::LongInt(SEVERITY_INFO));
    headers.insert(ShortString::from("sent-at"), AMQPValue::LongString(LongString::from(sent_at(created_at))));
    // fedora-messaging mirrors its (default, unset) priority here as 0.
    headers.insert(ShortString::from("priority"), AMQPValue::LongInt(0));
    for user in users {
        // A header name is an AMQP short string: a user name too long for
        // one (over 233 bytes) gets no filter header rather than no message.
        if let Ok(name) = ShortString::try_new(format!("{USER_HEADER}{user}")) {
            headers.insert(name, AMQPValue::Boolean(true));
        }
    }
    let properties = BasicProperties::default()
        .with_content_type(ShortString::from("application/json"))
        .with_content_encoding(ShortString::from("utf-8"))
        .with_delivery_mode(PERSISTENT)
        .with_headers(headers);
    // A UUID is 36 bytes, far under the limit; a value that does not fit
    // (only possible with hand-edited rows) goes out without an id rather
    // than not at all.
    match ShortString::try_new(message_id) {
        Ok(id) => properties.with_message_id(id),
        Err(_) => properties,
    }
}

#[cfg(test)]
mod samples;

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::{Dist, Event, Release, Retraction, State};
    use std::sync::Arc;

    fn at(s: &str) -> Timestamp {
        app::model::time::parse_timestamp("at", s).unwrap()
    }

    fn log() -> EventLog {
        let mut log = EventLog::new();
        log.apply_event(Event {
            id: 1,
            dist: Dist::parse("fedora").unwrap(),
            release: Release::parse("44").unwrap(),
            state: State::parse("branched").unwrap(),
            reached: true,
            at: at("2026-02-10T14:00:00Z"),
            recorded_at: at("2026-02-10T14:03:12.520Z"),
            recorded_by: Arc::from("releng-bot"),
            source: Arc::from("api"),
            note: None,
            link: None,
            corrects: None,
        })
        .unwrap();
        log.apply_retraction(Retraction {
            id: 7,
            event_id: 1,
            reason: "typo".into(),
            recorded_at: at("2026-02-10T15:00:00Z"),
            recorded_by: Arc::from("alice"),
            source: Arc::from("web"),
        })
        .unwrap();
        log
    }

    fn entry(kind: OutboxKind, ref_id: i64) -> OutboxEntry {
        OutboxEntry {
            id: 3,
            kind,
            ref_id,
            message_id: "0b9a3f1e-6a53-4a3e-9d0f-6f1c2b7c4d11".into(),
            created_at: at("2026-02-10T14:03:12.520Z"),
            sent_at: None,
            attempts: 0,
            last_error: None,
            body: None,
        }
    }

    fn bodies() -> Bodies {
        Bodies::new(url::Url::parse("https://rt.example.org/tracker/").unwrap())
    }

    fn header<'a>(p: &'a BasicProperties, name: &str) -> Option<&'a AMQPValue> {
        p.headers().as_ref().and_then(|h| h.inner().get(name))
    }

    #[test]
    fn event_messages_carry_fedora_messaging_properties() {
        let topics = Topics::new("org.fedoraproject.dev").unwrap();
        let m = build(&entry(OutboxKind::Event, 1), &log(), &topics, &bodies()).unwrap();
        assert_eq!(m.routing_key.as_str(), "org.fedoraproject.dev.releasetracker.event.reached");
        let p = &m.properties;
        assert_eq!(p.content_type().as_ref().map(|s| s.as_str()), Some("application/json"));
        assert_eq!(p.content_encoding().as_ref().map(|s| s.as_str()), Some("utf-8"));
        assert_eq!(*p.delivery_mode(), Some(2));
        assert_eq!(p.message_id().as_ref().map(|s| s.as_str()), Some("0b9a3f1e-6a53-4a3e-9d0f-6f1c2b7c4d11"));
        assert_eq!(header(p, "fedora_messaging_severity"), Some(&AMQPValue::LongInt(20)));
        assert_eq!(header(p, "priority"), Some(&AMQPValue::LongInt(0)));
        assert_eq!(
            header(p, "fedora_messaging_schema"),
            Some(&AMQPValue::LongString(LongString::from("releasetracker.event.v1")))
        );
        assert_eq!(header(p, "sent-at"), Some(&AMQPValue::LongString(LongString::from("2026-02-10T14:03:12+00:00"))));
        assert_eq!(header(p, "fedora_messaging_user_releng-bot"), Some(&AMQPValue::Boolean(true)));
        let body: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
        assert_eq!(body["id"], 1);
        assert_eq!(body["retraction"]["id"], 7);
        assert_eq!(body["url"], "https://rt.example.org/tracker/events/1");
    }

    #[test]
    fn a_stored_body_goes_out_byte_for_byte_and_names_topic_and_users() {
        let topics = Topics::new("org.example").unwrap();
        // A body stored at commit says what was true then: the log of
        // today (where event 1 is retracted and reached) is not consulted.
        let stored = r#"{"id":1,"reached":false,"recorded_by":"carol","changed":true,"url":"x"}"#;
        let mut row = entry(OutboxKind::Event, 1);
        row.body = Some(stored.into());
        let m = build(&row, &EventLog::new(), &topics, &bodies()).unwrap();
        assert_eq!(m.body, stored.as_bytes());
        assert_eq!(m.routing_key.as_str(), "org.example.releasetracker.event.left");
        assert!(header(&m.properties, "fedora_messaging_user_carol").is_some());

        let stored = r#"{"id":7,"recorded_by":"alice","event":{"id":1,"recorded_by":"bob/cli"}}"#;
        let mut row = entry(OutboxKind::Retraction, 7);
        row.body = Some(stored.into());
        let m = build(&row, &EventLog::new(), &topics, &bodies()).unwrap();
        assert_eq!(m.body, stored.as_bytes());
        assert_eq!(m.routing_key.as_str(), "org.example.releasetracker.event.retracted");
        assert!(header(&m.properties, "fedora_messaging_user_alice").is_some());
        assert!(header(&m.properties, "fedora_messaging_user_bob/cli").is_some());

        row.body = Some("not json".into());
        assert!(matches!(build(&row, &EventLog::new(), &topics, &bodies()), Err(MessageError::Encode(_))));
    }

    #[test]
    fn retractions_name_both_editors_and_carry_the_event() {
        let topics = Topics::new("org.example").unwrap();
        let m = build(&entry(OutboxKind::Retraction, 7), &log(), &topics, &bodies()).unwrap();
        assert_eq!(m.routing_key.as_str(), "org.example.releasetracker.event.retracted");
        let p = &m.properties;
        assert_eq!(
            header(p, "fedora_messaging_schema"),
            Some(&AMQPValue::LongString(LongString::from("releasetracker.retraction.v1")))
        );
        assert!(header(p, "fedora_messaging_user_alice").is_some());
        assert!(header(p, "fedora_messaging_user_releng-bot").is_some());
        let body: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
        assert_eq!(body["id"], 7);
        assert_eq!(body["event_id"], 1);
        assert_eq!(body["reason"], "typo");
        assert_eq!(body["event"]["id"], 1);
        assert_eq!(body["url"], "https://rt.example.org/tracker/events/1");
    }

    #[test]
    fn missing_records_are_reported() {
        let topics = Topics::new("org.example").unwrap();
        assert!(matches!(
            build(&entry(OutboxKind::Event, 99), &log(), &topics, &bodies()),
            Err(MessageError::Missing { kind: "event", id: 99 })
        ));
    }

    #[test]
    fn overlong_user_names_lose_only_their_header() {
        let long = "x".repeat(240);
        let p = properties("id", EVENT_SCHEMA, &at("2026-02-10T14:00:00Z"), &[long]);
        let headers = p.headers().as_ref().unwrap().inner();
        assert!(headers.keys().all(|k| !k.as_str().starts_with(USER_HEADER)));
        assert!(headers.contains_key("fedora_messaging_severity"));
    }
}
