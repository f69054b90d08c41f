//! Binary cross-entropy, on probabilities (log terms clamped like PyTorch) and on logits
//! (the stable form to train with).

use tapegrad_tape::{Float, Unary, UnaryFn, Var};

use crate::error::{check_probabilities, check_same_shape};
use crate::{LossError, Reduction};

/// The lowest value a log term may take in [`binary_cross_entropy`], as in PyTorch.
const LOG_FLOOR: f64 = -100.0;

/// Binary cross-entropy on probabilities, PyTorch's `BCELoss`:
/// `lᵢ = −[yᵢ · log pᵢ + (1 − yᵢ) · log(1 − pᵢ)]` for predicted probabilities `p` and
/// targets `y` (usually 0 or 1, any value in `[0, 1]` works), then reduced.
/// `log(1 − p)` is computed as `ln_1p(−p)`, as in PyTorch, so a small `p` keeps its full
/// relative precision.
///
/// **Clamped logs.** As in PyTorch, each log term is clamped to `≥ −100`, so `p = 0` with
/// `y = 1` gives a loss of 100, not infinity. The gradient is the tape's gradient of that
/// clamped formula: `∂lᵢ/∂pᵢ = (pᵢ − yᵢ) / (pᵢ (1 − pᵢ))` where no clamp is active, and 0
/// through a clamped term (PyTorch's hand-written backward instead divides by
/// `max(p (1 − p), 1e-12)` there). So that the log's own derivative `1/p` never
/// overflows (to `0 · ∞ = NaN`), a log argument below the smallest normal float — 0, or
/// a subnormal — makes its term −100 outright; this differs from PyTorch only for
/// subnormal `f32` arguments, whose logs (between −100 and −87.3) PyTorch keeps.
///
/// Prefer [`binary_cross_entropy_with_logits`] when the model outputs logits: it is exact
/// where this one clamps.
///
/// # Errors
/// [`LossError::ShapeMismatch`] when the target's shape differs from the input's;
/// [`LossError::NotProbability`] naming the first input outside `[0, 1]` (or NaN), as
/// PyTorch rejects those — usually logits passed by mistake.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{binary_cross_entropy, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let probabilities = tape.var(array![0.5, 0.0]);
/// let target = tape.constant(array![1.0, 1.0]);
/// let loss = binary_cross_entropy(probabilities, target, Reduction::None)?;
/// // −log 0.5 = ln 2; −log 0 is clamped to 100
/// assert_eq!(loss.value(), array![2f64.ln(), 100.0].into_dyn());
/// // ∂l/∂p = (p − y) / (p (1 − p)) = −2 at 0.5; 0 through the clamped term
/// let grads = tape.backward(loss.sum());
/// assert_eq!(grads.get(probabilities).unwrap(), array![-2.0, 0.0].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn binary_cross_entropy<'t, T: Float>(
    probabilities: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    let op = "binary_cross_entropy";
    check_same_shape(op, probabilities, target)?;
    check_probabilities(op, probabilities)?;
    let log_p = clamped_log(probabilities);
    let log_not_p = clamped_log_one_minus(probabilities);
    let losses = (target * log_p + one_minus(target) * log_not_p).neg();
    Ok(reduction.apply(losses))
}

/// Binary cross-entropy on logits, PyTorch's `BCEWithLogitsLoss` (without weights):
/// `lᵢ = −[yᵢ · log σ(xᵢ) + (1 − yᵢ) · log(1 − σ(xᵢ))]` for logits `x` and targets `y`,
/// then reduced.
///
/// Computed in the stable form `lᵢ = softplus(xᵢ) − xᵢ yᵢ
/// = max(xᵢ, 0) − xᵢ yᵢ + log(1 + e^(−|xᵢ|))`, so values and gradients stay finite at
/// logits of ±100 and beyond (no `σ` is ever rounded to 0 or 1 inside a log).
/// Gradient: `∂lᵢ/∂xᵢ = σ(xᵢ) − yᵢ`.
///
/// # Errors
/// [`LossError::ShapeMismatch`] when the target's shape differs from the logits'.
///
/// ```
/// use ndarray::array;
/// use tapegrad_loss::{binary_cross_entropy_with_logits, Reduction};
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let logits = tape.var(array![0.0, -100.0]);
/// let target = tape.constant(array![1.0, 1.0]);
/// let loss = binary_cross_entropy_with_logits(logits, target, Reduction::None)?;
/// // softplus(0) − 0 = ln 2; softplus(−100) + 100 ≈ 100
/// assert_eq!(loss.value(), array![2f64.ln(), 100.0].into_dyn());
/// // σ(x) − y = [0.5 − 1, σ(−100) − 1]
/// let grads = tape.backward(loss.sum());
/// assert_eq!(grads.get(logits).unwrap(), array![-0.5, -1.0].into_dyn());
/// # Ok::<(), tapegrad_loss::LossError>(())
/// ```
pub fn binary_cross_entropy_with_logits<'t, T: Float>(
    logits: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>, LossError> {
    check_same_shape("binary_cross_entropy_with_logits", logits, target)?;
    Ok(reduction.apply(logits.softplus() - logits * target))
}

