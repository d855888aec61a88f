//! What AWS charges per unit and the rules that decide what is billed: [`Prices`] and
//! [`BillingRules`] (models/platform/aws-lambda.toml `[price]`), and the [`BillingDate`] that
//! selects the rules in force.

use crate::lambda::{Arch, Packaging};

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
    pub fn on_demand_gb_s_usd(&self, arch: Arch) -> f64 {
        match arch {
            Arch::X86_64 => self.x86_64_gb_s_usd,
            Arch::Arm64 => self.arm64_gb_s_usd,
        }
    }

    /// Provisioned-concurrency price per configured GB-second for `arch`.
    pub fn pc_configured_gb_s_usd(&self, arch: Arch) -> f64 {
        match arch {
            Arch::X86_64 => self.pc_x86_64_gb_s_usd,
            Arch::Arm64 => self.pc_arm64_gb_s_usd,
        }
    }

    /// Duration price per GB-second of requests served by provisioned sandboxes for `arch`.
    pub fn pc_duration_gb_s_usd(&self, arch: Arch) -> f64 {
        match arch {
            Arch::X86_64 => self.pc_duration_x86_64_gb_s_usd,
            Arch::Arm64 => self.pc_duration_arm64_gb_s_usd,
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
    pub fn init_billed(&self, packaging: Packaging) -> bool {
        match packaging {
            Packaging::Image => true,
            Packaging::Zip | Packaging::ZipLayers | Packaging::Snapstart => {
                self.billing_date >= self.billed_init_from
            }
        }
    }

    /// Billed span of a provisioned-concurrency configuration enabled for `enabled_s`
    /// seconds: rounded up to whole `pc_period_s` periods (AWS pricing page). For callers
    /// that know the enable→disable spans; [`super::breakdown`] takes the
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
