//! Adam: bias-corrected moving averages of the gradient and its square, with optional AMSGrad.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use tapegrad_tape::Float;

use crate::config::{shared_hyperparameters, shared_rule_methods};
use crate::elementwise::{lerp, step_ratio};
use crate::error::{OptimError, Owner};
use crate::kernels::{for_each4, for_each5};
use crate::optimizer::assert_shapes;
use crate::{GradientClipping, Stateful, UpdateRule};

/// Adam's hyperparameters, with `torch.optim.Adam`'s defaults, and its update rule.
///
/// ```
/// use tapegrad_optim::Adam;
/// // torch.optim.Adam(params, lr=0.01, amsgrad=True)
/// let adam = Adam::<f64>::builder().learning_rate(0.01).amsgrad(true).build().unwrap();
/// assert_eq!(adam.config().betas, (0.9, 0.999));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig<T> {
    /// `γ` (`lr`), default `10⁻³`.
    pub learning_rate: T,
    /// `(β₁, β₂)`, the decay rates of the two moments, default `(0.9, 0.999)`.
    pub betas: (T, T),
    /// `ε`, added to the denominator, default `10⁻⁸`.
    pub eps: T,
    /// `λ`, an L2 penalty added to the gradient, default 0 (see [`AdamW`](crate::AdamW)
    /// for decoupled decay).
    pub weight_decay: T,
    /// AMSGrad: divide by the largest second moment seen so far, default off.
    pub amsgrad: bool,
    /// Gradient clipping before each step, default none.
    pub clipping: GradientClipping<T>,
}

impl<T: Float> Default for AdamConfig<T> {
    fn default() -> Self {
        AdamConfig {
            learning_rate: T::from_f64(1e-3),
            betas: (T::from_f64(0.9), T::from_f64(0.999)),
            eps: T::from_f64(1e-8),
            weight_decay: T::zero(),
            amsgrad: false,
            clipping: GradientClipping::None,
        }
    }
}

shared_hyperparameters!(AdamConfig, "Adam");

