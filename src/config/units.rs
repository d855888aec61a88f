//! Units in scenario files: durations (`"250ms"`, `"1.5s"`, `"10m"`), clock times
//! (`"14:00"`). A number without a unit is an error: `keep_alive = 10` could mean seconds or
//! minutes, and a silent guess is worse than a clear message.

use crate::engine::time::{SimDuration, US_PER_DAY, US_PER_H, US_PER_MIN, US_PER_MS, US_PER_S};
use crate::error::ValueError;

/// The units a duration may carry, longest suffix first so `ms` is not read as `m`.
const UNITS: [(&str, u64); 6] = [
    ("us", 1),
    ("ms", US_PER_MS),
    ("s", US_PER_S),
    ("m", US_PER_MIN),
    ("h", US_PER_H),
    ("d", US_PER_DAY),
];

/// Parses a non-negative duration with a unit: `us`, `ms`, `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Result<SimDuration, ValueError> {
    let t = text.trim();
    let unit = UNITS
        .iter()
        .filter(|(u, _)| t.ends_with(u))
        .max_by_key(|(u, _)| u.len());
    let Some(&(suffix, us_per_unit)) = unit else {
        return Err(format!(
            "expected a duration with a unit (us, ms, s, m, h, d), e.g. \"250ms\"; got \"{text}\""
        )
        .into());
    };
    let number = t[..t.len() - suffix.len()].trim();
    let value: f64 = number.parse().map_err(|_| {
        ValueError(format!(
            "expected a duration like \"250ms\" (a number, then a unit); got \"{text}\""
        ))
    })?;
    if !value.is_finite() {
        return Err(format!("duration must be finite; got \"{text}\"").into());
    }
    if value < 0.0 {
        return Err(format!("duration must not be negative; got \"{text}\"").into());
    }
    let us = value * us_per_unit as f64;
    if us > 1e17 {
        return Err(format!("duration is too long (over 3,000 years); got \"{text}\"").into());
    }
    Ok(SimDuration::from_us_f64(us))
}

/// Parses a time of day `"HH:MM"` or `"HH:MM:SS"` into the span since midnight.
pub fn parse_clock_time(text: &str) -> Result<SimDuration, ValueError> {
    let bad = || {
        ValueError(format!(
            "expected a time of day like \"14:00\"; got \"{text}\""
        ))
    };
    let parts: Vec<&str> = text.trim().split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(bad());
    }
    let mut fields = [0u64; 3];
    for (slot, p) in fields.iter_mut().zip(&parts) {
        *slot = p.parse().map_err(|_| bad())?;
    }
    let [h, m, s] = fields;
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(SimDuration((h * 3600 + m * 60 + s) * US_PER_S))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_every_unit_parse_to_microseconds() {
        assert_eq!(parse_duration("500us"), Ok(SimDuration(500)));
        assert_eq!(parse_duration("120ms"), Ok(SimDuration(120_000)));
        assert_eq!(parse_duration("1.5s"), Ok(SimDuration(1_500_000)));
        assert_eq!(parse_duration("10m"), Ok(SimDuration(600_000_000)));
        assert_eq!(parse_duration("2h"), Ok(SimDuration(7_200_000_000)));
        assert_eq!(parse_duration(" 1d "), Ok(SimDuration(86_400_000_000)));
        assert_eq!(parse_duration("0s"), Ok(SimDuration(0)));
    }

    #[test]
    fn bare_numbers_negative_and_garbage_durations_are_rejected() {
        for bad in [
            "10",
            "-5ms",
            "fast",
            "ms",
            "1e400s",
            "NaNs",
            "",
            "5 parsecs",
            "1e20d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn clock_times_parse_and_reject_out_of_range() {
        assert_eq!(
            parse_clock_time("14:00"),
            Ok(SimDuration(14 * 3600 * US_PER_S))
        );
        assert_eq!(parse_clock_time("00:00:30"), Ok(SimDuration(30 * US_PER_S)));
        assert!(parse_clock_time("24:00").is_err());
        assert!(parse_clock_time("2pm").is_err());
    }
}
