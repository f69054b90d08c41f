//! `ode`: `s` steps of the classic Runge–Kutta method (RK4) on `y′ = f(y)` with
//! `f(y)₀ = x₀` and `f(y)ᵢ = xᵢ·yᵢ₋₁` from `y(0) = 0` to `t = 2` (cmpad's `an_ode`), and
//! the gradient of the last component of the solution with respect to `x`.
//!
//! `f` is one [`shift`](tapegrad::tape::Var::shift) and a product: `f(y) = x·(shift(y) + e₀)`,
//! where `shift(y)ᵢ = yᵢ₋₁` (0 at `i = 0`) and `e₀ = (1, 0, …, 0)`.

use ndarray::Array1;
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use crate::input::{checked_elements, count, error, field, vector, Result};
use crate::protocol::Evaluation;

/// The most steps one evaluation may take.
///
/// ```
/// let input = serde_json::json!({"x": [1.0], "s": 1_000_001});
/// assert!(tapegrad_gradbench::evals::ode::evaluate("primal", &input).is_err());
/// ```
pub const MAX_STEPS: usize = 1_000_000;
/// The largest `n · s` accepted: the tape keeps about 30 vectors of `n` per step, so this
/// is up to 8 GB (GradBench's largest default, `n = 100,000, s = 100`, is 10⁷).
///
/// ```
/// assert!(100_000 * 100 <= tapegrad_gradbench::evals::ode::MAX_TAPE); // GradBench's largest default
/// ```
pub const MAX_TAPE: usize = 1 << 25;

/// `y(2)` after `steps` RK4 steps, recorded on `x`'s tape.
fn solve<'t>(x: Var<'t, f64>, steps: usize) -> Var<'t, f64> {
    let tape = x.tape();
    let n = x.shape()[0];
    let mut unit = Array1::zeros(n);
    unit[0] = 1.0;
    let unit = tape.constant(unit);
    let f = |y: Var<'t, f64>| x * (y.shift(0, 1) + unit);
    let h = 2.0 / steps as f64;
    let mut y = tape.constant(Array1::<f64>::zeros(n));
    for _ in 0..steps {
        let k1 = f(y);
        let k2 = f(y + k1 * (h / 2.0));
        let k3 = f(y + k2 * (h / 2.0));
        let k4 = f(y + k3 * h);
        y = y + (k1 + (k2 + k3) * 2.0 + k4) * (h / 6.0);
    }
    y
}

/// The solution `y(2)`, on an inference tape.
///
/// ```
/// // n = 1: y′ = x₀, so y(2) = 2x₀ (RK4 is exact on a constant rate)
/// let y = tapegrad_gradbench::evals::ode::primal(&ndarray::array![1.5], 3);
/// assert!((y[0] - 3.0).abs() < 1e-15);
/// ```
pub fn primal(x: &Array1<f64>, steps: usize) -> Array1<f64> {
    let tape = Tape::inference();
    solve(tape.constant(x), steps).value().into_dimensionality().expect("1-D")
}

/// `∇ₓ y(2)ₙ₋₁`, by backpropagation through the steps.
///
/// ```
/// // n = 2: y₀ = x₀t, y₁′ = x₁x₀t, so y₁(2) = 2x₀x₁ (exact for RK4: a polynomial of degree 2)
/// let g = tapegrad_gradbench::evals::ode::gradient(&ndarray::array![1.5, 0.5], 2);
/// assert!((g[0] - 1.0).abs() < 1e-14 && (g[1] - 3.0).abs() < 1e-14);
/// ```
pub fn gradient(x: &Array1<f64>, steps: usize) -> Array1<f64> {
    let tape = Tape::new();
    let x_var = tape.var(x);
    let y = solve(x_var, steps);
    let n = x.len();
    let grads = tape.backward(y.slice_axis(0, n - 1..n).sum());
    grads.get_or_zeros(x_var).into_dimensionality().expect("1-D")
}

/// Evaluates `primal` or `gradient` at `input.x` with `input.s` steps.
///
/// # Errors
/// A missing field, an empty `x`, `s = 0`, more than [`MAX_STEPS`] steps, `n · s` beyond
/// [`MAX_TAPE`], or an unknown function.
///
/// ```
/// let input = serde_json::json!({"x": [1.5], "s": 2});
/// let out = tapegrad_gradbench::evals::ode::evaluate("gradient", &input).unwrap();
/// // y₀(2) = 2x₀: its derivative is 2 (to rounding: each step adds (1 + 2 + 2 + 1)·h/6)
/// assert!((out.output[0].as_f64().unwrap() - 2.0).abs() < 1e-15);
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let x = vector(field(input, "x")?, "x")?;
    let steps = count(field(input, "s")?, "s", MAX_STEPS)?;
    if x.is_empty() || steps == 0 {
        return Err(error(format_args!(
            "`x` has {} elements and `s` = {steps}: both must be positive",
            x.len()
        )));
    }
    // The tape keeps about 30 vectors of x's length per step: n · s up to 2²⁵ is up to 8 GB.
    let size = checked_elements("n · s", &[x.len(), steps])?;
    if size > MAX_TAPE {
        return Err(error(format_args!(
            "n · s = {size}: the tape would keep about 30 vectors of n per step, more than this tool accepts (n · s ≤ {MAX_TAPE})"
        )));
    }
    match function {
        "primal" => Evaluation::timed(input, || Ok(primal(&x, steps)), |y| json!(y.to_vec())),
        "gradient" => Evaluation::timed(input, || Ok(gradient(&x, steps)), |g| json!(g.to_vec())),
        _ => Err(super::unknown_function("ode", function, &["primal", "gradient"])),
    }
}
