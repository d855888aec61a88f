//! The cost model (src/cost/) against hand computations to the cent, with the prices
//! read from the built-in platform model (models/platform/aws-lambda.toml `[price]`), so a
//! wrong value in the file fails here too. Arithmetic is written out in the comments; every
//! check is to the cent (|Δ| < $0.005) against the rounded figure, and to 1e-9 against the
//! exact product where it is written out.

use crate::common;

use coldsim::config::load_scenario;
use coldsim::cost::{BillingDate, BillingRules, CostInputs, Prices, SECONDS_PER_MONTH, breakdown};
use coldsim::lambda::{Arch, Packaging};

use common::VALID;

const DAY_S: f64 = 86_400.0;

/// Prices and billing rules of the built-in platform model, with `price_toml` lines added to
/// the scenario's `[platform.price]`.
fn platform(price_toml: &str) -> (Prices, BillingRules) {
    let t = common::load(&format!("{VALID}[platform.price]\n{price_toml}\n"));
    (t.scenario.platform.prices, t.scenario.platform.billing)
}

fn cents(got: f64, want: f64) {
    assert!((got - want).abs() < 0.005, "got ${got:.6}, want ${want:.2}");
}

fn exact(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1e-3),
        "got {got}, want {want}"
    );
}

#[test]
fn model_file_holds_the_facts_md_prices_and_rules() {
    let (p, r) = platform("");
    assert_eq!(p.x86_64_gb_s_usd, 0.0000166667);
    assert_eq!(p.arm64_gb_s_usd, 0.0000133334);
    assert_eq!(p.per_million_requests_usd, 0.20);
    assert_eq!(p.pc_x86_64_gb_s_usd, 0.0000041667);
    assert_eq!(p.pc_arm64_gb_s_usd, 0.0000033334);
    assert_eq!(p.pc_duration_x86_64_gb_s_usd, 0.0000097222);
    assert_eq!(p.pc_duration_arm64_gb_s_usd, 0.0000077778);
    assert_eq!(p.snapstart_cache_gb_s_usd, 0.0000015046);
    assert_eq!(p.snapstart_restore_gb_usd, 0.0001397998);
    assert_eq!(
        r.billed_init_from,
        BillingDate::parse("2025-08-01").unwrap()
    );
    assert_eq!(r.billing_date, BillingDate::parse("2026-01-01").unwrap());
    assert_eq!(r.pc_period_s, 300.0);
    assert_eq!(r.snapstart_min_cache_s, 3.0 * 3_600.0);
}

#[test]
fn aws_pricing_page_example() {
    // 3 M requests a month, 120 ms each, 1,536 MB, x86_64:
    // 3e6 × 0.120 s × 1.5 GB = 540,000 GB-s × $0.0000166667 = $9.000018 → $9.00;
    // 3e6 × $0.20 / 1e6 = $0.60; total $9.60.
    let (p, r) = platform("");
    let mut i = CostInputs::new(Arch::X86_64, 1_536, Packaging::Zip, SECONDS_PER_MONTH);
    i.invocations = 3_000_000;
    i.billed_ms = 3_000_000 * 120;
    let b = breakdown(&p, &r, &i);
    exact(b.on_demand_duration_usd, 9.000018);
    cents(b.requests_usd, 0.60);
    cents(b.total_usd, 9.60);
}

#[test]
fn constant_traffic_one_request_per_second_for_30_days() {
    // 1 req/s for 30 days = 2,592,000 requests, 100 ms billed each, 512 MB, arm64, warm
    // (no init): duration 2,592,000 × 0.1 s × 0.5 GB = 129,600 GB-s × $0.0000133334
    // = $1.72800864 → $1.73; requests 2.592 × $0.20 = $0.5184 → $0.52; total $2.24640864
    // → $2.25. Per million requests: $0.20 + 0.1 × 0.5 × 0.0000133334 × 1e6 = $0.86667.
    let (p, r) = platform("");
    let mut i = CostInputs::new(Arch::Arm64, 512, Packaging::Zip, SECONDS_PER_MONTH);
    i.invocations = 2_592_000;
    i.billed_ms = 2_592_000 * 100;
    let b = breakdown(&p, &r, &i);
    exact(b.on_demand_duration_usd, 1.72800864);
    exact(b.requests_usd, 0.5184);
    exact(b.total_usd, 2.24640864);
    cents(b.total_usd, 2.25);
    exact(b.per_month_usd(i.measured_s), 2.24640864);
    exact(b.per_million_requests_usd(i.invocations), 0.86667);
    for c in [
        b.init_usd,
        b.pings_usd,
        b.provisioned_configured_usd,
        b.provisioned_duration_usd,
        b.snapstart_cache_usd,
        b.snapstart_restore_usd,
    ] {
        assert_eq!(c, 0.0, "{b:?}");
    }
}

