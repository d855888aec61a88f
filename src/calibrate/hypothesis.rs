//! Which init-CPU hypothesis do measurements at several memory sizes support (DESIGN.md,
//! "CPU")?
//!
//! - `boost`: init runs with a CPU allowance that does not depend on memory, so every memory
//!   size draws its init from one distribution F.
//! - `proportional`: init runs at min(1, memory / 1,769 MB) vCPU (one thread), so
//!   x · s(m) ~ F with s(m) = min(1, m / 1769): a 128 MB init takes 13.8× as long as a
//!   1,769 MB one.
//!
//! Each hypothesis is fitted by maximum likelihood (the best of the six families by AIC, on
//! x under `boost`, on x · s(m) under `proportional`, whose density in x carries the
//! Jacobian s(m)), and the two are compared by AIC: the difference is twice the log of the
//! likelihood ratio, evidence in the data's own units.

use super::error::CalibrateResult;
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::fit::{self, FitData, Model};
use super::fit_report::key_label;
use super::read::Observations;
use crate::lambda::MB_PER_VCPU;
use crate::stats::histogram::nearest_rank;

/// The CPU share of one init thread at `memory_mb` under the proportional hypothesis.
pub fn proportional_speed(memory_mb: f64) -> f64 {
    (memory_mb / MB_PER_VCPU).min(1.0)
}

/// The two hypotheses fitted to one group of configurations (all memory sizes pooled).
#[derive(Clone, Debug)]
pub struct HypothesisFit {
    /// The group's key without the memory column.
    pub key: Vec<String>,
    /// Values pooled.
    pub n: u64,
    /// Best model and AIC under `boost` (on x).
    pub boost: (Model, f64),
    /// Best model and AIC under `proportional` (of x · s(m), AIC in x).
    pub proportional: (Model, f64),
    /// Per memory size: (memory MB, measured p50, boost p50, proportional p50), ms.
    pub medians: Vec<(u32, f64, f64, f64)>,
}

impl HypothesisFit {
    /// AIC(proportional) − AIC(boost): positive favours boost.
    pub fn delta_aic(&self) -> f64 {
        self.proportional.1 - self.boost.1
    }
}

/// Fits both hypotheses to every group of `obs` that pools more than one memory size;
/// `memory_column` must be one of `obs`' grouping columns. Groups are the other grouping
/// columns.
pub fn compare(obs: &Observations, memory_column: &str) -> CalibrateResult<Vec<HypothesisFit>> {
    let Some(mc) = obs.group_columns.iter().position(|c| c == memory_column) else {
        return Err(crate::error::InputError::Usage(format!(
            "the memory column `{memory_column}` must be one of the grouping columns ({})",
            obs.group_columns.join(", ")
        ))
        .into());
    };
    let mut memory = Vec::with_capacity(obs.groups.len());
    for g in &obs.groups {
        let m: f64 = g[mc].parse().map_err(|_| {
            crate::error::InputError::Usage(format!(
                "{memory_column}: `{}` is not a memory size in MB",
                g[mc]
            ))
        })?;
        if !(m.is_finite() && m > 0.0) {
            return Err(crate::error::InputError::Usage(format!(
                "{memory_column}: `{}` is not a positive memory size",
                g[mc]
            ))
            .into());
        }
        memory.push(m);
    }
    // Pool by the key without the memory column: (key) -> [(memory, value)].
    let mut pools: std::collections::BTreeMap<Vec<String>, Vec<(f64, f64)>> = Default::default();
    for o in &obs.values {
        if !(o.value_ms.is_finite() && o.value_ms > 0.0) {
            continue;
        }
        let g = o.group as usize;
        let mut key = obs.groups[g].clone();
        key.remove(mc);
        pools.entry(key).or_default().push((memory[g], o.value_ms));
    }
    let mut out = Vec::new();
    for (key, rows) in pools {
        let mut mems: Vec<f64> = rows.iter().map(|r| r.0).collect();
        mems.sort_by(f64::total_cmp);
        mems.dedup();
        if mems.len() < 2 {
            continue;
        }
        let x: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let y: Vec<f64> = rows.iter().map(|r| r.1 * proportional_speed(r.0)).collect();
        let jacobian: f64 = rows.iter().map(|r| proportional_speed(r.0).ln()).sum();
        let best = |v: &[f64]| {
            fit::fit_singles(&FitData::from_values(v))
                .into_iter()
                .next()
                .map(|f| (f.model, f.aic))
        };
        let (Some(boost), Some((pm, paic))) = (best(&x), best(&y)) else {
            continue;
        };
        // ln L(x) = ln L(y) + Σ ln s: AIC(x) = AIC(y) − 2 Σ ln s.
        let proportional = (pm, paic - 2.0 * jacobian);
        let medians = mems
            .iter()
            .map(|&m| {
                let mut v: Vec<f64> = rows.iter().filter(|r| r.0 == m).map(|r| r.1).collect();
                v.sort_by(f64::total_cmp);
                let data = v[nearest_rank(0.5, v.len() as u64) as usize - 1];
                (
                    m as u32,
                    data,
                    boost.0.quantile(0.5),
                    proportional.0.quantile(0.5) / proportional_speed(m),
                )
            })
            .collect();
        out.push(HypothesisFit {
            key,
            n: rows.len() as u64,
            boost,
            proportional,
            medians,
        });
    }
    Ok(out)
}

