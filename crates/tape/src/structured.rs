//! Derivatives with known structure, for less than their dense cost: per-example Jacobians
//! of a batched function ([`Tape::batch_jacobian`], one backward pass per output column
//! instead of per output element), the Hessian's diagonal when the Hessian is diagonal
//! ([`Tape::grad_and_hessian_diagonal`], one Hessian-vector product), and Jacobian-vector
//! products in many directions through one recorded transpose ([`Tape::jacobian_times`]).

use ndarray::{ArrayD, ArrayView2, Axis, IxDyn};

use crate::{Float, Tape, TapeError, Var};

impl<'t, T: Float> Tape<'t, T> {
    /// The per-example Jacobians of a batched function (TensorFlow's
    /// `GradientTape.batch_jacobian`): when row `b` of `output` (shape `[batch, …out]`)
    /// depends only on row `b` of each of `inputs` (shapes `[batch, …in]`), returns for
    /// each input the array `[batch, …out, …in]` whose entry `[b, o, i]` is
    /// `∂output[b, o] / ∂input[b, i]`.
    ///
    /// It costs one backward pass per output column (the product of `…out`), not per
    /// output element: the seed puts a 1 in column `o` of every row at once, and since the
    /// rows do not mix, row `b` of each input's gradient is row `b`'s Jacobian column. This
    /// is how bundle adjustment's Jacobian (2 residuals per observation, thousands of
    /// observations) takes two passes.
    ///
    /// If a row of `output` does depend on other rows (a batch norm, a sum over the
    /// batch), the result adds their contributions in and is not a Jacobian: check a new
    /// function against [`jacobian`](Tape::jacobian) on a small batch.
    ///
    /// # Errors
    /// [`TapeError::ShapeMismatch`] if `output` is 0-d or an input's first axis is not
    /// `output`'s.
    ///
    /// # Panics
    /// If `output` or an input belongs to another tape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// // Three examples of (u, v) ↦ (u·v, u + v²).
    /// let u = tape.var(array![1.0, 2.0, 3.0]);
    /// let v = tape.var(array![4.0, 5.0, 6.0]);
    /// let (u2, v2) = (u.reshape(&[3, 1]), v.reshape(&[3, 1]));
    /// let out = tapegrad_tape::Var::concat(&[u2 * v2, u2 + v2.square()], 1);   // [3, 2]
    /// let jacobians = tape.batch_jacobian(out, &[u, v])?;
    /// // example 1 (u = 2, v = 5): ∂(uv)/∂u = v = 5, ∂(u + v²)/∂u = 1; ∂(uv)/∂v = u = 2, ∂(u + v²)/∂v = 2v = 10
    /// assert_eq!(jacobians[0].shape(), &[3, 2]);
    /// assert_eq!(jacobians[0][[1, 0]], 5.0);
    /// assert_eq!(jacobians[0][[1, 1]], 1.0);
    /// assert_eq!(jacobians[1][[1, 0]], 2.0);
    /// assert_eq!(jacobians[1][[1, 1]], 10.0);
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn batch_jacobian(
        &'t self,
        output: Var<'t, T>,
        inputs: &[Var<'t, T>],
    ) -> Result<Vec<ArrayD<T>>, TapeError> {
        self.check_own(output, "batch_jacobian");
        let out_shape = output.shape();
        let Some(&batch) = out_shape.first() else {
            return Err(TapeError::ShapeMismatch {
                op: "batch_jacobian",
                expected: vec![1],
                actual: out_shape,
                detail: "the output needs a batch axis first".into(),
            });
        };
        let columns: usize = out_shape[1..].iter().product();
        let mut results = Vec::with_capacity(inputs.len());
        let mut input_widths = Vec::with_capacity(inputs.len());
        for &input in inputs {
            self.check_own(input, "batch_jacobian");
            let shape = input.shape();
            if shape.first() != Some(&batch) {
                let mut expected = shape.clone();
                match expected.first_mut() {
                    Some(first) => *first = batch,
                    None => expected.push(batch),
                }
                return Err(TapeError::ShapeMismatch {
                    op: "batch_jacobian",
                    expected,
                    actual: shape,
                    detail: format!("each input's first axis is the output's batch of {batch}"),
                });
            }
            let width: usize = shape[1..].iter().product();
            let mut full = out_shape.clone();
            full.extend_from_slice(&shape[1..]);
            results.push(ArrayD::zeros(IxDyn(&[batch, columns, width])));
            input_widths.push((width, full));
        }
        for column in 0..columns {
            let mut seed = crate::pool::zeros(&[batch, columns]);
            seed.index_axis_mut(Axis(1), column).fill(T::one());
            let seed = seed.into_shape_with_order(IxDyn(&out_shape)).expect("same length");
            let grads = self.backward_with_seed(output, seed)?;
            for ((&input, result), (width, _)) in inputs.iter().zip(&mut results).zip(&input_widths) {
                let Some(grad) = grads.get(input) else { continue };
                let width = *width;
                let out = result.as_slice_mut().expect("a fresh array");
                match grad.as_slice() {
                    // Row b's width entries go to [b, column, ..]: a strided copy of slices.
                    Some(grad) if width == 1 => {
                        for (b, &value) in grad.iter().enumerate() {
                            out[b * columns + column] = value;
                        }
                    }
                    Some(grad) => {
                        for (b, row) in grad.chunks_exact(width.max(1)).enumerate().take(batch) {
                            let at = (b * columns + column) * width;
                            out[at..at + width].copy_from_slice(&row[..width]);
                        }
                    }
                    None => {
                        let grad = grad.to_shape((batch, width)).expect("the input's own length");
                        result.index_axis_mut(Axis(1), column).assign(&grad);
                    }
                }
            }
        }
        Ok(results
            .into_iter()
            .zip(input_widths)
            .map(|(result, (_, full))| result.into_shape_with_order(IxDyn(&full)).expect("same length"))
            .collect())
    }

    /// The gradient of `output` (0-d) with respect to `input`, and the diagonal of the
    /// Hessian **when the Hessian is diagonal**: then the diagonal is `H·1`, one
    /// Hessian-vector product (the gradient recorded, then differentiated once), where the
    /// dense Hessian would take one pass per element. The Hessian is diagonal when each
    /// partial derivative `∂f/∂xᵢ` depends on `xᵢ` alone: `f` a sum of functions of one
    /// coordinate each, like k-means' cost in each centroid coordinate (Newton's step is
    /// then `gradient / diagonal`).
    ///
    /// For a Hessian that is not diagonal the second array is `H·1`, the row sums, which
    /// is not its diagonal: check a new function against [`hessian`](Tape::hessian) once.
    ///
    /// # Errors
    /// As [`grad`](Tape::grad) with `create_graph`.
    ///
    /// # Panics
    /// If `output` or `input` belongs to another tape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let f = x.powf(3.0).sum();                     // Σ x³: ∇ = 3x², H = diag(6x)
    /// let (gradient, diagonal) = tape.grad_and_hessian_diagonal(f, x)?;
    /// assert_eq!(gradient, array![3.0, 12.0].into_dyn());
    /// assert_eq!(diagonal, array![6.0, 12.0].into_dyn());
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn grad_and_hessian_diagonal(
        &'t self,
        output: Var<'t, T>,
        input: Var<'t, T>,
    ) -> Result<(ArrayD<T>, ArrayD<T>), TapeError> {
        let gradient = self.grad(output, &[input], true)?[0];
        // H·1 = ∇(Σ ∇f): the sum is the dot product with a vector of ones.
        let diagonal = self.grad(gradient.sum(), &[input], false)?[0];
        Ok((gradient.value(), diagonal.value()))
    }

    /// `J·v` for each column `v` of `directions` (shape `[input.len(), k]`), where `J` is
    /// the Jacobian of `output` with respect to `input` (both flattened in row-major
    /// order); returns `[output.len(), k]` by forward mode, the columns carried together
    /// through one sweep ([`jvp_batch`](Tape::jvp_batch); several if memory asks). If an op on the way has no tangent rule, the transpose `u ↦ Jᵀu` is
    /// recorded once instead and each column costs one backward pass over it.
    ///
    /// With the identity as `directions` it is the whole Jacobian, column by column:
    /// cheaper than [`jacobian`](Tape::jacobian)'s row by row when there are fewer inputs
    /// than outputs. With structure it is cheaper still: inputs that never touch the same
    /// output can share one column (seed both with 1), and the output splits them back.
    ///
    /// # Errors
    /// As [`grad`](Tape::grad) with `create_graph`; [`TapeError::ShapeMismatch`] if
    /// `directions` does not have `input.len()` rows.
    ///
    /// # Panics
    /// If `output` or `input` belongs to another tape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let y = tapegrad_tape::Var::concat(&[x * x, x.sum().reshape(&[1])], 0); // [x₀², x₁², x₀ + x₁]
    /// let jacobian = tape.jacobian_times(y, x, array![[1.0, 0.0], [0.0, 1.0]].view())?;
    /// assert_eq!(jacobian, array![[2.0, 0.0], [0.0, 4.0], [1.0, 1.0]]);
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn jacobian_times(
        &'t self,
        output: Var<'t, T>,
        input: Var<'t, T>,
        directions: ArrayView2<'_, T>,
    ) -> Result<ndarray::Array2<T>, TapeError> {
        let in_shape = input.shape();
        let in_len: usize = in_shape.iter().product();
        if directions.nrows() != in_len {
            return Err(TapeError::ShapeMismatch {
                op: "jacobian_times",
                expected: vec![in_len, directions.ncols()],
                actual: directions.shape().to_vec(),
                detail: "one row per input element".into(),
            });
        }
        let out_shape = output.shape();
        let out_len: usize = out_shape.iter().product();
        let mut result = ndarray::Array2::zeros((out_len, directions.ncols()));
        // Forward mode, the columns together. An op without a tangent rule falls back to
        // the recorded transpose below.
        let columns = directions.ncols();
        let per_sweep = self.directions_per_sweep(output, input);
        let forward = (0..columns).step_by(per_sweep).try_for_each(|start| {
            let end = (start + per_sweep).min(columns);
            // Columns start..end as a batch of directions, each of the input's shape.
            let seeds = directions
                .slice(ndarray::s![.., start..end])
                .t()
                .as_standard_layout()
                .into_owned()
                .into_shape_with_order(crate::ops::batch_shape(end - start, &in_shape))
                .expect("checked length");
            let jv = self.jvp_batch(&[output], &[input], &[seeds])?.remove(0);
            let jv = jv.into_shape_with_order((end - start, out_len)).expect("the output's own length");
            result.slice_mut(ndarray::s![.., start..end]).assign(&jv.t());
            Ok(())
        });
        match forward {
            Err(TapeError::NoTangentRule { .. }) => {}
            done => return done.map(|()| result),
        }
        // Jᵀu for a placeholder u, recorded: linear in u, so differentiating ⟨Jᵀu, v⟩ with
        // respect to u gives J·v whatever u's value.
        let u = self.var(ArrayD::zeros(IxDyn(&out_shape)));
        let transpose = self.grad((output * u).sum(), &[input], true)?[0];
        for (column, v) in directions.axis_iter(Axis(1)).enumerate() {
            let seed = v.to_owned().into_shape_with_order(IxDyn(&in_shape)).expect("checked length");
            let grads = self.backward_with_seed(transpose, seed)?;
            if let Some(jv) = grads.get(u) {
                let jv = jv.to_shape(out_len).expect("the output's own length");
                result.column_mut(column).assign(&jv);
            }
        }
        Ok(result)
    }
}
