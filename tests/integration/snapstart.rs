//! SnapStart restores through the chunk tiers, and re-inits after a crash or the init
//! timeout (facts.md "SnapStart (Python)" and "INIT phase limits").

use crate::common;

use std::path::{Path, PathBuf};

/// A SnapStart workload whose restore reads exactly 20 chunks of a 40-chunk snapshot, with
/// a constant runtime restore (100 ms) and hooks (30 ms).
fn snap_workload(dir: &Path) -> PathBuf {
    let p = dir.join("w.toml");
    std::fs::write(
        &p,
        r#"
name = "snap"
runtime = "python3.12"
import_noise_sigma = 0.0
[init]
user = "10ms"
[init.runtime]
x86_64 = "50ms"
arm64 = "50ms"
[package.snapstart]
restore_read_mb = 10.48576   # exactly 20 chunks
snapshot_mb = 20.97152       # exactly 40 chunks
runtime_restore = "100ms"
restore_hooks = "30ms"
"#,
    )
    .unwrap();
    p
}

/// One request every 5 s for `hours`.
fn trace(dir: &Path, hours: u32) -> PathBuf {
    let p = dir.join("t.csv");
    common::timestamps_trace(&p, 5, 720 * hours);
    p
}

/// Constant tier latencies (worker 1 ms, AZ 2 ms, S3 50 ms), no jitter, one worker, and a
/// 1 s keep-alive so every request (5 s apart) is a cold start.
const PLATFORM: &str = r#"
[platform]
keep_alive = "1s"
max_lifetime = "10h"
place = "5ms"
boot = "20ms"
[platform.storage]
azs = 1
workers_per_az = 1
worker_latency = "1ms"
az_latency = "2ms"
origin_latency = "50ms"
parallel_fetches = 1
read_jitter_sigma = 0.0
"#;

fn scenario(w: &Path, t: &Path, warmup: &str, deploy: bool) -> String {
    let mut s = format!("[run]\nduration = \"1h\"\nwarmup = \"{warmup}\"\n{PLATFORM}");
    s += &common::trace_function("snapstart", w, t, "");
    if deploy {
        s += "[[deploy]]\nfunction = \"f\"\nat = \"30m\"\nunique_chunk_fraction = 0.0\n";
    }
    s
}

fn tier(s: &coldsim::stats::figures::Summary, t: &str) -> f64 {
    s.get("f", &format!("cache.{t}")).unwrap()
}

#[test]
fn the_first_restore_after_publish_reads_every_chunk_from_s3_and_later_ones_none() {
    let dir = tempfile::tempdir().unwrap();
    let (w, t) = (snap_workload(dir.path()), trace(dir.path(), 1));
    // Every request counted: 720 restores of 20 chunks; only the first reaches S3.
    let s = common::summary(&scenario(&w, &t, "0s", false));
    assert_eq!(s.get("f", "cold_starts"), Some(720.0));
    assert_eq!(s.get("f", "restores"), Some(720.0));
    assert_eq!(tier(&s, "origin"), 20.0);
    assert_eq!(
        tier(&s, "worker") + tier(&s, "az") + tier(&s, "origin"),
        720.0 * 20.0
    );
    // No Init Duration for restores.
    assert_eq!(s.get("f", "init_duration_ms.mean"), None);
    assert_eq!(s.get("f", "snapshot_publishes"), Some(1.0));
    // Snapshot size for cost: 40 chunks' worth as given.
    assert_eq!(s.get("f", "snapshot_mb"), Some(20.97152));
    // From the second request on: nothing from S3.
    let later = common::summary(&scenario(&w, &t, "1m", false));
    assert_eq!(tier(&later, "origin"), 0.0);
    // Closed form of a later restore on the same worker, 5 s after the previous one (the
    // worker cache keeps chunks ~47 s under the default background): 20 worker hits of
    // 1 ms + 100 ms restore + 30 ms hooks = 150 ms; at worst (AZ hits) 20 × 2 + 130 = 170.
    // Tolerance: the histogram's relative precision, 1%.
    let mean = later.get("f", "restore_duration_ms.mean").unwrap();
    assert!(
        (mean - 150.0).abs() <= 1.5,
        "restore mean {mean} ms, expected 150"
    );
    // Cold latency = place 5 + boot 20 + restore.
    let cold = later.get("f", "cold_latency_ms.mean").unwrap();
    assert!(
        (cold - 175.0).abs() <= 1.75,
        "cold mean {cold} ms, expected 175"
    );
    // The first restore: 20 S3 reads of 50 ms + 130 = 1,130 ms, the maximum.
    let max = s.get("f", "restore_duration_ms.max").unwrap();
    assert!(
        (max - 1130.0).abs() <= 11.3,
        "first restore {max} ms, expected 1130"
    );
}

