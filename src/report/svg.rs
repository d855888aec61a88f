//! SVG charts rendered to a `String` with plotters' SVG backend: empirical vs fitted CDFs for
//! calibration reports, and later latency CDFs per variant, counts over time and cost-vs-p99
//! scatters for design reviews.
//!
//! The API is deliberately small: build a [`Chart`] (or [`Chart::cdf`]), [`Chart::add`] one
//! [`Series`] per curve, then [`render`]. Choices that matter to a reader of the output:
//!
//! - **Layout.** Title on top, y label rotated at the left, x label under the tick labels, and
//!   the legend in its own strip *below* the plot (one entry per series, wrapped into rows), so
//!   it never covers data.
//! - **Colours.** Series take colours from [`PALETTE`] in the order they were added (the
//!   Okabe–Ito colour-blind-safe set, without its yellow, which is unreadable on white);
//!   after eight series the colours repeat.
//! - **Bad points.** Points with a non-finite coordinate are skipped, and so are points with
//!   `x <= 0` on a [`Scale::Log10`] axis. Nothing panics; when points were skipped a footnote
//!   under the legend says how many.
//! - **No data.** A chart with no drawable point still renders (it is not an error): the frame,
//!   title, axis labels and legend appear, the axes span the given ranges (or 0..1, or
//!   1..10 on a log axis), and the plot area says "no data". Errors ([`ChartError`]) are kept
//!   for things the caller must fix: a too-small canvas, an invalid explicit range, data whose
//!   extent overflows f64, or a legend too tall for the canvas.
//! - **Ranges.** Explicit ranges clip the data (lines are cut at the frame, points outside are
//!   dropped). Auto ranges span the data plus a 3 % margin on each side (in log10 space on a
//!   log axis).
//! - **Size and determinism.** Coordinates are integer pixels and consecutive points that fall
//!   on the same pixel are merged, so a 100 000-point series costs at most a few hundred
//!   vertices; [`ecdf_points`] thins an empirical CDF before it gets there. The output depends
//!   only on the input (no clocks, no hash maps), so identical charts give identical bytes.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStyle {
    /// Straight segments between consecutive points, in the given order.
    Line,
    /// A right-continuous staircase, as for an empirical CDF: from each point the curve runs
    /// horizontally to the next point's x, then vertically to its y. Points are sorted by x
    /// (stably) before drawing.
    Step,
    /// One small filled circle per point (scatter plots).
    Points,
}

/// One named curve or point cloud. Coordinates are in the units of the chart's axis labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// `(x, y)` in axis units. Non-finite coordinates are skipped when rendering.
    pub points: Vec<(f64, f64)>,
    /// How the points are drawn.
    pub style: SeriesStyle,
}

impl Series {
    /// A series named `name` drawn in `style`.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, style: SeriesStyle) -> Series {
        Series {
            name: name.into(),
            points,
            style,
        }
    }
}

/// Scale of the x axis. (The y axis is always linear.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values; ticks at 1, 2 or 5 times a power of ten.
    Linear,
    /// Evenly spaced decades, for skewed durations. Only `x > 0` can be drawn; other points
    /// are skipped.
    Log10,
}

/// A chart description; [`render`] turns it into SVG text.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Caption drawn above the plot.
    pub title: String,
    /// X axis label, with its unit, e.g. `"init duration (ms)"`.
    pub x_label: String,
    /// Y axis label, with its unit.
    pub y_label: String,
    /// Linear or log10 x axis.
    pub x_scale: Scale,
    /// Fixed `(min, max)` of the y axis; `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    /// Fixed `(min, max)` of the x axis; `None` fits the data. Both ends must be > 0 on a
    /// log axis.
    pub x_range: Option<(f64, f64)>,
    /// Curves in drawing (and legend, and colour) order.
    pub series: Vec<Series>,
    /// Canvas width in pixels (at least [`MIN_WIDTH_PX`]).
    pub width_px: u32,
    /// Canvas height in pixels (at least [`MIN_HEIGHT_PX`]).
    pub height_px: u32,
    /// Draw line series from widest to narrowest ([`line_width_px`]) so coinciding curves
    /// stay visible; otherwise every line is 2 px.
    pub nested_lines: bool,
}

