//! The log as it happens (DESIGN.md §9): `GET /api/v1/stream`, a
//! Server-Sent Events stream of every event, retraction, property change
//! and plan revision, and `GET /api/v1/activity`, its polling form over the
//! same cursor (`app::model::activity`). Streams read the projection and
//! sleep on its change signal, so they cost no database work; [`Streams`]
//! caps how many are open and ends them all at shutdown.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::model::activity::{ChangeRef, Cursor, RefPage};
use app::model::{EventLog, FilterText, LogFilter, LogQuery};
use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::cache::json_response;
use super::error::{error_response, ApiError, ErrorBody};
use super::extract::ApiQuery;
use crate::projection::Projection;
use crate::settings::StreamSettings;
use crate::state::AppState;

/// Changes a stream takes from the projection per read.
const STREAM_BATCH: usize = 256;

/// What a client refused for too many open streams is told to wait.
const RETRY_AFTER_SECONDS: &str = "5";

/// Most encoded changes kept for the streams at once.
const ENCODED_KEPT: usize = 4096;

/// The open streams: how many may be, the signal that ends them, and the
/// changes they send, encoded once for all of them.
#[derive(Debug)]
pub struct Streams {
    slots: Arc<Semaphore>,
    max_open: usize,
    keep_alive: Duration,
    closing: CancellationToken,
    encoded: Mutex<Encoded>,
}

/// The JSON of changes as the log read at one version (a record reads
/// differently once, say, its event is retracted): every stream that sends
/// a change at that version sends these bytes.
#[derive(Debug, Default)]
struct Encoded {
    version: u64,
    data: HashMap<ChangeRef, Arc<str>>,
}

impl Streams {
    /// Room for `settings.max_open` streams.
    pub fn new(settings: StreamSettings) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(settings.max_open)),
            max_open: settings.max_open,
            keep_alive: settings.keep_alive,
            closing: CancellationToken::new(),
            encoded: Mutex::default(),
        }
    }

    /// The `data:` of change `r` as `log` reads now, encoded once for all
    /// streams; `None` when it cannot be (logged).
    fn data(&self, log: &EventLog, r: ChangeRef) -> Option<Arc<str>> {
        let mut encoded = self.encoded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if encoded.version != log.version() || encoded.data.len() >= ENCODED_KEPT {
            encoded.data.clear();
            encoded.version = log.version();
        }
        if let Some(data) = encoded.data.get(&r) {
            return Some(data.clone());
        }
        let data: Arc<str> = match log.change(r).map(|c| c.data_json()) {
            Some(Ok(json)) => json.into(),
            Some(Err(e)) => {
                tracing::error!(error = %e, kind = r.kind.as_str(), id = r.id, "cannot encode a change for the stream");
                return None;
            }
            None => return None,
        };
        encoded.data.insert(r, data.clone());
        Some(data)
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.max_open - self.slots.available_permits()
    }

    /// Most streams open at once.
    pub fn max_open(&self) -> usize {
        self.max_open
    }

    /// Ends every open stream and refuses new ones (at shutdown).
    pub fn close(&self) {
        self.closing.cancel();
        self.slots.close();
    }
}

/// The filters both routes share.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamParams {
    /// Only this dist.
    dist: Option<String>,
    /// Only this release (property changes of the dist itself then do not pass).
    release: Option<String>,
    /// Only this state (property changes then do not pass: they have none).
    state: Option<String>,
    /// Only what takes effect at or after this (RFC 3339, or `YYYY-MM-DD`).
    since: Option<String>,
    /// Only what takes effect at or before this (RFC 3339, or `YYYY-MM-DD`).
    until: Option<String>,
    /// Resume after this cursor (an `id:` of the stream, a `cursor` or
    /// `next_after` of the activity); `0` is the beginning. A stream's
    /// `Last-Event-ID` header takes precedence.
    #[param(pattern = r"^(0|[0-9]{1,18}\.[0-9]{1,18}\.[0-9]{1,18}\.[0-9]{1,18})$", example = "42.3.7.12")]
    after: Option<String>,
}

impl StreamParams {
    fn filter(&self) -> Result<LogQuery, ApiError> {
        let filter = LogFilter::parse(FilterText {
            dist: self.dist.as_deref(),
            release: self.release.as_deref(),
            state: self.state.as_deref(),
            since: self.since.as_deref(),
            until: self.until.as_deref(),
        })?;
        Ok(filter.log_query(1))
    }

    fn after(&self) -> Result<Option<Cursor>, ApiError> {
        Ok(self.after.as_deref().map(|a| Cursor::parse("after", a)).transpose()?)
    }
}

/// Query parameters of `GET /api/v1/activity`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityParams {
    /// Only this dist.
    dist: Option<String>,
    /// Only this release (property changes of the dist itself then do not pass).
    release: Option<String>,
    /// Only this state (property changes then do not pass: they have none).
    state: Option<String>,
    /// Only what takes effect at or after this (RFC 3339, or `YYYY-MM-DD`).
    since: Option<String>,
    /// Only what takes effect at or before this (RFC 3339, or `YYYY-MM-DD`).
    until: Option<String>,
    /// Only what was recorded after this cursor (the `next_after` of the
    /// previous page, or a stream's `id:`); `0` or absent: from the beginning.
    #[param(pattern = r"^(0|[0-9]{1,18}\.[0-9]{1,18}\.[0-9]{1,18}\.[0-9]{1,18})$", example = "42.3.7.12")]
    after: Option<String>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// `GET /api/v1/activity`: everything recorded after a cursor, oldest
