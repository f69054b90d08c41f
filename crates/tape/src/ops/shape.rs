//! Shape ops, which move values without changing them: `reshape`, `permute`/`transpose`,
//! `broadcast_to`. Their backward moves the gradient back the same way.

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::{batch_shape, linear_tangent_batch_rule, linear_tangent_rule};
use super::{grads, InputGrads, Op, VarGrads};
use crate::kernels::reduce_to;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The same elements in row-major order under a new shape.
    /// `∂L/∂x = reshape(∂L/∂y, shape of x)`.
    ///
    /// # Panics
    /// If the new shape has a different number of elements.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(x.reshape(&[3, 2]).value(), ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Var<'t, T> {
        self.tape.apply(Reshape(shape.to_vec()), &[*self])
    }

    /// Reorders the axes: output axis `i` is input axis `axes[i]` (NumPy's `transpose`,
    /// PyTorch's `permute`). `∂L/∂x = permute(∂L/∂y, inverse of axes)`.
    ///
    /// # Panics
    /// If `axes` is not a permutation of `0..ndim`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::<f32>::new();
    /// let x = tape.constant(ndarray::Array3::<f32>::zeros((2, 3, 4)));
    /// assert_eq!(x.permute(&[2, 0, 1]).shape(), vec![4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn permute(&self, axes: &[usize]) -> Var<'t, T> {
        self.tape.apply(Permute(axes.to_vec()), &[*self])
    }

    /// Swaps two axes (PyTorch's `transpose(a, b)`); a `permute`.
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::<f32>::new();
    /// let x = tape.constant(ndarray::Array3::<f32>::zeros((2, 3, 4)));
    /// assert_eq!(x.transpose(1, 2).shape(), vec![2, 4, 3]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, axis_a: usize, axis_b: usize) -> Var<'t, T> {
        let ndim = self.ndim();
        assert!(
            axis_a < ndim && axis_b < ndim,
            "transpose: axes ({axis_a}, {axis_b}) out of range for shape {:?}",
            self.shape()
        );
        let mut axes: Vec<usize> = (0..ndim).collect();
        axes.swap(axis_a, axis_b);
        self.permute(&axes)
    }

    /// The transpose of a 2-D value. `∂L/∂x = (∂L/∂y)ᵀ`.
    ///
    /// # Panics
    /// If the value is not 2-D.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![[1.0, 2.0]]);
    /// assert_eq!(x.t().value(), ndarray::array![[1.0], [2.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn t(&self) -> Var<'t, T> {
        assert!(self.ndim() == 2, "t: expects a 2-D value, got shape {:?}", self.shape());
        self.permute(&[1, 0])
    }

    /// Repeats the value to `shape` under NumPy broadcasting rules.
    /// `∂L/∂x = ∂L/∂y` summed over the broadcast axes.
    ///
    /// # Panics
    /// If the value does not broadcast to `shape`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 2.0]);
    /// let y = x.broadcast_to(&[3, 2]);
    /// assert_eq!(tape.backward(y.sum()).get(x).unwrap(), &ndarray::array![3.0, 3.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Var<'t, T> {
        self.tape.apply(BroadcastTo(shape.to_vec()), &[*self])
    }
}

/// `y = x` viewed with a new shape; `∂L/∂x = ∂L/∂y` viewed with x's shape.
pub(crate) struct Reshape(Vec<usize>);
impl<T: Float> Op<T> for Reshape {
    linear_tangent_rule!();
    linear_tangent_batch_rule!(|op: &Reshape, directions| Reshape(batch_shape(directions, &op.0)));

