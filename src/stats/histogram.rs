//! Online log-linear (HDR-style) histogram of microsecond values.

/// Number of mantissa bits kept per power of two.
const SUB_BITS: u32 = 7;
/// Buckets per power of two above the exact range.
const SUB_COUNT: usize = 1 << SUB_BITS;
/// Index of the bucket holding `u64::MAX`; bounds the counts vector.
const MAX_INDEX: usize = bucket_index(u64::MAX);

/// Streaming histogram of `u64` values in microseconds (latencies, init
/// durations), from which every reported percentile is read.
///
/// Values below 2^(`SUB_BITS` + 1) = 256 µs get one bucket each and are
/// exact. Above that a value is bucketed by its power of two and the 7 bits
/// that follow its leading one, so a bucket `[low, low + width)` has
/// `width <= low / 128`. Quantiles interpolate by rank within the bucket,
/// so the reported value is within one bucket width (≤ 2^-7 ≈ 0.78 %) of
/// the true sample value, and much closer for smooth densities, clamped
/// into the exact `[min, max]`. `SUB_BITS = 7` keeps that bound under the
/// 1 % accuracy the simulator promises; 8 bits would double memory for
/// accuracy no report shows. The table holds the powers of two from that of
/// the smallest value to that of the largest, at most 58 × 128 buckets
/// (≈ 59 KB): one of latencies from 1 ms to ~10 s holds 15 × 128 (≈ 15 KB),
/// one of cold starts that all take about 500 ms one power of two (1 KB).
///
/// Count, min, max and sum are kept exactly (sum as `u128`), so the mean is
/// exact and merges are associative, commutative and identical to recording
/// the union of the inputs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "HistogramData")]
pub struct Histogram {
    /// Counts of the buckets `base..base + counts.len()`: the powers of two from
    /// that of the smallest value seen to that of the largest, grown as values
    /// come, so that a histogram of a narrow range stays small wherever it lies.
    counts: Vec<u64>,
    /// Index of the bucket `counts[0]` counts: the first of a power of two
    /// (a multiple of 128); 0 while empty. Written into partial results.
    base: usize,
    count: u64,
    /// `u64::MAX` while empty so the first record always lowers it.
    min: u64,
    max: u64,
    sum: u128,
}

/// Bucket index of `value`. Values below 256 map to themselves (the first
/// 128 exactly by construction, the next 128 because their shift is 0);
/// above, `shift` drops all but the 8 leading bits and each shift owns 128
/// consecutive indices.
#[inline(always)]
pub(super) const fn bucket_index(value: u64) -> usize {
    let shift = (64 - value.leading_zeros()).saturating_sub(SUB_BITS + 1);
    ((shift as usize) << SUB_BITS) + (value >> shift) as usize
}

/// Length of a table of counts that holds bucket `index`: the end of its power of two, so
/// that histograms of small values stay small and there are at most 58 growths.
#[inline]
pub(super) fn grown_len(index: usize) -> usize {
    (((index >> SUB_BITS) + 1) << SUB_BITS).min(MAX_INDEX + 1)
}

/// The first bucket of the power of two holding bucket `index` (a multiple of 128).
#[inline]
pub(super) fn octave_start(index: usize) -> usize {
    index & !(SUB_COUNT - 1)
}

