//! Event sources acting: events of `async`, `sqs` and `stream` traffic wait in their
//! source's queue (one ordered lane per stream shard × factor) and pollers hand them to the
//! function as the decisions of `platform::event_source` allow: the poller ramp, batches,
//! backoff after a throttle or a function error, expiry. Every completion of a sandbox that
//! runs a source's batch is an event (completions are eager in a run with event sources),
//! after which every source with work is pumped again. A [`Event::SourceWake`] fires when
//! a ramp step, a backoff, a batching window or a pause ends.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::Rng as _;

use super::{Event, World};
use crate::engine::{Rng, SimDuration, SimTime};
use crate::platform::event_source::async_retry::{self, RetryDecision};
use crate::platform::event_source::batch::{self, BatchDecision};
use crate::platform::event_source::pollers::PollerRamp;
use crate::platform::event_source::stream::Lanes;
use crate::platform::event_source::{Delivery, OnFailure};
use crate::platform::sandbox::SandboxId;

/// Messages older than this leave an SQS queue: the default retention period, 4 days
/// (345,600 s; Amazon SQS docs, MessageRetentionPeriod).
const SQS_RETENTION: SimDuration = SimDuration::from_secs(345_600);

/// Records older than this leave a Kinesis stream: the default retention, 24 h (Kinesis
/// Data Streams docs, "Changing the data retention period").
const STREAM_RETENTION: SimDuration = SimDuration::from_secs(86_400);

/// How a traffic source's arrivals are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Route {
    /// Invoked at once, throttled over a limit.
    Sync,
    /// Async, immediate delivery: started up to the limits, the rest queued FIFO.
    Queue,
    /// Through event source `index`.
    Source(u32),
}

/// An event waiting in a source.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    arrival: SimTime,
    throttles: u32,
    errors: u32,
    counted: bool,
}

/// An async event waiting out its backoff, ordered by when it is ready (then by sequence).
#[derive(Clone, Copy, Debug)]
struct Delayed {
    at: SimTime,
    seq: u64,
    ev: Pending,
}

impl PartialEq for Delayed {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Delayed {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// One ordered queue of a source: the only one of an async or SQS source, one per shard ×
/// factor of a stream.
#[derive(Clone, Debug, Default)]
struct Lane {
    ready: VecDeque<Pending>,
    in_flight: u32,
    paused_until: SimTime,
    /// Throttles of its head batch in a row (SQS, streams).
    throttles: u32,
}

/// A source's batch running on a sandbox.
#[derive(Clone, Copy, Debug)]
pub(super) struct Job {
    source: u32,
    lane: u32,
    /// The (first) event of the batch; an async batch is this one event.
    ev: Pending,
    /// The invocation ends in a function error (async only).
    error: bool,
}

/// State of one event source of a replication.
pub(super) struct SourceState {
    function: u32,
    delivery: Delivery,
    lanes: Vec<Lane>,
    stream: Option<Lanes>,
    delayed: BinaryHeap<Reverse<Delayed>>,
    seq: u64,
    ramp: PollerRamp,
    in_flight: u32,
    /// The earliest wake-up scheduled and not yet fired.
    wake_at: Option<SimTime>,
    error_rate: f64,
    error_rng: Rng,
}

impl SourceState {
    /// A source delivering `delivery` to function `function`; `account` caps async pollers.
    pub(super) fn new(
        function: u32,
        delivery: Delivery,
        account: u32,
        error_rate: f64,
        error_rng: Rng,
    ) -> Self {
        let (lanes, stream, max) = match delivery {
            Delivery::Stream(p) => {
                let l = Lanes::new(p.shards, p.parallelization_factor);
                (l.count() as usize, Some(l), u32::MAX)
            }
            Delivery::Sqs(p) => (1, None, p.maximum_concurrency),
            _ => (1, None, account),
        };
        SourceState {
            function,
            delivery,
            lanes: vec![Lane::default(); lanes],
            stream,
            delayed: BinaryHeap::new(),
            seq: 0,
            ramp: PollerRamp::new(max),
            in_flight: 0,
            wake_at: None,
            error_rate,
            error_rng,
        }
    }

    /// Index of the function it invokes.
    pub(super) fn function(&self) -> usize {
        self.function as usize
    }

    fn has_work(&self) -> bool {
        self.in_flight > 0
            || !self.delayed.is_empty()
            || self.lanes.iter().any(|l| !l.ready.is_empty())
    }

    /// Events still waiting.
    pub(super) fn pending(&self) -> u64 {
        (self.delayed.len() + self.lanes.iter().map(|l| l.ready.len()).sum::<usize>()) as u64
    }

    fn delay(&mut self, at: SimTime, ev: Pending) {
        self.seq += 1;
        self.delayed.push(Reverse(Delayed {
            at,
            seq: self.seq,
            ev,
        }));
    }

