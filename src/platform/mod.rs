//! The Lambda platform: sandbox lifecycle, idle pools, concurrency and scaling limits, and
//! the components that decide about sandboxes (keep-alive, retirement, provisioned
//! concurrency, pings, deploys, proactive init) while `sim` acts on their decisions.

pub mod deploy;
pub mod event_source;
pub mod keepalive;
pub mod limits;
pub mod pings;
pub mod pool;
pub mod proactive;
pub mod provisioned;
pub mod retirement;
pub mod routing;
pub mod sandbox;
pub mod scaling;

use crate::cost::{BillingRules, Prices};
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
    /// Limit of an on-demand init (platform `init_timeout`; the built-in default is AWS's
    /// [`crate::lambda::INIT_TIMEOUT`], 10 s); None: `"off"`, never cut.
    pub init_timeout: Option<SimDuration>,
    /// Whether the scenario or its platform file named `init_timeout` (then the reinit
    /// figures are listed even when zero; under the built-in default they are not, so
    /// outputs of runs that never reach the limit keep their keys).
    pub report_reinits: bool,
    /// Probability that a request-path cold start is accompanied by one extra sandbox the
    /// platform initialises off the request path for later requests
    /// (models/platform/aws-lambda.toml `proactive_init_share`; see `proactive.rs`).
    pub proactive_init_share: f64,
    /// Async requests start at once up to the limits, the rest first come first served
    /// (`async_delivery = "immediate"`), instead of going through the event queue's pollers.
    pub async_immediate: bool,
    /// Which idle sandbox serves a request (models/platform/aws-lambda.toml `routing`).
    pub routing: routing::Routing,
    /// Share of on-demand sandboxes whose retirement is replaced ahead of time
    /// (models/platform/aws-lambda.toml `replacement_share`; see `retirement.rs`).
    pub replacement_share: f64,
    /// How long before a retirement its replacement starts to initialise, drawn per
    /// sandbox (models/platform/aws-lambda.toml `replacement_lead`).
    pub replacement_lead: Dist,
}

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
            InitCpu::Proportional => crate::lambda::vcpus_at(memory_mb),
        }
    }
}
