//! Gradient clipping: a setting every optimizer applies at the start of each step.

use ndarray::{ArrayViewD, ArrayViewMutD, CowArray, IxDyn};
use tapegrad_tape::Parameters;
use tapegrad_tape::{Float, Grads};

use crate::error::{OptimError, Owner};

/// How an optimizer clips gradients before it updates anything, set with each builder's
/// `clipping` method. [`Grads`] is immutable and shared, so clipping never writes to it:
/// the optimizer's step computes what clipping needs (the global norm, over *all* the
/// gradients of the step), then hands each update rule a clipped copy of that parameter's
/// gradient — or the gradient itself, uncopied, when clipping leaves it unchanged.
///
/// - `Value(c)`: each element clamped to `[−c, c]`, as `torch.nn.utils.clip_grad_value_`.
/// - `Norm(max_norm)`: as `torch.nn.utils.clip_grad_norm_` with the L2 norm. The total
///   norm is one norm over every gradient of the step taken together (not per tensor):
///   `total_norm = √(Σ_p ‖g_p‖²)`; every gradient is scaled by
///   `min(1, max_norm / (total_norm + 10⁻⁶))`. The step reports `total_norm` (before
///   clipping) in [`StepReport::total_norm`](crate::StepReport::total_norm).
/// - `InfNorm(max_norm)`: the same with the max norm (`norm_type=inf`): `total_norm` is
///   the largest absolute element of all the gradients.
///
/// [`clip_gradients`] applies any of these to gradient arrays without an optimizer.
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{GradientClipping, NamedParam, Optimizer, Sgd};
///
/// let mut sgd = Sgd::<f64>::builder().learning_rate(1.0).clipping(GradientClipping::Norm(1.0)).build().unwrap();
/// let (mut a, mut b) = (array![0.0, 0.0], array![0.0]);
/// // The gradients of a and b together have norm √(3² + 0² + 4²) = 5: both are scaled by ≈ 1/5.
/// let report = sgd.step_params(&mut [
///     NamedParam::new("a", &mut a, &array![3.0, 0.0]),
///     NamedParam::new("b", &mut b, &array![4.0]),
/// ]).unwrap();
/// assert_eq!(report.total_norm, Some(5.0));
/// assert!((a[0] + 0.6).abs() < 1e-6 && (b[0] + 0.8).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum GradientClipping<T> {
    /// Gradients are used as they are (the default).
    #[default]
    None,
    /// Clamp every gradient element to `[−value, value]`.
    Value(T),
    /// Scale all gradients together so that their global L2 norm is at most this.
    Norm(T),
    /// Scale all gradients together so that their largest absolute element is at most
    /// this (`clip_grad_norm_` with `norm_type=inf`).
    InfNorm(T),
}

impl<T: Float> GradientClipping<T> {
    /// Checks the threshold: `≥ 0` and not NaN.
    pub(crate) fn validate(self, optimizer: &'static str) -> Result<(), OptimError> {
        match self {
            GradientClipping::None => Ok(()),
            GradientClipping::Value(value) => Owner::Optimizer(optimizer).non_negative("clip_value", value),
            GradientClipping::Norm(max_norm) | GradientClipping::InfNorm(max_norm) => {
                Owner::Optimizer(optimizer).non_negative("max_norm", max_norm)
            }
        }
    }

    /// The norm of one gradient that this clipping combines over all of them (the L2 norm,
    /// or the largest absolute element), or `None` when it needs no norm.
    pub(crate) fn tensor_norm(self) -> Option<fn(&ArrayViewD<'_, T>) -> T> {
        match self {
            GradientClipping::None | GradientClipping::Value(_) => None,
            GradientClipping::Norm(_) => Some(grad_norm),
            GradientClipping::InfNorm(_) => Some(max_abs),
        }
    }

    /// What to do to each gradient of a step, given each gradient's norm as
    /// [`tensor_norm`](Self::tensor_norm) computes it (read only when clipping by norm),
    /// and the total norm to report; `Err(total)` when that norm is NaN or infinite, so
    /// that the step changes nothing (PyTorch would scale every gradient by NaN and write
    /// NaN into every weight).
    pub(crate) fn plan(self, norms: impl FnOnce() -> Vec<T>) -> Result<(Clip<T>, Option<T>), T> {
        let max_norm = match self {
            GradientClipping::None => return Ok((Clip::Unchanged, None)),
            GradientClipping::Value(value) => return Ok((Clip::Clamp(value), None)),
            GradientClipping::Norm(max_norm) | GradientClipping::InfNorm(max_norm) => max_norm,
        };
        let total = match self {
            GradientClipping::InfNorm(_) => norms().into_iter().fold(T::zero(), Float::nan_max),
            _ => l2_norm(norms()),
        };
        if !total.is_finite() {
            return Err(total);
        }
        let coefficient = max_norm / (total + T::from_f64(1e-6));
        // torch.clamp(coef, max=1.0).
        let clip = if coefficient < T::one() { Clip::Scale(coefficient) } else { Clip::Unchanged };
        Ok((clip, Some(total)))
    }
}

