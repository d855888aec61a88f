//! A fixed-size timeline of one function's run for plots (cold starts and live sandboxes
//! over time): [`TIMELINE_BUCKETS`] equal buckets over the run's duration, so its memory
//! does not depend on the number of invocations. It covers the whole run, warm-up included,
//! and events at or after the run's end (draining) are left out.

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
    created: Vec<u64>,
    died: Vec<u64>,
    peak_at_creation: Vec<u32>,
    live: u32,
}

impl Timeline {
    /// An empty timeline of [`TIMELINE_BUCKETS`] buckets over `duration_us`.
    pub fn new(duration_us: u64) -> Self {
        let n = TIMELINE_BUCKETS;
        Timeline {
            bucket_us: duration_us.div_ceil(n as u64).max(1),
            cold_starts: vec![0; n],
            inits: vec![0; n],
            peak_live: vec![0; n],
            created: vec![0; n],
            died: vec![0; n],
            peak_at_creation: vec![0; n],
            live: 0,
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
        if let Some(b) = self.bucket(t_us) {
            self.created[b] += 1;
            self.peak_at_creation[b] = self.peak_at_creation[b].max(self.live);
        }
    }

    /// A sandbox died (reclaimed, retired, released) at `t_us`.
    #[inline]
    pub fn record_died(&mut self, t_us: u64) {
        self.live = self.live.saturating_sub(1);
        if let Some(b) = self.bucket(t_us) {
            self.died[b] += 1;
        }
    }

    /// Computes `peak_live`: the live count only rises at creations, so a bucket's peak is
    /// the larger of the count at its start (creations less deaths in earlier buckets) and
    /// the counts right after its creations.
    pub fn finish(&mut self) {
        let mut live: i64 = 0;
        for b in 0..self.peak_live.len() {
            let at_start = live.max(0) as u32;
            self.peak_live[b] = at_start.max(self.peak_at_creation[b]);
            live += self.created[b] as i64 - self.died[b] as i64;
        }
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
