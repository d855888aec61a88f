//! The figures a Lambda run reports for one function (or the total) in one replication,
//! from what [`FunctionStats`] recorded and what it cost (DESIGN.md, "Output").

use super::figure_key as K;
use super::recorder::FunctionStats;
use crate::coldstart::{ColdStartModel, Phase};
use crate::cost::CostBreakdown;
use crate::engine::SimDuration;
use crate::stats::figures::{FigureValue, push_histogram};

/// The figures of one function (or the total) in one replication. `measured` is the span
/// over which the mean busy count is averaged.
pub fn figures(s: &FunctionStats, measured: SimDuration, cost: &CostBreakdown) -> Vec<FigureValue> {
    let mut out = Vec::new();
    push_requests(&mut out, s);
    push_chunks(&mut out, s);
    push_snapstart_and_reinits(&mut out, s);
    push_cost(&mut out, s, measured, cost);
    push_sandboxes(&mut out, s, measured);
    if s.mitigations {
        push_mitigations(&mut out, s);
    }
    if s.events.on {
        push_events(&mut out, &s.events);
    }
    out
}

/// Event-source figures, only for functions with an event source (so other outputs keep
/// their keys).
fn push_events(out: &mut Vec<FigureValue>, e: &super::events::EventStats) {
    let n = |x: u64| Some(x as f64);
    push_histogram(out, K::EVENT_AGE_MS.name, &e.age);
    out.extend([
        (K::DROPPED_EVENTS.name().into(), n(e.dropped)),
        (K::DESTINATION_EVENTS.name().into(), n(e.to_destination)),
        (K::EXPIRED_EVENTS.name().into(), n(e.expired)),
        (K::EVENT_RETRIES.name().into(), n(e.retries)),
        (K::THROTTLED_ATTEMPTS.name().into(), n(e.throttled_attempts)),
        (K::BATCHES.name().into(), n(e.batches)),
        (
            K::EVENTS_PER_BATCH.name().into(),
            (e.batches > 0).then(|| e.batched_events as f64 / e.batches as f64),
        ),
    ]);
}

/// Request counts, the latency histograms, the queue wait and the phase means.
fn push_requests(out: &mut Vec<FigureValue>, s: &FunctionStats) {
    let n = |x: u64| Some(x as f64);
    out.extend([
        (K::ARRIVALS.name().into(), n(s.arrivals)),
        (K::INVOCATIONS.name().into(), n(s.invocations)),
        (K::COLD_STARTS.name().into(), n(s.cold_starts)),
        (K::WARM_STARTS.name().into(), n(s.warm_starts)),
        (K::INITS.name().into(), n(s.inits)),
        (K::THROTTLES.name().into(), n(s.throttles)),
        (K::QUEUED.name().into(), n(s.queued)),
        (
            K::COLD_FRACTION.name().into(),
            (s.invocations > 0).then(|| s.cold_starts as f64 / s.invocations as f64),
        ),
    ]);
    if s.report_replacements {
        out.push((K::REPLACEMENT_INITS.name().into(), n(s.replacement_inits)));
    }
    push_histogram(out, K::INIT_DURATION_MS.name, &s.init_duration);
    push_histogram(out, K::COLD_LATENCY_MS.name, &s.cold_latency);
    push_histogram(out, K::LATENCY_MS.name, &s.latency);
    push_histogram(out, K::DURATION_MS.name, &s.duration);
    push_histogram(out, K::BILLED_DURATION_MS.name, &s.billed_duration);
    out.push((
        K::QUEUE_WAIT_MS_MEAN.name().into(),
        (s.latency.count() > 0)
            .then(|| s.queue_wait_sum_us as f64 / s.latency.count() as f64 / 1_000.0),
    ));
    for phase in Phase::ALL {
        out.push((
            format!("{}.{}", K::PHASES_MS, phase.name()),
            (s.inits > 0).then(|| s.phase_sum_us[phase as usize] as f64 / s.inits as f64 / 1e3),
        ));
    }
}

