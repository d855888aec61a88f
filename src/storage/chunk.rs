//! Chunk identities, layers and image versions.
//!
//! Lambda flattens an image's layers into one ext4 file system with a deterministic writer,
//! cuts it into fixed 512 KiB chunks and names each chunk by a hash of its content, so
//! identical chunks in different images are stored and cached once (ATC'23 §2–3, facts.md
//! §1 "Block-level loading" and "Deduplication"). Here a chunk's identity is a stable hash
//! of (layer content name, index in the layer): two images built on the same base layer
//! share exactly that layer's chunks.
//!
//! Assumption: every layer starts on a chunk boundary (the flattened file system is padded
//! between layers). The real writer packs layers serially, so a layer's chunks are shared
//! only when what precedes it is identical too; the padding makes sharing exact and is the
//! optimistic end of that range.

use rand_distr::{Distribution, StandardNormal};

use super::{StorageError, StorageResult, check_fraction, hash_name, mix64};
use crate::engine::Rng;

/// Size of one chunk: 512 KiB (ATC'23 §3, facts.md §1 "fixed-size 512 KiB chunks").
pub const CHUNK_BYTES: u64 = 512 * 1024;

/// One megabyte (10^6 bytes), for image and layer sizes as registries report them.
pub const MB: u64 = 1_000_000;

/// The largest image Lambda accepts: 10 GiB (ATC'23 abstract, facts.md §1).
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024 * 1024;

/// The identity of a chunk: a 64-bit digest of its content. Equal ids are the same bytes,
/// wherever they appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChunkId(pub u64);

/// Domain tags keep the id spaces of layer chunks, deploy-unique chunks and background
/// tenants' chunks apart.
const DOMAIN_LAYER: u64 = 0x4C41_5945_5200_0000;
const DOMAIN_UNIQUE: u64 = 0x554E_4951_5545_0000;

impl ChunkId {
    fn of_layer_hash(layer_hash: u64, index: u64) -> ChunkId {
        ChunkId(mix64(layer_hash ^ mix64(index ^ DOMAIN_LAYER)))
    }

    /// The fresh chunk at `position` of image `image_hash` in the upload `version_hash`.
    fn unique(image_hash: u64, version_hash: u64, position: u64) -> ChunkId {
        ChunkId(mix64(
            image_hash ^ version_hash.rotate_left(23) ^ mix64(position ^ DOMAIN_UNIQUE),
        ))
    }
}

/// A layer of an image: a name that identifies its content, and its size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Content name: layers with the same name have the same bytes (e.g. the base image
    /// `public.ecr.aws/lambda/python:3.9`, about 500 MB unpacked).
    pub name: String,
    /// Unpacked size in bytes.
    pub size_bytes: u64,
}

impl Layer {
    /// A layer of `size_bytes` whose content is named `name`.
    pub fn new(name: impl Into<String>, size_bytes: u64) -> Self {
        Layer {
            name: name.into(),
            size_bytes,
        }
    }

    /// Number of chunks it occupies (the last one padded).
    pub fn n_chunks(&self) -> u64 {
        self.size_bytes.div_ceil(CHUNK_BYTES)
    }
}

/// Where a layer sits in the flattened image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerSpan {
    /// The layer's content name.
    pub name: String,
    /// Position of its first chunk in the image.
    pub first_chunk: u32,
    /// Number of chunks.
    pub n_chunks: u32,
    /// Digest of `name`, from which the layer's chunk ids and read set derive.
    pub(crate) name_hash: u64,
}

impl LayerSpan {
    /// Image byte offset of the layer's first byte.
    pub fn offset_bytes(&self) -> u64 {
        self.first_chunk as u64 * CHUNK_BYTES
    }
}

/// One uploaded version of an image: its layers and the chunk id at each position of the
/// flattened file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageVersion {
    image: String,
    version: u32,
    layers: Vec<LayerSpan>,
    chunks: Vec<ChunkId>,
}

impl ImageVersion {
    /// Version 0 of image `image`, flattened from `layers`, bottom (base) first. Errors if
    /// the image is empty or larger than [`MAX_IMAGE_BYTES`] after padding.
    pub fn build(image: &str, layers: &[Layer]) -> StorageResult<ImageVersion> {
        let total_chunks: u64 = layers.iter().map(Layer::n_chunks).sum();
        if total_chunks == 0 {
            return Err(StorageError::param(
                "layers",
                format!("image {image} has no bytes"),
            ));
        }
        if total_chunks * CHUNK_BYTES > MAX_IMAGE_BYTES {
            return Err(StorageError::param(
                "layers",
                format!(
                    "image {image} is {} bytes after padding, over the 10 GiB limit",
                    total_chunks * CHUNK_BYTES
                ),
            ));
        }
        let mut spans = Vec::with_capacity(layers.len());
        let mut chunks = Vec::with_capacity(total_chunks as usize);
        for layer in layers {
            let name_hash = hash_name(&layer.name);
            let n = layer.n_chunks();
            spans.push(LayerSpan {
                name: layer.name.clone(),
                first_chunk: chunks.len() as u32,
                n_chunks: n as u32,
                name_hash,
            });
            chunks.extend((0..n).map(|i| ChunkId::of_layer_hash(name_hash, i)));
        }
        Ok(ImageVersion {
            image: image.to_string(),
            version: 0,
            layers: spans,
            chunks,
        })
    }

