//! Softmax cross-entropy with integer labels as one op, for measured speed: the composed
//! form (`log_softmax`, `gather`, `reshape`, `neg`, then `sum` and `mul_scalar` for the mean)
//! records six nodes and allocates a dozen times per step; fused it is one node. Its
//! numbers are the composed form's, bit for bit (a test holds it to that): the same
//! max-shifted log-sum-exp per row, the same summation and the same backward arithmetic.

use ndarray::{ArrayD, ArrayView1, ArrayViewD};
use tapegrad_tape::smallvec::smallvec;
use tapegrad_tape::{pooled_zeros, recycle, Float, InputGrads, Op, Var, VarGrads};

use crate::Reduction;

/// `lₙ = −((xₙ,yₙ − mₙ) − ln Σ_c e^(xₙ,c − mₙ))` with `mₙ = max_c xₙ,c`, then reduced.
/// `∂L/∂xₙ,c = gₙ · (1[c = yₙ] − softmax(xₙ)_c)` with `gₙ = ∂L/∂lₙ`, written as the composed
/// form computes it: `1[c = yₙ]·(−gₙ) − e^(log softmax(xₙ)_c) · (−gₙ)`.
pub(crate) struct SoftmaxCrossEntropy {
    pub(crate) labels: Vec<usize>,
    /// `BatchMean` is `Mean` here: the losses are one per sample.
    pub(crate) reduction: Reduction,
}

/// A row's shift (its max, or 0 if that is not finite) and `ln Σ e^(x − shift)`, in the
/// order `log_softmax` computes them.
fn row_stats<T: Float>(row: ArrayView1<'_, T>) -> (T, T) {
    let max = row.fold(T::neg_infinity(), |m, &v| m.max(v));
    let shift = if max.is_finite() { max } else { T::zero() };
    let total = row.fold(T::zero(), |acc, &v| acc + (v - shift).exp());
    (shift, total.ln())
}

impl<T: Float> Op<T> for SoftmaxCrossEntropy {
    fn name(&self) -> &'static str {
        "cross_entropy"
    }

    fn rule(&self) -> Option<String> {
        Some("lossₙ = log Σⱼ e^xₙⱼ − xₙ,labelₙ;  ∂L/∂xₙ = ∂L/∂lossₙ · (softmax(xₙ) − onehot(labelₙ)) (divided by the batch for a mean)".into())
    }

    fn describe(&self) -> String {
        format!("{} labels, {:?}", self.labels.len(), self.reduction)
    }

    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        match shapes[0] {
            [batch, _] if *batch == self.labels.len() => Ok(()),
            shape => Err(format!("expects logits [{}, classes], got {shape:?}", self.labels.len())),
        }
    }

    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        let mut losses = pooled_zeros(&[self.labels.len()]);
        for ((loss, row), &label) in losses.iter_mut().zip(x.outer_iter()).zip(&self.labels) {
            let row = row.into_dimensionality().expect("a row of [batch, classes]");
            let (shift, log_total) = row_stats(row);
            *loss = -((row[label] - shift) - log_total);
        }
        let reduced = match self.reduction {
            Reduction::None => return losses,
            // Added as `Var::sum` adds, so the fused op equals the composition bit for bit.
            Reduction::Sum => tapegrad_tape::sum_all(&losses.view()),
            Reduction::Mean | Reduction::BatchMean => {
                tapegrad_tape::sum_all(&losses.view()) * (T::one() / T::from_f64(self.labels.len() as f64))
            }
        };
        recycle(losses);
        let mut out = pooled_zeros(&[]);
        out[[]] = reduced;
        out
    }

    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        // −gₙ, as mean's scaling, the sum's broadcast and neg's rule produce it.
        let scale = T::one() / T::from_f64(self.labels.len() as f64);
        let per_sample = |n: usize| match self.reduction {
            Reduction::None => grad_output[[n]] * -T::one(),
            Reduction::Sum => grad_output[[]] * -T::one(),
            Reduction::Mean | Reduction::BatchMean => grad_output[[]] * scale * -T::one(),
        };
        let mut grad_x = pooled_zeros(x.shape());
        for (n, (row, mut grad_row)) in x.outer_iter().zip(grad_x.outer_iter_mut()).enumerate() {
            let row = row.into_dimensionality().expect("a row of [batch, classes]");
            let (shift, log_total) = row_stats(row);
            let picked = T::zero() + per_sample(n);
            // The scattered row sums to `picked` exactly (every other entry is zero).
            let total = picked;
            for (c, (g, &v)) in grad_row.iter_mut().zip(row.iter()).enumerate() {
                let start = if c == self.labels[n] { picked } else { T::zero() };
                let log_probability = (v - shift) - log_total;
                *g = start - log_probability.exp() * total;
            }
        }
        smallvec![Some(grad_x)]
    }

    /// `l̇ₙ = Σ_c (softmax(xₙ)_c − 1[c = yₙ]) · ẋₙ,c`, then reduced as the losses are.
    fn tangent(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let (x, dx) = (&inputs[0], tangents[0].as_ref()?);
        let mut per_sample = ArrayD::zeros(vec![self.labels.len()]);
        for (((loss, row), t), &label) in
            per_sample.iter_mut().zip(x.outer_iter()).zip(dx.outer_iter()).zip(&self.labels)
        {
            let row = row.into_dimensionality().ok()?;
            let (shift, log_total) = row_stats(row);
            *loss = row.iter().zip(t.iter()).enumerate().fold(T::zero(), |acc, (c, (&v, &t))| {
                let probability = ((v - shift) - log_total).exp();
                acc + (probability - if c == label { T::one() } else { T::zero() }) * t
            });
        }
        let reduced = match self.reduction {
            Reduction::None => return Some(per_sample),
            Reduction::Sum => tapegrad_tape::sum_all(&per_sample.view()),
            Reduction::Mean | Reduction::BatchMean => {
                tapegrad_tape::sum_all(&per_sample.view())
                    * (T::one() / T::from_f64(self.labels.len() as f64))
            }
        };
        Some(ArrayD::from_elem(vec![], reduced))
    }

    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        _y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        // ∂L/∂x = (softmax(x) − onehot(labels)) · g per row (g scaled by 1/n for the mean),
        // as differentiable ops: softmax has a recorded backward; the one-hot is a constant.
        let x = inputs[0];
        let shape = x.shape();
        let tape = x.tape();
        let mut onehot = ArrayD::zeros(shape.clone());
        for (n, &label) in self.labels.iter().enumerate() {
            onehot[[n, label]] = T::one();
        }
        let per_row = match self.reduction {
            Reduction::None => grad_output.reshape(&[shape[0], 1]),
            Reduction::Sum => grad_output.reshape(&[1, 1]),
            Reduction::Mean | Reduction::BatchMean => {
                grad_output.mul_scalar(T::one() / T::from_f64(self.labels.len() as f64)).reshape(&[1, 1])
            }
        };
        Some(smallvec![Some((x.softmax(1) - tape.constant(onehot)) * per_row)])
    }
}
