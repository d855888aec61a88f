//! Other tenants' pressure on a cache, and the characteristic time it implies.
//!
//! Worker and AZ caches are shared with every other function on the worker or in the AZ.
//! Their requests are modelled as a background stream: Poisson at total rate Λ, each
//! request for chunk i of N with Zipf probability p_i ∝ i^(−α), independently (the
//! independent reference model). Neither N, α nor Λ is published for Lambda (facts.md §1:
//! cache sizes "not found"); they are calibration parameters.
//!
//! Two uses: explicitly, [`BackgroundStream`] feeds an [`LruCache`] lazily between the
//! caller's accesses (from its own RNG stream); or through the characteristic time T_C,
//! the root of Σ_i (1 − e^(−λ_i T_C)) = C with λ_i = Λ p_i (Che, Tung and Wang, IEEE JSAC
//! 2002; Fricker, Robert and Roberts, ITC 2012), which a
//! [`CharacteristicTimeCache`](super::cache::CharacteristicTimeCache) uses instead.

use rand_distr::{Distribution, Exp1, Zipf};

use super::cache::LruCache;
use super::chunk::ChunkId;
use super::{StorageError, StorageResult, hash_name, mix64};
use crate::engine::time::US_PER_S;
use crate::engine::{Rng, SimDuration, SimTime};

/// The largest background population: 2^24 chunks (8 TiB of distinct content), so the rate
/// vector of the T_C solver stays under 128 MB.
pub const MAX_BACKGROUND_CHUNKS: u32 = 1 << 24;

const DOMAIN_BACKGROUND: u64 = 0x4247_0000_0000_0000;

/// Other tenants' requests at one cache: Zipf(`zipf_alpha`) over `n_chunks` chunks at
/// `rate_per_s` requests per second in total. No defaults: calibration parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackgroundLoad {
    /// Number of distinct background chunks N (1 ..= [`MAX_BACKGROUND_CHUNKS`]).
    pub n_chunks: u32,
    /// Zipf exponent α ≥ 0 (0: uniform).
    pub zipf_alpha: f64,
    /// Total request rate Λ, chunk reads per second (≥ 0).
    pub rate_per_s: f64,
}

impl BackgroundLoad {
    /// Checks the parameters.
    pub fn validate(&self) -> StorageResult<()> {
        if self.n_chunks == 0 || self.n_chunks > MAX_BACKGROUND_CHUNKS {
            return Err(StorageError::param(
                "n_chunks",
                format!(
                    "expected 1 to {MAX_BACKGROUND_CHUNKS} chunks, got {}",
                    self.n_chunks
                ),
            ));
        }
        if !(self.zipf_alpha.is_finite() && self.zipf_alpha >= 0.0) {
            return Err(StorageError::param(
                "zipf_alpha",
                format!("expected a finite exponent >= 0, got {}", self.zipf_alpha),
            ));
        }
        if !(self.rate_per_s.is_finite() && self.rate_per_s >= 0.0) {
            return Err(StorageError::param(
                "rate_per_s",
                format!("expected a finite rate >= 0, got {}", self.rate_per_s),
            ));
        }
        Ok(())
    }

    /// Request probability of each chunk, rank 1 first: p_i = i^(−α) / Σ_j j^(−α).
    pub fn popularity(&self) -> StorageResult<Vec<f64>> {
        self.validate()?;
        let mut p: Vec<f64> = (1..=self.n_chunks)
            .map(|i| (i as f64).powf(-self.zipf_alpha))
            .collect();
        // Summed smallest first for accuracy.
        let norm: f64 = p.iter().rev().sum();
        p.iter_mut().for_each(|x| *x /= norm);
        Ok(p)
    }

    /// Request rate of each chunk, λ_i = Λ p_i, per second.
    pub fn rates_per_s(&self) -> StorageResult<Vec<f64>> {
        let mut r = self.popularity()?;
        r.iter_mut().for_each(|x| *x *= self.rate_per_s);
        Ok(r)
    }

