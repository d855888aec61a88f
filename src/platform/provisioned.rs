//! Platform mitigations configured per function: provisioned concurrency (a constant count
//! or a daily schedule) and warm-up pings (DESIGN.md, "Sandbox lifecycle"; issue 6). The
//! simulation loop (`sim.rs`) acts on them; this module holds the configuration and the
//! arithmetic of the schedule.
//!
//! Provisioned concurrency: the sandboxes are initialised ahead of traffic, off the request
//! path, without the init CPU boost (facts.md "No boost for Provisioned-Concurrency inits"),
//! are not reclaimed by keep-alive while provisioned, and are replaced at the platform's
//! maximum lifetime with the replacement initialised first (it starts [`RECYCLE_LEAD`]
//! before the old sandbox's lifetime ends; if its init takes longer, the old one serves
//! until the replacement is ready, so capacity never dips).

use crate::engine::{SimDuration, SimTime};

/// One day of simulated time: schedules repeat with this period; the run starts at midnight.
pub const DAY: SimDuration = SimDuration(86_400_000_000);

/// Handler time of a warm-up ping when the scenario does not give one: 5 ms (a ping handler
/// returns at once; the figure is an assumption, its billed time rounds to whole ms).
pub const DEFAULT_PING: SimDuration = SimDuration(5_000);

/// How long before a provisioned sandbox's maximum lifetime its replacement starts to
/// initialise. AWS publishes no figure; 2 minutes is an assumption that covers every init
/// the models produce (init is capped at 10 s on demand, facts.md §2).
pub const RECYCLE_LEAD: SimDuration = SimDuration(120_000_000);

/// Provisioned concurrency of one function: a count in force from each time of day, the
/// schedule repeating every 24 h of simulated time. A constant count is one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcSchedule {
    /// (time of day, count), sorted by time of day, times unique.
    entries: Vec<(SimDuration, u32)>,
}

impl PcSchedule {
    /// `count` sandboxes all the time.
    pub fn constant(count: u32) -> Self {
        PcSchedule {
            entries: vec![(SimDuration::ZERO, count)],
        }
    }

    /// A daily schedule from (time of day, count) entries in any order. Each count holds
    /// from its time of day until the next entry's; at midnight the last entry's count is
    /// in force. Two entries at the same time of day are an error.
    pub fn daily(mut entries: Vec<(SimDuration, u32)>) -> Result<Self, String> {
        entries.sort_by_key(|e| e.0);
        if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!(
                "two entries at the same time of day ({} s after midnight)",
                w[0].0.as_secs_f64()
            ));
        }
        if entries.iter().any(|e| e.0 >= DAY) {
            return Err("times of day must be before 24:00".into());
        }
        if entries.is_empty() {
            return Err("a schedule needs at least one entry".into());
        }
        Ok(PcSchedule { entries })
    }

    /// Whether the count never changes.
    pub fn is_constant(&self) -> bool {
        self.entries.iter().all(|e| e.1 == self.entries[0].1)
    }

    /// The count in force at `t` (an entry's count holds from its own instant on).
    pub fn count_at(&self, t: SimTime) -> u32 {
        let tod = SimDuration(t.0 % DAY.0);
        match self.entries.iter().rev().find(|e| e.0 <= tod) {
            Some(e) => e.1,
            None => self.entries[self.entries.len() - 1].1,
        }
    }

    /// The first instant after `t` at which an entry takes effect (`None` when constant).
    pub fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        if self.is_constant() {
            return None;
        }
        let day_start = t.0 - t.0 % DAY.0;
        (0..2u64)
            .flat_map(|d| {
                self.entries
                    .iter()
                    .map(move |e| SimTime(day_start + d * DAY.0 + e.0.0))
            })
            .find(|&at| at > t)
    }

    /// The integral of the count over `[from, to)`, sandbox-µs: the configured provisioned
    /// time, which is what provisioned concurrency is billed by.
    pub fn integral_us(&self, from: SimTime, to: SimTime) -> u128 {
        let mut sum = 0u128;
        let mut t = from;
        while t < to {
            let next = self.next_change_after(t).map_or(to, |n| n.min(to));
            sum += self.count_at(t) as u128 * (next.0 - t.0) as u128;
            t = next;
        }
        sum
    }
}

/// Warm-up pings of one function: at `every`, 2·`every`, ... `concurrency` pings arrive at
/// the same instant, each running the handler for `duration`. They take idle sandboxes or
/// cold-start like requests but are reported apart from user requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pings {
    /// Period.
    pub every: SimDuration,
    /// Pings per period, arriving together.
    pub concurrency: u32,
    /// Handler time of one ping.
    pub duration: SimDuration,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(x: u64) -> SimDuration {
        SimDuration(x * 3_600_000_000)
    }

    /// Tolerance: exact. 10 from 08:00, 2 from 20:00: midnight has the last entry's 2, a day
    /// integrates to 12 h × 10 + 12 h × 2 = 144 sandbox-hours.
    #[test]
    fn schedule_wraps_at_midnight_and_integrates_by_hand() {
        let s = PcSchedule::daily(vec![(h(20), 2), (h(8), 10)]).unwrap();
        assert_eq!(s.count_at(SimTime::ZERO), 2);
        assert_eq!(s.count_at(SimTime::ZERO + h(8)), 10);
        assert_eq!(s.count_at(SimTime::ZERO + h(19)), 10);
        assert_eq!(s.count_at(SimTime::ZERO + h(20)), 2);
        assert_eq!(s.count_at(SimTime::ZERO + h(24 + 9)), 10);
        assert_eq!(
            s.next_change_after(SimTime::ZERO),
            Some(SimTime::ZERO + h(8))
        );
        assert_eq!(
            s.next_change_after(SimTime::ZERO + h(20)),
            Some(SimTime::ZERO + h(32))
        );
        assert_eq!(
            s.integral_us(SimTime::ZERO, SimTime::ZERO + h(24)),
            144 * 3_600_000_000
        );
        assert!(PcSchedule::daily(vec![(h(1), 1), (h(1), 2)]).is_err());
        let c = PcSchedule::constant(5);
        assert_eq!(c.next_change_after(SimTime::ZERO), None);
        assert_eq!(
            c.integral_us(SimTime::ZERO, SimTime::ZERO + h(2)),
            10 * 3_600_000_000
        );
    }
}
