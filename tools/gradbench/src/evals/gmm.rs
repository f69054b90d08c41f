//! `gmm`: the log-posterior of a Gaussian mixture with a Wishart prior on the precision
//! matrices (GradBench's `evals/gmm`, ADBench's GMM with its three fixes), and its
//! gradient with respect to the weights' parameters `α`, the means `μ` and the precision
//! factors `q`, `l`, vectorised over components and points:
//!
//! - `Qₖ = diag(exp qₖ) + L(lₖ)`, with `lₖ` filling the strictly lower triangle column by
//!   column ([`Var::fill_triangle`]); the precision is `QₖᵀQₖ`;
//! - `βₖᵢ = αₖ + Σⱼ qₖⱼ − ½ |Qₖ(xᵢ − μₖ)|²`, all `k, i` at once as `Qₖ·Xᵀ − Qₖ·μₖ`
//!   (one batched product);
//! - `log p(X) = −N(D/2 · log 2π + LSE(α)) + Σᵢ LSEₖ(βₖᵢ)`;
//! - `log p(θ) = K(nD · log(γ/√2) − log Γ_D(n/2)) − Σₖ(γ²/2 · |Qₖ|²_F − m Σⱼ qₖⱼ)`,
//!   `n = D + m + 1`.

use ndarray::{Array1, Array2};
use serde_json::{json, Value};
use tapegrad::tape::special::multivariate_ln_gamma;
use tapegrad::tape::{Tape, Triangle, Var};

use crate::input::{checked_elements, count, error, field, matrix, number, vector, Result, MAX_ELEMENTS};
use crate::protocol::Evaluation;

/// The independent variables: the gradient has one of each.
///
/// ```
/// let input = serde_json::json!({"d": 3, "k": 2, "n": 1, "x": [[0, 0, 0]], "m": 0, "gamma": 1,
///     "alpha": [0, 0], "mu": [[0, 0, 0], [1, 1, 1]], "q": [[0, 0, 0], [0, 0, 0]], "l": [[1, 2, 3], [4, 5, 6]]});
/// let (parameters, _) = tapegrad_gradbench::evals::gmm::read(&input).unwrap();
/// assert_eq!(parameters.l.dim(), (2, 3)); // D(D − 1)/2 = 3 entries per component
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    /// Mixture weights' logits, `[K]`.
    pub alpha: Array1<f64>,
    /// Means, `[K, D]`.
    pub mu: Array2<f64>,
    /// Logs of the precision factors' diagonals, `[K, D]`.
    pub q: Array2<f64>,
    /// The factors' strictly lower triangles, packed column by column, `[K, D(D−1)/2]`.
    pub l: Array2<f64>,
}

/// The data and the prior's settings.
///
/// ```
/// let input = serde_json::json!({"d": 1, "k": 1, "n": 2, "x": [[0.5], [1.5]], "m": 2, "gamma": 0.5,
///     "alpha": [0], "mu": [[0]], "q": [[0]], "l": [[]]});
/// let (_, data) = tapegrad_gradbench::evals::gmm::read(&input).unwrap();
/// assert_eq!((data.x.nrows(), data.m, data.gamma), (2, 2, 0.5));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// Points, `[N, D]`.
    pub x: Array2<f64>,
    /// The Wishart prior's extra degrees of freedom.
    pub m: usize,
    /// The Wishart prior's precision.
    pub gamma: f64,
}

