//! What a cold start costs, phase by phase, and why (DESIGN.md, "What a cold start costs"):
//! placement and microVM boot from the platform model; code delivery by packaging
//! ([`delivery`]: ZIP download and unpack before boot, image chunks read on demand through
//! the cache tiers during init); runtime start, the import graph ([`imports`], [`init`]) and
//! user init from the workload model, at the init CPU allowance shared with extensions
//! ([`cpu`]). Or one abstract `cold_start` distribution for textbook studies.

pub mod cpu;
pub mod delivery;
pub mod imports;
pub mod init;

use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use crate::engine::{Dist, Rng, SimDuration, SimTime};
use crate::storage::chunk::ChunkId;
use crate::storage::fleet::{Fleet, WorkerId};
use crate::storage::tiers::TierCounts;
pub use delivery::{CodeDelivery, ImageCode, SnapshotCode, ZipArchive, ZipTransfer};
pub use init::{InitModel, ModuleSet, RequestPath};

/// A phase of a cold start, recorded separately so reports can break a cold start down
/// (DESIGN.md, "What a cold start costs").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Choosing a worker for the new sandbox.
    Place,
    /// ZIP code delivery: download and unpack of the package and its layers, before boot
    /// (zero for images: their chunks are read during init).
    CodeFetch,
    /// Firecracker microVM start.
    Boot,
    /// Runtime start: interpreter and runtime bootstrap, with the image chunks it reads
    /// (inside `Init Duration`).
    RuntimeInit,
    /// The handler module's eager imports at the init thread's CPU speed, with the image
    /// chunks they read (inside `Init Duration`; DESIGN.md, "Imports").
    Imports,
    /// The handler module's own module-level code (inside `Init Duration`).
    UserInit,
    /// Time init waits for extensions still initialising after the init thread is done
    /// (inside `Init Duration`).
    Extensions,
    /// A `cold_start` override: the whole cold start as one abstract draw.
    Abstract,
}

/// Number of phases.
pub const N_PHASES: usize = 8;

impl Phase {
    /// Every phase, in the order they run.
    pub const ALL: [Phase; N_PHASES] = [
        Phase::Place,
        Phase::CodeFetch,
        Phase::Boot,
        Phase::RuntimeInit,
        Phase::Imports,
        Phase::UserInit,
        Phase::Extensions,
        Phase::Abstract,
    ];

    /// The key used in reports (`phases_ms.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Place => "place",
            Phase::CodeFetch => "code_fetch",
            Phase::Boot => "boot",
            Phase::RuntimeInit => "runtime_init",
            Phase::Imports => "imports",
            Phase::UserInit => "user_init",
            Phase::Extensions => "extensions",
            Phase::Abstract => "cold_start_override",
        }
    }
}

/// The durations of one cold start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ColdStartDraw {
    /// Each phase's duration, indexed as [`Phase::ALL`].
    pub phases: [SimDuration; N_PHASES],
    /// What the REPORT line's `Init Duration` shows: runtime init, imports, user init and
    /// the wait for extensions.
    pub init_duration: SimDuration,
    /// The extra time the caller waits: placement, code fetch, boot and `init_duration`.
    pub cold_latency: SimDuration,
    /// Time the init thread spent waiting for image chunks (part of runtime init and
    /// imports).
    pub chunk_io: SimDuration,
    /// Image chunk reads by serving tier.
    pub served: TierCounts,
    /// Chunk reads that waited for another sandbox's fill in flight.
    pub coalesced: u64,
    /// The worker the sandbox was placed on (image functions; 0 otherwise).
    pub worker: u32,
    /// The modules init loaded.
    pub loaded: ModuleSet,
    /// SnapStart: whether this cold start restored a snapshot instead of running init
    /// (then `init_duration` is zero and not recorded).
    pub restored: bool,
    /// SnapStart: the REPORT's `Restore Duration`: the snapshot's working-set reads through
    /// the chunk tiers, the runtime's restore and the after-restore hooks.
    pub restore_duration: SimDuration,
    /// Whether the init was retried after a crash or the init timeout.
    pub reinit: bool,
    /// Init time lost before the retry: the init timeout, or the crashed init's time.
    pub wasted_init: SimDuration,
}

