//! The `coldsim` command line: parses arguments and calls the library.

use clap::Parser;

fn main() {
    let cli = coldsim::cli::Cli::parse();
    std::process::exit(coldsim::cli::run(cli));
}
