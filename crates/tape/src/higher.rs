//! Gradients of gradients: the backward pass recorded on the tape as ops
//! ([`Tape::grad`] with `create_graph`), so it can be differentiated again; and the
//! Hessian-vector product built on it.
//!
//! The first-order path ([`Tape::backward`]) is untouched: this is a second reverse loop
//! that calls each op's [`backward_vars`](crate::Op::backward_vars) instead of its array
//! backward.

use ndarray::ArrayD;

use crate::{Float, Tape, TapeError, Var};

impl<'t, T: Float> Tape<'t, T> {
    /// The gradients of `output` (a 0-d value) with respect to each of `inputs`, as
    /// `Var`s on this tape (PyTorch's `torch.autograd.grad`). With `create_graph`, the
    /// backward pass is recorded as ops, so the gradients can themselves be
    /// differentiated — by [`backward`](Tape::backward) or by `grad` again, to any order:
    /// a network's derivative with respect to its input inside a loss, a gradient penalty,
    /// a Hessian. Without it, the gradients are constants (a plain backward pass).
    ///
    /// An input that `output` does not depend on gets zeros.
    ///
    /// # Errors
    /// [`TapeError::NoGradient`] naming an input that wants no gradient (a constant, a
    /// detached or frozen value, or one recorded under `no_grad`): its derivative was not
    /// kept, and zeros would be wrong.
    /// [`TapeError::NotTwiceDifferentiable`] naming the first op (and the line that recorded
    /// it) whose backward cannot be recorded, with `create_graph`; nothing is then
    /// returned, never a wrong answer. [`TapeError::ShapeMismatch`] if `output` is not 0-d.
    ///
    /// # Panics
    /// If `output` or an input belongs to another tape (a programmer error, named with the
    /// node and both tapes).
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let y = x.powf(3.0).sum();                         // y = Σ x³
    /// let dy = tape.grad(y, &[x], true)?[0];             // 3x², recorded
    /// assert_eq!(dy.value(), array![3.0, 12.0].into_dyn());
    /// let d2y = tape.grad(dy.sum(), &[x], true)?[0];     // 6x
    /// assert_eq!(d2y.value(), array![6.0, 12.0].into_dyn());
    /// let d3y = tape.grad(d2y.sum(), &[x], false)?[0];   // 6
    /// assert_eq!(d3y.value(), array![6.0, 6.0].into_dyn());
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn grad(
        &'t self,
        output: Var<'t, T>,
        inputs: &[Var<'t, T>],
        create_graph: bool,
    ) -> Result<Vec<Var<'t, T>>, TapeError> {
        self.check_own(output, "grad");
        for (k, &input) in inputs.iter().enumerate() {
            self.check_own(input, "grad");
            if !input.requires_grad() {
                let site = self.nodes.borrow()[input.index].site.to_string();
                return Err(TapeError::NoGradient { op: "grad", input: k, node: input.index, site });
            }
        }
        if output.ndim() != 0 {
            return Err(TapeError::ShapeMismatch {
                op: "grad",
                expected: vec![],
                actual: output.shape(),
                detail: "the output must be a 0-d value (sum or mean it first)".into(),
            });
        }
        if !create_graph {
            let grads = self.backward(output);
            return Ok(inputs.iter().map(|&x| self.constant(grads.get_or_zeros(x))).collect());
        }
        // Gradients flow to lower indices only, so nodes below the lowest input cannot
        // reach one: the walk stops there (a gradient inside a loop then costs the loop
        // body, not the whole tape so far), and `grads[i - lowest]` is node i's.
        let Some(lowest) = inputs.iter().map(|x| x.index).min() else { return Ok(Vec::new()) };
        if lowest > output.index {
            return Ok(inputs.iter().map(|&x| self.constant(ArrayD::zeros(x.shape()))).collect());
        }
        let mut grads: Vec<Option<Var<'t, T>>> = vec![None; output.index + 1 - lowest];
        grads[output.index - lowest] = Some({
            // The seed ∂output/∂output = 1 is the derivative's first node.
            let site = self.nodes.borrow()[output.index].site;
            let _site = RecordingFor::new(self, site, output.index);
            self.scalar(T::one())
        });
        for i in (lowest..=output.index).rev() {
            let Some(grad_output) = grads[i - lowest] else { continue };
            let (op, input_indices, wanted, site) = {
                let nodes = self.nodes.borrow();
                let node = &nodes[i];
                let Some(op) = node.op() else { continue };
                let inputs = nodes.inputs(i).to_vec();
                let wanted: Vec<bool> = inputs.iter().map(|&j| nodes[j].requires_grad).collect();
                // SAFETY: an op lives as long as the tape's store: nodes are only ever
                // appended, an `OpRef::Boxed`'s allocation does not move when the node list
                // grows, and an `OpRef::Static` is 'static. The reference is used only while
                // `self` (and so the store) is alive, and ops are never mutated.
                let op: &'t dyn crate::Op<T> = unsafe { &*(op as *const dyn crate::Op<T>) };
                (op, inputs, wanted, node.site)
            };
            if !wanted.iter().any(|&w| w) {
                continue;
            }
            let input_vars: Vec<Var<'t, T>> = input_indices.iter().map(|&j| Var::new(self, j)).collect();
            // The ops this derivative records (and the sums of what reaches each input)
            // carry the line of the op it differentiates, until the guard drops.
            let _site = RecordingFor::new(self, site, i);
            let Some(input_grads) = op.backward_vars(&input_vars, Var::new(self, i), grad_output) else {
                return Err(TapeError::NotTwiceDifferentiable {
                    op: op.name(),
                    node: i,
                    site: site.to_string(),
                });
            };
            for ((&j, grad), want) in input_indices.iter().zip(input_grads).zip(wanted) {
                let Some(grad) = grad.filter(|_| want && j >= lowest) else { continue };
                grads[j - lowest] = Some(match grads[j - lowest] {
                    Some(total) => total + grad,
                    None => grad,
                });
            }
        }
        Ok(inputs
            .iter()
            .map(|&x| match grads.get(x.index - lowest).copied().flatten() {
                Some(grad) => grad,
                None => self.constant(ArrayD::zeros(x.shape())),
            })
            .collect())
    }

