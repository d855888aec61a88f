//! The scenario loader: any text as a scenario file under `scenarios/` (so the workload,
//! platform and trace files it names resolve as for the shipped scenarios). It must load
//! or return an `InputError` naming the file; never panic.
#![no_main]

use std::sync::LazyLock;

use coldsim::config::scenario::load_scenario_from_str;
use coldsim_fuzz::{check_error, repo_path};
use libfuzzer_sys::fuzz_target;

static PATH: LazyLock<std::path::PathBuf> =
    LazyLock::new(|| repo_path("scenarios/fuzz-input.toml"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = load_scenario_from_str(&PATH, text) {
        check_error(&e, &PATH);
    }
});
