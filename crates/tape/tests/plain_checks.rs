//! Checking derivatives derived by hand for plain functions (no tape): `check_gradient_fn`,
//! `check_jacobian_fn`, `check_vjp_fn`, and the directional mode of every check. Each
//! test has a right claim that must pass and a wrong one that must fail at the right
//! element: a checker that passes everything would fail here.

use ndarray::{array, Array1, Array2, Array3, ArrayD};
use tapegrad_tape::gradcheck::{GradCheck, Status};

fn rosenbrock(x: &Array1<f64>) -> f64 {
    x.windows(2).into_iter().map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2)).sum()
}

/// Rosenbrock's gradient, derived by hand.
fn rosenbrock_gradient(x: &Array1<f64>) -> Array1<f64> {
    let n = x.len();
    Array1::from_shape_fn(n, |i| {
        let mut g = 0.0;
        if i + 1 < n {
            g += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
        }
        if i > 0 {
            g += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
        }
        g
    })
}

#[test]
fn a_right_gradient_passes_and_a_wrong_element_is_named() {
    let x = array![-1.2, 1.0, 0.7, -0.3, 1.5];
    let good = rosenbrock_gradient(&x);
    let report = GradCheck::new().check_gradient_fn(rosenbrock, &x, &good);
    report.assert_passed();
    assert_eq!(report.compared(), 5);
    let mut bad = good.clone();
    bad[3] *= 1.01;
    let report = GradCheck::new().input_names(&["x"]).check_gradient_fn(rosenbrock, &x, &bad);
    assert!(!report.passed());
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1, "{report}");
    assert_eq!((failures[0].input_name.as_str(), failures[0].index.as_slice()), ("x", &[3][..]));
    assert!((failures[0].numeric - good[3]).abs() < 1e-6 * good[3].abs().max(1.0));
    assert!(report.to_string().contains("FAILED: 1 of 5"), "{report}");
}

#[test]
fn matrices_are_checked_with_their_own_indices() {
    // f(W) = Σ tanh(W·x); ∂f/∂W[i, j] = (1 − tanh²((W·x)ᵢ))·xⱼ.
    let x = array![0.3, -1.2, 0.5];
    let f = |w: &Array2<f64>| w.dot(&x).mapv(f64::tanh).sum();
    let w = array![[0.1, 0.2, -0.3], [0.7, -0.5, 0.4]];
    let z = w.dot(&x);
    let good = Array2::from_shape_fn((2, 3), |(i, j)| (1.0 - z[i].tanh().powi(2)) * x[j]);
    GradCheck::new().check_gradient_fn(f, &w, &good).assert_passed();
    let mut bad = good.clone();
    bad[[1, 2]] = -bad[[1, 2]];
    let report = GradCheck::new().check_gradient_fn(f, &w, &bad);
    assert_eq!(report.failures().map(|e| e.index.clone()).collect::<Vec<_>>(), vec![vec![1, 2]]);
}

#[test]
fn f32_functions_are_checked_with_f32_settings() {
    let x = array![0.5f32, -1.0, 2.0];
    let f = |x: &Array1<f32>| x.mapv(|v| v.exp()).sum();
    let good = x.mapv(f32::exp);
    GradCheck::for_f32().check_gradient_fn(f, &x, &good).assert_passed();
    let bad = x.mapv(|v| v.exp() * 1.1);
    assert_eq!(GradCheck::for_f32().check_gradient_fn(f, &x, &bad).failures().count(), 3);
}

#[test]
fn a_kink_is_skipped_when_the_claim_is_a_one_sided_slope_and_failed_otherwise() {
    // f(x) = Σ |xᵢ| at x₁ = 0: a hand-written gradient may say sign(0) = 0, ±1 or between.
    let x = array![-2.0, 0.0, 3.0];
    let f = |x: &Array1<f64>| x.mapv(f64::abs).sum();
    for claim in [0.0, 1.0, -1.0, 0.5] {
        let report = GradCheck::new().check_gradient_fn(f, &x, &array![-1.0, claim, 1.0]);
        assert!(report.passed(), "{report}");
        assert_eq!(report.elements[1].status, Status::Kink, "claim {claim}: {report}");
        assert_eq!(report.compared(), 2);
    }
    // 3 is no slope of |x| anywhere: a failure, kink or not.
    let report = GradCheck::new().check_gradient_fn(f, &x, &array![-1.0, 3.0, 1.0]);
    assert_eq!(report.elements[1].status, Status::Fail, "{report}");
    // Every element on a kink: nothing was compared, so the check has not passed.
    let hollow = GradCheck::new().check_gradient_fn(f, &array![0.0], &array![0.0]);
    assert!(!hollow.passed(), "{hollow}");
}

