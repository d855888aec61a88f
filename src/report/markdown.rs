//! `--report DIR` of `coldsim compare` and `coldsim sweep`: `report.md` (the table and a
//! paragraph of findings written from the numbers, to paste into a design review), the SVG
//! plots of [`super::plots`] and the JSON of [`super::compare`].

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::output::{OutputError, ReportDir, write_atomic};

use super::compare::{
    choice_text, comparison_json, comparison_rows, fmt_ci, fmt_diff, fmt_value, label, pretty,
    sweep_json, sweep_rows,
};
use super::plots;
use crate::engine::SimDuration;
use crate::outcome::figure_key as K;
use crate::outcome::run::DetailedRun;
use crate::stats::Histogram;
use crate::whatif::sweep::{Choice, Sweep};
use crate::whatif::{Comparison, Paired};

/// Figures the findings paragraph talks about, in order.
pub const FINDING_KEYS: [&str; 5] = [
    K::COLD_FRACTION.name(),
    K::COLD_LATENCY_MS.p99.name(),
    K::INIT_DURATION_MS.p99.name(),
    K::LATENCY_MS.p99.name(),
    K::COST_USD.name(),
];

/// Name of the cold-start latency CDF plot.
pub const CDF_SVG: &str = "cold_latency_cdf.svg";
/// Name of the cold starts over time plot.
pub const TIMELINE_SVG: &str = "cold_starts_over_time.svg";
/// File name of the live-sandboxes-over-time plot.
pub const LIVE_SVG: &str = "live_sandboxes_over_time.svg";
/// File name of the mean-live-sandboxes-over-time plot.
pub const MEAN_LIVE_SVG: &str = "mean_live_sandboxes_over_time.svg";
/// Name of the cost vs p99 plot of a sweep.
pub const COST_SVG: &str = "cost_vs_p99.svg";
/// The Power Tuning chart of a sweep along one numeric axis: cost and time per value.
pub const POWER_SVG: &str = "cost_and_time.svg";
/// Most series (legend entries) of the cost vs p99 plot: beyond it, consecutive values of
/// the first axis share a series, so the chart keeps its size however large the grid (one
/// series per value made a 1,000-value axis need a canvas over the 20,000 px limit).
pub const MAX_COST_SERIES: usize = 12;

/// A table as Markdown (first row the header).
fn markdown_table(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(out, "| {} |", r.join(" | "));
        if i == 0 {
            let seps: Vec<&str> = (0..r.len())
                .map(|c| if c == 0 { "---" } else { "---:" })
                .collect();
            let _ = writeln!(out, "| {} |", seps.join(" | "));
        }
    }
    out
}

/// One sentence about figure `key` of variant `v` against baseline `b`.
fn finding(key: &str, v: &str, b: &str, vm: f64, bm: f64, d: Paired) -> String {
    let what = label(key);
    let Some(h) = d.ci95 else {
        return format!(
            "{v} vs {b}, {what}: {} vs {} (paired difference {}; one replication, no CI).",
            fmt_value(key, vm),
            fmt_value(key, bm),
            fmt_diff(key, d.mean)
        );
    };
    if d.mean == 0.0 && h == 0.0 {
        return format!(
            "{v} and {b} have the same {what} in every replication ({}).",
            fmt_value(key, vm)
        );
    }
    if d.mean.abs() <= h {
        let more = super::compare::replications_needed(&d).map_or(String::new(), |n| {
            format!("; about {n} replications would separate them if the difference is real")
        });
        return format!(
            "{v} and {b} are not distinguishable in {what}: {} vs {} (paired difference {}, 95% \
             CI {} includes zero{more}).",
            fmt_value(key, vm),
            fmt_value(key, bm),
            fmt_diff(key, d.mean),
            fmt_ci(key, h)
        );
    }
    let ratio = if bm > 0.0 && vm > 0.0 {
        let r = vm / bm;
        if r >= 1.1 {
            format!("{r:.2}x the {what} of {b}")
        } else if r >= 1.0 {
            format!("a {:.1}% higher {what} than {b}", (r - 1.0) * 100.0)
        } else {
            format!(
                "a {:.1}% lower {what} than {b} ({r:.2}x)",
                (1.0 - r) * 100.0
            )
        }
    } else {
        format!(
            "{} {what} than {b}",
            if d.mean > 0.0 { "a higher" } else { "a lower" }
        )
    };
    format!(
        "{v} has {ratio}: {} vs {} (paired difference {}, 95% CI {}).",
        fmt_value(key, vm),
        fmt_value(key, bm),
        fmt_diff(key, d.mean),
        fmt_ci(key, h)
    )
}

