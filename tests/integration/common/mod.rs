//! Helpers shared by the integration tests: scenarios from inline TOML, runs, data paths.

pub mod whatif;

use std::path::{Path, PathBuf};
use std::process::Command;

use coldsim::config::{Scenario, load_scenario};
use coldsim::outcome::RunStats;
use coldsim::runner::run_scenario;
use coldsim::sim::{self, InvocationRecord, InvocationSink};
use coldsim::stats::figures::Summary;

/// A minimal valid scenario: one 512 MB python3.12 hello-world function, Poisson traffic at
/// 2 requests/s for an hour. Tests append or edit tables to make it invalid or to vary it.
pub const VALID: &str = r#"
[run]
duration = "1h"
seed = 3
[[function]]
name = "api"
memory_mb = 512
workload = "models/workloads/python312-hello.toml"
handler = { dist = "lognormal", median = "80ms", p99 = "400ms" }
[[traffic]]
function = "api"
kind = "poisson"
rate = 2.0
"#;

/// A scenario written to a temporary directory (kept alive with it) and loaded.
pub struct TempScenario {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub scenario: Scenario,
}

/// Writes `toml` as `scenario.toml` in a fresh temporary directory.
pub fn write(toml: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, toml).expect("write scenario");
    (dir, path)
}

/// Writes and loads `toml`; panics with the error if it does not load.
pub fn load(toml: &str) -> TempScenario {
    let (dir, path) = write(toml);
    let scenario = load_scenario(&path).unwrap_or_else(|e| panic!("scenario should load: {e}"));
    TempScenario {
        dir,
        path,
        scenario,
    }
}

/// Runs all replications and returns the summary.
pub fn summary(toml: &str) -> Summary {
    let t = load(toml);
    run_scenario(&t.scenario, None, None).expect("run")
}

/// Runs replication 0 and returns its raw statistics.
pub fn run_once(sc: &Scenario) -> RunStats {
    sim::run(sc, 0, None, None).expect("run")
}

/// Collects every invocation record of a run.
#[derive(Default)]
pub struct Collect(pub Vec<InvocationRecord>);

impl InvocationSink for Collect {
    fn record(&mut self, _replication: u32, rec: &InvocationRecord) -> std::io::Result<()> {
        self.0.push(*rec);
        Ok(())
    }
}

/// Runs replication 0 and returns its statistics and every invocation, sorted by arrival.
pub fn run_collect(sc: &Scenario) -> (RunStats, Vec<InvocationRecord>) {
    let mut sink = Collect::default();
    let stats = sim::run(sc, 0, Some(&mut sink), None).expect("run");
    let mut recs = sink.0;
    recs.sort_by_key(|r| (r.request.arrival, r.request.start, r.sandbox));
    (stats, recs)
}

/// Writes a timestamps trace to `path`: `n` requests `every_s` seconds apart, the first at
/// t = 0.5 s (half a second off the second boundaries).
pub fn timestamps_trace(path: &Path, every_s: u32, n: u32) {
    let mut s = String::from("timestamp\n");
    for i in 0..n {
        s += &format!("{}.5\n", every_s * i);
    }
    std::fs::write(path, s).expect("write trace");
}

/// A `[[function]]` named "f" (`packaging`, `workload`, a constant 100 ms handler and the
/// `extra` keys) and its `[[traffic]]`: the timestamps trace at `trace`.
pub fn trace_function(packaging: &str, workload: &Path, trace: &Path, extra: &str) -> String {
    format!(
        r#"
[[function]]
name = "f"
packaging = "{packaging}"
workload = "{}"
handler = "100ms"
{extra}
[[traffic]]
function = "f"
kind = "trace"
format = "timestamps"
file = "{}"
"#,
        workload.display(),
        trace.display()
    )
}

/// A file of the repository's measurement data (`data/...`, see data/README.md). The data
/// ships with the repository, so a missing file is a failure, never a skipped test.
pub fn data(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(rel);
    assert!(
        p.is_file(),
        "test data {} is missing: the repository ships it (data/README.md)",
        p.display()
    );
    p
}

/// A CSV reader over a data file, decompressing a `.gz` one (through coldsim's own bounded
/// reader, as `calibrate` reads it).
pub fn data_csv(rel: &str) -> csv::Reader<coldsim::input::Bounded<coldsim::input::Source>> {
    let path = data(rel);
    let file = coldsim::input::open(&path, coldsim::input::InputKind::Data).unwrap();
    csv::Reader::from_reader(file)
}

/// Runs the `coldsim` binary with `args`; returns (exit code, stderr).
pub fn cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .args(args)
        .output()
        .expect("run coldsim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the scenario at `path`; returns (exit code, stderr).
pub fn run_scenario_file(path: &Path) -> (i32, String) {
    cli(&["scenario", path.to_str().expect("UTF-8 temp path")])
}

/// Asserts a bad-input exit: code 2, no panic, `file` named, every `must_mention` present.
pub fn assert_bad_input((code, err): (i32, String), file: &str, must_mention: &[&str]) {
    assert_eq!(code, 2, "exit code for bad input; stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(file), "names the file {file}: {err}");
    for m in must_mention {
        assert!(err.contains(m), "should mention {m:?}: {err}");
    }
}

/// `n` deterministic mutations of `text` (1 to 3 characters dropped, duplicated or replaced
/// by TOML-significant ones each), for never-panic tests of the readers.
#[allow(dead_code)]
pub fn mutations(text: &str, n: usize) -> Vec<Vec<u8>> {
    let bytes = text.as_bytes();
    let replacements = b"0-9.\"=[]{}ehms,_ \n#x";
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let mut m = bytes.to_vec();
            for _ in 0..(1 + next() % 3) {
                let pos = (next() as usize) % m.len();
                match next() % 3 {
                    0 => {
                        m.remove(pos);
                    }
                    1 => m.insert(pos, m[pos]),
                    _ => m[pos] = replacements[(next() as usize) % replacements.len()],
                }
            }
            m
        })
        .collect()
}

/// The median of a non-empty sample (the mean of the two middle values for an even count).
pub fn median(v: &[f64]) -> f64 {
    assert!(!v.is_empty(), "the median of no values");
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Every file under `dir` (recursively), relative to it, sorted: what a calibration recipe
/// wrote, to compare with the shipped tree.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// A generated file's text without its first line when that line names the regenerating
/// command (it holds the recipe's path, which differs in a temporary copy).
pub fn generated_body(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("# Generated by") => rest.to_string(),
        _ => text,
    }
}
