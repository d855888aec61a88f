//! Calendar days, for splitting measurements by time (`--train-until DATE`).

use std::fmt;

/// A calendar day (proleptic Gregorian), counted in days since 1970-01-01. Parsed from the
/// `YYYY-MM-DD` at the start of a date or timestamp (`2024-06-30`,
/// `2023-12-08 09:38:39.270`, `2023-11-27T19:00:01.123Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day at the start of `s`, or `None` when `s` does not start with a valid
    /// `YYYY-MM-DD` (month 1..=12, day within the month).
    pub fn parse_prefix(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i32> {
            let t = &s.get(r)?;
            if t.bytes().all(|c| c.is_ascii_digit()) {
                t.parse().ok()
            } else {
                None
            }
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        if b.len() > 10 && b[10].is_ascii_digit() {
            return None;
        }
        Some(Day(days_from_civil(y, m, d)))
    }

    /// Year, month, day.
    pub fn civil(self) -> (i32, i32, i32) {
        civil_from_days(self.0)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: i32) -> i32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i32) -> (i32, i32, i32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i32::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(Day::parse_prefix("1970-01-01"), Some(Day(0)));
        // 2024-06-30 is day 19,904 (independently: 54 years incl. 13 leap days = 19,723,
        // plus 181 days of 2024 before June 30).
        assert_eq!(Day::parse_prefix("2024-06-30").unwrap().0, 19_904);
        assert_eq!(
            Day::parse_prefix("2023-12-08 09:38:39.270")
                .unwrap()
                .to_string(),
            "2023-12-08"
        );
        assert_eq!(
            Day::parse_prefix("2023-11-27T19:00:01Z")
                .unwrap()
                .to_string(),
            "2023-11-27"
        );
    }

    #[test]
    fn round_trip_and_rejects() {
        for z in -700_000..2_900_000 {
            if z % 997 == 0 {
                let d = Day(z);
                assert_eq!(Day::parse_prefix(&d.to_string()), Some(d));
            }
        }
        for bad in [
            "",
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-01x",
            "2024-01-011",
        ] {
            assert_eq!(Day::parse_prefix(bad), None, "{bad}");
        }
        assert!(Day::parse_prefix("2024-02-29").is_some());
    }
}
