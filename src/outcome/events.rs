//! What a function's event sources (async queue, SQS, streams) recorded in one
//! replication: how long events waited, how many were lost and how they were batched.
//! Online: counters and one histogram, whatever the number of events.

use crate::stats::Histogram;

/// Event-source figures of one function (reported only when one of its traffic sources is
/// an event source, so other outputs keep their keys).
#[derive(Clone, Debug, Default)]
pub struct EventStats {
    /// Whether the function has an event source.
    pub on: bool,
    /// Age of each event when an invocation took it (each attempt), µs: time from its
    /// arrival in the queue (Lambda's `AsyncEventAge`; SQS message age).
    pub age: Histogram,
    /// Events lost after their last retry (no destination), counted events only.
    pub dropped: u64,
    /// Events lost after their last retry and sent to the on-failure destination.
    pub to_destination: u64,
    /// Events that reached their maximum age before they could be tried again.
    pub expired: u64,
    /// Attempts that failed and were retried (a throttle or a function error).
    pub retries: u64,
    /// Attempts throttled by a concurrency or scaling limit.
    pub throttled_attempts: u64,
    /// Invocations that carried a batch (SQS, streams).
    pub batches: u64,
    /// Events in those batches.
    pub batched_events: u64,
    /// Events still queued when the run ended (none once drained).
    pub pending_at_end: u64,
}

impl EventStats {
    /// Adds `other`'s counts to these (for totals over functions).
    pub fn merge(&mut self, other: &EventStats) {
        self.on |= other.on;
        self.age.merge(&other.age);
        self.dropped += other.dropped;
        self.to_destination += other.to_destination;
        self.expired += other.expired;
        self.retries += other.retries;
        self.throttled_attempts += other.throttled_attempts;
        self.batches += other.batches;
        self.batched_events += other.batched_events;
        self.pending_at_end += other.pending_at_end;
    }
}
