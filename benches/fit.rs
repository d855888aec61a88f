//! Cost of calibrating the whole lambda-perf file (390,759 rows read, split at 2024-06-30,
//! last regime detected and six families fitted in each of its 88 groups: python version x
//! packaging x arch x memory, read from the repository's gzip-compressed copy in data/), and
//! of calibrating one group: `fit_all` (six maximum-likelihood fits with standard errors) on
//! 15,000 values — synthetic shifted-lognormal ones and lambda-perf python 3.12 zip x86_64
//! init durations (14,596 values).

use std::hint::black_box;

use coldsim::calibrate::fit::{CleaningPolicy, FitData, fit_all, prepare};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The lambda-perf Python file shipped in data/.
fn lambda_perf_path() -> std::path::PathBuf {
    coldsim_benches::repo_file("data/lambda-perf/python-init-durations-2022-2024.csv.gz")
}

fn real_values() -> Vec<f64> {
    let path = lambda_perf_path();
    let file = coldsim::input::open(&path, coldsim::input::InputKind::Data).unwrap();
    let mut rdr = csv::Reader::from_reader(file);
    let mut x = Vec::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        if &r[1] == "python312" && &r[3] == "zip" && &r[5] == "x86_64" {
            x.push(r[7].parse::<f64>().unwrap());
        }
    }
    x
}

fn whole_file(c: &mut Criterion) {
    use coldsim::calibrate::groups::{SplitPolicy, fit_groups};
    use coldsim::calibrate::regime::RegimeRule;
    use coldsim::calibrate::source::{DataSource, ReaderKind};
    let source = DataSource {
        path: lambda_perf_path(),
        reader: ReaderKind::Csv,
        value: "init_duration_ms".into(),
        group: ["python_version", "packaging", "arch", "memory_mb"]
            .map(String::from)
            .to_vec(),
        time: Some("date".into()),
        filters: Vec::new(),
    };
    let split = SplitPolicy {
        train_until: coldsim::calibrate::Day::parse_prefix("2024-06-30"),
        regimes: Some(RegimeRule::default()),
        window_days: None,
        late_train_share: None,
    };
    let mut g = c.benchmark_group("calibrate");
    g.sample_size(10);
    g.bench_function("lambda_perf_whole_file_88_groups", |b| {
        b.iter(|| {
            let obs = source.load().unwrap();
            let groups = fit_groups(&obs, &split, &CleaningPolicy::default());
            assert_eq!(groups.len(), 88);
            black_box(groups)
        })
    });
    g.finish();
}

/// The whole all-runtimes recipe (issue 13's speed criterion: read 1.69 M rows from the
/// `.gz`, split, regimes, every family in each of 136 groups, 37 runtime models fitted
/// through the simulator, validation of 124 groups, reports), on a temporary copy of the
/// recipe and the platform model it reads so the shipped files are not rewritten.
fn all_runtimes_recipe(c: &mut Criterion) {
    let root = coldsim_benches::repo_file("");
    // The recipe's data path is looked up from the current directory: the repository root.
    std::env::set_current_dir(&root).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (sub, file) in [
        ("models/calibration", "lambda-perf-all.toml"),
        ("models/platform/calibrated", "lambda-perf.toml"),
    ] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        std::fs::copy(root.join(sub).join(file), dir.path().join(sub).join(file)).unwrap();
    }
    let recipe = dir.path().join("models/calibration/lambda-perf-all.toml");
    let mut g = c.benchmark_group("calibrate");
    g.sample_size(10);
    g.bench_function("lambda_perf_all_runtimes_recipe", |b| {
        b.iter(|| {
            let outcome = coldsim::calibrate::recipe::run_recipe(&recipe).unwrap();
            assert_eq!(outcome.runtimes.len(), 37);
            black_box(outcome.runtimes.len())
        })
    });
    g.finish();
}

fn fit(c: &mut Criterion) {
    let mut g = c.benchmark_group("fit");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let d = LogNormal::new(30.0_f64.ln(), 0.5).unwrap();
    let synthetic: Vec<f64> = (0..15_000)
        .map(|_| ((60.0 + d.sample(&mut rng)) * 100.0).round() / 100.0)
        .collect();
    let data = FitData::from_values(&synthetic);
    g.bench_function("fit_all_synthetic_15k", |b| {
        b.iter(|| black_box(fit_all(&data)))
    });
    g.bench_function("prepare_15k", |b| {
        b.iter(|| black_box(prepare(&synthetic, &CleaningPolicy::default())))
    });
    let data = FitData::from_values(&real_values());
    g.bench_function("fit_all_python312_zip_x86_64", |b| {
        b.iter(|| black_box(fit_all(&data)))
    });
    g.finish();
}

criterion_group!(benches, whole_file, all_runtimes_recipe, fit);
criterion_main!(benches);
