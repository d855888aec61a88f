//! Calibration: read real measurements (CloudWatch REPORT lines, Logs Insights exports,
//! generic CSVs, `python -X importtime` output), fit duration distributions by maximum
//! likelihood, check the fits, and write model files and fit reports (DESIGN.md, "The flow":
//! `data/*.csv ──► calibrate ──► models/*.toml + fit report`).

pub mod commands;
pub mod day;
pub mod diagnostics;
pub mod error;
pub mod fit;
pub mod fit_report;
pub mod groups;
pub mod hypothesis;
pub mod imports_model;
pub mod protocol;
pub mod read;
pub mod recipe;
pub mod regime;
pub mod restore_fit;
pub mod runtime_model;
pub mod runtimes_recipe;
pub mod runtimes_validation;
pub mod source;
pub mod spec;
pub mod steady;
pub mod steady_data;
pub mod two_part;
pub mod validate;

pub use day::Day;
pub use diagnostics::{Diagnostics, RowWarning};
