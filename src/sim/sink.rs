//! The per-invocation sink: every counted invocation, streamed as it finishes (the
//! `--invocations-csv` output), never stored. With a sink every completion is an event, so
//! records come in completion order. The record and sink types live in
//! [`crate::outcome::invocation`].

use super::World;
use crate::engine::SimTime;
use crate::outcome::invocation::InvocationRecord;
use crate::platform::sandbox::SandboxId;

impl World<'_> {
    /// Hands the request sandbox `id` of function `f` finished at `now` to the sink, if there
    /// is one and the request counts. The first write error is kept for the end of the run.
    pub(super) fn record_invocation(&mut self, now: SimTime, f: usize, id: SandboxId) {
        let Some(sink) = self.sink.as_deref_mut() else {
            return;
        };
        let req = self.sandboxes.get(id).request;
        if req.counted {
            let rec = InvocationRecord {
                function: f as u32,
                sandbox: self.sandboxes.serial(id),
                request: req,
                end: now,
            };
            if let Err(e) = sink.record(self.replication, &rec) {
                self.sink_error.get_or_insert(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SimError, run};
    use super::*;
    use crate::config::load_scenario;
    use crate::outcome::invocation::InvocationSink;

    /// Fails from the `fail_at`-th record on, counting the records it was given.
    struct Failing {
        seen: u32,
        fail_at: u32,
    }

    impl InvocationSink for Failing {
        fn record(&mut self, _: u32, _: &InvocationRecord) -> std::io::Result<()> {
            self.seen += 1;
            if self.seen >= self.fail_at {
                return Err(std::io::Error::other(format!("disk full at {}", self.seen)));
            }
            Ok(())
        }
    }

    /// Tolerance: exact. A sink that fails from its 3rd record on: the run goes on (every
    /// later record is still offered), and the error returned is the first write error,
    /// shown as itself.
    #[test]
    fn the_first_sink_write_error_is_returned_as_sim_error_io() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            "name = \"s\"\n[run]\nduration = \"10m\"\nseed = 1\n\
             [[function]]\nname = \"f\"\nmemory_mb = 1769\nhandler = \"100ms\"\n\
             cold_start = \"200ms\"\n\
             [[traffic]]\nfunction = \"f\"\nkind = \"poisson\"\nrate = 1\n",
        )
        .unwrap();
        let sc = load_scenario(&path).unwrap();
        let invocations = run(&sc, 0, None, None).unwrap().functions[0].invocations;
        assert!(invocations > 100);
        let mut sink = Failing {
            seen: 0,
            fail_at: 3,
        };
        match run(&sc, 0, Some(&mut sink), None) {
            Err(e @ SimError::Io { .. }) => assert_eq!(e.to_string(), "disk full at 3"),
            other => panic!("expected a write error, got {other:?}"),
        }
        assert_eq!(u64::from(sink.seen), invocations);
    }
}
