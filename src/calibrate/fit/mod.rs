//! Maximum-likelihood fitting of duration distributions (milliseconds) and goodness of fit,
//! used to calibrate init durations (e.g. `lambda-perf/python-init-durations-2022-2024.csv`,
//! ~15k values per runtime/packaging/arch group, minimum ~50–60 ms, median ~90 ms, heavy
//! right tail).
//!
//! Families: lognormal, gamma, Weibull, each unshifted (2 parameters) or shifted by a
//! location γ below the smallest value (3 parameters, counted as 3 in the AIC).
//!
//! Method:
//! - Unshifted, uncensored: lognormal in closed form (mean and sd of ln x); gamma shape by
//!   Newton on ln k − ψ(k) = ln(mean x) − mean(ln x) (Minka's start); Weibull shape by
//!   safeguarded Newton on its profile equation. All need only ln x, precomputed once.
//! - Right-censoring (values known only to exceed a threshold c contribute ln S(c)):
//!   Weibull keeps its profile equation (it absorbs censoring exactly); lognormal and gamma
//!   use Nelder–Mead on (μ, ln σ) / (ln k, ln θ) from the estimate that ignores censoring.
//! - Shifted: profile likelihood over γ ∈ [0, x_min − h]. The 3-parameter likelihood is
//!   unbounded as γ → x_min (lognormal always, gamma and Weibull when the shape < 1: the
//!   density of the smallest value blows up), so γ is bounded by x_min − h with
//!   h = max(0.01 ms, 1e-3·(median − x_min)): 0.01 ms is the resolution the data are
//!   recorded at (REPORT lines print two decimals), so gaps below it are not measured, and
//!   1e-3 of the bulk's width keeps h meaningful for data far above the resolution. The
//!   profile is evaluated on 24 gaps x_min − γ log-spaced from h to x_min (γ = 0 included,
//!   so the shifted fit is never worse than the unshifted one), the best interior local
//!   maximum is refined by Brent's method in ln(gap), and it is preferred over the
//!   singular end γ = x_min − h; that end is used only when the profile has no interior
//!   maximum and rises towards it, and the fit is then flagged `converged = false`.
//! - Standard errors: the observed information, i.e. the central-difference Hessian of
//!   −ln L in the natural parameters (shift, then the family's two) at the optimum,
//!   inverted by Cholesky. When it is not positive definite the errors are NaN and the
//!   fit is flagged `converged = false`.

mod clean;
mod gof;
pub mod mixture;
mod mle;
mod model;
mod opt;

pub use clean::{Cleaning, CleaningPolicy, FitData, prepare};
pub use gof::{Goodness, goodness, ks_critical_95, ks_statistic};
pub use mixture::{
    MIN_EM_VALUES, MIXTURE_FAMILIES, MixtureOptions, bic, fit_mixture, fit_mixture_with, warranted,
};
pub use model::{Family, Mix, Model, Params};

use mle::{Est, Suff, fill_ln, log_lik, mle, suff};
use opt::{brent_min, hessian, std_errors};

use crate::stats::histogram::nearest_rank;

/// Profile grid size over the shift (gaps log-spaced from h to x_min).
const PROFILE_GRID: usize = 24;
/// Data resolution in ms: the smallest gap x_min − γ the shift may reach (see module doc).
pub const RESOLUTION_MS: f64 = 0.01;

/// One maximum-likelihood fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// The fitted distribution (`shift_ms` = 0 for the unshifted form).
    pub model: Model,
    /// Whether the shift was estimated (3 parameters) rather than fixed at 0.
    pub shifted: bool,
    /// Exact observations used.
    pub n: u64,
    /// Right-censored values used.
    pub n_censored: u64,
    /// Maximised log-likelihood (densities per ms).
    pub log_likelihood: f64,
    /// Akaike information criterion 2·(parameters) − 2·ln L; smaller is better.
    pub aic: f64,
    /// Standard errors from the observed information, named `shift_ms` (shifted fits),
    /// then `mu_ln_ms`/`sigma` or `shape`/`scale_ms`; NaN when the information matrix is
    /// not positive definite.
    pub std_errors: Vec<(&'static str, f64)>,
    /// Whether every solver met its tolerance, the shift is not stuck at its upper bound
    /// and the information matrix was invertible.
    pub converged: bool,
}

