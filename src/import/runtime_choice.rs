//! Which built-in runtime model ([`crate::runtimes`], calibrated on lambda-perf) an imported
//! function runs on: a template's or configuration's `Runtime` (AWS's runtime identifier)
//! becomes `runtime = "ID"` when a model of that ID covers the function's packaging and
//! architecture. When none does (a runtime lambda-perf does not measure, a packaging or
//! architecture it does not measure, a custom runtime whose language the input does not
//! name, an image without `Runtime`), no model stands in: the choice is left to the user,
//! with the IDs that would fit.

use crate::runtimes::{RuntimeEntry, builtin};

/// The runtime decision for one function.
#[derive(Clone, Debug, PartialEq)]
pub enum RuntimeChoice {
    /// A built-in model covers the runtime on the function's packaging and arch.
    Covered {
        /// Its ID (`runtime = "ID"`).
        id: String,
        /// Which model it is, for the comment: label, coverage and calibrated init.
        model: String,
    },
    /// No built-in model covers it: the user must choose.
    Uncovered {
        /// Why none covers it.
        reason: String,
        /// The IDs that would fit, most specific first, as text for a comment.
        choices: String,
    },
}

/// The choice for `runtime` (AWS's identifier, `None` for an image, which names none) on
/// `packaging` (`zip`, `image`, `snapstart`) and `arch`.
pub fn choose(runtime: Option<&str>, packaging: &str, arch: &str) -> RuntimeChoice {
    let all = builtin();
    let Some(runtime) = runtime else {
        return uncovered(
            "a container image names no Runtime, so the input does not say the language".into(),
            Offer::default(),
            packaging,
            arch,
        );
    };
    if let Some(os) = custom_runtime_os(runtime) {
        let prefix = format!("provided.{os}-");
        let fits = fitting(all, packaging, arch, |e| e.id.starts_with(&prefix));
        return uncovered(
            format!(
                "`{runtime}` is a custom runtime: its model depends on the language, which the \
                 input does not name (the IDs are {prefix}LANGUAGE)"
            ),
            Offer {
                fits,
                ..Offer::default()
            },
            packaging,
            arch,
        );
    }
    let family = family_of(runtime);
    let offer = |own: Option<&str>| Offer {
        fits: fitting(all, packaging, arch, |e| {
            e.id != runtime && family_of(&e.id) == family
        }),
        language: Some(family.to_string()),
        own: own.map(str::to_string),
    };
    match all.iter().find(|e| e.id == runtime) {
        Some(e) if e.covers(packaging, arch) => RuntimeChoice::Covered {
            id: e.id.clone(),
            model: describe(e, packaging, arch),
        },
        Some(e) => uncovered(
            format!(
                "the built-in model of `{runtime}` has no calibration for {packaging}/{arch} \
                 (lambda-perf does not measure it; it covers {})",
                e.coverage_text()
            ),
            offer(Some(runtime)),
            packaging,
            arch,
        ),
        None => uncovered(
            format!("no built-in runtime model of `{runtime}` (lambda-perf does not measure it)"),
            offer(None),
            packaging,
            arch,
        ),
    }
}

/// The OS of a custom-runtime identifier (`provided` is Amazon Linux 1, whose successor
/// `al2` the models measure).
fn custom_runtime_os(runtime: &str) -> Option<&'static str> {
    match runtime {
        "provided" | "provided.al2" => Some("al2"),
        "provided.al2023" => Some("al2023"),
        _ => None,
    }
}

/// The language of a runtime ID: its letters before the version (`nodejs20.x` → `nodejs`,
/// `java8.al2` → `java`).
fn family_of(id: &str) -> &str {
    let end = id
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(id.len());
    &id[..end]
}

/// The IDs of the models that satisfy `pick` and cover `packaging` on `arch`.
fn fitting(
    all: &[RuntimeEntry],
    packaging: &str,
    arch: &str,
    pick: impl Fn(&RuntimeEntry) -> bool,
) -> Vec<String> {
    all.iter()
        .filter(|e| pick(e) && e.covers(packaging, arch))
        .map(|e| format!("\"{}\"", e.id))
        .collect()
}

/// At most this many IDs are listed when the language is unknown.
const LIST_ALL_UP_TO: usize = 6;

/// What to offer where no model covers a function.
#[derive(Default)]
struct Offer {
    /// The IDs of its language (or custom-runtime OS) that cover its packaging and arch.
    fits: Vec<String>,
    /// Its language, when the input names it.
    language: Option<String>,
    /// Its own runtime, when a model of it exists for other packagings or archs.
    own: Option<String>,
}

fn uncovered(reason: String, offer: Offer, packaging: &str, arch: &str) -> RuntimeChoice {
    let all = fitting(builtin(), packaging, arch, |_| true);
    let n = all.len();
    let mut parts = Vec::new();
    let mut listed_all = false;
    if !offer.fits.is_empty() {
        parts.push(offer.fits.join(", "));
    } else if let Some(language) = offer.language.as_ref().filter(|_| n > 0) {
        parts.push(format!("no {language} model covers {packaging}/{arch}"));
    } else if (1..=LIST_ALL_UP_TO).contains(&n) {
        parts.push(all.join(", "));
        listed_all = true;
    }
    if let Some(own) = &offer.own {
        parts.push(format!(
            "or keep \"{own}\" and set `packaging`/`arch` to what it covers"
        ));
    }
    if n == 0 {
        parts.push(format!(
            "none covers {packaging}/{arch}; `coldsim runtimes` lists what exists"
        ));
    } else if !listed_all {
        parts.push(format!(
            "`coldsim runtimes` lists all {n} that cover {packaging}/{arch}"
        ));
    }
    RuntimeChoice::Uncovered {
        reason,
        choices: parts.join("; "),
    }
}

