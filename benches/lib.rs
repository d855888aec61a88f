//! Shared by the criterion benches: where the repository's files are, whatever the
//! directory `cargo bench` runs a bench from.

use std::path::{Path, PathBuf};

/// A file of the coldsim repository, by its path from the repository root.
pub fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}
