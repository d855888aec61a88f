//! Batching of an event source mapping (SQS, streams): "Lambda reads records in batches and
//! invokes your function … Lambda invokes the function when one of the following is
//! true: the batching window reaches its maximum value, the batch size is met, or the
//! payload reaches 6 MB" (AWS docs "Lambda event source mappings", batching behaviour).
//! The payload limit is not modelled (no message sizes).

use crate::engine::{SimDuration, SimTime};

/// What a poller does with the messages waiting now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchDecision {
    /// Invoke now with this many messages (the oldest first).
    Take(u32),
    /// Keep gathering until this time (the window of the oldest message closes).
    WaitUntil(SimTime),
    /// Nothing waits.
    Empty,
}

/// The batch for `waiting` messages, the oldest of which arrived at `oldest`, under
/// `batch_size` and `window`: a full batch at once; otherwise whatever waits once the
/// oldest message has waited `window` (at once with no window).
pub fn decide(
    waiting: usize,
    oldest: SimTime,
    now: SimTime,
    batch_size: u32,
    window: SimDuration,
) -> BatchDecision {
    if waiting == 0 {
        return BatchDecision::Empty;
    }
    let full = waiting >= batch_size as usize;
    let closes = oldest + window;
    if full || closes <= now {
        BatchDecision::Take((waiting as u64).min(batch_size as u64) as u32)
    } else {
        BatchDecision::WaitUntil(closes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: a full batch goes at once, a partial one when its window closes (at once
    /// with no window), never more than the batch size.
    #[test]
    fn a_batch_goes_when_full_or_when_the_window_of_its_oldest_message_closes() {
        let w = SimDuration::from_secs(2);
        let t = |s: u64| SimTime(s * 1_000_000);
        assert_eq!(decide(0, t(0), t(9), 10, w), BatchDecision::Empty);
        assert_eq!(decide(25, t(0), t(0), 10, w), BatchDecision::Take(10));
        assert_eq!(decide(3, t(1), t(2), 10, w), BatchDecision::WaitUntil(t(3)));
        assert_eq!(decide(3, t(1), t(3), 10, w), BatchDecision::Take(3));
        assert_eq!(
            decide(3, t(1), t(1), 10, SimDuration::ZERO),
            BatchDecision::Take(3)
        );
    }
}
