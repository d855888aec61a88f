//! Proactive init: the platform may initialise a sandbox off the request path ahead of a
//! request, so what would have been a cold start is served warm (DESIGN.md, "Sandbox
//! lifecycle"). A policy decides at each would-be cold start; the simulation acts on the
//! decision.

use rand::Rng as _;

use crate::engine::Rng;

/// Whether a would-be cold start found a proactively initialised sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProactiveDecision {
    /// The platform had initialised the sandbox ahead: the caller sees a warm start.
    Proactive,
    /// The init runs on the request path: a cold start.
    OnRequestPath,
}

/// A proactive-init policy, asked once per would-be cold start.
pub trait ProactiveInitPolicy {
    /// Decides for one would-be cold start; `rng` is the function's `proactive_init` stream.
    fn on_cold_start(&self, rng: &mut Rng) -> ProactiveDecision;
}

/// A fixed share of would-be cold starts is served by a proactively initialised sandbox
/// (models/platform/aws-lambda.toml `proactive_init_share`, default 0). One uniform draw per
/// would-be cold start, and none at all when the share is 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProactiveShare {
    /// Probability that a would-be cold start was initialised proactively.
    pub share: f64,
}

impl ProactiveShare {
    /// Whether the policy can ever decide [`ProactiveDecision::Proactive`].
    pub fn is_on(&self) -> bool {
        self.share > 0.0
    }
}

impl ProactiveInitPolicy for ProactiveShare {
    #[inline]
    fn on_cold_start(&self, rng: &mut Rng) -> ProactiveDecision {
        if self.share > 0.0 && rng.random::<f64>() < self.share {
            ProactiveDecision::Proactive
        } else {
            ProactiveDecision::OnRequestPath
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Tolerance: 4.5 standard errors of a binomial share over 200,000 draws (±0.0049 at
    /// 0.3); exact for the limit cases 0 (no draw taken) and 1.
    #[test]
    fn the_proactive_share_of_decisions_matches_the_configured_share() {
        let mut rng = Rng::seed_from_u64(3);
        let n = 200_000;
        let p = ProactiveShare { share: 0.3 };
        let hits = (0..n)
            .filter(|_| p.on_cold_start(&mut rng) == ProactiveDecision::Proactive)
            .count();
        let sd = (0.3f64 * 0.7 / n as f64).sqrt();
        assert!((hits as f64 / n as f64 - 0.3).abs() < 4.5 * sd, "{hits}");
        let zero = ProactiveShare { share: 0.0 };
        let before = rng.clone();
        assert_eq!(
            zero.on_cold_start(&mut rng),
            ProactiveDecision::OnRequestPath
        );
        assert_eq!(rng, before, "share 0 draws nothing");
        let one = ProactiveShare { share: 1.0 };
        assert!((0..100).all(|_| one.on_cold_start(&mut rng) == ProactiveDecision::Proactive));
    }
}
