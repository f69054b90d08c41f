//! Second-order checking (PyTorch's `gradgradcheck`): the derivative of the recorded
//! backward pass against central differences of the ordinary one.

use ndarray::{ArrayD, ArrayViewD, Dimension};

use super::per_op::cotangent;
use super::{Function, GradCheck, GradCheckReport, OpCheck, OpCheckReport};
use crate::{Float, InputGrads, Op, Tape, TapeError, Var, VarGrads};

impl GradCheck {
    /// Checks second derivatives of `f` at `inputs`, element by element, as PyTorch's
    /// `gradgradcheck` does: with a fixed cotangent `u` per input (pseudo-random, seeded),
    /// the function `g(x) = Σ_k ⟨∂f/∂x_k, u_k⟩` is differentiated twice over —
    /// analytically, by recording `f`'s gradient with [`Tape::grad`] (`create_graph`)
    /// and running backward on `g`, and numerically, by central differences of `g`
    /// computed with the ordinary backward pass. A disagreement means some op's recorded
    /// backward ([`Op::backward_vars`]) is wrong. Elements whose
    /// perturbation crosses a relu/max/clamp kink are reported as kinks, as in
    /// [`check`](GradCheck::check).
    ///
    /// # Errors
    /// [`TapeError::NotTwiceDifferentiable`] naming the first op without a recorded
    /// backward.
    ///
    /// # Panics
    /// If `f` returns a value with more than one element.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let report = GradCheck::new().check_second_order(
    ///     |_t, v| (v[0].tanh() * v[1]).sum(),
    ///     &[array![0.5, -1.0].into_dyn(), array![2.0, 0.3].into_dyn()],
    /// )?;
    /// assert!(report.passed(), "{report}");
    /// assert_eq!(report.elements.len(), 4);
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    pub fn check_second_order<T, F>(&self, f: F, inputs: &[ArrayD<T>]) -> Result<GradCheckReport, TapeError>
    where
        T: Float,
        F: for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>,
    {
        self.check_second_order_of(&f, inputs)
    }

    fn check_second_order_of<T: Float>(
        &self,
        f: Function<'_, T>,
        inputs: &[ArrayD<T>],
    ) -> Result<GradCheckReport, TapeError> {
        let cotangents: Vec<ArrayD<T>> =
            inputs.iter().enumerate().map(|(k, x)| cotangent(x.shape(), 0xC0FFEE + k as u64)).collect();
        // g(x) = Σ_k ⟨∂f/∂x_k, u_k⟩ by the ordinary backward pass, and the branches taken.
        let g = |xs: &[ArrayD<T>]| -> (f64, crate::BranchSignature) {
            let tape = Tape::new();
            let vars: Vec<Var<'_, T>> = xs.iter().map(|x| tape.var(x.view())).collect();
            let grads = tape.backward(f(&tape, &vars));
            let value = vars
                .iter()
                .zip(&cotangents)
                .map(|(&v, u)| {
                    grads
                        .get_or_zeros(v)
                        .iter()
                        .zip(u)
                        .map(|(&a, &b)| Float::to_f64(a) * Float::to_f64(b))
                        .sum::<f64>()
                })
                .sum();
            (value, tape.branch_signature())
        };
        let analytic: Vec<ArrayD<T>> = {
            let tape = Tape::new();
            let vars: Vec<Var<'_, T>> = inputs.iter().map(|x| tape.var(x.view())).collect();
            let gradients = tape.grad(f(&tape, &vars), &vars, true)?;
            let mut dot = tape.scalar(T::zero());
            for (grad, u) in gradients.iter().zip(&cotangents) {
                dot = dot + (*grad * tape.constant(u.view())).sum();
            }
            let second = tape.backward(dot);
            vars.iter().map(|&v| second.get_or_zeros(v)).collect()
        };
        let (_, base) = g(inputs);
        let mut xs = inputs.to_vec();
        let mut elements = Vec::new();
        for (input, grad) in analytic.iter().enumerate() {
            for (index, &a) in grad.indexed_iter() {
                let original = xs[input][&index];
                let step = T::from_f64(self.step);
                xs[input][&index] = original + step;
                let (plus, plus_branches) = g(&xs);
                xs[input][&index] = original - step;
                let (minus, minus_branches) = g(&xs);
                xs[input][&index] = original;
                let span = Float::to_f64(original + step) - Float::to_f64(original - step);
                let kink = plus_branches != base || minus_branches != base;
                elements.push(self.compare(
                    &self.name(input),
                    input,
                    index.slice().to_vec(),
                    Float::to_f64(a),
                    (plus - minus) / span,
                    kink,
                ));
            }
        }
        Ok(self.report(elements))
    }
}

