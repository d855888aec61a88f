//! One replication of a scenario: the [`World`] holds all state, [`Event`] is every thing that
//! can happen, and [`World::run`] dispatches them in one place. Single-threaded and
//! deterministic: the same scenario and seed give the same numbers.
//!
//! Where each mechanism lives: arrivals and starts in `start.rs`, completions in
//! `complete.rs`, the lazy-completion optimisation in `lazy.rs`, async queues in
//! `async_queue.rs`, provisioned concurrency, pings and deploys in `provisioned.rs`,
//! `pings.rs` and `deploy.rs` (acting on the decisions of the `platform` components),
//! off-path inits (replacement of retiring sandboxes, proactive inits) in `offpath.rs`, the
//! storage fleet in `fleet.rs` and the per-invocation sink in `sink.rs`.

mod async_queue;
mod complete;
mod deploy;
mod event_source;
mod fleet;
mod lazy;
mod offpath;
mod pings;
mod provisioned;
mod sink;
mod start;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::Scenario;
use crate::engine::rng::replication_seed;
use crate::engine::{EventKey, EventQueue, Rng, RngStreams, SimDuration, SimTime};
use crate::error::InputError;
use crate::outcome::{FunctionStats, RunStats};
use crate::platform::deploy::Versions;
use crate::platform::event_source::Delivery;
use crate::platform::keepalive::{FixedKeepAlive, KeepAlive};
use crate::platform::limits::{Concurrency, FunctionSlots};
use crate::platform::pool::{IdlePool, ReclaimCause};
use crate::platform::proactive::ProactiveShare;
use crate::platform::provisioned::ProvisionedConcurrency;
use crate::platform::retirement::MaxLifetime;
use crate::platform::routing::Routing;
use crate::platform::sandbox::{SandboxArena, SandboxId};
use crate::platform::scaling::ScalingWindow;
use crate::stats::timeline::Timeline;
use crate::storage::chunk::ImageVersion;
use crate::storage::fleet::Fleet;
use crate::traffic::ArrivalStream;

pub use crate::outcome::invocation::{InvocationRecord, InvocationSink};
use async_queue::Waiting;
use event_source::{Job, Route, SourceState};
use lazy::{BusyHeap, LazyCompletions};

/// Everything that can happen in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next request of traffic source `source` arrives.
    Arrival {
        /// Index of the source.
        source: u32,
    },
    /// A sandbox finishes its request (its init, if cold, came first).
    Complete {
        /// The sandbox.
        sandbox: SandboxId,
    },
    /// A scaling-window slot frees for a function whose async queue is waiting on it.
    ScaleRetry {
        /// Index of the function.
        function: u32,
    },
    /// A new version of a function is published (`Scenario::deploys[index]`).
    Deploy {
        /// Index into the scenario's deploys.
        index: u32,
    },
    /// A provisioned sandbox finishes its init and becomes available (a keyed event,
    /// cancelled if the sandbox goes away first).
    PcReady {
        /// The sandbox.
        sandbox: SandboxId,
    },
    /// A provisioned sandbox nears its lifetime: its replacement starts to initialise
    /// (keyed).
    PcRecycle {
        /// The sandbox.
        sandbox: SandboxId,
    },
    /// A recycled provisioned sandbox retires (its replacement is ready; keyed).
    PcRetire {
        /// The sandbox.
        sandbox: SandboxId,
    },
    /// A function's provisioned-concurrency schedule changes its count.
    PcSchedule {
        /// Index of the function.
        function: u32,
    },
    /// A function's warm-up pings arrive (a periodic event).
    Ping {
        /// Index of the function.
        function: u32,
    },
    /// An event source's pollers look again (a ramp step, a backoff, a batching window or
    /// a pause ended).
    SourceWake {
        /// Index of the event source.
        source: u32,
    },
    /// An on-demand sandbox nears its retirement: its replacement starts to initialise
    /// (keyed; valid only while the sandbox's `replace_seq` is the event's sequence, since
    /// a removed sandbox's id is reused).
    ReplaceStart {
        /// The retiring sandbox.
        sandbox: SandboxId,
    },
    /// A sandbox initialised off the request path (a replacement or a proactive init) is
    /// ready: it joins the idle pool.
    OffPathReady {
        /// The new sandbox.
        sandbox: SandboxId,
    },
}

