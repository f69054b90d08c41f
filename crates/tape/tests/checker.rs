//! The public gradient checker catches wrong gradients, says where, and skips kinks.

use ndarray::{array, ArrayD, ArrayViewD, Zip};
use tapegrad_tape::gradcheck::{numeric_gradient, GradCheck, Status};
use tapegrad_tape::{Float, InputGrads, Op, Tape, Var};

/// `y = x³` with a deliberately wrong backward: `2x²` instead of `3x²`.
struct WrongCube;
impl<T: Float> Op<T> for WrongCube {
    fn name(&self) -> &'static str {
        "wrong_cube"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        inputs[0].mapv(|x| x * x * x)
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, T>],
        _output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        let two = T::from_f64(2.0);
        [Some(Zip::from(grad_output).and(&inputs[0]).map_collect(|&g, &x| g * two * x * x))]
            .into_iter()
            .collect()
    }
}

fn model<'t>(tape: &'t Tape<'t, f64>, v: &[Var<'t, f64>]) -> Var<'t, f64> {
    let hidden = v[0].matmul(&v[1]).tanh();
    tape.apply(WrongCube, &[hidden]).sum()
}

fn inputs() -> Vec<ArrayD<f64>> {
    vec![array![[0.5, -0.3]].into_dyn(), array![[0.8, -0.2], [0.4, 1.1]].into_dyn()]
}

#[test]
fn a_wrong_backward_is_caught_and_the_worst_element_named() {
    let report = GradCheck::new().input_names(&["x", "w"]).check(model, &inputs());
    assert!(!report.passed());
    // Every element of both inputs is off by the factor 2/3.
    assert_eq!(report.failures().count(), 6);
    let worst = report.worst().unwrap();
    assert!((worst.analytic / worst.numeric - 2.0 / 3.0).abs() < 1e-6, "{report}");
    let text = report.to_string();
    assert!(text.starts_with("gradient check FAILED: 6 of 6 elements disagree"), "{text}");
    assert!(
        text.contains("input      index") && text.contains("FAIL") && text.contains("w          [1, 0]"),
        "{text}"
    );
    assert!(text.contains("worst: "), "{text}");
}

#[test]
fn the_per_op_check_names_the_faulty_op_and_its_line() {
    let report = GradCheck::new().check_ops(model, &inputs());
    assert!(!report.passed());
    let failing: Vec<&str> = report.failing_ops().map(|op| op.op).collect();
    assert_eq!(failing, ["wrong_cube"]);
    let faulty = report.failing_ops().next().unwrap();
    assert!(faulty.site.file().ends_with("checker.rs"));
    let text = report.to_string();
    // The report points at the line of this file that recorded the faulty op.
    let line =
        include_str!("checker.rs").lines().position(|l| l.contains("tape.apply(WrongCube")).unwrap() + 1;
    assert_eq!(faulty.site.line() as usize, line);
    assert!(
        text.contains(&format!("FAIL node 4   wrong_cube at crates/tape/tests/checker.rs:{line}")),
        "{text}"
    );
    assert!(text.contains("ok   node 3   tanh"), "{text}");
}

#[test]
fn elements_on_a_kink_are_skipped_not_failed() {
    // |x| and relu at 0, max with a tie, clamp at its bound: all within the step of a kink.
    let x = array![0.0, 1.0, -2.0, 0.5].into_dyn();
    let report = GradCheck::new()
        .check(|_, v| v[0].abs().sum() + v[0].relu().sum() + v[0].clamp(-1.0, 0.5).sum(), &[x]);
    assert!(report.passed(), "{report}");
    let statuses: Vec<Status> = report.elements.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Status::Kink, Status::Pass, Status::Pass, Status::Kink]);
    assert!(report.to_string().contains("2 skipped at kinks"), "{report}");

    let tie = array![3.0, 3.0, 1.0].into_dyn();
    let report = GradCheck::new().check(|_, v| v[0].max(), &[tie]);
    assert_eq!(report.kinks().count(), 2, "{report}");
    assert_eq!(report.elements[2].status, Status::Pass);
}

#[test]
fn a_kink_far_from_the_input_is_not_flagged() {
    // The relu acts on 3x − 1, whose kink is at x = 1/3, far from x = 0.
    let report = GradCheck::new().check(|_, v| (v[0] * 3.0 - 1.0).relu().sum(), &[array![0.0].into_dyn()]);
    assert_eq!(report.elements[0].status, Status::Pass);
}

#[test]
fn numeric_gradient_matches_the_derivative() {
    // f(x, y) = Σ x·y: ∂f/∂x = y, ∂f/∂y = x
    let x = array![1.0, 2.0].into_dyn();
    let y = array![-3.0, 0.5].into_dyn();
    let g = numeric_gradient(|_, v| (v[0] * v[1]).sum(), &[x.clone(), y.clone()], 1e-6);
    approx::assert_abs_diff_eq!(g[0], y, epsilon = 1e-8);
    approx::assert_abs_diff_eq!(g[1], x, epsilon = 1e-8);
}

