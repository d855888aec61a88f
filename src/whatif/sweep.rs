//! `coldsim sweep FILE --set KEY=V1,V2 [--set ...] [--objective ...]`: the grid (cartesian
//! product) of overrides, each point run with the same replications and seeds (common
//! random numbers), points in parallel; the output lists points in grid order (the first
//! `--set` varies slowest), whatever the thread count.

use std::path::Path;

use rayon::prelude::*;

use super::objective::Objective;
use super::{COMPARE_KEYS, Paired, Row, RunOptions, build_all, function_index, paired, rows};
use crate::config::Scenario;
use crate::config::overrides::{Override, parse_value, split_values};
use crate::error::{InputError, InputResult};
use crate::outcome::run::DetailedRun;
use crate::runner::{self, RunError};

/// Most grid points accepted (a typo like `--set x=1,...` with thousands of values would
/// otherwise run for hours).
pub const MAX_POINTS: usize = 1_000;

/// One axis of the grid: a key and its values (as written, and parsed).
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Dotted override key.
    pub key: String,
    /// Values as written and as TOML.
    pub values: Vec<(String, toml::Value)>,
}

/// Parses `--set KEY=V1,V2,...`.
pub fn parse_axis(text: &str) -> InputResult<Axis> {
    let (key, values) = text.split_once('=').ok_or_else(|| {
        InputError::Usage(format!(
            "--set {text}: expected KEY=V1,V2,... (e.g. function.api.memory_mb=512,1024)"
        ))
    })?;
    let key = key.trim();
    if key.is_empty() {
        return Err(InputError::Usage(format!("--set {text}: the key is empty")));
    }
    let values: Vec<(String, toml::Value)> = split_values(values)
        .into_iter()
        .map(|v| {
            if v.is_empty() {
                Err(InputError::Usage(format!("--set {text}: an empty value")))
            } else {
                let parsed = parse_value(&v);
                Ok((v, parsed))
            }
        })
        .collect::<InputResult<_>>()?;
    Ok(Axis {
        key: key.to_string(),
        values,
    })
}

/// The grid's points in order (the first axis varies slowest): each a name
/// (`memory_mb=512 keep_alive=5m`) and its overrides.
pub fn grid(axes: &[Axis]) -> InputResult<Vec<(String, Vec<Override>)>> {
    if axes.is_empty() {
        return Err(InputError::Usage(
            "sweep needs at least one --set KEY=V1,V2,...".into(),
        ));
    }
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.key == a.key) {
            return Err(InputError::Usage(format!("--set {} is given twice", a.key)));
        }
    }
    // Saturating: a product that overflows is reported as "more than" the limit.
    let size = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
    match size {
        Some(n) if n <= MAX_POINTS => {}
        Some(n) => {
            return Err(InputError::Usage(format!(
                "the grid has {n} points; at most {MAX_POINTS} are run"
            )));
        }
        None => {
            return Err(InputError::Usage(format!(
                "the grid has more than {} points; at most {MAX_POINTS} are run",
                usize::MAX
            )));
        }
    }
    // Short labels: the last segment of a key, unless two axes share it.
    let label = |a: &Axis| {
        let last = a.key.rsplit('.').next().unwrap_or(&a.key);
        if axes
            .iter()
            .filter(|b| b.key.rsplit('.').next() == Some(last))
            .count()
            > 1
        {
            a.key.clone()
        } else {
            last.to_string()
        }
    };
    let mut points: Vec<(String, Vec<Override>)> = vec![(String::new(), Vec::new())];
    for a in axes {
        let l = label(a);
        let l = l.as_str();
        points = points
            .into_iter()
            .flat_map(|(name, set)| {
                a.values.iter().map(move |(text, v)| {
                    let mut set = set.clone();
                    set.push((a.key.clone(), v.clone()));
                    let sep = if name.is_empty() { "" } else { " " };
                    (format!("{name}{sep}{l}={text}"), set)
                })
            })
            .collect();
    }
    Ok(points)
}

/// One grid point's results.
#[derive(Clone, Debug)]
pub struct Point {
    /// `key=value` pairs.
    pub name: String,
    /// Its overrides.
    pub overrides: Vec<Override>,
    /// The run.
    pub run: DetailedRun,
    /// Figures (no differences).
    pub rows: Vec<Row>,
}

impl Point {
    /// Mean of figure `key`.
    pub fn mean(&self, key: &str) -> Option<f64> {
        self.rows.iter().find(|r| r.key == key)?.mean
    }

    /// CI half-width of figure `key`.
    pub fn ci95(&self, key: &str) -> Option<f64> {
        self.rows.iter().find(|r| r.key == key)?.ci95
    }
}

