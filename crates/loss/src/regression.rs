//! Regression losses: squared error (MSE), absolute error (L1) and Huber's blend of the two.
//!
//! Each compares a prediction `x` with a target `y` of the same shape, element by
//! element, then applies the [`Reduction`]. Gradients flow to both arguments (a target
//! made with `tape.constant` simply gets none).

use tapegrad_tape::{Float, Var};

use crate::error::check_same_shape;
use crate::{LossError, Reduction};

/// Mean squared error, PyTorch's `MSELoss`: `lᵢ = (xᵢ − yᵢ)²` for prediction `x` and
/// target `y`, then reduced (`Mean`: `Σ lᵢ / n`).
///
/// Gradient: `∂lᵢ/∂xᵢ = 2 (xᵢ − yᵢ)`, divided by `n` under `Mean`.
///
/// # Errors
/// [`LossError::ShapeMismatch`] when the target's shape differs from the prediction's
/// (no broadcasting: PyTorch warns about that case because it is nearly always a bug).
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{mse, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let prediction = tape.var(array![1.0, 2.0]);
/// let target = tape.constant(array![0.0, 0.0]);
/// let loss = mse(prediction, target, Reduction::Mean)?;
/// assert_eq!(loss.item(), 2.5); // (1² + 2²) / 2
/// // ∂loss/∂x = 2 (x − y) / 2 = [1, 2]
/// let grads = tape.backward(loss);
/// assert_eq!(grads.get(prediction).unwrap(), array![1.0, 2.0].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn mse<'t, T: Float>(
    prediction: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    check_same_shape("mse", prediction, target)?;
    Ok(reduction.apply((prediction - target).square()))
}

/// Mean absolute error, PyTorch's `L1Loss`: `lᵢ = |xᵢ − yᵢ|`, then reduced.
///
/// Gradient: `∂lᵢ/∂xᵢ = sign(xᵢ − yᵢ)`, with `sign(0) = 0` (as PyTorch).
///
/// # Errors
/// [`LossError::ShapeMismatch`] when the target's shape differs from the prediction's.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{l1, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let prediction = tape.var(array![1.0f32, -3.0]);
/// let target = tape.constant(array![0.0f32, 0.0]);
/// let loss = l1(prediction, target, Reduction::Mean)?;
/// assert_eq!(loss.item(), 2.0); // (|1| + |−3|) / 2
/// let grads = tape.backward(loss);
/// assert_eq!(grads.get(prediction).unwrap(), array![0.5f32, -0.5].into_dyn()); // sign / 2
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
#[doc(alias = "mae")]
pub fn l1<'t, T: Float>(
    prediction: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    check_same_shape("l1", prediction, target)?;
    Ok(reduction.apply((prediction - target).abs()))
}

/// Huber loss, PyTorch's `HuberLoss(delta)`: with `dᵢ = xᵢ − yᵢ`,
/// `lᵢ = ½ dᵢ²` where `|dᵢ| < δ`, and `lᵢ = δ (|dᵢ| − ½ δ)` elsewhere; then reduced.
/// Quadratic near zero, linear (slope `δ`) in the tails, so outliers pull less than in MSE.
///
/// Composed without a branch: with `qᵢ = clamp(dᵢ, −δ, δ)`, `lᵢ = qᵢ (dᵢ − ½ qᵢ)`
/// (inside, `q = d` gives `½ d²`; outside, `q = ±δ` gives `δ (|d| − ½ δ)`).
/// Gradient: `∂lᵢ/∂xᵢ = clamp(dᵢ, −δ, δ)`, continuous at `|d| = δ`.
///
/// (PyTorch's `SmoothL1Loss(beta)` is `huber(…, beta) / beta`.)
///
/// # Errors
/// [`LossError::ShapeMismatch`] when the target's shape differs from the prediction's;
/// [`LossError::InvalidParameter`] when `delta` is not finite and positive (PyTorch
/// requires `delta > 0` too).
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{huber, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let prediction = tape.var(array![0.5, 3.0]);
/// let target = tape.constant(array![0.0, 0.0]);
/// let loss = huber(prediction, target, 1.0, Reduction::None)?;
/// // ½ · 0.5² = 0.125 inside; 1 · (3 − ½) = 2.5 outside
/// assert_eq!(loss.value(), array![0.125, 2.5].into_dyn());
/// let grads = tape.backward(loss.sum());
/// assert_eq!(grads.get(prediction).unwrap(), array![0.5, 1.0].into_dyn()); // clamp(d, −1, 1)
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn huber<'t, T: Float>(
    prediction: Var<'t, T>,
    target: Var<'t, T>,
    delta: T,
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    if !(delta > T::zero() && delta.is_finite()) {
        let (op, name, expected) = ("huber", "delta", "finite and > 0");
        return Err(LossError::InvalidParameter { op, name, value: delta.to_f64(), expected });
    }
    check_same_shape("huber", prediction, target)?;
    let difference = prediction - target;
    let clamped = difference.clamp(-delta, delta);
    let losses = clamped * (difference - clamped.mul_scalar(T::from_f64(0.5)));
    Ok(reduction.apply(losses))
}
