//! `ba`: bundle adjustment (ADBench's BA): for each observation of a 3-D point `X` by a
//! camera (Rodrigues rotation `r`, centre `C`, focal length `f`, principal point `x₀`,
//! radial distortion `κ`), the weighted reprojection error
//! `w · (f · distort(project(R(r)·(X − C))) + x₀ − feature)`, and the weight's error
//! `1 − w²`; the `jacobian` function gives their sparse Jacobian with respect to every
//! camera, point and weight.
//!
//! Vectorised over observations: each of the 15 parameters an observation reads (11 camera
//! parameters, 3 point coordinates, its weight) is one column of length `p`, and the error
//! is computed on whole columns. An observation's two residuals depend on its own row of
//! the columns only, so the 2 × 15 blocks of all observations come from two backward
//! passes ([`Tape::batch_jacobian`]), and the weight errors' diagonal from one more.
//! The blocks are then laid out as the eval's compressed sparse rows, as the `manual`
//! tool does in its timed loop.

use ndarray::{Array1, Array2};
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

use crate::input::{checked_elements, count, error, field, number, vector, Result};
use crate::protocol::Evaluation;

/// Camera parameters per camera.
///
/// ```
/// assert_eq!(tapegrad_gradbench::evals::ba::CAMERA_PARAMETERS, 3 + 3 + 1 + 2 + 2);
/// ```
pub const CAMERA_PARAMETERS: usize = 11;
/// The most observations (and cameras, and points) accepted: a differentiated observation
/// keeps about 1.7 KB on the tape (ba14's 1.25 million took 2.1 GB), so 8 million is
/// about 14 GB. ADBench's ba1–ba18 and ba20 fit; ba19 (9.1 million) is refused.
///
/// ```
/// let input = serde_json::json!({"n": 1, "m": 1, "p": 8_000_001, "cam": [], "x": [], "w": 1, "feat": []});
/// let err = tapegrad_gradbench::evals::ba::read(&input).unwrap_err();
/// assert!(err.to_string().contains("`p` = 8000001 is larger than this tool accepts"), "{err}");
/// ```
pub const MAX_OBSERVATIONS: usize = 8_000_000;

/// The problem, with the eval's duplication undone into full arrays (outside the timed
/// runs, as `manual`'s input parsing does).
///
/// ```
/// let input = serde_json::json!({"n": 2, "m": 1, "p": 3, "cam": vec![0.5; 11], "x": [1, 2, 3], "w": 1, "feat": [0, 0]});
/// let problem = tapegrad_gradbench::evals::ba::read(&input).unwrap();
/// assert_eq!((problem.cameras.dim(), problem.points.dim(), problem.weights.len()), ((2, 11), (1, 3), 3));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `[n, 11]`: rotation (3), centre (3), focal length, principal point (2), distortion (2).
    pub cameras: Array2<f64>,
    /// `[m, 3]`.
    pub points: Array2<f64>,
    /// `[p]`.
    pub weights: Array1<f64>,
    /// `[p, 2]`.
    pub features: Array2<f64>,
    /// Each observation's camera.
    pub camera_of: Vec<usize>,
    /// Each observation's point.
    pub point_of: Vec<usize>,
}

/// The 15 columns one observation reads, `[p]` each, on the tape (variables, so that their
/// blocks can be read off): camera parameters 0–10, point 11–13, weight 14. Gathered
/// straight into columns: a column's values are contiguous, as the vectorised ops want.
fn columns<'t>(tape: &'t Tape<'t, f64>, problem: &Problem, differentiate: bool) -> Vec<Var<'t, f64>> {
    let leaf = |column: Array1<f64>| if differentiate { tape.var(column) } else { tape.constant(column) };
    let gather =
        |table: &Array2<f64>, rows: &[usize], j: usize| rows.iter().map(|&r| table[[r, j]]).collect();
    let mut out: Vec<Var<'t, f64>> =
        (0..CAMERA_PARAMETERS).map(|j| leaf(gather(&problem.cameras, &problem.camera_of, j))).collect();
    out.extend((0..3).map(|j| leaf(gather(&problem.points, &problem.point_of, j))));
    out.push(leaf(problem.weights.clone()));
    out
}

