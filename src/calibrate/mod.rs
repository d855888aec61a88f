//! Calibration: read real measurements (CloudWatch REPORT lines, Logs Insights exports,
//! generic CSVs, `python -X importtime` output), fit duration distributions by maximum
//! likelihood, check the fits, and write model files and fit reports (DESIGN.md, "The flow":
//! `data/*.csv ──► calibrate ──► models/*.toml + fit report`).

pub mod day;
pub mod diagnostics;
pub mod fit;
pub mod protocol;
pub mod regime;
pub mod read;

pub use day::Day;
pub use diagnostics::{Diagnostics, RowWarning};
