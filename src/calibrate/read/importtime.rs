//! Import timings from `python -X importtime`, raw or tabulated.
//!
//! CPython prints one line per import, *after* the import finishes, so a module comes after
//! the modules it imported (its children, one level deeper):
//!
//! ```text
//! import time: self [us] | cumulative | imported package
//! import time:       274 |        274 |   _io
//! import time:       777 |       1475 | _frozen_importlib_external
//! ```
//!
//! Self and cumulative times are microseconds (each rounded up, so a parent's cumulative time
//! equals its self time plus its children's cumulative times to within minus the number of
//! children, plus zero µs). After the second `|` comes one space, then two spaces per depth.
//!
//! Forms read:
//! - raw text ([`read_importtime_text`]), possibly with CloudWatch prefixes before
//!   `import time:`. Trace boundaries: a header line (`import time: self [us] | …`, which
//!   CPython prints once per process, at its first import) or an `INIT_START` line (Lambda
//!   starts a new runtime process) ends the current trace and starts a new one. A module name
//!   repeating inside a trace is *not* a boundary: failed imports (`try: import x except
//!   ImportError`) are printed at each attempt, and real traces repeat names. Traces are keyed
//!   by their ordinal (`trace` = "1", "2", …).
//! - the profile table ([`read_importtime_profiles`], e.g.
//!   `datasci-perf/importtime_profiles_2023-12-08_us.csv`): columns `self_us`, `cumulative_us`,
//!   `depth`, `module`, optionally `line_no` (events are put in `line_no` order); every other
//!   column is part of the trace key (`function_name, packaging, python_version, memory_mb,
//!   log_stream`), one trace per distinct key.
//! - tables with one time per module ([`read_import_table`]:
//!   `importtime_toplevel_2023-11-23_us.csv` with `order`, and `import_measure_2023-11-24_us.csv`
//!   without): columns `module`, `import_time_us`, optionally `order`; every other column is
//!   the key. These give only the cumulative time of top-level imports: events have depth 0, no
//!   parent, `self_us == cumulative_us`, and the trace has `self_known == false`.
//!
//! Truncation: a trace whose last event is not at depth 0 was cut short (the README of the
//! data says the image profiles hit a query row limit): `truncated` is set and a note added.
//!
//! Parents: an event's children are the parentless events one level deeper printed since the
//! previous event at its depth or shallower. Events deeper than that (two or more levels) that
//! are still parentless when a shallower event arrives cannot have a parent in a well-formed
//! trace; they are counted in `orphans` (lines out of order in the export, as in several
//! streams of the profile table) and keep `parent == None`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::calibrate::Diagnostics;
use crate::error::InputResult;

use super::{clip, column, csv_header, csv_reader, lines, next_record, read_all};

/// One line of `-X importtime` output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportEvent {
    /// Fully qualified module name.
    pub module: String,
    /// Time in the module's own top-level code, µs (equals `cumulative_us` when the source
    /// gives only one time, see [`ImportTrace::self_known`]).
    pub self_us: u64,
    /// Time including the modules it imported, µs.
    pub cumulative_us: u64,
    /// Nesting depth (0 = imported by the top-level code).
    pub depth: u32,
    /// Index in [`ImportTrace::events`] of the module that imported this one.
    pub parent: Option<u32>,
}

/// The imports of one cold start (one runtime process).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportTrace {
    /// Values of [`ImportTraces::key_columns`] for this trace.
    pub key: Vec<String>,
    /// The trace does not end at depth 0: it was cut short.
    pub truncated: bool,
    /// `self_us` is measured (raw text, profile table); false for one-time-per-module tables.
    pub self_known: bool,
    /// Events whose parent could not be found although their depth says they have one (lines
    /// out of order, or the start of the trace missing).
    pub orphans: u32,
    /// Events in print order (children before parents).
    pub events: Vec<ImportEvent>,
}

/// All traces of a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportTraces {
    /// Names of the key fields (`trace` for raw text).
    pub key_columns: Vec<String>,
    /// Traces, in order of first appearance.
    pub traces: Vec<ImportTrace>,
    /// Per-trace remarks (truncated, orphans) that are not row warnings.
    pub notes: Vec<String>,
    /// Rows (lines) read, records (= events), ignored lines and row warnings; for every form
    /// `records + ignored + warnings == rows_read`.
    pub diagnostics: Diagnostics,
}

impl ImportTraces {
    /// The trace whose key starts with `prefix` (first match).
    pub fn find(&self, prefix: &[&str]) -> Option<&ImportTrace> {
        self.traces
            .iter()
            .find(|t| prefix.len() <= t.key.len() && t.key.iter().zip(prefix).all(|(a, b)| a == b))
    }
}

