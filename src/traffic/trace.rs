//! Trace replay: arrivals read from a CSV file instead of drawn from a distribution.
//!
//! Two formats are understood:
//!
//! * **Per-request timestamps** (`format = "timestamps"`, [`TimestampTrace`]): a CSV file with a
//!   header row, where one column (by default `timestamp`) holds each request's arrival time in
//!   seconds since the start of the trace, fractional seconds allowed, or an ISO-8601
//!   date-time (`2024-05-01T12:00:00.123Z`, an offset such as `+02:00`, or none for UTC as
//!   Logs Insights exports `2024-05-01 12:00:00.123`). The first data row decides which: with
//!   date-times, time zero is the first row's time, and every row must be a date-time. Rows
//!   must be in non-decreasing time order. The file is validated once when opened and then streamed lazily
//!   by every replication, so memory does not grow with the length of the trace.
//! * **Azure Functions 2019 per-minute counts** (`format = "azure2019"`, [`Azure2019Trace`]): the
//!   `invocations_per_function_md.anon.dNN.csv` files of the Azure Public Dataset (described in
//!   `AzurePublicDataset/AzureFunctionsDataset2019.md`), one row per function with the number of
//!   invocations in each minute of one day. One function's row is selected; within each minute
//!   its invocations are placed i.i.d. uniformly at random, since the dataset does not record
//!   finer timing.
//!
//! Every problem with the file is an [`InputError`] naming the file, the row (data rows count
//! from 1, the header is row 0) and what was expected.

use std::path::Path;
use std::sync::Arc;

use crate::engine::time::{SimTime, US_PER_MIN, US_PER_S};
use crate::error::{InputError, InputResult};
use crate::input::{Bounded, InputKind};

/// A trace file opened with the bounds of its kind.
type TraceFile = Bounded<crate::input::Source>;

/// The default name of the timestamp column of a per-request trace.
pub const DEFAULT_TIMESTAMP_COLUMN: &str = "timestamp";

/// The largest invocation count accepted for one minute of an Azure 2019 trace. The offsets of
/// one minute are held in memory at once (4 bytes each), so this bounds that buffer at 40 MB; it
/// is far above the busiest functions of the published dataset.
pub const AZURE_MAX_PER_MINUTE: u32 = 10_000_000;

/// The four leading columns of an Azure Functions 2019 invocation-count file.
const AZURE_KEY_COLUMNS: [&str; 4] = ["HashOwner", "HashApp", "HashFunction", "Trigger"];

/// Index of the `HashFunction` column.
const AZURE_HASH_COLUMN: usize = 2;

/// Index of the `Trigger` column.
const AZURE_TRIGGER_COLUMN: usize = 3;

/// Microseconds in one minute, as the type the per-minute offsets are stored in.
const MINUTE_US_U32: u32 = US_PER_MIN as u32;

/// A CSV reader over a file, with the settings both formats use: a header row, rows of any
/// length (ragged rows are reported by this module, naming the row), no trimming (done here).
fn csv_reader(path: &Path) -> InputResult<csv::Reader<TraceFile>> {
    let file = crate::input::open(path, InputKind::Trace)?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(file))
}

/// Turns a CSV read error into an [`InputError`]: I/O failures keep their cause, anything else
/// is reported at `row`.
fn csv_error(path: &Path, row: u64, err: csv::Error) -> InputError {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => InputError::io(path, e),
        other => InputError::row(
            path,
            row,
            format!("could not read the row as CSV: {other:?}"),
        ),
    }
}

/// Leading and trailing ASCII whitespace removed.
fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// A header name as text: trimmed, without a UTF-8 byte-order mark, invalid UTF-8 replaced.
fn header_name(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(trim(bytes)).into_owned()
}

/// A field's value for an error message: trimmed, invalid UTF-8 replaced, cut to a readable
/// length.
fn shown(bytes: &[u8]) -> String {
    const MAX_CHARS: usize = 40;
    let text = String::from_utf8_lossy(trim(bytes));
    if text.chars().count() > MAX_CHARS {
        let cut: String = text.chars().take(MAX_CHARS).collect();
        format!("{cut}...")
    } else {
        text.into_owned()
    }
}

/// The header row of `reader`, or an error if the file has none.
fn read_header(path: &Path, reader: &mut csv::Reader<TraceFile>) -> InputResult<Vec<String>> {
    let header = reader.byte_headers().map_err(|e| csv_error(path, 0, e))?;
    crate::input::check_columns(path, header.len())?;
    let names: Vec<String> = header.iter().map(header_name).collect();
    if names.is_empty() || names.iter().all(String::is_empty) {
        return Err(InputError::file(
            path,
            "the file is empty: expected a CSV header row naming the columns",
        ));
    }
    Ok(names)
}

// ---------------------------------------------------------------------------------------------
// Per-request timestamps
// ---------------------------------------------------------------------------------------------

/// How a trace's timestamp column counts time; its first data row decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clock {
    /// Seconds since the start of the trace.
    Seconds,
    /// ISO-8601 date-times; time zero is `origin_us`, the first row's time (µs since the
    /// Unix epoch).
    Dates { origin_us: i64 },
}

/// One timestamp field as read, before it is placed on the trace's clock.
enum Stamp {
    /// A number of seconds.
    Seconds(SimTime),
    /// A date-time, µs since the Unix epoch.
    Date(i64),
}

/// Parses an ISO-8601 date-time into µs since the Unix epoch: with a `Z` or an offset, or
/// without one (read as UTC), `T` or a space between date and time.
pub fn parse_iso_us(text: &str) -> Option<i64> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(t.as_microsecond());
    }
    let dt = text.parse::<jiff::civil::DateTime>().ok()?;
    let t = jiff::tz::Offset::UTC.to_timestamp(dt).ok()?;
    Some(t.as_microsecond())
}

