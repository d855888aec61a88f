//! `coldsim merge`: the plan's partials back into the command's result. Every (point,
//! replication) of the plan must be in exactly one partial (a partial given twice, say by a
//! retried unit, is fine when identical); partials of another plan, build or format are
//! refused. The replications are assembled in (point, replication) order by
//! [`crate::runner::assemble`] and finished by the command's own code ([`Setup::finish`]),
//! so the result is the single-machine command's whatever the split and the order in which
//! the units finished.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::bundle::Bundle;
use super::partial::{Partial, in_bundle};
use super::plan::{Plan, read_json};
use super::setup::{Outcome, Setup};
use crate::error::{InputError, InputResult};
use crate::runner::{Replication, RunError, assemble};

/// The plan in folder `dir`, checked against this binary.
pub fn read_plan(dir: &Path) -> InputResult<Plan> {
    let path = dir.join("plan.json");
    let plan: Plan = read_json(&path)?;
    plan.header.check(&path, "coldsim-plan")?;
    Ok(plan)
}

/// The partials to merge: those given, else every `*.partial.json` in `dir`, by name.
pub fn partial_paths(dir: &Path, given: &[PathBuf]) -> InputResult<Vec<PathBuf>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| InputError::io(dir, e))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".partial.json"))
        .collect();
    out.sort();
    Ok(out)
}

/// Reads the partials at `paths` and keeps each (point, replication) once, refusing any of
/// another plan and two different results for the same replication.
fn collect(plan: &Plan, paths: &[PathBuf]) -> InputResult<BTreeMap<(usize, u32), Replication>> {
    let mut got: BTreeMap<(usize, u32), (Replication, &Path)> = BTreeMap::new();
    for path in paths {
        let p: Partial = read_json(path)?;
        p.header.check(path, "coldsim-partial")?;
        if p.header.fingerprint != plan.header.fingerprint {
            return Err(InputError::file(
                path,
                format!(
                    "belongs to another plan (fingerprint {}; this plan's is {}): another \
                     scenario, other flags or changed input files",
                    p.header.fingerprint, plan.header.fingerprint
                ),
            ));
        }
        for item in &p.items {
            let key = (item.point, item.replication);
            let rep = item.replication();
            match got.get(&key) {
                Some((old, _)) if *old == rep => {}
                Some((_, other)) => {
                    return Err(InputError::file(
                        path,
                        format!(
                            "replication {} of point {} differs from the one in {}",
                            key.1,
                            key.0,
                            other.display()
                        ),
                    ));
                }
                None => {
                    got.insert(key, (rep, path));
                }
            }
        }
    }
    Ok(got.into_iter().map(|(k, (r, _))| (k, r)).collect())
}

/// The units none of whose replications are in `got`, or only some.
fn missing_units(plan: &Plan, got: &BTreeMap<(usize, u32), Replication>) -> Vec<usize> {
    plan.units
        .iter()
        .enumerate()
        .filter(|(_, blocks)| {
            blocks
                .iter()
                .any(|b| (b.first..b.first + b.count).any(|r| !got.contains_key(&(b.point, r))))
        })
        .map(|(k, _)| k)
        .collect()
}

/// Checks that replication `r` has the shape its scenario gives (functions, timelines).
fn check_shape(r: &Replication, functions: usize, timelines: bool) -> bool {
    r.functions.len() == functions
        && r.cold_latency.len() == functions
        && r.timelines
            .as_ref()
            .map_or(!timelines, |t| timelines && t.len() == functions)
}

/// Merges the partials at `paths` of the plan in `dir` into the command's result.
pub fn merge(dir: &Path, plan: &Plan, paths: &[PathBuf]) -> Result<Outcome, RunError> {
    let inputs = dir.join("inputs.json");
    let bundle: Bundle = read_json(&inputs)?;
    if bundle.hash() != plan.inputs_hash {
        return Err(
            InputError::file(&inputs, "does not match plan.json (changed since planning)").into(),
        );
    }
    let setup: Setup = in_bundle(&bundle, &plan.spec.file, |file| plan.spec.setup(file))?;
    let mut got = collect(plan, paths)?;
    let missing = missing_units(plan, &got);
    if !missing.is_empty() {
        let names: Vec<String> = missing
            .iter()
            .map(|&k| super::plan::unit_file_name(k))
            .collect();
        return Err(InputError::file(
            dir,
            format!(
                "{} of {} units have no partial result: {}",
                missing.len(),
                plan.units.len(),
                names.join(", ")
            ),
        )
        .into());
    }
    let keep = setup.keep_timeline();
    let mut runs = Vec::with_capacity(setup.scenarios().len());
    for (p, sc) in setup.scenarios().iter().enumerate() {
        let mut reps = Vec::with_capacity(sc.replications as usize);
        for r in 0..sc.replications {
            let rep = got.remove(&(p, r)).ok_or_else(|| {
                InputError::file(dir, format!("replication {r} of point {p} is missing"))
            })?;
            if !check_shape(&rep, sc.functions.len(), keep) {
                return Err(InputError::file(
                    dir,
                    format!("replication {r} of point {p} does not fit the scenario's functions"),
                )
                .into());
            }
            reps.push(rep);
        }
        runs.push(assemble(sc, reps));
    }
    if let Some(((p, r), _)) = got.into_iter().next() {
        return Err(InputError::file(
            dir,
            format!("a partial holds replication {r} of point {p}, which the plan does not have"),
        )
        .into());
    }
    Ok(setup.finish(runs))
}
