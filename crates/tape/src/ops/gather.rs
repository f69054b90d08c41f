//! Picking elements by integer index: `gather` (PyTorch's `gather`, how cross-entropy
//! picks each label's logit) and `select` (PyTorch's `index_select`, whole slices).
//!
//! Indices usually come from outside (labels, a batch's row numbers), so both check
//! them and return a [`TapeError`] naming the bad index instead of panicking.

use ndarray::{ArrayBase, ArrayD, ArrayViewD, Axis, Data, Dimension, IntoDimension, IxDyn};

use super::{grads, InputGrads, Op, VarGrads};
use super::{linear_tangent_batch_rule, linear_tangent_rule};
use crate::{pool, Float, TapeError, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `y[p] = x[p with p[axis] replaced by index[p]]` for every position `p` of `index`,
    /// which has the same rank as `x` and no larger an extent on the other axes; `y` has
    /// `index`'s shape. `∂L/∂x` scatters `∂L/∂y` back: `∂L/∂x[…, index[p], …] += ∂L/∂y[p]`
    /// (an index used twice gets both contributions).
    ///
    /// # Errors
    /// [`TapeError::AxisOutOfRange`], [`TapeError::ShapeMismatch`] (rank or extent of
    /// `index`), or [`TapeError::IndexOutOfRange`] naming the first index `≥` the axis
    /// length and where it sits.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let logits = tape.var(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let labels = array![[2usize], [0]];          // one label per row
    /// let picked = logits.gather(1, &labels).unwrap();
    /// assert_eq!(picked.value(), array![[3.0], [4.0]].into_dyn());
    /// let grads = tape.backward(picked.sum());
    /// assert_eq!(grads.get(logits).unwrap(), &array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn gather<S, D>(&self, axis: usize, index: &ArrayBase<S, D>) -> Result<Var<'t, T>, TapeError>
    where
        S: Data<Elem = usize>,
        D: Dimension,
    {
        let shape = self.shape();
        check_axis("gather", axis, &shape)?;
        let fits = index.ndim() == shape.len()
            && index.shape().iter().zip(&shape).enumerate().all(|(i, (&n, &m))| i == axis || n <= m);
        if !fits {
            let mut expected = shape.clone();
            expected[axis] = if index.ndim() == shape.len() { index.shape()[axis] } else { 1 };
            return Err(TapeError::ShapeMismatch {
                op: "gather",
                expected,
                actual: index.shape().to_vec(),
                detail: format!(
                    "the index tensor needs the rank of the input {shape:?} and no larger extent off axis {axis}"
                ),
            });
        }
        check_indices("gather", axis, shape[axis], index)?;
        Ok(self.tape.apply(Gather { axis, index: index.to_owned().into_dyn() }, &[*self]))
    }

    /// The slices at `indices` along `axis`, in that order (PyTorch's `index_select`): the
    /// output has `x`'s shape with that axis's length replaced by `indices.len()`.
    /// `∂L/∂x` adds each output slice's gradient back to the slice it came from.
    ///
    /// # Errors
    /// [`TapeError::AxisOutOfRange`] or [`TapeError::IndexOutOfRange`].
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// let rows = x.select(0, &[2, 0, 2]).unwrap();
    /// assert_eq!(rows.value(), array![[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]].into_dyn());
    /// let grads = tape.backward(rows.sum());
    /// assert_eq!(grads.get(x).unwrap(), &array![[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]].into_dyn());
    /// assert!(x.select(0, &[3]).is_err());
    /// ```
    #[track_caller]
    pub fn select(&self, axis: usize, indices: &[usize]) -> Result<Var<'t, T>, TapeError> {
        let shape = self.shape();
        check_axis("select", axis, &shape)?;
        check_indices("select", axis, shape[axis], &ndarray::aview1(indices))?;
        Ok(self.tape.apply(Select { axis, indices: indices.to_vec() }, &[*self]))
    }

    /// The adjoint of [`select`](Var::select): zeros with `len` slices along `axis`, into
    /// which `x`'s slice `k` is added at `indices[k]` (PyTorch's
    /// `zeros(…).index_add(axis, indices, x)`; an index used twice gets both slices).
    /// `∂L/∂x` is `∂L/∂y` selected at `indices`. With it a packed vector becomes a
    /// matrix: [`fill_triangle`](Var::fill_triangle) is built on it.
    ///
    /// # Errors
    /// [`TapeError::AxisOutOfRange`]; [`TapeError::ShapeMismatch`] if `indices` does not
    /// have one entry per slice of `x` along `axis`; [`TapeError::IndexOutOfRange`] for an
    /// index `≥ len`.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[1.0, 2.0], [3.0, 4.0]]);
    /// let y = x.index_add(1, &[2, 0], 3).unwrap();     // column 0 → 2, column 1 → 0
    /// assert_eq!(y.value(), array![[2.0, 0.0, 1.0], [4.0, 0.0, 3.0]].into_dyn());
    /// let w = tape.constant(array![[1.0, 10.0, 100.0], [1.0, 10.0, 100.0]]);
    /// let grads = tape.backward((y * w).sum());
    /// assert_eq!(grads.get(x).unwrap(), &array![[100.0, 1.0], [100.0, 1.0]].into_dyn());
    /// assert!(x.index_add(1, &[0, 3], 3).is_err());
    /// ```
    #[track_caller]
    pub fn index_add(&self, axis: usize, indices: &[usize], len: usize) -> Result<Var<'t, T>, TapeError> {
        let shape = self.shape();
        check_axis("index_add", axis, &shape)?;
        if indices.len() != shape[axis] {
            let mut expected = shape.clone();
            expected[axis] = indices.len();
            return Err(TapeError::ShapeMismatch {
                op: "index_add",
                expected,
                actual: shape,
                detail: format!("one index per slice along axis {axis}"),
            });
        }
        check_indices("index_add", axis, len, &ndarray::aview1(indices))?;
        let mut out_shape = shape;
        out_shape[axis] = len;
        let select = Select { axis, indices: indices.to_vec() };
        Ok(self.tape.apply(Adjoint { op: select, name: "index_add", shape: out_shape }, &[*self]))
    }
}

