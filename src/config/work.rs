//! How much work a scenario asks for, known before it runs: the events of every source
//! (arrivals, warm-up pings, provisioned inits and their recycling at the end of each
//! lifetime, deploys, scaling retries) and the most sandboxes that can be alive at once. A
//! scenario over either budget is refused with the key that drives it; one that fits but
//! would run for over a minute gets an estimate on stderr.

use crate::error::{InputError, InputResult};

use super::scenario::Scenario;

/// Most events accepted over all replications of one run: at the measured ~10 M events per
/// second per core (README, "Throughput"), 10^10 is about 17 minutes on one core.
pub const MAX_EVENTS: f64 = 1e10;

/// Events per second of one core, for the run-time estimate (README, "Throughput": 10.9 M
/// invocations/s; a cold start is a few events, so this errs on the slow side).
pub const EVENTS_PER_S_PER_CORE: f64 = 1e7;

/// Most sandboxes alive at once in one replication. A sandbox with its pool entries and
/// counters takes a few hundred bytes, so 10^6 is a few hundred MB per replication running
/// in parallel; 10^8 aborted at 3 GB (issue 11).
pub const MAX_LIVE_SANDBOXES: f64 = 1e6;

/// Where a run's events come from (per replication), each with the scenario key that drives it.
#[derive(Clone, Debug, Default)]
pub struct Work {
    /// (key, expected events per replication, how to lower them), one entry per source.
    pub sources: Vec<(String, f64, &'static str)>,
    /// Upper bound of sandboxes alive at once, and the key that drives it.
    pub live_sandboxes: (String, f64),
}

impl Work {
    /// Expected events per replication, all sources.
    pub fn events(&self) -> f64 {
        self.sources.iter().map(|s| s.1).sum()
    }

