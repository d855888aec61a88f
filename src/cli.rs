//! Command-line interface: `coldsim scenario FILE [...]`. Every user error exits with code 2
//! and a message naming the file and the key, line or row (bad input, [`InputError`]) or the
//! flag and the path (a bad output path, [`OutputError`]); a fault of the machine (a full
//! disk, an I/O error) exits with 1. Output paths are checked before the run
//! ([`crate::output::preflight`]) and written atomically.

// The one module of the crate that uses anyhow (clippy.toml disallows it elsewhere).
#![allow(clippy::disallowed_types, clippy::disallowed_macros)]

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::calibrate::error::CalibrateError;
use crate::calibrate::source::ReaderKind;
use crate::config::load_scenario;
use crate::error::InputError;
use crate::output::preflight::{self, OutputKind};
use crate::output::{OutputError, ReportDir, inputs::toml_inputs};
use crate::report::invocations::InvocationCsv;
use crate::report::progress::Progress;
use crate::report::{csv_out, json, table};
use crate::runner::{RunError, apply_overrides, run_scenario};
use crate::units::setup::{Kind, RunSpec};

/// coldsim: simulate AWS Lambda cold starts for a function and a traffic pattern.
#[derive(Parser, Debug)]
#[command(name = "coldsim", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output formats.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A table for people.
    Table,
    /// The JSON output contract.
    Json,
    /// One row per function and figure.
    Csv,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario file and print the distribution of cold starts.
    Scenario {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Run seed (overrides [run] seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Number of replications (overrides [run] replications).
        #[arg(long)]
        replications: Option<u32>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Stream one row per invocation to this CSV file (replications then run in order).
        #[arg(long, value_name = "PATH")]
        invocations_csv: Option<PathBuf>,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Fit distributions to measurements (REPORT logs, Logs Insights exports, CSVs, import
    /// timings); print a fit report and optionally write a workload model.
    Calibrate(CalibrateArgs),
    /// Run a scenario and its [[variant]] tables with common random numbers and show them
    /// side by side, with paired differences to the baseline.
    Compare(WhatIfArgs),
    /// Run the grid of --set overrides (in parallel) and optionally pick the best point.
    Sweep(SweepArgs),
    /// Replay the data's measurement protocol with a workload model and compare the
    /// simulated init distribution with held-out measurements.
    Validate(ValidateArgs),
    /// List the built-in models (compiled into the binary; a scenario names one from any
    /// folder, e.g. `workload = "python312-hello"`).
    Models {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Write a scenario from a SAM/CloudFormation template, a function configuration or
    /// CloudWatch logs, each value commented with where it came from.
    #[command(subcommand)]
    Import(crate::import::ImportCommand),
    /// List the built-in runtime models (calibrated on lambda-perf) that `runtime = "ID"`
    /// on a [[function]] selects: ID, lambda-perf label, packagings and architectures
    /// covered, init p50/p90.
    Runtimes {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Run one work unit of a plan (`--plan DIR`) and write its partial result.
    RunUnit(RunUnitArgs),
    /// Merge a plan's partial results: prints and writes what the planned command would.
    Merge(MergeArgs),
}

/// `--plan DIR --units N` of `scenario`, `compare` and `sweep`: split the run into work units
/// instead of running it (src/units/).
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// Write the run as work units into this new folder (plan.json, inputs.json,
    /// unit-NNN.json) instead of running it; run them with `coldsim run-unit` (or
    /// `coldsim-ray`) and merge with `coldsim merge`.
    #[arg(long, value_name = "DIR")]
    plan: Option<PathBuf>,
    /// Number of work units of --plan (fewer when the run has fewer replications in all).
    #[arg(long, value_name = "N", default_value_t = 8, requires = "plan")]
    units: usize,
}

/// `coldsim run-unit`.
#[derive(clap::Args, Debug)]
pub struct RunUnitArgs {
    /// The unit file (unit-NNN.json of a plan).
    unit: PathBuf,
    /// The plan's inputs (default: inputs.json beside the unit file).
    #[arg(long, value_name = "FILE")]
    inputs: Option<PathBuf>,
    /// Where to write the partial result (by convention NAME.partial.json).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: PathBuf,
}

/// `coldsim merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The plan folder.
    dir: PathBuf,
    /// Partial results (default: every *.partial.json in the plan folder).
    partials: Vec<PathBuf>,
    /// Output format (default: the planned command's).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report into this directory (default: the planned command's --report).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

/// How a measurement file is read (shared by `calibrate` and `validate`).
#[derive(clap::Args, Debug)]
pub struct ReadArgs {
    /// The reader: csv (with --value/--group/--time), report (CloudWatch REPORT lines),
    /// insights (Logs Insights CSV export), importtime (python -X importtime, raw or CSV).
    #[arg(long, value_enum, default_value_t = ReaderKind::Csv)]
    reader: ReaderKind,
    /// Value column, optionally with a unit (`init_duration_ms`, `t:us`); for report:
    /// `init` (default) or `restore`.
    #[arg(long, default_value = "")]
    value: String,
    /// Grouping columns, comma-separated (e.g. `python_version,packaging,arch`).
    #[arg(long, default_value = "")]
    group: String,
    /// Date column (needed for --train-until with csv).
    #[arg(long)]
    time: Option<String>,
    /// Keep rows whose COLUMN is one of the values: `COLUMN=V1,V2` (repeatable).
    #[arg(long = "where", value_name = "COLUMN=VALUES")]
    filters: Vec<String>,
    /// Rows dated after this day (YYYY-MM-DD) are held out of training (calibrate) or
    /// are the ones compared (validate).
    #[arg(long, value_name = "DATE")]
    train_until: Option<String>,
}

/// Output formats of `calibrate` and `validate`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// A table for people.
    Table,
    /// JSON.
    Json,
}

/// `coldsim calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// The measurement file (leave out with --recipe).
    #[arg(required_unless_present = "recipe")]
    data: Option<PathBuf>,
    /// Run a calibration recipe (data, fits, models, checks in one TOML file).
    #[arg(long, value_name = "FILE", conflicts_with = "data")]
    recipe: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
    /// Fit only the last regime of the training rows (level-shift detection).
    #[arg(long)]
    regimes: bool,
    /// Values at or above this duration are right-censored (e.g. `10s`, the init timeout).
    #[arg(long, value_name = "DURATION")]
    censor_above: Option<String>,
    /// Values above this many medians are right-censored there, not dropped.
    #[arg(long, value_name = "FACTOR")]
    outlier_factor: Option<f64>,
    /// Compare the init-CPU hypotheses (boost vs proportional) using this grouping column
    /// as the memory size.
    #[arg(long, value_name = "COLUMN")]
    memory_column: Option<String>,
    /// Write the fit report (text, JSON, one SVG per group) into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Write a runtime workload model (init per arch from zip rows; image chunk reads
    /// fitted through the simulator from image rows).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The model's runtime name (with --out).
    #[arg(long, default_value = "python3.12")]
    runtime: String,
    /// Platform model file the image fit simulates on (with --out; default: built in).
    #[arg(long, value_name = "FILE")]
    platform: Option<PathBuf>,
    /// The model's base image as NAME=SIZE_MB (with --out).
    #[arg(long, default_value = "public.ecr.aws/lambda/python:3.12=535")]
    base_image: String,
    /// Import timings: the handler's imports, comma-separated (default: every top-level
    /// module of the traces).
    #[arg(long, value_name = "MODULES", default_value = "")]
    top_modules: String,
    /// Import timings: keep modules whose median cumulative import time reaches this; fold
    /// the others into their importer.
    #[arg(long, value_name = "DURATION", default_value = "10ms")]
    keep_from: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
}

/// Options shared by `compare` and `sweep`.
#[derive(clap::Args, Debug)]
pub struct WhatIfArgs {
    /// The scenario file (TOML), with [[variant]] tables for `compare`.
    file: PathBuf,
    /// Run seed (overrides [run] seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Number of replications (overrides [run] replications).
    #[arg(long)]
    replications: Option<u32>,
    /// Compare this function's figures (default: the total over functions).
    #[arg(long)]
    function: Option<String>,
    /// Output format (table or json).
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Also write report.md, SVG plots and the JSON into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    #[command(flatten)]
    plan: PlanArgs,
}

/// `coldsim sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    common: WhatIfArgs,
    /// An axis of the grid: KEY=V1,V2,... with KEY a dotted path such as
    /// function.api.memory_mb or platform.keep_alive (repeatable; the grid is the product).
    #[arg(long = "set", value_name = "KEY=VALUES", required = true)]
    sets: Vec<String>,
    /// What to optimise: `min|max FIGURE [where FIGURE OP VALUE [and ...]]`, e.g.
    /// "min cost where latency.p99 < 800ms".
    #[arg(long)]
    objective: Option<String>,
}

