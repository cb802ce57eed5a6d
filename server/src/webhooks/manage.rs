//! What editors do with subscriptions, for both edges (the JSON API and
//! the pages): create (the secret shown once), change, pause, delete,
//! rotate the secret, ping, redeliver, read the delivery log. Errors are
//! the log writer's ([`WriteError`]), which both edges already translate.

use app::model::webhooks::{Delivery, NewSubscription, Subscription, SubscriptionInput};
use app::model::Timestamp;
use chrono::Utc;
use serde::Serialize;

use super::{SigningSecret, Webhooks};
use crate::log::WriteError;
use crate::store::{Store, StoreError, StoredSubscription, SubscriptionFields};

/// A new subscription with its secret, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedSubscription {
    /// The subscription.
    #[serde(flatten)]
    pub subscription: Subscription,
    /// `whsec_…`: verify deliveries with it; it is not shown again.
    pub secret: String,
}

/// A rotated secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RotatedSecret {
    /// The new `whsec_…`, shown this once.
    pub secret: String,
    /// Until when the previous secret signs too.
    #[serde(with = "app::model::time::wire")]
    #[schema(value_type = String, format = DateTime)]
    pub previous_secret_until: Timestamp,
}

fn now() -> Timestamp {
    app::model::time::to_stored_precision(Utc::now())
}

fn not_found(id: i64) -> impl Fn(StoreError) -> WriteError {
    move |e| match e {
        StoreError::NotFound => WriteError::NotFound(format!("no webhook subscription {id}")),
        other => other.into(),
    }
}

fn off(webhooks: &Webhooks) -> Result<&super::SealKey, WriteError> {
    webhooks.key().map_err(|why| WriteError::Conflict(why.into()))
}

fn invalid_url(message: String) -> WriteError {
    WriteError::Invalid { field: Some("url".into()), message: format!("url: {message}") }
}

/// Checks where a subscription points, as the deliverer will.
async fn check_target(webhooks: &Webhooks, new: &NewSubscription) -> Result<(), WriteError> {
    webhooks.settings().policy.check_resolved(&new.url).await.map_err(invalid_url)
}

fn fields(new: &NewSubscription) -> SubscriptionFields<'_> {
    SubscriptionFields {
        url: new.url.as_str(),
        description: &new.description,
        filter: &new.filter,
        active: new.active,
        required: new.required,
    }
}

/// Every subscription.
pub async fn list(store: &Store) -> Result<Vec<Subscription>, WriteError> {
    Ok(store.subscriptions(now()).await?.into_iter().map(|s| s.subscription).collect())
}

/// One subscription.
pub async fn get(store: &Store, id: i64) -> Result<Subscription, WriteError> {
    Ok(store.subscription(id, now()).await.map_err(not_found(id))?.subscription)
}

/// Creates a subscription; answers it with its secret.
pub async fn create(
    store: &Store,
    webhooks: &Webhooks,
    input: SubscriptionInput,
    who: &str,
) -> Result<CreatedSubscription, WriteError> {
    let key = off(webhooks)?;
    let new = input.validate_new()?;
    check_target(webhooks, &new).await?;
    let secret = SigningSecret::generate();
    let sealed = key.seal(&secret).map_err(|e| WriteError::Internal(e.into()))?;
    let id = store.create_subscription(&fields(&new), &sealed, now(), who).await?;
    tracing::info!(subscription = id, url = %new.url, by = who, "webhook subscription created");
    Ok(CreatedSubscription { subscription: get(store, id).await?, secret: secret.expose() })
}

fn current(stored: &StoredSubscription) -> Result<NewSubscription, WriteError> {
    let s = &stored.subscription;
    let url = url::Url::parse(&s.url)
        .map_err(|e| WriteError::Internal(format!("stored webhook URL of {}: {e}", s.id).into()))?;
    Ok(NewSubscription {
        url,
        description: s.description.clone(),
        filter: s.filter.clone(),
        active: s.active,
        required: s.required,
    })
}

