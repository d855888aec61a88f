//! Rendering a [`crate::stats::figures::Summary`] for people and for tools: a terminal
//! table, the JSON of the output contract, CSV; plus the per-invocation CSV stream and the
//! progress bar.

pub mod compare;
pub mod csv_out;
pub mod grid;
pub mod invocations;
pub mod json;
pub mod markdown;
pub mod models;
pub mod plots;
pub mod progress;
pub mod svg;
pub mod table;
