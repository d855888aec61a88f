//! The figures a run reports, as a flat list of dotted key paths (`latency_ms.p99`) so one
//! definition serves the JSON, the table and the CSV, and replications are averaged figure
//! by figure with a 95% confidence interval (DESIGN.md, "Output").

use super::ci::mean_and_ci95;
use super::recorder::FunctionStats;
use crate::coldstart::Phase;
use crate::engine::SimDuration;

/// One figure of one replication; `None` when undefined (a percentile of no cold starts).
pub type FigureValue = (String, Option<f64>);

/// Percentiles reported for each latency-like histogram, with their key names.
const PERCENTILES: [(&str, f64); 5] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p999", 0.999),
];

fn push_histogram(out: &mut Vec<FigureValue>, name: &str, h: &super::Histogram) {
    let ms = |us: u64| Some(us as f64 / 1_000.0);
    let defined = !h.is_empty();
    out.push((
        format!("{name}.mean"),
        defined.then(|| h.mean_us() / 1_000.0),
    ));
    for (key, q) in PERCENTILES {
        out.push((
            format!("{name}.{key}"),
            if defined {
                ms(h.value_at_quantile_us(q))
            } else {
                None
            },
        ));
    }
    out.push((
        format!("{name}.max"),
        if defined { ms(h.max_us()) } else { None },
    ));
}

/// The figures of one function (or the total) in one replication. `measured` is the span
/// over which the mean busy count is averaged.
pub fn figures(
    s: &FunctionStats,
    measured: SimDuration,
    cost: &crate::cost::CostBreakdown,
) -> Vec<FigureValue> {
    let n = |x: u64| Some(x as f64);
    let mut out: Vec<FigureValue> = vec![
        ("arrivals".into(), n(s.arrivals)),
        ("invocations".into(), n(s.invocations)),
        ("cold_starts".into(), n(s.cold_starts)),
        ("warm_starts".into(), n(s.warm_starts)),
        ("inits".into(), n(s.inits)),
        ("throttles".into(), n(s.throttles)),
        ("queued".into(), n(s.queued)),
        (
            "cold_fraction".into(),
            (s.invocations > 0).then(|| s.cold_starts as f64 / s.invocations as f64),
        ),
    ];
    push_histogram(&mut out, "init_duration_ms", &s.init_duration);
    push_histogram(&mut out, "cold_latency_ms", &s.cold_latency);
    push_histogram(&mut out, "latency_ms", &s.latency);
    out.push((
        "queue_wait_ms.mean".into(),
        (s.latency.count() > 0)
            .then(|| s.queue_wait_sum_us as f64 / s.latency.count() as f64 / 1_000.0),
    ));
    for phase in Phase::ALL {
        out.push((
            format!("phases_ms.{}", phase.name()),
            (s.inits > 0).then(|| s.phase_sum_us[phase as usize] as f64 / s.inits as f64 / 1e3),
        ));
    }
    // Chunk reads per cache tier (images; ZIP code delivery reads no chunks).
    let c = &s.cache;
    out.extend([
        ("cache.worker".into(), n(c.worker)),
        ("cache.az".into(), n(c.az)),
        ("cache.origin".into(), n(c.origin)),
        (
            "cache.worker_hit_rate".into(),
            (c.total() > 0).then(|| c.worker as f64 / c.total() as f64),
        ),
        (
            "cache.az_hit_rate".into(),
            (c.az + c.origin > 0).then(|| c.az as f64 / (c.az + c.origin) as f64),
        ),
        ("cache.coalesced".into(), n(s.coalesced_reads)),
        (
            "chunk_io_ms.mean".into(),
            (s.inits > 0).then(|| s.chunk_io_sum_us as f64 / s.inits as f64 / 1e3),
        ),
        ("lazy_imports".into(), n(s.lazy_imports)),
    ]);
    push_histogram(&mut out, "lazy_import_ms", &s.lazy_import);
    // SnapStart and re-init figures, only for functions that can have them (so other
    // outputs keep their keys).
    if s.snapshot_mb > 0.0 {
        out.extend([
            ("restores".into(), n(s.restores)),
            ("snapshot_mb".into(), Some(s.snapshot_mb)),
            ("snapshot_publishes".into(), n(s.snapshot_publishes)),
        ]);
        push_histogram(&mut out, "restore_duration_ms", &s.restore_duration);
    }
    if s.report_reinits {
        out.extend([
            ("reinits".into(), n(s.reinits)),
            (
                "reinit_wasted_ms.mean".into(),
                (s.reinits > 0).then(|| s.reinit_wasted_sum_us as f64 / s.reinits as f64 / 1e3),
            ),
        ]);
    }
    out.push(("cost_usd".into(), Some(cost.total_usd)));
    let measured_s = measured.as_us() as f64 / 1e6;
    let finite = |x: f64| x.is_finite().then_some(x);
    out.extend([
        ("cost.requests_usd".into(), Some(cost.requests_usd)),
        (
            "cost.duration_usd".into(),
            Some(cost.on_demand_duration_usd),
        ),
        ("cost.init_usd".into(), Some(cost.init_usd)),
        ("cost.pings_usd".into(), Some(cost.pings_usd)),
        (
            "cost.provisioned_usd".into(),
            Some(cost.provisioned_configured_usd + cost.provisioned_duration_usd),
        ),
        (
            "cost.snapstart_usd".into(),
            Some(cost.snapstart_cache_usd + cost.snapstart_restore_usd),
        ),
        (
            "cost.per_month_usd".into(),
            finite(cost.per_month_usd(measured_s)),
        ),
        (
            "cost.per_million_requests_usd".into(),
            finite(cost.per_million_requests_usd(s.invocations)),
        ),
    ]);
    let span_us = measured.as_us().max(1) as f64;
    out.extend([
        ("sandboxes.created".into(), n(s.sandboxes_created)),
        (
            "sandboxes.reclaimed_keep_alive".into(),
            n(s.reclaimed_keep_alive),
        ),
        ("sandboxes.retired_lifetime".into(), n(s.retired_lifetime)),
        ("sandboxes.alive_at_end".into(), n(s.alive_at_end)),
        (
            "sandboxes.replaced_by_deploy".into(),
            n(s.replaced_by_deploy),
        ),
        (
            "sandboxes.peak_in_flight".into(),
            Some(s.peak_in_flight as f64),
        ),
        (
            "sandboxes.mean_busy".into(),
            Some(s.busy_area_us as f64 / span_us),
        ),
    ]);
    if s.mitigations {
        push_mitigations(&mut out, s);
    }
    out
}

