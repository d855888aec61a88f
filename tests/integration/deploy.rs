//! Deploys: a new version retires the old sandboxes and, for an image, brings new chunks that
//! no cache holds.

use crate::common;

fn image_workload(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("w.toml");
    std::fs::write(
        &p,
        r#"
name = "small image"
runtime = "python3.12"
import_noise_sigma = 0.0
imports = ["lib"]
[init]
user = "10ms"
[init.runtime]
x86_64 = "50ms"
arm64 = "50ms"
[[module]]
name = "lib"
cpu_ms = 100.0
read_mb = 10.48576   # exactly 20 chunks
layer = "app"
[package.image]
[[package.image.layer]]
name = "base"
size_mb = 100.0
shared = true
[[package.image.layer]]
name = "app"
size_mb = 20.97152   # exactly 40 chunks
"#,
    )
    .unwrap();
    p
}

fn scenario(workload: &std::path::Path, packaging: &str, warmup: &str, fraction: f64) -> String {
    format!(
        r#"
[run]
duration = "1h"
warmup = "{warmup}"
[platform]
keep_alive = "10m"
max_lifetime = "10h"
{}
[[deploy]]
function = "f"
at = "30m"
unique_chunk_fraction = {fraction}
"#,
        common::trace_function(packaging, workload, &workload.with_file_name("t.csv"), "")
    )
}

/// One request every 5 s (a cold start takes under 2 s here): one sandbox serves them all
/// between deploys.
fn trace(dir: &std::path::Path) {
    common::timestamps_trace(&dir.join("t.csv"), 5, 720);
}

#[test]
fn a_deploy_retires_the_idle_sandbox_so_the_next_request_is_cold() {
    let dir = tempfile::tempdir().unwrap();
    let w = image_workload(dir.path());
    trace(dir.path());
    let s = common::summary(&scenario(&w, "image", "0s", 0.0));
    // Exactly two cold starts: the first request and the first after the deploy.
    assert_eq!(s.get("f", "cold_starts"), Some(2.0));
    assert_eq!(s.get("f", "sandboxes.replaced_by_deploy"), Some(1.0));
}

#[test]
fn after_a_deploy_only_the_new_chunks_come_from_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let w = image_workload(dir.path());
    trace(dir.path());
    // Count from just before the deploy: one cold start, after it. The image has
    // ceil(100e6 / 524,288) = 191 base chunks and 40 app chunks: 231. unique_chunk_fraction
    // 0.1 → round(23.1) = 23 new chunks at the top of the image: app-layer offsets 17..39.
    // The import reads 20 consecutive chunks of the app layer (wrapping), from the offset
    // FNV-1a("lib") mod 40 = 36 (src/config/workload.rs, run_in_layer): offsets 36..39 and
    // 0..15, of which 4 are new and must come from the origin. The other 16 were read by
    // the first cold start: the AZ cache keeps them (T_C ≈ 2 days) if the new sandbox is in
    // the same AZ (origin 4), else they come from the origin too (20).
    let s = common::summary(&scenario(&w, "image", "29m", 0.1));
    let origin = s.get("f", "cache.origin").unwrap();
    let total = ["worker", "az", "origin"]
        .iter()
        .map(|t| s.get("f", &format!("cache.{t}")).unwrap())
        .sum::<f64>();
    assert_eq!(total, 20.0, "the import reads 20 chunks");
    assert!(origin == 4.0 || origin == 20.0, "origin {origin}");
    // With every chunk new, all 20 reads go to the origin.
    let all_new = common::summary(&scenario(&w, "image", "29m", 1.0));
    assert_eq!(all_new.get("f", "cache.origin"), Some(20.0));
    // Without new chunks, none does.
    let none_new = common::summary(&scenario(&w, "image", "29m", 0.0));
    assert_eq!(none_new.get("f", "cache.origin"), Some(0.0));
}
