//! Piecewise selections: `maximum`/`minimum` of two tensors and `clamp` to a range.

use super::{sign_code, Binary, BinaryFn, Unary, UnaryFn};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise maximum of two tensors, broadcasting.
    /// `∂L/∂a = ∂L/∂y · 1[a > b]`, `∂L/∂b = ∂L/∂y · 1[b > a]`; where `a = b` the gradient
    /// is split evenly, `½ ∂L/∂y` to each (as PyTorch's `maximum`). NaN where either is NaN.
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
        self.tape.apply(Binary(ExtremumFn { max: true }), &[*self, *other])
    }

    /// Elementwise minimum of two tensors, broadcasting; ties split the gradient evenly; NaN
    /// where either is NaN.
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
        self.tape.apply(Binary(ExtremumFn { max: false }), &[*self, *other])
    }

    /// Clamps every element to `[low, high]`. `∂L/∂x = ∂L/∂y · 1[low ≤ x ≤ high]`: the
    /// gradient is 0 outside the range and passes through on its closed ends (PyTorch).
    /// Use `T::neg_infinity()` or `T::infinity()` for a one-sided clamp. A NaN stays NaN.
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
        self.tape.apply(Unary(ClampFn { low, high }), &[*self])
    }
}

/// `y = max(a, b)` (or `min`); the gradient goes to the selected operand, half to each
/// on a tie: `∂y/∂a = 1[a wins] + ½·1[a = b]`, and likewise for `b`.
pub(crate) struct ExtremumFn {
    pub(crate) max: bool,
}
impl ExtremumFn {
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
impl<T: Float> BinaryFn<T> for ExtremumFn {
    fn name(&self) -> &'static str {
        if self.max {
            "maximum"
        } else {
            "minimum"
        }
    }
    fn rule(&self) -> Option<String> {
        Some(
            if self.max {
                "y = max(a, b);  ∂L/∂y goes to the larger input (halved on ties)"
            } else {
                "y = min(a, b);  ∂L/∂y goes to the smaller input (halved on ties)"
            }
            .into(),
        )
    }
    fn value(&self, a: T, b: T) -> T {
        // NaN if either is NaN, as PyTorch's `maximum`/`minimum`.
        if self.max {
            Float::nan_max(a, b)
        } else {
            Float::nan_min(a, b)
        }
    }
    fn partials(&self, a: T, b: T, _y: T) -> (T, T) {
        (self.share_of_a(a, b), self.share_of_a(b, a))
    }
    fn branch(&self, a: T, b: T) -> Option<i8> {
        Some(sign_code(a - b))
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}

/// `y = min(max(x, low), high)`; `dy/dx = 1[low ≤ x ≤ high]`.
pub(crate) struct ClampFn<T> {
    low: T,
    high: T,
}
impl<T: Float> UnaryFn<T> for ClampFn<T> {
    fn name(&self) -> &'static str {
        "clamp"
    }
    fn rule(&self) -> Option<String> {
        Some("y = clamp(x, lo, hi);  ∂L/∂x = ∂L/∂y inside [lo, hi], else 0".into())
    }
    fn describe(&self) -> String {
        format!("low={}, high={}", self.low, self.high)
    }
    fn value(&self, x: T) -> T {
        // A NaN stays NaN, as in PyTorch.
        Float::nan_min(Float::nan_max(x, self.low), self.high)
    }
    fn derivative(&self, x: T, _y: T) -> T {
        if x >= self.low && x <= self.high {
            T::one()
        } else {
            T::zero()
        }
    }
    fn branch(&self, x: T) -> Option<i8> {
        Some(sign_code(x - self.low) * 3 + sign_code(x - self.high))
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}
