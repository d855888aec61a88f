//! Chunk caches: an explicit LRU, and the characteristic-time (Che) approximation of an LRU
//! shared with other tenants. Both answer "is this chunk here?" for one access and fill on a
//! miss, behind [`ChunkCache`]; [`TierCache`] is the one the tier chain holds.
//!
//! - [`LruCache`]: capacity in chunks, least recently used evicted first. O(1) per access: an
//!   open-addressing index (chunk → slot) and a doubly linked recency list threaded through
//!   a `Vec` of slots. Storage grows only while the cache fills; once warm an access
//!   allocates nothing. (The AZ cache is LRU-k over RAM and flash in ATC'23 §4, facts.md §1;
//!   plain LRU is our simplification.)
//! - [`CharacteristicTimeCache`]: Che, Tung and Wang, "Hierarchical Web caching systems:
//!   modeling, design and experimental results", IEEE JSAC 20(7), 2002. In an LRU of C
//!   items under independent requests, an item stays for a nearly deterministic time T_C
//!   after its last request, so a request hits iff the item was requested less than T_C
//!   ago; T_C solves Σ_i (1 − e^(−λ_i T_C)) = C (solver in
//!   [`background`](super::background)). Fricker, Robert and Roberts, "A versatile and
//!   accurate approximation for LRU cache performance", ITC 24, 2012, show why it is
//!   accurate for large caches and extend it beyond Poisson requests.

use super::background::{BackgroundStream, CharacteristicTime};
use super::chunk::ChunkId;
use super::mix64;
use crate::engine::{SimDuration, SimTime};

/// Outcome of one access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The chunk was cached.
    Hit,
    /// It was not; it is now (unless the cache holds nothing).
    Miss,
}

impl Lookup {
    /// True for a hit.
    pub fn is_hit(self) -> bool {
        self == Lookup::Hit
    }
}

/// A cache of chunks at one tier.
pub trait ChunkCache {
    /// Reads `id` at `now`: a hit refreshes it, a miss inserts it (the read fills this
    /// tier). `now` must not decrease from one call to the next.
    fn access(&mut self, id: ChunkId, now: SimTime) -> Lookup;
    /// Whether an access at `now` would hit, without changing anything.
    fn contains(&self, id: ChunkId, now: SimTime) -> bool;
    /// Chunks held (for the Che cache: those accessed by the caller within T_C).
    fn len(&self) -> usize;
    /// True when nothing is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Capacity in chunks.
    fn capacity_chunks(&self) -> u32;
}

const EMPTY: u32 = u32::MAX;
const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct IndexEntry {
    key: u64,
    slot: u32,
}

/// Chunk → slot, open addressing with linear probing at load ≤ 1/2, and backward-shift
/// deletion (no tombstones, so a table that has stopped growing never rehashes).
#[derive(Clone, Debug)]
struct ChunkIndex {
    entries: Vec<IndexEntry>,
    mask: usize,
    len: usize,
}

impl ChunkIndex {
    fn new() -> Self {
        Self::with_buckets(16)
    }

