//! The import graph in whole runs: bad import graphs are input errors (exit code 2, naming
//! the workload file and key), and the init CPU allowance decides how import time depends
//! on memory (DESIGN.md, "CPU" and "Imports").

use crate::common;

use std::process::Command;

/// A scenario running `workload` at `memory_mb`, every invocation forced cold, with the
/// platform's `init_cpu` set to `init_cpu`.
fn forced_cold(workload: &str, memory_mb: u32, init_cpu: &str) -> String {
    format!(
        r#"
[run]
duration = "20h"
seed = 11
[platform]
keep_alive = "0s"
init_cpu = "{init_cpu}"
[[function]]
name = "f"
memory_mb = {memory_mb}
workload = "{workload}"
handler = "1ms"
[[traffic]]
function = "f"
kind = "poisson"
rate = 0.05
"#
    )
}

/// Writes `workload` next to a scenario using it, runs coldsim, returns (code, stderr).
fn run_with_workload(workload: &str) -> (i32, String) {
    let (dir, path) = common::write(&forced_cold("workload.toml", 1024, "boost"));
    std::fs::write(dir.path().join("workload.toml"), workload).unwrap();
    common::run_scenario_file(&path)
}

const HEAD: &str = r#"
name = "t"
runtime = "python3.12"
imports = ["a"]
[init]
user = "0ms"
[init.runtime]
x86_64 = "100ms"
arm64 = "100ms"
"#;

fn assert_workload_error(modules: &str, must_mention: &[&str]) {
    let run = run_with_workload(&format!("{HEAD}{modules}"));
    common::assert_bad_input(run, "workload.toml", must_mention);
}

#[test]
fn import_cycle_is_an_input_error_naming_the_cycle() {
    assert_workload_error(
        r#"
[[module]]
name = "a"
imports = ["b"]
[[module]]
name = "b"
imports = ["a"]
"#,
        &["module[0].imports", "a -> b -> a"],
    );
}

#[test]
fn undefined_module_is_an_input_error_naming_it_and_its_importer() {
    assert_workload_error(
        r#"
[[module]]
name = "a"
imports = ["numpyy"]
"#,
        &["module[0].imports", "\"numpyy\"", "\"a\""],
    );
    // The handler's own list.
    assert_workload_error(
        r#"
[[module]]
name = "b"
"#,
        &["imports", "\"a\""],
    );
}

#[test]
fn duplicate_module_is_an_input_error() {
    assert_workload_error(
        r#"
[[module]]
name = "a"
[[module]]
name = "a"
"#,
        &["module[1].name", "defined twice"],
    );
}

#[test]
fn negative_cost_is_an_input_error() {
    assert_workload_error(
        r#"
[[module]]
name = "a"
cpu_ms = -5.0
"#,
        &["module[0].cpu_ms", "-5"],
    );
    assert_workload_error(
        r#"
[[module]]
name = "a"
compile_ms = -1.0
"#,
        &["module[0].compile_ms"],
    );
}

#[test]
fn unknown_module_key_is_an_input_error() {
    assert_workload_error(
        r#"
[[module]]
name = "a"
cpu_seconds = 1.0
"#,
        &["cpu_seconds"],
    );
}

const DATASCI: &str = "models/workloads/python39-datasci.toml";

fn init_mean(memory_mb: u32, init_cpu: &str) -> (f64, f64) {
    let s = common::summary(&forced_cold(DATASCI, memory_mb, init_cpu));
    (
        s.get("f", "init_duration_ms.mean").unwrap(),
        s.get("f", "phases_ms.imports").unwrap(),
    )
}

#[test]
fn boost_init_does_not_depend_on_memory_and_proportional_slows_1024_mb_by_1_73() {
    // Boost (default): imports run at min(1, 2) = 1 vCPU at every memory size, so the mean
    // init at 1,024 and 10,240 MB differs only by noise (~3,600 cold starts each; the
    // same seed gives the same draws, so the difference is exactly zero here).
    let (b1024, i1024) = init_mean(1024, "boost");
    let (b10240, i10240) = init_mean(10240, "boost");
    assert!((b1024 / b10240 - 1.0).abs() < 0.01, "{b1024} vs {b10240}");
    assert!((i1024 / i10240 - 1.0).abs() < 0.01);
    // Proportional: 1,024 MB is 1024/1769 = 0.579 vCPU, so imports take 1769/1024 = 1.728x
    // as long; at 10,240 MB the import thread is still capped at one vCPU. User init code
    // runs on the same thread and slows alike; the runtime bootstrap (~103.6 ms) does not,
    // so init_duration slows by (103.6 + 1.7275 x (2,527.7 + 235)) / 2,866.3 = 1.70.
    let (pinit1024, p1024) = init_mean(1024, "proportional");
    let (pinit10240, p10240) = init_mean(10240, "proportional");
    let ratio = p1024 / i1024;
    assert!(
        (ratio / (1769.0 / 1024.0) - 1.0).abs() < 0.01,
        "ratio {ratio}"
    );
    let init_ratio = pinit1024 / b1024;
    eprintln!(
        "boost {b1024:.1} / {b10240:.1} ms; proportional {pinit1024:.1} / {pinit10240:.1} ms; \
         init ratio at 1,024 MB {init_ratio:.3}"
    );
    assert!((init_ratio - 1.70).abs() < 0.03, "init ratio {init_ratio}");
    assert!((p10240 / i10240 - 1.0).abs() < 0.01);
    assert!((pinit10240 / b10240 - 1.0).abs() < 0.01);
}

