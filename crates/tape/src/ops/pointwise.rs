//! Elementwise functions of one tensor: `exp`, `log`, `sqrt`, `powf`, `abs`, `square`.

use super::{sign_code, Binary, BinaryFn, Unary, UnaryFn};
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `eˣ` elementwise. `∂L/∂x = ∂L/∂y · eˣ` (reuses the output `y`). In `f64` it is
    /// computed by a vectorised kernel within 1 ulp of the standard library's `exp`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![0.0, 1.0]);
    /// let y = x.exp();
    /// let grads = tape.backward(y.sum());
    /// assert_eq!(grads.get(x).unwrap(), &y.value()); // the derivative is the value
    /// assert!((y.value()[[1]] - std::f64::consts::E).abs() <= f64::EPSILON * 3.0);
    /// ```
    #[track_caller]
    pub fn exp(&self) -> Var<'t, T> {
        self.tape.apply(Unary(ExpFn), &[*self])
    }

    /// Natural logarithm elementwise. `∂L/∂x = ∂L/∂y / x`. `log(0) = −∞`, negative inputs
    /// give NaN, as in IEEE arithmetic.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 4.0]);
    /// let grads = tape.backward(x.log().sum());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![1.0, 0.25].into_dyn());
    /// ```
    #[track_caller]
    pub fn log(&self) -> Var<'t, T> {
        self.tape.apply(Unary(LogFn), &[*self])
    }

    /// `√x` elementwise. `∂L/∂x = ∂L/∂y / (2√x)` (infinite at 0).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![4.0]);
    /// let grads = tape.backward(x.sqrt().sum());
    /// assert_eq!(grads.get(x).unwrap()[[0]], 0.25);
    /// ```
    #[track_caller]
    pub fn sqrt(&self) -> Var<'t, T> {
        self.tape.apply(Unary(SqrtFn), &[*self])
    }

    /// `xᵖ` elementwise for a constant exponent `p`. `∂L/∂x = ∂L/∂y · p · xᵖ⁻¹`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![3.0]);
    /// let grads = tape.backward(x.powf(3.0).sum());
    /// assert_eq!(grads.get(x).unwrap()[[0]], 27.0); // 3 · 3²
    /// ```
    #[track_caller]
    pub fn powf(&self, p: T) -> Var<'t, T> {
        self.tape.apply(Unary(PowfFn(p)), &[*self])
    }

    /// `xʸ` elementwise with a tensor exponent, broadcasting (PyTorch's `torch.pow(x, y)`).
    /// `∂L/∂x = ∂L/∂z · y · xʸ⁻¹` and `∂L/∂y = ∂L/∂z · xʸ · ln x`, taken as 0 where
    /// `x = 0` and `y ≥ 0` (PyTorch's choice: `0ʸ` is flat in `y` there). For `x < 0`
    /// the exponent's gradient is NaN (`ln x`), as in PyTorch.
    ///
    /// Differentiable to any order ([`Tape::grad`](crate::Tape::grad) with
    /// `create_graph`), at any base: the masked terms stay masked (their derivatives are
    /// 0), and where the first-order rule is NaN (`ln x` of a negative base) so are the
    /// derivatives that involve it.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![2.0, 0.0]);
    /// let y = tape.var(array![3.0, 2.0]);
    /// let z = x.pow(&y);
    /// assert_eq!(z.value(), array![8.0, 0.0].into_dyn());
    /// let grads = tape.backward(z.sum());
    /// assert_eq!(grads.get(x).unwrap(), &array![12.0, 0.0].into_dyn()); // y · xʸ⁻¹
    /// assert_eq!(grads.get(y).unwrap(), &array![8.0 * 2f64.ln(), 0.0].into_dyn()); // xʸ · ln x
    /// ```
    #[track_caller]
    pub fn pow(&self, exponent: &Var<'t, T>) -> Var<'t, T> {
        self.tape.apply(Binary(PowFn), &[*self, *exponent])
    }

    /// `x²` elementwise, computed as `x · x` (exactly rounded, as PyTorch's `x ** 2`).
    /// `∂L/∂x = ∂L/∂y · 2x`.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![-3.0]);
    /// assert_eq!(tape.backward(x.square().sum()).get(x).unwrap()[[0]], -6.0);
    /// ```
    #[track_caller]
    pub fn square(&self) -> Var<'t, T> {
        self.tape.apply(Unary(SquareFn), &[*self])
    }

    /// `|x|` elementwise. `∂L/∂x = ∂L/∂y · sign(x)`, with `sign(0) = 0` (PyTorch's choice).
    /// Has a kink at 0.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![-2.0, 0.0, 3.0]);
    /// let grads = tape.backward(x.abs().sum());
    /// assert_eq!(grads.get(x).unwrap(), &ndarray::array![-1.0, 0.0, 1.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn abs(&self) -> Var<'t, T> {
        self.tape.apply(Unary(AbsFn), &[*self])
    }
}

