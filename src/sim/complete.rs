//! Completions: a sandbox that finishes its request frees its concurrency slot and is
//! retired (lifetime), replaced (deploy), handed to a queued request, or kept idle for its
//! keep-alive, as the platform components decide.

use super::World;
use super::lazy::Busy;
use crate::engine::SimTime;
use crate::platform::deploy::VersionDecision;
use crate::platform::keepalive::{KeepAliveDecision, KeepAlivePolicy};
use crate::platform::retirement::{RetirementDecision, RetirementPolicy};
use crate::platform::sandbox::{PcRole, SandboxId};

impl World<'_> {
    /// A completion that cannot start anything else (no request waits in any queue): frees
    /// the concurrency slot and the sandbox. Inlined into the loop of due completions, the
    /// hot path with the arrival.
    #[inline(always)]
    pub(super) fn complete_quietly(&mut self, now: SimTime, f: usize, busy: Busy) {
        debug_assert_eq!(self.functions_waiting, 0);
        self.release(f);
        let Busy {
            sandbox: id,
            retire_at,
        } = busy;
        if self.sandboxes.get(id).pc != PcRole::OnDemand {
            self.pc_free(now, f, id);
            return;
        }
        match self.policies.retirement.on_free(now, retire_at) {
            RetirementDecision::RetireNow => self.retire(now, f, id),
            RetirementDecision::KeepUntil(until) => self.go_idle(now, f, id, until),
        }
    }

    /// Frees the concurrency slot of a request of `f` that completed.
    #[inline(always)]
    fn release(&mut self, f: usize) {
        self.concurrency.release(&mut self.functions[f].slots);
        self.in_flight -= 1;
    }

    /// Removes sandbox `id` of `f` at the end of its lifetime.
    pub(super) fn retire(&mut self, now: SimTime, f: usize, id: SandboxId) {
        let stats = &mut self.functions[f].stats;
        stats.retired_lifetime += 1;
        stats.timeline.record_died(now.as_us());
        self.sandboxes.remove(id);
    }

    /// Removes sandbox `id` of `f`, made stale by a deploy.
    fn replace(&mut self, now: SimTime, f: usize, id: SandboxId) {
        let stats = &mut self.functions[f].stats;
        stats.replaced_by_deploy += 1;
        stats.timeline.record_died(now.as_us());
        self.sandboxes.remove(id);
    }

    /// Puts sandbox `id` of `f`, free at `now`, in the idle pool for its keep-alive (at
    /// most until `retire_at`), or reclaims it at once.
    #[inline(always)]
    pub(super) fn go_idle(&mut self, now: SimTime, f: usize, id: SandboxId, retire_at: SimTime) {
        let fs = &mut self.functions[f];
        let sandbox = self.sandboxes.get_mut(id);
        if fs.versions.check(sandbox.version) == VersionDecision::Replace {
            self.replace(now, f, id);
            return;
        }
        match self.policies.keep_alive.on_idle(now, &mut fs.lifecycle_rng) {
            KeepAliveDecision::KeepUntil(t) => {
                sandbox.idle_until = t.min(retire_at);
                fs.idle.push(id);
            }
            KeepAliveDecision::TerminateNow => {
                fs.stats.reclaimed_keep_alive += 1;
                fs.stats.timeline.record_died(now.as_us());
                self.sandboxes.remove(id);
            }
        }
    }

    /// An eager completion of sandbox `id`: recorded by the sink, then the sandbox is freed
    /// and, while requests wait, every function's queue is dispatched.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_complete(&mut self, now: SimTime, id: SandboxId) {
        let f = self.sandboxes.get(id).function as usize;
        // Lazy completions of `f` ordered before this one come first.
        self.complete_due(f);
        self.release(f);
        let retire_at = self.sandboxes.get(id).retire_at;
        self.record_invocation(now, f, id);
        if self.sandboxes.get(id).pc != PcRole::OnDemand {
            // A provisioned sandbox goes back to its own idle list (or away); queued
            // requests take it through the usual dispatch below.
            self.pc_free(now, f, id);
            if self.functions_waiting > 0 {
                self.dispatch_waiting(now, f);
            }
        } else {
            self.free_on_demand(now, f, id, retire_at);
        }
        if self.functions_waiting > 0 {
            for g in 0..self.functions.len() {
                self.dispatch_waiting(now, g);
            }
        }
        if !self.event_sources.is_empty() {
            self.source_completion(now, id);
        }
    }

    /// On-demand sandbox `id` of `f` finished a request at `now` (an event): retired,
    /// replaced, handed to the request that waited longest, or kept idle.
    fn free_on_demand(&mut self, now: SimTime, f: usize, id: SandboxId, retire_at: SimTime) {
        let until = match self.policies.retirement.on_free(now, retire_at) {
            RetirementDecision::RetireNow => return self.retire(now, f, id),
            RetirementDecision::KeepUntil(until) => until,
        };
        let version = self.sandboxes.get(id).version;
        if self.functions[f].versions.check(version) == VersionDecision::Replace {
            self.replace(now, f, id);
        } else if let Some(w) = self.dequeue(f) {
            // The request that waited longest takes the sandbox now free.
            self.start_on(now, f, id, w.arrival, w.counted, false, None);
        } else {
            self.go_idle(now, f, id, until);
        }
    }
}