#[test]
fn per_month_and_per_million_scale_a_short_window() {
    // The same traffic measured for 1 hour: 3,600 requests, 360 s × 0.5 GB = 180 GB-s
    // × $0.0000133334 = $0.002400012, requests $0.00072; total $0.003120012.
    // × 2,592,000 / 3,600 = × 720 → $2.24640864 a month (the 30-day figure above);
    // per million: $0.003120012 × 1e6 / 3,600 = $0.86667 (independent of the window).
    let (p, r) = platform("");
    let mut i = CostInputs::new(Arch::Arm64, 512, Packaging::Zip, 3_600.0);
    i.invocations = 3_600;
    i.billed_ms = 3_600 * 100;
    let b = breakdown(&p, &r, &i);
    exact(b.total_usd, 0.003120012);
    exact(b.per_month_usd(3_600.0), 2.24640864);
    cents(b.per_month_usd(3_600.0), 2.25);
    exact(b.per_million_requests_usd(3_600), 0.86667);
    // Twice the window at the same rate: the same month.
    let mut j = i;
    j.measured_s = 7_200.0;
    j.invocations *= 2;
    j.billed_ms *= 2;
    exact(breakdown(&p, &r, &j).per_month_usd(7_200.0), 2.24640864);
}

#[test]
fn provisioned_concurrency_ten_sandboxes_for_a_day() {
    // 10 sandboxes × 1,024 MB configured for 1 day: 10 × 86,400 s × 1 GB = 864,000 GB-s
    // × $0.0000041667 = $3.6000288 → $3.60 (x86_64); arm64 × $0.0000033334 = $2.8800576.
    // 1 req/s all day on them, 100 ms each: 86,400 × 0.1 s × 1 GB = 8,640 GB-s
    // × $0.0000097222 = $0.083999808 → $0.08 (on demand it would be × $0.0000166667 =
    // $0.144000288); requests 86,400 × $0.20/1e6 = $0.01728. Total $3.701308608 → $3.70.
    let (p, r) = platform("");
    let mut i = CostInputs::new(Arch::X86_64, 1_024, Packaging::Zip, DAY_S);
    i.provisioned_configured_s = 10.0 * DAY_S;
    i.invocations = 86_400;
    i.billed_ms = 86_400 * 100;
    i.provisioned_busy_ms = 86_400 * 100;
    let b = breakdown(&p, &r, &i);
    exact(b.provisioned_configured_usd, 3.6000288);
    exact(b.provisioned_duration_usd, 0.083999808);
    assert_eq!(b.on_demand_duration_usd, 0.0);
    exact(b.requests_usd, 0.01728);
    exact(b.total_usd, 3.701308608);
    cents(b.total_usd, 3.70);
    let mut arm = i;
    arm.arch = Arch::Arm64;
    exact(
        breakdown(&p, &r, &arm).provisioned_configured_usd,
        2.8800576,
    );

    // Spillover: 1,360 s of the billed time ran on on-demand sandboxes:
    // 1,360 × 1 GB × $0.0000166667 = $0.022666712.
    let mut spill = i;
    spill.billed_ms += 1_360_000;
    exact(
        breakdown(&p, &r, &spill).on_demand_duration_usd,
        0.022666712,
    );

    // A PC configuration enabled for 61 minutes is billed for 65 (5-minute periods):
    // 10 × 3,900 s × 1 GB × $0.0000041667 = $0.1625013.
    let mut short = CostInputs::new(Arch::X86_64, 1_024, Packaging::Zip, 3_660.0);
    short.provisioned_configured_s = 10.0 * r.pc_billed_span_s(3_660.0);
    exact(
        breakdown(&p, &r, &short).provisioned_configured_usd,
        0.1625013,
    );
}

#[test]
fn snapstart_cache_and_restores() {
    // 2,048 MB function (snapshot billed on allocated memory: 2 GB), active a day, one
    // publish: cache 2 × 86,400 × $0.0000015046 = $0.25999488 → $0.26.
    // 1,000 restores: 1,000 × 2 GB × $0.0001397998 = $0.2795996, plus Billed Restore
    // Duration 1,000 × 136 ms = 136 s × 2 GB = 272 GB-s × $0.0000166667 = $0.0045333424;
    // restore total $0.2841329424 → $0.28.
    let (p, r) = platform("");
    let mut i = CostInputs::new(Arch::X86_64, 2_048, Packaging::Snapstart, DAY_S);
    i.snapshot_mb = 2_048.0;
    i.snapshot_active_s = DAY_S;
    i.snapshot_publishes = 1;
    i.restores = 1_000;
    i.restore_billed_ms = 136_000;
    let b = breakdown(&p, &r, &i);
    exact(b.snapstart_cache_usd, 0.25999488);
    cents(b.snapstart_cache_usd, 0.26);
    exact(b.snapstart_restore_usd, 0.2841329424);
    cents(b.snapstart_restore_usd, 0.28);

    // A 2 GB snapshot cached for a 30-day month: 2 × 2,592,000 × 0.0000015046 = $7.7998464
    // (≈ $7.80 in the pricing analyses cited by facts.md).
    let mut month = i;
    month.snapshot_active_s = SECONDS_PER_MONTH;
    cents(breakdown(&p, &r, &month).snapstart_cache_usd, 7.80);

    // 3-hour minimum: published and active 1 h → billed 10,800 s × 2 GB × 0.0000015046
    // = $0.03249936 → $0.03; with no publish in the window (a slice of a longer life):
    // 3,600 × 2 × 0.0000015046 = $0.01083312 → $0.01.
    let mut hour = i;
    hour.snapshot_active_s = 3_600.0;
    exact(breakdown(&p, &r, &hour).snapstart_cache_usd, 0.03249936);
    hour.snapshot_publishes = 0;
    exact(breakdown(&p, &r, &hour).snapstart_cache_usd, 0.01083312);
}