    /// T_C of a cache of `capacity_chunks` under this load alone (see
    /// [`characteristic_time`]).
    pub fn characteristic_time(&self, capacity_chunks: u32) -> StorageResult<CharacteristicTime> {
        // T_C depends only on (N, α, Λ, C): solved once per process and reused by every
        // replication and fleet (the solve is O(N) per Newton step, ~0.3 s for the default
        // AZ load of 4M chunks; the result is the same bits either way).
        type Key = (u32, u64, u64, u32);
        static SOLVED: std::sync::Mutex<Vec<(Key, CharacteristicTime)>> =
            std::sync::Mutex::new(Vec::new());
        let key = (
            self.n_chunks,
            self.zipf_alpha.to_bits(),
            self.rate_per_s.to_bits(),
            capacity_chunks,
        );
        let lock = || SOLVED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&(_, t)) = lock().iter().find(|(k, _)| *k == key) {
            return Ok(t);
        }
        let t = characteristic_time(&self.rates_per_s()?, capacity_chunks)?;
        let mut solved = lock();
        if solved.len() >= 64 {
            solved.clear();
        }
        solved.push((key, t));
        Ok(t)
    }

    /// The explicit request stream, drawing from `rng` (give it its own named stream).
    /// `key` names the cache, so that each cache's tenants have their own chunks.
    pub fn stream(&self, key: &str, rng: Rng) -> StorageResult<BackgroundStream> {
        self.validate()?;
        let zipf = Zipf::new(self.n_chunks as f64, self.zipf_alpha)
            .map_err(|e| StorageError::param("zipf_alpha", e.to_string()))?;
        let mut s = BackgroundStream {
            zipf,
            mean_gap_us: if self.rate_per_s > 0.0 {
                US_PER_S as f64 / self.rate_per_s
            } else {
                f64::INFINITY
            },
            next_us: 0.0,
            key_hash: hash_name(key),
            rng,
            requests: 0,
        };
        s.next_us = s.gap_us();
        Ok(s)
    }
}

/// Other tenants' requests at one cache, generated lazily: [`advance_to`](Self::advance_to)
/// replays those due up to a time into the cache. One pending request at a time, so memory
/// is constant however long the run.
#[derive(Clone, Debug)]
pub struct BackgroundStream {
    zipf: Zipf<f64>,
    mean_gap_us: f64,
    next_us: f64,
    key_hash: u64,
    rng: Rng,
    requests: u64,
}

impl BackgroundStream {
    #[inline]
    fn gap_us(&mut self) -> f64 {
        let e: f64 = Exp1.sample(&mut self.rng);
        e * self.mean_gap_us
    }

    /// The chunk of popularity rank `rank` (0 = most popular) of this stream.
    pub fn chunk_of_rank(&self, rank: u32) -> ChunkId {
        ChunkId(mix64(
            self.key_hash ^ mix64(rank as u64 ^ DOMAIN_BACKGROUND),
        ))
    }

    /// Draws the next request's rank (0-based).
    #[inline]
    pub fn next_rank(&mut self) -> u32 {
        let k: f64 = self.zipf.sample(&mut self.rng);
        (k as u32).saturating_sub(1)
    }

    /// Feeds `lru` every background request due at or before `now`.
    #[inline]
    pub fn advance_to(&mut self, now: SimTime, lru: &mut LruCache) {
        let now_us = now.as_us() as f64;
        while self.next_us <= now_us {
            let rank = self.next_rank();
            lru.touch(self.chunk_of_rank(rank));
            self.requests += 1;
            self.next_us += self.gap_us();
        }
    }

    /// Background requests replayed so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }
}

/// The characteristic time T_C of an LRU cache: how long a chunk stays after its last
/// request. Infinite when everything requested fits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CharacteristicTime {
    /// T_C in seconds (may be +∞).
    pub t_c_s: f64,
}

impl CharacteristicTime {
    /// Nothing is ever evicted by the background.
    pub const INFINITE: CharacteristicTime = CharacteristicTime {
        t_c_s: f64::INFINITY,
    };

    /// True when nothing is ever evicted.
    pub fn is_infinite(self) -> bool {
        self.t_c_s.is_infinite()
    }

    /// As a simulated duration, rounded to the microsecond; infinite saturates to the
    /// largest duration.
    pub fn as_duration(self) -> SimDuration {
        SimDuration::from_secs_f64(self.t_c_s)
    }
}

/// Expected number of distinct chunks requested within `t_s` seconds, Σ_i (1 − e^(−λ_i t)):
/// the occupancy of an LRU whose characteristic time is `t_s`.
pub fn expected_distinct(rates_per_s: &[f64], t_s: f64) -> f64 {
    // −expm1(−x) is 1 − e^(−x) without cancellation for small x.
    rates_per_s.iter().map(|&l| -(-l * t_s).exp_m1()).sum()
}

/// Occupancy Σ_i (1 − e^(−λ_i t)) and its derivative Σ_i λ_i e^(−λ_i t), in one pass.
fn occupancy_and_slope(rates_per_s: &[f64], t_s: f64) -> (f64, f64) {
    rates_per_s.iter().fold((0.0, 0.0), |(occ, slope), &l| {
        let m = (-l * t_s).exp_m1();
        (occ - m, slope + l * (1.0 + m))
    })
}

