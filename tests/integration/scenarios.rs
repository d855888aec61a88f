//! Every shipped scenario runs, and the conclusion its comment states holds.

use crate::common;

use std::path::Path;

use coldsim::config::load_scenario;
use coldsim::engine::time::US_PER_MIN;
use coldsim::runner::run_scenario;

fn summary(name: &str) -> coldsim::stats::figures::Summary {
    let sc = load_scenario(Path::new(&format!("scenarios/{name}.toml"))).unwrap();
    run_scenario(&sc, None, None).unwrap()
}

#[test]
fn bursty_cold_starts_come_from_the_bursts() {
    let sc = load_scenario(Path::new("scenarios/bursty.toml")).unwrap();
    let (run, recs) = common::run_collect(&sc);
    let f = &run.functions[0];
    // Bursts start at 15 min and every 30 min after, and last 2 min.
    let in_burst = |us: u64| {
        us >= 15 * US_PER_MIN && (us - 15 * US_PER_MIN) % (30 * US_PER_MIN) < 2 * US_PER_MIN
    };
    let cold_in_bursts = recs
        .iter()
        .filter(|r| r.request.cold && in_burst(r.request.arrival.as_us()))
        .count() as u64;
    assert!(f.cold_starts > 100);
    assert!(
        cold_in_bursts as f64 >= 0.9 * f.cold_starts as f64,
        "{cold_in_bursts} of {} cold starts in bursts",
        f.cold_starts
    );
}

#[test]
fn steady_traffic_has_a_cold_fraction_far_below_one_percent() {
    let s = summary("steady");
    let f = s.get("api", "cold_fraction").unwrap();
    assert!(f < 0.001, "{f}");
    // Retirements at max lifetime (~2 h) happen in 4 h; the platform replaces each
    // sandbox still alive 2 min before its retirement with probability 0.65 (the default
    // replacement_share), so replacement inits are about 0.65 of the retirements: ~44 of
    // them over 4 replications, binomial SE ≈ 0.072; tolerance 3 SEs.
    let retired = s.get("api", "sandboxes.retired_lifetime").unwrap();
    let replaced = s.get("api", "replacement_inits").unwrap();
    assert!(retired > 0.0);
    assert!(
        (replaced / retired - 0.65).abs() < 0.22,
        "{replaced} of {retired}"
    );
}

#[test]
fn sparse_traffic_is_mostly_cold_as_exp_minus_rate_times_keepalive_says() {
    let s = summary("sparse");
    let f = s.get("nightly-report", "cold_fraction").unwrap();
    let expected = (-600.0f64 / 1200.0).exp();
    // ~2,000 arrivals over 4 replications: standard error ≈ 0.011.
    assert!((f - expected).abs() < 0.04, "{f} vs {expected}");
}

#[test]
fn trace_replay_delivers_every_traced_request() {
    let s = summary("trace");
    assert_eq!(s.get("api", "arrivals"), Some(605.0));
    assert_eq!(s.get("azure-http", "arrivals"), Some(5856.0));
    assert_eq!(s.get("total", "throttles"), Some(0.0));
}

#[test]
fn json_output_has_every_contract_key() {
    let v = coldsim::report::json::to_value(&summary("bursty"));
    for k in ["scenario", "replications", "functions", "total"] {
        assert!(v.get(k).is_some(), "{k}");
    }
    let t = &v["total"];
    for k in [
        "invocations",
        "cold_starts",
        "inits",
        "throttles",
        "cold_fraction",
        "init_duration_ms",
        "cold_latency_ms",
        "latency_ms",
        "phases_ms",
        "cache",
        "cost_usd",
    ] {
        assert!(t.get(k).is_some(), "total.{k}");
    }
    for k in ["mean", "p50", "p90", "p95", "p99", "p999", "max"] {
        assert!(t["latency_ms"].get(k).is_some(), "latency_ms.{k}");
        assert!(
            t["ci95"]["latency_ms"].get(k).is_some(),
            "ci95.latency_ms.{k}"
        );
    }
    assert!(v["functions"]["api"]["cold_starts"].as_f64().unwrap() > 0.0);
}

#[test]
fn diurnal_cold_starts_concentrate_in_the_quiet_hours() {
    let sc = load_scenario(Path::new("scenarios/diurnal.toml")).unwrap();
    let (_, recs) = common::run_collect(&sc);
    let hour = |us: u64| (us / (60 * US_PER_MIN)) % 24;
    let quiet = |us: u64| !(8..20).contains(&hour(us));
    let share = |cold_only: bool| {
        let sel: Vec<_> = recs
            .iter()
            .filter(|r| !cold_only || r.request.cold)
            .collect();
        sel.iter()
            .filter(|r| quiet(r.request.arrival.as_us()))
            .count() as f64
            / sel.len() as f64
    };
    let (cold_quiet, all_quiet) = (share(true), share(false));
    assert!(
        cold_quiet > 2.0 * all_quiet,
        "quiet hours hold {:.0}% of cold starts but {:.0}% of requests",
        cold_quiet * 100.0,
        all_quiet * 100.0
    );
}
