//! `hello`: `square(x) = x²` and its derivative `double(x) = 2x`, taken by the tape: the
//! protocol's smoke test.

use ndarray::arr0;
use serde_json::{json, Value};
use tapegrad::tape::Tape;

use crate::input::{number, Result};
use crate::protocol::Evaluation;

/// `x²`, on an inference tape.
///
/// ```
/// assert_eq!(tapegrad_gradbench::evals::hello::square(3.0), 9.0);
/// ```
pub fn square(x: f64) -> f64 {
    let tape = Tape::inference();
    let x = tape.constant(arr0(x));
    (x * x).item()
}

/// `d(x²)/dx = 2x`, by backpropagation.
///
/// ```
/// assert_eq!(tapegrad_gradbench::evals::hello::double(3.0), 6.0);
/// ```
pub fn double(x: f64) -> f64 {
    let tape = Tape::new();
    let x = tape.var(arr0(x));
    tape.backward(x * x).get(x).map_or(0.0, |g| g[[]])
}

/// Evaluates `square` or `double` at the number `input`.
///
/// # Errors
/// If `input` is not a number, or the function is neither.
///
/// ```
/// let out = tapegrad_gradbench::evals::hello::evaluate("square", &serde_json::json!(1.5)).unwrap();
/// assert_eq!(out.output, serde_json::json!(2.25));
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let x = number(input, "input")?;
    match function {
        "square" => Evaluation::timed(input, || Ok(square(x)), |y| json!(y)),
        "double" => Evaluation::timed(input, || Ok(double(x)), |y| json!(y)),
        _ => Err(super::unknown_function("hello", function, &["square", "double"])),
    }
}
