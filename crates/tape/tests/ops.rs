//! A finite-difference gradient check (f64, central differences) for every op, at
//! hand-picked inputs away from kinks, plus hand-derived values for the lesson.
//! Random shapes and values are covered in `properties.rs`.

#[rustfmt::skip]
#[allow(clippy::approx_constant)] // ln 2 appears as a value, as PyTorch computed it
#[path = "data/torch_ops.rs"]
pub(crate) mod torch_ops;

use ndarray::{arr1, arr2, array, ArrayD, ArrayViewD, Dimension};
use tapegrad_tape::gradcheck::GradCheck;
use tapegrad_tape::{InputGrads, Op, Tape, Var};
use torch_ops::*;

/// Checks the tape's gradient of `f` against central differences, and every op `f`
/// records on its own; panics with the printed reports on disagreement.
pub(crate) fn check(
    f: impl for<'t> Fn(&'t Tape<'t, f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
    inputs: &[ArrayD<f64>],
) {
    let report = GradCheck::new().check(&f, inputs);
    assert!(report.passed(), "{report:#}");
    assert_eq!(report.kinks().count(), 0, "inputs were meant to be off kinks: {report:#}");
    let per_op = GradCheck::new().check_ops(&f, inputs);
    assert!(per_op.passed(), "{per_op}");
}

/// A weighted sum, so every output element matters with a different weight.
pub(crate) fn weighted<'t>(y: Var<'t, f64>) -> Var<'t, f64> {
    let n = y.with_value(|v| v.len());
    let weights = ArrayD::from_shape_fn(y.shape(), |i| {
        let flat: usize = i.slice().iter().fold(0, |acc, &k| acc * 7 + k);
        0.3 + (flat % 5) as f64 * 0.4 + 0.01 * n as f64
    });
    (y * y.tape().constant(weights)).sum()
}

pub(crate) fn a23() -> ArrayD<f64> {
    array![[0.3, -1.2, 0.7], [1.5, -0.4, 0.9]].into_dyn()
}
pub(crate) fn b3() -> ArrayD<f64> {
    array![0.8, -1.1, 1.6].into_dyn()
}
pub(crate) fn positive23() -> ArrayD<f64> {
    array![[0.3, 1.2, 0.7], [1.5, 0.4, 2.9]].into_dyn()
}

#[test]
fn add_sub_mul_div_with_and_without_broadcasting() {
    for (a, b) in [
        (a23(), a23().mapv(|v| v * 0.5 + 2.0)),
        (a23(), b3()),
        (b3(), a23()),
        (a23(), array![[2.0], [-1.5]].into_dyn()),
    ] {
        check(|_, v| weighted(v[0] + v[1]), &[a.clone(), b.clone()]);
        check(|_, v| weighted(v[0] - v[1]), &[a.clone(), b.clone()]);
        check(|_, v| weighted(v[0] * v[1]), &[a.clone(), b.clone()]);
        check(|_, v| weighted(v[0] / v[1]), &[a.clone(), b.clone()]);
    }
}

#[test]
fn neg_and_scalar_ops() {
    check(|_, v| weighted(-v[0]), &[a23()]);
    check(|_, v| weighted(v[0] + 2.5), &[a23()]);
    check(|_, v| weighted(v[0] - 2.5), &[a23()]);
    check(|_, v| weighted(v[0] * -3.0), &[a23()]);
    check(|_, v| weighted(v[0] / 4.0), &[a23()]);
    check(|_, v| weighted(2.0 - v[0]), &[a23()]);
    check(|_, v| weighted(2.0 / v[0]), &[positive23()]);
}

#[test]
fn pointwise_functions() {
    check(|_, v| weighted(v[0].exp()), &[a23()]);
    check(|_, v| weighted(v[0].log()), &[positive23()]);
    check(|_, v| weighted(v[0].sqrt()), &[positive23()]);
    check(|_, v| weighted(v[0].powf(2.5)), &[positive23()]);
    check(|_, v| weighted(v[0].powf(-1.5)), &[positive23()]);
    check(|_, v| weighted(v[0].square()), &[a23()]);
    check(|_, v| weighted(v[0].abs()), &[a23()]);
}

#[test]
fn activations() {
    check(|_, v| weighted(v[0].tanh()), &[a23()]);
    check(|_, v| weighted(v[0].sigmoid()), &[a23()]);
    check(|_, v| weighted(v[0].relu()), &[a23()]);
    check(|_, v| weighted(v[0].leaky_relu(0.01)), &[a23()]);
    check(|_, v| weighted(v[0].softplus()), &[a23().mapv(|x| x * 5.0)]);
    check(|_, v| weighted(v[0].log_sigmoid()), &[a23().mapv(|x| x * 5.0)]);
}

#[test]
fn pow_with_a_tensor_exponent() {
    // Positive bases (the exponent's gradient needs ln x), exponents of both signs,
    // broadcast both ways.
    check(|_, v| weighted(v[0].pow(&v[1])), &[positive23(), a23()]);
    check(|_, v| weighted(v[0].pow(&v[1])), &[positive23(), b3()]);
    check(|_, v| weighted(v[0].pow(&v[1])), &[array![[1.5], [0.7]].into_dyn(), a23()]);
}

