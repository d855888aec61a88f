//! The fit report of `coldsim calibrate`: a table for people, JSON for tools, and one SVG
//! per group of the empirical distribution against the fitted ones.

use super::error::{CalibrateError, CalibrateResult};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::groups::GroupFit;
use super::spec;
use crate::report::svg::{Chart, Scale, Series, SeriesStyle, ecdf_points, render};

/// Where the data came from, for the report's header.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    /// The data file as the user named it.
    pub source: String,
    /// How it was read (reader and column mapping), in words.
    pub reading: String,
    /// Names of the grouping columns.
    pub group_columns: Vec<String>,
    /// The reader's account (rows, records, warnings).
    pub diagnostics: String,
    /// The training split, in words.
    pub split: String,
}

/// `col=value` pairs of a group key.
pub fn key_label(columns: &[String], key: &[String]) -> String {
    if key.is_empty() {
        return "all".into();
    }
    columns
        .iter()
        .zip(key)
        .map(|(c, v)| format!("{c}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1}%", 100.0 * x)
    } else {
        "n/a".into()
    }
}

fn name(f: &super::groups::RankedFit) -> String {
    f.fit.model.label(f.fit.shifted)
}

/// The report as a table.
pub fn table(p: &Provenance, groups: &[GroupFit]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "calibration of {} ({})", p.source, p.reading);
    let _ = writeln!(s, "read: {}", p.diagnostics);
    let _ = writeln!(s, "training: {}", p.split);
    for g in groups {
        let _ = writeln!(s);
        let _ = writeln!(s, "group {}", key_label(&p.group_columns, &g.key));
        let window = match (g.train_from, g.train_to) {
            (Some(a), Some(b)) => format!(", days {a} .. {b}"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  rows {}: {} held out, {} before the last regime, {} fitted ({} censored){}",
            g.rows,
            g.held_out,
            g.before_regime,
            g.data.total(),
            g.data.censored(),
            window
        );
        for note in &g.cleaning.notes {
            let _ = writeln!(s, "  note: {note}");
        }
        if g.fits.is_empty() {
            let _ = writeln!(s, "  no fit: fewer than 3 usable values");
            continue;
        }
        let _ = writeln!(
            s,
            "  {:<25} {:>10} {:>9} {:>7} {:>8} {:>8} {:>8}  parameters",
            "family", "AIC", "dAIC", "KS", "p50 err", "p90 err", "p99 err"
        );
        for f in &g.fits {
            let params = spec::parameters(&f.fit.model)
                .iter()
                .map(|(k, v)| format!("{k} {v:.4}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                s,
                "  {:<25} {:>10.1} {:>9.1} {:>7.4} {:>8} {:>8} {:>8}  {}{}",
                name(f),
                f.fit.aic,
                f.delta_aic,
                f.goodness.ks,
                pct(f.goodness.p50_rel_err),
                pct(f.goodness.p90_rel_err),
                pct(f.goodness.p99_rel_err),
                params,
                if f.fit.converged {
                    ""
                } else {
                    " (not converged)"
                }
            );
        }
        if let Some(b) = g.best() {
            let _ = writeln!(
                s,
                "  chosen: {} (KS {:.4}; 95% critical {:.4})",
                name(b),
                b.goodness.ks,
                b.goodness.ks_critical_95
            );
        }
    }
    s
}

/// A number for JSON: finite values as they are, others as null.
fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// The report as JSON.
pub fn to_json(p: &Provenance, groups: &[GroupFit]) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| {
            let key: serde_json::Map<String, Value> = p
                .group_columns
                .iter()
                .zip(&g.key)
                .map(|(c, v)| (c.clone(), json!(v)))
                .collect();
            let fits: Vec<Value> = g
                .fits
                .iter()
                .map(|f| {
                    let params: serde_json::Map<String, Value> = spec::parameters(&f.fit.model)
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), num(v)))
                        .collect();
                    let se: serde_json::Map<String, Value> = f
                        .fit
                        .std_errors
                        .iter()
                        .map(|(k, v)| (k.to_string(), num(*v)))
                        .collect();
                    json!({
                        "family": f.fit.model.family.to_string(),
                        "shifted": f.fit.shifted,
                        "components": if f.fit.model.is_mixture() { 2 } else { 1 },
                        "parameters": params,
                        "std_errors": se,
                        "dist": spec::dist_table(&f.fit.model),
                        "log_likelihood": num(f.fit.log_likelihood),
                        "aic": num(f.fit.aic),
                        "delta_aic": num(f.delta_aic),
                        "ks": num(f.goodness.ks),
                        "ks_critical_95": num(f.goodness.ks_critical_95),
                        "p50_rel_err": num(f.goodness.p50_rel_err),
                        "p90_rel_err": num(f.goodness.p90_rel_err),
                        "p99_rel_err": num(f.goodness.p99_rel_err),
                        "converged": f.fit.converged,
                    })
                })
                .collect();
            json!({
                "key": key,
                "rows": g.rows,
                "held_out": g.held_out,
                "before_regime": g.before_regime,
                "train_from": g.train_from.map(|d| d.to_string()),
                "train_to": g.train_to.map(|d| d.to_string()),
                "fitted": g.data.total(),
                "censored": g.data.censored(),
                "dropped_not_finite": g.cleaning.dropped_not_finite,
                "dropped_not_positive": g.cleaning.dropped_not_positive,
                "notes": g.cleaning.notes,
                "fits": fits,
            })
        })
        .collect();
    json!({
        "source": p.source,
        "reading": p.reading,
        "read": p.diagnostics,
        "training": p.split,
        "group_columns": p.group_columns,
        "groups": groups,
    })
}

