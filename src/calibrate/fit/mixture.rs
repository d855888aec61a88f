//! Two-component mixtures of one shifted family sharing the shift, fitted by EM: lambda-perf
//! init durations are bimodal (about 5% of cold starts in a second mode ~40% slower, issue
//! 12), which no single family captures.
//!
//! Model: x = γ + y, y ~ w·f_a + (1 − w)·f_b with f_a, f_b of the same family (lognormal or
//! gamma); 6 parameters (γ, w and two per component), counted as 6 in the AIC.
//!
//! Method:
//! - For a given shift γ, EM: the E step gives each value's responsibility r_i of component
//!   a; the M step is each component's weighted maximum-likelihood estimate (lognormal:
//!   weighted mean and sd of ln y; gamma: Minka–Newton on ln(weighted mean y) − weighted
//!   mean ln y) and w = mean r. At most [`EM_MAX_ITER`] iterations, stopping when ln L
//!   gains less than 1e-10·|ln L|.
//! - Deterministic initialisation: hard splits of the sorted data at ranks 50%, 80% and 95%
//!   (a = the values below the split), one M step each, then EM from each.
//! - The shift by profile likelihood, as for the single families, in two stages. Search:
//!   on a deterministic thinning of the data to at most [`SEARCH_VALUES`] values, every
//!   start at each of [`SHIFT_GRID`] gaps x_min − γ log-spaced from h to x_min (γ = 0
//!   included; h as for the single families); the best (shift, start) wins. Refine: on all
//!   the data, EM from that start at the best grid gap and by Brent's method in ln(gap)
//!   between its neighbours. (One start at one shift is not enough: at the single family's
//!   shift EM prefers two components of equal median and unequal spread.)
//! - The likelihood of a mixture is unbounded (a component collapsing on one value), so a
//!   lognormal component's σ is floored at [`SIGMA_MIN`] and a gamma shape capped at
//!   1/[`SIGMA_MIN`]²; a fit whose smaller weight ends below [`MIN_WEIGHT`] is no mixture
//!   and is not returned.
//! - Standard errors from the central-difference Hessian of −ln L in (γ, w, a, b).
//! - Censored data are not fitted (the M step would need the censored likelihood): `None`.
//!
//! Selection ([`warranted`]): a mixture is chosen only when it beats every single family
//! by AIC *and* by BIC (k·ln n − 2 ln L): three extra parameters must pay 3·ln n
//! (29.7 at n = 20,000), not 6, so sampling noise in a unimodal sample never buys a
//! second component while a real second mode of a few % does.

use std::borrow::Cow;

use statrs::function::gamma::ln_gamma;

use super::clean::FitData;
use super::model::{Family, LN_SQRT_2PI, Model, Params};
use super::opt::{brent_min, hessian, std_errors};
use super::{Fit, RESOLUTION_MS};
use crate::stats::histogram::nearest_rank;

/// The families a mixture is fitted for (those with a closed-form or one-dimensional
/// weighted M step). Weibull mixtures are not fitted: their M step needs a Newton solve
/// per iteration, and Weibull ranks last on every lambda-perf group.
pub const MIXTURE_FAMILIES: [Family; 2] = [Family::LogNormal, Family::Gamma];
/// Most EM iterations per shift (assumed; from a good start EM needs tens).
pub const EM_MAX_ITER: usize = 400;
/// Smallest lognormal component σ (ln units): 2% spread, far below any measured mode's
/// (lambda-perf modes have σ ≈ 0.1–0.8), far above a spike on one recorded value.
pub const SIGMA_MIN: f64 = 0.02;
/// Smallest weight of the minor component: below 0.5% it describes a handful of values
/// in a sample of thousands, not a mode.
pub const MIN_WEIGHT: f64 = 0.005;
/// Profile grid size over the shift.
const SHIFT_GRID: usize = 12;
/// Split ranks of the deterministic starts.
const START_SPLITS: [f64; 3] = [0.5, 0.8, 0.95];

/// A mixture estimate at one shift.
#[derive(Clone, Copy, Debug)]
struct MixEst {
    w: f64,
    a: [f64; 2],
    b: [f64; 2],
    ll: f64,
    converged: bool,
}

