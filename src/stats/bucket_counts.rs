//! A run's table of histogram bucket counts in `u32`, folded into a [`Histogram`] at the end.
//!
//! Recording a warm invocation's handler time is the one histogram record every simulated
//! request makes. Its table of `u64` counts (18 KiB for values up to 10 s) over 100 functions
//! does not fit the first-level cache; `u32` counters halve the memory each record touches
//! (with the `u16` billed counters of `ms_counts`, about 4% of the whole reference run,
//! medians of alternating runs). A counter that would
//! pass `u32::MAX` carries into a `u64` table made on first need, so the folded histogram
//! is exactly the one recording each value would have given: same table, count, sum,
//! minimum and maximum.

use super::Histogram;
use super::histogram::{bucket_index, grown_len, octave_start};

/// Counts of values by histogram bucket, with their exact count, sum, minimum and maximum.
/// Laid out in declaration order: what a record updates fills the first
/// [`BucketCounts::HOT_BYTES`], the carries come after.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct BucketCounts {
    /// Per-bucket counts below `u32::MAX`, as long as a [`Histogram`]'s table would be.
    counts: Vec<u32>,
    sum: u128,
    /// `u64::MAX` while empty.
    min: u64,
    max: u64,
    /// Per-bucket carries of `u32::MAX` each time a counter filled; empty until one does.
    carries: Vec<u64>,
}

impl Default for BucketCounts {
    fn default() -> Self {
        BucketCounts {
            counts: Vec::new(),
            carries: Vec::new(),
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

impl BucketCounts {
    /// Bytes at the start of the table that a record reads or writes (a cache line).
    pub const HOT_BYTES: usize = 64;

    /// Records one value of `value_us` microseconds.
    #[inline(always)]
    pub fn record(&mut self, value_us: u64) {
        let index = bucket_index(value_us);
        match self.counts.get_mut(index) {
            Some(c) if *c < u32::MAX => *c += 1,
            _ => self.record_slow(index),
        }
        self.sum += u128::from(value_us);
        self.min = self.min.min(value_us);
        self.max = self.max.max(value_us);
    }

    /// A bucket past the table's end or whose counter is full.
    #[cold]
    #[inline(never)]
    fn record_slow(&mut self, index: usize) {
        if index >= self.counts.len() {
            self.counts.resize(grown_len(index), 0);
        }
        if self.counts[index] == u32::MAX {
            if self.carries.len() <= index {
                self.carries.resize(self.counts.len(), 0);
            }
            self.carries[index] += u64::from(u32::MAX);
            self.counts[index] = 0;
        }
        self.counts[index] += 1;
    }

    /// The histogram of every value recorded; the table is left empty.
    pub fn take_histogram(&mut self) -> Histogram {
        let taken = std::mem::take(self);
        // The histogram's table starts at the power of two of the smallest value (the
        // counters below it are all zero).
        let base = octave_start(bucket_index(taken.min)).min(taken.counts.len());
        let mut counts: Vec<u64> = taken.counts[base..].iter().map(|&c| u64::from(c)).collect();
        for (c, &carry) in counts.iter_mut().zip(taken.carries.iter().skip(base)) {
            *c += carry;
        }
        // The count is the counters' total: one less update per record.
        let count = counts.iter().sum();
        Histogram::from_parts(counts, base, count, taken.sum, taken.min, taken.max)
    }

    /// A table whose counter for `value_us` is `n` already (tests of the carry).
    #[cfg(test)]
    fn with_count(value_us: u64, n: u32) -> Self {
        let mut t = BucketCounts::default();
        t.record(value_us);
        let index = bucket_index(value_us);
        t.counts[index] = n;
        t.sum = u128::from(value_us) * u128::from(n);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Bytes counted by hand: the counts' header (24, then 8 padding), sum (16, aligned to 16
    /// on x86-64 and arm64 since Rust 1.77), minimum and maximum (8 each) = 64.
    #[test]
    fn what_a_record_touches_is_the_first_cache_line() {
        assert_eq!(
            std::mem::offset_of!(BucketCounts, carries),
            BucketCounts::HOT_BYTES
        );
    }

    /// Tolerance: exact equality (table length and counts, count, sum, minimum, maximum) with
    /// a histogram recording each value, on random values over many powers of two, zero and
    /// the largest value, and with nothing recorded.
    #[test]
    fn the_folded_table_is_the_histogram_of_recording_each_value() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
        for round in 0..30 {
            let (mut direct, mut table) = (Histogram::new(), BucketCounts::default());
            let n = [0, 1, 7, 5_000][round % 4];
            for _ in 0..n {
                let v = match rng.random_range(0..10) {
                    0 => 0,
                    1 => u64::MAX,
                    _ => rng.random::<u64>() >> rng.random_range(0..64),
                };
                direct.record(v);
                table.record(v);
            }
            assert_eq!(table.take_histogram(), direct, "round {round}");
        }
    }

    /// A counter at `u32::MAX` carries: 2^32 + 1 records of one value (set up directly, not
    /// recorded one by one) give a histogram whose count, bucket and sum are exact; the same
    /// histogram is reached by `record_n` on a plain histogram.
    #[test]
    fn a_full_counter_carries_into_the_wide_table() {
        let v = 123_456;
        let mut table = BucketCounts::with_count(v, u32::MAX);
        table.record(v);
        table.record(v);
        let mut direct = Histogram::new();
        direct.record_n(v, u64::from(u32::MAX) + 2);
        assert_eq!(table.take_histogram(), direct);
    }
}
