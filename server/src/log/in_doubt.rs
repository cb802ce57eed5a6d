//! Writes whose `COMMIT` got no answer ([`StoreError::InDoubt`]): the
//! connection died while the commit was in flight, so the transaction may
//! or may not be stored. Rather than guess, wait for the database to answer
//! again and look the transaction up by the outbox message ids it wrote:
//! a committed write is then answered as stored (`201`), one that was not
//! as failed (`503`), so a client never retries a write that exists.

use std::time::{Duration, Instant};

use crate::store::{Appended, Store, StoreError};

/// How long a write waits for a database that went away after the write was
/// sent: longer than any client is likely to wait, so the client gives up
/// (and sees no answer) before the server would have to guess.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Time between two attempts to reach the database.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// Settles `error`: for [`StoreError::InDoubt`], what its transaction did
/// if it committed, or [`StoreError::Unavailable`] if it did not; after
/// [`PATIENCE`] without an answer the doubt itself. Any other error is
/// returned as it is.
pub async fn settle(store: &Store, error: StoreError) -> Result<Vec<Appended>, StoreError> {
    let StoreError::InDoubt { source, message_ids, planned } = error else { return Err(error) };
    if message_ids.is_empty() {
        // It only read (every event of the batch was a replay).
        return Ok(planned);
    }
    tracing::warn!(error = %source, rows = message_ids.len(), "commit outcome unknown; asking the database once it answers");
    let started = Instant::now();
    loop {
        match store.committed_refs(&message_ids).await {
            Ok(Some(ids)) => {
                let stored: Vec<i64> = planned
                    .iter()
                    .filter_map(|a| if let Appended::Stored(id) = a { Some(*id) } else { None })
                    .collect();
                if ids != stored {
                    return Err(StoreError::Corrupt(format!("a commit in doubt stored {ids:?}, not {stored:?}")));
                }
                tracing::info!(?ids, "the commit in doubt had gone through");
                return Ok(planned);
            }
            Ok(None) => {
                tracing::info!("the commit in doubt had not gone through");
                return Err(StoreError::Unavailable(source));
            }
            Err(StoreError::Unavailable(_)) if started.elapsed() < PATIENCE => tokio::time::sleep(RETRY_EVERY).await,
            Err(StoreError::Unavailable(_)) => return Err(StoreError::InDoubt { source, message_ids, planned }),
            Err(other) => return Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::ApiError;
    use axum::response::IntoResponse;

    /// A doubt that outlived the patience is told as such: `503 timeout`
    /// ("may be stored"), not `503 unavailable` ("not stored").
    #[tokio::test]
    async fn a_doubt_left_unsettled_answers_timeout_and_other_errors_pass_through() {
        let doubt = StoreError::InDoubt {
            source: sqlx::Error::PoolTimedOut,
            message_ids: vec!["m".into()],
            planned: vec![Appended::Stored(7)],
        };
        let response = ApiError::from(doubt).into_response();
        assert_eq!(response.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(axum::http::header::RETRY_AFTER));
        let body = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["error"]["code"], "timeout");
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("Idempotency-Key")), "{body}");

        // Not a doubt: returned as it is, without touching the database.
        let store = Store::connect("sqlite::memory:").await.expect("store");
        assert!(matches!(settle(&store, StoreError::NotFound).await, Err(StoreError::NotFound)));
        // A doubt about a transaction that wrote nothing needs no answer.
        let replays = StoreError::InDoubt {
            source: sqlx::Error::PoolTimedOut,
            message_ids: vec![],
            planned: vec![Appended::Replayed(3)],
        };
        assert_eq!(settle(&store, replays).await.expect("settled"), vec![Appended::Replayed(3)]);
    }
}
