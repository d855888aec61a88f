//! Same scenario and seed → byte-identical output, whatever the number of threads.

use crate::common;

use std::process::Command;

use coldsim::config::load_scenario;
use coldsim::report::json;
use coldsim::runner::run_scenario;

fn json_with_threads(path: &str, threads: usize) -> String {
    let sc = load_scenario(std::path::Path::new(path)).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let summary = pool.install(|| run_scenario(&sc, None, None)).unwrap();
    json::render(&summary)
}

#[test]
fn json_is_byte_identical_with_one_and_two_threads() {
    for path in [
        "scenarios/bursty.toml",
        "scenarios/trace.toml",
        "scenarios/zip-vs-image.toml",
    ] {
        let one = json_with_threads(path, 1);
        let two = json_with_threads(path, 2);
        assert!(one.len() > 1000);
        assert_eq!(one, two, "{path}");
    }
}

#[test]
fn cli_runs_twice_give_identical_bytes_and_another_seed_differs() {
    let run = |seed: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
            .args([
                "scenario",
                "scenarios/steady.toml",
                "--format",
                "json",
                "--seed",
                seed,
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(run("7"), run("7"));
    assert_ne!(run("7"), run("8"));
}

#[test]
fn adding_a_function_does_not_change_another_functions_arrivals() {
    // Named RNG streams: the arrivals of `a` depend on its own stream only.
    let base = r#"
[run]
duration = "1h"
[[function]]
name = "a"
memory_mb = 1769
handler = "10ms"
cold_start = "100ms"
[[traffic]]
function = "a"
kind = "poisson"
rate = 3
"#;
    let extra = format!(
        "{base}\n[[function]]\nname = \"b\"\nmemory_mb = 1769\nhandler = \"10ms\"\ncold_start = \"100ms\"\n[[traffic]]\nfunction = \"b\"\nkind = \"poisson\"\nrate = 7\n"
    );
    let a1 = common::summary(base);
    let a2 = common::summary(&extra);
    for key in ["arrivals", "cold_starts", "latency_ms.p99"] {
        assert_eq!(a1.get("a", key), a2.get("a", key), "{key}");
    }
}
