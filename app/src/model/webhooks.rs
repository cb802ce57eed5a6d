//! Webhooks (DESIGN.md §8), the pure part: what a subscription asks for
//! and how it is checked, which announcements it matches, the Standard
//! Webhooks payload and event types, the retry schedule and how a
//! delivery stands. Sending, signing and storing live in the server.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::name::{check_text, Dist, Release, State, ValidationError};
use super::time::{self, Timestamp};

/// Most characters of a subscription's URL.
pub const MAX_URL_CHARS: usize = 2000;
/// Most characters of a subscription's description.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// Most names in one list of a filter.
pub const MAX_FILTER_NAMES: usize = 100;

/// What an announcement is about, as a subscription's `kinds` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum WebhookKind {
    /// A new event (`event.reached`, `event.left`).
    Event,
    /// A retraction (`event.retracted`).
    Retraction,
    /// A plan revision or an overdue plan (`plan.changed`, `plan.overdue`).
    Plan,
}

impl WebhookKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [WebhookKind; 3] = [WebhookKind::Event, WebhookKind::Retraction, WebhookKind::Plan];

    /// The word in filters and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::Event => "event",
            WebhookKind::Retraction => "retraction",
            WebhookKind::Plan => "plan",
        }
    }

    /// The kind a word names.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

/// Which announcements a subscription receives. An empty list (or no
/// `reached`) matches everything; the lists are alternatives, the fields
/// all have to match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookFilter {
    /// Dists (`fedora`); empty for all.
    pub dists: Vec<String>,
    /// Releases (`45`); empty for all.
    pub releases: Vec<String>,
    /// States (`stable`); empty for all.
    pub states: Vec<String>,
    /// `true` for entering a state only, `false` for leaving only; absent for both.
    pub reached: Option<bool>,
    /// Kinds of announcement; empty for all three.
    pub kinds: Vec<WebhookKind>,
}

/// What a stored announcement is about, read from its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Its kind.
    pub kind: WebhookKind,
    /// The Standard Webhooks `type` it goes out as.
    pub event_type: &'static str,
    /// The dist.
    pub dist: String,
    /// The release.
    pub release: String,
    /// The state.
    pub state: String,
    /// Enter or leave.
    pub reached: bool,
    /// The event it concerns (the retracted one for a retraction); `None`
    /// for plans.
    pub event_id: Option<i64>,
}

/// The fields of a body that say what it is about.
#[derive(Deserialize)]
struct About {
    id: Option<i64>,
    dist: String,
    release: String,
    state: String,
    reached: bool,
}

/// A retraction's body: the retracted event sits under `event`.
#[derive(Deserialize)]
struct RetractionAbout {
    event: About,
}

/// The outbox kinds (`crate::store::OutboxKind` in the server) that
/// webhooks carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announcement {
    /// A new event.
    Event,
    /// A retraction.
    Retraction,
    /// A plan revision.
    Plan,
    /// A plan found overdue.
    PlanOverdue,
}

impl Subject {
    /// What the bus body `body` of an announcement of `kind` is about;
    /// `None` for a body that does not say (which then matches no filter).
    pub fn of(kind: Announcement, body: &str) -> Option<Subject> {
        let (webhook_kind, event_type, about) = match kind {
            Announcement::Event => {
                let about: About = serde_json::from_str(body).ok()?;
                let event_type = if about.reached { "event.reached" } else { "event.left" };
                (WebhookKind::Event, event_type, about)
            }
            Announcement::Retraction => {
                let about: RetractionAbout = serde_json::from_str(body).ok()?;
                (WebhookKind::Retraction, "event.retracted", about.event)
            }
            Announcement::Plan => (WebhookKind::Plan, "plan.changed", serde_json::from_str(body).ok()?),
            Announcement::PlanOverdue => (WebhookKind::Plan, "plan.overdue", serde_json::from_str(body).ok()?),
        };
        let event_id = match webhook_kind {
            WebhookKind::Plan => None,
            _ => about.id,
        };
        Some(Subject {
            kind: webhook_kind,
            event_type,
            dist: about.dist,
            release: about.release,
            state: about.state,
            reached: about.reached,
            event_id,
        })
    }
}

