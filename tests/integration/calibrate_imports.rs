//! Import graphs folded from `python -X importtime` traces (src/calibrate/imports_model.rs)
//! and the calibrated data-science model they give (models/calibration/datasci.toml).

use crate::common;

use std::path::Path;

use coldsim::calibrate::imports_model::fold;
use coldsim::calibrate::read::importtime::{build_trace, read_importtime_file};
use coldsim::calibrate::read::{ImportEvent, ImportTrace};
use coldsim::calibrate::recipe::run_recipe;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn event(module: &str, self_us: u64, cumulative_us: u64, depth: u32) -> ImportEvent {
    ImportEvent {
        module: module.into(),
        self_us,
        cumulative_us,
        depth,
        parent: None,
    }
}

/// A handler importing `app` (which imports `big` (which imports `tiny`) and `small`), after
/// a runtime bootstrap module; print order, children first. µs.
fn trace(scale: u64) -> ImportTrace {
    build_trace(
        vec![format!("t{scale}")],
        vec![
            event("encodings", 500, 500, 0),
            event("tiny", scale, scale, 2),
            event("big", 30_000 * scale, 30_000 * scale + scale, 1),
            event("small", 2_000 * scale, 2_000 * scale, 1),
            event("app", 1_000 * scale, 33_000 * scale + scale, 0),
        ],
        true,
    )
}

#[test]
fn folding_keeps_big_modules_folds_small_ones_and_conserves_time() {
    // keep_from 10 ms: app (top), big (30 ms) kept; small (2 ms) folds into app, tiny into
    // big; the bootstrap module `encodings` is the runtime's and left out.
    let (a, b) = (trace(1), trace(2));
    let f = fold(&[&a, &b], &["app".to_string()], 10.0);
    let names: Vec<&str> = f.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["app", "big"]);
    assert_eq!(f.top, ["app"]);
    let app = &f.modules[0];
    let big = &f.modules[1];
    assert_eq!(app.imports, ["big"]);
    // Both traces are clean: mean over them. app: own 1,000 + small 2,000 µs (x1, x2) ->
    // mean 4.5 ms; big: 30,001 µs (x1, x2) -> mean 45.0015 ms.
    assert!((app.cpu_ms - 4.5).abs() < 1e-9, "{}", app.cpu_ms);
    assert!((big.cpu_ms - 45.0015).abs() < 1e-9, "{}", big.cpu_ms);
    // Conservation: the kept modules add up to the top import's mean cumulative time.
    assert!((app.cpu_ms + big.cpu_ms - f.total_ms).abs() < 1e-9);
    assert!((f.total_ms - 49.5015).abs() < 1e-9);
    // ln totals differ by ln 2 between two traces: sd = ln 2 / sqrt 2.
    let sd = std::f64::consts::LN_2 / std::f64::consts::SQRT_2;
    assert!((f.noise_sigma.unwrap() - sd).abs() < 1e-3);
}

#[test]
fn a_broken_trace_adds_to_the_costs_but_not_to_the_graph() {
    // A third trace cut short (its `app` line missing): `big` has no parent there. It counts
    // for nothing in the graph (taken from the clean traces) and its top import is missing,
    // so the costs and the totals stay those of the clean traces.
    let mut cut = trace(4);
    cut.events.pop();
    let cut = build_trace(cut.key.clone(), cut.events, true);
    assert!(cut.truncated);
    let (a, b) = (trace(1), trace(2));
    let f = fold(&[&a, &b, &cut], &["app".to_string()], 10.0);
    assert_eq!(f.structure_traces, 2);
    assert!((f.total_ms - 49.5015).abs() < 1e-9, "{}", f.total_ms);
}

