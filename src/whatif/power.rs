//! The answer of a sweep in the terms of AWS Lambda Power Tuning
//! (alexcasalboni/aws-lambda-power-tuning): the best grid point for each of its three
//! strategies, plus what Power Tuning cannot measure (it invokes a function a few times in
//! a row): the cold-start share and the p99 under the user's own traffic.
//!
//! - `cost`: the lowest cost per invocation (here per million requests, all components);
//! - `speed`: the lowest mean duration (here the mean end-to-end latency the caller sees,
//!   cold starts and queueing included);
//! - `balanced`: the lowest `w·cost/max cost + (1−w)·time/max time` over the grid, Power
//!   Tuning's balanced score with its default weight `w` = 0.5.
//!
//! Ties go to the earlier point (with a memory axis written in increasing order, the
//! smaller memory).

use super::sweep::Sweep;
use crate::outcome::figure_key as K;

/// Power Tuning's default weight of cost in the balanced score: its `balancedWeight`
/// input, 0.5 unless given (aws-lambda-power-tuning README, "State machine input"). High
/// confidence.
pub const BALANCED_WEIGHT: f64 = 0.5;

/// A Power Tuning strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Cheapest per invocation.
    Cost,
    /// Fastest on average.
    Speed,
    /// Lowest weighted sum of cost and time, each relative to its maximum over the grid.
    Balanced,
}

impl Strategy {
    /// All three, in Power Tuning's order.
    pub const ALL: [Strategy; 3] = [Strategy::Cost, Strategy::Speed, Strategy::Balanced];

    /// Its name as Power Tuning spells it.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Cost => "cost",
            Strategy::Speed => "speed",
            Strategy::Balanced => "balanced",
        }
    }
}

/// Index of the best of `points` (`(cost, time)`) for `strategy`; `None` without points.
pub fn best(points: &[(f64, f64)], strategy: Strategy) -> Option<usize> {
    let max_cost = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let max_time = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let ratio = |x: f64, max: f64| if max > 0.0 { x / max } else { 0.0 };
    let score = |&(c, t): &(f64, f64)| match strategy {
        Strategy::Cost => c,
        Strategy::Speed => t,
        Strategy::Balanced => {
            BALANCED_WEIGHT * ratio(c, max_cost) + (1.0 - BALANCED_WEIGHT) * ratio(t, max_time)
        }
    };
    let mut best: Option<(usize, f64)> = None;
    for (i, p) in points.iter().enumerate() {
        let v = score(p);
        if v.is_finite() && best.is_none_or(|(_, b)| v < b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// The figures of one grid point that the strategies and their answer use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointFigures {
    /// Cost per million requests (USD).
    pub cost_per_million_usd: f64,
    /// Mean end-to-end latency (ms).
    pub latency_mean_ms: f64,
    /// Share of invocations that were cold starts.
    pub cold_fraction: f64,
    /// p99 end-to-end latency (ms).
    pub latency_p99_ms: f64,
}

/// The figures of every point of `s` (for its function, or the total), or `None` when a
/// point lacks one (no invocations).
pub fn figures(s: &Sweep) -> Option<Vec<PointFigures>> {
    let scope = s.function.as_deref().unwrap_or("total");
    s.points
        .iter()
        .map(|p| {
            let get = |k: &str| p.run.summary.get(scope, k).filter(|x| x.is_finite());
            Some(PointFigures {
                cost_per_million_usd: get(K::COST_PER_MILLION_REQUESTS_USD.name())?,
                latency_mean_ms: get(K::LATENCY_MS.mean.name())?,
                cold_fraction: get(K::COLD_FRACTION.name())?,
                latency_p99_ms: get(K::LATENCY_MS.p99.name())?,
            })
        })
        .collect()
}

/// Power Tuning's answer: the best point (index) per strategy, and every point's figures.
pub type Answer = (Vec<(Strategy, usize)>, Vec<PointFigures>);

/// The best point of `s` for each strategy, with the figures of every point; `None` when a
/// figure is missing or there are fewer than two points.
pub fn answer(s: &Sweep) -> Option<Answer> {
    let figs = figures(s)?;
    if figs.len() < 2 {
        return None;
    }
    let pairs: Vec<(f64, f64)> = figs
        .iter()
        .map(|f| (f.cost_per_million_usd, f.latency_mean_ms))
        .collect();
    let picks = Strategy::ALL
        .iter()
        .filter_map(|&st| Some((st, best(&pairs, st)?)))
        .collect();
    Some((picks, figs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: exact. Costs 1, 2, 4 and times 10, 6, 5: cheapest is 0, fastest 2;
    /// balanced scores (max cost 4, max time 10) are 0.5·0.25 + 0.5·1.0 = 0.625,
    /// 0.5·0.5 + 0.5·0.6 = 0.55 and 0.5·1 + 0.5·0.5 = 0.75, so 1.
    #[test]
    fn strategies_pick_the_hand_computed_points() {
        let pts = [(1.0, 10.0), (2.0, 6.0), (4.0, 5.0)];
        assert_eq!(best(&pts, Strategy::Cost), Some(0));
        assert_eq!(best(&pts, Strategy::Speed), Some(2));
        assert_eq!(best(&pts, Strategy::Balanced), Some(1));
        assert_eq!(best(&[], Strategy::Cost), None);
        // Ties go to the earlier point.
        assert_eq!(best(&[(1.0, 2.0), (1.0, 2.0)], Strategy::Balanced), Some(0));
    }
}
