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

/// One execution environment.
#[derive(Clone, Copy, Debug)]
pub struct Sandbox {
    /// Index of its function.
    pub function: u32,
    /// When it was created.
    pub born: SimTime,
    /// When its maximum lifetime ends.
    pub retire_at: SimTime,
    /// While idle: when it will be reclaimed (keep-alive end, or `retire_at` if earlier).
    pub idle_until: SimTime,
    /// The request it is serving or served last. Kept up to date only when a
    /// per-invocation sink is attached, the one reader (everything else about a request is
    /// recorded when it starts).
    pub request: Request,
}

impl Sandbox {
    /// Whether the idle period ends by the maximum lifetime rather than the keep-alive.
    pub fn idle_ends_by_lifetime(&self) -> bool {
        self.idle_until >= self.retire_at
    }
}

/// Storage for sandboxes with id reuse.
#[derive(Default)]
pub struct SandboxArena {
    slots: Vec<Sandbox>,
    free: Vec<u32>,
}

impl SandboxArena {
    /// Stores `sandbox` and returns its id.
    pub fn insert(&mut self, sandbox: Sandbox) -> SandboxId {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = sandbox;
                SandboxId(i)
            }
            None => {
                self.slots.push(sandbox);
                SandboxId((self.slots.len() - 1) as u32)
            }
        }
    }

    /// Frees the slot of a reclaimed sandbox.
    pub fn remove(&mut self, id: SandboxId) {
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
