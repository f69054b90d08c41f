//! `Trainer`: epochs of seeded, shuffled mini-batches through a classifier, with a
//! progress bar, a line per epoch, and a [`History`] of what was measured.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ndarray::Ix2;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_data::Dataset;
use tapegrad_loss::{cross_entropy, Reduction};
use tapegrad_nn::Module;
use tapegrad_optim::{global_grad_norm, Optimizer};
use tapegrad_tape::{Float, Tape};

use crate::diagnostics::DiagnosticsAccumulator;
use crate::evaluate::correct;
use crate::{evaluate, EpochRecord, History, TrainError};

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
/// assert_eq!(history.last().unwrap().validation_accuracy, Some(1.0));
/// ```
#[derive(Debug, Clone)]
pub struct Trainer {
    epochs: usize,
    batch_size: usize,
    seed: u64,
    drop_last: bool,
    progress: Progress,
    quiet: bool,
    diagnostics: bool,
    on_non_finite: OnNonFinite,
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

    /// Trains `model` on `train` for the configured epochs; see [`Trainer`].
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
    /// than a batch);
    /// [`TrainError::InvalidSetting`] for a batch size of 0.
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
    pub fn fit<T: Float, M: Module<T>>(
        &self,
        model: &mut M,
        optimizer: &mut dyn Optimizer<T>,
        train: &Dataset<T>,
        validation: Option<&Dataset<T>>,
    ) -> Result<History, TrainError> {
        self.fit_with(model, optimizer, train, validation, |_, _| true)
    }