    /// The next version after an upload in which a share `unique_fraction` of the chunks is
    /// new content: exactly round(unique_fraction × n) chunks get fresh ids, never seen in
    /// any cache. They are the top of the image (the last positions), where a rebuild lands:
    /// Docker rebuilds from the first changed layer up, and the app layer is on top.
    /// `version_key` names the upload (e.g. a commit): uploading the same key again gives
    /// the same ids, as content addressing would. ATC'23 (facts.md §1): 80% of uploads have
    /// no unique chunk, the others a mean 4.3% (median 2.5%); see [`UploadMix`].
    pub fn deploy(&self, unique_fraction: f64, version_key: &str) -> StorageResult<ImageVersion> {
        check_fraction("unique_fraction", unique_fraction)?;
        let n = self.chunks.len();
        let k = ((unique_fraction * n as f64).round() as usize).min(n);
        let image_hash = hash_name(&self.image);
        let version_hash = hash_name(version_key);
        let mut chunks = self.chunks.clone();
        for (p, c) in chunks.iter_mut().enumerate().skip(n - k) {
            *c = ChunkId::unique(image_hash, version_hash, p as u64);
        }
        Ok(ImageVersion {
            image: self.image.clone(),
            version: self.version.saturating_add(1),
            layers: self.layers.clone(),
            chunks,
        })
    }

    /// The image's name.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// Number of uploads since [`build`](Self::build) (0 for the first).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Its layers in flattening order.
    pub fn layers(&self) -> &[LayerSpan] {
        &self.layers
    }

    /// The layer named `name`, if the image has one.
    pub fn layer(&self, name: &str) -> Option<&LayerSpan> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// The chunk id at each position of the flattened image.
    pub fn chunks(&self) -> &[ChunkId] {
        &self.chunks
    }

    /// Number of chunks.
    pub fn n_chunks(&self) -> u32 {
        self.chunks.len() as u32
    }

    /// Size of the flattened image in bytes, padding included.
    pub fn size_bytes(&self) -> u64 {
        self.chunks.len() as u64 * CHUNK_BYTES
    }
}

/// How much of an upload is new content: the ATC'23 mix (facts.md §1, "Deduplication"):
/// a share of uploads has no unique chunk at all; the others a lognormal unique fraction
/// with the published median and mean (the lognormal shape is our assumption; the paper
/// gives only the two moments).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UploadMix {
    /// Share of uploads with no unique chunk: 0.80 (ATC'23).
    pub zero_unique_share: f64,
    /// Median unique fraction of the other uploads: 0.025 (ATC'23).
    pub median_unique_fraction: f64,
    /// Mean unique fraction of the other uploads: 0.043 (ATC'23).
    pub mean_unique_fraction: f64,
}

impl Default for UploadMix {
    fn default() -> Self {
        UploadMix {
            zero_unique_share: 0.80,
            median_unique_fraction: 0.025,
            mean_unique_fraction: 0.043,
        }
    }
}

impl UploadMix {
    /// Checks the parameters: fractions in [0, 1], mean ≥ median > 0.
    pub fn validate(&self) -> StorageResult<()> {
        check_fraction("zero_unique_share", self.zero_unique_share)?;
        check_fraction("median_unique_fraction", self.median_unique_fraction)?;
        check_fraction("mean_unique_fraction", self.mean_unique_fraction)?;
        if self.median_unique_fraction <= 0.0
            || self.mean_unique_fraction < self.median_unique_fraction
        {
            return Err(StorageError::param(
                "mean_unique_fraction",
                "expected mean >= median > 0 (a lognormal's mean is at least its median)",
            ));
        }
        Ok(())
    }

    /// Sigma of the lognormal: mean/median = exp(σ²/2).
    fn sigma(&self) -> f64 {
        (2.0 * (self.mean_unique_fraction / self.median_unique_fraction).ln()).sqrt()
    }

    /// The unique fraction of one upload, capped at 1.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        use rand::Rng as _;
        let u: f64 = rng.random();
        if u < self.zero_unique_share {
            return 0.0;
        }
        let z: f64 = StandardNormal.sample(rng);
        (self.median_unique_fraction * (self.sigma() * z).exp()).min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::HashSet;

    const PY39: &str = "public.ecr.aws/lambda/python:3.9";

    fn image(name: &str, app_mb: u64) -> ImageVersion {
        ImageVersion::build(
            name,
            &[
                Layer::new(PY39, 500 * MB),
                Layer::new(format!("{name}-deps"), 120 * MB),
                Layer::new(format!("{name}-app"), app_mb * MB),
            ],
        )
        .unwrap()
    }

