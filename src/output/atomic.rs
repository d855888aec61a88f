//! One output file, written under a temporary name in its folder and renamed into place
//! when complete, so readers see the old file or the new one, never a part.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{OutputError, folder_of, sibling, sync_folder};

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
/// Missing folders on the way are created. The temporary file is removed on error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(|e| OutputError::io(path, "writing", e))?;
    file.commit()
}

/// A file being written: bytes go to a hidden temporary sibling of the target and the
/// target appears, complete, on [`AtomicFile::commit`]. Dropped without a commit (an error,
/// a panic), the temporary file is removed. A target that exists and is not a regular file
/// (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming over it would replace
/// the device.
///
/// A kill before the rename leaves the old target untouched and a `.NAME.coldsim-new-*`
/// file beside it; after the rename, the new target.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: Option<PathBuf>,
    out: BufWriter<File>,
}

impl AtomicFile {
    /// Opens a temporary file beside `path` (creating missing folders), or `path` itself if
    /// it is a device or a pipe. A symbolic link is followed: its target is replaced.
    pub fn create(path: &Path) -> Result<Self, OutputError> {
        let meta = std::fs::metadata(path).ok();
        if meta.as_ref().is_some_and(|m| !m.is_file() && !m.is_dir()) {
            let file = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(path)
                .map_err(|e| OutputError::io(path, "opening", e))?;
            return Ok(Self::wrap(path.to_path_buf(), None, file));
        }
        if meta.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(OutputError::refused(path, "is a folder, expected a file"));
        }
        let target = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)
                .map_err(|e| OutputError::io(path, "following the link", e))?,
            _ => path.to_path_buf(),
        };
        std::fs::create_dir_all(folder_of(&target))
            .map_err(|e| OutputError::io(path, "creating its folder", e))?;
        let temp = sibling(&target, "new");
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| OutputError::io(path, "creating a temporary file in its folder", e))?;
        if let Some(m) = &meta {
            let _ = std::fs::set_permissions(&temp, m.permissions());
        }
        Ok(Self::wrap(target, Some(temp), file))
    }

    fn wrap(target: PathBuf, temp: Option<PathBuf>, file: File) -> Self {
        AtomicFile {
            target,
            temp,
            out: BufWriter::with_capacity(1 << 16, file),
        }
    }

    /// The path the file appears at.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the temporary file into place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let target = self.target.clone();
        self.out
            .flush()
            .map_err(|e| OutputError::io(&target, "writing", e))?;
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        let result = self
            .out
            .get_ref()
            .sync_all()
            .map_err(|e| OutputError::io(&target, "syncing to disk", e))
            .and_then(|()| {
                std::fs::rename(&temp, &target)
                    .map_err(|e| OutputError::io(&target, "renaming into place", e))
            });
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        } else {
            sync_folder(folder_of(&target));
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "old contents, longer than the new").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn an_uncommitted_file_leaves_the_old_one_and_removes_its_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "old").unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(&[b'x'; 200_000]).unwrap();
        assert_eq!(
            names(dir.path()).len(),
            2,
            "the temporary file is beside it"
        );
        drop(f);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["a.csv"]);
    }

    #[test]
    fn a_device_is_written_in_place_not_replaced() {
        write_atomic(Path::new("/dev/null"), b"x").unwrap();
        let m = std::fs::metadata("/dev/null").unwrap();
        assert!(!m.is_file(), "/dev/null is still a device");
    }

    #[test]
    fn dev_full_fails_with_its_path_and_a_machine_fault() {
        if !Path::new("/dev/full").exists() {
            return;
        }
        let e = write_atomic(Path::new("/dev/full"), &[0; 100]).unwrap_err();
        assert!(e.to_string().contains("/dev/full"), "{e}");
        assert!(!e.is_user_error(), "ENOSPC is the machine's: {e}");
    }

    #[test]
    fn a_folder_as_target_is_a_user_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(e.is_user_error(), "{e}");
    }
}
