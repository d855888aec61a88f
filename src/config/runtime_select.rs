//! `runtime = "ID"` on a `[[function]]`: a built-in runtime model ([`crate::runtimes`]) as
//! the function's runtime. Alone, it is the runtime's hello world as lambda-perf measures
//! it. With a `workload`, the workload's imports, user init, extensions and package sizes
//! run on top of the runtime's own start: the runtime model replaces the workload's
//! `runtime`, `[init.runtime]`, and its image's `runtime_read_mb` and
//! `[package.image.runtime]`; a workload without `[package.snapstart]` takes the runtime's
//! restore model (a workload's own snapshot describes its application and is kept).

use std::path::{Path, PathBuf};

use super::file::WorkloadFile;
use super::paths::{parse_toml, read_toml};
use super::scenario::Ctx;
use super::workload::{FunctionSetup, build_cold_start_from};
use crate::coldstart::ColdStartModel;
use crate::error::InputResult;

/// The cold-start model of a function selecting runtime `id` (the scenario key `key`),
/// with the workload model at `workload` if any. Unknown IDs and configurations the runtime
/// model does not cover are errors naming the scenario file and `key`, listing what exists.
pub(crate) fn runtime_cold_start(
    ctx: &Ctx,
    key: &str,
    id: &str,
    workload: Option<&Path>,
    setup: &FunctionSetup,
) -> InputResult<ColdStartModel> {
    let (entry, text) = crate::runtimes::select(id, setup.packaging.as_str(), setup.arch.as_str())
        .map_err(|m| ctx.err(key, m))?;
    let runtime_path = PathBuf::from(format!("models/runtimes/{}", entry.file));
    let runtime: WorkloadFile = parse_toml(&runtime_path, text)?;
    match workload {
        None => build_cold_start_from(&runtime_path, &runtime, setup),
        Some(path) => {
            let mut wf: WorkloadFile = read_toml(path)?;
            put_runtime(&mut wf, runtime);
            build_cold_start_from(path, &wf, setup)
        }
    }
}

/// The workload `wf` on `runtime`'s own start.
fn put_runtime(wf: &mut WorkloadFile, runtime: WorkloadFile) {
    wf.runtime = runtime.runtime;
    wf.init.runtime = runtime.init.runtime;
    let theirs = runtime.package.unwrap_or_default();
    let ours = wf.package.get_or_insert_with(Default::default);
    if let (Some(img), Some(rt_img)) = (ours.image.as_mut(), theirs.image) {
        img.runtime_read_mb = rt_img.runtime_read_mb;
        img.runtime = rt_img.runtime;
    }
    if ours.snapstart.is_none() {
        ours.snapstart = theirs.snapstart;
    }
}
