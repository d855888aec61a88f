//! `[runtimes]` of a calibration recipe: one hello-world runtime model per runtime label of
//! the data (lambda-perf's every runtime, `data/lambda-perf/all-runtimes-init-2024.csv.gz`),
//! written to `models/runtimes/ID.toml` with an index of what each covers
//! ([`crate::runtimes`]). Per label, like the Python models of `[[model]]`: the runtime's
//! init is the best fit of its zip rows per arch (regimes, model selection by AIC); its
//! image rows fit the runtime's chunk footprint through the simulated cache tiers
//! ([`super::runtime_model::fit_image_reads`]); and the rows of the label with the SnapStart
//! suffix (`java21 snapstart`: Restore Duration) fit a restore model through the same tiers
//! ([`fit_restore`]). Every model is then replayed under lambda-perf's protocol and compared
//! with the held-out rows. Labels run in parallel; the output does not depend on the order.

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;
use serde::Deserialize;

use super::error::{CalibrateResult, Context as _};
use super::fit::{Mix, Model, Params};
use super::groups::GroupFit;
use super::protocol::{ForcedCold, PlatformOverrides, ProtocolFunction, simulate_forced_cold};
use super::recipe::{DataRun, RecipeOutcome};
use super::restore_fit::fit_restore;
use super::runtime_model::{
    ARCHES, ImageFit, RuntimeDraft, RuntimeModelSpec, SECANT_TOL, draft_runtime_model,
    fit_image_reads, runtime_model_text, simulate_image_histograms,
};
use super::runtimes_validation::{self as validation, held_out_by_key};
use super::spec::dist_table;
use super::two_part::choose;
use super::validate::{self, GroupCheck, QUANTILES};
use crate::error::InputError;
use crate::output::write_atomic;
use crate::runtimes::{Coverage, INDEX_FILE, Index, RuntimeEntry, runtime_id};
use crate::stats::histogram::{Histogram, nearest_rank};

/// `[runtimes]`: write a runtime model for every runtime label of the data.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RecipeRuntimes {
    /// Directory of the model files and their index, relative to the recipe.
    pub out_dir: String,
    /// The grouping column holding the runtime label (with `packaging` and `arch`).
    pub label_column: String,
    /// Platform model file of the image and restore fits and the validation, relative to
    /// the recipe (e.g. the read jitter `lambda-perf.toml` fitted); default the built-in.
    pub platform: Option<String>,
    /// Unpacked size of every runtime's base image, MB (assumed; not in the data).
    pub base_image_mb: f64,
    /// Labels ending in this are SnapStart restores of the label without it.
    pub snapstart_suffix: Option<String>,
    /// Days of the forced-cold protocol the fits simulate (default: `[validate] days`);
    /// the validation always simulates `[validate] days`.
    pub fit_days: Option<u32>,
    /// The image read-size search stops when every arch's simulated p50 is within this
    /// relative distance of the data's (default [`SECANT_TOL`], 0.2%).
    pub read_tol: Option<f64>,
}

/// The `[runtimes]` keys, checked against the recipe's grouping columns before any data is
/// read or fitted (a bad key costs no work); returns the label column's index.
pub(super) fn check(
    rt: &RecipeRuntimes,
    path: &Path,
    columns: &[String],
) -> Result<usize, InputError> {
    let err = |key: &str, m: String| InputError::field(path, format!("runtimes.{key}"), m);
    if rt.out_dir.trim().is_empty() {
        return Err(err("out_dir", "must name a directory".into()));
    }
    if let Some(p) = &rt.platform {
        let file = path.parent().unwrap_or(Path::new(".")).join(p);
        if !file.is_file() {
            return Err(err(
                "platform",
                format!("no platform model file at {}", file.display()),
            ));
        }
    }
    for c in ["packaging", "arch"] {
        if !columns.iter().any(|x| x == c) {
            return Err(InputError::field(
                path,
                "data.group",
                format!("[runtimes] needs `{c}` among the grouping columns"),
            ));
        }
    }
    let label = columns
        .iter()
        .position(|c| c == &rt.label_column)
        .ok_or_else(|| {
            err(
                "label_column",
                format!(
                    "`{}` is not a grouping column ({})",
                    rt.label_column,
                    columns.join(", ")
                ),
            )
        })?;
    if !(rt.base_image_mb.is_finite() && rt.base_image_mb > 0.0 && rt.base_image_mb <= 10_240.0) {
        return Err(err(
            "base_image_mb",
            format!(
                "expected a size in MB in (0, 10240]; got {}",
                rt.base_image_mb
            ),
        ));
    }
    if rt
        .snapstart_suffix
        .as_ref()
        .is_some_and(|s| s.trim().is_empty())
    {
        return Err(err("snapstart_suffix", "must not be empty".into()));
    }
    if let Some(d) = rt.fit_days
        && !(10..=4000).contains(&d)
    {
        return Err(err(
            "fit_days",
            format!("expected 10..4000 days (100 calls per 10 days); got {d}"),
        ));
    }
    if let Some(t) = rt.read_tol
        && !(t.is_finite() && t > 0.0 && t <= 0.1)
    {
        return Err(err(
            "read_tol",
            format!("expected a relative tolerance in (0, 0.1]; got {t}"),
        ));
    }
    Ok(label)
}

