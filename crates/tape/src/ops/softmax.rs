//! `log_sum_exp`, `softmax` and `log_softmax`: fused primitives that shift by the max, so
//! logits of any size give finite values and full precision.

use ndarray::{ArrayD, ArrayViewD, Axis, Zip};

use super::reduce::ReducedAxes;
use super::{grads, InputGrads, Op, VarGrads};
use crate::kernels::{copy, map2, map3};
use crate::{pool, Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `ln Σ eˣ` over all elements, as a 0-d value (see
    /// [`log_sum_exp_axes`](Var::log_sum_exp_axes)).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1000.0, 1000.0]);
    /// assert_eq!(x.log_sum_exp().item(), 1000.0 + 2f64.ln());
    /// ```
    #[track_caller]
    pub fn log_sum_exp(&self) -> Var<'t, T> {
        self.log_sum_exp_axes(&self.all_axes(), false)
    }

    /// `y = ln Σ_axes eˣ`, computed as `m + ln Σ e^(x − m)` with `m = max x` so large
    /// logits do not overflow. `∂L/∂x = ∂L/∂y · e^(x − y)` (the softmax). A fused
    /// primitive for stability.
    ///
    /// # Panics
    /// If an axis is out of range or repeated.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[0.0, 0.0], [1000.0, -1000.0]]);
    /// let y = x.log_sum_exp_axes(&[1], false);
    /// assert_eq!(y.value(), array![2f64.ln(), 1000.0].into_dyn());
    /// let grads = tape.backward(y.sum());
    /// assert_eq!(grads.get(x).unwrap(), &array![[0.5, 0.5], [1.0, 0.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn log_sum_exp_axes(&self, axes: &[usize], keep_dims: bool) -> Var<'t, T> {
        self.tape.apply(LogSumExp(ReducedAxes::new(axes, keep_dims)), &[*self])
    }

    /// `log softmax(x)` along `axis`: `y = (x − m) − ln Σ e^(x − m)` with `m = max x`, so
    /// logits of ±1000 give finite values and full precision.
    /// `∂L/∂x = ∂L/∂y − softmax(x) · Σ_axis ∂L/∂y`. A fused primitive for accuracy: the
    /// composition `x − log_sum_exp(x)` loses about three digits at logits near 1000.
    ///
    /// # Panics
    /// If `axis` is out of range.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[1000.0, -1000.0]]);
    /// let y = x.log_softmax(1);
    /// assert_eq!(y.value(), array![[0.0, -2000.0]].into_dyn());
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Var<'t, T> {
        self.tape.apply(SoftmaxAlong { axis, log: true }, &[*self])
    }

    /// `softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m)` along `axis`, with `m = max x` so it is
    /// exact and finite for any logits. `∂L/∂x = y · (∂L/∂y − Σ_axis ∂L/∂y · y)`.
    /// A fused primitive for accuracy (see [`log_softmax`](Var::log_softmax)).
    ///
    /// # Panics
    /// If `axis` is out of range.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![[0.0, 0.0], [1000.0, -1000.0]]);
    /// assert_eq!(x.softmax(1).value(), array![[0.5, 0.5], [1.0, 0.0]].into_dyn());
    /// let big = tape.var(array![[1000.0, 1000.0]]);
    /// assert_eq!(big.softmax(1).value(), array![[0.5, 0.5]].into_dyn()); // exactly
    /// ```
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Var<'t, T> {
        self.tape.apply(SoftmaxAlong { axis, log: false }, &[*self])
    }
}

/// `y = m + ln Σ_axes e^(x − m)`, `m = max_axes x`; `∂L/∂x = ∂L/∂y · e^(x − y)`.
pub(crate) struct LogSumExp(pub(crate) ReducedAxes);
impl LogSumExp {
    fn kept<T: Float>(&self, x: &ArrayViewD<'_, T>) -> ArrayD<T> {
        // The shift m only matters for stability; a non-finite max (all −∞, or +∞) is
        // replaced by 0 so that x − m never makes NaN out of ∞ − ∞.
        let shift =
            self.0
                .fold_kept(x, T::max, T::neg_infinity())
                .mapv(|m| if m.is_finite() { m } else { T::zero() });
        let shift_b = shift.broadcast(x.raw_dim()).expect("kept dims broadcast");
        let shifted = map2(x, &shift_b, |v, m| (v - m).exp());
        let total = self.0.fold_kept(&shifted.view(), |a, b| a + b, T::zero());
        crate::pool::recycle(shifted);
        Zip::from(&total).and(&shift).map_collect(|&s, &m| m + s.ln())
    }
}
impl<T: Float> Op<T> for LogSumExp {
    /// `ẏ = Σ_axes e^(x − y) · ẋ`: the softmax-weighted sum of the tangent.
    fn tangent(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        y: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let (x, dx) = (&inputs[0], tangents[0].as_ref()?);
        let y = copy(y);
        let y_b = self.0.kept_view(&y, x.shape()).broadcast(x.raw_dim())?.to_owned();
        let weighted = map3(x, &y_b.view(), dx, |x, y, t| (x - y).exp() * t);
        Some(self.0.finish(self.0.fold_kept(&weighted.view(), |a, b| a + b, T::zero())))
    }
    fn name(&self) -> &'static str {
        "log_sum_exp"
    }
    fn rule(&self) -> Option<String> {
        Some("y = log Σ eˣ;  ∂L/∂x = ∂L/∂y · softmax(x) = ∂L/∂y · eˣ⁻ʸ".into())
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        self.0.check(shapes[0])
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let x = &inputs[0];
        self.0.finish(self.kept(x))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        y: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let x = &inputs[0];
        let (y, grad_output) = (copy(y), copy(grad_output));
        let (y_kept, grad_kept) =
            (self.0.kept_view(&y, x.shape()), self.0.kept_view(&grad_output, x.shape()));
        let y_b = y_kept.broadcast(x.raw_dim()).expect("kept dims broadcast");
        let grad_b = grad_kept.broadcast(x.raw_dim()).expect("kept dims broadcast");
        let grad_x = map3(x, &y_b, &grad_b, |x, y, g| g * (x - y).exp());
        crate::pool::recycle(y);
        crate::pool::recycle(grad_output);
        grads([Some(grad_x)])
    }
    fn backward_vars<'t>(
        &self,
        inputs: &[Var<'t, T>],
        y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        // ∂L/∂x = g · exp(x − y), with y and g spread back over the reduced axes.
        let x = inputs[0];
        let shape = x.shape();
        let kept = self.0.kept_shape(&shape);
        let spread = |v: Var<'t, T>| v.reshape(&kept).broadcast_to(&shape);
        Some(grads([Some(spread(grad_output) * (x - spread(y)).exp())]))
    }
}

