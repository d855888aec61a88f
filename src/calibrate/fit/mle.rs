//! Two-parameter maximum-likelihood estimates of y = x − γ for a given shift γ, from
//! sufficient statistics computed in one pass over ln y, with right-censoring at one point.

use statrs::function::gamma::{checked_gamma_ur, digamma, ln_gamma};

use super::clean::FitData;
use super::model::{Family, LN_SQRT_2PI, Params, ln_normal_sf, trigamma};
use super::opt::nelder_mead_2d;

/// Sufficient statistics of y = x − γ over the exact observations, plus the censoring.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Suff {
    /// Exact observations.
    pub n: f64,
    /// Mean of ln y.
    pub mean_ln: f64,
    /// Σ (ln y − mean)², by a second pass (no cancellation).
    pub dev_ln: f64,
    /// Σ y in ms.
    pub sum_y: f64,
    /// Largest ln y, including the censoring point (Weibull scaling).
    pub max_ln: f64,
    /// Censored values.
    pub m: f64,
    /// Censoring point c − γ in ms (NaN when nothing is censored).
    pub c: f64,
}

/// Fills `buf` with ln(x − γ) of the observations (reusing its allocation).
pub(crate) fn fill_ln(data: &FitData, gamma: f64, buf: &mut Vec<f64>) {
    buf.clear();
    buf.extend(data.values_ms.iter().map(|&x| (x - gamma).ln()));
}

/// Sufficient statistics at shift `gamma`, given `ln_y` = ln(x − γ) in data order.
pub(crate) fn suff(data: &FitData, gamma: f64, ln_y: &[f64]) -> Suff {
    let n = ln_y.len() as f64;
    let mean_ln = ln_y.iter().sum::<f64>() / n;
    let dev_ln = ln_y.iter().map(|l| (l - mean_ln) * (l - mean_ln)).sum();
    let sum_y = data.values_ms.iter().map(|&x| x - gamma).sum();
    let m = data.censored as f64;
    let c = if data.censored > 0 {
        data.censor_ms - gamma
    } else {
        f64::NAN
    };
    let mut max_ln = ln_y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if data.censored > 0 {
        max_ln = max_ln.max(c.ln());
    }
    Suff {
        n,
        mean_ln,
        dev_ln,
        sum_y,
        max_ln,
        m,
        c,
    }
}

/// Full log-likelihood of y (exact observations' ln densities plus m·ln S(c)) for the
/// parameters `p` of `family`; −∞ for invalid parameters. O(1) for lognormal and gamma,
/// O(n) for Weibull (needs `ln_y`).
pub(crate) fn log_lik(family: Family, p: [f64; 2], s: &Suff, ln_y: &[f64]) -> f64 {
    let [a, b] = p;
    if !(a.is_finite() && b.is_finite() && b > 0.0) || (family != Family::LogNormal && a <= 0.0) {
        return f64::NEG_INFINITY;
    }
    let n = s.n;
    let censored = |params: Params| {
        if s.m > 0.0 {
            s.m * super::model::ln_survival(params, s.c)
        } else {
            0.0
        }
    };
    match family {
        Family::LogNormal => {
            let (mu, sigma) = (a, b);
            let d = s.mean_ln - mu;
            let obs = -n * s.mean_ln
                - n * sigma.ln()
                - n * LN_SQRT_2PI
                - (s.dev_ln + n * d * d) / (2.0 * sigma * sigma);
            let cens = if s.m > 0.0 {
                s.m * ln_normal_sf((s.c.ln() - mu) / sigma)
            } else {
                0.0
            };
            obs + cens
        }
        Family::Gamma => {
            let (k, theta) = (a, b);
            let obs =
                (k - 1.0) * n * s.mean_ln - s.sum_y / theta - n * ln_gamma(k) - n * k * theta.ln();
            let cens = if s.m > 0.0 {
                match checked_gamma_ur(k, s.c / theta) {
                    Ok(q) => s.m * q.ln(),
                    Err(_) => f64::NAN,
                }
            } else {
                0.0
            };
            obs + cens
        }
        Family::Weibull => {
            let (k, lambda) = (a, b);
            let ll = lambda.ln();
            let tail: f64 = ln_y.iter().map(|&l| (k * (l - ll)).exp()).sum();
            n * k.ln() - n * k * ll + (k - 1.0) * n * s.mean_ln - tail
                + censored(Params::Weibull {
                    shape: k,
                    scale_ms: lambda,
                })
        }
    }
}

/// A two-parameter estimate: parameters, log-likelihood, and whether the solver converged.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Est {
    pub p: [f64; 2],
    pub ll: f64,
    pub converged: bool,
}

