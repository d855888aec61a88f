//! Two-part fits of a cold start that reads chunks: an image's init, or a SnapStart
//! restore, is the runtime's own work `k·Z` (Z the runtime's fitted distribution, k a
//! scale) plus the chunk reads through the cache tiers, whose time `R(r)` grows with the
//! read size r. One simulation of the reads alone at a reference size r0 gives R(r0); the
//! reads of r MB are taken as (r / r0)·R(r0) (a sum of per-chunk latencies under one
//! per-cold-start jitter factor scales with the chunk count). Then (k, r) is chosen so that
//! k·Z + R(r) has the measured p50 and p90: for each k of a grid, r by bisection on the p50,
//! and the k whose p90 is closest wins. The caller then refines r through the simulator
//! (secant on the p50) at that k.
//!
//! Why two parts: with k fixed at 1 (the zip's runtime start as is) an image can only be
//! slower than its zip, but lambda-perf's custom-runtime images start faster than their
//! zips (e.g. `bun (prov.al2)` image p50 157 ms, zip 342 ms), and the image tails of the
//! managed runtimes are wider than one read jitter gives on top of the zip's start.

use crate::stats::histogram::Histogram;

/// Monte Carlo draws of the surrogate (deterministic: stratified quantiles).
const DRAWS: usize = 4000;
/// Bisection steps of the read size: 2^-24 of its range, far below the p50's sampling error.
const BISECTIONS: usize = 24;
/// The scales tried: 0.02, 0.04, ..., 1.50.
const SCALE_STEPS: usize = 75;
const SCALE_STEP: f64 = 0.02;

/// A chosen split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TwoPart {
    /// Scale of the runtime's own distribution.
    pub scale: f64,
    /// Read size, MB.
    pub read_mb: f64,
    /// The surrogate's p50 and p90 at the choice, ms.
    pub p50_p90_ms: (f64, f64),
}

/// The p50 and p90 (nearest rank) of `k·z + s·r`, using `buf` as scratch.
fn mix_quantiles(z: &[f64], r: &[f64], k: f64, s: f64, buf: &mut Vec<f64>) -> (f64, f64) {
    buf.clear();
    buf.extend(z.iter().zip(r).map(|(z, r)| k * z + s * r));
    let n = buf.len();
    let i50 = (n as f64 * 0.5).ceil() as usize - 1;
    let i90 = (n as f64 * 0.9).ceil() as usize - 1;
    let p50 = *buf.select_nth_unstable_by(i50, f64::total_cmp).1;
    let p90 = *buf.select_nth_unstable_by(i90, f64::total_cmp).1;
    (p50, p90)
}

/// Chooses (k, r): `runtime_ms(q)` is the runtime's quantile function (ms), `reads0` the
/// simulated reads-only distribution (µs) at `r0_mb`, `target_ms` the measured (p50, p90),
/// r at most `max_read_mb`.
pub fn choose(
    runtime_ms: impl Fn(f64) -> f64,
    reads0: &Histogram,
    r0_mb: f64,
    target_ms: (f64, f64),
    max_read_mb: f64,
) -> TwoPart {
    let u = |i: usize| (i as f64 + 0.5) / DRAWS as f64;
    let z: Vec<f64> = (0..DRAWS).map(|i| runtime_ms(u(i))).collect();
    // Pair each runtime quantile with a read quantile from a low-discrepancy permutation
    // (golden-ratio steps), so the two parts are drawn independently.
    let r: Vec<f64> = (0..DRAWS)
        .map(|i| {
            let v = ((i as f64 + 0.5) * 0.618_033_988_749_895).fract();
            reads0.value_at_quantile_us(v) as f64 / 1e3
        })
        .collect();
    let s_max = max_read_mb / r0_mb;
    let mut buf = Vec::with_capacity(DRAWS);
    let mut best: Option<(f64, TwoPart)> = None;
    for step in 1..=SCALE_STEPS {
        let k = step as f64 * SCALE_STEP;
        if mix_quantiles(&z, &r, k, 0.0, &mut buf).0 > target_ms.0 {
            continue;
        }
        let (mut lo, mut hi) = (0.0, s_max);
        if mix_quantiles(&z, &r, k, hi, &mut buf).0 >= target_ms.0 {
            for _ in 0..BISECTIONS {
                let mid = 0.5 * (lo + hi);
                if mix_quantiles(&z, &r, k, mid, &mut buf).0 < target_ms.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
        let q = mix_quantiles(&z, &r, k, hi, &mut buf);
        let err = (q.0 / target_ms.0)
            .ln()
            .abs()
            .max((q.1 / target_ms.1).ln().abs());
        if best.is_none_or(|(e, _)| err < e) {
            best = Some((
                err,
                TwoPart {
                    scale: k,
                    read_mb: hi * r0_mb,
                    p50_p90_ms: q,
                },
            ));
        }
    }
    best.map_or(
        TwoPart {
            scale: SCALE_STEP,
            read_mb: 0.0,
            p50_p90_ms: (f64::NAN, f64::NAN),
        },
        |(_, t)| t,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_scale_and_reads_of_a_constant_runtime_plus_uniform_reads() {
        // Z = 100 ms exactly; reads at r0 = 64 MB uniform on [50, 150] ms. Then
        // k·Z + s·R has p50 100k + 100s and p90 100k + 140s; for the target (150, 170):
        // 40s = 20 gives s = 0.5 (r = 32 MB) and k = 1.0 (closed form). The grid steps k
        // by 0.02, the histogram has ~1% relative error: tolerances 3%.
        let mut h = Histogram::new();
        for i in 0..10_000u64 {
            h.record(50_000 + i * 10);
        }
        let t = choose(|_| 100.0, &h, 64.0, (150.0, 170.0), 128.0);
        assert!((t.scale - 1.0).abs() < 0.03, "{t:?}");
        assert!((t.read_mb / 32.0 - 1.0).abs() < 0.03, "{t:?}");
    }

    #[test]
    fn a_fast_target_shrinks_the_runtime_part() {
        // Z = 300 ms, target p50 = p90 = 150 ms: no read size helps at k = 1; the best
        // split takes k near 0.5 with hardly any reads.
        let mut h = Histogram::new();
        for _ in 0..100 {
            h.record(10_000);
        }
        let t = choose(|_| 300.0, &h, 64.0, (150.0, 150.0), 128.0);
        assert!(t.scale <= 0.5 + 1e-9, "{t:?}");
        assert!((t.p50_p90_ms.0 / 150.0 - 1.0).abs() < 0.02, "{t:?}");
    }
}