/// Whether tapegrad's `got` agrees with PyTorch's `want` to 1e-12 relative: NaN must meet
/// NaN, an infinity the same infinity, and zero must be zero (of either sign).
pub(crate) fn agrees_with_torch(got: f64, want: f64) -> bool {
    if want.is_nan() || want.is_infinite() {
        got.to_bits() == want.to_bits() || (want.is_nan() && got.is_nan())
    } else {
        (got - want).abs() <= 1e-12 * want.abs()
    }
}

/// Panics, listing every disagreeing element, unless `got` matches PyTorch's `want` in
/// shape and elementwise (see [`agrees_with_torch`]).
pub(crate) fn assert_matches_torch(what: &str, got: ArrayViewD<'_, f64>, want: ArrayD<f64>) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let bad: Vec<String> = (got.iter().zip(&want).enumerate())
        .filter(|&(_, (&g, &w))| !agrees_with_torch(g, w))
        .map(|(i, (g, w))| format!("[{i}] tapegrad {g:?}, torch {w:?}"))
        .collect();
    assert!(bad.is_empty(), "{what} disagrees with PyTorch ({SOURCE}): {}", bad.join("; "));
}

#[test]
fn log_sigmoid_matches_torch_from_minus_800_to_800() {
    let tape = Tape::new();
    let x = tape.var(arr1(&LOG_SIGMOID_X));
    let y = x.log_sigmoid();
    let grads = tape.backward((y * tape.constant(arr1(&LOG_SIGMOID_W))).sum());
    assert_matches_torch("log_sigmoid value", y.value().view(), arr1(&LOG_SIGMOID_Y).into_dyn());
    assert_matches_torch("log_sigmoid d/dx", grads.get(x).unwrap(), arr1(&LOG_SIGMOID_DX).into_dyn());
}

/// `z = x.pow(y)` and the gradients of sum(z · w) wrt x and y, against PyTorch's.
fn pow_matches_torch(case: &str, [x, y, w]: [ArrayD<f64>; 3], [z, dx, dy]: [ArrayD<f64>; 3]) {
    let tape = Tape::new();
    let (xv, yv) = (tape.var(x), tape.var(y));
    let zv = xv.pow(&yv);
    let grads = tape.backward((zv * tape.constant(w)).sum());
    assert_matches_torch(&format!("pow {case}: value"), zv.value().view(), z);
    assert_matches_torch(&format!("pow {case}: d/dx"), grads.get(xv).unwrap(), dx);
    assert_matches_torch(&format!("pow {case}: d/dy"), grads.get(yv).unwrap(), dy);
}

#[test]
fn pow_matches_torch_same_shapes_broadcast_and_edge_cases() {
    pow_matches_torch(
        "x [2, 3], y [2, 3]",
        [arr2(&POW_SAME_X).into_dyn(), arr2(&POW_SAME_Y).into_dyn(), arr2(&POW_SAME_W).into_dyn()],
        [arr2(&POW_SAME_Z).into_dyn(), arr2(&POW_SAME_DX).into_dyn(), arr2(&POW_SAME_DY).into_dyn()],
    );
    pow_matches_torch(
        "x [2, 3], y [3] broadcast",
        [
            arr2(&POW_BROADCAST_X).into_dyn(),
            arr1(&POW_BROADCAST_Y).into_dyn(),
            arr2(&POW_BROADCAST_W).into_dyn(),
        ],
        [
            arr2(&POW_BROADCAST_Z).into_dyn(),
            arr2(&POW_BROADCAST_DX).into_dyn(),
            arr1(&POW_BROADCAST_DY).into_dyn(),
        ],
    );
    // 0^0, 0^1, 0^2, 0^0.5, (-2)^2, (-2)^3, 2^-1: PyTorch's rules at x = 0, a +inf
    // gradient at 0^0.5, and NaN exponent gradients for a negative base.
    pow_matches_torch(
        "edge cases",
        [arr1(&POW_EDGE_X).into_dyn(), arr1(&POW_EDGE_Y).into_dyn(), arr1(&POW_EDGE_W).into_dyn()],
        [arr1(&POW_EDGE_Z).into_dyn(), arr1(&POW_EDGE_DX).into_dyn(), arr1(&POW_EDGE_DY).into_dyn()],
    );
}

#[test]
fn clamp_maximum_minimum() {
    check(|_, v| weighted(v[0].clamp(-0.5, 1.0)), &[a23()]);
    check(|_, v| weighted(v[0].maximum(&v[1])), &[a23(), b3()]);
    check(|_, v| weighted(v[0].minimum(&v[1])), &[a23(), b3()]);
    check(|_, v| weighted(v[0].maximum(&v[1])), &[a23(), array![[0.1], [0.2]].into_dyn()]);
}

#[test]
fn matmul_forms() {
    let a = a23();
    let b = array![[0.5, -0.3], [1.1, 0.2], [-0.7, 0.9]].into_dyn();
    check(|_, v| weighted(v[0].matmul(&v[1])), &[a.clone(), b.clone()]);
    let batch = ArrayD::from_shape_fn(vec![2, 3, 3], |i| {
        (i[0] as f64 - 0.5) * 0.7 + i[1] as f64 * 0.3 - i[2] as f64 * 0.4
    });
    check(|_, v| weighted(v[0].matmul(&v[1])), &[batch.clone(), b.clone()]);
    let batch_b = ArrayD::from_shape_fn(vec![2, 3, 2], |i| {
        0.2 * i[0] as f64 - 0.5 * i[1] as f64 + 0.9 * i[2] as f64 - 0.3
    });
    check(|_, v| weighted(v[0].matmul(&v[1])), &[batch, batch_b]);
    // A transposed (non-contiguous in the math) right operand: x · Wᵀ.
    check(|_, v| weighted(v[0].matmul(&v[1].t())), &[a, b.t().to_owned()]);
}