/// Parses one timestamp field: a finite number of seconds ≥ 0, or an ISO-8601 date-time.
/// On failure, says what is wrong with it (without the row and column, which the caller adds).
fn parse_stamp(field: &[u8]) -> Result<Stamp, String> {
    let raw = trim(field);
    if raw.is_empty() {
        return Err("is empty".to_string());
    }
    let text = std::str::from_utf8(raw).ok();
    let Some(seconds) = text.and_then(|s| s.parse::<f64>().ok()) else {
        return text
            .and_then(parse_iso_us)
            .map(Stamp::Date)
            .ok_or_else(|| format!("'{}' is not a number nor an ISO-8601 date-time", shown(raw)));
    };
    if !seconds.is_finite() {
        return Err(format!("'{}' is not a finite number", shown(raw)));
    }
    if seconds < 0.0 {
        return Err(format!("'{}' is negative", shown(raw)));
    }
    let us = (seconds * US_PER_S as f64).round();
    // `u64::MAX as f64` rounds up to 2^64, so `<` keeps the cast exact and below SimTime::NEVER.
    if us >= u64::MAX as f64 {
        return Err(format!("'{}' is too large", shown(raw)));
    }
    Ok(Stamp::Seconds(SimTime(us as u64)))
}

/// A field's time on the trace's `clock`; the first row (`clock` still `None`) sets it.
fn place(stamp: Stamp, clock: &mut Option<Clock>) -> Result<SimTime, String> {
    let c = *clock.get_or_insert(match stamp {
        Stamp::Seconds(_) => Clock::Seconds,
        Stamp::Date(us) => Clock::Dates { origin_us: us },
    });
    match (stamp, c) {
        (Stamp::Seconds(t), Clock::Seconds) => Ok(t),
        (Stamp::Date(us), Clock::Dates { origin_us }) => {
            Ok(SimTime(u64::try_from(us - origin_us).unwrap_or(0)))
        }
        (Stamp::Seconds(_), Clock::Dates { .. }) => Err(
            "is a number, but the first row holds a date-time; expected date-times in every row"
                .to_string(),
        ),
        (Stamp::Date(_), Clock::Seconds) => Err(
            "is a date-time, but the first row holds seconds; expected seconds in every row"
                .to_string(),
        ),
    }
}

/// Parses one field on a known clock, for the cursor (the file was validated).
fn parse_on(field: &[u8], clock: Option<Clock>) -> Option<SimTime> {
    let mut c = clock;
    parse_stamp(field).ok().and_then(|s| place(s, &mut c).ok())
}

