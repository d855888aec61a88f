//! Small deterministic optimisers used by the fits: Brent's minimiser on an interval,
//! Nelder–Mead in two dimensions, a central-difference Hessian and an SPD inverse.

/// Result of a minimisation: argument, value, and whether the tolerance was met.
pub(crate) struct Min<T> {
    pub x: T,
    pub f: f64,
    pub converged: bool,
}

/// Brent's method (golden section with parabolic steps) for the minimum of `f` on
/// `[a, b]`, to absolute tolerance `tol` in x. Non-finite values count as +∞.
pub(crate) fn brent_min(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, tol: f64) -> Min<f64> {
    const CGOLD: f64 = 0.381_966_011_250_105;
    let mut g = |x: f64| {
        let v = f(x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let (mut a, mut b) = (a.min(b), a.max(b));
    let mut x = a + CGOLD * (b - a);
    let (mut w, mut v) = (x, x);
    let mut fx = g(x);
    let (mut fw, mut fv) = (fx, fx);
    let (mut d, mut e) = (0.0_f64, 0.0_f64);
    for _ in 0..100 {
        let xm = 0.5 * (a + b);
        let tol1 = tol + 1e-12 * x.abs();
        let tol2 = 2.0 * tol1;
        if (x - xm).abs() <= tol2 - 0.5 * (b - a) {
            return Min {
                x,
                f: fx,
                converged: true,
            };
        }
        let mut golden = true;
        if e.abs() > tol1 {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            let etemp = e;
            if p.abs() < (0.5 * q * etemp).abs() && p > q * (a - x) && p < q * (b - x) {
                e = d;
                d = p / q;
                let u = x + d;
                if u - a < tol2 || b - u < tol2 {
                    d = if xm >= x { tol1 } else { -tol1 };
                }
                golden = false;
            }
        }
        if golden {
            e = if x >= xm { a - x } else { b - x };
            d = CGOLD * e;
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else {
            x + if d >= 0.0 { tol1 } else { -tol1 }
        };
        let fu = g(u);
        if fu <= fx {
            if u >= x {
                a = x;
            } else {
                b = x;
            }
            (v, fv) = (w, fw);
            (w, fw) = (x, fx);
            (x, fx) = (u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv) = (w, fw);
                (w, fw) = (u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    Min {
        x,
        f: fx,
        converged: false,
    }
}

/// Nelder–Mead minimisation of `f` over R², from `start` with initial steps `step`.
/// Stops when the simplex values agree to `1e-10·(1 + |f|)` and its extent is below
/// `1e-9` (the arguments are transformed parameters of order 1). Non-finite values count
/// as +∞, so the simplex backs away from invalid regions.
pub(crate) fn nelder_mead_2d(
    mut f: impl FnMut([f64; 2]) -> f64,
    start: [f64; 2],
    step: [f64; 2],
) -> Min<[f64; 2]> {
    let mut g = |x: [f64; 2]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut s = [
        start,
        [start[0] + step[0], start[1]],
        [start[0], start[1] + step[1]],
    ];
    let mut fs = [g(s[0]), g(s[1]), g(s[2])];
    let comb =
        |a: [f64; 2], b: [f64; 2], t: f64| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    for _ in 0..2000 {
        // Order best (0) .. worst (2); ties keep their index order (deterministic).
        let mut idx = [0usize, 1, 2];
        idx.sort_by(|&i, &j| fs[i].total_cmp(&fs[j]));
        s = [s[idx[0]], s[idx[1]], s[idx[2]]];
        fs = [fs[idx[0]], fs[idx[1]], fs[idx[2]]];
        let extent = (1..3)
            .map(|i| (s[i][0] - s[0][0]).abs().max((s[i][1] - s[0][1]).abs()))
            .fold(0.0, f64::max);
        if fs[2] - fs[0] <= 1e-10 * (1.0 + fs[0].abs()) && extent < 1e-9 {
            return Min {
                x: s[0],
                f: fs[0],
                converged: fs[0].is_finite(),
            };
        }
        let centroid = [0.5 * (s[0][0] + s[1][0]), 0.5 * (s[0][1] + s[1][1])];
        let xr = comb(centroid, s[2], -1.0);
        let fr = g(xr);
        if fr < fs[0] {
            let xe = comb(centroid, s[2], -2.0);
            let fe = g(xe);
            if fe < fr {
                (s[2], fs[2]) = (xe, fe);
            } else {
                (s[2], fs[2]) = (xr, fr);
            }
        } else if fr < fs[1] {
            (s[2], fs[2]) = (xr, fr);
        } else {
            let (xc, fc) = if fr < fs[2] {
                let xc = comb(centroid, xr, 0.5);
                (xc, g(xc))
            } else {
                let xc = comb(centroid, s[2], 0.5);
                (xc, g(xc))
            };
            if fc < fs[2].min(fr) {
                (s[2], fs[2]) = (xc, fc);
            } else {
                for i in 1..3 {
                    s[i] = comb(s[0], s[i], 0.5);
                    fs[i] = g(s[i]);
                }
            }
        }
    }
    let best = (0..3).min_by(|&i, &j| fs[i].total_cmp(&fs[j])).unwrap_or(0);
    Min {
        x: s[best],
        f: fs[best],
        converged: false,
    }
}

/// Central-difference Hessian of `f` at `x` with steps `h` (d ≤ 3 in practice):
/// diagonal (f(x+h) − 2f(x) + f(x−h))/h², off-diagonal the four-point formula.
pub(crate) fn hessian(mut f: impl FnMut(&[f64]) -> f64, x: &[f64], h: &[f64]) -> Vec<Vec<f64>> {
    let d = x.len();
    let mut hess = vec![vec![0.0; d]; d];
    let f0 = f(x);
    let mut p = x.to_vec();
    for i in 0..d {
        p[i] = x[i] + h[i];
        let fp = f(&p);
        p[i] = x[i] - h[i];
        let fm = f(&p);
        p[i] = x[i];
        hess[i][i] = (fp - 2.0 * f0 + fm) / (h[i] * h[i]);
        for j in 0..i {
            let mut at = |si: f64, sj: f64| {
                p[i] = x[i] + si * h[i];
                p[j] = x[j] + sj * h[j];
                let v = f(&p);
                p[i] = x[i];
                p[j] = x[j];
                v
            };
            let v = (at(1.0, 1.0) - at(1.0, -1.0) - at(-1.0, 1.0) + at(-1.0, -1.0))
                / (4.0 * h[i] * h[j]);
            hess[i][j] = v;
            hess[j][i] = v;
        }
    }
    hess
}

/// Standard errors of the parameters `names` from the Hessian of the negative
/// log-likelihood at the optimum (the square roots of the inverse's diagonal), and whether
/// the Hessian could be inverted (if not, every error is NaN).
pub(crate) fn std_errors(
    names: &[&'static str],
    hess: &[Vec<f64>],
) -> (Vec<(&'static str, f64)>, bool) {
    match invert_spd(hess) {
        Some(cov) => (
            names
                .iter()
                .enumerate()
                .map(|(i, &n)| (n, cov[i][i].sqrt()))
                .collect(),
            true,
        ),
        None => (names.iter().map(|&n| (n, f64::NAN)).collect(), false),
    }
}

#[allow(clippy::needless_range_loop)] // index form mirrors the textbook recurrences
/// Inverse of a symmetric positive-definite matrix by Cholesky; `None` when it is not
/// positive definite (or not finite).
pub(crate) fn invert_spd(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let d = a.len();
    let mut l = vec![vec![0.0; d]; d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if !(s.is_finite() && s > 0.0) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    // inv(L) by forward substitution, then inv(A) = inv(L)ᵀ inv(L).
    let mut li = vec![vec![0.0; d]; d];
    for i in 0..d {
        li[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i][k] * li[k][j]).sum();
            li[i][j] = -s / l[i][i];
        }
    }
    let mut inv = vec![vec![0.0; d]; d];
    for i in 0..d {
        for j in 0..d {
            inv[i][j] = (i.max(j)..d).map(|k| li[k][i] * li[k][j]).sum();
        }
    }
    Some(inv)
}