#[test]
fn affine_is_matmul_plus_bias() {
    let x = a23();
    let w = array![[0.5, -0.3], [1.1, 0.2], [-0.7, 0.9]].into_dyn();
    let b = array![0.25, -1.5].into_dyn();
    check(|_, v| weighted(v[0].affine(&v[1], &v[2])), &[x.clone(), w.clone(), b.clone()]);
    // A transposed weight view and a strided input take the general paths.
    check(|_, v| weighted(v[0].t().affine(&v[1].t(), &v[2])), &[x.t().to_owned(), w.t().to_owned(), b]);
    // The same bits as the two ops it fuses, value and gradients.
    let tape = Tape::new();
    let (xv, wv, bv) = (tape.var(x), tape.var(w), tape.var(array![0.1, 0.2]));
    let fused = xv.affine(&wv, &bv);
    let composed = xv.matmul(&wv).add(&bv);
    assert_eq!(fused.value(), composed.value());
    let fused_grads = tape.backward(weighted(fused));
    let composed_grads = tape.backward(weighted(composed));
    for v in [xv, wv, bv] {
        assert_eq!(fused_grads.get(v), composed_grads.get(v));
    }
}

#[test]
fn matmul_with_column_major_inputs_and_one_column() {
    // Regression: a column-major `a` in the batched form, and a one-column `b` (where
    // ndarray's `dot` returns a column-major product), once failed to reshape.
    let column_major =
        ArrayD::from_shape_fn(vec![2, 2, 3], |i| i[0] as f64 * 0.3 - i[1] as f64 * 0.2 + i[2] as f64 * 0.1)
            .reversed_axes(); // shape [3, 2, 2], column-major memory
    check(|_, v| weighted(v[0].matmul(&v[1])), &[column_major, array![[0.5, -0.3], [1.1, 0.2]].into_dyn()]);
    let a = ArrayD::from_shape_fn(vec![2, 2, 2], |i| i[0] as f64 - 0.5 * i[1] as f64 + 0.25 * i[2] as f64);
    check(|_, v| weighted(v[0].matmul(&v[1])), &[a, array![[0.7], [-0.4]].into_dyn()]);
}

#[test]
fn shape_ops() {
    check(|_, v| weighted(v[0].reshape(&[3, 2])), &[a23()]);
    check(|_, v| weighted(v[0].t()), &[a23()]);
    let cube = ArrayD::from_shape_fn(vec![2, 3, 4], |i| i[0] as f64 - 0.3 * i[1] as f64 + 0.17 * i[2] as f64);
    check(|_, v| weighted(v[0].permute(&[2, 0, 1])), std::slice::from_ref(&cube));
    check(|_, v| weighted(v[0].transpose(0, 2)), &[cube]);
    check(|_, v| weighted(v[0].broadcast_to(&[4, 2, 3])), &[a23()]);
    check(|_, v| weighted(v[0].broadcast_to(&[2, 3])), &[array![[1.5], [-0.5]].into_dyn()]);
}

#[test]
fn concat_and_slice() {
    check(|_, v| weighted(Var::concat(&[v[0], v[1]], 0)), &[a23(), array![[9.0, 8.0, 7.0]].into_dyn()]);
    check(|_, v| weighted(Var::concat(&[v[0], v[1], v[0]], 1)), &[a23(), array![[1.0], [2.0]].into_dyn()]);
    check(|_, v| weighted(v[0].slice_axis(1, 1..3)), &[a23()]);
    check(|_, v| weighted(v[0].slice_axis(0, 1..2)), &[a23()]);
}

#[test]
fn reductions_over_all_and_over_axes() {
    check(|_, v| v[0].sum(), &[a23()]);
    check(|_, v| v[0].mean(), &[a23()]);
    check(|_, v| v[0].max(), &[a23()]);
    check(|_, v| v[0].min(), &[a23()]);
    check(|_, v| v[0].log_sum_exp(), &[a23()]);
    for keep in [false, true] {
        for axes in [&[0][..], &[1], &[0, 1]] {
            check(|_, v| weighted(v[0].sum_axes(axes, keep)), &[a23()]);
            check(|_, v| weighted(v[0].mean_axes(axes, keep)), &[a23()]);
            check(|_, v| weighted(v[0].max_axes(axes, keep)), &[a23()]);
            check(|_, v| weighted(v[0].min_axes(axes, keep)), &[a23()]);
            check(|_, v| weighted(v[0].log_sum_exp_axes(axes, keep)), &[a23()]);
        }
    }
}

#[test]
fn softmax_and_log_softmax() {
    for axis in [0, 1] {
        check(|_, v| weighted(v[0].softmax(axis)), &[a23()]);
        check(|_, v| weighted(v[0].log_softmax(axis)), &[a23()]);
    }
}

#[test]
fn gather_and_select() {
    let index = array![[2usize, 0], [1, 1]];
    check(|_, v| weighted(v[0].gather(1, &index).unwrap()), &[a23()]);
    let rows = array![[1usize, 0, 1]];
    check(|_, v| weighted(v[0].gather(0, &rows).unwrap()), &[a23()]);
    check(|_, v| weighted(v[0].select(1, &[2, 0, 2]).unwrap()), &[a23()]);
    check(|_, v| weighted(v[0].select(0, &[1]).unwrap()), &[a23()]);
}

