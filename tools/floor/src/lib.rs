//! The floor of a scenario like the reference workload: only the mechanisms it exercises,
//! none of the model's generality, to measure what coldsim's modelling costs on top.
//!
//! [`simulate`] runs replication 0 of a scenario whose cold start and keep-alive are
//! constants (traffic of any kind, every request synchronous, no warm-up) with coldsim's
//! own building blocks: the same named random streams, arrival streams, handler
//! distributions and arrival tournament. Per arrival it frees the function's finished
//! sandboxes (a binary heap by end time) onto a most-recently-used stack, takes the top live
//! one or starts a new one, draws the handler time and records a histogram, the billed
//! milliseconds and a counter. No concurrency limits, scaling window, account-wide peak,
//! provisioned concurrency, lifetimes, deploys, queues or per-request records beyond those:
//! a scenario that needs one of them is refused, except the account limit and the scaling
//! window, which it cannot see and which must not bind (they do not in the reference
//! workload). Its counts equal coldsim's (the same draws in the same order; the tests check
//! it on three scenarios).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use coldsim::coldstart::ColdStartModel;
use coldsim::config::Scenario;
use coldsim::engine::rng::replication_seed;
use coldsim::engine::tournament::Tournament;
use coldsim::engine::{Dist, EventKey, RngStreams};
use coldsim::platform::event_source::Delivery;
use coldsim::platform::routing::Routing;
use coldsim::stats::Histogram;
use coldsim::traffic::ArrivalStream;

/// Why the floor gives no counts for a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FloorError {
    /// The scenario needs what the floor does not simulate (the text says what it needs).
    Outside(&'static str),
    /// A traffic source cannot be set up (a trace that cannot be read, say): the message
    /// of coldsim's own input error, which names the file.
    Input(String),
}

impl std::fmt::Display for FloorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FloorError::Outside(what) => write!(f, "the floor needs {what}"),
            FloorError::Input(e) => f.write_str(e),
        }
    }
}

/// What a run of the floor counted, and how long its simulation took.
#[derive(Clone, Copy, Debug)]
pub struct FloorRun {
    /// Requests served (every arrival: the floor has no limits).
    pub invocations: u64,
    /// Requests that created a sandbox.
    pub cold_starts: u64,
    /// Wall time of the simulation (set-up excluded).
    pub simulation: Duration,
}

/// What one function needs: its busy sandboxes by (end, sequence), its idle ones with
/// their keep-alive deadline, its handler stream and its counters.
struct FunctionFloor {
    busy: BinaryHeap<Reverse<(u64, u64, u64)>>,
    idle: Vec<(u64, u64)>,
    handler: Dist,
    handler_rng: coldsim::engine::Rng,
    handler_times: Histogram,
    billed_ms_counts: Vec<u64>,
    invocations: u64,
    cold_starts: u64,
}

/// The value of a constant distribution, µs.
fn constant_us(d: &Dist) -> Option<u64> {
    match d {
        Dist::Constant(c) => Some(c.as_us()),
        _ => None,
    }
}

/// What the floor does not simulate, if `sc` needs it (the floor then refuses the
/// scenario rather than print counts of a different one).
pub fn outside_floor(sc: &Scenario) -> Option<&'static str> {
    let run_us = sc.duration.as_us();
    if sc.warmup.as_us() > 0 {
        return Some("no warm-up");
    }
    if sc.traffic.iter().any(|t| t.delivery != Delivery::Sync) {
        return Some("synchronous traffic only");
    }
    if !sc.deploys.is_empty() {
        return Some("no deploys");
    }
    if sc.platform.routing != Routing::Mru {
        return Some("routing = \"mru\"");
    }
    // A sandbox created at 0 or later retires, and its replacement starts to initialise,
    // at the end of the run or later: no request of the run sees either.
    let lead_us = if sc.platform.replacement_share > 0.0 {
        constant_us(&sc.platform.replacement_lead)
    } else {
        Some(0)
    };
    let lifetime_us = constant_us(&sc.platform.max_lifetime);
    if !matches!((lifetime_us, lead_us), (Some(l), Some(lead)) if l >= run_us + lead) {
        return Some("a constant max_lifetime that outlasts the run and the replacement lead");
    }
    if sc.platform.proactive_init_share > 0.0 {
        return Some("no proactive inits");
    }
    let functions_in_floor = sc.functions.iter().all(|f| {
        f.reserved_concurrency.is_none()
            && f.provisioned.is_none()
            && f.pings.is_none()
            && f.error_rate == 0.0
    });
    if !functions_in_floor {
        return Some("no reserved or provisioned concurrency, pings or function errors");
    }
    None
}

