//! The one run pipeline: runs a scenario's replications (in parallel with rayon, or in order
//! when a per-invocation CSV is streamed) and merges them into a [`DetailedRun`] (summary,
//! per-replication figures, histograms, timelines when asked for). Each replication's
//! figures are computed as soon as it ends; results are merged in replication order, so the
//! output does not depend on the number of threads.

use std::sync::atomic::AtomicU64;

use rayon::prelude::*;

use crate::config::Scenario;
use crate::cost::{CostBreakdown, breakdown};
use crate::error::InputError;
use crate::outcome::bill::cost_inputs;
use crate::outcome::figures::{figures, push_import_times};
use crate::outcome::run::DetailedRun;
use crate::outcome::{FunctionStats, RunStats};
use crate::output::OutputError;
use crate::sim::{self, InvocationSink};
use crate::stats::Histogram;
use crate::stats::figures::{FigureValue, Summary, aggregate};
use crate::stats::timeline::Timeline;

/// What a run keeps besides the summary, the per-replication figures and the merged
/// cold-latency histograms, and where it reports while it goes.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Keep each function's timeline (cold starts and live sandboxes over time).
    pub timeline: bool,
    /// Stream every counted invocation here; replications then run one after another.
    pub sink: Option<&'a mut dyn InvocationSink>,
    /// Advanced by simulated microseconds (the total is duration × replications).
    pub progress: Option<&'a AtomicU64>,
}

/// What one replication leaves: its figures, and per function its cold-latency histogram
/// and (when kept) its timeline. Its size does not grow with the run's length (histograms
/// and fixed-size timelines), so work units carry it as their partial result (src/units/).
#[derive(Clone, Debug, PartialEq)]
pub struct Replication {
    /// Per function (scenario order), its figures.
    pub functions: Vec<Vec<FigureValue>>,
    /// The figures over all functions.
    pub total: Vec<FigureValue>,
    /// Per function, its cold-start latency histogram.
    pub cold_latency: Vec<Histogram>,
    /// Per function, its timeline, when kept.
    pub timelines: Option<Vec<Timeline>>,
}

/// What function `f` of `sc` costs in a replication that measured `measured` and recorded
/// `s` (src/cost/).
fn function_cost(
    sc: &Scenario,
    f: &crate::config::Function,
    s: &FunctionStats,
    measured: crate::engine::SimDuration,
) -> CostBreakdown {
    let inputs = cost_inputs(s, f.arch, f.memory_mb, f.packaging, measured);
    breakdown(&sc.platform.prices, &sc.platform.billing, &inputs)
}

/// The figures of a replication whose records are not finished yet (`sim::run_unfinished`). Each
/// function is finished, counted in the total and reduced to its figures, cold-latency
/// histogram and timeline before the next: its final tables are freed for the next one.
fn replication(sc: &Scenario, run: RunStats, keep_timeline: bool) -> Replication {
    let (measured, peak) = (run.measured, run.peak_in_flight_total);
    let n = run.functions.len();
    let mut total = FunctionStats::default();
    let mut total_cost = CostBreakdown::default();
    let mut functions = Vec::with_capacity(n);
    let mut cold_latency = Vec::with_capacity(n);
    let mut timelines = Vec::new();
    for (f, mut s) in sc.functions.iter().zip(run.functions) {
        s.finish_records();
        let cost = function_cost(sc, f, &s, measured);
        total_cost.add(&cost);
        total.merge(&s);
        let mut figs = figures(&s, measured, &cost);
        push_import_times(&mut figs, &f.cold_start, &s);
        functions.push(figs);
        cold_latency.push(s.cold_latency);
        if keep_timeline {
            timelines.push(s.timeline);
        }
    }
    total.peak_in_flight = peak;
    let total = figures(&total, measured, &total_cost);
    Replication {
        functions,
        total,
        cold_latency,
        timelines: keep_timeline.then_some(timelines),
    }
}

/// Why a run (`scenario`, `compare`, `sweep`) could not be set up or finish. Shown as the
/// inner error itself, so messages do not depend on the layer that returns them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Bad input (a scenario, a trace, a flag): the user's to fix, exit code 2.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Writing the per-invocation stream failed. The user's to fix (exit 2) when it wraps an
    /// [`OutputError`] that says so (a bad path), else the machine's (exit 1).
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

impl RunError {
    /// Whether the user can fix it (exit code 2) rather than the machine (exit code 1).
    pub fn is_user_error(&self) -> bool {
        match self {
            RunError::Input(_) => true,
            RunError::Write(io) => io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<OutputError>())
                .is_some_and(OutputError::is_user_error),
        }
    }

    /// The [`OutputError`] inside a write error, for the CLI to name its flag.
    pub fn output_error_mut(&mut self) -> Option<&mut OutputError> {
        match self {
            RunError::Write(io) => io
                .get_mut()
                .and_then(|inner| inner.downcast_mut::<OutputError>()),
            RunError::Input(_) => None,
        }
    }
}