#[test]
fn polynomial_from_the_lesson() {
    // y = x² + 5x + 4 at x = [3, 1, 4], so dy/dx = 2x + 5 = [11, 7, 13]
    let tape = Tape::new();
    let x = tape.var(array![3.0, 1.0, 4.0]);
    let y = x * x + x * 5.0 + 4.0;
    let grads = tape.backward(y.sum());
    assert_eq!(y.value(), array![28.0, 10.0, 40.0].into_dyn());
    assert_eq!(grads.get(x).unwrap(), &array![11.0, 7.0, 13.0].into_dyn());
}

#[test]
fn softmax_cross_entropy_gradient_is_probabilities_minus_one_hot() {
    // L = −log softmax(z)[label]; ∂L/∂z = softmax(z) − onehot(label)
    let tape = Tape::new();
    let z = tape.var(array![[1.0, 2.0, 3.0]]);
    let loss = -z.log_softmax(1).gather(1, &array![[0usize]]).unwrap().sum();
    let grads = tape.backward(loss);
    let e = [1f64.exp(), 2f64.exp(), 3f64.exp()];
    let total: f64 = e.iter().sum();
    let expected = array![[e[0] / total - 1.0, e[1] / total, e[2] / total]].into_dyn();
    approx::assert_abs_diff_eq!(grads.get(z).unwrap(), &expected, epsilon = 1e-12);
}

#[test]
fn ops_work_in_f32_too() {
    let report = GradCheck::for_f32().check(
        |_, v| (v[0].matmul(&v[1]).tanh() * 2.0f32).log_softmax(1).sum(),
        &[array![[0.3f32, -0.2]].into_dyn(), array![[0.5f32, 0.1], [-0.4, 0.8]].into_dyn()],
    );
    assert!(report.passed(), "{report}");
}

#[test]
fn the_scalar_fast_path_agrees_with_the_array_path() {
    // 0-d values take the bare-number path; shape-[1] values take the array path. Both
    // must give identical values and gradients for every elementwise op.
    type Case = for<'t> fn(Var<'t, f64>, Var<'t, f64>) -> Var<'t, f64>;
    let cases: [(&str, Case); 24] = [
        ("add", |a, b| a + b),
        ("sub", |a, b| a - b),
        ("mul", |a, b| a * b),
        ("div", |a, b| a / b),
        ("maximum", |a, b| a.maximum(&b)),
        ("minimum", |a, b| a.minimum(&b)),
        ("neg", |a, _| -a),
        ("add_scalar", |a, _| a + 1.5),
        ("mul_scalar", |a, _| a * -2.5),
        ("exp", |a, _| a.exp()),
        ("log", |a, _| a.log()),
        ("sqrt", |a, _| a.sqrt()),
        ("powf", |a, _| a.powf(1.7)),
        ("abs", |a, _| a.abs()),
        ("tanh", |a, _| a.tanh()),
        ("sigmoid", |a, _| a.sigmoid()),
        ("relu", |a, _| a.relu()),
        ("leaky_relu", |a, _| a.leaky_relu(0.1)),
        ("softplus", |a, _| a.softplus()),
        ("log_sigmoid", |a, _| a.log_sigmoid()),
        ("pow", |a, b| a.abs().pow(&b)),
        ("clamp", |a, _| a.clamp(0.5, 1.0)),
        ("sin", |a, _| a.sin()),
        ("cos", |a, _| a.cos()),
    ];
    for (name, f) in cases {
        for (a, b) in [(0.7, 1.3), (2.0, -0.4), (0.9, 0.9)] {
            let scalar = Tape::new();
            let (sa, sb) = (scalar.var(ndarray::arr0(a)), scalar.var(ndarray::arr0(b)));
            let sy = f(sa, sb);
            let scalar_grads = scalar.backward(sy * 3.0);
            let array = Tape::new();
            let (aa, ab) = (array.var(array![a]), array.var(array![b]));
            let ay = f(aa, ab);
            let array_grads = array.backward((ay * 3.0).sum());
            assert_eq!(sy.item().to_bits(), ay.item().to_bits(), "{name} value at ({a}, {b})");
            for (s, v) in [(sa, aa), (sb, ab)] {
                let s = scalar_grads.get(s).map(|g| g[[]]);
                let v = array_grads.get(v).map(|g| g[[0]]);
                assert_eq!(
                    s.map(f64::to_bits),
                    v.map(f64::to_bits),
                    "{name} gradient at ({a}, {b}): {s:?} vs {v:?}"
                );
            }
        }
    }
}

// ---- Issue 13: gradients of gradients ----

/// A function under test, as a trait object: the checks below are compiled once, not once
/// per closure.
pub(crate) type Function<'f> = &'f dyn for<'t> Fn(&'t Tape<'t, f64>, &[Var<'t, f64>]) -> Var<'t, f64>;

/// The gradient of `f` at `inputs` by the ordinary backward pass.
pub(crate) fn first_order(f: Function<'_>, inputs: &[ArrayD<f64>]) -> Vec<ArrayD<f64>> {
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.view())).collect();
    let grads = tape.backward(f(&tape, &vars));
    vars.iter().map(|&v| grads.get_or_zeros(v)).collect()
}

