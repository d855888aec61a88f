//! A tournament (loser) tree over a set of slots, one per self-rescheduling process (a
//! traffic source), each holding at most one pending event keyed by [`EventKey`].
//!
//! Each internal node keeps the loser of the match played there, the root the overall
//! winner. Giving the winner a new key replays the matches on the path from its leaf to the
//! root: always the same `log2(slots)` nodes, one comparison each, whatever the keys, so
//! the replay has no data-dependent branch to mispredict and its loads do not wait on
//! earlier comparisons (unlike a heap's sift, which picks its path as it goes). A match
//! compares the two times only (one 64-bit compare); the rare match between equal times
//! compares whole keys, so ties still go by scheduling order.

use super::heap::EventKey;

/// The key of an empty slot: after every real key.
const EMPTY: u128 = u128::MAX;

#[inline(always)]
fn packed(key: EventKey) -> u128 {
    ((key.time.0 as u128) << 64) | key.seq as u128
}

/// The time half of a packed key.
#[inline(always)]
fn time_of(key: u128) -> u64 {
    (key >> 64) as u64
}

#[inline(always)]
fn unpacked(key: u128) -> EventKey {
    EventKey {
        time: crate::engine::SimTime((key >> 64) as u64),
        seq: key as u64,
    }
}

/// Pending events of a set of slots, smallest key first; see the module documentation.
#[derive(Clone, Debug)]
pub struct Tournament<E> {
    /// `nodes[0]` is the winning slot; `nodes[i]` for `1 <= i < width` the slot that lost
    /// at node `i`, whose children are `2i` and `2i + 1` (`width + j` stands for slot `j`).
    nodes: Vec<u32>,
    /// Key of each slot (`EMPTY` when it holds nothing), `width` of them (a power of two).
    keys: Vec<u128>,
    /// The time half of each slot's key, apart: the matches decided by time read 8 bytes
    /// at a plain index.
    times: Vec<u64>,
    /// The event of each slot in use.
    events: Vec<Option<E>>,
    /// Slots emptied by [`pop`](Self::pop), reused by [`push`](Self::push).
    free: Vec<usize>,
    /// Slots holding an event.
    len: usize,
}

impl<E: Copy> Default for Tournament<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> Tournament<E> {
    /// No slots.
    pub fn new() -> Self {
        Tournament {
            nodes: vec![0],
            keys: vec![EMPTY],
            times: vec![time_of(EMPTY)],
            events: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// Number of pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no slot holds an event.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The winning slot and its key (`EMPTY` when nothing is pending).
    #[inline(always)]
    fn winner(&self) -> (usize, u128) {
        let slot = self.nodes[0] as usize;
        (slot, self.keys[slot])
    }

    /// The smallest key, if any.
    #[inline]
    pub fn peek_key(&self) -> Option<EventKey> {
        let (_, key) = self.winner();
        (key != EMPTY).then(|| unpacked(key))
    }

    /// The event with the smallest key, if any.
    #[inline]
    pub fn peek(&self) -> Option<(EventKey, E)> {
        let (slot, key) = self.winner();
        if key == EMPTY {
            return None;
        }
        self.events[slot].map(|e| (unpacked(key), e))
    }

    /// Adds `event` at `key` in an empty slot (a new one if none is free). Rebuilds the
    /// tree: O(slots), meant for setting up the processes, not for every event.
    pub fn push(&mut self, key: EventKey, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.events[slot] = Some(event);
                slot
            }
            None => {
                self.events.push(Some(event));
                self.events.len() - 1
            }
        };
        if self.events.len() > self.keys.len() {
            let width = self.events.len().next_power_of_two();
            self.keys.resize(width, EMPTY);
            self.times.resize(width, time_of(EMPTY));
        }
        self.keys[slot] = packed(key);
        self.times[slot] = key.time.0;
        self.len += 1;
        self.rebuild();
    }

    /// Gives the winning slot a new key and event and returns its old ones. The tournament
    /// must not be empty.
    #[inline]
    pub fn replace_top(&mut self, key: EventKey, event: E) -> (EventKey, E) {
        let (slot, old_key) = self.winner();
        debug_assert!(old_key != EMPTY, "replace_top on an empty tournament");
        let old = self.events[slot].expect("the winner holds an event");
        self.events[slot] = Some(event);
        self.replay(slot, packed(key));
        (unpacked(old_key), old)
    }

    /// Removes and returns the event with the smallest key; its slot becomes empty.
    #[inline]
    pub fn pop(&mut self) -> Option<(EventKey, E)> {
        let (slot, key) = self.winner();
        if key == EMPTY {
            return None;
        }
        let old = self.events[slot].take().expect("the winner holds an event");
        self.len -= 1;
        self.free.push(slot);
        self.replay(slot, EMPTY);
        Some((unpacked(key), old))
    }

