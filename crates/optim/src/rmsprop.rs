//! RMSprop: steps divided by a moving root-mean-square of the gradient, optionally centered.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use tapegrad_tape::Float;

use crate::config::{shared_hyperparameters, shared_rule_methods};
use crate::elementwise::{lerp, step_ratio};
use crate::error::{OptimError, Owner};
use crate::kernels::{for_each3, for_each4, for_each5};
use crate::optimizer::assert_shapes;
use crate::{GradientClipping, Stateful, UpdateRule};

/// RMSprop's hyperparameters, with `torch.optim.RMSprop`'s defaults, and its update rule.
///
/// ```
/// use tapegrad_optim::RmsProp;
/// // torch.optim.RMSprop(params, lr=0.01, momentum=0.9, centered=True)
/// let rmsprop = RmsProp::<f64>::builder().momentum(0.9).centered(true).build().unwrap();
/// assert_eq!(rmsprop.config().alpha, 0.99);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropConfig<T> {
    /// `γ` (`lr`), default `10⁻²`.
    pub learning_rate: T,
    /// `α`, the smoothing constant of the moving averages, default `0.99`.
    pub alpha: T,
    /// `ε`, added to the denominator, default `10⁻⁸`.
    pub eps: T,
    /// `λ`, an L2 penalty added to the gradient, default 0.
    pub weight_decay: T,
    /// `μ`, default 0 (no momentum buffer).
    pub momentum: T,
    /// Centered: divide by an estimate of the gradient's standard deviation instead of
    /// its root mean square, default off.
    pub centered: bool,
    /// Gradient clipping before each step, default none.
    pub clipping: GradientClipping<T>,
}

impl<T: Float> Default for RmsPropConfig<T> {
    fn default() -> Self {
        RmsPropConfig {
            learning_rate: T::from_f64(1e-2),
            alpha: T::from_f64(0.99),
            eps: T::from_f64(1e-8),
            weight_decay: T::zero(),
            momentum: T::zero(),
            centered: false,
            clipping: GradientClipping::None,
        }
    }
}

shared_hyperparameters!(RmsPropConfig, "RmsProp");

