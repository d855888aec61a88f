//! The validation report of `[runtimes]` ([`super::runtimes_recipe`]): the held-out rows of
//! each group (after the training cut-off, or after a late group's own,
//! [`super::groups::SplitPolicy::cut_off`]), the table of simulated against measured
//! quantiles and KS, how many groups meet the goal (p50 and p90 within 10%), and every miss
//! with its reason.

use std::fmt::Write as _;

use super::day::Day;
use super::error::CalibrateResult;
use super::groups::GroupFit;
use super::recipe::DataRun;
use super::validate::{self, GroupCheck};
use crate::output::write_atomic;
use crate::stats::histogram::nearest_rank;

/// Where a p50 and a p90 must be to meet the validation goal: within 10% of the held-out.
pub const GOAL_REL_ERR: f64 = 0.10;

/// Writes the validation report of `checks` (rows after `until`, or after a late group's own
/// cut-off) to the recipe's report folder, if any, and returns its text.
pub(super) fn report(
    run: &DataRun<'_>,
    until: Day,
    checks: &[GroupCheck],
    not_modelled: &str,
) -> CalibrateResult<String> {
    let columns = &run.obs.group_columns;
    let mut report = validate::table(
        columns,
        &format!("validation of the runtime models on rows after {until}"),
        checks,
    );
    report += &late_groups(columns, &run.groups, until);
    report += &goal_summary(columns, checks, &run.groups);
    report += not_modelled;
    if let Some(dir) = &run.report_dir {
        write_atomic(&dir.join("validation.txt"), report.as_bytes())?;
        // Late groups (trained on their own first days) are held out after their own day.
        let late: Vec<serde_json::Value> = late(&run.groups, until)
            .map(|g| {
                serde_json::json!({
                    "group": super::fit_report::key_label(columns, &g.key),
                    "held_out_after": g.train_until.map(|d| d.to_string()),
                })
            })
            .collect();
        let json = serde_json::json!({
            "held_out_after": until.to_string(),
            "late_groups": late,
            "groups": validate::to_json(columns, checks),
        });
        write_atomic(
            &dir.join("validation.json"),
            (serde_json::to_string_pretty(&json)? + "\n").as_bytes(),
        )?;
        validate::write_overlays(dir, columns, checks, "boost", "validate_")?;
    }
    Ok(report)
}

/// The fitted groups trained on their own first days (their rows all come after `until`):
/// their held-out rows are the ones after their own cut-off.
fn late(groups: &[GroupFit], until: Day) -> impl Iterator<Item = &GroupFit> {
    groups
        .iter()
        .filter(move |g| g.train_until != Some(until) && !g.fits.is_empty())
}

/// [`late`] groups, a line each with their own cut-off.
fn late_groups(columns: &[String], groups: &[GroupFit], until: Day) -> String {
    late(groups, until)
        .map(|g| {
            format!(
                "late start: {} has no row up to {until}; trained on {} .. {}, validated on the rows after {}\n",
                super::fit_report::key_label(columns, &g.key),
                g.train_from.map_or("-".into(), |d| d.to_string()),
                g.train_to.map_or("-".into(), |d| d.to_string()),
                g.train_until.map_or("-".into(), |d| d.to_string()),
            )
        })
        .collect()
}

/// How many groups meet the goal (p50 and p90 within 10%), and every one that misses with
/// the reason: when the held-out rows moved by more than the goal from the training rows
/// the model was fitted to, the data moved (a platform or runtime change after June);
/// otherwise the model's shape misses.
pub fn goal_summary(columns: &[String], checks: &[GroupCheck], groups: &[GroupFit]) -> String {
    let misses: Vec<&GroupCheck> = checks.iter().filter(|c| !meets_goal(c)).collect();
    let mut s = format!(
        "\ngoal: p50 and p90 within {:.0}% in {} of {} groups ({:.1}%); misses:\n",
        100.0 * GOAL_REL_ERR,
        checks.len() - misses.len(),
        checks.len(),
        100.0 * (checks.len() - misses.len()) as f64 / checks.len().max(1) as f64
    );
    for c in misses {
        let measured = |name: &str| {
            c.percentiles
                .iter()
                .find(|p| p.0 == name)
                .map_or(f64::NAN, |p| p.2)
        };
        let trained = groups
            .iter()
            .find(|g| g.key == c.key)
            .and_then(|g| trained_p50_p90(g.data.values_ms()));
        let reason = match trained {
            Some((t50, t90))
                if (measured("p50") / t50 - 1.0).abs() > GOAL_REL_ERR
                    || (measured("p90") / t90 - 1.0).abs() > GOAL_REL_ERR =>
            {
                format!(
                    "the data moved after training: p50 {t50:.0} -> {:.0} ms, p90 {t90:.0} -> {:.0} ms",
                    measured("p50"),
                    measured("p90")
                )
            }
            Some(_) => "the model's shape (the held-out rows are like the training rows)".into(),
            None => "no training rows of its own (its model comes from other groups)".into(),
        };
        let _ = writeln!(
            s,
            "  {}: p50 {:+.1}%, p90 {:+.1}%, KS {:.3}; {reason}",
            super::fit_report::key_label(columns, &c.key),
            100.0 * c.rel_err("p50"),
            100.0 * c.rel_err("p90"),
            c.ks
        );
    }
    s
}