impl Fit {
    /// A maximum-likelihood fit of `model` to `data`, its AIC counted from the model's
    /// parameters (Akaike 1974: 2·k − 2·ln L).
    pub(crate) fn new(
        model: Model,
        shifted: bool,
        data: &FitData,
        log_likelihood: f64,
        std_errors: Vec<(&'static str, f64)>,
        converged: bool,
    ) -> Fit {
        let k = model.parameter_count(shifted) as f64;
        Fit {
            model,
            shifted,
            n: data.observed(),
            n_censored: data.censored,
            log_likelihood,
            aic: 2.0 * k - 2.0 * log_likelihood,
            std_errors,
            converged,
        }
    }

    /// Standard error of the parameter called `name` (see `std_errors`), if present.
    pub fn std_error(&self, name: &str) -> Option<f64> {
        self.std_errors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, se)| se)
    }
}

/// Evaluates the full log-likelihood at (γ, p), caching ln(x − γ) and the sufficient
/// statistics for the few distinct γ a Hessian needs.
struct Evaluator<'a> {
    data: &'a FitData,
    family: Family,
    cache: Vec<(u64, Suff, Vec<f64>)>,
}

impl Evaluator<'_> {
    fn ll(&mut self, gamma: f64, p: [f64; 2]) -> f64 {
        let key = gamma.to_bits();
        let i = match self.cache.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                if gamma >= self.data.values_ms[0] {
                    return f64::NEG_INFINITY;
                }
                let mut buf = Vec::new();
                fill_ln(self.data, gamma, &mut buf);
                let s = suff(self.data, gamma, &buf);
                if self.cache.len() >= 4 {
                    self.cache.remove(0);
                }
                self.cache.push((key, s, buf));
                self.cache.len() - 1
            }
        };
        let (_, s, ln_y) = &self.cache[i];
        log_lik(self.family, p, s, ln_y)
    }
}

/// Fits `family` to `data` by maximum likelihood, with an estimated shift when `shifted`.
/// `None` when it cannot be fitted: fewer than 3 exact observations, all (numerically)
/// equal, or (shifted) x_min ≤ h so there is no room for a shift.
pub fn fit(family: Family, shifted: bool, data: &FitData) -> Option<Fit> {
    let values = &data.values_ms;
    if values.len() < 3 {
        return None;
    }
    let (gamma, est, mut converged) = if shifted {
        profile_shift(family, data)?
    } else {
        let s = suff(data, 0.0, &data.ln_values);
        let e = mle(family, &s, &data.ln_values, None)?;
        (0.0, e, e.converged)
    };

    // Observed information in natural parameters.
    let mut ev = Evaluator {
        data,
        family,
        cache: Vec::new(),
    };
    let [a, b] = est.p;
    let scale_a = match family {
        Family::LogNormal => b,
        _ => a,
    };
    let gap = values[0] - gamma;
    let (x, h): (Vec<f64>, Vec<f64>) = if shifted {
        (
            vec![gamma, a, b],
            vec![1e-3 * gap, 1e-4 * scale_a, 1e-4 * b],
        )
    } else {
        (vec![a, b], vec![1e-4 * scale_a, 1e-4 * b])
    };
    let hess = hessian(
        |t| {
            let (g, p) = if shifted {
                (t[0], [t[1], t[2]])
            } else {
                (0.0, [t[0], t[1]])
            };
            -ev.ll(g, p)
        },
        &x,
        &h,
    );
    let log_likelihood = ev.ll(gamma, est.p);
    let mut names: Vec<&'static str> = Vec::with_capacity(3);
    if shifted {
        names.push("shift_ms");
    }
    names.extend(Params::names(family));
    let (std_errors, inverted) = std_errors(&names, &hess);
    converged &= inverted;
    if !log_likelihood.is_finite() {
        return None;
    }
    let model = Model::new(gamma, Params::from_pair(family, est.p));
    Some(Fit::new(
        model,
        shifted,
        data,
        log_likelihood,
        std_errors,
        converged,
    ))
}

