//! CloudWatch log text with Lambda `REPORT` lines, the platform's per-invocation summary:
//!
//! ```text
//! REPORT RequestId: 3f2c…  Duration: 12.34 ms  Billed Duration: 13 ms  Memory Size: 1024 MB  Max Memory Used: 80 MB  Init Duration: 250.12 ms
//! ```
//!
//! (tabs between fields in raw logs, shown as two spaces here). `Init Duration` is present only on cold starts; SnapStart restores show `Restore Duration`
//! and `Billed Restore Duration` instead. Fields are `Label: value unit`, separated by tabs
//! (raw logs) or spaces (copied from the console); trailing fields such as `XRAY TraceId: …`
//! are skipped. A line may carry a prefix (a timestamp like `2023-11-27T19:00:01.123Z`, a
//! console export's columns): the record's day is the first `YYYY-MM-DD` in that prefix.
//!
//! Line rules: a line is a REPORT line when the word `REPORT` (at the start or after a space,
//! tab, quote or comma) is followed by `RequestId` or by nothing (a truncated line). Other lines
//! (START, END, INIT_START, application logs, blank lines) are `ignored`. A REPORT line that
//! lacks a required field, has a garbled, negative, NaN or infinite value, a missing unit, or
//! bytes that are not UTF-8 gets one warning and is skipped, so
//! `records + ignored + warnings == rows_read` (lines).

use std::io::Read;
use std::path::Path;

use crate::calibrate::{Day, Diagnostics};
use crate::error::InputResult;

use super::{clip, lines, read_all, slurp};

/// One REPORT line.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRecord {
    /// Line number in the file (from 1).
    pub line: u64,
    /// Day of the line's timestamp prefix, if it has one.
    pub day: Option<Day>,
    /// `RequestId`.
    pub request_id: String,
    /// `Duration` (handler time), ms.
    pub duration_ms: f64,
    /// `Billed Duration`, ms.
    pub billed_duration_ms: f64,
    /// `Memory Size`, MB.
    pub memory_size_mb: u32,
    /// `Max Memory Used`, MB.
    pub max_memory_used_mb: u32,
    /// `Init Duration` (cold starts only), ms.
    pub init_duration_ms: Option<f64>,
    /// `Restore Duration` (SnapStart restores only), ms.
    pub restore_duration_ms: Option<f64>,
}

impl ReportRecord {
    /// A cold start: the line has an `Init Duration` or a `Restore Duration`.
    pub fn is_cold(&self) -> bool {
        self.init_duration_ms.is_some() || self.restore_duration_ms.is_some()
    }
}

/// The REPORT lines of a log and what was skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportLog {
    /// Records in line order.
    pub records: Vec<ReportRecord>,
    /// Lines read, records, ignored lines and row-numbered warnings.
    pub diagnostics: Diagnostics,
}

/// Parses log text (any bytes). Never fails: bad lines are warnings; `path` is for messages
/// of the `read_report_from`/`read_report_file` forms only.
pub fn read_report(bytes: &[u8], _path: &Path) -> InputResult<ReportLog> {
    let mut log = ReportLog::default();
    for (i, raw) in lines(bytes).enumerate() {
        let line_no = i as u64 + 1;
        let d = &mut log.diagnostics;
        d.rows_read += 1;
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(_) => {
                let lossy = String::from_utf8_lossy(raw);
                if find_report(&lossy).is_some() {
                    d.warn(line_no, "REPORT line is not valid UTF-8");
                } else {
                    d.ignored += 1;
                }
                continue;
            }
        };
        let Some(start) = find_report(text) else {
            d.ignored += 1;
            continue;
        };
        match parse_fields(&text[start..], line_no, day_in(&text[..start])) {
            Ok(rec) => {
                d.records += 1;
                log.records.push(rec);
            }
            Err(msg) => d.warn(line_no, msg),
        }
    }
    Ok(log)
}

/// [`read_report`] over a reader; an I/O error names `path`.
pub fn read_report_from(reader: impl Read, path: &Path) -> InputResult<ReportLog> {
    read_report(&slurp(reader, path)?, path)
}

/// [`read_report`] of the file at `path`.
pub fn read_report_file(path: &Path) -> InputResult<ReportLog> {
    read_report(&read_all(path)?, path)
}

/// Byte offset just after `REPORT` when `text` is a REPORT line (see the module docs).
fn find_report(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = text[from..].find("REPORT") {
        let at = from + k;
        let before_ok =
            at == 0 || matches!(text.as_bytes()[at - 1], b' ' | b'\t' | b'"' | b',' | b'\'');
        let after = &text[at + 6..];
        let rest = after.trim_start();
        let sep_ok = after.is_empty() || after.len() != rest.len();
        let continues_ok = rest.is_empty() || rest.starts_with("RequestId") || {
            // a line cut inside the word `RequestId`
            rest.len() < 9 && "RequestId".starts_with(rest)
        };
        if before_ok && sep_ok && continues_ok {
            return Some(at + 6);
        }
        from = at + 6;
    }
    None
}

/// The first `YYYY-MM-DD` day found in `prefix`.
fn day_in(prefix: &str) -> Option<Day> {
    let b = prefix.as_bytes();
    (0..b.len())
        .filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()))
        .find_map(|i| prefix.get(i..).and_then(Day::parse_prefix))
}

/// One `Label: value [unit]` field.
struct Field<'a> {
    label: String,
    value: &'a str,
    unit: Option<&'a str>,
}

