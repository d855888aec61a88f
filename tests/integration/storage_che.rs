//! The two models of other tenants' pressure agree: an LRU fed by an explicit Zipf
//! background stream, and the characteristic-time (Che) approximation with the T_C that
//! stream implies, give the same foreground hit rate on the same workload.
//!
//! Workload (one cache, as a worker or AZ cache would be):
//! - background: Zipf(α = 0.8) over N = 200,000 chunks at Λ = 1,000 reads/s, from the
//!   `storage.background` stream of seed 2 (and seed 3 for the noise floor);
//! - foreground: 8 images of one 100 MB layer each (191 chunks; read set 12 chunks, the
//!   default 6.5%), cold-started as independent Poisson processes at rates ν_j = x_j / T_C
//!   with x_j = 0.1, 0.2, 0.4, 0.7, 1, 1.5, 2.5, 4 (so per-image hit rates 1 − e^(−x_j)
//!   span 10% to 98%); 10,000 cold starts (120,000 chunk reads) from the `fg` stream of
//!   seed 1;
//! - capacities C = 4,000 and 16,000 chunks (2 and 8 GiB).
//!
//! Why 2 points is well above the noise: the same foreground arrivals drive both models
//! (common random numbers), so the difference carries only the background's randomness
//! and the approximation's bias. Rerunning the LRU against another background realisation
//! moves its hit rate by 0.09 points (C = 4,000) and 0.04 points (C = 16,000). Even
//! without common random numbers, a hit rate over 10,000 cold starts whose 12 chunks hit
//! or miss together has sd sqrt(0.82 × 0.18 / 10,000) = 0.38 points, so 2 points is over 3.7
//! sd of a difference. The bound still bites: the hit rate moves by
//! Σ x_j² e^(−x_j) / Σ x_j = 0.2 per unit of relative error in T_C, so a T_C 10% off
//! fails it.
//!
//! Bias: the foreground holds at most 96 chunks, under 2.4% of the smaller cache, so T_C
//! from the background alone is off by at most ~2.4%, i.e. ≤ 0.5 points here.
//! Measured (seed 1/2): C = 4,000: T_C 5.03 s, Che 82.79%, LRU 82.50% (Δ 0.29 points);
//! C = 16,000: T_C 24.2 s, Che 82.79%, LRU 82.70% (Δ 0.09 points); closed form 82.20%.
//! (10,000 cold starts rather than 20,000 halve the test's time; the bounds keep 3.7-4 sd.)

use coldsim::engine::{Rng, RngStreams, SimTime};
use coldsim::storage::background::{BackgroundLoad, CharacteristicTime};
use coldsim::storage::cache::{CharacteristicTimeCache, ChunkCache, LruCache, TierCache};
use coldsim::storage::chunk::{ImageVersion, Layer, MB};
use coldsim::storage::layout::{DEFAULT_READ_FRACTION, ReadSet};
use rand::Rng as _;
use rand_distr::{Distribution, Exp1};

const X: [f64; 8] = [0.1, 0.2, 0.4, 0.7, 1.0, 1.5, 2.5, 4.0];
const COLD_STARTS: usize = 10_000;

const BACKGROUND: BackgroundLoad = BackgroundLoad {
    n_chunks: 200_000,
    zipf_alpha: 0.8,
    rate_per_s: 1_000.0,
};

fn images() -> Vec<ReadSet> {
    (0..X.len())
        .map(|j| {
            let name = format!("fg-{j}");
            let v = ImageVersion::build(&name, &[Layer::new(&name, 100 * MB)]).unwrap();
            ReadSet::sampled(&v, DEFAULT_READ_FRACTION).unwrap()
        })
        .collect()
}

/// Foreground hits / reads over the run.
fn foreground_hit_rate(cache: &mut TierCache, t_c: CharacteristicTime, fg_seed: u64) -> f64 {
    let reads = images();
    assert!(reads.iter().all(|r| r.len() == 12));
    let rates: Vec<f64> = X.iter().map(|x| x / t_c.t_c_s).collect();
    let total: f64 = rates.iter().sum();
    let mut rng: Rng = RngStreams::new(fg_seed).stream("fg", "");
    let (mut t_s, mut hits, mut n) = (0.0f64, 0u64, 0u64);
    for _ in 0..COLD_STARTS {
        let e: f64 = Exp1.sample(&mut rng);
        t_s += e / total;
        let mut u = rng.random::<f64>() * total;
        let j = rates.iter().position(|&r| {
            u -= r;
            u < 0.0
        });
        let j = j.unwrap_or(X.len() - 1);
        let now = SimTime((t_s * 1e6) as u64);
        for &c in reads[j].chunks() {
            hits += u64::from(cache.access(c, now).is_hit());
            n += 1;
        }
    }
    hits as f64 / n as f64
}

/// Σ_j ν_j (1 − e^(−x_j)) / Σ ν_j: Che's prediction (compulsory misses aside).
fn predicted_hit_rate() -> f64 {
    let num: f64 = X.iter().map(|x| x * (1.0 - (-x).exp())).sum();
    num / X.iter().sum::<f64>()
}

fn explicit(capacity: u32, bg_seed: u64) -> TierCache {
    let rng = RngStreams::new(bg_seed).stream("storage.background", "cache");
    TierCache::Explicit {
        lru: LruCache::new(capacity),
        background: Some(BACKGROUND.stream("cache", rng).unwrap()),
    }
}

#[test]
fn explicit_lru_and_characteristic_time_agree_on_foreground_hit_rate_within_2_points() {
    for capacity in [4_000u32, 16_000] {
        let t_c = BACKGROUND.characteristic_time(capacity).unwrap();
        let mut che = TierCache::CharacteristicTime(CharacteristicTimeCache::new(capacity, t_c));
        let h_che = foreground_hit_rate(&mut che, t_c, 1);
        let h_lru = foreground_hit_rate(&mut explicit(capacity, 2), t_c, 1);
        // Noise floor: the same foreground against another background realisation.
        let h_lru2 = foreground_hit_rate(&mut explicit(capacity, 3), t_c, 1);
        let predicted = predicted_hit_rate();
        eprintln!(
            "C {capacity}: T_C {:.3} s, Che {:.4}, LRU {:.4} / {:.4} (other bg seed), \
             closed form {:.4}",
            t_c.t_c_s, h_che, h_lru, h_lru2, predicted
        );
        assert!(
            (h_lru - h_che).abs() < 0.02,
            "C {capacity}: LRU {h_lru} vs Che {h_che}"
        );
        assert!((h_lru2 - h_che).abs() < 0.02);
        // The Che cache against its closed form, Σ ν_j (1 − e^(−x_j)) / Σ ν_j: they differ
        // only by foreground sampling noise, sd 0.38 points; allow 1.5 points (3.9 sd).
        assert!(
            (h_che - predicted).abs() < 0.015,
            "Che {h_che} vs {predicted}"
        );
    }
}
