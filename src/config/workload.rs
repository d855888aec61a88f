//! A function's cold-start model from its workload model file, packaging and architecture:
//! the import graph with each module's cost for this build, the request paths, extensions,
//! and the code delivery of the packaging (ZIP archives, or an image cut into chunks with
//! the chunks each step of init reads). Platform limits are checked here.

use std::path::Path;

use super::file::{ImagePackage, ImportStyle, ModuleSection, WorkloadFile};
use super::paths::read_toml;
use super::scenario::Ctx;
use crate::coldstart::delivery::{MAX_LAYERS, MAX_UNZIPPED_BYTES};
use crate::coldstart::imports::{GraphError, ImportGraph, ModuleDef};
use crate::coldstart::init::{MAX_MODULES, ModuleLoad, ModuleSet, RequestPath, bit};
use crate::coldstart::{
    CodeDelivery, ColdStartModel, ImageCode, InitModel, SnapshotCode, ZipArchive,
};
use crate::engine::{Dist, SimDuration};
use crate::error::InputResult;
use crate::lambda::{Arch, Packaging};
use crate::platform::PlatformParams;
use crate::storage::chunk::{CHUNK_BYTES, ImageVersion, Layer, MB};

/// Default sigma of the per-cold-start lognormal noise of the import time, when a workload
/// does not give `import_noise_sigma`: small, of the order of the spread between the four
/// zip streams of ../shared/data/datasci-perf/importtime_profiles_2023-12-08_us.csv
/// (sd of ln total import time 0.055) and of the zip hourly p95 totals in
/// module-load-p95-by-hour.csv (0.097).
pub const DEFAULT_IMPORT_NOISE_SIGMA: f64 = 0.1;

/// What a function's cold starts depend on besides its workload file.
pub(crate) struct FunctionSetup<'a> {
    /// Packaging.
    pub packaging: Packaging,
    /// Architecture.
    pub arch: Arch,
    /// Configured memory.
    pub memory_mb: u32,
    /// Eager or lazy imports.
    pub import_style: ImportStyle,
    /// The function's name (names its image).
    pub name: &'a str,
    /// The platform.
    pub platform: &'a PlatformParams,
}

/// One module's build: which bytecode rule applies and where its files are.
struct Build<'a> {
    bytecode: Option<bool>,
    user_init: Option<&'a super::dist::DistSpec>,
    /// The build's own runtime start (`[package.image.runtime]`), if any.
    runtime: Option<&'a super::file::PerArch>,
}

fn mb_to_bytes(ctx: &Ctx, key: &str, mb: f64) -> InputResult<u64> {
    if !(0.0..=1e7).contains(&mb) {
        return Err(ctx.err(
            key,
            format!("must be a size in MB between 0 and 10,000,000; got {mb}"),
        ));
    }
    Ok((mb * MB as f64).round() as u64)
}

/// The cold-start model of a function whose workload model is at `path`.
pub(crate) fn build_cold_start(path: &Path, setup: &FunctionSetup) -> InputResult<ColdStartModel> {
    let wf: WorkloadFile = read_toml(path)?;
    build_cold_start_from(path, &wf, setup)
}

/// The cold-start model of the workload model `wf` read from `path` (errors name `path`).
pub(crate) fn build_cold_start_from(
    path: &Path,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
) -> InputResult<ColdStartModel> {
    let ctx = Ctx { file: path };
    let build = package_build(&ctx, wf, setup)?;
    let read_bytes = module_read_bytes(&ctx, wf)?;
    let total_weight = path_weight(&ctx, wf)?;
    let graph = import_graph(&ctx, wf, setup, &build, &read_bytes)?;
    let init = build_init(&ctx, wf, setup, &build, &graph, total_weight)?;
    let delivery = build_delivery(&ctx, wf, setup, &read_bytes)?;
    Ok(ColdStartModel::Phases {
        place: setup.platform.place.clone(),
        boot: setup.platform.boot.clone(),
        delivery,
        init: Box::new(init),
    })
}

