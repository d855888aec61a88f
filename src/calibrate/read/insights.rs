//! CSV exported from CloudWatch Logs Insights after a query such as
//! `filter @type = "REPORT" | fields @timestamp, @requestId, @initDuration, @duration,
//! @billedDuration, @memorySize, @maxMemoryUsed`.
//!
//! Columns may come in any order. Required: `@requestId`, `@initDuration` (blank on warm rows),
//! `@duration`, `@billedDuration` (ms, plain numbers; a trailing ` ms` is accepted),
//! `@memorySize`, `@maxMemoryUsed`. Optional: `@timestamp` (the record's day; blank → none).
//! Every other column (`function`, `packaging`, `@logStream`…) is kept as a grouping column.
//!
//! Memory: Logs Insights' discovered REPORT fields `@memorySize` and `@maxMemoryUsed` are in
//! bytes with 1 MB = 1,000,000 bytes (a 128 MB function shows 128000000; AWS's Lambda operator
//! guide converts with `@maxMemoryUsed/1000/1000`). A value of at least 100,000 is read as
//! bytes and rounded to whole MB; a smaller one (an export already divided down) as MB.
//! Lambda memory is 128..10,240 MB, so the two ranges cannot be confused.
//!
//! A row with a bad cell gets one warning naming the column and is skipped, so
//! `records + warnings == rows_read` (nothing is `ignored`).

use std::path::Path;

use crate::calibrate::{Day, Diagnostics};
use crate::error::{InputError, InputResult};

use super::{clip, column, csv_header, csv_reader, next_record, parse_nonneg, read_all};

/// Bytes per MB in Logs Insights' memory fields.
pub const INSIGHTS_BYTES_PER_MB: f64 = 1_000_000.0;

/// Memory values at or above this are bytes, below it MB (see the module docs).
pub const INSIGHTS_BYTES_THRESHOLD: f64 = 100_000.0;

/// One exported REPORT row.
#[derive(Clone, Debug, PartialEq)]
pub struct InsightsRecord {
    /// Data row number (from 1; the header is row 0).
    pub row: u64,
    /// Day of `@timestamp`, when the column is present and the cell not blank.
    pub day: Option<Day>,
    /// `@requestId`.
    pub request_id: String,
    /// `@initDuration`, ms; `None` on warm rows (blank cell).
    pub init_duration_ms: Option<f64>,
    /// `@duration`, ms.
    pub duration_ms: f64,
    /// `@billedDuration`, ms.
    pub billed_duration_ms: f64,
    /// `@memorySize`, converted to MB.
    pub memory_size_mb: u32,
    /// `@maxMemoryUsed`, converted to MB.
    pub max_memory_used_mb: u32,
    /// Values of the extra columns, in the order of [`InsightsTable::extra_columns`].
    pub extra: Vec<String>,
}

impl InsightsRecord {
    /// A cold start: `@initDuration` is present.
    pub fn is_cold(&self) -> bool {
        self.init_duration_ms.is_some()
    }
}

/// A Logs Insights export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InsightsTable {
    /// Names of the columns beyond the known `@` fields, in file order.
    pub extra_columns: Vec<String>,
    /// Records in file order.
    pub records: Vec<InsightsRecord>,
    /// Rows read, records and row-numbered warnings.
    pub diagnostics: Diagnostics,
}

const KNOWN: [&str; 7] = [
    "@timestamp",
    "@requestId",
    "@initDuration",
    "@duration",
    "@billedDuration",
    "@memorySize",
    "@maxMemoryUsed",
];

/// Positions of the known columns in the header, and of the extra ones.
struct Columns {
    timestamp: Option<usize>,
    request: usize,
    init: usize,
    duration: usize,
    billed: usize,
    memory: usize,
    max_memory: usize,
    extra: Vec<usize>,
}

impl Columns {
    /// Finds the columns; every known one but `@timestamp` is required, none twice.
    fn locate(header: &[String], path: &Path) -> InputResult<Self> {
        let cols = Columns {
            timestamp: header.iter().position(|h| h == "@timestamp"),
            request: column(header, "@requestId", path)?,
            init: column(header, "@initDuration", path)?,
            duration: column(header, "@duration", path)?,
            billed: column(header, "@billedDuration", path)?,
            memory: column(header, "@memorySize", path)?,
            max_memory: column(header, "@maxMemoryUsed", path)?,
            extra: (0..header.len())
                .filter(|&i| !KNOWN.contains(&header[i].as_str()))
                .collect(),
        };
        for name in KNOWN {
            if header.iter().filter(|h| *h == name).count() > 1 {
                return Err(InputError::file(
                    path,
                    format!("column `{name}` appears more than once"),
                ));
            }
        }
        Ok(cols)
    }
}

