//! Work units (src/units/): a run split into 1, 3 or 7 units, run apart and merged in any
//! order, prints and writes exactly the bytes of the single-machine command; partials of
//! another plan, version or build, and missing units, are refused with exit code 2.

use std::path::{Path, PathBuf};
use std::process::Command;

use coldsim::runner::{self, RunOptions};

/// Runs coldsim in `cwd` (the repository root when `None`); returns (code, stdout, stderr).
fn coldsim_in(cwd: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .current_dir(cwd.unwrap_or(root))
        .args(args)
        .output()
        .expect("run coldsim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = coldsim_in(None, args);
    assert_eq!(code, 0, "coldsim {args:?}: {err}");
    out
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// Plans `args` as `units` units in `dir`, runs every unit (from another directory, to show
/// units need no file of the repository) and gives the partials in unit order.
fn plan_and_run(args: &[&str], dir: &Path, units: usize) -> Vec<PathBuf> {
    let n = units.to_string();
    let mut a = args.to_vec();
    a.extend(["--plan", s(dir), "--units", &n]);
    ok(&a);
    let elsewhere = tempfile::tempdir().unwrap();
    let mut partials = Vec::new();
    for k in 0.. {
        let unit = dir.join(format!("unit-{k:03}.json"));
        if !unit.exists() {
            break;
        }
        let out = dir.join(format!("unit-{k:03}.partial.json"));
        let (code, _, err) = coldsim_in(
            Some(elsewhere.path()),
            &["run-unit", s(&unit), "-o", s(&out)],
        );
        assert_eq!(code, 0, "run-unit {k}: {err}");
        partials.push(out);
    }
    partials
}

/// Merges `partials` (in the order given) of the plan in `dir` with `extra` flags.
fn merge(dir: &Path, partials: &[PathBuf], extra: &[&str]) -> String {
    let mut a = vec!["merge", s(dir)];
    a.extend(partials.iter().map(|p| s(p)));
    a.extend(extra);
    ok(&a)
}

/// The orders the units are merged in: as planned, reversed, and interleaved odd-first.
fn orders(partials: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let mut rev = partials.to_vec();
    rev.reverse();
    let odd_first: Vec<PathBuf> = partials
        .iter()
        .skip(1)
        .step_by(2)
        .chain(partials.iter().step_by(2))
        .cloned()
        .collect();
    vec![partials.to_vec(), rev, odd_first]
}

/// Exact: a 3-point sweep × 3 replications (9 jobs) as 1, 3 and 7 units, merged in three
/// orders, prints the single-machine table and JSON byte for byte.
#[test]
fn sweep_units_merge_to_the_single_machine_bytes() {
    let args = [
        "sweep",
        "scenarios/sparse.toml",
        "--set",
        "platform.keep_alive=5m,10m,20m",
        "--replications",
        "3",
        "--objective",
        "min cost where cold_fraction < 0.7",
    ];
    let table = ok(&args);
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json = ok(&json_args);
    assert!(table.contains("keep_alive=20m"), "{table}");
    for units in [1, 3, 7] {
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("plan");
        let partials = plan_and_run(&args, &plan, units);
        assert_eq!(partials.len(), units);
        for order in orders(&partials) {
            assert_eq!(merge(&plan, &order, &[]), table, "{units} units, {order:?}");
            assert_eq!(merge(&plan, &order, &["--format", "json"]), json);
        }
    }
}

/// Exact: a compare with --report, as 3 units, writes the same report files and prints the
/// same JSON as the single-machine run.
#[test]
fn compare_units_write_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    let merged = tmp.path().join("merged");
    let file = "scenarios/provisioned-vs-pings.toml";
    let base = ["compare", file, "--replications", "3", "--format", "json"];
    let mut a = base.to_vec();
    a.extend(["--report", s(&single)]);
    let json = ok(&a);
    let plan = tmp.path().join("plan");
    let partials = plan_and_run(&base, &plan, 3);
    let mut rev = partials.clone();
    rev.reverse();
    assert_eq!(merge(&plan, &rev, &["--report", s(&merged)]), json);
    let mut names: Vec<_> = std::fs::read_dir(&single)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for n in names {
        let a = std::fs::read(single.join(&n)).unwrap();
        let b = std::fs::read(merged.join(&n)).unwrap();
        assert!(a == b, "report file {n:?} differs");
    }
}

/// Exact: a trace-driven scenario (its CSV travels in inputs.json) as 7 units prints the
/// single-machine JSON and CSV.
#[test]
fn scenario_units_with_a_trace_merge_exactly() {
    let args = ["scenario", "scenarios/trace.toml", "--replications", "3"];
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan");
    let partials = plan_and_run(&args, &plan, 7);
    assert_eq!(partials.len(), 3, "7 units of 3 jobs: 3 units");
    for f in ["json", "csv", "table"] {
        let mut a = args.to_vec();
        a.extend(["--format", f]);
        assert_eq!(merge(&plan, &partials, &["--format", f]), ok(&a), "{f}");
    }
}

/// Exact: replication r computed alone equals replication r of the whole run (its seed
/// depends on the scenario's seed and r only, not on what else runs).
#[test]
fn a_replication_alone_equals_the_same_replication_in_a_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sc = coldsim::config::load_scenario(&root.join("scenarios/steady.toml")).unwrap();
    sc.replications = 3;
    sc.duration = coldsim::engine::SimDuration::from_secs_f64(600.0);
    let whole = runner::run(&sc, RunOptions::default()).unwrap();
    for r in [2, 0] {
        let alone = runner::replicate(&sc, r, None, false).unwrap();
        assert_eq!(alone.total, whole.total[r as usize]);
        assert_eq!(alone.functions[0], whole.functions[0][r as usize]);
    }
}

