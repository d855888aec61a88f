//! `coldsim compare`: variants as overrides of the base scenario, common random numbers
//! (identical variants differ by exactly zero), paired CIs that cover a difference known in
//! closed form, and bad variants as input errors (exit 2) naming the variant and the key.

use crate::common;
use crate::common::whatif;

use coldsim::whatif::{RunOptions, compare};
use whatif::run;

/// The closed-form keep-alive scenario (cold fraction e^{-λT}) named "crn", seed 1, with
/// `variants` appended.
fn keep_alive_scenario(rate: f64, replications: u32, variants: &str) -> String {
    whatif::keep_alive_scenario("crn", 1, replications, rate, variants)
}

/// Tolerance: exact (0.0). Two variants with the same overrides see the same arrivals and
/// draws, so every per-replication difference is zero.
#[test]
fn identical_variants_differ_by_exactly_zero() {
    let text = keep_alive_scenario(
        0.2,
        4,
        r#"
[[variant]]
name = "a"
set = { "platform.keep_alive" = "30s" }
baseline = true

[[variant]]
name = "b"
set = { "platform.keep_alive" = "30s" }
"#,
    );
    let (_dir, path) = common::write(&text);
    let c = compare(&path, &RunOptions::default()).expect("compare runs");
    assert_eq!(c.variants.len(), 3);
    assert_eq!(c.variants[c.baseline].name, "a");
    let b = &c.variants[2];
    for r in &b.rows {
        let d = r
            .diff
            .unwrap_or_else(|| panic!("{} has a difference", r.key));
        assert_eq!(d.mean, 0.0, "{}", r.key);
        assert_eq!(d.ci95, Some(0.0), "{}", r.key);
        assert_eq!(d.pairs, 4);
    }
    // The base (keep-alive 10 s) differs from "a" (30 s): more cold starts.
    let base_cold = c.variants[0]
        .rows
        .iter()
        .find(|r| r.key == "cold_starts")
        .unwrap();
    let d = base_cold.diff.unwrap();
    assert!(d.mean > 0.0 && d.mean.abs() > d.ci95.unwrap(), "{d:?}");

    // The same through the CLI, as JSON.
    let (code, out, err) = run(&["compare", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["baseline"], "a");
    assert_eq!(
        v["variants"][2]["figures"]["cold_fraction"]["diff"]["mean"],
        0
    );
    assert_eq!(v["variants"][2]["figures"]["cost_usd"]["diff"]["ci95"], 0);
    assert!(v["variants"][0]["summary"]["total"]["cold_starts"].is_number());
    let (code, out, _) = run(&["compare", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("b − a") && out.contains("cold fraction"),
        "{out}"
    );
}

/// Tolerance: the paired 95% CIs cover the true difference e^{-2} − e^{-1} in at least 90
/// of 100 experiments (expected 95; below 90 has probability ≈ 1.5% under correct
/// intervals), and the mean estimate over the experiments is within 0.003 of it (the
/// standard error of that mean is ≈ 0.0008).
#[test]
fn paired_intervals_cover_the_closed_form_difference() {
    let rate = 0.1;
    let text = keep_alive_scenario(
        rate,
        5,
        r#"
[[variant]]
name = "ka20"
set = { "platform.keep_alive" = "20s" }
"#,
    );
    let (_dir, path) = common::write(&text);
    let truth = (-rate * 20.0f64).exp() - (-rate * 10.0f64).exp();
    let experiments = 100;
    let (mut covered, mut sum) = (0, 0.0);
    for k in 0..experiments {
        let opts = RunOptions {
            seed: Some(1_000 + k),
            ..RunOptions::default()
        };
        let c = compare(&path, &opts).expect("compare runs");
        let row = c.variants[1]
            .rows
            .iter()
            .find(|r| r.key == "cold_fraction")
            .unwrap();
        let d = row.diff.expect("difference");
        sum += d.mean;
        if (d.mean - truth).abs() <= d.ci95.expect("5 replications give a CI") {
            covered += 1;
        }
    }
    let mean = sum / experiments as f64;
    eprintln!("coverage {covered}/{experiments}, mean difference {mean:.5}, truth {truth:.5}");
    assert!(covered >= 90, "coverage {covered}/100");
    assert!((mean - truth).abs() < 0.003, "mean {mean}, truth {truth}");
}

/// Tolerance: exact (exit codes and message fragments).
#[test]
fn bad_variants_are_input_errors_naming_the_variant_and_key() {
    for (set, must) in [
        (
            r#"{ "function.api.memroy_mb" = 512 }"#,
            vec!["variant \"v\"", "function.api.memroy_mb", "memroy_mb"],
        ),
        (
            r#"{ "function.web.memory_mb" = 512 }"#,
            vec!["variant \"v\"", "no [[function]] named \"web\""],
        ),
        (
            r#"{ "traffic.3.rate" = 1.0 }"#,
            vec!["variant \"v\"", "traffic.3.rate", "out of range"],
        ),
        (
            r#"{ "function.api.memory_mb" = 50 }"#,
            vec!["variant \"v\"", "memory_mb"],
        ),
        (
            r#"{ "platform.keep_alive" = "soon" }"#,
            vec!["variant \"v\"", "platform.keep_alive"],
        ),
        (
            r#"{ "run.seed" = 7 }"#,
            vec!["variant \"v\"", "common random numbers"],
        ),
    ] {
        let text =
            keep_alive_scenario(0.1, 2, &format!("[[variant]]\nname = \"v\"\nset = {set}\n"));
        let (_dir, path) = common::write(&text);
        let (code, _, err) = run(&["compare", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{set}: {err}");
        for m in &must {
            assert!(err.contains(m), "{set}: missing {m:?} in {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    // Duplicate names, and a second baseline.
    for (variants, must) in [
        ("[[variant]]\nname = \"base\"\nset = {}\n", "used twice"),
        (
            "[[variant]]\nname = \"a\"\nbaseline = true\n[[variant]]\nname = \"b\"\nbaseline = true\n",
            "only one variant",
        ),
        ("[[variant]]\nname = \"a\"\nsett = {}\n", "unknown field"),
    ] {
        let (_dir, path) = common::write(&keep_alive_scenario(0.1, 2, variants));
        let (code, _, err) = run(&["compare", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(must), "missing {must:?} in {err}");
    }
}

/// Tolerance: exact. A plain `coldsim scenario` run ignores the [[variant]] tables: the
/// output is the same with and without them.
#[test]
fn scenario_command_ignores_variants() {
    let plain = keep_alive_scenario(0.2, 2, "");
    let with = keep_alive_scenario(
        0.2,
        2,
        "[[variant]]\nname = \"v\"\nset = { \"platform.keep_alive\" = \"1m\" }\n",
    );
    let (_d1, p1) = common::write(&plain);
    let (_d2, p2) = common::write(&with);
    let a = run(&["scenario", p1.to_str().unwrap(), "--format", "json"]);
    let b = run(&["scenario", p2.to_str().unwrap(), "--format", "json"]);
    assert_eq!(a.0, 0, "{}", a.2);
    assert_eq!(a.1, b.1);
}

/// Tolerance: 1e-9 relative. Conservation: the cold starts of the timeline (binned by
/// arrival time, mean per replication) sum to the mean number of cold starts.
#[test]
fn timeline_sums_to_the_cold_starts() {
    let text = keep_alive_scenario(
        0.2,
        3,
        "[[variant]]\nname = \"v\"\nset = { \"platform.keep_alive\" = \"20s\" }\n",
    );
    let (_dir, path) = common::write(&text);
    let opts = RunOptions {
        timeline: true,
        ..RunOptions::default()
    };
    let c = compare(&path, &opts).expect("compare runs");
    for v in &c.variants {
        let total = v.run.cold_starts_per_bin(None).expect("timeline asked for");
        assert_eq!(total.len(), coldsim::whatif::TIMELINE_BINS);
        let sum: f64 = total.iter().sum();
        let cold = v.run.summary.get("total", "cold_starts").unwrap();
        assert!(cold > 10.0, "{cold}");
        assert!(
            (sum - cold).abs() <= 1e-9 * cold,
            "{}: {sum} vs {cold}",
            v.name
        );
        // Nothing is counted before the warm-up (2 of 120 minutes: the first 2 bins).
        assert_eq!(total[0], 0.0);
    }
}
