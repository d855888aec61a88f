//! Turning raw durations into fitting data, honestly: what was dropped, what was censored
//! and why is counted in [`Cleaning`], never silently discarded.

use crate::stats::histogram::nearest_rank;

/// What to do with awkward values before fitting. The default drops only values that
/// cannot be durations (non-finite, ≤ 0) and keeps everything else as observed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CleaningPolicy {
    /// Values ≥ this (milliseconds) are right-censored here: known only to be at least this
    /// long. Use it for a timeout that cuts measurements off (Lambda's init phase is cut at
    /// 10 s, so an `Init Duration` of 10,000 ms means "≥ 10 s"). Ignored (with a note) unless
    /// finite and > 0.
    pub censor_above_ms: Option<f64>,
    /// Values > factor × median are treated as right-censored at factor × median instead of
    /// being dropped: their exact size is not trusted (e.g. a stalled host), but they still
    /// count as tail mass in the likelihood. `None` (the default) keeps them as observed;
    /// 50 is a reasonable choice. Ignored (with a note) unless finite and ≥ 1.
    pub outlier_factor: Option<f64>,
}

/// Account of what [`prepare`] did to the input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cleaning {
    /// Values given.
    pub input: u64,
    /// Dropped: NaN or ±∞.
    pub dropped_not_finite: u64,
    /// Dropped: zero or negative (no duration is ≤ 0).
    pub dropped_not_positive: u64,
    /// The censoring threshold actually applied (milliseconds): the smaller of
    /// `censor_above_ms` and `outlier_factor` × median; `None` when nothing is censored.
    pub censored_above_ms: Option<f64>,
    /// Values right-censored in total (= `censored_timeout + censored_outliers`).
    pub censored: u64,
    /// Of `censored`: values ≥ `censor_above_ms`.
    pub censored_timeout: u64,
    /// Of `censored`: values below `censor_above_ms` but > `outlier_factor` × median.
    pub censored_outliers: u64,
    /// Values kept as exact observations.
    pub observed: u64,
    /// Median (nearest rank) of the finite positive values, before censoring, in ms.
    pub median_ms: Option<f64>,
    /// Policy settings that were ignored, and why.
    pub notes: Vec<String>,
}

/// Sorted, cleaned durations ready for maximum-likelihood fitting: exact observations plus
/// a count of values right-censored at one threshold. Build it with [`prepare`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitData {
    /// Exact observations in ms, ascending, all finite and > 0 (and ≤ the threshold).
    pub(crate) values_ms: Vec<f64>,
    /// ln of `values_ms`, precomputed once for the unshifted fits.
    pub(crate) ln_values: Vec<f64>,
    /// Values known only to exceed `censor_ms`.
    pub(crate) censored: u64,
    /// The censoring threshold in ms (meaningful when `censored > 0`).
    pub(crate) censor_ms: f64,
}

impl FitData {
    /// Fitting data of `values_ms` with the default policy (drop non-finite and ≤ 0 values).
    pub fn from_values(values_ms: &[f64]) -> FitData {
        prepare(values_ms, &CleaningPolicy::default()).0
    }

    /// The exact observations, ascending, in ms.
    pub fn values_ms(&self) -> &[f64] {
        &self.values_ms
    }

    /// Number of exact observations.
    pub fn observed(&self) -> u64 {
        self.values_ms.len() as u64
    }

    /// Number of right-censored values.
    pub fn censored(&self) -> u64 {
        self.censored
    }

    /// Censoring threshold in ms, when anything is censored.
    pub fn censor_ms(&self) -> Option<f64> {
        (self.censored > 0).then_some(self.censor_ms)
    }

    /// Observed plus censored values.
    pub fn total(&self) -> u64 {
        self.observed() + self.censored
    }
}

/// Cleans `values_ms` under `policy`: drops non-finite and non-positive values (counted by
/// reason), sorts, and right-censors values at or above the timeout and above
/// `outlier_factor` × median, at the smaller of the two thresholds. Never panics.
pub fn prepare(values_ms: &[f64], policy: &CleaningPolicy) -> (FitData, Cleaning) {
    let mut cleaning = Cleaning {
        input: values_ms.len() as u64,
        ..Cleaning::default()
    };
    let mut kept: Vec<f64> = Vec::with_capacity(values_ms.len());
    for &v in values_ms {
        if !v.is_finite() {
            cleaning.dropped_not_finite += 1;
        } else if v <= 0.0 {
            cleaning.dropped_not_positive += 1;
        } else {
            kept.push(v);
        }
    }
    kept.sort_by(f64::total_cmp);
    let median =
        (!kept.is_empty()).then(|| kept[nearest_rank(0.5, kept.len() as u64) as usize - 1]);
    cleaning.median_ms = median;

    let timeout = match policy.censor_above_ms {
        Some(c) if c.is_finite() && c > 0.0 => Some(c),
        Some(c) => {
            cleaning.notes.push(format!(
                "censor_above_ms = {c} ignored: must be finite and > 0"
            ));
            None
        }
        None => None,
    };
    let outlier = match (policy.outlier_factor, median) {
        (Some(f), Some(m)) if f.is_finite() && f >= 1.0 => Some(f * m),
        (Some(f), _) if !(f.is_finite() && f >= 1.0) => {
            cleaning.notes.push(format!(
                "outlier_factor = {f} ignored: must be finite and >= 1"
            ));
            None
        }
        _ => None,
    };
    // Censored: v ≥ timeout, or v > factor × median; all at the smaller threshold.
    let is_censored = |v: f64| timeout.is_some_and(|c| v >= c) || outlier.is_some_and(|c| v > c);
    let first_censored = kept.partition_point(|&v| !is_censored(v));
    let threshold = match (timeout, outlier) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    for &v in &kept[first_censored..] {
        if timeout.is_some_and(|c| v >= c) {
            cleaning.censored_timeout += 1;
        } else {
            cleaning.censored_outliers += 1;
        }
    }
    cleaning.censored = (kept.len() - first_censored) as u64;
    kept.truncate(first_censored);
    cleaning.observed = kept.len() as u64;
    if cleaning.censored > 0 {
        cleaning.censored_above_ms = threshold;
    }
    let ln_values = kept.iter().map(|v| v.ln()).collect();
    let data = FitData {
        values_ms: kept,
        ln_values,
        censored: cleaning.censored,
        censor_ms: threshold
            .filter(|_| cleaning.censored > 0)
            .unwrap_or(f64::NAN),
    };
    (data, cleaning)
}
