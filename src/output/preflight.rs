//! Checks of output paths before a run starts, so a bad path costs no simulation time: the
//! folder is writable, the kind (file or folder) is right, and no output is also an input.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use super::{OutputError, folder_of, sibling};

/// Extensions of the files the report writers put into a report folder. A folder holding
/// anything else is not replaced (it would be lost with the old report).
pub const REPORT_EXTENSIONS: [&str; 4] = ["md", "svg", "json", "txt"];

/// What an output path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// A file, replaced atomically.
    File,
    /// A report folder, replaced as a whole.
    Folder,
}

/// Checks output `path` given by `flag` against the run's `inputs`; the error names both.
pub fn check(
    flag: &str,
    path: &Path,
    kind: OutputKind,
    inputs: &[PathBuf],
) -> Result<(), OutputError> {
    check_path(path, kind, inputs).map_err(|e| e.with_flag(flag))
}

fn check_path(path: &Path, kind: OutputKind, inputs: &[PathBuf]) -> Result<(), OutputError> {
    if path.as_os_str().is_empty() {
        return Err(OutputError::refused(path, "an empty path"));
    }
    for input in inputs {
        if same_file(path, input) {
            return Err(OutputError::refused(
                path,
                format!(
                    "is also an input of this run ({}); refusing to overwrite it",
                    input.display()
                ),
            ));
        }
    }
    match std::fs::metadata(path) {
        Ok(m) if kind == OutputKind::File && m.is_dir() => {
            Err(OutputError::refused(path, "is a folder, expected a file"))
        }
        Ok(m) if kind == OutputKind::Folder && !m.is_dir() => {
            Err(OutputError::refused(path, "is a file, expected a folder"))
        }
        Ok(m) if kind == OutputKind::File && !m.is_file() => {
            // A device or a pipe is written in place: it must open for writing.
            OpenOptions::new()
                .write(true)
                .open(path)
                .map(drop)
                .map_err(|e| OutputError::io(path, "opening for writing", e))
        }
        Ok(_) if kind == OutputKind::Folder => {
            check_report_folder(path, inputs)?;
            probe(path)
        }
        _ => probe(path),
    }
}

/// A report folder that exists may hold only report files, and no input of the run.
fn check_report_folder(dir: &Path, inputs: &[PathBuf]) -> Result<(), OutputError> {
    if let Ok(dir_c) = std::fs::canonicalize(dir) {
        for input in inputs {
            if std::fs::canonicalize(input).is_ok_and(|i| i.starts_with(&dir_c)) {
                return Err(OutputError::refused(
                    dir,
                    format!(
                        "holds {}, an input of this run; the folder is replaced as a whole",
                        input.display()
                    ),
                ));
            }
        }
    }
    let entries = std::fs::read_dir(dir).map_err(|e| OutputError::io(dir, "listing", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| OutputError::io(dir, "listing", e))?;
        let p = entry.path();
        let is_report_file = entry.file_type().is_ok_and(|t| t.is_file())
            && p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| REPORT_EXTENSIONS.contains(&e));
        if !is_report_file {
            return Err(OutputError::refused(
                dir,
                format!(
                    "holds {}, which no report writes; the folder is replaced as a whole, so \
                     name a new or empty folder or a previous report's",
                    p.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Creates and removes a probe file in the folder that will hold `path` (or in its nearest
/// existing ancestor, when folders are still to be created).
fn probe(path: &Path) -> Result<(), OutputError> {
    let mut folder = folder_of(path).to_path_buf();
    while !folder.exists() {
        match folder.parent() {
            Some(p) if !p.as_os_str().is_empty() => folder = p.to_path_buf(),
            _ => {
                folder = PathBuf::from(".");
                break;
            }
        }
    }
    if !folder.is_dir() {
        return Err(OutputError::refused(
            path,
            format!("{} is not a folder", folder.display()),
        ));
    }
    let probe = sibling(&folder.join("probe"), "probe");
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| OutputError::io(path, "checking that its folder is writable", e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Whether `a` and `b` are the same existing file: equal canonical paths, or on unix the
/// same device and inode (hard links).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ca), Ok(cb)) = (std::fs::canonicalize(a), std::fs::canonicalize(b)) else {
        return false;
    };
    if ca == cb {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (std::fs::metadata(&ca), std::fs::metadata(&cb)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    false
}
