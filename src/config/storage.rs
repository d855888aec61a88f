//! `[platform.zip]` and `[platform.storage]`: from the file's keys to the code-delivery
//! parameters, every value checked and named in errors.

use super::dist::DistSpec;
use super::file::{StorageSection, ZipSection};
use super::scenario::Ctx;
use crate::coldstart::ZipTransfer;
use crate::engine::Dist;
use crate::error::InputResult;
use crate::platform::{Placement, StorageParams};
use crate::storage::background::{BackgroundLoad, MAX_BACKGROUND_CHUNKS};
use crate::storage::chunk::CHUNK_BYTES;
use crate::storage::fleet::{CacheModel, CacheSpec, FleetSpec};
use crate::storage::tiers::{MAX_PARALLEL_FETCHES, TierLatencies};

/// Most workers a fleet may have (each holds its own cache): far more than a scenario's
/// functions can spread over, and a bound on memory.
pub const MAX_WORKERS: u32 = 100_000;

/// Most background requests an explicit-LRU fleet may replay in one run (all caches, all
/// replications): ~10 minutes of simulation at ~2 M requests per second.
pub const MAX_LRU_BACKGROUND_REQUESTS: f64 = 1e9;

/// Lays `over` on `base` field by field (both `Option` structs of optional fields).
macro_rules! overlay_fields {
    ($base:expr, $over:expr, $ty:ident { $($f:ident),* $(,)? }) => {
        match ($base, $over) {
            (Some(b), Some(o)) => Some($ty { $($f: o.$f.or(b.$f)),* }),
            (b, o) => o.or(b),
        }
    };
}

/// `[zip]` of `over` on `[zip]` of `base`.
pub fn overlay_zip(base: Option<ZipSection>, over: Option<ZipSection>) -> Option<ZipSection> {
    overlay_fields!(
        base,
        over,
        ZipSection {
            first_byte,
            download_mb_per_s,
            unpack_mb_per_s
        }
    )
}

/// `[storage]` of `over` on `[storage]` of `base`.
pub fn overlay_storage(
    base: Option<StorageSection>,
    over: Option<StorageSection>,
) -> Option<StorageSection> {
    overlay_fields!(
        base,
        over,
        StorageSection {
            azs,
            workers_per_az,
            placement,
            sticky_spread,
            cache_model,
            worker_cache_gib,
            az_cache_gib,
            worker_background_reads_per_s,
            az_background_reads_per_s,
            worker_background_chunks,
            az_background_chunks,
            background_zipf_alpha,
            worker_latency,
            az_latency,
            origin_latency,
            parallel_fetches,
            read_jitter_sigma,
        }
    )
}

fn required<'a, T>(ctx: &Ctx, key: &str, v: &'a Option<T>) -> InputResult<&'a T> {
    v.as_ref().ok_or_else(|| {
        ctx.err(
            format!("platform.{key}"),
            "missing (and no built-in default)",
        )
    })
}

fn positive(ctx: &Ctx, key: &str, v: Option<f64>) -> InputResult<f64> {
    let x = *required(ctx, key, &v)?;
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(ctx.err(
            format!("platform.{key}"),
            format!("must be a positive number; got {x}"),
        ))
    }
}

fn dist(ctx: &Ctx, key: &str, v: &Option<DistSpec>) -> InputResult<Dist> {
    ctx.dist(&format!("platform.{key}"), required(ctx, key, v)?)
}

/// ZIP transfer rates from `[zip]`.
pub(crate) fn build_zip(ctx: &Ctx, z: Option<ZipSection>) -> InputResult<ZipTransfer> {
    let z = z.unwrap_or_default();
    Ok(ZipTransfer {
        first_byte: dist(ctx, "zip.first_byte", &z.first_byte)?,
        download_bytes_per_s: positive(ctx, "zip.download_mb_per_s", z.download_mb_per_s)? * 1e6,
        unpack_bytes_per_s: positive(ctx, "zip.unpack_mb_per_s", z.unpack_mb_per_s)? * 1e6,
    })
}

/// Chunks in `gib` GiB.
fn gib_to_chunks(ctx: &Ctx, key: &str, gib: Option<f64>) -> InputResult<u32> {
    let g = *required(ctx, key, &gib)?;
    let chunks = g * (1u64 << 30) as f64 / CHUNK_BYTES as f64;
    if !(g.is_finite() && g >= 0.0 && chunks <= u32::MAX as f64) {
        return Err(ctx.err(
            format!("platform.{key}"),
            format!("must be between 0 and {} GiB; got {g}", u32::MAX / 2048),
        ));
    }
    Ok(chunks.round() as u32)
}

/// Count `v` at `platform.<key>`: required, between 1 and `max`.
fn count_in(ctx: &Ctx, key: &str, v: Option<u32>, max: u32) -> InputResult<u32> {
    let n = *required(ctx, key, &v)?;
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(ctx.err(
            format!("platform.{key}"),
            format!("must be between 1 and {max}; got {n}"),
        ))
    }
}

