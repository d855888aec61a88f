//! A unit's partial result (`*.partial.json`): per (point, replication) it ran, what
//! [`crate::runner::Replication`] holds (figures, cold-latency histograms, timelines), every
//! float as its IEEE-754 bits so that the merge sees exactly the values the unit computed.
//! Its size does not grow with the run's length: histograms and fixed-size timelines, no
//! per-invocation data.

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::bundle::Bundle;
use super::plan::{Header, Unit, read_json};
use crate::error::InputError;
use crate::runner::{Replication, RunError, replicate};
use crate::stats::Histogram;
use crate::stats::figures::FigureValue;
use crate::stats::timeline::Timeline;

/// A figure with its value as `f64::to_bits` (`None`: undefined).
pub type FigureBits = (String, Option<u64>);

/// One replication of one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Index of the point.
    pub point: usize,
    /// Index of the replication.
    pub replication: u32,
    /// Per function, its figures.
    pub functions: Vec<Vec<FigureBits>>,
    /// The figures over all functions.
    pub total: Vec<FigureBits>,
    /// Per function, its cold-latency histogram.
    pub cold_latency: Vec<Histogram>,
    /// Per function, its timeline (compare only).
    pub timelines: Option<Vec<Timeline>>,
}

/// `*.partial.json`: what one unit computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// Format, versions, the plan's fingerprint.
    #[serde(flatten)]
    pub header: Header,
    /// Index of the unit.
    pub unit: usize,
    /// Invocations simulated (the `invocations` figure summed), for progress reports.
    pub invocations: u64,
    /// The replications, in the unit's order.
    pub items: Vec<Item>,
}

fn to_bits(figs: &[FigureValue]) -> Vec<FigureBits> {
    figs.iter()
        .map(|(k, v)| (k.clone(), v.map(f64::to_bits)))
        .collect()
}

fn from_bits(figs: &[FigureBits]) -> Vec<FigureValue> {
    figs.iter()
        .map(|(k, v)| (k.clone(), v.map(f64::from_bits)))
        .collect()
}

impl Item {
    /// Replication `replication` of point `point`.
    pub fn new(point: usize, replication: u32, r: Replication) -> Item {
        Item {
            point,
            replication,
            functions: r.functions.iter().map(|f| to_bits(f)).collect(),
            total: to_bits(&r.total),
            cold_latency: r.cold_latency,
            timelines: r.timelines,
        }
    }

    /// The replication back, exactly.
    pub fn replication(&self) -> Replication {
        Replication {
            functions: self.functions.iter().map(|f| from_bits(f)).collect(),
            total: from_bits(&self.total),
            cold_latency: self.cold_latency.clone(),
            timelines: self.timelines.clone(),
        }
    }

    fn invocations(&self) -> f64 {
        self.total
            .iter()
            .find(|(k, _)| k == "invocations")
            .and_then(|(_, v)| v.map(f64::from_bits))
            .unwrap_or(0.0)
    }
}

/// Runs the unit at `unit_path` with the inputs at `inputs_path`: writes the inputs into a
/// temporary folder, sets the command up from there (so relative names resolve as when
/// planning) and runs its replications (in parallel on rayon's pool).
pub fn run_unit(unit_path: &Path, inputs_path: &Path) -> Result<Partial, RunError> {
    let unit: Unit = read_json(unit_path)?;
    unit.header.check(unit_path, "coldsim-unit")?;
    let bundle: Bundle = read_json(inputs_path)?;
    if bundle.hash() != unit.inputs_hash {
        return Err(InputError::file(
            inputs_path,
            format!(
                "is not the inputs of {} (hash {}, the unit needs {})",
                unit_path.display(),
                bundle.hash(),
                unit.inputs_hash
            ),
        )
        .into());
    }
    // Trace files are read while the run goes, so the run stays inside the bundle.
    let items = in_bundle(&bundle, &unit.spec.file, |file| {
        run_blocks(&unit, unit_path, unit.spec.setup(file)?)
    })?;
    let invocations = items.iter().map(Item::invocations).sum::<f64>().round() as u64;
    Ok(Partial {
        header: Header::new("coldsim-partial", &unit.header.fingerprint),
        unit: unit.unit,
        invocations,
        items,
    })
}

/// Runs the replications of `unit`'s blocks of the command set up as `setup`.
fn run_blocks(
    unit: &Unit,
    unit_path: &Path,
    setup: super::setup::Setup,
) -> Result<Vec<Item>, RunError> {
    let scenarios = setup.scenarios();
    let keep = setup.keep_timeline();
    let jobs: Vec<(usize, u32)> = unit
        .blocks
        .iter()
        .flat_map(|b| (b.first..b.first + b.count).map(move |r| (b.point, r)))
        .collect();
    for &(p, r) in &jobs {
        if scenarios.get(p).is_none_or(|sc| r >= sc.replications) {
            return Err(InputError::file(
                unit_path,
                format!("names replication {r} of point {p}, which the command does not have"),
            )
            .into());
        }
    }
    jobs.par_iter()
        .map(|&(p, r)| Ok(Item::new(p, r, replicate(&scenarios[p], r, None, keep)?)))
        .collect::<Result<_, RunError>>()
}

/// Runs `f` on the bundle's scenario with the bundle written out and the current directory
/// where the planning run had it (the scenario named as `given` on the command line when
/// that is relative); restores the current directory after. The current directory is the
/// process's: for the CLI's one-command processes only.
pub fn in_bundle<T>(
    bundle: &Bundle,
    given: &str,
    f: impl FnOnce(&Path) -> Result<T, RunError>,
) -> Result<T, RunError> {
    let m = bundle.materialize()?;
    let back = std::env::current_dir().map_err(|e| InputError::io(Path::new("."), e))?;
    std::env::set_current_dir(&m.cwd).map_err(|e| InputError::io(&m.cwd, e))?;
    let file = if Path::new(given).is_relative() {
        Path::new(given).to_path_buf()
    } else {
        m.scenario.clone()
    };
    let out = f(&file);
    std::env::set_current_dir(&back).map_err(|e| InputError::io(&back, e))?;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: every float survives the JSON round trip bit for bit (NaN, infinities, -0,
    /// subnormals and values whose shortest decimal form needs 17 digits included), and
    /// histograms with a u128 sum come back equal.
    #[test]
    fn item_round_trips_through_json_bit_for_bit() {
        let values = [
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            f64::MIN_POSITIVE / 3.0,
            1.0 / 3.0,
            f64::MAX,
            123_456.789_012_345_67,
        ];
        let figs: Vec<FigureValue> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("k{i}"), Some(*v)))
            .chain([("none".to_string(), None)])
            .collect();
        let mut h = Histogram::new();
        for v in [1, 300, 70_000, u64::MAX / 3, u64::MAX / 2] {
            h.record(v);
        }
        let mut t = Timeline::new(1_000_000);
        t.record_cold_start(10);
        t.finish();
        let rep = Replication {
            functions: vec![figs.clone()],
            total: figs,
            cold_latency: vec![h],
            timelines: Some(vec![t]),
        };
        let item = Item::new(3, 7, rep.clone());
        let back: Item = serde_json::from_str(&serde_json::to_string(&item).unwrap()).unwrap();
        let got = back.replication();
        let bits = |r: &Replication| -> Vec<Option<u64>> {
            r.total.iter().map(|(_, v)| v.map(f64::to_bits)).collect()
        };
        assert_eq!(bits(&got), bits(&rep));
        assert_eq!(got.cold_latency, rep.cold_latency);
        assert_eq!(got.timelines, rep.timelines);
        assert_eq!((back.point, back.replication), (3, 7));
    }
}
