//! Fetches in flight into one cache. A chunk a cache has just missed is not there until its
//! fetch from the tier below completes; another read of it in the meantime waits for that
//! same fetch (request coalescing) instead of being served at the cache's hit latency. This
//! is what makes a burst of cold starts right after a deploy slow for all of them, not only
//! for the first: they all wait on the origin fetches the first one started (the seed
//! article's first image burst, ../shared/seeds/000_66ccf4872cec5838.txt).

use std::collections::HashMap;

use super::chunk::ChunkId;
use super::tiers::BuildIdentity;
use crate::engine::SimTime;

/// Entries kept before stale ones are swept (the sweep threshold then doubles as needed).
const SWEEP_AT_LEAST: usize = 1024;

/// Chunks being filled into one cache and when each fill lands. Memory holds the fills
/// still in flight (plus those landed since the last sweep), not the history.
#[derive(Clone, Debug, Default)]
pub struct InFlight {
    ready_at: HashMap<ChunkId, SimTime, BuildIdentity>,
    /// The latest landing time recorded: at or after it nothing is in flight.
    latest: SimTime,
    sweep_at: usize,
}

impl InFlight {
    /// When the fill of `id` lands, if it is still in flight at `at`.
    #[inline]
    pub fn pending(&self, id: ChunkId, at: SimTime) -> Option<SimTime> {
        if at >= self.latest {
            return None;
        }
        self.ready_at.get(&id).copied().filter(|&r| r > at)
    }

    /// Records that a fill of `id` started now lands at `ready`. `now` is the simulation
    /// time of the caller's event (not decreasing from call to call); entries landed by then
    /// are dropped in bulk.
    #[inline]
    pub fn insert(&mut self, id: ChunkId, ready: SimTime, now: SimTime) {
        if now >= self.latest && !self.ready_at.is_empty() {
            self.ready_at.clear();
        } else if self.ready_at.len() >= self.sweep_at.max(SWEEP_AT_LEAST) {
            self.ready_at.retain(|_, r| *r > now);
            self.sweep_at = 2 * self.ready_at.len();
        }
        let r = self.ready_at.entry(id).or_insert(ready);
        *r = (*r).max(ready);
        self.latest = self.latest.max(ready);
    }

    /// Entries held (landed ones not swept yet included).
    pub fn len(&self) -> usize {
        self.ready_at.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.ready_at.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_is_pending_until_it_lands_and_then_forgotten() {
        let mut f = InFlight::default();
        let id = ChunkId(7);
        f.insert(id, SimTime(1_000), SimTime(0));
        assert_eq!(f.pending(id, SimTime(0)), Some(SimTime(1_000)));
        assert_eq!(f.pending(id, SimTime(999)), Some(SimTime(1_000)));
        assert_eq!(f.pending(id, SimTime(1_000)), None);
        assert_eq!(f.pending(ChunkId(8), SimTime(0)), None);
        // A later insert after everything landed starts from an empty table.
        f.insert(ChunkId(9), SimTime(3_000), SimTime(2_000));
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn memory_stays_bounded_under_a_steady_stream_of_fills() {
        let mut f = InFlight::default();
        // One fill every 10 µs, each in flight 1 ms: about 100 in flight at any time, and
        // something is always in flight, so only the sweep keeps the table small.
        for i in 0..1_000_000u64 {
            let now = SimTime(i * 10);
            f.insert(ChunkId(i), SimTime(i * 10 + 1_000), now);
            assert!(f.len() <= 4 * SWEEP_AT_LEAST, "table grew to {}", f.len());
        }
    }
}
