//! Early stopping: stop training once a monitored metric has stopped improving.

use tapegrad_tape::Float;

use crate::error::{OptimError, Owner};
use crate::Mode;

/// Says when to stop training: after `patience` consecutive epochs in which the metric
/// did not beat the best so far by more than `min_delta` (Keras' `EarlyStopping`
/// semantics). It tracks the best value and the epoch it came from, so you can keep (or
/// restore) the parameters of that epoch.
///
/// Improvement in `Min` mode (the default) is `metric < best − min_delta`; in `Max` mode,
/// `metric > best + min_delta`. The first metric is always an improvement; NaN never is.
///
/// ```
/// use tapegrad_optim::EarlyStopping;
/// let mut stopper = EarlyStopping::new(2, 0.01).unwrap();
/// let losses = [1.0, 0.8, 0.795, 0.9, 0.7, 0.75, 0.71];
/// let mut stopped_at = None;
/// for (epoch, &loss) in losses.iter().enumerate() {
///     if stopper.step(loss) {
///         stopped_at = Some(epoch);
///         break;
///     }
/// }
/// // 0.795 is not better than 0.8 by more than 0.01; 0.9 neither: stop at epoch 3.
/// assert_eq!(stopped_at, Some(3));
/// assert_eq!((stopper.best(), stopper.best_epoch()), (Some(0.8), Some(1)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStopping<T> {
    patience: usize,
    min_delta: T,
    mode: Mode,
    best: Option<(T, usize)>,
    epochs: usize,
    bad_epochs: usize,
}

impl<T: Float> EarlyStopping<T> {
    /// Stops after `patience` epochs without an improvement of more than `min_delta`,
    /// watching for the metric to go down (use [`mode`](EarlyStopping::mode) for `Max`).
    ///
    /// # Errors
    /// [`OptimError::InvalidSetting`] for a negative, infinite or NaN `min_delta`.
    ///
    /// ```
    /// let err = tapegrad_optim::EarlyStopping::new(5, -0.1).unwrap_err();
    /// assert_eq!(err.to_string(), "EarlyStopping: invalid min_delta = -0.1 (must be finite and ≥ 0)");
    /// ```
    pub fn new(patience: usize, min_delta: T) -> Result<Self, OptimError> {
        Owner::Setting("EarlyStopping").non_negative("min_delta", min_delta)?;
        Ok(EarlyStopping { patience, min_delta, mode: Mode::Min, best: None, epochs: 0, bad_epochs: 0 })
    }

    /// Sets which direction is improvement.
    ///
    /// ```
    /// use tapegrad_optim::{EarlyStopping, Mode};
    /// let mut stopper = EarlyStopping::new(1, 0.0).unwrap().mode(Mode::Max);
    /// stopper.step(0.5);
    /// assert!(!stopper.step(0.9)); // accuracy went up: improvement
    /// assert!(stopper.step(0.9));
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Records one epoch's metric; returns whether to stop now.
    ///
    /// ```
    /// let mut stopper = tapegrad_optim::EarlyStopping::new(0, 0.0).unwrap();
    /// assert!(!stopper.step(1.0));
    /// assert!(stopper.step(1.0)); // patience 0: the first epoch without improvement stops
    /// ```
    pub fn step(&mut self, metric: T) -> bool {
        let epoch = self.epochs;
        self.epochs += 1;
        let improved = match self.best {
            None => !metric.is_nan(),
            Some((best, _)) => match self.mode {
                Mode::Min => metric < best - self.min_delta,
                Mode::Max => metric > best + self.min_delta,
            },
        };
        if improved {
            self.best = Some((metric, epoch));
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        self.should_stop()
    }

    /// Whether the last [`step`](EarlyStopping::step) said to stop.
    ///
    /// ```
    /// let stopper = tapegrad_optim::EarlyStopping::<f64>::new(3, 0.0).unwrap();
    /// assert!(!stopper.should_stop());
    /// ```
    pub fn should_stop(&self) -> bool {
        self.bad_epochs > 0 && self.bad_epochs >= self.patience
    }

    /// The best metric so far.
    ///
    /// ```
    /// let mut stopper = tapegrad_optim::EarlyStopping::new(3, 0.0).unwrap();
    /// for loss in [2.0, 1.0, 1.5] { stopper.step(loss); }
    /// assert_eq!(stopper.best(), Some(1.0));
    /// ```
    pub fn best(&self) -> Option<T> {
        self.best.map(|(value, _)| value)
    }

    /// The epoch (counting `step` calls from 0) of the best metric.
    ///
    /// ```
    /// let mut stopper = tapegrad_optim::EarlyStopping::new(3, 0.0).unwrap();
    /// for loss in [2.0, 1.0, 1.5] { stopper.step(loss); }
    /// assert_eq!(stopper.best_epoch(), Some(1));
    /// ```
    pub fn best_epoch(&self) -> Option<usize> {
        self.best.map(|(_, epoch)| epoch)
    }

    /// Consecutive epochs without improvement, up to now.
    ///
    /// ```
    /// let mut stopper = tapegrad_optim::EarlyStopping::new(3, 0.0).unwrap();
    /// for loss in [1.0, 1.5, 1.2] { stopper.step(loss); }
    /// assert_eq!(stopper.epochs_without_improvement(), 2);
    /// ```
    pub fn epochs_without_improvement(&self) -> usize {
        self.bad_epochs
    }
}
