//! Readers of measurement files: CloudWatch REPORT log lines ([`report`]), CloudWatch Logs
//! Insights CSV exports ([`insights`]), any CSV with a column mapping ([`generic`]) and
//! `python -X importtime` output, raw or tabulated ([`importtime`], analysed in [`imports`]).
//!
//! Every reader takes bytes (or any [`std::io::Read`]) plus a path used only in messages, and
//! has a `read_*_file(path)` convenience form. Each returns its records together with a
//! [`Diagnostics`]: a malformed row is skipped with a row-numbered warning, never a panic; only
//! a problem with the file as a whole (unreadable, missing header column) is an
//! [`InputError`]. For every reader, `records + ignored + warnings == rows_read`
//! (one warning per skipped row), except where a reader's docs say otherwise.
//!
//! Everything downstream (fitting) takes [`generic::Observations`]: one value in
//! milliseconds per record, a group index and an optional day; REPORT and Insights records
//! convert to it ([`generic::Observations::from_reports`], [`generic::Observations::from_insights`]).

pub mod generic;
pub mod imports;
pub mod importtime;
pub mod insights;
pub mod report;

use std::io::Read;
use std::path::Path;

use crate::error::{InputError, InputResult};
use crate::input::{Bounded, InputKind};

pub use generic::{ColdMetric, ColumnMapping, Observation, Observations, ValueUnit};
pub use imports::{ModuleCost, module_costs};
pub use importtime::{ImportEvent, ImportTrace, ImportTraces};
pub use insights::{InsightsRecord, InsightsTable};
pub use report::{ReportLog, ReportRecord};

/// Reads all of `reader` into memory, within the bounds of a measurement file; an I/O error
/// or a broken bound names `path`.
pub(crate) fn slurp(reader: impl Read, path: &Path) -> InputResult<Vec<u8>> {
    crate::input::read_all(Bounded::new(reader, InputKind::Data), path)
}

/// Reads the whole file at `path`, within the bounds of a measurement file.
pub(crate) fn read_all(path: &Path) -> InputResult<Vec<u8>> {
    crate::input::read_bytes(path, InputKind::Data)
}

/// Splits text into lines (`\n`, with a trailing `\r` removed); a final line without a
/// newline counts, the empty piece after a final newline does not.
pub(crate) fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let empty = bytes.is_empty();
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// Parses a non-negative, finite number (surrounding ASCII spaces allowed). The error says
/// what was wrong, for a row warning.
pub(crate) fn parse_nonneg(field: &[u8]) -> Result<f64, String> {
    let s = std::str::from_utf8(field)
        .map_err(|_| "is not valid UTF-8".to_string())?
        .trim();
    if s.is_empty() {
        return Err("is blank".to_string());
    }
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{}` is not a number", clip(s)))?;
    if !v.is_finite() {
        Err(format!("`{}` is not finite", clip(s)))
    } else if v < 0.0 {
        Err(format!("`{}` is negative", clip(s)))
    } else {
        Ok(v)
    }
}

/// At most 40 characters of `s`, for messages about garbled input.
pub(crate) fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A flexible CSV reader over `bytes` (a UTF-8 byte-order mark is dropped).
pub(crate) fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes)
}

/// The header names of a CSV reader, trimmed; a file error when the file is empty.
pub(crate) fn csv_header(rdr: &mut csv::Reader<&[u8]>, path: &Path) -> InputResult<Vec<String>> {
    let h = rdr
        .byte_headers()
        .map_err(|e| InputError::file(path, format!("unreadable CSV header: {e}")))?;
    crate::input::check_columns(path, h.len())?;
    let names: Vec<String> = h
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    if names.iter().all(|n| n.is_empty()) {
        return Err(InputError::file(
            path,
            "no CSV header (the file is empty or its first line is blank)",
        ));
    }
    Ok(names)
}

/// The index of column `name` in `header`, or a file error naming it and listing the columns.
pub(crate) fn column(header: &[String], name: &str, path: &Path) -> InputResult<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| missing_column(header, name, path))
}

/// The error for a column that is not in the header.
pub(crate) fn missing_column(header: &[String], name: &str, path: &Path) -> InputError {
    InputError::file(
        path,
        format!("no column `{name}`; the columns are: {}", header.join(", ")),
    )
}

/// Reads the next CSV record into `rec`; `Ok(false)` at the end. The flexible byte reader
/// over memory only fails on I/O, which cannot happen here; any error stops the file with a
/// row error rather than risking a loop.
pub(crate) fn next_record(
    rdr: &mut csv::Reader<&[u8]>,
    rec: &mut csv::ByteRecord,
    row: u64,
    path: &Path,
) -> InputResult<bool> {
    rdr.read_byte_record(rec)
        .map_err(|e| InputError::row(path, row, format!("unreadable CSV record: {e}")))
}
