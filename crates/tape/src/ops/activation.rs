//! Activation functions: `tanh`, `sigmoid`, `relu`, `leaky_relu`, `softplus`, `log_sigmoid`,
//! `silu`, `gelu`, `gelu_tanh`, and the error function `erf` that the exact GELU is made of.

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

impl<'t, T: Float> Var<'t, T> {
    /// SiLU (swish) `x·σ(x)`, PyTorch's `silu`.
    /// `∂L/∂x = ∂L/∂y · σ(x)·(1 + x·(1 − σ(x)))`; twice differentiable.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0f64, 2.0]);
    /// let y = x.silu();
    /// let s = 1.0 / (1.0 + (-2f64).exp()); // σ(2)
    /// assert_eq!(y.value(), ndarray::array![0.0, 2.0 * s].into_dyn());
    /// let grads = tape.backward(y.sum());
    /// let dx = grads.get(x).unwrap();
    /// assert_eq!(dx[[0]], 0.5); // σ(0)·(1 + 0)
    /// assert!((dx[[1]] - s * (1.0 + 2.0 * (1.0 - s))).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn silu(&self) -> Var<'t, T> {
        self.tape.apply(Unary(SiluFn), &[*self])
    }

    /// GELU, exact: `x·Φ(x)` with `Φ(x) = ½(1 + erf(x/√2))` the standard normal
    /// distribution function (PyTorch's `gelu`, `approximate='none'`).
    /// `∂L/∂x = ∂L/∂y · (Φ(x) + x·φ(x))`, `φ(x) = e^(−x²/2)/√(2π)`; twice differentiable.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0f64, 1.0]);
    /// let y = x.gelu();
    /// assert!((y.value()[[1]] - 0.8413447460685429).abs() < 1e-15); // Φ(1)
    /// let grads = tape.backward(y.sum());
    /// let dx = grads.get(x).unwrap();
    /// assert_eq!(dx[[0]], 0.5); // Φ(0)
    /// assert!((dx[[1]] - (0.8413447460685429 + (-0.5f64).exp() / (2.0 * std::f64::consts::PI).sqrt())).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn gelu(&self) -> Var<'t, T> {
        self.tape.apply(Unary(GeluFn), &[*self])
    }

    /// GELU, tanh approximation (PyTorch's `gelu(…, approximate='tanh')`):
    /// `½x·(1 + tanh u)`, `u = √(2/π)·(x + 0.044715x³)`.
    /// `∂L/∂x = ∂L/∂y · (½(1 + tanh u) + ½x·(1 − tanh²u)·√(2/π)·(1 + 3·0.044715x²))`;
    /// twice differentiable.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0f64, 1.0]);
    /// let y = x.gelu_tanh();
    /// assert!((y.value()[[1]] - 0.8411919906082768).abs() < 1e-15); // near Φ(1) = 0.84134
    /// assert_eq!(tape.backward(y.sum()).get(x).unwrap()[[0]], 0.5);
    /// ```
    #[track_caller]
    pub fn gelu_tanh(&self) -> Var<'t, T> {
        self.tape.apply(Unary(GeluTanhFn), &[*self])
    }

    /// The error function `erf x = (2/√π)∫₀ˣ e^(−t²) dt` (PyTorch's `erf`).
    /// `∂L/∂x = ∂L/∂y · (2/√π)·e^(−x²)`; twice differentiable.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0f64, 1.0]);
    /// let y = x.erf();
    /// assert!((y.value()[[1]] - 0.8427007929497149).abs() < 1e-15);
    /// let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    /// assert_eq!(tape.backward(y.sum()).get(x).unwrap()[[0]], two_over_sqrt_pi);
    /// ```
    #[track_caller]
    pub fn erf(&self) -> Var<'t, T> {
        self.tape.apply(Unary(ErfFn), &[*self])
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
        Float::nan_max(x, T::zero())
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
        Float::nan_min(x, T::zero()) - (-x.abs()).exp().ln_1p()
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
        Float::nan_max(x, T::zero()) + (-x.abs()).exp().ln_1p()
    }
    fn derivative(&self, x: T, _y: T) -> T {
        stable_sigmoid(x)
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.sigmoid())
    }
}

/// `y = x·σ(x)`; `dy/dx = σ(x)·(1 + x·(1 − σ(x)))`.
pub(crate) struct SiluFn;
impl<T: Float> UnaryFn<T> for SiluFn {
    fn name(&self) -> &'static str {
        "silu"
    }
    fn rule(&self) -> Option<String> {
        Some("y = x·σ(x);  ∂L/∂x = ∂L/∂y · σ(x)(1 + x(1 − σ(x)))".into())
    }
    fn value(&self, x: T) -> T {
        x * stable_sigmoid(x)
    }
    fn derivative(&self, x: T, _y: T) -> T {
        let s = stable_sigmoid(x);
        s * (T::one() + x * (T::one() - s))
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        let s = x.sigmoid();
        Some(s * (x * s.neg().add_scalar(T::one())).add_scalar(T::one()))
    }
}

