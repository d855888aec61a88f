//! `coldsim calibrate` and `coldsim validate` from the command line: real runs on small
//! files, and bad input (exit 2, the file or flag named, never a panic).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs coldsim; returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("run coldsim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn bad(args: &[&str], must_mention: &[&str]) {
    let (code, _, err) = run(args);
    assert_eq!(code, 2, "{args:?}: exit code; stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for m in must_mention {
        assert!(err.contains(m), "{args:?} should mention {m:?}: {err}");
    }
}

/// [`bad`] for each `(arguments, must_mention)`: the arguments are split on whitespace, and
/// the word `{c}` stands for `csv`.
fn bad_table(csv: &str, cases: &[(&str, &[&str])]) {
    for (args, must_mention) in cases {
        let args: Vec<&str> = args
            .split_whitespace()
            .map(|a| if a == "{c}" { csv } else { a })
            .collect();
        bad(&args, must_mention);
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A lambda-perf-like CSV: `n` rows per memory size (128 and 1,024 MB) of zip x86_64 init
/// durations drawn from a lognormal with median 90 ms, sigma 0.15, dated 2024-01-01 on.
fn perf_csv(dir: &Path, n: usize) -> PathBuf {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let d = LogNormal::new(90f64.ln(), 0.15).unwrap();
    let mut s = String::from("date,packaging,arch,memory_mb,init_duration_ms\n");
    for i in 0..n {
        for mem in [128, 1024] {
            let day = 1 + i % 28;
            writeln!(
                s,
                "2024-02-{day:02},zip,x86_64,{mem},{:.2}",
                d.sample(&mut rng)
            )
            .unwrap();
        }
    }
    write(dir, "perf.csv", &s)
}

#[test]
fn calibrate_a_report_log_with_warm_lines_and_garbage() {
    // 300 cold starts drawn from a lognormal (median 250 ms, sigma 0.2), each followed by a
    // warm line, plus a truncated REPORT line and garbage: 300 values fitted, the bad line
    // reported with its line number, the lognormal's median recovered within 5%.
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let d = LogNormal::new(250f64.ln(), 0.2).unwrap();
    let mut log = String::new();
    for i in 0..300 {
        let init = d.sample(&mut rng);
        writeln!(log, "START RequestId: r{i} Version: $LATEST").unwrap();
        writeln!(log, "REPORT RequestId: r{i}\tDuration: 12.00 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB\tInit Duration: {init:.2} ms\t").unwrap();
        writeln!(log, "REPORT RequestId: w{i}\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB\t").unwrap();
    }
    log += "REPORT RequestId: cut\tDuration: 12.00 ms\tBilled Dur\n";
    log += "\u{1}\u{2} garbage ###\n";
    let path = write(dir.path(), "log.txt", &log);
    let (code, out, err) = run(&[
        "calibrate",
        path.to_str().unwrap(),
        "--reader",
        "report",
        "--group",
        "memory_mb",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("group memory_mb=1024"), "{out}");
    assert!(out.contains("300 fitted"), "{out}");
    assert!(
        out.contains("row 901"),
        "the truncated line is named: {out}"
    );
    let (code, json, err) = run(&[
        "calibrate",
        path.to_str().unwrap(),
        "--reader",
        "report",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fits = &v["groups"][0]["fits"];
    let lognormal = fits
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["family"] == "lognormal" && f["shifted"] == false)
        .unwrap();
    let median = lognormal["parameters"]["mu_ln_ms"].as_f64().unwrap().exp();
    assert!((median / 250.0 - 1.0).abs() < 0.05, "median {median}");
}

#[test]
fn calibrate_writes_a_model_and_a_report_that_the_simulator_reads() {
    let dir = tempfile::tempdir().unwrap();
    let csv = perf_csv(dir.path(), 300);
    let out = dir.path().join("model.toml");
    let report = dir.path().join("report");
    let args = [
        "calibrate",
        csv.to_str().unwrap(),
        "--value",
        "init_duration_ms",
        "--group",
        "packaging,arch",
        "--out",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    let (code, text, err) = run(&[
        &args[..],
        &["--time", "date", "--memory-column", "packaging"],
    ]
    .concat());
    // --memory-column must be a numeric grouping column: packaging is not.
    assert_eq!(code, 2, "{text}{err}");
    assert!(err.contains("memory"), "{err}");
    let (code, text, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("wrote"), "{text}");
    for f in [
        "fit_report.txt",
        "fit_report.json",
        "cdf_packaging_zip_arch_x86_64.svg",
    ] {
        assert!(report.join(f).exists(), "{f}");
    }
    // The written model runs in a scenario, and its zip init median is the data's (90 ms).
    let scenario = write(
        dir.path(),
        "s.toml",
        &format!(
            "[run]\nduration = \"10h\"\nseed = 1\n[platform]\nkeep_alive = \"1s\"\n[[function]]\nname = \"f\"\nmemory_mb = 512\narch = \"x86_64\"\npackaging = \"zip\"\nworkload = {:?}\nhandler = \"1ms\"\n[[traffic]]\nfunction = \"f\"\nkind = \"poisson\"\nrate = 0.1\n",
            out.display().to_string()
        ),
    );
    let (code, json, err) = run(&["scenario", scenario.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let p50 = v["functions"]["f"]["init_duration_ms"]["p50"]
        .as_f64()
        .unwrap();
    assert!((p50 / 90.0 - 1.0).abs() < 0.05, "p50 {p50}");
}

#[test]
fn both_init_cpu_hypotheses_side_by_side_prefer_boost_on_memory_independent_data() {
    // Init independent of memory (the same distribution at 128 and 1,024 MB), validated
    // against python312-hello (zip x86_64 median 89.2 ms): under boost both memory sizes
    // fit; under proportional the 128 MB init is 13.8x longer, a KS distance near 1.
    let dir = tempfile::tempdir().unwrap();
    let csv = perf_csv(dir.path(), 200);
    let report = dir.path().join("report");
    let (code, out, err) = run(&[
        "validate",
        "models/workloads/python312-hello.toml",
        csv.to_str().unwrap(),
        "--value",
        "init_duration_ms",
        "--group",
        "packaging,arch,memory_mb",
        "--init-cpu",
        "both",
        "--days",
        "40",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("the data support boost"), "{out}");
    // One overlay per hypothesis and group, and the table and JSON.
    for f in [
        "validate_boost_packaging_zip_arch_x86_64_memory_mb_128.svg",
        "validate_proportional_packaging_zip_arch_x86_64_memory_mb_1024.svg",
        "validation.txt",
        "validation.json",
    ] {
        assert!(report.join(f).exists(), "{f}");
    }
    // And the likelihood comparison of calibrate.
    let (code, out, err) = run(&[
        "calibrate",
        csv.to_str().unwrap(),
        "--value",
        "init_duration_ms",
        "--group",
        "packaging,arch,memory_mb",
        "--memory-column",
        "memory_mb",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("verdict: the data support boost"), "{out}");
}

#[test]
fn bad_input_is_refused_with_exit_2_and_the_culprit_named() {
    let dir = tempfile::tempdir().unwrap();
    let csv = perf_csv(dir.path(), 5);
    let c = csv.to_str().unwrap();
    let v = "--value init_duration_ms";
    bad_table(
        c,
        &[
            (
                "calibrate no/such/file.csv --value x",
                &["no/such/file.csv"],
            ),
            ("calibrate {c} --value nope", &["nope", "init_duration_ms"]),
            (
                &format!("calibrate {{c}} {v} --time date --train-until 2024-13-01"),
                &["--train-until", "YYYY-MM-DD"],
            ),
            (
                &format!("calibrate {{c}} {v} --train-until 2024-01-01"),
                &["--time"],
            ),
            (&format!("calibrate {{c}} {v} --where arch"), &["arch"]),
            (
                &format!("calibrate {{c}} {v} --censor-above 10"),
                &["--censor-above"],
            ),
            (
                &format!("calibrate {{c}} {v} --outlier-factor 0.5"),
                &["--outlier-factor"],
            ),
            ("calibrate {c} --reader report --group arch", &["memory_mb"]),
            (
                &format!(
                    "calibrate {{c}} {v} --group packaging --out /tmp/x.toml --base-image nosize"
                ),
                &["--base-image"],
            ),
        ],
    );
    let recipe = write(
        dir.path(),
        "r.toml",
        "[data]\nfile = \"perf.csv\"\nvalue = \"init_duration_ms\"\ntypo = 1\n",
    );
    bad(
        &["calibrate", "--recipe", recipe.to_str().unwrap()],
        &["r.toml", "typo"],
    );
    let recipe = write(
        dir.path(),
        "r2.toml",
        "[[model]]\nout = \"m.toml\"\nruntime = \"python3.12\"\nbase_image = { name = \"b\", size_mb = 1.0 }\n",
    );
    bad(
        &["calibrate", "--recipe", recipe.to_str().unwrap()],
        &["r2.toml", "data"],
    );
    bad_table(
        c,
        &[
            (
                &format!("validate no/model.toml {{c}} {v}"),
                &["no/model.toml"],
            ),
            (
                &format!("validate models/workloads/python312-hello.toml {{c}} {v} --days 0"),
                &["--days"],
            ),
            (
                &format!(
                    "validate models/workloads/python312-hello.toml {{c}} {v} --group date --where date=x"
                ),
                &[],
            ),
        ],
    );
    let trace = write(
        dir.path(),
        "t.txt",
        "import time: self [us] | cumulative | imported package\nimport time:       274 |        274 |   _io\n",
    );
    bad(
        &[
            "calibrate",
            trace.to_str().unwrap(),
            "--reader",
            "importtime",
            "--where",
            "trace=99",
        ],
        &["no trace"],
    );
}