/// Why a replication could not run or finish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The scenario cannot be set up (a trace file, the storage fleet): fix the input.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The per-invocation sink failed to write (the run itself completed). Shown as the
    /// write error itself.
    #[error(transparent)]
    Io {
        /// The first write error.
        source: std::io::Error,
    },
}

/// Per-function state of a replication. Laid out in declaration order, cache-line
/// aligned, with what every invocation touches in the first lines.
#[repr(C, align(64))]
struct FunctionState {
    idle: IdlePool,
    /// Busy sandboxes whose completion is processed lazily (see `lazy.rs`).
    busy: BusyHeap,
    /// Its reserved concurrency and requests in flight.
    slots: FunctionSlots,
    /// The handler time of the next request, drawn one request ahead (see `start_on`).
    next_handler: SimDuration,
    retry_scheduled: bool,
    /// Whether requests take a request path (lazy imports): checked at every start.
    has_paths: bool,
    handler_rng: Rng,
    lifecycle_rng: Rng,
    /// The published versions (deploys count up).
    versions: Versions,
    /// Provisioned concurrency, if configured.
    pc: Option<Box<ProvisionedConcurrency>>,
    stats: FunctionStats,
    scaling: ScalingWindow,
    waiting: VecDeque<Waiting>,
    cold_start_rng: Rng,
    /// Request-path draws (lazy imports).
    path_rng: Rng,
    /// Image functions: the current image version.
    image: Option<ImageVersion>,
    /// Scratch: each eager top-level import's time in the cold start being drawn.
    top_imports_us: Vec<u64>,
    /// Cold-start draws of pings (stream `ping_cold_start`), so user draws keep their order.
    ping_cold_rng: Rng,
    /// Proactive-init coin flips and the lifetimes of proactive sandboxes (stream
    /// `proactive_init`).
    proactive_rng: Rng,
    /// Routing draws of the policies that draw (stream `routing`).
    routing_rng: Rng,
    /// Cold-start draws of proactive inits (stream `proactive_cold_start`).
    proactive_cold_rng: Rng,
    /// Replacement decisions, lead times and replacement lifetimes (stream `replacement`).
    replacement_rng: Rng,
    /// Cold-start draws of replacement inits (stream `replacement_cold_start`).
    replacement_cold_rng: Rng,
}

impl FunctionState {
    fn new(sc: &Scenario, f: usize, streams: &RngStreams) -> Self {
        let function = &sc.functions[f];
        let name = &function.name;
        let mut handler_rng = streams.stream("handler", name);
        let cold_start = &function.cold_start;
        FunctionState {
            idle: IdlePool::default(),
            busy: BusyHeap::new(),
            slots: FunctionSlots::new(function.reserved_concurrency),
            scaling: ScalingWindow::new(sc.platform.scale_new, sc.platform.scale_window),
            waiting: VecDeque::new(),
            retry_scheduled: false,
            has_paths: cold_start.init().is_some_and(|i| !i.paths.is_empty()),
            next_handler: function.handler.sample(&mut handler_rng),
            handler_rng,
            cold_start_rng: streams.stream("cold_start", name),
            lifecycle_rng: streams.stream("lifecycle", name),
            path_rng: streams.stream("path", name),
            stats: FunctionStats::for_model(cold_start),
            versions: Versions::default(),
            image: fleet::image_code(cold_start).map(|c| c.version.clone()),
            top_imports_us: vec![0; cold_start.init().map_or(0, |i| i.eager.len())],
            pc: function.provisioned.as_ref().map(|schedule| {
                Box::new(ProvisionedConcurrency::new(
                    schedule.clone(),
                    streams.stream("provisioned_lifetime", name),
                    streams.stream("provisioned_cold_start", name),
                ))
            }),
            ping_cold_rng: streams.stream("ping_cold_start", name),
            proactive_rng: streams.stream("proactive_init", name),
            routing_rng: streams.stream("routing", name),
            proactive_cold_rng: streams.stream("proactive_cold_start", name),
            replacement_rng: streams.stream("replacement", name),
            replacement_cold_rng: streams.stream("replacement_cold_start", name),
        }
    }
}

