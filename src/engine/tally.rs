//! A tally of pending instants (the end times of requests whose completion is processed
//! lazily) by coarse bucket of simulated time. It answers "how many of them are certainly
//! past?" without ordering them: every instant in a bucket that ends at or before the
//! current time is past. The answer is a lower bound, short only by the instants in the
//! current bucket, and costs O(1) per instant; memory is a fixed ring plus one entry per
//! instant beyond the ring's horizon.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::time::SimTime;

/// Bucket width, log2 µs: 65.5 ms.
const BUCKET_SHIFT: u32 = 16;
/// Buckets in the ring: a horizon of about 16.8 s.
const SLOTS: usize = 1 << 8;
const MASK: u64 = SLOTS as u64 - 1;

#[inline(always)]
fn bucket(t: SimTime) -> u64 {
    t.0 >> BUCKET_SHIFT
}

/// Pending instants counted by bucket; see the module documentation.
#[derive(Clone, Debug)]
pub struct TimeTally {
    /// Instants per bucket, for buckets `cursor .. cursor + SLOTS` (a ring).
    ring: Box<[u32]>,
    /// The bucket of the latest [`advance`](Self::advance).
    cursor: u64,
    /// Instants in buckets before `cursor`.
    passed: u32,
    /// Buckets of instants beyond the ring's horizon, moved in as the cursor advances.
    far: BinaryHeap<Reverse<u64>>,
}

impl Default for TimeTally {
    fn default() -> Self {
        Self::new()
    }
}

impl TimeTally {
    /// An empty tally at time zero.
    pub fn new() -> Self {
        TimeTally {
            ring: vec![0; SLOTS].into_boxed_slice(),
            cursor: 0,
            passed: 0,
            far: BinaryHeap::new(),
        }
    }

    /// Counts a pending instant `t` (any time, past or future).
    #[inline]
    pub fn add(&mut self, t: SimTime) {
        let b = bucket(t);
        if b < self.cursor {
            self.passed += 1;
        } else if b - self.cursor < SLOTS as u64 {
            self.ring[(b & MASK) as usize] += 1;
        } else {
            self.far.push(Reverse(b));
        }
    }

    /// Moves the current time to `now` (never backwards: an earlier `now` is ignored).
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        let nb = bucket(now);
        if nb > self.cursor {
            self.advance_to(nb);
        }
    }

    #[inline(never)]
    fn advance_to(&mut self, nb: u64) {
        // Past SLOTS buckets every slot has been swept once.
        let steps = (nb - self.cursor).min(SLOTS as u64);
        for b in self.cursor..self.cursor + steps {
            let slot = &mut self.ring[(b & MASK) as usize];
            self.passed += *slot;
            *slot = 0;
        }
        self.cursor = nb;
        while let Some(&Reverse(b)) = self.far.peek() {
            if b >= self.cursor && b - self.cursor >= SLOTS as u64 {
                break;
            }
            self.far.pop();
            if b < self.cursor {
                self.passed += 1;
            } else {
                self.ring[(b & MASK) as usize] += 1;
            }
        }
    }

    /// Uncounts a pending instant `t` that was added and is at or before the time of the
    /// latest [`advance`](Self::advance).
    #[inline]
    pub fn remove(&mut self, t: SimTime) {
        let b = bucket(t);
        debug_assert!(
            b <= self.cursor,
            "removing an instant after the current time"
        );
        if b < self.cursor {
            self.passed -= 1;
        } else {
            self.ring[(b & MASK) as usize] -= 1;
        }
    }

    /// How many counted instants lie in buckets wholly before the current time: each of them
    /// is strictly earlier than the time of the latest [`advance`](Self::advance).
    #[inline]
    pub fn passed(&self) -> u32 {
        self.passed
    }

    /// Forgets every instant (the current time stays).
    pub fn clear(&mut self) {
        self.ring.fill(0);
        self.passed = 0;
        self.far.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng as _, SeedableRng};

    /// Tolerance: exact. Against a plain list: `passed` equals the number of pending
    /// instants whose bucket is before the current one, which are all strictly earlier
    /// than now, and it misses only instants of the current bucket.
    #[test]
    fn passed_counts_exactly_the_pending_instants_of_earlier_buckets() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let width = 1u64 << BUCKET_SHIFT;
        let horizon = width * SLOTS as u64;
        for _ in 0..50 {
            let mut tally = TimeTally::new();
            let mut pending: Vec<SimTime> = Vec::new();
            let mut now = SimTime(0);
            for _ in 0..5_000 {
                match rng.random_range(0..10) {
                    0..=3 => {
                        // Mostly near future, sometimes past, sometimes far past the horizon.
                        let t = match rng.random_range(0..10) {
                            0 => SimTime(now.0.saturating_sub(rng.random_range(0..3 * width))),
                            1 => SimTime(now.0 + rng.random_range(horizon..4 * horizon)),
                            _ => SimTime(now.0 + rng.random_range(0..2 * width)),
                        };
                        tally.add(t);
                        pending.push(t);
                    }
                    4..=6 => {
                        // Remove an instant at or before now, as the simulator does.
                        if let Some(i) = pending.iter().position(|&t| t <= now) {
                            tally.remove(pending.swap_remove(i));
                        }
                    }
                    7 => {
                        // A long jump, sometimes over the whole ring.
                        now = SimTime(now.0 + rng.random_range(0..2 * horizon));
                        tally.advance(now);
                    }
                    _ => {
                        now = SimTime(now.0 + rng.random_range(0..width));
                        tally.advance(now);
                    }
                }
                let cursor_start = SimTime(bucket(now) << BUCKET_SHIFT);
                let want = pending.iter().filter(|&&t| t < cursor_start).count() as u32;
                assert_eq!(tally.passed(), want);
                let past = pending.iter().filter(|&&t| t < now).count() as u32;
                assert!(tally.passed() <= past);
            }
            tally.clear();
            assert_eq!(tally.passed(), 0);
            tally.advance(SimTime(now.0 + 10 * horizon));
            assert_eq!(tally.passed(), 0);
        }
    }
}
