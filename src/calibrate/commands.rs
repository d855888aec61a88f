//! The `calibrate` and `validate` commands, as library functions returning what they print.

use super::error::CalibrateResult;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::fit::CleaningPolicy;
use super::fit_report::{self, Provenance};
use super::groups::{GroupFit, SplitPolicy, fit_groups};
use super::hypothesis;
use super::imports_model;
use super::protocol::ForcedCold;
use super::protocol::PlatformOverrides;
use super::read::Observations;
use super::recipe::{describe_split, parse_day, run_recipe};
use super::regime::RegimeRule;
use super::runtime_model::{
    RuntimeModelSpec, SECANT_TOL, draft_runtime_model, fit_image_reads, write_runtime_model,
};
use super::source::{DataSource, ReaderKind};
use super::validate;
use crate::config::units::parse_duration;
use crate::error::InputError;

/// How to read the data (the shared flags).
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Reader.
    pub reader: ReaderKind,
    /// Value column.
    pub value: String,
    /// Grouping columns, comma-separated.
    pub group: String,
    /// Date column.
    pub time: Option<String>,
    /// Row filters.
    pub filters: Vec<String>,
    /// Last training day.
    pub train_until: Option<String>,
}

impl ReadOptions {
    fn source(&self, path: PathBuf) -> DataSource {
        DataSource {
            path,
            reader: self.reader,
            value: self.value.clone(),
            group: self
                .group
                .split(',')
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty())
                .collect(),
            time: self.time.clone(),
            filters: self.filters.clone(),
        }
    }

    fn train_until(&self) -> Result<Option<super::Day>, InputError> {
        self.train_until
            .as_deref()
            .map(|t| parse_day(t, "--train-until").map_err(InputError::Usage))
            .transpose()
    }
}

/// `coldsim calibrate` options.
#[derive(Clone, Debug)]
pub struct CalibrateOptions {
    /// Data file.
    pub data: Option<PathBuf>,
    /// Recipe file.
    pub recipe: Option<PathBuf>,
    /// Reading.
    pub read: ReadOptions,
    /// Last regime only.
    pub regimes: bool,
    /// Censoring threshold (a duration).
    pub censor_above: Option<String>,
    /// Outlier factor.
    pub outlier_factor: Option<f64>,
    /// Memory column for the hypotheses.
    pub memory_column: Option<String>,
    /// Report directory.
    pub report: Option<PathBuf>,
    /// Model file to write.
    pub out: Option<PathBuf>,
    /// Runtime name of the model.
    pub runtime: String,
    /// Base image NAME=SIZE_MB.
    pub base_image: String,
    /// Platform model file the image fit simulates on (default: the built-in one).
    pub platform: Option<PathBuf>,
    /// Import timings: the handler's imports (empty: every depth-0 module).
    pub top_modules: Vec<String>,
    /// Import timings: keep modules whose median cumulative time reaches this, fold the rest.
    pub keep_from_ms: f64,
    /// JSON instead of a table.
    pub json: bool,
}

/// Runs `coldsim calibrate`.
pub fn calibrate(o: &CalibrateOptions) -> CalibrateResult<String> {
    if let Some(recipe) = &o.recipe {
        return Ok(run_recipe(recipe)?.text);
    }
    let Some(path) = o.data.clone() else {
        return Err(InputError::Usage("calibrate needs a data file or --recipe".into()).into());
    };
    if o.read.reader == ReaderKind::Importtime {
        return imports_model::calibrate_imports(&path, o);
    }
    let source = o.read.source(path.clone());
    let (split, cleaning) = policies(o)?;
    let obs = load_observations(&source, &path)?;
    let groups = fit_groups(&obs, &split, &cleaning);
    let provenance = Provenance {
        source: path.display().to_string(),
        reading: source.describe(),
        group_columns: obs.group_columns.clone(),
        diagnostics: obs.diagnostics.to_string(),
        split: describe_split(&split),
    };
    if let Some(dir) = &o.report {
        fit_report::write(dir, &provenance, &groups)?;
    }
    let mut text = fit_text(o, &path, &provenance, &obs, &groups)?;
    if let Some(out) = &o.out {
        let fitted = Fitted {
            path: &path,
            source: &source,
            split: &split,
            obs: &obs,
            groups: &groups,
        };
        write_model(o, out, &fitted, &mut text)?;
    }
    Ok(text)
}