/// The bytecode rule and user init of the build the function's packaging uses; an error
/// when the workload has no `[package.X]` table for a packaging that needs one.
fn package_build<'a>(
    ctx: &Ctx,
    wf: &'a WorkloadFile,
    setup: &FunctionSetup,
) -> InputResult<Build<'a>> {
    let packages = wf.package.as_ref();
    let missing_package = |p: &str| {
        ctx.err(
            format!("package.{p}"),
            format!(
                "function \"{}\" is packaged as {p}, but this workload model has no [package.{p}] \
                 table giving the build's sizes",
                setup.name
            ),
        )
    };
    let none = Build {
        bytecode: None,
        user_init: None,
        runtime: None,
    };
    Ok(match setup.packaging {
        Packaging::Zip => match packages.and_then(|p| p.zip.as_ref()) {
            Some(z) => Build {
                bytecode: z.bytecode,
                user_init: z.user_init.as_ref(),
                runtime: None,
            },
            None => none,
        },
        Packaging::ZipLayers => {
            let z = packages
                .and_then(|p| p.zip_layers.as_ref())
                .ok_or_else(|| missing_package("zip_layers"))?;
            Build {
                bytecode: z.bytecode,
                user_init: z.user_init.as_ref(),
                runtime: None,
            }
        }
        Packaging::Image => {
            let i = packages
                .and_then(|p| p.image.as_ref())
                .ok_or_else(|| missing_package("image"))?;
            Build {
                bytecode: i.bytecode,
                user_init: i.user_init.as_ref(),
                runtime: i.runtime.as_ref(),
            }
        }
        Packaging::Snapstart => {
            // The code is a ZIP whose init runs at publish; only the snapshot matters on
            // the request path.
            packages
                .and_then(|p| p.snapstart.as_ref())
                .ok_or_else(|| missing_package("snapstart"))?;
            none
        }
    })
}

/// Bytes each `[[module]]` reads, after checking the module count and each module's costs.
fn module_read_bytes(ctx: &Ctx, wf: &WorkloadFile) -> InputResult<Vec<u64>> {
    if wf.modules.len() > MAX_MODULES {
        return Err(ctx.err(
            "module",
            format!(
                "at most {MAX_MODULES} [[module]] tables; got {}",
                wf.modules.len()
            ),
        ));
    }
    let mut read_bytes = Vec::with_capacity(wf.modules.len());
    for (i, m) in wf.modules.iter().enumerate() {
        check_module_costs(ctx, i, m)?;
        read_bytes.push(match (m.read_bytes, m.read_mb) {
            (Some(_), Some(_)) => {
                return Err(ctx.err(
                    format!("module[{i}].read_mb"),
                    "give read_bytes or read_mb, not both",
                ));
            }
            (Some(b), None) => b,
            (None, Some(mb)) => mb_to_bytes(ctx, &format!("module[{i}].read_mb"), mb)?,
            (None, None) => 0,
        });
    }
    Ok(read_bytes)
}

/// The sum of the `[[path]]` weights, each checked non-negative; more than 0 when there are
/// paths.
fn path_weight(ctx: &Ctx, wf: &WorkloadFile) -> InputResult<f64> {
    for (i, p) in wf.paths.iter().enumerate() {
        if !(p.weight.is_finite() && p.weight >= 0.0) {
            return Err(ctx.err(
                format!("path[{i}].weight"),
                format!("must be a non-negative number; got {}", p.weight),
            ));
        }
    }
    let total_weight: f64 = wf.paths.iter().map(|p| p.weight).sum();
    let weights_ok = total_weight > 0.0 && total_weight.is_finite();
    if !wf.paths.is_empty() && !weights_ok {
        return Err(ctx.err(
            "path",
            "the weights of the [[path]] tables must add up to more than 0",
        ));
    }
    Ok(total_weight)
}

