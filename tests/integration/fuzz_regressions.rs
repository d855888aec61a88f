//! What the fuzz targets (fuzz/, see fuzz/README.md) rely on, checked in the ordinary suite:
//! the in-memory scenario loader they call agrees with the file loader, and the committed
//! seed corpora pass the same checks as in the targets, with hand-counted figures for the
//! small seeds. The fuzz runs found no crashing input so far; a finding gets its input here
//! (inline, or under tests/integration/data/fuzz/) with an assertion of a clean error.

use std::path::{Path, PathBuf};

use coldsim::calibrate::Diagnostics;
use coldsim::calibrate::read::generic::{ColdMetric, ColumnMapping, Observations, read_generic};
use coldsim::calibrate::read::importtime::{ImportTraces, read_importtime_any};
use coldsim::calibrate::read::insights::read_insights;
use coldsim::calibrate::read::report::read_report;
use coldsim::config::scenario::{load_scenario, load_scenario_from_str};
use coldsim::engine::SimTime;
use coldsim::traffic::trace::{AzureSelector, DEFAULT_TIMESTAMP_COLUMN};
use coldsim::traffic::{Azure2019Trace, TimestampTrace};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The files of `fuzz/seeds/<target>/`, sorted.
fn seeds(target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("fuzz/seeds").join(target))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The readers' bookkeeping contract (src/calibrate/read/mod.rs).
fn assert_adds_up(d: &Diagnostics, records: usize) {
    assert_eq!(
        d.records + d.ignored + d.warning_count(),
        d.rows_read,
        "{d:?}"
    );
    assert_eq!(d.records, records as u64, "{d:?}");
}

fn assert_observations(o: &Observations) {
    assert_adds_up(&o.diagnostics, o.values.len());
    assert!(
        o.values
            .iter()
            .all(|v| v.value_ms.is_finite() && v.value_ms >= 0.0)
    );
    assert!(o.group_counts().iter().all(|&c| c > 0));
}

/// Every event in a trace, parents printed after their children and one level shallower.
fn assert_import_traces(t: &ImportTraces) {
    let events: usize = t.traces.iter().map(|tr| tr.events.len()).sum();
    assert_adds_up(&t.diagnostics, events);
    for tr in &t.traces {
        for (i, e) in tr.events.iter().enumerate() {
            if let Some(p) = e.parent.map(|p| p as usize) {
                assert!(p > i && p < tr.events.len());
                assert_eq!(tr.events[p].depth + 1, e.depth);
            }
        }
    }
}

#[test]
fn scenario_from_text_equals_scenario_from_file_for_every_shipped_scenario() {
    let mut n = 0;
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let from_file = format!("{:?}", load_scenario(&path).unwrap());
        let from_text = format!("{:?}", load_scenario_from_str(&path, &text).unwrap());
        assert_eq!(from_file, from_text, "{}", path.display());
        n += 1;
    }
    // `ls scenarios/*.toml | wc -l` when this test was written.
    assert!(n >= 14, "only {n} scenarios found");
}

#[test]
fn scenario_from_text_errors_name_the_pretend_path_like_the_file_loader() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        "[run\nduration = 1",
        "[run]\nduration = \"1h\"\nbogus = 1\n",
        "[run]\nduration = \"0s\"\n",
    ];
    for text in bad {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let from_file = load_scenario(&path).unwrap_err().to_string();
        let from_text = load_scenario_from_str(&path, text).unwrap_err().to_string();
        assert_eq!(from_file, from_text);
        assert!(
            from_text.starts_with(&path.display().to_string()),
            "{from_text}"
        );
    }
}

#[test]
fn scenario_and_model_seeds_all_load() {
    // The scenario seeds are the shipped scenarios; loaded from memory under a pretend path
    // in scenarios/, as the fuzz target does, every one of them must load.
    let pretend = repo("scenarios/fuzz-input.toml");
    let files = seeds("scenario");
    assert!(files.len() >= 14);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if let Err(e) = load_scenario_from_str(&pretend, &text) {
            panic!("{}: {e}", f.display());
        }
    }
}

