//! What a cold start costs: its phases, drawn per cold start. First version: placement and
//! microVM boot from the platform model, runtime init and user init code from the workload
//! model, the handler's imports from the workload's import graph ([`imports`]), or one
//! abstract `cold_start` distribution for textbook studies.
//! Code delivery (ZIP download, image chunks) comes with the cold-start anatomy model;
//! [`Phase`] is where it will be added.

pub mod imports;

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
    /// The handler module's eager imports: the import graph's CPU time at the init CPU
    /// speed (inside `Init Duration`; DESIGN.md, "Imports").
    Imports,
    /// The handler module's own module-level code (inside `Init Duration`).
    UserInit,
    /// A `cold_start` override: the whole cold start as one abstract draw.
    Abstract,
}

/// Number of phases.
pub const N_PHASES: usize = 6;

impl Phase {
    /// Every phase, in the order they run.
    pub const ALL: [Phase; N_PHASES] = [
        Phase::Place,
        Phase::Boot,
        Phase::RuntimeInit,
        Phase::Imports,
        Phase::UserInit,
        Phase::Abstract,
    ];

    /// The key used in reports (`phases_ms.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Place => "place",
            Phase::Boot => "boot",
            Phase::RuntimeInit => "runtime_init",
            Phase::Imports => "imports",
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
    /// What the REPORT line's `Init Duration` shows: runtime init, imports and user init.
    pub init_duration: SimDuration,
    /// The extra time the caller waits: placement, boot and `init_duration`.
    pub cold_latency: SimDuration,
}

/// The init phases a workload model gives for one function (its architecture chosen).
#[derive(Clone, Debug)]
pub struct InitPhases {
    /// Runtime init.
    pub runtime_init: Dist,
    /// The handler's eager imports at the init CPU speed: a constant zero without
    /// imports (then nothing is drawn), else a lognormal with the graph's cost as its mean
    /// (one draw per cold start: the per-cold-start noise of the import time).
    pub imports: Dist,
    /// Each top-level import's share of the import phase, in import order (the modules it
    /// loads first; shares sum to 1; empty without imports). Reported as
    /// `imports_ms.<module>` per function, with `.` in module names written `/`.
    pub import_shares: Vec<(String, f64)>,
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
        /// Init phases from the workload model (boxed: four distributions).
        init: Box<InitPhases>,
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
                d.phases[Phase::Place as usize] = place.sample(rng);
                d.phases[Phase::Boot as usize] = boot.sample(rng);
                d.phases[Phase::RuntimeInit as usize] = init.runtime_init.sample(rng);
                d.phases[Phase::Imports as usize] = init.imports.sample(rng);
                d.phases[Phase::UserInit as usize] = init.user_init.sample(rng);
                d.init_duration = d.phases[Phase::RuntimeInit as usize]
                    + d.phases[Phase::Imports as usize]
                    + d.phases[Phase::UserInit as usize];
                d.cold_latency = d.phases[Phase::Place as usize]
                    + d.phases[Phase::Boot as usize]
                    + d.init_duration;
            }
            ColdStartModel::Override(dist) => {
                let t = dist.sample(rng);
                d.phases[Phase::Abstract as usize] = t;
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
            init: Box::new(InitPhases {
                runtime_init: Dist::Constant(SimDuration(90_000)),
                imports: Dist::Constant(SimDuration(500_000)),
                import_shares: Vec::new(),
                user_init: Dist::Constant(SimDuration(10_000)),
            }),
        };
        let d = m.draw(&mut Rng::seed_from_u64(1));
        assert_eq!(d.init_duration, SimDuration(600_000));
        assert_eq!(d.cold_latency, SimDuration(663_000));
        assert_eq!(d.phases[Phase::Imports as usize], SimDuration(500_000));
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
