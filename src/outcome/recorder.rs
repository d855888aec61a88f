//! Online recording of one replication: counters, histograms and per-phase sums per
//! function. Memory is fixed per function, whatever the number of invocations.

use crate::coldstart::{ColdStartDraw, ColdStartModel, N_PHASES};
use crate::engine::{SimDuration, SimTime};
use crate::stats::Histogram;
use crate::stats::bucket_counts::BucketCounts;
use crate::stats::ms_counts::MsCounts;
use crate::stats::timeline::Timeline;
use crate::storage::tiers::TierCounts;

/// Everything recorded for one function in one replication. Request counts cover arrivals
/// after the warm-up; sandbox lifecycle counts cover the whole run.
///
/// Laid out in declaration order (`repr(C)`, aligned to a cache line) with what every warm
/// invocation updates first: the counters in one cache line, the billed-duration counts'
/// header in the second, and the header of the histogram of handler times in the third (see
/// `record_completion`; a layout test keeps it so).
#[derive(Clone, Debug, Default)]
#[repr(C, align(64))]
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
    /// The billed time of inits, summed over counted invocations (each invocation's billed
    /// duration less its handler's alone, in ms): `billed_handler_ms` is the billed
    /// durations' sum less this.
    pub billed_init_ms: u64,
    /// Largest number of requests in flight at once.
    pub peak_in_flight: u32,
    /// Billed time of user requests without their init (each rounded up to 1 ms), ms: the
    /// cost model bills init apart, by the billing rules of the packaging. Set when a run
    /// finishes.
    pub billed_handler_ms: u64,
    /// During a run: the `Billed Duration` of counted invocations in whole ms, counted per
    /// ms and folded into `billed_duration` by [`FunctionStats::finish_records`]. Empty once
    /// a run has finished.
    pub billed_ms_counts: MsCounts,
    /// Invocations that had to wait for a new sandbox (cold starts on the request path).
    pub cold_starts: u64,
    /// Sandbox inits of any kind.
    pub inits: u64,
    /// Synchronous requests rejected over a limit.
    pub throttles: u64,
    /// During a run: the handler times of counted invocations whose latency was their
    /// handler time (no queue wait, no cold start: most of them), recorded once and merged
    /// into both `latency` and `duration` by [`FunctionStats::finish_records`]. Empty once
    /// a run has finished.
    pub latency_is_duration: BucketCounts,
    /// End-to-end latency: queue wait, cold latency and handler.
    pub latency: Histogram,
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
    /// Whether a mitigation (provisioned concurrency, pings, proactive init) is configured:
    /// only then are their figures reported, so other outputs stay as they were.
    pub mitigations: bool,
    /// Provisioned-concurrency inits (off the request path, no CPU boost; in `inits`).
    pub provisioned_inits: u64,
    /// Extra sandboxes the platform initialised off the request path beside request-path
    /// cold starts (`proactive_init_share`; in `inits`).
    pub proactive_inits: u64,
    /// Sandboxes the platform initialised off the request path to replace a sandbox about
    /// to retire at its lifetime (in `inits`).
    pub replacement_inits: u64,
    /// Whether reports show `replacement_inits` (the platform replaces retirements), so
    /// outputs without replacement keep their keys.
    pub report_replacements: bool,
    /// `Init Duration` of proactive and replacement inits, summed, µs: on-demand inits
    /// off the request path, billed like request-path ones where INIT is billed.
    pub offpath_on_demand_init_us: u64,
    /// User cold starts while provisioned concurrency was configured and no provisioned
    /// sandbox was idle (spillover to on-demand sandboxes).
    pub spillover_cold_starts: u64,
    /// Warm-up ping invocations (not in `invocations`).
    pub pings: u64,
    /// Pings that had to cold-start a sandbox (in `inits`, not in `cold_starts`).
    pub ping_cold_starts: u64,
    /// Billed time of pings (init + handler, each rounded up to 1 ms), ms; not in `billed_duration`.
    pub ping_billed_ms: u64,
    /// Provisioned sandbox-time configured over the measured span (the integral of the
    /// scheduled count), sandbox-µs.
    pub provisioned_configured_us: u64,
    /// Busy time of requests and pings on provisioned sandboxes in the measured span, µs.
    pub provisioned_busy_us: u64,
    /// Billed time of user invocations served by provisioned sandboxes (a part of
    /// `billed_duration`), ms.
    pub provisioned_billed_ms: u64,
    /// Provisioned sandboxes retired at their lifetime, each after its replacement was
    /// initialised (also in `retired_lifetime`).
    pub provisioned_recycled: u64,
    /// Provisioned sandboxes released when the schedule lowered the count or a deploy made
    /// them stale.
    pub provisioned_released: u64,
    /// `Init Duration` of each provisioned-concurrency init.
    pub provisioned_init_duration: Histogram,
    /// Per-bucket counts over the run, for plots (not in the JSON figures), and the live
    /// sandbox-time behind `sandboxes.mean_live`.
    pub timeline: Timeline,
    /// Idle sandbox memory-time over the measured span: live sandbox-time less busy time
    /// (`busy_area_us`), times the function's memory (a GB is 1,024 MB, as billed), GB-s.
    pub idle_gb_s: f64,
    /// The REPORT line's `Duration` of each counted invocation: the handler time.
    pub duration: Histogram,
    /// The REPORT line's `Billed Duration`: `Init Duration` (billed since the rule's date,
    /// see `billed_init_from`) plus `Duration`, rounded up to 1 ms.
    pub billed_duration: Histogram,
    /// Event sources: event age, lost events, batches.
    pub events: super::events::EventStats,
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
        self.record_init_work(draw);
    }

    /// Counts a sandbox created at `at_us` whose init starts then (on or off the request
    /// path): the creation count and the timeline's live and init tallies.
    #[inline]
    pub fn record_sandbox_created(&mut self, at_us: u64) {
        self.sandboxes_created += 1;
        self.timeline.record_created(at_us);
        self.timeline.record_init(at_us);
    }

    /// Records an init off the request path (provisioned, proactive, or a ping's cold
    /// start): it counts in `inits`, the phase sums and the chunk reads, not in the user
    /// cold-start histograms.
    #[inline]
    pub fn record_offpath_init(&mut self, draw: &ColdStartDraw) {
        self.inits += 1;
        self.record_init_work(draw);
    }

    /// What every init adds, on the request path or off it: its phases and chunk reads.
    #[inline]
    fn record_init_work(&mut self, draw: &ColdStartDraw) {
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
    /// time are all known once it has started (the simulator records it then). Most
    /// invocations are warm and did not wait: their latency is their handler time and their
    /// billed duration their handler's, so they update two counters and nothing else (the
    /// sums are read off the counters at the end, see [`Self::finish_records`]).
    #[inline(always)]
    pub fn record_completion(
        &mut self,
        latency: SimDuration,
        queue_wait: SimDuration,
        init: SimDuration,
        handler: SimDuration,
    ) {
        let (latency_us, handler_us) = (latency.as_us(), handler.as_us());
        let billed_handler_ms = handler_us.div_ceil(1_000);
        if latency_us == handler_us && init.as_us() == 0 {
            self.latency_is_duration.record(handler_us);
            self.billed_ms_counts
                .record(billed_handler_ms, &mut self.billed_duration);
            return;
        }
        self.record_other_completion(latency_us, queue_wait, init, handler_us);
    }

    /// [`Self::record_completion`] of an invocation that waited, cold-started or was billed
    /// an init.
    #[inline(never)]
    fn record_other_completion(
        &mut self,
        latency_us: u64,
        queue_wait: SimDuration,
        init: SimDuration,
        handler_us: u64,
    ) {
        if latency_us == handler_us {
            self.latency_is_duration.record(handler_us);
        } else {
            self.latency.record(latency_us);
            self.duration.record(handler_us);
        }
        self.queue_wait_sum_us += queue_wait.as_us();
        let billed_handler_ms = handler_us.div_ceil(1_000);
        let billed_ms = (init.as_us() + handler_us).div_ceil(1_000);
        self.billed_init_ms += billed_ms - billed_handler_ms;
        self.billed_ms_counts
            .record(billed_ms, &mut self.billed_duration);
    }

    /// At the end of a run: merges what [`Self::record_completion`] kept aside into the
    /// `latency`, `duration` and `billed_duration` histograms (each is then exactly the
    /// histogram of recording every value in it: a merge is the histogram of the union),
    /// and reads the billed handler time off the billed durations: their exact sum (each a
    /// whole number of ms, recorded as µs) less the billed inits.
    pub fn finish_records(&mut self) {
        let same = self.latency_is_duration.take_histogram();
        self.latency.merge(&same);
        self.duration.merge(&same);
        self.billed_ms_counts.drain_into(&mut self.billed_duration);
        // Setting (not adding) keeps a second call harmless.
        let billed_ms = u64::try_from(self.billed_duration.sum_us() / 1_000).unwrap_or(u64::MAX);
        self.billed_handler_ms = billed_ms.saturating_sub(self.billed_init_ms);
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

    /// Computes `idle_gb_s` once the timeline is finished: the sandboxes of a function with
    /// `memory_mb` were live for `timeline.measured_live_us` and busy for `busy_area_us`
    /// (every request runs on a live sandbox, so the difference is not negative).
    pub fn finish_idle(&mut self, memory_mb: u32) {
        let idle_us = self
            .timeline
            .measured_live_us
            .saturating_sub(self.busy_area_us);
        self.idle_gb_s = idle_us as f64 / 1e6 * f64::from(memory_mb) / 1024.0;
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
        self.billed_init_ms += other.billed_init_ms;
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
        self.mitigations |= other.mitigations;
        self.provisioned_inits += other.provisioned_inits;
        self.proactive_inits += other.proactive_inits;
        self.replacement_inits += other.replacement_inits;
        self.report_replacements |= other.report_replacements;
        self.offpath_on_demand_init_us += other.offpath_on_demand_init_us;
        self.spillover_cold_starts += other.spillover_cold_starts;
        self.pings += other.pings;
        self.ping_cold_starts += other.ping_cold_starts;
        self.ping_billed_ms += other.ping_billed_ms;
        self.provisioned_configured_us += other.provisioned_configured_us;
        self.provisioned_busy_us += other.provisioned_busy_us;
        self.provisioned_billed_ms += other.provisioned_billed_ms;
        self.provisioned_recycled += other.provisioned_recycled;
        self.provisioned_released += other.provisioned_released;
        self.provisioned_init_duration
            .merge(&other.provisioned_init_duration);
        self.timeline.merge(&other.timeline);
        self.billed_handler_ms += other.billed_handler_ms;
        self.duration.merge(&other.duration);
        self.billed_duration.merge(&other.billed_duration);
        self.events.merge(&other.events);
        self.idle_gb_s += other.idle_gb_s;
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

impl RunStats {
    /// Finishes every function's records ([`FunctionStats::finish_records`]).
    pub fn finish_records(&mut self) {
        self.functions
            .iter_mut()
            .for_each(FunctionStats::finish_records);
    }
}

#[cfg(test)]
mod layout_tests {
    use super::{BucketCounts, FunctionStats};
    use std::mem::{offset_of, size_of};

    /// A cache line on the x86-64 and arm64 machines coldsim runs on.
    const LINE_BYTES: usize = 64;

    /// What a warm invocation updates lies in the first three cache lines (the layout the
    /// doc comment promises, so a field appended later cannot push them apart again). Bytes
    /// counted by hand: the counters fill the first line (a `u128` and six `u64`, the last
    /// two only off the warm path); the peak and the billed counts' header (4 + 4 padding +
    /// 24 bytes) open the second, after the billed handler time (8); the hot part of the
    /// handler-time counts (64 bytes) is the third.
    #[test]
    fn a_warm_invocation_touches_the_first_three_cache_lines_only() {
        let end = |offset: usize, size: usize| offset + size;
        let hot = [
            end(offset_of!(FunctionStats, busy_area_us), size_of::<u128>()),
            end(offset_of!(FunctionStats, in_flight_seen_by_arrivals), 8),
            end(offset_of!(FunctionStats, arrivals), 8),
            end(offset_of!(FunctionStats, invocations), 8),
            end(offset_of!(FunctionStats, warm_starts), 8),
            end(offset_of!(FunctionStats, peak_in_flight), 4),
            end(
                offset_of!(FunctionStats, billed_ms_counts),
                size_of::<crate::stats::ms_counts::MsCounts>(),
            ),
            end(
                offset_of!(FunctionStats, latency_is_duration),
                BucketCounts::HOT_BYTES,
            ),
        ];
        assert_eq!(offset_of!(FunctionStats, billed_init_ms) + 8, LINE_BYTES);
        assert_eq!(
            offset_of!(FunctionStats, latency_is_duration),
            2 * LINE_BYTES
        );
        assert!(hot.iter().all(|&e| e <= 3 * LINE_BYTES), "{hot:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::FunctionStats;
    use crate::engine::SimDuration;
    use crate::stats::Histogram;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Tolerance: exact. Warm invocations, cold ones (an init billed) and ones that waited,
    /// with handler times from 0 to past the millisecond table's end: the billed handler sum
    /// read off at the end equals the sum of each handler rounded up to 1 ms, the billed
    /// durations and latencies equal recording each value, and the queue wait is summed. A
    /// second `finish_records` changes nothing.
    #[test]
    fn billed_sums_and_histograms_equal_recording_each_invocation() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut stats = FunctionStats::default();
        let (mut billed, mut latency, mut duration) =
            (Histogram::new(), Histogram::new(), Histogram::new());
        let (mut billed_handler_ms, mut billed_init_ms, mut waited_us) = (0u64, 0u64, 0u64);
        for _ in 0..20_000 {
            let handler_us = match rng.random_range(0..4) {
                0 => rng.random_range(0..2_000),
                1 => rng.random_range(0..3_000_000),
                _ => rng.random_range(0..400_000),
            };
            let (init_us, cold_us, wait_us) = match rng.random_range(0..10) {
                0 => (
                    rng.random_range(1..900_000),
                    rng.random_range(1..1_000_000),
                    0,
                ),
                1 => (0, 0, rng.random_range(1..50_000)),
                _ => (0, 0, 0),
            };
            let latency_us = wait_us + cold_us + handler_us;
            stats.record_completion(
                SimDuration(latency_us),
                SimDuration(wait_us),
                SimDuration(init_us),
                SimDuration(handler_us),
            );
            billed.record((init_us + handler_us).div_ceil(1_000) * 1_000);
            latency.record(latency_us);
            duration.record(handler_us);
            billed_handler_ms += handler_us.div_ceil(1_000);
            billed_init_ms += (init_us + handler_us).div_ceil(1_000) - handler_us.div_ceil(1_000);
            waited_us += wait_us;
        }
        stats.finish_records();
        stats.finish_records();
        assert_eq!(stats.billed_handler_ms, billed_handler_ms);
        assert_eq!(stats.billed_init_ms, billed_init_ms);
        assert!(billed_init_ms > 0);
        assert_eq!(stats.billed_duration, billed);
        assert_eq!(stats.latency, latency);
        assert_eq!(stats.duration, duration);
        assert_eq!(stats.queue_wait_sum_us, waited_us);
    }
}
