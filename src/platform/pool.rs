//! The idle pool of one function: a double-ended queue ordered by the time each sandbox went
//! idle (completions of a function are processed in time order, so pushing at the back keeps
//! the order), newest at the back. The routing policy ([`super::routing`]) says which end a
//! request takes from (or asks for a uniform pick). Expiry is lazy: a sandbox whose
//! keep-alive or lifetime has run out is removed when met, and its reclaim is recorded at
//! the time it expired. This is exact for selection (an expired sandbox is never taken, and
//! the sandbox taken is the one the policy names among the *live* ones), O(1) amortised per
//! request for every policy (each sandbox is removed once), and saves one timer event per
//! invocation. When no live sandbox is found the pool is empty, so a cold start that follows
//! sees an exact live count.

use rand::Rng as _;

use super::routing::{Routing, RoutingDecision, RoutingPolicy};
use super::sandbox::{Sandbox, SandboxArena, SandboxId};
use crate::engine::{Rng, SimTime};

/// Why an idle sandbox went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReclaimCause {
    /// Its keep-alive ran out.
    KeepAlive,
    /// Its maximum lifetime ran out.
    Lifetime,
}

/// Idle sandboxes of one function, in the order they went idle (most recently used at the
/// back; `random` routing reorders them, which it does not need).
///
/// A vector read from `head` on rather than a ring: the usual request (most recently used
/// first) pushes and pops at the back with a vector's plain length arithmetic, where a
/// ring wraps every index. Taking from the front advances `head`; the slots before it are
/// reclaimed when the pool empties or when they are the larger half.
#[derive(Default, Debug)]
pub struct IdlePool {
    ids: Vec<SandboxId>,
    head: usize,
}

/// Slots taken from the front that are left in place before they are reclaimed (below this
/// the copy would cost more than it frees).
const FRONT_SLACK: usize = 32;

/// Why the idle period of `s` ends.
fn cause_of(s: &Sandbox) -> ReclaimCause {
    if s.idle_ends_by_lifetime() {
        ReclaimCause::Lifetime
    } else {
        ReclaimCause::KeepAlive
    }
}

impl IdlePool {
    /// Puts a sandbox that just went idle at the back (the most recently used end).
    #[inline]
    pub fn push(&mut self, id: SandboxId) {
        self.ids.push(id);
    }

    /// Takes the live sandbox `routing` chooses at `now` (drawing from `rng`, the function's
    /// `routing` stream, only for the policies that draw and only when the pool is not
    /// empty). Expired sandboxes met on the way are removed from the arena and reported to
    /// `reclaimed` with their expiry time; `None` means the pool is empty now.
    #[inline(always)]
    pub fn take_live(
        &mut self,
        now: SimTime,
        arena: &mut SandboxArena,
        routing: &Routing,
        rng: &mut Rng,
        mut reclaimed: impl FnMut(SimTime, ReclaimCause, u32),
    ) -> Option<SandboxId> {
        if self.is_empty() {
            return None;
        }
        let from_back = match routing.decide(rng) {
            RoutingDecision::Newest => true,
            RoutingDecision::Oldest => false,
            RoutingDecision::Uniform => return self.take_uniform(now, arena, rng, reclaimed),
        };
        // One decision per request: scan on from the same end past expired sandboxes.
        while let Some(id) = self.pop(from_back) {
            let s = arena.get(id);
            if s.idle_until > now {
                return Some(id);
            }
            reclaimed(s.idle_until, cause_of(s), s.function);
            arena.remove(id);
        }
        None
    }

    #[inline]
    fn pop(&mut self, from_back: bool) -> Option<SandboxId> {
        if from_back {
            self.pop_back()
        } else {
            self.pop_front()
        }
    }

    /// The most recently used sandbox, taken.
    #[inline(always)]
    fn pop_back(&mut self) -> Option<SandboxId> {
        if self.ids.len() > self.head {
            self.ids.pop()
        } else {
            None
        }
    }