impl<T: Float> RmsPropConfig<T> {
    /// Sets the smoothing constant `α`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::RmsProp::<f64>::builder().alpha(0.9).alpha, 0.9);
    /// ```
    pub fn alpha(mut self, alpha: T) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets `ε`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::RmsProp::<f64>::builder().eps(1e-6).eps, 1e-6);
    /// ```
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the momentum `μ`.
    ///
    /// ```
    /// assert_eq!(tapegrad_optim::RmsProp::<f64>::builder().momentum(0.9).momentum, 0.9);
    /// ```
    pub fn momentum(mut self, momentum: T) -> Self {
        self.momentum = momentum;
        self
    }

    /// Switches the centered variant on or off.
    ///
    /// ```
    /// assert!(tapegrad_optim::RmsProp::<f64>::builder().centered(true).centered);
    /// ```
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }

    /// Checks the hyperparameters as PyTorch does, and more strictly where PyTorch's range
    /// lets the update turn NaN or diverge, and makes the optimizer.
    ///
    /// # Errors
    /// [`OptimError::InvalidHyperparameter`] for a negative, infinite or NaN learning rate, `ε`,
    /// weight decay or clipping threshold, a momentum outside `[0, 1)` or an `α` outside
    /// `[0, 1]` (above 1 the running average of squares goes negative).
    ///
    /// ```
    /// let err = tapegrad_optim::RmsProp::<f64>::builder().alpha(f64::NAN).build().unwrap_err();
    /// assert_eq!(err.to_string(), "RmsProp: invalid alpha = NaN (must be in [0, 1])");
    /// ```
    pub fn build(self) -> Result<RmsProp<T>, OptimError> {
        self.validate_shared("RmsProp")?;
        let check = Owner::Optimizer("RmsProp");
        check.non_negative("eps", self.eps)?;
        check.unit_interval("momentum", self.momentum)?;
        check.fraction("alpha", self.alpha)?;
        Ok(Stateful::with_rule(self))
    }

    /// A fresh state for a parameter of this shape: zero averages (and a zero momentum
    /// buffer when `μ > 0`, a zero gradient average when centered).
    ///
    /// ```
    /// let state = tapegrad_optim::RmsProp::<f64>::builder().centered(true).new_state(&[2]);
    /// assert!(state.grad_avg.is_some() && state.momentum_buffer.is_none());
    /// ```
    pub fn new_state(&self, shape: &[usize]) -> RmsPropState<T> {
        RmsPropState {
            step: 0,
            square_avg: ArrayD::zeros(shape),
            momentum_buffer: (self.momentum > T::zero()).then(|| ArrayD::zeros(shape)),
            grad_avg: self.centered.then(|| ArrayD::zeros(shape)),
        }
    }

    /// The update rule for one parameter `θ` with gradient `∇θ`, as `torch.optim.RMSprop`:
    ///
    /// ```text
    /// t ← t + 1
    /// g ← ∇θ + λθ                             (when λ ≠ 0)
    /// v ← α·v + (1 − α)·g²
    /// centered:  ḡ ← α·ḡ + (1 − α)·g  (as torch.lerp);  d ← √(v − ḡ²) + ε
    /// otherwise: d ← √v + ε
    /// μ > 0:     b ← μ·b + g / d;  θ ← θ − γ·b
    /// otherwise: θ ← θ − γ·g / d
    /// ```
    ///
    /// `t`, `v`, `ḡ` and `b` are the state's `step`, `square_avg`, `grad_avg` and
    /// `momentum_buffer`.
    ///
    /// # Panics
    /// If the gradient's or the state's shape differs from the parameter's.
    ///
    /// ```
    /// use ndarray::array;
    /// let config = tapegrad_optim::RmsProp::builder().learning_rate(0.1).alpha(0.75).eps(0.0);
    /// let mut theta = array![1.0].into_dyn();
    /// let mut state = config.new_state(&[1]);
    /// config.update(theta.view_mut(), array![2.0].into_dyn().view(), &mut state);
    /// // v = 0.25 · 2² = 1, so θ = 1 − 0.1 · 2 / √1
    /// assert_eq!(theta[[0]], 0.8);
    /// ```
    pub fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut RmsPropState<T>) {
        assert_shapes("RmsProp", &param, &grad, Some(state.square_avg.shape()));
        state.step = state.step.saturating_add(1);
        let RmsPropConfig { learning_rate, alpha, eps, weight_decay, momentum, centered, .. } = *self;
        let zeros = || ArrayD::zeros(param.raw_dim());
        let grad_avg = if centered { Some(state.grad_avg.get_or_insert_with(zeros)) } else { None };
        let buffer =
            if momentum > T::zero() { Some(state.momentum_buffer.get_or_insert_with(zeros)) } else { None };
        for array in grad_avg.iter().chain(buffer.iter()) {
            assert_shapes("RmsProp", &param, &grad, Some(array.shape()));
        }
        let square_avg = state.square_avg.view_mut();
        // v ← αv + (1 − α)g², returning the decayed gradient g.
        let average = |p: &mut T, g: T, v: &mut T| {
            let g = if weight_decay != T::zero() { g + weight_decay * *p } else { g };
            *v = *v * alpha + (T::one() - alpha) * g * g;
            g
        };
        let centered_denominator = |g: T, v: T, grad_avg: &mut T| {
            *grad_avg = lerp(*grad_avg, g, T::one() - alpha);
            // v − ḡ² ≥ 0 in exact arithmetic; rounding can take it just below 0, whose √ is
            // NaN. A NaN variance stays NaN.
            let variance = v + (-T::one()) * *grad_avg * *grad_avg;
            (if variance < T::zero() { T::zero() } else { variance }).sqrt() + eps
        };
        let with_momentum = |p: &mut T, g: T, denominator: T, b: &mut T| {
            *b = *b * momentum + step_ratio(g, denominator);
            *p += (-learning_rate) * *b;
        };
        match (grad_avg, buffer) {
            (None, None) => for_each3(param, grad, square_avg, |p, g, v| {
                let g = average(p, g, v);
                *p += step_ratio((-learning_rate) * g, v.sqrt() + eps);
            }),
            (Some(grad_avg), None) => {
                for_each4(param, grad, square_avg, grad_avg.view_mut(), |p, g, v, a| {
                    let g = average(p, g, v);
                    *p += step_ratio((-learning_rate) * g, centered_denominator(g, *v, a));
                })
            }
            (None, Some(buffer)) => for_each4(param, grad, square_avg, buffer.view_mut(), |p, g, v, b| {
                let g = average(p, g, v);
                with_momentum(p, g, v.sqrt() + eps, b);
            }),
            (Some(grad_avg), Some(buffer)) => {
                for_each5(param, grad, square_avg, grad_avg.view_mut(), buffer.view_mut(), |p, g, v, a, b| {
                    let g = average(p, g, v);
                    with_momentum(p, g, centered_denominator(g, *v, a), b);
                })
            }
        }
    }
}

