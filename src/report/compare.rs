//! Rendering what-if results (`coldsim compare` and `coldsim sweep`) as a terminal table and
//! as JSON. Numbers are formatted by figure: fractions in percent, `_ms` figures in ms,
//! `cost_usd` in dollars; every value is the mean over replications ± the half-width of its
//! 95% CI, and differences are paired (variant − baseline, replication by replication).

use std::fmt::Write;

use serde_json::{Map, Value};

use super::json::number;

use crate::whatif::objective::Objective;
use crate::whatif::sweep::{Choice, Margin, Sweep};
use crate::whatif::{Comparison, Paired, Row};

pub use crate::outcome::figure_key::{fmt_ci, fmt_diff, fmt_value, label};

/// Marks a paired difference whose 95% CI includes zero: the variants are not
/// distinguishable in that figure at this number of replications.
pub const NOT_DISTINGUISHABLE_MARK: &str = "(n.d.)";

pub use super::table::WIDE_CI_MARK;

/// `mean ± ci` of a row, or `-` when undefined; marked [`WIDE_CI_MARK`] when the half-width
/// exceeds the value.
pub fn cell(r: &Row) -> String {
    match (r.mean, r.ci95) {
        (Some(m), Some(h)) if super::table::ci_wider_than_value(m, h) => format!(
            "{} {} {WIDE_CI_MARK}",
            fmt_value(&r.key, m),
            fmt_ci(&r.key, h)
        ),
        (Some(m), Some(h)) => format!("{} {}", fmt_value(&r.key, m), fmt_ci(&r.key, h)),
        (Some(m), None) => fmt_value(&r.key, m),
        _ => "-".into(),
    }
}

/// Whether a paired difference's 95% CI includes zero while the variants differ in some
/// replication (a difference of exactly zero in every replication is no difference).
pub fn not_distinguishable(d: &Paired) -> bool {
    d.ci95.is_some_and(|h| h > 0.0 && d.mean.abs() <= h)
}

/// A paired difference as `+412.0 ms ±35.0 ms`, marked [`NOT_DISTINGUISHABLE_MARK`] when
/// its interval includes zero.
fn diff_cell(key: &str, d: Option<Paired>) -> String {
    match d {
        Some(
            p @ Paired {
                mean,
                ci95: Some(h),
                ..
            },
        ) => {
            let mark = if not_distinguishable(&p) {
                format!(" {NOT_DISTINGUISHABLE_MARK}")
            } else {
                String::new()
            };
            format!("{} {}{mark}", fmt_diff(key, mean), fmt_ci(key, h))
        }
        Some(p) => fmt_diff(key, p.mean),
        None => "-".into(),
    }
}

/// The replications that would separate a difference that is not distinguishable, from the
/// observed spread ([`crate::stats::ci::replications_to_separate`]).
pub fn replications_needed(d: &Paired) -> Option<u32> {
    if !not_distinguishable(d) {
        return None;
    }
    crate::stats::ci::replications_to_separate(d.mean, d.ci95?, u32::try_from(d.pairs).ok()?)
}

/// Below a comparison table: what the marks mean, and for each variant the replications
/// that would separate its differences that are not distinguishable.
fn comparison_notes(c: &Comparison) -> String {
    let mut out = String::new();
    let base = &c.variants[c.baseline].name;
    let mut any_nd = false;
    for (i, v) in c.variants.iter().enumerate() {
        if i == c.baseline {
            continue;
        }
        let mut needs = Vec::new();
        for r in &v.rows {
            let Some(d) = r.diff.filter(not_distinguishable) else {
                continue;
            };
            any_nd = true;
            needs.push(match replications_needed(&d) {
                Some(n) => format!("{} ~{n}", label(&r.key)),
                None => format!(
                    "{} >{}",
                    label(&r.key),
                    crate::stats::ci::MAX_SUGGESTED_REPLICATIONS
                ),
            });
        }
        if !needs.is_empty() {
            let _ = writeln!(
                out,
                "{} − {base}: replications that would separate it, if the difference is real \
                 (from the observed spread, n ≈ n0·(h/d)²): {}",
                v.name,
                needs.join(", ")
            );
        }
    }
    let wide = c.variants.iter().flat_map(|v| &v.rows).any(|r| {
        matches!((r.mean, r.ci95), (Some(m), Some(h)) if super::table::ci_wider_than_value(m, h))
    });
    let mut legend = String::new();
    if any_nd {
        let _ = writeln!(
            legend,
            "{NOT_DISTINGUISHABLE_MARK} not distinguishable: the paired difference's 95% CI \
             includes zero"
        );
    }
    if wide {
        let _ = writeln!(
            legend,
            "{WIDE_CI_MARK} the 95% CI half-width exceeds the value"
        );
    }
    if legend.is_empty() {
        String::new()
    } else {
        format!("\n{legend}{out}")
    }
}

