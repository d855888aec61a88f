//! Every file a run reads, embedded in the plan (`inputs.json`), so that a unit runs on a
//! machine that has none of them: the scenario, the model and trace files it names, followed
//! into the TOML files they name ([`crate::output::inputs::toml_inputs`], over-inclusive on
//! purpose), and files named by `--set` values. Embedding (rather than referencing paths that
//! every node must have) keeps a unit self-contained; the bundle is written once per plan and
//! shared by its units (the Ray driver puts it in the object store once).
//!
//! Paths are kept relative to the deepest folder holding the current directory and every
//! input, and the unit runs from the same place relative to them, so that relative names
//! resolve as they did when planning (`config::paths::resolve`: current directory first,
//! then beside the scenario and its ancestors). A path written as absolute in a scenario is
//! read at that absolute path on the worker.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{InputError, InputResult};

/// A file's bytes: as text when they are UTF-8, else in hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Content {
    /// UTF-8 text.
    Text(String),
    /// Any other bytes, two lowercase hex digits each.
    Hex(String),
}

/// The input files of a run, by path relative to a root folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// The current directory when planning, relative to the root (`/`-separated, empty for
    /// the root itself).
    pub cwd: String,
    /// The scenario file, relative to the root.
    pub scenario: String,
    /// Every input file, relative to the root.
    pub files: BTreeMap<String, Content>,
}

/// The folder a unit's bundle is written to; removed when dropped.
#[derive(Debug)]
pub struct Materialized {
    root: PathBuf,
    /// Where the planning run's current directory is in the copy.
    pub cwd: PathBuf,
    /// Where the scenario file is in the copy.
    pub scenario: PathBuf,
}

impl Drop for Materialized {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn absolute(p: &Path) -> InputResult<PathBuf> {
    std::fs::canonicalize(p).map_err(|e| InputError::io(p, e))
}

/// The deepest folder holding every path of `paths` (absolute, canonical).
fn common_root(paths: &[PathBuf]) -> PathBuf {
    let mut root = paths[0].clone();
    for p in &paths[1..] {
        while !p.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}

/// `p` (under `root`) as a `/`-separated relative key.
fn key(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    rel.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Files named by `--set` values (strings that name an existing file, as resolved from the
/// scenario), and the TOML files they name.
fn set_inputs(scenario: &Path, sets: &[String]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for s in sets {
        let Some((_, values)) = s.split_once('=') else {
            continue;
        };
        for v in crate::config::overrides::split_values(values) {
            if let Ok(p) = crate::config::paths::resolve(scenario, "", v.trim_matches('"'))
                && p.is_file()
            {
                out.extend(crate::output::inputs::toml_inputs(&p));
            }
        }
    }
    out
}

impl Bundle {
    /// Reads every input of the run of `scenario` (with `--set` values `sets`).
    pub fn collect(scenario: &Path, sets: &[String]) -> InputResult<Bundle> {
        let mut inputs = crate::output::inputs::toml_inputs(scenario);
        inputs.extend(set_inputs(scenario, sets));
        let cwd = absolute(Path::new("."))?;
        let mut abs: Vec<PathBuf> = Vec::new();
        for p in &inputs {
            let a = absolute(p)?;
            if !abs.contains(&a) {
                abs.push(a);
            }
        }
        let mut all = abs.clone();
        all.push(cwd.clone());
        let root = common_root(&all);
        let mut files = BTreeMap::new();
        for a in &abs {
            let bytes = std::fs::read(a).map_err(|e| InputError::io(a, e))?;
            let content = match String::from_utf8(bytes) {
                Ok(text) => Content::Text(text),
                Err(e) => Content::Hex(e.as_bytes().iter().map(|b| format!("{b:02x}")).collect()),
            };
            files.insert(key(&root, a), content);
        }
        Ok(Bundle {
            cwd: key(&root, &cwd),
            scenario: key(&root, &abs[0]),
            files,
        })
    }

    /// FNV-1a of the bundle's canonical JSON, as 16 hex digits.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).expect("a bundle serializes");
        format!("{:016x}", super::fnv64(&json))
    }

    /// Writes the files into a fresh folder under the system's temporary folder.
    pub fn materialize(&self) -> InputResult<Materialized> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let root =
            std::env::temp_dir().join(format!("coldsim-unit-{}-{nanos}", std::process::id()));
        let m = Materialized {
            cwd: root.join(&self.cwd),
            scenario: root.join(&self.scenario),
            root,
        };
        std::fs::create_dir_all(&m.cwd).map_err(|e| InputError::io(&m.cwd, e))?;
        for (k, content) in &self.files {
            if k.split('/').any(|c| c == ".." || c.is_empty()) {
                return Err(InputError::Usage(format!(
                    "inputs.json: the path {k:?} leaves the bundle"
                )));
            }
            let path = m.root.join(k);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| InputError::io(dir, e))?;
            }
            let bytes = match content {
                Content::Text(t) => t.clone().into_bytes(),
                Content::Hex(h) => from_hex(h).ok_or_else(|| {
                    InputError::Usage(format!("inputs.json: {k}: bad hex content"))
                })?,
            };
            std::fs::write(&path, bytes).map_err(|e| InputError::io(&path, e))?;
        }
        Ok(m)
    }
}

fn from_hex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: the root is the deepest common folder; hex round-trips every byte.
    #[test]
    fn common_root_and_hex_round_trip() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            common_root(&[p("/a/b/c.toml"), p("/a/b/d/e.csv"), p("/a/b")]),
            p("/a/b")
        );
        assert_eq!(common_root(&[p("/a/x"), p("/b/y")]), p("/"));
        assert_eq!(key(&p("/a"), &p("/a/b/c.toml")), "b/c.toml");
        let bytes: Vec<u8> = (0..=255).collect();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(from_hex(&hex).unwrap(), bytes);
        assert_eq!(from_hex("0"), None);
    }
}
