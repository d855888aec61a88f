//! SVG chart API (src/report/svg.rs): structure of the SVG text (title, axis labels, legend,
//! one polyline per line series), log axes, clipping, thinning, determinism and bad input.
//! The SVG is checked by scanning tags and text; no XML crate is used.

use coldsim::report::svg::{
    Chart, ChartError, Scale, Series, SeriesStyle, ecdf_points, render, series_color_hex,
};
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal};
use statrs::distribution::{ContinuousCDF, LogNormal as StatrsLogNormal};

use crate::common::whatif;

use whatif::svg_texts as texts;

/// Checks that tags nest properly (a minimal well-formedness check) and that the document is
/// one `<svg>` element.
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg"), "starts with <svg");
    assert!(svg.trim_end().ends_with("</svg>"), "ends with </svg>");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    let mut roots = 0;
    while let Some(lt) = rest.find('<') {
        let gt = rest[lt..].find('>').expect("every < has a >") + lt;
        let tag = &rest[lt + 1..gt];
        assert!(!tag.contains('<'), "no < inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> without opener"));
            assert_eq!(open, name.trim(), "mismatched close tag");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().expect("tag name").to_string();
            if stack.is_empty() {
                roots += 1;
            }
            stack.push(name);
        }
        rest = &rest[gt + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    assert_eq!(roots, 1, "one root element");
}

