//! Platform mitigations (issue 6): provisioned concurrency, warm-up pings and proactive
//! initialisation, each against an independently derived expectation.

use crate::common;

use coldsim::outcome::FunctionStats;

/// One function at 1,769 MB (handler times as written), a fixed 300 ms cold start, Poisson
/// traffic; `extra` goes into `[[function]]`, `platform` into `[platform]`.
fn poisson(rate: f64, duration: &str, handler: &str, platform: &str, extra: &str) -> String {
    format!(
        r#"
[run]
duration = "{duration}"
seed = 11
[platform]
{platform}
[[function]]
name = "api"
memory_mb = 1769
handler = "{handler}"
cold_start = "300ms"
{extra}
[[traffic]]
function = "api"
kind = "poisson"
rate = {rate}
"#
    )
}

/// One burst of `size` requests arriving together at `at`, handler 1 s.
fn burst(size: u32, at: &str, extra: &str) -> String {
    format!(
        r#"
[run]
duration = "1h"
seed = 4
[platform]
max_lifetime = "3650d"
[[function]]
name = "api"
memory_mb = 1769
handler = "1s"
cold_start = "300ms"
{extra}
[[traffic]]
function = "api"
kind = "bursty"
burst_size = {size}
burst_rate = 0
burst_length = "1s"
burst_every = "10h"
first_burst = "{at}"
"#
    )
}

fn stats(toml: &str) -> FunctionStats {
    let t = common::load(toml);
    common::run_once(&t.scenario).functions[0].clone()
}

/// Every init is accounted for once: user and ping cold starts, provisioned and proactive.
fn assert_inits_add_up(s: &FunctionStats) {
    assert_eq!(
        s.inits,
        s.cold_starts
            + s.ping_cold_starts
            + s.provisioned_inits
            + s.proactive_inits
            + s.replacement_inits
    );
    assert_eq!(s.cold_starts + s.warm_starts, s.invocations);
    assert_eq!(s.latency.count(), s.invocations);
}

/// Rate 2/s, handler 100 ms: requests in flight are Poisson with mean λs = 0.2 (M/G/∞). An
/// arrival finds all N = 5 busy with probability P(N >= 5) = 1 - Σ_{k<5} e^-0.2 0.2^k/k!
/// ≈ 2.3e-6, so over 14,400 arrivals the expected number of spillover cold starts is 0.03.
/// Tolerance: exact zero (P(any) ≈ 3%; this seed has none), inits exactly N.
#[test]
fn provisioned_concurrency_above_the_load_removes_every_cold_start() {
    let p5: f64 = 1.0
        - (0..5)
            .map(|k| (-0.2f64).exp() * 0.2f64.powi(k) / (1..=k).product::<i32>().max(1) as f64)
            .sum::<f64>();
    assert!(p5 * 14_400.0 < 0.05, "{p5}");
    let s = stats(&poisson(
        2.0,
        "2h",
        "100ms",
        "max_lifetime = \"3650d\"",
        "provisioned_concurrency = 5",
    ));
    assert!(s.invocations > 14_000, "{}", s.invocations);
    assert_eq!(s.cold_starts, 0);
    assert_eq!(s.spillover_cold_starts, 0);
    assert_eq!(s.provisioned_inits, 5);
    assert_eq!(s.inits, 5);
    assert_eq!(s.sandboxes_created, 5);
    // Configured: 5 sandboxes × 7,200 s; used: every request's 100 ms ran on them.
    assert_eq!(s.provisioned_configured_us, 5 * 7_200 * 1_000_000);
    assert_eq!(s.provisioned_busy_us, s.busy_area_us as u64);
    // Every billed millisecond (the billed durations' exact sum) was on them.
    assert_eq!(
        u128::from(s.provisioned_billed_ms),
        s.billed_duration.sum_us() / 1_000
    );
    assert_eq!(s.provisioned_billed_ms, s.billed_handler_ms);
    assert_inits_add_up(&s);
}

