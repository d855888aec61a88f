//! The terminal table: per function and in total, counts, cold fraction, latency
//! percentiles, phases, sandboxes and cost, each mean ± 95% CI half-width when there are
//! several replications.

use std::fmt::Write;

use crate::coldstart::Phase;
use crate::outcome::figure_key as K;
use crate::stats::figures::{Figure, Summary};

fn find(figs: &[Figure], key: impl AsRef<str>) -> Option<&Figure> {
    let key = key.as_ref();
    figs.iter().find(|f| f.key == key)
}

/// Groups the digits of an integer part in thousands: "1234567" → "1,234,567".
fn group_thousands(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number for people: integers with thousands separators, others with 4 significant
/// digits or one decimal from 100 up.
fn fmt_num(x: f64) -> String {
    let text = if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    };
    let (sign, rest) = text.split_at(usize::from(text.starts_with('-')));
    let (int, frac) = rest.split_at(rest.find('.').unwrap_or(rest.len()));
    format!("{sign}{}{frac}", group_thousands(int))
}

/// Marks a value whose 95% CI half-width exceeds it: the sign of the figure (and any
/// difference from zero) is not established at this number of replications.
pub const WIDE_CI_MARK: &str = "(!)";

/// Whether a half-width `h` exceeds the value `m` it qualifies.
pub fn ci_wider_than_value(m: f64, h: f64) -> bool {
    h > m.abs()
}

fn value(figs: &[Figure], key: impl AsRef<str>) -> String {
    match find(figs, key) {
        Some(Figure {
            mean: Some(m),
            ci95,
            ..
        }) => match ci95 {
            Some(h) if ci_wider_than_value(*m, *h) => {
                format!("{} ± {} {WIDE_CI_MARK}", fmt_num(*m), fmt_num(*h))
            }
            Some(h) => format!("{} ± {}", fmt_num(*m), fmt_num(*h)),
            None => fmt_num(*m),
        },
        _ => "-".into(),
    }
}

fn block(out: &mut String, title: &str, figs: &[Figure]) {
    let _ = writeln!(out, "\n{title}");
    let _ = writeln!(
        out,
        "  requests      arrivals {}   invocations {}   throttled {}   queued {}",
        value(figs, K::ARRIVALS),
        value(figs, K::INVOCATIONS),
        value(figs, K::THROTTLES),
        value(figs, K::QUEUED)
    );
    let fraction = find(figs, K::COLD_FRACTION).and_then(|f| f.mean);
    let _ = writeln!(
        out,
        "  cold starts   {}   ({} of invocations)   warm {}   inits {}",
        value(figs, K::COLD_STARTS),
        fraction.map_or("-".into(), |f| format!("{:.3}%", f * 100.0)),
        value(figs, K::WARM_STARTS),
        value(figs, K::INITS)
    );
    latency_rows(out, figs);
    phase_and_import_rows(out, figs);
    chunk_and_lazy_rows(out, figs);
    let _ = writeln!(
        out,
        "  sandboxes     created {}   reclaimed {}   retired at max lifetime {}   alive at end {}",
        value(figs, K::SANDBOXES_CREATED),
        value(figs, K::SANDBOXES_RECLAIMED_KEEP_ALIVE),
        value(figs, K::SANDBOXES_RETIRED_LIFETIME),
        value(figs, K::SANDBOXES_ALIVE_AT_END),
    );
    let _ = writeln!(
        out,
        "  concurrency   peak {}   mean busy {}   async queue wait mean {} ms",
        value(figs, K::SANDBOXES_PEAK_IN_FLIGHT),
        value(figs, K::SANDBOXES_MEAN_BUSY),
        value(figs, K::QUEUE_WAIT_MS_MEAN),
    );
    let _ = writeln!(
        out,
        "  live          mean live {}   idle {} GB-s",
        value(figs, K::SANDBOXES_MEAN_LIVE),
        value(figs, K::SANDBOXES_IDLE_GB_S),
    );
    event_rows(out, figs);
    let _ = writeln!(
        out,
        "  cost          per run ${}   per month ${}   per million requests ${}",
        value(figs, K::COST_USD),
        value(figs, K::COST_PER_MONTH_USD),
        value(figs, K::COST_PER_MILLION_REQUESTS_USD),
    );
}

/// Event sources (only for functions that have one): event age, losses, batches.
fn event_rows(out: &mut String, figs: &[Figure]) {
    if find(figs, K::DROPPED_EVENTS).is_none() {
        return;
    }
    let _ = writeln!(
        out,
        "  events        age ms: mean {}   p50 {}   p99 {}   dropped {}   to destination {}   expired {}   retries {}",
        value(figs, K::EVENT_AGE_MS.mean),
        value(figs, K::EVENT_AGE_MS.p50),
        value(figs, K::EVENT_AGE_MS.p99),
        value(figs, K::DROPPED_EVENTS),
        value(figs, K::DESTINATION_EVENTS),
        value(figs, K::EXPIRED_EVENTS),
        value(figs, K::EVENT_RETRIES),
    );
    let _ = writeln!(
        out,
        "  batches       {}   events per batch {}   throttled attempts {}",
        value(figs, K::BATCHES),
        value(figs, K::EVENTS_PER_BATCH),
        value(figs, K::THROTTLED_ATTEMPTS),
    );
}

