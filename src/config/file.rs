//! The scenario and model files as written: serde structs that reject unknown keys. Nothing
//! here is validated beyond types and units; `config::scenario` turns these into a typed,
//! checked [`crate::config::Scenario`].

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::dist::{DistSpec, DurationValue};
use crate::lambda::{Arch, Invocation, Packaging};

/// A scenario file (DESIGN.md, "Scenario file").
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name shown in reports; defaults to the file's stem.
    pub name: Option<String>,
    /// `[run]`.
    pub run: RunSection,
    /// `[platform]` table, or `platform = "path/to/model.toml"`.
    pub platform: Option<PlatformRef>,
    /// `[[function]]` tables.
    #[serde(default, rename = "function")]
    pub functions: Vec<FunctionSection>,
    /// `[[traffic]]` tables.
    #[serde(default, rename = "traffic")]
    pub traffic: Vec<TrafficSection>,
    /// `[[deploy]]` tables: new versions published during the run.
    #[serde(default, rename = "deploy")]
    pub deploys: Vec<DeploySection>,
    /// `[[variant]]` tables: what-if variants for `coldsim compare` (ignored by `scenario`).
    #[serde(default, rename = "variant")]
    pub variants: Vec<VariantSection>,
}

/// `[[variant]]`: a named set of overrides of the base scenario, for `coldsim compare`. Keys
/// of `set` are dotted paths into the scenario file (`function.api.memory_mb`,
/// `traffic.0.rate`, `platform.keep_alive`); see `config::overrides`.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct VariantSection {
    /// Column name in the comparison.
    pub name: String,
    /// Overrides: dotted path → value, as it would be written in the file.
    #[serde(default)]
    pub set: toml::Table,
    /// The variant the others are compared with (default: the base scenario, "base").
    #[serde(default)]
    pub baseline: bool,
}

/// `[[deploy]]`: a new version of a function is published at `at`. Its sandboxes of the old
/// version are not reused; for an image, a share of its chunks is new content.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct DeploySection {
    /// The function.
    pub function: String,
    /// When, from the start of the run.
    pub at: DurationValue,
    /// Images: share of the image's chunks with new content (default 0.043, the ATC'23 mean
    /// of uploads that change anything; facts.md §1).
    pub unique_chunk_fraction: Option<f64>,
}

/// `[run]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    /// Simulated time.
    pub duration: DurationValue,
    /// Run seed (default 1).
    pub seed: Option<u64>,
    /// Independent replications (default 1).
    pub replications: Option<u32>,
    /// Arrivals before this are simulated but not counted (default 0 s).
    pub warmup: Option<DurationValue>,
}

/// The platform: a path to a model file, or a table of overrides of the built-in model.
#[derive(Debug)]
pub enum PlatformRef {
    /// `platform = "models/platform/aws-lambda.toml"`.
    File(String),
    /// `[platform]` table.
    Inline(Box<PlatformSection>),
}