/// Position of the column named `wanted` in the header `names`; the error lists the columns.
fn timestamp_column(path: &Path, names: &[String], wanted: &str) -> InputResult<usize> {
    names.iter().position(|n| n == wanted).ok_or_else(|| {
        InputError::file(
            path,
            format!(
                "no column named '{wanted}' for the arrival timestamps; the header has: {}",
                names
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

/// Reads every data row's arrival time in column `column_index` (named `wanted`), checking
/// they do not decrease; returns the number of rows and the first and last arrival times.
fn scan_timestamps(
    path: &Path,
    reader: &mut csv::Reader<TraceFile>,
    column_index: usize,
    wanted: &str,
) -> InputResult<(u64, SimTime, SimTime, Option<Clock>)> {
    let mut record = csv::ByteRecord::new();
    let mut clock = None;
    let mut rows: u64 = 0;
    let mut last = SimTime::ZERO;
    let mut first = SimTime::ZERO;
    loop {
        let row = rows + 1;
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, row, e)),
        }
        let time = row_time(path, row, &record, (column_index, wanted), &mut clock)?;
        if time < last {
            return Err(InputError::row(
                path,
                row,
                format!(
                    "column '{wanted}': arrival at {} s is earlier than the previous row's {} \
                     s; expected rows sorted by time (non-decreasing)",
                    record.get(column_index).map_or(String::new(), shown),
                    last.as_secs_f64()
                ),
            ));
        }
        if row == 1 {
            first = time;
        }
        last = time;
        rows = row;
    }
    Ok((rows, first, last, clock))
}

/// The arrival time of data row `row`: its field `column_index`, in seconds.
fn row_time(
    path: &Path,
    row: u64,
    record: &csv::ByteRecord,
    (column_index, wanted): (usize, &str),
    clock: &mut Option<Clock>,
) -> InputResult<SimTime> {
    let field = record.get(column_index).ok_or_else(|| {
        InputError::row(
            path,
            row,
            format!(
                "has {} field(s), so no value for column '{wanted}' (field {}); expected \
                 the arrival time in seconds since the start of the trace",
                record.len(),
                column_index + 1
            ),
        )
    })?;
    parse_stamp(field)
        .and_then(|stamp| place(stamp, clock))
        .map_err(|what| {
            InputError::row(
                path,
                row,
                format!(
                    "column '{wanted}': {what}; expected the arrival time as a number of \
                     seconds (>= 0) since the start of the trace, or an ISO-8601 date-time"
                ),
            )
        })
}

/// A validated per-request timestamp trace: a CSV file whose column `column` holds each
/// request's arrival time in seconds since the start of the trace, in non-decreasing order.
///
/// The handle keeps only the file's path, the column's position, the number of rows and the
/// last arrival time, so it is cheap to clone and share between parallel replications; each
/// replication streams the file through its own [`TimestampCursor`].
#[derive(Clone, Debug)]
pub struct TimestampTrace {
    /// The trace file.
    path: Arc<Path>,
    /// The timestamp column's name, as the user gave it.
    column: Arc<str>,
    /// The timestamp column's position in each row (0-based).
    column_index: usize,
    /// Number of data rows (arrivals).
    rows: u64,
    /// Arrival time of the last row.
    last: SimTime,
    /// Arrival time of the first row.
    first: SimTime,
    /// Seconds or date-times, as the first row holds.
    clock: Option<Clock>,
}

impl TimestampTrace {
    /// Opens the trace at `path` and validates it in one streaming pass: the header must name
    /// `column`, and every data row must hold a finite, non-negative number of seconds in that
    /// column, no earlier than the row before. Keeps only O(1) state.
    ///
    /// Errors: the file cannot be read ([`InputError::Io`]); no header, no column named
    /// `column` (the message lists the columns that exist) or no data rows
    /// ([`InputError::File`]); a bad or out-of-order value ([`InputError::Row`] with the 1-based
    /// data row, the column and what was expected).
    pub fn open(path: &Path, column: &str) -> InputResult<Self> {
        let mut reader = csv_reader(path)?;
        let names = read_header(path, &mut reader)?;
        let wanted = column.trim();
        let column_index = timestamp_column(path, &names, wanted)?;
        let (rows, first, last, clock) = scan_timestamps(path, &mut reader, column_index, wanted)?;
        if rows == 0 {
            return Err(InputError::file(
                path,
                "the trace has a header but no data rows: expected at least one arrival",
            ));
        }
        Ok(TimestampTrace {
            path: Arc::from(path),
            column: Arc::from(wanted),
            column_index,
            rows,
            last,
            first,
            clock,
        })
    }

    /// Number of arrivals (data rows) in the trace.
    pub fn len(&self) -> u64 {
        self.rows
    }

    /// Whether the trace has no arrivals; never true for an opened trace, which must have at
    /// least one.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The last arrival time in the trace (time zero is the start of the trace).
    pub fn last(&self) -> SimTime {
        self.last
    }

    /// The first arrival time in the trace.
    pub fn first(&self) -> SimTime {
        self.first
    }

    /// The trace file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name of the timestamp column.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// A fresh cursor at the first arrival: re-opens the file and streams it lazily, one row at
    /// a time.
    ///
    /// Errors: the file can no longer be read, or its header no longer has the timestamp
    /// column where it was when the trace was validated.
    pub fn cursor(&self) -> InputResult<TimestampCursor> {
        let mut reader = csv_reader(&self.path)?;
        let names = read_header(&self.path, &mut reader)?;
        if names.get(self.column_index).map(String::as_str) != Some(&*self.column) {
            return Err(InputError::file(
                &self.path,
                format!(
                    "the header changed since the trace was validated: column '{}' is no longer \
                     field {}",
                    self.column,
                    self.column_index + 1
                ),
            ));
        }
        Ok(TimestampCursor {
            reader,
            record: csv::ByteRecord::new(),
            column_index: self.column_index,
            remaining: self.rows,
            last: SimTime::ZERO,
            clock: self.clock,
        })
    }
}

/// A lazy pass over a [`TimestampTrace`]: reads one row per arrival into a reused record, so its
/// memory does not depend on the length of the trace.
pub struct TimestampCursor {
    /// The open file, past its header.
    reader: csv::Reader<TraceFile>,
    /// The current row, reused for every read.
    record: csv::ByteRecord,
    /// The timestamp column's position in each row.
    column_index: usize,
    /// Rows still to deliver; the cursor never yields more than the validated row count.
    remaining: u64,
    /// The previous arrival, to keep the stream non-decreasing.
    last: SimTime,
    /// The trace's clock, found when it was validated.
    clock: Option<Clock>,
}

impl TimestampCursor {
    /// The next arrival time, or `None` at the end of the trace.
    ///
    /// The file was validated when the trace was opened; if it has changed since (a read error,
    /// a value that no longer parses or is out of order), the stream ends there rather than
    /// yielding a bad time.
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        if self.remaining == 0 {
            return None;
        }
        let time = match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => self
                .record
                .get(self.column_index)
                .and_then(|field| parse_on(field, self.clock))
                .filter(|&t| t >= self.last),
            Ok(false) | Err(_) => None,
        };
        match time {
            Some(t) => {
                self.remaining -= 1;
                self.last = t;
                Some(t)
            }
            None => {
                self.remaining = 0;
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Azure Functions 2019 per-minute invocation counts
// ---------------------------------------------------------------------------------------------

/// Which function (row) of an Azure Functions 2019 invocation-count file to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AzureSelector {
    /// The first row whose `HashFunction` column equals this value.
    Function(String),
    /// The data row with this 1-based index (the header is row 0).
    Row(u64),
}

/// One function's invocations from an Azure Functions 2019 trace
/// (`invocations_per_function_md.anon.dNN.csv` of the Azure Public Dataset, described in
/// `AzurePublicDataset/AzureFunctionsDataset2019.md`).
///
/// The file's header is `HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440`, one row per
/// function, each minute column holding the number of invocations started in that minute of the
/// day. Files with fewer minute columns (`1..N`, N ≥ 1) are accepted too. Only the selected
/// row's counts are kept; they are shared (not copied) by clones and cursors.
#[derive(Clone, Debug)]
pub struct Azure2019Trace {
    /// Invocations in each minute, minute 0 first.
    per_minute: Arc<[u32]>,
    /// Sum of `per_minute`.
    total: u64,
    /// The row's `Trigger` column (`http`, `timer`, `queue`, ...).
    trigger: String,
    /// The row's `HashFunction` column.
    hash: String,
    /// The 1-based data row the function was found in.
    row: u64,
}

impl Azure2019Trace {
    /// Scans the file at `path` as a stream, checks its header, and keeps the per-minute
    /// counts of the row picked by `selector`; the rest of the file is neither stored nor
    /// checked.
    ///
    /// Errors: the file cannot be read ([`InputError::Io`]); the header is not in the Azure
    /// 2019 layout, no row matches the selector (the message says how many rows were scanned),
    /// or the row has no invocations at all ([`InputError::File`]); the selected row has the
    /// wrong number of fields or a count that is not a non-negative integer
    /// ([`InputError::Row`], naming the minute column).
    pub fn open(path: &Path, selector: &AzureSelector) -> InputResult<Self> {
        let mut reader = csv_reader(path)?;
        let names = read_header(path, &mut reader)?;
        let minutes = check_azure_header(path, &names)?;
        if let AzureSelector::Row(0) = selector {
            return Err(InputError::file(
                path,
                "function row 0 does not exist: data rows are numbered from 1 (the header is row 0)",
            ));
        }
        let mut record = csv::ByteRecord::new();
        let row = find_azure_row(path, &mut reader, &mut record, selector)?;
        let (per_minute, total) = azure_counts(path, row, &record, minutes)?;
        let hash = azure_key(&record, AZURE_HASH_COLUMN);
        let trigger = azure_key(&record, AZURE_TRIGGER_COLUMN);
        if total == 0 {
            return Err(InputError::file(
                path,
                format!(
                    "function '{hash}' (row {row}) has no invocations in any of its {minutes} \
                     minutes: the trace would be empty"
                ),
            ));
        }
        Ok(Azure2019Trace {
            per_minute: per_minute.into(),
            total,
            trigger,
            hash,
            row,
        })
    }

    /// Total number of invocations over all minutes.
    pub fn total_invocations(&self) -> u64 {
        self.total
    }

    /// Number of minutes the trace covers (1440 for a full day).
    pub fn minutes(&self) -> usize {
        self.per_minute.len()
    }

    /// The function's trigger type as given in the file (`http`, `timer`, `queue`, ...).
    pub fn trigger(&self) -> &str {
        &self.trigger
    }

    /// The function's `HashFunction` value.
    pub fn function_hash(&self) -> &str {
        &self.hash
    }

    /// The 1-based data row of the file the function was read from.
    pub fn row(&self) -> u64 {
        self.row
    }

    /// Invocations in each minute, minute 0 first.
    pub fn per_minute(&self) -> &[u32] {
        &self.per_minute
    }

    /// A fresh cursor at the start of minute 0. It holds no random number generator: the
    /// caller passes one to each [`Azure2019Cursor::next_arrival`] call, so a replication's
    /// arrivals are fixed by its own stream.
    pub fn cursor(&self) -> Azure2019Cursor {
        Azure2019Cursor {
            per_minute: Arc::clone(&self.per_minute),
            next_minute: 0,
            minute_start: 0,
            offsets: Vec::new(),
            position: 0,
        }
    }
}

/// Reads rows into `record` up to the one `selector` picks; returns its 1-based number. The
/// error says how many rows were scanned when none matches.
fn find_azure_row(
    path: &Path,
    reader: &mut csv::Reader<TraceFile>,
    record: &mut csv::ByteRecord,
    selector: &AzureSelector,
) -> InputResult<u64> {
    let mut rows: u64 = 0;
    loop {
        let row = rows + 1;
        match reader.read_byte_record(record) {
            Ok(true) => {}
            Ok(false) => {
                return Err(InputError::file(
                    path,
                    match selector {
                        AzureSelector::Function(hash) => format!(
                            "no row has HashFunction '{}' (scanned {rows} data rows)",
                            hash.trim()
                        ),
                        AzureSelector::Row(n) => format!(
                            "function row {n} does not exist: the file has {rows} data rows"
                        ),
                    },
                ));
            }
            Err(e) => return Err(csv_error(path, row, e)),
        }
        rows = row;
        let selected = match selector {
            AzureSelector::Function(hash) => record
                .get(AZURE_HASH_COLUMN)
                .is_some_and(|h| trim(h) == hash.trim().as_bytes()),
            AzureSelector::Row(n) => row == *n,
        };
        if selected {
            return Ok(row);
        }
    }
}

/// The per-minute invocation counts of the selected row `row` (as many fields as the header)
/// and their sum.
fn azure_counts(
    path: &Path,
    row: u64,
    record: &csv::ByteRecord,
    minutes: usize,
) -> InputResult<(Vec<u32>, u64)> {
    let expected_fields = AZURE_KEY_COLUMNS.len() + minutes;
    if record.len() != expected_fields {
        return Err(InputError::row(
            path,
            row,
            format!(
                "has {} fields; expected {expected_fields} like the header (HashOwner, \
                 HashApp, HashFunction, Trigger and minute columns 1..{minutes})",
                record.len()
            ),
        ));
    }
    let mut per_minute = Vec::with_capacity(minutes);
    let mut total: u64 = 0;
    for (i, field) in record.iter().enumerate().skip(AZURE_KEY_COLUMNS.len()) {
        let minute = i + 1 - AZURE_KEY_COLUMNS.len();
        let count = std::str::from_utf8(trim(field))
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|&c| c <= AZURE_MAX_PER_MINUTE)
            .ok_or_else(|| {
                InputError::row(
                    path,
                    row,
                    format!(
                        "column '{minute}': '{}' is not a valid invocation count; expected a \
                         non-negative integer (at most {AZURE_MAX_PER_MINUTE})",
                        shown(field)
                    ),
                )
            })?;
        total += u64::from(count);
        per_minute.push(count);
    }
    Ok((per_minute, total))
}

/// Key column `column` of a row (hash or trigger), trimmed; empty if missing.
fn azure_key(record: &csv::ByteRecord, column: usize) -> String {
    record
        .get(column)
        .map(|h| String::from_utf8_lossy(trim(h)).into_owned())
        .unwrap_or_default()
}

/// Checks that `names` is an Azure Functions 2019 invocation-count header and returns the number
/// of minute columns.
fn check_azure_header(path: &Path, names: &[String]) -> InputResult<usize> {
    let layout = "expected the Azure Functions 2019 layout \
                  'HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440' (minute columns 1..N in \
                  order, N >= 1)";
    for (i, expected) in AZURE_KEY_COLUMNS.iter().enumerate() {
        match names.get(i) {
            Some(name) if name == expected => {}
            found => {
                return Err(InputError::file(
                    path,
                    format!(
                        "header column {} is {}, not '{expected}': {layout}",
                        i + 1,
                        found.map_or_else(|| "missing".to_string(), |n| format!("'{n}'"))
                    ),
                ));
            }
        }
    }
    let minute_names = names.get(AZURE_KEY_COLUMNS.len()..).unwrap_or_default();
    if minute_names.is_empty() {
        return Err(InputError::file(
            path,
            format!("header has no minute columns: {layout}"),
        ));
    }
    for (i, name) in minute_names.iter().enumerate() {
        if name.parse::<usize>().ok() != Some(i + 1) {
            return Err(InputError::file(
                path,
                format!(
                    "header column {} is '{name}', expected minute '{}': {layout}",
                    i + 1 + AZURE_KEY_COLUMNS.len(),
                    i + 1
                ),
            ));
        }
    }
    Ok(minute_names.len())
}

/// A lazy pass over an [`Azure2019Trace`]: generates arrivals minute by minute, keeping only the
/// current minute's sorted offsets in one reused buffer.
pub struct Azure2019Cursor {
    /// Invocations per minute, shared with the trace.
    per_minute: Arc<[u32]>,
    /// The minute whose offsets are generated next.
    next_minute: usize,
    /// Start of the current minute, in microseconds since the start of the trace.
    minute_start: u64,
    /// Sorted offsets (microseconds into the minute) of the current minute.
    offsets: Vec<u32>,
    /// Next offset of `offsets` to deliver.
    position: usize,
}

impl Azure2019Cursor {
    /// The next arrival time, or `None` after the last minute.
    ///
    /// The `n` invocations of minute `k` arrive at `k·60 s + U₁ ≤ ... ≤ k·60 s + Uₙ`, where the
    /// `Uᵢ` are i.i.d. uniform over the minute's microseconds `[0, 60 s)`, drawn from `rng`
    /// when the minute is reached and then sorted. Arrivals are thus non-decreasing and every
    /// arrival of minute `k` lies in `[k·60 s, (k+1)·60 s)`.
    pub fn next_arrival<R: rand::Rng + ?Sized>(&mut self, rng: &mut R) -> Option<SimTime> {
        loop {
            if let Some(&offset) = self.offsets.get(self.position) {
                self.position += 1;
                return Some(SimTime(self.minute_start.saturating_add(u64::from(offset))));
            }
            let &count = self.per_minute.get(self.next_minute)?;
            self.minute_start = (self.next_minute as u64).saturating_mul(US_PER_MIN);
            self.next_minute += 1;
            self.position = 0;
            self.offsets.clear();
            self.offsets
                .extend((0..count).map(|_| rng.random_range(0..MINUTE_US_U32)));
            self.offsets.sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::io::Write;

    /// A temporary file holding `contents`.
    fn temp_file(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents).unwrap();
        file.flush().unwrap();
        file
    }

    fn all_timestamps(trace: &TimestampTrace) -> Vec<SimTime> {
        let mut cursor = trace.cursor().unwrap();
        std::iter::from_fn(|| cursor.next_arrival()).collect()
    }

    fn error_text(err: &InputError) -> String {
        err.to_string()
    }

    #[test]
    fn iso_timestamps_count_from_the_first_row_in_any_offset_or_form() {
        // 12:00:00Z; 12:00:01.5Z written with a +02:00 offset; a Logs Insights date 90 s later.
        let file = temp_file(
            b"timestamp\n2024-05-01T12:00:00Z\n2024-05-01T14:00:01.500+02:00\n\
              2024-05-01 12:01:30.000\n",
        );
        let trace = TimestampTrace::open(file.path(), "timestamp").unwrap();
        let got: Vec<u64> = all_timestamps(&trace).iter().map(|t| t.as_us()).collect();
        assert_eq!(got, vec![0, 1_500_000, 90_000_000]);
        assert_eq!(trace.last(), SimTime(90_000_000));
    }

    #[test]
    fn a_trace_mixing_seconds_and_dates_names_the_row() {
        let file = temp_file(b"timestamp\n2024-05-01T12:00:00Z\n5\n");
        let err = TimestampTrace::open(file.path(), "timestamp").unwrap_err();
        let text = error_text(&err);
        assert!(
            text.contains("row 2") && text.contains("date-times in every row"),
            "{text}"
        );
        let file = temp_file(b"timestamp\nyesterday\n");
        let text = error_text(&TimestampTrace::open(file.path(), "timestamp").unwrap_err());
        assert!(text.contains("nor an ISO-8601 date-time"), "{text}");
    }

    /// An Azure 2019 file with minute columns `1..=minutes` and the given rows of
    /// `(hash, trigger, counts)`.
    fn azure_csv(minutes: usize, rows: &[(&str, &str, Vec<String>)]) -> String {
        let mut text = String::from("HashOwner,HashApp,HashFunction,Trigger");
        for m in 1..=minutes {
            text.push_str(&format!(",{m}"));
        }
        text.push('\n');
        for (hash, trigger, counts) in rows {
            text.push_str(&format!("owner0,app0,{hash},{trigger}"));
            for c in counts {
                text.push(',');
                text.push_str(c);
            }
            text.push('\n');
        }
        text
    }

    fn counts(values: &[u32]) -> Vec<String> {
        values.iter().map(u32::to_string).collect()
    }

    #[test]
    fn timestamps_stream_back_in_order_exactly() {
        let file = temp_file(b"timestamp\n0\n0.5\n0.5\n12.25\n 3600.000001 \n\"7200\"\n");
        let trace = TimestampTrace::open(file.path(), "timestamp").unwrap();
        assert_eq!(trace.len(), 6);
        assert!(!trace.is_empty());
        assert_eq!(trace.last(), SimTime(7_200_000_000));
        let expected = [
            0,
            500_000,
            500_000,
            12_250_000,
            3_600_000_001,
            7_200_000_000,
        ];
        assert_eq!(
            all_timestamps(&trace),
            expected.map(SimTime).to_vec(),
            "first pass"
        );
        // Every cursor starts again from the beginning.
        assert_eq!(
            all_timestamps(&trace.clone()),
            expected.map(SimTime).to_vec()
        );
    }

    #[test]
    fn named_column_is_read_among_others() {
        let file = temp_file(b"id,arrival_s,fn\na,1.5,f\nb,2,g\n");
        let trace = TimestampTrace::open(file.path(), "arrival_s").unwrap();
        assert_eq!(
            all_timestamps(&trace),
            vec![SimTime(1_500_000), SimTime(2_000_000)]
        );
        assert_eq!(trace.column(), "arrival_s");
    }

    #[test]
    fn byte_order_mark_before_the_header_is_ignored() {
        let file = temp_file(b"\xEF\xBB\xBFtimestamp\n1\n");
        let trace = TimestampTrace::open(file.path(), DEFAULT_TIMESTAMP_COLUMN).unwrap();
        assert_eq!(trace.len(), 1);
    }

    #[test]
    fn out_of_order_row_is_reported_with_its_row_number() {
        let file = temp_file(b"timestamp\n1\n2\n3\n2.5\n4\n");
        let err = TimestampTrace::open(file.path(), "timestamp").unwrap_err();
        match &err {
            InputError::Row { row, message, .. } => {
                assert_eq!(*row, 4);
                assert!(message.contains("earlier"), "{message}");
                assert!(message.contains("non-decreasing"), "{message}");
            }
            other => panic!("expected a row error, got {other:?}"),
        }
        assert!(error_text(&err).contains(&file.path().display().to_string()));
    }

    #[test]
    fn non_numeric_timestamp_names_row_and_column() {
        let file = temp_file(b"id,ts\n1,0.5\n2,1.0\n3,soon\n");
        let err = TimestampTrace::open(file.path(), "ts").unwrap_err();
        let text = error_text(&err);
        assert!(matches!(err, InputError::Row { row: 3, .. }), "{err:?}");
        assert!(text.contains("row 3"), "{text}");
        assert!(text.contains("'ts'"), "{text}");
        assert!(text.contains("'soon'"), "{text}");
        assert!(text.contains("seconds"), "{text}");
    }

    #[test]
    fn negative_nan_infinite_empty_and_huge_timestamps_are_rejected() {
        for (value, what) in [
            ("-1", "negative"),
            ("NaN", "finite"),
            ("inf", "finite"),
            ("-infinity", "finite"),
            ("", "empty"),
            ("1e300", "too large"),
        ] {
            let file = temp_file(format!("timestamp,x\n0,a\n{value},b\n").as_bytes());
            let err = TimestampTrace::open(file.path(), "timestamp").unwrap_err();
            match &err {
                InputError::Row { row, message, .. } => {
                    assert_eq!(*row, 2, "{value}");
                    assert!(message.contains(what), "{value}: {message}");
                }
                other => panic!("{value}: expected a row error, got {other:?}"),
            }
        }
    }

    #[test]
    fn row_too_short_for_the_column_is_reported() {
        let file = temp_file(b"id,timestamp\n1,0\n2\n");
        let err = TimestampTrace::open(file.path(), "timestamp").unwrap_err();
        assert!(matches!(err, InputError::Row { row: 2, .. }), "{err:?}");
        assert!(error_text(&err).contains("'timestamp'"));
    }

    #[test]
    fn empty_trace_is_an_error() {
        let header_only = temp_file(b"timestamp\n");
        let err = TimestampTrace::open(header_only.path(), "timestamp").unwrap_err();
        assert!(matches!(err, InputError::File { .. }), "{err:?}");
        assert!(error_text(&err).contains("no data rows"));

        let no_bytes = temp_file(b"");
        let err = TimestampTrace::open(no_bytes.path(), "timestamp").unwrap_err();
        assert!(matches!(err, InputError::File { .. }), "{err:?}");
        assert!(error_text(&err).contains("empty"));
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.csv");
        let err = TimestampTrace::open(&path, "timestamp").unwrap_err();
        assert!(matches!(err, InputError::Io { .. }), "{err:?}");
        assert!(error_text(&err).contains("nope.csv"));
        let err = Azure2019Trace::open(&path, &AzureSelector::Row(1)).unwrap_err();
        assert!(matches!(err, InputError::Io { .. }), "{err:?}");
    }

    #[test]
    fn missing_column_lists_available_columns() {
        let file = temp_file(b"time,function\n1,f\n");
        let err = TimestampTrace::open(file.path(), "timestamp").unwrap_err();
        assert!(matches!(err, InputError::File { .. }), "{err:?}");
        let text = error_text(&err);
        assert!(text.contains("'timestamp'"), "{text}");
        assert!(text.contains("'time', 'function'"), "{text}");
    }

    #[test]
    fn cursor_ends_the_stream_when_the_file_changes_underneath() {
        let file = temp_file(b"timestamp\n1\n2\n3\n4\n");
        let trace = TimestampTrace::open(file.path(), "timestamp").unwrap();
        // Now out of order and longer than validated: the stream stops at the bad row.
        std::fs::write(file.path(), b"timestamp\n1\n0.5\n3\n4\n5\n6\n").unwrap();
        assert_eq!(all_timestamps(&trace), vec![SimTime(1_000_000)]);
        // Longer than validated: only the validated number of rows is delivered.
        std::fs::write(file.path(), b"timestamp\n1\n2\n3\n4\n5\n6\n").unwrap();
        assert_eq!(all_timestamps(&trace).len(), 4);
        // Header changed: no cursor.
        std::fs::write(file.path(), b"other\n1\n").unwrap();
        assert!(matches!(trace.cursor(), Err(InputError::File { .. })));
        // File gone: an I/O error.
        std::fs::remove_file(file.path()).unwrap();
        assert!(matches!(trace.cursor(), Err(InputError::Io { .. })));
    }

    #[test]
    fn azure_counts_give_exactly_that_many_arrivals_per_minute() {
        let per_minute = [3u32, 0, 5, 1, 0, 0, 7, 2];
        let text = azure_csv(
            per_minute.len(),
            &[
                ("synthetic00", "timer", counts(&[1; 8])),
                ("synthetic01", "http", counts(&per_minute)),
            ],
        );
        let file = temp_file(text.as_bytes());
        let trace =
            Azure2019Trace::open(file.path(), &AzureSelector::Function("synthetic01".into()))
                .unwrap();
        assert_eq!(trace.minutes(), 8);
        assert_eq!(trace.total_invocations(), 18);
        assert_eq!(trace.trigger(), "http");
        assert_eq!(trace.function_hash(), "synthetic01");
        assert_eq!(trace.row(), 2);
        assert_eq!(trace.per_minute(), &per_minute);

        for seed in 0..20 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut cursor = trace.cursor();
            let mut seen = [0u32; 8];
            let mut previous = SimTime::ZERO;
            while let Some(t) = cursor.next_arrival(&mut rng) {
                assert!(t >= previous, "arrivals must not go back in time");
                previous = t;
                let minute = (t.as_us() / US_PER_MIN) as usize;
                assert!(minute < 8, "arrival {t} past the trace");
                assert!(t.as_us() >= minute as u64 * 60 * US_PER_S);
                assert!(t.as_us() < (minute as u64 + 1) * 60 * US_PER_S);
                seen[minute] += 1;
            }
            assert_eq!(seen, per_minute, "seed {seed}");
            assert_eq!(cursor.next_arrival(&mut rng), None, "stays at the end");
        }
    }

    #[test]
    fn azure_same_seed_gives_same_arrivals() {
        let file = temp_file(azure_csv(3, &[("h", "queue", counts(&[4, 0, 9]))]).as_bytes());
        let trace = Azure2019Trace::open(file.path(), &AzureSelector::Row(1)).unwrap();
        let run = |seed| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut cursor = trace.cursor();
            std::iter::from_fn(|| cursor.next_arrival(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert_eq!(run(7).len(), 13);
    }

    #[test]
    fn azure_row_selector_picks_the_numbered_row() {
        let text = azure_csv(
            2,
            &[
                ("a", "http", counts(&[1, 0])),
                ("b", "timer", counts(&[0, 2])),
                ("c", "queue", counts(&[3, 3])),
            ],
        );
        let file = temp_file(text.as_bytes());
        let trace = Azure2019Trace::open(file.path(), &AzureSelector::Row(2)).unwrap();
        assert_eq!(trace.function_hash(), "b");
        assert_eq!(trace.trigger(), "timer");
        assert_eq!(trace.total_invocations(), 2);

        let err = Azure2019Trace::open(file.path(), &AzureSelector::Row(4)).unwrap_err();
        assert!(error_text(&err).contains("has 3 data rows"), "{err}");
        let err = Azure2019Trace::open(file.path(), &AzureSelector::Row(0)).unwrap_err();
        assert!(matches!(err, InputError::File { .. }), "{err:?}");
    }

    #[test]
    fn azure_unknown_function_is_an_error() {
        let text = azure_csv(
            2,
            &[
                ("a", "http", counts(&[1, 0])),
                ("b", "timer", counts(&[0, 2])),
            ],
        );
        let file = temp_file(text.as_bytes());
        let err =
            Azure2019Trace::open(file.path(), &AzureSelector::Function("zzz".into())).unwrap_err();
        assert!(matches!(err, InputError::File { .. }), "{err:?}");
        let text = error_text(&err);
        assert!(text.contains("'zzz'"), "{text}");
        assert!(text.contains("scanned 2 data rows"), "{text}");
    }

    #[test]
    fn azure_malformed_count_names_row_and_column() {
        for bad in ["-1", "2.5", "x", "", "99999999999"] {
            let mut row = counts(&[1, 2, 3, 4]);
            row[2] = bad.to_string();
            let text = azure_csv(4, &[("a", "http", counts(&[1; 4])), ("b", "http", row)]);
            let file = temp_file(text.as_bytes());
            let err = Azure2019Trace::open(file.path(), &AzureSelector::Function("b".into()))
                .unwrap_err();
            match &err {
                InputError::Row { row, message, .. } => {
                    assert_eq!(*row, 2, "{bad}");
                    assert!(message.contains("column '3'"), "{bad}: {message}");
                    assert!(message.contains("non-negative integer"), "{bad}: {message}");
                }
                other => panic!("{bad}: expected a row error, got {other:?}"),
            }
        }
    }

    #[test]
    fn azure_ragged_selected_row_is_an_error_but_other_rows_are_not_checked() {
        let mut text = azure_csv(3, &[("good", "http", counts(&[1, 2, 3]))]);
        text.push_str("o,a,short,http,1\n");
        text.push_str("o,a,junk\n");
        let file = temp_file(text.as_bytes());
        let trace =
            Azure2019Trace::open(file.path(), &AzureSelector::Function("good".into())).unwrap();
        assert_eq!(trace.total_invocations(), 6);
        let err = Azure2019Trace::open(file.path(), &AzureSelector::Function("short".into()))
            .unwrap_err();
        assert!(matches!(err, InputError::Row { row: 2, .. }), "{err:?}");
        assert!(
            error_text(&err).contains("has 5 fields; expected 7"),
            "{err}"
        );
    }

    #[test]
    fn azure_all_zero_row_is_an_empty_trace() {
        let file = temp_file(azure_csv(3, &[("z", "timer", counts(&[0, 0, 0]))]).as_bytes());
        let err = Azure2019Trace::open(file.path(), &AzureSelector::Row(1)).unwrap_err();
        assert!(matches!(err, InputError::File { .. }), "{err:?}");
        assert!(error_text(&err).contains("no invocations"), "{err}");
    }

    #[test]
    fn azure_header_must_follow_the_layout() {
        for header in [
            "HashOwner,HashApp,HashFunction,Trigger",
            "HashOwner,HashApp,HashFunction,Trigger,1,3",
            "HashOwner,HashApp,HashFunction,Trigger,0,1",
            "HashOwner,HashApp,Function,Trigger,1,2",
            "HashApp,HashFunction,Trigger,1,2",
            "timestamp",
        ] {
            let file = temp_file(format!("{header}\no,a,f,http,1,2\n").as_bytes());
            let err = Azure2019Trace::open(file.path(), &AzureSelector::Row(1)).unwrap_err();
            assert!(matches!(err, InputError::File { .. }), "{header}: {err:?}");
            assert!(error_text(&err).contains("Azure Functions 2019"), "{err}");
        }
    }

    #[test]
    fn azure_arrivals_are_uniform_within_the_minute() {
        const N: u32 = 10_000;
        let file = temp_file(azure_csv(2, &[("busy", "http", counts(&[0, N]))]).as_bytes());
        let trace = Azure2019Trace::open(file.path(), &AzureSelector::Row(1)).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2019);
        let mut cursor = trace.cursor();
        let offsets: Vec<f64> = std::iter::from_fn(|| cursor.next_arrival(&mut rng))
            .map(|t| t.as_secs_f64() - 60.0)
            .collect();
        assert_eq!(offsets.len(), N as usize);
        assert!(offsets.iter().all(|&s| (0.0..60.0).contains(&s)));
        let mean = offsets.iter().sum::<f64>() / f64::from(N);
        // Uniform on [0, 60): sd = 60/sqrt(12); standard error of the mean = sd/sqrt(N).
        let standard_error = 60.0 / 12f64.sqrt() / f64::from(N).sqrt();
        assert!(
            (mean - 30.0).abs() < 3.0 * standard_error,
            "mean offset {mean} s, expected 30 s ± {}",
            3.0 * standard_error
        );
        // Each 10 s sixth of the minute holds about a sixth of the arrivals (binomial sd ≈ 37).
        for sixth in 0..6 {
            let lo = f64::from(sixth) * 10.0;
            let n = offsets
                .iter()
                .filter(|&&s| s >= lo && s < lo + 10.0)
                .count() as f64;
            assert!(
                (n - f64::from(N) / 6.0).abs() < 4.0 * 37.3,
                "bin {sixth}: {n}"
            );
        }
    }

    #[test]
    fn nothing_panics_on_garbage() {
        let garbage: [&[u8]; 8] = [
            b"\x00\x01\x02\xff\xfe\xfd\n\x80\x81,\x82\n\xc3\x28\n",
            b"timestamp\n\xff\xfe\n",
            b"timestamp,x\n1,2,3,4\n\n\n5\n,,,,\n",
            b"timestamp\n",
            b"HashOwner,HashApp,HashFunction,Trigger,1,2\n",
            b"HashOwner,HashApp,HashFunction,Trigger,1,2\no\na,b\n,,,,,,,,,\n\"unterminated",
            b"\"\"\"\n\"",
            b"\n\n\n",
        ];
        for bytes in garbage {
            let file = temp_file(bytes);
            let _ = TimestampTrace::open(file.path(), "timestamp").map(|t| all_timestamps(&t));
            for selector in [
                AzureSelector::Row(1),
                AzureSelector::Row(u64::MAX),
                AzureSelector::Function(String::new()),
                AzureSelector::Function("o".into()),
            ] {
                if let Ok(trace) = Azure2019Trace::open(file.path(), &selector) {
                    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
                    let mut cursor = trace.cursor();
                    while cursor.next_arrival(&mut rng).is_some() {}
                }
            }
        }
    }

    #[test]
    fn shipped_sample_traces_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/traces");
        let small = TimestampTrace::open(&dir.join("small-timestamps.csv"), "timestamp").unwrap();
        assert!(small.len() >= 500, "{}", small.len());
        assert!(small.last().as_secs_f64() > 3600.0);
        let times = all_timestamps(&small);
        assert_eq!(times.len() as u64, small.len());
        let longest_gap = times
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default();
        assert!(longest_gap.as_secs_f64() > 600.0, "needs a cold-start gap");

        let azure = dir.join("azure2019-sample.csv");
        let mut triggers = Vec::new();
        for row in 1..=3 {
            let trace = Azure2019Trace::open(&azure, &AzureSelector::Row(row)).unwrap();
            assert_eq!(trace.minutes(), 1440);
            let by_hash = Azure2019Trace::open(
                &azure,
                &AzureSelector::Function(trace.function_hash().to_string()),
            )
            .unwrap();
            assert_eq!(by_hash.per_minute(), trace.per_minute());
            triggers.push(trace.trigger().to_string());
        }
        assert_eq!(triggers, ["http", "timer", "queue"]);
    }
}