/// One runtime label's job.
struct Job<'a> {
    label: String,
    spec: RuntimeModelSpec,
    /// Its groups (zip and image, per arch).
    groups: Vec<GroupFit>,
    /// Its SnapStart restore group, if any.
    snap: Option<&'a GroupFit>,
}

/// What a job produced.
struct JobOut {
    entry: RuntimeEntry,
    checks: Vec<GroupCheck>,
    text: String,
}

/// The base image of runtime `id` (the AWS base image; custom runtimes share `provided`).
fn base_image_name(id: &str) -> String {
    match id.strip_prefix("provided.") {
        Some(rest) => format!(
            "public.ecr.aws/lambda/provided:{}",
            rest.split('-').next().unwrap_or(rest)
        ),
        None => format!("public.ecr.aws/lambda/{id}"),
    }
}

fn jobs<'a>(
    run: &'a DataRun<'_>,
    rt: &RecipeRuntimes,
    label_col: usize,
    out_dir: &Path,
) -> Vec<Job<'a>> {
    let suffix = rt.snapstart_suffix.as_deref();
    let is_snap = |l: &str| suffix.is_some_and(|s| l.ends_with(s));
    let mut labels: Vec<&str> = Vec::new();
    for g in &run.groups {
        let l = g.key[label_col].as_str();
        if !is_snap(l) && labels.last() != Some(&l) && !labels.contains(&l) {
            labels.push(l);
        }
    }
    labels
        .into_iter()
        .map(|label| {
            let id = runtime_id(label);
            let snap = suffix.and_then(|s| {
                let want = format!("{label}{s}");
                run.groups.iter().find(|g| g.key[label_col] == want)
            });
            Job {
                label: label.to_string(),
                spec: RuntimeModelSpec {
                    runtime: id.clone(),
                    base_image: (base_image_name(&id), rt.base_image_mb),
                    out: out_dir.join(format!("{id}.toml")),
                    regenerate: run.regenerate.clone(),
                },
                groups: run
                    .groups
                    .iter()
                    .filter(|g| g.key[label_col] == label)
                    .cloned()
                    .collect(),
                snap,
            }
        })
        .collect()
}

/// Runs `[runtimes]` on the fitted groups of `run`; returns the summary text.
pub(super) fn run_runtimes(
    run: &DataRun<'_>,
    rt: &RecipeRuntimes,
    outcome: &mut RecipeOutcome,
) -> CalibrateResult<String> {
    let columns = &run.obs.group_columns;
    let label_col = check(rt, run.path, columns)?;
    let out_dir = run.out_path(&rt.out_dir);
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let (platform, platform_note) = match &rt.platform {
        Some(p) => {
            let file = run.out_path(p);
            let note = format!("the platform model {p}");
            let platform = PlatformOverrides {
                file: Some(file),
                ..PlatformOverrides::default()
            };
            (platform, note)
        }
        None => (
            PlatformOverrides::default(),
            "platform defaults".to_string(),
        ),
    };
    let held = held_out_by_key(run);
    let seed = run
        .recipe
        .validate
        .as_ref()
        .and_then(|v| v.seed)
        .unwrap_or(1);
    let ctx = JobCtx {
        run,
        fit_protocol: ForcedCold {
            days: rt.fit_days.unwrap_or(run.protocol.days),
            ..run.protocol.clone()
        },
        max_image_read_mb: rt.base_image_mb,
        platform: &platform,
        platform_note: &platform_note,
        suffix: rt.snapstart_suffix.as_deref().unwrap_or(""),
        held: &held,
        seed,
        read_tol: rt.read_tol.unwrap_or(SECANT_TOL),
    };
    let pc = columns.iter().position(|c| c == "packaging").unwrap_or(0);
    let (modelled, skipped): (Vec<Job>, Vec<Job>) = jobs(run, rt, label_col, &out_dir)
        .into_iter()
        .partition(|j| {
            j.groups
                .iter()
                .any(|g| g.key[pc] == "zip" && !g.fits.is_empty())
        });
    let outs: Vec<JobOut> = modelled
        .par_iter()
        .map(|job| run_job(&ctx, job).with_context(|| format!("runtime `{}`", job.label)))
        .collect::<CalibrateResult<_>>()?;
    let mut not_modelled = String::new();
    for j in skipped {
        let _ = writeln!(
            not_modelled,
            "not modelled: `{}` has no zip rows to train on (its rows start after the cut-off; see `late_train_share`)",
            j.label
        );
    }
    finish(run, &out_dir, outs, &not_modelled, outcome)
}

