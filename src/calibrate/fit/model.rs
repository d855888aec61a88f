//! The fitted duration distributions: lognormal, gamma and Weibull, optionally shifted by a
//! location `shift_ms` (a floor below which no duration occurs), with their CDF, quantile,
//! log-density and mean. Special functions come from `statrs` (ln Γ, regularised incomplete
//! Γ, erfc and its inverse); the trigamma function is computed here.

use std::f64::consts::SQRT_2;
use std::fmt;

use statrs::function::erf::{erfc, erfc_inv};
use statrs::function::gamma::{checked_gamma_lr, checked_gamma_ur, gamma, ln_gamma};

/// ln √(2π), the normalising constant of the normal density.
pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// A family of positive duration distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// ln(x − shift) is normal with mean `mu_ln_ms` (ln of milliseconds) and sd `sigma`.
    LogNormal,
    /// Gamma with `shape` k and `scale_ms` θ: density ∝ y^(k−1) e^(−y/θ), y = x − shift.
    Gamma,
    /// Weibull with `shape` k and `scale_ms` λ: survival e^(−(y/λ)^k), y = x − shift.
    Weibull,
}

impl Family {
    /// The three families, in the order `fit_all` tries them (the order ties are kept in).
    pub const ALL: [Family; 3] = [Family::LogNormal, Family::Gamma, Family::Weibull];
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::LogNormal => "lognormal",
            Family::Gamma => "gamma",
            Family::Weibull => "weibull",
        })
    }
}

/// The two parameters of a family, applied to y = x − shift (milliseconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Params {
    /// Mean (`mu_ln_ms`, ln of milliseconds; the median of y is e^mu) and sd (`sigma`,
    /// dimensionless) of ln y.
    LogNormal { mu_ln_ms: f64, sigma: f64 },
    /// Shape k (dimensionless) and scale θ in milliseconds; mean kθ.
    Gamma { shape: f64, scale_ms: f64 },
    /// Shape k (dimensionless) and scale λ in milliseconds (the 63.2 % quantile of y).
    Weibull { shape: f64, scale_ms: f64 },
}

impl Params {
    /// The family these parameters belong to.
    pub fn family(&self) -> Family {
        match self {
            Params::LogNormal { .. } => Family::LogNormal,
            Params::Gamma { .. } => Family::Gamma,
            Params::Weibull { .. } => Family::Weibull,
        }
    }

    /// The parameters as `[first, second]` in the order they are declared
    /// (`[mu_ln_ms, sigma]` or `[shape, scale_ms]`).
    pub fn pair(&self) -> [f64; 2] {
        match *self {
            Params::LogNormal { mu_ln_ms, sigma } => [mu_ln_ms, sigma],
            Params::Gamma { shape, scale_ms } => [shape, scale_ms],
            Params::Weibull { shape, scale_ms } => [shape, scale_ms],
        }
    }

    /// Builds the parameters of `family` from `[first, second]`.
    pub(crate) fn from_pair(family: Family, p: [f64; 2]) -> Params {
        match family {
            Family::LogNormal => Params::LogNormal {
                mu_ln_ms: p[0],
                sigma: p[1],
            },
            Family::Gamma => Params::Gamma {
                shape: p[0],
                scale_ms: p[1],
            },
            Family::Weibull => Params::Weibull {
                shape: p[0],
                scale_ms: p[1],
            },
        }
    }

    /// Names of these parameters (`mu_ln_ms`, `sigma` or `shape`, `scale_ms`).
    pub fn names_of(&self) -> [&'static str; 2] {
        Params::names(self.family())
    }

    /// Names of the two parameters, as used in `Fit::std_errors`.
    pub(crate) fn names(family: Family) -> [&'static str; 2] {
        match family {
            Family::LogNormal => ["mu_ln_ms", "sigma"],
            Family::Gamma | Family::Weibull => ["shape", "scale_ms"],
        }
    }
}

/// The second component of a two-component mixture ([`super::mixture`]): with probability
/// `weight` a duration is a draw of the model's `params` (component a), else of `second`
/// (component b, same family and shift).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mix {
    /// Probability of component a (`Model::params`), in (0, 1); fits put the larger
    /// component first, so a fitted weight is at least 0.5.
    pub weight: f64,
    /// Component b's parameters, applied to `x − shift_ms` like component a's.
    pub second: Params,
}

