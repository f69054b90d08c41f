//! How the graph ([`Tape::to_dot`](crate::Tape::to_dot)) and the trace
//! ([`Trace`](crate::Trace)) write values and names: small tensors as their numbers, a
//! matrix a row per line, larger ones as a summary; a name with operators in brackets.

use ndarray::{ArrayViewD, Axis};

use crate::Float;

/// The most rows, and numbers in a row, that are written out: tensors up to 8 × 8 (a
/// vector up to 16 numbers) show their values.
const ROWS: usize = 8;
const ROW_LEN: usize = 8;
const VECTOR_LEN: usize = 16;

/// Whether `shape`'s values are written out rather than summarised.
pub(crate) fn shows_values(shape: &[usize]) -> bool {
    match shape {
        [] => true,
        [len] => *len <= VECTOR_LEN,
        [rows, len] => *rows <= ROWS && *len <= ROW_LEN,
        _ => false,
    }
}

/// One element as the graph, the trace and the page write it: four decimals.
pub(crate) fn number<T: Float>(v: &T) -> String {
    format!("{v:.4}")
}

/// A value as lines of text: a number, a vector on one line, a matrix a row per line
/// (`[[1.0000, 2.0000],` then ` [3.0000, 4.0000]]`), or, when it is larger, its shape and
/// the smallest, mean and largest element.
pub(crate) fn value_lines<T: Float>(value: &ArrayViewD<'_, T>) -> Vec<String> {
    let row = |r: ArrayViewD<'_, T>| format!("[{}]", r.iter().map(number).collect::<Vec<_>>().join(", "));
    match value.shape() {
        [] => vec![number(&value[[]])],
        shape if shows_values(shape) && shape.len() == 1 => vec![row(value.view())],
        shape if shows_values(shape) => {
            let rows: Vec<String> = value.axis_iter(Axis(0)).map(row).collect();
            let last = rows.len().saturating_sub(1);
            if rows.is_empty() {
                return vec!["[]".into()];
            }
            rows.into_iter()
                .enumerate()
                .map(|(i, r)| match (i == 0, i == last) {
                    (true, true) => format!("[{r}]"),
                    (true, false) => format!("[{r},"),
                    (false, true) => format!(" {r}]"),
                    (false, false) => format!(" {r},"),
                })
                .collect()
        }
        shape => {
            if value.is_empty() {
                return vec![format!("<shape {shape:?}, empty>")];
            }
            let (min, max, sum) =
                value.iter().fold((T::infinity(), T::neg_infinity(), 0.0), |(lo, hi, sum), &v| {
                    (lo.min(v), hi.max(v), sum + v.to_f64())
                });
            let mean = sum / value.len() as f64;
            vec![format!("<shape {shape:?}, min {min:.4}, mean {mean:.4}, max {max:.4}>")]
        }
    }
}

/// The most cells a heat map has along each side.
const HEAT_SIDE: usize = 16;

/// A large value as at most 16 × 16 cells: the value seen as a matrix (its first axis by
/// the rest; a vector as one row), each cell the mean of its block of elements (`None` if
/// the block has no finite element), and the largest |mean| for the scale.
pub(crate) struct Heat {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) cells: Vec<Option<f64>>,
    pub(crate) scale: f64,
}

/// The heat map of a value (`None` for an empty or 0-d one).
pub(crate) fn heat<T: Float>(value: &ArrayViewD<'_, T>) -> Option<Heat> {
    if value.is_empty() {
        return None;
    }
    let (rows, cols) = match value.shape() {
        [len] => (1, *len),
        [first, rest @ ..] => (*first, rest.iter().product()),
        [] => return None,
    };
    let (cell_rows, cell_cols) = (rows.min(HEAT_SIDE), cols.min(HEAT_SIDE));
    let mut sums = vec![(0.0f64, 0usize); cell_rows * cell_cols];
    for (k, v) in value.iter().enumerate() {
        let v = Float::to_f64(*v);
        if v.is_finite() {
            let (r, c) = (k / cols, k % cols);
            let cell = &mut sums[(r * cell_rows / rows) * cell_cols + c * cell_cols / cols];
            *cell = (cell.0 + v, cell.1 + 1);
        }
    }
    let cells: Vec<Option<f64>> = sums.iter().map(|&(sum, n)| (n > 0).then(|| sum / n as f64)).collect();
    let scale = cells.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    Some(Heat { rows: cell_rows, cols: cell_cols, cells, scale })
}