/// 50 requests at once against N = 10 idle provisioned sandboxes: 10 are served warm, the
/// other 40 spill over to on-demand cold starts. Tolerance: exact.
#[test]
fn a_burst_above_provisioned_concurrency_spills_over_by_exactly_the_excess() {
    let s = stats(&burst(50, "10m", "provisioned_concurrency = 10"));
    assert_eq!(s.invocations, 50);
    assert_eq!(s.cold_starts, 40);
    assert_eq!(s.spillover_cold_starts, 40);
    assert_eq!(s.warm_starts, 10);
    assert_eq!(s.inits, 50);
    assert_inits_add_up(&s);
    // The timeline sees the 50 live sandboxes in the burst's bucket (10 before it).
    let tl = &s.timeline;
    let b = (600_000_000 / tl.bucket_us) as usize;
    assert_eq!(tl.peak_live[b], 50);
    assert_eq!(tl.peak_live[b - 1], 10);
    assert_eq!(tl.cold_starts[b], 40);
    assert_eq!(tl.cold_starts.iter().sum::<u64>(), 40);
    assert_eq!(tl.inits.iter().sum::<u64>(), 50);
}

/// A workload whose whole init is CPU work: runtime 100 ms + user init 50 ms at one vCPU.
/// On demand (2-vCPU boost, one thread at min(1, 2) = 1 vCPU) Init Duration is 150 ms; a
/// provisioned init at 1,024 MB gets 1,024/1,769 vCPU, so 150 × 1,769/1,024 = 259.131 ms.
/// Tolerance: 3 µs (each part is rounded to whole µs).
#[test]
fn provisioned_inits_run_without_the_cpu_boost() {
    let dir = tempfile::tempdir().unwrap();
    let workload = dir.path().join("cpu.toml");
    std::fs::write(
        &workload,
        r#"
name = "cpu only"
runtime = "python3.12"
[init]
user = "50ms"
[init.runtime]
x86_64 = "100ms"
arm64 = "100ms"
[package.zip]
zip_mb = 0.001
unzipped_mb = 0.001
"#,
    )
    .unwrap();
    let toml = burst(20, "10m", "provisioned_concurrency = 5")
        .replace("memory_mb = 1769", "memory_mb = 1024")
        .replace(
            "cold_start = \"300ms\"",
            &format!("workload = \"{}\"", workload.display()),
        );
    let s = stats(&toml);
    assert_eq!(s.provisioned_inits, 5);
    assert_eq!(s.cold_starts, 15);
    let on_demand_us = s.init_duration.mean_us();
    assert!((on_demand_us - 150_000.0).abs() <= 1.0, "{on_demand_us}");
    let expected = 150_000.0 * 1_769.0 / 1_024.0;
    let pc = s.provisioned_init_duration.mean_us();
    assert!((pc - expected).abs() <= 3.0, "{pc} vs {expected}");
    assert_eq!(s.provisioned_init_duration.max_us(), pc as u64);
}

/// Schedule 4 from 02:00, 1 from 05:00 over 8 h: 1 at midnight (the last entry's count),
/// so the configured time is 2 h × 1 + 3 h × 4 + 3 h × 1 = 17 sandbox-hours exactly; 1 + 3
/// provisioned inits, 3 released at 05:00. Tolerance: exact.
#[test]
fn a_schedule_provisions_and_bills_its_counts_exactly() {
    let s = stats(&poisson(
        0.001,
        "8h",
        "100ms",
        "max_lifetime = \"3650d\"",
        r#"provisioned_concurrency = [{ at = "05:00", count = 1 }, { at = "02:00", count = 4 }]"#,
    ));
    assert_eq!(s.provisioned_configured_us, 17 * 3_600 * 1_000_000);
    assert_eq!(s.provisioned_inits, 4);
    assert_eq!(s.provisioned_released, 3);
    let tl = &s.timeline;
    let at = |h: u64| (h * 3_600_000_000 / tl.bucket_us) as usize;
    // Live provisioned sandboxes follow the count (with sparse traffic no on-demand ones
    // exist unless a request meets the single sandbox busy).
    assert_eq!(tl.peak_live[at(1)], 1);
    assert_eq!(tl.peak_live[at(3)], 4);
    assert_eq!(tl.peak_live[at(6) + 1], 1);
    assert_eq!(s.cold_starts, 0);
}

/// Lifetime 1 h over 3 h: each provisioned sandbox is replaced 2 min before its lifetime
/// ends (at 58, 116 and 174 min), the replacement ready 300 ms later, so capacity never
/// dips and steady low traffic never spills over. Inits: 5 + 5 × 3. Tolerance: exact.
#[test]
fn recycling_initialises_the_replacement_first() {
    let s = stats(&poisson(
        2.0,
        "3h",
        "100ms",
        "max_lifetime = \"1h\"",
        "provisioned_concurrency = 5",
    ));
    assert_eq!(s.provisioned_recycled, 15);
    assert_eq!(s.provisioned_inits, 20);
    assert_eq!(s.cold_starts, 0);
    assert_eq!(s.spillover_cold_starts, 0);
    assert_eq!(s.retired_lifetime, 15);
    assert_eq!(s.alive_at_end, 5);
    assert_eq!(s.provisioned_configured_us, 5 * 3 * 3_600 * 1_000_000);
}

