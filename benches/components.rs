//! Costs of the hot-path pieces, to see where an invocation's time goes: recording into a
//! histogram, drawing a lognormal handler time, generating Poisson arrivals, a push/pop
//! pair on the event queue, and a chunk-cache access (explicit LRU and characteristic-time).

use std::hint::black_box;

use coldsim::engine::{Dist, EventQueue, Rng, SimDuration, SimTime};
use coldsim::stats::Histogram;
use coldsim::storage::background::{BackgroundLoad, CharacteristicTime};
use coldsim::storage::cache::{CharacteristicTimeCache, ChunkCache, LruCache};
use coldsim::traffic::{ArrivalProcess, ArrivalStream, Poisson};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;

const N: u64 = 100_000;

fn components(c: &mut Criterion) {
    let mut g = c.benchmark_group("components");
    g.throughput(Throughput::Elements(N));

    let handler = Dist::lognormal_median_p99(SimDuration::from_ms(100), SimDuration::from_ms(1000));
    let mut rng = Rng::seed_from_u64(1);
    let values: Vec<u64> = (0..N).map(|_| handler.sample(&mut rng).as_us()).collect();

    g.bench_function("histogram_record", |b| {
        b.iter(|| {
            let mut h = Histogram::new();
            for &v in &values {
                h.record(v);
            }
            black_box(h.count())
        })
    });
    g.bench_function("lognormal_sample", |b| {
        let mut rng = Rng::seed_from_u64(2);
        b.iter(|| {
            (0..N)
                .map(|_| handler.sample(&mut rng).as_us())
                .sum::<u64>()
        })
    });
    g.bench_function("poisson_arrivals", |b| {
        let p = ArrivalProcess::Poisson(Poisson { rate_per_s: 10.0 });
        b.iter(|| {
            let mut s = ArrivalStream::new(&p, Rng::seed_from_u64(3)).expect("stream");
            (0..N).filter_map(|_| s.next_arrival()).last()
        })
    });
    g.bench_function("queue_push_pop_at_depth_128", |b| {
        b.iter(|| {
            let mut q = EventQueue::new();
            for i in 0..128u64 {
                q.push(SimTime(values[i as usize]), i);
            }
            let mut t = 0u64;
            for i in 0..N {
                let (now, _) = q.pop().expect("event");
                t = now.0;
                q.push(SimTime(t + values[i as usize]), i);
            }
            black_box(t)
        })
    });

    // A warm 20,480-chunk cache under Zipf(0.8) requests over 1M chunks (about half hits).
    let load = BackgroundLoad {
        n_chunks: 1_000_000,
        zipf_alpha: 0.8,
        rate_per_s: 1.0,
    };
    let mut stream = load.stream("bench", Rng::seed_from_u64(4)).expect("stream");
    let ids: Vec<_> = (0..N)
        .map(|_| {
            let r = stream.next_rank();
            stream.chunk_of_rank(r)
        })
        .collect();
    g.bench_function("storage_lru_access", |b| {
        let mut lru = LruCache::new(20_480);
        ids.iter().for_each(|&id| _ = lru.touch(id));
        b.iter(|| {
            ids.iter()
                .filter(|&&id| lru.access(id, SimTime::ZERO).is_hit())
                .count()
        })
    });
    g.bench_function("storage_che_access", |b| {
        let mut che = CharacteristicTimeCache::new(20_480, CharacteristicTime { t_c_s: 1e9 });
        let mut t = 0u64;
        b.iter(|| {
            ids.iter()
                .filter(|&&id| {
                    t += 10;
                    che.access(id, SimTime(t)).is_hit()
                })
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, components);
criterion_main!(benches);