/// The import graph of the workload's modules; with lazy imports, the modules a request
/// path needs are left out of the eager top level.
fn import_graph(
    ctx: &Ctx,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
    build: &Build,
    read_bytes: &[u64],
) -> InputResult<ImportGraph> {
    let packages = wf.package.as_ref();
    let package_bytecode = build.bytecode.or(wf.bytecode).unwrap_or(true);
    let layer_bytecode = |m: &ModuleSection| -> Option<bool> {
        if setup.packaging != Packaging::ZipLayers {
            return None;
        }
        let layer = m.layer.as_deref()?;
        packages?
            .zip_layers
            .as_ref()?
            .layers
            .iter()
            .find(|l| l.name == layer)?
            .bytecode
    };
    let lazy_roots: Vec<&str> = wf
        .paths
        .iter()
        .flat_map(|p| p.needs.iter().map(String::as_str))
        .collect();
    let eager_top: Vec<String> = match setup.import_style {
        ImportStyle::Eager => wf.imports.clone(),
        ImportStyle::Lazy => wf
            .imports
            .iter()
            .filter(|m| !lazy_roots.contains(&m.as_str()))
            .cloned()
            .collect(),
    };
    let defs: Vec<ModuleDef> = wf
        .modules
        .iter()
        .zip(read_bytes)
        .map(|(m, &rb)| ModuleDef {
            name: m.name.clone(),
            cpu_ms: m.cpu_ms.unwrap_or(0.0),
            compile_ms: m.compile_ms.unwrap_or(0.0),
            bytecode: m.bytecode.or(layer_bytecode(m)).unwrap_or(package_bytecode),
            read_bytes: rb,
            files: m.files.unwrap_or(0),
            imports: m.imports.clone(),
        })
        .collect();
    graph_error(ctx, wf, ImportGraph::new(defs, &eager_top))
}

/// The request paths of the workload: each path's modules beyond the eager ones, in load
/// order, and its share of requests.
fn request_paths(
    ctx: &Ctx,
    wf: &WorkloadFile,
    graph: &ImportGraph,
    total_weight: f64,
) -> InputResult<Vec<RequestPath>> {
    let mut paths = Vec::with_capacity(wf.paths.len());
    for (i, p) in wf.paths.iter().enumerate() {
        let roots = p
            .needs
            .iter()
            .map(|n| {
                graph.index_of(n).ok_or_else(|| {
                    ctx.err(
                        format!("path[{i}].needs"),
                        format!(
                            "path \"{}\" needs \"{n}\", which no [[module]] defines",
                            p.name
                        ),
                    )
                })
            })
            .collect::<InputResult<Vec<_>>>()?;
        let mut loaded = vec![false; graph.modules().len()];
        let loads: Vec<u32> = graph
            .load_from(&roots, &mut loaded)
            .into_iter()
            .map(|m| m as u32)
            .collect();
        paths.push(RequestPath {
            name: p.name.clone(),
            weight: p.weight / total_weight,
            set: loads.iter().fold(0, |s, &m| s | bit(m)),
            loads,
        });
    }
    Ok(paths)
}

/// Each extension's init CPU, ms, checked against [`MAX_CPU_MS`].
fn extension_ms(ctx: &Ctx, wf: &WorkloadFile) -> InputResult<Vec<f64>> {
    let mut extension_ms = Vec::with_capacity(wf.extensions.len());
    for (i, e) in wf.extensions.iter().enumerate() {
        if !(e.init_cpu_ms.is_finite() && (0.0..=MAX_CPU_MS).contains(&e.init_cpu_ms)) {
            return Err(ctx.err(
                format!("extension[{i}].init_cpu_ms"),
                format!(
                    "must be between 0 and {MAX_CPU_MS} ms (one hour); got {}",
                    e.init_cpu_ms
                ),
            ));
        }
        extension_ms.push(e.init_cpu_ms);
    }
    Ok(extension_ms)
}

/// The runtime init (per arch) and user init (the build's own, else the workload's)
/// distributions.
fn init_dists(
    ctx: &Ctx,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
    build: &Build,
) -> InputResult<(Dist, Dist)> {
    let (per_arch, prefix) = match build.runtime {
        Some(r) => (r, "package.image.runtime"),
        None => (&wf.init.runtime, "init.runtime"),
    };
    let (runtime, runtime_key) = match setup.arch {
        Arch::X86_64 => (&per_arch.x86_64, format!("{prefix}.x86_64")),
        Arch::Arm64 => (&per_arch.arm64, format!("{prefix}.arm64")),
    };
    let (user_spec, user_key) = match build.user_init {
        Some(u) => (
            Some(u),
            format!("package.{}.user_init", setup.packaging.as_str()),
        ),
        None => (wf.init.user.as_ref(), "init.user".to_string()),
    };
    let user_init = match user_spec {
        Some(u) => ctx.dist(&user_key, u)?,
        None => Dist::Constant(SimDuration::ZERO),
    };
    Ok((ctx.dist(&runtime_key, runtime)?, user_init))
}

