//! Money: on-demand duration (GB-seconds of billed time, init included as billed since
//! 2025-08-01 for ZIP managed runtimes and always for images; AWS Compute Blog 2025-04-29)
//! and requests; provisioned concurrency (configured and used), SnapStart cache and restore,
//! and warm-up pings ([`breakdown`]).
//!
//! Every figure is a pure function of counts over the measured run ([`CostInputs`]), the
//! prices ([`Prices`]) and the billing rules ([`BillingRules`]), all from
//! models/platform/aws-lambda.toml `[price]` (facts.md §2 "Prices", "SnapStart (Python)",
//! "INIT billing change"). A GB is 1,024 MB. The free tier and the volume discount tiers are
//! ignored: the figures are the marginal price of one more function like this one.

use serde::Serialize;

use super::{BillingRules, Prices};
use crate::lambda::{Arch, Packaging};

/// MB per GB in Lambda's billing (AWS pricing page: "1,024 MB" is 1 GB).
pub const MB_PER_GB: f64 = 1_024.0;

/// Seconds in the month that [`CostBreakdown::per_month_usd`] scales to: 30 days.
pub const SECONDS_PER_MONTH: f64 = 30.0 * 86_400.0;

/// What one function did over the measured run of one replication: the counts a bill is
/// made of. Every field is a count or a sum over the measured window (after warm-up).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostInputs {
    /// Architecture: selects the duration and PC prices.
    pub arch: Arch,
    /// Configured memory; GB-seconds use memory_mb / 1,024.
    pub memory_mb: u32,
    /// Packaging: decides whether on-demand INIT is billed ([`BillingRules::init_billed`]).
    pub packaging: Packaging,
    /// Simulated time the counts cover, seconds (for per-month scaling).
    pub measured_s: f64,
    /// User requests (pings excluded), on-demand and provisioned alike.
    pub invocations: u64,
    /// Billed duration of all user requests (each rounded up to 1 ms), INIT excluded,
    /// including the part served by provisioned sandboxes (`provisioned_busy_ms`), which
    /// is billed at the PC duration price instead of the on-demand one.
    pub billed_ms: u64,
    /// Summed Init Duration of on-demand inits that the caller counts as billed to this
    /// function (on the request path; the caller decides about proactive and ping-triggered
    /// inits). Billed at the on-demand duration price only where [`BillingRules::init_billed`]
    /// holds. Provisioned inits are not in here: they run while the PC is configured and are
    /// paid by the configured charge. Not rounded (the 1 ms rounding is on the whole
    /// REPORT; the difference is under 1 ms per cold start).
    pub on_demand_init_ms: f64,
    /// Warm-up pings (requests, billed like user requests, reported apart).
    pub pings: u64,
    /// Billed duration of the pings (each rounded up to 1 ms).
    pub ping_billed_ms: u64,
    /// Integral of the configured provisioned concurrency over the measured window,
    /// sandbox-seconds. Taken as billed: the 5-minute rounding of enable→disable spans is
    /// the caller's ([`BillingRules::pc_billed_span_s`]); a window that is a slice of a
    /// longer enablement needs none.
    pub provisioned_configured_s: f64,
    /// Billed duration of user requests served by provisioned sandboxes (part of
    /// `billed_ms`).
    pub provisioned_busy_ms: u64,
    /// Billed snapshot size, MB. AWS bills cache and restore on the function's allocated
    /// memory, so callers pass `memory_mb` (not the size of the snapshot's chunks); 0 when
    /// SnapStart is off.
    pub snapshot_mb: f64,
    /// Time the SnapStart version's snapshot was active over the measured window, seconds.
    pub snapshot_active_s: f64,
    /// Versions published (snapshots taken) within the measured window: each is billed for
    /// at least `BillingRules::snapstart_min_cache_s` (3 h).
    pub snapshot_publishes: u64,
    /// Snapshot restores (new SnapStart environments).
    pub restores: u64,
    /// Summed Billed Restore Duration (runtime load + after-restore hooks, each rounded up
    /// to 1 ms), billed at the on-demand duration price (facts.md §2 "SnapStart").
    pub restore_billed_ms: u64,
}

impl CostInputs {
    /// Inputs with every count zero: fill in what the run counted.
    pub fn new(arch: Arch, memory_mb: u32, packaging: Packaging, measured_s: f64) -> CostInputs {
        CostInputs {
            arch,
            memory_mb,
            packaging,
            measured_s,
            invocations: 0,
            billed_ms: 0,
            on_demand_init_ms: 0.0,
            pings: 0,
            ping_billed_ms: 0,
            provisioned_configured_s: 0.0,
            provisioned_busy_ms: 0,
            snapshot_mb: 0.0,
            snapshot_active_s: 0.0,
            snapshot_publishes: 0,
            restores: 0,
            restore_billed_ms: 0,
        }
    }
}

