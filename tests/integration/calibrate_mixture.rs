//! Two-component mixtures (src/calibrate/fit/mixture.rs, `dist = "mixture"`): parameter
//! recovery on n = 20,000 draws, Wald coverage, model choice (a unimodal sample never
//! buys a second component; a 5% mode 40% slower always does), the simulator's mixture
//! quantiles against the closed-form mixture CDF, and bad input. Samples come from seeded
//! Xoshiro256PlusPlus streams.

use crate::common;

use coldsim::calibrate::fit::{
    Family, Fit, FitData, MixtureOptions, Model, Params, bic, fit_all, fit_mixture,
    fit_mixture_with, fit_singles,
};
use coldsim::config::dist::DistSpec;
use coldsim::engine::rng::Rng;
use rand::{Rng as _, SeedableRng};
use rand_distr::{Distribution, Gamma, LogNormal, Weibull};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The lambda-perf shape (issue 12): a 50 ms floor, a main mode at 90 ms (lognormal
/// median 40 ms above the floor, σ 0.15) and, with probability `minor`, a mode 40% slower
/// (126 ms: median 76 ms above the floor, σ 0.15): ln 76 − ln 40 = 4.3 σ, two clear modes
/// (the lambda-perf zip fits have σ 0.06–0.2 in their main mode).
const SHIFT_MS: f64 = 50.0;
const MEDIAN_A_MS: f64 = 40.0;
const MEDIAN_B_MS: f64 = 76.0;
const SIGMA: f64 = 0.15;

fn bimodal(n: usize, minor: f64, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let a = LogNormal::new(MEDIAN_A_MS.ln(), SIGMA).unwrap();
    let b = LogNormal::new(MEDIAN_B_MS.ln(), SIGMA).unwrap();
    (0..n)
        .map(|_| {
            let u: f64 = rng.random();
            SHIFT_MS
                + if u < minor {
                    b.sample(&mut rng)
                } else {
                    a.sample(&mut rng)
                }
        })
        .collect()
}

fn truth(minor: f64) -> Model {
    Model::mixture(
        SHIFT_MS,
        1.0 - minor,
        Params::LogNormal {
            mu_ln_ms: MEDIAN_A_MS.ln(),
            sigma: SIGMA,
        },
        Params::LogNormal {
            mu_ln_ms: MEDIAN_B_MS.ln(),
            sigma: SIGMA,
        },
    )
}

/// (weight, median of component a, median of component b), medians in ms of x.
fn summary(f: &Fit) -> (f64, f64, f64) {
    let m = f.model;
    let (a, b) = (m.component_a(), m.component_b().unwrap());
    (m.mix.unwrap().weight, a.quantile(0.5), b.quantile(0.5))
}

/// n = 20,000 with a 5% second mode: the weight within ±0.01 (and 4 SE) of 0.95, each
/// component's median within 2% of 90 and 126 ms. The weight's SE is about the binomial
/// √(0.05·0.95/n) = 0.0015 (the modes barely overlap), so 0.01 is ~6 SE; a component
/// median's SE is ~0.1% (a) and ~0.5% (b, 1,000 values).
#[test]
fn mixture_recovers_weight_and_component_medians_at_n_20k() {
    let data = FitData::from_values(&bimodal(20_000, 0.05, 11));
    let f = fit_mixture(Family::LogNormal, &data).expect("fits");
    let (w, ma, mb) = summary(&f);
    let se_w = f.std_error("weight").unwrap();
    assert!(se_w.is_finite() && se_w < 0.005, "SE of weight {se_w}");
    assert!(
        (w - 0.95).abs() < 0.01 && (w - 0.95).abs() < 4.0 * se_w,
        "weight {w} (SE {se_w})"
    );
    assert!((ma / 90.0 - 1.0).abs() < 0.02, "median a {ma}");
    assert!((mb / 126.0 - 1.0).abs() < 0.02, "median b {mb}");
    assert!(
        (f.model.shift_ms - SHIFT_MS).abs() < 5.0,
        "shift {}",
        f.model.shift_ms
    );
    assert_eq!(f.model.parameter_count(true), 6);
    assert_eq!(f.std_errors.len(), 6);
}

/// The EM on a 1,000-value thinning of the same n = 20,000 sample (`mixture_em_values`):
/// the same recovery bounds as on all values (the thinning keeps ~50 values of the 5% mode,
/// a weight SE of ~0.007 on its own, well inside ±0.01 only on average, so the bound is
/// the truth ±0.02), while n, the log-likelihood and the SEs are those of all 20,000: the
/// full-data ln L at the thinned optimum is at most the full EM's and within 10 of it (a
/// parameter error of ~1 SE costs ~½ per parameter).
#[test]
fn mixture_on_a_thinned_sample_recovers_the_modes_and_reports_full_data_likelihood() {
    let data = FitData::from_values(&bimodal(20_000, 0.05, 11));
    let full = fit_mixture(Family::LogNormal, &data).expect("fits");
    let options = MixtureOptions {
        em_values: Some(1_000),
    };
    let f = fit_mixture_with(Family::LogNormal, &data, options).expect("fits");
    let (w, ma, mb) = summary(&f);
    assert!((w - 0.95).abs() < 0.02, "weight {w}");
    assert!((ma / 90.0 - 1.0).abs() < 0.02, "median a {ma}");
    assert!((mb / 126.0 - 1.0).abs() < 0.03, "median b {mb}");
    assert_eq!(f.n, 20_000);
    let gap = full.log_likelihood - f.log_likelihood;
    assert!((-1e-6..10.0).contains(&gap), "ln L gap {gap}");
    // The errors are named and counted as on all values (the Hessian of all 20,000 at the
    // thinned optimum, which is not the full one: it need not be positive definite there).
    assert_eq!(f.std_errors.len(), 6);
}

/// Coverage of the Wald 95% interval of the weight and of each component's μ over 30
/// samples of n = 4,000 (a 10% mode, so the minor component has ~400 values): at least
/// 25/30 per parameter. With correct SEs the count is Binomial(30, 0.95) (mean 28.5, sd
/// 1.2), so 25 is 2.9 sd below the mean; SEs half their true size would cover ~68% (20/30)
/// and fail.
#[test]
fn mixture_wald_intervals_cover_the_truth() {
    let t = truth(0.10);
    let want = [
        ("weight", 0.90),
        ("mu_ln_ms_a", t.params.pair()[0]),
        ("mu_ln_ms_b", t.mix.unwrap().second.pair()[0]),
    ];
    let mut hits = [0u32; 3];
    for rep in 0..30u64 {
        let data = FitData::from_values(&bimodal(4_000, 0.10, 500 + rep));
        let f = fit_mixture(Family::LogNormal, &data).expect("fits");
        let (w, a, b) = (
            f.model.mix.unwrap().weight,
            f.model.params.pair()[0],
            f.model.mix.unwrap().second.pair()[0],
        );
        for (j, ((name, truth), est)) in want.iter().zip([w, a, b]).enumerate() {
            let se = f.std_error(name).unwrap();
            hits[j] += u32::from((est - truth).abs() <= 1.96 * se);
        }
    }
    for (h, (name, _)) in hits.iter().zip(want) {
        assert!(*h >= 25, "{name}: coverage {hits:?} of 30");
    }
}

/// Unimodal samples of each family (shifted by 50 ms, n = 20,000) never choose a mixture:
/// the first fit of `fit_all` is a single family. A mixture nests each of them, so its
/// likelihood gain on a unimodal sample is the noise of three extra parameters (2Δln L of
/// order 10 at most), far below the BIC's 3·ln(20,000) = 29.7.
#[test]
fn unimodal_samples_do_not_choose_a_mixture() {
    for (i, family) in Family::ALL.into_iter().enumerate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(900 + i as u64);
        let xs: Vec<f64> = match family {
            Family::LogNormal => {
                let d = LogNormal::new(40f64.ln(), 0.4).unwrap();
                (0..20_000).map(|_| 50.0 + d.sample(&mut rng)).collect()
            }
            Family::Gamma => {
                let d = Gamma::new(3.0, 15.0).unwrap();
                (0..20_000).map(|_| 50.0 + d.sample(&mut rng)).collect()
            }
            Family::Weibull => {
                let d = Weibull::new(60.0, 1.8).unwrap();
                (0..20_000).map(|_| 50.0 + d.sample(&mut rng)).collect()
            }
        };
        let data = FitData::from_values(&xs);
        let fits = fit_all(&data);
        let best = &fits[0];
        assert!(!best.model.is_mixture(), "{family}: chose {:?}", best.model);
        assert_eq!(
            best.model.family, family,
            "{family}: chose {:?}",
            best.model
        );
        // The single families come first, in AIC order, as `fit_singles` ranks them.
        let singles = fit_singles(&data);
        assert_eq!(&fits[..singles.len()], &singles[..]);
    }
}

