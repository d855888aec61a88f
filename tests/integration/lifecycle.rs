//! Sandbox lifecycle against closed forms and hand-traced runs.

use crate::common;

use coldsim::engine::SimTime;
use coldsim::engine::time::US_PER_S;

/// One function, negligible handler and cold start, Poisson arrivals at `rate`, keep-alive
/// `keep_alive`, no lifetime limit.
fn textbook(rate: f64, keep_alive: &str, hours: u32, replications: u32) -> String {
    format!(
        r#"
[run]
duration = "{hours}h"
seed = 5
replications = {replications}
[platform]
keep_alive = {keep_alive}
max_lifetime = "3650d"
[[function]]
name = "f"
memory_mb = 1769
handler = "0ms"
cold_start = "0ms"
[[traffic]]
function = "f"
kind = "poisson"
rate = {rate}
"#
    )
}

#[test]
fn cold_fraction_matches_exp_minus_rate_times_keepalive() {
    // With zero service time a single sandbox serves everything; an arrival is cold exactly
    // when the gap since the previous one is >= T, which has probability e^(-λT).
    for (rate, t_s) in [(1.0, 1.0), (0.5, 3.0), (2.0, 0.25)] {
        let sc = common::load(&textbook(rate, &format!("\"{}ms\"", t_s * 1000.0), 60, 1));
        let run = common::run_once(&sc.scenario);
        let f = &run.functions[0];
        assert!(f.invocations >= 100_000, "{}", f.invocations);
        let p = (-rate * t_s).exp();
        let observed = f.cold_starts as f64 / f.invocations as f64;
        let se = (p * (1.0 - p) / f.invocations as f64).sqrt();
        assert!(
            (observed - p).abs() < 3.0 * se,
            "rate {rate}, T {t_s}s: cold fraction {observed:.5} vs e^(-λT) = {p:.5} (3 SE = {:.5})",
            3.0 * se
        );
    }
}

#[test]
fn exponential_keepalive_gives_one_over_one_plus_rate_times_mean() {
    // Keep-alive K ~ Exp(mean T), independent of the gap G ~ Exp(λ):
    // P(G >= K) = E[e^(-λK)] = 1 / (1 + λT).
    let sc = common::load(&textbook(
        1.0,
        "{ dist = \"exponential\", mean = \"2s\" }",
        60,
        1,
    ));
    let f = &common::run_once(&sc.scenario).functions[0];
    let p = 1.0 / 3.0;
    let observed = f.cold_starts as f64 / f.invocations as f64;
    let se = (p * (1.0 - p) / f.invocations as f64).sqrt();
    assert!((observed - p).abs() < 3.0 * se, "{observed} vs {p}");
}

const HAND_TRACED: &str = r#"
[run]
duration = "60s"
[platform]
keep_alive = "10s"
max_lifetime = "30s"
replacement_share = 0
[[function]]
name = "f"
memory_mb = 1769
handler = "1s"
cold_start = "2s"
[[traffic]]
function = "f"
kind = "trace"
file = "arrivals.csv"
format = "timestamps"
"#;

