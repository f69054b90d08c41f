//! `History::write_svg`: the history as line charts side by side, the loss and each metric
//! it measured per epoch (plotters with only its SVG backend, so text is SVG `<text>` and
//! no font files are read).

use std::path::Path;

use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{History, Metric, TrainError};

mod decision_boundary;
pub use decision_boundary::write_decision_boundary_svg;

/// The size of one panel in pixels.
const PANEL: (u32, u32) = (640, 520);
/// Up to this many epochs, every point gets a marker.
const MARKERS_UP_TO: usize = 30;
/// Training series colour (blue).
const TRAIN: RGBColor = RGBColor(31, 119, 180);
/// Validation series colour (orange).
const VALIDATION: RGBColor = RGBColor(230, 110, 0);
const FONT: &str = "sans-serif";

/// One line: its legend name, colour and `(epoch, value)` points (finite values only).
struct Series {
    name: &'static str,
    colour: RGBColor,
    points: Vec<(usize, f64)>,
}

/// One panel: caption, y-axis description, y range, the lines and legend corners to try.
struct Panel {
    caption: String,
    y_desc: String,
    y_range: (f64, f64),
    series: Vec<Series>,
    legend_corners: [SeriesLabelPosition; 4],
    /// Which way to widen the y range when every corner of the plot is crossed by a line.
    room_for_legend: Room,
}

/// Where the legend gets room when the lines leave no corner free.
#[derive(Clone, Copy)]
enum Room {
    /// Raise the top of the y range (loss, from 0).
    Above,
    /// Lower the bottom of the y range (accuracy, at most 100).
    Below,
}

impl History {
    /// Draws the history as an SVG line chart at `path`, titled `title`: panels side by
    /// side, the loss per epoch (the y axis from 0) and then each metric the history has
    /// (accuracy in percent, ranged to the data and at most 100; R² ranged to the data;
    /// MSE and MAE from 0), each with a training line and, when any epoch has one, a
    /// validation line, a legend, and markers on the points when there are at most 30
    /// epochs. A regression history gets no accuracy panel.
    ///
    /// Needs the `plot` feature. Text is written as SVG `<text>` elements in a
    /// `sans-serif` font, which the viewer (browser, image viewer) supplies.
    ///
    /// # Errors
    /// [`TrainError::Plot`] naming the path if the history is empty or the chart cannot be
    /// drawn; [`TrainError::Io`] naming the path if the file cannot be written.
    ///
    /// ```
    /// use tapegrad_train::{EpochRecord, History, Metric};
    /// let mut history = History::default();
    /// for epoch in 1..=5 {
    ///     let t = epoch as f64;
    ///     history.push(EpochRecord {
    ///         epoch,
    ///         train_loss: 1.0 / t,
    ///         train_metrics: vec![(Metric::Accuracy, 1.0 - 0.4 / t)],
    ///         validation_loss: Some(1.1 / t),
    ///         validation_metrics: vec![(Metric::Accuracy, 1.0 - 0.5 / t)],
    ///         ..Default::default()
    ///     });
    /// }
    /// let path = std::env::temp_dir().join("tapegrad-doc-history.svg");
    /// history.write_svg(&path, "MLP on moons").unwrap();
    /// let svg = std::fs::read_to_string(&path).unwrap();
    /// assert!(svg.starts_with("<svg") && svg.contains("MLP on moons"));
    /// # std::fs::remove_file(&path).unwrap();
    ///
    /// assert!(History::default().write_svg(&path, "nothing yet").is_err());
    /// ```
    pub fn write_svg(&self, path: impl AsRef<Path>, title: &str) -> Result<(), TrainError> {
        let path = path.as_ref();
        let plot_error = |message: String| TrainError::Plot { path: path.to_path_buf(), message };
        if self.epochs.is_empty() {
            return Err(plot_error("the history has no epochs".into()));
        }
        // Axis ranges add margins to the data's span: values beyond ±1e300 would overflow
        // them to infinity, on which the plotting library loops forever.
        for e in &self.epochs {
            let metrics = e.train_metrics.iter().chain(&e.validation_metrics).map(|&(_, v)| v);
            let mut values = [e.train_loss].into_iter().chain(e.validation_loss).chain(metrics);
            if let Some(v) = values.find(|v| v.is_finite() && v.abs() > crate::plane::MAX_DRAWABLE / 100.0) {
                return Err(plot_error(format!("epoch {}: the value {v:e} is too large to draw", e.epoch)));
            }
        }
        let mut svg = String::new();
        {
            let panels = 1 + self.metrics().len() as u32;
            let root = SVGBackend::with_string(&mut svg, (PANEL.0 * panels, PANEL.1)).into_drawing_area();
            self.draw(&root, title).map_err(|e| plot_error(e.to_string()))?;
            root.present().map_err(|e| plot_error(e.to_string()))?;
        }
        crate::history::write(path, svg.as_bytes())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        title: &str,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let body = root.titled(title, (FONT, 28).into_font().style(FontStyle::Bold))?;
        let metrics = self.metrics();
        let areas = body.split_evenly((1, 1 + metrics.len()));
        let has_validation = self.epochs.iter().any(|e| e.validation_loss.is_some());
        let loss = {
            let mut series = vec![self.series("train", TRAIN, |e| Some(e.train_loss))];
            if has_validation {
                series.push(self.series("validation", VALIDATION, |e| e.validation_loss));
            }
            let max = max_of(&series).filter(|m| *m > 0.0).unwrap_or(1.0);
            Panel {
                caption: "loss".into(),
                y_desc: "loss".into(),
                y_range: (0.0, max * 1.1),
                series,
                legend_corners: corners_from_top_right(),
                room_for_legend: Room::Above,
            }
        };
        let mut panels = vec![loss];
        panels.extend(metrics.iter().map(|&metric| self.metric_panel(metric)));
        for (area, panel) in areas.iter().zip(panels) {
            self.draw_panel(area, panel)?;
        }
        Ok(())
    }