/// The ms table: mean and percentiles of latency and cold latency, and of the REPORT line's
/// `Duration`, `Billed Duration`, `Init Duration` (and `Restore Duration` for SnapStart), as
/// a table whose columns are as wide as their widest cell.
fn latency_rows(out: &mut String, figs: &[Figure]) {
    let mut rows = vec![
        ["ms", "mean", "p50", "p90", "p95", "p99", "p999", "max"]
            .map(String::from)
            .to_vec(),
    ];
    let mut hists = vec![
        ("latency", K::LATENCY_MS),
        ("cold latency", K::COLD_LATENCY_MS),
        ("Duration", K::DURATION_MS),
        ("Billed Duration", K::BILLED_DURATION_MS),
        ("Init Duration", K::INIT_DURATION_MS),
    ];
    if find(figs, K::RESTORES).and_then(|f| f.mean).unwrap_or(0.0) > 0.0 {
        hists.push(("Restore Duration", K::RESTORE_DURATION_MS));
    }
    for (label, key) in hists {
        let mut row = vec![label.to_string()];
        row.extend(key.all().iter().map(|k| value(figs, k)));
        rows.push(row);
    }
    out.push_str(&super::grid::render(&rows, "  "));
}

/// Mean ms per init of each phase, and of each top-level import when there are any.
fn phase_and_import_rows(out: &mut String, figs: &[Figure]) {
    let phases: Vec<String> = Phase::ALL
        .iter()
        .filter_map(|p| {
            let key = format!("{}.{}", K::PHASES_MS, p.name());
            let m = find(figs, &key)?.mean?;
            (m > 0.0).then(|| format!("{} {}", p.name(), value(figs, &key)))
        })
        .collect();
    let _ = writeln!(
        out,
        "  phases (mean ms per init)   {}",
        if phases.is_empty() {
            "-".into()
        } else {
            phases.join("   ")
        }
    );
    let imports: Vec<String> = figs
        .iter()
        .filter_map(|f| {
            let name = f.key.strip_prefix(K::IMPORTS_MS)?.strip_prefix('.')?;
            f.mean?;
            Some(format!(
                "{} {}",
                name.replace('/', "."),
                value(figs, &f.key)
            ))
        })
        .collect();
    if !imports.is_empty() {
        let _ = writeln!(
            out,
            "  imports (mean ms per init)   {}",
            imports.join("   ")
        );
    }
}

/// Chunk reads by tier (when there are any) and lazy imports (when there are any).
fn chunk_and_lazy_rows(out: &mut String, figs: &[Figure]) {
    let reads = [K::CACHE_WORKER, K::CACHE_AZ, K::CACHE_ORIGIN]
        .iter()
        .filter_map(|&k| find(figs, k)?.mean)
        .sum::<f64>();
    if reads > 0.0 {
        let pct = |key: K::FigureKey| {
            find(figs, key)
                .and_then(|f| f.mean)
                .map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
        };
        let _ = writeln!(
            out,
            "  chunk reads   worker {}   az {}   origin {}   (worker hits {}, az hits {} of the rest)   \
             waited on a fetch in flight {}   chunk I/O {} ms per init",
            value(figs, K::CACHE_WORKER),
            value(figs, K::CACHE_AZ),
            value(figs, K::CACHE_ORIGIN),
            pct(K::CACHE_WORKER_HIT_RATE),
            pct(K::CACHE_AZ_HIT_RATE),
            value(figs, K::CACHE_COALESCED),
            value(figs, K::CHUNK_IO_MS_MEAN),
        );
    }
    if find(figs, K::LAZY_IMPORTS)
        .and_then(|f| f.mean)
        .unwrap_or(0.0)
        > 0.0
    {
        let _ = writeln!(
            out,
            "  lazy imports  {} requests   added ms: mean {}   p50 {}   p99 {}",
            value(figs, K::LAZY_IMPORTS),
            value(figs, K::LAZY_IMPORT_MS.mean),
            value(figs, K::LAZY_IMPORT_MS.p50),
            value(figs, K::LAZY_IMPORT_MS.p99),
        );
    }
}

/// The summary as a table for a terminal.
pub fn render(s: &Summary) -> String {
    let mut out = format!(
        "coldsim scenario {}: {} replication{}{}\n",
        s.scenario,
        s.replications,
        if s.replications == 1 { "" } else { "s" },
        if s.replications > 1 {
            " (mean ± 95% CI half-width)"
        } else {
            ""
        }
    );
    for (name, figs) in &s.functions {
        block(&mut out, &format!("function {name}"), figs);
    }
    if s.functions.len() > 1 {
        block(&mut out, "total over functions", &s.total);
    }
    if out.contains(WIDE_CI_MARK) {
        let _ = writeln!(
            out,
            "\n{WIDE_CI_MARK} the 95% CI half-width exceeds the value: not distinguishable from \
             zero with {} replications; run more (--replications)",
            s.replications
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators_and_sensible_precision() {
        assert_eq!(fmt_num(1_234_567.0), "1,234,567");
        assert_eq!(fmt_num(298_775.5), "298,775.5");
        assert_eq!(fmt_num(-1234.25), "-1,234.2");
        assert_eq!(fmt_num(12.345), "12.35");
        assert_eq!(fmt_num(0.012345), "0.0123");
    }
}