/// Chunk reads per cache tier (images; ZIP code delivery reads no chunks) and lazy imports.
fn push_chunks(out: &mut Vec<FigureValue>, s: &FunctionStats) {
    let n = |x: u64| Some(x as f64);
    let c = &s.cache;
    out.extend([
        (K::CACHE_WORKER.name().into(), n(c.worker)),
        (K::CACHE_AZ.name().into(), n(c.az)),
        (K::CACHE_ORIGIN.name().into(), n(c.origin)),
        (
            K::CACHE_WORKER_HIT_RATE.name().into(),
            (c.total() > 0).then(|| c.worker as f64 / c.total() as f64),
        ),
        (
            K::CACHE_AZ_HIT_RATE.name().into(),
            (c.az + c.origin > 0).then(|| c.az as f64 / (c.az + c.origin) as f64),
        ),
        (K::CACHE_COALESCED.name().into(), n(s.coalesced_reads)),
        (
            K::CHUNK_IO_MS_MEAN.name().into(),
            (s.inits > 0).then(|| s.chunk_io_sum_us as f64 / s.inits as f64 / 1e3),
        ),
        (K::LAZY_IMPORTS.name().into(), n(s.lazy_imports)),
    ]);
    push_histogram(out, K::LAZY_IMPORT_MS.name, &s.lazy_import);
}

/// SnapStart and re-init figures, only for functions that can have them (so other outputs
/// keep their keys).
fn push_snapstart_and_reinits(out: &mut Vec<FigureValue>, s: &FunctionStats) {
    let n = |x: u64| Some(x as f64);
    if s.snapshot_mb > 0.0 {
        out.extend([
            (K::RESTORES.name().into(), n(s.restores)),
            (K::SNAPSHOT_MB.name().into(), Some(s.snapshot_mb)),
            (K::SNAPSHOT_PUBLISHES.name().into(), n(s.snapshot_publishes)),
        ]);
        push_histogram(out, K::RESTORE_DURATION_MS.name, &s.restore_duration);
    }
    if s.report_reinits {
        out.extend([
            (K::REINITS.name().into(), n(s.reinits)),
            (
                K::REINIT_WASTED_MS_MEAN.name().into(),
                (s.reinits > 0).then(|| s.reinit_wasted_sum_us as f64 / s.reinits as f64 / 1e3),
            ),
        ]);
    }
}

/// The bill and its components, per month and per million requests.
fn push_cost(
    out: &mut Vec<FigureValue>,
    s: &FunctionStats,
    measured: SimDuration,
    cost: &CostBreakdown,
) {
    out.push((K::COST_USD.name().into(), Some(cost.total_usd)));
    let measured_s = measured.as_us() as f64 / 1e6;
    let finite = |x: f64| x.is_finite().then_some(x);
    out.extend([
        (K::COST_REQUESTS_USD.name().into(), Some(cost.requests_usd)),
        (
            K::COST_DURATION_USD.name().into(),
            Some(cost.on_demand_duration_usd),
        ),
        (K::COST_INIT_USD.name().into(), Some(cost.init_usd)),
        (K::COST_PINGS_USD.name().into(), Some(cost.pings_usd)),
        (
            K::COST_PROVISIONED_USD.name().into(),
            Some(cost.provisioned_configured_usd + cost.provisioned_duration_usd),
        ),
        (
            K::COST_SNAPSTART_USD.name().into(),
            Some(cost.snapstart_cache_usd + cost.snapstart_restore_usd),
        ),
        (
            K::COST_PER_MONTH_USD.name().into(),
            finite(cost.per_month_usd(measured_s)),
        ),
        (
            K::COST_PER_MILLION_REQUESTS_USD.name().into(),
            finite(cost.per_million_requests_usd(s.invocations)),
        ),
    ]);
}