/// What RMSprop remembers about one parameter.
///
/// ```
/// let state = tapegrad_optim::RmsProp::<f64>::builder().momentum(0.5).new_state(&[3]);
/// assert_eq!(state.momentum_buffer.unwrap().len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RmsPropState<T> {
    /// `t`, the steps taken (PyTorch's `state['step']`; the rule does not read it).
    pub step: u64,
    /// `v`, the moving average of squared gradients.
    pub square_avg: ArrayD<T>,
    /// `b`, when `μ > 0`.
    pub momentum_buffer: Option<ArrayD<T>>,
    /// `ḡ`, the moving average of gradients, when centered.
    pub grad_avg: Option<ArrayD<T>>,
}

/// RMSprop (`torch.optim.RMSprop`): the rule is [`RmsPropConfig::update`]; one
/// [`RmsPropState`] per parameter name.
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{NamedParam, Optimizer, RmsProp};
/// let mut rmsprop = RmsProp::builder().build().unwrap();
/// let mut w = array![1.0];
/// let _report = rmsprop.step_params(&mut [NamedParam::new("w", &mut w, &array![1.0])]).unwrap();
/// // v = 0.01 · 1², so the first step is γ / √0.01 = 10γ
/// assert!((w[0] - 0.9f64).abs() < 1e-7);
/// ```
pub type RmsProp<T> = Stateful<T, RmsPropConfig<T>>;

impl<T: Float> RmsProp<T> {
    /// PyTorch's defaults, to adjust with the setters and finish with `build()`.
    ///
    /// ```
    /// let rmsprop = tapegrad_optim::RmsProp::<f64>::builder().build().unwrap();
    /// assert_eq!(rmsprop.config().eps, 1e-8);
    /// ```
    pub fn builder() -> RmsPropConfig<T> {
        RmsPropConfig::default()
    }
}

impl<T: Float> UpdateRule<T> for RmsPropConfig<T> {
    type State = RmsPropState<T>;
    const NAME: &'static str = "RmsProp";

    shared_rule_methods!();

    fn new_state(&self, shape: &[usize]) -> RmsPropState<T> {
        RmsPropConfig::new_state(self, shape)
    }

    fn update(&self, param: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>, state: &mut RmsPropState<T>) {
        RmsPropConfig::update(self, param, grad, state);
    }

    /// The relations every real run keeps: the centred `grad_avg` and `square_avg` are
    /// averages with the same weights (summing to at most 1) of `g` and `g²`, so
    /// `grad_avg² ≤ square_avg` (Jensen); without centring, each step adds
    /// `g / (√square_avg + ε)` with `square_avg ≥ (1−α)g²` to the momentum buffer, so
    /// `|buffer| ≤ 1 / ((1−μ)√(1−α))`.
    fn check_state(&self, state: &RmsPropState<T>) -> Result<(), String> {
        let f = |x: &T| <T as Float>::to_f64(*x);
        let tiny = f(&T::min_positive_value());
        if let Some(grad_avg) = &state.grad_avg {
            let mut pairs = grad_avg.indexed_iter().zip(state.square_avg.iter());
            if let Some(((index, a), v)) = pairs.find(|((_, a), v)| f(a).powi(2) > 1.01 * (f(v) + tiny)) {
                return Err(format!(
                    "buffer `grad_avg`: element {:?} = {a:?} is too large for its `square_avg` {v:?}: a run keeps \
                     grad_avg² ≤ square_avg",
                    ndarray::Dimension::slice(&index)
                ));
            }
        }
        let (momentum, alpha) = (f(&self.momentum), f(&self.alpha));
        if let (Some(buffer), false, true) =
            (&state.momentum_buffer, self.centered, momentum < 1.0 && alpha < 1.0)
        {
            let bound = 1.01 / ((1.0 - momentum) * (1.0 - alpha).sqrt());
            if let Some((index, b)) = buffer.indexed_iter().find(|(_, b)| f(b).abs() > bound) {
                return Err(format!(
                    "buffer `momentum_buffer`: element {:?} = {b:?} is beyond {bound:.3e}, more than a run with \
                     momentum {:?} and alpha {:?} can accumulate",
                    ndarray::Dimension::slice(&index),
                    self.momentum,
                    self.alpha
                ));
            }
        }
        Ok(())
    }
}