/// AZs and workers per AZ, at most [`MAX_WORKERS`] workers in all.
fn fleet_size(ctx: &Ctx, s: &StorageSection) -> InputResult<(u32, u32)> {
    let azs = count_in(ctx, "storage.azs", s.azs, 64)?;
    let workers_per_az = count_in(ctx, "storage.workers_per_az", s.workers_per_az, MAX_WORKERS)?;
    if azs as u64 * workers_per_az as u64 > MAX_WORKERS as u64 {
        return Err(ctx.err(
            "platform.storage.workers_per_az",
            format!(
                "the fleet may have at most {MAX_WORKERS} workers in all; {azs} AZs × \
                 {workers_per_az} workers is {}",
                azs as u64 * workers_per_az as u64
            ),
        ));
    }
    Ok((azs, workers_per_az))
}

/// `storage.placement`: `random`, or `sticky` with its spread.
fn placement(ctx: &Ctx, s: &StorageSection) -> InputResult<Placement> {
    Ok(
        match required(ctx, "storage.placement", &s.placement)?.as_str() {
            "random" => Placement::Random,
            "sticky" => Placement::Sticky {
                spread: count_in(ctx, "storage.sticky_spread", s.sticky_spread, 1_000_000)?,
            },
            other => {
                return Err(ctx.err(
                    "platform.storage.placement",
                    format!("expected \"random\" or \"sticky\"; got \"{other}\""),
                ));
            }
        },
    )
}

/// `storage.cache_model`: `characteristic_time` or `lru`.
fn cache_model(ctx: &Ctx, s: &StorageSection) -> InputResult<CacheModel> {
    Ok(
        match required(ctx, "storage.cache_model", &s.cache_model)?.as_str() {
            "characteristic_time" => CacheModel::CharacteristicTime,
            "lru" => CacheModel::ExplicitLru,
            other => {
                return Err(ctx.err(
                    "platform.storage.cache_model",
                    format!("expected \"characteristic_time\" or \"lru\"; got \"{other}\""),
                ));
            }
        },
    )
}

/// The background load of tier `key` (`worker` or `az`): None at rate zero.
fn background(
    ctx: &Ctx,
    key: &str,
    rate: Option<f64>,
    chunks: Option<u32>,
    alpha: f64,
) -> InputResult<Option<BackgroundLoad>> {
    let rate = *required(ctx, &format!("storage.{key}_background_reads_per_s"), &rate)?;
    let n_chunks = count_in(
        ctx,
        &format!("storage.{key}_background_chunks"),
        chunks,
        MAX_BACKGROUND_CHUNKS,
    )?;
    if !(rate.is_finite() && rate >= 0.0) {
        return Err(ctx.err(
            format!("platform.storage.{key}_background_reads_per_s"),
            format!("must be a non-negative rate; got {rate}"),
        ));
    }
    if rate == 0.0 {
        return Ok(None);
    }
    let load = BackgroundLoad {
        n_chunks,
        zipf_alpha: alpha,
        rate_per_s: rate,
    };
    load.validate()
        .map_err(|e| ctx.err("platform.storage.background_zipf_alpha", e.to_string()))?;
    Ok(Some(load))
}

/// `storage.read_jitter_sigma`, between 0 and 2.
fn read_jitter(ctx: &Ctx, s: &StorageSection) -> InputResult<f64> {
    let jitter = *required(ctx, "storage.read_jitter_sigma", &s.read_jitter_sigma)?;
    if !(jitter.is_finite() && (0.0..=2.0).contains(&jitter)) {
        return Err(ctx.err(
            "platform.storage.read_jitter_sigma",
            format!("must be between 0 and 2; got {jitter}"),
        ));
    }
    Ok(jitter)
}

/// The fleet and tiers from `[storage]`. Keys are checked in a fixed order (the first bad
/// one is reported).
pub(crate) fn build_storage(ctx: &Ctx, s: Option<StorageSection>) -> InputResult<StorageParams> {
    let s = s.unwrap_or_default();
    let (azs, workers_per_az) = fleet_size(ctx, &s)?;
    let placement = placement(ctx, &s)?;
    let model = cache_model(ctx, &s)?;
    let alpha = *required(
        ctx,
        "storage.background_zipf_alpha",
        &s.background_zipf_alpha,
    )?;
    let background = |key: &str, rate: Option<f64>, chunks: Option<u32>| {
        background(ctx, key, rate, chunks, alpha)
    };
    let parallel = count_in(
        ctx,
        "storage.parallel_fetches",
        s.parallel_fetches,
        MAX_PARALLEL_FETCHES,
    )?;
    let jitter = read_jitter(ctx, &s)?;
    Ok(StorageParams {
        fleet: FleetSpec {
            azs,
            workers_per_az,
            worker_cache: CacheSpec {
                capacity_chunks: gib_to_chunks(
                    ctx,
                    "storage.worker_cache_gib",
                    s.worker_cache_gib,
                )?,
                background: background(
                    "worker",
                    s.worker_background_reads_per_s,
                    s.worker_background_chunks,
                )?,
                model,
            },
            az_cache: CacheSpec {
                capacity_chunks: gib_to_chunks(ctx, "storage.az_cache_gib", s.az_cache_gib)?,
                background: background("az", s.az_background_reads_per_s, s.az_background_chunks)?,
                model,
            },
            latencies: TierLatencies {
                worker: dist(ctx, "storage.worker_latency", &s.worker_latency)?,
                az: dist(ctx, "storage.az_latency", &s.az_latency)?,
                origin: dist(ctx, "storage.origin_latency", &s.origin_latency)?,
            },
            parallel_fetches: parallel,
        },
        placement,
        read_jitter_sigma: jitter,
    })
}