#[test]
fn hello_world_has_no_import_phase() {
    let s = common::summary(&forced_cold(
        "models/workloads/python312-hello.toml",
        1024,
        "boost",
    ));
    assert_eq!(s.get("f", "phases_ms.imports"), Some(0.0));
}

#[test]
fn per_import_times_add_up_to_the_import_phase_and_pandas_pays_for_pyarrow() {
    let s = common::summary(&forced_cold(DATASCI, 1024, "boost"));
    let total = s.get("f", "phases_ms.imports").unwrap();
    let names = [
        "boto3",
        "numpy",
        "pandas",
        "pyarrow",
        "pyarrow/parquet",
        "aws_lambda_powertools",
    ];
    let parts: Vec<f64> = names
        .iter()
        .map(|n| s.get("f", &format!("imports_ms.{n}")).unwrap())
        .collect();
    let sum: f64 = parts.iter().sum();
    assert!((sum / total - 1.0).abs() < 1e-9, "{sum} vs {total}");
    // pandas imports pyarrow, so the handler's own `import pyarrow` after it costs nothing;
    // pandas' share is its own 1,417.2 ms plus pyarrow's 250.9 ms of the 2,527.1 ms total
    // (the model file's numbers with compile, no bytecode; boto3 203.5 without).
    assert_eq!(parts[3], 0.0);
    let want_share = (461.9 + 955.3 + 81.8 + 169.1) / 2527.1;
    assert!((parts[2] / total / want_share - 1.0).abs() < 1e-3);
    // Per function only.
    assert_eq!(s.get("total", "imports_ms.pandas"), None);
}

/// A workload file with one 1,000 ms module and noise `sigma`, next to a scenario using it;
/// keep-alive 0 so every invocation is cold and no sandbox is reused.
fn noise_scenario(sigma: f64) -> common::TempScenario {
    let (dir, path) = common::write(&forced_cold("workload.toml", 1024, "boost"));
    let head = HEAD.replace(
        "imports = [\"a\"]",
        &format!("imports = [\"a\"]\nimport_noise_sigma = {sigma}"),
    );
    std::fs::write(
        dir.path().join("workload.toml"),
        format!("{head}\n[[module]]\nname = \"a\"\ncpu_ms = 1000.0\n"),
    )
    .unwrap();
    let scenario = coldsim::config::load_scenario(&path).unwrap();
    common::TempScenario {
        dir,
        path,
        scenario,
    }
}

#[test]
fn import_noise_is_one_draw_per_cold_start_and_leaves_other_streams_alone() {
    let quiet = noise_scenario(0.0);
    let noisy = noise_scenario(0.1);
    let (_, a) = common::run_collect(&quiet.scenario);
    let (_, b) = common::run_collect(&noisy.scenario);
    assert_eq!(a.len(), b.len());
    assert!(a.len() > 3000);
    // Arrivals and handler times come from their own streams: identical.
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.request.arrival, y.request.arrival);
        assert_eq!(x.request.handler, y.request.handler);
    }
    // Without noise the import phase is exactly 1,000 ms; with sigma 0.1 its mean stays
    // 1,000 ms (mean-one noise; standard error 1,000 x 0.1 / sqrt(3,600) = 1.7 ms) and
    // its coefficient of variation is sqrt(exp(0.01) - 1) = 0.1003.
    let imports = |recs: &[coldsim::sim::InvocationRecord]| -> Vec<f64> {
        // init = runtime (constant 100 ms) + imports + user (0).
        recs.iter()
            .map(|r| r.request.init.as_us() as f64 / 1e3 - 100.0)
            .collect()
    };
    assert!(imports(&a).iter().all(|&t| (t - 1000.0).abs() < 1e-6));
    let v = imports(&b);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!((mean - 1000.0).abs() < 4.0 * 1.7, "mean {mean}");
    assert!((sd / mean - 0.1003).abs() < 0.01, "cv {}", sd / mean);
}

#[test]
fn bad_noise_sigma_and_boost_vcpus_are_input_errors() {
    let (code, err) = run_with_workload(&format!(
        "{}\n[[module]]\nname = \"a\"\n",
        HEAD.replace(
            "imports = [\"a\"]",
            "imports = [\"a\"]\nimport_noise_sigma = -0.1"
        )
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("import_noise_sigma"), "{err}");
    let (dir, path) = common::write(
        &forced_cold("models/workloads/python312-hello.toml", 1024, "boost").replace(
            "init_cpu = \"boost\"",
            "init_cpu = \"boost\"\ninit_boost_vcpus = 0.0",
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .args(["scenario", path.to_str().unwrap()])
        .output()
        .unwrap();
    drop(dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("platform.init_boost_vcpus"), "{err}");
}
