//! Async invocations: a request the limits refuse waits in its function's queue, first come
//! first served, and starts when a sandbox frees, a limit admits it or a scaling-window slot
//! frees (a retry event). While any request waits, every completion is an event (see
//! `lazy.rs`), because a completion of one function may start a queued request of another.

use super::{Event, World};
use crate::engine::SimTime;

/// A request waiting in a function's async queue.
#[derive(Clone, Copy, Debug)]
pub(super) struct Waiting {
    pub(super) arrival: SimTime,
    pub(super) counted: bool,
}

/// Why a request could not start now.
pub(super) enum Blocked {
    /// A concurrency limit (function or account).
    Concurrency,
    /// The scaling window; a slot frees at this time.
    Scaling(SimTime),
}

impl World<'_> {
    /// Appends a request of `f` that arrived at `now` to its (non-empty) queue.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn enqueue(&mut self, now: SimTime, f: usize, counted: bool) {
        let fs = &mut self.functions[f];
        fs.waiting.push_back(Waiting {
            arrival: now,
            counted,
        });
        fs.stats.queued += counted as u64;
    }

    /// A request of `f` that arrived at `now` was refused by `blocked`: it becomes the first
    /// to wait in `f`'s queue.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn wait(&mut self, now: SimTime, f: usize, counted: bool, blocked: Blocked) {
        // From now on a completion may dispatch any function's queue.
        self.make_completions_eager();
        self.enqueue(now, f, counted);
        self.functions_waiting += 1;
        self.schedule_retry(f, blocked);
    }

    /// Schedules a retry of `f`'s queue when the scaling window blocked it (one at a time).
    pub(super) fn schedule_retry(&mut self, f: usize, blocked: Blocked) {
        if let Blocked::Scaling(at) = blocked {
            let fs = &mut self.functions[f];
            if !fs.retry_scheduled {
                fs.retry_scheduled = true;
                self.queue
                    .push(at, Event::ScaleRetry { function: f as u32 });
            }
        }
    }

    /// A scaling-window slot freed for `f`'s waiting queue.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_scale_retry(&mut self, now: SimTime, f: usize) {
        self.functions[f].retry_scheduled = false;
        self.dispatch_waiting(now, f);
    }

    /// Starts as many of function `f`'s queued requests as the limits allow now.
    pub(super) fn dispatch_waiting(&mut self, now: SimTime, f: usize) {
        while let Some(&w) = self.functions[f].waiting.front() {
            match self.try_start(now, f, w.arrival, w.counted, false) {
                Ok(_) => {
                    self.dequeue(f);
                }
                Err(blocked) => {
                    self.schedule_retry(f, blocked);
                    return;
                }
            }
        }
    }

    /// Removes the head of `f`'s queue (it started).
    pub(super) fn dequeue(&mut self, f: usize) -> Option<Waiting> {
        let fs = &mut self.functions[f];
        let head = fs.waiting.pop_front();
        if head.is_some() && fs.waiting.is_empty() {
            self.functions_waiting -= 1;
        }
        head
    }
}