/// Builds a trace from events in print order: links parents, counts orphans, sets `truncated`.
pub fn build_trace(
    key: Vec<String>,
    mut events: Vec<ImportEvent>,
    self_known: bool,
) -> ImportTrace {
    // Parentless events so far, in print order. Their depths never decrease along the stack
    // (an event takes every deeper one off before it goes on), so the events a new one adopts
    // or orphans are a suffix: each event is pushed and popped once, linear in the trace.
    let mut pending: Vec<usize> = Vec::new();
    let mut orphans = 0u32;
    for i in 0..events.len() {
        let d = events[i].depth;
        while let Some(&j) = pending.last() {
            let dj = events[j].depth;
            if dj <= d {
                break;
            }
            pending.pop();
            if dj == d.saturating_add(1) {
                events[j].parent = Some(i as u32);
            } else {
                orphans += 1;
            }
        }
        pending.push(i);
    }
    // Events still pending at a depth > 0 at the end: their parent was never printed
    // (truncation), which `truncated` reports; not counted as orphans.
    let truncated = events.last().is_some_and(|e| e.depth > 0);
    ImportTrace {
        key,
        truncated,
        self_known,
        orphans,
        events,
    }
}

fn note_trace(notes: &mut Vec<String>, t: &ImportTrace) {
    if t.truncated {
        notes.push(format!(
            "trace {}: truncated (ends at depth {} after {} imports)",
            t.key.join("/"),
            t.events.last().map_or(0, |e| e.depth),
            t.events.len()
        ));
    }
    if t.orphans > 0 {
        notes.push(format!(
            "trace {}: {} imports have no parent although their depth needs one (lines out of order?)",
            t.key.join("/"),
            t.orphans
        ));
    }
}

/// Parses raw `-X importtime` text (see the module docs for trace boundaries). Lines without
/// `import time:` are ignored; a timing line that does not parse (numbers, odd indentation,
/// no module name, not UTF-8) is a warning and skipped.
pub fn read_importtime_text(bytes: &[u8], _path: &Path) -> InputResult<ImportTraces> {
    let mut out = ImportTraces {
        key_columns: vec!["trace".to_string()],
        ..Default::default()
    };
    let mut current: Vec<ImportEvent> = Vec::new();
    let flush = |current: &mut Vec<ImportEvent>, out: &mut ImportTraces| {
        if !current.is_empty() {
            let key = vec![(out.traces.len() + 1).to_string()];
            let t = build_trace(key, std::mem::take(current), true);
            note_trace(&mut out.notes, &t);
            out.traces.push(t);
        }
    };
    for (i, raw) in lines(bytes).enumerate() {
        let line = i as u64 + 1;
        out.diagnostics.rows_read += 1;
        let Ok(text) = std::str::from_utf8(raw) else {
            if String::from_utf8_lossy(raw).contains("import time:") {
                out.diagnostics
                    .warn(line, "import time line is not valid UTF-8");
            } else {
                out.diagnostics.ignored += 1;
            }
            continue;
        };
        let Some(at) = text.find("import time:") else {
            if text.contains("INIT_START") {
                flush(&mut current, &mut out);
            }
            out.diagnostics.ignored += 1;
            continue;
        };
        let rest = &text[at + "import time:".len()..];
        if rest.trim_start().starts_with("self [us]") {
            flush(&mut current, &mut out);
            out.diagnostics.ignored += 1;
            continue;
        }
        match parse_line(rest) {
            Ok(ev) => {
                out.diagnostics.records += 1;
                current.push(ev);
            }
            Err(m) => out.diagnostics.warn(line, m),
        }
    }
    flush(&mut current, &mut out);
    Ok(out)
}

/// `      274 |        274 |   _io` → an event.
fn parse_line(rest: &str) -> Result<ImportEvent, String> {
    let mut parts = rest.splitn(3, '|');
    let (Some(s), Some(c), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("import time line: expected `self | cumulative | module`".to_string());
    };
    let num = |what: &str, t: &str| -> Result<u64, String> {
        t.trim().parse::<u64>().map_err(|_| {
            format!(
                "import time {what} `{}` is not a whole number of µs",
                clip(t.trim())
            )
        })
    };
    let self_us = num("self", s)?;
    let cumulative_us = num("cumulative", c)?;
    // A console export may close the line with a quote.
    let name = name.trim_end().trim_end_matches('"').trim_end();
    let Some(indented) = name.strip_prefix(' ') else {
        return Err("import time line: expected a space after the second `|`".to_string());
    };
    let module = indented.trim_start_matches(' ');
    let spaces = indented.len() - module.len();
    if spaces % 2 != 0 {
        return Err(format!(
            "import time line: indentation of {spaces} spaces is not a multiple of 2"
        ));
    }
    if module.is_empty() || module.contains(char::is_whitespace) {
        return Err(format!(
            "import time line: bad module name `{}`",
            clip(module)
        ));
    }
    if cumulative_us < self_us {
        return Err(format!(
            "import time line: cumulative {cumulative_us} µs is less than self {self_us} µs"
        ));
    }
    Ok(ImportEvent {
        module: module.to_string(),
        self_us,
        cumulative_us,
        depth: (spaces / 2) as u32,
        parent: None,
    })
}

