//! AdaGrad: each element's step is divided by the root of its accumulated squared gradients.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use tapegrad_tape::Float;

use crate::config::{shared_hyperparameters, shared_rule_methods};
use crate::elementwise::step_ratio;
use crate::error::{OptimError, Owner};
use crate::kernels::for_each3;
use crate::optimizer::assert_shapes;
use crate::{GradientClipping, Stateful, UpdateRule};

/// AdaGrad's hyperparameters, with `torch.optim.Adagrad`'s defaults, and its update rule.
///
/// ```
/// use tapegrad_optim::Adagrad;
/// // torch.optim.Adagrad(params, lr=0.1, initial_accumulator_value=0.1)
/// let adagrad = Adagrad::<f64>::builder().learning_rate(0.1).initial_accumulator_value(0.1).build().unwrap();
/// assert_eq!(adagrad.config().eps, 1e-10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdagradConfig<T> {
    /// `γ` (`lr`), default `10⁻²`.
    pub learning_rate: T,
    /// `η`, the learning-rate decay per step, default 0.
    pub lr_decay: T,
    /// `λ`, an L2 penalty added to the gradient, default 0.
    pub weight_decay: T,
    /// The accumulator's starting value `s₀`, default 0.
    pub initial_accumulator_value: T,
    /// `ε`, added to the denominator, default `10⁻¹⁰`.
    pub eps: T,
    /// Gradient clipping before each step, default none.
    pub clipping: GradientClipping<T>,
}

impl<T: Float> Default for AdagradConfig<T> {
    fn default() -> Self {
        AdagradConfig {
            learning_rate: T::from_f64(1e-2),
            lr_decay: T::zero(),
            weight_decay: T::zero(),
            initial_accumulator_value: T::zero(),
            eps: T::from_f64(1e-10),
            clipping: GradientClipping::None,
        }
    }
}

shared_hyperparameters!(AdagradConfig, "Adagrad");

impl<T: Float> AdagradConfig<T> {
    /// Sets the learning-rate decay `η`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Adagrad::<f64>::builder().lr_decay(0.01).lr_decay, 0.01);
    /// ```
    pub fn lr_decay(mut self, lr_decay: T) -> Self {
        self.lr_decay = lr_decay;
        self
    }

    /// Sets the accumulator's starting value `s₀`.
    ///
    /// ```
    /// let config = tapegrad_optim::Adagrad::<f64>::builder().initial_accumulator_value(0.1);
    /// assert_eq!(config.initial_accumulator_value, 0.1);
    /// ```
    pub fn initial_accumulator_value(mut self, value: T) -> Self {
        self.initial_accumulator_value = value;
        self
    }

    /// Sets `ε`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Adagrad::<f64>::builder().eps(1e-8).eps, 1e-8);
    /// ```
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Checks the hyperparameters as PyTorch does and makes the optimizer.
    ///
    /// # Errors
    /// [`OptimError::InvalidHyperparameter`] for a negative, infinite or NaN learning rate,
    /// learning-rate decay, weight decay, initial accumulator value, `ε` or clipping
    /// threshold.
    ///
    /// ```
    /// let err = tapegrad_optim::Adagrad::<f64>::builder().lr_decay(-0.5).build().unwrap_err();
    /// assert_eq!(err.to_string(), "Adagrad: invalid lr_decay = -0.5 (must be finite and ≥ 0)");
    /// ```
    pub fn build(self) -> Result<Adagrad<T>, OptimError> {
        self.validate_shared("Adagrad")?;
        let check = Owner::Optimizer("Adagrad");
        check.non_negative("lr_decay", self.lr_decay)?;
        check.non_negative("initial_accumulator_value", self.initial_accumulator_value)?;
        check.non_negative("eps", self.eps)?;
        Ok(Stateful::with_rule(self))
    }

    /// A fresh state for a parameter of this shape: the accumulator filled with `s₀`.
    ///
    /// ```
    /// let state = tapegrad_optim::Adagrad::<f64>::builder().initial_accumulator_value(0.5).new_state(&[2]);
    /// assert_eq!(state.sum, ndarray::array![0.5, 0.5].into_dyn());
    /// ```
    pub fn new_state(&self, shape: &[usize]) -> AdagradState<T> {
        AdagradState { step: 0, sum: ArrayD::from_elem(shape, self.initial_accumulator_value) }
    }

