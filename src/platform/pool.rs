//! The idle pool of one function: a stack ordered by the time each sandbox went idle, so the
//! top is the most recently used. Expiry is lazy: a sandbox whose keep-alive or lifetime has
//! run out is removed when the stack is searched, and its reclaim is recorded at the time it
//! expired. This is exact for selection (the newest *live* idle sandbox is always the one
//! taken) and saves one timer event per invocation.

use super::sandbox::{SandboxArena, SandboxId};
use crate::engine::SimTime;

/// Why an idle sandbox went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReclaimCause {
    /// Its keep-alive ran out.
    KeepAlive,
    /// Its maximum lifetime ran out.
    Lifetime,
}

/// Idle sandboxes of one function, most recently used on top.
#[derive(Default, Debug)]
pub struct IdlePool {
    stack: Vec<SandboxId>,
}

impl IdlePool {
    /// Puts a sandbox that just went idle on top.
    #[inline]
    pub fn push(&mut self, id: SandboxId) {
        self.stack.push(id);
    }

    /// Takes the most recently used sandbox still alive at `now`. Expired sandboxes met on
    /// the way are removed from the arena and reported to `reclaimed` with their expiry time.
    #[inline]
    pub fn take_live(
        &mut self,
        now: SimTime,
        arena: &mut SandboxArena,
        mut reclaimed: impl FnMut(SimTime, ReclaimCause, u32),
    ) -> Option<SandboxId> {
        while let Some(id) = self.stack.pop() {
            let s = arena.get(id);
            if s.idle_until > now {
                return Some(id);
            }
            let cause = if s.idle_ends_by_lifetime() {
                ReclaimCause::Lifetime
            } else {
                ReclaimCause::KeepAlive
            };
            reclaimed(s.idle_until, cause, s.function);
            arena.remove(id);
        }
        None
    }

    /// Removes every sandbox expired by `now`, reporting each to `reclaimed` with its expiry
    /// time; the live ones keep their order. Makes the count of live sandboxes exact at
    /// `now` (provisioned-concurrency inits call it before counting).
    pub fn purge_expired(
        &mut self,
        now: SimTime,
        arena: &mut SandboxArena,
        mut reclaimed: impl FnMut(SimTime, ReclaimCause, u32),
    ) {
        self.stack.retain(|&id| {
            let s = *arena.get(id);
            if s.idle_until > now {
                return true;
            }
            let cause = if s.idle_ends_by_lifetime() {
                ReclaimCause::Lifetime
            } else {
                ReclaimCause::KeepAlive
            };
            reclaimed(s.idle_until, cause, s.function);
            arena.remove(id);
            false
        });
    }

    /// Empties the pool at the end of a run: each sandbox expired by `end` is reported to
    /// `reclaimed`, the others to `alive`.
    pub fn drain(
        &mut self,
        end: SimTime,
        arena: &mut SandboxArena,
        mut reclaimed: impl FnMut(SimTime, ReclaimCause, u32),
        mut alive: impl FnMut(u32),
    ) {
        for id in self.stack.drain(..) {
            let s = arena.get(id);
            if s.idle_until <= end {
                let cause = if s.idle_ends_by_lifetime() {
                    ReclaimCause::Lifetime
                } else {
                    ReclaimCause::KeepAlive
                };
                reclaimed(s.idle_until, cause, s.function);
            } else {
                alive(s.function);
            }
            arena.remove(id);
        }
    }

    /// Sandboxes in the pool, expired ones not yet removed included.
    pub fn len(&self) -> usize {
        self.stack.len()
    }

    /// True when the pool holds no sandbox.
    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::sandbox::Sandbox;

    fn sandbox(idle_until: u64, retire_at: u64) -> Sandbox {
        let mut s = Sandbox::new(0, SimTime(0), SimTime(retire_at));
        s.idle_until = SimTime(idle_until);
        s
    }

    #[test]
    fn newest_live_sandbox_is_taken_and_expired_ones_on_top_are_reclaimed() {
        let mut arena = SandboxArena::default();
        let mut pool = IdlePool::default();
        let old_live = arena.insert(sandbox(100, 1_000));
        let newer_expired = arena.insert(sandbox(40, 1_000));
        let newest_retired = arena.insert(sandbox(30, 30));
        pool.push(old_live);
        pool.push(newer_expired);
        pool.push(newest_retired);
        let mut seen = vec![];
        let got = pool.take_live(SimTime(50), &mut arena, |t, c, _| seen.push((t, c)));
        assert_eq!(got, Some(old_live));
        assert_eq!(
            seen,
            vec![
                (SimTime(30), ReclaimCause::Lifetime),
                (SimTime(40), ReclaimCause::KeepAlive)
            ]
        );
        assert!(pool.is_empty());
    }
}
