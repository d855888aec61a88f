//! Outputs under hostile paths: a run killed while it writes leaves the old result or the
//! new one, never a mix; an output that is also an input is refused; bad output paths are
//! found before the run, with exit code 2 and the flag in the message; a full disk exits
//! with 1 naming the path; a 1,000-point sweep gets its report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A scenario that runs in milliseconds: a constant 100 ms cold start, no workload model.
const TINY: &str = r#"
[run]
duration = "1m"
seed = 1
replications = 1
[[function]]
name = "api"
memory_mb = 512
cold_start = "100ms"
handler = "10ms"
[[traffic]]
function = "api"
kind = "poisson"
rate = 1.0
"#;

fn coldsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coldsim"));
    c.current_dir(ROOT);
    c
}

/// Runs coldsim; returns the exit code, stdout and stderr.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = coldsim().args(args).output().expect("run coldsim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file of `dir` with its bytes (None if `dir` does not exist).
fn snapshot(dir: &Path) -> Option<BTreeMap<String, Vec<u8>>> {
    let entries = std::fs::read_dir(dir).ok()?;
    Some(
        entries
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read(e.path()).unwrap())
            })
            .collect(),
    )
}

/// Hidden `.NAME.coldsim-*` leftovers of a killed run beside `target`.
fn leftovers(target: &Path) -> Vec<PathBuf> {
    let prefix = format!(
        ".{}.coldsim-",
        target.file_name().unwrap().to_string_lossy()
    );
    std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .collect()
}

fn remove(p: &Path) {
    if p.is_dir() {
        std::fs::remove_dir_all(p).unwrap();
    } else if p.exists() {
        std::fs::remove_file(p).unwrap();
    }
}

/// When to kill: after a fixed delay, or as soon as a temporary name appears (the write).
#[derive(Clone, Copy, Debug)]
enum Kill {
    After(u64),
    WhenWriting,
}

const KILLS: [Kill; 8] = [
    Kill::After(0),
    Kill::After(50),
    Kill::After(150),
    Kill::After(300),
    Kill::After(450),
    Kill::After(600),
    Kill::After(800),
    Kill::WhenWriting,
];

/// Starts coldsim with `args`, kills it (SIGKILL) as `kill` says and waits for it.
fn start_and_kill(args: &[&str], target: &Path, kill: Kill) {
    let mut child = coldsim()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    match kill {
        Kill::After(ms) => std::thread::sleep(Duration::from_millis(ms)),
        Kill::WhenWriting => {
            let t0 = Instant::now();
            while leftovers(target).is_empty()
                && t0.elapsed() < Duration::from_secs(20)
                && child.try_wait().unwrap().is_none()
            {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }
    let _ = child.kill();
    child.wait().unwrap();
}

fn sweep_args<'a>(sc: &'a str, values: &'a str, seed: &'a str, report: &'a str) -> Vec<&'a str> {
    vec![
        "sweep", sc, "--set", values, "--seed", seed, "--format", "json", "--report", report,
    ]
}

#[test]
fn a_killed_sweep_leaves_the_old_report_or_the_new_one_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "tiny.toml", TINY);
    let values: Vec<String> = (0..1000).map(|i| (128 + 10 * i).to_string()).collect();
    let set = format!("function.api.memory_mb={}", values.join(","));
    let (old_dir, new_dir, target) = (
        dir.path().join("old"),
        dir.path().join("new"),
        dir.path().join("report"),
    );
    for (seed, d) in [("1", &old_dir), ("2", &new_dir)] {
        let (code, _, err) = run(&sweep_args(s(&sc), &set, seed, s(d)));
        assert_eq!(code, 0, "{err}");
    }
    let (old, new) = (snapshot(&old_dir).unwrap(), snapshot(&new_dir).unwrap());
    assert_ne!(old, new, "the two seeds must give different reports");
    let mut outcomes = BTreeMap::<&str, u32>::new();
    for kill in KILLS {
        remove(&target);
        std::fs::create_dir(&target).unwrap();
        for (name, bytes) in &old {
            std::fs::write(target.join(name), bytes).unwrap();
        }
        start_and_kill(&sweep_args(s(&sc), &set, "2", s(&target)), &target, kill);
        let now = snapshot(&target);
        let outcome = if now.as_ref() == Some(&old) {
            "old"
        } else if now.as_ref() == Some(&new) {
            "new"
        } else if now.is_none()
            && leftovers(&target)
                .iter()
                .any(|p| snapshot(p).as_ref() == Some(&old))
        {
            "none (old aside)"
        } else {
            panic!(
                "killed {kill:?}: {} holds {:?}, neither the old report nor the new one",
                target.display(),
                now.map(|m| m.keys().cloned().collect::<Vec<_>>())
            )
        };
        *outcomes.entry(outcome).or_default() += 1;
        for p in leftovers(&target) {
            remove(&p);
        }
    }
    eprintln!("kill outcomes: {outcomes:?}");
    assert!(outcomes.contains_key("old"), "{outcomes:?}");
}