impl WebhookFilter {
    /// Whether an announcement about `subject` goes to this subscription.
    pub fn matches(&self, subject: &Subject) -> bool {
        fn any_of(names: &[String], value: &str) -> bool {
            names.is_empty() || names.iter().any(|n| n == value)
        }
        (self.kinds.is_empty() || self.kinds.contains(&subject.kind))
            && any_of(&self.dists, &subject.dist)
            && any_of(&self.releases, &subject.release)
            && any_of(&self.states, &subject.state)
            && self.reached.is_none_or(|r| r == subject.reached)
    }

    /// The filter with every name checked and put in its canonical form,
    /// duplicates dropped.
    pub fn validate(self) -> Result<WebhookFilter, ValidationError> {
        fn names(
            field: &'static str,
            values: Vec<String>,
            parse: impl Fn(&str) -> Result<String, ValidationError>,
        ) -> Result<Vec<String>, ValidationError> {
            if values.len() > MAX_FILTER_NAMES {
                return Err(ValidationError::new(field, format!("may name at most {MAX_FILTER_NAMES} values")));
            }
            let mut out: Vec<String> = Vec::with_capacity(values.len());
            for v in values {
                let v = parse(v.trim()).map_err(|e| ValidationError::new(field, e.message))?;
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            Ok(out)
        }
        let mut kinds = self.kinds;
        kinds.dedup();
        Ok(WebhookFilter {
            dists: names("filter.dists", self.dists, |v| Dist::parse(v).map(|d| d.as_str().to_owned()))?,
            releases: names("filter.releases", self.releases, |v| Release::parse(v).map(|r| r.as_str().to_owned()))?,
            states: names("filter.states", self.states, |v| State::parse(v).map(|s| s.as_str().to_owned()))?,
            reached: self.reached,
            kinds,
        })
    }

    /// The filter in words, for lists and pages ("fedora · stable · entered").
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for list in [&self.dists, &self.releases, &self.states] {
            if !list.is_empty() {
                parts.push(list.join(", "));
            }
        }
        match self.reached {
            Some(true) => parts.push("entered".into()),
            Some(false) => parts.push("left".into()),
            None => {}
        }
        if !self.kinds.is_empty() {
            parts.push(self.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "));
        }
        if parts.is_empty() {
            "everything".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// What a client sends to create or change a subscription. On a change,
/// absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubscriptionInput {
    /// Where deliveries are posted: `https://` (other schemes and private
    /// addresses only where the operator allows them).
    pub url: Option<String>,
    /// What it is for, shown in lists and on event pages.
    pub description: Option<String>,
    /// Which announcements it receives.
    pub filter: Option<WebhookFilter>,
    /// `false` pauses deliveries (they wait); `true` resumes and clears a
    /// reason it was disabled for.
    pub active: Option<bool>,
    /// Whether it is a required release action for the transitions it
    /// matches (event pages and the matrix show how those went).
    pub required: Option<bool>,
}

/// A checked subscription, before the server checks its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    /// The parsed target.
    pub url: url::Url,
    /// What it is for.
    pub description: String,
    /// What it receives.
    pub filter: WebhookFilter,
    /// Whether it delivers.
    pub active: bool,
    /// Whether it is a required action.
    pub required: bool,
}

/// Checks a target's form (the server checks where it points): an
/// absolute `http`/`https` URL without credentials or fragment.
pub fn check_url(value: &str) -> Result<url::Url, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::new("url", "is required"));
    }
    if value.chars().count() > MAX_URL_CHARS {
        return Err(ValidationError::new("url", format!("must be at most {MAX_URL_CHARS} characters")));
    }
    let url = url::Url::parse(value).map_err(|e| ValidationError::new("url", format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(ValidationError::new("url", "must be an https:// address"));
    }
    if url.host().is_none() {
        return Err(ValidationError::new("url", "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ValidationError::new("url", "must not carry a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(ValidationError::new("url", "must not have a #fragment"));
    }
    Ok(url)
}

fn check_description(value: &str) -> Result<String, ValidationError> {
    let value = value.trim();
    check_text("description", value, false)?;
    if value.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ValidationError::new("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    Ok(value.to_owned())
}

impl SubscriptionInput {
    /// A new subscription: `url` is required, the rest defaults to an
    /// active, optional subscription to everything.
    pub fn validate_new(self) -> Result<NewSubscription, ValidationError> {
        let url = check_url(self.url.as_deref().unwrap_or(""))?;
        Ok(NewSubscription {
            url,
            description: check_description(self.description.as_deref().unwrap_or(""))?,
            filter: self.filter.unwrap_or_default().validate()?,
            active: self.active.unwrap_or(true),
            required: self.required.unwrap_or(false),
        })
    }

    /// A change to `current`: the result as it will be stored.
    pub fn apply_to(self, current: &NewSubscription) -> Result<NewSubscription, ValidationError> {
        Ok(NewSubscription {
            url: match self.url {
                Some(u) => check_url(&u)?,
                None => current.url.clone(),
            },
            description: match self.description {
                Some(d) => check_description(&d)?,
                None => current.description.clone(),
            },
            filter: match self.filter {
                Some(f) => f.validate()?,
                None => current.filter.clone(),
            },
            active: self.active.unwrap_or(current.active),
            required: self.required.unwrap_or(current.required),
        })
    }
}

/// A subscription as the API lists it (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Subscription {
    /// Its id.
    pub id: i64,
    /// Where deliveries go.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// What it receives.
    pub filter: WebhookFilter,
    /// Whether it delivers (false when paused or disabled).
    pub active: bool,
    /// Whether it is a required release action.
    pub required: bool,
    /// Why the server disabled it (`410 Gone`, retries exhausted); cleared
    /// when an editor makes it active again.
    pub disabled_reason: Option<String>,
    /// Until when the previous secret still signs, after a rotation.
    #[serde(serialize_with = "time::wire::option::serialize", deserialize_with = "optional_time")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub previous_secret_until: Option<Timestamp>,
    /// When it was created.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Who created it.
    pub created_by: String,
    /// Deliveries by how they stand.
    pub deliveries: DeliveryCounts,
}

fn optional_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    text.map(|t| time::parse_timestamp("at", &t).map_err(serde::de::Error::custom)).transpose()
}

/// How many deliveries of a subscription stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryCounts {
    /// Waiting for their first attempt.
    pub pending: i64,
    /// Answered 2xx.
    pub delivered: i64,
    /// Failed at least once and will be tried again.
    pub failing: i64,
    /// Failed for good.
    pub given_up: i64,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum DeliveryState {
    /// Not tried yet.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Failed; another attempt is scheduled.
    Failing,
    /// Failed for good: retries exhausted, `410 Gone`, or its subscription
    /// was deleted.
    GivenUp,
}

impl DeliveryState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failing => "failing",
            DeliveryState::GivenUp => "given_up",
        }
    }

    /// The state a stored word names.
    pub fn parse(word: &str) -> Option<Self> {
        [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Failing, DeliveryState::GivenUp]
            .into_iter()
            .find(|s| s.as_str() == word)
    }

    /// In words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failing => "failing",
            DeliveryState::GivenUp => "given up",
        }
    }
}

