//! scenarios/runtime-choice.toml reaches the conclusions stated in its comments; each
//! expectation comes from the runtime index (`coldsim runtimes`) and the price list.

use std::path::Path;

use coldsim::runtimes::builtin;
use coldsim::whatif::{Comparison, RunOptions, compare};

fn get(c: &Comparison, variant: &str, key: &str) -> f64 {
    let v = c.variants.iter().find(|v| v.name == variant).unwrap();
    v.run
        .summary
        .get("total", key)
        .unwrap_or_else(|| panic!("{variant}: no {key}"))
}

/// The index's init p50 of runtime `id` for `packaging` on `arch`.
fn index_p50(id: &str, packaging: &str, arch: &str) -> f64 {
    let e = builtin().iter().find(|e| e.id == id).unwrap();
    e.coverage
        .iter()
        .find(|c| c.packaging == packaging && c.arch == arch)
        .unwrap()
        .init_p50_ms
}

#[test]
fn runtime_choice_follows_the_runtimes_own_init_and_snapstart_does_not_pay_for_hello_world() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/runtime-choice.toml");
    let c = compare(&path, &RunOptions::default()).unwrap_or_else(|e| panic!("{e:#}"));
    // 1. Cold latency p50 differences are the index's init p50 differences: everything
    // else (placement, boot, ZIP fetch of the same tiny package) is the same draw on every
    // variant (common random numbers). Tolerance: 10 ms or 15%, the p50's sampling error
    // over ~1,000 cold starts of a sum of phases.
    let base = ("python3.12", "x86_64");
    for (variant, id, arch) in [
        ("python-arm64", "python3.12", "arm64"),
        ("nodejs20", "nodejs20.x", "x86_64"),
        ("nodejs20-arm64", "nodejs20.x", "arm64"),
        ("rust-al2023", "provided.al2023-rust", "x86_64"),
        ("rust-al2023-arm64", "provided.al2023-rust", "arm64"),
        ("java21", "java21", "x86_64"),
        ("java21-arm64", "java21", "arm64"),
    ] {
        let want = index_p50(id, "zip", arch) - index_p50(base.0, "zip", base.1);
        let got = get(&c, variant, "cold_latency_ms.p50") - get(&c, "base", "cold_latency_ms.p50");
        assert!(
            (got - want).abs() < 10.0_f64.max(0.15 * want.abs()),
            "{variant}: {got:+.1} ms vs index {want:+.1} ms"
        );
    }
    // 2. The order: Rust < Python < Node.js < Java on x86_64.
    let p50 = |v: &str| get(&c, v, "cold_latency_ms.p50");
    assert!(p50("rust-al2023") < p50("base"));
    assert!(p50("base") < p50("nodejs20"));
    assert!(p50("nodejs20") < p50("java21"));
    // 3. arm64: faster for Python, Node.js and Rust, not for Java 21 ZIP; 20% cheaper per
    // GB-second (0.0000133334 vs 0.0000166667 USD, models/platform/aws-lambda.toml).
    for (x86, arm) in [
        ("base", "python-arm64"),
        ("nodejs20", "nodejs20-arm64"),
        ("rust-al2023", "rust-al2023-arm64"),
    ] {
        assert!(p50(arm) < p50(x86), "{arm}");
    }
    assert!(p50("java21-arm64") > p50("java21"));
    let ratio = get(&c, "python-arm64", "cost.duration_usd") / get(&c, "base", "cost.duration_usd");
    assert!((ratio - 0.8).abs() < 0.03, "{ratio}");
    // 4. SnapStart: a restore (index p50) is slower than Java 21's own init, and the bill
    // grows by the cache and restore charges.
    assert!(index_p50("java21", "snapstart", "x86_64") > index_p50("java21", "zip", "x86_64"));
    assert!(p50("java21-snapstart") > p50("java21"));
    assert!(get(&c, "java21-snapstart", "cost_usd") > 5.0 * get(&c, "java21", "cost_usd"));
}