    /// Concurrent invocations lane `lane` may start now.
    fn lane_may_start(&self, lane: usize, now: SimTime) -> bool {
        let l = &self.lanes[lane];
        if l.paused_until > now {
            return false;
        }
        match self.delivery {
            Delivery::Stream(_) => l.in_flight == 0,
            _ => self.in_flight < self.ramp.allowed(now),
        }
    }

    /// Oldest age a waiting event may have before it leaves the queue.
    fn retention(&self) -> SimDuration {
        match self.delivery {
            Delivery::Async(p) => p.max_event_age,
            Delivery::Sqs(_) => SQS_RETENTION,
            _ => STREAM_RETENTION,
        }
    }

    /// (batch size, batching window) of a mapping; async hands over one event at once.
    fn batching(&self) -> (u32, SimDuration) {
        match self.delivery {
            Delivery::Sqs(p) => (p.batch_size, p.batching_window),
            Delivery::Stream(p) => (p.batch_size, p.batching_window),
            _ => (1, SimDuration::ZERO),
        }
    }
}

impl World<'_> {
    /// An event of source `s` arrives at `now`.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn source_arrival(&mut self, now: SimTime, s: usize, counted: bool) {
        let src = &mut self.event_sources[s];
        src.ramp.on_work(now);
        let lane = src.stream.as_mut().map_or(0, |l| l.assign()) as usize;
        src.lanes[lane].ready.push_back(Pending {
            arrival: now,
            throttles: 0,
            errors: 0,
            counted,
        });
        self.pump(now, s);
    }

