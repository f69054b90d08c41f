//! The evals' functions, one module each, written with tapegrad's public API: the
//! objective on the tape (an inference tape when no derivative is wanted), every
//! derivative from it.

pub mod ba;
pub mod det;
pub mod gmm;
pub mod hello;
pub mod ht;
pub mod kmeans;
pub mod llsq;
pub mod lse;
pub mod lstm;
pub mod modes;
pub mod ode;
pub mod particle;
pub mod saddle;
pub mod solver;

use serde_json::Value;

use crate::input::{error, Result};
use crate::protocol::Evaluation;

/// The modules this tool defines.
///
/// ```
/// assert_eq!(tapegrad_gradbench::evals::MODULES.len(), 12);
/// ```
pub const MODULES: &[&str] =
    &["hello", "lse", "llsq", "gmm", "lstm", "ode", "det", "kmeans", "saddle", "particle", "ba", "ht"];

/// Evaluates `module`'s `function` at `input`, as often as the input's runs ask.
///
/// # Errors
/// An unknown module or function, or an input the function cannot take (named).
///
/// ```
/// let input = serde_json::json!(4.0);
/// let evaluation = tapegrad_gradbench::evals::evaluate("hello", "double", &input).unwrap();
/// assert_eq!(evaluation.output, serde_json::json!(8.0));
/// assert!(tapegrad_gradbench::evals::evaluate("hello", "triple", &input).is_err());
/// ```
pub fn evaluate(module: &str, function: &str, input: &Value) -> Result<Evaluation> {
    match module {
        "hello" => hello::evaluate(function, input),
        "lse" => lse::evaluate(function, input),
        "llsq" => llsq::evaluate(function, input),
        "gmm" => gmm::evaluate(function, input),
        "lstm" => lstm::evaluate(function, input),
        "ode" => ode::evaluate(function, input),
        "det" => det::evaluate(function, input),
        "kmeans" => kmeans::evaluate(function, input),
        "saddle" => saddle::evaluate(function, input),
        "particle" => particle::evaluate(function, input),
        "ba" => ba::evaluate(function, input),
        "ht" => ht::evaluate(function, input),
        _ => Err(error(format_args!("tapegrad has no module `{module}`"))),
    }
}

/// A matrix as a list of its rows, as the evals' outputs lay matrices out.
pub(crate) fn rows(matrix: &ndarray::Array2<f64>) -> Vec<Vec<f64>> {
    matrix.rows().into_iter().map(|row| row.to_vec()).collect()
}

/// The error for a function `module` does not have.
pub(crate) fn unknown_function(module: &str, function: &str, known: &[&str]) -> crate::input::ToolError {
    error(format_args!("module `{module}` has no function `{function}` (it has {})", known.join(", ")))
}
