//! Measurement protocols replayed in the simulator, so that a model is compared with data
//! gathered the same way (`coldsim validate`, and the fits that go through the simulator).

use super::error::CalibrateResult;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::Context as _;
use rayon::prelude::*;

use crate::config::{Scenario, load_scenario};
use crate::stats::histogram::Histogram;

/// lambda-perf's protocol (maxday/lambda-perf, `../shared/data/README.md`): every day each
/// function is redeployed, then called `calls_per_day` times `spacing_s` apart, each call
/// forced cold (there by a configuration update; here by a keep-alive shorter than the
/// spacing). The functions run at different hours so their cold starts do not meet in the
/// caches.
#[derive(Clone, Debug, PartialEq)]
pub struct ForcedCold {
    /// Days simulated.
    pub days: u32,
    /// Cold starts per function per day.
    pub calls_per_day: u32,
    /// Seconds between a function's calls in a day.
    pub spacing_s: f64,
    /// Workers per AZ. A region's fleet is far larger than the platform default; lambda-perf
    /// shows no worker reuse between a function's calls (image p50 flat over sample_idx),
    /// which 1,000 workers per AZ reproduce.
    pub workers_per_az: u32,
    /// Share of an image's chunks that a daily redeploy changes (only the handler's).
    pub redeploy_unique_fraction: f64,
}

impl Default for ForcedCold {
    /// lambda-perf's protocol: 10 forced cold starts a day (its README, facts.md "maxday/
    /// lambda-perf"); 5 s apart is assumed (the README gives no spacing). 400 days give 4,000
    /// cold starts per function, enough for a p90 to ~2% and a KS distance to ~0.02.
    fn default() -> Self {
        ForcedCold {
            days: 400,
            calls_per_day: 10,
            spacing_s: 5.0,
            workers_per_az: 1000,
            redeploy_unique_fraction: 0.001,
        }
    }
}

/// One function of a protocol run: a configuration measured in the data.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolFunction {
    /// Name in the scenario (and in reports).
    pub name: String,
    /// `zip`, `zip_layers` or `image`.
    pub packaging: String,
    /// `x86_64` or `arm64`.
    pub arch: String,
    /// Memory size.
    pub memory_mb: u32,
    /// The workload model file.
    pub workload: PathBuf,
}

/// Trace files of a protocol run, removed when dropped.
pub struct ProtocolFiles {
    dir: PathBuf,
}

impl Drop for ProtocolFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static RUN_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Platform settings of a protocol run, on top of the built-in platform model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlatformOverrides {
    /// A platform model file (its keys overlay the built-in model).
    pub file: Option<PathBuf>,
    /// `init_cpu`: `boost` or `proportional`.
    pub init_cpu: Option<String>,
    /// `storage.read_jitter_sigma`.
    pub read_jitter_sigma: Option<f64>,
}

impl PlatformOverrides {
    /// The `[platform]` table: the file's keys, then the overrides, then the protocol's own
    /// (keep-alive 1 s so every call is cold; the fleet size).
    fn table(&self, protocol: &ForcedCold) -> CalibrateResult<toml::Table> {
        let mut t = match &self.file {
            Some(f) => {
                let text = crate::input::read_text(f, crate::input::InputKind::Toml)?;
                text.parse::<toml::Table>()
                    .map_err(|e| crate::error::InputError::Toml {
                        file: f.clone(),
                        message: e.to_string().trim_end().to_string(),
                    })?
            }
            None => toml::Table::new(),
        };
        if let Some(c) = &self.init_cpu {
            t.insert("init_cpu".into(), c.clone().into());
        }
        t.insert("keep_alive".into(), "1s".into());
        let storage = t
            .entry("storage")
            .or_insert_with(|| toml::Table::new().into());
        let Some(storage) = storage.as_table_mut() else {
            let file = self.file.clone().unwrap_or_default();
            return Err(crate::error::InputError::field(
                &file,
                "storage",
                "must be a table ([storage])",
            )
            .into());
        };
        storage.insert(
            "workers_per_az".into(),
            i64::from(protocol.workers_per_az).into(),
        );
        if let Some(s) = self.read_jitter_sigma {
            storage.insert("read_jitter_sigma".into(), s.into());
        }
        Ok(t)
    }
}