/// A bill split by what it pays for, US dollars over the measured window. Components add
/// up to `total_usd`; breakdowns of several functions or replications add with
/// [`CostBreakdown::add`] and average with [`CostBreakdown::scaled`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CostBreakdown {
    /// User requests × price per request.
    pub requests_usd: f64,
    /// On-demand duration of user requests (billed_ms − provisioned_busy_ms), GB-s × price.
    pub on_demand_duration_usd: f64,
    /// Billed on-demand INIT, GB-s × on-demand price (zero where INIT is not billed).
    pub init_usd: f64,
    /// Pings: their requests and their billed duration.
    pub pings_usd: f64,
    /// Configured provisioned concurrency, GB-s configured × PC price.
    pub provisioned_configured_usd: f64,
    /// Duration of requests served by provisioned sandboxes, GB-s × PC duration price.
    pub provisioned_duration_usd: f64,
    /// SnapStart snapshot cache, GB-s (with the per-version minimum) × cache price.
    pub snapstart_cache_usd: f64,
    /// SnapStart restores (GB restored × restore price) and their Billed Restore Duration.
    pub snapstart_restore_usd: f64,
    /// Sum of the components above.
    pub total_usd: f64,
}

impl CostBreakdown {
    /// The bill scaled from `measured_s` of simulated time to a 30-day month
    /// ([`SECONDS_PER_MONTH`]), assuming the measured traffic repeats. Minimum charges
    /// (SnapStart's 3 h per publish) scale with it, as if published again every window.
    /// NaN when `measured_s` is not positive.
    pub fn per_month_usd(&self, measured_s: f64) -> f64 {
        if measured_s > 0.0 {
            self.total_usd * SECONDS_PER_MONTH / measured_s
        } else {
            f64::NAN
        }
    }

    /// The bill per million user requests (pings are a cost, not a divisor). NaN with no
    /// user requests.
    pub fn per_million_requests_usd(&self, invocations: u64) -> f64 {
        if invocations > 0 {
            self.total_usd * 1e6 / invocations as f64
        } else {
            f64::NAN
        }
    }

    /// Component-wise sum (several functions, or replications before averaging).
    pub fn add(&mut self, other: &CostBreakdown) {
        self.requests_usd += other.requests_usd;
        self.on_demand_duration_usd += other.on_demand_duration_usd;
        self.init_usd += other.init_usd;
        self.pings_usd += other.pings_usd;
        self.provisioned_configured_usd += other.provisioned_configured_usd;
        self.provisioned_duration_usd += other.provisioned_duration_usd;
        self.snapstart_cache_usd += other.snapstart_cache_usd;
        self.snapstart_restore_usd += other.snapstart_restore_usd;
        self.total_usd += other.total_usd;
    }

    /// Every component times `factor` (e.g. 1 / replications for a mean).
    pub fn scaled(&self, factor: f64) -> CostBreakdown {
        CostBreakdown {
            requests_usd: self.requests_usd * factor,
            on_demand_duration_usd: self.on_demand_duration_usd * factor,
            init_usd: self.init_usd * factor,
            pings_usd: self.pings_usd * factor,
            provisioned_configured_usd: self.provisioned_configured_usd * factor,
            provisioned_duration_usd: self.provisioned_duration_usd * factor,
            snapstart_cache_usd: self.snapstart_cache_usd * factor,
            snapstart_restore_usd: self.snapstart_restore_usd * factor,
            total_usd: self.total_usd * factor,
        }
    }
}

