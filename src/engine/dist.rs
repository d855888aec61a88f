//! Random durations: the distributions a scenario or model can give wherever a duration is
//! accepted (DESIGN.md, "Distributions"). Sampling is allocation-free.

use std::sync::Arc;

use rand::Rng as _;
use rand_distr::{Distribution, Exp1, Gamma, StandardNormal};

use super::rng::Rng;
use super::time::SimDuration;

/// The standard normal quantile at 0.99, used to turn a (median, p99) pair into a lognormal
/// sigma: sigma = ln(p99 / median) / z_0.99.
pub const Z_99: f64 = 2.326_347_874_040_841;
/// The standard normal quantile at 0.90.
pub const Z_90: f64 = 1.281_551_565_544_601;

/// A distribution of durations. Parameters are held in microseconds.
#[derive(Clone, Debug)]
pub enum Dist {
    /// Always the same value.
    Constant(SimDuration),
    /// Exponential with the given mean.
    Exponential { mean_us: f64 },
    /// Uniform on [min, max].
    Uniform { min_us: f64, max_us: f64 },
    /// Lognormal: ln(X in µs) ~ Normal(mu_ln_us, sigma).
    LogNormal { mu_ln_us: f64, sigma: f64 },
    /// Gamma with shape k and scale θ (mean kθ).
    Gamma {
        shape: f64,
        scale_us: f64,
        sampler: Gamma<f64>,
    },
    /// Weibull with shape k and scale λ.
    Weibull { shape: f64, scale_us: f64 },
    /// Resampling of measured values (bootstrap), in µs.
    Empirical(Arc<[u64]>),
    /// A three-parameter form: `shift_us` plus a draw of `inner` (the location of a shifted
    /// lognormal, gamma or Weibull fitted by `coldsim calibrate`: no init is faster than
    /// the runtime's fixed work).
    Shifted { shift_us: f64, inner: Box<Dist> },
    /// A two-component mixture: a draw of `a` with probability `weight`, else of `b` (the
    /// bimodal init durations of lambda-perf: ~5% of cold starts in a mode ~40% slower,
    /// fitted by `coldsim calibrate`). One uniform draw picks the component.
    Mixture {
        weight: f64,
        a: Box<Dist>,
        b: Box<Dist>,
    },
}

/// One lognormal draw: `exp(mu_ln_us + sigma · z)` µs for a standard normal `z`.
#[inline(always)]
fn lognormal(mu_ln_us: f64, sigma: f64, rng: &mut Rng) -> SimDuration {
    let z: f64 = StandardNormal.sample(rng);
    SimDuration::from_us_f64((mu_ln_us + sigma * z).exp())
}

impl Dist {
    /// A constant.
    pub fn constant(d: SimDuration) -> Self {
        Dist::Constant(d)
    }

    /// A lognormal from its median and 99th percentile; `p99 >= median > 0` is the caller's
    /// to check (config validation does).
    pub fn lognormal_median_p99(median: SimDuration, p99: SimDuration) -> Self {
        Self::lognormal_median_quantile(median, p99, Z_99)
    }

    /// A lognormal from its median and the quantile whose standard normal score is `z`
    /// (e.g. [`Z_90`] for the 90th percentile).
    pub fn lognormal_median_quantile(median: SimDuration, upper: SimDuration, z: f64) -> Self {
        let m = median.as_us().max(1) as f64;
        let sigma = ((upper.as_us().max(1) as f64) / m).ln().max(0.0) / z;
        Dist::LogNormal {
            mu_ln_us: m.ln(),
            sigma,
        }
    }

    /// A gamma; `shape > 0` and `scale > 0` are the caller's to check.
    pub fn gamma(shape: f64, scale_us: f64) -> Option<Self> {
        Gamma::new(shape, scale_us).ok().map(|sampler| Dist::Gamma {
            shape,
            scale_us,
            sampler,
        })
    }