impl WhatIfArgs {
    fn spec(&self, command: Kind) -> RunSpec {
        let mut spec = scenario_spec(command, &self.file, self.seed, self.replications);
        spec.function = self.function.clone();
        spec
    }

    fn options(&self) -> crate::whatif::RunOptions {
        crate::whatif::RunOptions {
            seed: self.seed,
            replications: self.replications,
            function: self.function.clone(),
            timeline: self.report.is_some(),
        }
    }
}

/// Which init-CPU hypothesis `validate` simulates.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuChoice {
    /// The platform file's setting (boost: 2 vCPUs whatever the memory).
    Boost,
    /// CPU proportional to memory during init.
    Proportional,
    /// Both, side by side, with a verdict.
    Both,
}

/// Which measurement protocol `validate` replays.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolChoice {
    /// lambda-perf's forced cold starts: MODEL is a workload model, DATA init durations.
    ForcedCold,
    /// Steady Poisson traffic: MODEL is a one-function base scenario, DATA a CSV with
    /// rate_per_s,handler_mean_ms,cold_fraction,cold_fraction_se[,mean_live[,mean_live_se]].
    Steady,
}

/// `coldsim validate`.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// The workload model to validate (`--protocol steady`: the base scenario).
    model: PathBuf,
    /// The measurement file.
    data: PathBuf,
    /// The measurement protocol to replay.
    #[arg(long, value_enum, default_value_t = ProtocolChoice::ForcedCold)]
    protocol: ProtocolChoice,
    #[command(flatten)]
    read: ReadArgs,
    /// Init-CPU hypothesis to simulate.
    #[arg(long, value_enum, default_value_t = CpuChoice::Boost)]
    init_cpu: CpuChoice,
    /// Platform model file (default: the built-in one).
    #[arg(long, value_name = "FILE")]
    platform: Option<PathBuf>,
    /// Days of the forced-cold protocol (10 cold starts per group per day).
    #[arg(long, default_value_t = 400)]
    days: u32,
    /// Simulation seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the report (text, JSON, one overlay SVG per group) into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
}