/// The platform's policies, the same for every function.
struct Policies {
    keep_alive: KeepAlive,
    retirement: MaxLifetime,
    proactive: ProactiveShare,
    routing: Routing,
}

/// All state of one replication.
pub struct World<'a> {
    sc: &'a Scenario,
    replication: u32,
    queue: EventQueue<Event>,
    sources: Vec<ArrivalStream>,
    /// Per traffic source: the function it calls and how its requests reach it.
    targets: Vec<(u32, Route)>,
    /// Event sources (async through pollers, SQS, streams), in traffic order.
    event_sources: Vec<SourceState>,
    /// Per sandbox slot: the event source batch it runs, if any.
    jobs: Vec<Option<Job>>,
    functions: Vec<FunctionState>,
    sandboxes: SandboxArena,
    concurrency: Concurrency,
    policies: Policies,
    /// Arrivals from here on count.
    measure_from: SimTime,
    /// No arrival at or after this.
    end: SimTime,
    /// Functions whose async queue is not empty.
    functions_waiting: usize,
    sink: Option<&'a mut dyn InvocationSink>,
    sink_error: Option<std::io::Error>,
    /// Requests in flight, those whose lazy completion is due but not processed included.
    in_flight: u32,
    peak_in_flight: u32,
    /// Key of the event being handled: lazy completions ordered before it have happened.
    current: EventKey,
    /// Completions processed lazily (see `lazy.rs`).
    lazy: LazyCompletions,
    /// Workers, AZs and their chunk caches (when a function is an image).
    fleet: Option<Fleet>,
    /// Pending keyed events of provisioned sandboxes, cancelled when the sandbox goes away.
    pc_events: Vec<(SandboxId, EventKey)>,
    /// The latest time of a cancelled event. The run's last instant counts it, as it would
    /// have counted the event itself (finish reclaims idle sandboxes expired by then).
    cancelled_until: SimTime,
}

/// Events between two progress reports.
const PROGRESS_EVERY_EVENTS: u64 = 1 << 16;

