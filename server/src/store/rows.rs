//! Database rows and their conversion into model types. Rows never leave
//! the store; conversion re-validates names so bad stored data is reported,
//! not trusted.

use std::borrow::Cow;
use std::sync::Arc;

use app::model::{Dist, Event, Release, Retraction, State, Timestamp};

use super::StoreError;

pub(super) const SELECT_EVENTS_AFTER: &str = "SELECT id, dist_name, release_name, state_name, reached, \
     happened_at, recorded_at, recorded_by, source, note, link, corrects FROM events WHERE id > $1 ORDER BY id LIMIT $2";

/// One event by id, with the columns of [`SELECT_EVENTS_AFTER`].
pub(super) const SELECT_EVENT: &str = "SELECT id, dist_name, release_name, state_name, reached, \
     happened_at, recorded_at, recorded_by, source, note, link, corrects FROM events WHERE id = $1";

/// SQLite only: the same columns packed into one JSON array per row.
pub(super) const SELECT_EVENTS_AFTER_PACKED: &str = "SELECT id, json_array(dist_name, release_name, state_name, \
     reached, happened_at, recorded_at, recorded_by, source, note, link, corrects) FROM events WHERE id > $1 ORDER BY id LIMIT $2";

/// The fields of [`SELECT_EVENTS_AFTER_PACKED`]'s array, in order.
type Packed<'a> = (
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
    i64,
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// Decodes one packed SQLite row into an event.
pub(super) fn unpack_event(id: i64, packed: &str) -> Result<Event, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(format!("event {id}: {what}"));
    let (dist, release, state, reached, at, recorded_at, recorded_by, source, note, link, corrects): Packed<'_> =
        serde_json::from_str(packed).map_err(|e| corrupt(e.to_string()))?;
    let instant = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| corrupt(format!("{text}: {e}")))
    };
    let invalid = |e: app::model::ValidationError| corrupt(e.to_string());
    Ok(Event {
        id,
        dist: Dist::parse(&dist).map_err(invalid)?,
        release: Release::parse(&release).map_err(invalid)?,
        state: State::parse(&state).map_err(invalid)?,
        reached: reached != 0,
        at: instant(&at)?,
        recorded_at: instant(&recorded_at)?,
        recorded_by: Arc::from(recorded_by.as_ref()),
        source: Arc::from(source.as_ref()),
        note,
        link,
        corrects,
    })
}

pub(super) const SELECT_RETRACTIONS_AFTER: &str = "SELECT id, event_id, reason, recorded_at, recorded_by, source \
     FROM retractions WHERE id > $1 ORDER BY id LIMIT $2";

pub(super) const SELECT_TOKENS: &str =
    "SELECT id, name, created_at, expires_at, last_used_at, revoked_at, owner_issuer, owner_subject FROM api_tokens";

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: i64,
    dist_name: String,
    release_name: String,
    state_name: String,
    reached: bool,
    happened_at: Timestamp,
    recorded_at: Timestamp,
    recorded_by: String,
    source: String,
    note: Option<String>,
    link: Option<String>,
    corrects: Option<i64>,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        let corrupt = |e: app::model::ValidationError| StoreError::Corrupt(format!("event {}: {e}", r.id));
        Ok(Event {
            id: r.id,
            dist: Dist::parse(&r.dist_name).map_err(corrupt)?,
            release: Release::parse(&r.release_name).map_err(corrupt)?,
            state: State::parse(&r.state_name).map_err(corrupt)?,
            reached: r.reached,
            at: r.happened_at,
            recorded_at: r.recorded_at,
            recorded_by: Arc::from(r.recorded_by),
            source: Arc::from(r.source),
            note: r.note,
            link: r.link,
            corrects: r.corrects,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RetractionRow {
    id: i64,
    event_id: i64,
    reason: String,
    recorded_at: Timestamp,
    recorded_by: String,
    source: String,
}

impl From<RetractionRow> for Retraction {
    fn from(r: RetractionRow) -> Self {
        Retraction {
            id: r.id,
            event_id: r.event_id,
            reason: r.reason,
            recorded_at: r.recorded_at,
            recorded_by: Arc::from(r.recorded_by),
            source: Arc::from(r.source),
        }
    }
}

/// An API token as stored, without its hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Row id.
    pub id: i64,
    /// Its name, shown as `recorded_by`.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was last used to authenticate.
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// Identity provider of the person who made it on the tokens page;
    /// `None` for tokens made with `releasetracker token create`.
    pub owner_issuer: Option<String>,
    /// That person's `sub` at the provider.
    pub owner_subject: Option<String>,
}