/// How calibrate splits and cleans the data, from its flags (checked in flag order).
fn policies(o: &CalibrateOptions) -> CalibrateResult<(SplitPolicy, CleaningPolicy)> {
    let train_until = o.read.train_until()?;
    if train_until.is_some() && o.read.time.is_none() && o.read.reader == ReaderKind::Csv {
        return Err(InputError::Usage(
            "--train-until needs --time COLUMN (the date column)".into(),
        )
        .into());
    }
    let censor_above_ms = o
        .censor_above
        .as_deref()
        .map(|t| {
            parse_duration(t)
                .map(|d| d.as_us() as f64 / 1e3)
                .map_err(|e| InputError::Usage(format!("--censor-above: {e}")))
        })
        .transpose()?;
    if let Some(f) = o.outlier_factor
        && !(f.is_finite() && f >= 1.0)
    {
        return Err(InputError::Usage(format!(
            "--outlier-factor: expected a number >= 1; got {f}"
        ))
        .into());
    }
    let split = SplitPolicy {
        train_until,
        regimes: o.regimes.then(RegimeRule::default),
        window_days: None,
        late_train_share: None,
    };
    let cleaning = CleaningPolicy {
        censor_above_ms,
        outlier_factor: o.outlier_factor,
    };
    Ok((split, cleaning))
}

/// The observations of `source`; none usable is an input error naming the first problem.
fn load_observations(source: &DataSource, path: &Path) -> CalibrateResult<Observations> {
    let obs = source.load()?;
    if obs.values.is_empty() {
        return Err(InputError::file(
            path,
            format!(
                "nothing to fit: no usable records ({}){}",
                obs.diagnostics,
                obs.diagnostics
                    .warnings
                    .first()
                    .map_or(String::new(), |w| format!(
                        "; first problem, row {}: {}",
                        w.row, w.message
                    ))
            ),
        )
        .into());
    }
    Ok(obs)
}

/// The fits as a table (with the reader's warnings) or JSON, and the CPU hypotheses when
/// `--memory-column` is given.
fn fit_text(
    o: &CalibrateOptions,
    path: &Path,
    provenance: &Provenance,
    obs: &Observations,
    groups: &[GroupFit],
) -> CalibrateResult<String> {
    let mut text = if o.json {
        serde_json::to_string_pretty(&fit_report::to_json(provenance, groups))? + "\n"
    } else {
        let mut t = fit_report::table(provenance, groups);
        for w in &obs.diagnostics.warnings {
            let _ = writeln!(
                t,
                "warning: {}: row {}: {}",
                path.display(),
                w.row,
                w.message
            );
        }
        t
    };
    if let Some(mc) = &o.memory_column {
        let fits = hypothesis::compare(obs, mc)?;
        if o.json {
            text +=
                &(serde_json::to_string_pretty(&hypothesis::to_json(&obs.group_columns, &fits))?
                    + "\n");
        } else {
            text += "\n";
            text += &hypothesis::table(&obs.group_columns, &fits);
        }
    }
    Ok(text)
}

/// What calibrate read and fitted, for writing the model.
struct Fitted<'a> {
    path: &'a Path,
    source: &'a DataSource,
    split: &'a SplitPolicy,
    obs: &'a Observations,
    groups: &'a [GroupFit],
}

