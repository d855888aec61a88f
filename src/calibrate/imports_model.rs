//! Import costs from `python -X importtime` traces, written as a workload's import graph.
//!
//! A trace is a tree: each line is a module with its own (self) time and its cumulative time
//! including the modules it imported. The workload model wants a small graph of modules with
//! their own CPU cost and their imports (DESIGN.md, "Imports"), so the tree is *folded*:
//! the handler's top-level imports and every module under them whose median cumulative time
//! reaches a threshold are kept; every other module's self time is added to its nearest kept
//! ancestor. Folding conserves time: the kept modules' costs add up to the top-level imports'
//! cumulative times (up to CPython's rounding of each line, < 1 µs per line).
//!
//! Modules outside the top-level imports' subtrees (the runtime's own bootstrap imports) are
//! left out: they are in the runtime's init.

use super::error::CalibrateResult;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::config::workload::MAX_CPU_MS;

use super::commands::CalibrateOptions;
use super::read::importtime::read_importtime_file;
use super::read::{ImportTrace, ImportTraces};
use super::recipe::selects;
use crate::coldstart::init::MAX_MODULES;
use crate::error::InputError;

/// One kept module of the folded graph.
#[derive(Clone, Debug, PartialEq)]
pub struct FoldedModule {
    /// Module name.
    pub name: String,
    /// Its own time plus its folded descendants' (mean over the clean traces it appears in),
    /// scaled so that its top-level import's modules add up to that import's mean cumulative
    /// time over all traces, ms.
    pub cpu_ms: f64,
    /// Traces it appears in.
    pub traces: u32,
    /// Kept modules it imports (first time), sorted.
    pub imports: Vec<String>,
}

/// The folded import graph of a set of traces.
#[derive(Clone, Debug, PartialEq)]
pub struct FoldedImports {
    /// The handler's imports, in the order of the first trace.
    pub top: Vec<String>,
    /// Kept modules, sorted by name.
    pub modules: Vec<FoldedModule>,
    /// Traces used for the costs.
    pub traces: u32,
    /// Clean traces the graph was taken from.
    pub structure_traces: u32,
    /// Mean over traces of the summed cumulative time of the top-level imports, ms.
    pub total_ms: f64,
    /// Sd of ln(total) over traces holding every top-level import (None below 2 traces).
    pub noise_sigma: Option<f64>,
    /// Parentless events below depth 0 (out-of-order or cut-off lines), not attributed.
    pub orphans: u64,
    /// Import edges dropped because they would close a cycle across traces.
    pub dropped_edges: Vec<(String, String)>,
}

/// The root (depth-0 ancestor) of event `i`, or `None` for an orphaned subtree.
fn root_of(t: &ImportTrace, mut i: usize) -> Option<usize> {
    for _ in 0..=t.events.len() {
        let e = &t.events[i];
        if e.depth == 0 {
            return Some(i);
        }
        i = e.parent? as usize;
    }
    None
}