/// `log p(X | θ) + log p(θ)` on the tape the parameters live on.
fn log_posterior<'t>(
    alpha: Var<'t, f64>,
    mu: Var<'t, f64>,
    q: Var<'t, f64>,
    l: Var<'t, f64>,
    data: &'t Data,
) -> Var<'t, f64> {
    let tape = alpha.tape();
    let (n, d) = data.x.dim();
    let k = alpha.shape()[0];
    let q_diagonal = q.exp(); // [K, D]
    let sum_q = q.sum_axes(&[1], false); // [K]
    let factor =
        q_diagonal.diag_embed() + l.fill_triangle(d, Triangle::StrictlyLower).expect("l's width was checked");
    // Qₖ(xᵢ − μₖ) for every k and i: [K, D, N]
    let xt = tape.constant(data.x.t());
    let centred = factor.matmul(&xt) - factor.matmul(&mu.reshape(&[k, d, 1]));
    let beta = (alpha + sum_q).reshape(&[k, 1]) - centred.square().sum_axes(&[1], false) * 0.5; // [K, N]
    let n_f = n as f64;
    let d_f = d as f64;
    let likelihood = beta.log_sum_exp_axes(&[0], false).sum()
        - alpha.log_sum_exp() * n_f
        - n_f * d_f * 0.5 * (2.0 * std::f64::consts::PI).ln();
    let dof = (d + data.m + 1) as f64;
    let gamma = data.gamma;
    let constant = dof * d_f * (gamma.ln() - 0.5 * 2f64.ln()) - multivariate_ln_gamma(0.5 * dof, d);
    let frobenius = q_diagonal.square().sum() + l.square().sum();
    let prior = frobenius * (-0.5 * gamma * gamma) + sum_q.sum() * data.m as f64 + k as f64 * constant;
    likelihood + prior
}

/// The log-posterior, on an inference tape.
///
/// ```
/// use tapegrad_gradbench::evals::gmm::{objective, Data, Parameters};
/// use ndarray::array;
/// // One component in one dimension, one point at the mean, q = 0 (unit precision):
/// // log p(X) = −½ log 2π; the prior with m = 0, γ = 1: 1·(2 log(1/√2) − log Γ(1)) − ½
/// let p = Parameters { alpha: array![0.0], mu: array![[0.5]], q: array![[0.0]], l: array![[]].into_shape_with_order((1, 0)).unwrap() };
/// let data = Data { x: array![[0.5]], m: 0, gamma: 1.0 };
/// let expected = -0.5 * (2.0 * std::f64::consts::PI).ln() + 2.0 * (0.5f64.sqrt()).ln() - 0.5;
/// assert!((objective(&p, &data) - expected).abs() < 1e-14);
/// ```
pub fn objective(parameters: &Parameters, data: &Data) -> f64 {
    let tape = Tape::inference();
    let [alpha, mu, q, l] = [
        tape.constant(&parameters.alpha),
        tape.constant(&parameters.mu),
        tape.constant(&parameters.q),
        tape.constant(&parameters.l),
    ];
    log_posterior(alpha, mu, q, l, data).item()
}

/// The gradient of the log-posterior with respect to every parameter, by backpropagation.
///
/// ```
/// use tapegrad_gradbench::evals::gmm::{jacobian, Data, Parameters};
/// use ndarray::array;
/// // One component, one point one unit above the mean, unit precision: ∂/∂μ = x − μ = 1
/// let p = Parameters { alpha: array![0.0], mu: array![[0.0]], q: array![[0.0]], l: array![[]].into_shape_with_order((1, 0)).unwrap() };
/// let g = jacobian(&p, &Data { x: array![[1.0]], m: 0, gamma: 1.0 });
/// assert!((g.mu[[0, 0]] - 1.0).abs() < 1e-14);
/// assert_eq!(g.alpha[0], 0.0); // one weight: its logit does not matter
/// ```
pub fn jacobian(parameters: &Parameters, data: &Data) -> Parameters {
    let tape = Tape::new();
    let [alpha, mu, q, l] = [
        tape.var(&parameters.alpha),
        tape.var(&parameters.mu),
        tape.var(&parameters.q),
        tape.var(&parameters.l),
    ];
    let grads = tape.backward(log_posterior(alpha, mu, q, l, data));
    let gradient = |var: Var<'_, f64>| grads.get_or_zeros(var);
    let into2 = |array: ndarray::ArrayD<f64>| array.into_dimensionality().expect("a parameter's own shape");
    Parameters {
        alpha: gradient(alpha).into_dimensionality().expect("a parameter's own shape"),
        mu: into2(gradient(mu)),
        q: into2(gradient(q)),
        l: into2(gradient(l)),
    }
}

