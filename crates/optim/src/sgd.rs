//! Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use tapegrad_tape::Float;

use crate::config::{shared_hyperparameters, shared_rule_methods};
use crate::error::{OptimError, Owner};
use crate::kernels::{for_each2, for_each3};
use crate::optimizer::assert_shapes;
use crate::{GradientClipping, Stateful, UpdateRule};

/// SGD's hyperparameters, with `torch.optim.SGD`'s defaults, and its update rule.
/// Plain gradient descent is SGD given the full batch's gradient.
///
/// ```
/// use tapegrad_optim::Sgd;
/// // torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True)
/// let sgd = Sgd::<f64>::builder().learning_rate(0.1).momentum(0.9).nesterov(true).build().unwrap();
/// assert_eq!(sgd.config().dampening, 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig<T> {
    /// `γ` (`lr`), default `10⁻³`.
    pub learning_rate: T,
    /// `μ`, default 0 (no momentum buffer).
    pub momentum: T,
    /// `τ`, default 0.
    pub dampening: T,
    /// `λ`, L2 penalty added to the gradient, default 0.
    pub weight_decay: T,
    /// Nesterov momentum, default off.
    pub nesterov: bool,
    /// Gradient clipping before each step, default none.
    pub clipping: GradientClipping<T>,
}

impl<T: Float> Default for SgdConfig<T> {
    fn default() -> Self {
        SgdConfig {
            learning_rate: T::from_f64(1e-3),
            momentum: T::zero(),
            dampening: T::zero(),
            weight_decay: T::zero(),
            nesterov: false,
            clipping: GradientClipping::None,
        }
    }
}

shared_hyperparameters!(SgdConfig, "Sgd");

impl<T: Float> SgdConfig<T> {
    /// Sets the momentum `μ`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Sgd::<f64>::builder().momentum(0.9).momentum, 0.9);
    /// ```
    pub fn momentum(mut self, momentum: T) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets the dampening `τ`: new gradients enter the momentum buffer scaled by `1 − τ`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Sgd::<f64>::builder().dampening(0.5).dampening, 0.5);
    /// ```
    pub fn dampening(mut self, dampening: T) -> Self {
        self.dampening = dampening;
        self
    }

    /// Switches Nesterov momentum on or off (on needs `μ > 0` and `τ = 0`).
    ///
    /// ```
    /// assert!(tapegrad_optim::Sgd::<f64>::builder().nesterov(true).nesterov);
    /// ```
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// Checks the hyperparameters as PyTorch does and makes the optimizer.
    ///
    /// # Errors
    /// [`OptimError::InvalidHyperparameter`] for a negative, infinite or NaN learning rate,
    /// weight decay or clipping threshold, a momentum outside `[0, 1)` (from 1 up it never
    /// decays and the step diverges; PyTorch accepts it), or a non-finite dampening;
    /// [`OptimError::NesterovRequiresMomentum`] for Nesterov with `μ ≤ 0` or `τ ≠ 0`.
    ///
    /// ```
    /// use tapegrad_optim::{OptimError, Sgd};
    /// let err = Sgd::<f64>::builder().nesterov(true).build().unwrap_err();
    /// assert_eq!(err, OptimError::NesterovRequiresMomentum { momentum: 0.0, dampening: 0.0 });
    /// ```
    pub fn build(self) -> Result<Sgd<T>, OptimError> {
        self.validate_shared("Sgd")?;
        let check = Owner::Optimizer("Sgd");
        check.unit_interval("momentum", self.momentum)?;
        check.finite("dampening", self.dampening)?;
        if self.nesterov && (self.momentum <= T::zero() || self.dampening != T::zero()) {
            return Err(OptimError::NesterovRequiresMomentum {
                momentum: self.momentum.to_f64(),
                dampening: self.dampening.to_f64(),
            });
        }
        Ok(Stateful::with_rule(self))
    }

    /// The update rule for one parameter `θ` with gradient `∇θ`, as `torch.optim.SGD`:
    ///
    /// ```text
    /// g ← ∇θ + λθ                        (when λ ≠ 0)
    /// when μ ≠ 0:
    ///     b ← g                          at the first step
    ///     b ← μ·b + (1 − τ)·g            afterwards
    ///     g ← g + μ·b  (Nesterov)   or   g ← b
    /// θ ← θ − γ·g
    /// ```
    ///
    /// The learning rate multiplies the momentum buffer from outside; `b` is the state's
    /// `momentum_buffer`.
    ///
    /// # Panics
    /// If the gradient's or the buffer's shape differs from the parameter's.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_optim::{Sgd, SgdState};
    /// let config = Sgd::<f64>::builder().learning_rate(0.1).momentum(0.5); // no need to build()
    /// let mut theta = array![1.0].into_dyn();
    /// let mut state = SgdState::default();
    /// config.update(theta.view_mut(), array![1.0].into_dyn().view(), &mut state); // b = 1
    /// config.update(theta.view_mut(), array![1.0].into_dyn().view(), &mut state); // b = 0.5 + 1
    /// assert!((theta[[0]] - (1.0 - 0.1 - 0.15)).abs() < 1e-15);
    /// assert_eq!(state.step, 2);
    /// ```
    pub fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut SgdState<T>) {
        assert_shapes("Sgd", &param, &grad, state.momentum_buffer.as_ref().map(|b| b.shape()));
        state.step = state.step.saturating_add(1);
        let SgdConfig { learning_rate, momentum, dampening, weight_decay, nesterov, .. } = *self;
        let decayed = move |g: T, p: T| if weight_decay != T::zero() { g + weight_decay * p } else { g };
        if momentum == T::zero() {
            for_each2(param, grad, |p, g| {
                let g = decayed(g, *p);
                *p += (-learning_rate) * g;
            });
            return;
        }
        let first = state.momentum_buffer.is_none();
        let buffer = state.momentum_buffer.get_or_insert_with(|| ArrayD::zeros(param.raw_dim()));
        for_each3(param, grad, buffer.view_mut(), |p, g, b| {
            let g = decayed(g, *p);
            *b = if first { g } else { *b * momentum + (T::one() - dampening) * g };
            let direction = if nesterov { g + momentum * *b } else { *b };
            *p += (-learning_rate) * direction;
        });
    }
}