/// The reprojection errors `[p, 2]` from the 15 columns.
fn reprojection<'t>(c: &[Var<'t, f64>], features: &'t Array2<f64>) -> Var<'t, f64> {
    let tape = c[0].tape();
    let (rotation, centre, focal, principal, distortion) = (&c[0..3], &c[3..6], c[6], &c[7..9], &c[9..11]);
    let (point, weight) = (&c[11..14], c[14]);
    let shifted: Vec<Var<'t, f64>> = (0..3).map(|i| point[i] - centre[i]).collect();
    let camera_frame = rotate(rotation, &shifted);
    // Perspective division, then radial distortion 1 + κ₁r² + κ₂r⁴.
    let projected = [camera_frame[0] / camera_frame[2], camera_frame[1] / camera_frame[2]];
    let radius2 = projected[0].square() + projected[1].square();
    let scale = radius2 * distortion[0] + radius2.square() * distortion[1] + 1.0;
    let error = |k: usize| {
        let feature = tape.constant(features.column(k));
        weight * (projected[k] * scale * focal + principal[k] - feature)
    };
    let (ex, ey) = (error(0), error(1));
    Var::concat(&[ex.reshape(&[ex.shape()[0], 1]), ey.reshape(&[ey.shape()[0], 1])], 1)
}

/// Rodrigues' rotation of `point` by the angle-axis vector `rotation` (columns):
/// `p cos θ + (ω × p) sin θ + ω (ω·p)(1 − cos θ)` with `θ = |r|`, `ω = r/θ`; where `θ = 0`,
/// the first-order form `p + r × p` (as ADBench; its value and derivatives are the limit).
fn rotate<'t>(rotation: &[Var<'t, f64>], point: &[Var<'t, f64>]) -> [Var<'t, f64>; 3] {
    let tape = rotation[0].tape();
    let squared = rotation[0].square() + rotation[1].square() + rotation[2].square();
    let zero = squared.with_value(|v| v.mapv(|s| f64::from(u8::from(s == 0.0))));
    let cross = |a: &[Var<'t, f64>], b: &[Var<'t, f64>]| {
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    };
    let general = |squared: Var<'t, f64>| {
        let theta = squared.sqrt();
        let (cos, sin) = (theta.cos(), theta.sin());
        let axis: Vec<Var<'t, f64>> = rotation.iter().map(|&r| r / theta).collect();
        let turned = cross(&axis, point);
        let along = (axis[0] * point[0] + axis[1] * point[1] + axis[2] * point[2]) * (1.0 - cos);
        [0, 1, 2].map(|i| point[i] * cos + turned[i] * sin + axis[i] * along)
    };
    if zero.iter().all(|&z| z == 0.0) {
        return general(squared);
    }
    let turned = cross(rotation, point);
    let small = [0, 1, 2].map(|i| point[i] + turned[i]);
    if zero.iter().all(|&z| z == 1.0) {
        return small;
    }
    // Mixed: each observation takes its own branch; the general form is computed with
    // θ² = 1 where θ = 0, so nothing there is 0/0 (it is multiplied by 0 anyway).
    let keep = tape.constant(zero.mapv(|z| 1.0 - z));
    let take = tape.constant(zero.clone());
    let safe = squared * keep + take;
    let general = general(safe);
    [0, 1, 2].map(|i| general[i] * keep + small[i] * take)
}

/// The reprojection errors `[p, 2]` and the weight errors `[p]`.
///
/// ```
/// use tapegrad_gradbench::evals::ba::{objective, Problem};
/// use ndarray::array;
/// // No rotation, camera at the origin, f = 1, no distortion: (1, 2, 4) projects to (¼, ½)
/// let problem = Problem {
///     cameras: array![[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]],
///     points: array![[1.0, 2.0, 4.0]], weights: array![2.0], features: array![[0.0, 0.0]],
///     camera_of: vec![0], point_of: vec![0],
/// };
/// let (reprojection, weights) = objective(&problem);
/// assert_eq!(reprojection, array![[0.5, 1.0]]);
/// assert_eq!(weights, array![-3.0]);
/// ```
pub fn objective(problem: &Problem) -> (Array2<f64>, Array1<f64>) {
    let tape = Tape::inference();
    let c = columns(&tape, problem, false);
    let reprojection = reprojection(&c, &problem.features).value().into_dimensionality().expect("[p, 2]");
    let weights = (1.0 - c[14].square()).value().into_dimensionality().expect("[p]");
    (reprojection, weights)
}

