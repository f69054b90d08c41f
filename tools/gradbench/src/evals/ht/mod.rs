//! `ht`: hand tracking (ADBench's HT): the residuals between observed points and a skinned
//! hand model posed by 26 parameters `θ`, and their Jacobian with respect to `θ` (and, in
//! the "complicated" variant, each point's barycentric coordinates `u` on its triangle).
//!
//! The pose, vectorised over bones: each bone's Euler angles (from `θ`) give a rotation
//! `R = R_z·R_y·R_x`, built for all bones at once as `[bones, 3, 3]`; its rest transform
//! times it is its transform relative to its parent, and the absolute transforms are the
//! products down the skeleton, one batched product per level of the tree. The skin is
//! `Σ_bones weight · (T·rest position)` — one product, the transforms as `[3, bones·4]`
//! times the weighted rest positions `[bones·4, vertices]`, for only the vertices the
//! residuals read — then the global rotation (angle-axis, from `θ`) and translation. A residual is the observed point minus its vertex, or minus its point
//! `u₀·P₀ + u₁·P₁ + (1 − u₀ − u₁)·P₂` on its triangle.
//!
//! The Jacobian has few columns (26 pose parameters, and 2 for all the `u`s: each point's
//! `u` moves only its own residuals, so one product seeds every point's `u₀` at once) and
//! many rows, so it is taken column by column by forward mode: one tangent sweep per
//! column ([`Tape::jacobian_times`]).

pub mod model;

use ndarray::{array, Array1, Array2, Array3};
use serde_json::{json, Value};
use tapegrad::tape::{Tape, Var};

pub use model::{read, Hand, POSE_PARAMETERS};

use crate::input::Result;
use crate::protocol::Evaluation;

/// The `3 × (bones + 3)` pose matrix's entries that `θ` fills, as flat positions in `θ`'s
/// order: column 0 the global rotation, column 2 the translation, and for each finger
/// (columns 5–7, 9–11, …) two angles of its first joint and one of the next two.
fn pose_positions(bones: usize, parameters: usize) -> Vec<usize> {
    let columns = bones + 3;
    let at = |row: usize, column: usize| row * columns + column;
    let mut positions: Vec<usize> =
        (0..3).map(|row| at(row, 0)).chain((0..3).map(|row| at(row, 2))).collect();
    let mut column = 5;
    for _finger in 0..5 {
        for joint in 0..3 {
            positions.push(at(0, column));
            if joint == 0 {
                positions.push(at(1, column));
            }
            column += 1;
        }
        column += 1;
    }
    // Parameters past the 26 are read by nothing: they go to a spare slot past the matrix.
    positions.extend((POSE_PARAMETERS..parameters).map(|_| 3 * columns));
    positions
}

/// `[n, 3, 3]` from nine `[n]` entries in row-major order.
fn matrices<'t>(entries: [Var<'t, f64>; 9]) -> Var<'t, f64> {
    let n = entries[0].shape()[0];
    let columns = entries.map(|e| e.reshape(&[n, 1]));
    Var::concat(&columns, 1).reshape(&[n, 3, 3])
}

/// Each bone's rotation from its Euler angles `(x, z, y)` (the pose's rows 0–2):
/// `R_z(z)·R_y(y)·R_x(x)`, `[bones, 3, 3]`.
fn euler_rotations<'t>(x: Var<'t, f64>, z: Var<'t, f64>, y: Var<'t, f64>) -> Var<'t, f64> {
    let tape = x.tape();
    let n = x.shape()[0];
    let (zero, one) = (tape.constant(Array1::<f64>::zeros(n)), tape.constant(Array1::<f64>::ones(n)));
    let rotation_x = matrices([one, zero, zero, zero, x.cos(), -x.sin(), zero, x.sin(), x.cos()]);
    let rotation_y = matrices([y.cos(), zero, y.sin(), zero, one, zero, -y.sin(), zero, y.cos()]);
    let rotation_z = matrices([z.cos(), -z.sin(), zero, z.sin(), z.cos(), zero, zero, zero, one]);
    rotation_z.matmul(&rotation_y).matmul(&rotation_x)
}

