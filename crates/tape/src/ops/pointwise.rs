//! Elementwise functions of one tensor: `exp`, `log`, `sqrt`, `powf`, `abs`, `square`.

use ndarray::{ArrayD, ArrayViewD, Zip};

use super::{grads, sign_code, InputGrads, Op};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `eˣ` elementwise. `∂L/∂x = ∂L/∂y · eˣ` (reuses the output `y`).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0, 1.0]);
    /// let grads = tape.backward(x.exp().sum());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![1.0, 1f64.exp()].into_dyn());
    /// ```
    #[track_caller]
    pub fn exp(&self) -> Var<'t, T> {
        self.tape.apply(Exp, &[*self])
    }

    /// Natural logarithm elementwise. `∂L/∂x = ∂L/∂y / x`. `log(0) = −∞`, negative inputs
    /// give NaN, as in IEEE arithmetic.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 4.0]);
    /// let grads = tape.backward(x.log().sum());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![1.0, 0.25].into_dyn());
    /// ```
    #[track_caller]
    pub fn log(&self) -> Var<'t, T> {
        self.tape.apply(Log, &[*self])
    }

    /// `√x` elementwise. `∂L/∂x = ∂L/∂y / (2√x)` (infinite at 0).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![4.0]);
    /// let grads = tape.backward(x.sqrt().sum());
    /// assert_eq!(grads.get(x).unwrap()[[0]], 0.25);
    /// ```
    #[track_caller]
    pub fn sqrt(&self) -> Var<'t, T> {
        self.tape.apply(Sqrt, &[*self])
    }

    /// `xᵖ` elementwise for a constant exponent `p`. `∂L/∂x = ∂L/∂y · p · xᵖ⁻¹`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![3.0]);
    /// let grads = tape.backward(x.powf(3.0).sum());
    /// assert_eq!(grads.get(x).unwrap()[[0]], 27.0); // 3 · 3²
    /// ```
    #[track_caller]
    pub fn powf(&self, p: T) -> Var<'t, T> {
        self.tape.apply(Powf(p), &[*self])
    }

    /// `x²` elementwise (recorded as `powf(2)`). `∂L/∂x = ∂L/∂y · 2x`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![-3.0]);
    /// assert_eq!(tape.backward(x.square().sum()).get(x).unwrap()[[0]], -6.0);
    /// ```
    #[track_caller]
    pub fn square(&self) -> Var<'t, T> {
        self.powf(T::from_f64(2.0))
    }

    /// `|x|` elementwise. `∂L/∂x = ∂L/∂y · sign(x)`, with `sign(0) = 0` (PyTorch's choice).
    /// Has a kink at 0.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![-2.0, 0.0, 3.0]);
    /// let grads = tape.backward(x.abs().sum());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![-1.0, 0.0, 1.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn abs(&self) -> Var<'t, T> {
        self.tape.apply(Abs, &[*self])
    }
}

/// `y = eˣ`; `∂L/∂x = ∂L/∂y · y`.
pub(crate) struct Exp;
impl<T: Float> Op<T> for Exp {
    fn name(&self) -> &'static str {
        "exp"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(T::exp)
    }
    fn backward(
        &self,
        _x: &[ArrayViewD<'_, T>],
        y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        grads([Some(Zip::from(grad_y).and(y).map_collect(|&g, &y| g * y))])
    }
}

/// `y = ln x`; `∂L/∂x = ∂L/∂y / x`.
pub(crate) struct Log;
impl<T: Float> Op<T> for Log {
    fn name(&self) -> &'static str {
        "log"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(T::ln)
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        grads([Some(Zip::from(grad_y).and(x).map_collect(|&g, &x| g / x))])
    }
}

/// `y = √x`; `∂L/∂x = ∂L/∂y / (2y)`.
pub(crate) struct Sqrt;
impl<T: Float> Op<T> for Sqrt {
    fn name(&self) -> &'static str {
        "sqrt"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(T::sqrt)
    }
    fn backward(
        &self,
        _x: &[ArrayViewD<'_, T>],
        y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let two = T::from_f64(2.0);
        grads([Some(Zip::from(grad_y).and(y).map_collect(|&g, &y| g / (two * y)))])
    }
}

/// `y = xᵖ`; `∂L/∂x = ∂L/∂y · p · xᵖ⁻¹`.
pub(crate) struct Powf<T>(pub(crate) T);
impl<T: Float> Op<T> for Powf<T> {
    fn name(&self) -> &'static str {
        "powf"
    }
    fn describe(&self) -> String {
        format!("p={}", self.0)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        let p = self.0;
        x.mapv(|v| v.powf(p))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        let p = self.0;
        let p_minus_one = p - T::one();
        grads([Some(Zip::from(grad_y).and(x).map_collect(|&g, &x| g * p * x.powf(p_minus_one)))])
    }
}

/// `y = |x|`; `∂L/∂x = ∂L/∂y · sign(x)` with `sign(0) = 0`.
pub(crate) struct Abs;
impl<T: Float> Op<T> for Abs {
    fn name(&self) -> &'static str {
        "abs"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(T::abs)
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        let sign = |x: T| {
            if x > T::zero() {
                T::one()
            } else if x < T::zero() {
                -T::one()
            } else {
                T::zero()
            }
        };
        grads([Some(Zip::from(grad_y).and(x).map_collect(|&g, &x| g * sign(x)))])
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        let x = &inputs[0];
        Some(x.iter().map(|&v| sign_code(v)).collect())
    }
}
