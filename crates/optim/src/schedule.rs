//! Learning-rate schedules that are functions of the epoch: step, exponential, cosine, linear.

use std::f64::consts::PI;

use tapegrad_tape::Float;

use crate::error::{OptimError, Owner};
use crate::Optimizer;

/// A learning rate as a function of the epoch, in the closed forms of PyTorch's
/// `torch.optim.lr_scheduler` (`_get_closed_form_lr`).
///
/// `epoch` is PyTorch's `last_epoch`: 0 for the first epoch (the rate the scheduler sets
/// when it is made), then one more per `scheduler.step()`. So the PyTorch loop
/// "train an epoch, `scheduler.step()`" is "[`apply`](LrSchedule::apply)`(epoch, …)`,
/// train an epoch" here. The schedule keeps no state and does not read the optimizer's
/// rate: it starts from its own `base_lr` (PyTorch's `initial_lr`).
///
/// PyTorch's `step()` computes the same rates recursively (multiplying the current rate);
/// the two agree to rounding: compared with torch 2.15's rates over 25 epochs, within
/// 2e-14, most of it cosine annealing near its minimum, where the recursion drifts by about
/// 7e-16 relative per epoch (`tests/torch_reference.rs`).
///
/// ```
/// use tapegrad_optim::{LrSchedule, Optimizer, Sgd, StepLr};
/// let mut sgd = Sgd::builder().learning_rate(0.1).build().unwrap();
/// let schedule = StepLr::new(0.1, 2, 0.5).unwrap();
/// let mut rates = Vec::new();
/// for epoch in 0..5 {
///     schedule.apply(epoch, &mut sgd);
///     rates.push(sgd.learning_rate()); // … then train one epoch with it
/// }
/// assert_eq!(rates, [0.1, 0.1, 0.05, 0.05, 0.025]);
/// ```
pub trait LrSchedule<T: Float> {
    /// The learning rate for `epoch`.
    ///
    /// ```
    /// use tapegrad_optim::{ExponentialLr, LrSchedule};
    /// assert_eq!(ExponentialLr::new(1.0, 0.5).unwrap().learning_rate(3), 0.125);
    /// ```
    fn learning_rate(&self, epoch: usize) -> T;

    /// Sets `optimizer`'s learning rate for `epoch`, and returns it. A rate that overflows
    /// (a `γ > 1` after enough epochs) is set as the largest finite value instead: an
    /// optimizer refuses an infinite rate.
    ///
    /// ```
    /// use tapegrad_optim::{Adam, ExponentialLr, LrSchedule, Optimizer};
    /// let mut adam = Adam::builder().build().unwrap();
    /// assert_eq!(ExponentialLr::new(0.5, 0.5).unwrap().apply(1, &mut adam), 0.25);
    /// assert_eq!(adam.learning_rate(), 0.25);
    /// ```
    fn apply(&self, epoch: usize, optimizer: &mut dyn Optimizer<T>) -> T {
        let learning_rate = self.learning_rate(epoch).min(T::max_value());
        optimizer.set_learning_rate(learning_rate);
        learning_rate
    }
}

/// Step decay, as `torch.optim.lr_scheduler.StepLR`: `γ` times smaller every `step_size`
/// epochs, `lr(e) = base_lr · γ^⌊e / step_size⌋`.
///
/// ```
/// use tapegrad_optim::{LrSchedule, StepLr};
/// // StepLR(optimizer, step_size=3, gamma=0.1) with lr=1
/// let schedule = StepLr::new(1.0, 3, 0.1).unwrap();
/// assert_eq!((schedule.learning_rate(2), schedule.learning_rate(3)), (1.0, 0.1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLr<T> {
    base_lr: T,
    step_size: usize,
    gamma: T,
}

