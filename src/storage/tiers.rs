//! The tier chain a chunk read goes through: worker cache → AZ cache → origin (S3)
//! (ATC'23 §4, facts.md §1 "Tiered cache"). A read is served by the first tier that holds
//! the chunk and fills every tier above it that missed. Its latency is the serving tier's
//! latency as seen from the worker (the paper's figures already include the misses above).
//!
//! A cold start reads its whole read set with a bounded number of fetches in flight; see
//! [`FetchSlots`] for the exact rule. All accesses of one read set are stamped with the
//! cold start's time: a read set takes milliseconds, far below cache residence times.

use super::cache::ChunkCache;
use super::chunk::ChunkId;
use super::inflight::InFlight;
use super::{StorageError, StorageResult};
use crate::engine::{Dist, Rng, SimDuration, SimTime};

/// The standard normal quantile at 0.999, to turn (median, p99.9) into a lognormal sigma:
/// σ = ln(p99.9 / median) / z_0.999.
pub const Z_999: f64 = 3.090_232_306_167_813;

/// A storage tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// The worker's local cache (memory and SSD).
    Worker,
    /// The AZ-level shared cache.
    Az,
    /// The origin, S3.
    Origin,
}

impl Tier {
    /// Every tier, nearest first.
    pub const ALL: [Tier; 3] = [Tier::Worker, Tier::Az, Tier::Origin];

    /// The key used in reports (`cache.<name>`, DESIGN.md "Output").
    pub fn name(self) -> &'static str {
        match self {
            Tier::Worker => "worker",
            Tier::Az => "az",
            Tier::Origin => "origin",
        }
    }
}

/// Latency of one 512 KiB chunk read served by each tier.
#[derive(Clone, Debug)]
pub struct TierLatencies {
    /// Worker-local hit. Default lognormal, median 0.1 ms, p99.9 0.673 ms: assumed. facts.md
    /// §1 found no figure ("assume memory/SSD, tens–hundreds of µs"; table: 0.05–0.2 ms); we
    /// take the middle of that range and the AZ tier's spread (σ = 0.617).
    pub worker: Dist,
    /// AZ-cache hit. Default lognormal, median 0.55 ms, p99.9 3.7 ms (ATC'23 §4, facts.md §1).
    pub az: Dist,
    /// Origin (S3) fetch. Default lognormal, median 36 ms, p99.9 175 ms (ATC'23 §4,
    /// facts.md §1).
    pub origin: Dist,
}

impl TierLatencies {
    /// A lognormal with the given median and 99.9th percentile.
    pub fn lognormal_median_p999(median: SimDuration, p999: SimDuration) -> Dist {
        Dist::lognormal_median_quantile(median, p999, Z_999)
    }

    /// The ATC'23 figures, with the assumed worker tier (see the fields).
    pub fn atc23() -> Self {
        let az_spread = 3.7 / 0.55;
        TierLatencies {
            worker: Self::lognormal_median_p999(
                SimDuration(100),
                SimDuration::from_us_f64(100.0 * az_spread),
            ),
            az: Self::lognormal_median_p999(SimDuration(550), SimDuration(3_700)),
            origin: Self::lognormal_median_p999(
                SimDuration::from_ms(36),
                SimDuration::from_ms(175),
            ),
        }
    }

    /// The distribution of `tier`.
    pub fn of(&self, tier: Tier) -> &Dist {
        match tier {
            Tier::Worker => &self.worker,
            Tier::Az => &self.az,
            Tier::Origin => &self.origin,
        }
    }
}

impl Default for TierLatencies {
    fn default() -> Self {
        Self::atc23()
    }
}

/// Chunk reads served by each tier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierCounts {
    /// Served by the worker cache.
    pub worker: u64,
    /// Served by the AZ cache.
    pub az: u64,
    /// Served by the origin.
    pub origin: u64,
}

impl TierCounts {
    /// Counts one read served by `tier`.
    #[inline]
    pub fn add(&mut self, tier: Tier) {
        match tier {
            Tier::Worker => self.worker += 1,
            Tier::Az => self.az += 1,
            Tier::Origin => self.origin += 1,
        }
    }

    /// Reads served by `tier`.
    pub fn get(&self, tier: Tier) -> u64 {
        match tier {
            Tier::Worker => self.worker,
            Tier::Az => self.az,
            Tier::Origin => self.origin,
        }
    }

    /// All reads.
    pub fn total(&self) -> u64 {
        self.worker + self.az + self.origin
    }

