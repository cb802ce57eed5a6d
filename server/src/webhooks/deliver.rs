//! The deliverer: turns new outbox rows into deliveries (the fan-out),
//! leases the due ones, posts them signed, and records every attempt and
//! what follows (delivered, retry later, given up, subscription disabled).
//! It never runs on a write's path: a write only wakes it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::model::webhooks::{outcome, Attempt, DeliveryState, Outcome, EXCERPT_CHARS};
use app::model::Timestamp;
use chrono::Utc;
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::sign::{signature_header, SigningSecret};
use super::{target, Webhooks};
use crate::log::WritesInFlight;
use crate::store::{millis, AttemptRecord, DueDelivery, Store};

/// Outbox rows read per fan-out transaction.
const FANOUT_BATCH: i64 = 500;
/// Deliveries made per fan-out transaction at most (it stops after the
/// row that reaches it), so a transaction holds SQLite's one write lock
/// for milliseconds, not seconds.
const FANOUT_MAX_MADE: usize = 1000;
/// On SQLite, while writes of the log are under way, the deliverer waits
/// after each of its write transactions this many times as long as the
/// transaction took: it then holds the one write lock at most a tenth of
/// the time, so writes keep their rate (issue 15: at least 0.9x with 100
/// subscriptions). Without writes it runs at full speed.
const SQLITE_YIELD: u32 = 9;
/// Deliveries leased per round.
const CLAIM_BATCH: i64 = 256;
/// Deliveries in flight at once.
const IN_FLIGHT: usize = 64;
/// Bytes of an answer read at most (the rest is not read).
const ANSWER_LIMIT: usize = 4096;
/// How long the health counts may be old.
const HEALTH_EVERY: Duration = Duration::from_secs(2);
/// How often settled deliveries past their retention are forgotten.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The HTTP client of deliveries: no redirects, no proxies from the
/// environment, the guarded resolver, the receiver timeout.
pub fn client(webhooks: &Webhooks) -> Result<reqwest::Client, String> {
    let settings = webhooks.settings();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(target::resolver(settings.policy))
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .user_agent(concat!("releasetracker-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the webhook client: {e}"))
}

