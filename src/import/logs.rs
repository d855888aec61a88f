//! `coldsim import logs`: CloudWatch Logs of Lambda functions, as `aws logs tail` or
//! `aws logs filter-log-events --output text` print them (a timestamp, ISO-8601 or epoch
//! milliseconds, somewhere before the message) or as a Logs Insights CSV export with
//! `@timestamp` and `@message` columns (`@log` names the log group); gzip allowed.
//!
//! `REPORT` lines give each invocation's `Duration`, `Init Duration` (a cold start),
//! `Restore Duration` (a SnapStart restore) and `Memory Size`; a `START` line with the same
//! request id gives when the handler started. An invocation arrived at its START time less
//! its Init Duration, or, without a START line, at its REPORT time less Duration and Init
//! Duration (Lambda Developer Guide, "Lambda execution environment lifecycle": START follows
//! init; REPORT follows the handler). `END` lines and every other line are skipped and
//! counted; a REPORT line that cannot be read, or has no timestamp, is an error naming the
//! file and the line.
//!
//! Invocations are grouped per function: the `--function` name, else the log group
//! (`/aws/lambda/NAME`) when the line or the `@log` column shows it, else the file's name.
//! Each function's arrivals and Durations go to a CSV beside the scenario, which replays
//! the arrivals (`kind = "trace"`) and draws handler times from the Durations (an empirical
//! distribution, not a fit).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::calibrate::read::report::{ReportRecord, read_report};
use crate::error::{InputError, InputResult};
use crate::input::InputKind;
use crate::traffic::trace::parse_iso_us;

/// One invocation read from a REPORT line.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    /// Where its REPORT line is, `file:line`.
    pub at: String,
    /// Arrival time, µs since the Unix epoch.
    pub arrival_us: i64,
    /// `Duration`, ms.
    pub duration_ms: f64,
    /// `Init Duration`, ms (cold starts).
    pub init_ms: Option<f64>,
    /// `Restore Duration`, ms (SnapStart restores).
    pub restore_ms: Option<f64>,
    /// `Memory Size`, MB.
    pub memory_mb: u32,
}

/// Lines of all files by what they were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Lines (or CSV rows) read.
    pub lines: u64,
    /// REPORT lines.
    pub reports: u64,
    /// START lines.
    pub starts: u64,
    /// END lines.
    pub ends: u64,
    /// INIT_START and RESTORE_START lines (they name the runtime version).
    pub init_starts: u64,
    /// Other lines, skipped.
    pub skipped: u64,
}

/// Everything read from the logs: invocations per function, in arrival order.
#[derive(Debug, Default)]
pub struct LogData {
    /// Function name → invocations.
    pub functions: BTreeMap<String, Vec<Invocation>>,
    /// Line counts.
    pub counts: LineCounts,
    /// Function name → the runtime version its first INIT_START (or RESTORE_START) line
    /// names.
    pub runtimes: BTreeMap<String, RuntimeSeen>,
}

/// The runtime version an INIT_START line names (`Runtime Version: python:3.12.v20`).
#[derive(Clone, Debug, PartialEq)]
pub struct RuntimeSeen {
    /// As logged, e.g. `python:3.12.v20`.
    pub version: String,
    /// Where the line is, `file:line`.
    pub at: String,
}

