//! Second-order checking (PyTorch's `gradgradcheck`): the derivative of the recorded
//! backward pass against central differences of the ordinary one.

use ndarray::{ArrayD, Dimension};

use super::per_op::cotangent;
use super::{GradCheck, GradCheckReport};
use crate::{Float, Tape, TapeError, Var};

impl GradCheck {
    /// Checks second derivatives of `f` at `inputs`, element by element, as PyTorch's
    /// `gradgradcheck` does: with a fixed cotangent `u` per input (pseudo-random, seeded),
    /// the function `g(x) = Σ_k ⟨∂f/∂x_k, u_k⟩` is differentiated twice over —
    /// analytically, by recording `f`'s gradient with [`Tape::grad`] (`create_graph`)
    /// and running backward on `g`, and numerically, by central differences of `g`
    /// computed with the ordinary backward pass. A disagreement means some op's recorded
    /// backward ([`Op::backward_vars`](crate::Op::backward_vars)) is wrong. Elements whose
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