#[test]
fn a_killed_run_leaves_the_old_invocations_csv_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(
        dir.path(),
        "s.toml",
        &TINY
            .replace("rate = 1.0", "rate = 500.0")
            .replace("duration = \"1m\"", "duration = \"10m\""),
    );
    let (old_csv, new_csv, target) = (
        dir.path().join("old.csv"),
        dir.path().join("new.csv"),
        dir.path().join("inv.csv"),
    );
    let args = |seed: &'static str, csv: &Path| -> Vec<String> {
        [
            "scenario",
            s(&sc),
            "--seed",
            seed,
            "--invocations-csv",
            s(csv),
        ]
        .map(String::from)
        .to_vec()
    };
    for (seed, csv) in [("1", &old_csv), ("2", &new_csv)] {
        let a = args(seed, csv);
        let (code, _, err) = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 0, "{err}");
    }
    let (old, new) = (
        std::fs::read(&old_csv).unwrap(),
        std::fs::read(&new_csv).unwrap(),
    );
    assert_ne!(old, new);
    // 500 requests/s for 10 minutes: about 300,000 rows, megabytes to write.
    let rows = new.iter().filter(|&&b| b == b'\n').count();
    assert!((280_000..320_000).contains(&rows), "rows {rows}");
    let mut outcomes = BTreeMap::<&str, u32>::new();
    for kill in KILLS {
        std::fs::write(&target, &old).unwrap();
        let a = args("2", &target);
        start_and_kill(
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            &target,
            kill,
        );
        let now = std::fs::read(&target).unwrap();
        let outcome = if now == old {
            "old"
        } else if now == new {
            "new"
        } else {
            panic!(
                "killed {kill:?}: {} has {} bytes, neither the old {} nor the new {}",
                target.display(),
                now.len(),
                old.len(),
                new.len()
            )
        };
        *outcomes.entry(outcome).or_default() += 1;
        for p in leftovers(&target) {
            remove(&p);
        }
    }
    eprintln!("kill outcomes: {outcomes:?}");
    assert!(outcomes.contains_key("old"), "{outcomes:?}");
}

/// Runs `args`, expects exit 2 with `flag` and "input" in the message, and `protected`
/// unchanged.
fn refused(args: &[&str], flag: &str, protected: &Path) {
    let before = std::fs::read(protected).unwrap();
    let (code, out, err) = run(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?}: nothing runs: {out}");
    assert!(
        err.contains(&format!("{flag} ")),
        "{args:?}: names the flag: {err}"
    );
    assert!(err.contains("input"), "{args:?}: says why: {err}");
    assert_eq!(std::fs::read(protected).unwrap(), before, "{args:?}");
}

#[test]
fn an_output_that_is_an_input_is_refused_for_every_kind_of_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let workload = d.join("w.toml");
    std::fs::copy(
        Path::new(ROOT).join("models/workloads/python312-hello.toml"),
        &workload,
    )
    .unwrap();
    let platform = d.join("p.toml");
    std::fs::copy(
        Path::new(ROOT).join("models/platform/aws-lambda.toml"),
        &platform,
    )
    .unwrap();
    let trace = d.join("t.csv");
    write(d, "t.csv", "timestamp\n1\n2\n3\n");
    let handler = write(d, "h.csv", "ms\n10\n20\n30\n");
    let sc = write(
        d,
        "s.toml",
        &format!(
            "platform = {:?}\n[run]\nduration = \"1m\"\n[[function]]\nname = \"f\"\nworkload = {:?}\n\
             handler = {{ dist = \"empirical\", file = {:?}, column = \"ms\" }}\n\
             [[traffic]]\nfunction = \"f\"\nkind = \"trace\"\nformat = \"timestamps\"\nfile = {:?}\n",
            s(&platform),
            s(&workload),
            s(&handler),
            s(&trace)
        ),
    );
    let (code, _, err) = run(&["scenario", s(&sc)]);
    assert_eq!(code, 0, "the scenario runs: {err}");
    for input in [&sc, &workload, &platform, &trace, &handler] {
        refused(
            &["scenario", s(&sc), "--invocations-csv", s(input)],
            "--invocations-csv",
            input,
        );
    }
    // A report folder holding the scenario would be replaced with it.
    refused(&["compare", s(&sc), "--report", s(d)], "--report", &sc);
    // calibrate: the data, the platform file, the recipe and the data it names.
    let data = write(d, "perf.csv", &perf_rows());
    let cal = ["calibrate", s(&data), "--value", "init_duration_ms"];
    refused(&[&cal[..], &["--out", s(&data)]].concat(), "--out", &data);
    refused(
        &[
            &cal[..],
            &["--platform", s(&platform), "--out", s(&platform)],
        ]
        .concat(),
        "--out",
        &platform,
    );
    let recipe = write(
        d,
        "r.toml",
        "[data]\nfile = \"perf.csv\"\nvalue = \"init_duration_ms\"\n",
    );
    for input in [&recipe, &data] {
        refused(
            &["calibrate", "--recipe", s(&recipe), "--out", s(input)],
            "--out",
            input,
        );
    }
    // validate: the model inside the report folder.
    let vdir = d.join("v");
    std::fs::create_dir(&vdir).unwrap();
    let model = vdir.join("m.toml");
    std::fs::copy(&workload, &model).unwrap();
    refused(
        &[
            "validate",
            s(&model),
            s(&data),
            "--value",
            "init_duration_ms",
            "--report",
            s(&vdir),
        ],
        "--report",
        &model,
    );
}