#[test]
fn a_kink_within_the_step_but_off_the_point_is_judged_at_a_smaller_step() {
    // relu at x = 3e-7, within the step 1e-6 of its kink: the central difference at h
    // straddles it (0.65), but the derivative at x is 1; at h/10 the difference is exact.
    let f = |x: &Array1<f64>| x.mapv(|v| v.max(0.0)).sum();
    let x = array![3e-7];
    let report = GradCheck::new().check_gradient_fn(f, &x, &array![1.0]);
    assert_eq!(report.elements[0].status, Status::Pass, "{report}");
    let wrong = GradCheck::new().check_gradient_fn(f, &x, &array![0.0]);
    assert!(!wrong.passed(), "{wrong}");
}

#[test]
fn large_curvature_is_not_mistaken_for_a_kink() {
    // f(x) = x⁴·10⁸ at x = 1: its one-sided slopes differ by ~h·f'' = 1.2e-3·…, well beyond
    // the tolerances, but shrink with the step: a wrong claim still fails.
    let f = |x: &Array1<f64>| 1e8 * x[0].powi(4);
    let x = array![1.0];
    GradCheck::new().check_gradient_fn(f, &x, &array![4e8]).assert_passed();
    let report = GradCheck::new().check_gradient_fn(f, &x, &array![4.1e8]);
    assert_eq!(report.elements[0].status, Status::Fail, "{report}");
}

#[test]
fn jacobians_in_either_layout_and_a_wrong_entry_is_named_by_output_and_input() {
    // f(x) = [x₀·x₁, sin x₂, x₀ + x₂] from a [3] input, as a [3, 3] and as [3] ++ [3].
    let f = |x: &Array1<f64>| array![x[0] * x[1], x[2].sin(), x[0] + x[2]];
    let x: Array1<f64> = array![0.4, -1.5, 2.0];
    let good = array![[x[1], x[0], 0.0], [0.0, 0.0, x[2].cos()], [1.0, 0.0, 1.0]];
    GradCheck::new().check_jacobian_fn(f, &x, &good).assert_passed();
    let mut bad = good.clone();
    bad[[1, 2]] = x[2].sin();
    let report = GradCheck::new().check_jacobian_fn(f, &x, &bad);
    assert_eq!(report.failures().map(|e| e.index.clone()).collect::<Vec<_>>(), vec![vec![1, 2]]);
    assert_eq!(report.elements.len(), 9);

    // A [2, 2] output of a [2] input: the Jacobian [2, 2, 2] (output, then input index).
    let g = |x: &Array1<f64>| array![[x[0], x[1]], [x[0] * x[1], x[0] * x[0]]];
    let x = array![3.0, -2.0];
    let mut jacobian = Array3::<f64>::zeros((2, 2, 2));
    jacobian[[0, 0, 0]] = 1.0;
    jacobian[[0, 1, 1]] = 1.0;
    jacobian[[1, 0, 0]] = x[1];
    jacobian[[1, 0, 1]] = x[0];
    jacobian[[1, 1, 0]] = 2.0 * x[0];
    GradCheck::new().check_jacobian_fn(g, &x, &jacobian).assert_passed();
    jacobian[[1, 1, 0]] = x[0];
    let report = GradCheck::new().check_jacobian_fn(g, &x, &jacobian);
    assert_eq!(report.failures().map(|e| e.index.clone()).collect::<Vec<_>>(), vec![vec![1, 1, 0]]);
}

#[test]
#[should_panic(expected = "check_jacobian_fn: the Jacobian has shape [3, 2]")]
fn a_jacobian_of_the_wrong_shape_is_named() {
    let f = |x: &Array1<f64>| x.clone();
    let _ = GradCheck::new().check_jacobian_fn(f, &array![1.0, 2.0], &Array2::<f64>::zeros((3, 2)));
}

