//! Importers: `coldsim import template|config|logs` write a scenario from what a Lambda user
//! already has (a SAM or CloudFormation template, `aws lambda get-function-configuration`
//! output, CloudWatch logs), with a `# from: <file>:<line> <property>` comment on every value
//! so each can be checked against its source, and PLACEHOLDER on what the input cannot say.

pub mod draft;
pub mod events;
pub mod function;
pub mod function_config;
pub mod intrinsic;
pub mod logs;
pub mod logs_scenario;
pub mod runtime_choice;
pub mod runtime_hint;
pub mod template;
pub mod yaml;

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::output::OutputError;
use crate::output::preflight::{self, OutputKind};
use draft::{Origin, Table, lit};

/// What an import produces: the scenario text, files to write beside it, and warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The scenario, TOML.
    pub scenario: String,
    /// (file name, contents) to write in the scenario's folder.
    pub side_files: Vec<(String, Vec<u8>)>,
    /// Things not imported (also written as comments at the top of the scenario).
    pub warnings: Vec<String>,
}

/// `coldsim import ...`.
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// A SAM or CloudFormation template (YAML or JSON).
    Template {
        /// The template.
        file: PathBuf,
        /// Write the scenario here (default: standard output).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// The JSON of `aws lambda get-function-configuration`.
    Config {
        /// The configuration JSON.
        file: PathBuf,
        /// Write the scenario here (default: standard output).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// CloudWatch logs (REPORT/START lines as text or a Logs Insights CSV export, .gz
    /// allowed): the arrival trace and handler Durations go beside the scenario.
    Logs {
        /// The log files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the scenario here; the traces go beside it as OUT-STEM.FUNCTION.csv.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        /// All invocations belong to this function (default: the log group, else the file
        /// name).
        #[arg(long)]
        function: Option<String>,
    },
}

/// The flag of the scenario written.
const OUT_FLAG: &str = "--out";

/// An import's failure: bad input (exit 2) or an output that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is malformed.
    #[error(transparent)]
    Input(#[from] crate::error::InputError),
    /// The output path is refused or cannot be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Runs an import; returns the text to print (the scenario when no `--out` is given, else
/// what was written).
pub fn run(cmd: &ImportCommand) -> Result<String, ImportError> {
    let (inputs, out, imported) = match cmd {
        ImportCommand::Template { file, out } => {
            check_out(out.as_deref(), std::slice::from_ref(file))?;
            (
                vec![file.clone()],
                out.clone(),
                template::import_template(file)?,
            )
        }
        ImportCommand::Config { file, out } => {
            check_out(out.as_deref(), std::slice::from_ref(file))?;
            (
                vec![file.clone()],
                out.clone(),
                function_config::import_config(file)?,
            )
        }
        ImportCommand::Logs {
            files,
            out,
            function,
        } => {
            check_out(Some(out), files)?;
            let imported = logs_scenario::import_logs(files, out, function.as_deref())?;
            (files.clone(), Some(out.clone()), imported)
        }
    };
    match out {
        None => Ok(imported.scenario),
        Some(path) => write(&path, &imported, &inputs),
    }
}

fn check_out(out: Option<&Path>, inputs: &[PathBuf]) -> Result<(), OutputError> {
    match out {
        Some(p) => preflight::check(OUT_FLAG, p, OutputKind::File, inputs),
        None => Ok(()),
    }
}

/// Writes the side files, then the scenario, each atomically; none may be an input.
fn write(path: &Path, imported: &Imported, inputs: &[PathBuf]) -> Result<String, ImportError> {
    let folder = crate::output::folder_of(path);
    let mut text = String::new();
    for (name, bytes) in &imported.side_files {
        let side = folder.join(name);
        preflight::check(OUT_FLAG, &side, OutputKind::File, inputs)?;
        crate::output::write_atomic(&side, bytes).map_err(|e| e.with_flag(OUT_FLAG))?;
        text += &format!("wrote {}\n", side.display());
    }
    crate::output::write_atomic(path, imported.scenario.as_bytes())
        .map_err(|e| e.with_flag(OUT_FLAG))?;
    text += &format!("wrote {}\n", path.display());
    for w in &imported.warnings {
        text += &format!("warning: {w}\n");
    }
    Ok(text)
}

/// The comment lines at the top of an imported scenario.
pub fn header_notes(command: &str) -> Vec<String> {
    vec![
        format!("Written by `{command}`."),
        "Each value says where it came from; PLACEHOLDER marks what the input cannot say: edit those."
            .to_string(),
    ]
}

/// The `[run]` table: `duration` (and why), a seed and 4 replications.
pub fn run_table(duration: &str, why: &str) -> Table {
    let mut t = Table::new("[run]");
    t.set("duration", lit(duration), Origin::importer(why.to_string()));
    t.set(
        "seed",
        lit(1),
        Origin::importer("any seed; change it for another sample"),
    );
    t.set(
        "replications",
        lit(4),
        Origin::importer("independent runs, merged with 95% intervals"),
    );
    t
}
