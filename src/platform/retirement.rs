//! Retirement: every sandbox is retired after a maximum lifetime, drawn when it is created
//! (DESIGN.md, "Sandbox lifecycle"; AWS recycles execution environments after a few hours,
//! facts.md §2). A policy draws the lifetime and decides when a sandbox finishes a request;
//! the simulation acts on the decision. Idle sandboxes reach their retirement through the
//! idle pool, whose expiry is the earlier of keep-alive and retirement.

use crate::engine::{Dist, Rng, SimTime};

/// What to do with a sandbox that has just finished a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetirementDecision {
    /// Its lifetime is over: retire it now.
    RetireNow,
    /// It may serve on, until this time at the latest.
    KeepUntil(SimTime),
}

/// A retirement policy.
pub trait RetirementPolicy {
    /// When a sandbox created at `now` retires; `rng` is the stream its lifetime is drawn
    /// from (the function's `lifecycle` stream, or `provisioned_lifetime`).
    fn retire_at(&self, now: SimTime, rng: &mut Rng) -> SimTime;

    /// Called when a sandbox whose lifetime ends at `retire_at` finishes a request at `now`.
    fn on_free(&self, now: SimTime, retire_at: SimTime) -> RetirementDecision;
}

/// Retirement at a maximum lifetime drawn from a distribution (scenario key
/// `platform.max_lifetime`; AWS: about 2 h, facts.md §2), without replacement: the next
/// request after it starts a new sandbox the usual way.
#[derive(Clone, Debug)]
pub struct MaxLifetime {
    /// The lifetime of a sandbox.
    pub lifetime: Dist,
}

impl RetirementPolicy for MaxLifetime {
    #[inline]
    fn retire_at(&self, now: SimTime, rng: &mut Rng) -> SimTime {
        now + self.lifetime.sample(rng)
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
        let p = MaxLifetime {
            lifetime: Dist::Constant(SimDuration::from_secs(7_200)),
        };
        let mut rng = Rng::seed_from_u64(0);
        let at = p.retire_at(SimTime(5), &mut rng);
        assert_eq!(at, SimTime(7_200_000_005));
        assert_eq!(p.on_free(at, at), RetirementDecision::RetireNow);
        assert_eq!(
            p.on_free(SimTime(at.0 - 1), at),
            RetirementDecision::KeepUntil(at)
        );
    }
}
