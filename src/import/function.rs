//! What the template and configuration importers know about one function, and the
//! `[[function]]` table written from it. Defaults are AWS's (Lambda Developer Guide,
//! "Configuring Lambda function memory", "architectures", "timeout"): 128 MB, x86_64, Zip,
//! 3 s.

use super::draft::{Origin, Table, inline, lit};
use super::runtime_choice::{RuntimeChoice, choose, placeholder_cold_start_ms};

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub origin: Origin,
}

/// One function's configuration as read from a template or a configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionFacts {
    /// The scenario's name for the function.
    pub name: Fact<String>,
    /// `MemorySize`, MB.
    pub memory_mb: Fact<u32>,
    /// `Architectures[0]`: `x86_64` or `arm64`.
    pub arch: Fact<String>,
    /// `PackageType`: `Zip` or `Image`.
    pub package_type: Fact<String>,
    /// `Runtime`, when the package has one.
    pub runtime: Option<Fact<String>>,
    /// Number of `Layers`.
    pub layers: Option<Fact<usize>>,
    /// `SnapStart.ApplyOn` is `PublishedVersions`.
    pub snapstart: Option<Fact<bool>>,
    /// `ReservedConcurrentExecutions`.
    pub reserved: Option<Fact<u32>>,
    /// Provisioned concurrent executions.
    pub provisioned: Option<Fact<u32>>,
    /// Notes written as comments above the table: values coldsim does not model
    /// (`Timeout`, `EphemeralStorage`) with their origin.
    pub notes: Vec<String>,
}

/// A handler distribution nobody measured yet, marked as such.
pub const PLACEHOLDER_HANDLER: (&str, &str) = ("100ms", "1s");

/// The `[[function]]` table of `f`; `handler` is the handler distribution (TOML) and its
/// origin.
pub fn function_table(f: &FunctionFacts, handler: (String, Origin)) -> Table {
    let mut t = Table::new("[[function]]");
    t.notes = f.notes.clone();
    t.set("name", lit(f.name.value.clone()), f.name.origin.clone());
    t.set(
        "memory_mb",
        lit(f.memory_mb.value as i64),
        f.memory_mb.origin.clone(),
    );
    t.set("arch", lit(f.arch.value.clone()), f.arch.origin.clone());
    let (packaging, origin) = packaging(f);
    t.set("packaging", lit(packaging), origin);
    set_runtime(&mut t, f, packaging);
    t.set("handler", handler.0, handler.1);
    if let Some(r) = &f.reserved {
        t.set(
            "reserved_concurrency",
            lit(r.value as i64),
            r.origin.clone(),
        );
    }
    if let Some(p) = &f.provisioned {
        t.set(
            "provisioned_concurrency",
            lit(p.value as i64),
            p.origin.clone(),
        );
    }
    t
}

/// The warning of a `[[function]]` table that no runtime model covers (it carries a TODO
/// runtime note), for the terminal and the top of the scenario.
pub fn runtime_warning(t: &Table, name: &str) -> Option<String> {
    t.notes
        .iter()
        .any(|n| n.starts_with(TODO_RUNTIME))
        .then(|| {
            format!(
                "function {name}: no built-in runtime model covers it; a PLACEHOLDER cold_start \
             stands in (see its `{TODO_RUNTIME}` comment)"
            )
        })
}

/// How the note on a function without a runtime model starts.
const TODO_RUNTIME: &str = "TODO runtime:";

/// The placeholder handler of a template or configuration import.
pub fn placeholder_handler() -> (String, Origin) {
    let (median, p99) = PLACEHOLDER_HANDLER;
    (
        inline(&[
            ("dist", lit("lognormal")),
            ("median", lit(median)),
            ("p99", lit(p99)),
        ]),
        Origin::importer(
            "PLACEHOLDER, edit: the input does not say how long the handler runs \
             (measure it: coldsim import logs)",
        ),
    )
}

/// `packaging` from `PackageType` and `SnapStart`: image; snapstart when SnapStart applies to
/// published versions; else zip. Layers stay zip: coldsim's `zip_layers` needs the layers'
/// sizes in a workload model, which the input does not give (a note says so).
fn packaging(f: &FunctionFacts) -> (&'static str, Origin) {
    if f.package_type.value == "Image" {
        return ("image", f.package_type.origin.clone());
    }
    if let Some(s) = f.snapstart.as_ref().filter(|s| s.value) {
        return ("snapstart", s.origin.clone());
    }
    match f.layers.as_ref().filter(|l| l.value > 0) {
        Some(l) => (
            "zip",
            Origin {
                what: format!(
                    "{}: zip, without them (coldsim's `zip_layers` needs their sizes in a \
                     workload model's [package.zip_layers]; add one to simulate them)",
                    l.origin.what
                ),
                ..l.origin.clone()
            },
        ),
        None => ("zip", f.package_type.origin.clone()),
    }
}

/// `runtime = "ID"` when a built-in model covers the function; else no runtime, a TODO
/// naming the choices, and a fixed cold start marked PLACEHOLDER so the scenario runs.
fn set_runtime(t: &mut Table, f: &FunctionFacts, packaging: &str) {
    let runtime = f.runtime.as_ref();
    let arch = f.arch.value.as_str();
    match choose(runtime.map(|r| r.value.as_str()), packaging, arch) {
        RuntimeChoice::Covered { id, model } => {
            let r = runtime.expect("a covered runtime was read");
            let origin = Origin {
                what: format!(
                    "{}; {packaging} on {arch}: {model}; its hello world, a `workload` adds \
                     your own imports and init",
                    r.origin.what
                ),
                ..r.origin.clone()
            };
            t.set("runtime", lit(id), origin);
        }
        RuntimeChoice::Uncovered { reason, choices } => {
            let from = match runtime {
                Some(r) => format!("Runtime {} (from: {})", r.value, r.origin),
                None => format!("no Runtime (from: {})", f.package_type.origin),
            };
            t.notes.push(format!(
                "{TODO_RUNTIME} {from}: {reason}.\nNo model stands in: choose one, set \
                 `runtime = \"ID\"` and delete `cold_start`. For {packaging} on {arch}: {choices}."
            ));
            let (ms, n) = placeholder_cold_start_ms(packaging, arch);
            t.set(
                "cold_start",
                lit(format!("{ms}ms")),
                Origin::importer(format!(
                    "PLACEHOLDER, edit: no runtime model (see the TODO above); a fixed cold start, \
                     the median init p50 of {n} built-in runtime calibrations on {packaging}/{arch}"
                )),
            );
        }
    }
}
