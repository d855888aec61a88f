//! The per-invocation sink: every counted invocation, streamed as it finishes (the
//! `--invocations-csv` output), never stored. With a sink every completion is an event, so
//! records come in completion order.

use super::World;
use crate::engine::SimTime;
use crate::platform::sandbox::{Request, SandboxId};

/// One finished invocation, for the per-invocation CSV.
#[derive(Clone, Copy, Debug)]
pub struct InvocationRecord {
    /// Index of the function.
    pub function: u32,
    /// The sandbox that served it.
    pub sandbox: u32,
    /// Request details.
    pub request: Request,
    /// When it finished.
    pub end: SimTime,
}

/// Receives every counted invocation as it finishes (streamed, never stored).
pub trait InvocationSink {
    /// Called once per finished invocation.
    fn record(&mut self, replication: u32, rec: &InvocationRecord) -> std::io::Result<()>;
}

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
                sandbox: id.0,
                request: req,
                end: now,
            };
            if let Err(e) = sink.record(self.replication, &rec) {
                self.sink_error.get_or_insert(e);
            }
        }
    }
}