/// Solves Σ_i (1 − e^(−λ_i T_C)) = C for T_C (Che, Tung and Wang 2002, eq. for the
/// "characteristic time"). The left side grows strictly and concavely from 0 to the number
/// of chunks with λ_i > 0, so the root is unique. Method: C/Λ is a lower bound (since
/// 1 − e^(−x) ≤ x); doubling finds an upper bound; Newton's method from the lower end then
/// converges monotonically (on a concave increasing function every tangent root stays left
/// of the root), to a relative step of 1e−15; if rounding ever stops it early, bisection
/// on log T finishes the bracket to 1e−14. C = 0 gives 0; C at least the number of
/// requested chunks gives [`CharacteristicTime::INFINITE`]. Rates must be finite and ≥ 0.
pub fn characteristic_time(
    rates_per_s: &[f64],
    capacity_chunks: u32,
) -> StorageResult<CharacteristicTime> {
    if let Some(bad) = rates_per_s.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
        return Err(StorageError::param(
            "rates_per_s",
            format!("expected finite rates >= 0, got {bad}"),
        ));
    }
    let c = capacity_chunks as f64;
    let requested = rates_per_s.iter().filter(|&&r| r > 0.0).count();
    if capacity_chunks == 0 {
        return Ok(CharacteristicTime { t_c_s: 0.0 });
    }
    if capacity_chunks as usize >= requested {
        return Ok(CharacteristicTime::INFINITE);
    }
    let total: f64 = rates_per_s.iter().sum();
    let mut lo = c / total;
    let mut hi = 2.0 * lo;
    while expected_distinct(rates_per_s, hi) < c {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return Err(StorageError::param(
                "rates_per_s",
                "rates span too wide a range to solve for the characteristic time",
            ));
        }
    }
    for _ in 0..100 {
        let (occ, slope) = occupancy_and_slope(rates_per_s, lo);
        if occ >= c {
            return Ok(CharacteristicTime { t_c_s: lo });
        }
        let next = lo + (c - occ) / slope;
        if !(next > lo && next < hi) {
            break;
        }
        let converged = next - lo <= 1e-15 * next;
        lo = next;
        if converged {
            return Ok(CharacteristicTime { t_c_s: lo });
        }
    }
    for _ in 0..200 {
        if hi - lo <= 1e-14 * hi {
            break;
        }
        let mid = (lo * hi).sqrt().clamp(lo, hi);
        if expected_distinct(rates_per_s, mid) < c {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(CharacteristicTime {
        t_c_s: 0.5 * (lo + hi),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn zipf_load(n: u32, alpha: f64, rate: f64) -> BackgroundLoad {
        BackgroundLoad {
            n_chunks: n,
            zipf_alpha: alpha,
            rate_per_s: rate,
        }
    }

    /// Σ(1 − e^(−λ T)) written independently of the solver: plain 1 − exp, summed in
    /// compensated (Kahan) form.
    fn occupancy(rates: &[f64], t: f64) -> f64 {
        let (mut s, mut comp) = (0.0f64, 0.0f64);
        for &l in rates {
            let y = (1.0 - (-l * t).exp()) - comp;
            let u = s + y;
            comp = (u - s) - y;
            s = u;
        }
        s
    }

    #[test]
    fn che_root_satisfies_the_occupancy_equation_to_1e9_relative() {
        for (n, alpha, rate) in [
            (100_000, 0.8, 5_000.0),
            (20_000, 1.2, 30.0),
            (5_000, 0.0, 1.0),
        ] {
            let load = zipf_load(n, alpha, rate);
            let rates = load.rates_per_s().unwrap();
            for cap in [1u32, 10, 500, n / 3, n - 1] {
                let t = load.characteristic_time(cap).unwrap().t_c_s;
                assert!(t.is_finite() && t > 0.0);
                let occ = occupancy(&rates, t);
                assert!(
                    (occ / cap as f64 - 1.0).abs() < 1e-9,
                    "N {n} α {alpha} C {cap}: occupancy {occ} at T {t}"
                );
            }
        }
    }

    #[test]
    fn uniform_popularity_matches_the_closed_form_t_c() {
        // N(1 − e^(−ΛT/N)) = C  ⇒  T = −(N/Λ) ln(1 − C/N).
        let (n, rate) = (10_000u32, 250.0);
        let load = zipf_load(n, 0.0, rate);
        for cap in [1u32, 100, 5_000, 9_999] {
            let t = load.characteristic_time(cap).unwrap().t_c_s;
            let exact = -(n as f64 / rate) * (1.0 - cap as f64 / n as f64).ln();
            assert!((t / exact - 1.0).abs() < 1e-9, "C {cap}: {t} vs {exact}");
        }
    }

    #[test]
    fn limits_small_capacity_is_c_over_lambda_and_full_capacity_is_infinite() {
        let load = zipf_load(50_000, 0.9, 1_000.0);
        let rates = load.rates_per_s().unwrap();
        let p = load.popularity().unwrap();
        let s2: f64 = p.iter().map(|x| x * x).sum();
        let s3: f64 = p.iter().map(|x| x * x * x).sum();
        // Small T: with x = ΛT, Σ(1 − e^(−λT)) = x − s2 x²/2 + s3 x³/6 − … = C, inverted as
        // a series: x = C + s2 C²/2 + (s2²/2 − s3/6) C³ + O(C⁴ s2³). Here p_1 ≈ 0.05,
        // s2 ≈ 5e-3, so the neglected term is ~1e-5 relative at C = 5.
        for cap in [1u32, 2, 5] {
            let t = load.characteristic_time(cap).unwrap().t_c_s;
            let c = cap as f64;
            let x = c + s2 * c * c / 2.0 + (s2 * s2 / 2.0 - s3 / 6.0) * c * c * c;
            let approx = x / 1_000.0;
            assert!((t / approx - 1.0).abs() < 1e-4, "C {cap}: {t} vs {approx}");
            // And the first-order limit: T → C/Λ.
            assert!((t * 1_000.0 / c - 1.0).abs() < 0.02);
        }
        // C → N: T grows without bound. With C = N − m the equation reads
        // Σ_i e^(−λ_i T) = m: the complement, where the occupancy form loses digits to
        // cancellation; check it in that form. Bounds on the root at m = 1: every λ_i ≥ λ_N,
        // so 1 = Σ e^(−λ_i T) ≤ N e^(−λ_N T), i.e. λ_N T ≤ ln N; and the 1,000 least
        // popular chunks have λ ≤ λ_(N−999), so 1 ≥ 1000 e^(−λ_(N−999) T), i.e.
        // λ_(N−999) T ≥ ln 1000: T is many lifetimes of the tail chunks.
        let mut last = 0.0;
        for m in [10_000u32, 1_000, 10, 1] {
            let t = characteristic_time(&rates, 50_000 - m).unwrap().t_c_s;
            assert!(t > last);
            last = t;
            let missing: f64 = rates.iter().map(|&l| (-l * t).exp()).sum();
            assert!(
                (missing / m as f64 - 1.0).abs() < 1e-6,
                "m {m}: Σ e^(−λT) = {missing}"
            );
        }
        assert!(rates[49_999] * last <= 50_000f64.ln());
        assert!(rates[49_000] * last >= 1_000f64.ln());
        assert!(load.characteristic_time(50_000).unwrap().is_infinite());
        assert!(load.characteristic_time(60_000).unwrap().is_infinite());
        assert_eq!(load.characteristic_time(0).unwrap().t_c_s, 0.0);
        // Chunks never requested do not count towards N.
        assert!(
            characteristic_time(&[1.0, 0.0, 0.0], 1)
                .unwrap()
                .is_infinite()
        );
        assert!(characteristic_time(&[1.0, f64::NAN], 1).is_err());
    }

    #[test]
    fn background_stream_draws_ranks_with_zipf_probabilities_at_rate_lambda() {
        let load = zipf_load(1_000, 0.8, 2_000.0);
        let p = load.popularity().unwrap();
        let mut s = load.stream("w0", Rng::seed_from_u64(3)).unwrap();
        let n = 400_000;
        let mut counts = vec![0u64; 1_000];
        for _ in 0..n {
            counts[s.next_rank() as usize] += 1;
        }
        for rank in [0usize, 1, 9, 99, 999] {
            let expected = p[rank] * n as f64;
            let sd = (expected * (1.0 - p[rank])).sqrt();
            assert!(
                (counts[rank] as f64 - expected).abs() < 4.5 * sd,
                "rank {rank}: {} vs {expected:.0}",
                counts[rank]
            );
        }
        // Rate: requests replayed over 100 s ≈ Λ·100 = 200,000 ± 4.5·sqrt.
        let mut lru = LruCache::new(10);
        let mut s = load.stream("w0", Rng::seed_from_u64(4)).unwrap();
        s.advance_to(SimTime(100 * US_PER_S), &mut lru);
        let r = s.requests() as f64;
        assert!((r - 200_000.0).abs() < 4.5 * 200_000f64.sqrt(), "{r}");
        assert_ne!(s.chunk_of_rank(0), s.chunk_of_rank(1));
        let other = load.stream("w1", Rng::seed_from_u64(4)).unwrap();
        assert_ne!(s.chunk_of_rank(0), other.chunk_of_rank(0));
    }

    #[test]
    fn bad_background_parameters_are_rejected() {
        for bad in [
            zipf_load(0, 0.8, 1.0),
            zipf_load(MAX_BACKGROUND_CHUNKS + 1, 0.8, 1.0),
            zipf_load(10, -0.1, 1.0),
            zipf_load(10, f64::NAN, 1.0),
            zipf_load(10, 0.8, -1.0),
            zipf_load(10, 0.8, f64::INFINITY),
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
            assert!(bad.stream("k", Rng::seed_from_u64(0)).is_err());
        }
    }
}
