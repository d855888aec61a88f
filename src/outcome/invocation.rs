//! One finished invocation and the sink that receives it: what a run records per
//! invocation for the `--invocations-csv` output. The simulator fills it ([`crate::sim`]) and
//! reports write it ([`crate::report`]); neither depends on the other for it.

use crate::engine::SimTime;
use crate::platform::sandbox::Request;

/// One finished invocation, for the per-invocation CSV.
#[derive(Clone, Copy, Debug)]
pub struct InvocationRecord {
    /// Index of the function.
    pub function: u32,
    /// The sandbox that served it: its serial number, unique over the replication.
    pub sandbox: u64,
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
