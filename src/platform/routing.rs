//! Routing: which idle sandbox of a function serves a request. A policy names the end of the
//! function's idle pool (ordered by the time each sandbox went idle) to take from, or asks
//! for a uniform pick; the pool ([`super::pool::IdlePool`]) acts on it, skipping sandboxes
//! whose keep-alive or lifetime ran out.
//!
//! What each policy does to the number of live sandboxes (with a fixed keep-alive `T`,
//! Poisson arrivals at rate λ, handler time `S`; derived in `tests/integration/routing.rs`
//! and checked there):
//! - with `S → 0` every policy keeps at most one sandbox (a cold start happens only when no
//!   sandbox is alive): cold fraction `e^{-λT}`, mean live sandboxes `1 − e^{-λT}`;
//! - `mru`: the sandbox at depth `j` of the idle stack went idle when the busy count last
//!   fell from `B + j` to `B + j − 1`, so the live count at `t` is the largest busy count
//!   over `(t − T, t]`: sandboxes beyond the recent peak expire;
//! - `lru`: every idle sandbox is reused before any newer one, so a sandbox dies only when
//!   the whole pool sits unused for `T`; the live count stays near the largest busy count of
//!   the run while λT exceeds it;
//! - `random` lies between them; `mixed` with share `p` is `mru` at 0 and `lru` at 1. On two
//!   idle sandboxes reused by periodic requests (period `P`, `2P < T < 3P`) the older one
//!   survives each request with probability `p` (`1/2` for `random`), so it outlives the
//!   first request by a geometric number of periods with mean `p / (1 − p)`.
//!
//! Evidence for Lambda's order is weak (models/platform/aws-lambda.toml `routing`).

use rand::Rng as _;

use crate::engine::Rng;

/// Where in the idle pool a request looks first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutingDecision {
    /// The most recently used live sandbox.
    Newest,
    /// The least recently used live sandbox.
    Oldest,
    /// A live sandbox drawn uniformly.
    Uniform,
}

/// A routing policy: asked once per start that finds the pool not empty.
pub trait RoutingPolicy {
    /// Where to take the sandbox from; `rng` is the function's `routing` stream.
    fn decide(&self, rng: &mut Rng) -> RoutingDecision;
}

/// The routing policies a scenario can choose (scenario key `platform.routing`), dispatched
/// by `match` (asked at every warm start).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Routing {
    /// Most recently used first (coldsim's behaviour before routing was a choice; DESIGN.md
    /// "Sandbox lifecycle").
    #[default]
    Mru,
    /// Least recently used first.
    Lru,
    /// Uniform among the live idle sandboxes.
    Random,
    /// Least recently used with probability `lru_share`, else most recently used: `Mru` at
    /// 0, `Lru` at 1.
    Mixed {
        /// Probability of taking the least recently used sandbox (0..=1).
        lru_share: f64,
    },
}

impl Routing {
    /// Whether the policy draws random numbers (`mru` and `lru` never do).
    pub fn draws(&self) -> bool {
        matches!(self, Routing::Random | Routing::Mixed { .. })
    }

    /// The scenario-file name of the policy.
    pub fn name(&self) -> &'static str {
        match self {
            Routing::Mru => "mru",
            Routing::Lru => "lru",
            Routing::Random => "random",
            Routing::Mixed { .. } => "mixed",
        }
    }
}

impl RoutingPolicy for Routing {
    #[inline]
    fn decide(&self, rng: &mut Rng) -> RoutingDecision {
        match *self {
            Routing::Mru => RoutingDecision::Newest,
            Routing::Lru => RoutingDecision::Oldest,
            Routing::Random => RoutingDecision::Uniform,
            Routing::Mixed { lru_share } => {
                if rng.random::<f64>() < lru_share {
                    RoutingDecision::Oldest
                } else {
                    RoutingDecision::Newest
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Tolerance: 4 binomial standard errors (0.0063 at p = 0.3, n = 20,000); the end
    /// shares are exact.
    #[test]
    fn mixed_takes_the_oldest_with_its_share_and_the_ends_are_exact() {
        let mut rng = Rng::seed_from_u64(9);
        let n = 20_000;
        let p = 0.3;
        let mixed = Routing::Mixed { lru_share: p };
        let oldest = (0..n)
            .filter(|_| mixed.decide(&mut rng) == RoutingDecision::Oldest)
            .count();
        let share = oldest as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((share - p).abs() < 4.0 * se, "share {share}");
        let never = Routing::Mixed { lru_share: 0.0 };
        let always = Routing::Mixed { lru_share: 1.0 };
        assert!((0..1000).all(|_| never.decide(&mut rng) == RoutingDecision::Newest));
        assert!((0..1000).all(|_| always.decide(&mut rng) == RoutingDecision::Oldest));
        assert_eq!(Routing::Mru.decide(&mut rng), RoutingDecision::Newest);
        assert_eq!(Routing::Lru.decide(&mut rng), RoutingDecision::Oldest);
        assert!(!Routing::Mru.draws() && !Routing::Lru.draws() && Routing::Random.draws());
    }
}
