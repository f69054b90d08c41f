//! `Trainer`: epochs of seeded, shuffled mini-batches through a classifier or a
//! regressor, with a progress bar, a line per epoch, and a [`History`] of what was measured.

use std::path::PathBuf;
use std::sync::Arc;

use tapegrad_optim::LrSchedule;
use tapegrad_tape::Float;

#[cfg(doc)]
use crate::{EpochRecord, History, TrainError};
use crate::{Loss, Metric, Monitor};

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

/// Trains a model: a classifier (logits `[batch, classes]` and integer labels,
/// cross-entropy by default) or a regressor (rows of target values, mean squared error by
/// default). For each epoch, shuffled mini-batches (seeded: the same seed gives the same
/// run, bit for bit), one optimizer step per batch, then evaluation on the validation set
/// if there is one. Prints one line per epoch unless quiet, shows a progress bar per epoch
/// on a terminal, and returns the [`History`] (with the best epoch and whether it stopped
/// early). The model is left in evaluation mode (`set_training(false)`: dropout off, batch
/// norm on its running statistics), ready for [`predict`](crate::predict), with the last
/// epoch's weights, or the best epoch's with
/// [`restore_best_weights`](Trainer::restore_best_weights).
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
    pub(crate) checkpoint_dir: Option<PathBuf>,
    pub(crate) resume: bool,
    pub(crate) schedule: Option<EpochSchedule>,
}

/// A learning-rate schedule as the trainer keeps it: the rate for an epoch (from 0), in
/// f64 whatever the schedule's own number type.
#[derive(Clone)]
pub(crate) struct EpochSchedule(Arc<dyn Fn(usize) -> f64 + Send + Sync>);

impl EpochSchedule {
    pub(crate) fn learning_rate(&self, epoch: usize) -> f64 {
        (self.0)(epoch)
    }
}