/// How a function's cold starts are drawn.
#[derive(Clone, Debug)]
pub enum ColdStartModel {
    /// The mechanism: placement and boot (platform), code delivery (packaging), init
    /// (workload, at the init CPU allowance).
    Phases {
        /// Placement on a worker.
        place: Dist,
        /// MicroVM boot.
        boot: Dist,
        /// Code delivery.
        delivery: CodeDelivery,
        /// What init runs (boxed: large).
        init: Box<InitModel>,
    },
    /// One distribution for the whole cold start; `init_duration` equals `cold_latency`.
    Override(Dist),
}

/// The chunk tiers as a cold start or a lazy import of an image function sees them.
pub struct ImageAccess<'a> {
    /// The fleet.
    pub fleet: &'a mut Fleet,
    /// The chunk id at each position of the function's current image version.
    pub chunks: &'a [ChunkId],
}

/// What a draw needs besides the model.
pub struct DrawEnv<'a> {
    /// Which kind of init this is: it decides the CPU allowance.
    pub kind: InitKind,
    /// The function's cold-start stream.
    pub rng: &'a mut Rng,
    /// Time of the cold start (the arrival that triggered it starts now).
    pub now: SimTime,
    /// The function's index, for placement.
    pub function: u32,
    /// The chunk tiers, for image functions.
    pub image: Option<ImageAccess<'a>>,
    /// Filled with each eager top-level import's time in this cold start, µs (as many
    /// entries as the model has top-level imports; extra entries are left alone).
    pub top_import_us: &'a mut [u64],
}

/// Who asked for an init, which decides its CPU allowance (DESIGN.md, "CPU"; facts.md
/// "No boost for Provisioned-Concurrency inits" and "reduced vCPU for suppressed inits").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InitKind {
    /// An on-demand init: the platform's `init_cpu` allowance (the boost by default).
    #[default]
    OnDemand,
    /// A provisioned-concurrency init or a re-init after a crash or timeout: no boost, CPU
    /// proportional to memory (memory / 1,769 MB vCPU).
    Unboosted,
}

/// Reads chunk positions through the tiers for one reader, from `start`; returns the I/O
/// time, scaled by the cold start's jitter.
fn read_positions(
    image: &mut Option<ImageAccess<'_>>,
    served: &mut (TierCounts, u64),
    worker: WorkerId,
    positions: &[u32],
    now: SimTime,
    start: SimTime,
    jitter: f64,
) -> SimDuration {
    let Some(access) = image.as_mut() else {
        return SimDuration::ZERO;
    };
    if positions.is_empty() {
        return SimDuration::ZERO;
    }
    let chunks = access.chunks;
    let r = access.fleet.read_timed(
        worker,
        positions.iter().map(|&p| chunks[p as usize]),
        now,
        start,
    );
    served.0.merge(&r.served);
    served.1 += r.coalesced;
    let io = r.end.since(start);
    if jitter == 1.0 {
        io
    } else {
        SimDuration::from_us_f64(io.as_us() as f64 * jitter)
    }
}

/// A mean-one lognormal factor with log-sd `sigma` (1 when `sigma` is 0, drawing nothing).
#[inline]
fn mean_one_lognormal(sigma: f64, rng: &mut Rng) -> f64 {
    if sigma == 0.0 {
        return 1.0;
    }
    let z: f64 = StandardNormal.sample(rng);
    (sigma * z - 0.5 * sigma * sigma).exp()
}

/// The random values of one cold start's init, drawn once: a re-init repeats the same work.
struct Drawn {
    /// Runtime start at one vCPU.
    runtime: SimDuration,
    /// User init at one vCPU.
    user_1vcpu: SimDuration,
    /// Import CPU noise factor.
    noise: f64,
    /// Chunk I/O jitter factor.
    jitter: f64,
}

