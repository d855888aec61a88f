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
        if std::env::current_dir().is_ok_and(|cwd| cwd.starts_with(&dir_c)) {
            return Err(OutputError::refused(
                dir,
                "holds the current folder; the folder is replaced as a whole",
            ));
        }
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

/// Checks that the folder that will hold `path` exists and is writable, by creating and
/// removing a probe file in it.
fn probe(path: &Path) -> Result<(), OutputError> {
    let folder = folder_of(path);
    match std::fs::metadata(folder) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(OutputError::refused(
                path,
                format!("{} is not a folder", folder.display()),
            ));
        }
        Err(e) => {
            return Err(OutputError::io(path, "opening its folder", e));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_that_is_an_input_is_refused_with_the_flag_also_through_a_hard_link() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s.toml");
        std::fs::write(&input, "x").unwrap();
        let link = dir.path().join("link.toml");
        std::fs::hard_link(&input, &link).unwrap();
        let other = dir.path().join(".").join("s.toml");
        for out in [&input, &link, &other] {
            let e =
                check("--out", out, OutputKind::File, std::slice::from_ref(&input)).unwrap_err();
            assert!(e.is_user_error());
            assert!(e.to_string().starts_with("--out "), "{e}");
            assert!(e.to_string().contains("is also an input"), "{e}");
        }
        let fresh = dir.path().join("new.csv");
        check("--out", &fresh, OutputKind::File, &[input]).unwrap();
        assert!(!fresh.exists(), "the check writes nothing");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_report_folder_with_foreign_files_or_inputs_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.md"), "x").unwrap();
        std::fs::write(dir.path().join("a.svg"), "x").unwrap();
        check("--report", dir.path(), OutputKind::Folder, &[]).unwrap();
        let input = dir.path().join("data.txt");
        std::fs::write(&input, "x").unwrap();
        let e = check("--report", dir.path(), OutputKind::Folder, &[input]).unwrap_err();
        assert!(e.to_string().contains("data.txt"), "{e}");
        std::fs::write(dir.path().join("notes.docx"), "x").unwrap();
        let e = check("--report", dir.path(), OutputKind::Folder, &[]).unwrap_err();
        assert!(e.to_string().contains("notes.docx"), "{e}");
        let e = check("--report", Path::new("."), OutputKind::Folder, &[]).unwrap_err();
        assert!(e.to_string().contains("current folder"), "{e}");
    }

    #[test]
    fn a_missing_folder_or_a_wrong_kind_is_a_user_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        for (path, kind) in [
            (dir.path().join("no/such/x.csv"), OutputKind::File),
            (dir.path().to_path_buf(), OutputKind::File),
            (file.clone(), OutputKind::Folder),
            (file.join("x.csv"), OutputKind::File),
        ] {
            let e = check("--x", &path, kind, &[]).unwrap_err();
            assert!(e.is_user_error(), "{e}");
        }
    }
}
