//! Labelled points in the plane, as the decision-boundary chart and the training page draw
//! them: the checks their data must pass, the plotted ranges and the grid of cells the
//! classifier is asked about.

use ndarray::{Array2, ArrayView2};

/// The largest magnitude a chart can draw: its axes add margins to the data's span, which
/// must stay finite.
pub(crate) const MAX_DRAWABLE: f64 = 1e300;

/// Why `points` (`[n, 2]`) and `labels` (0 or 1 each) cannot be drawn, if they cannot.
pub(crate) fn check(points: ArrayView2<'_, f64>, labels: &[usize]) -> Result<(), String> {
    if points.ncols() != 2 {
        return Err(format!("points must have 2 columns, not {}", points.ncols()));
    }
    if points.nrows() == 0 {
        return Err("there are no points".into());
    }
    if points.nrows() != labels.len() {
        return Err(format!("{} points but {} labels", points.nrows(), labels.len()));
    }
    if let Some((i, label)) = labels.iter().enumerate().find(|(_, l)| **l > 1) {
        return Err(format!("label {label} of point {i} is not 0 or 1"));
    }
    if let Some(i) = points.rows().into_iter().position(|p| !p.iter().all(|v| v.is_finite())) {
        return Err(format!("point {i} has a non-finite coordinate"));
    }
    // The axes add margins to the points' span, which must stay finite (on infinite axes
    // the plotting library loops forever).
    if let Some(i) = points.rows().into_iter().position(|p| p.iter().any(|v| v.abs() > MAX_DRAWABLE)) {
        return Err(format!("point {i} has a coordinate beyond ±1e300, too large to draw"));
    }
    Ok(())
}

/// The data's range with 8% room on each side (±1 around a single value).
pub(crate) fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = if hi > lo { (hi - lo) * 0.08 } else { 1.0 };
    (lo - pad, hi + pad)
}

/// The centre of cell `i` of `cells` along `range`.
pub(crate) fn centre(range: (f64, f64), cells: usize, i: usize) -> f64 {
    range.0 + (range.1 - range.0) * (i as f64 + 0.5) / cells as f64
}

/// The centres of a `cells × cells` grid over the ranges, one row per cell, x varying
/// fastest and row 0 at the bottom.
pub(crate) fn grid(x_range: (f64, f64), y_range: (f64, f64), cells: usize) -> Array2<f64> {
    Array2::from_shape_fn((cells * cells, 2), |(k, axis)| {
        if axis == 0 {
            centre(x_range, cells, k % cells)
        } else {
            centre(y_range, cells, k / cells)
        }
    })
}

/// Why the classifier's answer for `cells` grid points is unusable, if it is.
pub(crate) fn check_probabilities(probabilities: &[f64], cells: usize) -> Result<(), String> {
    if probabilities.len() != cells {
        return Err(format!(
            "the classifier returned {} probabilities for {cells} grid points",
            probabilities.len()
        ));
    }
    if let Some(p) = probabilities.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(format!("the classifier returned P(class 1) = {p}, outside 0..=1"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    #[test]
    fn the_checks_name_the_problem() {
        let points = array![[0.0, 1.0], [2.0, 3.0]];
        assert_eq!(super::check(points.view(), &[0, 1]), Ok(()));
        assert!(super::check(points.view(), &[0]).unwrap_err().contains("2 points but 1 labels"));
        assert!(super::check(points.view(), &[0, 2]).unwrap_err().contains("label 2 of point 1"));
        assert!(super::check(array![[0.0, f64::NAN]].view(), &[0]).unwrap_err().contains("point 0"));
        assert!(super::check(array![[0.0, 1.0, 2.0]].view(), &[0]).unwrap_err().contains("2 columns, not 3"));
        assert!(super::check_probabilities(&[0.5, f64::NAN], 2).unwrap_err().contains("NaN"));
        assert!(super::check_probabilities(&[0.5], 2).unwrap_err().contains("1 probabilities for 2"));
    }

    #[test]
    fn the_grid_runs_along_x_first_from_the_bottom() {
        let grid = super::grid((0.0, 2.0), (10.0, 14.0), 2);
        assert_eq!(grid, array![[0.5, 11.0], [1.5, 11.0], [0.5, 13.0], [1.5, 13.0]]);
    }
}
