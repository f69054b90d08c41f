//! The ways to train: `fit` with the defaults for the targets, `fit_with` and
//! `fit_with_callback` to act after each epoch, `fit_with_loss` with a loss of your own.

use tapegrad_data::Dataset;
use tapegrad_loss::LossError;
use tapegrad_nn::Module;
use tapegrad_optim::Optimizer;
use tapegrad_tape::{Float, Var};

use crate::metric::check_task;
use crate::{EpochRecord, History, Metric, TrainError, TrainTargets, Trainer};

impl Trainer {
    /// Trains `model` on `train` for the configured epochs; see [`Trainer`]. The task
    /// follows the targets: class labels train a classifier, rows of values a regressor.
    ///
    /// # Errors
    /// [`TrainError::Model`] or [`TrainError::Loss`] when a batch does not fit the model
    /// (wrong feature count, a label out of range), on the first batch that fails;
    /// [`TrainError::NonFinite`] naming the epoch and batch of the first NaN or infinite
    /// loss or gradient norm (before that batch's step: the weights stay those after the
    /// previous batch; see [`on_non_finite`](Trainer::on_non_finite) to skip such batches
    /// instead); [`TrainError::Optimizer`] if the optimizer refuses a step;
    /// [`TrainError::EmptyData`] for a data set without samples; [`TrainError::NoBatches`]
    /// for an epoch that trained on no batch (all skipped, or `drop_last` with fewer samples
    /// than a batch); [`TrainError::InvalidSetting`] for a batch size of 0, a loss or
    /// metric that does not apply to the targets, a validation monitor without validation
    /// data, or a negative `min_delta`; [`TrainError::Io`] if a checkpoint cannot be saved.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// # use tapegrad_nn::Dense;
    /// # use tapegrad_optim::Sgd;
    /// let data = Dataset::new(array![[1.0f32, 0.0, 0.0]], vec![0]).unwrap();
    /// let mut model = Dense::from_arrays(ndarray::Array2::<f32>::zeros((2, 2)), None);
    /// let mut sgd = Sgd::builder().build().unwrap();
    /// let err = tapegrad_train::Trainer::new().quiet(true).fit(&mut model, &mut sgd, &data, None).unwrap_err();
    /// assert!(err.to_string().contains("expected input of shape [batch, 2], got [1, 3]"), "{err}");
    /// ```
    pub fn fit<T: Float, M: Module<T>, Y: TrainTargets<T>>(
        &self,
        model: &mut M,
        optimizer: &mut dyn Optimizer<T>,
        train: &Dataset<T, Y>,
        validation: Option<&Dataset<T, Y>>,
    ) -> Result<History, TrainError> {
        self.fit_with_callback(model, optimizer, train, validation, |_| Ok(true))
    }

    /// Like [`fit`](Trainer::fit), calling `after_epoch(record, optimizer)` after each
    /// epoch: change the learning rate there (a schedule, reduce-on-plateau) and return
    /// `false` to stop early. To see the model too, use
    /// [`fit_with_callback`](Trainer::fit_with_callback).
    ///
    /// # Errors
    /// As [`fit`](Trainer::fit).
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// # use tapegrad_nn::Dense;
    /// # use tapegrad_optim::{Optimizer, Sgd};
    /// let data = Dataset::new(array![[1.0f32, 0.0], [0.0, 1.0]], vec![0, 1]).unwrap();
    /// let mut model = Dense::from_arrays(ndarray::Array2::<f32>::zeros((2, 2)), None);
    /// let mut sgd = Sgd::builder().learning_rate(0.5).build().unwrap();
    /// let history = tapegrad_train::Trainer::new().epochs(50).quiet(true).fit_with(&mut model, &mut sgd, &data, None, |record, optimizer| {
    ///     optimizer.set_learning_rate(optimizer.learning_rate() * 0.9); // decay each epoch
    ///     record.train_loss > 0.5                                       // stop once it is low
    /// }).unwrap();
    /// assert!(history.epochs.len() < 50);
    /// assert!(history.last().unwrap().train_loss <= 0.5);
    /// assert!(history.epochs[1].learning_rate < history.epochs[0].learning_rate);
    /// ```
    pub fn fit_with<T: Float, M: Module<T>, Y: TrainTargets<T>>(
        &self,
        model: &mut M,
        optimizer: &mut dyn Optimizer<T>,
        train: &Dataset<T, Y>,
        validation: Option<&Dataset<T, Y>>,
        mut after_epoch: impl FnMut(&EpochRecord, &mut dyn Optimizer<T>) -> bool,
    ) -> Result<History, TrainError> {
        self.fit_with_callback(model, optimizer, train, validation, |end| {
            Ok(after_epoch(end.record, end.optimizer))
        })
    }

