//! The built-in runtime models: one hello-world workload model per runtime that lambda-perf
//! measures (`models/runtimes/ID.toml`), calibrated by
//! `coldsim calibrate --recipe models/calibration/lambda-perf-all-2024.toml` from
//! `data/lambda-perf/all-runtimes-init-2024.csv.gz` with the method
//! `models/calibration/lambda-perf-all.toml` validates, and their index
//! (`models/runtimes/index.toml`: which packagings and architectures each covers and its
//! calibrated init p50/p90). The files are embedded in the binary with every built-in model
//! ([`crate::config::builtin`]), so `runtime = "ID"` on a `[[function]]` and
//! `coldsim runtimes` work from any folder.
//!
//! IDs are AWS's runtime identifiers (`python3.12`, `nodejs20.x`, `java21`, `dotnet8`,
//! `ruby3.3`); a custom runtime on `provided.al2` / `provided.al2023` is
//! `provided.al2-LANGUAGE` / `provided.al2023-LANGUAGE`, the language spelled as lambda-perf
//! labels it, lower case, `++` as `pp` and spaces as `-` (`rust (prov.al2023)` is
//! `provided.al2023-rust`, `c++ 11 (prov.al2)` is `provided.al2-cpp-11`).

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The index file's name in `models/runtimes/`.
pub const INDEX_FILE: &str = "index.toml";

/// The runtime ID of a lambda-perf label (see the module doc for the spelling).
pub fn runtime_id(label: &str) -> String {
    let label = label.trim();
    let slug = |s: &str| {
        s.trim()
            .to_lowercase()
            .replace("++", "pp")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
    };
    for os in ["al2023", "al2"] {
        let tag = format!("(prov.{os})");
        if let Some(language) = label.strip_suffix(&tag) {
            return format!("provided.{os}-{}", slug(language));
        }
    }
    slug(label)
}

/// One configuration a runtime model covers, with its calibrated init distribution.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// `zip`, `image` or `snapstart`.
    pub packaging: String,
    /// `x86_64` or `arm64`.
    pub arch: String,
    /// Simulated init p50 (Restore Duration for SnapStart) under lambda-perf's protocol, ms.
    pub init_p50_ms: f64,
    /// Simulated init p90, ms.
    pub init_p90_ms: f64,
}

/// One built-in runtime model.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuntimeEntry {
    /// The ID a function selects it by.
    pub id: String,
    /// lambda-perf's label of its rows, exactly as in the data.
    pub lambda_perf_label: String,
    /// The model file in `models/runtimes/`.
    pub file: String,
    /// The configurations measured, so simulated with a calibrated model.
    #[serde(rename = "covers")]
    pub coverage: Vec<Coverage>,
}

impl RuntimeEntry {
    /// Whether the model covers `packaging` on `arch` (`zip_layers` counts as `zip`).
    pub fn covers(&self, packaging: &str, arch: &str) -> bool {
        let packaging = if packaging == "zip_layers" {
            "zip"
        } else {
            packaging
        };
        self.coverage
            .iter()
            .any(|c| c.packaging == packaging && c.arch == arch)
    }

    /// What it covers, as `zip/x86_64, image/arm64, ...`.
    pub fn coverage_text(&self) -> String {
        self.coverage
            .iter()
            .map(|c| format!("{}/{}", c.packaging, c.arch))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The index file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// The runtimes, in ID order.
    #[serde(default)]
    pub runtime: Vec<RuntimeEntry>,
}

/// The built-in index (empty when no runtime model is shipped).
pub fn builtin() -> &'static [RuntimeEntry] {
    static INDEX: OnceLock<Index> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            builtin_file(INDEX_FILE)
                .map(|text| {
                    toml::from_str(text).expect("models/runtimes/index.toml is generated valid")
                })
                .unwrap_or_default()
        })
        .runtime
}

/// The contents of the built-in file `name` of `models/runtimes/`.
pub fn builtin_file(name: &str) -> Option<&'static str> {
    crate::config::builtin::find(&format!("models/runtimes/{name}"), None).map(|m| m.text)
}

