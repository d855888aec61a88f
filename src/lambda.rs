//! The Lambda vocabulary: the names and documented limits of AWS Lambda that every other
//! part speaks of (architectures, packagings, invocation kinds, memory and CPU, time
//! limits). It depends on nothing but the engine's time type, so config, platform,
//! coldstart and cost all import from here and the arrows point one way.
//!
//! Every number is AWS's documented value, with its row in
//! `../shared/reference/facts.md` (section "Memory / vCPU", "INIT phase limits" and the
//! summary table at its end).

use serde::Deserialize;

use crate::engine::SimDuration;

/// CPU architecture of a function.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// Intel/AMD.
    X86_64,
    /// Graviton.
    Arm64,
}

impl Arch {
    /// The name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }
}

/// How a function's code is delivered.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Packaging {
    /// ZIP archive.
    Zip,
    /// ZIP archive plus layers.
    ZipLayers,
    /// Container image.
    Image,
    /// ZIP with a SnapStart snapshot.
    Snapstart,
}

impl Packaging {
    /// The name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Packaging::Zip => "zip",
            Packaging::ZipLayers => "zip_layers",
            Packaging::Image => "image",
            Packaging::Snapstart => "snapstart",
        }
    }
}

/// How a request is invoked: synchronous requests are throttled over a limit; asynchronous
/// ones go through Lambda's event queue (AWS docs "Invoking Lambda functions":
/// RequestResponse and Event); `sqs` and `stream` through an event source mapping (see
/// `platform::event_source`).
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Invocation {
    /// Request-response: throttled (429) over a limit.
    #[default]
    Sync,
    /// Event: through Lambda's internal event queue, its wait part of its latency.
    Async,
    /// An SQS event source mapping: batches read by scaling pollers.
    Sqs,
    /// A Kinesis or DynamoDB stream: ordered batches per shard.
    Stream,
}

impl Invocation {
    /// The name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Invocation::Sync => "sync",
            Invocation::Async => "async",
            Invocation::Sqs => "sqs",
            Invocation::Stream => "stream",
        }
    }
}

/// Memory at which a function has the equivalent of one vCPU: 1,769 MB ("At 1,769 MB a
/// function has the equivalent of one vCPU", AWS docs configuration-memory.html; facts.md
/// "Memory / vCPU" and table row "vCPU credits"). Handler CPU is memory / this.
pub const MB_PER_VCPU: f64 = 1_769.0;

/// Smallest configurable memory, 128 MB (AWS docs; facts.md table row "memory range").
pub const MEMORY_MIN_MB: u32 = 128;

/// Largest configurable memory, 10,240 MB (AWS docs; facts.md table row "memory range").
pub const MEMORY_MAX_MB: u32 = 10_240;

/// Most vCPUs a function gets, 6 at 10,240 MB (AWS News blog "functions with up to 10 GB
/// of memory and 6 vCPUs", Dec 2020; facts.md "Memory / vCPU"). Credits are
/// [`MEMORY_MAX_MB`] / [`MB_PER_VCPU`] ≈ 5.79 vCPU-equivalents.
pub const MAX_VCPUS: u32 = 6;

/// Limit of an on-demand init, 10 s: "The Init phase is limited to 10 seconds. If all three
/// tasks do not complete within 10 seconds, Lambda retries the Init phase at the time of the
/// first function invocation" (AWS docs lambda-runtime-environment.html; facts.md "INIT
/// phase limits", table row "INIT timeout (on-demand)"). The value to give the platform's
/// `init_timeout`; not applied to provisioned or SnapStart inits.
pub const INIT_TIMEOUT: SimDuration = SimDuration::from_secs(10);

/// Longest configurable function timeout, 900 s = 15 min (AWS docs; facts.md table row
/// "function timeout max").
pub const FUNCTION_TIMEOUT_MAX: SimDuration = SimDuration::from_secs(900);

/// Floor of the init limit of provisioned-concurrency and SnapStart inits: the limit is
/// max(130 s, configured timeout) (AWS docs lambda-runtime-environment.html; facts.md table
/// row "INIT limit PC / SnapStart").
pub const PROVISIONED_INIT_LIMIT_MIN: SimDuration = SimDuration::from_secs(130);

/// Largest unzipped ZIP package (layers included), 250 MB (Lambda quotas; facts.md table
/// row "image size cap / zip cap").
pub const ZIP_UNZIPPED_MAX_BYTES: u64 = 250 * 1_000_000;

/// Largest container image, 10 GiB (Brooker et al., ATC 2023; facts.md table row "image
/// size cap / zip cap").
pub const IMAGE_MAX_BYTES: u64 = 10 << 30;

/// Handler CPU at `memory_mb`, in vCPU-equivalents: memory / [`MB_PER_VCPU`] (1,769 MB = 1
/// vCPU; about 5.79 at [`MEMORY_MAX_MB`]).
pub fn vcpus_at(memory_mb: u32) -> f64 {
    memory_mb as f64 / MB_PER_VCPU
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: 0.01 vCPU. The documented maximum memory gets about 5.79 credits, which
    /// stays under the documented 6 vCPUs, and 1,769 MB is exactly one.
    #[test]
    fn max_memory_gets_fewer_credits_than_the_max_vcpus() {
        assert!((vcpus_at(MEMORY_MAX_MB) - 5.79).abs() < 0.01);
        assert!(vcpus_at(MEMORY_MAX_MB) < MAX_VCPUS as f64);
        assert_eq!(vcpus_at(1_769), 1.0);
    }

    /// Exact: the names in files are the serde names.
    #[test]
    fn names_in_files_round_trip() {
        for a in [Arch::X86_64, Arch::Arm64] {
            let v: Arch = serde::Deserialize::deserialize(serde::de::value::StrDeserializer::<
                serde::de::value::Error,
            >::new(a.as_str()))
            .unwrap();
            assert_eq!(v, a);
        }
        for p in [
            Packaging::Zip,
            Packaging::ZipLayers,
            Packaging::Image,
            Packaging::Snapstart,
        ] {
            let v: Packaging =
                serde::Deserialize::deserialize(serde::de::value::StrDeserializer::<
                    serde::de::value::Error,
                >::new(p.as_str()))
                .unwrap();
            assert_eq!(v, p);
        }
    }
}