fn pad_table(out: &mut String, rows: &[Vec<String>]) {
    out.push_str(&super::grid::render(rows, ""));
}

/// The header and rows of a comparison table: a column per variant, and for each variant
/// but the baseline a column of paired differences.
pub fn comparison_rows(c: &Comparison) -> Vec<Vec<String>> {
    let base = &c.variants[c.baseline].name;
    let mut header = vec!["figure".to_string()];
    for (i, v) in c.variants.iter().enumerate() {
        header.push(if i == c.baseline {
            format!("{} (baseline)", v.name)
        } else {
            v.name.clone()
        });
        if i != c.baseline {
            header.push(format!("{} − {base}", v.name));
        }
    }
    let mut out = vec![header];
    for (k, r0) in c.variants[0].rows.iter().enumerate() {
        let mut row = vec![label(&r0.key)];
        for (i, v) in c.variants.iter().enumerate() {
            let r = &v.rows[k];
            row.push(cell(r));
            if i != c.baseline {
                row.push(diff_cell(&r.key, r.diff));
            }
        }
        out.push(row);
    }
    out
}

/// The terminal table of a comparison.
pub fn render_comparison_table(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "compare {}: {} replications per variant, seed {}, same seeds for every variant \
         (common random numbers); {}",
        c.scenario,
        c.replications,
        c.seed,
        c.function
            .as_deref()
            .map_or("all functions".to_string(), |f| format!("function {f}"))
    );
    let _ = writeln!(
        out,
        "mean ± 95% CI half-width; differences are paired (variant − {}, per replication)\n",
        c.variants[c.baseline].name
    );
    pad_table(&mut out, &comparison_rows(c));
    out.push_str(&comparison_notes(c));
    out
}

fn opt(x: Option<f64>) -> Value {
    x.map_or(Value::Null, number)
}

fn rows_value(rows: &[Row]) -> Value {
    let mut m = Map::new();
    for r in rows {
        let mut o = Map::new();
        o.insert("mean".into(), opt(r.mean));
        o.insert("ci95".into(), opt(r.ci95));
        if let Some(d) = r.diff {
            let mut dm = Map::new();
            dm.insert("mean".into(), number(d.mean));
            dm.insert("ci95".into(), opt(d.ci95));
            dm.insert("pairs".into(), Value::from(d.pairs));
            if not_distinguishable(&d) {
                dm.insert("distinguishable".into(), Value::from(false));
                dm.insert(
                    "replications_to_separate".into(),
                    replications_needed(&d).map_or(Value::Null, Value::from),
                );
            }
            o.insert("diff".into(), Value::Object(dm));
        }
        m.insert(r.key.clone(), Value::Object(o));
    }
    Value::Object(m)
}

