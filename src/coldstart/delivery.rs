//! Code delivery: how a function's code reaches its sandbox (DESIGN.md, "What a cold start
//! costs": the `fetch code` phase).
//! - ZIP: the archive is downloaded from S3 and unpacked before init; its size and the
//!   transfer rates decide the time. With layers, each layer is one more archive.
//! - Image: nothing is fetched up front; init reads the chunks it touches through the cache
//!   tiers (`crate::storage`), so that time lands inside `Init Duration`.
//!
//! - SnapStart: init ran at publish; a cold start restores its memory snapshot, reading
//!   the restore's working set through the same chunk tiers (facts.md "SnapStart (Python)":
//!   "restores use the same on-demand chunk loading"), then the runtime's restore and the
//!   after-restore hooks.

use crate::engine::{Dist, Rng, SimDuration};
use crate::storage::chunk::ImageVersion;

/// Largest unzipped size of a function's code, layers included: 250 MB (AWS Lambda quotas;
/// facts.md "image size cap / zip cap"; the seed article: "the 250MB limit applies to the
/// unzipped total of all ZIP packages including layers"). AWS counts 250 MB as 262,144,000
/// bytes (250 MiB); we use that.
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

/// Most layers a function may use (AWS Lambda quotas: five layers).
pub const MAX_LAYERS: usize = 5;

/// One ZIP archive: the function's package or a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct ZipArchive {
    /// Name (the function, or the layer).
    pub name: String,
    /// Size as downloaded.
    pub zip_bytes: u64,
    /// Size once unpacked.
    pub unzipped_bytes: u64,
}

/// How fast ZIP archives reach a sandbox (platform model, `[zip]`).
#[derive(Clone, Debug)]
pub struct ZipTransfer {
    /// Time to the first byte of each archive from S3.
    pub first_byte: Dist,
    /// Download rate, bytes per second.
    pub download_bytes_per_s: f64,
    /// Unpack (inflate and write) rate, unzipped bytes per second.
    pub unpack_bytes_per_s: f64,
}

impl ZipTransfer {
    /// Time to fetch and unpack `archives` one after another: for each, time to first byte,
    /// then zip size / download rate, then unzipped size / unpack rate.
    pub fn fetch_time(&self, archives: &[ZipArchive], rng: &mut Rng) -> SimDuration {
        let mut us = 0.0;
        let mut first = SimDuration::ZERO;
        for a in archives {
            first += self.first_byte.sample(rng);
            us += a.zip_bytes as f64 / self.download_bytes_per_s * 1e6
                + a.unzipped_bytes as f64 / self.unpack_bytes_per_s * 1e6;
        }
        first + SimDuration::from_us_f64(us)
    }
}

/// A container image function's code: the flattened image at deploy time and which of its
/// chunks init reads.
#[derive(Clone, Debug)]
pub struct ImageCode {
    /// Version 0 of the image (deploys derive later versions from it).
    pub version: ImageVersion,
    /// Positions (chunk indices of the flattened image) the runtime's start reads, in order.
    pub runtime_reads: Vec<u32>,
    /// Per module of the workload's import graph (by index): the positions its import
    /// reads, in order.
    pub module_reads: Vec<Vec<u32>>,
    /// Indices of layers other tenants keep hot in every AZ cache (AWS base images).
    pub shared_layers: Vec<usize>,
    /// Sigma of a per-cold-start lognormal factor (mean 1) on its chunk I/O time: the
    /// agent's service jitter (platform `storage.read_jitter_sigma`).
    pub read_jitter_sigma: f64,
}

/// How a function's code is delivered.
#[derive(Clone, Debug)]
pub enum CodeDelivery {
    /// ZIP archives (the package, then its layers), fetched and unpacked before boot.
    Zip {
        /// The archives.
        archives: Vec<ZipArchive>,
        /// The platform's transfer rates.
        transfer: ZipTransfer,
    },
    /// A container image read on demand.
    Image(Box<ImageCode>),
    /// A SnapStart snapshot restored on demand.
    Snapstart(Box<SnapshotCode>),
}

/// A SnapStart function's snapshot (facts.md "SnapStart (Python)"; DESIGN.md "Chunk
/// caches"). It is stored as chunks like an image: `image.version` is a one-layer image
/// named after the function whose chunks are the snapshot, `image.runtime_reads` the
/// positions a restore reads (its working set), in order; it has no module reads and no
/// shared layers. Each publish (t = 0 and each deploy of the function) takes a new snapshot
/// whose chunks are all new content, in no cache.
#[derive(Clone, Debug)]
pub struct SnapshotCode {
    /// The snapshot as chunks, and the restore's read set.
    pub image: ImageCode,
    /// The runtime's own restore work after the reads (resume, runtime reload).
    pub runtime_restore: Dist,
    /// The after-restore hooks.
    pub restore_hooks: Dist,
    /// Snapshot size, MB (10^6 bytes), for cost: the function's memory by default.
    pub snapshot_mb: f64,
}

impl CodeDelivery {
    /// The chunked code the fleet serves: an image, or a SnapStart snapshot.
    pub fn chunked(&self) -> Option<&ImageCode> {
        match self {
            CodeDelivery::Image(code) => Some(code),
            CodeDelivery::Snapstart(snap) => Some(&snap.image),
            CodeDelivery::Zip { .. } => None,
        }
    }

    /// The share of the chunks that is new content after a publish that changes
    /// `unique_fraction` of an image: all of a snapshot (a new snapshot is taken at each
    /// publish, with unique content: memory state, random seeds, timestamps).
    pub fn publish_fraction(&self, unique_fraction: f64) -> f64 {
        match self {
            CodeDelivery::Snapstart(_) => 1.0,
            _ => unique_fraction,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn zip_fetch_time_is_first_byte_plus_size_over_rate_per_archive() {
        let t = ZipTransfer {
            first_byte: Dist::Constant(SimDuration::from_ms(20)),
            download_bytes_per_s: 100e6,
            unpack_bytes_per_s: 250e6,
        };
        let a = |z: u64, u: u64| ZipArchive {
            name: "x".into(),
            zip_bytes: z,
            unzipped_bytes: u,
        };
        // 50 MB at 100 MB/s = 500 ms; 200 MB at 250 MB/s = 800 ms; + 20 ms.
        let one = t.fetch_time(&[a(50_000_000, 200_000_000)], &mut Rng::seed_from_u64(1));
        assert_eq!(one, SimDuration::from_ms(1_320));
        // Split in two archives: the same bytes and one more first byte.
        let two = t.fetch_time(
            &[a(25_000_000, 100_000_000), a(25_000_000, 100_000_000)],
            &mut Rng::seed_from_u64(1),
        );
        assert_eq!(two, SimDuration::from_ms(1_340));
    }
}