/// The rotation of an angle-axis vector (a `[3]` value), or the identity when its angle is
/// below 10⁻⁴ (as ADBench's model does).
fn angle_axis_rotation<'t>(angle_axis: Var<'t, f64>) -> Var<'t, f64> {
    let tape = angle_axis.tape();
    let angle = angle_axis.square().sum().sqrt();
    if angle.item() < 1e-4 {
        return tape.constant(Array2::<f64>::eye(3));
    }
    let axis = angle_axis / angle;
    let [x, y, z] = [0, 1, 2].map(|i| axis.slice_axis(0, i..i + 1));
    let (s, c) = (angle.sin(), angle.cos());
    let one_minus_c = 1.0 - c;
    let entries = [
        x * x + (1.0 - x * x) * c,
        x * y * one_minus_c - z * s,
        x * z * one_minus_c + y * s,
        x * y * one_minus_c + z * s,
        y * y + (1.0 - y * y) * c,
        y * z * one_minus_c - x * s,
        x * z * one_minus_c - y * s,
        z * y * one_minus_c + x * s,
        z * z + (1.0 - z * z) * c,
    ];
    Var::concat(&entries, 0).reshape(&[3, 3])
}

/// The posed skin's positions of `vertices` (indices into the model's), `[3, vertices]`,
/// from the pose parameters `theta`.
fn skin<'t>(hand: &'t Hand, theta: Var<'t, f64>, vertices: &[usize]) -> Var<'t, f64> {
    let tape = theta.tape();
    let bones = hand.bones();
    let columns = bones + 3;
    let flat =
        theta.index_add(0, &pose_positions(bones, hand.theta.len()), 3 * columns + 1).expect("positions fit");
    let mut scale = Array1::<f64>::zeros(3 * columns);
    for row in 0..3 {
        scale[row * columns + 1] = 1.0;
    }
    let pose = flat.slice_axis(0, 0..3 * columns).reshape(&[3, columns])
        + tape.constant(scale.into_shape_with_order((3, columns)).expect("3 × columns"));
    // Each bone's transform relative to its parent: rest · [[R, 0], [0, 1]].
    let angles = pose.slice_axis(1, 3..columns);
    let [ax, az, ay] = [0, 1, 2].map(|row| angles.slice_axis(0, row..row + 1).reshape(&[bones]));
    let rotations = euler_rotations(ax, az, ay); // [bones, 3, 3]
    let padded = Var::concat(&[rotations, tape.constant(Array3::<f64>::zeros((bones, 3, 1)))], 2);
    let mut bottom = Array3::<f64>::zeros((bones, 1, 4));
    bottom.slice_mut(ndarray::s![.., 0, 3]).fill(1.0);
    let posed = Var::concat(&[padded, tape.constant(bottom)], 1); // [bones, 4, 4]
    let relatives = tape.constant(&hand.base_relatives).matmul(&posed);
    let absolutes = absolutes(hand, relatives);
    let transforms = absolutes.matmul(&tape.constant(&hand.inverse_base_absolutes)).slice_axis(1, 0..3); // [bones, 3, 4]
                                                                                                         // Σ_b w_bv · T_b · p_v over the bones is one product: T as [3, bones·4] times the rest
                                                                                                         // positions weighted per bone, [bones·4, vertices] (constants, built here from the
                                                                                                         // model for the vertices asked for).
    let mut weighted = Array2::<f64>::zeros((4 * bones, vertices.len()));
    for (row, mut out) in weighted.rows_mut().into_iter().enumerate() {
        let (weights, positions) = (hand.weights.row(row / 4), hand.base_positions.row(row % 4));
        out.iter_mut().zip(vertices).for_each(|(o, &v)| *o = weights[v] * positions[v]);
    }
    let flat_transforms = transforms.permute(&[1, 0, 2]).reshape(&[3, 4 * bones]);
    let mut positions = flat_transforms.matmul(&tape.constant(weighted)); // [3, vertices]
    if hand.is_mirrored {
        positions = positions * tape.constant(array![[-1.0], [1.0], [1.0]]);
    }
    // The global rotation, its columns scaled by the pose's column 1, and translation.
    let column = |c: usize| pose.slice_axis(1, c..c + 1); // [3, 1]
    let rotation = angle_axis_rotation(column(0).reshape(&[3])) * column(1).reshape(&[1, 3]);
    rotation.matmul(&positions) + column(2)
}

