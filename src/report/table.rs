//! The terminal table: per function and in total, counts, cold fraction, latency
//! percentiles, phases, sandboxes and cost, each mean ± 95% CI half-width when there are
//! several replications.

use std::fmt::Write;

use crate::coldstart::Phase;
use crate::stats::figures::{Figure, Summary};

fn find<'a>(figs: &'a [Figure], key: &str) -> Option<&'a Figure> {
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

fn value(figs: &[Figure], key: &str) -> String {
    match find(figs, key) {
        Some(Figure {
            mean: Some(m),
            ci95,
            ..
        }) => match ci95 {
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
        value(figs, "arrivals"),
        value(figs, "invocations"),
        value(figs, "throttles"),
        value(figs, "queued")
    );
    let fraction = find(figs, "cold_fraction").and_then(|f| f.mean);
    let _ = writeln!(
        out,
        "  cold starts   {}   ({} of invocations)   warm {}   inits {}",
        value(figs, "cold_starts"),
        fraction.map_or("-".into(), |f| format!("{:.3}%", f * 100.0)),
        value(figs, "warm_starts"),
        value(figs, "inits")
    );
    let cols = ["mean", "p50", "p90", "p95", "p99", "p999", "max"];
    let _ = write!(out, "  {:<18}", "ms");
    for c in cols {
        let _ = write!(out, "{c:>18}");
    }
    out.push('\n');
    for (label, key) in [
        ("latency", "latency_ms"),
        ("cold latency", "cold_latency_ms"),
        ("init duration", "init_duration_ms"),
    ] {
        let _ = write!(out, "  {label:<18}");
        for c in cols {
            let _ = write!(out, "{:>18}", value(figs, &format!("{key}.{c}")));
        }
        out.push('\n');
    }
    let phases: Vec<String> = Phase::ALL
        .iter()
        .filter_map(|p| {
            let key = format!("phases_ms.{}", p.name());
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
            let name = f.key.strip_prefix("imports_ms.")?;
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
    let reads = ["worker", "az", "origin"]
        .iter()
        .filter_map(|t| find(figs, &format!("cache.{t}"))?.mean)
        .sum::<f64>();
    if reads > 0.0 {
        let pct = |key: &str| {
            find(figs, key)
                .and_then(|f| f.mean)
                .map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
        };
        let _ = writeln!(
            out,
            "  chunk reads   worker {}   az {}   origin {}   (worker hits {}, az hits {} of the rest)   \
             waited on a fetch in flight {}   chunk I/O {} ms per init",
            value(figs, "cache.worker"),
            value(figs, "cache.az"),
            value(figs, "cache.origin"),
            pct("cache.worker_hit_rate"),
            pct("cache.az_hit_rate"),
            value(figs, "cache.coalesced"),
            value(figs, "chunk_io_ms.mean"),
        );
    }
    if find(figs, "lazy_imports")
        .and_then(|f| f.mean)
        .unwrap_or(0.0)
        > 0.0
    {
        let _ = writeln!(
            out,
            "  lazy imports  {} requests   added ms: mean {}   p50 {}   p99 {}",
            value(figs, "lazy_imports"),
            value(figs, "lazy_import_ms.mean"),
            value(figs, "lazy_import_ms.p50"),
            value(figs, "lazy_import_ms.p99"),
        );
    }
    let _ = writeln!(
        out,
        "  sandboxes     created {}   reclaimed {}   retired at max lifetime {}   alive at end {}",
        value(figs, "sandboxes.created"),
        value(figs, "sandboxes.reclaimed_keep_alive"),
        value(figs, "sandboxes.retired_lifetime"),
        value(figs, "sandboxes.alive_at_end"),
    );
    let _ = writeln!(
        out,
        "  concurrency   peak {}   mean busy {}   async queue wait mean {} ms",
        value(figs, "sandboxes.peak_in_flight"),
        value(figs, "sandboxes.mean_busy"),
        value(figs, "queue_wait_ms.mean"),
    );
    let _ = writeln!(out, "  cost          ${}", value(figs, "cost_usd"));
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
        block(&mut out, "total", &s.total);
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