/// The findings paragraph of a comparison: for every variant but the baseline, one sentence
/// per figure of [`FINDING_KEYS`], all written from the means and paired differences.
fn comparison_findings(c: &Comparison) -> String {
    let b = &c.variants[c.baseline];
    let mut paragraphs = Vec::new();
    for (i, v) in c.variants.iter().enumerate() {
        if i == c.baseline {
            continue;
        }
        let mut sentences = Vec::new();
        for key in FINDING_KEYS {
            let (Some(vr), Some(br)) = (
                v.rows.iter().find(|r| r.key == key),
                b.rows.iter().find(|r| r.key == key),
            ) else {
                continue;
            };
            if let (Some(vm), Some(bm), Some(d)) = (vr.mean, br.mean, vr.diff) {
                sentences.push(finding(key, &v.name, &b.name, vm, bm, d));
            }
        }
        paragraphs.push(sentences.join(" "));
    }
    paragraphs.join("\n\n")
}

/// Writes `text` as `dir/name` and records the name.
fn write(
    dir: &Path,
    name: &str,
    text: &str,
    written: &mut Vec<PathBuf>,
) -> Result<(), OutputError> {
    write_atomic(&dir.join(name), text.as_bytes())?;
    written.push(PathBuf::from(name));
    Ok(())
}

fn plot(
    dir: &Path,
    name: &str,
    svg: Result<String, super::svg::ChartError>,
    written: &mut Vec<PathBuf>,
) -> Result<(), OutputError> {
    let svg = svg.map_err(|e| OutputError::draw(&dir.join(name), e))?;
    write(dir, name, &svg, written)
}

/// Writes a report folder as a whole: `fill` writes the files into a staging folder beside
/// `dir`, which then replaces `dir` (see [`ReportDir`]); returns the files under `dir`.
fn write_report_folder(
    dir: &Path,
    fill: impl FnOnce(&Path, &mut Vec<PathBuf>) -> Result<(), OutputError>,
) -> Result<Vec<PathBuf>, OutputError> {
    let stage = ReportDir::begin(dir)?;
    let mut written = Vec::new();
    fill(stage.path(), &mut written).map_err(|e| e.relocate(stage.path(), dir))?;
    stage.commit()?;
    Ok(written.into_iter().map(|name| dir.join(name)).collect())
}

/// Writes the report of a comparison into `dir` (created if needed, replaced as a whole if
/// it exists); returns the files.
pub fn write_comparison_report(dir: &Path, c: &Comparison) -> Result<Vec<PathBuf>, OutputError> {
    write_report_folder(dir, |dir, written| comparison_files(dir, c, written))
}

/// `all functions`, or `function NAME` when the report is about one function.
fn scope_text(function: Option<&str>) -> String {
    function.map_or("all functions".to_string(), |f| format!("function {f}"))
}

/// Index of the named function in a run's summary (None: the total over all functions).
fn summary_index(run: &DetailedRun, function: Option<&String>) -> Option<usize> {
    function.and_then(|f| run.summary.functions.iter().position(|(n, _)| n == f))
}

/// The cold-start latency histogram of function `fi` of a run, or of all its functions.
fn cold_latency_of(run: &DetailedRun, fi: Option<usize>) -> &Histogram {
    match fi {
        Some(i) => &run.cold_latency[i],
        None => &run.cold_latency_total,
    }
}

/// Per variant: its name, timeline bin, cold starts per bin, peak live sandboxes per bin and
/// time-average live sandboxes per bin.
type OverTime = (String, SimDuration, Vec<f64>, Vec<f64>, Vec<f64>);

fn comparison_files(
    dir: &Path,
    c: &Comparison,
    written: &mut Vec<PathBuf>,
) -> Result<(), OutputError> {
    let fi = summary_index(&c.variants[0].run, c.function.as_ref());
    let scope = scope_text(c.function.as_deref());
    let hists: Vec<(String, &Histogram)> = c
        .variants
        .iter()
        .map(|v| (v.name.clone(), cold_latency_of(&v.run, fi)))
        .collect();
    let title = format!("{}: cold-start latency per variant ({scope})", c.scenario);
    plot(
        dir,
        CDF_SVG,
        plots::cold_latency_cdf(&title, &hists),
        written,
    )?;
    let timelines = comparison_timelines(c, fi);
    if let Some(timelines) = &timelines {
        over_time_plots(dir, c, &scope, timelines, written)?;
    }
    write(dir, "compare.json", &pretty(&comparison_json(c)), written)?;
    let md = comparison_markdown(c, &scope, timelines.is_some());
    write(dir, "report.md", &md, written)
}

