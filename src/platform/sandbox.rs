//! Sandboxes (execution environments) and the arena that holds them. A sandbox serves one
//! request at a time: `Initializing → Busy ⇄ Idle → Reclaimed` (DESIGN.md, "Sandbox
//! lifecycle"). Ids of reclaimed sandboxes are reused, so the arena is as large as the peak
//! number of live sandboxes, not the number ever created.

use crate::engine::{SimDuration, SimTime};

/// Index of a sandbox in the [`SandboxArena`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SandboxId(pub u32);

/// The request a busy sandbox is serving, kept for recording when it completes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request {
    /// When the request arrived at the platform.
    pub arrival: SimTime,
    /// When a sandbox took it (later than `arrival` if it waited in the async queue).
    pub start: SimTime,
    /// Added latency of the cold start (zero when warm).
    pub cold_latency: SimDuration,
    /// `Init Duration` of the cold start (zero when warm).
    pub init: SimDuration,
    /// Handler time.
    pub handler: SimDuration,
    /// Whether it arrived after the warm-up and counts in statistics.
    pub counted: bool,
    /// Whether it started a new sandbox.
    pub cold: bool,
}

/// Where a sandbox is in its lifecycle: `Initializing → Busy ⇄ Idle → Reclaimed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxState {
    /// Placing, booting and initialising for the request that created it.
    Initializing,
    /// Running a request.
    Busy,
    /// Free and kept alive, waiting for a request.
    Idle,
    /// Reclaimed after its keep-alive or retired at its maximum lifetime.
    Reclaimed,
}

/// One execution environment. Its state is not stored but follows from its times (see
/// [`Sandbox::state_at`]), so lazily evaluated transitions (expiry, completions) need no
/// event and are still exact at any instant.
///
/// Laid out in declaration order, aligned to a cache line: everything a warm request reads
/// or writes (identity, role, version and the lifecycle times) fills the first line; the
/// loaded modules (lazy imports) and the request copy (per-invocation sink) the second.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub struct Sandbox {
    /// Index of its function.
    pub function: u32,
    /// The function version it was initialised with (a deploy makes it stale).
    pub version: u32,
    /// The worker it runs on (image functions: its chunk reads go through this worker's
    /// cache).
    pub worker: u32,
    /// Its role under provisioned concurrency (`OnDemand` for every other sandbox).
    pub pc: PcRole,
    /// Whether its slot has been freed (set by [`SandboxArena::remove`]).
    pub reclaimed: bool,
    /// When it was created.
    pub born: SimTime,
    /// When its maximum lifetime ends.
    pub retire_at: SimTime,
    /// When the init of its cold start ends (its creation time plus the cold latency).
    pub init_ends: SimTime,
    /// When its current or last request ends.
    pub busy_until: SimTime,
    /// While idle: when it will be reclaimed (keep-alive end, or `retire_at` if earlier);
    /// `SimTime::NEVER` while it has a request.
    pub idle_until: SimTime,
    /// The sequence number of the pending event that starts its replacement
    /// ([`NO_REPLACEMENT`] if none): the event is valid only while this matches, because a
    /// removed sandbox's id is reused.
    pub replace_seq: u64,
    /// The modules it has imported (the init's eager imports, then lazy ones).
    pub loaded: crate::coldstart::ModuleSet,
    /// The request it is serving or served last. Kept up to date only when a
    /// per-invocation sink is attached, the one reader (everything else about a request is
    /// recorded when it starts).
    pub request: Request,
}

/// `Sandbox::replace_seq` of a sandbox whose retirement is not replaced.
pub const NO_REPLACEMENT: u64 = u64::MAX;

/// The role of a sandbox under provisioned concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PcRole {
    /// An on-demand sandbox: keep-alive and lifetime apply.
    #[default]
    OnDemand,
    /// Provisioned: counts toward the configured count, never reclaimed by keep-alive.
    Provisioned,
    /// Provisioned and past its lifetime: its replacement is initialising; it serves until
    /// the replacement is ready.
    Retiring,
    /// Recycled while busy: removed when its request ends (counted as retired at lifetime).
    Recycled,
    /// No longer provisioned (the count was lowered, or a deploy made it stale): removed
    /// when its request or init ends.
    Released,
}

impl Sandbox {
    /// A sandbox created at `now` for function `function`, retiring at `retire_at`.
    pub fn new(function: u32, now: SimTime, retire_at: SimTime) -> Self {
        Sandbox {
            function,
            born: now,
            retire_at,
            init_ends: now,
            busy_until: now,
            idle_until: SimTime::NEVER,
            reclaimed: false,
            version: 0,
            worker: 0,
            loaded: 0,
            request: Request::default(),
            pc: PcRole::OnDemand,
            replace_seq: NO_REPLACEMENT,
        }
    }

    /// Its lifecycle state at `now` (at or after the last transition the simulator made).
    pub fn state_at(&self, now: SimTime) -> SandboxState {
        if self.reclaimed || now >= self.idle_until {
            SandboxState::Reclaimed
        } else if now < self.init_ends {
            SandboxState::Initializing
        } else if now < self.busy_until {
            SandboxState::Busy
        } else {
            SandboxState::Idle
        }
    }

