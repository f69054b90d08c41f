//! `lstm`: ADBench's LSTM objective (its weight matrices are diagonal: every product is
//! elementwise), and its gradient with respect to the main and extra parameters. The
//! recurrence over `c − 1` characters and `l` layers is recorded as it runs, one small
//! vector op at a time, as a user would write it:
//!
//! for each character `t` and layer, with input `x` (the character's bits times the input
//! weights, or the layer below's hidden state) and the layer's `(h, c)`:
//! `f = σ(x·w_f + b_f)`, `i = σ(h·w_i + b_i)`, `o = σ(x·w_o + b_o)`, `g = tanh(h·w_g + b_g)`,
//! `c ← c·f + i·g`, `h ← o·tanh(c)`; then `ŷ = h·w_out + b_out`, normalised as
//! `ŷ − log(Σ exp ŷ + 2)` (ADBench's `+ 2`), and the loss is `−Σₜ Σ next bits · ŷ / ((c − 1)·b)`.

use ndarray::Array2;
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use crate::input::{error, field, matrix, Result};
use crate::protocol::Evaluation;

/// An LSTM input: `main` is `[2l, 4b]` (per layer: weights then biases, each as forget,
/// input, output and change gates), `extra` is `[3, b]` (input weights, output weights,
/// output bias), `state` is `[2l, b]` (per layer: hidden, then cell), `sequence` is
/// `[c, b]` (one character's bits per row).
///
/// ```
/// let input = serde_json::json!({"main_params": [[0, 0, 0, 0], [0, 0, 0, 0]],
///     "extra_params": [[1], [0], [0]], "state": [[0], [0]], "sequence": [[1], [0], [1]]});
/// let lstm = tapegrad_gradbench::evals::lstm::read(&input).unwrap();
/// assert_eq!((lstm.main.nrows() / 2, lstm.extra.ncols(), lstm.sequence.nrows()), (1, 1, 3)); // l, b, c
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// `[2l, 4b]`.
    pub main: Array2<f64>,
    /// `[3, b]`.
    pub extra: Array2<f64>,
    /// `[2l, b]`.
    pub state: Array2<f64>,
    /// `[c, b]`.
    pub sequence: Array2<f64>,
}

/// The loss, recorded on the tape that `main` and `extra` live on.
fn loss<'t>(main: Var<'t, f64>, extra: Var<'t, f64>, input: &'t Input) -> Var<'t, f64> {
    let tape = main.tape();
    let layers = input.main.nrows() / 2;
    let b = input.extra.ncols();
    let count = input.sequence.nrows();
    // Each layer's eight parameter vectors, cut from the matrices once.
    let row = |matrix: Var<'t, f64>, r: usize, gate: usize| {
        matrix.slice_axis(0, r..r + 1).slice_axis(1, gate * b..(gate + 1) * b).reshape(&[b])
    };
    let gates: Vec<[Var<'t, f64>; 8]> =
        (0..layers).map(|layer| std::array::from_fn(|j| row(main, 2 * layer + j / 4, j % 4))).collect();
    let [in_weight, out_weight, out_bias] = std::array::from_fn(|r| row(extra, r, 0));
    let mut hidden: Vec<Var<'t, f64>> =
        (0..layers).map(|layer| tape.constant(input.state.row(2 * layer))).collect();
    let mut cell: Vec<Var<'t, f64>> =
        (0..layers).map(|layer| tape.constant(input.state.row(2 * layer + 1))).collect();
    let mut total = tape.scalar(0.0);
    for t in 0..count.saturating_sub(1) {
        let mut x = tape.constant(input.sequence.row(t)) * in_weight;
        for layer in 0..layers {
            let [w_forget, w_in, w_out, w_change, b_forget, b_in, b_out, b_change] = gates[layer];
            let (h, c) = (hidden[layer], cell[layer]);
            let forget = (x * w_forget + b_forget).sigmoid();
            let in_gate = (h * w_in + b_in).sigmoid();
            let out_gate = (x * w_out + b_out).sigmoid();
            let change = (h * w_change + b_change).tanh();
            let c = c * forget + in_gate * change;
            let h = out_gate * c.tanh();
            (hidden[layer], cell[layer]) = (h, c);
            x = h;
        }
        let prediction = x * out_weight + out_bias;
        let normaliser = (prediction.exp().sum() + 2.0).log();
        let target = tape.constant(input.sequence.row(t + 1));
        total = total + ((prediction - normaliser) * target).sum();
    }
    total * (-1.0 / ((count.saturating_sub(1) * b).max(1) as f64))
}

