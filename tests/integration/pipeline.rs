//! The one run pipeline (`runner::run`): what it keeps besides the summary agrees with the
//! summary, and streaming invocations (replications in order) changes nothing.

use coldsim::report::json;
use coldsim::runner::{RunOptions, run};

use crate::common::{self, Collect};

/// Two functions, short keep-alive: many cold starts per function, hand-checkable totals.
const TWO_FUNCTIONS: &str = r#"
name = "pipeline"

[run]
duration = "2h"
seed = 11
replications = 3

[platform]
keep_alive = "20s"

[[function]]
name = "a"
cold_start = "100ms"
handler = "50ms"

[[function]]
name = "b"
cold_start = "300ms"
handler = "20ms"

[[traffic]]
function = "a"
kind = "poisson"
rate = 0.2

[[traffic]]
function = "b"
kind = "poisson"
rate = 0.05
"#;

/// Tolerance: exact for the JSON (byte-identical) and 1e-9 relative for the count. With a
/// sink the replications run one after another, without one in parallel; the summaries are
/// the same, and the streamed cold invocations are the cold starts of every replication.
#[test]
fn a_sink_changes_nothing_and_sees_every_cold_start() {
    let t = common::load(TWO_FUNCTIONS);
    let parallel = run(&t.scenario, RunOptions::default()).expect("run");
    let mut sink = Collect::default();
    let opts = RunOptions {
        sink: Some(&mut sink),
        ..RunOptions::default()
    };
    let ordered = run(&t.scenario, opts).expect("run with a sink");
    assert_eq!(
        json::render(&parallel.summary),
        json::render(&ordered.summary)
    );
    let cold = sink
        .0
        .iter()
        .filter(|r| r.request.counted && r.request.cold)
        .count() as f64;
    let mean = parallel.summary.get("total", "cold_starts").unwrap();
    assert!(mean > 50.0, "{mean}");
    assert!(
        (cold / 3.0 - mean).abs() <= 1e-9 * mean,
        "{cold} / 3 vs {mean}"
    );
}

/// Tolerance: 1e-9 relative. Conservation per function: the timeline's mean cold starts per
/// bin add up to the function's mean cold starts, and the total's bins are the sum of the
/// functions' bins.
#[test]
fn each_functions_timeline_sums_to_its_cold_starts() {
    let t = common::load(TWO_FUNCTIONS);
    let opts = RunOptions {
        timeline: true,
        ..RunOptions::default()
    };
    let r = run(&t.scenario, opts).expect("run");
    let mut sum_of_functions = 0.0;
    for (i, name) in ["a", "b"].iter().enumerate() {
        let bins = r.cold_starts_per_bin(Some(i)).expect("timeline kept");
        let sum: f64 = bins.iter().sum();
        let cold = r.summary.get(name, "cold_starts").unwrap();
        assert!(cold > 10.0, "{name}: {cold}");
        assert!((sum - cold).abs() <= 1e-9 * cold, "{name}: {sum} vs {cold}");
        sum_of_functions += sum;
    }
    let total: f64 = r.cold_starts_per_bin(None).unwrap().iter().sum();
    assert!((total - sum_of_functions).abs() <= 1e-9 * total);
    let without = run(&t.scenario, RunOptions::default()).unwrap();
    assert!(without.timelines.is_none());
    // Without timelines the run keeps only their totals (no buckets), and every figure
    // (`sandboxes.mean_live` and `idle_gb_s` come from those totals) is the same.
    assert_eq!(without.summary.functions, r.summary.functions);
    assert_eq!(without.summary.total, r.summary.total);
    assert!(r.summary.get("a", "sandboxes.mean_live").unwrap() > 0.0);
}

/// Tolerance: exact. The runner finishes each function's records one function at a time
/// (and frees its tables before the next); its latency, duration and billed-duration figures
/// equal those read off the histograms of `sim::run`, which finishes every function before
/// returning. With the handler times varying (a lognormal), the warm values folded at the
/// end make most of each histogram: a function left unfinished would show only its cold ones.
#[test]
fn figures_of_functions_finished_one_at_a_time_equal_the_finished_run() {
    let varied = TWO_FUNCTIONS.replace(
        "handler = \"50ms\"",
        "handler = { dist = \"lognormal\", median = \"50ms\", p99 = \"400ms\" }",
    );
    let mut t = common::load(&varied);
    t.scenario.replications = 1;
    let summary = run(&t.scenario, RunOptions::default()).unwrap().summary;
    let stats = coldsim::sim::run(&t.scenario, 0, None, None).unwrap();
    for (i, name) in ["a", "b"].iter().enumerate() {
        let s = &stats.functions[i];
        assert!(s.latency.count() > 2 * s.cold_starts, "{name}: mostly warm");
        let ms = |us: u64| us as f64 / 1_000.0;
        for (key, want) in [
            ("latency_ms.p50", ms(s.latency.value_at_quantile_us(0.5))),
            ("latency_ms.max", ms(s.latency.max_us())),
            ("duration_ms.p99", ms(s.duration.value_at_quantile_us(0.99))),
            ("duration_ms.mean", s.duration.mean_us() / 1_000.0),
            (
                "billed_duration_ms.p90",
                ms(s.billed_duration.value_at_quantile_us(0.9)),
            ),
        ] {
            assert_eq!(summary.get(name, key), Some(want), "{name} {key}");
        }
    }
}