/// The init model: eager imports, request paths, noise, extensions, CPU allowances and the
/// init limits of the platform.
fn build_init(
    ctx: &Ctx,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
    build: &Build,
    graph: &ImportGraph,
    total_weight: f64,
) -> InputResult<InitModel> {
    let eager: Vec<(String, Vec<u32>)> = graph
        .load_order()
        .into_iter()
        .map(|(name, ms)| (name, ms.into_iter().map(|m| m as u32).collect()))
        .collect();
    let eager_set: ModuleSet = eager
        .iter()
        .flat_map(|(_, ms)| ms.iter())
        .fold(0, |s, &m| s | bit(m));
    let paths = request_paths(ctx, wf, graph, total_weight)?;
    let sigma = wf.import_noise_sigma.unwrap_or(DEFAULT_IMPORT_NOISE_SIGMA);
    if !(sigma.is_finite() && (0.0..=2.0).contains(&sigma)) {
        return Err(ctx.err(
            "import_noise_sigma",
            format!("must be between 0 and 2; got {sigma}"),
        ));
    }
    let extension_ms = extension_ms(ctx, wf)?;
    let (runtime_init, user_init) = init_dists(ctx, wf, setup, build)?;
    let modules: Vec<ModuleLoad> = graph
        .modules()
        .iter()
        .map(|m| ModuleLoad {
            name: m.name.clone(),
            cpu_us: m.cost_ms() * 1_000.0,
        })
        .collect();
    Ok(InitModel {
        runtime_init,
        user_init,
        eager_cpu_us: InitModel::sum_eager_cpu_us(&modules, &eager),
        modules,
        eager,
        eager_set,
        import_noise_sigma: sigma,
        extension_ms,
        init_vcpus: setup.platform.init_cpu.allowance(setup.memory_mb),
        unboosted_vcpus: crate::platform::InitCpu::Proportional.allowance(setup.memory_mb),
        paths,
        init_timeout: setup.platform.init_timeout,
        crash_probability: crash_probability(ctx, wf)?,
        report_reinits: setup.platform.report_reinits
            || wf.init_crash_probability.is_some_and(|p| p > 0.0),
    })
}

fn build_delivery(
    ctx: &Ctx,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
    read_bytes: &[u64],
) -> InputResult<CodeDelivery> {
    let archives = match setup.packaging {
        Packaging::Zip => zip_archives(ctx, wf, setup)?,
        Packaging::ZipLayers => zip_layer_archives(ctx, wf, setup)?,
        Packaging::Image => return build_image(ctx, wf, setup, read_bytes),
        Packaging::Snapstart => return build_snapshot(ctx, wf, setup),
    };
    Ok(CodeDelivery::Zip {
        archives,
        transfer: setup.platform.zip.clone(),
    })
}

/// One ZIP archive from its `<key>.zip_mb` and `<key>.unzipped_mb`.
fn zip_archive(
    ctx: &Ctx,
    name: &str,
    key: &str,
    zip_mb: f64,
    unzipped_mb: f64,
) -> InputResult<ZipArchive> {
    Ok(ZipArchive {
        name: name.to_string(),
        zip_bytes: mb_to_bytes(ctx, &format!("{key}.zip_mb"), zip_mb)?,
        unzipped_bytes: mb_to_bytes(ctx, &format!("{key}.unzipped_mb"), unzipped_mb)?,
    })
}

/// The unzipped code, layers included, within Lambda's 250 MB (error at `key`).
fn check_unzipped_total(
    ctx: &Ctx,
    setup: &FunctionSetup,
    archives: &[ZipArchive],
    key: &str,
) -> InputResult<()> {
    let total: u64 = archives.iter().map(|a| a.unzipped_bytes).sum();
    if total > MAX_UNZIPPED_BYTES {
        return Err(ctx.err(
            key,
            format!(
                "the unzipped code of function \"{}\" is {:.1} MB (layers included), over \
                 Lambda's limit of 250 MB ({MAX_UNZIPPED_BYTES} bytes); package it as an image",
                setup.name,
                total as f64 / MB as f64
            ),
        ));
    }
    Ok(())
}