/// The loss, on an inference tape.
///
/// ```
/// use tapegrad_gradbench::evals::lstm::{objective, Input};
/// use ndarray::{array, Array2};
/// // One layer, one bit, two characters: the prediction is out_bias = 0 whatever the state,
/// // so the loss is −(next bit)·(0 − log(e⁰ + 2)) = log 3.
/// let input = Input { main: Array2::zeros((2, 4)), extra: array![[1.0], [0.0], [0.0]],
///     state: Array2::zeros((2, 1)), sequence: array![[1.0], [1.0]] };
/// assert!((objective(&input) - 3f64.ln()).abs() < 1e-15);
/// ```
pub fn objective(input: &Input) -> f64 {
    let tape = Tape::inference();
    loss(tape.constant(&input.main), tape.constant(&input.extra), input).item()
}

/// The gradient of the loss with respect to `main` then `extra`, each flattened row by row,
/// by backpropagation.
///
/// ```
/// use tapegrad_gradbench::evals::lstm::{jacobian, Input};
/// use ndarray::{array, Array2};
/// let input = Input { main: Array2::zeros((2, 4)), extra: array![[1.0], [0.0], [0.0]],
///     state: Array2::zeros((2, 1)), sequence: array![[1.0], [1.0]] };
/// let g = jacobian(&input);
/// assert_eq!(g.len(), 8 + 3);
/// // ∂/∂out_bias of −(ŷ − log(e^ŷ + 2)) at ŷ = 0 is −(1 − 1/3)
/// assert!((g[10] + 2.0 / 3.0).abs() < 1e-15);
/// ```
pub fn jacobian(input: &Input) -> Vec<f64> {
    let tape = Tape::new();
    let (main, extra) = (tape.var(&input.main), tape.var(&input.extra));
    let grads = tape.backward(loss(main, extra, input));
    let mut out = grads.get_or_zeros(main).into_iter().collect::<Vec<f64>>();
    out.extend(grads.get_or_zeros(extra));
    out
}

/// Reads and checks an input: `main` `[2l, 4b]` with `l ≥ 1`, `extra` `[3, b]`, `state`
/// `[2l, b]`, `sequence` `[c, b]`.
///
/// # Errors
/// Naming the first field whose shape does not fit.
///
/// ```
/// let input = serde_json::json!({"main_params": [[0, 0, 0, 0], [0, 0, 0, 0]],
///     "extra_params": [[1], [0], [0]], "state": [[0], [0]], "sequence": [[1], [0]]});
/// assert!(tapegrad_gradbench::evals::lstm::read(&input).is_ok());
/// let bad = serde_json::json!({"main_params": [[0, 0, 0]], "extra_params": [[1], [0], [0]],
///     "state": [[0], [0]], "sequence": [[1], [0]]});
/// assert!(tapegrad_gradbench::evals::lstm::read(&bad).is_err());
/// ```
pub fn read(input: &Value) -> Result<Input> {
    let main = matrix(field(input, "main_params")?, "main_params", None)?;
    if main.nrows() == 0 || main.nrows() % 2 != 0 || main.ncols() == 0 || main.ncols() % 4 != 0 {
        return Err(error(format_args!(
            "`main_params` is {:?}: expected [2l, 4b] with l, b ≥ 1 (weights and biases of four gates per layer)",
            main.dim()
        )));
    }
    let (rows, b) = (main.nrows(), main.ncols() / 4);
    let extra = matrix(field(input, "extra_params")?, "extra_params", Some(b))?;
    let state = matrix(field(input, "state")?, "state", Some(b))?;
    let sequence = matrix(field(input, "sequence")?, "sequence", Some(b))?;
    if extra.nrows() != 3 {
        return Err(error(format_args!("`extra_params` has {} rows, expected 3", extra.nrows())));
    }
    if state.nrows() != rows {
        return Err(error(format_args!(
            "`state` has {} rows, expected {rows} (hidden and cell per layer)",
            state.nrows()
        )));
    }
    if sequence.nrows() < 2 {
        return Err(error("`sequence` needs at least two characters (each predicts the next)"));
    }
    Ok(Input { main, extra, state, sequence })
}

/// Evaluates `objective` or `jacobian`.
///
/// # Errors
/// As [`read`], or an unknown function.
///
/// ```
/// let input = serde_json::json!({"main_params": [[0, 0, 0, 0], [0, 0, 0, 0]],
///     "extra_params": [[1], [0], [0]], "state": [[0], [0]], "sequence": [[1], [1]]});
/// let out = tapegrad_gradbench::evals::lstm::evaluate("objective", &input).unwrap();
/// assert!((out.output.as_f64().unwrap() - 3f64.ln()).abs() < 1e-15);
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let data = read(input)?;
    match function {
        "objective" => Evaluation::timed(input, || Ok(objective(&data)), |y| json!(y)),
        "jacobian" => Evaluation::timed(input, || Ok(jacobian(&data)), |g| json!(g)),
        _ => Err(super::unknown_function("lstm", function, &["objective", "jacobian"])),
    }
}