/// A component's log density of y with its constants precomputed.
#[derive(Clone, Copy)]
struct LnDensity {
    family: Family,
    p: [f64; 2],
    c: f64,
}

impl LnDensity {
    fn new(family: Family, p: [f64; 2]) -> LnDensity {
        let c = match family {
            Family::LogNormal => -p[1].ln() - LN_SQRT_2PI,
            Family::Gamma => -ln_gamma(p[0]) - p[0] * p[1].ln(),
            Family::Weibull => p[0].ln() - p[0] * p[1].ln(),
        };
        LnDensity { family, p, c }
    }

    /// ln f(y), given y and ln y.
    #[inline]
    fn at(&self, y: f64, ly: f64) -> f64 {
        let [a, b] = self.p;
        match self.family {
            Family::LogNormal => {
                let z = (ly - a) / b;
                -ly + self.c - 0.5 * z * z
            }
            Family::Gamma => (a - 1.0) * ly - y / b + self.c,
            Family::Weibull => self.c + (a - 1.0) * ly - (a * (ly - b.ln())).exp(),
        }
    }
}

/// ln L of the mixture (w, a, b) at y = `ys` (ln y = `lys`); fills `r` with the
/// responsibilities of component a when given.
fn e_step(
    family: Family,
    (w, a, b): (f64, [f64; 2], [f64; 2]),
    ys: &[f64],
    lys: &[f64],
    mut r: Option<&mut Vec<f64>>,
) -> f64 {
    if !(w > 0.0 && w < 1.0) {
        return f64::NEG_INFINITY;
    }
    let (da, db) = (LnDensity::new(family, a), LnDensity::new(family, b));
    let (lw, lw1) = (w.ln(), (-w).ln_1p());
    if let Some(r) = r.as_deref_mut() {
        r.clear();
    }
    let mut ll = 0.0;
    for (&y, &ly) in ys.iter().zip(lys) {
        let la = lw + da.at(y, ly);
        let lb = lw1 + db.at(y, ly);
        let li = log_sum_exp(la, lb);
        ll += li;
        if let Some(r) = r.as_deref_mut() {
            r.push((la - li).exp());
        }
    }
    if ll.is_nan() { f64::NEG_INFINITY } else { ll }
}

/// ln(e^la + e^lb), bit for bit `m + (e^(la−m) + e^(lb−m)).ln()` with m = max(la, lb):
/// the larger term's exponential is e^0 = 1 exactly, so it is not computed (a third of the
/// exponentials of an E step). Non-finite m takes the literal path (NaN and ±∞ as before).
#[inline]
fn log_sum_exp(la: f64, lb: f64) -> f64 {
    let m = la.max(lb);
    if !m.is_finite() {
        return m + ((la - m).exp() + (lb - m).exp()).ln();
    }
    // m is one of them (a NaN never is: `max` skips it), and the other may be NaN.
    let other = if m == la { lb } else { la };
    m + (1.0 + (other - m).exp()).ln()
}

/// Weighted maximum-likelihood estimate of one component; weights `r` (or 1 − r when
/// `complement`). `None` when the weights are (numerically) zero.
fn m_step(
    family: Family,
    ys: &[f64],
    lys: &[f64],
    r: &[f64],
    complement: bool,
) -> Option<[f64; 2]> {
    let wt = |i: usize| if complement { 1.0 - r[i] } else { r[i] };
    let (mut sw, mut sl, mut sy) = (0.0, 0.0, 0.0);
    for i in 0..ys.len() {
        let w = wt(i);
        sw += w;
        sl += w * lys[i];
        sy += w * ys[i];
    }
    if sw < 1e-9 {
        return None;
    }
    let mean_ln = sl / sw;
    match family {
        Family::LogNormal => {
            let dev: f64 = (0..ys.len())
                .map(|i| wt(i) * (lys[i] - mean_ln).powi(2))
                .sum();
            Some([mean_ln, (dev / sw).sqrt().max(SIGMA_MIN)])
        }
        Family::Gamma => {
            let mean_y = sy / sw;
            let k_max = 1.0 / (SIGMA_MIN * SIGMA_MIN);
            let target = (mean_y.ln() - mean_ln).max(1e-12);
            let k = super::mle::gamma_shape(target).0.min(k_max);
            Some([k, mean_y / k])
        }
        Family::Weibull => None,
    }
}

