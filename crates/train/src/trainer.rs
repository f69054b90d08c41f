//! `Trainer`: epochs of seeded, shuffled mini-batches through a classifier, with a
//! progress bar, a line per epoch, and a [`History`] of what was measured.

use std::path::PathBuf;

use tapegrad_data::Dataset;
use tapegrad_loss::LossError;
use tapegrad_nn::Module;
use tapegrad_optim::Optimizer;
use tapegrad_tape::{Float, Var};

use crate::metric::check_task;
use crate::{EpochRecord, History, Loss, Metric, Monitor, TrainError, TrainTargets};

/// Whether to draw a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A bar when standard error is a terminal, none when it is a pipe or a file (the
    /// default): logs stay clean.
    #[default]
    Auto,
    /// Always a bar.
    On,
    /// Never a bar.
    Off,
}

/// What [`Trainer`] does with a batch whose loss or gradient norm is NaN or infinite.
///
/// ```
/// use tapegrad_train::{OnNonFinite, Trainer};
/// let trainer = Trainer::new().on_non_finite(OnNonFinite::SkipBatch);
/// assert_eq!(trainer.non_finite_policy(), OnNonFinite::SkipBatch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnNonFinite {
    /// Stop with [`TrainError::NonFinite`] naming the epoch and batch, before that batch's
    /// step: the weights are those after the previous batch. The default.
    #[default]
    Stop,
    /// Skip the batch (no step) and go on; the epoch's
    /// [`skipped_batches`](crate::EpochRecord::skipped_batches) counts them. For data with
    /// a few known-bad rows; a model that diverges skips every batch from then on.
    SkipBatch,
}

/// Trains a classifier — logits `[batch, classes]` and integer labels — with
/// cross-entropy: for each epoch, shuffled mini-batches (seeded: the same seed gives the
/// same run, bit for bit), one optimizer step per batch, then evaluation on the
/// validation set if there is one. Prints one line per epoch unless quiet, shows a
/// progress bar per epoch on a terminal, and returns the [`History`].
///
/// This is the loop that `examples/digits.rs` writes out by hand; use it when the loop
/// itself is not what you want to look at.
///
/// ```
/// use ndarray::array;
/// use rand::SeedableRng;
/// use tapegrad_data::Dataset;
/// use tapegrad_nn::{Dense, Sequential, Tanh};
/// use tapegrad_optim::Adam;
/// use tapegrad_train::Trainer;
///
/// let xor = Dataset::new(array![[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], vec![0, 1, 1, 0]).unwrap();
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let mut model = Sequential::new().add(Dense::new(2, 8, &mut rng)).add(Tanh).add(Dense::new(8, 2, &mut rng));
/// let mut adam = Adam::builder().learning_rate(0.05).build().unwrap();
/// let history = Trainer::new().epochs(200).batch_size(4).quiet(true).fit(&mut model, &mut adam, &xor, Some(&xor)).unwrap();
/// assert_eq!(history.epochs.len(), 200);
/// assert_eq!(history.last().unwrap().validation_accuracy(), Some(1.0));
/// ```
#[derive(Debug, Clone)]
pub struct Trainer {
    pub(crate) epochs: usize,
    pub(crate) batch_size: usize,
    pub(crate) seed: u64,
    pub(crate) drop_last: bool,
    pub(crate) progress: Progress,
    pub(crate) quiet: bool,
    pub(crate) diagnostics: bool,
    pub(crate) on_non_finite: OnNonFinite,
    pub(crate) loss: Option<Loss>,
    pub(crate) metrics: Option<Vec<Metric>>,
    pub(crate) early_stopping: Option<(usize, f64)>,
    pub(crate) monitor: Option<Monitor>,
    pub(crate) restore_best: bool,
    pub(crate) checkpoint_best: Option<PathBuf>,
}

impl Default for Trainer {
    fn default() -> Self {
        Self::new()
    }
}

impl Trainer {
    /// 10 epochs of batches of 32, seed 0, the last partial batch kept, a progress bar on
    /// terminals, a line per epoch.
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new();
    /// assert_eq!(trainer.get_epochs(), 10);
    /// ```
    pub fn new() -> Self {
        Trainer {
            epochs: 10,
            batch_size: 32,
            seed: 0,
            drop_last: false,
            progress: Progress::Auto,
            quiet: false,
            diagnostics: false,
            on_non_finite: OnNonFinite::Stop,
            loss: None,
            metrics: None,
            early_stopping: None,
            monitor: None,
            restore_best: false,
            checkpoint_best: None,
        }
    }

    /// Sets the number of epochs.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::Trainer::new().epochs(3).get_epochs(), 3);
    /// ```
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// The number of epochs.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::Trainer::new().get_epochs(), 10);
    /// ```
    pub fn get_epochs(&self) -> usize {
        self.epochs
    }

