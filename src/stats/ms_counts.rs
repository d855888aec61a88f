//! Exact counts of whole-millisecond values, folded into a [`Histogram`] at the end of a run.
//!
//! A REPORT line's `Billed Duration` is a whole number of milliseconds, and almost every one
//! is small: one counter per millisecond records it with one increment, where a histogram
//! record computes a bucket and updates the count, sum, minimum and maximum. Folding the
//! counters in with [`Histogram::record_n`] gives exactly the histogram that recording each
//! value would have given (same table, count, sum, minimum and maximum), because a
//! histogram is a multiset summary and `record_n(v, n)` is `n` records of `v`.

use super::Histogram;

/// Values of this many milliseconds and more are recorded straight into the histogram: the
/// table stays at most 4 KiB per function (2,048 `u16` counters), and billed durations of
/// 2 s and more are rare in the workloads simulated (the reference workload's handler has
/// a median of 100 ms; about 1 in 800 of its invocations is billed 2 s or more).
const CAP_MS: usize = 2_048;

/// Counts of values in whole milliseconds below [`CAP_MS`], one `u16` each, grown to the
/// largest value seen (a power of two) so that short durations keep a small table. A counter
/// that fills (65,535 invocations billed the same millisecond) is folded into the histogram
/// and starts again: `u16` rather than `u32` halves the memory a record touches (the tables
/// of 100 functions compete for the first-level cache with everything else a request
/// touches; with the `u32` handler-time counters, about 4% of the reference run).
#[derive(Clone, Debug, Default)]
pub struct MsCounts {
    counts: Vec<u16>,
}

impl MsCounts {
    /// Counts one value of `ms` milliseconds, i.e. `ms · 1000` µs of `hist`: in the table,
    /// or straight into `hist` when it does not fit (too large, or its counter full).
    #[inline]
    pub fn record(&mut self, ms: u64, hist: &mut Histogram) {
        if let Some(c) = self.counts.get_mut(ms as usize)
            && *c < u16::MAX
        {
            *c += 1;
            return;
        }
        self.record_slow(ms, hist);
    }

    /// A value past the table's end or whose counter is full.
    #[cold]
    #[inline(never)]
    fn record_slow(&mut self, ms: u64, hist: &mut Histogram) {
        let i = ms as usize;
        if ms >= CAP_MS as u64 {
            hist.record(ms * 1_000);
            return;
        }
        if i >= self.counts.len() {
            let len = (i + 1).next_power_of_two().min(CAP_MS);
            self.counts.resize(len, 0);
        }
        let c = &mut self.counts[i];
        if *c == u16::MAX {
            hist.record_n(ms * 1_000, u64::from(*c));
            *c = 0;
        }
        *c += 1;
    }

    /// Adds every counted value to `hist` (as `ms · 1000` µs) and empties the table.
    pub fn drain_into(&mut self, hist: &mut Histogram) {
        for (ms, &n) in self.counts.iter().enumerate() {
            hist.record_n(ms as u64 * 1_000, u64::from(n));
        }
        self.counts = Vec::new();
    }

    /// True when nothing is counted in the table.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&n| n == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Tolerance: exact equality (table, count, sum, min, max) with recording each value,
    /// on random values that cover the table, its growth, zero and values past the cap.
    #[test]
    fn folded_counts_equal_recording_each_value() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(14);
        for round in 0..20 {
            let (mut direct, mut folded, mut counts) =
                (Histogram::new(), Histogram::new(), MsCounts::default());
            let n = rng.random_range(0..5_000);
            let top = [3u64, 300, 5_000, 100_000][round % 4];
            for _ in 0..n {
                let ms = rng.random_range(0..=top);
                direct.record(ms * 1_000);
                counts.record(ms, &mut folded);
            }
            counts.drain_into(&mut folded);
            assert_eq!(folded, direct, "round {round}");
            assert_eq!(folded.mean_us(), direct.mean_us());
            assert!(counts.is_empty());
        }
    }

    /// Tolerance: exact. A full counter is flushed into the histogram, not wrapped.
    #[test]
    fn a_full_counter_is_flushed_not_wrapped() {
        let mut counts = MsCounts::default();
        let mut hist = Histogram::new();
        counts.record(7, &mut hist);
        counts.counts[7] = u16::MAX;
        counts.record(7, &mut hist);
        assert_eq!(hist.count(), u64::from(u16::MAX));
        counts.drain_into(&mut hist);
        assert_eq!(hist.count(), u64::from(u16::MAX) + 1);
        assert_eq!((hist.min_us(), hist.max_us()), (7_000, 7_000));
    }
}
