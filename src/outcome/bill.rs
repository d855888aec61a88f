//! What one function's recorded run bills: the counts of [`FunctionStats`] as the
//! [`CostInputs`] of the cost model ([`crate::cost`]).

use super::recorder::FunctionStats;
use crate::cost::CostInputs;
use crate::engine::SimDuration;
use crate::lambda::{Arch, Packaging};
use crate::stats::Histogram;

/// What one replication of a function (`arch`, `memory_mb`, `packaging`) bills, from its
/// counts over the `measured` span: user requests (handler time billed on demand or, on
/// provisioned sandboxes, at the PC duration price), request-path inits (billed by the
/// packaging's billing rule), pings, provisioned concurrency configured, and SnapStart
/// cache and restores. Restores are billed on their whole Restore Duration, an upper bound:
/// AWS bills only the runtime load and hooks, not the snapshot loading. Proactive and
/// replacement inits are billed like request-path inits, by the packaging's rule: each is
/// an on-demand INIT phase that ran before its first request (an assumption: AWS does not
/// say whether it bills them).
pub fn cost_inputs(
    s: &FunctionStats,
    arch: Arch,
    memory_mb: u32,
    packaging: Packaging,
    measured: SimDuration,
) -> CostInputs {
    let measured_s = measured.as_us() as f64 / 1e6;
    let sum_ms = |h: &Histogram| h.mean_us() * h.count() as f64 / 1e3;
    let mut inputs = CostInputs::new(arch, memory_mb, packaging, measured_s);
    inputs.invocations = s.invocations;
    inputs.billed_ms = s.billed_handler_ms;
    inputs.on_demand_init_ms = sum_ms(&s.init_duration) + s.offpath_on_demand_init_us as f64 / 1e3;
    inputs.pings = s.pings;
    inputs.ping_billed_ms = s.ping_billed_ms;
    inputs.provisioned_configured_s = s.provisioned_configured_us as f64 / 1e6;
    inputs.provisioned_busy_ms = s.provisioned_billed_ms;
    if s.snapshot_publishes > 0 {
        inputs.snapshot_mb = memory_mb as f64;
        inputs.snapshot_active_s = measured_s;
        inputs.snapshot_publishes = s.snapshot_publishes;
        inputs.restores = s.restores;
        inputs.restore_billed_ms = sum_ms(&s.restore_duration).ceil() as u64;
    }
    inputs
}
