//! What training measures and minimises: the [`Metric`]s reported per epoch, the
//! built-in [`Loss`]es, and the [`Monitor`] that early stopping and best-weight keeping
//! watch. Classification (labels) and regression (rows of values) are told apart by the
//! data set's target type, [`TrainTargets`].

use std::fmt;

use ndarray::{Array2, ArrayViewD, Axis, Ix2};
use tapegrad_data::Targets;
use tapegrad_loss::{binary_cross_entropy_with_logits, cross_entropy, huber, l1, mse, LossError, Reduction};
use tapegrad_optim::Mode;
use tapegrad_tape::{Float, Var};

use crate::evaluate::correct;
use crate::{EpochRecord, TrainError};

/// A measure of a model's predictions, reported per epoch beside the loss (Keras's
/// `metrics=`): on the training batches as they are seen, and on the validation set after
/// each epoch.
///
/// ```
/// use tapegrad_train::Metric;
/// assert_eq!(Metric::R2.to_string(), "r2");
/// assert_eq!(Metric::Accuracy.format(0.9612), "96.1%");
/// assert_eq!(Metric::Mae.format(12.3456), "12.3456");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Classification: the fraction of rows whose largest logit is at the label (a row
    /// with a NaN never counts).
    Accuracy,
    /// Regression: the mean squared error over every target value.
    Mse,
    /// Regression: the mean absolute error over every target value.
    Mae,
    /// Regression: the coefficient of determination, `1 − SS_res / SS_tot` per target
    /// column, averaged over columns (scikit-learn's `r2_score`; a constant column scores
    /// 1 if predicted exactly, else 0).
    R2,
}

impl Metric {
    /// The name used in epoch lines, CSV headers and charts (`accuracy`, `mse`, `mae`, `r2`).
    ///
    /// ```
    /// assert_eq!(tapegrad_train::Metric::Mse.name(), "mse");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::Mse => "mse",
            Metric::Mae => "mae",
            Metric::R2 => "r2",
        }
    }

    /// Which way is better: up for accuracy and R², down for the errors.
    ///
    /// ```
    /// use tapegrad_optim::Mode;
    /// assert_eq!(tapegrad_train::Metric::R2.mode(), Mode::Max);
    /// ```
    pub fn mode(self) -> Mode {
        match self {
            Metric::Accuracy | Metric::R2 => Mode::Max,
            Metric::Mse | Metric::Mae => Mode::Min,
        }
    }

    /// A value as epoch lines print it: accuracy in percent, the others with 4 decimals.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::Metric::R2.format(0.5), "0.5000");
    /// ```
    pub fn format(self, value: f64) -> String {
        match self {
            Metric::Accuracy => format!("{:.1}%", 100.0 * value),
            _ => format!("{value:.4}"),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A built-in training loss, reduced to the mean over the batch (Keras's `loss=`). For
/// any other loss, pass a function to
/// [`Trainer::fit_with_loss`](crate::Trainer::fit_with_loss).
///
/// ```
/// use tapegrad_train::{Loss, Trainer};
/// let trainer = Trainer::new().loss(Loss::Huber { delta: 1.0 });
/// assert_eq!(trainer.loss_kind(), Some(Loss::Huber { delta: 1.0 }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// Softmax cross-entropy of logits `[batch, classes]` against class labels (the
    /// default for labels).
    CrossEntropy,
    /// Mean squared error against regression targets (the default for values).
    Mse,
    /// Mean absolute error (L1) against regression targets.
    Mae,
    /// Huber loss with threshold `delta` against regression targets.
    Huber {
        /// Where the loss turns from quadratic to linear (> 0).
        delta: f64,
    },
    /// Binary cross-entropy of logits against targets in `[0, 1]` (one column per
    /// independent yes/no output).
    BinaryCrossEntropy,
}

/// What a model is watched by, for early stopping and for keeping the best weights: a loss
/// or a metric, on the training or the validation data.
///
/// ```
/// use tapegrad_train::{Metric, Monitor};
/// use tapegrad_optim::Mode;
/// assert_eq!(Monitor::Validation(Metric::Accuracy).mode(), Mode::Max);
/// assert_eq!(Monitor::ValidationLoss.to_string(), "validation loss");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    /// The mean training loss of the epoch.
    TrainLoss,
    /// The validation loss after the epoch.
    ValidationLoss,
    /// A metric on the training batches.
    Train(Metric),
    /// A metric on the validation set.
    Validation(Metric),
}

impl Monitor {
    /// Which way is better.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::Monitor::TrainLoss.mode(), tapegrad_optim::Mode::Min);
    /// ```
    pub fn mode(self) -> Mode {
        match self {
            Monitor::TrainLoss | Monitor::ValidationLoss => Mode::Min,
            Monitor::Train(metric) | Monitor::Validation(metric) => metric.mode(),
        }
    }

    /// Its value in `record`, if the record has it.
    ///
    /// ```
    /// use tapegrad_train::{EpochRecord, Monitor};
    /// let record = EpochRecord { train_loss: 0.25, ..Default::default() };
    /// assert_eq!(Monitor::TrainLoss.value(&record), Some(0.25));
    /// assert_eq!(Monitor::ValidationLoss.value(&record), None);
    /// ```
    pub fn value(self, record: &EpochRecord) -> Option<f64> {
        match self {
            Monitor::TrainLoss => Some(record.train_loss),
            Monitor::ValidationLoss => record.validation_loss,
            Monitor::Train(metric) => record.train_metric(metric),
            Monitor::Validation(metric) => record.validation_metric(metric),
        }
    }

    /// Whether it is measured on the validation set.
    pub(crate) fn needs_validation(self) -> bool {
        matches!(self, Monitor::ValidationLoss | Monitor::Validation(_))
    }
}

impl fmt::Display for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Monitor::TrainLoss => f.write_str("train loss"),
            Monitor::ValidationLoss => f.write_str("validation loss"),
            Monitor::Train(metric) => write!(f, "train {metric}"),
            Monitor::Validation(metric) => write!(f, "validation {metric}"),
        }
    }
}