/// `--out` writes one model: the groups may differ only in packaging and arch.
fn check_one_model(obs: &Observations, groups: &[GroupFit]) -> CalibrateResult<()> {
    let others: Vec<usize> = obs
        .group_columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.as_str() != "packaging" && c.as_str() != "arch")
        .map(|(i, _)| i)
        .collect();
    let distinct: std::collections::BTreeSet<Vec<&String>> = groups
        .iter()
        .map(|g| others.iter().map(|&i| &g.key[i]).collect())
        .collect();
    if distinct.len() > 1 {
        return Err(InputError::Usage(format!(
            "--out writes one model, but the groups differ in {} besides packaging and arch; select one with --where",
            others.iter().map(|&i| obs.group_columns[i].as_str()).collect::<Vec<_>>().join(", ")
        ))
        .into());
    }
    Ok(())
}

/// `--base-image NAME=SIZE_MB`, parsed.
fn base_image(o: &CalibrateOptions) -> CalibrateResult<(String, f64)> {
    let (name, size) = o.base_image.rsplit_once('=').ok_or_else(|| {
        InputError::Usage(format!(
            "--base-image `{}`: expected NAME=SIZE_MB",
            o.base_image
        ))
    })?;
    let size_mb: f64 = size
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0)
        .ok_or_else(|| {
            InputError::Usage(format!(
                "--base-image `{}`: SIZE_MB must be a number > 0",
                o.base_image
            ))
        })?;
    Ok((name.trim().to_string(), size_mb))
}

/// Drafts the runtime model from the fits, fits its image reads by simulation and writes it
/// to `out`; appends what it wrote to `text` (table output only).
fn write_model(
    o: &CalibrateOptions,
    out: &Path,
    f: &Fitted<'_>,
    text: &mut String,
) -> CalibrateResult<()> {
    check_one_model(f.obs, f.groups)?;
    let spec = RuntimeModelSpec {
        runtime: o.runtime.clone(),
        base_image: base_image(o)?,
        out: out.to_path_buf(),
        regenerate: format!(
            "coldsim calibrate {} ({})",
            f.path.display(),
            f.source.describe()
        ),
    };
    let describe = format!(
        "{}, {}, {}",
        f.path.display(),
        f.source.describe(),
        describe_split(f.split)
    );
    let draft = draft_runtime_model(&spec, &f.obs.group_columns, f.groups, &describe)?;
    let platform = PlatformOverrides {
        file: o.platform.clone(),
        ..PlatformOverrides::default()
    };
    let protocol = ForcedCold::default();
    let image = fit_image_reads(&spec, &draft, &platform, &protocol, (2000.0, SECANT_TOL))?;
    let note = match &o.platform {
        Some(p) => format!("platform {}", p.display()),
        None => "platform defaults".to_string(),
    };
    write_runtime_model(&spec, &draft, image.as_ref(), &note, &protocol)?;
    if !o.json {
        let _ = writeln!(text, "\nwrote {}", out.display());
        for a in image.iter().flat_map(|f| &f.arches) {
            let _ = writeln!(
                text,
                "  image {}: runtime_read_mb {:.1}; p50 {:.1} vs {:.1} ms (simulated vs data)",
                a.arch, a.runtime_read_mb, a.p50_ms.0, a.p50_ms.1
            );
        }
    }
    Ok(())
}

/// `coldsim validate` options.
#[derive(Clone, Debug)]
pub struct ValidateOptions {
    /// The workload model.
    pub model: PathBuf,
    /// The data.
    pub data: PathBuf,
    /// Reading.
    pub read: ReadOptions,
    /// `boost` and/or `proportional`.
    pub hypotheses: Vec<&'static str>,
    /// Platform model file (default: the built-in one).
    pub platform: Option<PathBuf>,
    /// Protocol days.
    pub days: u32,
    /// Seed.
    pub seed: u64,
    /// Report directory.
    pub report: Option<PathBuf>,
    /// JSON instead of a table.
    pub json: bool,
}

