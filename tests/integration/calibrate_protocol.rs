//! The forced-cold protocol replayed in the simulator (src/calibrate/protocol.rs).

use coldsim::calibrate::protocol::{
    ForcedCold, PlatformOverrides, ProtocolFunction, simulate_forced_cold,
};

fn function(packaging: &str, arch: &str) -> ProtocolFunction {
    ProtocolFunction {
        name: format!("{packaging}-{arch}"),
        packaging: packaging.into(),
        arch: arch.into(),
        memory_mb: 128,
        workload: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/workloads/python312-hello.toml"
        )
        .into(),
    }
}

#[test]
fn every_call_is_cold_and_a_zip_init_is_the_runtime_distribution() {
    // python312-hello's zip init is its runtime lognormal: x86_64 median 89.2 ms, p90 120.3
    // ms. 4,000 draws give the median to ~1.5% and the p90 to ~2% (2 standard errors);
    // the histogram adds < 0.8%.
    let protocol = ForcedCold::default();
    let h = simulate_forced_cold(
        &protocol,
        &[function("zip", "x86_64"), function("image", "x86_64")],
        &PlatformOverrides::default(),
        7,
    )
    .unwrap();
    assert_eq!(h[0].count(), 4000);
    assert_eq!(h[1].count(), 4000);
    let p50 = h[0].value_at_quantile_us(0.5) as f64 / 1e3;
    let p90 = h[0].value_at_quantile_us(0.9) as f64 / 1e3;
    assert!((p50 / 89.2 - 1.0).abs() < 0.03, "p50 {p50}");
    assert!((p90 / 120.3 - 1.0).abs() < 0.04, "p90 {p90}");
    // The image adds its runtime's chunk reads: every image init is longer than the
    // fastest zip one.
    assert!(h[1].value_at_quantile_us(0.5) > h[0].value_at_quantile_us(0.5));
}