/// The phases of one run of init.
#[derive(Clone, Copy)]
struct InitRun {
    runtime: SimDuration,
    imports: SimDuration,
    user: SimDuration,
    extensions: SimDuration,
    /// Chunk I/O time inside runtime start and imports.
    io: SimDuration,
}

impl InitRun {
    /// `Init Duration` of this run.
    fn duration(&self) -> SimDuration {
        self.runtime + self.imports + self.user + self.extensions
    }
}

/// Where one init's chunk reads go: the image code (None for ZIP: no reads), the tiers, the
/// tally of reads served, the sandbox's worker, the time of the cold start and the drawn
/// jitter.
struct InitReads<'r, 'a> {
    code: Option<&'r ImageCode>,
    image: &'r mut Option<ImageAccess<'a>>,
    served: &'r mut (TierCounts, u64),
    worker: WorkerId,
    now: SimTime,
    jitter: f64,
}

impl InitReads<'_, '_> {
    /// Reads `positions` from `at`; returns the time they take.
    #[inline]
    fn positions(&mut self, positions: &[u32], at: SimTime) -> SimDuration {
        read_positions(
            self.image,
            self.served,
            self.worker,
            positions,
            self.now,
            at,
            self.jitter,
        )
    }

    /// Reads module `m`'s chunks from `at` (nothing for ZIP code).
    #[inline]
    fn module(&mut self, m: usize, at: SimTime) -> SimDuration {
        match self.code {
            Some(code) => self.positions(&code.module_reads[m], at),
            None => SimDuration::ZERO,
        }
    }
}

/// The eager imports from `start`, top-level group by group: per module its chunk reads,
/// then its CPU work (its CPU µs × the import `noise`, at `speed` vCPUs).
/// Fills `top_import_us` with each group's time; returns the imports' time and their chunk
/// I/O time.
#[inline]
fn eager_imports(
    init: &InitModel,
    reads: &mut InitReads<'_, '_>,
    noise: f64,
    speed: f64,
    start: SimTime,
    top_import_us: &mut [u64],
) -> (SimDuration, SimDuration) {
    let mut io = SimDuration::ZERO;
    let mut cursor = start;
    let mut cpu_us = 0.0f64;
    for (g, (_, modules)) in init.eager.iter().enumerate() {
        let group_start = cursor;
        for &m in modules {
            let t = reads.module(m as usize, cursor);
            io += t;
            cursor += t;
            let before = SimDuration::from_us_f64(cpu_us);
            cpu_us += init.modules[m as usize].cpu_us * noise / speed;
            cursor += SimDuration::from_us_f64(cpu_us) - before;
        }
        if let Some(slot) = top_import_us.get_mut(g) {
            *slot = cursor.since(group_start).as_us();
        }
    }
    (cursor.since(start), io)
}

/// Runs init once from `start` at `vcpus`: runtime start with its chunk reads, the eager
/// imports (per module, its chunk reads then its CPU work), user init, and the wait for
/// extensions. `code` None (ZIP) reads no chunks.
#[allow(clippy::too_many_arguments)]
fn run_init(
    init: &InitModel,
    code: Option<&ImageCode>,
    drawn: &Drawn,
    vcpus: f64,
    image: &mut Option<ImageAccess<'_>>,
    served: &mut (TierCounts, u64),
    worker: WorkerId,
    now: SimTime,
    start: SimTime,
    top_import_us: &mut [u64],
) -> InitRun {
    let runtime = if vcpus < 1.0 {
        SimDuration::from_us_f64(drawn.runtime.as_us() as f64 / vcpus)
    } else {
        drawn.runtime
    };
    let mut reads = InitReads {
        code,
        image,
        served,
        worker,
        now,
        jitter: drawn.jitter,
    };
    // Runtime start: its chunk reads, then its own work.
    let mut io = match code {
        Some(code) => reads.positions(&code.runtime_reads, start),
        None => SimDuration::ZERO,
    };
    let runtime_phase = runtime + io;
    // The init thread's CPU speed, shared with extensions.
    let noise = drawn.noise;
    let user_1vcpu = drawn.user_1vcpu;
    let thread_ms = (init.eager_cpu_us * noise + user_1vcpu.as_us() as f64) / 1e3;
    let (speed, extensions_ms) = cpu::init_thread_speed(thread_ms, &init.extension_ms, vcpus);
    let (imports, imports_io) = eager_imports(
        init,
        &mut reads,
        noise,
        speed,
        start + runtime_phase,
        top_import_us,
    );
    io += imports_io;
    let user = if speed == 1.0 {
        user_1vcpu
    } else {
        SimDuration::from_us_f64(user_1vcpu.as_us() as f64 / speed)
    };
    let ext = SimDuration::from_us_f64(extensions_ms * 1e3);
    InitRun {
        runtime: runtime_phase,
        imports,
        user,
        extensions: ext.saturating_sub(imports + user),
        io,
    }
}