/// A clear second mode (5%, 40% slower) is chosen at n = 20,000: the mixture beats every
/// single family by AIC and by BIC, and is first.
#[test]
fn a_five_percent_mode_forty_percent_slower_chooses_the_mixture() {
    let data = FitData::from_values(&bimodal(20_000, 0.05, 12));
    let fits = fit_all(&data);
    let best = &fits[0];
    assert!(best.model.is_mixture(), "chose {:?}", best.model);
    let singles = fit_singles(&data);
    let best_single_bic = singles.iter().map(bic).fold(f64::INFINITY, f64::min);
    assert!(
        bic(best) < best_single_bic - 29.7,
        "BIC {} vs {best_single_bic}",
        bic(best)
    );
}

/// The mixture CDF is the weighted sum of the component CDFs and its quantile inverts it
/// (closed form at the limits: weight → 1 is component a).
#[test]
fn mixture_model_cdf_quantile_and_mean_are_consistent() {
    let t = truth(0.05);
    let (a, b) = (t.component_a(), t.component_b().unwrap());
    for x in [60.0, 90.0, 126.0, 200.0] {
        let want = 0.95 * a.cdf(x) + 0.05 * b.cdf(x);
        assert!((t.cdf(x) - want).abs() < 1e-15);
    }
    for p in [0.01, 0.5, 0.9, 0.95, 0.99, 0.999] {
        let q = t.quantile(p);
        assert!((t.cdf(q) - p).abs() < 1e-12, "p {p}: F(q) {}", t.cdf(q));
    }
    assert!((t.mean_ms() - (0.95 * a.mean_ms() + 0.05 * b.mean_ms())).abs() < 1e-12);
    let near_one = Model::mixture(SHIFT_MS, 1.0 - 1e-12, a.params, b.params);
    assert!((near_one.quantile(0.9) / a.quantile(0.9) - 1.0).abs() < 1e-9);
}

