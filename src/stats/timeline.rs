//! A fixed-size timeline of one function's run for plots (cold starts and live sandboxes
//! over time): [`TIMELINE_BUCKETS`] equal buckets over the run's duration, so its memory
//! does not depend on the number of invocations. It covers the whole run, warm-up included,
//! and events at or after the run's end (draining) are left out.
//!
//! It also integrates the live count over time, online and in O(1) per creation or death,
//! in any order of reports: a sandbox alive over `[born, died)` lives `clip(died) −
//! clip(born)` in a window, `clip` clamping a time into the window, so the integral is the
//! sum of `clip(died)` over deaths, plus the window's end for each sandbox still alive, less
//! the sum of `clip(born)` over creations. Per bucket the same sum is kept as a partial
//! bucket at each report plus a difference array of whole buckets.

/// Buckets of a timeline.
pub const TIMELINE_BUCKETS: usize = 240;

/// Per-bucket counts of one function.
///
/// Merging (across replications or functions) sums every array element-wise, `peak_live`
/// included: divide by the number of replications merged for the mean per replication. Over
/// functions a sum of peaks is an upper bound of the peak of the sum.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Timeline {
    /// Width of a bucket, µs (0: an empty timeline).
    pub bucket_us: u64,
    /// User cold starts (on the request path) started in each bucket.
    pub cold_starts: Vec<u64>,
    /// Inits of any kind (user, ping, provisioned, proactive) started in each bucket.
    pub inits: Vec<u64>,
    /// Largest number of live sandboxes (initialising, busy or idle) at any instant of each
    /// bucket; filled by [`Timeline::finish`].
    pub peak_live: Vec<u32>,
    /// Live sandbox-time in each bucket (within the run), sandbox·µs; filled by
    /// [`Timeline::finish`]. Divided by the bucket's length: the mean live count.
    pub live_us: Vec<u64>,
    /// Live sandbox-time over the measured window (see [`Timeline::measured_from`]),
    /// sandbox·µs; filled by [`Timeline::finish`].
    pub measured_live_us: u128,
    /// The run's duration, µs.
    duration_us: u64,
    /// Start of the measured window, µs (its end is the run's end).
    measured_from_us: u64,
    /// Sum of the creation times clamped into the measured window.
    born_clipped_us: u128,
    /// Sum of the death times clamped into the measured window.
    died_clipped_us: u128,
    /// Per bucket: live time from each report to the bucket's end, creations less deaths.
    live_partial_us: Vec<i64>,
    /// Per bucket: sandboxes alive through it from the previous one on, as differences.
    live_whole: Vec<i64>,
    created: Vec<u64>,
    died: Vec<u64>,
    peak_at_creation: Vec<u32>,
    live: u32,
}

impl Timeline {
    /// An empty timeline of [`TIMELINE_BUCKETS`] buckets over `duration_us`.
    pub fn new(duration_us: u64) -> Self {
        Self::with_buckets(duration_us, TIMELINE_BUCKETS)
    }

    /// An empty timeline over `duration_us` that keeps no buckets, only the live
    /// sandbox-time over the measured window (`measured_live_us`, behind
    /// `sandboxes.mean_live` and `idle_gb_s`): what a run needs when no one asked for the
    /// plots. Its 2,400 per-bucket counters per function (about 17 KB, 1.7 MB for the
    /// reference workload's 100 functions) are neither allocated nor written.
    pub fn totals_only(duration_us: u64) -> Self {
        Self::with_buckets(duration_us, 0)
    }

    fn with_buckets(duration_us: u64, n: usize) -> Self {
        Timeline {
            bucket_us: duration_us.div_ceil(TIMELINE_BUCKETS as u64).max(1),
            cold_starts: vec![0; n],
            inits: vec![0; n],
            peak_live: vec![0; n],
            live_us: vec![0; n],
            measured_live_us: 0,
            duration_us,
            measured_from_us: 0,
            born_clipped_us: 0,
            died_clipped_us: 0,
            live_partial_us: vec![0; n],
            live_whole: vec![0; if n == 0 { 0 } else { n + 1 }],
            created: vec![0; n],
            died: vec![0; n],
            peak_at_creation: vec![0; n],
            live: 0,
        }
    }

