//! Scenario and model files: parsing, units, distribution specs and validation into a typed
//! [`Scenario`]. Every error names the file and the key (or line) at fault.

pub mod dist;
pub mod file;
pub mod overrides;
pub(crate) mod paths;
mod runtime_select;
pub mod scenario;
pub mod storage;
mod traffic;
pub mod units;
pub mod work;
pub mod workload;

pub use scenario::{Function, Scenario, TrafficSource, load_scenario};