/// The scenario text of `protocol` for `functions` on `platform`, writing its trace files
/// into `dir`.
pub fn forced_cold_toml(
    protocol: &ForcedCold,
    functions: &[ProtocolFunction],
    platform: &PlatformOverrides,
    seed: u64,
    dir: &Path,
) -> CalibrateResult<String> {
    let hours = protocol.days as u64 * 24;
    let mut wrapper = toml::Table::new();
    wrapper.insert("platform".into(), platform.table(protocol)?.into());
    let mut toml = format!(
        "[run]\nduration = \"{hours}h\"\nseed = {seed}\n\n{}",
        toml::to_string(&wrapper)?
    );
    // Functions take turns through the day, an hour apart, wrapping after 23.
    for (i, f) in functions.iter().enumerate() {
        let offset_s = 3600.0 * (1 + i % 23) as f64 + 60.0 * (i / 23) as f64;
        let trace = dir.join(format!("f{i}.csv"));
        let mut csv = String::from("timestamp\n");
        for d in 0..protocol.days {
            for k in 0..protocol.calls_per_day {
                let t = d as f64 * 86_400.0 + offset_s + protocol.spacing_s * k as f64;
                writeln!(csv, "{t}")?;
            }
        }
        crate::output::write_atomic(&trace, csv.as_bytes())?;
        let workload = std::path::absolute(&f.workload)
            .with_context(|| format!("resolving {}", f.workload.display()))?;
        write!(
            toml,
            "\n[[function]]\nname = {name:?}\nmemory_mb = {mem}\narch = {arch:?}\npackaging = {pkg:?}\nworkload = {wl:?}\nhandler = \"1ms\"\n\
             [[traffic]]\nfunction = {name:?}\nkind = \"trace\"\nfile = {file:?}\nformat = \"timestamps\"\ncolumn = \"timestamp\"\ninvocation = \"sync\"\n",
            name = f.name,
            mem = f.memory_mb,
            arch = f.arch,
            pkg = f.packaging,
            wl = workload.display().to_string(),
            file = trace.display().to_string(),
        )?;
        // lambda-perf redeploys every day: an image gets a new version. A SnapStart
        // function keeps its first snapshot here: the data show no slow first restore of
        // the day (java21 snapstart restore p90/p50 = 1.2), so a publish leaves the
        // snapshot's chunks in the caches.
        if f.packaging == "image" {
            for d in 1..protocol.days {
                write!(
                    toml,
                    "[[deploy]]\nfunction = {:?}\nat = \"{}s\"\nunique_chunk_fraction = {}\n",
                    f.name,
                    d as f64 * 86_400.0 + offset_s - 60.0,
                    protocol.redeploy_unique_fraction
                )?;
            }
        }
    }
    Ok(toml)
}

/// Loads the scenario of `protocol` for `functions`; the returned guard owns its trace files.
pub fn forced_cold_scenario(
    protocol: &ForcedCold,
    functions: &[ProtocolFunction],
    platform: &PlatformOverrides,
    seed: u64,
) -> CalibrateResult<(Scenario, ProtocolFiles)> {
    let dir = std::env::temp_dir().join(format!(
        "coldsim-protocol-{}-{}",
        std::process::id(),
        RUN_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = ProtocolFiles { dir: dir.clone() };
    let toml = forced_cold_toml(protocol, functions, platform, seed, &dir)?;
    let path = dir.join("protocol.toml");
    crate::output::write_atomic(&path, toml.as_bytes())?;
    let sc = load_scenario(&path)?;
    Ok((sc, files))
}

/// The simulated `Init Duration` distribution (`Restore Duration` for SnapStart) of each function of `sc` (merged over its
/// replications, in parallel), in function order.
pub fn init_histograms(sc: &Scenario) -> CalibrateResult<Vec<Histogram>> {
    let runs: Vec<Vec<Histogram>> = (0..sc.replications)
        .into_par_iter()
        .map(|r| -> CalibrateResult<Vec<Histogram>> {
            let stats =
                crate::sim::run(sc, r, None, None).map_err(crate::runner::RunError::from)?;
            Ok(stats
                .functions
                .into_iter()
                // A SnapStart function restores: its REPORT shows Restore Duration.
                .map(|f| {
                    if f.init_duration.count() == 0 {
                        f.restore_duration
                    } else {
                        f.init_duration
                    }
                })
                .collect())
        })
        .collect::<CalibrateResult<_>>()?;
    let mut merged = vec![Histogram::new(); sc.functions.len()];
    for run in &runs {
        for (m, h) in merged.iter_mut().zip(run) {
            m.merge(h);
        }
    }
    Ok(merged)
}

/// Simulates `protocol` for `functions` and returns each one's `Init Duration` histogram.
pub fn simulate_forced_cold(
    protocol: &ForcedCold,
    functions: &[ProtocolFunction],
    platform: &PlatformOverrides,
    seed: u64,
) -> CalibrateResult<Vec<Histogram>> {
    let (sc, _files) = forced_cold_scenario(protocol, functions, platform, seed)?;
    init_histograms(&sc)
}