/// What a covering model is, for the comment: ``the built-in model `java21` (lambda-perf
/// "java21", snapstart/x86_64: Restore Duration p50 … ms, p90 … ms)``, from the index.
fn describe(e: &RuntimeEntry, packaging: &str, arch: &str) -> String {
    let what = if packaging == "snapstart" {
        "Restore Duration"
    } else {
        "init"
    };
    let cov = e
        .coverage
        .iter()
        .find(|c| c.packaging == packaging && c.arch == arch);
    match cov {
        Some(c) => format!(
            "the built-in model `{}` (lambda-perf \"{}\", {packaging}/{arch}: {what} p50 {:.0} ms, \
             p90 {:.0} ms)",
            e.id, e.lambda_perf_label, c.init_p50_ms, c.init_p90_ms
        ),
        None => format!(
            "the built-in model `{}` (lambda-perf \"{}\")",
            e.id, e.lambda_perf_label
        ),
    }
}

/// The fixed cold start that stands in, marked PLACEHOLDER, while no runtime is chosen: the
/// median of the calibrated init p50 of the built-in models that cover `packaging` on `arch`
/// (on any arch when none does, of every model when none has the packaging), in whole ms,
/// and how many calibrations it is taken over.
pub fn placeholder_cold_start_ms(packaging: &str, arch: &str) -> (u64, usize) {
    let all = builtin();
    let of = |pick: &dyn Fn(&str, &str) -> bool| -> Vec<f64> {
        all.iter()
            .flat_map(|e| &e.coverage)
            .filter(|c| pick(&c.packaging, &c.arch))
            .map(|c| c.init_p50_ms)
            .collect()
    };
    let mut p50s = of(&|p, a| p == packaging && a == arch);
    if p50s.is_empty() {
        p50s = of(&|p, _| p == packaging);
    }
    if p50s.is_empty() {
        p50s = of(&|_, _| true);
    }
    p50s.sort_by(f64::total_cmp);
    let n = p50s.len();
    let median = match n {
        0 => 0.0,
        _ if n % 2 == 1 => p50s[n / 2],
        _ => (p50s[n / 2 - 1] + p50s[n / 2]) / 2.0,
    };
    (median.round() as u64, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(c: RuntimeChoice) -> Option<String> {
        match c {
            RuntimeChoice::Covered { id, .. } => Some(id),
            RuntimeChoice::Uncovered { .. } => None,
        }
    }

    #[test]
    fn aws_identifiers_select_their_own_model_where_lambda_perf_measures_them() {
        for (rt, p, a) in [
            ("python3.12", "zip", "arm64"),
            ("nodejs20.x", "image", "x86_64"),
            ("java21", "snapstart", "x86_64"),
            ("dotnet8", "zip", "x86_64"),
            ("ruby3.2", "image", "arm64"),
            ("ruby3.3", "zip", "x86_64"),
        ] {
            assert_eq!(id_of(choose(Some(rt), p, a)).as_deref(), Some(rt), "{rt}");
        }
        // lambda-perf measures java8 (Amazon Linux 1) on x86_64 only, SnapStart on x86_64 only.
        assert_eq!(id_of(choose(Some("java8"), "zip", "arm64")), None);
        assert_eq!(id_of(choose(Some("java21"), "snapstart", "arm64")), None);
    }

    #[test]
    fn uncovered_runtimes_offer_their_own_language_first() {
        let RuntimeChoice::Uncovered { choices, .. } = choose(Some("ruby3.4"), "zip", "x86_64")
        else {
            panic!("ruby3.4 has no model");
        };
        assert!(
            choices.starts_with("\"ruby2.7\", \"ruby3.2\", \"ruby3.3\"; "),
            "{choices}"
        );
        // lambda-perf measures ruby3.3 as a zip only: its image is not covered.
        assert_eq!(id_of(choose(Some("ruby3.3"), "image", "x86_64")), None);
        let RuntimeChoice::Uncovered { reason, choices } =
            choose(Some("provided.al2023"), "zip", "arm64")
        else {
            panic!("a custom runtime names no language");
        };
        assert!(reason.contains("provided.al2023-LANGUAGE"), "{reason}");
        assert!(choices.contains("\"provided.al2023-rust\""), "{choices}");
        assert!(!choices.contains("\"provided.al2-rust\""), "{choices}");
        // Python with SnapStart: no Java model is offered for a Python function.
        let RuntimeChoice::Uncovered { choices, .. } =
            choose(Some("python3.12"), "snapstart", "x86_64")
        else {
            panic!("lambda-perf does not measure Python SnapStart");
        };
        assert!(!choices.contains("java"), "{choices}");
        assert!(choices.contains("or keep \"python3.12\""), "{choices}");
    }

    #[test]
    fn placeholder_is_the_median_of_the_covering_models() {
        let covering: Vec<f64> = builtin()
            .iter()
            .flat_map(|e| &e.coverage)
            .filter(|c| c.packaging == "zip" && c.arch == "x86_64")
            .map(|c| c.init_p50_ms)
            .collect();
        let (ms, n) = placeholder_cold_start_ms("zip", "x86_64");
        assert_eq!(n, covering.len());
        let below = covering.iter().filter(|&&v| v < ms as f64 - 0.5).count();
        let above = covering.iter().filter(|&&v| v > ms as f64 + 0.5).count();
        assert!(below <= n / 2 && above <= n / 2, "{ms} ms of {covering:?}");
        // lambda-perf measures SnapStart on x86_64 only (java11, java17, java21): those three.
        assert_eq!(placeholder_cold_start_ms("snapstart", "arm64").1, 3);
    }
}
