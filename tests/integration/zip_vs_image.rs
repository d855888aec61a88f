//! The seed article's experiment (scenarios/zip-vs-image.toml): its findings must come out of
//! the mechanism (chunk caches, bytecode, CPU), not out of constants per packaging. Data:
//! data/datasci-perf/ (module-load-p95-by-hour.csv,
//! init_duration_mean_by_pkg_mem_2023-11-27_28.csv).

use crate::common;

use coldsim::stats::figures::Summary;

/// The scenario file, its text rewritten by `edit` (to measure one burst or the later ones).
fn run_edited(edit: impl Fn(String) -> String) -> Summary {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/zip-vs-image.toml");
    let text = std::fs::read_to_string(&path).expect("scenario file");
    let text = edit(text).replace(
        "workload = \"models/workloads/",
        &format!(
            "workload = \"{}/models/workloads/",
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    common::summary(&text)
}

/// Only the first burst (the fresh deploy at t = 0).
fn first_burst() -> Summary {
    run_edited(|t| t.replace("duration = \"850m\"", "duration = \"1h\""))
}

/// The four later bursts, after the first has filled the caches (not counted).
fn later_bursts() -> Summary {
    run_edited(|t| {
        t.replace(
            "duration = \"850m\"",
            "duration = \"850m\"\nwarmup = \"1h\"",
        )
    })
}

fn get(s: &Summary, f: &str, key: &str) -> f64 {
    s.get(f, key).unwrap_or_else(|| panic!("{f}: no {key}"))
}

#[test]
fn the_first_image_burst_after_a_fresh_deploy_is_slower_than_zip_at_its_tail() {
    let s = first_burst();
    let later = later_bursts();
    let image_p95 = get(&s, "image", "init_duration_ms.p95");
    let zip_p95 = get(&s, "zip", "init_duration_ms.p95");
    // Seed article: "95% of image-based functions were taking up to 9 seconds" while zip took
    // ~3 s. Since async events go through the event queue's ramping pollers (5 concurrent
    // at first, +5 per second), only the burst's first few dozen sandboxes init while the
    // image's chunks are still at the origin; those make the tail: p95 ~4 s, 30% above
    // zip (it was 4.5 s and all 1,000 sandboxes slow when every event started at once).
    // The finding we hold it to: several seconds, and at least 20% above zip.
    assert!(image_p95 > 3_500.0, "image p95 {image_p95} ms");
    assert!(
        image_p95 > 1.2 * zip_p95,
        "image p95 {image_p95} vs zip {zip_p95}"
    );
    // The cause is the mechanism: reads went to the origin, and the other sandboxes of the
    // burst waited for those fetches (coalesced reads).
    assert!(get(&s, "image", "cache.origin") > 0.0);
    assert!(get(&s, "image", "cache.coalesced") > 0.0);
    // Per module, the first burst's imports are slower than the later bursts' (the chunk
    // fetches), most for the modules with the most unique bytes: pandas, parquet,
    // powertools at least 20% slower on average over the burst.
    for module in ["pandas", "pyarrow/parquet", "aws_lambda_powertools"] {
        let key = format!("imports_ms.{module}");
        let (first, warm) = (get(&s, "image", &key), get(&later, "image", &key));
        assert!(
            first > 1.2 * warm,
            "{module}: first {first} vs later {warm}"
        );
    }
}

/// Sandboxes created per burst, per function, from an invocation stream (bursts are hours
/// apart, so the hour of the arrival names the burst).
fn sandboxes_per_burst() -> std::collections::BTreeMap<(String, u64), u64> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/zip-vs-image.toml");
    let text = std::fs::read_to_string(&path)
        .expect("scenario file")
        .replace(
            "workload = \"models/workloads/",
            &format!(
                "workload = \"{}/models/workloads/",
                env!("CARGO_MANIFEST_DIR")
            ),
        );
    let sc = common::load(&text);
    let (_, recs) = common::run_collect(&sc.scenario);
    let mut out = std::collections::BTreeMap::new();
    for r in recs.iter().filter(|r| r.request.cold) {
        let name = sc.scenario.functions[r.function as usize].name.clone();
        let hour = r.request.arrival.as_us() / 3_600_000_000;
        *out.entry((name, hour)).or_insert(0) += 1;
    }
    out
}

/// Band: the per-burst spread of the data (data/datasci-perf/cold_starts_per_batch.csv,
/// sandboxes per function per burst of 2,000). Zip and zip_layers: 18-104 in the
/// 2023-11-27/28 run (four functions per packaging, columns / 4) and 87-137 in the
/// 2023-11-13 run (one function per packaging, its bursts 5-10): 18..=137. Image with its
/// chunks cached (every burst but the first after the deploy): 5.75-45.5 and 40-80:
/// 5..=80, and fewer than zip in the same burst (as in every burst of the data). The count
/// comes out of the pollers' ramp (5 + 300 per minute, as documented for SQS) against the
/// cold latency: nothing in the scenario is tuned to it. Not reproduced: the image's
/// 213.5 per function right after the deploy (the model gives ~68, see the first-burst
/// test: its slow inits reach only the first sandboxes).
#[test]
fn sandboxes_per_burst_come_out_of_the_event_queue_within_the_datas_spread() {
    let counts = sandboxes_per_burst();
    let bursts = [0u64, 2, 12, 13, 14];
    for f in ["zip", "zip_layers"] {
        for b in bursts {
            let n = counts[&(f.to_string(), b)];
            assert!((18..=137).contains(&n), "{f} burst at {b} h: {n} sandboxes");
        }
    }
    for b in &bursts[1..] {
        let image = counts[&("image".to_string(), *b)];
        let zip = counts[&("zip".to_string(), *b)];
        assert!((5..=80).contains(&image), "image burst at {b} h: {image}");
        assert!(image < zip, "burst at {b} h: image {image} vs zip {zip}");
    }
}

#[test]
fn from_the_second_burst_on_image_init_is_faster_than_zip_and_zip_is_stable() {
    let first = first_burst();
    let later = later_bursts();
    let image = get(&later, "image", "init_duration_ms.p50");
    let zip = get(&later, "zip", "init_duration_ms.p50");
    // Data (module-load-p95-by-hour.csv, later hours): image imports total 1.2–1.75 s vs zip
    // 2.9–3.7 s. Hold the model to image at most 75% of zip.
    assert!(
        image < 0.75 * zip,
        "later bursts: image p50 {image} vs zip {zip}"
    );
    // Caches: nothing from the origin any more (the AZ cache kept the image over 12 h).
    assert_eq!(get(&later, "image", "cache.origin"), 0.0);
    // Zip does not cache anything: the first burst and the later ones agree within 3% at
    // p50 (~80 cold starts per burst, import noise sigma 0.055: sampling error ~0.8%).
    let zip_first = get(&first, "zip", "init_duration_ms.p50");
    assert!(
        (zip_first / zip - 1.0).abs() < 0.03,
        "zip first {zip_first} vs later {zip}"
    );
    // Warm-cache image imports per module against the data's later-hour p95s (median of
    // 07:00–09:00): pandas 588, numpy 217, parquet 59 ms; within 25%.
    for (module, data_ms) in [
        ("pandas", 588.0),
        ("numpy", 217.0),
        ("pyarrow/parquet", 59.0),
    ] {
        let sim = get(&later, "image", &format!("imports_ms.{module}"));
        assert!(
            (sim / data_ms - 1.0).abs() < 0.25,
            "{module}: sim {sim} vs data {data_ms}"
        );
    }
}

#[test]
fn zip_with_layers_is_a_few_percent_slower_than_zip_and_both_match_the_measured_means() {
    let s = run_edited(|t| t);
    let zip = get(&s, "zip", "init_duration_ms.mean");
    let layers = get(&s, "zip_layers", "init_duration_ms.mean");
    // Data (init_duration_mean_by_pkg_mem, 1,024 MB): zip 3,010, zip_layers 3,264 ms
    // (+8.4%); the seed article: "about 10% worse". Accept +2% to +15%.
    let ratio = layers / zip;
    assert!((1.02..1.15).contains(&ratio), "zip_layers / zip = {ratio}");
    // Each within 10% of its measured mean.
    assert!((zip / 3_010.0 - 1.0).abs() < 0.10, "zip mean {zip}");
    assert!(
        (layers / 3_264.0 - 1.0).abs() < 0.10,
        "zip_layers mean {layers}"
    );
    // Layers are delivered as three archives: more code-fetch time per byte than one zip
    // would have (one first byte per archive) but fewer bytes than the stripped zip here.
    assert!(get(&s, "zip_layers", "phases_ms.code_fetch") > 0.0);
    // ZIP code delivery happens before init: in cold latency, never in Init Duration.
    let zip_cold = get(&s, "zip", "cold_latency_ms.mean");
    let fetch = get(&s, "zip", "phases_ms.code_fetch");
    assert!(
        zip_cold > zip + fetch * 0.99,
        "cold latency {zip_cold} must hold fetch {fetch} + init {zip}"
    );
}