/// Runs `coldsim validate`.
pub fn validate(o: &ValidateOptions) -> CalibrateResult<String> {
    check_validate_flags(o)?;
    let source = o.read.source(o.data.clone());
    let after = o.read.train_until()?;
    let obs = source.load()?;
    let protocol = ForcedCold {
        days: o.days,
        ..ForcedCold::default()
    };
    let mut text = String::new();
    let mut all = Vec::new();
    let mut results = Vec::new();
    for h in &o.hypotheses {
        let checks = validate_one(o, h, &obs, after, &protocol)?;
        let scope = match after {
            Some(d) => format!("rows after {d}"),
            None => "all rows".into(),
        };
        let title = format!(
            "validation of {} against {} ({scope}), init CPU {h}",
            o.model.display(),
            o.data.display()
        );
        text += &validate::table(&obs.group_columns, &title, &checks);
        all.push(json!({"init_cpu": h, "groups": validate::to_json(&obs.group_columns, &checks)}));
        if let Some(dir) = &o.report {
            let prefix = format!("validate_{h}_");
            validate::write_overlays(dir, &obs.group_columns, &checks, h, &prefix)?;
        }
        results.push((*h, checks));
    }
    if let [(_, boost), (_, proportional)] = results.as_slice() {
        text += &verdict(boost, proportional);
    }
    let json_text = serde_json::to_string_pretty(&serde_json::Value::Array(all))? + "\n";
    if let Some(dir) = &o.report {
        crate::output::write_atomic(&dir.join("validation.txt"), text.as_bytes())?;
        crate::output::write_atomic(&dir.join("validation.json"), json_text.as_bytes())?;
    }
    Ok(if o.json { json_text } else { text })
}

/// Validate's flags, checked before any data is read.
fn check_validate_flags(o: &ValidateOptions) -> CalibrateResult<()> {
    if !(1..=5000).contains(&o.days) {
        return Err(InputError::Usage(format!(
            "--days must be between 1 and 5000; got {}",
            o.days
        ))
        .into());
    }
    if o.read.reader == ReaderKind::Importtime {
        return Err(InputError::Usage(
            "validate compares init durations; the importtime reader gives import timings".into(),
        )
        .into());
    }
    if !o.model.exists() {
        return Err(
            InputError::Usage(format!("model file not found: {}", o.model.display())).into(),
        );
    }
    Ok(())
}

/// The protocol run under init-CPU hypothesis `h`, checked against the data; no
/// measurements to compare is a usage error.
fn validate_one(
    o: &ValidateOptions,
    h: &str,
    obs: &Observations,
    after: Option<super::Day>,
    protocol: &ForcedCold,
) -> CalibrateResult<Vec<validate::GroupCheck>> {
    let platform = PlatformOverrides {
        file: o.platform.clone(),
        init_cpu: Some(h.to_string()),
        read_jitter_sigma: None,
    };
    let checks = validate::validate(&o.model, obs, after, protocol, &platform, o.seed)?;
    if checks.is_empty() {
        return Err(InputError::Usage(format!(
            "{}: no measurements to compare{}",
            o.data.display(),
            after.map_or(String::new(), |d| format!(" after {d}"))
        ))
        .into());
    }
    Ok(checks)
}

/// The verdict line when both hypotheses ran (boost first): the one with the smaller mean
/// KS distance is the one the data support.
fn verdict(boost: &[validate::GroupCheck], proportional: &[validate::GroupCheck]) -> String {
    let mean_ks =
        |c: &[validate::GroupCheck]| c.iter().map(|x| x.ks).sum::<f64>() / c.len().max(1) as f64;
    let (b, p) = (mean_ks(boost), mean_ks(proportional));
    format!(
        "verdict: mean KS boost {b:.4} vs proportional {p:.4}: the data support {} (KS {:.1}x smaller)\n",
        if b <= p { "boost" } else { "proportional" },
        if b <= p {
            p / b.max(1e-9)
        } else {
            b / p.max(1e-9)
        }
    )
}
