//! `coldsim validate MODEL DATA`: replay the data's measurement protocol in the simulator
//! with a workload model and compare the simulated `Init Duration` distribution with the
//! measured one, group by group (KS distance, percentile errors, an overlay plot).

use super::error::{CalibrateError, CalibrateResult};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::day::Day;
use super::fit_report::{key_label, short_label};
use super::protocol::{ForcedCold, PlatformOverrides, ProtocolFunction, simulate_forced_cold};
use super::read::Observations;
use crate::report::svg::{Chart, Scale, Series, SeriesStyle, ecdf_points};
use crate::stats::histogram::{Histogram, nearest_rank};

/// The percentiles compared.
pub const QUANTILES: [(f64, &str); 3] = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")];

/// One group's comparison.
#[derive(Clone, Debug)]
pub struct GroupCheck {
    /// The group's key.
    pub key: Vec<String>,
    /// The configuration simulated: packaging, arch, memory.
    pub packaging: String,
    /// Architecture simulated.
    pub arch: String,
    /// Memory simulated.
    pub memory_mb: u32,
    /// Held-out measurements, sorted (ms).
    pub measured_ms: Vec<f64>,
    /// Simulated distribution (µs).
    pub simulated: Histogram,
    /// KS distance between the two.
    pub ks: f64,
    /// (name, simulated ms, measured ms) per percentile of [`QUANTILES`].
    pub percentiles: Vec<(&'static str, f64, f64)>,
}

impl GroupCheck {
    /// Simulated / measured − 1 of percentile `name`.
    pub fn rel_err(&self, name: &str) -> f64 {
        self.percentiles
            .iter()
            .find(|p| p.0 == name)
            .map_or(f64::NAN, |p| p.1 / p.2 - 1.0)
    }
}

/// Interpolates the polyline CDF `points` (x ascending) at `x`.
fn cdf_at(points: &[(f64, f64)], x: f64) -> f64 {
    let i = points.partition_point(|p| p.0 <= x);
    if i == 0 {
        return 0.0;
    }
    if i == points.len() {
        return 1.0;
    }
    let (a, b) = (points[i - 1], points[i]);
    if b.0 > a.0 {
        a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0)
    } else {
        b.1
    }
}

/// Two-sample KS distance between measured values (sorted, ms) and a simulated histogram
/// (µs): sup |F_measured − F_simulated|, checked on both sides of every measured jump (the
/// simulated CDF is continuous and monotone, so the supremum is at a jump).
pub fn ks_distance(sorted_ms: &[f64], simulated: &Histogram) -> f64 {
    let points: Vec<(f64, f64)> = simulated
        .cdf_points()
        .into_iter()
        .map(|(x_us, f)| (x_us / 1e3, f))
        .collect();
    let n = sorted_ms.len() as f64;
    let mut d = 0.0f64;
    for (i, &x) in sorted_ms.iter().enumerate() {
        let f = cdf_at(&points, x);
        d = d.max((i as f64 + 1.0) / n - f).max(f - i as f64 / n);
    }
    d
}

/// Compares `model` with the rows of `obs` dated after `held_out_after` (all rows when
/// `None`), simulating each group's configuration under `protocol` on `platform`.
pub fn validate(
    model: &Path,
    obs: &Observations,
    held_out_after: Option<Day>,
    protocol: &ForcedCold,
    platform: &PlatformOverrides,
    seed: u64,
) -> CalibrateResult<Vec<GroupCheck>> {
    let mut measured = held_out(obs, held_out_after);
    let mut checks = Vec::new();
    let mut functions = Vec::new();
    for (g, values) in measured.iter_mut().enumerate() {
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        let (packaging, arch, memory_mb) = configuration(obs, g)?;
        functions.push(ProtocolFunction {
            name: format!("g{g}"),
            packaging: packaging.clone(),
            arch: arch.clone(),
            memory_mb,
            workload: model.to_path_buf(),
        });
        checks.push(GroupCheck {
            key: obs.groups[g].clone(),
            packaging,
            arch,
            memory_mb,
            measured_ms: std::mem::take(values),
            simulated: Histogram::new(),
            ks: f64::NAN,
            percentiles: Vec::new(),
        });
    }
    if functions.is_empty() {
        return Ok(checks);
    }
    let hists = simulate_forced_cold(protocol, &functions, platform, seed)?;
    for (c, h) in checks.iter_mut().zip(hists) {
        c.ks = ks_distance(&c.measured_ms, &h);
        let n = c.measured_ms.len() as u64;
        c.percentiles = QUANTILES
            .iter()
            .map(|&(q, name)| {
                let data = c.measured_ms[nearest_rank(q, n) as usize - 1];
                (name, h.value_at_quantile_us(q) as f64 / 1e3, data)
            })
            .collect();
        c.simulated = h;
    }
    Ok(checks)
}

/// The usable values (finite, positive, ms) of each group of `obs`, dated after
/// `held_out_after` (all when `None`; undated rows only then).
fn held_out(obs: &Observations, held_out_after: Option<Day>) -> Vec<Vec<f64>> {
    let mut measured: Vec<Vec<f64>> = vec![Vec::new(); obs.groups.len()];
    for o in &obs.values {
        let keep = match (held_out_after, o.day) {
            (None, _) => true,
            (Some(until), Some(d)) => d > until,
            (Some(_), None) => false,
        };
        if keep && o.value_ms.is_finite() && o.value_ms > 0.0 {
            measured[o.group as usize].push(o.value_ms);
        }
    }
    measured
}

