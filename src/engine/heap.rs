//! A 4-ary min-heap of small `Copy` items keyed by [`EventKey`] (time, then scheduling
//! sequence). It backs the timer lane of the event queue and the per-function lists of
//! requests completed lazily. Four children per node halve the depth of a binary heap; the
//! keys of the children of one node share a cache line or two (24-byte slots for 8-byte
//! items).

use super::time::SimTime;

/// The place of an event in the total order of a run: its time, then the sequence number
/// it was given when scheduled. Sequence numbers are unique, so two keys are never equal
/// and events at the same microsecond come out in the order they were scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    /// When the event happens.
    pub time: SimTime,
    /// Order of scheduling among all events of the run.
    pub seq: u64,
}

impl EventKey {
    /// The key of an event at `time_us` microseconds scheduled `seq`-th.
    pub const fn at(time_us: u64, seq: u64) -> Self {
        EventKey {
            time: SimTime(time_us),
            seq,
        }
    }

    /// A key after every key of a run.
    pub const MAX: EventKey = EventKey {
        time: SimTime::NEVER,
        seq: u64::MAX,
    };

    /// The key as one integer with the same order (time in the high 64 bits): one wide
    /// comparison instead of two dependent ones.
    #[inline(always)]
    fn packed(self) -> u128 {
        ((self.time.0 as u128) << 64) | self.seq as u128
    }
}

#[derive(Clone, Copy, Debug)]
struct Slot<T> {
    key: EventKey,
    item: T,
}

/// Children per node.
const ARITY: usize = 4;

/// Min-heap of `(key, item)` pairs: the smallest key on top.
#[derive(Clone, Debug)]
pub struct KeyedHeap<T> {
    slots: Vec<Slot<T>>,
}

impl<T: Copy> Default for KeyedHeap<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy> KeyedHeap<T> {
    /// An empty heap; allocates nothing until the first push.
    pub fn new() -> Self {
        KeyedHeap { slots: Vec::new() }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when the heap holds nothing.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The smallest key, if any.
    #[inline]
    pub fn peek_key(&self) -> Option<EventKey> {
        self.slots.first().map(|s| s.key)
    }

    /// The entry with the smallest key, if any.
    #[inline]
    pub fn peek(&self) -> Option<(EventKey, T)> {
        self.slots.first().map(|s| (s.key, s.item))
    }

    /// Adds an entry.
    #[inline]
    pub fn push(&mut self, key: EventKey, item: T) {
        self.slots.push(Slot { key, item });
        let last = self.slots.len() - 1;
        self.sift_up(last, Slot { key, item });
    }

    /// Removes and returns the entry with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<(EventKey, T)> {
        let last = self.slots.pop()?;
        let Some(&top) = self.slots.first() else {
            return Some((last.key, last.item));
        };
        if self.slots.len() <= 1 + ARITY {
            // One level below the root: a plain sift down is as short.
            self.sift_down(last);
            return Some((top.key, top.item));
        }
        // The last leaf is usually among the largest keys: sink the hole to the bottom
        // without comparing against it, then let it rise (Floyd).
        let hole = self.hole_to_bottom();
        self.sift_up(hole, last);
        Some((top.key, top.item))
    }

    /// Removes and returns the entry with the smallest key if that key is below `limit`.
    #[inline(always)]
    pub fn pop_before(&mut self, limit: EventKey) -> Option<(EventKey, T)> {
        let top = *self.slots.first()?;
        if top.key.packed() >= limit.packed() {
            return None;
        }
        match self.slots.len() {
            // The common cases of a short heap, inline: what is left is the new top.
            1 => self.slots.clear(),
            2 => {
                self.slots[0] = self.slots[1];
                self.slots.truncate(1);
            }
            _ => return self.pop(),
        }
        Some((top.key, top.item))
    }

    /// Replaces the entry with the smallest key by `(key, item)` and returns the old top:
    /// a pop and a push in one sift. The heap must not be empty.
    #[inline]
    pub fn replace_top(&mut self, key: EventKey, item: T) -> (EventKey, T) {
        let top = self.slots[0];
        self.sift_down(Slot { key, item });
        (top.key, top.item)
    }

