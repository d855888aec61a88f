//! Work units: any `scenario`, `compare` or `sweep` run split into independent pieces (a grid
//! point × a block of replications) that run anywhere (`coldsim run-unit`, or one Ray task
//! each through `python/`), and whose partial results merge into exactly the bytes the
//! single-machine command prints and writes (`coldsim merge`).
//!
//! Exactness comes from one code path: a unit computes each replication with
//! [`crate::runner::replicate`] (its seed depends only on the point's scenario and the
//! replication index, `engine::rng::replication_seed`), and the merge feeds them, in
//! (point, replication) order, to [`crate::runner::assemble`] and then to the same
//! `finish` of compare/sweep as the single-machine run. Partials carry every float as its
//! IEEE-754 bits, so nothing is rounded on the way.
//!
//! The files (format version [`FORMAT_VERSION`], documented in the README, "Running on a
//! cluster"): `plan.json` (the command, the unit list, the fingerprint), `inputs.json` (every
//! file the run reads, embedded: see [`bundle`]), `unit-NNN.json` (one per unit, small: the
//! command, its blocks, the fingerprint) and `*.partial.json` (one per unit run: the
//! replications' figures, histograms and timelines).

pub mod bundle;
pub mod merge;
pub mod partial;
pub mod plan;
pub mod setup;

use std::sync::OnceLock;

/// Version of the plan, unit and partial file formats; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// The coldsim version written into every file and checked on reading.
pub const COLDSIM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// FNV-1a (64 bits) of `bytes`: stable across platforms and Rust versions (unlike
/// `DefaultHasher`), enough to tell files and builds apart (not a defence against forgery).
pub fn fnv64(bytes: &[u8]) -> u64 {
    fnv64_extend(0xcbf2_9ce4_8422_2325, bytes)
}

/// Continues an FNV-1a hash `h` over `bytes`.
pub fn fnv64_extend(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The build of this binary: FNV-1a of the running executable's bytes, so that partials of
/// another build (same version number, different code) are refused too. `"unknown"` when the
/// executable cannot be read.
pub fn build_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        std::env::current_exe()
            .and_then(std::fs::read)
            .map(|b| format!("{:016x}", fnv64(&b)))
            .unwrap_or_else(|_| "unknown".into())
    })
}
