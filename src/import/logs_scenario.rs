//! The scenario of `coldsim import logs`: one `[[function]]` and one trace `[[traffic]]` per
//! function of the logs, a CSV per function beside the scenario (`timestamp` in seconds since
//! the first arrival of the logs, `time_utc` the same as ISO-8601, `duration_ms`), and the observed cold starts as comments to check a run against.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Imported;
use super::draft::{Draft, Origin, Table, duration_text, inline, lit};
use super::logs::{Invocation, LineCounts, RuntimeSeen, read_logs};
use super::runtime_choice::{RuntimeChoice, choose};
use crate::error::{InputError, InputResult};

/// The column of a trace CSV holding arrival times.
pub const TIME_COLUMN: &str = "timestamp";
/// The column of a trace CSV holding handler Durations, ms.
pub const DURATION_COLUMN: &str = "duration_ms";

/// Reads the logs at `paths` and writes the scenario for `out` (its trace files go beside
/// it, named `<out stem>.<function>.csv`).
pub fn import_logs(paths: &[PathBuf], out: &Path, function: Option<&str>) -> InputResult<Imported> {
    let data = read_logs(paths, function)?;
    let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let files = files.join(" ");
    if data.functions.is_empty() {
        return Err(InputError::file(
            &paths[0],
            format!("no REPORT lines in {files} ({})", counts_text(&data.counts)),
        ));
    }
    let out_stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let first_us = data
        .functions
        .values()
        .map(|v| v[0].arrival_us)
        .min()
        .unwrap_or(0);
    let last_us = data
        .functions
        .values()
        .filter_map(|v| v.last())
        .map(|i| i.arrival_us)
        .max()
        .unwrap_or(0);
    let mut notes = super::header_notes(&format!("coldsim import logs {files}"));
    notes.push(format!("Lines read: {}.", counts_text(&data.counts)));
    let span_s = ((last_us - first_us) as f64 / 1e6).floor() + 1.0;
    let mut run = super::run_table(&duration_text(span_s), "");
    run.entries[0].origin = Origin::importer(format!(
        "the first to the last arrival of the logs ({} to {}), rounded up",
        iso(first_us),
        iso(last_us)
    ));
    let mut draft = Draft {
        notes,
        tables: vec![run],
    };
    let mut side_files = Vec::new();
    let mut traffic = Vec::new();
    for (name, invs) in &data.functions {
        let csv_name = format!("{out_stem}.{}.csv", file_safe(name));
        side_files.push((csv_name.clone(), trace_csv(invs, first_us).into_bytes()));
        let seen = data.runtimes.get(name);
        let table = function_table(name, invs, seen, &csv_name, &files, function.is_some());
        draft.tables.push(table);
        traffic.push(traffic_table(name, invs, &csv_name));
    }
    draft.tables.extend(traffic);
    let first = data.functions.keys().next().cloned().unwrap_or_default();
    draft.notes.push(format!(
        "Ready for `coldsim compare`: add a variant, e.g.\n  [[variant]]\n  name = \"arm64\"\n  \
         set = {{ \"function.{first}.arch\" = \"arm64\" }}"
    ));
    Ok(Imported {
        scenario: draft.render(),
        side_files,
        warnings: Vec::new(),
    })
}

fn counts_text(c: &LineCounts) -> String {
    format!(
        "{} lines, {} REPORT, {} START, {} END, {}{} other lines skipped",
        c.lines,
        c.reports,
        c.starts,
        c.ends,
        if c.init_starts > 0 {
            format!("{} INIT_START, ", c.init_starts)
        } else {
            String::new()
        },
        c.skipped
    )
}

/// The trace CSV: `timestamp` in seconds since `first_us`, the first arrival of all
/// functions (so the traces of several functions stay aligned), `time_utc` the arrival as
/// ISO-8601, `duration_ms` the handler's Duration.
fn trace_csv(invs: &[Invocation], first_us: i64) -> String {
    let mut out = format!("{TIME_COLUMN},time_utc,{DURATION_COLUMN}\n");
    for i in invs {
        let s = (i.arrival_us - first_us) as f64 / 1e6;
        let _ = writeln!(out, "{s:.6},{},{}", iso(i.arrival_us), i.duration_ms);
    }
    out
}

