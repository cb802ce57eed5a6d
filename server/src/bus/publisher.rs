//! The publisher task: connects to the broker, claims pending outbox rows
//! in id order, publishes them with publisher confirms and marks them sent
//! only after the broker's ack. Any connection or channel failure drops the
//! link and reconnects after an exponential, capped backoff; unconfirmed
//! rows stay pending and go out again with the same `message_id`
//! (at-least-once). The write path never waits for anything here.

use std::sync::Arc;
use std::time::Duration;

use app::model::time::to_stored_precision;
use chrono::Utc;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::tcp::{OwnedIdentity, OwnedTLSConfig};
use lapin::types::FieldTable;
use lapin::{Channel, Confirmation, Connection, ConnectionProperties, DefaultConnectionBuilder, ExchangeKind};
use tokio::time::{timeout, timeout_at, Instant};
use tokio_util::sync::CancellationToken;

use super::config::BusConfig;
use super::message::{self, OutgoingMessage};
use super::Bus;
use crate::projection::Projection;
use crate::store::{OutboxEntry, Store, StoreError};

/// How often, at most, the running totals are logged at `info`.
const SUMMARY_INTERVAL: Duration = Duration::from_secs(60);
/// Longest stored `last_error`.
const ERROR_TEXT_LIMIT: usize = 500;

/// Why a round of publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Opening the connection or channel failed.
    #[error("cannot connect to the broker: {0}")]
    Connect(#[source] lapin::Error),
    /// The broker did not answer in time.
    #[error("the broker did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection or channel failed while publishing.
    #[error("publishing failed: {0}")]
    Amqp(#[source] lapin::Error),
    /// The broker refused a message (basic.nack).
    #[error("the broker refused a message (nack)")]
    Nacked,
    /// The channel closed while idle.
    #[error("the connection to the broker was lost")]
    Disconnected,
    /// The outbox could not be read or updated.
    #[error("outbox: {0}")]
    Store(#[from] StoreError),
    /// A claimed row could not be turned into a message.
    #[error("outbox row {row}: {source}")]
    Message {
        /// Outbox id.
        row: i64,
        /// Why.
        #[source]
        source: message::MessageError,
    },
}

impl PublishError {
    /// Whether the broker link is to blame (reconnect) rather than the
    /// database (keep the link, retry at the next poll).
    fn is_broker(&self) -> bool {
        !matches!(self, PublishError::Store(_))
    }
}

/// An open connection and its confirm-mode channel.
struct Link {
    connection: Connection,
    channel: Channel,
}

/// Waits between reconnection attempts: doubling from `min` to `max`,
/// with jitter so a fleet of servers does not reconnect in lockstep.
struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Self { min, max, next: min }
    }

    fn reset(&mut self) {
        self.next = self.min;
    }

    fn step(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        let jitter = rand::random_range(0.8..1.2);
        base.mul_f64(jitter).min(self.max)
    }
}

/// Publishes the outbox of one store; run it with [`Publisher::run`].
pub struct Publisher {
    store: Store,
    projection: Arc<Projection>,
    bus: Arc<Bus>,
    config: BusConfig,
    reported: (u64, u64),
    reported_at: Instant,
}

impl Publisher {
    /// A publisher for `store`, building bodies from `projection` and
    /// reporting through `bus` (the same `Bus` the writers wake).
    pub fn new(store: Store, projection: Arc<Projection>, bus: Arc<Bus>, config: BusConfig) -> Self {
        Self { store, projection, bus, config, reported: (0, 0), reported_at: Instant::now() }
    }