/// The archive of `[package.zip]` (none without the table).
fn zip_archives(
    ctx: &Ctx,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
) -> InputResult<Vec<ZipArchive>> {
    let archives = match wf.package.as_ref().and_then(|p| p.zip.as_ref()) {
        Some(z) => vec![zip_archive(
            ctx,
            setup.name,
            "package.zip",
            z.zip_mb,
            z.unzipped_mb,
        )?],
        None => Vec::new(),
    };
    check_unzipped_total(ctx, setup, &archives, "package.zip.unzipped_mb")?;
    Ok(archives)
}

/// The function's archive then its layers' (at most [`MAX_LAYERS`]), from
/// `[package.zip_layers]`.
fn zip_layer_archives(
    ctx: &Ctx,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
) -> InputResult<Vec<ZipArchive>> {
    let Some(z) = wf.package.as_ref().and_then(|p| p.zip_layers.as_ref()) else {
        unreachable!("checked by build_cold_start");
    };
    if z.layers.len() > MAX_LAYERS {
        return Err(ctx.err(
            "package.zip_layers.layer",
            format!(
                "a function may use at most {MAX_LAYERS} layers; this build has {}",
                z.layers.len()
            ),
        ));
    }
    let mut archives = vec![zip_archive(
        ctx,
        setup.name,
        "package.zip_layers",
        z.zip_mb,
        z.unzipped_mb,
    )?];
    for (i, l) in z.layers.iter().enumerate() {
        archives.push(zip_archive(
            ctx,
            &l.name,
            &format!("package.zip_layers.layer[{i}]"),
            l.zip_mb,
            l.unzipped_mb,
        )?);
    }
    check_unzipped_total(ctx, setup, &archives, "package.zip_layers")?;
    Ok(archives)
}

/// `init_crash_probability`, checked (default 0).
fn crash_probability(ctx: &Ctx, wf: &WorkloadFile) -> InputResult<f64> {
    let p = wf.init_crash_probability.unwrap_or(0.0);
    if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
        return Err(ctx.err(
            "init_crash_probability",
            format!("must be a probability between 0 and 1; got {p}"),
        ));
    }
    Ok(p)
}

/// A SnapStart function's snapshot: one layer of `snapshot_mb` (default the memory size)
/// named after the function, so its chunks are in no cache until restores read them; the
/// restore reads `restore_read_mb` of it, one run of consecutive chunks.
fn build_snapshot(
    ctx: &Ctx,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
) -> InputResult<CodeDelivery> {
    let Some(snap) = wf.package.as_ref().and_then(|p| p.snapstart.as_ref()) else {
        unreachable!("checked by build_cold_start");
    };
    let snapshot_mb = snap.snapshot_mb.unwrap_or(setup.memory_mb as f64);
    let snapshot_bytes = mb_to_bytes(ctx, "package.snapstart.snapshot_mb", snapshot_mb)?;
    if snapshot_bytes == 0 {
        return Err(ctx.err("package.snapstart.snapshot_mb", "must be more than 0"));
    }
    let read_bytes = mb_to_bytes(
        ctx,
        "package.snapstart.restore_read_mb",
        snap.restore_read_mb,
    )?;
    if read_bytes > snapshot_bytes {
        return Err(ctx.err(
            "package.snapstart.restore_read_mb",
            format!(
                "the restore reads {} MB, more than the snapshot's {snapshot_mb} MB",
                snap.restore_read_mb
            ),
        ));
    }
    let name = format!("snapstart:{}", setup.name);
    let version =
        ImageVersion::build(&name, &[Layer::new(name.clone(), snapshot_bytes)]).map_err(|e| {
            ctx.err(
                "package.snapstart.snapshot_mb",
                format!("function \"{}\": {e}", setup.name),
            )
        })?;
    let n = read_bytes.div_ceil(CHUNK_BYTES) as u32;
    let runtime_reads = run_in_layer("restore", 0, version.n_chunks(), n);
    let restore_hooks = match &snap.restore_hooks {
        Some(h) => ctx.dist("package.snapstart.restore_hooks", h)?,
        None => Dist::Constant(SimDuration::ZERO),
    };
    Ok(CodeDelivery::Snapstart(Box::new(SnapshotCode {
        image: ImageCode {
            version,
            runtime_reads,
            module_reads: vec![Vec::new(); wf.modules.len()],
            shared_layers: Vec::new(),
            read_jitter_sigma: setup.platform.storage.read_jitter_sigma,
        },
        runtime_restore: ctx.dist("package.snapstart.runtime_restore", &snap.runtime_restore)?,
        restore_hooks,
        snapshot_mb,
    })))
}

