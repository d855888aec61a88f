//! Simulated time in integer microseconds. Integer time makes event order exact and runs
//! byte-reproducible; one microsecond is far below any latency the model resolves.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in simulated time, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

/// Microseconds per millisecond, second, minute, hour, day.
pub const US_PER_MS: u64 = 1_000;
/// Microseconds per second.
pub const US_PER_S: u64 = 1_000_000;
/// Microseconds per minute.
pub const US_PER_MIN: u64 = 60 * US_PER_S;
/// Microseconds per hour.
pub const US_PER_H: u64 = 60 * US_PER_MIN;
/// Microseconds per day.
pub const US_PER_DAY: u64 = 24 * US_PER_H;

/// Below this many microseconds (2^62, about 146,000 years) `us + 0.5` stays under 2^63, so
/// [`round_half_up_small`] may convert through `i64`.
const EXACT_I64_US: f64 = (1u64 << 62) as f64;

/// `us` rounded half up if `0 <= us < EXACT_I64_US` (else `None`): `(us + 0.5) as u64`, the
/// same value, by one truncating conversion instruction. `as u64` takes a dozen on x86-64,
/// and `as i64` seven (it saturates NaN and out-of-range values, which the range check here
/// already rules out). Measured: the seven instead of one cost about 4% of the reference
/// workload's whole run (README, "Speed and memory"), as each arrival and handler time goes
/// through here and the checks lengthen their dependency chains.
#[inline(always)]
fn round_half_up_small(us: f64) -> Option<u64> {
    if !(0.0..EXACT_I64_US).contains(&us) {
        return None;
    }
    // SAFETY: `0.5 <= us + 0.5 < 2^62 + 1`: finite, and its truncation fits in an `i64`,
    // which is all `to_int_unchecked` requires.
    let n: i64 = unsafe { (us + 0.5).to_int_unchecked() };
    Some(n as u64)
}

impl SimTime {
    /// The start of the run.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any event of a run.
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// Microseconds since the start of the run.
    pub fn as_us(self) -> u64 {
        self.0
    }

    /// Seconds since the start of the run.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / US_PER_S as f64
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span of `ms` milliseconds.
    pub const fn from_ms(ms: u64) -> Self {
        SimDuration(ms * US_PER_MS)
    }

    /// A span of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * US_PER_S)
    }

    /// A span of `s` seconds, rounded to the nearest microsecond; negative and NaN give zero,
    /// too large saturates.
    pub fn from_secs_f64(s: f64) -> Self {
        Self::from_us_f64(s * US_PER_S as f64)
    }

    /// A span of `ms` milliseconds, rounded to the nearest microsecond; negative and NaN give
    /// zero, too large saturates.
    pub fn from_ms_f64(ms: f64) -> Self {
        Self::from_us_f64(ms * US_PER_MS as f64)
    }

    /// A span of `us` microseconds, rounded half up; negative and NaN give zero, too large
    /// saturates. Every draw of the simulator goes through here (handler times, arrival
    /// times), so the usual range takes one conversion instruction ([`round_half_up_small`]).
    #[inline(always)]
    pub fn from_us_f64(us: f64) -> Self {
        if let Some(n) = round_half_up_small(us) {
            SimDuration(n)
        } else if us.is_nan() || us <= 0.0 {
            SimDuration(0)
        } else if us >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            // x + 0.5 truncated is round-half-up for x >= 0, and avoids a libm call on the
            // hot path.
            SimDuration((us + 0.5) as u64)
        }
    }

    /// Microseconds.
    pub fn as_us(self) -> u64 {
        self.0
    }

    /// Milliseconds.
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / US_PER_MS as f64
    }

    /// Seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / US_PER_S as f64
    }

    /// `self − other`, or zero if `other` is longer.
    pub fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
}

impl std::ops::Sub for SimDuration {
    type Output = SimDuration;
    /// Saturating: never below zero.
    fn sub(self, other: SimDuration) -> SimDuration {
        self.saturating_sub(other)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}ms", self.as_ms_f64())
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: the i64 fast path gives the bits of `(us + 0.5) as u64` wherever it applies
    /// (halves, the last values below 2^53 and 2^62, tiny and subnormal values).
    #[test]
    fn the_fast_rounding_equals_the_saturating_cast_in_its_range() {
        let below = |x: f64| f64::from_bits(x.to_bits() - 1);
        let values = [
            f64::MIN_POSITIVE / 4.0,
            1e-300,
            0.25,
            0.5,
            below(0.5),
            1.5,
            2.5,
            123_456.5,
            below(9_007_199_254_740_992.0),
            9_007_199_254_740_992.0,
            1e17 + 0.5,
            below(EXACT_I64_US),
        ];
        for us in values {
            assert_eq!(round_half_up_small(us), Some((us + 0.5) as u64), "{us}");
            assert_eq!(SimDuration::from_us_f64(us).0, (us + 0.5) as u64, "{us}");
        }
        assert_eq!(
            SimDuration::from_us_f64(EXACT_I64_US).0,
            (EXACT_I64_US + 0.5) as u64
        );
        for outside in [
            EXACT_I64_US,
            -0.0 - f64::MIN_POSITIVE,
            -0.4,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(round_half_up_small(outside), None, "{outside}");
        }
        assert_eq!(SimDuration::from_us_f64(f64::NAN).0, 0);
        assert_eq!(SimDuration::from_us_f64(-0.4).0, 0);
        assert_eq!(SimDuration::from_us_f64(1e30).0, u64::MAX);
    }

    #[test]
    fn float_conversions_round_to_nearest_microsecond_and_clamp() {
        assert_eq!(SimDuration::from_ms_f64(1.2345).as_us(), 1235);
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e300).as_us(), u64::MAX);
    }

    #[test]
    fn time_arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime(5) - SimTime(9), SimDuration::ZERO);
        assert_eq!(SimTime::NEVER + SimDuration(1), SimTime::NEVER);
    }
}
