//! `coldsim import config`: the JSON that `aws lambda get-function-configuration` prints
//! (`FunctionName`, `MemorySize`, `Architectures`, `PackageType`, `Runtime`, `Timeout`,
//! `Layers`, `SnapStart.ApplyOn`, `EphemeralStorage.Size`; AWS Lambda API Reference,
//! "FunctionConfiguration"). Read with the YAML reader, so each value keeps its line.

use std::path::Path;

use super::Imported;
use super::draft::{Draft, Origin, Table, lit};
use super::function::{Fact, FunctionFacts, function_table, placeholder_handler, runtime_warning};
use super::yaml::{self, Node};
use crate::error::{InputError, InputResult};
use crate::input::InputKind;

/// Reads the configuration at `path` and writes the scenario.
pub fn import_config(path: &Path) -> InputResult<Imported> {
    let text = crate::input::read_text(path, InputKind::Toml)?;
    let root = yaml::parse(&text, path)?;
    let file = path.display().to_string();
    // `get-function` wraps the configuration in `Configuration`.
    let c = root.get("Configuration").unwrap_or(&root);
    let name = c.get("FunctionName").and_then(Node::scalar).ok_or_else(|| {
        InputError::file(
            path,
            format!("line {}: no FunctionName: not the output of aws lambda get-function-configuration", c.line),
        )
    })?;
    let at = |key: &str| c.get(key).map(|n| n.items().first().unwrap_or(n));
    let fact = |key: &str, default: &str| -> Fact<String> {
        match at(key).and_then(|n| n.scalar().map(|s| (n, s))) {
            Some((n, s)) => Fact {
                value: s.to_string(),
                origin: Origin::at(&file, n.line, key),
            },
            None => Fact {
                value: default.to_string(),
                origin: Origin::at(&file, c.line, format!("no {key}: AWS default {default}")),
            },
        }
    };
    let memory = fact("MemorySize", "128");
    let memory_mb = Fact {
        value: memory.value.parse::<u32>().map_err(|_| {
            InputError::file(
                path,
                format!("{}: MemorySize: not a whole number of MB", memory.origin),
            )
        })?,
        origin: memory.origin,
    };
    let runtime = at("Runtime")
        .and_then(Node::scalar)
        .map(|_| fact("Runtime", ""));
    let layers = c.get("Layers").map(|n| Fact {
        value: n.items().len(),
        origin: Origin::at(
            &file,
            n.line,
            format!("Layers: {} layer(s)", n.items().len()),
        ),
    });
    let snapstart = c
        .get("SnapStart")
        .and_then(|s| s.get("ApplyOn"))
        .map(|n| Fact {
            value: n.scalar() == Some("PublishedVersions"),
            origin: Origin::at(
                &file,
                n.line,
                format!("SnapStart.ApplyOn = {}", n.scalar().unwrap_or("")),
            ),
        });
    let mut notes = Vec::new();
    if let Some(n) = at("Timeout") {
        notes.push(format!(
            "Timeout = {} s (from: {file}:{} Timeout): coldsim does not model timeouts",
            n.scalar().unwrap_or(""),
            n.line
        ));
    }
    if let Some(n) = c.get("EphemeralStorage").and_then(|e| e.get("Size")) {
        notes.push(format!(
            "EphemeralStorage.Size = {} MB (from: {file}:{} EphemeralStorage.Size): not modelled",
            n.scalar().unwrap_or(""),
            n.line
        ));
    }
    let facts = FunctionFacts {
        name: Fact {
            value: name.to_string(),
            origin: Origin::at(
                &file,
                c.get("FunctionName").map_or(c.line, |n| n.line),
                "FunctionName",
            ),
        },
        memory_mb,
        arch: fact("Architectures", "x86_64"),
        package_type: fact("PackageType", "Zip"),
        runtime,
        layers,
        snapstart,
        reserved: None,
        provisioned: None,
        notes,
    };
    let mut traffic = Table::new("[[traffic]]");
    traffic.set("function", lit(name), facts.name.origin.clone());
    traffic.set(
        "kind",
        lit("poisson"),
        Origin::importer("requests at random times (Poisson)"),
    );
    traffic.set(
        "rate",
        lit(super::events::PLACEHOLDER_RATE_PER_S),
        Origin::importer(
            "PLACEHOLDER, edit: a function configuration does not say how often it is called \
             (requests per second; coldsim import logs measures it)",
        ),
    );
    traffic.set(
        "invocation",
        lit("sync"),
        Origin::importer("PLACEHOLDER: the configuration does not say who calls"),
    );
    let function = function_table(&facts, placeholder_handler());
    let warnings: Vec<String> = runtime_warning(&function, name).into_iter().collect();
    let mut notes = super::header_notes(&format!("coldsim import config {file}"));
    notes.extend(warnings.iter().map(|w| format!("warning: {w}")));
    let draft = Draft {
        notes,
        tables: vec![super::run_table("24h", "a day"), function, traffic],
    };
    Ok(Imported {
        scenario: draft.render(),
        side_files: Vec::new(),
        warnings,
    })
}