    /// Publishes until `stop`, reconnecting as long as it takes. Rows left
    /// unconfirmed at the stop stay pending for the next start.
    pub async fn run(mut self, stop: CancellationToken) {
        self.bus.set_publishing(true);
        let mut backoff = Backoff::new(self.config.backoff_min, self.config.backoff_max);
        while !stop.is_cancelled() {
            let failure = match self.connect().await {
                Ok(link) => {
                    self.bus.set_connected(true);
                    tracing::info!(broker = %self.config.url, "connected to the message bus");
                    let result = self.publish_while_connected(&link, &stop, &mut backoff).await;
                    self.bus.set_connected(false);
                    close(&link.connection).await;
                    match result {
                        Ok(()) => break,
                        Err(e) => e,
                    }
                }
                Err(e) => e,
            };
            let wait = backoff.step();
            self.record_failure(&failure);
            tracing::warn!(
                error = %failure,
                retry_in_ms = wait.as_millis() as u64,
                sent = self.bus.status().sent,
                failed = self.bus.status().failed,
                "message bus unavailable; messages wait in the outbox"
            );
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        let status = self.bus.status();
        tracing::info!(sent = status.sent, failed = status.failed, "message bus publisher stopped");
        self.bus.set_publishing(false);
    }

    async fn connect(&self) -> Result<Link, PublishError> {
        let limit = self.config.connect_timeout;
        let properties = ConnectionProperties::default().with_connection_name("releasetracker".into());
        let identity = self
            .config
            .client_identity
            .as_ref()
            .map(|i| OwnedIdentity::PKCS8 { pem: i.certificate.clone(), key: i.key.clone() });
        let tls = OwnedTLSConfig { identity, cert_chain: self.config.ca_certificates.clone() };
        let builder = DefaultConnectionBuilder::new()
            .map_err(PublishError::Connect)?
            .with_uri(self.config.uri())
            .with_properties(properties)
            .with_tls_config(tls);
        let connection = timeout(limit, builder.connect())
            .await
            .map_err(|_| PublishError::Timeout(limit))?
            .map_err(PublishError::Connect)?;
        let opened = async {
            let channel = connection.create_channel().await?;
            channel.confirm_select(ConfirmSelectOptions::default()).await?;
            // Passive: fail here, with a clear error, if the exchange is
            // missing, rather than on every publish.
            channel
                .exchange_declare(
                    self.config.exchange.clone(),
                    ExchangeKind::Topic,
                    ExchangeDeclareOptions { passive: true, ..Default::default() },
                    FieldTable::default(),
                )
                .await?;
            Ok::<_, lapin::Error>(channel)
        };
        match timeout(limit, opened).await {
            Ok(Ok(channel)) => Ok(Link { connection, channel }),
            Ok(Err(e)) => {
                close(&connection).await;
                Err(PublishError::Connect(e))
            }
            Err(_) => {
                close(&connection).await;
                Err(PublishError::Timeout(limit))
            }
        }
    }

    /// Publishes rounds until the outbox is empty, then waits for a wake-up
    /// or the next poll; returns `Ok` only at `stop`.
    async fn publish_while_connected(
        &mut self,
        link: &Link,
        stop: &CancellationToken,
        backoff: &mut Backoff,
    ) -> Result<(), PublishError> {
        loop {
            loop {
                if stop.is_cancelled() {
                    return Ok(());
                }
                if !link.channel.status().connected() || !link.connection.status().connected() {
                    return Err(PublishError::Disconnected);
                }
                match self.publish_round(&link.channel).await {
                    Ok(0) => {
                        backoff.reset();
                        break;
                    }
                    Ok(sent) => {
                        backoff.reset();
                        // Under a stream of writes, let the next round
                        // gather more rows: fewer, larger rounds cost the
                        // database and the writers less than one per commit.
                        // A full round means a backlog: no pause then.
                        if (sent as i64) < self.config.batch_size {
                            tokio::time::sleep(self.config.linger).await;
                        }
                    }
                    Err(e) if e.is_broker() => return Err(e),
                    Err(e) => {
                        // The database is the trouble: keep the broker link
                        // and try again at the next poll.
                        self.record_failure(&e);
                        tracing::warn!(error = %e, "cannot read the outbox");
                        break;
                    }
                }
            }
            self.log_summary();
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                _ = self.bus.woken() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    /// Claims a batch, publishes it, waits for the confirms and records the
    /// outcome. Returns how many messages the broker confirmed.
    async fn publish_round(&mut self, channel: &Channel) -> Result<usize, PublishError> {
        let claim = self.store.claim_outbox(self.config.batch_size).await?;
        if claim.entries().is_empty() {
            return Ok(0);
        }
        let total = claim.entries().len();
        // Rows up to one that cannot be built still go out; the rest wait,
        // since nothing may overtake a message.
        let (messages, build_failure) = self.build(claim.entries()).await;
        let (confirmed, send_failure) =
            if messages.is_empty() { (0, None) } else { self.send(channel, &messages).await };
        let failure = send_failure.or(build_failure);
        let text = failure.as_ref().map(|e| clip(&e.to_string()));
        // A failure here (database down after the broker's ack) leaves the
        // rows pending: they go out again with the same message_id.
        let settled = claim.settle(confirmed, text.as_deref(), now()).await;
        let failed = if failure.is_some() { (total - confirmed) as u64 } else { 0 };
        self.bus.count(confirmed as u64, failed);
        if confirmed > 0 {
            tracing::debug!(confirmed, "published messages");
        }
        match (failure, settled) {
            (Some(e), _) => Err(e),
            (None, Err(e)) => Err(e.into()),
            (None, Ok(())) => {
                self.bus.clear_error();
                Ok(confirmed)
            }
        }
    }

    /// Builds the messages of `entries` from the projection, catching up
    /// once if a row is newer than the log in memory (another instance
    /// wrote it). Stops at the first row that cannot be built and says why.
    async fn build(&self, entries: &[OutboxEntry]) -> (Vec<OutgoingMessage>, Option<PublishError>) {
        let mut messages = Vec::with_capacity(entries.len());
        let mut caught_up = false;
        loop {
            let stuck = {
                let log = self.projection.read();
                entries[messages.len()..].iter().find_map(|entry| {
                    match message::build(entry, &log, &self.config.topics, self.bus.bodies()) {
                        Ok(m) => {
                            messages.push(m);
                            None
                        }
                        Err(e) => Some((entry.id, e)),
                    }
                })
            };
            let Some((row, e)) = stuck else {
                return (messages, None);
            };
            if caught_up || !matches!(e, message::MessageError::Missing { .. }) {
                return (messages, Some(PublishError::Message { row, source: e }));
            }
            if let Err(e) = self.projection.catch_up(&self.store).await {
                return (messages, Some(e.into()));
            }
            caught_up = true;
        }
    }

    /// Publishes `messages` in order on the confirm-mode channel and waits
    /// for the confirms. Returns how many, from the first on, the broker
    /// acknowledged, and the first failure if any: rows after it are not
    /// marked sent even if acked, so a retry never overtakes them.
    async fn send(&self, channel: &Channel, messages: &[OutgoingMessage]) -> (usize, Option<PublishError>) {
        let limit = self.config.confirm_timeout;
        let deadline = Instant::now() + limit;
        let mut confirms = Vec::with_capacity(messages.len());
        let mut failure = None;
        for m in messages {
            let publish = channel.basic_publish(
                self.config.exchange.clone(),
                m.routing_key.clone(),
                BasicPublishOptions::default(),
                &m.body,
                m.properties.clone(),
            );
            match timeout_at(deadline, publish).await {
                Ok(Ok(confirm)) => confirms.push(confirm),
                Ok(Err(e)) => {
                    failure = Some(PublishError::Amqp(e));
                    break;
                }
                Err(_) => {
                    failure = Some(PublishError::Timeout(limit));
                    break;
                }
            }
        }
        let mut confirmed = 0;
        for confirm in confirms {
            let problem = match timeout_at(deadline, confirm).await {
                Ok(Ok(Confirmation::Ack(_))) => {
                    confirmed += 1;
                    continue;
                }
                Ok(Ok(Confirmation::Nack(_))) => PublishError::Nacked,
                // Only without confirm mode, which `connect` always enables.
                Ok(Ok(Confirmation::NotRequested)) => PublishError::Disconnected,
                Ok(Err(e)) => PublishError::Amqp(e),
                Err(_) => PublishError::Timeout(limit),
            };
            failure.get_or_insert(problem);
            break;
        }
        (confirmed, failure)
    }

    /// Keeps the failure's class for `/readyz` and `/status`; its text
    /// (broker addresses, TLS details) goes only to the log.
    fn record_failure(&self, e: &PublishError) {
        tracing::debug!(error = %e, "publish failure recorded");
        metrics::counter!("releasetracker_bus_errors_total", "kind" => e.label()).increment(1);
        self.bus.set_error(e.class().to_owned(), now());
    }

    /// Logs the running totals at `info`, at most once a minute and only
    /// when they moved.
    fn log_summary(&mut self) {
        let status = self.bus.status();
        let totals = (status.sent, status.failed);
        if totals != self.reported && self.reported_at.elapsed() >= SUMMARY_INTERVAL {
            tracing::info!(sent = status.sent, failed = status.failed, "message bus: publishes so far");
            self.reported = totals;
            self.reported_at = Instant::now();
        }
    }
}

impl PublishError {
    /// A one-word name of the kind of failure, for the metrics' labels.
    pub fn label(&self) -> &'static str {
        match self {
            PublishError::Connect(_) => "connect",
            PublishError::Timeout(_) => "timeout",
            PublishError::Amqp(_) => "amqp",
            PublishError::Nacked => "nacked",
            PublishError::Disconnected => "disconnected",
            PublishError::Store(_) => "store",
            PublishError::Message { .. } => "message",
        }
    }

    /// What kind of failure this is, in words fit for a public status
    /// page: never the underlying error's text.
    pub fn class(&self) -> &'static str {
        match self {
            PublishError::Connect(e) => connect_class(e),
            PublishError::Timeout(_) => "the broker did not answer in time",
            PublishError::Amqp(_) => "publishing failed (AMQP error)",
            PublishError::Nacked => "the broker refused a message (nack)",
            PublishError::Disconnected => "the connection to the broker was lost",
            PublishError::Store(_) => "the outbox could not be read or updated",
            PublishError::Message { .. } => "an outbox row could not be made into a message",
        }
    }
}

/// The class of a failed connection: TLS trouble (a certificate refused
/// on either side) apart from a broker that is not there. Read from the
/// error's words because lapin folds both into I/O errors.
fn connect_class(e: &lapin::Error) -> &'static str {
    let text = e.to_string().to_lowercase();
    if text.contains("certificate") {
        "cannot connect to the broker: TLS certificate refused"
    } else if text.contains("tls") || text.contains("handshake") || text.contains("alert") {
        "cannot connect to the broker: TLS handshake failed"
    } else if text.contains("refused") {
        "cannot connect to the broker: connection refused"
    } else {
        "cannot connect to the broker"
    }
}