    /// Like [`fit`](Trainer::fit), calling `after_epoch(record, optimizer)` after each
    /// epoch: change the learning rate there (a schedule, reduce-on-plateau) and return
    /// `false` to stop early.
    ///
    /// # Errors
    /// As [`fit`](Trainer::fit).
    ///
    /// # Panics
    /// Never in practice: the progress bar's template is a fixed, valid string, and the
    /// model's output shape is checked by the loss before it is read.
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
    pub fn fit_with<T: Float, M: Module<T>>(
        &self,
        model: &mut M,
        optimizer: &mut dyn Optimizer<T>,
        train: &Dataset<T>,
        validation: Option<&Dataset<T>>,
        mut after_epoch: impl FnMut(&EpochRecord, &mut dyn Optimizer<T>) -> bool,
    ) -> Result<History, TrainError> {
        if self.batch_size == 0 {
            return Err(TrainError::InvalidSetting("the batch size must be at least 1, got 0".into()));
        }
        if train.is_empty() {
            return Err(TrainError::EmptyData { which: "training" });
        }
        if validation.is_some_and(|data| data.is_empty()) {
            return Err(TrainError::EmptyData { which: "validation" });
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut history = History::default();
        let show_bar = !self.quiet
            && match self.progress {
                Progress::On => true,
                Progress::Off => false,
                Progress::Auto => std::io::stderr().is_terminal(),
            };
        for epoch in 1..=self.epochs {
            let start = Instant::now();
            let learning_rate = optimizer.learning_rate().to_f64();
            model.set_training(true);
            let batches = train.batches(self.batch_size, &mut rng).drop_last(self.drop_last);
            let bar = if show_bar { ProgressBar::new(batches.len() as u64) } else { ProgressBar::hidden() };
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {prefix} [{bar:30}] {pos}/{len} batches, {msg} ({elapsed})",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(format!("{epoch}/{}", self.epochs));
            let (mut total_loss, mut right, mut seen, mut skipped) = (0.0, 0, 0, 0);
            let mut diagnostics = self.diagnostics.then(|| DiagnosticsAccumulator::new(&*model));
            for (index, batch) in batches.enumerate() {
                let tape = Tape::new();
                let logits = model.forward(&tape, tape.constant(&batch.features))?;
                let loss = cross_entropy(logits, &batch.targets, Reduction::Mean)?;
                let loss_value = loss.item().to_f64();
                let grads = loss_value.is_finite().then(|| tape.backward(loss));
                // A finite loss can still have a NaN gradient (√0, or a NaN weight the loss
                // does not reach): both are checked before the step changes anything.
                let norm = grads.as_ref().map_or(f64::NAN, |grads| global_grad_norm(&*model, grads).to_f64());
                let problem = match (loss_value.is_finite(), norm.is_finite()) {
                    (false, _) => Some(("loss", loss_value)),
                    (true, false) => Some(("gradient norm", norm)),
                    (true, true) => None,
                };
                let (Some(grads), None) = (grads, problem) else {
                    let (what, value) = problem.unwrap_or(("loss", loss_value));
                    match self.on_non_finite {
                        OnNonFinite::Stop => {
                            return Err(TrainError::NonFinite { epoch, batch: index + 1, what, value });
                        }
                        OnNonFinite::SkipBatch => {
                            skipped += 1;
                            bar.inc(1);
                            continue;
                        }
                    }
                };
                let n = batch.targets.len();
                logits.with_value(|v| {
                    let v = v
                        .view()
                        .into_dimensionality::<Ix2>()
                        .expect("cross-entropy checked [batch, classes]");
                    right += correct(v, &batch.targets);
                });
                if let Some(diagnostics) = &mut diagnostics {
                    diagnostics.record_activations(&tape);
                }
                total_loss += loss_value * n as f64;
                seen += n;
                let before = diagnostics.as_mut().map(|diagnostics| {
                    diagnostics.record_gradients(&*model, &grads);
                    DiagnosticsAccumulator::snapshot(&*model)
                });
                let _report = optimizer.step(model, &grads)?; // parameters without a gradient (frozen) are fine
                if let (Some(diagnostics), Some(before)) = (&mut diagnostics, before) {
                    diagnostics.record_update(&*model, &before);
                }
                bar.inc(1);
                bar.set_message(format!("loss {:.4}", total_loss / seen as f64));
            }
            bar.finish_and_clear();
            if seen == 0 {
                let reason = if skipped > 0 {
                    format!(
                        "all {skipped} batches had a NaN or infinite loss or gradient norm and were skipped"
                    )
                } else {
                    format!(
                        "drop_last dropped the only batch: {} samples, batch size {}",
                        train.len(),
                        self.batch_size
                    )
                };
                return Err(TrainError::NoBatches { epoch, reason });
            }
            model.set_training(false);
            let (validation_loss, validation_accuracy) = match validation {
                Some(data) => {
                    let (loss, accuracy) = evaluate(&*model, data)?;
                    (Some(loss), Some(accuracy))
                }
                None => (None, None),
            };
            let record = EpochRecord {
                epoch,
                train_loss: total_loss / seen as f64,
                train_accuracy: right as f64 / seen as f64,
                validation_loss,
                validation_accuracy,
                learning_rate,
                duration: start.elapsed(),
                diagnostics: diagnostics.map(DiagnosticsAccumulator::finish),
                skipped_batches: skipped,
            };
            if !self.quiet {
                println!("{}", epoch_line(&record, self.epochs));
                if let Some(diagnostics) = &record.diagnostics {
                    println!("  {diagnostics}");
                }
            }
            let go_on = after_epoch(&record, optimizer);
            history.push(record);
            if !go_on {
                break;
            }
        }
        Ok(history)
    }
}

/// `epoch  3/30: train loss 0.1234 accuracy 96.1% | validation loss 0.2 accuracy 95.0% | lr 1.0e-3 | 12ms`
fn epoch_line(record: &EpochRecord, epochs: usize) -> String {
    let width = epochs.to_string().len();
    let mut line = format!(
        "epoch {:>width$}/{epochs}: train loss {:.4} accuracy {:.1}%",
        record.epoch,
        record.train_loss,
        100.0 * record.train_accuracy
    );
    if let (Some(loss), Some(accuracy)) = (record.validation_loss, record.validation_accuracy) {
        line.push_str(&format!(" | validation loss {loss:.4} accuracy {:.1}%", 100.0 * accuracy));
    }
    line.push_str(&format!(" | lr {:.1e} | {:.0?}", record.learning_rate, record.duration));
    line
}