    /// The Hessian of `output` (a 0-d value) with respect to `inputs`, times `vectors`
    /// (one per input, of its shape): `H·v`, by differentiating `Σ ∇output · v` — two
    /// backward passes, no Hessian formed. The building block of Newton-CG and of
    /// curvature checks.
    ///
    /// # Errors
    /// As [`grad`](Tape::grad); [`TapeError::ShapeMismatch`] if a vector's shape differs
    /// from its input's.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// // f = x₀² x₁ + x₁³: H = [[2x₁, 2x₀], [2x₀, 6x₁]] = [[4, 2], [2, 12]] at (1, 2)
    /// let (x0, x1) = (x.slice_axis(0, 0..1), x.slice_axis(0, 1..2));
    /// let f = (x0.square() * x1).sum() + x1.powf(3.0).sum();
    /// let hv = tape.hessian_vector_product(f, &[x], &[array![1.0, 0.0].into_dyn()])?;
    /// assert_eq!(hv[0], array![4.0, 2.0].into_dyn());
    /// let hv = tape.hessian_vector_product(f, &[x], &[array![0.0, 1.0].into_dyn()])?;
    /// assert_eq!(hv[0], array![2.0, 12.0].into_dyn());
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn hessian_vector_product(
        &'t self,
        output: Var<'t, T>,
        inputs: &[Var<'t, T>],
        vectors: &[ArrayD<T>],
    ) -> Result<Vec<ArrayD<T>>, TapeError> {
        if inputs.len() != vectors.len() {
            return Err(TapeError::ShapeMismatch {
                op: "hessian_vector_product",
                expected: vec![inputs.len()],
                actual: vec![vectors.len()],
                detail: "one vector per input".into(),
            });
        }
        for (x, v) in inputs.iter().zip(vectors) {
            if x.shape() != v.shape() {
                return Err(TapeError::ShapeMismatch {
                    op: "hessian_vector_product",
                    expected: x.shape(),
                    actual: v.shape().to_vec(),
                    detail: "one vector per input, of its shape".into(),
                });
            }
        }
        let gradients = self.grad(output, inputs, true)?;
        let mut dot = self.scalar(T::zero());
        for (g, v) in gradients.iter().zip(vectors) {
            dot = dot + (*g * self.constant(v.clone())).sum();
        }
        let hv = self.grad(dot, inputs, false)?;
        Ok(hv.iter().map(|v| v.value()).collect())
    }

    /// The Jacobian-vector product `J·v` of `output` with respect to `input` (forward
    /// mode's directional derivative: how `output` moves when `input` moves along `v`), by
    /// the double-VJP trick: `Jᵀu` is recorded for a placeholder `u`, and differentiating
    /// `⟨Jᵀu, v⟩` with respect to `u` gives `J·v`. Two reverse passes, no Jacobian formed.
    ///
    /// # Errors
    /// As [`grad`](Tape::grad); [`TapeError::ShapeMismatch`] if `v`'s shape is not
    /// `input`'s.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let y = x.square() * 3.0;                 // J = diag(6x) = diag(6, 12)
    /// let jv = tape.jacobian_vector_product(y, x, &array![1.0, -1.0].into_dyn())?;
    /// assert_eq!(jv, array![6.0, -12.0].into_dyn());
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn jacobian_vector_product(
        &'t self,
        output: Var<'t, T>,
        input: Var<'t, T>,
        v: &ArrayD<T>,
    ) -> Result<ArrayD<T>, TapeError> {
        if v.shape() != input.shape() {
            return Err(TapeError::ShapeMismatch {
                op: "jacobian_vector_product",
                expected: input.shape(),
                actual: v.shape().to_vec(),
                detail: "the direction has the input's shape".into(),
            });
        }
        let u = self.var(ArrayD::zeros(output.shape()));
        let vjp = self.grad((output * u).sum(), &[input], true)?[0];
        let jv = self.grad((vjp * self.constant(v.clone())).sum(), &[u], false)?[0];
        Ok(jv.value())
    }

    /// The full Jacobian of `output` with respect to `input`, as a matrix of
    /// `output.len()` rows and `input.len()` columns (both flattened in row-major order):
    /// one reverse pass per row, or, when the input has fewer elements than the output,
    /// one forward sweep per column ([`jacobian_forward`](Tape::jacobian_forward)). For
    /// small problems and for checking.
    ///
    /// # Errors
    /// As [`grad`](Tape::grad).
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let w = tape.constant(array![[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]]);
    /// let y = x.reshape(&[1, 2]).matmul(&w);    // J = Wᵀ
    /// assert_eq!(tape.jacobian(y, x)?, array![[1.0, 0.0], [0.0, 3.0], [2.0, 1.0]]);
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn jacobian(
        &'t self,
        output: Var<'t, T>,
        input: Var<'t, T>,
    ) -> Result<ndarray::Array2<T>, TapeError> {
        let (rows, cols) = (output.with_value(|y| y.len()), input.with_value(|x| x.len()));
        if cols < rows {
            // Fewer columns than rows: a forward sweep per column is cheaper. An op without
            // a tangent rule falls back to reverse mode.
            match self.jacobian_forward(output, input) {
                Err(TapeError::NoTangentRule { .. }) => {}
                result => return result,
            }
        }
        let flat = output.reshape(&[rows]);
        let mut jacobian = ndarray::Array2::zeros((rows, cols));
        for (j, mut row) in jacobian.outer_iter_mut().enumerate() {
            let element = flat.slice_axis(0, j..j + 1).sum();
            let grad = self.grad(element, &[input], false)?[0].value();
            row.assign(&ndarray::ArrayView1::from(grad.as_standard_layout().as_slice().unwrap_or(&[])));
        }
        Ok(jacobian)
    }

    /// The full Hessian of `output` (a 0-d value) with respect to `input`, as a symmetric
    /// `n × n` matrix for `n = input.len()` (flattened in row-major order): the gradient
    /// recorded once, then one reverse pass per row. For small problems: Newton's method,
    /// curvature at a minimum, checking.
    ///
    /// # Errors
    /// As [`grad`](Tape::grad).
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let (x0, x1) = (x.slice_axis(0, 0..1), x.slice_axis(0, 1..2));
    /// let f = (x0.square() * x1).sum() + x1.powf(3.0).sum();
    /// assert_eq!(tape.hessian(f, x)?, array![[4.0, 2.0], [2.0, 12.0]]);
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn hessian(&'t self, output: Var<'t, T>, input: Var<'t, T>) -> Result<ndarray::Array2<T>, TapeError> {
        let gradient = self.grad(output, &[input], true)?[0];
        self.jacobian(gradient, input)
    }
}

/// Sets [`Tape::recording_for`] for as long as it lives (a panic inside a derivative
/// included), then puts back what was there.
struct RecordingFor<'a, 't, T: Float> {
    tape: &'a Tape<'t, T>,
    outer: Option<&'static std::panic::Location<'static>>,
    /// The node whose derivative is recorded, and the first node recorded for it.
    of: usize,
    first: usize,
}

impl<'a, 't, T: Float> RecordingFor<'a, 't, T> {
    fn new(tape: &'a Tape<'t, T>, site: &'static std::panic::Location<'static>, of: usize) -> Self {
        let first = tape.len();
        RecordingFor { tape, outer: tape.recording_for.replace(Some(site)), of, first }
    }
}

impl<T: Float> Drop for RecordingFor<'_, '_, T> {
    fn drop(&mut self) {
        self.tape.recording_for.set(self.outer);
        let end = self.tape.len();
        if end > self.first {
            self.tape.derivatives.borrow_mut().push((self.first, end, self.of));
        }
    }
}
