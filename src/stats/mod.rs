//! Statistics accumulated online: histograms, counters and per-phase sums, merged across
//! replications with confidence intervals. Knows nothing of Lambda.

pub mod bucket_counts;
pub mod ci;
pub mod figures;
pub mod histogram;
pub mod ms_counts;
pub mod timeline;

pub use histogram::Histogram;