    /// The measured window starts at `from_us` (the warm-up's end) instead of 0.
    pub fn measured_from(mut self, from_us: u64) -> Self {
        self.measured_from_us = from_us.min(self.duration_us);
        self
    }

    /// `t_us` clamped into the measured window.
    #[inline]
    fn clip(&self, t_us: u64) -> u128 {
        t_us.clamp(self.measured_from_us, self.duration_us) as u128
    }

    /// End of bucket `b` within the run.
    #[inline]
    fn bucket_end(&self, b: usize) -> u64 {
        ((b as u64 + 1) * self.bucket_us).min(self.duration_us)
    }

    /// Adds `sign` (+1 creation, −1 death) times the time from `t_us` on to the per-bucket
    /// live time: the rest of `t_us`'s bucket now, the later buckets whole at `finish`.
    #[inline]
    fn add_live_from(&mut self, t_us: u64, sign: i64) {
        if t_us >= self.duration_us {
            return;
        }
        if let Some(b) = self.bucket(t_us) {
            self.live_partial_us[b] += sign * (self.bucket_end(b) - t_us) as i64;
            self.live_whole[b + 1] += sign;
        }
    }

    #[inline]
    fn bucket(&self, t_us: u64) -> Option<usize> {
        if self.bucket_us == 0 {
            return None;
        }
        let b = (t_us / self.bucket_us) as usize;
        (b < self.cold_starts.len()).then_some(b)
    }

    /// A user request-path cold start began at `t_us`. (Warm invocations are not binned:
    /// one division per invocation cost ~3% of the simulator's throughput for a series no
    /// plot used.)
    #[inline]
    pub fn record_cold_start(&mut self, t_us: u64) {
        if let Some(b) = self.bucket(t_us) {
            self.cold_starts[b] += 1;
        }
    }

    /// An init (any kind) started at `t_us`.
    #[inline]
    pub fn record_init(&mut self, t_us: u64) {
        if let Some(b) = self.bucket(t_us) {
            self.inits[b] += 1;
        }
    }

    /// A sandbox was created at `t_us`. The caller guarantees that every sandbox that died
    /// before `t_us` has been reported, so the live count is exact here.
    #[inline]
    pub fn record_created(&mut self, t_us: u64) {
        self.live += 1;
        self.born_clipped_us += self.clip(t_us);
        self.add_live_from(t_us, 1);
        if let Some(b) = self.bucket(t_us) {
            self.created[b] += 1;
            self.peak_at_creation[b] = self.peak_at_creation[b].max(self.live);
        }
    }

    /// A sandbox died (reclaimed, retired, released) at `t_us`.
    #[inline]
    pub fn record_died(&mut self, t_us: u64) {
        self.live = self.live.saturating_sub(1);
        self.died_clipped_us += self.clip(t_us);
        self.add_live_from(t_us, -1);
        if let Some(b) = self.bucket(t_us) {
            self.died[b] += 1;
        }
    }

    /// Computes `peak_live`: the live count only rises at creations, so a bucket's peak is
    /// the larger of the count at its start (creations less deaths in earlier buckets) and
    /// the counts right after its creations. Also the live time per bucket and over the
    /// measured window (every sandbox not reported dead lives to the window's end).
    pub fn finish(&mut self) {
        let mut live: i64 = 0;
        for b in 0..self.peak_live.len() {
            let at_start = live.max(0) as u32;
            self.peak_live[b] = at_start.max(self.peak_at_creation[b]);
            live += self.created[b] as i64 - self.died[b] as i64;
        }
        let mut whole: i64 = 0;
        for b in 0..self.live_us.len() {
            whole += self.live_whole[b];
            let len = self.bucket_len_us(b) as i64;
            self.live_us[b] = (self.live_partial_us[b] + whole * len).max(0) as u64;
        }
        let alive_at_end = self.live as u128 * self.clip(u64::MAX);
        self.measured_live_us =
            (self.died_clipped_us + alive_at_end).saturating_sub(self.born_clipped_us);
    }

    /// Length of bucket `b` within the run, µs (the last one may be cut short).
    pub fn bucket_len_us(&self, b: usize) -> u64 {
        let start = (b as u64 * self.bucket_us).min(self.duration_us);
        self.bucket_end(b) - start
    }

