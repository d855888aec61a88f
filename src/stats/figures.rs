//! Figures as a flat list of dotted key paths (`latency_ms.p99`) so one definition serves
//! the JSON, the table and the CSV, and replications are averaged figure by figure with a
//! 95% confidence interval (DESIGN.md, "Output"). Which figures a Lambda run reports is
//! [`crate::outcome::figures`]'s business.

use super::ci::mean_and_ci95;

/// One figure of one replication; `None` when undefined (a percentile of no cold starts).
pub type FigureValue = (String, Option<f64>);

/// Percentiles reported for each latency-like histogram, with their key names.
const PERCENTILES: [(&str, f64); 5] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p999", 0.999),
];

/// Pushes `name.mean`, `name.p50` ... `name.p999` and `name.max` of histogram `h` in ms
/// (`None` when it is empty).
pub fn push_histogram(out: &mut Vec<FigureValue>, name: &str, h: &super::Histogram) {
    let ms = |us: u64| Some(us as f64 / 1_000.0);
    let defined = !h.is_empty();
    out.push((dotted(name, "mean"), defined.then(|| h.mean_us() / 1_000.0)));
    for (key, q) in PERCENTILES {
        out.push((
            dotted(name, key),
            if defined {
                ms(h.value_at_quantile_us(q))
            } else {
                None
            },
        ));
    }
    out.push((
        dotted(name, "max"),
        if defined { ms(h.max_us()) } else { None },
    ));
}

/// `"{name}.{key}"`, built without the formatting machinery (a report makes one per
/// histogram figure of every function: 4,200 for the reference workload).
fn dotted(name: &str, key: &str) -> String {
    let mut s = String::with_capacity(name.len() + 1 + key.len());
    s.push_str(name);
    s.push('.');
    s.push_str(key);
    s
}

/// A figure averaged over replications.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Dotted key path.
    pub key: String,
    /// Mean over the replications where it is defined.
    pub mean: Option<f64>,
    /// Half-width of the 95% confidence interval (two or more defined replications).
    pub ci95: Option<f64>,
}

/// Averages the same figure list from several replications, in replication order (so the
/// floating-point result does not depend on which thread finished first).
pub fn aggregate(replications: &[Vec<FigureValue>]) -> Vec<Figure> {
    let Some(first) = replications.first() else {
        return Vec::new();
    };
    first
        .iter()
        .enumerate()
        .map(|(i, (key, _))| {
            let values: Vec<f64> = replications.iter().filter_map(|r| r[i].1).collect();
            let (mean, ci95) = if values.is_empty() {
                (None, None)
            } else {
                let (m, ci) = mean_and_ci95(&values);
                (Some(m), if replications.len() > 1 { ci } else { None })
            };
            Figure {
                key: key.clone(),
                mean,
                ci95,
            }
        })
        .collect()
}

/// The result of a scenario: figures per function and in total.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Replications run.
    pub replications: u32,
    /// Per function, in scenario order.
    pub functions: Vec<(String, Vec<Figure>)>,
    /// Over all functions.
    pub total: Vec<Figure>,
}

impl Summary {
    /// The mean of figure `key` for function `name` (`"total"` for the total), if defined.
    pub fn get(&self, name: &str, key: &str) -> Option<f64> {
        let figures = if name == "total" {
            &self.total
        } else {
            &self.functions.iter().find(|(n, _)| n == name)?.1
        };
        figures.iter().find(|f| f.key == key)?.mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_averages_and_gives_intervals_only_with_several_replications() {
        let reps = vec![
            vec![("a".to_string(), Some(1.0)), ("b".to_string(), None)],
            vec![("a".to_string(), Some(3.0)), ("b".to_string(), Some(5.0))],
        ];
        let f = aggregate(&reps);
        assert_eq!(f[0].mean, Some(2.0));
        // t(0.975, 1) × s/√2 with s = √2: 12.706.
        assert!((f[0].ci95.unwrap() - 12.7062).abs() < 1e-3);
        assert_eq!(f[1].mean, Some(5.0));
        assert_eq!(f[1].ci95, None);
        let single = aggregate(&reps[..1]);
        assert_eq!(single[0].ci95, None);
    }
}
