//! Message bus fixtures: the real RabbitMQ (skipped loudly when absent,
//! required with `CI=true`), a test queue bound to one test's topics, and
//! a publisher on a `TestApp`, tuned to react in milliseconds.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties, Consumer};
use serde_json::Value;
use server::bus::{AmqpUrl, BusConfig, Publisher};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::TestApp;

/// Where the tests find RabbitMQ.
pub fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Connects with the host as written (see `AmqpUrl::to_uri`).
pub async fn connect(url: &str) -> lapin::Result<Connection> {
    let uri = AmqpUrl::new(url).to_uri().expect("test AMQP URL");
    Connection::connect_uri(uri, ConnectionProperties::default()).await
}

/// The broker's URL, or `None` (with a loud notice) when it is not
/// reachable. With `CI=true` an unreachable broker fails the test.
pub async fn broker() -> Option<String> {
    let url = amqp_url();
    let result = tokio::time::timeout(Duration::from_secs(5), connect(&url)).await;
    let error = match result {
        Ok(Ok(connection)) => {
            let _ = connection.close(200, "OK".into()).await;
            return Some(url);
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "timed out".to_owned(),
    };
    let shown = AmqpUrl::new(url.as_str()).redacted();
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("RabbitMQ at {shown} is required with CI=true: {error}");
    }
    eprintln!("SKIPPED: RabbitMQ not reachable at {shown} ({error}); set TEST_AMQP_URL");
    None
}

/// A topic prefix no other test uses, so parallel tests on one broker
/// never see each other's messages.
pub fn unique_prefix() -> String {
    format!("test.rt{}", hex::encode(rand::random::<[u8; 6]>()))
}

/// A message as a consumer received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub routing_key: String,
    pub body: Vec<u8>,
    pub properties: BasicProperties,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    /// The body without the `url` the message adds: what the API answered
    /// at commit. Checks that `url` is the event page's absolute address.
    pub fn answer(&self) -> Value {
        let mut body = self.json();
        let event = body.get("event").unwrap_or(&body)["id"].as_i64().expect("an event id");
        let url = body.as_object_mut().and_then(|o| o.remove("url")).expect("a url in every body");
        let url = url.as_str().expect("url is a string").to_owned();
        assert!(url.starts_with("http://") && url.ends_with(&format!("/events/{event}")), "url {url}");
        body
    }

    pub fn message_id(&self) -> String {
        self.properties.message_id().as_ref().map(|s| s.to_string()).expect("message_id")
    }

    pub fn header(&self, name: &str) -> Option<&AMQPValue> {
        self.properties.headers().as_ref().and_then(|h| h.inner().get(name))
    }

    /// The last word of the topic: `reached`, `left` or `retracted`.
    pub fn kind(&self) -> &str {
        self.routing_key.rsplit('.').next().unwrap_or_default()
    }
}

/// An exclusive queue bound to `{prefix}.releasetracker.event.*` on
/// `amq.topic`, consumed without acks.
pub struct TestQueue {
    consumer: Consumer,
    connection: Connection,
}

impl TestQueue {
    pub async fn bind(url: &str, prefix: &str) -> Self {
        let connection = connect(url).await.expect("connect consumer");
        let channel = connection.create_channel().await.expect("channel");
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .expect("declare queue");
        channel
            .queue_bind(
                queue.name().clone(),
                "amq.topic".into(),
                format!("{prefix}.releasetracker.event.*").as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind queue");
        let consumer = channel
            .basic_consume(
                queue.name().clone(),
                "".into(),
                BasicConsumeOptions { no_ack: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .expect("consume");
        Self { consumer, connection }
    }

    /// The next message, or `None` after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Received> {
        match tokio::time::timeout(wait, self.consumer.next()).await {
            Ok(Some(Ok(d))) => {
                Some(Received { routing_key: d.routing_key.to_string(), body: d.data, properties: d.properties })
            }
            Ok(Some(Err(e))) => panic!("consumer failed: {e}"),
            Ok(None) | Err(_) => None,
        }
    }

    /// Exactly the next `n` messages; panics if one takes longer than `wait`.
    pub async fn take(&mut self, n: usize, wait: Duration) -> Vec<Received> {
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            match self.next(wait).await {
                Some(m) => got.push(m),
                None => panic!("received {} of {n} messages, then nothing for {wait:?}", got.len()),
            }
        }
        got
    }

    /// Whether nothing more arrives within `wait`.
    pub async fn quiet(&mut self, wait: Duration) -> Option<Received> {
        self.next(wait).await
    }

    pub async fn close(self) {
        let _ = self.connection.close(200, "OK".into()).await;
    }
}

/// Bus settings for tests: the real defaults, but quick to poll and to
/// retry.
pub fn fast_config(url: &str, prefix: &str) -> BusConfig {
    let mut config = BusConfig::new(AmqpUrl::new(url), "amq.topic", prefix).expect("bus config");
    config.poll_interval = Duration::from_millis(100);
    config.backoff_min = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(500);
    config.connect_timeout = Duration::from_secs(3);
    config.confirm_timeout = Duration::from_secs(5);
    config
}

/// A publisher task on an app.
pub struct RunningPublisher {
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

impl RunningPublisher {
    pub fn start(app: &TestApp, config: BusConfig) -> Self {
        let stop = CancellationToken::new();
        let publisher = Publisher::new(app.store.clone(), app.state.projection.clone(), app.state.bus.clone(), config);
        let handle = tokio::spawn(publisher.run(stop.clone()));
        Self { stop, handle }
    }

    /// A clean stop: the round in flight finishes.
    pub async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.handle)
            .await
            .expect("publisher stops within 10 s")
            .expect("publisher task");
    }

    /// A crash: the task dies wherever it is.
    pub async fn kill(self) {
        self.handle.abort();
        let _ = self.handle.await;
    }
}
