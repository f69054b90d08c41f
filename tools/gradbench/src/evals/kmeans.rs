//! `kmeans`: the k-means cost `f(C) = Σᵢ minⱼ |Cⱼ − Pᵢ|²` and Newton's direction
//! `∇f / diag(∇²f)` for the centroids. The squared distances of all points to all centroids
//! are one matrix product, `|Pᵢ|² + |Cⱼ|² − 2 Pᵢ·Cⱼ`, and the cost their row minima.
//!
//! Newton's direction differentiates the same function written through its nearest
//! centroids: `f(C) = Σᵢ |C_{a(i)} − Pᵢ|²` with `a(i) = argminⱼ |Cⱼ − Pᵢ|²` (PyTorch's
//! `cdist`, `argmin`, index). The assignment `a` is piecewise constant, so it has no
//! derivative; the tape differentiates the selection and the squares, a graph over the
//! `n × d` selected rows instead of the `n × k` distances. Wherever each point's nearest
//! centroid is unique, the two forms are the same function with the same derivatives; at
//! a tie the first nearest centroid takes the point, as in PyTorch's and `manual`'s. The
//! Hessian is diagonal (each coordinate of a centroid meets only itself), so its diagonal
//! is one Hessian-vector product with ones ([`Tape::grad_and_hessian_diagonal`]), taken
//! together with the gradient.

use ndarray::Array2;
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use crate::input::{checked_elements, error, field, matrix, Result};
use crate::protocol::Evaluation;

/// The squared distances `[n, k]` of every point to every centroid.
fn distances<'t>(points: Var<'t, f64>, centroids: Var<'t, f64>) -> Var<'t, f64> {
    let point_norms = points.square().sum_axes(&[1], true); // [n, 1]
    let centroid_norms = centroids.square().sum_axes(&[1], false); // [k]
    point_norms + centroid_norms - points.matmul(&centroids.t()) * 2.0
}

/// `Σᵢ minⱼ |Cⱼ − Pᵢ|²` on the centroids' tape.
fn cost<'t>(points: &'t Array2<f64>, centroids: Var<'t, f64>) -> Var<'t, f64> {
    distances(centroids.tape().constant(points), centroids).min_axes(&[1], false).sum()
}

/// `Σᵢ |C_{a(i)} − Pᵢ|²`, each point against its nearest centroid `a(i)`: the cost as a
/// function the tape differentiates through the selection (the assignment itself found on
/// values, without recording).
fn cost_by_assignment<'t>(points: &'t Array2<f64>, centroids: Var<'t, f64>) -> Result<Var<'t, f64>> {
    let tape = centroids.tape();
    let p = tape.constant(points);
    // The nearest centroid minimises |Cⱼ − Pᵢ|² = |Pᵢ|² + 2·(|Cⱼ|²/2 − Pᵢ·Cⱼ): the point's
    // own norm and the factor 2 do not change which, so two passes over the `[n, k]`
    // distances are left out.
    let nearest = tape
        .no_grad(|| (centroids.square().sum_axes(&[1], false) * 0.5 - p.matmul(&centroids.t())).argmin(1));
    let assigned = centroids.select(0, nearest.as_slice().expect("a fresh array"))?; // [n, d]
    Ok((assigned - p).square().sum())
}

/// The cost, on an inference tape.
///
/// ```
/// use ndarray::array;
/// let points = array![[0.0, 0.0], [1.0, 0.0], [4.0, 4.0]];
/// let centroids = array![[0.0, 0.0], [4.0, 5.0]];
/// // nearest squared distances: 0, 1, 1
/// assert_eq!(tapegrad_gradbench::evals::kmeans::objective(&points, &centroids), 2.0);
/// ```
pub fn objective(points: &Array2<f64>, centroids: &Array2<f64>) -> f64 {
    let tape = Tape::inference();
    cost(points, tape.constant(centroids)).item()
}