/// Checks second derivatives of `f`: the recorded gradient equals the ordinary one, and
/// the Hessian-vector product along a fixed direction equals central differences of the
/// ordinary gradient along it.
pub(crate) fn check_second_order(
    f: impl for<'t> Fn(&'t Tape<'t, f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
    inputs: &[ArrayD<f64>],
) {
    check_second_order_of(&f, inputs);
}

fn check_second_order_of(f: Function<'_>, inputs: &[ArrayD<f64>]) {
    let directions: Vec<ArrayD<f64>> = inputs
        .iter()
        .enumerate()
        .map(|(k, x)| {
            ArrayD::from_shape_fn(x.raw_dim(), |i| {
                0.5 - ((i.slice().iter().sum::<usize>() + 3 * k) % 4) as f64 * 0.3
            })
        })
        .collect();
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.view())).collect();
    let output = f(&tape, &vars);
    let recorded = tape.grad(output, &vars, true).unwrap();
    for (g, expected) in recorded.iter().zip(first_order(f, inputs)) {
        let g = g.value();
        assert!(
            g.iter().zip(&expected).all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs().max(1.0)),
            "{g} vs {expected}"
        );
    }
    let hv = tape.hessian_vector_product(output, &vars, &directions).unwrap();
    let eps = 1e-5;
    let shifted = |sign: f64| -> Vec<ArrayD<f64>> {
        let moved: Vec<ArrayD<f64>> =
            inputs.iter().zip(&directions).map(|(x, v)| x + &(v * (sign * eps))).collect();
        first_order(f, &moved)
    };
    let (plus, minus) = (shifted(1.0), shifted(-1.0));
    for (k, ((hv, p), m)) in hv.iter().zip(&plus).zip(&minus).enumerate() {
        let numeric = (p - m) / (2.0 * eps);
        for ((index, &a), &n) in hv.indexed_iter().zip(numeric.iter()) {
            assert!(
                (a - n).abs() <= 1e-6 * a.abs().max(n.abs()) + 1e-7,
                "input {k} {:?}: H·v {a}, numeric {n}",
                index.slice()
            );
        }
    }
}

#[test]
fn second_derivatives_of_elementwise_ops_match_finite_differences() {
    check_second_order(|_, v| weighted(v[0].tanh()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].sigmoid()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].softplus()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].log_sigmoid()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].exp()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].log()), &[positive23()]);
    check_second_order(|_, v| weighted(v[0].sqrt()), &[positive23()]);
    check_second_order(|_, v| weighted(v[0].powf(2.5)), &[positive23()]);
    check_second_order(|_, v| weighted(v[0].square()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].abs() * v[0]), &[a23()]);
    check_second_order(|_, v| weighted(v[0].relu().square()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].leaky_relu(0.1) * v[0]), &[a23()]);
    check_second_order(|_, v| weighted(v[0].clamp(-1.0, 1.0).square()), &[a23()]);
    check_second_order(|_, v| weighted((-v[0]).add_scalar(2.0).mul_scalar(3.0).square()), &[a23()]);
}

#[test]
fn second_derivatives_of_binary_ops_with_broadcasting_match_finite_differences() {
    for (a, b) in
        [(a23(), a23().mapv(|v| v * 0.5 + 2.0)), (a23(), b3().mapv(|v| v + 3.0)), (b3(), positive23())]
    {
        check_second_order(|_, v| weighted((v[0] + v[1]).square()), &[a.clone(), b.clone()]);
        check_second_order(|_, v| weighted((v[0] - v[1]).tanh()), &[a.clone(), b.clone()]);
        check_second_order(|_, v| weighted(v[0] * v[1]), &[a.clone(), b.clone()]);
        check_second_order(|_, v| weighted(v[0] / v[1]), &[a.clone(), b.clone()]);
        check_second_order(|_, v| weighted(v[0].maximum(&v[1]) * v[0]), &[a.clone(), b.clone()]);
        check_second_order(|_, v| weighted(v[0].minimum(&v[1]).square()), &[a.clone(), b.clone()]);
    }
}

#[test]
fn second_derivatives_through_shapes_reductions_and_products() {
    let w = array![[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]].into_dyn();
    let bias = array![0.1, -0.2].into_dyn();
    check_second_order(|_, v| weighted(v[0].matmul(&v[1]).tanh()), &[a23(), w.clone()]);
    // Batched: [2, 2, 3] · [3, 2], and [2, 2, 3] · [2, 3, 2].
    let batch = ArrayD::from_shape_fn(vec![2, 2, 3], |i| {
        0.3 * i[0] as f64 - 0.2 * i[1] as f64 + 0.1 * i[2] as f64 - 0.4
    });
    let batched_w =
        ArrayD::from_shape_fn(vec![2, 3, 2], |i| 0.2 * i[0] as f64 + 0.3 * i[1] as f64 - 0.25 * i[2] as f64);
    check_second_order(|_, v| weighted(v[0].matmul(&v[1]).tanh()), &[batch.clone(), w.clone()]);
    check_second_order(|_, v| weighted(v[0].matmul(&v[1]).tanh()), &[batch, batched_w]);
    check_second_order(
        |_, v| weighted(v[0].affine(&v[1], &v[2]).sigmoid()),
        &[a23(), w.clone(), bias.clone()],
    );
    check_second_order(|_, v| v[0].sum_axes(&[1], false).square().sum(), &[a23()]);
    check_second_order(|_, v| v[0].mean_axes(&[0], true).exp().sum(), &[a23()]);
    check_second_order(|_, v| weighted(v[0].reshape(&[3, 2]).t().tanh()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].broadcast_to(&[2, 3]).square() * v[0]), &[b3()]);
    check_second_order(|_, v| weighted(Var::concat(&[v[0], v[0].square()], 0).tanh()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].slice_axis(1, 1..3).exp() * v[0].slice_axis(1, 0..2)), &[a23()]);
    // A two-layer tanh network's Hessian with respect to its weights and its input.
    check_second_order(
        |_, v| weighted(v[0].affine(&v[1], &v[2]).tanh().matmul(&v[3])),
        &[a23(), w, bias, array![[1.0], [-0.5]].into_dyn()],
    );
}

