//! Fitting every group of a data set: split off held-out rows by date, keep the last regime
//! of the training rows, clean, fit the six candidate distributions and rank them by AIC.

use rayon::prelude::*;

use super::day::Day;
use super::fit::{self, Cleaning, CleaningPolicy, Fit, FitData, Goodness, MixtureOptions};
use super::read::Observations;
use super::regime::{RegimeRule, last_regime_start};

/// Which rows train a model.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SplitPolicy {
    /// Rows dated after this day are held out (for `coldsim validate`); rows without a date
    /// then count as held out too, so nothing undated leaks into training.
    pub train_until: Option<Day>,
    /// Fit only the last regime of the training rows ([`super::regime`]); `None` fits all.
    pub regimes: Option<RegimeRule>,
    /// Fit only the training rows of the last this many days (up to the group's last
    /// dated training row), within the last regime: recent rows predict the next months
    /// better when the level drifts within a regime. `None` keeps the whole regime.
    pub window_days: Option<u32>,
    /// A group with no row up to `train_until` (its rows all come later: a runtime
    /// launched after the cut-off) trains on this share of its own days, from its first,
    /// and its later rows are held out. `None` leaves such groups without a fit.
    pub late_train_share: Option<f64>,
}

impl SplitPolicy {
    /// Whether a row dated `day` trains (before regime detection).
    pub fn trains(&self, day: Option<Day>) -> bool {
        match (self.train_until, day) {
            (None, _) => true,
            (Some(until), Some(d)) => d <= until,
            (Some(_), None) => false,
        }
    }

    /// The last training day of a group whose rows are dated `days`: `train_until`, or,
    /// for a group with no row up to it and a `late_train_share`, the day that share of
    /// the group's own days in (at least its first day).
    pub fn cut_off(&self, days: impl Iterator<Item = Day> + Clone) -> Option<Day> {
        let until = self.train_until?;
        let (Some(share), Some(first)) = (self.late_train_share, days.clone().min()) else {
            return Some(until);
        };
        if first <= until {
            return Some(until);
        }
        let last = days.max().unwrap_or(first);
        let span = f64::from(last.0 - first.0 + 1);
        let train_days = ((span * share).floor() as i32).max(1);
        Some(Day(first.0 + train_days - 1))
    }
}

/// One candidate fit and how well it matches the training data.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedFit {
    /// The fit.
    pub fit: Fit,
    /// Its goodness on the training data.
    pub goodness: Goodness,
    /// AIC minus the best AIC (0 for the best).
    pub delta_aic: f64,
}

/// The fits of one group.
#[derive(Clone, Debug)]
pub struct GroupFit {
    /// The group's key, one value per grouping column.
    pub key: Vec<String>,
    /// Rows of the group in the data.
    pub rows: u64,
    /// Rows held out by the date split.
    pub held_out: u64,
    /// Training rows before the last regime (not used).
    pub before_regime: u64,
    /// First day of the training rows used, when dated.
    pub train_from: Option<Day>,
    /// Last day of the training rows used, when dated.
    pub train_to: Option<Day>,
    /// The group's training cut-off: later rows are held out ([`SplitPolicy::cut_off`]).
    pub train_until: Option<Day>,
    /// What cleaning did.
    pub cleaning: Cleaning,
    /// The training data after cleaning (sorted), for plots.
    pub data: FitData,
    /// Candidate fits, best AIC first.
    pub fits: Vec<RankedFit>,
}

impl GroupFit {
    /// The best fit by AIC, if any could be made.
    pub fn best(&self) -> Option<&RankedFit> {
        self.fits.first()
    }
}

/// Fits every group of `obs` that has rows (in parallel; the result is in group order and does not depend
/// on the thread count).
pub fn fit_groups(
    obs: &Observations,
    split: &SplitPolicy,
    cleaning: &CleaningPolicy,
) -> Vec<GroupFit> {
    fit_groups_with(obs, split, cleaning, MixtureOptions::default())
}

/// [`fit_groups`] with the mixtures fitted as `mixture` says.
pub fn fit_groups_with(
    obs: &Observations,
    split: &SplitPolicy,
    cleaning: &CleaningPolicy,
    mixture: MixtureOptions,
) -> Vec<GroupFit> {
    // One pass to bucket values by group: (day, value) in file order.
    let mut by_group: Vec<Vec<(Option<Day>, f64)>> = vec![Vec::new(); obs.groups.len()];
    for o in &obs.values {
        if let Some(v) = by_group.get_mut(o.group as usize) {
            v.push((o.day, o.value_ms));
        }
    }
    by_group
        .into_par_iter()
        .enumerate()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(g, rows)| fit_group(obs.groups[g].clone(), &rows, split, (cleaning, mixture)))
        .collect()
}

/// The first day of the last regime of `rows` (dated training rows), from their daily medians.
fn regime_start(rows: &[(Option<Day>, f64)], rule: &RegimeRule) -> Option<Day> {
    let mut dated: Vec<(Day, f64)> = rows.iter().filter_map(|&(d, v)| Some((d?, v))).collect();
    dated.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut medians = Vec::new();
    let mut i = 0;
    while i < dated.len() {
        let day = dated[i].0;
        let j = i + dated[i..].partition_point(|x| x.0 == day);
        medians.push((day, dated[(i + j - 1) / 2].1));
        i = j;
    }
    last_regime_start(&medians, rule)
}