/// Sums from which an epoch's metrics are computed, batch by batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct MetricSums {
    rows: usize,
    correct: usize,
    values: usize,
    squared_error: f64,
    absolute_error: f64,
    /// Per target column: (count, mean, sum of squared deviations) of the targets, merged
    /// batch by batch (Chan et al.), and the sum of squared residuals.
    columns: Vec<(f64, f64, f64, f64)>,
}

impl MetricSums {
    /// The value of `metric`, if it was measured.
    pub(crate) fn value(&self, metric: Metric) -> Option<f64> {
        if self.rows == 0 {
            return None;
        }
        let per_value = |sum: f64| (self.values > 0).then(|| sum / self.values as f64);
        match metric {
            Metric::Accuracy => Some(self.correct as f64 / self.rows as f64),
            Metric::Mse => per_value(self.squared_error),
            Metric::Mae => per_value(self.absolute_error),
            Metric::R2 if self.columns.is_empty() => None,
            Metric::R2 => {
                let scores = self.columns.iter().map(|&(_, _, total, residual)| match (total, residual) {
                    (t, r) if t > 0.0 => 1.0 - r / t,
                    (_, 0.0) => 1.0,
                    _ => 0.0,
                });
                Some(scores.sum::<f64>() / self.columns.len() as f64)
            }
        }
    }
}

/// The targets a [`Trainer`](crate::Trainer) can train on: class labels (`Vec<usize>`,
/// with [`Loss::CrossEntropy`] and [`Metric::Accuracy`] by default) or rows of regression
/// values (`Array2<T>`, with [`Loss::Mse`] and [`Metric::Mae`] and [`Metric::R2`] by
/// default).
///
/// ```
/// use ndarray::Array2;
/// use tapegrad_train::{Loss, Metric, TrainTargets};
/// assert_eq!(<Vec<usize> as TrainTargets<f32>>::DEFAULT_LOSS, Loss::CrossEntropy);
/// assert_eq!(<Array2<f32> as TrainTargets<f32>>::DEFAULT_METRICS, &[Metric::Mae, Metric::R2]);
/// ```
pub trait TrainTargets<T: Float>: Targets {
    /// What they are, for messages (`"class labels"`).
    const KIND: &'static str;
    /// The loss used unless another is chosen.
    const DEFAULT_LOSS: Loss;
    /// The metrics reported unless others are chosen.
    const DEFAULT_METRICS: &'static [Metric];
    /// Whether `loss` applies to these targets.
    fn supports_loss(loss: Loss) -> bool;
    /// Whether `metric` applies to these targets.
    fn supports_metric(metric: Metric) -> bool;
    /// The built-in `loss` of `prediction` against these targets, as a batch mean.
    ///
    /// # Errors
    /// A [`LossError`] when the prediction's shape does not fit the targets.
    fn loss<'t>(&self, loss: Loss, prediction: Var<'t, T>) -> Result<Var<'t, T>, LossError>;
    /// Adds a batch's predictions to the metric sums.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn measure(&self, prediction: ArrayViewD<'_, T>, sums: &mut MetricSums);
}

