//! The webhook tables on both databases: the fan-out makes one delivery
//! per matching active subscription and never a second one, leases keep a
//! delivery from being claimed twice, attempts settle it, and the
//! retention purge forgets only settled deliveries.

mod common;

use app::model::webhooks::{Attempt, DeliveryState, WebhookFilter};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use server::store::{millis, AttemptRecord, SubscriptionFields};

async fn story(db: TestDb) {
    let app = TestApp::start(&db).await;
    let store = app.store.clone();
    let t = app.token("hooks").await;
    let fedora_entered = WebhookFilter { dists: vec!["fedora".into()], reached: Some(true), ..Default::default() };
    fn fields(filter: &WebhookFilter) -> SubscriptionFields<'_> {
        SubscriptionFields {
            url: "https://hooks.example.org/a",
            description: "a",
            filter,
            active: true,
            required: true,
        }
    }
    let now = Utc::now();
    let sub = store.create_subscription(&fields(&fedora_entered), "v1:sealed", now, "releng").await.unwrap();
    let everything = WebhookFilter::default();
    let paused = store.create_subscription(&fields(&everything), "v1:sealed", now, "releng").await.unwrap();
    let mut f = fields(&everything);
    f.active = false;
    store.update_subscription(paused, &f).await.unwrap();

    for (release, reached) in [("44", true), ("45", true), ("43", false)] {
        let r = app
            .post_json("/api/v1/events", Some(&t), &event_body(release, "stable", reached, "2026-11-10T14:00:00Z"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    // At most one delivery per transaction: the first stops after it.
    let (read, made) = store.fan_out(100, 1, Utc::now()).await.unwrap();
    assert_eq!((read, made), (1, 1), "stopped after the row that made one delivery");
    let (read, made) = store.fan_out(100, 1000, Utc::now()).await.unwrap();
    assert_eq!(
        (read, made),
        (2, 1),
        "the rest: one more fedora event entered a state; the paused subscription gets none"
    );
    assert_eq!(store.fan_out(100, 1000, Utc::now()).await.unwrap(), (0, 0), "the cursor moved: nothing twice");

    let later = Utc::now() + Duration::seconds(1);
    let lease = millis(later) + 60_000;
    let due = store.claim_deliveries(later, lease, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|d| d.subscription_id == sub && d.webhook_id.starts_with("msg_")));
    assert!(
        store.claim_deliveries(later, lease, 10).await.unwrap().is_empty(),
        "leased deliveries are not claimed again"
    );

    let attempt = |status| Attempt { at: later, status: Some(status), latency_ms: 3, error: None, excerpt: None };
    store
        .record_attempts(&[
            AttemptRecord {
                delivery_id: due[0].id,
                subscription_id: sub,
                attempt: attempt(204),
                state: DeliveryState::Delivered,
                next_attempt_ms: None,
                disable: None,
            },
            AttemptRecord {
                delivery_id: due[1].id,
                subscription_id: sub,
                attempt: attempt(500),
                state: DeliveryState::Failing,
                next_attempt_ms: Some(millis(later)),
                disable: None,
            },
        ])
        .await
        .unwrap();
    let again = store.claim_deliveries(later, lease, 10).await.unwrap();
    assert_eq!(again.iter().map(|d| d.id).collect::<Vec<_>>(), vec![due[1].id], "the failing one is due again");
    assert_eq!(again[0].attempts, 1);

    let health = store.webhook_health().await.unwrap();
    assert_eq!((health.active, health.failing_subscriptions, health.backlog), (1, 1, 1));
    assert_eq!(health.actions_unsettled, 1);
    let log = store.deliveries_of_subscription(sub, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log.iter().map(|d| d.log.len()).sum::<usize>(), 2);

    // Retention forgets the delivered one only.
    assert_eq!(store.purge_deliveries(Utc::now() + Duration::days(1)).await.unwrap(), 1);
    assert_eq!(store.deliveries_of_subscription(sub, 10).await.unwrap().len(), 1);
    // Deleting the subscription takes its deliveries along.
    store.delete_subscription(sub).await.unwrap();
    assert!(store.claim_deliveries(later + Duration::minutes(5), lease + 600_000, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn webhook_tables_sqlite() {
    story(sqlite_db()).await;
}

#[tokio::test]
async fn webhook_tables_postgres() {
    if let Some(db) = postgres_db().await {
        story(db).await;
    }
}