fn fit_group(
    key: Vec<String>,
    rows: &[(Option<Day>, f64)],
    split: &SplitPolicy,
    (cleaning, mixture): (&CleaningPolicy, MixtureOptions),
) -> GroupFit {
    let until = split.cut_off(rows.iter().filter_map(|r| r.0));
    let own = SplitPolicy {
        train_until: until,
        ..*split
    };
    let train: Vec<(Option<Day>, f64)> = rows
        .iter()
        .copied()
        .filter(|&(d, _)| own.trains(d))
        .collect();
    let regime = split.regimes.and_then(|rule| regime_start(&train, &rule));
    let window = split.window_days.and_then(|w| {
        let last = train.iter().filter_map(|r| r.0).max()?;
        Some(Day(last.0 - w as i32 + 1))
    });
    let start = regime.max(window);
    let used: Vec<(Option<Day>, f64)> = match start {
        Some(s) => train
            .iter()
            .copied()
            .filter(|&(d, _)| d.is_none_or(|d| d >= s))
            .collect(),
        None => train.clone(),
    };
    let values: Vec<f64> = used.iter().map(|&(_, v)| v).collect();
    let (data, cleaning) = fit::prepare(&values, cleaning);
    let mut fits: Vec<RankedFit> = fit::fit_all_with(&data, mixture)
        .into_iter()
        .map(|f| RankedFit {
            goodness: fit::goodness(&f.model, &data),
            delta_aic: 0.0,
            fit: f,
        })
        .collect();
    if let Some(best) = fits.first().map(|f| f.fit.aic) {
        for f in &mut fits {
            f.delta_aic = f.fit.aic - best;
        }
    }
    GroupFit {
        key,
        rows: rows.len() as u64,
        held_out: (rows.len() - train.len()) as u64,
        before_regime: (train.len() - used.len()) as u64,
        train_from: used.iter().filter_map(|x| x.0).min(),
        train_to: used.iter().filter_map(|x| x.0).max(),
        train_until: until,
        cleaning,
        data,
        fits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_group_trains_on_its_own_first_days() {
        // Cut-off day 49. A group dated 100..=109 (10 days) with a share of 0.5 trains on
        // days 100..=104 (5 days); 0.01 of 10 days rounds down to none, so its first day;
        // a group with a row on day 49 or before keeps the common cut-off (hand counts).
        let split = |late_train_share| SplitPolicy {
            train_until: Some(Day(49)),
            regimes: None,
            window_days: None,
            late_train_share,
        };
        let late = (100..110).map(Day);
        assert_eq!(split(Some(0.5)).cut_off(late.clone()), Some(Day(104)));
        assert_eq!(split(Some(0.01)).cut_off(late.clone()), Some(Day(100)));
        assert_eq!(split(None).cut_off(late.clone()), Some(Day(49)));
        assert_eq!(split(Some(0.5)).cut_off((49..110).map(Day)), Some(Day(49)));
        // Fitted: 5 days x 5 rows train, 25 are held out.
        let rows: Vec<(Option<Day>, f64)> = late
            .flat_map(|d| (0..5).map(move |i| (Some(d), 100.0 + f64::from(d.0 + i))))
            .collect();
        let cleaning = (&CleaningPolicy::default(), MixtureOptions::default());
        let g = fit_group(vec!["g".into()], &rows, &split(Some(0.5)), cleaning);
        assert_eq!((g.data.values_ms.len(), g.held_out), (25, 25));
        assert_eq!(
            (g.train_until, g.train_to),
            (Some(Day(104)), Some(Day(104)))
        );
    }

    #[test]
    fn a_window_fits_only_the_last_days_of_the_training_rows() {
        // Days 0..60 with 5 rows each (values 100 + day), trained up to day 49: a 21-day
        // window keeps days 29..=49, i.e. 21 × 5 = 105 rows; 50 × 5 − 105 = 145 are
        // before it and 10 × 5 = 50 held out (hand count).
        let rows: Vec<(Option<Day>, f64)> = (0..60)
            .flat_map(|d| {
                (0..5).map(move |i| (Some(Day(d)), 100.0 + f64::from(d) + 0.1 * f64::from(i)))
            })
            .collect();
        let split = |window_days| SplitPolicy {
            train_until: Some(Day(49)),
            regimes: None,
            window_days,
            late_train_share: None,
        };
        let cleaning = (&CleaningPolicy::default(), MixtureOptions::default());
        let g = fit_group(vec!["g".into()], &rows, &split(Some(21)), cleaning);
        assert_eq!(
            (g.data.values_ms.len(), g.before_regime, g.held_out),
            (105, 145, 50)
        );
        assert_eq!((g.train_from, g.train_to), (Some(Day(29)), Some(Day(49))));
        assert_eq!(g.data.values_ms[0], 129.0);
        // Without a window every training row is fitted.
        let all = fit_group(vec!["g".into()], &rows, &split(None), cleaning);
        assert_eq!((all.data.values_ms.len(), all.before_regime), (250, 0));
    }
}
