//! A measurement file and how to read it into grouped durations: the same description for
//! the command line (`--reader --value --group --time --where`) and for recipe files.

use std::path::{Path, PathBuf};

use crate::error::{InputError, InputResult};

use super::read::generic::read_generic_file;
use super::read::insights::read_insights_file;
use super::read::report::read_report_file;
use super::read::{ColdMetric, ColumnMapping, Observations};

/// Which reader a file needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReaderKind {
    /// Any CSV, with a column mapping (`--value`, `--group`, `--time`).
    Csv,
    /// Raw CloudWatch log text with `REPORT` lines (value: `Init Duration`, or `Restore
    /// Duration` with `--value restore`; group by `memory_mb` if asked).
    Report,
    /// A CloudWatch Logs Insights CSV export (value: `@initDuration`; group by its extra
    /// columns and `memory_mb`).
    Insights,
    /// `python -X importtime` output, raw stderr or CSV: per-module import costs.
    Importtime,
}

/// A data file and its reading.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSource {
    /// The file.
    pub path: PathBuf,
    /// Its reader.
    pub reader: ReaderKind,
    /// Value column (`csv`), or `init`/`restore` (`report`).
    pub value: String,
    /// Grouping columns.
    pub group: Vec<String>,
    /// Date column (`csv`).
    pub time: Option<String>,
    /// Row filters `COLUMN=V1,V2`.
    pub filters: Vec<String>,
}

impl DataSource {
    /// One line saying how the file is read.
    pub fn describe(&self) -> String {
        let mut s = format!("{:?} reader", self.reader).to_lowercase();
        if self.reader == ReaderKind::Csv {
            s += &format!(", value {}", self.value);
        }
        if !self.group.is_empty() {
            s += &format!(", grouped by {}", self.group.join(", "));
        }
        if let Some(t) = &self.time {
            s += &format!(", dated by {t}");
        }
        if !self.filters.is_empty() {
            s += &format!(", where {}", self.filters.join(" and "));
        }
        s
    }

    /// Reads the file into grouped durations.
    pub fn load(&self) -> InputResult<Observations> {
        let group = self.group.join(",");
        let filters = |obs: Observations| -> InputResult<Observations> {
            filter_groups(obs, &self.filters, &self.path)
        };
        match self.reader {
            ReaderKind::Csv => {
                let mapping = ColumnMapping::parse(
                    &self.value,
                    &group,
                    self.time.as_deref(),
                    &self.filters,
                )?;
                read_generic_file(&self.path, &mapping)
            }
            ReaderKind::Report => {
                let metric = match self.value.as_str() {
                    "" | "init" => ColdMetric::Init,
                    "restore" => ColdMetric::Restore,
                    other => {
                        return Err(InputError::Usage(format!(
                            "--value `{other}`: a REPORT log gives `init` or `restore`"
                        )));
                    }
                };
                let by_memory = match self.group.as_slice() {
                    [] => false,
                    [m] if m == "memory_mb" || m == "memory_size_mb" => true,
                    other => {
                        return Err(InputError::Usage(format!(
                            "--group {}: a REPORT log can only be grouped by memory_mb",
                            other.join(",")
                        )));
                    }
                };
                let log = read_report_file(&self.path)?;
                let mut obs = Observations::from_reports(&log.records, metric, by_memory);
                obs.diagnostics = merge_diagnostics(&log.diagnostics, obs.diagnostics);
                filters(memory_column_named_memory_mb(obs))
            }
            ReaderKind::Insights => {
                if !matches!(self.value.as_str(), "" | "init" | "@initDuration") {
                    return Err(InputError::Usage(format!(
                        "--value `{}`: a Logs Insights export gives `@initDuration` (init) only",
                        self.value
                    )));
                }
                let table = read_insights_file(&self.path)?;
                let group: Vec<String> = self
                    .group
                    .iter()
                    .map(|g| if g == "memory_mb" { "memory_size_mb".into() } else { g.clone() })
                    .collect();
                let mut obs = Observations::from_insights(&table, &group)?;
                obs.diagnostics = merge_diagnostics(&table.diagnostics, obs.diagnostics);
                filters(memory_column_named_memory_mb(obs))
            }
            ReaderKind::Importtime => Err(InputError::Usage(
                "import timings are not durations to fit per group; use `coldsim calibrate --reader importtime`".into(),
            )),
        }
    }
}

/// The memory grouping column is called `memory_mb` everywhere downstream (validation and
/// the init-CPU hypotheses look for it), whatever the reader called it.
fn memory_column_named_memory_mb(mut obs: Observations) -> Observations {
    for c in &mut obs.group_columns {
        if c == "memory_size_mb" || c == "@memorySize" {
            *c = "memory_mb".into();
        }
    }
    obs
}

/// The file reader's warnings with the conversion's counts.
fn merge_diagnostics(
    read: &super::Diagnostics,
    converted: super::Diagnostics,
) -> super::Diagnostics {
    super::Diagnostics {
        rows_read: read.rows_read,
        records: converted.records,
        ignored: read.ignored + converted.ignored,
        warnings: read.warnings.clone(),
        warnings_dropped: read.warnings_dropped,
    }
}

/// Keeps the observations whose group matches every `COLUMN=V1,V2` filter (columns must be
/// grouping columns).
fn filter_groups(
    mut obs: Observations,
    filters: &[String],
    path: &Path,
) -> InputResult<Observations> {
    if filters.is_empty() {
        return Ok(obs);
    }
    let mut rules = Vec::new();
    for f in filters {
        let Some((col, values)) = f.split_once('=') else {
            return Err(InputError::Usage(format!(
                "--where `{f}`: expected COLUMN=VALUE[,VALUE...]"
            )));
        };
        let Some(i) = obs.group_columns.iter().position(|c| c == col.trim()) else {
            return Err(InputError::Usage(format!(
                "{}: --where `{f}`: `{}` is not a grouping column ({})",
                path.display(),
                col.trim(),
                obs.group_columns.join(", ")
            )));
        };
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        rules.push((i, values));
    }
    let keep: Vec<bool> = obs
        .groups
        .iter()
        .map(|k| rules.iter().all(|(i, vs)| vs.contains(&k[*i])))
        .collect();
    let before = obs.values.len();
    obs.values.retain(|o| keep[o.group as usize]);
    obs.diagnostics.ignored += (before - obs.values.len()) as u64;
    obs.diagnostics.records = obs.values.len() as u64;
    Ok(obs)
}
