//! The command line's outputs: table, CSV summary and the per-invocation CSV stream.

use std::process::Command;

fn coldsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .args(args)
        .output()
        .expect("run coldsim")
}

#[test]
fn invocations_csv_has_one_row_per_counted_invocation_of_every_replication() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("inv.csv");
    let out = coldsim(&[
        "scenario",
        "scenarios/trace.toml",
        "--format",
        "json",
        "--invocations-csv",
        csv_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let replications = summary["replications"].as_f64().unwrap();
    let invocations = summary["total"]["invocations"].as_f64().unwrap();
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(coldsim::report::invocations::HEADER));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // 605 + 5,856 traced requests in each of the 4 replications.
    assert_eq!(rows.len() as f64, invocations * replications);
    assert_eq!(rows.len(), 4 * (605 + 5856));
    // Rows come in replication order, and latency = end − arrival.
    let reps: Vec<u32> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(reps.windows(2).all(|w| w[0] <= w[1]));
    for r in rows.iter().take(1000) {
        let (arrival, end, latency): (f64, f64, f64) = (
            r[3].parse().unwrap(),
            r[5].parse().unwrap(),
            r[11].parse().unwrap(),
        );
        assert!(((end - arrival) * 1000.0 - latency).abs() < 0.01, "{r:?}");
    }
    let cold_rows = rows.iter().filter(|r| r[6] == "1").count() as f64;
    let cold = summary["total"]["cold_starts"].as_f64().unwrap();
    assert_eq!(cold_rows, cold * replications);
}

#[test]
fn csv_summary_has_a_row_per_function_and_figure() {
    let out = coldsim(&["scenario", "scenarios/trace.toml", "--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("function,figure,value,ci95"));
    let rows: Vec<&str> = lines.collect();
    for function in ["api", "azure-http", "total"] {
        let arrivals = rows
            .iter()
            .find(|r| r.starts_with(&format!("{function},arrivals,")))
            .unwrap_or_else(|| panic!("{function} arrivals row"));
        assert!(arrivals.split(',').count() == 4);
    }
    assert!(rows.iter().any(|r| r.starts_with("total,latency_ms.p99,")));
}

#[test]
fn table_names_every_function_and_the_total() {
    let out = coldsim(&["scenario", "scenarios/trace.toml"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "function api",
        "function azure-http",
        "total",
        "cold starts",
        "p999",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}
