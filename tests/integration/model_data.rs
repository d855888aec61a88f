//! Models checked against the measurements in data/ (see common::data).

use crate::common;

use std::collections::BTreeMap;

use coldsim::config::scenario::handler_cpu_factor;
use coldsim::stats::histogram::nearest_rank;

/// (python version, packaging, arch, memory MB).
type Group = (String, String, String, u32);

/// Init durations (ms) of lambda-perf forced cold starts, by group.
fn lambda_perf() -> BTreeMap<Group, Vec<f64>> {
    let mut reader = common::data_csv("lambda-perf/python-init-durations-2022-2024.csv.gz");
    let mut groups: BTreeMap<_, Vec<f64>> = BTreeMap::new();
    for rec in reader.records() {
        let r = rec.unwrap();
        let key = (
            r[2].to_string(),
            r[3].to_string(),
            r[5].to_string(),
            r[4].parse::<u32>().unwrap(),
        );
        groups.entry(key).or_default().push(r[7].parse().unwrap());
    }
    groups
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[nearest_rank(q, sorted.len() as u64) as usize - 1]
}

/// Every invocation forced cold (keep-alive 0), as lambda-perf measures.
fn forced_cold(arch: &str, memory_mb: u32) -> String {
    format!(
        r#"
[run]
duration = "100h"
seed = 17
[platform]
keep_alive = "0s"
[[function]]
name = "hello"
memory_mb = {memory_mb}
arch = "{arch}"
workload = "models/workloads/python312-hello.toml"
handler = "1ms"
[[traffic]]
function = "hello"
kind = "poisson"
rate = 0.1
"#
    )
}

#[test]
fn hello_world_model_reproduces_lambda_perf_python312_zip_init_p50_and_p90() {
    let groups = lambda_perf();
    for arch in ["x86_64", "arm64"] {
        for memory in [128u32, 1024] {
            let mut data: Vec<f64> = groups
                .iter()
                .filter(|((v, p, a, _), _)| v == "3.12" && p == "zip" && a == arch)
                .flat_map(|(_, xs)| xs.iter().copied())
                .collect();
            data.sort_by(f64::total_cmp);
            let s = common::summary(&forced_cold(arch, memory));
            for (key, q) in [("p50", 0.5), ("p90", 0.9)] {
                let want = quantile(&data, q);
                let got = s.get("hello", &format!("init_duration_ms.{key}")).unwrap();
                // 10%: the accuracy the project promises for init percentiles.
                assert!(
                    (got / want - 1.0).abs() < 0.10,
                    "{arch} {memory} MB {key}: simulated {got:.1} ms vs data {want:.1} ms"
                );
            }
        }
    }
}

#[test]
fn lambda_perf_init_does_not_depend_on_memory_so_the_model_ignores_it() {
    // The premise of the init model: per-memory medians of python3.12 zip init differ by
    // less than 3% between 128 and 1,024 MB.
    let groups = lambda_perf();
    for arch in ["x86_64", "arm64"] {
        let median = |m: u32| {
            let mut v = groups[&("3.12".into(), "zip".into(), arch.into(), m)].clone();
            v.sort_by(f64::total_cmp);
            quantile(&v, 0.5)
        };
        let (small, large) = (median(128), median(1024));
        assert!(
            (small / large - 1.0).abs() < 0.03,
            "{arch}: {small} vs {large}"
        );
    }
}