/// The built-in runtime `id` for a function packaged as `packaging` on `arch`: its entry and
/// model text, or a message saying what exists.
pub fn select(
    id: &str,
    packaging: &str,
    arch: &str,
) -> Result<(&'static RuntimeEntry, &'static str), String> {
    let all = builtin();
    let Some(entry) = all.iter().find(|e| e.id == id) else {
        let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        return Err(format!(
            "unknown runtime `{id}`; the built-in runtimes are: {} (`coldsim runtimes` lists them)",
            ids.join(", ")
        ));
    };
    if !entry.covers(packaging, arch) {
        return Err(format!(
            "runtime `{id}` has no calibrated model for {packaging} on {arch} (lambda-perf does \
             not measure it); it covers: {}",
            entry.coverage_text()
        ));
    }
    let text = builtin_file(&entry.file)
        .ok_or_else(|| format!("runtime `{id}`: model file {} is not built in", entry.file))?;
    Ok((entry, text))
}

/// The configurations of a table's columns: (packaging, arch).
const COLUMNS: [(&str, &str); 5] = [
    ("zip", "x86_64"),
    ("zip", "arm64"),
    ("image", "x86_64"),
    ("image", "arm64"),
    ("snapstart", "x86_64"),
];

/// `coldsim runtimes --format table`: one row per runtime, one column per packaging and
/// arch holding the init p50/p90 in ms (`-` where lambda-perf does not measure it).
pub fn table(entries: &[RuntimeEntry]) -> String {
    let mut s = format!("{:<30} {:<30}", "id", "lambda_perf_label");
    for (p, a) in COLUMNS {
        let _ = write!(s, " {:>15}", format!("{p} {a}"));
    }
    s.push('\n');
    for e in entries {
        let _ = write!(s, "{:<30} {:<30}", e.id, e.lambda_perf_label);
        for (p, a) in COLUMNS {
            let cell = e
                .coverage
                .iter()
                .find(|c| c.packaging == p && c.arch == a)
                .map_or("-".to_string(), |c| {
                    format!("{:.0}/{:.0}", c.init_p50_ms, c.init_p90_ms)
                });
            let _ = write!(s, " {cell:>15}");
        }
        s.push('\n');
    }
    s.push_str("init p50/p90 in ms (snapstart: Restore Duration), simulated under lambda-perf's protocol\n");
    s
}

/// `coldsim runtimes --format json`: the index as a JSON array.
pub fn to_json(entries: &[RuntimeEntry]) -> serde_json::Value {
    serde_json::to_value(entries).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_aws_identifiers_and_custom_runtimes_name_their_language() {
        assert_eq!(runtime_id("python3.12"), "python3.12");
        assert_eq!(runtime_id("nodejs20.x"), "nodejs20.x");
        assert_eq!(runtime_id("java8.al2"), "java8.al2");
        assert_eq!(runtime_id("rust (prov.al2023)"), "provided.al2023-rust");
        assert_eq!(runtime_id("rust (prov.al2)"), "provided.al2-rust");
        assert_eq!(runtime_id("c++ 11 (prov.al2)"), "provided.al2-cpp-11");
        assert_eq!(runtime_id("bun layer(prov.al2)"), "provided.al2-bun-layer");
        assert_eq!(
            runtime_id("graalvm java21 (prov.al2023)"),
            "provided.al2023-graalvm-java21"
        );
    }

    #[test]
    fn coverage_check_accepts_zip_layers_as_zip_only_where_measured() {
        let e = RuntimeEntry {
            id: "x".into(),
            lambda_perf_label: "x".into(),
            file: "x.toml".into(),
            coverage: vec![Coverage {
                packaging: "zip".into(),
                arch: "x86_64".into(),
                init_p50_ms: 1.0,
                init_p90_ms: 2.0,
            }],
        };
        assert!(e.covers("zip", "x86_64"));
        assert!(e.covers("zip_layers", "x86_64"));
        assert!(!e.covers("zip", "arm64"));
        assert!(!e.covers("image", "x86_64"));
        assert_eq!(e.coverage_text(), "zip/x86_64");
    }
}