/// EM from `start` at fixed y; `None` when a component empties.
fn em(family: Family, ys: &[f64], lys: &[f64], start: MixEst, r: &mut Vec<f64>) -> Option<MixEst> {
    let mut cur = start;
    let mut prev = f64::NEG_INFINITY;
    for _ in 0..EM_MAX_ITER {
        let ll = e_step(family, (cur.w, cur.a, cur.b), ys, lys, Some(r));
        if !ll.is_finite() {
            return None;
        }
        cur.ll = ll;
        if (ll - prev).abs() <= 1e-10 * ll.abs() {
            cur.converged = true;
            return Some(cur);
        }
        prev = ll;
        cur.w = r.iter().sum::<f64>() / r.len() as f64;
        cur.a = m_step(family, ys, lys, r, false)?;
        cur.b = m_step(family, ys, lys, r, true)?;
    }
    cur.converged = false;
    Some(cur)
}

/// The best EM result from the deterministic hard splits ([`START_SPLITS`]) at fixed y.
fn best_start(family: Family, ys: &[f64], lys: &[f64], r: &mut Vec<f64>) -> Option<MixEst> {
    let n = ys.len();
    let mut best: Option<MixEst> = None;
    for q in START_SPLITS {
        let split = ((q * n as f64) as usize).clamp(2, n.saturating_sub(2));
        r.clear();
        r.extend((0..n).map(|i| if i < split { 1.0 } else { 0.0 }));
        let (Some(a), Some(b)) = (
            m_step(family, ys, lys, r, false),
            m_step(family, ys, lys, r, true),
        ) else {
            continue;
        };
        let start = MixEst {
            w: split as f64 / n as f64,
            a,
            b,
            ll: f64::NEG_INFINITY,
            converged: false,
        };
        if let Some(e) = em(family, ys, lys, start, r)
            && best.is_none_or(|b| e.ll > b.ll)
        {
            best = Some(e);
        }
    }
    best
}

/// y = x − γ and ln y of `values` (ascending).
fn shifted(values: &[f64], gamma: f64, ys: &mut Vec<f64>, lys: &mut Vec<f64>) {
    ys.clear();
    ys.extend(values.iter().map(|&x| x - gamma));
    lys.clear();
    lys.extend(ys.iter().map(|y| y.ln()));
}

/// At most this many values search for the shift and the starting point (assumed: enough
/// to place two modes of a few % each); the full data then refine them.
const SEARCH_VALUES: usize = 2_000;

/// Every ⌈n/m⌉-th value of the ascending `values` (the smallest included): a deterministic
/// thinning that keeps the shape of the distribution.
fn thinned(values: &[f64], m: usize) -> Vec<f64> {
    let step = values.len().div_ceil(m).max(1);
    values.iter().step_by(step).copied().collect()
}

/// The shift-gap grid from `h` to `x_min` (the last is γ = 0), log-spaced.
fn gap_grid(h: f64, x_min: f64) -> Vec<f64> {
    let (ln_lo, ln_hi) = (h.ln(), x_min.ln());
    (0..SHIFT_GRID)
        .map(|i| {
            if i + 1 == SHIFT_GRID {
                x_min
            } else {
                (ln_lo + (ln_hi - ln_lo) * i as f64 / (SHIFT_GRID - 1) as f64).exp()
            }
        })
        .collect()
}

/// How much of a sample the EM of a mixture runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MixtureOptions {
    /// When set, the EM (search and refinement) runs on the deterministic thinning of the
    /// sorted sample to at most this many values (every ⌈n/m⌉-th: it keeps the empirical
    /// CDF within ⌈n/m⌉/n of the full one), the search on at most a quarter of this; the
    /// log-likelihood, AIC and standard errors are then those of all the values. `None`
    /// (the default): the EM refines on all values. Set by a recipe's
    /// `[fit] mixture_em_values`: the EM is ~85% of a recipe's fitting time.
    pub em_values: Option<usize>,
}

