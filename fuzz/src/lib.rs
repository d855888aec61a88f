//! Helpers shared by the fuzz targets: scratch files for the loaders that read from a path,
//! paths into the repository, and the checks every reader's result must pass.

use std::path::{Path, PathBuf};

use coldsim::calibrate::Diagnostics;
use coldsim::error::InputError;

/// A path inside the repository (the fuzz crate sits in `fuzz/`).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Writes `bytes` to a scratch file named `name` in a directory private to this process and
/// returns its path; the same name is overwritten by the next input.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coldsim-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the scratch file");
    path
}

/// An error for bad input must render (the CLI prints it) and name the file it is about.
pub fn check_error(err: &InputError, file: &Path) {
    let text = err.to_string();
    assert!(!text.is_empty(), "empty error message");
    if !matches!(err, InputError::Usage(_)) {
        let shown = file.display().to_string();
        assert!(text.contains(&shown), "error does not name {shown}: {text}");
    }
}

/// Loads scenario `text` (pretending it is the file `scenario`), which names the fuzzed model
/// file `model`: an error must name the model or, when it is about the scenario, the scenario.
pub fn load_naming_model_or_scenario(scenario: &Path, text: &str, model: &Path) {
    if let Err(e) = coldsim::config::scenario::load_scenario_from_str(scenario, text) {
        let shown = e.to_string();
        assert!(!shown.is_empty());
        if !shown.contains(&model.display().to_string()) {
            check_error(&e, scenario);
        }
    }
}

/// The readers' bookkeeping contract (src/calibrate/read/mod.rs): every row read is a record,
/// ignored or one warning, and `records` counts the records returned.
pub fn check_diagnostics(d: &Diagnostics, records_returned: usize) {
    assert_eq!(
        d.records + d.ignored + d.warning_count(),
        d.rows_read,
        "records + ignored + warnings != rows_read: {d:?}"
    );
    assert_eq!(d.records, records_returned as u64, "records count: {d:?}");
}

/// What every importtime reader promises: the bookkeeping above, every event in some trace,
/// and each parent link pointing to a later event (parents print after their children) one
/// level shallower.
pub fn check_import_traces(t: &coldsim::calibrate::read::ImportTraces) {
    let events: usize = t.traces.iter().map(|tr| tr.events.len()).sum();
    check_diagnostics(&t.diagnostics, events);
    for tr in &t.traces {
        assert!(!tr.events.is_empty(), "empty trace {:?}", tr.key);
        assert_eq!(tr.key.len(), t.key_columns.len(), "key width");
        for (i, e) in tr.events.iter().enumerate() {
            if let Some(p) = e.parent {
                let p = p as usize;
                assert!(p > i && p < tr.events.len(), "parent {p} of event {i}");
                assert_eq!(tr.events[p].depth + 1, e.depth, "parent depth of event {i}");
            }
        }
    }
    let _ = coldsim::calibrate::read::module_costs(&t.traces, &[0]);
    let _ = coldsim::calibrate::read::module_costs(&t.traces, &[]);
}

/// What fits rely on in [`Observations`]: the bookkeeping, finite non-negative values, group
/// indices in range, every group used, and one key part per grouping column.
///
/// [`Observations`]: coldsim::calibrate::read::Observations
pub fn check_observations(o: &coldsim::calibrate::read::Observations) {
    check_diagnostics(&o.diagnostics, o.values.len());
    for v in &o.values {
        assert!(
            v.value_ms.is_finite() && v.value_ms >= 0.0,
            "value {}",
            v.value_ms
        );
        assert!((v.group as usize) < o.groups.len(), "group index");
    }
    let counts = o.group_counts();
    assert!(counts.iter().all(|&c| c > 0), "a group without values");
    for key in &o.groups {
        assert_eq!(key.len(), o.group_columns.len(), "key width");
    }
}
