//! A small made-up hand for `ht`: 22 bones (a root, a palm, five fingers of four), ten
//! vertices, six triangles. The numbers are arbitrary; the Jacobian is checked against
//! finite differences of the objective, in both variants, mirrored or not.

use ndarray::Array1;
use serde_json::{json, Value};
use tapegrad_gradbench::evals::ht;

use crate::common::{assert_close, numbers, numeric_jacobian};

const BONES: usize = 22;
const VERTICES: usize = 10;

/// A 4 × 4 affine transform with entries from `seed`.
fn transform(seed: u64) -> Value {
    let v = numbers(seed, 12);
    json!([
        [1.0 + 0.2 * v[0], 0.2 * v[1], 0.2 * v[2], v[3]],
        [0.2 * v[4], 1.0 + 0.2 * v[5], 0.2 * v[6], v[7]],
        [0.2 * v[8], 0.2 * v[9], 1.0 + 0.2 * v[10], v[11]],
        [0.0, 0.0, 0.0, 1.0]
    ])
}

/// The input for `points` observed points, in the complicated variant (on triangles) or
/// the simple one (at vertices).
pub fn input(complicated: bool, points: usize) -> Value {
    let parents: Vec<i64> = (0..BONES as i64)
        .map(|b| match b {
            0 => -1,
            1 => 0,
            b if (b - 2) % 4 == 0 => 1,
            b => b - 1,
        })
        .collect();
    let base_positions: Vec<Value> = (0..VERTICES)
        .map(|v| {
            let p = numbers(100 + v as u64, 3);
            json!([p[0], p[1], p[2] + 2.0, 1.0])
        })
        .collect();
    let weights: Vec<Vec<f64>> = (0..VERTICES)
        .map(|v| numbers(200 + v as u64, BONES).iter().map(|w| (w + 1.0) / BONES as f64).collect())
        .collect();
    let triangles: Vec<[usize; 3]> = (0..6).map(|t| [t, t + 2, (t + 5) % VERTICES]).collect();
    let bound = if complicated { triangles.len() } else { VERTICES };
    let correspondences: Vec<usize> = (0..points).map(|i| (3 * i + 1) % bound).collect();
    let observed: Vec<Vec<f64>> = (0..points).map(|i| numbers(300 + i as u64, 3)).collect();
    let theta: Vec<f64> = numbers(400, 26).iter().map(|t| 0.6 * t).collect();
    let us: Value = if complicated {
        json!((0..points)
            .map(|i| numbers(500 + i as u64, 2).iter().map(|u| 0.3 + 0.2 * u).collect::<Vec<f64>>())
            .collect::<Vec<_>>())
    } else {
        json!([])
    };
    json!({
        "theta": theta,
        "us": us,
        "data": {
            "model": {
                "bone_count": BONES,
                "bone_names": (0..BONES).map(|b| format!("bone{b}")).collect::<Vec<_>>(),
                "parents": parents,
                "base_relatives": (0..BONES as u64).map(transform).collect::<Vec<_>>(),
                "inverse_base_absolutes": (0..BONES as u64).map(|b| transform(1000 + b)).collect::<Vec<_>>(),
                "base_positions": base_positions,
                "weights": weights,
                "triangles": triangles,
                "is_mirrored": complicated,
            },
            "correspondences": correspondences,
            "points": observed,
        },
    })
}

/// The hand with its variables replaced by `z` (`us` row by row, then θ).
fn with_variables(hand: &ht::Hand, z: &Array1<f64>) -> ht::Hand {
    let mut moved = hand.clone();
    let offset = moved.us.len();
    for (u, &value) in moved.us.iter_mut().zip(z.iter()) {
        *u = value;
    }
    moved.theta = z.iter().skip(offset).copied().collect();
    moved
}

#[test]
fn the_jacobian_matches_finite_differences_in_both_variants() {
    for complicated in [false, true] {
        let hand = ht::read(&input(complicated, 5)).unwrap();
        let z: Array1<f64> = hand.us.iter().chain(&hand.theta).copied().collect();
        let numeric = numeric_jacobian(|z| ht::objective(&with_variables(&hand, z)), &z, 1e-6);
        let jacobian = ht::jacobian(&hand).unwrap();
        let theta_columns = numeric.slice(ndarray::s![.., hand.us.len()..]);
        let offset = if complicated { 2 } else { 0 };
        assert_eq!(jacobian.ncols(), offset + 26);
        assert_close("∂r/∂θ", jacobian.slice(ndarray::s![.., offset..]).iter(), theta_columns.iter(), 1e-6);
        if complicated {
            // Point i's residuals (rows 3i..3i+3) see only its own u: columns 2i, 2i + 1.
            for row in 0..jacobian.nrows() {
                let i = row / 3;
                for k in 0..2 {
                    let want = numeric[[row, 2 * i + k]];
                    let got = jacobian[[row, k]];
                    assert!(
                        (got - want).abs() < 1e-6 * want.abs().max(1.0),
                        "∂r[{row}]/∂u{k}: {got} vs {want}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_global_angle_below_the_threshold_is_no_rotation() {
    let mut value = input(false, 3);
    value["theta"][0] = json!(0.0);
    value["theta"][1] = json!(0.0);
    value["theta"][2] = json!(0.0);
    let hand = ht::read(&value).unwrap();
    let z: Array1<f64> = hand.theta.iter().copied().collect();
    // Away from the switch, the other 23 columns still match finite differences.
    let numeric = numeric_jacobian(|z| ht::objective(&with_variables(&hand, z)), &z, 1e-7);
    let jacobian = ht::jacobian(&hand).unwrap();
    assert_close(
        "∂r/∂θ[3..]",
        jacobian.slice(ndarray::s![.., 3..]).iter(),
        numeric.slice(ndarray::s![.., 3..]).iter(),
        1e-6,
    );
}
