//! Online recording of one replication: counters, histograms and per-phase sums per
//! function. Memory is fixed per function, whatever the number of invocations.

use crate::coldstart::{ColdStartDraw, ColdStartModel, N_PHASES};
use crate::engine::{SimDuration, SimTime};
use crate::stats::Histogram;
use crate::storage::tiers::TierCounts;

/// Everything recorded for one function in one replication. Request counts cover arrivals
/// after the warm-up; sandbox lifecycle counts cover the whole run.
///
/// Laid out in declaration order (`repr(C)`) with what every invocation updates first: the
/// counters in one cache line and the latency histogram's header in the next.
#[derive(Clone, Debug, Default)]
#[repr(C)]
pub struct FunctionStats {
    /// Time integral of in-flight requests over the measured span, request·µs.
    pub busy_area_us: u128,
    /// Sum over counted arrivals of the function's requests in flight just before each
    /// arrival. Its mean per arrival estimates the time-average busy count when arrivals are
    /// Poisson (PASTA), independently of `busy_area_us`.
    pub in_flight_seen_by_arrivals: u64,
    /// Requests that arrived.
    pub arrivals: u64,
    /// Requests that started executing (warm or cold).
    pub invocations: u64,
    /// Invocations served by an idle sandbox.
    pub warm_starts: u64,
    /// Total time invocations waited in the async queue, µs.
    pub queue_wait_sum_us: u64,
    /// Sum of billed durations (init + handler, each invocation rounded up to 1 ms), ms.
    pub billed_ms: u64,
    /// Largest number of requests in flight at once.
    pub peak_in_flight: u32,
    /// End-to-end latency: queue wait, cold latency and handler.
    pub latency: Histogram,
    /// Invocations that had to wait for a new sandbox (cold starts on the request path).
    pub cold_starts: u64,
    /// Sandbox inits of any kind.
    pub inits: u64,
    /// Synchronous requests rejected over a limit.
    pub throttles: u64,
    /// Asynchronous requests that waited in the queue before starting.
    pub queued: u64,
    /// Requests still waiting when the run ended (none once a run is drained).
    pub pending_at_end: u64,
    /// `Init Duration` of each cold start.
    pub init_duration: Histogram,
    /// Extra latency of each cold start.
    pub cold_latency: Histogram,
    /// Sum of each phase over all inits, µs.
    pub phase_sum_us: [u64; N_PHASES],
    /// Sandboxes created.
    pub sandboxes_created: u64,
    /// Sandboxes reclaimed after their keep-alive ran out.
    pub reclaimed_keep_alive: u64,
    /// Sandboxes retired at their maximum lifetime.
    pub retired_lifetime: u64,
    /// Sandboxes alive when the run ended.
    pub alive_at_end: u64,
    /// Sandboxes of an old version retired after a deploy.
    pub replaced_by_deploy: u64,
    /// Time init threads waited for image chunks, summed over inits, µs.
    pub chunk_io_sum_us: u64,
    /// Image chunk reads by serving tier (inits and lazy imports).
    pub cache: TierCounts,
    /// Chunk reads that waited for another sandbox's fill in flight.
    pub coalesced_reads: u64,
    /// Requests that imported modules lazily (the first of a path in a sandbox).
    pub lazy_imports: u64,
    /// Time those lazy imports added to their requests.
    pub lazy_import: Histogram,
    /// Per eager top-level import, its time summed over inits, µs.
    pub top_import_sum_us: Vec<u64>,
    /// SnapStart: snapshot size, MB (0: not a SnapStart function; summed in totals).
    pub snapshot_mb: f64,
    /// SnapStart: snapshots taken (one at t = 0 and one per deploy, over the whole run).
    pub snapshot_publishes: u64,
    /// SnapStart: cold starts that restored the snapshot (counted requests).
    pub restores: u64,
    /// SnapStart: `Restore Duration` of each restore.
    pub restore_duration: Histogram,
    /// Cold starts whose init was retried after a crash or the init timeout.
    pub reinits: u64,
    /// Init time those retries wasted (crashed init, or the timeout), summed, µs.
    pub reinit_wasted_sum_us: u64,
    /// Whether reports show `reinits` (the function's model has a crash probability or an
    /// init timeout was given).
    pub report_reinits: bool,
}

impl FunctionStats {
    /// Empty statistics of a function with cold-start model `model`: a SnapStart function
    /// starts with its snapshot size and the publish at t = 0.
    pub fn for_model(model: &ColdStartModel) -> Self {
        let snapshot_mb = model.snapshot().map_or(0.0, |s| s.snapshot_mb);
        FunctionStats {
            snapshot_mb,
            snapshot_publishes: u64::from(snapshot_mb > 0.0),
            report_reinits: model.init().is_some_and(|i| i.report_reinits),
            ..FunctionStats::default()
        }
    }

