//! `coldsim validate --protocol steady`: steady-traffic measurements (see
//! [`super::steady_data`]) replayed row by row on a base scenario, and compared.
//!
//! Each row runs the base scenario (its platform, its one function's workload and memory, its
//! `[run]` duration, warm-up and replications) with its traffic replaced by synchronous
//! Poisson arrivals at the row's rate and its handler by a constant at the row's mean. A
//! constant because steady-traffic experiments time a fixed task (often a sleep); and by the
//! insensitivity of M/G/∞ the number of busy sandboxes an arrival sees depends on the
//! handler's mean only, so the shape moves the results only through how busy periods cluster.
//! Every row uses the scenario's seed: common random numbers, so differences between rows
//! come from the rows, not from the draws.
//!
//! Agreement is read two ways: the mean absolute percentage error over rows (rows measured
//! at 0 left out), and how many rows lie within 2 standard errors *of the measurement*
//! (the simulation's own CI is shown but not added).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::error::CalibrateResult;
use super::steady_data::{SteadyRow, read_steady_csv};
use crate::config::{Scenario, load_scenario};
use crate::engine::{Dist, SimDuration};
use crate::error::InputError;
use crate::lambda::Invocation;
use crate::outcome::figure_key as K;
use crate::stats::figures::{Figure, Summary};
use crate::traffic::{ArrivalProcess, Poisson};

/// What `validate --protocol steady` needs.
#[derive(Clone, Debug)]
pub struct SteadyOptions {
    /// The base scenario (one function).
    pub scenario: PathBuf,
    /// The measurements.
    pub data: PathBuf,
    /// JSON instead of a table.
    pub json: bool,
    /// Report directory (validation.txt and validation.json), if any.
    pub report: Option<PathBuf>,
}

/// One row: measured and simulated.
#[derive(Clone, Debug)]
pub struct SteadyCheck {
    /// The measurement.
    pub row: SteadyRow,
    /// Simulated cold fraction (mean over replications) and its 95% CI half-width.
    pub cold_fraction: (f64, Option<f64>),
    /// Simulated mean live sandboxes and its 95% CI half-width.
    pub mean_live: (f64, Option<f64>),
}

/// Runs `coldsim validate --protocol steady`.
pub fn validate_steady(o: &SteadyOptions) -> CalibrateResult<String> {
    let base = load_scenario(&o.scenario)?;
    if base.functions.len() != 1 {
        return Err(InputError::file(
            &o.scenario,
            format!(
                "the steady protocol needs a scenario with exactly one function; it has {}",
                base.functions.len()
            ),
        )
        .into());
    }
    let rows = read_steady_csv(&o.data)?;
    let mut checks = Vec::with_capacity(rows.len());
    for row in &rows {
        let sc = scenario_for(&base, row);
        crate::config::work::check(&sc).map_err(|e| row_error(&o.data, checks.len(), e))?;
        let summary = crate::runner::run_scenario(&sc, None, None)?;
        checks.push(check_of(*row, &summary));
    }
    let text = table(o, &base, &checks);
    let json_text = serde_json::to_string_pretty(&to_json(o, &base, &checks))? + "\n";
    if let Some(dir) = &o.report {
        crate::output::write_atomic(&dir.join("validation.txt"), text.as_bytes())?;
        crate::output::write_atomic(&dir.join("validation.json"), json_text.as_bytes())?;
    }
    Ok(if o.json { json_text } else { text })
}

/// A row the work bound refuses, named by its row.
fn row_error(data: &Path, index: usize, e: InputError) -> InputError {
    InputError::row(data, index as u64 + 1, e.to_string())
}

/// The base scenario with Poisson traffic at the row's rate and a constant handler at the
/// row's mean (the measured duration, so it is not scaled by memory again).
pub fn scenario_for(base: &Scenario, row: &SteadyRow) -> Scenario {
    let mut sc = base.clone();
    let handler_us = (row.handler_mean_ms * 1e3).round() as u64;
    sc.functions[0].handler = Dist::Constant(SimDuration(handler_us));
    sc.traffic = vec![crate::config::TrafficSource {
        function: 0,
        invocation: Invocation::Sync,
        delivery: crate::platform::event_source::Delivery::Sync,
        process: ArrivalProcess::Poisson(Poisson {
            rate_per_s: row.rate_per_s,
        }),
    }];
    sc
}

