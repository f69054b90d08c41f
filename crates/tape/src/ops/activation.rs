//! Activation functions: `tanh`, `sigmoid`, `relu`, `leaky_relu`, `softplus`, `log_sigmoid`.

use super::{sign_code, Unary, UnaryFn};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Hyperbolic tangent. `∂L/∂x = ∂L/∂y · (1 − y²)`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0]);
    /// assert_eq!(tape.backward(x.tanh().sum()).get(x).unwrap()[[0]], 1.0);
    /// ```
    #[track_caller]
    pub fn tanh(&self) -> Var<'t, T> {
        self.tape.apply(Unary(TanhFn), &[*self])
    }

    /// Logistic sigmoid `σ(x) = 1 / (1 + e⁻ˣ)`, computed without overflow for large `|x|`.
    /// `∂L/∂x = ∂L/∂y · y (1 − y)`. A fused primitive for stability: composed from `exp`
    /// it would overflow to `∞·0 = NaN` in backward at `x = −1000`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0, -1000.0]);
    /// let grads = tape.backward(x.sigmoid().sum());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![0.25, 0.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn sigmoid(&self) -> Var<'t, T> {
        self.tape.apply(Unary(SigmoidFn), &[*self])
    }

    /// Rectified linear unit `max(0, x)`. `∂L/∂x = ∂L/∂y · 1[x > 0]`: the derivative at
    /// exactly 0 is 0 (PyTorch's choice). A NaN stays NaN (as in PyTorch), so a NaN input
    /// shows in the loss instead of vanishing.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![-1.0, 0.0, 2.0]);
    /// let grads = tape.backward(x.relu().sum());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![0.0, 0.0, 1.0].into_dyn());
    /// assert!(tape.constant(ndarray::array![f64::NAN]).relu().sum().item().is_nan());
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Var<'t, T> {
        self.tape.apply(Unary(ReluFn), &[*self])
    }

    /// Leaky ReLU: `x` for `x > 0`, `slope · x` otherwise.
    /// `∂L/∂x = ∂L/∂y · (1 if x > 0 else slope)` (slope at exactly 0, like PyTorch).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![-2.0, 3.0]);
    /// let y = x.leaky_relu(0.1);
    /// assert_eq!(y.value(), ndarray::array![-0.2, 3.0].into_dyn());
    /// assert_eq!(tape.backward(y.sum()).get(x).unwrap(), &ndarray::array![0.1, 1.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn leaky_relu(&self, slope: T) -> Var<'t, T> {
        self.tape.apply(Unary(LeakyReluFn(slope)), &[*self])
    }

    /// Softplus `ln(1 + eˣ)`, computed as `max(x, 0) + ln(1 + e^(−|x|))` so it is finite
    /// for any `x`. `∂L/∂x = ∂L/∂y · σ(x)`. Fused for stability.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0, 1000.0]);
    /// let y = x.softplus();
    /// assert_eq!(y.value(), ndarray::array![2f64.ln(), 1000.0].into_dyn());
    /// assert_eq!(tape.backward(y.sum()).get(x).unwrap(), &ndarray::array![0.5, 1.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn softplus(&self) -> Var<'t, T> {
        self.tape.apply(Unary(SoftplusFn), &[*self])
    }

    /// `ln σ(x) = −softplus(−x)`, computed as `min(x, 0) − ln(1 + e^(−|x|))` so it is finite
    /// for any finite `x` (PyTorch's `logsigmoid`; the composition `x.sigmoid().log()` is
    /// −∞ from x ≈ −745 in f64). `∂L/∂x = ∂L/∂y · σ(−x) = ∂L/∂y · (1 − σ(x))`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0, -1000.0, 1000.0]);
    /// let y = x.log_sigmoid();
    /// assert_eq!(y.value(), ndarray::array![-(2f64.ln()), -1000.0, 0.0].into_dyn());
    /// assert_eq!(tape.backward(y.sum()).get(x).unwrap(), &ndarray::array![0.5, 1.0, 0.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn log_sigmoid(&self) -> Var<'t, T> {
        self.tape.apply(Unary(LogSigmoidFn), &[*self])
    }
}

