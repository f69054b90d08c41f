//! The initialisers: each distribution's bounds and moments, PyTorch's `Linear` default,
//! orthogonality to rounding, and settings out of range named.

use ndarray::{Array2, ArrayD, Ix2};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tapegrad_nn::{Dense, Init, NnError};

fn draw(init: Init, shape: &[usize], fan_in: usize, fan_out: usize) -> ArrayD<f64> {
    init.array(shape, fan_in, fan_out, &mut StdRng::seed_from_u64(5))
}

fn mean_and_std(x: &ArrayD<f64>) -> (f64, f64) {
    let mean = x.mean().unwrap();
    (mean, (x.mapv(|v| (v - mean).powi(2)).mean().unwrap()).sqrt())
}

#[test]
fn torch_linear_is_uniform_within_one_over_root_fan_in_for_weight_and_bias() {
    // PyTorch: kaiming_uniform_(a=√5) for the weight, U(±1/√fan_in) for the bias.
    let (fan_in, fan_out) = (400, 250);
    let bound = 1.0 / (fan_in as f64).sqrt();
    let w = draw(Init::TorchLinear, &[fan_in, fan_out], fan_in, fan_out);
    let (mean, std) = mean_and_std(&w);
    assert!(w.iter().all(|v| v.abs() <= bound));
    assert!(w.iter().any(|v| v.abs() > 0.99 * bound), "the bound is reached, not a narrower one");
    assert!(mean.abs() < 0.01 * bound, "{mean}");
    assert!((std - bound / 3f64.sqrt()).abs() < 0.01 * bound, "U(−b, b) has σ = b/√3: {std}");
    // Kaiming-uniform with a = √5 is the same distribution.
    let k = draw(Init::KaimingUniform { a: 5f64.sqrt() }, &[fan_in, fan_out], fan_in, fan_out);
    assert!(k.iter().zip(&w).all(|(a, b)| (a - b).abs() < 1e-12 * bound));
    // a = 0 is He-uniform.
    let he = draw(Init::HeUniform, &[fan_in, fan_out], fan_in, fan_out);
    let k0 = draw(Init::KaimingUniform { a: 0.0 }, &[fan_in, fan_out], fan_in, fan_out);
    assert_eq!(he, k0);
    // The layer: weight and bias both within the bound of its input width.
    let layer = Dense::<f64>::with_init(
        fan_in,
        fan_out,
        Init::TorchLinear,
        Some(Init::TorchLinear),
        &mut StdRng::seed_from_u64(1),
    );
    let bias = layer.bias.unwrap();
    assert!(bias.iter().all(|v| v.abs() <= bound) && bias.iter().any(|v| v.abs() > 0.5 * bound));
}

#[test]
fn uniform_and_normal_have_the_asked_moments() {
    let u = draw(Init::Uniform { low: -0.5, high: 2.0 }, &[200, 500], 1, 1);
    assert!(u.iter().all(|&v| (-0.5..2.0).contains(&v)));
    let (mean, std) = mean_and_std(&u);
    assert!((mean - 0.75).abs() < 0.01 && (std - 2.5 / 12f64.sqrt()).abs() < 0.01, "{mean} {std}");
    let n = draw(Init::Normal { mean: 3.0, std: 0.02 }, &[200, 500], 1, 1);
    let (mean, std) = mean_and_std(&n);
    assert!((mean - 3.0).abs() < 2e-4 && (std - 0.02).abs() < 2e-4, "{mean} {std}");
    // Degenerate but valid: a point.
    assert!(draw(Init::Uniform { low: 1.5, high: 1.5 }, &[3], 1, 1).iter().all(|&v| v == 1.5));
    assert!(draw(Init::Normal { mean: -1.0, std: 0.0 }, &[3], 1, 1).iter().all(|&v| v == -1.0));
}

fn gram(m: &Array2<f64>) -> Array2<f64> {
    m.dot(&m.t())
}