    /// Sets the key of `slot`, the current winner, and replays its matches up to the root.
    #[inline(always)]
    fn replay(&mut self, slot: usize, key: u128) {
        let width = self.keys.len();
        // Indices masked by `width - 1` (a power of two, and every index is below it) are
        // unchanged, and provably in bounds: the replay needs no bounds check.
        let mask = width - 1;
        let nodes = &mut self.nodes[..width];
        let keys = &mut self.keys[..width];
        let times = &mut self.times[..width];
        keys[slot & mask] = key;
        times[slot & mask] = time_of(key);
        let mut best = slot as u32;
        let mut best_time = time_of(key);
        let mut node = (width + slot) / 2;
        // Matches decided by time, branch-free, until one meets an equal time (rare).
        while node > 0 {
            let stored = nodes[node & mask];
            let stored_time = times[stored as usize & mask];
            if stored_time == best_time {
                break;
            }
            let swap = stored_time < best_time;
            nodes[node & mask] = std::hint::select_unpredictable(swap, best, stored);
            best = std::hint::select_unpredictable(swap, stored, best);
            best_time = std::hint::select_unpredictable(swap, stored_time, best_time);
            node /= 2;
        }
        // From an equal time on, whole keys: equal times go by scheduling order.
        while node > 0 {
            let stored = nodes[node & mask];
            if keys[stored as usize & mask] < keys[best as usize & mask] {
                nodes[node & mask] = best;
                best = stored;
            }
            node /= 2;
        }
        nodes[0] = best;
    }

    /// Plays every match from the slots' keys.
    fn rebuild(&mut self) {
        let width = self.keys.len();
        // winners[i] for node i; slot j at width + j.
        let mut winners: Vec<u32> = vec![0; 2 * width];
        for j in 0..width {
            winners[width + j] = j as u32;
        }
        self.nodes = vec![0; width];
        for i in (1..width).rev() {
            let (a, b) = (winners[2 * i], winners[2 * i + 1]);
            let (win, lose) = if self.keys[b as usize] < self.keys[a as usize] {
                (b, a)
            } else {
                (a, b)
            };
            winners[i] = win;
            self.nodes[i] = lose;
        }
        self.nodes[0] = if width > 1 { winners[1] } else { 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng as _, SeedableRng};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    fn key(time: u64, seq: u64) -> EventKey {
        EventKey::at(time, seq)
    }

    /// Tolerance: exact. Random replacements, removals and additions of slots, with many
    /// equal times (ties broken by sequence), against std's BinaryHeap as the reference.
    #[test]
    fn matches_a_reference_heap_under_random_operations_with_ties() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(99);
        for round in 0..300 {
            let mut t = Tournament::new();
            let mut reference = BinaryHeap::new();
            let mut seq = 0u64;
            let spread = [2u64, 30, 10_000][round % 3];
            let slots = rng.random_range(1..=70);
            for _ in 0..slots {
                let k = key(rng.random_range(0..spread), seq);
                seq += 1;
                t.push(k, seq);
                reference.push(Reverse((k, seq)));
            }
            for _ in 0..3_000 {
                assert_eq!(t.len(), reference.len());
                assert_eq!(t.peek(), reference.peek().map(|r| r.0));
                assert_eq!(t.peek_key(), reference.peek().map(|r| r.0.0));
                if reference.is_empty() {
                    break;
                }
                match rng.random_range(0..20) {
                    0 => {
                        let Reverse(want) = reference.pop().unwrap();
                        assert_eq!(t.pop(), Some(want));
                    }
                    1 => {
                        // A new slot while others are in play.
                        let k = key(rng.random_range(0..spread), seq);
                        seq += 1;
                        t.push(k, seq);
                        reference.push(Reverse((k, seq)));
                    }
                    _ => {
                        // The successor is never earlier than the event it replaces.
                        let Reverse(want) = reference.pop().unwrap();
                        let k = key(want.0.time.0 + rng.random_range(0..spread), seq);
                        seq += 1;
                        assert_eq!(t.replace_top(k, seq), want);
                        reference.push(Reverse((k, seq)));
                    }
                }
            }
            while let Some(Reverse(want)) = reference.pop() {
                assert_eq!(t.pop(), Some(want));
            }
            assert!(t.is_empty());
            assert_eq!(t.pop(), None);
            assert_eq!(t.peek(), None);
        }
    }

    #[test]
    fn a_single_slot_works() {
        let mut t = Tournament::new();
        assert_eq!(t.pop(), None);
        t.push(key(3, 0), 'a');
        assert_eq!(t.replace_top(key(4, 1), 'b'), (key(3, 0), 'a'));
        assert_eq!(t.peek(), Some((key(4, 1), 'b')));
        assert_eq!(t.pop(), Some((key(4, 1), 'b')));
        assert!(t.is_empty());
    }
}
