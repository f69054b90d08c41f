//! Kullback–Leibler divergence, in PyTorch's `KLDivLoss` convention (input in log space).

use tapegrad_tape::{Float, Var};

use crate::error::check_same_shape;
use crate::{LossError, Reduction};

/// KL divergence, PyTorch's `KLDivLoss` (with `log_target = false`): for
/// log-probabilities `x` (the model's, e.g. from `log_softmax`) and target probabilities
/// `t` of the same shape, the pointwise loss is `lᵢ = tᵢ · (log tᵢ − xᵢ)`, taken as 0
/// where `tᵢ = 0` (`0 · log 0 = 0`), then reduced.
///
/// **Which reduction.** Summed over the classes of a sample, `l` is `KL(t ‖ eˣ)`.
/// [`Reduction::BatchMean`] (sum / batch size) is therefore the KL divergence per
/// sample, PyTorch's `'batchmean'` — use it. [`Reduction::Mean`], the default, follows
/// PyTorch's `'mean'` and averages over *all elements*, which is the per-sample KL
/// divided by the number of classes; [`Reduction::Sum`] sums everything;
/// [`Reduction::None`] returns `l` elementwise.
///
/// Gradient: `∂lᵢ/∂xᵢ = −tᵢ`; the target gets `log tᵢ + 1 − xᵢ` where `tᵢ > 0`, if it
/// wants one. (For the `0 · log 0` convention, `t` is floored at the smallest normal float
/// inside the log, so `log t` stays finite; a target below it contributes `t · log t ≈ 0`.)
///
/// # Errors
/// [`LossError::ShapeMismatch`] when the target's shape differs from the input's.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{kl_div, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let log_q = tape.var(array![[0.25f64.ln(), 0.75f64.ln()], [0.5f64.ln(), 0.5f64.ln()]]);
/// let p = tape.constant(array![[0.5, 0.5], [1.0, 0.0]]);
/// // KL(p₀ ‖ q₀) = ½ ln(½/¼) + ½ ln(½/¾) = ½ ln(4/3); KL(p₁ ‖ q₁) = 1 · ln(1/½) + 0 = ln 2
/// let per_sample = (0.5 * (4.0f64 / 3.0).ln() + 2f64.ln()) / 2.0;
/// let loss = kl_div(log_q, p, Reduction::BatchMean)?;
/// assert!((loss.item() - per_sample).abs() < 1e-15);
/// // Mean divides by all 4 elements instead of the 2 samples.
/// assert!((kl_div(log_q, p, Reduction::Mean)?.item() - per_sample / 2.0).abs() < 1e-15);
/// // ∂/∂x = −t / batch
/// let grads = tape.backward(loss);
/// assert_eq!(grads.get(log_q).unwrap(), array![[-0.25, -0.25], [-0.5, 0.0]].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn kl_div<'t, T: Float>(
    log_probabilities: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    check_same_shape("kl_div", log_probabilities, target)?;
    let log_target = target.clamp(T::min_positive_value(), T::infinity()).log();
    Ok(reduction.apply(target * (log_target - log_probabilities)))
}