impl From<sim::SimError> for RunError {
    fn from(e: sim::SimError) -> Self {
        match e {
            sim::SimError::Input(e) => RunError::Input(e),
            sim::SimError::Io { source } => RunError::Write(source),
        }
    }
}

fn one<'a>(
    sc: &'a Scenario,
    r: u32,
    sink: Option<&'a mut dyn InvocationSink>,
    progress: Option<&AtomicU64>,
    keep_timeline: bool,
) -> Result<Replication, RunError> {
    let detail = if keep_timeline {
        sim::TimelineDetail::Buckets
    } else {
        sim::TimelineDetail::TotalsOnly
    };
    let run = sim::run_unfinished(sc, r, sink, progress, detail)?;
    Ok(replication(sc, run, keep_timeline))
}

/// Runs replication `r` of `sc` alone (its seed depends only on `sc.seed` and `r`, see
/// `engine::rng::replication_seed`): the one function both [`run`] and a work unit
/// (src/units/) compute replications with.
pub fn replicate(
    sc: &Scenario,
    r: u32,
    progress: Option<&AtomicU64>,
    keep_timeline: bool,
) -> Result<Replication, RunError> {
    one(sc, r, None, progress, keep_timeline)
}

/// Runs every replication of `sc` and keeps what [`DetailedRun`] holds. With a sink,
/// replications run one after another so the stream is in replication order; otherwise in
/// parallel on rayon's pool. Results are merged in replication order, so the output does
/// not depend on the number of threads.
pub fn run(sc: &Scenario, opts: RunOptions<'_>) -> Result<DetailedRun, RunError> {
    let RunOptions {
        timeline,
        sink,
        progress,
    } = opts;
    let per_rep: Vec<Replication> = match sink {
        Some(sink) => (0..sc.replications)
            .map(|r| one(sc, r, Some(&mut *sink), progress, timeline))
            .collect::<Result<_, RunError>>()?,
        None => (0..sc.replications)
            .into_par_iter()
            .map(|r| replicate(sc, r, progress, timeline))
            .collect::<Result<_, RunError>>()?,
    };
    Ok(assemble(sc, per_rep))
}

/// Runs every replication of `sc` (see [`run`]) and gives the summary only.
pub fn run_scenario<'a>(
    sc: &Scenario,
    sink: Option<&'a mut dyn InvocationSink>,
    progress: Option<&'a AtomicU64>,
) -> Result<Summary, RunError> {
    let opts = RunOptions {
        timeline: false,
        sink,
        progress,
    };
    Ok(run(sc, opts)?.summary)
}

/// Merges the replications in order: figures per function and in total, their averages
/// with CIs, the cold-latency histograms, and the timelines summed. `per_rep` must hold
/// replications 0, 1, ... of `sc` in that order; [`run`] and the merge of work units
/// (src/units/) both call it, so their outputs cannot drift apart.
pub fn assemble(sc: &Scenario, per_rep: Vec<Replication>) -> DetailedRun {
    let nf = sc.functions.len();
    // Per function, its figures in each replication (moved out, replication by replication).
    let mut functions: Vec<Vec<Vec<FigureValue>>> =
        (0..nf).map(|_| Vec::with_capacity(per_rep.len())).collect();
    let mut cold_latency = vec![Histogram::new(); nf];
    let mut cold_latency_total = Histogram::new();
    let mut timelines = per_rep
        .iter()
        .all(|r| r.timelines.is_some())
        .then(|| vec![Timeline::default(); nf]);
    let mut total = Vec::with_capacity(per_rep.len());
    for r in per_rep {
        for (reps, figures) in functions.iter_mut().zip(r.functions) {
            reps.push(figures);
        }
        for (m, h) in cold_latency.iter_mut().zip(&r.cold_latency) {
            m.merge(h);
            cold_latency_total.merge(h);
        }
        if let (Some(acc), Some(ts)) = (timelines.as_mut(), &r.timelines) {
            acc.iter_mut().zip(ts).for_each(|(a, t)| a.merge(t));
        }
        total.push(r.total);
    }
    let summary = Summary {
        scenario: sc.name.clone(),
        replications: sc.replications,
        functions: sc
            .functions
            .iter()
            .zip(&functions)
            .map(|(f, reps)| (f.name.clone(), aggregate(reps)))
            .collect(),
        total: aggregate(&total),
    };
    DetailedRun {
        summary,
        functions,
        total,
        cold_latency,
        cold_latency_total,
        timelines,
    }
}

/// Applies command-line overrides of the seed and the number of replications.
pub fn apply_overrides(
    sc: &mut Scenario,
    seed: Option<u64>,
    replications: Option<u32>,
) -> Result<(), InputError> {
    if let Some(s) = seed {
        sc.seed = s;
    }
    if let Some(r) = replications {
        if !(1..=10_000).contains(&r) {
            return Err(InputError::Usage(format!(
                "--replications must be between 1 and 10000; got {r}"
            )));
        }
        sc.replications = r;
    }
    Ok(())
}