/// One delivery: one announcement to one subscription, with every attempt
/// under the same `webhook-id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// Its id (for redelivery).
    pub id: i64,
    /// The subscription.
    pub subscription_id: i64,
    /// The subscription's description, for pages.
    pub subscription: String,
    /// Whether the subscription is a required release action.
    pub required: bool,
    /// The `webhook-id` header, the same on every attempt.
    pub webhook_id: String,
    /// The payload's `type`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event it is about, if any.
    pub event_id: Option<i64>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: i64,
    /// When it was created.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the next attempt is due, while one is.
    #[serde(serialize_with = "time::wire::option::serialize", deserialize_with = "optional_time")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub next_attempt_at: Option<Timestamp>,
    /// The attempts, oldest first.
    pub log: Vec<Attempt>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Attempt {
    /// When it started.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// The answer's status code, if one came.
    pub status: Option<u16>,
    /// Milliseconds until the answer (or the failure).
    pub latency_ms: i64,
    /// What went wrong, if it did.
    pub error: Option<String>,
    /// The start of the answer's body, at most [`EXCERPT_CHARS`] characters.
    pub excerpt: Option<String>,
}

/// A subscription with its newest deliveries, for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDetail {
    /// The subscription.
    pub subscription: Subscription,
    /// Its newest deliveries, each with its attempts.
    pub deliveries: Vec<Delivery>,
}

/// A subscription just created from the page, and its secret (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhook {
    /// Its id.
    pub id: i64,
    /// `whsec_…`.
    pub secret: String,
}

