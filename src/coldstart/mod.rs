//! What a cold start costs: its phases, drawn per cold start. First version: placement and
//! microVM boot from the platform model, runtime init and user init code from the workload
//! model, or one abstract `cold_start` distribution for textbook studies.
//! Code delivery (ZIP download, image chunks) and the import graph come with the cold-start
//! anatomy model; [`Phase`] is where they will be added.

use crate::engine::{Dist, Rng, SimDuration};

/// A phase of a cold start, recorded separately so reports can break a cold start down
/// (DESIGN.md, "What a cold start costs").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Choosing a worker for the new sandbox.
    Place,
    /// Firecracker microVM start.
    Boot,
    /// Runtime start: interpreter and runtime bootstrap (inside `Init Duration`).
    RuntimeInit,
    /// The handler module's own module-level code (inside `Init Duration`).
    UserInit,
    /// A `cold_start` override: the whole cold start as one abstract draw.
    Abstract,
}

/// Number of phases.
pub const N_PHASES: usize = 5;

impl Phase {
    /// Every phase, in the order they run.
    pub const ALL: [Phase; N_PHASES] = [
        Phase::Place,
        Phase::Boot,
        Phase::RuntimeInit,
        Phase::UserInit,
        Phase::Abstract,
    ];

    /// The key used in reports (`phases_ms.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Place => "place",
            Phase::Boot => "boot",
            Phase::RuntimeInit => "runtime_init",
            Phase::UserInit => "user_init",
            Phase::Abstract => "cold_start_override",
        }
    }
}

/// The durations of one cold start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ColdStartDraw {
    /// Each phase's duration, indexed as [`Phase::ALL`].
    pub phases: [SimDuration; N_PHASES],
    /// What the REPORT line's `Init Duration` shows: runtime init and user init.
    pub init_duration: SimDuration,
    /// The extra time the caller waits: placement, boot and `init_duration`.
    pub cold_latency: SimDuration,
}

/// The init phases a workload model gives for one function (its architecture chosen).
#[derive(Clone, Debug)]
pub struct InitPhases {
    /// Runtime init.
    pub runtime_init: Dist,
    /// User init code.
    pub user_init: Dist,
}

/// How a function's cold starts are drawn.
#[derive(Clone, Debug)]
pub enum ColdStartModel {
    /// Phases: placement and boot (platform), runtime and user init (workload).
    Phases {
        /// Placement on a worker.
        place: Dist,
        /// MicroVM boot.
        boot: Dist,
        /// Init phases from the workload model.
        init: InitPhases,
    },
    /// One distribution for the whole cold start; `init_duration` equals `cold_latency`.
    Override(Dist),
}

impl ColdStartModel {
    /// Draws one cold start.
    #[inline]
    pub fn draw(&self, rng: &mut Rng) -> ColdStartDraw {
        let mut d = ColdStartDraw::default();
        match self {
            ColdStartModel::Phases { place, boot, init } => {
                d.phases[0] = place.sample(rng);
                d.phases[1] = boot.sample(rng);
                d.phases[2] = init.runtime_init.sample(rng);
                d.phases[3] = init.user_init.sample(rng);
                d.init_duration = d.phases[2] + d.phases[3];
                d.cold_latency = d.phases[0] + d.phases[1] + d.init_duration;
            }
            ColdStartModel::Override(dist) => {
                let t = dist.sample(rng);
                d.phases[4] = t;
                d.init_duration = t;
                d.cold_latency = t;
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn cold_latency_is_the_sum_of_its_phases_and_init_duration_excludes_place_and_boot() {
        let m = ColdStartModel::Phases {
            place: Dist::Constant(SimDuration(3_000)),
            boot: Dist::Constant(SimDuration(60_000)),
            init: InitPhases {
                runtime_init: Dist::Constant(SimDuration(90_000)),
                user_init: Dist::Constant(SimDuration(10_000)),
            },
        };
        let d = m.draw(&mut Rng::seed_from_u64(1));
        assert_eq!(d.init_duration, SimDuration(100_000));
        assert_eq!(d.cold_latency, SimDuration(163_000));
        let total: u64 = d.phases.iter().map(|p| p.as_us()).sum();
        assert_eq!(total, d.cold_latency.as_us());
    }

    #[test]
    fn override_puts_everything_in_one_phase() {
        let d = ColdStartModel::Override(Dist::Constant(SimDuration(500_000)))
            .draw(&mut Rng::seed_from_u64(1));
        assert_eq!(d.cold_latency, SimDuration(500_000));
        assert_eq!(d.init_duration, SimDuration(500_000));
        assert_eq!(d.phases[Phase::Abstract as usize], SimDuration(500_000));
    }
}