/// Figures of provisioned concurrency, warm-up pings and proactive init, reported only when
/// one of them is configured (so other scenarios' outputs do not change).
fn push_mitigations(out: &mut Vec<FigureValue>, s: &FunctionStats) {
    let n = |x: u64| Some(x as f64);
    out.extend([
        ("provisioned_inits".into(), n(s.provisioned_inits)),
        ("proactive_inits".into(), n(s.proactive_inits)),
        ("spillover_cold_starts".into(), n(s.spillover_cold_starts)),
        ("pings".into(), n(s.pings)),
        ("ping_cold_starts".into(), n(s.ping_cold_starts)),
        ("ping_billed_ms".into(), n(s.ping_billed_ms)),
        (
            "provisioned_configured_s".into(),
            Some(s.provisioned_configured_us as f64 / 1e6),
        ),
        (
            "provisioned_busy_s".into(),
            Some(s.provisioned_busy_us as f64 / 1e6),
        ),
        ("provisioned_billed_ms".into(), n(s.provisioned_billed_ms)),
        ("provisioned_recycled".into(), n(s.provisioned_recycled)),
        ("provisioned_released".into(), n(s.provisioned_released)),
    ]);
    push_histogram(
        out,
        "provisioned_init_duration_ms",
        &s.provisioned_init_duration,
    );
}

/// A figure averaged over replications.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Dotted key path.
    pub key: String,
    /// Mean over the replications where it is defined.
    pub mean: Option<f64>,
    /// Half-width of the 95% confidence interval (two or more defined replications).
    pub ci95: Option<f64>,
}

/// Averages the same figure list from several replications, in replication order (so the
/// floating-point result does not depend on which thread finished first).
pub fn aggregate(replications: &[Vec<FigureValue>]) -> Vec<Figure> {
    let Some(first) = replications.first() else {
        return Vec::new();
    };
    first
        .iter()
        .enumerate()
        .map(|(i, (key, _))| {
            let values: Vec<f64> = replications.iter().filter_map(|r| r[i].1).collect();
            let (mean, ci95) = if values.is_empty() {
                (None, None)
            } else {
                let (m, ci) = mean_and_ci95(&values);
                (Some(m), if replications.len() > 1 { ci } else { None })
            };
            Figure {
                key: key.clone(),
                mean,
                ci95,
            }
        })
        .collect()
}

/// The result of a scenario: figures per function and in total.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Replications run.
    pub replications: u32,
    /// Per function, in scenario order.
    pub functions: Vec<(String, Vec<Figure>)>,
    /// Over all functions.
    pub total: Vec<Figure>,
}

impl Summary {
    /// The mean of figure `key` for function `name` (`"total"` for the total), if defined.
    pub fn get(&self, name: &str, key: &str) -> Option<f64> {
        let figures = if name == "total" {
            &self.total
        } else {
            &self.functions.iter().find(|(n, _)| n == name)?.1
        };
        figures.iter().find(|f| f.key == key)?.mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_averages_and_gives_intervals_only_with_several_replications() {
        let reps = vec![
            vec![("a".to_string(), Some(1.0)), ("b".to_string(), None)],
            vec![("a".to_string(), Some(3.0)), ("b".to_string(), Some(5.0))],
        ];
        let f = aggregate(&reps);
        assert_eq!(f[0].mean, Some(2.0));
        // t(0.975, 1) × s/√2 with s = √2: 12.706.
        assert!((f[0].ci95.unwrap() - 12.7062).abs() < 1e-3);
        assert_eq!(f[1].mean, Some(5.0));
        assert_eq!(f[1].ci95, None);
        let single = aggregate(&reps[..1]);
        assert_eq!(single[0].ci95, None);
    }
}
