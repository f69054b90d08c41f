//! Loss and accuracy of a classifier on a whole data set, on inference tapes.

use ndarray::{ArrayView2, Axis, Ix2};
use tapegrad_data::Dataset;
use tapegrad_loss::{cross_entropy, Reduction};
use tapegrad_nn::Module;
use tapegrad_tape::{Float, Tape};

use crate::TrainError;

/// Rows evaluated per inference tape, so memory stays flat on large data sets.
const CHUNK: usize = 1024;

/// How many rows of `logits` have their largest entry at the label.
pub(crate) fn correct<T: Float>(logits: ArrayView2<'_, T>, labels: &[usize]) -> usize {
    logits
        .axis_iter(Axis(0))
        .zip(labels)
        // A row with a NaN has no prediction: it is never counted as correct (a NaN model
        // would otherwise score whatever fraction of labels is 0).
        .filter(|(row, _)| row.iter().all(|v| !v.is_nan()))
        .filter(|(row, label)| {
            let best = row
                .iter()
                .enumerate()
                .fold((0, T::neg_infinity()), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
            best.0 == **label
        })
        .count()
}

/// The mean cross-entropy and the accuracy (fraction of argmax predictions equal to the
/// label) of `model` on `data`, computed in chunks on inference tapes (nothing recorded
/// for backward). Models with dropout should be in evaluation mode.
///
/// # Errors
/// [`TrainError::Model`] if the model rejects the features, [`TrainError::Loss`] if a
/// label is out of range for the model's outputs, [`TrainError::EmptyData`] for a data
/// set without samples (whose loss and accuracy are not 0 but undefined).
///
/// # Panics
/// If the model's output is not 2-D (`[batch, classes]`).
///
/// ```
/// use ndarray::array;
/// use tapegrad_data::Dataset;
/// use tapegrad_nn::Dense;
/// // A "model" that copies its two inputs to two logits.
/// let model = Dense::from_arrays(ndarray::Array2::<f64>::eye(2), None);
/// let data = Dataset::new(array![[2.0, 0.0], [0.0, 3.0], [1.0, 0.0]], vec![0, 1, 1]).unwrap();
/// let (loss, accuracy) = tapegrad_train::evaluate(&model, &data).unwrap();
/// assert_eq!(accuracy, 2.0 / 3.0);
/// assert!(loss > 0.0);
/// ```
pub fn evaluate<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    data: &Dataset<T>,
) -> Result<(f64, f64), TrainError> {
    if data.is_empty() {
        return Err(TrainError::EmptyData { which: "evaluation" });
    }
    let (mut total_loss, mut right) = (0.0, 0);
    for start in (0..data.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(data.len());
        let features = data.features().slice_axis(Axis(0), (start..end).into());
        let labels = &data.labels()[start..end];
        let tape = Tape::inference();
        let logits = model.forward(&tape, tape.constant(features))?;
        let loss = cross_entropy(logits, labels, Reduction::Sum)?;
        total_loss += loss.item().to_f64();
        logits.with_value(|v| {
            let v = v.view().into_dimensionality::<Ix2>().expect("a classifier's output is [batch, classes]");
            right += correct(v, labels);
        });
    }
    let n = data.len() as f64;
    Ok((total_loss / n, right as f64 / n))
}