/// Draws a SnapStart cold start: placement, boot, then the restore (the snapshot's working
/// set read through the chunk tiers from the new sandbox's worker, the runtime's restore,
/// the after-restore hooks). No imports or user init: they ran at publish.
fn draw_restore(
    place: &Dist,
    boot: &Dist,
    snap: &SnapshotCode,
    init: &InitModel,
    env: &mut DrawEnv<'_>,
) -> ColdStartDraw {
    let mut d = ColdStartDraw::default();
    let rng = &mut *env.rng;
    d.phases[Phase::Place as usize] = place.sample(rng);
    d.phases[Phase::Boot as usize] = boot.sample(rng);
    let worker = match &mut env.image {
        Some(access) => access.fleet.place(env.function).worker,
        None => WorkerId(0),
    };
    d.worker = worker.0;
    let jitter = mean_one_lognormal(snap.image.read_jitter_sigma, rng);
    let runtime = snap.runtime_restore.sample(rng);
    let hooks = snap.restore_hooks.sample(rng);
    let start = env.now + d.phases[Phase::Place as usize] + d.phases[Phase::Boot as usize];
    let mut served = (TierCounts::default(), 0u64);
    let io = read_positions(
        &mut env.image,
        &mut served,
        worker,
        &snap.image.runtime_reads,
        env.now,
        start,
        jitter,
    );
    d.restored = true;
    d.restore_duration = io + runtime + hooks;
    d.cold_latency =
        d.phases[Phase::Place as usize] + d.phases[Phase::Boot as usize] + d.restore_duration;
    d.chunk_io = io;
    d.served = served.0;
    d.coalesced = served.1;
    d.loaded = init.eager_set;
    d
}

/// Where and with what one cold start's init runs, fixed before it starts: the image code
/// (None for ZIP), the drawn values, the sandbox's worker, the CPU allowance and the start.
struct InitPlan<'c> {
    code: Option<&'c ImageCode>,
    drawn: Drawn,
    worker: WorkerId,
    vcpus: f64,
    start: SimTime,
}

/// Draws a cold start of ZIP or image code: the phases before init, init (retried once
/// after a timeout or crash), then the totals.
#[inline]
fn draw_phases(
    place: &Dist,
    boot: &Dist,
    delivery: &CodeDelivery,
    init: &InitModel,
    env: &mut DrawEnv<'_>,
) -> ColdStartDraw {
    let mut d = ColdStartDraw::default();
    let plan = plan_init(&mut d, place, boot, delivery, init, env);
    let mut served = (TierCounts::default(), 0u64);
    let (run, io) = run_init_with_retry(&mut d, init, &plan, &mut served, env);
    d.phases[Phase::RuntimeInit as usize] = run.runtime;
    d.phases[Phase::Imports as usize] = run.imports;
    d.phases[Phase::UserInit as usize] = run.user;
    d.phases[Phase::Extensions as usize] = run.extensions;
    d.init_duration = run.duration();
    d.cold_latency = d.phases[Phase::Place as usize]
        + d.phases[Phase::CodeFetch as usize]
        + d.phases[Phase::Boot as usize]
        + d.wasted_init
        + d.init_duration;
    d.chunk_io = io;
    d.served = served.0;
    d.coalesced = served.1;
    d.loaded = init.eager_set;
    d
}