fn check_axis(op: &'static str, axis: usize, shape: &[usize]) -> Result<(), TapeError> {
    if axis < shape.len() {
        Ok(())
    } else {
        Err(TapeError::AxisOutOfRange { op, axis, ndim: shape.len(), shape: shape.to_vec() })
    }
}

fn check_indices<S, D>(
    op: &'static str,
    axis: usize,
    len: usize,
    index: &ArrayBase<S, D>,
) -> Result<(), TapeError>
where
    S: Data<Elem = usize>,
    D: Dimension,
{
    match index.indexed_iter().find(|&(_, &i)| i >= len) {
        None => Ok(()),
        Some((position, &index)) => Err(TapeError::IndexOutOfRange {
            op,
            index,
            position: position.into_dimension().as_array_view().to_vec(),
            axis,
            len,
        }),
    }
}

/// `y[p] = x[p; axis ← index[p]]`; `∂L/∂x[p; axis ← index[p]] += ∂L/∂y[p]`.
#[derive(Clone)]
pub(crate) struct Gather {
    axis: usize,
    index: ArrayD<usize>,
}
impl<T: Float> Op<T> for Gather {
    linear_tangent_rule!();

    fn name(&self) -> &'static str {
        "gather"
    }
    fn rule(&self) -> Option<String> {
        Some("y[i] = x[…, index[i], …] along the axis;  ∂L/∂x = ∂L/∂y added back where each element was read (scatter_add: a position read twice gets both)".into())
    }
    fn describe(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        let mut source = IxDyn(&vec![0; x.ndim()]);
        let mut y = pool::scratch(self.index.shape());
        for ((position, &i), y) in self.index.indexed_iter().zip(y.iter_mut()) {
            source.slice_mut().copy_from_slice(position.slice());
            source[self.axis] = i;
            *y = x[&source];
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
        let mut grad_x = pool::zeros(inputs[0].shape());
        let mut target = IxDyn(&vec![0; grad_x.ndim()]);
        for (position, &i) in self.index.indexed_iter() {
            target.slice_mut().copy_from_slice(position.slice());
            target[self.axis] = i;
            grad_x[&target] += grad_output[&position];
        }
        [Some(grad_x)].into_iter().collect()
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        let scatter = Adjoint { op: self.clone(), name: "scatter_add", shape: inputs[0].shape() };
        Some(grads([Some(grad_output.tape().apply(scatter, &[grad_output]))]))
    }
}

/// `y = x[indices]` along an axis; `∂L/∂x[indices[k]] += ∂L/∂y[k]`.
#[derive(Clone)]
pub(crate) struct Select {
    axis: usize,
    indices: Vec<usize>,
}
impl<T: Float> Op<T> for Select {
    linear_tangent_rule!();
    linear_tangent_batch_rule!(|op: &Select, _| Select { axis: op.axis + 1, indices: op.indices.clone() });