#[test]
fn billed_init_before_and_after_the_effective_date() {
    // 10,000 cold starts × 2,000 ms init at 512 MB x86_64: 20,000 s × 0.5 GB = 10,000 GB-s
    // × $0.0000166667 = $0.166667 → $0.17. Before 2025-08-01 a ZIP function pays nothing
    // for it; an image always pays; from the day on both pay.
    let before = platform("billing_date = \"2025-07-31\"");
    let on_day = platform("billing_date = \"2025-08-01\"");
    let later_rule = platform("billed_init_from = \"2027-01-01\"");
    for (packaging, (p, r), want) in [
        (Packaging::Zip, before, 0.0),
        (Packaging::ZipLayers, before, 0.0),
        (Packaging::Image, before, 0.166667),
        (Packaging::Zip, on_day, 0.166667),
        (Packaging::ZipLayers, on_day, 0.166667),
        (Packaging::Image, on_day, 0.166667),
        (Packaging::Zip, later_rule, 0.0),
        (Packaging::Image, later_rule, 0.166667),
    ] {
        let mut i = CostInputs::new(Arch::X86_64, 512, packaging, DAY_S);
        i.on_demand_init_ms = 10_000.0 * 2_000.0;
        let b = breakdown(&p, &r, &i);
        exact(b.init_usd, want);
        exact(b.total_usd, want);
    }
}

#[test]
fn pings_are_requests_with_duration_reported_apart() {
    // 100 concurrent pings every 5 minutes for 30 days: 100 × 8,640 = 864,000 pings of
    // 10 ms billed at 512 MB x86_64: requests 0.864 × $0.20 = $0.1728; duration 8,640 s
    // × 0.5 GB = 4,320 GB-s × $0.0000166667 = $0.072000144; pings $0.244800144 → $0.24.
    // They are not user requests: per million user requests divides by the user count.
    let (p, r) = platform("");
    let mut i = CostInputs::new(Arch::X86_64, 512, Packaging::Zip, SECONDS_PER_MONTH);
    i.pings = 864_000;
    i.ping_billed_ms = 864_000 * 10;
    i.invocations = 1_000_000;
    let b = breakdown(&p, &r, &i);
    exact(b.pings_usd, 0.244800144);
    cents(b.pings_usd, 0.24);
    exact(b.requests_usd, 0.20);
    // ($0.20 + $0.244800144) per 1 M user requests.
    exact(b.per_million_requests_usd(1_000_000), 0.444800144);
}

#[test]
fn bad_price_values_are_input_errors_naming_the_key() {
    for (line, key) in [
        (
            "pc_x86_64_gb_s_usd = -0.1",
            "platform.price.pc_x86_64_gb_s_usd",
        ),
        (
            "snapstart_cache_gb_s_usd = nan",
            "platform.price.snapstart_cache_gb_s_usd",
        ),
        (
            "snapstart_restore_gb_usd = inf",
            "platform.price.snapstart_restore_gb_usd",
        ),
        (
            "pc_duration_arm64_gb_s_usd = -1e-9",
            "platform.price.pc_duration_arm64_gb_s_usd",
        ),
        ("x86_64_gb_s_usd = nan", "platform.price.x86_64_gb_s_usd"),
    ] {
        let toml = format!("{VALID}[platform.price]\n{line}\n");
        let (_dir, path) = common::write(&toml);
        let err = load_scenario(&path).expect_err(line).to_string();
        assert!(err.contains(key) && err.contains("scenario.toml"), "{err}");
        common::assert_bad_input(common::run_scenario_file(&path), "scenario.toml", &[key]);
    }
    for (line, mention) in [
        ("billing_date = \"2025-02-29\"", "billing_date"),
        ("billing_date = \"2025-13-01\"", "month"),
        ("billed_init_from = 2025-08-01", "billed_init_from"),
        ("pc_period = 300", "bare number"),
        ("snapstart_min_cache = \"-3h\"", "negative"),
        ("pc_price = 0.1", "pc_price"),
    ] {
        let toml = format!("{VALID}[platform.price]\n{line}\n");
        let (_dir, path) = common::write(&toml);
        common::assert_bad_input(
            common::run_scenario_file(&path),
            "scenario.toml",
            &[mention],
        );
    }
}
