//! Proactive init: the platform initialises sandboxes off the request path, ahead of the
//! requests that will use them (DESIGN.md, "Sandbox lifecycle"). AWS: "Lambda occasionally
//! pre-initializes execution environments to reduce the number of cold start invocations"
//! (lambda-runtime-environment.html, 2023-07-13). Two mechanisms model it: replacement of
//! retiring sandboxes (`retirement.rs`, the example AWS documents) and this one, growth
//! anticipation: when a request has to cold-start a sandbox, the platform sees the
//! function's concurrency grow and, with the configured share, initialises one extra
//! sandbox beside it. The extra sandbox joins the idle pool when its init ends, where a
//! later request can find it warm. A policy decides at each request-path cold start; the
//! simulation acts on the decision.
//!
//! Why growth: AJ Stuyvenberg's 2023 study ("Understanding AWS Lambda Proactive
//! Initialization", aaronstuyvenberg.com) detects proactive inits by a gap of more than 10 s
//! between init and first invoke, i.e. sandboxes that were ready before any request needed
//! them, and found them in 50-85% of inits; a sandbox prepared while traffic grows is such a
//! sandbox. How the platform sizes the extra capacity is not published: one extra sandbox per
//! cold start with a given probability is the simplest rule with that effect (an assumption).

use rand::Rng as _;

use crate::engine::Rng;

/// What the platform does beside a request-path cold start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProactiveDecision {
    /// Initialise one more sandbox off the request path, for a later request.
    PrepareAnother,
    /// Nothing more.
    Nothing,
}

/// A proactive-init policy, asked once per request-path cold start.
pub trait ProactiveInitPolicy {
    /// Decides for one cold start; `rng` is the function's `proactive_init` stream.
    fn on_cold_start(&self, rng: &mut Rng) -> ProactiveDecision;
}

/// With probability `share`, a request-path cold start is accompanied by one extra sandbox
/// initialised off the request path (models/platform/aws-lambda.toml
/// `proactive_init_share`, default 0). One uniform draw per cold start, and none at all when
/// the share is 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProactiveShare {
    /// Probability that a cold start is accompanied by an extra, proactive init.
    pub share: f64,
}

impl ProactiveShare {
    /// Whether the policy can ever decide [`ProactiveDecision::PrepareAnother`].
    pub fn is_on(&self) -> bool {
        self.share > 0.0
    }
}

impl ProactiveInitPolicy for ProactiveShare {
    #[inline]
    fn on_cold_start(&self, rng: &mut Rng) -> ProactiveDecision {
        if self.share > 0.0 && rng.random::<f64>() < self.share {
            ProactiveDecision::PrepareAnother
        } else {
            ProactiveDecision::Nothing
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
    fn the_share_of_cold_starts_with_an_extra_init_matches_the_configured_share() {
        let mut rng = Rng::seed_from_u64(3);
        let n = 200_000;
        let p = ProactiveShare { share: 0.3 };
        let hits = (0..n)
            .filter(|_| p.on_cold_start(&mut rng) == ProactiveDecision::PrepareAnother)
            .count();
        let sd = (0.3f64 * 0.7 / n as f64).sqrt();
        assert!((hits as f64 / n as f64 - 0.3).abs() < 4.5 * sd, "{hits}");
        let zero = ProactiveShare { share: 0.0 };
        let before = rng.clone();
        assert_eq!(zero.on_cold_start(&mut rng), ProactiveDecision::Nothing);
        assert_eq!(rng, before, "share 0 draws nothing");
        let one = ProactiveShare { share: 1.0 };
        assert!((0..100).all(|_| one.on_cold_start(&mut rng) == ProactiveDecision::PrepareAnother));
    }
}
