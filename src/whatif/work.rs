//! The work of a whole `compare` or `sweep` run, known before it starts: each variant is
//! checked on its own by [`crate::config::work::check`]; this module adds the total over
//! variants × replications against the same budget ([`MAX_EVENTS`]) and the run-time
//! estimate, at the same rate as `scenario` ([`EVENTS_PER_S_PER_CORE`]).

use std::path::Path;

use crate::config::Scenario;
use crate::config::work::{EVENTS_PER_S_PER_CORE, MAX_EVENTS, estimate};
use crate::error::{InputError, InputResult};

/// Seconds above which a run gets a note on stderr before it starts (as for `scenario`).
pub const LONG_RUN_SECS: f64 = 60.0;

/// Expected events of all `scenarios` over all their replications.
pub fn total_events(scenarios: &[Scenario]) -> f64 {
    scenarios
        .iter()
        .map(|sc| estimate(sc).events() * sc.replications as f64)
        .sum()
}

/// Refuses a run whose variants together exceed [`MAX_EVENTS`]. `what` names the set of
/// variants (`variants` for compare, `sweep grid` for sweep) and is the key of the error.
pub fn check_total(path: &Path, what: &str, scenarios: &[Scenario]) -> InputResult<()> {
    let total = total_events(scenarios);
    if total.is_nan() || total > MAX_EVENTS {
        return Err(InputError::field(
            path,
            what,
            format!(
                "{} run(s) together ask for about {total:.3e} events over all replications, \
                 more than coldsim simulates in one run ({MAX_EVENTS:.0e}); run fewer \
                 variants or points, fewer replications, or a shorter run.duration",
                scenarios.len()
            ),
        ));
    }
    Ok(())
}

/// Estimated wall-clock seconds of running `scenarios` with `parallel` replications at once
/// (at most the cores of the machine), at [`EVENTS_PER_S_PER_CORE`].
pub fn estimated_secs(scenarios: &[Scenario], parallel: usize) -> f64 {
    total_events(scenarios) / (EVENTS_PER_S_PER_CORE * parallel.max(1) as f64)
}

/// A note for stderr when `scenarios` are estimated to take more than `threshold_secs`,
/// with `cores` cores and at most `jobs` replications running at once.
pub fn long_run_note(
    path: &Path,
    scenarios: &[Scenario],
    jobs: usize,
    cores: usize,
    threshold_secs: f64,
) -> Option<String> {
    let parallel = cores.max(1).min(jobs.max(1));
    let secs = estimated_secs(scenarios, parallel);
    (secs > threshold_secs).then(|| {
        format!(
            "coldsim: note: {}: about {:.2e} events over {} run(s) and all replications; \
             estimated {secs:.0} s on {cores} core(s) at ~{EVENTS_PER_S_PER_CORE:.0e} events/s \
             per core",
            path.display(),
            total_events(scenarios),
            scenarios.len(),
        )
    })
}

/// The cores of this machine, for [`long_run_note`].
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scenarios/steady.toml (Poisson at 20/s for 4 h) with `replications`.
    fn steady(replications: u32) -> Scenario {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sc = crate::config::load_scenario(&root.join("scenarios/steady.toml")).unwrap();
        sc.replications = replications;
        sc
    }

    /// Tolerance: 1e-9 relative. Events add up over variants and replications: two
    /// variants of 3 and 5 replications count 8 times one replication's events.
    #[test]
    fn total_events_is_the_sum_over_variants_of_events_times_replications() {
        let a = steady(3);
        let b = steady(5);
        let one = estimate(&a).events();
        // Poisson at 20/s for 4 h: at least the 288,000 expected arrivals.
        assert!(one >= 288_000.0, "{one}");
        let total = total_events(&[a, b]);
        assert!(
            (total - 8.0 * one).abs() <= 1e-9 * total,
            "{total} vs {}",
            8.0 * one
        );
    }

    /// The estimate is events / (rate × parallel): with a threshold just below it a note
    /// appears, just above it none; the cap refuses a total one variant alone stays under.
    #[test]
    fn note_and_cap_follow_the_total_estimate() {
        let sc = steady(2);
        let set = vec![sc.clone(), sc.clone(), sc];
        let secs = estimated_secs(&set, 2);
        let expected = total_events(&set) / (EVENTS_PER_S_PER_CORE * 2.0);
        assert!((secs - expected).abs() <= 1e-12 * expected);
        let p = Path::new("x.toml");
        // jobs 6, cores 2: parallel is 2.
        assert!(long_run_note(p, &set, 6, 2, secs * 0.999).is_some());
        assert!(long_run_note(p, &set, 6, 2, secs * 1.001).is_none());
        // jobs 1 halves the parallelism, doubling the estimate.
        assert!(long_run_note(p, &set, 1, 2, secs * 1.999).is_some());
        assert!(check_total(p, "variants", &set).is_ok());
    }
}
