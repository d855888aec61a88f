//! The scaling rate: at most N new execution environments per function in any window of W
//! (AWS: 1,000 per 10 s, refilled continuously, unused rate not accumulated; docs
//! scaling-behavior.html, facts.md §2 "Scaling"). Modelled as a sliding window: a slot used
//! at t is free again at t + W. Memory: one timestamp per slot, allocated as used.

use crate::engine::{SimDuration, SimTime};

/// Sliding-window limit on sandbox creation for one function.
#[derive(Clone, Debug)]
pub struct ScalingWindow {
    limit: u32,
    window: SimDuration,
    /// Creation times of the last `limit` sandboxes, a ring once full.
    ring: Vec<SimTime>,
    oldest: usize,
}

impl ScalingWindow {
    /// A window allowing `limit` (>= 1) creations per `window`.
    pub fn new(limit: u32, window: SimDuration) -> Self {
        ScalingWindow {
            limit: limit.max(1),
            window,
            ring: Vec::new(),
            oldest: 0,
        }
    }

    /// Takes a slot at `now`, or returns the time the next slot frees.
    #[inline]
    pub fn try_take(&mut self, now: SimTime) -> Result<(), SimTime> {
        if (self.ring.len() as u32) < self.limit {
            self.ring.push(now);
            return Ok(());
        }
        let free_at = self.ring[self.oldest] + self.window;
        if free_at <= now {
            self.ring[self.oldest] = now;
            self.oldest = (self.oldest + 1) % self.ring.len();
            Ok(())
        } else {
            Err(free_at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_limit_creations_in_any_window() {
        let mut w = ScalingWindow::new(3, SimDuration(10));
        assert!(w.try_take(SimTime(0)).is_ok());
        assert!(w.try_take(SimTime(2)).is_ok());
        assert!(w.try_take(SimTime(4)).is_ok());
        assert_eq!(w.try_take(SimTime(5)), Err(SimTime(10)));
        assert!(w.try_take(SimTime(10)).is_ok()); // the slot of t=0 is free again
        assert_eq!(w.try_take(SimTime(11)), Err(SimTime(12)));
        assert!(w.try_take(SimTime(12)).is_ok());
    }
}