/// Maximum-likelihood estimate of `family` for y = x − γ summarised by `s` (and `ln_y`).
/// `warm_k` is a Weibull shape to start Newton from (the previous profile point's).
/// `None` when there are fewer than 3 observations or they are (numerically) all equal.
pub(crate) fn mle(family: Family, s: &Suff, ln_y: &[f64], warm_k: Option<f64>) -> Option<Est> {
    if s.n < 3.0 || !(s.dev_ln.is_finite() && s.dev_ln > 1e-24 * s.n) {
        return None;
    }
    let est = match family {
        Family::LogNormal => {
            let mu = s.mean_ln;
            let sigma = (s.dev_ln / s.n).sqrt();
            if s.m > 0.0 {
                censored_nm(family, [mu, sigma], s)
            } else {
                let p = [mu, sigma];
                Est {
                    p,
                    ll: log_lik(family, p, s, ln_y),
                    converged: true,
                }
            }
        }
        Family::Gamma => {
            let target = (s.sum_y / s.n).ln() - s.mean_ln;
            if target.is_nan() || target <= 0.0 {
                return None;
            }
            let (k, converged) = gamma_shape(target);
            let p = [k, s.sum_y / s.n / k];
            if s.m > 0.0 {
                let mut e = censored_nm(family, p, s);
                e.converged &= converged;
                e
            } else {
                Est {
                    p,
                    ll: log_lik(family, p, s, ln_y),
                    converged,
                }
            }
        }
        Family::Weibull => weibull(s, ln_y, warm_k)?,
    };
    est.ll.is_finite().then_some(est)
}

/// Solves ln k − ψ(k) = `target` (> 0) for the gamma shape by Newton from Minka's
/// closed-form start; ψ′ from [`trigamma`]. Converges in 3–5 steps.
pub(crate) fn gamma_shape(target: f64) -> (f64, bool) {
    let s = target;
    let mut k = (3.0 - s + ((s - 3.0) * (s - 3.0) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..100 {
        let f = k.ln() - digamma(k) - s;
        let fp = 1.0 / k - trigamma(k);
        let mut next = k - f / fp;
        if !(next.is_finite() && next > 0.0) {
            next = 0.5 * k;
        }
        if (next - k).abs() <= 1e-12 * k {
            return (next, true);
        }
        k = next;
    }
    (k, false)
}

/// Weibull MLE by safeguarded Newton on the shape profile equation
/// Σ y^k ln y / Σ y^k − 1/k − mean(ln y_obs) = 0 (sums over exact and censored values, so
/// censoring needs no general optimiser); scale from λ^k = Σ y^k / n_obs. Powers are scaled
/// by the largest y so they never overflow.
fn weibull(s: &Suff, ln_y: &[f64], warm_k: Option<f64>) -> Option<Est> {
    let lmax = s.max_ln;
    let lc = if s.m > 0.0 { s.c.ln() - lmax } else { 0.0 };
    let sd = (s.dev_ln / s.n).sqrt();
    let mut k = warm_k
        .filter(|k| k.is_finite() && *k > 0.0)
        .unwrap_or(std::f64::consts::PI / (6.0_f64.sqrt() * sd));
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    for _ in 0..200 {
        let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
        for &l in ln_y {
            let d = l - lmax;
            let e = (k * d).exp();
            a += e;
            b += d * e;
            c += d * d * e;
        }
        if s.m > 0.0 {
            let e = (k * lc).exp();
            a += s.m * e;
            b += s.m * lc * e;
            c += s.m * lc * lc * e;
        }
        let (ba, ca) = (b / a, c / a);
        let g = ba + lmax - 1.0 / k - s.mean_ln;
        let gp = ca - ba * ba + 1.0 / (k * k);
        if g < 0.0 {
            lo = k;
        } else {
            hi = k;
        }
        let mut next = k - g / gp;
        if !(next > lo && next < hi && next.is_finite()) {
            next = if hi.is_finite() {
                0.5 * (lo + hi)
            } else {
                2.0 * k
            };
        }
        if (next - k).abs() <= 1e-11 * k || hi - lo <= 1e-14 * hi {
            let ln_lambda = lmax + (a / s.n).ln() / k;
            let lambda = ln_lambda.exp();
            // At λ̂(k), Σ (y/λ)^k over all values equals n_obs.
            let ll = s.n * k.ln() - s.n * k * ln_lambda + (k - 1.0) * s.n * s.mean_ln - s.n;
            return Some(Est {
                p: [k, lambda],
                ll,
                converged: true,
            });
        }
        k = next;
    }
    let ln_lambda = {
        let a: f64 =
            ln_y.iter().map(|&l| (k * (l - lmax)).exp()).sum::<f64>() + s.m * (k * lc).exp();
        lmax + (a / s.n).ln() / k
    };
    let p = [k, ln_lambda.exp()];
    Some(Est {
        p,
        ll: log_lik(Family::Weibull, p, s, ln_y),
        converged: false,
    })
}

/// Censored lognormal or gamma: Nelder–Mead on (μ, ln σ) or (ln k, ln θ), started from the
/// estimate that ignores the censoring; each step is O(1) thanks to the sufficient stats.
fn censored_nm(family: Family, start: [f64; 2], s: &Suff) -> Est {
    type Map = fn([f64; 2]) -> [f64; 2];
    let (to, from): (Map, Map) = match family {
        Family::LogNormal => (|p| [p[0], p[1].ln()], |t| [t[0], t[1].exp()]),
        _ => (|p| [p[0].ln(), p[1].ln()], |t| [t[0].exp(), t[1].exp()]),
    };
    let step = match family {
        Family::LogNormal => [0.1 * start[1], 0.1],
        _ => [0.1, 0.1],
    };
    let r = nelder_mead_2d(|t| -log_lik(family, from(t), s, &[]), to(start), step);
    Est {
        p: from(r.x),
        ll: -r.f,
        converged: r.converged,
    }
}
