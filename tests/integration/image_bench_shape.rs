//! The speed benchmark's scenarios (benches/image.rs) have the shape the requirement asks
//! for: about 1% of invocations cold, on a 1 GiB image whose cold starts read ~130 chunks.

use std::path::Path;

use coldsim::config::load_scenario;
use coldsim::runner::run_scenario;
use coldsim::stats::figures::Summary;

fn summary(file: &str) -> Summary {
    let sc = load_scenario(Path::new(file)).expect("benchmark scenario loads");
    run_scenario(&sc, None, None).expect("run")
}

/// P(cold) ≈ exp(−λK) with λ = 0.1/s and K = 46 s is 1.005%; arrivals during a cold start
/// (≈ 1 s, λ·1 s ≈ 0.1 per cold start) add ~10% of that: ~1.1%. Tolerance: the band the
/// requirement allows, 0.5% to 2% (the run has ~4,800 expected cold starts, so the
/// binomial sd of the fraction is ~0.015 points: far inside the band).
fn assert_about_one_percent_cold(s: &Summary) {
    let f = s.get("api", "cold_fraction").expect("cold_fraction");
    assert!((0.005..=0.02).contains(&f), "cold fraction {f}");
    let expected = (-0.1f64 * 46.0).exp();
    assert!(
        (f / expected - 1.0).abs() < 0.3,
        "cold fraction {f} vs exp(-λK) {expected}"
    );
}

#[test]
fn image_benchmark_is_one_percent_cold_and_reads_130_chunks_per_cold_start() {
    let s = summary("benches/image-1pct.toml");
    assert_about_one_percent_cold(&s);
    let cold = s.get("api", "cold_starts").expect("cold_starts");
    let reads: f64 = ["cache.worker", "cache.az", "cache.origin"]
        .iter()
        .map(|k| s.get("api", k).expect(k))
        .sum();
    // Runtime 10 MB + numpy 25 MB + pandas 30 MB + app 2 MB, each rounded up to whole
    // 512 KiB chunks: 20 + 48 + 58 + 4 = 130, read by every cold start (no lazy imports).
    // Exact: every read is counted once in one tier.
    assert_eq!(reads, 130.0 * cold, "{reads} reads for {cold} cold starts");
}

#[test]
fn image_benchmark_workload_is_a_1_gib_image_and_init_reads_about_6_5_percent_of_it() {
    let text = std::fs::read_to_string("benches/image-1gib-workload.toml").expect("read");
    let v: toml::Value = toml::from_str(&text).expect("toml");
    let layers = v["package"]["image"]["layer"].as_array().expect("layers");
    let total_mb: f64 = layers
        .iter()
        .map(|l| l["size_mb"].as_float().expect("size_mb"))
        .sum();
    // 1 GiB = 1,073.741824 MB; tolerance one byte.
    assert!(
        (total_mb * 1e6 - (1u64 << 30) as f64).abs() < 1.0,
        "{total_mb} MB"
    );
    // 130 chunks of 512 KiB = 6.35% of 1 GiB; the requirement's ~6.5%, within 0.5 points.
    let share = 130.0 * 524_288.0 / (1u64 << 30) as f64;
    assert!((share - 0.065).abs() < 0.005, "{share}");
}

#[test]
fn override_benchmark_is_the_same_traffic_and_about_one_percent_cold() {
    let s = summary("benches/override-1pct.toml");
    assert_about_one_percent_cold(&s);
    let image = summary("benches/image-1pct.toml");
    // Same seed, traffic and handler: the same arrivals exactly.
    assert_eq!(s.get("api", "arrivals"), image.get("api", "arrivals"));
    assert_eq!(s.get("api", "cache.worker"), Some(0.0));
}
