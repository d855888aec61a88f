//! Retirement: every sandbox is retired after a maximum lifetime, drawn when it is created
//! (DESIGN.md, "Sandbox lifecycle"; AWS "terminates execution environments every few hours
//! ... even for functions that are invoked continuously", lambda-runtime-environment.html).
//! A policy draws the lifetime, decides whether the platform initialises a replacement ahead
//! of the retirement, and decides when a sandbox finishes a request; the simulation acts on
//! the decisions. Idle sandboxes reach their retirement through the idle pool, whose expiry
//! is the earlier of keep-alive and retirement.
//!
//! Replacement: AWS documents that "Lambda might initialize a new execution environment to
//! replace an execution environment that is about to be shut down" (the same page, text
//! added 2023-07-13 after AJ Stuyvenberg's proactive-initialisation study). With a share
//! given by the policy, a sandbox's retirement is replaced: a lead time before it retires,
//! the platform initialises a new sandbox off the request path, which joins the idle pool
//! when ready; the old one still retires at its time.

use rand::Rng as _;

use crate::engine::{Dist, Rng, SimTime};

/// What to do with a sandbox that has just finished a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetirementDecision {
    /// Its lifetime is over: retire it now.
    RetireNow,
    /// It may serve on, until this time at the latest.
    KeepUntil(SimTime),
}

/// Whether the retirement of a new sandbox will be replaced ahead of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplacementDecision {
    /// At this time (its retirement less the lead time, after its creation) the platform
    /// starts to initialise a replacement, if the sandbox is still alive then.
    ReplaceFrom(SimTime),
    /// It retires without a replacement: the next request after it may cold-start.
    RetireOnly,
}

/// A retirement policy.
pub trait RetirementPolicy {
    /// When a sandbox created at `now` retires; `rng` is the stream its lifetime is drawn
    /// from (the function's `lifecycle` stream, `provisioned_lifetime`, or the stream of the
    /// off-path init that created it).
    fn retire_at(&self, now: SimTime, rng: &mut Rng) -> SimTime;

    /// Decides, for an on-demand sandbox created at `now` that retires at `retire_at`,
    /// whether its retirement is replaced; `rng` is the function's `replacement` stream.
    fn on_create(&self, now: SimTime, retire_at: SimTime, rng: &mut Rng) -> ReplacementDecision;

    /// Called when a sandbox whose lifetime ends at `retire_at` finishes a request at `now`.
    fn on_free(&self, now: SimTime, retire_at: SimTime) -> RetirementDecision;
}

/// Retirement at a maximum lifetime drawn from a distribution (scenario key
/// `platform.max_lifetime`), replaced ahead with probability `replacement_share` (key
/// `platform.replacement_share`) a lead time drawn from `replacement_lead` (key
/// `platform.replacement_lead`) before it ends. Share 0 is the behaviour without
/// replacement: nothing is drawn and every retirement may put a cold start on the request
/// path.
#[derive(Clone, Debug)]
pub struct MaxLifetime {
    /// The lifetime of a sandbox.
    pub lifetime: Dist,
    /// Probability that a sandbox's retirement is replaced ahead of time.
    pub replacement_share: f64,
    /// How long before the retirement the replacement starts to initialise.
    pub replacement_lead: Dist,
}

impl MaxLifetime {
    /// Retirement without replacement (share 0).
    pub fn without_replacement(lifetime: Dist) -> Self {
        MaxLifetime {
            lifetime,
            replacement_share: 0.0,
            replacement_lead: Dist::Constant(crate::engine::SimDuration::ZERO),
        }
    }

    /// Whether any retirement can be replaced.
    pub fn replaces(&self) -> bool {
        self.replacement_share > 0.0
    }
}

impl RetirementPolicy for MaxLifetime {
    #[inline]
    fn retire_at(&self, now: SimTime, rng: &mut Rng) -> SimTime {
        now + self.lifetime.sample(rng)
    }

    #[inline]
    fn on_create(&self, now: SimTime, retire_at: SimTime, rng: &mut Rng) -> ReplacementDecision {
        if !self.replaces() || rng.random::<f64>() >= self.replacement_share {
            return ReplacementDecision::RetireOnly;
        }
        let lead = self.replacement_lead.sample(rng);
        let from = SimTime(retire_at.0.saturating_sub(lead.as_us()));
        if from > now {
            ReplacementDecision::ReplaceFrom(from)
        } else {
            // A lead as long as the whole lifetime: a replacement at creation would start a
            // chain of replacements at one instant. The platform replaces only sandboxes
            // that have lived before.
            ReplacementDecision::RetireOnly
        }
    }

    #[inline]
    fn on_free(&self, now: SimTime, retire_at: SimTime) -> RetirementDecision {
        if now >= retire_at {
            RetirementDecision::RetireNow
        } else {
            RetirementDecision::KeepUntil(retire_at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;
    use rand::SeedableRng;

    /// Tolerance: exact. A 2 h lifetime from t = 5 µs ends at 7,200,000,005 µs; a request
    /// ending at that very instant retires the sandbox, one ending a µs before keeps it.
    #[test]
    fn max_lifetime_retires_at_creation_plus_lifetime_inclusive() {
        let p = MaxLifetime::without_replacement(Dist::Constant(SimDuration::from_secs(7_200)));
        let mut rng = Rng::seed_from_u64(0);
        let at = p.retire_at(SimTime(5), &mut rng);
        assert_eq!(at, SimTime(7_200_000_005));
        assert_eq!(p.on_free(at, at), RetirementDecision::RetireNow);
        assert_eq!(
            p.on_free(SimTime(at.0 - 1), at),
            RetirementDecision::KeepUntil(at)
        );
    }

    /// Tolerance: exact for share 0 (no draw at all) and 1 (always, at retire_at - lead, if
    /// after creation); 4.5 binomial SEs for share 0.3 over 100,000 sandboxes.
    #[test]
    fn replacement_share_and_lead_decide_when_a_replacement_starts() {
        let mut p = MaxLifetime::without_replacement(Dist::Constant(SimDuration::from_secs(60)));
        let mut rng = Rng::seed_from_u64(9);
        let before = rng.clone();
        let at = SimTime(100_000_000);
        assert_eq!(
            p.on_create(SimTime(0), at, &mut rng),
            ReplacementDecision::RetireOnly
        );
        assert_eq!(rng, before, "share 0 draws nothing");
        p.replacement_share = 1.0;
        p.replacement_lead = Dist::Constant(SimDuration::from_secs(30));
        assert_eq!(
            p.on_create(SimTime(0), at, &mut rng),
            ReplacementDecision::ReplaceFrom(SimTime(70_000_000))
        );
        // A lead as long as the life left or longer: no replacement.
        for created in [70_000_000, 90_000_000] {
            assert_eq!(
                p.on_create(SimTime(created), at, &mut rng),
                ReplacementDecision::RetireOnly
            );
        }
        p.replacement_share = 0.3;
        let n = 100_000;
        let hits = (0..n)
            .filter(|_| p.on_create(SimTime(0), at, &mut rng) != ReplacementDecision::RetireOnly)
            .count();
        let sd = (0.3f64 * 0.7 / n as f64).sqrt();
        assert!((hits as f64 / n as f64 - 0.3).abs() < 4.5 * sd, "{hits}");
    }
}