/// A histogram as written in a partial result, checked before it becomes a [`Histogram`]:
/// a table that would reach past the last bucket, start inside a power of two, or
/// disagree with its count is refused (an error, not a panic later).
#[derive(serde::Deserialize)]
struct HistogramData {
    counts: Vec<u64>,
    /// Absent from a table written from bucket 0.
    #[serde(default)]
    base: usize,
    count: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl TryFrom<HistogramData> for Histogram {
    type Error = String;

    fn try_from(d: HistogramData) -> Result<Self, String> {
        if !d.base.is_multiple_of(SUB_COUNT)
            || d.base.saturating_add(d.counts.len()) > MAX_INDEX + 1
        {
            return Err(format!(
                "a histogram table of {} buckets from bucket {} (expected a start at a multiple of {SUB_COUNT} and an end at or below {})",
                d.counts.len(),
                d.base,
                MAX_INDEX + 1
            ));
        }
        let total = d.counts.iter().fold(0u64, |a, &c| a.saturating_add(c));
        if total != d.count || (d.count > 0 && d.min > d.max) {
            return Err(format!(
                "a histogram whose count {} is not its buckets' total {total}, or whose minimum {} exceeds its maximum {}",
                d.count, d.min, d.max
            ));
        }
        Ok(Histogram {
            counts: d.counts,
            base: d.base,
            count: d.count,
            min: d.min,
            max: d.max,
            sum: d.sum,
        })
    }
}

/// Lowest value and width of bucket `index`; the inverse of [`bucket_index`].
#[inline]
fn bucket_bounds(index: usize) -> (u64, u64) {
    if index < SUB_COUNT {
        return (index as u64, 1);
    }
    let shift = (index >> SUB_BITS) - 1;
    let mantissa = ((index & (SUB_COUNT - 1)) + SUB_COUNT) as u64;
    (mantissa << shift, 1u64 << shift)
}

/// Representative value of bucket `index`. Cannot overflow: the top bucket
/// starts at 255·2^56 and its half-width is 2^55.
#[cfg(test)]
fn bucket_midpoint(index: usize) -> u64 {
    let (low, width) = bucket_bounds(index);
    low + width / 2
}

/// 1-based nearest rank of quantile `q` among `count` sorted samples:
/// `ceil(q · count)` clamped to `[1, count]`; `q <= 0` and NaN give 1,
/// `q >= 1` gives `count`, and `count == 0` gives 0.
///
/// Exposed so that exact reference quantiles computed elsewhere (tests,
/// validation against raw traces) use the same definition as [`Histogram`].
pub fn nearest_rank(q: f64, count: u64) -> u64 {
    if count == 0 {
        return 0;
    }
    if q.is_nan() || q <= 0.0 {
        return 1;
    }
    if q >= 1.0 {
        return count;
    }
    let x = q * count as f64;
    // `q · count` is rounded: 0.95 · 100 can land a few ulps above 95, and
    // a bare ceil would then skip to rank 96. Discount a few ulps first.
    let rank = (x - x * 4.0 * f64::EPSILON).ceil();
    // `as` saturates, so an out-of-range float cannot wrap.
    (rank as u64).clamp(1, count)
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// Empty histogram; allocates nothing until the first record.
    pub fn new() -> Self {
        Self {
            counts: Vec::new(),
            base: 0,
            count: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }

    /// Records one observation of `value_us` microseconds. The hot path of
    /// every simulated invocation: plain additions (a count cannot reach
    /// 2^64 one record at a time, nor the `u128` sum overflow), which give
    /// the same table as [`Self::record_n`] with `n = 1`.
    #[inline]
    pub fn record(&mut self, value_us: u64) {
        let slot = self.slot(bucket_index(value_us));
        self.counts[slot] += 1;
        self.count += 1;
        self.sum += u128::from(value_us);
        self.min = self.min.min(value_us);
        self.max = self.max.max(value_us);
    }

    /// Records `n` observations of `value_us` microseconds: the same
    /// histogram as `n` calls of [`Self::record`]. `n == 0` is a no-op (and
    /// in particular does not grow the table, so that equality with a
    /// histogram of the same samples holds).
    #[inline]
    pub fn record_n(&mut self, value_us: u64, n: u64) {
        if n == 0 {
            return;
        }
        let slot = self.slot(bucket_index(value_us));
        // Saturating rather than wrapping: 2^64 observations cannot happen
        // in a simulation, but a corrupt `n` must not panic in debug builds.
        self.counts[slot] = self.counts[slot].saturating_add(n);
        self.count = self.count.saturating_add(n);
        self.sum = self
            .sum
            .saturating_add(u128::from(value_us) * u128::from(n));
        self.min = self.min.min(value_us);
        self.max = self.max.max(value_us);
    }

    /// The place of bucket `index` in the table, grown to hold it if needed.
    #[inline]
    fn slot(&mut self, index: usize) -> usize {
        let slot = index.wrapping_sub(self.base);
        if slot < self.counts.len() {
            return slot;
        }
        self.grow(index);
        index - self.base
    }

    /// Kept out of line so the hot path of `record_n` stays small. Grows to
    /// the power of two holding `index` (up to its end, or down from its
    /// start): at most 58 reallocations per histogram, and `reserve_exact`
    /// keeps the footprint free of doubling slack.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, index: usize) {
        self.cover(octave_start(index), grown_len(index));
    }

    /// Grows the table to cover the buckets `from..to` too (whole powers of two).
    fn cover(&mut self, from: usize, to: usize) {
        let end = self.base + self.counts.len();
        if self.counts.is_empty() {
            self.base = from;
            self.counts = vec![0; to - from];
        } else if from < self.base {
            let mut table = vec![0; end.max(to) - from];
            table[self.base - from..][..self.counts.len()].copy_from_slice(&self.counts);
            self.counts = table;
            self.base = from;
        } else if to > end {
            self.counts.reserve_exact(to - end);
            self.counts.resize(to - self.base, 0);
        }
    }

    /// The histogram of a table of the counts of buckets `base..` (the table recording the
    /// same values would hold: from the power of two of the smallest value to the end of
    /// that of the largest, see [`octave_start`] and [`grown_len`]) and the exact count, sum,
    /// minimum and maximum of the values counted in it.
    pub(super) fn from_parts(
        counts: Vec<u64>,
        base: usize,
        count: u64,
        sum: u128,
        min: u64,
        max: u64,
    ) -> Self {
        if count == 0 {
            return Histogram::new();
        }
        debug_assert_eq!(base, octave_start(bucket_index(min)));
        debug_assert_eq!(base + counts.len(), grown_len(bucket_index(max)));
        Histogram {
            counts,
            base,
            count,
            min,
            max,
            sum,
        }
    }

    /// Number of recorded observations.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// True when nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Exact smallest recorded value; 0 when empty.
    pub fn min_us(&self) -> u64 {
        if self.is_empty() { 0 } else { self.min }
    }

    /// Exact sum of the recorded values, µs.
    pub fn sum_us(&self) -> u128 {
        self.sum
    }

    /// Exact largest recorded value; 0 when empty.
    pub fn max_us(&self) -> u64 {
        self.max
    }

    /// Mean of the recorded values: the exact `u128` sum divided by the
    /// count in `f64` (relative error ~1e-16); 0.0 when empty.
    pub fn mean_us(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// Value at quantile `q` in `[0, 1]` by the nearest-rank definition
    /// ([`nearest_rank`]): interpolated by rank within the bucket holding
    /// that rank, clamped into `[min, max]`, so within one bucket width
    /// (2^-7 ≈ 0.78 %) of the exact sample quantile. The extreme ranks are answered exactly: `q = 0` (or any
    /// rank 1) gives `min`, `q = 1` (or rank `count`) gives `max`. `q`
    /// outside `[0, 1]` is clamped and NaN is treated as 0. An empty
    /// histogram gives 0.
    pub fn value_at_quantile_us(&self, q: f64) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let rank = nearest_rank(q, self.count);
        if rank <= 1 {
            return self.min;
        }
        if rank >= self.count {
            return self.max;
        }
        // Whole blocks of buckets below the rank are skipped with one sum each (the counts
        // add up to `count`, so no sum saturates before the rank is reached).
        const BLOCK: usize = 16;
        let mut seen = 0u64;
        let mut start = 0;
        for block in self.counts.chunks_exact(BLOCK) {
            let total: u64 = block.iter().fold(0u64, |a, &c| a.saturating_add(c));
            if seen.saturating_add(total) >= rank {
                break;
            }
            seen += total;
            start += BLOCK;
        }
        for (slot, &c) in self.counts.iter().enumerate().skip(start) {
            let before = seen;
            seen = seen.saturating_add(c);
            if seen >= rank {
                let index = self.base + slot;
                // Interpolate linearly within the bucket by rank: the r-th of c values in
                // [low, low + width) sits at low + width·(r − ½)/c. For a smooth density
                // this tracks the sample far more closely than the midpoint, so repeated
                // runs do not all report the same bucket value; the error stays below one
                // bucket width (≤ 2^-7 of the value).
                let (low, width) = bucket_bounds(index);
                let within = (rank - before) as f64 - 0.5;
                let offset = (width as f64 * within / c as f64) as u64;
                return low.saturating_add(offset).clamp(self.min, self.max);
            }
        }
        // Only reachable if the bucket counts saturated; max is the honest
        // answer for the top of the distribution.
        self.max
    }

    /// The distribution function as a polyline of `(value_us, fraction of observations at or
    /// below it)`: one point per non-empty bucket's upper end (clamped into `[min, max]`),
    /// after a first point `(min, 0)`. Linear between points, as if the values of a bucket
    /// were spread evenly over it; exact at `min` and `max`. Empty when nothing is recorded.
    /// Used to compare a simulated distribution with measurements (KS distance, plots).
    pub fn cdf_points(&self) -> Vec<(f64, f64)> {
        if self.is_empty() {
            return Vec::new();
        }
        let total = self.count as f64;
        let mut points = vec![(self.min as f64, 0.0)];
        let mut seen = 0u64;
        for (slot, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            seen = seen.saturating_add(c);
            let (low, width) = bucket_bounds(self.base + slot);
            let end = low.saturating_add(width).clamp(self.min, self.max) as f64;
            points.push((end, seen as f64 / total));
        }
        points
    }

    /// Adds every observation of `other` to `self`. The result is exactly
    /// the histogram of the union of both sample sets, independent of merge
    /// order.
    pub fn merge(&mut self, other: &Histogram) {
        if other.is_empty() {
            return;
        }
        // Both tables cover whole powers of two (see `grow`), so the merged one
        // covers what recording the union would have: from the smaller start to
        // the larger end.
        self.cover(other.base, other.base + other.counts.len());
        let at = other.base - self.base;
        for (mine, &theirs) in self.counts[at..].iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(theirs);
        }
        self.count = self.count.saturating_add(other.count);
        self.sum = self.sum.saturating_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Approximate heap plus inline footprint in bytes, for memory budgets.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.counts.capacity() * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::{LogNormal, Uniform};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Exact nearest-rank quantile of a sorted sample, same definition as
    /// the histogram.
    fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
        let rank = nearest_rank(q, sorted.len() as u64);
        sorted[(rank - 1) as usize]
    }

