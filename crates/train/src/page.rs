//! [`TrainingPage`]: a 2-D classifier's training, epoch by epoch, as one self-contained
//! HTML page with an epoch slider.

use std::path::Path;

use ndarray::{Array2, ArrayView2};
use serde_json::{json, Value as Json};

use crate::plane;
use crate::{EpochRecord, TrainError};

/// The page: style, script and a placeholder for the data.
const TEMPLATE: &str = include_str!("page/training.html");

/// The classifier is asked about a `GRID × GRID` grid of cells over the plane each epoch.
const GRID: usize = 40;

/// The characters P(class 1) is written with, one per cell: `LEVELS[round(63·p)]` (64
/// shades, finer than the page's colours; 1,600 characters an epoch).
const LEVELS: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

/// A 2-D binary classifier's training run, recorded epoch by epoch and written as one
/// self-contained HTML page (inline script and style, nothing loaded from the network):
/// an epoch slider (and ← →, space to play) over the plane shaded by the net's
/// P(class 1) with its 0.5 contour (the decision boundary) and the data on top, the
/// training and validation loss curves, and each parameter's gradient norm per epoch on a
/// log scale, coloured by layer (where the signal vanishes or explodes shows there).
///
/// Record an epoch from a [`fit_with_callback`](crate::Trainer::fit_with_callback)
/// callback with [`record`](TrainingPage::record); the gradient norms come from the
/// record's [`Diagnostics`](crate::Diagnostics), so train with
/// [`diagnostics(true)`](crate::Trainer::diagnostics) to have them (without, the page
/// says so and shows the rest). `examples/moons.rs` writes one.
///
/// ```
/// use ndarray::array;
/// use tapegrad_data::Dataset;
/// use tapegrad_nn::{Dense, Module};
/// use tapegrad_optim::Sgd;
/// use tapegrad_tape::Tape;
/// use tapegrad_train::{Trainer, TrainingPage};
///
/// // Class 1 right of x = 0.
/// let points = array![[-1.0, 0.0], [-0.5, 1.0], [0.5, 0.5], [1.0, -1.0]];
/// let labels = vec![0, 0, 1, 1];
/// let data = Dataset::new(points.clone(), labels.clone())?;
/// let mut model = Dense::from_arrays(ndarray::Array2::zeros((2, 2)), None);
/// let mut sgd = Sgd::builder().learning_rate(0.5).build()?;
/// let mut page = TrainingPage::new("a line", points.view(), &labels)?;
/// let trainer = Trainer::new().epochs(5).quiet(true).diagnostics(true);
/// trainer.fit_with_callback(&mut model, &mut sgd, &data, None, |end| {
///     let model = &*end.model;
///     page.record(end.record, |grid| {
///         let tape = Tape::inference();
///         let p = model.forward(&tape, tape.constant(grid.to_owned()))?.softmax(1).value();
///         Ok(p.outer_iter().map(|row| row[1]).collect())
///     })?;
///     Ok(true)
/// })?;
/// assert_eq!(page.epochs(), 5);
/// let html = page.to_html();
/// assert!(html.starts_with("<!DOCTYPE html>") && html.contains("a line"));
/// assert!(!html.contains("src=") && !html.contains("href=")); // loads nothing
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TrainingPage {
    title: String,
    points: Array2<f64>,
    labels: Vec<usize>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    /// The grid's cell centres, one row per cell (see [`plane::grid`]).
    grid: Array2<f64>,
    /// Parameter names, in the order the diagnostics list them (set by the first epoch
    /// that has diagnostics).
    params: Option<Vec<String>>,
    epochs: Vec<Json>,
}

impl TrainingPage {
    /// Epochs a page holds at most (about 3 MB of page): record every few epochs of a
    /// longer run.
    pub const MAX_EPOCHS: usize = 2_000;

    /// A page titled `title` for a classifier of `points` (`[n, 2]`) labelled 0 or 1
    /// (`labels[i]` for row `i`): the data drawn under every epoch's boundary, and the
    /// region the classifier is asked about (the points' span and 8% more each side).
    ///
    /// # Errors
    /// [`TrainError::Page`] naming the problem if `points` is empty, has other than 2
    /// columns or a non-finite (or beyond ±1e300) coordinate, or the labels are not one
    /// per point, each 0 or 1.
    ///
    /// ```
    /// let points = ndarray::array![[0.0, 1.0], [2.0, 3.0]];
    /// assert!(tapegrad_train::TrainingPage::new("t", points.view(), &[0, 1]).is_ok());
    /// let err = tapegrad_train::TrainingPage::new("t", points.view(), &[0, 2]).unwrap_err();
    /// assert_eq!(err.to_string(), "training page: label 2 of point 1 is not 0 or 1");
    /// ```
    pub fn new(title: &str, points: ArrayView2<'_, f64>, labels: &[usize]) -> Result<Self, TrainError> {
        plane::check(points, labels).map_err(TrainError::Page)?;
        let x_range = plane::padded_range(points.column(0).iter().copied());
        let y_range = plane::padded_range(points.column(1).iter().copied());
        Ok(TrainingPage {
            title: title.to_string(),
            points: points.to_owned(),
            labels: labels.to_vec(),
            x_range,
            y_range,
            grid: plane::grid(x_range, y_range, GRID),
            params: None,
            epochs: Vec::new(),
        })
    }