    /// Share of reads served by `tier` (0 when there were none). ATC'23 §4 (facts.md §1):
    /// worker 0.67, AZ 0.32, origin ~0.0006 over a week in one large region.
    pub fn share(&self, tier: Tier) -> f64 {
        match self.total() {
            0 => 0.0,
            n => self.get(tier) as f64 / n as f64,
        }
    }

    /// Adds `other` in.
    pub fn merge(&mut self, other: &TierCounts) {
        self.worker += other.worker;
        self.az += other.az;
        self.origin += other.origin;
    }
}

/// One chunk read: who served it, how long it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkRead {
    /// The tier that served it.
    pub tier: Tier,
    /// Its latency.
    pub latency: SimDuration,
}

/// The result of [`TierChain::read_timed`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimedRead {
    /// When the last read ended.
    pub end: SimTime,
    /// The reads, by serving tier.
    pub served: TierCounts,
    /// Reads that waited for another reader's fill still in flight.
    pub coalesced: u64,
}

/// Chunks of layers that other tenants keep hot in every AZ cache (AWS base images): an AZ
/// cache never misses them. Chunk ids are already uniform hashes, so the set hashes them
/// as they are.
#[derive(Clone, Debug, Default)]
pub struct SharedChunks(std::collections::HashSet<ChunkId, BuildIdentity>);

impl SharedChunks {
    /// Adds chunks.
    pub fn extend(&mut self, ids: impl IntoIterator<Item = ChunkId>) {
        self.0.extend(ids);
    }

    /// Whether `id` is one of them.
    #[inline]
    pub fn contains(&self, id: ChunkId) -> bool {
        !self.0.is_empty() && self.0.contains(&id)
    }

    /// Number of chunks.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Hashes a `u64` that is already a uniform hash by keeping it.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildIdentity;

impl std::hash::BuildHasher for BuildIdentity {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

/// See [`BuildIdentity`].
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

/// The result of reading a cold start's read set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOutcome {
    /// Time from the first fetch to the last chunk in, under the parallelism rule of
    /// [`FetchSlots`].
    pub fetch_time: SimDuration,
    /// The reads, by serving tier.
    pub served: TierCounts,
}

/// Default fetches in flight per cold start: 8. Assumed: the paper does not give the
/// agent's concurrency; init's page faults come from several threads and the agent reads
/// ahead, and 8 is a common read-ahead depth. 1 models a strictly sequential reader.
pub const DEFAULT_PARALLEL_FETCHES: u32 = 8;

/// The most fetches in flight the model allows.
pub const MAX_PARALLEL_FETCHES: u32 = 64;

/// The parallelism rule: P fetch slots; chunks are fetched in read-set order, each starting
/// on the slot that frees first (greedy list scheduling), and the read set is done when the
/// last fetch ends. With latencies l_1..l_n: P = 1 gives Σ l_i; P ≥ n gives max l_i; in
/// between, the makespan of that schedule. Fixed-size, so reading allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct FetchSlots {
    free_at_us: [u64; MAX_PARALLEL_FETCHES as usize],
    slots: usize,
    makespan_us: u64,
}

impl FetchSlots {
    /// `parallel_fetches` idle slots (1 ..= [`MAX_PARALLEL_FETCHES`]).
    pub fn new(parallel_fetches: u32) -> StorageResult<Self> {
        if parallel_fetches == 0 || parallel_fetches > MAX_PARALLEL_FETCHES {
            return Err(StorageError::param(
                "parallel_fetches",
                format!("expected 1 to {MAX_PARALLEL_FETCHES}, got {parallel_fetches}"),
            ));
        }
        Ok(FetchSlots {
            free_at_us: [0; MAX_PARALLEL_FETCHES as usize],
            slots: parallel_fetches as usize,
            makespan_us: 0,
        })
    }

    /// Schedules the next fetch; returns when it ends, from the start of the read set.
    #[inline]
    pub fn push(&mut self, latency: SimDuration) -> SimDuration {
        let slots = &mut self.free_at_us[..self.slots];
        let mut first = 0;
        for i in 1..slots.len() {
            if slots[i] < slots[first] {
                first = i;
            }
        }
        slots[first] = slots[first].saturating_add(latency.as_us());
        self.makespan_us = self.makespan_us.max(slots[first]);
        SimDuration(slots[first])
    }

    /// When the next fetch would start, from the start of the read set.
    #[inline]
    pub fn next_start(&self) -> SimDuration {
        SimDuration(
            self.free_at_us[..self.slots]
                .iter()
                .copied()
                .min()
                .unwrap_or(0),
        )
    }

