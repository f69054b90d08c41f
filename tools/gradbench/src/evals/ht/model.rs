//! Reading `ht`'s input: the hand model (bones, their rest transforms, the skin's vertices
//! with their bone weights, triangles), the observed points with the vertex or triangle
//! each corresponds to, the pose `θ`, and the points' barycentric coordinates `us` (empty
//! in the "simple" variant). Every index is checked against what it indexes.

use ndarray::{Array2, Array3};
use serde_json::Value;

use crate::input::{array, checked_elements, error, field, indices, matrix, vector, Result};

/// How many pose parameters the model reads: global rotation (3), translation (3), and
/// four per finger for five fingers.
///
/// ```
/// assert_eq!(tapegrad_gradbench::evals::ht::POSE_PARAMETERS, 3 + 3 + 4 * 5);
/// ```
pub const POSE_PARAMETERS: usize = 26;
/// The fewest bones that hold the fingers' pose columns (the last finger writes column 23
/// of the `3 × (bones + 3)` pose matrix).
///
/// ```
/// assert_eq!(tapegrad_gradbench::evals::ht::model::MIN_BONES + 3, 24);
/// ```
pub const MIN_BONES: usize = 21;

/// A hand tracking problem.
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
/// assert_eq!((hand.bones(), hand.is_complicated()), (21, false));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Hand {
    /// Each bone's parent, earlier in the list, or `None` for a root.
    pub parents: Vec<Option<usize>>,
    /// `[bones, 4, 4]`: each bone's transform relative to its parent, at rest.
    pub base_relatives: Array3<f64>,
    /// `[bones, 4, 4]`: the inverses of the bones' absolute rest transforms.
    pub inverse_base_absolutes: Array3<f64>,
    /// `[4, vertices]`: the skin's rest positions, homogeneous, one column per vertex.
    pub base_positions: Array2<f64>,
    /// `[bones, vertices]`: how much each bone moves each vertex.
    pub weights: Array2<f64>,
    /// Each triangle's three vertices.
    pub triangles: Vec<[usize; 3]>,
    /// Whether the model is a left hand (the x axis mirrored).
    pub is_mirrored: bool,
    /// For each observed point: its vertex (simple) or triangle (complicated).
    pub correspondences: Vec<usize>,
    /// `[points, 3]`: the observed points.
    pub points: Array2<f64>,
    /// The pose parameters (at least [`POSE_PARAMETERS`]; more are read and unused).
    pub theta: Vec<f64>,
    /// `[points, 2]` barycentric coordinates on each point's triangle, or `[0, 0]` for the
    /// simple variant.
    pub us: Array2<f64>,
}

impl Hand {
    /// Whether points lie on triangles (given by `us`) rather than at vertices.
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
    /// assert!(!hand.is_complicated());
    /// ```
    pub fn is_complicated(&self) -> bool {
        !self.us.is_empty()
    }

    /// The number of bones.
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
    /// assert_eq!(hand.bones(), 21);
    /// ```
    pub fn bones(&self) -> usize {
        self.parents.len()
    }
}

/// `[n, 4, 4]` from a list of `n` 4 × 4 matrices (row-major).
fn transforms(value: &Value, what: &str, n: usize) -> Result<Array3<f64>> {
    let items = array(value, what)?;
    if items.len() != n {
        return Err(error(format_args!(
            "`{what}` has {} matrices, expected {n} (one per bone)",
            items.len()
        )));
    }
    let mut out = Array3::zeros((n, 4, 4));
    for (i, item) in items.iter().enumerate() {
        let m = matrix(item, &format!("{what}[{i}]"), Some(4))?;
        if m.nrows() != 4 {
            return Err(error(format_args!("`{what}[{i}]` has {} rows, expected 4", m.nrows())));
        }
        out.index_axis_mut(ndarray::Axis(0), i).assign(&m);
    }
    Ok(out)
}