    /// One draw. A constant is answered inline (it draws nothing from `rng`), and a
    /// lognormal (the usual handler time) is drawn inline; the other distributions are drawn
    /// out of line.
    #[inline(always)]
    pub fn sample(&self, rng: &mut Rng) -> SimDuration {
        match self {
            Dist::Constant(d) => *d,
            Dist::LogNormal { mu_ln_us, sigma } => lognormal(*mu_ln_us, *sigma, rng),
            _ => self.sample_random(rng),
        }
    }

    /// One draw of a distribution that is not a constant.
    #[inline(never)]
    fn sample_random(&self, rng: &mut Rng) -> SimDuration {
        match self {
            Dist::Constant(d) => *d,
            Dist::Exponential { mean_us } => {
                let e: f64 = Exp1.sample(rng);
                SimDuration::from_us_f64(e * mean_us)
            }
            Dist::Uniform { min_us, max_us } => {
                let u: f64 = rng.random();
                SimDuration::from_us_f64(min_us + u * (max_us - min_us))
            }
            Dist::LogNormal { mu_ln_us, sigma } => lognormal(*mu_ln_us, *sigma, rng),
            Dist::Gamma { sampler, .. } => SimDuration::from_us_f64(sampler.sample(rng)),
            Dist::Weibull { shape, scale_us } => {
                let e: f64 = Exp1.sample(rng);
                SimDuration::from_us_f64(scale_us * e.powf(1.0 / shape))
            }
            Dist::Empirical(values) => {
                let i = rng.random_range(0..values.len());
                SimDuration(values[i])
            }
            Dist::Shifted { shift_us, inner } => {
                SimDuration::from_us_f64(shift_us + inner.sample(rng).as_us() as f64)
            }
            Dist::Mixture { weight, a, b } => {
                let u: f64 = rng.random();
                if u < *weight {
                    a.sample(rng)
                } else {
                    b.sample(rng)
                }
            }
        }
    }

    /// The exact mean, in µs.
    pub fn mean_us(&self) -> f64 {
        match self {
            Dist::Constant(d) => d.as_us() as f64,
            Dist::Exponential { mean_us } => *mean_us,
            Dist::Uniform { min_us, max_us } => 0.5 * (min_us + max_us),
            Dist::LogNormal { mu_ln_us, sigma } => (mu_ln_us + 0.5 * sigma * sigma).exp(),
            Dist::Gamma {
                shape, scale_us, ..
            } => shape * scale_us,
            Dist::Weibull { shape, scale_us } => {
                scale_us * statrs::function::gamma::gamma(1.0 + 1.0 / shape)
            }
            Dist::Empirical(v) => v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64,
            Dist::Shifted { shift_us, inner } => shift_us + inner.mean_us(),
            Dist::Mixture { weight, a, b } => weight * a.mean_us() + (1.0 - weight) * b.mean_us(),
        }
    }

    /// True when every draw is the same value.
    pub fn is_constant(&self) -> bool {
        matches!(self, Dist::Constant(_))
    }