/// The absolute transforms `[bones, 4, 4]`: a root's is its relative transform, a child's
/// its parent's absolute times its relative; one batched product per depth of the tree.
fn absolutes<'t>(hand: &Hand, relatives: Var<'t, f64>) -> Var<'t, f64> {
    // Bones by depth, and where each sits within its depth's list.
    let mut depth = vec![0usize; hand.bones()];
    let mut levels: Vec<Vec<usize>> = Vec::new();
    let mut slot = vec![0usize; hand.bones()];
    for (bone, parent) in hand.parents.iter().enumerate() {
        depth[bone] = parent.map_or(0, |p| depth[p] + 1);
        if levels.len() <= depth[bone] {
            levels.push(Vec::new());
        }
        slot[bone] = levels[depth[bone]].len();
        levels[depth[bone]].push(bone);
    }
    let select = |value: Var<'t, f64>, indices: &[usize]| value.select(0, indices).expect("indices in range");
    let mut per_level: Vec<Var<'t, f64>> = Vec::with_capacity(levels.len());
    for (d, level) in levels.iter().enumerate() {
        let own = select(relatives, level);
        per_level.push(match d {
            0 => own,
            _ => {
                let parents: Vec<usize> =
                    level.iter().map(|&b| slot[hand.parents[b].expect("depth ≥ 1")]).collect();
                select(per_level[d - 1], &parents).matmul(&own)
            }
        });
    }
    // Back to bone order.
    let mut order = vec![0usize; hand.bones()];
    let mut at = 0;
    for level in &levels {
        for &bone in level {
            order[bone] = at;
            at += 1;
        }
    }
    select(Var::concat(&per_level, 0), &order)
}

/// The residuals `[points · 3]` (point by point, x y z), from the flat input `z`: the
/// complicated variant's `us` (`2 · points`) then `θ`, or `θ` alone.
fn residuals<'t>(hand: &'t Hand, z: Var<'t, f64>) -> Var<'t, f64> {
    let tape = z.tape();
    let n = hand.points.nrows();
    let offset = if hand.is_complicated() { 2 * n } else { 0 };
    let theta = z.slice_axis(0, offset..offset + hand.theta.len());
    // The residuals read only the corresponding vertices (or their triangles' corners):
    // only those are skinned, each once.
    let reads: Vec<Vec<usize>> = if hand.is_complicated() {
        (0..3).map(|k| hand.correspondences.iter().map(|&t| hand.triangles[t][k]).collect()).collect()
    } else {
        vec![hand.correspondences.clone()]
    };
    let mut vertices: Vec<usize> = reads.concat();
    vertices.sort_unstable();
    vertices.dedup();
    let positions = skin(hand, theta, &vertices); // [3, vertices]
    let pick = |read: &[usize]| {
        let slots: Vec<usize> =
            read.iter().map(|v| vertices.binary_search(v).expect("every read vertex is skinned")).collect();
        positions.select(1, &slots).expect("slots in range") // [3, n]
    };
    let model_points = if hand.is_complicated() {
        let us = z.slice_axis(0, 0..2 * n).reshape(&[n, 2]).t(); // [2, n]
        let (u0, u1) = (us.slice_axis(0, 0..1), us.slice_axis(0, 1..2));
        pick(&reads[0]) * u0 + pick(&reads[1]) * u1 + pick(&reads[2]) * (1.0 - u0 - u1)
    } else {
        pick(&reads[0])
    };
    (tape.constant(&hand.points) - model_points.t()).reshape(&[3 * n])
}

/// The flat input: `us` (row by row) then `θ`, or `θ` alone.
fn flat_input(hand: &Hand) -> Array1<f64> {
    hand.us.iter().chain(&hand.theta).copied().collect()
}

