//! The design-review scenarios of `scenarios/` reach the conclusions stated in their
//! comments: provisioned-vs-pings, snapstart, arm64 (`coldsim compare`) and memory-sweep
//! (`coldsim sweep`). Each check derives its expectation from the scenario's parameters.

use std::path::{Path, PathBuf};

use coldsim::whatif::sweep::{Choice, parse_axis, sweep};
use coldsim::whatif::{Comparison, RunOptions, compare, objective};

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn run(name: &str) -> Comparison {
    compare(&scenario(name), &RunOptions::default()).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Figure `key` of variant `variant` (mean over replications, all functions).
fn get(c: &Comparison, variant: &str, key: &str) -> f64 {
    let v = c.variants.iter().find(|v| v.name == variant).unwrap();
    v.run
        .summary
        .get("total", key)
        .unwrap_or_else(|| panic!("{variant}: no {key}"))
}

#[test]
fn provisioned_vs_pings_pings_do_not_help_bursts_and_provisioned_concurrency_costs() {
    let c = run("provisioned-vs-pings.toml");
    // 8 bursts (1 h, 4 h, ..., 22 h) of 30 requests at once, 3 h apart: every burst
    // request cold-starts without a mitigation (the keep-alive is shorter than 3 h).
    let bursts = 8.0;
    let base = get(&c, "base", "cold_starts");
    let pings = get(&c, "pings", "cold_starts");
    let pc5 = get(&c, "pc5", "cold_starts");
    let pc30 = get(&c, "pc30", "cold_starts");
    // Background: 0.001/s for 24 h = 86.4 requests, cold with probability
    // exp(-0.001 * 600 s keep-alive) = 0.55: ~47 cold starts the pings remove.
    assert!(base >= bursts * 30.0, "base {base}");
    // Pings keep one sandbox warm: a burst still cold-starts 29 of 30 (at most one fewer
    // per burst), and the background is (nearly) all warm.
    assert!(pings >= bursts * 29.0, "pings {pings}");
    assert!(pings <= bursts * 29.0 + 5.0, "pings {pings}");
    assert!(
        base - pings > 30.0,
        "background cold starts removed: {}",
        base - pings
    );
    // 5 provisioned sandboxes absorb 5 per burst and the background: 25 per burst spill.
    assert!((pc5 - bursts * 25.0).abs() <= 2.0, "pc5 {pc5}");
    assert!(
        (get(&c, "pc5", "spillover_cold_starts") - pc5).abs() < 1e-9,
        "every pc5 cold start is spillover"
    );
    assert_eq!(pc30, 0.0);
    // Cost: 30 sandboxes x 1 GB x 86,400 s x $0.0000041667 = $10.80 configured a day,
    // against pings that cost less than the cold starts they save.
    let cost_pc30 = get(&c, "pc30", "cost_usd");
    assert!((get(&c, "pc30", "cost.provisioned_usd") - 10.80).abs() < 0.01);
    assert!(cost_pc30 > 100.0 * get(&c, "pings", "cost_usd"));
    // Pings at t = 5 min, 10 min, ... strictly before 24 h (the first at `every`, none at
    // the end): 1,440 / 5 - 1 = 287 instants x concurrency 1, in every replication (no
    // warm-up, far below the concurrency limits, so none is dropped).
    assert_eq!(get(&c, "pings", "pings"), 287.0);
}

#[test]
fn snapstart_restores_in_a_fraction_of_the_zip_cold_start_but_slowly_after_a_publish() {
    let c = run("snapstart.toml");
    let zip = get(&c, "base", "cold_latency_ms.p50");
    let snap = get(&c, "snapstart", "cold_latency_ms.p50");
    // ZIP: download + unpack (~1 s) + ~1 s of init; SnapStart: 128 cached chunks +
    // runtime restore + hooks, a few hundred ms.
    assert!(snap < 0.25 * zip, "snapstart p50 {snap} vs zip {zip}");
    // After each publish (t = 0 and 12 h) the snapshot's 128 chunks come from S3 one after
    // another (~41 ms each): the slowest restores take seconds.
    let restore_max = get(&c, "snapstart", "restore_duration_ms.max");
    assert!(restore_max > 128.0 * 20.0, "max restore {restore_max}");
    assert!(get(&c, "snapstart", "snapshot_publishes") >= 2.0);
    // Cost: cache 1 GB x 86,400 s x $0.0000015046 = $0.13 a day, plus restores.
    let snapstart_usd = get(&c, "snapstart", "cost.snapstart_usd");
    let restores = get(&c, "snapstart", "restores");
    let want = 86_400.0 * 0.0000015046 + restores * 0.0001397998;
    assert!(
        (snapstart_usd - want).abs() < 0.005,
        "{snapstart_usd} vs {want}"
    );
}

#[test]
fn arm64_costs_20_percent_less_per_gb_second_and_starts_python_faster() {
    let c = run("arm64.toml");
    // The same handler time on both (common random numbers, no per-arch handler speed):
    // the duration charge scales exactly with the price ratio 0.0000133334/0.0000166667.
    let ratio = get(&c, "arm64", "cost.duration_usd") / get(&c, "base", "cost.duration_usd");
    assert!(
        (ratio - 0.0000133334 / 0.0000166667).abs() < 0.002,
        "{ratio}"
    );
    assert_eq!(
        get(&c, "arm64", "cost.requests_usd"),
        get(&c, "base", "cost.requests_usd")
    );
    // Runtime init p50: 80.6 ms on arm64 vs 89.2 ms (python312 lambda-perf): ~9 ms less.
    let d = get(&c, "base", "init_duration_ms.p50") - get(&c, "arm64", "init_duration_ms.p50");
    assert!(d > 0.0 && d < 25.0, "init p50 difference {d}");
}

#[test]
fn memory_sweep_picks_1769_mb_the_cheapest_size_meeting_the_p99() {
    let axes = vec![parse_axis("function.api.memory_mb=512,1024,1769,3008").unwrap()];
    let objective = objective::parse("min cost where latency.p99 < 800ms").unwrap();
    let s = sweep(
        &scenario("memory-sweep.toml"),
        axes,
        Some(objective),
        &RunOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    let Some(Choice::Best {
        point, feasible, ..
    }) = &s.choice
    else {
        panic!("no feasible point");
    };
    assert_eq!(s.points[*point].name, "memory_mb=1769");
    assert_eq!(*feasible, 2);
    let p50 = |i: usize| {
        s.points[i]
            .run
            .summary
            .get("total", "latency_ms.p50")
            .unwrap()
    };
    // Handler: 10% + 90% / speed of 400 ms, speed = min(1, memory / 1,769): 512 MB ->
    // 40 + 360 x 1769/512 = 1,284 ms; 1,024 MB -> 662 ms; 1,769 and 3,008 MB -> 400 ms.
    for (i, want) in [(0, 1283.8), (1, 661.9), (2, 400.0), (3, 400.0)] {
        assert!(
            (p50(i) / want - 1.0).abs() < 0.02,
            "point {i}: p50 {} vs {want}",
            p50(i)
        );
    }
    // 3,008 MB costs ~3008/1769 as much in duration for the same latency.
    let cost = |i: usize| {
        s.points[i]
            .run
            .summary
            .get("total", "cost.duration_usd")
            .unwrap()
    };
    assert!((cost(3) / cost(2) - 3008.0 / 1769.0).abs() < 0.02);
}