/// `y = eˣ`; `dy/dx = eˣ = y`.
pub(crate) struct ExpFn;
impl<T: Float> UnaryFn<T> for ExpFn {
    fn name(&self) -> &'static str {
        "exp"
    }
    fn rule(&self) -> Option<String> {
        Some("y = eˣ;  ∂L/∂x = ∂L/∂y · y".into())
    }
    fn value(&self, x: T) -> T {
        // f64: a branch-free exp the slice loops vectorise, within 1 ulp (crate::math); f32:
        // std. (Elsewhere, in loops that run one element at a time, glibc's table-driven
        // exp is the faster: the log-sum-exp and softmax ops keep it.)
        x.exp_kernel()
    }
    fn derivative(&self, _x: T, y: T) -> T {
        y
    }
    fn derivative_var<'t>(&self, _x: Var<'t, T>, y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(y)
    }
}

/// `y = ln x`; `dy/dx = 1/x`.
pub(crate) struct LogFn;
impl<T: Float> UnaryFn<T> for LogFn {
    fn name(&self) -> &'static str {
        "log"
    }
    fn rule(&self) -> Option<String> {
        Some("y = ln x;  ∂L/∂x = ∂L/∂y / x".into())
    }
    fn value(&self, x: T) -> T {
        x.ln()
    }
    fn derivative(&self, x: T, _y: T) -> T {
        T::one() / x
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.powf(-T::one()))
    }
}

/// `y = √x`; `dy/dx = 1/(2√x) = 1/(2y)`.
pub(crate) struct SqrtFn;
impl<T: Float> UnaryFn<T> for SqrtFn {
    fn name(&self) -> &'static str {
        "sqrt"
    }
    fn rule(&self) -> Option<String> {
        Some("y = √x;  ∂L/∂x = ∂L/∂y / (2y)".into())
    }
    fn value(&self, x: T) -> T {
        x.sqrt()
    }
    fn derivative(&self, _x: T, y: T) -> T {
        T::one() / (T::from_f64(2.0) * y)
    }
    fn derivative_var<'t>(&self, _x: Var<'t, T>, y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(y.powf(-T::one()).mul_scalar(T::from_f64(0.5)))
    }
}

/// `y = xᵖ`; `dy/dx = p · xᵖ⁻¹`.
pub(crate) struct PowfFn<T>(pub(crate) T);
impl<T: Float> UnaryFn<T> for PowfFn<T> {
    fn name(&self) -> &'static str {
        "powf"
    }
    fn rule(&self) -> Option<String> {
        Some("y = xᶜ;  ∂L/∂x = ∂L/∂y · c·xᶜ⁻¹".into())
    }
    fn describe(&self) -> String {
        format!("p={}", self.0)
    }
    fn value(&self, x: T) -> T {
        x.powf(self.0)
    }
    fn derivative(&self, x: T, _y: T) -> T {
        self.0 * x.powf(self.0 - T::one())
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.powf(self.0 - T::one()).mul_scalar(self.0))
    }
}