/// Whether adding `a -> b` to `edges` closes a cycle (b reaches a).
fn reaches(edges: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut stack = vec![from.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(m) = stack.pop() {
        if m == to {
            return true;
        }
        if seen.insert(m.clone())
            && let Some(next) = edges.get(&m)
        {
            stack.extend(next.iter().cloned());
        }
    }
    false
}

/// Folds `traces`: `top` names the handler's imports (empty: every depth-0 module); modules
/// under them with a median cumulative time of at least `keep_from_ms` are kept.
///
/// Exported profiles are often cut short or have lines out of order, which breaks the
/// parent links below depth 0 (a line's times are right; its place in the tree is not).
/// So the graph and the split of each top-level import among its kept modules come from
/// the *clean* traces (complete, no orphaned lines; all traces when none is clean), and the
/// costs are scaled so that each top-level import's modules add up to its mean cumulative
/// time over *all* traces that hold it (depth-0 lines are reliable in every trace).
pub fn fold(traces: &[&ImportTrace], top: &[String], keep_from_ms: f64) -> FoldedImports {
    let clean: Vec<&ImportTrace> = traces
        .iter()
        .copied()
        .filter(|t| !t.truncated && t.orphans == 0)
        .collect();
    let structure: &[&ImportTrace] = if clean.is_empty() { traces } else { &clean };
    let (kept, top_order, orphans) = kept_modules(structure, top, keep_from_ms);
    let folded = fold_structure(structure, top, &kept);
    let (top_cumulative, totals) = top_times(traces, &top_order);
    let modules = scaled_modules(
        folded.cost,
        &folded.owner_top,
        &folded.edges,
        &top_cumulative,
    );
    let noise_sigma = (totals.len() >= 2).then(|| {
        let ln: Vec<f64> = totals.iter().map(|t| t.ln()).collect();
        let m = mean(&ln);
        (ln.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (ln.len() - 1) as f64).sqrt()
    });
    FoldedImports {
        top: top_order,
        modules,
        traces: traces.len() as u32,
        structure_traces: structure.len() as u32,
        total_ms: if totals.is_empty() {
            f64::NAN
        } else {
            mean(&totals)
        },
        noise_sigma,
        orphans,
        dropped_edges: folded.dropped,
    }
}

/// Whether `m` is one of the handler's imports (`top` empty: every depth-0 module).
fn is_top(top: &[String], m: &str) -> bool {
    top.is_empty() || top.iter().any(|t| t == m)
}

/// The mean of `v`.
fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Pass 1, over the structure traces: the modules kept (the top-level imports and those
/// whose median cumulative time reaches `keep_from_ms`), the top-level imports in order,
/// and the events without a root.
fn kept_modules<'a>(
    structure: &[&'a ImportTrace],
    top: &[String],
    keep_from_ms: f64,
) -> (BTreeSet<&'a str>, Vec<String>, u64) {
    let mut cumulative: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut orphans = 0u64;
    let mut top_order: Vec<String> = Vec::new();
    for t in structure {
        for (i, e) in t.events.iter().enumerate() {
            match root_of(t, i) {
                Some(r) if is_top(top, &t.events[r].module) => {
                    cumulative
                        .entry(e.module.as_str())
                        .or_default()
                        .push(e.cumulative_us as f64 / 1e3);
                    if e.depth == 0 && !top_order.contains(&e.module) {
                        top_order.push(e.module.clone());
                    }
                }
                Some(_) => {}
                None => orphans += 1,
            }
        }
    }
    if !top.is_empty() {
        top_order.sort_by_key(|m| top.iter().position(|t| t == m));
    }
    let kept: BTreeSet<&str> = cumulative
        .iter()
        .filter(|(m, v)| {
            let mut v = (*v).clone();
            v.sort_by(f64::total_cmp);
            top_order.iter().any(|t| t == *m) || v[(v.len() - 1) / 2] >= keep_from_ms
        })
        .map(|(m, _)| *m)
        .collect();
    (kept, top_order, orphans)
}

/// What pass 2 folds out of the structure traces.
struct Folded {
    /// Per kept module, its folded self time (ms) in each trace.
    cost: BTreeMap<String, Vec<f64>>,
    /// Per kept module, the top-level import it was first seen under.
    owner_top: BTreeMap<String, String>,
    /// Import edges between kept modules.
    edges: BTreeMap<String, BTreeSet<String>>,
    /// Edges dropped because they would close a cycle.
    dropped: Vec<(String, String)>,
}

/// The nearest kept ancestor-or-self of event `i` of `t` (the root `r` is kept).
fn kept_owner(t: &ImportTrace, kept: &BTreeSet<&str>, mut i: usize, r: usize) -> usize {
    while !kept.contains(t.events[i].module.as_str()) {
        i = t.events[i].parent.map_or(r, |p| p as usize);
    }
    i
}

/// Pass 2: folded self times, owners (top-level import) and edges, from the structure.
fn fold_structure(structure: &[&ImportTrace], top: &[String], kept: &BTreeSet<&str>) -> Folded {
    let mut f = Folded {
        cost: BTreeMap::new(),
        owner_top: BTreeMap::new(),
        edges: BTreeMap::new(),
        dropped: Vec::new(),
    };
    for t in structure {
        let mut folded: BTreeMap<&str, f64> = BTreeMap::new();
        for (i, e) in t.events.iter().enumerate() {
            let Some(r) = root_of(t, i) else { continue };
            if !is_top(top, &t.events[r].module) {
                continue;
            }
            let owner = kept_owner(t, kept, i, r);
            let owner_name = t.events[owner].module.as_str();
            *folded.entry(owner_name).or_default() += e.self_us as f64 / 1e3;
            f.owner_top
                .entry(owner_name.to_string())
                .or_insert_with(|| t.events[r].module.clone());
            if owner == i && e.depth > 0 {
                let p = kept_owner(t, kept, e.parent.map_or(r, |p| p as usize), r);
                let (a, b) = (t.events[p].module.clone(), e.module.clone());
                if a != b && !f.edges.get(&a).is_some_and(|s| s.contains(&b)) {
                    if reaches(&f.edges, &b, &a) {
                        f.dropped.push((a, b));
                    } else {
                        f.edges.entry(a).or_default().insert(b);
                    }
                }
            }
        }
        for (m, ms) in folded {
            f.cost.entry(m.to_string()).or_default().push(ms);
        }
    }
    f
}

/// Each top-level import's cumulative times (ms) over all traces, and the total of the
/// traces that hold every top-level import.
fn top_times<'a>(
    traces: &[&ImportTrace],
    top_order: &'a [String],
) -> (BTreeMap<&'a str, Vec<f64>>, Vec<f64>) {
    let mut top_cumulative: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut totals = Vec::new();
    for t in traces {
        let mut total = 0.0;
        let mut seen = 0;
        for name in top_order {
            let ms: f64 = t
                .events
                .iter()
                .filter(|e| e.depth == 0 && &e.module == name)
                .map(|e| e.cumulative_us as f64 / 1e3)
                .sum();
            if ms > 0.0 {
                top_cumulative.entry(name.as_str()).or_default().push(ms);
                total += ms;
                seen += 1;
            }
        }
        if seen == top_order.len() && total > 0.0 {
            totals.push(total);
        }
    }
    (top_cumulative, totals)
}

/// The folded modules, each mean self time scaled so that the modules under a top-level
/// import add up to that import's mean cumulative time over all traces.
fn scaled_modules(
    cost: BTreeMap<String, Vec<f64>>,
    owner_top: &BTreeMap<String, String>,
    edges: &BTreeMap<String, BTreeSet<String>>,
    top_cumulative: &BTreeMap<&str, Vec<f64>>,
) -> Vec<FoldedModule> {
    let mut structure_sum: BTreeMap<&str, f64> = BTreeMap::new();
    for (m, v) in &cost {
        if let Some(t) = owner_top.get(m) {
            *structure_sum.entry(t.as_str()).or_default() += mean(v);
        }
    }
    let scale = |m: &str| -> f64 {
        let Some(t) = owner_top.get(m) else {
            return 1.0;
        };
        match (
            top_cumulative.get(t.as_str()),
            structure_sum.get(t.as_str()),
        ) {
            (Some(all), Some(&sum)) if sum > 0.0 => mean(all) / sum,
            _ => 1.0,
        }
    };
    cost.into_iter()
        .map(|(name, v)| FoldedModule {
            cpu_ms: mean(&v) * scale(&name),
            traces: v.len() as u32,
            imports: edges
                .get(&name)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            name,
        })
        .collect()
}

/// The `[init.runtime]` table of a (calibrated) workload file, as text lines.
fn runtime_table(path: &Path) -> CalibrateResult<String> {
    let text = crate::input::read_text(path, crate::input::InputKind::Toml)?;
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim_start().starts_with('[') {
            inside = line.trim() == "[init.runtime]";
            continue;
        }
        if inside && (line.starts_with("x86_64") || line.starts_with("arm64")) {
            out += line;
            out += "\n";
        }
    }
    if out.is_empty() {
        return Err(InputError::Usage(format!(
            "{}: has no [init.runtime] table to take the runtime init from",
            path.display()
        ))
        .into());
    }
    Ok(out)
}