    /// Records one epoch: its losses, accuracies and gradient norms from `record`, and
    /// the decision regions from `probability_of_class_1`, called once with the grid's
    /// 1,600 cell centres as one `[1600, 2]` batch (x varying fastest, from the bottom
    /// left) and returning P(class 1) for each row, in order.
    ///
    /// # Errors
    /// [`TrainError::Page`] if the classifier returns the wrong number of probabilities
    /// or one outside 0..=1 (NaN included), if the epoch's parameters differ from those
    /// of the epochs before, or if the page already holds [`MAX_EPOCHS`](Self::MAX_EPOCHS) epochs; the
    /// classifier's own error as it is. The page is unchanged then.
    ///
    /// ```
    /// let points = ndarray::array![[0.0, 1.0], [2.0, 3.0]];
    /// let mut page = tapegrad_train::TrainingPage::new("t", points.view(), &[0, 1])?;
    /// let record = tapegrad_train::EpochRecord { epoch: 1, train_loss: 0.7, ..Default::default() };
    /// page.record(&record, |grid| Ok(vec![0.5; grid.nrows()]))?;
    /// let err = page.record(&record, |_| Ok(vec![0.5])).unwrap_err();
    /// assert!(err.to_string().contains("returned 1 probabilities for 1600 grid points"));
    /// assert_eq!(page.epochs(), 1);
    /// # Ok::<(), tapegrad_train::TrainError>(())
    /// ```
    pub fn record(
        &mut self,
        record: &EpochRecord,
        probability_of_class_1: impl FnOnce(ArrayView2<'_, f64>) -> Result<Vec<f64>, TrainError>,
    ) -> Result<(), TrainError> {
        if self.epochs.len() >= Self::MAX_EPOCHS {
            return Err(TrainError::Page(format!(
                "the page already holds {} epochs, its most; record every few epochs of a long run",
                Self::MAX_EPOCHS
            )));
        }
        let probabilities = probability_of_class_1(self.grid.view())?;
        plane::check_probabilities(&probabilities, self.grid.nrows()).map_err(TrainError::Page)?;
        let norms = match &record.diagnostics {
            Some(diagnostics) => {
                let names: Vec<String> = diagnostics.params.iter().map(|p| p.name.clone()).collect();
                match &self.params {
                    Some(earlier) if *earlier != names => {
                        return Err(TrainError::Page(format!(
                            "epoch {}'s parameters {names:?} differ from the earlier epochs' {earlier:?}",
                            record.epoch
                        )));
                    }
                    Some(_) => {}
                    None => self.params = Some(names),
                }
                Some(
                    diagnostics
                        .params
                        .iter()
                        .map(|p| p.grad_norm.filter(|v| v.is_finite()))
                        .collect::<Vec<_>>(),
                )
            }
            None => None,
        };
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
        self.epochs.push(json!({
            "epoch": record.epoch,
            "train_loss": finite(Some(record.train_loss)),
            "validation_loss": finite(record.validation_loss),
            "train_accuracy": finite(record.train_accuracy()),
            "validation_accuracy": finite(record.validation_accuracy()),
            "learning_rate": finite(Some(record.learning_rate)),
            "grad_norms": norms,
            "p": encode(&probabilities),
        }));
        Ok(())
    }

    /// How many epochs are recorded.
    ///
    /// ```
    /// let page = tapegrad_train::TrainingPage::new("t", ndarray::array![[0.0, 1.0]].view(), &[1]).unwrap();
    /// assert_eq!(page.epochs(), 0);
    /// ```
    pub fn epochs(&self) -> usize {
        self.epochs.len()
    }

    /// The page as HTML text (see [`TrainingPage`]).
    ///
    /// ```
    /// let page = tapegrad_train::TrainingPage::new("moons", ndarray::array![[0.0, 1.0]].view(), &[1]).unwrap();
    /// assert!(page.to_html().contains("\"title\":\"moons\""));
    /// ```
    pub fn to_html(&self) -> String {
        let data = json!({
            "title": self.title,
            "points": self.points.outer_iter().map(|p| [p[0], p[1]]).collect::<Vec<_>>(),
            "labels": self.labels,
            "x_range": [self.x_range.0, self.x_range.1],
            "y_range": [self.y_range.0, self.y_range.1],
            "grid": GRID,
            "levels": LEVELS,
            "params": self.params.as_deref().unwrap_or_default(),
            "epochs": self.epochs,
        })
        .to_string();
        // No `<` at all inside the script element: `</script>` would end it early and
        // `<!--<script>` would keep it from ending. In JSON, `<` only occurs in strings,
        // where `\u003c` is the same character.
        TEMPLATE.replacen("/*PAGE_DATA*/null", &data.replace('<', "\\u003c"), 1)
    }

    /// Writes [`to_html`](TrainingPage::to_html) to `path`, atomically.
    ///
    /// # Errors
    /// [`TrainError::Io`] naming the path if it cannot be written.
    ///
    /// ```
    /// let page = tapegrad_train::TrainingPage::new("t", ndarray::array![[0.0, 1.0]].view(), &[1]).unwrap();
    /// let path = std::env::temp_dir().join(format!("tapegrad-training-page-{}.html", std::process::id()));
    /// page.write_html(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().starts_with("<!DOCTYPE html>"));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        crate::history::write(path.as_ref(), self.to_html().as_bytes())
    }
}

/// P(class 1) per cell as one character each (see [`LEVELS`]).
fn encode(probabilities: &[f64]) -> String {
    probabilities.iter().map(|p| char::from(LEVELS.as_bytes()[(p * 63.0).round() as usize])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_round_trip_to_a_64th() {
        let p: Vec<f64> = (0..=1000).map(|i| f64::from(i) / 1000.0).collect();
        let text = encode(&p);
        assert_eq!(text.len(), p.len());
        for (c, p) in text.bytes().zip(&p) {
            let level = LEVELS.bytes().position(|l| l == c).unwrap();
            assert!((level as f64 / 63.0 - p).abs() <= 0.5 / 63.0 + 1e-12);
        }
        assert_eq!(&text[..1], "0");
        assert_eq!(&text[text.len() - 1..], "_");
    }
}
