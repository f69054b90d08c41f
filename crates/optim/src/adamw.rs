//! AdamW: Adam with decoupled weight decay (the parameter shrinks; the gradient is left alone).

use ndarray::{ArrayViewD, ArrayViewMutD};
use tapegrad_tape::Float;

use crate::config::{shared_hyperparameters, shared_rule_methods};
use crate::error::{OptimError, Owner};
use crate::kernels::for_each1;
use crate::optimizer::assert_shapes;
use crate::{AdamConfig, AdamState, GradientClipping, Stateful, UpdateRule};

/// AdamW's hyperparameters, with `torch.optim.AdamW`'s defaults (as Adam's, but weight
/// decay `0.01`), and its update rule.
///
/// ```
/// use tapegrad_optim::AdamW;
/// // torch.optim.AdamW(params, lr=0.01)
/// let adamw = AdamW::<f64>::builder().learning_rate(0.01).build().unwrap();
/// assert_eq!(adamw.config().weight_decay, 0.01);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig<T> {
    /// `γ` (`lr`), default `10⁻³`.
    pub learning_rate: T,
    /// `(β₁, β₂)`, default `(0.9, 0.999)`.
    pub betas: (T, T),
    /// `ε`, default `10⁻⁸`.
    pub eps: T,
    /// `λ`, the decoupled decay rate: `θ ← θ·(1 − γλ)` each step, default `0.01`.
    pub weight_decay: T,
    /// AMSGrad, default off.
    pub amsgrad: bool,
    /// Gradient clipping before each step, default none.
    pub clipping: GradientClipping<T>,
}

impl<T: Float> Default for AdamWConfig<T> {
    fn default() -> Self {
        let adam = AdamConfig::default();
        AdamWConfig {
            learning_rate: adam.learning_rate,
            betas: adam.betas,
            eps: adam.eps,
            weight_decay: T::from_f64(1e-2),
            amsgrad: adam.amsgrad,
            clipping: adam.clipping,
        }
    }
}

shared_hyperparameters!(AdamWConfig, "AdamW");