    /// Like [`fit`](Trainer::fit), calling `callback` after each epoch with an
    /// [`EpochEnd`]: the epoch's record, the history so far, the model and the optimizer,
    /// all to read or change (save a checkpoint, change the learning rate, look at a
    /// layer). Return `Ok(false)` to stop, or an error to stop with it.
    ///
    /// # Errors
    /// As [`fit`](Trainer::fit), and the callback's own.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// # use tapegrad_nn::{Dense, Module};
    /// # use tapegrad_optim::Sgd;
    /// let data = Dataset::new(array![[1.0f32, 0.0], [0.0, 1.0]], vec![0, 1]).unwrap();
    /// let mut model = Dense::from_arrays(ndarray::Array2::<f32>::zeros((2, 2)), None);
    /// let mut sgd = Sgd::builder().learning_rate(0.5).build().unwrap();
    /// let mut norms = Vec::new();
    /// tapegrad_train::Trainer::new().epochs(3).quiet(true).fit_with_callback(&mut model, &mut sgd, &data, None, |end| {
    ///     norms.push(end.model.weight.mapv(|w| w * w).sum().sqrt()); // the model, after each epoch
    ///     Ok(true)
    /// })?;
    /// assert!(norms[0] > 0.0 && norms[2] > norms[0]);
    /// # Ok::<(), tapegrad_train::TrainError>(())
    /// ```
    pub fn fit_with_callback<T: Float, M: Module<T>, Y: TrainTargets<T>>(
        &self,
        model: &mut M,
        optimizer: &mut dyn Optimizer<T>,
        train: &Dataset<T, Y>,
        validation: Option<&Dataset<T, Y>>,
        callback: impl FnMut(EpochEnd<'_, T, M>) -> Result<bool, TrainError>,
    ) -> Result<History, TrainError> {
        let loss = self.loss.unwrap_or(Y::DEFAULT_LOSS);
        check_task::<T, Y>(Some(loss), &self.chosen_metrics::<T, Y>())?;
        let loss_fn = crate::run::loss_fn(move |prediction, targets: &Y| targets.loss(loss, prediction));
        crate::run::run(self, model, optimizer, train, validation, &loss_fn, callback)
    }

    /// The most general form: trains with `loss(prediction, targets)` — any function of
    /// the model's output for a batch and that batch's targets that returns a 0-d mean,
    /// composed of tape ops so its gradient comes from the tape — and calls `callback`
    /// after each epoch as [`fit_with_callback`](Trainer::fit_with_callback) does. The
    /// validation loss is the same function, averaged over the validation set.
    ///
    /// Write the loss in the call (as below) or as a `fn`: a closure stored in a variable
    /// first does not get the signature for every tape lifetime that this needs.
    ///
    /// # Errors
    /// As [`fit_with_callback`](Trainer::fit_with_callback), and the loss's own.
    ///
    /// ```
    /// use ndarray::{array, Array2};
    /// use tapegrad_data::Dataset;
    /// use tapegrad_nn::Dense;
    /// use tapegrad_optim::Sgd;
    /// // y = 2x, fitted with a mean fourth-power error.
    /// let data = Dataset::new(array![[0.0f64], [1.0], [2.0]], array![[0.0], [2.0], [4.0]])?;
    /// let mut model = Dense::from_arrays(Array2::zeros((1, 1)), None);
    /// let mut sgd = Sgd::builder().learning_rate(0.02).build()?;
    /// let history = tapegrad_train::Trainer::new().epochs(300).quiet(true).fit_with_loss(
    ///     &mut model,
    ///     &mut sgd,
    ///     &data,
    ///     None,
    ///     |prediction, targets| {
    ///         let error = prediction - prediction.tape().constant(targets.clone());
    ///         Ok(error.square().square().mean())
    ///     },
    ///     |_| Ok(true),
    /// )?;
    /// assert!((model.weight[[0, 0]] - 2.0).abs() < 0.1, "{}", model.weight); // x⁴ flattens near 0
    /// assert!(history.last().unwrap().train_loss < 1e-3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit_with_loss<T: Float, M: Module<T>, Y: TrainTargets<T>>(
        &self,
        model: &mut M,
        optimizer: &mut dyn Optimizer<T>,
        train: &Dataset<T, Y>,
        validation: Option<&Dataset<T, Y>>,
        loss: impl for<'t> Fn(Var<'t, T>, &Y) -> Result<Var<'t, T>, LossError>,
        callback: impl FnMut(EpochEnd<'_, T, M>) -> Result<bool, TrainError>,
    ) -> Result<History, TrainError> {
        check_task::<T, Y>(None, &self.chosen_metrics::<T, Y>())?;
        crate::run::run(self, model, optimizer, train, validation, &loss, callback)
    }

