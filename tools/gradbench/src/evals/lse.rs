//! `lse`: `LSE(x) = log Σᵢ exp(xᵢ)` and its gradient, built from primitives as the eval
//! asks (a maximum, exponentials, a sum, a logarithm), not from a fused `log_sum_exp`.
//!
//! The maximum `a` only keeps the exponentials finite: `LSE(x) = a + log Σ exp(xᵢ − a)` for
//! every `a`, so it enters as a constant (detached) and the gradient is the softmax.

use ndarray::Array1;
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use crate::input::{error, field, vector, Result};
use crate::protocol::Evaluation;

/// `a + log Σ exp(x − a)` with `a = max x`, recorded on `x`'s tape.
fn log_sum_exp<'t>(x: Var<'t, f64>) -> Var<'t, f64> {
    let a = x.max().detach();
    (x - a).exp().sum().log() + a
}

/// `LSE(x)`, on an inference tape.
///
/// ```
/// let x = ndarray::array![1.0, 2.0, 3.0];
/// let lse = tapegrad_gradbench::evals::lse::primal(&x);
/// assert!((lse - (1f64.exp() + 2f64.exp() + 3f64.exp()).ln()).abs() < 1e-14);
/// ```
pub fn primal(x: &Array1<f64>) -> f64 {
    let tape = Tape::inference();
    log_sum_exp(tape.constant(x)).item()
}

/// `∇LSE(x)`, the softmax of `x`, by backpropagation.
///
/// ```
/// let g = tapegrad_gradbench::evals::lse::gradient(&ndarray::array![0.0, 0.0]);
/// assert_eq!(g, ndarray::array![0.5, 0.5]);
/// ```
pub fn gradient(x: &Array1<f64>) -> Array1<f64> {
    let tape = Tape::new();
    let x_var = tape.var(x);
    let grads = tape.backward(log_sum_exp(x_var));
    grads.get_or_zeros(x_var).into_dimensionality().expect("`x`'s shape")
}

/// Evaluates `primal` or `gradient` at `input.x`.
///
/// # Errors
/// A missing or empty `x`, or an unknown function.
///
/// ```
/// let input = serde_json::json!({"x": [0.0, 0.0]});
/// let out = tapegrad_gradbench::evals::lse::evaluate("primal", &input).unwrap();
/// assert_eq!(out.output, serde_json::json!(2f64.ln()));
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let x = vector(field(input, "x")?, "x")?;
    if x.is_empty() {
        return Err(error("`x` is empty: LSE needs at least one element"));
    }
    match function {
        "primal" => Evaluation::timed(input, || Ok(primal(&x)), |y| json!(y)),
        "gradient" => Evaluation::timed(input, || Ok(gradient(&x)), |g| json!(g.to_vec())),
        _ => Err(super::unknown_function("lse", function, &["primal", "gradient"])),
    }
}
