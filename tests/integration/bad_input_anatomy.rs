//! Bad input for the cold-start anatomy keys (packaging, image layers, import graph, request
//! paths, deploys, storage): exit code 2 and a message naming the file and the key; never a
//! panic.

use crate::common;

use std::path::Path;

/// A scenario running function "api" with the workload model `wl.toml` beside it.
const SCENARIO: &str = r#"
[run]
duration = "1h"
seed = 3
[[function]]
name = "api"
memory_mb = 1024
packaging = "image"
workload = "wl.toml"
handler = "50ms"
[[traffic]]
function = "api"
kind = "poisson"
rate = 1.0
"#;

/// A valid image workload: two layers, a small import graph, one request path.
const WORKLOAD: &str = r#"
name = "test"
runtime = "python3.12"
imports = ["numpy", "app"]
[init]
user = "10ms"
[init.runtime]
x86_64 = "90ms"
arm64 = "80ms"
[[module]]
name = "numpy"
cpu_ms = 100.0
read_mb = 20.0
layer = "deps"
[[module]]
name = "app"
cpu_ms = 5.0
read_mb = 1.0
imports = ["numpy"]
[[module]]
name = "report"
cpu_ms = 5.0
[[path]]
name = "get"
weight = 1.0
needs = ["report"]
[package.zip]
zip_mb = 30.0
unzipped_mb = 100.0
[package.zip_layers]
zip_mb = 1.0
unzipped_mb = 2.0
[[package.zip_layers.layer]]
name = "deps"
zip_mb = 30.0
unzipped_mb = 100.0
[package.image]
runtime_read_mb = 5.0
[[package.image.layer]]
name = "base"
size_mb = 300.0
[[package.image.layer]]
name = "deps"
size_mb = 200.0
"#;

/// Writes `scenario` and `workload` (as wl.toml) side by side and runs the scenario.
fn run(scenario: &str, workload: &str) -> (i32, String) {
    let (dir, path) = common::write(scenario);
    std::fs::write(dir.path().join("wl.toml"), workload).expect("write workload");
    let out = common::run_scenario_file(&path);
    drop(dir);
    out
}

fn bad_workload(workload: &str, must_mention: &[&str]) {
    common::assert_bad_input(run(SCENARIO, workload), "wl.toml", must_mention);
}

fn bad_scenario(scenario: &str, must_mention: &[&str]) {
    common::assert_bad_input(run(scenario, WORKLOAD), "scenario.toml", must_mention);
}

fn packaged(p: &str) -> String {
    SCENARIO.replace("packaging = \"image\"", &format!("packaging = \"{p}\""))
}

#[test]
fn the_valid_inputs_run_in_every_packaging() {
    for p in ["image", "zip", "zip_layers"] {
        let (code, err) = run(&packaged(p), WORKLOAD);
        assert_eq!(code, 0, "{p}: {err}");
    }
    assert!(Path::new("models/workloads/python312-hello.toml").exists());
}

#[test]
fn unzipped_code_over_250_mb_is_refused() {
    // One archive of 300 MB unzipped (limit 250 MB).
    let (code, err) = run(
        &packaged("zip"),
        &WORKLOAD.replace(
            "unzipped_mb = 100.0\n[package.zip_layers]",
            "unzipped_mb = 300.0\n[package.zip_layers]",
        ),
    );
    common::assert_bad_input(
        (code, err),
        "wl.toml",
        &["package.zip.unzipped_mb", "250 MB"],
    );
    // Function 2 MB + layer 300 MB, together over the limit (250 MiB = 262.1 MB).
    let (code, err) = run(
        &packaged("zip_layers"),
        &WORKLOAD.replace(
            "name = \"deps\"\nzip_mb = 30.0\nunzipped_mb = 100.0",
            "name = \"deps\"\nzip_mb = 30.0\nunzipped_mb = 300.0",
        ),
    );
    common::assert_bad_input((code, err), "wl.toml", &["package.zip_layers", "250 MB"]);
}

