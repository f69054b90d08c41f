//! `saddle`: the saddle point of `f(p, q) = |p|² − |q|²` by nested gradient descent
//! (Pearlmutter and Siskind's benchmark): `p* = argminₚ maxᵩ f(p, q)`, each inner maximum
//! found by gradient ascent from the start, then `q* = argmaxᵩ f(p*, q)`. The outer descent
//! differentiates through the inner one: the inner gradients are recorded, so the outer
//! derivative sees how the inner maximiser moves with `p` (the setting where engines
//! confuse the two perturbations).
//!
//! The function names give the modes, outer then inner: `rr`, `rf`, `fr`, `ff`. Forward
//! products are computed by the tape in reverse (double VJP, [`super::modes`]) until
//! tapegrad has a forward mode; the nesting is the same either way.

use ndarray::Array1;
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use super::modes::Mode;
use super::solver::{argmax, argmin, Numbers, Recorded};
use crate::input::{error, field, vector, Result};
use crate::protocol::Evaluation;

/// `|p|² − |q|²`.
fn f<'t>(p: Var<'t, f64>, q: Var<'t, f64>) -> Var<'t, f64> {
    p.square().sum() - q.square().sum()
}

/// `maxᵩ f(p, q)` by gradient ascent from `start`, recorded on `p`'s tape with the inner
/// gradients taken in `inner` mode.
fn inner_max<'t>(p: Var<'t, f64>, start: &[f64], inner: Mode) -> Result<Var<'t, f64>> {
    let tape = p.tape();
    let value = |q: &Recorded<'t>| Ok(tape.no_grad(|| f(p, q.0).item()));
    let gradient = |q: &Recorded<'t>| Ok(Recorded(inner.gradient(f(p, q.0), q.0)?));
    let q = argmax(value, gradient, Recorded(tape.var(Array1::from(start.to_vec()))))?;
    Ok(f(p, q.0))
}

/// `∇ₚ maxᵩ f(p, q)`: the outer gradient, differentiated in `outer` mode through the inner
/// ascent (from `start`, its gradients in `inner` mode). It is `2p`, whatever the modes: the
/// inner maximiser does not move with `p`, and an engine that confused the two
/// derivatives would get something else.
///
/// # Errors
/// If the inner ascent does not stop.
///
/// ```
/// use tapegrad_gradbench::evals::{modes::Mode, saddle::outer_gradient};
/// let g = outer_gradient([0.5, -1.5], [1.0, 1.0], Mode::Forward, Mode::Reverse).unwrap();
/// assert_eq!(g, [1.0, -3.0]);
/// ```
pub fn outer_gradient(p: [f64; 2], start: [f64; 2], outer: Mode, inner: Mode) -> Result<[f64; 2]> {
    let tape = Tape::new();
    let p = tape.var(Array1::from(p.to_vec()));
    let g = outer.gradient(inner_max(p, &start, inner)?, p)?.value();
    Ok([g[[0]], g[[1]]])
}

/// The saddle point `(p*, q*)` from `start`, with the outer and inner gradients in the
/// given modes.
///
/// # Errors
/// If a descent does not stop (see [`argmin`]).
///
/// ```
/// use tapegrad_gradbench::evals::{modes::Mode, saddle::saddle_point};
/// // GradBench starts at (1, 1); a start near the saddle takes fewer steps.
/// let [p0, p1, q0, q1] = saddle_point([3e-5, -2e-5], Mode::Reverse, Mode::Reverse).unwrap();
/// assert!([p0, p1, q0, q1].iter().all(|v| v.abs() < 1e-4), "{p0} {p1} {q0} {q1}");
/// ```
pub fn saddle_point(start: [f64; 2], outer: Mode, inner: Mode) -> Result<[f64; 4]> {
    let value = |p: &Numbers| {
        let tape = Tape::new();
        Ok(inner_max(tape.var(Array1::from(p.clone())), &start, inner)?.item())
    };
    let gradient = |p: &Numbers| {
        let tape = Tape::new();
        let p = tape.var(Array1::from(p.clone()));
        Ok(outer.gradient(inner_max(p, &start, inner)?, p)?.value().iter().copied().collect())
    };
    let p = argmin(value, gradient, start.to_vec())?;
    // Then the maximiser at p*, with the outer mode.
    let value = |q: &Numbers| {
        let tape = Tape::inference();
        Ok(f(tape.constant(Array1::from(p.clone())), tape.constant(Array1::from(q.clone()))).item())
    };
    let gradient = |q: &Numbers| {
        let tape = Tape::new();
        let q = tape.var(Array1::from(q.clone()));
        Ok(outer.gradient(f(tape.constant(Array1::from(p.clone())), q), q)?.value().iter().copied().collect())
    };
    let q = argmax(value, gradient, start.to_vec())?;
    Ok([p[0], p[1], q[0], q[1]])
}

/// Evaluates `rr`, `rf`, `fr` or `ff` from `input.start`.
///
/// # Errors
/// A missing or malformed `start` (two numbers), an unknown function, or a descent that
/// does not stop.
///
/// ```
/// let input = serde_json::json!({"start": [2e-5, 2e-5]});
/// let out = tapegrad_gradbench::evals::saddle::evaluate("fr", &input).unwrap();
/// assert_eq!(out.output.as_array().unwrap().len(), 4);
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let start = vector(field(input, "start")?, "start")?;
    let &[s0, s1] = start.as_slice().unwrap_or(&[]) else {
        return Err(error(format_args!("`start` has {} numbers, expected 2", start.len())));
    };
    let (outer, inner) = Mode::pair(function)
        .map_err(|_| super::unknown_function("saddle", function, &["rr", "rf", "fr", "ff"]))?;
    Evaluation::timed(input, || saddle_point([s0, s1], outer, inner), |point| json!(point.to_vec()))
}