#[test]
fn a_deploy_publishes_a_new_snapshot_so_the_next_restore_reads_from_s3_again() {
    let dir = tempfile::tempdir().unwrap();
    let (w, t) = (snap_workload(dir.path()), trace(dir.path(), 1));
    // Counting from 29 min: only the restore just after the deploy at 30 min reads S3, all
    // 20 chunks, although the deploy says unique_chunk_fraction = 0 (a snapshot is new
    // content at each publish).
    let s = common::summary(&scenario(&w, &t, "29m", true));
    assert_eq!(tier(&s, "origin"), 20.0);
    assert_eq!(s.get("f", "snapshot_publishes"), Some(2.0));
    let max = s.get("f", "restore_duration_ms.max").unwrap();
    assert!(
        (max - 1130.0).abs() <= 11.3,
        "restore after deploy {max} ms"
    );
}

#[test]
fn snapstart_beats_on_demand_init_for_a_heavy_import_workload() {
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/workloads/python312-api-lazy.toml");
    let run = |packaging: &str| {
        common::summary(&format!(
            r#"
[run]
duration = "2h"
warmup = "10m"
seed = 7
replications = 1
[platform]
keep_alive = "1s"
[[function]]
name = "f"
memory_mb = 1024
packaging = "{packaging}"
workload = "{}"
handler = "50ms"
[[traffic]]
function = "f"
kind = "poisson"
rate = 0.1
"#,
            model.display()
        ))
    };
    let zip = run("zip");
    let snap = run("snapstart");
    let zip_p50 = zip.get("f", "cold_latency_ms.p50").unwrap();
    let snap_p50 = snap.get("f", "cold_latency_ms.p50").unwrap();
    // Independent expectation: the ZIP init runs the eager imports' CPU work (boto3 203.5 +
    // numpy 196.6 + pandas 461.9 = 862 ms at one vCPU, the model's cpu_ms) on the request
    // path; the restore replaces it by 128 AZ-cached chunk reads (~0.6 ms each, ~80 ms)
    // plus ~100 ms of runtime restore and hooks. So the restore must save at least half of
    // the import work.
    assert!(
        snap_p50 + 431.0 < zip_p50,
        "snapstart p50 {snap_p50} ms vs zip p50 {zip_p50} ms"
    );
    assert!(snap.get("f", "restores").unwrap() > 100.0);
}

/// A ZIP workload with a constant runtime start and user init (no imports, no noise).
fn plain_workload(dir: &Path, user: &str, crash: f64) -> PathBuf {
    let p = dir.join("p.toml");
    std::fs::write(
        &p,
        format!(
            r#"
name = "plain"
runtime = "python3.12"
import_noise_sigma = 0.0
init_crash_probability = {crash}
[init]
user = "{user}"
[init.runtime]
x86_64 = "100ms"
arm64 = "100ms"
"#
        ),
    )
    .unwrap();
    p
}

fn plain_scenario(w: &Path, t: &Path, timeout: &str) -> String {
    format!(
        r#"
[run]
duration = "1h"
warmup = "0s"
[platform]
keep_alive = "1s"
max_lifetime = "10h"
place = "5ms"
boot = "20ms"
init_cpu = "boost"
init_boost_vcpus = 2.0
{timeout}
{}"#,
        common::trace_function("zip", w, t, "memory_mb = 512")
    )
}

