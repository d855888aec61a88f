//! Writing results so that nothing is lost: every file goes to a temporary name in its
//! target folder and is renamed into place once complete ([`write_atomic`], [`AtomicFile`]);
//! a report folder is written aside as a whole and then swapped in ([`ReportDir`]); output
//! paths are checked before a run starts ([`preflight`]). A run killed at any moment leaves
//! the previous result or none, never a truncated file or a mix of old and new files.
//!
//! Errors are [`OutputError`]s naming the path (and, from the CLI, the flag); they say
//! whether the user can fix them (exit code 2) or the machine failed (exit code 1).

mod atomic;
mod error;
pub mod inputs;
pub mod preflight;
mod report_dir;

pub use atomic::{AtomicFile, write_atomic};
pub use error::{OutputError, OutputErrorKind, is_user_io_error};
pub use report_dir::ReportDir;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The folder a file at `path` lives in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A fresh hidden sibling name for `path`: `.NAME.coldsim-TAG-PID-N`, unique within this
/// process (the counter) and across processes (the pid).
fn sibling(path: &Path, tag: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    folder_of(path).join(format!(".{name}.coldsim-{tag}-{}-{n}", std::process::id()))
}

/// Flushes a folder's entry table to disk so a rename into it survives a power cut; best
/// effort (some file systems refuse to open or sync a folder).
fn sync_folder(folder: &Path) {
    if let Ok(f) = std::fs::File::open(folder) {
        let _ = f.sync_all();
    }
}
