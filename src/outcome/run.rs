//! A scenario's replications as the run pipeline keeps them ([`DetailedRun`]): the summary,
//! every replication's figures for paired comparisons, the cold-latency histograms merged
//! over replications for CDF plots and, when asked for, the timelines for "over time" plots.

use crate::engine::SimDuration;
use crate::stats::Histogram;
use crate::stats::figures::{FigureValue, Summary};
use crate::stats::timeline::Timeline;

/// A scenario's run with what paired comparisons and plots need besides the [`Summary`]:
/// every replication's figures (replications are seeded by index, so two scenarios that
/// differ only in a parameter see the same arrivals replication by replication: common
/// random numbers), and the cold-latency histograms merged over replications.
#[derive(Clone, Debug)]
pub struct DetailedRun {
    /// Figures per function and in total, averaged over replications with their CIs.
    pub summary: Summary,
    /// Per function (scenario order), per replication (in order), its figures.
    pub functions: Vec<Vec<Vec<FigureValue>>>,
    /// Per replication (in order), the figures over all functions.
    pub total: Vec<Vec<FigureValue>>,
    /// Per function, the cold-start latency of every replication merged.
    pub cold_latency: Vec<Histogram>,
    /// Over all functions, the cold-start latency of every replication merged.
    pub cold_latency_total: Histogram,
    /// Per function, its [`Timeline`] summed over replications, when asked for.
    pub timelines: Option<Vec<Timeline>>,
}

impl DetailedRun {
    /// Per replication, figure `key` of function `function` (`None`: the total).
    pub fn per_replication(&self, function: Option<usize>, key: &str) -> Vec<Option<f64>> {
        let reps = match function {
            Some(i) => &self.functions[i],
            None => &self.total,
        };
        reps.iter()
            .map(|r| r.iter().find(|(k, _)| k == key).and_then(|(_, v)| *v))
            .collect()
    }

    /// Width of a timeline bin (`None` without timelines).
    pub fn timeline_bin(&self) -> Option<SimDuration> {
        let t = self.timelines.as_ref()?.first()?;
        Some(SimDuration::from_us_f64(t.bucket_us as f64))
    }

    /// Mean request-path cold starts per bin and replication of function `function`
    /// (`None`: the sum of the functions' means).
    pub fn cold_starts_per_bin(&self, function: Option<usize>) -> Option<Vec<f64>> {
        self.series(function, |t, k| t.cold_starts[k] as f64)
    }

    /// Mean over replications of the peak number of live sandboxes in each bin of function
    /// `function` (`None`: the sum of the functions' means, an upper bound of the peak of
    /// the sum).
    pub fn peak_live_per_bin(&self, function: Option<usize>) -> Option<Vec<f64>> {
        self.series(function, |t, k| t.peak_live[k] as f64)
    }

    /// Mean over replications of the time-average number of live sandboxes in each bin of
    /// function `function` (`None`: the sum over functions, exact for a time average); the
    /// last bin is averaged over its part inside the run.
    pub fn mean_live_per_bin(&self, function: Option<usize>) -> Option<Vec<f64>> {
        self.series(function, |t, k| {
            t.live_us[k] as f64 / t.bucket_len_us(k).max(1) as f64
        })
    }

    fn series(
        &self,
        function: Option<usize>,
        pick: impl Fn(&Timeline, usize) -> f64,
    ) -> Option<Vec<f64>> {
        let timelines = self.timelines.as_ref()?;
        let n = (self.total.len().max(1)) as f64;
        let mean = |t: &Timeline| -> Vec<f64> {
            (0..t.cold_starts.len()).map(|k| pick(t, k) / n).collect()
        };
        match function {
            Some(i) => timelines.get(i).map(mean),
            None => {
                let per: Vec<Vec<f64>> = timelines.iter().map(mean).collect();
                let len = per.first().map_or(0, Vec::len);
                Some((0..len).map(|k| per.iter().map(|f| f[k]).sum()).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(timelines: Vec<Timeline>, replications: usize) -> DetailedRun {
        DetailedRun {
            summary: Summary {
                scenario: "t".into(),
                replications: replications as u32,
                functions: Vec::new(),
                total: Vec::new(),
            },
            functions: Vec::new(),
            total: vec![Vec::new(); replications],
            cold_latency: Vec::new(),
            cold_latency_total: Histogram::new(),
            timelines: Some(timelines),
        }
    }

    /// Exact: a sandbox live from 5 µs to the end in function 0 (merged over 2
    /// replications: live time summed) and one live all run in function 1, bins of 10 µs:
    /// function 0 averages 0.5 in bin 0 and 1 after it, the total 1.5 and 2.
    #[test]
    fn mean_live_per_bin_divides_live_time_by_bin_length_and_replications() {
        let one = |born: u64| {
            let mut t = Timeline::new(2_400);
            t.record_created(born);
            t.finish();
            t
        };
        let mut a = one(5);
        a.merge(&one(5));
        let mut b = one(0);
        b.merge(&one(0));
        let run = run_with(vec![a, b], 2);
        let f0 = run.mean_live_per_bin(Some(0)).unwrap();
        assert_eq!((f0[0], f0[1], f0[239]), (0.5, 1.0, 1.0));
        let total = run.mean_live_per_bin(None).unwrap();
        assert_eq!((total[0], total[7]), (1.5, 2.0));
    }

    /// Exact: 3 cold starts over 2 replications in bin 0 of function 0 and 1 in function 1
    /// give means 1.5 and 0.5, and the total is their sum, 2.
    #[test]
    fn per_bin_means_divide_the_summed_counts_by_the_replications() {
        let mut a = Timeline::new(240);
        let mut b = Timeline::new(240);
        for _ in 0..3 {
            a.record_cold_start(0);
        }
        b.record_cold_start(0);
        let run = run_with(vec![a, b], 2);
        assert_eq!(run.cold_starts_per_bin(Some(0)).unwrap()[0], 1.5);
        assert_eq!(run.cold_starts_per_bin(Some(1)).unwrap()[0], 0.5);
        assert_eq!(run.cold_starts_per_bin(None).unwrap()[0], 2.0);
        assert_eq!(run.timeline_bin(), Some(SimDuration::from_us_f64(1.0)));
    }
}