/// Simulates replication 0 of `sc` as the module documentation says, or says what the
/// scenario needs that the floor does not simulate.
pub fn simulate(sc: &Scenario) -> Result<FloorRun, FloorError> {
    if let Some(what) = outside_floor(sc) {
        return Err(FloorError::Outside(what));
    }
    let keep_alive_us =
        constant_us(&sc.platform.keep_alive).ok_or(FloorError::Outside("a constant keep_alive"))?;
    let cold_us: Vec<u64> = sc
        .functions
        .iter()
        .map(|f| match &f.cold_start {
            ColdStartModel::Override(d) => constant_us(d),
            _ => None,
        })
        .map(|c| c.ok_or(FloorError::Outside("a constant cold_start")))
        .collect::<Result<_, _>>()?;
    let streams = RngStreams::new(replication_seed(sc.seed, 0));
    let end_us = sc.duration.as_us();
    let started = Instant::now();

    let mut functions: Vec<FunctionFloor> = sc
        .functions
        .iter()
        .map(|f| FunctionFloor {
            busy: BinaryHeap::new(),
            idle: Vec::new(),
            handler: f.handler.clone(),
            handler_rng: streams.stream("handler", &f.name),
            handler_times: Histogram::new(),
            billed_ms_counts: vec![0; 2_048],
            invocations: 0,
            cold_starts: 0,
        })
        .collect();
    let mut sources = Vec::new();
    let mut arrivals: Tournament<u32> = Tournament::new();
    let mut seq = 0u64;
    for (i, t) in sc.traffic.iter().enumerate() {
        let key = format!("{i}:{}", sc.functions[t.function].name);
        let mut s = ArrivalStream::new(&t.process, streams.stream("arrivals", &key))
            .map_err(|e| FloorError::Input(e.to_string()))?;
        if let Some(first) = s.next_arrival().filter(|t| t.as_us() < end_us) {
            arrivals.push(EventKey { time: first, seq }, i as u32);
        }
        seq += 1;
        sources.push((s, t.function));
    }
    let mut next_sandbox = 0u64;
    while let Some((key, source)) = arrivals.peek() {
        let now = key.time.as_us();
        let (stream, f) = &mut sources[source as usize];
        match stream.next_arrival().filter(|t| t.as_us() < end_us) {
            Some(t) => {
                arrivals.replace_top(EventKey { time: t, seq }, source);
            }
            None => {
                arrivals.pop();
            }
        }
        seq += 1;
        let fs = &mut functions[*f];
        while let Some(&Reverse((done, _, sandbox))) = fs.busy.peek() {
            if done > now {
                break;
            }
            fs.busy.pop();
            fs.idle.push((sandbox, done + keep_alive_us));
        }
        let mut cold = 0;
        let sandbox = loop {
            match fs.idle.pop() {
                Some((id, until)) if until > now => break id,
                Some(_) => {}
                None => {
                    cold = cold_us[*f];
                    fs.cold_starts += 1;
                    next_sandbox += 1;
                    break next_sandbox - 1;
                }
            }
        };
        let handler_us = fs.handler.sample(&mut fs.handler_rng).as_us();
        let done = now + cold + handler_us;
        fs.busy.push(Reverse((done, seq, sandbox)));
        seq += 1;
        fs.invocations += 1;
        fs.handler_times.record(handler_us);
        let billed_ms = (cold + handler_us).div_ceil(1_000) as usize;
        if let Some(c) = fs.billed_ms_counts.get_mut(billed_ms) {
            *c += 1;
        }
    }
    let simulation = started.elapsed();
    let invocations: u64 = functions.iter().map(|f| f.invocations).sum();
    let cold_starts: u64 = functions.iter().map(|f| f.cold_starts).sum();
    let recorded: u64 = functions.iter().map(|f| f.handler_times.count()).sum();
    assert_eq!(recorded, invocations);
    Ok(FloorRun {
        invocations,
        cold_starts,
        simulation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldsim::config::load_scenario;
    use coldsim::config::scenario::load_scenario_from_str;
    use std::path::{Path, PathBuf};

    fn scenarios() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
    }

    /// coldsim's invocations and cold starts in replication 0 of `sc`.
    fn coldsim_counts(sc: &Scenario) -> (u64, u64) {
        let stats = coldsim::sim::run(sc, 0, None, None).expect("coldsim runs the scenario");
        let sum = |f: fn(&coldsim::outcome::FunctionStats) -> u64| {
            stats.functions.iter().map(f).sum::<u64>()
        };
        (sum(|f| f.invocations), sum(|f| f.cold_starts))
    }

    fn floor_counts(sc: &Scenario) -> (u64, u64) {
        let run = simulate(sc).expect("the floor simulates the scenario");
        (run.invocations, run.cold_starts)
    }

    /// Tolerance: exact. The floor draws the same numbers in the same order as coldsim, so
    /// on the reference workload it counts exactly coldsim's invocations and cold starts,
    /// which are also the figures the README quotes (2,133,399 and 972).
    #[test]
    fn the_floor_counts_what_coldsim_counts_on_the_reference_workload() {
        let sc = load_scenario(&scenarios().join("reference.toml")).unwrap();
        let floor = floor_counts(&sc);
        assert_eq!(floor, (2_133_399, 972));
        assert_eq!(floor, coldsim_counts(&sc));
    }

    /// Tolerance: exact. Two variants where sandboxes expire and are reused differently: a
    /// one-minute keep-alive with another seed over one hour (many more cold starts), and
    /// the reference's busiest function alone.
    #[test]
    fn the_floor_counts_what_coldsim_counts_on_variants() {
        let path = scenarios().join("reference.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let short = text
            .replace("duration = \"4h\"", "duration = \"1h\"")
            .replace("seed = 1", "seed = 7")
            .replace("keep_alive = \"10m\"", "keep_alive = \"1m\"");
        assert_ne!(short, text);
        let cut = text.find("[[function]]").unwrap();
        let busiest = text.rfind("[[function]]").unwrap();
        let alone = format!("{}{}", &text[..cut], &text[busiest..]);
        for (name, variant) in [("short", short), ("alone", alone)] {
            let sc = load_scenario_from_str(&path, &variant).unwrap();
            let floor = floor_counts(&sc);
            assert!(floor.1 > 0, "{name}: some cold starts");
            assert_eq!(floor, coldsim_counts(&sc), "{name}");
        }
    }

    /// Every other shipped scenario needs something the floor does not simulate: it is
    /// refused, with what it needs, rather than counted as a different scenario.
    #[test]
    fn every_other_shipped_scenario_is_refused() {
        let mut refused = 0;
        for entry in std::fs::read_dir(scenarios()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "toml") || path.ends_with("reference.toml") {
                continue;
            }
            let sc = load_scenario(&path).unwrap();
            let why = simulate(&sc).expect_err(&path.display().to_string());
            assert!(
                matches!(why, FloorError::Outside(w) if !w.is_empty()),
                "{why:?}"
            );
            refused += 1;
        }
        assert!(refused >= 10, "only {refused} scenarios found");
    }

    /// A trace whose file changed after the scenario was loaded (here its header) cannot be
    /// set up: that is coldsim's input error, naming the file, not something the floor
    /// "needs" (the floor used to print it as such).
    #[test]
    fn a_trace_that_changed_since_loading_is_an_input_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("trace.csv");
        std::fs::write(&trace, "timestamp\n1\n2\n").unwrap();
        let path = scenarios().join("reference.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let cut = text.find("[[function]]").unwrap();
        let variant = format!(
            "{}[[function]]\nname = \"f\"\nmemory_mb = 1769\nhandler = \"100ms\"\n\
             cold_start = \"500ms\"\n[[traffic]]\nfunction = \"f\"\nkind = \"trace\"\n\
             format = \"timestamps\"\nfile = \"{}\"\n",
            &text[..cut],
            trace.display()
        );
        let sc = load_scenario_from_str(&path, &variant).unwrap();
        std::fs::write(&trace, "time\n1\n2\n").unwrap();
        let why = simulate(&sc).expect_err("the header changed");
        assert!(matches!(why, FloorError::Input(_)), "{why:?}");
        let shown = why.to_string();
        assert!(shown.contains(&trace.display().to_string()), "{shown}");
        assert!(!shown.contains("the floor needs"), "{shown}");
    }
}