/// Closes politely if the connection still works; a dead one is dropped.
async fn close(connection: &Connection) {
    if connection.status().connected() {
        let _ = timeout(Duration::from_secs(2), connection.close(200, "OK".into())).await;
    }
}

/// The clock, at the precision the database stores.
fn now() -> app::model::Timestamp {
    to_stored_precision(Utc::now())
}

/// Shortens an error for storage and `/readyz`.
fn clip(text: &str) -> String {
    if text.len() <= ERROR_TEXT_LIMIT {
        return text.to_owned();
    }
    let mut end = ERROR_TEXT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let waits: Vec<Duration> = (0..8).map(|_| b.step()).collect();
        assert!(waits[0] >= Duration::from_millis(80) && waits[0] <= Duration::from_millis(120));
        assert!(waits[3] >= Duration::from_millis(640) && waits[3] <= Duration::from_secs(1));
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(1)));
        assert!(waits[7] >= Duration::from_millis(800));
        b.reset();
        assert!(b.step() <= Duration::from_millis(120));
    }

    #[test]
    fn long_errors_are_clipped_on_a_char_boundary() {
        let text = "é".repeat(400);
        let clipped = clip(&text);
        assert!(clipped.len() <= ERROR_TEXT_LIMIT + "…".len());
        assert!(clipped.ends_with('…'));
    }
}