/// The Jacobian in compressed sparse rows, as the eval lays it out: rows `2i`, `2i + 1`
/// (observation `i`'s residuals) hold 15 entries each (its camera's 11 columns, its
/// point's 3, its weight's 1), then one row per weight error.
///
/// ```
/// let input = serde_json::json!({"n": 1, "m": 1, "p": 2, "cam": [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], "x": [1, 2, 4], "w": 1, "feat": [0, 0]});
/// let j = tapegrad_gradbench::evals::ba::jacobian(&tapegrad_gradbench::evals::ba::read(&input).unwrap()).unwrap();
/// // 2 observations: 4 residual rows of 15 entries, then 2 weight rows of 1
/// assert_eq!(j.rows, vec![0, 15, 30, 45, 60, 61, 62]);
/// assert_eq!((j.cols.len(), j.vals.len()), (62, 62));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SparseJacobian {
    /// Row starts (`rows + 1` entries).
    pub rows: Vec<usize>,
    /// Each entry's column.
    pub cols: Vec<usize>,
    /// Each entry's value.
    pub vals: Vec<f64>,
}

/// The Jacobian of the reprojection and weight errors with respect to every camera
/// parameter, point coordinate and weight.
///
/// # Errors
/// As [`Tape::batch_jacobian`] (not expected: the shapes are built here).
///
/// ```
/// use tapegrad_gradbench::evals::ba::{jacobian, Problem};
/// use ndarray::array;
/// let problem = Problem {
///     cameras: array![[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]],
///     points: array![[1.0, 2.0, 4.0]], weights: array![2.0], features: array![[0.0, 0.0]],
///     camera_of: vec![0], point_of: vec![0],
/// };
/// let j = jacobian(&problem).unwrap();
/// assert_eq!(j.rows, vec![0, 15, 30, 31]);
/// // ∂(w·f·X/Z)/∂f = w·X/Z = 2·¼; the weight error's derivative is −2w = −4
/// assert_eq!((j.cols[6], j.vals[6]), (6, 0.5));
/// assert_eq!((j.cols[30], j.vals[30]), (14, -4.0)); // column 11n + 3m + i
/// ```
pub fn jacobian(problem: &Problem) -> Result<SparseJacobian> {
    let tape = Tape::new();
    let c = columns(&tape, problem, true);
    let blocks = tape.batch_jacobian(reprojection(&c, &problem.features), &c)?; // 15 × [p, 2]
    let weight = c[14];
    let weight_error = 1.0 - weight.square();
    let weight_blocks = tape.batch_jacobian(weight_error, &[weight])?; // [p]
    fn slice(block: &ndarray::ArrayD<f64>) -> &[f64] {
        block.as_slice().expect("batch_jacobian returns standard layout")
    }
    let blocks: Vec<&[f64]> = blocks.iter().map(slice).collect(); // 15 × (p · 2)
    let weight_blocks = slice(&weight_blocks[0]);
    let (n, m, p) = (problem.cameras.nrows(), problem.points.nrows(), problem.weights.len());
    let per_row = CAMERA_PARAMETERS + 3 + 1;
    let mut rows = Vec::with_capacity(3 * p + 1);
    let mut cols = Vec::with_capacity(2 * per_row * p + p);
    let mut vals = Vec::with_capacity(2 * per_row * p + p);
    rows.push(0);
    for i in 0..p {
        // The observation's 15 columns: its camera's 11, its point's 3, its weight.
        let (camera, point) = (problem.camera_of[i], problem.point_of[i]);
        let mut columns = [0; CAMERA_PARAMETERS + 4];
        for (k, column) in columns.iter_mut().enumerate() {
            *column = match k {
                0..=10 => CAMERA_PARAMETERS * camera + k,
                11..=13 => CAMERA_PARAMETERS * n + 3 * point + (k - 11),
                _ => CAMERA_PARAMETERS * n + 3 * m + i,
            };
        }
        for residual in 0..2 {
            rows.push(rows.last().copied().unwrap_or(0) + per_row);
            cols.extend_from_slice(&columns);
            vals.extend(blocks.iter().map(|block| block[2 * i + residual]));
        }
    }
    for (i, &derivative) in weight_blocks.iter().enumerate() {
        rows.push(rows.last().copied().unwrap_or(0) + 1);
        cols.push(CAMERA_PARAMETERS * n + 3 * m + i);
        vals.push(derivative);
    }
    Ok(SparseJacobian { rows, cols, vals })
}