/// `n` consecutive chunk positions of layer `layer` (first chunk `first`, `len` chunks),
/// starting at an offset fixed by a hash of `what`: the files of one package sit together
/// in the flattened file system (the writer unpacks layers serially, ATC'23 §2).
fn run_in_layer(what: &str, first: u32, len: u32, n: u32) -> Vec<u32> {
    if n == 0 || len == 0 {
        return Vec::new();
    }
    let n = n.min(len);
    let h = what.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let start = (h % len as u64) as u32;
    (0..n).map(|k| first + (start + k) % len).collect()
}

fn build_image(
    ctx: &Ctx,
    wf: &WorkloadFile,
    setup: &FunctionSetup,
    read_bytes: &[u64],
) -> InputResult<CodeDelivery> {
    let Some(img) = wf.package.as_ref().and_then(|p| p.image.as_ref()) else {
        unreachable!("checked by build_cold_start");
    };
    let (layers, shared_layers) = image_layers(ctx, img)?;
    let version = ImageVersion::build(setup.name, &layers).map_err(|e| {
        ctx.err(
            "package.image.layer",
            format!("function \"{}\": {e}", setup.name),
        )
    })?;
    let runtime_reads = image_runtime_reads(ctx, img, setup, &version)?;
    let mut module_reads = Vec::with_capacity(wf.modules.len());
    for (i, (m, &rb)) in wf.modules.iter().zip(read_bytes).enumerate() {
        module_reads.push(image_module_reads(ctx, img, &version, i, m, rb)?);
    }
    Ok(CodeDelivery::Image(Box::new(ImageCode {
        version,
        runtime_reads,
        module_reads,
        shared_layers,
        read_jitter_sigma: setup.platform.storage.read_jitter_sigma,
    })))
}

/// The image's layers (at least one), and the indices of those shared with other functions.
fn image_layers(ctx: &Ctx, img: &ImagePackage) -> InputResult<(Vec<Layer>, Vec<usize>)> {
    if img.layers.is_empty() {
        return Err(ctx.err(
            "package.image.layer",
            "an image needs at least one [[package.image.layer]]",
        ));
    }
    let mut layers = Vec::with_capacity(img.layers.len());
    let mut shared_layers = Vec::new();
    for (i, l) in img.layers.iter().enumerate() {
        layers.push(Layer::new(
            l.name.clone(),
            mb_to_bytes(ctx, &format!("package.image.layer[{i}].size_mb"), l.size_mb)?,
        ));
        if l.shared.unwrap_or(false) {
            shared_layers.push(i);
        }
    }
    Ok((layers, shared_layers))
}

/// Chunks of `bytes`, in u64: a read of more chunks than a u32 holds must fail the layer
/// checks, not wrap around.
fn chunks_of(bytes: u64) -> u64 {
    bytes.div_ceil(CHUNK_BYTES)
}

/// First chunk and chunk count of layer `i` of `version`.
fn layer_span(version: &ImageVersion, i: usize) -> (u32, u32) {
    let s = &version.layers()[i];
    (s.first_chunk, s.n_chunks)
}

/// The runtime's start reads: `runtime_read_mb` for the function's architecture, from the
/// start of the base layer, which must hold them.
fn image_runtime_reads(
    ctx: &Ctx,
    img: &ImagePackage,
    setup: &FunctionSetup,
    version: &ImageVersion,
) -> InputResult<Vec<u32>> {
    let runtime_bytes = mb_to_bytes(
        ctx,
        "package.image.runtime_read_mb",
        img.runtime_read_mb.map_or(0.0, |r| r.get(setup.arch)),
    )?;
    let (first, len) = layer_span(version, 0);
    if chunks_of(runtime_bytes) > len as u64 {
        return Err(ctx.err(
            "package.image.runtime_read_mb",
            format!(
                "reads more than the base layer \"{}\" holds",
                img.layers[0].name
            ),
        ));
    }
    Ok(run_in_layer(
        "runtime",
        first,
        len,
        chunks_of(runtime_bytes) as u32,
    ))
}