#[test]
fn tolerances_follow_atol_plus_rtol_times_scale() {
    // A gradient of 1000 computed exactly: a relative error of ~1e-10 passes rtol 1e-6.
    let report =
        GradCheck::new().atol(0.0).rtol(1e-6).check(|_, v| (v[0] * 1000.0).sum(), &[array![0.1].into_dyn()]);
    assert!(report.passed(), "{report}");
    let e = &report.elements[0];
    assert!(e.abs_error <= 1e-6 * e.analytic.abs().max(e.numeric.abs()));
}

#[test]
fn a_nan_gradient_fails() {
    // sqrt at 0 has an infinite derivative; the finite difference cannot match it.
    let report = GradCheck::new().check(|_, v| v[0].sqrt().sum(), &[array![0.0].into_dyn()]);
    assert!(!report.passed(), "{report}");
}

/// `y = 2x` whose scalar fast path is wrong twice over: its value is `3x` and its
/// gradient 5, while the array path is right.
struct WrongFastPath;
impl<T: Float> Op<T> for WrongFastPath {
    fn name(&self) -> &'static str {
        "wrong_fast_path"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, T>]) -> ArrayD<T> {
        inputs[0].mapv(|x| x + x)
    }
    fn backward(
        &self,
        _inputs: &[ArrayViewD<'_, T>],
        _output: &ArrayViewD<'_, T>,
        grad_output: &ArrayViewD<'_, T>,
        _wanted: &[bool],
    ) -> InputGrads<T> {
        [Some(grad_output.mapv(|g| g + g))].into_iter().collect()
    }
    fn forward_scalar(&self, inputs: &[T]) -> Option<T> {
        Some(inputs[0] * T::from_f64(3.0))
    }
    fn backward_scalar(
        &self,
        _inputs: &[T],
        _output: T,
        grad_output: T,
    ) -> Option<tapegrad_tape::ScalarGrads<T>> {
        Some([grad_output * T::from_f64(5.0)].into_iter().collect())
    }
}

#[test]
fn the_per_op_check_also_checks_the_scalar_fast_path() {
    let report = GradCheck::new()
        .check_ops(|tape, v| tape.apply(WrongFastPath, &[v[0]]), &[ndarray::arr0(1.5).into_dyn()]);
    assert!(!report.passed(), "{report}");
    let op = report.failing_ops().next().unwrap();
    let failing: Vec<&str> =
        op.elements.iter().filter(|e| e.status == Status::Fail).map(|e| e.input_name.as_str()).collect();
    // The value (3x vs 2x) and the gradient (5 vs the slope 3 of forward_scalar).
    assert_eq!(failing, ["output (scalar path vs forward)", "input 0 (node 0, scalar path)"]);
}

/// Issue 13: the second-order check passes correct second derivatives and catches a wrong
/// one, element by element, while the first-order check (rightly) passes it.
#[test]
fn the_second_order_check_catches_a_wrong_recorded_derivative() {
    use tapegrad_tape::{Unary, UnaryFn, Var};
    /// `x³`, with a correct derivative and, if `wrong`, a recorded one that says `2x²`.
    struct Cube {
        wrong: bool,
    }
    impl UnaryFn<f64> for Cube {
        fn name(&self) -> &'static str {
            "cube"
        }
        fn value(&self, x: f64) -> f64 {
            x * x * x
        }
        fn derivative(&self, x: f64, _y: f64) -> f64 {
            3.0 * x * x
        }
        fn derivative_var<'t>(&self, x: Var<'t, f64>, _y: Var<'t, f64>) -> Option<Var<'t, f64>> {
            Some(x.square().mul_scalar(if self.wrong { 2.0 } else { 3.0 }))
        }
    }
    let inputs = [ndarray::array![0.5, -1.5, 2.0].into_dyn()];
    fn right<'t>(tape: &'t Tape<'t, f64>, v: &[Var<'t, f64>]) -> Var<'t, f64> {
        (tape.apply(Unary(Cube { wrong: false }), &[v[0]]) * v[0]).sum()
    }
    fn wrong<'t>(tape: &'t Tape<'t, f64>, v: &[Var<'t, f64>]) -> Var<'t, f64> {
        (tape.apply(Unary(Cube { wrong: true }), &[v[0]]) * v[0]).sum()
    }
    let check = GradCheck::new();
    assert!(check.check(wrong, &inputs).passed(), "first order is right");
    let report = check.check_second_order(right, &inputs).unwrap();
    assert!(report.passed(), "{report}");
    let report = check.check_second_order(wrong, &inputs).unwrap();
    assert!(!report.passed());
    assert_eq!(report.failures().count(), 3, "{report}");
    // f = x·cube(x): its recorded second derivative is off by the wrong factor.
    let worst = report.worst().unwrap();
    assert!(worst.abs_error > 0.1, "{report}");
    // Op by op, the wrong one is named; the others pass.
    let per_op = check.check_ops_second_order(wrong, &inputs).unwrap();
    let failing: Vec<&str> = per_op.failing_ops().map(|op| op.op).collect();
    assert_eq!(failing, ["cube"], "{per_op}");
    assert!(per_op.to_string().contains("cube"), "{per_op}");
    assert!(check.check_ops_second_order(right, &inputs).unwrap().passed());
}