/// Splits the text after `REPORT` into labelled fields.
fn fields(text: &str) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    let mut label: Vec<&str> = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if let Some(l) = w.strip_suffix(':') {
            label.push(l);
            let name = label.join(" ");
            label.clear();
            let Some(value) = words.next_if(|v| !v.ends_with(':')) else {
                out.push(Field {
                    label: name,
                    value: "",
                    unit: None,
                });
                continue;
            };
            let unit = words.next_if(|u| matches!(*u, "ms" | "MB" | "s" | "us" | "μs"));
            out.push(Field {
                label: name,
                value,
                unit,
            });
        } else {
            label.push(w);
        }
    }
    out
}

fn parse_fields(text: &str, line: u64, day: Option<Day>) -> Result<ReportRecord, String> {
    let fs = fields(text);
    let request_id = required(&fs, "RequestId")?.value.to_string();
    let duration_ms = ms_value(required(&fs, "Duration")?)?;
    let billed_duration_ms = ms_value(required(&fs, "Billed Duration")?)?;
    let memory_size_mb = mb_value(required(&fs, "Memory Size")?)?;
    if memory_size_mb == 0 {
        return Err("Memory Size is 0 MB".to_string());
    }
    let max_memory_used_mb = mb_value(required(&fs, "Max Memory Used")?)?;
    let init_duration_ms = optional_ms(&fs, "Init Duration")?;
    let restore_duration_ms = optional_ms(&fs, "Restore Duration")?;
    optional_ms(&fs, "Billed Restore Duration")?;
    Ok(ReportRecord {
        line,
        day,
        request_id,
        duration_ms,
        billed_duration_ms,
        memory_size_mb,
        max_memory_used_mb,
        init_duration_ms,
        restore_duration_ms,
    })
}

/// The field labelled `name`, with a value.
fn required<'f, 't>(fs: &'f [Field<'t>], name: &str) -> Result<&'f Field<'t>, String> {
    match fs.iter().find(|f| f.label == name) {
        Some(f) if !f.value.is_empty() => Ok(f),
        Some(_) => Err(format!("REPORT line has no value for `{name}`")),
        None => Err(format!("REPORT line has no `{name}`")),
    }
}

/// The ms value of the field labelled `name`, None if the line has no such field.
fn optional_ms(fs: &[Field<'_>], name: &str) -> Result<Option<f64>, String> {
    match fs.iter().find(|f| f.label == name) {
        None => Ok(None),
        Some(f) if f.value.is_empty() => Err(format!("REPORT line has no value for `{name}`")),
        Some(f) => ms_value(f).map(Some),
    }
}

/// A field in ms (the unit is required).
fn ms_value(f: &Field<'_>) -> Result<f64, String> {
    let v = number(&f.label, f.value)?;
    match f.unit {
        Some("ms") => Ok(v),
        Some(u) => Err(format!("{} unit `{u}`: expected ms", f.label)),
        None => Err(format!(
            "{} `{}` has no unit (expected ms; truncated line?)",
            f.label,
            clip(f.value)
        )),
    }
}

/// A field in whole MB (the unit is required).
fn mb_value(f: &Field<'_>) -> Result<u32, String> {
    match f.unit {
        Some("MB") => {}
        Some(u) => return Err(format!("{} unit `{u}`: expected MB", f.label)),
        None => {
            return Err(format!(
                "{} `{}` has no unit (expected MB; truncated line?)",
                f.label,
                clip(f.value)
            ));
        }
    }
    f.value.parse::<u32>().map_err(|_| {
        format!(
            "{} `{}` is not a whole number of MB",
            f.label,
            clip(f.value)
        )
    })
}

/// A finite, non-negative number, or the warning text.
fn number(label: &str, value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(v) if v.is_nan() => Err(format!("{label} is NaN")),
        Ok(v) if v.is_infinite() => Err(format!("{label} `{}` is not finite", clip(value))),
        Ok(v) if v < 0.0 => Err(format!("{label} `{}` is negative", clip(value))),
        Ok(v) => Ok(v),
        Err(_) => Err(format!("{label} `{}` is not a number", clip(value))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_tabs_and_spaces() {
        let t = " RequestId: a-b\tDuration: 1.5 ms Billed Duration: 2 ms\tMemory Size: 128 MB Max Memory Used: 40 MB\tXRAY TraceId: 1-2-3\tSegmentId: x\tSampled: true";
        let r = parse_fields(t, 1, None).unwrap();
        assert_eq!(r.request_id, "a-b");
        assert_eq!(r.duration_ms, 1.5);
        assert_eq!(r.billed_duration_ms, 2.0);
        assert_eq!(r.memory_size_mb, 128);
        assert_eq!(r.max_memory_used_mb, 40);
        assert!(!r.is_cold());
    }

    #[test]
    fn report_word_rules() {
        assert_eq!(find_report("REPORT RequestId: x"), Some(6));
        assert_eq!(
            find_report("2023-11-27T19:00:01Z\tREPORT RequestId: x"),
            Some(27)
        );
        assert_eq!(find_report("REPORT Req"), Some(6));
        assert_eq!(find_report("REPORT"), Some(6));
        assert_eq!(find_report("MY_REPORT RequestId: x"), None);
        assert_eq!(find_report("REPORTS RequestId"), None);
        assert_eq!(find_report("a REPORT on sales"), None);
        assert_eq!(
            day_in("\"1701111601123\",\"2023-11-27T19:00:01.123Z\","),
            Day::parse_prefix("2023-11-27")
        );
    }
}