impl<T: Float> TrainTargets<T> for Vec<usize> {
    const KIND: &'static str = "class labels";
    const DEFAULT_LOSS: Loss = Loss::CrossEntropy;
    const DEFAULT_METRICS: &'static [Metric] = &[Metric::Accuracy];

    fn supports_loss(loss: Loss) -> bool {
        loss == Loss::CrossEntropy
    }

    fn supports_metric(metric: Metric) -> bool {
        metric == Metric::Accuracy
    }

    fn loss<'t>(&self, _: Loss, prediction: Var<'t, T>) -> Result<Var<'t, T>, LossError> {
        cross_entropy(prediction, self, Reduction::Mean)
    }

    #[allow(private_interfaces)]
    fn measure(&self, prediction: ArrayViewD<'_, T>, sums: &mut MetricSums) {
        sums.rows += self.len();
        if let Ok(logits) = prediction.into_dimensionality::<Ix2>() {
            sums.correct += correct(logits, self);
        }
    }
}

impl<T: Float> TrainTargets<T> for Array2<T> {
    const KIND: &'static str = "regression targets";
    const DEFAULT_LOSS: Loss = Loss::Mse;
    const DEFAULT_METRICS: &'static [Metric] = &[Metric::Mae, Metric::R2];

    fn supports_loss(loss: Loss) -> bool {
        loss != Loss::CrossEntropy
    }

    fn supports_metric(metric: Metric) -> bool {
        metric != Metric::Accuracy
    }

    fn loss<'t>(&self, loss: Loss, prediction: Var<'t, T>) -> Result<Var<'t, T>, LossError> {
        let target = prediction.tape().constant(self.clone());
        match loss {
            Loss::Mae => l1(prediction, target, Reduction::Mean),
            Loss::Huber { delta } => huber(prediction, target, T::from_f64(delta), Reduction::Mean),
            Loss::BinaryCrossEntropy => binary_cross_entropy_with_logits(prediction, target, Reduction::Mean),
            Loss::Mse | Loss::CrossEntropy => mse(prediction, target, Reduction::Mean),
        }
    }

    #[allow(private_interfaces)]
    fn measure(&self, prediction: ArrayViewD<'_, T>, sums: &mut MetricSums) {
        let Ok(prediction) = prediction.into_dimensionality::<Ix2>() else { return };
        if prediction.dim() != self.dim() {
            return;
        }
        sums.rows += self.nrows();
        sums.values += self.len();
        if sums.columns.len() != self.ncols() {
            sums.columns = vec![(0.0, 0.0, 0.0, 0.0); self.ncols()];
        }
        for ((targets, predicted), column) in
            self.axis_iter(Axis(1)).zip(prediction.axis_iter(Axis(1))).zip(&mut sums.columns)
        {
            let n = targets.len() as f64;
            let mean = targets.iter().map(|v| Float::to_f64(*v)).sum::<f64>() / n;
            let deviations = targets.iter().map(|v| (Float::to_f64(*v) - mean).powi(2)).sum::<f64>();
            let (count, old_mean, old_total, residual) = *column;
            let merged = count + n;
            let delta = mean - old_mean;
            let new_residual: f64 = targets
                .iter()
                .zip(&predicted)
                .map(|(y, p)| (Float::to_f64(*y) - Float::to_f64(*p)).powi(2))
                .sum();
            *column = (
                merged,
                old_mean + delta * n / merged,
                old_total + deviations + delta * delta * count * n / merged,
                residual + new_residual,
            );
            sums.squared_error += new_residual;
            sums.absolute_error += targets
                .iter()
                .zip(&predicted)
                .map(|(y, p)| (Float::to_f64(*y) - Float::to_f64(*p)).abs())
                .sum::<f64>();
        }
    }
}

/// Checks that the loss and metrics apply to targets `Y`.
pub(crate) fn check_task<T: Float, Y: TrainTargets<T>>(
    loss: Option<Loss>,
    metrics: &[Metric],
) -> Result<(), TrainError> {
    if let Some(loss) = loss.filter(|&loss| !Y::supports_loss(loss)) {
        return Err(TrainError::InvalidSetting(format!("the loss {loss:?} does not apply to {}", Y::KIND)));
    }
    if let Some(metric) = metrics.iter().find(|&&metric| !Y::supports_metric(metric)) {
        return Err(TrainError::InvalidSetting(format!("the metric {metric} does not apply to {}", Y::KIND)));
    }
    if let Some(Loss::Huber { delta }) = loss {
        if !(delta > 0.0 && delta.is_finite()) {
            return Err(TrainError::InvalidSetting(format!(
                "Huber's delta must be finite and > 0, got {delta}"
            )));
        }
    }
    Ok(())
}