/// Smallest accepted canvas width; below it labels and legend no longer fit.
pub const MIN_WIDTH_PX: u32 = 240;
/// Smallest accepted canvas height.
pub const MIN_HEIGHT_PX: u32 = 180;
/// Largest accepted canvas side (guards against absurd sizes from a config typo).
pub const MAX_SIDE_PX: u32 = 20_000;
/// Height the title, axes and plot need above the legend strip.
pub const MIN_PLOT_HEIGHT_PX: u32 = 150;
/// Default canvas width used by [`Chart::new`] and [`Chart::cdf`].
pub const DEFAULT_WIDTH_PX: u32 = 800;
/// Default canvas height used by [`Chart::new`] and [`Chart::cdf`].
pub const DEFAULT_HEIGHT_PX: u32 = 500;

/// Series colours as `(r, g, b)`, used in order and repeated after the last: Okabe–Ito
/// (colour-blind safe) without yellow, then grey.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0x00, 0x72, 0xB2), // blue
    (0xD5, 0x5E, 0x00), // vermillion
    (0x00, 0x9E, 0x73), // bluish green
    (0xE6, 0x9F, 0x00), // orange
    (0xCC, 0x79, 0xA7), // reddish purple
    (0x56, 0xB4, 0xE9), // sky blue
    (0x00, 0x00, 0x00), // black
    (0x88, 0x88, 0x88), // grey
];

/// The SVG colour string (`#RRGGBB`, as plotters writes it) of the series at `index`.
pub fn series_color_hex(index: usize) -> String {
    let (r, g, b) = PALETTE[index % PALETTE.len()];
    format!("#{r:02X}{g:02X}{b:02X}")
}

impl Chart {
    /// An empty chart with linear x, auto ranges and the default size.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Chart {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_scale: Scale::Linear,
            y_range: None,
            x_range: None,
            series: Vec::new(),
            width_px: DEFAULT_WIDTH_PX,
            height_px: DEFAULT_HEIGHT_PX,
            nested_lines: false,
        }
    }

    /// A CDF chart: y is "cumulative fraction" fixed to 0..1, x is linear with an auto range
    /// (set `x_scale` to [`Scale::Log10`] for skewed durations).
    pub fn cdf(title: impl Into<String>, x_label: impl Into<String>) -> Chart {
        let mut chart = Chart::new(title, x_label, "cumulative fraction");
        chart.y_range = Some((0.0, 1.0));
        chart
    }

    /// Appends a series; it gets the next palette colour and legend entry.
    pub fn add(&mut self, series: Series) {
        self.series.push(series);
    }
}

/// Why a chart could not be rendered. Data problems (NaN, empty series, `x <= 0` on a log
/// axis) are not errors: such points are skipped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChartError {
    /// Canvas outside [`MIN_WIDTH_PX`]/[`MIN_HEIGHT_PX`]..=[`MAX_SIDE_PX`].
    #[error(
        "chart size {width_px}x{height_px} px: expected at least {MIN_WIDTH_PX}x{MIN_HEIGHT_PX} and at most {MAX_SIDE_PX} per side"
    )]
    Size { width_px: u32, height_px: u32 },
    /// An explicit range is not finite, empty or reversed, or not positive on a log axis; or
    /// the range to draw (explicit, or fitted to the data) has a span that overflows f64 or
    /// is below 1e-12 of its magnitude.
    #[error("{axis} range ({min}, {max}): {reason}")]
    Range {
        axis: &'static str,
        min: f64,
        max: f64,
        reason: &'static str,
    },
    /// The legend (one entry per series, wrapped into rows) leaves less than
    /// [`MIN_PLOT_HEIGHT_PX`] for the plot: use fewer series, shorter names or a taller chart.
    #[error(
        "legend for {series} series needs {legend_height_px} px of a {height_px} px tall chart; make the chart taller or use fewer series"
    )]
    Legend {
        series: usize,
        legend_height_px: u32,
        height_px: u32,
    },
    /// plotters failed while drawing (should not happen with the string backend).
    #[error("drawing the chart failed: {0}")]
    Draw(String),
}

