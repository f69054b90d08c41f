//! Reduce-on-plateau: cut the learning rate when a monitored metric stops improving.

use tapegrad_tape::Float;

use crate::error::{OptimError, Owner};
use crate::{Mode, Optimizer};

/// How much better than the best a metric must be to count as an improvement.
///
/// ```
/// use tapegrad_optim::ThresholdMode;
/// assert_eq!(ThresholdMode::default(), ThresholdMode::Relative);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThresholdMode {
    /// Better by a fraction of the best (`'rel'`): in `Min` mode, `metric < best·(1 − threshold)`.
    #[default]
    Relative,
    /// Better by an amount (`'abs'`): in `Min` mode, `metric < best − threshold`.
    Absolute,
}

/// The settings of [`ReduceLrOnPlateau`], with `torch.optim.lr_scheduler.ReduceLROnPlateau`'s
/// defaults.
///
/// ```
/// use tapegrad_optim::ReduceLrOnPlateau;
/// let config = ReduceLrOnPlateau::<f64>::builder();
/// assert_eq!((config.factor, config.patience, config.threshold), (0.1, 10, 1e-4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReduceLrOnPlateauConfig<T> {
    /// Whether the metric should go down or up, default `Min`.
    pub mode: Mode,
    /// The rate is multiplied by this on a plateau, in `[0, 1)`, default `0.1`.
    pub factor: T,
    /// How many epochs without improvement to allow before cutting, default 10.
    pub patience: usize,
    /// The improvement needed, default `10⁻⁴`.
    pub threshold: T,
    /// Whether `threshold` is relative or absolute, default relative.
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a cut before counting bad epochs again, default 0.
    pub cooldown: usize,
    /// The rate never goes below this, default 0.
    pub min_lr: T,
    /// A cut smaller than this is not made, default `10⁻⁸`.
    pub eps: T,
}

impl<T: Float> Default for ReduceLrOnPlateauConfig<T> {
    fn default() -> Self {
        ReduceLrOnPlateauConfig {
            mode: Mode::Min,
            factor: T::from_f64(0.1),
            patience: 10,
            threshold: T::from_f64(1e-4),
            threshold_mode: ThresholdMode::Relative,
            cooldown: 0,
            min_lr: T::zero(),
            eps: T::from_f64(1e-8),
        }
    }
}

impl<T: Float> ReduceLrOnPlateauConfig<T> {
    /// Sets the mode.
    ///
    /// ```
    /// use tapegrad_optim::{Mode, ReduceLrOnPlateau};
    /// assert_eq!(ReduceLrOnPlateau::<f64>::builder().mode(Mode::Max).mode, Mode::Max);
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the factor.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().factor(0.5).factor, 0.5);
    /// ```
    pub fn factor(mut self, factor: T) -> Self {
        self.factor = factor;
        self
    }

    /// Sets the patience.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().patience(2).patience, 2);
    /// ```
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// Sets the threshold and how it is measured.
    ///
    /// ```
    /// use tapegrad_optim::{ReduceLrOnPlateau, ThresholdMode};
    /// let config = ReduceLrOnPlateau::<f64>::builder().threshold(0.01, ThresholdMode::Absolute);
    /// assert_eq!((config.threshold, config.threshold_mode), (0.01, ThresholdMode::Absolute));
    /// ```
    pub fn threshold(mut self, threshold: T, threshold_mode: ThresholdMode) -> Self {
        self.threshold = threshold;
        self.threshold_mode = threshold_mode;
        self
    }

    /// Sets the cooldown.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().cooldown(3).cooldown, 3);
    /// ```
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Sets the smallest learning rate.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().min_lr(1e-5).min_lr, 1e-5);
    /// ```
    pub fn min_lr(mut self, min_lr: T) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// Sets the smallest cut worth making.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().eps(0.0).eps, 0.0);
    /// ```
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Checks the settings and makes the detector.
    ///
    /// # Errors
    /// [`OptimError::InvalidSetting`] for a `factor` outside `[0, 1)` (PyTorch: "Factor
    /// should be < 1.0."), or a negative, infinite or NaN `threshold`, `min_lr` or `eps`.
    ///
    /// ```
    /// let err = tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().factor(1.0).build().unwrap_err();
    /// assert_eq!(err.to_string(), "ReduceLrOnPlateau: invalid factor = 1.0 (must be in [0, 1))");
    /// ```
    pub fn build(self) -> Result<ReduceLrOnPlateau<T>, OptimError> {
        let check = Owner::Setting("ReduceLrOnPlateau");
        check.unit_interval("factor", self.factor)?;
        check.non_negative("threshold", self.threshold)?;
        check.non_negative("min_lr", self.min_lr)?;
        check.non_negative("eps", self.eps)?;
        Ok(ReduceLrOnPlateau {
            best: self.mode.worst(),
            config: self,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
        })
    }
}