/// A microsecond cell: a whole number, or a finite non-negative decimal (rounded).
fn micros(f: &[u8]) -> Result<u64, String> {
    let t = std::str::from_utf8(f)
        .map_err(|_| "is not valid UTF-8".to_string())?
        .trim();
    if let Ok(v) = t.parse::<u64>() {
        return Ok(v);
    }
    let v = super::parse_nonneg(t.as_bytes())?;
    if v >= u64::MAX as f64 {
        return Err(format!("`{}` is too large", clip(t)));
    }
    Ok(v.round() as u64)
}

/// Rows grouped into traces by key, with their sort position and event.
type Grouped = BTreeMap<usize, (Vec<String>, Vec<(u64, u64, ImportEvent)>)>;

/// Positions in the header of the value columns (required), the optional columns, and the
/// key columns (all the others).
struct TableColumns {
    values: Vec<usize>,
    optional: Vec<Option<usize>>,
    keys: Vec<usize>,
}

impl TableColumns {
    /// Finds the columns; a missing value column is an error naming it.
    fn locate(
        header: &[String],
        value_cols: &[&str],
        optional: &[&str],
        path: &Path,
    ) -> InputResult<Self> {
        let values: Vec<usize> = value_cols
            .iter()
            .map(|c| column(header, c, path))
            .collect::<InputResult<_>>()?;
        let opt: Vec<Option<usize>> = optional
            .iter()
            .map(|c| header.iter().position(|h| h == c))
            .collect();
        let keys: Vec<usize> = (0..header.len())
            .filter(|&i| {
                !value_cols.contains(&header[i].as_str()) && !optional.contains(&header[i].as_str())
            })
            .collect();
        Ok(TableColumns {
            values,
            optional: opt,
            keys,
        })
    }
}

/// Events grouped into traces by the key columns' cells, traces numbered in order of first
/// appearance.
#[derive(Default)]
struct TraceGroups {
    by_key: BTreeMap<Vec<u8>, usize>,
    grouped: Grouped,
    kbuf: Vec<u8>,
}

impl TraceGroups {
    /// Adds event `ev` of data row `row` (sort position `pos`, else the row) to the trace of
    /// its key.
    fn add(
        &mut self,
        rec: &csv::ByteRecord,
        keys: &[usize],
        pos: Option<u64>,
        row: u64,
        ev: ImportEvent,
    ) {
        self.kbuf.clear();
        for &i in keys {
            let f = rec.get(i).unwrap_or_default();
            self.kbuf.extend_from_slice(&(f.len() as u32).to_le_bytes());
            self.kbuf.extend_from_slice(f);
        }
        let n = self.by_key.len();
        let t = *self.by_key.entry(self.kbuf.clone()).or_insert(n);
        let entry = self.grouped.entry(t).or_insert_with(|| {
            (
                keys.iter()
                    .map(|&i| {
                        String::from_utf8_lossy(rec.get(i).unwrap_or_default())
                            .trim()
                            .to_string()
                    })
                    .collect(),
                Vec::new(),
            )
        });
        entry.1.push((pos.unwrap_or(row), row, ev));
    }

    /// Each trace's events sorted by position (then row), built into `out`'s traces.
    fn finish(self, self_known: bool, out: &mut ImportTraces) {
        for (_, (key, mut evs)) in self.grouped {
            evs.sort_by_key(|(pos, row, _)| (*pos, *row));
            let t = build_trace(
                key,
                evs.into_iter().map(|(_, _, e)| e).collect(),
                self_known,
            );
            note_trace(&mut out.notes, &t);
            out.traces.push(t);
        }
    }
}