/// Writes the index and, when rows are held out, the validation report; returns the
/// summary.
fn finish(
    run: &DataRun<'_>,
    out_dir: &Path,
    mut outs: Vec<JobOut>,
    not_modelled: &str,
    outcome: &mut RecipeOutcome,
) -> CalibrateResult<String> {
    outs.sort_by(|a, b| a.entry.id.cmp(&b.entry.id));
    let index = Index {
        runtime: outs.iter().map(|o| o.entry.clone()).collect(),
    };
    let index_text = format!(
        "# Generated by `{}`; do not edit by hand.\n# The built-in runtime models: per runtime, the configurations lambda-perf measures and\n# the model's init p50/p90 (Restore Duration for snapstart) under lambda-perf's protocol\n# (simulated, ms). `coldsim runtimes` prints it.\n\n{}",
        run.regenerate,
        toml::to_string(&index)?
    );
    write_atomic(&out_dir.join(INDEX_FILE), index_text.as_bytes())?;
    let mut summary = String::new();
    let checks: Vec<GroupCheck> = outs.iter().flat_map(|o| o.checks.clone()).collect();
    for o in &outs {
        summary += &o.text;
    }
    outcome.runtimes = index.runtime;
    match run.split.train_until {
        Some(until) => {
            summary += "\n";
            summary += &validation::report(run, until, &checks, not_modelled)?;
            outcome.validations.push((out_dir.join(INDEX_FILE), checks));
        }
        None => {
            // Every row trained (the method is validated by a recipe that holds rows out).
            summary += "\nnot validated here: every row trains (no `train_until`)\n";
            summary += not_modelled;
        }
    }
    Ok(summary)
}

/// What every job shares.
struct JobCtx<'a> {
    run: &'a DataRun<'a>,
    /// The protocol of the fits' simulations.
    fit_protocol: ForcedCold,
    /// The largest runtime read of an image: its base image.
    max_image_read_mb: f64,
    platform: &'a PlatformOverrides,
    platform_note: &'a str,
    suffix: &'a str,
    held: &'a [(Vec<String>, Vec<f64>)],
    seed: u64,
    /// Tolerance of the image read-size search.
    read_tol: f64,
}

fn run_job(ctx: &JobCtx<'_>, job: &Job<'_>) -> CalibrateResult<JobOut> {
    let (run, protocol) = (ctx.run, &ctx.fit_protocol);
    let columns = &run.obs.group_columns;
    let mut draft = draft_runtime_model(&job.spec, columns, &job.groups, &run.describe)?;
    let image = fit_image(ctx, job, &mut draft)?;
    let base = runtime_model_text(
        &job.spec,
        &draft,
        image.as_ref(),
        ctx.platform_note,
        protocol,
    );
    let restore = match job.snap {
        Some(g) => Some(fit_restore(
            &job.spec.out,
            &format!("{}{}", job.label, ctx.suffix),
            &base,
            g,
            &ctx.fit_protocol,
            ctx.platform,
        )?),
        None => None,
    };
    let text = base + restore.as_ref().map_or("", |r| r.section.as_str());
    write_atomic(&job.spec.out, text.as_bytes())?;
    let mut summary = format!("wrote {}\n", job.spec.out.display());
    summary += &image_lines(image.as_ref());
    if let Some(r) = &restore {
        summary += &r.line;
    }
    let (coverage, checks) = replay(ctx, job)?;
    Ok(JobOut {
        entry: RuntimeEntry {
            id: job.spec.runtime.clone(),
            lambda_perf_label: job.label.clone(),
            file: format!("{}.toml", job.spec.runtime),
            coverage,
        },
        checks,
        text: summary,
    })
}