    fn name(&self) -> &'static str {
        "select"
    }
    fn rule(&self) -> Option<String> {
        Some("y = the slices of x at the indices;  ∂L/∂x = ∂L/∂y added back into each slice it came from (index_add), 0 elsewhere".into())
    }
    fn describe(&self) -> String {
        format!("axis={}, {} indices", self.axis, self.indices.len())
    }
    /// Block copies: for each index before the axis, the picked slices' runs of
    /// `inner` numbers (ndarray's `select` concatenates one view per index, which cost a
    /// forward-mode sweep of `ht` a seventh of its time).
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        let mut shape = x.shape().to_vec();
        shape[self.axis] = self.indices.len();
        let mut y = pool::scratch(&shape);
        let (len, inner) = (x.shape()[self.axis], x.shape()[self.axis + 1..].iter().product::<usize>());
        match (x.as_slice(), y.as_slice_mut()) {
            (Some(source), Some(out)) if inner > 0 && len > 0 && !self.indices.is_empty() => {
                let picked = self.indices.len() * inner;
                for (out, block) in out.chunks_exact_mut(picked).zip(source.chunks_exact(len * inner)) {
                    if inner == 1 {
                        out.iter_mut().zip(&self.indices).for_each(|(o, &i)| *o = block[i]);
                        continue;
                    }
                    for (out, &i) in out.chunks_exact_mut(inner).zip(&self.indices) {
                        out.copy_from_slice(&block[i * inner..(i + 1) * inner]);
                    }
                }
            }
            _ => {
                for (k, &i) in self.indices.iter().enumerate() {
                    y.index_axis_mut(Axis(self.axis), k).assign(&x.index_axis(Axis(self.axis), i));
                }
            }
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
        // Block adds, as forward's block copies: slice `k` of each block of `∂L/∂y` onto
        // slice `indices[k]` of the same block of `∂L/∂x` (one `IxDyn` view per index had
        // cost 600 instructions a row of k-means' 1,000 × 8 selection).
        let shape = inputs[0].shape();
        let mut grad_x = pool::zeros(shape);
        let (len, inner) = (shape[self.axis], shape[self.axis + 1..].iter().product::<usize>());
        let picked = self.indices.len() * inner;
        match (grad_output.as_slice(), grad_x.as_slice_mut()) {
            (Some(source), Some(out)) if inner > 0 && len > 0 && picked > 0 => {
                for (block, out) in source.chunks_exact(picked).zip(out.chunks_exact_mut(len * inner)) {
                    if inner == 1 {
                        block.iter().zip(&self.indices).for_each(|(&g, &i)| out[i] += g);
                        continue;
                    }
                    for (g, &i) in block.chunks_exact(inner).zip(&self.indices) {
                        out[i * inner..(i + 1) * inner].iter_mut().zip(g).for_each(|(o, &g)| *o += g);
                    }
                }
            }
            _ => {
                for (k, &i) in self.indices.iter().enumerate() {
                    let mut slot = grad_x.index_axis_mut(Axis(self.axis), i);
                    slot += &grad_output.index_axis(Axis(self.axis), k);
                }
            }
        }
        [Some(grad_x)].into_iter().collect()
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        let add = Adjoint { op: self.clone(), name: "index_add", shape: inputs[0].shape() };
        Some(grads([Some(grad_output.tape().apply(add, &[grad_output]))]))
    }
}

/// The adjoint of an indexing op — gather's backward (`scatter_add`) or select's
/// (`index_add`) as an op of its own, for gradients of gradients: `y = zeros(shape)` with
/// each element (or slice) of `g` added where the indexing op read it. Its own derivative
/// is the indexing op again, so gradients go to any order.
pub(crate) struct Adjoint<O> {
    op: O,
    name: &'static str,
    shape: Vec<usize>,
}
impl<T: Float, O: Op<T> + Clone> Op<T> for Adjoint<O> {
    linear_tangent_rule!();

    fn name(&self) -> &'static str {
        self.name
    }
    fn rule(&self) -> Option<String> {
        Some(
            "y = zeros with g added where the indexing op read;  ∂L/∂g = the indexing op applied to ∂L/∂y"
                .into(),
        )
    }
    fn describe(&self) -> String {
        format!("{}, shape={:?}", self.op.describe(), self.shape)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        // The indexing op's backward reads only its input's shape: a broadcast zero has it.
        let zero = ArrayD::<T>::zeros(IxDyn(&[]));
        let shaped = zero.broadcast(IxDyn(&self.shape)).expect("a 0-d value broadcasts to any shape");
        let grads = self.op.backward(&[shaped], &inputs[0], &inputs[0], &[true]);
        grads.into_iter().next().flatten().unwrap_or_else(|| ArrayD::zeros(self.shape.clone()))
    }
    fn backward(
        &self,
        _inputs: &[ArrayViewD<'_, T>],
        _y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        [Some(self.op.forward(std::slice::from_ref(grad_output)))].into_iter().collect()
    }
    fn backward_vars<'t>(
        &self,
        _inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        Some(grads([Some(grad_output.tape().apply(self.op.clone(), &[grad_output]))]))
    }
}