    /// Records a cold start's phases for a request that counts. A restore records its
    /// `Restore Duration` and no `Init Duration` (the REPORT of a restore has none).
    #[inline]
    pub fn record_cold_start(&mut self, draw: &ColdStartDraw) {
        self.cold_starts += 1;
        self.inits += 1;
        if draw.restored {
            self.restores += 1;
            self.restore_duration.record(draw.restore_duration.as_us());
        } else {
            self.init_duration.record(draw.init_duration.as_us());
        }
        if draw.reinit {
            self.reinits += 1;
            self.reinit_wasted_sum_us += draw.wasted_init.as_us();
        }
        self.cold_latency.record(draw.cold_latency.as_us());
        for (sum, phase) in self.phase_sum_us.iter_mut().zip(draw.phases.iter()) {
            *sum += phase.as_us();
        }
        self.chunk_io_sum_us += draw.chunk_io.as_us();
        self.cache.merge(&draw.served);
        self.coalesced_reads += draw.coalesced;
    }

    /// Records each eager top-level import's time in one init (µs, in import order).
    #[inline]
    pub fn record_top_imports(&mut self, us: &[u64]) {
        if self.top_import_sum_us.len() < us.len() {
            self.top_import_sum_us.resize(us.len(), 0);
        }
        for (sum, &t) in self.top_import_sum_us.iter_mut().zip(us) {
            *sum += t;
        }
    }

    /// Records a request's lazy imports: the time they added and their chunk reads.
    #[inline]
    pub fn record_lazy_import(&mut self, added: SimDuration, served: &TierCounts) {
        self.lazy_imports += 1;
        self.lazy_import.record(added.as_us());
        self.cache.merge(served);
    }

    /// Records the outcome of an invocation that counts: its latency, queue wait and billed
    /// time are all known once it has started (the simulator records it then).
    #[inline]
    pub fn record_completion(
        &mut self,
        latency: SimDuration,
        queue_wait: SimDuration,
        init: SimDuration,
        handler: SimDuration,
    ) {
        self.latency.record(latency.as_us());
        self.queue_wait_sum_us += queue_wait.as_us();
        self.billed_ms += (init.as_us() + handler.as_us()).div_ceil(1_000);
    }

    /// Adds the part of one request's busy span `[start, end)` that lies in the measured
    /// span `[measure_from, measure_to)` to the time integral of in-flight requests. Summed
    /// over requests this is exactly the integral of the in-flight count, so it can be
    /// recorded when the request starts.
    #[inline]
    pub fn record_busy(
        &mut self,
        start: SimTime,
        end: SimTime,
        measure_from: SimTime,
        measure_to: SimTime,
    ) {
        let from = start.max(measure_from);
        let to = end.min(measure_to);
        if to > from {
            self.busy_area_us += (to.0 - from.0) as u128;
        }
    }

    /// Adds `other`'s counts to these (for totals over functions).
    pub fn merge(&mut self, other: &FunctionStats) {
        self.arrivals += other.arrivals;
        self.invocations += other.invocations;
        self.cold_starts += other.cold_starts;
        self.warm_starts += other.warm_starts;
        self.inits += other.inits;
        self.throttles += other.throttles;
        self.queued += other.queued;
        self.pending_at_end += other.pending_at_end;
        self.latency.merge(&other.latency);
        self.init_duration.merge(&other.init_duration);
        self.cold_latency.merge(&other.cold_latency);
        self.queue_wait_sum_us += other.queue_wait_sum_us;
        for (a, b) in self.phase_sum_us.iter_mut().zip(other.phase_sum_us) {
            *a += b;
        }
        self.billed_ms += other.billed_ms;
        self.busy_area_us += other.busy_area_us;
        self.in_flight_seen_by_arrivals += other.in_flight_seen_by_arrivals;
        self.peak_in_flight += other.peak_in_flight;
        self.sandboxes_created += other.sandboxes_created;
        self.reclaimed_keep_alive += other.reclaimed_keep_alive;
        self.retired_lifetime += other.retired_lifetime;
        self.alive_at_end += other.alive_at_end;
        self.replaced_by_deploy += other.replaced_by_deploy;
        self.chunk_io_sum_us += other.chunk_io_sum_us;
        self.cache.merge(&other.cache);
        self.coalesced_reads += other.coalesced_reads;
        self.lazy_imports += other.lazy_imports;
        self.lazy_import.merge(&other.lazy_import);
        self.snapshot_mb += other.snapshot_mb;
        self.snapshot_publishes += other.snapshot_publishes;
        self.restores += other.restores;
        self.restore_duration.merge(&other.restore_duration);
        self.reinits += other.reinits;
        self.reinit_wasted_sum_us += other.reinit_wasted_sum_us;
        self.report_reinits |= other.report_reinits;
        // Top-level imports differ between functions: not merged into totals.
    }
}

/// The outcome of one replication.
#[derive(Clone, Debug)]
pub struct RunStats {
    /// Per function, in scenario order.
    pub functions: Vec<FunctionStats>,
    /// The measured span: from the end of the warm-up to the end of the run.
    pub measured: SimDuration,
    /// When the last event happened (at or after the run's end, when draining).
    pub drained_at: SimTime,
    /// Largest number of requests in flight at once across all functions.
    pub peak_in_flight_total: u32,
}