/// Folding options of an imports model.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportsModelSpec {
    /// Model name.
    pub name: String,
    /// Runtime name.
    pub runtime: String,
    /// The handler's imports (empty: all depth-0 modules).
    pub top: Vec<String>,
    /// Fold modules below this median cumulative time.
    pub keep_from_ms: f64,
    /// Workload file whose `[init.runtime]` is copied.
    pub runtime_model: std::path::PathBuf,
    /// That file as the user named it (for the header).
    pub runtime_model_name: String,
    /// `[package.zip]` sizes (zip MB, unzipped MB), when known.
    pub zip_mb: Option<(f64, f64)>,
    /// User init.
    pub user_init: String,
    /// Output file.
    pub out: std::path::PathBuf,
    /// Command that regenerates the file.
    pub regenerate: String,
    /// Data description.
    pub source: String,
}

/// Writes the workload file of `folded`.
pub fn write_imports_model(spec: &ImportsModelSpec, folded: &FoldedImports) -> CalibrateResult<()> {
    check_loadable(folded).map_err(|m| InputError::file(&spec.out, m))?;
    if folded.modules.len() > MAX_MODULES {
        return Err(InputError::Usage(format!(
            "{} modules kept, over the model's limit of {MAX_MODULES}: raise the folding threshold",
            folded.modules.len()
        ))
        .into());
    }
    let runtime = runtime_table(&spec.runtime_model)?;
    let mut s = String::new();
    write_header(&mut s, spec, folded);
    write_top(&mut s, spec, folded, &runtime);
    write_modules(&mut s, folded);
    crate::output::write_atomic(&spec.out, s.as_bytes())?;
    Ok(())
}

