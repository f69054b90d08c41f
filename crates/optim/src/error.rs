//! The error type of the optim crate: hyperparameters and settings outside their range.

use thiserror::Error;

use tapegrad_tape::Float;

/// A rejected hyperparameter or setting, named so the message alone finds the problem:
/// which optimizer (or schedule), which hyperparameter, the value, and what it must be.
/// The checks are PyTorch's (`ValueError("Invalid learning rate: -0.1")`), plus a few
/// PyTorch leaves to a later crash (a zero `step_size`, a NaN dampening).
///
/// ```
/// use tapegrad_optim::{Adam, OptimError};
/// let err = Adam::<f64>::builder().betas(0.9, 1.0).build().unwrap_err();
/// assert!(matches!(err, OptimError::InvalidHyperparameter { optimizer: "Adam", name: "beta2", .. }));
/// assert_eq!(err.to_string(), "Adam: invalid beta2 = 1.0 (must be in [0, 1))");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OptimError {
    /// An optimizer's hyperparameter (or its gradient-clipping threshold) is out of range.
    #[error("{optimizer}: invalid {name} = {value:?} (must be {expected})")]
    InvalidHyperparameter {
        /// The optimizer (`"Sgd"`, `"Adam"`, …).
        optimizer: &'static str,
        /// The hyperparameter, as its builder method is named (`"learning_rate"`, `"beta1"`).
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The allowed range, in words (`"≥ 0"`, `"in [0, 1)"`).
        expected: &'static str,
    },
    /// Nesterov momentum needs a positive momentum and zero dampening (as PyTorch checks).
    #[error("Sgd: nesterov momentum requires momentum > 0 and dampening = 0 (got momentum = {momentum:?}, dampening = {dampening:?})")]
    NesterovRequiresMomentum {
        /// The momentum given.
        momentum: f64,
        /// The dampening given.
        dampening: f64,
    },
    /// A step found no gradient for any parameter: the gradients came from another model
    /// (or another copy of it), or its parameters were recorded with `tape.constant`. No
    /// parameter was changed.
    #[error(
        "{optimizer}: none of the {parameters} parameters has a gradient in these `Grads` (were they \
         computed for another model, or the parameters recorded with `tape.constant` instead of \
         `tape.param`?); nothing was updated"
    )]
    NoGradients {
        /// The optimizer.
        optimizer: &'static str,
        /// How many parameters the step visited.
        parameters: usize,
    },
    /// A parameter group's names cover none of the parameters a step is given (a misspelt
    /// or stale prefix): the group's settings would silently apply to nothing. Checked
    /// before the first step changes anything.
    #[error(
        "{optimizer}: the parameter group {prefixes:?} covers none of the {parameters} parameters \
         ({examples}): a misspelt name? nothing was updated"
    )]
    UnmatchedGroup {
        /// The optimizer.
        optimizer: &'static str,
        /// The group's names.
        prefixes: Vec<String>,
        /// How many parameters the step was given.
        parameters: usize,
        /// The first few of their names.
        examples: String,
    },
    /// With norm clipping, the gradients' global L2 norm is NaN or infinite: the step was
    /// refused and no parameter was changed.
    #[error(
        "{optimizer}: the gradients' global norm is {norm} (not finite: a NaN or infinity in the \
         loss or the data); nothing was updated"
    )]
    NonFiniteGradients {
        /// The optimizer.
        optimizer: &'static str,
        /// The norm.
        norm: f64,
    },
    /// A flat vector for [`vector_to_parameters`](crate::vector_to_parameters) (or an
    /// [`Lbfgs`](crate::Lbfgs) state) does not hold as many numbers as the model has
    /// parameters; nothing was written.
    #[error("a vector of {got} numbers for a model of {expected} parameters; nothing was written")]
    VectorLength {
        /// The model's parameter count.
        expected: usize,
        /// The vector's length.
        got: usize,
    },
    /// A closure evaluation inside an [`Lbfgs`](crate::Lbfgs) step gave a NaN or infinite
    /// loss or gradient (a NaN in the data, or a step too long for a fixed learning rate):
    /// the step was undone, and the parameters and the optimizer's state are as before it.
    #[error(
        "{optimizer}: evaluation {evaluation} of this step gave {what} (not finite); the parameters \
         and the optimizer's state are as before the step"
    )]
    NonFiniteEvaluation {
        /// The optimizer.
        optimizer: &'static str,
        /// Which closure call of the step, from 1.
        evaluation: usize,
        /// What was not finite: the loss (`a loss of NaN`) or a parameter's gradient, named.
        what: String,
    },
    /// A learning-rate schedule's, plateau detector's or early stopper's setting is out of range.
    #[error("{owner}: invalid {name} = {value:?} (must be {expected})")]
    InvalidSetting {
        /// The schedule or helper (`"StepLr"`, `"ReduceLrOnPlateau"`, `"EarlyStopping"`).
        owner: &'static str,
        /// The setting (`"gamma"`, `"patience"`).
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
}

/// Which kind of thing a checked value belongs to, so one set of checks serves both
/// optimizers and schedules.
#[derive(Clone, Copy)]
pub(crate) enum Owner {
    Optimizer(&'static str),
    Setting(&'static str),
}

impl Owner {
    fn error(self, name: &'static str, value: f64, expected: &'static str) -> OptimError {
        match self {
            Owner::Optimizer(optimizer) => {
                OptimError::InvalidHyperparameter { optimizer, name, value, expected }
            }
            Owner::Setting(owner) => OptimError::InvalidSetting { owner, name, value, expected },
        }
    }

    /// `0 ≤ value < ∞` (NaN fails, as PyTorch's `not 0.0 <= value` does; so does +∞,
    /// which PyTorch accepts and which turns every weight it touches into NaN or ±∞).
    pub(crate) fn non_negative<T: Float>(self, name: &'static str, value: T) -> Result<(), OptimError> {
        self.require(name, value, "finite and ≥ 0", value >= T::zero() && value.is_finite())
    }

    /// `0 ≤ value ≤ 1`: a decay rate (`α > 1` makes a running average of squares negative).
    pub(crate) fn fraction<T: Float>(self, name: &'static str, value: T) -> Result<(), OptimError> {
        self.require(name, value, "in [0, 1]", value >= T::zero() && value <= T::one())
    }

    /// `0 ≤ value < 1`.
    pub(crate) fn unit_interval<T: Float>(self, name: &'static str, value: T) -> Result<(), OptimError> {
        self.require(name, value, "in [0, 1)", value >= T::zero() && value < T::one())
    }

    /// `value` is a finite number.
    pub(crate) fn finite<T: Float>(self, name: &'static str, value: T) -> Result<(), OptimError> {
        self.require(name, value, "a finite number", value.is_finite())
    }

    /// `condition`, described by `expected`.
    pub(crate) fn require<T: Float>(
        self,
        name: &'static str,
        value: T,
        expected: &'static str,
        condition: bool,
    ) -> Result<(), OptimError> {
        if condition {
            Ok(())
        } else {
            Err(self.error(name, value.to_f64(), expected))
        }
    }
}

/// Panics unless `learning_rate` is `≥ 0` (used by `set_learning_rate`, which schedules
/// call between steps; a negative, infinite or NaN rate there is a bug in the caller).
#[track_caller]
pub(crate) fn assert_learning_rate<T: Float>(optimizer: &'static str, learning_rate: T) {
    assert!(
        learning_rate >= T::zero() && learning_rate.is_finite(),
        "{optimizer}: set_learning_rate({:?}): the learning rate must be finite and ≥ 0",
        learning_rate.to_f64()
    );
}