/// µs since the epoch as ISO-8601 UTC.
fn iso(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

/// A function name usable in a file name.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The built-in workload, by name, that stands in for the runtime logs do not name.
const LOGS_WORKLOAD: &str = "python312-hello";

/// The `[[function]]` of one function's invocations.
fn function_table(
    name: &str,
    invs: &[Invocation],
    seen: Option<&RuntimeSeen>,
    csv: &str,
    files: &str,
    forced: bool,
) -> Table {
    let mut t = Table::new("[[function]]");
    t.notes = observed_notes(name, invs);
    let first = &invs[0].at;
    let (file, line) = split_at(first);
    let name_origin = if forced {
        Origin::importer("--function")
    } else {
        Origin::at(&file, line, "the log group or the file name")
    };
    t.set("name", lit(name), name_origin);
    let memory = mode(invs.iter().map(|i| i.memory_mb));
    let mixed = invs.iter().any(|i| i.memory_mb != memory);
    t.set(
        "memory_mb",
        lit(memory as i64),
        Origin::at(
            &file,
            line,
            format!(
                "Memory Size{}",
                if mixed {
                    " (the most common of several)"
                } else {
                    ""
                }
            ),
        ),
    );
    set_runtime(&mut t, invs, seen);
    t.set(
        "handler",
        inline(&[
            ("dist", lit("empirical")),
            ("file", lit(csv)),
            ("column", lit(DURATION_COLUMN)),
        ]),
        Origin::importer(format!(
            "the {} Durations of the REPORT lines of {files}: an empirical distribution, not a fit",
            invs.len()
        )),
    );
    t.set(
        "handler_cpu_fraction",
        lit(0.0),
        Origin::importer(format!(
            "the Durations were measured at {memory} MB: used as they are (raise it to scale the \
             handler with memory in a sweep)"
        )),
    );
    t
}

/// The runtime of a function: `runtime = "ID"` when its INIT_START lines name a version a
/// built-in model covers (zip, or SnapStart when its logs show restores, on x86_64: logs name
/// neither the packaging nor the arch, so both are marked PLACEHOLDER); else the built-in
/// python3.12 hello world stands in, marked PLACEHOLDER, with what the logs said.
fn set_runtime(t: &mut Table, invs: &[Invocation], seen: Option<&RuntimeSeen>) {
    let packaging = if invs.iter().any(|i| i.restore_ms.is_some()) {
        "snapstart"
    } else {
        "zip"
    };
    let arch = "x86_64";
    let id = seen.and_then(RuntimeSeen::runtime_id);
    let why = match (seen, &id) {
        (Some(r), Some(id)) => match choose(Some(id), packaging, arch) {
            RuntimeChoice::Covered { id, model } => {
                let (file, line) = split_at(&r.at);
                let what = format!(
                    "Runtime Version {}; PLACEHOLDER: {packaging} on {arch} assumed (logs do \
                     not say the packaging or the arch): {model}",
                    r.version
                );
                t.set("runtime", lit(id), Origin::at(&file, line, what));
                return;
            }
            RuntimeChoice::Uncovered { reason, .. } => format!(
                "the logs name Runtime Version {} ({id}) at {}, but {reason}",
                r.version, r.at
            ),
        },
        (Some(r), None) => format!(
            "the logs name Runtime Version {} at {}, not LANGUAGE:VERSION",
            r.version, r.at
        ),
        (None, _) => "logs without INIT_START lines do not say the runtime".to_string(),
    };
    t.set(
        "workload",
        lit(LOGS_WORKLOAD),
        Origin::importer(format!(
            "PLACEHOLDER: {why}; the built-in python3.12 hello-world model stands in: replace \
             it by `runtime = \"ID\"` (coldsim runtimes; coldsim import template or config gives it)"
        )),
    );
}

/// The observed figures of a function, as comments.
fn observed_notes(name: &str, invs: &[Invocation]) -> Vec<String> {
    let n = invs.len();
    let mut inits: Vec<f64> = invs.iter().filter_map(|i| i.init_ms).collect();
    let mut restores: Vec<f64> = invs.iter().filter_map(|i| i.restore_ms).collect();
    let cold = inits.len() + restores.len();
    let mut notes = vec![format!(
        "Observed in the logs for {name}: {n} invocations, {cold} of them cold (cold fraction {:.4}).",
        cold as f64 / n as f64
    )];
    for (label, values) in [
        ("Init Duration", &mut inits),
        ("Restore Duration", &mut restores),
    ] {
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        let q = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
        notes.push(format!(
            "Observed {label}: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n = {}); \
             a run of this scenario should show similar figures.",
            q(0.5),
            q(0.9),
            q(0.99),
            values[values.len() - 1],
            values.len()
        ));
    }
    notes
}

/// The trace `[[traffic]]` of one function.
fn traffic_table(name: &str, invs: &[Invocation], csv: &str) -> Table {
    let mut t = Table::new("[[traffic]]");
    let (file, line) = split_at(&invs[0].at);
    let origin = Origin::importer(format!(
        "{} arrivals (START time less Init Duration, or REPORT time less Duration and Init \
         Duration), first at {file}:{line}",
        invs.len()
    ));
    t.set("function", lit(name), origin);
    t.set(
        "kind",
        lit("trace"),
        Origin::importer("a replay of the arrivals of the logs"),
    );
    t.set(
        "file",
        lit(csv),
        Origin::importer("written beside this scenario: arrivals and Durations"),
    );
    t.set(
        "format",
        lit("timestamps"),
        Origin::importer("one row per arrival"),
    );
    t.set(
        "column",
        lit(TIME_COLUMN),
        Origin::importer(
            "seconds since the first arrival of the logs (time_utc: the same as ISO-8601)",
        ),
    );
    t.set(
        "invocation",
        lit("sync"),
        Origin::importer("PLACEHOLDER: logs do not say who calls; sync assumed"),
    );
    t
}

/// `file:line` split at its last colon.
fn split_at(at: &str) -> (String, usize) {
    match at.rsplit_once(':') {
        Some((f, l)) => (f.to_string(), l.parse().unwrap_or(0)),
        None => (at.to_string(), 0),
    }
}

/// The most common value (the smallest among ties).
fn mode(values: impl Iterator<Item = u32>) -> u32 {
    let mut counts = std::collections::BTreeMap::new();
    for v in values {
        *counts.entry(v).or_insert(0u64) += 1;
    }
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or(128, |(v, _)| *v)
}
