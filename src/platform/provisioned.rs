//! Platform mitigations configured per function: provisioned concurrency (a constant count
//! or a daily schedule) and warm-up pings (DESIGN.md, "Sandbox lifecycle"; issue 6). The
//! simulation (`sim/provisioned.rs`) acts on the decisions of [`ProvisionedConcurrency`];
//! this module holds the configuration, the arithmetic of the schedule and the component.
//!
//! Provisioned concurrency: the sandboxes are initialised ahead of traffic, off the request
//! path, without the init CPU boost (facts.md "No boost for Provisioned-Concurrency inits"),
//! are not reclaimed by keep-alive while provisioned, and are replaced at the platform's
//! maximum lifetime with the replacement initialised first (it starts [`RECYCLE_LEAD`]
//! before the old sandbox's lifetime ends; if its init takes longer, the old one serves
//! until the replacement is ready, so capacity never dips).

use super::sandbox::{PcRole, SandboxId};
use crate::engine::{Rng, SimDuration, SimTime};

/// One day of simulated time: schedules repeat with this period; the run starts at midnight.
pub const DAY: SimDuration = SimDuration(86_400_000_000);

/// How long before a provisioned sandbox's maximum lifetime its replacement starts to
/// initialise. AWS publishes no figure; 2 minutes is an assumption that covers every init
/// the models produce (init is capped at 10 s on demand, facts.md §2).
pub const RECYCLE_LEAD: SimDuration = SimDuration(120_000_000);

/// Provisioned concurrency of one function: a count in force from each time of day, the
/// schedule repeating every 24 h of simulated time. A constant count is one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcSchedule {
    /// (time of day, count), sorted by time of day, times unique.
    entries: Vec<(SimDuration, u32)>,
}

impl PcSchedule {
    /// `count` sandboxes all the time.
    pub fn constant(count: u32) -> Self {
        PcSchedule {
            entries: vec![(SimDuration::ZERO, count)],
        }
    }

    /// A daily schedule from (time of day, count) entries in any order. Each count holds
    /// from its time of day until the next entry's; at midnight the last entry's count is
    /// in force. Two entries at the same time of day are an error.
    pub fn daily(mut entries: Vec<(SimDuration, u32)>) -> Result<Self, String> {
        entries.sort_by_key(|e| e.0);
        if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!(
                "two entries at the same time of day ({} s after midnight)",
                w[0].0.as_secs_f64()
            ));
        }
        if entries.iter().any(|e| e.0 >= DAY) {
            return Err("times of day must be before 24:00".into());
        }
        if entries.is_empty() {
            return Err("a schedule needs at least one entry".into());
        }
        Ok(PcSchedule { entries })
    }

    /// Whether the count never changes.
    pub fn is_constant(&self) -> bool {
        self.entries.iter().all(|e| e.1 == self.entries[0].1)
    }

    /// The largest count of the schedule (bounds the work of a run before it starts).
    pub fn max_count(&self) -> u32 {
        self.entries.iter().map(|e| e.1).max().unwrap_or(0)
    }

    /// The count in force at `t` (an entry's count holds from its own instant on).
    pub fn count_at(&self, t: SimTime) -> u32 {
        let tod = SimDuration(t.0 % DAY.0);
        match self.entries.iter().rev().find(|e| e.0 <= tod) {
            Some(e) => e.1,
            None => self.entries[self.entries.len() - 1].1,
        }
    }

    /// The first instant after `t` at which an entry takes effect (`None` when constant).
    pub fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        if self.is_constant() {
            return None;
        }
        let day_start = t.0 - t.0 % DAY.0;
        (0..2u64)
            .flat_map(|d| {
                self.entries
                    .iter()
                    .map(move |e| SimTime(day_start + d * DAY.0 + e.0.0))
            })
            .find(|&at| at > t)
    }

    /// The integral of the count over `[from, to)`, sandbox-µs: the configured provisioned
    /// time, which is what provisioned concurrency is billed by.
    pub fn integral_us(&self, from: SimTime, to: SimTime) -> u128 {
        let mut sum = 0u128;
        let mut t = from;
        while t < to {
            let next = self.next_change_after(t).map_or(to, |n| n.min(to));
            sum += self.count_at(t) as u128 * (next.0 - t.0) as u128;
            t = next;
        }
        sum
    }
}

pub use super::pings::{DEFAULT_PING, Pings};

