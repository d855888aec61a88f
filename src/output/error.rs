//! The error of writing an output: which path (and flag), what was being done, and whether
//! the user can fix it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An output that could not be written, or was refused before the run.
#[derive(Debug)]
pub struct OutputError {
    /// The command-line flag that named the path (`--report`), when known.
    pub flag: Option<String>,
    /// The path the user named (never a temporary name).
    pub path: PathBuf,
    /// What went wrong.
    pub kind: OutputErrorKind,
}

/// What went wrong with an output.
#[derive(Debug)]
pub enum OutputErrorKind {
    /// An operating-system call failed while doing `action` (e.g. "writing").
    Io {
        /// What was being done, for the message.
        action: &'static str,
        /// The operating system's error.
        source: io::Error,
    },
    /// The path was refused before the run (it is an input, a folder, ...).
    Refused(String),
    /// A chart could not be drawn.
    Draw(String),
}

/// Whether an I/O error on a path the user named is the user's to fix (exit code 2): the
/// path or its folder is missing, not allowed, of the wrong type or on a read-only file
/// system. A full disk (ENOSPC, also what `/dev/full` gives) or an I/O error (EIO) is a
/// fault of the machine (exit code 1).
pub fn is_user_io_error(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::PermissionDenied
            | K::NotFound
            | K::IsADirectory
            | K::NotADirectory
            | K::ReadOnlyFilesystem
            | K::AlreadyExists
            | K::InvalidFilename
            | K::DirectoryNotEmpty
            | K::InvalidInput
    )
}

impl OutputError {
    /// An I/O failure on `path` while doing `action`.
    pub fn io(path: &Path, action: &'static str, source: io::Error) -> Self {
        OutputError {
            flag: None,
            path: path.to_path_buf(),
            kind: OutputErrorKind::Io { action, source },
        }
    }

    /// `path` refused before the run, for `reason`.
    pub fn refused(path: &Path, reason: impl Into<String>) -> Self {
        OutputError {
            flag: None,
            path: path.to_path_buf(),
            kind: OutputErrorKind::Refused(reason.into()),
        }
    }

    /// A chart for `path` that could not be drawn.
    pub fn draw(path: &Path, message: impl fmt::Display) -> Self {
        OutputError {
            flag: None,
            path: path.to_path_buf(),
            kind: OutputErrorKind::Draw(message.to_string()),
        }
    }

    /// Names the flag that gave the path, unless one is named already.
    pub fn with_flag(mut self, flag: &str) -> Self {
        self.flag.get_or_insert_with(|| flag.to_string());
        self
    }

    /// Replaces a path under `from` (a staging folder) by the same path under `to` (the
    /// folder the user named), so messages never show temporary names.
    pub fn relocate(mut self, from: &Path, to: &Path) -> Self {
        self.relocate_in_place(from, to);
        self
    }

    /// [`OutputError::relocate`] in place.
    pub fn relocate_in_place(&mut self, from: &Path, to: &Path) {
        if let Ok(rest) = self.path.strip_prefix(from) {
            self.path = to.join(rest);
        }
    }

    /// Whether the user can fix this (exit code 2) rather than the machine (exit code 1).
    pub fn is_user_error(&self) -> bool {
        match &self.kind {
            OutputErrorKind::Io { source, .. } => is_user_io_error(source),
            OutputErrorKind::Refused(_) => true,
            OutputErrorKind::Draw(_) => false,
        }
    }
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(flag) = &self.flag {
            write!(f, "{flag} ")?;
        }
        write!(f, "{}: ", self.path.display())?;
        match &self.kind {
            OutputErrorKind::Io { action, source } => write!(f, "{action}: {source}"),
            OutputErrorKind::Refused(reason) => write!(f, "{reason}"),
            OutputErrorKind::Draw(message) => write!(f, "drawing the chart: {message}"),
        }
    }
}

/// The I/O error is part of the message, so it is not repeated as a source.
impl std::error::Error for OutputError {}