/// The packaging, arch and memory (MB) of group `g`, from its key columns (defaults zip,
/// x86_64, 128 MB); a value coldsim cannot simulate is a usage error naming the group.
fn configuration(obs: &Observations, g: usize) -> CalibrateResult<(String, String, u32)> {
    let col = |name: &str| obs.group_columns.iter().position(|c| c == name);
    let (pc, ac, mc) = (col("packaging"), col("arch"), col("memory_mb"));
    let key = &obs.groups[g];
    let packaging = pc.map_or("zip", |i| key[i].as_str()).to_string();
    let arch = ac.map_or("x86_64", |i| key[i].as_str()).to_string();
    let memory_mb = match mc {
        Some(i) => key[i].parse::<u32>().map_err(|_| {
            crate::error::InputError::Usage(format!(
                "group column memory_mb: `{}` is not a memory size in MB",
                key[i]
            ))
        })?,
        None => 128,
    };
    if !matches!(packaging.as_str(), "zip" | "zip_layers" | "image") {
        return Err(crate::error::InputError::Usage(format!(
            "group {}: packaging `{packaging}` cannot be simulated (zip, zip_layers, image)",
            key_label(&obs.group_columns, key)
        ))
        .into());
    }
    if !matches!(arch.as_str(), "x86_64" | "arm64") {
        return Err(crate::error::InputError::Usage(format!(
            "group {}: arch `{arch}` is not x86_64 or arm64",
            key_label(&obs.group_columns, key)
        ))
        .into());
    }
    Ok((packaging, arch, memory_mb))
}

/// A table of checks.
pub fn table(columns: &[String], title: &str, checks: &[GroupCheck]) -> String {
    let mut s = format!("{title}\n");
    let _ = writeln!(
        s,
        "  {:<40} {:>7} {:>7}  {:>17} {:>17} {:>17}",
        "group", "n", "KS", "p50 sim/data", "p90 sim/data", "p99 sim/data"
    );
    for c in checks {
        let cell = |name: &str| {
            c.percentiles
                .iter()
                .find(|p| p.0 == name)
                .map_or("n/a".to_string(), |p| {
                    format!("{:.0}/{:.0} {:+.1}%", p.1, p.2, 100.0 * (p.1 / p.2 - 1.0))
                })
        };
        let _ = writeln!(
            s,
            "  {:<40} {:>7} {:>7.4}  {:>17} {:>17} {:>17}",
            key_label(columns, &c.key),
            c.measured_ms.len(),
            c.ks,
            cell("p50"),
            cell("p90"),
            cell("p99")
        );
    }
    s
}

/// Checks as JSON.
pub fn to_json(columns: &[String], checks: &[GroupCheck]) -> Value {
    Value::Array(
        checks
            .iter()
            .map(|c| {
                let pct: serde_json::Map<String, Value> = c
                    .percentiles
                    .iter()
                    .map(|(n, s, d)| {
                        (
                            n.to_string(),
                            json!({"simulated_ms": s, "measured_ms": d, "rel_err": s / d - 1.0}),
                        )
                    })
                    .collect();
                json!({
                    "group": key_label(columns, &c.key),
                    "packaging": c.packaging,
                    "arch": c.arch,
                    "memory_mb": c.memory_mb,
                    "measured": c.measured_ms.len(),
                    "simulated": c.simulated.count(),
                    "ks": c.ks,
                    "percentiles": pct,
                })
            })
            .collect(),
    )
}

/// Writes the overlay plot of each check (simulated under `init_cpu`) into `dir` as
/// `{prefix}{group}.svg`.
pub fn write_overlays(
    dir: &Path,
    columns: &[String],
    checks: &[GroupCheck],
    init_cpu: &str,
    prefix: &str,
) -> CalibrateResult<()> {
    for c in checks {
        let svg = crate::report::svg::render(&overlay_chart(c, init_cpu))
            .map_err(|e| CalibrateError::Other(e.to_string()))?;
        let stem = super::fit_report::file_stem(&key_label(columns, &c.key));
        crate::output::write_atomic(&dir.join(format!("{prefix}{stem}.svg")), svg.as_bytes())?;
    }
    Ok(())
}

/// Overlay of measured and simulated CDFs of one group.
pub fn overlay_chart(c: &GroupCheck, hypothesis: &str) -> Chart {
    let mut chart = Chart::cdf(
        format!(
            "{}: data vs simulation ({hypothesis} init CPU), KS {:.3}",
            short_label(&c.key),
            c.ks
        ),
        "init duration (ms)",
    );
    chart.x_scale = Scale::Log10;
    chart.add(Series::new(
        format!("measured (n = {})", c.measured_ms.len()),
        ecdf_points(&c.measured_ms, 400),
        SeriesStyle::Step,
    ));
    chart.add(Series::new(
        format!("simulated (n = {})", c.simulated.count()),
        c.simulated
            .cdf_points()
            .into_iter()
            .map(|(x, f)| (x / 1e3, f))
            .collect(),
        SeriesStyle::Line,
    ));
    chart
}