#[test]
fn handler_time_scales_with_memory_as_the_2017_cpu_bound_measurements_do() {
    // theburningmonk 2017: first-invocation Duration of CPU-bound Java and C# functions at
    // 128..1,536 MB. The handler model, t(m) = t1 × ((1 − f) + f × 1769 / m), fitted with
    // one CPU-bound share f and one scale t1 per runtime (minimax over f, t1 by least
    // squares in log space), must put every memory size within 10% of the median.
    let mut reader = common::data_csv("coldstart-comparison-2017/results_parsed.csv.gz");
    let mut groups: BTreeMap<(String, u32), Vec<f64>> = BTreeMap::new();
    for rec in reader.records() {
        let r = rec.unwrap();
        if &r[3] == "memory" {
            groups
                .entry((r[1].to_string(), r[5].parse().unwrap()))
                .or_default()
                .push(r[7].parse().unwrap());
        }
    }
    for lang in ["java", "csharp"] {
        let points: Vec<(u32, f64)> = [128u32, 256, 512, 1024, 1536]
            .iter()
            .map(|&m| {
                let mut v = groups[&(lang.to_string(), m)].clone();
                v.sort_by(f64::total_cmp);
                (m, quantile(&v, 0.5))
            })
            .collect();
        let (worst, f) = (0..=1000)
            .map(|i| {
                let f = i as f64 / 1000.0;
                let ln_t1 = points
                    .iter()
                    .map(|&(m, t)| t.ln() - handler_cpu_factor(m, f, 1).ln())
                    .sum::<f64>()
                    / points.len() as f64;
                let worst = points
                    .iter()
                    .map(|&(m, t)| (ln_t1.exp() * handler_cpu_factor(m, f, 1) / t - 1.0).abs())
                    .fold(0.0, f64::max);
                (worst, f)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap();
        assert!(worst < 0.10, "{lang}: worst error {worst:.3} at f = {f}");
        assert!(
            f > 0.8,
            "{lang}: these handlers are CPU-bound, fitted f = {f}"
        );
    }
}

/// The datasci workload model file, parsed.
fn datasci_model() -> coldsim::config::file::WorkloadFile {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/workloads/python39-datasci.toml"
    );
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

use super::common::median;

#[test]
fn datasci_module_costs_match_the_importtime_profiles() {
    // Recomputes every [[module]] cost of models/workloads/python39-datasci.toml as its
    // header describes: run + compile = mean over the four zip streams of the -X importtime
    // cumulative time (pyarrow: its entry under pandas; pandas: minus pyarrow); run share =
    // median image p95 / median zip p95 over the warm hours 2023-11-28 (pyarrow takes
    // pandas' share); boto3 ships bytecode, all run. Tolerance: 1% or 0.1 ms (rounding).
    let profiles = common::data("datasci-perf/importtime_profiles_2023-12-08_us.csv");
    let p95 = common::data("datasci-perf/module-load-p95-by-hour.csv");
    let tops = [
        "boto3",
        "numpy",
        "pandas",
        "pyarrow.parquet",
        "aws_lambda_powertools",
    ];
    // (memory, module) -> cumulative µs.
    let mut cum: BTreeMap<(u32, String), f64> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(profiles).unwrap();
    for rec in reader.records() {
        let r = rec.unwrap();
        if &r[1] != "zip" {
            continue;
        }
        let (module, depth) = (&r[9], &r[8]);
        if (depth == "0" && tops.contains(&module)) || module == "pyarrow" {
            cum.insert(
                (r[3].parse().unwrap(), module.to_string()),
                r[7].parse().unwrap(),
            );
        }
    }
    let memories = [1024u32, 1769, 3538, 10240];
    let mean_ms = |f: &dyn Fn(u32) -> f64| {
        memories.iter().map(|&m| f(m)).sum::<f64>() / memories.len() as f64 / 1e3
    };
    let get = |m: u32, name: &str| cum[&(m, name.to_string())];
    let total = |name: &str| -> f64 {
        match name {
            "pandas" => mean_ms(&|m| get(m, "pandas") - get(m, "pyarrow")),
            other => mean_ms(&|m| get(m, other)),
        }
    };
    let mut reader = csv::Reader::from_path(p95).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let share = |column: &str| -> f64 {
        let c = headers.iter().position(|h| h == column).unwrap();
        let med = |pkg: &str| {
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| &r[0] == pkg && r[2].starts_with("2023-11-28"))
                .map(|r| r[c].parse().unwrap())
                .collect();
            median(&v)
        };
        med("image") / med("zip")
    };
    let wf = datasci_model();
    assert_eq!(
        wf.bytecode,
        Some(false),
        "the seed's zip build stripped .pyc"
    );
    for (name, column) in [
        ("boto3", None),
        ("numpy", Some("numpy_ms")),
        ("pyarrow", Some("pandas_ms")),
        ("pandas", Some("pandas_ms")),
        ("pyarrow.parquet", Some("parquet_ms")),
        ("aws_lambda_powertools", Some("powertools_ms")),
    ] {
        let t = total(name);
        let run_share = column.map_or(1.0, share);
        let (want_cpu, want_compile) = (t * run_share, t * (1.0 - run_share));
        let m = wf.modules.iter().find(|m| m.name == name).unwrap();
        let (cpu, compile) = (m.cpu_ms.unwrap_or(0.0), m.compile_ms.unwrap_or(0.0));
        for (what, got, want) in [
            ("cpu_ms", cpu, want_cpu),
            ("compile_ms", compile, want_compile),
        ] {
            assert!(
                (got - want).abs() <= (0.01 * want).max(0.1),
                "{name}.{what}: model {got} vs data {want:.2}"
            );
        }
        assert_eq!(m.bytecode, (name == "boto3").then_some(true), "{name}");
    }
    // The noise: sd of ln(total import time) over the four zip streams.
    let ln_totals: Vec<f64> = memories
        .iter()
        .map(|&m| tops.iter().map(|t| get(m, t)).sum::<f64>().ln())
        .collect();
    let mean_ln = ln_totals.iter().sum::<f64>() / 4.0;
    let sd = (ln_totals.iter().map(|x| (x - mean_ln).powi(2)).sum::<f64>() / 3.0).sqrt();
    let sigma = wf.import_noise_sigma.unwrap();
    assert!((sigma - sd).abs() < 0.001, "sigma {sigma} vs data {sd:.4}");
}

#[test]
fn python39_zip_runtime_init_quantiles_match_lambda_perf() {
    // The datasci model's runtime init is a lognormal through lambda-perf's python 3.9 zip
    // p50 and p90 (all memory sizes pooled), as the hello model does for 3.12: recompute
    // them (nearest rank) and check the model file's numbers within 0.1 ms.
    let groups = lambda_perf();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/workloads/python39-datasci.toml"
    );
    let model: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for arch in ["x86_64", "arm64"] {
        let mut data: Vec<f64> = groups
            .iter()
            .filter(|((v, p, a, _), _)| v == "3.9" && p == "zip" && a == arch)
            .flat_map(|(_, xs)| xs.iter().copied())
            .collect();
        data.sort_by(f64::total_cmp);
        for (key, q) in [("median", 0.5), ("p90", 0.9)] {
            let text = model["init"]["runtime"][arch][key].as_str().unwrap();
            let got: f64 = text.trim_end_matches("ms").parse().unwrap();
            let want = quantile(&data, q);
            assert!(
                (got - want).abs() <= 0.1,
                "{arch} {key}: model {got} ms vs data {want} ms"
            );
        }
    }
}