impl<'a> World<'a> {
    /// Sets up replication `replication` of `sc`: streams seeded, first arrivals scheduled;
    /// each function's timeline keeps buckets or only totals, as `timeline` says.
    pub fn new(
        sc: &'a Scenario,
        replication: u32,
        sink: Option<&'a mut dyn InvocationSink>,
        timeline: TimelineDetail,
    ) -> Result<Self, InputError> {
        let streams = RngStreams::new(replication_seed(sc.seed, replication));
        let functions = (0..sc.functions.len())
            .map(|f| FunctionState::new(sc, f, &streams))
            .collect();
        let fleet = fleet::build_fleet(sc, &streams)?;
        let end = SimTime::ZERO + sc.duration;
        let mut queue = EventQueue::new();
        let sources = start_sources(sc, &streams, &mut queue)?;
        for (i, d) in sc.deploys.iter().enumerate() {
            queue.push(SimTime::ZERO + d.at, Event::Deploy { index: i as u32 });
        }
        let (targets, event_sources) = routes(sc, &streams);
        // A source's completion decides about its batch and pumps every source: eager.
        let lazy = LazyCompletions::new(sink.is_none() && event_sources.is_empty());
        let reserved = sc.functions.iter().map(|f| f.reserved_concurrency);
        let policies = Policies {
            keep_alive: KeepAlive::Fixed(FixedKeepAlive {
                idle: sc.platform.keep_alive.clone(),
            }),
            retirement: MaxLifetime {
                lifetime: sc.platform.max_lifetime.clone(),
                replacement_share: sc.platform.replacement_share,
                replacement_lead: sc.platform.replacement_lead.clone(),
            },
            proactive: ProactiveShare {
                share: sc.platform.proactive_init_share,
            },
            routing: sc.platform.routing,
        };
        let mut world = World {
            sc,
            replication,
            queue,
            sources,
            targets,
            event_sources,
            jobs: Vec::new(),
            functions,
            sandboxes: SandboxArena::default(),
            concurrency: Concurrency::new(sc.platform.account_concurrency, reserved),
            policies,
            measure_from: SimTime::ZERO + sc.warmup,
            end,
            functions_waiting: 0,
            sink,
            sink_error: None,
            in_flight: 0,
            peak_in_flight: 0,
            current: EventKey {
                time: SimTime::ZERO,
                seq: 0,
            },
            lazy,
            fleet,
            pc_events: Vec::new(),
            cancelled_until: SimTime::ZERO,
        };
        world.start_mitigations(timeline);
        for s in 0..world.event_sources.len() {
            let f = world.event_sources[s].function();
            world.functions[f].stats.events.on = true;
        }
        Ok(world)
    }

    /// Sets up what mitigations need at time zero: the timeline (with buckets or totals
    /// only, as `timeline` says), provisioned sandboxes ready (initialised ahead of traffic,
    /// before the run starts), the first schedule change and the first pings.
    fn start_mitigations(&mut self, timeline: TimelineDetail) {
        let proactive = self.policies.proactive.is_on();
        let replaces = self.policies.retirement.replaces();
        for f in 0..self.functions.len() {
            let function = &self.sc.functions[f];
            let on = proactive || function.provisioned.is_some() || function.pings.is_some();
            let fs = &mut self.functions[f];
            fs.stats.mitigations = on;
            fs.stats.report_replacements = replaces;
            let duration_us = self.sc.duration.as_us();
            fs.stats.timeline = match timeline {
                TimelineDetail::Buckets => Timeline::new(duration_us),
                TimelineDetail::TotalsOnly => Timeline::totals_only(duration_us),
            }
            .measured_from(self.measure_from.as_us());
            self.start_pings(f);
            self.start_provisioned(f);
        }
    }

    /// Runs to the end: arrivals stop at the scenario's duration, then requests in flight
    /// and queued are drained. `progress` is advanced by simulated microseconds.
    pub fn run(mut self, progress: Option<&AtomicU64>) -> std::io::Result<RunStats> {
        let mut events = 0u64;
        let mut reported = SimTime::ZERO;
        let mut now = SimTime::ZERO;
        loop {
            let sources = &mut self.sources;
            let end = self.end;
            let popped = self.queue.pop_and_reschedule(|_, ev| match *ev {
                Event::Arrival { source } => {
                    let next = sources[source as usize]
                        .next_arrival()
                        .filter(|&t| t < end)
                        .map(|t| (t, Event::Arrival { source }));
                    (*ev, next)
                }
                other => (other, None),
            });
            let Some((key, ev)) = popped else { break };
            self.current = key;
            now = key.time;
            self.dispatch(key, ev);
            events += 1;
            if let Some(p) = progress.filter(|_| events.is_multiple_of(PROGRESS_EVERY_EVENTS)) {
                let upto = now.min(self.end);
                p.fetch_add(upto.0 - reported.0, Ordering::Relaxed);
                reported = upto;
            }
        }
        now = now.max(self.complete_all_lazy()).max(self.cancelled_until);
        if let Some(p) = progress {
            p.fetch_add(self.end.0.saturating_sub(reported.0), Ordering::Relaxed);
        }
        if let Some(e) = self.sink_error.take() {
            return Err(e);
        }
        Ok(self.finish(now))
    }

