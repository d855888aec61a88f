//! The typed, validated scenario that the simulator runs, built from a scenario file and the
//! model files it names. Checks here are the ones serde cannot do: ranges, references between
//! tables, keys that do not apply to a traffic kind, limits of the platform.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::dist::DistSpec;
use super::file::{
    FunctionSection, InitCpuKind, PlatformRef, PlatformSection, RunSection, ScenarioFile,
};
use super::paths::{parse_toml, read_toml, resolve};
use super::storage::MAX_LRU_BACKGROUND_REQUESTS;
use super::units::parse_clock_time;
use super::workload::{FunctionSetup, build_cold_start};
use crate::coldstart::ColdStartModel;
use crate::cost::{BillingRules, Prices};
use crate::engine::{Dist, SimDuration, SimTime};
use crate::error::{InputError, InputResult};
use crate::lambda::{Arch, Invocation, MB_PER_VCPU, Packaging};
use crate::platform::{InitCpu, PlatformParams};
use crate::storage::fleet::CacheModel;
use crate::traffic::ArrivalProcess;

/// The built-in platform model, the same file users can read and copy.
const BUILTIN_PLATFORM: &str = include_str!("../../models/platform/aws-lambda.toml");
/// Path shown in errors about the built-in platform model.
const BUILTIN_PLATFORM_PATH: &str = "models/platform/aws-lambda.toml (built in)";

/// Memory Lambda accepts, MB (AWS docs, configuration-memory.html).
const MEMORY_RANGE_MB: std::ops::RangeInclusive<u32> = 128..=10_240;
/// The init CPU allowance accepted, vCPUs: from below the 0.07 vCPU of 128 MB to well above
/// the 6 vCPUs of the largest function (AWS docs, configuration-memory.html); outside it
/// init times go to zero or saturate.
const INIT_BOOST_VCPUS: std::ops::RangeInclusive<f64> = 0.05..=64.0;

/// A scenario ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name shown in reports.
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// Simulated time during which requests arrive.
    pub duration: SimDuration,
    /// Run seed.
    pub seed: u64,
    /// Independent replications.
    pub replications: u32,
    /// Arrivals before this are simulated but not counted.
    pub warmup: SimDuration,
    /// Platform parameters.
    pub platform: PlatformParams,
    /// Functions, in file order.
    pub functions: Vec<Function>,
    /// Traffic sources, in file order.
    pub traffic: Vec<TrafficSource>,
    /// Deploys, by time (file order among equal times).
    pub deploys: Vec<Deploy>,
}

/// A new version of a function published during the run (`[[deploy]]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Deploy {
    /// Index of the function.
    pub function: usize,
    /// When.
    pub at: SimDuration,
    /// Images: share of chunks with new content.
    pub unique_chunk_fraction: f64,
}

/// Default unique share of a deploy: 0.043, the ATC'23 mean over uploads that change
/// anything (facts.md §1, "Deduplication").
pub const DEFAULT_UNIQUE_CHUNK_FRACTION: f64 = 0.043;

/// A function ready to run.
#[derive(Clone, Debug)]
pub struct Function {
    /// Unique name.
    pub name: String,
    /// Configured memory.
    pub memory_mb: u32,
    /// Architecture.
    pub arch: Arch,
    /// Packaging.
    pub packaging: Packaging,
    /// Handler time at this function's CPU share (the file gives it at one vCPU).
    pub handler: Dist,
    /// How the handler time was stretched from one vCPU: (1 − f) + f / speed.
    pub handler_cpu_factor: f64,
    /// The handler's CPU for one thread: min(1, memory / 1,769 MB) vCPU. Lazy imports run
    /// at this speed.
    pub handler_vcpus: f64,
    /// How cold starts are drawn.
    pub cold_start: ColdStartModel,
    /// Reserved concurrency, if any.
    pub reserved_concurrency: Option<u32>,
    /// Provisioned concurrency, if any.
    pub provisioned: Option<crate::platform::provisioned::PcSchedule>,
    /// Warm-up pings, if any.
    pub pings: Option<crate::platform::provisioned::Pings>,
    /// The `invocation` of traffic that names none (function key `invocation`).
    pub invocation: Invocation,
    /// Share of invocations ending in a function error (function key `error_rate`, 0..1,
    /// default 0: no errors modelled).
    pub error_rate: f64,
}

