//! Goodness of fit: the Kolmogorov–Smirnov distance and relative errors of the fitted
//! p50/p90/p99 against the empirical (nearest-rank) quantiles.

use super::clean::FitData;
use super::model::Model;
use crate::stats::histogram::nearest_rank;

/// How well a fitted model matches the data it was fitted to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Goodness {
    /// Kolmogorov–Smirnov distance sup |F_n − F| (over the uncensored range when values are
    /// censored; F_n counts censored values in its denominator).
    pub ks: f64,
    /// [`ks_critical_95`] for the number of values. With parameters estimated from the same
    /// data the true 95 % point is smaller (Lilliefors), so `ks < ks_critical_95` is a
    /// lenient test; use it as a flag, not a verdict.
    pub ks_critical_95: f64,
    /// Fitted median / empirical median − 1.
    pub p50_rel_err: f64,
    /// Fitted p90 / empirical p90 − 1.
    pub p90_rel_err: f64,
    /// Fitted p99 / empirical p99 − 1 (NaN when the empirical p99 is censored).
    pub p99_rel_err: f64,
}

/// Goodness of `fit` against `data`. Empirical quantiles use the nearest rank
/// ([`nearest_rank`]) over observed plus censored values; a quantile whose rank falls among
/// the censored values is unknown and its relative error is NaN.
pub fn goodness(fit: &Model, data: &FitData) -> Goodness {
    let total = data.total();
    let rel = |q: f64| {
        let r = nearest_rank(q, total) as usize;
        if r == 0 || r > data.values_ms.len() {
            return f64::NAN;
        }
        fit.quantile(q) / data.values_ms[r - 1] - 1.0
    };
    Goodness {
        ks: ks_censored(&data.values_ms, total, data.censor_ms(), |x| fit.cdf(x)),
        ks_critical_95: ks_critical_95(total as usize),
        p50_rel_err: rel(0.5),
        p90_rel_err: rel(0.9),
        p99_rel_err: rel(0.99),
    }
}

/// Exact two-sided Kolmogorov–Smirnov statistic sup_x |F_n(x) − F(x)| of the ascending
/// sample `sorted_ms` against a continuous `cdf`: the larger of i/n − F(x_(i)) and
/// F(x_(i)) − (i−1)/n over i (exact with ties too). NaN for an empty sample.
pub fn ks_statistic(sorted_ms: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    ks_censored(sorted_ms, sorted_ms.len() as u64, None, cdf)
}

/// KS over the exact observations when `total − sorted_ms.len()` further values are
/// right-censored at `censor_ms`: the supremum is taken over x < censor_ms, where F_n is known.
fn ks_censored(
    sorted_ms: &[f64],
    total: u64,
    censor_ms: Option<f64>,
    cdf: impl Fn(f64) -> f64,
) -> f64 {
    if total == 0 {
        return f64::NAN;
    }
    let n = total as f64;
    let mut d = 0.0_f64;
    for (i, &x) in sorted_ms.iter().enumerate() {
        let f = cdf(x);
        d = d.max((i + 1) as f64 / n - f).max(f - i as f64 / n);
    }
    if let Some(c) = censor_ms {
        d = d.max(cdf(c) - sorted_ms.len() as f64 / n);
    }
    d
}

/// Asymptotic 95 % critical value of the one-sample KS statistic for a fully specified
/// distribution: 1.358/√n (Kolmogorov's limit law, P(√n·D > 1.358) → 0.05). Good for
/// n ≳ 35; +∞ for n = 0.
pub fn ks_critical_95(n: usize) -> f64 {
    if n == 0 {
        f64::INFINITY
    } else {
        1.358 / (n as f64).sqrt()
    }
}