/// The residuals, on an inference tape.
///
/// ```
/// # use ndarray::{array, Array2, Array3};
/// # use tapegrad_gradbench::evals::ht::Hand;
/// # let bones = 21;
/// # let identity = Array3::from_shape_fn((bones, 4, 4), |(_, i, j)| f64::from(u8::from(i == j)));
/// # let hand = Hand {
/// #     parents: (0..bones).map(|b| b.checked_sub(1)).collect(),
/// #     base_relatives: identity.clone(),
/// #     inverse_base_absolutes: identity,
/// #     base_positions: array![[1.0], [2.0], [3.0], [1.0]],
/// #     weights: Array2::from_elem((bones, 1), 1.0 / bones as f64),
/// #     triangles: vec![],
/// #     is_mirrored: false,
/// #     correspondences: vec![0],
/// #     points: array![[1.0, 2.0, 3.0]],
/// #     theta: vec![0.0; 26],
/// #     us: Array2::zeros((0, 0)),
/// # };
/// // A hand at rest (every transform the identity, θ = 0) leaves its one vertex where it
/// // was, on the observed point: no residual.
/// let residuals = tapegrad_gradbench::evals::ht::objective(&hand);
/// assert!(residuals.iter().all(|r| r.abs() < 1e-12), "{residuals}");
/// ```
pub fn objective(hand: &Hand) -> Array1<f64> {
    let tape = Tape::inference();
    let z = flat_input(hand);
    residuals(hand, tape.constant(&z)).value().into_dimensionality().expect("1-D")
}

/// The Jacobian `[points · 3, columns]`: for the complicated variant the columns are
/// `∂/∂u₀`, `∂/∂u₁` (each point's own) then `∂/∂θ`; for the simple one `∂/∂θ` alone.
///
/// # Errors
/// As [`Tape::jacobian_times`].
///
/// ```
/// # use ndarray::{array, Array2, Array3};
/// # use tapegrad_gradbench::evals::ht::Hand;
/// # let bones = 21;
/// # let identity = Array3::from_shape_fn((bones, 4, 4), |(_, i, j)| f64::from(u8::from(i == j)));
/// # let hand = Hand {
/// #     parents: (0..bones).map(|b| b.checked_sub(1)).collect(),
/// #     base_relatives: identity.clone(),
/// #     inverse_base_absolutes: identity,
/// #     base_positions: array![[1.0], [2.0], [3.0], [1.0]],
/// #     weights: Array2::from_elem((bones, 1), 1.0 / bones as f64),
/// #     triangles: vec![],
/// #     is_mirrored: false,
/// #     correspondences: vec![0],
/// #     points: array![[1.0, 2.0, 3.0]],
/// #     theta: vec![0.0; 26],
/// #     us: Array2::zeros((0, 0)),
/// # };
/// // θ₃..θ₅ translate the whole hand: each residual moves against its own coordinate.
/// let j = tapegrad_gradbench::evals::ht::jacobian(&hand).unwrap();
/// assert_eq!(j.dim(), (3, 26));
/// assert_eq!((j[[0, 3]], j[[1, 4]], j[[2, 5]], j[[0, 4]]), (-1.0, -1.0, -1.0, 0.0));
/// ```
pub fn jacobian(hand: &Hand) -> Result<Array2<f64>> {
    let tape = Tape::new();
    let z_values = flat_input(hand);
    let z = tape.var(&z_values);
    let residuals = residuals(hand, z);
    let parameters = hand.theta.len();
    let (offset, extra) = if hand.is_complicated() { (2 * hand.points.nrows(), 2) } else { (0, 0) };
    // One column per pose parameter; all u₀s share a column, and all u₁s.
    let mut directions = Array2::<f64>::zeros((z_values.len(), extra + parameters));
    for i in 0..offset {
        directions[[i, i % 2]] = 1.0;
    }
    for j in 0..parameters {
        directions[[offset + j, extra + j]] = 1.0;
    }
    Ok(tape.jacobian_times(residuals, z, directions.view())?)
}

/// Evaluates `objective` or `jacobian`.
///
/// # Errors
/// As [`read`], or an unknown function.
///
/// ```
/// let err = tapegrad_gradbench::evals::ht::evaluate("objective", &serde_json::json!({})).unwrap_err();
/// assert_eq!(err.to_string(), "missing field `data`");
/// ```
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation> {
    let hand = read(input)?;
    match function {
        "objective" => Evaluation::timed(input, || Ok(objective(&hand)), |r| json!(r.to_vec())),
        "jacobian" => Evaluation::timed(input, || jacobian(&hand), |j| json!(super::rows(&j))),
        _ => Err(super::unknown_function("ht", function, &["objective", "jacobian"])),
    }
}