/// The transformation a step applies to each gradient.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Clip<T> {
    Unchanged,
    Clamp(T),
    Scale(T),
}

impl<T: Float> Clip<T> {
    /// The gradient to update with: borrowed when unchanged, a clipped copy otherwise.
    pub(crate) fn apply<'a>(self, grad: ArrayViewD<'a, T>) -> CowArray<'a, T, IxDyn> {
        match self {
            Clip::Unchanged => grad.into(),
            _ => grad.mapv(|g| self.element(g)).into(),
        }
    }

    /// [`apply`](Self::apply), in place.
    pub(crate) fn apply_in_place(self, mut grad: ArrayViewMutD<'_, T>) {
        if !matches!(self, Clip::Unchanged) {
            grad.mapv_inplace(|g| self.element(g));
        }
    }

    /// One clipped element. Clamping is written with comparisons (not max/min) so NaN
    /// passes through, as `clamp_` does.
    #[inline(always)]
    fn element(self, g: T) -> T {
        match self {
            Clip::Unchanged => g,
            Clip::Clamp(c) if g > c => c,
            Clip::Clamp(c) if g < -c => -c,
            Clip::Clamp(_) => g,
            Clip::Scale(factor) => g * factor,
        }
    }
}

/// `√(Σ x²)` of a list of numbers — an array's elements, or per-tensor norms (whose norm
/// is the global norm, as PyTorch stacks them) — summed in f64: in f32, gradients of
/// 10²⁰ (finite, and exactly what clipping is for) would square to infinity. The norm
/// every clipping and [`global_grad_norm`] use.
///
/// ```
/// let g = ndarray::array![[3.0f32, 0.0], [0.0, 4.0]];
/// assert_eq!(tapegrad_optim::l2_norm(g.iter().copied()), 5.0);
/// assert_eq!(tapegrad_optim::l2_norm([1e20f32, 1e20]), 1e20 * 2f32.sqrt()); // no overflow
/// ```
pub fn l2_norm<T: Float>(values: impl IntoIterator<Item = T>) -> T {
    T::from_f64(values.into_iter().map(|v| v.to_f64() * v.to_f64()).sum::<f64>().sqrt())
}