/// A constraint at the chosen point: its value and how far it is from binding.
#[derive(Clone, Debug, PartialEq)]
pub struct Margin {
    /// Index into the objective's constraints.
    pub constraint: usize,
    /// Mean value at the point.
    pub value: f64,
    /// 95% CI half-width of the value.
    pub ci95: Option<f64>,
    /// Distance from the limit (positive: satisfied), figure's unit.
    pub slack: f64,
}

/// What the objective picked.
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    /// The best feasible point.
    Best {
        /// Index of the point.
        point: usize,
        /// How far each constraint is from binding there.
        margins: Vec<Margin>,
        /// The runner-up (second best feasible point) and the paired difference of the
        /// objective figure, best − runner-up.
        runner_up: Option<(usize, Option<Paired>)>,
        /// Feasible points.
        feasible: usize,
    },
    /// No point satisfies every constraint.
    Infeasible {
        /// Constraints that fail at every point (indices); empty when each holds somewhere
        /// but never all together.
        fail_everywhere: Vec<usize>,
        /// Per constraint, the point closest to satisfying it and its slack (negative).
        closest: Vec<Option<(usize, f64)>>,
    },
    /// The objective figure is undefined at every feasible point (e.g. a cold-latency
    /// percentile with no cold starts).
    Undefined,
}

/// The result of a sweep.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// Scenario name.
    pub scenario: String,
    /// Function compared (`None`: total).
    pub function: Option<String>,
    /// Replications per point.
    pub replications: u32,
    /// Run seed.
    pub seed: u64,
    /// Axes as given.
    pub axes: Vec<Axis>,
    /// Points in grid order.
    pub points: Vec<Point>,
    /// Objective, when given.
    pub objective: Option<Objective>,
    /// Its outcome.
    pub choice: Option<Choice>,
}

