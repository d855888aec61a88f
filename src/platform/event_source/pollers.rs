//! Pollers: how many batches (or async events) an event source hands to its function at
//! once, and how that number builds up while messages wait.
//!
//! SQS, as documented (AWS docs services-sqs-scaling.html, "Configuring scaling behavior
//! for SQS event source mappings", current text): "When messages are available, Lambda
//! starts processing five batches at a time with five concurrent invocations of your
//! function. If messages are still available, Lambda increases the number of processes that
//! are reading batches by up to 300 more instances per minute. The maximum number of batches
//! that an event source mapping can process simultaneously is 1,000. When traffic is low,
//! Lambda scales back the processing to five concurrent batches". (Before Nov 2023 the rate
//! was 60 per minute; AWS Compute Blog, "Introducing faster polling scale-up for AWS Lambda
//! functions configured with Amazon SQS", 2023.) High confidence in the numbers.
//!
//! Modelled: the ramp starts when the source has work after having none; its allowance is
//! `initial + floor(rate · elapsed)`, capped at the source's maximum, i.e. one more
//! concurrent batch every 60 s / 300 = 200 ms (the doc's "per minute" read as a continuous
//! rate: assumed, medium confidence — a step of 300 once a minute would hold a burst at 5
//! for its first minute). It falls back to `initial` as soon as the source is empty and
//! idle (the doc gives no delay; assumed).
//!
//! Async: AWS documents no scaling rule for the pollers of its internal event queue. They
//! are modelled as SQS pollers (the same internal poller fleet reads both; low-to-medium
//! confidence), capped by the account limit instead of `maximum_concurrency`. The seed
//! experiment's sandboxes per burst (data/datasci-perf/cold_starts_per_batch.csv) are the
//! check, not an input: see scenarios/zip-vs-image.toml.

use crate::engine::{SimDuration, SimTime};

/// Concurrent batches a poller fleet starts with: 5 (docs services-sqs-scaling.html).
pub const INITIAL_CONCURRENCY: u32 = 5;

/// Time for the pollers to add one concurrent batch: 60 s / 300 = 200 ms ("up to 300 more
/// instances per minute", docs services-sqs-scaling.html).
pub const STEP: SimDuration = SimDuration::from_ms(200);

/// The concurrency a poller fleet allows, ramping while work waits.
#[derive(Clone, Copy, Debug)]
pub struct PollerRamp {
    /// Most concurrent batches (SQS `maximum_concurrency`; async: the account limit).
    pub max: u32,
    /// When the current ramp began (`None`: the source is idle, back at the initial level).
    since: Option<SimTime>,
}

impl PollerRamp {
    /// An idle fleet allowing at most `max` (>= 1) concurrent batches.
    pub fn new(max: u32) -> Self {
        PollerRamp {
            max: max.max(1),
            since: None,
        }
    }

    /// Work is waiting at `now`: starts the ramp if it is not running.
    pub fn on_work(&mut self, now: SimTime) {
        self.since.get_or_insert(now);
    }

    /// The source has nothing waiting and nothing in flight: back to the initial level.
    pub fn on_idle(&mut self) {
        self.since = None;
    }

    /// Concurrent batches allowed at `now`: min(max, 5 + floor((now − start) / 200 ms)).
    pub fn allowed(&self, now: SimTime) -> u32 {
        let steps = match self.since {
            Some(t) => (now - t).as_us() / STEP.as_us(),
            None => 0,
        };
        (INITIAL_CONCURRENCY as u64 + steps).min(self.max as u64) as u32
    }

    /// When the allowance first exceeds `in_flight` (None: it never will, or no ramp runs).
    pub fn next_above(&self, in_flight: u32) -> Option<SimTime> {
        let since = self.since?;
        if in_flight >= self.max {
            return None;
        }
        let steps = (in_flight + 1).saturating_sub(INITIAL_CONCURRENCY) as u64;
        Some(since + SimDuration(steps * STEP.as_us()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: the documented formula, 5 + 300 per minute, capped (docs
    /// services-sqs-scaling.html): 5 at start, 305 after one minute, 905 after three, the cap
    /// of 1,000 after 199 s; at most 1,000 at any time.
    #[test]
    fn allowance_is_five_plus_three_hundred_per_minute_up_to_the_cap() {
        let mut r = PollerRamp::new(1_000);
        assert_eq!(r.allowed(SimTime(5_000_000)), 5, "idle: the initial level");
        r.on_work(SimTime::ZERO);
        let at = |s: u64| SimTime(s * 1_000_000);
        assert_eq!(r.allowed(at(0)), 5);
        assert_eq!(r.allowed(at(1)), 10);
        assert_eq!(r.allowed(at(60)), 305);
        assert_eq!(r.allowed(at(180)), 905);
        assert_eq!(r.allowed(at(199)), 1_000);
        assert_eq!(r.allowed(at(3_600)), 1_000);
        assert_eq!(r.allowed(SimTime(199_999)), 5, "one step is 200 ms");
        assert_eq!(r.allowed(SimTime(200_000)), 6);
        r.on_idle();
        assert_eq!(r.allowed(at(4_000)), 5);
    }

    /// Exact: the next step above a count is where the allowance first exceeds it.
    #[test]
    fn next_above_is_the_first_instant_the_allowance_exceeds_the_count() {
        let mut r = PollerRamp::new(20);
        assert_eq!(r.next_above(5), None, "no ramp while idle");
        r.on_work(SimTime(1_000));
        assert_eq!(r.next_above(3), Some(SimTime(1_000)));
        let t = r.next_above(7).unwrap();
        assert_eq!(t, SimTime(1_000 + 3 * 200_000));
        assert_eq!(r.allowed(t), 8);
        assert_eq!(r.allowed(SimTime(t.0 - 1)), 7);
        assert_eq!(r.next_above(20), None, "at the cap");
    }
}
