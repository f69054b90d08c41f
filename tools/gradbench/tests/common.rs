//! Finite differences and comparisons shared by the tests.

use ndarray::Array1;

/// Central differences of `f` at `x`, one coordinate at a time, step `h`.
pub fn numeric_gradient(f: impl Fn(&Array1<f64>) -> f64, x: &Array1<f64>, h: f64) -> Array1<f64> {
    Array1::from_shape_fn(x.len(), |i| {
        let (mut plus, mut minus) = (x.clone(), x.clone());
        plus[i] += h;
        minus[i] -= h;
        (f(&plus) - f(&minus)) / (2.0 * h)
    })
}

/// Central differences of a vector function: column `i` is `∂f/∂xᵢ`.
pub fn numeric_jacobian(
    f: impl Fn(&Array1<f64>) -> Array1<f64>,
    x: &Array1<f64>,
    h: f64,
) -> ndarray::Array2<f64> {
    let columns: Vec<Array1<f64>> = (0..x.len())
        .map(|i| {
            let (mut plus, mut minus) = (x.clone(), x.clone());
            plus[i] += h;
            minus[i] -= h;
            (f(&plus) - f(&minus)) / (2.0 * h)
        })
        .collect();
    let rows = columns.first().map_or(0, Array1::len);
    ndarray::Array2::from_shape_fn((rows, x.len()), |(r, c)| columns[c][r])
}

/// Panics naming the first element where `got` and `want` differ by more than
/// `tolerance · max(1, |want|)`.
pub fn assert_close<'a>(
    what: &str,
    got: impl IntoIterator<Item = &'a f64>,
    want: impl IntoIterator<Item = &'a f64>,
    tolerance: f64,
) {
    let (got, want): (Vec<f64>, Vec<f64>) =
        (got.into_iter().copied().collect(), want.into_iter().copied().collect());
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= tolerance * w.abs().max(1.0), "{what}[{i}]: got {g}, want {w}");
    }
}

/// A deterministic sequence of numbers in `[-1, 1)`, for inputs that are not special.
pub fn numbers(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}
