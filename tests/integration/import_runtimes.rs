//! `coldsim import template|config` choose the built-in runtime model (`runtime = "ID"`) of
//! every runtime family, zip and image, x86_64 and arm64, and say so where none covers the
//! function (a TODO naming the choices, a PLACEHOLDER cold start, never a Python stand-in);
//! the imported scenarios run from another folder, and `coldsim import logs` names its
//! workload by name. Expected IDs are AWS's runtime identifiers checked by hand against
//! `coldsim runtimes` (which configurations lambda-perf measures).

use std::path::{Path, PathBuf};
use std::process::Command;

use coldsim::import::{function_config, template};

const TEMPLATE: &str = "tests/fixtures/import/runtimes/template.yaml";

/// One `[[function]]` of an imported scenario: the comment lines above it and its entries
/// (values without their `# from:` comment).
struct FunctionBlock {
    notes: Vec<String>,
    entries: Vec<(String, String)>,
}

impl FunctionBlock {
    fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn todo(&self) -> String {
        self.notes
            .iter()
            .skip_while(|n| !n.starts_with("TODO runtime:"))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The function tables of `text`, by name.
fn functions(text: &str) -> Vec<(String, FunctionBlock)> {
    let mut out = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut current: Option<FunctionBlock> = None;
    for line in text.lines().chain(std::iter::once("")) {
        if let Some(c) = line.strip_prefix("# ") {
            notes.push(c.to_string());
        } else if line == "[[function]]" {
            current = Some(FunctionBlock {
                notes: std::mem::take(&mut notes),
                entries: Vec::new(),
            });
        } else if let (Some(f), Some((k, rest))) = (current.as_mut(), line.split_once(" = ")) {
            let v = rest.split("  # from: ").next().unwrap_or(rest);
            f.entries.push((k.to_string(), v.to_string()));
        } else if line.is_empty() || line.starts_with('[') {
            notes.clear();
            if let Some(f) = current.take() {
                let name = f.get("name").expect("a name").trim_matches('"').to_string();
                out.push((name, f));
            }
        }
    }
    out
}

/// (function, packaging, arch, the runtime ID expected or `None`, what the TODO must name).
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

/// Every family of the fixture template, by hand: AWS's ID where lambda-perf measures the
/// configuration, else what the TODO must offer.
const TEMPLATE_EXPECTED: [Expected; 17] = [
    ("PyZipArm", "zip", "arm64", Some("python3.12"), &[]),
    ("NodeZipX86", "zip", "x86_64", Some("nodejs20.x"), &[]),
    ("JavaZipArm", "zip", "arm64", Some("java21"), &[]),
    ("JavaSnapX86", "snapstart", "x86_64", Some("java17"), &[]),
    (
        "JavaSnapArm",
        "snapstart",
        "arm64",
        None,
        &["java21", "snapstart/x86_64", "none covers snapstart/arm64"],
    ),
    ("DotnetZipX86", "zip", "x86_64", Some("dotnet8"), &[]),
    ("RubyZipArm", "zip", "arm64", Some("ruby3.2"), &[]),
    (
        "Ruby34",
        "zip",
        "x86_64",
        None,
        &["ruby3.4", "\"ruby2.7\", \"ruby3.2\", \"ruby3.3\""],
    ),
    (
        "RustCustom",
        "zip",
        "arm64",
        Some("provided.al2023-rust"),
        &[],
    ),
    (
        "CustomNoLanguage",
        "zip",
        "x86_64",
        None,
        &[
            "provided.al2023-LANGUAGE",
            "\"provided.al2023-go\"",
            "\"provided.al2023-rust\"",
        ],
    ),
    (
        "Java8Arm",
        "zip",
        "arm64",
        None,
        &["java8", "\"java11\"", "\"java21\"", "\"java8.al2\""],
    ),
    (
        "Unknown",
        "zip",
        "x86_64",
        None,
        &["cobol85", "coldsim runtimes"],
    ),
    ("NodeImageArm", "image", "arm64", Some("nodejs20.x"), &[]),
    ("PyImageX86", "image", "x86_64", Some("python3.12"), &[]),
    (
        "Node14Image",
        "image",
        "x86_64",
        None,
        &["nodejs14.x", "zip/x86_64, zip/arm64", "\"nodejs20.x\""],
    ),
    (
        "SlimImage",
        "image",
        "arm64",
        None,
        &["names no Runtime", "not an AWS base image"],
    ),
    ("BareImage", "image", "x86_64", None, &["names no Runtime"]),
];

/// `coldsim runtimes --format json`: (id, packaging, arch, init p50 ms).
fn runtime_index() -> Vec<(String, String, String, f64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .args(["runtimes", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut rows = Vec::new();
    for e in v.as_array().unwrap() {
        for c in e["covers"].as_array().unwrap() {
            rows.push((
                e["id"].as_str().unwrap().to_string(),
                c["packaging"].as_str().unwrap().to_string(),
                c["arch"].as_str().unwrap().to_string(),
                c["init_p50_ms"].as_f64().unwrap(),
            ));
        }
    }
    rows
}

/// The median of the index's init p50 on `packaging`/`arch`, else on `packaging` anywhere.
fn median_p50(index: &[(String, String, String, f64)], packaging: &str, arch: &str) -> f64 {
    let mut v: Vec<f64> = index
        .iter()
        .filter(|r| r.1 == packaging && r.2 == arch)
        .map(|r| r.3)
        .collect();
    if v.is_empty() {
        v = index
            .iter()
            .filter(|r| r.1 == packaging)
            .map(|r| r.3)
            .collect();
    }
    super::common::median(&v)
}

/// Checks one imported function against its expectation.
fn check(
    name: &str,
    f: &FunctionBlock,
    expected: &Expected,
    index: &[(String, String, String, f64)],
) {
    let (_, packaging, arch, id, todo) = expected;
    assert_eq!(
        f.get("packaging"),
        Some(format!("\"{packaging}\"").as_str()),
        "{name}"
    );
    assert_eq!(
        f.get("arch"),
        Some(format!("\"{arch}\"").as_str()),
        "{name}"
    );
    assert_eq!(f.get("workload"), None, "{name}: no stand-in workload");
    match id {
        Some(id) => {
            assert_eq!(
                f.get("runtime"),
                Some(format!("\"{id}\"").as_str()),
                "{name}"
            );
            assert_eq!(f.get("cold_start"), None, "{name}");
            assert!(f.todo().is_empty(), "{name}: {}", f.todo());
        }
        None => {
            assert_eq!(f.get("runtime"), None, "{name}");
            let all = f.notes.join("\n");
            assert!(f.todo().contains("set `runtime = \"ID\"`"), "{name}: {all}");
            for must in *todo {
                assert!(all.contains(must), "{name}: should name {must}: {all}");
            }
            // The placeholder is the median of the index's init p50s, rounded to whole ms.
            let ms = median_p50(index, packaging, arch);
            let cold = f
                .get("cold_start")
                .unwrap_or_else(|| panic!("{name}: no cold_start"));
            let got: f64 = cold
                .trim_matches('"')
                .trim_end_matches("ms")
                .parse()
                .unwrap();
            assert!((got - ms).abs() <= 0.5, "{name}: {got} ms, median {ms} ms");
        }
    }
}

#[test]
fn every_runtime_family_maps_to_its_model_or_a_todo_naming_the_choices() {
    let out = template::import_template(Path::new(TEMPLATE)).unwrap();
    let s = &out.scenario;
    assert!(!s.contains("models/workloads"), "no paths: {s}");
    assert!(!s.contains("workload ="), "no stand-in workload: {s}");
    let found = functions(s);
    assert_eq!(found.len(), TEMPLATE_EXPECTED.len());
    let index = runtime_index();
    for (e, (name, f)) in TEMPLATE_EXPECTED.iter().zip(&found) {
        assert_eq!(e.0, name);
        check(name, f, e, &index);
    }
    // One warning (terminal and top of file) per function without a model, in order.
    let uncovered: Vec<&str> = TEMPLATE_EXPECTED
        .iter()
        .filter(|e| e.3.is_none())
        .map(|e| e.0)
        .collect();
    let warned: Vec<&str> = out
        .warnings
        .iter()
        .filter_map(|w| w.strip_prefix("function ")?.split(':').next())
        .collect();
    assert_eq!(warned, uncovered);
    assert!(s.contains("# warning: function Ruby34: no built-in runtime model covers it"));
    // The comment says where the runtime came from: the Dockerfile's FROM line, the
    // BuildMethod, or the Runtime property, and which model it is.
    for origin in [
        "runtime = \"nodejs20.x\"  # from: tests/fixtures/import/runtimes/node/Dockerfile:1 FROM \
         public.ecr.aws/lambda/nodejs:20-arm64 (NodeImageArm.Metadata.Dockerfile); image on \
         arm64: the built-in model `nodejs20.x`",
        "images/python.Dockerfile:4 FROM amazon/aws-lambda-python:3.12",
        "RustCustom.Properties.Runtime = provided.al2023 with RustCustom.Metadata.BuildMethod = \
         rust-cargolambda (line 65)",
        "template.yaml:33 JavaSnapX86.Properties.Runtime; snapstart on x86_64: the built-in \
         model `java17` (lambda-perf \"java17\", snapstart/x86_64: Restore Duration p50",
    ] {
        assert!(s.contains(origin), "{origin}\n{s}");
    }
}

/// `get-function-configuration` output of one function.
fn config_json(runtime: Option<&str>, package: &str, arch: &str, snapstart: bool) -> String {
    let runtime = runtime.map_or(String::new(), |r| format!("\"Runtime\": \"{r}\",\n  "));
    let apply = if snapstart {
        "PublishedVersions"
    } else {
        "None"
    };
    format!(
        "{{\n  \"FunctionName\": \"f\",\n  {runtime}\"MemorySize\": 1024,\n  \"PackageType\": \
         \"{package}\",\n  \"Architectures\": [\"{arch}\"],\n  \"SnapStart\": {{ \"ApplyOn\": \
         \"{apply}\" }}\n}}\n"
    )
}

/// (runtime, PackageType, arch, SnapStart) and what is expected, for the configuration
/// importer.
const CONFIG_EXPECTED: [(Option<&str>, &str, bool, Expected); 6] = [
    (
        Some("nodejs20.x"),
        "Zip",
        false,
        ("f", "zip", "arm64", Some("nodejs20.x"), &[]),
    ),
    (
        Some("java21"),
        "Zip",
        true,
        ("f", "snapstart", "x86_64", Some("java21"), &[]),
    ),
    (
        Some("dotnet8"),
        "Zip",
        false,
        ("f", "zip", "arm64", Some("dotnet8"), &[]),
    ),
    (
        Some("ruby3.4"),
        "Zip",
        false,
        ("f", "zip", "arm64", None, &["\"ruby3.3\""]),
    ),
    (
        Some("provided.al2023"),
        "Zip",
        false,
        ("f", "zip", "arm64", None, &["\"provided.al2023-llrt\""]),
    ),
    (
        None,
        "Image",
        false,
        ("f", "image", "x86_64", None, &["names no Runtime"]),
    ),
];

/// Runs `coldsim scenario FILE` from `dir`: (exit code, stdout, stderr).
fn run_in(dir: &Path, file: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .current_dir(dir)
        .args(["scenario", file, "--replications", "1", "--format", "json"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn function_configurations_map_runtimes_and_the_scenarios_run_from_another_folder() {
    let dir = tempfile::tempdir().unwrap();
    let index = runtime_index();
    for (i, (runtime, package, snap, e)) in CONFIG_EXPECTED.iter().enumerate() {
        let input = dir.path().join(format!("config{i}.json"));
        std::fs::write(&input, config_json(*runtime, package, e.2, *snap)).unwrap();
        let out = function_config::import_config(&input).unwrap();
        let found = functions(&out.scenario);
        assert_eq!(found.len(), 1);
        check(&format!("{runtime:?} {package}"), &found[0].1, e, &index);
        assert_eq!(
            out.warnings.len(),
            usize::from(e.3.is_none()),
            "{runtime:?}"
        );
        let file = format!("config{i}.toml");
        std::fs::write(dir.path().join(&file), &out.scenario).unwrap();
        let (code, _, err) = run_in(dir.path(), &file);
        assert_eq!(code, 0, "{runtime:?} {package}: {err}");
    }
}

/// The index's (p50, p90) for `id` on `packaging`/`arch`.
fn index_p50_p90(id: &str, packaging: &str, arch: &str) -> (f64, f64) {
    let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .args(["runtimes", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap();
    let c = e["covers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["packaging"] == packaging && c["arch"] == arch)
        .unwrap();
    (
        c["init_p50_ms"].as_f64().unwrap(),
        c["init_p90_ms"].as_f64().unwrap(),
    )
}

#[test]
fn the_imported_template_runs_elsewhere_on_the_chosen_runtime_models() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.toml");
    let (code, err) =
        super::common::cli(&["import", "template", TEMPLATE, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, json, err) = run_in(dir.path(), "imported.toml");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for (name, packaging, arch, id, _) in TEMPLATE_EXPECTED {
        let f = &v["functions"][name];
        // SnapStart's model is the Restore Duration (the index's figure for snapstart).
        let (figure, count) = match packaging {
            "snapstart" => ("restore_duration_ms", "restores"),
            _ => ("init_duration_ms", "inits"),
        };
        match id {
            // The placeholder is a fixed cold start: every init takes exactly its value.
            None => {
                let cold: f64 = functions(&std::fs::read_to_string(&out).unwrap())
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, b)| b.get("cold_start"))
                    .unwrap()
                    .trim_matches('"')
                    .trim_end_matches("ms")
                    .parse()
                    .unwrap();
                assert_eq!(
                    f["phases_ms"]["cold_start_override"].as_f64(),
                    Some(cold),
                    "{name}"
                );
            }
            // The runtime model runs: its init (restore) p50 is the index's (simulated under
            // lambda-perf's protocol; init is flat in memory), within 4 standard errors of
            // a sample median, 1.2533 σ/√n in log terms, σ from the index's p90/p50 as if
            // lognormal.
            Some(id) => {
                let (p50, p90) = index_p50_p90(id, packaging, arch);
                let n = f[count].as_f64().unwrap();
                let sigma = (p90 / p50).ln() / 1.281_552;
                let tol = (4.0 * 1.2533 * sigma / n.sqrt()).exp() - 1.0;
                let got = f[figure]["p50"].as_f64().unwrap();
                assert!(
                    (got / p50 - 1.0).abs() <= tol,
                    "{name}: {figure} p50 {got} ms, the model's {p50} ms ± {:.0}%",
                    tol * 100.0
                );
            }
        }
    }
}

/// Logs name the runtime in INIT_START lines (`Runtime Version: python:3.12.v20`): the
/// function gets that runtime's model; without INIT_START lines the python3.12 hello world
/// stands in, by name. Both scenarios run from another folder and replay every invocation.
#[test]
fn logs_name_their_runtime_from_init_start_else_a_stand_in_by_name_and_run_from_another_folder() {
    let dir = tempfile::tempdir().unwrap();
    let log: PathBuf = Path::new("tests/fixtures/import/tail.log").into();
    let full = std::fs::read_to_string(&log).unwrap();
    assert!(full.contains("INIT_START Runtime Version: python:3.12.v20"));
    let bare = dir.path().join("bare.log");
    let without: Vec<&str> = full.lines().filter(|l| !l.contains("INIT_START")).collect();
    std::fs::write(&bare, without.join("\n")).unwrap();
    for (input, out, runtime, workload) in [
        (log.as_path(), "week.toml", Some("\"python3.12\""), None),
        (
            bare.as_path(),
            "bare.toml",
            None,
            Some("\"python312-hello\""),
        ),
    ] {
        let out_path = dir.path().join(out);
        let (code, err) = super::common::cli(&[
            "import",
            "logs",
            input.to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&out_path).unwrap();
        let f = &functions(&text)[0].1;
        assert_eq!(f.get("runtime"), runtime, "{text}");
        assert_eq!(f.get("workload"), workload, "{text}");
        assert!(!text.contains("models/workloads"), "{text}");
        let (code, json, err) = run_in(dir.path(), out);
        assert_eq!(code, 0, "{err}");
        // tail.log holds 3 invocations: the trace replays all of them.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let name = if workload.is_some() { "bare" } else { "tail" };
        assert_eq!(
            v["functions"][name]["invocations"].as_f64(),
            Some(3.0),
            "{json}"
        );
    }
}

/// A Dockerfile that cannot be read as a file (missing, a directory, a device such as
/// `/dev/zero`, which would never end) or names no base (no `FROM`, or a last `FROM`
/// without an image) is a note in the scenario, not a hang, an error or an earlier stage's
/// base: the image's runtime stays unknown and a TODO asks for it.
#[test]
fn an_unreadable_dockerfile_is_a_note_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.yaml");
    let image = |name: &str, dockerfile: &str| {
        format!(
            "  {name}:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
             PackageType: Image\n    Metadata:\n      Dockerfile: {dockerfile}\n"
        )
    };
    std::fs::write(dir.path().join("empty.Dockerfile"), "RUN true\n").unwrap();
    std::fs::write(
        dir.path().join("bare.Dockerfile"),
        "FROM public.ecr.aws/lambda/python:3.12 AS build\nRUN true\nFROM\n",
    )
    .unwrap();
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n{}{}{}{}{}",
        image("Missing", "no-such.Dockerfile"),
        image("Folder", "."),
        image("Device", "/dev/zero"),
        image("NoFrom", "empty.Dockerfile"),
        image("BareFrom", "bare.Dockerfile"),
    );
    std::fs::write(&template, text).unwrap();
    let out = template::import_template(&template).unwrap();
    for name in ["Missing", "Folder", "Device", "NoFrom", "BareFrom"] {
        assert!(
            out.scenario
                .contains(&format!("{name}.Metadata.Dockerfile (line")),
            "{name}: {}",
            out.scenario
        );
    }
    assert_eq!(
        out.scenario.matches("cannot be read").count(),
        3,
        "{}",
        out.scenario
    );
    assert!(out.scenario.contains("/dev/zero"), "{}", out.scenario);
    assert!(
        out.scenario.contains("it has no FROM line"),
        "{}",
        out.scenario
    );
    assert!(
        out.scenario
            .contains("its last FROM (line 3) names no image"),
        "{}",
        out.scenario
    );
    // The bare final stage is not read as the python stage before it.
    assert!(!out.scenario.contains("python3.12"), "{}", out.scenario);
}
