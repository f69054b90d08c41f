//! Sine and cosine, elementwise: the rotations of bundle adjustment (Rodrigues' formula)
//! and of a hand model's joint angles are built from them.

use super::{Unary, UnaryFn};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `sin x` elementwise (radians). `∂L/∂x = ∂L/∂y · cos x`.
    ///
    /// Differentiable to any order: the recorded derivative is `cos x`, whose own is
    /// `−sin x`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0, std::f64::consts::FRAC_PI_2]);
    /// let y = x.sin();
    /// assert_eq!(y.value(), ndarray::array![0.0, 1.0].into_dyn());
    /// let grads = tape.backward(y.sum());
    /// // d/dx sin x = cos x: 1 at 0, (almost) 0 at π/2
    /// assert_eq!(grads.get(x).unwrap()[[0]], 1.0);
    /// assert!(grads.get(x).unwrap()[[1]].abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn sin(&self) -> Var<'t, T> {
        self.tape.apply(Unary(SinFn), &[*self])
    }

    /// `cos x` elementwise (radians). `∂L/∂x = −∂L/∂y · sin x`.
    ///
    /// Differentiable to any order: the recorded derivative is `−sin x`, whose own is
    /// `−cos x`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0, std::f64::consts::FRAC_PI_2]);
    /// let grads = tape.backward(x.cos().sum());
    /// // d/dx cos x = −sin x: 0 at 0, −1 at π/2
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![0.0, -1.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn cos(&self) -> Var<'t, T> {
        self.tape.apply(Unary(CosFn), &[*self])
    }
}

/// `y = sin x`; `dy/dx = cos x`.
pub(crate) struct SinFn;
impl<T: Float> UnaryFn<T> for SinFn {
    fn name(&self) -> &'static str {
        "sin"
    }
    fn rule(&self) -> Option<String> {
        Some("y = sin x;  ∂L/∂x = ∂L/∂y · cos x".into())
    }
    fn value(&self, x: T) -> T {
        x.sin()
    }
    fn derivative(&self, x: T, _y: T) -> T {
        x.cos()
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.cos())
    }
}

/// `y = cos x`; `dy/dx = −sin x`.
pub(crate) struct CosFn;
impl<T: Float> UnaryFn<T> for CosFn {
    fn name(&self) -> &'static str {
        "cos"
    }
    fn rule(&self) -> Option<String> {
        Some("y = cos x;  ∂L/∂x = −∂L/∂y · sin x".into())
    }
    fn value(&self, x: T) -> T {
        x.cos()
    }
    fn derivative(&self, x: T, _y: T) -> T {
        -x.sin()
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.sin().neg())
    }
}