#[test]
fn more_than_five_layers_are_refused() {
    let extra: String = (0..6)
        .map(|i| {
            format!(
                "[[package.zip_layers.layer]]\nname = \"l{i}\"\nzip_mb = 1.0\nunzipped_mb = 1.0\n"
            )
        })
        .collect();
    let wl = WORKLOAD.replace("[package.image]", &format!("{extra}[package.image]"));
    let (code, err) = run(&packaged("zip_layers"), &wl);
    common::assert_bad_input(
        (code, err),
        "wl.toml",
        &["package.zip_layers.layer", "at most 5"],
    );
}

#[test]
fn an_image_over_10_gib_is_refused() {
    bad_workload(
        &WORKLOAD.replace("size_mb = 300.0", "size_mb = 11000.0"),
        &["package.image.layer", "10 GiB"],
    );
}

#[test]
fn an_import_cycle_is_refused() {
    bad_workload(
        &WORKLOAD.replace(
            "read_mb = 20.0\nlayer = \"deps\"",
            "read_mb = 20.0\nlayer = \"deps\"\nimports = [\"app\"]",
        ),
        &["module[", ".imports", "cycle", "numpy", "app"],
    );
}

#[test]
fn a_module_never_defined_is_refused_wherever_it_is_named() {
    bad_workload(
        &WORKLOAD.replace(
            "imports = [\"numpy\", \"app\"]",
            "imports = [\"numpy\", \"scipy\"]",
        ),
        &["imports", "scipy"],
    );
    bad_workload(
        &WORKLOAD.replace("imports = [\"numpy\"]", "imports = [\"numpy\", \"scipy\"]"),
        &["module[1].imports", "scipy"],
    );
    bad_workload(
        &WORKLOAD.replace("needs = [\"report\"]", "needs = [\"scipy\"]"),
        &["path[0].needs", "scipy"],
    );
}

#[test]
fn unknown_keys_in_the_new_tables_are_refused() {
    bad_workload(
        &WORKLOAD.replace(
            "runtime_read_mb = 5.0",
            "runtime_read_mb = 5.0\nruntime_mb = 5.0",
        ),
        &["runtime_mb"],
    );
    bad_workload(
        &WORKLOAD.replace("size_mb = 200.0", "size_mb = 200.0\nsize_gb = 1.0"),
        &["size_gb"],
    );
    bad_scenario(
        &SCENARIO.replace(
            "[run]",
            "[platform.storage]\nplacement = \"random\"\nplacment = \"sticky\"\n[run]",
        ),
        &["placment"],
    );
    bad_scenario(
        &format!("{SCENARIO}[[deploy]]\nfunction = \"api\"\nat = \"10m\"\nwhen = \"10m\"\n"),
        &["when"],
    );
}

#[test]
fn image_packaging_needs_a_package_image_table() {
    let wl = WORKLOAD.split("[package.image]").next().expect("prefix");
    bad_workload(wl, &["package.image", "api"]);
}

#[test]
fn snapstart_without_a_snapshot_table_is_refused() {
    bad_workload_with(
        &packaged("snapstart"),
        &["package.snapstart", "packaged as snapstart"],
    );
}

fn bad_workload_with(scenario: &str, must_mention: &[&str]) {
    common::assert_bad_input(run(scenario, WORKLOAD), "wl.toml", must_mention);
}

#[test]
fn bad_deploys_are_refused() {
    let deploy = |body: &str| format!("{SCENARIO}[[deploy]]\n{body}\n");
    bad_scenario(
        &deploy("function = \"nope\"\nat = \"10m\""),
        &["deploy[0].function", "nope"],
    );
    bad_scenario(
        &deploy("function = \"api\"\nat = \"2h\""),
        &["deploy[0].at", "run.duration = 3600 s", "got 7200 s"],
    );
    bad_scenario(
        &deploy("function = \"api\"\nat = \"10m\"\nunique_chunk_fraction = 1.5"),
        &["deploy[0].unique_chunk_fraction"],
    );
    bad_scenario(
        &deploy("function = \"api\"\nat = \"10m\"\nunique_chunk_fraction = -0.1"),
        &["deploy[0].unique_chunk_fraction"],
    );
}