fn check_of(row: SteadyRow, s: &Summary) -> SteadyCheck {
    let pick = |key: &str| -> (f64, Option<f64>) {
        let f: Option<&Figure> = s.total.iter().find(|f| f.key == key);
        (
            f.and_then(|f| f.mean).unwrap_or(f64::NAN),
            f.and_then(|f| f.ci95),
        )
    };
    SteadyCheck {
        row,
        cold_fraction: pick(K::COLD_FRACTION.name()),
        mean_live: pick(K::SANDBOXES_MEAN_LIVE.name()),
    }
}

/// Agreement over rows: MAPE (rows measured > 0) and rows within 2 measured SEs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    /// Rows compared.
    pub rows: usize,
    /// Mean absolute percentage error, percent (None if every row was measured at 0).
    pub mape_pct: Option<f64>,
    /// Rows left out of the MAPE (measured 0).
    pub zero_rows: usize,
    /// Rows with |simulated − measured| <= 2 SE (None without SEs).
    pub within_2se: Option<usize>,
    /// Rows with an SE.
    pub with_se: usize,
}

/// Agreement of `(measured, se, simulated)` triples.
pub fn agreement(points: &[(f64, Option<f64>, f64)]) -> Agreement {
    let nonzero: Vec<f64> = points
        .iter()
        .filter(|(m, _, _)| *m > 0.0)
        .map(|(m, _, s)| ((s - m) / m).abs() * 100.0)
        .collect();
    let with_se: Vec<bool> = points
        .iter()
        .filter_map(|(m, se, s)| se.map(|se| (s - m).abs() <= 2.0 * se))
        .collect();
    Agreement {
        rows: points.len(),
        mape_pct: (!nonzero.is_empty()).then(|| nonzero.iter().sum::<f64>() / nonzero.len() as f64),
        zero_rows: points.len() - nonzero.len(),
        within_2se: (!with_se.is_empty()).then(|| with_se.iter().filter(|&&w| w).count()),
        with_se: with_se.len(),
    }
}

fn cold_points(checks: &[SteadyCheck]) -> Vec<(f64, Option<f64>, f64)> {
    checks
        .iter()
        .map(|c| {
            (
                c.row.cold_fraction,
                Some(c.row.cold_fraction_se),
                c.cold_fraction.0,
            )
        })
        .collect()
}

fn live_points(checks: &[SteadyCheck]) -> Vec<(f64, Option<f64>, f64)> {
    checks
        .iter()
        .filter_map(|c| {
            c.row
                .mean_live
                .map(|m| (m, c.row.mean_live_se, c.mean_live.0))
        })
        .collect()
}

fn pm(x: f64, h: Option<f64>, digits: usize) -> String {
    match h {
        Some(h) => format!("{x:.digits$} ± {h:.digits$}"),
        None => format!("{x:.digits$}"),
    }
}