/// `σ(x)` without overflow: `1/(1+e⁻ˣ)` for `x ≥ 0`, `eˣ/(1+eˣ)` for `x < 0`.
pub(crate) fn stable_sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// `y = tanh x`; `dy/dx = 1 − y²`.
pub(crate) struct TanhFn;
impl<T: Float> UnaryFn<T> for TanhFn {
    fn name(&self) -> &'static str {
        "tanh"
    }
    fn rule(&self) -> Option<String> {
        Some("y = tanh x;  ∂L/∂x = ∂L/∂y · (1 − y²)".into())
    }
    fn value(&self, x: T) -> T {
        // f32: a branch-free tanh the loops vectorise, within 2 ulp (crate::math); f64: std.
        x.tanh_kernel()
    }
    fn derivative(&self, _x: T, y: T) -> T {
        T::one() - y * y
    }
    fn derivative_var<'t>(&self, _x: Var<'t, T>, y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(y.square().neg().add_scalar(T::one()))
    }
}

/// `y = σ(x)`; `dy/dx = y (1 − y)`.
pub(crate) struct SigmoidFn;
impl<T: Float> UnaryFn<T> for SigmoidFn {
    fn name(&self) -> &'static str {
        "sigmoid"
    }
    fn rule(&self) -> Option<String> {
        Some("y = σ(x);  ∂L/∂x = ∂L/∂y · y(1 − y)".into())
    }
    fn value(&self, x: T) -> T {
        stable_sigmoid(x)
    }
    fn derivative(&self, _x: T, y: T) -> T {
        y * (T::one() - y)
    }
    fn derivative_var<'t>(&self, _x: Var<'t, T>, y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(y * y.neg().add_scalar(T::one()))
    }
}

/// `y = max(0, x)`; `dy/dx = 1[x > 0]` (0 at the kink, like PyTorch). A NaN stays NaN,
/// as in PyTorch.
pub(crate) struct ReluFn;
impl<T: Float> UnaryFn<T> for ReluFn {
    fn name(&self) -> &'static str {
        "relu"
    }
    fn rule(&self) -> Option<String> {
        Some("y = max(0, x);  ∂L/∂x = ∂L/∂y where x > 0, else 0".into())
    }
    fn value(&self, x: T) -> T {
        crate::math::nan_max(x, T::zero())
    }
    fn derivative(&self, x: T, _y: T) -> T {
        if x > T::zero() {
            T::one()
        } else {
            T::zero()
        }
    }
    fn branch(&self, x: T) -> Option<i8> {
        Some(sign_code(x))
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}

/// `y = x if x > 0 else slope·x`; `dy/dx = 1 if x > 0 else slope`.
pub(crate) struct LeakyReluFn<T>(pub(crate) T);
impl<T: Float> UnaryFn<T> for LeakyReluFn<T> {
    fn name(&self) -> &'static str {
        "leaky_relu"
    }
    fn rule(&self) -> Option<String> {
        Some("y = x if x > 0 else αx;  ∂L/∂x = ∂L/∂y · (1 or α)".into())
    }
    fn describe(&self) -> String {
        format!("slope={}", self.0)
    }
    fn value(&self, x: T) -> T {
        if x > T::zero() {
            x
        } else {
            self.0 * x
        }
    }
    fn derivative(&self, x: T, _y: T) -> T {
        if x > T::zero() {
            T::one()
        } else {
            self.0
        }
    }
    fn branch(&self, x: T) -> Option<i8> {
        Some(sign_code(x))
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}

/// `y = ln σ(x) = min(x, 0) − ln(1 + e^(−|x|))`; `dy/dx = σ(−x)`.
pub(crate) struct LogSigmoidFn;
impl<T: Float> UnaryFn<T> for LogSigmoidFn {
    fn name(&self) -> &'static str {
        "log_sigmoid"
    }
    fn rule(&self) -> Option<String> {
        Some("y = ln σ(x);  ∂L/∂x = ∂L/∂y · (1 − σ(x))".into())
    }
    fn value(&self, x: T) -> T {
        crate::math::nan_min(x, T::zero()) - (-x.abs()).exp().ln_1p()
    }
    fn derivative(&self, x: T, _y: T) -> T {
        stable_sigmoid(-x)
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.neg().sigmoid())
    }
}

/// `y = ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|))`; `dy/dx = σ(x)`.
pub(crate) struct SoftplusFn;
impl<T: Float> UnaryFn<T> for SoftplusFn {
    fn name(&self) -> &'static str {
        "softplus"
    }
    fn rule(&self) -> Option<String> {
        Some("y = ln(1 + eˣ);  ∂L/∂x = ∂L/∂y · σ(x)".into())
    }
    fn value(&self, x: T) -> T {
        crate::math::nan_max(x, T::zero()) + (-x.abs()).exp().ln_1p()
    }
    fn derivative(&self, x: T, _y: T) -> T {
        stable_sigmoid(x)
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.sigmoid())
    }
}