/// The comparison as a table, ending with the verdict.
pub fn table(columns: &[String], fits: &[HypothesisFit]) -> String {
    let mut s = String::from(
        "init-CPU hypotheses: boost (init CPU independent of memory) vs proportional (min(1, memory/1769) vCPU)\n",
    );
    let mut total = 0.0;
    let mut n = 0;
    for f in fits {
        total += f.delta_aic();
        n += f.n;
        let _ = writeln!(
            s,
            "  {:<36} n {:>6}  AIC(proportional) - AIC(boost) = {:>12.1}  ({:+.2} ln-likelihood per value)",
            key_label(columns, &f.key),
            f.n,
            f.delta_aic(),
            f.delta_aic() / 2.0 / f.n as f64
        );
        for (m, data, b, p) in &f.medians {
            let _ = writeln!(
                s,
                "      {m:>6} MB: p50 measured {data:>8.1} ms, boost {b:>8.1} ms ({:+.1}%), proportional {p:>8.1} ms ({:+.1}%)",
                100.0 * (b / data - 1.0),
                100.0 * (p / data - 1.0)
            );
        }
    }
    let verdict = if total > 10.0 {
        "the data support boost"
    } else if total < -10.0 {
        "the data support proportional"
    } else {
        "the data cannot tell the hypotheses apart (|dAIC| <= 10)"
    };
    let _ = writeln!(
        s,
        "  verdict: {verdict}: total dAIC {total:.1} over {n} values ({:+.2} ln-likelihood per value)",
        if n > 0 { total / 2.0 / n as f64 } else { 0.0 }
    );
    s
}

/// The comparison as JSON.
pub fn to_json(columns: &[String], fits: &[HypothesisFit]) -> Value {
    let total: f64 = fits.iter().map(HypothesisFit::delta_aic).sum();
    json!({
        "total_delta_aic": total,
        "preferred": if total > 10.0 { "boost" } else if total < -10.0 { "proportional" } else { "undecided" },
        "groups": fits.iter().map(|f| json!({
            "group": key_label(columns, &f.key),
            "n": f.n,
            "aic_boost": f.boost.1,
            "aic_proportional": f.proportional.1,
            "delta_aic": f.delta_aic(),
            "medians": f.medians.iter().map(|(m, d, b, p)| json!({
                "memory_mb": m, "measured_ms": d, "boost_ms": b, "proportional_ms": p
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
