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

/// A bad value found where its file and key are not known yet (a duration or clock time,
/// a distribution table, an override path): the caller names them, with [`ValueError::at`]
/// or through serde (`de::Error::custom`), which put the file and key in front.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

impl ValueError {
    /// This error at `key` in `file`, with the same message.
    pub fn at(self, file: &Path, key: impl Into<String>) -> InputError {
        InputError::field(file, key, self.0)
    }
}

impl From<String> for ValueError {
    fn from(message: String) -> Self {
        ValueError(message)
    }
}

impl From<&str> for ValueError {
    fn from(message: &str) -> Self {
        ValueError(message.to_string())
    }
}

/// Callers that add the file and key themselves take the message as it is.
impl From<ValueError> for String {
    fn from(e: ValueError) -> Self {
        e.0
    }
}

/// Result with an [`InputError`].
pub type InputResult<T> = Result<T, InputError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: exact text. A value error placed at a key reads as the field error the
    /// callers built from the bare message before it was typed.
    #[test]
    fn value_error_at_a_key_reads_as_the_field_error() {
        let file = Path::new("s.toml");
        let e = crate::config::units::parse_duration("10").unwrap_err();
        let placed = e.clone().at(file, "platform.keep_alive").to_string();
        let by_hand = InputError::field(file, "platform.keep_alive", String::from(e));
        assert_eq!(placed, by_hand.to_string());
        assert!(placed.starts_with("s.toml: platform.keep_alive: expected a duration"));
    }
}