/// The `points` attribute of every polyline stroked in `color`, parsed to pixel pairs.
fn polylines(svg: &str, color: &str) -> Vec<Vec<(i32, i32)>> {
    let stroke = format!("stroke=\"{color}\"");
    svg.lines()
        .filter(|l| l.starts_with("<polyline") && l.contains(&stroke))
        .map(|l| {
            let start = l.find("points=\"").expect("points attr") + 8;
            let end = l[start..].find('"').unwrap() + start;
            l[start..end]
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// Pixel box of the plot area, from the extent of the grid lines.
fn plot_box(svg: &str) -> (i32, i32, i32, i32) {
    let (mut x0, mut x1, mut y0, mut y1) = (i32::MAX, i32::MIN, i32::MAX, i32::MIN);
    for l in svg
        .lines()
        .filter(|l| l.starts_with("<line") && l.contains("#DDDDDD"))
    {
        let attr = |name: &str| -> i32 {
            let key = format!(" {name}=\"");
            let s = l.find(&key).unwrap() + key.len();
            let e = l[s..].find('"').unwrap() + s;
            l[s..e].parse().unwrap()
        };
        for x in [attr("x1"), attr("x2")] {
            x0 = x0.min(x);
            x1 = x1.max(x);
        }
        for y in [attr("y1"), attr("y2")] {
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    (x0, x1, y0, y1)
}

fn sample_chart() -> Chart {
    let mut c = Chart::cdf("Init duration: measured vs fitted", "init duration (ms)");
    c.add(Series::new(
        "measured <n=5>",
        ecdf_points(&[120.0, 150.0, 180.0, 260.0, 900.0], 100),
        SeriesStyle::Step,
    ));
    c.add(Series::new(
        "fitted & shifted",
        vec![(100.0, 0.0), (200.0, 0.55), (400.0, 0.8), (1000.0, 1.0)],
        SeriesStyle::Line,
    ));
    c.add(Series::new(
        "quantiles",
        vec![(150.0, 0.4), (260.0, 0.8)],
        SeriesStyle::Points,
    ));
    c
}

#[test]
fn chart_has_title_axis_labels_legend_and_one_polyline_per_line_series() {
    let chart = sample_chart();
    let svg = render(&chart).expect("renders");
    assert_well_formed(&svg);
    let t = texts(&svg);
    for want in [
        "Init duration: measured vs fitted",
        "init duration (ms)",
        "cumulative fraction",
    ] {
        assert_eq!(
            t.iter().filter(|s| *s == want).count(),
            1,
            "{want} once in {t:?}"
        );
    }
    for s in &chart.series {
        assert_eq!(
            t.iter().filter(|x| **x == s.name).count(),
            1,
            "legend entry for {}",
            s.name
        );
    }
    // Colours: fixed palette, distinct per series; one polyline each for Step and Line
    // (the legend samples are rectangles/circles, axes are black).
    let colors: Vec<String> = (0..3).map(series_color_hex).collect();
    assert_ne!(colors[0], colors[1]);
    assert_ne!(colors[1], colors[2]);
    assert_ne!(colors[0], colors[2]);
    assert_eq!(polylines(&svg, &colors[0]).len(), 1, "one staircase");
    assert_eq!(polylines(&svg, &colors[1]).len(), 1, "one line");
    assert_eq!(polylines(&svg, &colors[2]).len(), 0, "points are circles");
    let circles = svg
        .lines()
        .filter(|l| l.starts_with("<circle") && l.contains(&colors[2]))
        .count();
    assert_eq!(circles, 2 + 1, "two data points and one legend marker");
    // The staircase of 5 ECDF points has 5 + 4 corners.
    assert_eq!(polylines(&svg, &colors[0])[0].len(), 9);
    // y axis of a CDF chart: ticks 0.0..1.0.
    assert!(
        t.iter().any(|s| s == "0.0") && t.iter().any(|s| s == "1.0"),
        "{t:?}"
    );
}

#[test]
fn staircase_is_right_continuous_and_monotone_in_pixels() {
    let svg = render(&sample_chart()).unwrap();
    let stair = &polylines(&svg, &series_color_hex(0))[0];
    for w in stair.windows(2) {
        // Alternating horizontal (same y) and vertical (same x) moves, going right and up
        // (pixel y decreases upwards).
        assert!(w[0].0 == w[1].0 || w[0].1 == w[1].1, "axis-aligned: {w:?}");
        assert!(w[1].0 >= w[0].0 && w[1].1 <= w[0].1, "right and up: {w:?}");
    }
}

#[test]
fn log_x_chart_renders_with_decade_ticks_and_skips_non_positive_x() {
    let mut c = Chart::cdf("Cold start", "init duration (ms)");
    c.x_scale = Scale::Log10;
    c.add(Series::new(
        "measured",
        vec![
            (0.0, 0.1),
            (-5.0, 0.2),
            (50.0, 0.3),
            (500.0, 0.6),
            (5000.0, 1.0),
        ],
        SeriesStyle::Step,
    ));
    let svg = render(&c).expect("log chart renders");
    assert_well_formed(&svg);
    let t = texts(&svg);
    for tick in ["100", "1000"] {
        assert!(t.iter().any(|s| s == tick), "tick {tick} in {t:?}");
    }
    assert!(
        t.iter().any(|s| s.starts_with("2 point(s) not drawn")),
        "footnote counts the skipped points: {t:?}"
    );
    // Equal ratios get equal pixel distances: 50 -> 500 -> 5000 in the staircase corners.
    let stair = &polylines(&svg, &series_color_hex(0))[0];
    let xs: Vec<i32> = stair.iter().map(|p| p.0).collect();
    let (a, b, d) = (xs[0], xs[2], xs[4]);
    assert!(((b - a) - (d - b)).abs() <= 1, "log spacing: {xs:?}");
}

#[test]
fn log_x_within_one_decade_still_has_ticks() {
    let mut c = Chart::cdf("narrow", "duration (ms)");
    c.x_scale = Scale::Log10;
    c.add(Series::new(
        "a",
        vec![(210.0, 0.1), (380.0, 1.0)],
        SeriesStyle::Line,
    ));
    let svg = render(&c).unwrap();
    let t = texts(&svg);
    let numeric = t.iter().filter(|s| s.parse::<f64>().is_ok()).count();
    // 0.0, 0.2, ..., 1.0 on y (6) plus at least 3 on x.
    assert!(numeric >= 6 + 3, "{t:?}");
    assert!(t.iter().any(|s| s == "300"), "{t:?}");
}

#[test]
fn log_x_with_only_non_positive_data_renders_empty_frame() {
    let mut c = Chart::cdf("all bad", "duration (ms)");
    c.x_scale = Scale::Log10;
    c.add(Series::new(
        "zeros",
        vec![(0.0, 0.5), (-1.0, 1.0)],
        SeriesStyle::Step,
    ));
    let svg = render(&c).unwrap();
    assert_well_formed(&svg);
    let t = texts(&svg);
    assert!(t.iter().any(|s| s == "no data"));
    assert!(
        t.iter().any(|s| s == "zeros"),
        "legend still lists the series"
    );
}

#[test]
fn rendering_is_deterministic() {
    let a = render(&sample_chart()).unwrap();
    let b = render(&sample_chart()).unwrap();
    assert_eq!(a, b);
    let mut c = sample_chart();
    c.x_scale = Scale::Log10;
    assert_eq!(render(&c).unwrap(), render(&c.clone()).unwrap());
    assert_ne!(render(&c).unwrap(), a, "the scale changes the output");
}

#[test]
fn nan_and_empty_inputs_do_not_panic() {
    // No series at all.
    let svg = render(&Chart::new("nothing", "time (s)", "sandboxes (count)")).unwrap();
    assert_well_formed(&svg);
    let t = texts(&svg);
    assert!(t.iter().any(|s| s == "nothing") && t.iter().any(|s| s == "no data"));

    // Empty series, all-NaN series, NaN and infinities in the middle of a line.
    let mut c = Chart::new("mixed", "time (s)", "sandboxes (count)");
    c.add(Series::new("empty", vec![], SeriesStyle::Line));
    c.add(Series::new(
        "all nan",
        vec![(f64::NAN, 1.0), (2.0, f64::NAN)],
        SeriesStyle::Step,
    ));
    c.add(Series::new(
        "holes",
        vec![
            (0.0, 1.0),
            (1.0, f64::NAN),
            (f64::INFINITY, 3.0),
            (2.0, 2.0),
            (3.0, f64::NEG_INFINITY),
            (4.0, 5.0),
        ],
        SeriesStyle::Line,
    ));
    c.add(Series::new(
        "scatter",
        vec![(f64::NAN, f64::NAN)],
        SeriesStyle::Points,
    ));
    let svg = render(&c).unwrap();
    assert_well_formed(&svg);
    let t = texts(&svg);
    assert!(!t.iter().any(|s| s == "no data"), "one series has data");
    assert!(
        t.iter().any(|s| s.starts_with("6 point(s) not drawn")),
        "{t:?}"
    );
    assert_eq!(polylines(&svg, &series_color_hex(0)).len(), 0);
    assert_eq!(polylines(&svg, &series_color_hex(1)).len(), 0);
    let holes = polylines(&svg, &series_color_hex(2));
    assert_eq!(holes.len(), 1);
    assert_eq!(holes[0].len(), 3, "the three finite points, joined");
    for s in ["empty", "all nan", "holes", "scatter"] {
        assert!(t.iter().any(|x| x == s), "legend entry {s}");
    }

    // A single point and a constant series get a non-empty auto range.
    let mut c = Chart::new("one", "x (ms)", "y (count)");
    c.add(Series::new("p", vec![(3.0, 3.0)], SeriesStyle::Line));
    c.add(Series::new(
        "q",
        vec![(3.0, 3.0), (3.0, 3.0)],
        SeriesStyle::Step,
    ));
    assert_well_formed(&render(&c).unwrap());
}

#[test]
fn explicit_ranges_clip_lines_to_the_plot_area() {
    let mut c = Chart::new("clip", "time (s)", "value (count)");
    c.x_range = Some((2.0, 8.0));
    c.y_range = Some((0.0, 10.0));
    // A zigzag from x=0 to x=10 that also leaves the y range upwards.
    let zig: Vec<(f64, f64)> = (0..=10)
        .map(|i| (i as f64, if i % 2 == 0 { 0.0 } else { 20.0 }))
        .collect();
    c.add(Series::new("zig", zig, SeriesStyle::Line));
    c.add(Series::new(
        "dots",
        vec![(1.0, 5.0), (5.0, 5.0), (9.0, 5.0)],
        SeriesStyle::Points,
    ));
    let svg = render(&c).unwrap();
    let (x0, x1, y0, y1) = plot_box(&svg);
    let runs = polylines(&svg, &series_color_hex(0));
    // Between x=2 and x=8 the zigzag leaves through the top at its peaks x=3, 5, 7 (over
    // 2.5..3.5, 4.5..5.5, 6.5..7.5), leaving 4 visible pieces.
    assert_eq!(runs.len(), 4, "{runs:?}");
    // The pieces are cut at the frame: the first starts on the left edge, the last ends on
    // the right edge, and the cuts in between are on the top edge.
    assert!((runs[0][0].0 - x0).abs() <= 1, "{runs:?} vs {x0}");
    assert!(
        (runs[3].last().unwrap().0 - x1).abs() <= 1,
        "{runs:?} vs {x1}"
    );
    assert!((runs[1][0].1 - y0).abs() <= 1, "{runs:?} vs {y0}");
    for p in runs.iter().flatten() {
        assert!(
            p.0 >= x0 - 1 && p.0 <= x1 + 1 && p.1 >= y0 - 1 && p.1 <= y1 + 1,
            "{p:?} outside plot box {:?}",
            (x0, x1, y0, y1)
        );
    }
    let dots = svg
        .lines()
        .filter(|l| l.starts_with("<circle") && l.contains(&series_color_hex(1)))
        .count();
    assert_eq!(
        dots,
        1 + 1,
        "one dot inside the range plus the legend marker"
    );
}

#[test]
fn large_series_are_thinned_to_pixels() {
    let n = 100_000;
    let xs: Vec<f64> = (0..n).map(|i| 100.0 + i as f64 * 0.01).collect();
    let mut c = Chart::cdf("big", "duration (ms)");
    // Unthinned ECDF: 100 000 points, 199 999 staircase corners.
    c.add(Series::new("all", ecdf_points(&xs, n), SeriesStyle::Step));
    let svg = render(&c).unwrap();
    let runs = polylines(&svg, &series_color_hex(0));
    assert_eq!(runs.len(), 1);
    // Consecutive duplicates are merged, so a monotone staircase has at most one vertex per
    // pixel step in x plus one per pixel step in y, on an 800x500 canvas.
    assert!(runs[0].len() <= 800 + 500, "{} vertices", runs[0].len());
    assert!(svg.len() < 40_000, "{} bytes", svg.len());
}

#[test]
fn invalid_sizes_and_ranges_are_errors() {
    let mut c = sample_chart();
    c.width_px = 100;
    assert!(matches!(render(&c), Err(ChartError::Size { .. })));
    let mut c = sample_chart();
    c.x_range = Some((5.0, 5.0));
    assert!(matches!(
        render(&c),
        Err(ChartError::Range { axis: "x", .. })
    ));
    let mut c = sample_chart();
    c.y_range = Some((0.0, f64::NAN));
    assert!(matches!(
        render(&c),
        Err(ChartError::Range { axis: "y", .. })
    ));
    let mut c = sample_chart();
    c.x_scale = Scale::Log10;
    c.x_range = Some((0.0, 100.0));
    let err = render(&c).unwrap_err();
    assert!(err.to_string().contains("log10"), "{err}");
    // Data whose extent overflows f64 is refused, not drawn with infinite ticks.
    let mut c = Chart::new("huge", "x (ms)", "y (count)");
    c.add(Series::new(
        "s",
        vec![(-1e308, 0.0), (1e308, 1.0)],
        SeriesStyle::Line,
    ));
    assert!(matches!(
        render(&c),
        Err(ChartError::Range { axis: "x", .. })
    ));
    // Forty long-named series do not fit a 500 px tall legend strip.
    let mut c = Chart::cdf("many", "x (ms)");
    for i in 0..40 {
        c.add(Series::new(
            format!("variant number {i} with a long name"),
            vec![(i as f64, 0.5)],
            SeriesStyle::Line,
        ));
    }
    assert!(matches!(render(&c), Err(ChartError::Legend { .. })));
    c.height_px = 1200;
    assert!(render(&c).is_ok());
}

#[test]
fn ecdf_points_keeps_extremes_is_monotone_and_bounded() {
    let n = 1000;
    let xs: Vec<f64> = (0..n).map(|i| (i as f64).powi(2)).collect();
    for max_points in [2, 3, 7, 50, 999, 1000, 5000] {
        let e = ecdf_points(&xs, max_points);
        assert_eq!(e.len(), max_points.min(n), "max_points {max_points}");
        assert_eq!(e[0], (0.0, 1.0 / n as f64));
        assert_eq!(*e.last().unwrap(), (999.0f64.powi(2), 1.0));
        for w in e.windows(2) {
            assert!(w[1].0 >= w[0].0 && w[1].1 > w[0].1, "{w:?}");
        }
        // Every point lies on the exact ECDF: y = (rank + 1) / n with x the rank's value.
        for &(x, y) in &e {
            let rank = (y * n as f64).round() as usize - 1;
            assert_eq!(x, xs[rank]);
        }
    }
    // Evenly spaced ranks: 11 of 1001 values are ranks 0, 100, ..., 1000.
    let xs: Vec<f64> = (0..=1000).map(f64::from).collect();
    let e = ecdf_points(&xs, 11);
    let xs_kept: Vec<f64> = e.iter().map(|p| p.0).collect();
    assert_eq!(
        xs_kept,
        (0..=10).map(|k| f64::from(k * 100)).collect::<Vec<_>>()
    );

    // Small, degenerate and dirty inputs.
    assert!(ecdf_points(&[], 10).is_empty());
    assert!(ecdf_points(&[1.0, 2.0], 0).is_empty());
    assert_eq!(ecdf_points(&[1.0, 2.0, 3.0], 1), vec![(3.0, 1.0)]);
    assert_eq!(
        ecdf_points(&[3.0, f64::NAN, 1.0, f64::INFINITY, 2.0], 10),
        vec![(1.0, 1.0 / 3.0), (2.0, 2.0 / 3.0), (3.0, 1.0)],
        "non-finite dropped, unsorted input sorted"
    );
    assert_eq!(
        ecdf_points(&[5.0, 5.0], 10),
        vec![(5.0, 0.5), (5.0, 1.0)],
        "ties give a vertical run"
    );
}

/// Writes a realistic calibration chart to /tmp/example_cdf.svg for a visual check:
/// 2000 log-normal "measured" init durations (thinned to 200 points), the fitted log-normal
/// CDF on a log x axis, and a second "simulated" sample.
#[test]
fn example_cdf_is_written() {
    let (mu, sigma) = (5.5f64, 0.45f64); // median e^5.5 ~ 245 ms
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
    let dist = LogNormal::new(mu, sigma).unwrap();
    let mut measured: Vec<f64> = (0..2000).map(|_| dist.sample(&mut rng)).collect();
    measured.sort_by(f64::total_cmp);
    let sim_dist = LogNormal::new(mu + 0.1, sigma * 0.8).unwrap();
    let mut simulated: Vec<f64> = (0..2000).map(|_| sim_dist.sample(&mut rng)).collect();
    simulated.sort_by(f64::total_cmp);
    let fit = StatrsLogNormal::new(mu, sigma).unwrap();
    let fitted: Vec<(f64, f64)> = (0..=120)
        .map(|i| {
            let x = 10f64.powf(1.5 + 2.0 * f64::from(i) / 120.0);
            (x, fit.cdf(x))
        })
        .collect();

    let mut c = Chart::cdf(
        "Init duration, python3.12 128 MB: measured vs fitted log-normal",
        "init duration (ms)",
    );
    c.x_scale = Scale::Log10;
    c.add(Series::new(
        "measured (n=2000)",
        ecdf_points(&measured, 200),
        SeriesStyle::Step,
    ));
    c.add(Series::new(
        "fitted log-normal (mu=5.5, sigma=0.45)",
        fitted,
        SeriesStyle::Line,
    ));
    c.add(Series::new(
        "simulated (n=2000)",
        ecdf_points(&simulated, 200),
        SeriesStyle::Step,
    ));
    let svg = render(&c).unwrap();
    assert_well_formed(&svg);
    assert!(svg.len() < 30_000, "small file: {} bytes", svg.len());
    std::fs::write("/tmp/example_cdf.svg", &svg).expect("write /tmp/example_cdf.svg");
}

fn any_coord() -> impl proptest::strategy::Strategy<Value = f64> {
    use proptest::prelude::*;
    prop_oneof![
        -1e4f64..1e4,
        Just(0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MIN_POSITIVE / 4.0),
        Just(1e300),
        Just(-1e300),
        Just(f64::MAX),
        proptest::num::f64::ANY,
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
    /// Arbitrary coordinates (NaN, infinities, subnormals, extremes) and styles never panic:
    /// the result is either a well-formed SVG or an error; ecdf_points stays monotone.
    #[test]
    fn arbitrary_points_never_panic(
        pts in proptest::collection::vec((any_coord(), any_coord()), 0..40),
        style in 0usize..3,
        log in proptest::bool::ANY,
    ) {
        let style = [SeriesStyle::Line, SeriesStyle::Step, SeriesStyle::Points][style];
        let mut c = Chart::new("prop", "x (ms)", "y (count)");
        if log {
            c.x_scale = Scale::Log10;
        }
        c.add(Series::new("s", pts.clone(), style));
        let modest = pts
            .iter()
            .all(|p| !(p.0.is_finite() && p.1.is_finite()) || (p.0.abs() <= 1e6 && p.1.abs() <= 1e6));
        match render(&c) {
            Ok(svg) => assert_well_formed(&svg),
            Err(e) => proptest::prop_assert!(!modest, "modest data must render: {e}"),
        }
        let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let e = ecdf_points(&xs, 10);
        proptest::prop_assert!(e.len() <= 10);
        for w in e.windows(2) {
            proptest::prop_assert!(w[1].0 >= w[0].0 && w[1].1 > w[0].1);
        }
    }
}
