//! SVG plots of what-if results, drawn with [`super::svg`]: the CDF of cold-start latency per
//! variant (from the histograms merged over replications), cold starts over time per
//! variant, and cost against p99 latency for sweeps. Every chart has a title, axis labels
//! with units and a legend with one entry per variant.

use super::svg::{Chart, ChartError, Scale, Series, SeriesStyle, render};
use crate::engine::SimDuration;
use crate::stats::Histogram;

/// Legend rows need room: the chart grows by this much per series beyond the first few.
const LEGEND_ROW_PX: u32 = 22;

fn sized(mut chart: Chart) -> Chart {
    chart.nested_lines = true;
    let n = chart.series.len() as u32;
    chart.height_px = chart.height_px.max(400 + LEGEND_ROW_PX * n);
    chart
}

/// CDF of cold-start latency, one curve per `(name, histogram)`; a variant without cold
/// starts keeps its legend entry (marked "no cold starts"). The x axis is logarithmic when
/// the latencies span more than a factor of 20.
pub fn cold_latency_cdf(
    title: &str,
    variants: &[(String, &Histogram)],
) -> Result<String, ChartError> {
    let mut chart = Chart::cdf(title, "cold-start latency (ms)");
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for (name, h) in variants {
        let points: Vec<(f64, f64)> = h
            .cdf_points()
            .into_iter()
            .map(|(us, f)| (us / 1e3, f))
            .collect();
        for &(x, _) in &points {
            if x > 0.0 {
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        let name = if points.is_empty() {
            format!("{name} (no cold starts)")
        } else {
            name.clone()
        };
        chart.add(Series::new(name, points, SeriesStyle::Line));
    }
    if lo.is_finite() && hi / lo > 20.0 {
        chart.x_scale = Scale::Log10;
        chart.x_label = "cold-start latency (ms, log scale)".into();
    }
    render(&sized(chart))
}

/// A per-bin count over time, one line per variant: `(name, bin width, mean per bin)`, bins
/// from time zero (a [`crate::outcome::run::DetailedRun`]'s cold starts or live sandbox
/// peaks per bin). `what` names the count on the y axis (`cold starts`, `peak live
/// sandboxes`); the bin width is taken from the first variant.
pub fn over_time(
    title: &str,
    what: &str,
    variants: &[(String, SimDuration, &[f64])],
) -> Result<String, ChartError> {
    let bin_min = variants
        .first()
        .map_or(1.0, |(_, bin, _)| bin.as_secs_f64() / 60.0);
    let y_label = format!("{what} per {} min (mean per replication)", trim(bin_min));
    let mut chart = Chart::new(title, "time since start (h)", y_label);
    for (name, bin, values) in variants {
        let w = bin.as_secs_f64() / 3600.0;
        let points = values
            .iter()
            .enumerate()
            .map(|(k, &c)| ((k as f64 + 0.5) * w, c))
            .collect();
        chart.add(Series::new(name.clone(), points, SeriesStyle::Line));
    }
    render(&sized(chart))
}

/// Cost against p99 latency: one point series per group (`(group, [(p99_ms, cost)])`), plus
/// an optional highlighted point (the objective's choice). `y_label` names the cost's unit.
pub fn cost_vs_p99(
    title: &str,
    x_label: &str,
    y_label: &str,
    groups: &[(String, Vec<(f64, f64)>)],
    chosen: Option<(String, (f64, f64))>,
    limits: &[(String, f64)],
) -> Result<String, ChartError> {
    let mut chart = Chart::new(title, x_label, y_label);
    for (name, points) in groups {
        chart.add(Series::new(
            name.clone(),
            points.clone(),
            SeriesStyle::Points,
        ));
    }
    if let Some((name, p)) = chosen {
        chart.add(Series::new(
            format!("chosen: {name}"),
            vec![p],
            SeriesStyle::Points,
        ));
    }
    // A constraint on the x figure is drawn as a vertical line over the cost range, after
    // the points so that they keep their colours.
    let costs = groups.iter().flat_map(|g| g.1.iter().map(|p| p.1));
    let (lo, hi) = costs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    if lo.is_finite() {
        for (name, x) in limits {
            chart.add(Series::new(
                name.clone(),
                vec![(*x, lo), (*x, hi)],
                SeriesStyle::Line,
            ));
        }
    }
    render(&sized(chart))
}

/// Lines with points against a numeric x (e.g. memory in MB): one series per
/// `(name, [(x, y)])`, on a y axis from 0 to just over 100 (`y_label` says relative to what).
pub fn relative_lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<String, ChartError> {
    let mut chart = Chart::new(title, x_label, y_label);
    chart.y_range = Some((0.0, 105.0));
    for (name, points) in series {
        chart.add(Series::new(name.clone(), points.clone(), SeriesStyle::Line));
    }
    render(&sized(chart))
}

fn trim(x: f64) -> String {
    if x == x.trunc() {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}