/// Every variant's timeline, or None if one of them has none (or there are no variants).
fn comparison_timelines(c: &Comparison, fi: Option<usize>) -> Option<Vec<OverTime>> {
    let timelines: Vec<OverTime> = c
        .variants
        .iter()
        .filter_map(|v| {
            let bin = v.run.timeline_bin()?;
            let counts = v.run.cold_starts_per_bin(fi)?;
            let peaks = v.run.peak_live_per_bin(fi)?;
            let means = v.run.mean_live_per_bin(fi)?;
            Some((v.name.clone(), bin, counts, peaks, means))
        })
        .collect();
    (timelines.len() == c.variants.len() && !timelines.is_empty()).then_some(timelines)
}

/// The cold starts over time and live sandboxes over time plots of a comparison.
fn over_time_plots(
    dir: &Path,
    c: &Comparison,
    scope: &str,
    timelines: &[OverTime],
    written: &mut Vec<PathBuf>,
) -> Result<(), OutputError> {
    type Pick = fn(&OverTime) -> &[f64];
    let charts: [(&str, &str, &str, Pick); 3] = [
        (TIMELINE_SVG, "cold starts", "cold starts", |t| &t.2),
        (LIVE_SVG, "live sandboxes", "peak live sandboxes", |t| &t.3),
        (
            MEAN_LIVE_SVG,
            "mean live sandboxes",
            "mean live sandboxes",
            |t| &t.4,
        ),
    ];
    for (name, what, y_label, pick) in charts {
        let series: Vec<_> = timelines
            .iter()
            .map(|t| (t.0.clone(), t.1, pick(t)))
            .collect();
        let title = format!("{}: {what} over time per variant ({scope})", c.scenario);
        plot(
            dir,
            name,
            plots::over_time(&title, y_label, &series),
            written,
        )?;
    }
    Ok(())
}

/// `report.md` of a comparison: setup, variants, table, findings and plots.
fn comparison_markdown(c: &Comparison, scope: &str, has_timeline: bool) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# What-if comparison: {}\n", c.scenario);
    let _ = writeln!(
        md,
        "{} replications per variant, seed {}, the same seeds for every variant (common random \
         numbers), {scope}. Values are means ± 95% CI half-widths over replications; \
         differences are paired (variant − {}, replication by replication).\n",
        c.replications, c.seed, c.variants[c.baseline].name
    );
    for v in &c.variants {
        if !v.overrides.is_empty() {
            let sets: Vec<String> = v
                .overrides
                .iter()
                .map(|(k, x)| format!("`{k} = {x}`"))
                .collect();
            let _ = writeln!(md, "- **{}**: {}", v.name, sets.join(", "));
        } else {
            let _ = writeln!(md, "- **{}**: the scenario as written", v.name);
        }
    }
    let _ = writeln!(md, "\n{}", markdown_table(&comparison_rows(c)));
    let _ = writeln!(md, "## Findings\n\n{}\n", comparison_findings(c));
    let _ = writeln!(md, "## Plots\n\n![cold-start latency CDF]({CDF_SVG})\n");
    if has_timeline {
        let _ = writeln!(md, "![cold starts over time]({TIMELINE_SVG})\n");
        let _ = writeln!(md, "![live sandboxes over time]({LIVE_SVG})\n");
        let _ = writeln!(md, "![mean live sandboxes over time]({MEAN_LIVE_SVG})\n");
    }
    let _ = writeln!(md, "Data: [compare.json](compare.json)");
    md
}

/// Writes the report of a sweep into `dir` (created if needed, replaced as a whole if it
/// exists); returns the files. The cost vs p99 plot (cost per month) groups points by the
/// first axis's value (one series each, consecutive values merged into ranges beyond
/// [`MAX_COST_SERIES`]) and marks the chosen point.
pub fn write_sweep_report(dir: &Path, s: &Sweep) -> Result<Vec<PathBuf>, OutputError> {
    write_report_folder(dir, |dir, written| sweep_files(dir, s, written))
}

