//! Square matrices from vectors: a triangle filled from its packed entries, and a
//! diagonal matrix. A Cholesky factor, or a precision matrix's triangular factor
//! (GMM's `Q = diag(exp q) + L(l)`), is learned as its free entries and built with these.
//! Both are [`index_add`](Var::index_add) and a reshape, so they differentiate (to any
//! order) as those do: `∂L/∂x` is `∂L/∂y` read back where each entry was placed.

use crate::{Float, TapeError, Var};

/// Which triangle of a square matrix [`Var::fill_triangle`] fills.
///
/// ```
/// use tapegrad_tape::Triangle;
/// assert_eq!(Triangle::StrictlyLower.packed_len(4), 6);
/// assert_eq!(Triangle::Upper.packed_len(4), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Triangle {
    /// On and below the diagonal: `n(n+1)/2` entries.
    Lower,
    /// Below the diagonal: `n(n−1)/2` entries.
    StrictlyLower,
    /// On and above the diagonal: `n(n+1)/2` entries.
    Upper,
    /// Above the diagonal: `n(n−1)/2` entries.
    StrictlyUpper,
}

impl Triangle {
    /// How many entries this triangle of an `n × n` matrix has.
    ///
    /// ```
    /// assert_eq!(tapegrad_tape::Triangle::Lower.packed_len(3), 6);
    /// ```
    pub fn packed_len(self, n: usize) -> usize {
        match self {
            Triangle::Lower | Triangle::Upper => n * (n + 1) / 2,
            Triangle::StrictlyLower | Triangle::StrictlyUpper => n * n.saturating_sub(1) / 2,
        }
    }

    /// Whether entry `(row, column)` belongs to this triangle.
    fn holds(self, row: usize, column: usize) -> bool {
        match self {
            Triangle::Lower => row >= column,
            Triangle::StrictlyLower => row > column,
            Triangle::Upper => row <= column,
            Triangle::StrictlyUpper => row < column,
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `[…, p] → […, n, n]`: the `p` entries of the last axis placed in `triangle`, column
    /// by column (LAPACK's packed order: column 0 from the top, then column 1, …), zeros
    /// elsewhere. `p` must be [`triangle.packed_len(n)`](Triangle::packed_len).
    /// `∂L/∂x` is `∂L/∂y` read back at the same places.
    ///
    /// # Errors
    /// [`TapeError::ShapeMismatch`] if `x` is 0-d, its last axis does not hold the
    /// triangle's `p` entries, or `n × n` overflows.
    ///
    /// ```
    /// use ndarray::array;
    /// use tapegrad_tape::{Tape, Triangle};
    /// let tape = Tape::new();
    /// let l = tape.var(array![1.0, 2.0, 3.0]);        // the three entries below a 3×3 diagonal
    /// let lower = l.fill_triangle(3, Triangle::StrictlyLower)?;
    /// assert_eq!(lower.value(), array![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 3.0, 0.0]].into_dyn());
    /// let grads = tape.backward((lower * tape.constant(array![[0.0, 0.0, 0.0], [5.0, 0.0, 0.0], [6.0, 7.0, 0.0]])).sum());
    /// assert_eq!(grads.get(l).unwrap(), &array![5.0, 6.0, 7.0].into_dyn());
    /// # Ok::<(), tapegrad_tape::TapeError>(())
    /// ```
    #[track_caller]
    pub fn fill_triangle(&self, n: usize, triangle: Triangle) -> Result<Var<'t, T>, TapeError> {
        let mut shape = self.shape();
        let wanted = triangle.packed_len(n);
        let mismatch = |shape: &[usize], detail: String| {
            let mut expected = shape.to_vec();
            if let Some(last) = expected.last_mut() {
                *last = wanted;
            }
            TapeError::ShapeMismatch { op: "fill_triangle", expected, actual: shape.to_vec(), detail }
        };
        let Some(&packed) = shape.last() else {
            return Err(mismatch(&shape, format!("needs an axis of {wanted} entries, got a 0-d value")));
        };
        if packed != wanted {
            return Err(mismatch(&shape, format!("{triangle:?} of a {n}×{n} matrix has {wanted} entries")));
        }
        let Some(square) = n.checked_mul(n) else {
            return Err(mismatch(&shape, format!("a {n}×{n} matrix does not fit in memory")));
        };
        let positions: Vec<usize> = (0..n)
            .flat_map(|column| (0..n).map(move |row| (row, column)))
            .filter(|&(row, column)| triangle.holds(row, column))
            .map(|(row, column)| row * n + column)
            .collect();
        let axis = shape.len() - 1;
        let flat = self.index_add(axis, &positions, square)?;
        shape.pop();
        shape.extend([n, n]);
        Ok(flat.reshape(&shape))
    }

    /// `[…, n] → […, n, n]`: a diagonal matrix (or a batch of them) with the last axis on
    /// its diagonal (`torch.diag_embed`). `∂L/∂x` is the diagonal of `∂L/∂y`.
    ///
    /// # Panics
    /// If `x` is 0-d, or `n × n` overflows.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let d = tape.var(array![2.0, 3.0]);
    /// let m = d.diag_embed();
    /// assert_eq!(m.value(), array![[2.0, 0.0], [0.0, 3.0]].into_dyn());
    /// let grads = tape.backward(m.matmul(&m).sum());    // Σ d²
    /// assert_eq!(grads.get(d).unwrap(), &array![4.0, 6.0].into_dyn());
    /// ```
    #[track_caller]
    pub fn diag_embed(&self) -> Var<'t, T> {
        let mut shape = self.shape();
        let n = *shape.last().unwrap_or_else(|| panic!("diag_embed: needs an axis, got a 0-d value"));
        let square = n.checked_mul(n).unwrap_or_else(|| panic!("diag_embed: a {n}×{n} matrix overflows"));
        let positions: Vec<usize> = (0..n).map(|i| i * n + i).collect();
        let axis = shape.len() - 1;
        let flat = self.index_add(axis, &positions, square).unwrap_or_else(|err| panic!("diag_embed: {err}"));
        shape.pop();
        shape.extend([n, n]);
        flat.reshape(&shape)
    }
}