/// Fewest EM values [`MixtureOptions::em_values`] may ask for (a 5% mode keeps 10 values
/// in the search's quarter).
pub const MIN_EM_VALUES: usize = 200;

/// Fits a two-component mixture of `family` sharing an estimated shift (module doc).
/// `None` for a family outside [`MIXTURE_FAMILIES`], censored data, fewer than 20
/// observations or 10 distinct values, no room for a shift, or a fit whose minor weight is
/// below [`MIN_WEIGHT`].
pub fn fit_mixture(family: Family, data: &FitData) -> Option<Fit> {
    fit_mixture_with(family, data, MixtureOptions::default())
}

/// [`fit_mixture`] with the EM on the sample `options` say.
pub fn fit_mixture_with(family: Family, data: &FitData, options: MixtureOptions) -> Option<Fit> {
    let values = &data.values_ms;
    if !MIXTURE_FAMILIES.contains(&family) || data.censored > 0 || values.len() < 20 {
        return None;
    }
    // Six parameters need spread: at least 10 distinct values (ascending, so count steps).
    if values.windows(2).filter(|w| w[1] > w[0]).count() + 1 < 10 {
        return None;
    }
    let x_min = values[0];
    let median = values[nearest_rank(0.5, values.len() as u64) as usize - 1];
    let h = RESOLUTION_MS.max(1e-3 * (median - x_min));
    if x_min - h <= 0.0 || x_min.is_nan() {
        return None;
    }
    let gaps = gap_grid(h, x_min);
    let gamma_of = |gap: f64| if gap >= x_min { 0.0 } else { x_min - gap };
    let (mut ys, mut lys, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let (em_values, search_values) = match options.em_values {
        Some(m) => {
            let m = m.max(MIN_EM_VALUES);
            let em = if m < values.len() {
                Cow::Owned(thinned(values, m))
            } else {
                Cow::Borrowed(values.as_slice())
            };
            (em, m / 4)
        }
        None => (Cow::Borrowed(values.as_slice()), SEARCH_VALUES),
    };
    // 1. Search on a thinned sample: every deterministic start at every grid shift.
    let search = thinned(&em_values, search_values);
    let mut grid: Vec<Option<MixEst>> = Vec::with_capacity(SHIFT_GRID);
    for &g in &gaps {
        shifted(&search, gamma_of(g), &mut ys, &mut lys);
        grid.push(best_start(family, &ys, &lys, &mut r));
    }
    let ll = |e: &Option<MixEst>| e.map_or(f64::NEG_INFINITY, |m| m.ll);
    let i =
        (0..SHIFT_GRID).max_by(|&i, &j| ll(&grid[i]).total_cmp(&ll(&grid[j])).then(j.cmp(&i)))?;
    let start = grid[i]?;
    // 2. Refine on the full data, warm from the search's best: the grid point, then Brent
    // in ln(gap) between its neighbours.
    let mut at = |gap: f64| -> Option<(f64, MixEst)> {
        let gamma = gamma_of(gap);
        shifted(&em_values, gamma, &mut ys, &mut lys);
        em(family, &ys, &lys, start, &mut r).map(|e| (gamma, e))
    };
    let mut best = at(gaps[i])?;
    let mut brent_ok = true;
    if i > 0 && i + 1 < SHIFT_GRID {
        let res = brent_min(
            |t| at(t.exp()).map_or(f64::INFINITY, |(_, e)| -e.ll),
            gaps[i - 1].ln(),
            gaps[i + 1].ln(),
            1e-3,
        );
        brent_ok = res.converged;
        if let Some(refined) = at(res.x.exp())
            && refined.1.ll > best.1.ll
        {
            best = refined;
        }
    }
    // The bound γ = x_min − h (grid index 0) as the best is a boundary estimate.
    finish(family, data, best, i > 0 && brent_ok)
}

/// Orders the components (larger weight first), rejects a vanishing component, and
/// computes standard errors and the AIC.
fn finish(family: Family, data: &FitData, (gamma, e): (f64, MixEst), ok: bool) -> Option<Fit> {
    let (w, a, b) = if e.w >= 0.5 {
        (e.w, e.a, e.b)
    } else {
        (1.0 - e.w, e.b, e.a)
    };
    if 1.0 - w < MIN_WEIGHT {
        return None;
    }
    let (mut ys, mut lys) = (Vec::new(), Vec::new());
    // Most of the Hessian's 73 evaluations keep the shift: y and ln y are reused then.
    let mut at_shift = f64::NAN;
    let mut ll_at = |t: &[f64]| -> f64 {
        if t[0] >= data.values_ms[0] {
            return f64::NEG_INFINITY;
        }
        if t[0].to_bits() != at_shift.to_bits() {
            shifted(&data.values_ms, t[0], &mut ys, &mut lys);
            at_shift = t[0];
        }
        e_step(family, (t[1], [t[2], t[3]], [t[4], t[5]]), &ys, &lys, None)
    };
    let x = [gamma, w, a[0], a[1], b[0], b[1]];
    let gap = data.values_ms[0] - gamma;
    let scale = |i: usize| match (family, i) {
        (Family::LogNormal, 2) => a[1],
        (Family::LogNormal, 4) => b[1],
        _ => x[i].abs(),
    };
    let steps: Vec<f64> = (0..6)
        .map(|i| match i {
            0 => 1e-3 * gap,
            1 => 1e-4 * w.min(1.0 - w),
            _ => 1e-4 * scale(i),
        })
        .collect();
    let hess = hessian(|t| -ll_at(t), &x, &steps);
    let log_likelihood = ll_at(&x);
    if !log_likelihood.is_finite() {
        return None;
    }
    let names = se_names(family);
    let mut converged = ok && e.converged;
    let (std_errors, inverted) = std_errors(&names, &hess);
    converged &= inverted;
    let model = Model::mixture(
        gamma,
        w,
        Params::from_pair(family, a),
        Params::from_pair(family, b),
    );
    Some(Fit::new(
        model,
        true,
        data,
        log_likelihood,
        std_errors,
        converged,
    ))
}

/// Names of a mixture fit's standard errors, in the order of its parameters.
fn se_names(family: Family) -> [&'static str; 6] {
    match family {
        Family::LogNormal => [
            "shift_ms",
            "weight",
            "mu_ln_ms_a",
            "sigma_a",
            "mu_ln_ms_b",
            "sigma_b",
        ],
        _ => [
            "shift_ms",
            "weight",
            "shape_a",
            "scale_ms_a",
            "shape_b",
            "scale_ms_b",
        ],
    }
}

/// Bayesian information criterion k·ln n − 2·ln L of `fit` (n = exact plus censored
/// values); smaller is better.
pub fn bic(fit: &Fit) -> f64 {
    let k = fit.model.parameter_count(fit.shifted) as f64;
    let n = (fit.n + fit.n_censored).max(1) as f64;
    k * n.ln() - 2.0 * fit.log_likelihood
}

/// Whether the mixture `mix` is warranted against the single-family fits `singles`: it
/// must have a smaller AIC *and* a smaller BIC than every one of them (module doc).
pub fn warranted(mix: &Fit, singles: &[Fit]) -> bool {
    singles.iter().all(|s| mix.aic < s.aic && bic(mix) < bic(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sum_exp_is_bit_for_bit_the_literal_formula() {
        // The literal m + ln(e^(la-m) + e^(lb-m)) it replaces, on a grid of finite,
        // infinite and NaN arguments: the same bits (NaN as NaN).
        let literal = |la: f64, lb: f64| {
            let m = la.max(lb);
            m + ((la - m).exp() + (lb - m).exp()).ln()
        };
        let mut xs: Vec<f64> = (-40..=40).map(|i| f64::from(i) * 0.37 - 1e-3).collect();
        xs.extend([
            -745.0,
            -1e6,
            0.0,
            700.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ]);
        for &a in &xs {
            for &b in &xs {
                let (got, want) = (log_sum_exp(a, b), literal(a, b));
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{a} {b}: {got} vs {want}"
                );
            }
        }
    }
}
