//! What a Lambda user meets first: built-in models by name from any folder, `coldsim
//! models`, the per-invocation CSV (names quoted, sandboxes numbered uniquely), a function
//! named `total`, tables that never run columns together, and honest intervals.

use std::path::Path;
use std::process::{Command, Output};

fn coldsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run coldsim")
}

fn stdout(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn scenario(workload: &str, name: &str) -> String {
    format!(
        "[run]\nduration = \"30m\"\nseed = 7\nreplications = 2\n\
         [[function]]\nname = \"{name}\"\nmemory_mb = 512\nworkload = \"{workload}\"\n\
         handler = {{ dist = \"lognormal\", median = \"50ms\", p99 = \"300ms\" }}\n\
         [[traffic]]\nfunction = \"{name}\"\nkind = \"poisson\"\nrate = 0.5\n"
    )
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Tolerance: exact (byte-identical JSON). From a folder outside the repository (no
/// `models/` anywhere above it), `workload = "python312-hello"` and the old relative path
/// both resolve to the embedded model and give the same output as the file on disk.
#[test]
fn builtin_models_work_by_name_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let disk = repo().join("models/workloads/python312-hello.toml");
    let mut outputs = Vec::new();
    for w in [
        "python312-hello",
        "models/workloads/python312-hello.toml",
        disk.to_str().unwrap(),
    ] {
        std::fs::write(dir.path().join("s.toml"), scenario(w, "api")).unwrap();
        let o = coldsim(dir.path(), &["scenario", "s.toml", "--format", "json"]);
        outputs.push(stdout(&o));
    }
    assert_eq!(outputs[0], outputs[2]);
    assert_eq!(outputs[1], outputs[2]);
    assert!(outputs[0].contains("\"cold_starts\""));
}

/// Tolerance: exact. A file on disk of a built-in model's name wins over the embedded one.
#[test]
fn a_real_file_wins_over_a_builtin_model() {
    let dir = tempfile::tempdir().unwrap();
    let body = "name = \"mine\"\nruntime = \"python3.12\"\n[init]\nuser = \"0ms\"\n\
                [init.runtime]\nx86_64 = \"5ms\"\narm64 = \"5ms\"\n\
                [package.zip]\nzip_mb = 0.001\nunzipped_mb = 0.001\n";
    std::fs::write(dir.path().join("python312-hello"), body).unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        scenario("python312-hello", "api"),
    )
    .unwrap();
    let o = coldsim(dir.path(), &["scenario", "s.toml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let p50 = v["functions"]["api"]["init_duration_ms"]["p50"]
        .as_f64()
        .unwrap();
    // A constant 5 ms runtime init and no user init: every init is 5 ms (histogram
    // resolution 0.8%).
    assert!((p50 - 5.0).abs() < 0.05, "{p50}");
}

/// Tolerance: exact. An unknown name exits 2 naming the file, the key and the built-in
/// workload names.
#[test]
fn an_unknown_model_name_lists_the_builtin_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), scenario("python99-nope", "api")).unwrap();
    let o = coldsim(dir.path(), &["scenario", "s.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    for s in [
        "s.toml",
        "function[0].workload",
        "python99-nope",
        "python312-hello",
        "python39-datasci",
    ] {
        assert!(err.contains(s), "{s}: {err}");
    }
}

/// Tolerance: exact. `coldsim models --format json` lists every TOML file under models/,
/// with its kind, but what a calibration recipe writes beside its report (the validated
/// January-June runtime models under models/calibration/lambda-perf-all/runtimes/: 37 and
/// their index); the table has the same names.
#[test]
fn models_lists_every_model_file() {
    let (mut on_disk, beside_reports): (Vec<String>, Vec<String>) =
        super::common::files_under(&repo().join("models"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| Path::new("models").join(p).display().to_string())
            .partition(|p| !p.starts_with("models/calibration/lambda-perf-all/"));
    assert_eq!(beside_reports.len(), 38, "{beside_reports:?}");
    let dir = tempfile::tempdir().unwrap();
    let o = coldsim(dir.path(), &["models", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut listed: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    on_disk.sort();
    assert_eq!(listed, on_disk);
    let hello = v
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "python312-hello")
        .unwrap();
    assert_eq!(hello["kind"], "workload");
    let table = stdout(&coldsim(dir.path(), &["models"]));
    assert!(table.contains("python312-hello"), "{table}");
    assert!(table.contains("aws-lambda"), "{table}");
}

/// Tolerance: exact. In sparse.toml (one request per 20 min, 10-min keep-alive) every
/// cold start is on a new sandbox: the CSV's cold rows have as many distinct sandbox ids
/// as there are cold starts (the summary's count), per replication.
#[test]
fn invocations_csv_numbers_sandboxes_uniquely() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("inv.csv");
    let o = coldsim(
        repo(),
        &[
            "scenario",
            "scenarios/sparse.toml",
            "--replications",
            "1",
            "--format",
            "json",
            "--invocations-csv",
            csv_path.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let cold = v["total"]["cold_starts"].as_f64().unwrap() as usize;
    assert!(cold > 100, "{cold}");
    let mut r = csv::Reader::from_path(&csv_path).unwrap();
    let h = r.headers().unwrap().clone();
    let (is, ic) = (
        h.iter().position(|c| c == "sandbox").unwrap(),
        h.iter().position(|c| c == "cold").unwrap(),
    );
    let mut ids = std::collections::HashSet::new();
    let mut cold_rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[ic] == "1" {
            cold_rows += 1;
            ids.insert(rec[is].to_string());
        }
    }
    assert_eq!(cold_rows, cold);
    assert_eq!(ids.len(), cold);
}

/// Tolerance: exact. A function name with a comma and a quote is one CSV field in both CSV
/// outputs, read back intact by a CSV parser.
#[test]
fn csv_outputs_quote_names_with_commas() {
    let dir = tempfile::tempdir().unwrap();
    let name = "api, \\\"v2\\\"";
    let expected = "api, \"v2\"";
    std::fs::write(dir.path().join("s.toml"), scenario("python312-hello", name)).unwrap();
    let o = coldsim(
        dir.path(),
        &[
            "scenario",
            "s.toml",
            "--format",
            "csv",
            "--invocations-csv",
            "inv.csv",
        ],
    );
    let text = stdout(&o);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let first = r.records().next().unwrap().unwrap();
    assert_eq!(&first[0], expected);
    assert_eq!(first.len(), 4);
    let mut r = csv::Reader::from_path(dir.path().join("inv.csv")).unwrap();
    let first = r.records().next().unwrap().unwrap();
    assert_eq!(&first[1], expected);
    assert_eq!(first.len(), 12);
}

/// Tolerance: exact. A function named `total` is refused (exit 2, naming the key), since
/// the CSV and compare name the sum over functions `total`.
#[test]
fn a_function_named_total_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        scenario("python312-hello", "total"),
    )
    .unwrap();
    let o = coldsim(dir.path(), &["scenario", "s.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("function[0].name") && err.contains("reserved"),
        "{err}"
    );
}

/// Tolerance: exact. With a 150-character function name and a rate that makes counts in
/// the hundreds of thousands, every row of the latency table has the same width (columns
/// right-aligned to a common edge) and cells are at least two spaces apart.
#[test]
fn the_table_never_runs_columns_together() {
    let dir = tempfile::tempdir().unwrap();
    let name = "f".repeat(150);
    let toml = scenario("python312-hello", &name).replace("rate = 0.5", "rate = 300");
    std::fs::write(dir.path().join("s.toml"), toml).unwrap();
    let text = stdout(&coldsim(dir.path(), &["scenario", "s.toml"]));
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("ms "))
        .take(4)
        .collect();
    assert_eq!(rows.len(), 4, "{text}");
    let w = rows[0].chars().count();
    for r in &rows {
        assert_eq!(r.chars().count(), w, "{text}");
        // Each value is `mean ± half-width`: seven values, each with two spaces before it.
        assert_eq!(r.matches(" ± ").count(), if r == &rows[0] { 0 } else { 7 });
    }
    assert!(text.contains(&format!("function {name}")));
    assert!(text.contains("per million requests $"), "{text}");
}

/// Tolerance: exact. arm64.toml at 4 replications: the cold-latency p99 difference's interval
/// includes zero (marked, with a replication count that would separate it), and that count
/// does separate it: at the suggested number of replications the mark is gone.
#[test]
fn compare_suggests_replications_that_separate_the_variants() {
    let first = stdout(&coldsim(
        repo(),
        &["compare", "scenarios/arm64.toml", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let d = &v["variants"][1]["figures"]["cold_latency_ms.p99"]["diff"];
    assert_eq!(d["distinguishable"], false, "{d}");
    let n = d["replications_to_separate"].as_u64().unwrap();
    assert!((5..=40).contains(&n), "{n}");
    let again = stdout(&coldsim(
        repo(),
        &[
            "compare",
            "scenarios/arm64.toml",
            "--format",
            "json",
            "--replications",
            &(2 * n).to_string(),
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&again).unwrap();
    let d = &v["variants"][1]["figures"]["cold_latency_ms.p99"]["diff"];
    let (mean, h) = (d["mean"].as_f64().unwrap(), d["ci95"].as_f64().unwrap());
    assert!(mean.abs() > h, "{d}");
    assert!(d.get("distinguishable").is_none());
}

/// Tolerance: exact. Two identical curves in a what-if chart: the first is drawn 4 px wide
/// and the second 2 px on top of it, so both stay visible; a plain chart keeps 2 px lines.
#[test]
fn coinciding_lines_are_nested_by_width() {
    use coldsim::report::svg::{Chart, Series, SeriesStyle, line_width_px, render};
    let pts = vec![(1.0, 0.0), (2.0, 0.5), (3.0, 1.0)];
    let mut c = Chart::cdf("t", "x (ms)");
    c.add(Series::new("a", pts.clone(), SeriesStyle::Line));
    c.add(Series::new("b", pts, SeriesStyle::Line));
    assert_eq!((line_width_px(&c, 0), line_width_px(&c, 1)), (2, 2));
    let plain = render(&c).unwrap();
    c.nested_lines = true;
    assert_eq!((line_width_px(&c, 0), line_width_px(&c, 1)), (4, 2));
    let svg = render(&c).unwrap();
    assert!(svg.contains("stroke-width=\"4\""), "{svg}");
    assert!(!plain.contains("stroke-width=\"4\""));
}

/// Tolerance: exact. A what-if CDF whose latencies span more than 20× is drawn on a log x
/// axis and says so in its label.
#[test]
fn a_log_axis_is_labelled_as_such() {
    let mut h = coldsim::stats::Histogram::default();
    for us in [1_000u64, 5_000, 100_000] {
        h.record(us);
    }
    let svg = coldsim::report::plots::cold_latency_cdf("t", &[("v".to_string(), &h)]).unwrap();
    assert!(svg.contains("log scale"), "{svg}");
}

/// Tolerance: 3% (histogram resolution 0.8% plus the sampling error of a median over
/// ~18,000 draws, 0.7%). The REPORT `Duration` is the handler time: at 1,769 MB (one full
/// vCPU) its p50 is the lognormal's median, 80 ms. `Billed Duration` of a warm request is
/// the handler rounded up to 1 ms, so its p50 is within 1 ms of 80 ms, and its max is the
/// largest cold start's 250 ms init plus its handler (constant init: cold_start = 250ms).
#[test]
fn report_durations_are_the_handler_and_its_billed_time() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[run]\nduration = \"1h\"\nseed = 3\n\
                [[function]]\nname = \"api\"\nmemory_mb = 1769\ncold_start = \"250ms\"\n\
                handler = { dist = \"lognormal\", median = \"80ms\", p99 = \"400ms\" }\n\
                [[traffic]]\nfunction = \"api\"\nkind = \"poisson\"\nrate = 5\n";
    std::fs::write(dir.path().join("s.toml"), toml).unwrap();
    let out = stdout(&coldsim(
        dir.path(),
        &["scenario", "s.toml", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["functions"]["api"];
    let d50 = f["duration_ms"]["p50"].as_f64().unwrap();
    assert!((d50 / 80.0 - 1.0).abs() < 0.03, "{d50}");
    let b50 = f["billed_duration_ms"]["p50"].as_f64().unwrap();
    assert!((b50 - d50).abs() < 1.0 + 0.01 * d50, "{b50} vs {d50}");
    let bmax = f["billed_duration_ms"]["max"].as_f64().unwrap();
    let dmax = f["duration_ms"]["max"].as_f64().unwrap();
    assert!(
        bmax >= 250.0 && bmax <= 250.0 + dmax * 1.01 + 1.0,
        "{bmax} {dmax}"
    );
    let table = stdout(&coldsim(dir.path(), &["scenario", "s.toml"]));
    assert!(table.contains("  Duration ") && table.contains("  Billed Duration "));
}

/// Tolerance: exact. The sweep's Power Tuning answer, recomputed from each point's own
/// figures in the JSON: `cost` is the point with the lowest cost per million requests,
/// `speed` the lowest mean latency. The report draws the p99 constraint and the
/// cost-and-time chart, and lists the strategies.
#[test]
fn sweep_answers_as_power_tuning_does() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("rep");
    let out = stdout(&coldsim(
        repo(),
        &[
            "sweep",
            "scenarios/memory-sweep.toml",
            "--set",
            "function.api.memory_mb=512,1024,1769,3008",
            "--objective",
            "min cost where latency.p99 < 800ms",
            "--replications",
            "2",
            "--format",
            "json",
            "--report",
            report.to_str().unwrap(),
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let points = v["points"].as_array().unwrap();
    let cheapest = points
        .iter()
        .min_by(|a, b| {
            let f = |p: &serde_json::Value| {
                p["summary"]["total"]["cost"]["per_million_requests_usd"]
                    .as_f64()
                    .unwrap()
            };
            f(a).partial_cmp(&f(b)).unwrap()
        })
        .unwrap()["name"]
        .clone();
    let fastest = points
        .iter()
        .min_by(|a, b| {
            let f = |p: &serde_json::Value| {
                p["summary"]["total"]["latency_ms"]["mean"]
                    .as_f64()
                    .unwrap()
            };
            f(a).partial_cmp(&f(b)).unwrap()
        })
        .unwrap()["name"]
        .clone();
    assert_eq!(v["power_tuning"]["cost"], cheapest);
    assert_eq!(v["power_tuning"]["speed"], fastest);
    assert!(v["power_tuning"]["balanced"].is_string());
    let svg = std::fs::read_to_string(report.join("cost_vs_p99.svg")).unwrap();
    assert!(svg.contains("constraint: latency.p99 &lt; 800ms"));
    let ct = std::fs::read_to_string(report.join("cost_and_time.svg")).unwrap();
    assert!(ct.contains("cost per million requests"));
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("| balanced |"), "{md}");
}