/// An op of another tape, lent to a short-lived tape so that it can be recorded again on
/// its own (see [`GradCheck::check_ops_second_order`]).
struct Lent<T: Float>(&'static dyn Op<T>);

impl<T: Float> Clone for Lent<T> {
    fn clone(&self) -> Self {
        Lent(self.0)
    }
}

impl<T: Float> Op<T> for Lent<T> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        self.0.check_shapes(shapes)
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        self.0.forward(inputs)
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        wanted: &[bool],
    ) -> InputGrads<T> {
        self.0.backward(inputs, output, grad_output, wanted)
    }
    fn branches(&self, inputs: &[ArrayViewD<'_, T>]) -> Option<Vec<i8>> {
        self.0.branches(inputs)
    }
    fn tangent(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        self.0.tangent(inputs, output, tangents)
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        output: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        self.0.backward_vars(inputs, output, grad_output)
    }
}

impl GradCheck {
    /// [`check_second_order`](GradCheck::check_second_order) for every op `f` records, on
    /// its own (as [`check_ops`](GradCheck::check_ops) does for first derivatives): each op
    /// is recorded again at the inputs it had and checked with a seeded cotangent, so a
    /// wrong second derivative is reported with the op's name, node and line.
    ///
    /// # Errors
    /// [`TapeError::NotTwiceDifferentiable`] naming the first op without a recorded
    /// backward.
    ///
    /// # Panics
    /// If `f` returns a value with more than one element.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::gradcheck::GradCheck;
    /// let report = GradCheck::new().check_ops_second_order(
    ///     |_t, v| (v[0].tanh() * v[0]).sum(),
    ///     &[array![0.5, -1.0].into_dyn()],
    /// )?;
    /// assert_eq!(report.ops.iter().map(|op| op.op).collect::<Vec<_>>(), ["tanh", "mul", "sum"]);
    /// report.assert_passed();
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    pub fn check_ops_second_order<T, F>(&self, f: F, inputs: &[ArrayD<T>]) -> Result<OpCheckReport, TapeError>
    where
        T: Float,
        F: for<'t> Fn(&'t Tape<'t, T>, &[Var<'t, T>]) -> Var<'t, T>,
    {
        self.check_ops_second_order_of(&f, inputs)
    }

    fn check_ops_second_order_of<T: Float>(
        &self,
        f: Function<'_, T>,
        inputs: &[ArrayD<T>],
    ) -> Result<OpCheckReport, TapeError> {
        let tape = Tape::new();
        let vars: Vec<Var<'_, T>> = inputs.iter().map(|x| tape.var(x.view())).collect();
        let _ = f(&tape, &vars);
        let nodes = tape.nodes.borrow();
        let mut ops = Vec::new();
        for (index, node) in nodes.iter().enumerate() {
            let Some(op) = node.op() else { continue };
            let xs: Vec<ArrayD<T>> = nodes.inputs(index).iter().map(|&j| nodes.view(j).to_owned()).collect();
            // SAFETY: the lent op is recorded only on tapes that `check_second_order`
            // makes and drops before returning, while `tape` (which owns the op) is alive
            // and unchanged; dropping a lent op frees nothing.
            let lent = Lent(unsafe { std::mem::transmute::<&dyn Op<T>, &'static dyn Op<T>>(op) });
            let seed = index as u64;
            let report = self.check_second_order_of(
                &|t, v| {
                    let y = t.apply(lent.clone(), v);
                    (y * t.constant(cotangent::<T>(&y.shape(), seed))).sum()
                },
                &xs,
            )?;
            let elements = report
                .elements
                .into_iter()
                .map(|mut e| {
                    e.input_name = format!("input {} (node {})", e.input, nodes.inputs(index)[e.input]);
                    e
                })
                .collect();
            ops.push(OpCheck {
                node: index,
                op: op.name(),
                describe: op.describe(),
                site: node.site,
                elements,
            });
        }
        Ok(OpCheckReport { ops })
    }
}
