//! Deploys in the run: a function's [`Versions`](crate::platform::deploy::Versions) count up,
//! an image gets a share of new chunks, idle sandboxes of the old version are retired now
//! (busy ones when they finish, see `complete.rs`) and provisioned concurrency is
//! provisioned again for the new version.

use super::{World, count_reclaim};
use crate::engine::SimTime;

impl World<'_> {
    /// Publishes a new version: later requests get sandboxes of the new version only (idle
    /// ones of the old version are retired now, busy ones when they finish), and an image
    /// gets a share of new chunks.
    #[inline(never)] // rare on the hot path: keeps `World::run` small
    pub(super) fn on_deploy(&mut self, now: SimTime, index: usize) {
        let d = &self.sc.deploys[index];
        let f = d.function;
        // Completions ordered before this event happened before it: settle them first.
        self.complete_due(f);
        let fs = &mut self.functions[f];
        let version = fs.versions.publish();
        if let Some(v) = fs.image.as_mut() {
            let key = format!("{}@{}", self.sc.functions[f].name, version);
            fs.stats.snapshot_publishes += u64::from(fs.stats.snapshot_mb > 0.0);
            let fraction = self.sc.functions[f]
                .cold_start
                .publish_fraction(d.unique_chunk_fraction);
            match v.deploy(fraction, &key) {
                Ok(next) => *v = next,
                Err(e) => unreachable!("unique_chunk_fraction is checked by config: {e}"),
            }
        }
        self.retire_stale_idle(now, f);
        if self.functions[f].pc.is_some() {
            // Provisioned sandboxes of the old version are released (idle ones now, busy
            // ones after their request) and the count is provisioned again for the new one.
            self.pc_release_stale(now, f);
            self.pc_set_target(now, f, false);
        }
        if self.functions_waiting > 0 {
            self.dispatch_waiting(now, f);
        }
    }

    /// Empties `f`'s idle pool after a deploy: sandboxes already expired count as reclaimed
    /// by their cause, the others as replaced.
    fn retire_stale_idle(&mut self, now: SimTime, f: usize) {
        let fs = &mut self.functions[f];
        let (mut expired, mut replaced) = (Vec::new(), 0u64);
        fs.idle.drain(
            now,
            &mut self.sandboxes,
            |t, cause, _| expired.push((t, cause)),
            |_| replaced += 1,
        );
        for (t, cause) in expired {
            count_reclaim(&mut fs.stats, cause, t);
        }
        fs.stats.replaced_by_deploy += replaced;
        for _ in 0..replaced {
            fs.stats.timeline.record_died(now.as_us());
        }
    }
}
