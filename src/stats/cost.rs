//! Money: on-demand duration (GB-seconds of billed time, init included as billed since
//! 2025-08-01 for ZIP managed runtimes and always for images; AWS Compute Blog 2025-04-29)
//! and requests. Provisioned concurrency, SnapStart and pings come with the what-if model.

use crate::config::Arch;
use crate::platform::Prices;

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

    #[test]
    fn matches_the_aws_pricing_page_example() {
        // AWS pricing example: 3 M requests/month, 120 ms each, 1,536 MB, x86_64:
        // 540,000 GB-s × $0.0000166667 = $9.00 compute, 3 M × $0.20/M = $0.60 requests.
        let p = Prices {
            x86_64_gb_s_usd: 0.0000166667,
            arm64_gb_s_usd: 0.0000133334,
            per_million_requests_usd: 0.20,
        };
        let usd = on_demand_usd(&p, Arch::X86_64, 1_536, 3_000_000 * 120, 3_000_000);
        assert!((usd - 9.60).abs() < 0.005, "{usd}");
    }
}
