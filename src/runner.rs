//! Runs a scenario's replications (in parallel with rayon, or in order when a per-invocation
//! CSV is streamed) and averages them into a [`Summary`]. Each replication's figures are
//! computed as soon as it ends, so only one set of histograms per running replication is in
//! memory; results are merged in replication order, so the output does not depend on the
//! number of threads.

use std::sync::atomic::AtomicU64;

use rayon::prelude::*;

use crate::coldstart::ColdStartModel;
use crate::config::Scenario;
use crate::error::InputError;
use crate::sim::{self, InvocationSink};
use crate::stats::cost::on_demand_usd;
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

fn replication_figures(sc: &Scenario, run: &RunStats) -> ReplicationFigures {
    let mut total = FunctionStats::default();
    let mut total_cost = 0.0;
    let functions = sc
        .functions
        .iter()
        .zip(&run.functions)
        .map(|(f, s)| {
            let cost = on_demand_usd(
                &sc.platform.prices,
                f.arch,
                f.memory_mb,
                s.billed_ms,
                s.invocations,
            );
            total_cost += cost;
            total.merge(s);
            let mut figs = figures(s, run.measured, cost);
            push_import_times(&mut figs, &f.cold_start, s);
            figs
        })
        .collect();
    total.peak_in_flight = run.peak_in_flight_total;
    ReplicationFigures {
        functions,
        total: figures(&total, run.measured, total_cost),
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
