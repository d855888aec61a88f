//! Arrivals and starts: a request takes an idle sandbox (provisioned first, then on-demand,
//! chosen by the routing policy), else cold-starts a new one if the concurrency limits and the
//! scaling window admit it; everything about the request is recorded when it starts.

use rand::Rng as _;

use super::async_queue::Blocked;
use super::event_source::Route;
use super::fleet::image_access;
use super::lazy::Busy;
use super::offpath::OffPath;
use super::{Event, FunctionState, World, count_reclaim};
use crate::coldstart::{ColdStartDraw, DrawEnv, InitKind};
use crate::engine::{SimDuration, SimTime};
use crate::platform::proactive::{ProactiveDecision, ProactiveInitPolicy};
use crate::platform::retirement::RetirementPolicy;
use crate::platform::sandbox::{PcRole, Request, Sandbox, SandboxId, SandboxState};

impl World<'_> {
    /// A request of traffic source `source` arrives: it starts, waits (async) or is
    /// throttled (sync).
    pub(super) fn on_arrival(&mut self, now: SimTime, source: usize) {
        let (f, route) = self.targets[source];
        let f = f as usize;
        let counted = now >= self.measure_from;
        // The function's own in-flight count is exact once its due completions are in (and
        // a start would process them first anyway).
        self.complete_due(f);
        let fs = &mut self.functions[f];
        if counted {
            fs.stats.in_flight_seen_by_arrivals += u64::from(fs.slots.in_flight());
        }
        fs.stats.arrivals += counted as u64;
        if let Route::Source(s) = route {
            return self.source_arrival(now, s as usize, counted);
        }
        let is_async = route == Route::Queue;
        if is_async && !fs.waiting.is_empty() {
            // First come, first served: the queue head is blocked, so this one waits too.
            self.enqueue(now, f, counted);
            return;
        }
        match self.try_start_due(now, f, now, counted, false) {
            Ok(_) => {}
            Err(blocked) if is_async => self.wait(now, f, counted, blocked),
            Err(_) => self.functions[f].stats.throttles += counted as u64,
        }
    }

    /// Starts a request that arrived at `arrival` on function `f` now, warm if an idle
    /// sandbox is alive, else cold if the limits allow a new sandbox; returns the sandbox.
    #[inline]
    pub(super) fn try_start(
        &mut self,
        now: SimTime,
        f: usize,
        arrival: SimTime,
        counted: bool,
        ping: bool,
    ) -> Result<SandboxId, Blocked> {
        self.complete_due(f);
        self.try_start_due(now, f, arrival, counted, ping)
    }

    /// [`Self::try_start`] once `f`'s due completions are processed (nothing happened
    /// since).
    #[inline(always)]
    fn try_start_due(
        &mut self,
        now: SimTime,
        f: usize,
        arrival: SimTime,
        counted: bool,
        ping: bool,
    ) -> Result<SandboxId, Blocked> {
        if !self.can_admit(f) {
            return Err(Blocked::Concurrency);
        }
        let fs = &mut self.functions[f];
        // An idle provisioned sandbox first, then an idle on-demand one.
        let warm = match fs.pc.as_mut().and_then(|pc| pc.take_idle()) {
            Some(id) => Some(id),
            None => {
                let stats = &mut fs.stats;
                fs.idle.take_live(
                    now,
                    &mut self.sandboxes,
                    &self.policies.routing,
                    &mut fs.routing_rng,
                    |t, cause, _| count_reclaim(stats, cause, t),
                )
            }
        };
        match warm {
            Some(id) => {
                self.start_on(now, f, id, arrival, counted, ping, None);
                Ok(id)
            }
            None => {
                fs.scaling.try_take(now).map_err(Blocked::Scaling)?;
                Ok(self.start_cold(now, f, arrival, counted, ping))
            }
        }
    }

    /// Creates a sandbox of `f` for a request the limits admitted: a cold start on the
    /// request path. The retirement policy decides whether the sandbox's retirement will be
    /// replaced, and the proactive-init policy whether the platform initialises one more
    /// sandbox beside it, off the request path.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    fn start_cold(
        &mut self,
        now: SimTime,
        f: usize,
        arrival: SimTime,
        counted: bool,
        ping: bool,
    ) -> SandboxId {
        let fs = &mut self.functions[f];
        let function = &self.sc.functions[f];
        let image = image_access(&mut self.fleet, fs.image.as_ref());
        let rng = if ping {
            &mut fs.ping_cold_rng
        } else {
            &mut fs.cold_start_rng
        };
        let draw = function.cold_start.draw(&mut DrawEnv {
            kind: InitKind::OnDemand,
            rng,
            now,
            function: f as u32,
            image,
            top_import_us: &mut fs.top_imports_us,
        });
        let retire_at = self
            .policies
            .retirement
            .retire_at(now, &mut fs.lifecycle_rng);
        let mut sandbox = Sandbox::new(f as u32, now, retire_at);
        sandbox.version = fs.versions.current();
        sandbox.worker = draw.worker;
        sandbox.loaded = draw.loaded;
        let id = self.sandboxes.insert(sandbox);
        // The idle pool is empty and `f`'s due completions are in: the live count is exact.
        fs.stats.record_sandbox_created(now.as_us());
        if counted && !ping && fs.pc.as_ref().is_some_and(|pc| pc.target() > 0) {
            fs.stats.spillover_cold_starts += 1;
        }
        self.start_on(now, f, id, arrival, counted, ping, Some(&draw));
        self.schedule_replacement(now, f, id);
        let fs = &mut self.functions[f];
        if self.policies.proactive.on_cold_start(&mut fs.proactive_rng)
            == ProactiveDecision::PrepareAnother
        {
            self.spawn_offpath(now, f, OffPath::Proactive);
        }
        id
    }

    /// Whether the concurrency limits admit one more request of `f` now. `f`'s own count
    /// is exact (its due completions are processed); the account's may include other
    /// functions' completions not processed yet, so a refusal is checked again after
    /// processing them.
    #[inline]
    fn can_admit(&mut self, f: usize) -> bool {
        let slots = &self.functions[f].slots;
        if self.concurrency.can_admit(slots) {
            return true;
        }
        if self.lazy.pending() == 0 || slots.is_reserved() {
            return false;
        }
        self.complete_all_due();
        self.concurrency.can_admit(&self.functions[f].slots)
    }

    /// Runs a request on sandbox `id` of function `f`, after a cold start if `cold` is
    /// given, and records it: everything about it is known now. Always inlined: into the
    /// warm start in the event loop, the hot path, and into the rare callers, which are
    /// themselves out of line.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // the hot path: plain arguments, no struct to build
    pub(super) fn start_on(
        &mut self,
        now: SimTime,
        f: usize,
        id: SandboxId,
        arrival: SimTime,
        counted: bool,
        ping: bool,
        cold: Option<&ColdStartDraw>,
    ) {
        let function = &self.sc.functions[f];
        let mut handler = match (ping, function.pings.as_ref()) {
            // A ping runs for its fixed duration: no handler draw, no request path.
            (true, Some(p)) => p.duration,
            _ => self.functions[f].next_handler(function),
        };
        let (cold_latency, init) = match cold {
            Some(d) => (d.cold_latency, d.init_duration),
            None => (SimDuration::ZERO, SimDuration::ZERO),
        };
        if ping {
            self.record_ping(f, counted, init + handler, cold);
        } else if self.functions[f].has_paths {
            handler += self.request_path(now + cold_latency, f, id, counted);
        }
        // From here on `counted` means a user request that counts: pings are recorded above.
        let req = Request {
            arrival,
            start: now,
            cold_latency,
            init,
            handler,
            counted: counted && !ping,
            cold: cold.is_some(),
        };
        let done = now + cold_latency + handler;
        // The rest looks the function's state and the sandbox up once each.
        let fs = &mut self.functions[f];
        let sandbox = self.sandboxes.get_mut(id);
        let on_pc = sandbox.pc != PcRole::OnDemand;
        fs.record_request(&req, done, on_pc, cold, self.measure_from, self.end);
        debug_assert!(
            cold.is_some() || sandbox.state_at(now) == SandboxState::Idle,
            "a warm start needs an idle sandbox"
        );
        sandbox.take_request(now + cold_latency, done);
        if self.sink.is_some() {
            sandbox.request = req;
        }
        let busy = Busy {
            sandbox: id,
            retire_at: sandbox.retire_at,
        };
        self.concurrency.admit(&mut fs.slots);
        fs.stats.peak_in_flight = fs.stats.peak_in_flight.max(fs.slots.in_flight());
        // The completion: kept lazily when allowed and no request waits in a queue, else an
        // event.
        if self.lazy.allowed() && self.functions_waiting == 0 {
            let key = self.queue.reserve(done);
            self.lazy.defer(&mut fs.busy, key, busy);
        } else {
            self.queue.push(done, Event::Complete { sandbox: id });
        }
        self.in_flight += 1;
        // Lazy completions the tally already counts as past are not in flight; without
        // advancing the tally this is a quick upper bound of the true count.
        if self.in_flight - self.lazy.known_past(now, false) > self.peak_in_flight {
            self.raise_peak(now);
        }
    }

    /// Records a ping of `f` billed for `billed` (its init, if cold, and its handler).
    fn record_ping(
        &mut self,
        f: usize,
        counted: bool,
        billed: SimDuration,
        cold: Option<&ColdStartDraw>,
    ) {
        if !counted {
            return;
        }
        let fs = &mut self.functions[f];
        let stats = &mut fs.stats;
        stats.pings += 1;
        stats.ping_billed_ms += billed.as_us().div_ceil(1_000);
        if let Some(d) = cold {
            stats.ping_cold_starts += 1;
            stats.record_offpath_init(d);
            stats.record_top_imports(&fs.top_imports_us);
        }
    }

    /// The request path of a request of `f` on sandbox `id` whose handler starts at
    /// `start`: the time its lazy imports add (drawn from the `path` stream).
    #[inline]
    fn request_path(
        &mut self,
        start: SimTime,
        f: usize,
        id: SandboxId,
        counted: bool,
    ) -> SimDuration {
        let function = &self.sc.functions[f];
        let Some(model) = function.cold_start.init().filter(|i| !i.paths.is_empty()) else {
            return SimDuration::ZERO;
        };
        let fs = &mut self.functions[f];
        let u: f64 = fs.path_rng.random();
        let Some(path) = model.path_at(u) else {
            return SimDuration::ZERO;
        };
        let sandbox = self.sandboxes.get_mut(id);
        if sandbox.loaded & path.set == path.set {
            return SimDuration::ZERO;
        }
        let mut image = image_access(&mut self.fleet, fs.image.as_ref());
        let (added, served) = function.cold_start.lazy_imports(
            path,
            &mut sandbox.loaded,
            function.handler_vcpus,
            &mut image,
            sandbox.worker,
            start,
        );
        if counted {
            fs.stats.record_lazy_import(added, &served);
        }
        added
    }
}

