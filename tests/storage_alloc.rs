//! Reading chunks allocates nothing once the caches are warm, and memory is bounded by the
//! cache capacities, not by the number of reads. A counting global allocator, so this file
//! holds one test and its process counts only this run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use coldsim::engine::{RngStreams, SimTime};
use coldsim::storage::background::BackgroundLoad;
use coldsim::storage::cache::ChunkCache;
use coldsim::storage::chunk::{ImageVersion, Layer, MB};
use coldsim::storage::fleet::{
    AzId, CacheModel, CacheSpec, Fleet, FleetSpec, RandomPlacement, WorkerId,
};
use coldsim::storage::layout::{DEFAULT_READ_FRACTION, ReadSet};
use rand::Rng as _;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Cold starts of 20 images (shared python base, own 40 MB app layers: 63 chunks read
/// each) at 10 per second, placed at random.
fn run(
    fleet: &mut Fleet,
    reads: &[ReadSet],
    from_s: f64,
    n: u32,
    rng: &mut coldsim::engine::Rng,
) -> u64 {
    let mut chunks = 0;
    for i in 0..n {
        let now = SimTime(((from_s + i as f64 * 0.1) * 1e6) as u64);
        let k = rng.random_range(0..reads.len());
        let w = fleet.place(k as u32).worker;
        chunks += fleet.read(w, reads[k].chunks(), now).served.total();
    }
    chunks
}

#[test]
fn warm_caches_read_without_allocating_and_hold_at_most_their_capacity() {
    let reads: Vec<ReadSet> = (0..20)
        .map(|k| {
            let name = format!("f{k}");
            let v = ImageVersion::build(
                &name,
                &[
                    Layer::new("public.ecr.aws/lambda/python:3.9", 500 * MB),
                    Layer::new(&name, 40 * MB),
                ],
            )
            .unwrap();
            ReadSet::sampled(&v, DEFAULT_READ_FRACTION).unwrap()
        })
        .collect();
    for model in [CacheModel::ExplicitLru, CacheModel::CharacteristicTime] {
        let cache = |capacity_chunks, n_chunks, rate_per_s| CacheSpec {
            capacity_chunks,
            background: Some(BackgroundLoad {
                n_chunks,
                zipf_alpha: 0.8,
                rate_per_s,
            }),
            model,
        };
        let spec = FleetSpec {
            azs: 2,
            workers_per_az: 3,
            worker_cache: cache(2_000, 100_000, 2_000.0),
            az_cache: cache(20_000, 1_000_000, 10_000.0),
            ..FleetSpec::default()
        };
        let streams = RngStreams::new(9);
        let mut fleet = Fleet::new(&spec, Box::new(RandomPlacement), &streams).unwrap();
        let mut rng = streams.stream("test", "");
        // Warm-up: 2,000 cold starts over 200 s; in explicit mode ~400k background reads
        // per worker and 2M per AZ fill every cache.
        run(&mut fleet, &reads, 0.0, 2_000, &mut rng);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let chunks = run(&mut fleet, &reads, 200.0, 2_000, &mut rng);
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        eprintln!("{model:?}: {chunks} chunk reads after warm-up, {allocations} allocations");
        assert!(chunks > 100_000);
        match model {
            // A full LRU never grows again.
            CacheModel::ExplicitLru => assert_eq!(allocations, 0),
            // The Che cache holds the caller's chunks seen within T_C; its storage grows only
            // at a new high-water mark, a handful of doublings at most, never per read.
            CacheModel::CharacteristicTime => assert!(allocations <= 16, "{allocations}"),
        }
        for w in 0..fleet.n_workers() {
            assert!(fleet.worker_cache(WorkerId(w)).len() <= 2_000);
        }
        for a in 0..fleet.n_azs() {
            assert!(fleet.az_cache(AzId(a)).len() <= 20_000);
        }
        if model == CacheModel::ExplicitLru {
            assert_eq!(fleet.worker_cache(WorkerId(0)).len(), 2_000);
            assert_eq!(fleet.az_cache(AzId(0)).len(), 20_000);
        }
    }
}
