//! Homogeneous Poisson arrivals: exponential gaps with mean 1/rate.

use rand_distr::{Distribution, Exp1};

use super::to_sim_time;
use crate::engine::time::US_PER_S;
use crate::engine::{Rng, SimTime};

/// Poisson arrivals at a constant rate.
#[derive(Clone, Copy, Debug)]
pub struct Poisson {
    /// Requests per second (> 0).
    pub rate_per_s: f64,
}

impl Poisson {
    pub(super) fn start(&self) -> PoissonState {
        PoissonState {
            mean_gap_us: US_PER_S as f64 / self.rate_per_s,
            t_us: 0.0,
        }
    }
}

/// Running state: the last arrival time.
pub(super) struct PoissonState {
    mean_gap_us: f64,
    t_us: f64,
}

impl PoissonState {
    #[inline(always)]
    pub(super) fn next(&mut self, rng: &mut Rng) -> SimTime {
        let e: f64 = Exp1.sample(rng);
        self.t_us += e * self.mean_gap_us;
        to_sim_time(self.t_us)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, ArrivalStream};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn count_in_an_hour_matches_rate_times_time_within_four_standard_deviations() {
        let p = ArrivalProcess::Poisson(Poisson { rate_per_s: 20.0 });
        let mut s = ArrivalStream::new(&p, Rng::seed_from_u64(9)).unwrap();
        let end = SimTime(3_600 * US_PER_S);
        let mut n = 0u64;
        let mut last = SimTime::ZERO;
        while let Some(t) = s.next_arrival() {
            if t >= end {
                break;
            }
            assert!(t >= last);
            last = t;
            n += 1;
        }
        let expected = 72_000.0_f64;
        assert!((n as f64 - expected).abs() < 4.0 * expected.sqrt(), "{n}");
    }
}