/// `1 − v`.
fn one_minus<'t, T: Float>(v: Var<'t, T>) -> Var<'t, T> {
    v.neg().add_scalar(T::one())
}

/// `max(log v, −100)` with a finite gradient everywhere. The log only sees arguments of
/// at least the smallest normal float, whose reciprocal is finite; below that (0, or a
/// subnormal), where `log` of the floor may still exceed −100 (`f32`: −87.3), a constant
/// mask replaces the term by −100, through which no gradient flows.
fn clamped_log<'t, T: Float>(v: Var<'t, T>) -> Var<'t, T> {
    let floor = T::min_positive_value();
    let below_floor = v.with_value(|values| values.mapv(|x| x < floor));
    floored(v.clamp(floor, T::infinity()).log(), below_floor)
}

/// `max(log(1 − p), −100)`, with `log(1 − p)` computed as `ln_1p(−p)`, as PyTorch does.
/// Forming `1 − p` first would round away the low bits of a small `p`: the term
/// `−log(1 − p)` would be off by up to ε/p relative (5·10⁻¹¹ at `p = 10⁻⁶`, and 0 instead
/// of 10⁻³⁰⁰ at `p = 10⁻³⁰⁰`), which a comparison with PyTorch's values found.
///
/// For `p ≤ 1`, `1 − p` is below the smallest normal float only at `p = 1`: there the term
/// is −100 outright, with no gradient, as in [`clamped_log`]; `p` is first clamped below 1
/// so that `ln_1p` and its derivative stay finite under that mask.
fn clamped_log_one_minus<'t, T: Float>(p: Var<'t, T>) -> Var<'t, T> {
    let floor = T::min_positive_value();
    let below_floor = p.with_value(|values| values.mapv(|x| T::one() - x < floor));
    let below_one = T::one() - T::epsilon() / T::from_f64(2.0); // the largest float below 1
    let p = p.clamp(T::neg_infinity(), below_one);
    floored(p.tape().apply(Unary(LogOneMinus), &[p]), below_floor)
}

/// `max(log, −100)`, and exactly −100, with no gradient, where `below_floor`.
fn floored<'t, T: Float>(log: Var<'t, T>, below_floor: ndarray::ArrayD<bool>) -> Var<'t, T> {
    let log_floor = T::from_f64(LOG_FLOOR);
    let log = log.clamp(log_floor, T::infinity());
    if !below_floor.iter().any(|&below| below) {
        return log;
    }
    let tape = log.tape();
    let keep = tape.constant(below_floor.mapv(|below| if below { T::zero() } else { T::one() }));
    let fill = tape.constant(below_floor.mapv(|below| if below { log_floor } else { T::zero() }));
    log * keep + fill
}

/// `y = log(1 − x)`, computed as `ln_1p(−x)`; `dy/dx = −1/(1 − x)`.
struct LogOneMinus;

impl<T: Float> UnaryFn<T> for LogOneMinus {
    fn name(&self) -> &'static str {
        "log_one_minus"
    }

    fn value(&self, x: T) -> T {
        (-x).ln_1p()
    }

    fn derivative(&self, x: T, _y: T) -> T {
        -(T::one() / (T::one() - x))
    }

    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(one_minus(x).powf(-T::one()).neg())
    }
}