/// Empirical CDF of `sorted` as `(x, fraction of values <= x)` points, thinned to at most
/// `max_points` for a small, readable file.
///
/// Non-finite values are dropped first (the fractions count finite values only); if the input
/// is not ascending a sorted copy is used. With `n` values left, point `i` (0-based rank) is
/// `(x_i, (i + 1) / n)`. When `n > max_points`, ranks `round(k (n - 1) / (max_points - 1))`
/// for `k = 0..max_points` are kept, so the smallest value (at `1/n`) and the largest (at 1)
/// always survive and the kept ranks are evenly spaced. `max_points == 1` keeps only the
/// largest value; `max_points == 0` or no finite value gives an empty vector. The result is
/// non-decreasing in x and strictly increasing in y (tied x values give a vertical run).
pub fn ecdf_points(sorted: &[f64], max_points: usize) -> Vec<(f64, f64)> {
    let mut values: Vec<f64> = sorted.iter().copied().filter(|v| v.is_finite()).collect();
    if !values.is_sorted() {
        values.sort_by(f64::total_cmp);
    }
    let n = values.len();
    if n == 0 || max_points == 0 {
        return Vec::new();
    }
    let point = |i: usize| (values[i], (i + 1) as f64 / n as f64);
    if max_points == 1 {
        return vec![point(n - 1)];
    }
    if n <= max_points {
        return (0..n).map(point).collect();
    }
    let last = (n - 1) as f64;
    let steps = (max_points - 1) as f64;
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(max_points);
    let mut prev_rank = usize::MAX;
    for k in 0..max_points {
        let rank = ((k as f64) * last / steps).round() as usize;
        let rank = rank.min(n - 1);
        if rank != prev_rank {
            out.push(point(rank));
            prev_rank = rank;
        }
    }
    out
}

