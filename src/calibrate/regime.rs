//! Level shifts in a measurement series: the platform changes under long-running
//! benchmarks (a runtime update in April 2024 cut lambda-perf's python 3.11 zip init from
//! ~105 ms to ~70 ms in a week), and a model fitted across such a shift describes neither
//! side. Calibration therefore fits the last regime before the training cut-off and says
//! where it starts.
//!
//! Method: binary segmentation of the log of the daily medians, keeping the right-hand
//! segment (Vostrikova 1981; the CUSUM statistic of a change in mean). A split at day k of n
//! is significant when |mean_left − mean_right| · sqrt(k(n−k)/n) / σ exceeds
//! [`RegimeRule::threshold`] and the shift is at least [`RegimeRule::min_relative_shift`];
//! σ is the day-to-day noise, estimated robustly from the median absolute difference of
//! consecutive days (MAD / 0.6745 / √2), which a level shift hardly moves.

use super::day::Day;

/// When a level shift counts as a new regime.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegimeRule {
    /// CUSUM statistic in units of the day-to-day noise. 6 keeps the false-alarm rate of a
    /// max over ~500 candidate splits well below 1e-3 for Gaussian noise.
    pub threshold: f64,
    /// Smallest shift of the daily median that matters for a model (5%: half the 10%
    /// accuracy the project promises for init percentiles).
    pub min_relative_shift: f64,
    /// Fewest days on each side of a split (two weeks: one bad day is not a regime).
    pub min_days: usize,
}

impl Default for RegimeRule {
    fn default() -> Self {
        RegimeRule {
            threshold: 6.0,
            min_relative_shift: 0.05,
            min_days: 14,
        }
    }
}

/// The first day of the last regime of a series given as `(day, median of that day)` in day
/// order, or `None` for an empty series. Days with a non-positive or non-finite median are
/// ignored.
pub fn last_regime_start(daily_medians: &[(Day, f64)], rule: &RegimeRule) -> Option<Day> {
    let series: Vec<(Day, f64)> = daily_medians
        .iter()
        .filter(|(_, m)| m.is_finite() && *m > 0.0)
        .map(|&(d, m)| (d, m.ln()))
        .collect();
    let first = series.first()?.0;
    let min_days = rule.min_days.max(1);
    let mut lo = 0usize;
    loop {
        let seg = &series[lo..];
        let n = seg.len();
        if n < 2 * min_days {
            break;
        }
        let mut diffs: Vec<f64> = seg.windows(2).map(|w| (w[1].1 - w[0].1).abs()).collect();
        diffs.sort_by(f64::total_cmp);
        let sigma = (diffs[diffs.len() / 2] / 0.6745 / std::f64::consts::SQRT_2).max(1e-9);
        let total: f64 = seg.iter().map(|(_, x)| x).sum();
        let mut left = 0.0;
        let mut best: Option<(f64, usize, f64)> = None;
        for k in 1..n {
            left += seg[k - 1].1;
            if k < min_days || n - k < min_days {
                continue;
            }
            let (kf, nf) = (k as f64, n as f64);
            let shift = (left / kf - (total - left) / (nf - kf)).abs();
            let stat = shift * (kf * (nf - kf) / nf).sqrt() / sigma;
            if best.is_none_or(|(s, _, _)| stat > s) {
                best = Some((stat, k, shift));
            }
        }
        match best {
            Some((stat, k, shift))
                if stat > rule.threshold && shift > (1.0 + rule.min_relative_shift).ln() =>
            {
                lo += k
            }
            _ => break,
        }
    }
    Some(series.get(lo).map_or(first, |s| s.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn series(levels: &[(usize, f64)], noise: f64, seed: u64) -> Vec<(Day, f64)> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let normal = Normal::new(0.0, noise).unwrap();
        let mut out = Vec::new();
        for &(days, level) in levels {
            for _ in 0..days {
                let d = Day(19_000 + out.len() as i32);
                out.push((d, level * (1.0 + normal.sample(&mut rng))));
            }
        }
        out
    }

    #[test]
    fn finds_the_last_of_two_shifts_within_two_days() {
        // 100 ms for 200 days, 70 ms for 60 days, 75 ms for 90 days; 3% daily noise. The
        // last regime starts at day 260.
        let s = series(&[(200, 100.0), (60, 70.0), (90, 75.0)], 0.03, 1);
        let start = last_regime_start(&s, &RegimeRule::default()).unwrap();
        assert!((start.0 - 19_260).abs() <= 2, "{start:?}");
    }

    #[test]
    fn a_stationary_series_is_one_regime() {
        for seed in 0..20 {
            let s = series(&[(400, 90.0)], 0.05, seed);
            assert_eq!(
                last_regime_start(&s, &RegimeRule::default()),
                Some(Day(19_000))
            );
        }
    }

    #[test]
    fn a_small_shift_is_not_a_regime_and_empty_input_is_none() {
        // 3% < the 5% minimum shift, even though 300 days make it significant.
        let s = series(&[(300, 100.0), (300, 103.0)], 0.01, 4);
        assert_eq!(
            last_regime_start(&s, &RegimeRule::default()),
            Some(Day(19_000))
        );
        assert_eq!(last_regime_start(&[], &RegimeRule::default()), None);
        let bad = [(Day(1), f64::NAN), (Day(2), -1.0)];
        assert_eq!(last_regime_start(&bad, &RegimeRule::default()), None);
    }
}