/// Provisioned concurrency of one function in one replication: the count in force, the
/// sandboxes that make it up and the configured time accrued. It decides which sandboxes to
/// add, keep, release or retire; the simulation creates and removes them.
#[derive(Clone, Debug)]
pub struct ProvisionedConcurrency {
    schedule: PcSchedule,
    /// The count in force.
    target: u32,
    /// Sandboxes in role `Provisioned` (initialising, idle or busy).
    members: Vec<SandboxId>,
    /// Ready provisioned sandboxes without a request (`Provisioned` or `Retiring`), most
    /// recently used on top.
    idle: Vec<SandboxId>,
    /// Lifetimes of provisioned sandboxes (stream `provisioned_lifetime`).
    pub lifetime_rng: Rng,
    /// Their init draws (stream `provisioned_cold_start`).
    pub cold_rng: Rng,
    /// Configured time is accounted up to here.
    since: SimTime,
}

/// A sandbox above the count in force, and what to do with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surplus {
    /// An idle member, already dropped by the component: remove it now.
    RemoveNow(SandboxId),
    /// A member initialising or busy, already dropped: release it when its init or request
    /// ends (mark it `Released`).
    ReleaseLater(SandboxId),
}

/// What becomes of a provisioned sandbox that is free again (its init or request ended).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeDecision {
    /// Back to the idle list (done by the component).
    Idle,
    /// Recycled at its lifetime and replaced: retire it.
    Retire,
    /// Released (count lowered, deploy): remove it.
    Release,
}

/// What to do with a recycled sandbox whose replacement is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetireDecision {
    /// It was idle, and the component dropped it: retire it now.
    RetireNow,
    /// It is serving a request: retire it after (mark it `Recycled`).
    AfterRequest,
}

impl ProvisionedConcurrency {
    /// No sandboxes yet, count 0, accounting from time zero.
    pub fn new(schedule: PcSchedule, lifetime_rng: Rng, cold_rng: Rng) -> Self {
        ProvisionedConcurrency {
            schedule,
            target: 0,
            members: Vec::new(),
            idle: Vec::new(),
            lifetime_rng,
            cold_rng,
            since: SimTime::ZERO,
        }
    }

    /// The count in force.
    #[inline]
    pub fn target(&self) -> u32 {
        self.target
    }

    /// The next change of the count after `t` (`None` when constant).
    pub fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        self.schedule.next_change_after(t)
    }

    /// The configured sandbox-µs from the last accounting to `now` that lie in the measured
    /// span `[from, to)`; accounting moves on to `now`.
    pub fn accrue(&mut self, now: SimTime, from: SimTime, to: SimTime) -> u64 {
        let (a, b) = (self.since.max(from), now.min(to));
        self.since = now;
        if b > a {
            self.target as u64 * (b.0 - a.0)
        } else {
            0
        }
    }

    /// Accounts the configured time up to `now` (returned, as [`Self::accrue`]) and puts
    /// the schedule's count at `now` in force.
    pub fn retarget(&mut self, now: SimTime, from: SimTime, to: SimTime) -> u64 {
        let us = self.accrue(now, from, to);
        self.target = self.schedule.count_at(now);
        us
    }

    /// Whether fewer sandboxes than the count are provisioned.
    pub fn is_short(&self) -> bool {
        (self.members.len() as u32) < self.target
    }

    /// One sandbox above the count, dropped from the members: an idle one first (least
    /// recently used), else the newest member. `None` when the count is met.
    pub fn next_surplus(&mut self) -> Option<Surplus> {
        if self.members.len() as u32 <= self.target {
            return None;
        }
        let members = &self.members;
        match self.idle.iter().position(|id| members.contains(id)) {
            Some(i) => {
                let id = self.idle.remove(i);
                self.members.retain(|&m| m != id);
                Some(Surplus::RemoveNow(id))
            }
            None => self.members.pop().map(Surplus::ReleaseLater),
        }
    }

    /// Takes in a new member; `ready` when it is initialised already (then it is idle).
    pub fn adopt(&mut self, id: SandboxId, ready: bool) {
        self.members.push(id);
        if ready {
            self.idle.push(id);
        }
    }

    /// The most recently used idle sandbox, taken for a request.
    #[inline]
    pub fn take_idle(&mut self) -> Option<SandboxId> {
        self.idle.pop()
    }

    /// Sandbox `id`, in role `role`, is free again.
    pub fn on_free(&mut self, id: SandboxId, role: PcRole) -> FreeDecision {
        match role {
            PcRole::Provisioned | PcRole::Retiring => {
                self.idle.push(id);
                FreeDecision::Idle
            }
            PcRole::Recycled => FreeDecision::Retire,
            PcRole::Released | PcRole::OnDemand => FreeDecision::Release,
        }
    }

    /// Member `id` nears its lifetime: it stops counting (its replacement will).
    pub fn recycle(&mut self, id: SandboxId) {
        self.members.retain(|&m| m != id);
    }

    /// Recycled sandbox `id`'s replacement is ready.
    pub fn retire(&mut self, id: SandboxId) -> RetireDecision {
        match self.idle.iter().position(|&m| m == id) {
            Some(i) => {
                self.idle.remove(i);
                RetireDecision::RetireNow
            }
            None => RetireDecision::AfterRequest,
        }
    }

    /// A deploy makes every sandbox stale: returns the idle ones (remove them now) and the
    /// members (release each still alive after its init or request).
    pub fn release_all(&mut self) -> (Vec<SandboxId>, Vec<SandboxId>) {
        (
            std::mem::take(&mut self.idle),
            std::mem::take(&mut self.members),
        )
    }
}