/// Runs the parsed command; [`exit_code`] maps its error to the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Scenario {
            file,
            seed,
            replications,
            format,
            invocations_csv,
            plan,
        } => {
            if plan.plan.is_some() {
                if invocations_csv.is_some() {
                    return Err(InputError::Usage(
                        "--plan cannot stream --invocations-csv (units run apart)".into(),
                    )
                    .into());
                }
                let spec = scenario_spec(Kind::Scenario, &file, seed, replications);
                return write_plan(spec, format_name(format), None, &plan);
            }
            let mut sc = load_scenario(&file)?;
            apply_overrides(&mut sc, seed, replications)?;
            if let Some(path) = &invocations_csv {
                preflight::check(CSV_FLAG, path, OutputKind::File, &toml_inputs(&file))?;
            }
            crate::config::work::check(&sc)?;
            if let Some(note) = crate::config::work::long_run_note(&sc) {
                eprintln!("{note}");
            }
            let progress =
                Progress::start(sc.duration.as_us().saturating_mul(sc.replications as u64));
            let summary = match &invocations_csv {
                Some(path) => {
                    let names = sc.functions.iter().map(|f| f.name.clone()).collect();
                    let named = |e: OutputError| e.with_flag(CSV_FLAG);
                    let mut sink = InvocationCsv::create(path, names).map_err(named)?;
                    let s = run_scenario(&sc, Some(&mut sink), Some(progress.counter()))
                        .map_err(|e| name_outputs(e.into(), &[(CSV_FLAG, path)], None))?;
                    sink.finish().map_err(named)?;
                    s
                }
                None => run_scenario(&sc, None, Some(progress.counter()))?,
            };
            progress.finish();
            emit_summary(&summary, format)
        }
        Command::Compare(args) => {
            check_report(&args.report, &toml_inputs(&args.file))?;
            if args.plan.plan.is_some() {
                return write_plan(
                    args.spec(Kind::Compare),
                    fmt_name(args.format),
                    args.report.clone(),
                    &args.plan,
                );
            }
            let c = crate::whatif::compare(&args.file, &args.options())?;
            emit_comparison(&c, args.format, &args.report)
        }
        Command::Sweep(args) => run_sweep(args),
        Command::Calibrate(args) => run_calibrate(args),
        Command::Validate(args) => run_validate(args),
        Command::Models { format } => {
            let models: Vec<_> = crate::config::builtin::all()
                .iter()
                .filter(|m| m.is_listed())
                .copied()
                .collect();
            print(&match format {
                ReportFormat::Table => crate::report::models::table(&models),
                ReportFormat::Json => {
                    crate::report::compare::pretty(&crate::report::models::json(&models))
                }
            })
        }
        Command::Import(cmd) => print(&crate::import::run(&cmd).map_err(|e| match e {
            crate::import::ImportError::Input(e) => anyhow::Error::from(e),
            crate::import::ImportError::Output(e) => e.into(),
        })?),
        Command::Runtimes { format } => {
            let entries = crate::runtimes::builtin();
            match format {
                ReportFormat::Table => print(&crate::runtimes::table(entries)),
                ReportFormat::Json => print(
                    &(serde_json::to_string_pretty(&crate::runtimes::to_json(entries))? + "\n"),
                ),
            }
        }
        Command::RunUnit(args) => run_unit(args),
        Command::Merge(args) => run_merge(args),
    }
}

