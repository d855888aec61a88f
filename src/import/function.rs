//! What the template and configuration importers know about one function, and the
//! `[[function]]` table written from it. Defaults are AWS's (Lambda Developer Guide,
//! "Configuring Lambda function memory", "architectures", "timeout"): 128 MB, x86_64, Zip,
//! 3 s.

use super::draft::{Origin, Table, inline, lit};

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

/// The workload model for `runtime` and why: the built-in Python models by version; other
/// runtimes have none yet, so the Python 3.12 model stands in (said in the comment).
pub fn workload_for(runtime: Option<&str>) -> (&'static str, String) {
    let model = |r: &str| match r {
        "python3.12" | "python3.13" => Some("models/workloads/python312-hello.toml"),
        "python3.11" => Some("models/workloads/calibrated/python311-hello.toml"),
        "python3.10" => Some("models/workloads/calibrated/python310-hello.toml"),
        "python3.9" => Some("models/workloads/calibrated/python39-hello.toml"),
        _ => None,
    };
    const STAND_IN: &str = "models/workloads/python312-hello.toml";
    match runtime {
        Some(r) => match model(r) {
            Some(m) => (m, format!("the hello-world model of {r}")),
            None => (
                STAND_IN,
                format!("no built-in model of {r}: the python3.12 hello-world model stands in, replace it"),
            ),
        },
        None => (
            STAND_IN,
            "no Runtime (a container image): the python3.12 hello-world model stands in, replace it"
                .to_string(),
        ),
    }
}

/// For a packaging only one built-in model has a package of, that model and why: the
/// model must describe the package (`[package.snapstart]`, `[package.zip_layers]`).
fn packaging_model(packaging: &str) -> Option<(&'static str, String)> {
    let (model, what) = match packaging {
        "snapstart" => (
            "models/workloads/python312-api-lazy.toml",
            "a SnapStart package",
        ),
        "zip_layers" => ("models/workloads/python39-datasci.toml", "layers"),
        _ => return None,
    };
    Some((
        model,
        format!("the one built-in model with {what} stands in for the runtime, replace it"),
    ))
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
    let (model, why) = match packaging_model(packaging) {
        Some(stand_in) => stand_in,
        None => workload_for(f.runtime.as_ref().map(|r| r.value.as_str())),
    };
    let origin = match &f.runtime {
        Some(r) => Origin {
            what: format!("{} ({why})", r.origin.what),
            ..r.origin.clone()
        },
        None => Origin {
            what: why,
            ..f.package_type.origin.clone()
        },
    };
    t.set("workload", lit(model), origin);
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

/// `packaging` from `PackageType`, `SnapStart` and `Layers`: image; snapstart when SnapStart
/// applies to published versions; zip_layers when the function has layers; else zip.
fn packaging(f: &FunctionFacts) -> (&'static str, Origin) {
    if f.package_type.value == "Image" {
        return ("image", f.package_type.origin.clone());
    }
    if let Some(s) = f.snapstart.as_ref().filter(|s| s.value) {
        return ("snapstart", s.origin.clone());
    }
    if let Some(l) = f.layers.as_ref().filter(|l| l.value > 0) {
        return ("zip_layers", l.origin.clone());
    }
    ("zip", f.package_type.origin.clone())
}