#[test]
fn bad_module_reads_are_refused() {
    bad_workload(
        &WORKLOAD.replace("read_mb = 1.0", "read_mb = 1.0\nread_bytes = 1000"),
        &["module[1].read_mb", "not both"],
    );
    bad_workload(
        &WORKLOAD.replace("read_mb = 1.0", "read_mb = -1.0"),
        &["module[1].read_mb"],
    );
    bad_workload(
        &WORKLOAD.replace("layer = \"deps\"", "layer = \"nodeps\""),
        &["module[0].layer", "nodeps"],
    );
}

#[test]
fn unknown_placement_is_refused() {
    bad_scenario(
        &SCENARIO.replace(
            "[run]",
            "[platform.storage]\nplacement = \"nonsense\"\n[run]",
        ),
        &["platform.storage.placement", "nonsense"],
    );
}

#[test]
fn reads_too_large_for_their_layer_are_refused_not_wrapped() {
    // 2^63 − 1 bytes is 2^44 chunks: more than a u32 counts, and far more than the layer's
    // 382 chunks (200 MB); it must fail the layer check, not wrap to a small read.
    bad_workload(
        &WORKLOAD.replace("read_mb = 1.0", "read_bytes = 9223372036854775807"),
        &["module[1].read_bytes", "more than its layer"],
    );
    bad_workload(
        &WORKLOAD.replace("read_mb = 20.0", "read_mb = 250.0"),
        &["module[0].read_mb", "more than its layer \"deps\""],
    );
}

#[test]
fn a_background_population_over_the_limit_names_its_own_key() {
    bad_scenario(
        &SCENARIO.replace(
            "[run]",
            "[platform.storage]\nworker_background_chunks = 20000000\n[run]",
        ),
        &["platform.storage.worker_background_chunks", "16777216"],
    );
}

#[test]
fn a_fleet_too_large_for_memory_is_refused() {
    bad_scenario(
        &SCENARIO.replace(
            "[run]",
            "[platform.storage]\nazs = 64\nworkers_per_az = 100000\n[run]",
        ),
        &["platform.storage.workers_per_az", "100000 workers"],
    );
}

#[test]
fn an_lru_fleet_that_would_replay_too_many_background_requests_is_refused() {
    // Defaults: 48 workers × 560 reads/s + 3 AZs × 13 reads/s ≈ 26,900 requests/s; over
    // 12 hours that is 1.2e9, above the 1e9 budget: refused, not run for an hour.
    bad_scenario(
        &SCENARIO
            .replace("duration = \"1h\"", "duration = \"12h\"")
            .replace("[run]", "[platform.storage]\ncache_model = \"lru\"\n[run]"),
        &["platform.storage.cache_model", "characteristic_time"],
    );
}

#[test]
fn mutated_workload_files_never_panic_and_never_hang() {
    // Deterministic mutations of the valid image workload; each must load and run or fail
    // with an input error (exit 2), in every packaging.
    let dir = tempfile::tempdir().unwrap();
    let mutations = common::mutations(WORKLOAD, 300);
    for (i, m) in mutations.iter().enumerate() {
        std::fs::write(dir.path().join("wl.toml"), m).unwrap();
        let packaging = ["image", "zip", "zip_layers"][i % 3];
        let scenario = dir.path().join("scenario.toml");
        std::fs::write(&scenario, packaged(packaging)).unwrap();
        let result = std::panic::catch_unwind(|| {
            if let Ok(sc) = coldsim::config::load_scenario(&scenario) {
                let _ = coldsim::sim::run(&sc, 0, None, None);
            }
        });
        assert!(
            result.is_ok(),
            "panic on mutation {i} ({packaging}):\n{}",
            String::from_utf8_lossy(m)
        );
    }
}
