//! Joining and cutting along an axis: `concat` and `slice_axis`.

use std::ops::Range;

use ndarray::{ArrayD, ArrayViewD, Axis, Slice};

use super::{grads, InputGrads, Op, VarGrads};
use super::{linear_tangent_batch_rule, linear_tangent_rule};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Joins values along `axis`; all other axes must agree.
    /// `∂L/∂partᵢ` is the slice of `∂L/∂y` that `partᵢ` occupies.
    ///
    /// # Panics
    /// If `parts` is empty, ranks differ, `axis` is out of range or another axis differs.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::{Tape, Var};
    /// let tape = Tape::new();
    /// let a = tape.var(array![[1.0, 2.0]]);
    /// let b = tape.var(array![[3.0, 4.0], [5.0, 6.0]]);
    /// let y = Var::concat(&[a, b], 0);
    /// assert_eq!(y.shape(), vec![3, 2]);
    /// let grads = tape.backward((y * y).sum());
    /// assert_eq!(grads.get(a).unwrap(), &array![[2.0, 4.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn concat(parts: &[Var<'t, T>], axis: usize) -> Var<'t, T> {
        assert!(!parts.is_empty(), "concat: needs at least one value");
        parts[0].tape.apply(Concat { axis }, parts)
    }

    /// The elements with index in `range` along `axis` (PyTorch's `narrow`).
    /// `∂L/∂x` is `∂L/∂y` placed back in that range, zero elsewhere.
    ///
    /// # Panics
    /// If `axis` is out of range or `range` does not fit in it.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let y = x.slice_axis(1, 1..3);
    /// assert_eq!(y.value(), array![[2.0, 3.0], [5.0, 6.0]].into_dyn());
    /// let grads = tape.backward(y.sum());
    /// assert_eq!(grads.get(x).unwrap(), &array![[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn slice_axis(&self, axis: usize, range: Range<usize>) -> Var<'t, T> {
        self.tape.apply(SliceAxis { axis, range }, &[*self])
    }
}

/// `y = [x₀ | x₁ | …]` along an axis; `∂L/∂xᵢ = (∂L/∂y)[offsetᵢ .. offsetᵢ + lenᵢ]`.
pub(crate) struct Concat {
    axis: usize,
}
impl<T: Float> Op<T> for Concat {
    linear_tangent_rule!();
    linear_tangent_batch_rule!(|op: &Concat, _| Concat { axis: op.axis + 1 });

    fn name(&self) -> &'static str {
        "concat"
    }
    fn rule(&self) -> Option<String> {
        Some("y = [x₁, x₂, …] joined along the axis;  ∂L/∂xₖ = the piece of ∂L/∂y where xₖ was placed".into())
    }
    fn describe(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        let first = shapes[0];
        if self.axis >= first.len() {
            return Err(format!("axis {} out of range for shape {first:?}", self.axis));
        }
        for shape in &shapes[1..] {
            let fits = shape.len() == first.len()
                && shape.iter().zip(first).enumerate().all(|(i, (a, b))| i == self.axis || a == b);
            if !fits {
                return Err(format!("shapes {first:?} and {shape:?} differ outside axis {}", self.axis));
            }
        }
        Ok(())
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let mut shape = inputs[0].shape().to_vec();
        shape[self.axis] = inputs.iter().map(|x| x.shape()[self.axis]).sum();
        let mut out = crate::pool::scratch(&shape);
        // Contiguous pieces: for each index before the axis, each piece's run of numbers
        // in turn, as slice copies (an n-d `assign` per piece walked every element
        // through `IxDyn`: a tenth of a batched forward-mode sweep of `ht`).
        let inner: usize = shape[self.axis + 1..].iter().product();
        let row = shape[self.axis] * inner;
        let slices: Option<Vec<&[T]>> = inputs.iter().map(|x| x.as_slice()).collect();
        if let (Some(slices), true) = (slices, row > 0) {
            let data = out.as_slice_mut().expect("scratch arrays are standard layout");
            let mut at = 0;
            for (r, block) in data.chunks_exact_mut(row).enumerate() {
                at = 0;
                for (x, piece) in inputs.iter().zip(&slices) {
                    let run = x.shape()[self.axis] * inner;
                    match run {
                        1 => block[at] = piece[r], // a column of one: no `memcpy` call
                        _ => block[at..at + run].copy_from_slice(&piece[r * run..(r + 1) * run]),
                    }
                    at += run;
                }
            }
            debug_assert!(data.is_empty() || at == row);
            return out;
        }
        let mut start = 0;
        for x in inputs {
            let len = x.shape()[self.axis];
            out.slice_axis_mut(Axis(self.axis), Slice::from(start..start + len)).assign(x);
            start += len;
        }
        out
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        wanted: &[bool],
    ) -> InputGrads<T> {
        let mut start = 0;
        inputs
            .iter()
            .zip(wanted)
            .map(|(x, &want)| {
                let len = x.shape()[self.axis];
                let part = grad_output.slice_axis(Axis(self.axis), Slice::from(start..start + len));
                start += len;
                want.then(|| crate::kernels::copy(&part))
            })
            .collect()
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        let mut start = 0;
        Some(
            inputs
                .iter()
                .map(|x| {
                    let len = x.shape()[self.axis];
                    let part = grad_output.slice_axis(self.axis, start..start + len);
                    start += len;
                    Some(part)
                })
                .collect(),
        )
    }
}

/// `y = x[range]` along an axis; `∂L/∂x = ∂L/∂y` in that range, 0 elsewhere.
pub(crate) struct SliceAxis {
    axis: usize,
    range: Range<usize>,
}
impl<T: Float> Op<T> for SliceAxis {
    linear_tangent_rule!();
    linear_tangent_batch_rule!(|op: &SliceAxis, _| SliceAxis { axis: op.axis + 1, range: op.range.clone() });

    fn name(&self) -> &'static str {
        "slice_axis"
    }
    fn rule(&self) -> Option<String> {
        Some("y = x[a..b] along the axis;  ∂L/∂x = ∂L/∂y in a..b, 0 outside it".into())
    }
    fn describe(&self) -> String {
        format!("axis={}, range={:?}", self.axis, self.range)
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        let shape = shapes[0];
        if self.axis >= shape.len() {
            Err(format!("axis {} out of range for shape {shape:?}", self.axis))
        } else if self.range.start > self.range.end || self.range.end > shape[self.axis] {
            Err(format!("range {:?} does not fit axis {} of shape {shape:?}", self.range, self.axis))
        } else {
            Ok(())
        }
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        crate::kernels::copy(&inputs[0].slice_axis(Axis(self.axis), Slice::from(self.range.clone())))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let mut grad_x = crate::pool::zeros(inputs[0].shape());
        grad_x.slice_axis_mut(Axis(self.axis), Slice::from(self.range.clone())).assign(grad_output);
        [Some(grad_x)].into_iter().collect()
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        // The gradient in its slot, zeros (constants) on either side.
        let shape = inputs[0].shape();
        let tape = grad_output.tape();
        let zeros = |len: usize| {
            let mut part = shape.clone();
            part[self.axis] = len;
            tape.constant(ArrayD::zeros(part))
        };
        let (before, after) = (self.range.start, shape[self.axis] - self.range.end);
        let mut parts = Vec::with_capacity(3);
        if before > 0 {
            parts.push(zeros(before));
        }
        parts.push(grad_output);
        if after > 0 {
            parts.push(zeros(after));
        }
        Some(grads([Some(if parts.len() == 1 { grad_output } else { Var::concat(&parts, self.axis) })]))
    }
}
