//! The input files of a run, so that no output overwrites one: a TOML file (scenario,
//! workload or platform model, calibration recipe) and every file its string values name,
//! followed into the TOML files among them.

use std::path::{Path, PathBuf};

/// How deep TOML files naming TOML files are followed (scenario → workload → ...).
const MAX_DEPTH: usize = 4;

/// `file` and every existing file named by a string anywhere in it (resolved as scenario
/// paths are: as written, then beside the file and in its ancestors, see
/// `config::paths::resolve`), recursively for named `.toml` files. Over-inclusive on
/// purpose: a string that happens to name a file protects it too. A file that cannot be
/// read or parsed adds only itself (the run reports the error).
pub fn toml_inputs(file: &Path) -> Vec<PathBuf> {
    let mut found = vec![file.to_path_buf()];
    collect(file, 0, &mut found);
    found
}

fn collect(file: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    // Only regular files are looked into, within the bound of a TOML input: a pipe read here
    // would be empty for the run itself, and `/dev/zero` would never end.
    if !std::fs::metadata(file).is_ok_and(|m| m.is_file()) {
        return;
    }
    let Ok(text) = crate::input::read_text(file, crate::input::InputKind::Toml) else {
        return;
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return;
    };
    let mut strings = Vec::new();
    strings_in(&toml::Value::Table(table), &mut strings);
    for s in strings {
        let Some(path) = resolve(file, &s) else {
            continue;
        };
        if found.contains(&path) {
            continue;
        }
        found.push(path.clone());
        if depth < MAX_DEPTH && path.extension().is_some_and(|e| e == "toml") {
            collect(&path, depth + 1, found);
        }
    }
}

/// Every string value (not key) in `v`.
fn strings_in(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(a) => a.iter().for_each(|x| strings_in(x, out)),
        toml::Value::Table(t) => t.values().for_each(|x| strings_in(x, out)),
        _ => {}
    }
}

/// `name` as a file named in `file`, if it looks like a path and such a file exists.
fn resolve(file: &Path, name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains('\n') || !(name.contains('.') || name.contains('/')) {
        return None;
    }
    let p = crate::config::paths::resolve(file, "", name).ok()?;
    p.is_file().then_some(p)
}