impl<'de> Deserialize<'de> for PlatformRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PlatformRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path to a platform model file or a [platform] table")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<PlatformRef, E> {
                Ok(PlatformRef::File(s.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PlatformRef, A::Error> {
                PlatformSection::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|s| PlatformRef::Inline(Box::new(s)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The platform model: every key optional so a file or table overrides only what it names.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct PlatformSection {
    /// Idle time before an idle sandbox is reclaimed.
    pub keep_alive: Option<DistSpec>,
    /// Maximum life of a sandbox.
    pub max_lifetime: Option<DistSpec>,
    /// New execution environments per window.
    pub scale_rate: Option<ScaleRateSection>,
    /// Concurrent executions across the account.
    pub account_concurrency: Option<u32>,
    /// Placement of a new sandbox.
    pub place: Option<DistSpec>,
    /// MicroVM boot.
    pub boot: Option<DistSpec>,
    /// Prices.
    pub price: Option<PriceSection>,
    /// CPU allowance of on-demand init: `boost` or `proportional`.
    pub init_cpu: Option<InitCpuKind>,
    /// vCPUs during init under `init_cpu = "boost"`.
    pub init_boost_vcpus: Option<f64>,
    /// `[platform.zip]`: ZIP code delivery.
    pub zip: Option<ZipSection>,
    /// `[platform.storage]`: the chunk tiers of image code delivery.
    pub storage: Option<StorageSection>,
    /// Limit of an on-demand init (AWS: "10s", the built-in default, facts.md "INIT phase
    /// limits"): an init still running then is cut and retried unboosted inside the
    /// invocation. `"off"` disables it.
    pub init_timeout: Option<InitTimeout>,
    /// Share of would-be cold starts whose sandbox the platform initialised proactively,
    /// off the request path (0..1).
    pub proactive_init_share: Option<f64>,
    /// How async requests reach the function: `pollers` (Lambda's event queue) or
    /// `immediate` (all at once up to the limits, the rest first come first served).
    pub async_delivery: Option<AsyncDelivery>,
    /// Which idle sandbox serves a request (`platform.routing`).
    pub routing: Option<super::routing::RoutingSpec>,
    /// Share of sandboxes whose retirement at `max_lifetime` is replaced by a sandbox the
    /// platform initialises ahead, off the request path (0..1).
    pub replacement_share: Option<f64>,
    /// How long before a sandbox's retirement its replacement starts to initialise.
    pub replacement_lead: Option<DistSpec>,
}

/// `platform.async_delivery`.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AsyncDelivery {
    /// Lambda's internal event queue read by ramping pollers (the default).
    #[default]
    Pollers,
    /// Every async request starts at once up to the limits; the rest wait first come first
    /// served (coldsim before event sources).
    Immediate,
}

/// `init_timeout` as written: a duration, or `"off"` for no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitTimeout {
    /// `"off"`: an init is never cut.
    Off,
    /// An init still running after this is cut and retried.
    After(DurationValue),
}

impl<'de> Deserialize<'de> for InitTimeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = InitTimeout;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration with a unit, e.g. \"10s\", or \"off\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<InitTimeout, E> {
                if s == "off" {
                    return Ok(InitTimeout::Off);
                }
                super::units::parse_duration(s)
                    .map(|d| InitTimeout::After(DurationValue(d)))
                    .map_err(|e| E::custom(format!("{e} (or \"off\" for no limit)")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<InitTimeout, E> {
                Err(E::custom(format!(
                    "expected a duration with a unit, e.g. \"{v}s\", or \"off\"; got the bare number {v}"
                )))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<InitTimeout, E> {
                Err(E::custom(format!(
                    "expected a duration with a unit, e.g. \"{v}s\", or \"off\"; got the bare number {v}"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[platform.zip]`: how ZIP archives reach a sandbox.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct ZipSection {
    /// Time to first byte of each archive.
    pub first_byte: Option<DistSpec>,
    /// Download rate, MB (10^6 bytes) per second.
    pub download_mb_per_s: Option<f64>,
    /// Unpack rate, unzipped MB per second.
    pub unpack_mb_per_s: Option<f64>,
}

/// `[platform.storage]`: the fleet and its chunk caches (DESIGN.md, "Chunk caches").
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct StorageSection {
    /// Availability zones.
    pub azs: Option<u32>,
    /// Workers per AZ.
    pub workers_per_az: Option<u32>,
    /// `random` or `sticky`.
    pub placement: Option<String>,
    /// Sticky placement: workers kept per function.
    pub sticky_spread: Option<u32>,
    /// `characteristic_time` or `lru`: how other tenants' pressure is modelled.
    pub cache_model: Option<String>,
    /// Worker cache capacity, GiB.
    pub worker_cache_gib: Option<f64>,
    /// AZ cache capacity, GiB.
    pub az_cache_gib: Option<f64>,
    /// Other tenants' chunk reads per second at each worker cache.
    pub worker_background_reads_per_s: Option<f64>,
    /// Other tenants' chunk reads per second at each AZ cache.
    pub az_background_reads_per_s: Option<f64>,
    /// Distinct chunks other tenants read at a worker.
    pub worker_background_chunks: Option<u32>,
    /// Distinct chunks other tenants read at an AZ.
    pub az_background_chunks: Option<u32>,
    /// Zipf exponent of other tenants' chunk popularity.
    pub background_zipf_alpha: Option<f64>,
    /// Latency of a worker-cache hit, per 512 KiB chunk.
    pub worker_latency: Option<DistSpec>,
    /// Latency of an AZ-cache hit.
    pub az_latency: Option<DistSpec>,
    /// Latency of an origin (S3) fetch.
    pub origin_latency: Option<DistSpec>,
    /// Chunk fetches in flight per reader.
    pub parallel_fetches: Option<u32>,
    /// Sigma of the per-cold-start lognormal factor (mean 1) on chunk I/O time.
    pub read_jitter_sigma: Option<f64>,
}

/// `init_cpu`: how many vCPUs an on-demand init gets (DESIGN.md, "CPU").
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InitCpuKind {
    /// `init_boost_vcpus` whatever the memory.
    Boost,
    /// memory / 1,769 MB, as for the handler.
    Proportional,
}

/// `scale_rate = { new = 1000, per = "10s" }`.
#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct ScaleRateSection {
    /// Environments per window.
    pub new: u32,
    /// The window.
    pub per: DurationValue,
}

/// `[platform.price]`, US dollars.
#[derive(Deserialize, Debug, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct PriceSection {
    /// On-demand duration price, x86_64, per GB-second.
    pub x86_64_gb_s_usd: Option<f64>,
    /// On-demand duration price, arm64, per GB-second.
    pub arm64_gb_s_usd: Option<f64>,
    /// Request price per million requests.
    pub per_million_requests_usd: Option<f64>,
    /// Provisioned concurrency, per configured GB-second, x86_64.
    pub pc_x86_64_gb_s_usd: Option<f64>,
    /// Provisioned concurrency, per configured GB-second, arm64.
    pub pc_arm64_gb_s_usd: Option<f64>,
    /// Duration on provisioned sandboxes, per GB-second, x86_64.
    pub pc_duration_x86_64_gb_s_usd: Option<f64>,
    /// Duration on provisioned sandboxes, per GB-second, arm64.
    pub pc_duration_arm64_gb_s_usd: Option<f64>,
    /// SnapStart snapshot cache, per GB-second.
    pub snapstart_cache_gb_s_usd: Option<f64>,
    /// SnapStart restore, per GB restored.
    pub snapstart_restore_gb_usd: Option<f64>,
    /// Effective date of billed INIT for ZIP managed runtimes, `"YYYY-MM-DD"`.
    pub billed_init_from: Option<DateValue>,
    /// The date the simulated traffic is billed at, `"YYYY-MM-DD"`.
    pub billing_date: Option<DateValue>,
    /// Provisioned concurrency billing period (enable→disable rounded up to it).
    pub pc_period: Option<DurationValue>,
    /// Minimum billed cache time of a SnapStart snapshot per published version.
    pub snapstart_min_cache: Option<DurationValue>,
}

/// A calendar date in a file: the string `"YYYY-MM-DD"`, checked while parsing so the TOML
/// error points at its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateValue(pub crate::cost::BillingDate);

impl<'de> Deserialize<'de> for DateValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d).map_err(|_| {
            de::Error::custom("expected a date string like \"2025-08-01\" (YYYY-MM-DD, quoted)")
        })?;
        crate::cost::BillingDate::parse(&s)
            .map(DateValue)
            .map_err(de::Error::custom)
    }
}

/// `[[function]]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct FunctionSection {
    /// Unique name.
    pub name: String,
    /// Configured memory, 128..=10240 MB (default 128, the AWS default).
    pub memory_mb: Option<u32>,
    /// Architecture (default x86_64).
    pub arch: Option<Arch>,
    /// Packaging (default zip).
    pub packaging: Option<Packaging>,
    /// Workload model file.
    pub workload: Option<String>,
    /// A built-in runtime model by ID (`python3.12`, `nodejs20.x`, `provided.al2023-rust`;
    /// `coldsim runtimes` lists them): its own start, under the workload's imports and
    /// user init when `workload` is given too (src/config/runtime_select.rs).
    pub runtime: Option<String>,
    /// Handler duration at one full vCPU.
    pub handler: DistSpec,
    /// Share of the handler time that is CPU-bound (default 1).
    pub handler_cpu_fraction: Option<f64>,
    /// Threads the handler can keep busy (default 1).
    pub handler_threads: Option<u32>,
    /// Replaces the whole cold-start model by this duration or distribution.
    pub cold_start: Option<DistSpec>,
    /// Reserved concurrency: the function's own concurrency limit, carved out of the account.
    pub reserved_concurrency: Option<u32>,
    /// `eager` (default): the handler module imports everything at init; `lazy`: modules a
    /// request path needs are imported on the path's first request in a sandbox.
    pub import_style: Option<ImportStyle>,
    /// Provisioned concurrency: a count, or a daily schedule of `{ at = "08:00", count = 10 }`
    /// entries (default none).
    pub provisioned_concurrency: Option<ProvisionedSpec>,
    /// Warm-up pings: `{ every = "5m", concurrency = 1, duration = "5ms" }` (default none).
    pub warmup_pings: Option<PingsSection>,
    /// Default `invocation` of the traffic that calls this function (default `sync`).
    pub invocation: Option<Invocation>,
    /// Share of invocations that end in a function error, 0..1 (default 0): async events
    /// are retried after one.
    pub error_rate: Option<f64>,
}

/// `provisioned_concurrency`: a constant count or a daily schedule.
#[derive(Debug, Clone)]
pub enum ProvisionedSpec {
    /// `provisioned_concurrency = 5`.
    Count(u32),
    /// `provisioned_concurrency = [{ at = "08:00", count = 10 }, ...]`.
    Schedule(Vec<ProvisionedEntry>),
}

/// By hand rather than `untagged`, so that a bad schedule entry reports its own error (an
/// unknown key, a missing `count`) instead of "did not match any variant".
impl<'de> Deserialize<'de> for ProvisionedSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ProvisionedSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a count (0 to 4294967295) or an array of { at, count } tables")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ProvisionedSpec, E> {
                u32::try_from(v)
                    .map(ProvisionedSpec::Count)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ProvisionedSpec, E> {
                u32::try_from(v)
                    .map(ProvisionedSpec::Count)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ProvisionedSpec, A::Error> {
                Vec::<ProvisionedEntry>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(ProvisionedSpec::Schedule)
            }
        }
        d.deserialize_any(V)
    }
}

/// One entry of a provisioned-concurrency schedule: from time of day `at`, `count` sandboxes.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ProvisionedEntry {
    /// Time of day, `"08:00"`; the run starts at midnight.
    pub at: String,
    /// Sandboxes provisioned from then on.
    pub count: u32,
}

/// `warmup_pings = { every = "5m", concurrency = 1, duration = "5ms" }`.
#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct PingsSection {
    /// Period: pings arrive at every, 2·every, ...
    pub every: DurationValue,
    /// Pings arriving at the same instant each period (default 1).
    pub concurrency: Option<u32>,
    /// Handler time of a ping (default 5 ms).
    pub duration: Option<DurationValue>,
}

/// When the handler imports the modules its request paths need.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportStyle {
    /// At init: the workload's `imports` list.
    #[default]
    Eager,
    /// On first use: modules that a `[[path]]` needs are left out of init.
    Lazy,
}

/// `[[traffic]]`: one flat table; which keys apply depends on `kind`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct TrafficSection {
    /// The function receiving the requests.
    pub function: String,
    /// `poisson`, `bursty`, `diurnal` or `trace`.
    pub kind: String,
    /// `sync` (default, or the function's `invocation`), `async`, `sqs` or `stream`.
    pub invocation: Option<Invocation>,
    /// `async = { max_retries, max_event_age, on_failure }`: with `invocation = "async"`.
    #[serde(rename = "async")]
    pub async_config: Option<AsyncSection>,
    /// `sqs = { batch_size, batching_window, maximum_concurrency }`: with `invocation = "sqs"`.
    pub sqs: Option<SqsSection>,
    /// `stream = { shards, parallelization_factor, batch_size, batching_window }`: with
    /// `invocation = "stream"`.
    pub stream: Option<StreamSection>,
    /// poisson: requests per second.
    pub rate: Option<f64>,
    /// bursty: requests per second outside bursts (default 0).
    pub base_rate: Option<f64>,
    /// bursty: requests per second during a burst.
    pub burst_rate: Option<f64>,
    /// bursty: requests arriving at once at the start of each burst.
    pub burst_size: Option<u32>,
    /// bursty: length of a burst.
    pub burst_length: Option<DurationValue>,
    /// bursty: time from one burst's start to the next (duration or distribution).
    pub burst_every: Option<DistSpec>,
    /// bursty: start of the first burst (default 0 s).
    pub first_burst: Option<DurationValue>,
    /// diurnal: mean requests per second over a day.
    pub mean_rate: Option<f64>,
    /// diurnal: peak rate over trough rate (>= 1).
    pub peak_to_trough: Option<f64>,
    /// diurnal: time of day of the peak, `"14:00"`; the run starts at midnight.
    pub peak_at: Option<String>,
    /// trace: CSV file.
    pub file: Option<String>,
    /// trace: `timestamps` or `azure2019`.
    pub format: Option<String>,
    /// trace, timestamps: column holding seconds since the trace start (default `timestamp`).
    pub column: Option<String>,
    /// trace, azure2019: the `HashFunction` of the row to replay.
    pub function_hash: Option<String>,
    /// trace, azure2019: the 1-based data row to replay (instead of `function_hash`).
    pub row: Option<u64>,
    /// schedule: the period of a rate schedule, `"5m"` (`rate(5 minutes)`).
    pub every: Option<DurationValue>,
    /// schedule: an AWS six-field cron expression, UTC, `"0 12 * * ? *"`.
    pub cron: Option<String>,
}

impl TrafficSection {
    /// The optional keys that are set, with their names, for checking them against `kind`.
    pub fn keys_set(&self) -> Vec<&'static str> {
        let flags = [
            ("rate", self.rate.is_some()),
            ("base_rate", self.base_rate.is_some()),
            ("burst_rate", self.burst_rate.is_some()),
            ("burst_size", self.burst_size.is_some()),
            ("burst_length", self.burst_length.is_some()),
            ("burst_every", self.burst_every.is_some()),
            ("first_burst", self.first_burst.is_some()),
            ("mean_rate", self.mean_rate.is_some()),
            ("peak_to_trough", self.peak_to_trough.is_some()),
            ("peak_at", self.peak_at.is_some()),
            ("file", self.file.is_some()),
            ("format", self.format.is_some()),
            ("column", self.column.is_some()),
            ("function_hash", self.function_hash.is_some()),
            ("row", self.row.is_some()),
            ("every", self.every.is_some()),
            ("cron", self.cron.is_some()),
        ];
        flags.iter().filter(|(_, s)| *s).map(|(k, _)| *k).collect()
    }
}

/// `async = { ... }` of a `[[traffic]]` entry: Lambda's `EventInvokeConfig`.
#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct AsyncSection {
    /// Retries after a function error, 0..=2 (default 2).
    pub max_retries: Option<u32>,
    /// Longest an event waits, 60 s..=6 h (default 6 h).
    pub max_event_age: Option<DurationValue>,
    /// `drop` (default) or `destination`.
    pub on_failure: Option<crate::platform::event_source::OnFailure>,
}

/// `sqs = { ... }` of a `[[traffic]]` entry: an SQS event source mapping.
#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct SqsSection {
    /// Messages per batch, 1..=10,000 (default 10).
    pub batch_size: Option<u32>,
    /// Longest gathering of a batch, 0..=300 s (default 0 s).
    pub batching_window: Option<DurationValue>,
    /// Most concurrent batches, 2..=1,000 (default 1,000).
    pub maximum_concurrency: Option<u32>,
}

