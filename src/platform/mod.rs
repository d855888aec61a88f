//! The Lambda platform: sandbox lifecycle, idle pools, concurrency and scaling limits, and
//! the components that decide about sandboxes (keep-alive, retirement, provisioned
//! concurrency, pings, deploys, proactive init) while `sim` acts on their decisions.

pub mod deploy;
pub mod keepalive;
pub mod limits;
pub mod pings;
pub mod pool;
pub mod proactive;
pub mod provisioned;
pub mod retirement;
pub mod sandbox;
pub mod scaling;

use crate::engine::{Dist, SimDuration};

/// Platform parameters of one scenario (models/platform/aws-lambda.toml and overrides).
#[derive(Clone, Debug)]
pub struct PlatformParams {
    /// Idle time after which an idle sandbox is reclaimed, drawn each time it goes idle.
    pub keep_alive: Dist,
    /// Maximum life of a sandbox, drawn at its creation.
    pub max_lifetime: Dist,
    /// New execution environments allowed per function per `scale_window`.
    pub scale_new: u32,
    /// The sliding window of the scaling rate.
    pub scale_window: SimDuration,
    /// Concurrent executions across the account.
    pub account_concurrency: u32,
    /// Placement of a new sandbox.
    pub place: Dist,
    /// MicroVM boot.
    pub boot: Dist,
    /// Prices.
    pub prices: Prices,
    /// Billing rules: billed INIT and its effective date, PC periods, SnapStart minimum.
    pub billing: BillingRules,
    /// CPU allowance of an on-demand init (DESIGN.md, "CPU").
    pub init_cpu: InitCpu,
    /// ZIP code delivery rates.
    pub zip: crate::coldstart::ZipTransfer,
    /// The fleet and chunk tiers of image code delivery.
    pub storage: StorageParams,
    /// Limit of an on-demand init (platform `init_timeout`); None: not modelled (the
    /// default, so that outputs without it do not change; AWS's limit is
    /// [`DEFAULT_INIT_TIMEOUT`]).
    pub init_timeout: Option<SimDuration>,
    /// Share of would-be cold starts that find a sandbox the platform initialised
    /// proactively (models/platform/aws-lambda.toml `proactive_init_share`; default 0).
    pub proactive_init_share: f64,
}

/// AWS's limit of an on-demand init, the value to give as `init_timeout`: 10 s ("The Init phase is limited to 10 seconds. If
/// all three tasks do not complete within 10 seconds, Lambda retries the Init phase at the
/// time of the first function invocation", AWS docs lambda-runtime-environment.html;
/// facts.md "INIT phase limits"). Not applied to provisioned or SnapStart inits.
pub const DEFAULT_INIT_TIMEOUT: SimDuration = SimDuration::from_secs(10);

/// The fleet and chunk tiers (models/platform/aws-lambda.toml `[storage]`).
#[derive(Clone, Debug)]
pub struct StorageParams {
    /// Fleet shape, caches, latencies.
    pub fleet: crate::storage::fleet::FleetSpec,
    /// Placement of cold starts on workers.
    pub placement: Placement,
    /// Sigma of the per-cold-start factor on chunk I/O time.
    pub read_jitter_sigma: f64,
}

/// Placement of a cold start on a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Uniform over the fleet.
    Random,
    /// Back to one of up to `spread` workers that ran the function.
    Sticky {
        /// Workers kept per function.
        spread: u32,
    },
}

/// The CPU allowance of an on-demand init, in vCPUs (DESIGN.md, "CPU";
/// models/platform/aws-lambda.toml `init_cpu`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InitCpu {
    /// A boosted allowance whatever the memory (default 2 vCPUs: the seed article measured
    /// no effect of memory, 1,024 to 10,240 MB, on init).
    Boost {
        /// vCPUs during init.
        vcpus: f64,
    },
    /// The alternative hypothesis: memory / 1,769 MB vCPUs, as for the handler.
    Proportional,
}

impl InitCpu {
    /// vCPUs available to init at `memory_mb`.
    pub fn allowance(self, memory_mb: u32) -> f64 {
        match self {
            InitCpu::Boost { vcpus } => vcpus,
            InitCpu::Proportional => memory_mb as f64 / crate::config::scenario::MB_PER_VCPU,
        }
    }

    /// Speed of the runtime's import thread, in vCPUs: it uses at most one vCPU, so
    /// min(1, allowance) (DESIGN.md, "CPU").
    pub fn import_speed(self, memory_mb: u32) -> f64 {
        self.allowance(memory_mb).min(1.0)
    }
}

/// Prices in US dollars (AWS pricing page, us-east-1, first tier; facts.md §2 "Prices",
/// "SnapStart (Python)"; the values and their sources are in
/// models/platform/aws-lambda.toml `[price]`). A GB is 1,024 MB throughout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prices {
    /// On-demand duration price per GB-second, x86_64.
    pub x86_64_gb_s_usd: f64,
    /// On-demand duration price per GB-second, arm64.
    pub arm64_gb_s_usd: f64,
    /// Price per million requests (user requests and pings alike).
    pub per_million_requests_usd: f64,
    /// Provisioned concurrency, per GB-second of configured concurrency, x86_64.
    pub pc_x86_64_gb_s_usd: f64,
    /// Provisioned concurrency, per GB-second of configured concurrency, arm64.
    pub pc_arm64_gb_s_usd: f64,
    /// Duration of requests served by provisioned sandboxes, per GB-second, x86_64.
    pub pc_duration_x86_64_gb_s_usd: f64,
    /// Duration of requests served by provisioned sandboxes, per GB-second, arm64.
    pub pc_duration_arm64_gb_s_usd: f64,
    /// SnapStart snapshot cache, per GB-second while the version is active (both arches).
    pub snapstart_cache_gb_s_usd: f64,
    /// SnapStart restore, per GB restored, charged on every restore (both arches).
    pub snapstart_restore_gb_usd: f64,
}