/// Sparse traffic (1 request per 15 min, keep-alive 10 min): without pings a request is
/// cold when the gap since the last one exceeds 10 min, P = e^(-600/900) = 0.513. A ping
/// every 5 min keeps one sandbox alive, so the only user cold start left is a first request
/// before the first ping (P = 1 - e^(-300/900) = 0.28) plus a request meeting the sandbox busy
/// with a 5 ms ping (≈ 200 requests × 5 ms / 300 s = 0.003). Tolerance: at most 1 with
/// pings; without, within 3 binomial SEs of 0.513 over 8 replications.
#[test]
fn pings_keep_sparse_traffic_warm() {
    let base = poisson(1.0 / 900.0, "48h", "100ms", "max_lifetime = \"3650d\"", "")
        .replace("seed = 11", "seed = 11\nreplications = 8");
    let with = base.replace(
        "cold_start = \"300ms\"",
        "cold_start = \"300ms\"\nwarmup_pings = { every = \"5m\", concurrency = 1, duration = \"5ms\" }",
    );
    let t = common::load(&base);
    let (mut cold, mut n) = (0u64, 0u64);
    for r in 0..8 {
        let run = coldsim::sim::run(&t.scenario, r, None, None).unwrap();
        cold += run.functions[0].cold_starts;
        n += run.functions[0].invocations;
    }
    let p = (-600.0f64 / 900.0).exp();
    let observed = cold as f64 / n as f64;
    let se = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (observed - p).abs() < 3.0 * se,
        "{observed} vs {p} ± {}",
        3.0 * se
    );
    let tw = common::load(&with);
    for r in 0..8 {
        let run = coldsim::sim::run(&tw.scenario, r, None, None).unwrap();
        let s = &run.functions[0];
        assert!(s.cold_starts <= 1, "replication {r}: {}", s.cold_starts);
        // Pings at 5, 10, ... min before 48 h: 575 of them.
        assert_eq!(s.pings, 575);
        assert_eq!(s.ping_billed_ms, 575 * 5 + ping_init_ms(s));
        assert_inits_add_up(s);
    }
}

/// Billed init time of a run's ping cold starts (300 ms each, billed with the ping).
fn ping_init_ms(s: &FunctionStats) -> u64 {
    s.ping_cold_starts * 300
}

/// A burst of 100 concurrent requests: one ping every 5 min keeps one sandbox warm, so it
/// removes at most one of the 100 cold starts. Same seed with and without. Tolerance: exact.
#[test]
fn pings_do_not_help_a_burst() {
    let pings = "warmup_pings = { every = \"5m\", concurrency = 1, duration = \"5ms\" }";
    let without = stats(&burst(100, "31m", ""));
    let with = stats(&burst(100, "31m", pings));
    assert_eq!(without.cold_starts, 100);
    assert_eq!(without.cold_starts - with.cold_starts, 1);
    assert_eq!(with.invocations, 100);
    assert_eq!(with.pings, 11);
}

/// Requests at t = 0.5, 1.5, ..., 9.5 s, each running 100 s (all overlap), cold start
/// 300 ms, proactive share 1: every request-path cold start is accompanied by one extra
/// sandbox, ready 300 ms later, which the next request (1 s later) finds idle. Hand-traced:
/// requests 1, 3, 5, 7, 9 cold-start (5), requests 2, 4, 6, 8, 10 are warm on the extra
/// sandboxes (5 proactive inits); 10 sandboxes, 10 inits. With share 0 all 10 cold-start.
/// Tolerance: exact.
#[test]
fn a_proactive_init_beside_each_cold_start_serves_the_next_request_warm() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.csv");
    common::timestamps_trace(&trace, 1, 10);
    let scenario = |share: f64| {
        format!(
            r#"
[run]
duration = "1h"
seed = 2
[platform]
max_lifetime = "3650d"
proactive_init_share = {share}
[[function]]
name = "api"
memory_mb = 1769
handler = "100s"
cold_start = "300ms"
[[traffic]]
function = "api"
kind = "trace"
format = "timestamps"
file = "{}"
"#,
            trace.display()
        )
    };
    let s = stats(&scenario(1.0));
    assert_eq!(s.invocations, 10);
    assert_eq!(s.cold_starts, 5);
    assert_eq!(s.warm_starts, 5);
    assert_eq!(s.proactive_inits, 5);
    assert_eq!(s.sandboxes_created, 10);
    // Proactive inits are off the request path: only the user cold starts show in latency.
    assert_eq!(s.cold_latency.count(), 5);
    assert_inits_add_up(&s);
    let off = stats(&scenario(0.0));
    assert_eq!((off.cold_starts, off.proactive_inits), (10, 0));
}