    /// Sets the mini-batch size (0 is refused by [`fit`](Trainer::fit) with
    /// [`TrainError::InvalidSetting`]).
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new().batch_size(64);
    /// ```
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets the seed of the batch shuffling.
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new().seed(7);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Drops the last partial batch of each epoch (`false` by default: it is kept).
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new().drop_last(true);
    /// ```
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// When to draw a progress bar.
    ///
    /// ```
    /// use tapegrad_train::{Progress, Trainer};
    /// let trainer = Trainer::new().progress(Progress::Off);
    /// ```
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Prints nothing at all (no bar, no epoch lines) when `true`.
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new().quiet(true);
    /// ```
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// Measures gradient health each epoch when `true` (off by default): every
    /// [`EpochRecord`] gets [`Diagnostics`](crate::Diagnostics) — each parameter's mean
    /// gradient norm and update-to-weight ratio, and each ReLU's fraction of dead units —
    /// and the epoch line gets a second, indented line showing them. It costs a copy of
    /// the parameters and of the ReLU outputs per step, so it is off unless asked for.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use rand::SeedableRng;
    /// # use tapegrad_data::Dataset;
    /// # use tapegrad_nn::{Dense, ReLU, Sequential};
    /// # use tapegrad_optim::Sgd;
    /// let data = Dataset::new(array![[0.0f32, 1.0], [1.0, 0.0]], vec![0, 1]).unwrap();
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let mut model = Sequential::new().add(Dense::new(2, 4, &mut rng)).add(ReLU).add(Dense::new(4, 2, &mut rng));
    /// let mut sgd = Sgd::builder().learning_rate(0.1).build().unwrap();
    /// let history = tapegrad_train::Trainer::new().epochs(2).quiet(true).diagnostics(true).fit(&mut model, &mut sgd, &data, None).unwrap();
    /// let diagnostics = history.last().unwrap().diagnostics.as_ref().unwrap();
    /// assert_eq!(diagnostics.params[0].name, "layers.0.weight");
    /// assert_eq!(diagnostics.dead_relu_fractions.len(), 1); // one ReLU
    /// ```
    pub fn diagnostics(mut self, diagnostics: bool) -> Self {
        self.diagnostics = diagnostics;
        self
    }

    /// What to do with a batch whose loss or gradient norm is NaN or infinite:
    /// [`OnNonFinite::Stop`] (the default) or [`OnNonFinite::SkipBatch`].
    ///
    /// ```
    /// use tapegrad_train::{OnNonFinite, Trainer};
    /// assert_eq!(Trainer::new().non_finite_policy(), OnNonFinite::Stop);
    /// ```
    pub fn on_non_finite(mut self, policy: OnNonFinite) -> Self {
        self.on_non_finite = policy;
        self
    }

    /// The policy set with [`on_non_finite`](Trainer::on_non_finite).
    ///
    /// ```
    /// use tapegrad_train::{OnNonFinite, Trainer};
    /// assert_eq!(Trainer::new().on_non_finite(OnNonFinite::SkipBatch).non_finite_policy(), OnNonFinite::SkipBatch);
    /// ```
    pub fn non_finite_policy(&self) -> OnNonFinite {
        self.on_non_finite
    }

    /// The loss to train with (by default [`Loss::CrossEntropy`] for class labels and
    /// [`Loss::Mse`] for regression targets). For a loss of your own, use
    /// [`fit_with_loss`](Trainer::fit_with_loss).
    ///
    /// ```
    /// use tapegrad_train::{Loss, Trainer};
    /// assert_eq!(Trainer::new().loss(Loss::Mae).loss_kind(), Some(Loss::Mae));
    /// ```
    pub fn loss(mut self, loss: Loss) -> Self {
        self.loss = Some(loss);
        self
    }

    /// The loss chosen with [`loss`](Trainer::loss), if any.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::Trainer::new().loss_kind(), None);
    /// ```
    pub fn loss_kind(&self) -> Option<Loss> {
        self.loss
    }

    /// The metrics to report each epoch, on the training batches and on the validation set
    /// (by default [`Metric::Accuracy`] for class labels, [`Metric::Mae`] and
    /// [`Metric::R2`] for regression targets). A metric that does not apply to the data's
    /// targets is refused by `fit`.
    ///
    /// ```
    /// use tapegrad_train::{Metric, Trainer};
    /// let trainer = Trainer::new().metrics([Metric::Mse, Metric::R2]);
    /// ```
    pub fn metrics(mut self, metrics: impl IntoIterator<Item = Metric>) -> Self {
        self.metrics = Some(metrics.into_iter().collect());
        self
    }

    /// Stops training once the [`monitor`](Trainer::monitor)ed value has not improved by
    /// more than `min_delta` for `patience` epochs in a row (Keras's `EarlyStopping`).
    /// `min_delta` must be finite and `≥ 0`, or `fit` refuses it.
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new().epochs(500).early_stopping(10, 1e-4);
    /// ```
    pub fn early_stopping(mut self, patience: usize, min_delta: f64) -> Self {
        self.early_stopping = Some((patience, min_delta));
        self
    }

    /// What early stopping, [`restore_best_weights`](Trainer::restore_best_weights) and
    /// [`checkpoint_best`](Trainer::checkpoint_best) watch: by default the validation loss
    /// when there is a validation set, else the training loss.
    ///
    /// ```
    /// use tapegrad_train::{Metric, Monitor, Trainer};
    /// let trainer = Trainer::new().monitor(Monitor::Validation(Metric::Accuracy));
    /// ```
    pub fn monitor(mut self, monitor: Monitor) -> Self {
        self.monitor = Some(monitor);
        self
    }

    /// At the end of training, puts back the weights (and buffers) of the epoch with the
    /// best monitored value, as Keras's `restore_best_weights=True` does. Off by default:
    /// the model keeps its last weights.
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new().early_stopping(5, 0.0).restore_best_weights(true);
    /// ```
    pub fn restore_best_weights(mut self, restore: bool) -> Self {
        self.restore_best = restore;
        self
    }

    /// Saves the model's weights (and buffers) to `path` (safetensors, written atomically)
    /// after every epoch that improves the monitored value, as Keras's
    /// `ModelCheckpoint(save_best_only=True)` does; load them with
    /// [`load_weights`](tapegrad_nn::load_weights).
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new().checkpoint_best("runs/best.safetensors");
    /// ```
    pub fn checkpoint_best(mut self, path: impl Into<PathBuf>) -> Self {
        self.checkpoint_best = Some(path.into());
        self
    }

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
    /// The best monitored value so far and its epoch, and whether this epoch set it.
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