/// Reads `n`, `m`, `p` and one camera, point, weight and feature, and duplicates them as
/// the eval specifies: camera `i mod n` and point `i mod m` for observation `i`.
///
/// # Errors
/// A missing field, a camera without 11 parameters, a point without 3 coordinates, a
/// feature without 2, `n`, `m` or `p` of 0 or above [`MAX_OBSERVATIONS`].
///
/// ```
/// let input = serde_json::json!({"n": 2, "m": 3, "p": 4, "cam": vec![0.1; 11], "x": [1, 2, 3], "w": 1, "feat": [0, 0]});
/// let problem = tapegrad_gradbench::evals::ba::read(&input).unwrap();
/// assert_eq!(problem.camera_of, vec![0, 1, 0, 1]);
/// assert_eq!(problem.point_of, vec![0, 1, 2, 0]);
/// ```
pub fn read(input: &Value) -> Result<Problem> {
    let size = |name: &str| -> Result<usize> {
        let value = count(field(input, name)?, name, MAX_OBSERVATIONS)?;
        if value == 0 {
            return Err(error(format_args!("`{name}` must be at least 1")));
        }
        Ok(value)
    };
    let (n, m, p) = (size("n")?, size("m")?, size("p")?);
    let camera = vector(field(input, "cam")?, "cam")?;
    let point = vector(field(input, "x")?, "x")?;
    let feature = vector(field(input, "feat")?, "feat")?;
    let weight = number(field(input, "w")?, "w")?;
    for (name, length, expected) in
        [("cam", camera.len(), CAMERA_PARAMETERS), ("x", point.len(), 3), ("feat", feature.len(), 2)]
    {
        if length != expected {
            return Err(error(format_args!("`{name}` has {length} numbers, expected {expected}")));
        }
    }
    checked_elements("p × 2 × 15", &[p, 2 * (CAMERA_PARAMETERS + 4)])?;
    checked_elements("n × 11", &[n, CAMERA_PARAMETERS])?;
    checked_elements("m × 3", &[m, 3])?;
    Ok(Problem {
        cameras: Array2::from_shape_fn((n, CAMERA_PARAMETERS), |(_, j)| camera[j]),
        points: Array2::from_shape_fn((m, 3), |(_, j)| point[j]),
        weights: Array1::from_elem(p, weight),
        features: Array2::from_shape_fn((p, 2), |(_, j)| feature[j]),
        camera_of: (0..p).map(|i| i % n).collect(),
        point_of: (0..p).map(|i| i % m).collect(),
    })
}

/// The first 30 entries and the last, which is what the eval compares.
fn ends<T: Copy>(list: &[T]) -> Vec<T> {
    let mut out: Vec<T> = list.iter().take(30).copied().collect();
    out.extend(list.last().copied());
    out
}

/// Evaluates `objective` or `jacobian`.
///
/// # Errors
/// As [`read`], or an unknown function.
///
/// ```
/// let input = serde_json::json!({"n": 1, "m": 1, "p": 3, "cam": [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], "x": [1, 2, 4], "w": 2, "feat": [0, 0]});
/// let out = tapegrad_gradbench::evals::ba::evaluate("objective", &input).unwrap();
/// assert_eq!(out.output["reproj_error"]["elements"], serde_json::json!([0.5, 1.0]));
/// assert_eq!(out.output["w_err"]["repeated"], serde_json::json!(3));
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let problem = read(input)?;
    let p = problem.weights.len();
    match function {
        "objective" => Evaluation::timed(
            input,
            || Ok(objective(&problem)),
            |(reprojection, weights)| {
                json!({
                    "reproj_error": {"elements": reprojection.row(0).to_vec(), "repeated": p},
                    "w_err": {"element": weights[0], "repeated": p},
                })
            },
        ),
        "jacobian" => Evaluation::timed(
            input,
            || jacobian(&problem),
            |j| json!({"rows": ends(&j.rows), "cols": ends(&j.cols), "vals": ends(&j.vals)}),
        ),
        _ => Err(super::unknown_function("ba", function, &["objective", "jacobian"])),
    }
}