/// Exit code 2 with a clear message: a partial of another plan, of another format version,
/// a missing unit, and a plan folder that is not empty.
#[test]
fn foreign_stale_and_missing_partials_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let args = ["scenario", "scenarios/sparse.toml", "--replications", "3"];
    let a = tmp.path().join("a");
    let pa = plan_and_run(&args, &a, 3);
    let other = [
        "scenario",
        "scenarios/sparse.toml",
        "--replications",
        "3",
        "--seed",
        "9",
    ];
    let b = tmp.path().join("b");
    let pb = plan_and_run(&other, &b, 3);
    let refused = |partials: &[&Path], needle: &str| {
        let mut m = vec!["merge", s(&a)];
        m.extend(partials.iter().map(|p| s(p)));
        let (code, out, err) = coldsim_in(None, &m);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.contains(needle), "{err}");
    };
    refused(&[&pa[0], &pb[1], &pa[2]], "belongs to another plan");
    refused(
        &[&pa[0], &pa[2]],
        "1 of 3 units have no partial result: unit-001.json",
    );
    let stale = tmp.path().join("stale.partial.json");
    let text = std::fs::read_to_string(&pa[1]).unwrap();
    std::fs::write(
        &stale,
        text.replacen("\"format_version\":1", "\"format_version\":0", 1),
    )
    .unwrap();
    refused(&[&pa[0], &stale, &pa[2]], "format version 0");
    let (code, _, err) = coldsim_in(
        None,
        &[
            "scenario",
            "scenarios/sparse.toml",
            "--plan",
            s(&a),
            "--units",
            "2",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not empty"), "{err}");
}

/// A partial holds histograms and counters, never per-invocation data: a 16× longer run (2 h
/// and 32 h of Poisson traffic at 20/s: 144,000 against 2.3 M invocations a replication)
/// gives a partial within 25% of the size (histograms grow only by the buckets of the new
/// extremes). The scenario is given by an absolute path from a temporary folder, so this
/// also checks that such a plan runs.
#[test]
fn partial_size_does_not_grow_with_the_run_length() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/steady.toml")).unwrap();
    let mut sizes = Vec::new();
    for d in ["2h", "32h"] {
        let file = tmp.path().join(format!("steady-{d}.toml"));
        let changed: String = text
            .lines()
            .map(|l| {
                if l.starts_with("duration =") {
                    format!("duration = \"{d}\"\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        assert_ne!(changed, text);
        std::fs::write(&file, changed).unwrap();
        let plan = tmp.path().join(format!("plan-{d}"));
        let args = ["scenario", s(&file), "--replications", "1"];
        let partials = plan_and_run(&args, &plan, 1);
        sizes.push(std::fs::metadata(&partials[0]).unwrap().len() as f64);
        assert_eq!(merge(&plan, &partials, &["--format", "json"]), {
            let mut a = args.to_vec();
            a.extend(["--format", "json"]);
            ok(&a)
        });
    }
    assert!(sizes[1] < 1.25 * sizes[0], "{sizes:?}");
}
