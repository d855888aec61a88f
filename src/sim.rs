//! One replication of a scenario: the [`World`] holds all state, [`Event`] is every thing that
//! can happen, and [`World::run`] dispatches them in one place. Single-threaded and
//! deterministic: the same scenario and seed give the same numbers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::coldstart::ColdStartDraw;
use crate::config::{Invocation, Scenario};
use crate::engine::rng::replication_seed;
use crate::engine::{EventQueue, Rng, RngStreams, SimDuration, SimTime};
use crate::error::InputResult;
use crate::platform::keepalive::{FixedKeepAlive, KeepAliveDecision, KeepAlivePolicy};
use crate::platform::limits::Concurrency;
use crate::platform::pool::{IdlePool, ReclaimCause};
use crate::platform::sandbox::{Request, Sandbox, SandboxArena, SandboxId};
use crate::platform::scaling::ScalingWindow;
use crate::stats::{FunctionStats, RunStats};
use crate::traffic::ArrivalStream;

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
}

/// One finished invocation, for the per-invocation CSV.
#[derive(Clone, Copy, Debug)]
pub struct InvocationRecord {
    /// Index of the function.
    pub function: u32,
    /// The sandbox that served it.
    pub sandbox: u32,
    /// Request details.
    pub request: Request,
    /// When it finished.
    pub end: SimTime,
}

/// Receives every counted invocation as it finishes (streamed, never stored).
pub trait InvocationSink {
    /// Called once per finished invocation.
    fn record(&mut self, replication: u32, rec: &InvocationRecord) -> std::io::Result<()>;
}

/// A request waiting in a function's async queue.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    arrival: SimTime,
    counted: bool,
}

/// Why a request could not start now.
enum Blocked {
    /// A concurrency limit (function or account).
    Concurrency,
    /// The scaling window; a slot frees at this time.
    Scaling(SimTime),
}

/// Per-function state of a replication.
struct FunctionState {
    idle: IdlePool,
    scaling: ScalingWindow,
    waiting: VecDeque<Waiting>,
    retry_scheduled: bool,
    handler_rng: Rng,
    cold_start_rng: Rng,
    lifecycle_rng: Rng,
    stats: FunctionStats,
}

/// All state of one replication.
pub struct World<'a> {
    sc: &'a Scenario,
    replication: u32,
    queue: EventQueue<Event>,
    sources: Vec<ArrivalStream>,
    functions: Vec<FunctionState>,
    sandboxes: SandboxArena,
    concurrency: Concurrency,
    keep_alive: FixedKeepAlive,
    /// Arrivals from here on count.
    measure_from: SimTime,
    /// No arrival at or after this.
    end: SimTime,
    /// Functions whose async queue is not empty.
    functions_waiting: usize,
    sink: Option<&'a mut dyn InvocationSink>,
    sink_error: Option<std::io::Error>,
    in_flight: u32,
    peak_in_flight: u32,
}

/// Simulated microseconds between two progress reports.
const PROGRESS_EVERY_EVENTS: u64 = 1 << 16;