    fn rel_err(got: u64, want: u64) -> f64 {
        (got as f64 - want as f64).abs() / (want as f64).max(1.0)
    }

    fn lognormal_samples(n: usize, seed: u64) -> Vec<u64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let dist = LogNormal::new(100_000f64.ln(), 1.0).expect("valid lognormal parameters");
        (0..n).map(|_| rng.sample(dist).round() as u64).collect()
    }

    /// Tolerance: 1 % relative error (design bound 0.39 %).
    #[test]
    fn quantiles_are_within_one_percent_of_exact_sorted_quantiles() {
        let mut samples = lognormal_samples(100_000, 0xC01D);
        let mut h = Histogram::new();
        for &v in &samples {
            h.record(v);
        }
        samples.sort_unstable();
        for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
            let got = h.value_at_quantile_us(q);
            let want = exact_quantile(&samples, q);
            let err = rel_err(got, want);
            assert!(
                err <= 0.01,
                "q={q}: histogram {got} vs exact {want}, rel err {err}"
            );
            // Tighter check of the documented bound.
            assert!(err <= 1.0 / 128.0, "q={q}: rel err {err} exceeds 2^-7");
        }
        assert_eq!(h.value_at_quantile_us(0.0), samples[0]);
        assert_eq!(h.value_at_quantile_us(1.0), samples[samples.len() - 1]);
    }

    /// Tolerance: exact equality (merge is integer addition).
    #[test]
    fn merge_equals_recording_the_union() {
        let a_vals = lognormal_samples(5_000, 1);
        let b_vals: Vec<u64> = lognormal_samples(3_000, 2)
            .into_iter()
            .map(|v| v * 1000) // different range so table lengths differ
            .collect();
        let c_vals = [0, 1, 127, 128, 255, 256, u64::MAX];

        let build = |vals: &[u64]| {
            let mut h = Histogram::new();
            vals.iter().for_each(|&v| h.record(v));
            h
        };
        let (a, b, c) = (build(&a_vals), build(&b_vals), build(&c_vals));

        let mut union = Histogram::new();
        for &v in a_vals.iter().chain(&b_vals).chain(&c_vals) {
            union.record(v);
        }

        let mut ab_c = a.clone();
        ab_c.merge(&b);
        ab_c.merge(&c);
        let mut bc = b.clone();
        bc.merge(&c);
        let mut a_bc = a.clone();
        a_bc.merge(&bc);
        let mut c_b_a = c.clone();
        c_b_a.merge(&b);
        c_b_a.merge(&a);

        assert_eq!(ab_c, union);
        assert_eq!(a_bc, union);
        assert_eq!(c_b_a, union);

        let mut with_empty = union.clone();
        with_empty.merge(&Histogram::new());
        assert_eq!(with_empty, union);
        let mut into_empty = Histogram::new();
        into_empty.merge(&union);
        assert_eq!(into_empty, union);
    }

    /// Tolerance: exact for every value below 256 (bucket width 1).
    #[test]
    fn small_values_are_exact() {
        for v in 0..256u64 {
            let (low, width) = bucket_bounds(bucket_index(v));
            assert_eq!((low, width), (v, 1), "value {v}");
        }
        let mut h = Histogram::new();
        for v in 0..256u64 {
            h.record_n(v, 3);
        }
        let n = h.count();
        for rank in 1..=n {
            let q = rank as f64 / n as f64;
            assert_eq!(h.value_at_quantile_us(q), (rank - 1) / 3, "rank {rank}");
        }
    }

    /// Tolerance: exact zeros.
    #[test]
    fn empty_histogram_reports_zeros() {
        let h = Histogram::default();
        assert!(h.is_empty());
        assert_eq!(h.count(), 0);
        assert_eq!(h.min_us(), 0);
        assert_eq!(h.max_us(), 0);
        assert_eq!(h.mean_us(), 0.0);
        for q in [0.0, 0.5, 1.0, f64::NAN] {
            assert_eq!(h.value_at_quantile_us(q), 0);
        }
        assert_eq!(h, Histogram::new());
    }

    /// Tolerance: no panic; extremes reported exactly.
    #[test]
    fn extreme_values_do_not_panic() {
        let mut h = Histogram::new();
        h.record(0);
        h.record(u64::MAX);
        h.record_n(u64::MAX, u64::MAX); // saturates instead of overflowing
        assert_eq!(h.min_us(), 0);
        assert_eq!(h.max_us(), u64::MAX);
        assert_eq!(h.count(), u64::MAX);
        assert_eq!(h.value_at_quantile_us(0.0), 0);
        assert_eq!(h.value_at_quantile_us(1.0), u64::MAX);
        let mid = h.value_at_quantile_us(0.5);
        assert!(rel_err(mid, u64::MAX) <= 1.0 / 256.0);
        for q in [-1.0, 2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let _ = h.value_at_quantile_us(q);
        }
        assert!(h.mean_us().is_finite());
        assert_eq!(bucket_index(u64::MAX), MAX_INDEX);
        assert!(h.memory_bytes() <= std::mem::size_of::<Histogram>() + 64 * 128 * 8);
    }

    /// Tolerance: min/max exact; mean equal to the f64 rounding of the exact
    /// rational sum/count.
    #[test]
    fn mean_min_max_are_exact() {
        let vals = lognormal_samples(10_000, 7);
        let mut h = Histogram::new();
        vals.iter().for_each(|&v| h.record(v));
        let sum: u128 = vals.iter().map(|&v| u128::from(v)).sum();
        assert_eq!(h.min_us(), *vals.iter().min().expect("non-empty"));
        assert_eq!(h.max_us(), *vals.iter().max().expect("non-empty"));
        assert_eq!(h.mean_us(), sum as f64 / vals.len() as f64);

        let mut small = Histogram::new();
        [1u64, 2, 4].iter().for_each(|&v| small.record(v));
        assert_eq!(small.mean_us(), 7.0 / 3.0);
    }

    /// Tolerance: every bucket contains its values and has width
    /// <= max(1, low / 128), i.e. midpoint error <= 2^-8 of the value.
    #[test]
    fn bucket_width_is_at_most_one_128th_of_the_value() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
        let mut values: Vec<u64> = (0..64)
            .flat_map(|b| {
                let p = 1u64 << b;
                [p - 1, p, p + 1]
            })
            .collect();
        values.push(u64::MAX);
        let exp = Uniform::new(0u32, 64).expect("valid range");
        for _ in 0..100_000 {
            let bits: u64 = rng.random();
            values.push(bits >> rng.sample(exp));
        }
        for v in values {
            let index = bucket_index(v);
            assert!(index <= MAX_INDEX);
            let (low, width) = bucket_bounds(index);
            assert!(
                low <= v && v - low < width,
                "value {v} not in bucket {index}"
            );
            assert!(width <= (low >> SUB_BITS).max(1), "bucket {index} too wide");
            assert!(rel_err(bucket_midpoint(index), v) <= 1.0 / 256.0);
        }
        // Indices are contiguous and increasing across every power of two.
        for b in 1..64 {
            let p = 1u64 << b;
            assert_eq!(bucket_index(p), bucket_index(p - 1) + 1);
        }
    }

    /// Tolerance: exact byte counts (one `u64` per bucket, no slack).
    #[test]
    fn memory_grows_only_with_the_largest_value() {
        let inline = std::mem::size_of::<Histogram>();
        let mut h = Histogram::new();
        assert_eq!(h.memory_bytes(), inline);
        h.record(100);
        assert_eq!(h.memory_bytes(), inline + 128 * 8);
        // 10 s = 10^7 µs sits in the power of two [2^23, 2^24): 18 groups.
        for v in (0..=10_000_000).step_by(997) {
            h.record(v);
        }
        assert_eq!(h.memory_bytes(), inline + 18 * 128 * 8);
        h.record(u64::MAX);
        assert_eq!(h.memory_bytes(), inline + 58 * 128 * 8);
    }

    /// Tolerance: exact byte counts. A histogram of a narrow range holds that range's
    /// powers of two wherever they lie: ten cold starts of about 500 ms take one (1 KB,
    /// where a table from bucket 0 took 13 KB); a value 1,000× smaller extends it down.
    #[test]
    fn memory_follows_the_range_of_values_not_their_size() {
        let inline = std::mem::size_of::<Histogram>();
        let mut h = Histogram::new();
        for v in (0..10).map(|i| 500_000 + 1_000 * i) {
            h.record(v);
        }
        assert_eq!(h.memory_bytes(), inline + 128 * 8);
        // The median (rank 5 of 10, then 6 of 11) is 504,000 µs, within one bucket width
        // (2^11 µs in [2^18, 2^19)).
        let within_a_bucket =
            |h: &Histogram| h.value_at_quantile_us(0.5).abs_diff(504_000) <= 2_048;
        assert!(within_a_bucket(&h));
        h.record(500);
        // 500 µs lies in [2^8, 2^9) and 509 ms in [2^18, 2^19): 11 powers of two.
        assert_eq!(h.memory_bytes(), inline + 11 * 128 * 8);
        assert_eq!(h.value_at_quantile_us(0.0), 500);
        assert!(within_a_bucket(&h));
    }

    /// Tolerance: exact equality (table, count, sum, minimum, maximum). Over random narrow
    /// and wide ranges at random places, recording in increasing or decreasing order, or in
    /// two halves merged either way round, gives the same histogram: where the table
    /// starts depends only on the values.
    #[test]
    fn the_table_depends_on_the_values_not_on_their_order_or_merges() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(41);
        for round in 0..200 {
            let low: u64 = rng.random::<u64>() >> rng.random_range(1..64);
            let spread = 1u64 << rng.random_range(0..20);
            let n = rng.random_range(1..200);
            let mut values: Vec<u64> = (0..n)
                .map(|_| low.saturating_add(rng.random_range(0..spread)))
                .collect();
            values.sort_unstable();
            let record = |vs: &mut dyn Iterator<Item = &u64>| {
                let mut h = Histogram::new();
                vs.for_each(|&v| h.record(v));
                h
            };
            let up = record(&mut values.iter());
            let down = record(&mut values.iter().rev());
            assert_eq!(up, down, "round {round}");
            let (a, b) = values.split_at(rng.random_range(0..=values.len()));
            let (ha, hb) = (record(&mut a.iter()), record(&mut b.iter()));
            let (mut ab, mut ba) = (ha.clone(), hb.clone());
            ab.merge(&hb);
            ba.merge(&ha);
            assert_eq!(ab, up, "round {round}");
            assert_eq!(ba, up, "round {round}");
        }
    }

    /// Tolerance: exact. A histogram goes through a partial result unchanged; one written
    /// without `base` holds its table from bucket 0; a table that starts inside a power of
    /// two, reaches past the last bucket or disagrees with its count is an error, not a
    /// panic later.
    #[test]
    fn a_written_histogram_reads_back_and_a_bad_one_is_refused() {
        let mut h = Histogram::new();
        h.record(300_000);
        h.record(310_000);
        let text = serde_json::to_string(&h).unwrap();
        assert!(text.contains("\"base\":"), "{text}");
        assert_eq!(serde_json::from_str::<Histogram>(&text).unwrap(), h);
        let mut dense = Histogram::new();
        dense.record(0);
        dense.record(200);
        let no_base = "{\"counts\":[1,0],\"count\":1,\"min\":0,\"max\":0,\"sum\":0}";
        let read: Histogram = serde_json::from_str(no_base).unwrap();
        assert_eq!((read.count(), read.value_at_quantile_us(1.0)), (1, 0));
        for bad in [
            "{\"counts\":[1],\"base\":5,\"count\":1,\"min\":5,\"max\":5,\"sum\":5}",
            "{\"counts\":[1],\"base\":7424,\"count\":1,\"min\":5,\"max\":5,\"sum\":5}",
            "{\"counts\":[1],\"base\":18446744073709551488,\"count\":1,\"min\":5,\"max\":5,\"sum\":5}",
            "{\"counts\":[2],\"base\":0,\"count\":1,\"min\":0,\"max\":0,\"sum\":0}",
            "{\"counts\":[1],\"base\":0,\"count\":1,\"min\":9,\"max\":3,\"sum\":9}",
        ] {
            let err = serde_json::from_str::<Histogram>(bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("histogram"), "{bad}: {err}");
        }
    }

    /// Tolerance: quantiles never decrease with q (exact comparison).
    #[test]
    fn quantiles_are_monotone_in_q() {
        let mut h = Histogram::new();
        lognormal_samples(20_000, 3)
            .iter()
            .for_each(|&v| h.record(v));
        let mut prev = 0;
        for i in 0..=1000 {
            let v = h.value_at_quantile_us(i as f64 / 1000.0);
            assert!(v >= prev, "q={} gave {v} < {prev}", i as f64 / 1000.0);
            prev = v;
        }
    }

    /// Tolerance: exact; rounding of q·n must not skip a rank.
    #[test]
    fn nearest_rank_is_robust_to_float_rounding() {
        assert_eq!(nearest_rank(0.95, 100), 95);
        assert_eq!(nearest_rank(0.99, 100_000), 99_000);
        assert_eq!(nearest_rank(0.999, 100_000), 99_900);
        assert_eq!(nearest_rank(0.5, 3), 2);
        assert_eq!(nearest_rank(0.0, 10), 1);
        assert_eq!(nearest_rank(1.0, 10), 10);
        assert_eq!(nearest_rank(f64::NAN, 10), 1);
        assert_eq!(nearest_rank(0.5, 0), 0);
        for n in 1..=1000u64 {
            for k in 1..=n {
                let q = k as f64 / n as f64;
                assert_eq!(nearest_rank(q, n), k, "q={k}/{n}");
            }
        }
    }

    #[test]
    fn cdf_points_match_the_exact_empirical_cdf_within_one_bucket() {
        // A uniform sample's empirical CDF at every polyline point must equal the exact
        // fraction of values at or below it up to the values in one bucket (width <= 1/128
        // of the value): the polyline only moves mass within a bucket.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let dist = Uniform::new(50_000u64, 400_000).unwrap();
        let values: Vec<u64> = (0..20_000).map(|_| rng.sample(dist)).collect();
        let mut h = Histogram::new();
        values.iter().for_each(|&v| h.record(v));
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let points = h.cdf_points();
        assert_eq!(points.first().unwrap(), &(sorted[0] as f64, 0.0));
        assert_eq!(
            points.last().unwrap(),
            &(*sorted.last().unwrap() as f64, 1.0)
        );
        for w in points.windows(2) {
            assert!(w[0].0 <= w[1].0 && w[0].1 <= w[1].1, "monotone");
        }
        for &(x, f) in &points[1..] {
            let exact = sorted.partition_point(|&v| (v as f64) < x) as f64 / 20_000.0;
            // Values in [x - x/128, x) may sit on either side: at most that share of 1/350k
            // per µs of density, i.e. < 0.3% here; allow 0.5%.
            assert!((f - exact).abs() < 0.005, "at {x}: {f} vs {exact}");
        }
        assert!(Histogram::new().cdf_points().is_empty());
    }
}
