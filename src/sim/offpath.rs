//! Off-path inits of on-demand sandboxes: the platform initialises a sandbox that no request
//! waits for, and it joins the idle pool when ready. Two kinds, decided by the platform
//! components: the replacement of a sandbox about to retire at its lifetime (a keyed event a
//! lead time before, see `platform/retirement.rs`) and a proactive init beside a
//! request-path cold start (`platform/proactive.rs`). Both are on-demand inits drawn from
//! the function's cold-start model (with the init CPU boost), each kind from its own
//! streams, so that a share of 0 draws nothing and changes no other number.

use super::fleet::image_access;
use super::{Event, World, count_reclaim};
use crate::coldstart::{ColdStartDraw, DrawEnv, InitKind};
use crate::engine::{EventKey, SimTime};
use crate::platform::deploy::VersionDecision;
use crate::platform::retirement::{ReplacementDecision, RetirementDecision, RetirementPolicy};
use crate::platform::sandbox::{Sandbox, SandboxId, SandboxState};

/// Why the platform initialises a sandbox off the request path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OffPath {
    /// To replace a sandbox about to retire.
    Replacement,
    /// Beside a request-path cold start, for a later request.
    Proactive,
}

impl World<'_> {
    /// Asks the retirement policy whether the retirement of on-demand sandbox `id` of `f`,
    /// created at `now`, is replaced, and if so schedules the start of its replacement
    /// (when before the end of the run). Draws nothing when replacement is off.
    #[inline]
    pub(super) fn schedule_replacement(&mut self, now: SimTime, f: usize, id: SandboxId) {
        if !self.policies.retirement.replaces() {
            return;
        }
        let retire_at = self.sandboxes.get(id).retire_at;
        let rng = &mut self.functions[f].replacement_rng;
        let decision = self.policies.retirement.on_create(now, retire_at, rng);
        if let ReplacementDecision::ReplaceFrom(t) = decision
            && t < self.end
        {
            let key = self
                .queue
                .schedule_keyed(t, Event::ReplaceStart { sandbox: id });
            self.sandboxes.get_mut(id).replace_seq = key.seq;
        }
    }

    /// The replacement of sandbox `id` is due: if that sandbox is still alive and current
    /// (not reclaimed by keep-alive, retired or made stale by a deploy), its replacement
    /// starts to initialise now. A stale event (the id was reused) is ignored.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_replace_start(&mut self, key: EventKey, id: SandboxId) {
        let now = key.time;
        let s = self.sandboxes.get(id);
        if s.reclaimed || s.replace_seq != key.seq {
            return;
        }
        let f = s.function as usize;
        self.complete_due(f);
        let s = self.sandboxes.get(id);
        let gone = s.reclaimed || s.state_at(now) == SandboxState::Reclaimed;
        if gone || self.functions[f].versions.check(s.version) == VersionDecision::Replace {
            return;
        }
        self.spawn_offpath(now, f, OffPath::Replacement);
    }

    /// Removes `f`'s idle sandboxes expired by `now`, counting each reclaim at its expiry.
    pub(super) fn purge_idle(&mut self, now: SimTime, f: usize) {
        let fs = &mut self.functions[f];
        let stats = &mut fs.stats;
        fs.idle
            .purge_expired(now, &mut self.sandboxes, |t, cause, _| {
                count_reclaim(stats, cause, t)
            });
    }

    /// Initialises a new on-demand sandbox of `f` at `now`, off the request path; it joins
    /// the idle pool when its init ends ([`Event::OffPathReady`]).
    pub(super) fn spawn_offpath(&mut self, now: SimTime, f: usize, kind: OffPath) {
        let function = &self.sc.functions[f];
        // Expired idle sandboxes leave first, so the live count is exact at this creation.
        self.purge_idle(now, f);
        let fs = &mut self.functions[f];
        let (cold_rng, life_rng) = match kind {
            OffPath::Replacement => (&mut fs.replacement_cold_rng, &mut fs.replacement_rng),
            OffPath::Proactive => (&mut fs.proactive_cold_rng, &mut fs.proactive_rng),
        };
        let image = image_access(&mut self.fleet, fs.image.as_ref());
        let draw = function.cold_start.draw(&mut DrawEnv {
            kind: InitKind::OnDemand,
            rng: cold_rng,
            now,
            function: f as u32,
            image,
            top_import_us: &mut fs.top_imports_us,
        });
        let retire_at = self.policies.retirement.retire_at(now, life_rng);
        let ready = now + draw.cold_latency;
        let mut sandbox = Sandbox::new(f as u32, now, retire_at);
        sandbox.version = fs.versions.current();
        sandbox.worker = draw.worker;
        sandbox.loaded = draw.loaded;
        sandbox.init_ends = ready;
        sandbox.busy_until = ready;
        let id = self.sandboxes.insert(sandbox);
        self.record_offpath_init(now, f, kind, &draw);
        self.queue.push(ready, Event::OffPathReady { sandbox: id });
        self.schedule_replacement(now, f, id);
    }

    /// Records the creation of an off-path sandbox of `f` at `now` and, if it counts, its
    /// init: in `inits`, its kind's counter, the phase sums and the billed off-path init
    /// time, not in the request-path cold-start histograms.
    fn record_offpath_init(&mut self, now: SimTime, f: usize, kind: OffPath, draw: &ColdStartDraw) {
        let counted = now >= self.measure_from;
        let fs = &mut self.functions[f];
        let stats = &mut fs.stats;
        stats.record_sandbox_created(now.as_us());
        if counted {
            match kind {
                OffPath::Replacement => stats.replacement_inits += 1,
                OffPath::Proactive => stats.proactive_inits += 1,
            }
            stats.record_offpath_init(draw);
            stats.record_top_imports(&fs.top_imports_us);
            stats.offpath_on_demand_init_us += draw.init_duration.as_us();
        }
    }

    /// An off-path sandbox finished its init: it goes idle (or retires, if its lifetime is
    /// already over, or is replaced, if a deploy made it stale) and may serve a request
    /// waiting in the async queue.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_offpath_ready(&mut self, now: SimTime, id: SandboxId) {
        let f = self.sandboxes.get(id).function as usize;
        self.complete_due(f);
        let retire_at = self.sandboxes.get(id).retire_at;
        match self.policies.retirement.on_free(now, retire_at) {
            RetirementDecision::RetireNow => self.retire(now, f, id),
            RetirementDecision::KeepUntil(until) => self.go_idle(now, f, id, until),
        }
        if !self.functions[f].waiting.is_empty() {
            self.dispatch_waiting(now, f);
        }
    }
}