    /// Handles one event: the one place every kind of event is matched.
    #[inline]
    fn dispatch(&mut self, key: EventKey, ev: Event) {
        let now = key.time;
        match ev {
            Event::Arrival { source } => self.on_arrival(now, source as usize),
            Event::Complete { sandbox } => self.on_complete(now, sandbox),
            Event::ScaleRetry { function } => self.on_scale_retry(now, function as usize),
            Event::Deploy { index } => self.on_deploy(now, index as usize),
            Event::PcReady { sandbox } => self.on_pc_ready(key, sandbox),
            Event::PcRecycle { sandbox } => self.on_pc_recycle(key, sandbox),
            Event::PcRetire { sandbox } => self.on_pc_retire(key, sandbox),
            Event::PcSchedule { function } => self.on_pc_schedule(now, function as usize),
            Event::Ping { function } => self.on_ping(now, function as usize),
            Event::SourceWake { source } => self.on_source_wake(now, source as usize),
            Event::ReplaceStart { sandbox } => self.on_replace_start(key, sandbox),
            Event::OffPathReady { sandbox } => self.on_offpath_ready(now, sandbox),
        }
    }

    fn finish(mut self, last_event: SimTime) -> RunStats {
        let final_time = last_event.max(self.end);
        let measure_end = self.end;
        for f in 0..self.functions.len() {
            self.accrue_provisioned(f, self.end);
            let fs = &mut self.functions[f];
            let stats = &mut fs.stats;
            fs.idle.drain(
                final_time,
                &mut self.sandboxes,
                |t, cause, _| count_reclaim(stats, cause, t),
                |_| {},
            );
            stats.timeline.finish();
            stats.finish_idle(self.sc.functions[f].memory_mb);
            let reclaimed = stats.reclaimed_keep_alive
                + stats.retired_lifetime
                + stats.replaced_by_deploy
                + stats.provisioned_released;
            stats.alive_at_end = stats.sandboxes_created - reclaimed;
            stats.pending_at_end = fs.waiting.len() as u64;
        }
        for src in &self.event_sources {
            let f = src.function();
            self.functions[f].stats.events.pending_at_end += src.pending();
        }
        debug_assert_eq!(self.lazy.pending(), 0);
        RunStats {
            functions: self.functions.into_iter().map(|f| f.stats).collect(),
            measured: measure_end - self.measure_from,
            drained_at: final_time,
            peak_in_flight_total: self.peak_in_flight,
        }
    }
}

/// How each traffic source of `sc` reaches its function, and the event sources among
/// them (with their function-error streams, `event_errors`).
fn routes(sc: &Scenario, streams: &RngStreams) -> (Vec<(u32, Route)>, Vec<SourceState>) {
    let mut sources = Vec::new();
    let targets = sc
        .traffic
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let route = match t.delivery {
                Delivery::Sync => Route::Sync,
                Delivery::Async(_) if sc.platform.async_immediate => Route::Queue,
                d => {
                    let function = &sc.functions[t.function];
                    let key = format!("{i}:{}", function.name);
                    sources.push(SourceState::new(
                        t.function as u32,
                        d,
                        sc.platform.account_concurrency,
                        function.error_rate,
                        streams.stream("event_errors", &key),
                    ));
                    Route::Source(sources.len() as u32 - 1)
                }
            };
            (t.function as u32, route)
        })
        .collect();
    (targets, sources)
}

/// The traffic sources of `sc`, each with its first arrival (if before the end) scheduled.
fn start_sources(
    sc: &Scenario,
    streams: &RngStreams,
    queue: &mut EventQueue<Event>,
) -> Result<Vec<ArrivalStream>, InputError> {
    let end = SimTime::ZERO + sc.duration;
    let mut sources = Vec::with_capacity(sc.traffic.len());
    for (i, t) in sc.traffic.iter().enumerate() {
        let key = format!("{i}:{}", sc.functions[t.function].name);
        let mut s = ArrivalStream::new(&t.process, streams.stream("arrivals", &key))?;
        if let Some(first) = s.next_arrival().filter(|&t| t < end) {
            queue.push_stream(first, Event::Arrival { source: i as u32 });
        }
        sources.push(s);
    }
    Ok(sources)
}

