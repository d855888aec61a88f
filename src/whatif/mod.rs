//! What-if analysis for design reviews: `coldsim compare` (a base scenario and its
//! `[[variant]]` tables side by side) and `coldsim sweep` (a grid of overrides, with an
//! objective that picks the best point).
//!
//! Every variant and every grid point runs the same replications with the same seeds.
//! Because each random component draws from its own named stream (src/engine/rng.rs),
//! variants with the same traffic see identical arrivals replication by replication (common
//! random numbers), so the difference of a figure to the baseline is estimated from
//! per-replication differences (a paired comparison): its 95% CI is the Student-t interval
//! of those differences (src/stats/ci.rs), much narrower than the two CIs combined, and
//! exactly zero for two identical variants.

pub mod objective;
pub mod power;
pub mod sweep;
pub mod work;

use std::path::Path;

use crate::config::Scenario;
use crate::config::overrides::{Override, build_variant, from_set_table, read_table};
use crate::error::{InputError, InputResult};
use crate::outcome::figure_key as K;
use crate::outcome::run::DetailedRun;
use crate::runner::{self, RunError, apply_overrides};
use crate::stats::ci::mean_and_ci95;

/// Figures shown side by side, in this order: `cost_usd` is the cost of the simulated run
/// (all components, src/cost/), `cost.per_month_usd` the same scaled to 30 days,
/// `cost.per_million_requests_usd` per million invocations.
pub const COMPARE_KEYS: [&str; 11] = [
    K::COLD_FRACTION.name(),
    K::COLD_STARTS.name(),
    K::INIT_DURATION_MS.p50.name(),
    K::INIT_DURATION_MS.p99.name(),
    K::COLD_LATENCY_MS.p50.name(),
    K::COLD_LATENCY_MS.p99.name(),
    K::LATENCY_MS.p50.name(),
    K::LATENCY_MS.p99.name(),
    K::COST_USD.name(),
    K::COST_PER_MONTH_USD.name(),
    K::COST_PER_MILLION_REQUESTS_USD.name(),
];

/// Bins of the over-time plots: the simulator's fixed timeline buckets.
pub const TIMELINE_BINS: usize = crate::stats::timeline::TIMELINE_BUCKETS;

/// Options shared by `compare` and `sweep`.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Overrides `[run] seed`.
    pub seed: Option<u64>,
    /// Overrides `[run] replications`.
    pub replications: Option<u32>,
    /// The function whose figures are compared (`None`: the total over functions).
    pub function: Option<String>,
    /// Record cold starts over time (for the report's plot; slower).
    pub timeline: bool,
}

/// A paired difference to the baseline: mean of per-replication differences and the
/// half-width of its 95% CI (`None` with fewer than two paired replications).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paired {
    /// Mean difference (variant − baseline).
    pub mean: f64,
    /// 95% CI half-width.
    pub ci95: Option<f64>,
    /// Replications where both figures are defined.
    pub pairs: usize,
}

/// One figure of one variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Figure key (`latency_ms.p99`).
    pub key: String,
    /// Mean over replications.
    pub mean: Option<f64>,
    /// 95% CI half-width over replications.
    pub ci95: Option<f64>,
    /// Paired difference to the baseline (`None` for the baseline itself, or when the
    /// figure is undefined in every replication of either).
    pub diff: Option<Paired>,
}

/// One variant's results.
#[derive(Clone, Debug)]
pub struct VariantResult {
    /// Name (`base` for the base scenario).
    pub name: String,
    /// Its overrides, as written.
    pub overrides: Vec<Override>,
    /// The run.
    pub run: DetailedRun,
    /// [`COMPARE_KEYS`] (or the keys asked for), with paired differences.
    pub rows: Vec<Row>,
}

/// The result of `coldsim compare`.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// Function compared (`None`: total).
    pub function: Option<String>,
    /// Replications per variant.
    pub replications: u32,
    /// Run seed.
    pub seed: u64,
    /// Index of the baseline in `variants`.
    pub baseline: usize,
    /// Variants, base first, in file order.
    pub variants: Vec<VariantResult>,
}

