//! The start-up read set: which chunks of an image a cold start's init reads.
//!
//! Containers read little of their image at start: Harter et al. (Slacker, FAST '16) found
//! 6.4% of pulled bytes read, and Brooker's summary of Lambda puts it at ~6.5% (facts.md §1,
//! "Sparsity"). The default read set takes that share of every layer's chunks, at positions
//! fixed by a hash of (layer content name, index): every cold start of a version reads the
//! same chunks, all versions of an image read the same positions (the same files, with the
//! new contents after a deploy), and images sharing a layer read the same chunks of it (the
//! runtime's start-up files in a shared base image). Callers that know which files init
//! reads (the import model) give byte ranges instead.
//!
//! Assumption: bytes read map to chunks one for one (reads cluster into whole chunks), so a
//! byte fraction is also a chunk fraction.

use super::chunk::{CHUNK_BYTES, ChunkId, ImageVersion};
use super::{StorageError, StorageResult, check_fraction, mix64};

/// Share of an image's bytes init reads by default: 6.5% (facts.md §1 "Sparsity": Harter
/// FAST '16 6.4%, Brooker blog ~6.5%; observed range 1–40%).
pub const DEFAULT_READ_FRACTION: f64 = 0.065;

const DOMAIN_READ: u64 = 0x5245_4144_0000_0000;

/// A span of bytes of the flattened image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    /// Offset of the first byte in the flattened image (a layer starts at
    /// [`LayerSpan::offset_bytes`](super::chunk::LayerSpan::offset_bytes)).
    pub offset_bytes: u64,
    /// Length in bytes; empty ranges read nothing.
    pub len_bytes: u64,
}

/// The chunks one cold start reads, in the order init first touches them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadSet {
    positions: Vec<u32>,
    chunks: Vec<ChunkId>,
}

impl ReadSet {
    /// The default read set: in each layer of n chunks, the round(`read_fraction` × n)
    /// chunks (at least one if `read_fraction` > 0: init touches every layer: runtime files
    /// in the base, imported packages, the handler) whose position hash is smallest. Layers
    /// in flattening order, positions ascending within a layer.
    pub fn sampled(image: &ImageVersion, read_fraction: f64) -> StorageResult<ReadSet> {
        check_fraction("read_fraction", read_fraction)?;
        let mut positions = Vec::new();
        let mut scored: Vec<(u64, u32)> = Vec::new();
        for layer in image.layers() {
            let n = layer.n_chunks as usize;
            if n == 0 || read_fraction == 0.0 {
                continue;
            }
            let k = ((read_fraction * n as f64).round() as usize).clamp(1, n);
            scored.clear();
            scored.extend(
                (0..layer.n_chunks)
                    .map(|i| (mix64(layer.name_hash ^ mix64(i as u64 ^ DOMAIN_READ)), i)),
            );
            if k < n {
                scored.select_nth_unstable(k - 1);
            }
            let start = positions.len();
            positions.extend(scored[..k].iter().map(|&(_, i)| layer.first_chunk + i));
            positions[start..].sort_unstable();
        }
        Ok(Self::resolve(positions, image))
    }

    /// The chunks covering `ranges`, in the order the ranges first touch them (a chunk
    /// touched twice is read once). Errors if a range ends beyond the image.
    pub fn from_byte_ranges(image: &ImageVersion, ranges: &[ByteRange]) -> StorageResult<ReadSet> {
        let size = image.size_bytes();
        let mut seen = vec![false; image.n_chunks() as usize];
        let mut positions = Vec::new();
        for r in ranges {
            if r.len_bytes == 0 {
                continue;
            }
            let end = r
                .offset_bytes
                .checked_add(r.len_bytes)
                .filter(|&e| e <= size);
            let Some(end) = end else {
                return Err(StorageError::param(
                    "ranges",
                    format!(
                        "bytes {}..+{} lie beyond image {} ({size} bytes)",
                        r.offset_bytes,
                        r.len_bytes,
                        image.image()
                    ),
                ));
            };
            for p in r.offset_bytes / CHUNK_BYTES..=(end - 1) / CHUNK_BYTES {
                if !seen[p as usize] {
                    seen[p as usize] = true;
                    positions.push(p as u32);
                }
            }
        }
        Ok(Self::resolve(positions, image))
    }

    /// The same positions in another version of the image (after a deploy: the same files,
    /// their new contents). Errors if a position lies beyond `image`.
    pub fn for_version(&self, image: &ImageVersion) -> StorageResult<ReadSet> {
        if let Some(&p) = self.positions.iter().find(|&&p| p >= image.n_chunks()) {
            return Err(StorageError::param(
                "image",
                format!(
                    "read position {p} is beyond image {} ({} chunks)",
                    image.image(),
                    image.n_chunks()
                ),
            ));
        }
        Ok(Self::resolve(self.positions.clone(), image))
    }

    fn resolve(positions: Vec<u32>, image: &ImageVersion) -> ReadSet {
        let chunks = positions
            .iter()
            .map(|&p| image.chunks()[p as usize])
            .collect();
        ReadSet { positions, chunks }
    }

    /// The chunk ids to read, in order: what the tier chain takes per cold start.
    pub fn chunks(&self) -> &[ChunkId] {
        &self.chunks
    }

    /// Their positions in the flattened image.
    pub fn positions(&self) -> &[u32] {
        &self.positions
    }