/// A traffic source ready to run.
#[derive(Clone, Debug)]
pub struct TrafficSource {
    /// Index of the function it calls.
    pub function: usize,
    /// Synchronous, asynchronous, SQS or stream.
    pub invocation: Invocation,
    /// How its requests reach the function, with the event source's parameters.
    pub delivery: crate::platform::event_source::Delivery,
    /// The arrival process.
    pub process: ArrivalProcess,
}

/// Handler slowdown at `memory_mb` for a handler whose CPU-bound share is `cpu_fraction`
/// and which can keep `threads` threads busy: the CPU share runs at speed
/// min(memory / 1,769 MB, threads) vCPU (AWS: CPU proportional to memory, 1,769 MB = 1
/// vCPU), the rest does not change.
pub fn handler_cpu_factor(memory_mb: u32, cpu_fraction: f64, threads: u32) -> f64 {
    let speed = (memory_mb as f64 / MB_PER_VCPU).min(threads.max(1) as f64);
    (1.0 - cpu_fraction) + cpu_fraction / speed
}

/// Reads, checks and types the scenario at `path`.
pub fn load_scenario(path: &Path) -> InputResult<Scenario> {
    let text = crate::input::read_text(path, crate::input::InputKind::Toml)?;
    load_scenario_from_str(path, &text)
}

/// Reads, checks and types scenario `text` as if it were the file at `path` (used for errors
/// and to resolve the files it names); the fuzz targets load from memory through it.
pub fn load_scenario_from_str(path: &Path, text: &str) -> InputResult<Scenario> {
    let raw: ScenarioFile = parse_toml(path, text)?;
    build(path, raw)
}

/// Types and checks a scenario file already parsed into a TOML table (the base file with
/// what-if overrides applied); `path` is the file it came from, for errors and relative paths.
pub fn load_scenario_from_table(path: &Path, table: toml::Table) -> InputResult<Scenario> {
    let raw: ScenarioFile = table
        .try_into()
        .map_err(|e: toml::de::Error| InputError::Toml {
            file: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
    build(path, raw)
}

/// The file being read, for naming it in errors.
pub(crate) struct Ctx<'a> {
    pub(crate) file: &'a Path,
}

impl Ctx<'_> {
    pub(crate) fn err(&self, key: impl Into<String>, msg: impl Into<String>) -> InputError {
        InputError::field(self.file, key, msg)
    }

    pub(crate) fn dist(&self, key: &str, spec: &DistSpec) -> InputResult<Dist> {
        let file = self.file;
        spec.to_dist(file, key, &mut |name, column| {
            load_empirical(file, key, name, column)
        })
    }
}

/// Reads an empirical distribution's values (milliseconds) into microseconds. Errors name
/// the scenario and `key`, then the data file and its row.
fn load_empirical(scenario: &Path, key: &str, name: &str, column: &str) -> InputResult<Vec<u64>> {
    let path = resolve(scenario, key, name)?;
    let fail = |m: String| InputError::field(scenario, key, m);
    let bytes = crate::input::read_bytes(&path, crate::input::InputKind::Data)
        .map_err(|e| fail(e.to_string()))?;
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let headers = reader
        .headers()
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    crate::input::check_columns(&path, headers.len()).map_err(|e| fail(e.to_string()))?;
    let idx = headers.iter().position(|h| h == column).ok_or_else(|| {
        fail(format!(
            "{}: no column \"{column}\" (columns: {})",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(", ")
        ))
    })?;
    let mut values = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let at = format!("{}: row {}", path.display(), i + 1);
        let rec = rec.map_err(|e| fail(format!("{at}: {e}")))?;
        let cell = rec.get(idx).unwrap_or("").trim();
        let ms: f64 = cell.parse().map_err(|_| {
            fail(format!(
                "{at}: column {column}: expected milliseconds, got \"{cell}\""
            ))
        })?;
        if !ms.is_finite() || ms < 0.0 {
            return Err(fail(format!(
                "{at}: column {column}: expected a non-negative number of milliseconds, got {ms}"
            )));
        }
        values.push(SimDuration::from_ms_f64(ms).as_us());
    }
    Ok(values)
}

