//! Arithmetic: `+ − × ÷` between tensors (NumPy broadcasting), negation, and a tensor with
//! a scalar constant.
//!
//! For a broadcast operand, each rule below gives the gradient at the output's shape;
//! it is then summed over the broadcast axes back to the operand's shape
//! ([`sum_to_shape`](crate::sum_to_shape)).

use ndarray::{ArrayD, ArrayViewD};

use super::{binary_grad, check_broadcast, grads, sum_to_shape, zip_broadcast, InputGrads, Op};
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
        self.tape.apply(AddOp, &[*self, *other])
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
        self.tape.apply(SubOp, &[*self, *other])
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
        self.tape.apply(MulOp, &[*self, *other])
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
        self.tape.apply(DivOp, &[*self, *other])
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
        self.tape.apply(NegOp, &[*self])
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
        self.tape.apply(AddScalarOp(c), &[*self])
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
        self.tape.apply(MulScalarOp(c), &[*self])
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

/// `y = a + b`; `∂L/∂a = ∂L/∂y`, `∂L/∂b = ∂L/∂y` (summed back over broadcast axes).
pub(crate) struct AddOp;
impl<T: Float> Op<T> for AddOp {
    fn name(&self) -> &'static str {
        "add"
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        check_broadcast(shapes)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let a = &inputs[0];
        let b = &inputs[1];
        zip_broadcast(a, b, |x, y| x + y)
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
            wanted[0].then(|| sum_to_shape(grad_y.to_owned(), a.shape())),
            wanted[1].then(|| sum_to_shape(grad_y.to_owned(), b.shape())),
        ])
    }
}

/// `y = a − b`; `∂L/∂a = ∂L/∂y`, `∂L/∂b = −∂L/∂y`.
pub(crate) struct SubOp;
impl<T: Float> Op<T> for SubOp {
    fn name(&self) -> &'static str {
        "sub"
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        check_broadcast(shapes)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let a = &inputs[0];
        let b = &inputs[1];
        zip_broadcast(a, b, |x, y| x - y)
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
            wanted[0].then(|| sum_to_shape(grad_y.to_owned(), a.shape())),
            wanted[1].then(|| sum_to_shape(grad_y.mapv(|g| -g), b.shape())),
        ])
    }
}

/// `y = a · b`; `∂L/∂a = ∂L/∂y · b`, `∂L/∂b = ∂L/∂y · a`.
pub(crate) struct MulOp;
impl<T: Float> Op<T> for MulOp {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        check_broadcast(shapes)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let a = &inputs[0];
        let b = &inputs[1];
        zip_broadcast(a, b, |x, y| x * y)
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
            wanted[0].then(|| binary_grad(grad_y, a, b, a.shape(), |g, _, b| g * b)),
            wanted[1].then(|| binary_grad(grad_y, a, b, b.shape(), |g, a, _| g * a)),
        ])
    }
}

/// `y = a / b`; `∂L/∂a = ∂L/∂y / b`, `∂L/∂b = −∂L/∂y · a / b²`.
pub(crate) struct DivOp;
impl<T: Float> Op<T> for DivOp {
    fn name(&self) -> &'static str {
        "div"
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        check_broadcast(shapes)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let a = &inputs[0];
        let b = &inputs[1];
        zip_broadcast(a, b, |x, y| x / y)
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
            wanted[0].then(|| binary_grad(grad_y, a, b, a.shape(), |g, _, b| g / b)),
            wanted[1].then(|| binary_grad(grad_y, a, b, b.shape(), |g, a, b| -g * a / (b * b))),
        ])
    }
}

/// `y = −x`; `∂L/∂x = −∂L/∂y`.
pub(crate) struct NegOp;
impl<T: Float> Op<T> for NegOp {
    fn name(&self) -> &'static str {
        "neg"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        x.mapv(|v| -v)
    }
    fn backward(
        &self,
        _x: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        grads([Some(grad_y.mapv(|g| -g))])
    }
}

/// `y = x + c`; `∂L/∂x = ∂L/∂y`.
pub(crate) struct AddScalarOp<T>(pub(crate) T);
impl<T: Float> Op<T> for AddScalarOp<T> {
    fn name(&self) -> &'static str {
        "add_scalar"
    }
    fn describe(&self) -> String {
        format!("c={}", self.0)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        let c = self.0;
        x.mapv(|v| v + c)
    }
    fn backward(
        &self,
        _x: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        grads([Some(grad_y.to_owned())])
    }
}

/// `y = c · x`; `∂L/∂x = c · ∂L/∂y`.
pub(crate) struct MulScalarOp<T>(pub(crate) T);
impl<T: Float> Op<T> for MulScalarOp<T> {
    fn name(&self) -> &'static str {
        "mul_scalar"
    }
    fn describe(&self) -> String {
        format!("c={}", self.0)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        let c = self.0;
        x.mapv(|v| v * c)
    }
    fn backward(
        &self,
        _x: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_y: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let c = self.0;
        grads([Some(grad_y.mapv(|g| g * c))])
    }
}
