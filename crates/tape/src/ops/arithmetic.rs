//! Arithmetic: `+ − × ÷` between tensors (NumPy broadcasting), negation, and a tensor with
//! a scalar constant.
//!
//! For a broadcast operand, each rule below gives the gradient at the output's shape;
//! it is then summed over the broadcast axes back to the operand's shape
//! ([`sum_to_shape`](crate::sum_to_shape)).

use super::{Binary, BinaryFn, Unary, UnaryFn};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `self + other`, broadcasting. `∂L/∂a = ∂L/∂y`, `∂L/∂b = ∂L/∂y` (each summed back to
    /// its operand's shape).
    ///
    /// # Panics
    /// If the shapes do not broadcast; the message names both shapes.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let a = tape.var(array![[1.0, 2.0], [3.0, 4.0]]);
    /// let b = tape.var(array![10.0, 20.0]);
    /// let y = a.add(&b);
    /// assert_eq!(y.value(), array![[11.0, 22.0], [13.0, 24.0]].into_dyn());
    /// // b was broadcast over 2 rows, so ∂Σy/∂b = [2, 2]
    /// assert_eq!(tape.backward(y.sum()).get(b).unwrap(), &array![2.0, 2.0].into_dyn());
    /// ```
    #[track_caller]
    #[allow(clippy::should_implement_trait)] // the operator traits are implemented too
    pub fn add(&self, other: &Var<'t, T>) -> Var<'t, T> {
        self.tape.apply(Binary(AddFn), &[*self, *other])
    }

    /// `self − other`, broadcasting. `∂L/∂a = ∂L/∂y`, `∂L/∂b = −∂L/∂y`.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let a = tape.var(array![5.0, 7.0]);
    /// let b = tape.var(array![1.0]);
    /// let grads = tape.backward(a.sub(&b).sum());
    /// assert_eq!(grads.get(b).unwrap(), &array![-2.0].into_dyn());
    /// ```
    #[track_caller]
    #[allow(clippy::should_implement_trait)]
    pub fn sub(&self, other: &Var<'t, T>) -> Var<'t, T> {
        self.tape.apply(Binary(SubFn), &[*self, *other])
    }

    /// `self · other` elementwise, broadcasting. `∂L/∂a = ∂L/∂y · b`, `∂L/∂b = ∂L/∂y · a`.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let a = tape.var(array![2.0, 3.0]);
    /// let b = tape.var(array![4.0, 5.0]);
    /// let grads = tape.backward(a.mul(&b).sum());
    /// assert_eq!(grads.get(a).unwrap(), &array![4.0, 5.0].into_dyn());
    /// assert_eq!(grads.get(b).unwrap(), &array![2.0, 3.0].into_dyn());
    /// ```
    #[track_caller]
    #[allow(clippy::should_implement_trait)]
    pub fn mul(&self, other: &Var<'t, T>) -> Var<'t, T> {
        self.tape.apply(Binary(MulFn), &[*self, *other])
    }

    /// `self / other` elementwise, broadcasting. `∂L/∂a = ∂L/∂y / b`,
    /// `∂L/∂b = −∂L/∂y · a / b²`.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let a = tape.var(array![6.0]);
    /// let b = tape.var(array![2.0]);
    /// let grads = tape.backward(a.div(&b).sum());
    /// assert_eq!(grads.get(a).unwrap()[[0]], 0.5);   // 1 / b
    /// assert_eq!(grads.get(b).unwrap()[[0]], -1.5);  // −a / b²
    /// ```
    #[track_caller]
    #[allow(clippy::should_implement_trait)]
    pub fn div(&self, other: &Var<'t, T>) -> Var<'t, T> {
        self.tape.apply(Binary(DivFn), &[*self, *other])
    }

    /// `−self`. `∂L/∂x = −∂L/∂y`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, -2.0]);
    /// assert_eq!(x.neg().value(), ndarray::array![-1.0, 2.0].into_dyn());
    /// ```
    #[track_caller]
    #[allow(clippy::should_implement_trait)]
    pub fn neg(&self) -> Var<'t, T> {
        self.tape.apply(Unary(NegFn), &[*self])
    }

    /// `self + c` for a constant `c`. `∂L/∂x = ∂L/∂y`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0]);
    /// assert_eq!(x.add_scalar(2.0).item(), 3.0);
    /// ```
    #[track_caller]
    pub fn add_scalar(&self, c: T) -> Var<'t, T> {
        self.tape.apply(Unary(AddScalarFn(c)), &[*self])
    }

    /// `self − c` for a constant `c` (recorded as `add_scalar(−c)`). `∂L/∂x = ∂L/∂y`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0]);
    /// assert_eq!(x.sub_scalar(2.0).item(), -1.0);
    /// ```
    #[track_caller]
    pub fn sub_scalar(&self, c: T) -> Var<'t, T> {
        self.add_scalar(-c)
    }

    /// `self · c` for a constant `c`. `∂L/∂x = c · ∂L/∂y`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.5]);
    /// let grads = tape.backward(x.mul_scalar(4.0).sum());
    /// assert_eq!(grads.get(x).unwrap()[[0]], 4.0);
    /// ```
    #[track_caller]
    pub fn mul_scalar(&self, c: T) -> Var<'t, T> {
        self.tape.apply(Unary(MulScalarFn(c)), &[*self])
    }

    /// `self / c` for a constant `c` (recorded as `mul_scalar(1/c)`). `∂L/∂x = ∂L/∂y / c`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![3.0]);
    /// assert_eq!(x.div_scalar(2.0).item(), 1.5);
    /// ```
    #[track_caller]
    pub fn div_scalar(&self, c: T) -> Var<'t, T> {
        self.mul_scalar(T::one() / c)
    }
}

