//! Work that `serve` repeats on a timer until it stops: the periodic audit,
//! the overdue-plan announcer.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs `round` now and then every `interval` (a late round delays the
/// next rather than bunching up) until `stop`, which also cuts a round
/// short.
pub async fn every<F, Fut>(interval: Duration, stop: CancellationToken, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = round() => {}
        }
    }
}
