//! `write_decision_boundary_svg`: a 2-D binary classifier's decision regions, its
//! P(class 1) = 0.5 contour and the labelled data on top, as an SVG chart.

use std::collections::HashMap;
use std::path::Path;

use ndarray::ArrayView2;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    corners_from_top_right, draw_legend, emptiest_corner, FONT, TRAIN as CLASS_0, VALIDATION as CLASS_1,
};
use crate::plane::padded_range;
use crate::TrainError;

/// The chart's size in pixels.
const SIZE: (u32, u32) = (960, 680);
/// The background is a `GRID × GRID` grid of cells, each coloured by P(class 1) there.
const GRID: usize = 150;
/// P(class 1) is rounded to this many steps for the background, so neighbouring cells of
/// one colour merge into one rectangle (a smaller file, no visible banding).
const SHADES: f64 = 40.0;
/// How strongly a certain cell (P = 0 or 1) is tinted with its class colour.
const TINT: f64 = 0.32;
/// The 0.5 contour's colour.
const BOUNDARY: RGBColor = RGBColor(40, 40, 40);
/// The thin edge around each data point.
const EDGE: RGBColor = RGBColor(60, 60, 60);

/// Draws a binary classifier on 2-D data as an SVG chart at `path`, titled `title`: the
/// plane around `points` (`[n, 2]`, one row per point) is cut into a 150 × 150 grid whose
/// cells are tinted blue where the classifier says class 0 and orange where it says
/// class 1, paler as P(class 1) nears 0.5; the P(class 1) = 0.5 contour — the decision
/// boundary — is drawn as a dark line, and the points on top as blue circles (label 0) and
/// orange triangles (label 1), with axes and a legend.
///
/// `probability_of_class_1` is called once with every grid point as one `[cells, 2]`
/// batch, so a model can classify them in a single forward pass, and returns P(class 1)
/// for each row, in order.
///
/// Needs the `plot` feature. Text is SVG `<text>` in a `sans-serif` font.
///
/// # Errors
/// [`TrainError::Plot`] naming the path and the problem if `points` is empty, has other
/// than 2 columns or a non-finite coordinate, the number of labels differs from the number
/// of points, a label is not 0 or 1, or the classifier returns the wrong number of
/// probabilities or one outside 0..=1; the classifier's own error as it is;
/// [`TrainError::Io`] naming the path if the file cannot be written.
///
/// ```
/// use ndarray::array;
/// use tapegrad_train::write_decision_boundary_svg;
///
/// // Points left of x = 0 are class 0, right of it class 1; a logistic curve classifies them.
/// let points = array![[-1.0, 0.0], [-0.5, 1.0], [0.5, 0.5], [1.0, -1.0]];
/// let labels = [0, 0, 1, 1];
/// let logistic = |grid: ndarray::ArrayView2<f64>| {
///     Ok(grid.rows().into_iter().map(|p| 1.0 / (1.0 + (-4.0 * p[0]).exp())).collect())
/// };
/// let path = std::env::temp_dir().join("tapegrad-doc-boundary.svg");
/// write_decision_boundary_svg(&path, "a vertical boundary", points.view(), &labels, logistic).unwrap();
/// let svg = std::fs::read_to_string(&path).unwrap();
/// assert!(svg.starts_with("<svg") && svg.contains("a vertical boundary"));
/// # std::fs::remove_file(&path).unwrap();
///
/// // Three labels for four points is an error.
/// let err = write_decision_boundary_svg(&path, "x", points.view(), &labels[..3], logistic).unwrap_err();
/// assert!(err.to_string().contains("4 points but 3 labels"));
/// ```
pub fn write_decision_boundary_svg(
    path: impl AsRef<Path>,
    title: &str,
    points: ArrayView2<'_, f64>,
    labels: &[usize],
    probability_of_class_1: impl FnOnce(ArrayView2<'_, f64>) -> Result<Vec<f64>, TrainError>,
) -> Result<(), TrainError> {
    let path = path.as_ref();
    let plot_error = |message: String| TrainError::Plot { path: path.to_path_buf(), message };
    crate::plane::check(points, labels).map_err(plot_error)?;
    let x_range = padded_range(points.column(0).iter().copied());
    let y_range = padded_range(points.column(1).iter().copied());
    let centre = |range: (f64, f64), i: usize| crate::plane::centre(range, GRID, i);
    let grid = crate::plane::grid(x_range, y_range, GRID);
    let probabilities = probability_of_class_1(grid.view())?;
    crate::plane::check_probabilities(&probabilities, grid.nrows()).map_err(plot_error)?;

    let figure = Figure { points, labels, x_range, y_range, probabilities: &probabilities, centre: &centre };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        figure.draw(&root, title).map_err(|e| plot_error(e.to_string()))?;
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    crate::history::write(path, svg.as_bytes())
}

/// A grid edge: from centre `(column, row)` to the right (`false`) or up (`true`).
type Edge = (usize, usize, bool);

/// What is drawn: the data, the plotted ranges and P(class 1) at each cell centre.
struct Figure<'a, 'p> {
    points: ArrayView2<'p, f64>,
    labels: &'a [usize],
    x_range: (f64, f64),
    y_range: (f64, f64),
    /// `probabilities[row * GRID + column]`, row 0 at the bottom.
    probabilities: &'a [f64],
    centre: &'a dyn Fn((f64, f64), usize) -> f64,
}

/// The chart the figure draws on: data coordinates on both axes.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl Figure<'_, '_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        title: &str,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let body = root.titled(title, (FONT, 26).into_font().style(FontStyle::Bold))?;
        let ((x_lo, x_hi), (y_lo, y_hi)) = (self.x_range, self.y_range);
        let mut chart = ChartBuilder::on(&body)
            .margin(20)
            .x_label_area_size(52)
            .y_label_area_size(64)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        self.draw_regions(&mut chart)?;
        chart
            .configure_mesh()
            .x_desc("x₁")
            .y_desc("x₂")
            .x_labels(10)
            .y_labels(8)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .disable_mesh()
            .axis_style(RGBColor(90, 90, 90))
            .draw()?;
        let boundary = self.contour();
        if !boundary.is_empty() {
            chart
                .draw_series(
                    boundary.into_iter().map(|line| PathElement::new(line, BOUNDARY.stroke_width(2))),
                )?
                .label("P(class 1) = 0.5")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BOUNDARY.stroke_width(2)));
        }
        self.draw_points(&mut chart)?;
        // The legend goes in the corner with the fewest points.
        let unit = |(x, y): (f64, f64)| vec![((x - x_lo) / (x_hi - x_lo), (y - y_lo) / (y_hi - y_lo))];
        let scattered: Vec<_> = self.of_class(0).chain(self.of_class(1)).map(unit).collect();
        let (corner, _) = emptiest_corner(&scattered, &corners_from_top_right());
        draw_legend(&mut chart, corner, 0.92)
    }

    /// The background: P(class 1) as a tint, per grid row in runs of cells of one shade,
    /// each run one rectangle.
    fn draw_regions<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut Chart<'a, DB>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let cell = |range: (f64, f64), i: usize| range.0 + (range.1 - range.0) * i as f64 / GRID as f64;
        let shade = |p: f64| (p * SHADES).round() / SHADES;
        let mut cells = Vec::new();
        for row in 0..GRID {
            let mut start = 0;
            for column in 1..=GRID {
                let here = shade(self.probabilities[row * GRID + start]);
                if column < GRID && shade(self.probabilities[row * GRID + column]) == here {
                    continue;
                }
                let corners = [
                    (cell(self.x_range, start), cell(self.y_range, row)),
                    (cell(self.x_range, column), cell(self.y_range, row + 1)),
                ];
                cells.push(Rectangle::new(corners, region_colour(here).filled()));
                start = column;
            }
        }
        chart.draw_series(cells)?;
        Ok(())
    }

    /// The points of one class.
    fn of_class(&self, class: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points
            .rows()
            .into_iter()
            .zip(self.labels)
            .filter(move |(_, label)| **label == class)
            .map(|(p, _)| (p[0], p[1]))
    }

    /// The data, as circles (class 0) and triangles (class 1). Each marker sits on a
    /// slightly larger dark copy of itself: a thin edge that keeps it visible on its own
    /// class's tint.
    fn draw_points<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut Chart<'a, DB>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        chart
            .draw_series(self.of_class(0).map(|p| {
                EmptyElement::at(p)
                    + Circle::new((0, 0), 6, EDGE.filled())
                    + Circle::new((0, 0), 5, CLASS_0.filled())
            }))?
            .label("class 0")
            .legend(|(x, y)| {
                EmptyElement::at((x + 12, y))
                    + Circle::new((0, 0), 6, EDGE.filled())
                    + Circle::new((0, 0), 5, CLASS_0.filled())
            });
        chart
            .draw_series(self.of_class(1).map(|p| {
                EmptyElement::at(p)
                    + TriangleMarker::new((0, 0), 9, EDGE.filled())
                    + TriangleMarker::new((0, 0), 7, CLASS_1.filled())
            }))?
            .label("class 1")
            .legend(|(x, y)| {
                EmptyElement::at((x + 12, y))
                    + TriangleMarker::new((0, 0), 9, EDGE.filled())
                    + TriangleMarker::new((0, 0), 7, CLASS_1.filled())
            });
        Ok(())
    }

    /// The P(class 1) = 0.5 contour through the cell centres, by marching squares, as
    /// polylines in data coordinates.
    ///
    /// A crossing lies on a grid edge between two neighbouring centres whose P falls on
    /// either side of 0.5; each square of four centres joins its crossings in pairs
    /// ([`crossings`](Self::crossings)), and the pairs are chained into lines through the
    /// edges they share.
    fn contour(&self) -> Vec<Vec<(f64, f64)>> {
        let mut neighbours = self.crossings();
        let p = |column: usize, row: usize| self.probabilities[row * GRID + column];
        let position = |&(column, row, up): &Edge| {
            let (c1, r1) = if up { (column, row + 1) } else { (column + 1, row) };
            let (p0, p1) = (p(column, row), p(c1, r1));
            let t = (0.5 - p0) / (p1 - p0);
            let x = (self.centre)(self.x_range, column);
            let y = (self.centre)(self.y_range, row);
            let x1 = (self.centre)(self.x_range, c1);
            let y1 = (self.centre)(self.y_range, r1);
            (x + (x1 - x) * t, y + (y1 - y) * t)
        };
        // Walk open lines from their ends first, then the closed loops that remain.
        let mut starts: Vec<Edge> = neighbours.keys().copied().collect();
        starts.sort_by_key(|edge| (neighbours[edge].len() != 1, *edge));
        let mut lines = Vec::new();
        for start in starts {
            if neighbours[&start].is_empty() {
                continue;
            }
            let mut line = vec![position(&start)];
            let mut here = start;
            while let Some(next) = neighbours.get_mut(&here).and_then(Vec::pop) {
                if let Some(back) = neighbours.get_mut(&next) {
                    back.retain(|edge| *edge != here);
                }
                line.push(position(&next));
                here = next;
            }
            lines.push(line);
        }
        lines
    }

    /// Marching squares: for every grid edge the contour crosses, the crossed edges it
    /// joins to (one or two) within the squares on either side.
    fn crossings(&self) -> HashMap<Edge, Vec<Edge>> {
        let p = |column: usize, row: usize| self.probabilities[row * GRID + column];
        let above = |column: usize, row: usize| p(column, row) >= 0.5;
        let mut neighbours: HashMap<Edge, Vec<Edge>> = HashMap::new();
        for row in 0..GRID - 1 {
            for column in 0..GRID - 1 {
                let corners = [(column, row), (column + 1, row), (column + 1, row + 1), (column, row + 1)];
                // The square's sides in order (bottom, right, top, left), each between the
                // corners i and i + 1.
                let sides: [Edge; 4] = [
                    (column, row, false),
                    (column + 1, row, true),
                    (column, row + 1, false),
                    (column, row, true),
                ];
                let crossed: Vec<usize> = (0..4)
                    .filter(|&i| {
                        let ((c0, r0), (c1, r1)) = (corners[i], corners[(i + 1) % 4]);
                        above(c0, r0) != above(c1, r1)
                    })
                    .collect();
                let pairs = match crossed.len() {
                    2 => vec![(crossed[0], crossed[1])],
                    // A saddle: cut off the two corners on the other side from the centre.
                    4 => {
                        let centre_above = corners.iter().map(|&(c, r)| p(c, r)).sum::<f64>() / 4.0 >= 0.5;
                        if above(column, row) == centre_above {
                            vec![(0, 1), (2, 3)]
                        } else {
                            vec![(3, 0), (1, 2)]
                        }
                    }
                    _ => vec![],
                };
                for (a, b) in pairs {
                    neighbours.entry(sides[a]).or_default().push(sides[b]);
                    neighbours.entry(sides[b]).or_default().push(sides[a]);
                }
            }
        }
        neighbours
    }
}

/// White at P = 0.5, shading to a pale class-0 blue at P = 0 and a pale class-1 orange at
/// P = 1 (mixed into opaque colours, so neighbouring cells never show seams).
fn region_colour(p: f64) -> RGBColor {
    let (class, strength) = if p < 0.5 { (CLASS_0, 1.0 - 2.0 * p) } else { (CLASS_1, 2.0 * p - 1.0) };
    let amount = TINT * strength.sqrt();
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * amount).round() as u8;
    RGBColor(mix(class.0), mix(class.1), mix(class.2))
}