    /// Adds `other` element-wise (an empty timeline takes `other`'s shape).
    pub fn merge(&mut self, other: &Timeline) {
        if other.bucket_us == 0 {
            return;
        }
        if self.bucket_us == 0 {
            *self = other.clone();
            return;
        }
        let add = |a: &mut Vec<u64>, b: &Vec<u64>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.cold_starts, &other.cold_starts);
        add(&mut self.inits, &other.inits);
        add(&mut self.created, &other.created);
        add(&mut self.died, &other.died);
        add(&mut self.live_us, &other.live_us);
        self.measured_live_us += other.measured_live_us;
        self.born_clipped_us += other.born_clipped_us;
        self.died_clipped_us += other.died_clipped_us;
        for (x, y) in self.peak_live.iter_mut().zip(&other.peak_live) {
            *x += y;
        }
        for (x, y) in self
            .peak_at_creation
            .iter_mut()
            .zip(&other.peak_at_creation)
        {
            *x += y;
        }
        self.live += other.live;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact, hand-computed: a run of 2,400 µs (buckets of 10 µs), measured from 5 µs.
    /// Sandbox A lives [1, 25), B [2, 5), C [30, end) and D is created at 2,395 and never
    /// dies. Measured live time: A 20 + B 0 + C 2,370 + D 5 = 2,395. Per bucket: bucket 0
    /// holds A 9 + B 3 = 12, bucket 1 holds A 10, bucket 2 A 5, bucket 3 C 10, bucket 239 C
    /// 10 + D 5 = 15. Deaths are reported late, after later creations (as lazy expiry does).
    #[test]
    fn live_time_integrates_the_live_count_per_bucket_and_over_the_measured_window() {
        let mut t = Timeline::new(240 * 10).measured_from(5);
        t.record_created(1);
        t.record_created(2);
        t.record_created(30);
        t.record_created(2_395);
        t.record_died(25);
        t.record_died(5);
        t.finish();
        assert_eq!(t.measured_live_us, 2_395);
        assert_eq!(&t.live_us[..5], &[12, 10, 5, 10, 10]);
        assert_eq!(t.live_us[239], 15);
        assert_eq!(t.bucket_len_us(239), 10);
        let total: u64 = t.live_us.iter().sum();
        // Over the whole run: A 24 + B 3 + C 2,370 + D 5.
        assert_eq!(total, 24 + 3 + 2_370 + 5);
    }

    /// Tolerance: exact. The totals-only timeline of the hand-computed case above gives
    /// the same measured live time (2,395) and the same totals after a merge, and holds no
    /// bucket at all.
    #[test]
    fn a_totals_only_timeline_keeps_the_live_time_and_no_buckets() {
        let report = |mut t: Timeline| {
            t.record_created(1);
            t.record_created(2);
            t.record_created(30);
            t.record_created(2_395);
            t.record_cold_start(30);
            t.record_init(30);
            t.record_died(25);
            t.record_died(5);
            t.finish();
            t
        };
        let full = report(Timeline::new(240 * 10).measured_from(5));
        let totals = report(Timeline::totals_only(240 * 10).measured_from(5));
        assert_eq!(totals.measured_live_us, 2_395);
        assert_eq!(totals.measured_live_us, full.measured_live_us);
        let buckets = [
            &totals.cold_starts,
            &totals.inits,
            &totals.live_us,
            &totals.created,
            &totals.died,
        ];
        assert!(buckets.iter().all(|b| b.is_empty()));
        assert!(totals.peak_live.is_empty() && totals.live_whole.is_empty());
        let mut merged = totals.clone();
        merged.merge(&totals);
        assert_eq!(merged.measured_live_us, 2 * 2_395);
    }

    /// Tolerance: exact. Two sandboxes overlapping in bucket 0, one living on through
    /// bucket 1 (no creation there: its peak is the carried-in count), none after.
    #[test]
    fn peak_live_carries_the_count_into_buckets_without_creations() {
        let mut t = Timeline::new(240 * 10);
        t.record_created(1);
        t.record_created(2);
        t.record_died(5);
        t.record_died(25);
        t.finish();
        assert_eq!(&t.peak_live[..4], &[2, 1, 1, 0]);
    }
}
