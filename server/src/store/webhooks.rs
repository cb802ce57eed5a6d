//! SQL of the webhooks (migration 0010): subscriptions with their
//! encrypted secrets, the fan-out that turns outbox rows into deliveries
//! (one transaction with its cursor, so none is lost or made twice), the
//! deliverer's leases, attempts and outcomes, and the delivery log.
//! Nothing here speaks HTTP or holds a key; that is `crate::webhooks`.

use std::collections::HashMap;

use app::model::webhooks::{
    self as core, Announcement, Attempt, Delivery, DeliveryCounts, DeliveryState, Subject, Subscription, WebhookFilter,
};
use app::model::Timestamp;

use super::{Store, StoreError};

/// Attempts written per statement (6 parameters each: well under both
/// dialects' limits).
const ATTEMPT_BATCH: usize = 500;

/// A subscription as stored: the wire form plus its encrypted secrets.
#[derive(Debug, Clone)]
pub struct StoredSubscription {
    /// What the API shows.
    pub subscription: Subscription,
    /// The current secret, encrypted.
    pub secret: String,
    /// The previous secret, encrypted, while it still signs.
    pub previous_secret: Option<String>,
}

/// What a subscription is stored with (everything an editor chooses).
#[derive(Debug, Clone)]
pub struct SubscriptionFields<'a> {
    /// Target.
    pub url: &'a str,
    /// What it is for.
    pub description: &'a str,
    /// What it receives.
    pub filter: &'a WebhookFilter,
    /// Whether it delivers.
    pub active: bool,
    /// Whether it is a required release action.
    pub required: bool,
}

/// A delivery claimed for an attempt, with what sending it needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// The delivery.
    pub id: i64,
    /// Its subscription.
    pub subscription_id: i64,
    /// Where to post.
    pub url: String,
    /// The `webhook-id`.
    pub webhook_id: String,
    /// The payload.
    pub body: String,
    /// Attempts before this one.
    pub attempts: i64,
    /// The subscription's secret, encrypted.
    pub secret: String,
    /// The previous secret, encrypted, while it still signs.
    pub previous_secret: Option<String>,
}

/// What became of one attempt, to be recorded.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// The delivery.
    pub delivery_id: i64,
    /// Its subscription.
    pub subscription_id: i64,
    /// The attempt as the log shows it.
    pub attempt: Attempt,
    /// Where the delivery stands now.
    pub state: DeliveryState,
    /// When to try again (milliseconds since 1970), while failing.
    pub next_attempt_ms: Option<i64>,
    /// Disable the subscription, saying why (`410`, retries exhausted).
    pub disable: Option<String>,
}

/// Counts for `/status`, the metrics and the pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookHealth {
    /// Subscriptions that deliver.
    pub active: i64,
    /// Subscriptions the server disabled (with a reason).
    pub disabled: i64,
    /// Active subscriptions with at least one failing delivery.
    pub failing_subscriptions: i64,
    /// Deliveries waiting (pending or failing).
    pub backlog: i64,
    /// Deliveries of required actions that have not succeeded (pending,
    /// failing or given up).
    pub actions_unsettled: i64,
    /// Of those, the ones failing or given up.
    pub actions_failing: i64,
    /// When the oldest waiting delivery was made (`None` when none waits).
    pub oldest_waiting: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: i64,
    url: String,
    description: String,
    filter: String,
    active: bool,
    required: bool,
    secret: String,
    previous_secret: Option<String>,
    previous_until: Option<Timestamp>,
    disabled_reason: Option<String>,
    created_at: Timestamp,
    created_by: String,
}

const SELECT_SUBSCRIPTIONS: &str = "SELECT id, url, description, filter, active, required, secret, \
     previous_secret, previous_until, disabled_reason, created_at, created_by FROM webhook_subscriptions";