impl Prices {
    /// On-demand duration price per GB-second for `arch`.
    pub fn on_demand_gb_s_usd(&self, arch: crate::config::Arch) -> f64 {
        match arch {
            crate::config::Arch::X86_64 => self.x86_64_gb_s_usd,
            crate::config::Arch::Arm64 => self.arm64_gb_s_usd,
        }
    }

    /// Provisioned-concurrency price per configured GB-second for `arch`.
    pub fn pc_configured_gb_s_usd(&self, arch: crate::config::Arch) -> f64 {
        match arch {
            crate::config::Arch::X86_64 => self.pc_x86_64_gb_s_usd,
            crate::config::Arch::Arm64 => self.pc_arm64_gb_s_usd,
        }
    }

    /// Duration price per GB-second of requests served by provisioned sandboxes for `arch`.
    pub fn pc_duration_gb_s_usd(&self, arch: crate::config::Arch) -> f64 {
        match arch {
            crate::config::Arch::X86_64 => self.pc_duration_x86_64_gb_s_usd,
            crate::config::Arch::Arm64 => self.pc_duration_arm64_gb_s_usd,
        }
    }
}

/// A calendar date `YYYY-MM-DD` (proleptic Gregorian), ordered by time. Used only to decide
/// which billing rules apply; no time zone (AWS announces rule changes by UTC day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillingDate {
    /// Year.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=31 (checked against the month and leap years).
    pub day: u8,
}

impl BillingDate {
    /// Parses `"YYYY-MM-DD"`; the error says what was expected.
    pub fn parse(text: &str) -> Result<BillingDate, String> {
        let bad = || format!("expected a date like \"2025-08-01\" (YYYY-MM-DD); got \"{text}\"");
        let parts: Vec<&str> = text.trim().split('-').collect();
        if parts.len() != 3
            || parts[0].len() != 4
            || parts[1].len() != 2
            || parts[2].len() != 2
            || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let year: u16 = parts[0].parse().map_err(|_| bad())?;
        let month: u8 = parts[1].parse().map_err(|_| bad())?;
        let day: u8 = parts[2].parse().map_err(|_| bad())?;
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(format!("month must be 01..12; got \"{text}\"")),
        };
        if day == 0 || day > days {
            return Err(format!(
                "day must be 01..{days} in that month; got \"{text}\""
            ));
        }
        Ok(BillingDate { year, month, day })
    }
}

impl std::fmt::Display for BillingDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Billing rules beside the prices (models/platform/aws-lambda.toml `[price]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BillingRules {
    /// The day AWS started billing INIT of on-demand ZIP functions on managed runtimes:
    /// 2025-08-01 (AWS Compute Blog "AWS Lambda standardizes billing for INIT Phase",
    /// 2025-04-29; facts.md §2 "INIT billing change"). Container images were always billed.
    pub billed_init_from: BillingDate,
    /// The date the simulated traffic is billed at: selects the rules in force.
    pub billing_date: BillingDate,
    /// Provisioned concurrency is billed from enable to disable rounded up to this period,
    /// 300 s (AWS pricing page; facts.md §2 "Prices").
    pub pc_period_s: f64,
    /// Minimum time a SnapStart snapshot is billed for, per published version: 3 h (AWS
    /// pricing page as reported in facts.md §2 "SnapStart (Python)", [R]).
    pub snapstart_min_cache_s: f64,
}

impl BillingRules {
    /// Whether on-demand INIT is billed for `packaging` at `billing_date`: container images
    /// always; ZIP (with or without layers, and SnapStart's ZIP when it falls back to a
    /// full init) from `billed_init_from` on. coldsim's runtimes are all managed (Python);
    /// custom runtimes, which were always billed, are not modelled.
    pub fn init_billed(&self, packaging: crate::config::Packaging) -> bool {
        match packaging {
            crate::config::Packaging::Image => true,
            crate::config::Packaging::Zip
            | crate::config::Packaging::ZipLayers
            | crate::config::Packaging::Snapstart => self.billing_date >= self.billed_init_from,
        }
    }

    /// Billed span of a provisioned-concurrency configuration enabled for `enabled_s`
    /// seconds: rounded up to whole `pc_period_s` periods (AWS pricing page). For callers
    /// that know the enable→disable spans; [`crate::stats::cost::breakdown`] takes the
    /// configured integral as given.
    pub fn pc_billed_span_s(&self, enabled_s: f64) -> f64 {
        if enabled_s <= 0.0 || self.pc_period_s <= 0.0 {
            return enabled_s.max(0.0);
        }
        // Tolerate float noise: 600.0000000001 s is two periods, not three.
        let periods = (enabled_s / self.pc_period_s - 1e-9).ceil().max(1.0);
        periods * self.pc_period_s
    }
}
