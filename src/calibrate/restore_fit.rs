//! A SnapStart restore model fitted to Restore Durations (lambda-perf's `java21 snapstart`
//! rows), in two parts ([`super::two_part`]): the runtime's own restore work is the best
//! fit of the rows scaled by k; the working set a restore reads through the chunk tiers is
//! `restore_read_mb`, refined by a secant search through the simulator on the rows' median.

use std::path::Path;

use super::error::CalibrateResult;
use super::groups::GroupFit;
use super::protocol::{ForcedCold, PlatformOverrides, ProtocolFunction, simulate_forced_cold};
use super::runtime_model::{SECANT_TOL, secant_step};
use super::runtimes_recipe::{R0_MB, ZERO, scaled};
use super::spec::{check_loadable, dist_table};
use super::two_part::choose;
use crate::error::InputError;
use crate::output::write_atomic;
use crate::stats::histogram::{Histogram, nearest_rank};

/// A fitted restore model: the `[package.snapstart]` section and a summary line.
pub(super) struct RestoreFit {
    /// The `[package.snapstart]` section.
    pub(super) section: String,
    /// A line for the summary.
    pub(super) line: String,
}

/// Largest restore read, MB: the snapshot is the function's memory, and the protocol runs at
/// 128 MB (lambda-perf's smallest size).
const MAX_RESTORE_READ_MB: f64 = 128.0;

/// The `[package.snapstart]` section of a restore model.
fn restore_section(note: &str, read_mb: f64, runtime_restore: &str) -> String {
    format!(
        "\n[package.snapstart]\n{note}restore_read_mb = {read_mb:.2}\nruntime_restore = {runtime_restore}\n"
    )
}

/// Fits a SnapStart restore model to the restore rows `g` in two parts
/// ([`super::two_part`]): the runtime's own restore work is the best fit of the rows scaled
/// by k, the working set a restore reads through the chunk tiers is `restore_read_mb`; k and
/// a first read size from one reads-only simulation, then the read size by the secant
/// search on the rows' median.
pub(super) fn fit_restore(
    out: &Path,
    rows_label: &str,
    base: &str,
    g: &GroupFit,
    protocol: &ForcedCold,
    platform: &PlatformOverrides,
) -> CalibrateResult<RestoreFit> {
    let best = g
        .fits
        .iter()
        .find(|f| check_loadable(&f.fit.model).is_ok())
        .ok_or_else(|| InputError::file(out, "no loadable fit of the SnapStart restore rows"))?;
    let v = g.data.values_ms();
    let q = |q: f64| v[nearest_rank(q, v.len() as u64) as usize - 1];
    let (d50, d90) = (q(0.5), q(0.9));
    // lambda-perf measures SnapStart on x86_64 only.
    let arch = if g.key.iter().any(|k| k == "arm64") {
        "arm64"
    } else {
        "x86_64"
    };
    let tmp = out.with_extension(format!("restore-{}.toml", std::process::id()));
    let sim = |read_mb: f64, runtime: &str| -> CalibrateResult<Histogram> {
        let text = base.to_string() + &restore_section("", read_mb, runtime);
        write_atomic(&tmp, text.as_bytes())?;
        let f = ProtocolFunction {
            name: "restore".into(),
            packaging: "snapstart".into(),
            arch: arch.to_string(),
            memory_mb: 128,
            workload: tmp.clone(),
        };
        let h = simulate_forced_cold(protocol, &[f], platform, 2024);
        let _ = std::fs::remove_file(&tmp);
        Ok(h?.remove(0))
    };
    let reads0 = sim(R0_MB, ZERO)?;
    let model = &best.fit.model;
    let split = choose(
        |q| model.quantile(q),
        &reads0,
        R0_MB,
        (d50, d90),
        MAX_RESTORE_READ_MB,
    );
    let runtime = dist_table(&scaled(model, split.scale));
    let p50_p90 = |h: Histogram| {
        (
            h.value_at_quantile_us(0.5) as f64 / 1e3,
            h.value_at_quantile_us(0.9) as f64 / 1e3,
        )
    };
    let (read_mb, s, evaluations) = secant_search(|r| sim(r, &runtime).map(p50_p90), d50)?;
    let family = format!(
        "{}{}",
        if best.fit.shifted { "shifted " } else { "" },
        model.family
    );
    let note = format!(
        "# SnapStart: `{}` rows (Restore Duration of the same function published with\n# SnapStart; n = {}). A restore reads its working set through the chunk tiers\n# (restore_read_mb), then runs the runtime's own restore: the best fit of the rows\n# ({family}) scaled by {:.2}. Both fitted through the simulator (src/calibrate/two_part.rs,\n# then a secant search on the median, {} runs). Restore p50 | p90, simulated vs\n# measured (ms): {:.1} vs {d50:.1} | {:.1} vs {d90:.1}\n",
        rows_label,
        g.data.total(),
        split.scale,
        evaluations + 1,
        s.0,
        s.1
    );
    Ok(RestoreFit {
        section: restore_section(&note, read_mb, &runtime),
        line: format!(
            "  snapstart: runtime scale {:.2}, restore_read_mb {read_mb:.1}; p50 {:.1} vs {d50:.1} ms, p90 {:.1} vs {d90:.1} ms (simulated vs training data)\n",
            split.scale, s.0, s.1
        ),
    })
}

/// Secant search (as for the image reads) of the read size in [0, 128] MB whose simulated
/// median is `target_ms`; returns the size, its (p50, p90) and the number of runs.
fn secant_search(
    mut sim: impl FnMut(f64) -> CalibrateResult<(f64, f64)>,
    target_ms: f64,
) -> CalibrateResult<(f64, (f64, f64), u32)> {
    let (mut lo, mut hi) = (0.0, MAX_RESTORE_READ_MB);
    let (mut r0, mut r1) = (16.0, 64.0);
    let mut f0 = (sim(r0)?.0 / target_ms).ln();
    let mut s1 = sim(r1)?;
    let mut f1 = (s1.0 / target_ms).ln();
    let mut evaluations = 2;
    for _ in 0..14 {
        if f1.abs() < SECANT_TOL || hi - lo < 0.01 {
            break;
        }
        let r2 = secant_step((&mut lo, &mut hi), (r0, f0), (r1, f1), SECANT_TOL);
        let s2 = sim(r2)?;
        evaluations += 1;
        (r0, f0) = (r1, f1);
        (r1, s1, f1) = (r2, s2, (s2.0 / target_ms).ln());
    }
    Ok((r1, s1, evaluations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_search_finds_the_read_size_of_a_linear_median() {
        // Median = 100 ms + 5 ms per MB read: 300 ms needs 40 MB (closed form); the stop rule
        // puts it within 0.2% in the log of the median.
        let (r, s, ev) = secant_search(|r| Ok((100.0 + 5.0 * r, 0.0)), 300.0).unwrap();
        assert!((s.0 / 300.0 - 1.0).abs() < 0.002, "{r} {s:?}");
        assert!((r - 40.0).abs() < 0.2, "{r}");
        assert!(ev <= 6, "{ev}");
        // A target above what 128 MB gives stops at the bracket's top.
        let (r, _, _) = secant_search(|r| Ok((100.0 + r, 0.0)), 1000.0).unwrap();
        assert!(r > 127.9, "{r}");
    }
}