#[test]
fn timestamp_trace_seed_streams_six_arrivals_ending_at_7200_s() {
    // tiny.csv: rows 0, 0.5, 0.5, 12.25, " 3600.000001 ", "7200" (hand-counted).
    let path = repo("fuzz/seeds/trace_timestamps/tiny.csv");
    let trace = TimestampTrace::open(&path, DEFAULT_TIMESTAMP_COLUMN).unwrap();
    assert_eq!(trace.len(), 6);
    assert_eq!(trace.last(), SimTime(7_200_000_000));
    let mut cursor = trace.cursor().unwrap();
    let times: Vec<u64> = std::iter::from_fn(|| cursor.next_arrival())
        .map(|t| t.0)
        .collect();
    assert_eq!(
        times,
        [
            0,
            500_000,
            500_000,
            12_250_000,
            3_600_000_001,
            7_200_000_000
        ]
    );
    for f in seeds("trace_timestamps") {
        let t = TimestampTrace::open(&f, DEFAULT_TIMESTAMP_COLUMN).unwrap();
        let mut c = t.cursor().unwrap();
        assert_eq!(
            std::iter::from_fn(|| c.next_arrival()).count() as u64,
            t.len()
        );
    }
}

#[test]
fn azure_seed_rows_hold_their_hand_counted_totals() {
    // tiny.csv: f1 = 1 + 0 + 2 invocations over 3 minutes; f2 has none (an error).
    let path = repo("fuzz/seeds/trace_azure2019/tiny.csv");
    let t = Azure2019Trace::open(&path, &AzureSelector::Row(1)).unwrap();
    assert_eq!((t.total_invocations(), t.minutes()), (3, 3));
    assert_eq!(t.per_minute(), [1, 0, 2]);
    let e = Azure2019Trace::open(&path, &AzureSelector::Row(2)).unwrap_err();
    assert!(e.to_string().contains("no invocations"), "{e}");
    let sample = repo("fuzz/seeds/trace_azure2019/azure2019-sample.csv");
    let by_hash = AzureSelector::Function("synthetic73751f394403911ce4e5c6ca".into());
    let t = Azure2019Trace::open(&sample, &by_hash).unwrap();
    let sum: u64 = t.per_minute().iter().map(|&c| u64::from(c)).sum();
    assert_eq!(sum, t.total_invocations());
}

#[test]
fn reader_seeds_add_up() {
    for f in seeds("report") {
        let log = read_report(&std::fs::read(&f).unwrap(), &f).unwrap();
        assert_adds_up(&log.diagnostics, log.records.len());
        for metric in [ColdMetric::Init, ColdMetric::Restore] {
            assert_observations(&Observations::from_reports(&log.records, metric, true));
        }
    }
    for f in seeds("insights") {
        let t = read_insights(&std::fs::read(&f).unwrap(), &f).unwrap();
        // The Insights fixture of calibrate_readers: 8 rows, 4 records, 4 warnings.
        let d = &t.diagnostics;
        assert_eq!((d.rows_read, d.records, d.warning_count()), (8, 4, 4));
        assert_observations(&Observations::from_insights(&t, &["packaging".into()]).unwrap());
    }
    for f in seeds("generic") {
        let bytes = std::fs::read(&f).unwrap();
        let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
        let spec = std::str::from_utf8(&bytes[..nl]).unwrap();
        let p: Vec<&str> = spec.splitn(4, '|').collect();
        let filters: Vec<String> = p
            .get(3)
            .filter(|s| !s.is_empty())
            .map(|s| vec![s.to_string()])
            .unwrap_or_default();
        let time = p.get(2).copied().filter(|s| !s.is_empty());
        let mapping = ColumnMapping::parse(p[0], p[1], time, &filters).unwrap();
        let o = read_generic(&bytes[nl + 1..], &f, &mapping).unwrap();
        assert_observations(&o);
        // Hand-counted (`cut -d, -f5 | sort | uniq -c`): lambda-perf.csv holds 39 data rows,
        // all kept; visible.csv 23 rows: 11 zip and 3 image kept, 9 zip_layers filtered out.
        let d = &o.diagnostics;
        let expected = match f.file_name().unwrap().to_str().unwrap() {
            "lambda-perf.csv" => (39, 39, 0),
            "visible.csv" => (23, 14, 9),
            other => panic!("no hand count for seed {other}"),
        };
        assert_eq!(
            (d.rows_read, d.records, d.ignored),
            expected,
            "{}",
            f.display()
        );
        assert_eq!(d.warning_count(), 0);
    }
    for target in ["importtime_text", "importtime_profiles", "import_table"] {
        for f in seeds(target) {
            let t = read_importtime_any(&std::fs::read(&f).unwrap(), &f).unwrap();
            assert_import_traces(&t);
            assert!(!t.traces.is_empty(), "{}", f.display());
        }
    }
}