/// What an editor does to a subscription from its page or an event page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookAction {
    /// Stop delivering (deliveries wait).
    Pause,
    /// Deliver again (and clear a reason it was disabled for).
    Resume,
    /// Queue a `webhook.ping`.
    Ping,
    /// A new secret; the old one signs for the grace period.
    Rotate,
    /// Delete it with its deliveries.
    Delete,
    /// Send one delivery again.
    Redeliver(i64),
    /// Send every failed delivery made since this time again.
    RedeliverFailedSince(Timestamp),
}

/// Most characters of an answer kept in the delivery log.
pub const EXCERPT_CHARS: usize = 200;

/// How one attempt ended, as the deliverer saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx.
    Delivered,
    /// `410 Gone`: the receiver asks never to be called again.
    Gone,
    /// Anything else; `retry_after` when the receiver asked for a delay
    /// (`429`, `503`).
    Failed {
        /// The receiver's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
}

/// The outcome of a status code (`None` for an attempt that got no answer).
pub fn outcome(status: Option<u16>, retry_after: Option<Duration>) -> Outcome {
    match status {
        Some(200..=299) => Outcome::Delivered,
        Some(410) => Outcome::Gone,
        Some(429 | 503) => Outcome::Failed { retry_after },
        _ => Outcome::Failed { retry_after: None },
    }
}

/// How long to wait before each retry; after the last, a delivery is given
/// up and its subscription disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

/// The longest wait a receiver's `Retry-After` may ask for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

impl Default for RetrySchedule {
    /// `5s,5m,30m,2h,5h,10h,14h,20h,24h`: ten attempts over about three
    /// days (DESIGN.md §8).
    fn default() -> Self {
        Self::parse("5s,5m,30m,2h,5h,10h,14h,20h,24h").unwrap_or(RetrySchedule(vec![Duration::from_secs(5)]))
    }
}

impl RetrySchedule {
    /// Reads `5s,5m,30m,...` (whole numbers of `ms`, `s`, `m`, `h`, `d`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut steps = Vec::new();
        for part in text.split(',').map(str::trim) {
            let split = part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len());
            let (number, unit) = part.split_at(split);
            let n: u64 = number.parse().map_err(|_| format!("`{part}` is not a number with a unit (5s, 5m, 2h)"))?;
            let unit_ms: u64 = match unit {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => return Err(format!("`{part}` has no unit: use ms, s, m, h or d")),
            };
            let ms = n.checked_mul(unit_ms).filter(|ms| *ms > 0 && *ms <= 7 * 86_400_000);
            let ms = ms.ok_or_else(|| format!("`{part}` must lie between 1 ms and 7 days"))?;
            steps.push(Duration::from_millis(ms));
        }
        if steps.is_empty() || steps.len() > 50 {
            return Err("a schedule has between 1 and 50 steps".into());
        }
        Ok(RetrySchedule(steps))
    }

    /// The waits, in order.
    pub fn steps(&self) -> &[Duration] {
        &self.0
    }

    /// How many attempts a delivery gets in all (the first and one per step).
    pub fn attempts(&self) -> usize {
        self.0.len() + 1
    }

    /// The wait after failed attempt number `attempts` (1 for the first),
    /// spread by `jitter` in `[-1, 1]` by up to a fifth, or `None` when
    /// that was the last attempt. A receiver's `retry_after` is honoured
    /// (up to [`MAX_RETRY_AFTER`]) when it asks for longer.
    pub fn next(&self, attempts: usize, jitter: f64, retry_after: Option<Duration>) -> Option<Duration> {
        let step = *self.0.get(attempts.checked_sub(1)?)?;
        let factor = 1.0 + jitter.clamp(-1.0, 1.0) / 5.0;
        let wait = step.mul_f64(factor);
        Some(match retry_after {
            Some(asked) => wait.max(asked.min(MAX_RETRY_AFTER)),
            None => wait,
        })
    }
}

/// The Standard Webhooks payload: `{"type", "timestamp", "data"}` with
/// `data` the bus message body, byte for byte.
pub fn payload(event_type: &str, timestamp: &Timestamp, body: &str) -> String {
    format!(
        "{{\"type\":{},\"timestamp\":{},\"data\":{}}}",
        serde_json::Value::from(event_type),
        serde_json::Value::from(time::format(timestamp)),
        body
    )
}

#[cfg(test)]
mod tests;
