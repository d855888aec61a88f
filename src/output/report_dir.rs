//! A report folder written aside and swapped in as a whole, so a reader never sees new
//! plots next to an old `report.md`.

use std::path::{Path, PathBuf};

use super::{OutputError, folder_of, sibling, sync_folder};

/// A report folder being written: files go into a hidden staging sibling of the target
/// ([`ReportDir::path`]); [`ReportDir::commit`] swaps it in. Dropped without a commit, the
/// staging folder is removed.
///
/// What a kill leaves, step by step (`NAME` the target, `*` the process id and a counter):
/// 1. while files are written: `NAME` as it was (old report or none) and a partial
///    `.NAME.coldsim-new-*` beside it;
/// 2. after `NAME` is renamed to `.NAME.coldsim-old-*`: no `NAME`; the old report complete
///    in the `-old-` folder, the new one complete in the `-new-` folder;
/// 3. after the new folder is renamed to `NAME`: the new report, and the old one in the
///    `-old-` folder until it is removed.
///
/// So `NAME` is always the old complete report, the new complete report, or absent.
#[derive(Debug)]
pub struct ReportDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl ReportDir {
    /// Creates the staging folder beside `target` (and `target`'s missing parent folders).
    /// A symbolic link to a folder is followed: the folder it points to is replaced.
    pub fn begin(target: &Path) -> Result<Self, OutputError> {
        let resolved = match std::fs::symlink_metadata(target) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(target)
                .map_err(|e| OutputError::io(target, "following the link", e))?,
            _ => target.to_path_buf(),
        };
        if resolved.exists() && !resolved.is_dir() {
            return Err(OutputError::refused(target, "is a file, expected a folder"));
        }
        std::fs::create_dir_all(folder_of(&resolved))
            .map_err(|e| OutputError::io(target, "creating its parent folder", e))?;
        let staging = sibling(&resolved, "new");
        std::fs::create_dir(&staging)
            .map_err(|e| OutputError::io(target, "creating a staging folder beside it", e))?;
        Ok(ReportDir {
            target: resolved,
            staging,
            committed: false,
        })
    }

    /// The folder to write the report's files into.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder the report appears at.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Syncs the written files and swaps the staging folder in place of the target.
    pub fn commit(mut self) -> Result<(), OutputError> {
        sync_files(&self.staging);
        let target = self.target.clone();
        let aside = if target.exists() {
            let aside = sibling(&target, "old");
            std::fs::rename(&target, &aside)
                .map_err(|e| OutputError::io(&target, "moving the old report aside", e))?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&self.staging, &target) {
            if let Some(aside) = &aside {
                let _ = std::fs::rename(aside, &target);
            }
            return Err(OutputError::io(
                &target,
                "renaming the new report into place",
                e,
            ));
        }
        self.committed = true;
        sync_folder(folder_of(&target));
        if let Some(aside) = aside {
            std::fs::remove_dir_all(&aside)
                .map_err(|e| OutputError::io(&aside, "removing the old report", e))?;
        }
        Ok(())
    }
}

/// Syncs every regular file directly in `folder`, then the folder; best effort, as in
/// [`sync_folder`].
fn sync_files(folder: &Path) {
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.flatten() {
            if let Ok(f) = std::fs::File::open(entry.path()) {
                let _ = f.sync_all();
            }
        }
    }
    sync_folder(folder);
}

impl Drop for ReportDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                (e.file_name().to_string_lossy().into_owned(), text)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_the_whole_folder_and_leaves_nothing_beside_it() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("report");
        std::fs::create_dir(&target).unwrap();
        fill(&target, &[("report.md", "old"), ("old_plot.svg", "old")]);
        let stage = ReportDir::begin(&target).unwrap();
        fill(stage.path(), &[("report.md", "new"), ("a.svg", "new")]);
        assert_eq!(listing(&target).len(), 2, "untouched before the commit");
        stage.commit().unwrap();
        assert_eq!(
            listing(&target),
            [
                ("a.svg".into(), "new".into()),
                ("report.md".into(), "new".into())
            ]
        );
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_dropped_stage_leaves_the_old_folder_and_removes_itself() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("report");
        std::fs::create_dir(&target).unwrap();
        fill(&target, &[("report.md", "old")]);
        let stage = ReportDir::begin(&target).unwrap();
        fill(stage.path(), &[("report.md", "new")]);
        drop(stage);
        assert_eq!(listing(&target), [("report.md".into(), "old".into())]);
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_new_folder_appears_on_commit() {
        let parent = tempfile::tempdir().unwrap();
        let target = parent.path().join("r");
        let stage = ReportDir::begin(&target).unwrap();
        fill(stage.path(), &[("x.json", "{}")]);
        assert!(!target.exists());
        stage.commit().unwrap();
        assert_eq!(listing(&target), [("x.json".into(), "{}".into())]);
    }
}