fn build(path: &Path, raw: ScenarioFile) -> InputResult<Scenario> {
    let ctx = Ctx { file: path };
    let (duration, warmup, replications) = run_settings(&ctx, &raw.run)?;
    let platform = build_platform(path, raw.platform)?;
    let functions = build_functions(&ctx, &raw.functions, &platform)?;
    check_reservations(&ctx, &functions, &platform)?;
    let mut traffic = Vec::with_capacity(raw.traffic.len());
    for (i, t) in raw.traffic.iter().enumerate() {
        let end = SimTime::ZERO + duration;
        traffic.push(super::traffic::build_traffic(&ctx, i, t, &functions, end)?);
    }
    if traffic.is_empty() {
        return Err(ctx.err(
            "traffic",
            "a scenario needs at least one [[traffic]] source",
        ));
    }
    check_lru_budget(&ctx, &platform, &functions, duration, replications)?;
    let deploys = build_deploys(&ctx, &raw.deploys, &functions, duration)?;
    let name = raw.name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into())
    });
    let sc = Scenario {
        name,
        file: path.to_path_buf(),
        duration,
        seed: raw.run.seed.unwrap_or(1),
        replications,
        warmup,
        platform,
        functions,
        traffic,
        deploys,
    };
    super::work::check(&sc)?;
    Ok(sc)
}

/// `[run]`: the duration (above zero), the warm-up (shorter than the run) and the number of
/// replications (1 to 10,000).
fn run_settings(ctx: &Ctx, run: &RunSection) -> InputResult<(SimDuration, SimDuration, u32)> {
    let duration = run.duration.0;
    if duration.as_us() == 0 {
        return Err(ctx.err("run.duration", "must be longer than zero"));
    }
    let warmup = run.warmup.map(|w| w.0).unwrap_or_default();
    if warmup >= duration {
        return Err(ctx.err(
            "run.warmup",
            format!("must be shorter than run.duration ({duration})"),
        ));
    }
    let replications = run.replications.unwrap_or(1);
    if !(1..=10_000).contains(&replications) {
        return Err(ctx.err("run.replications", "must be between 1 and 10,000"));
    }
    Ok((duration, warmup, replications))
}

/// The name the outputs give the sum over functions (the CSV's `function` column, JSON's
/// top-level `total`), so no function may take it.
pub const TOTAL_NAME: &str = "total";

/// The `[[function]]` tables (at least one), each with a unique name that is not all digits
/// nor [`TOTAL_NAME`].
fn build_functions(
    ctx: &Ctx,
    raw: &[FunctionSection],
    platform: &PlatformParams,
) -> InputResult<Vec<Function>> {
    if raw.is_empty() {
        return Err(ctx.err("function", "a scenario needs at least one [[function]]"));
    }
    let mut names = HashSet::new();
    let mut functions = Vec::with_capacity(raw.len());
    for (i, f) in raw.iter().enumerate() {
        if !f.name.is_empty() && f.name.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ctx.err(
                format!("function[{i}].name"),
                format!(
                    "\"{}\" is all digits, which what-if keys (`function.NAME.KEY`) would \
                     confuse with a position; use a name with a letter",
                    f.name
                ),
            ));
        }
        if f.name == TOTAL_NAME {
            return Err(ctx.err(
                format!("function[{i}].name"),
                format!(
                    "\"{TOTAL_NAME}\" is reserved: the outputs name the sum over functions \
                     `{TOTAL_NAME}` (the CSV's function column, compare's --function); rename it"
                ),
            ));
        }
        if !names.insert(f.name.clone()) {
            return Err(ctx.err(
                format!("function[{i}].name"),
                format!("\"{}\" is used twice", f.name),
            ));
        }
        functions.push(build_function(ctx, i, f, platform)?);
    }
    Ok(functions)
}

/// Reserved concurrency adds up to at most the account's concurrency.
fn check_reservations(
    ctx: &Ctx,
    functions: &[Function],
    platform: &PlatformParams,
) -> InputResult<()> {
    let reserved: u64 = functions
        .iter()
        .filter_map(|f| f.reserved_concurrency)
        .map(u64::from)
        .sum();
    if reserved > platform.account_concurrency as u64 {
        return Err(ctx.err(
            "function.reserved_concurrency",
            format!(
                "reservations add up to {reserved}, more than the account concurrency {}",
                platform.account_concurrency
            ),
        ));
    }
    Ok(())
}