impl<'a> World<'a> {
    /// Sets up replication `replication` of `sc`: streams seeded, first arrivals scheduled.
    pub fn new(
        sc: &'a Scenario,
        replication: u32,
        sink: Option<&'a mut dyn InvocationSink>,
    ) -> InputResult<Self> {
        let streams = RngStreams::new(replication_seed(sc.seed, replication));
        let functions = sc
            .functions
            .iter()
            .map(|f| FunctionState {
                idle: IdlePool::default(),
                scaling: ScalingWindow::new(sc.platform.scale_new, sc.platform.scale_window),
                waiting: VecDeque::new(),
                retry_scheduled: false,
                handler_rng: streams.stream("handler", &f.name),
                cold_start_rng: streams.stream("cold_start", &f.name),
                lifecycle_rng: streams.stream("lifecycle", &f.name),
                stats: FunctionStats::default(),
            })
            .collect();
        let end = SimTime::ZERO + sc.duration;
        let mut queue = EventQueue::new();
        let mut sources = Vec::with_capacity(sc.traffic.len());
        for (i, t) in sc.traffic.iter().enumerate() {
            let key = format!("{i}:{}", sc.functions[t.function].name);
            let mut s = ArrivalStream::new(&t.process, streams.stream("arrivals", &key))?;
            if let Some(first) = s.next_arrival().filter(|&t| t < end) {
                queue.push_stream(first, Event::Arrival { source: i as u32 });
            }
            sources.push(s);
        }
        Ok(World {
            sc,
            replication,
            queue,
            sources,
            functions,
            sandboxes: SandboxArena::default(),
            concurrency: Concurrency::new(
                sc.platform.account_concurrency,
                sc.functions
                    .iter()
                    .map(|f| f.reserved_concurrency)
                    .collect(),
            ),
            keep_alive: FixedKeepAlive {
                idle: sc.platform.keep_alive.clone(),
            },
            measure_from: SimTime::ZERO + sc.warmup,
            end,
            functions_waiting: 0,
            sink,
            sink_error: None,
            in_flight: 0,
            peak_in_flight: 0,
        })
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
            let Some((t, ev)) = popped else { break };
            now = t;
            match ev {
                Event::Arrival { source } => self.on_arrival(now, source as usize),
                Event::Complete { sandbox } => self.on_complete(now, sandbox),
                Event::ScaleRetry { function } => {
                    let f = function as usize;
                    self.functions[f].retry_scheduled = false;
                    self.dispatch_waiting(now, f);
                }
            }
            events += 1;
            if let Some(p) = progress.filter(|_| events.is_multiple_of(PROGRESS_EVERY_EVENTS)) {
                let upto = now.min(self.end);
                p.fetch_add(upto.0 - reported.0, Ordering::Relaxed);
                reported = upto;
            }
        }
        if let Some(p) = progress {
            p.fetch_add(self.end.0.saturating_sub(reported.0), Ordering::Relaxed);
        }
        if let Some(e) = self.sink_error.take() {
            return Err(e);
        }
        Ok(self.finish(now))
    }

    fn finish(mut self, last_event: SimTime) -> RunStats {
        let final_time = last_event.max(self.end);
        let measure_end = self.end;
        for fs in &mut self.functions {
            let stats = &mut fs.stats;
            fs.idle.drain(
                final_time,
                &mut self.sandboxes,
                |_, cause, _| match cause {
                    ReclaimCause::KeepAlive => stats.reclaimed_keep_alive += 1,
                    ReclaimCause::Lifetime => stats.retired_lifetime += 1,
                },
                |_| {},
            );
            let reclaimed = stats.reclaimed_keep_alive + stats.retired_lifetime;
            stats.alive_at_end = stats.sandboxes_created - reclaimed;
            stats.pending_at_end = fs.waiting.len() as u64;
            stats.close(measure_end, self.measure_from, measure_end);
        }
        RunStats {
            functions: self.functions.into_iter().map(|f| f.stats).collect(),
            measured: measure_end - self.measure_from,
            drained_at: final_time,
            peak_in_flight_total: self.peak_in_flight,
        }
    }

    fn on_arrival(&mut self, now: SimTime, source: usize) {
        let t = &self.sc.traffic[source];
        let f = t.function;
        let counted = now >= self.measure_from;
        let fs = &mut self.functions[f];
        fs.stats.arrivals += counted as u64;
        let is_async = t.invocation == Invocation::Async;
        if is_async && !fs.waiting.is_empty() {
            // First come, first served: the queue head is blocked, so this one waits too.
            fs.waiting.push_back(Waiting {
                arrival: now,
                counted,
            });
            fs.stats.queued += counted as u64;
            return;
        }
        match self.try_start(now, f, now, counted) {
            Ok(()) => {}
            Err(blocked) if is_async => {
                let fs = &mut self.functions[f];
                fs.waiting.push_back(Waiting {
                    arrival: now,
                    counted,
                });
                fs.stats.queued += counted as u64;
                self.functions_waiting += 1;
                self.schedule_retry(f, blocked);
            }
            Err(_) => self.functions[f].stats.throttles += counted as u64,
        }
    }

    fn schedule_retry(&mut self, f: usize, blocked: Blocked) {
        if let Blocked::Scaling(at) = blocked {
            let fs = &mut self.functions[f];
            if !fs.retry_scheduled {
                fs.retry_scheduled = true;
                self.queue
                    .push(at, Event::ScaleRetry { function: f as u32 });
            }
        }
    }

    /// Starts a request that arrived at `arrival` on function `f` now, warm if an idle
    /// sandbox is alive, else cold if the limits allow a new sandbox.
    #[inline]
    fn try_start(
        &mut self,
        now: SimTime,
        f: usize,
        arrival: SimTime,
        counted: bool,
    ) -> Result<(), Blocked> {
        if !self.concurrency.can_admit(f) {
            return Err(Blocked::Concurrency);
        }
        let fs = &mut self.functions[f];
        let stats = &mut fs.stats;
        let warm = fs
            .idle
            .take_live(now, &mut self.sandboxes, |_, cause, _| match cause {
                ReclaimCause::KeepAlive => stats.reclaimed_keep_alive += 1,
                ReclaimCause::Lifetime => stats.retired_lifetime += 1,
            });
        match warm {
            Some(id) => {
                self.start_on(now, id, arrival, counted, None);
                Ok(())
            }
            None => {
                fs.scaling.try_take(now).map_err(Blocked::Scaling)?;
                let function = &self.sc.functions[f];
                let draw = function.cold_start.draw(&mut fs.cold_start_rng);
                let lifetime = self.sc.platform.max_lifetime.sample(&mut fs.lifecycle_rng);
                fs.stats.sandboxes_created += 1;
                let id = self.sandboxes.insert(Sandbox {
                    function: f as u32,
                    born: now,
                    retire_at: now + lifetime,
                    idle_until: SimTime::NEVER,
                    request: Request::default(),
                });
                self.start_on(now, id, arrival, counted, Some(draw));
                Ok(())
            }
        }
    }

    /// Runs a request on sandbox `id`, after a cold start if `cold` is given.
    #[inline]
    fn start_on(
        &mut self,
        now: SimTime,
        id: SandboxId,
        arrival: SimTime,
        counted: bool,
        cold: Option<ColdStartDraw>,
    ) {
        let f = self.sandboxes.get(id).function as usize;
        let fs = &mut self.functions[f];
        let handler = self.sc.functions[f].handler.sample(&mut fs.handler_rng);
        let (cold_latency, init) = match &cold {
            Some(d) => (d.cold_latency, d.init_duration),
            None => (SimDuration::ZERO, SimDuration::ZERO),
        };
        if counted {
            fs.stats.invocations += 1;
            match &cold {
                Some(d) => fs.stats.record_cold_start(d),
                None => fs.stats.warm_starts += 1,
            }
        }
        fs.stats
            .change_in_flight(now, self.measure_from, self.end, true);
        self.concurrency.admit(f);
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
        self.sandboxes.get_mut(id).request = Request {
            arrival,
            start: now,
            cold_latency,
            init,
            handler,
            counted,
            cold: cold.is_some(),
        };
        self.queue.push(
            now + cold_latency + handler,
            Event::Complete { sandbox: id },
        );
    }

    fn on_complete(&mut self, now: SimTime, id: SandboxId) {
        let sandbox = *self.sandboxes.get(id);
        let f = sandbox.function as usize;
        let req = sandbox.request;
        self.concurrency.release(f);
        self.in_flight -= 1;
        let fs = &mut self.functions[f];
        fs.stats
            .change_in_flight(now, self.measure_from, self.end, false);
        if req.counted {
            fs.stats.record_completion(
                now - req.arrival,
                req.start - req.arrival,
                req.init,
                req.handler,
            );
            if let Some(sink) = self.sink.as_deref_mut() {
                let rec = InvocationRecord {
                    function: f as u32,
                    sandbox: id.0,
                    request: req,
                    end: now,
                };
                if let Err(e) = sink.record(self.replication, &rec) {
                    self.sink_error.get_or_insert(e);
                }
            }
        }
        if now >= sandbox.retire_at {
            fs.stats.retired_lifetime += 1;
            self.sandboxes.remove(id);
        } else if let Some(w) = fs.waiting.pop_front() {
            if fs.waiting.is_empty() {
                self.functions_waiting -= 1;
            }
            // The request that waited longest takes the sandbox now free.
            self.start_on(now, id, w.arrival, w.counted, None);
        } else {
            match self.keep_alive.on_idle(now, &mut fs.lifecycle_rng) {
                KeepAliveDecision::KeepUntil(t) => {
                    self.sandboxes.get_mut(id).idle_until = t.min(sandbox.retire_at);
                    fs.idle.push(id);
                }
                KeepAliveDecision::TerminateNow => {
                    fs.stats.reclaimed_keep_alive += 1;
                    self.sandboxes.remove(id);
                }
            }
        }
        if self.functions_waiting > 0 {
            for g in 0..self.functions.len() {
                self.dispatch_waiting(now, g);
            }
        }
    }

    /// Starts as many of function `f`'s queued requests as the limits allow now.
    fn dispatch_waiting(&mut self, now: SimTime, f: usize) {
        while let Some(&w) = self.functions[f].waiting.front() {
            match self.try_start(now, f, w.arrival, w.counted) {
                Ok(()) => {
                    let fs = &mut self.functions[f];
                    fs.waiting.pop_front();
                    if fs.waiting.is_empty() {
                        self.functions_waiting -= 1;
                    }
                }
                Err(blocked) => {
                    self.schedule_retry(f, blocked);
                    return;
                }
            }
        }
    }
}

/// Runs replication `replication` of `sc` and returns its statistics.
pub fn run<'a>(
    sc: &'a Scenario,
    replication: u32,
    sink: Option<&'a mut dyn InvocationSink>,
    progress: Option<&AtomicU64>,
) -> InputResult<std::io::Result<RunStats>> {
    Ok(World::new(sc, replication, sink)?.run(progress))
}
