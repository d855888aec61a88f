//! Models checked against the measurements in ../shared/data (see common::shared_data).

mod common;

use std::collections::BTreeMap;

use coldsim::config::scenario::handler_cpu_factor;
use coldsim::stats::histogram::nearest_rank;

/// (python version, packaging, arch, memory MB).
type Group = (String, String, String, u32);

/// Init durations (ms) of lambda-perf forced cold starts, by group.
fn lambda_perf() -> Option<BTreeMap<Group, Vec<f64>>> {
    let path = common::shared_data("lambda-perf/python-init-durations-2022-2024.csv")?;
    let mut reader = csv::Reader::from_path(path).unwrap();
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
    Some(groups)
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
    let Some(groups) = lambda_perf() else { return };
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
    let Some(groups) = lambda_perf() else { return };
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
    let Some(path) = common::shared_data("coldstart-comparison-2017/results_parsed.csv") else {
        return;
    };
    let mut reader = csv::Reader::from_path(path).unwrap();
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