#[test]
fn an_init_over_the_timeout_is_cut_and_retried_without_the_boost() {
    let dir = tempfile::tempdir().unwrap();
    let w = plain_workload(dir.path(), "12s", 0.0);
    // One request a minute, so each 52 s cold start ends before the next request.
    let t = dir.path().join("t.csv");
    common::timestamps_trace(&t, 60, 30);
    let s = common::summary(&plain_scenario(&w, &t, "init_timeout = \"10s\""));
    let cold = s.get("f", "cold_starts").unwrap();
    assert_eq!(s.get("f", "reinits"), Some(cold));
    // First attempt at the boost (thread speed 1): 100 ms + 12 s = 12.1 s > 10 s: cut at
    // 10 s. Re-init at 512 / 1,769 vCPU: 12,100 ms × 1,769 / 512 = 41,806.4 ms exactly.
    // Cold latency: place 5 + boot 20 + 10,000 + 41,806.4 = 51,831.4 ms.
    let reinit = 12_100.0 * 1769.0 / 512.0;
    let init = s.get("f", "init_duration_ms.mean").unwrap();
    assert!(
        (init - reinit).abs() < 0.01 * reinit,
        "init {init} vs {reinit}"
    );
    let want = 25.0 + 10_000.0 + reinit;
    let got = s.get("f", "cold_latency_ms.mean").unwrap();
    assert!((got - want).abs() < 0.01 * want, "cold {got} vs {want}");
    assert_eq!(s.get("f", "reinit_wasted_ms.mean"), Some(10_000.0));
    // The exact ratio, from the phase means (sums in µs, not the histogram): runtime and
    // user init both scale by 1,769 / 512.
    let user = s.get("f", "phases_ms.user_init").unwrap();
    let runtime = s.get("f", "phases_ms.runtime_init").unwrap();
    assert!(
        (user / 12_000.0 - 1769.0 / 512.0).abs() < 1e-6,
        "user {user}"
    );
    assert!(
        (runtime / 100.0 - 1769.0 / 512.0).abs() < 1e-5,
        "runtime {runtime}"
    );
    // Under a 15 s limit the same init is not retried.
    let long = common::summary(&plain_scenario(&w, &t, "init_timeout = \"15s\""));
    assert_eq!(long.get("f", "reinits"), Some(0.0));
    assert_eq!(long.get("f", "init_duration_ms.mean"), Some(12_100.0));
}

#[test]
fn crash_probability_gives_that_share_of_reinits() {
    let dir = tempfile::tempdir().unwrap();
    let p = 0.2;
    let w = plain_workload(dir.path(), "200ms", p);
    let t = trace(dir.path(), 1);
    let s = common::summary(&plain_scenario(&w, &t, ""));
    let cold = s.get("f", "cold_starts").unwrap();
    let reinits = s.get("f", "reinits").unwrap();
    // Binomial: reinits / cold ≈ p within 3 standard errors.
    let se = (p * (1.0 - p) / cold).sqrt();
    let share = reinits / cold;
    assert!(
        (share - p).abs() < 3.0 * se,
        "share {share}, p {p}, se {se}, n {cold}"
    );
    // A crash wastes the whole drawn init: 100 ms + 200 ms at the boost.
    assert_eq!(s.get("f", "reinit_wasted_ms.mean"), Some(300.0));
    // Mean cold latency: 25 + 300 + p × 300 (wasted) + p × 300 × (1,769/512 − 1) (slower
    // re-init), within the sampling error of the share (3 SE × 1,336 ms) and 1% for the
    // histogram.
    let extra = 300.0 + 300.0 * 1769.0 / 512.0 - 300.0;
    let want = 325.0 + share * extra;
    let got = s.get("f", "cold_latency_ms.mean").unwrap();
    assert!((got - want).abs() < 0.01 * want, "cold {got} vs {want}");
}

#[test]
fn defaults_add_no_keys_and_a_long_timeout_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let w = plain_workload(dir.path(), "200ms", 0.0);
    let t = trace(dir.path(), 1);
    let default = common::summary(&plain_scenario(&w, &t, ""));
    // No crash probability, no timeout given: no reinit or SnapStart figures.
    for key in [
        "reinits",
        "restores",
        "restore_duration_ms.mean",
        "snapshot_mb",
    ] {
        assert!(default.get("f", key).is_none(), "{key} present by default");
        assert!(
            !default.functions[0].1.iter().any(|f| f.key == key),
            "{key} listed by default"
        );
    }
    // A timeout no init reaches draws the same numbers as the default.
    let long = common::summary(&plain_scenario(&w, &t, "init_timeout = \"1h\""));
    for key in [
        "cold_latency_ms.mean",
        "cold_latency_ms.p99",
        "latency_ms.p50",
    ] {
        assert_eq!(default.get("f", key), long.get("f", key), "{key}");
    }
    assert_eq!(long.get("f", "reinits"), Some(0.0));
}