impl SubscriptionRow {
    fn into_stored(self, counts: DeliveryCounts, now: Timestamp) -> Result<StoredSubscription, StoreError> {
        let filter: WebhookFilter = serde_json::from_str(&self.filter)
            .map_err(|e| StoreError::Corrupt(format!("webhook subscription {}: filter: {e}", self.id)))?;
        let still_signs = self.previous_until.filter(|until| *until > now);
        Ok(StoredSubscription {
            subscription: Subscription {
                id: self.id,
                url: self.url,
                description: self.description,
                filter,
                active: self.active,
                required: self.required,
                disabled_reason: self.disabled_reason,
                previous_secret_until: still_signs,
                created_at: self.created_at,
                created_by: self.created_by,
                deliveries: counts,
            },
            secret: self.secret,
            previous_secret: self.previous_secret.filter(|_| still_signs.is_some()),
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    subscription_id: i64,
    description: String,
    required: bool,
    webhook_id: String,
    event_type: String,
    event_id: Option<i64>,
    state: String,
    attempts: i64,
    created_at: Timestamp,
    next_attempt_ms: Option<i64>,
}

const SELECT_DELIVERIES: &str = "SELECT d.id, d.subscription_id, s.description, s.required, d.webhook_id, \
     d.event_type, d.event_id, d.state, d.attempts, d.created_at, d.next_attempt_ms \
     FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id";

#[derive(sqlx::FromRow)]
struct AttemptRow {
    delivery_id: i64,
    at: Timestamp,
    status: Option<i32>,
    latency_ms: i64,
    error: Option<String>,
    excerpt: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    subscription_id: i64,
    url: String,
    webhook_id: String,
    body: String,
    attempts: i64,
    secret: String,
    previous_secret: Option<String>,
    previous_until: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct FanoutRow {
    id: i64,
    kind: String,
    body: Option<String>,
    created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct FilterRow {
    id: i64,
    filter: String,
    created_at: Timestamp,
}

/// Milliseconds since 1970 of a timestamp.
pub fn millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

/// A new `webhook-id`: `msg_` and a random UUID (the form Standard
/// Webhooks' examples use), drawn once per delivery.
fn new_webhook_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

fn announcement(kind: &str) -> Option<Announcement> {
    match kind {
        "event" => Some(Announcement::Event),
        "retraction" => Some(Announcement::Retraction),
        "plan" => Some(Announcement::Plan),
        "plan_overdue" => Some(Announcement::PlanOverdue),
        _ => None,
    }
}

fn deliveries_with(rows: Vec<DeliveryRow>, attempts: Vec<AttemptRow>) -> Result<Vec<Delivery>, StoreError> {
    let mut logs: HashMap<i64, Vec<Attempt>> = HashMap::new();
    for a in attempts {
        logs.entry(a.delivery_id).or_default().push(Attempt {
            at: a.at,
            status: a.status.and_then(|s| u16::try_from(s).ok()),
            latency_ms: a.latency_ms,
            error: a.error,
            excerpt: a.excerpt,
        });
    }
    rows.into_iter()
        .map(|r| {
            let state = DeliveryState::parse(&r.state)
                .ok_or_else(|| StoreError::Corrupt(format!("webhook delivery {}: state `{}`", r.id, r.state)))?;
            Ok(Delivery {
                id: r.id,
                subscription_id: r.subscription_id,
                subscription: r.description,
                required: r.required,
                webhook_id: r.webhook_id,
                event_type: r.event_type,
                event_id: r.event_id,
                state,
                attempts: r.attempts,
                created_at: r.created_at,
                next_attempt_at: r
                    .next_attempt_ms
                    .filter(|_| matches!(state, DeliveryState::Pending | DeliveryState::Failing))
                    .and_then(chrono::DateTime::from_timestamp_millis),
                log: logs.remove(&r.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// Adds the attempts of `ids` (in one query) to their deliveries.
macro_rules! with_attempts {
    ($pool:expr, $rows:expr) => {{
        let rows: Vec<DeliveryRow> = $rows;
        let attempts: Vec<AttemptRow> = if rows.is_empty() {
            Vec::new()
        } else {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT delivery_id, at, status, latency_ms, error, excerpt FROM webhook_attempts WHERE delivery_id IN (",
            );
            let mut ids = q.separated(", ");
            for r in &rows {
                ids.push_bind(r.id);
            }
            q.push(") ORDER BY id");
            q.build_query_as().fetch_all($pool).await?
        };
        deliveries_with(rows, attempts)?
    }};
}

impl Store {
    /// Stores a new subscription; answers its id.
    pub async fn create_subscription(
        &self,
        fields: &SubscriptionFields<'_>,
        secret: &str,
        created_at: Timestamp,
        created_by: &str,
    ) -> Result<i64, StoreError> {
        let filter = serde_json::to_string(fields.filter)
            .map_err(|e| StoreError::Corrupt(format!("cannot store a filter: {e}")))?;
        let id = with_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO webhook_subscriptions (url, description, filter, active, required, secret, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(fields.url)
            .bind(fields.description)
            .bind(filter)
            .bind(fields.active)
            .bind(fields.required)
            .bind(secret)
            .bind(created_at)
            .bind(created_by)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// Every subscription, oldest first, with its delivery counts.
    pub async fn subscriptions(&self, now: Timestamp) -> Result<Vec<StoredSubscription>, StoreError> {
        let (rows, counts) = with_pool!(self, pool => {
            let rows: Vec<SubscriptionRow> =
                sqlx::query_as(&format!("{SELECT_SUBSCRIPTIONS} ORDER BY id")).fetch_all(pool).await?;
            let counts: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT subscription_id, state, COUNT(*) FROM webhook_deliveries GROUP BY subscription_id, state",
            )
            .fetch_all(pool)
            .await?;
            (rows, counts)
        });
        let mut by_id: HashMap<i64, DeliveryCounts> = HashMap::new();
        for (id, state, n) in counts {
            let c = by_id.entry(id).or_default();
            match DeliveryState::parse(&state) {
                Some(DeliveryState::Pending) => c.pending = n,
                Some(DeliveryState::Delivered) => c.delivered = n,
                Some(DeliveryState::Failing) => c.failing = n,
                Some(DeliveryState::GivenUp) => c.given_up = n,
                None => return Err(StoreError::Corrupt(format!("webhook delivery state `{state}`"))),
            }
        }
        rows.into_iter()
            .map(|r| {
                let c = by_id.remove(&r.id).unwrap_or_default();
                r.into_stored(c, now)
            })
            .collect()
    }

    /// One subscription; `NotFound` when there is none.
    pub async fn subscription(&self, id: i64, now: Timestamp) -> Result<StoredSubscription, StoreError> {
        self.subscriptions(now).await?.into_iter().find(|s| s.subscription.id == id).ok_or(StoreError::NotFound)
    }

    /// Stores an editor's change. Making a subscription active clears the
    /// reason the server disabled it for.
    pub async fn update_subscription(&self, id: i64, fields: &SubscriptionFields<'_>) -> Result<(), StoreError> {
        let filter = serde_json::to_string(fields.filter)
            .map_err(|e| StoreError::Corrupt(format!("cannot store a filter: {e}")))?;
        let done = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_subscriptions SET url = $1, description = $2, filter = $3, active = $4, required = $5, \
                 disabled_reason = CASE WHEN $4 THEN NULL ELSE disabled_reason END WHERE id = $6",
            )
            .bind(fields.url)
            .bind(fields.description)
            .bind(filter)
            .bind(fields.active)
            .bind(fields.required)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Deletes a subscription with its deliveries and their log.
    pub async fn delete_subscription(&self, id: i64) -> Result<(), StoreError> {
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = $1)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM webhook_deliveries WHERE subscription_id = $1").bind(id).execute(&mut *tx).await?;
            let n = sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            n
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Replaces the secret; the old one keeps signing until `previous_until`.
    pub async fn rotate_secret(&self, id: i64, secret: &str, previous_until: Timestamp) -> Result<(), StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_subscriptions SET previous_secret = secret, previous_until = $1, secret = $2 WHERE id = $3",
            )
            .bind(previous_until)
            .bind(secret)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Turns up to `limit` new outbox rows into deliveries for the active
    /// subscriptions that match them and existed when the row was written,
    /// moving the cursor in the same transaction; stops after the row that
    /// brings the deliveries made to `max_made`, so one transaction stays
    /// short. Answers how many rows it read and how many deliveries it
    /// made. With several instances, one fans out at a time (the cursor's
    /// row lock) and the others find nothing new.
    pub async fn fan_out(&self, limit: i64, max_made: usize, now: Timestamp) -> Result<(usize, usize), StoreError> {
        let begin = if matches!(self, Store::Sqlite(_)) { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let lock = if matches!(self, Store::Postgres(_)) { " FOR UPDATE" } else { "" };
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            let last: i64 = sqlx::query_scalar(&format!("SELECT last_outbox FROM webhook_fanout WHERE id = 1{lock}"))
                .fetch_one(&mut *tx)
                .await?;
            let rows: Vec<FanoutRow> =
                sqlx::query_as("SELECT id, kind, body, created_at FROM outbox WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(last)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
            if rows.is_empty() {
                return Ok((0, 0));
            }
            let subscriptions: Vec<FilterRow> =
                sqlx::query_as("SELECT id, filter, created_at FROM webhook_subscriptions WHERE active")
                    .fetch_all(&mut *tx)
                    .await?;
            let filters: Vec<(i64, WebhookFilter, Timestamp)> = subscriptions
                .into_iter()
                .filter_map(|s| match serde_json::from_str(&s.filter) {
                    Ok(f) => Some((s.id, f, s.created_at)),
                    Err(e) => {
                        tracing::error!(subscription = s.id, error = %e, "a stored webhook filter cannot be read; it receives nothing");
                        None
                    }
                })
                .collect();
            let mut made = 0usize;
            let mut read = 0usize;
            let mut end = last;
            let now_ms = millis(now);
            for row in &rows {
                if made >= max_made {
                    break;
                }
                read += 1;
                end = row.id;
                let (Some(kind), Some(body)) = (announcement(&row.kind), row.body.as_deref()) else { continue };
                let Some(subject) = Subject::of(kind, body) else { continue };
                let mut payload: Option<String> = None;
                for (id, filter, created_at) in &filters {
                    if *created_at > row.created_at || !filter.matches(&subject) {
                        continue;
                    }
                    let payload = payload.get_or_insert_with(|| core::payload(subject.event_type, &row.created_at, body));
                    sqlx::query(
                        "INSERT INTO webhook_deliveries (subscription_id, outbox_id, webhook_id, event_type, event_id, body, \
                         created_at, state, attempts, next_attempt_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8) \
                         ON CONFLICT (subscription_id, outbox_id) DO NOTHING",
                    )
                    .bind(id)
                    .bind(row.id)
                    .bind(new_webhook_id())
                    .bind(subject.event_type)
                    .bind(subject.event_id)
                    .bind(&*payload)
                    .bind(now)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                    made += 1;
                }
            }
            sqlx::query("UPDATE webhook_fanout SET last_outbox = $1 WHERE id = 1").bind(end).execute(&mut *tx).await?;
            tx.commit().await?;
            (read, made)
        });
        Ok(done)
    }

    /// A test delivery (`webhook.ping`) for one subscription, due at once.
    pub async fn ping_subscription(&self, id: i64, now: Timestamp) -> Result<i64, StoreError> {
        let body = serde_json::json!({ "subscription": id }).to_string();
        let payload = core::payload("webhook.ping", &now, &body);
        let delivery = with_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO webhook_deliveries (subscription_id, webhook_id, event_type, body, created_at, state, attempts, next_attempt_ms) \
                 SELECT id, $1, 'webhook.ping', $2, $3, 'pending', 0, $4 FROM webhook_subscriptions WHERE id = $5 RETURNING id",
            )
            .bind(new_webhook_id())
            .bind(payload)
            .bind(now)
            .bind(millis(now))
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        delivery.ok_or(StoreError::NotFound)
    }

    /// Leases up to `limit` due deliveries of active subscriptions until
    /// `lease_until_ms`, soonest due first. A lease keeps other instances
    /// off a delivery while it is tried; one that outlives its holder (a
    /// crash) expires and the delivery is tried again, under the same id.
    pub async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let select = "SELECT d.id, d.subscription_id, s.url, d.webhook_id, d.body, d.attempts, s.secret, \
             s.previous_secret, s.previous_until FROM webhook_deliveries d \
             JOIN webhook_subscriptions s ON s.id = d.subscription_id \
             WHERE d.state IN ('pending', 'failing') AND s.active AND d.next_attempt_ms <= $1 \
               AND (d.lease_until_ms IS NULL OR d.lease_until_ms < $1) \
             ORDER BY d.next_attempt_ms LIMIT $2";
        let now_ms = millis(now);
        let (begin, select) = match self {
            Store::Sqlite(_) => ("BEGIN IMMEDIATE", select.to_owned()),
            Store::Postgres(_) => ("BEGIN", format!("{select} FOR UPDATE OF d SKIP LOCKED")),
        };
        let rows: Vec<DueRow> = with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            let rows: Vec<DueRow> = sqlx::query_as(&select).bind(now_ms).bind(limit).fetch_all(&mut *tx).await?;
            if !rows.is_empty() {
                let mut q = sqlx::QueryBuilder::new("UPDATE webhook_deliveries SET lease_until_ms = ");
                q.push_bind(lease_until_ms).push(" WHERE id IN (");
                let mut ids = q.separated(", ");
                for r in &rows {
                    ids.push_bind(r.id);
                }
                q.push(")");
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            rows
        });
        Ok(rows
            .into_iter()
            .map(|r| DueDelivery {
                id: r.id,
                subscription_id: r.subscription_id,
                url: r.url,
                webhook_id: r.webhook_id,
                body: r.body,
                attempts: r.attempts,
                secret: r.secret,
                previous_secret: r.previous_secret.filter(|_| r.previous_until.is_some_and(|u| u > now)),
            })
            .collect())
    }

    /// Records attempts and what follows from them, in one transaction: the
    /// attempts in one statement, the deliveries that succeeded in another,
    /// the rest one by one (each has its own next attempt).
    pub async fn record_attempts(&self, records: &[AttemptRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let (delivered, other): (Vec<&AttemptRecord>, Vec<&AttemptRecord>) =
            records.iter().partition(|r| r.state == DeliveryState::Delivered);
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in records.chunks(ATTEMPT_BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO webhook_attempts (delivery_id, at, status, latency_ms, error, excerpt) ",
                );
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.delivery_id)
                        .push_bind(r.attempt.at)
                        .push_bind(r.attempt.status.map(i32::from))
                        .push_bind(r.attempt.latency_ms)
                        .push_bind(r.attempt.error.as_deref())
                        .push_bind(r.attempt.excerpt.as_deref());
                });
                q.build().execute(&mut *tx).await?;
            }
            for chunk in delivered.chunks(ATTEMPT_BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, next_attempt_ms = NULL, \
                     lease_until_ms = NULL WHERE id IN (",
                );
                let mut ids = q.separated(", ");
                for r in chunk {
                    ids.push_bind(r.delivery_id);
                }
                q.push(")");
                q.build().execute(&mut *tx).await?;
            }
            for r in other {
                sqlx::query(
                    "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_attempt_ms = $2, lease_until_ms = NULL \
                     WHERE id = $3",
                )
                .bind(r.state.as_str())
                .bind(r.next_attempt_ms)
                .bind(r.delivery_id)
                .execute(&mut *tx)
                .await?;
                if let Some(reason) = &r.disable {
                    sqlx::query("UPDATE webhook_subscriptions SET active = FALSE, disabled_reason = $1 WHERE id = $2")
                        .bind(reason)
                        .bind(r.subscription_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The newest deliveries of a subscription (at most `limit`), each
    /// with its attempts.
    pub async fn deliveries_of_subscription(&self, id: i64, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let deliveries = with_pool!(self, pool => {
            with_attempts!(pool, sqlx::query_as(&format!("{SELECT_DELIVERIES} WHERE d.subscription_id = $1 ORDER BY d.id DESC LIMIT $2"))
                .bind(id)
                .bind(limit)
                .fetch_all(pool)
                .await?)
        });
        Ok(deliveries)
    }

    /// The deliveries an event triggered (its own and its retraction's),
    /// required actions first.
    pub async fn deliveries_of_event(&self, event_id: i64) -> Result<Vec<Delivery>, StoreError> {
        let deliveries = with_pool!(self, pool => {
            with_attempts!(pool, sqlx::query_as(&format!("{SELECT_DELIVERIES} WHERE d.event_id = $1 ORDER BY s.required DESC, d.id"))
                .bind(event_id)
                .fetch_all(pool)
                .await?)
        });
        Ok(deliveries)
    }

    /// Makes one delivery of a subscription due now, as a new round of
    /// attempts (the log keeps the earlier ones); answers its subscription
    /// id. `NotFound` when the subscription has no such delivery.
    pub async fn redeliver(
        &self,
        subscription_id: Option<i64>,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let found: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_ms = $1, lease_until_ms = NULL \
                 WHERE id = $2 AND ($3 IS NULL OR subscription_id = $3) RETURNING subscription_id",
            )
            .bind(millis(now))
            .bind(delivery_id)
            .bind(subscription_id)
            .fetch_optional(pool)
            .await?
        });
        found.ok_or(StoreError::NotFound)
    }

    /// Makes every failing or given-up delivery of a subscription made
    /// since `since` due now; answers how many.
    pub async fn redeliver_failed(
        &self,
        subscription_id: i64,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let n = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_ms = $1, lease_until_ms = NULL \
                 WHERE subscription_id = $2 AND created_at >= $3 AND state IN ('failing', 'given_up')",
            )
            .bind(millis(now))
            .bind(subscription_id)
            .bind(since)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// Forgets settled deliveries (delivered or given up) made before
    /// `before`, with their attempts; answers how many.
    pub async fn purge_deliveries(&self, before: Timestamp) -> Result<u64, StoreError> {
        let n = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let settled = "SELECT id FROM webhook_deliveries WHERE created_at < $1 AND state IN ('delivered', 'given_up')";
            sqlx::query(&format!("DELETE FROM webhook_attempts WHERE delivery_id IN ({settled})"))
                .bind(before)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM webhook_deliveries WHERE created_at < $1 AND state IN ('delivered', 'given_up')")
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            n
        });
        Ok(n)
    }

    /// Drops every lease: at start-up on SQLite, where this process is the
    /// only deliverer, so a lease of a killed predecessor need not expire.
    pub async fn release_delivery_leases(&self) -> Result<(), StoreError> {
        if let Store::Sqlite(pool) = self {
            sqlx::query("UPDATE webhook_deliveries SET lease_until_ms = NULL WHERE lease_until_ms IS NOT NULL")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// How the webhooks stand, for `/status` and the metrics.
    pub async fn webhook_health(&self) -> Result<WebhookHealth, StoreError> {
        let health = with_pool!(self, pool => {
            let (active, disabled): (i64, i64) = sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN active THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN disabled_reason IS NOT NULL THEN 1 ELSE 0 END), 0) FROM webhook_subscriptions",
            )
            .fetch_one(pool)
            .await?;
            let failing_subscriptions: i64 = sqlx::query_scalar(
                "SELECT COUNT(DISTINCT d.subscription_id) FROM webhook_deliveries d \
                 JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE s.active AND d.state = 'failing'",
            )
            .fetch_one(pool)
            .await?;
            let (backlog, oldest_waiting): (i64, Option<Timestamp>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(created_at) FROM webhook_deliveries WHERE state IN ('pending', 'failing')",
            )
            .fetch_one(pool)
            .await?;
            let (actions_unsettled, actions_failing): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN d.state IN ('failing', 'given_up') THEN 1 ELSE 0 END), 0) \
                 FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
                 WHERE s.required AND d.event_id IS NOT NULL AND d.state <> 'delivered'",
            )
            .fetch_one(pool)
            .await?;
            WebhookHealth { active, disabled, failing_subscriptions, backlog, actions_unsettled, actions_failing, oldest_waiting }
        });
        Ok(health)
    }

    /// The events whose required actions have not all succeeded, with the
    /// worst state among them: for marking transitions on pages.
    pub async fn unsettled_actions(&self) -> Result<Vec<(i64, DeliveryState)>, StoreError> {
        let rows: Vec<(i64, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT d.event_id, d.state FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
                 WHERE s.required AND d.event_id IS NOT NULL AND d.event_type <> 'event.retracted' AND d.state <> 'delivered'",
            )
            .fetch_all(pool)
            .await?
        });
        let mut worst: HashMap<i64, DeliveryState> = HashMap::new();
        for (event, state) in rows {
            let state = DeliveryState::parse(&state).unwrap_or(DeliveryState::Failing);
            let entry = worst.entry(event).or_insert(state);
            if state != DeliveryState::Pending {
                *entry = state;
            }
        }
        let mut out: Vec<(i64, DeliveryState)> = worst.into_iter().collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        Ok(out)
    }
}