#[test]
fn second_derivatives_of_softmax_reductions_and_pow_match_finite_differences() {
    check_second_order(|_, v| weighted(v[0].softmax(1)), &[a23()]);
    check_second_order(|_, v| weighted(v[0].softmax(0).square()), &[a23()]);
    check_second_order(|_, v| weighted(v[0].log_softmax(1)), &[a23()]);
    check_second_order(|_, v| weighted(v[0].log_sum_exp_axes(&[1], false)), &[a23()]);
    check_second_order(|_, v| v[0].log_sum_exp().square(), &[a23()]);
    check_second_order(|_, v| weighted(v[0].max_axes(&[1], true) * v[0]), &[a23()]);
    check_second_order(|_, v| v[0].min().square() + v[0].max(), &[a23()]);
    check_second_order(|_, v| weighted(v[0].pow(&v[1])), &[positive23(), a23()]);
    check_second_order(|_, v| weighted(v[0].pow(&v[1])), &[positive23(), b3()]);
}

#[test]
fn second_derivatives_through_gather_and_select_match_finite_differences() {
    let index = array![[2usize, 0], [1, 1]];
    check_second_order(move |_, v| weighted(v[0].tanh().gather(1, &index).unwrap().square()), &[a23()]);
    check_second_order(
        |_, v| weighted(v[0].exp().select(1, &[2, 0, 2]).unwrap() * v[0].select(1, &[0, 1, 2]).unwrap()),
        &[a23()],
    );
    // Cross-entropy composed the long way: log_softmax, then gather the labels.
    let labels = array![[2usize], [0]];
    check_second_order(move |_, v| v[0].log_softmax(1).gather(1, &labels).unwrap().neg().mean(), &[a23()]);
}

