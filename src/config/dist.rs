//! Distribution specs as written in scenario and model files: a duration string for a
//! constant, or a table `{ dist = "lognormal", median = "80ms", p99 = "400ms" }`. Parsing
//! happens inside serde so the TOML parser can point at the line of a bad value.

use std::fmt;
use std::path::Path;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::units::parse_duration;
use crate::engine::dist::{Dist, Z_90, Z_99};
use crate::engine::time::SimDuration;
use crate::error::{InputError, InputResult, ValueError};

/// A [`ValueError`] with a formatted message.
macro_rules! bad_value {
    ($($arg:tt)*) => {
        ValueError(format!($($arg)*))
    };
}

/// A duration value in a file: a string with a unit. Bare numbers are rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationValue(pub SimDuration);

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DurationValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration with a unit, e.g. \"250ms\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DurationValue, E> {
                parse_duration(s).map(DurationValue).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DurationValue, E> {
                Err(E::custom(format!(
                    "expected a duration with a unit, e.g. \"{v}ms\"; got the bare number {v}"
                )))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DurationValue, E> {
                Err(E::custom(format!(
                    "expected a duration with a unit, e.g. \"{v}ms\"; got the bare number {v}"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// A distribution of durations as specified; turned into an engine [`Dist`] by
/// [`DistSpec::to_dist`] once files it names are read.
#[derive(Clone, Debug, PartialEq)]
pub enum DistSpec {
    /// `"120ms"` or `{ dist = "constant", value = "120ms" }`.
    Constant(SimDuration),
    /// `{ dist = "exponential", mean = ".." }`.
    Exponential { mean: SimDuration },
    /// `{ dist = "uniform", min = "..", max = ".." }`.
    Uniform { min: SimDuration, max: SimDuration },
    /// `{ dist = "lognormal", median = "..", p99 = ".." }` (or `p90` instead of `p99`, which
    /// fits the body of a distribution better than its tail).
    LogNormalQuantiles {
        median: SimDuration,
        upper: SimDuration,
        upper_z: f64,
    },
    /// `{ dist = "lognormal", mu = .., sigma = .. }`, parameters of ln(milliseconds).
    LogNormalParams { mu_ln_ms: f64, sigma: f64 },
    /// `{ dist = "gamma", shape = .., scale = ".." }`.
    Gamma { shape: f64, scale: SimDuration },
    /// `{ dist = "weibull", shape = .., scale = ".." }`.
    Weibull { shape: f64, scale: SimDuration },
    /// `{ dist = "empirical", file = "..", column = ".." }`, values in milliseconds.
    Empirical { file: String, column: String },
    /// `shift = ".."` added to a lognormal, gamma or Weibull table: the three-parameter form
    /// (every draw is `shift` plus a draw of the two-parameter distribution), as written by
    /// `coldsim calibrate` when a shifted family fits best.
    Shifted {
        shift: SimDuration,
        inner: Box<DistSpec>,
    },
    /// `{ dist = "mixture", weight = 0.95, a = {..}, b = {..} }`: a draw of `a` with
    /// probability `weight` (in (0, 1)), else of `b`; `a` and `b` are any distribution
    /// tables (or durations). Written by `coldsim calibrate` when a two-component mixture
    /// fits best (bimodal init durations).
    Mixture {
        weight: f64,
        a: Box<DistSpec>,
        b: Box<DistSpec>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistTable {
    dist: String,
    value: Option<DurationValue>,
    mean: Option<DurationValue>,
    min: Option<DurationValue>,
    max: Option<DurationValue>,
    median: Option<DurationValue>,
    p90: Option<DurationValue>,
    p99: Option<DurationValue>,
    p999: Option<DurationValue>,
    mu: Option<f64>,
    sigma: Option<f64>,
    shape: Option<f64>,
    scale: Option<DurationValue>,
    file: Option<String>,
    column: Option<String>,
    shift: Option<DurationValue>,
    weight: Option<f64>,
    a: Option<Box<DistSpec>>,
    b: Option<Box<DistSpec>>,
}

impl DistTable {
    /// The keys present, for checking each `dist` gets exactly its own.
    fn present(&self) -> Vec<&'static str> {
        let flags = [
            ("value", self.value.is_some()),
            ("mean", self.mean.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("median", self.median.is_some()),
            ("p90", self.p90.is_some()),
            ("p99", self.p99.is_some()),
            ("p999", self.p999.is_some()),
            ("mu", self.mu.is_some()),
            ("sigma", self.sigma.is_some()),
            ("shape", self.shape.is_some()),
            ("scale", self.scale.is_some()),
            ("file", self.file.is_some()),
            ("column", self.column.is_some()),
            ("weight", self.weight.is_some()),
            ("a", self.a.is_some()),
            ("b", self.b.is_some()),
        ];
        flags.iter().filter(|(_, p)| *p).map(|(k, _)| *k).collect()
    }

    fn into_spec(mut self) -> Result<DistSpec, ValueError> {
        if let Some(shift) = self.shift.take() {
            return self.shifted(shift);
        }
        match self.dist.as_str() {
            "constant" => {
                self.only(&["value"])?;
                Ok(DistSpec::Constant(self.need(self.value, "value")?))
            }
            "exponential" => {
                self.only(&["mean"])?;
                Ok(DistSpec::Exponential {
                    mean: self.need(self.mean, "mean")?,
                })
            }
            "uniform" => self.uniform(),
            "lognormal" if self.mu.is_some() || self.sigma.is_some() => self.lognormal_params(),
            "lognormal" => self.lognormal_quantiles(),
            "gamma" | "weibull" => self.shape_and_scale(),
            "empirical" => self.empirical(),
            "mixture" => self.mixture(),
            other => Err(bad_value!(
                "unknown dist \"{other}\"; expected constant, exponential, uniform, lognormal, gamma, weibull, empirical or mixture"
            )),
        }
    }

    /// The three-parameter form: `shift` plus the table without it.
    fn shifted(self, shift: DurationValue) -> Result<DistSpec, ValueError> {
        if !matches!(self.dist.as_str(), "lognormal" | "gamma" | "weibull") {
            return Err(bad_value!(
                "`shift` applies to lognormal, gamma and weibull, not to dist = \"{}\"",
                self.dist
            ));
        }
        Ok(DistSpec::Shifted {
            shift: shift.0,
            inner: Box::new(self.into_spec()?),
        })
    }

    /// An error unless every key present is one of `allowed`.
    fn only(&self, allowed: &[&str]) -> Result<(), ValueError> {
        let extra: Vec<&str> = self
            .present()
            .into_iter()
            .filter(|k| !allowed.contains(k))
            .collect();
        if extra.is_empty() {
            return Ok(());
        }
        Err(bad_value!(
            "dist = \"{}\" takes {}; remove {}",
            self.dist,
            allowed.join(", "),
            extra.join(", ")
        ))
    }

    /// The duration at `key`, which this `dist` needs.
    fn need(&self, v: Option<DurationValue>, key: &str) -> Result<SimDuration, ValueError> {
        v.map(|d| d.0)
            .ok_or_else(|| bad_value!("dist = \"{}\" needs `{key}`", self.dist))
    }

    fn uniform(&self) -> Result<DistSpec, ValueError> {
        self.only(&["min", "max"])?;
        let (min, max) = (self.need(self.min, "min")?, self.need(self.max, "max")?);
        if min > max {
            return Err(bad_value!("uniform: min ({min}) is above max ({max})"));
        }
        Ok(DistSpec::Uniform { min, max })
    }

    /// `mu` and `sigma` of ln(milliseconds).
    fn lognormal_params(&self) -> Result<DistSpec, ValueError> {
        self.only(&["mu", "sigma"])?;
        let mu = self
            .mu
            .ok_or("lognormal with `sigma` needs `mu` (ln of ms)")?;
        let sigma = self.sigma.ok_or("lognormal with `mu` needs `sigma`")?;
        if !mu.is_finite() || !(0.0..=10.0).contains(&sigma) {
            return Err(bad_value!(
                "lognormal needs a finite `mu` and 0 <= sigma <= 10; got mu = {mu}, sigma = {sigma}"
            ));
        }
        Ok(DistSpec::LogNormalParams {
            mu_ln_ms: mu,
            sigma,
        })
    }

    /// `median` and one upper quantile (`p90`, `p99` or `p999`).
    fn lognormal_quantiles(&self) -> Result<DistSpec, ValueError> {
        let median = self.need(self.median, "median (or mu and sigma)")?;
        let (key, upper, upper_z) = match (self.p90, self.p99, self.p999) {
            (Some(p90), None, None) => ("p90", p90.0, Z_90),
            (None, Some(p99), None) => ("p99", p99.0, Z_99),
            (None, None, Some(p999)) => ("p999", p999.0, crate::storage::tiers::Z_999),
            _ => {
                return Err(bad_value!(
                    "lognormal takes `median` and one of `p90`, `p99`, `p999`"
                ));
            }
        };
        self.only(&["median", key])?;
        if median.as_us() == 0 || upper < median {
            return Err(bad_value!(
                "lognormal needs 0 < median <= {key}; got median {median}, {key} {upper}"
            ));
        }
        Ok(DistSpec::LogNormalQuantiles {
            median,
            upper,
            upper_z,
        })
    }

    /// Gamma or Weibull: a positive `shape` and a `scale` duration.
    fn shape_and_scale(&self) -> Result<DistSpec, ValueError> {
        self.only(&["shape", "scale"])?;
        let shape = self.shape.ok_or("needs `shape`")?;
        if !(shape.is_finite() && shape > 0.0) {
            return Err(bad_value!("`shape` must be a positive number; got {shape}"));
        }
        let scale = self.need(self.scale, "scale")?;
        if self.dist == "gamma" {
            Ok(DistSpec::Gamma { shape, scale })
        } else {
            Ok(DistSpec::Weibull { shape, scale })
        }
    }

    /// Two components `a` and `b` and the probability `weight` of `a`, in (0, 1).
    fn mixture(self) -> Result<DistSpec, ValueError> {
        self.only(&["weight", "a", "b"])?;
        let weight = self
            .weight
            .ok_or("mixture needs `weight` (the probability of `a`, in (0, 1))")?;
        if !(weight > 0.0 && weight < 1.0) {
            return Err(bad_value!(
                "mixture `weight` is the probability of `a` and must lie strictly between 0 and 1; got {weight}"
            ));
        }
        Ok(DistSpec::Mixture {
            weight,
            a: self.a.ok_or("mixture needs `a` (a distribution table)")?,
            b: self.b.ok_or("mixture needs `b` (a distribution table)")?,
        })
    }

    fn empirical(self) -> Result<DistSpec, ValueError> {
        self.only(&["file", "column"])?;
        Ok(DistSpec::Empirical {
            file: self.file.ok_or("empirical needs `file`")?,
            column: self
                .column
                .ok_or("empirical needs `column` (values in ms)")?,
        })
    }
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DistSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration like \"120ms\" or a table with `dist = ...`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DistSpec, E> {
                parse_duration(s).map(DistSpec::Constant).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistSpec, E> {
                DurationValue::deserialize(de::value::I64Deserializer::<E>::new(v))
                    .map(|d| DistSpec::Constant(d.0))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DistSpec, E> {
                DurationValue::deserialize(de::value::F64Deserializer::<E>::new(v))
                    .map(|d| DistSpec::Constant(d.0))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DistSpec, A::Error> {
                let table = DistTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                table.into_spec().map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads an empirical distribution's values (µs) given its `file` and `column` as written.
pub type EmpiricalLoader<'a> = dyn FnMut(&str, &str) -> InputResult<Vec<u64>> + 'a;

impl DistSpec {
    /// The engine distribution. `load_empirical` reads an empirical spec's values (µs); the
    /// caller resolves the file's path and reports errors with it.
    ///
    /// A bad parameter is an error at `key` of `file`; the loader's errors pass through.
    pub fn to_dist(
        &self,
        file: &Path,
        key: &str,
        load_empirical: &mut EmpiricalLoader<'_>,
    ) -> InputResult<Dist> {
        let dist = self.to_dist_unchecked(file, key, load_empirical)?;
        check_tail(&dist).map_err(|m| m.at(file, key))?;
        Ok(dist)
    }

    fn to_dist_unchecked(
        &self,
        file: &Path,
        key: &str,
        load_empirical: &mut EmpiricalLoader<'_>,
    ) -> InputResult<Dist> {
        let bad = |m: String| InputError::field(file, key, m);
        Ok(match self {
            DistSpec::Constant(d) => Dist::Constant(*d),
            DistSpec::Exponential { mean } => Dist::Exponential {
                mean_us: mean.as_us() as f64,
            },
            DistSpec::Uniform { min, max } => Dist::Uniform {
                min_us: min.as_us() as f64,
                max_us: max.as_us() as f64,
            },
            DistSpec::LogNormalQuantiles {
                median,
                upper,
                upper_z,
            } => Dist::lognormal_median_quantile(*median, *upper, *upper_z),
            DistSpec::LogNormalParams { mu_ln_ms, sigma } => Dist::LogNormal {
                mu_ln_us: mu_ln_ms + 1000f64.ln(),
                sigma: *sigma,
            },
            DistSpec::Gamma { shape, scale } => Dist::gamma(*shape, scale.as_us() as f64)
                .ok_or_else(|| bad(format!("invalid gamma(shape = {shape}, scale = {scale})")))?,
            DistSpec::Weibull { shape, scale } => Dist::Weibull {
                shape: *shape,
                scale_us: scale.as_us() as f64,
            },
            DistSpec::Empirical { file, column } => {
                let values = load_empirical(file, column)?;
                if values.is_empty() {
                    return Err(bad(format!(
                        "empirical file {file} has no values in column {column}"
                    )));
                }
                Dist::Empirical(values.into())
            }
            DistSpec::Shifted { shift, inner } => Dist::Shifted {
                shift_us: shift.as_us() as f64,
                inner: Box::new(inner.to_dist_unchecked(file, key, load_empirical)?),
            },
            DistSpec::Mixture { weight, a, b } => Dist::Mixture {
                weight: *weight,
                a: Box::new(a.to_dist_unchecked(file, &format!("{key}.a"), load_empirical)?),
                b: Box::new(b.to_dist_unchecked(file, &format!("{key}.b"), load_empirical)?),
            },
        })
    }
}

/// The longest mean or 99.9th percentile a distribution may have: 365 days. Every duration
/// coldsim models (init, handler, keep-alive, lifetime, burst gaps) is minutes to hours;
/// beyond a year a parameter is a typo, and near 2^64 µs (585,000 years) figures saturate.
pub const MAX_TAIL_US: f64 = 365.0 * 86_400e6;

/// z-score of the 99.9th percentile of a standard normal.
const Z_999: f64 = crate::storage::tiers::Z_999;

/// An upper bound of the 99.9th percentile of `d`, µs: exact for the exponential, uniform,
/// lognormal and Weibull (λ·(ln 1000)^(1/k)); Cantelli's mean + √999·sd for the gamma;
/// the largest value of an empirical sample. Infinite or NaN when a parameter overflows.
pub fn p999_bound_us(d: &Dist) -> f64 {
    match d {
        Dist::Constant(v) => v.as_us() as f64,
        Dist::Exponential { mean_us } => mean_us * 1000f64.ln(),
        Dist::Uniform { max_us, .. } => *max_us,
        Dist::LogNormal { mu_ln_us, sigma } => (mu_ln_us + Z_999 * sigma).exp(),
        Dist::Gamma {
            shape, scale_us, ..
        } => shape * scale_us + 999f64.sqrt() * shape.sqrt() * scale_us,
        Dist::Weibull { shape, scale_us } => scale_us * 1000f64.ln().powf(1.0 / shape),
        Dist::Empirical(v) => v.iter().copied().max().unwrap_or(0) as f64,
        Dist::Shifted { shift_us, inner } => shift_us + p999_bound_us(inner),
        // P(X > max(qa, qb)) ≤ w·0.001 + (1 − w)·0.001: the larger bound bounds the mixture.
        Dist::Mixture { a, b, .. } => p999_bound_us(a).max(p999_bound_us(b)),
    }
}

/// Refuses a distribution whose mean or 99.9th percentile is not finite or above
/// [`MAX_TAIL_US`], saying which and the valid range.
/// Constants are left to the duration parser: a fixed "3650d" lifetime is a valid way to say
/// "never".
fn check_tail(d: &Dist) -> Result<(), ValueError> {
    if d.is_constant() {
        return Ok(());
    }
    let (mean, p999) = (d.mean_us(), p999_bound_us(d));
    for (what, v) in [("mean", mean), ("99.9th percentile", p999)] {
        if !(v.is_finite() && v <= MAX_TAIL_US) {
            return Err(bad_value!(
                "the distribution's {what} is {} ({v:.3e} µs); it must be at most 365 days: \
                 lower its parameters",
                if v.is_finite() {
                    "too long"
                } else {
                    "not finite"
                }
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Holder {
        d: DistSpec,
    }

    fn parse(s: &str) -> Result<DistSpec, String> {
        toml::from_str::<Holder>(s)
            .map(|h| h.d)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_documented_form_parses() {
        assert_eq!(
            parse("d = \"120ms\""),
            Ok(DistSpec::Constant(SimDuration(120_000)))
        );
        assert!(matches!(
            parse("d = { dist = \"lognormal\", median = \"80ms\", p99 = \"400ms\" }"),
            Ok(DistSpec::LogNormalQuantiles { .. })
        ));
        assert!(matches!(
            parse("d = { dist = \"lognormal\", mu = 4.0, sigma = 0.5 }"),
            Ok(DistSpec::LogNormalParams { .. })
        ));
        assert!(parse("d = { dist = \"uniform\", min = \"1s\", max = \"2s\" }").is_ok());
        assert_eq!(
            parse("d = { dist = \"gamma\", shape = 2.0, scale = \"10ms\", shift = \"50ms\" }"),
            Ok(DistSpec::Shifted {
                shift: SimDuration(50_000),
                inner: Box::new(DistSpec::Gamma {
                    shape: 2.0,
                    scale: SimDuration(10_000)
                })
            })
        );
        let err = parse("d = { dist = \"uniform\", min = \"1s\", max = \"2s\", shift = \"1s\" }");
        assert!(err.unwrap_err().contains("`shift` applies to"));
        assert!(parse("d = { dist = \"gamma\", shape = 2.0, scale = \"5ms\" }").is_ok());
        assert!(parse("d = { dist = \"weibull\", shape = 1.5, scale = \"5ms\" }").is_ok());
        assert!(parse("d = { dist = \"exponential\", mean = \"5ms\" }").is_ok());
        assert!(parse("d = { dist = \"empirical\", file = \"x.csv\", column = \"ms\" }").is_ok());
    }

    #[test]
    fn errors_name_the_problem_and_the_line() {
        let e = parse("d = 120").unwrap_err();
        assert!(e.contains("bare number") && e.contains("line 1"), "{e}");
        let e =
            parse("d = { dist = \"lognormal\", median = \"80ms\", p99 = \"40ms\" }").unwrap_err();
        assert!(e.contains("median <= p99"), "{e}");
        let e =
            parse("d = { dist = \"lognormal\", median = \"8ms\", p90 = \"9ms\", p99 = \"10ms\" }")
                .unwrap_err();
        assert!(e.contains("one of `p90`, `p99`"), "{e}");
        let e = parse("d = { dist = \"uniform\", min = \"1s\" }").unwrap_err();
        assert!(e.contains("needs `max`"), "{e}");
        let e =
            parse("d = { dist = \"exponential\", mean = \"1s\", median = \"1s\" }").unwrap_err();
        assert!(e.contains("remove median"), "{e}");
        let e = parse("d = { dist = \"normal\", mean = \"1s\" }").unwrap_err();
        assert!(e.contains("unknown dist"), "{e}");
        let e = parse("d = { dist = \"constant\", valeu = \"1s\" }").unwrap_err();
        assert!(e.contains("valeu"), "{e}");
        let e = parse("d = \"-3ms\"").unwrap_err();
        assert!(e.contains("negative"), "{e}");
    }

    #[test]
    fn lognormal_mu_sigma_are_in_ln_milliseconds() {
        let d = parse("d = { dist = \"lognormal\", mu = 0.0, sigma = 0.0 }")
            .unwrap()
            .to_dist(Path::new("t.toml"), "d", &mut |_, _| Ok(vec![]))
            .unwrap();
        // exp(0) ms = 1 ms = 1000 µs.
        assert!((d.mean_us() - 1000.0).abs() < 1e-6);
    }
}