impl<T: Float> StepLr<T> {
    /// Decays `base_lr` by `gamma` every `step_size` epochs.
    ///
    /// # Errors
    /// [`OptimError::InvalidSetting`] for a negative, infinite or NaN `base_lr` or `gamma`, or a
    /// zero `step_size`.
    ///
    /// ```
    /// let err = tapegrad_optim::StepLr::new(0.1, 0, 0.5).unwrap_err();
    /// assert_eq!(err.to_string(), "StepLr: invalid step_size = 0.0 (must be ≥ 1)");
    /// ```
    pub fn new(base_lr: T, step_size: usize, gamma: T) -> Result<Self, OptimError> {
        let check = Owner::Setting("StepLr");
        check.non_negative("base_lr", base_lr)?;
        check.require("step_size", T::from_f64(step_size as f64), "≥ 1", step_size >= 1)?;
        check.non_negative("gamma", gamma)?;
        Ok(StepLr { base_lr, step_size, gamma })
    }
}

impl<T: Float> LrSchedule<T> for StepLr<T> {
    fn learning_rate(&self, epoch: usize) -> T {
        // γᵏ capped at the largest finite value, so a base rate of 0 stays 0 (not 0 · ∞ = NaN).
        self.base_lr * self.gamma.powf(T::from_f64((epoch / self.step_size) as f64)).min(T::max_value())
    }
}

/// Exponential decay, as `torch.optim.lr_scheduler.ExponentialLR`: `lr(e) = base_lr · γ^e`.
///
/// ```
/// use tapegrad_optim::{ExponentialLr, LrSchedule};
/// let schedule = ExponentialLr::new(0.1, 0.9).unwrap();
/// assert_eq!(schedule.learning_rate(0), 0.1);
/// assert!((schedule.learning_rate(2) - 0.081f64).abs() < 1e-16);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialLr<T> {
    base_lr: T,
    gamma: T,
}

impl<T: Float> ExponentialLr<T> {
    /// Decays `base_lr` by `gamma` every epoch.
    ///
    /// # Errors
    /// [`OptimError::InvalidSetting`] for a negative, infinite or NaN `base_lr` or `gamma`.
    ///
    /// ```
    /// assert!(tapegrad_optim::ExponentialLr::new(0.1, -0.9).is_err());
    /// ```
    pub fn new(base_lr: T, gamma: T) -> Result<Self, OptimError> {
        let check = Owner::Setting("ExponentialLr");
        check.non_negative("base_lr", base_lr)?;
        check.non_negative("gamma", gamma)?;
        Ok(ExponentialLr { base_lr, gamma })
    }
}

impl<T: Float> LrSchedule<T> for ExponentialLr<T> {
    fn learning_rate(&self, epoch: usize) -> T {
        // γᵉ capped at the largest finite value, so a base rate of 0 stays 0 (not 0 · ∞ = NaN).
        self.base_lr * self.gamma.powf(T::from_f64(epoch as f64)).min(T::max_value())
    }
}

/// Cosine annealing, as `torch.optim.lr_scheduler.CosineAnnealingLR` (the closed form, no
/// restarts): half a cosine from `base_lr` down to `η_min` over `T_max` epochs,
/// `lr(e) = η_min + (base_lr − η_min) · (1 + cos(π·e / T_max)) / 2`.
/// Past `T_max` the formula keeps going (the rate climbs back), as PyTorch's closed form does.
///
/// ```
/// use tapegrad_optim::{CosineAnnealingLr, LrSchedule};
/// let schedule = CosineAnnealingLr::new(1.0, 4, 0.0).unwrap();
/// assert_eq!(schedule.learning_rate(0), 1.0);
/// assert!((schedule.learning_rate(2) - 0.5f64).abs() < 1e-15); // cos(π/2) = 0
/// assert_eq!(schedule.learning_rate(4), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineAnnealingLr<T> {
    base_lr: T,
    t_max: usize,
    eta_min: T,
}