/// A fitted (or hand-specified) duration distribution: `shift_ms` plus a variable of
/// `family` with `params`, or (with `mix`) a two-component mixture of such variables that
/// share the shift. `shift_ms` is 0 for the two-parameter forms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Model {
    /// Which family `params` belongs to (always equal to `params.family()`).
    pub family: Family,
    /// Location in milliseconds: no duration is at or below it; 0 when unshifted.
    pub shift_ms: f64,
    /// The family's parameters, applied to `x − shift_ms` (component a of a mixture).
    pub params: Params,
    /// The weight and second component of a mixture; `None` for a single distribution.
    pub mix: Option<Mix>,
}

impl Model {
    /// A model of `params`' family shifted by `shift_ms`.
    pub fn new(shift_ms: f64, params: Params) -> Model {
        Model {
            family: params.family(),
            shift_ms,
            params,
            mix: None,
        }
    }

    /// A two-component mixture sharing `shift_ms`: component `a` with probability `weight`,
    /// else `b` (both of `a`'s family).
    pub fn mixture(shift_ms: f64, weight: f64, a: Params, b: Params) -> Model {
        Model {
            family: a.family(),
            shift_ms,
            params: a,
            mix: Some(Mix { weight, second: b }),
        }
    }

    /// Whether this is a two-component mixture.
    pub fn is_mixture(&self) -> bool {
        self.mix.is_some()
    }

    /// The name reports use: `lognormal`, `shifted gamma`, `shifted lognormal mixture`.
    pub fn label(&self, shifted: bool) -> String {
        format!(
            "{}{}{}",
            if shifted { "shifted " } else { "" },
            self.family,
            if self.is_mixture() { " mixture" } else { "" }
        )
    }

    /// Component a alone (a single distribution with the same shift).
    pub fn component_a(&self) -> Model {
        Model::new(self.shift_ms, self.params)
    }

    /// Component b alone, when this is a mixture.
    pub fn component_b(&self) -> Option<Model> {
        self.mix.map(|m| Model::new(self.shift_ms, m.second))
    }

    /// P(X ≤ x_ms). 0 at or below the shift; NaN for NaN. A mixture's CDF is the weighted
    /// sum of its components'.
    pub fn cdf(&self, x_ms: f64) -> f64 {
        if let Some(m) = self.mix {
            let b = Model::new(self.shift_ms, m.second);
            return m.weight * self.component_a().cdf(x_ms) + (1.0 - m.weight) * b.cdf(x_ms);
        }
        if x_ms.is_nan() {
            return f64::NAN;
        }
        let y = x_ms - self.shift_ms;
        if y <= 0.0 {
            return 0.0;
        }
        if y == f64::INFINITY {
            return 1.0;
        }
        match self.params {
            Params::LogNormal { mu_ln_ms, sigma } => {
                0.5 * erfc(-(y.ln() - mu_ln_ms) / (sigma * SQRT_2))
            }
            Params::Gamma { shape, scale_ms } => {
                checked_gamma_lr(shape, y / scale_ms).unwrap_or(f64::NAN)
            }
            Params::Weibull { shape, scale_ms } => -(-(y / scale_ms).powf(shape)).exp_m1(),
        }
    }

    /// ln P(X > x_ms), accurate far in the right tail (used for censored values).
    pub fn ln_survival(&self, x_ms: f64) -> f64 {
        let y = x_ms - self.shift_ms;
        match self.mix {
            Some(m) => ln_sum_exp(
                m.weight.ln() + ln_survival(self.params, y),
                (-m.weight).ln_1p() + ln_survival(m.second, y),
            ),
            None => ln_survival(self.params, y),
        }
    }