fn set_value(set: &[(String, toml::Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in set {
        let j = serde_json::to_value(v).unwrap_or(Value::Null);
        m.insert(k.clone(), j);
    }
    Value::Object(m)
}

/// The comparison as JSON: settings, and per variant its overrides, the compared figures
/// (`mean`, `ci95`, and `diff` = paired difference to the baseline with `mean`, `ci95`,
/// `pairs`) and the full scenario output object (`summary`, the JSON contract).
pub fn comparison_json(c: &Comparison) -> Value {
    let mut root = Map::new();
    root.insert("scenario".into(), Value::from(c.scenario.clone()));
    root.insert(
        "function".into(),
        Value::from(c.function.clone().unwrap_or_else(|| "total".into())),
    );
    root.insert("replications".into(), Value::from(c.replications));
    root.insert("seed".into(), Value::from(c.seed));
    root.insert(
        "baseline".into(),
        Value::from(c.variants[c.baseline].name.clone()),
    );
    let variants = c
        .variants
        .iter()
        .map(|v| {
            let mut o = Map::new();
            o.insert("name".into(), Value::from(v.name.clone()));
            o.insert("set".into(), set_value(&v.overrides));
            o.insert("figures".into(), rows_value(&v.rows));
            o.insert("summary".into(), super::json::to_value(&v.run.summary));
            Value::Object(o)
        })
        .collect();
    root.insert("variants".into(), Value::Array(variants));
    Value::Object(root)
}

/// Pretty JSON text with a trailing newline.
pub fn pretty(v: &Value) -> String {
    let mut t = serde_json::to_string_pretty(v).unwrap_or_default();
    t.push('\n');
    t
}

/// One line per grid point: its name then the figures.
pub fn sweep_rows(s: &Sweep) -> Vec<Vec<String>> {
    let mut header = vec!["point".to_string()];
    if let Some(p) = s.points.first() {
        header.extend(p.rows.iter().map(|r| label(&r.key)));
    }
    let chosen = match &s.choice {
        Some(Choice::Best { point, .. }) => Some(*point),
        _ => None,
    };
    let mut out = vec![header];
    for (i, p) in s.points.iter().enumerate() {
        let mark = if chosen == Some(i) { " *" } else { "" };
        let mut row = vec![format!("{}{mark}", p.name)];
        row.extend(p.rows.iter().map(cell));
        out.push(row);
    }
    out
}

/// What the objective found, in sentences written from the numbers.
pub fn choice_text(s: &Sweep) -> String {
    let (Some(o), Some(choice)) = (&s.objective, &s.choice) else {
        return String::new();
    };
    let mut out = String::new();
    match choice {
        Choice::Best {
            point,
            margins,
            runner_up,
            feasible,
        } => {
            let p = &s.points[*point];
            let v = p.mean(&o.key).unwrap_or(f64::NAN);
            let _ = write!(
                out,
                "Best point for \"{}\": {} with {} = {}",
                o.text,
                p.name,
                label(&o.key),
                fmt_value(&o.key, v)
            );
            if let Some(h) = p.ci95(&o.key) {
                let _ = write!(out, " ({})", fmt_ci(&o.key, h));
            }
            let _ = write!(
                out,
                "; {feasible} of {} points are feasible.",
                s.points.len()
            );
            margins_text(&mut out, o, margins);
            runner_up_text(&mut out, s, o, v, runner_up.as_ref());
        }
        Choice::Infeasible {
            fail_everywhere,
            closest,
        } => infeasible_text(&mut out, s, o, fail_everywhere, closest),
        Choice::Undefined => {
            let _ = write!(
                out,
                "The feasible points have no value of {} (e.g. no cold starts).",
                o.key
            );
        }
    }
    out
}

/// How far the best point is from each constraint's limit.
fn margins_text(out: &mut String, o: &Objective, margins: &[Margin]) {
    for m in margins {
        let c = &o.constraints[m.constraint];
        let _ = write!(
            out,
            " Constraint {}: {} = {}{}, {} from the limit",
            c.text,
            label(&c.key),
            fmt_value(&c.key, m.value),
            m.ci95
                .map(|h| format!(" {}", fmt_ci(&c.key, h)))
                .unwrap_or_default(),
            fmt_value(&c.key, m.slack.abs()),
        );
        if let Some(h) = m.ci95
            && h >= m.slack
        {
            let _ = write!(out, " (within the 95% CI: it may bind)");
        }
        out.push('.');
    }
}

/// The runner-up and the best point's lead over it (`v` is the best point's value).
fn runner_up_text(
    out: &mut String,
    s: &Sweep,
    o: &Objective,
    v: f64,
    runner_up: Option<&(usize, Option<Paired>)>,
) {
    match runner_up {
        Some((j, d)) => {
            let q = &s.points[*j];
            let qv = q.mean(&o.key).unwrap_or(f64::NAN);
            let _ = write!(
                out,
                " Runner-up: {} with {}; the best is {} better",
                q.name,
                fmt_value(&o.key, qv),
                fmt_value(&o.key, (v - qv).abs()),
            );
            if qv != 0.0 {
                let _ = write!(out, " ({:.1}%)", ((v - qv) / qv).abs() * 100.0);
            }
            if let Some(Paired {
                mean,
                ci95: Some(h),
                ..
            }) = d
            {
                let _ = write!(
                    out,
                    "; paired difference {} {}{}",
                    fmt_diff(&o.key, *mean),
                    fmt_ci(&o.key, *h),
                    if mean.abs() <= *h {
                        ", not significant at 95%"
                    } else {
                        ""
                    }
                );
            }
            out.push('.');
        }
        None => out.push_str(" No other point is feasible."),
    }
}

/// Why no point is feasible: the constraints that fail everywhere, with the closest point.
fn infeasible_text(
    out: &mut String,
    s: &Sweep,
    o: &Objective,
    fail_everywhere: &[usize],
    closest: &[Option<(usize, f64)>],
) {
    let _ = write!(out, "No point satisfies \"{}\".", o.text);
    for &k in fail_everywhere {
        let c = &o.constraints[k];
        let _ = write!(out, " Constraint {} fails at every point", c.text);
        if let Some(Some((i, slack))) = closest.get(k) {
            let v = s.points[*i].mean(&c.key).unwrap_or(f64::NAN);
            let _ = write!(
                out,
                "; closest: {} with {} = {}, {} beyond the limit",
                s.points[*i].name,
                label(&c.key),
                fmt_value(&c.key, v),
                fmt_value(&c.key, slack.abs())
            );
        }
        out.push('.');
    }
    if fail_everywhere.is_empty() {
        out.push_str(" Each constraint holds at some point, but never all of them together.");
    }
}

/// The terminal table of a sweep, then the objective's outcome.
pub fn render_sweep_table(s: &Sweep) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sweep {}: {} points, {} replications each, seed {} (common random numbers); {}",
        s.scenario,
        s.points.len(),
        s.replications,
        s.seed,
        s.function
            .as_deref()
            .map_or("all functions".to_string(), |f| format!("function {f}"))
    );
    let _ = writeln!(out, "mean ± 95% CI half-width\n");
    pad_table(&mut out, &sweep_rows(s));
    if out.contains(WIDE_CI_MARK) {
        let _ = writeln!(
            out,
            "\n{WIDE_CI_MARK} the 95% CI half-width exceeds the value"
        );
    }
    let text = choice_text(s);
    if !text.is_empty() {
        let _ = writeln!(out, "\n{text}");
    }
    let power = power_tuning_rows(s);
    if !power.is_empty() {
        let _ = writeln!(out, "\n{POWER_TUNING_TITLE}");
        out.push_str(&super::grid::render_aligned(&power, "", 2));
    }
    out
}