/// A large value's heat map as text, for the graph and the trace: a line saying what it
/// shows, then a row of characters per row of cells, each cell's |mean| as a shade from
/// `·` (zero) to `█` (the largest), and `?` where a block has no finite element. Nothing
/// for a value small enough to be written out.
pub(crate) fn heat_lines<T: Float>(value: &ArrayViewD<'_, T>) -> Vec<String> {
    if shows_values(value.shape()) {
        return Vec::new();
    }
    let Some(heat) = heat(value) else { return Vec::new() };
    const SHADES: [char; 5] = ['·', '░', '▒', '▓', '█'];
    let mut lines = vec![format!(
        "heat map of |x|, {} × {} cells (block means), █ = {:.4}:",
        heat.rows, heat.cols, heat.scale
    )];
    for row in heat.cells.chunks(heat.cols) {
        lines.push(
            row.iter()
                .map(|cell| match cell {
                    None => '?',
                    Some(v) if heat.scale > 0.0 => {
                        let level = (v.abs() / heat.scale * (SHADES.len() - 1) as f64).round() as usize;
                        SHADES[level.min(SHADES.len() - 1)]
                    }
                    Some(_) => SHADES[0],
                })
                .collect(),
        );
    }
    lines
}

/// A name as it reads after `∂L/∂`: in brackets when it holds spaces or operators
/// (`∂L/∂(x1*w1 + x2*w2)`, not `∂L/∂x1*w1 + x2*w2`), as it is otherwise.
pub(crate) fn symbol(name: &str) -> String {
    let operators = name.chars().any(|c| c.is_whitespace() || "+-*/^·×÷@".contains(c));
    let bracketed = name.starts_with('(') && name.ends_with(')');
    if operators && !bracketed {
        format!("({name})")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{array, ArrayD, IxDyn};

    use super::*;

    #[test]
    fn small_tensors_show_their_numbers_and_matrices_a_row_a_line() {
        assert_eq!(value_lines(&array![1.5].into_dyn().view()), ["[1.5000]"]);
        assert_eq!(value_lines(&ArrayD::from_elem(IxDyn(&[]), 2.0).view()), ["2.0000"]);
        let m = array![[1.0, 2.0], [3.0, 4.0]].into_dyn();
        assert_eq!(value_lines(&m.view()), ["[[1.0000, 2.0000],", " [3.0000, 4.0000]]"]);
        assert_eq!(value_lines(&array![[1.0, 2.0]].into_dyn().view()), ["[[1.0000, 2.0000]]"]);
        let eight = ArrayD::from_elem(IxDyn(&[8, 8]), 0.5);
        assert_eq!(value_lines(&eight.view()).len(), 8);
    }

    #[test]
    fn larger_tensors_are_summarised() {
        let big = ArrayD::from_shape_fn(IxDyn(&[9, 2]), |i| i[0] as f64);
        assert_eq!(value_lines(&big.view()), ["<shape [9, 2], min 0.0000, mean 4.0000, max 8.0000>"]);
        let empty = ArrayD::<f64>::zeros(IxDyn(&[0, 3]));
        assert_eq!(value_lines(&empty.view()), ["[]"]);
        let empty = ArrayD::<f64>::zeros(IxDyn(&[2, 0, 3]));
        assert_eq!(value_lines(&empty.view()), ["<shape [2, 0, 3], empty>"]);
    }

    #[test]
    fn large_tensors_get_a_text_heat_map() {
        // 20 × 4: rows fold into 16 cells, columns stay 4; |x| grows along the columns.
        let big = ArrayD::from_shape_fn(IxDyn(&[20, 4]), |i| i[1] as f64 - 3.0);
        let lines = heat_lines(&big.view());
        assert_eq!(lines[0], "heat map of |x|, 16 × 4 cells (block means), █ = 3.0000:");
        assert_eq!(lines.len(), 17);
        assert!(lines[1..].iter().all(|l| l == "█▓░·"), "{lines:?}");
        // Small values are written out instead.
        assert!(heat_lines(&ArrayD::from_elem(IxDyn(&[2, 2]), 1.0).view()).is_empty());
        // A block of NaNs is `?` (columns 0 and 1 fall in the first of 16 cells).
        let mut nan = ArrayD::from_elem(IxDyn(&[1, 20]), 1.0);
        nan[[0, 0]] = f64::NAN;
        nan[[0, 1]] = f64::NAN;
        assert!(heat_lines(&nan.view())[1].starts_with('?'), "{:?}", heat_lines(&nan.view()));
    }

    #[test]
    fn names_with_operators_are_bracketed() {
        assert_eq!(symbol("x1*w1 + x2*w2"), "(x1*w1 + x2*w2)");
        assert_eq!(symbol("layers.0.weight"), "layers.0.weight");
        assert_eq!(symbol("(a+b)"), "(a+b)");
        assert_eq!(symbol("o"), "o");
    }
}
