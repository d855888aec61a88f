//! Retries of Lambda's asynchronous invocation (AWS docs "How Lambda handles errors and
//! retries with asynchronous invocation", invocation-async-error-handling.html):
//! - a function error: "by default Lambda attempts to run it two more times, with a
//!   one-minute wait between the first two attempts, and two minutes between the second
//!   and third attempts" (retries configurable 0..=2);
//! - a throttle (429) or system error: "Lambda returns the event to the queue and attempts
//!   to run the function again for up to 6 hours by default. The retry interval increases
//!   exponentially from 1 second after the first attempt to a maximum of 5 minutes."
//!   Throttles do not use up the retries; the event's maximum age bounds them.
//!
//! An event older than its maximum age when it would next be tried expires; one that fails
//! on its last retry is lost (dropped, or sent to the on-failure destination). The doc's
//! "If the queue contains many entries, Lambda increases the retry interval and reduces the
//! rate at which it reads events" is not modelled (no figure given).

use super::AsyncParams;
use crate::engine::{SimDuration, SimTime};

/// First throttle backoff: 1 s (docs, above).
pub const THROTTLE_BACKOFF_FIRST: SimDuration = SimDuration::from_secs(1);
/// Longest throttle backoff: 5 min (docs, above).
pub const THROTTLE_BACKOFF_MAX: SimDuration = SimDuration::from_secs(300);
/// Wait before the n-th retry after a function error: n minutes (docs, above: 1 min, then
/// 2 min).
pub const ERROR_RETRY_STEP: SimDuration = SimDuration::from_secs(60);

/// What happens to an async event after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Tried again when ready at this time.
    RetryAt(SimTime),
    /// Too old by then: it expires.
    Expired,
    /// Its retries are used up: lost (dropped or to the destination).
    Exhausted,
}

/// Backoff after the `n`-th throttle of an event (n >= 1): 1 s, 2 s, 4 s, … up to 5 min.
pub fn throttle_backoff(n: u32) -> SimDuration {
    let doublings = n.saturating_sub(1).min(20);
    let d = THROTTLE_BACKOFF_FIRST.as_us() << doublings;
    SimDuration(d.min(THROTTLE_BACKOFF_MAX.as_us()))
}

/// An event that arrived at `arrival` was throttled at `now` for the `n`-th time.
pub fn after_throttle(p: &AsyncParams, arrival: SimTime, now: SimTime, n: u32) -> RetryDecision {
    retry_unless_too_old(p, arrival, now + throttle_backoff(n))
}

/// An event that arrived at `arrival` failed at `now` with its `n`-th function error.
pub fn after_error(p: &AsyncParams, arrival: SimTime, now: SimTime, n: u32) -> RetryDecision {
    if n > p.max_retries {
        return RetryDecision::Exhausted;
    }
    let wait = SimDuration(ERROR_RETRY_STEP.as_us() * n as u64);
    retry_unless_too_old(p, arrival, now + wait)
}

/// Retried at `at` unless the event is older than its maximum age by then.
fn retry_unless_too_old(p: &AsyncParams, arrival: SimTime, at: SimTime) -> RetryDecision {
    if at - arrival > p.max_event_age {
        RetryDecision::Expired
    } else {
        RetryDecision::RetryAt(at)
    }
}

#[cfg(test)]
mod tests {
    use super::super::ASYNC_DEFAULTS;
    use super::*;

    /// Exact: 1, 2, 4, …, 256 s, then the 5-minute cap (docs).
    #[test]
    fn throttle_backoff_doubles_from_one_second_to_five_minutes() {
        let secs: Vec<u64> = (1..=11)
            .map(|n| throttle_backoff(n).as_us() / 1_000_000)
            .collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(throttle_backoff(1_000), THROTTLE_BACKOFF_MAX);
    }

    /// Exact, hand-traced: an event throttled at every attempt under the default 6 h age is
    /// tried at 0, 1, 3, 7, 15, 31, 63, 127, 255, 511 s, then every 300 s: 511 + 300·70 =
    /// 21,511 s ≤ 21,600 s is the 80th and last attempt; the next (21,811 s) expires.
    #[test]
    fn an_always_throttled_event_is_tried_eighty_times_in_six_hours() {
        let p = ASYNC_DEFAULTS;
        let mut now = SimTime::ZERO;
        let mut attempts = 1;
        while let RetryDecision::RetryAt(t) = after_throttle(&p, SimTime::ZERO, now, attempts) {
            now = t;
            attempts += 1;
        }
        assert_eq!(attempts, 80);
        assert_eq!(now, SimTime(21_511 * 1_000_000));
    }

    /// Exact: errors retry after 1 and 2 minutes, then the event is lost; with 0 retries it
    /// is lost at once; an age limit shorter than the wait expires it.
    #[test]
    fn errors_retry_after_one_then_two_minutes_then_are_exhausted() {
        let p = ASYNC_DEFAULTS;
        let t0 = SimTime(5);
        assert_eq!(
            after_error(&p, t0, t0, 1),
            RetryDecision::RetryAt(t0 + SimDuration::from_secs(60))
        );
        let t1 = SimTime(70_000_000);
        assert_eq!(
            after_error(&p, t0, t1, 2),
            RetryDecision::RetryAt(t1 + SimDuration::from_secs(120))
        );
        assert_eq!(after_error(&p, t0, t1, 3), RetryDecision::Exhausted);
        let none = AsyncParams {
            max_retries: 0,
            ..p
        };
        assert_eq!(after_error(&none, t0, t0, 1), RetryDecision::Exhausted);
        let short = AsyncParams {
            max_event_age: SimDuration::from_secs(60),
            ..p
        };
        assert_eq!(
            after_error(&short, SimTime::ZERO, SimTime(1), 1),
            RetryDecision::Expired
        );
    }
}
