//! `llsq`: the linear least-squares objective `y(x) = ½ Σᵢ (sᵢ − Σⱼ xⱼ tᵢʲ)²` with
//! `tᵢ = −1 + 2i/(n − 1)` and `sᵢ = sign(tᵢ)`, and its gradient, vectorised: the powers
//! `tᵢʲ` form an `n × m` matrix `T` (data, rebuilt each run as the eval's loops do), and
//! `y = ½ |s − T·x|²` is a product, a difference and a sum of squares on the tape.

use ndarray::{Array1, Array2, Axis, Zip};
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use crate::input::{checked_elements, count, error, field, vector, Result, MAX_ELEMENTS};
use crate::protocol::Evaluation;

/// `Tᵀ[j, i] = tᵢʲ` (the powers transposed) and `s` for `n` points (`m ≥ 1`).
///
/// Built a power at a time for all points together: row `j` of `Tᵀ` is row `j − 1` times
/// `t`, a vectorised pass, where filling `T` row by row waits on each multiplication in
/// turn (`n·m` of them in one chain per point: at n = 2,048, m = 128 that chain was the
/// whole objective's time). Every power is the same product either way.
fn data(n: usize, m: usize) -> (Array2<f64>, Array1<f64>) {
    let t =
        Array1::from_shape_fn(n, |i| if n > 1 { -1.0 + i as f64 * 2.0 / (n as f64 - 1.0) } else { f64::NAN });
    // From the tape's pool: the tape that holds it as a constant gives the buffer back when
    // it is dropped, so a run reuses the last run's memory instead of faulting in 2 MB.
    let mut powers_t: Array2<f64> =
        tapegrad::tape::pooled_zeros(&[m, n]).into_dimensionality().expect("two axes");
    powers_t.row_mut(0).fill(1.0);
    for j in 1..m {
        let (done, mut rest) = powers_t.view_mut().split_at(Axis(0), j);
        Zip::from(rest.row_mut(0))
            .and(done.row(j - 1))
            .and(&t)
            .for_each(|p, &previous, &ti| *p = previous * ti);
    }
    let sign = t.mapv(|ti| f64::from(u8::from(ti > 0.0)) - f64::from(u8::from(ti < 0.0)));
    (powers_t, sign)
}

/// `½ |s − T·x|²` on `x`'s tape, with `T·x` computed as the row `xᵀ·Tᵀ`.
fn objective<'t>(x: Var<'t, f64>, n: usize) -> Var<'t, f64> {
    let tape = x.tape();
    let m = x.shape()[0];
    let (powers_t, sign) = data(n, m);
    let residual = tape.constant(sign) - x.reshape(&[1, m]).matmul(&tape.constant(powers_t)).reshape(&[n]);
    residual.square().sum() * 0.5
}

/// `y(x)` for `n` points, on an inference tape.
///
/// ```
/// // n = 3: t = (−1, 0, 1), s = (−1, 0, 1); with x = (0, 1) the fit is exact
/// assert_eq!(tapegrad_gradbench::evals::llsq::primal(&ndarray::array![0.0, 1.0], 3), 0.0);
/// ```
pub fn primal(x: &Array1<f64>, n: usize) -> f64 {
    let tape = Tape::inference();
    objective(tape.constant(x), n).item()
}

/// `∇y(x)` for `n` points, by backpropagation.
///
/// ```
/// // n = 3, x = 0: ∇y = −Tᵀs = −(s₀ + s₁ + s₂, −s₀ + s₂) = (0, −2)
/// let g = tapegrad_gradbench::evals::llsq::gradient(&ndarray::array![0.0, 0.0], 3);
/// assert_eq!(g, ndarray::array![0.0, -2.0]);
/// ```
pub fn gradient(x: &Array1<f64>, n: usize) -> Array1<f64> {
    let tape = Tape::new();
    let x_var = tape.var(x);
    let grads = tape.backward(objective(x_var, n));
    grads.get_or_zeros(x_var).into_dimensionality().expect("`x`'s shape")
}

/// Evaluates `primal` or `gradient` at `input.x` with `input.n` points.
///
/// # Errors
/// A missing field, `n < 2` (the points `tᵢ` divide by `n − 1`), an empty `x`, an
/// `n × m` beyond [`MAX_ELEMENTS`], or an unknown function.
///
/// ```
/// let input = serde_json::json!({"x": [0.0, 1.0], "n": 3});
/// let out = tapegrad_gradbench::evals::llsq::evaluate("gradient", &input).unwrap();
/// assert_eq!(out.output, serde_json::json!([0.0, 0.0]));
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let x = vector(field(input, "x")?, "x")?;
    let n = count(field(input, "n")?, "n", MAX_ELEMENTS)?;
    if n < 2 {
        return Err(error(format_args!("`n` = {n}: the points tᵢ = −1 + 2i/(n − 1) need n ≥ 2")));
    }
    if x.is_empty() {
        return Err(error("`x` is empty"));
    }
    checked_elements("n × m", &[n, x.len()])?;
    match function {
        "primal" => Evaluation::timed(input, || Ok(primal(&x, n)), |y| json!(y)),
        "gradient" => Evaluation::timed(input, || Ok(gradient(&x, n)), |g| json!(g.to_vec())),
        _ => Err(super::unknown_function("llsq", function, &["primal", "gradient"])),
    }
}