/// Prints a scenario's summary in `format`.
fn emit_summary(summary: &crate::stats::figures::Summary, format: Format) -> anyhow::Result<()> {
    print(&match format {
        Format::Table => table::render(summary),
        Format::Json => json::render(summary),
        Format::Csv => csv_out::render(summary),
    })
}

/// Writes a comparison's report (when asked for) and prints it in `format`.
fn emit_comparison(
    c: &crate::whatif::Comparison,
    format: ReportFormat,
    report: &Option<PathBuf>,
) -> anyhow::Result<()> {
    if let Some(dir) = report {
        crate::report::markdown::write_comparison_report(dir, c)
            .map_err(|e| e.with_flag(REPORT_FLAG))?;
    }
    print(&match format {
        ReportFormat::Table => crate::report::compare::render_comparison_table(c),
        ReportFormat::Json => {
            crate::report::compare::pretty(&crate::report::compare::comparison_json(c))
        }
    })
}

/// Writes a sweep's report (when asked for) and prints it in `format`.
fn emit_sweep(
    s: &crate::whatif::sweep::Sweep,
    format: ReportFormat,
    report: &Option<PathBuf>,
) -> anyhow::Result<()> {
    if let Some(dir) = report {
        crate::report::markdown::write_sweep_report(dir, s)
            .map_err(|e| e.with_flag(REPORT_FLAG))?;
    }
    print(&match format {
        ReportFormat::Table => crate::report::compare::render_sweep_table(s),
        ReportFormat::Json => {
            crate::report::compare::pretty(&crate::report::compare::sweep_json(s))
        }
    })
}

/// The flag of the per-invocation CSV.
const CSV_FLAG: &str = "--invocations-csv";
/// The flag of report folders.
const REPORT_FLAG: &str = "--report";
/// The flag of calibrate's model file.
const OUT_FLAG: &str = "--out";

/// The exit code for an error of [`run`]: 2 when the user can fix it (bad input, a bad flag
/// value, a bad output path), 1 for a fault of the machine (full disk, I/O error) or a bug.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(user) = user_fault(cause) {
            return if user { 2 } else { 1 };
        }
    }
    1
}

/// Whether `cause` is the user's fault (`Some(true)`, exit 2) or the machine's
/// (`Some(false)`, exit 1), for the error types of the library; `None` for any other error.
fn user_fault(cause: &(dyn std::error::Error + 'static)) -> Option<bool> {
    if cause.downcast_ref::<InputError>().is_some() {
        return Some(true);
    }
    if let Some(r) = cause.downcast_ref::<RunError>() {
        return Some(r.is_user_error());
    }
    if let Some(c) = cause.downcast_ref::<CalibrateError>() {
        return c.user_fault();
    }
    let output = cause.downcast_ref::<OutputError>().or_else(|| {
        cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<OutputError>())
    });
    output.map(OutputError::is_user_error)
}

/// Prints `e` on stderr as `coldsim: error: ...` and returns its [`exit_code`].
pub fn report_error(e: &anyhow::Error) -> u8 {
    eprintln!("coldsim: error: {}", error_text(e));
    exit_code(e)
}