/// The bill for `inputs` (AWS Lambda pricing; facts.md §2):
/// - requests: (invocations) × per-million price / 10⁶;
/// - on-demand duration: (billed_ms − provisioned_busy_ms) / 1,000 × GB × price(arch);
/// - INIT: on_demand_init_ms / 1,000 × GB × price(arch) if [`BillingRules::init_billed`];
/// - pings: pings × request price + ping_billed_ms / 1,000 × GB × price(arch);
/// - PC configured: provisioned_configured_s × GB × PC price(arch);
/// - PC duration: provisioned_busy_ms / 1,000 × GB × PC duration price(arch);
/// - SnapStart cache: snapshot GB × max(snapshot_active_s, publishes × 3 h) × cache price
///   (exact for one version; for several it is a lower bound of Σ max(active_i, 3 h));
/// - SnapStart restore: restores × snapshot GB × restore price + restore_billed_ms / 1,000
///   × GB × on-demand price(arch).
///
/// `provisioned_busy_ms` above `billed_ms` is clamped (on-demand duration 0).
pub fn breakdown(prices: &Prices, billing: &BillingRules, inputs: &CostInputs) -> CostBreakdown {
    let gb = inputs.memory_mb as f64 / MB_PER_GB;
    let od = prices.on_demand_gb_s_usd(inputs.arch);
    let per_request = prices.per_million_requests_usd / 1e6;
    let gb_s = |ms: f64| ms / 1_000.0 * gb;

    let requests_usd = inputs.invocations as f64 * per_request;
    let on_demand_ms = inputs.billed_ms.saturating_sub(inputs.provisioned_busy_ms);
    let on_demand_duration_usd = gb_s(on_demand_ms as f64) * od;
    let init_usd = if billing.init_billed(inputs.packaging) {
        gb_s(inputs.on_demand_init_ms.max(0.0)) * od
    } else {
        0.0
    };
    let pings_usd = inputs.pings as f64 * per_request + gb_s(inputs.ping_billed_ms as f64) * od;
    let provisioned_configured_usd =
        inputs.provisioned_configured_s.max(0.0) * gb * prices.pc_configured_gb_s_usd(inputs.arch);
    let provisioned_duration_usd = gb_s(inputs.provisioned_busy_ms.min(inputs.billed_ms) as f64)
        * prices.pc_duration_gb_s_usd(inputs.arch);
    let snapshot_gb = inputs.snapshot_mb.max(0.0) / MB_PER_GB;
    let cache_s = inputs
        .snapshot_active_s
        .max(0.0)
        .max(inputs.snapshot_publishes as f64 * billing.snapstart_min_cache_s);
    let snapstart_cache_usd = snapshot_gb * cache_s * prices.snapstart_cache_gb_s_usd;
    let snapstart_restore_usd =
        inputs.restores as f64 * snapshot_gb * prices.snapstart_restore_gb_usd
            + gb_s(inputs.restore_billed_ms as f64) * od;
    let total_usd = requests_usd
        + on_demand_duration_usd
        + init_usd
        + pings_usd
        + provisioned_configured_usd
        + provisioned_duration_usd
        + snapstart_cache_usd
        + snapstart_restore_usd;
    CostBreakdown {
        requests_usd,
        on_demand_duration_usd,
        init_usd,
        pings_usd,
        provisioned_configured_usd,
        provisioned_duration_usd,
        snapstart_cache_usd,
        snapstart_restore_usd,
        total_usd,
    }
}