/// The `[[deploy]]` tables, checked and sorted by time.
fn build_deploys(
    ctx: &Ctx,
    raw: &[super::file::DeploySection],
    functions: &[Function],
    duration: SimDuration,
) -> InputResult<Vec<Deploy>> {
    let mut deploys = Vec::with_capacity(raw.len());
    for (i, d) in raw.iter().enumerate() {
        let key = |k: &str| format!("deploy[{i}].{k}");
        let function = functions
            .iter()
            .position(|f| f.name == d.function)
            .ok_or_else(|| {
                ctx.err(
                    key("function"),
                    format!("no function named \"{}\"", d.function),
                )
            })?;
        let frac = d
            .unique_chunk_fraction
            .unwrap_or(DEFAULT_UNIQUE_CHUNK_FRACTION);
        if !(0.0..=1.0).contains(&frac) {
            return Err(ctx.err(
                key("unique_chunk_fraction"),
                format!("must be between 0 and 1; got {frac}"),
            ));
        }
        if d.at.0 >= duration {
            return Err(ctx.err(
                key("at"),
                format!(
                    "must be before the end of the run (run.duration = {} s); got {} s",
                    duration.as_secs_f64(),
                    d.at.0.as_secs_f64()
                ),
            ));
        }
        deploys.push(Deploy {
            function,
            at: d.at.0,
            unique_chunk_fraction: frac,
        });
    }
    deploys.sort_by_key(|d| d.at);
    Ok(deploys)
}

/// With explicit LRU caches every background request is replayed: refuse runs that would
/// replay more than [`MAX_LRU_BACKGROUND_REQUESTS`] rather than run for hours.
fn check_lru_budget(
    ctx: &Ctx,
    platform: &PlatformParams,
    functions: &[Function],
    duration: SimDuration,
    replications: u32,
) -> InputResult<()> {
    let fleet = &platform.storage.fleet;
    let has_image = functions.iter().any(|f| {
        matches!(
            &f.cold_start,
            ColdStartModel::Phases { delivery, .. } if delivery.chunked().is_some()
        )
    });
    if !has_image || fleet.worker_cache.model != CacheModel::ExplicitLru {
        return Ok(());
    }
    let rate = |spec: &crate::storage::fleet::CacheSpec, caches: u32| {
        spec.background.map_or(0.0, |b| b.rate_per_s) * caches as f64
    };
    let per_s = rate(&fleet.worker_cache, fleet.azs * fleet.workers_per_az)
        + rate(&fleet.az_cache, fleet.azs);
    let total = per_s * duration.as_secs_f64() * replications as f64;
    if total > MAX_LRU_BACKGROUND_REQUESTS {
        return Err(ctx.err(
            "platform.storage.cache_model",
            format!(
                "\"lru\" replays every background request: {total:.2e} in this run, more than \
                 {MAX_LRU_BACKGROUND_REQUESTS:.0e}; use \"characteristic_time\", a shorter run, \
                 fewer workers or lower background rates"
            ),
        ));
    }
    Ok(())
}

