//! Speed requirement of the cold-start anatomy: a scenario whose invocations are ~1% cold on
//! a 1 GiB image (benches/image-1pct.toml, 130 chunk reads per cold start through the tiers)
//! against the same scenario with an abstract `cold_start` (benches/override-1pct.toml).
//! Invocations simulated per second of wall time, one replication, one thread. The
//! `image_setup` case runs the image scenario for one simulated second: the fixed cost of
//! building the fleet (solving the worker and AZ caches' characteristic times), which the
//! image scenario pays once per replication and the override scenario not at all.

use coldsim_benches::repo_file;

use coldsim::config::{Scenario, load_scenario};
use coldsim::sim;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn invocations(sc: &Scenario) -> u64 {
    sim::run(sc, 0, None, None)
        .expect("run")
        .functions
        .iter()
        .map(|f| f.invocations)
        .sum()
}

fn image_vs_override(c: &mut Criterion) {
    let mut g = c.benchmark_group("cold_1pct");
    g.sample_size(10);
    for name in ["image-1pct", "override-1pct"] {
        let sc = load_scenario(&repo_file(&format!("benches/{name}.toml"))).expect("scenario");
        g.throughput(Throughput::Elements(invocations(&sc)));
        g.bench_function(name, |b| {
            b.iter(|| sim::run(&sc, 0, None, None).expect("run"))
        });
    }
    let mut setup = load_scenario(&repo_file("benches/image-1pct.toml")).expect("scenario");
    setup.duration = coldsim::engine::SimDuration::from_secs_f64(1.0);
    g.throughput(Throughput::Elements(1));
    g.bench_function("image_setup", |b| {
        b.iter(|| sim::run(&setup, 0, None, None).expect("run"))
    });
    g.finish();
}

criterion_group!(benches, image_vs_override);
criterion_main!(benches);
