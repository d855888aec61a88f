//! Runs a scenario's replications (in parallel with rayon, or in order when a per-invocation
//! CSV is streamed) and averages them into a [`Summary`]. Each replication's figures are
//! computed as soon as it ends, so only one set of histograms per running replication is in
//! memory; results are merged in replication order, so the output does not depend on the
//! number of threads.

use std::sync::atomic::AtomicU64;

use rayon::prelude::*;

use crate::coldstart::ColdStartModel;
use crate::config::Scenario;
use crate::cost::{CostBreakdown, CostInputs, breakdown};
use crate::error::InputError;
use crate::sim::{self, InvocationSink};
use crate::stats::figures::{FigureValue, Summary, aggregate, figures};
use crate::stats::{FunctionStats, RunStats};

/// Figures of one replication: per function, then the total.
struct ReplicationFigures {
    functions: Vec<Vec<FigureValue>>,
    total: Vec<FigureValue>,
}

/// `imports_ms.<module>`: the mean time per init of each eager top-level import (the
/// modules it loads first, with their image chunk reads). `.` in a module name is written
/// `/` so the dotted key path stays two levels deep. Per function only: the total mixes
/// functions with different import lists.
fn push_import_times(figs: &mut Vec<FigureValue>, model: &ColdStartModel, s: &FunctionStats) {
    let Some(init) = model.init() else {
        return;
    };
    for (g, (name, _)) in init.eager.iter().enumerate() {
        let sum = s.top_import_sum_us.get(g).copied().unwrap_or(0);
        figs.push((
            format!("imports_ms.{}", name.replace('.', "/")),
            (s.inits > 0).then(|| sum as f64 / s.inits as f64 / 1e3),
        ));
    }
}

/// What one replication of function `f` costs (src/cost/), from its counts:
/// user requests (handler time billed on demand or, on provisioned sandboxes, at the PC
/// duration price), request-path inits (billed by the packaging's billing rule), pings,
/// provisioned concurrency configured, and SnapStart cache and restores. Restores are billed
/// on their whole Restore Duration, an upper bound: AWS bills only the runtime load and
/// hooks, not the snapshot loading. Proactive inits are not billed (their Init Duration
/// is not counted per function).
fn function_cost(
    sc: &Scenario,
    f: &crate::config::Function,
    s: &FunctionStats,
    measured: crate::engine::time::SimDuration,
) -> CostBreakdown {
    let measured_s = measured.as_us() as f64 / 1e6;
    let sum_ms = |h: &crate::stats::histogram::Histogram| h.mean_us() * h.count() as f64 / 1e3;
    let mut inputs = CostInputs::new(f.arch, f.memory_mb, f.packaging, measured_s);
    inputs.invocations = s.invocations;
    inputs.billed_ms = s.billed_handler_ms;
    inputs.on_demand_init_ms = sum_ms(&s.init_duration);
    inputs.pings = s.pings;
    inputs.ping_billed_ms = s.ping_billed_ms;
    inputs.provisioned_configured_s = s.provisioned_configured_us as f64 / 1e6;
    inputs.provisioned_busy_ms = s.provisioned_billed_ms;
    if s.snapshot_publishes > 0 {
        inputs.snapshot_mb = f.memory_mb as f64;
        inputs.snapshot_active_s = measured_s;
        inputs.snapshot_publishes = s.snapshot_publishes;
        inputs.restores = s.restores;
        inputs.restore_billed_ms = sum_ms(&s.restore_duration).ceil() as u64;
    }
    breakdown(&sc.platform.prices, &sc.platform.billing, &inputs)
}

fn replication_figures(sc: &Scenario, run: &RunStats) -> ReplicationFigures {
    let mut total = FunctionStats::default();
    let mut total_cost = CostBreakdown::default();
    let functions = sc
        .functions
        .iter()
        .zip(&run.functions)
        .map(|(f, s)| {
            let cost = function_cost(sc, f, s, run.measured);
            total_cost.add(&cost);
            total.merge(s);
            let mut figs = figures(s, run.measured, &cost);
            push_import_times(&mut figs, &f.cold_start, s);
            figs
        })
        .collect();
    total.peak_in_flight = run.peak_in_flight_total;
    ReplicationFigures {
        functions,
        total: figures(&total, run.measured, &total_cost),
    }
}

fn one<'a>(
    sc: &'a Scenario,
    replication: u32,
    sink: Option<&'a mut dyn InvocationSink>,
    progress: Option<&AtomicU64>,
) -> anyhow::Result<ReplicationFigures> {
    let run = sim::run(sc, replication, sink, progress)??;
    Ok(replication_figures(sc, &run))
}

/// Runs every replication of `sc`. With a `sink`, replications run one after another so the
/// stream is in replication order; otherwise in parallel on rayon's pool. `progress` is
/// advanced by simulated microseconds (the total is duration × replications).
pub fn run_scenario(
    sc: &Scenario,
    sink: Option<&mut dyn InvocationSink>,
    progress: Option<&AtomicU64>,
) -> anyhow::Result<Summary> {
    let per_rep: Vec<ReplicationFigures> = match sink {
        Some(sink) => (0..sc.replications)
            .map(|r| one(sc, r, Some(&mut *sink), progress))
            .collect::<anyhow::Result<_>>()?,
        None => (0..sc.replications)
            .into_par_iter()
            .map(|r| one(sc, r, None, progress))
            .collect::<anyhow::Result<_>>()?,
    };
    let functions = sc
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let reps: Vec<Vec<FigureValue>> =
                per_rep.iter().map(|r| r.functions[i].clone()).collect();
            (f.name.clone(), aggregate(&reps))
        })
        .collect();
    let totals: Vec<Vec<FigureValue>> = per_rep.into_iter().map(|r| r.total).collect();
    Ok(Summary {
        scenario: sc.name.clone(),
        replications: sc.replications,
        functions,
        total: aggregate(&totals),
    })
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