    /// The panel of one metric: accuracy in percent, the errors from 0, R² to the data.
    fn metric_panel(&self, metric: Metric) -> Panel {
        let scale = if metric == Metric::Accuracy { 100.0 } else { 1.0 };
        let mut series = vec![self.series("train", TRAIN, |e| e.train_metric(metric).map(|v| v * scale))];
        if self.epochs.iter().any(|e| e.validation_metric(metric).is_some()) {
            series.push(
                self.series("validation", VALIDATION, |e| e.validation_metric(metric).map(|v| v * scale)),
            );
        }
        let (y_desc, y_range, legend_corners, room_for_legend) = match metric {
            Metric::Accuracy => (
                "accuracy (%)".to_string(),
                accuracy_range(&series),
                corners_from_bottom_right(),
                Room::Below,
            ),
            Metric::R2 => ("R²".to_string(), data_range(&series), corners_from_bottom_right(), Room::Below),
            Metric::Mse | Metric::Mae => {
                let max = max_of(&series).filter(|m| *m > 0.0).unwrap_or(1.0);
                (metric.name().to_uppercase(), (0.0, max * 1.1), corners_from_top_right(), Room::Above)
            }
        };
        let caption = match metric {
            Metric::Accuracy => "accuracy".to_string(),
            Metric::R2 => "R²".to_string(),
            Metric::Mse | Metric::Mae => metric.name().to_uppercase(),
        };
        Panel { caption, y_desc, y_range, series, legend_corners, room_for_legend }
    }

    /// The finite values `value` gives, against their epoch numbers.
    fn series(
        &self,
        name: &'static str,
        colour: RGBColor,
        value: impl Fn(&crate::EpochRecord) -> Option<f64>,
    ) -> Series {
        let points = self
            .epochs
            .iter()
            .filter_map(|e| value(e).filter(|v| v.is_finite()).map(|v| (e.epoch, v)))
            .collect();
        Series { name, colour, points }
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: Panel,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (x_lo, x_hi) = self.epoch_range();
        let (corner, (y_lo, y_hi)) = legend_place(&panel, (x_lo, x_hi));
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.caption, (FONT, 20))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        let decimals = decimals_for(y_hi - y_lo);
        let y_format = |v: &f64| format!("{v:.decimals$}");
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(&panel.y_desc)
            .x_labels(10)
            .y_labels(8)
            .y_label_formatter(&y_format)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .bold_line_style(RGBColor(220, 220, 220))
            .light_line_style(RGBColor(244, 244, 244))
            .max_light_lines(4)
            .axis_style(RGBColor(90, 90, 90))
            .draw()?;
        self.draw_lines(&mut chart, &panel)?;
        draw_legend(&mut chart, corner, 0.9)
    }

    /// The epochs on the x axis: first to last, or one either side of a single epoch.
    fn epoch_range(&self) -> (usize, usize) {
        let first = self.epochs.iter().map(|e| e.epoch).min().unwrap_or(0);
        let last = self.epochs.iter().map(|e| e.epoch).max().unwrap_or(0);
        if first == last {
            (first.saturating_sub(1), last.saturating_add(1))
        } else {
            (first, last)
        }
    }

    /// The panel's series as lines, with a dot per epoch when there are few epochs.
    fn draw_lines<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordusize, RangedCoordf64>>,
        panel: &Panel,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let markers = self.epochs.len() <= MARKERS_UP_TO;
        for series in &panel.series {
            let colour = series.colour;
            chart
                .draw_series(LineSeries::new(series.points.iter().copied(), colour.stroke_width(2)))?
                .label(series.name)
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (24, 0)], colour.stroke_width(2))
                        + Circle::new(
                            (12, 0),
                            3,
                            if markers { colour.filled() } else { TRANSPARENT.filled() },
                        )
                });
            if markers {
                chart.draw_series(series.points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
            }
        }
        Ok(())
    }
}