    /// A wake-up of source `s`.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_source_wake(&mut self, now: SimTime, s: usize) {
        let src = &mut self.event_sources[s];
        if src.wake_at == Some(now) {
            src.wake_at = None;
        }
        self.pump(now, s);
    }

    /// Sandbox `id` finished at `now`: if it ran a source's batch, the source learns how it
    /// ended; then every source with work is pumped (a slot or a sandbox freed).
    pub(super) fn source_completion(&mut self, now: SimTime, id: SandboxId) {
        if let Some(job) = self.jobs.get_mut(id.0 as usize).and_then(Option::take) {
            self.finish_job(now, job);
        }
        for s in 0..self.event_sources.len() {
            if self.event_sources[s].has_work() {
                self.pump(now, s);
            }
        }
    }

    /// A batch of source `job.source` ended at `now`: an async event that failed is retried,
    /// expires or is lost.
    fn finish_job(&mut self, now: SimTime, job: Job) {
        let s = job.source as usize;
        let src = &mut self.event_sources[s];
        src.in_flight -= 1;
        src.lanes[job.lane as usize].in_flight -= 1;
        let Delivery::Async(p) = src.delivery else {
            return;
        };
        if !job.error {
            return;
        }
        let mut ev = job.ev;
        ev.errors += 1;
        let stats = &mut self.functions[src.function as usize].stats.events;
        match async_retry::after_error(&p, ev.arrival, now, ev.errors) {
            RetryDecision::RetryAt(t) => {
                stats.retries += ev.counted as u64;
                src.delay(t, ev);
            }
            RetryDecision::Expired => stats.expired += ev.counted as u64,
            RetryDecision::Exhausted => match p.on_failure {
                OnFailure::Drop => stats.dropped += ev.counted as u64,
                OnFailure::Destination => stats.to_destination += ev.counted as u64,
            },
        }
    }

    /// Starts what source `s` may start now, then schedules its next wake-up.
    fn pump(&mut self, now: SimTime, s: usize) {
        self.release_delayed(now, s);
        for lane in 0..self.event_sources[s].lanes.len() {
            self.pump_lane(now, s, lane);
        }
        self.schedule_wake(now, s);
    }

    /// Async events whose backoff ended join the queue, in the order they became ready.
    fn release_delayed(&mut self, now: SimTime, s: usize) {
        let src = &mut self.event_sources[s];
        while let Some(Reverse(d)) = src.delayed.peek().copied() {
            if d.at > now {
                break;
            }
            src.delayed.pop();
            src.lanes[0].ready.push_back(d.ev);
        }
    }

    /// Starts batches from lane `lane` of source `s` while its pollers and the function's
    /// limits allow.
    fn pump_lane(&mut self, now: SimTime, s: usize, lane: usize) {
        loop {
            self.expire_heads(now, s, lane);
            let src = &self.event_sources[s];
            if !src.lane_may_start(lane, now) {
                return;
            }
            let l = &src.lanes[lane];
            let Some(head) = l.ready.front() else { return };
            let (size, window) = src.batching();
            match batch::decide(l.ready.len(), head.arrival, now, size, window) {
                BatchDecision::Take(n) => {
                    if !self.start_batch(now, s, lane, n) {
                        return;
                    }
                }
                BatchDecision::WaitUntil(_) | BatchDecision::Empty => return,
            }
        }
    }

    /// Events at the head of a lane that are older than the source keeps them expire.
    fn expire_heads(&mut self, now: SimTime, s: usize, lane: usize) {
        let src = &mut self.event_sources[s];
        let keep = src.retention();
        let stats = &mut self.functions[src.function as usize].stats.events;
        let ready = &mut src.lanes[lane].ready;
        while ready.front().is_some_and(|e| now - e.arrival > keep) {
            let e = ready.pop_front().expect("a head");
            stats.expired += e.counted as u64;
        }
    }

    /// Takes `n` events from the head of lane `lane` of source `s` and invokes the
    /// function with them. Returns false when the invocation was throttled and the lane
    /// should stop for now.
    fn start_batch(&mut self, now: SimTime, s: usize, lane: usize, n: u32) -> bool {
        let src = &self.event_sources[s];
        let f = src.function as usize;
        let first = *src.lanes[lane].ready.front().expect("a batch");
        match self.try_start(now, f, first.arrival, first.counted, false) {
            Ok(id) => {
                self.record_batch(now, s, lane, n, id);
                true
            }
            Err(_) => self.throttled(now, s, lane),
        }
    }

    /// The batch at the head of lane `lane` of source `s` started on sandbox `id`.
    fn record_batch(&mut self, now: SimTime, s: usize, lane: usize, n: u32, id: SandboxId) {
        let src = &mut self.event_sources[s];
        let f = src.function as usize;
        let stats = &mut self.functions[f].stats.events;
        let first = *src.lanes[lane].ready.front().expect("a batch");
        src.lanes[lane].throttles = 0;
        for _ in 0..n {
            let e = src.lanes[lane].ready.pop_front().expect("n waiting");
            if e.counted {
                stats.age.record((now - e.arrival).as_us());
                stats.batched_events += 1;
            }
        }
        let is_async = matches!(src.delivery, Delivery::Async(_));
        if !is_async && first.counted {
            stats.batches += 1;
        }
        let error = is_async && src.error_rate > 0.0 && src.error_rng.random_bool(src.error_rate);
        src.in_flight += 1;
        src.lanes[lane].in_flight += 1;
        let slot = id.0 as usize;
        if self.jobs.len() <= slot {
            self.jobs.resize(slot + 1, None);
        }
        self.jobs[slot] = Some(Job {
            source: s as u32,
            lane: lane as u32,
            ev: first,
            error,
        });
    }

    /// The head of lane `lane` of source `s` was throttled at `now`. An async event backs
    /// off (or expires) and the next one is tried; an SQS or stream batch stays at the head
    /// and its lane pauses, 1 s after its first throttle, doubling to 5 min (assumed: the
    /// async backoff; AWS says the mappings back off but gives no interval; low
    /// confidence). Returns whether the lane may go on.
    fn throttled(&mut self, now: SimTime, s: usize, lane: usize) -> bool {
        let src = &mut self.event_sources[s];
        let stats = &mut self.functions[src.function as usize].stats.events;
        let head = src.lanes[lane].ready.front().copied().expect("a head");
        stats.throttled_attempts += head.counted as u64;
        let Delivery::Async(p) = src.delivery else {
            stats.retries += head.counted as u64;
            let l = &mut src.lanes[lane];
            l.throttles += 1;
            l.paused_until = now + async_retry::throttle_backoff(l.throttles);
            return false;
        };
        let mut ev = src.lanes[lane].ready.pop_front().expect("a head");
        ev.throttles += 1;
        match async_retry::after_throttle(&p, ev.arrival, now, ev.throttles) {
            RetryDecision::RetryAt(t) => {
                stats.retries += ev.counted as u64;
                src.delay(t, ev);
            }
            _ => stats.expired += ev.counted as u64,
        }
        true
    }

    /// Schedules source `s`'s next wake-up: the earliest of its next ramp step (work waits
    /// beyond the pollers), the end of a backoff, of a batching window or of a pause.
    fn schedule_wake(&mut self, now: SimTime, s: usize) {
        let src = &mut self.event_sources[s];
        if !src.has_work() {
            src.ramp.on_idle();
            return;
        }
        let mut next: Option<SimTime> = src.delayed.peek().map(|d| d.0.at);
        let mut consider = |t: Option<SimTime>| {
            if let Some(t) = t.filter(|&t| t > now) {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        let (size, window) = src.batching();
        let mut ramp_blocked = false;
        for l in &src.lanes {
            let Some(head) = l.ready.front() else {
                continue;
            };
            consider(Some(l.paused_until));
            if let BatchDecision::WaitUntil(t) =
                batch::decide(l.ready.len(), head.arrival, now, size, window)
            {
                consider(Some(t));
            }
            ramp_blocked = true;
        }
        if ramp_blocked && src.stream.is_none() {
            consider(src.ramp.next_above(src.in_flight));
        }
        let Some(t) = next else { return };
        if src.wake_at.is_none_or(|w| t < w || w <= now) {
            src.wake_at = Some(t);
            self.queue.push(t, Event::SourceWake { source: s as u32 });
        }
    }
}
