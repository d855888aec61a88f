//! Scenario and model files: parsing, units, distribution specs and validation into a typed
//! [`Scenario`]. Every error names the file and the key (or line) at fault.

pub mod builtin;
pub mod dist;
mod event_source;
pub mod file;
pub mod overrides;
pub(crate) mod paths;
pub(crate) mod routing;
mod runtime_select;
pub mod scenario;
pub mod storage;
mod traffic;
pub mod units;
pub mod work;
pub mod workload;

pub use scenario::{Function, Scenario, TrafficSource, load_scenario};
