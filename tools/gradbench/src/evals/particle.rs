//! `particle`: the control parameter `w` that makes a charged particle hit the origin
//! (Pearlmutter and Siskind's benchmark). The particle starts at `(0, 8)` with velocity
//! `(0.75, 0)` and moves by Euler steps of 0.1 under the force `−∇ₓ p(x; w)`, with
//! `p(x; w) = 1/|x − (10, 10 − w)| + 1/|x − (10, 0)|`, until it would cross the x axis;
//! the crossing point `x(t_f)` comes from the last position along the last velocity, and
//! `w` minimises `x₀(t_f)²` by gradient descent from the input's `w`.
//!
//! Nested: every Euler step takes a gradient (of the potential, in the inner mode), and
//! the descent differentiates the whole trajectory (in the outer mode) through them. The
//! function names give the modes, outer then inner; forward products are computed by the
//! tape in reverse (double VJP, [`super::modes`]) until tapegrad has a forward mode.

use ndarray::array;
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use super::modes::Mode;
use super::solver::{argmin, Numbers};
use crate::input::{error, field, number, Result};
use crate::protocol::Evaluation;

/// The most Euler steps one trajectory may take before it is declared lost: 1,000 time
/// units (the eval's particle lands after about 15).
///
/// ```
/// // With the moving charge a light-year away, only the one at (10, 0) acts, and it repels:
/// // the particle never comes down to the axis.
/// let err = tapegrad_gradbench::evals::particle::miss_distance(-1e15).unwrap_err();
/// assert!(err.to_string().contains("did not reach the x axis"), "{err}");
/// ```
pub const MAX_STEPS: usize = 10_000;

/// `x₀(t_f)²` for the control `w`, recorded on `w`'s tape, with the force's gradient in
/// `inner` mode.
fn miss<'t>(w: Var<'t, f64>, inner: Mode) -> Result<Var<'t, f64>> {
    let tape = w.tape();
    let dt = 0.1;
    let charges = [
        Var::concat(&[tape.scalar(10.0).reshape(&[1]), (10.0 - w).reshape(&[1])], 0),
        tape.constant(array![10.0, 0.0]),
    ];
    let potential = |x: Var<'t, f64>| {
        let [a, b] = charges.map(|c| (x - c).square().sum().sqrt().powf(-1.0));
        a + b
    };
    let mut x = tape.var(array![0.0, 8.0]);
    let mut velocity = tape.constant(array![0.75, 0.0]);
    for _ in 0..MAX_STEPS {
        let acceleration = -inner.gradient(potential(x), x)?;
        let next = x + velocity * dt;
        if next.with_value(|v| v[1]) <= 0.0 {
            // Where the line from x along the velocity meets the axis.
            let height = x.slice_axis(0, 1..2);
            let time = -height / velocity.slice_axis(0, 1..2);
            let landing = x + velocity * time;
            return Ok(landing.slice_axis(0, 0..1).square().sum());
        }
        x = next;
        velocity = velocity + acceleration * dt;
    }
    Err(error(format_args!("the particle did not reach the x axis in {MAX_STEPS} steps")))
}

/// How far the particle lands from the origin, `x₀(t_f)²`, for the control `w` (the
/// force's gradient by reverse mode).
///
/// # Errors
/// If the particle does not reach the x axis.
///
/// ```
/// let miss = tapegrad_gradbench::evals::particle::miss_distance(0.0).unwrap();
/// assert!(miss > 0.0);
/// ```
pub fn miss_distance(w: f64) -> Result<f64> {
    let tape = Tape::new();
    Ok(miss(tape.var(array![w]).reshape(&[]), Mode::Reverse)?.item())
}

/// `d x₀(t_f)² / dw` at `w`, differentiating the trajectory in `outer` mode through the
/// force's gradients taken in `inner` mode.
///
/// # Errors
/// If the particle does not reach the x axis.
///
/// ```
/// use tapegrad_gradbench::evals::{modes::Mode, particle::miss_derivative};
/// let reverse = miss_derivative(0.1, Mode::Reverse, Mode::Reverse).unwrap();
/// let forward = miss_derivative(0.1, Mode::Forward, Mode::Forward).unwrap();
/// assert!((reverse - forward).abs() < 1e-12 * reverse.abs().max(1.0));
/// ```
pub fn miss_derivative(w: f64, outer: Mode, inner: Mode) -> Result<f64> {
    let tape = Tape::new();
    let w = tape.var(array![w]);
    Ok(outer.gradient(miss(w.reshape(&[]), inner)?, w)?.value()[[0]])
}

/// The control `w` found by gradient descent from `w0`, with the outer and inner gradients
/// in the given modes.
///
/// # Errors
/// If a trajectory or the descent does not end.
///
/// ```
/// use tapegrad_gradbench::evals::{modes::Mode, particle::control};
/// // GradBench starts at w = 0; from where the descent ends it stops at once.
/// let w = control(0.2071918746486116, Mode::Reverse, Mode::Reverse).unwrap();
/// // The particle then lands on the origin.
/// assert!(tapegrad_gradbench::evals::particle::miss_distance(w).unwrap() < 1e-6);
/// ```
pub fn control(w0: f64, outer: Mode, inner: Mode) -> Result<f64> {
    let value = |w: &Numbers| {
        let tape = Tape::new();
        Ok(miss(tape.var(array![w[0]]).reshape(&[]), inner)?.item())
    };
    let gradient = |w: &Numbers| Ok(vec![miss_derivative(w[0], outer, inner)?]);
    Ok(argmin(value, gradient, vec![w0])?[0])
}

/// Evaluates `rr`, `rf`, `fr` or `ff` from `input.w`.
///
/// # Errors
/// A missing `w`, an unknown function, or a trajectory or descent that does not end.
///
/// ```
/// let out = tapegrad_gradbench::evals::particle::evaluate("rf", &serde_json::json!({"w": 0.2071918746486116})).unwrap();
/// assert!(out.output.as_f64().unwrap() > 0.0);
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let w0 = number(field(input, "w")?, "w")?;
    let (outer, inner) = Mode::pair(function)
        .map_err(|_| super::unknown_function("particle", function, &["rr", "rf", "fr", "ff"]))?;
    Evaluation::timed(input, || control(w0, outer, inner), |w| json!(w))
}
