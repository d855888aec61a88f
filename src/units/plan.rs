//! Splitting a run into work units: `plan.json`, `inputs.json` and one `unit-NNN.json` per
//! unit. The jobs are the run's (point, replication) pairs in order, point-major; unit `k` of
//! `n` takes a contiguous share of them (sizes differ by at most one), so a unit is a block
//! of replications of one point, or of a few neighbouring points.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::bundle::Bundle;
use super::setup::RunSpec;
use super::{COLDSIM_VERSION, FORMAT_VERSION, build_id, fnv64};
use crate::error::{InputError, InputResult};

/// Replications `first .. first + count` of point `point`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Index of the point (0 for `scenario`, the variant or grid point otherwise).
    pub point: usize,
    /// First replication.
    pub first: u32,
    /// Number of replications.
    pub count: u32,
}

/// What every plan, unit and partial file starts with, checked on reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// `coldsim-plan`, `coldsim-unit` or `coldsim-partial`.
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// [`COLDSIM_VERSION`].
    pub coldsim_version: String,
    /// [`build_id`] of the binary that wrote it.
    pub build: String,
    /// The plan's fingerprint: the build, the command and every input file.
    pub fingerprint: String,
}

/// How the merge prints and writes: the planned command's `--format` and `--report`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFlags {
    /// `table`, `json` or `csv`.
    pub format: String,
    /// `--report DIR`, when given.
    pub report: Option<PathBuf>,
}

/// `plan.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Format, versions, fingerprint.
    #[serde(flatten)]
    pub header: Header,
    /// The command.
    pub spec: RunSpec,
    /// Its output flags.
    pub output: OutputFlags,
    /// [`Bundle::hash`] of `inputs.json`.
    pub inputs_hash: String,
    /// Replications of each point.
    pub replications: Vec<u32>,
    /// Each unit's blocks.
    pub units: Vec<Vec<Block>>,
}

/// `unit-NNN.json`: one unit, self-contained with the plan's `inputs.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Format, versions, fingerprint.
    #[serde(flatten)]
    pub header: Header,
    /// Index of the unit in the plan.
    pub unit: usize,
    /// Number of units in the plan.
    pub units: usize,
    /// The command.
    pub spec: RunSpec,
    /// [`Bundle::hash`] of the inputs it needs.
    pub inputs_hash: String,
    /// The replications it runs.
    pub blocks: Vec<Block>,
}

impl Header {
    /// A header of kind `format` for the plan with `fingerprint`.
    pub fn new(format: &str, fingerprint: &str) -> Header {
        Header {
            format: format.into(),
            format_version: FORMAT_VERSION,
            coldsim_version: COLDSIM_VERSION.into(),
            build: build_id().into(),
            fingerprint: fingerprint.into(),
        }
    }