    /// Removes every entry, in no particular order.
    pub fn drain(&mut self) -> impl Iterator<Item = (EventKey, T)> + '_ {
        self.slots.drain(..).map(|s| (s.key, s.item))
    }

    /// Index of the child with the smallest key among the children starting at `first`
    /// (which must exist).
    #[inline(always)]
    fn min_child(&self, first: usize) -> usize {
        let s = &self.slots;
        if first + ARITY <= s.len() {
            // Full family: a fixed tournament the compiler turns into conditional moves.
            let k = |i: usize| s[i].key.packed();
            let a = if k(first + 1) < k(first) {
                first + 1
            } else {
                first
            };
            let b = if k(first + 3) < k(first + 2) {
                first + 3
            } else {
                first + 2
            };
            if k(b) < k(a) { b } else { a }
        } else {
            let mut best = first;
            for i in first + 1..s.len() {
                if s[i].key.packed() < s[best].key.packed() {
                    best = i;
                }
            }
            best
        }
    }

    /// Moves `slot` up from the hole at `hole` to its place.
    #[inline(always)]
    fn sift_up(&mut self, mut hole: usize, slot: Slot<T>) {
        let key = slot.key.packed();
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if self.slots[parent].key.packed() <= key {
                break;
            }
            self.slots[hole] = self.slots[parent];
            hole = parent;
        }
        self.slots[hole] = slot;
    }

    /// Puts `slot` at the root and moves it down to its place (top-down, stopping as soon
    /// as it is not larger than its smallest child).
    #[inline(always)]
    fn sift_down(&mut self, slot: Slot<T>) {
        let key = slot.key.packed();
        let len = self.slots.len();
        let mut hole = 0;
        loop {
            let first = ARITY * hole + 1;
            if first >= len {
                break;
            }
            let child = self.min_child(first);
            if key <= self.slots[child].key.packed() {
                break;
            }
            self.slots[hole] = self.slots[child];
            hole = child;
        }
        self.slots[hole] = slot;
    }

    /// Moves the hole at the root down along the smallest children to a leaf; returns it.
    #[inline(always)]
    fn hole_to_bottom(&mut self) -> usize {
        let len = self.slots.len();
        let mut hole = 0;
        loop {
            let first = ARITY * hole + 1;
            if first >= len {
                return hole;
            }
            let child = self.min_child(first);
            self.slots[hole] = self.slots[child];
            hole = child;
        }
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

    #[test]
    fn keys_order_by_time_then_sequence() {
        assert!(key(1, 9) < key(2, 0));
        assert!(key(2, 0) < key(2, 1));
        assert!(key(u64::MAX, 5) < EventKey::MAX);
        assert_eq!(
            key(3, 4).packed() < key(3, 5).packed(),
            key(3, 4) < key(3, 5)
        );
        assert!(key(1, u64::MAX).packed() < key(2, 0).packed());
    }

    /// Tolerance: exact. Random pushes, pops and top replacements, many equal times (ties
    /// broken by sequence), against std's BinaryHeap as the reference order.
    #[test]
    fn matches_a_reference_heap_under_random_operations_with_ties() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(17);
        for round in 0..200 {
            let mut heap = KeyedHeap::new();
            let mut reference = BinaryHeap::new();
            let mut seq = 0u64;
            // Few distinct times so that ties are common.
            let spread = [3u64, 20, 1_000][round % 3];
            for _ in 0..2_000 {
                let op = rng.random_range(0..10);
                if op < 5 || reference.is_empty() {
                    let k = key(rng.random_range(0..spread), seq);
                    seq += 1;
                    heap.push(k, k.seq as u32);
                    reference.push(Reverse((k, k.seq as u32)));
                } else if op < 8 {
                    let Reverse(want) = reference.pop().unwrap();
                    assert_eq!(heap.pop(), Some(want));
                } else {
                    let k = key(rng.random_range(0..spread), seq);
                    seq += 1;
                    let Reverse(want) = reference.pop().unwrap();
                    reference.push(Reverse((k, k.seq as u32)));
                    assert_eq!(heap.replace_top(k, k.seq as u32), want);
                }
                assert_eq!(heap.len(), reference.len());
                assert_eq!(heap.peek(), reference.peek().map(|r| r.0));
            }
            while let Some(Reverse(want)) = reference.pop() {
                assert_eq!(heap.pop(), Some(want));
            }
            assert!(heap.is_empty());
            assert_eq!(heap.pop(), None);
        }
    }

    #[test]
    fn pop_before_takes_only_keys_below_the_limit() {
        let mut heap = KeyedHeap::new();
        heap.push(key(5, 1), 'b');
        heap.push(key(5, 0), 'a');
        heap.push(key(7, 2), 'c');
        assert_eq!(heap.pop_before(key(5, 0)), None);
        assert_eq!(heap.pop_before(key(5, 1)), Some((key(5, 0), 'a')));
        assert_eq!(heap.pop_before(key(6, 0)), Some((key(5, 1), 'b')));
        assert_eq!(heap.pop_before(key(6, 0)), None);
        assert_eq!(heap.pop_before(EventKey::MAX), Some((key(7, 2), 'c')));
        assert_eq!(heap.pop_before(EventKey::MAX), None);
    }

    #[test]
    fn drain_returns_every_entry() {
        let mut heap = KeyedHeap::new();
        for i in 0..10u64 {
            heap.push(key(10 - i, i), i);
        }
        let mut got: Vec<u64> = heap.drain().map(|(_, v)| v).collect();
        got.sort_unstable();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
        assert!(heap.is_empty());
    }
}
