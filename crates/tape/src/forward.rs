//! Forward mode: tangents pushed through the recorded tape in recording order, each op's
//! [`tangent`](crate::Op::tangent) rule beside its forward and backward. One sweep gives
//! `J·v` for every output at once — cheap when the inputs are few and the outputs many,
//! where reverse mode needs a pass per output.

use ndarray::{ArrayD, ArrayViewD};

use crate::{Float, Tape, TapeError, Var};

impl<'t, T: Float> Tape<'t, T> {
    /// The Jacobian-vector products `J·v` of each of `outputs` with respect to `inputs`,
    /// by forward mode (PyTorch's `torch.func.jvp`, JAX's `jvp`): `tangents[k]` is the
    /// direction `inputs[k]` moves in (of its shape), and each output's tangent
    /// `ẏ = Σₖ ∂y/∂xₖ · ẋₖ` comes from one sweep over the nodes recorded after the first
    /// input, every op applying its tangent rule — no backward pass, and all outputs at
    /// once. An output that does not depend on the inputs gets zeros.
    ///
    /// The ops were recorded as the program ran; forward mode reads their values and
    /// walks them again, so it costs about one more forward pass. An input may be an
    /// intermediate value: its tangent is added to what reaches it from earlier inputs,
    /// which is what the total derivative asks (the same as [`grad`](Tape::grad) gives
    /// for such an input, transposed).
    ///
    /// # Errors
    /// [`TapeError::NoGradient`] naming an input that wants no gradient (ops on constants
    /// are not kept, so zeros would be wrong); [`TapeError::ShapeMismatch`] if a tangent's
    /// shape is not its input's; [`TapeError::NoTangentRule`] naming the first op on the
    /// way (and the line that recorded it) that has no tangent rule.
    ///
    /// # Panics
    /// If `inputs` and `tangents` differ in length, or a value belongs to another tape
    /// (programmer errors).
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let y = x.square() * 3.0;           // J = diag(6x)
    /// let s = y.sum();                    // J = 6xᵀ
    /// let jv = tape.jvp(&[y, s], &[x], &[array![1.0, -1.0].into_dyn()])?;
    /// assert_eq!(jv[0], array![6.0, -12.0].into_dyn());
    /// assert_eq!(jv[1][[]], -6.0);
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn jvp(
        &'t self,
        outputs: &[Var<'t, T>],
        inputs: &[Var<'t, T>],
        tangents: &[ArrayD<T>],
    ) -> Result<Vec<ArrayD<T>>, TapeError> {
        self.check_jvp_arguments(
            "jvp",
            outputs,
            inputs,
            tangents,
            |shape| shape.to_vec(),
            |k| format!("tangent {k} has the shape of its input"),
        )?;
        self.sweep(outputs, inputs, tangents, None)
    }

    /// [`jvp`](Tape::jvp) in many directions at once (JAX's `vmap(jvp)`, PyTorch's
    /// `vmap` over `torch.func.jvp`): each `tangents[k]` has a leading axis of `d`
    /// directions (`[d, ..inputs[k].shape]`, the same `d` for every input), and each
    /// output's result is `[d, ..output.shape]`, direction `j` being what `jvp` gives
    /// for the tangents' slices `j`. One sweep carries every direction: each op is
    /// visited once, an elementwise op computes its derivative once for all of them and
    /// a matrix product makes one larger product ([`Op::tangent_batch`](crate::Op::tangent_batch)),
    /// which is what makes a Jacobian with a few dozen columns cheap
    /// ([`jacobian_times`](Tape::jacobian_times), [`jacobian_forward`](Tape::jacobian_forward)).
    ///
    /// # Errors
    /// As [`jvp`](Tape::jvp); [`TapeError::ShapeMismatch`] if a tangent is not
    /// `[d, ..its input's shape]` with one `d` for all.
    ///
    /// # Panics
    /// As [`jvp`](Tape::jvp).
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![1.0, 2.0]);
    /// let y = x.square() * 3.0;                            // J = diag(6x)
    /// let directions = array![[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]].into_dyn();
    /// let jv = tape.jvp_batch(&[y], &[x], &[directions])?;
    /// assert_eq!(jv[0], array![[6.0, 0.0], [0.0, 12.0], [6.0, -12.0]].into_dyn());
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn jvp_batch(
        &'t self,
        outputs: &[Var<'t, T>],
        inputs: &[Var<'t, T>],
        tangents: &[ArrayD<T>],
    ) -> Result<Vec<ArrayD<T>>, TapeError> {
        let directions = tangents.first().and_then(|t| t.shape().first().copied()).unwrap_or(0);
        self.check_jvp_arguments(
            "jvp_batch",
            outputs,
            inputs,
            tangents,
            |shape| crate::ops::batch_shape(directions, shape),
            |k| {
                format!(
                    "tangent {k} is its input's shape after a leading axis of directions ({directions}, as tangent 0's)"
                )
            },
        )?;
        self.sweep(outputs, inputs, tangents, Some(directions))
    }

    /// The checks [`jvp`](Tape::jvp) and [`jvp_batch`](Tape::jvp_batch) share: one
    /// tangent per input (a programmer error otherwise), every value this tape's, every
    /// input wanting a gradient, and each tangent of the shape `expected` gives for its
    /// input's (`detail` says which rule it broke).
    #[track_caller]
    fn check_jvp_arguments(
        &self,
        op: &'static str,
        outputs: &[Var<'t, T>],
        inputs: &[Var<'t, T>],
        tangents: &[ArrayD<T>],
        expected: impl Fn(&[usize]) -> Vec<usize>,
        detail: impl Fn(usize) -> String,
    ) -> Result<(), TapeError> {
        assert_eq!(
            inputs.len(),
            tangents.len(),
            "{op}: {} inputs but {} tangents (one per input)",
            inputs.len(),
            tangents.len()
        );
        for &output in outputs {
            self.check_own(output, op);
        }
        for (k, (&input, tangent)) in inputs.iter().zip(tangents).enumerate() {
            self.check_own(input, op);
            if !input.requires_grad() {
                let site = self.nodes.borrow()[input.index].site.to_string();
                return Err(TapeError::NoGradient { op, input: k, node: input.index, site });
            }
            let expected = expected(&input.shape());
            if tangent.shape() != expected.as_slice() {
                return Err(TapeError::ShapeMismatch {
                    op,
                    expected,
                    actual: tangent.shape().to_vec(),
                    detail: detail(k),
                });
            }
        }
        Ok(())
    }

    /// The forward sweep of [`jvp`](Tape::jvp) (`directions` `None`: tangents of their
    /// nodes' shapes) and [`jvp_batch`](Tape::jvp_batch) (`Some(d)`: each with a leading
    /// axis of `d` directions), the inputs already checked.
    fn sweep(
        &'t self,
        outputs: &[Var<'t, T>],
        inputs: &[Var<'t, T>],
        tangents: &[ArrayD<T>],
        directions: Option<usize>,
    ) -> Result<Vec<ArrayD<T>>, TapeError> {
        let zeros = |y: &Var<'t, T>| match directions {
            None => ArrayD::zeros(y.shape()),
            Some(d) => ArrayD::zeros(crate::ops::batch_shape(d, &y.shape())),
        };
        let (Some(lowest), Some(highest)) =
            (inputs.iter().map(|x| x.index).min(), outputs.iter().map(|y| y.index).max())
        else {
            return Ok(outputs.iter().map(zeros).collect());
        };
        if highest < lowest {
            return Ok(outputs.iter().map(zeros).collect());
        }
        // `tangent[i - lowest]` is node i's (nodes below the lowest input have none), seeded
        // with the inputs' tangents; an input recorded after every output cannot move one.
        let mut tangent: Vec<Option<ArrayD<T>>> = vec![None; highest + 1 - lowest];
        for (input, direction) in inputs.iter().zip(tangents) {
            let Some(seed) = tangent.get_mut(input.index - lowest) else { continue };
            *seed = Some(match seed.take() {
                Some(mut sum) => {
                    sum += direction;
                    sum
                }
                None => direction.clone(),
            });
        }
        let nodes = self.nodes.borrow();
        // How many later nodes read each tangent (outputs count once more): a tangent
        // goes back to the pool after its last reader, so a long sweep reuses memory
        // instead of faulting in fresh pages for every node.
        let mut readers = vec![0usize; highest + 1 - lowest];
        for i in lowest..=highest {
            if nodes[i].op().is_some() {
                for &j in nodes.inputs(i).iter().filter(|&&j| j >= lowest) {
                    readers[j - lowest] += 1;
                }
            }
        }
        for output in outputs {
            if let Some(k) = output.index.checked_sub(lowest) {
                readers[k] += 1;
            }
        }
        for i in lowest..=highest {
            let seed = tangent[i - lowest].take();
            // A node without its op (a leaf, or recorded under no_grad) passes nothing on.
            let propagated = match nodes[i].op() {
                None => None,
                Some(op) => {
                    let input_tangents: Vec<Option<ArrayViewD<'_, T>>> = nodes
                        .inputs(i)
                        .iter()
                        .map(|&j| j.checked_sub(lowest).and_then(|k| tangent[k].as_ref()).map(|t| t.view()))
                        .collect();
                    if input_tangents.iter().all(Option::is_none) {
                        None
                    } else {
                        let views: Vec<ArrayViewD<'_, T>> =
                            nodes.inputs(i).iter().map(|&j| nodes.view(j)).collect();
                        let output = nodes.view(i);
                        let rule = match directions {
                            None => op.tangent(&views, &output, &input_tangents),
                            Some(_) => op.tangent_batch(&views, &output, &input_tangents),
                        };
                        match rule {
                            Some(t) => Some(t),
                            None => {
                                return Err(TapeError::NoTangentRule {
                                    op: op.name(),
                                    node: i,
                                    site: nodes[i].site.to_string(),
                                })
                            }
                        }
                    }
                }
            };
            if nodes[i].op().is_some() {
                for &j in nodes.inputs(i).iter().filter(|&&j| j >= lowest) {
                    readers[j - lowest] -= 1;
                    if readers[j - lowest] == 0 {
                        if let Some(spent) = tangent[j - lowest].take() {
                            crate::pool::recycle(spent);
                        }
                    }
                }
            }
            tangent[i - lowest] = match (propagated, seed) {
                (Some(mut t), Some(seed)) => {
                    t += &seed;
                    Some(t)
                }
                (t, seed) => t.or(seed),
            };
            if readers[i - lowest] == 0 {
                // Nothing reads it (no output depends on this node).
                if let Some(unread) = tangent[i - lowest].take() {
                    crate::pool::recycle(unread);
                }
            }
        }
        Ok(outputs
            .iter()
            .map(|y| match y.index.checked_sub(lowest).and_then(|k| tangent[k].clone()) {
                Some(t) => t,
                None => zeros(y),
            })
            .collect())
    }

    /// The full Jacobian of `output` with respect to `input` by forward mode: a direction
    /// per input element, each giving a column (all rows at once), carried together by
    /// [`jvp_batch`](Tape::jvp_batch), as many per sweep as memory allows. The
    /// cheaper way when the input is smaller than the output (a curve `ℝ → ℝ¹⁰⁰`, a PINN's
    /// input); [`jacobian`](Tape::jacobian) picks it then. Rows are `output`'s elements
    /// and columns `input`'s, both flattened in row-major order.
    ///
    /// # Errors
    /// As [`jvp`](Tape::jvp).
    ///
    /// # Panics
    /// If `output` or `input` belongs to another tape.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let t = tape.var(array![0.5]);
    /// let curve = tapegrad_tape::Var::concat(&[t.sin(), t.cos(), t.square()], 0); // ℝ → ℝ³
    /// let j = tape.jacobian_forward(curve, t)?;
    /// assert_eq!(j.shape(), &[3, 1]);
    /// assert_eq!(j[[2, 0]], 1.0); // d(t²)/dt = 2t
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn jacobian_forward(
        &'t self,
        output: Var<'t, T>,
        input: Var<'t, T>,
    ) -> Result<ndarray::Array2<T>, TapeError> {
        let (rows, cols) = (output.with_value(|y| y.len()), input.with_value(|x| x.len()));
        let mut jacobian = ndarray::Array2::zeros((rows, cols));
        let shape = input.shape();
        let per_sweep = self.directions_per_sweep(output, input);
        for start in (0..cols).step_by(per_sweep) {
            let end = (start + per_sweep).min(cols);
            // Rows of the identity, start..end: direction j moves input element start + j.
            let mut directions = ndarray::Array2::<T>::zeros((end - start, cols));
            (start..end).for_each(|k| directions[[k - start, k]] = T::one());
            let directions = directions
                .into_shape_with_order(crate::ops::batch_shape(end - start, &shape))
                .expect("as many elements");
            let jv = self.jvp_batch(&[output], &[input], &[directions])?.remove(0);
            let jv = jv.into_shape_with_order((end - start, rows)).expect("the output's own length");
            jacobian.slice_mut(ndarray::s![.., start..end]).assign(&jv.t());
        }
        Ok(jacobian)
    }

    /// How many directions one [`jvp_batch`](Tape::jvp_batch) sweep from `input` to
    /// `output` carries: as many as keep its largest tangent batch near 4 Mi numbers
    /// (32 MiB of f64), at least one.
    pub(crate) fn directions_per_sweep(&self, output: Var<'t, T>, input: Var<'t, T>) -> usize {
        const BUDGET: usize = 1 << 22;
        let nodes = self.nodes.borrow();
        // (Clamped to the tape: a value of another tape is refused by `jvp_batch` next.)
        let last = output.index.max(input.index).min(nodes.len().saturating_sub(1));
        let largest = (input.index.min(last)..=last).map(|i| nodes.view(i).len()).max().unwrap_or(1).max(1);
        (BUDGET / largest).max(1)
    }
}
