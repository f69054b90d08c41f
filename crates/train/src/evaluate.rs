//! Loss and metrics of a model on a whole data set, on inference tapes.

use ndarray::{Array2, ArrayBase, ArrayView1, ArrayView2, Axis, Data, Ix2};
use tapegrad_data::Dataset;
use tapegrad_nn::Module;
use tapegrad_tape::{Float, Tape};

use crate::metric::check_task;
use crate::{Loss, Metric, TrainError, TrainTargets};

/// The predicted class of one row of logits: the index of its largest entry (the first on
/// ties), or `None` for a row with a NaN, which has no prediction.
fn predicted_class<T: Float>(row: ArrayView1<'_, T>) -> Option<usize> {
    if row.iter().any(|v| v.is_nan()) {
        return None;
    }
    Some(row.iter().enumerate().fold((0, T::neg_infinity()), |b, (i, &v)| if v > b.1 { (i, v) } else { b }).0)
}

/// How many rows of `logits` have their largest entry at the label. A row with a NaN is
/// never counted as correct (a NaN model would otherwise score whatever fraction of labels
/// is 0).
pub(crate) fn correct<T: Float>(logits: ArrayView2<'_, T>, labels: &[usize]) -> usize {
    logits
        .axis_iter(Axis(0))
        .zip(labels)
        .filter(|(row, label)| predicted_class(row.view()) == Some(**label))
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
    let (loss, metrics) = evaluate_with(model, data, Loss::CrossEntropy, &[Metric::Accuracy])?;
    Ok((loss, metrics.first().map_or(0.0, |&(_, accuracy)| accuracy)))
}

/// The mean `loss` and the `metrics` of `model` on `data` — class labels or regression
/// targets — computed in chunks on inference tapes, as [`Trainer`](crate::Trainer)
/// measures its validation set. Models with dropout or batch normalisation should be in
/// evaluation mode.
///
/// # Errors
/// [`TrainError::Model`] if the model rejects the features, [`TrainError::Loss`] if its
/// output does not fit the targets, [`TrainError::EmptyData`] for a data set without
/// samples, [`TrainError::InvalidSetting`] for a loss or metric that does not apply to
/// the targets.
///
/// ```
/// use ndarray::array;
/// use tapegrad_data::Dataset;
/// use tapegrad_nn::Dense;
/// use tapegrad_train::{evaluate_with, Loss, Metric};
/// // A "model" that predicts y = x.
/// let model = Dense::from_arrays(ndarray::Array2::<f64>::eye(1), None);
/// let data = Dataset::new(array![[1.0], [2.0], [3.0]], array![[1.0], [2.0], [5.0]])?;
/// let (loss, metrics) = evaluate_with(&model, &data, Loss::Mse, &[Metric::Mae, Metric::R2])?;
/// assert_eq!(loss, 4.0 / 3.0);
/// assert_eq!(metrics[0], (Metric::Mae, 2.0 / 3.0));
/// assert!((metrics[1].1 - (1.0 - 4.0 / (78.0 / 9.0))).abs() < 1e-12); // 1 − SS_res / SS_tot
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_with<T: Float, M: Module<T> + ?Sized, Y: TrainTargets<T>>(
    model: &M,
    data: &Dataset<T, Y>,
    loss: Loss,
    metrics: &[Metric],
) -> Result<(f64, Vec<(Metric, f64)>), TrainError> {
    if data.is_empty() {
        return Err(TrainError::EmptyData { which: "evaluation" });
    }
    check_task::<T, Y>(Some(loss), metrics)?;
    let loss_fn = crate::run::loss_fn(move |prediction, targets: &Y| targets.loss(loss, prediction));
    let (value, sums) = crate::run::measure(model, data, &loss_fn)?;
    Ok((value, metrics.iter().filter_map(|&metric| sums.value(metric).map(|v| (metric, v))).collect()))
}