/// The error and its causes joined by ": ", leaving out a cause whose text the message
/// before it already ends with (an `InputError::Io` shows its I/O error itself, which is
/// also its source).
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text += ": ";
        }
        text += &part;
    }
    text
}

/// Names the flag of an [`OutputError`] inside `e` that has none: the flag whose path it
/// is (or, for `staging`, the flag of the report folder whose staging folder it is in, with
/// the path moved to the folder the user named).
fn name_outputs(
    mut e: anyhow::Error,
    outputs: &[(&str, &Path)],
    staging: Option<(&Path, &Path)>,
) -> anyhow::Error {
    let output = if e.is::<RunError>() {
        e.downcast_mut::<RunError>()
            .and_then(RunError::output_error_mut)
    } else if e.is::<CalibrateError>() {
        e.downcast_mut::<CalibrateError>()
            .and_then(CalibrateError::output_error_mut)
    } else {
        match e.downcast_mut::<std::io::Error>() {
            Some(io) => io
                .get_mut()
                .and_then(|inner| inner.downcast_mut::<OutputError>()),
            None => e.downcast_mut::<OutputError>(),
        }
    };
    if let Some(o) = output {
        if let Some((from, to)) = staging
            && o.path.starts_with(from)
        {
            o.relocate_in_place(from, to);
            o.flag.get_or_insert_with(|| REPORT_FLAG.to_string());
        }
        if let Some((flag, _)) = outputs.iter().find(|(_, p)| o.path == *p) {
            o.flag.get_or_insert_with(|| flag.to_string());
        }
    }
    e
}

/// Checks `--report DIR`, when given, before the run.
fn check_report(report: &Option<PathBuf>, inputs: &[PathBuf]) -> Result<(), OutputError> {
    match report {
        Some(dir) => preflight::check(REPORT_FLAG, dir, OutputKind::Folder, inputs),
        None => Ok(()),
    }
}

fn run_sweep(args: SweepArgs) -> anyhow::Result<()> {
    let axes = args
        .sets
        .iter()
        .map(|s| crate::whatif::sweep::parse_axis(s))
        .collect::<Result<Vec<_>, _>>()?;
    let objective = args
        .objective
        .as_deref()
        .map(crate::whatif::objective::parse)
        .transpose()?;
    check_report(&args.common.report, &toml_inputs(&args.common.file))?;
    if args.common.plan.plan.is_some() {
        let mut spec = args.common.spec(Kind::Sweep);
        spec.sets = args.sets.clone();
        spec.objective = args.objective.clone();
        let c = &args.common;
        return write_plan(spec, fmt_name(c.format), c.report.clone(), &c.plan);
    }
    let mut opts = args.common.options();
    opts.timeline = false;
    let s = crate::whatif::sweep::sweep(&args.common.file, axes, objective, &opts)?;
    emit_sweep(&s, args.common.format, &args.common.report)
}

/// The command of a plan, without the sweep's axes and objective.
fn scenario_spec(
    command: Kind,
    file: &Path,
    seed: Option<u64>,
    replications: Option<u32>,
) -> RunSpec {
    RunSpec {
        command,
        file: file.to_string_lossy().into_owned(),
        seed,
        replications,
        function: None,
        sets: Vec::new(),
        objective: None,
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Table => "table",
        Format::Json => "json",
        Format::Csv => "csv",
    }
}

fn fmt_name(f: ReportFormat) -> &'static str {
    match f {
        ReportFormat::Table => "table",
        ReportFormat::Json => "json",
    }
}

/// Checks the command of `spec` as the single-machine run would, then writes its plan.
fn write_plan(
    spec: RunSpec,
    format: &str,
    report: Option<PathBuf>,
    p: &PlanArgs,
) -> anyhow::Result<()> {
    let dir = p.plan.as_deref().expect("called with --plan");
    if p.units == 0 {
        return Err(InputError::Usage("--units must be at least 1".into()).into());
    }
    let setup = spec.setup(Path::new(&spec.file))?;
    let replications = setup.scenarios().iter().map(|s| s.replications).collect();
    let bundle = crate::units::bundle::Bundle::collect(Path::new(&spec.file), &spec.sets)?;
    let output = crate::units::plan::OutputFlags {
        format: format.into(),
        report,
    };
    let plan = crate::units::plan::write_plan(dir, &spec, output, &bundle, replications, p.units)?;
    eprintln!(
        "coldsim: planned {} unit(s) in {} (run each with `coldsim run-unit`, then `coldsim merge {}`)",
        plan.units.len(),
        dir.display(),
        dir.display()
    );
    Ok(())
}