/// The heading of the Power Tuning view of a sweep.
pub const POWER_TUNING_TITLE: &str = "As AWS Lambda Power Tuning answers (cost: lowest cost per \
     request; speed: lowest mean latency; balanced: lowest 0.5·cost/max + 0.5·time/max), with \
     what it cannot measure: the cold-start share and the p99 under this traffic";

/// The Power Tuning view of a sweep ([`crate::whatif::power`]): per strategy, the best
/// point and its cost per million requests, mean and p99 latency and cold-start share.
/// Empty when the sweep has fewer than two points or a figure is missing.
pub fn power_tuning_rows(s: &Sweep) -> Vec<Vec<String>> {
    let Some((picks, figs)) = crate::whatif::power::answer(s) else {
        return Vec::new();
    };
    let mut rows = vec![
        [
            "strategy",
            "best point",
            "cost per million requests",
            "latency mean",
            "latency p99",
            "cold starts",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (st, i) in picks {
        let f = &figs[i];
        rows.push(vec![
            st.name().to_string(),
            s.points[i].name.clone(),
            fmt_value("cost_usd", f.cost_per_million_usd),
            fmt_value("latency_ms.mean", f.latency_mean_ms),
            fmt_value("latency_ms.p99", f.latency_p99_ms),
            fmt_value("cold_fraction", f.cold_fraction),
        ]);
    }
    rows
}

/// The Power Tuning answer as JSON: `{cost, speed, balanced}`, each the best point's name.
fn power_tuning_json(s: &Sweep) -> Option<Value> {
    let (picks, _) = crate::whatif::power::answer(s)?;
    let mut m = Map::new();
    for (st, i) in picks {
        m.insert(st.name().into(), Value::from(s.points[i].name.clone()));
    }
    Some(Value::Object(m))
}

/// The sweep as JSON: settings, axes, per point its overrides, figures and full output,
/// and the objective's outcome.
pub fn sweep_json(s: &Sweep) -> Value {
    let mut root = Map::new();
    root.insert("scenario".into(), Value::from(s.scenario.clone()));
    root.insert(
        "function".into(),
        Value::from(s.function.clone().unwrap_or_else(|| "total".into())),
    );
    root.insert("replications".into(), Value::from(s.replications));
    root.insert("seed".into(), Value::from(s.seed));
    root.insert("axes".into(), axes_json(s));
    root.insert("points".into(), points_json(s));
    if let Some(o) = &s.objective {
        root.insert("objective".into(), objective_json(s, o));
    }
    if let Some(p) = power_tuning_json(s) {
        root.insert("power_tuning".into(), p);
    }
    Value::Object(root)
}

/// Each axis of a sweep: its key and its values.
fn axes_json(s: &Sweep) -> Value {
    let axes = s
        .axes
        .iter()
        .map(|a| {
            let values = a
                .values
                .iter()
                .map(|(_, v)| serde_json::to_value(v).unwrap_or(Value::Null))
                .collect();
            let mut o = Map::new();
            o.insert("key".into(), Value::from(a.key.clone()));
            o.insert("values".into(), Value::Array(values));
            Value::Object(o)
        })
        .collect();
    Value::Array(axes)
}

/// Each grid point: its name, overrides, figures and full output.
fn points_json(s: &Sweep) -> Value {
    let points = s
        .points
        .iter()
        .map(|p| {
            let mut o = Map::new();
            o.insert("name".into(), Value::from(p.name.clone()));
            o.insert("set".into(), set_value(&p.overrides));
            o.insert("figures".into(), rows_value(&p.rows));
            o.insert("summary".into(), super::json::to_value(&p.run.summary));
            Value::Object(o)
        })
        .collect();
    Value::Array(points)
}

/// The objective and its outcome: the best point, runner-up and margins, or the
/// constraints that fail everywhere, and the message.
fn objective_json(s: &Sweep, o: &Objective) -> Value {
    let mut m = Map::new();
    m.insert("text".into(), Value::from(o.text.clone()));
    m.insert("figure".into(), Value::from(o.key.clone()));
    match &s.choice {
        Some(Choice::Best {
            point,
            runner_up,
            margins,
            feasible,
        }) => {
            m.insert("best".into(), Value::from(s.points[*point].name.clone()));
            m.insert("feasible".into(), Value::from(*feasible));
            m.insert(
                "runner_up".into(),
                runner_up.map_or(Value::Null, |(j, _)| Value::from(s.points[j].name.clone())),
            );
            m.insert("margins".into(), margins_json(o, margins));
        }
        Some(Choice::Infeasible {
            fail_everywhere, ..
        }) => {
            m.insert("best".into(), Value::Null);
            let failing = fail_everywhere
                .iter()
                .map(|&k| Value::from(o.constraints[k].text.clone()))
                .collect();
            m.insert("fail_everywhere".into(), Value::Array(failing));
        }
        _ => {
            m.insert("best".into(), Value::Null);
        }
    }
    m.insert("message".into(), Value::from(choice_text(s)));
    Value::Object(m)
}

/// The chosen point's margin to each constraint: the constraint, its value and its slack.
fn margins_json(o: &Objective, margins: &[Margin]) -> Value {
    let margins = margins
        .iter()
        .map(|g| {
            let mut x = Map::new();
            x.insert(
                "constraint".into(),
                Value::from(o.constraints[g.constraint].text.clone()),
            );
            x.insert("value".into(), number(g.value));
            x.insert("slack".into(), number(g.slack));
            Value::Object(x)
        })
        .collect();
    Value::Array(margins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_units() {
        assert_eq!(fmt_value("cold_fraction", 0.1234), "12.3%");
        assert_eq!(fmt_value("latency_ms.p99", 412.345), "412.3 ms");
        assert_eq!(fmt_value("latency_ms.p99", 0.012345), "0.0123 ms");
        assert_eq!(fmt_value("cost_usd", 0.012345), "$0.0123");
        assert_eq!(fmt_value("cost_usd", 1.5), "$1.50");
        assert_eq!(fmt_diff("latency_ms.p99", -3.0), "-3 ms");
        assert_eq!(fmt_diff("cold_fraction", 0.05), "+5 pp");
        assert_eq!(fmt_ci("latency_ms.p99", 35.0), "±35 ms");
        assert_eq!(label("init_duration_ms.p99"), "init p99");
        assert_eq!(label("cold_latency_ms.p50"), "cold latency p50");
        assert_eq!(label("cost.per_month_usd"), "cost per month");
        assert_eq!(fmt_value("cost.per_month_usd", 1234.5678), "$1234.6");
        assert_eq!(fmt_value("cost.pings_usd", 0.000_123_4), "$0.000123");
        assert_eq!(fmt_diff("cost.per_month_usd", -2.5), "-$2.50");
        assert_eq!(fmt_ci("cost.init_usd", 0.5), "±$0.500");
    }
}