#[test]
fn datasci_zip_init_duration_mean_matches_the_measured_zip_mean_at_every_memory() {
    // init_duration_mean_by_pkg_mem_2023-11-27_28.csv: zip means 3,010 / 3,008 / 2,986 /
    // 3,007 ms at 1,024 / 1,769 / 3,538 / 10,240 MB. The model's parts come from other
    // files (importtime profiles, module-load p95s, lambda-perf), so this is an independent
    // check. Tolerance 10%, the accuracy the project promises for init figures.
    let mut reader =
        common::data_csv("datasci-perf/init_duration_mean_by_pkg_mem_2023-11-27_28.csv");
    for rec in reader.records() {
        let r = rec.unwrap();
        if &r[0] != "zip" {
            continue;
        }
        let memory: u32 = r[1].parse().unwrap();
        let want: f64 = r[2].parse().unwrap();
        let scenario = format!(
            r#"
[run]
duration = "100h"
seed = 29
[platform]
keep_alive = "0s"
[[function]]
name = "f"
memory_mb = {memory}
workload = "models/workloads/python39-datasci.toml"
handler = "100ms"
[[traffic]]
function = "f"
kind = "poisson"
rate = 0.05
"#
        );
        let got = common::summary(&scenario)
            .get("f", "init_duration_ms.mean")
            .unwrap();
        eprintln!("zip {memory} MB: simulated init mean {got:.1} ms vs measured {want} ms");
        assert!(
            (got / want - 1.0).abs() < 0.10,
            "zip {memory} MB: simulated init mean {got:.1} ms vs measured {want} ms"
        );
    }
}

#[test]
fn datasci_image_read_sizes_are_the_first_bursts_extra_time_over_the_origin_latency() {
    // Recomputes read_mb of every module of models/workloads/python39-datasci.toml as its
    // header describes: extra = first image burst p95 (2023-11-27 19:00) − median of the
    // warm hours (2023-11-28), chunks = extra / mean origin latency (lognormal median 36 ms,
    // p99.9 175 ms: 41.04 ms), MB = chunks × 0.524288; pandas' extra (pandas with pyarrow)
    // split by installed size, pandas 61 : pyarrow 125 (facts.md §3). Tolerance: 0.05 MB
    // (the file rounds to 0.1 MB).
    let p95 = common::data("datasci-perf/module-load-p95-by-hour.csv");
    let mut reader = csv::Reader::from_path(p95).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let extra_ms = |column: &str| -> f64 {
        let c = headers.iter().position(|h| h == column).unwrap();
        let image = |pred: &dyn Fn(&str) -> bool| -> Vec<f64> {
            rows.iter()
                .filter(|r| &r[0] == "image" && pred(&r[2]))
                .map(|r| r[c].parse().unwrap())
                .collect()
        };
        let first = image(&|h| h == "2023-11-27 19:00")[0];
        first - median(&image(&|h| h.starts_with("2023-11-28")))
    };
    let sigma = (175.0f64 / 36.0).ln() / 3.090_232_306_167_813;
    let origin_mean_ms = 36.0 * (sigma * sigma / 2.0).exp();
    assert!((origin_mean_ms - 41.04).abs() < 0.01, "{origin_mean_ms}");
    let mb = |ms: f64| ms / origin_mean_ms * 0.524_288;
    let pandas_and_pyarrow = mb(extra_ms("pandas_ms"));
    let want = [
        ("numpy", mb(extra_ms("numpy_ms"))),
        ("pandas", pandas_and_pyarrow * 61.0 / 186.0),
        ("pyarrow", pandas_and_pyarrow * 125.0 / 186.0),
        ("pyarrow.parquet", mb(extra_ms("parquet_ms"))),
        ("aws_lambda_powertools", mb(extra_ms("powertools_ms"))),
    ];
    let wf = datasci_model();
    for (name, want_mb) in want {
        let m = wf.modules.iter().find(|m| m.name == name).unwrap();
        let got = m.read_mb.unwrap_or(0.0);
        assert!(
            (got - want_mb).abs() <= 0.05,
            "{name}.read_mb: model {got} vs data {want_mb:.3}"
        );
    }
    // boto3's image and warm p95s agree (252 vs 236 ms: 0.4 chunk): it reads nothing new.
    let boto3 = wf.modules.iter().find(|m| m.name == "boto3").unwrap();
    assert!(mb(extra_ms("boto3_ms")) < 0.25 && boto3.read_mb.is_none());
}
