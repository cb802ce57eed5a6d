//! Commits of every instance, as PostgreSQL announces them: a listener on
//! [`LOG_CHANNEL`] that nudges the projection's follower, so a write on one
//! instance reaches the streams of another within milliseconds rather
//! than at the next poll.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Store, LOG_CHANNEL};

/// How long to wait before listening again after the connection failed.
const RETRY: Duration = Duration::from_secs(1);

impl Store {
    /// Until `stop`, notifies `nudge` whenever any instance commits to the
    /// log. PostgreSQL only (an SQLite database has one instance; this
    /// returns at once). Announcements sent while the connection is down
    /// are lost, so every (re)connection nudges once as well; the
    /// follower's polling stays the safety net.
    pub async fn listen_for_writes(&self, nudge: Arc<Notify>, stop: CancellationToken) {
        let Store::Postgres(pool) = self else { return };
        while !stop.is_cancelled() {
            let listening = async {
                let mut listener = PgListener::connect_with(pool).await?;
                listener.listen(LOG_CHANNEL).await?;
                Ok::<_, sqlx::Error>(listener)
            };
            let mut listener = match listening.await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for other instances' writes; polling only");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(RETRY) => continue,
                    }
                }
            };
            nudge.notify_one();
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    got = listener.try_recv() => match got {
                        Ok(Some(_)) => nudge.notify_one(),
                        // The connection was lost; `try_recv` reconnects
                        // on the next call, after which we catch up.
                        Ok(None) => nudge.notify_one(),
                        Err(e) => {
                            tracing::warn!(error = %e, "lost the notification listener; listening again");
                            break;
                        }
                    }
                }
            }
        }
    }
}
