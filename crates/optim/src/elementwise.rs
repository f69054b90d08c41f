//! Scalar helpers the update rules share, computed the way PyTorch's CPU kernels compute them.

use tapegrad_tape::Float;

/// `start + weight · (end − start)`: the moving average `(1 − w)·start + w·end`, in the
/// two forms `torch.lerp` uses (the second for `|w| ≥ 0.5`, for accuracy near `end`).
pub(crate) fn lerp<T: Float>(start: T, end: T, weight: T) -> T {
    if weight.abs() < T::from_f64(0.5) {
        start + weight * (end - start)
    } else {
        end - (end - start) * (T::one() - weight)
    }
}

/// `numerator / denominator`, with `0 / 0` taken as 0: the step of a parameter whose
/// gradients have all been 0, under `eps = 0` (PyTorch computes NaN there and writes it
/// into the weight). Otherwise exactly the division, so every other result is PyTorch's.
#[inline(always)]
pub(crate) fn step_ratio<T: Float>(numerator: T, denominator: T) -> T {
    if denominator == T::zero() && numerator == T::zero() {
        T::zero()
    } else {
        numerator / denominator
    }
}