/// Reference read size of the reads-only simulations, MB.
pub(super) const R0_MB: f64 = 64.0;

/// The constant zero duration, as a distribution table.
pub(super) const ZERO: &str = "\"0ms\"";

/// The image fit of `draft` in two parts ([`super::two_part`]): one reads-only simulation
/// at [`R0_MB`], the runtime scale and read size per arch from it, then the secant search of
/// the read sizes through the simulator at those scales.
fn fit_image(
    ctx: &JobCtx<'_>,
    job: &Job<'_>,
    draft: &mut RuntimeDraft,
) -> CalibrateResult<Option<ImageFit>> {
    let targets = draft.image_targets().to_vec();
    if targets.is_empty() {
        return Ok(None);
    }
    draft.set_image_runtime(
        ARCHES
            .iter()
            .map(|a| (a.to_string(), ZERO.to_string()))
            .collect(),
    );
    let r0 = vec![R0_MB; targets.len()];
    let reads0 = simulate_image_histograms(&job.spec, draft, &r0, ctx.platform, &ctx.fit_protocol)?;
    let mut tables = Vec::new();
    for arch in ARCHES {
        let model = draft
            .runtime_model(arch)
            .cloned()
            .ok_or_else(|| InputError::file(&job.spec.out, format!("no runtime fit for {arch}")))?;
        let table = match targets.iter().position(|t| t.0 == arch) {
            Some(i) => {
                let t = choose(
                    |q| model.quantile(q),
                    &reads0[i],
                    R0_MB,
                    (targets[i].1, targets[i].2),
                    ctx.max_image_read_mb,
                );
                dist_table(&scaled(&model, t.scale))
            }
            None => dist_table(&model),
        };
        tables.push((arch.to_string(), table));
    }
    draft.set_image_runtime(tables);
    fit_image_reads(
        &job.spec,
        draft,
        ctx.platform,
        &ctx.fit_protocol,
        (ctx.max_image_read_mb, ctx.read_tol),
    )
}