/// Draws placement, code fetch (ZIP) and boot into `d`, places the sandbox (image), and
/// draws init's random values, in this order (the stream's order is part of the output).
#[inline]
fn plan_init<'c>(
    d: &mut ColdStartDraw,
    place: &Dist,
    boot: &Dist,
    delivery: &'c CodeDelivery,
    init: &InitModel,
    env: &mut DrawEnv<'_>,
) -> InitPlan<'c> {
    let rng = &mut *env.rng;
    d.phases[Phase::Place as usize] = place.sample(rng);
    let (jitter_sigma, code) = match delivery {
        CodeDelivery::Zip { archives, transfer } => {
            d.phases[Phase::CodeFetch as usize] = transfer.fetch_time(archives, rng);
            (0.0, None)
        }
        CodeDelivery::Image(code) => (code.read_jitter_sigma, Some(&**code)),
        CodeDelivery::Snapstart(_) => unreachable!("restored by draw_restore"),
    };
    d.phases[Phase::Boot as usize] = boot.sample(rng);
    // The runtime's start is one thread's CPU work, measured under the boost: it runs at
    // min(1, allowance) vCPU, so only the proportional hypothesis below 1,769 MB slows it
    // (DESIGN.md, "CPU").
    let runtime = init.runtime_init.sample(rng);
    let vcpus = match env.kind {
        InitKind::OnDemand => init.init_vcpus,
        InitKind::Unboosted => init.unboosted_vcpus,
    };
    let worker = match (&mut env.image, code) {
        (Some(access), Some(_)) => access.fleet.place(env.function).worker,
        _ => WorkerId(0),
    };
    d.worker = worker.0;
    let rng = &mut *env.rng;
    let jitter = if code.is_some() {
        mean_one_lognormal(jitter_sigma, rng)
    } else {
        1.0
    };
    let user_1vcpu = init.user_init.sample(rng);
    let noise = if init.eager_cpu_us > 0.0 {
        mean_one_lognormal(init.import_noise_sigma, rng)
    } else {
        1.0
    };
    let drawn = Drawn {
        runtime,
        user_1vcpu,
        noise,
        jitter,
    };
    let start = env.now
        + d.phases[Phase::Place as usize]
        + d.phases[Phase::CodeFetch as usize]
        + d.phases[Phase::Boot as usize];
    InitPlan {
        code,
        drawn,
        worker,
        vcpus,
        start,
    }
}

/// Runs init as planned; returns its last run and the chunk I/O time of all runs.
///
/// Re-init (facts.md "INIT phase limits"): an on-demand init over the limit is cut there; a
/// crash wastes the init's drawn time. Either way the init is retried inside the invocation
/// as a suppressed init without the boost, with the same work (the same draws), not
/// limited, reading its chunks again through the tiers (the first attempt filled the worker
/// cache; reads it had not done by the cut wait for their fills in flight). The crash is
/// drawn last, and only with a crash probability, so models without one draw the same
/// numbers. Sets `d.wasted_init` and `d.reinit` on a retry.
#[inline]
fn run_init_with_retry(
    d: &mut ColdStartDraw,
    init: &InitModel,
    plan: &InitPlan<'_>,
    served: &mut (TierCounts, u64),
    env: &mut DrawEnv<'_>,
) -> (InitRun, SimDuration) {
    let mut attempt = |vcpus: f64, start: SimTime, env: &mut DrawEnv<'_>| {
        run_init(
            init,
            plan.code,
            &plan.drawn,
            vcpus,
            &mut env.image,
            served,
            plan.worker,
            env.now,
            start,
            env.top_import_us,
        )
    };
    let run = attempt(plan.vcpus, plan.start, env);
    if env.kind != InitKind::OnDemand {
        return (run, run.io);
    }
    let first = run.duration();
    let timed_out = init.init_timeout.is_some_and(|t| first > t);
    let crashed = init.crash_probability > 0.0 && env.rng.random::<f64>() < init.crash_probability;
    if !(timed_out || crashed) {
        return (run, run.io);
    }
    d.wasted_init = init.init_timeout.map_or(first, |t| first.min(t));
    d.reinit = true;
    let retry = attempt(init.unboosted_vcpus, plan.start + d.wasted_init, env);
    let io = run.io + retry.io;
    (retry, io)
}