/// `z = xʸ`; `∂z/∂x = y · xʸ⁻¹`, `∂z/∂y = xʸ · ln x` (0 where `x = 0` and `y ≥ 0`).
pub(crate) struct PowFn;
impl<T: Float> BinaryFn<T> for PowFn {
    fn name(&self) -> &'static str {
        "pow"
    }
    fn rule(&self) -> Option<String> {
        Some("y = aᵇ;  ∂L/∂a = ∂L/∂y · b·aᵇ⁻¹,  ∂L/∂b = ∂L/∂y · y · ln a".into())
    }
    fn value(&self, x: T, y: T) -> T {
        x.powf(y)
    }
    fn partials(&self, x: T, y: T, z: T) -> (T, T) {
        let by_exponent = if x == T::zero() && y >= T::zero() { T::zero() } else { z * x.ln() };
        // y · xʸ⁻¹, with 0 · 0⁻¹ taken as PyTorch takes it: y = 0 gives 0 everywhere.
        let by_base = if y == T::zero() { T::zero() } else { y * x.powf(y - T::one()) };
        (by_base, by_exponent)
    }
    fn partials_var<'t>(
        &self,
        a: Var<'t, T>,
        b: Var<'t, T>,
        y: Var<'t, T>,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        if a.with_value(|a| a.iter().all(|&v| v > T::zero())) {
            return Some((b * a.pow(&(b - T::one())), y * a.log()));
        }
        // A base ≤ 0 somewhere: the first-order rules mask terms there (PyTorch's
        // conventions), and the masks are known now, so they are recorded as constants.
        // Masked terms are computed on stand-ins that keep every factor finite (an
        // exponent of 1, a base of 1) and then multiplied by 0: their derivatives, of any
        // order, are exactly 0, never 0 · ∞.
        let tape = b.tape();
        let (keep_base, keep_exponent) = a.with_value(|av| {
            b.with_value(|bv| {
                y.with_value(|yv| {
                    let (av, bv) = (av.broadcast(yv.shape())?, bv.broadcast(yv.shape())?);
                    let keep = |kept: bool| if kept { T::one() } else { T::zero() };
                    let keep_base = bv.mapv(|b| keep(b != T::zero()));
                    let keep_exponent = ndarray::Zip::from(&av)
                        .and(&bv)
                        .map_collect(|&a, &b| keep(a != T::zero() || b < T::zero()));
                    Some((keep_base, keep_exponent))
                })
            })
        })?;
        let (keep_base, keep_exponent) = (tape.constant(keep_base), tape.constant(keep_exponent));
        let one = T::one();
        // `b · aᵇ⁻¹`, 0 where `b = 0`.
        let shifted = (b - one) * keep_base + (keep_base.neg() + one);
        let by_base = b * a.pow(&shifted) * keep_base;
        // `aᵇ · ln a`, 0 where `a = 0` and `b ≥ 0`: there the base is 1 (1ᵇ · ln 1 = 0).
        // Not recorded for a fixed exponent: nothing would read it, and `ln a` of a
        // negative base would record a NaN (which anomaly detection would report).
        let by_exponent = if b.requires_grad() {
            let safe = a * keep_exponent + (keep_exponent.neg() + one);
            safe.pow(&b) * safe.log() * keep_exponent
        } else {
            tape.scalar(T::zero())
        };
        Some((by_base, by_exponent))
    }
}

/// `y = x²`; `dy/dx = 2x`.
pub(crate) struct SquareFn;
impl<T: Float> UnaryFn<T> for SquareFn {
    fn name(&self) -> &'static str {
        "square"
    }
    fn rule(&self) -> Option<String> {
        Some("y = x²;  ∂L/∂x = ∂L/∂y · 2x".into())
    }
    fn value(&self, x: T) -> T {
        x * x
    }
    fn derivative(&self, x: T, _y: T) -> T {
        x + x
    }
    fn derivative_var<'t>(&self, x: Var<'t, T>, _y: Var<'t, T>) -> Option<Var<'t, T>> {
        Some(x.mul_scalar(T::from_f64(2.0)))
    }
}

/// `y = |x|`; `dy/dx = sign(x)`, with `sign(0) = 0`. Kink at 0.
pub(crate) struct AbsFn;
impl<T: Float> UnaryFn<T> for AbsFn {
    fn name(&self) -> &'static str {
        "abs"
    }
    fn rule(&self) -> Option<String> {
        Some("y = |x|;  ∂L/∂x = ∂L/∂y · sign x (0 at 0)".into())
    }
    fn value(&self, x: T) -> T {
        x.abs()
    }
    fn derivative(&self, x: T, _y: T) -> T {
        T::from_f64(f64::from(sign_code(x)))
    }
    fn branch(&self, x: T) -> Option<i8> {
        Some(sign_code(x))
    }
    fn piecewise_linear(&self) -> bool {
        true
    }
}