#[test]
fn derivatives_to_any_order_and_errors_that_name_the_op() {
    // d⁴/dx⁴ of x⁵ = 120x, by four recorded gradients.
    let tape = Tape::new();
    let x = tape.var(array![0.5, -2.0]);
    let mut y = x.powf(5.0).sum();
    let mut derivatives = Vec::new();
    for _ in 0..4 {
        let derivative = tape.grad(y, &[x], true).unwrap()[0];
        derivatives.push(derivative.value());
        y = derivative.sum();
    }
    assert_eq!(derivatives[3], array![60.0, -240.0].into_dyn());
    assert_eq!(derivatives[1], array![2.5, -160.0].into_dyn()); // 20x³
                                                                // An input the output does not reach gets zeros.
    let unused = tape.var(array![1.0, 2.0, 3.0]);
    assert_eq!(tape.grad(x.sum(), &[unused], true).unwrap()[0].value(), ArrayD::<f64>::zeros(vec![3]));
    // An op without a recorded backward is an error naming it and its line.
    struct Twice;
    impl Op<f64> for Twice {
        fn name(&self) -> &'static str {
            "twice"
        }
        fn forward(&self, inputs: &[ArrayViewD<'_, f64>]) -> ArrayD<f64> {
            inputs[0].mapv(|x| 2.0 * x)
        }
        fn backward(
            &self,
            _inputs: &[ArrayViewD<'_, f64>],
            _output: &ArrayViewD<'_, f64>,
            grad_output: &ArrayViewD<'_, f64>,
            _wanted: &[bool],
        ) -> InputGrads<f64> {
            [Some(grad_output.mapv(|g| 2.0 * g))].into_iter().collect()
        }
    }
    let tape = Tape::new();
    let x = tape.var(array![[0.5, 1.0, -1.0]]);
    let y = tape.apply(Twice, &[x]).sum();
    let err = tape.grad(y, &[x], true).unwrap_err();
    assert!(matches!(&err, tapegrad_tape::TapeError::NotTwiceDifferentiable { op: "twice", .. }), "{err:?}");
    assert!(err.to_string().contains("twice (node 1, recorded at crates/tape/tests/ops.rs:"), "{err}");

    // Without create_graph it is an ordinary backward pass.
    assert!(tape.grad(y, &[x], false).is_ok());
    // The output must be 0-d.
    assert!(tape.grad(x.square(), &[x], true).is_err());
}

#[test]
fn pow_differentiates_twice_at_bases_that_are_not_positive() {
    // f = Σ w · aᵇ with both a and b differentiated, at masked points (a = 0 with b ≥ 0,
    // b = 0), a positive base and a negative one. The expected second derivatives are
    // PyTorch 2.15's (float64, `torch.autograd.grad` twice) where it gives a number; where
    // it gives NaN through 0 · ∞ inside a masked term, the derivative of the masked rule,
    // 0, is expected instead.
    let w = array![1.1, 0.7, 0.9, 1.3];
    let tape: Tape<'_, f64> = Tape::new();
    let a = tape.var(array![0.0, 0.0, 2.0, -2.0]);
    let b = tape.var(array![2.0, 0.0, -1.0, 3.0]);
    let f = (a.pow(&b) * tape.constant(w.clone())).sum();
    let [ga, gb] = tape.grad(f, &[a, b], true).unwrap()[..] else { unreachable!() };
    // First order: w·b·aᵇ⁻¹ and w·aᵇ·ln a, masked to 0 at a = 0 (b ≥ 0) and b = 0; NaN for
    // ln of the negative base, as in PyTorch.
    let (ga_value, gb_value) = (ga.value(), gb.value());
    assert_eq!((ga_value[0], ga_value[1]), (0.0, 0.0));
    assert!((ga_value[2] - 0.9 * -0.25).abs() < 1e-15 && (ga_value[3] - 1.3 * 12.0).abs() < 1e-12);
    assert_eq!((gb_value[0], gb_value[1]), (0.0, 0.0));
    assert!((gb_value[2] - 0.9 * 0.5 * 2f64.ln()).abs() < 1e-15 && gb_value[3].is_nan());
    // Second order, one row at a time: ∂(∂f/∂aᵢ)/∂(a, b) and ∂(∂f/∂bᵢ)/∂(a, b).
    let row = |of_exponent: bool, i: usize| {
        let g = if of_exponent { gb } else { ga };
        let picked = g.slice_axis(0, i..i + 1).sum();
        let h = tape.grad(picked, &[a, b], false).unwrap();
        (h[0].value()[i], h[1].value()[i])
    };
    let close = |got: f64, want: f64| (got - want).abs() <= 1e-12 * want.abs().max(1.0);
    // a = 0, b = 2: ∂²/∂a² = w·b(b − 1)aᵇ⁻² = 2w; the masked exponent terms give 0.
    let (aa, ab) = row(false, 0);
    assert!(close(aa, 2.2) && close(ab, 0.0), "{aa} {ab}");
    assert_eq!(row(true, 0), (0.0, 0.0));
    // b = 0: the rule's 0 everywhere (PyTorch: NaN on the diagonal).
    assert_eq!(row(false, 1), (0.0, 0.0));
    assert_eq!(row(true, 1), (0.0, 0.0));
    // a = 2, b = −1: w·b(b − 1)aᵇ⁻², w·aᵇ⁻¹(1 + b ln a), w·aᵇ ln² a.
    let (aa, ab) = row(false, 2);
    let (ba, bb) = row(true, 2);
    assert!(close(aa, 0.225) && close(ab, 0.069_041_884_374_012_32) && close(ba, ab), "{aa} {ab} {ba}");
    assert!(close(bb, 0.216_203_856_263_190_64), "{bb}");
    // a = −2, b = 3: ∂²/∂a² = w·b(b − 1)aᵇ⁻² = −15.6; everything through ln a is NaN.
    let (aa, ab) = row(false, 3);
    assert!(close(aa, -15.6) && ab.is_nan(), "{aa} {ab}");
}

#[test]
fn pow_with_a_fixed_exponent_differentiates_twice_at_any_base() {
    // Negative bases with integer exponents, zero bases, and the exponent 0 (whose
    // derivative PyTorch takes as 0 everywhere, 0⁰ included), against finite differences.
    let bases = array![[-1.5, -0.5, 0.7], [2.0, -2.0, 1.2]].into_dyn();
    let exponents = array![[2.0, 3.0, 0.0], [4.0, 1.0, -2.0]];
    check_second_order(move |tape, v| weighted(v[0].pow(&tape.constant(exponents.clone()))), &[bases]);
    // At a base of exactly 0: d²/dx² xᵖ = p(p − 1)xᵖ⁻², so 0, 0, 2, 0 for p = 0, 1, 2, 3.
    let tape = Tape::new();
    let x = tape.var(array![0.0, 0.0, 0.0, 0.0]);
    let p = tape.constant(array![0.0, 1.0, 2.0, 3.0]);
    let first = tape.grad(x.pow(&p).sum(), &[x], true).unwrap()[0];
    assert_eq!(first.value(), array![0.0, 1.0, 0.0, 0.0].into_dyn()); // p xᵖ⁻¹, 0 for p = 0
    let second = tape.grad(first.sum(), &[x], true).unwrap()[0];
    assert_eq!(second.value(), array![0.0, 0.0, 2.0, 0.0].into_dyn());
    // A third derivative, at x = −1: d³/dx³ x⁴ = 24x = −24.
    let tape = Tape::new();
    let x = tape.var(array![-1.0]);
    let mut y = x.pow(&tape.constant(array![4.0])).sum();
    for _ in 0..3 {
        y = tape.grad(y, &[x], true).unwrap()[0].sum();
    }
    assert_eq!(y.item(), -24.0);
}

#[test]
fn jacobians_hessians_and_jvps_agree_with_each_other_and_finite_differences() {
    fn f<'t>(tape: &'t Tape<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
        let w = array![[0.5, -0.3, 0.9], [0.2, 0.8, -0.4]];
        x.reshape(&[1, 2]).matmul(&tape.constant(w)).tanh()
    }
    fn loss<'t>(tape: &'t Tape<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> {
        f(tape, x).square().sum() + x.exp().sum()
    }
    let x0 = array![0.7, -1.1];
    // The Jacobian against central differences of each output.
    let tape = Tape::new();
    let x = tape.var(x0.clone());
    let jacobian = tape.jacobian(f(&tape, x), x).unwrap();
    let eps = 1e-6;
    for k in 0..2 {
        let mut e = x0.clone();
        e[k] += eps;
        let tp = Tape::new();
        let plus = f(&tp, tp.var(e.clone())).value();
        e[k] -= 2.0 * eps;
        let tm = Tape::new();
        let minus = f(&tm, tm.var(e)).value();
        for j in 0..3 {
            let numeric = (plus[[0, j]] - minus[[0, j]]) / (2.0 * eps);
            assert!(
                (jacobian[[j, k]] - numeric).abs() < 1e-8,
                "J[{j}, {k}] {} vs {numeric}",
                jacobian[[j, k]]
            );
        }
    }
    // J·v from the double-VJP trick equals the Jacobian times v.
    let v = array![0.3, -2.0].into_dyn();
    let jv = tape.jacobian_vector_product(f(&tape, x), x, &v).unwrap();
    let expected = jacobian.dot(&array![0.3, -2.0]);
    assert!(jv.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-12), "{jv} vs {expected}");
    // The Hessian is symmetric and its columns are Hessian-vector products.
    let hessian = tape.hessian(loss(&tape, x), x).unwrap();
    assert!((hessian[[0, 1]] - hessian[[1, 0]]).abs() < 1e-12);
    for k in 0..2 {
        let mut basis = ArrayD::zeros(vec![2]);
        basis[[k]] = 1.0;
        let column = tape.hessian_vector_product(loss(&tape, x), &[x], &[basis]).unwrap().remove(0);
        assert!(
            (column[[0]] - hessian[[0, k]]).abs() < 1e-12 && (column[[1]] - hessian[[1, k]]).abs() < 1e-12
        );
    }
}