impl ColdStartModel {
    /// Draws one cold start.
    pub fn draw(&self, env: &mut DrawEnv<'_>) -> ColdStartDraw {
        match self {
            ColdStartModel::Phases {
                place,
                boot,
                delivery,
                init,
            } => match delivery {
                CodeDelivery::Snapstart(snap) => draw_restore(place, boot, snap, init, env),
                _ => draw_phases(place, boot, delivery, init, env),
            },
            ColdStartModel::Override(dist) => {
                let t = dist.sample(env.rng);
                let mut d = ColdStartDraw::default();
                d.phases[Phase::Abstract as usize] = t;
                d.init_duration = t;
                d.cold_latency = t;
                d
            }
        }
    }

    /// The cost of the lazy imports of one request on a warm or just-initialised sandbox:
    /// the modules of `path` not in `loaded`, dependencies first, at `speed` vCPUs (the
    /// handler's CPU, memory / 1,769 MB, capped at one thread), with their chunk reads from
    /// the sandbox's worker for image functions. Marks them loaded. Returns the added
    /// handler time and the chunk reads.
    pub fn lazy_imports(
        &self,
        path: &RequestPath,
        loaded: &mut ModuleSet,
        speed: f64,
        image: &mut Option<ImageAccess<'_>>,
        worker: u32,
        now: SimTime,
    ) -> (SimDuration, TierCounts) {
        let ColdStartModel::Phases { delivery, init, .. } = self else {
            return (SimDuration::ZERO, TierCounts::default());
        };
        let code = match delivery {
            CodeDelivery::Image(code) => Some(&**code),
            CodeDelivery::Zip { .. } | CodeDelivery::Snapstart(_) => None,
        };
        let mut served = (TierCounts::default(), 0u64);
        let mut cursor = now;
        let mut cpu_us = 0.0f64;
        for &m in &path.loads {
            if *loaded & init::bit(m) != 0 {
                continue;
            }
            *loaded |= init::bit(m);
            if let Some(code) = code {
                cursor += read_positions(
                    image,
                    &mut served,
                    WorkerId(worker),
                    &code.module_reads[m as usize],
                    now,
                    cursor,
                    1.0,
                );
            }
            let before = SimDuration::from_us_f64(cpu_us);
            cpu_us += init.modules[m as usize].cpu_us / speed;
            cursor += SimDuration::from_us_f64(cpu_us) - before;
        }
        (cursor.since(now), served.0)
    }

    /// The share of the chunks that is new content after a deploy that changes
    /// `unique_fraction` of an image: all of a SnapStart snapshot (see
    /// [`CodeDelivery::publish_fraction`]).
    pub fn publish_fraction(&self, unique_fraction: f64) -> f64 {
        match self {
            ColdStartModel::Phases { delivery, .. } => delivery.publish_fraction(unique_fraction),
            ColdStartModel::Override(_) => unique_fraction,
        }
    }

    /// The SnapStart snapshot, when the function restores one.
    pub fn snapshot(&self) -> Option<&SnapshotCode> {
        match self {
            ColdStartModel::Phases {
                delivery: CodeDelivery::Snapstart(s),
                ..
            } => Some(s),
            _ => None,
        }
    }

    /// The init model, unless the cold start is an abstract override.
    pub fn init(&self) -> Option<&InitModel> {
        match self {
            ColdStartModel::Phases { init, .. } => Some(init),
            ColdStartModel::Override(_) => None,
        }
    }
}