/// Newton's direction `∇f / diag(∇²f)` for the centroids.
///
/// ```
/// use ndarray::array;
/// let points = array![[0.0, 0.0], [1.0, 0.0], [4.0, 4.0]];
/// let centroids = array![[0.0, 0.0], [4.0, 5.0]];
/// // Centroid 0 owns two points: ∇ = 2·(2C₀ − P₀ − P₁) = (−2, 0), diag = 2·2 = 4: (−0.5, 0).
/// // Centroid 1 owns one: ∇ = 2·(C₁ − P₂) = (0, 2), diag = 2: (0, 1). The step −dir lands
/// // each centroid on its points' mean.
/// let dir = tapegrad_gradbench::evals::kmeans::direction(&points, &centroids).unwrap();
/// assert_eq!(dir, array![[-0.5, 0.0], [0.0, 1.0]]);
/// ```
///
/// # Errors
/// As [`Tape::grad_and_hessian_diagonal`].
pub fn direction(points: &Array2<f64>, centroids: &Array2<f64>) -> Result<Array2<f64>> {
    let tape = Tape::new();
    let c = tape.var(centroids);
    let (gradient, diagonal) = tape.grad_and_hessian_diagonal(cost_by_assignment(points, c)?, c)?;
    let direction = gradient / diagonal;
    Ok(direction.into_dimensionality().expect("the centroids' shape"))
}

/// Reads `points` `[n, d]` and `centroids` `[k, d]`, both non-empty.
///
/// # Errors
/// Naming the field that is missing, ragged, empty or of another width.
///
/// ```
/// let input = serde_json::json!({"points": [[0.0, 1.0]], "centroids": [[1.0]]});
/// assert!(tapegrad_gradbench::evals::kmeans::read(&input).is_err());
/// ```
pub fn read(input: &Value) -> Result<(Array2<f64>, Array2<f64>)> {
    let points = matrix(field(input, "points")?, "points", None)?;
    let d = points.ncols();
    let centroids = matrix(field(input, "centroids")?, "centroids", Some(d))?;
    if points.is_empty() || centroids.is_empty() {
        return Err(error(
            "`points` and `centroids` must each hold at least one point of at least one dimension",
        ));
    }
    checked_elements("n × k", &[points.nrows(), centroids.nrows()])?;
    Ok((points, centroids))
}

/// Evaluates `cost` or `dir`.
///
/// # Errors
/// As [`read`], or an unknown function.
///
/// ```
/// let input = serde_json::json!({"points": [[0.0], [2.0]], "centroids": [[0.5]]});
/// let out = tapegrad_gradbench::evals::kmeans::evaluate("dir", &input).unwrap();
/// // ∇ = 2·(2·0.5 − 2) = −2, diag = 4
/// assert_eq!(out.output, serde_json::json!([[-0.5]]));
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let (points, centroids) = read(input)?;
    match function {
        "cost" => Evaluation::timed(input, || Ok(objective(&points, &centroids)), |y| json!(y)),
        "dir" => Evaluation::timed(input, || direction(&points, &centroids), |dir| json!(super::rows(&dir))),
        _ => Err(super::unknown_function("kmeans", function, &["cost", "dir"])),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn the_cost_by_assignment_is_the_cost() {
        let points = Array2::from_shape_fn((30, 3), |(i, j)| ((i * 7 + j * 13) % 11) as f64 / 3.0 - 1.5);
        let centroids = array![[0.0, 0.5, -1.0], [1.0, 1.0, 1.0], [-1.0, 0.0, 0.5], [9.0, 9.0, 9.0]];
        let tape = Tape::new();
        let c = tape.var(&centroids);
        let (by_min, by_assignment) =
            (cost(&points, c).item(), cost_by_assignment(&points, c).unwrap().item());
        assert!((by_min - by_assignment).abs() <= 1e-12 * by_min, "{by_min} against {by_assignment}");
        // A point equidistant from two centroids goes to the first, as in `manual`; a
        // centroid without points gets 0/0 (no Newton step exists for it).
        let dir = direction(&array![[0.0, 0.0]], &array![[1.0, 0.0], [-1.0, 0.0], [5.0, 5.0]]).unwrap();
        assert_eq!(dir.row(0), array![1.0, 0.0]);
        assert!(dir.row(1).iter().chain(dir.row(2)).all(|v| v.is_nan()));
    }
}