fn run_unit(args: RunUnitArgs) -> anyhow::Result<()> {
    let folder = crate::output::folder_of(&args.unit).to_path_buf();
    let inputs = args.inputs.unwrap_or_else(|| folder.join("inputs.json"));
    let output = std::path::absolute(&args.output)?;
    let partial = crate::units::partial::run_unit(&args.unit, &inputs)?;
    let text = serde_json::to_string(&partial)?;
    crate::output::write_atomic(&output, text.as_bytes()).map_err(|e| e.with_flag("--output"))?;
    Ok(())
}

fn run_merge(args: MergeArgs) -> anyhow::Result<()> {
    use crate::units::setup::Outcome;
    let plan = crate::units::merge::read_plan(&args.dir)?;
    let format = match args.format {
        Some(f) => f,
        None => Format::from_str(&plan.output.format, true)
            .map_err(|e| InputError::file(&args.dir.join("plan.json"), format!("format: {e}")))?,
    };
    let report = args.report.clone().or_else(|| plan.output.report.clone());
    check_report(&report, &[])?;
    let paths = crate::units::merge::partial_paths(&args.dir, &args.partials)?;
    let what = |f: Format| match f {
        Format::Table => Ok(ReportFormat::Table),
        Format::Json => Ok(ReportFormat::Json),
        Format::Csv => Err(InputError::Usage(
            "--format csv is for scenario plans only".into(),
        )),
    };
    match crate::units::merge::merge(&args.dir, &plan, &paths)? {
        Outcome::Scenario(summary) => {
            if report.is_some() {
                return Err(
                    InputError::Usage("--report is for compare and sweep plans".into()).into(),
                );
            }
            emit_summary(&summary, format)
        }
        Outcome::Compare(c) => emit_comparison(&c, what(format)?, &report),
        Outcome::Sweep(s) => emit_sweep(&s, what(format)?, &report),
    }
}

/// Every input file of a calibrate or validate run: data, recipe, model and platform files
/// and the files they name.
fn calibration_inputs(files: &[&Option<PathBuf>], tomls: &[&Option<PathBuf>]) -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = files.iter().filter_map(|f| (*f).clone()).collect();
    for t in tomls.iter().filter_map(|t| t.as_ref()) {
        inputs.extend(toml_inputs(t));
    }
    inputs
}

fn run_calibrate(args: CalibrateArgs) -> anyhow::Result<()> {
    let mut o: crate::calibrate::commands::CalibrateOptions = args.try_into()?;
    let inputs = calibration_inputs(&[&o.data], &[&o.recipe, &o.platform]);
    if let Some(out) = &o.out {
        preflight::check(OUT_FLAG, out, OutputKind::File, &inputs)?;
        if let Some(dir) = &o.report
            && preflight::same_file(crate::output::folder_of(out), dir)
        {
            return Err(OutputError::refused(
                out,
                format!(
                    "lies in the --report folder {}, which is replaced as a whole",
                    dir.display()
                ),
            )
            .with_flag(OUT_FLAG)
            .into());
        }
    }
    check_report(&o.report, &inputs)?;
    let out = o.out.clone();
    let outputs: Vec<(&str, &Path)> = out.iter().map(|p| (OUT_FLAG, p.as_path())).collect();
    with_report_stage(&mut o.report, &outputs, |report| {
        let o = crate::calibrate::commands::CalibrateOptions { report, ..o };
        crate::calibrate::commands::calibrate(&o)
    })
}

fn run_validate(args: ValidateArgs) -> anyhow::Result<()> {
    if args.protocol == ProtocolChoice::Steady {
        return run_validate_steady(args);
    }
    let mut o: crate::calibrate::commands::ValidateOptions = args.into();
    let model = Some(o.model.clone());
    let inputs = calibration_inputs(&[&Some(o.data.clone())], &[&model, &o.platform]);
    check_report(&o.report, &inputs)?;
    with_report_stage(&mut o.report, &[], |report| {
        let o = crate::calibrate::commands::ValidateOptions { report, ..o };
        crate::calibrate::commands::validate(&o)
    })
}

