//! Command-line interface: `coldsim scenario FILE [...]`. Bad input exits with code 2 and a
//! message naming the file and the key or row; other failures (an output that cannot be
//! written) exit with 1.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::load_scenario;
use crate::error::InputError;
use crate::report::invocations::InvocationCsv;
use crate::report::progress::Progress;
use crate::report::{csv_out, json, table};
use crate::runner::{apply_overrides, run_scenario};

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
    },
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match execute(cli) {
        Ok(()) => 0,
        Err(e) => {
            let input = e.downcast_ref::<InputError>().is_some();
            eprintln!("coldsim: error: {e:#}");
            if input { 2 } else { 1 }
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Scenario {
            file,
            seed,
            replications,
            format,
            invocations_csv,
        } => {
            let mut sc = load_scenario(&file)?;
            apply_overrides(&mut sc, seed, replications)?;
            let progress =
                Progress::start(sc.duration.as_us().saturating_mul(sc.replications as u64));
            let summary = match &invocations_csv {
                Some(path) => {
                    let names = sc.functions.iter().map(|f| f.name.clone()).collect();
                    let mut sink = InvocationCsv::create(path, names)?;
                    let s = run_scenario(&sc, Some(&mut sink), Some(progress.counter()))?;
                    sink.finish()?;
                    s
                }
                None => run_scenario(&sc, None, Some(progress.counter()))?,
            };
            progress.finish();
            let text = match format {
                Format::Table => table::render(&summary),
                Format::Json => json::render(&summary),
                Format::Csv => csv_out::render(&summary),
            };
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            Ok(())
        }
    }
}
