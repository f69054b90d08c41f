//! Hinge (margin) losses: binary with labels ±1, and PyTorch's multi-class `MultiMarginLoss`.

use ndarray::Array2;
use tapegrad_tape::{Float, Var};

use crate::cross_entropy::label_column;
use crate::error::{check_labels, check_plus_minus_one, check_same_shape};
use crate::{LossError, Reduction};

/// Binary hinge loss for labels `±1` (the SVM loss): `lᵢ = max(0, 1 − yᵢ sᵢ)` for
/// scores `s` and labels `y`, then reduced; `Mean` gives `mean(max(0, 1 − y·s))`.
///
/// Gradient: `∂lᵢ/∂sᵢ = −yᵢ` where the margin is violated (`yᵢ sᵢ < 1`), else 0
/// (0 exactly at `yᵢ sᵢ = 1`, relu's choice).
///
/// # Errors
/// [`LossError::ShapeMismatch`] when the labels' shape differs from the scores';
/// [`LossError::NotPlusMinusOne`] naming the first label that is not exactly −1 or +1
/// (0/1 labels are a common mistake: map them with `2y − 1`).
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{hinge, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let scores = tape.var(array![0.5, -2.0, 3.0, 2.0]);
/// let labels = tape.constant(array![1.0, 1.0, -1.0, 1.0]);
/// let loss = hinge(scores, labels, Reduction::Mean)?;
/// // 1 − y·s = [0.5, 3, 4, −1], so (0.5 + 3 + 4 + 0) / 4
/// assert_eq!(loss.item(), 1.875);
/// // −y / 4 where the margin is violated, 0 where it holds
/// let grads = tape.backward(loss);
/// assert_eq!(grads.get(scores).unwrap(), array![-0.25, -0.25, 0.25, 0.0].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn hinge<'t, T: Float>(
    scores: Var<'t, T>,
    labels: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    let op = "hinge";
    check_same_shape(op, scores, labels)?;
    check_plus_minus_one(op, labels)?;
    Ok(reduction.apply((labels * scores).neg().add_scalar(T::one()).relu()))
}

/// Multi-class hinge loss, PyTorch's `MultiMarginLoss` with its defaults (`p = 1`,
/// `margin = 1`, no weights): for sample `n` with scores `xₙ` over `C` classes and label
/// `yₙ`, `lₙ = Σ_{j ≠ yₙ} max(0, 1 − xₙ,yₙ + xₙ,j) / C`, then reduced (`Mean` averages
/// over the batch).
///
/// Composed as a `gather` of each label's score, a relu of the margins against every
/// class, and a constant mask that drops the `j = yₙ` term. Gradient: each violated
/// margin adds `1/C` to `xₙ,j` and `−1/C` to `xₙ,yₙ`.
///
/// # Errors
/// [`LossError::InputShape`] when `logits` is not `[batch, classes]`;
/// [`LossError::LabelCount`] when `labels.len()` is not the batch size;
/// [`LossError::LabelOutOfRange`] naming the first sample whose label is `≥ classes`.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{multi_margin, Reduction};
/// use tapegrad_tape::Tape;
///
/// // PyTorch's documented example: MultiMarginLoss()(x, y) = 0.3250.
/// let tape = Tape::new();
/// let logits = tape.var(array![[0.1, 0.2, 0.4, 0.8]]);
/// let loss = multi_margin(logits, &[3], Reduction::Mean)?;
/// // ((1 − 0.8 + 0.1) + (1 − 0.8 + 0.2) + (1 − 0.8 + 0.4)) / 4 = 1.3 / 4
/// assert!((loss.item() - 0.325f64).abs() < 1e-12);
/// // all three margins are violated: +¼ each, −¾ at the label
/// let grads = tape.backward(loss);
/// assert_eq!(grads.get(logits).unwrap(), array![[0.25, 0.25, 0.25, -0.75]].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn multi_margin<'t, T: Float>(
    logits: Var<'t, T>,
    labels: &[usize],
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    let (batch, classes) = check_labels("multi_margin", logits, labels)?;
    let label_score = logits.gather(1, &label_column(labels))?; // [batch, 1]
    let margins = (logits - label_score).add_scalar(T::one()).relu(); // [batch, classes]
    let others =
        Array2::from_shape_fn((batch, classes), |(n, c)| if c == labels[n] { T::zero() } else { T::one() });
    let losses = (margins * logits.tape().constant(others))
        .sum_axes(&[1], false)
        .div_scalar(T::from_f64(classes as f64));
    Ok(reduction.apply(losses))
}
