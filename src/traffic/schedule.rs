//! Scheduled invocations (`kind = "schedule"`): EventBridge Scheduler and SAM `Schedule`
//! events, one invocation per firing, `every` a fixed period (`rate(5 minutes)`) or at the
//! minutes an AWS cron expression names (`cron(0 12 * * ? *)`, UTC).
//!
//! A rate schedule fires at time zero and then every period (AWS starts counting when the
//! schedule is created; the run starts there). A cron schedule needs a calendar: the run
//! starts at [`CALENDAR_START`], midnight UTC of Monday 1 January 2024, the same midnight
//! as `peak_at` of the diurnal kind and the provisioned-concurrency schedule.

use jiff::civil::{Date, date};

use super::cron::Cron;
use crate::engine::SimTime;
use crate::engine::time::{US_PER_DAY, US_PER_MIN};

/// The calendar day at time zero of a run, for cron schedules (a Monday).
pub const CALENDAR_START: Date = date(2024, 1, 1);

/// When a schedule fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// At 0, `period`, 2·`period`, … (microseconds, > 0).
    Every {
        /// The period, µs.
        period_us: u64,
    },
    /// At the minutes of the expression, UTC, from [`CALENDAR_START`].
    Cron(Cron),
}

impl Schedule {
    /// Firings in `[0, horizon)`.
    pub fn count_before(&self, horizon: SimTime) -> u64 {
        match self {
            Schedule::Every { period_us } => horizon.as_us().div_ceil(*period_us),
            Schedule::Cron(_) => {
                let mut s = self.start();
                std::iter::from_fn(|| s.next())
                    .take_while(|t| *t < horizon)
                    .count() as u64
            }
        }
    }

    pub(super) fn start(&self) -> ScheduleState {
        ScheduleState {
            schedule: self.clone(),
            next_us: Some(0),
            first: true,
        }
    }
}

/// Running state: the time from which the next firing is searched.
pub(super) struct ScheduleState {
    schedule: Schedule,
    next_us: Option<u64>,
    first: bool,
}

impl ScheduleState {
    /// The next firing, `None` after the last (a cron whose years have passed).
    pub(super) fn next(&mut self) -> Option<SimTime> {
        let from = self.next_us?;
        let at = match &self.schedule {
            Schedule::Every { period_us } => {
                let at = if self.first { from } else { from + period_us };
                (at < SimTime::NEVER.0).then_some(at)
            }
            Schedule::Cron(c) => {
                let from = if self.first { from } else { from + US_PER_MIN };
                cron_at_or_after(c, from)
            }
        };
        self.first = false;
        self.next_us = at;
        at.map(SimTime)
    }
}

/// The first firing of `c` at or after `from_us` (rounded up to a whole minute).
fn cron_at_or_after(c: &Cron, from_us: u64) -> Option<u64> {
    let day_index = from_us / US_PER_DAY;
    let minute = (from_us % US_PER_DAY).div_ceil(US_PER_MIN) as u32;
    let day = CALENDAR_START
        .checked_add(jiff::Span::new().days(i64::try_from(day_index).ok()?))
        .ok()?;
    let (fire_day, fire_minute) = c.next_at_or_after(day, minute)?;
    let days = CALENDAR_START.until(fire_day).ok()?.get_days() as u64;
    Some(days * US_PER_DAY + fire_minute as u64 * US_PER_MIN)
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, ArrivalStream};
    use super::*;
    use crate::engine::Rng;
    use crate::engine::time::US_PER_H;
    use rand::SeedableRng;

    fn arrivals(s: Schedule, horizon: SimTime) -> Vec<u64> {
        let mut stream =
            ArrivalStream::new(&ArrivalProcess::Schedule(s), Rng::seed_from_u64(1)).unwrap();
        std::iter::from_fn(|| stream.next_arrival())
            .take_while(|t| *t < horizon)
            .map(|t| t.as_us())
            .collect()
    }

    #[test]
    fn every_five_minutes_fires_twelve_times_an_hour_from_zero() {
        let s = Schedule::Every {
            period_us: 5 * US_PER_MIN,
        };
        let got = arrivals(s.clone(), SimTime(US_PER_H));
        assert_eq!(got.len(), 12);
        assert_eq!(got[0], 0);
        assert_eq!(got[11], 55 * US_PER_MIN);
        assert_eq!(s.count_before(SimTime(US_PER_H)), 12);
    }

    #[test]
    fn weekday_noon_cron_fires_five_times_in_the_first_week() {
        // 2024-01-01 is a Monday: Monday to Friday at 12:00, not the weekend.
        let s = Schedule::Cron(Cron::parse("0 12 ? * MON-FRI *").unwrap());
        let week = SimTime(7 * US_PER_DAY);
        let got = arrivals(s.clone(), week);
        let expect: Vec<u64> = (0..5).map(|d| d * US_PER_DAY + 12 * US_PER_H).collect();
        assert_eq!(got, expect);
        assert_eq!(s.count_before(week), 5);
    }

    #[test]
    fn every_minute_cron_matches_the_count_of_minutes() {
        let s = Schedule::Cron(Cron::parse("* * * * ? *").unwrap());
        assert_eq!(s.count_before(SimTime(US_PER_DAY)), 1440);
    }
}
