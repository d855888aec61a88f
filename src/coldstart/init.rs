//! What init runs, as a workload model gives it: the runtime's start, the handler module's
//! imports (the import graph, each module's CPU cost at one vCPU), its own module-level code,
//! extensions initialising next to it, and the request paths that import more modules
//! lazily on their first use in a sandbox (DESIGN.md, "Imports" and "CPU").

use crate::engine::{Dist, SimDuration};

/// Most modules a workload model may define: a sandbox remembers which it has loaded in
/// one 128-bit set.
pub const MAX_MODULES: usize = 128;

/// The modules a sandbox has loaded, one bit per module of the import graph.
pub type ModuleSet = u128;

/// One module of the import graph, with its cost for this function's packaging.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleLoad {
    /// Dotted name.
    pub name: String,
    /// CPU time of its import at one full vCPU, µs: running its top-level code, plus
    /// compiling it when its package ships no bytecode.
    pub cpu_us: f64,
}

/// A request path of the handler and the modules it needs. A module not loaded yet in the
/// sandbox is imported on the first request that takes the path (a lazy import).
#[derive(Clone, Debug, PartialEq)]
pub struct RequestPath {
    /// Name, for reports.
    pub name: String,
    /// Share of requests taking it (the weights of a function's paths sum to 1).
    pub weight: f64,
    /// The modules it needs and their dependencies, dependencies first, each once.
    pub loads: Vec<u32>,
    /// The same modules as a set: a request needs no import when the sandbox holds them all.
    pub set: ModuleSet,
}

/// The init model of one function (its workload, packaging and architecture chosen).
#[derive(Clone, Debug)]
pub struct InitModel {
    /// Runtime start (interpreter and bootstrap), not scaled by the CPU allowance
    /// (lambda-perf: hello-world init is the same at 128 and 1,024 MB).
    pub runtime_init: Dist,
    /// The handler module's own module-level code, at one vCPU.
    pub user_init: Dist,
    /// The import graph's modules, by index.
    pub modules: Vec<ModuleLoad>,
    /// The eager imports: per top-level import in order, its name and the modules it loads
    /// first (dependencies first).
    pub eager: Vec<(String, Vec<u32>)>,
    /// Every module the eager imports load.
    pub eager_set: ModuleSet,
    /// The eager imports' CPU cost at one vCPU, µs (noise-free): Σ `cpu_us` over
    /// `eager`.
    pub eager_cpu_us: f64,
    /// Sigma of the per-cold-start lognormal noise (mean 1) on import CPU time.
    pub import_noise_sigma: f64,
    /// CPU work of each extension's init, ms at one vCPU: threads next to the init thread.
    pub extension_ms: Vec<f64>,
    /// The init CPU allowance of an on-demand init, vCPUs (platform `init_cpu`).
    pub init_vcpus: f64,
    /// vCPUs of an unboosted init (provisioned concurrency, re-init): memory / 1,769 MB.
    pub unboosted_vcpus: f64,
    /// Request paths; empty: every request needs only what init loaded.
    pub paths: Vec<RequestPath>,
    /// Limit of an on-demand init (platform `init_timeout`, AWS: 10 s, facts.md "INIT
    /// phase limits"; None when not given): an init still running then is cut there and
    /// retried unboosted.
    pub init_timeout: Option<SimDuration>,
    /// Probability that an on-demand init crashes (workload `init_crash_probability`): its
    /// drawn time is wasted and the init is retried unboosted.
    pub crash_probability: f64,
    /// Whether reports show the `reinits` figure: a crash probability or an init timeout
    /// was given (so that outputs without them keep their keys).
    pub report_reinits: bool,
}

impl InitModel {
    /// The eager imports' CPU cost at one vCPU, µs: Σ `cpu_us` over the modules of `eager`
    /// (to fill [`InitModel::eager_cpu_us`] once).
    pub fn sum_eager_cpu_us(modules: &[ModuleLoad], eager: &[(String, Vec<u32>)]) -> f64 {
        eager
            .iter()
            .flat_map(|(_, ms)| ms.iter())
            .map(|&m| modules[m as usize].cpu_us)
            .sum()
    }

    /// Picks a request path from a uniform draw `u` in [0, 1), by weight.
    pub fn path_at(&self, u: f64) -> Option<&RequestPath> {
        let mut acc = 0.0;
        for p in &self.paths {
            acc += p.weight;
            if u < acc {
                return Some(p);
            }
        }
        self.paths.last()
    }
}

/// The bit of module `m` in a [`ModuleSet`].
#[inline]
pub fn bit(m: u32) -> ModuleSet {
    1u128 << m
}
