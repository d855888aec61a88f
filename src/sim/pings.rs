//! Warm-up pings in the run: each burst of a function's [`Pings`](crate::platform::pings::Pings)
//! starts like requests (taking idle sandboxes or cold-starting), recorded apart from user
//! requests.

use super::{Event, World};
use crate::engine::SimTime;

impl World<'_> {
    /// At time zero: schedules `f`'s bursts of pings, every period until the end, if it has
    /// pings.
    pub(super) fn start_pings(&mut self, f: usize) {
        let Some(p) = self.sc.functions[f].pings else {
            return;
        };
        if let Some(first) = p.first_burst(self.end) {
            let event = Event::Ping { function: f as u32 };
            self.queue
                .schedule_periodic(first, p.every, self.end, event);
        }
    }

    /// A burst of `f`'s pings arrives together; a ping over a limit is dropped with the rest
    /// of the burst.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_ping(&mut self, now: SimTime, f: usize) {
        let Some(p) = self.sc.functions[f].pings else {
            return;
        };
        let counted = now >= self.measure_from;
        for _ in 0..p.burst() {
            if self.try_start(now, f, now, counted, true).is_err() {
                break;
            }
        }
    }
}