impl<T: Float> AdamWConfig<T> {
    /// Sets `β₁` and `β₂`, each in `[0, 1)`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::AdamW::<f64>::builder().betas(0.8, 0.99).betas, (0.8, 0.99));
    /// ```
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        self.betas = (beta1, beta2);
        self
    }

    /// Sets `ε`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::AdamW::<f64>::builder().eps(1e-6).eps, 1e-6);
    /// ```
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Switches AMSGrad on or off.
    ///
    /// ```
    /// assert!(tapegrad_optim::AdamW::<f64>::builder().amsgrad(true).amsgrad);
    /// ```
    pub fn amsgrad(mut self, amsgrad: bool) -> Self {
        self.amsgrad = amsgrad;
        self
    }

    /// Checks the hyperparameters as PyTorch does and makes the optimizer.
    ///
    /// # Errors
    /// [`OptimError::InvalidHyperparameter`] for a negative, infinite or NaN learning rate, `ε`,
    /// weight decay or clipping threshold, or a `β` outside `[0, 1)`.
    ///
    /// ```
    /// let err = tapegrad_optim::AdamW::<f64>::builder().weight_decay(-0.1).build().unwrap_err();
    /// assert_eq!(err.to_string(), "AdamW: invalid weight_decay = -0.1 (must be finite and ≥ 0)");
    /// ```
    pub fn build(self) -> Result<AdamW<T>, OptimError> {
        self.validate_shared("AdamW")?;
        self.as_adam(self.weight_decay).validate("AdamW")?;
        Ok(Stateful::with_rule(self))
    }

    /// A fresh state for a parameter of this shape: zero moments, step 0.
    ///
    /// ```
    /// let state = tapegrad_optim::AdamW::<f64>::builder().new_state(&[4]);
    /// assert_eq!(state.step, 0);
    /// assert!(state.max_exp_avg_sq.is_none());
    /// ```
    pub fn new_state(&self, shape: &[usize]) -> AdamState<T> {
        self.as_adam(T::zero()).new_state(shape)
    }

    /// The update rule for one parameter `θ` with gradient `∇θ`, as `torch.optim.AdamW`:
    /// the decay shrinks the parameter directly instead of entering the gradient, so Adam's
    /// rescaling does not touch it.
    ///
    /// ```text
    /// θ ← θ·(1 − γλ)
    /// then Adam's rule (AdamConfig::update) with λ = 0:
    /// t ← t + 1;  m ← β₁·m + (1 − β₁)·∇θ;  v ← β₂·v + (1 − β₂)·∇θ²;  (AMSGrad: v̂ ← max(v̂, v))
    /// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
    /// ```
    ///
    /// # Panics
    /// If the gradient's or the state's shape differs from the parameter's.
    ///
    /// ```
    /// use ndarray::array;
    /// let config = tapegrad_optim::AdamW::builder().learning_rate(0.1).weight_decay(0.5);
    /// let mut theta = array![2.0].into_dyn();
    /// let mut state = config.new_state(&[1]);
    /// config.update(theta.view_mut(), array![0.0].into_dyn().view(), &mut state);
    /// // A zero gradient: only the decay acts, θ = 2 · (1 − 0.1 · 0.5).
    /// assert_eq!(theta[[0]], 1.9);
    /// ```
    pub fn update(&self, mut param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut AdamState<T>) {
        assert_shapes("AdamW", &param, &grad, Some(state.exp_avg.shape()));
        if self.weight_decay != T::zero() {
            let shrink = T::one() - self.learning_rate * self.weight_decay;
            for_each1(param.view_mut(), |p| *p *= shrink);
        }
        self.as_adam(T::zero()).update(param, grad, state);
    }

    /// The same settings as Adam's, with `weight_decay` as the L2 penalty.
    fn as_adam(&self, weight_decay: T) -> AdamConfig<T> {
        AdamConfig {
            learning_rate: self.learning_rate,
            betas: self.betas,
            eps: self.eps,
            weight_decay,
            amsgrad: self.amsgrad,
            clipping: self.clipping,
        }
    }
}

/// AdamW (`torch.optim.AdamW`): the rule is [`AdamWConfig::update`]; one [`AdamState`] per
/// parameter name.
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{AdamW, NamedParam, Optimizer};
/// let mut adamw = AdamW::builder().learning_rate(0.1).weight_decay(0.0).build().unwrap();
/// let mut w = array![1.0];
/// let _report = adamw.step_params(&mut [NamedParam::new("w", &mut w, &array![3.0])]).unwrap();
/// assert!((w[0] - 0.9f64).abs() < 1e-8); // Adam's first step: ≈ γ
/// ```
pub type AdamW<T> = Stateful<T, AdamWConfig<T>>;

impl<T: Float> AdamW<T> {
    /// PyTorch's defaults, to adjust with the setters and finish with `build()`.
    ///
    /// ```
    /// let adamw = tapegrad_optim::AdamW::<f64>::builder().build().unwrap();
    /// assert_eq!(adamw.config().betas, (0.9, 0.999));
    /// ```
    pub fn builder() -> AdamWConfig<T> {
        AdamWConfig::default()
    }
}

impl<T: Float> UpdateRule<T> for AdamWConfig<T> {
    type State = AdamState<T>;
    const NAME: &'static str = "AdamW";

    shared_rule_methods!();

    fn new_state(&self, shape: &[usize]) -> AdamState<T> {
        AdamWConfig::new_state(self, shape)
    }

    fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut AdamState<T>) {
        AdamWConfig::update(self, param, grad, state);
    }

    fn check_state(&self, state: &AdamState<T>) -> Result<(), String> {
        crate::adam::check_moments(self.betas, state)
    }
}