    /// The least recently used sandbox, taken.
    fn pop_front(&mut self) -> Option<SandboxId> {
        let id = *self.ids.get(self.head)?;
        self.head += 1;
        if self.head == self.ids.len() {
            self.ids.clear();
            self.head = 0;
        } else if self.head >= FRONT_SLACK && 2 * self.head >= self.ids.len() {
            self.ids.drain(..self.head);
            self.head = 0;
        }
        Some(id)
    }

    /// The pool's sandboxes, oldest first, with the slots before `head` reclaimed.
    fn live_slots(&mut self) -> &mut Vec<SandboxId> {
        if self.head > 0 {
            self.ids.drain(..self.head);
            self.head = 0;
        }
        &mut self.ids
    }

    /// A uniform pick among the live sandboxes: draw a position, remove an expired sandbox
    /// found there and draw again. Each draw is uniform over what is left and a draw ends
    /// only on a live sandbox, so the one taken is uniform over the live ones.
    fn take_uniform(
        &mut self,
        now: SimTime,
        arena: &mut SandboxArena,
        rng: &mut Rng,
        mut reclaimed: impl FnMut(SimTime, ReclaimCause, u32),
    ) -> Option<SandboxId> {
        while !self.is_empty() {
            let i = rng.random_range(0..self.len());
            // The one at `i` leaves and the newest takes its place (as a ring's
            // `swap_remove_back` does).
            let id = self.ids.swap_remove(self.head + i);
            let s = arena.get(id);
            if s.idle_until > now {
                return Some(id);
            }
            reclaimed(s.idle_until, cause_of(s), s.function);
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
        self.live_slots().retain(|&id| {
            let s = *arena.get(id);
            if s.idle_until > now {
                return true;
            }
            reclaimed(s.idle_until, cause_of(&s), s.function);
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
        for id in self.live_slots().drain(..) {
            let s = arena.get(id);
            if s.idle_until <= end {
                reclaimed(s.idle_until, cause_of(s), s.function);
            } else {
                alive(s.function);
            }
            arena.remove(id);
        }
    }

    /// Sandboxes in the pool, expired ones not yet removed included.
    pub fn len(&self) -> usize {
        self.ids.len() - self.head
    }

    /// True when the pool holds no sandbox.
    pub fn is_empty(&self) -> bool {
        self.ids.len() == self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sandbox(idle_until: u64, retire_at: u64) -> Sandbox {
        let mut s = Sandbox::new(0, SimTime(0), SimTime(retire_at));
        s.idle_until = SimTime(idle_until);
        s
    }

    fn rng() -> Rng {
        Rng::seed_from_u64(1)
    }

    /// Exact, hand-traced: pool (oldest first) = live until 100, expired at 40, retired at 30.
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
        let got = pool.take_live(
            SimTime(50),
            &mut arena,
            &Routing::Mru,
            &mut rng(),
            |t, c, _| seen.push((t, c)),
        );
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

    /// Exact, hand-traced: LRU skips the expired oldest sandbox (reclaimed at 40), takes the
    /// next, and leaves the newest in the pool; an empty pool gives None.
    #[test]
    fn oldest_live_sandbox_is_taken_under_lru() {
        let mut arena = SandboxArena::default();
        let mut pool = IdlePool::default();
        let expired = arena.insert(sandbox(40, 1_000));
        let old_live = arena.insert(sandbox(100, 1_000));
        let new_live = arena.insert(sandbox(200, 1_000));
        for id in [expired, old_live, new_live] {
            pool.push(id);
        }
        let mut seen = vec![];
        let got = pool.take_live(
            SimTime(50),
            &mut arena,
            &Routing::Lru,
            &mut rng(),
            |t, c, _| seen.push((t, c)),
        );
        assert_eq!(got, Some(old_live));
        assert_eq!(seen, vec![(SimTime(40), ReclaimCause::KeepAlive)]);
        assert_eq!(pool.len(), 1);
        let none = IdlePool::default().take_live(
            SimTime(0),
            &mut arena,
            &Routing::Lru,
            &mut rng(),
            |_, _, _| {},
        );
        assert_eq!(none, None);
    }

    /// Uniform pick: over 30,000 picks from a pool of 3 live and 3 expired sandboxes, each
    /// live one is taken a third of the time (4 binomial SEs: ±0.011) and an expired one
    /// never; the expired ones met are reclaimed once each.
    #[test]
    fn random_takes_each_live_sandbox_uniformly_and_never_an_expired_one() {
        let mut r = rng();
        let n = 30_000;
        let mut counts = [0u32; 6];
        let mut reclaimed = 0u64;
        for _ in 0..n {
            let mut arena = SandboxArena::default();
            let mut pool = IdlePool::default();
            for k in 0..6u64 {
                // Even positions expired at 10, odd ones live until 1,000.
                let until = if k % 2 == 0 { 10 } else { 1_000 };
                pool.push(arena.insert(sandbox(until, 5_000)));
            }
            let got = pool
                .take_live(
                    SimTime(50),
                    &mut arena,
                    &Routing::Random,
                    &mut r,
                    |t, _, _| {
                        assert_eq!(t, SimTime(10));
                        reclaimed += 1;
                    },
                )
                .unwrap();
            counts[got.0 as usize] += 1;
            // The rest of the pool: the other live ones and the expired ones not met.
            let mut left_live = 0;
            pool.drain(
                SimTime(50),
                &mut arena,
                |_, _, _| reclaimed += 1,
                |_| left_live += 1,
            );
            assert_eq!(left_live, 2);
        }
        assert_eq!(reclaimed, 3 * n as u64);
        for (k, &c) in counts.iter().enumerate() {
            if k % 2 == 0 {
                assert_eq!(c, 0);
            } else {
                let share = c as f64 / n as f64;
                assert!((share - 1.0 / 3.0).abs() < 0.011, "sandbox {k}: {share}");
            }
        }
    }

    /// Tolerance: exact. Random pushes, takes from either end or at a random place, purges
    /// and drains give the same sandboxes in the same order as a ring (`VecDeque`, the
    /// pool's former store), and the slots the front takes leave behind stay bounded.
    #[test]
    fn the_pool_takes_what_a_ring_would_and_reclaims_its_front() {
        use std::collections::VecDeque;
        let mut r = rng();
        let mut arena = SandboxArena::default();
        let mut pool = IdlePool::default();
        let mut ring: VecDeque<SandboxId> = VecDeque::new();
        let mut most = 0;
        for step in 0..20_000 {
            match r.random_range(0..10) {
                0..=3 => {
                    let id = arena.insert(sandbox(1_000_000, 1_000_000));
                    pool.push(id);
                    ring.push_back(id);
                }
                4..=5 => assert_eq!(pool.pop_back(), ring.pop_back(), "step {step}"),
                6..=7 => assert_eq!(pool.pop_front(), ring.pop_front(), "step {step}"),
                8 if !ring.is_empty() => {
                    let i = r.random_range(0..ring.len());
                    assert_eq!(
                        pool.ids.swap_remove(pool.head + i),
                        ring.swap_remove_back(i).unwrap()
                    );
                }
                _ => {
                    let cut = r.random_range(0..4);
                    pool.live_slots().retain(|id| id.0 % 4 != cut);
                    ring.retain(|id| id.0 % 4 != cut);
                }
            }
            assert_eq!(pool.len(), ring.len());
            assert!(pool.ids[pool.head..].iter().eq(ring.iter()), "step {step}");
            // The slots left before `head` are fewer than `FRONT_SLACK` or than the
            // sandboxes pooled when the front was last taken from.
            most = most.max(ring.len());
            assert!(pool.ids.len() <= 2 * most + FRONT_SLACK, "step {step}");
        }
    }
}