fn image_lines(image: Option<&ImageFit>) -> String {
    image
        .map(|f| {
            f.arches
                .iter()
                .map(|a| {
                    format!(
                        "  image {}: runtime_read_mb {:.1}; p50 {:.1} vs {:.1} ms, p90 {:.1} vs {:.1} ms (simulated vs training data)\n",
                        a.arch, a.runtime_read_mb, a.p50_ms.0, a.p50_ms.1, a.p90_ms.0, a.p90_ms.1
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One configuration of a runtime replayed: its key, packaging, arch and held-out rows.
type Config = (Vec<String>, String, String, Vec<f64>);

/// Replays every configuration of `job` with its written model under the protocol: the
/// coverage (simulated p50/p90 of each) and the checks against held-out rows.
fn replay(ctx: &JobCtx<'_>, job: &Job<'_>) -> CalibrateResult<(Vec<Coverage>, Vec<GroupCheck>)> {
    let columns = &ctx.run.obs.group_columns;
    let col = |name: &str| columns.iter().position(|c| c == name).unwrap_or(0);
    let (pc, ac) = (col("packaging"), col("arch"));
    let held = |key: &[String]| {
        ctx.held
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut configs: Vec<Config> = job
        .groups
        .iter()
        .map(|g| {
            let (p, a) = (g.key[pc].clone(), g.key[ac].clone());
            (g.key.clone(), p, a, held(&g.key))
        })
        .collect();
    if let Some(g) = job.snap {
        configs.push((
            g.key.clone(),
            "snapstart".into(),
            g.key[ac].clone(),
            held(&g.key),
        ));
    }
    let functions: Vec<ProtocolFunction> = configs
        .iter()
        .enumerate()
        .map(|(i, (_, p, a, _))| ProtocolFunction {
            name: format!("c{i}"),
            packaging: p.clone(),
            arch: a.clone(),
            memory_mb: 128,
            workload: job.spec.out.clone(),
        })
        .collect();
    let hists = simulate_forced_cold(&ctx.run.protocol, &functions, ctx.platform, ctx.seed)?;
    let ms = |h: &Histogram, q: f64| h.value_at_quantile_us(q) as f64 / 1e3;
    let round = |x: f64| (x * 10.0).round() / 10.0;
    let mut coverage = Vec::new();
    let mut checks = Vec::new();
    for ((key, p, a, measured), h) in configs.into_iter().zip(hists) {
        coverage.push(Coverage {
            packaging: p.clone(),
            arch: a.clone(),
            init_p50_ms: round(ms(&h, 0.5)),
            init_p90_ms: round(ms(&h, 0.9)),
        });
        if measured.is_empty() {
            continue;
        }
        let n = measured.len() as u64;
        let percentiles = QUANTILES
            .iter()
            .map(|&(q, name)| (name, ms(&h, q), measured[nearest_rank(q, n) as usize - 1]))
            .collect();
        checks.push(GroupCheck {
            ks: validate::ks_distance(&measured, &h),
            key,
            packaging: p,
            arch: a,
            memory_mb: 128,
            measured_ms: measured,
            simulated: h,
            percentiles,
        });
    }
    // zip before image before snapstart, x86_64 before arm64: the index reads in that order.
    let rank = |c: &Coverage| {
        (
            ["zip", "image", "snapstart"]
                .iter()
                .position(|p| *p == c.packaging),
            c.arch != "x86_64",
        )
    };
    coverage.sort_by_key(rank);
    Ok((coverage, checks))
}

/// `model` scaled by `s` (every duration times `s`): closed form per family, applied to
/// both components of a mixture (the weight is scale-free).
pub fn scaled(model: &Model, s: f64) -> Model {
    Model {
        family: model.family,
        shift_ms: model.shift_ms * s,
        params: scaled_params(model.params, s),
        mix: model.mix.map(|m| Mix {
            weight: m.weight,
            second: scaled_params(m.second, s),
        }),
    }
}

/// One family's parameters of `s·X`.
fn scaled_params(params: Params, s: f64) -> Params {
    match params {
        Params::LogNormal { mu_ln_ms, sigma } => Params::LogNormal {
            mu_ln_ms: mu_ln_ms + s.ln(),
            sigma,
        },
        Params::Gamma { shape, scale_ms } => Params::Gamma {
            shape,
            scale_ms: scale_ms * s,
        },
        Params::Weibull { shape, scale_ms } => Params::Weibull {
            shape,
            scale_ms: scale_ms * s,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::fit::Family;

    #[test]
    fn read_tol_outside_its_range_is_an_error_naming_the_key() {
        let columns: Vec<String> = ["runtime", "packaging", "arch"].map(String::from).into();
        let rt = |read_tol| RecipeRuntimes {
            out_dir: "../runtimes".into(),
            label_column: "runtime".into(),
            platform: None,
            base_image_mb: 535.0,
            snapstart_suffix: None,
            fit_days: None,
            read_tol,
        };
        let path = Path::new("r.toml");
        assert_eq!(check(&rt(Some(0.01)), path, &columns).ok(), Some(0));
        assert_eq!(check(&rt(None), path, &columns).ok(), Some(0));
        for bad in [0.0, -0.01, 0.5, f64::NAN] {
            let e = check(&rt(Some(bad)), path, &columns).unwrap_err();
            assert!(e.to_string().contains("runtimes.read_tol"), "{bad}: {e}");
        }
    }

    #[test]
    fn scaling_a_model_scales_its_quantiles() {
        // Every quantile of s·X is s times X's (closed form), for each family, shifted.
        for params in [
            Params::LogNormal {
                mu_ln_ms: 3.0,
                sigma: 0.4,
            },
            Params::Gamma {
                shape: 2.0,
                scale_ms: 10.0,
            },
            Params::Weibull {
                shape: 1.5,
                scale_ms: 30.0,
            },
        ] {
            let single = Model::new(50.0, params);
            let mixed = Model::mixture(50.0, 0.9, params, scaled_params(params, 1.4));
            for m in [single, mixed] {
                let s = scaled(&m, 0.25);
                for q in [0.1, 0.5, 0.9] {
                    let (a, b) = (m.quantile(q), s.quantile(q));
                    assert!((b / a - 0.25).abs() < 1e-9, "{:?} q {q}: {a} {b}", m.family);
                }
            }
        }
        let _ = Family::ALL;
    }
}