/// Lays `over` on top of `base`, key by key.
fn overlay(base: PlatformSection, over: PlatformSection) -> PlatformSection {
    let price = match (base.price, over.price) {
        (Some(b), Some(o)) => Some(super::file::PriceSection {
            x86_64_gb_s_usd: o.x86_64_gb_s_usd.or(b.x86_64_gb_s_usd),
            arm64_gb_s_usd: o.arm64_gb_s_usd.or(b.arm64_gb_s_usd),
            per_million_requests_usd: o.per_million_requests_usd.or(b.per_million_requests_usd),
            pc_x86_64_gb_s_usd: o.pc_x86_64_gb_s_usd.or(b.pc_x86_64_gb_s_usd),
            pc_arm64_gb_s_usd: o.pc_arm64_gb_s_usd.or(b.pc_arm64_gb_s_usd),
            pc_duration_x86_64_gb_s_usd: o
                .pc_duration_x86_64_gb_s_usd
                .or(b.pc_duration_x86_64_gb_s_usd),
            pc_duration_arm64_gb_s_usd: o
                .pc_duration_arm64_gb_s_usd
                .or(b.pc_duration_arm64_gb_s_usd),
            snapstart_cache_gb_s_usd: o.snapstart_cache_gb_s_usd.or(b.snapstart_cache_gb_s_usd),
            snapstart_restore_gb_usd: o.snapstart_restore_gb_usd.or(b.snapstart_restore_gb_usd),
            billed_init_from: o.billed_init_from.or(b.billed_init_from),
            billing_date: o.billing_date.or(b.billing_date),
            pc_period: o.pc_period.or(b.pc_period),
            snapstart_min_cache: o.snapstart_min_cache.or(b.snapstart_min_cache),
        }),
        (b, o) => o.or(b),
    };
    PlatformSection {
        keep_alive: over.keep_alive.or(base.keep_alive),
        max_lifetime: over.max_lifetime.or(base.max_lifetime),
        scale_rate: over.scale_rate.or(base.scale_rate),
        account_concurrency: over.account_concurrency.or(base.account_concurrency),
        place: over.place.or(base.place),
        boot: over.boot.or(base.boot),
        price,
        init_cpu: over.init_cpu.or(base.init_cpu),
        init_boost_vcpus: over.init_boost_vcpus.or(base.init_boost_vcpus),
        zip: super::storage::overlay_zip(base.zip, over.zip),
        storage: super::storage::overlay_storage(base.storage, over.storage),
        init_timeout: over.init_timeout.or(base.init_timeout),
        proactive_init_share: over.proactive_init_share.or(base.proactive_init_share),
        async_delivery: over.async_delivery.or(base.async_delivery),
        routing: over.routing.or(base.routing),
        replacement_share: over.replacement_share.or(base.replacement_share),
        replacement_lead: over.replacement_lead.or(base.replacement_lead),
    }
}

fn build_platform(scenario: &Path, r: Option<PlatformRef>) -> InputResult<PlatformParams> {
    let builtin_path = Path::new(BUILTIN_PLATFORM_PATH);
    let builtin: PlatformSection = parse_toml(builtin_path, BUILTIN_PLATFORM)?;
    // Whether the scenario or its platform file names `init_timeout` (the reinit figures are
    // listed then; under the built-in default only the numbers move, keys stay as before).
    let mut named_init_timeout = false;
    let (file, section) = match r {
        None => (scenario.to_path_buf(), builtin),
        Some(PlatformRef::Inline(s)) => {
            named_init_timeout = s.init_timeout.is_some();
            (scenario.to_path_buf(), overlay(builtin, *s))
        }
        Some(PlatformRef::File(name)) => {
            let p = resolve(scenario, "platform", &name)?;
            let s: PlatformSection = read_toml(&p)?;
            named_init_timeout = s.init_timeout.is_some();
            (p, overlay(builtin, s))
        }
    };
    let ctx = Ctx { file: &file };
    let missing = |k: &str| ctx.err(format!("platform.{k}"), "missing (and no built-in default)");
    let get = |k: &str, v: &Option<DistSpec>| -> InputResult<Dist> {
        ctx.dist(
            &format!("platform.{k}"),
            v.as_ref().ok_or_else(|| missing(k))?,
        )
    };
    let scale = section.scale_rate.ok_or_else(|| missing("scale_rate"))?;
    if scale.new == 0 || scale.per.0.as_us() == 0 {
        return Err(ctx.err(
            "platform.scale_rate",
            "needs new >= 1 and a window longer than zero",
        ));
    }
    let account = section
        .account_concurrency
        .ok_or_else(|| missing("account_concurrency"))?;
    if account == 0 {
        return Err(ctx.err("platform.account_concurrency", "must be at least 1"));
    }
    let price = section.price.unwrap_or_default();
    let init_cpu = build_init_cpu(&ctx, &section)?;
    let zip = super::storage::build_zip(&ctx, section.zip)?;
    let storage = super::storage::build_storage(&ctx, section.storage)?;
    let init_timeout = match section.init_timeout {
        Some(super::file::InitTimeout::After(d)) => Some(d.0),
        Some(super::file::InitTimeout::Off) | None => None,
    };
    if init_timeout.is_some_and(|t| t.as_us() == 0) {
        return Err(ctx.err("platform.init_timeout", "must be longer than zero"));
    }
    let proactive_init_share = share(&ctx, "proactive_init_share", section.proactive_init_share)?;
    let replacement_share = share(&ctx, "replacement_share", section.replacement_share)?;
    let routing = super::routing::build_routing(&ctx, section.routing.as_ref())?;
    Ok(PlatformParams {
        routing,
        init_timeout,
        report_reinits: named_init_timeout && init_timeout.is_some(),
        proactive_init_share,
        async_immediate: section.async_delivery == Some(super::file::AsyncDelivery::Immediate),
        replacement_share,
        replacement_lead: get("replacement_lead", &section.replacement_lead)?,
        zip,
        storage,
        init_cpu,
        keep_alive: get("keep_alive", &section.keep_alive)?,
        max_lifetime: get("max_lifetime", &section.max_lifetime)?,
        scale_new: scale.new,
        scale_window: scale.per.0,
        account_concurrency: account,
        place: get("place", &section.place)?,
        boot: get("boot", &section.boot)?,
        prices: build_prices(&ctx, &price)?,
        billing: build_billing(&ctx, &price)?,
    })
}