/// Sums over an axis of arrays with an empty axis elsewhere, and over contiguous rows of
/// every length, agree with ndarray's `sum_axis` (the contiguous paths of the reduction
/// must not cut empty rows).
#[test]
fn sums_over_axes_with_empty_and_short_rows_match_ndarray() {
    for shape in [[3usize, 0, 2], [3, 2, 0], [0, 2, 3], [4, 1, 5], [2, 3, 17]] {
        let x =
            ndarray::Array3::from_shape_fn(shape, |(i, j, k)| (i * 7 + j * 3 + k) as f64 * 0.5).into_dyn();
        for axis in 0..3 {
            if shape[axis] == 0 {
                continue;
            }
            let tape = Tape::new();
            let summed = tape.constant(&x).sum_axes(&[axis], false).value();
            assert_eq!(summed, x.sum_axis(ndarray::Axis(axis)), "{shape:?} over axis {axis}");
        }
    }
}

#[test]
fn argmax_and_argmin_take_the_first_extreme_of_each_lane_and_the_first_nan() {
    let tape = Tape::new();
    // [2, 3, 2]: along the middle axis each (i, k) lane has three numbers.
    let x = tape.constant(
        ArrayD::from_shape_vec(
            vec![2, 3, 2],
            vec![1.0, 7.0, 3.0, 7.0, 3.0, -2.0, f64::NAN, 0.0, 5.0, 0.0, 5.0, 0.0],
        )
        .unwrap(),
    );
    // Lanes (i = 0): [1, 3, 3] and [7, 7, −2]; (i = 1): [NaN, 5, 5] and [0, 0, 0].
    assert_eq!(x.argmax(1), array![[1, 0], [0, 0]].into_dyn());
    assert_eq!(x.argmin(1), array![[0, 2], [0, 0]].into_dyn());
    assert_eq!(x.argmax(2), array![[1, 1, 0], [0, 0, 0]].into_dyn());
    // Along the first axis: pairs (1, NaN), (7, 0), (3, 5), (7, 0), (3, 5), (−2, 0).
    assert_eq!(x.argmin(0), array![[1, 1], [0, 1], [0, 0]].into_dyn());
    // The selected elements are the ones `max_axes`/`min_axes` report (NaN lanes aside).
    let y = tape.constant(array![[0.3, -1.0, 2.5], [4.0, 4.0, -7.0], [0.0, 1.0, 0.5]]);
    for (arg, extreme) in [(y.argmax(1), y.max_axes(&[1], false)), (y.argmin(1), y.min_axes(&[1], false))] {
        let picked: Vec<f64> = arg.iter().enumerate().map(|(row, &col)| y.value()[[row, col]]).collect();
        assert_eq!(ArrayD::from_shape_vec(vec![3], picked).unwrap(), extreme.value());
    }
}

#[test]
#[should_panic(expected = "argmin: axis 2 is out of range for shape [2, 3]")]
fn argmin_names_an_axis_out_of_range() {
    let tape = Tape::new();
    let _ = tape.constant(arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).argmin(2);
}

#[test]
#[should_panic(expected = "argmax: axis 0 of shape [0, 2] has length 0")]
fn argmax_of_an_empty_axis_panics_with_the_shape() {
    let tape = Tape::<f64>::new();
    let _ = tape.constant(ndarray::Array2::<f64>::zeros((0, 2))).argmax(0);
}