/// The comment block that says how the model was made.
fn write_header(s: &mut String, spec: &ImportsModelSpec, folded: &FoldedImports) {
    let _ = writeln!(
        s,
        "# Generated by `{}`; do not edit by hand.",
        spec.regenerate
    );
    let _ = writeln!(
        s,
        "# Import graph folded from `python -X importtime` traces:\n#   {}",
        spec.source
    );
    let _ = writeln!(
        s,
        "# {} traces give each top-level import's mean cumulative time; the graph and the split among",
        folded.traces
    );
    let _ = writeln!(
        s,
        "# its modules come from the {} clean one(s) (complete, lines in order). Modules under",
        folded.structure_traces
    );
    let _ = writeln!(
        s,
        "# the handler's imports are kept when their median cumulative time is >= {} ms, the",
        spec.keep_from_ms
    );
    let _ = writeln!(
        s,
        "# rest folded into their nearest kept ancestor. cpu_ms is as measured on this build"
    );
    let _ = writeln!(
        s,
        "# (compilation included when the build has no .pyc, so `bytecode = true` here: nothing is"
    );
    let _ = writeln!(s, "# added). Mean total {:.1} ms.", folded.total_ms);
    let _ = writeln!(
        s,
        "# [init.runtime] is copied from {}.",
        spec.runtime_model_name
    );
}