impl<T: Float> AdamConfig<T> {
    /// Sets `β₁` and `β₂`, each in `[0, 1)`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Adam::<f64>::builder().betas(0.8, 0.99).betas, (0.8, 0.99));
    /// ```
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        self.betas = (beta1, beta2);
        self
    }

    /// Sets `ε`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::Adam::<f64>::builder().eps(1e-6).eps, 1e-6);
    /// ```
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Switches AMSGrad on or off.
    ///
    /// ```
    /// assert!(tapegrad_optim::Adam::<f64>::builder().amsgrad(true).amsgrad);
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
    /// let err = tapegrad_optim::Adam::<f64>::builder().learning_rate(-1.0).build().unwrap_err();
    /// assert_eq!(err.to_string(), "Adam: invalid learning_rate = -1.0 (must be finite and ≥ 0)");
    /// ```
    pub fn build(self) -> Result<Adam<T>, OptimError> {
        self.validate("Adam")?;
        Ok(Stateful::with_rule(self))
    }

    /// The checks of `build`, shared with AdamW (which names itself in the errors).
    pub(crate) fn validate(&self, optimizer: &'static str) -> Result<(), OptimError> {
        self.validate_shared(optimizer)?;
        let check = Owner::Optimizer(optimizer);
        check.non_negative("eps", self.eps)?;
        check.unit_interval("beta1", self.betas.0)?;
        check.unit_interval("beta2", self.betas.1)?;
        Ok(())
    }

    /// A fresh state for a parameter of this shape: zero moments, step 0.
    ///
    /// ```
    /// let state = tapegrad_optim::Adam::<f64>::builder().amsgrad(true).new_state(&[2, 3]);
    /// assert_eq!((state.step, state.exp_avg.shape()), (0, &[2, 3][..]));
    /// assert!(state.max_exp_avg_sq.is_some());
    /// ```
    pub fn new_state(&self, shape: &[usize]) -> AdamState<T> {
        AdamState {
            step: 0,
            exp_avg: ArrayD::zeros(shape),
            exp_avg_sq: ArrayD::zeros(shape),
            max_exp_avg_sq: self.amsgrad.then(|| ArrayD::zeros(shape)),
        }
    }

    /// The update rule for one parameter `θ` with gradient `∇θ`, as `torch.optim.Adam`
    /// (its single-tensor implementation):
    ///
    /// ```text
    /// t ← t + 1
    /// g ← ∇θ + λθ                              (when λ ≠ 0)
    /// m ← β₁·m + (1 − β₁)·g                    (as torch.lerp: m + (1 − β₁)(g − m))
    /// v ← β₂·v + (1 − β₂)·g²
    /// v̂ ← max(v̂, v), and v̂ is used for v below (AMSGrad only)
    /// denominator = √v / √(1 − β₂ᵗ) + ε
    /// θ ← θ − (γ / (1 − β₁ᵗ)) · m / denominator
    /// ```
    ///
    /// Both moments are bias-corrected, and `ε` is added after the square root of the
    /// bias-corrected second moment. `t`, `m`, `v` and `v̂` are the state's `step`,
    /// `exp_avg`, `exp_avg_sq` and `max_exp_avg_sq`; `γ` is read now, so a schedule may
    /// change it between steps.
    ///
    /// # Panics
    /// If the gradient's or the state's shape differs from the parameter's.
    ///
    /// ```
    /// use ndarray::array;
    /// let config = tapegrad_optim::Adam::<f64>::builder().learning_rate(0.1);
    /// let mut theta = array![1.0, 1.0].into_dyn();
    /// let mut state = config.new_state(&[2]);
    /// config.update(theta.view_mut(), array![4.0, -0.5].into_dyn().view(), &mut state);
    /// // First step: m / (1 − β₁) = g and √(v / (1 − β₂)) = |g|, so θ moves by ≈ γ·sign(g).
    /// assert!((&theta - &array![0.9, 1.1].into_dyn()).iter().all(|d| d.abs() < 1e-8));
    /// ```
    pub fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut AdamState<T>) {
        assert_shapes("Adam", &param, &grad, Some(state.exp_avg.shape()));
        assert_shapes("Adam", &param, &grad, Some(state.exp_avg_sq.shape()));
        state.step = state.step.saturating_add(1);
        let AdamConfig { learning_rate, betas: (beta1, beta2), eps, weight_decay, amsgrad, .. } = *self;
        let step = T::from_f64(state.step as f64);
        let bias_correction1 = T::one() - beta1.powf(step);
        let bias_correction2 = T::one() - beta2.powf(step);
        let step_size = learning_rate / bias_correction1;
        let bias_correction2_sqrt = bias_correction2.sqrt();

        let decayed = move |g: T, p: T| if weight_decay != T::zero() { g + weight_decay * p } else { g };
        let moments = |p: &mut T, g: T, m: &mut T, v: &mut T| {
            let g = decayed(g, *p);
            *m = lerp(*m, g, T::one() - beta1);
            *v = *v * beta2 + (T::one() - beta2) * g * g;
            g
        };
        let (exp_avg, exp_avg_sq) = (state.exp_avg.view_mut(), state.exp_avg_sq.view_mut());
        if amsgrad {
            let max = state.max_exp_avg_sq.get_or_insert_with(|| ArrayD::zeros(param.raw_dim()));
            assert_shapes("Adam", &param, &grad, Some(max.shape()));
            for_each5(param, grad, exp_avg, exp_avg_sq, max.view_mut(), |p, g, m, v, max| {
                moments(p, g, m, v);
                *max = max.nan_max(*v);
                let denominator = max.sqrt() / bias_correction2_sqrt + eps;
                *p += step_ratio((-step_size) * *m, denominator);
            });
        } else {
            for_each4(param, grad, exp_avg, exp_avg_sq, |p, g, m, v| {
                moments(p, g, m, v);
                let denominator = v.sqrt() / bias_correction2_sqrt + eps;
                *p += step_ratio((-step_size) * *m, denominator);
            });
        }
    }
}

