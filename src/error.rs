//! Errors for bad input: every message names the file and the field, key or row at fault,
//! says what was expected, and maps to exit code 2 in the CLI.

use std::path::{Path, PathBuf};

/// An input problem the user can fix: a scenario or model file, a CSV, a CLI flag.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file is not valid TOML or does not match the schema. `message` comes from the TOML
    /// parser and already holds the line, column and a snippet.
    #[error("{file}: {message}")]
    Toml { file: PathBuf, message: String },
    /// A key parsed but its value is wrong (range, unit, reference to something undefined).
    #[error("{file}: {key}: {message}")]
    Field {
        file: PathBuf,
        key: String,
        message: String,
    },
    /// A CSV or log row is malformed. `row` counts data rows from 1 (the header is row 0) for
    /// CSV files, and lines from 1 for text logs.
    #[error("{file}: row {row}: {message}")]
    Row {
        file: PathBuf,
        row: u64,
        message: String,
    },
    /// A file as a whole is unusable (empty trace, missing header).
    #[error("{file}: {message}")]
    File { file: PathBuf, message: String },
    /// A file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A command-line flag has a bad value.
    #[error("{0}")]
    Usage(String),
}

impl InputError {
    /// A wrong value at `key` in `file`.
    pub fn field(file: &Path, key: impl Into<String>, message: impl Into<String>) -> Self {
        InputError::Field {
            file: file.to_path_buf(),
            key: key.into(),
            message: message.into(),
        }
    }

    /// A malformed row `row` of `file`.
    pub fn row(file: &Path, row: u64, message: impl Into<String>) -> Self {
        InputError::Row {
            file: file.to_path_buf(),
            row,
            message: message.into(),
        }
    }

    /// A problem with `file` as a whole.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        InputError::File {
            file: file.to_path_buf(),
            message: message.into(),
        }
    }

    /// `file` could not be opened or read.
    pub fn io(file: &Path, source: std::io::Error) -> Self {
        InputError::Io {
            file: file.to_path_buf(),
            source,
        }
    }
}

/// Result with an [`InputError`].
pub type InputResult<T> = Result<T, InputError>;