/// A probability key of the platform (`platform.{k}`), 0 when absent: between 0 and 1.
fn share(ctx: &Ctx, k: &str, v: Option<f64>) -> InputResult<f64> {
    let v = v.unwrap_or(0.0);
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(ctx.err(
            format!("platform.{k}"),
            format!("must be between 0 and 1; got {v}"),
        ))
    }
}

/// A key the built-in platform model should have given.
fn missing(ctx: &Ctx, k: &str) -> InputError {
    ctx.err(format!("platform.{k}"), "missing (and no built-in default)")
}

/// The init CPU allowance: `boost` with `init_boost_vcpus` in range, or `proportional`.
fn build_init_cpu(ctx: &Ctx, section: &PlatformSection) -> InputResult<InitCpu> {
    Ok(
        match section.init_cpu.ok_or_else(|| missing(ctx, "init_cpu"))? {
            InitCpuKind::Proportional => InitCpu::Proportional,
            InitCpuKind::Boost => {
                let vcpus = section
                    .init_boost_vcpus
                    .ok_or_else(|| missing(ctx, "init_boost_vcpus"))?;
                if !(vcpus.is_finite() && INIT_BOOST_VCPUS.contains(&vcpus)) {
                    return Err(ctx.err(
                        "platform.init_boost_vcpus",
                        format!(
                            "must be between {} and {} vCPUs; got {vcpus}",
                            INIT_BOOST_VCPUS.start(),
                            INIT_BOOST_VCPUS.end()
                        ),
                    ));
                }
                InitCpu::Boost { vcpus }
            }
        },
    )
}

/// `[platform.price]`: every price present and a non-negative number.
fn build_prices(ctx: &Ctx, price: &super::file::PriceSection) -> InputResult<Prices> {
    let price_of = |k: &str, v: Option<f64>| -> InputResult<f64> {
        let v = v.ok_or_else(|| missing(ctx, &format!("price.{k}")))?;
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(ctx.err(
                format!("platform.price.{k}"),
                "must be a non-negative number",
            ))
        }
    };
    Ok(Prices {
        x86_64_gb_s_usd: price_of("x86_64_gb_s_usd", price.x86_64_gb_s_usd)?,
        arm64_gb_s_usd: price_of("arm64_gb_s_usd", price.arm64_gb_s_usd)?,
        per_million_requests_usd: price_of(
            "per_million_requests_usd",
            price.per_million_requests_usd,
        )?,
        pc_x86_64_gb_s_usd: price_of("pc_x86_64_gb_s_usd", price.pc_x86_64_gb_s_usd)?,
        pc_arm64_gb_s_usd: price_of("pc_arm64_gb_s_usd", price.pc_arm64_gb_s_usd)?,
        pc_duration_x86_64_gb_s_usd: price_of(
            "pc_duration_x86_64_gb_s_usd",
            price.pc_duration_x86_64_gb_s_usd,
        )?,
        pc_duration_arm64_gb_s_usd: price_of(
            "pc_duration_arm64_gb_s_usd",
            price.pc_duration_arm64_gb_s_usd,
        )?,
        snapstart_cache_gb_s_usd: price_of(
            "snapstart_cache_gb_s_usd",
            price.snapstart_cache_gb_s_usd,
        )?,
        snapstart_restore_gb_usd: price_of(
            "snapstart_restore_gb_usd",
            price.snapstart_restore_gb_usd,
        )?,
    })
}

