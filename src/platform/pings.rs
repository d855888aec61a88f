//! Warm-up pings: a scheduler invokes a function every period with a few concurrent requests
//! to keep sandboxes warm (DESIGN.md, "Traffic and events"; issue 6). The pings take idle
//! sandboxes or cold-start like requests but are reported apart from user requests.

use crate::engine::{SimDuration, SimTime};

/// Handler time of a warm-up ping when the scenario does not give one: 5 ms (a ping handler
/// returns at once; the figure is an assumption, its billed time rounds to whole ms).
pub const DEFAULT_PING: SimDuration = SimDuration(5_000);

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

impl Pings {
    /// The first burst of a run that ends at `end` (none if the period reaches the end).
    pub fn first_burst(&self, end: SimTime) -> Option<SimTime> {
        Some(SimTime::ZERO + self.every).filter(|&t| t < end)
    }

    /// Pings of one burst, started one after another until the first that a limit refuses
    /// (it and the rest of the burst are dropped).
    pub fn burst(&self) -> u32 {
        self.concurrency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: exact. Every 4 min in a 10 min run: the first burst at 4 min; a period of
    /// the run's length gives none.
    #[test]
    fn the_first_burst_is_one_period_in_and_before_the_end() {
        let p = Pings {
            every: SimDuration::from_secs(240),
            concurrency: 3,
            duration: DEFAULT_PING,
        };
        let end = SimTime::ZERO + SimDuration::from_secs(600);
        assert_eq!(p.first_burst(end), Some(SimTime(240_000_000)));
        assert_eq!(p.burst(), 3);
        let long = Pings {
            every: SimDuration::from_secs(600),
            ..p
        };
        assert_eq!(long.first_burst(end), None);
    }
}
