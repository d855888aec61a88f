//! Keep-alive: how long an idle sandbox is kept before it is reclaimed. A policy decides when
//! a sandbox goes idle; the platform acts on the decision. Lambda semantics: the timer
//! restarts on every invocation (a new window each time the sandbox goes idle).

use crate::engine::{Dist, Rng, SimTime};

/// What to do with a sandbox that has just gone idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepAliveDecision {
    /// Keep it until this time, then reclaim it.
    KeepUntil(SimTime),
    /// Reclaim it now.
    TerminateNow,
}

/// A keep-alive policy.
pub trait KeepAlivePolicy {
    /// Called when a sandbox goes idle at `now`.
    fn on_idle(&self, now: SimTime, rng: &mut Rng) -> KeepAliveDecision;
}

/// A fixed keep-alive, or one drawn from a distribution at each idle period (AWS: 10 min,
/// facts.md §2 "Idle keep-alive").
#[derive(Clone, Debug)]
pub struct FixedKeepAlive {
    /// The idle time allowed.
    pub idle: Dist,
}

impl KeepAlivePolicy for FixedKeepAlive {
    #[inline(always)]
    fn on_idle(&self, now: SimTime, rng: &mut Rng) -> KeepAliveDecision {
        let idle = self.idle.sample(rng);
        if idle.as_us() == 0 {
            KeepAliveDecision::TerminateNow
        } else {
            KeepAliveDecision::KeepUntil(now + idle)
        }
    }
}

/// The keep-alive policies a scenario can choose, dispatched by `match` rather than a
/// virtual call (it is asked at every completion). One today: [`FixedKeepAlive`].
#[derive(Clone, Debug)]
pub enum KeepAlive {
    /// A fixed or drawn idle time (scenario key `platform.keep_alive`).
    Fixed(FixedKeepAlive),
}

impl KeepAlivePolicy for KeepAlive {
    #[inline(always)]
    fn on_idle(&self, now: SimTime, rng: &mut Rng) -> KeepAliveDecision {
        match self {
            KeepAlive::Fixed(p) => p.on_idle(now, rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;
    use rand::SeedableRng;

    #[test]
    fn fixed_keep_alive_opens_a_new_window_from_each_idle_start() {
        let p = FixedKeepAlive {
            idle: Dist::Constant(SimDuration::from_secs(600)),
        };
        let mut rng = Rng::seed_from_u64(0);
        assert_eq!(
            p.on_idle(SimTime(5), &mut rng),
            KeepAliveDecision::KeepUntil(SimTime(600_000_005))
        );
        let zero = FixedKeepAlive {
            idle: Dist::Constant(SimDuration::ZERO),
        };
        assert_eq!(
            zero.on_idle(SimTime(5), &mut rng),
            KeepAliveDecision::TerminateNow
        );
    }
}