/// The billing rules of `[platform.price]`: billed-INIT date, PC period, SnapStart minimum.
fn build_billing(ctx: &Ctx, price: &super::file::PriceSection) -> InputResult<BillingRules> {
    Ok(BillingRules {
        billed_init_from: price
            .billed_init_from
            .ok_or_else(|| missing(ctx, "price.billed_init_from"))?
            .0,
        billing_date: price
            .billing_date
            .ok_or_else(|| missing(ctx, "price.billing_date"))?
            .0,
        pc_period_s: price
            .pc_period
            .ok_or_else(|| missing(ctx, "price.pc_period"))?
            .0
            .as_secs_f64(),
        snapstart_min_cache_s: price
            .snapstart_min_cache
            .ok_or_else(|| missing(ctx, "price.snapstart_min_cache"))?
            .0
            .as_secs_f64(),
    })
}

fn build_function(
    ctx: &Ctx,
    i: usize,
    f: &FunctionSection,
    platform: &PlatformParams,
) -> InputResult<Function> {
    let key = |k: &str| format!("function[{i}].{k}");
    if f.name.trim().is_empty() {
        return Err(ctx.err(key("name"), "must not be empty"));
    }
    let memory_mb = f.memory_mb.unwrap_or(128);
    if !MEMORY_RANGE_MB.contains(&memory_mb) {
        return Err(ctx.err(
            key("memory_mb"),
            format!("must be between 128 and 10240 MB; got {memory_mb}"),
        ));
    }
    let arch = f.arch.unwrap_or(Arch::X86_64);
    let packaging = f.packaging.unwrap_or(Packaging::Zip);
    let cpu_fraction = f.handler_cpu_fraction.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&cpu_fraction) {
        return Err(ctx.err(
            key("handler_cpu_fraction"),
            format!("must be between 0 and 1; got {cpu_fraction}"),
        ));
    }
    let threads = f.handler_threads.unwrap_or(1);
    if !(1..=64).contains(&threads) {
        return Err(ctx.err(
            key("handler_threads"),
            format!("must be between 1 and 64; got {threads}"),
        ));
    }
    let factor = handler_cpu_factor(memory_mb, cpu_fraction, threads);
    let handler = ctx.dist(&key("handler"), &f.handler)?.scaled(factor);
    let import_style = f.import_style.unwrap_or_default();
    let setup = FunctionSetup {
        packaging,
        arch,
        memory_mb,
        import_style,
        name: &f.name,
        platform,
    };
    let cold_start = match (&f.cold_start, &f.workload, &f.runtime) {
        (Some(spec), _, _) => ColdStartModel::Override(ctx.dist(&key("cold_start"), spec)?),
        (None, w, Some(id)) => {
            let workload = match w {
                Some(w) => Some(resolve(ctx.file, &key("workload"), w)?),
                None => None,
            };
            super::runtime_select::runtime_cold_start(
                ctx,
                &key("runtime"),
                id,
                workload.as_deref(),
                &setup,
            )?
        }
        (None, Some(w), None) => {
            let path = resolve(ctx.file, &key("workload"), w)?;
            build_cold_start(&path, &setup)?
        }
        (None, None, None) => {
            return Err(ctx.err(
                key("workload"),
                "a function needs a `workload` model file or a `cold_start` duration",
            ));
        }
    };
    Ok(Function {
        name: f.name.clone(),
        memory_mb,
        arch,
        packaging,
        handler,
        handler_cpu_factor: factor,
        handler_vcpus: (memory_mb as f64 / MB_PER_VCPU).min(1.0),
        cold_start,
        reserved_concurrency: f.reserved_concurrency,
        provisioned: build_provisioned(ctx, i, f)?,
        pings: build_pings(ctx, i, f)?,
        invocation: f.invocation.unwrap_or_default(),
        error_rate: build_error_rate(ctx, i, f)?,
    })
}