/// When a provisioned sandbox ready at `ready`, whose lifetime ends at `lifetime_end`, is
/// recycled: [`RECYCLE_LEAD`] before its lifetime ends, not before it is
/// ready.
pub fn recycle_at(lifetime_end: SimTime, ready: SimTime) -> SimTime {
    SimTime(lifetime_end.0.saturating_sub(RECYCLE_LEAD.0).max(ready.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(x: u64) -> SimDuration {
        SimDuration(x * 3_600_000_000)
    }

    /// Tolerance: exact. 10 from 08:00, 2 from 20:00: midnight has the last entry's 2, a day
    /// integrates to 12 h × 10 + 12 h × 2 = 144 sandbox-hours.
    #[test]
    fn schedule_wraps_at_midnight_and_integrates_by_hand() {
        let s = PcSchedule::daily(vec![(h(20), 2), (h(8), 10)]).unwrap();
        assert_eq!(s.count_at(SimTime::ZERO), 2);
        assert_eq!(s.count_at(SimTime::ZERO + h(8)), 10);
        assert_eq!(s.count_at(SimTime::ZERO + h(19)), 10);
        assert_eq!(s.count_at(SimTime::ZERO + h(20)), 2);
        assert_eq!(s.count_at(SimTime::ZERO + h(24 + 9)), 10);
        assert_eq!(
            s.next_change_after(SimTime::ZERO),
            Some(SimTime::ZERO + h(8))
        );
        assert_eq!(
            s.next_change_after(SimTime::ZERO + h(20)),
            Some(SimTime::ZERO + h(32))
        );
        assert_eq!(
            s.integral_us(SimTime::ZERO, SimTime::ZERO + h(24)),
            144 * 3_600_000_000
        );
        assert!(PcSchedule::daily(vec![(h(1), 1), (h(1), 2)]).is_err());
        let c = PcSchedule::constant(5);
        assert_eq!(c.next_change_after(SimTime::ZERO), None);
        assert_eq!(
            c.integral_us(SimTime::ZERO, SimTime::ZERO + h(2)),
            10 * 3_600_000_000
        );
    }

    /// Tolerance: exact, traced by hand. Count 2 with three members (a, b idle, c
    /// initialising): the least recently used idle one (a) goes first, then the count is
    /// met. Configured time: 2 sandboxes over [3, 10) µs measured = 14 sandbox-µs.
    #[test]
    fn surplus_goes_idle_first_least_recently_used_and_time_accrues_by_count() {
        use rand::SeedableRng;
        let rng = Rng::seed_from_u64(1);
        let mut pc = ProvisionedConcurrency::new(PcSchedule::constant(2), rng.clone(), rng);
        assert_eq!(pc.retarget(SimTime::ZERO, SimTime(3), SimTime(100)), 0);
        assert_eq!(pc.target(), 2);
        let (a, b, c) = (SandboxId(0), SandboxId(1), SandboxId(2));
        pc.adopt(a, true);
        pc.adopt(b, true);
        assert!(!pc.is_short());
        pc.adopt(c, false);
        assert_eq!(pc.next_surplus(), Some(Surplus::RemoveNow(a)));
        assert_eq!(pc.next_surplus(), None);
        assert_eq!(pc.accrue(SimTime(10), SimTime(3), SimTime(100)), 14);
        assert_eq!(pc.take_idle(), Some(b));
        assert_eq!(pc.on_free(b, PcRole::Retiring), FreeDecision::Idle);
        assert_eq!(pc.retire(b), RetireDecision::RetireNow);
        assert_eq!(pc.retire(c), RetireDecision::AfterRequest);
        assert_eq!(pc.on_free(c, PcRole::Recycled), FreeDecision::Retire);
        assert_eq!(pc.on_free(c, PcRole::Released), FreeDecision::Release);
        assert_eq!(
            recycle_at(SimTime(RECYCLE_LEAD.0 + 50), SimTime(20)),
            SimTime(50)
        );
        assert_eq!(recycle_at(SimTime(10), SimTime(20)), SimTime(20));
    }
}