/// Delivers until `stop`: after every wake, every change of the log, and
/// at least every `poll` (retries fall due by the clock).
pub async fn run(
    store: Store,
    webhooks: Arc<Webhooks>,
    writes: WritesInFlight,
    mut changes: tokio::sync::watch::Receiver<u64>,
    poll: Duration,
    stop: CancellationToken,
) {
    if webhooks.key().is_err() {
        // Off: nothing to deliver, nothing to count (the outbox keeps the
        // announcements; subscriptions made once a key is set get what
        // comes after them).
        return;
    }
    let client = match client(&webhooks) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks are not delivered");
            return;
        }
    };
    if let Err(e) = store.release_delivery_leases().await {
        tracing::warn!(error = %e, "could not release the leases of an earlier run");
    }
    let mut last_health = Instant::now() - HEALTH_EVERY;
    let mut last_purge = Instant::now() - PURGE_EVERY;
    loop {
        let busy = match round(&store, &webhooks, &client, &writes).await {
            Ok(busy) => busy,
            Err(e) => {
                tracing::warn!(error = %e, "webhook round failed; retrying");
                false
            }
        };
        if last_health.elapsed() >= HEALTH_EVERY {
            last_health = Instant::now();
            refresh_health(&store, &webhooks).await;
        }
        if last_purge.elapsed() >= PURGE_EVERY {
            last_purge = Instant::now();
            purge(&store, &webhooks).await;
        }
        if busy {
            if stop.is_cancelled() {
                return;
            }
            continue;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = webhooks.woken() => {}
            _ = changes.changed() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// One round: fan out what is new, then send one batch of due
/// deliveries. Answers whether there may be more work at once.
pub async fn round(
    store: &Store,
    webhooks: &Webhooks,
    client: &reqwest::Client,
    writes: &WritesInFlight,
) -> Result<bool, String> {
    let Ok(key) = webhooks.key() else {
        return Ok(false);
    };
    let started = Instant::now();
    let (read, made) = store.fan_out(FANOUT_BATCH, FANOUT_MAX_MADE, now()).await.map_err(|e| e.to_string())?;
    if made > 0 {
        yield_to_writers(store, writes, started.elapsed()).await;
    }
    let started = Instant::now();
    let due = store
        .claim_deliveries(now(), millis(now()) + lease_ms(webhooks), CLAIM_BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let claimed = due.len();
    if claimed > 0 {
        yield_to_writers(store, writes, started.elapsed()).await;
    }
    let records: Vec<AttemptRecord> = futures_util::stream::iter(due)
        .map(|d| attempt(client, webhooks, key, d))
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let delivered = records.iter().filter(|r| r.state == DeliveryState::Delivered).count() as u64;
    webhooks.count(delivered, records.len() as u64 - delivered);
    crate::metrics::webhook_attempts(delivered, records.len() as u64 - delivered);
    let started = Instant::now();
    store.record_attempts(&records).await.map_err(|e| e.to_string())?;
    if !records.is_empty() {
        yield_to_writers(store, writes, started.elapsed()).await;
    }
    Ok(read as i64 == FANOUT_BATCH || made >= FANOUT_MAX_MADE || claimed as i64 == CLAIM_BATCH)
}

/// On SQLite, while writes of the log are under way, waits
/// [`SQLITE_YIELD`] times `held` after a write transaction of the
/// deliverer. PostgreSQL writes of the log and of the deliverer touch
/// different rows and do not wait for each other.
async fn yield_to_writers(store: &Store, writes: &WritesInFlight, held: Duration) {
    if matches!(store, Store::Sqlite(_)) && writes.get() > 0 {
        tokio::time::sleep(held * SQLITE_YIELD).await;
    }
}

/// A lease outlasts an attempt (the receiver timeout) with room to record it.
fn lease_ms(webhooks: &Webhooks) -> i64 {
    (webhooks.settings().timeout.as_millis() as i64) * 2 + 30_000
}

fn now() -> Timestamp {
    app::model::time::to_stored_precision(Utc::now())
}

/// Sends one delivery and says what became of it.
async fn attempt(client: &reqwest::Client, webhooks: &Webhooks, key: &super::SealKey, d: DueDelivery) -> AttemptRecord {
    let at = now();
    let started = Instant::now();
    let attempts = d.attempts as usize + 1;
    let sent = match secrets(key, &d) {
        Ok(secrets) => send(client, &d, &secrets).await,
        Err(e) => {
            tracing::error!(subscription = d.subscription_id, error = %e, "cannot sign a webhook delivery");
            Err(e)
        }
    };
    let latency_ms = started.elapsed().as_millis() as i64;
    let (status, retry_after, excerpt, error) = match sent {
        Ok(answer) => (Some(answer.status), answer.retry_after, Some(answer.excerpt), None),
        Err(e) => (None, None, None, Some(e)),
    };
    let error = error.or_else(|| match status {
        Some(s) if !(200..300).contains(&s) => Some(format!("the receiver answered {s}")),
        _ => None,
    });
    let schedule = &webhooks.settings().schedule;
    let (state, next, disable) = match outcome(status, retry_after) {
        Outcome::Delivered => (DeliveryState::Delivered, None, None),
        Outcome::Gone => (
            DeliveryState::GivenUp,
            None,
            Some(format!("the receiver answered 410 Gone at {}", app::model::time::format(&at))),
        ),
        Outcome::Failed { retry_after } => {
            let jitter = rand::random::<f64>() * 2.0 - 1.0;
            match schedule.next(attempts, jitter, retry_after) {
                Some(wait) => (DeliveryState::Failing, Some(millis(at) + wait.as_millis() as i64), None),
                None => (
                    DeliveryState::GivenUp,
                    None,
                    Some(format!(
                        "gave up on delivery {} after {attempts} attempts (last: {})",
                        d.webhook_id,
                        error.as_deref().unwrap_or("failed")
                    )),
                ),
            }
        }
    };
    if let Some(reason) = &disable {
        tracing::warn!(subscription = d.subscription_id, reason = %reason, "webhook subscription disabled");
    }
    AttemptRecord {
        delivery_id: d.id,
        subscription_id: d.subscription_id,
        attempt: Attempt { at, status, latency_ms, error, excerpt },
        state,
        next_attempt_ms: next,
        disable,
    }
}

fn secrets(key: &super::SealKey, d: &DueDelivery) -> Result<Vec<SigningSecret>, String> {
    let mut secrets = vec![key.open(&d.secret)?];
    if let Some(previous) = &d.previous_secret {
        secrets.push(key.open(previous)?);
    }
    Ok(secrets)
}

/// What a receiver answered.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    excerpt: String,
}

async fn send(client: &reqwest::Client, d: &DueDelivery, secrets: &[SigningSecret]) -> Result<Answer, String> {
    let timestamp = Utc::now().timestamp();
    let signature = signature_header(secrets, &d.webhook_id, timestamp, &d.body);
    let mut response = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.webhook_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(d.body.clone())
        .send()
        .await
        .map_err(describe_error)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut read: Vec<u8> = Vec::new();
    while read.len() < ANSWER_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk[..chunk.len().min(ANSWER_LIMIT - read.len())]),
            Ok(None) | Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&read);
    let excerpt: String = text.chars().filter(|c| !c.is_control() || *c == '\n').take(EXCERPT_CHARS).collect();
    Ok(Answer { status, retry_after, excerpt })
}

/// A failure in words for the delivery log, without internals.
fn describe_error(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "the receiver did not answer within 15 s".into()
    } else if e.is_connect() {
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(s) = source {
            if s.to_string().contains("resolves to no public address") {
                return s.to_string();
            }
            source = s.source();
        }
        "could not connect to the receiver".into()
    } else if e.is_request() {
        "the request could not be sent".into()
    } else {
        "the connection failed".into()
    }
}

async fn refresh_health(store: &Store, webhooks: &Webhooks) {
    let health = store.webhook_health().await;
    let unsettled = store.unsettled_actions().await;
    match (health, unsettled) {
        (Ok(health), Ok(unsettled)) => {
            crate::metrics::webhook_health(&health);
            webhooks.set_health(health, unsettled.into_iter().collect::<HashMap<_, _>>());
        }
        (Err(e), _) | (_, Err(e)) => tracing::debug!(error = %e, "could not count webhook deliveries"),
    }
}

async fn purge(store: &Store, webhooks: &Webhooks) {
    let Ok(retention) = chrono::Duration::from_std(webhooks.settings().retention) else { return };
    match store.purge_deliveries(Utc::now() - retention).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deliveries = n, "forgot settled webhook deliveries past their retention"),
        Err(e) => tracing::warn!(error = %e, "could not forget old webhook deliveries"),
    }
}