#[test]
fn datasci_profiles_fold_to_their_measured_totals() {
    let path = common::data("datasci-perf/importtime_profiles_2023-12-08_us.csv");
    let all = read_importtime_file(&path).unwrap();
    let packaging = all
        .key_columns
        .iter()
        .position(|c| c == "packaging")
        .unwrap();
    let zip: Vec<&ImportTrace> = all
        .traces
        .iter()
        .filter(|t| t.key[packaging] == "zip")
        .collect();
    assert_eq!(zip.len(), 4);
    let tops: Vec<String> = [
        "boto3",
        "numpy",
        "pandas",
        "pyarrow.parquet",
        "aws_lambda_powertools",
    ]
    .map(String::from)
    .to_vec();
    let f = fold(&zip, &tops, 20.0);
    // The independent total: mean over the four zip traces of the top imports' depth-0
    // cumulative times, read straight from the events.
    let want: f64 = zip
        .iter()
        .map(|t| {
            t.events
                .iter()
                .filter(|e| e.depth == 0 && tops.contains(&e.module))
                .map(|e| e.cumulative_us as f64 / 1e3)
                .sum::<f64>()
        })
        .sum::<f64>()
        / 4.0;
    let got: f64 = f.modules.iter().map(|m| m.cpu_ms).sum();
    assert!((got - want).abs() < 1e-6 * want, "{got} vs {want}");
    assert!((f.total_ms - want).abs() < 1e-6 * want);
    // The graph: pandas imports pyarrow (pandas 2), numpy comes first on its own.
    let module = |n: &str| f.modules.iter().find(|m| m.name == n).unwrap();
    assert!(f.modules.len() <= 128);
    assert!(module("numpy").cpu_ms > 0.0);
    assert!(f.structure_traces >= 1);
}

#[test]
fn the_shipped_datasci_model_is_the_recipe_output_and_its_init_matches_the_measured_mean() {
    common::data("datasci-perf/importtime_profiles_2023-12-08_us.csv");
    let dir = tempfile::tempdir().unwrap();
    let cal = dir.path().join("models/calibration");
    let wl = dir.path().join("models/workloads/calibrated");
    std::fs::create_dir_all(&cal).unwrap();
    std::fs::create_dir_all(&wl).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("models/calibration/datasci.toml"),
        cal.join("datasci.toml"),
    )
    .unwrap();
    std::fs::copy(
        Path::new(ROOT).join("models/workloads/calibrated/python39-hello.toml"),
        wl.join("python39-hello.toml"),
    )
    .unwrap();
    run_recipe(&cal.join("datasci.toml")).unwrap_or_else(|e| panic!("{e:#}"));
    let strip = |p: &Path| {
        let t = std::fs::read_to_string(p).unwrap();
        t.split_once('\n').unwrap().1.to_string()
    };
    let shipped = Path::new(ROOT).join("models/workloads/calibrated/python39-datasci-zip.toml");
    assert!(
        strip(&wl.join("python39-datasci-zip.toml")) == strip(&shipped),
        "python39-datasci-zip.toml is out of date: `cargo run --release -- calibrate --recipe models/calibration/datasci.toml`"
    );
    // The seed's zip cold starts: mean Init Duration 3,003 ms over 1,024..10,240 MB
    // (init_duration_mean_by_pkg_mem_2023-11-27_28.csv: 3010, 3008, 2986, 3007). The
    // calibrated imports (2,527 ms), runtime and user init must land within 10%.
    let s = common::summary(&format!(
        r#"
[run]
duration = "2h"
seed = 3
[platform]
keep_alive = "1s"
[[function]]
name = "ds"
memory_mb = 1769
arch = "x86_64"
packaging = "zip"
workload = "{}"
handler = "1ms"
[[traffic]]
function = "ds"
kind = "poisson"
rate = 0.1
"#,
        shipped.display()
    ));
    let mean = s.get("ds", "init_duration_ms.mean").unwrap();
    assert!(
        (mean / 3003.0 - 1.0).abs() < 0.10,
        "init mean {mean} ms vs 3,003 measured"
    );
}