/// `stream = { ... }` of a `[[traffic]]` entry: a Kinesis or DynamoDB stream.
#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct StreamSection {
    /// Shards (default 1).
    pub shards: Option<u32>,
    /// Concurrent batches per shard, 1..=10 (default 1).
    pub parallelization_factor: Option<u32>,
    /// Records per batch, 1..=10,000 (default 100).
    pub batch_size: Option<u32>,
    /// Longest gathering of a batch, 0..=300 s (default 0 s).
    pub batching_window: Option<DurationValue>,
}

/// A workload model file (`models/workloads/*.toml`).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFile {
    /// Human-readable name.
    pub name: String,
    /// Runtime identifier, e.g. `python3.12`.
    pub runtime: String,
    /// Whether the workload's packages ship compiled bytecode (`.pyc`), so imports do not
    /// compile source (default true; a module's own `bytecode` overrides it). The seed's
    /// zip build stripped `.pyc` (../shared/data/README.md, datasci-perf).
    pub bytecode: Option<bool>,
    /// Sigma of the per-cold-start lognormal noise of the import time (default 0.1).
    pub import_noise_sigma: Option<f64>,
    /// What the handler module imports at init, in order (default none).
    #[serde(default)]
    pub imports: Vec<String>,
    /// Init phases.
    pub init: WorkloadInit,
    /// `[[module]]` tables: the import graph.
    #[serde(default, rename = "module")]
    pub modules: Vec<ModuleSection>,
    /// `[package.zip]`, `[package.zip_layers]`, `[package.image]`: the builds of this code.
    pub package: Option<PackagesSection>,
    /// `[[path]]` tables: request paths and the modules they need.
    #[serde(default, rename = "path")]
    pub paths: Vec<PathSection>,
    /// `[[extension]]` tables: Lambda extensions initialising next to the runtime.
    #[serde(default, rename = "extension")]
    pub extensions: Vec<ExtensionSection>,
    /// Probability that an on-demand init crashes (default 0): its time is wasted and the
    /// init is retried unboosted inside the invocation (facts.md "INIT phase limits").
    pub init_crash_probability: Option<f64>,
}