/// What SGD remembers about one parameter.
///
/// ```
/// let state = tapegrad_optim::SgdState::<f64>::default();
/// assert!(state.momentum_buffer.is_none() && state.step == 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SgdState<T> {
    /// Steps taken (PyTorch's `state['step']`; SGD's rule does not read it).
    pub step: u64,
    /// `b`, created from the first gradient when `μ ≠ 0` (PyTorch's `momentum_buffer`).
    pub momentum_buffer: Option<ArrayD<T>>,
}

impl<T> Default for SgdState<T> {
    fn default() -> Self {
        SgdState { step: 0, momentum_buffer: None }
    }
}

/// Stochastic gradient descent (`torch.optim.SGD`): the rule is
/// [`SgdConfig::update`]; one [`SgdState`] per parameter name.
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{NamedParam, Optimizer, Sgd};
/// let mut sgd = Sgd::builder().learning_rate(0.1).momentum(0.9).build().unwrap();
/// let mut w = array![1.0];
/// let _report = sgd.step_params(&mut [NamedParam::new("w", &mut w, &array![1.0])]).unwrap();
/// assert_eq!(w, array![0.9]);
/// assert_eq!(sgd.state("w").unwrap().momentum_buffer, Some(array![1.0].into_dyn()));
/// ```
pub type Sgd<T> = Stateful<T, SgdConfig<T>>;

impl<T: Float> Sgd<T> {
    /// PyTorch's defaults, to adjust with the setters and finish with `build()`.
    ///
    /// ```
    /// let sgd = tapegrad_optim::Sgd::<f64>::builder().build().unwrap();
    /// assert_eq!(sgd.config().learning_rate, 1e-3);
    /// ```
    pub fn builder() -> SgdConfig<T> {
        SgdConfig::default()
    }
}

impl<T: Float> UpdateRule<T> for SgdConfig<T> {
    type State = SgdState<T>;
    const NAME: &'static str = "Sgd";

    shared_rule_methods!();

    fn new_state(&self, _shape: &[usize]) -> SgdState<T> {
        SgdState::default()
    }

    fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut SgdState<T>) {
        SgdConfig::update(self, param, grad, state);
    }
}
