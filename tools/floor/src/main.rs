//! `cargo run --release -p coldsim-floor -- scenarios/reference.toml`: the floor of a
//! scenario (see the library's documentation). Prints the invocations and cold starts,
//! which equal coldsim's, and the wall time of the simulation; a scenario the floor does
//! not simulate is refused with exit code 2.

use std::path::Path;

use coldsim::config::load_scenario;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: coldsim-floor SCENARIO.toml");
        std::process::exit(2);
    });
    let sc = load_scenario(Path::new(&path)).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    match coldsim_floor::simulate(&sc) {
        Ok(run) => println!(
            "invocations {}, cold starts {}, simulation {:.1} ms ({:.1} M invocations/s)",
            run.invocations,
            run.cold_starts,
            run.simulation.as_secs_f64() * 1e3,
            run.invocations as f64 / run.simulation.as_secs_f64() / 1e6
        ),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    }
}
