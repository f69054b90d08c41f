//! Cross-entropy for classification: from logits with integer labels, from logits with a
//! target distribution, and the negative log-likelihood of log-probabilities.
//!
//! Inputs are `[batch, classes]`; the unreduced loss is one value per sample, `[batch]`,
//! so `Reduction::Mean` averages over the batch, as in PyTorch. Logits go through the
//! tape's stable `log_softmax`, so logits of ±1000 stay finite.

use ndarray::{aview1, ArrayView2, Axis};
use tapegrad_tape::{Float, Var};

use crate::error::{check_batch_by_classes, check_labels, check_same_shape};
use crate::softmax_cross_entropy::SoftmaxCrossEntropy;
use crate::{LossError, Reduction};

/// Cross-entropy from logits and integer class labels, PyTorch's `CrossEntropyLoss`
/// (without class weights, `ignore_index` or label smoothing): for sample `n` with
/// logits `xₙ` and label `yₙ`,
/// `lₙ = −log softmax(xₙ)[yₙ] = log Σ_c e^(xₙ,c) − xₙ,yₙ`, then reduced.
///
/// One fused op (for speed), with exactly the numbers of `log_softmax` along the classes,
/// `gather` of each sample's label, `neg` and the reduction.
/// Gradient: `∂lₙ/∂xₙ = softmax(xₙ) − onehot(yₙ)` (divided by the batch size under
/// `Mean`).
///
/// # Errors
/// [`LossError::InputShape`] when `logits` is not `[batch, classes]`;
/// [`LossError::LabelCount`] when `labels.len()` is not the batch size;
/// [`LossError::LabelOutOfRange`] naming the first sample whose label is `≥ classes`.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{cross_entropy, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let logits = tape.var(array![[0.0, 0.0], [1000.0, -1000.0]]);
/// let loss = cross_entropy(logits, &[0, 1], Reduction::None)?;
/// // −log ½ = ln 2; −log softmax = 1000 − (−1000) = 2000, finite
/// assert_eq!(loss.value(), array![2f64.ln(), 2000.0].into_dyn());
/// // softmax − onehot = [[½ − 1, ½], [1, 0 − 1]]
/// let grads = tape.backward(loss.sum());
/// assert_eq!(grads.get(logits).unwrap(), array![[-0.5, 0.5], [1.0, -1.0]].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn cross_entropy<'t, T: Float>(
    logits: Var<'t, T>,
    labels: &[usize],
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    check_labels("cross_entropy", logits, labels)?;
    Ok(logits.tape().apply(SoftmaxCrossEntropy { labels: labels.to_vec(), reduction }, &[logits]))
}

/// Cross-entropy from logits and a target distribution of the same shape (one-hot or
/// soft labels), PyTorch's `CrossEntropyLoss` with class-probability targets:
/// `lₙ = −Σ_c tₙ,c · log softmax(xₙ)_c`, then reduced (`Mean` divides by the batch
/// size, as PyTorch does for probability targets).
///
/// Gradient: `∂lₙ/∂xₙ = softmax(xₙ) · Σ_c tₙ,c − tₙ`, which is `softmax(xₙ) − tₙ` when
/// each target row sums to 1. The target gets a gradient too, `−log softmax(xₙ)`, if it
/// wants one (distillation).
///
/// # Errors
/// [`LossError::InputShape`] when `logits` is not `[batch, classes]`;
/// [`LossError::ShapeMismatch`] when the target's shape differs from the logits'.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{cross_entropy_probs, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let logits = tape.var(array![[0.0, 0.0]]);
/// let target = tape.constant(array![[0.25, 0.75]]);
/// let loss = cross_entropy_probs(logits, target, Reduction::Mean)?;
/// // −(¼ log ½ + ¾ log ½) = ln 2
/// assert_eq!(loss.item(), 2f64.ln());
/// // softmax − t = [½ − ¼, ½ − ¾]
/// let grads = tape.backward(loss);
/// assert_eq!(grads.get(logits).unwrap(), array![[0.25, -0.25]].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn cross_entropy_probs<'t, T: Float>(
    logits: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    let op = "cross_entropy_probs";
    check_batch_by_classes(op, logits)?;
    check_same_shape(op, logits, target)?;
    let losses = (target * logits.log_softmax(1)).sum_axes(&[1], false).neg();
    Ok(reduction.apply(losses))
}

/// Negative log-likelihood of log-probabilities, PyTorch's `NLLLoss` (without class
/// weights or `ignore_index`): `lₙ = −log_probabilitiesₙ,yₙ`, then reduced.
///
/// Feed it `log_softmax` outputs: `nll(x.log_softmax(1), labels, r)` is
/// [`cross_entropy`]`(x, labels, r)`. Gradient: `−1` at each sample's label, 0 elsewhere
/// (divided by the batch size under `Mean`).
///
/// # Errors
/// [`LossError::InputShape`] when the input is not `[batch, classes]`;
/// [`LossError::LabelCount`] when `labels.len()` is not the batch size;
/// [`LossError::LabelOutOfRange`] naming the first sample whose label is `≥ classes`.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{nll, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let log_probabilities = tape.var(array![[-1.2, -0.5, -2.0], [-0.1, -3.0, -4.0]]);
/// let loss = nll(log_probabilities, &[1, 0], Reduction::Mean)?;
/// assert!((loss.item() - 0.3f64).abs() < 1e-15); // (0.5 + 0.1) / 2
/// let grads = tape.backward(loss);
/// assert_eq!(grads.get(log_probabilities).unwrap(), array![[0.0, -0.5, 0.0], [-0.5, 0.0, 0.0]].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn nll<'t, T: Float>(
    log_probabilities: Var<'t, T>,
    labels: &[usize],
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    check_labels("nll", log_probabilities, labels)?;
    Ok(reduction.apply(negative_picked(log_probabilities, labels)?))
}

/// The labels as a `[batch, 1]` index column, the shape `gather` along axis 1 takes.
pub(crate) fn label_column(labels: &[usize]) -> ArrayView2<'_, usize> {
    aview1(labels).insert_axis(Axis(1))
}

/// `−values[n, labels[n]]` for each sample, as a `[batch]` value.
fn negative_picked<'t, T: Float>(values: Var<'t, T>, labels: &[usize]) -> Result<Var<'t, T>, LossError> {
    let picked = values.gather(1, &label_column(labels))?;
    Ok(picked.reshape(&[labels.len()]).neg())
}