/// What Adam (and AdamW) remember about one parameter.
///
/// ```
/// let state = tapegrad_optim::Adam::<f32>::builder().new_state(&[3]);
/// assert_eq!(state.exp_avg_sq, ndarray::ArrayD::<f32>::zeros(vec![3]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AdamState<T> {
    /// `t`, the steps taken (PyTorch's `state['step']`), which the bias corrections use.
    pub step: u64,
    /// `m`, the moving average of gradients.
    pub exp_avg: ArrayD<T>,
    /// `v`, the moving average of squared gradients.
    pub exp_avg_sq: ArrayD<T>,
    /// `v̂`, the largest `v` so far, with AMSGrad.
    pub max_exp_avg_sq: Option<ArrayD<T>>,
}

/// Adam (`torch.optim.Adam`): the rule is [`AdamConfig::update`]; one [`AdamState`] per
/// parameter name.
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{Adam, NamedParam, Optimizer};
/// let mut adam = Adam::builder().learning_rate(0.1).build().unwrap();
/// let mut w = array![1.0];
/// for _ in 0..3 {
///     let _report = adam.step_params(&mut [NamedParam::new("w", &mut w, &array![2.0])]).unwrap();
/// }
/// // A constant gradient: every step moves by ≈ γ.
/// assert!((w[0] - 0.7f64).abs() < 1e-7);
/// assert_eq!(adam.state("w").unwrap().step, 3);
/// ```
pub type Adam<T> = Stateful<T, AdamConfig<T>>;

impl<T: Float> Adam<T> {
    /// PyTorch's defaults, to adjust with the setters and finish with `build()`.
    ///
    /// ```
    /// let adam = tapegrad_optim::Adam::<f64>::builder().build().unwrap();
    /// assert_eq!(adam.config().eps, 1e-8);
    /// ```
    pub fn builder() -> AdamConfig<T> {
        AdamConfig::default()
    }
}

impl<T: Float> UpdateRule<T> for AdamConfig<T> {
    type State = AdamState<T>;
    const NAME: &'static str = "Adam";

    shared_rule_methods!();

    fn new_state(&self, shape: &[usize]) -> AdamState<T> {
        AdamConfig::new_state(self, shape)
    }

    fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut AdamState<T>) {
        AdamConfig::update(self, param, grad, state);
    }

    fn check_state(&self, state: &AdamState<T>) -> Result<(), String> {
        check_moments(self.betas, state)
    }
}

/// The relation between Adam's two moments that every real run keeps, whatever its
/// gradients: `m = Σ (1−β₁)β₁ᵗ⁻ⁱ gᵢ` and `v = Σ (1−β₂)β₂ᵗ⁻ⁱ gᵢ²`, so by Cauchy–Schwarz
/// `m² ≤ K·v` with `K = (1−β₁)² / ((1−β₂)(1 − β₁²/β₂))` when `β₁² < β₂` (52.9 for the
/// defaults). A state within it moves a parameter by a bounded multiple of the learning
/// rate on the next step; an `exp_avg` of `f32::MAX` beside an ordinary `exp_avg_sq`
/// (which would make the weight infinite) is refused. (For betas with `β₁² ≥ β₂` there is
/// no such bound, and nothing more is checked.)
pub(crate) fn check_moments<T: Float>(betas: (T, T), state: &AdamState<T>) -> Result<(), String> {
    let (beta1, beta2) = (<T as Float>::to_f64(betas.0), <T as Float>::to_f64(betas.1));
    if beta1 * beta1 >= beta2 || beta2 >= 1.0 {
        return Ok(());
    }
    let k = (1.0 - beta1).powi(2) / ((1.0 - beta2) * (1.0 - beta1 * beta1 / beta2));
    // Rounding in the running averages, and a v that underflowed where m did not.
    let f = |x: &T| <T as Float>::to_f64(*x);
    let slack = |v: f64| 1.01 * k * (v + f(&T::min_positive_value()));
    let mut pairs = state.exp_avg.indexed_iter().zip(state.exp_avg_sq.iter());
    match pairs.find(|((_, m), v)| f(m).powi(2) > slack(f(v))) {
        Some(((index, m), v)) => Err(format!(
            "buffer `exp_avg`: element {:?} = {m:?} is too large for its `exp_avg_sq` {v:?}: a run with \
             betas ({:?}, {:?}) keeps exp_avg² ≤ {k:.1}·exp_avg_sq",
            ndarray::Dimension::slice(&index),
            betas.0,
            betas.1
        )),
        None => Ok(()),
    }
}