impl<T: Float> CosineAnnealingLr<T> {
    /// Anneals from `base_lr` to `eta_min` over `t_max` epochs.
    ///
    /// # Errors
    /// [`OptimError::InvalidSetting`] for a negative, infinite or NaN `base_lr` or `eta_min`, or a
    /// zero `t_max`.
    ///
    /// ```
    /// assert!(tapegrad_optim::CosineAnnealingLr::new(0.1, 0, 0.0).is_err());
    /// ```
    pub fn new(base_lr: T, t_max: usize, eta_min: T) -> Result<Self, OptimError> {
        let check = Owner::Setting("CosineAnnealingLr");
        check.non_negative("base_lr", base_lr)?;
        check.require("t_max", T::from_f64(t_max as f64), "≥ 1", t_max >= 1)?;
        check.non_negative("eta_min", eta_min)?;
        Ok(CosineAnnealingLr { base_lr, t_max, eta_min })
    }
}

impl<T: Float> LrSchedule<T> for CosineAnnealingLr<T> {
    fn learning_rate(&self, epoch: usize) -> T {
        let angle = T::from_f64(PI) * T::from_f64(epoch as f64) / T::from_f64(self.t_max as f64);
        self.eta_min + (self.base_lr - self.eta_min) * (T::one() + angle.cos()) / T::from_f64(2.0)
    }
}

/// Linear warm-up (or decay), as `torch.optim.lr_scheduler.LinearLR`: the factor on
/// `base_lr` moves in a straight line from `start_factor` to `end_factor` over
/// `total_iters` epochs, then stays,
/// `lr(e) = base_lr · (s + (f − s) · min(e, total_iters) / total_iters)`.
/// PyTorch's defaults are `start_factor = 1/3`, `end_factor = 1`, `total_iters = 5`.
///
/// ```
/// use tapegrad_optim::{LinearLr, LrSchedule};
/// // LinearLR(optimizer, start_factor=0.25, total_iters=3) with lr=0.4
/// let warm_up = LinearLr::new(0.4, 0.25, 1.0, 3).unwrap();
/// let rates: Vec<f64> = (0..5).map(|e| warm_up.learning_rate(e)).collect();
/// assert_eq!(rates, [0.1, 0.2, 0.30000000000000004, 0.4, 0.4]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearLr<T> {
    base_lr: T,
    start_factor: T,
    end_factor: T,
    total_iters: usize,
}

impl<T: Float> LinearLr<T> {
    /// Moves the factor on `base_lr` from `start_factor` to `end_factor` over `total_iters` epochs.
    ///
    /// # Errors
    /// [`OptimError::InvalidSetting`] for a negative, infinite or NaN `base_lr`, a `start_factor`
    /// outside `(0, 1]`, an `end_factor` outside `[0, 1]` (PyTorch's checks), or a zero
    /// `total_iters`.
    ///
    /// ```
    /// let err = tapegrad_optim::LinearLr::new(0.1, 0.0, 1.0, 5).unwrap_err();
    /// assert_eq!(err.to_string(), "LinearLr: invalid start_factor = 0.0 (must be in (0, 1])");
    /// ```
    pub fn new(base_lr: T, start_factor: T, end_factor: T, total_iters: usize) -> Result<Self, OptimError> {
        let check = Owner::Setting("LinearLr");
        let (zero, one) = (T::zero(), T::one());
        check.non_negative("base_lr", base_lr)?;
        check.require(
            "start_factor",
            start_factor,
            "in (0, 1]",
            start_factor > zero && start_factor <= one,
        )?;
        check.require("end_factor", end_factor, "in [0, 1]", end_factor >= zero && end_factor <= one)?;
        check.require("total_iters", T::from_f64(total_iters as f64), "≥ 1", total_iters >= 1)?;
        Ok(LinearLr { base_lr, start_factor, end_factor, total_iters })
    }
}

impl<T: Float> LrSchedule<T> for LinearLr<T> {
    fn learning_rate(&self, epoch: usize) -> T {
        let progress = T::from_f64(epoch.min(self.total_iters) as f64);
        let total = T::from_f64(self.total_iters as f64);
        self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress / total)
    }
}