    /// When the last fetch so far ends.
    pub fn makespan(&self) -> SimDuration {
        SimDuration(self.makespan_us)
    }
}

/// The fetch time of chunks with the given latencies, in read order, under the rule of
/// [`FetchSlots`].
pub fn parallel_fetch_time(
    latencies: impl IntoIterator<Item = SimDuration>,
    parallel_fetches: u32,
) -> StorageResult<SimDuration> {
    let mut slots = FetchSlots::new(parallel_fetches)?;
    for l in latencies {
        slots.push(l);
    }
    Ok(slots.makespan())
}

/// Reads chunks through worker → AZ → origin, drawing latencies and counting reads per tier.
/// The caches are passed in, so one chain serves a whole fleet.
#[derive(Clone, Debug)]
pub struct TierChain {
    latencies: TierLatencies,
    idle_slots: FetchSlots,
    counts: TierCounts,
}

impl TierChain {
    /// A chain with these latencies and `parallel_fetches` in flight per read set.
    pub fn new(latencies: TierLatencies, parallel_fetches: u32) -> StorageResult<Self> {
        Ok(TierChain {
            latencies,
            idle_slots: FetchSlots::new(parallel_fetches)?,
            counts: TierCounts::default(),
        })
    }

    /// Reads one chunk at `now`: the first tier holding it serves it, and every tier above
    /// that missed is filled.
    #[inline]
    pub fn read_chunk<W, A>(
        &mut self,
        worker: &mut W,
        az: &mut A,
        id: ChunkId,
        now: SimTime,
        rng: &mut Rng,
    ) -> ChunkRead
    where
        W: ChunkCache + ?Sized,
        A: ChunkCache + ?Sized,
    {
        // Each access fills on a miss, so going down the chain fills the tiers missed.
        let tier = if worker.access(id, now).is_hit() {
            Tier::Worker
        } else if az.access(id, now).is_hit() {
            Tier::Az
        } else {
            Tier::Origin
        };
        self.counts.add(tier);
        ChunkRead {
            tier,
            latency: self.latencies.of(tier).sample(rng),
        }
    }

    /// Reads a cold start's read set at `now`.
    pub fn read_all<W, A>(
        &mut self,
        worker: &mut W,
        az: &mut A,
        chunks: &[ChunkId],
        now: SimTime,
        rng: &mut Rng,
    ) -> ReadOutcome
    where
        W: ChunkCache + ?Sized,
        A: ChunkCache + ?Sized,
    {
        let mut slots = self.idle_slots;
        let mut served = TierCounts::default();
        for &id in chunks {
            let r = self.read_chunk(worker, az, id, now, rng);
            served.add(r.tier);
            slots.push(r.latency);
        }
        ReadOutcome {
            fetch_time: slots.makespan(),
            served,
        }
    }

    /// Reads `chunks` in order on behalf of one reader that starts at `start`, with the
    /// chain's fetches in flight (1: each read waits for the previous one, as a Python
    /// import faulting its files in one after another). The caches are consulted and
    /// filled as of `now`, the simulation time of the caller's event (≤ `start`); a chunk
    /// another reader is still fetching into a tier is waited for until that fill lands
    /// (coalescing), and a fill this read starts is recorded as in flight until it lands.
    /// Chunks in `shared` (layers other tenants keep hot, such as AWS base images) are
    /// always held by the AZ cache. Returns when the last read ends.
    #[allow(clippy::too_many_arguments)]
    pub fn read_timed<W, A>(
        &mut self,
        worker: (&mut W, &mut InFlight),
        az: (&mut A, &mut InFlight),
        chunks: impl IntoIterator<Item = ChunkId>,
        shared: &SharedChunks,
        now: SimTime,
        start: SimTime,
        rng: &mut Rng,
    ) -> TimedRead
    where
        W: ChunkCache + ?Sized,
        A: ChunkCache + ?Sized,
    {
        let (worker, worker_fills) = worker;
        let (az, az_fills) = az;
        let mut slots = self.idle_slots;
        let mut served = TierCounts::default();
        let mut coalesced = 0u64;
        for id in chunks {
            let at = start + slots.next_start();
            let (tier, mut latency) = if worker.access(id, now).is_hit() {
                (Tier::Worker, self.latencies.worker.sample(rng))
            } else if az.access(id, now).is_hit() || shared.contains(id) {
                (Tier::Az, self.latencies.az.sample(rng))
            } else {
                (Tier::Origin, self.latencies.origin.sample(rng))
            };
            let pending = match tier {
                Tier::Worker => worker_fills.pending(id, at),
                Tier::Az => az_fills.pending(id, at),
                Tier::Origin => None,
            };
            if let Some(ready) = pending {
                coalesced += 1;
                latency = latency.max(ready.since(at));
            }
            let ready = at + latency;
            match tier {
                Tier::Worker => {}
                Tier::Az => worker_fills.insert(id, ready, now),
                Tier::Origin => {
                    az_fills.insert(id, ready, now);
                    worker_fills.insert(id, ready, now);
                }
            }
            served.add(tier);
            slots.push(latency);
        }
        self.counts.merge(&served);
        TimedRead {
            end: start + slots.makespan(),
            served,
            coalesced,
        }
    }