/// Softmax (`log: false`) or log-softmax (`log: true`) along one axis, shifted by the max.
/// Softmax: `y = e^(x − m) / Σ e^(x − m)`, `∂L/∂x = y · (∂L/∂y − Σ ∂L/∂y · y)`.
/// Log-softmax: `y = (x − m) − ln Σ e^(x − m)`, `∂L/∂x = ∂L/∂y − e^y · Σ ∂L/∂y`.
pub(crate) struct SoftmaxAlong {
    axis: usize,
    log: bool,
}
impl<T: Float> Op<T> for SoftmaxAlong {
    /// Softmax: `ẏ = y · (ẋ − Σ y·ẋ)`; log-softmax: `ẏ = ẋ − Σ e^y·ẋ` (sums along the axis).
    fn tangent(
        &self,
        _inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        tangents: &[Option<ArrayViewD<'_, T>>],
    ) -> Option<ArrayD<T>> {
        let mut out = tangents[0].as_ref()?.to_owned();
        for (mut t, y) in out.lanes_mut(Axis(self.axis)).into_iter().zip(output.lanes(Axis(self.axis))) {
            if self.log {
                let dot = Zip::from(&t).and(&y).fold(T::zero(), |acc, &t, &y| acc + y.exp() * t);
                t.mapv_inplace(|t| t - dot);
            } else {
                let dot = Zip::from(&t).and(&y).fold(T::zero(), |acc, &t, &y| acc + y * t);
                Zip::from(&mut t).and(&y).for_each(|t, &y| *t = y * (*t - dot));
            }
        }
        Some(out)
    }
    fn name(&self) -> &'static str {
        if self.log {
            "log_softmax"
        } else {
            "softmax"
        }
    }
    fn rule(&self) -> Option<String> {
        Some(if self.log {
            "y = x − log Σ eˣ along the axis;  ∂L/∂x = ∂L/∂y − softmax(x) · Σ ∂L/∂y".into()
        } else {
            "y = eˣ / Σ eˣ along the axis;  ∂L/∂x = y · (∂L/∂y − Σ y·∂L/∂y)".into()
        })
    }
    fn describe(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), String> {
        ReducedAxes::new(&[self.axis], true).check(shapes[0])
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        let mut y = pool::scratch(inputs[0].shape());
        y.assign(&inputs[0]);
        for mut lane in y.lanes_mut(Axis(self.axis)) {
            let max = lane.fold(T::neg_infinity(), |m, &v| m.max(v));
            let shift = if max.is_finite() { max } else { T::zero() };
            lane.mapv_inplace(|v| v - shift);
            let total = lane.fold(T::zero(), |acc, &v| acc + v.exp());
            if self.log {
                let log_total = total.ln();
                lane.mapv_inplace(|v| v - log_total);
            } else {
                lane.mapv_inplace(|v| v.exp() / total);
            }
        }
        y
    }
    fn backward(
        &self,
        _inputs: &[ArrayViewD<'_, T>],
        output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let mut grad_x = pool::scratch(grad_output.shape());
        grad_x.assign(grad_output);
        for (mut g, y) in grad_x.lanes_mut(Axis(self.axis)).into_iter().zip(output.lanes(Axis(self.axis))) {
            if self.log {
                let total = g.sum();
                Zip::from(&mut g).and(&y).for_each(|g, &y| *g -= y.exp() * total);
            } else {
                let dot = Zip::from(&g).and(&y).fold(T::zero(), |acc, &g, &y| acc + g * y);
                Zip::from(&mut g).and(&y).for_each(|g, &y| *g = y * (*g - dot));
            }
        }
        grads([Some(grad_x)])
    }
    fn backward_vars<'t>(
        &self,
        _inputs: &[Var<'t, T>],
        y: Var<'t, T>,
        grad_output: Var<'t, T>,
    ) -> Option<VarGrads<'t, T>> {
        // softmax: y · (g − Σ g·y); log_softmax: g − exp(y) · Σ g (sums over the axis).
        let shape = y.shape();
        let spread = |v: Var<'t, T>| v.broadcast_to(&shape);
        Some(grads([Some(if self.log {
            grad_output - y.exp() * spread(grad_output.sum_axes(&[self.axis], true))
        } else {
            y * (grad_output - spread((grad_output * y).sum_axes(&[self.axis], true)))
        })]))
    }
}