/// Keep-alive 0: a sandbox is reclaimed as soon as it is free, so a proactive sandbox is
/// reclaimed the moment its init ends and no request can ever find one: every request
/// cold-starts, and a share s of them is accompanied by a (wasted) proactive init. Rate 2/s,
/// n ≈ 7,200 cold starts. Tolerance: cold starts exact (= invocations), proactive share 3
/// binomial SEs (SE = √(s(1-s)/n)).
#[test]
fn proactive_sandboxes_no_request_finds_are_reclaimed_and_still_counted() {
    let s = stats(&poisson(
        2.0,
        "1h",
        "10ms",
        "keep_alive = \"0ms\"\nproactive_init_share = 0.6",
        "",
    ));
    assert_eq!(s.cold_starts, s.invocations);
    let share = s.proactive_inits as f64 / s.cold_starts as f64;
    let se = (0.6 * 0.4 / s.cold_starts as f64).sqrt();
    assert!((share - 0.6).abs() < 3.0 * se, "{share} ± {}", 3.0 * se);
    assert_eq!(s.cold_latency.count(), s.cold_starts);
    assert_eq!(s.reclaimed_keep_alive, s.sandboxes_created - s.alive_at_end);
    assert_inits_add_up(&s);
}

/// Pings are not user requests: the same arrivals (same seed) give exactly the same user
/// invocation count, every latency record is a user request, the per-invocation stream sees
/// only user requests, and with pings JSON figures report them apart. Tolerance: exact.
#[test]
fn pings_are_excluded_from_user_counts_and_percentiles() {
    let base = poisson(0.05, "2h", "100ms", "", "");
    let with = base.replace(
        "cold_start = \"300ms\"",
        "cold_start = \"300ms\"\nwarmup_pings = { every = \"1m\", concurrency = 3, duration = \"5ms\" }",
    );
    let a = stats(&base);
    let t = common::load(&with);
    let (run, recs) = common::run_collect(&t.scenario);
    let b = &run.functions[0];
    assert_eq!(a.invocations, b.invocations);
    assert_eq!(a.arrivals, b.arrivals);
    assert_eq!(recs.len() as u64, b.invocations);
    assert_eq!(b.pings, 119 * 3);
    assert_inits_add_up(b);
    let summary = coldsim::runner::run_scenario(&t.scenario, None, None).unwrap();
    assert_eq!(summary.get("api", "pings"), Some(357.0));
    assert_eq!(
        summary.get("api", "invocations"),
        Some(b.invocations as f64)
    );
    // Without a mitigation the figures have no mitigation keys (outputs do not change).
    let plain = common::summary(&base);
    assert_eq!(plain.get("api", "pings"), None);
}

/// Bad mitigation keys are input errors naming the file and the key (exit code 2).
#[test]
fn bad_mitigation_keys_are_errors_naming_the_key() {
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "cold_start = \"300ms\"",
            "cold_start = \"300ms\"\nwarmup_pings = { every = \"5m\", often = 2 }",
            &["often"],
        ),
        (
            "cold_start = \"300ms\"",
            "cold_start = \"300ms\"\nwarmup_pings = { every = \"0s\" }",
            &["warmup_pings.every"],
        ),
        (
            "cold_start = \"300ms\"",
            "cold_start = \"300ms\"\nprovisioned_concurrency = [{ at = \"25:00\", count = 2 }]",
            &["provisioned_concurrency[0].at"],
        ),
        (
            "cold_start = \"300ms\"",
            "cold_start = \"300ms\"\nprovisioned_concurrency = 5\nreserved_concurrency = 2",
            &["provisioned_concurrency"],
        ),
        (
            "[platform]",
            "[platform]\nproactive_init_share = 1.5",
            &["proactive_init_share"],
        ),
    ];
    for (from, to, mention) in cases {
        let toml = poisson(1.0, "1h", "100ms", "", "").replace(from, to);
        let (_dir, path) = common::write(&toml);
        common::assert_bad_input(common::run_scenario_file(&path), "scenario.toml", mention);
    }
}