    /// Number of chunks read.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// True when init reads nothing from the image.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Bytes fetched: whole chunks.
    pub fn bytes(&self) -> u64 {
        self.chunks.len() as u64 * CHUNK_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::chunk::{Layer, MB};
    use std::collections::HashSet;

    const PY39: &str = "public.ecr.aws/lambda/python:3.9";

    fn image(name: &str) -> ImageVersion {
        ImageVersion::build(
            name,
            &[
                Layer::new(PY39, 500 * MB),
                Layer::new(format!("{name}-deps"), 120 * MB),
                Layer::new(format!("{name}-app"), 10 * MB),
            ],
        )
        .unwrap()
    }

    #[test]
    fn default_read_set_takes_round_fraction_of_each_layer_and_is_deterministic() {
        let v = image("orders");
        let r = ReadSet::sampled(&v, DEFAULT_READ_FRACTION).unwrap();
        // Layers of 954, 229, 20 chunks: round(62.01) + round(14.885) + max(1, round(1.3)).
        assert_eq!(r.len(), 62 + 15 + 1);
        let spans = v.layers();
        let in_layer = |i: usize| {
            r.positions()
                .iter()
                .filter(|&&p| {
                    p >= spans[i].first_chunk && p < spans[i].first_chunk + spans[i].n_chunks
                })
                .count()
        };
        assert_eq!((in_layer(0), in_layer(1), in_layer(2)), (62, 15, 1));
        assert!(r.positions().windows(2).all(|w| w[0] < w[1]));
        assert_eq!(r, ReadSet::sampled(&v, DEFAULT_READ_FRACTION).unwrap());
        // A tiny layer still contributes one chunk; fraction 0 reads nothing.
        assert!(ReadSet::sampled(&v, 0.0).unwrap().is_empty());
        assert_eq!(
            ReadSet::sampled(&v, 1.0).unwrap().len(),
            v.n_chunks() as usize
        );
        assert!(ReadSet::sampled(&v, -0.1).is_err());
    }

    #[test]
    fn images_sharing_a_base_read_the_same_base_chunks() {
        let a = ReadSet::sampled(&image("orders"), DEFAULT_READ_FRACTION).unwrap();
        let b = ReadSet::sampled(&image("billing"), DEFAULT_READ_FRACTION).unwrap();
        let sa: HashSet<ChunkId> = a.chunks().iter().copied().collect();
        let shared = b.chunks().iter().filter(|c| sa.contains(c)).count();
        assert_eq!(shared, 62);
        assert_eq!(a.chunks()[..62], b.chunks()[..62]);
    }

    #[test]
    fn byte_ranges_map_to_the_chunks_they_cover_in_first_touch_order() {
        let v = image("orders");
        let c = CHUNK_BYTES;
        let app = v.layer("orders-app").unwrap().offset_bytes();
        let r = ReadSet::from_byte_ranges(
            &v,
            &[
                ByteRange {
                    offset_bytes: app + 10,
                    len_bytes: 100,
                },
                ByteRange {
                    offset_bytes: c - 1,
                    len_bytes: 2,
                }, // chunks 0 and 1
                ByteRange {
                    offset_bytes: 5,
                    len_bytes: 0,
                }, // nothing
                ByteRange {
                    offset_bytes: 3 * c,
                    len_bytes: c,
                }, // exactly chunk 3
                ByteRange {
                    offset_bytes: 0,
                    len_bytes: 1,
                }, // chunk 0 again
            ],
        )
        .unwrap();
        let first_app = v.layer("orders-app").unwrap().first_chunk;
        assert_eq!(r.positions(), &[first_app, 0, 1, 3]);
        assert_eq!(r.chunks()[1], v.chunks()[0]);
        assert_eq!(r.bytes(), 4 * c);
        let past = ByteRange {
            offset_bytes: v.size_bytes() - 1,
            len_bytes: 2,
        };
        assert!(ReadSet::from_byte_ranges(&v, &[past]).is_err());
        let wrap = ByteRange {
            offset_bytes: u64::MAX,
            len_bytes: 2,
        };
        assert!(ReadSet::from_byte_ranges(&v, &[wrap]).is_err());
    }

    #[test]
    fn after_a_deploy_the_same_positions_resolve_to_the_new_chunks() {
        let v0 = image("orders");
        let r0 = ReadSet::sampled(&v0, DEFAULT_READ_FRACTION).unwrap();
        let v1 = v0.deploy(0.025, "c1").unwrap(); // top 30 chunks: the app layer and 10 of deps
        let r1 = r0.for_version(&v1).unwrap();
        assert_eq!(r1.positions(), r0.positions());
        assert_eq!(r1, ReadSet::sampled(&v1, DEFAULT_READ_FRACTION).unwrap());
        let changed: Vec<u32> = (0..r0.len())
            .filter(|&i| r0.chunks()[i] != r1.chunks()[i])
            .map(|i| r0.positions()[i])
            .collect();
        let top = v1.n_chunks() - 30;
        let expected: Vec<u32> = r0
            .positions()
            .iter()
            .copied()
            .filter(|&p| p >= top)
            .collect();
        assert_eq!(changed, expected);
        assert!(!changed.is_empty());
        let small = ImageVersion::build("s", &[Layer::new("s", 10 * MB)]).unwrap();
        assert!(r0.for_version(&small).is_err());
    }
}