/// `y = a + b`; `∂y/∂a = 1`, `∂y/∂b = 1`.
pub(crate) struct AddFn;
impl<T: Float> BinaryFn<T> for AddFn {
    fn name(&self) -> &'static str {
        "add"
    }
    fn rule(&self) -> Option<String> {
        Some("y = a + b;  ∂L/∂a = ∂L/∂y,  ∂L/∂b = ∂L/∂y".into())
    }
    fn value(&self, a: T, b: T) -> T {
        a + b
    }
    fn partials(&self, _a: T, _b: T, _y: T) -> (T, T) {
        (T::one(), T::one())
    }
    fn constant_partials(&self) -> Option<(T, T)> {
        Some((T::one(), T::one()))
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}

/// `y = a − b`; `∂y/∂a = 1`, `∂y/∂b = −1`.
pub(crate) struct SubFn;
impl<T: Float> BinaryFn<T> for SubFn {
    fn name(&self) -> &'static str {
        "sub"
    }
    fn rule(&self) -> Option<String> {
        Some("y = a − b;  ∂L/∂a = ∂L/∂y,  ∂L/∂b = −∂L/∂y".into())
    }
    fn value(&self, a: T, b: T) -> T {
        a - b
    }
    fn partials(&self, _a: T, _b: T, _y: T) -> (T, T) {
        (T::one(), -T::one())
    }
    fn constant_partials(&self) -> Option<(T, T)> {
        Some((T::one(), -T::one()))
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}

/// `y = a · b`; `∂y/∂a = b`, `∂y/∂b = a`.
pub(crate) struct MulFn;
impl<T: Float> BinaryFn<T> for MulFn {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn rule(&self) -> Option<String> {
        Some("y = a·b;  ∂L/∂a = ∂L/∂y · b,  ∂L/∂b = ∂L/∂y · a".into())
    }
    fn value(&self, a: T, b: T) -> T {
        a * b
    }
    fn partials(&self, a: T, b: T, _y: T) -> (T, T) {
        (b, a)
    }
    fn partials_var<'t>(
        &self,
        a: Var<'t, T>,
        b: Var<'t, T>,
        _y: Var<'t, T>,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        Some((b, a))
    }
}

/// `y = a / b`; `∂y/∂a = 1/b`, `∂y/∂b = −a/b²`.
pub(crate) struct DivFn;
impl<T: Float> BinaryFn<T> for DivFn {
    fn name(&self) -> &'static str {
        "div"
    }
    fn rule(&self) -> Option<String> {
        Some("y = a / b;  ∂L/∂a = ∂L/∂y / b,  ∂L/∂b = −∂L/∂y · a / b²".into())
    }
    fn value(&self, a: T, b: T) -> T {
        a / b
    }
    fn partials(&self, a: T, b: T, _y: T) -> (T, T) {
        (T::one() / b, -a / (b * b))
    }
    fn partials_var<'t>(
        &self,
        _a: Var<'t, T>,
        b: Var<'t, T>,
        y: Var<'t, T>,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        Some((b.powf(-T::one()), (y / b).neg()))
    }
}

/// `y = −x`; `dy/dx = −1`.
pub(crate) struct NegFn;
impl<T: Float> UnaryFn<T> for NegFn {
    fn name(&self) -> &'static str {
        "neg"
    }
    fn rule(&self) -> Option<String> {
        Some("y = −x;  ∂L/∂x = −∂L/∂y".into())
    }
    fn value(&self, x: T) -> T {
        -x
    }
    fn derivative(&self, _x: T, _y: T) -> T {
        -T::one()
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}

/// `y = x + c`; `dy/dx = 1`.
pub(crate) struct AddScalarFn<T>(pub(crate) T);
impl<T: Float> UnaryFn<T> for AddScalarFn<T> {
    fn name(&self) -> &'static str {
        "add_scalar"
    }
    fn rule(&self) -> Option<String> {
        Some("y = x + c;  ∂L/∂x = ∂L/∂y".into())
    }
    fn describe(&self) -> String {
        format!("c={}", self.0)
    }
    fn value(&self, x: T) -> T {
        x + self.0
    }
    fn derivative(&self, _x: T, _y: T) -> T {
        T::one()
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}

/// `y = c · x`; `dy/dx = c`.
pub(crate) struct MulScalarFn<T>(pub(crate) T);
impl<T: Float> UnaryFn<T> for MulScalarFn<T> {
    fn name(&self) -> &'static str {
        "mul_scalar"
    }
    fn rule(&self) -> Option<String> {
        Some("y = c·x;  ∂L/∂x = c · ∂L/∂y".into())
    }
    fn describe(&self) -> String {
        format!("c={}", self.0)
    }
    fn value(&self, x: T) -> T {
        x * self.0
    }
    fn derivative(&self, _x: T, _y: T) -> T {
        self.0
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}