    /// The update rule for one parameter `θ` with gradient `∇θ`, as `torch.optim.Adagrad`:
    ///
    /// ```text
    /// t ← t + 1
    /// g ← ∇θ + λθ                        (when λ ≠ 0)
    /// γ̃ ← γ / (1 + (t − 1)·η)
    /// s ← s + g²
    /// θ ← θ − γ̃ · g / (√s + ε)
    /// ```
    ///
    /// `t` and `s` are the state's `step` and `sum`.
    ///
    /// # Panics
    /// If the gradient's or the accumulator's shape differs from the parameter's.
    ///
    /// ```
    /// use ndarray::array;
    /// let config = tapegrad_optim::Adagrad::builder().learning_rate(1.0).eps(0.0);
    /// let mut theta = array![1.0].into_dyn();
    /// let mut state = config.new_state(&[1]);
    /// config.update(theta.view_mut(), array![3.0].into_dyn().view(), &mut state); // s = 9: θ = 1 − 3/3
    /// config.update(theta.view_mut(), array![4.0].into_dyn().view(), &mut state); // s = 25: θ = 0 − 4/5
    /// assert_eq!(theta[[0]], -0.8);
    /// ```
    pub fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut AdagradState<T>) {
        assert_shapes("Adagrad", &param, &grad, Some(state.sum.shape()));
        state.step = state.step.saturating_add(1);
        let AdagradConfig { learning_rate, lr_decay, weight_decay, eps, .. } = *self;
        let step = T::from_f64(state.step as f64);
        let decayed_rate = learning_rate / (T::one() + (step - T::one()) * lr_decay);
        for_each3(param, grad, state.sum.view_mut(), |p, g, s| {
            let g = if weight_decay != T::zero() { g + weight_decay * *p } else { g };
            *s += g * g;
            let std = s.sqrt() + eps;
            *p += step_ratio((-decayed_rate) * g, std);
        });
    }
}

/// What AdaGrad remembers about one parameter.
///
/// ```
/// let state = tapegrad_optim::Adagrad::<f32>::builder().new_state(&[3]);
/// assert_eq!(state.step, 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AdagradState<T> {
    /// `t`, the steps taken (PyTorch's `state['step']`), which the learning-rate decay uses.
    pub step: u64,
    /// `s`, the running sum of squared gradients (PyTorch's `state['sum']`).
    pub sum: ArrayD<T>,
}

/// AdaGrad (`torch.optim.Adagrad`): the rule is [`AdagradConfig::update`]; one
/// [`AdagradState`] per parameter name.
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{Adagrad, NamedParam, Optimizer};
/// let mut adagrad = Adagrad::builder().learning_rate(1.0).build().unwrap();
/// let mut w = array![1.0f64];
/// let _report = adagrad.step_params(&mut [NamedParam::new("w", &mut w, &array![2.0])]).unwrap();
/// assert!(w[0].abs() < 1e-9); // the first step moves each element by ≈ γ
/// assert_eq!(adagrad.state("w").unwrap().sum, array![4.0].into_dyn());
/// ```
pub type Adagrad<T> = Stateful<T, AdagradConfig<T>>;

impl<T: Float> Adagrad<T> {
    /// PyTorch's defaults, to adjust with the setters and finish with `build()`.
    ///
    /// ```
    /// let adagrad = tapegrad_optim::Adagrad::<f64>::builder().build().unwrap();
    /// assert_eq!(adagrad.config().learning_rate, 1e-2);
    /// ```
    pub fn builder() -> AdagradConfig<T> {
        AdagradConfig::default()
    }
}

impl<T: Float> UpdateRule<T> for AdagradConfig<T> {
    type State = AdagradState<T>;
    const NAME: &'static str = "Adagrad";

    shared_rule_methods!();

    fn new_state(&self, shape: &[usize]) -> AdagradState<T> {
        AdagradConfig::new_state(self, shape)
    }

    fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut AdagradState<T>) {
        AdagradConfig::update(self, param, grad, state);
    }
}