#[test]
fn a_hand_written_backward_pass_is_checked_by_its_vjp() {
    // Layer norm without affine parameters, y = (x − μ)/σ, and its backward by hand:
    // uᵀJ = (u − mean(u) − y·mean(u ⊙ y)) / σ.
    let eps = 1e-5;
    let f = move |x: &Array1<f64>| {
        let mean = x.mean().unwrap();
        let sigma = (x.mapv(|v| (v - mean).powi(2)).mean().unwrap() + eps).sqrt();
        x.mapv(|v| (v - mean) / sigma)
    };
    let x = array![0.3, -1.2, 2.5, 0.0, 0.9];
    let y = f(&x);
    let mean = x.mean().unwrap();
    let sigma = (x.mapv(|v| (v - mean).powi(2)).mean().unwrap() + eps).sqrt();
    let good = |u: &Array1<f64>| (u - u.mean().unwrap() - &y * (u * &y).mean().unwrap()) / sigma;
    GradCheck::new().check_vjp_fn(f, &x, good).assert_passed();
    // The classic slip: forgetting the term through σ.
    let forgot_sigma = |u: &Array1<f64>| (u - u.mean().unwrap()) / sigma;
    let report = GradCheck::new().check_vjp_fn(f, &x, forgot_sigma);
    assert!(!report.passed(), "{report}");
    assert!(report.failures().count() >= 3, "{report}");
}

#[test]
fn the_directional_mode_checks_large_inputs_in_few_evaluations() {
    let calls = std::cell::Cell::new(0usize);
    let f = |x: &Array1<f64>| {
        calls.set(calls.get() + 1);
        rosenbrock(x)
    };
    let x = Array1::linspace(-1.0, 1.5, 2_000);
    let good = rosenbrock_gradient(&x);
    let report = GradCheck::new().directions(3).check_gradient_fn(f, &x, &good);
    report.assert_passed();
    assert_eq!(report.elements.len(), 3);
    assert!(calls.get() <= 1 + 3 * 2, "{} evaluations", calls.get());
    // One wrong element out of 2,000 shows in every direction, once its error exceeds the
    // tolerance of the whole directional derivative (here ~1.7e4, so rtol allows ~17).
    let mut bad = good.clone();
    bad[1234] += 100.0;
    let report = GradCheck::new().directions(3).check_gradient_fn(rosenbrock, &x, &bad);
    assert_eq!(report.failures().count(), 3, "{report}");
    assert_eq!(report.failures().next().unwrap().input_name, "along v0");
}

#[test]
fn the_directional_mode_checks_jacobians_and_vjps() {
    let f = |x: &Array1<f64>| x.mapv(f64::sin) * x.sum();
    let x: Array1<f64> = Array1::linspace(0.1, 1.0, 50);
    let s = x.sum();
    let good =
        Array2::from_shape_fn((50, 50), |(i, j)| x[i].sin() + if i == j { x[i].cos() * s } else { 0.0 });
    let report = GradCheck::new().directions(2).check_jacobian_fn(f, &x, &good);
    report.assert_passed();
    assert_eq!(report.elements.len(), 2 * 50); // one row per direction and output element
    let vjp = |u: &Array1<f64>| u.dot(&good);
    GradCheck::new().directions(2).check_vjp_fn(f, &x, vjp).assert_passed();
    let wrong_vjp = |u: &Array1<f64>| good.dot(u); // Jv for uᵀJ: J is not symmetric
    assert!(!GradCheck::new().directions(2).check_vjp_fn(f, &x, wrong_vjp).passed());
}

#[test]
fn the_tape_check_has_the_directional_mode_too() {
    let inputs: Vec<ArrayD<f64>> =
        vec![Array1::linspace(-1.0, 1.0, 300).into_dyn(), Array2::from_elem((2, 3), 0.5).into_dyn()];
    let report =
        GradCheck::new().directions(4).check(|_t, v| v[0].tanh().sum() * v[1].square().sum(), &inputs);
    report.assert_passed();
    assert_eq!(report.elements.len(), 4);
    // relu on a grid through 0: some direction straddles a kink, and such a row is skipped.
    let report = GradCheck::new().directions(2).check(|_t, v| v[0].relu().sum(), &inputs[..1]);
    assert!(report.elements.iter().all(|e| e.status == Status::Kink) || report.passed(), "{report}");
}

#[test]
fn an_empty_input_compares_nothing_and_has_not_passed_in_either_mode() {
    let x = Array1::<f64>::zeros(0);
    let f = |x: &Array1<f64>| x.sum() + 1.0;
    for check in [GradCheck::new(), GradCheck::new().directions(3)] {
        let report = check.check_gradient_fn(f, &x, &x);
        assert!(report.elements.is_empty() && !report.passed(), "{report}");
        assert!(report
            .to_string()
            .starts_with("gradient check FAILED: no element was compared (the inputs have no elements)"));
        let tape_report = check.check(|_t, v| v[0].sum(), &[ArrayD::<f64>::zeros(vec![0])]);
        assert!(!tape_report.passed(), "{tape_report}");
    }
}