impl RuntimeSeen {
    /// AWS's runtime identifier of the logged version: `python:3.12.v20` is `python3.12`,
    /// `nodejs:20.v13` is `nodejs20.x`, `java:8.al2.v5` is `java8.al2`, `provided:al2023.v9`
    /// is `provided.al2023` (the Lambda console's runtime version names; None when the
    /// version is not `LANGUAGE:VERSION`).
    pub fn runtime_id(&self) -> Option<String> {
        let (language, rest) = self.version.split_once(':')?;
        let version = match rest.rsplit_once(".v") {
            Some((v, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => v,
            _ => rest,
        };
        if language.is_empty() || version.is_empty() {
            return None;
        }
        Some(match language {
            "nodejs" => format!("nodejs{version}.x"),
            "provided" => format!("provided.{version}"),
            _ => format!("{language}{version}"),
        })
    }
}

/// A REPORT line waiting for its START time, and the START times seen.
#[derive(Default)]
struct Pending {
    /// (function, REPORT time µs, record, `file:line`).
    reports: Vec<(String, i64, ReportRecord, String)>,
    starts: HashMap<String, i64>,
    /// Function → the first runtime version seen.
    runtimes: BTreeMap<String, RuntimeSeen>,
}

/// Reads every file of `paths`; `function` names all their invocations' function.
pub fn read_logs(paths: &[PathBuf], function: Option<&str>) -> InputResult<LogData> {
    let mut data = LogData::default();
    let mut pending = Pending::default();
    for path in paths {
        let bytes = crate::input::read_bytes(path, InputKind::Data)?;
        let text = String::from_utf8_lossy(&bytes);
        let first = text.lines().next().unwrap_or_default();
        let default_name = function.map(str::to_string).unwrap_or_else(|| stem(path));
        let forced = function.is_some();
        if first.contains("@message") {
            read_insights(
                path,
                &bytes,
                &default_name,
                forced,
                &mut data.counts,
                &mut pending,
            )?;
        } else {
            for (i, line) in text.lines().enumerate() {
                let ctx = LineCtx {
                    path,
                    line: i as u64 + 1,
                    default_name: &default_name,
                    forced,
                };
                read_line(&ctx, line, None, &mut data.counts, &mut pending)?;
            }
        }
    }
    data.runtimes = std::mem::take(&mut pending.runtimes);
    for (name, report_us, rec, at) in pending.reports {
        let init_ms = rec
            .init_duration_ms
            .or(rec.restore_duration_ms)
            .unwrap_or(0.0);
        let arrival_us = match pending.starts.get(&rec.request_id) {
            Some(&start_us) => start_us - ms_to_us(init_ms),
            None => report_us - ms_to_us(rec.duration_ms + init_ms),
        };
        data.functions.entry(name).or_default().push(Invocation {
            at,
            arrival_us,
            duration_ms: rec.duration_ms,
            init_ms: rec.init_duration_ms,
            restore_ms: rec.restore_duration_ms,
            memory_mb: rec.memory_size_mb,
        });
    }
    for list in data.functions.values_mut() {
        list.sort_by_key(|i| i.arrival_us);
    }
    Ok(data)
}

/// Where a line is and whose it is by default.
struct LineCtx<'a> {
    path: &'a Path,
    line: u64,
    default_name: &'a str,
    forced: bool,
}

impl LineCtx<'_> {
    fn err(&self, msg: impl std::fmt::Display) -> InputError {
        InputError::file(self.path, format!("line {}: {msg}", self.line))
    }

    fn at(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }
}

/// One raw line, or one CSV row's message with its `@timestamp` (`time_us`) and `@log`.
fn read_line(
    ctx: &LineCtx,
    text: &str,
    given: Option<(i64, Option<&str>)>,
    counts: &mut LineCounts,
    pending: &mut Pending,
) -> InputResult<()> {
    counts.lines += 1;
    let found = [
        "REPORT RequestId:",
        "START RequestId:",
        "END RequestId:",
        "INIT_START Runtime Version:",
        "RESTORE_START Runtime Version:",
    ]
    .iter()
    .find_map(|k| text.find(k).map(|i| (*k, i)));
    let Some((keyword, i)) = found else {
        counts.skipped += 1;
        return Ok(());
    };
    let prefix = &text[..i];
    let (time_us, group) = match given {
        Some((t, g)) => (Some(t), g.and_then(group_name).map(str::to_string)),
        None => (
            timestamp_in(prefix),
            prefix
                .split_whitespace()
                .find_map(group_name)
                .map(str::to_string),
        ),
    };
    let name = match group {
        Some(g) if !ctx.forced => g,
        _ => ctx.default_name.to_string(),
    };
    if let Some(version) = keyword.strip_suffix("_START Runtime Version:").map(|_| {
        text[i + keyword.len()..]
            .split_whitespace()
            .next()
            .unwrap_or("")
    }) {
        counts.init_starts += 1;
        pending.runtimes.entry(name).or_insert_with(|| RuntimeSeen {
            version: version.to_string(),
            at: ctx.at(),
        });
        return Ok(());
    }
    let time_us = time_us.ok_or_else(|| {
        ctx.err("no timestamp before the message (expected ISO-8601 or epoch milliseconds)")
    })?;
    let id = request_id(&text[i..]);
    match keyword {
        "START RequestId:" => {
            counts.starts += 1;
            pending.starts.insert(id, time_us);
        }
        "END RequestId:" => counts.ends += 1,
        _ => {
            counts.reports += 1;
            let log = read_report(&text.as_bytes()[i..], ctx.path)?;
            if let Some(w) = log.diagnostics.warnings.first() {
                return Err(ctx.err(format!("a REPORT line that cannot be read: {}", w.message)));
            }
            let rec = log
                .records
                .into_iter()
                .next()
                .ok_or_else(|| ctx.err("not a REPORT line"))?;
            pending.reports.push((name, time_us, rec, ctx.at()));
        }
    }
    Ok(())
}