/// first — the polling form of the stream.
#[utoipa::path(
    get,
    path = "/activity",
    tag = "events",
    operation_id = "list_activity",
    params(ActivityParams),
    responses(
        (status = 200, description = "Events, retractions, property changes and plan revisions recorded after \
            `after`, oldest first, each with the cursor that resumes after it; poll again with `next_after` \
            (at once while `more` is true)", body = ActivityPageSchema),
        (status = 304, description = super::openapi::answers::NOT_MODIFIED),
        (status = 422, description = "A filter, the cursor or the limit is unreadable; `field` names it", body = ErrorBody),
    )
)]
pub async fn activity(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ActivityParams>,
) -> Result<Response, ApiError> {
    let limit = super::events::page_limit(params.limit)?;
    let ActivityParams { dist, release, state: wanted, since, until, after, .. } = params;
    let common = StreamParams { dist, release, state: wanted, since, until, after };
    let query = common.filter()?;
    let after = common.after()?.unwrap_or_default();
    let page = state.projection.read().activity_after(after, &query, limit);
    json_response(&headers, &page)
}

/// `GET /api/v1/stream`: Server-Sent Events of everything the log records.
#[utoipa::path(
    get,
    path = "/api/v1/stream",
    tag = "events",
    operation_id = "stream_activity",
    params(
        StreamParams,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last message received; \
            resumes right after it (what EventSource sends when it reconnects)"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: one message per change, `id:` its cursor, `event:` \
            `event`, `retraction`, `property` or `plan`, `data:` its JSON as `GET /api/v1/activity` gives it in \
            `data`; a comment at least every 15 s. Without a cursor it starts with what is recorded from now on.",
            content_type = "text/event-stream", body = String),
        (status = 422, description = "A filter or the cursor is unreadable; `field` names it", body = ErrorBody),
        (status = 503, description = "Too many streams are open (see `Retry-After`), or the server is shutting down",
            body = ErrorBody),
    )
)]
pub async fn stream(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<StreamParams>,
) -> Result<Response, ApiError> {
    let query = params.filter()?;
    let resume = match headers.get("last-event-id") {
        Some(value) => {
            let text = value.to_str().map_err(|_| ApiError::invalid("Last-Event-ID", "Last-Event-ID: not a cursor"))?;
            Some(Cursor::parse("Last-Event-ID", text.trim())?)
        }
        None => params.after()?,
    };
    let Ok(slot) = state.streams.slots.clone().try_acquire_owned() else {
        let mut refused = error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "too many streams are open; retry later".into(),
            None,
        );
        refused.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        return Ok(refused);
    };
    // Subscribed before the starting point is read: nothing recorded in
    // between can be missed.
    let changes = state.projection.subscribe();
    let cursor = resume.unwrap_or_else(|| state.projection.read().end_cursor());
    tracing::debug!(%cursor, open = state.streams.open(), "stream opened");
    let reader = Reader {
        streams: state.streams.clone(),
        projection: state.projection.clone(),
        query,
        cursor,
        pending: VecDeque::new(),
        changes,
        closing: state.streams.closing.clone(),
        _slot: slot,
    };
    let events = futures_util::stream::unfold(reader, Reader::next);
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(state.streams.keep_alive)).into_response();
    let h = response.headers_mut();
    // Proxies (nginx) must pass each message on at once.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// One open stream: where it stands, what it still has to send, and what
/// wakes it.
struct Reader {
    streams: Arc<Streams>,
    projection: Arc<Projection>,
    query: LogQuery,
    cursor: Cursor,
    /// Read but not sent yet: cursor, kind, `data:`.
    pending: VecDeque<(Cursor, &'static str, Arc<str>)>,
    changes: watch::Receiver<u64>,
    closing: CancellationToken,
    /// Held while the stream is open.
    _slot: OwnedSemaphorePermit,
}

impl Reader {
    /// The next message, waiting for the log to change when everything is
    /// sent; `None` at shutdown.
    async fn next(mut self) -> Option<(Result<SseEvent, Infallible>, Self)> {
        loop {
            if self.closing.is_cancelled() {
                return None;
            }
            if let Some((cursor, kind, data)) = self.pending.pop_front() {
                let message = SseEvent::default().id(cursor.to_string()).event(kind).data(&*data);
                return Some((Ok(message), self));
            }
            // Marked seen before reading: a change applied after this read
            // wakes the wait below.
            self.changes.borrow_and_update();
            let more = {
                let log = self.projection.read();
                let RefPage { items, next_after, more } =
                    log.activity_refs_after(self.cursor, &self.query, STREAM_BATCH);
                self.cursor = next_after;
                for (cursor, r) in items {
                    if let Some(data) = self.streams.data(&log, r) {
                        self.pending.push_back((cursor, r.kind.as_str(), data));
                    }
                }
                more
            };
            if !self.pending.is_empty() {
                continue;
            }
            if more {
                // A long stretch that the filters leave out: read on, but
                // let other tasks run between stretches.
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                () = self.closing.cancelled() => return None,
                changed = self.changes.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
            }
        }
    }
}

/// The shape of `app::model::activity::ActivityPage` for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ActivityPageSchema {
    /// The changes that pass the filters, oldest first.
    items: Vec<ActivityItemSchema>,
    /// The cursor to poll with next: past everything looked at.
    next_after: String,
    /// Whether more is recorded already (poll again at once).
    more: bool,
}

/// One change of [`ActivityPageSchema`].
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ActivityItemSchema {
    /// Resume right after this change (`?after=`, or the stream's `Last-Event-ID`).
    #[schema(example = "42.3.7.12")]
    cursor: String,
    /// `event`, `retraction`, `property` or `plan`.
    kind: String,
    /// The change as the API shows it: an event (as `GET /api/v1/events/{id}`), a retraction with its event (as
    /// its `POST` answered), a property change (its history line with `dist` and `release`), a plan revision
    /// (as `GET /api/v1/plans` lists it).
    data: serde_json::Value,
}