/// Where the legend goes, and the y range that leaves room for it: the corner the lines
/// cross least; if they cross every corner, the y range grows (up for loss, down for
/// accuracy) to leave a band for it.
fn legend_place(panel: &Panel, (x_lo, x_hi): (usize, usize)) -> (SeriesLabelPosition, (f64, f64)) {
    let x_span = (x_hi - x_lo) as f64;
    let normalised = |(y_lo, y_hi): (f64, f64)| -> Vec<Vec<(f64, f64)>> {
        let to_unit = |&(x, y): &(usize, f64)| ((x - x_lo) as f64 / x_span, (y - y_lo) / (y_hi - y_lo));
        panel.series.iter().map(|s| s.points.iter().map(to_unit).collect()).collect()
    };
    let y_range = panel.y_range;
    let (corner, crossed) = emptiest_corner(&normalised(y_range), &panel.legend_corners);
    if crossed == 0 {
        return (corner, y_range);
    }
    let (lo, hi) = y_range;
    let extra = (hi - lo) * LEGEND_HEIGHT / (1.0 - LEGEND_HEIGHT);
    let y_range = match panel.room_for_legend {
        Room::Above => (lo, hi + extra),
        Room::Below if lo - extra >= 0.0 || lo < 0.0 => (lo - extra, hi),
        Room::Below => (0.0, (hi + extra - lo).min(100.0)),
    };
    (emptiest_corner(&normalised(y_range), &panel.legend_corners).0, y_range)
}

fn max_of(series: &[Series]) -> Option<f64> {
    series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).reduce(f64::max)
}

fn min_of(series: &[Series]) -> Option<f64> {
    series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).reduce(f64::min)
}

/// The data's range with a margin (at least 2 percentage points wide), within 0 to 100.
fn accuracy_range(series: &[Series]) -> (f64, f64) {
    let (Some(min), Some(max)) = (min_of(series), max_of(series)) else { return (0.0, 100.0) };
    let (min, max) = (min.clamp(0.0, 100.0), max.clamp(0.0, 100.0));
    let mid = (min + max) / 2.0;
    let half = ((max - min).max(2.0) / 2.0) * 1.12;
    let (mut lo, mut hi) = (mid - half, mid + half);
    if hi > 100.0 {
        lo -= hi - 100.0;
        hi = 100.0;
    }
    if lo < 0.0 {
        hi = (hi - lo).min(100.0);
        lo = 0.0;
    }
    (lo, hi)
}

/// The data's range with a 10% margin (at least 0.02 wide), for values of any sign.
fn data_range(series: &[Series]) -> (f64, f64) {
    let (Some(min), Some(max)) = (min_of(series), max_of(series)) else { return (0.0, 1.0) };
    let margin = ((max - min).max(0.02)) * 0.1;
    (min - margin, max + margin)
}

/// Enough decimals on the y labels to tell ticks about a fifth of `span` apart.
fn decimals_for(span: f64) -> usize {
    if span > 0.0 && span.is_finite() {
        (-(span / 5.0).log10()).ceil().clamp(0.0, 6.0) as usize
    } else {
        2
    }
}

/// The charts' legend, in `corner`, on a white box of the given opacity.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    corner: SeriesLabelPosition,
    opacity: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(corner)
        .margin(12)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(opacity))
        .border_style(RGBColor(180, 180, 180))
        .draw()
}

fn corners_from_top_right() -> [SeriesLabelPosition; 4] {
    use SeriesLabelPosition::*;
    [UpperRight, UpperLeft, LowerRight, LowerLeft]
}

fn corners_from_bottom_right() -> [SeriesLabelPosition; 4] {
    use SeriesLabelPosition::*;
    [LowerRight, UpperRight, LowerLeft, UpperLeft]
}

/// A two-entry legend's box with some clearance, as a fraction of a 560 × 380 plot.
const LEGEND_WIDTH: f64 = 0.3;
const LEGEND_HEIGHT: f64 = 0.22;

/// Of `corners` (in order of preference), the one whose legend-sized box the lines cross
/// least, and how many samples of the lines fall in it. Lines are in plot coordinates
/// scaled to 0..1 (y up), sampled along their segments.
fn emptiest_corner(
    lines: &[Vec<(f64, f64)>],
    corners: &[SeriesLabelPosition; 4],
) -> (SeriesLabelPosition, usize) {
    let mut samples = Vec::new();
    for line in lines {
        samples.extend(line.iter().copied());
        for pair in line.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            samples.extend((1..20).map(|i| {
                let t = f64::from(i) / 20.0;
                (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            }));
        }
    }
    let crossings = |corner: &SeriesLabelPosition| {
        let (right, top) = match corner {
            SeriesLabelPosition::UpperRight => (true, true),
            SeriesLabelPosition::UpperLeft => (false, true),
            SeriesLabelPosition::LowerRight => (true, false),
            _ => (false, false),
        };
        samples
            .iter()
            .filter(|&&(x, y)| {
                let in_x = if right { x >= 1.0 - LEGEND_WIDTH } else { x <= LEGEND_WIDTH };
                let in_y = if top { y >= 1.0 - LEGEND_HEIGHT } else { y <= LEGEND_HEIGHT };
                in_x && in_y
            })
            .count()
    };
    // `min_by_key` keeps the first of equal minima, so ties go to the preferred corner.
    corners
        .iter()
        .map(|corner| (corner.clone(), crossings(corner)))
        .min_by_key(|(_, count)| *count)
        .unwrap_or((SeriesLabelPosition::UpperRight, 0))
}