fn sweep_files(dir: &Path, s: &Sweep, written: &mut Vec<PathBuf>) -> Result<(), OutputError> {
    let scope = scope_text(s.function.as_deref());
    sweep_cost_plot(dir, s, &scope, written)?;
    if let Some(svg) = power_plot(s, &scope) {
        plot(dir, POWER_SVG, svg, written)?;
    }
    let with_cdf = s.points.len() <= 8;
    if with_cdf {
        let fi = summary_index(&s.points[0].run, s.function.as_ref());
        let hists: Vec<(String, &Histogram)> = s
            .points
            .iter()
            .map(|p| (p.name.clone(), cold_latency_of(&p.run, fi)))
            .collect();
        let title = format!(
            "{}: cold-start latency per grid point ({scope})",
            s.scenario
        );
        plot(
            dir,
            CDF_SVG,
            plots::cold_latency_cdf(&title, &hists),
            written,
        )?;
    }
    write(dir, "sweep.json", &pretty(&sweep_json(s)), written)?;
    write(
        dir,
        "report.md",
        &sweep_markdown(s, &scope, with_cdf),
        written,
    )
}

/// The cost of grid point `i` against its p99 latency: (p99 ms, cost), the cost per 30-day
/// month (comparable across run lengths) when `monthly`, else the bill of the simulated run.
fn cost_point(s: &Sweep, i: usize, monthly: bool) -> Option<(f64, f64)> {
    let cost = if monthly {
        monthly_cost(s, i)
    } else {
        s.points[i].mean(K::COST_USD.name())
    };
    Some((s.points[i].mean(K::LATENCY_MS.p99.name())?, cost?))
}

/// Cost per 30-day month of grid point `i`, for the sweep's function or the total.
fn monthly_cost(s: &Sweep, i: usize) -> Option<f64> {
    let scope_name = s.function.as_deref().unwrap_or("total");
    s.points[i]
        .run
        .summary
        .get(scope_name, K::COST_PER_MONTH_USD.name())
}

/// The cost vs p99 plot: one series per value of the first axis (consecutive values merged
/// beyond [`MAX_COST_SERIES`]), the chosen point marked.
fn sweep_cost_plot(
    dir: &Path,
    s: &Sweep,
    scope: &str,
    written: &mut Vec<PathBuf>,
) -> Result<(), OutputError> {
    let monthly = (0..s.points.len()).all(|i| monthly_cost(s, i).is_some());
    let cost_label = if monthly {
        "cost (USD per month)"
    } else {
        "cost (USD per simulated run)"
    };
    let groups = cost_series(s, monthly);
    let chosen = match &s.choice {
        Some(Choice::Best { point, .. }) => {
            cost_point(s, *point, monthly).map(|p| (s.points[*point].name.clone(), p))
        }
        _ => None,
    };
    let title = format!(
        "{}: cost vs p99 latency per grid point ({scope})",
        s.scenario
    );
    let limits: Vec<(String, f64)> = s
        .objective
        .iter()
        .flat_map(|o| &o.constraints)
        .filter(|c| c.key == K::LATENCY_MS.p99.name())
        .map(|c| (format!("constraint: {}", c.text), c.limit))
        .collect();
    let svg = plots::cost_vs_p99(
        &title,
        "p99 end-to-end latency (ms)",
        cost_label,
        &groups,
        chosen,
        &limits,
    );
    plot(dir, COST_SVG, svg, written)
}

/// The Power Tuning chart when the sweep has one axis of numbers (e.g. memory): cost per
/// million requests and mean latency against the axis value, each relative to its maximum
/// over the grid (the legend gives the maxima), and the p99; `None` otherwise.
fn power_plot(s: &Sweep, scope: &str) -> Option<Result<String, super::svg::ChartError>> {
    let [axis] = s.axes.as_slice() else {
        return None;
    };
    let xs: Vec<f64> = axis
        .values
        .iter()
        .map(|(t, _)| t.parse::<f64>().ok())
        .collect::<Option<_>>()?;
    let figs = crate::whatif::power::figures(s)?;
    let max = |f: &dyn Fn(&crate::whatif::power::PointFigures) -> f64| {
        figs.iter().map(f).fold(0.0, f64::max)
    };
    let series = |f: &dyn Fn(&crate::whatif::power::PointFigures) -> f64| {
        let m = max(f);
        xs.iter()
            .zip(&figs)
            .map(|(&x, p)| (x, if m > 0.0 { 100.0 * f(p) / m } else { 0.0 }))
            .collect::<Vec<_>>()
    };
    let cost = |p: &crate::whatif::power::PointFigures| p.cost_per_million_usd;
    let mean = |p: &crate::whatif::power::PointFigures| p.latency_mean_ms;
    let p99 = |p: &crate::whatif::power::PointFigures| p.latency_p99_ms;
    let key = axis.key.rsplit('.').next().unwrap_or(&axis.key);
    let title = format!("{}: cost and time per {key} ({scope})", s.scenario);
    Some(plots::relative_lines(
        &title,
        key,
        "% of the grid's maximum",
        &[
            (
                format!(
                    "cost per million requests (max {})",
                    fmt_value("cost_usd", max(&cost))
                ),
                series(&cost),
            ),
            (
                format!(
                    "mean latency (max {})",
                    fmt_value("latency_ms.mean", max(&mean))
                ),
                series(&mean),
            ),
            (
                format!(
                    "p99 latency (max {})",
                    fmt_value("latency_ms.p99", max(&p99))
                ),
                series(&p99),
            ),
        ],
    ))
}