/// Cuts an optimizer's learning rate when a metric has stopped improving, as
/// `torch.optim.lr_scheduler.ReduceLROnPlateau` does. After each epoch, call
/// [`step`](ReduceLrOnPlateau::step) with the metric (say, the validation loss):
///
/// ```text
/// metric better than best (by threshold)?  best ← metric, bad ← 0;  otherwise bad ← bad + 1
/// in cooldown?                              cooldown ← cooldown − 1, bad ← 0
/// bad > patience?                           lr ← max(lr·factor, min_lr) if that lowers lr by more than eps;
///                                           cooldown ← cooldown setting, bad ← 0
/// ```
///
/// It reads the rate from the optimizer each time, so it combines with other changes.
///
/// ```
/// use tapegrad_optim::{Optimizer, ReduceLrOnPlateau, Sgd};
/// let mut sgd = Sgd::builder().learning_rate(1.0).build().unwrap();
/// let mut plateau = ReduceLrOnPlateau::builder().factor(0.5).patience(1).build().unwrap();
/// let mut rates = Vec::new();
/// for loss in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0] {
///     plateau.step(loss, &mut sgd);
///     rates.push(sgd.learning_rate());
/// }
/// // Two epochs without improvement (more than patience = 1) halve the rate.
/// assert_eq!(rates, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReduceLrOnPlateau<T> {
    config: ReduceLrOnPlateauConfig<T>,
    best: T,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    last_epoch: usize,
}

impl<T: Float> ReduceLrOnPlateau<T> {
    /// PyTorch's defaults, to adjust with the setters and finish with `build()`.
    ///
    /// ```
    /// let plateau = tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().build().unwrap();
    /// assert_eq!(plateau.config().cooldown, 0);
    /// ```
    pub fn builder() -> ReduceLrOnPlateauConfig<T> {
        ReduceLrOnPlateauConfig::default()
    }

    /// The settings.
    ///
    /// ```
    /// let plateau = tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().patience(3).build().unwrap();
    /// assert_eq!(plateau.config().patience, 3);
    /// ```
    pub fn config(&self) -> &ReduceLrOnPlateauConfig<T> {
        &self.config
    }

    /// Records one epoch's `metric` and cuts `optimizer`'s learning rate if the metric has
    /// not improved for more than `patience` epochs. Returns whether it cut.
    ///
    /// ```
    /// use tapegrad_optim::{Optimizer, ReduceLrOnPlateau, Sgd};
    /// let mut sgd = Sgd::builder().learning_rate(0.1).build().unwrap();
    /// let mut plateau = ReduceLrOnPlateau::builder().patience(0).build().unwrap();
    /// assert!(!plateau.step(1.0, &mut sgd)); // the first value is an improvement
    /// assert!(plateau.step(1.0, &mut sgd));  // no improvement, patience 0: cut
    /// assert!((sgd.learning_rate() - 0.01f64).abs() < 1e-17);
    /// ```
    pub fn step(&mut self, metric: T, optimizer: &mut dyn Optimizer<T>) -> bool {
        self.last_epoch += 1;
        if self.is_better(metric) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0; // bad epochs in cooldown do not count
        }
        if self.num_bad_epochs <= self.config.patience {
            return false;
        }
        self.cooldown_counter = self.config.cooldown;
        self.num_bad_epochs = 0;
        let old = optimizer.learning_rate();
        let new = (old * self.config.factor).max(self.config.min_lr);
        let cut = old - new > self.config.eps;
        if cut {
            optimizer.set_learning_rate(new);
        }
        cut
    }

    /// The best metric so far (`+∞` in `Min` mode before any step, `−∞` in `Max` mode).
    ///
    /// ```
    /// let plateau = tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().build().unwrap();
    /// assert_eq!(plateau.best(), f64::INFINITY);
    /// ```
    pub fn best(&self) -> T {
        self.best
    }

    /// Consecutive epochs without improvement, as counted now.
    ///
    /// ```
    /// use tapegrad_optim::{ReduceLrOnPlateau, Sgd};
    /// let mut sgd = Sgd::builder().build().unwrap();
    /// let mut plateau = ReduceLrOnPlateau::builder().build().unwrap();
    /// for loss in [1.0, 1.5, 1.2] { plateau.step(loss, &mut sgd); }
    /// assert_eq!(plateau.num_bad_epochs(), 2);
    /// ```
    pub fn num_bad_epochs(&self) -> usize {
        self.num_bad_epochs
    }

    /// Whether a cut happened within the last `cooldown` epochs (bad epochs are not counted).
    ///
    /// ```
    /// let plateau = tapegrad_optim::ReduceLrOnPlateau::<f64>::builder().cooldown(2).build().unwrap();
    /// assert!(!plateau.in_cooldown());
    /// ```
    pub fn in_cooldown(&self) -> bool {
        self.cooldown_counter > 0
    }

    /// How many times [`step`](ReduceLrOnPlateau::step) has been called.
    ///
    /// ```
    /// let plateau = tapegrad_optim::ReduceLrOnPlateau::<f32>::builder().build().unwrap();
    /// assert_eq!(plateau.last_epoch(), 0);
    /// ```
    pub fn last_epoch(&self) -> usize {
        self.last_epoch
    }

    /// PyTorch's `is_better`; NaN is never better.
    fn is_better(&self, metric: T) -> bool {
        let ReduceLrOnPlateauConfig { mode, threshold, threshold_mode, .. } = self.config;
        let best = self.best;
        match (mode, threshold_mode) {
            (Mode::Min, ThresholdMode::Relative) => metric < best * (T::one() - threshold),
            (Mode::Min, ThresholdMode::Absolute) => metric < best - threshold,
            (Mode::Max, ThresholdMode::Relative) => metric > best * (threshold + T::one()),
            (Mode::Max, ThresholdMode::Absolute) => metric > best + threshold,
        }
    }
}
