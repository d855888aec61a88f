//! Chunk storage for container images and snapshots: the layer that makes image cold starts
//! come out of the mechanism rather than a fitted constant (DESIGN.md, "Chunk caches").
//!
//! The model follows Brooker, Danilov, Greenwood and Piwonka, "On-demand Container Loading
//! in AWS Lambda", USENIX ATC '23 (facts.md §1, "ATC'23" below):
//! - an image is flattened and cut into 512 KiB chunks named by their content, so images that
//!   share a layer share its chunks ([`chunk`]);
//! - init reads only a small part of the image, about 6.5% of its bytes ([`layout`]);
//! - each chunk read goes worker cache → AZ cache → origin (S3), each tier with its own
//!   latency, and fills the tiers it missed ([`tiers`]);
//! - caches are shared with other tenants, whose pressure is modelled either explicitly (an
//!   LRU fed by a background request stream) or by the characteristic-time approximation of
//!   Che, Tung and Wang (2002) ([`cache`], [`background`]);
//! - workers are grouped in AZs, one cache each, and a placement policy picks the worker of
//!   a cold start ([`fleet`]).
//!
//! How the simulator uses it, per cold start of a function whose image version is `v`:
//! ```
//! use coldsim::engine::{RngStreams, SimTime};
//! use coldsim::storage::chunk::{ImageVersion, Layer, MB};
//! use coldsim::storage::fleet::{Fleet, FleetSpec, RandomPlacement};
//! use coldsim::storage::layout::{ReadSet, DEFAULT_READ_FRACTION};
//!
//! # fn main() -> Result<(), coldsim::storage::StorageError> {
//! let v = ImageVersion::build(
//!     "api",
//!     &[Layer::new("public.ecr.aws/lambda/python:3.9", 500 * MB), Layer::new("api-app", 20 * MB)],
//! )?;
//! let reads = ReadSet::sampled(&v, DEFAULT_READ_FRACTION)?; // once per version
//! let mut fleet = Fleet::new(&FleetSpec::default(), Box::new(RandomPlacement), &RngStreams::new(7))?;
//! let placed = fleet.place(0); // function index 0
//! let out = fleet.read(placed.worker, reads.chunks(), SimTime::ZERO);
//! // `out.fetch_time` goes into the cold start's init; `out.served` into the cache counters.
//! assert_eq!(out.served.origin, reads.len() as u64); // nothing cached yet
//! # Ok(()) }
//! ```
//! After a deploy, `v.deploy(unique_fraction, key)` gives the new version and
//! `reads.for_version(&new)` its read set: the same files, their new contents.

pub mod background;
pub mod cache;
pub mod chunk;
pub mod fleet;
pub mod inflight;
pub mod layout;
pub mod tiers;

/// A storage-model parameter out of range. The simulator's config layer maps it to an
/// [`InputError`](crate::error::InputError) naming the file and key.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StorageError {
    /// `param` has a value the model cannot use; `message` says what was expected.
    #[error("{param}: {message}")]
    Param {
        /// The parameter, as named in this module's API.
        param: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl StorageError {
    pub(crate) fn param(param: &'static str, message: impl Into<String>) -> Self {
        StorageError::Param {
            param,
            message: message.into(),
        }
    }
}

/// Result with a [`StorageError`].
pub type StorageResult<T> = Result<T, StorageError>;

/// SplitMix64 finaliser: a bijective 64-bit mix. Chunk identities and hash-table slots are
/// built from it, so they are stable across platforms and Rust versions.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over a name, then mixed: a stable 64-bit digest standing in for a content hash.
pub(crate) fn hash_name(name: &str) -> u64 {
    mix64(name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    }))
}

/// Checks that `x` is a fraction in [0, 1].
pub(crate) fn check_fraction(param: &'static str, x: f64) -> StorageResult<()> {
    if (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(StorageError::param(
            param,
            format!("expected a fraction in [0, 1], got {x}"),
        ))
    }
}