/// Shared body of the two CSV forms: `event` turns a row into (sort position, event).
fn read_table(
    bytes: &[u8],
    path: &Path,
    value_cols: &[&str],
    optional: &[&str],
    self_known: bool,
    event: impl Fn(
        &csv::ByteRecord,
        &[usize],
        &[Option<usize>],
    ) -> Result<(Option<u64>, ImportEvent), String>,
) -> InputResult<ImportTraces> {
    let mut rdr = csv_reader(bytes);
    let header = csv_header(&mut rdr, path)?;
    let cols = TableColumns::locate(&header, value_cols, optional, path)?;
    let mut out = ImportTraces {
        key_columns: cols.keys.iter().map(|&i| header[i].clone()).collect(),
        ..Default::default()
    };
    let mut groups = TraceGroups::default();
    let mut rec = csv::ByteRecord::new();
    let mut row = 0u64;
    while next_record(&mut rdr, &mut rec, row + 1, path)? {
        row += 1;
        out.diagnostics.rows_read += 1;
        if rec.len() != header.len() {
            out.diagnostics.warn(
                row,
                format!(
                    "row has {} fields, the header has {}",
                    rec.len(),
                    header.len()
                ),
            );
            continue;
        }
        match event(&rec, &cols.values, &cols.optional) {
            Ok((pos, ev)) => {
                groups.add(&rec, &cols.keys, pos, row, ev);
                out.diagnostics.records += 1;
            }
            Err(m) => out.diagnostics.warn(row, m),
        }
    }
    groups.finish(self_known, &mut out);
    Ok(out)
}

/// Reads the profile table (`self_us, cumulative_us, depth, module`, optional `line_no`, the
/// other columns the key). A row with a bad cell is a warning and skipped. Errors: no header,
/// a required column missing.
pub fn read_importtime_profiles(bytes: &[u8], path: &Path) -> InputResult<ImportTraces> {
    read_table(
        bytes,
        path,
        &["self_us", "cumulative_us", "depth", "module"],
        &["line_no"],
        true,
        |rec, idx, opt| {
            let cell = |i: usize| rec.get(i).unwrap_or_default();
            let self_us = micros(cell(idx[0])).map_err(|e| format!("self_us {e}"))?;
            let cumulative_us = micros(cell(idx[1])).map_err(|e| format!("cumulative_us {e}"))?;
            let dt = String::from_utf8_lossy(cell(idx[2]));
            let depth: u32 = dt
                .trim()
                .parse()
                .map_err(|_| format!("depth `{}` is not a whole number", clip(dt.trim())))?;
            let module = module_cell(cell(idx[3]))?;
            if cumulative_us < self_us {
                return Err(format!(
                    "cumulative_us {cumulative_us} is less than self_us {self_us}; a module's \
                     cumulative time includes its own"
                ));
            }
            let pos = match opt[0] {
                None => None,
                Some(i) => {
                    let t = String::from_utf8_lossy(cell(i));
                    Some(t.trim().parse::<u64>().map_err(|_| {
                        format!("line_no `{}` is not a whole number", clip(t.trim()))
                    })?)
                }
            };
            Ok((
                pos,
                ImportEvent {
                    module,
                    self_us,
                    cumulative_us,
                    depth,
                    parent: None,
                },
            ))
        },
    )
}

fn module_cell(f: &[u8]) -> Result<String, String> {
    let m = std::str::from_utf8(f)
        .map_err(|_| "module is not valid UTF-8".to_string())?
        .trim();
    if m.is_empty() {
        return Err("module is blank".to_string());
    }
    Ok(m.to_string())
}

/// Reads a one-time-per-module table (`module, import_time_us`, optional `order` giving the
/// event order; the other columns the key). See the module docs for what the events hold.
pub fn read_import_table(bytes: &[u8], path: &Path) -> InputResult<ImportTraces> {
    read_table(
        bytes,
        path,
        &["module", "import_time_us"],
        &["order"],
        false,
        |rec, idx, opt| {
            let cell = |i: usize| rec.get(i).unwrap_or_default();
            let module = module_cell(cell(idx[0]))?;
            let t = micros(cell(idx[1])).map_err(|e| format!("import_time_us {e}"))?;
            let pos =
                match opt[0] {
                    None => None,
                    Some(i) => {
                        let s = String::from_utf8_lossy(cell(i));
                        Some(s.trim().parse::<u64>().map_err(|_| {
                            format!("order `{}` is not a whole number", clip(s.trim()))
                        })?)
                    }
                };
            Ok((
                pos,
                ImportEvent {
                    module,
                    self_us: t,
                    cumulative_us: t,
                    depth: 0,
                    parent: None,
                },
            ))
        },
    )
}

/// [`read_importtime_profiles`] of the file at `path`.
pub fn read_importtime_profiles_file(path: &Path) -> InputResult<ImportTraces> {
    read_importtime_profiles(&read_all(path)?, path)
}

