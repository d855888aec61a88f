//! Cost of calibrating one group: `fit_all` (six maximum-likelihood fits with standard
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

criterion_group!(benches, fit);
criterion_main!(benches);