/// The model's outputs for every row of `features` (`[samples, features]`), computed in
/// chunks of 1,024 rows on inference tapes (nothing recorded for backward), as one
/// `[samples, outputs]` array: a regressor's predictions, a classifier's logits (see
/// [`predict_classes`]). Put a model with dropout or batch normalisation in evaluation
/// mode first ([`Trainer::fit`](crate::Trainer::fit) leaves it there). Targets scaled for
/// training come back with the scaler's inverse transform.
///
/// # Errors
/// [`TrainError::Model`] if the model rejects the features;
/// [`TrainError::InvalidSetting`] if its output is not `[rows, outputs]`.
///
/// ```
/// use ndarray::array;
/// use tapegrad_nn::Dense;
/// // y = 2x + 1.
/// let model = Dense::from_arrays(array![[2.0]], Some(array![1.0]));
/// let y = tapegrad_train::predict(&model, &array![[0.0], [1.5]])?;
/// assert_eq!(y, array![[1.0], [4.0]]);
/// # Ok::<(), tapegrad_train::TrainError>(())
/// ```
pub fn predict<T, M, S>(model: &M, features: &ArrayBase<S, Ix2>) -> Result<Array2<T>, TrainError>
where
    T: Float,
    M: Module<T> + ?Sized,
    S: Data<Elem = T>,
{
    const CHUNK: usize = 1024;
    let rows = features.nrows();
    let mut chunks: Vec<Array2<T>> = Vec::new();
    // At least one pass, so that no rows still give [0, outputs].
    for start in (0..rows.max(1)).step_by(CHUNK) {
        let end = (start + CHUNK).min(rows);
        let tape = Tape::inference();
        let prediction = model.forward(&tape, tape.constant(features.slice(ndarray::s![start..end, ..])))?;
        let chunk = prediction.value().into_dimensionality::<Ix2>().ok().filter(|c| c.nrows() == end - start);
        let Some(chunk) = chunk else {
            return Err(TrainError::InvalidSetting(format!(
                "predict: the model's output for {} rows has shape {:?}; expected [{}, outputs]",
                end - start,
                prediction.shape(),
                end - start
            )));
        };
        chunks.push(chunk);
    }
    if chunks.len() == 1 {
        return Ok(chunks.remove(0));
    }
    let views: Vec<ArrayView2<'_, T>> = chunks.iter().map(|c| c.view()).collect();
    ndarray::concatenate(Axis(0), &views).map_err(|_| {
        TrainError::InvalidSetting("predict: the model's output width changed between chunks".into())
    })
}

/// A classifier's predicted class for every row of `features`: the index of each row's
/// largest logit ([`predict`], then argmax; the first on ties). A row whose logits hold a
/// NaN has no largest: it is an error, not a silent class 0.
///
/// # Errors
/// As [`predict`], and [`TrainError::InvalidSetting`] naming the first row with a NaN
/// logit.
///
/// ```
/// use ndarray::array;
/// use tapegrad_nn::Dense;
/// // Logits equal to the two features.
/// let model = Dense::from_arrays(ndarray::Array2::<f32>::eye(2), None);
/// let classes = tapegrad_train::predict_classes(&model, &array![[0.2, 0.9], [3.0, -1.0]])?;
/// assert_eq!(classes, [1, 0]);
/// # Ok::<(), tapegrad_train::TrainError>(())
/// ```
pub fn predict_classes<T, M, S>(model: &M, features: &ArrayBase<S, Ix2>) -> Result<Vec<usize>, TrainError>
where
    T: Float,
    M: Module<T> + ?Sized,
    S: Data<Elem = T>,
{
    let logits = predict(model, features)?;
    logits
        .axis_iter(Axis(0))
        .enumerate()
        .map(|(row, logits)| {
            predicted_class(logits).ok_or_else(|| {
                TrainError::InvalidSetting(format!("predict_classes: row {row}'s logits hold a NaN"))
            })
        })
        .collect()
}
