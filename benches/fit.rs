//! Cost of calibrating the whole lambda-perf file (390,759 rows read, split at 2024-06-30,
//! last regime detected and six families fitted in each of its 88 groups: python version x
//! packaging x arch x memory) when ../shared is present, and of calibrating one group: `fit_all` (six maximum-likelihood fits with standard
//! errors) on 15,000 values — synthetic shifted-lognormal ones and, when ../shared is
//! present, lambda-perf python 3.12 zip x86_64 init durations (14,596 values).

use std::hint::black_box;

use coldsim::calibrate::fit::{CleaningPolicy, FitData, fit_all, prepare};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

fn real_values() -> Option<Vec<f64>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/lambda-perf/python-init-durations-2022-2024.csv");
    let mut rdr = csv::Reader::from_path(path).ok()?;
    let mut x = Vec::new();
    for rec in rdr.records() {
        let r = rec.ok()?;
        if &r[1] == "python312" && &r[3] == "zip" && &r[5] == "x86_64" {
            x.push(r[7].parse::<f64>().ok()?);
        }
    }
    Some(x)
}

fn whole_file(c: &mut Criterion) {
    use coldsim::calibrate::groups::{SplitPolicy, fit_groups};
    use coldsim::calibrate::regime::RegimeRule;
    use coldsim::calibrate::source::{DataSource, ReaderKind};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/lambda-perf/python-init-durations-2022-2024.csv");
    if !path.exists() {
        return;
    }
    let source = DataSource {
        path,
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
    if let Some(x) = real_values() {
        let data = FitData::from_values(&x);
        g.bench_function("fit_all_python312_zip_x86_64", |b| {
            b.iter(|| black_box(fit_all(&data)))
        });
    } else {
        eprintln!("skipped real-data bench: ../shared/data not found");
    }
    g.finish();
}

criterion_group!(benches, whole_file, fit);
criterion_main!(benches);