/// Counts an idle sandbox going away, by cause.
#[inline]
fn count_reclaim(stats: &mut FunctionStats, cause: ReclaimCause, at: SimTime) {
    match cause {
        ReclaimCause::KeepAlive => stats.reclaimed_keep_alive += 1,
        ReclaimCause::Lifetime => stats.retired_lifetime += 1,
    }
    stats.timeline.record_died(at.as_us());
}

/// Whether a run keeps each function's timeline per bucket (for plots and `--report`) or
/// only its totals (the live sandbox-time behind `sandboxes.mean_live` and `idle_gb_s`):
/// every figure is the same either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimelineDetail {
    /// [`crate::stats::timeline::TIMELINE_BUCKETS`] buckets per function.
    Buckets,
    /// No buckets: nothing is allocated or written per bucket.
    TotalsOnly,
}

/// Runs replication `replication` of `sc` and returns its statistics, finished (see
/// [`RunStats::finish_records`]), with each function's timeline per bucket.
pub fn run<'a>(
    sc: &'a Scenario,
    replication: u32,
    sink: Option<&'a mut dyn InvocationSink>,
    progress: Option<&AtomicU64>,
) -> Result<RunStats, SimError> {
    let mut stats = run_unfinished(sc, replication, sink, progress, TimelineDetail::Buckets)?;
    stats.finish_records();
    Ok(stats)
}

/// [`run`] with the timelines' detail chosen, and each function's records left to finish:
/// call [`crate::outcome::FunctionStats::finish_records`] on a function before reading its
/// `latency`, `duration`, `billed_duration` or `billed_handler_ms`. The runner finishes one
/// function at a time and drops its tables before the next, so the 100 functions of the
/// reference workload do not hold their final tables (about 40 KB each) at once. Crate-only
/// (the runner is its one caller): outside, [`run`] returns every function finished.
pub(crate) fn run_unfinished<'a>(
    sc: &'a Scenario,
    replication: u32,
    sink: Option<&'a mut dyn InvocationSink>,
    progress: Option<&AtomicU64>,
    timeline: TimelineDetail,
) -> Result<RunStats, SimError> {
    World::new(sc, replication, sink, timeline)?
        .run(progress)
        .map_err(|source| SimError::Io { source })
}

#[cfg(test)]
mod layout_tests {
    use super::FunctionState;
    use std::mem::{offset_of, size_of};

    /// What every invocation reads or updates in a function's state (its idle pool, its
    /// heap of busy sandboxes, its concurrency slots, handler draws, streams, version and
    /// provisioned-concurrency check) fills the first three cache lines, and the statistics
    /// start on the fourth, so their counters share one line (see `FunctionStats`). Bytes
    /// counted by hand: 32 (idle pool) + 24 (busy heap) + 12 (+ 4 padding) + 8 + 2 (+ 6) +
    /// 32 + 32 (two streams) + 4 (+ 4) + 8 = 168, and the statistics aligned to the next
    /// line.
    #[test]
    fn the_state_every_invocation_touches_fills_the_first_three_cache_lines() {
        assert_eq!(offset_of!(FunctionState, idle), 0);
        assert_eq!(offset_of!(FunctionState, busy), 32);
        assert_eq!(offset_of!(FunctionState, slots), 56);
        assert_eq!(
            offset_of!(FunctionState, pc) + size_of::<Option<Box<super::ProvisionedConcurrency>>>(),
            168
        );
        assert_eq!(offset_of!(FunctionState, stats), 192);
    }
}
