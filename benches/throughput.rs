//! End-to-end simulation throughput on the reference workload (scenarios/reference.toml):
//! invocations simulated per second of wall time on one core, one replication.

use coldsim_benches::repo_file;

use coldsim::config::load_scenario;
use coldsim::sim;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn reference(c: &mut Criterion) {
    let sc = load_scenario(&repo_file("scenarios/reference.toml")).expect("reference scenario");
    let invocations: u64 = sim::run(&sc, 0, None, None)
        .expect("run")
        .functions
        .iter()
        .map(|f| f.invocations)
        .sum();
    let mut g = c.benchmark_group("reference_4h");
    g.sample_size(10);
    g.throughput(Throughput::Elements(invocations));
    g.bench_function("one_replication", |b| {
        b.iter(|| sim::run(&sc, 0, None, None).expect("run"))
    });
    g.finish();
}

criterion_group!(benches, reference);
criterion_main!(benches);
