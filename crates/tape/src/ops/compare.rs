//! Piecewise selections: `maximum`/`minimum` of two tensors and `clamp` to a range.

use ndarray::{ArrayD, ArrayViewD, IxDyn, Zip};

use super::{binary_grad, check_broadcast, grads, sign_code, zip_broadcast, InputGrads, Op};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise maximum of two tensors, broadcasting.
    /// `∂L/∂a = ∂L/∂y · 1[a > b]`, `∂L/∂b = ∂L/∂y · 1[b > a]`; where `a = b` the gradient
    /// is split evenly, `½ ∂L/∂y` to each (as PyTorch's `maximum`).
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let a = tape.var(array![1.0, 5.0, 2.0]);
    /// let b = tape.var(array![3.0, 4.0, 2.0]);
    /// let grads = tape.backward(a.maximum(&b).sum());
    /// assert_eq!(grads.get(a).unwrap(), &array![0.0, 1.0, 0.5].into_dyn());
    /// ```
    #[track_caller]
    pub fn maximum(&self, other: &Var<'t, T>) -> Var<'t, T> {
        self.tape.apply(Extremum { max: true }, &[*self, *other])
    }

    /// Elementwise minimum of two tensors, broadcasting; ties split the gradient evenly.
    /// `∂L/∂a = ∂L/∂y · 1[a < b]`, `∂L/∂b = ∂L/∂y · 1[b < a]`.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let a = tape.var(array![1.0, 5.0]);
    /// let b = tape.var(array![3.0]);
    /// assert_eq!(a.minimum(&b).value(), array![1.0, 3.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn minimum(&self, other: &Var<'t, T>) -> Var<'t, T> {
        self.tape.apply(Extremum { max: false }, &[*self, *other])
    }

    /// Clamps every element to `[low, high]`. `∂L/∂x = ∂L/∂y · 1[low ≤ x ≤ high]`: the
    /// gradient is 0 outside the range and passes through on its closed ends (PyTorch).
    /// Use `T::neg_infinity()` or `T::infinity()` for a one-sided clamp.
    ///
    /// # Panics
    /// If `low > high`.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![-2.0, 0.5, 3.0]);
    /// let y = x.clamp(0.0, 1.0);
    /// assert_eq!(y.value(), array![0.0, 0.5, 1.0].into_dyn());
    /// assert_eq!(tape.backward(y.sum()).get(x).unwrap(), &array![0.0, 1.0, 0.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn clamp(&self, low: T, high: T) -> Var<'t, T> {
        assert!(low <= high, "clamp: low ({low}) must not exceed high ({high})");
        self.tape.apply(Clamp { low, high }, &[*self])
    }
}

/// `y = max(a, b)` (or `min`); the gradient goes to the selected operand, half to each
/// on a tie.
pub(crate) struct Extremum {
    pub(crate) max: bool,
}
impl Extremum {
    /// 1 where `a` is selected, 0 where `b` is, ½ on a tie.
    fn share_of_a<T: Float>(&self, a: T, b: T) -> T {
        let a_wins = if self.max { a > b } else { a < b };
        if a == b {
            T::from_f64(0.5)
        } else if a_wins {
            T::one()
        } else {
            T::zero()
        }
    }
}
impl<T: Float> Op<T> for Extremum {
    fn name(&self) -> &'static str {
        if self.max {
            "maximum"
        } else {
            "minimum"
        }
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        check_broadcast(shapes)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let a = &inputs[0];
        let b = &inputs[1];
        if self.max {
            zip_broadcast(a, b, T::max)
        } else {
            zip_broadcast(a, b, T::min)
        }
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        wanted: &[bool],
    ) -> InputGrads<T> {
        let a = &inputs[0];
        let b = &inputs[1];
        grads([
            wanted[0].then(|| binary_grad(grad_y, a, b, a.shape(), |g, a, b| g * self.share_of_a(a, b))),
            wanted[1].then(|| binary_grad(grad_y, a, b, b.shape(), |g, a, b| g * self.share_of_a(b, a))),
        ])
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        let a = &inputs[0];
        let b = &inputs[1];
        let shape = super::broadcast_shape(a.shape(), b.shape())?;
        let a = a.broadcast(IxDyn(&shape))?;
        let b = b.broadcast(IxDyn(&shape))?;
        Some(a.iter().zip(b.iter()).map(|(&x, &y)| sign_code(x - y)).collect())
    }
}

/// `y = min(max(x, low), high)`; `∂L/∂x = ∂L/∂y · 1[low ≤ x ≤ high]`.
pub(crate) struct Clamp<T> {
    low: T,
    high: T,
}
impl<T: Float> Op<T> for Clamp<T> {
    fn name(&self) -> &'static str {
        "clamp"
    }
    fn describe(&self) -> String {
        format!("low={}, high={}", self.low, self.high)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(|v| v.max(self.low).min(self.high))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        let inside = |x: T| x >= self.low && x <= self.high;
        grads([Some(Zip::from(grad_y).and(x).map_collect(|&g, &x| if inside(x) { g } else { T::zero() }))])
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        let x = &inputs[0];
        Some(x.iter().map(|&v| sign_code(v - self.low) * 3 + sign_code(v - self.high)).collect())
    }
}