/// Maximises the profile likelihood over the shift (see the module doc): returns the shift,
/// the two-parameter estimate there and whether the search converged.
fn profile_shift(family: Family, data: &FitData) -> Option<(f64, Est, bool)> {
    let values = &data.values_ms;
    let x_min = values[0];
    let median = values[nearest_rank(0.5, values.len() as u64) as usize - 1];
    let h = RESOLUTION_MS.max(1e-3 * (median - x_min));
    if x_min - h <= 0.0 || x_min.is_nan() {
        return None;
    }
    let mut buf: Vec<f64> = Vec::with_capacity(values.len());
    let mut warm_k: Option<f64> = None;
    let mut all_converged = true;
    // Profile log-likelihood at gap g = x_min − γ; g = x_min is exactly γ = 0.
    let mut profile = |g: f64| -> Option<(f64, Est)> {
        let gamma = if g >= x_min { 0.0 } else { x_min - g };
        let e = if gamma == 0.0 {
            let s = suff(data, 0.0, &data.ln_values);
            mle(family, &s, &data.ln_values, warm_k)?
        } else {
            fill_ln(data, gamma, &mut buf);
            let s = suff(data, gamma, &buf);
            mle(family, &s, &buf, warm_k)?
        };
        if family == Family::Weibull {
            warm_k = Some(e.p[0]);
        }
        Some((gamma, e))
    };
    let ln_lo = h.ln();
    let ln_hi = x_min.ln();
    let gaps: Vec<f64> = (0..PROFILE_GRID)
        .map(|i| {
            if i + 1 == PROFILE_GRID {
                x_min
            } else {
                (ln_lo + (ln_hi - ln_lo) * i as f64 / (PROFILE_GRID - 1) as f64).exp()
            }
        })
        .collect();
    // Evaluate from γ = 0 towards the bound, so Weibull warm starts move smoothly.
    let mut vals = [f64::NEG_INFINITY; PROFILE_GRID];
    let mut ests: [Option<(f64, Est)>; PROFILE_GRID] = [None; PROFILE_GRID];
    for i in (0..PROFILE_GRID).rev() {
        if let Some((g, e)) = profile(gaps[i]) {
            vals[i] = e.ll;
            all_converged &= e.converged;
            ests[i] = Some((g, e));
        }
    }
    let zero = ests[PROFILE_GRID - 1];
    // Best interior local maximum of the grid.
    let interior = (1..PROFILE_GRID - 1)
        .filter(|&i| vals[i].is_finite() && vals[i] >= vals[i - 1] && vals[i] >= vals[i + 1])
        .max_by(|&i, &j| vals[i].total_cmp(&vals[j]).then(j.cmp(&i)));
    let mut best: Option<(f64, Est, bool)> = zero.map(|(g, e)| (g, e, all_converged));
    if let Some(i) = interior {
        let r = brent_min(
            |t| profile(t.exp()).map_or(f64::INFINITY, |(_, e)| -e.ll),
            gaps[i - 1].ln(),
            gaps[i + 1].ln(),
            1e-8,
        );
        let (g, e) = profile(r.x.exp()).or(ests[i])?;
        let refined = if e.ll >= vals[i] { (g, e) } else { ests[i]? };
        let conv = all_converged && r.converged && refined.1.converged;
        if best.is_none_or(|(_, z, _)| refined.1.ll > z.ll) {
            best = Some((refined.0, refined.1, conv));
        }
    } else if vals[0] > vals[PROFILE_GRID - 1] {
        // Profile rises all the way to the bound: a boundary estimate.
        let (g, e) = ests[0]?;
        best = Some((g, e, false));
    }
    best
}

/// Fits the six single-family models (lognormal, gamma, Weibull; unshifted and shifted),
/// best (smallest) AIC first; ties keep that order. Models that cannot be fitted are left
/// out.
pub fn fit_singles(data: &FitData) -> Vec<Fit> {
    let mut fits: Vec<Fit> = Family::ALL
        .iter()
        .flat_map(|&f| [fit(f, false, data), fit(f, true, data)])
        .flatten()
        .collect();
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    fits
}

/// Fits all six single-family models (lognormal, gamma, Weibull; unshifted and shifted)
/// and the mixtures of [`MIXTURE_FAMILIES`] ([`mixture`]). Ranked by AIC, best (smallest)
/// first, ties keeping that order; a mixture that is not [`warranted`] (it must also win
/// by BIC) is ranked after every single family, so the first fit is the one chosen.
/// Models that cannot be fitted are left out.
pub fn fit_all(data: &FitData) -> Vec<Fit> {
    fit_all_with(data, MixtureOptions::default())
}

/// [`fit_all`] with the mixtures fitted as `mixture` says.
pub fn fit_all_with(data: &FitData, mixture: MixtureOptions) -> Vec<Fit> {
    let mut fits = fit_singles(data);
    let mixtures: Vec<Fit> = MIXTURE_FAMILIES
        .iter()
        .filter_map(|&f| fit_mixture_with(f, data, mixture))
        .collect();
    let (chosen, rest): (Vec<Fit>, Vec<Fit>) =
        mixtures.into_iter().partition(|m| warranted(m, &fits));
    fits.extend(chosen);
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    let mut rest = rest;
    rest.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    fits.extend(rest);
    fits
}