/// Request-path cold starts and live sandboxes over time, averaged over replications: the
/// data of the "over time" plots, from each function's [`crate::stats::timeline::Timeline`]
/// (a fixed number of buckets, so memory does not grow with invocations).
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Width of a bin.
    pub bin: crate::engine::SimDuration,
    /// Mean cold starts per bin over replications, from time zero; per function then total.
    pub per_function: Vec<Vec<f64>>,
    /// Sum over functions.
    pub total: Vec<f64>,
    /// Mean over replications of the peak number of live sandboxes in each bin, per function.
    pub live_per_function: Vec<Vec<f64>>,
    /// Sum over functions of those peaks (an upper bound of the peak of the sum).
    pub live_total: Vec<f64>,
}

/// A scenario's run with what paired comparisons and plots need besides the [`Summary`]:
/// every replication's figures (replications are seeded by index, so two scenarios that
/// differ only in a parameter see the same arrivals replication by replication: common
/// random numbers), and the cold-latency histograms merged over replications.
#[derive(Clone, Debug)]
pub struct DetailedRun {
    /// The same summary as [`run_scenario`] gives.
    pub summary: Summary,
    /// Per function (scenario order), per replication (in order), its figures.
    pub functions: Vec<Vec<Vec<FigureValue>>>,
    /// Per replication (in order), the figures over all functions.
    pub total: Vec<Vec<FigureValue>>,
    /// Per function, the cold-start latency of every replication merged.
    pub cold_latency: Vec<crate::stats::Histogram>,
    /// Over all functions, the cold-start latency of every replication merged.
    pub cold_latency_total: crate::stats::Histogram,
    /// Cold starts over time, when asked for (it makes the run slower: every completion
    /// becomes an event).
    pub timeline: Option<Timeline>,
}

impl DetailedRun {
    /// Per replication, figure `key` of function `function` (`None`: the total).
    pub fn per_replication(&self, function: Option<usize>, key: &str) -> Vec<Option<f64>> {
        let reps = match function {
            Some(i) => &self.functions[i],
            None => &self.total,
        };
        reps.iter()
            .map(|r| r.iter().find(|(k, _)| k == key).and_then(|(_, v)| *v))
            .collect()
    }
}

/// One replication's figures, histograms and (optionally) timelines.
type DetailedReplication = (
    ReplicationFigures,
    Vec<crate::stats::Histogram>,
    Option<Vec<crate::stats::timeline::Timeline>>,
);

/// Runs every replication of `sc` in parallel and keeps what [`DetailedRun`] holds.
/// `with_timeline` asks for cold starts and live sandboxes over time.
pub fn run_scenario_detailed(sc: &Scenario, with_timeline: bool) -> anyhow::Result<DetailedRun> {
    let nf = sc.functions.len();
    let per_rep: Vec<DetailedReplication> = (0..sc.replications)
        .into_par_iter()
        .map(|r| {
            let run = sim::run(sc, r, None, None)??;
            let hists = run
                .functions
                .iter()
                .map(|s| s.cold_latency.clone())
                .collect();
            let timelines =
                with_timeline.then(|| run.functions.iter().map(|s| s.timeline.clone()).collect());
            Ok((replication_figures(sc, &run), hists, timelines))
        })
        .collect::<anyhow::Result<_>>()?;
    let functions: Vec<Vec<Vec<FigureValue>>> = (0..nf)
        .map(|i| per_rep.iter().map(|r| r.0.functions[i].clone()).collect())
        .collect();
    let total: Vec<Vec<FigureValue>> = per_rep.iter().map(|r| r.0.total.clone()).collect();
    let mut cold_latency = vec![crate::stats::Histogram::new(); nf];
    let mut cold_latency_total = crate::stats::Histogram::new();
    for (_, hists, _) in &per_rep {
        for (m, h) in cold_latency.iter_mut().zip(hists) {
            m.merge(h);
            cold_latency_total.merge(h);
        }
    }
    let timeline = with_timeline.then(|| {
        let n = per_rep.len().max(1) as f64;
        let series = |i: usize, pick: &dyn Fn(&crate::stats::timeline::Timeline, usize) -> f64| {
            let len = per_rep
                .first()
                .and_then(|r| r.2.as_ref())
                .map_or(0, |t| t[i].cold_starts.len());
            (0..len)
                .map(|k| {
                    per_rep
                        .iter()
                        .filter_map(|r| r.2.as_ref())
                        .map(|t| pick(&t[i], k))
                        .sum::<f64>()
                        / n
                })
                .collect::<Vec<f64>>()
        };
        let per_function: Vec<Vec<f64>> = (0..nf)
            .map(|i| series(i, &|t, k| t.cold_starts[k] as f64))
            .collect();
        let live_per_function: Vec<Vec<f64>> = (0..nf)
            .map(|i| series(i, &|t, k| t.peak_live[k] as f64))
            .collect();
        let sum = |v: &[Vec<f64>]| -> Vec<f64> {
            let len = v.first().map_or(0, Vec::len);
            (0..len).map(|k| v.iter().map(|f| f[k]).sum()).collect()
        };
        let bucket_us = per_rep
            .first()
            .and_then(|r| r.2.as_ref())
            .and_then(|t| t.first())
            .map_or(1, |t| t.bucket_us);
        Timeline {
            bin: crate::engine::SimDuration::from_us_f64(bucket_us as f64),
            total: sum(&per_function),
            live_total: sum(&live_per_function),
            per_function,
            live_per_function,
        }
    });
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
    Ok(DetailedRun {
        summary,
        functions,
        total,
        cold_latency,
        cold_latency_total,
        timeline,
    })
}