/// On-demand cost in USD of `invocations` requests with `billed_ms` of billed time on a
/// function of `memory_mb` and `arch`. Lambda bills memory in GB of 1,024 MB.
pub fn on_demand_usd(
    prices: &Prices,
    arch: Arch,
    memory_mb: u32,
    billed_ms: u64,
    invocations: u64,
) -> f64 {
    let gb_s = billed_ms as f64 / 1_000.0 * memory_mb as f64 / 1_024.0;
    let per_gb_s = match arch {
        Arch::X86_64 => prices.x86_64_gb_s_usd,
        Arch::Arm64 => prices.arm64_gb_s_usd,
    };
    gb_s * per_gb_s + invocations as f64 * prices.per_million_requests_usd / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::BillingDate;

    /// us-east-1 prices of facts.md §2 (the same as models/platform/aws-lambda.toml).
    fn aws() -> Prices {
        Prices {
            x86_64_gb_s_usd: 0.0000166667,
            arm64_gb_s_usd: 0.0000133334,
            per_million_requests_usd: 0.20,
            pc_x86_64_gb_s_usd: 0.0000041667,
            pc_arm64_gb_s_usd: 0.0000033334,
            pc_duration_x86_64_gb_s_usd: 0.0000097222,
            pc_duration_arm64_gb_s_usd: 0.0000077778,
            snapstart_cache_gb_s_usd: 0.0000015046,
            snapstart_restore_gb_usd: 0.0001397998,
        }
    }

    fn rules(billing_date: &str) -> BillingRules {
        BillingRules {
            billed_init_from: BillingDate::parse("2025-08-01").unwrap(),
            billing_date: BillingDate::parse(billing_date).unwrap(),
            pc_period_s: 300.0,
            snapstart_min_cache_s: 10_800.0,
        }
    }

    fn close(got: f64, want: f64) {
        assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
    }

    #[test]
    fn matches_the_aws_pricing_page_example() {
        // AWS pricing example: 3 M requests/month, 120 ms each, 1,536 MB, x86_64:
        // 540,000 GB-s × $0.0000166667 = $9.00 compute, 3 M × $0.20/M = $0.60 requests.
        let p = aws();
        let usd = on_demand_usd(&p, Arch::X86_64, 1_536, 3_000_000 * 120, 3_000_000);
        assert!((usd - 9.60).abs() < 0.005, "{usd}");
        // The breakdown agrees with the on-demand shortcut and splits it:
        // 3e6 × 0.12 s × 1.5 GB = 540,000 GB-s × 0.0000166667 = 9.000018; requests 0.60.
        let mut i = CostInputs::new(Arch::X86_64, 1_536, Packaging::Zip, 30.0 * 86_400.0);
        i.invocations = 3_000_000;
        i.billed_ms = 3_000_000 * 120;
        let b = breakdown(&p, &rules("2026-01-01"), &i);
        close(b.on_demand_duration_usd, 9.000018);
        close(b.requests_usd, 0.60);
        close(b.total_usd, usd);
        close(b.per_month_usd(i.measured_s), usd);
    }

    #[test]
    fn components_sum_to_the_total_and_add_and_scale() {
        let mut i = CostInputs::new(Arch::Arm64, 2_048, Packaging::Snapstart, 3_600.0);
        i.invocations = 10_000;
        i.billed_ms = 1_000_000;
        i.on_demand_init_ms = 5_000.0;
        i.pings = 12;
        i.ping_billed_ms = 120;
        i.provisioned_configured_s = 7_200.0;
        i.provisioned_busy_ms = 400_000;
        i.snapshot_mb = 2_048.0;
        i.snapshot_active_s = 3_600.0;
        i.restores = 30;
        i.restore_billed_ms = 4_000;
        let b = breakdown(&aws(), &rules("2026-01-01"), &i);
        let parts = b.requests_usd
            + b.on_demand_duration_usd
            + b.init_usd
            + b.pings_usd
            + b.provisioned_configured_usd
            + b.provisioned_duration_usd
            + b.snapstart_cache_usd
            + b.snapstart_restore_usd;
        close(b.total_usd, parts);
        assert!(
            [
                b.requests_usd,
                b.on_demand_duration_usd,
                b.init_usd,
                b.pings_usd,
                b.provisioned_configured_usd,
                b.provisioned_duration_usd,
                b.snapstart_cache_usd,
                b.snapstart_restore_usd
            ]
            .iter()
            .all(|&c| c > 0.0),
            "every component is exercised: {b:?}"
        );
        let mut two = b;
        two.add(&b);
        close(two.total_usd, 2.0 * b.total_usd);
        close(two.scaled(0.5).snapstart_cache_usd, b.snapstart_cache_usd);
        assert!(
            CostBreakdown::default()
                .per_million_requests_usd(0)
                .is_nan()
        );
        assert!(b.per_month_usd(0.0).is_nan());
    }

    #[test]
    fn provisioned_time_above_billed_time_is_clamped_not_negative() {
        let mut i = CostInputs::new(Arch::X86_64, 1_024, Packaging::Zip, 60.0);
        i.billed_ms = 1_000;
        i.provisioned_busy_ms = 5_000;
        let b = breakdown(&aws(), &rules("2026-01-01"), &i);
        assert_eq!(b.on_demand_duration_usd, 0.0);
        // 1 s × 1 GB × 0.0000097222
        close(b.provisioned_duration_usd, 0.0000097222);
    }

    #[test]
    fn billed_init_rule_by_packaging_and_date() {
        let before = rules("2025-07-31");
        let on_the_day = rules("2025-08-01");
        for p in [Packaging::Zip, Packaging::ZipLayers, Packaging::Snapstart] {
            assert!(!before.init_billed(p), "{p:?}");
            assert!(on_the_day.init_billed(p), "{p:?}");
        }
        assert!(before.init_billed(Packaging::Image));
        assert!(on_the_day.init_billed(Packaging::Image));
    }

    #[test]
    fn pc_spans_round_up_to_whole_five_minute_periods() {
        let r = rules("2026-01-01");
        close(r.pc_billed_span_s(1.0), 300.0);
        close(r.pc_billed_span_s(300.0), 300.0);
        close(r.pc_billed_span_s(300.5), 600.0);
        close(r.pc_billed_span_s(86_400.0), 86_400.0);
        close(r.pc_billed_span_s(0.0), 0.0);
    }

    #[test]
    fn dates_parse_and_order() {
        let d = BillingDate::parse("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert!(BillingDate::parse("2025-02-29").is_err(), "not a leap year");
        assert!(BillingDate::parse("2025-13-01").is_err());
        assert!(BillingDate::parse("2025-8-1").is_err());
        assert!(BillingDate::parse("yesterday").is_err());
        assert!(
            BillingDate::parse("2025-07-31").unwrap() < BillingDate::parse("2025-08-01").unwrap()
        );
        assert!(
            BillingDate::parse("2025-12-31").unwrap() < BillingDate::parse("2026-01-01").unwrap()
        );
    }
}