    #[test]
    fn layer_chunk_counts_round_up_to_whole_chunks() {
        assert_eq!(Layer::new("x", 0).n_chunks(), 0);
        assert_eq!(Layer::new("x", 1).n_chunks(), 1);
        assert_eq!(Layer::new("x", CHUNK_BYTES).n_chunks(), 1);
        assert_eq!(Layer::new("x", CHUNK_BYTES + 1).n_chunks(), 2);
        // 500 MB = 500e6 / 524288 = 953.67 → 954 chunks.
        assert_eq!(Layer::new(PY39, 500 * MB).n_chunks(), 954);
    }

    #[test]
    fn two_images_sharing_a_base_layer_share_exactly_its_chunks() {
        let a = image("orders", 10);
        let b = image("billing", 30);
        let base = Layer::new(PY39, 500 * MB).n_chunks() as usize;
        let sa: HashSet<ChunkId> = a.chunks().iter().copied().collect();
        let sb: HashSet<ChunkId> = b.chunks().iter().copied().collect();
        assert_eq!(
            sa.len(),
            a.chunks().len(),
            "ids within an image are distinct"
        );
        let shared: HashSet<ChunkId> = sa.intersection(&sb).copied().collect();
        let expected: HashSet<ChunkId> = a.chunks()[..base].iter().copied().collect();
        assert_eq!(shared, expected);
        assert_eq!(&a.chunks()[..base], &b.chunks()[..base]);
        assert_eq!(
            a.layer("orders-app").unwrap().first_chunk as usize,
            base + 229
        );
    }

    #[test]
    fn deploy_replaces_exactly_round_f_times_n_chunks_at_the_top() {
        let v0 = image("orders", 10);
        let n = v0.n_chunks() as usize; // 954 + 229 + 20 = 1203
        assert_eq!(n, 1203);
        for (f, k) in [(0.0, 0), (0.025, 30), (0.043, 52), (0.5, 602), (1.0, 1203)] {
            assert_eq!((f * n as f64).round() as usize, k);
            let v1 = v0.deploy(f, "commit-1").unwrap();
            assert_eq!(v1.version(), 1);
            let old: HashSet<ChunkId> = v0.chunks().iter().copied().collect();
            let new_ids: Vec<usize> = (0..n).filter(|&p| !old.contains(&v1.chunks()[p])).collect();
            assert_eq!(new_ids.len(), k, "f = {f}");
            assert_eq!(new_ids, (n - k..n).collect::<Vec<_>>());
            let distinct: HashSet<ChunkId> = v1.chunks().iter().copied().collect();
            assert_eq!(distinct.len(), n);
        }
        // Same upload key again: same content, same ids; another key: other ids.
        let a = v0.deploy(0.025, "k").unwrap();
        let b = v0.deploy(0.025, "k").unwrap();
        let c = v0.deploy(0.025, "k2").unwrap();
        assert_eq!(a.chunks(), b.chunks());
        assert!(
            a.chunks()[n - 30..]
                .iter()
                .all(|x| !c.chunks()[n - 30..].contains(x))
        );
        assert!(v0.deploy(1.5, "k").is_err());
        assert!(v0.deploy(f64::NAN, "k").is_err());
    }

    #[test]
    fn empty_and_oversized_images_are_rejected() {
        assert!(ImageVersion::build("e", &[]).is_err());
        assert!(ImageVersion::build("e", &[Layer::new("z", 0)]).is_err());
        assert!(ImageVersion::build("big", &[Layer::new("z", MAX_IMAGE_BYTES + 1)]).is_err());
        assert!(ImageVersion::build("max", &[Layer::new("z", MAX_IMAGE_BYTES)]).is_ok());
    }

    #[test]
    fn upload_mix_reproduces_the_atc23_zero_share_median_and_mean() {
        let mix = UploadMix::default();
        mix.validate().unwrap();
        let mut rng = Rng::seed_from_u64(11);
        let n = 400_000;
        let xs: Vec<f64> = (0..n).map(|_| mix.sample(&mut rng)).collect();
        let mut nz: Vec<f64> = xs.iter().copied().filter(|&x| x > 0.0).collect();
        let zero_share = 1.0 - nz.len() as f64 / n as f64;
        // Binomial sd of the zero share: sqrt(0.8 × 0.2 / 4e5) = 6.3e-4; allow 4 sd.
        assert!((zero_share - 0.80).abs() < 0.0026, "{zero_share}");
        nz.sort_by(f64::total_cmp);
        let median = nz[nz.len() / 2];
        let mean = nz.iter().sum::<f64>() / nz.len() as f64;
        // ~80k draws: the median's relative sd is σ·sqrt(π/2)/sqrt(n) ≈ 0.5%; the mean's is
        // sqrt(exp(σ²) − 1)/sqrt(n) ≈ 0.5% (σ = 1.04). Allow 3%.
        assert!((median / 0.025 - 1.0).abs() < 0.03, "median {median}");
        assert!((mean / 0.043 - 1.0).abs() < 0.03, "mean {mean}");
        assert!(
            UploadMix {
                median_unique_fraction: 0.05,
                ..mix
            }
            .validate()
            .is_err()
        );
    }
}
