//! The command a plan splits ([`RunSpec`]: `scenario`, `compare` or `sweep` with the flags
//! that change what is simulated) and its set-up form ([`Setup`]: the scenario of each
//! point, and what turns the points' runs into the command's result, [`Outcome`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::Scenario;
use crate::outcome::run::DetailedRun;
use crate::runner::{RunError, apply_overrides};
use crate::stats::figures::Summary;
use crate::whatif::sweep::{Sweep, SweepSetup};
use crate::whatif::{CompareSetup, Comparison};

/// Which command a plan runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `coldsim scenario`.
    Scenario,
    /// `coldsim compare`.
    Compare,
    /// `coldsim sweep`.
    Sweep,
}

/// A `scenario`, `compare` or `sweep` command with every flag that changes what is
/// simulated (the output flags, `--format` and `--report`, are kept apart in the plan: they
/// do not change the partials).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// The subcommand.
    pub command: Kind,
    /// The scenario file, as given on the command line.
    pub file: String,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--replications`.
    pub replications: Option<u32>,
    /// `--function` (compare and sweep).
    pub function: Option<String>,
    /// `--set` axes (sweep), as given.
    pub sets: Vec<String>,
    /// `--objective` (sweep), as given.
    pub objective: Option<String>,
}

/// A command set up: the scenario of every point (one for `scenario`, one per variant or
/// grid point otherwise), not yet run.
#[derive(Clone, Debug)]
pub enum Setup {
    /// `scenario`: one point.
    Scenario(Box<Scenario>),
    /// `compare`: one point per variant.
    Compare(CompareSetup),
    /// `sweep`: one point per grid point.
    Sweep(SweepSetup),
}

/// The result of a command, as the single-machine command has it before rendering.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// `scenario`.
    Scenario(Summary),
    /// `compare`.
    Compare(Comparison),
    /// `sweep`.
    Sweep(Sweep),
}

impl RunSpec {
    /// The what-if options of this command. Timelines are kept for compare whatever
    /// `--report`, so that the merge can write a report whether or not the plan named one.
    fn whatif_options(&self) -> crate::whatif::RunOptions {
        crate::whatif::RunOptions {
            seed: self.seed,
            replications: self.replications,
            function: self.function.clone(),
            timeline: self.command == Kind::Compare,
        }
    }

    /// Sets the command up with its scenario read from `file` (the spec's file as given, or
    /// where a unit's bundle put it): parses and checks everything, as the single-machine
    /// command does before it runs.
    pub fn setup(&self, file: &Path) -> Result<Setup, RunError> {
        let opts = self.whatif_options();
        Ok(match self.command {
            Kind::Scenario => {
                let mut sc = crate::config::load_scenario(file)?;
                apply_overrides(&mut sc, self.seed, self.replications)?;
                crate::config::work::check(&sc)?;
                Setup::Scenario(Box::new(sc))
            }
            Kind::Compare => Setup::Compare(crate::whatif::compare_setup(file, &opts)?),
            Kind::Sweep => {
                let axes = self
                    .sets
                    .iter()
                    .map(|s| crate::whatif::sweep::parse_axis(s))
                    .collect::<Result<Vec<_>, _>>()?;
                let objective = self
                    .objective
                    .as_deref()
                    .map(crate::whatif::objective::parse)
                    .transpose()?;
                Setup::Sweep(crate::whatif::sweep::sweep_setup(
                    file, axes, objective, &opts,
                )?)
            }
        })
    }
}

impl Setup {
    /// The scenario of every point, in order.
    pub fn scenarios(&self) -> &[Scenario] {
        match self {
            Setup::Scenario(sc) => std::slice::from_ref(sc.as_ref()),
            Setup::Compare(c) => &c.scenarios,
            Setup::Sweep(s) => &s.scenarios,
        }
    }

    /// Whether replications keep their timelines (compare, for its report's plots).
    pub fn keep_timeline(&self) -> bool {
        matches!(self, Setup::Compare(_))
    }

    /// The command's result from every point's run, in point order.
    pub fn finish(self, runs: Vec<DetailedRun>) -> Outcome {
        match self {
            Setup::Scenario(_) => Outcome::Scenario(
                runs.into_iter()
                    .next()
                    .expect("a scenario plan has one point")
                    .summary,
            ),
            Setup::Compare(c) => Outcome::Compare(c.finish(runs)),
            Setup::Sweep(s) => Outcome::Sweep(s.finish(runs)),
        }
    }
}