    fn with_buckets(n: usize) -> Self {
        ChunkIndex {
            entries: vec![
                IndexEntry {
                    key: 0,
                    slot: EMPTY
                };
                n
            ],
            mask: n - 1,
            len: 0,
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        mix64(key) as usize & self.mask
    }

    #[inline]
    fn find(&self, key: u64) -> Option<usize> {
        let mut i = self.home(key);
        loop {
            let e = self.entries[i];
            if e.slot == EMPTY {
                return None;
            }
            if e.key == key {
                return Some(i);
            }
            i = (i + 1) & self.mask;
        }
    }

    #[inline]
    fn get(&self, key: u64) -> Option<u32> {
        self.find(key).map(|i| self.entries[i].slot)
    }

    /// Inserts a key known to be absent.
    #[inline]
    fn insert_new(&mut self, key: u64, slot: u32) {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mut i = self.home(key);
        while self.entries[i].slot != EMPTY {
            i = (i + 1) & self.mask;
        }
        self.entries[i] = IndexEntry { key, slot };
        self.len += 1;
    }

    #[inline]
    fn remove(&mut self, key: u64) -> Option<u32> {
        let mut i = self.find(key)?;
        let slot = self.entries[i].slot;
        let mut j = i;
        loop {
            j = (j + 1) & self.mask;
            let e = self.entries[j];
            if e.slot == EMPTY {
                break;
            }
            // Entry j may stay only if its home lies cyclically in (i, j].
            let k = self.home(e.key);
            let stays = if i <= j {
                i < k && k <= j
            } else {
                i < k || k <= j
            };
            if !stays {
                self.entries[i] = e;
                i = j;
            }
        }
        self.entries[i].slot = EMPTY;
        self.len -= 1;
        Some(slot)
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, Self::with_buckets(self.entries.len() * 2));
        for e in old.entries.into_iter().filter(|e| e.slot != EMPTY) {
            self.insert_new(e.key, e.slot);
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Node {
    id: ChunkId,
    stamp_us: u64,
    prev: u32,
    next: u32,
}

/// Chunks in recency order (head = most recent), each with the time of its last access.
#[derive(Clone, Debug)]
struct RecencyList {
    index: ChunkIndex,
    nodes: Vec<Node>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
}

impl RecencyList {
    fn new() -> Self {
        RecencyList {
            index: ChunkIndex::new(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }

    fn len(&self) -> usize {
        self.index.len
    }

    #[inline]
    fn find(&self, id: ChunkId) -> Option<u32> {
        self.index.get(id.0)
    }

    #[inline]
    fn unlink(&mut self, s: u32) {
        let Node { prev, next, .. } = self.nodes[s as usize];
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
    }

    #[inline]
    fn link_front(&mut self, s: u32) {
        self.nodes[s as usize].prev = NIL;
        self.nodes[s as usize].next = self.head;
        if self.head == NIL {
            self.tail = s;
        } else {
            self.nodes[self.head as usize].prev = s;
        }
        self.head = s;
    }

    #[inline]
    fn move_to_front(&mut self, s: u32, stamp_us: u64) {
        self.nodes[s as usize].stamp_us = stamp_us;
        if self.head != s {
            self.unlink(s);
            self.link_front(s);
        }
    }

    #[inline]
    fn push_front(&mut self, id: ChunkId, stamp_us: u64) {
        let node = Node {
            id,
            stamp_us,
            prev: NIL,
            next: NIL,
        };
        let s = match self.free.pop() {
            Some(s) => {
                self.nodes[s as usize] = node;
                s
            }
            None => {
                // Only reached with an empty free list; keep room for every slot in it, so
                // it never grows on its own. Storage grows only at a new high-water mark of
                // chunks held.
                self.nodes.push(node);
                if self.free.capacity() < self.nodes.capacity() {
                    self.free.reserve(self.nodes.capacity());
                }
                (self.nodes.len() - 1) as u32
            }
        };
        self.index.insert_new(id.0, s);
        self.link_front(s);
    }

    #[inline]
    fn back(&self) -> Option<Node> {
        (self.tail != NIL).then(|| self.nodes[self.tail as usize])
    }

    #[inline]
    fn pop_back(&mut self) -> Option<ChunkId> {
        let s = self.tail;
        if s == NIL {
            return None;
        }
        self.unlink(s);
        let id = self.nodes[s as usize].id;
        self.index.remove(id.0);
        self.free.push(s);
        Some(id)
    }

    fn iter(&self) -> impl Iterator<Item = ChunkId> + '_ {
        let mut s = self.head;
        std::iter::from_fn(move || {
            (s != NIL).then(|| {
                let n = self.nodes[s as usize];
                s = n.next;
                n.id
            })
        })
    }
}

/// Outcome of one [`LruCache::touch`], with the eviction it caused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LruAccess {
    /// Cached; now the most recently used.
    Hit,
    /// Not cached; inserted as the most recently used, evicting the least recently used
    /// chunk if the cache was full.
    Miss {
        /// The chunk evicted, if any.
        evicted: Option<ChunkId>,
    },
}

/// A least-recently-used cache of `capacity_chunks` chunks.
#[derive(Clone, Debug)]
pub struct LruCache {
    list: RecencyList,
    capacity: u32,
}

impl LruCache {
    /// An empty cache holding at most `capacity_chunks` chunks (0: holds nothing).
    pub fn new(capacity_chunks: u32) -> Self {
        LruCache {
            list: RecencyList::new(),
            capacity: capacity_chunks,
        }
    }

    /// Accesses `id`: a hit moves it to the front; a miss inserts it at the front and evicts
    /// the back if the cache is full.
    #[inline]
    pub fn touch(&mut self, id: ChunkId) -> LruAccess {
        if let Some(s) = self.list.find(id) {
            self.list.move_to_front(s, 0);
            return LruAccess::Hit;
        }
        if self.capacity == 0 {
            return LruAccess::Miss { evicted: None };
        }
        let evicted = if self.list.len() >= self.capacity as usize {
            self.list.pop_back()
        } else {
            None
        };
        self.list.push_front(id, 0);
        LruAccess::Miss { evicted }
    }

    /// Whether `id` is cached (no change).
    pub fn holds(&self, id: ChunkId) -> bool {
        self.list.find(id).is_some()
    }

    /// The cached chunks, most recently used first.
    pub fn iter_mru(&self) -> impl Iterator<Item = ChunkId> + '_ {
        self.list.iter()
    }
}

impl ChunkCache for LruCache {
    #[inline]
    fn access(&mut self, id: ChunkId, _now: SimTime) -> Lookup {
        match self.touch(id) {
            LruAccess::Hit => Lookup::Hit,
            LruAccess::Miss { .. } => Lookup::Miss,
        }
    }

    fn contains(&self, id: ChunkId, _now: SimTime) -> bool {
        self.holds(id)
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn capacity_chunks(&self) -> u32 {
        self.capacity
    }
}

/// The Che approximation of an LRU shared with other tenants: an access hits iff the same
/// chunk was accessed less than T_C ago, T_C being what the other tenants' load implies
/// (see [`BackgroundLoad::characteristic_time`](super::background::BackgroundLoad::characteristic_time)).
///
/// Only the caller's own chunks are held, in recency order; those last accessed T_C or more
/// ago are dropped lazily, so memory is bounded by what the caller touched within T_C. It
/// is also capped at the capacity: the caller's chunks cannot occupy more than the whole
/// cache (at the cap it behaves as a plain LRU of the caller's chunks, which is exact when
/// T_C is infinite, i.e. without background load).
#[derive(Clone, Debug)]
pub struct CharacteristicTimeCache {
    list: RecencyList,
    capacity: u32,
    t_c: SimDuration,
}

impl CharacteristicTimeCache {
    /// A cache of `capacity_chunks` whose chunks live `t_c` after their last access.
    pub fn new(capacity_chunks: u32, t_c: CharacteristicTime) -> Self {
        CharacteristicTimeCache {
            list: RecencyList::new(),
            capacity: capacity_chunks,
            t_c: t_c.as_duration(),
        }
    }

    /// The characteristic time in use.
    pub fn characteristic_time(&self) -> SimDuration {
        self.t_c
    }

    #[inline]
    fn expired(&self, stamp_us: u64, now: SimTime) -> bool {
        now.since(SimTime(stamp_us)) >= self.t_c
    }
}

impl ChunkCache for CharacteristicTimeCache {
    #[inline]
    fn access(&mut self, id: ChunkId, now: SimTime) -> Lookup {
        while let Some(back) = self.list.back() {
            if !self.expired(back.stamp_us, now) {
                break;
            }
            self.list.pop_back();
        }
        if let Some(s) = self.list.find(id) {
            self.list.move_to_front(s, now.as_us());
            return Lookup::Hit;
        }
        if self.capacity == 0 {
            return Lookup::Miss;
        }
        if self.list.len() >= self.capacity as usize {
            self.list.pop_back();
        }
        self.list.push_front(id, now.as_us());
        Lookup::Miss
    }

    fn contains(&self, id: ChunkId, now: SimTime) -> bool {
        self.list
            .find(id)
            .is_some_and(|s| !self.expired(self.list.nodes[s as usize].stamp_us, now))
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn capacity_chunks(&self) -> u32 {
        self.capacity
    }
}

/// The cache of one tier of one worker or AZ, in either model of the other tenants.
///
/// An explicit cache starts empty at time 0 and its background stream starts then too: the
/// first access replays every background request up to its time (a warm-up paid once).
/// [`contains`](ChunkCache::contains) on an explicit cache answers as of its last access:
/// peeking does not replay the background.
#[derive(Clone, Debug)]
pub enum TierCache {
    /// An LRU fed, between the caller's accesses, by an explicit background request
    /// stream (or by nothing).
    Explicit {
        /// The cache.
        lru: LruCache,
        /// Other tenants' requests, generated lazily up to each access.
        background: Option<BackgroundStream>,
    },
    /// The characteristic-time approximation.
    CharacteristicTime(CharacteristicTimeCache),
}

impl ChunkCache for TierCache {
    #[inline]
    fn access(&mut self, id: ChunkId, now: SimTime) -> Lookup {
        match self {
            TierCache::Explicit { lru, background } => {
                if let Some(bg) = background {
                    bg.advance_to(now, lru);
                }
                lru.access(id, now)
            }
            TierCache::CharacteristicTime(c) => c.access(id, now),
        }
    }

    fn contains(&self, id: ChunkId, now: SimTime) -> bool {
        match self {
            TierCache::Explicit { lru, .. } => lru.holds(id),
            TierCache::CharacteristicTime(c) => c.contains(id, now),
        }
    }

    fn len(&self) -> usize {
        match self {
            TierCache::Explicit { lru, .. } => ChunkCache::len(lru),
            TierCache::CharacteristicTime(c) => c.len(),
        }
    }

    fn capacity_chunks(&self) -> u32 {
        match self {
            TierCache::Explicit { lru, .. } => lru.capacity,
            TierCache::CharacteristicTime(c) => c.capacity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng as _, SeedableRng};
    use std::collections::HashMap;

    fn c(x: u64) -> ChunkId {
        ChunkId(x)
    }

    fn miss(e: Option<u64>) -> LruAccess {
        LruAccess::Miss {
            evicted: e.map(ChunkId),
        }
    }

    #[test]
    fn lru_hand_traced_sequence_gives_the_expected_hits_misses_and_evictions() {
        // Capacity 3. Trace (front = most recent):
        //  1 miss [1]; 2 miss [2 1]; 3 miss [3 2 1]; 1 hit [1 3 2];
        //  4 miss, evicts 2 [4 1 3]; 2 miss, evicts 3 [2 4 1]; 1 hit [1 2 4];
        //  3 miss, evicts 4 [3 1 2]; 3 hit [3 1 2]; 5 miss, evicts 2 [5 3 1].
        let mut lru = LruCache::new(3);
        let trace = [
            (1, miss(None)),
            (2, miss(None)),
            (3, miss(None)),
            (1, LruAccess::Hit),
            (4, miss(Some(2))),
            (2, miss(Some(3))),
            (1, LruAccess::Hit),
            (3, miss(Some(4))),
            (3, LruAccess::Hit),
            (5, miss(Some(2))),
        ];
        for (step, (id, want)) in trace.into_iter().enumerate() {
            assert_eq!(lru.touch(c(id)), want, "step {step}: access {id}");
        }
        assert_eq!(lru.iter_mru().collect::<Vec<_>>(), vec![c(5), c(3), c(1)]);
        assert_eq!(ChunkCache::len(&lru), 3);
    }

    #[test]
    fn lru_of_capacity_one_and_zero() {
        let mut one = LruCache::new(1);
        assert_eq!(one.touch(c(7)), miss(None));
        assert_eq!(one.touch(c(7)), LruAccess::Hit);
        assert_eq!(one.touch(c(8)), miss(Some(7)));
        assert_eq!(one.touch(c(7)), miss(Some(8)));
        let mut zero = LruCache::new(0);
        assert_eq!(zero.touch(c(7)), miss(None));
        assert_eq!(zero.touch(c(7)), miss(None));
        assert!(ChunkCache::is_empty(&zero));
    }

    /// A reference LRU: a vector with the most recent last. O(n) per access, obviously
    /// right.
    fn reference_touch(v: &mut Vec<u64>, cap: usize, id: u64) -> LruAccess {
        if let Some(p) = v.iter().position(|&x| x == id) {
            v.remove(p);
            v.push(id);
            return LruAccess::Hit;
        }
        let evicted = (v.len() >= cap).then(|| v.remove(0));
        v.push(id);
        miss(evicted)
    }

    #[test]
    fn lru_matches_a_reference_lru_on_a_long_random_sequence() {
        let mut rng = crate::engine::Rng::seed_from_u64(5);
        for cap in [1usize, 2, 7, 50] {
            let mut lru = LruCache::new(cap as u32);
            let mut reference = Vec::new();
            for _ in 0..20_000 {
                // Ids are small integers: the index must spread them itself.
                let id = rng.random_range(0..(cap as u64 * 3 + 2));
                assert_eq!(lru.touch(c(id)), reference_touch(&mut reference, cap, id));
            }
            let mru: Vec<u64> = lru.iter_mru().map(|x| x.0).collect();
            assert_eq!(mru, reference.iter().rev().copied().collect::<Vec<_>>());
        }
    }

    #[test]
    fn chunk_index_agrees_with_a_hash_map_under_random_inserts_and_removes() {
        let mut rng = crate::engine::Rng::seed_from_u64(6);
        let mut idx = ChunkIndex::new();
        let mut map: HashMap<u64, u32> = HashMap::new();
        for step in 0..200_000u32 {
            // Keys clustered so that probe chains wrap around and overlap.
            let key = rng.random_range(0..3_000u64) << 40;
            match map.remove(&key) {
                Some(v) => assert_eq!(idx.remove(key), Some(v)),
                None => {
                    idx.insert_new(key, step);
                    map.insert(key, step);
                }
            }
            if step % 997 == 0 {
                for (k, v) in &map {
                    assert_eq!(idx.get(*k), Some(*v));
                }
                assert_eq!(idx.len, map.len());
            }
        }
        assert_eq!(idx.get(1), None);
    }

    #[test]
    fn characteristic_time_cache_hits_iff_last_access_is_less_than_t_c_ago() {
        let t_c = CharacteristicTime { t_c_s: 10.0 };
        let mut cache = CharacteristicTimeCache::new(100, t_c);
        let s = |x: f64| SimTime::ZERO + SimDuration::from_secs_f64(x);
        assert_eq!(cache.access(c(1), s(0.0)), Lookup::Miss);
        assert_eq!(cache.access(c(1), s(9.999_999)), Lookup::Hit); // 9.999999 s < 10 s
        assert_eq!(cache.access(c(2), s(12.0)), Lookup::Miss);
        assert!(cache.contains(c(1), s(19.999_998)));
        assert!(!cache.contains(c(1), s(19.999_999))); // exactly T_C: gone
        assert_eq!(cache.access(c(1), s(19.999_999)), Lookup::Miss);
        assert_eq!(cache.access(c(2), s(21.0)), Lookup::Hit); // 9 s
        assert_eq!(cache.len(), 2);
        // Chunk 1 stamped at 19.999999, chunk 2 at 21: both dropped by t = 31.
        assert_eq!(cache.access(c(3), s(31.0)), Lookup::Miss);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn characteristic_time_cache_is_a_plain_lru_of_the_callers_chunks_when_t_c_is_infinite() {
        let mut cache = CharacteristicTimeCache::new(2, CharacteristicTime::INFINITE);
        let t = |x: u64| SimTime(x * 1_000_000_000);
        assert_eq!(cache.access(c(1), t(0)), Lookup::Miss);
        assert_eq!(cache.access(c(2), t(1)), Lookup::Miss);
        assert_eq!(cache.access(c(1), t(2)), Lookup::Hit);
        assert_eq!(cache.access(c(3), t(3)), Lookup::Miss); // evicts 2
        assert_eq!(cache.access(c(1), t(4)), Lookup::Hit);
        assert_eq!(cache.access(c(2), t(5)), Lookup::Miss);
        let mut zero = CharacteristicTimeCache::new(0, CharacteristicTime::INFINITE);
        assert_eq!(zero.access(c(1), t(0)), Lookup::Miss);
        assert_eq!(zero.access(c(1), t(0)), Lookup::Miss);
    }
}