/// Module `i`'s reads (`rb` bytes) in its layer (the top layer unless it names one), which
/// must exist and hold them.
fn image_module_reads(
    ctx: &Ctx,
    img: &ImagePackage,
    version: &ImageVersion,
    i: usize,
    m: &ModuleSection,
    rb: u64,
) -> InputResult<Vec<u32>> {
    let layer = match &m.layer {
        None => img.layers.len() - 1,
        Some(name) => img.layers.iter().position(|l| &l.name == name).ok_or_else(|| {
            ctx.err(
                format!("module[{i}].layer"),
                format!(
                    "module \"{}\" is in layer \"{name}\", which [package.image] does not have (layers: {})",
                    m.name,
                    img.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        })?,
    };
    let (first, len) = layer_span(version, layer);
    if chunks_of(rb) > len as u64 {
        let key = if m.read_mb.is_some() {
            "read_mb"
        } else {
            "read_bytes"
        };
        return Err(ctx.err(
            format!("module[{i}].{key}"),
            format!(
                "module \"{}\" reads {} chunks of 512 KiB, more than its layer \"{}\" holds ({len})",
                m.name,
                chunks_of(rb),
                img.layers[layer].name
            ),
        ));
    }
    Ok(run_in_layer(&m.name, first, len, chunks_of(rb) as u32))
}

/// The import graph's errors, named as a reader of the file would look for them.
fn graph_error(
    ctx: &Ctx,
    wf: &WorkloadFile,
    r: Result<ImportGraph, GraphError>,
) -> InputResult<ImportGraph> {
    r.map_err(|e| {
        let name = |i: usize| wf.modules[i].name.as_str();
        match e {
            GraphError::Duplicate { index, name } => ctx.err(
                format!("module[{index}].name"),
                format!("module \"{name}\" is defined twice"),
            ),
            GraphError::Undefined {
                importer: Some(i),
                name: missing,
            } => ctx.err(
                format!("module[{i}].imports"),
                format!(
                    "module \"{}\" imports \"{missing}\", which no [[module]] defines",
                    name(i)
                ),
            ),
            GraphError::Undefined {
                importer: None,
                name: missing,
            } => ctx.err(
                "imports",
                format!("the handler imports \"{missing}\", which no [[module]] defines"),
            ),
            GraphError::Cycle { index, cycle } => ctx.err(
                format!("module[{index}].imports"),
                format!("import cycle: {}", cycle.join(" -> ")),
            ),
            GraphError::BadCost {
                index,
                field,
                value,
            } => ctx.err(
                format!("module[{index}].{field}"),
                format!(
                    "module \"{}\": must be a non-negative number of ms; got {value}",
                    name(index)
                ),
            ),
        }
    })
}

/// The most CPU time one module or extension may cost, ms at one vCPU: one hour. AWS ends an
/// init after 10 s and an invocation after 15 minutes, so anything longer is a typo, and
/// values near 1e308 saturate every figure downstream.
pub const MAX_CPU_MS: f64 = 3_600_000.0;

/// Checks a `[[module]]`'s `cpu_ms` and `compile_ms` (0 to [`MAX_CPU_MS`]) and refuses
/// `files`, which the import model does not use (reads are charged by `read_bytes`).
fn check_module_costs(ctx: &Ctx, i: usize, m: &super::file::ModuleSection) -> InputResult<()> {
    for (k, v) in [("cpu_ms", m.cpu_ms), ("compile_ms", m.compile_ms)] {
        if let Some(v) = v
            && !(v.is_finite() && (0.0..=MAX_CPU_MS).contains(&v))
        {
            return Err(ctx.err(
                format!("module[{i}].{k}"),
                format!("must be between 0 and {MAX_CPU_MS} ms (one hour); got {v}"),
            ));
        }
    }
    if m.files.is_some() {
        return Err(ctx.err(
            format!("module[{i}].files"),
            "is not used by the import model (a file count has no cost of its own); remove \
             it, and give what the import reads as read_bytes or read_mb",
        ));
    }
    Ok(())
}