fn assert_identity(m: &Array2<f64>, scale: f64, context: &str) {
    for ((i, j), &v) in m.indexed_iter() {
        let expected = if i == j { scale } else { 0.0 };
        assert!((v - expected).abs() < 1e-12, "{context}: [{i}, {j}] = {v}");
    }
}

#[test]
fn orthogonal_gives_orthonormal_vectors_on_the_shorter_side() {
    let square: Array2<f64> =
        draw(Init::Orthogonal { gain: 1.0 }, &[6, 6], 6, 6).into_dimensionality().unwrap();
    assert_identity(&gram(&square), 1.0, "square rows");
    assert_identity(&gram(&square.t().to_owned()), 1.0, "square columns");
    let wide: Array2<f64> =
        draw(Init::Orthogonal { gain: 2.0 }, &[3, 7], 3, 7).into_dimensionality().unwrap();
    assert_identity(&gram(&wide), 4.0, "a wide matrix's rows, gain 2");
    let tall: Array2<f64> =
        draw(Init::Orthogonal { gain: 1.0 }, &[7, 3], 7, 3).into_dimensionality().unwrap();
    assert_identity(&gram(&tall.t().to_owned()), 1.0, "a tall matrix's columns");
    // More than two axes: seen as [shape[0], rest], as PyTorch does.
    let kernel = draw(Init::Orthogonal { gain: 1.0 }, &[4, 2, 3], 4, 6);
    let flat = kernel.into_shape_with_order((4, 6)).unwrap().into_dimensionality::<Ix2>().unwrap();
    assert_identity(&gram(&flat), 1.0, "a [4, 2, 3] kernel's rows");
    // One axis: a unit vector times the gain.
    let vector = draw(Init::Orthogonal { gain: 0.5 }, &[5], 5, 5);
    assert!((vector.dot_norm() - 0.5).abs() < 1e-12);
    // Not a fixed matrix: two seeds differ.
    let other: ArrayD<f64> =
        Init::Orthogonal { gain: 1.0 }.array(&[6, 6], 6, 6, &mut StdRng::seed_from_u64(6));
    assert!(other.iter().zip(square.iter()).any(|(a, b)| (a - b).abs() > 1e-3));
}

trait DotNorm {
    fn dot_norm(&self) -> f64;
}
impl DotNorm for ArrayD<f64> {
    fn dot_norm(&self) -> f64 {
        self.iter().map(|v| v * v).sum::<f64>().sqrt()
    }
}

#[test]
fn settings_out_of_range_are_named_by_check_and_panic_in_array() {
    let cases = [
        (Init::Uniform { low: 1.0, high: 0.0 }, "Init::Uniform: low = 1 (must be at most `high`)"),
        (Init::Uniform { low: f64::NAN, high: 0.0 }, "Init::Uniform: low = NaN (must be finite)"),
        (Init::Normal { mean: 0.0, std: -1.0 }, "Init::Normal: std = -1 (must be finite and ≥ 0)"),
        (Init::Orthogonal { gain: f64::INFINITY }, "Init::Orthogonal: gain = inf (must be finite)"),
        (Init::KaimingUniform { a: f64::NAN }, "Init::KaimingUniform: a = NaN (must be finite)"),
        (Init::Constant(f64::NAN), "Init::Constant: c = NaN (must be finite)"),
    ];
    for (init, message) in cases {
        let error = init.check().unwrap_err();
        assert!(matches!(error, NnError::InvalidSetting { .. }));
        assert_eq!(error.to_string(), message);
        let panic =
            std::panic::catch_unwind(|| init.array::<f32>(&[2, 2], 2, 2, &mut StdRng::seed_from_u64(0)))
                .unwrap_err();
        assert_eq!(panic.downcast_ref::<String>().map(String::as_str), Some(message));
    }
    for init in [Init::TorchLinear, Init::Orthogonal { gain: 1.0 }, Init::Normal { mean: 0.0, std: 1.0 }] {
        assert!(init.check().is_ok());
    }
}