/// The top-level keys, `[init]` with the runtime table and the package sizes.
fn write_top(s: &mut String, spec: &ImportsModelSpec, folded: &FoldedImports, runtime: &str) {
    let _ = writeln!(s, "name = {:?}", spec.name);
    let _ = writeln!(s, "runtime = {:?}", spec.runtime);
    let _ = writeln!(s, "bytecode = true");
    if let Some(sigma) = folded.noise_sigma {
        let _ = writeln!(
            s,
            "# sd of ln(total import time) over the traces.\nimport_noise_sigma = {sigma:.4}"
        );
    }
    let _ = writeln!(
        s,
        "imports = [{}]",
        folded
            .top
            .iter()
            .map(|t| format!("{t:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "\n[init]\nuser = {:?}\n\n[init.runtime]\n{runtime}",
        spec.user_init
    );
    if let Some((zip, unzipped)) = spec.zip_mb {
        let _ = writeln!(
            s,
            "# Sizes assumed (not in the traces).\n[package.zip]\nzip_mb = {zip}\nunzipped_mb = {unzipped}\n"
        );
    }
}

/// One `[[module]]` table per folded module.
fn write_modules(s: &mut String, folded: &FoldedImports) {
    for m in &folded.modules {
        let _ = writeln!(
            s,
            "[[module]]\nname = {:?}\ncpu_ms = {:.3}",
            m.name, m.cpu_ms
        );
        if !m.imports.is_empty() {
            let _ = writeln!(
                s,
                "imports = [{}]",
                m.imports
                    .iter()
                    .map(|t| format!("{t:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(s, "# in {} of {} traces\n", m.traces, folded.traces);
    }
}

/// Refuses to write a model the workload loader would reject: an import noise sigma outside
/// 0..=2 or a module cost outside 0..=[`MAX_CPU_MS`] (impossible timings in the data).
pub fn check_loadable(folded: &FoldedImports) -> Result<(), String> {
    if let Some(sigma) = folded.noise_sigma
        && !(sigma.is_finite() && (0.0..=2.0).contains(&sigma))
    {
        return Err(format!(
            "the traces give an import noise sigma of {sigma}; a workload model takes 0 to 2 \
             (are some traces cut short or mixed from different builds?)"
        ));
    }
    match folded
        .modules
        .iter()
        .find(|m| !(m.cpu_ms.is_finite() && (0.0..=MAX_CPU_MS).contains(&m.cpu_ms)))
    {
        Some(m) => Err(format!(
            "module {} measures {} ms; a workload model takes 0 to {MAX_CPU_MS} ms",
            m.name, m.cpu_ms
        )),
        None => Ok(()),
    }
}

/// The traces of `all` whose key passes `filters` (`COLUMN=V1,V2` on the key columns).
pub fn select_traces<'a>(
    all: &'a ImportTraces,
    filters: &[String],
) -> Result<Vec<&'a ImportTrace>, String> {
    let mut out = Vec::new();
    for t in &all.traces {
        if selects(&all.key_columns, &t.key, filters)? {
            out.push(t);
        }
    }
    Ok(out)
}

/// A table of the folded graph.
pub fn table(f: &FoldedImports) -> String {
    let mut s = format!(
        "import graph: {} traces ({} clean, giving the graph), handler imports {}, mean total {:.1} ms, noise sigma {}\n",
        f.traces,
        f.structure_traces,
        f.top.join(", "),
        f.total_ms,
        f.noise_sigma.map_or("n/a".into(), |x| format!("{x:.4}"))
    );
    let _ = writeln!(
        s,
        "  {:<40} {:>10} {:>7}  imports",
        "module", "cpu_ms", "traces"
    );
    for m in &f.modules {
        let _ = writeln!(
            s,
            "  {:<40} {:>10.3} {:>7}  {}",
            m.name,
            m.cpu_ms,
            m.traces,
            m.imports.join(", ")
        );
    }
    if f.orphans > 0 {
        let _ = writeln!(
            s,
            "  note: {} lines of the graph's traces without a parent, not attributed",
            f.orphans
        );
    }
    for (a, b) in &f.dropped_edges {
        let _ = writeln!(
            s,
            "  note: edge {a} -> {b} dropped (it would close a cycle across traces)"
        );
    }
    s
}

/// `coldsim calibrate --reader importtime`: prints the folded graph of the selected traces.
pub fn calibrate_imports(path: &Path, o: &CalibrateOptions) -> CalibrateResult<String> {
    let all = read_importtime_file(path)?;
    if all.traces.is_empty() {
        return Err(InputError::file(
            path,
            format!(
                "nothing to fit: no import time lines ({}){}",
                all.diagnostics,
                all.diagnostics
                    .warnings
                    .first()
                    .map_or(String::new(), |w| format!(
                        "; first problem, line {}: {}",
                        w.row, w.message
                    ))
            ),
        )
        .into());
    }
    let traces = select_traces(&all, &o.read.filters).map_err(InputError::Usage)?;
    if traces.is_empty() {
        return Err(InputError::Usage(format!(
            "{}: no trace matches the --where filters",
            path.display()
        ))
        .into());
    }
    let folded = fold(&traces, &o.top_modules, o.keep_from_ms);
    let mut text = format!("{}: {}\n", path.display(), all.diagnostics);
    for n in &all.notes {
        let _ = writeln!(text, "note: {n}");
    }
    text += &table(&folded);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(sigma: Option<f64>, cpu_ms: f64) -> FoldedImports {
        FoldedImports {
            top: vec!["m".into()],
            modules: vec![FoldedModule {
                name: "m".into(),
                cpu_ms,
                traces: 2,
                imports: vec![],
            }],
            traces: 2,
            structure_traces: 2,
            total_ms: cpu_ms,
            noise_sigma: sigma,
            orphans: 0,
            dropped_edges: vec![],
        }
    }

    /// The loader's limits, inclusive: sigma 2 and one hour of CPU load; sigma 2.01, one
    /// hour and a millisecond, and a non-finite cost do not.
    #[test]
    fn only_models_the_loader_accepts_are_written() {
        assert!(check_loadable(&folded(Some(2.0), MAX_CPU_MS)).is_ok());
        assert!(check_loadable(&folded(None, 12.5)).is_ok());
        let err = check_loadable(&folded(Some(2.01), 12.5)).unwrap_err();
        assert!(err.contains("noise sigma of 2.01"), "{err}");
        let err = check_loadable(&folded(Some(0.1), MAX_CPU_MS + 1.0)).unwrap_err();
        assert!(err.contains("module m measures"), "{err}");
        assert!(check_loadable(&folded(Some(0.1), f64::INFINITY)).is_err());
    }
}
