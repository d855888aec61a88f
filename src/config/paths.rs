//! Where files named in a scenario are looked for, and reading TOML with errors that name
//! the file.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{InputError, InputResult};

/// Resolves `name` as written in `scenario`, in this order:
/// 1. an absolute path, as is;
/// 2. the current directory;
/// 3. the scenario's directory and each of its ancestors (so `models/workloads/x.toml`
///    works from the repository root and from a scenario under `scenarios/`);
/// 4. a built-in model ([`super::builtin`]): by name (`python312-hello`; the kind the key
///    names, `workload` or `platform`, first) or by repository path
///    (`models/workloads/python312-hello.toml`), read from the binary.
///
/// A real file always wins over a built-in model of the same name.
pub fn resolve(scenario: &Path, key: &str, name: &str) -> InputResult<PathBuf> {
    let found = find(scenario, key, name)?;
    match crate::input::refusal(&found, crate::input::InputKind::Data) {
        Some(why) => Err(InputError::field(
            scenario,
            key,
            format!("{}: {why}", found.display()),
        )),
        None => Ok(found),
    }
}

/// Where `name` is, by the rules of [`resolve`], without checking what it is.
fn find(scenario: &Path, key: &str, name: &str) -> InputResult<PathBuf> {
    let p = Path::new(name);
    if p.is_absolute() {
        return if p.exists() {
            Ok(p.to_path_buf())
        } else {
            Err(InputError::field(
                scenario,
                key,
                format!("file not found: {name}"),
            ))
        };
    }
    let mut tried = vec![p.to_path_buf()];
    if p.exists() {
        return Ok(p.to_path_buf());
    }
    let dir = scenario.parent().unwrap_or(Path::new("."));
    for ancestor in dir.ancestors() {
        let candidate = ancestor.join(p);
        if candidate.exists() {
            return Ok(candidate);
        }
        if !tried.contains(&candidate) {
            tried.push(candidate);
        }
    }
    let kind = builtin_kind(key);
    if let Some(m) = super::builtin::find(name, kind) {
        return Ok(m.virtual_path());
    }
    let builtins = match kind {
        Some(k) => format!(
            "; built-in {k} models: {}",
            super::builtin::names(Some(k)).join(", ")
        ),
        None => String::new(),
    };
    Err(InputError::field(
        scenario,
        key,
        format!(
            "file not found: {name} (looked in the current directory and beside the scenario: {}){builtins}",
            tried
                .iter()
                .map(|t| t.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// The kind of built-in model a scenario key names: `function[i].workload` a workload,
/// `platform` a platform; other keys (traces, empirical data) none.
fn builtin_kind(key: &str) -> Option<&'static str> {
    if key.ends_with("workload") {
        Some("workload")
    } else if key == "platform" {
        Some("platform")
    } else {
        None
    }
}

/// Reads and parses a TOML file into `T`; unknown keys and type errors come back with the
/// file, line and column.
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> InputResult<T> {
    let text = crate::input::read_text(path, crate::input::InputKind::Toml)?;
    parse_toml(path, &text)
}

/// Parses TOML `text` read from `path`.
pub fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> InputResult<T> {
    toml::from_str(text).map_err(|e| InputError::Toml {
        file: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })
}
