//! What a Lambda run produced: the per-function recorder the simulator fills
//! ([`FunctionStats`], [`RunStats`]), the figures reported from it ([`figures::figures`]) and
//! a scenario's replications kept for paired comparisons and plots ([`run::DetailedRun`]),
//! and the per-invocation record streamed to a sink ([`invocation::InvocationSink`]).
//! Built on [`crate::stats`], which knows nothing of Lambda.

pub mod bill;
pub mod events;
pub mod figure_key;
pub mod figures;
pub mod invocation;
pub mod recorder;
pub mod run;

pub use recorder::{FunctionStats, RunStats};