/// Changes a subscription (absent fields stay); answers it as it is now.
pub async fn update(
    store: &Store,
    webhooks: &Webhooks,
    id: i64,
    input: SubscriptionInput,
    who: &str,
) -> Result<Subscription, WriteError> {
    off(webhooks)?;
    let stored = store.subscription(id, now()).await.map_err(not_found(id))?;
    let url_changed = input.url.is_some();
    let changed = input.apply_to(&current(&stored)?)?;
    if url_changed {
        check_target(webhooks, &changed).await?;
    }
    store.update_subscription(id, &fields(&changed)).await.map_err(not_found(id))?;
    tracing::info!(subscription = id, active = changed.active, by = who, "webhook subscription changed");
    webhooks.wake();
    get(store, id).await
}

/// Deletes a subscription and its delivery log.
pub async fn delete(store: &Store, id: i64, who: &str) -> Result<(), WriteError> {
    store.delete_subscription(id).await.map_err(not_found(id))?;
    tracing::info!(subscription = id, by = who, "webhook subscription deleted");
    Ok(())
}

/// A new secret; the old one signs too for the rotation grace period.
pub async fn rotate(store: &Store, webhooks: &Webhooks, id: i64, who: &str) -> Result<RotatedSecret, WriteError> {
    let key = off(webhooks)?;
    let secret = SigningSecret::generate();
    let sealed = key.seal(&secret).map_err(|e| WriteError::Internal(e.into()))?;
    let grace = chrono::Duration::from_std(webhooks.settings().rotation_grace)
        .map_err(|_| WriteError::Internal("the rotation grace period is too long".into()))?;
    let until = now() + grace;
    store.rotate_secret(id, &sealed, until).await.map_err(not_found(id))?;
    tracing::info!(subscription = id, by = who, "webhook secret rotated");
    Ok(RotatedSecret { secret: secret.expose(), previous_secret_until: until })
}

/// Queues a `webhook.ping` delivery; answers its id.
pub async fn ping(store: &Store, webhooks: &Webhooks, id: i64) -> Result<i64, WriteError> {
    off(webhooks)?;
    let delivery = store.ping_subscription(id, now()).await.map_err(not_found(id))?;
    webhooks.wake();
    Ok(delivery)
}

/// The newest deliveries of a subscription, with their attempts.
pub async fn deliveries(store: &Store, id: i64, limit: i64) -> Result<Vec<Delivery>, WriteError> {
    store.subscription(id, now()).await.map_err(not_found(id))?;
    Ok(store.deliveries_of_subscription(id, limit).await?)
}

/// Sends one delivery again (a new round of attempts, same `webhook-id`).
/// `subscription` narrows it to one subscription's deliveries (the API's
/// path names both).
pub async fn redeliver(
    store: &Store,
    webhooks: &Webhooks,
    subscription: Option<i64>,
    delivery: i64,
) -> Result<i64, WriteError> {
    off(webhooks)?;
    let owner = store.redeliver(subscription, delivery, now()).await.map_err(|e| match e {
        StoreError::NotFound => WriteError::NotFound(format!("no webhook delivery {delivery}")),
        other => other.into(),
    })?;
    webhooks.wake();
    Ok(owner)
}

/// Sends every failed delivery of a subscription made since `since` again.
pub async fn redeliver_failed(
    store: &Store,
    webhooks: &Webhooks,
    id: i64,
    since: Timestamp,
) -> Result<u64, WriteError> {
    off(webhooks)?;
    store.subscription(id, now()).await.map_err(not_found(id))?;
    let n = store.redeliver_failed(id, since, now()).await?;
    webhooks.wake();
    Ok(n)
}

/// The deliveries an event triggered, without the receivers' answers
/// (those are for editors, in the subscription's delivery log).
pub async fn actions_of_event(store: &Store, event: i64) -> Result<Vec<Delivery>, WriteError> {
    let mut deliveries = store.deliveries_of_event(event).await?;
    for d in &mut deliveries {
        for a in &mut d.log {
            a.excerpt = None;
        }
    }
    Ok(deliveries)
}