/// The series of the cost vs p99 plot: grid points grouped by the first axis's value, at
/// most [`MAX_COST_SERIES`] groups, each named after its value or range of values.
fn cost_series(s: &Sweep, monthly: bool) -> Vec<(String, Vec<(f64, f64)>)> {
    let first = &s.axes[0];
    let last_seg = first.key.rsplit('.').next().unwrap_or(&first.key);
    let inner: usize = s.axes[1..].iter().map(|a| a.values.len()).product();
    let per_series = first.values.len().div_ceil(MAX_COST_SERIES).max(1);
    (0..first.values.len())
        .step_by(per_series)
        .map(|g0| {
            let g1 = (g0 + per_series).min(first.values.len());
            let pts = (g0 * inner..g1 * inner)
                .filter_map(|i| cost_point(s, i, monthly))
                .collect();
            let (lo, hi) = (&first.values[g0].0, &first.values[g1 - 1].0);
            let name = if g1 - g0 == 1 {
                format!("{last_seg}={lo}")
            } else {
                format!("{last_seg}={lo}..{hi}")
            };
            (name, pts)
        })
        .collect()
}

/// `report.md` of a sweep: grid, table, findings and plots.
fn sweep_markdown(s: &Sweep, scope: &str, with_cdf: bool) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# What-if sweep: {}\n", s.scenario);
    let axes: Vec<String> = s
        .axes
        .iter()
        .map(|a| {
            let v: Vec<&str> = a.values.iter().map(|(t, _)| t.as_str()).collect();
            format!("`{}` ∈ {{{}}}", a.key, v.join(", "))
        })
        .collect();
    let _ = writeln!(
        md,
        "Grid: {} ({} points), {} replications each, seed {}, the same seeds at every point \
         (common random numbers), {scope}. Values are means ± 95% CI half-widths.\n",
        axes.join(" × "),
        s.points.len(),
        s.replications,
        s.seed
    );
    let _ = writeln!(md, "{}", markdown_table(&sweep_rows(s)));
    let text = choice_text(s);
    let _ = writeln!(md, "## Findings\n");
    if text.is_empty() {
        let _ = writeln!(md, "{}\n", sweep_findings(s));
    } else {
        let _ = writeln!(
            md,
            "{text} (`*` marks the chosen point.) {}\n",
            sweep_findings(s)
        );
    }
    let power = super::compare::power_tuning_rows(s);
    if !power.is_empty() {
        let _ = writeln!(
            md,
            "## {}\n\n{}",
            super::compare::POWER_TUNING_TITLE,
            markdown_table(&power)
        );
    }
    let _ = writeln!(md, "## Plots\n\n![cost vs p99]({COST_SVG})\n");
    if !power.is_empty() && power_plot(s, scope).is_some() {
        let _ = writeln!(md, "![cost and time]({POWER_SVG})\n");
    }
    if with_cdf {
        let _ = writeln!(md, "![cold-start latency CDF]({CDF_SVG})\n");
    }
    let _ = writeln!(md, "Data: [sweep.json](sweep.json)");
    md
}

/// Ranges over the grid, written from the numbers: where cost and p99 latency are lowest
/// and highest.
fn sweep_findings(s: &Sweep) -> String {
    let mut out = Vec::new();
    for key in [K::COST_USD, K::LATENCY_MS.p99, K::COLD_FRACTION].map(K::FigureKey::name) {
        let vals: Vec<(usize, f64)> = s
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, p.mean(key)?)))
            .collect();
        let lo = vals
            .iter()
            .copied()
            .reduce(|a, b| if b.1 < a.1 { b } else { a });
        let hi = vals
            .iter()
            .copied()
            .reduce(|a, b| if b.1 > a.1 { b } else { a });
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo.0 != hi.0
        {
            out.push(format!(
                "{} ranges from {} ({}) to {} ({}).",
                label(key),
                fmt_value(key, lo.1),
                s.points[lo.0].name,
                fmt_value(key, hi.1),
                s.points[hi.0].name
            ));
        }
    }
    let mut text = out.join(" ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text
}