/// Reads and checks an `ht` input.
///
/// # Errors
/// Naming the first field that is missing, of the wrong shape, or holds an index out of
/// range (a parent that is not earlier, a vertex or triangle that does not exist).
///
/// ```
/// let input = serde_json::json!({"data": {"model": {"bone_names": ["wrist"]}}});
/// let err = tapegrad_gradbench::evals::ht::read(&input).unwrap_err();
/// assert!(err.to_string().contains("the model has 1 bones"), "{err}");
/// ```
pub fn read(input: &Value) -> Result<Hand> {
    let data = field(input, "data")?;
    let model = field(data, "model")?;
    let names = array(field(model, "bone_names")?, "bone_names")?;
    let bones = names.len();
    if bones < MIN_BONES {
        return Err(error(format_args!(
            "the model has {bones} bones; the pose parameters need at least {MIN_BONES}"
        )));
    }
    if let Some(count) = model.get("bone_count").and_then(Value::as_u64) {
        if count != bones as u64 {
            return Err(error(format_args!("`bone_count` is {count} but there are {bones} bone names")));
        }
    }
    let parents = array(field(model, "parents")?, "parents")?;
    if parents.len() != bones {
        return Err(error(format_args!("`parents` has {} entries, expected {bones}", parents.len())));
    }
    let parents = parents
        .iter()
        .enumerate()
        .map(|(i, parent)| match parent.as_i64() {
            Some(-1) => Ok(None),
            Some(p) if p >= 0 && (p as u64) < i as u64 => Ok(Some(p as usize)),
            _ => Err(error(format_args!("`parents[{i}]` = {parent}: expected −1 or an earlier bone"))),
        })
        .collect::<Result<Vec<_>>>()?;
    let base_relatives = transforms(field(model, "base_relatives")?, "base_relatives", bones)?;
    let inverse_base_absolutes =
        transforms(field(model, "inverse_base_absolutes")?, "inverse_base_absolutes", bones)?;
    let base_positions = matrix(field(model, "base_positions")?, "base_positions", Some(4))?.reversed_axes();
    let vertices = base_positions.ncols();
    let weights = matrix(field(model, "weights")?, "weights", Some(bones))?.reversed_axes();
    if weights.ncols() != vertices {
        return Err(error(format_args!(
            "`weights` has {} rows, expected one per vertex ({vertices})",
            weights.ncols()
        )));
    }
    checked_elements("bones × 3 × vertices", &[bones, 3, vertices])?;
    let triangles = array(field(model, "triangles")?, "triangles")?
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let corners = indices(t, &format!("triangles[{i}]"), vertices)?;
            <[usize; 3]>::try_from(corners)
                .map_err(|_| error(format_args!("`triangles[{i}]` needs 3 vertices")))
        })
        .collect::<Result<Vec<_>>>()?;
    let is_mirrored =
        field(model, "is_mirrored")?.as_bool().ok_or_else(|| error("`is_mirrored`: expected a boolean"))?;
    let theta = vector(field(input, "theta")?, "theta")?.to_vec();
    if theta.len() < POSE_PARAMETERS {
        return Err(error(format_args!(
            "`theta` has {} parameters, expected {POSE_PARAMETERS}",
            theta.len()
        )));
    }
    let us = matrix(field(input, "us")?, "us", None)?;
    let complicated = !us.is_empty();
    let bound = if complicated { triangles.len() } else { vertices };
    let correspondences = indices(field(data, "correspondences")?, "correspondences", bound)?;
    let points = matrix(field(data, "points")?, "points", Some(3))?;
    if points.nrows() != correspondences.len() {
        return Err(error(format_args!(
            "{} points but {} correspondences",
            points.nrows(),
            correspondences.len()
        )));
    }
    if complicated && us.dim() != (points.nrows(), 2) {
        return Err(error(format_args!(
            "`us` is {:?}, expected [{}, 2] (two per point) or empty",
            us.dim(),
            points.nrows()
        )));
    }
    checked_elements("3 × points × 28", &[3, points.nrows(), POSE_PARAMETERS + 2])?;
    Ok(Hand {
        parents,
        base_relatives,
        inverse_base_absolutes,
        base_positions: base_positions.as_standard_layout().into_owned(),
        weights: weights.as_standard_layout().into_owned(),
        triangles,
        is_mirrored,
        correspondences,
        points,
        theta,
        us,
    })
}