    /// Refuses a file (at `path`) of another kind, format version, coldsim version or build.
    pub fn check(&self, path: &Path, format: &str) -> InputResult<()> {
        let refuse = |what: String| Err(InputError::file(path, what));
        if self.format != format {
            return refuse(format!("is a {} file, not a {format} file", self.format));
        }
        if self.format_version != FORMAT_VERSION {
            return refuse(format!(
                "format version {} (this coldsim reads version {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if self.coldsim_version != COLDSIM_VERSION || self.build != build_id() {
            return refuse(format!(
                "written by coldsim {} (build {}); this is coldsim {COLDSIM_VERSION} (build {}): \
                 plan, run and merge with the same binary",
                self.coldsim_version,
                self.build,
                build_id()
            ));
        }
        Ok(())
    }
}

/// The jobs (point, replication) of points with `replications` each, cut into `units`
/// contiguous shares whose sizes differ by at most one (fewer units when there are fewer
/// jobs).
pub fn split(replications: &[u32], units: usize) -> Vec<Vec<Block>> {
    let jobs: Vec<(usize, u32)> = replications
        .iter()
        .enumerate()
        .flat_map(|(p, &n)| (0..n).map(move |r| (p, r)))
        .collect();
    let n = units.clamp(1, jobs.len().max(1));
    let (base, extra) = (jobs.len() / n, jobs.len() % n);
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for k in 0..n {
        let size = base + usize::from(k < extra);
        let mut blocks: Vec<Block> = Vec::new();
        for &(point, r) in &jobs[at..at + size] {
            match blocks.last_mut() {
                Some(b) if b.point == point => b.count += 1,
                _ => blocks.push(Block {
                    point,
                    first: r,
                    count: 1,
                }),
            }
        }
        at += size;
        out.push(blocks);
    }
    out
}

/// The fingerprint of a plan: the build, the command and the inputs.
pub fn fingerprint(spec: &RunSpec, inputs_hash: &str) -> String {
    let spec = serde_json::to_string(spec).expect("a spec serializes");
    let text = format!(
        "{FORMAT_VERSION}\n{COLDSIM_VERSION}\n{}\n{spec}\n{inputs_hash}",
        build_id()
    );
    format!("{:016x}", fnv64(text.as_bytes()))
}

/// Reads and parses a JSON file of this module.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> InputResult<T> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        InputError::file(
            path,
            format!("not a coldsim plan, unit or partial file: {e}"),
        )
    })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> InputResult<()> {
    let text = serde_json::to_string(value).expect("plan files serialize");
    std::fs::write(path, text).map_err(|e| InputError::io(path, e))
}

/// The name of unit `k`'s file.
pub fn unit_file_name(k: usize) -> String {
    format!("unit-{k:03}.json")
}

/// Writes the plan of `spec` (with `replications` per point and the inputs `bundle`) as
/// `units` units into the folder `dir`, which must not exist or be empty. Gives the plan.
pub fn write_plan(
    dir: &Path,
    spec: &RunSpec,
    output: OutputFlags,
    bundle: &Bundle,
    replications: Vec<u32>,
    units: usize,
) -> InputResult<Plan> {
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(InputError::file(
            dir,
            "--plan: the folder exists and is not empty; give a new one",
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| InputError::io(dir, e))?;
    let inputs_hash = bundle.hash();
    let fp = fingerprint(spec, &inputs_hash);
    let blocks = split(&replications, units);
    write_json(&dir.join("inputs.json"), bundle)?;
    for (k, b) in blocks.iter().enumerate() {
        let unit = Unit {
            header: Header::new("coldsim-unit", &fp),
            unit: k,
            units: blocks.len(),
            spec: spec.clone(),
            inputs_hash: inputs_hash.clone(),
            blocks: b.clone(),
        };
        write_json(&dir.join(unit_file_name(k)), &unit)?;
    }
    let plan = Plan {
        header: Header::new("coldsim-plan", &fp),
        spec: spec.clone(),
        output,
        inputs_hash,
        replications,
        units: blocks,
    };
    write_json(&dir.join("plan.json"), &plan)?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: 3 points × 4 replications = 12 jobs in 5 units of 3, 3, 2, 2, 2 jobs, in
    /// order, each job once.
    #[test]
    fn split_covers_every_job_once_in_order() {
        let units = split(&[4, 4, 4], 5);
        let sizes: Vec<u32> = units
            .iter()
            .map(|u| u.iter().map(|b| b.count).sum())
            .collect();
        assert_eq!(sizes, [3, 3, 2, 2, 2]);
        let jobs: Vec<(usize, u32)> = units
            .iter()
            .flatten()
            .flat_map(|b| (b.first..b.first + b.count).map(move |r| (b.point, r)))
            .collect();
        let expected: Vec<(usize, u32)> =
            (0..3).flat_map(|p| (0..4).map(move |r| (p, r))).collect();
        assert_eq!(jobs, expected);
        assert_eq!(
            units[1],
            vec![
                Block {
                    point: 0,
                    first: 3,
                    count: 1
                },
                Block {
                    point: 1,
                    first: 0,
                    count: 2
                }
            ]
        );
        // More units than jobs: one job each.
        assert_eq!(split(&[2], 7).len(), 2);
    }
}