/// Reads and checks an input: shapes agree with `d`, `k`, `n`; `γ > 0`.
///
/// # Errors
/// Naming the first field that is missing or does not fit.
///
/// ```
/// let input = serde_json::json!({"d": 1, "k": 1, "n": 1, "x": [[0.5]], "m": 0, "gamma": 1.0,
///     "alpha": [0.0], "mu": [[0.5]], "q": [[0.0]], "l": [[]]});
/// let (p, data) = tapegrad_gradbench::evals::gmm::read(&input).unwrap();
/// assert_eq!((p.l.dim(), data.x.dim()), ((1, 0), (1, 1)));
/// let bad = serde_json::json!({"d": 2, "k": 1, "n": 1, "x": [[0.5]], "m": 0, "gamma": 1.0,
///     "alpha": [0.0], "mu": [[0.5]], "q": [[0.0]], "l": [[]]});
/// assert!(tapegrad_gradbench::evals::gmm::read(&bad).is_err());
/// ```
pub fn read(input: &Value) -> Result<(Parameters, Data)> {
    let d = count(field(input, "d")?, "d", MAX_ELEMENTS)?;
    let k = count(field(input, "k")?, "k", MAX_ELEMENTS)?;
    let n = count(field(input, "n")?, "n", MAX_ELEMENTS)?;
    if d == 0 || k == 0 {
        return Err(error(format_args!("`d` = {d} and `k` = {k} must both be at least 1")));
    }
    // The batched product Q·Xᵀ is [K, D, N], and the factors Q are [K, D, D].
    checked_elements("k × d × n", &[k, d, n])?;
    checked_elements("k × d × d", &[k, d, d])?;
    let x = matrix(field(input, "x")?, "x", Some(d))?;
    let alpha = vector(field(input, "alpha")?, "alpha")?;
    let mu = matrix(field(input, "mu")?, "mu", Some(d))?;
    let q = matrix(field(input, "q")?, "q", Some(d))?;
    let l = matrix(field(input, "l")?, "l", Some(d * (d - 1) / 2))?;
    for (name, rows, expected) in [
        ("x", x.nrows(), n),
        ("alpha", alpha.len(), k),
        ("mu", mu.nrows(), k),
        ("q", q.nrows(), k),
        ("l", l.nrows(), k),
    ] {
        if rows != expected {
            return Err(error(format_args!("`{name}` has {rows} rows, expected {expected}")));
        }
    }
    let m = count(field(input, "m")?, "m", MAX_ELEMENTS)?;
    let gamma = number(field(input, "gamma")?, "gamma")?;
    if gamma.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(error(format_args!("`gamma` = {gamma}: the Wishart prior's precision must be positive")));
    }
    Ok((Parameters { alpha, mu, q, l }, Data { x, m, gamma }))
}

/// Evaluates `objective` or `jacobian`.
///
/// # Errors
/// As [`read`], or an unknown function.
///
/// ```
/// let input = serde_json::json!({"d": 1, "k": 1, "n": 1, "x": [[1.0]], "m": 0, "gamma": 1.0,
///     "alpha": [0.0], "mu": [[0.0]], "q": [[0.0]], "l": [[]]});
/// let out = tapegrad_gradbench::evals::gmm::evaluate("jacobian", &input).unwrap();
/// assert_eq!(out.output["mu"], serde_json::json!([[1.0]]));
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let (parameters, data) = read(input)?;
    match function {
        "objective" => Evaluation::timed(input, || Ok(objective(&parameters, &data)), |y| json!(y)),
        "jacobian" => Evaluation::timed(
            input,
            || Ok(jacobian(&parameters, &data)),
            |g| json!({"alpha": g.alpha.to_vec(), "mu": super::rows(&g.mu), "q": super::rows(&g.q), "l": super::rows(&g.l)}),
        ),
        _ => Err(super::unknown_function("gmm", function, &["objective", "jacobian"])),
    }
}