/// Paired difference of `v` − `b` over the replications where both are defined.
pub fn paired(v: &[Option<f64>], b: &[Option<f64>]) -> Option<Paired> {
    let d: Vec<f64> = v
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some((*x)? - (*y)?))
        .collect();
    if d.is_empty() {
        return None;
    }
    let (mean, ci95) = mean_and_ci95(&d);
    Some(Paired {
        mean,
        ci95,
        pairs: d.len(),
    })
}

/// Index of `function` in `sc` (`None` when comparing the total).
pub fn function_index(sc: &Scenario, function: Option<&str>) -> InputResult<Option<usize>> {
    let Some(name) = function else {
        return Ok(None);
    };
    sc.functions
        .iter()
        .position(|f| f.name == name)
        .map(Some)
        .ok_or_else(|| {
            InputError::Usage(format!(
                "--function {name}: no such function in {} (functions: {})",
                sc.file.display(),
                sc.functions
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// The rows of `run` for `keys`, with paired differences to `baseline` when given.
pub fn rows(
    run: &DetailedRun,
    baseline: Option<&DetailedRun>,
    function: Option<usize>,
    keys: &[&str],
) -> Vec<Row> {
    let figures = match function {
        Some(i) => &run.summary.functions[i].1,
        None => &run.summary.total,
    };
    keys.iter()
        .map(|&key| {
            let f = figures.iter().find(|f| f.key == key);
            Row {
                key: key.to_string(),
                mean: f.and_then(|f| f.mean),
                ci95: f.and_then(|f| f.ci95),
                diff: baseline.and_then(|b| {
                    paired(
                        &run.per_replication(function, key),
                        &b.per_replication(function, key),
                    )
                }),
            }
        })
        .collect()
}

/// Builds a scenario for each override set (with the CLI's seed and replications) and
/// checks they run the same replications, so they can be paired.
pub(crate) fn build_all(
    path: &Path,
    kind: &str,
    sets: &[(String, Vec<Override>)],
    opts: &RunOptions,
) -> InputResult<Vec<Scenario>> {
    let base = read_table(path)?;
    let mut out: Vec<Scenario> = Vec::with_capacity(sets.len());
    for (name, set) in sets {
        let label = format!("{kind} \"{name}\"");
        let mut sc = build_variant(path, &base, &label, set)?;
        apply_overrides(&mut sc, opts.seed, opts.replications)?;
        crate::config::work::check(&sc)?;
        if let Some(first) = out.first()
            && (sc.replications != first.replications || sc.seed != first.seed)
        {
            return Err(InputError::field(
                path,
                label,
                "changes run.seed or run.replications; every variant must run the same \
                 replications with the same seed (common random numbers)",
            ));
        }
        out.push(sc);
    }
    Ok(out)
}

/// A `compare` run set up but not yet run: its variants' scenarios, and what turns their
/// runs into a [`Comparison`] ([`CompareSetup::finish`]).
#[derive(Clone, Debug)]
pub struct CompareSetup {
    /// The base scenario's name.
    pub scenario: String,
    /// The variants' names and overrides, `base` first.
    pub sets: Vec<(String, Vec<Override>)>,
    /// Index of the baseline in `sets`.
    pub baseline: usize,
    /// The function compared (`None`: total) and its index.
    pub function: (Option<String>, Option<usize>),
    /// One scenario per variant, in `sets` order.
    pub scenarios: Vec<Scenario>,
}

/// Sets up `coldsim compare` on the file at `path` (see [`compare`]) without running it.
pub fn compare_setup(path: &Path, opts: &RunOptions) -> Result<CompareSetup, RunError> {
    let table = read_table(path)?;
    // Type the whole file first so errors in the base are reported as such.
    let base_sc = crate::config::load_scenario(path)?;
    let raw: crate::config::file::ScenarioFile =
        table
            .try_into()
            .map_err(|e: toml::de::Error| InputError::Toml {
                file: path.to_path_buf(),
                message: e.to_string().trim_end().to_string(),
            })?;
    let (sets, baseline) = variant_sets(path, &raw.variants)?;
    let fi = function_index(&base_sc, opts.function.as_deref())?;
    let scenarios = build_all(path, "variant", &sets, opts)?;
    Ok(CompareSetup {
        scenario: base_sc.name.clone(),
        sets,
        baseline,
        function: (opts.function.clone(), fi),
        scenarios,
    })
}

impl CompareSetup {
    /// The comparison of `runs`, one per variant in order.
    pub fn finish(self, runs: Vec<DetailedRun>) -> Comparison {
        let (function, fi) = self.function;
        let baseline = self.baseline;
        let all_rows: Vec<Vec<Row>> = runs
            .iter()
            .enumerate()
            .map(|(i, run)| {
                let b = (i != baseline).then(|| &runs[baseline]);
                rows(run, b, fi, &COMPARE_KEYS)
            })
            .collect();
        let variants = self
            .sets
            .into_iter()
            .zip(runs)
            .zip(all_rows)
            .map(|(((name, overrides), run), rows)| VariantResult {
                name,
                overrides,
                run,
                rows,
            })
            .collect();
        Comparison {
            scenario: self.scenario,
            function,
            replications: self.scenarios[0].replications,
            seed: self.scenarios[0].seed,
            baseline,
            variants,
        }
    }
}

/// Runs `coldsim compare`: the base scenario (named `base`) and each `[[variant]]` of the
/// file at `path`. The baseline is the variant with `baseline = true`, else `base`.
pub fn compare(path: &Path, opts: &RunOptions) -> Result<Comparison, RunError> {
    let setup = compare_setup(path, opts)?;
    let runs = run_variants(path, &setup.scenarios, opts)?;
    Ok(setup.finish(runs))
}

/// A variant's name and its overrides.
type NamedSet = (String, Vec<Override>);

/// The named override sets to run, `base` first, and the index of the baseline: names must
/// be unique and non-empty, and at most one variant may be the baseline.
fn variant_sets(
    path: &Path,
    variants: &[crate::config::file::VariantSection],
) -> Result<(Vec<NamedSet>, usize), RunError> {
    let mut sets: Vec<NamedSet> = vec![("base".into(), Vec::new())];
    let mut baseline = 0;
    for (i, v) in variants.iter().enumerate() {
        let key = format!("variant[{i}].name");
        if v.name.trim().is_empty() {
            return Err(InputError::field(path, key, "must not be empty").into());
        }
        if sets.iter().any(|(n, _)| *n == v.name) {
            return Err(InputError::field(
                path,
                key,
                format!(
                    "\"{}\" is used twice (\"base\" is the base scenario)",
                    v.name
                ),
            )
            .into());
        }
        if v.baseline {
            if baseline != 0 {
                return Err(InputError::field(
                    path,
                    format!("variant[{i}].baseline"),
                    "only one variant can be the baseline",
                )
                .into());
            }
            baseline = sets.len();
        }
        sets.push((v.name.clone(), from_set_table(&v.set)));
    }
    Ok((sets, baseline))
}

/// Runs the variants one after another, each with its replications in parallel, after
/// bounding their total work and announcing a long run.
fn run_variants(
    path: &Path,
    scenarios: &[Scenario],
    opts: &RunOptions,
) -> Result<Vec<DetailedRun>, RunError> {
    work::check_total(path, "variants", scenarios)?;
    let jobs = scenarios[0].replications as usize;
    if let Some(note) =
        work::long_run_note(path, scenarios, jobs, work::cores(), work::LONG_RUN_SECS)
    {
        eprintln!("{note}");
    }
    scenarios
        .iter()
        .map(|sc| {
            let keep = runner::RunOptions {
                timeline: opts.timeline,
                ..Default::default()
            };
            runner::run(sc, keep)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: exact. Pairs skip replications where either side is undefined.
    #[test]
    fn paired_difference_uses_only_common_replications() {
        let v = [Some(3.0), Some(5.0), None, Some(10.0)];
        let b = [Some(1.0), Some(2.0), Some(7.0), None];
        let p = paired(&v, &b).unwrap();
        assert_eq!(p.pairs, 2);
        assert_eq!(p.mean, 2.5);
        // d = {2, 3}: s = 1/√2, s/√2 = 0.5, half-width t(0.975, 1) · 0.5.
        assert!((p.ci95.unwrap() - 12.706_204_736 * 0.5).abs() < 1e-6);
        assert_eq!(paired(&[None], &[Some(1.0)]), None);
    }
}
