//! Activation functions: `tanh`, `sigmoid`, `relu`, `leaky_relu`, `softplus`.

use ndarray::{ArrayD, ArrayViewD, Zip};

use super::{grads, sign_code, InputGrads, Op};
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
        self.tape.apply(Tanh, &[*self])
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
        self.tape.apply(Sigmoid, &[*self])
    }

    /// Rectified linear unit `max(0, x)`. `∂L/∂x = ∂L/∂y · 1[x > 0]`: the derivative at
    /// exactly 0 is 0 (PyTorch's choice).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![-1.0, 0.0, 2.0]);
    /// let grads = tape.backward(x.relu().sum());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![0.0, 0.0, 1.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Var<'t, T> {
        self.tape.apply(Relu, &[*self])
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
        self.tape.apply(LeakyRelu(slope), &[*self])
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
        self.tape.apply(Softplus, &[*self])
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

/// `y = tanh x`; `∂L/∂x = ∂L/∂y · (1 − y²)`.
pub(crate) struct Tanh;
impl<T: Float> Op<T> for Tanh {
    fn name(&self) -> &'static str {
        "tanh"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(T::tanh)
    }
    fn backward(
        &self,
        _x: &[ArrayViewD<'_, T>],
        y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        grads([Some(Zip::from(grad_y).and(y).map_collect(|&g, &y| g * (T::one() - y * y)))])
    }
}

/// `y = σ(x)`; `∂L/∂x = ∂L/∂y · y (1 − y)`.
pub(crate) struct Sigmoid;
impl<T: Float> Op<T> for Sigmoid {
    fn name(&self) -> &'static str {
        "sigmoid"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(stable_sigmoid)
    }
    fn backward(
        &self,
        _x: &[ArrayViewD<'_, T>],
        y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        grads([Some(Zip::from(grad_y).and(y).map_collect(|&g, &y| g * y * (T::one() - y)))])
    }
}

/// `y = max(0, x)`; `∂L/∂x = ∂L/∂y · 1[x > 0]` (0 at the kink, like PyTorch).
pub(crate) struct Relu;
impl<T: Float> Op<T> for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(|v| v.max(T::zero()))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        grads([Some(
            Zip::from(grad_y).and(x).map_collect(|&g, &x| if x > T::zero() { g } else { T::zero() }),
        )])
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        let x = &inputs[0];
        Some(x.iter().map(|&v| sign_code(v)).collect())
    }
}

/// `y = x if x > 0 else slope·x`; `∂L/∂x = ∂L/∂y · (1 if x > 0 else slope)`.
pub(crate) struct LeakyRelu<T>(pub(crate) T);
impl<T: Float> Op<T> for LeakyRelu<T> {
    fn name(&self) -> &'static str {
        "leaky_relu"
    }
    fn describe(&self) -> String {
        format!("slope={}", self.0)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        let slope = self.0;
        x.mapv(|v| if v > T::zero() { v } else { slope * v })
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        let slope = self.0;
        grads([Some(
            Zip::from(grad_y).and(x).map_collect(|&g, &x| if x > T::zero() { g } else { g * slope }),
        )])
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        let x = &inputs[0];
        Some(x.iter().map(|&v| sign_code(v)).collect())
    }
}

/// `y = ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|))`; `∂L/∂x = ∂L/∂y · σ(x)`.
pub(crate) struct Softplus;
impl<T: Float> Op<T> for Softplus {
    fn name(&self) -> &'static str {
        "softplus"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(|v| v.max(T::zero()) + (-v.abs()).exp().ln_1p())
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        grads([Some(Zip::from(grad_y).and(x).map_collect(|&g, &x| g * stable_sigmoid(x)))])
    }
}