/// Keys shown per point: [`COMPARE_KEYS`] then objective keys not among them.
fn keys_for(objective: Option<&Objective>) -> Vec<String> {
    let mut keys: Vec<String> = COMPARE_KEYS.iter().map(|k| k.to_string()).collect();
    if let Some(o) = objective {
        for k in std::iter::once(&o.key).chain(o.constraints.iter().map(|c| &c.key)) {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    keys
}

/// Applies `objective` to `points` (see [`Choice`]).
pub fn choose(objective: &Objective, points: &[Point], function: Option<usize>) -> Choice {
    let holds = |p: &Point, c: &super::objective::Constraint| {
        p.mean(&c.key).is_some_and(|v| c.op.holds(v, c.limit))
    };
    let feasible: Vec<usize> = (0..points.len())
        .filter(|&i| objective.constraints.iter().all(|c| holds(&points[i], c)))
        .collect();
    if feasible.is_empty() {
        let fail_everywhere = (0..objective.constraints.len())
            .filter(|&k| !points.iter().any(|p| holds(p, &objective.constraints[k])))
            .collect();
        let closest = objective
            .constraints
            .iter()
            .map(|c| {
                points
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| Some((i, c.slack(p.mean(&c.key)?))))
                    .fold(None, |best: Option<(usize, f64)>, (i, s)| match best {
                        Some((_, bs)) if bs >= s => best,
                        _ => Some((i, s)),
                    })
            })
            .collect();
        return Choice::Infeasible {
            fail_everywhere,
            closest,
        };
    }
    let mut ranked: Vec<(usize, f64)> = feasible
        .iter()
        .filter_map(|&i| Some((i, points[i].mean(&objective.key)?)))
        .collect();
    if ranked.is_empty() {
        return Choice::Undefined;
    }
    // Stable: ties keep grid order.
    ranked.sort_by(|a, b| {
        if objective.better(a.1, b.1) {
            std::cmp::Ordering::Less
        } else if objective.better(b.1, a.1) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    let best = ranked[0].0;
    let margins = objective
        .constraints
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let value = points[best].mean(&c.key)?;
            Some(Margin {
                constraint: k,
                value,
                ci95: points[best].ci95(&c.key),
                slack: c.slack(value),
            })
        })
        .collect();
    let runner_up = ranked.get(1).map(|&(j, _)| {
        (
            j,
            paired(
                &points[best].run.per_replication(function, &objective.key),
                &points[j].run.per_replication(function, &objective.key),
            ),
        )
    });
    Choice::Best {
        point: best,
        margins,
        runner_up,
        feasible: feasible.len(),
    }
}

/// A `sweep` set up but not yet run: its points' scenarios, and what turns their runs into
/// a [`Sweep`] ([`SweepSetup::finish`]).
#[derive(Clone, Debug)]
pub struct SweepSetup {
    /// The base scenario's name.
    pub scenario: String,
    /// The function compared (`None`: total) and its index.
    pub function: (Option<String>, Option<usize>),
    /// The axes as given.
    pub axes: Vec<Axis>,
    /// The points' names and overrides, in grid order.
    pub points: Vec<(String, Vec<Override>)>,
    /// The objective, when given.
    pub objective: Option<Objective>,
    /// One scenario per point, in grid order.
    pub scenarios: Vec<Scenario>,
}

/// Sets up `coldsim sweep` (see [`sweep`]) without running it.
pub fn sweep_setup(
    path: &Path,
    axes: Vec<Axis>,
    objective: Option<Objective>,
    opts: &RunOptions,
) -> Result<SweepSetup, RunError> {
    let points = grid(&axes)?;
    let base_sc = crate::config::load_scenario(path)?;
    let fi = function_index(&base_sc, opts.function.as_deref())?;
    let scenarios = build_all(path, "sweep point", &points, opts)?;
    let grid_key = format!("sweep grid ({} points)", scenarios.len());
    super::work::check_total(path, &grid_key, &scenarios)?;
    Ok(SweepSetup {
        scenario: base_sc.name.clone(),
        function: (opts.function.clone(), fi),
        axes,
        points,
        objective,
        scenarios,
    })
}

impl SweepSetup {
    /// The sweep of `runs`, one per point in grid order.
    pub fn finish(self, runs: Vec<DetailedRun>) -> Sweep {
        let (function, fi) = self.function;
        let keys = keys_for(self.objective.as_ref());
        let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let points: Vec<Point> = self
            .points
            .into_iter()
            .zip(runs)
            .map(|((name, overrides), run)| Point {
                rows: rows(&run, None, fi, &key_refs),
                name,
                overrides,
                run,
            })
            .collect();
        let choice = self.objective.as_ref().map(|o| choose(o, &points, fi));
        Sweep {
            scenario: self.scenario,
            function,
            replications: self.scenarios[0].replications,
            seed: self.scenarios[0].seed,
            axes: self.axes,
            points,
            objective: self.objective,
            choice,
        }
    }
}

/// Runs `coldsim sweep`.
pub fn sweep(
    path: &Path,
    axes: Vec<Axis>,
    objective: Option<Objective>,
    opts: &RunOptions,
) -> Result<Sweep, RunError> {
    let setup = sweep_setup(path, axes, objective, opts)?;
    let scenarios = &setup.scenarios;
    // Points and their replications all run in parallel.
    let jobs = scenarios.iter().map(|s| s.replications as usize).sum();
    let cores = super::work::cores();
    let secs = super::work::LONG_RUN_SECS;
    if let Some(note) = super::work::long_run_note(path, scenarios, jobs, cores, secs) {
        eprintln!("{note}");
    }
    let runs: Vec<DetailedRun> = scenarios
        .par_iter()
        .map(|sc| runner::run(sc, runner::RunOptions::default()))
        .collect::<Result<_, RunError>>()?;
    Ok(setup.finish(runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_cartesian_product_first_axis_slowest() {
        let axes = vec![
            parse_axis("function.api.memory_mb=512,1024,1769").unwrap(),
            parse_axis("platform.keep_alive=5m,10m").unwrap(),
        ];
        let g = grid(&axes).unwrap();
        let names: Vec<&str> = g.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "memory_mb=512 keep_alive=5m",
                "memory_mb=512 keep_alive=10m",
                "memory_mb=1024 keep_alive=5m",
                "memory_mb=1024 keep_alive=10m",
                "memory_mb=1769 keep_alive=5m",
                "memory_mb=1769 keep_alive=10m",
            ]
        );
        assert_eq!(g[3].1[0].1.as_integer(), Some(1024));
        assert_eq!(g[3].1[1].1.as_str(), Some("10m"));
        assert!(parse_axis("nokey").is_err());
        assert!(parse_axis("a=1,,2").is_err());
        assert!(grid(&[]).is_err());
        assert!(grid(&[axes[0].clone(), axes[0].clone()]).is_err());
        // 40^13 points overflows usize: still a usage error, not a wrapped count.
        let values = (1..=40)
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let big: Vec<Axis> = (0..13)
            .map(|k| parse_axis(&format!("k{k}={values}")).unwrap())
            .collect();
        let e = grid(&big).unwrap_err().to_string();
        assert!(e.contains("more than 18446744073709551615 points"), "{e}");
        let e = grid(&big[..2]).unwrap_err().to_string();
        assert!(e.contains("the grid has 1600 points; at most 1000"), "{e}");
    }
}