impl std::fmt::Debug for EpochSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EpochSchedule(rate at epoch 0: {})", self.learning_rate(0))
    }
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
    /// assert_eq!(trainer.epoch_count(), 10);
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
            checkpoint_dir: None,
            resume: false,
            schedule: None,
        }
    }

    /// Sets the optimizer's learning rate before every epoch from `schedule` (any
    /// [`LrSchedule`]: `StepLr`, `ExponentialLr`, `CosineAnnealingLr`, `LinearLr`, or your
    /// own), counting epochs from 0 as PyTorch's schedulers do: the first epoch trains at
    /// `schedule.learning_rate(0)`. Each [`EpochRecord::learning_rate`](crate::EpochRecord)
    /// is the rate the epoch used. The schedule overrides a rate set in a `fit_with`
    /// callback; a resumed run picks the schedule up at its epoch.
    ///
    /// ```
    /// # use ndarray::array;
    /// # use tapegrad_data::Dataset;
    /// # use tapegrad_nn::Dense;
    /// use tapegrad_optim::{Sgd, StepLr};
    /// use tapegrad_train::Trainer;
    /// let data = Dataset::new(array![[1.0f32, 0.0], [0.0, 1.0]], vec![0, 1]).unwrap();
    /// let mut model = Dense::from_arrays(ndarray::Array2::<f32>::zeros((2, 2)), None);
    /// let mut sgd = Sgd::builder().build().unwrap();
    /// // StepLR(step_size=2, gamma=0.5) from 0.4.
    /// let history = Trainer::new().epochs(5).quiet(true).schedule(StepLr::new(0.4, 2, 0.5).unwrap())
    ///     .fit(&mut model, &mut sgd, &data, None).unwrap();
    /// let rates: Vec<f64> = history.epochs.iter().map(|e| e.learning_rate).collect();
    /// assert_eq!(rates, [0.4, 0.4, 0.2, 0.2, 0.1].map(|r: f32| f64::from(r)));
    /// ```
    pub fn schedule<U, S>(mut self, schedule: S) -> Self
    where
        U: Float,
        S: LrSchedule<U> + Send + Sync + 'static,
    {
        self.schedule = Some(EpochSchedule(Arc::new(move |epoch| schedule.learning_rate(epoch).to_f64())));
        self
    }

    /// Sets the number of epochs.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::Trainer::new().epochs(3).epoch_count(), 3);
    /// ```
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// The number of epochs.
    ///
    /// ```
    /// assert_eq!(tapegrad_train::Trainer::new().epoch_count(), 10);
    /// ```
    pub fn epoch_count(&self) -> usize {
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

    /// Writes a training checkpoint into `dir` after every epoch: the weights and buffers,
    /// the optimizer's state (learning rate included), the epoch, every random generator's
    /// state (Dropout's) and the history, each file written atomically and the set
    /// committed by the last, so a run killed at any moment leaves a whole checkpoint. With
    /// [`resume(true)`](Trainer::resume), a run goes on from it.
    ///
    /// ```
    /// let trainer = tapegrad_train::Trainer::new().checkpoint_every_epoch("runs/digits").resume(true);
    /// ```
    pub fn checkpoint_every_epoch(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Whether to go on from the checkpoint in the
    /// [`checkpoint_every_epoch`](Trainer::checkpoint_every_epoch) directory, if there is
    /// one (if not, training starts from the beginning, so the same program starts and
    /// resumes a run). The model and optimizer get the checkpoint's state, training goes on
    /// at the next epoch up to [`epochs`](Trainer::epochs), and the history returned starts
    /// with the checkpoint's epochs. The result is the same, bit for bit, as a run that was
    /// never interrupted (the shuffle of each epoch depends only on the seed and the epoch).
    /// A checkpointed run that early stopping had ended stays ended; one that a callback
    /// stopped goes on (the callback decides again).
    ///
    /// A checkpoint made with another seed, batch size or `drop_last` is refused
    /// ([`TrainError::Checkpoint`]), as are damaged files; nothing is changed then.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_data::Dataset;
    /// use tapegrad_nn::{Dense, Dropout, Module, Sequential, Tanh, Parameters};
    /// use tapegrad_optim::Adam;
    /// use tapegrad_train::Trainer;
    /// use rand::SeedableRng;
    ///
    /// let data = Dataset::new(array![[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], vec![0, 1, 1, 0])?;
    /// let build = || {
    ///     let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    ///     Sequential::new().add(Dense::new(2, 8, &mut rng)).add(Tanh).add(Dropout::new(0.2, 1).unwrap()).add(Dense::new(8, 2, &mut rng))
    /// };
    /// let dir = std::env::temp_dir().join("tapegrad-doc-resume");
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let trainer = Trainer::new().batch_size(2).quiet(true).checkpoint_every_epoch(&dir).resume(true);
    ///
    /// // 3 epochs, "interrupted", then a new process asks for 6: it goes on from epoch 3.
    /// let (mut model, mut adam) = (build(), Adam::builder().learning_rate(0.05).build()?);
    /// trainer.clone().epochs(3).fit(&mut model, &mut adam, &data, None)?;
    /// let (mut model, mut adam) = (build(), Adam::builder().learning_rate(0.05).build()?);
    /// let resumed = trainer.clone().epochs(6).fit(&mut model, &mut adam, &data, None)?;
    ///
    /// // The same as 6 epochs in one go.
    /// let (mut straight, mut adam) = (build(), Adam::builder().learning_rate(0.05).build()?);
    /// let history = Trainer::new().batch_size(2).quiet(true).epochs(6).fit(&mut straight, &mut adam, &data, None)?;
    /// assert_eq!(resumed.epochs.len(), 6);
    /// assert_eq!(resumed.last().unwrap().train_loss, history.last().unwrap().train_loss);
    /// assert_eq!(model.param_names(), straight.param_names());
    /// let weights = |m: &Sequential<f32>| { let mut v = Vec::new(); m.visit_params(&mut |_, p| v.extend(p.iter().copied())); v };
    /// assert_eq!(weights(&model), weights(&straight));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }
}