    fn name(&self) -> &'static str {
        "reshape"
    }
    fn rule(&self) -> Option<String> {
        Some(
            "y = x with a new shape, the same numbers in the same order;  ∂L/∂x = ∂L/∂y reshaped back".into(),
        )
    }
    fn describe(&self) -> String {
        format!("shape={:?}", self.0)
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        let (from, count) = (shapes[0].iter().product::<usize>(), self.0.iter().product::<usize>());
        if from == count {
            Ok(())
        } else {
            Err(format!(
                "cannot reshape {:?} ({from} elements) to {:?} ({count} elements)",
                shapes[0], self.0
            ))
        }
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        // The numbers in row-major order, into a pooled buffer of the new shape.
        let x = &inputs[0];
        let standard = match x.as_slice() {
            Some(_) => None,
            None => Some(crate::kernels::copy(x)),
        };
        let data = standard.as_ref().map_or_else(|| x.as_slice(), |s| s.as_slice()).expect("standard layout");
        let mut y = crate::pool::scratch(&self.0);
        y.as_slice_mut().expect("scratch arrays are standard layout").copy_from_slice(data);
        if let Some(spent) = standard {
            crate::pool::recycle(spent);
        }
        y
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        grads([Some(grad_output.to_shape(x.raw_dim()).expect("sizes agree").into_owned())])
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        Some(grads([Some(grad_output.reshape(&inputs[0].shape()))]))
    }
}

/// `y = x` with axes reordered; `∂L/∂x = ∂L/∂y` with the inverse order.
pub(crate) struct Permute(Vec<usize>);
impl<T: Float> Op<T> for Permute {
    linear_tangent_rule!();
    linear_tangent_batch_rule!(|op: &Permute, _| Permute(
        std::iter::once(0).chain(op.0.iter().map(|&a| a + 1)).collect()
    ));

    fn name(&self) -> &'static str {
        "permute"
    }
    fn rule(&self) -> Option<String> {
        Some("y = x with its axes reordered;  ∂L/∂x = ∂L/∂y with the inverse order".into())
    }
    fn describe(&self) -> String {
        format!("axes={:?}", self.0)
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        let mut seen = vec![false; shapes[0].len()];
        let ok = self.0.len() == seen.len()
            && self.0.iter().all(|&a| a < seen.len() && !std::mem::replace(&mut seen[a], true));
        if ok {
            Ok(())
        } else {
            Err(format!("axes {:?} are not a permutation of the axes of shape {:?}", self.0, shapes[0]))
        }
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        crate::kernels::copy(&inputs[0].clone().permuted_axes(self.0.as_slice()))
    }
    fn backward(
        &self,
        _x: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let mut inverse = vec![0; self.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            inverse[a] = i;
        }
        grads([Some(grad_output.clone().permuted_axes(inverse).as_standard_layout().into_owned())])
    }
    fn backward_vars<'t>(
        &self,
        _x: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        let mut inverse = vec![0; self.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            inverse[a] = i;
        }
        Some(grads([Some(grad_output.permute(&inverse))]))
    }
}

/// `y = x` repeated to a shape; `∂L/∂x = ∂L/∂y` summed over the repeated axes.
pub(crate) struct BroadcastTo(Vec<usize>);
impl<T: Float> Op<T> for BroadcastTo {
    linear_tangent_rule!();

    fn name(&self) -> &'static str {
        "broadcast_to"
    }
    fn rule(&self) -> Option<String> {
        Some("y = x repeated along the new or length-1 axes;  ∂L/∂x = Σ ∂L/∂y over those axes (each copy sends its gradient back)".into())
    }
    fn describe(&self) -> String {
        format!("shape={:?}", self.0)
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        match super::broadcast_shape(shapes[0], &self.0) {
            Some(shape) if shape == self.0 => Ok(()),
            _ => Err(format!("cannot broadcast shape {:?} to {:?}", shapes[0], self.0)),
        }
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        crate::kernels::copy(&x.broadcast(IxDyn(&self.0)).expect("checked"))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        grads([Some(reduce_to(grad_output, x.shape()))])
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        Some(grads([Some(grad_output.sum_to(&inputs[0].shape()))]))
    }
}