impl FunctionState {
    /// The handler time of this function's request starting now. The handler stream is
    /// drawn one request ahead: the value used now was drawn at the previous start, so
    /// nothing waits on the draw. Same values, same order; the one draw left over at the end
    /// is never used.
    #[inline(always)]
    fn next_handler(&mut self, function: &crate::config::Function) -> SimDuration {
        let handler = self.next_handler;
        self.next_handler = function.handler.sample(&mut self.handler_rng);
        handler
    }

    /// Records what is known of request `req` when it starts: its latency, billing and busy
    /// time (it ends at `done`; `on_pc`: on a provisioned sandbox), measured from
    /// `measure_from` to `end`.
    #[inline(always)]
    fn record_request(
        &mut self,
        req: &Request,
        done: SimTime,
        on_pc: bool,
        cold: Option<&ColdStartDraw>,
        measure_from: SimTime,
        end: SimTime,
    ) {
        let now = req.start;
        let stats = &mut self.stats;
        if on_pc {
            let (from, to) = (now.max(measure_from), done.min(end));
            stats.provisioned_busy_us += to.0.saturating_sub(from.0);
            if req.counted {
                let billed_us = req.init.as_us() + req.handler.as_us();
                stats.provisioned_billed_ms += billed_us.div_ceil(1_000);
            }
        }
        if req.counted {
            stats.invocations += 1;
            match cold {
                Some(d) => {
                    stats.timeline.record_cold_start(now.as_us());
                    stats.record_cold_start(d);
                    stats.record_top_imports(&self.top_imports_us);
                }
                None => stats.warm_starts += 1,
            }
            let (latency, waited) = (done - req.arrival, now - req.arrival);
            stats.record_completion(latency, waited, req.init, req.handler);
        }
        stats.record_busy(now, done, measure_from, end);
    }
}