/// `1/√(2π)`, the standard normal density's constant.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `y = x·Φ(x)`, `Φ(x) = ½(1 + erf(x/√2))`; `dy/dx = Φ(x) + x·φ(x)`.
pub(crate) struct GeluFn;
impl<T: Float> UnaryFn<T> for GeluFn {
    fn name(&self) -> &'static str {
        "gelu"
    }
    fn rule(&self) -> Option<String> {
        Some(
            "y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2));  ∂L/∂x = ∂L/∂y · (Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π)"
                .into(),
        )
    }
    fn value(&self, x: T) -> T {
        // As PyTorch computes it, so that the values agree to the last bit or two.
        x * T::from_f64(0.5) * (T::one() + (x * T::from_f64(std::f64::consts::FRAC_1_SQRT_2)).erf())
    }
    fn derivative(&self, x: T, _y: T) -> T {
        let cdf = T::from_f64(0.5) * (T::one() + (x * T::from_f64(std::f64::consts::FRAC_1_SQRT_2)).erf());
        let pdf = T::from_f64(FRAC_1_SQRT_2PI) * (x * x * T::from_f64(-0.5)).exp();
        cdf + x * pdf
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        let cdf = x
            .mul_scalar(T::from_f64(std::f64::consts::FRAC_1_SQRT_2))
            .erf()
            .add_scalar(T::one())
            .mul_scalar(T::from_f64(0.5));
        let pdf = x.square().mul_scalar(T::from_f64(-0.5)).exp().mul_scalar(T::from_f64(FRAC_1_SQRT_2PI));
        Some(cdf + x * pdf)
    }
}

/// GELU's tanh approximation: `√(2/π)` and the cubic's coefficient.
const GELU_BETA: f64 = 0.797_884_560_802_865_4;
const GELU_KAPPA: f64 = 0.044_715;

/// `y = ½x(1 + tanh u)`, `u = √(2/π)(x + κx³)`;
/// `dy/dx = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3κx²)`.
pub(crate) struct GeluTanhFn;
impl<T: Float> UnaryFn<T> for GeluTanhFn {
    fn name(&self) -> &'static str {
        "gelu_tanh"
    }
    fn rule(&self) -> Option<String> {
        Some("y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³);  ∂L/∂x = ∂L/∂y · (½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²))".into())
    }
    fn value(&self, x: T) -> T {
        let (beta, kappa, half) = (T::from_f64(GELU_BETA), T::from_f64(GELU_KAPPA), T::from_f64(0.5));
        half * x * (T::one() + (beta * (x + kappa * x * x * x)).tanh())
    }
    fn derivative(&self, x: T, _y: T) -> T {
        let (beta, kappa, half) = (T::from_f64(GELU_BETA), T::from_f64(GELU_KAPPA), T::from_f64(0.5));
        let t = (beta * (x + kappa * x * x * x)).tanh();
        let inner = beta * (T::one() + T::from_f64(3.0) * kappa * x * x);
        half * (T::one() + t) + half * x * (T::one() - t * t) * inner
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        let (beta, kappa, half) = (T::from_f64(GELU_BETA), T::from_f64(GELU_KAPPA), T::from_f64(0.5));
        let t = (x + x.powf(T::from_f64(3.0)).mul_scalar(kappa)).mul_scalar(beta).tanh();
        let inner = x.square().mul_scalar(T::from_f64(3.0) * kappa * beta).add_scalar(beta);
        let sech2 = t.square().neg().add_scalar(T::one());
        Some(t.add_scalar(T::one()).mul_scalar(half) + x.mul_scalar(half) * sech2 * inner)
    }
}

/// `y = erf x`; `dy/dx = (2/√π)·e^(−x²)`.
pub(crate) struct ErfFn;
impl<T: Float> UnaryFn<T> for ErfFn {
    fn name(&self) -> &'static str {
        "erf"
    }
    fn rule(&self) -> Option<String> {
        Some("y = erf x;  ∂L/∂x = ∂L/∂y · (2/√π)·e^(−x²)".into())
    }
    fn value(&self, x: T) -> T {
        x.erf()
    }
    fn derivative(&self, x: T, _y: T) -> T {
        T::from_f64(std::f64::consts::FRAC_2_SQRT_PI) * (-(x * x)).exp()
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.square().neg().exp().mul_scalar(T::from_f64(std::f64::consts::FRAC_2_SQRT_PI)))
    }
}
