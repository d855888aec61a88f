//! Provisioned concurrency in the run: the [`ProvisionedConcurrency`] component of each
//! function decides which sandboxes to add, keep, release or retire; these handlers create
//! and remove them, draw their inits and schedule their events (ready, recycle, retire,
//! schedule changes).

use super::fleet::image_access;
use super::{Event, World};
use crate::coldstart::{ColdStartDraw, DrawEnv, InitKind};
use crate::engine::{EventKey, SimTime};
use crate::platform::provisioned::{
    FreeDecision, ProvisionedConcurrency, RECYCLE_LEAD, RetireDecision, Surplus, recycle_at,
};
use crate::platform::retirement::RetirementPolicy;
use crate::platform::sandbox::{PcRole, Sandbox, SandboxId};

impl World<'_> {
    /// Runs `op` on function `f`'s provisioned concurrency, taken out of the function
    /// meanwhile so that `op` may use the rest of the world; `None` if `f` has none.
    fn with_pc<R>(
        &mut self,
        f: usize,
        op: impl FnOnce(&mut Self, &mut ProvisionedConcurrency) -> R,
    ) -> Option<R> {
        let mut pc = self.functions[f].pc.take()?;
        let result = op(self, &mut pc);
        self.functions[f].pc = Some(pc);
        Some(result)
    }

    /// At time zero: `f`'s provisioned sandboxes, ready before the run starts, and the first
    /// change of its schedule.
    pub(super) fn start_provisioned(&mut self, f: usize) {
        if self.functions[f].pc.is_none() {
            return;
        }
        self.pc_set_target(SimTime::ZERO, f, true);
        self.schedule_pc_change(SimTime::ZERO, f);
    }

    /// Schedules the next change of `f`'s provisioned count after `now`, if before the end.
    fn schedule_pc_change(&mut self, now: SimTime, f: usize) {
        let next = self.functions[f]
            .pc
            .as_ref()
            .and_then(|pc| pc.next_change_after(now));
        if let Some(t) = next.filter(|&t| t < self.end) {
            self.queue.push(t, Event::PcSchedule { function: f as u32 });
        }
    }

    /// Adds `f`'s configured provisioned time up to `now` to its statistics.
    pub(super) fn accrue_provisioned(&mut self, f: usize, now: SimTime) {
        let (from, to) = (self.measure_from, self.end);
        let fs = &mut self.functions[f];
        if let Some(pc) = fs.pc.as_mut() {
            fs.stats.provisioned_configured_us += pc.accrue(now, from, to);
        }
    }

    /// Brings function `f`'s provisioned sandboxes to the count in force at `now`: new ones
    /// are initialised (ready at once when `ahead`, i.e. before the run starts), surplus ones
    /// released (idle ones first, then initialising or busy ones after their init or
    /// request).
    pub(super) fn pc_set_target(&mut self, now: SimTime, f: usize, ahead: bool) {
        self.with_pc(f, |w, pc| {
            let us = pc.retarget(now, w.measure_from, w.end);
            w.functions[f].stats.provisioned_configured_us += us;
            while pc.is_short() {
                w.pc_spawn(pc, now, f, ahead);
            }
            while let Some(surplus) = pc.next_surplus() {
                match surplus {
                    Surplus::RemoveNow(id) => w.pc_remove(now, f, id),
                    Surplus::ReleaseLater(id) => w.sandboxes.get_mut(id).pc = PcRole::Released,
                }
            }
        });
    }

    /// Removes provisioned sandbox `id` of `f`, released.
    fn pc_remove(&mut self, now: SimTime, f: usize, id: SandboxId) {
        let stats = &mut self.functions[f].stats;
        stats.provisioned_released += 1;
        stats.timeline.record_died(now.as_us());
        self.pc_drop(id);
    }

    /// Removes provisioned sandbox `id` of `f`, recycled at its lifetime.
    fn pc_retire(&mut self, now: SimTime, f: usize, id: SandboxId) {
        let stats = &mut self.functions[f].stats;
        stats.retired_lifetime += 1;
        stats.timeline.record_died(now.as_us());
        self.pc_drop(id);
    }

    /// Frees provisioned sandbox `id`'s slot and cancels its pending events.
    fn pc_drop(&mut self, id: SandboxId) {
        let (queue, until) = (&mut self.queue, &mut self.cancelled_until);
        self.pc_events.retain(|&(s, key)| {
            if s == id {
                queue.cancel(key);
                *until = (*until).max(key.time);
            }
            s != id
        });
        self.sandboxes.remove(id);
    }

    /// Schedules a keyed event about provisioned sandbox `id`.
    fn pc_schedule(&mut self, id: SandboxId, at: SimTime, event: Event) {
        let key = self.queue.schedule_keyed(at, event);
        self.pc_events.push((id, key));
    }

    /// The keyed event `key` came out: it can no longer be cancelled. Returns the function
    /// of its sandbox (alive: its pending events are cancelled when it goes away).
    fn pc_fired(&mut self, key: EventKey, id: SandboxId) -> usize {
        if let Some(i) = self.pc_events.iter().position(|&(_, k)| k == key) {
            self.pc_events.swap_remove(i);
        }
        let s = self.sandboxes.get(id);
        debug_assert!(!s.reclaimed && s.pc != PcRole::OnDemand);
        s.function as usize
    }

    /// Initialises one provisioned sandbox of `f` at `now`, off the request path, without
    /// the init CPU boost; it is ready at `now` when `ahead`, else when its init ends, which
    /// is returned.
    fn pc_spawn(
        &mut self,
        pc: &mut ProvisionedConcurrency,
        now: SimTime,
        f: usize,
        ahead: bool,
    ) -> SimTime {
        let function = &self.sc.functions[f];
        // Expired idle sandboxes leave first, so the live count is exact at this creation.
        self.purge_idle(now, f);
        let fs = &mut self.functions[f];
        let image = image_access(&mut self.fleet, fs.image.as_ref());
        let draw = function.cold_start.draw(&mut DrawEnv {
            kind: InitKind::Unboosted,
            rng: &mut pc.cold_rng,
            now,
            function: f as u32,
            image,
            top_import_us: &mut fs.top_imports_us,
        });
        let lifetime_end = self
            .policies
            .retirement
            .retire_at(now, &mut pc.lifetime_rng);
        let ready = if ahead { now } else { now + draw.cold_latency };
        let mut sandbox = Sandbox::new(f as u32, now, SimTime::NEVER);
        sandbox.version = fs.versions.current();
        sandbox.worker = draw.worker;
        sandbox.loaded = draw.loaded;
        sandbox.init_ends = ready;
        sandbox.busy_until = ready;
        sandbox.pc = PcRole::Provisioned;
        let id = self.sandboxes.insert(sandbox);
        pc.adopt(id, ahead);
        if !ahead {
            // `fs` is borrowed: `pc_schedule` by hand.
            let key = self
                .queue
                .schedule_keyed(ready, Event::PcReady { sandbox: id });
            self.pc_events.push((id, key));
        }
        self.record_pc_init(now, f, &draw);
        let recycle = recycle_at(lifetime_end, ready);
        if recycle < self.end {
            self.pc_schedule(id, recycle, Event::PcRecycle { sandbox: id });
        }
        ready
    }

    /// Records the creation of a provisioned sandbox of `f` at `now` and, if it counts, its
    /// init (off the request path).
    fn record_pc_init(&mut self, now: SimTime, f: usize, draw: &ColdStartDraw) {
        let counted = now >= self.measure_from;
        let fs = &mut self.functions[f];
        let stats = &mut fs.stats;
        stats.record_sandbox_created(now.as_us());
        if counted {
            stats.provisioned_inits += 1;
            stats.record_offpath_init(draw);
            stats.record_top_imports(&fs.top_imports_us);
            stats
                .provisioned_init_duration
                .record(draw.init_duration.as_us());
        }
    }

    /// A provisioned sandbox of `f` finished its init or request at `now`: it goes back to
    /// the idle list, or away if it was recycled or released.
    pub(super) fn pc_free(&mut self, now: SimTime, f: usize, id: SandboxId) {
        let role = self.sandboxes.get(id).pc;
        let decision = match self.functions[f].pc.as_mut() {
            Some(pc) => pc.on_free(id, role),
            None => FreeDecision::Release,
        };
        match decision {
            FreeDecision::Idle => {}
            FreeDecision::Retire => self.pc_retire(now, f, id),
            FreeDecision::Release => self.pc_remove(now, f, id),
        }
    }

    /// Releases every provisioned sandbox of `f` (a deploy made them stale): idle ones now,
    /// initialising or busy ones when their init or request ends.
    pub(super) fn pc_release_stale(&mut self, now: SimTime, f: usize) {
        self.with_pc(f, |w, pc| {
            let (idle, members) = pc.release_all();
            for id in idle {
                w.pc_remove(now, f, id);
            }
            for id in members {
                let s = w.sandboxes.get_mut(id);
                if !s.reclaimed {
                    s.pc = PcRole::Released;
                }
            }
        });
    }

    /// A provisioned sandbox finished its init: it becomes idle (or goes, if released
    /// meanwhile) and may serve a waiting request.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_pc_ready(&mut self, key: EventKey, id: SandboxId) {
        let (now, f) = (key.time, self.pc_fired(key, id));
        self.complete_due(f);
        let released = self.sandboxes.get(id).pc == PcRole::Released;
        self.pc_free(now, f, id);
        if !released && !self.functions[f].waiting.is_empty() {
            self.dispatch_waiting(now, f);
        }
    }

    /// A provisioned sandbox nears its lifetime: its replacement starts now and the old one
    /// serves until `RECYCLE_LEAD` from now or until the replacement is ready, if later.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_pc_recycle(&mut self, key: EventKey, id: SandboxId) {
        let (now, f) = (key.time, self.pc_fired(key, id));
        if self.sandboxes.get(id).pc != PcRole::Provisioned {
            // Released meanwhile: it goes away after its request.
            return;
        }
        self.complete_due(f);
        self.sandboxes.get_mut(id).pc = PcRole::Retiring;
        self.functions[f].stats.provisioned_recycled += 1;
        self.with_pc(f, |w, pc| {
            pc.recycle(id);
            let ready = w.pc_spawn(pc, now, f, false);
            let retire = ready.max(now + RECYCLE_LEAD);
            w.pc_schedule(id, retire, Event::PcRetire { sandbox: id });
        });
    }

    /// A recycled sandbox's replacement is ready: it retires now if idle, else after its
    /// request.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_pc_retire(&mut self, key: EventKey, id: SandboxId) {
        let (now, f) = (key.time, self.pc_fired(key, id));
        if self.sandboxes.get(id).pc != PcRole::Retiring {
            // Released meanwhile (a deploy): it goes away after its request.
            return;
        }
        self.complete_due(f);
        let decision = self.with_pc(f, |_, pc| pc.retire(id));
        match decision {
            Some(RetireDecision::RetireNow) => self.pc_retire(now, f, id),
            Some(RetireDecision::AfterRequest) | None => {
                self.sandboxes.get_mut(id).pc = PcRole::Recycled;
            }
        }
    }

    /// `f`'s provisioned count changes by its schedule.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_pc_schedule(&mut self, now: SimTime, f: usize) {
        self.complete_due(f);
        self.pc_set_target(now, f, false);
        if self.functions_waiting > 0 {
            self.dispatch_waiting(now, f);
        }
        self.schedule_pc_change(now, f);
    }
}