    /// Reads served by each tier since creation or the last reset.
    pub fn counts(&self) -> TierCounts {
        self.counts
    }

    /// Zeroes the counts (e.g. at the end of a warm-up).
    pub fn reset_counts(&mut self) {
        self.counts = TierCounts::default();
    }

    /// The latencies in use.
    pub fn latencies(&self) -> &TierLatencies {
        &self.latencies
    }

    /// Fetches in flight per read set.
    pub fn parallel_fetches(&self) -> u32 {
        self.idle_slots.slots as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::cache::LruCache;
    use rand::SeedableRng;

    fn quantiles(d: &Dist, seed: u64, n: usize) -> (f64, f64) {
        let mut rng = Rng::seed_from_u64(seed);
        let mut xs: Vec<u64> = (0..n).map(|_| d.sample(&mut rng).as_us()).collect();
        xs.sort_unstable();
        (xs[n / 2] as f64, xs[n * 999 / 1000] as f64)
    }

    fn constant_latencies() -> TierLatencies {
        TierLatencies {
            worker: Dist::Constant(SimDuration(100)),
            az: Dist::Constant(SimDuration(500)),
            origin: Dist::Constant(SimDuration(40_000)),
        }
    }

    #[test]
    fn timed_reads_are_sequential_and_a_second_reader_waits_for_the_fill_in_flight() {
        // Constant latencies: worker 0.1 ms, AZ 0.5 ms, origin 40 ms; one fetch in flight.
        let mut chain = TierChain::new(constant_latencies(), 1).unwrap();
        let (mut w1, mut w2, mut az) = (LruCache::new(100), LruCache::new(100), LruCache::new(100));
        let (mut f1, mut f2, mut faz) = (
            InFlight::default(),
            InFlight::default(),
            InFlight::default(),
        );
        let shared = SharedChunks::default();
        let mut rng = Rng::seed_from_u64(1);
        let ids = [ChunkId(1), ChunkId(2), ChunkId(3)];
        let t0 = SimTime(1_000_000);
        // Reader 1, fresh chunks: three origin fetches one after another: 120 ms.
        let r1 = chain.read_timed(
            (&mut w1, &mut f1),
            (&mut az, &mut faz),
            ids,
            &shared,
            t0,
            t0,
            &mut rng,
        );
        assert_eq!(r1.end, t0 + SimDuration(120_000));
        assert_eq!(r1.served.origin, 3);
        // Reader 2 on another worker of the same AZ, 10 ms later: the AZ cache "holds" the
        // chunks but their fills land at 40, 80 and 120 ms. Chunk 1: wait 30 ms (lands at
        // 40); chunk 2 starts at 40, lands at 80: 40 ms; chunk 3 likewise: done at 120 ms,
        // the same instant as reader 1.
        let t1 = t0 + SimDuration(10_000);
        let r2 = chain.read_timed(
            (&mut w2, &mut f2),
            (&mut az, &mut faz),
            ids,
            &shared,
            t1,
            t1,
            &mut rng,
        );
        assert_eq!(r2.served.az, 3);
        assert_eq!(r2.coalesced, 3);
        assert_eq!(r2.end, t0 + SimDuration(120_000));
        // Long after: AZ hits at 0.5 ms each, nothing in flight.
        let t2 = t0 + SimDuration(1_000_000);
        let mut w3 = LruCache::new(100);
        let mut f3 = InFlight::default();
        let r3 = chain.read_timed(
            (&mut w3, &mut f3),
            (&mut az, &mut faz),
            ids,
            &shared,
            t2,
            t2,
            &mut rng,
        );
        assert_eq!((r3.end, r3.coalesced), (t2 + SimDuration(1_500), 0));
        // Shared (base image) chunks never go to the origin.
        let mut shared = SharedChunks::default();
        shared.extend([ChunkId(9)]);
        let r4 = chain.read_timed(
            (&mut w3, &mut f3),
            (&mut az, &mut faz),
            [ChunkId(9)],
            &shared,
            t2,
            t2,
            &mut rng,
        );
        assert_eq!((r4.served.az, r4.served.origin), (1, 0));
    }

    #[test]
    fn tier_latency_medians_and_p999_match_atc23_within_sampling_error() {
        // 1e6 draws. Relative sd of the sample q-quantile of a lognormal:
        // σ · sqrt(q(1−q)/n) / φ(z_q). Median: σ · 5e-4 / 0.399 = 1.25e-3 σ; p99.9:
        // σ · 3.16e-5 / 3.37e-3 = 9.4e-3 σ. With σ ≤ 0.62: median sd ≤ 0.08%, p99.9 sd
        // ≤ 0.6%. Allowed: 0.5% and 3% (≥ 5 sd), plus 1 µs for rounding draws to µs.
        let lat = TierLatencies::atc23();
        for (tier, median_us, p999_us) in [
            (Tier::Worker, 100.0, 672.7),
            (Tier::Az, 550.0, 3_700.0),
            (Tier::Origin, 36_000.0, 175_000.0),
        ] {
            let (m, p) = quantiles(lat.of(tier), 17, 1_000_000);
            assert!(
                (m - median_us).abs() <= 0.005 * median_us + 1.0,
                "{}: median {m} µs vs {median_us}",
                tier.name()
            );
            assert!(
                (p - p999_us).abs() <= 0.03 * p999_us + 1.0,
                "{}: p99.9 {p} µs vs {p999_us}",
                tier.name()
            );
        }
    }

    #[test]
    fn fetch_time_is_the_greedy_schedule_makespan() {
        let ms = SimDuration::from_ms;
        let l = [ms(5), ms(1), ms(1), ms(1), ms(4), ms(2)];
        // P = 1: the sum.
        assert_eq!(parallel_fetch_time(l, 1).unwrap(), ms(14));
        // P = 2, by hand: slots (0,0) → 5 on A (5,0) → 1 on B (5,1) → 1 on B (5,2)
        // → 1 on B (5,3) → 4 on B (5,7) → 2 on A (7,7): makespan 7.
        assert_eq!(parallel_fetch_time(l, 2).unwrap(), ms(7));
        // P = 3: (5,0,0) (5,1,0) (5,1,1) (5,2,1) (5,2,5) (5,4,5): makespan 5.
        assert_eq!(parallel_fetch_time(l, 3).unwrap(), ms(5));
        // P ≥ n: the max.
        assert_eq!(parallel_fetch_time(l, 6).unwrap(), ms(5));
        assert_eq!(parallel_fetch_time(l, 64).unwrap(), ms(5));
        assert_eq!(parallel_fetch_time([], 8).unwrap(), SimDuration::ZERO);
        assert!(parallel_fetch_time(l, 0).is_err());
        assert!(parallel_fetch_time(l, 65).is_err());
    }

    #[test]
    fn a_read_is_served_by_the_first_tier_holding_it_and_fills_those_above() {
        let mut chain = TierChain::new(TierLatencies::atc23(), 8).unwrap();
        let mut rng = Rng::seed_from_u64(1);
        let (mut w1, mut w2, mut az) = (LruCache::new(10), LruCache::new(10), LruCache::new(10));
        let t = SimTime::ZERO;
        let x = ChunkId(42);
        assert_eq!(
            chain.read_chunk(&mut w1, &mut az, x, t, &mut rng).tier,
            Tier::Origin
        );
        assert!(w1.holds(x) && az.holds(x));
        assert_eq!(
            chain.read_chunk(&mut w1, &mut az, x, t, &mut rng).tier,
            Tier::Worker
        );
        assert_eq!(
            chain.read_chunk(&mut w2, &mut az, x, t, &mut rng).tier,
            Tier::Az
        );
        assert!(w2.holds(x));
        assert_eq!(
            chain.read_chunk(&mut w2, &mut az, x, t, &mut rng).tier,
            Tier::Worker
        );
        assert_eq!(
            chain.counts(),
            TierCounts {
                worker: 2,
                az: 1,
                origin: 1
            }
        );
        let out = chain.read_all(&mut w1, &mut az, &[x, ChunkId(7), x], t, &mut rng);
        assert_eq!(
            out.served,
            TierCounts {
                worker: 2,
                az: 0,
                origin: 1
            }
        );
        // An origin read takes milliseconds, the two worker hits well under one.
        assert!(
            out.fetch_time >= SimDuration::from_ms(5),
            "{}",
            out.fetch_time
        );
        chain.reset_counts();
        assert_eq!(chain.counts().total(), 0);
    }
}