#[test]
fn hand_traced_lifecycle_gives_exact_counts() {
    // Arrivals (s): 0 1 5 20 21 30 40 45 50.5 55; handler 1 s, cold start 2 s,
    // keep-alive 10 s, lifetime 30 s.
    //  0   cold A (born 0, retires 30), done 3, idle to 13
    //  1   cold B (A busy; born 1, retires 31), done 4, idle to 14
    //  5   warm B (newest idle), done 6, idle to 16
    //  20  A and B expired (keep-alive) → cold C (retires 50), done 23, idle to 33
    //  21  cold D (C busy; retires 51), done 24, idle to 34
    //  30  warm D (newest), done 31, idle to 41
    //  40  warm D, done 41, idle to min(51, 51): ends by lifetime
    //  45  warm D, done 46, idle to 51 (lifetime)
    //  50.5 warm D, done 51.5 ≥ 51: retired at completion
    //  55  C expired at 33 (keep-alive) → cold E (retires 85), done 58, idle to 68: alive
    let (dir, path) = common::write(HAND_TRACED);
    std::fs::write(
        dir.path().join("arrivals.csv"),
        "timestamp\n0\n1\n5\n20\n21\n30\n40\n45\n50.5\n55\n",
    )
    .unwrap();
    let sc = coldsim::config::load_scenario(&path).unwrap();
    let (run, recs) = common::run_collect(&sc);
    let f = &run.functions[0];
    assert_eq!(f.arrivals, 10);
    assert_eq!(f.invocations, 10);
    assert_eq!(f.cold_starts, 5);
    assert_eq!(f.warm_starts, 5);
    assert_eq!(f.sandboxes_created, 5);
    assert_eq!(f.reclaimed_keep_alive, 3, "A, B and C");
    assert_eq!(f.retired_lifetime, 1, "D");
    assert_eq!(f.alive_at_end, 1, "E");
    let cold: Vec<bool> = recs.iter().map(|r| r.request.cold).collect();
    assert_eq!(
        cold,
        [
            true, true, false, true, true, false, false, false, false, true
        ]
    );
    // Latency: 3 s cold (2 + 1), 1 s warm.
    for r in &recs {
        let want = if r.request.cold { 3 } else { 1 } * US_PER_S;
        assert_eq!((r.end - r.request.arrival).as_us(), want);
    }
    // The warm start at 5 s went to B (the newest idle sandbox), not A.
    assert_eq!(recs[2].sandbox, recs[1].sandbox);
    assert_ne!(recs[2].sandbox, recs[0].sandbox);
}

const LIMITS: &str = r#"
[run]
duration = "10s"
[platform]
# The FIFO queue of immediate async delivery is under test (not the event queue).
async_delivery = "immediate"
keep_alive = "10m"
max_lifetime = "1d"
[[function]]
name = "f"
memory_mb = 1769
handler = "1s"
cold_start = "0ms"
reserved_concurrency = 1
[[traffic]]
function = "f"
kind = "trace"
file = "sync.csv"
format = "timestamps"
[[function]]
name = "g"
memory_mb = 1769
handler = "1s"
cold_start = "0ms"
reserved_concurrency = 1
[[traffic]]
function = "g"
kind = "trace"
file = "async.csv"
format = "timestamps"
invocation = "async"
"#;

#[test]
fn over_the_concurrency_limit_sync_is_throttled_and_async_waits_its_turn() {
    let (dir, path) = common::write(LIMITS);
    std::fs::write(dir.path().join("sync.csv"), "timestamp\n0\n0.5\n1.5\n").unwrap();
    std::fs::write(dir.path().join("async.csv"), "timestamp\n0\n0.5\n0.7\n").unwrap();
    let sc = coldsim::config::load_scenario(&path).unwrap();
    let (run, recs) = common::run_collect(&sc);
    // f (sync, limit 1): 0 starts; 0.5 is throttled (busy until 1); 1.5 reuses the sandbox.
    let f = &run.functions[0];
    assert_eq!((f.arrivals, f.invocations, f.throttles), (3, 2, 1));
    assert_eq!((f.cold_starts, f.warm_starts), (1, 1));
    // g (async, limit 1): 0 runs to 1; 0.5 waits to 1 and runs to 2; 0.7 waits to 2.
    let g = &run.functions[1];
    assert_eq!(
        (g.arrivals, g.invocations, g.throttles, g.queued),
        (3, 3, 0, 2)
    );
    let g_recs: Vec<_> = recs.iter().filter(|r| r.function == 1).collect();
    let starts: Vec<u64> = g_recs
        .iter()
        .map(|r| r.request.start.as_us() / 100_000)
        .collect();
    assert_eq!(starts, [0, 10, 20], "starts in tenths of a second");
    let latencies_ms: Vec<u64> = g_recs
        .iter()
        .map(|r| (r.end - r.request.arrival).as_us() / 1000)
        .collect();
    assert_eq!(latencies_ms, [1000, 1500, 2300]);
    assert_eq!(g.queue_wait_sum_us, 500_000 + 1_300_000);
}

