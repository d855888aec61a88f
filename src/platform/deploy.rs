//! Deploys: publishing a new version of a function (DESIGN.md, "Chunk caches"; scenario
//! `[[deploy]]`). Later requests get sandboxes of the new version only: idle sandboxes of an
//! older version are retired at once, busy ones when their request ends. The component
//! counts versions and decides about a sandbox; the simulation acts on the decision.

/// What to do with a sandbox of some version, given the function's current version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionDecision {
    /// It runs the current version: keep it.
    Current,
    /// A deploy made it stale: replace it (retire it instead of keeping it idle).
    Replace,
}

/// The published versions of one function: 0 at the start, one more per deploy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Versions {
    current: u32,
}

impl Versions {
    /// The version new sandboxes are initialised with.
    #[inline]
    pub fn current(&self) -> u32 {
        self.current
    }

    /// Publishes a new version and returns it.
    pub fn publish(&mut self) -> u32 {
        self.current += 1;
        self.current
    }

    /// Decides about a sandbox initialised with `version`.
    #[inline]
    pub fn check(&self, version: u32) -> VersionDecision {
        if version == self.current {
            VersionDecision::Current
        } else {
            VersionDecision::Replace
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: exact. Two deploys: version 2 is current, sandboxes of 0 and 1 are replaced.
    #[test]
    fn sandboxes_of_earlier_versions_are_replaced_after_a_deploy() {
        let mut v = Versions::default();
        assert_eq!(v.check(0), VersionDecision::Current);
        assert_eq!(v.publish(), 1);
        assert_eq!(v.publish(), 2);
        assert_eq!(v.current(), 2);
        assert_eq!(v.check(0), VersionDecision::Replace);
        assert_eq!(v.check(1), VersionDecision::Replace);
        assert_eq!(v.check(2), VersionDecision::Current);
    }
}