/// The request id after `RequestId:`.
fn request_id(message: &str) -> String {
    message
        .split_once("RequestId:")
        .map(|(_, r)| r.split_whitespace().next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// The function name of a log group `/aws/lambda/NAME` (or `ACCOUNT:/aws/lambda/NAME`).
fn group_name(token: &str) -> Option<&str> {
    let i = token.find("/aws/lambda/")?;
    Some(token[i + "/aws/lambda/".len()..].trim_end_matches([',', '"']))
}

/// The first token of `prefix` that is an ISO-8601 date-time or epoch milliseconds.
fn timestamp_in(prefix: &str) -> Option<i64> {
    prefix
        .split(|c: char| c.is_whitespace() || c == ',' || c == '"')
        .find_map(parse_time_us)
}

/// A timestamp, ISO-8601 or epoch milliseconds (12 to 14 digits), as µs since the epoch.
pub fn parse_time_us(token: &str) -> Option<i64> {
    let t = token.trim();
    if (12..=14).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().ok().map(|ms| ms * 1000);
    }
    if t.len() >= 10 && t.as_bytes()[4] == b'-' {
        return parse_iso_us(t);
    }
    None
}

/// A Logs Insights export: `@timestamp`, `@message`, optionally `@log`.
fn read_insights(
    path: &Path,
    bytes: &[u8],
    default_name: &str,
    forced: bool,
    counts: &mut LineCounts,
    pending: &mut Pending,
) -> InputResult<()> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| InputError::file(path, format!("line 1: {e}")))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let message =
        col("@message").ok_or_else(|| InputError::file(path, "line 1: no @message column"))?;
    let stamp =
        col("@timestamp").ok_or_else(|| InputError::file(path, "line 1: no @timestamp column"))?;
    let log = col("@log");
    for rec in reader.records() {
        let rec = rec.map_err(|e| InputError::file(path, format!("{e}")))?;
        let line = rec.position().map_or(0, |p| p.line());
        let ctx = LineCtx {
            path,
            line,
            default_name,
            forced,
        };
        let text = rec.get(message).unwrap_or_default();
        let cell = rec.get(stamp).unwrap_or_default();
        let Some(t) = parse_time_us(cell) else {
            if text.contains("RequestId:") {
                return Err(ctx.err(format!(
                    "@timestamp \"{cell}\" is not ISO-8601 or epoch milliseconds"
                )));
            }
            counts.lines += 1;
            counts.skipped += 1;
            continue;
        };
        read_line(
            &ctx,
            text,
            Some((t, log.and_then(|c| rec.get(c)))),
            counts,
            pending,
        )?;
    }
    Ok(())
}

/// Milliseconds as whole microseconds.
fn ms_to_us(ms: f64) -> i64 {
    (ms * 1000.0).round() as i64
}

/// A file's name without `.gz` and one more extension.
fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    match name.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s.to_string(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod runtime_version_tests {
    use super::RuntimeSeen;

    fn id(version: &str) -> Option<String> {
        RuntimeSeen {
            version: version.into(),
            at: String::new(),
        }
        .runtime_id()
    }

    /// Tolerance: exact. The Lambda console's runtime version names against AWS's runtime
    /// identifiers (Lambda Developer Guide, "Lambda runtimes").
    #[test]
    fn logged_runtime_versions_map_to_aws_runtime_identifiers() {
        for (logged, expected) in [
            ("python:3.12.v20", "python3.12"),
            ("nodejs:20.v13", "nodejs20.x"),
            ("java:21.v17", "java21"),
            ("java:8.al2.v5", "java8.al2"),
            ("dotnet:8.v22", "dotnet8"),
            ("ruby:3.3.v7", "ruby3.3"),
            ("provided:al2023.v9", "provided.al2023"),
            ("python:3.12", "python3.12"),
        ] {
            assert_eq!(id(logged).as_deref(), Some(expected), "{logged}");
        }
        assert_eq!(id("python3.12"), None);
        assert_eq!(id(":3.12.v1"), None);
    }
}