/// The p50 and p90 (nearest rank) of a group's sorted training values; `None` for a group
/// without training rows (all after the cut-off: a check of it can still exist, its model
/// fitted on the runtime's other groups).
fn trained_p50_p90(sorted_ms: &[f64]) -> Option<(f64, f64)> {
    let q = |q: f64| {
        let rank = nearest_rank(q, sorted_ms.len() as u64);
        sorted_ms.get(rank.checked_sub(1)? as usize).copied()
    };
    Some((q(0.5)?, q(0.9)?))
}

/// Whether a check's p50 and p90 are within [`GOAL_REL_ERR`].
pub fn meets_goal(c: &GroupCheck) -> bool {
    c.rel_err("p50").abs() <= GOAL_REL_ERR && c.rel_err("p90").abs() <= GOAL_REL_ERR
}

/// Held-out values (dated after the group's training cut-off, [`GroupFit::train_until`]),
/// sorted, per group key.
pub(super) fn held_out_by_key(run: &DataRun<'_>) -> Vec<(Vec<String>, Vec<f64>)> {
    let obs = &run.obs;
    let until: Vec<Option<Day>> = obs
        .groups
        .iter()
        .map(|key| {
            let fit = run.groups.iter().find(|g| &g.key == key);
            fit.map_or(run.split.train_until, |g| g.train_until)
        })
        .collect();
    let mut by_group: Vec<Vec<f64>> = vec![Vec::new(); obs.groups.len()];
    for o in &obs.values {
        let g = o.group as usize;
        let held = match (until.get(g).copied().flatten(), o.day) {
            (Some(u), Some(d)) => d > u,
            _ => false,
        };
        if held && o.value_ms.is_finite() && o.value_ms > 0.0 {
            by_group[g].push(o.value_ms);
        }
    }
    obs.groups
        .iter()
        .cloned()
        .zip(by_group)
        .map(|(k, mut v)| {
            v.sort_by(f64::total_cmp);
            (k, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::fit::CleaningPolicy;
    use crate::calibrate::groups::{SplitPolicy, fit_groups};
    use crate::calibrate::read::generic::{Observation, Observations};
    use crate::stats::Histogram;

    /// Nearest ranks counted by hand: of 10 sorted values, the p50 is the 5th and the p90 the
    /// 9th; no values, no quantiles.
    #[test]
    fn trained_quantiles_are_nearest_ranks_and_none_without_rows() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(trained_p50_p90(&v), Some((5.0, 9.0)));
        assert_eq!(trained_p50_p90(&[]), None);
    }

    /// A checked group whose rows all come after the cut-off has no training rows: its miss
    /// is reported with that reason (the summary used to index its empty training values).
    #[test]
    fn a_miss_without_training_rows_is_named_not_a_panic() {
        let obs = Observations {
            group_columns: vec!["runtime".into()],
            groups: vec![vec!["late".into()]],
            values: (100..110)
                .map(|d| Observation {
                    group: 0,
                    day: Some(Day(d)),
                    value_ms: 100.0,
                })
                .collect(),
            ..Default::default()
        };
        let split = SplitPolicy {
            train_until: Some(Day(49)),
            regimes: None,
            window_days: None,
            late_train_share: None,
        };
        let groups = fit_groups(&obs, &split, &CleaningPolicy::default());
        assert!(groups[0].data.values_ms().is_empty());
        let check = GroupCheck {
            key: vec!["late".into()],
            packaging: "zip".into(),
            arch: "x86_64".into(),
            memory_mb: 128,
            measured_ms: vec![100.0; 10],
            simulated: Histogram::new(),
            ks: 0.5,
            percentiles: vec![("p50", 150.0, 100.0), ("p90", 150.0, 100.0)],
        };
        let s = goal_summary(&obs.group_columns, &[check], &groups);
        assert!(s.contains("in 0 of 1 groups"), "{s}");
        assert!(s.contains("p50 +50.0%"), "{s}");
        assert!(s.contains("no training rows of its own"), "{s}");
    }
}