/// `validate --protocol steady`: the base scenario's platform is the one used, so
/// `--platform` is refused rather than ignored.
fn run_validate_steady(args: ValidateArgs) -> anyhow::Result<()> {
    if args.platform.is_some() {
        return Err(crate::error::InputError::Usage(
            "--platform: the steady protocol takes the platform from the scenario ([platform] \
             or platform = FILE)"
                .into(),
        )
        .into());
    }
    let mut o = crate::calibrate::steady::SteadyOptions {
        scenario: args.model,
        data: args.data,
        json: args.format == ReportFormat::Json,
        report: args.report,
    };
    let inputs = calibration_inputs(&[&Some(o.data.clone())], &[&Some(o.scenario.clone())]);
    check_report(&o.report, &inputs)?;
    with_report_stage(&mut o.report, &[], |report| {
        let o = crate::calibrate::steady::SteadyOptions { report, ..o };
        crate::calibrate::steady::validate_steady(&o)
    })
}

/// Runs `f` with the report folder replaced by a staging folder, swaps the staging folder
/// in when `f` succeeds and prints `f`'s text; errors name their flag and the user's path.
fn with_report_stage(
    report: &mut Option<PathBuf>,
    outputs: &[(&str, &Path)],
    f: impl FnOnce(Option<PathBuf>) -> Result<String, CalibrateError>,
) -> anyhow::Result<()> {
    let Some(dir) = report.take() else {
        let text = f(None).map_err(|e| name_outputs(e.into(), outputs, None))?;
        return print(&text);
    };
    let stage = ReportDir::begin(&dir).map_err(|e| e.with_flag(REPORT_FLAG))?;
    let text = f(Some(stage.path().to_path_buf()))
        .map_err(|e| name_outputs(e.into(), outputs, Some((stage.path(), &dir))))?;
    stage.commit().map_err(|e| e.with_flag(REPORT_FLAG))?;
    print(&text)
}

/// Writes `text` to standard output.
fn print(text: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("writing to standard output")
}

impl From<ReadArgs> for crate::calibrate::commands::ReadOptions {
    fn from(a: ReadArgs) -> Self {
        crate::calibrate::commands::ReadOptions {
            reader: a.reader,
            value: a.value,
            group: a.group,
            time: a.time,
            filters: a.filters,
            train_until: a.train_until,
        }
    }
}

impl TryFrom<CalibrateArgs> for crate::calibrate::commands::CalibrateOptions {
    type Error = InputError;
    fn try_from(a: CalibrateArgs) -> Result<Self, InputError> {
        let keep_from_ms = crate::config::units::parse_duration(&a.keep_from)
            .map_err(|e| InputError::Usage(format!("--keep-from: {e}")))?
            .as_us() as f64
            / 1e3;
        Ok(crate::calibrate::commands::CalibrateOptions {
            data: a.data,
            recipe: a.recipe,
            read: a.read.into(),
            regimes: a.regimes,
            censor_above: a.censor_above,
            outlier_factor: a.outlier_factor,
            memory_column: a.memory_column,
            report: a.report,
            out: a.out,
            runtime: a.runtime,
            base_image: a.base_image,
            platform: a.platform,
            top_modules: a
                .top_modules
                .split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect(),
            keep_from_ms,
            json: a.format == ReportFormat::Json,
        })
    }
}

impl From<ValidateArgs> for crate::calibrate::commands::ValidateOptions {
    fn from(a: ValidateArgs) -> Self {
        crate::calibrate::commands::ValidateOptions {
            model: a.model,
            data: a.data,
            read: a.read.into(),
            hypotheses: match a.init_cpu {
                CpuChoice::Boost => vec!["boost"],
                CpuChoice::Proportional => vec!["proportional"],
                CpuChoice::Both => vec!["boost", "proportional"],
            },
            platform: a.platform,
            days: a.days,
            seed: a.seed,
            report: a.report,
            json: a.format == ReportFormat::Json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    /// Exact: an I/O error of a file is shown once after the file, and a context added over
    /// an error still shows both parts.
    #[test]
    fn error_text_shows_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::from(crate::error::InputError::io(Path::new("a.toml"), io));
        assert_eq!(error_text(&e), "a.toml: gone");
        let e = Err::<(), _>(std::io::Error::other("disk"))
            .context("writing out.csv")
            .unwrap_err();
        assert_eq!(error_text(&e), "writing out.csv: disk");
    }
}
