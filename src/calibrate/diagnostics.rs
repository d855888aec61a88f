//! What a reader found wrong in its input, row by row, without stopping: calibration data
//! is messy (truncated log lines, exports with blank cells), and the user must be told what
//! was skipped and where.

use std::fmt;

/// How many warnings are kept word for word; the rest are only counted.
pub const MAX_KEPT_WARNINGS: usize = 100;

/// One skipped or suspicious row. `row` counts CSV data rows from 1 (the header is row 0)
/// and text lines from 1, as [`crate::error::InputError::Row`] does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowWarning {
    /// Row (CSV) or line (text) number.
    pub row: u64,
    /// What was wrong and what was expected.
    pub message: String,
}

/// A reader's account of its input: rows seen, rows used, and warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// Data rows (CSV) or lines (text) read.
    pub rows_read: u64,
    /// Records produced.
    pub records: u64,
    /// Rows that were not records and not worth a warning (blank lines, ordinary log lines).
    pub ignored: u64,
    /// The first [`MAX_KEPT_WARNINGS`] warnings.
    pub warnings: Vec<RowWarning>,
    /// Warnings beyond those kept.
    pub warnings_dropped: u64,
}

impl Diagnostics {
    /// Records a warning for `row`.
    pub fn warn(&mut self, row: u64, message: impl Into<String>) {
        if self.warnings.len() < MAX_KEPT_WARNINGS {
            self.warnings.push(RowWarning {
                row,
                message: message.into(),
            });
        } else {
            self.warnings_dropped += 1;
        }
    }

    /// All warnings, kept and dropped.
    pub fn warning_count(&self) -> u64 {
        self.warnings.len() as u64 + self.warnings_dropped
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rows read, {} records, {} ignored, {} warnings",
            self.rows_read,
            self.records,
            self.ignored,
            self.warning_count()
        )
    }
}
