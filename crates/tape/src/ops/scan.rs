//! Moving along an axis: `shift` (each element takes its neighbour's place, zeros come
//! in) and `cumsum` (running totals). An ODE whose `i`-th rate reads the `(i−1)`-th state
//! is one `shift`; a prefix sum is one `cumsum`.

use ndarray::{ArrayD, ArrayViewD, Axis, Slice};

use super::{grads, InputGrads, Op, VarGrads};
use super::{linear_tangent_batch_rule, linear_tangent_rule};
use crate::{pool, Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Shifts the elements `offset` places along `axis`: `y[i] = x[i − offset]`, with zeros
    /// where `i − offset` falls outside (no wrap-around, unlike `torch.roll`).
    /// `∂L/∂x[j] = ∂L/∂y[j + offset]` (the gradient shifted back, zeros at the other end).
    ///
    /// # Panics
    /// If `axis` is out of range for the value's shape (the message names both).
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0, 3.0]);
    /// let y = x.shift(0, 1);
    /// assert_eq!(y.value(), array![0.0, 1.0, 2.0].into_dyn());
    /// // L = Σ w·y with w = [10, 20, 30]: ∂L/∂x = [20, 30, 0]
    /// let w = tape.constant(array![10.0, 20.0, 30.0]);
    /// let grads = tape.backward((y * w).sum());
    /// assert_eq!(grads.get(x).unwrap(), &array![20.0, 30.0, 0.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn shift(&self, axis: usize, offset: isize) -> Var<'t, T> {
        self.tape.apply(Shift { axis, offset }, &[*self])
    }

    /// Running sums along `axis` (`torch.cumsum`): `y[i] = Σ_{j ≤ i} x[j]`.
    /// `∂L/∂x[j] = Σ_{i ≥ j} ∂L/∂y[i]`: the gradient summed from the other end.
    ///
    /// # Panics
    /// If `axis` is out of range for the value's shape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let y = x.cumsum(1);
    /// assert_eq!(y.value(), array![[1.0, 3.0, 6.0], [4.0, 9.0, 15.0]].into_dyn());
    /// // ∂(Σ y)/∂x[j] counts the sums x[j] is in: 3, 2, 1 along each row
    /// let grads = tape.backward(y.sum());
    /// assert_eq!(grads.get(x).unwrap(), &array![[3.0, 2.0, 1.0], [3.0, 2.0, 1.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn cumsum(&self, axis: usize) -> Var<'t, T> {
        self.tape.apply(CumSum { axis, reverse: false }, &[*self])
    }
}

fn check_axis(axis: usize, shape: &[usize]) -> Result<(), String> {
    match axis < shape.len() {
        true => Ok(()),
        false => Err(format!("axis {axis} out of range for shape {shape:?}")),
    }
}

/// `y[i] = x[i − offset]` along an axis (0 outside); `∂L/∂x[j] = ∂L/∂y[j + offset]`.
pub(crate) struct Shift {
    axis: usize,
    offset: isize,
}

impl Shift {
    /// `y[i] = x[i − offset]`, zeros outside.
    fn run<T: Float>(&self, x: &ArrayViewD<'_, T>) -> ArrayD<T> {
        let len = x.shape()[self.axis];
        let by = self.offset.unsigned_abs().min(len);
        let (from, to) = match self.offset >= 0 {
            true => (0..len - by, by..len),
            false => (by..len, 0..len - by),
        };
        let inner: usize = x.shape()[self.axis + 1..].iter().product();
        if let (Some(source), true) = (x.as_slice(), len * inner > 0) {
            // Standard layout: each block along the axis is one copy and one fill of its
            // contiguous runs (an n-d `assign` after zeroing everything had walked the
            // elements one by one, an eighth of `ode`'s RK4 steps).
            let mut y = pool::scratch(x.shape());
            let out = y.as_slice_mut().expect("scratch arrays are standard layout");
            let zeros = if self.offset >= 0 { 0..by * inner } else { (len - by) * inner..len * inner };
            for (out, block) in out.chunks_exact_mut(len * inner).zip(source.chunks_exact(len * inner)) {
                out[to.start * inner..to.end * inner]
                    .copy_from_slice(&block[from.start * inner..from.end * inner]);
                out[zeros.clone()].fill(T::zero());
            }
            return y;
        }
        let mut y = pool::zeros(x.shape());
        y.slice_axis_mut(Axis(self.axis), Slice::from(to))
            .assign(&x.slice_axis(Axis(self.axis), Slice::from(from)));
        y
    }
}

impl<T: Float> Op<T> for Shift {
    linear_tangent_rule!();
    linear_tangent_batch_rule!(|op: &Shift, _| Shift { axis: op.axis + 1, offset: op.offset });

    fn name(&self) -> &'static str {
        "shift"
    }
    fn rule(&self) -> Option<String> {
        Some("y[i] = x[i − k] (0 where i − k is outside);  ∂L/∂x[j] = ∂L/∂y[j + k]: the gradient shifted back, 0 for what fell off".into())
    }
    fn describe(&self) -> String {
        format!("axis={}, offset={}", self.axis, self.offset)
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        check_axis(self.axis, shapes[0])
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        self.run(&inputs[0])
    }
    fn backward(
        &self,
        _inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let back = Shift { axis: self.axis, offset: -self.offset };
        grads([Some(back.run(grad_output))])
    }
    fn backward_vars<'t>(
        &self,
        _inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        Some(grads([Some(grad_output.shift(self.axis, -self.offset))]))
    }
}

/// Running sums along an axis, from the start (`reverse: false`) or from the end;
/// the gradient of one is the other applied to `∂L/∂y`.
pub(crate) struct CumSum {
    axis: usize,
    reverse: bool,
}

impl CumSum {
    fn run<T: Float>(&self, x: &ArrayViewD<'_, T>) -> ArrayD<T> {
        let mut y = crate::kernels::copy(x);
        let mut view = y.view_mut();
        if self.reverse {
            view.invert_axis(Axis(self.axis));
        }
        view.accumulate_axis_inplace(Axis(self.axis), |&before, here| *here += before);
        y
    }
}

impl<T: Float> Op<T> for CumSum {
    linear_tangent_rule!();
    linear_tangent_batch_rule!(|op: &CumSum, _| CumSum { axis: op.axis + 1, reverse: op.reverse });

    fn name(&self) -> &'static str {
        if self.reverse {
            "cumsum_reverse"
        } else {
            "cumsum"
        }
    }
    fn rule(&self) -> Option<String> {
        Some(if self.reverse {
            "y[i] = Σ_{j≥i} x[j];  ∂L/∂x[j] = Σ_{i≤j} ∂L/∂y[i]: the gradient's running sum from the front"
                .into()
        } else {
            "y[i] = Σ_{j≤i} x[j];  ∂L/∂x[j] = Σ_{i≥j} ∂L/∂y[i]: the gradient's running sum from the back"
                .into()
        })
    }
    fn describe(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        check_axis(self.axis, shapes[0])
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        self.run(&inputs[0])
    }
    fn backward(
        &self,
        _inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let back = CumSum { axis: self.axis, reverse: !self.reverse };
        grads([Some(back.run(grad_output))])
    }
    fn backward_vars<'t>(
        &self,
        _inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        let back = CumSum { axis: self.axis, reverse: !self.reverse };
        Some(grads([Some(grad_output.tape().apply(back, &[grad_output]))]))
    }
}