/// The table for people.
pub fn table(o: &SteadyOptions, base: &Scenario, checks: &[SteadyCheck]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "steady-traffic validation of {} against {}: {} rows, {} replications of {} s per \
         row, seed {} for every row (common random numbers); handler constant at each row's \
         mean",
        o.scenario.display(),
        o.data.display(),
        checks.len(),
        base.replications,
        base.duration.as_secs_f64(),
        base.seed
    );
    let _ = writeln!(
        out,
        "{:>4} {:>9} {:>11} {:>17} {:>17} {:>8} {:>7} {:>13} {:>15}",
        "row",
        "rate/s",
        "handler ms",
        "cold measured",
        "cold simulated",
        "z",
        "≤2 SE",
        "live measured",
        "live simulated"
    );
    for (i, c) in checks.iter().enumerate() {
        let r = &c.row;
        let z = if r.cold_fraction_se > 0.0 {
            format!(
                "{:+.2}",
                (c.cold_fraction.0 - r.cold_fraction) / r.cold_fraction_se
            )
        } else {
            "-".into()
        };
        let within = (c.cold_fraction.0 - r.cold_fraction).abs() <= 2.0 * r.cold_fraction_se;
        let live_measured = r.mean_live.map_or("-".into(), |m| pm(m, r.mean_live_se, 2));
        let _ = writeln!(
            out,
            "{:>4} {:>9} {:>11.1} {:>17} {:>17} {:>8} {:>7} {:>13} {:>15}",
            i + 1,
            format!("{}", r.rate_per_s),
            r.handler_mean_ms,
            pm(r.cold_fraction, Some(r.cold_fraction_se), 4),
            pm(c.cold_fraction.0, c.cold_fraction.1, 4),
            z,
            if within { "yes" } else { "no" },
            live_measured,
            pm(c.mean_live.0, c.mean_live.1, 2),
        );
    }
    summary_line(&mut out, "cold fraction", &agreement(&cold_points(checks)));
    let live = live_points(checks);
    if live.is_empty() {
        let _ = writeln!(
            out,
            "mean live sandboxes: not measured (no mean_live column)"
        );
    } else {
        summary_line(&mut out, "mean live sandboxes", &agreement(&live));
    }
    out
}

fn summary_line(out: &mut String, what: &str, a: &Agreement) {
    let mape = match a.mape_pct {
        Some(m) => format!("MAPE {m:.1}% over {} rows", a.rows - a.zero_rows),
        None => "MAPE undefined (every row measured 0)".into(),
    };
    let zero = if a.zero_rows > 0 {
        format!(" ({} measured 0 left out)", a.zero_rows)
    } else {
        String::new()
    };
    let within = match a.within_2se {
        Some(w) => format!("{w} of {} rows within 2 SE of the measurement", a.with_se),
        None => "no standard errors given".into(),
    };
    let _ = writeln!(out, "{what}: {mape}{zero}; {within}");
}

fn agreement_json(a: &Agreement) -> serde_json::Value {
    json!({
        "rows": a.rows,
        "mape_pct": a.mape_pct,
        "rows_measured_zero": a.zero_rows,
        "within_2se": a.within_2se,
        "rows_with_se": a.with_se,
    })
}

/// The JSON report.
pub fn to_json(o: &SteadyOptions, base: &Scenario, checks: &[SteadyCheck]) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = checks
        .iter()
        .map(|c| {
            let r = &c.row;
            json!({
                "rate_per_s": r.rate_per_s,
                "handler_mean_ms": r.handler_mean_ms,
                "cold_fraction": {"measured": r.cold_fraction, "se": r.cold_fraction_se,
                    "simulated": c.cold_fraction.0, "ci95": c.cold_fraction.1},
                "mean_live": {"measured": r.mean_live, "se": r.mean_live_se,
                    "simulated": c.mean_live.0, "ci95": c.mean_live.1},
            })
        })
        .collect();
    let live = live_points(checks);
    json!({
        "protocol": "steady",
        "scenario": o.scenario.display().to_string(),
        "data": o.data.display().to_string(),
        "replications": base.replications,
        "seed": base.seed,
        "rows": rows,
        "cold_fraction": agreement_json(&agreement(&cold_points(checks))),
        "mean_live": (!live.is_empty()).then(|| agreement_json(&agreement(&live))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact, hand-computed: errors 10% and 30% (the 0 row left out) give a MAPE of 20%; two
    /// of three rows lie within 2 SE.
    #[test]
    fn agreement_counts_mape_and_rows_within_two_se() {
        let a = agreement(&[
            (0.5, Some(0.1), 0.55),
            (0.1, Some(0.01), 0.13),
            (0.0, Some(0.01), 0.0),
        ]);
        assert_eq!(a.rows, 3);
        assert_eq!(a.zero_rows, 1);
        assert!((a.mape_pct.unwrap() - 20.0).abs() < 1e-9);
        assert_eq!(a.within_2se, Some(2));
        let none = agreement(&[(1.0, None, 2.0)]);
        assert_eq!(none.within_2se, None);
        assert!((none.mape_pct.unwrap() - 100.0).abs() < 1e-12);
    }
}
