//! `det`: the determinant of an `ℓ × ℓ` matrix by expansion by minors along the first row
//! (cmpad's `det_by_minor`), recursively, on single numbers: the tape records every
//! product and sum of the `O(ℓ!)` expansion as its own node (about a million for
//! `ℓ = 9`), a micrograd-sized graph at a scale micrograd never meets. The gradient is the
//! matrix of cofactors, by backpropagation.
//!
//! The minors are not copied: as in cmpad, `rows[k]` and `columns[k]` chain the rows and
//! columns still in the minor (the chain starts at index `ℓ`), and unlinking a column for
//! the sub-minor is undone after it.

use ndarray::{arr0, Array1};
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use crate::input::{count, error, field, vector, Result};
use crate::protocol::Evaluation;

/// The largest `ℓ` accepted: `ℓ = 11` records about 108 million nodes (a 10 GB tape to
/// differentiate), `ℓ = 12` would record 1.3 billion.
///
/// ```
/// let input = serde_json::json!({"A": vec![1.0; 144], "ell": 12});
/// assert!(tapegrad_gradbench::evals::det::evaluate("primal", &input).is_err());
/// ```
pub const MAX_ELL: usize = 11;

/// The determinant of the `size × size` minor whose rows and columns are chained from
/// index `ell` in `rows` and `columns`.
fn det_of_minor<'t>(
    a: &[Var<'t, f64>],
    ell: usize,
    size: usize,
    rows: &mut [usize],
    columns: &mut [usize],
) -> Var<'t, f64> {
    let row = rows[ell];
    let mut column = columns[ell];
    if size == 1 {
        return a[row * ell + column];
    }
    // The minor's first row leaves the chain for every sub-minor.
    rows[ell] = rows[row];
    let mut previous = ell;
    let mut det: Option<Var<'t, f64>> = None;
    for j in 0..size {
        // Unlink this column, take the sub-minor's determinant, link the column back.
        columns[previous] = columns[column];
        let sub = det_of_minor(a, ell, size - 1, rows, columns);
        columns[previous] = column;
        let term = a[row * ell + column] * sub;
        det = Some(match (det, j % 2) {
            (None, _) => term,
            (Some(det), 0) => det + term,
            (Some(det), _) => det - term,
        });
        previous = column;
        column = columns[column];
    }
    rows[ell] = row;
    det.expect("a minor of size ≥ 2 has columns")
}

/// `det A` for the row-major `A`, recorded on the tape of its entries.
fn determinant<'t>(a: &[Var<'t, f64>], ell: usize) -> Var<'t, f64> {
    let mut rows: Vec<usize> = (1..=ell).chain([0]).collect();
    let mut columns = rows.clone();
    det_of_minor(a, ell, ell, &mut rows, &mut columns)
}

/// `det A` (row-major, `ℓ × ℓ`), on an inference tape.
///
/// ```
/// let a = ndarray::array![2.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 4.0];
/// // 2·(3·4 − 1·1) − 1·(1·4 − 1·0) + 0 = 22 − 4 = 18
/// assert_eq!(tapegrad_gradbench::evals::det::primal(&a, 3), 18.0);
/// ```
pub fn primal(a: &Array1<f64>, ell: usize) -> f64 {
    let tape = Tape::inference();
    let entries: Vec<Var<'_, f64>> = a.iter().map(|&v| tape.constant(arr0(v))).collect();
    determinant(&entries, ell).item()
}

/// `∇ det A`, row-major: the cofactor matrix, by backpropagation.
///
/// ```
/// let a = ndarray::array![2.0, 1.0, 1.0, 3.0];
/// // det = 2·3 − 1·1; ∇ = [[3, −1], [−1, 2]]
/// let g = tapegrad_gradbench::evals::det::gradient(&a, 2);
/// assert_eq!(g, ndarray::array![3.0, -1.0, -1.0, 2.0]);
/// ```
pub fn gradient(a: &Array1<f64>, ell: usize) -> Array1<f64> {
    let tape = Tape::new();
    let entries: Vec<Var<'_, f64>> = a.iter().map(|&v| tape.var(arr0(v))).collect();
    let grads = tape.backward(determinant(&entries, ell));
    entries.iter().map(|&e| grads.get(e).map_or(0.0, |g| g[[]])).collect()
}

/// Evaluates `primal` or `gradient` at `input.A` (row-major) with edge `input.ell`.
///
/// # Errors
/// A missing field, `ℓ` of 0 or above [`MAX_ELL`], `A` without `ℓ²` entries, or an unknown
/// function.
///
/// ```
/// let input = serde_json::json!({"A": [2.0, 1.0, 1.0, 3.0], "ell": 2});
/// let out = tapegrad_gradbench::evals::det::evaluate("primal", &input).unwrap();
/// assert_eq!(out.output, serde_json::json!(5.0));
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let a = vector(field(input, "A")?, "A")?;
    let ell = count(field(input, "ell")?, "ell", MAX_ELL)?;
    if ell == 0 || a.len() != ell * ell {
        return Err(error(format_args!(
            "`A` has {} entries; an ℓ = {ell} matrix (ℓ ≥ 1) has {}",
            a.len(),
            ell * ell
        )));
    }
    match function {
        "primal" => Evaluation::timed(input, || Ok(primal(&a, ell)), |y| json!(y)),
        "gradient" => Evaluation::timed(input, || Ok(gradient(&a, ell)), |g| json!(g.to_vec())),
        _ => Err(super::unknown_function("det", function, &["primal", "gradient"])),
    }
}