/// The simulator samples `dist = "mixture"`: the empirical p-quantile q̂ of 200,000 draws
/// has F(q̂) within 4·√(p(1−p)/n) + F's change over the 1 µs clock tick of p, where F is
/// the closed-form mixture CDF (not the sampler); its mean is the weighted mean.
#[test]
fn the_mixture_dist_samples_the_closed_form_mixture_cdf() {
    #[derive(serde::Deserialize)]
    struct Holder {
        d: DistSpec,
    }
    let text = "d = { dist = \"mixture\", weight = 0.95, \
        a = { dist = \"lognormal\", mu = 3.688879, sigma = 0.15, shift = \"50ms\" }, \
        b = { dist = \"lognormal\", mu = 4.330733, sigma = 0.15, shift = \"50ms\" } }";
    let spec = toml::from_str::<Holder>(text).unwrap().d;
    let dist = spec
        .to_dist(std::path::Path::new("t.toml"), "d", &mut |_, _| Ok(vec![]))
        .unwrap();
    let t = truth(0.05);
    assert!((dist.mean_us() / (t.mean_ms() * 1e3) - 1.0).abs() < 1e-5);
    let n = 200_000;
    let mut rng = Rng::seed_from_u64(4);
    let mut xs: Vec<f64> = (0..n)
        .map(|_| dist.sample(&mut rng).as_us() as f64 / 1e3)
        .collect();
    xs.sort_by(f64::total_cmp);
    for p in [0.05, 0.5, 0.9, 0.95, 0.97, 0.99] {
        let q = xs[(p * n as f64) as usize];
        let tol = 4.0 * (p * (1.0 - p) / n as f64).sqrt() + (t.cdf(q + 0.001) - t.cdf(q));
        assert!(
            (t.cdf(q) - p).abs() < tol,
            "p {p}: q {q}, F(q) {}",
            t.cdf(q)
        );
    }
}

fn mixture_scenario(dist: &str) -> String {
    common::VALID.replace(
        "handler = { dist = \"lognormal\", median = \"80ms\", p99 = \"400ms\" }",
        &format!("handler = {dist}"),
    )
}

/// Bad mixtures: exit 2, naming the file, the key and the problem.
#[test]
fn bad_mixtures_are_input_errors_naming_file_and_key() {
    let a = "a = { dist = \"lognormal\", median = \"80ms\", p99 = \"400ms\" }";
    let b = "b = \"300ms\"";
    let cases: [(String, &[&str]); 6] = [
        (
            format!("{{ dist = \"mixture\", weight = 1.0, {a}, {b} }}"),
            &["handler", "weight", "between 0 and 1"],
        ),
        (
            format!("{{ dist = \"mixture\", weight = 0.0, {a}, {b} }}"),
            &["handler", "weight"],
        ),
        (
            format!("{{ dist = \"mixture\", weight = 0.9, {a} }}"),
            &["handler", "needs `b`"],
        ),
        (
            format!("{{ dist = \"mixture\", {a}, {b} }}"),
            &["handler", "needs `weight`"],
        ),
        (
            format!(
                "{{ dist = \"mixture\", weight = 0.9, {a}, b = {{ dist = \"gamma\", shape = -1.0, scale = \"5ms\" }} }}"
            ),
            &["handler", "shape", "positive"],
        ),
        (
            format!("{{ dist = \"mixture\", weight = 0.9, {a}, {b}, shift = \"5ms\" }}"),
            &["handler", "`shift` applies to"],
        ),
    ];
    for (dist, mention) in cases {
        let (_dir, path) = common::write(&mixture_scenario(&dist));
        common::assert_bad_input(common::run_scenario_file(&path), "scenario.toml", mention);
    }
    let (_dir, path) = common::write(&mixture_scenario(&format!(
        "{{ dist = \"mixture\", weight = 0.9, {a}, {b} }}"
    )));
    let (code, err) = common::run_scenario_file(&path);
    assert_eq!(code, 0, "{err}");
}