    /// The p-quantile in milliseconds: `shift_ms` for p ≤ 0, +∞ for p ≥ 1, NaN for NaN.
    /// Lognormal and Weibull invert in closed form; gamma by safeguarded Newton on the
    /// regularised incomplete gamma function (relative accuracy ~1e-13). A mixture's
    /// quantile lies between its components' quantiles at p and is found by bisection on
    /// the CDF there (relative accuracy ~1e-14).
    pub fn quantile(&self, p: f64) -> f64 {
        if p.is_nan() {
            return f64::NAN;
        }
        if p <= 0.0 {
            return self.shift_ms;
        }
        if p >= 1.0 {
            return f64::INFINITY;
        }
        if let Some(m) = self.mix {
            let b = Model::new(self.shift_ms, m.second);
            return mixture_quantile(
                |x| self.cdf(x),
                self.component_a().quantile(p),
                b.quantile(p),
                p,
            );
        }
        let y = match self.params {
            Params::LogNormal { mu_ln_ms, sigma } => (mu_ln_ms + sigma * normal_quantile(p)).exp(),
            Params::Gamma { shape, scale_ms } => scale_ms * gamma_quantile_unit(shape, p),
            Params::Weibull { shape, scale_ms } => scale_ms * (-(-p).ln_1p()).powf(1.0 / shape),
        };
        self.shift_ms + y
    }

    /// ln of the density at `x_ms` (per millisecond); −∞ at or below the shift.
    pub fn ln_pdf(&self, x_ms: f64) -> f64 {
        if let Some(m) = self.mix {
            let b = Model::new(self.shift_ms, m.second);
            return ln_sum_exp(
                m.weight.ln() + self.component_a().ln_pdf(x_ms),
                (-m.weight).ln_1p() + b.ln_pdf(x_ms),
            );
        }
        let y = x_ms - self.shift_ms;
        if y.is_nan() {
            return f64::NAN;
        }
        if y <= 0.0 || y == f64::INFINITY {
            return f64::NEG_INFINITY;
        }
        let ly = y.ln();
        match self.params {
            Params::LogNormal { mu_ln_ms, sigma } => {
                let z = (ly - mu_ln_ms) / sigma;
                -ly - sigma.ln() - LN_SQRT_2PI - 0.5 * z * z
            }
            Params::Gamma { shape, scale_ms } => {
                (shape - 1.0) * ly - y / scale_ms - ln_gamma(shape) - shape * scale_ms.ln()
            }
            Params::Weibull { shape, scale_ms } => {
                let lz = ly - scale_ms.ln();
                shape.ln() - scale_ms.ln() + (shape - 1.0) * lz - (shape * lz).exp()
            }
        }
    }

    /// Mean in milliseconds: shift + e^(μ+σ²/2), shift + kθ, shift + λΓ(1 + 1/k); a
    /// mixture's is the weighted mean of its components'.
    pub fn mean_ms(&self) -> f64 {
        if let Some(m) = self.mix {
            let b = Model::new(self.shift_ms, m.second);
            return m.weight * self.component_a().mean_ms() + (1.0 - m.weight) * b.mean_ms();
        }
        self.shift_ms
            + match self.params {
                Params::LogNormal { mu_ln_ms, sigma } => (mu_ln_ms + 0.5 * sigma * sigma).exp(),
                Params::Gamma { shape, scale_ms } => shape * scale_ms,
                Params::Weibull { shape, scale_ms } => scale_ms * gamma(1.0 + 1.0 / shape),
            }
    }

    /// Number of free parameters for AIC: 2, plus 1 for the estimated shift when `shifted`,
    /// plus 3 for a mixture's weight and second component.
    pub fn parameter_count(&self, shifted: bool) -> usize {
        2 + usize::from(shifted) + if self.is_mixture() { 3 } else { 0 }
    }
}

