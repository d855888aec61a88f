//! The `coldsim` command line: parses arguments, runs the command, and maps its error to
//! the exit code in one place (2 for user errors, 1 for machine faults; see `cli`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = coldsim::cli::Cli::parse();
    match coldsim::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(coldsim::cli::report_error(&e)),
    }
}