/// `[package.*]`: how the workload's code is built for each packaging.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct PackagesSection {
    /// One ZIP archive.
    pub zip: Option<ZipPackage>,
    /// A ZIP archive plus layers.
    pub zip_layers: Option<ZipLayersPackage>,
    /// A container image.
    pub image: Option<ImagePackage>,
    /// A ZIP build published with SnapStart: its memory snapshot.
    pub snapstart: Option<SnapstartPackage>,
}

/// `[package.snapstart]`: the snapshot taken at publish and what a restore costs
/// (facts.md "SnapStart (Python)"; DESIGN.md "Chunk caches").
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct SnapstartPackage {
    /// The restore's working set, MB: the snapshot chunks a restore reads through the tiers.
    pub restore_read_mb: f64,
    /// Snapshot size, MB, for cost (default: the function's memory size).
    pub snapshot_mb: Option<f64>,
    /// The runtime's own restore work (resume and runtime reload), after the chunk reads.
    pub runtime_restore: DistSpec,
    /// After-restore hooks (default 0).
    pub restore_hooks: Option<DistSpec>,
}

/// `[package.zip]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ZipPackage {
    /// Archive size, MB (10^6 bytes).
    pub zip_mb: f64,
    /// Unzipped size, MB.
    pub unzipped_mb: f64,
    /// Whether this build ships bytecode (overrides the workload's `bytecode`).
    pub bytecode: Option<bool>,
    /// This build's user init (overrides `[init] user`).
    pub user_init: Option<DistSpec>,
}