/// Parses an Insights CSV export. Errors: no header, or a required column missing (named, with
/// the columns that are there).
pub fn read_insights(bytes: &[u8], path: &Path) -> InputResult<InsightsTable> {
    let mut rdr = csv_reader(bytes);
    let header = csv_header(&mut rdr, path)?;
    let cols = Columns::locate(&header, path)?;
    let mut table = InsightsTable {
        extra_columns: cols.extra.iter().map(|&i| header[i].clone()).collect(),
        ..Default::default()
    };
    let mut rec = csv::ByteRecord::new();
    let mut row = 0u64;
    while next_record(&mut rdr, &mut rec, row + 1, path)? {
        row += 1;
        table.diagnostics.rows_read += 1;
        match parse_record(row, &rec, &header, &cols) {
            Ok(r) => {
                table.diagnostics.records += 1;
                table.records.push(r);
            }
            Err(msg) => table.diagnostics.warn(row, msg),
        }
    }
    Ok(table)
}

/// Cell `i` of `rec` as trimmed UTF-8.
fn cell_text<'r>(rec: &'r csv::ByteRecord, header: &[String], i: usize) -> Result<&'r str, String> {
    std::str::from_utf8(rec.get(i).unwrap_or_default())
        .map(str::trim)
        .map_err(|_| format!("`{}` is not valid UTF-8", header[i]))
}

/// Cell `i` of `rec` as non-negative milliseconds (an `ms` suffix allowed).
fn cell_ms(rec: &csv::ByteRecord, header: &[String], i: usize) -> Result<f64, String> {
    let t = cell_text(rec, header, i)?;
    let t = t.strip_suffix("ms").unwrap_or(t);
    parse_nonneg(t.as_bytes()).map_err(|e| format!("{} {e}", header[i]))
}

/// The day of `@timestamp` (None without the column or with a blank cell).
fn record_day(
    rec: &csv::ByteRecord,
    header: &[String],
    timestamp: Option<usize>,
) -> Result<Option<Day>, String> {
    let Some(i) = timestamp else {
        return Ok(None);
    };
    let t = cell_text(rec, header, i)?;
    if t.is_empty() {
        return Ok(None);
    }
    Day::parse_prefix(t)
        .map(Some)
        .ok_or_else(|| format!("@timestamp `{}` does not start with YYYY-MM-DD", clip(t)))
}

/// One data row as a record, or the warning that says why it is skipped.
fn parse_record(
    row: u64,
    rec: &csv::ByteRecord,
    header: &[String],
    cols: &Columns,
) -> Result<InsightsRecord, String> {
    if rec.len() != header.len() {
        return Err(format!(
            "row has {} fields, the header has {}",
            rec.len(),
            header.len()
        ));
    }
    let text = |i: usize| cell_text(rec, header, i);
    let ms = |i: usize| cell_ms(rec, header, i);
    let day = record_day(rec, header, cols.timestamp)?;
    let init_duration_ms = if text(cols.init)?.is_empty() {
        None
    } else {
        Some(ms(cols.init)?)
    };
    let request_id = text(cols.request)?;
    if request_id.is_empty() {
        return Err("@requestId is blank".to_string());
    }
    let memory_size_mb = mem_mb(text(cols.memory)?).map_err(|e| format!("@memorySize {e}"))?;
    if memory_size_mb == 0 {
        return Err("@memorySize is 0".to_string());
    }
    Ok(InsightsRecord {
        row,
        day,
        request_id: request_id.to_string(),
        init_duration_ms,
        duration_ms: ms(cols.duration)?,
        billed_duration_ms: ms(cols.billed)?,
        memory_size_mb,
        max_memory_used_mb: mem_mb(text(cols.max_memory)?)
            .map_err(|e| format!("@maxMemoryUsed {e}"))?,
        extra: cols
            .extra
            .iter()
            .map(|&i| String::from_utf8_lossy(rec.get(i).unwrap_or_default()).into_owned())
            .collect(),
    })
}

/// [`read_insights`] of the file at `path`.
pub fn read_insights_file(path: &Path) -> InputResult<InsightsTable> {
    read_insights(&read_all(path)?, path)
}

/// A memory cell in bytes or MB (see the module docs), as whole MB.
fn mem_mb(t: &str) -> Result<u32, String> {
    let v = parse_nonneg(t.as_bytes())?;
    let mb = if v >= INSIGHTS_BYTES_THRESHOLD {
        v / INSIGHTS_BYTES_PER_MB
    } else {
        v
    };
    let mb = mb.round();
    if mb > f64::from(u32::MAX) {
        return Err(format!("`{}` is too large", clip(t)));
    }
    Ok(mb as u32)
}
