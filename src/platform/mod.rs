//! The Lambda platform: sandbox lifecycle, idle pools, concurrency and scaling limits.

pub mod keepalive;
pub mod limits;
pub mod pool;
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
}

/// On-demand prices in US dollars (AWS pricing page, us-east-1; facts.md §2 "Prices").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prices {
    /// Duration price per GB-second, x86_64.
    pub x86_64_gb_s_usd: f64,
    /// Duration price per GB-second, arm64.
    pub arm64_gb_s_usd: f64,
    /// Price per million requests.
    pub per_million_requests_usd: f64,
}
