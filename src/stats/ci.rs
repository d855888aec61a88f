//! Confidence intervals over independent replications.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean of `samples` and the half-width of its two-sided 95 % Student-t
/// confidence interval: `t(0.975, n-1) · s / √n`, with `s` the sample
/// standard deviation (divisor `n - 1`). Each sample is meant to be one
/// replication's value of a metric, so they are treated as i.i.d.
///
/// Non-finite samples (NaN, ±∞) are skipped, and `n` counts only the finite
/// ones: a replication that produced no value (e.g. a percentile of an empty
/// histogram turned into NaN) must not poison the mean of the others.
/// Callers that consider such a value an error should check before calling.
///
/// Returns:
/// - `(0.0, None)` when no sample is finite, so the mean is never NaN;
/// - `(mean, None)` when only one sample is finite (no spread to estimate),
///   or when the spread overflows `f64` (samples near ±1.8e308);
/// - `(mean, Some(half_width))` otherwise.
///
/// Deterministic: sums run in the given order, so identical inputs give
/// bit-identical outputs.
pub fn mean_and_ci95(samples: &[f64]) -> (f64, Option<f64>) {
    let finite = || samples.iter().copied().filter(|x| x.is_finite());
    let n = finite().count();
    if n == 0 {
        return (0.0, None);
    }
    let nf = n as f64;
    let mut mean = finite().sum::<f64>() / nf;
    if !mean.is_finite() {
        // The running sum overflowed; scaling each term first keeps every
        // partial sum within max |x|, at the cost of n roundings.
        mean = finite().map(|x| x / nf).sum::<f64>();
    }
    if n < 2 {
        return (mean, None);
    }
    let sum_sq: f64 = finite().map(|x| (x - mean) * (x - mean)).sum();
    let std_dev = (sum_sq / (nf - 1.0)).sqrt();
    let half_width = t_quantile_975(nf - 1.0).map(|t| t * std_dev / nf.sqrt());
    (mean, half_width.filter(|h| h.is_finite()))
}

/// Most replications [`replications_to_separate`] suggests; beyond, it returns `None`.
pub const MAX_SUGGESTED_REPLICATIONS: u32 = 1_000_000;

