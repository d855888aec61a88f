//! Where files named in a scenario are looked for, and reading TOML with errors that name
//! the file.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{InputError, InputResult};

/// Resolves `name` as written in `scenario`: an absolute path as is; otherwise the first that
/// exists of the current directory, the scenario's directory and each of its ancestors (so
/// `models/workloads/x.toml` works from the repository root and from a scenario under
/// `scenarios/`).
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
    Err(InputError::field(
        scenario,
        key,
        format!(
            "file not found: {name} (looked in the current directory and beside the scenario: {})",
            tried
                .iter()
                .map(|t| t.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
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
