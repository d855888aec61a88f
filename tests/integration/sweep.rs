//! `coldsim sweep`: grid size and order, determinism across thread counts, the objective's
//! choice with its margins and runner-up (checked against closed-form cold fractions), an
//! infeasible objective, and objective parsing errors (exit 2).

use crate::common;
use crate::common::whatif;

fn run_env(args: &[&str], threads: &str) -> (i32, String, String) {
    whatif::run_with_threads(args, Some(threads))
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, "4")
}

/// Poisson at 0.1/s with a constant keep-alive T: cold fraction e^{-0.1 T}.
fn scenario() -> String {
    whatif::keep_alive_scenario("sweepable", 3, 3, 0.1, "")
}

/// Tolerance: exact order; byte-identical JSON with 1 and 4 threads.
#[test]
fn grid_is_the_product_in_order_and_deterministic() {
    let (_dir, path) = common::write(&scenario());
    let p = path.to_str().unwrap();
    let args = [
        "sweep",
        p,
        "--set",
        "function.api.memory_mb=512,1024,1769",
        "--set",
        "platform.keep_alive=10s,30s",
        "--format",
        "json",
    ];
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let (_, out1, _) = run_env(&args, "1");
    assert_eq!(out, out1, "output does not depend on the thread count");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 6);
    let names: Vec<&str> = points.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "memory_mb=512 keep_alive=10s",
            "memory_mb=512 keep_alive=30s",
            "memory_mb=1024 keep_alive=10s",
            "memory_mb=1024 keep_alive=30s",
            "memory_mb=1769 keep_alive=10s",
            "memory_mb=1769 keep_alive=30s",
        ]
    );
    assert_eq!(points[2]["set"]["function.api.memory_mb"], 1024);
    assert_eq!(points[3]["set"]["platform.keep_alive"], "30s");
    // The overrides took effect: the same arrivals (CRN), fewer cold starts with a longer
    // keep-alive at every memory size.
    for m in 0..3 {
        let a = &points[2 * m]["summary"]["total"];
        let b = &points[2 * m + 1]["summary"]["total"];
        assert_eq!(a["arrivals"], b["arrivals"]);
        assert!(a["cold_starts"].as_f64() > b["cold_starts"].as_f64());
    }
}

/// Tolerance: the chosen point is the one the closed form picks (cold fractions e^{-1} =
/// 0.37, e^{-3} = 0.050, e^{-6} = 0.0025 are far apart against their CIs of ≈ ±0.01).
#[test]
fn objective_picks_the_best_feasible_point_with_its_margin() {
    let (_dir, path) = common::write(&scenario());
    let p = path.to_str().unwrap();
    let set = "platform.keep_alive=10s,30s,60s";
    // Largest cold fraction below 10%: keep-alive 30 s (≈ 5%), runner-up 60 s.
    let (code, out, err) = run(&[
        "sweep",
        p,
        "--set",
        set,
        "--objective",
        "max cold_fraction where cold_fraction < 10%",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let o = &v["objective"];
    assert_eq!(o["best"], "keep_alive=30s");
    assert_eq!(o["runner_up"], "keep_alive=60s");
    assert_eq!(o["feasible"], 2);
    let value = o["margins"][0]["value"].as_f64().unwrap();
    assert!((value - (-3.0f64).exp()).abs() < 0.015, "{value}");
    let slack = o["margins"][0]["slack"].as_f64().unwrap();
    assert!((slack - (0.1 - value)).abs() < 1e-9);
    let msg = o["message"].as_str().unwrap();
    assert!(
        msg.contains("Best point") && msg.contains("Runner-up: keep_alive=60s"),
        "{msg}"
    );
    assert!(
        msg.contains("from the limit") && msg.contains("paired difference"),
        "{msg}"
    );

    // The table says the same and marks the point.
    let (code, out, _) = run(&[
        "sweep",
        p,
        "--set",
        set,
        "--objective",
        "max cold_fraction where cold_fraction < 10%",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("keep_alive=30s *"), "{out}");

    // Infeasible: no keep-alive in the grid gets the cold fraction below 0.1%.
    let (code, out, err) = run(&[
        "sweep",
        p,
        "--set",
        set,
        "--objective",
        "min cost where cold_fraction < 0.1%",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("No point satisfies"), "{out}");
    assert!(
        out.contains("cold_fraction < 0.1% fails at every point; closest: keep_alive=60s"),
        "{out}"
    );
}

/// Tolerance: exact (exit codes and message fragments).
#[test]
fn bad_objectives_and_sets_exit_2() {
    let (_dir, path) = common::write(&scenario());
    let p = path.to_str().unwrap();
    for (args, must) in [
        (
            vec![
                "--set",
                "platform.keep_alive=10s",
                "--objective",
                "cheapest",
            ],
            "min or max",
        ),
        (
            vec![
                "--set",
                "platform.keep_alive=10s",
                "--objective",
                "min speed",
            ],
            "unknown figure",
        ),
        (
            vec![
                "--set",
                "platform.keep_alive=10s",
                "--objective",
                "min cost where latency.p99 < 1 parsec",
            ],
            "expected `and`",
        ),
        (
            vec![
                "--set",
                "platform.keep_alive=10s",
                "--objective",
                "min cost where latency.p99 < 8kg",
            ],
            "unit must be",
        ),
        (vec!["--set", "platform.keep_alive"], "expected KEY=V1,V2"),
        (vec!["--set", "platform.keep_alive="], "an empty value"),
        (vec!["--set", "=10s"], "the key is empty"),
        (vec![], "--set <KEY=VALUES>"),
        (
            vec![
                "--set",
                "platform.keep_alive=10s",
                "--objective",
                "min cost.month",
            ],
            "unknown figure \"cost.month\"",
        ),
        (
            vec!["--set", "function.web.memory_mb=512"],
            "no [[function]] named \"web\"",
        ),
        (
            vec!["--set", "platform.keep_alive=10s", "--function", "web"],
            "no such function",
        ),
    ] {
        let mut all = vec!["sweep", p];
        all.extend(args.iter().copied());
        let (code, _, err) = run(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(must), "{args:?}: missing {must:?} in {err}");
    }
}

/// Tolerance: 1e-6 relative (the JSON rounds to 9 significant digits). The cost components
/// are objective figures: per month is the run's bill scaled by 30 days over the measured
/// span (2 h run − 2 min warm-up = 7,080 s), a factor of 2,592,000 / 7,080 = 366.10, and the
/// message shows it in dollars.
#[test]
fn objective_on_cost_per_month() {
    let (_dir, path) = common::write(&scenario());
    let (code, out, err) = run(&[
        "sweep",
        path.to_str().unwrap(),
        "--set",
        "platform.keep_alive=10s,60s",
        "--objective",
        "min cost.per_month_usd where cost.per_million_requests_usd < $100",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["objective"]["figure"], "cost.per_month_usd");
    for p in v["points"].as_array().unwrap() {
        let f = &p["figures"];
        let run = f["cost_usd"]["mean"].as_f64().unwrap();
        let month = f["cost.per_month_usd"]["mean"].as_f64().unwrap();
        let factor = 30.0 * 86_400.0 / 7_080.0;
        assert!(
            (month / run - factor).abs() < factor * 1e-6,
            "{month} / {run}"
        );
    }
    let msg = v["objective"]["message"].as_str().unwrap();
    assert!(msg.contains("with cost per month = $"), "{msg}");
}