/// How many replications would make a mean difference `d` (observed with a 95% CI
/// half-width `h` over `n0` replications) distinguishable from zero, if the difference and
/// the spread stay as observed.
///
/// The sample standard deviation follows from the interval, `s = h·√n0 / t(n0−1)`, and `n`
/// replications separate `d` when `t(n−1)·s/√n < |d|`, i.e. about `n0·(h/|d|)²` for large
/// `n` (the t quantiles then cancel). The exact smallest such `n` is found by bisection
/// (`t(n−1)/√n` decreases in `n`). `None` when `d` is zero, there is no interval (`n0 < 2`
/// or `h ≤ 0`), or more than [`MAX_SUGGESTED_REPLICATIONS`] would be needed.
pub fn replications_to_separate(d: f64, h: f64, n0: u32) -> Option<u32> {
    if d == 0.0 || h <= 0.0 || n0 < 2 || !(d.is_finite() && h.is_finite()) {
        return None;
    }
    let s = h * f64::from(n0).sqrt() / t_quantile_975(f64::from(n0 - 1))?;
    let separates = |n: u32| {
        t_quantile_975(f64::from(n - 1)).is_some_and(|t| t * s / f64::from(n).sqrt() < d.abs())
    };
    if !separates(MAX_SUGGESTED_REPLICATIONS) {
        return None;
    }
    let (mut lo, mut hi) = (1u32, MAX_SUGGESTED_REPLICATIONS);
    // Invariant: `lo` does not separate (n = 1 has no interval), `hi` does.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if separates(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// 0.975 quantile of Student's t with `dof` degrees of freedom; `None` if
/// statrs rejects the parameters (only for `dof <= 0` or NaN).
fn t_quantile_975(dof: f64) -> Option<f64> {
    let dist = StudentsT::new(0.0, 1.0, dof).ok()?;
    let t = dist.inverse_cdf(0.975);
    t.is_finite().then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::Normal;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Tolerance: 1e-3 absolute against printed t tables.
    #[test]
    fn t_quantile_matches_tables() {
        for (n, table) in [(2usize, 12.706), (10, 2.262), (30, 2.045)] {
            let t = t_quantile_975((n - 1) as f64).expect("valid dof");
            assert!((t - table).abs() <= 1e-3, "n={n}: t={t}, table {table}");
            // Same value through the public function: samples ±1 around 0
            // repeated so that s/√n is known exactly.
            let samples: Vec<f64> = (0..n)
                .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
                .collect();
            let mean = samples.iter().sum::<f64>() / n as f64;
            let ss: f64 = samples.iter().map(|x| (x - mean).powi(2)).sum();
            let se = (ss / (n - 1) as f64).sqrt() / (n as f64).sqrt();
            let (_, h) = mean_and_ci95(&samples);
            let h = h.expect("n >= 2 has an interval");
            assert!((h / se - table).abs() <= 1e-3, "n={n}: h/se={}", h / se);
        }
        assert_eq!(t_quantile_975(0.0), None);
    }

    /// Tolerance: 1e-9 relative to values worked by hand.
    #[test]
    fn half_width_matches_hand_computation() {
        // {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, Σ(x-5)² = 32, s² = 32/7,
        // s/√8 = √(4/7) = 0.755928946..., t(0.975, 7) = 2.364624252,
        // half-width = 1.787519...
        let (mean, h) = mean_and_ci95(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        let h = h.expect("n = 8 has an interval");
        let want = 2.364_624_251_592_785 * (4.0f64 / 7.0).sqrt();
        assert_eq!(mean, 5.0);
        assert!((h - want).abs() <= 1e-9 * want, "h={h}, want {want}");

        // {1, 3}: mean 2, s = √2, s/√2 = 1, so half-width = t(0.975, 1).
        let (mean, h) = mean_and_ci95(&[1.0, 3.0]);
        assert_eq!(mean, 2.0);
        let h = h.expect("n = 2 has an interval");
        assert!((h - 12.706_204_736_174_7).abs() <= 1e-9 * h, "h={h}");

        // No spread, zero width.
        assert_eq!(mean_and_ci95(&[3.5; 5]), (3.5, Some(0.0)));
    }

    /// Tolerance: coverage in 0.95 ± 0.015 (≈ 3 binomial σ at 2,000 trials).
    #[test]
    fn ci_covers_the_true_mean_in_about_95_percent_of_experiments() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
        let (mu, sigma) = (50.0, 7.0);
        let dist = Normal::new(mu, sigma).expect("valid normal parameters");
        let experiments = 2_000;
        let mut covered = 0;
        for _ in 0..experiments {
            let samples: Vec<f64> = (0..8).map(|_| rng.sample(dist)).collect();
            let (mean, h) = mean_and_ci95(&samples);
            let h = h.expect("n = 8 has an interval");
            if (mean - mu).abs() <= h {
                covered += 1;
            }
        }
        let coverage = covered as f64 / experiments as f64;
        assert!((coverage - 0.95).abs() <= 0.015, "coverage {coverage}");
    }

    /// Tolerance: exact.
    #[test]
    fn single_sample_has_no_interval() {
        assert_eq!(mean_and_ci95(&[42.0]), (42.0, None));
        assert_eq!(mean_and_ci95(&[]), (0.0, None));
        // One finite sample among non-finite ones is still a single sample.
        assert_eq!(
            mean_and_ci95(&[f64::NAN, 42.0, f64::INFINITY]),
            (42.0, None)
        );
    }

    /// Tolerance: exact; skipped values must not change the result.
    #[test]
    fn non_finite_samples_are_skipped() {
        let clean = mean_and_ci95(&[1.0, 2.0, 3.0, 4.0]);
        let dirty = mean_and_ci95(&[
            f64::NAN,
            1.0,
            2.0,
            f64::NEG_INFINITY,
            3.0,
            4.0,
            f64::INFINITY,
        ]);
        assert_eq!(clean, dirty);
        assert_eq!(mean_and_ci95(&[f64::NAN, f64::NAN]), (0.0, None));
    }

    /// Tolerance: mean finite and within 1e-12 relative; no interval.
    #[test]
    fn huge_samples_give_a_finite_mean() {
        let (mean, h) = mean_and_ci95(&[f64::MAX, f64::MAX, -f64::MAX]);
        assert!(mean.is_finite());
        assert!((mean - f64::MAX / 3.0).abs() <= 1e-12 * f64::MAX);
        assert_eq!(h, None);
    }

    /// Tolerance: exact counts, derived by hand from printed t tables (t(1) = 12.706,
    /// t(7) = 2.3646, t(8) = 2.3060). With d = 6.02, h = 66.7 over 2 replications,
    /// s = 66.7·√2/12.706 = 7.424; n = 8 gives 2.3646·7.424/√8 = 6.207 > 6.02, n = 9 gives
    /// 2.3060·7.424/3 = 5.707 < 6.02, so 9.
    #[test]
    fn replications_to_separate_matches_a_hand_computed_count() {
        assert_eq!(replications_to_separate(6.02, 66.7, 2), Some(9));
        assert_eq!(replications_to_separate(-6.02, 66.7, 2), Some(9));
        assert_eq!(replications_to_separate(0.0, 1.0, 2), None);
        assert_eq!(replications_to_separate(1.0, 1.0, 1), None);
        assert_eq!(replications_to_separate(1e-9, 1.0, 2), None);
    }

    /// Tolerance: 0.2%. For large n, t(n−1) → z = 1.95996 and n ≈ n0·(h/d)²·(z/t(n0−1))²:
    /// with n0 = 100 (t(99) = 1.98422), h = 10, d = 1, that is 10,000·0.97567 = 9,757.
    #[test]
    fn replications_to_separate_approaches_n0_h_over_d_squared() {
        let n = f64::from(replications_to_separate(1.0, 10.0, 100).unwrap());
        assert!((n / 9_756.7 - 1.0).abs() < 0.002, "{n}");
    }
}