    /// The source with the most events.
    fn largest(&self) -> Option<&(String, f64, &'static str)> {
        self.sources.iter().max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The work of `sc` per replication: see the module docs for what counts.
pub fn estimate(sc: &Scenario) -> Work {
    let duration_us = sc.duration.as_us() as f64;
    let horizon = crate::engine::time::SimTime::ZERO + sc.duration;
    let mut work = Work::default();
    let mut add = |key: String, n: f64, hint: &'static str| work.sources.push((key, n, hint));
    for (i, t) in sc.traffic.iter().enumerate() {
        let mut n = t.process.expected_arrivals(horizon);
        if let crate::platform::event_source::Delivery::Async(p) = t.delivery {
            // Each function error brings a retry, up to max_retries per event.
            n *= 1.0 + sc.functions[t.function].error_rate * p.max_retries as f64;
        }
        add(
            format!("traffic[{i}]"),
            n,
            "for that many arrivals, shorten run.duration or lower the rate",
        );
    }
    let lifetime_us = sc.platform.max_lifetime.mean_us().max(1.0);
    let window_us = sc.platform.scale_window.as_us().max(1) as f64;
    let versions = versions_alive(sc);
    let mut provisioned = 0.0;
    for (i, f) in sc.functions.iter().enumerate() {
        if let Some(p) = &f.pings {
            let n = p.concurrency as f64 * (duration_us / p.every.as_us().max(1) as f64);
            add(
                format!("function[{i}].warmup_pings"),
                2.0 * n,
                "ping less often (`every`) or fewer at once (`concurrency`)",
            );
        }
        if let Some(pc) = &f.provisioned {
            let count = pc.max_count() as f64;
            provisioned += 2.0 * count;
            add(
                format!("function[{i}].provisioned_concurrency"),
                2.0 * count * (1.0 + duration_us / lifetime_us) * versions,
                "each provisioned sandbox is replaced every platform.max_lifetime: lengthen \
                 it or provision fewer",
            );
        }
        add(
            "platform.scale_rate".into(),
            duration_us / window_us,
            "a blocked function retries once per window: lengthen `per`",
        );
    }
    add(
        "deploy".into(),
        sc.deploys.len() as f64,
        "deploy less often",
    );
    let share = sc.platform.replacement_share;
    let lead_us = sc.platform.replacement_lead.mean_us();
    if share > 0.0 && lead_us < lifetime_us {
        // A live sandbox is replaced at most every lifetime less the lead (a lead as long as
        // the lifetime replaces nothing): two events per replacement. Off-path sandboxes
        // are not in the bound of live sandboxes below: a replacement overlaps the sandbox
        // it replaces for the lead time only.
        let on_demand = sc.platform.account_concurrency as f64 * versions;
        add(
            "platform.replacement_share".into(),
            2.0 * share * on_demand * duration_us / (lifetime_us - lead_us).max(1.0),
            "each live sandbox is replaced every max_lifetime - replacement_lead: lower the \
             share, shorten the lead or lengthen the lifetime",
        );
    }
    let live = (sc.platform.account_concurrency as f64 + provisioned) * versions;
    work.live_sandboxes = ("platform.account_concurrency".into(), live);
    work
}

/// The most versions of a function that can have sandboxes at once: the current one, plus
/// the deploys within one keep-alive (99.9th percentile bound) of each other, since an old
/// version's idle sandboxes are reclaimed after their keep-alive.
fn versions_alive(sc: &Scenario) -> f64 {
    let keep_us = super::dist::p999_bound_us(&sc.platform.keep_alive).max(1.0) as u64;
    let at: Vec<u64> = sc.deploys.iter().map(|d| d.at.0).collect();
    let mut most = 0;
    let mut start = 0;
    for end in 0..at.len() {
        while at[end] - at[start] > keep_us {
            start += 1;
        }
        most = most.max(end + 1 - start);
    }
    1.0 + most as f64
}

/// Refuses `sc` when its events over all replications exceed [`MAX_EVENTS`] or its live
/// sandboxes exceed [`MAX_LIVE_SANDBOXES`], naming the key that drives the excess.
pub fn check(sc: &Scenario) -> InputResult<()> {
    let work = estimate(sc);
    let total = work.events() * sc.replications as f64;
    if total.is_nan() || total > MAX_EVENTS {
        let (key, n, hint) = work.largest().cloned().unwrap_or_default();
        return Err(InputError::field(
            &sc.file,
            key,
            format!(
                "about {n:.3e} events per replication from this source ({:.3e} from all) × {} \
                 replication(s) is more than coldsim simulates in one run ({MAX_EVENTS:.0e}); \
                 {hint}",
                work.events(),
                sc.replications
            ),
        ));
    }
    let (key, live) = &work.live_sandboxes;
    if *live > MAX_LIVE_SANDBOXES {
        return Err(InputError::field(
            &sc.file,
            key.clone(),
            format!(
                "up to {live:.3e} sandboxes could be alive at once (account concurrency plus \
                 provisioned, for each deployed version); at most {MAX_LIVE_SANDBOXES:.0e} fit \
                 in memory"
            ),
        ));
    }
    Ok(())
}

/// Estimated wall-clock seconds of running `sc` on `cores` cores (replications run in
/// parallel), at [`EVENTS_PER_S_PER_CORE`].
pub fn estimated_secs(sc: &Scenario, cores: usize) -> f64 {
    let reps = sc.replications as f64;
    let parallel = (cores.max(1) as f64).min(reps);
    estimate(sc).events() * reps / (EVENTS_PER_S_PER_CORE * parallel)
}

/// A note for stderr when `sc` is estimated to run for more than a minute on this machine.
pub fn long_run_note(sc: &Scenario) -> Option<String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let secs = estimated_secs(sc, cores);
    (secs > 60.0).then(|| {
        format!(
            "coldsim: note: {}: about {:.2e} events × {} replications; estimated {:.0} s on {cores} \
             core(s) at ~{EVENTS_PER_S_PER_CORE:.0e} events/s per core",
            sc.file.display(),
            estimate(sc).events(),
            sc.replications,
            secs
        )
    })
}
