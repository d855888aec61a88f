//! What each module costs at import, across cold starts: the summary of
//! [`ImportTrace`]s that import models are calibrated from.

use std::collections::{BTreeMap, BTreeSet};

use super::importtime::ImportTrace;

/// Import cost of one module in one group of traces.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleCost {
    /// Values of the chosen key fields.
    pub group: Vec<String>,
    /// Module name.
    pub module: String,
    /// Number of traces (cold starts) in which the module appears.
    pub n: u32,
    /// Median over those traces of the module's self time, ms; `None` when no trace measures
    /// self times ([`ImportTrace::self_known`]).
    pub self_ms_median: Option<f64>,
    /// Mean of the same, ms.
    pub self_ms_mean: Option<f64>,
    /// Median of the cumulative time (module plus what it imported), ms.
    pub cumulative_ms_median: f64,
    /// Modules it imported directly (children in the tree) in any of the traces, sorted,
    /// without duplicates.
    pub imports: Vec<String>,
}

/// Per-module costs, grouped by the key fields `group_by` (indices into each trace's key; an
/// index beyond a key counts as the empty string). Within one trace a module printed more
/// than once (failed import attempts are printed at each try) counts once, with its times
/// summed. Sorted by group, then module name (byte-wise).
pub fn module_costs(traces: &[ImportTrace], group_by: &[usize]) -> Vec<ModuleCost> {
    #[derive(Default)]
    struct Acc {
        self_us: Vec<u64>,
        cum_us: Vec<u64>,
        imports: BTreeSet<String>,
    }
    let mut acc: BTreeMap<(Vec<String>, String), Acc> = BTreeMap::new();
    for t in traces {
        let group: Vec<String> = group_by
            .iter()
            .map(|&i| t.key.get(i).cloned().unwrap_or_default())
            .collect();
        // per-trace sums per module, and children
        let mut per: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let mut kids: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for e in &t.events {
            let s = per.entry(e.module.as_str()).or_default();
            s.0 = s.0.saturating_add(e.self_us);
            s.1 = s.1.saturating_add(e.cumulative_us);
            if let Some(p) = e.parent.and_then(|p| t.events.get(p as usize)) {
                kids.entry(p.module.as_str())
                    .or_default()
                    .insert(e.module.as_str());
            }
        }
        for (m, (s, c)) in per {
            let a = acc.entry((group.clone(), m.to_string())).or_default();
            if t.self_known {
                a.self_us.push(s);
            }
            a.cum_us.push(c);
            if let Some(k) = kids.get(m) {
                a.imports.extend(k.iter().map(|x| x.to_string()));
            }
        }
    }
    acc.into_iter()
        .map(|((group, module), a)| ModuleCost {
            group,
            module,
            n: a.cum_us.len() as u32,
            self_ms_median: median_ms(&a.self_us),
            self_ms_mean: (!a.self_us.is_empty()).then(|| {
                a.self_us.iter().map(|&v| v as f64).sum::<f64>() / a.self_us.len() as f64 / 1e3
            }),
            cumulative_ms_median: median_ms(&a.cum_us).unwrap_or(0.0),
            imports: a.imports.into_iter().collect(),
        })
        .collect()
}

/// Median of microsecond values, in ms (mean of the two middle values for an even count).
fn median_ms(v: &[u64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let n = s.len();
    let m = if n % 2 == 1 {
        s[n / 2] as f64
    } else {
        (s[n / 2 - 1] as f64 + s[n / 2] as f64) / 2.0
    };
    Some(m / 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::read::importtime::{ImportEvent, build_trace};

    fn ev(m: &str, s: u64, c: u64, d: u32) -> ImportEvent {
        ImportEvent {
            module: m.into(),
            self_us: s,
            cumulative_us: c,
            depth: d,
            parent: None,
        }
    }

    #[test]
    fn medians_children_and_groups() {
        let a = build_trace(
            vec!["zip".into()],
            vec![ev("b", 100, 100, 1), ev("a", 50, 150, 0)],
            true,
        );
        let b = build_trace(
            vec!["zip".into()],
            vec![ev("c", 10, 10, 1), ev("a", 70, 80, 0)],
            true,
        );
        let c = build_trace(vec!["image".into()], vec![ev("a", 30, 30, 0)], true);
        let costs = module_costs(&[a, b, c], &[0]);
        let names: Vec<_> = costs
            .iter()
            .map(|c| (c.group[0].as_str(), c.module.as_str(), c.n))
            .collect();
        assert_eq!(
            names,
            [
                ("image", "a", 1),
                ("zip", "a", 2),
                ("zip", "b", 1),
                ("zip", "c", 1)
            ]
        );
        let za = &costs[1];
        assert_eq!(za.self_ms_median, Some(0.06)); // (50 + 70) / 2 µs
        assert_eq!(za.cumulative_ms_median, 0.115); // (150 + 80) / 2 µs
        assert_eq!(za.imports, ["b", "c"]);
        assert_eq!(median_ms(&[3, 1, 2]), Some(0.002));
    }
}
