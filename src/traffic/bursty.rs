//! Bursty arrivals: a Poisson base rate plus bursts. Each burst starts with `burst_size`
//! simultaneous requests and then receives Poisson arrivals at `burst_rate` for
//! `burst_length`; burst starts are `burst_every` apart (start to start, a constant or a
//! distribution; a draw shorter than the burst is stretched to the burst's end so bursts
//! never overlap).

use rand_distr::{Distribution, Exp1};

use super::to_sim_time;
use crate::engine::time::US_PER_S;
use crate::engine::{Dist, Rng, SimDuration, SimTime};

/// Base rate plus periodic or random bursts.
#[derive(Clone, Debug)]
pub struct Bursty {
    /// Requests per second outside and during bursts (>= 0).
    pub base_rate_per_s: f64,
    /// Extra requests per second during a burst (>= 0).
    pub burst_rate_per_s: f64,
    /// Requests arriving together at each burst start.
    pub burst_size: u32,
    /// Length of a burst (> 0).
    pub burst_length: SimDuration,
    /// Start-to-start spacing of bursts.
    pub burst_every: Dist,
    /// Start of the first burst.
    pub first_burst: SimDuration,
}

impl Bursty {
    /// Long-run mean rate, for sizing checks.
    pub fn expected_rate_per_s(&self) -> f64 {
        let spacing_s = (self.burst_every.mean_us() / US_PER_S as f64)
            .max(self.burst_length.as_secs_f64())
            .max(1e-6);
        self.base_rate_per_s
            + (self.burst_size as f64 + self.burst_rate_per_s * self.burst_length.as_secs_f64())
                / spacing_s
    }

    pub(super) fn start(&self) -> BurstyState {
        let start = self.first_burst.as_us() as f64;
        BurstyState {
            params: self.clone(),
            base_next_us: None,
            burst_next_us: None,
            window_start_us: start,
            window_end_us: start + self.burst_length.as_us() as f64,
            cursor_us: start,
            impulse_left: self.burst_size,
        }
    }
}

/// Running state: the next base arrival and the current burst window.
pub(super) struct BurstyState {
    params: Bursty,
    base_next_us: Option<f64>,
    burst_next_us: Option<f64>,
    window_start_us: f64,
    window_end_us: f64,
    cursor_us: f64,
    impulse_left: u32,
}

impl BurstyState {
    fn draw_base(&mut self, rng: &mut Rng, from_us: f64) -> f64 {
        if self.params.base_rate_per_s <= 0.0 {
            return f64::INFINITY;
        }
        let e: f64 = Exp1.sample(rng);
        from_us + e * US_PER_S as f64 / self.params.base_rate_per_s
    }

    /// The next burst arrival after the previous one, moving to later windows as needed.
    /// Terminates: each window is at least `burst_length` (> 0) after the previous one.
    fn draw_burst(&mut self, rng: &mut Rng) -> f64 {
        if self.params.burst_size == 0 && self.params.burst_rate_per_s <= 0.0 {
            return f64::INFINITY;
        }
        loop {
            if self.impulse_left > 0 {
                self.impulse_left -= 1;
                return self.window_start_us;
            }
            if self.params.burst_rate_per_s > 0.0 {
                let e: f64 = Exp1.sample(rng);
                let t = self.cursor_us + e * US_PER_S as f64 / self.params.burst_rate_per_s;
                if t < self.window_end_us {
                    self.cursor_us = t;
                    return t;
                }
            }
            let gap = (self.params.burst_every.sample(rng).as_us() as f64)
                .max(self.params.burst_length.as_us() as f64)
                .max(1.0);
            self.window_start_us += gap;
            self.window_end_us = self.window_start_us + self.params.burst_length.as_us() as f64;
            self.cursor_us = self.window_start_us;
            self.impulse_left = self.params.burst_size;
        }
    }

    #[inline]
    pub(super) fn next(&mut self, rng: &mut Rng) -> SimTime {
        let base = match self.base_next_us {
            Some(t) => t,
            None => {
                let t = self.draw_base(rng, 0.0);
                self.base_next_us = Some(t);
                t
            }
        };
        let burst = match self.burst_next_us {
            Some(t) => t,
            None => {
                let t = self.draw_burst(rng);
                self.burst_next_us = Some(t);
                t
            }
        };
        if base <= burst {
            self.base_next_us = Some(self.draw_base(rng, base));
            to_sim_time(base)
        } else {
            self.burst_next_us = None;
            to_sim_time(burst)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, ArrivalStream};
    use super::*;
    use rand::SeedableRng;

    fn arrivals(b: Bursty, end_s: u64) -> Vec<SimTime> {
        let mut s = ArrivalStream::new(&ArrivalProcess::Bursty(b), Rng::seed_from_u64(4)).unwrap();
        std::iter::from_fn(|| s.next_arrival())
            .take_while(|t| *t < SimTime(end_s * US_PER_S))
            .collect()
    }

    #[test]
    fn impulse_bursts_put_exactly_burst_size_requests_at_each_start() {
        let a = arrivals(
            Bursty {
                base_rate_per_s: 0.0,
                burst_rate_per_s: 0.0,
                burst_size: 5,
                burst_length: SimDuration::from_secs(1),
                burst_every: Dist::Constant(SimDuration::from_secs(60)),
                first_burst: SimDuration::from_secs(10),
            },
            200,
        );
        let expected: Vec<SimTime> = [10u64, 70, 130, 190]
            .iter()
            .flat_map(|&s| std::iter::repeat_n(SimTime(s * US_PER_S), 5))
            .collect();
        assert_eq!(a, expected);
    }

    #[test]
    fn arrivals_in_bursts_and_between_them_match_their_rates() {
        // 1 req/s base; 50 req/s extra for 10 s every 100 s. Over 10,000 s: 100 bursts.
        let a = arrivals(
            Bursty {
                base_rate_per_s: 1.0,
                burst_rate_per_s: 50.0,
                burst_size: 0,
                burst_length: SimDuration::from_secs(10),
                burst_every: Dist::Constant(SimDuration::from_secs(100)),
                first_burst: SimDuration::ZERO,
            },
            10_000,
        );
        let in_burst = a.iter().filter(|t| (t.0 / US_PER_S) % 100 < 10).count() as f64;
        let outside = a.len() as f64 - in_burst;
        let (e_in, e_out) = (100.0 * 10.0 * 51.0, 100.0 * 90.0 * 1.0);
        assert!((in_burst - e_in).abs() < 4.0 * e_in.sqrt(), "{in_burst}");
        assert!((outside - e_out).abs() < 4.0 * e_out.sqrt(), "{outside}");
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
    }
}