/// `[package.zip_layers]`: the function's own archive and its layers.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ZipLayersPackage {
    /// The function's archive size, MB.
    pub zip_mb: f64,
    /// Its unzipped size, MB.
    pub unzipped_mb: f64,
    /// Whether the function's archive ships bytecode.
    pub bytecode: Option<bool>,
    /// This build's user init (overrides `[init] user`).
    pub user_init: Option<DistSpec>,
    /// `[[package.zip_layers.layer]]`, in order.
    #[serde(default, rename = "layer")]
    pub layers: Vec<ZipLayerSection>,
}

/// One Lambda layer.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ZipLayerSection {
    /// Name; modules name it in their `layer` key.
    pub name: String,
    /// Archive size, MB.
    pub zip_mb: f64,
    /// Unzipped size, MB.
    pub unzipped_mb: f64,
    /// Whether the layer ships bytecode.
    pub bytecode: Option<bool>,
}

/// `[package.image]`: a container image, base layer first.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ImagePackage {
    /// Whether the image ships bytecode (overrides the workload's `bytecode`).
    pub bytecode: Option<bool>,
    /// This build's user init (overrides `[init] user`).
    pub user_init: Option<DistSpec>,
    /// Bytes the runtime's start reads from the image (interpreter, standard library,
    /// runtime interface client), MB; taken from the first layer. One number, or one per
    /// architecture (`{ x86_64 = .., arm64 = .. }`: the two are different images).
    pub runtime_read_mb: Option<MbPerArch>,
    /// The runtime's own start in this build per architecture (overrides `[init.runtime]`;
    /// calibrated runtime models set it when an image starts faster than a zip:
    /// `models/runtimes/`).
    pub runtime: Option<PerArch>,
    /// `[[package.image.layer]]`, base first.
    #[serde(default, rename = "layer")]
    pub layers: Vec<ImageLayerSection>,
}