/// Renders `chart` as a standalone SVG document. See the module documentation for layout,
/// skipping of bad points, the empty-chart behaviour and errors.
pub fn render(chart: &Chart) -> Result<String, ChartError> {
    check_chart(chart)?;
    let log_x = chart.x_scale == Scale::Log10;
    let (prepared, skipped) = prepare_points(chart, log_x);
    let frame = Frame::new(chart, &prepared, log_x)?;
    let (w, h) = (chart.width_px, chart.height_px);
    // Legend layout: entries wrapped into rows under the plot.
    let legend = legend_layout(chart, w);
    let footnote = (skipped > 0).then(|| {
        format!(
            "{skipped} point(s) not drawn: non-finite{}",
            if log_x {
                " or x <= 0 on the log axis"
            } else {
                ""
            }
        )
    });
    let legend_h = legend.height_px + if footnote.is_some() { 18 } else { 0 };
    if legend_h + MIN_PLOT_HEIGHT_PX > h {
        return Err(ChartError::Legend {
            series: chart.series.len(),
            legend_height_px: legend_h,
            height_px: h,
        });
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (top, bottom) = root.split_vertically(h as i32 - legend_h as i32);
        let mut ctx = frame.build(chart, &top)?;
        draw_series(&mut ctx, chart, &prepared, frame.bounds())?;
        if !prepared.iter().any(|p| !p.is_empty()) {
            draw_no_data(&root, &ctx)?;
        }
        draw_legend(&bottom, chart, &legend, footnote)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// The chart's size and fixed ranges are drawable.
fn check_chart(chart: &Chart) -> Result<(), ChartError> {
    let (w, h) = (chart.width_px, chart.height_px);
    if w < MIN_WIDTH_PX || h < MIN_HEIGHT_PX || w > MAX_SIDE_PX || h > MAX_SIDE_PX {
        return Err(ChartError::Size {
            width_px: w,
            height_px: h,
        });
    }
    if let Some((lo, hi)) = chart.x_range {
        check_range("x", lo, hi)?;
        if chart.x_scale == Scale::Log10 && lo <= 0.0 {
            return Err(ChartError::Range {
                axis: "x",
                min: lo,
                max: hi,
                reason: "a log10 axis needs min > 0",
            });
        }
    }
    if let Some((lo, hi)) = chart.y_range {
        check_range("y", lo, hi)?;
    }
    Ok(())
}

/// Data in plot space (log10 of x on a log axis), bad points dropped and counted; step
/// series sorted by x.
fn prepare_points(chart: &Chart, log_x: bool) -> (Vec<Vec<(f64, f64)>>, usize) {
    let mut skipped = 0usize;
    let prepared = chart
        .series
        .iter()
        .map(|s| {
            let mut pts: Vec<(f64, f64)> = Vec::with_capacity(s.points.len());
            for &(x, y) in &s.points {
                let tx = if log_x { x.log10() } else { x };
                if tx.is_finite() && y.is_finite() && !(log_x && x <= 0.0) {
                    pts.push((tx, y));
                } else {
                    skipped += 1;
                }
            }
            if s.style == SeriesStyle::Step {
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
            pts
        })
        .collect();
    (prepared, skipped)
}

/// The axes of a chart in plot space: ranges and ticks.
struct Frame {
    x_range_t: (f64, f64),
    y_range: (f64, f64),
    x_ticks: Vec<(f64, String)>,
    y_ticks: Vec<(f64, String)>,
}

type Ctx<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<TickedAxis, TickedAxis>>;

impl Frame {
    fn new(chart: &Chart, prepared: &[Vec<(f64, f64)>], log_x: bool) -> Result<Frame, ChartError> {
        let x_range_t = match chart.x_range {
            Some((lo, hi)) if log_x => (lo.log10(), hi.log10()),
            Some(r) => r,
            None => auto_range(prepared.iter().flatten().map(|p| p.0), log_x),
        };
        let y_range = match chart.y_range {
            Some(r) => r,
            None => auto_range(prepared.iter().flatten().map(|p| p.1), false),
        };
        check_drawable("x", x_range_t)?;
        check_drawable("y", y_range)?;
        let x_ticks = if log_x {
            log_ticks(x_range_t.0, x_range_t.1)
        } else {
            linear_ticks(x_range_t.0, x_range_t.1)
        };
        let y_ticks = linear_ticks(y_range.0, y_range.1);
        Ok(Frame {
            x_range_t,
            y_range,
            x_ticks,
            y_ticks,
        })
    }

    fn bounds(&self) -> (f64, f64, f64, f64) {
        (
            self.x_range_t.0,
            self.x_range_t.1,
            self.y_range.0,
            self.y_range.1,
        )
    }

    /// The plot area with its caption, axes, grid and tick labels drawn.
    fn build<'a, 'b>(
        &self,
        chart: &Chart,
        top: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    ) -> Result<Ctx<'a, 'b>, ChartError> {
        let y_label_chars = self
            .y_ticks
            .iter()
            .map(|t| t.1.chars().count())
            .max()
            .unwrap_or(1);
        let x_tick_values: Vec<f64> = self.x_ticks.iter().map(|t| t.0).collect();
        let y_tick_values: Vec<f64> = self.y_ticks.iter().map(|t| t.0).collect();
        let mut ctx = ChartBuilder::on(top)
            .caption(&chart.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(34 + 8 * y_label_chars as u32)
            .build_cartesian_2d(
                TickedAxis::new(self.x_range_t, x_tick_values),
                TickedAxis::new(self.y_range, y_tick_values),
            )
            .map_err(draw_err)?;
        let x_fmt = |v: &f64| tick_label(&self.x_ticks, *v);
        let y_fmt = |v: &f64| tick_label(&self.y_ticks, *v);
        ctx.configure_mesh()
            .x_desc(chart.x_label.as_str())
            .y_desc(chart.y_label.as_str())
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 15))
            .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()
            .map_err(draw_err)?;
        Ok(ctx)
    }
}

/// `pts` without the points that land on the same pixel as the one kept before them.
fn dedup_pixels(ctx: &Ctx<'_, '_>, pts: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut last_px = None;
    let mut kept = Vec::new();
    for p in pts {
        let px = ctx.backend_coord(&p);
        if last_px != Some(px) {
            kept.push(p);
            last_px = Some(px);
        }
    }
    kept
}

/// Stroke width (px) of line series `i` of `chart`: 2 px, or with
/// [`Chart::nested_lines`] from widest to narrowest (2 px more each, the last 2 px, at most
/// 8 px), so where two curves coincide (identical variants) the later one runs inside the
/// earlier one and both stay visible.
pub fn line_width_px(chart: &Chart, i: usize) -> u32 {
    if !chart.nested_lines {
        return 2;
    }
    let is_line = |s: &Series| matches!(s.style, SeriesStyle::Line | SeriesStyle::Step);
    let later = chart.series[i + 1..].iter().filter(|s| is_line(s)).count() as u32;
    (2 + 2 * later).min(8)
}

fn draw_series(
    ctx: &mut Ctx<'_, '_>,
    chart: &Chart,
    prepared: &[Vec<(f64, f64)>],
    bounds: (f64, f64, f64, f64),
) -> Result<(), ChartError> {
    for (i, (series, pts)) in chart.series.iter().zip(prepared).enumerate() {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let color = RGBColor(r, g, b);
        match series.style {
            SeriesStyle::Points => {
                let kept = dedup_pixels(ctx, pts.iter().copied().filter(|&p| inside(p, bounds)));
                ctx.draw_series(PointSeries::of_element(
                    kept,
                    3,
                    color.filled(),
                    &|c, s, st| EmptyElement::at(c) + Circle::new((0, 0), s, st),
                ))
                .map_err(draw_err)?;
            }
            SeriesStyle::Line | SeriesStyle::Step => {
                let path: Vec<(f64, f64)> = if series.style == SeriesStyle::Step {
                    staircase(pts)
                } else {
                    pts.clone()
                };
                for run in clip_polyline(&path, bounds) {
                    let kept = dedup_pixels(ctx, run);
                    let width = line_width_px(chart, i);
                    ctx.draw_series(LineSeries::new(kept, color.stroke_width(width)))
                        .map_err(draw_err)?;
                }
            }
        }
    }
    Ok(())
}

/// "no data" in the middle of the plot area.
fn draw_no_data(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    ctx: &Ctx<'_, '_>,
) -> Result<(), ChartError> {
    let area = ctx.plotting_area();
    let (pw, ph) = area.dim_in_pixel();
    let (ox, oy) = area.get_base_pixel();
    let style = ("sans-serif", 20)
        .into_font()
        .color(&RGBColor(0x88, 0x88, 0x88))
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
    root.draw(&Text::new(
        "no data",
        (ox + pw as i32 / 2, oy + ph as i32 / 2),
        style,
    ))
    .map_err(draw_err)
}

/// The legend strip under the plot, and the footnote about skipped points.
fn draw_legend(
    bottom: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    chart: &Chart,
    legend: &Legend,
    footnote: Option<String>,
) -> Result<(), ChartError> {
    let text_style = ("sans-serif", 16).into_font().color(&BLACK);
    for (i, entry) in legend.entries.iter().enumerate() {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let color = RGBColor(r, g, b);
        let (x, y) = (entry.x_px, entry.y_px);
        match chart.series[i].style {
            SeriesStyle::Points => bottom
                .draw(&Circle::new(
                    (x + LEGEND_SAMPLE_PX / 2, y),
                    4,
                    color.filled(),
                ))
                .map_err(draw_err)?,
            SeriesStyle::Line | SeriesStyle::Step => {
                // 2 px lines keep the 3 px sample they always had.
                let half = (line_width_px(chart, i) as i32 / 2).max(2);
                bottom
                    .draw(&Rectangle::new(
                        [(x, y - half + 1), (x + LEGEND_SAMPLE_PX, y + half)],
                        color.filled(),
                    ))
                    .map_err(draw_err)?
            }
        }
        let style = text_style
            .clone()
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            ));
        bottom
            .draw(&Text::new(
                chart.series[i].name.clone(),
                (x + LEGEND_SAMPLE_PX + 6, y),
                style,
            ))
            .map_err(draw_err)?;
    }
    if let Some(note) = footnote {
        let style = ("sans-serif", 13)
            .into_font()
            .color(&RGBColor(0x66, 0x66, 0x66));
        bottom
            .draw(&Text::new(
                note,
                (LEGEND_LEFT_PX, legend.height_px as i32),
                style,
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// A linear f64 axis whose ticks are exactly the given values (plotters' own `WithKeyPoints`
/// lacks a label formatter, and its log axis shows no tick within a single decade).
struct TickedAxis {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl TickedAxis {
    fn new(range: (f64, f64), ticks: Vec<f64>) -> TickedAxis {
        TickedAxis {
            inner: (range.0..range.1).into(),
            ticks,
        }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

fn draw_err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

/// The (possibly auto) range in plot space must have a finite, normal-sized span so that
/// ticks and pixel mapping are meaningful.
fn check_drawable(axis: &'static str, r: (f64, f64)) -> Result<(), ChartError> {
    let span = r.1 - r.0;
    if r.0.is_finite() && r.1.is_finite() && span.is_finite() && span > 0.0 {
        let scale = r.0.abs().max(r.1.abs());
        if span >= scale * 1e-12 && span.is_normal() {
            return Ok(());
        }
    }
    Err(ChartError::Range {
        axis,
        min: r.0,
        max: r.1,
        reason: "span too small or too large to draw (needs 1e-12 relative width and a finite span)",
    })
}

fn check_range(axis: &'static str, lo: f64, hi: f64) -> Result<(), ChartError> {
    let reason = if !lo.is_finite() || !hi.is_finite() {
        "both ends must be finite"
    } else if lo >= hi {
        "min must be below max"
    } else {
        return Ok(());
    };
    Err(ChartError::Range {
        axis,
        min: lo,
        max: hi,
        reason,
    })
}

/// Data extent plus 3 % per side; a single value (or values equal to 9 digits) gets a
/// window of ±10 % (±1 near zero, ±half a decade on a log axis);
/// no data gives 0..1 (1..10 on a log axis, i.e. 0..1 in log10 space).
fn auto_range(values: impl Iterator<Item = f64>, log_space: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    let scale = lo.abs().max(hi.abs());
    if span <= scale * 1e-9 || !span.is_normal() {
        // One value (or values equal to ~9 digits): a window around it.
        let half = if log_space || scale < 1e-6 {
            if log_space { 0.5 } else { 1.0 }
        } else {
            scale * 0.1
        };
        return (lo - half, hi + half);
    }
    (lo - 0.03 * span, hi + 0.03 * span)
}

/// Ticks `(value, label)` at 1, 2 or 5 × 10^k, about 5–10 of them.
fn linear_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let span = hi - lo;
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 8.0)
        .unwrap_or(10.0 * mag);
    let decimals = (-(step.log10().floor())).max(0.0) as usize;
    let first = (lo / step).ceil();
    let last = (hi / step).floor();
    if !step.is_normal() || !first.is_finite() || !last.is_finite() || last - first > 20.0 {
        // Degenerate span (callers check it; this keeps the function total).
        return vec![(lo, sig_label(lo)), (hi, sig_label(hi))];
    }
    (first as i64..=last as i64)
        .map(|k| {
            let v = k as f64 * step;
            let mut label = format!("{v:.decimals$}");
            if label.starts_with('-') && label[1..].chars().all(|c| c == '0' || c == '.') {
                label.remove(0);
            }
            (v, label)
        })
        .collect()
}

/// Ticks `(log10 value, label)` for a log axis spanning `lo_t..hi_t` in log10 space: every
/// decade (or every n-th over many decades), with 2× and 5× when few decades are visible and
/// 1×..9× within less than a decade; falls back to linear ticks mapped into log space when
/// that still leaves fewer than three.
fn log_ticks(lo_t: f64, hi_t: f64) -> Vec<(f64, String)> {
    let decades = hi_t - lo_t;
    let mantissas: &[f64] = if decades > 4.0 {
        &[1.0]
    } else if decades > 1.5 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    };
    let every = (decades / 8.0).ceil().max(1.0) as i64;
    let mut out = Vec::new();
    let (e0, e1) = (lo_t.floor() as i64, hi_t.ceil() as i64);
    for e in e0..=e1 {
        if e.rem_euclid(every) != 0 {
            continue;
        }
        for m in mantissas {
            let v = m * 10f64.powi(e as i32);
            let t = v.log10();
            if t >= lo_t && t <= hi_t {
                out.push((t, sig_label(v)));
            }
        }
    }
    if out.len() < 3 {
        let (lo, hi) = (10f64.powf(lo_t), 10f64.powf(hi_t));
        out = linear_ticks(lo, hi)
            .into_iter()
            .filter(|(v, _)| *v > 0.0)
            .map(|(v, l)| (v.log10(), l))
            .collect();
    }
    out
}

/// A compact label for a tick value: up to 4 significant digits, no trailing zeros,
/// scientific notation outside 1e-3..1e7.
fn sig_label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".to_string();
    }
    if !(1e-3..1e7).contains(&a) {
        return format!("{v:.0e}");
    }
    let decimals = (3 - a.log10().floor() as i64).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The label of the tick at `v` (ticks come from the lists above, so `v` matches exactly;
/// the nearest is taken defensively).
fn tick_label(ticks: &[(f64, String)], v: f64) -> String {
    ticks
        .iter()
        .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
        .map(|t| t.1.clone())
        .unwrap_or_default()
}

fn inside(p: (f64, f64), b: (f64, f64, f64, f64)) -> bool {
    p.0 >= b.0 && p.0 <= b.1 && p.1 >= b.2 && p.1 <= b.3
}

/// Right-continuous staircase through points sorted by x.
fn staircase(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(pts.len() * 2);
    for (i, &p) in pts.iter().enumerate() {
        if i > 0 {
            out.push((p.0, pts[i - 1].1));
        }
        out.push(p);
    }
    out
}

/// Cuts a polyline to the box `b` = (xmin, xmax, ymin, ymax) (Liang–Barsky per segment);
/// returns the visible runs, each with at least one point.
fn clip_polyline(path: &[(f64, f64)], b: (f64, f64, f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    if path.len() == 1 && inside(path[0], b) {
        return vec![vec![path[0]]];
    }
    for seg in path.windows(2) {
        match clip_segment(seg[0], seg[1], b) {
            Some((a, c)) => {
                if current.last() != Some(&a) {
                    if !current.is_empty() {
                        runs.push(std::mem::take(&mut current));
                    }
                    current.push(a);
                }
                current.push(c);
            }
            None => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

fn clip_segment(
    p: (f64, f64),
    q: (f64, f64),
    b: (f64, f64, f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    if inside(p, b) && inside(q, b) {
        return Some((p, q));
    }
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p.0 - b.0),
        (dx, b.1 - p.0),
        (-dy, p.1 - b.2),
        (dy, b.3 - p.1),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return None;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            p
        } else if t == 1.0 {
            q
        } else {
            (p.0 + t * dx, p.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

const LEGEND_LEFT_PX: i32 = 20;
const LEGEND_SAMPLE_PX: i32 = 26;
const LEGEND_ROW_PX: i32 = 22;
/// Estimated width of one legend character; plotters' SVG backend cannot measure text.
const LEGEND_CHAR_PX: i32 = 8;

struct LegendEntry {
    x_px: i32,
    y_px: i32,
}

struct Legend {
    entries: Vec<LegendEntry>,
    height_px: u32,
}

/// Places one entry per series left to right, wrapping to a new row when the estimated text
/// width ([`LEGEND_CHAR_PX`] per character, generous for 13 px sans-serif) would pass the right edge.
fn legend_layout(chart: &Chart, width_px: u32) -> Legend {
    let right = width_px as i32 - LEGEND_LEFT_PX;
    let mut entries = Vec::with_capacity(chart.series.len());
    let (mut x, mut row) = (LEGEND_LEFT_PX, 0i32);
    for s in &chart.series {
        let w = LEGEND_SAMPLE_PX + 6 + LEGEND_CHAR_PX * s.name.chars().count() as i32 + 24;
        if x > LEGEND_LEFT_PX && x + w > right {
            x = LEGEND_LEFT_PX;
            row += 1;
        }
        entries.push(LegendEntry {
            x_px: x,
            y_px: row * LEGEND_ROW_PX + LEGEND_ROW_PX / 2,
        });
        x += w;
    }
    let rows = if chart.series.is_empty() { 0 } else { row + 1 };
    Legend {
        entries,
        height_px: (rows * LEGEND_ROW_PX + 6) as u32,
    }
}