    /// Gives it a request from `now` to `done`, after a cold start's init ending at
    /// `init_ends` (equal to `now` when warm).
    #[inline]
    pub fn take_request(&mut self, init_ends: SimTime, done: SimTime) {
        self.init_ends = init_ends;
        self.busy_until = done;
        self.idle_until = SimTime::NEVER;
    }

    /// Whether the idle period ends by the maximum lifetime rather than the keep-alive.
    pub fn idle_ends_by_lifetime(&self) -> bool {
        self.idle_until >= self.retire_at
    }
}

/// Storage for sandboxes with id reuse. Each sandbox also gets a serial number, unique over
/// the run (slots are reused, serials never), for the per-invocation CSV.
#[derive(Default)]
pub struct SandboxArena {
    slots: Vec<Sandbox>,
    free: Vec<u32>,
    serials: Vec<u64>,
    inserted: u64,
}

impl SandboxArena {
    /// Stores `sandbox` and returns its id.
    pub fn insert(&mut self, sandbox: Sandbox) -> SandboxId {
        let serial = self.inserted;
        self.inserted += 1;
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = sandbox;
                self.serials[i as usize] = serial;
                SandboxId(i)
            }
            None => {
                self.slots.push(sandbox);
                self.serials.push(serial);
                SandboxId((self.slots.len() - 1) as u32)
            }
        }
    }

    /// The serial number of sandbox `id`: the number of sandboxes created before it in
    /// this run, so unique over the run even when its slot is reused.
    pub fn serial(&self, id: SandboxId) -> u64 {
        self.serials[id.0 as usize]
    }

    /// Frees the slot of a reclaimed sandbox.
    pub fn remove(&mut self, id: SandboxId) {
        let slot = &mut self.slots[id.0 as usize];
        debug_assert!(!slot.reclaimed, "sandbox {} reclaimed twice", id.0);
        slot.reclaimed = true;
        self.free.push(id.0);
    }

    /// The sandbox `id`.
    #[inline]
    pub fn get(&self, id: SandboxId) -> &Sandbox {
        &self.slots[id.0 as usize]
    }

    /// The sandbox `id`, mutably.
    #[inline]
    pub fn get_mut(&mut self, id: SandboxId) -> &mut Sandbox {
        &mut self.slots[id.0 as usize]
    }

    /// Slots allocated (peak live sandboxes).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod layout_tests {
    use super::Sandbox;
    use std::mem::{offset_of, size_of};

    /// What a warm request touches fills the first cache line and nothing else does: bytes
    /// counted by hand, 4 + 4 + 4 + 1 + 1 (+ 2 padding) + 6 × 8 = 64; then the module set
    /// (16) and the request copy (5 × 8 + 2, padded to 48): two lines in all.
    #[test]
    fn a_warm_request_touches_one_cache_line_of_its_sandbox() {
        assert_eq!(offset_of!(Sandbox, replace_seq) + 8, 64);
        assert_eq!(offset_of!(Sandbox, idle_until), 48);
        assert_eq!(offset_of!(Sandbox, loaded), 64);
        assert_eq!(size_of::<Sandbox>(), 128);
        assert_eq!(std::mem::align_of::<Sandbox>(), 64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_follows_the_lifecycle_times() {
        // Created at 10 with a 5 µs cold start and a 3 µs request; idle until 30.
        let mut arena = SandboxArena::default();
        let id = arena.insert(Sandbox::new(0, SimTime(10), SimTime(100)));
        arena.get_mut(id).take_request(SimTime(15), SimTime(18));
        let s = *arena.get(id);
        assert_eq!(s.state_at(SimTime(10)), SandboxState::Initializing);
        assert_eq!(s.state_at(SimTime(15)), SandboxState::Busy);
        assert_eq!(s.state_at(SimTime(18)), SandboxState::Idle);
        arena.get_mut(id).idle_until = SimTime(30);
        assert_eq!(arena.get(id).state_at(SimTime(29)), SandboxState::Idle);
        assert_eq!(arena.get(id).state_at(SimTime(30)), SandboxState::Reclaimed);
        // Reused warm at 20: busy again, no init.
        arena.get_mut(id).take_request(SimTime(20), SimTime(25));
        assert_eq!(arena.get(id).state_at(SimTime(20)), SandboxState::Busy);
        assert_eq!(arena.get(id).state_at(SimTime(40)), SandboxState::Idle);
        arena.remove(id);
        assert_eq!(arena.get(id).state_at(SimTime(40)), SandboxState::Reclaimed);
    }

    /// Tolerance: exact. Three sandboxes in one slot (each reclaimed before the next) get
    /// serials 0, 1, 2; a second live one gets the next serial, not its slot number.
    #[test]
    fn serials_are_unique_when_slots_are_reused() {
        let mut arena = SandboxArena::default();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let id = arena.insert(Sandbox::new(0, SimTime(0), SimTime(100)));
            assert_eq!(id.0, 0);
            seen.push(arena.serial(id));
            arena.remove(id);
        }
        let a = arena.insert(Sandbox::new(0, SimTime(0), SimTime(100)));
        let b = arena.insert(Sandbox::new(0, SimTime(0), SimTime(100)));
        seen.extend([arena.serial(a), arena.serial(b)]);
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
        assert_eq!(b.0, 1);
    }
}