#[test]
fn account_concurrency_caps_unreserved_functions_together() {
    let s = common::summary(
        r#"
[run]
duration = "10m"
[platform]
account_concurrency = 10
[[function]]
name = "a"
memory_mb = 1769
handler = "2s"
cold_start = "100ms"
[[function]]
name = "b"
memory_mb = 1769
handler = "2s"
cold_start = "100ms"
[[traffic]]
function = "a"
kind = "poisson"
rate = 10
[[traffic]]
function = "b"
kind = "poisson"
rate = 10
"#,
    );
    let peak = s.get("total", "sandboxes.peak_in_flight").unwrap();
    assert_eq!(
        peak, 10.0,
        "never more than the account limit, and it is reached"
    );
    let arrivals = s.get("total", "arrivals").unwrap();
    let served = s.get("total", "invocations").unwrap() + s.get("total", "throttles").unwrap();
    assert_eq!(arrivals, served, "no request lost");
    assert!(s.get("total", "throttles").unwrap() > 0.0);
}

#[test]
fn mean_busy_sandboxes_obey_littles_law() {
    // L = λW. L is measured two ways that share no code: the in-flight count the
    // concurrency limits use, as seen by each Poisson arrival (PASTA: Poisson arrivals see
    // time averages), and the time integral of busy sandboxes. W is the mean time a request
    // holds a sandbox (cold latency + handler), also known in closed form.
    let sc = common::load(
        r#"
[run]
duration = "4h"
seed = 9
warmup = "5m"
[platform]
keep_alive = "30s"
[[function]]
name = "f"
memory_mb = 1769
handler = { dist = "lognormal", median = "100ms", p99 = "1s" }
cold_start = { dist = "uniform", min = "200ms", max = "600ms" }
[[traffic]]
function = "f"
kind = "poisson"
rate = 40
"#,
    );
    let run = common::run_once(&sc.scenario);
    let f = &run.functions[0];
    let span_s = run.measured.as_secs_f64();
    let time_average = f.busy_area_us as f64 / 1e6 / span_s;
    let seen_by_arrivals = f.in_flight_seen_by_arrivals as f64 / f.arrivals as f64;
    // ~550,000 arrivals; the PASTA estimate's standard error is well under 0.5%.
    assert!(
        (seen_by_arrivals / time_average - 1.0).abs() < 0.02,
        "seen by arrivals {seen_by_arrivals:.4} vs time average {time_average:.4}"
    );
    let median_ms: f64 = 100.0;
    let sigma = (10.0f64).ln() / 2.326_347_874;
    let e_handler_s = median_ms * (0.5 * sigma * sigma).exp() / 1000.0;
    let p_cold = f.cold_starts as f64 / f.invocations as f64;
    let little = 40.0 * (e_handler_s + p_cold * 0.4);
    eprintln!("L seen {seen_by_arrivals:.4}, time average {time_average:.4}, λW {little:.4}");
    assert!(
        (seen_by_arrivals / little - 1.0).abs() < 0.03,
        "L = {seen_by_arrivals:.4} vs λW = {little:.4}"
    );
    assert!(
        (time_average / little - 1.0).abs() < 0.03,
        "time average {time_average:.4} vs λW = {little:.4}"
    );
}

#[test]
fn arrivals_before_the_warmup_are_simulated_but_not_counted() {
    let sc = common::load(
        r#"
[run]
duration = "10s"
warmup = "4s"
[[function]]
name = "f"
memory_mb = 1769
handler = "10ms"
cold_start = "1s"
[[traffic]]
function = "f"
kind = "bursty"
burst_size = 3
burst_length = "1ms"
burst_every = "2s"
"#,
    );
    // Bursts of 3 at 0, 2, 4, 6, 8 s: the first creates 3 sandboxes (not counted), later
    // ones reuse them warm. Counted: bursts at 4, 6, 8 → 9 invocations, all warm.
    let (run, recs) = common::run_collect(&sc.scenario);
    let f = &run.functions[0];
    assert_eq!((f.arrivals, f.invocations, f.cold_starts), (9, 9, 0));
    assert_eq!(f.sandboxes_created, 3);
    assert!(
        recs.iter()
            .all(|r| r.request.arrival >= SimTime(4 * US_PER_S))
    );
}