/// Sandbox lifecycle counts and concurrency.
fn push_sandboxes(out: &mut Vec<FigureValue>, s: &FunctionStats, measured: SimDuration) {
    let n = |x: u64| Some(x as f64);
    let span_us = measured.as_us().max(1) as f64;
    out.extend([
        (K::SANDBOXES_CREATED.name().into(), n(s.sandboxes_created)),
        (
            K::SANDBOXES_RECLAIMED_KEEP_ALIVE.name().into(),
            n(s.reclaimed_keep_alive),
        ),
        (
            K::SANDBOXES_RETIRED_LIFETIME.name().into(),
            n(s.retired_lifetime),
        ),
        (K::SANDBOXES_ALIVE_AT_END.name().into(), n(s.alive_at_end)),
        (
            K::SANDBOXES_REPLACED_BY_DEPLOY.name().into(),
            n(s.replaced_by_deploy),
        ),
        (
            K::SANDBOXES_PEAK_IN_FLIGHT.name().into(),
            Some(s.peak_in_flight as f64),
        ),
        (
            K::SANDBOXES_MEAN_BUSY.name().into(),
            Some(s.busy_area_us as f64 / span_us),
        ),
        (
            K::SANDBOXES_MEAN_LIVE.name().into(),
            Some(s.timeline.measured_live_us as f64 / span_us),
        ),
        (K::SANDBOXES_IDLE_GB_S.name().into(), Some(s.idle_gb_s)),
    ]);
}

/// Figures of provisioned concurrency, warm-up pings and proactive init, reported only when
/// one of them is configured (so other scenarios' outputs do not change).
fn push_mitigations(out: &mut Vec<FigureValue>, s: &FunctionStats) {
    let n = |x: u64| Some(x as f64);
    out.extend([
        (K::PROVISIONED_INITS.name().into(), n(s.provisioned_inits)),
        (K::PROACTIVE_INITS.name().into(), n(s.proactive_inits)),
        (
            K::SPILLOVER_COLD_STARTS.name().into(),
            n(s.spillover_cold_starts),
        ),
        (K::PINGS.name().into(), n(s.pings)),
        (K::PING_COLD_STARTS.name().into(), n(s.ping_cold_starts)),
        (K::PING_BILLED_MS.name().into(), n(s.ping_billed_ms)),
        (
            K::PROVISIONED_CONFIGURED_S.name().into(),
            Some(s.provisioned_configured_us as f64 / 1e6),
        ),
        (
            K::PROVISIONED_BUSY_S.name().into(),
            Some(s.provisioned_busy_us as f64 / 1e6),
        ),
        (
            K::PROVISIONED_BILLED_MS.name().into(),
            n(s.provisioned_billed_ms),
        ),
        (
            K::PROVISIONED_RECYCLED.name().into(),
            n(s.provisioned_recycled),
        ),
        (
            K::PROVISIONED_RELEASED.name().into(),
            n(s.provisioned_released),
        ),
    ]);
    push_histogram(
        out,
        K::PROVISIONED_INIT_DURATION_MS.name,
        &s.provisioned_init_duration,
    );
}

/// `imports_ms.<module>`: the mean time per init of each eager top-level import (the
/// modules it loads first, with their image chunk reads). `.` in a module name is written
/// `/` so the dotted key path stays two levels deep. Per function only: the total mixes
/// functions with different import lists.
pub fn push_import_times(figs: &mut Vec<FigureValue>, model: &ColdStartModel, s: &FunctionStats) {
    let Some(init) = model.init() else {
        return;
    };
    for (g, (name, _)) in init.eager.iter().enumerate() {
        let sum = s.top_import_sum_us.get(g).copied().unwrap_or(0);
        figs.push((
            format!("{}.{}", K::IMPORTS_MS, name.replace('.', "/")),
            (s.inits > 0).then(|| sum as f64 / s.inits as f64 / 1e3),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: with SnapStart, re-inits and mitigations on, the builder reports exactly the
    /// keys registered in [`K`] plus one per phase, each once (sorted lists compared, so a
    /// duplicate or a key spelled outside the registry fails).
    #[test]
    fn builder_reports_exactly_the_registered_keys() {
        let s = FunctionStats {
            snapshot_mb: 1.0,
            report_reinits: true,
            mitigations: true,
            events: crate::outcome::events::EventStats {
                on: true,
                ..Default::default()
            },
            report_replacements: true,
            ..FunctionStats::default()
        };
        let mut got: Vec<String> = figures(&s, SimDuration::ZERO, &CostBreakdown::default())
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let mut want: Vec<String> = K::SCALARS
            .iter()
            .copied()
            .chain(K::HISTOGRAMS.iter().flat_map(|h| h.all()))
            .map(|k| k.name().to_string())
            .chain(
                Phase::ALL
                    .iter()
                    .map(|p| format!("{}.{}", K::PHASES_MS, p.name())),
            )
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
    }
}