/// A size in MB, the same for both architectures or one per architecture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MbPerArch {
    /// `runtime_read_mb = 48.0`.
    Same(f64),
    /// `runtime_read_mb = { x86_64 = 52.0, arm64 = 40.0 }`.
    PerArch {
        /// For x86_64.
        x86_64: f64,
        /// For arm64.
        arm64: f64,
    },
}

impl MbPerArch {
    /// The size for `arch`.
    pub fn get(&self, arch: Arch) -> f64 {
        match (*self, arch) {
            (MbPerArch::Same(v), _) => v,
            (MbPerArch::PerArch { x86_64, .. }, Arch::X86_64) => x86_64,
            (MbPerArch::PerArch { arm64, .. }, Arch::Arm64) => arm64,
        }
    }
}

impl<'de> Deserialize<'de> for MbPerArch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            x86_64: f64,
            arm64: f64,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MbPerArch;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size in MB, or a table { x86_64 = .., arm64 = .. } of sizes in MB")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MbPerArch, E> {
                Ok(MbPerArch::Same(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MbPerArch, E> {
                Ok(MbPerArch::Same(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MbPerArch, A::Error> {
                let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(MbPerArch::PerArch {
                    x86_64: t.x86_64,
                    arm64: t.arm64,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// One layer of a container image.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ImageLayerSection {
    /// Content name: images naming the same layer share its chunks.
    pub name: String,
    /// Size, MB.
    pub size_mb: f64,
    /// Kept hot in every AZ cache by other tenants (an AWS base image; default false).
    pub shared: Option<bool>,
}

/// `[[path]]`: a request path of the handler.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct PathSection {
    /// Name.
    pub name: String,
    /// Relative share of requests (weights are normalised).
    pub weight: f64,
    /// Modules the path needs.
    #[serde(default)]
    pub needs: Vec<String>,
}

/// `[[extension]]`: a Lambda extension's init, a thread next to the runtime's.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ExtensionSection {
    /// Name.
    pub name: String,
    /// CPU work of its init, ms at one vCPU.
    pub init_cpu_ms: f64,
}

/// `[[module]]` of a workload model: one importable module (DESIGN.md, "Imports").
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ModuleSection {
    /// Dotted module name.
    pub name: String,
    /// Running its top-level code, ms at one full vCPU (default 0).
    pub cpu_ms: Option<f64>,
    /// Compiling its source to bytecode, ms at one full vCPU; paid only without bytecode
    /// (default 0).
    pub compile_ms: Option<f64>,
    /// Overrides the workload's `bytecode` for this module's package.
    pub bytecode: Option<bool>,
    /// Bytes of files read while importing it (for image chunk reads; default 0).
    pub read_bytes: Option<u64>,
    /// The same in MB (10^6 bytes); give one of the two.
    pub read_mb: Option<f64>,
    /// The zip layer or image layer holding its files (default: the function's own archive,
    /// or the image's top layer).
    pub layer: Option<String>,
    /// Files read while importing it (default 0).
    pub files: Option<u64>,
    /// Modules it imports, in order (default none).
    #[serde(default)]
    pub imports: Vec<String>,
}

/// `[init]` of a workload model.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct WorkloadInit {
    /// Runtime init (interpreter start and bootstrap) per architecture.
    pub runtime: PerArch,
    /// User init code (module-level work of the handler module), at one vCPU: slowed by
    /// 1 / speed when the init CPU allowance gives the init thread less than one vCPU.
    pub user: Option<DistSpec>,
}

/// A distribution per architecture.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct PerArch {
    /// On x86_64.
    pub x86_64: DistSpec,
    /// On arm64.
    pub arm64: DistSpec,
}