    /// The metrics to measure for targets `Y`.
    pub(crate) fn chosen_metrics<T: Float, Y: TrainTargets<T>>(&self) -> Vec<Metric> {
        self.metrics.clone().unwrap_or_else(|| Y::DEFAULT_METRICS.to_vec())
    }
}

/// What a [`fit_with_callback`](Trainer::fit_with_callback) callback sees after each
/// epoch: the record just made, the history so far (that record included), and the model
/// and optimizer, to read or change.
pub struct EpochEnd<'a, T: Float, M> {
    /// The epoch's record.
    pub record: &'a EpochRecord,
    /// Every epoch's record so far, this one last.
    pub history: &'a History,
    /// The model, as trained so far.
    pub model: &'a mut M,
    /// The optimizer (its learning rate may be changed for the next epoch).
    pub optimizer: &'a mut dyn Optimizer<T>,
    /// The best monitored value so far and the epoch that set it (this one included;
    /// `None` while every value has been NaN). [`is_best`](EpochEnd::is_best) says whether
    /// this epoch set it.
    pub best: Option<(f64, usize)>,
}

impl<T: Float, M> EpochEnd<'_, T, M> {
    /// Whether this epoch has the best monitored value so far.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// # use tapegrad_nn::Dense;
    /// # use tapegrad_optim::Sgd;
    /// let data = Dataset::new(array![[1.0f32, 0.0], [0.0, 1.0]], vec![0, 1]).unwrap();
    /// let mut model = Dense::from_arrays(ndarray::Array2::<f32>::zeros((2, 2)), None);
    /// let mut sgd = Sgd::builder().learning_rate(0.5).build().unwrap();
    /// let mut improved = Vec::new();
    /// tapegrad_train::Trainer::new().epochs(3).quiet(true).fit_with_callback(&mut model, &mut sgd, &data, None, |end| {
    ///     improved.push(end.is_best());
    ///     Ok(true)
    /// })?;
    /// assert_eq!(improved, [true, true, true]); // the training loss falls every epoch
    /// # Ok::<(), tapegrad_train::TrainError>(())
    /// ```
    pub fn is_best(&self) -> bool {
        self.best.is_some_and(|(_, epoch)| epoch == self.record.epoch)
    }
}