/// Clips gradients in place, without an optimizer, exactly as an optimizer's `clipping`
/// setting would (`torch.nn.utils.clip_grad_norm_` for [`GradientClipping::Norm`] and
/// [`GradientClipping::InfNorm`], `clip_grad_value_` for [`GradientClipping::Value`]),
/// and returns the total norm before clipping (`None` when clipping by value or not at
/// all). The norm is taken over all of `grads` together.
///
/// # Errors
/// [`OptimError::InvalidHyperparameter`] for a negative or non-finite threshold;
/// [`OptimError::NonFiniteGradients`] when the norm is NaN or infinite, in which case the
/// gradients are left as they were.
///
/// ```
/// use ndarray::array;
/// use tapegrad_optim::{clip_gradients, GradientClipping};
/// let (mut a, mut b) = (array![3.0f64, 0.0], array![4.0f64]);
/// let total = clip_gradients(&mut [a.view_mut().into_dyn(), b.view_mut().into_dyn()], GradientClipping::Norm(1.0))?;
/// assert_eq!(total, Some(5.0));
/// assert!((a[0] - 0.6).abs() < 1e-6 && (b[0] - 0.8).abs() < 1e-6);
///
/// let mut c = array![-3.0f64, 0.5];
/// let total = clip_gradients(&mut [c.view_mut().into_dyn()], GradientClipping::InfNorm(1.5))?;
/// assert_eq!(total, Some(3.0));
/// assert!((c[0] + 1.5).abs() < 1e-6 && (c[1] - 0.25).abs() < 1e-6); // all scaled by ½
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub fn clip_gradients<T: Float>(
    grads: &mut [ArrayViewMutD<'_, T>],
    clipping: GradientClipping<T>,
) -> Result<Option<T>, OptimError> {
    clipping.validate("clip_gradients")?;
    let (clip, total) = clipping
        .plan(|| match clipping.tensor_norm() {
            Some(norm) => grads.iter().map(|g| norm(&g.view())).collect(),
            None => Vec::new(),
        })
        .map_err(|norm| OptimError::NonFiniteGradients {
            optimizer: "clip_gradients",
            norm: norm.to_f64(),
        })?;
    for grad in grads.iter_mut() {
        clip.apply_in_place(grad.view_mut());
    }
    Ok(total)
}

/// Clips the gradients of `model`'s parameters in a [`Grads`] store in place, as
/// `torch.nn.utils.clip_grad_norm_(model.parameters(), …)` does (or `clip_grad_value_`),
/// and returns the total norm before clipping (`None` when clipping by value or not at
/// all). The norm is over all of the model's parameter gradients together; parameters
/// without a gradient count as zero. Use it to clip once and then step an optimizer that
/// does not clip, or to log the norm.
///
/// # Errors
/// [`OptimError::InvalidHyperparameter`] for a negative or non-finite threshold;
/// [`OptimError::NonFiniteGradients`] when the norm is NaN or infinite, in which case the
/// gradients are left as they were.
///
/// ```
/// use std::collections::BTreeMap;
/// use ndarray::{array, ArrayD};
/// use tapegrad_optim::{clip_param_grads, GradientClipping};
/// use tapegrad_tape::Tape;
/// let model: BTreeMap<String, ArrayD<f64>> = BTreeMap::from([("w".to_string(), array![[3.0], [4.0]].into_dyn())]);
/// let tape = Tape::new();
/// let loss = tape.constant(array![[3.0, 4.0]]).matmul(&tape.param(&model["w"])).sum();
/// let mut grads = tape.backward(loss); // ∂L/∂W = xᵀ = [[3], [4]]: norm 5
/// let total = clip_param_grads(&model, &mut grads, GradientClipping::Norm(1.0))?;
/// assert_eq!(total, Some(5.0));
/// let clipped = grads.param(&model["w"]).unwrap();
/// // PyTorch scales by max_norm / (total + 1e-6):
/// assert!((clipped[[0, 0]] - 0.6).abs() < 1e-6 && (clipped[[1, 0]] - 0.8).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clip_param_grads<T: Float>(
    model: &dyn Parameters<T>,
    grads: &mut Grads<T>,
    clipping: GradientClipping<T>,
) -> Result<Option<T>, OptimError> {
    clipping.validate("clip_param_grads")?;
    let (clip, total) = clipping
        .plan(|| clipping.tensor_norm().map_or_else(Vec::new, |norm| param_grad_norms(model, grads, norm)))
        .map_err(|norm| OptimError::NonFiniteGradients {
            optimizer: "clip_param_grads",
            norm: norm.to_f64(),
        })?;
    model.visit_params(&mut |_, param| {
        if let Some(grad) = grads.param_mut(&param) {
            clip.apply_in_place(grad);
        }
    });
    Ok(total)
}

/// The largest absolute element of one gradient (NaN if it holds a NaN).
pub(crate) fn max_abs<T: Float>(grad: &ArrayViewD<'_, T>) -> T {
    grad.iter().fold(T::zero(), |m, &g| m.nan_max(g.abs()))
}

/// The L2 norm of one gradient.
pub(crate) fn grad_norm<T: Float>(grad: &ArrayViewD<'_, T>) -> T {
    match grad.as_slice_memory_order() {
        Some(values) => T::from_f64(sum_of_squares(values).sqrt()),
        None => l2_norm(grad.iter().copied()),
    }
}

/// `Σ v²` in f64, as blocks of 1,024 numbers each summed in sixteen running sums of `T`
/// (vectorised in `T`'s own width: f32's conversion to f64 had cost as much as the
/// sums), the blocks' totals added in f64. A block whose sum in `T` overflows (f32
/// gradients near 10¹⁹) is summed again in f64, so a finite gradient has a finite norm.
/// Through ndarray's element iterator (one dynamic-rank step per number, one dependent
/// chain) the norm of a 784-128-10 MLP's gradients had taken a tenth of its training
/// step, which `Trainer` takes every batch to catch a NaN before the update.
fn sum_of_squares<T: Float>(values: &[T]) -> f64 {
    const LANES: usize = 16;
    const BLOCK: usize = 1024;
    let in_f64 = |block: &[T]| block.iter().map(|&v| v.to_f64() * v.to_f64()).sum::<f64>();
    let mut total = 0.0f64;
    for block in values.chunks(BLOCK) {
        let mut lanes = [T::zero(); LANES];
        let chunks = block.chunks_exact(LANES);
        let rest = chunks.remainder();
        for chunk in chunks {
            for (lane, &v) in lanes.iter_mut().zip(chunk) {
                *lane += v * v;
            }
        }
        let sum = lanes.iter().map(|&lane| lane.to_f64()).sum::<f64>() + in_f64(rest);
        total += if sum.is_infinite() && block.iter().all(|v| v.is_finite()) { in_f64(block) } else { sum };
    }
    total
}