/// `error_rate`: a share in [0, 1].
fn build_error_rate(ctx: &Ctx, i: usize, f: &FunctionSection) -> InputResult<f64> {
    let rate = f.error_rate.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&rate) {
        return Err(ctx.err(
            format!("function[{i}].error_rate"),
            format!("must be between 0 and 1; got {rate}"),
        ));
    }
    Ok(rate)
}

/// `provisioned_concurrency`: a count or a daily schedule (times of day, sorted, unique).
fn build_provisioned(
    ctx: &Ctx,
    i: usize,
    f: &FunctionSection,
) -> InputResult<Option<crate::platform::provisioned::PcSchedule>> {
    use super::file::ProvisionedSpec;
    use crate::platform::provisioned::PcSchedule;
    let key = format!("function[{i}].provisioned_concurrency");
    let limit = f.reserved_concurrency.unwrap_or(u32::MAX);
    let check = |n: u32| -> InputResult<u32> {
        if n > 10_000 || n > limit {
            Err(ctx.err(
                &key,
                format!("count {n} is above the reserved concurrency or 10,000"),
            ))
        } else {
            Ok(n)
        }
    };
    let sched = match &f.provisioned_concurrency {
        None => return Ok(None),
        Some(ProvisionedSpec::Count(n)) => PcSchedule::constant(check(*n)?),
        Some(ProvisionedSpec::Schedule(entries)) => {
            if entries.is_empty() {
                return Err(ctx.err(&key, "a schedule needs at least one { at, count } entry"));
            }
            let mut v = Vec::with_capacity(entries.len());
            for (j, e) in entries.iter().enumerate() {
                let at =
                    parse_clock_time(&e.at).map_err(|m| ctx.err(format!("{key}[{j}].at"), m))?;
                v.push((at, check(e.count)?));
            }
            PcSchedule::daily(v).map_err(|m| ctx.err(&key, m))?
        }
    };
    Ok(Some(sched))
}

/// `warmup_pings`: period above zero, 1..=1,000 concurrent pings.
fn build_pings(
    ctx: &Ctx,
    i: usize,
    f: &FunctionSection,
) -> InputResult<Option<crate::platform::provisioned::Pings>> {
    let Some(p) = f.warmup_pings else {
        return Ok(None);
    };
    let key = |k: &str| format!("function[{i}].warmup_pings.{k}");
    if p.every.0.as_us() == 0 {
        return Err(ctx.err(key("every"), "must be longer than zero"));
    }
    let concurrency = p.concurrency.unwrap_or(1);
    if !(1..=1_000).contains(&concurrency) {
        return Err(ctx.err(
            key("concurrency"),
            format!("must be between 1 and 1000; got {concurrency}"),
        ));
    }
    Ok(Some(crate::platform::provisioned::Pings {
        every: p.every.0,
        concurrency,
        duration: p
            .duration
            .map_or(crate::platform::provisioned::DEFAULT_PING, |d| d.0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_slows_below_one_vcpu_and_speeds_up_only_with_threads() {
        assert!((handler_cpu_factor(1769, 1.0, 1) - 1.0).abs() < 1e-12);
        assert!((handler_cpu_factor(885, 1.0, 1) - 1769.0 / 885.0).abs() < 1e-12);
        // Half CPU-bound at 1/4 vCPU: 0.5 + 0.5 × 4.
        assert!((handler_cpu_factor(442, 0.5, 1) - (0.5 + 0.5 * 1769.0 / 442.0)).abs() < 1e-12);
        // Single-threaded: no gain above 1 vCPU; 4 threads at 10,240 MB: 4× on the CPU share.
        assert!((handler_cpu_factor(10_240, 1.0, 1) - 1.0).abs() < 1e-12);
        assert!((handler_cpu_factor(10_240, 1.0, 4) - 0.25).abs() < 1e-12);
        assert!((handler_cpu_factor(10_240, 1.0, 8) - 1769.0 / 10_240.0).abs() < 1e-12);
    }

    #[test]
    fn builtin_platform_model_parses_with_every_key() {
        let p = build_platform(Path::new("x.toml"), None).unwrap();
        assert_eq!(p.scale_new, 1000);
        assert_eq!(p.scale_window, SimDuration::from_secs(10));
        assert_eq!(p.account_concurrency, 1000);
        assert_eq!(p.keep_alive.mean_us(), 600e6);
    }
}