/// [`read_import_table`] of the file at `path`.
pub fn read_import_table_file(path: &Path) -> InputResult<ImportTraces> {
    read_import_table(&read_all(path)?, path)
}

/// Reads any of the three forms, chosen by content: a CSV header with `cumulative_us` → profile
/// table; with `import_time_us` → one-time-per-module table; otherwise raw text.
pub fn read_importtime_any(bytes: &[u8], path: &Path) -> InputResult<ImportTraces> {
    let first = lines(bytes).next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    let cols: Vec<&str> = first.split(',').map(str::trim).collect();
    if cols.contains(&"cumulative_us") {
        read_importtime_profiles(bytes, path)
    } else if cols.contains(&"import_time_us") {
        read_import_table(bytes, path)
    } else {
        read_importtime_text(bytes, path)
    }
}

/// [`read_importtime_any`] of the file at `path`.
pub fn read_importtime_file(path: &Path) -> InputResult<ImportTraces> {
    read_importtime_any(&read_all(path)?, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_parsing() {
        let e = parse_line("       274 |        274 |   _io").unwrap();
        assert_eq!(
            (e.self_us, e.cumulative_us, e.depth, e.module.as_str()),
            (274, 274, 1, "_io")
        );
        let e = parse_line("  777 |       1475 | _frozen_importlib_external").unwrap();
        assert_eq!(e.depth, 0);
        assert!(parse_line(" 1 | 2 |  odd").is_err());
        assert!(parse_line(" x | 2 | a").is_err());
        assert!(parse_line(" 3 | 2 | a").is_err());
        assert!(parse_line(" 1 | 2 |").is_err());
        assert_eq!(parse_line(" 1 | 2 |   m\"").unwrap().module, "m");
    }

    /// Depths 0, 1, ..., n-1 then one event at depth 0: the last event adopts the depth-1
    /// event and the n-2 deeper ones are orphans. The old scan copied the pending list at
    /// every event (n²/2 = 5·10⁹ copies here); linear, this takes milliseconds.
    #[test]
    fn deep_nesting_is_linear_and_links_exactly() {
        let n: u64 = 100_000;
        let mut csv = String::from("trace,self_us,cumulative_us,depth,module\n");
        for d in 0..n {
            csv += &format!("a,1,1,{d},m{d}\n");
        }
        csv += &format!("a,1,{n},0,top\n");
        let start = std::time::Instant::now();
        let traces = read_importtime_profiles(csv.as_bytes(), Path::new("deep.csv")).unwrap();
        let elapsed = start.elapsed();
        let t = &traces.traces[0];
        assert_eq!(t.events.len() as u64, n + 1);
        assert_eq!(t.orphans as u64, n - 2);
        assert_eq!(t.events[1].parent, Some(n as u32));
        assert_eq!(t.events[2].parent, None);
        assert!(!t.truncated);
        assert!(elapsed.as_secs_f64() < 2.0, "took {elapsed:?}");
    }

    /// Raw text nested 2,000 deep (4 MB of indentation): every event but the first is the
    /// child of the one printed after it, read in well under a second.
    #[test]
    fn deep_raw_text_chain_links_each_to_the_next() {
        let n = 2_000usize;
        let mut text = String::new();
        for d in (0..n).rev() {
            text += &format!("import time: 1 | {} | {}m{d}\n", n - d, " ".repeat(2 * d));
        }
        let start = std::time::Instant::now();
        let traces = read_importtime_text(text.as_bytes(), Path::new("deep.txt")).unwrap();
        assert_eq!(
            traces
                .diagnostics
                .warnings
                .first()
                .map(|w| w.message.clone()),
            None
        );
        let t = &traces.traces[0];
        assert!(start.elapsed().as_secs_f64() < 1.0);
        assert_eq!(t.events.len(), n);
        assert!((0..n - 1).all(|i| t.events[i].parent == Some(i as u32 + 1)));
        assert_eq!((t.orphans, t.truncated), (0, false));
    }

    #[test]
    fn profile_row_with_self_above_cumulative_is_a_row_warning() {
        let csv = "trace,self_us,cumulative_us,depth,module\na,5,3,0,x\na,1,1,0,y\n";
        let traces = read_importtime_profiles(csv.as_bytes(), Path::new("p.csv")).unwrap();
        assert_eq!(traces.diagnostics.records, 1);
        assert_eq!(traces.diagnostics.warnings.len(), 1);
        assert_eq!(traces.diagnostics.warnings[0].row, 1);
    }
}