/// 40 rows of forced cold starts, zip x86_64.
fn perf_rows() -> String {
    let mut s = String::from("date,packaging,arch,init_duration_ms\n");
    for i in 0..40 {
        s += &format!("2024-01-{:02},zip,x86_64,{}\n", 1 + i % 28, 80 + i % 20);
    }
    s
}

#[test]
fn bad_report_paths_are_found_before_the_run_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    // 200 requests/s for 10 hours per grid point: seconds of simulation if it started.
    let sc = write(
        dir.path(),
        "long.toml",
        &TINY
            .replace("rate = 1.0", "rate = 200.0")
            .replace("duration = \"1m\"", "duration = \"10h\""),
    );
    let file = write(dir.path(), "a_file", "keep me");
    let foreign = dir.path().join("notes");
    std::fs::create_dir(&foreign).unwrap();
    write(&foreign, "notes.docx", "keep me");
    let missing = dir.path().join("no/such/folder/report");
    for bad in [&file, &foreign, &missing] {
        let t0 = Instant::now();
        let (code, out, err) = run(&[
            "sweep",
            s(&sc),
            "--set",
            "function.api.memory_mb=512,1024,2048,4096",
            "--report",
            s(bad),
        ]);
        let elapsed = t0.elapsed();
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains(&format!("--report {}", bad.display())),
            "{err}"
        );
        assert!(
            elapsed < Duration::from_millis(500),
            "took {elapsed:?}: the run started"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.docx")).unwrap(),
        "keep me"
    );
    assert!(!missing.parent().unwrap().exists(), "nothing created");
}

#[test]
fn a_missing_folder_or_a_folder_as_file_exits_2_naming_flag_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", TINY);
    let missing = dir.path().join("no/inv.csv");
    for (flag, path) in [
        ("--invocations-csv", &missing),
        ("--invocations-csv", &dir.path().to_path_buf()),
    ] {
        let (code, out, err) = run(&["scenario", s(&sc), flag, s(path)]);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.contains(&format!("{flag} {}", path.display())), "{err}");
    }
}

#[test]
fn dev_full_exits_1_with_a_message_naming_the_flag_and_the_path() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", TINY);
    let (code, out, err) = run(&["scenario", s(&sc), "--invocations-csv", "/dev/full"]);
    assert_eq!(code, 1, "a full disk is the machine's fault: {err}");
    assert!(out.is_empty());
    assert!(err.contains("--invocations-csv /dev/full"), "{err}");
    let data = write(dir.path(), "perf.csv", &perf_rows());
    let (code, _, err) = run(&[
        "calibrate",
        s(&data),
        "--value",
        "init_duration_ms",
        "--out",
        "/dev/full",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--out /dev/full"), "{err}");
    assert!(
        Path::new("/dev/full")
            .metadata()
            .is_ok_and(|m| !m.is_file()),
        "still a device"
    );
}

#[test]
fn a_sweep_of_1000_points_writes_its_report_with_12_merged_legend_entries() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "tiny.toml", TINY);
    let values: Vec<String> = (0..1000).map(|i| (128 + 10 * i).to_string()).collect();
    let set = format!("function.api.memory_mb={}", values.join(","));
    let report = dir.path().join("report");
    let (code, _, err) = run(&["sweep", s(&sc), "--set", &set, "--report", s(&report)]);
    assert_eq!(code, 0, "{err}");
    let svg = std::fs::read_to_string(report.join("cost_vs_p99.svg")).unwrap();
    // ceil(1000 / 12) = 84 values per series: 128..958 (128 + 83 * 10) first, then 11 more,
    // the last 9368..10118 (924 .. 999 values, 76 of them).
    let entries: Vec<&str> = svg
        .match_indices("memory_mb=")
        .map(|(i, _)| svg[i..].split('<').next().unwrap().trim())
        .collect();
    assert_eq!(entries.len(), 12, "{entries:?}");
    assert_eq!(entries[0], "memory_mb=128..958");
    assert_eq!(entries[1], "memory_mb=968..1798");
    assert_eq!(entries[11], "memory_mb=9368..10118");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(
        json["points"].as_array().map(Vec::len),
        Some(1000),
        "every point kept"
    );
}