    /// The same distribution stretched by `factor` (every draw multiplied by it). Used to
    /// turn a handler time measured at one vCPU into the time at another CPU share.
    pub fn scaled(&self, factor: f64) -> Dist {
        match self {
            Dist::Constant(d) => {
                Dist::Constant(SimDuration::from_us_f64(d.as_us() as f64 * factor))
            }
            Dist::Exponential { mean_us } => Dist::Exponential {
                mean_us: mean_us * factor,
            },
            Dist::Uniform { min_us, max_us } => Dist::Uniform {
                min_us: min_us * factor,
                max_us: max_us * factor,
            },
            Dist::LogNormal { mu_ln_us, sigma } => Dist::LogNormal {
                mu_ln_us: mu_ln_us + factor.ln(),
                sigma: *sigma,
            },
            Dist::Gamma {
                shape, scale_us, ..
            } => Dist::gamma(*shape, scale_us * factor).unwrap_or_else(|| self.clone()),
            Dist::Weibull { shape, scale_us } => Dist::Weibull {
                shape: *shape,
                scale_us: scale_us * factor,
            },
            Dist::Empirical(v) => Dist::Empirical(
                v.iter()
                    .map(|&x| SimDuration::from_us_f64(x as f64 * factor).as_us())
                    .collect(),
            ),
            Dist::Shifted { shift_us, inner } => Dist::Shifted {
                shift_us: shift_us * factor,
                inner: Box::new(inner.scaled(factor)),
            },
            Dist::Mixture { weight, a, b } => Dist::Mixture {
                weight: *weight,
                a: Box::new(a.scaled(factor)),
                b: Box::new(b.scaled(factor)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample_mean(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = Rng::seed_from_u64(1);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng).as_us() as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, (var / n as f64).sqrt())
    }

    #[test]
    fn sample_means_match_closed_form_means_within_four_standard_errors() {
        let dists = [
            Dist::Exponential { mean_us: 5_000.0 },
            Dist::Uniform {
                min_us: 1_000.0,
                max_us: 3_000.0,
            },
            Dist::lognormal_median_p99(SimDuration::from_ms(80), SimDuration::from_ms(400)),
            Dist::gamma(2.5, 4_000.0).unwrap(),
            Dist::Weibull {
                shape: 1.5,
                scale_us: 10_000.0,
            },
        ];
        for d in &dists {
            let (m, se) = sample_mean(d, 200_000);
            assert!(
                (m - d.mean_us()).abs() < 4.0 * se + 1.0,
                "{d:?}: sample mean {m} vs {} (se {se})",
                d.mean_us()
            );
        }
    }

    #[test]
    fn lognormal_from_median_and_p99_hits_both_quantiles() {
        let d = Dist::lognormal_median_p99(SimDuration::from_ms(80), SimDuration::from_ms(400));
        let mut rng = Rng::seed_from_u64(3);
        let mut xs: Vec<u64> = (0..100_000).map(|_| d.sample(&mut rng).as_us()).collect();
        xs.sort_unstable();
        let med = xs[50_000] as f64;
        let p99 = xs[99_000] as f64;
        // Sampling error of a quantile of 1e5 draws is well under 2% here.
        assert!((med / 80_000.0 - 1.0).abs() < 0.02, "median {med}");
        assert!((p99 / 400_000.0 - 1.0).abs() < 0.04, "p99 {p99}");
    }

    #[test]
    fn scaling_multiplies_the_mean_by_the_factor() {
        let d = Dist::lognormal_median_p99(SimDuration::from_ms(80), SimDuration::from_ms(400));
        let s = d.scaled(3.0);
        assert!((s.mean_us() / d.mean_us() - 3.0).abs() < 1e-9);
        let g = Dist::gamma(2.0, 10.0).unwrap().scaled(0.5);
        assert!((g.mean_us() - 10.0).abs() < 1e-9);
        let shifted = Dist::Shifted {
            shift_us: 50_000.0,
            inner: Box::new(Dist::gamma(2.0, 10_000.0).unwrap()),
        };
        assert!((shifted.scaled(2.0).mean_us() - 140_000.0).abs() < 1e-6);
    }

    #[test]
    fn a_shifted_draw_is_never_below_the_shift_and_its_mean_adds_the_shift() {
        let d = Dist::Shifted {
            shift_us: 50_000.0,
            inner: Box::new(Dist::Weibull {
                shape: 1.5,
                scale_us: 20_000.0,
            }),
        };
        let mut rng = Rng::seed_from_u64(9);
        assert!((0..10_000).all(|_| d.sample(&mut rng).as_us() >= 50_000));
        let (m, se) = sample_mean(&d, 200_000);
        assert!(
            (m - d.mean_us()).abs() < 4.0 * se + 1.0,
            "{m} vs {}",
            d.mean_us()
        );
    }
}