/// A group key's values only (`3.12 zip arm64`), for chart titles.
pub fn short_label(key: &[String]) -> String {
    if key.is_empty() {
        "all".into()
    } else {
        key.join(" ")
    }
}

/// File-name-safe form of a group label.
pub fn file_stem(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The empirical CDF of a group against its best two fits.
pub fn cdf_chart(g: &GroupFit) -> Chart {
    let values = g.data.values_ms();
    let mut chart = Chart::cdf(
        format!(
            "{}: measured vs fitted (n = {})",
            short_label(&g.key),
            g.data.total()
        ),
        "init duration (ms)",
    );
    chart.x_scale = Scale::Log10;
    chart.add(Series::new(
        "measured (empirical CDF)",
        ecdf_points(values, 400),
        SeriesStyle::Step,
    ));
    if let (Some(&lo), Some(&hi)) = (values.first(), values.last()) {
        for f in g.fits.iter().take(2) {
            let points = (0..=200)
                .map(|i| {
                    let x = lo * (hi / lo).powf(i as f64 / 200.0);
                    (x, f.fit.model.cdf(x))
                })
                .collect();
            chart.add(Series::new(
                format!(
                    "{} (dAIC {:.1}, KS {:.3})",
                    name(f),
                    f.delta_aic,
                    f.goodness.ks
                ),
                points,
                SeriesStyle::Line,
            ));
        }
    }
    chart
}

/// Writes `fit_report.txt`, `fit_report.json` and one `cdf_<group>.svg` per fitted group
/// into `dir` (created if missing).
pub fn write(dir: &Path, p: &Provenance, groups: &[GroupFit]) -> CalibrateResult<()> {
    let write =
        |name: &str, text: &str| crate::output::write_atomic(&dir.join(name), text.as_bytes());
    write("fit_report.txt", &table(p, groups))?;
    write(
        "fit_report.json",
        &(serde_json::to_string_pretty(&to_json(p, groups))? + "\n"),
    )?;
    for g in groups.iter().filter(|g| !g.fits.is_empty()) {
        let svg = render(&cdf_chart(g)).map_err(|e| CalibrateError::Other(e.to_string()))?;
        let stem = file_stem(&key_label(&p.group_columns, &g.key));
        write(&format!("cdf_{stem}.svg"), &svg)?;
    }
    Ok(())
}
