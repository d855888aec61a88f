//! `--report DIR` of `compare` and `sweep`: report.md holds the table and findings written
//! from the numbers; the SVGs have a title, axis labels with units and one series per
//! variant (scanned as text, as in tests/svg_charts.rs); the JSON is written too.

use crate::common;
use crate::common::whatif;

use coldsim::report::svg::series_color_hex;
use whatif::{run, svg_texts as texts};

/// Polylines stroked in `color`.
fn polylines(svg: &str, color: &str) -> usize {
    let stroke = format!("stroke=\"{color}\"");
    svg.lines()
        .filter(|l| l.starts_with("<polyline") && l.contains(&stroke))
        .count()
}

/// Two keep-alives and two cold-start durations: cold starts are 100 ms in the base and
/// 300 ms in "slow", so p99 cold latency is 3x (constant cold starts, exact).
const SCENARIO: &str = r#"
name = "reportable"
[run]
duration = "1h"
seed = 5
replications = 3
warmup = "1m"

[platform]
keep_alive = "10s"
max_lifetime = "1d"

[[function]]
name = "api"
memory_mb = 1769
cold_start = "100ms"
handler = "1ms"

[[traffic]]
function = "api"
kind = "poisson"
rate = 0.2

[[variant]]
name = "slow"
set = { "function.api.cold_start" = "300ms" }

[[variant]]
name = "long_keep_alive"
set = { "platform.keep_alive" = "20s" }
"#;

/// Tolerance: exact text; the 3x ratio is exact for constant cold starts (histogram
/// buckets are narrower than the 0.01 printed).
#[test]
fn compare_report_has_table_findings_plots_and_json() {
    let (dir, path) = common::write(SCENARIO);
    let report = dir.path().join("out");
    let (code, _, err) = run(&[
        "compare",
        path.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // Recording the timeline for the report (a per-invocation sink) changes no number.
    let p = path.to_str().unwrap();
    let plain = run(&["compare", p, "--format", "json"]);
    let with = run(&[
        "compare",
        p,
        "--format",
        "json",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(plain.0, 0);
    assert_eq!(plain.1, with.1);
    let md = std::fs::read_to_string(report.join("report.md")).expect("report.md");
    assert!(
        md.contains("| figure | base (baseline) | slow | slow − base | long_keep_alive |"),
        "{md}"
    );
    assert!(md.contains("| cold latency p99 |"), "{md}");
    assert!(md.contains("## Findings"), "{md}");
    assert!(
        md.contains("slow has 3.00x the cold latency p99 of base: 300"),
        "{md}"
    );
    // Keep-alive 20 s instead of 10 s at 0.2/s: cold fraction e^{-4} = 1.8% instead of
    // e^{-2} = 13.5%, an ≈ 86% lower cold fraction.
    assert!(
        md.contains("long_keep_alive has a 8") && md.contains("% lower cold fraction than base"),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("compare.json")).unwrap())
            .unwrap();
    assert_eq!(json["variants"].as_array().unwrap().len(), 3);

    for (file, title, x_label, y_fragment) in [
        (
            "cold_latency_cdf.svg",
            "reportable: cold-start latency per variant (all functions)",
            "cold-start latency (ms)",
            "cumulative fraction",
        ),
        (
            "cold_starts_over_time.svg",
            "reportable: cold starts over time per variant (all functions)",
            "time since start (h)",
            "cold starts per",
        ),
        (
            "live_sandboxes_over_time.svg",
            "reportable: live sandboxes over time per variant (all functions)",
            "time since start (h)",
            "peak live sandboxes per",
        ),
    ] {
        let svg = std::fs::read_to_string(report.join(file)).expect(file);
        let t = texts(&svg);
        assert!(t.iter().any(|s| s == title), "{file}: {t:?}");
        assert!(t.iter().any(|s| s == x_label), "{file}: {t:?}");
        assert!(t.iter().any(|s| s.starts_with(y_fragment)), "{file}: {t:?}");
        for (i, name) in ["base", "slow", "long_keep_alive"].iter().enumerate() {
            assert!(t.iter().any(|s| s == name), "{file}: legend {name}: {t:?}");
            assert_eq!(
                polylines(&svg, &series_color_hex(i)),
                1,
                "{file}: series {name}"
            );
        }
    }
}

/// Tolerance: exact text.
#[test]
fn sweep_report_has_table_choice_and_cost_plot() {
    let (dir, path) = common::write(SCENARIO);
    let report = dir.path().join("sw");
    let (code, _, err) = run(&[
        "sweep",
        path.to_str().unwrap(),
        "--set",
        "function.api.memory_mb=512,1769",
        "--set",
        "platform.keep_alive=10s,60s",
        "--objective",
        "min cost where cold_fraction < 50%",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("| point | cold fraction |"), "{md}");
    assert!(
        md.contains("Best point for \"min cost where cold_fraction < 50%\""),
        "{md}"
    );
    assert!(md.contains("Cost ranges from"), "{md}");
    let svg = std::fs::read_to_string(report.join("cost_vs_p99.svg")).unwrap();
    let t = texts(&svg);
    assert!(
        t.iter().any(|s| s == "p99 end-to-end latency (ms)"),
        "{t:?}"
    );
    assert!(t.iter().any(|s| s == "cost (USD per month)"), "{t:?}");
    assert!(t.iter().any(|s| s == "memory_mb=512"), "{t:?}");
    assert!(t.iter().any(|s| s == "memory_mb=1769"), "{t:?}");
    assert!(t.iter().any(|s| s.starts_with("chosen: ")), "{t:?}");
    assert!(report.join("sweep.json").exists());
    assert!(report.join("cold_latency_cdf.svg").exists());
}