/// The global L2 norm of all of `model`'s parameter gradients taken as one vector,
/// `√(Σ_p ‖g_p‖²)` (parameters without a gradient count as zero) — the number
/// `torch.nn.utils.clip_grad_norm_` returns, here without clipping anything. Useful to log.
///
/// ```
/// use ndarray::{array, Array1, ArrayViewD, ArrayViewMutD};
/// use tapegrad_tape::Parameters;
/// use tapegrad_optim::global_grad_norm;
/// use tapegrad_tape::{Tape, Var};
///
/// /// `y = x · a + b`, elementwise.
/// struct Affine { a: Array1<f64>, b: Array1<f64> }
/// impl Affine {
///     fn forward<'t>(&'t self, tape: &'t Tape<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
///         x * tape.param(&self.a) + tape.param(&self.b)
///     }
/// }
/// impl Parameters<f64> for Affine {
///     fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f64>)) {
///         visit("a", self.a.view().into_dyn());
///         visit("b", self.b.view().into_dyn());
///     }
///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f64>)) {
///         visit("a", self.a.view_mut().into_dyn());
///         visit("b", self.b.view_mut().into_dyn());
///     }
/// }
///
/// let model = Affine { a: array![1.0], b: array![0.0] };
/// let tape = Tape::new();
/// let y = model.forward(&tape, tape.constant(array![4.0]));
/// let grads = tape.backward(y.sum());
/// // ∂y/∂a = x = 4, ∂y/∂b = 1: the global norm is √(16 + 1)
/// assert_eq!(global_grad_norm(&model, &grads), 17.0f64.sqrt());
/// ```
pub fn global_grad_norm<T: Float>(model: &dyn Parameters<T>, grads: &Grads<T>) -> T {
    l2_norm(param_grad_norms(model, grads, grad_norm))
}

/// The norm (by `norm`) of each of `model`'s parameter gradients in `grads`, in the order
/// the model visits them; parameters without a gradient are left out (they count as 0).
pub(crate) fn param_grad_norms<T: Float>(
    model: &dyn Parameters<T>,
    grads: &Grads<T>,
    norm: fn(&ArrayViewD<'_, T>) -> T,
) -> Vec<T> {
    let mut norms = Vec::new();
    model.visit_params(&mut |_, param| norms.extend(grads.param(&param).map(|grad| norm(&grad))));
    norms
}

#[cfg(test)]
mod tests {
    use super::{grad_norm, l2_norm};
    use ndarray::{Array1, ArrayD};

    #[test]
    fn the_blocked_norm_agrees_with_the_plain_one_and_does_not_overflow() {
        // Lengths around the lane and block sizes, f32 and f64.
        for len in [0, 1, 15, 16, 17, 1023, 1024, 1025, 5000] {
            let x = Array1::from_shape_fn(len, |i| ((i * 7919) % 113) as f64 * 0.01 - 0.5).into_dyn();
            let exact = l2_norm(x.iter().copied());
            assert!((grad_norm(&x.view()) - exact).abs() <= 1e-13 * exact.max(1.0), "f64, {len}");
            let x32: ArrayD<f32> = x.mapv(|v| v as f32);
            let exact32 = l2_norm(x32.iter().copied());
            assert!((grad_norm(&x32.view()) - exact32).abs() <= 1e-5 * exact32.max(1.0), "f32, {len}");
        }
        // f32 squares overflow near 1e19; the norm of finite gradients stays finite.
        let huge = ArrayD::from_elem(vec![40], 1e20f32);
        assert_eq!(grad_norm(&huge.view()), 1e20 * 40f32.sqrt());
        // A NaN or an infinity still shows.
        let mut bad = ArrayD::from_elem(vec![40], 1.0f32);
        bad[[3]] = f32::NAN;
        assert!(grad_norm(&bad.view()).is_nan());
        bad[[3]] = f32::INFINITY;
        assert!(grad_norm(&bad.view()).is_infinite());
    }
}