/// ln(e^a + e^b) without overflow; −∞ when both are −∞.
pub(crate) fn ln_sum_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY || m.is_nan() {
        return m;
    }
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// The p-quantile of a mixture with CDF `cdf` whose components' p-quantiles are `qa` and
/// `qb`: F(min) ≤ p ≤ F(max), so bisection between them converges (to 1e-14 relative).
fn mixture_quantile(cdf: impl Fn(f64) -> f64, qa: f64, qb: f64, p: f64) -> f64 {
    let (mut lo, mut hi) = (qa.min(qb), qa.max(qb));
    if !(lo.is_finite() && hi.is_finite()) {
        return f64::NAN;
    }
    for _ in 0..200 {
        if hi - lo <= 1e-14 * hi.abs() {
            break;
        }
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// ln P(Y > y) of the unshifted variable with `params`; 0 for y ≤ 0.
pub(crate) fn ln_survival(params: Params, y: f64) -> f64 {
    if y.is_nan() {
        return f64::NAN;
    }
    if y <= 0.0 {
        return 0.0;
    }
    if y == f64::INFINITY {
        return f64::NEG_INFINITY;
    }
    match params {
        Params::LogNormal { mu_ln_ms, sigma } => ln_normal_sf((y.ln() - mu_ln_ms) / sigma),
        Params::Gamma { shape, scale_ms } => checked_gamma_ur(shape, y / scale_ms)
            .map(f64::ln)
            .unwrap_or(f64::NAN),
        Params::Weibull { shape, scale_ms } => -(y / scale_ms).powf(shape),
    }
}

/// ln(1 − Φ(z)) of the standard normal; uses the asymptotic expansion where erfc underflows.
pub(crate) fn ln_normal_sf(z: f64) -> f64 {
    if z < 30.0 {
        (0.5 * erfc(z / SQRT_2)).ln()
    } else {
        // Mills ratio: 1 − Φ(z) ≈ φ(z)/z · (1 − 1/z² + 3/z⁴).
        let z2 = z * z;
        -0.5 * z2 - z.ln() - LN_SQRT_2PI + (1.0 - 1.0 / z2 + 3.0 / (z2 * z2)).ln()
    }
}

/// Standard normal quantile: statrs' erfc⁻¹ (accurate to ~1e-11) polished by two Newton
/// steps on Φ(z) = 0.5·erfc(−z/√2), giving ~1e-15.
fn normal_quantile(p: f64) -> f64 {
    let mut z = -SQRT_2 * erfc_inv(2.0 * p);
    for _ in 0..2 {
        let err = 0.5 * erfc(-z / SQRT_2) - p;
        let dens = (-0.5 * z * z - LN_SQRT_2PI).exp();
        if dens > 0.0 && err.is_finite() {
            z -= err / dens;
        }
    }
    z
}

/// Trigamma ψ′(x) for x > 0: recurrence ψ′(x) = ψ′(x+1) + 1/x² up to x ≥ 6, then the
/// asymptotic series 1/x + 1/(2x²) + Σ B₂ₖ/x^(2k+1) (error < 1e-11 there).
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let r = 1.0 / x;
    let r2 = r * r;
    acc + r
        + 0.5 * r2
        + r * r2 * (1.0 / 6.0 - r2 * (1.0 / 30.0 - r2 * (1.0 / 42.0 - r2 * (1.0 / 30.0))))
}

/// Quantile of the unit-scale gamma(shape): Newton on P(shape, x) − p, kept inside a
/// bracket that bisection shrinks whenever Newton would leave it.
fn gamma_quantile_unit(shape: f64, p: f64) -> f64 {
    if !(shape.is_finite() && shape > 0.0) {
        return f64::NAN;
    }
    let lr = |x: f64| checked_gamma_lr(shape, x).unwrap_or(f64::NAN);
    // Wilson–Hilferty start.
    let z = -SQRT_2 * erfc_inv(2.0 * p);
    let c = 1.0 / (9.0 * shape);
    let mut x = shape * (1.0 - c + z * c.sqrt()).powi(3);
    if !(x.is_finite() && x > 0.0) {
        x = shape.max(1e-3);
    }
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    let lg = ln_gamma(shape);
    for _ in 0..200 {
        let f = lr(x) - p;
        if f.is_nan() {
            return f64::NAN;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let ln_dens = (shape - 1.0) * x.ln() - x - lg;
        let step = f / ln_dens.exp();
        let mut next = x - step;
        if !(next > lo && next < hi && next.is_finite()) {
            next = if hi.is_finite() {
                0.5 * (lo + hi)
            } else {
                2.0 * x.max(lo) + 1.0
            };
        }
        if (next - x).abs() <= 1e-15 * x || (hi.is_finite() && hi - lo <= 4.0 * f64::EPSILON * hi) {
            return next;
        }
        x = next;
    }
    x
}
